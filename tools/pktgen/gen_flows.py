#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a pcap of synthetic UDP or TCP flows over IPv4 or IPv6, for benchmarks and packet tests.

Each flow is one distinct 5-tuple. By default every flow appears once (packets = flows), so a
replay with net_pcap's infinite_rx=1 cycles through all flows in order. Defaults follow
docs/benchmarks.md rule 5: 64-byte frames on the wire (60 bytes in the pcap, the FCS is not
stored), sources spread over 198.18.0.0/16 and over source ports, destinations in 198.18.1.0/24
(the prefix DPDK's l3fwd routes to port 1).

Source addresses are drawn from --src-net, skipping the network and broadcast addresses, every
address inside --dst-net and every address inside --src-exclude (by default 198.18.0.0/24, where
the benchmark routers put their input interface address, so that no packet claims to come from
the router itself). Flow i takes the i-th source address of a fixed pseudo-random permutation of
that set and, once all addresses are used, the next source port: tuples stay unique up to
addresses x ports flows. Destination addresses cycle through --dst-net hosts, destination port is
fixed (--dport) unless --dport-count > 1.

Headers are built once with scapy (the template), then per flow the addresses and ports are
patched and the checksums recomputed; --verify re-dissects every packet with scapy and checks
its IP/L4 checksums, so the fast path is tested against scapy's own.

Run with the system python (Debian's python3-scapy): /usr/bin/python3 tools/pktgen/gen_flows.py

Examples:
  gen_flows.py -o in.pcap --flows 1000 --dst-mac 02:00:00:00:00:01
  gen_flows.py -o v6.pcap --ipv6 --proto tcp --tcp-flags S --flows 100000
  gen_flows.py -o big.pcap --flows 10 --count 1000 --frame-size 1514
"""

import argparse
import ipaddress
import random
import struct
import sys

try:
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
except ImportError:  # pragma: no cover - environment problem, say so clearly
    sys.exit("gen_flows.py: scapy not found; run with /usr/bin/python3 (Debian python3-scapy)")

ETH_LEN = 14
MIN_FRAME = 60  # 64-byte Ethernet minimum without the 4-byte FCS


def csum16(data, initial=0):
    """Internet checksum (RFC 1071) of data, folded, not inverted."""
    if len(data) % 2:
        data += b"\0"
    s = initial + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def finish(s, udp=False):
    """Inverted checksum; a computed UDP checksum of zero is sent as 0xffff (RFC 768)."""
    c = ~s & 0xFFFF
    return 0xFFFF if udp and c == 0 else c


def host_list(net, exclude, limit=1 << 16):
    """Usable host addresses of net (as ints): no network/broadcast address, nothing inside an
    excluded prefix, at most limit of them (the first ones; for a large IPv6 prefix, with source
    ports that still gives billions of distinct tuples)."""
    net = ipaddress.ip_network(net, strict=False)
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.num_addresses > 2:
        first, last = first + 1, last - 1
    ex = sorted((int(e.network_address), int(e.broadcast_address)) for e in exclude
                if e.version == net.version)
    out, a = [], first
    while a <= last and len(out) < limit:
        hit = next(((lo, hi) for lo, hi in ex if lo <= a <= hi), None)
        if hit:
            a = hit[1] + 1
            continue
        out.append(a)
        a += 1
    return out, net.version


def permute(seq, seed):
    """A fixed pseudo-random order, so sources spread over the whole prefix even for few flows."""
    seq = list(seq)
    random.Random(seed).shuffle(seq)
    return seq


def build_template(args, frame_size):
    l3 = IPv6(src="::", dst="::", hlim=args.ttl) if args.ipv6 else \
        IP(src="0.0.0.0", dst="0.0.0.0", ttl=args.ttl, id=0, flags="DF" if args.df else 0)
    if args.proto == "udp":
        l4 = UDP(sport=0, dport=0)
    else:
        l4 = TCP(sport=0, dport=0, flags=args.tcp_flags, seq=1, ack=1 if "A" in args.tcp_flags else 0,
                 window=65535)
    pkt = Ether(dst=args.dst_mac, src=args.src_mac) / l3 / l4
    hdr = len(pkt)
    if frame_size < hdr:
        sys.exit("gen_flows.py: --frame-size %d is smaller than the headers (%d bytes)" % (frame_size, hdr))
    payload = bytes((i & 0xFF for i in range(frame_size - hdr)))
    pkt = pkt / payload
    raw = bytes(pkt)
    assert len(raw) == frame_size, (len(raw), frame_size)
    return bytearray(raw)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("-o", "--output", required=True, help="pcap file to write")
    p.add_argument("--flows", type=int, default=1000, help="distinct 5-tuples (default 1000)")
    p.add_argument("--count", type=int, default=None,
                   help="packets to write (default: one per flow); flows repeat round-robin")
    p.add_argument("--shuffle", action="store_true",
                   help="write packets in a random order instead of round-robin over flows")
    p.add_argument("--seed", type=int, default=1, help="seed for address permutation and --shuffle")
    p.add_argument("--ipv6", action="store_true", help="IPv6 instead of IPv4")
    p.add_argument("--proto", choices=("udp", "tcp"), default="udp")
    p.add_argument("--tcp-flags", default="A", help="TCP flags, scapy notation (default A; S for SYNs)")
    p.add_argument("--frame-size", type=int, default=None,
                   help="frame length in the pcap, without FCS (default: 60, or the header "
                        "length if larger, e.g. 62 for IPv6/UDP)")
    p.add_argument("--dst-mac", default="02:00:00:00:00:01")
    p.add_argument("--src-mac", default="02:00:00:00:00:99")
    p.add_argument("--src-net", default=None,
                   help="source prefix (default 198.18.0.0/16, IPv6 2001:2::/48)")
    p.add_argument("--src-exclude", default=None,
                   help="comma-separated prefixes never used as source (default 198.18.0.0/24, "
                        "IPv6 2001:2::/64; 'none' for none); --dst-net is always excluded")
    p.add_argument("--dst-net", default=None,
                   help="destination prefix (default 198.18.1.0/24, IPv6 2001:2:0:1::/64)")
    p.add_argument("--dst-hosts", type=int, default=None,
                   help="use only the first N hosts of --dst-net (default: all, at most 65536)")
    p.add_argument("--sport-base", type=int, default=1024, help="first source port (default 1024)")
    p.add_argument("--dport", type=int, default=9, help="destination port (default 9, discard)")
    p.add_argument("--dport-count", type=int, default=1,
                   help="cycle destination ports over dport..dport+N-1 (default 1)")
    p.add_argument("--ttl", type=int, default=64, help="IPv4 TTL / IPv6 hop limit (default 64)")
    p.add_argument("--df", action="store_true", help="set IPv4 don't-fragment")
    p.add_argument("--verify", action="store_true",
                   help="re-dissect every packet with scapy and check checksums (slow)")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args()

    if args.flows < 1:
        p.error("--flows must be >= 1")
    count = args.count if args.count is not None else args.flows
    v6 = args.ipv6
    src_net = args.src_net or ("2001:2::/48" if v6 else "198.18.0.0/16")
    dst_net = args.dst_net or ("2001:2:0:1::/64" if v6 else "198.18.1.0/24")
    if args.src_exclude is None:
        excl = ["2001:2::/64"] if v6 else ["198.18.0.0/24"]
    elif args.src_exclude in ("", "none"):
        excl = []
    else:
        excl = [e.strip() for e in args.src_exclude.split(",") if e.strip()]
    exclude = [ipaddress.ip_network(e, strict=False) for e in excl]
    exclude.append(ipaddress.ip_network(dst_net, strict=False))

    srcs, sv = host_list(src_net, exclude)
    dsts, dv = host_list(dst_net, [])
    if sv != (6 if v6 else 4) or dv != sv:
        p.error("--src-net/--dst-net family does not match %s" % ("IPv6" if v6 else "IPv4"))
    if args.dst_hosts:
        dsts = dsts[:args.dst_hosts]
    dsts = dsts[:65536]
    if not srcs or not dsts:
        p.error("no usable source or destination addresses")
    nports = 65536 - args.sport_base
    if args.flows > len(srcs) * nports:
        p.error("--flows %d exceeds %d sources x %d ports" % (args.flows, len(srcs), nports))
    srcs = permute(srcs, args.seed)

    default_size = max(MIN_FRAME, ETH_LEN + (40 if v6 else 20) + (8 if args.proto == "udp" else 20))
    frame_size = args.frame_size or default_size
    tmpl = build_template(args, frame_size)

    l3 = ETH_LEN
    l3_len = 40 if v6 else 20
    l4 = l3 + l3_len
    l4_len = frame_size - l4
    alen = 16 if v6 else 4
    src_off = l3 + (8 if v6 else 12)
    dst_off = src_off + alen
    proto_num = 17 if args.proto == "udp" else 6
    ck_off = l4 + (6 if args.proto == "udp" else 16)
    # Template with zeroed checksums; per flow only addresses and ports change.
    tmpl[ck_off:ck_off + 2] = b"\0\0"
    if not v6:
        tmpl[l3 + 10:l3 + 12] = b"\0\0"
    # L4 checksum over the pseudo-header's constant part plus the template L4 bytes with zero
    # ports; each flow adds its addresses and ports.
    base_l4 = bytearray(tmpl[l4:])
    base_l4[0:4] = b"\0\0\0\0"
    l4_const = csum16(bytes(base_l4), csum16(struct.pack("!HH", proto_num, l4_len)))
    ip_const = 0
    if not v6:
        ip_hdr = bytearray(tmpl[l3:l4])
        ip_hdr[12:20] = b"\0" * 8
        ip_const = csum16(bytes(ip_hdr))

    def frame(i):
        f = bytearray(tmpl)
        s = srcs[i % len(srcs)]
        sport = args.sport_base + i // len(srcs)
        d = dsts[i % len(dsts)]
        dport = args.dport + (i % args.dport_count)
        sb = s.to_bytes(alen, "big")
        db = d.to_bytes(alen, "big")
        f[src_off:src_off + alen] = sb
        f[dst_off:dst_off + alen] = db
        struct.pack_into("!HH", f, l4, sport, dport)
        addr_sum = csum16(sb + db)
        if not v6:
            struct.pack_into("!H", f, l3 + 10, finish(csum16(b"", ip_const + addr_sum)))
        struct.pack_into("!H", f, ck_off,
                         finish(csum16(struct.pack("!HH", sport, dport), l4_const + addr_sum),
                                udp=(proto_num == 17)))
        return bytes(f)

    flows = [frame(i) for i in range(args.flows)]
    order = list(range(count))
    if args.shuffle:
        random.Random(args.seed + 1).shuffle(order)

    with open(args.output, "wb") as out:
        # Classic pcap, microsecond timestamps, LINKTYPE_ETHERNET; one packet per microsecond.
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, n in enumerate(order):
            f = flows[n % args.flows]
            out.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(f), len(f)))
            out.write(f)

    if args.verify:
        verify(flows, v6, args.proto)

    if not args.quiet:
        print("gen_flows: wrote %s: %d packets, %d flows, %d-byte frames (%d on the wire), "
              "%s/%s, src %s (%d addresses), dst %s (%d addresses)"
              % (args.output, count, args.flows, frame_size, max(frame_size, MIN_FRAME) + 4,
                 "IPv6" if v6 else "IPv4", args.proto.upper(), src_net, len(srcs), dst_net,
                 len(dsts)), file=sys.stderr)


def verify(flows, v6, proto):
    """Check every frame's checksums against scapy's computation, and tuple uniqueness."""
    L3 = IPv6 if v6 else IP
    L4 = UDP if proto == "udp" else TCP
    seen = set()
    for n, raw in enumerate(flows):
        pkt = Ether(raw)
        ip, l4 = pkt[L3], pkt[L4]
        tup = (ip.src, ip.dst, l4.sport, l4.dport)
        if tup in seen:
            sys.exit("gen_flows.py: verify: duplicate tuple %r at flow %d" % (tup, n))
        seen.add(tup)
        re = Ether(raw)
        if not v6:
            del re[IP].chksum
        del re[L4].chksum
        re = Ether(bytes(re))
        if not v6 and re[IP].chksum != ip.chksum:
            sys.exit("gen_flows.py: verify: flow %d IPv4 checksum %#x, scapy %#x"
                     % (n, ip.chksum, re[IP].chksum))
        if re[L4].chksum != l4.chksum:
            sys.exit("gen_flows.py: verify: flow %d L4 checksum %#x, scapy %#x"
                     % (n, l4.chksum, re[L4].chksum))
    print("gen_flows: verify: %d flows OK" % len(flows), file=sys.stderr)


if __name__ == "__main__":
    main()
