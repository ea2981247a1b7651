# SPDX-License-Identifier: BSD-3-Clause
"""
Packet tests: run the real svr-dataplane on net_pcap ports, feed it input pcaps,
read the output pcaps back and check them field by field.

A test script builds a Router (ports, interfaces, routes, neighbours), gives each
port the frames it receives, calls run(), and checks the Result with a Check:

    r = Router("arp")
    p_in = r.port(frames)                    # DPDK port 0, rx = frames
    r.iface("in", p_in, MAC_IN, ["198.18.0.1/24"])
    res = r.run()                            # start, wait until consumed, stop
    c = Check("arp")
    c.eq(res.out[p_in][0][ARP].op, 2, "ARP reply op")
    c.drops(res, {"arp-not-ours": 1})        # every other drop reason must be 0
    c.done()                                 # exit 0 pass / 1 fail

Environment: SVR_BUILD (build directory with svr-dataplane; tests/run-all passes the
ASan build), SVR_PCAP_KEEP=1 keeps the temporary directory (pcaps, config, log).
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "pktgen"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
import ctlsock  # noqa: E402

import logging  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import PcapWriter, raw, rdpcap  # noqa: E402
from scapy.layers.inet import IP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

SKIP = 77


def _on_sigterm(signum, frame):
    # tests/run-all's timeout sends SIGTERM: unwind so that Router.run() stops the dataplane and
    # removes its temporary and DPDK runtime directories.
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_sigterm)


def skip(reason):
    print(reason)
    sys.exit(SKIP)


def build_dir():
    b = os.environ.get("SVR_BUILD")
    if not b:
        skip("SVR_BUILD is not set (the meson build directory to test)")
    b = os.path.abspath(b)
    exe = os.path.join(b, "src", "dataplane", "svr-dataplane")
    if not os.access(exe, os.X_OK):
        skip(f"no svr-dataplane in {b}")
    return b


# --------------------------------------------------------------------------------------------
# Control socket


def ctl(sock_path, cmd, timeout=2.0):
    """One request on the dataplane control socket; returns "data" or raises."""
    reply = ctlsock.request(sock_path, cmd, timeout)
    if not reply.get("ok"):
        raise RuntimeError(f"control socket: {cmd}: {reply.get('error')}")
    return reply["data"]


def _progress(stats):
    """The part of "stats" that changes only when packets move (not idle polls)."""
    return (stats["totals"], stats["drops"], stats["events"])


# --------------------------------------------------------------------------------------------
# Router


class RouterError(Exception):
    pass


def _pcap_frames(path):
    """The number of records of a pcap file (read by their headers: fast for large files)."""
    n = 0
    with open(path, "rb") as f:
        magic = f.read(24)[:4]
        order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        while True:
            hdr = f.read(16)
            if len(hdr) < 16:
                return n
            f.seek(struct.unpack(order + "I", hdr[8:12])[0], 1)
            n += 1


class Result:
    def __init__(self):
        self.out = {}  # port index -> [Ether]
        self.stats = None
        self.neighbors = None
        self.sessions = None  # every live session when the run ended ("sessions" command)
        self.out_frames = {}  # port index -> number of frames sent
        self.ctl = {}  # control socket command -> its answer at the end (run's ctl_at_end)
        self.session_summary = None
        self.log = ""
        self.rc = None
        self.tmpdir = None

    def drop(self, name):
        return self.stats["drops"][name]

    def event(self, name):
        return self.stats["events"][name]

    def total(self, name):
        return self.stats["totals"][name]


ALLOW_ALL = {
    "name": "any",
    "addresses": ["0.0.0.0/0", "::/0"],
    "access": [{"source": {"prefix": "0.0.0.0/0"}, "permission": "allow"},
               {"source": {"prefix": "::/0"}, "permission": "allow"}],
}


class Router:
    """One svr-dataplane process on net_pcap ports."""

    def __init__(self, name):
        if not all(ch.isalnum() or ch in "-_" for ch in name):
            raise ValueError("router name: letters, digits, - and _")
        self.name = name
        self.ports = []  # [frames]
        self.ifaces = []
        self.routes = []
        self.neighbors = []
        self.conf = {}  # further top-level keys ("neighbor", "icmp", ...)
        # The intent the router enforces. Nothing passes that no service allows, so by default
        # one service admits every source to every destination (L2/L3 tests); session tests
        # set their own services, tenants, service routes and limits.
        self.services = [ALLOW_ALL]
        self.tenants = []
        self.service_routes = []
        self.limits = None
        self.host_access = None  # the router's "host-access" (None: absent, the default)
        self.extra_authority = {}  # further authority keys (service-classes, ...)
        self.peers = []  # further routers of the authority (SVR peers; not run here)
        self.sessions_capacity = 16384
        # control-socket commands sent once the dataplane answers, before the model is applied
        # and the ports start feeding (a test-clock hold, for example)
        self.ctl_at_start = []

    def port(self, rx=()):
        """Adds a net_pcap port receiving the frames rx; returns its index (DPDK port id)."""
        self.ports.append([bytes(f) for f in rx])
        return len(self.ports) - 1

    def iface(self, name, port, mac, addresses=(), vlan=0, mtu=None):
        i = {"name": name, "port": port, "mac": mac, "addresses": list(addresses)}
        if vlan:
            i["vlan"] = vlan
        if mtu is not None:
            i["mtu"] = mtu
        self.ifaces.append(i)

    def route(self, prefix, gateway, interface=None):
        r = {"prefix": prefix, "gateway": gateway}
        if interface:
            r["interface"] = interface
        self.routes.append(r)

    def neighbor(self, address, interface, mac):
        self.neighbors.append({"address": address, "interface": interface, "mac": mac})

    def _config(self, tmp, instance):
        """(startup configuration of svr-dataplane, intent model for svr-control)."""
        devices = [
            f"net_pcap{i},rx_pcap={tmp}/in{i}.pcap,tx_pcap={tmp}/out{i}.pcap"
            for i in range(len(self.ports))
        ]
        ifaces = []
        # Devices are probed in the order they first appear: keep port i = DPDK port i.
        order = sorted(self.ifaces, key=lambda x: x["port"])
        for i in order:
            d = {k: v for k, v in i.items() if k != "port"}
            d["device"] = devices[i["port"]]
            ifaces.append(d)
        used = {i["port"] for i in self.ifaces}
        if used != set(range(len(self.ports))):
            raise ValueError("every port needs at least one interface")
        cfg = {
            "instance": instance,
            "runtime-dir": f"{tmp}/run",
            "eal": {"lcores": "0-1", "memory-mb": 256},
            "mbufs": 2048,
            "sessions": {"capacity": self.sessions_capacity},
        }
        cfg.update(self.conf)
        router = {"name": "r1", "interfaces": ifaces}
        if self.routes:
            router["static-routes"] = self.routes
        if self.neighbors:
            router["static-neighbors"] = self.neighbors
        if self.service_routes:
            router["service-routes"] = self.service_routes
        if self.limits:
            router["limits"] = self.limits
        if self.host_access is not None:
            router["host-access"] = self.host_access
        authority = {"name": "pcap-test", "routers": [router] + self.peers,
                     "services": self.services}
        if self.tenants:
            authority["tenants"] = self.tenants
        authority.update(self.extra_authority)
        model = {"model-version": 1, "authority": authority}
        return cfg, model

    def run(self, until=None, timeout=30.0, settle=0.5, keep=None, details=True, ctl_at_end=()):
        """
        Starts the dataplane, waits until every input frame is received and the counters
        stay still for `settle` seconds (and, if given, until(stats) is true), stops it with
        SIGTERM and returns a Result. Raises RouterError when the process fails, times out
        or a sanitizer reports an error. With details=False (tens of thousands of frames or
        sessions) the Result has the session summary but no session list, and each port's
        number of frames sent (res.out_frames) instead of the frames. ctl_at_end: control
        socket commands whose answers, before the stop, go to res.ctl[command], in order; an
        entry (name, request, until) asks again every 50 ms until until(answer) is true (a job
        that runs in the background: sessions-clear), within the run's timeout.
        """
        build = build_dir()
        exe = os.path.join(build, "src", "dataplane", "svr-dataplane")
        if keep is None:
            keep = os.environ.get("SVR_PCAP_KEEP") == "1"
        tmp = tempfile.mkdtemp(prefix=f"svr-pcap-{self.name}-")
        instance = f"p{os.getpid()}-{self.name}"[:32]
        dpdk_dir = f"/var/run/dpdk/svr-{instance}"
        res = Result()
        res.tmpdir = tmp
        proc = None
        logf = None
        try:
            for i, frames in enumerate(self.ports):
                w = PcapWriter(f"{tmp}/in{i}.pcap", linktype=1, sync=True)
                w.write_header(None)
                for f in frames:
                    w.write(f)
                w.close()
            cfg, model = self._config(tmp, instance)
            with open(f"{tmp}/config.json", "w") as f:
                json.dump(cfg, f, indent=1)
            with open(f"{tmp}/model.json", "w") as f:
                json.dump(model, f, indent=1)
            sock = f"{tmp}/run/dataplane.sock"
            env = dict(os.environ)
            env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1"
            logf = open(f"{tmp}/dataplane.log", "w")
            proc = subprocess.Popen([exe, "-c", f"{tmp}/config.json"], stdout=logf,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
            expected_rx = sum(len(p) for p in self.ports)
            deadline = time.monotonic() + timeout
            stats = None
            while True:  # control socket up
                if proc.poll() is not None:
                    raise RouterError(f"svr-dataplane exited with {proc.returncode} at start")
                if time.monotonic() > deadline:
                    raise RouterError("control socket did not answer")
                try:
                    stats = ctl(sock, "stats")
                    break
                except (OSError, ValueError):
                    time.sleep(0.05)
            for cmd in self.ctl_at_start:
                try:
                    ctl(sock, cmd)
                except RuntimeError as e:
                    raise RouterError(f"{e} (this test needs a build with -Dtest_hooks=true, "
                                      "as build-asan is)")
            # Interfaces come from the model: svr-control compiles it and the dataplane
            # hot-plugs the pcap ports, which start feeding their frames at once.
            ctl_exe = os.path.join(build, "src", "control", "svr-control")
            r = subprocess.run([ctl_exe, "--router", "r1", "--instance", instance,
                                "--model", f"{tmp}/model.json", "--state-dir", f"{tmp}/state",
                                "--once", "--wait-ms", str(int(timeout * 1000))],
                               capture_output=True, text=True, env=env, timeout=timeout + 10)
            if r.returncode != 0:
                raise RouterError(f"svr-control --once failed ({r.returncode}):\n{r.stderr}")
            last, since = None, time.monotonic()
            while True:  # every frame received, counters still, until() true
                if proc.poll() is not None:
                    raise RouterError(f"svr-dataplane exited with {proc.returncode}")
                stats = ctl(sock, "stats")
                now = time.monotonic()
                prog = _progress(stats)
                if prog != last:
                    last, since = prog, now
                rx = stats["totals"]["rx-packets"]
                if rx > expected_rx:
                    raise RouterError(f"rx-packets {rx} > {expected_rx} frames fed")
                if (rx == expected_rx and now - since >= settle
                        and (until is None or until(stats))):
                    break
                if now > deadline:
                    raise RouterError(
                        f"timed out after {timeout}s: rx-packets {rx} of {expected_rx}"
                        + ("" if until is None else f", until() {bool(until(stats))}"))
                time.sleep(0.05)
            res.stats = stats
            res.neighbors = ctl(sock, "neighbors")
            res.sessions, cursor = [], 0
            while True:
                page = ctl(sock, {"cmd": "sessions", "limit": 1000 if details else 1,
                                  "cursor": cursor})
                res.sessions += page["sessions"]
                res.session_summary = page["summary"]
                cursor = page["next"]
                if not cursor or not details:
                    break
            # a command's name, or (a name for it, a request object or a function of the result
            # so far that gives one: e.g. a request naming a session's UUID[, until])
            for cmd in ctl_at_end:
                key, req, until_ok = _ctl_entry(cmd)
                res.ctl[key] = _ctl_until(sock, req(res) if callable(req) else req, until_ok,
                                          deadline, key)
            proc.send_signal(signal.SIGTERM)
            try:
                res.rc = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise RouterError("svr-dataplane did not stop within 20 s of SIGTERM")
            proc = None
            logf.close()
            logf = None
            with open(f"{tmp}/dataplane.log", errors="replace") as f:
                res.log = f.read()
            for i in range(len(self.ports)):
                path = f"{tmp}/out{i}.pcap"
                if not os.path.exists(path):
                    raise RouterError(f"no tx pcap for port {i}")
                if details:
                    res.out[i] = [Ether(raw(p)) for p in rdpcap(path)]
                res.out_frames[i] = _pcap_frames(path)
            return res
        except BaseException:
            if logf:
                logf.flush()
            try:
                with open(f"{tmp}/dataplane.log", errors="replace") as f:
                    res.log = f.read()
            except OSError:
                pass
            print("---- dataplane log ----\n" + res.log + "---- end of log ----")
            raise
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            if logf:
                logf.close()
            shutil.rmtree(dpdk_dir, ignore_errors=True)
            try:
                os.unlink(f"/dev/shm/svr-{instance}-policy")
            except OSError:
                pass
            if keep:
                print(f"kept {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Checks


# Checked once by Check.router_ok, not by every events() call.
POLICY_EVENTS = ("policy-images-applied", "policy-images-rejected")


class Check:
    """Collects results; every check prints one line. done() exits 0 or 1."""

    def __init__(self, name):
        self.name = name
        self.n = 0
        self.failed = []
        self.xfailed = []

    def _report(self, ok, what, detail, xfail=None):
        self.n += 1
        if ok:
            if xfail:
                print(f"XPASS {what} (expected to fail: {xfail}; remove the FIXME)")
                self.failed.append(what + " (unexpected pass)")
            else:
                print(f"ok    {what}")
        elif xfail:
            print(f"XFAIL {what}: {detail}  [FIXME: {xfail}]")
            self.xfailed.append(what)
        else:
            print(f"FAIL  {what}: {detail}")
            self.failed.append(what)
        return ok

    def true(self, cond, what, detail="", xfail=None):
        return self._report(bool(cond), what, detail or "condition false", xfail)

    def eq(self, got, want, what, xfail=None):
        return self._report(got == want, what, f"got {got!r}, want {want!r}", xfail)

    def router_ok(self, res):
        """Clean exit and no sanitizer report in the dataplane log."""
        self.eq(res.rc, 0, "svr-dataplane exit status after SIGTERM")
        bad = [ln for ln in res.log.splitlines()
               if "ERROR: AddressSanitizer" in ln or "runtime error:" in ln
               or "ERROR: LeakSanitizer" in ln]
        if not self.true(not bad, "no sanitizer report in the dataplane log",
                         "; ".join(bad[:5])):
            print("---- dataplane log ----\n" + res.log + "---- end of log ----")
        ev = res.stats["events"]
        self.eq((ev["policy-images-applied"], ev["policy-images-rejected"]), (1, 0),
                "the model arrived as one policy image, applied")

    def drops(self, res, want, what="drop counters", xfail=None):
        """want: {reason: n}; every reason not named must be 0. xfail: {reason: FIXME text}
        for counters known to be wrong (the total is then expected to fail too)."""
        xfail = xfail or {}
        got = res.stats["drops"]
        for k in list(want) + list(xfail):
            if k not in got:
                raise KeyError(f"unknown drop reason {k!r}")
        for k in sorted(got):
            self.eq(got[k], want.get(k, 0), f"{what}: {k}", xfail=xfail.get(k))
        self.eq(res.stats["totals"]["dropped"], sum(want.values()), f"{what}: total dropped",
                xfail="; ".join(sorted(set(xfail.values()))) or None)

    def events(self, res, want, ignore=(), xfail=None):
        """want: {event: n}; every event not named (nor ignored) must be 0."""
        xfail = xfail or {}
        got = res.stats["events"]
        for k in list(want) + list(xfail):
            if k not in got:
                raise KeyError(f"unknown event {k!r}")
        for k in sorted(got):
            if k in ignore or k in POLICY_EVENTS:
                continue
            self.eq(got[k], want.get(k, 0), f"event {k}", xfail=xfail.get(k))

    def totals(self, res, xfail=None, **want):
        """totals(res, rx_packets=3, forwarded=2): names with '_' for '-'."""
        xfail = xfail or {}
        for k, v in want.items():
            name = k.replace("_", "-")
            self.eq(res.stats["totals"][name], v, f"totals {name}", xfail=xfail.get(name))

    def count(self, pkts, n, what, xfail=None):
        ok = self.eq(len(pkts), n, f"{what}: number of frames", xfail=xfail)
        if not ok and not xfail:
            for p in pkts[:10]:
                print("      " + p.summary())
        return ok

    def done(self):
        print(f"{self.name}: {self.n} checks, {len(self.failed)} failed"
              + (f", {len(self.xfailed)} expected failures (FIXME)" if self.xfailed else ""))
        if self.failed:
            for f in self.failed:
                print(f"  failed: {f}")
            sys.exit(1)
        sys.exit(0)


def _ctl_entry(cmd):
    """A ctl_at_end entry as (name, request, until)."""
    if not isinstance(cmd, tuple):
        return cmd, cmd, None
    return cmd if len(cmd) == 3 else (cmd[0], cmd[1], None)


def _ctl_until(sock, req, until_ok, deadline, key):
    """The answer to req, asked again every 50 ms until until_ok(answer) (None: at once)."""
    while True:
        ans = ctl(sock, req)
        if until_ok is None or until_ok(ans):
            return ans
        if time.monotonic() > deadline:
            raise RouterError(f"ctl_at_end {key}: timed out waiting, last answer {ans}")
        time.sleep(0.05)


def why_request(proto, src, dst, dport, sport=40000, iface="in"):
    """The control socket's "why" for a first packet (docs/telemetry.md "Why"), for ctl_at_end."""
    return {"cmd": "why", "protocol": proto, "source": src, "destination": dst,
            "destination-port": dport, "source-port": sport, "interface": iface}


