#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic for tests/e2e/test_kernel_twins, run inside a namespace (ip netns exec).

  serve ADDR PORT...        accept TCP on each PORT of ADDR ("::" for both families), greet
                            each connection with "ktw-hello PORT\\n" and close it; runs until
                            killed (its pid is the caller's to stop)
  hello ADDR PORT TIMEOUT   connect (ADDR may be fe80::X%IF), print the greeting; exit 1 when
                            nothing came in TIMEOUT s
  synflood ADDR PORT SECS   TCP SYNs from random ports to ADDR:PORT for SECS seconds (a raw
                            socket); prints how many were sent
  ospf GROUP                one OSPF (protocol 89) hello-sized packet to GROUP (224.0.0.5)
  bootp                     one UDP datagram to 255.255.255.255:68 (as a DHCP server answers)
"""
import os
import random
import socket
import struct
import sys
import time


def serve(addr, ports):
    socks = []
    for p in ports:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, int(p)))
        s.listen(64)
        socks.append((s, p))
    import select
    while True:
        ready, _, _ = select.select([s for s, _ in socks], [], [])
        for s, p in socks:
            if s in ready:
                c, _ = s.accept()
                try:
                    c.sendall(f"ktw-hello {p}\n".encode())
                finally:
                    c.close()


def hello(addr, port, timeout):
    # getaddrinfo keeps the scope of a link-local "fe80::1%IF" (a plain tuple would not)
    fam, _, _, _, sa = socket.getaddrinfo(addr, int(port), type=socket.SOCK_STREAM)[0]
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    try:
        s.connect(sa)
        data = s.recv(100)
    except OSError as e:
        print(f"no answer: {e}")
        return 1
    print(data.decode(errors="replace").strip())
    return 0 if data else 1


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def synflood(dst, port, secs):
    src = None
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect((dst, int(port)))
    src = probe.getsockname()[0]
    probe.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.setblocking(False)
    pseudo_base = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, 20)
    end = time.monotonic() + float(secs)
    sent = 0
    rnd = random.Random(os.getpid())
    while time.monotonic() < end:
        for _ in range(64):
            sport = rnd.randrange(20000, 60000)
            hdr = struct.pack("!HHIIBBHHH", sport, int(port), rnd.getrandbits(32), 0, 5 << 4,
                              0x02, 64240, 0, 0)
            c = csum(pseudo_base + hdr)
            hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
            try:
                s.sendto(hdr, (dst, 0))
                sent += 1
            except BlockingIOError:
                time.sleep(0.0005)
    print(sent)
    return 0


def ospf(group):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 89)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    # version 2, type 1 (hello), length 44; the rest zero: enough for a capture to see it
    s.sendto(struct.pack("!BBH", 2, 1, 44) + bytes(40), (group, 0))
    return 0


def bootp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.sendto(b"\x02" + bytes(239), ("255.255.255.255", 68))
    return 0


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "serve":
        return serve(a[1], a[2:])
    if a[0] == "hello":
        return hello(a[1], a[2], a[3])
    if a[0] == "synflood":
        return synflood(a[1], a[2], a[3])
    if a[0] == "ospf":
        return ospf(a[1])
    if a[0] == "bootp":
        return bootp()
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
