#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""DPDK telemetry client for the benchmark harness (standard library only).

  telemetry.py query SOCKET COMMAND
      print the JSON answer of one command, e.g. "/ethdev/stats,1".

  telemetry.py rate SOCKET --port P [--rx-port R] [--warmup 2] [--window 10]
                   [--start-timeout 60] [--pid PID]
      wait until port P has transmitted packets (the program is up and forwarding), warm up,
      then read P's opackets at the start and end of the window and print name=value lines:
        mpps=…  packets=…  seconds=…  [rx_mpps=…]  [tx_drop_mpps=…]
      rx_mpps is port R's ipackets over the same window (a sanity check: how much of what came
      in went out). Exits 2 if P never transmits within --start-timeout (or PID exits).

The socket is the one EAL opens at /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2 (a
SOCK_SEQPACKET socket). On connect the server sends one JSON greeting (version, pid,
max_output_len); every command then gets exactly one JSON message back.
"""

import argparse
import json
import os
import socket
import sys
import time


class Telemetry:
    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        greeting = json.loads(self.sock.recv(4096).decode())
        self.bufsize = max(int(greeting.get("max_output_len", 16384)), 16384)

    def query(self, cmd):
        self.sock.send(cmd.encode())
        raw = self.sock.recv(self.bufsize)
        if not raw:
            raise ConnectionError("telemetry socket closed")
        return json.loads(raw.decode())

    def port_stats(self, port):
        ans = self.query("/ethdev/stats,%d" % port)
        st = ans.get("/ethdev/stats")
        if not isinstance(st, dict):
            raise LookupError("no stats for port %d: %r" % (port, ans))
        return st

    def close(self):
        self.sock.close()


def alive(pid):
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by the shell) still answers kill 0.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def connect(path, deadline, pid):
    """The socket appears during EAL init; retry until it accepts or the deadline passes."""
    last = None
    while time.monotonic() < deadline:
        if not alive(pid):
            raise RuntimeError("process %d exited before its telemetry socket answered" % pid)
        if os.path.exists(path):
            try:
                return Telemetry(path)
            except (OSError, ValueError) as e:
                last = e
        time.sleep(0.1)
    raise TimeoutError("telemetry socket %s not available (%s)" % (path, last))


def rate(args):
    deadline = time.monotonic() + args.start_timeout
    try:
        t = connect(args.socket, deadline, args.pid)
        # Ports are configured after EAL init: stats fail or stay zero until forwarding starts.
        first = None
        while time.monotonic() < deadline:
            if not alive(args.pid):
                raise RuntimeError("process %d exited before forwarding" % args.pid)
            try:
                if t.port_stats(args.port)["opackets"] > 0:
                    first = time.monotonic()
                    break
            except LookupError:
                pass
            time.sleep(0.1)
        if first is None:
            rx = ""
            if args.rx_port is not None:
                try:
                    rx = " (port %d ipackets=%d)" % (args.rx_port,
                                                     t.port_stats(args.rx_port)["ipackets"])
                except (LookupError, KeyError):
                    pass
            raise TimeoutError("port %d transmitted nothing within %gs%s"
                               % (args.port, args.start_timeout, rx))
        time.sleep(args.warmup)

        def sample():
            # Timestamp taken around the query; its midpoint is when the counter was read.
            a = time.monotonic()
            tx = t.port_stats(args.port)
            rx = t.port_stats(args.rx_port) if args.rx_port is not None else None
            return (a + time.monotonic()) / 2, tx, rx

        t0, tx0, rx0 = sample()
        time.sleep(args.window)
        t1, tx1, rx1 = sample()
        t.close()
    except (OSError, RuntimeError, TimeoutError, ValueError) as e:
        print("telemetry: %s" % e, file=sys.stderr)
        return 2

    secs = t1 - t0
    pkts = tx1["opackets"] - tx0["opackets"]
    print("mpps=%.4f" % (pkts / secs / 1e6))
    print("packets=%d" % pkts)
    print("seconds=%.4f" % secs)
    print("tx_drop_mpps=%.4f" % ((tx1["oerrors"] - tx0["oerrors"]) / secs / 1e6))
    if rx0 is not None:
        print("rx_mpps=%.4f" % ((rx1["ipackets"] - rx0["ipackets"]) / secs / 1e6))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("query")
    q.add_argument("socket")
    q.add_argument("command")
    r = sub.add_parser("rate")
    r.add_argument("socket")
    r.add_argument("--port", type=int, required=True, help="sink port: opackets are counted")
    r.add_argument("--rx-port", type=int, default=None, help="source port: ipackets reported")
    r.add_argument("--warmup", type=float, default=2.0)
    r.add_argument("--window", type=float, default=10.0)
    r.add_argument("--start-timeout", type=float, default=60.0)
    r.add_argument("--pid", type=int, default=0, help="give up early if this process exits")
    args = p.parse_args()
    if args.cmd == "query":
        t = Telemetry(args.socket)
        print(json.dumps(t.query(args.command), indent=1))
        t.close()
        return 0
    return rate(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