def run_or_fail(router, check, **kw):
    """router.run(), turning a RouterError into a failed check and exit 1."""
    try:
        return router.run(**kw)
    except RouterError as e:
        check.true(False, f"run {router.name}", str(e))
        check.done()


# --------------------------------------------------------------------------------------------
# Packet helpers


def recomputed(pkt, layer, field):
    """(value in the packet, value scapy computes) for a checksum field of layer."""
    base = pkt[IP] if IP in pkt else pkt[IPv6]
    p = base.__class__(raw(base))
    got = getattr(p[layer], field)
    delattr(p[layer], field)
    want = getattr(base.__class__(raw(p))[layer], field)
    return got, want


def check_cksum(c, pkt, layer, field, what):
    got, want = recomputed(pkt, layer, field)
    return c.eq(f"0x{got:04x}", f"0x{want:04x}", f"{what}: {layer.__name__}.{field} correct")


def where(pkts, pred):
    """Frames of pkts for which pred(frame) is true (exceptions count as false)."""
    out = []
    for p in pkts:
        try:
            if pred(p):
                out.append(p)
        except (AttributeError, IndexError, TypeError):
            pass
    return out


def hexdiff(a, b):
    a, b = bytes(a), bytes(b)
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b) or a[i] != b[i]:
            return f"first difference at byte {i} (lengths {len(a)}, {len(b)})"
    return "identical"


