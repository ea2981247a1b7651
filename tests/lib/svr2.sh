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
SVR2_BFD_PORT=1280 # peer-path liveness (docs/paths.md): left out of the session captures

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
	# BFD and link tests (UDP 1280, docs/paths.md) are the routers' own, not sessions' packets
	svr_tcpdump_start SVR2_TCPDUMP "$SVR2_WAN" "$SVR_PREFIX-x1" "$SVR_TMP/wan.pcap" \
		"ip and not udp port $SVR2_BFD_PORT"
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
		"udp and src host $SVR2_WP1 and not port $SVR2_BFD_PORT${3:+ and ($3)}"
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

# ---------------------------------------------------------------------------------------------
# Two WAN paths between the sites (the multi-path lab)
#
#   ns <P>-cli -- [lan] R1 [wan1] 198.19.1.1 -- ns <P>-wa -- 198.19.2.1 [wan1] R2 [lan] -- ns <P>-srv
#                          [wan2] 198.19.3.1 -- ns <P>-wb -- 198.19.4.1 [wan2]
#
# Path "a" is the neighborhood "mpls" (vector mpls) through <P>-wa, which forwards between
# 198.19.1.0/24 and 198.19.2.0/24 (gateways .254); path "b" is "lte" (vector lte) through <P>-wb,
# 198.19.3.0/24 <-> 198.19.4.0/24. The LANs, client and server are those of svr2_topology_up.
# Each WAN namespace has an nftables table (svr2_path_nft_table) in its forward path: counters
# per direction and the chains the link tools below fill; the tools act on one path ("a" or "b").
# SVR2_WAN is <P>-wa, so the one-WAN capture helpers above watch path a.

SVR2_WP1B=198.19.3.1
SVR2_WP2B=198.19.4.1

# svr2_topology2_up [LAN2_PREFIX24 SERVER_ADDR]: namespaces, veths, addresses, WAN forwarding,
# each WAN namespace's nftables table. Sets what svr2_topology_up sets (SVR2_WAN = SVR2_WA) and
# SVR2_WA SVR2_WB, SVR2_IF_WAN1B SVR2_IF_WAN2B (R1's and R2's wan2 devices in the root namespace).
svr2_topology2_up() {
	local p=$SVR_PREFIX lan2=${1:-198.18.2} ns
	SVR2_SERVER=${2:-$lan2.2}
	SVR2_CLI=$p-cli SVR2_SRV=$p-srv SVR2_WA=$p-wa SVR2_WB=$p-wb SVR2_WAN=$p-wa
	SVR2_IF_LAN1=$p-a SVR2_IF_WAN1=$p-w1 SVR2_IF_WAN2=$p-w2 SVR2_IF_LAN2=$p-b
	SVR2_IF_WAN1B=$p-w3 SVR2_IF_WAN2B=$p-w4
	for ns in "$SVR2_CLI" "$SVR2_SRV" "$SVR2_WA" "$SVR2_WB"; do svr_netns_add "$ns" || return 1; done
	svr_veth_add "$SVR2_IF_LAN1" "$SVR2_CLI" "$p-c0" || return 1
	svr_veth_add "$SVR2_IF_LAN2" "$SVR2_SRV" "$p-s0" || return 1
	svr_veth_add "$SVR2_IF_WAN1" "$SVR2_WA" "$p-x1" || return 1
	svr_veth_add "$SVR2_IF_WAN2" "$SVR2_WA" "$p-x2" || return 1
	svr_veth_add "$SVR2_IF_WAN1B" "$SVR2_WB" "$p-x3" || return 1
	svr_veth_add "$SVR2_IF_WAN2B" "$SVR2_WB" "$p-x4" || return 1
	svr_addr_add "$SVR2_CLI" "$p-c0" "$SVR2_CLIENT/24" || return 1
	svr_route_add "$SVR2_CLI" default 198.18.1.1 || return 1
	svr_addr_add "$SVR2_SRV" "$p-s0" "$SVR2_SERVER/24" || return 1
	svr_route_add "$SVR2_SRV" default "$lan2.1" || return 1
	svr_addr_add "$SVR2_WA" "$p-x1" 198.19.1.254/24 || return 1
	svr_addr_add "$SVR2_WA" "$p-x2" 198.19.2.254/24 || return 1
	svr_addr_add "$SVR2_WB" "$p-x3" 198.19.3.254/24 || return 1
	svr_addr_add "$SVR2_WB" "$p-x4" 198.19.4.254/24 || return 1
	for ns in "$SVR2_WA" "$SVR2_WB"; do
		svr_nsx "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
	done
	svr2_path_nft_setup a && svr2_path_nft_setup b
}

