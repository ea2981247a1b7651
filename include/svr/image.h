/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy image: what svr-control compiles from the intent model for one
 * router, and the only thing the dataplane learns configuration from.
 *
 * Flat and position-independent: a header, then tables located by offset
 * (never pointers). Entries refer to each other by index into another table
 * (SVR_IMG_NONE for "none") and to names by offset into the string table.
 * All integers are little-endian host order (both processes run on one host);
 * addresses are in network byte order. C standard types only, so svr-control
 * and svrctl need no DPDK.
 *
 * Integrity: CRC-32C (Castagnoli, reflected, init and final xor 0xffffffff)
 * over the whole image with the header's checksum field taken as zero.
 * A reader checks magic, version, length, checksum, then every section's
 * bounds and every index before using anything.
 */
#ifndef SVR_IMAGE_H
#define SVR_IMAGE_H

#include <stdint.h>

#define SVR_IMAGE_MAGIC   0x49525653u /* "SVRI" */
#define SVR_IMAGE_VERSION 6
#define SVR_IMG_NONE      UINT32_MAX
#define SVR_IMG_ALIGN     8

enum svr_img_section {
	SVR_SEC_STRINGS,           /* NUL-terminated names; entry_size 1 */
	SVR_SEC_PREFIXES,          /* struct svr_img_prefix */
	SVR_SEC_INTERFACES,        /* struct svr_img_iface */
	SVR_SEC_ROUTES,            /* struct svr_img_route */
	SVR_SEC_NEIGHBORS,         /* struct svr_img_neigh */
	SVR_SEC_TENANTS,           /* struct svr_img_tenant */
	SVR_SEC_TENANT_MEMBERS,    /* struct svr_img_member */
	SVR_SEC_SERVICES,          /* struct svr_img_service */
	SVR_SEC_TRANSPORTS,        /* struct svr_img_transport */
	SVR_SEC_ACCESS_RULES,      /* struct svr_img_access */
	SVR_SEC_SERVICE_CLASSES,   /* struct svr_img_class */
	SVR_SEC_SERVICE_POLICIES,  /* struct svr_img_policy */
	SVR_SEC_POLICY_VECTORS,    /* struct svr_img_vector */
	SVR_SEC_SECURITY_POLICIES, /* struct svr_img_security */
	SVR_SEC_PEERS,             /* struct svr_img_peer */
	SVR_SEC_PEER_PATHS,        /* struct svr_img_peer_path */
	SVR_SEC_SERVICE_ROUTES,    /* struct svr_img_service_route */
	SVR_SEC_IFACE_HOODS,       /* struct svr_img_hood: an interface's neighborhoods */
	SVR_SEC_COLLECTORS,        /* struct svr_img_collector: IPFIX collectors */
	SVR_SEC_HOST_ACCESS,       /* struct svr_img_host_access: what may reach the kernel */
	SVR_SEC_COUNT
};

struct svr_img_section_desc {
	uint32_t offset;     /* from the start of the image, SVR_IMG_ALIGN-aligned */
	uint32_t count;      /* entries */
	uint32_t entry_size; /* bytes per entry, checked against sizeof by the reader */
	uint32_t reserved;
};

struct svr_img_limits {
	uint64_t session_capacity;        /* 0: the dataplane's own */
	uint32_t new_sessions_per_source; /* per second, 0: unlimited */
	uint32_t half_open_tcp;           /* 0: unlimited */
	/* degraded towards a peer below this share (1-100 %) of the capacity its paths promise;
	 * 0: never by capacity (the model always compiles 1-100) */
	uint32_t degraded_pct;
	uint32_t reserved;
};

/* IPFIX export (docs/telemetry.md); none while SVR_SEC_COLLECTORS is empty */
struct svr_img_ipfix {
	uint32_t enterprise;         /* PEN of our enterprise-specific elements */
	uint32_t interim_s;          /* an interim record this often per session; 0: none */
	uint32_t template_refresh_s; /* templates again this often over UDP (>= 1) */
	uint32_t domain;             /* the observation domain id */
};

