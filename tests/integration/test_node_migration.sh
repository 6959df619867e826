#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A node moves from the reference bridge + host-local to brisk and back,
# as the README's Kubernetes guide says: same network name, same ranges,
# same dataDir, only "type" changes. No lease is lost or duplicated at any
# step: brisk hands out the address after the reference's last one, keeps
# the reference's pods reachable on the same bridge, DELs a pod the
# reference made (with its namespace, and with CNI_NETNS="" once the
# namespace is gone); back on the reference, it continues after brisk's last
# address and DELs a pod brisk made.
. "$(dirname "$0")/lib.sh"
setup migrate
REF_BRIDGE=${REF_BRIDGE:-/usr/lib/cni/bridge}
[ -x "$REF_BRIDGE" ] || skip "needs the reference bridge at $REF_BRIDGE"
[ -x "$HOST_LOCAL" ] || skip "needs the reference host-local at $HOST_LOCAL"

NET_NAME=k8s
P1=$(mkns pod1) || fail "mkns"
P2=$(mkns pod2) || fail "mkns"
P3=$(mkns pod3) || fail "mkns"
P4=$(mkns pod4) || fail "mkns"
net4=${SUBNET4%.*/*}
net6=${SUBNET6%::/*}

# ref CMD ID NETNS IFNAME: the reference bridge (which execs host-local
# from CNI_PATH), with $CONF's type made "bridge".
ref()
{
	local saved=$CONF

	CONF=$(jq -c '.type = "bridge"' <<<"$CONF")
	_stage_input
	_cni_env "$@"
	run_plugin "$REF_BRIDGE" "${CNI_ENV[@]}"
	CONF=$saved
}

# brisk_: the same config with type "brisk".
brisk_()
{
	local saved=$CONF

	CONF=$(jq -c '.type = "brisk"' <<<"$CONF")
	cni "$@"
	CONF=$saved
}

# has_addrs NS IP4 IP6: NS's eth0 holds exactly these global addresses.
has_addrs()
{
	assert_eq "$(addrs "$1" eth0 inet global) $(addrs "$1" eth0 inet6 global)" \
		"$2/24 $3/64" "addresses of $1"
}

CONF=$(mkconf 1.0.0 dual)

step "the node runs the reference: pod1"
ref ADD pod-1 "$P1" eth0
assert_ok "reference ADD pod1"
has_addrs "$P1" "$net4.2" "$net6::2"
assert_lease "$net4.2" pod-1 eth0

step "switched to brisk: pod2 gets the next addresses, pod1 keeps its own"
brisk_ ADD pod-2 "$P2" eth0
assert_ok "brisk ADD pod2"
res2=$OUT
has_addrs "$P2" "$net4.3" "$net6::3"
assert_lease "$net4.2" pod-1 eth0
assert_lease "$net4.3" pod-2 eth0
assert_eq "$(leases | tr '\n' ' ')" "$net4.2 $net4.3 $net6::2 $net6::3 " "leases"
ip netns exec "$P2" ping -n -c 1 -W 2 "$net4.2" >/dev/null 2>&1 || fail "pod2 cannot reach pod1 (IPv4)"
ip netns exec "$P1" ping -n -c 1 -W 2 "$GW4" >/dev/null 2>&1 || fail "pod1 lost its gateway (IPv4)"
ip netns exec "$P1" ping -n -c 1 -W 2 "$net6::3" >/dev/null 2>&1 || fail "pod1 cannot reach pod2 (IPv6)"

step "brisk DELs the reference's pod1"
brisk_ DEL pod-1 "$P1" eth0
assert_ok "brisk DEL pod1"
! link_exists "$P1" eth0 || fail "pod1's eth0 left"
assert_eq "$(leases | tr '\n' ' ')" "$net4.3 $net6::3 " "leases after DEL pod1"
assert_eq "$(ports "$HOST" "$BRIDGE" | wc -w)" 1 "bridge ports after DEL pod1"

step "brisk DELs a reference pod whose namespace is gone (CNI_NETNS=\"\")"
ref ADD pod-4 "$P4" eth0
assert_ok "reference ADD pod4"
has_addrs "$P4" "$net4.4" "$net6::4"
ip netns delete "$P4" || fail "delete pod4's namespace"
brisk_ DEL pod-4 "" eth0
assert_ok "brisk DEL pod4 without its namespace"
assert_eq "$(leases | tr '\n' ' ')" "$net4.3 $net6::3 " "leases after DEL pod4"

step "switched back to the reference: pod3 continues after brisk's addresses"
ref ADD pod-3 "$P3" eth0
assert_ok "reference ADD pod3"
has_addrs "$P3" "$net4.5" "$net6::5"
ip netns exec "$P3" ping -n -c 1 -W 2 "$net4.3" >/dev/null 2>&1 || fail "pod3 cannot reach brisk's pod2"

step "the reference DELs brisk's pod2"
ref DEL pod-2 "$P2" eth0
assert_ok "reference DEL pod2"
! link_exists "$P2" eth0 || fail "pod2's eth0 left"
! link_exists "$HOST" "$(jq -r '.interfaces[1].name' <<<"$res2")" || fail "pod2's host veth left"
assert_eq "$(leases | tr '\n' ' ')" "$net4.5 $net6::5 " "leases after DEL pod2"
ref DEL pod-3 "$P3" eth0
assert_ok "reference DEL pod3"
assert_no_leases
assert_eq "$(ports "$HOST" "$BRIDGE")" "" "bridge ports at the end"
pass
