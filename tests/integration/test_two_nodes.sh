#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Two Kubernetes-style nodes: namespaces A and B joined by a veth underlay
# (198.51.100.0/24, 2001:db8:100::/64), each running brisk with the conflist
# scripts/install-node.sh renders for its own pod range (10.244.1.0/24 +
# fd00:10:244:1::/64 on A, .2 on B) and a route to the other's range
# through the underlay, as a cloud route controller or static routes would
# program them. A pod on A reaches a pod on B over IPv4 and IPv6, and B's pod
# sees A's pod's own address as the source (nftables counters in B's pod).
# With "ipMasq": true and "ipMasqExclude": [the cluster ranges], the pod's
# traffic to an "outside" namespace behind A (192.0.2.0/24, 2001:db8:2::/64,
# which has no route back to the pod ranges) is masqueraded behind A's
# address, while pod-to-pod traffic keeps its source. DEL leaves no lease,
# no bridge port and no nftables element on either node.
. "$(dirname "$0")/lib.sh"
setup twonode ip jq nft ping

A=$HOST
B=$(mkns nodeb) || fail "mkns"
OUTSIDE=$(mkns outside) || fail "mkns"
PA=$(mkns poda) || fail "mkns"
PB=$(mkns podb) || fail "mkns"
NET_NAME=k8s
BRIDGE=cni0
CLUSTER=10.244.0.0/16,fd00:10:244::/56
INSTALL=$REPO/scripts/install-node.sh

step "underlay and outside link"
ip -n "$A" link add ul0 type veth peer name ul0 netns "$B" || fail "underlay veth"
ip -n "$A" link add ext0 type veth peer name eth0 netns "$OUTSIDE" || fail "outside veth"
# node ADDR4 ADDR6 DEV NS: address DEV in NS and bring it up.
link_up()
{
	ip -n "$1" addr add "$3" dev "$2" || return 1
	ip -n "$1" addr add "$4" dev "$2" nodad || return 1
	ip -n "$1" link set "$2" up
}
link_up "$A" ul0 198.51.100.1/24 2001:db8:100::1/64 || fail "underlay on A"
link_up "$B" ul0 198.51.100.2/24 2001:db8:100::2/64 || fail "underlay on B"
link_up "$A" ext0 192.0.2.1/24 2001:db8:2::1/64 || fail "outside link on A"
link_up "$OUTSIDE" eth0 192.0.2.2/24 2001:db8:2::2/64 || fail "outside link"
step "routes between the nodes' pod ranges"
ip -n "$A" route add 10.244.2.0/24 via 198.51.100.2 || fail "route on A"
ip -n "$A" -6 route add fd00:10:244:2::/64 via 2001:db8:100::2 || fail "route6 on A"
ip -n "$B" route add 10.244.1.0/24 via 198.51.100.1 || fail "route on B"
ip -n "$B" -6 route add fd00:10:244:1::/64 via 2001:db8:100::1 || fail "route6 on B"

# conflist N [--cluster-cidr ...]: node N's network config as the runtime
# hands it to brisk (the first plugin of install-node.sh's conflist).
conflist()
{
	local n=$1

	shift
	"$INSTALL" --print --network "$NET_NAME" --bridge "$BRIDGE" \
		--pod-cidr "10.244.$n.0/24,fd00:10:244:$n::/64" \
		--data-dir "$TMPD/data-$n" "$@" |
		jq -c '.plugins[0] + {name, cniVersion}'
}

# on NODE: run the next brisk calls on NODE (its namespace and lease store).
on()
{
	HOST=$1
	if [ "$1" = "$A" ]; then DATADIR=$TMPD/data-1; else DATADIR=$TMPD/data-2; fi
}

# counters NS: a table counting, in NS's input path, ICMP echo requests
# by source, one named counter per source.
counters()
{
	ip netns exec "$1" nft -f - <<EOF || fail "nft in $1"
table inet bki {
	counter from_pod4 {}
	counter from_pod6 {}
	counter from_node4 {}
	counter from_node6 {}
	chain input {
		type filter hook input priority 0;
		ip saddr 10.244.1.2 icmp type echo-request counter name from_pod4
		ip6 saddr fd00:10:244:1::2 icmpv6 type echo-request counter name from_pod6
		ip saddr { 198.51.100.1, 192.0.2.1 } icmp type echo-request counter name from_node4
		ip6 saddr { 2001:db8:100::1, 2001:db8:2::1 } icmpv6 type echo-request counter name from_node6
	}
}
EOF
}

