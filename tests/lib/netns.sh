# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Shared helpers for namespace end-to-end tests and tools/demo. Source it from bash:
#
#   . "$REPO/tests/lib/netns.sh"
#   svr_require_root; svr_require_tools ip ethtool ping
#   svr_init myprefix            # temp dir, cleanup trap (EXIT INT TERM)
#   svr_topology_up              # client ns -- [a] router [b] -- server ns (veths)
#   svr_router_config "$SVR_TMP/router.json"
#   svr_router_start "$(svr_dataplane_bin)" "$SVR_TMP/router.json" || exit 1
#   svr_check "ping" svr_nsx "$SVR_NS_CLIENT" ping -c 1 198.18.2.2
#   ...
#   svr_finish                   # prints the summary, exits 0/1
#
# Everything created through these helpers is registered and removed by the trap, in reverse
# order, even when the caller fails or is interrupted: processes (by PID, never by name),
# namespaces, links, /var/run/dpdk/svr-<instance>, the temp dir.
#
# Network rules: addresses from 198.18.0.0/15 and 2001:db8::/32 only; everything stays in the
# namespaces created here. Names are derived from the prefix given to svr_init (at most 10
# characters) so that tests can run in parallel and leftovers are recognisable.
#
# Environment:
#   SVR_BUILD        build directory (default: build), relative to the repository or absolute
#   SVR_DATAPLANE    dataplane binary (default: $SVR_BUILD/src/dataplane/svr-dataplane)
#   SVRCTL           svrctl binary (default: $SVR_BUILD/tools/svrctl/svrctl)
#   SVR_KEEP_TMP=1   keep the temp dir (configs, logs) after the run
#   SVR_VERBOSE=1    trace cleanup commands

SVR_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SVR_REPO_DIR=$(cd "$SVR_LIB_DIR/../.." && pwd)
SVR_PYTHON=${SVR_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}

SVR_PREFIX=""
SVR_TMP=""
SVR_FAILS=0
SVR_PASSES=0
SVR_CLEANUP=()        # cleanup commands (strings), run last-registered first
SVR_CLEANED=0
SVR_ROUTER_PID=""
SVR_ROUTER_LOG=""
SVR_ROUTER_SOCK=""
SVR_ROUTER_INSTANCE=""
SVR_LOG_SHOWN=0
SVR_ERR_FD=2

# ---------------------------------------------------------------------------------------------
# Output and assertions

# shellcheck disable=SC2034 # colours are also used by the scripts that source this file
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	SVR_C_OK=$'\e[32m' SVR_C_BAD=$'\e[31m' SVR_C_HEAD=$'\e[1m' SVR_C_DIM=$'\e[2m' SVR_C_END=$'\e[0m'
else
	SVR_C_OK="" SVR_C_BAD="" SVR_C_HEAD="" SVR_C_DIM="" SVR_C_END=""
fi

svr_info() { printf '%s\n' "$*"; }
svr_warn() { printf 'WARN: %s\n' "$*" >&2; }
svr_heading() { printf '\n%s== %s ==%s\n' "$SVR_C_HEAD" "$*" "$SVR_C_END"; }
svr_pass() {
	SVR_PASSES=$((SVR_PASSES + 1))
	printf '%sPASS%s: %s\n' "$SVR_C_OK" "$SVR_C_END" "$*"
}
svr_fail() {
	SVR_FAILS=$((SVR_FAILS + 1))
	printf '%sFAIL%s: %s\n' "$SVR_C_BAD" "$SVR_C_END" "$*"
}

# svr_check DESCRIPTION CMD...: PASS if CMD succeeds, else FAIL with its output.
svr_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		svr_pass "$desc"
	else
		svr_fail "$desc (exit $rc)"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    | /'
	fi
	return $rc
}

# Exit 77 (skip) unless root / unless every tool is on PATH.
svr_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces, veths)"
		exit 77
	fi
}
svr_require_tools() {
	local t missing=""
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "SKIP: missing tools:$missing (tools/install-deps installs them)"
		exit 77
	fi
}

# svr_finish: summary line, exit 0 if nothing failed, 1 otherwise (the trap cleans up).
svr_finish() {
	if [ "$SVR_FAILS" -eq 0 ]; then
		printf '%sRESULT: PASS%s (%d checks)\n' "$SVR_C_OK" "$SVR_C_END" "$SVR_PASSES"
		exit 0
	fi
	printf '%sRESULT: FAIL%s (%d failed, %d passed)\n' "$SVR_C_BAD" "$SVR_C_END" \
		"$SVR_FAILS" "$SVR_PASSES"
	exit 1
}

