# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers for end-to-end tests with svr-conductor (docs/conductor.md). Source after netns.sh.
# A conductor runs in a namespace of its own, reached from the root namespace (where each
# router's svr-control runs) over a veth: conductor N (1, 2, ...) at 198.18.250.N, the root side
# at 198.18.250.254. A partition is an nftables drop in that namespace.

svr_conductor_bin() { echo "${SVR_CONDUCTOR:-$(svr_build_dir)/conductor/svr-conductor}"; }

SVR_COND_PORT=8443

# svr_conductor_net: the conductors' namespace and link (once per test).
svr_conductor_net() {
	SVR_COND_NS=$SVR_PREFIX-cd
	svr_netns_add "$SVR_COND_NS" || return 1
	ip link add "$SVR_PREFIX-k0" type veth peer name "$SVR_PREFIX-k1" netns "$SVR_COND_NS" ||
		return 1
	svr_defer "ip link del '$SVR_PREFIX-k0'"
	ip addr add 198.18.250.254/24 dev "$SVR_PREFIX-k0" || return 1
	ip link set "$SVR_PREFIX-k0" up && ip -n "$SVR_COND_NS" link set "$SVR_PREFIX-k1" up
}

# svr_conductor_start N [STORE [MEMBERS]]: conductor N (state in $SVR_TMP/cdN, STORE default
# sqlite, MEMBERS more startup-file members as JSON text, e.g. '"hold-s": 5'; its "operators"
# are added to the default one, "admin", as are the entries of $SVR_COND_MORE_OPERATORS (JSON
# text, e.g. '{"name": "ops", "role": "operator", "token-file": "..."}')) on
# https://198.18.250.N:8443; waits until it serves its CA. Sets SVR_CONDUCTORn_PID,
# SVR_COND_URL (the first conductor's URL, once), SVR_COND_TOKEN (the operator token: one file,
# $SVR_TMP/operator-token, for every conductor, as an operator holds one token for all),
# SVR_COND_CA (the CA's PEM file) and SVR_COND_CA_SHA256.
svr_conductor_start() {
	local n=$1 store=${2:-sqlite} extra="{${3:-}}" dir=$SVR_TMP/cd$1 addr=198.18.250.$1 pid
	mkdir -p "$dir"
	ip -n "$SVR_COND_NS" addr add "$addr/24" dev "$SVR_PREFIX-k1" 2>/dev/null
	jq -n --arg addr "$addr" --argjson port "$SVR_COND_PORT" --arg dir "$dir" \
		--arg store "$store" --arg token "$SVR_TMP/operator-token" --argjson extra "$extra" \
		--argjson more "[${SVR_COND_MORE_OPERATORS:-}]" \
		'{listen: "\($addr):\($port)", "state-dir": $dir, store: $store, names: [$addr],
		  "hold-s": 25, "router-timeout-s": 10,
		  operators: ([{name: "admin", "token-file": $token}] + $more + ($extra.operators // []))}
		 + ($extra | del(.operators))' >"$dir/conductor.json" || return 1
	setsid ip netns exec "$SVR_COND_NS" "$(svr_conductor_bin)" --config "$dir/conductor.json" \
		</dev/null >>"$dir/conductor.log" 2>&1 &
	pid=$!
	svr_track "$pid"
	svr_defer "svr_stop_pid $pid 10"
	printf -v "SVR_CONDUCTOR${n}_PID" '%s' "$pid"
	svr_until 30 svr__conductor_ca "$addr" "$dir" || {
		echo "conductor $n did not serve its CA within 30 s; log:" >&2
		sed 's/^/    | /' "$dir/conductor.log" >&2
		return 1
	}
	SVR_COND_URL=${SVR_COND_URL:-https://$addr:$SVR_COND_PORT}
	SVR_COND_TOKEN=$(cat "$SVR_TMP/operator-token")
	SVR_COND_CA=$dir/ca.pem
	SVR_COND_CA_SHA256=$(openssl x509 -in "$SVR_COND_CA" -outform DER | sha256sum | cut -c1-64)
}

svr__conductor_ca() {
	svr_pid_alive "$pid" || return 1
	ip netns exec "$SVR_COND_NS" curl -sSk -m 2 -o "$2/ca.pem" \
		"https://$1:$SVR_COND_PORT/api/v1/enrol/ca" 2>/dev/null &&
		[ -s "$2/ca.pem" ]
}

# svr_conductor_stop N: stops conductor N (SIGTERM, by its PID) and waits for it to be gone.
svr_conductor_stop() {
	local v=SVR_CONDUCTOR$1_PID
	svr_stop_pid "${!v}" 10
}

# svr_cond METHOD PATH [CURL_ARGS...]: one operator request to $SVR_COND_URL (or $SVR_COND_AT),
# made from the conductors' namespace (the operator's side: a partition between routers and
# conductor does not cut it). Sets SVR_HTTP_CODE; the body is in $SVR_TMP/body.
svr_cond() {
	local method=$1 path=$2
	shift 2
	SVR_HTTP_CODE=$(ip netns exec "$SVR_COND_NS" curl -sS -m 30 --cacert "$SVR_COND_CA" -o "$SVR_TMP/body" -w '%{http_code}' \
		-X "$method" -H "Authorization: Bearer $SVR_COND_TOKEN" \
		-H 'Content-Type: application/json' "$@" \
		"${SVR_COND_AT:-$SVR_COND_URL}/api/v1$path" 2>"$SVR_TMP/curl.err")
	[ -n "$SVR_HTTP_CODE" ] || SVR_HTTP_CODE=000
}

# svr_cond_commit FILE MESSAGE: commits the model FILE; sets SVR_COND_SERIAL to the new serial
# and succeeds, or fails (the answer in $SVR_TMP/body, its status in SVR_HTTP_CODE).
svr_cond_commit() {
	SVR_COND_SERIAL=
	jq -c --arg m "$2" '{model: ., message: $m}' "$1" >"$SVR_TMP/commit.json" || return 1
	svr_cond POST /commit --data-binary @"$SVR_TMP/commit.json"
	[ "$SVR_HTTP_CODE" = 201 ] && SVR_COND_SERIAL=$(jq -r .serial "$SVR_TMP/body")
}

# svr_cond_router_file ROUTER FILE URL...: adds ROUTER to the inventory, asks for its enrolment
# token and writes the router's conductor file FILE (the conductors' URLs, token, CA fingerprint,
# key file $SVR_TMP/ROUTER/keys.json).
svr_cond_router_file() {
	local r=$1 file=$2 token
	shift 2
	svr_cond POST /routers --data "{\"name\": \"$r\"}"
	case "$SVR_HTTP_CODE" in 201 | 409) ;; *) echo "POST /routers: $SVR_HTTP_CODE" >&2; return 1 ;; esac
	svr_cond POST "/routers/$r/enrolment-token"
	[ "$SVR_HTTP_CODE" = 201 ] || { echo "enrolment token: $SVR_HTTP_CODE" >&2; return 1; }
	token=$(jq -r .token "$SVR_TMP/body")
	mkdir -p "$SVR_TMP/$r"
	jq -n --arg r "$r" --arg t "$token" --arg ca "$SVR_COND_CA_SHA256" \
		--arg k "$SVR_TMP/$r/keys.json" '{urls: $ARGS.positional, router: $r,
		"enrolment-token": $t, "ca-sha256": $ca, "key-file": $k}' --args "$@" >"$file"
}

