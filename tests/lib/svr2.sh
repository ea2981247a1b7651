# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Two sites linked by SVR, for end-to-end tests, the demo and benchmarks. Source after
# netns.sh and svr_init.
#
#   ns <P>-cli -- [lan] R1 [wan] 198.19.1.1 -- ns <P>-wan (a router) -- 198.19.2.1 [wan] R2 [lan] -- ns <P>-srv
#
# Site 1's LAN is 198.18.1.0/24 (client .2); site 2's is SVR2_LAN2 (default 198.18.2.0/24,
# server .2). The WAN namespace forwards between 198.19.1.0/24 and 198.19.2.0/24, so that tests
# capture and tamper there.

SVR2_WP1=198.19.1.1
SVR2_WP2=198.19.2.1
SVR2_CLIENT=198.18.1.2

# svr2_topology_up [LAN2_PREFIX24 SERVER_ADDR]: namespaces, veths, addresses, WAN forwarding.
# Sets SVR2_CLI SVR2_SRV SVR2_WAN SVR2_IF_LAN1 SVR2_IF_WAN1 SVR2_IF_WAN2 SVR2_IF_LAN2 SVR2_SERVER.
svr2_topology_up() {
	local p=$SVR_PREFIX lan2=${1:-198.18.2} ns
	SVR2_SERVER=${2:-$lan2.2}
	SVR2_CLI=$p-cli SVR2_SRV=$p-srv SVR2_WAN=$p-wan
	SVR2_IF_LAN1=$p-a SVR2_IF_WAN1=$p-w1 SVR2_IF_WAN2=$p-w2 SVR2_IF_LAN2=$p-b
	for ns in "$SVR2_CLI" "$SVR2_SRV" "$SVR2_WAN"; do svr_netns_add "$ns" || return 1; done
	svr_veth_add "$SVR2_IF_LAN1" "$SVR2_CLI" "$p-c0" || return 1
	svr_veth_add "$SVR2_IF_LAN2" "$SVR2_SRV" "$p-s0" || return 1
	svr_veth_add "$SVR2_IF_WAN1" "$SVR2_WAN" "$p-x1" || return 1
	svr_veth_add "$SVR2_IF_WAN2" "$SVR2_WAN" "$p-x2" || return 1
	svr_addr_add "$SVR2_CLI" "$p-c0" "$SVR2_CLIENT/24" || return 1
	svr_route_add "$SVR2_CLI" default 198.18.1.1 || return 1
	svr_addr_add "$SVR2_SRV" "$p-s0" "$SVR2_SERVER/24" || return 1
	svr_route_add "$SVR2_SRV" default "$lan2.1" || return 1
	svr_addr_add "$SVR2_WAN" "$p-x1" 198.19.1.254/24 || return 1
	svr_addr_add "$SVR2_WAN" "$p-x2" 198.19.2.254/24 || return 1
	svr_nsx "$SVR2_WAN" sysctl -qw net.ipv4.ip_forward=1
}

# svr2_keys [TEXT [ROUTER...]]: the key file TEXT (default: key 7) for the routers (default: both;
# the conductor's job), mode 0600, replaced whole (a rename: a router never reads half a file).
svr2_keys() {
	local text=${1:-} r
	[ -n "$text" ] || text='{ "keys": [ { "security-id": 7, "hmac-key": "4f6e652074776f20746872656520666f",
  "encryption-key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" } ] }'
	if [ $# -gt 1 ]; then shift; else set -- r1 r2; fi
	for r in "$@"; do
		mkdir -p "$SVR_TMP/$r"
		(umask 077 && printf '%s\n' "$text" >"$SVR_TMP/$r/keys.json.new") || return 1
		mv "$SVR_TMP/$r/keys.json.new" "$SVR_TMP/$r/keys.json" || return 1
	done
}

# svr2_routers_json LAN2_PREFIX24 [R2_LAN_EXTRA] [R2_EXTRA] [R2_HOOD_EXTRA]: the "routers" array
# of the model: r1 (lan tenant blue, wan in neighborhood "wan", service "web" routed to peer r2),
# r2 (wan, lan); R2_LAN_EXTRA goes into r2's lan interface, R2_EXTRA into r2 (e.g.
# service-routes), R2_HOOD_EXTRA into r2's "wan" neighborhood (e.g. a port-range).
svr2_routers_json() {
	local lan2=$1 lan_extra=${2:-} extra=${3:-} hood_extra=${4:-} p=$SVR_PREFIX
	cat <<EOF
[ { "name": "r1",
    "interfaces": [
      { "name": "lan", "device": "net_af_packet0,iface=$p-a,framecnt=4096",
        "addresses": ["198.18.1.1/24"], "tenant": "blue" },
      { "name": "wan", "device": "net_af_packet1,iface=$p-w1,framecnt=4096",
        "addresses": ["$SVR2_WP1/24"], "gateway": "198.19.1.254",
        "neighborhoods": [ { "name": "wan" } ] } ],
    "service-routes": [ { "service": "web", "peer": "r2" } ],
    "static-routes": [ { "prefix": "198.19.2.0/24", "gateway": "198.19.1.254" } ] },
  { "name": "r2",
    "interfaces": [
      { "name": "wan", "device": "net_af_packet0,iface=$p-w2,framecnt=4096",
        "addresses": ["$SVR2_WP2/24"], "gateway": "198.19.2.254",
        "neighborhoods": [ { "name": "wan" $hood_extra } ] },
      { "name": "lan", "device": "net_af_packet1,iface=$p-b,framecnt=4096",
        "addresses": ["$lan2.1/24"] $lan_extra } ],
    "static-routes": [ { "prefix": "198.19.1.0/24", "gateway": "198.19.2.254" } ] $extra } ]
EOF
}