struct svr_img_header {
	uint32_t magic;
	uint16_t version;
	uint16_t header_size; /* sizeof(struct svr_img_header) */
	uint64_t generation;  /* set by the publisher; > 0 */
	uint64_t length;      /* of the whole image, header included */
	uint32_t checksum;    /* CRC-32C, see above */
	uint32_t router_name; /* string offset */
	uint32_t authority_name;
	uint32_t inter_router_security; /* security policy index, or SVR_IMG_NONE */
	int64_t compiled_unix_s;
	struct svr_img_limits limits;
	struct svr_img_ipfix ipfix;
	struct svr_img_section_desc sections[SVR_SEC_COUNT];
};

/* An address or prefix; an IPv4 address sits in addr[0..3]. */
struct svr_img_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;    /* prefix length; 32/128 for a host */
	uint8_t reserved[2];
	uint8_t addr[16];
};

/* A contiguous run of entries in another table. */
struct svr_img_range {
	uint32_t first;
	uint32_t count;
};

#define SVR_IMG_IFACE_SOURCE_NAT 0x1
#define SVR_IMG_IFACE_HAS_MAC    0x2
#define SVR_IMG_IFACE_HAS_GW     0x4

struct svr_img_iface {
	uint32_t name;   /* string */
	uint32_t device; /* string: PCI address or vdev devargs */
	uint16_t vlan;
	uint16_t mtu;
	uint8_t mac[6];
	uint16_t flags;
	uint32_t tenant;                /* tenant index or SVR_IMG_NONE */
	struct svr_img_range addresses; /* PREFIXES: address/prefix-length */
	struct svr_img_prefix gateway;  /* valid with SVR_IMG_IFACE_HAS_GW */
	uint64_t capacity_bps;
	struct svr_img_range hoods; /* IFACE_HOODS: the neighborhoods it is in */
};

/* A neighborhood an interface belongs to (tenant members are per neighborhood). */
struct svr_img_hood {
	uint32_t name;   /* string */
	uint32_t vector; /* string, "" when none */
};

struct svr_img_route {
	struct svr_img_prefix prefix;
	struct svr_img_prefix gateway;
	uint32_t iface;
	uint32_t reserved;
};

struct svr_img_neigh {
	struct svr_img_prefix address;
	uint32_t iface;
	uint8_t mac[6];
	uint8_t reserved[2];
};

#define SVR_IMG_TENANT_DEPTH_MAX 64 /* ancestors a tenant may have (no cycles) */
/* Distinct kernel routing tables the tenants of one image are bound to at most: the dataplane
 * keeps a FIB for each (docs/routing.md, "Tenants and routing tables"). */
#define SVR_IMG_TENANT_TABLES_MAX 16

struct svr_img_tenant {
	uint32_t name;
	uint32_t parent; /* tenant index or SVR_IMG_NONE */
	uint32_t max_sessions;
	/* The kernel routing table its sessions' routes come from first (the main table after
	 * it), its parent's when the model names none; 0: the main table only. Never 253-255. */
	uint32_t routing_table;
	struct svr_img_range members; /* TENANT_MEMBERS */
};

struct svr_img_member {
	uint32_t neighborhood; /* string */
	uint32_t prefix;       /* PREFIXES index */
};

enum svr_img_proto { SVR_PROTO_ANY = 0, SVR_PROTO_ICMP = 1, SVR_PROTO_TCP = 6, SVR_PROTO_UDP = 17 };

struct svr_img_transport {
	uint8_t protocol; /* IP protocol number */
	uint8_t reserved;
	uint16_t port_lo; /* 0-65535; a protocol with no ports: 0-65535 */
	uint16_t port_hi;
	uint16_t has_ports; /* 1: the entry named ports (more specific than one without) */
};

struct svr_img_service {
	uint32_t name;
	uint32_t policy;   /* service policy index or SVR_IMG_NONE */
	uint32_t security; /* security policy index or SVR_IMG_NONE */
	uint32_t reserved;
	struct svr_img_range prefixes;   /* PREFIXES */
	struct svr_img_range transports; /* TRANSPORTS; empty: any protocol, any port */
	struct svr_img_range access;     /* ACCESS_RULES */
};

enum svr_img_permission { SVR_PERMIT_DENY = 0, SVR_PERMIT_ALLOW = 1 };

