#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaining, as libcni runs a conflist: each plugin's result is the next
# one's prevResult; CHECK gives every plugin the list's final result; DEL
# runs the list backwards with it. The list is brisk followed by the
# reference portmap, tuning, bandwidth and firewall from /usr/lib/cni, and
# each must find in brisk's result what it needs. Then brisk keeps what
# came before it: a second brisk network, and the reference bridge, each
# with another plugin's result as prevResult.
. "$(dirname "$0")/lib.sh"
setup chain ip jq iptables-save tc socat timeout

REF=/usr/lib/cni
for p in portmap tuning bandwidth firewall bridge; do
	[ -x "$REF/$p" ] || skip "needs the reference $p in $REF"
done
C=$(mkns c1) || fail "mkns"
BRIDGE=bkch0

# bandwidth needs an ifb device and the tbf qdisc.
USE_BW=true
if ! { ip -n "$HOST" link add bkifbprobe type ifb &&
	tc -n "$HOST" qdisc add dev bkifbprobe root tbf rate 1mbit burst 16kb latency 50ms; } 2>/dev/null; then
	echo "NOTE: $TEST_NAME: this kernel lacks ifb or tbf: the bandwidth plugin is left out" >&2
	USE_BW=false
fi
ip -n "$HOST" link del bkifbprobe 2>/dev/null

# The conflist: cniVersion 1.0.0, the newest the reference plugins here know.
LIST=$(jq -c --argjson bw "$USE_BW" --arg td "$TMPD" \
	'{cniVersion: "1.0.0", name: .name, plugins: ([
		(del(.cniVersion, .name, .ipam.ranges) | .type = "brisk" |
			.capabilities = {ipRanges: true}),
		{type: "portmap", capabilities: {portMappings: true}},
		{type: "tuning", mtu: 1300, mac: "02:11:22:33:44:55",
			sysctl: {"net.ipv4.conf.eth0.arp_announce": "2"},
			dataDir: ($td + "/tuning")},
		{type: "firewall", backend: "iptables"}
	] + (if $bw then [{type: "bandwidth", ingressRate: 8000000,
		ingressBurst: 80000, egressRate: 8000000, egressBurst: 80000}]
		else [] end))}' <<<"$(mkconf 1.0.0 v4)")
RUNTIME='{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
	"ipRanges": [[{"subnet": "10.199.0.0/24", "rangeStart": "10.199.0.50"}]]}'

