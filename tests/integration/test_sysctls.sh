#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The quiet settings: accept_ra=0 on the bridge and the host veth (as the
# reference), and accept_dad=0 on a bridge brisk makes (not the reference's:
# see attach.c); in the container accept_ra=0 and autoconf=0 (brisk's own),
# accept_dad, arp_notify/ndisc_notify=1, and with IPv6 disable_ipv6=0 and
# keep_addr_on_down=1 (as the reference). Then the point of it: radvd,
# in a namespace of its own on the bridge, advertises a prefix and a
# default route; containers added before and while it runs take neither,
# nor does the bridge, while a layer-2-only container (whose interface
# brisk leaves to its owner) takes both, which shows the RAs do arrive.
. "$(dirname "$0")/lib.sh"
setup sysctl ip bridge jq radvd ping

RADVD_PID=""
at_exit '[ -n "$RADVD_PID" ] && kill "$RADVD_PID" 2>/dev/null'

BRIDGE=bksys0
RA_PREFIX=2001:db8:1::

# sysctl_in NS FAMILY DEV KEY
sysctl_in() { ip netns exec "$1" cat "/proc/sys/net/$2/conf/$3/$4"; }

# expect_sysctls NS DEV KEY=VALUE... (KEY as ipv4/KEY or ipv6/KEY)
expect_sysctls()
{
	local ns=$1 dev=$2 kv

	shift 2
	for kv in "$@"; do
		assert_eq "$(sysctl_in "$ns" "${kv%%/*}" "$dev" "$(basename "${kv%%=*}")")" \
			"${kv#*=}" "$ns $dev ${kv%%=*}"
	done
}

add()
{
	NS=$(mkns "$1") || fail "mkns $1"
	cni ADD "ctr-$1" "$NS" eth0
	assert_ok "ADD $1"
	RES=$OUT
	HVETH=$(jq -r '.interfaces[1].name' <<<"$RES")
}

step "dual stack: container, bridge and host veth"
CONF=$(mkconf 1.0.0 dual)
add dual
C_DUAL=$NS
# At once: a link-local address brisk left to DAD would still be tentative
# for a second or two, and meanwhile the kernel sends no neighbour
# solicitation for IPv6 forwarded to the containers.
for _ in $(seq 60); do
	LL=$(ip -n "$HOST" -6 -j addr show dev "$BRIDGE" scope link |
		jq -r '.[0].addr_info[]? | select(.local) | "\(.local) \(.tentative // false)"')
	case "$LL" in
	*true*) fail "the new bridge's link-local address is tentative: $LL" ;;
	?*) break ;;
	esac
	sleep 0.05
done
[ -n "$LL" ] || fail "the new bridge has no link-local address after 3 s"
expect_sysctls "$NS" eth0 ipv6/accept_ra=0 ipv6/autoconf=0 ipv6/accept_dad=0 \
	ipv4/arp_notify=1 ipv6/ndisc_notify=1 ipv6/disable_ipv6=0 \
	ipv6/keep_addr_on_down=1
expect_sysctls "$NS" lo ipv6/disable_ipv6=0
expect_sysctls "$HOST" "$BRIDGE" ipv6/accept_ra=0 ipv6/accept_dad=0
expect_sysctls "$HOST" "$HVETH" ipv6/accept_ra=0

step "a bridge made by someone else keeps its accept_dad"
ip -n "$HOST" link add bksys1 type bridge || fail "bridge bksys1"
OWN_DAD=$(sysctl_in "$HOST" ipv6 bksys1 accept_dad)
assert_ne "$OWN_DAD" 0 "accept_dad of a new bridge before brisk"
CONF=$(mkconf 1.0.0 v4 '.name = "own" | .bridge = "bksys1" | .isGateway = false |
	.isDefaultGateway = false | .ipam.ranges = [[{subnet: "10.198.1.0/24"}]]')
add own
expect_sysctls "$HOST" bksys1 ipv6/accept_dad="$OWN_DAD" ipv6/accept_ra=0

step "enabledad"
CONF=$(mkconf 1.0.0 v6 '.name = "dad" | .enabledad = true | .isGateway = false |
	.isDefaultGateway = false | .ipam.ranges = [[{subnet: "fd00:b1d::/64"}]]')
add dad
expect_sysctls "$NS" eth0 ipv6/accept_dad=1 ipv6/enhanced_dad=1 ipv6/accept_ra=0

step "IPv4 only: no RA taken either (plugins#160)"
CONF=$(mkconf 1.0.0 v4 '.name = "v4only" | .isGateway = false | .isDefaultGateway = false |
	.ipam.ranges = [[{subnet: "10.198.0.0/24"}]]')
V4CONF=$CONF
add v4
C_V4=$NS
expect_sysctls "$NS" eth0 ipv6/accept_ra=0 ipv6/autoconf=0 ipv4/arp_notify=1

step "layer 2 only: the container's interface is its owner's"
CONF=$(mkconf 1.0.0 l2 '.name = "l2"')
add l2
C_L2=$NS
expect_sysctls "$NS" eth0 ipv6/accept_ra=1 ipv6/autoconf=1 ipv4/arp_notify=0

step "radvd on the bridge"
R=$(mkns radvd) || fail "mkns radvd"
ip -n "$R" link add r0 type veth peer name bksysr netns "$HOST" || fail "router veth"
ip -n "$HOST" link set bksysr master "$BRIDGE" up || fail "router port"
ip -n "$R" link set r0 up || fail "r0 up"
ip netns exec "$R" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/forwarding' || fail "forwarding"
cat >"$TMPD/radvd.conf" <<EOC
interface r0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultLifetime 600;
	prefix $RA_PREFIX/64 {
		AdvOnLink on;
		AdvAutonomous on;
	};
};
EOC
ip netns exec "$R" radvd -n -C "$TMPD/radvd.conf" -p "$TMPD/radvd.pid" \
	-m logfile -l "$TMPD/radvd.log" &
RADVD_PID=$!

step "a container added while radvd runs"
CONF=$V4CONF
add after
C_AFTER=$NS

step "the layer-2 container takes the RA (so RAs do arrive)"
for _ in $(seq 30); do
	[ -n "$(addrs "$C_L2" eth0 inet6 global | grep "^${RA_PREFIX%::}:")" ] && break
	sleep 0.5
done
[ -n "$(addrs "$C_L2" eth0 inet6 global | grep "^${RA_PREFIX%::}:")" ] ||
	fail "no SLAAC address in the layer-2 container: did radvd run? $(cat "$TMPD/radvd.log" 2>/dev/null)"
ip -n "$C_L2" -6 -j route show default | jq -e '[.[] | select(.protocol == "ra")] | length > 0' >/dev/null ||
	fail "no RA default route in the layer-2 container"
# One more advertisement interval for the others to be exposed to.
sleep 4

step "nobody else took anything from it"
for ns in "$C_DUAL" "$C_V4" "$C_AFTER"; do
	assert_eq "$(addrs "$ns" eth0 inet6 global | grep "^${RA_PREFIX%::}:")" "" \
		"SLAAC addresses in $ns"
	assert_eq "$(ip -n "$ns" -6 -j route show | jq -c '[.[] | select(.protocol == "ra")]')" "[]" \
		"RA routes in $ns"
done
assert_eq "$(ip -n "$C_DUAL" -6 -j route show default | jq -r '[.[].gateway] | join(",")')" \
	"$GW6" "the IPv6 default route of the dual-stack container"
assert_eq "$(addrs "$HOST" "$BRIDGE" inet6 global)" "$GW6/64" "bridge IPv6 addresses"
assert_eq "$(ip -n "$HOST" -6 -j route show | jq -c '[.[] | select(.protocol == "ra")]')" "[]" \
	"RA routes in the host namespace"
pass
