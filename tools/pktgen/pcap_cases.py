#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Input frames for the packet tests (tests/pcap/test_*), one function per area.

Every case function returns a list of frames (scapy packets or raw bytes) in the order they are
fed to the router. The addresses are those of the standard test topology below; the tests build
the matching router configuration (tests/pcap/pcaptest.py) and know which output each frame
should produce. Frames carry a marker so that outputs can be matched to inputs whatever their
order: the IPv4 id, the ICMP echo id, or the payload "svr-<case>".

Run with the system python (Debian's python3-scapy). Standalone, it writes a case to a pcap:
  /usr/bin/python3 tools/pktgen/pcap_cases.py --list
  /usr/bin/python3 tools/pktgen/pcap_cases.py malformed /tmp/malformed.pcap

Standard topology (two ports):
  port 0 "in"  02:00:00:00:00:01  198.18.0.1/24  2001:db8::1/64     host 198.18.0.2 / 2001:db8::2
  port 1 "out" 02:00:00:00:00:02  198.19.0.1/24  2001:db8:1::1/64   gateway 198.19.0.2 / 2001:db8:1::2
  198.18.1.0/24 and 2001:db8:99::/48 via the gateway (static neighbour 02:00:00:00:00:03)
"""

import struct
import sys

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    from scapy.all import raw, wrpcap
    from scapy.layers.inet import IP, ICMP, UDP, TCP, IPOption_RR, IPOption_LSRR, IPOption_SSRR
    from scapy.layers.inet6 import (IPv6, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6ND_NA,
                                    ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                                    ICMPv6TimeExceeded, ICMPv6PacketTooBig, IPv6ExtHdrRouting,
                                    IPv6ExtHdrFragment, IPv6ExtHdrDestOpt)
    from scapy.layers.l2 import Ether, ARP, Dot1Q
    from scapy.packet import Raw
except ImportError:  # pragma: no cover
    sys.exit("pcap_cases.py: scapy not found; run with /usr/bin/python3 (Debian python3-scapy)")

# --- standard topology ------------------------------------------------------------------------
MAC_IN = "02:00:00:00:00:01"
MAC_OUT = "02:00:00:00:00:02"
MAC_GW = "02:00:00:00:00:03"  # the gateway on "out" (static neighbour)
MAC_HOST = "02:00:00:00:00:aa"  # a host on "in"
MAC_OTHER = "02:00:00:00:00:99"  # nobody of ours
BCAST = "ff:ff:ff:ff:ff:ff"

IP_IN, IP_OUT = "198.18.0.1", "198.19.0.1"
NET_IN, NET_OUT = "198.18.0.1/24", "198.19.0.1/24"
HOST4 = "198.18.0.2"
GW4 = "198.19.0.2"
REMOTE4 = "198.18.1.10"  # behind the gateway (198.18.1.0/24)
ROUTE4 = "198.18.1.0/24"
NOROUTE4 = "203.0.113.9"

IP6_IN, IP6_OUT = "2001:db8::1", "2001:db8:1::1"
NET6_IN, NET6_OUT = "2001:db8::1/64", "2001:db8:1::1/64"
HOST6 = "2001:db8::2"
GW6 = "2001:db8:1::2"
REMOTE6 = "2001:db8:99::10"
ROUTE6 = "2001:db8:99::/48"
NOROUTE6 = "2001:db8:ff::1"

MTU_OUT_SMALL = 1400  # "out" MTU in the tests of fragmentation-needed / packet-too-big


def marker(name):
    return Raw(load=b"svr-" + name.encode())


def has_marker(pkt, name):
    return (b"svr-" + name.encode()) in raw(pkt)


def eth_in(dst=MAC_IN, src=MAC_HOST):
    return Ether(dst=dst, src=src)


def solicited_node(addr):
    """(IPv6 solicited-node multicast address, its MAC) for addr."""
    import ipaddress
    a = ipaddress.IPv6Address(addr).packed
    snm = ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + a[13:])
    return str(snm), "33:33:ff:%02x:%02x:%02x" % (a[13], a[14], a[15])


def _ip4_search(want, after_dec, **kw):
    """An IPv4 header (scapy IP) whose checksum is `want`, before or after a TTL decrement;
    found by trying every IP id."""
    hdr = bytearray(raw(IP(id=0, **kw))[:20])
    if after_dec:
        hdr[8] -= 1
    for ident in range(65536):
        hdr[4:6] = struct.pack("!H", ident)
        hdr[10:12] = b"\0\0"
        if _cksum(bytes(hdr)) == want:
            return IP(raw(IP(id=ident, **kw))[:20])
    raise ValueError(f"no IPv4 id gives checksum {want:#x}")


def ip4_with_cksum(want, **kw):
    return _ip4_search(want, False, **kw)


def ip4_after_dec(want, **kw):
    """An IPv4 header whose checksum after a TTL decrement is `want`."""
    return _ip4_search(want, True, **kw)


# --- IPv4 forwarding ----------------------------------------------------------------------------
def ipv4_forward():
    """Packets from "in" to the gateway side: each is forwarded with TTL - 1. IP id = case number."""
    udp = UDP(sport=1000, dport=2000)
    f = [
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=64, id=1) / udp / marker("f1"),  # via gateway
        eth_in() / IP(src=HOST4, dst=GW4, ttl=2, id=2) / TCP(sport=5, dport=80) / marker("f2"),
        # options (IHL 8): record route
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=10, id=3, options=[IPOption_RR(routers=["0.0.0.0"] * 3)])
        / udp / marker("f3"),
        # short packet in a padded 60-byte frame: the padding is not IP payload
        Ether(raw(eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=200, id=4, proto=253, len=23)
                  / Raw(b"pad")).ljust(60, b"\0")),
        # full 1500-byte packet (MTU exactly)
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=64, id=5, flags="DF") / udp / marker("f5")
        / Raw(b"x" * (1500 - 20 - 8 - 6)),
        # TTL 255 and the largest id; checksum edge cases of the incremental update (RFC 1624):
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=255, id=65535) / udp / marker("f6"),
    ]
    # id found by search: original checksum 0x0000, and new checksum 0x0000 / 0xffff-adjacent
    base = dict(src=HOST4, dst=REMOTE4, ttl=64, proto=17, len=20 + 8 + 6, flags="DF")
    for want in (0x0000, 0xfffe):
        ip = ip4_with_cksum(want, **base)
        f.append(eth_in() / IP(raw(ip)) / UDP(sport=1, dport=2, len=14, chksum=0) / marker("cs"))
        ip = ip4_after_dec(want, **base)
        f.append(eth_in() / IP(raw(ip)) / UDP(sport=1, dport=2, len=14, chksum=0) / marker("cs"))
    ip = ip4_after_dec(0x0100, **base)  # carry across the byte holding the TTL
    f.append(eth_in() / IP(raw(ip)) / UDP(sport=1, dport=2, len=14, chksum=0) / marker("cs"))
    return f


# --- ARP -----------------------------------------------------------------------------------------
def arp_cases():
    """ARP on "in". Returns frames: [0] request for us (broadcast), [1] request for us (unicast),
    [2] request not ours, [3] request for our address on the other interface, [4..] malformed."""
    req = dict(op=1, hwsrc=MAC_HOST, psrc=HOST4, hwdst="00:00:00:00:00:00")
    f = [
        Ether(dst=BCAST, src=MAC_HOST) / ARP(pdst=IP_IN, **req),
        Ether(dst=MAC_IN, src=MAC_HOST) / ARP(pdst=IP_IN, **dict(req, psrc="198.18.0.3",
                                                               hwsrc="02:00:00:00:00:bb")),
        Ether(dst=BCAST, src=MAC_HOST) / ARP(pdst="198.18.0.77", **req),
        Ether(dst=BCAST, src=MAC_HOST) / ARP(pdst=IP_OUT, **req),
    ]
    f += arp_malformed()
    return f


def arp_malformed():
    """ARP frames svr_check_arp must refuse (arp-malformed), all asking for our address."""
    good = raw(Ether(dst=BCAST, src=MAC_HOST)
               / ARP(op=1, hwsrc=MAC_HOST, psrc=HOST4, hwdst="00:00:00:00:00:00", pdst=IP_IN))

    def mod(off, val):
        b = bytearray(good)
        b[14 + off:14 + off + len(val)] = val
        return bytes(b)

    return [
        mod(4, b"\x08"),  # hardware length 8
        mod(5, b"\x06"),  # protocol length 6
        mod(2, b"\x86\xdd"),  # protocol type IPv6
        mod(0, b"\x00\x06"),  # hardware type IEEE 802 (not Ethernet)
        mod(6, b"\x00\x03"),  # RARP request op
        mod(8, b"\x01\x00\x5e\x00\x00\x01"),  # multicast sender MAC
        good[:14 + 20],  # cut to 20 bytes
    ]


# --- ICMP (IPv4) ---------------------------------------------------------------------------------
def icmp4_cases():
    """Echo requests and packets that make the router send ICMP errors, from the host on "in"."""
    udp = UDP(sport=1000, dport=33434)
    f = [
        # [0] echo to our address on "in"
        eth_in() / IP(src=HOST4, dst=IP_IN, ttl=64, id=100) / ICMP(type=8, id=0x1111, seq=1)
        / marker("echo1"),
        # [1] echo to our address on "out" (still answered on "in")
        eth_in() / IP(src=HOST4, dst=IP_OUT, ttl=3, id=101, flags="DF")
        / ICMP(type=8, id=0x2222, seq=7) / marker("echo2") / Raw(b"y" * 100),
        # [2] echo with a wrong ICMP checksum: icmp-malformed
        eth_in() / IP(src=HOST4, dst=IP_IN, id=102) / ICMP(type=8, id=0x3333, chksum=0x1234)
        / marker("echo3"),
        # [3] UDP to us: local-unsupported
        eth_in() / IP(src=HOST4, dst=IP_IN, id=103) / udp / marker("udp-local"),
        # [4] TTL 1 to a remote host: time exceeded
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=1, id=104) / udp / marker("ttl1"),
        # [5] no route: net unreachable
        eth_in() / IP(src=HOST4, dst=NOROUTE4, ttl=64, id=105) / udp / marker("noroute"),
        # [6] 1450 bytes with DF toward "out" (MTU 1400): fragmentation needed
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=64, id=106, flags="DF") / udp / marker("big")
        / Raw(b"z" * (1450 - 20 - 8 - 7)),
        # [7] TTL 1 but itself an ICMP error: no error about an error (RFC 1812 4.3.2.7)
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=1, id=107) / ICMP(type=3, code=3)
        / IP(src=REMOTE4, dst=HOST4) / UDP(sport=2, dport=3),
        # [8] TTL 0 (RFC 1812: never forwarded): time exceeded
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=0, id=108) / udp / marker("ttl0"),
        # [9] TTL 2: forwarded with TTL 1
        eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=2, id=109) / udp / marker("ttl2"),
    ]
    return f


def echo4_cksum_edge(ident, want, of_reply):
    """An echo request from the host to our address on "in" whose ICMP checksum (of_reply: that
    of its echo reply, computed in full) is `want`; found by trying every sequence number."""
    data = b"svr-edge"
    for seq in range(65536):
        t = 0 if of_reply else 8
        if _cksum(struct.pack("!BBHHH", t, 0, 0, ident, seq) + data) == want:
            return (eth_in() / IP(src=HOST4, dst=IP_IN, id=ident)
                    / ICMP(type=8, id=ident, seq=seq) / Raw(data))
    raise ValueError(f"no sequence number gives checksum {want:#x}")


def icmp_ratelimit(n4=4, n6=4):
    """n4 IPv4 packets with TTL 1 and n6 IPv6 packets with hop limit 1, all from the host on "in"."""
    f = []
    for i in range(n4):
        f.append(eth_in() / IP(src=HOST4, dst=REMOTE4, ttl=1, id=200 + i) / UDP(sport=1, dport=2)
                 / marker(f"rl4-{i}"))
    for i in range(n6):
        f.append(eth_in() / IPv6(src=HOST6, dst=REMOTE6, hlim=1) / UDP(sport=1, dport=2)
                 / marker(f"rl6-{i}"))
    return f


# --- malformed frames ----------------------------------------------------------------------------
def malformed():
    """(frame, expected drop reason) pairs, all arriving on "in" addressed to its MAC, plus
    (good frame, None) controls that must be forwarded."""
    good = IP(src=HOST4, dst=REMOTE4, ttl=64, id=300) / UDP(sport=1, dport=2) / marker("good")
    hdr = raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x0800))
    ip_ok = raw(good)

    def ipmod(offset, value, fix_cksum=True, **kw):
        b = bytearray(ip_ok)
        b[offset] = value
        if fix_cksum:
            b[10:12] = b"\0\0"
            ihl = min((b[0] & 15) * 4, len(b))
            b[10:12] = struct.pack("!H", _cksum(bytes(b[:ihl])) if ihl >= 20 else 0)
        return hdr + bytes(b)

    def ip_total_len(total):
        b = bytearray(ip_ok)
        b[2:4] = struct.pack("!H", total)
        b[10:12] = b"\0\0"
        b[10:12] = struct.pack("!H", _cksum(bytes(b[:20])))
        return hdr + bytes(b)

    v6 = IPv6(src=HOST6, dst=REMOTE6, hlim=64) / UDP(sport=1, dport=2) / marker("good6")
    v6b = raw(v6)
    cases = [
        (b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00", "eth-short"),  # 10-byte runt
        (hdr[:13], "eth-short"),  # 13 bytes
        (raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x8100)) + b"\x00\x0a", "eth-short"),  # cut tag
        (hdr + ip_ok[:10], "ip4-short"),  # truncated IPv4 header
        (hdr + ip_ok[:19], "ip4-short"),
        (ipmod(0, 0x65), "ip4-bad-version"),  # version 6 under EtherType IPv4
        (ipmod(0, 0x44), "ip4-bad-header-length"),  # IHL 4
        (ipmod(0, 0x40, fix_cksum=False), "ip4-bad-header-length"),  # IHL 0
        (ipmod(0, 0x4f), "ip4-bad-header-length"),  # IHL 15: 60 bytes, beyond the packet
        (ip_total_len(len(ip_ok) + 1), "ip4-bad-total-length"),  # total length > frame
        (ip_total_len(19), "ip4-bad-total-length"),  # total length < header
        (ipmod(10, ip_ok[10] ^ 0xff, fix_cksum=False), "ip4-bad-checksum"),
        (ipmod(12, 127), "ip4-bad-source"),  # 127.18.0.2
        (hdr + raw(IP(src="224.0.0.5", dst=REMOTE4) / UDP()), "ip4-bad-source"),
        (hdr + raw(IP(src="255.255.255.255", dst=REMOTE4) / UDP()), "ip4-bad-source"),
        (hdr + raw(IP(src="240.0.0.1", dst=REMOTE4) / UDP()), "ip4-bad-source"),  # class E
        (hdr + raw(IP(src=HOST4, dst="224.0.0.9") / UDP()), "local-unsupported"),  # multicast dst
        (hdr + raw(IP(src=HOST4, dst="255.255.255.255") / UDP()), "local-unsupported"),
        (raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x88b5) / Raw(b"\0" * 46)),
         "ethertype-unsupported"),
        (raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x88a8) / Dot1Q(vlan=5) / good),
         "ethertype-unsupported"),  # 802.1ad outer tag
        (raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x86dd)) + v6b[:30], "ip6-short"),
        (raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x86dd)) + b"\x40" + v6b[1:], "ip6-bad-version"),
        (raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x86dd)) + v6b[:4]
         + struct.pack("!H", len(v6b) - 40 + 1) + v6b[6:], "ip6-bad-payload-length"),
        (raw(eth_in() / IPv6(src="ff02::1", dst=REMOTE6) / UDP()), "ip6-bad-source"),
        (raw(eth_in() / IPv6(src="::1", dst=REMOTE6) / UDP()), "ip6-bad-source"),
        (arp_malformed()[0], "arp-malformed"),  # hardware length 8
        (raw(Ether(dst=MAC_OTHER, src=MAC_HOST) / good), "not-for-us"),  # someone else's MAC
        (raw(Ether(dst=MAC_OUT, src=MAC_HOST) / good), "not-for-us"),  # our other interface's MAC
        (raw(Ether(dst=MAC_IN, src=MAC_HOST) / Dot1Q(vlan=99) / good), "vlan-unknown"),
        (raw(eth_in() / good), None),
        (raw(eth_in() / v6), None),
    ] + source_routes() + icmp_errors_quoting_fragments()
    return cases


def ip4_with_options(opts, payload):
    """An IPv4 header from HOST4 to REMOTE4 carrying the option bytes opts (padded with EOL to
    a multiple of 4), IHL, total length and checksum made to fit, then payload."""
    opts = opts + b"\0" * (-len(opts) % 4)
    hlen = 20 + len(opts)
    h = bytearray(raw(IP(src=HOST4, dst=REMOTE4, ttl=64, id=301, proto=17)))
    h[0] = 0x40 | hlen // 4
    h[2:4] = struct.pack("!H", hlen + len(payload))
    h = h + opts
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", _cksum(bytes(h)))
    return raw(Ether(dst=MAC_IN, src=MAC_HOST, type=0x0800)) + bytes(h) + payload


def source_routes():
    """IPv4 loose and strict source routes and IPv6 routing header type 0: dropped as
    source-route; options whose lengths do not fit: ip4-bad-options. Controls: record route after
    NOPs, and an IPv6 destination-options header, forwarded."""
    udp = raw(UDP(sport=1, dport=2) / Raw(b"x" * 8))
    gw = "198.19.0.9"
    return [
        (raw(eth_in() / IP(src=HOST4, dst=REMOTE4, options=[IPOption_LSRR(routers=[gw])])
             / UDP()), "source-route"),
        (raw(eth_in() / IP(src=HOST4, dst=REMOTE4, options=[IPOption_SSRR(routers=[gw])])
             / UDP()), "source-route"),
        # after a NOP and a record-route option: still found
        (ip4_with_options(b"\x01\x07\x07\x04\0\0\0\0\x83\x07\x04\xc6\x13\0\x09", udp),
         "source-route"),
        (ip4_with_options(b"\x07\x28\x04\0", udp), "ip4-bad-options"),  # length past the header
        (ip4_with_options(b"\x07\x01\0\0", udp), "ip4-bad-options"),  # length below 2
        (ip4_with_options(b"\x01\x01\x07", udp), "ip4-bad-options"),  # no room for its length
        # an LSRR after End of Option List is not an option
        (ip4_with_options(b"\x01\x07\x07\x04\0\0\0\0\0\x83\x07\x04", udp + b"svr-opts-ok"),
         None),
        (raw(eth_in() / IPv6(src=HOST6, dst=REMOTE6)
             / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8:1::9"]) / UDP()),
         "source-route"),
        (raw(eth_in() / IPv6(src=HOST6, dst=REMOTE6) / IPv6ExtHdrDestOpt()
             / IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8:1::9"]) / UDP()),
         "source-route"),
        (raw(eth_in() / IPv6(src=HOST6, dst=REMOTE6) / IPv6ExtHdrDestOpt()
             / UDP(sport=1, dport=2) / marker("dstopt-ok")), None),
    ]


def icmp_errors_quoting_fragments():
    """ICMP errors whose quoted packet is a later fragment: what follows its IP header is data,
    not ports, so no session can be told from it."""
    return [
        (raw(eth_in() / IP(src=HOST4, dst=REMOTE4) / ICMP(type=3, code=3)
             / IP(src=REMOTE4, dst=HOST4, proto=17, frag=100) / Raw(b"\0\x35\x13\x88" * 2)),
         "icmp-error-quotes-fragment"),
        (raw(eth_in() / IPv6(src=HOST6, dst=REMOTE6) / ICMPv6PacketTooBig(mtu=1280)
             / IPv6(src=REMOTE6, dst=HOST6) / IPv6ExtHdrFragment(nh=17, offset=100)
             / Raw(b"\0\x35\x13\x88" * 2)), "icmp-error-quotes-fragment"),
    ]


def _cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


# --- IPv6 ----------------------------------------------------------------------------------------
def ipv6_cases():
    """IPv6 from the host on "in": forwarding, ICMPv6 echo and errors. Payload markers."""
    udp = UDP(sport=1000, dport=2000)
    e = eth_in()
    return [
        e / IPv6(src=HOST6, dst=REMOTE6, hlim=64, fl=0x12345, tc=0x28) / udp / marker("v6fwd"),  # 0
        e / IPv6(src=HOST6, dst=GW6, hlim=2) / TCP(sport=1, dport=22) / marker("v6conn"),  # 1
        e / IPv6(src=HOST6, dst=REMOTE6, hlim=1) / udp / marker("v6hl1"),  # 2
        e / IPv6(src=HOST6, dst=NOROUTE6, hlim=64) / udp / marker("v6noroute"),  # 3
        e / IPv6(src=HOST6, dst=REMOTE6, hlim=64) / udp / marker("v6big")  # 4: 1450 > 1400
        / Raw(b"b" * (1450 - 40 - 8 - 9)),
        e / IPv6(src=HOST6, dst=IP6_IN, hlim=64) / ICMPv6EchoRequest(id=0x4444, seq=3)  # 5
        / marker("v6echo"),
        e / IPv6(src=HOST6, dst=IP6_OUT, hlim=9) / ICMPv6EchoRequest(id=0x5555, seq=4)  # 6
        / marker("v6echo2"),
        e / IPv6(src=HOST6, dst=IP6_IN) / ICMPv6EchoRequest(id=0x6666, cksum=0x1234)  # 7
        / marker("v6badck"),
        e / IPv6(src=HOST6, dst=IP6_IN) / udp / marker("v6udp-local"),  # 8
        e / IPv6(src=HOST6, dst=REMOTE6, hlim=1) / ICMPv6TimeExceeded()  # 9: error about error
        / IPv6(src=REMOTE6, dst=HOST6) / udp,
        e / IPv6(src=HOST6, dst=REMOTE6, hlim=0) / udp / marker("v6hl0"),  # 10
    ]


def nd_cases():
    """Neighbour discovery toward our address on "in"."""
    snm, snm_mac = solicited_node(IP6_IN)
    ns = ICMPv6ND_NS(tgt=IP6_IN)
    lla = ICMPv6NDOptSrcLLAddr(lladdr=MAC_HOST)
    return [
        # 0: address resolution, multicast to the solicited-node group, with SLLA
        Ether(dst=snm_mac, src=MAC_HOST) / IPv6(src=HOST6, dst=snm, hlim=255) / ns / lla,
        # 1: unicast NUD probe from another host (its SLLA differs from the frame's source MAC)
        Ether(dst=MAC_IN, src="02:00:00:00:00:bc") / IPv6(src="2001:db8::3", dst=IP6_IN, hlim=255)
        / ns / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:bb"),
        # 2: duplicate address detection (from ::, no SLLA): NA to all-nodes
        Ether(dst=snm_mac, src=MAC_HOST) / IPv6(src="::", dst=snm, hlim=255) / ns,
        # 3: NS for an address that is not ours: local-unsupported
        Ether(dst=solicited_node("2001:db8::77")[1], src=MAC_HOST)
        / IPv6(src=HOST6, dst=solicited_node("2001:db8::77")[0], hlim=255)
        / ICMPv6ND_NS(tgt="2001:db8::77") / lla,
        # 4: hop limit 64 (forwarded or forged): nd-malformed
        Ether(dst=snm_mac, src=MAC_HOST) / IPv6(src=HOST6, dst=snm, hlim=64) / ns / lla,
        # 5: code 1: nd-malformed
        Ether(dst=snm_mac, src=MAC_HOST) / IPv6(src=HOST6, dst=snm, hlim=255)
        / ICMPv6ND_NS(tgt=IP6_IN, code=1) / lla,
        # 6: bad ICMPv6 checksum: icmp-malformed
        Ether(dst=snm_mac, src=MAC_HOST) / IPv6(src=HOST6, dst=snm, hlim=255)
        / ICMPv6ND_NS(tgt=IP6_IN, cksum=0x4321) / lla,
        # 7: NS for our address on "out", received on "in": local-unsupported
        Ether(dst=solicited_node(IP6_OUT)[1], src=MAC_HOST)
        / IPv6(src=HOST6, dst=solicited_node(IP6_OUT)[0], hlim=255) / ICMPv6ND_NS(tgt=IP6_OUT)
        / lla,
        # 8: an option of length 0 (RFC 4861 7.1.1: silently discard): nd-malformed
        Ether(dst=snm_mac, src="02:00:00:00:00:08") / IPv6(src="2001:db8::8", dst=snm, hlim=255) / ns
        / ICMPv6NDOptSrcLLAddr(len=0, lladdr="02:00:00:00:00:08"),
        # 9: from :: with a source link-layer option (RFC 4861 7.1.1: discard): nd-malformed
        Ether(dst=snm_mac, src="02:00:00:00:00:09") / IPv6(src="::", dst=snm, hlim=255) / ns
        / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:09"),
        # 10: unsolicited NA for an address we do not know: not learned, no answer
        Ether(dst="33:33:00:00:00:01", src="02:00:00:00:00:0a")
        / IPv6(src="2001:db8::a", dst="ff02::1", hlim=255)
        / ICMPv6ND_NA(tgt="2001:db8::a", R=0, S=0, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:0a"),
    ]


# --- neighbour resolution ------------------------------------------------------------------------
def arp_reply(src_ip, src_mac, dst_ip, dst_mac, vlan=0):
    e = Ether(dst=dst_mac, src=src_mac)
    if vlan:
        e = e / Dot1Q(vlan=vlan)
    return e / ARP(op=2, hwsrc=src_mac, psrc=src_ip, hwdst=dst_mac, pdst=dst_ip)


def na(src_ip, src_mac, dst_ip, dst_mac, vlan=0, flags="S"):
    e = Ether(dst=dst_mac, src=src_mac)
    if vlan:
        e = e / Dot1Q(vlan=vlan)
    return (e / IPv6(src=src_ip, dst=dst_ip, hlim=255)
            / ICMPv6ND_NA(tgt=src_ip, R=0, S=int("S" in flags), O=int("O" in flags))
            / ICMPv6NDOptDstLLAddr(lladdr=src_mac))


CASES = {
    "ipv4_forward": ipv4_forward,
    "arp": arp_cases,
    "icmp4": icmp4_cases,
    "icmp_ratelimit": icmp_ratelimit,
    "malformed": lambda: [c[0] for c in malformed()],
    "ipv6": ipv6_cases,
    "nd": nd_cases,
}


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(sorted(CASES)))
        return 0
    if len(argv) != 3 or argv[1] not in CASES:
        print(f"usage: {argv[0]} --list | CASE OUT.pcap", file=sys.stderr)
        return 2
    frames = [f if isinstance(f, bytes) else raw(f) for f in CASES[argv[1]]()]
    wrpcap(argv[2], [Ether(f) if len(f) >= 14 else Raw(f) for f in frames], linktype=1)
    print(f"{len(frames)} frames written to {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
