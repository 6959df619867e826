#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaining the reference portmap plugin after brisk (ipMasq on) keeps
# working, run as libcni runs a conflist: ADD in order with the previous
# result, DEL in reverse order. Its iptables rules come and go; brisk's
# table is untouched by them and the other way round.
. "$(dirname "$0")/lib.sh"
PORTMAP=${PORTMAP:-/usr/lib/cni/portmap}
setup fwchain ip jq nft socat ss iptables-save
[ -x "$PORTMAP" ] || skip "needs the reference portmap plugin ($PORTMAP)"
uplink

BR=$(mkconf 1.0.0 dual '.ipMasq = true | .name = "chain"')
PM=$(jq -nc '{cniVersion: "1.0.0", name: "chain", type: "portmap",
	capabilities: {portMappings: true}, snat: true,
	runtimeConfig: {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]}}')
NET_NAME=chain

# portmap CMD PREV: the portmap plugin with prevResult PREV.
portmap()
{
	CONF=$(jq -c --argjson p "$2" '.prevResult = $p' <<<"$PM")
	_stage_input
	_cni_env "$1" ctr-1 "$C1" eth0
	run_plugin "$PORTMAP" "${CNI_ENV[@]}"
}

step "ADD: brisk, then portmap with brisk's result"
C1=$(mkns c1) || fail "mkns"
CONF=$BR
cni ADD ctr-1 "$C1" eth0
assert_ok "brisk ADD"
R1=$OUT
portmap ADD "$R1"
assert_ok "portmap ADD"
R2=$OUT
assert_eq "$(jq -c .ips <<<"$R2")" "$(jq -c .ips <<<"$R1")" "portmap passes the result on"
serve "$C1" 80 c1
assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8080)" c1 "outside -> 192.0.2.1:8080 through portmap's rules"
assert_eq "$(nft_elems inet masq4)/$(nft_elems inet hp4)" 1/0 "brisk's elements: masquerade only"
ip netns exec "$C1" ping -n -c 1 -W 2 192.0.2.2 >/dev/null 2>&1 || fail "masqueraded ping"
grep -q CNI-HOSTPORT <<<"$(ip netns exec "$HOST" iptables-save)" || fail "no portmap rules"

step "CHECK in order"
CONF=$(jq -c --argjson p "$R2" '.prevResult = $p' <<<"$BR")
cni CHECK ctr-1 "$C1" eth0
assert_ok "brisk CHECK"

step "DEL in reverse: portmap, then brisk"
portmap DEL "$R2"
assert_ok "portmap DEL"
CONF=$(jq -c --argjson p "$R2" '.prevResult = $p' <<<"$BR")
cni DEL ctr-1 "$C1" eth0
assert_ok "brisk DEL"
assert_eq "$(nft_total)" 0 "brisk's elements left"
grep -q "$(jq -r '.ips[0].address | split("/")[0]' <<<"$R1")" <<<"$(ip netns exec "$HOST" iptables-save)" &&
	fail "portmap left rules naming the container"
assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8080)" "" "outside -> 192.0.2.1:8080 after DEL"
pass