# svr2_path_ns a|b, svr2_path_ifs a|b ("TO_R1_IF TO_R2_IF": the WAN namespace's veth ends toward
# R1 and toward R2), svr2_path_nft_table: the lab's nftables table (inet family) in each WAN ns.
svr2_path_ns() {
	case $1 in
	a) echo "$SVR_PREFIX-wa" ;;
	b) echo "$SVR_PREFIX-wb" ;;
	*) echo "svr2: path '$1' is neither a nor b" >&2; return 1 ;;
	esac
}
svr2_path_ifs() {
	case $1 in
	a) echo "$SVR_PREFIX-x1 $SVR_PREFIX-x2" ;;
	b) echo "$SVR_PREFIX-x3 $SVR_PREFIX-x4" ;;
	*) echo "svr2: path '$1' is neither a nor b" >&2; return 1 ;;
	esac
}
svr2_path_nft_table() { echo "lab_$SVR_PREFIX"; }

# svr2_path_nft_setup a|b: the WAN namespace's forward-path table, removed at cleanup. Named
# counters (svr2_path_counter reads them):
#   to_r2, to_r1            every packet arriving to be forwarded toward R2 / toward R1
#   to_r2_data, to_r1_data  those forwarded on (past the impairments), except UDP port 1280
#                           (BFD and link tests, svr-protocol.md §5): the sessions' own packets
#   cut, lost               packets dropped by svr2_path_cut / by svr2_path_loss
# Chains "cut" and "loss" hold the impairments (empty: none).
svr2_path_nft_setup() {
	local ns t ifs to_r1 to_r2
	ns=$(svr2_path_ns "$1") || return 1
	t=$(svr2_path_nft_table)
	ifs=$(svr2_path_ifs "$1")
	to_r1=${ifs% *} to_r2=${ifs#* }
	svr_nsx "$ns" nft -f - <<EOF || return 1
table inet $t {
	counter to_r2 { }
	counter to_r1 { }
	counter to_r2_data { }
	counter to_r1_data { }
	counter cut { }
	counter lost { }
	chain cut { }
	chain loss { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "$to_r1" counter name "to_r2"
		iifname "$to_r2" counter name "to_r1"
		jump cut
		jump loss
		udp sport 1280 accept
		udp dport 1280 accept
		iifname "$to_r1" counter name "to_r2_data"
		iifname "$to_r2" counter name "to_r1_data"
	}
}
EOF
	svr_defer "ip netns exec '$ns' nft delete table inet '$t'"
}

# svr2_path_counter a|b NAME: packets counted so far by the named counter (see
# svr2_path_nft_setup).
svr2_path_counter() {
	local ns
	ns=$(svr2_path_ns "$1") || return 1
	svr_nsx "$ns" nft -j list counter inet "$(svr2_path_nft_table)" "$2" |
		jq -e '[.nftables[] | .counter? | select(.) | .packets][0]'
}

# svr2_path_cut a|b: drop every packet the path forwards, both ways (counted in "cut");
# svr2_path_restore a|b undoes it.
svr2_path_cut() {
	local ns t
	ns=$(svr2_path_ns "$1") || return 1
	t=$(svr2_path_nft_table)
	svr_nsx "$ns" nft flush chain inet "$t" cut &&
		svr_nsx "$ns" nft add rule inet "$t" cut counter name cut drop
}
svr2_path_restore() {
	local ns
	ns=$(svr2_path_ns "$1") || return 1
	svr_nsx "$ns" nft flush chain inet "$(svr2_path_nft_table)" cut
}

# svr2_path_link a|b down|up [r1|r2]: sets the WAN namespace's link toward R1 (default) or R2
# down or up: the router's device loses its carrier and the WAN namespace its route. Returns once
# both ends' operational state says so: the kernel applies a carrier change (and starts sending
# again) only then, up to a second later (its link watch runs at most once a second). Unlike a
# cut, a link down does not lose what the router sends meanwhile: its frames wait in its
# af_packet ring (up to framecnt) and leave when the link is up again.
svr2_path_link() {
	local ns ifs ifname state
	ns=$(svr2_path_ns "$1") || return 1
	ifs=$(svr2_path_ifs "$1")
	case ${3:-r1} in
	r1) ifname=${ifs% *} ;;
	r2) ifname=${ifs#* } ;;
	*) echo "svr2_path_link: side '$3' is neither r1 nor r2" >&2; return 1 ;;
	esac
	case $2 in
	up) state=UP ;;
	down) state=DOWN ;;
	*) echo "svr2_path_link: '$2' is neither up nor down" >&2; return 1 ;;
	esac
	ip -n "$ns" link set dev "$ifname" "$2" || return 1
	# the router's end in the root namespace: <P>-wN for the WAN namespace's <P>-xN
	# (down: any state but UP; a veth whose peer is down says LOWERLAYERDOWN)
	both_ends_are() {
		local s1 s2
		s1=$(ip -n "$1" -j link show dev "$2" | jq -r '.[0].operstate')
		s2=$(ip -j link show dev "$3" | jq -r '.[0].operstate')
		if [ "$4" = UP ]; then [ "$s1" = UP ] && [ "$s2" = UP ]; else [ "$s1" != UP ] && [ "$s2" != UP ]; fi
	}
	svr_until 5 both_ends_are "$ns" "$ifname" "${ifname%-x*}-w${ifname##*-x}" "$state" || {
		echo "svr2_path_link: $ifname not $state within 5 s" >&2
		return 1
	}
}

