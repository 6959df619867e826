#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A repeated ADD of the same container/ifname after a crashed attempt: when
# the container interface is gone the second ADD succeeds with the same
# (reused) leases; a stale host veth left under the derived name is replaced.
# An ADD while the interface still exists fails and keeps the leases.
. "$(dirname "$0")/lib.sh"
setup rep

c=$(mkns c1) || fail "mkns"
CONF=$(mkconf 1.0.0 dual)

step "first ADD"
cni ADD ctr-rep "$c" eth0
assert_ok "first ADD"
first=$OUT
hveth=$(jq -r '.interfaces[1].name' <<<"$first")
ips=$(jq -c '[.ips[].address]' <<<"$first")
lease_list=$(leases)
verify_add "$first" "$c" eth0 ctr-rep v4 v6

CASE="ADD while eth0 exists"
step "$CASE"
cni ADD ctr-rep "$c" eth0
assert_err any eth0
link_exists "$c" eth0 || fail "the failed ADD removed eth0"
link_exists "$HOST" "$hveth" || fail "the failed ADD removed $hveth"
assert_eq "$(leases)" "$lease_list" "leases after the failed ADD"
assert_lease "$(fam_first v4)" ctr-rep eth0
assert_lease "$(fam_first v6)" ctr-rep eth0
CASE=""

CASE="container interface removed"
step "$CASE"
ip -n "$c" link del eth0 || fail "ip link del eth0"
! link_exists "$HOST" "$hveth" || fail "$hveth outlived its peer"
cni ADD ctr-rep "$c" eth0
assert_ok "ADD after eth0 was removed"
assert_eq "$(jq -c '[.ips[].address]' <<<"$OUT")" "$ips" "addresses of the repeated ADD"
assert_eq "$(leases)" "$lease_list" "leases after the repeated ADD"
verify_add "$OUT" "$c" eth0 ctr-rep v4 v6
CASE=""

CASE="stale host veth under the derived name"
step "$CASE"
ip -n "$c" link del eth0 || fail "ip link del eth0"
ip -n "$HOST" link add "$hveth" type veth peer name bkstale0 || fail "stale veth"
ip -n "$HOST" link set "$hveth" master "$BRIDGE" up || fail "stale veth on the bridge"
stale_idx=$(link_json "$HOST" "$hveth" | jq -r .ifindex)
cni ADD ctr-rep "$c" eth0
assert_ok "ADD with a stale $hveth"
res=$OUT
assert_eq "$(jq -c '[.ips[].address]' <<<"$res")" "$ips" "addresses of the repeated ADD"
assert_eq "$(jq -r '.interfaces[1].name' <<<"$res")" "$hveth" "host veth name"
verify_add "$res" "$c" eth0 ctr-rep v4 v6
new_idx=$(link_json "$HOST" "$hveth" | jq -r .ifindex)
assert_ne "$new_idx" "$stale_idx" "ifindex of $hveth (the stale one must be replaced)"
! link_exists "$HOST" bkstale0 || fail "the stale veth's peer bkstale0 survived"
assert_eq "$(link_json "$c" eth0 | jq -r .link_index)" "$new_idx" "eth0's peer index"
assert_eq "$(ports "$HOST" "$BRIDGE")" "$hveth" "ports of $BRIDGE"
CONF=$(with_prev "$res")
cni CHECK ctr-rep "$c" eth0
assert_ok "CHECK after the repeated ADD"
CASE=""

step "DEL"
CONF=$(mkconf 1.0.0 dual)
cni DEL ctr-rep "$c" eth0
assert_ok "DEL"
assert_no_leases
! link_exists "$HOST" "$hveth" || fail "DEL left $hveth"
pass
