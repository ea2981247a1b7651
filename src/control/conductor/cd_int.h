/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the conductor client's files. Threads:
 *   - the sync thread (sync.c): enrols when needed (enrol.c), then holds the long poll open,
 *     writes keys and applies configurations, acknowledges them;
 *   - the status thread (status.c): reports every 5 s and at once when told; the watch thread
 *     (status.c) tells it when a peer path goes up or down;
 *   - the REST API's connection threads: local_begin/local_end and status_json only.
 * The sync and status threads each have their own libcurl handle (client.c); the watch thread
 * makes no requests. Fields marked (lock) are read
 * and written under cd->lock; apply_lock serialises applying a model (ours or the local API's).
 */
#ifndef SVR_CD_INT_H
#define SVR_CD_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "conductor.h"

#define CD_HOLD_S          25 /* the wait= a sync request asks for */
#define CD_REPLY_MAX       (64u << 20)
#define CD_CONNECT_MS      1500
#define CD_REQUEST_MS      5000 /* everything but the long poll */
#define CD_APPLY_WAIT_MS   5000 /* for the dataplane's acknowledgement */
#define CD_STATUS_EVERY_MS 5000
#define CD_STATUS_GAP_MS   1000  /* kicked reports: at most one a second beyond the 5 s ones */
#define CD_COMMAND_WAIT_MS 10000 /* a command's dataplane job, before it is reported failed */
#define CD_CREDENTIAL_MAX  256

#define CD_CREDENTIAL_NAME "conductor-credential"
#define CD_CA_NAME         "conductor-ca.pem"
#define CD_STATE_NAME      "conductor-state.json"

/* What the router has from the conductor; kept in <state-dir>/conductor-state.json. */
struct cd_state {
	int64_t serial, version; /* of the conductor configuration in force; 0: none yet */
	int64_t seen_serial;     /* the last configuration received, applied or not: after= */
	bool override;           /* a local model is in force (docs/conductor.md) */
	int64_t override_since;  /* unix seconds */
	int64_t override_base;   /* the conductor version in force when it was made */
};

enum cd_reach { CD_REACH_UNKNOWN, CD_REACH_UP, CD_REACH_DOWN };

struct svr_conductor {
	struct svr_ctl *ctl;
	struct svr_cd_config cfg;
	char file[4096];
	char dp_sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char cred_path[300], ca_path[300], state_path[300];

	pthread_mutex_t lock;
	pthread_cond_t wake;        /* (lock) stopping, enrolled, status_due */
	pthread_mutex_t apply_lock; /* held across one apply and its wait */
	atomic_bool stopping;       /* also read by libcurl's progress callback */

	bool enrolled;                          /* (lock) */
	char credential[CD_CREDENTIAL_MAX + 1]; /* set once before enrolled, then read-only */
	char *ca_pem;                           /* likewise */
	size_t ca_len;
	char fatal[512]; /* (lock) why the client gave up (enrolment refused); "" */

	struct cd_state st;   /* (lock) */
	char last_error[512]; /* (lock) the last configuration's refusal; "" */
	bool status_due;      /* (lock) */
	unsigned url_index;   /* (lock) the conductor in use */
	enum cd_reach reach;  /* (lock) */
	int64_t down_since_ms;
	atomic_uint outages; /* moves when the conductor is found unreachable (by either thread) */

	pthread_t sync_thread, status_thread, watch_thread;
	bool sync_started, status_started, watch_started;
};

/* A growing reply buffer; cd_buf_free cleanses it (replies carry keys and credentials). */
struct cd_buf {
	char *data;
	size_t len, cap;
};
void cd_buf_free(struct cd_buf *b);

/* ---- client.c: HTTPS to the conductors ---- */
struct cd_client {
	struct svr_conductor *cd;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	/* The sync thread's: a held request ends when the other thread finds the conductor
	 * unreachable (a partition can leave it hanging for its whole timeout otherwise). */
	bool abort_on_outage;
	unsigned outages_at_start;
	long refused_status; /* the HTTP status of the last refusal logged; 0: none */
};
int cd_client_init(struct cd_client *c, struct svr_conductor *cd);
void cd_client_fini(struct cd_client *c);
/*
 * One request to the conductors: the one in use first, then the others in order when it gives
 * a connection error, a timeout or a 5xx. 0 with *status and reply (0-terminated) when one
 * answered; -1 with err when none did (or we are stopping).
 */
int cd_request(struct cd_client *c, const char *method, const char *path, const char *body,
	       long timeout_ms, long *status, struct cd_buf *reply, char *err, size_t errlen);
/* One request to one URL; ca: the PEM to verify against, NULL: no verification (enrolment's
 * CA download only); bearer: NULL for none. 0, or -1 with err (no answer). */
int cd_request_one(struct cd_client *c, const char *url, const char *method, const char *path,
		   const char *body, const char *ca, size_t ca_len, const char *bearer,
		   long timeout_ms, long *status, struct cd_buf *reply, char *err, size_t errlen);
/* Logs reachability changes once (not every retry). */
void cd_note_reachable(struct svr_conductor *cd, bool up, unsigned url_index, const char *why);

/* ---- enrol.c ---- */
/* Loads credential and CA if present (sets enrolled); -1 with err when enrolment is needed but
 * the file lacks what it takes. */
int cd_enrolment_load(struct svr_conductor *cd, char *err, size_t errlen);
/* Enrols: 0 done, -1 try again later, -2 refused for good (cd->fatal says why). */
int cd_enrol(struct svr_conductor *cd, struct cd_client *c);

/* ---- state.c ---- */
int cd_state_load(struct svr_conductor *cd, char *err, size_t errlen);
/* Writes cd->st (the caller holds cd->lock). */
int cd_state_save(struct svr_conductor *cd);
/* Writes data to path atomically (temporary file in the same directory, fsync, rename). */
int cd_write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
		  size_t errlen);
