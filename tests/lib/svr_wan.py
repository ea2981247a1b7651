#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a WAN capture between two SVR routers shows (tests/lib/svr2.sh).

Usage: svr_wan.py PCAP WP1 WP2 [SECRET_ADDR_OR_TEXT...]
       svr_wan.py --contexts PCAP WP1 WP2
Prints "bad_addr=N leaked=N" (packets not between the waypoints; packets whose bytes contain a
secret: an IPv4 address or a text), then one line per flow: "<proto> <wp1 port>-<wp2 port>
fwd=N fwd_md=[indices] rev=N rev_md=[indices]" (which packets of each direction carry the
metadata cookie right after the transport header).
With --contexts (metadata in clear): one line per flow with the forward context of its first
forward metadata and the reverse context of its first reverse metadata (TLVs 2 and 4), as
"<proto> fwd=SRC:SPORT>DST:DPORT rev=SRC:SPORT>DST:DPORT" ("-" when absent).
With --payloads PCAP WP1 WP2 TRAILER_LEN: one line per UDP flow with what each datagram carries
once its metadata (header and both TLV sections, by the lengths in the clear header) and its
trailer (TRAILER_LEN bytes at the end) are taken away, as "udp <wp1 port>-<wp2 port>
fwd=P1|P2|... rev=..." (latin-1): with no tunnel header, exactly the application's payloads.
With --security-id PCAP: the Security ID (header TLV 16, clear text) of each packet with
metadata, one a line.
With --icmp PCAP WP1 WP2 TRAILER_LEN: the ICMP errors that crossed (docs/svr.md "ICMP errors"):
"plain_icmp=N" (ICMP messages on the WAN but the end mark), then one line per SVR ICMP error
message (UDP between the waypoints, metadata whose header section holds TLV 20), decoded by the
documented layout: "icmp_msg SRC:SPORT>DST:DPORT loc=ADDR type=T code=C cksum=ok|bad
quoted=SRC:SPORT>DST:DPORT/PROTO len=N" (N: the ICMP message's bytes).
"""
import socket
import sys

from scapy.all import IP, TCP, UDP, raw, rdpcap

COOKIE = bytes.fromhex("4c48dbc6ddf6670c")
# svr2_capture_report ends each capture with a ping whose payload repeats this (ping -p): the
# echo and its reply are the capture's end mark, not traffic between the waypoints.
END_MARK = b"svr-end!"


def packets(path):
    """The IPv4 packets of a capture, without the end mark."""
    for p in rdpcap(path):
        if IP in p and not (p[IP].proto == 1 and END_MARK in raw(p[IP])):
            yield p


def secret_bytes(s):
    try:
        return socket.inet_aton(s)
    except OSError:
        return s.encode()


def tlvs(md):
    """The TLVs of a clear metadata block: {type: value} from both sections."""
    hl = ((md[8] & 0x0F) << 8) | md[9]
    pl = (md[10] << 8) | md[11]
    out, at = {}, 12
    while at + 4 <= hl + pl and at + 4 <= len(md):
        t, n = (md[at] << 8) | md[at + 1], (md[at + 2] << 8) | md[at + 3]
        out[t] = md[at + 4:at + 4 + n]
        at += 4 + n
    return out


def ctx(v):
    if v is None or len(v) != 13:
        return "-"
    return (f"{socket.inet_ntoa(v[0:4])}:{(v[8] << 8) | v[9]}>"
            f"{socket.inet_ntoa(v[4:8])}:{(v[10] << 8) | v[11]}")


def contexts(path, wp1, wp2):
    flows = {}
    for p in packets(path):
        if IP not in p or (UDP not in p[IP] and TCP not in p[IP]):
            continue
        ip = p[IP]
        l4 = ip[UDP] if UDP in ip else ip[TCP]
        data = raw(l4.payload)
        if {ip.src, ip.dst} != {wp1, wp2} or not data.startswith(COOKIE):
            continue
        fwd = ip.src == wp1
        key = (ip.proto,) + ((l4.sport, l4.dport) if fwd else (l4.dport, l4.sport))
        f = flows.setdefault(key, {})
        t = tlvs(data)
        if fwd and "fwd" not in f and 2 in t:
            f["fwd"] = t[2]
        if not fwd and "rev" not in f and 4 in t:
            f["rev"] = t[4]
    for (proto, _, _), f in flows.items():
        print(f"{ {6: 'tcp', 17: 'udp'}.get(proto, proto)} fwd={ctx(f.get('fwd'))} "
              f"rev={ctx(f.get('rev'))}")


def payloads(path, wp1, wp2, trailer):
    flows = {}
    for p in packets(path):
        if IP not in p or UDP not in p[IP] or {p[IP].src, p[IP].dst} != {wp1, wp2}:
            continue
        ip, l4 = p[IP], p[IP][UDP]
        data = raw(l4.payload)
        if trailer:
            data = data[:-trailer]
        if data.startswith(COOKIE) and len(data) >= 12:
            hl, pl = ((data[8] & 0x0F) << 8) | data[9], (data[10] << 8) | data[11]
            data = data[hl + pl:]
        fwd = ip.src == wp1
        key = (l4.sport, l4.dport) if fwd else (l4.dport, l4.sport)
        flows.setdefault(key, {"fwd": [], "rev": []})["fwd" if fwd else "rev"].append(
            data.decode("latin-1"))
    for (a, b), f in flows.items():
        print(f"udp {a}-{b} fwd={'|'.join(f['fwd'])} rev={'|'.join(f['rev'])}")


def security_ids(path):
    for p in packets(path):
        if IP not in p or (UDP not in p[IP] and TCP not in p[IP]):
            continue
        l4 = p[IP][UDP] if UDP in p[IP] else p[IP][TCP]
        data = raw(l4.payload)
        if not data.startswith(COOKIE) or len(data) < 12:
            continue
        hl, at = ((data[8] & 0x0F) << 8) | data[9], 12
        while at + 4 <= hl and at + 4 <= len(data):  # the header section only
            t, n = (data[at] << 8) | data[at + 1], (data[at + 2] << 8) | data[at + 3]
            if t == 16 and n == 4:
                print(int.from_bytes(data[at + 4:at + 8], "big"))
            at += 4 + n


def icmp_messages(path, wp1, wp2, trailer):
    plain = 0
    for p in packets(path):
        ip = p[IP]
        if ip.proto == 1:
            plain += 1
            continue
        if UDP not in ip or {ip.src, ip.dst} != {wp1, wp2}:
            continue
        data = raw(ip[UDP].payload)
        if trailer:
            data = data[:-trailer]
        if not data.startswith(COOKIE) or len(data) < 12:
            continue
        hl, pl = ((data[8] & 0x0F) << 8) | data[9], (data[10] << 8) | data[11]
        head, at = {}, 12
        while at + 4 <= hl:
            t, n = (data[at] << 8) | data[at + 1], (data[at + 2] << 8) | data[at + 3]
            head[t] = data[at + 4:at + 4 + n]
            at += 4 + n
        if 20 not in head:
            continue
        icmp = data[hl + pl:]
        s = sum((icmp[i] << 8) | (icmp[i + 1] if i + 1 < len(icmp) else 0)
                for i in range(0, len(icmp), 2))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        q = icmp[8:]
        qhl = (q[0] & 0x0F) * 4
        ql4 = q[qhl:]
        print(f"icmp_msg {ip.src}:{ip[UDP].sport}>{ip.dst}:{ip[UDP].dport} "
              f"loc={socket.inet_ntoa(head[20])} type={icmp[0]} code={icmp[1]} "
              f"cksum={'ok' if s == 0xFFFF else 'bad'} "
              f"quoted={socket.inet_ntoa(q[12:16])}:{(ql4[0] << 8) | ql4[1]}>"
              f"{socket.inet_ntoa(q[16:20])}:{(ql4[2] << 8) | ql4[3]}/{q[9]} len={len(icmp)}")
    print(f"plain_icmp={plain}")


def main(argv):
    if argv and argv[0] == "--icmp":
        icmp_messages(*argv[1:4], int(argv[4]))
        return
    if argv and argv[0] == "--contexts":
        contexts(*argv[1:4])
        return
    if argv and argv[0] == "--security-id":
        security_ids(argv[1])
        return
    if argv and argv[0] == "--payloads":
        payloads(*argv[1:4], int(argv[4]))
        return
    path, wp1, wp2 = argv[:3]
    secrets = [secret_bytes(s) for s in argv[3:]]
    bad_addr = leaked = 0
    flows = {}
    for p in packets(path):
        ip = p[IP]
        if {ip.src, ip.dst} != {wp1, wp2}:
            bad_addr += 1
            continue
        leaked += any(s in raw(ip) for s in secrets)
        if UDP not in ip and TCP not in ip:
            continue
        l4 = ip[UDP] if UDP in ip else ip[TCP]
        fwd = ip.src == wp1
        key = (ip.proto,) + ((l4.sport, l4.dport) if fwd else (l4.dport, l4.sport))
        flow = flows.setdefault(key, {"fwd": [], "rev": []})
        flow["fwd" if fwd else "rev"].append(raw(l4.payload).startswith(COOKIE))
    print(f"bad_addr={bad_addr} leaked={leaked}")
    for (proto, a, b), f in flows.items():
        md = {d: [i for i, m in enumerate(f[d]) if m] for d in ("fwd", "rev")}
        print(f"{ {6: 'tcp', 17: 'udp'}.get(proto, proto)} {a}-{b} fwd={len(f['fwd'])} "
              f"fwd_md={md['fwd']} rev={len(f['rev'])} rev_md={md['rev']}")


if __name__ == "__main__":
    main(sys.argv[1:])
