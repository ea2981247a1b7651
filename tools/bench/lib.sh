# SPDX-License-Identifier: BSD-3-Clause
# Benchmark harness pieces, sourced by tools/bench/run (and by later benchmark scripts).
# Rules: docs/performance.md ("How we measure"); bash 5.
#
#   bench_init                       temp dir $BENCH_TMP, cleanup trap on any exit
#   bench_new_prefix VAR NAME        a unique DPDK --file-prefix into VAR
#   bench_start PREFIX LOG CMD...    start a DPDK program in the background -> $BENCH_PID
#   bench_stop PID PREFIX            SIGINT, SIGKILL after $BENCH_STOP_TIMEOUT s, rm run dir
#   bench_measure VAR PREFIX TX RX LOG CMD...
#                                    start, wait for traffic, warm up, Mpps of port TX's
#                                    opackets over the window -> VAR; stop; 1 on failure
#   bench_median V...  bench_ratio A B  bench_cpu_mhz  bench_cycles MHZ MPPS
#   bench_log MSG...                 progress on stderr (stdout is for name=value lines)
#
# Tunables (environment): BENCH_WARMUP (2 s), BENCH_WINDOW (10 s), BENCH_ROUNDS (3),
# BENCH_START_TIMEOUT (60 s until the sink transmits), BENCH_STOP_TIMEOUT (10 s),
# BENCH_PYTHON (/usr/bin/python3), KEEP=1 keeps $BENCH_TMP (logs, pcaps, configs).

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_WINDOW=${BENCH_WINDOW:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_START_TIMEOUT=${BENCH_START_TIMEOUT:-60}
BENCH_STOP_TIMEOUT=${BENCH_STOP_TIMEOUT:-10}
KEEP=${KEEP:-0}
if [ "$(id -u)" -eq 0 ]; then
	BENCH_DPDK_RUNDIR=/var/run/dpdk
else
	BENCH_DPDK_RUNDIR=${XDG_RUNTIME_DIR:-/tmp}/dpdk
fi

BENCH_TMP=
BENCH_PID=
BENCH_SEQ=0
declare -A BENCH_LIVE=()   # pid -> file prefix, for the exit trap

bench_log() { echo "bench: $*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

bench_init() {
	BENCH_TMP=$(mktemp -d /tmp/svr-bench.XXXXXX) || bench_die "mktemp failed"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

bench_cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM HUP
	for pid in "${!BENCH_LIVE[@]}"; do
		bench_stop "$pid" "${BENCH_LIVE[$pid]}"
	done
	if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
		if [ "$KEEP" = 1 ]; then
			bench_log "kept $BENCH_TMP"
		else
			rm -rf "$BENCH_TMP"
		fi
	fi
	exit "$rc"
}

# bench_new_prefix VAR NAME: unique per process ($$) and per run (sequence number).
bench_new_prefix() {
	BENCH_SEQ=$((BENCH_SEQ + 1))
	printf -v "$1" 'bench-%s-%s-%s' "$2" "$$" "$BENCH_SEQ"
}

bench_socket() { echo "$BENCH_DPDK_RUNDIR/$1/dpdk_telemetry.v2"; }

# bench_start PREFIX LOG CMD...: stdin from /dev/null (testpmd exits when stdin closes unless
# --stats-period is given), stdout+stderr to LOG.
bench_start() {
	local prefix=$1 log=$2
	shift 2
	rm -rf "${BENCH_DPDK_RUNDIR:?}/$prefix"
	"$@" </dev/null >"$log" 2>&1 &
	BENCH_PID=$!
	BENCH_LIVE[$BENCH_PID]=$prefix
}

# True while PID runs (a zombie counts as gone).
bench_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# bench_stop PID PREFIX: only ever signals the PID we started.
bench_stop() {
	local pid=$1 prefix=$2 i steps
	if bench_alive "$pid"; then
		kill -INT "$pid" 2>/dev/null
		steps=$((BENCH_STOP_TIMEOUT * 10))
		for ((i = 0; i < steps; i++)); do
			bench_alive "$pid" || break
			sleep 0.1
		done
		if bench_alive "$pid"; then
			bench_log "pid $pid ignored SIGINT for ${BENCH_STOP_TIMEOUT}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	unset "BENCH_LIVE[$pid]"
	[ -n "$prefix" ] && rm -rf "${BENCH_DPDK_RUNDIR:?}/$prefix"
	# svr-dataplane's policy channel is named after the same prefix (svr-<instance>).
	[ -n "$prefix" ] && rm -f "/dev/shm/$prefix-policy"
	return 0
}

# bench_measure VAR PREFIX TX_PORT RX_PORT LOG CMD...
# Sets VAR to the Mpps (4 decimals) of TX_PORT's opackets over the window; also sets
# BENCH_RX_MPPS (RX_PORT's ipackets rate, "-" to skip). On failure prints the log tail, returns 1.
bench_measure() {
	# Locals are prefixed: VAR is assigned in the caller's scope.
	local _bm_var=$1 _bm_prefix=$2 _bm_tx=$3 _bm_rx=$4 _bm_log=$5 _bm_out _bm_rc _bm_mpps
	local _bm_rxopt=()
	shift 5
	BENCH_RX_MPPS=
	[ "$_bm_rx" != - ] && _bm_rxopt=(--rx-port "$_bm_rx")
	bench_start "$_bm_prefix" "$_bm_log" "$@"
	_bm_out=$("$BENCH_PYTHON" "$BENCH_LIB_DIR/telemetry.py" rate "$(bench_socket "$_bm_prefix")" \
		--port "$_bm_tx" "${_bm_rxopt[@]}" --warmup "$BENCH_WARMUP" --window "$BENCH_WINDOW" \
		--start-timeout "$BENCH_START_TIMEOUT" --pid "$BENCH_PID")
	_bm_rc=$?
	bench_stop "$BENCH_PID" "$_bm_prefix"
	_bm_mpps=$(sed -n 's/^mpps=//p' <<<"$_bm_out")
	if [ $_bm_rc -ne 0 ] || [ -z "$_bm_mpps" ]; then
		bench_log "measurement failed: $*"
		bench_log "last lines of $_bm_log:"
		tail -n 15 "$_bm_log" | sed 's/^/    /' >&2
		return 1
	fi
	# shellcheck disable=SC2034  # read by the caller
	BENCH_RX_MPPS=$(sed -n 's/^rx_mpps=//p' <<<"$_bm_out")
	printf -v "$_bm_var" '%s' "$_bm_mpps"
}

# bench_median V...: middle value (mean of the two middle ones for an even count).
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B [DECIMALS]: A / B, "nan" if B is zero.
bench_ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN {
		if (b + 0 == 0) print "nan"; else printf "%.*f\n", d, a / b }'
}

bench_fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { printf "%.*f\n", d, v }'; }

# Nominal clock of the CPU (first "cpu MHz" of /proc/cpuinfo; on a VM the host's rate).
bench_cpu_mhz() { awk -F: '/^cpu MHz/ { printf "%.0f\n", $2; exit }' /proc/cpuinfo; }

# bench_cycles MHZ MPPS: cycles per packet on one forwarding core.
bench_cycles() {
	awk -v m="$1" -v r="$2" 'BEGIN { if (r + 0 == 0) print "nan"; else printf "%.0f\n", m / r }'
}

# bench_memory_mb PKTS MBUFS: -m for a --no-huge DPDK process replaying a pcap of PKTS packets
# with a pool of MBUFS mbufs: every mbuf takes a 4 KiB page; 768 MB for everything else
# (docs/benchmarks.md rule 4); at least 1024, rounded up to 64 MB.
bench_memory_mb() {
	local mb=$(((($1 + $2) * 4 + 1023) / 1024 + 768))
	[ $mb -lt 1024 ] && mb=1024
	echo $(((mb + 63) / 64 * 64))
}

# ---- Baselines (docs/benchmarks.md "Baseline commands"), reusable with any pcap ----

# bench_build_l3fwd BUILD_DIR: DPDK's l3fwd example copied from dpdk-doc into
# BUILD_DIR/bench/l3fwd, patched to mask requested RX offloads with the device's capabilities
# (virtual devices offer none), built with its own Makefile against pkg-config libdpdk. Cached:
# rebuilt only when the DPDK version, the example sources or the patch change.
# Sets BENCH_L3FWD to the binary.
BENCH_DPDK_EXAMPLES=${BENCH_DPDK_EXAMPLES:-/usr/share/dpdk/examples}
bench_build_l3fwd() {
	local root=$1/bench/l3fwd patch=$BENCH_LIB_DIR/l3fwd-bench.patch stamp
	[ -f "$BENCH_DPDK_EXAMPLES/l3fwd/main.c" ] ||
		{ bench_log "no $BENCH_DPDK_EXAMPLES/l3fwd (install dpdk-doc)"; return 1; }
	stamp=$({ pkg-config --modversion libdpdk; cat "$patch";
		cat "$BENCH_DPDK_EXAMPLES"/l3fwd/* "$BENCH_DPDK_EXAMPLES"/common/*.h 2>/dev/null; } |
		sha256sum | cut -d' ' -f1)
	BENCH_L3FWD=$root/l3fwd/build/l3fwd
	mkdir -p "$root" || return 1
	(
		flock 9
		if [ -x "$BENCH_L3FWD" ] && [ "$(cat "$root/stamp" 2>/dev/null)" = "$stamp" ]; then
			exit 0
		fi
		bench_log "building DPDK l3fwd in $root"
		rm -rf "$root/l3fwd" "$root/common" "$root/stamp"
		if ! { cp -r "$BENCH_DPDK_EXAMPLES/l3fwd" "$BENCH_DPDK_EXAMPLES/common" "$root/" &&
			patch -d "$root" -p1 -s <"$patch" &&
			make -C "$root/l3fwd" >"$root/build.log" 2>&1; }; then
			bench_log "l3fwd build failed, see $root/build.log"
			tail -n 20 "$root/build.log" >&2
			exit 1
		fi
		echo "$stamp" >"$root/stamp"
	) 9>"$root/.lock"
}

# bench_cmd_testpmd ARRAY PREFIX PCAP MEM_MB [MBUFS]: testpmd io forwarding, port 0 (pcap) ->
# port 1 (null sink), forwarding on lcore 1. Runs until SIGINT (--stats-period). MBUFS (default
# 16384): a replayed pcap holds one mbuf per packet, so at least its packets plus the rings.
# shellcheck disable=SC2054,SC2178  # commas belong to DPDK arguments; _cmd is a nameref
bench_cmd_testpmd() {
	local -n _cmd=$1
	_cmd=(dpdk-testpmd --no-huge -m "$4" --no-pci --no-shconf --file-prefix "$2" -l 0-1
		--vdev "net_pcap0,rx_pcap=$3,infinite_rx=1" --vdev net_null0,no-rx=1
		-- --forward-mode=io --nb-cores=1 --stats-period=1 --total-num-mbufs="${5:-16384}")
}

# bench_cmd_l3fwd ARRAY PREFIX PCAP MEM_MB [PCAP_PACKETS]: l3fwd LPM, one lcore (1) polling both
# ports; its default routes send 198.18.1.0/24 to port 1 (IPv6: 2001:200:0:1::/64). Our patch
# adds SVR_BENCH_MBUFS mbufs to its pool (one per packet of the replayed pcap).
# shellcheck disable=SC2054,SC2178
bench_cmd_l3fwd() {
	local -n _cmd=$1
	_cmd=(env "SVR_BENCH_MBUFS=${5:-0}" "$BENCH_L3FWD" --no-huge -m "$4" --no-pci --no-shconf
		--file-prefix "$2" -l 1
		--vdev "net_pcap0,rx_pcap=$3,infinite_rx=1" --vdev net_null0,no-rx=1
		-- -p 0x3 --config '(0,0,1),(1,0,1)' --parse-ptype)
}