# svr2_path_loss a|b PCT [both|to_r2|to_r1] [all|data]: drops PCT % of the packets the path
# forwards (nftables numgen random, each packet on its own), both ways by default or one way;
# all packets by default, or with "data" only the sessions' UDP packets (not port 1280: BFD and
# link tests lose nothing); counted in "lost". PCT 0 removes the loss.
svr2_path_loss() {
	local ns t ifs pct=$2 dir=${3:-both} match=()
	ns=$(svr2_path_ns "$1") || return 1
	t=$(svr2_path_nft_table)
	ifs=$(svr2_path_ifs "$1")
	case $dir in
	both) ;;
	to_r2) match=(iifname "${ifs% *}") ;;
	to_r1) match=(iifname "${ifs#* }") ;;
	*) echo "svr2_path_loss: direction '$dir' is not both, to_r2 or to_r1" >&2; return 1 ;;
	esac
	case ${4:-all} in
	all) ;;
	data) match+=(udp sport != "$SVR2_BFD_PORT" udp dport != "$SVR2_BFD_PORT") ;;
	*) echo "svr2_path_loss: '$4' is neither all nor data" >&2; return 1 ;;
	esac
	svr_nsx "$ns" nft flush chain inet "$t" loss || return 1
	[ "$pct" -gt 0 ] || return 0
	local sample=(numgen random mod 100 lt "$pct")
	[ "$pct" -ge 100 ] && sample=() # every packet
	svr_nsx "$ns" nft add rule inet "$t" loss "${match[@]}" "${sample[@]}" counter name lost drop
}