struct svr_img_access {
	uint32_t tenant; /* tenant index or SVR_IMG_NONE */
	uint32_t prefix; /* PREFIXES index or SVR_IMG_NONE */
	uint8_t permission;
	uint8_t reserved[7];
	int64_t valid_from_unix_s;  /* INT64_MIN: no lower bound */
	int64_t valid_until_unix_s; /* INT64_MAX: no upper bound */
};

enum svr_img_degraded { SVR_DEGRADED_NONE, SVR_DEGRADED_RATE_LIMIT, SVR_DEGRADED_BLOCK };

#define SVR_IMG_DSCP_KEEP 0xff /* svr_img_class.dscp: leave the packet's DSCP as it is */

struct svr_img_class {
	uint32_t name;
	uint8_t priority; /* 0 (most critical) - 3 */
	uint8_t dscp;     /* 0-63: mark; SVR_IMG_DSCP_KEEP: keep */
	uint8_t degraded_action;
	uint8_t reserved;
	uint64_t degraded_rate_bps;
	/* idle timeouts in seconds; 0: the protocol default */
	uint32_t tcp_established_s, tcp_handshake_s, tcp_closing_s, udp_s, icmp_s;
	uint32_t reserved2;
};

enum svr_img_resiliency {
	SVR_RESILIENCY_NONE,
	SVR_RESILIENCY_FAILOVER,
	SVR_RESILIENCY_REVERTIBLE,
	SVR_RESILIENCY_DUPLICATE
};

#define SVR_IMG_COST_NEVER UINT32_MAX

struct svr_img_policy {
	uint32_t name;
	uint32_t class;               /* service class index or SVR_IMG_NONE */
	struct svr_img_range vectors; /* POLICY_VECTORS */
	uint32_t max_loss_milli_pct;  /* 1.0% = 1000; UINT32_MAX: no limit */
	uint32_t max_latency_ms;      /* UINT32_MAX: no limit */
	uint32_t max_jitter_ms;       /* UINT32_MAX: no limit */
	uint8_t best_effort;
	uint8_t resiliency;
	uint8_t reserved[2];
	uint32_t max_sessions; /* 0: unlimited */
	uint32_t reserved2;
	uint64_t session_rate_bps, aggregate_rate_bps, burst_bytes; /* 0: unlimited */
	/* anti ping-pong brakes of path migration, in seconds: a better path must have been good
	 * this long before revertible sessions move back; a session stays this long on a path it
	 * was moved to before it moves again for quality (not when the path goes down) */
	uint32_t revert_hold_s;
	uint32_t min_dwell_s;
};

struct svr_img_vector {
	uint32_t vector; /* string */
	uint32_t cost;   /* SVR_IMG_COST_NEVER excludes */
};

enum svr_img_hmac { SVR_HMAC_NONE, SVR_HMAC_SHA256_128, SVR_HMAC_SHA256 };
enum svr_img_hmac_mode { SVR_HMAC_TIME_BASED, SVR_HMAC_REGULAR };
enum svr_img_cipher { SVR_CIPHER_NONE, SVR_CIPHER_AES_CBC_128, SVR_CIPHER_AES_CBC_256 };

struct svr_img_security {
	uint32_t name;
	uint8_t hmac_cipher;
	uint8_t hmac_mode;
	uint8_t encryption_cipher;
	uint8_t encrypt_payload;
};

struct svr_img_peer {
	uint32_t name; /* the peer router's name */
	uint32_t reserved;
	struct svr_img_range paths; /* PEER_PATHS */
};

/* svr_img_peer_path.flags. A peer interface that cannot be reached first (behind a NAT: its
 * neighborhood entry says "peer-connectivity": "outbound-only"; or its IPv4 address comes from
 * DHCP) gives a path whose remote waypoint is learned from the peer's authenticated BFD
 * (docs/paths.md "Peers behind NAT and learned addresses"): remote is 0.0.0.0 (IPv4) until
 * then. NO_INITIATE: we never open sessions over the path, we only answer (outbound-only). */
#define SVR_IMG_PATH_REMOTE_LEARNED 0x1u
#define SVR_IMG_PATH_NO_INITIATE    0x2u

