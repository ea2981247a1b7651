/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validation of the intent model (docs/model.md, "Validation"): the whole
 * document is checked and every error is reported with its JSON path and a
 * sentence, e.g.
 *   authority.services[3].transport[0].ports[1]: "9000-80": start is greater than end
 * A document that passes may be compiled for any of its routers.
 */
#ifndef SVR_VALIDATE_H
#define SVR_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

/* At most this many entries are kept; the last then says how many more were found. */
#define SVR_MODEL_MAX_ERRORS 1000

/* Per-router limits of the dataplane (src/dataplane/core/config.h), checked here so that a
 * model that validates also fits the router it is compiled for. */
#define SVR_MODEL_MAX_IFACES        64
#define SVR_MODEL_MAX_IFACE_ADDRS   8
#define SVR_MODEL_MAX_STATIC_ROUTES 1024
#define SVR_MODEL_MAX_STATIC_NEIGHS 256
#define SVR_MODEL_MAX_MTU           2026 /* RTE_MBUF_DEFAULT_DATAROOM - Ethernet, VLAN, FCS */

/*
 * A router's "host-access" (its exception policy, docs/routing.md): at most this many rules,
 * and the rules it has when the key is absent, as the model would write them (the compiler
 * compiles this text; docs/model.md shows it). The protocol's number, or -1 when v is none of
 * the model's protocol names or a number 0-255.
 */
#define SVR_MODEL_MAX_HOST_ACCESS 64
#define SVR_MODEL_HOST_ACCESS_DEFAULT                                                              \
	"[{\"protocol\": \"tcp\", \"port\": 22},"                                                  \
	" {\"protocol\": \"tcp\", \"port\": 179},"                                                 \
	" {\"protocol\": \"ospf\"},"                                                               \
	" {\"protocol\": \"udp\", \"port\": 68, \"from\": [\"0.0.0.0/0\"]}]"
int svr_model_host_access_protocol(const json_t *v);

/* authority.conductor's key rotation (seconds): defaults and the largest value accepted. */
#define SVR_MODEL_REKEY_INTERVAL_DEFAULT 604800    /* 7 days */
#define SVR_MODEL_REKEY_LEAD_DEFAULT     86400     /* 1 day */
#define SVR_MODEL_REKEY_MAX              315360000 /* 10 years */

/*
 * A neighborhood entry's "bfd" object: each key with its default and range. The validator
 * checks against these, the compiler fills the defaults (docs/model.md, "bfd").
 */
struct svr_model_bfd_key {
	const char *key;
	long long dflt, min, max;
};
enum svr_model_bfd {
	SVR_MODEL_BFD_DESIRED_TX_MS,
	SVR_MODEL_BFD_REQUIRED_MIN_RX_MS,
	SVR_MODEL_BFD_MULTIPLIER,
	SVR_MODEL_BFD_HOLD_DOWN_S,
	SVR_MODEL_BFD_MAX_HOLD_DOWN_S,
	SVR_MODEL_BFD_LINK_TEST_INTERVAL_S,
	SVR_MODEL_BFD_LINK_TEST_LENGTH,
	SVR_MODEL_BFD_ECHO_INTERVAL_MS,
	SVR_MODEL_BFD_NUMBERS /* "enabled" (boolean, default true) is the other key */
};
extern const struct svr_model_bfd_key svr_model_bfd_keys[SVR_MODEL_BFD_NUMBERS];

/* authority.telemetry.ipfix (docs/telemetry.md): defaults and limits */
#define SVR_MODEL_IPFIX_MAX_COLLECTORS     4
#define SVR_MODEL_IPFIX_PORT_DEFAULT       4739 /* IANA: ipfix */
#define SVR_MODEL_IPFIX_INTERIM_S_DEFAULT  60
#define SVR_MODEL_IPFIX_TEMPLATE_S_DEFAULT 600
#define SVR_MODEL_IPFIX_MAX_S              86400
#define SVR_MODEL_IPFIX_ENTERPRISE_DEFAULT 32473 /* RFC 5612: for documentation */

/* service policy's anti ping-pong brakes and the router's degraded threshold (defaults). */
#define SVR_MODEL_REVERT_HOLD_DOWN_S_DEFAULT    30
#define SVR_MODEL_MIN_DWELL_S_DEFAULT           10
#define SVR_MODEL_DEGRADED_CAPACITY_PCT_DEFAULT 60

struct svr_model_error {
	char path[256];    /* "authority.routers[0].interfaces[1].vlan"; "(top)": the document */
	char message[256]; /* a sentence */
};

struct svr_model_errors {
	unsigned count, cap;
	struct svr_model_error *list;
};

void svr_model_errors_init(struct svr_model_errors *e);
void svr_model_errors_free(struct svr_model_errors *e);
/* Appends one error (path "(top)" when NULL); full lists keep their first SVR_MODEL_MAX_ERRORS. */
__attribute__((format(printf, 3, 4))) void
svr_model_errors_add(struct svr_model_errors *e, const char *path, const char *fmt, ...);

/*
 * Validates the whole document; appends every error found (does not stop at
 * the first). Returns 0 when valid, -1 otherwise (also when memory ran out:
 * the last entry then says so).
 */
int svr_model_validate(const json_t *doc, struct svr_model_errors *e);

/* The model's rule for a router's name (docs/model.md, "name"), for every place that takes one
 * (the conductor's inventory and enrolment, svr-control's conductor settings). */
bool svr_model_router_name_valid(const char *s);
#define SVR_MODEL_ROUTER_NAME_RULE "1-32 letters, digits, '-' or '_'"

/* The router object named name inside a (validated) document, or NULL. */
const json_t *svr_model_router(const json_t *doc, const char *name);

#endif