# ---------------------------------------------------------------------------------------------
# Build paths

svr_build_dir() {
	local b=${SVR_BUILD:-build}
	case "$b" in
	/*) echo "$b" ;;
	*) echo "$SVR_REPO_DIR/$b" ;;
	esac
}
svr_dataplane_bin() { echo "${SVR_DATAPLANE:-$(svr_build_dir)/src/dataplane/svr-dataplane}"; }
svr_svrctl_bin() { echo "${SVRCTL:-$(svr_build_dir)/tools/svrctl/svrctl}"; }
# svr_asan_dataplane_bin: the ASan/UBSan build's dataplane ($SVR_ASAN_BUILD, default build-asan
# beside the build directory), built with the test hooks (make test); fails when there is none.
svr_asan_dataplane_bin() {
	local dir=${SVR_ASAN_BUILD:-$(svr_build_dir)/../build-asan}
	[ -x "$dir/src/dataplane/svr-dataplane" ] || return 1
	echo "$(cd "$dir" && pwd)/src/dataplane/svr-dataplane"
}
# svr_sanitizer_reports LOG...: prints the sanitizers' reports found in the logs (none: fails).
svr_sanitizer_reports() { grep -hE "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$@"; }
svr_control_bin() { echo "${SVR_CONTROL:-$(svr_build_dir)/src/control/svr-control}"; }

# ---------------------------------------------------------------------------------------------
# Cleanup registry

# svr_init PREFIX: remember the prefix, make the temp dir, install the trap.
svr_init() {
	SVR_PREFIX=$1
	if [ ${#SVR_PREFIX} -gt 10 ] || ! [[ $SVR_PREFIX =~ ^[a-z][a-z0-9]*$ ]]; then
		echo "svr_init: prefix '$SVR_PREFIX' must be [a-z][a-z0-9]*, at most 10 characters" >&2
		exit 1
	fi
	SVR_TMP=$(mktemp -d "/tmp/svr-$SVR_PREFIX.XXXXXX") || exit 1
	exec {SVR_ERR_FD}>&2 # stderr that cleanup does not silence
	svr_defer "svr__rm_tmp"
	trap 'svr_cleanup' EXIT
	trap 'echo "interrupted" >&2; exit 130' INT
	trap 'echo "terminated" >&2; exit 143' TERM
	trap '' PIPE
}

# svr_defer CMD: run CMD (a string, eval'd) at cleanup. Last registered runs first.
svr_defer() { SVR_CLEANUP+=("$1"); }

svr_cleanup() {
	local rc=$? i
	[ "$SVR_CLEANED" -eq 1 ] && return $rc
	SVR_CLEANED=1
	trap '' INT TERM # finish cleaning even if Ctrl-C is pressed again
	set +e
	if [ $rc -ne 0 ] && [ "$SVR_LOG_SHOWN" -eq 0 ] && [ -n "$SVR_ROUTER_LOG" ] &&
		[ -s "$SVR_ROUTER_LOG" ]; then
		echo "---- router log ($SVR_ROUTER_LOG), last 40 lines ----" >&2
		tail -n 40 "$SVR_ROUTER_LOG" >&2
		echo "----" >&2
	fi
	for ((i = ${#SVR_CLEANUP[@]} - 1; i >= 0; i--)); do
		[ -n "${SVR_VERBOSE:-}" ] && echo "cleanup: ${SVR_CLEANUP[i]}" >&2
		eval "${SVR_CLEANUP[i]}" >/dev/null 2>&1
	done
	SVR_CLEANUP=()
	return $rc
}

svr__rm_tmp() {
	[ -n "$SVR_TMP" ] && [ -d "$SVR_TMP" ] || return 0
	if [ -n "${SVR_KEEP_TMP:-}" ]; then
		echo "kept $SVR_TMP" >&2
	else
		rm -rf -- "$SVR_TMP"
	fi
}

# ---------------------------------------------------------------------------------------------
# Processes (by PID only)

# svr_pid_alive PID: true if PID exists and is not a zombie (a crashed child we have not reaped
# yet is a zombie and still answers kill -0).
svr_pid_alive() {
	local pid=$1 st
	[ -n "$pid" ] || return 1
	st=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ] && [ "${st%% *}" != X ]
}

# svr_track PID: remember PID's start time, so that a later svr_stop_pid never signals an
# unrelated process that reused the PID after ours exited.
declare -A SVR_PID_START=()
svr_pid_starttime() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	# shellcheck disable=SC2086
	set -- $st
	echo "${20}"
}
svr_track() { SVR_PID_START[$1]=$(svr_pid_starttime "$1"); }

# svr_stop_pid PID [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 10), then SIGKILL.
# Returns 0 if it exited after SIGTERM, 1 if it needed SIGKILL, 2 if it was not running.
# Reaps the process if it is our child; its exit status is left in SVR_LAST_STATUS.
svr_stop_pid() {
	local pid=$1 timeout=${2:-10} t=0 ret=0
	SVR_LAST_STATUS=""
	if [ "${SVR_PID_START[$pid]-unset}" = stopped ]; then
		return 2
	fi
	if ! svr_pid_alive "$pid"; then
		ret=2
	elif [ -n "${SVR_PID_START[$pid]:-}" ] &&
		[ "$(svr_pid_starttime "$pid")" != "${SVR_PID_START[$pid]}" ]; then
		ret=2 # not ours any more
	else
		kill -TERM "$pid" 2>/dev/null
		while svr_pid_alive "$pid" && [ $t -lt $((timeout * 10)) ]; do
			sleep 0.1
			t=$((t + 1))
		done
		if svr_pid_alive "$pid"; then
			echo "pid $pid still running ${timeout}s after SIGTERM: SIGKILL" >&"${SVR_ERR_FD:-2}"
			kill -KILL "$pid" 2>/dev/null
			ret=1
		fi
	fi
	# Reap (only works for our own children; harmless otherwise).
	if wait "$pid" 2>/dev/null; then SVR_LAST_STATUS=0; else SVR_LAST_STATUS=$?; fi
	SVR_PID_START[$pid]=stopped
	return $ret
}

# svr_cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks.
svr_cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	# shellcheck disable=SC2086
	set -- $st
	echo $((${12} + ${13}))
}

# svr_cpu_pct PID SECONDS: CPU used by PID over SECONDS, in percent of one core (1 decimal).
svr_cpu_pct() {
	local pid=$1 secs=$2 t0 t1 w0 w1 hz
	hz=$(getconf CLK_TCK)
	t0=$(svr_cpu_ticks "$pid") || return 1
	w0=$(date +%s.%N)
	sleep "$secs"
	t1=$(svr_cpu_ticks "$pid") || return 1
	w1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v hz="$hz" -v w0="$w0" -v w1="$w1" \
		'BEGIN { printf "%.1f\n", (b - a) / hz / (w1 - w0) * 100 }'
}

# ---------------------------------------------------------------------------------------------
# Namespaces and links

# svr_nsx NS CMD...: run CMD in namespace NS.
svr_nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# svr_netns_add NS: create NS (registered for removal), loopback up, no IPv6 DAD, no RAs.
svr_netns_add() {
	local ns=$1
	if ip netns list | awk '{print $1}' | grep -qxF "$ns"; then
		echo "namespace $ns exists (leftover of an earlier run?): removing it" >&2
		ip netns del "$ns" || return 1
	fi
	ip netns add "$ns" || return 1
	svr_defer "ip netns del '$ns'"
	ip -n "$ns" link set lo up
	svr_nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 || return 1
}

# svr_offloads_off IF [NS]: no checksum offload, TSO, GSO, GRO (af_packet needs whole,
# checksummed frames).
svr_offloads_off() {
	local ifname=$1 ns=${2:-}
	if [ -n "$ns" ]; then
		svr_nsx "$ns" ethtool -K "$ifname" tx off tso off gso off rx off gro off >/dev/null
	else
		ethtool -K "$ifname" tx off tso off gso off rx off gro off >/dev/null
	fi
}

# svr_veth_add ROOT_IF NS NS_IF [INDEX]: a veth pair, ROOT_IF in the root namespace (for the
# router's net_af_packet; interface index INDEX if given), NS_IF in NS. Both up, offloads off. The
# root end is kept silent and inert for the host's own stack: no IPv6 (no link-local, RS, MLD), no
# ARP, no IPv4 forwarding from it, so frames the router gets never leak into the host's routing.
svr_veth_add() {
	local rif=$1 ns=$2 nif=$3 index=()
	[ -n "${4:-}" ] && index=(index "$4")
	if [ ${#rif} -gt 15 ] || [ ${#nif} -gt 15 ]; then
		echo "svr_veth_add: interface name longer than 15 characters: $rif / $nif" >&2
		return 1
	fi
	if ip link show dev "$rif" >/dev/null 2>&1; then
		echo "link $rif exists (leftover of an earlier run?): removing it" >&2
		ip link del "$rif" || return 1
	fi
	ip link add "$rif" "${index[@]}" type veth peer name "$nif" netns "$ns" || return 1
	svr_defer "ip link del '$rif'"
	sysctl -qw "net.ipv6.conf.$rif.disable_ipv6=1" "net.ipv4.conf.$rif.forwarding=0" || return 1
	ip link set dev "$rif" arp off multicast off || return 1
	svr_offloads_off "$rif" || return 1
	svr_offloads_off "$nif" "$ns" || return 1
	ip link set dev "$rif" up || return 1
	ip -n "$ns" link set dev "$nif" up || return 1
}

# svr_addr_add NS IF ADDR/LEN: IPv4 or IPv6 (IPv6 without DAD).
svr_addr_add() {
	local ns=$1 ifname=$2 addr=$3
	case "$addr" in
	*:*) ip -n "$ns" -6 addr add "$addr" dev "$ifname" nodad ;;
	*) ip -n "$ns" addr add "$addr" dev "$ifname" ;;
	esac
}

# svr_route_add NS PREFIX GATEWAY  (PREFIX may be "default"; family from the gateway)
svr_route_add() {
	local ns=$1 prefix=$2 gw=$3
	case "$gw" in
	*:*) ip -n "$ns" -6 route add "$prefix" via "$gw" ;;
	*) ip -n "$ns" route add "$prefix" via "$gw" ;;
	esac
}

# ---------------------------------------------------------------------------------------------
# The standard topology
#
#   ns <P>-cli                    root namespace                     ns <P>-srv
#   <P>-c0 198.18.1.2/24  ==veth==  <P>-a [router a] [router b] <P>-b  ==veth==  <P>-s0 198.18.2.2/24
#          2001:db8:1::2/64        198.18.1.1  2001:db8:1::1            2001:db8:2::2/64
#                                  198.18.2.1  2001:db8:2::1
#
# Sets SVR_NS_CLIENT SVR_NS_SERVER SVR_IF_A SVR_IF_B SVR_IF_CLIENT SVR_IF_SERVER and the
# SVR_*_V4/V6 address variables.

SVR_CLIENT_V4=198.18.1.2
SVR_CLIENT_V6=2001:db8:1::2
SVR_SERVER_V4=198.18.2.2
SVR_SERVER_V6=2001:db8:2::2
SVR_ROUTER_A_V4=198.18.1.1
SVR_ROUTER_A_V6=2001:db8:1::1
SVR_ROUTER_B_V4=198.18.2.1
SVR_ROUTER_B_V6=2001:db8:2::1

svr_topology_up() {
	local p=$SVR_PREFIX
	SVR_NS_CLIENT=$p-cli
	SVR_NS_SERVER=$p-srv
	SVR_IF_A=$p-a
	SVR_IF_B=$p-b
	SVR_IF_CLIENT=$p-c0
	SVR_IF_SERVER=$p-s0
	svr_netns_add "$SVR_NS_CLIENT" || return 1
	svr_netns_add "$SVR_NS_SERVER" || return 1
	svr_veth_add "$SVR_IF_A" "$SVR_NS_CLIENT" "$SVR_IF_CLIENT" || return 1
	svr_veth_add "$SVR_IF_B" "$SVR_NS_SERVER" "$SVR_IF_SERVER" || return 1
	svr_addr_add "$SVR_NS_CLIENT" "$SVR_IF_CLIENT" "$SVR_CLIENT_V4/24" || return 1
	svr_addr_add "$SVR_NS_CLIENT" "$SVR_IF_CLIENT" "$SVR_CLIENT_V6/64" || return 1
	svr_route_add "$SVR_NS_CLIENT" default "$SVR_ROUTER_A_V4" || return 1
	svr_route_add "$SVR_NS_CLIENT" default "$SVR_ROUTER_A_V6" || return 1
	svr_addr_add "$SVR_NS_SERVER" "$SVR_IF_SERVER" "$SVR_SERVER_V4/24" || return 1
	svr_addr_add "$SVR_NS_SERVER" "$SVR_IF_SERVER" "$SVR_SERVER_V6/64" || return 1
	svr_route_add "$SVR_NS_SERVER" default "$SVR_ROUTER_B_V4" || return 1
	svr_route_add "$SVR_NS_SERVER" default "$SVR_ROUTER_B_V6" || return 1
}

# svr_router_config FILE [INSTANCE]: the router's startup file (process settings only) in FILE,
# and its intent model in FILE's sibling "model.json" (interfaces a and b toward the client and
# server namespaces, router r1), which svr_router_start hands to svr-control.
svr_router_config() {
	local file=$1 inst=${2:-$SVR_PREFIX}
	cat >"$file" <<EOF
{
  "instance": "$inst",
  "runtime-dir": "$SVR_TMP/run-$inst",
  "eal": { "lcores": "0-1", "memory-mb": 256 },
  "workers": [1],
  "sessions": { "capacity": 65536 }
}
EOF
	cat >"$(dirname "$file")/model.json" <<EOF
{
  "model-version": 1,
  "authority": {
    "name": "lab",
    "services": [ { "name": "any", "addresses": ["0.0.0.0/0", "::/0"],
      "access": [ { "source": { "prefix": "0.0.0.0/0" }, "permission": "allow" },
                  { "source": { "prefix": "::/0" }, "permission": "allow" } ] } ],
    "routers": [ {
      "name": "r1",
      "interfaces": [
        { "name": "a", "device": "net_af_packet0,iface=$SVR_IF_A,framecnt=4096",
          "addresses": ["$SVR_ROUTER_A_V4/24", "$SVR_ROUTER_A_V6/64"] },
        { "name": "b", "device": "net_af_packet1,iface=$SVR_IF_B,framecnt=4096",
          "addresses": ["$SVR_ROUTER_B_V4/24", "$SVR_ROUTER_B_V6/64"] }
      ]
    } ]
  }
}
EOF
}

# svr_json_get FILE KEY: a top-level string value of a JSON file (instance, runtime-dir).
svr_json_get() {
	"$SVR_PYTHON" -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}

# ---------------------------------------------------------------------------------------------
# The router

# svr_router_start BIN CONFIG [TIMEOUT_S]: start the dataplane in its own session (so Ctrl-C on
# the terminal reaches only the script, which then stops it in order), log to
# $SVR_TMP/router-<instance>.log, wait until its control socket answers "version".
# Sets SVR_ROUTER_PID, SVR_ROUTER_LOG, SVR_ROUTER_SOCK, SVR_ROUTER_INSTANCE.
svr_router_start() {
	local bin=$1 cfg=$2 timeout=${3:-30} rundir t=0
	if [ ! -x "$bin" ]; then
		echo "svr_router_start: $bin not found or not executable (build first: make build)" >&2
		return 1
	fi
	SVR_ROUTER_INSTANCE=$(svr_json_get "$cfg" instance)
	SVR_ROUTER_INSTANCE=${SVR_ROUTER_INSTANCE:-default}
	rundir=$(svr_json_get "$cfg" runtime-dir)
	rundir=${rundir:-/run/svrouter/$SVR_ROUTER_INSTANCE}
	SVR_ROUTER_SOCK=$rundir/dataplane.sock
	SVR_ROUTER_LOG=$SVR_TMP/router-$SVR_ROUTER_INSTANCE.log
	svr_defer "rm -rf '/var/run/dpdk/svr-$SVR_ROUTER_INSTANCE'"
	svr_defer "rm -f '/dev/shm/svr-$SVR_ROUTER_INSTANCE-policy'"
	setsid "$bin" --config "$cfg" </dev/null >"$SVR_ROUTER_LOG" 2>&1 &
	SVR_ROUTER_PID=$!
	svr_track "$SVR_ROUTER_PID"
	svr_defer "svr_stop_pid $SVR_ROUTER_PID 10"
	while [ $t -lt $((timeout * 10)) ]; do
		if ! svr_pid_alive "$SVR_ROUTER_PID"; then
			wait "$SVR_ROUTER_PID" 2>/dev/null
			echo "router exited during startup (status $?); log:" >&2
			sed 's/^/    | /' "$SVR_ROUTER_LOG" >&2
			SVR_LOG_SHOWN=1
			return 1
		fi
		if [ -S "$SVR_ROUTER_SOCK" ] &&
			"$SVR_PYTHON" "$SVR_LIB_DIR/ctlsock.py" --timeout 1 "$SVR_ROUTER_SOCK" version \
				>/dev/null 2>&1; then
			svr_router_apply_model "$(dirname "$cfg")/model.json"
			return
		fi
		sleep 0.1
		t=$((t + 1))
	done
	echo "router control socket $SVR_ROUTER_SOCK did not answer within ${timeout}s; log:" >&2
	sed 's/^/    | /' "$SVR_ROUTER_LOG" >&2
	SVR_LOG_SHOWN=1
	return 1
}

# svr_router_apply_model MODEL: svr-control --once for router r1 of the started router, if MODEL
# exists; returns non-zero (with svr-control's errors) when the dataplane did not apply it.
svr_router_apply_model() {
	local model=$1 out
	[ -f "$model" ] || return 0
	if ! out=$(timeout 60 "$(svr_control_bin)" --router r1 --instance "$SVR_ROUTER_INSTANCE" \
		--model "$model" --state-dir "$SVR_TMP/state-$SVR_ROUTER_INSTANCE" --once \
		--wait-ms 20000 2>&1); then
		echo "svr-control could not apply $model:" >&2
		printf '%s\n' "$out" | sed 's/^/    | /' >&2
		return 1
	fi
}

# svr_router_stop [TIMEOUT_S]: SIGTERM the router, SIGKILL after TIMEOUT_S (default 10).
# Returns 0 only if it exited on SIGTERM with status 0.
svr_router_stop() {
	local timeout=${1:-10} r
	svr_stop_pid "$SVR_ROUTER_PID" "$timeout"
	r=$?
	[ $r -eq 0 ] && [ "$SVR_LAST_STATUS" = 0 ]
}

# svr_ctl ARGS...: svrctl against the router's socket (e.g. svr_ctl --json show stats).
svr_ctl() {
	local bin
	bin=$(svr_svrctl_bin)
	if [ ! -x "$bin" ]; then
		echo "svr_ctl: $bin not found (build first)" >&2
		return 127
	fi
	timeout 10 "$bin" --socket "$SVR_ROUTER_SOCK" "$@"
}

# svr_ctl_raw CMD: the raw control-socket answer (one JSON line), without svrctl.
svr_ctl_raw() {
	"$SVR_PYTHON" "$SVR_LIB_DIR/ctlsock.py" --timeout 5 "$SVR_ROUTER_SOCK" "$1"
}

# svr_ctl_json WHAT: the "data" of `show WHAT` as JSON: from `svrctl --json` (whether it prints
# the data or the whole {"ok":..,"data":..} answer).
svr_ctl_json() {
	local out
	out=$(svr_ctl --json show "$1") || return 1
	printf '%s\n' "$out" | jq -e 'if type == "object" and has("ok") and has("data") then .data else . end'
}

# ---------------------------------------------------------------------------------------------
# Traffic helpers

# svr_tcpdump_start VAR NS IFACE FILE [FILTER...]: tcpdump in NS on IFACE writing every packet
# to FILE as it arrives (its messages in FILE.log); returns once tcpdump says it is listening, so
# nothing sent afterwards is missed. The PID goes to VAR, registered and stopped at cleanup.
# Extra tcpdump options (-c N) may come before the filter.
svr_tcpdump_start() {
	local var=$1 ns=$2 iface=$3 file=$4 pid _
	shift 4
	setsid ip netns exec "$ns" tcpdump -i "$iface" -n -U --immediate-mode -w "$file" "$@" \
		>"$file.log" 2>&1 </dev/null &
	pid=$!
	svr_track "$pid" && svr_defer "svr_stop_pid $pid 3"
	printf -v "$var" %s "$pid"
	svr_tcpdump_listening "$pid" "$file.log"
}

# svr_tcpdump_listening PID LOG: waits (up to 5 s) until the tcpdump PID, whose messages go to
# LOG, says it is listening; fails, saying why, if it exits or does not.
svr_tcpdump_listening() {
	local pid=$1 log=$2 _
	for _ in $(seq 100); do
		grep -q "listening on" "$log" 2>/dev/null && return 0
		svr_pid_alive "$pid" || break
		sleep 0.05
	done
	svr_info "tcpdump $pid did not start listening: $(tail -n 2 "$log")"
	return 1
}

# svr_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds (0) or SECONDS pass (1).
svr_until() {
	local tries=$(($1 * 10)) i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# svr_within SECONDS CMD...: CMD succeeds before SECONDS of wall time have passed (tried every
# 0.2 s). For commands that take seconds themselves, where svr_until's count of tries is no
# deadline.
svr_within() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# svr_drop_count SOCKET REASON: the router's drop counter REASON.
svr_drop_count() {
	"$SVR_PYTHON" "$SVR_LIB_DIR/ctlsock.py" --data "$1" stats | jq -r ".drops[\"$2\"]"
}

# svr_drops_after SOCKET REASON BEFORE [SECONDS]: waits (5 s) until the drop counter REASON is
# above BEFORE; prints its value then (or as it stands when the time is up).
svr_drops_after() {
	local n i
	for ((i = 0; i < ${4:-5} * 10; i++)); do
		n=$(svr_drop_count "$1" "$2")
		[ "$n" -gt "$3" ] 2>/dev/null && break
		sleep 0.1
	done
	echo "$n"
}

# svr_clock OFFSET_S AT_UNIX_S SOCKET...: moves each router's wall clock OFFSET_S seconds from
# the system's, from real time AT_UNIX_S on (0: now), through the control socket's test-clock
# command (test builds: the ASan build of make test). Routers given one AT_UNIX_S move together.
svr_clock() {
	local off=$1 at=$2 sock
	shift 2
	for sock in "$@"; do
		"$SVR_PYTHON" "$SVR_LIB_DIR/ctlsock.py" "$sock" \
			"{\"cmd\": \"test-clock\", \"offset-s\": $off, \"at-unix-s\": $at}" >/dev/null ||
			{ svr_info "test-clock refused by $sock (a build without -Dtest_hooks=true?)"; return 1; }
	done
}

# svr_ping_warmup NS ADDR [TRIES]: single pings until one is answered (lets ARP/ND resolve).
svr_ping_warmup() {
	local ns=$1 addr=$2 tries=${3:-5} i
	for ((i = 0; i < tries; i++)); do
		svr_nsx "$ns" ping -n -c 1 -W 1 "$addr" >/dev/null 2>&1 && return 0
	done
	return 1
}

# svr_ping_deadline COUNT INTERVAL: seconds for ping -w: the pings' duration plus 10.
svr_ping_deadline() { awk -v c="$1" -v i="$2" 'BEGIN { printf "%d", c * i + 10.999 }'; }

# svr_ping_loss NS ADDR COUNT [INTERVAL]: runs ping, prints the loss percentage ("0", "5", ...),
# the full ping output goes to $SVR_TMP/ping.out.
#
# ping waits for every reply up to a deadline of the pings' own duration plus 10 s (-c with -w),
# so a reply that a busy machine delays is counted, and only a packet never answered is lost.
svr_ping_loss() {
	local ns=$1 addr=$2 count=$3 interval=${4:-0.05}
	svr_nsx "$ns" timeout 60 ping -n -q -c "$count" -i "$interval" \
		-w "$(svr_ping_deadline "$count" "$interval")" "$addr" >"$SVR_TMP/ping.out" 2>&1
	sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$SVR_TMP/ping.out" | head -n 1
}

# svr_iperf3_server NS ADDR PORT: iperf3 -s -D in NS, PID from its pidfile (registered).
svr_iperf3_server() {
	local ns=$1 addr=$2 port=$3 pidfile="$SVR_TMP/iperf3-$1-$3.pid" t=0 pid
	svr_nsx "$ns" iperf3 -s -D -B "$addr" -p "$port" --pidfile "$pidfile" \
		--logfile "$SVR_TMP/iperf3-server-$ns.log" || return 1
	while [ ! -s "$pidfile" ] && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	pid=$(cat "$pidfile" 2>/dev/null)
	[ -n "$pid" ] || return 1
	svr_track "$pid"
	svr_defer "svr_stop_pid $pid 3"
	# wait until it listens
	t=0
	while ! svr_nsx "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do
		[ $t -ge 50 ] && return 1
		sleep 0.1
		t=$((t + 1))
	done
}
