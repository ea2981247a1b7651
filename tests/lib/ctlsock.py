#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Minimal client for the svr-dataplane control socket (include/svr/ctlsock.h).

Usage: ctlsock.py [--timeout S] [--data] SOCKET COMMAND|REQUEST-JSON

Sends {"cmd": COMMAND}\\n and prints the one-line JSON answer.  With --data,
prints only the "data" member (pretty-printed).
Exit status: 0 answer with "ok": true, 1 answer with "ok": false,
2 cannot connect / no answer / not JSON.

Used by tests/lib/netns.sh to wait for a router to come up without
depending on svrctl, and as a fallback when svrctl is not built.
"""
import json
import socket
import sys


def request(path, cmd, timeout=2.0):
    """One request (a command name, or a whole request object); returns the decoded answer (a
    dict with "ok"). Raises OSError or ValueError."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        req = cmd if isinstance(cmd, dict) else {"cmd": cmd}
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    ans = json.loads(buf)
    if not isinstance(ans, dict) or "ok" not in ans:
        raise ValueError(f"answer has no \"ok\": {buf[:200]!r}")
    return ans


def main(argv):
    timeout = 2.0
    data_only = False
    args = []
    it = iter(argv)
    for a in it:
        if a == "--timeout":
            timeout = float(next(it))
        elif a == "--data":
            data_only = True
        else:
            args.append(a)
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path, cmd = args
    if cmd.startswith("{"):  # a whole request object, e.g. '{"cmd":"sessions","limit":1}'
        try:
            cmd = json.loads(cmd)
        except ValueError as e:
            print(f"ctlsock: the request is not JSON: {e}", file=sys.stderr)
            return 2
    try:
        ans = request(path, cmd, timeout)
    except OSError as e:
        print(f"ctlsock: {path}: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"ctlsock: {path}: not a valid answer: {e}", file=sys.stderr)
        return 2
    if data_only and ans.get("ok"):
        print(json.dumps(ans.get("data"), indent=2))
    else:
        print(json.dumps(ans))
    return 0 if ans.get("ok") is True else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