# plugin_conf I PREV: plugin I as libcni hands it over: the list's
# cniVersion and name, runtimeConfig with what its capabilities ask for,
# and PREV (a result, or "") as prevResult.
plugin_conf()
{
	jq -c --argjson i "$1" --arg prev "$2" --argjson rt "$RUNTIME" '
		.cniVersion as $v | .name as $n | .plugins[$i] |
		. + {cniVersion: $v, name: $n} |
		(.capabilities // {}) as $caps |
		(if ($caps | length) > 0 then .runtimeConfig =
			($rt | with_entries(select($caps[.key] == true))) else . end) |
		if $prev != "" then .prevResult = ($prev | fromjson) else . end' <<<"$LIST"
}

# portmap_check_bug CMD TYPE: the failure is Debian's portmap v1.1.1
# checking ip6tables for an IPv4-only container (containernetworking/plugins
# fb5d195f, "Only check ipv6 when an IPv6 is configured", came later).
portmap_check_bug()
{
	[ "$1" = CHECK ] && [ "$2" = portmap ] &&
		jq -e '.msg | startswith("could not check ipv6 dnat")' >/dev/null 2>&1 <<<"$OUT" &&
		jq -e '[.ips[].address | select(contains(":"))] | length == 0' >/dev/null <<<"$CACHED"
}

# chain CMD ID NS IFNAME: the conflist's CMD. ADD leaves the final result
# in $CACHED (libcni's cache), which CHECK and DEL pass to every plugin.
chain()
{
	local cmd=$1 n i order prev="" type prog

	shift
	n=$(jq '.plugins | length' <<<"$LIST")
	order=$(seq 0 $((n - 1)))
	[ "$cmd" = DEL ] && order=$(seq $((n - 1)) -1 0)
	[ "$cmd" = ADD ] || prev=$CACHED
	for i in $order; do
		type=$(jq -r ".plugins[$i].type" <<<"$LIST")
		prog=$REF/$type
		[ "$type" = brisk ] && prog=$BRISK
		CONF=$(plugin_conf "$i" "$prev")
		_stage_input
		_cni_env "$cmd" "$@"
		run_plugin "$prog" "${CNI_ENV[@]}"
		if [ "$RC" != 0 ] && portmap_check_bug "$cmd" "$type"; then
			echo "NOTE: $TEST_NAME: the reference portmap here checks ip6tables" \
				"for an IPv4-only container (fixed upstream after v1.1.1)" >&2
			continue
		fi
		[ "$RC" = 0 ] || fail "$cmd: plugin $i ($type) failed"
		[ "$cmd" = ADD ] && prev=$OUT
	done
	[ "$cmd" = ADD ] && CACHED=$prev
	return 0
}

step "ADD through the list"
chain ADD ctr-chain "$C" eth0
RES=$CACHED
HV=$(jq -r '.interfaces[1].name' <<<"$RES")
IP=$(jq -r '.ips[0].address | sub("/.*"; "")' <<<"$RES")
assert_eq "$IP" 10.199.0.50 "address from runtimeConfig.ipRanges"
assert_jq '.interfaces[2].name == "eth0" and .ips[0].interface == 2' \
	"brisk's container interface and its address' index" "$RES"
assert_eq "$(link_json "$C" eth0 | jq -r '"\(.mtu) \(.address)"')" \
	"1300 02:11:22:33:44:55" "tuning: mtu and mac in the container"
assert_eq "$(jq -r '.interfaces[2].mac' <<<"$RES")" 02:11:22:33:44:55 \
	"tuning's mac in the final result"
assert_eq "$(ip netns exec "$C" cat /proc/sys/net/ipv4/conf/eth0/arp_announce)" 2 \
	"tuning: sysctl"
ip netns exec "$HOST" iptables-save -t nat | grep -q -- "--dport 8080 .*-j DNAT --to-destination $IP:80" ||
	fail "portmap: no DNAT to $IP:80"
ip netns exec "$HOST" iptables-save -t filter | grep -q -- "CNI-FORWARD.*$IP" ||
	fail "firewall: no CNI-FORWARD rule for $IP"
if [ "$USE_BW" = true ]; then
	tc -n "$HOST" qdisc show dev "$HV" | grep -q ingress || fail "bandwidth: no ingress qdisc on $HV"
	assert_jq '[.interfaces[].name | select(startswith("bwp"))] | length == 1' \
		"bandwidth's ifb in the final result" "$RES"
fi

step "portmap forwards to the container"
ip netns exec "$C" socat -t5 TCP-LISTEN:80,reuseaddr SYSTEM:'echo chained' &
srv=$!
for _ in $(seq 20); do
	ip netns exec "$C" ss -ltn 2>/dev/null | grep -q ':80 ' && break
	sleep 0.1
done
got=$(ip netns exec "$HOST" timeout 10 socat -T5 -t5 - TCP:"$GW4":8080 </dev/null 2>/dev/null)
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
assert_eq "$got" chained "reply through host port 8080"

step "CHECK through the list"
chain CHECK ctr-chain "$C" eth0

step "a second brisk network after it keeps both results"
SECOND=$(mkconf 1.0.0 v4 '.name = "second" | .bridge = "bkch1" | .isDefaultGateway = false |
	.ipam.ranges = [[{subnet: "10.198.0.0/24"}]] | .dns = {nameservers: ["10.198.0.53"]}')
CONF=$(jq -c --argjson p "$RES" '.prevResult = $p' <<<"$SECOND")
cni ADD ctr-chain "$C" net1
assert_ok "ADD of the second network"
BOTH=$OUT
n1=$(jq '.interfaces | length' <<<"$RES")
assert_eq "$(jq -c --argjson p "$RES" '[.interfaces[:($p.interfaces | length)] == $p.interfaces,
	.ips[:($p.ips | length)] == $p.ips, .routes[:($p.routes | length)] == $p.routes] | all' <<<"$BOTH")" \
	true "the first result kept whole, in front"
assert_eq "$(jq -r ".interfaces[$((n1 + 2))] | \"\(.name) \(.sandbox)\"" <<<"$BOTH")" \
	"net1 $(nspath "$C")" "the second container interface"
