# SPDX-License-Identifier: BSD-3-Clause
"""The consumer's end of an instance's route ring (src/common/routering.h), for tests and
benchmarks that read what svr-control writes without a dataplane: /dev/shm/svr-INSTANCE-routes
mapped, changes taken from its tail as the dataplane would take them."""

import mmap
import os
import socket
import struct

MAGIC, VERSION = 0x53565252, 2
HEAD, TAIL, ASKED, SLOTS = 64, 128, 136, 192  # offsets in struct svr_route_ring
CHANGE = struct.Struct("<BBBBIII16s16s16s")     # struct svr_route_change, 64 bytes
OPS = {1: "ADD", 2: "DEL", 3: "SYNC_BEGIN", 4: "SYNC_END"}


class Change:
    def __init__(self, raw):
        (op, self.family, self.len, self.proto, self.table, self.ifindex, self.metric,
         prefix, gateway, ifname) = CHANGE.unpack(raw)
        self.op = OPS.get(op, "op%d" % op)
        fam = socket.AF_INET if self.family == 4 else socket.AF_INET6
        n = 4 if self.family == 4 else 16
        self.prefix = socket.inet_ntop(fam, prefix[:n]) if self.family in (4, 6) else ""
        self.gateway = (socket.inet_ntop(fam, gateway[:n])
                        if self.family in (4, 6) and any(gateway) else "")
        self.ifname = ifname.split(b"\0", 1)[0].decode(errors="replace")

    def __repr__(self):
        if self.op.startswith("SYNC"):
            return self.op
        return "%s %s/%d table %d via %s dev %s proto %d metric %d" % (
            self.op, self.prefix, self.len, self.table, self.gateway or "-",
            self.ifname or "?", self.proto, self.metric)


class Ring:
    def __init__(self, instance):
        self.path = "/dev/shm/svr-%s-routes" % instance
        fd = os.open(self.path, os.O_RDWR)
        try:
            self.m = mmap.mmap(fd, 0)
        finally:
            os.close(fd)
        magic, version, self.capacity = struct.unpack_from("<III", self.m, 0)
        if magic != MAGIC or version != VERSION:
            raise ValueError("%s: not a route ring of version %d" % (self.path, VERSION))

    def _u64(self, off):
        return struct.unpack_from("<Q", self.m, off)[0]

    def take(self, limit=1 << 20):
        """The changes written since the last take, at most limit; the tail moves past them."""
        tail, head = self._u64(TAIL), self._u64(HEAD)
        n = min(head - tail, limit)
        out = []
        for i in range(n):
            at = SLOTS + ((tail + i) % self.capacity) * CHANGE.size
            out.append(Change(self.m[at:at + CHANGE.size]))
        struct.pack_into("<Q", self.m, TAIL, tail + n)
        return out

    def count_pending(self):
        return self._u64(HEAD) - self._u64(TAIL)

    def skip(self, n):
        """Moves the tail n changes on without reading them (fast, for benchmarks)."""
        struct.pack_into("<Q", self.m, TAIL, self._u64(TAIL) + n)

    def ask_resync(self):
        struct.pack_into("<Q", self.m, ASKED, self._u64(ASKED) + 1)

    def close(self):
        self.m.close()