def same_bytes(c, got, want, what):
    return c.true(bytes(got) == bytes(want), f"{what}: frame bytes as expected",
                  hexdiff(got, want))


# --------------------------------------------------------------------------------------------
# Standard topology (tools/pktgen/pcap_cases.py) and expected outputs

import pcap_cases as pc  # noqa: E402


def standard_router(name, rx_in=(), rx_out=(), mtu_out=None):
    """Port 0 "in", port 1 "out", routes to 198.18.1.0/24 and 2001:db8:99::/48 via the gateway
    on "out", which is a static neighbour for IPv4 and IPv6."""
    r = Router(name)
    p_in = r.port(rx_in)
    p_out = r.port(rx_out)
    r.iface("in", p_in, pc.MAC_IN, [pc.NET_IN, pc.NET6_IN])
    r.iface("out", p_out, pc.MAC_OUT, [pc.NET_OUT, pc.NET6_OUT], mtu=mtu_out)
    r.route(pc.ROUTE4, pc.GW4)
    r.route(pc.ROUTE6, pc.GW6)
    r.neighbor(pc.GW4, "out", pc.MAC_GW)
    r.neighbor(pc.GW6, "out", pc.MAC_GW)
    return r


def l3_bytes(frame):
    """The bytes after the Ethernet header and any 802.1Q tags (padding included)."""
    b = bytes(frame)
    off = 12
    while b[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    return b[off:off + 2], b[off + 2:]


def expected_forward(frame, src_mac, dst_mac, vlan=0):
    """What a router forwarding frame must send: new MACs, tag as the egress wants, TTL or
    hop limit one less, IPv4 checksum as scapy computes it; everything else unchanged."""
    etype, l3 = l3_bytes(frame)
    if etype == b"\x08\x00":
        ip = IP(l3)
        ip.ttl -= 1
        del ip.chksum
        l3 = raw(ip)
    elif etype == b"\x86\xdd":
        ip = IPv6(l3)
        ip.hlim -= 1
        l3 = raw(ip)
    else:
        raise ValueError("not IP")
    hdr = bytes.fromhex(dst_mac.replace(":", "") + src_mac.replace(":", ""))
    if vlan:
        hdr += b"\x81\x00" + struct.pack("!H", vlan)
    return hdr + etype + l3

