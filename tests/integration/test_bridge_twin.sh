#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# brisk and the reference bridge (Debian's, with host-local) as twins: for
# each config below, ADD by each in a host namespace of its own, then the
# same ADD result (MACs and the host veth's name aside) and the same kernel
# state: the container's interface (MTU, state, addresses), its routes,
# the bridge (MTU, promiscuity, addresses), the port's flags and the
# forwarding sysctls; then DEL by both. Left out are the differences the
# README lists (IPv6 addresses get nodad as well as accept_dad=0) and the
# keys Debian's reference is too old to know (portIsolation,
# disableContainerInterface, and a delegated IPAM plugin's dns, which the
# reference has passed on since after Debian's version). test_versions
# holds the plain config to the reference for every cniVersion.
. "$(dirname "$0")/lib.sh"
setup btwin
REF_BRIDGE=${REF_BRIDGE:-/usr/lib/cni/bridge}
[ -x "$REF_BRIDGE" ] && [ -x "$HOST_LOCAL" ] ||
	skip "needs the reference bridge and host-local in /usr/lib/cni"
OURS=$HOST
REF=$(mkns ref) || fail "mkns"

# A result without what is random: MACs and the host veth's name.
normalize()
{
	jq -cS 'del(.interfaces[].mac, .interfaces[].sandbox) |
		.interfaces[1].name = "VETH"' 2>/dev/null || echo "not a result: $1"
}

# state HOSTNS CONTAINERNS: what the kernel holds after an ADD.
state()
{
	ip -n "$2" -j addr show dev eth0 | jq -c '.[0] | [.mtu, .operstate,
		[.addr_info[] | select(.scope == "global") | [.local, .prefixlen]]]'
	ip -n "$2" -j route show table main | jq -cS 'sort_by(.dst)'
	ip -n "$2" -6 -j route show table main | jq -cS '[.[] |
		select(.dst | startswith("fe80") | not) | del(.pref, .metric, .expires)] |
		sort_by(.dst)'
	ip -n "$1" -j -d link show dev "$BRIDGE" | jq -c '.[0] | [.mtu, (.flags | index("PROMISC") != null)]'
	ip -n "$1" -j addr show dev "$BRIDGE" | jq -c '[.[0].addr_info[] |
		select(.scope == "global") | [.local, .prefixlen]]'
	bridge -n "$1" -d -j link show | jq -c "[.[] | select(.master == \"$BRIDGE\") |
		[.hairpin, .isolated, .learning, .flood, .state]]"
	ip netns exec "$1" sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
}

# twin NAME FAMILY FILTER [CNI_ARGS]: ADD by both, compare, DEL by both.
n=0
twin()
{
	local name=$1 fam=$2 filter=$3 args=() ours ref cb cr

	[ -n "${4:-}" ] && args=("$4")
	n=$((n + 1))
	CASE=$name
	step "$name"
	NET_NAME=twin$n
	cb=$(mkns "b$n") && cr=$(mkns "r$n") || fail "mkns"
	CONF=$(mkconf 1.0.0 "$fam" "$filter")

	DATADIR=$TMPD/ours HOST=$OURS
	cni ADD "ctr-$n" "$cb" eth0 "${args[@]}"
	assert_ok "brisk ADD"
	ours="$(normalize "$OUT" <<<"$OUT")
$(state "$OURS" "$cb")"
	DATADIR=$TMPD/ref HOST=$REF
	CONF=$(mkconf 1.0.0 "$fam" "$filter")
	_stage_input
	_cni_env ADD "ctr-$n" "$cr" eth0 "${args[@]}"
	run_plugin "$REF_BRIDGE" "${CNI_ENV[@]}"
	assert_ok "reference ADD"
	ref="$(normalize "$OUT" <<<"$OUT")
$(state "$REF" "$cr")"
	[ "$ours" = "$ref" ] || fail "brisk vs the reference: $(diff <(echo "$ours") <(echo "$ref"))"

	_cni_env DEL "ctr-$n" "$cr" eth0 "${args[@]}"
	run_plugin "$REF_BRIDGE" "${CNI_ENV[@]}"
	assert_ok "reference DEL"
	DATADIR=$TMPD/ours HOST=$OURS
	CONF=$(mkconf 1.0.0 "$fam" "$filter")
	cni DEL "ctr-$n" "$cb" eth0 "${args[@]}"
	assert_ok "brisk DEL"
	ip -n "$OURS" link del "$BRIDGE" && ip -n "$REF" link del "$BRIDGE" ||
		fail "cannot delete the bridges"
}

