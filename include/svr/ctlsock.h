/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane control socket: how svrctl, svr-control and tests talk to a
 * running svr-dataplane. Plain C, no DPDK; the messages are JSON.
 *
 * Transport: a unix SOCK_STREAM socket at <runtime-dir>/SVR_CTLSOCK_NAME,
 * mode 0600, served by the dataplane's main lcore (never by a worker).
 * A client writes one JSON object followed by '\n' and reads one JSON object
 * followed by '\n'; it may send further requests on the same connection.
 * A request longer than SVR_CTLSOCK_MAX_REQUEST is refused and the connection
 * closed.
 *
 * Request:   {"cmd": "<command>"}
 * Success:   {"ok": true,  "data": <value>}
 * Failure:   {"ok": false, "error": "<sentence>"}
 *
 * Commands and the shape of "data":
 *
 *  "version"     {"version": "0.1.0", "instance": "r1", "uptime-s": 12,
 *                 "workers": 1, "pid": 1234}
 *  "ports"       [{"id": 0, "name": "net_af_packet0", "device": "<devargs>",
 *                  "mac": "02:..", "link": "up"|"down", "speed-mbps": 10000,
 *                  "rx-queues": 1, "tx-queues": 1,
 *                  "rx-packets": n, "rx-bytes": n, "tx-packets": n, "tx-bytes": n,
 *                  "rx-missed": n, "rx-errors": n, "tx-errors": n, "rx-nombuf": n,
 *                  "mtu": 1500, "rss": "off"|"symmetric"|"device-key", "reta-size": n,
 *                  "rx-queue-packets": [n, ...]}]
 *  "interfaces"  [{"name": "lan", "index": 1 (IPFIX's interface number), "port": 0,
 *                  "vlan": 0, "mac": "02:..",
 *                  "mtu": 1500, "addresses": ["198.18.1.1/24", "2001:db8:1::1/64"]}]
 *  "stats"       {"totals":  {"rx-packets": n, "tx-packets": n, "forwarded": n,
 *                             "punted": n, "dropped": n},
 *                 "workers": [{"lcore": 1, "rx-packets": n, "tx-packets": n,
 *                              "forwarded": n, "punted": n, "dropped": n,
 *                              "busy-polls": n, "idle-polls": n, "sleeps": n,
 *                              "slept-us": n, "busy-us": n (time in polls that found
 *                              packets), "sessions-created": n}],
 *                 "drops":   {"<reason>": n, ...}   every name of SVR_DROP_REASONS,
 *                 "events":  {"<event>": n, ...}}   every name of SVR_EVENTS
 *  "neighbors"   [{"address": "198.18.1.2", "interface": "lan", "mac": "02:.."|"",
 *                  "state": "incomplete"|"reachable"|"probe"|"static",
 *                  "age-s": 3, "queued": 0}]
 *  "routes"      [{"prefix": "198.18.1.0/24", "type": "connected"|"gateway"|"local"|
 *                  "broadcast", "gateway": "198.18.100.254"|"", "interface": "lan",
 *                  "origin": "policy"|"kernel"}] (the policy's first; at most 10,000:
 *                  "kernel-routes" counts them all)
 *  "kernel-routes" {"enabled": B, "attached": B, "capacity": N, "routes": N, "installed": N,
 *                  "changes": N, "adds": N, "deletes": N, "listings": N,
 *                  "listings-asked": N, "refused": N, "ring-broken": N,
 *                  "shadowed-by-policy": N, "batches": N, "last-batch-changes": N,
 *                  "list": [{"prefix": P, "gateway": IP|"", "interface": NAME,
 *                            "table": N, "metric": N, "proto": N, "installed": B}]
 *                  (the first 1,000), "list-truncated": B}; with "list": false in the
 *                  request, the counters only
 *  "kernel"      {"enabled": bool (a "kernel" section in the startup file),
 *                 "namespace": NAME|null (null: the dataplane's own), "rate-per-s": n,
 *                 "burst": n, "twins": [{"name": "lan", "ifindex": n (in the namespace),
 *                 "up": n, "down": n, "rate-limited-up": n, "rate-limited-down": n}]}
 *  "peers"       {"paths": [{"peer": NAME, "path": "neighborhood/interface",
 *                            "interface": NAME|null, "local": IP, "remote": IP,
 *                            "hmac": "sha256-128"|"sha256"|"none",
 *                            "hmac-mode": "time-based"|"regular",
 *                            "encryption": "aes-cbc-256"|"aes-cbc-128"|"none",
 *                            "peer-ports": "16385-65533"}],
 *                 "security": {"file": PATH, "reloads": n,
 *                              "replay-table": {"slots": n, "limit": n, "live": n,
 *                                               "ended": n, "bytes": n},
 *                              "keys": [{"security-id": n, "not-before": RFC3339|null,
 *                                        "encryption": bool, "sending": bool}]}}
 *
 *  "sessions"    request: {"cmd": "sessions", "tenant": NAME, "service": NAME,
 *                "address": IP, "cursor": n, "limit": 1-1000 (default 100)}, all optional;
 *                an address matches any of the four addresses a session was seen with.
 *                {"summary": {"memory-bytes": n (all session memory, taken at start),
 *                             "capacity": n, "limit": n, "in-use": n, "half-open-tcp": n,
 *                             "created": n, "aged": n, "cleared": n},
 *                 "sessions": [<session>], "next": n}   next: the cursor for the following
 *                page, 0 when this one reached the end.
 *                <session>: {"uuid": "…", "family": 4|6, "protocol": "tcp"|"udp"|"icmp"|
 *                  "icmpv6"|"<number>", "tenant": NAME|null, "service": NAME|null,
 *                  "tcp-state": "-"|"syn-sent"|"established"|"closing", "nat": bool,
 *                  "age-s": n, "idle-s": n, "timeout-s": n,
 *                  "forward"|"reverse": {"received": <tuple>, "sent": <tuple> (with NAT),
 *                                        "packets": n, "bytes": n}}
 *                <tuple>: {"source": IP, "destination": IP, "source-port": n,
 *                          "destination-port": n}   (ICMP echo: the identifier in
 *                          source-port)
 *  "session"     request {"cmd": "session", "uuid": "…"}: <session>
 *  "session-clear" request {"cmd": "session-clear", "uuid": "…"}: {"cleared": "…"};
 *                the session ends now (its next packet is a first packet again).
 *  "sessions-clear" request {"cmd": "sessions-clear", "tenant": NAME, "service": NAME,
 *                "address": IP}, each optional and as for "sessions", or {"cmd":
 *                "sessions-clear", "all": true} (every session: without a filter, "all" is
 *                needed; any other key is refused, so a misspelt filter never widens a clear).
 *                Starts a job that ends every session they
 *                select, as "session-clear" does (each counted in "cleared"), a slice of the
 *                table (16384 entries) per turn of the main loop, never faster than the IPFIX
 *                exporter takes end records (none lost to a clear; a stuck exporter holds it at
 *                most 1 s). It visits the entries in use when it starts: a session made after
 *                may be ended or not. One job at a time: while one runs, another is refused
 *                with "busy: sessions-clear job n is still running; ...". Answers at once,
 *                <clear-job> as the job starts (visited and cleared 0).
 *  "sessions-clear-status" <clear-job> of the last job (job 0 and done: none since the
 *                dataplane started):
 *                <clear-job>: {"job": n (1, 2, ...), "done": bool,
 *                  "filter": {"tenant": NAME|null, "service": NAME|null, "address": IP|null},
 *                  "entries": n (table entries to visit), "visited": n,
 *                  "cleared": n (sessions it ended), "elapsed-ms": n,
 *                  "waiting-for-exporter": bool (the record ring is full: it waits),
 *                  "exporter-wait-ms": n (how long it waited so, all told)}
 *  "session-counts" {"sessions": n (live sessions), "by-name": [{"tenant": NAME|null,
 *                "service": NAME|null, "sessions": n}], "summary": {as "sessions"'}}
 *                one entry per pair with live sessions (a moving session counts once); a
 *                walk of the table (svr-control's GET /metrics asks for it).
 *
 *  Packet capture (docs/dataplane.md, "Packet capture"); one capture at a time, ended by
 *  capture-stop or when no capture-read came for 5 s:
 *  "capture-start" request {"cmd": "capture-start", "interface": NAME,
 *                "snaplen": 64-2048 (default 2048), "buffer": 8-8192 (packets per worker
 *                ring, rounded up to a power of two; default 512)}:
 *                {"capture": ID, "interface": NAME, "port": n, "vlan": n, "snaplen": n,
 *                 "buffer": n}
 *  "capture-read" request {"cmd": "capture-read", "capture": ID, "max": 1-1000 (default 256)}
 *                (fewer when the answer reaches about 128 KiB of hex):
 *                {"packets": [{"time-ns": n (Unix time), "direction": "rx"|"tx",
 *                              "length": n (on the wire), "data": HEX (the first snaplen
 *                              bytes)}] (oldest first; empty when nothing new),
 *                 "read": n (packets handed out so far), "dropped": n (not captured so far:
 *                 ring full)}
 *  "capture-stop" request {"cmd": "capture-stop", "capture": ID}: {"read": n, "dropped": n}
 *  "why"         request {"cmd": "why", "protocol": "tcp"|"udp"|"icmp"|"icmpv6"|0-255,
 *                "source": IP, "destination": IP, "source-port": n, "destination-port": n,
 *                "interface": NAME} (a first packet as it would arrive), or {"cmd": "why",
 *                "uuid": UUID} (a live session's first packet, by the interface it came in by,
 *                or as a peer's metadata carried it):
 *                {"verdict": "allowed"|"refused"|"local", "reason": DROP (refused),
 *                 "arrived": {"over": "svr", "peer", "path", "source", "destination",
 *                             "source-port", "destination-port"} (from a peer, by uuid),
 *                 "tenant": {"name": NAME|null, "by": "member"|"interface"|"metadata"|"none",
 *                            "neighborhood": NAME, "prefix-length": n (member)},
 *                 "service": {"name": NAME|null, "prefix-length": n, "by-port": bool,
 *                             "transport": {"protocol": n, "ports": [lo, hi]},
 *                             "by": "metadata", "classified-here": NAME|null (from a peer,
 *                             when the tuple is another service here)},
 *                 "access": {"decision": "allow"|"no-rule"|"deny-rule", "rule": LABEL|null},
 *                 "policy": NAME|null, "route": {"kind": "routing"|"next-hop"|"nat-target"|
 *                 "peer", "paths": [{"peer", "path", "cost": n|"unlisted"|"never", "usable",
 *                 "within-sla", "why"}] (peer: best first, those never taken last),
 *                 "next-hop-interface": NAME|null (next-hop), "leaves-by": NAME|null,
 *                 "nat": {"source": IP|null, "destination": IP|null, "as": "the path's
 *                 waypoints" (peer)}} (when admitted),
 *                 "session": {"tenant", "service", "rule", "interface", "path" (over SVR)} and
 *                 "policy-changed-since": bool (by uuid)} (docs/telemetry.md "Why").
 *                Refusals a client may tell apart by their start: "no interface" (of that
 *                name), "no live session" (of that UUID), "cannot tell" (a live session whose
 *                first packet can no longer be told: its interface is gone, or it came from a
 *                peer through this router's NAT and its original tuple is no longer kept).
 *  "ipfix"       {"exporting": bool, "generation": n, "records-taken": n,
 *                 "records-oversize": n, "messages-built": n, "records-lost-backlog": n,
 *                 "settings": {"observation-domain": n, "enterprise-number": n,
 *                              "interim-s": n, "template-refresh-s": n},
 *                 "collectors": [{"collector": "198.18.0.9:4739/udp",
 *                                 "state": "up"|"connecting"|"down", "messages": n,
 *                                 "records": n, "records-dropped": n, "templates": n,
 *                                 "errors": n, "transport-sessions": n}]}
 *                (docs/telemetry.md)
 *
 *  Events (docs/telemetry.md, "Events"); svr-control reads them every 200 ms:
 *  "events"      request {"cmd": "events", "after": n (the "last" of the previous answer;
 *                without it: the newest max events), "max": 1-1000 (default 256)}:
 *                {"events": [<event>] (oldest first, those numbered after "after"),
 *                 "last": n (pass as "after" next time), "lost": n (events after "after"
 *                 overwritten before this read), "overwritten": n, "suppressed": n (worker
 *                 records over their budget or ring, since start), "capacity": 4096,
 *                 "boot": n (changes when the dataplane restarts: its numbers start again)}
 *                <event>: {"seq": n, "time": "2026-12-06T07:03:17.123Z", "router": NAME,
 *                          "type": "path-down"|..., <the type's fields>}
 *
 * Counters are unsigned 64-bit integers, cumulative since the dataplane started.
 */
#ifndef SVR_CTLSOCK_H
#define SVR_CTLSOCK_H

#define SVR_CTLSOCK_NAME         "dataplane.sock"
#define SVR_CTLSOCK_MAX_REQUEST  65536
#define SVR_CTLSOCK_MAX_SESSIONS 1000 /* sessions per "sessions" answer */
#define SVR_RUNTIME_DIR_DEFAULT  "/run/svrouter"

#endif