assert_eq "$(jq -c '[.ips[] | .interface]' <<<"$BOTH")" "[2,$((n1 + 2))]" "ips' interface indexes"
assert_eq "$(jq -c .dns.nameservers <<<"$BOTH")" '["10.198.0.53"]' "dns of the second"
assert_eq "$(addrs "$C" net1 inet global)" 10.198.0.2/24 "address of net1"
CONF=$(jq -c --argjson p "$BOTH" '.prevResult = $p' <<<"$SECOND")
cni CHECK ctr-chain "$C" net1
assert_ok "CHECK of the second network with the combined result"
CONF=$(plugin_conf 0 "$BOTH")
cni CHECK ctr-chain "$C" eth0
assert_ok "brisk's CHECK of the first network with the combined result"
CONF=$SECOND
cni DEL ctr-chain "$C" net1
assert_ok "DEL of the second network"

step "DEL through the list, backwards"
chain DEL ctr-chain "$C" eth0
! link_exists "$C" eth0 || fail "eth0 left in the container"
! link_exists "$HOST" "$HV" || fail "host veth left"
assert_no_leases
ip netns exec "$HOST" iptables-save | grep -q -- "$IP" && fail "iptables rules left for $IP"
[ -z "$(ip -n "$HOST" -j link show | jq -r '.[].ifname | select(startswith("bwp"))')" ] ||
	fail "bandwidth's ifb left"

step "after the reference bridge: its result kept, ours appended"
CONF=$(mkconf 1.0.0 v4 '.name = "refnet" | .bridge = "bkch2" | .isDefaultGateway = false |
	.ipam.ranges = [[{subnet: "10.197.0.0/24"}]]')
REFCONF=$CONF
_stage_input
run_plugin "$REF/bridge" CNI_COMMAND=ADD CNI_CONTAINERID=ctr-ref CNI_NETNS="$(nspath "$C")" \
	CNI_IFNAME=net0 CNI_PATH="$REF"
[ "$RC" = 0 ] || fail "the reference bridge failed: $OUT"
REFRES=$OUT
CONF=$(jq -c --argjson p "$REFRES" '.prevResult = $p' <<<"$(mkconf 1.0.0 v4)")
cni ADD ctr-ref "$C" eth0
assert_ok "brisk's ADD after the reference bridge"
assert_eq "$(jq -c '[.interfaces[].name]' <<<"$OUT" | jq -r '.[0:3] | join(" ")')" \
	"$(jq -r '[.interfaces[].name] | join(" ")' <<<"$REFRES")" "the reference's interfaces, first"
assert_eq "$(jq -c '[.ips[] | .interface]' <<<"$OUT")" "[2,5]" "ips' interface indexes"
CONF=$(jq -c --argjson p "$OUT" '.prevResult = $p' <<<"$(mkconf 1.0.0 v4)")
cni CHECK ctr-ref "$C" eth0
assert_ok "CHECK with the combined result"
CONF=$(mkconf 1.0.0 v4)
cni DEL ctr-ref "$C" eth0
assert_ok "DEL"
CONF=$REFCONF
_stage_input
run_plugin "$REF/bridge" CNI_COMMAND=DEL CNI_CONTAINERID=ctr-ref CNI_NETNS="$(nspath "$C")" \
	CNI_IFNAME=net0 CNI_PATH="$REF"
[ "$RC" = 0 ] || fail "the reference bridge's DEL failed"
pass
