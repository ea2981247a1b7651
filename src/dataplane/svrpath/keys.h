/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SVR key ring (keys.c, docs/svr.md "Keys"): the key file loaded at start
 * and reloaded by the main lcore when it changes (double-buffered, read by
 * workers under RCU), checked against the image's ciphers; the keys sessions
 * encrypt their payloads with; the log of first packets refused as if the
 * peer's keys differed.
 */
#ifndef SVR_PATH_KEYS_H
#define SVR_PATH_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* Startup: the key file (missing: no keys), the replay memory (first.h) and the workers'
 * crypto contexts. */
int dp_svr_init(const char *key_file, unsigned n_workers);
void dp_svr_free(void);
/* Main lcore, each housekeeping turn: reads the key file again when it changed (hitless
 * rotation: new keys in, removed keys out, slots of the others kept); a bad file, or one whose
 * keys do not fit the running image's ciphers (dp_svr_keys_fit), is logged and the running keys
 * stay. */
void dp_svr_keys_poll(void);
/* Main lcore, before an image is applied: whether the running keys fit the encryption cipher of
 * every security policy its peer paths use (key length). 0, or -1 with a sentence naming the
 * policy, the key and the length needed. */
int dp_svr_keys_fit(const void *img, char *err, size_t errlen);
/* Main lcore, each housekeeping turn: logs (at most every 10 s) the first packets from peers
 * refused since the last report as if under other keys: HMAC failed (svr-hmac-failed) or the
 * metadata did not decrypt (svr-metadata-undecryptable), naming a peer path. */
void dp_svr_keys_differ_report(uint64_t now_ms);

/*
 * End-to-end payload encryption: the key a session encrypts its payloads
 * with, as a tag for struct svr_session.payload_key (its key-ring slot and
 * bits of its Security ID): the newest valid key (ingress) or the one the
 * forward metadata's Security ID names (egress); 0 when there is none with an
 * encryption key.
 */
uint16_t dp_svr_payload_key_current(void);

struct svr_keyring;
/* Main lcore: the running key ring (peer-path liveness derives its BFD keys from it) and how many
 * times it was loaded, which moves on every reload. */
const struct svr_keyring *dp_svr_keys_running(void);
uint64_t dp_svr_keys_loads(void);
uint16_t dp_svr_payload_key_of(uint32_t security_id);

/* ICMP errors carried between the routers (svrpath/icmp.c): the Security ID senders name now
 * (0: no key). */
uint32_t dp_svr_security_id_now(void);

#endif
