#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a WAN capture between two SVR routers shows (tests/lib/svr2.sh).

Usage: svr_wan.py PCAP WP1 WP2 [SECRET_ADDR_OR_TEXT...]
Prints "bad_addr=N leaked=N" (packets not between the waypoints; packets whose bytes contain a
secret: an IPv4 address or a text), then one line per flow: "<proto> <wp1 port>-<wp2 port>
fwd=N fwd_md=[indices] rev=N rev_md=[indices]" (which packets of each direction carry the
metadata cookie right after the transport header).
"""
import socket
import sys

from scapy.all import IP, TCP, UDP, raw, rdpcap

COOKIE = bytes.fromhex("4c48dbc6ddf6670c")


def secret_bytes(s):
    try:
        return socket.inet_aton(s)
    except OSError:
        return s.encode()


def main(argv):
    path, wp1, wp2 = argv[:3]
    secrets = [secret_bytes(s) for s in argv[3:]]
    bad_addr = leaked = 0
    flows = {}
    for p in rdpcap(path):
        if IP not in p:
            continue
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
