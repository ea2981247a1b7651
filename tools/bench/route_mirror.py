#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The route mirror without a dataplane (docs/routing.md, "The route mirror (svr-control)"):
svr-control --kernel-netns follows a throwaway namespace into its route ring, this script takes
the ring's changes as fast as it can (moving the tail, as a consumer that keeps up), and
svr-bench-route-load puts N IPv4 /24 routes into the namespace and takes them out again.

Prints name=value lines (progress and errors on stderr):
  route_mirror_kernel_load_s    the loader's own time: the kernel alone (the baseline)
  route_mirror_ring_load_s      from the loader's start until the ring had all N changes
  route_mirror_listing_s        a full listing of the N routes (the consumer asked), svr-control's
                                own figure from its log
  route_mirror_kernel_delete_s, route_mirror_ring_delete_s   the same for deleting them

Usage: tools/bench/route_mirror.py BUILD_DIR [N] (root; default N 1000000). The prefixes are
the loader's default (10.0.0.0/24 onwards): routes of an isolated namespace that send nothing.
Exit 0, or 1 when a figure could not be taken."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
import routering  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
CTL = os.path.join(BUILD, "src", "control", "svr-control")
LOADER = os.path.join(BUILD, "tools", "bench", "svr-bench-route-load")
NS = "svr-brm-%d" % os.getpid()
INST = "brm%d" % os.getpid()
tmp = tempfile.mkdtemp(prefix="svr-brm.")
procs = []


def cleanup(*_):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    for suffix in ("routes", "policy"):
        try:
            os.unlink("/dev/shm/svr-%s-%s" % (INST, suffix))
        except FileNotFoundError:
            pass
    shutil.rmtree(tmp, ignore_errors=True)


def on_signal(sig, _):
    cleanup()
    sys.exit(128 + sig)


class Taker(threading.Thread):
    """Moves the ring's tail to its head, counting what it took."""

    def __init__(self, ring):
        super().__init__(daemon=True)
        self.ring, self.taken, self.stop = ring, 0, False

    def run(self):
        while not self.stop:
            n = self.ring.count_pending()
            if n:
                self.ring.skip(n)
                self.taken += n
            else:
                time.sleep(0.0002)


def load(taker, delete):
    """(the loader's seconds, seconds until the ring had N more changes), or Nones."""
    start, t0 = taker.taken, time.monotonic()
    r = subprocess.run(["ip", "netns", "exec", NS, LOADER, "--count", str(N), "--dev", "lan",
                        "--via", "198.18.0.2"] + (["--delete"] if delete else []),
                       capture_output=True, text=True)
    m = re.search(r"seconds=([0-9.]+) errors=0", r.stdout)
    if r.returncode != 0 or not m:
        print("route_mirror: loader: %s %s" % (r.stdout, r.stderr), file=sys.stderr)
        return None, None
    while taker.taken - start < N and time.monotonic() - t0 < 120:
        time.sleep(0.001)
    return float(m.group(1)), (time.monotonic() - t0 if taker.taken - start >= N else None)


def main():
    if os.geteuid() != 0 or not os.access(CTL, os.X_OK) or not os.access(LOADER, os.X_OK):
        print("route_mirror: needs root, %s and %s" % (CTL, LOADER), file=sys.stderr)
        return 1
    subprocess.run(["ip", "netns", "add", NS], check=True)
    for cmd in ("link add lan type veth peer name lanp", "link set lan up", "link set lanp up",
                "addr add 198.18.0.1/24 dev lan"):
        subprocess.run(["ip", "-n", NS] + cmd.split(), check=True)
    model = os.path.join(tmp, "model.json")
    with open(model, "w") as f:
        json.dump({"model-version": 1, "authority": {"name": "bench", "routers": [
            {"name": "r1", "interfaces": []}]}}, f)
    logpath = os.path.join(tmp, "svr-control.log")
    log = open(logpath, "w")
    procs.append(subprocess.Popen([CTL, "--router", "r1", "--instance", INST, "--model", model,
                                   "--state-dir", os.path.join(tmp, "state"), "--listen",
                                   "none", "--kernel-netns", NS],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    end = time.monotonic() + 10
    while "full listing (start)" not in open(logpath).read() and time.monotonic() < end:
        time.sleep(0.01)
    taker = Taker(routering.Ring(INST))
    taker.start()
    figures = {}
    figures["route_mirror_kernel_load_s"], figures["route_mirror_ring_load_s"] = load(taker,
                                                                                    False)
    routering.Ring(INST).ask_resync()
    pat = re.compile(r"full listing \(asked by the dataplane\): (\d+) routes read in (\d+) ms")
    end = time.monotonic() + 60
    while not pat.search(open(logpath).read()) and time.monotonic() < end:
        time.sleep(0.01)
    m = pat.search(open(logpath).read())
    figures["route_mirror_listing_s"] = int(m.group(2)) / 1000 if m and int(m.group(1)) >= N \
        else None
    figures["route_mirror_kernel_delete_s"], figures["route_mirror_ring_delete_s"] = load(
        taker, True)
    taker.stop = True
    for name, v in figures.items():
        if v is None:
            print("route_mirror: no %s" % name, file=sys.stderr)
        else:
            print("%s=%.3f" % (name, v))
    return 0 if all(v is not None for v in figures.values()) else 1


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
try:
    rc = main()
finally:
    cleanup()
sys.exit(rc)