# count NS NAME: the packets counter NAME has seen in NS.
count()
{
	ip netns exec "$1" nft -j list counter inet bki "$2" |
		jq '[.nftables[] | .counter? | select(.) | .packets] | add'
}

# ping_from NS DST: an echo from NS to DST answered within 5 s (one a
# second until then). Not one 2 s try: the test's own underlay links are
# new, their link-local addresses tentative for a second or two, and the
# kernel solicits the neighbour of a forwarded IPv6 packet only from a
# link-local address that is not, so the first packets routed between the
# nodes wait for it. (brisk's new bridges skip that DAD: test_sysctls.)
ping_from()
{
	ip netns exec "$1" ping -n -c 1 -w 5 "$2" >/dev/null 2>&1
}

# assert_some N WHAT: N is at least 1.
assert_some()
{
	[[ "$1" =~ ^[0-9]+$ ]] && (($1 >= 1)) || fail "$2: got '$1', expected at least 1"
}

MASQ_ARGS=(--cluster-cidr "$CLUSTER")
step "ADD on node A (ipMasq, ipMasqExclude = the cluster ranges)"
on "$A"
CONF=$(conflist 1 "${MASQ_ARGS[@]}") || fail "install-node.sh --print"
jq -e '.ipMasq == true and (.ipMasqExclude | length) == 2' >/dev/null <<<"$CONF" ||
	fail "the conflist lacks ipMasq or ipMasqExclude: $CONF"
cni ADD pod-a "$PA" eth0
assert_ok "ADD on node A"
assert_eq "$(addrs "$PA" eth0 inet global) $(addrs "$PA" eth0 inet6 global)" \
	"10.244.1.2/24 fd00:10:244:1::2/64" "pod A's addresses"
step "ADD on node B"
on "$B"
CONF=$(conflist 2 "${MASQ_ARGS[@]}")
cni ADD pod-b "$PB" eth0
assert_ok "ADD on node B"
assert_eq "$(addrs "$PB" eth0 inet global) $(addrs "$PB" eth0 inet6 global)" \
	"10.244.2.2/24 fd00:10:244:2::2/64" "pod B's addresses"

step "pod A reaches pod B with its own source address"
counters "$PB"
ping_from "$PA" 10.244.2.2 || fail "ping from pod A to pod B (IPv4)"
ping_from "$PA" fd00:10:244:2::2 || fail "ping from pod A to pod B (IPv6)"
assert_some "$(count "$PB" from_pod4)" "IPv4 echoes at pod B from 10.244.1.2"
assert_some "$(count "$PB" from_pod6)" "IPv6 echoes at pod B from fd00:10:244:1::2"
assert_eq "$(count "$PB" from_node4)" 0 "IPv4 echoes at pod B from a node's address"
assert_eq "$(count "$PB" from_node6)" 0 "IPv6 echoes at pod B from a node's address"
step "and back"
ping_from "$PB" 10.244.1.2 || fail "ping from pod B to pod A (IPv4)"
ping_from "$PB" fd00:10:244:1::2 || fail "ping from pod B to pod A (IPv6)"

step "pod A to the outside: masqueraded behind node A"
counters "$OUTSIDE"
ping_from "$PA" 192.0.2.2 || fail "ping from pod A to the outside (IPv4)"
ping_from "$PA" 2001:db8:2::2 || fail "ping from pod A to the outside (IPv6)"
assert_some "$(count "$OUTSIDE" from_node4)" "IPv4 echoes at the outside from 192.0.2.1"
assert_some "$(count "$OUTSIDE" from_node6)" "IPv6 echoes at the outside from 2001:db8:2::1"
assert_eq "$(count "$OUTSIDE" from_pod4)" 0 "IPv4 echoes at the outside from the pod's address"
assert_eq "$(count "$OUTSIDE" from_pod6)" 0 "IPv6 echoes at the outside from the pod's address"

step "DEL on both nodes"
on "$A"
CONF=$(conflist 1 "${MASQ_ARGS[@]}")
cni DEL pod-a "$PA" eth0
assert_ok "DEL on node A"
assert_no_leases
assert_eq "$(ports "$A" "$BRIDGE")" "" "ports of $BRIDGE on node A"
assert_eq "$(nft_total)" 0 "brisk's nftables elements on node A"
on "$B"
CONF=$(conflist 2 "${MASQ_ARGS[@]}")
cni DEL pod-b "$PB" eth0
assert_ok "DEL on node B"
assert_no_leases
assert_eq "$(ports "$B" "$BRIDGE")" "" "ports of $BRIDGE on node B"
assert_eq "$(nft_total)" 0 "brisk's nftables elements on node B"
pass