# svr_cond_in_sync ROUTER SERIAL: true when the conductor shows ROUTER having applied SERIAL or
# later.
svr_cond_in_sync() {
	svr_cond GET "/routers/$1" && [ "$SVR_HTTP_CODE" = 200 ] &&
		jq -e --argjson s "$2" '(."applied-serial" // 0) >= $s' "$SVR_TMP/body" >/dev/null
}

# svr_managed_control_start ROUTER CONDUCTOR_FILE LISTEN: svr-control for ROUTER's dataplane
# (started with svr2_dataplane_start) managed by the conductor(s) of CONDUCTOR_FILE, with its
# local REST API on LISTEN. Sets <ROUTER>_CONTROL_PID; the log is $SVR_TMP/ROUTER/control.log.
svr_managed_control_start() {
	local r=$1 sock_var=${1}_SOCK pid
	setsid "$(svr_control_bin)" --router "$r" --instance "$SVR_PREFIX$r" \
		--state-dir "$SVR_TMP/$r/state" --conductor "$2" --listen "$3" \
		--dataplane-socket "${!sock_var}" </dev/null >>"$SVR_TMP/$r/control.log" 2>&1 &
	pid=$!
	svr_track "$pid"
	svr_defer "svr_stop_pid $pid 10"
	printf -v "${r}_CONTROL_PID" '%s' "$pid"
}