# svr2_router_start NAME MODEL: its startup file (its key file, if written), the dataplane, the
# model through svr-control --once. Sets <NAME>_SOCK and <NAME>_PID.
svr2_router_start() {
	svr2_dataplane_start "$1" && svr2_router_apply "$1" "$2"
}

# svr2_dataplane_start NAME: its startup file and the dataplane, with no model yet (a
# conductor's, or svr2_router_apply's, comes next). Sets <NAME>_SOCK and <NAME>_PID.
svr2_dataplane_start() {
	local name=$1 dir=$SVR_TMP/$1 main=0 worker=1
	mkdir -p "$dir"
	# SVR2_SPREAD: R2's worker on core 0, R1's on core 1 (as two machines would not share one)
	[ -n "${SVR2_SPREAD:-}" ] && [ "$name" = r2 ] && main=1 worker=0
	cat >"$dir/router.json" <<EOF
{ "instance": "$SVR_PREFIX$name", "runtime-dir": "$dir/run",
  "eal": { "lcores": "0-1", "main-lcore": $main, "memory-mb": 256 }, "workers": [$worker],
  "sessions": { "capacity": 65536 }, "svr": { "key-file": "$dir/keys.json" } }
EOF
	svr_router_start "$(svr_dataplane_bin)" "$dir/router.json" 30 || return 1
	printf -v "${name}_SOCK" '%s' "$SVR_ROUTER_SOCK"
	printf -v "${name}_PID" '%s' "$SVR_ROUTER_PID"
}

# svr2_router_apply NAME MODEL: the model to router NAME's running dataplane (svr-control
# --once); non-zero, with svr-control's output, when it was not applied.
svr2_router_apply() {
	local name=$1 model=$2 dir=$SVR_TMP/$1
	timeout 60 "$(svr_control_bin)" --router "$name" --instance "$SVR_PREFIX$name" \
		--model "$model" --state-dir "$dir/state" --once --wait-ms 20000 \
		>"$dir/control.log" 2>&1 || { sed 's/^/    | /' "$dir/control.log" >&2; return 1; }
}

