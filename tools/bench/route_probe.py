#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Probes of the route mirror for tools/bench/routes (standard library only).

  route_probe.py change --socket CTLSOCK --dev IFNAME --via GATEWAY [--count 20]
                        [--first 100.64.0.0]
      How long one kernel route change takes to reach the dataplane's FIB. Run inside the
      router's kernel namespace (ip netns exec NS ...): adds a /24 route over netlink, as a
      routing daemon would, and polls the dataplane's control socket until the route mirror
      counts it (it is published to the workers in the same main-lcore turn); then deletes it
      the same way. Each add and each delete is a sample. Its requests (every ms) wake the
      dataplane's main loop, which otherwise sleeps up to 2 ms between turns when idle: a
      change that arrives then waits that much longer. Prints route_change_to_fib_ms_p50=,
      route_change_to_fib_ms_max= and samples=; exit 1 when a change is not seen within 5 s.

  route_probe.py wait --socket CTLSOCK --installed N --since-ns T [--timeout 300]
      Polls every 10 ms until the FIB holds N kernel routes; prints the seconds since T (a
      CLOCK_REALTIME time in ns, as date +%s%N gives it); exit 1 on timeout.
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
    ans = ctlsock.request(sock, {"cmd": "kernel-routes", "list": False})
    return ans["data"][key]


def wait_count(sock, key, above, deadline):
    while time.perf_counter() < deadline:
        if counter(sock, key) > above:
            return True
        time.sleep(0.001)
    return False


def wait(a):
    deadline = time.time() + a.timeout
    have = None
    while time.time() < deadline:
        have = counter(a.socket, "installed")
        if have == a.installed:
            print(f"{(time.time_ns() - a.since_ns) / 1e9:.2f}")
            return 0
        time.sleep(0.01)
    print(f"route_probe: the FIB holds {have} kernel routes after {a.timeout} s, not "
          f"{a.installed}", file=sys.stderr)
    return 1


def change(a):
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
                print(f"route_probe: {prefix} never reached the dataplane ({key})",
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("change")
    c.add_argument("--socket", required=True, help="the dataplane's control socket")
    c.add_argument("--dev", required=True, help="the twin (or stand-in) the routes leave by")
    c.add_argument("--via", required=True, help="their gateway")
    c.add_argument("--count", type=int, default=20, help="adds (and as many deletes)")
    c.add_argument("--first", default="100.64.0.0", help="the first /24 (isolated namespace)")
    w = sub.add_parser("wait")
    w.add_argument("--socket", required=True)
    w.add_argument("--installed", type=int, required=True)
    w.add_argument("--since-ns", type=int, required=True)
    w.add_argument("--timeout", type=float, default=300)
    a = p.parse_args()
    return change(a) if a.what == "change" else wait(a)


if __name__ == "__main__":
    sys.exit(main())