# svr2_path_rate a|b KBIT: limits what the path forwards to KBIT kbit/s each way (tc tbf on the
# WAN namespace's two egresses; a 10 ms burst, 50 ms queue); KBIT 0 removes the limit.
svr2_path_rate() {
	local ns ifname kbit=$2 burst
	ns=$(svr2_path_ns "$1") || return 1
	burst=$((kbit * 1000 / 8 / 100)) # bytes sent in 10 ms at the rate
	[ "$burst" -ge 3200 ] || burst=3200 # at least two full frames
	for ifname in $(svr2_path_ifs "$1"); do
		if [ "$kbit" -eq 0 ]; then
			tc -n "$ns" qdisc del dev "$ifname" root 2>/dev/null
		else
			tc -n "$ns" qdisc replace dev "$ifname" root tbf rate "${kbit}kbit" \
				burst "$burst" latency 50ms || return 1
		fi
	done
}

# svr2_path_clear a|b: no cut, no loss, no rate limit, links up.
svr2_path_clear() {
	svr2_path_restore "$1" && svr2_path_loss "$1" 0 && svr2_path_rate "$1" 0 &&
		svr2_path_link "$1" up r1 && svr2_path_link "$1" up r2
}

# svr2_path_flap a|b PERIOD_S SECONDS [cut|link]: in the background, cuts the path (nft, or its
# link toward R1 down) for PERIOD_S, restores it for PERIOD_S, and so on for SECONDS, ending
# restored. Each change is logged as "cut|restore <unix time>" to $SVR_TMP/flap-<path>.log.
# SVR2_FLAP_PID is the flapper (tracked, stopped at cleanup; svr2_path_flap_wait waits for it to
# end): stopped early, it restores the path before it exits.
svr2_path_flap() {
	local path=$1 period=$2 secs=$3 how=${4:-cut} log=$SVR_TMP/flap-$1.log
	svr2_path_ns "$path" >/dev/null || return 1
	: >"$log"
	(
		trap - EXIT INT
		nap=""
		down() { if [ "$how" = link ]; then svr2_path_link "$path" down; else svr2_path_cut "$path"; fi; }
		up() { if [ "$how" = link ]; then svr2_path_link "$path" up; else svr2_path_restore "$path"; fi; }
		finish() { [ -n "$nap" ] && kill "$nap" 2>/dev/null; up; echo "restore $(date +%s.%N)" >>"$log"; exit 0; }
		trap finish TERM
		end=$(($(date +%s%N) + secs * 1000000000))
		while [ "$(date +%s%N)" -lt "$end" ]; do
			down && echo "cut $(date +%s.%N)" >>"$log"
			sleep "$period" & nap=$! && wait "$nap"
			up && echo "restore $(date +%s.%N)" >>"$log"
			sleep "$period" & nap=$! && wait "$nap"
		done
	) </dev/null &
	SVR2_FLAP_PID=$!
	svr_track "$SVR2_FLAP_PID"
	svr_defer "svr_stop_pid $SVR2_FLAP_PID 5"
}

# svr2_path_flap_wait SECONDS: waits until the flapper has ended (fails if still running then).
svr2_path_flap_wait() {
	flapper_done() { ! svr_pid_alive "$SVR2_FLAP_PID"; }
	svr_until "$1" flapper_done && { wait "$SVR2_FLAP_PID" 2>/dev/null; return 0; }
}

