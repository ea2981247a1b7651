/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dataplane counter names: the contract between svr-dataplane (which counts),
 * the control socket (which reports them by these names) and svrctl/tests
 * (which read them). Plain C, no DPDK.
 *
 * Every dropped packet is counted exactly once, under one reason.
 */
#ifndef SVR_COUNTERS_H
#define SVR_COUNTERS_H

/* X(enum suffix, reported name, one-line meaning) */
#define SVR_DROP_REASONS(X)                                                                        \
	X(ETH_SHORT, "eth-short", "frame shorter than its Ethernet/VLAN header")                   \
	X(VLAN_UNKNOWN, "vlan-unknown", "no interface for this port and VLAN id")                  \
	X(NOT_FOR_US, "not-for-us", "unicast destination MAC is not ours")                         \
	X(ETHERTYPE, "ethertype-unsupported", "EtherType we do not route (not IPv4/IPv6/ARP)")     \
	X(ARP_MALFORMED, "arp-malformed", "ARP packet too short or not Ethernet/IPv4")             \
	X(ARP_NOT_OURS, "arp-not-ours", "ARP request for an address that is not ours")             \
	X(IP4_SHORT, "ip4-short", "IPv4 packet shorter than its header")                           \
	X(IP4_VERSION, "ip4-bad-version", "IPv4 EtherType but version field is not 4")             \
	X(IP4_HDRLEN, "ip4-bad-header-length", "IPv4 IHL below 5 or beyond the packet")            \
	X(IP4_TOTLEN, "ip4-bad-total-length", "IPv4 total length beyond the frame or below IHL")   \
	X(IP4_CKSUM, "ip4-bad-checksum", "IPv4 header checksum is wrong")                          \
	X(IP4_SRC, "ip4-bad-source", "IPv4 source on network 0 or 127, multicast or broadcast")    \
	X(IP4_DST, "ip4-bad-destination", "IPv4 destination on network 0 or 127")                  \
	X(IP4_BCAST, "ip4-directed-broadcast", "to a connected subnet's broadcast address")        \
	X(IP4_OPTIONS, "ip4-bad-options",                                                          \
	  "IPv4 option whose length is short or runs past the header")                             \
	X(SOURCE_ROUTE, "source-route", "IPv4 LSRR/SSRR option or IPv6 routing header type 0")     \
	X(GROUP_FRAME, "unicast-in-group-frame", "unicast IP in a broadcast/multicast frame")      \
	X(IP6_SHORT, "ip6-short", "IPv6 packet shorter than its header")                           \
	X(IP6_VERSION, "ip6-bad-version", "IPv6 EtherType but version field is not 6")             \
	X(IP6_PAYLEN, "ip6-bad-payload-length", "IPv6 payload length beyond the frame")            \
	X(IP6_SRC, "ip6-bad-source", "IPv6 source multicast, loopback, or unspecified if routed")  \
	X(IP6_DST, "ip6-bad-destination", "IPv6 destination is loopback or unspecified")           \
	X(IP6_SCOPE, "ip6-link-local", "link-local IPv6 source or destination is not routed")      \
	X(TTL_EXCEEDED, "ttl-exceeded", "TTL or hop limit reached zero (ICMP error sent)")         \
	X(NO_ROUTE, "no-route", "no FIB entry for the destination (ICMP unreachable sent)")        \
	X(NEIGH_QUEUE_FULL, "neigh-queue-full", "next hop unresolved and its wait queue is full")  \
	X(NEIGH_FAILED, "neigh-unresolved", "next hop did not answer ARP/ND (ICMP sent)")          \
	X(NEIGH_TABLE_FULL, "neigh-table-full", "no free neighbour entry to start resolution")     \
	X(PUNT_RING_FULL, "punt-ring-full", "worker to main-lcore ring full")                      \
	X(IFACE_GONE, "interface-removed", "its interface was removed by a new configuration")     \
	X(LOCAL_UNSUPPORTED, "local-unsupported", "packet for us that we do not answer")           \
	X(ICMP_MALFORMED, "icmp-malformed", "ICMP/ICMPv6 message for us is malformed")             \
	X(ND_MALFORMED, "nd-malformed", "neighbour discovery message is malformed")                \
	X(MTU_EXCEEDED, "mtu-exceeded", "larger than the egress MTU with DF, or IPv6 (ICMP sent)") \
	X(NO_MBUF, "no-mbuf", "could not allocate a buffer for a generated packet")                \
	X(TX_FULL, "tx-full", "transmit queue full")                                               \
	X(L4_SHORT, "l4-short", "TCP/UDP/ICMP header truncated or malformed")                      \
	X(FRAGMENT, "fragment-no-session", "non-first IP fragment: sessions need the L4 header")   \
	X(TCP_NOT_SYN, "tcp-first-not-syn", "TCP packet of no session that is not a SYN")          \
	X(ICMP_NOT_REQUEST, "icmp-first-not-request", "ICMP of no session, not an echo request")   \
	X(ICMP_ERR_NO_SESSION, "icmp-error-no-session", "ICMP error about no session we hold")     \
	X(ICMP_ERR_FRAGMENT, "icmp-error-quotes-fragment",                                         \
	  "ICMP error quoting a non-first fragment (no ports to find its session by)")             \
	X(NO_SERVICE, "no-service", "first packet matches no service (ICMP prohibited sent)")      \
	X(ACCESS_NO_RULE, "access-no-rule", "no allow rule for this source (deny by default)")     \
	X(ACCESS_DENIED, "access-denied", "a deny rule matched the source")                        \
	X(SOURCE_RATE, "session-rate-per-source", "source over its new-sessions-per-second limit") \
	X(HALF_OPEN, "half-open-tcp-limit", "router at its half-open TCP session limit")           \
	X(TENANT_MAX, "tenant-max-sessions", "tenant at its max-sessions")                         \
	X(TABLE_FULL, "session-table-full", "session table at capacity (new session refused)")     \
	X(INDEX_FULL, "session-index-full",                                                        \
	  "no free slot in the session index near the key's home (new session refused)")           \
	X(NAT_PORTS, "nat-ports-exhausted", "no free source-NAT port for this destination")        \
	X(SESSION_CONFLICT, "session-conflict", "reverse key already used by another session")     \
	X(ROUTE_PEER, "service-route-peer", "SVR peer route with no usable path or unsupported")   \
	X(SVR_METADATA, "svr-metadata-invalid",                                                    \
	  "SVR metadata that does not decode or lacks fields")                                     \
	X(SVR_HMAC, "svr-hmac-failed", "packet from a peer whose HMAC trailer does not verify")    \
	X(SVR_MD_UNDECRYPTABLE, "svr-metadata-undecryptable",                                      \
	  "encrypted SVR metadata that does not decrypt: the peer's keys likely differ from ours") \
	X(SVR_NO_KEY, "svr-no-key", "the peer path's security policy needs a key we do not have")  \
	X(SVR_UNKNOWN_PEER, "svr-unknown-peer", "SVR metadata from an address of no peer path")    \
	X(SVR_PAYLOAD, "svr-payload-invalid", "encrypted SVR payload that does not decrypt")       \
	X(SVR_CRYPTO, "svr-crypto-failed",                                                         \
	  "OpenSSL could not sign or encrypt a packet toward the peer")                            \
	X(SVR_MD_ONLY, "svr-metadata-only",                                                        \
	  "metadata-only packet from the egress, consumed (O-8)")                                  \
	X(SVR_REPLAYED, "svr-replayed",                                                            \
	  "first packet naming a session live on another tuple or recently ended")                 \
	X(SVR_REPLAY_FULL, "svr-replay-full",                                                      \
	  "SVR first packet refused: the replay memory is full of live and remembered UUIDs")      \
	X(SVR_UUID_BUSY, "svr-uuid-busy",                                                          \
	  "forward metadata with another UUID on a session still in use (kept)")                   \
	X(SVR_STALE, "svr-stale-session",                                                          \
	  "SVR session whose waypoint pair the peer gave to a new one")                            \
	X(SVR_WRONG_SIDE, "svr-wrong-side",                                                        \
	  "SVR session packet on the wrong side of its peer path")                                 \
	X(SVR_PATH_GONE, "svr-path-gone",                                                          \
	  "SVR session packet on a peer path the running model no longer has")                     \
	X(SVR_ICMP_ERROR, "svr-icmp-error",                                                        \
	  "ICMP error about an SVR session carried as UDP between the routers (not carried)")      \
	X(SVR_ICMP_UNSIGNED, "svr-icmp-unsigned",                                                  \
	  "plain ICMP error from the WAN about an SVR session (only signed ones are relayed)")     \
	X(SVR_PATH_CHANGED, "svr-path-changed",                                                    \
	  "SVR session packet on a peer path whose HMAC the running model turned on or off")       \
	X(SVR_SERVICE_MISMATCH, "svr-service-mismatch",                                            \
	  "SVR first packet whose restored destination is not in the service its metadata names")  \
	X(NAT_FAMILY, "nat-family", "NAT between address families or for IPv6 (unsupported)")      \
	X(ICMP_DIRECTION, "icmp-wrong-direction", "echo request against a session's replies")      \
	X(ICMP_ERR_DST, "icmp-error-misdirected", "ICMP error not addressed to the quoted source") \
	X(BFD_RING_FULL, "bfd-ring-full", "BFD packet a worker could not hand to the main lcore")  \
	X(BFD_MALFORMED, "bfd-malformed", "UDP 1280 packet with a bad IPv4 or UDP header")         \
	X(BFD_UNKNOWN_PATH, "bfd-unknown-path",                                                    \
	  "BFD packet from no peer path of the model, or on another interface than its path's")    \
	X(BFD_INVALID, "bfd-invalid", "BFD control packet RFC 5880 refuses (per path: why)")       \
	X(BFD_AUTH_REFUSED, "bfd-auth-refused",                                                    \
	  "BFD packet whose authentication fails (key, sequence or digest; per path: why)")        \
	X(BFD_WRONG_PEER, "bfd-wrong-peer",                                                        \
	  "BFD packet whose metadata names another router than its path's peer (TLV 14, 19)")      \
	X(BFD_RATE, "bfd-rate-limited",                                                            \
	  "UDP 1280 packets from a peer path beyond what BFD and link tests send (a flood)")       \
	X(SLA_NO_PATH, "sla-no-path",                                                              \
	  "new session refused: no usable path meets its policy's SLA, and best-effort is off")    \
	X(SVR_PEER_OUTBOUND_ONLY, "svr-peer-outbound-only",                                        \
	  "new session refused: its peer is behind a NAT (outbound-only), it opens sessions to "   \
	  "us")                                                                                    \
	X(POLICY_MAX_SESSIONS, "policy-max-sessions",                                              \
	  "new session refused: its service policy's max-sessions live sessions on this router")   \
	X(DEGRADED_BLOCKED, "degraded-blocked",                                                    \
	  "new session refused: its peer is degraded and its class's when-degraded is block")      \
	X(RATE_LIMIT_SESSION, "rate-limit-session",                                                \
	  "packet over its session's rate (policy session-rate-bps)")                              \
	X(RATE_LIMIT_POLICY, "rate-limit-policy",                                                  \
	  "packet over its policy's aggregate rate on this router (aggregate-rate-bps)")           \
	X(RATE_LIMIT_DEGRADED, "rate-limit-degraded",                                              \
	  "packet over its class's rate while its peer is degraded (when-degraded rate-limit)")    \
	X(SVR_MODIFY_STALE, "svr-modify-stale",                                                    \
	  "first packet moving a live session to a new tuple, older than its last move (TLV 28)")  \
	X(DUPLICATE, "duplicate-dropped",                                                          \
	  "second copy of a duplicated session's packet (the first went on)")                      \
	X(SVR_LEG_REFUSED, "svr-leg-refused",                                                      \
	  "second leg of a duplicated session not taken (no slot of ours, one already, ended)")    \
	X(SVR_MOVE_FAILED, "svr-move-failed",                                                      \
	  "first packet moving a live session to a new tuple: the table could not (full, in use)") \
	X(HOST_ACCESS_DENIED, "host-access-denied",                                                \
	  "packet for the router that its exception policy (host-access) keeps from the kernel")   \
	X(KERNEL_RATE, "kernel-rate-limited",                                                      \
	  "frame to or from a kernel twin over the twin's rate (kernel.rate-per-s)")               \
	X(KERNEL_UNREACHABLE, "kernel-unreachable",                                                \
	  "frame for the kernel whose interface has no twin, or the twin refused it")              \
	X(KERNEL_FRAME, "kernel-frame-invalid",                                                    \
	  "frame from a kernel twin shorter than Ethernet, longer than the interface's MTU, not "  \
	  "IPv4/IPv6/ARP, or to a reserved 01:80:c2:00:00:0x address")

