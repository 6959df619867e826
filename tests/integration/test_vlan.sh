#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vlan, vlanTrunk and preserveDefaultVlan against the kernel's bridge VLAN
# table (bridge -j vlan), the VLAN gateway "<bridge>.<vlan>", traffic kept
# within a VLAN, CHECK noticing a VLAN taken away, and racing ADDs sharing
# one new gateway. Needs a kernel with bridge VLAN filtering: skipped (77)
# where there is none (test_vlan_refused checks what ADD does there).
. "$(dirname "$0")/lib.sh"
setup vlan

ip -n "$HOST" link add bkvprobe type bridge vlan_filtering 1 2>/dev/null ||
	skip "this kernel has no bridge VLAN filtering"
ip -n "$HOST" link del bkvprobe

# port_vlans DEV: "vid:flags ..." (P: PVID, U: untagged, T: tagged).
port_vlans()
{
	bridge -n "$HOST" -j vlan show dev "$1" | jq -r '[.[0].vlans[]? | . as $v |
		range($v.vlan; ($v.vlanEnd // $v.vlan) + 1) |
		"\(.):" + (if ($v.flags // []) | index("PVID") then "P" else "" end) +
		(if ($v.flags // []) | index("Egress Untagged") then "U" else "T" end)] |
		join(" ")'
}

# add NAME FILTER: ADD ctr-NAME (config mkconf v4 + FILTER) into a fresh
# namespace; $NS, $RES and $HV (the host veth) describe it.
add()
{
	NS=$(mkns "$1") || fail "mkns $1"
	CONF=$(mkconf 1.0.0 v4 "$2")
	cni ADD "ctr-$1" "$NS" eth0
	assert_ok "ADD $1"
	RES=$OUT
	HV=$(jq -r '.interfaces[1].name' <<<"$RES")
}

del()
{
	cni DEL "ctr-$1" "$PFX$1" eth0
	assert_ok "DEL $1"
}

step "vlan with isGateway: the gateway on <bridge>.<vlan>"
BRIDGE=bkv0
add gw '.vlan = 100'
assert_eq "$(link_json "$HOST" "$BRIDGE" | jq -r .linkinfo.info_data.vlan_filtering)" 1 \
	"vlan_filtering of the new bridge"
assert_eq "$(port_vlans "$HV")" "100:PU" "VLANs of the container's port"
link_exists "$HOST" bkv0.100 || fail "no bkv0.100"
assert_eq "$(addrs "$HOST" bkv0.100 inet global)" "$GW4/24" "gateway address on bkv0.100"
# Made here, so its link-local address skips DAD, as a new bridge's does.
assert_eq "$(ip netns exec "$HOST" cat /proc/sys/net/ipv6/conf/bkv0.100/accept_dad)" 0 \
	"accept_dad of bkv0.100"
assert_eq "$(addrs "$HOST" "$BRIDGE" inet global)" "" "addresses on the bridge"
assert_jq '(.interfaces | length) == 4 and .interfaces[3].name == "bkv0.100" and
	(.interfaces[3] | has("sandbox") | not)' "the VLAN gateway in the result"
assert_eq "$(jq -r '.interfaces[3].mac' <<<"$RES")" \
	"$(link_json "$HOST" bkv0.100 | jq -r .address)" "its MAC"
gwport=$(ip -n "$HOST" -j link show dev bkv0.100 | jq -r '.[0].link' | sed 's/@.*//')
[ -n "$gwport" ] && [ "$gwport" != null ] || fail "the gateway's peer is unknown"
assert_eq "$(port_vlans "$gwport")" "100:PU" "VLANs of the gateway's port"
ip netns exec "$NS" ping -n -c 1 -W 2 "$GW4" >/dev/null 2>&1 ||
	fail "the container cannot reach its gateway through VLAN 100"
CONF=$(with_prev "$RES")
cni CHECK ctr-gw "$NS" eth0
assert_ok "CHECK"
bridge -n "$HOST" vlan del dev "$HV" vid 100 || fail "cannot remove the VLAN"
cni CHECK ctr-gw "$NS" eth0
assert_err 999 "VLAN 100"
del gw
link_exists "$HOST" bkv0.100 || fail "DEL removed the shared bkv0.100"

step "a gateway left down half made (its maker killed) is set up by the next ADD"
ip -n "$HOST" link set bkv0.100 down || fail "cannot take bkv0.100 down"
bridge -n "$HOST" vlan del dev "$gwport" vid 100 || fail "cannot remove the gateway port's VLAN"
add gw2 '.vlan = 100'
assert_eq "$(port_vlans "$gwport")" "100:PU" "VLANs of the gateway's port, set up again"
link_json "$HOST" bkv0.100 | jq -e '.flags | index("UP")' >/dev/null || fail "bkv0.100 is still down"
del gw2

step "preserveDefaultVlan"
BRIDGE=bkv1
add keep '.vlan = 200 | .preserveDefaultVlan = true | .isGateway = false | .isDefaultGateway = false'
assert_eq "$(port_vlans "$HV")" "1:U 200:PU" "VLANs with the default kept"
CONF=$(with_prev "$RES")
cni CHECK ctr-keep "$NS" eth0
assert_ok "CHECK"
del keep

step "vlan and vlanTrunk"
BRIDGE=bkv2
add trunk '.vlan = 300 | .vlanTrunk = [{id: 5}, {minID: 10, maxID: 12}] |
	.isGateway = false | .isDefaultGateway = false'
assert_eq "$(port_vlans "$HV")" "5:T 10:T 11:T 12:T 300:PU" "VLANs of a trunk port"
CONF=$(with_prev "$RES")
cni CHECK ctr-trunk "$NS" eth0
assert_ok "CHECK"
del trunk

step "vlanTrunk alone: 1 stays native"
BRIDGE=bkv3
add trunk1 '.vlanTrunk = [{minID: 20, maxID: 21}] | .isGateway = false | .isDefaultGateway = false'
assert_eq "$(port_vlans "$HV")" "1:PU 20:T 21:T" "VLANs of a trunk without vlan"
del trunk1

step "racing ADDs make one VLAN gateway and all succeed"
BRIDGE=bkv5
CONF=$(mkconf 1.0.0 v4 '.vlan = 500')
for i in 1 2 3 4 5 6; do
	mkns "race$i" >/dev/null || fail "mkns race$i"
done
for i in 1 2 3 4 5 6; do
	(
		_cni_env ADD "ctr-race$i" "${PFX}race$i" eth0
		_passenv
		printf '%s' "$CONF" | ip netns exec "$HOST" env -i PATH="$PATH" \
			"${PASSENV[@]}" "${CNI_ENV[@]}" "$BRISK" >"$TMPD/race$i.out" 2>&1
		echo $? >"$TMPD/race$i.rc"
	) &
done
wait
for i in 1 2 3 4 5 6; do
	[ "$(cat "$TMPD/race$i.rc")" = 0 ] || fail "racing ADD $i: $(cat "$TMPD/race$i.out")"
done
assert_eq "$(ip -n "$HOST" -o link show | grep -c ' bkv5\.500@')" 1 "VLAN gateways of bkv5"
assert_eq "$(ip netns exec "$HOST" cat /proc/sys/net/ipv6/conf/bkv5.500/accept_dad)" 0 \
	"accept_dad of bkv5.500"
for i in 1 2 3 4 5 6; do
	del "race$i"
done

step "traffic stays in its VLAN"
BRIDGE=bkv4
l2() { echo ".vlan = $1 | .isGateway = false | .isDefaultGateway = false | .name = \"v$1-$2\" |
	.ipam.ranges = [[{subnet: \"$SUBNET4\", rangeStart: \"10.199.0.$2\", rangeEnd: \"10.199.0.$(($2 + 9))\"}]]"; }
add a1 "$(l2 100 10)"
A1=$NS
ip_a1=$(jq -r '.ips[0].address | sub("/.*"; "")' <<<"$RES")
add a2 "$(l2 100 20)"
A2=$NS
add b1 "$(l2 200 30)"
B1=$NS
ip_b1=$(jq -r '.ips[0].address | sub("/.*"; "")' <<<"$RES")
ip netns exec "$A2" ping -n -c 1 -W 2 "$ip_a1" >/dev/null 2>&1 || fail "VLAN 100 to VLAN 100 fails"
ip netns exec "$A1" ping -n -c 1 -W 1 "$ip_b1" >/dev/null 2>&1 && fail "VLAN 100 reaches VLAN 200"
ip netns exec "$B1" ping -n -c 1 -W 1 "$ip_a1" >/dev/null 2>&1 && fail "VLAN 200 reaches VLAN 100"
pass