void cd_rfc3339(int64_t unix_s, char *buf, size_t len);
/* {"since", "base-version"}, or null without an override. */
json_t *cd_override_json(const struct cd_state *st);

/* ---- syncmsg.c: the configuration (or the commands) a sync answer carries ---- */
struct cd_sync_msg {
	bool has_config; /* false: an answer with commands only (nothing to apply) */
	int64_t serial, version;
	json_t *model;    /* owned by doc; NULL: the running version has nothing for this router */
	json_t *keys;     /* likewise; NULL when the answer has none */
	json_t *commands; /* likewise: [{"id", "command", "args"}]; NULL when none */
	json_t *doc;
};
/* Parses a 200 answer strictly: a configuration {serial, version, model, keys}, or commands
 * alone {commands}; 0, or -1 with "JSON-PATH: sentence" in err. */
int cd_sync_parse(const char *text, size_t len, struct cd_sync_msg *m, char *err, size_t errlen);
void cd_sync_msg_free(struct cd_sync_msg *m);

/* ---- report.c: a status report's paths and interfaces from the dataplane's answers ---- */
/* peers: "peers"' answer; ifaces, ports: "interfaces"' and "ports"' (each may be NULL). */
json_t *cd_report_paths(const json_t *peers, const json_t *ifaces, const json_t *ports);
json_t *cd_report_interfaces(const json_t *ifaces, const json_t *ports);

/* ---- cmdargs.c: a clear-sessions command's arguments, read strictly ---- */
/* args ({"filter": {"tenant"?, "service"?, "address"?}} or {"all": true}) as the dataplane's
 * sessions-clear request; NULL with "svr-control refuses the arguments: PATH: sentence" in err
 * for anything else (an unknown key, a non-string filter value, neither or both). */
json_t *cd_clear_request(const json_t *args, char *err, size_t errlen);

/* ---- commands.c: what the conductor relays (docs/conductor.md, "Router commands") ---- */
/* Runs each command of a sync answer against the dataplane and posts its result (the sync
 * thread; each takes up to CD_COMMAND_WAIT_MS). */
void cd_commands_run(struct svr_conductor *cd, struct cd_client *c, const json_t *commands);
/* Runs one command ({"id", "command", "args"}, as the conductor sent it): its result, the body
 * of POST /commands/{id}/result: {"state": "done", "cleared": N} or {"state": "failed",
 * "error": "..."}; NULL when svr-control stops before the job is done (nothing is posted). */
json_t *cd_command_result(struct svr_conductor *cd, const json_t *cmd);

/* ---- sync.c / status.c: the threads ---- */
void *cd_sync_main(void *arg);
void *cd_status_main(void *arg);
void *cd_watch_main(void *arg);
/* Whether the conductor's last configuration is what runs (caller holds cd->lock). */
bool cd_in_sync(const struct svr_conductor *cd, uint64_t published, uint64_t acked);
/* Asks the status thread for a report now. */
void cd_status_kick(struct svr_conductor *cd);
/* Sleeps ms or until stopping; false when stopping. */
bool cd_sleep(struct svr_conductor *cd, unsigned ms);
/* 32 random bits for the backoff. */
uint32_t cd_random(void *ctx);
int64_t cd_now_ms(void);

#endif
