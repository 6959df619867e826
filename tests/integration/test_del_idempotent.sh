#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# DEL always succeeds and leaves nothing behind: a repeated DEL, a DEL of a
# container never added, a DEL after the container namespace was deleted,
# with CNI_NETNS empty, and with CNI_NETNS a leftover plain file.
. "$(dirname "$0")/lib.sh"
setup deli

CONF=$(mkconf 1.0.0 dual)

# add ID NS: ADD that must work; sets HVETH to the host end's name.
add()
{
	cni ADD "$1" "$2" eth0
	assert_ok "ADD $1"
	HVETH=$(jq -r '.interfaces[1].name' <<<"$OUT")
	[ -n "$(leases)" ] || fail "ADD $1 left no lease"
}

# gone ID HVETH: the attachment's host end and leases are gone.
gone()
{
	! link_exists "$HOST" "$2" || fail "$1: host veth $2 still exists"
	assert_no_leases
	if link_exists "$HOST" "$BRIDGE"; then
		assert_eq "$(ports "$HOST" "$BRIDGE")" "" "$1: ports of $BRIDGE"
	fi
}

step "DEL of a container never added, before any store exists"
c0=$(mkns c0) || fail "mkns"
cni DEL ctr-unknown "$c0" eth0
assert_ok "DEL of an unknown container (no store yet)"
assert_eq "$OUT" "" "DEL stdout"

step "DEL twice"
c1=$(mkns c1) || fail "mkns"
add ctr-twice "$c1"
cni DEL ctr-twice "$c1" eth0
assert_ok "first DEL"
! link_exists "$c1" eth0 || fail "first DEL left eth0"
gone ctr-twice "$HVETH"
cni DEL ctr-twice "$c1" eth0
assert_ok "second DEL"
gone ctr-twice "$HVETH"

step "DEL of an unknown container while another one is attached"
c2=$(mkns c2) || fail "mkns"
add ctr-other "$c2"
other_leases=$(leases)
cni DEL ctr-unknown "$c2" eth1
assert_ok "DEL of an unknown container"
assert_eq "$(leases)" "$other_leases" "leases of the attached container"
link_exists "$c2" eth0 || fail "DEL of another container removed eth0 of $c2"
cni DEL ctr-other "$c2" eth0
assert_ok "DEL ctr-other"
gone ctr-other "$HVETH"

step "DEL after the container namespace was deleted"
c3=$(mkns c3) || fail "mkns"
add ctr-nsgone "$c3"
ip netns delete "$c3" || fail "cannot delete $c3"
cni DEL ctr-nsgone "$c3" eth0
assert_ok "DEL with a deleted namespace"
gone ctr-nsgone "$HVETH"

step "DEL with CNI_NETNS empty"
c4=$(mkns c4) || fail "mkns"
add ctr-nonetns "$c4"
cni DEL ctr-nonetns "" eth0
assert_ok "DEL with CNI_NETNS empty"
gone ctr-nonetns "$HVETH"
! link_exists "$c4" eth0 || fail "DEL without CNI_NETNS left the container end eth0"
cni DEL ctr-nonetns "" eth0
assert_ok "second DEL with CNI_NETNS empty"

step "DEL with CNI_NETNS a plain file (leftover mount point)"
c5=$(mkns c5) || fail "mkns"
add ctr-plainfile "$c5"
: >"$TMPD/leftover-netns"
cni DEL ctr-plainfile "$TMPD/leftover-netns" eth0
assert_ok "DEL with CNI_NETNS a plain file"
gone ctr-plainfile "$HVETH"
! link_exists "$c5" eth0 || fail "DEL left the container end eth0 in $c5"

step "nothing left"
assert_no_leases
assert_eq "$(ports "$HOST" "$BRIDGE")" "" "ports of $BRIDGE"
pass
