#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# On a kernel without bridge VLAN filtering (this machine's), every VLAN
# variant fails at ADD with the kernel's answer and leaves nothing behind:
# not the bridge it would have made, not the veth, not a lease. (Where the
# kernel has VLAN filtering, test_vlan checks the real thing instead.)
. "$(dirname "$0")/lib.sh"
setup vlanref

ip -n "$HOST" link add bkvprobe type bridge vlan_filtering 1 2>/dev/null &&
	skip "this kernel filters VLANs on bridges: test_vlan covers it"
C=$(mkns c1) || fail "mkns"

# refused NAME FILTER: ADD with mkconf + FILTER fails, changing nothing.
refused()
{
	local before

	CASE=$1
	step "$CASE"
	CONF=$(mkconf 1.0.0 v4 "$2")
	before=$(state_snapshot "$C")
	cni ADD ctr-vlan "$C" eth0
	assert_err 999 "$3"
	assert_jq '(.msg + " " + (.details // "")) | test("not supported")' \
		"the kernel's answer in the error"
	assert_unchanged "$before" "$C"
	# The runtime's DEL after a failed ADD finds nothing to undo.
	cni DEL ctr-vlan "$C" eth0
	assert_ok "DEL after the failed ADD"
	assert_unchanged "$before" "$C"
}

# A bridge brisk would make: refused as it is made.
BRIDGE=bkvl0
refused "new bridge, vlan" '.vlan = 100' "VLAN filtering"
refused "new bridge, vlan and isGateway" '.vlan = 100 | .isGateway = true' "VLAN filtering"
refused "new bridge, vlanTrunk" '.vlanTrunk = [{id: 5}, {minID: 10, maxID: 20}]' "VLAN filtering"
refused "new bridge, empty vlanTrunk" '.vlanTrunk = []' "VLAN filtering"
link_exists "$HOST" "$BRIDGE" && fail "bridge $BRIDGE was left behind"

# A bridge that exists (without filtering, which brisk leaves alone as the
# reference does): refused at the port's VLANs, the veth rolled back.
BRIDGE=bkvl1
ip -n "$HOST" link add "$BRIDGE" type bridge || fail "bridge"
ip -n "$HOST" link set "$BRIDGE" up || fail "bridge up"
refused "existing bridge, vlan" '.vlan = 100' "VLANs"
refused "existing bridge, vlan, preserveDefaultVlan" '.vlan = 100 | .preserveDefaultVlan = true' "VLANs"
refused "existing bridge, vlanTrunk" '.vlanTrunk = [{minID: 1, maxID: 4094}]' "VLANs"
refused "existing bridge, vlan and isolation" '.vlan = 7 | .portIsolation = true' "VLANs"
CASE=""

step "an empty vlanTrunk on an existing bridge asks nothing of its ports"
CONF=$(mkconf 1.0.0 v4 '.vlanTrunk = []')
cni ADD ctr-vlan "$C" eth0
assert_ok "ADD"
cni DEL ctr-vlan "$C" eth0
assert_ok "DEL"
pass
