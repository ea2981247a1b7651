/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /api/v1/interfaces/{name}/capture?count=N&timeout=S&snaplen=B: a packet
 * capture on a router interface, answered as a classic pcap file
 * (application/vnd.tcpdump.pcap). svr-control runs the dataplane's
 * capture-start, capture-read until count packets or timeout seconds, then
 * capture-stop (include/svr/ctlsock.h); the request's thread waits meanwhile.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/pcap.h"
#include "rest_int.h"

#define CAPTURE_COUNT_DEFAULT   100
#define CAPTURE_COUNT_MAX       10000
#define CAPTURE_TIMEOUT_DEFAULT 10 /* s */
#define CAPTURE_TIMEOUT_MAX     60
#define CAPTURE_READ_MAX        1000 /* packets per capture-read */
#define CAPTURE_POLL_MS         20

static const char *const capture_params[] = {"count", "timeout", "snaplen", NULL};

/* Decimal digits only, from min to max; -1 otherwise. */
static long number_arg(const struct rest_in *in, const char *key, long min, long max, long deflt,
		       char *err, size_t errlen)
{
	const char *v = rest_query(in, key);
	if (!v)
		return deflt;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *v < '0' || *v > '9' || *end || errno || n < min || n > max) {
		snprintf(err, errlen, "%s: \"%.32s\" is not a whole number from %ld to %ld", key, v,
			 min, max);
		return -1;
	}
	return n;
}

/* A refused capture-start: 404 for an unknown interface, 409 when one runs already. */
static void start_refused(struct rest_reply *out, enum rest_dp_result rc, const char *name,
			  const char *err)
{
	if (rc == REST_DP_REFUSED && strncmp(err, "interface:", 10) == 0)
		rest_error(out, MHD_HTTP_NOT_FOUND, "no router interface named \"%.64s\" (%s)",
			   name, err);
	else if (rc == REST_DP_REFUSED && strstr(err, "already running"))
		rest_error(out, MHD_HTTP_CONFLICT, "%s", err);
	else if (rc == REST_DP_REFUSED && strncmp(err, "snaplen:", 8) == 0)
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
	else if (rc == REST_DP_DOWN)
		rest_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
	else
		rest_error(out, MHD_HTTP_BAD_GATEWAY, "capture-start: %s", err);
}

/* Appends the read packets to f; -1 (err) on a malformed packet. */
static long write_packets(FILE *f, const json_t *pkts, char *err, size_t errlen)
{
	static _Thread_local uint8_t buf[65536];
	const json_t *p;
	size_t i;
	json_array_foreach (pkts, i, p) {
		uint64_t t;
		uint32_t orig;
		long n = svr_pcap_packet_decode(p, buf, sizeof(buf), &t, &orig);
		if (n < 0 || svr_pcap_write_record(f, t, buf, (uint32_t)n, orig) < 0) {
			snprintf(err, errlen, "capture-read: a malformed packet in the answer");
			return -1;
		}
	}
	return (long)json_array_size(pkts);
}

/* capture-read until count packets or the deadline; -1 (err) when the dataplane fails. */
static int capture_loop(struct svr_rest *r, json_int_t id, long count, uint64_t deadline, FILE *f,
			char *err, size_t errlen)
{
	long got = 0;
	while (got < count && rest_now_ms() < deadline) {
		long want = count - got < CAPTURE_READ_MAX ? count - got : CAPTURE_READ_MAX;
		json_t *req = json_pack("{s:s, s:I, s:I}", "cmd", "capture-read", "capture", id,
					"max", (json_int_t)want);
		json_t *data = NULL;
		enum rest_dp_result rc =
		    rest_dp_request(r->dp_sock, req, REST_DP_TIMEOUT, &data, err, errlen);
		json_decref(req);
		if (rc != REST_DP_OK)
			return -1;
		long n = write_packets(f, json_object_get(data, "packets"), err, errlen);
		json_decref(data);
		if (n < 0)
			return -1;
		got += n;
		if (n == 0) {
			struct timespec ts = {.tv_nsec = CAPTURE_POLL_MS * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

void rest_capture_get(struct svr_rest *r, const struct rest_route *rt, const struct rest_in *in,
		      struct rest_reply *out)
{
	(void)rt;
	char err[512];
	if (rest_query_check(in, capture_params, err, sizeof(err)) < 0) {
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	long count =
	    number_arg(in, "count", 1, CAPTURE_COUNT_MAX, CAPTURE_COUNT_DEFAULT, err, sizeof(err));
	long timeout = count < 0 ? -1
				 : number_arg(in, "timeout", 1, CAPTURE_TIMEOUT_MAX,
					      CAPTURE_TIMEOUT_DEFAULT, err, sizeof(err));
	long snaplen = timeout < 0 ? -1 : number_arg(in, "snaplen", 64, 2048, 0, err, sizeof(err));
	if (snaplen < 0) {
		rest_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	json_t *req = json_pack("{s:s, s:s}", "cmd", "capture-start", "interface", in->tail);
	if (snaplen)
		json_object_set_new(req, "snaplen", json_integer(snaplen));
	json_t *started = NULL;
	enum rest_dp_result rc =
	    rest_dp_request(r->dp_sock, req, REST_DP_TIMEOUT, &started, err, sizeof(err));
	json_decref(req);
	if (rc != REST_DP_OK) {
		start_refused(out, rc, in->tail, err);
		return;
	}
	json_int_t id = json_integer_value(json_object_get(started, "capture"));
	uint32_t snap = (uint32_t)json_integer_value(json_object_get(started, "snaplen"));
	json_decref(started);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ok = f && svr_pcap_write_header(f, snap) == 0 &&
		 capture_loop(r, id, count, rest_now_ms() + (uint64_t)timeout * 1000, f, err,
			      sizeof(err)) == 0;
	if (f && fclose(f) != 0)
		ok = 0;
	json_t *stop = json_pack("{s:s, s:I}", "cmd", "capture-stop", "capture", id), *data = NULL;
	char stop_err[256];
	rest_dp_request(r->dp_sock, stop, REST_DP_TIMEOUT, &data, stop_err, sizeof(stop_err));
	json_decref(stop);
	json_decref(data);
	if (!ok) {
		free(buf);
		rest_error(out, MHD_HTTP_BAD_GATEWAY, "%s", f ? err : "out of memory");
		return;
	}
	out->status = MHD_HTTP_OK;
	out->text = buf;
	out->text_len = len;
	out->content_type = "application/vnd.tcpdump.pcap";
}
