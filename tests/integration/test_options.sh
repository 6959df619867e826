#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every bridge and host-local key that changes the kernel state or the
# result means what it means for the reference plugins: mtu, hairpinMode,
# promiscMode, forceAddress, enabledad, disableContainerInterface, a
# requested MAC and requested addresses, rangeStart/rangeEnd, routes with a
# gateway, resolvConf, runtimeConfig.ipRanges.
. "$(dirname "$0")/lib.sh"
setup opt

# add NAME [CNI_ARGS]: ADD ctr-NAME into a fresh namespace ($NS), asserting success.
add()
{
	NS=$(mkns "$1") || fail "mkns $1"
	cni ADD "ctr-$1" "$NS" eth0 ${2:+"$2"}
	assert_ok "ADD $1"
	RES=$OUT
}

del()
{
	cni DEL "ctr-$1" "$PFX$1" eth0
	assert_ok "DEL $1"
}

hveth() { jq -r '.interfaces[1].name' <<<"$RES"; }
mtu_of() { link_json "$1" "$2" | jq -r .mtu; }

step "mtu: a new bridge and both veth ends"
BRIDGE=bkopt0
CONF=$(mkconf 1.1.0 v4 '.mtu = 1400')
add mtu
assert_eq "$(mtu_of "$HOST" "$BRIDGE")" 1400 "bridge mtu"
assert_eq "$(mtu_of "$HOST" "$(hveth)")" 1400 "host veth mtu"
assert_eq "$(mtu_of "$NS" eth0)" 1400 "container mtu"
assert_eq "$(jq -r '.interfaces[2].mtu' <<<"$RES")" 1400 "result mtu (1.1.0)"
del mtu

step "mtu below 1280: IPv4 alone is fine, IPv6 is refused before any link"
BRIDGE=bkopt9
CONF=$(mkconf 1.1.0 v4 '.mtu = 1000')
add mtu4
assert_eq "$(mtu_of "$NS" eth0)" 1000 "container mtu"
del mtu4
CONF=$(mkconf 1.1.0 dual '.mtu = 1000')
NS=$(mkns mtu6) || fail "mkns"
cni ADD ctr-mtu6 "$NS" eth0
assert_err 7 "mtu.*1280.*fd00:b1c::"
link_exists "$NS" eth0 && fail "eth0 was made"
[ -z "$(ports "$HOST" "$BRIDGE")" ] || fail "a port was left on $BRIDGE"
assert_no_leases
cni DEL ctr-mtu6 "$NS" eth0
assert_ok "DEL after the refused ADD"

step "hairpinMode and promiscMode (each alone: together they are refused)"
BRIDGE=bkopt1
CONF=$(mkconf 1.0.0 v4 '.hairpinMode = true')
add hair
assert_eq "$(bridge -n "$HOST" -d -j link show dev "$(hveth)" | jq -r '.[0].hairpin')" true "hairpin on the port"
link_json "$HOST" "$BRIDGE" | jq -e '.flags | index("PROMISC") | not' >/dev/null ||
	fail "bridge is promiscuous without promiscMode"
del hair
BRIDGE=bkopt1p
CONF=$(mkconf 1.0.0 v4 '.promiscMode = true')
add promisc
link_json "$HOST" "$BRIDGE" | jq -e '.flags | index("PROMISC")' >/dev/null ||
	fail "bridge is not promiscuous"
assert_eq "$(bridge -n "$HOST" -d -j link show dev "$(hveth)" | jq -r '.[0].hairpin')" false "no hairpin with promiscMode alone"
del promisc
BRIDGE=bkopt1
CONF=$(mkconf 1.0.0 v4)
add nohair
assert_eq "$(bridge -n "$HOST" -d -j link show dev "$(hveth)" | jq -r '.[0].hairpin')" false "no hairpin by default"
del nohair

step "forceAddress: another IPv4 address on the bridge"
BRIDGE=bkopt2
ip -n "$HOST" link add "$BRIDGE" type bridge || fail "bridge"
ip -n "$HOST" addr add 10.199.0.77/24 dev "$BRIDGE" || fail "address"
CONF=$(mkconf 1.0.0 v4)
NS=$(mkns force1) || fail "mkns"
cni ADD ctr-force1 "$NS" eth0
assert_err any "already has an address"
link_exists "$NS" eth0 && fail "interface left behind by the failed ADD"
assert_no_leases
CONF=$(mkconf 1.0.0 v4 '.forceAddress = true')
add force2
assert_eq "$(addrs "$HOST" "$BRIDGE" inet global)" "$GW4/24" "bridge addresses after forceAddress"
del force2
# The gateway itself with another prefix is another address, as in the
# reference (which compares "10.199.0.1/24" with "10.199.0.1/30").
CONF=$(mkconf 1.0.0 v4 ".ipam.ranges[0][0].subnet = \"${GW4%.*}.0/30\"")
cni ADD ctr-force3 "$NS" eth0
assert_err any "already has an address different from $GW4/30"
link_exists "$NS" eth0 && fail "interface left behind by the refused /30"
assert_no_leases
assert_eq "$(addrs "$HOST" "$BRIDGE" inet global)" "$GW4/24" "bridge addresses after the refused /30"
CONF=$(jq -c '.forceAddress = true' <<<"$CONF")
add force3
assert_eq "$(addrs "$HOST" "$BRIDGE" inet global)" "$GW4/30" "bridge addresses after forceAddress with /30"
del force3

