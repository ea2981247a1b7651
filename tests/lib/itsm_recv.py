#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in ITSM for svr-conductor's change-control webhook (tests/e2e/test_conductor_change).

  itsm_recv.py ADDR PORT OUT [FAIL_FIRST [CERT KEY]]

An HTTP server on ADDR:PORT (HTTPS with CERT and KEY, PEM files). Each POST is appended to OUT as one JSON line {"at" (Unix time,
seconds), "status" (what it was answered), "authorization", "content_type", "body" (the parsed
JSON, or the text when it is not JSON)}; the first FAIL_FIRST POSTs (default 0) are answered
503, the rest 200. One request at a time, so the lines are in the order the POSTs came.
Python 3 standard library only; runs until SIGTERM.
"""
import http.server
import json
import signal
import ssl
import sys
import time

from events_recv import json_reply


def main():
    if len(sys.argv) not in (4, 5, 7):
        sys.exit(__doc__)
    addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    left = [int(sys.argv[4]) if len(sys.argv) >= 5 else 0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            text = self.rfile.read(n).decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            status = 503 if left[0] > 0 else 200
            left[0] -= 1
            rec = {"at": time.time(), "status": status,
                   "authorization": self.headers.get("Authorization"),
                   "content_type": self.headers.get("Content-Type"), "body": body}
            with open(out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            json_reply(self, status,
                       b'{"ok": true}' if status == 200 else b'{"error": "try later"}')

        def log_message(self, *args):
            pass

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    server = http.server.HTTPServer((addr, port), Handler)
    if len(sys.argv) == 7:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[5], sys.argv[6])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