struct svr_img_peer_path {
	uint32_t local_iface;  /* our interface index */
	uint32_t neighborhood; /* string */
	uint32_t vector;       /* string, "" when the neighborhood names none */
	uint32_t security;     /* security policy index (neighborhood override or authority's) */
	struct svr_img_prefix local;  /* our waypoint address */
	struct svr_img_prefix remote; /* the peer's waypoint address */
	/* the peer interface's receive ports in this neighborhood ("port-range"); 0, 0: default */
	uint16_t remote_port_lo, remote_port_hi;
	/* where packets of this path go first: the remote when it is on one of our interface's
	 * subnets, else our interface's gateway (same family); family 0: none, the FIB decides */
	struct svr_img_prefix nexthop;
	/* BFD and link tests of this path, from our neighborhood entry's "bfd" (our side's
	 * values; BFD negotiates the rest with the peer). The checker holds each to the range
	 * noted (the model's), and hold_down_s <= max_hold_down_s. */
	uint32_t bfd_tx_ms;       /* desired min TX interval, ms (10-600000) */
	uint32_t bfd_rx_ms;       /* required min RX interval, ms (10-600000) */
	uint8_t bfd_mult;         /* detection multiplier (3-20) */
	uint8_t bfd_enabled;      /* 0: the path counts as up without BFD */
	uint16_t hold_down_s;     /* up this long before usable, s (0-300) */
	uint16_t max_hold_down_s; /* repeated flaps raise the hold-down up to this, s (0-3600) */
	uint16_t link_test_interval_s; /* between echo link tests, s (1-3600) */
	uint16_t link_test_length;     /* echo packets per link test (1-100) */
	uint16_t echo_interval_ms;     /* between the echo packets of one test, ms (10-10000) */
	uint32_t flags;                /* SVR_IMG_PATH_*; unknown bits are ignored */
	uint64_t remote_capacity_bps;  /* the peer interface's capacity-bps; 0: unknown */
};

/* SVR_SROUTE_ROUTING: "next-hop": "routing", the FIB. */
enum svr_img_route_kind {
	SVR_SROUTE_PEER,
	SVR_SROUTE_NEXT_HOP,
	SVR_SROUTE_NAT_TARGET,
	SVR_SROUTE_ROUTING
};

struct svr_img_service_route {
	uint32_t service;
	uint8_t kind;
	uint8_t reserved[3];
	uint32_t peer;                 /* PEER index (kind PEER) */
	uint32_t iface;                /* interface index (kind NEXT_HOP) */
	struct svr_img_prefix address; /* gateway (NEXT_HOP) or NAT target (NAT_TARGET) */
};

#define SVR_IMG_COLLECTOR_UDP 0
#define SVR_IMG_COLLECTOR_TCP 1

struct svr_img_collector {
	struct svr_img_prefix address; /* a host */
	uint16_t port;                 /* > 0 */
	uint8_t transport;             /* SVR_IMG_COLLECTOR_UDP or _TCP */
	uint8_t reserved[5];
};

/*
 * One rule of the router's exception policy (model: router "host-access"; docs/routing.md
 * "The exception policy"): which packets for the router that the dataplane does not answer
 * itself may go up to the kernel. The compiler writes the model's default when the model has
 * none, and nothing for "[]": the dataplane itself knows no default.
 */
/* sources: the arriving interface's subnets (and fe80::/10) */
#define SVR_IMG_HA_FROM_CONNECTED 0x1
/* every interface; else those of ifaces */
#define SVR_IMG_HA_ALL_IFACES 0x2

struct svr_img_host_access {
	uint8_t protocol;  /* IP protocol number (the upper layer, after IPv6 extension headers) */
	uint8_t has_ports; /* 1: tcp/udp, port_lo-port_hi is either the source or the destination */
	uint8_t flags;     /* SVR_IMG_HA_* */
	uint8_t reserved;
	uint16_t port_lo, port_hi;
	struct svr_img_range from; /* PREFIXES: the sources; empty with FROM_CONNECTED only */
	uint64_t ifaces;           /* bit i: interface i of the image; 0 with ALL_IFACES only */
};

#endif