step "enabledad: IPv6 addresses with and without duplicate address detection"
BRIDGE=bkopt3
CONF=$(mkconf 1.0.0 v6)
add dad1
ip -n "$NS" -j addr show dev eth0 | jq -e '[.[0].addr_info[] | select(.scope == "global") | .nodad] | all' >/dev/null ||
	fail "container address without nodad by default"
del dad1
CONF=$(mkconf 1.0.0 v6 '.enabledad = true | .isDefaultGateway = false')
add dad2
ip -n "$NS" -j addr show dev eth0 | jq -e '[.[0].addr_info[] | select(.scope == "global") | .nodad // false] | any | not' >/dev/null ||
	fail "enabledad: the address still skips DAD"
# As the reference, ADD waits for DAD: nothing is tentative when it returns.
ip -n "$NS" -j addr show dev eth0 | jq -e '[.[0].addr_info[] | .tentative // false] | any | not' >/dev/null ||
	fail "enabledad: ADD returned with tentative addresses"
del dad2
step "enabledad: a duplicate address fails ADD"
DUP=$(mkns dupe) || fail "mkns"
ip -n "$DUP" link add d0 type veth peer name bkdup0 netns "$HOST" || fail "veth"
ip -n "$HOST" link set bkdup0 master "$BRIDGE" up || fail "port"
ip -n "$DUP" addr add fd00:b1c::4/64 dev d0 nodad || fail "the duplicate"
ip -n "$DUP" link set d0 up || fail "up"
NS=$(mkns dad3) || fail "mkns"
cni ADD ctr-dad3 "$NS" eth0
assert_err 999 "fd00:b1c::4.*DAD"
link_exists "$NS" eth0 && fail "the failed ADD left eth0"
assert_eq "$(leases)" "" "leases after the failed ADD"
ip -n "$HOST" link del bkdup0 || fail "del port"

step "disableContainerInterface: the container end stays down"
BRIDGE=bkopt4
CONF=$(mkconf 1.0.0 l2 '.disableContainerInterface = true')
add down
link_json "$NS" eth0 | jq -e '.flags | index("UP") | not' >/dev/null ||
	fail "the container interface is up"
del down

step "requested MAC and addresses"
BRIDGE=bkopt5
CONF=$(mkconf 1.0.0 v4 '.args = {cni: {mac: "02:12:34:56:78:9a"}}')
add mac1
assert_eq "$(link_json "$NS" eth0 | jq -r .address)" 02:12:34:56:78:9a "args.cni.mac"
del mac1
CONF=$(mkconf 1.0.0 v4 '.runtimeConfig = {mac: "02:12:34:56:78:9b"}')
add mac2 "MAC=02:12:34:56:78:9c"
assert_eq "$(link_json "$NS" eth0 | jq -r .address)" 02:12:34:56:78:9b "runtimeConfig.mac wins over CNI_ARGS"
del mac2
CONF=$(mkconf 1.0.0 v4)
add ip1 "IP=10.199.0.42"
assert_eq "$(addrs "$NS" eth0 inet global)" 10.199.0.42/24 "CNI_ARGS IP"
assert_lease 10.199.0.42 ctr-ip1 eth0
CONF=$(mkconf 1.0.0 v4 '.runtimeConfig = {ips: ["10.199.0.43/24"]}')
add ip2
assert_eq "$(addrs "$NS" eth0 inet global)" 10.199.0.43/24 "runtimeConfig.ips"
NS2=$(mkns ip3) || fail "mkns"
cni ADD ctr-ip3 "$NS2" eth0 "IP=10.199.0.42"
assert_err any "10.199.0.42"
link_exists "$NS2" eth0 && fail "interface left behind by the failed ADD"
del ip1
del ip2

