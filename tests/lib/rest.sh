# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers for end-to-end tests that drive svr-control's REST API (docs/api.md). Source after
# netns.sh. The caller sets SVR_API (http://127.0.0.1:PORT) and SVR_API_TOKEN.

# svr_free_port FROM: the first TCP port from FROM upwards that nothing listens on.
svr_free_port() {
	local p=$1
	while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

# svr_http METHOD PATH [CURL_ARGS...]: one request with the bearer token (or $SVR_API_AUTH as
# the whole Authorization header). Sets SVR_HTTP_CODE; the body is in $SVR_TMP/body, the headers
# in $SVR_TMP/headers, curl's complaints in $SVR_TMP/curl.err.
svr_http() {
	local method=$1 path=$2
	shift 2
	SVR_HTTP_CODE=$(curl -sS -m 20 -o "$SVR_TMP/body" -D "$SVR_TMP/headers" -w '%{http_code}' \
		-X "$method" -H "${SVR_API_AUTH:-Authorization: Bearer $SVR_API_TOKEN}" "$@" \
		"$SVR_API/api/v1$path" 2>"$SVR_TMP/curl.err")
	[ -n "$SVR_HTTP_CODE" ] || SVR_HTTP_CODE=000
}

# svr_control_start LOG ROUTER INSTANCE STATE_DIR LISTEN [EXTRA_ARGS...]: svr-control in daemon
# mode with its REST API on LISTEN (host:port), talking to $SVR_ROUTER_SOCK; waits until the API
# answers (401 without a token). Sets SVR_CONTROL_PID.
svr_control_start() {
	local log=$1 router=$2 inst=$3 state=$4 listen=$5 t=0
	shift 5
	setsid "$(svr_control_bin)" --router "$router" --instance "$inst" --state-dir "$state" \
		--listen "$listen" --dataplane-socket "$SVR_ROUTER_SOCK" "$@" \
		</dev/null >"$log" 2>&1 &
	SVR_CONTROL_PID=$!
	svr_track "$SVR_CONTROL_PID"
	svr_defer "svr_stop_pid $SVR_CONTROL_PID 10"
	while [ $t -lt 100 ]; do
		if ! svr_pid_alive "$SVR_CONTROL_PID"; then
			echo "svr-control exited during startup; log:" >&2
			sed 's/^/    | /' "$log" >&2
			return 1
		fi
		if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$listen/api/v1/status")" = 401 ]; then
			return 0
		fi
		sleep 0.1
		t=$((t + 1))
	done
	echo "svr-control did not answer on $listen within 10 s; log:" >&2
	sed 's/^/    | /' "$log" >&2
	return 1
}
