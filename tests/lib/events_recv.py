#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Receivers for the event stream's end-to-end test (tests/e2e/test_events).

  events_recv.py http PORT OUT      an HTTP server on 127.0.0.1:PORT; each POST appended to OUT
                                    as one JSON line {"path", "content_type", "authorization",
                                    "body"}, answered 200 (as HEC and the bulk API answer)
  events_recv.py syslog PATH OUT    a unix datagram socket at PATH; each datagram one line of OUT
  events_recv.py check-hec OUT TOKEN / check-elastic OUT INDEX
                                    every POST in OUT is in that format (exit 1 naming the first
                                    that is not); prints the events, one JSON line each
"""
import http.server
import json
import os
import socket
import sys


def json_reply(handler, status, answer):
    """Answers an http.server request with status and the JSON bytes answer."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(answer)))
    handler.end_headers()
    handler.wfile.write(answer)


def serve_http(port, out):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8", "replace")
            rec = {"path": self.path, "content_type": self.headers.get("Content-Type"),
                   "authorization": self.headers.get("Authorization"), "body": body}
            with open(out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            json_reply(self, 200, b'{"text":"Success","code":0}' if "collector" in self.path
                       else b'{"took":1,"errors":false,"items":[]}')

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def serve_syslog(path, out):
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, "a") as f:
        while True:
            d = s.recv(65536).decode("utf-8", "replace")
            f.write(d.replace("\n", " ") + "\n")
            f.flush()


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def posts(out):
    with open(out) as f:
        return [json.loads(line) for line in f if line.strip()]


def check_hec(out, token):
    events = []
    for i, p in enumerate(posts(out)):
        if p["authorization"] != "Splunk " + token:
            fail(f"POST {i}: Authorization {p['authorization']!r}")
        if not (p["content_type"] or "").startswith("application/json"):
            fail(f"POST {i}: Content-Type {p['content_type']!r}")
        for line in p["body"].splitlines():
            o = json.loads(line)
            if not isinstance(o, dict) or o.get("sourcetype") != "svrouter:event" or \
                    not isinstance(o.get("time"), (int, float)) or \
                    not isinstance(o.get("event"), dict) or "type" not in o["event"]:
                fail(f"POST {i}: not a HEC event object: {line[:200]}")
            events.append(o["event"])
    return events


def check_elastic(out, index):
    events = []
    for i, p in enumerate(posts(out)):
        if p["content_type"] != "application/x-ndjson":
            fail(f"POST {i}: Content-Type {p['content_type']!r}")
        if not p["body"].endswith("\n"):
            fail(f"POST {i}: the bulk body does not end in a newline")
        lines = p["body"].splitlines()
        if len(lines) % 2:
            fail(f"POST {i}: {len(lines)} lines, not action/document pairs")
        for a, d in zip(lines[0::2], lines[1::2]):
            action, doc = json.loads(a), json.loads(d)
            if action != {"index": {"_index": index}}:
                fail(f"POST {i}: action line {a[:200]}")
            if not isinstance(doc, dict) or "type" not in doc or \
                    doc.get("@timestamp") != doc.get("time"):
                fail(f"POST {i}: document line {d[:200]}")
            events.append(doc)
    return events


def main():
    kind = sys.argv[1]
    if kind == "http":
        serve_http(int(sys.argv[2]), sys.argv[3])
    elif kind == "syslog":
        serve_syslog(sys.argv[2], sys.argv[3])
    else:
        events = check_hec(sys.argv[2], sys.argv[3]) if kind == "check-hec" else \
            check_elastic(sys.argv[2], sys.argv[3])
        for e in events:
            print(json.dumps(e))


if __name__ == "__main__":
    main()
