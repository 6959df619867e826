#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ipMasq: a container's ping reaches the outside with the host's address
# (ipMasq true) or its own (false), IPv4 and IPv6; destinations in
# ipMasqExclude and on the same bridge keep the container's address; the
# elements live in brisk's sets, one per address, and DEL without a
# namespace takes exactly them away.
. "$(dirname "$0")/lib.sh"
setup fwmasq ip jq nft ping socat ss
uplink

step "the outside: a second network in ipMasqExclude, counters per source"
ip -n "$OUTSIDE" addr add 198.51.100.2/24 dev up0 &&
	ip -n "$OUTSIDE" addr add 2001:db8:1::2/64 dev up0 nodad &&
	ip -n "$HOST" route add 198.51.100.0/24 via 192.0.2.2 &&
	ip -n "$HOST" route add 2001:db8:1::/64 via 2001:db8::2 || fail "routes"
# Answers to a container's own address need a way back (ipMasq false).
ip -n "$OUTSIDE" route add 10.199.0.0/16 via 192.0.2.1 &&
	ip -n "$OUTSIDE" route add fd00:b1c::/32 via 2001:db8::1 || fail "routes back"
ip netns exec "$OUTSIDE" nft -f - <<'EOF' || fail "counters"
table inet count {
	set src4 { type ipv4_addr; flags dynamic; counter; }
	set src6 { type ipv6_addr; flags dynamic; counter; }
	chain input {
		type filter hook input priority 0;
		icmp type echo-request add @src4 { ip saddr }
		icmpv6 type echo-request add @src6 { ip6 saddr }
	}
}
EOF

# pings_from ADDR: echo requests the outside got from ADDR so far.
pings_from()
{
	local set=src4

	case "$1" in *:*) set=src6 ;; esac
	ip netns exec "$OUTSIDE" nft -j list set inet count "$set" |
		jq --arg a "$1" '[.nftables[] | select(.set) | .set.elem // [] | .[] |
			select(.elem.val == $a) | .elem.counter.packets] | add // 0'
}

# ping_from NS DST: one ping, asserted to be answered.
ping_from()
{
	ip netns exec "$1" ping -n -c 1 -W 2 "$2" >/dev/null 2>&1 ||
		fail "ping from $1 to $2 got no answer"
}

step "ipMasq true, dual stack, ipMasqExclude"
CONF=$(mkconf 1.0.0 dual '.ipMasq = true |
	.ipMasqExclude = ["198.51.100.0/24", "2001:db8:1::/48", "198.51.100.128/25"]')
C1=$(mkns c1) || fail "mkns"
cni ADD ctr-1 "$C1" eth0
assert_ok "ADD with ipMasq"
A4=$(fam_first v4) A6=$(fam_first v6)
ping_from "$C1" 192.0.2.2
ping_from "$C1" 2001:db8::2
assert_eq "$(pings_from 192.0.2.1)/$(pings_from "$A4")" 1/0 "IPv4 pings outside from the host / the container"
assert_eq "$(pings_from 2001:db8::1)/$(pings_from "$A6")" 1/0 "IPv6 pings outside from the host / the container"
ping_from "$C1" 198.51.100.2
ping_from "$C1" 2001:db8:1::2
assert_eq "$(pings_from 192.0.2.1)/$(pings_from "$A4")" 1/1 "IPv4 ping to an excluded CIDR keeps its source"
assert_eq "$(pings_from 2001:db8::1)/$(pings_from "$A6")" 1/1 "IPv6 ping to an excluded CIDR keeps its source"

step "the elements: one address per family, its subnet and the excludes"
assert_eq "$(nft_elems inet masq4)/$(nft_elems inet masq6)" 1/1 "masq4/masq6 elements"
# 198.51.100.128/25 lies inside 198.51.100.0/24: one element for both.
assert_eq "$(nft_elems inet nomasq4)/$(nft_elems inet nomasq6)" 2/2 "nomasq4/nomasq6 elements"
grep -q "$A4 comment \"$NET_NAME/ctr-1/eth0\"" <<<"$(ip netns exec "$HOST" nft list set inet brisk masq4)" ||
	fail "masq4 does not name the attachment: $(ip netns exec "$HOST" nft list set inet brisk masq4)"
assert_eq "$(fw_records)" "ctr-1:eth0" "firewall records"

step "same bridge: a neighbour sees the container's own address"
bg "$C1" socat -t5 TCP4-LISTEN:7777,fork,reuseaddr 'SYSTEM:echo $SOCAT_PEERADDR'
wait_listen "$C1" 7777 tcp
C3=$(mkns c3) || fail "mkns"
cni ADD ctr-3 "$C3" eth0
assert_ok "ADD neighbour"
N4=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
assert_eq "$(fetch "$C3" "$A4" 7777)" "$N4" "source seen by the neighbour"

step "ipMasq false: the container's own address arrives"
SAVED=$NET_NAME
NET_NAME=plain BRIDGE=bkplain0 SUBNET4=10.199.9.0/24 SUBNET6=fd00:b1c:9::/64
CONF=$(mkconf 1.0.0 dual)
C2=$(mkns c2) || fail "mkns"
cni ADD ctr-2 "$C2" eth0
assert_ok "ADD without ipMasq"
ping_from "$C2" 192.0.2.2
ping_from "$C2" 2001:db8::2
assert_eq "$(pings_from 10.199.9.2)/$(pings_from 192.0.2.1)" 1/1 "IPv4 ping keeps the container's address"
assert_eq "$(pings_from fd00:b1c:9::2)/$(pings_from 2001:db8::1)" 1/1 "IPv6 ping keeps the container's address"
assert_eq "$(fw_records)" "" "no record without firewall keys"
NET_NAME=$SAVED BRIDGE=bkbr0 SUBNET4=10.199.0.0/24 SUBNET6=fd00:b1c::/64

step "chained after another plugin: only brisk's own addresses are masqueraded"
C4=$(mkns c4) || fail "mkns"
PREV='{"cniVersion": "1.0.0", "interfaces": [{"name": "other0"}],
	"ips": [{"address": "203.0.113.9/24", "interface": 0}]}'
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true')
CONF=$(with_prev "$PREV")
cni ADD ctr-4 "$C4" eth0
assert_ok "ADD with a prevResult"
A44=$(jq -r '.ips[1].address | split("/")[0]' <<<"$OUT")
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" 203.0.113.9/24 "the earlier plugin's address kept"
ip netns exec "$HOST" nft list set inet brisk masq4 | grep -q 203.0.113.9 &&
	fail "an earlier plugin's address is masqueraded"