twin "plain, dual stack" dual .
twin "isGateway false" dual '.isGateway = false'
twin "isDefaultGateway false" dual '.isDefaultGateway = false'
twin "isDefaultGateway alone" v4 '.isGateway = false | .isDefaultGateway = true'
twin "mtu" dual '.mtu = 1400'
twin "hairpinMode" v4 '.hairpinMode = true'
twin "promiscMode" v4 '.promiscMode = true'
twin "enabledad" v6 '.enabledad = true'
twin "forceAddress" v4 '.forceAddress = true'
twin "macspoofchk" v4 '.macspoofchk = true'
twin "IPv6 only" v6 .
twin "range gateway, start and end" v4 \
	'.ipam.ranges[0][0] += {gateway: "10.199.0.254", rangeStart: "10.199.0.10", rangeEnd: "10.199.0.20"}'
twin "gateway at the network address" v4 '.ipam.ranges[0][0] += {gateway: "10.199.0.0"}'
twin "IPv6 range gateway" v6 '.ipam.ranges[0][0] += {gateway: "fd00:b1c::ffff"}'
twin "two ranges in a set" v4 \
	'.ipam.ranges[0] = [{subnet: "10.199.0.0/24", rangeStart: "10.199.0.254"}, {subnet: "10.198.0.0/24"}]'
twin "a /30" v4 '.ipam.ranges[0][0].subnet = "10.199.0.0/30"'
twin "ipam routes" dual \
	'.ipam.routes = [{dst: "192.0.2.0/24"}, {dst: "2001:db8::/32"}, {dst: "198.51.100.0/24", gw: "10.199.0.7"}]'
twin "ipam route, no gateway" dual \
	'.isGateway = false | .isDefaultGateway = false | .ipam.routes = [{dst: "0.0.0.0/0"}]'
twin "requested address in CNI_ARGS" v4 . "IgnoreUnknown=1;IP=10.199.0.77"
twin "IP= twice in CNI_ARGS (the last counts)" v4 . "IgnoreUnknown=1;IP=10.199.0.80;IP=10.199.0.81"
twin "args.cni.ips" v4 '.args.cni.ips = ["10.199.0.78"]'
twin "runtimeConfig.ips" v4 '.runtimeConfig.ips = ["10.199.0.79/24"] | .capabilities = {ips: true}'
twin "args.cni.mac" v4 '.args.cni.mac = "0a:58:0a:c7:00:09"'
twin "args.cni.mac with dashes" v4 '.args.cni.mac = "0A-58-0A-C7-00-0C"'
twin "MAC in CNI_ARGS, dotted" v4 . "IgnoreUnknown=1;MAC=0a58.0ac7.000d"
twin "runtimeConfig.mac" v4 '.runtimeConfig.mac = "0a:58:0a:c7:00:0a" | .capabilities = {mac: true}'
twin "dns" v4 '.dns = {nameservers: ["192.0.2.53"], search: ["example.test"], options: ["ndots:2"], domain: "example.test"}'
twin "ipam dns" v4 '.ipam.dns = {nameservers: ["192.0.2.53"]}'
twin "no IPAM" l2 '.isGateway = false | .isDefaultGateway = false'
twin "static IPAM (delegated), dual" v4 '.ipam = {type: "static", addresses: [{address: "10.199.0.50/24", gateway: "10.199.0.1"}, {address: "fd00:b1c::50/64", gateway: "fd00:b1c::1"}], routes: [{dst: "192.0.2.0/24"}, {dst: "2001:db8::/32"}]}'
twin "static, default route, no isDefaultGateway" v4 '.isDefaultGateway = false | .ipam = {type: "static", addresses: [{address: "10.199.0.50/24", gateway: "10.199.0.1"}], routes: [{dst: "0.0.0.0/0"}]}'
twin "static IPAM, no gateway" v4 '.isGateway = false | .isDefaultGateway = false | .ipam = {type: "static", addresses: [{address: "10.199.0.51/24"}]}'
twin "static, gateway elsewhere" v4 '.ipam = {type: "static", addresses: [{address: "10.199.0.52/24", gateway: "10.199.0.200"}]}'
# Empty addresses are none in the reference (Go's net.IP): the defaults.
twin "empty gateway, range bounds and route gw" v4 \
	'.ipam.ranges[0][0] += {gateway: "", rangeStart: "", rangeEnd: ""} | .ipam.routes = [{dst: "192.0.2.0/24", gw: ""}]'
twin "host-local legacy subnet and gateway" v4 'del(.ipam.ranges) | .ipam.subnet = "10.199.0.0/24" | .ipam.gateway = "10.199.0.9"'
CASE=""
pass
