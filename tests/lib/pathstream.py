#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A paced UDP stream that measures what a path does to it: loss, duplicates and receive gaps.

  pathstream.py recv --bind ADDR:PORT [--echo] [--gap-ms MS] [--duration S] [--until-end]
                     [--report FILE]
  pathstream.py send --to ADDR:PORT [--bind ADDR[:PORT]] --rate PPS (--duration S | --count N)
                     [--size BYTES] [--gap-ms MS] [--drain-s S] [--report FILE]

Each datagram holds a magic, the sender's random stream id, its sequence number (from 0) and its
send time (wall clock, ns), then padding up to --size. After the last one the sender sends three
END datagrams carrying how many it sent, so that a receiver run with --until-end stops by itself
(0.5 s after the first END) and knows the count even when the stream's tail was lost.

The receiver follows the first stream it hears. It counts apart, and otherwise ignores, datagrams
sent before it started ("stale": an earlier stream's, held in a queue while a link was down, say;
sender and receiver share a clock: one machine) and those of other streams ("foreign").

The receiver prints (and writes to --report) one JSON object when it stops (SIGTERM, SIGINT,
--duration, or END with --until-end):
  {"sent", "received", "unique", "duplicates", "lost", "reordered", "max_gap_ms", "gap_ms",
   "gaps": [{"from", "to", "ms", "after_seq", "next_seq"}], "missing": [[first, last], ...],
   "first", "last", "latency_ms": {"min", "p50", "max"}, "stale", "foreign"}
"sent" is the sender's count from END, or the highest sequence seen + 1 without it; "lost" is
sent - unique; "missing" lists the first 20 runs of sequence numbers never received. A gap is
the time between two consecutive arrivals (of the stream) longer than --gap-ms (default 100);
"from"/"to" are the wall-clock times (s) of those arrivals, so that a caller can find the gap
around an event it timed with `date +%s.%N`. "max_gap_ms" is the longest interval between
consecutive arrivals, whatever the threshold.

With --echo the receiver sends every datagram back to its source; the sender then reports the
echoes the same way (its "echo" object) and the round-trip times. The sender's own report:
  {"sent", "rate_pps", "duration_s", "late_max_ms", "echo": {...}|null}
"late_max_ms" is how far behind its schedule the sender fell at worst (a loaded machine): a gap
that large may be the sender's, not the path's.