grep -q "$A44 comment \"$NET_NAME/ctr-4/eth0\"" <<<"$(ip netns exec "$HOST" nft list set inet brisk masq4)" ||
	fail "masq4 lacks ctr-4's own address $A44"
grep -q 203.0.113 "$DATADIR/.brisk/$NET_NAME/fw/ctr-4:eth0" && fail "the record holds the earlier plugin's address"
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true')
cni DEL ctr-4 "$C4" eth0
assert_ok "DEL ctr-4"

step "neighbouring attachments' intervals touch: each comes and goes alone"
# Excluding everything, 10.199.8.2's interval ends right where .3's
# starts (address . 0.0.0.0 after address-1 . 255.255.255.255).
SAVED=$NET_NAME
NET_NAME=adj BRIDGE=bkadj0 SUBNET4=10.199.8.0/24 SUBNET6=fd00:b1c:8::/64
CONF=$(mkconf 1.0.0 dual '.ipMasq = true | .ipMasqExclude = ["0.0.0.0/0", "::/0"]')
for i in 1 2 3; do
	CA[$i]=$(mkns "adj$i") || fail "mkns"
	cni ADD "adj-$i" "${CA[$i]}" eth0
	assert_ok "ADD adj-$i"
done
n4=$(nft_elems inet nomasq4) n6=$(nft_elems inet nomasq6)
cni DEL adj-2 "${CA[2]}" eth0
assert_ok "DEL the middle one"
assert_eq "$(nft_elems inet nomasq4)/$(nft_elems inet nomasq6)" "$((n4 - 1))/$((n6 - 1))" \
	"nomasq elements after the middle one's DEL"
for i in 1 3; do
	cni DEL "adj-$i" "${CA[$i]}" eth0
	assert_ok "DEL adj-$i"
done
assert_eq "$(nft_elems inet nomasq4)/$(nft_elems inet nomasq6)" "$((n4 - 3))/$((n6 - 3))" \
	"nomasq elements after every DEL"
NET_NAME=$SAVED BRIDGE=bkbr0 SUBNET4=10.199.0.0/24 SUBNET6=fd00:b1c::/64

step "DEL without a namespace removes exactly its elements"
CONF=$(mkconf 1.0.0 dual '.ipMasq = true | .ipMasqExclude = ["198.51.100.0/24", "2001:db8:1::/48"]')
cni DEL ctr-1 "" eth0
assert_ok "DEL without CNI_NETNS"
assert_eq "$(nft_elems inet masq4)/$(nft_elems inet nomasq4)" 1/2 "the neighbour's IPv4 elements stay"
grep -q "ctr-1" <<<"$(ip netns exec "$HOST" nft list table inet brisk)" && fail "ctr-1's elements stayed"
assert_eq "$(fw_records)" "ctr-3:eth0" "records after DEL"
cni DEL ctr-1 "" eth0
assert_ok "DEL again"
ip netns delete "$C3"
cni DEL ctr-3 "$C3" eth0
assert_ok "DEL with the namespace gone"
assert_eq "$(nft_total)" 0 "elements left"
assert_eq "$(fw_records)" "" "records left"
pass