# svr2_routers2_json SERVICES: the "routers" array of the two-path lab: r1 (lan, tenant blue;
# wan1 in "mpls", wan2 in "lte") routing each service of SERVICES (names separated by spaces)
# to its peer r2; r2 (wan1, wan2, lan). Static routes reach the far WAN subnets through each WAN
# namespace. JSON text from these variables is appended inside objects (start it with a comma):
#   SVR2_HOOD_MPLS, SVR2_HOOD_LTE  each router's "mpls" / "lte" neighborhood object
#   SVR2_WAN_EXTRA                  each WAN interface (e.g. ', "capacity-bps": 20000000')
#   SVR2_R1_EXTRA, SVR2_R2_EXTRA    the router objects
#   SVR2_R2_LAN_EXTRA               r2's lan interface (e.g. ', "source-nat": true')
svr2_routers2_json() {
	local p=$SVR_PREFIX lan2=${SVR2_SERVER%.*} routes="" s
	for s in $1; do routes="$routes${routes:+, }{ \"service\": \"$s\", \"peer\": \"r2\" }"; done
	local mpls="{ \"name\": \"mpls\", \"vector\": \"mpls\" ${SVR2_HOOD_MPLS:-} }"
	local lte="{ \"name\": \"lte\", \"vector\": \"lte\" ${SVR2_HOOD_LTE:-} }"
	cat <<EOF
[ { "name": "r1",
    "interfaces": [
      { "name": "lan", "device": "net_af_packet0,iface=$p-a,framecnt=4096",
        "addresses": ["198.18.1.1/24"], "tenant": "blue" },
      { "name": "wan1", "device": "net_af_packet1,iface=$p-w1,framecnt=4096",
        "addresses": ["$SVR2_WP1/24"], "gateway": "198.19.1.254",
        "neighborhoods": [ $mpls ] ${SVR2_WAN_EXTRA:-} },
      { "name": "wan2", "device": "net_af_packet2,iface=$p-w3,framecnt=4096",
        "addresses": ["$SVR2_WP1B/24"], "gateway": "198.19.3.254",
        "neighborhoods": [ $lte ] ${SVR2_WAN_EXTRA:-} } ],
    "service-routes": [ $routes ],
    "static-routes": [ { "prefix": "198.19.2.0/24", "gateway": "198.19.1.254" },
                       { "prefix": "198.19.4.0/24", "gateway": "198.19.3.254" } ]
    ${SVR2_R1_EXTRA:-} },
  { "name": "r2",
    "interfaces": [
      { "name": "wan1", "device": "net_af_packet0,iface=$p-w2,framecnt=4096",
        "addresses": ["$SVR2_WP2/24"], "gateway": "198.19.2.254",
        "neighborhoods": [ $mpls ] ${SVR2_WAN_EXTRA:-} },
      { "name": "wan2", "device": "net_af_packet1,iface=$p-w4,framecnt=4096",
        "addresses": ["$SVR2_WP2B/24"], "gateway": "198.19.4.254",
        "neighborhoods": [ $lte ] ${SVR2_WAN_EXTRA:-} },
      { "name": "lan", "device": "net_af_packet2,iface=$p-b,framecnt=4096",
        "addresses": ["$lan2.1/24"] ${SVR2_R2_LAN_EXTRA:-} } ],
    "static-routes": [ { "prefix": "198.19.1.0/24", "gateway": "198.19.2.254" },
                       { "prefix": "198.19.3.0/24", "gateway": "198.19.4.254" } ]
    ${SVR2_R2_EXTRA:-} } ]
EOF
}

# svr2_policy_json NAME MPLS_COST LTE_COST [EXTRA]: a service policy ranking the two vectors
# (a cost or "never"); EXTRA is appended inside it (e.g. ', "resiliency": "failover"').
svr2_policy_json() {
	local q1=$2 q2=$3
	[ "$q1" = never ] && q1='"never"'
	[ "$q2" = never ] && q2='"never"'
	printf '{ "name": "%s", "vectors": [ { "vector": "mpls", "cost": %s }, { "vector": "lte", "cost": %s } ] %s }\n' \
		"$1" "$q1" "$q2" "${4:-}"
}

# svr2_service_json NAME POLICY TRANSPORT [EXTRA]: a service at the server's address for tenant
# blue, with that policy ("" for none) and transport (a JSON array, e.g.
# '[ { "protocol": "udp", "ports": ["5300"] } ]'); EXTRA is appended inside it.
svr2_service_json() {
	local pol=""
	[ -n "$2" ] && pol=", \"policy\": \"$2\""
	printf '{ "name": "%s", "addresses": ["%s/32"], "transport": %s %s,
  "access": [ { "source": { "tenant": "blue" }, "permission": "allow" } ] %s }\n' \
		"$1" "$SVR2_SERVER" "$3" "$pol" "${4:-}"
}

