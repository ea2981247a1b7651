#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""How long one kernel route change takes to reach the dataplane's FIB (route_change_to_fib_ms).

Run inside the router's kernel namespace (ip netns exec NS route_change.py ...): it adds a /24
route over netlink, as a routing daemon would, and polls the dataplane's control socket until
the route mirror reports it applied (the change is published to the workers in the same main-lcore
turn that counts it); then deletes it the same way. Each add and each delete is one sample.

  route_change.py --socket CTLSOCK --dev IFNAME --via GATEWAY [--count 20] [--first 100.64.0.0]

Prints route_change_to_fib_ms_p50=, route_change_to_fib_ms_max= and samples= lines. Exit 1 when
a change is not seen within 5 s.
"""

import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/lib"))
import ctlsock  # noqa: E402

RTM_NEWROUTE, RTM_DELROUTE = 24, 25
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
RT_TABLE_MAIN, RTPROT_BGP, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 186, 0, 1
NLMSG_ERROR = 2


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def route_msg(kind, seq, prefix, gateway, oif):
    flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_CREATE | NLM_F_EXCL if kind == RTM_NEWROUTE else 0)
    body = struct.pack("BBBBBBBBI", socket.AF_INET, prefix.prefixlen, 0, 0, RT_TABLE_MAIN,
                       RTPROT_BGP, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
    body += attr(RTA_DST, prefix.network_address.packed)
    body += attr(RTA_GATEWAY, gateway.packed)
    body += attr(RTA_OIF, struct.pack("i", oif))
    return struct.pack("IHHII", 16 + len(body), kind, flags, seq, 0) + body


def send(nl, msg):
    nl.send(msg)
    reply = nl.recv(65536)
    _, kind, _, _, _ = struct.unpack("IHHII", reply[:16])
    err = struct.unpack("i", reply[16:20])[0] if kind == NLMSG_ERROR else 0
    if err:
        raise OSError(-err, os.strerror(-err))


def counter(sock, key):
    ans = ctlsock.request(sock, {"cmd": "kernel-routes"})
    return ans["data"][key]


def wait_count(sock, key, above, deadline):
    while time.perf_counter() < deadline:
        if counter(sock, key) > above:
            return True
        time.sleep(0.0002)
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--socket", required=True, help="the dataplane's control socket")
    p.add_argument("--dev", required=True, help="the twin (or stand-in) the routes leave by")
    p.add_argument("--via", required=True, help="their gateway")
    p.add_argument("--count", type=int, default=20, help="adds (and as many deletes)")
    p.add_argument("--first", default="100.64.0.0", help="the first /24 (isolated namespace)")
    a = p.parse_args()
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    nl.bind((0, 0))
    oif = socket.if_nametoindex(a.dev)
    gw = ipaddress.IPv4Address(a.via)
    first = int(ipaddress.IPv4Address(a.first))
    samples = []
    for i in range(a.count):
        prefix = ipaddress.IPv4Network((first + (i << 8), 24))
        for kind, key in ((RTM_NEWROUTE, "adds"), (RTM_DELROUTE, "deletes")):
            before = counter(a.socket, key)
            t0 = time.perf_counter()
            send(nl, route_msg(kind, 2 * i + (kind == RTM_DELROUTE), prefix, gw, oif))
            if not wait_count(a.socket, key, before, t0 + 5):
                print(f"route_change: {prefix} never reached the dataplane ({key})",
                      file=sys.stderr)
                return 1
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    n = len(samples)
    p50 = samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2
    print(f"route_change_to_fib_ms_p50={p50:.2f}")
    print(f"route_change_to_fib_ms_max={samples[-1]:.2f}")
    print(f"samples={n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
