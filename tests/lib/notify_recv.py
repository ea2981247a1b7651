#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""systemd's side of sd_notify(3) for the tests: binds a datagram socket (a path, or "@name"
for an abstract one) and writes every line of every datagram to OUT as it arrives (one
VAR=VALUE a line, in arrival order), until killed.

Usage: notify_recv.py SOCKET OUT
"""
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + path[1:] if path.startswith("@") else path)
    with open(out, "a", encoding="utf-8") as f:
        while True:
            data = s.recv(65536)
            for line in data.decode("utf-8", "replace").split("\n"):
                if line:
                    f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


if __name__ == "__main__":
    main()