# svr2_model2 SERVICES_JSON POLICIES_JSON [AUTHORITY_EXTRA]: the whole model of the two-path lab
# on stdout: tenant blue, the services (JSON objects separated by commas), the service policies
# (idem), every service routed from r1 to r2 (svr2_routers2_json, with its variables).
svr2_model2() {
	local names
	names=$(printf '[%s]' "$1" | jq -r '.[].name' | tr '\n' ' ') || return 1
	cat <<EOF
{ "model-version": 1, "authority": { "name": "lab",
  "tenants": [ { "name": "blue" } ],
  "service-policies": [ $2 ],
  "services": [ $1 ],
  "routers": $(svr2_routers2_json "$names") ${3:-} } }
EOF
}

# svr2_show R WHAT: router R's (r1, r2) answer to `svrctl --json show WHAT` (its "data"), e.g.
# svr2_show r1 peers | jq '.paths'.
svr2_show() {
	local sock_var=${1}_SOCK out
	out=$(timeout 10 "$(svr_svrctl_bin)" --socket "${!sock_var}" --json show "${@:2}") || return 1
	printf '%s\n' "$out" | jq -e 'if type == "object" and has("ok") and has("data") then .data else . end'
}

# svr2_peer_paths R: one line per peer path of router R: "PEER PATH INTERFACE LOCAL REMOTE".
svr2_peer_paths() {
	svr2_show "$1" peers | jq -r '.paths[] | "\(.peer) \(.path) \(.interface) \(.local) \(.remote)"'
}

# svr2_path_field R a|b FIELD: the FIELD of router R's peer path over lab path a (its wan1) or b
# (wan2) in show peers, e.g. svr2_path_field r1 a path -> mpls/wan1 ("null" if it has no FIELD).
svr2_path_field() {
	local ifname
	case $2 in
	a) ifname=wan1 ;;
	b) ifname=wan2 ;;
	*) echo "svr2: path '$2' is neither a nor b" >&2; return 1 ;;
	esac
	svr2_show "$1" peers | jq -r --arg i "$ifname" --arg f "$3" \
		'[.paths[] | select(.interface == $i)][0][$f]'
}

# svr2_wait_path_field R a|b FIELD VALUE SECONDS: waits until svr2_path_field prints VALUE,
# e.g. svr2_wait_path_field r1 a state up 5.
svr2_wait_path_field() {
	path_field_is() { [ "$(svr2_path_field "$1" "$2" "$3")" = "$4" ]; }
	svr_until "$5" path_field_is "$1" "$2" "$3" "$4"
}

# svr2_path_of_addr ADDR: the lab path ("a" or "b") a waypoint address belongs to ("" if none).
svr2_path_of_addr() {
	case $1 in
	"$SVR2_WP1" | "$SVR2_WP2") echo a ;;
	"$SVR2_WP1B" | "$SVR2_WP2B") echo b ;;
	esac
}

# svr2_session_paths R SERVICE [PROTO]: the lab path ("a" or "b") each live session of SERVICE
# (and protocol PROTO) takes on router R, one line per session: "UUID PATH". The path is read
# from the waypoint addresses in the session's tuples (received and sent, both directions), so it
# is what the packets do, whatever else the router says; a session whose tuples name waypoints of
# both paths shows "a,b", one with none "-".
svr2_session_paths() {
	local r=$1 svc=$2 proto=${3:-} u addrs a paths
	svr2_show "$r" sessions --service "$svc" |
		jq -r --arg p "$proto" '.sessions[] | select($p == "" or .protocol == $p) |
			"\(.uuid) \([.forward, .reverse | .received, .sent | objects |
				.source, .destination] | unique | join(" "))"' |
		while read -r u addrs; do
			paths=""
			for a in $addrs; do paths="$paths $(svr2_path_of_addr "$a")"; done
			paths=$(tr ' ' '\n' <<<"$paths" | grep . | sort -u | paste -sd,)
			echo "$u ${paths:--}"
		done
}