Python 3 standard library only. Both sides stop cleanly on SIGTERM/SIGINT and print their report.
"""

import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

MAGIC = b"PSTR"
DATA = 0
END = 1
HEADER = struct.Struct("!4sBIQQ")  # magic, kind, stream id, sequence (or count for END), send ns

stop = False


def on_signal(_signum, _frame):
    global stop
    stop = True


def addr_port(text, default_port=None):
    host, sep, port = text.rpartition(":")
    if not sep:
        if default_port is None:
            raise argparse.ArgumentTypeError(f"'{text}': expected ADDR:PORT")
        return text, default_port
    return host, int(port)


class Tally:
    """Arrivals of one stream: unique sequences, duplicates, reordering and receive gaps."""

    def __init__(self, gap_ms):
        self.gap_s = gap_ms / 1000.0
        self.seen = bytearray()
        self.received = 0
        self.unique = 0
        self.duplicates = 0
        self.reordered = 0
        self.highest = -1
        self.first = None
        self.last = None
        self.last_seq = None
        self.max_gap = 0.0
        self.gaps = []
        self.latencies = []

    def add(self, seq, sent_ns, now):
        self.received += 1
        if seq >= len(self.seen):
            self.seen.extend(bytes(max(seq + 1 - len(self.seen), 4096)))
        if self.seen[seq]:
            self.duplicates += 1
        else:
            self.seen[seq] = 1
            self.unique += 1
        if seq < self.highest:
            self.reordered += 1
        self.highest = max(self.highest, seq)
        if self.last is not None:
            gap = now - self.last
            self.max_gap = max(self.max_gap, gap)
            if gap > self.gap_s:
                self.gaps.append({"from": round(self.last, 6), "to": round(now, 6),
                                  "ms": round(gap * 1000, 3), "after_seq": self.last_seq,
                                  "next_seq": seq})
        else:
            self.first = now
        self.last = now
        self.last_seq = seq
        self.latencies.append(now - sent_ns / 1e9)

    def missing(self, sent, limit=20):
        """The first `limit` runs of sequence numbers never received, as [first, last]."""
        runs, seq = [], 0
        while seq < sent and len(runs) < limit:
            if seq < len(self.seen) and self.seen[seq]:
                seq += 1
                continue
            start = seq
            while seq < sent and not (seq < len(self.seen) and self.seen[seq]):
                seq += 1
            runs.append([start, seq - 1])
        return runs

    def report(self, sent):
        if sent is None:
            sent = self.highest + 1
        lat = sorted(self.latencies)
        ms = (lambda v: round(v * 1000, 3))
        return {
            "sent": sent, "received": self.received, "unique": self.unique,
            "duplicates": self.duplicates, "lost": max(sent - self.unique, 0),
            "reordered": self.reordered, "max_gap_ms": ms(self.max_gap),
            "gap_ms": ms(self.gap_s), "gaps": self.gaps, "missing": self.missing(sent),
            "first": None if self.first is None else round(self.first, 6),
            "last": None if self.last is None else round(self.last, 6),
            "latency_ms": {"min": ms(lat[0]), "p50": ms(lat[len(lat) // 2]), "max": ms(lat[-1])}
            if lat else None,
        }


def parse(datagram):
    if len(datagram) < HEADER.size:
        return None
    magic, kind, stream_id, seq, sent_ns = HEADER.unpack_from(datagram)
    if magic != MAGIC or kind not in (DATA, END):
        return None
    return kind, stream_id, seq, sent_ns


def emit(report, path):
    text = json.dumps(report)
    if path:
        with open(path + ".new", "w") as f:
            f.write(text + "\n")
        os.replace(path + ".new", path)  # a reader never sees half a report
    print(text, flush=True)


def receive(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(addr_port(args.bind))
    sock.settimeout(0.05)
    tally = Tally(args.gap_ms)
    sent = None
    end_at = None
    stream_id = None
    stale = foreign = 0
    start_ns = time.time_ns()
    deadline = time.monotonic() + args.duration if args.duration else None
    while not stop:
        mono = time.monotonic()
        if (deadline and mono >= deadline) or (end_at and mono >= end_at):
            break
        try:
            datagram, source = sock.recvfrom(65535)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        now = time.time()
        msg = parse(datagram)
        if msg is None:
            continue
        kind, sid, seq, sent_ns = msg
        if sent_ns < start_ns:  # sent before we started: held somewhere, from an earlier stream
            stale += 1
            continue
        if stream_id is None:
            stream_id = sid
        elif sid != stream_id:
            foreign += 1
            continue
        if args.echo:
            try:
                sock.sendto(datagram, source)
            except OSError:
                pass
        if kind == END:
            sent = seq
            if args.until_end and end_at is None:
                end_at = time.monotonic() + 0.5  # stragglers still in flight
            continue
        tally.add(seq, sent_ns, now)
    report = tally.report(sent)
    report.update(stale=stale, foreign=foreign)
    emit(report, args.report)
    return 0


def send(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.bind:
        sock.bind(addr_port(args.bind, 0))
    sock.setblocking(False)
    dest = addr_port(args.to)
    count = args.count if args.count else int(args.rate * args.duration)
    pad = bytes(max(args.size - HEADER.size, 0))
    echo = Tally(args.gap_ms)
    interval = 1.0 / args.rate
    start = time.monotonic()
    late_max = 0.0
    sent = 0
    stream_id = int.from_bytes(os.urandom(4), "big")

    def drain():
        while True:
            try:
                datagram = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP unreachable reported on the socket
                continue
            msg = parse(datagram)
            if msg and msg[0] == DATA and msg[1] == stream_id:
                echo.add(msg[2], msg[3], time.time())

    while sent < count and not stop:
        due = start + sent * interval
        now = time.monotonic()
        if now < due:
            select.select([sock], [], [], due - now)
            drain()
            continue
        late_max = max(late_max, now - due)
        try:
            sock.sendto(HEADER.pack(MAGIC, DATA, stream_id, sent, time.time_ns()) + pad, dest)
        except (BlockingIOError, InterruptedError):
            continue  # retry this sequence number
        except OSError:
            pass  # an ICMP error reported on the socket: the datagram counts as sent
        sent += 1
        drain()
    for _ in range(3):
        try:
            sock.sendto(HEADER.pack(MAGIC, END, stream_id, sent, time.time_ns()), dest)
        except OSError:
            pass
    end = time.monotonic() + args.drain_s
    while args.drain_s and not stop and time.monotonic() < end:
        select.select([sock], [], [], max(end - time.monotonic(), 0))
        drain()
    report = {"sent": sent, "rate_pps": args.rate, "duration_s": round(time.monotonic() - start, 3),
              "late_max_ms": round(late_max * 1000, 3),
              "echo": echo.report(sent) if args.drain_s else None}
    emit(report, args.report)
    return 0


def main():
    signal.signal(signal.SIGTERM, on_signal)  # first: a stop asked for early still reports
    signal.signal(signal.SIGINT, on_signal)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv", help="receive (and optionally echo) a stream, report JSON")
    r.add_argument("--bind", required=True, help="ADDR:PORT to listen on")
    r.add_argument("--echo", action="store_true", help="send every datagram back to its source")
    r.add_argument("--gap-ms", type=float, default=100.0, help="report gaps longer than this")
    r.add_argument("--duration", type=float, default=0, help="stop after S seconds (0: never)")
    r.add_argument("--until-end", action="store_true", help="stop 0.5 s after the sender's END")
    r.add_argument("--report", help="also write the JSON report to FILE")
    s = sub.add_parser("send", help="send a paced stream, report JSON")
    s.add_argument("--to", required=True, help="ADDR:PORT of the receiver")
    s.add_argument("--bind", help="ADDR[:PORT] to send from")
    s.add_argument("--rate", type=float, required=True, help="datagrams per second")
    s.add_argument("--duration", type=float, default=0, help="seconds of stream")
    s.add_argument("--count", type=int, default=0, help="datagrams to send (instead of duration)")
    s.add_argument("--size", type=int, default=64, help="UDP payload bytes (>= 21)")
    s.add_argument("--gap-ms", type=float, default=100.0, help="report echo gaps above this")
    s.add_argument("--drain-s", type=float, default=0,
                   help="wait S seconds for echoes after the last datagram (echo mode: > 0)")
    s.add_argument("--report", help="also write the JSON report to FILE")
    args = ap.parse_args()
    if args.mode == "send" and (args.rate <= 0 or not (args.count or args.duration)):
        ap.error("send needs --rate > 0 and --count or --duration")
    return receive(args) if args.mode == "recv" else send(args)


if __name__ == "__main__":
    sys.exit(main())