enum svr_drop_reason {
#define SVR_DROP_ENUM(e, name, help) SVR_DROP_##e,
	SVR_DROP_REASONS(SVR_DROP_ENUM)
#undef SVR_DROP_ENUM
	    SVR_DROP_MAX
};

/* A drop reason's reported name; "?" for none. */
static inline const char *svr_drop_name(unsigned reason)
{
	static const char *const names[] = {
#define SVR_DROP_NAME(e, name, help) name,
	    SVR_DROP_REASONS(SVR_DROP_NAME)
#undef SVR_DROP_NAME
	};
	return reason < SVR_DROP_MAX ? names[reason] : "?";
}

/* Events that are not drops, counted on the main lcore's slow path. */
#define SVR_EVENTS(X)                                                                              \
	X(ARP_REPLIES_SENT, "arp-replies-sent")                                                    \
	X(ARP_REQUESTS_SENT, "arp-requests-sent")                                                  \
	X(ND_ADVERTS_SENT, "nd-adverts-sent")                                                      \
	X(ND_SOLICITS_SENT, "nd-solicits-sent")                                                    \
	X(ICMP_ECHO_REPLIES, "icmp-echo-replies")                                                  \
	X(ICMP_ERRORS_SENT, "icmp-errors-sent")                                                    \
	X(ICMP_RATE_LIMITED, "icmp-rate-limited")                                                  \
	X(NEIGH_LEARNED, "neigh-learned")                                                          \
	X(NEIGH_EXPIRED, "neigh-expired")                                                          \
	X(QUEUED_RELEASED, "queued-released")                                                      \
	X(IP4_FRAGMENTS, "ip4-fragments-sent")                                                     \
	X(POLICY_APPLIED, "policy-images-applied")                                                 \
	X(POLICY_REJECTED, "policy-images-rejected")                                               \
	X(SESSIONS_AGED, "sessions-aged")                                                          \
	X(SESSIONS_CLEARED, "sessions-cleared")                                                    \
	X(SVR_KEYS_RELOADED, "svr-keys-reloaded")                                                  \
	X(PATH_UP, "path-up")                                                                      \
	X(PATH_DOWN, "path-down")                                                                  \
	X(SESSIONS_MIGRATED, "sessions-migrated")                                                  \
	X(SESSIONS_MIGRATE_FAILED, "sessions-migrate-failed")                                      \
	X(DEGRADED_ENTER, "degraded-enter")                                                        \
	X(DEGRADED_LEAVE, "degraded-leave")                                                        \
	X(CAPTURE_DROPPED, "capture-dropped")                                                      \
	X(KERNEL_UP, "kernel-up")                                                                  \
	X(KERNEL_DOWN, "kernel-down")                                                              \
	X(PATH_REMOTE_LEARNED, "path-remote-learned")

enum svr_event {
#define SVR_EVENT_ENUM(e, name) SVR_EV_##e,
	SVR_EVENTS(SVR_EVENT_ENUM)
#undef SVR_EVENT_ENUM
	    SVR_EV_MAX
};

#endif
