/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-packet classification against the policy image: who (tenant), what
 * (service) and whether (access). Built on the main lcore when an image is
 * applied, then read-only; used on the session-creation path, never per hit.
 * Prefix matches go through per-length hash tables, so a 10,000-service image
 * builds in about a millisecond (no ACL compilation).
 *
 * Rules (docs/model.md "Semantics"):
 * - tenant: the longest `members` prefix holding the source among the
 *   neighborhoods of the ingress interface; else the interface's tenant.
 * - service: the longest prefix holding the destination among entries whose
 *   transport names the port; only if none, the longest among port-less ones.
 * - access: allowed when an allow rule matches and no deny rule at least as
 *   specific does (prefix rules by length, above tenant rules by depth; a rule
 *   naming both is as specific as its prefix; rules outside their time window
 *   do not exist). Equal specificity: deny wins. Nothing is allowed otherwise.
 */
#ifndef SVR_CLASSIFY_H
#define SVR_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inet.h"

struct svr_classifier;

/* Values one classifier holds at most (tenant members; service prefix-transport pairs). */
#define SVR_CLASSIFIER_MAX_ENTRIES (1u << 22)

/*
 * img: an image svr_img_check accepted; it must stay valid while the classifier
 * lives (it is the generation's own copy). NULL with the reason in err.
 */
struct svr_classifier *svr_classifier_build(const void *img, char *err, size_t errlen);
void svr_classifier_free(struct svr_classifier *c);

/* Image tenant index, or UINT32_MAX. iface: image interface index. */
uint32_t svr_classify_tenant(const struct svr_classifier *c, uint32_t iface,
			     const struct svr_ip *src);
/* Image service index, or UINT32_MAX. */
uint32_t svr_classify_service(const struct svr_classifier *c, uint8_t proto,
			      const struct svr_ip *dst, uint16_t dport);

/* How a source got its tenant ("why", docs/telemetry.md): the same lookups, explained. */
enum svr_tenant_by { SVR_TENANT_BY_NONE, SVR_TENANT_BY_MEMBER, SVR_TENANT_BY_INTERFACE };
struct svr_tenant_why {
	uint32_t tenant; /* image index, or UINT32_MAX */
	uint8_t by;      /* enum svr_tenant_by */
	uint32_t hood;   /* BY_MEMBER: the neighborhood's name (string offset) */
	int prefix_len;  /* BY_MEMBER: the member prefix's length */
};
uint32_t svr_classify_tenant_why(const struct svr_classifier *c, uint32_t iface,
				 const struct svr_ip *src, struct svr_tenant_why *why);

/* How a destination got its service: the service, the transport entry that named the port
 * (UINT32_MAX: the service names none), the prefix's length, whether a port decided. */
struct svr_service_why {
	uint32_t service; /* image index, or UINT32_MAX */
	uint32_t transport;
	int prefix_len;
	bool by_port;
};
uint32_t svr_classify_service_why(const struct svr_classifier *c, uint8_t proto,
				  const struct svr_ip *dst, uint16_t dport,
				  struct svr_service_why *why);

enum svr_access {
	SVR_ACCESS_ALLOW,
	SVR_ACCESS_NO_RULE, /* no allow rule matched: deny by default */
	SVR_ACCESS_DENIED,  /* a deny rule at least as specific matched */
};
/* rule (may be NULL): the image index of the access rule that decided (the allow rule that
 * admitted, the deny rule that refused; UINT32_MAX when no rule matched). */
enum svr_access svr_classify_access(const struct svr_classifier *c, uint32_t service,
				    uint32_t tenant, const struct svr_ip *src, int64_t now_s,
				    uint32_t *rule);

#endif
