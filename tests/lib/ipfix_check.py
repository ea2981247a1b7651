#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks the IPFIX that tests/e2e/test_ipfix's collectors received (docs/telemetry.md "IPFIX").

A decoder of its own, written from RFC 7011 (templates with enterprise numbers, variable-length
fields), reads the UDP messages (hex, one per line, as tshark extracted them) and the TCP
collector's byte streams; it prints PASS:/FAIL: lines. Arguments: UDP_HEX_FILE TCP_FILE...
-- R1_DOMAIN R2_DOMAIN UDP_UUID TCP_UUID ICMP_UUID UDP_SESSION_JSON (R1's `show sessions` entry
of the UDP session, taken before it was cleared) LAN_INDEX (R1's lan interface number).
Exit 1 on any FAIL.
"""
import ipaddress
import json
import struct
import sys

PEN, REVERSE = 32473, 29305
START, INTERIM, END = 1, 2, 3
NAMES = {1: "uuid", 2: "kind", 3: "tenant", 4: "service", 5: "router", 6: "peer", 7: "path",
         8: "vector", 9: "rule"}
failed = False


def check(ok, what):
    global failed
    print(("PASS: " if ok else "FAIL: ") + what)
    failed |= not ok


class Session:
    """One transport session's templates (RFC 7011 §8: templates are per transport session)."""

    def __init__(self, transport):
        self.transport = transport
        self.templates = {}


def decode_record(fields, data, at):
    r = {}
    for ie, pen, length in fields:
        if length == 0xFFFF:
            length = data[at]
            at += 1
            if length == 255:
                length = struct.unpack_from("!H", data, at)[0]
                at += 2
        r[(pen, ie)] = data[at:at + length]
        at += length
    return r, at


def decode_message(sess, data, messages):
    version, length, export_s, seq, domain = struct.unpack_from("!HHIII", data, 0)
    assert version == 10 and length == len(data), "bad header"
    msg = {"transport": sess.transport, "domain": domain, "seq": seq, "templates": 0,
           "records": []}
    at = 16
    while at < length:
        set_id, set_len = struct.unpack_from("!HH", data, at)
        assert set_len >= 4 and at + set_len <= length, "bad set"
        p, end = at + 4, at + set_len
        if set_id == 2:
            msg["templates"] += 1
            while p + 4 <= end:
                tid, count = struct.unpack_from("!HH", data, p)
                p += 4
                fields = []
                for _ in range(count):
                    ie, flen = struct.unpack_from("!HH", data, p)
                    p += 4
                    pen = 0
                    if ie & 0x8000:
                        pen = struct.unpack_from("!I", data, p)[0]
                        p += 4
                    fields.append((ie & 0x7FFF, pen, flen))
                sess.templates[(domain, tid)] = fields
        elif set_id >= 256:
            fields = sess.templates.get((domain, set_id))
            assert fields is not None, "data set %d before its template" % set_id
            while p < end:
                r, p = decode_record(fields, data, p)
                r["set"] = set_id
                msg["records"].append(r)
        assert p == end, "set of %d bytes decoded to %d" % (set_len, p - at)
        at = end
    messages.append(msg)


def number(r, pen, ie):
    b = r.get((pen, ie))
    return int.from_bytes(b, "big") if b is not None else None


def address(r, ie):
    b = r.get((0, ie))
    return str(ipaddress.ip_address(b)) if b else None


def text(r, ie):
    b = r.get((PEN, ie))
    if b is None:
        return None
    if ie == 1:
        h = b.hex()
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    return b[0] if ie == 2 else b.decode()


def main():
    args = sys.argv[1:]
    split = args.index("--")
    udp_file, tcp_files = args[0], args[1:split]
    d1, d2, udp_uuid, tcp_uuid, icmp_uuid, udp_json, lan = args[split + 1:split + 8]
    d1, d2, lan = int(d1), int(d2), int(lan)
    messages = []
    udp = Session("udp")
    try:
        for line in open(udp_file):
            if line.strip():
                decode_message(udp, bytes.fromhex(line.strip()), messages)
        for path in tcp_files:
            stream, sess, at = open(path, "rb").read(), Session("tcp"), 0
            while at + 4 <= len(stream):
                length = struct.unpack_from("!H", stream, at + 2)[0]
                if at + length > len(stream):
                    break  # cut when the collector went away
                decode_message(sess, stream[at:at + length], messages)
                at += length
        check(True, "every message decodes: %d over UDP, %d over TCP" % (
            sum(m["transport"] == "udp" for m in messages),
            sum(m["transport"] == "tcp" for m in messages)))
    except (AssertionError, struct.error, ValueError) as e:
        check(False, "decoding: %s" % e)
        return 1
    check(d1 != d2, "the routers are observation domains of their own (%d, %d)" % (d1, d2))
    records = [(m["domain"], m["transport"], r) for m in messages for r in m["records"]]

    def of(domain, uuid, kind, transport="udp"):
        return [r for d, t, r in records if d == domain and t == transport and
                text(r, 1) == uuid and text(r, 2) == kind]

    for name, uuid, reason in (("UDP", udp_uuid, 4), ("ICMP", icmp_uuid, 1), ("TCP", tcp_uuid, 3)):
        ok = all(len(of(d, uuid, k)) >= 1 for d in (d1, d2) for k in (START, END))
        check(ok, "%s session %s: a start and an end record from R1 and from R2, one UUID "
              "(the join across routers)" % (name, uuid))
        ends = of(d1, uuid, END)
        got = number(ends[0], 0, 136) if ends else None
        check(got == reason, "%s session: R1's end reason %s (want %d)" % (name, got, reason))
        check(len(of(d1, uuid, END, "tcp")) >= 1, "%s session: R1's end record also over TCP" % name)
        starts = of(d1, uuid, START)
        check(bool(starts) and (0, 136) not in starts[0] and (0, 85) not in starts[0],
              "%s session: R1's start record has no end reason and no counters" % name)
    interims = of(d1, udp_uuid, INTERIM)
    check(len(interims) >= 1 and all(number(r, 0, 136) == 2 for r in interims),
          "UDP session: %d interim record(s) from R1 (end reason 2, active timeout)" % len(interims))

    # R1's UDP end record against the session table, field by field
    s = json.loads(udp_json)
    end = of(d1, udp_uuid, END)
    if not end:
        check(False, "R1's UDP end record")
    else:
        r = end[0]
        fr, fs = s["forward"]["received"], s["forward"].get("sent", s["forward"]["received"])
        got = {"src": address(r, 8), "dst": address(r, 12), "sport": number(r, 0, 7),
               "dport": number(r, 0, 11), "proto": number(r, 0, 4), "post_src": address(r, 225),
               "post_dst": address(r, 226), "post_sport": number(r, 0, 227),
               "post_dport": number(r, 0, 228), "fwd_packets": number(r, 0, 86),
               "fwd_octets": number(r, 0, 85), "rev_packets": number(r, REVERSE, 86),
               "rev_octets": number(r, REVERSE, 85), "in": number(r, 0, 10),
               "tenant": text(r, 3), "service": text(r, 4), "router": text(r, 5),
               "peer": text(r, 6), "path": text(r, 7), "rule": text(r, 9)}
        want = {"src": fr["source"], "dst": fr["destination"], "sport": fr["source-port"],
                "dport": fr["destination-port"], "proto": 17, "post_src": fs["source"],
                "post_dst": fs["destination"], "post_sport": fs["source-port"],
                "post_dport": fs["destination-port"],
                "fwd_packets": s["forward"]["packets"], "fwd_octets": s["forward"]["bytes"],
                "rev_packets": s["reverse"]["packets"], "rev_octets": s["reverse"]["bytes"],
                "in": lan, "tenant": s["tenant"], "service": s["service"], "router": "r1",
                "peer": s.get("peer"), "path": s.get("path"), "rule": "web/access[0]"}
        diff = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        check(not diff, "R1's UDP end record matches the session table field by field%s" %
              (": differs in %s" % diff if diff else " (%s)" % ", ".join(sorted(want))))
        out = number(r, 0, 14)
        check(out is not None and out > 0 and out != lan,
              "R1's UDP end record: egress interface %s, not the LAN's" % out)
        check(text(r, 8) == "", "R1's UDP end record: vector \"\" (the neighborhood names none)")
        start, stop = number(r, 0, 152), number(r, 0, 153)
        check(start is not None and stop is not None and 0 <= stop - start < 60000,
              "R1's UDP end record: start and end times %s .. %s ms" % (start, stop))

    udp_msgs = [m for m in messages if m["transport"] == "udp"]
    for d in (d1, d2):
        n = sum(m["templates"] for m in udp_msgs if m["domain"] == d)
        check(n >= 2, "domain %d: %d template sets over UDP (refreshed)" % (d, n))
    tcp_first = [m for m in messages if m["transport"] == "tcp"][:1]
    check(bool(tcp_first) and tcp_first[0]["templates"] == 1 and not tcp_first[0]["records"],
          "TCP: the connection's first message is the templates")
    for d in (d1, d2):
        seq_ok, prev = True, None
        for m in (x for x in udp_msgs if x["domain"] == d):
            if prev is not None and m["seq"] != prev["seq"] + len(prev["records"]):
                seq_ok = False
            prev = m
        check(seq_ok, "domain %d: UDP sequence numbers count the data records" % d)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