step "rangeStart/rangeEnd, a route with a gateway, resolvConf"
BRIDGE=bkopt6
printf 'nameserver 10.199.0.53\nsearch example.test\n' >"$TMPD/resolv"
CONF=$(mkconf 1.0.0 v4 '.ipam.ranges[0][0] += {rangeStart: "10.199.0.100", rangeEnd: "10.199.0.101"}
		| .ipam.routes = [{dst: "192.0.2.0/24", gw: "10.199.0.254"},
			{dst: "198.51.100.0/24", gw: "10.199.0.254", table: 100, priority: 50}]
		| .ipam.resolvConf = "'"$TMPD/resolv"'"')
add rng1
assert_eq "$(addrs "$NS" eth0 inet global)" 10.199.0.100/24 "first address is rangeStart"
assert_eq "$(ip -n "$NS" -j route show 192.0.2.0/24 | jq -r '.[0].gateway')" 10.199.0.254 "route via its gateway"
assert_eq "$(ip -n "$NS" -j route show table 100 | jq -c '[.[] | [.dst, .gateway, .metric]]')" \
	'[["198.51.100.0/24","10.199.0.254",50]]' "a route's table and priority"
CONF1=$CONF
CONF=$(jq -c --argjson p "$RES" '.prevResult = $p' <<<"$CONF")
cni CHECK ctr-rng1 "$NS" eth0
assert_ok "CHECK of routes in two tables"
CONF=$CONF1
assert_eq "$(jq -c .dns <<<"$RES")" '{"nameservers":["10.199.0.53"],"search":["example.test"]}' "dns from resolvConf"
add rng2
assert_eq "$(addrs "$NS" eth0 inet global)" 10.199.0.101/24 "second address is rangeEnd"
NS3=$(mkns rng3) || fail "mkns"
cni ADD ctr-rng3 "$NS3" eth0
assert_err any .
del rng1
del rng2

step "isDefaultGateway with ipam.routes holding a default route without a gateway"
# The reference fails here ("file exists": the same route twice); brisk
# adds it once, through the gateway. One in another table is no duplicate.
BRIDGE=bkopt8
NET_NAME=defgw
CONF=$(mkconf 1.0.0 dual '.ipam.routes = [{dst: "0.0.0.0/0"}, {dst: "::/0"}, {dst: "0.0.0.0/0", table: 100}]')
add dgw
assert_eq "$(ip -n "$NS" -j route show default | jq -c '[.[] | [.gateway, .dev]]')" '[["10.199.0.1","eth0"]]' "one IPv4 default route, via the gateway"
assert_eq "$(ip -n "$NS" -6 -j route show default | jq -c '[.[] | [.gateway, .dev]]')" '[["fd00:b1c::1","eth0"]]' "one IPv6 default route, via the gateway"
assert_eq "$(ip -n "$NS" -j route show table 100 | jq -c '[.[] | [.dst, .gateway]]')" '[["default","10.199.0.1"]]' "table 100's default route"
CONF1=$CONF
CONF=$(jq -c --argjson p "$RES" '.prevResult = $p' <<<"$CONF")
cni CHECK ctr-dgw "$NS" eth0
assert_ok "CHECK"
CONF=$CONF1
del dgw
NET_NAME=bkinet

step "runtimeConfig.ipRanges: range sets put first, numbered as host-local numbers them"
BRIDGE=bkopt7
NET_NAME=iprng
CONF=$(mkconf 1.0.0 v4 '.isGateway = false | .isDefaultGateway = false |
	.runtimeConfig = {ipRanges: [[{subnet: "10.196.0.0/24", rangeStart: "10.196.0.10"}]]}')
add ipr1
assert_eq "$(jq -c '[.ips[].address]' <<<"$RES")" '["10.196.0.10/24","10.199.0.2/24"]' \
	"one address per range set, ipRanges' first"
assert_eq "$(addrs "$NS" eth0 inet global | tr '\n' ' ')" "10.196.0.10/24 10.199.0.2/24 " \
	"addresses in the kernel"
assert_eq "$(cat "$(lease_dir)/last_reserved_ip.0")" 10.196.0.10 "last_reserved_ip.0 is the ipRanges set's"
assert_eq "$(cat "$(lease_dir)/last_reserved_ip.1")" 10.199.0.2 "last_reserved_ip.1 is ipam.ranges[0]'s"
# host-local, given the same config, carries on from the same files.
hostlocal ADD ctr-hl "$PFX"ipr1 eth9
[ "$RC" = 0 ] || fail "host-local ADD: $OUT"
assert_eq "$(jq -c '[.ips[].address]' <<<"$OUT")" '["10.196.0.11/24","10.199.0.3/24"]' \
	"host-local's next addresses"
hostlocal DEL ctr-hl "$PFX"ipr1 eth9
[ "$RC" = 0 ] || fail "host-local DEL: $OUT"
del ipr1
assert_no_leases
pass