# svr2_wait_show R WHAT JQ_EXPR SECONDS: waits until `svr2_show R WHAT` satisfies JQ_EXPR (jq -e),
# e.g. svr2_wait_show r1 sessions '.sessions | length >= 2' 5.
svr2_wait_show() {
	show_matches() { svr2_show "$1" "$2" | jq -e "$3" >/dev/null 2>&1; }
	svr_until "$4" show_matches "$1" "$2" "$3"
}

# svr2_wait_counter a|b NAME MIN SECONDS: waits until the path's counter NAME reaches MIN.
svr2_wait_counter() {
	counter_reached() { [ "$(svr2_path_counter "$1" "$2")" -ge "$3" ] 2>/dev/null; }
	svr_until "$4" counter_reached "$1" "$2" "$3"
}

# svr2_http_server PORT: one more HTTP server (serving $SVR_TMP/www, like svr2_servers') in the
# server namespace on PORT, listening when this returns; stopped by PID at cleanup.
svr2_http_server() {
	mkdir -p "$SVR_TMP/www"
	[ -f "$SVR_TMP/www/index.html" ] || echo "across the vector" >"$SVR_TMP/www/index.html"
	setsid ip netns exec "$SVR2_SRV" "$SVR_PYTHON" -m http.server --bind "$SVR2_SERVER" \
		--directory "$SVR_TMP/www" "$1" >"$SVR_TMP/http-$1.log" 2>&1 </dev/null &
	svr_track $! && svr_defer "svr_stop_pid $! 3"
	http_listening() { svr_nsx "$SVR2_SRV" ss -Hltn "sport = :$1" | grep -q .; }
	svr_until 15 http_listening "$1" # Python's start takes seconds on a loaded machine
}

# svr2_stream_recv PORT [pathstream recv options...]: a pathstream.py receiver on the server's
# PORT (UDP) in the server namespace, bound when this returns; its report goes to
# $SVR_TMP/stream-PORT.json when it stops (svr2_stream_report). Sets SVR2_STREAM_PID_<PORT>.
svr2_stream_recv() {
	local port=$1 pid
	shift
	rm -f "$SVR_TMP/stream-$port.json"
	setsid ip netns exec "$SVR2_SRV" "$SVR_PYTHON" "$SVR_LIB_DIR/pathstream.py" recv \
		--bind "$SVR2_SERVER:$port" --report "$SVR_TMP/stream-$port.json" "$@" \
		>"$SVR_TMP/stream-$port.log" 2>&1 </dev/null &
	pid=$!
	svr_track "$pid" && svr_defer "svr_stop_pid $pid 3"
	printf -v "SVR2_STREAM_PID_$port" %s "$pid"
	udp_bound() { svr_nsx "$SVR2_SRV" ss -Hlun "sport = :$1" | grep -q .; }
	svr_until 15 udp_bound "$port"
}

# svr2_stream_send PORT RATE_PPS SECONDS [pathstream send options...]: a stream from the client
# (source port PORT + 10000) to the server's PORT, in the foreground; prints the sender's report.
svr2_stream_send() {
	local port=$1 rate=$2 secs=$3
	shift 3
	svr_nsx "$SVR2_CLI" "$SVR_PYTHON" "$SVR_LIB_DIR/pathstream.py" send \
		--to "$SVR2_SERVER:$port" --bind "$SVR2_CLIENT:$((port + 10000))" --rate "$rate" \
		--duration "$secs" "$@"
}

# svr2_stream_report PORT: stops the receiver of PORT (if still running) and prints its report.
svr2_stream_report() {
	local pid_var=SVR2_STREAM_PID_$1
	svr_stop_pid "${!pid_var}" 5 >/dev/null
	cat "$SVR_TMP/stream-$1.json" 2>/dev/null || { tail -n 5 "$SVR_TMP/stream-$1.log" >&2; return 1; }
}
