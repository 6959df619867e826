#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# portIsolation: the host port gets the bridge's "isolated" flag, so two
# isolated containers on one bridge cannot reach each other but both reach
# the gateway (and a port that is not isolated); CHECK notices the flag
# being taken away.
. "$(dirname "$0")/lib.sh"
setup iso

BRIDGE=bkiso0
ISO=$(mkconf 1.0.0 v4 '.portIsolation = true')
OPEN=$(mkconf 1.0.0 v4)
declare -A RES NS

add()
{
	NS[$1]=$(mkns "$1") || fail "mkns $1"
	CONF=$2
	cni ADD "ctr-$1" "${NS[$1]}" eth0
	assert_ok "ADD $1"
	RES[$1]=$OUT
}

hveth() { jq -r '.interfaces[1].name' <<<"${RES[$1]}"; }
ip_of() { jq -r '.ips[0].address | sub("/.*"; "")' <<<"${RES[$1]}"; }
isolated() { bridge -n "$HOST" -d -j link show dev "$(hveth "$1")" | jq -r '.[0].isolated'; }
reaches() { ip netns exec "${NS[$1]}" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1; }

step "two isolated containers and one that is not"
add a "$ISO"
add b "$ISO"
add c "$OPEN"
assert_eq "$(isolated a)" true "port of a isolated"
assert_eq "$(isolated b)" true "port of b isolated"
assert_eq "$(isolated c)" false "port of c isolated"
assert_eq "$(ip -n "$HOST" -d -j link show dev "$(hveth a)" | jq -r '.[0].linkinfo.info_slave_data.isolated')" \
	true "ip -d link: isolated"

step "traffic"
reaches a "$GW4" || fail "a cannot reach the gateway"
reaches b "$GW4" || fail "b cannot reach the gateway"
reaches c "$(ip_of a)" || fail "c (not isolated) cannot reach a"
reaches a "$(ip_of c)" || fail "a cannot reach c (not isolated)"
reaches a "$(ip_of b)" && fail "a reaches b across two isolated ports"
reaches b "$(ip_of a)" && fail "b reaches a across two isolated ports"

step "CHECK"
CONF=$(jq -c --argjson p "${RES[a]}" '.prevResult = $p' <<<"$ISO")
cni CHECK ctr-a "${NS[a]}" eth0
assert_ok "CHECK of an isolated port"
ip -n "$HOST" link set dev "$(hveth a)" type bridge_slave isolated off ||
	fail "cannot clear the flag"
cni CHECK ctr-a "${NS[a]}" eth0
assert_err 999 portIsolation
CONF=$(jq -c --argjson p "${RES[c]}" '.prevResult = $p' <<<"$OPEN")
cni CHECK ctr-c "${NS[c]}" eth0
assert_ok "CHECK of a port that is not isolated"

step "DEL"
for n in a b c; do
	CONF=$ISO
	cni DEL "ctr-$n" "${NS[$n]}" eth0
	assert_ok "DEL $n"
done
assert_eq "$(ports "$HOST" "$BRIDGE")" "" "ports left on $BRIDGE"
assert_no_leases
pass