# svr2_servers ADDR: an HTTP server (TCP 8080, serving $SVR_TMP/www) and a UDP answerer (5300:
# "answer:" + the datagram, or for "echo:X" just X) in the server namespace, stopped by PID at
# cleanup.
svr2_servers() {
	local addr=$1 t
	mkdir -p "$SVR_TMP/www"
	[ -f "$SVR_TMP/www/index.html" ] || echo "across the vector" >"$SVR_TMP/www/index.html"
	setsid ip netns exec "$SVR2_SRV" "$SVR_PYTHON" -m http.server --bind "$addr" \
		--directory "$SVR_TMP/www" 8080 >"$SVR_TMP/http.log" 2>&1 </dev/null &
	svr_track $! && svr_defer "svr_stop_pid $! 3"
	setsid ip netns exec "$SVR2_SRV" "$SVR_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5300))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d[5:] if d.startswith(b"echo:") else b"answer:" + d, a)' "$addr" \
		>"$SVR_TMP/udp.log" 2>&1 </dev/null &
	svr_track $! && svr_defer "svr_stop_pid $! 3"
	for t in $(seq 150); do # Python's start takes seconds on a loaded machine
		svr_nsx "$SVR2_SRV" ss -Hltn "sport = :8080" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# svr2_udp_exchange DST SPORT COUNT: COUNT requests from the client; prints the answers joined
# with commas (or "error:..." for the first one missing).
svr2_udp_exchange() {
	svr_nsx "$SVR2_CLI" "$SVR_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.bind((sys.argv[1], int(sys.argv[3])))
got = []
try:
    for i in range(int(sys.argv[4])):
        s.sendto(b"hello-%d" % i, (sys.argv[2], 5300))
        got.append(s.recvfrom(2048)[0].decode())
except OSError as e:
    got.append("error:" + str(e))
print(",".join(got))' "$SVR2_CLIENT" "$1" "$2" "$3" 2>&1
}

# svr2_capture_start: tcpdump on the WAN namespace's side toward R1 (every packet both ways),
# listening when this returns.
svr2_capture_start() {
	svr_tcpdump_start SVR2_TCPDUMP "$SVR2_WAN" "$SVR_PREFIX-x1" "$SVR_TMP/wan.pcap" ip
}

# svr2_capture_report [SECRET...]: stops the capture, prints tests/lib/svr_wan.py's report.
# The capture ends with an end mark: a ping from the WAN to R1's waypoint (svr_wan.py leaves it
# out); once its reply is in the file, so is every packet that crossed before it.
svr2_capture_report() {
	svr2_capture_stop
	/usr/bin/python3 "$SVR_LIB_DIR/svr_wan.py" "$SVR_TMP/wan.pcap" "$SVR2_WP1" "$SVR2_WP2" "$@"
}

# svr2_capture_stop: ends the capture at the end mark, complete.
svr2_capture_stop() {
	end_mark_seen() {
		tcpdump -r "$SVR_TMP/wan.pcap" -n -A \
			"icmp[icmptype] = icmp-echoreply and src host $SVR2_WP1" 2>/dev/null |
			grep -q 'svr-end!'
	}
	svr_nsx "$SVR2_WAN" ping -n -q -c 1 -w 5 -p 7376722d656e6421 "$SVR2_WP1" >/dev/null 2>&1
	svr_until 5 end_mark_seen || svr_info "the capture's end mark was not seen: it may miss packets"
	svr_stop_pid "$SVR2_TCPDUMP" 3
}

# svr2_first_capture FILE [COUNT [FILTER]]: captures, in the WAN namespace, the next COUNT (1) UDP
# packets R1 sends (the first: a first packet, with its metadata) that also match the tcpdump
# FILTER (none) into FILE; svr2_first_captured waits for them (up to 5 s).
svr2_first_capture() {
	svr_tcpdump_start SVR2_FIRST_PID "$SVR2_WAN" "$SVR_PREFIX-x1" "$1" -c "${2:-1}" \
		"udp and src host $SVR2_WP1${3:+ and ($3)}"
}

svr2_first_captured() {
	local _
	for _ in $(seq 50); do svr_pid_alive "$SVR2_FIRST_PID" || return 0; sleep 0.1; done
	svr_info "capture incomplete: the packets to replay were not all seen within 5 s"
	return 1
}

# svr2_wan_inject FILE [SPORT DPORT]...: sends the last IP packet captured in FILE to R2 again,
# from the WAN namespace as its forwarding would (TTL one less): once as captured, or once onto
# each pair of UDP ports given, in order, at once (one process); a pair 0 0 is as captured.
svr2_wan_inject() {
	local r2mac
	r2mac=$(ip -n "$SVR2_WAN" neigh show "$SVR2_WP2" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	svr_nsx "$SVR2_WAN" /usr/bin/python3 -c '
import sys
from scapy.all import rdpcap, sendp, Ether, IP, UDP, get_if_hwaddr
captured = rdpcap(sys.argv[1])[-1][IP]
pairs = [int(p) for p in sys.argv[4:]] or [0, 0]
frames = []
for sport, dport in zip(pairs[0::2], pairs[1::2]):
    ip = captured.copy()
    ip.ttl -= 1
    del ip.chksum
    if sport or dport:
        ip[UDP].sport, ip[UDP].dport = sport, dport
        del ip[UDP].chksum
    frames.append(Ether(src=get_if_hwaddr(sys.argv[2]), dst=sys.argv[3]) / ip)
sendp(frames, iface=sys.argv[2], verbose=False)
' "$1" "$SVR_PREFIX-x2" "$r2mac" "${@:2}" >"$1.inject.log" 2>&1
}

# svr2_same_session PROTO [CLIENT_PORT]: PASS when R1 and R2 show the session of PROTO from the
# client's port CLIENT_PORT (40000) with one UUID, and tenant blue on both; prints both session
# tables.
svr2_same_session() {
	local ctl u1 u2 t2 port=${2:-40000}
	ctl=$(svr_svrctl_bin)
	pick() { timeout 10 "$ctl" --socket "$1" --json show sessions |
		jq -r "[.sessions[] | select(.protocol == \"$2\") |
			select(any(.. | objects | .[\"source-port\"]?; . == $port))] |
			if length == 1 then .[0].$3 else \"\\(length) sessions\" end"; }
	u1=$(pick "$r1_SOCK" "$1" uuid) u2=$(pick "$r2_SOCK" "$1" uuid) t2=$(pick "$r2_SOCK" "$1" tenant)
	if [[ $u1 =~ ^[0-9a-f-]{36}$ ]] && [ "$u1" = "$u2" ] && [ "$t2" = blue ]; then
		svr_pass "the $1 session from port $port has UUID $u1 on R1 and on R2, tenant blue on R2 too"
	else
		svr_fail "$1 sessions from port $port: R1 '$u1', R2 '$u2' (tenant on R2 '$t2')"
	fi
	timeout 10 "$ctl" --socket "$r1_SOCK" show sessions | sed 's/^/    R1 | /'
	timeout 10 "$ctl" --socket "$r2_SOCK" show sessions | sed 's/^/    R2 | /'
}
