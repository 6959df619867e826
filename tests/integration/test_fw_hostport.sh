#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Host ports (runtimeConfig.portMappings): a server in the container is
# reached through its host port from outside (IPv4 and IPv6), from the
# host's 127.0.0.1, from a neighbour on the bridge and from itself
# (hairpin); only on the given hostIP when there is one; and never for
# traffic that merely passes the host towards another address on that
# port (CVE-2025-67499). A port held by another attachment is refused
# naming it, leaving nothing behind. masqAll masquerades every connection
# to a host port, and (as in portmap) only with snat.
. "$(dirname "$0")/lib.sh"
setup fwhp ip jq nft socat ss
uplink

step "a far network behind the host, with its own server on the same port"
FAR=$(mkns far) || fail "mkns far"
ip -n "$HOST" link add far0 type veth peer name far0 netns "$FAR" &&
	ip -n "$HOST" addr add 198.51.100.1/24 dev far0 &&
	ip -n "$HOST" addr add 2001:db8:2::1/64 dev far0 nodad &&
	ip -n "$HOST" link set far0 up &&
	ip -n "$FAR" addr add 198.51.100.2/24 dev far0 &&
	ip -n "$FAR" addr add 2001:db8:2::2/64 dev far0 nodad &&
	ip -n "$FAR" link set far0 up &&
	ip -n "$FAR" route add default via 198.51.100.1 &&
	ip -n "$FAR" route add default via 2001:db8:2::1 &&
	ip -n "$OUTSIDE" route add 198.51.100.0/24 via 192.0.2.1 &&
	ip -n "$OUTSIDE" route add 2001:db8:2::/64 via 2001:db8::1 || fail "far network"
serve "$FAR" 8080 far

MAPS='[{"hostPort": 8080, "containerPort": 80},
       {"hostPort": 8081, "containerPort": 81, "protocol": "TCP", "hostIP": "192.0.2.1"},
       {"hostPort": 8082, "containerPort": 80, "hostIP": "0.0.0.0"}]'
CONF=$(mkconf 1.0.0 dual ".runtimeConfig.portMappings = $MAPS")

step "ADD with two mappings, a server in the container"
C1=$(mkns c1) || fail "mkns"
cni ADD ctr-1 "$C1" eth0
assert_ok "ADD with portMappings"
RES1=$OUT
H1=$(jq -r '.interfaces[1].name' <<<"$OUT")
serve "$C1" 80 c1
serve "$C1" 81 c1-81
ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
assert_eq "$(nft_elems inet hp4)/$(nft_elems inet hp6)/$(nft_elems inet hpip4)" 2/1/1 "map elements"

step "reached from outside, IPv4 and IPv6"
assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8080)" c1 "outside -> 192.0.2.1:8080"
assert_eq "$(fetch "$OUTSIDE" 2001:db8::1 8080)" c1 "outside -> [2001:db8::1]:8080"
assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8081)" c1-81 "outside -> hostIP 192.0.2.1:8081"
assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8082)" c1 "outside -> 192.0.2.1:8082 (hostIP 0.0.0.0)"
assert_eq "$(fetch "$OUTSIDE" 2001:db8::1 8082)" "" "outside -> [2001:db8::1]:8082 (hostIP 0.0.0.0: IPv4 only)"

step "not through any other destination (CVE-2025-67499)"
assert_eq "$(fetch "$OUTSIDE" 198.51.100.2 8080)" far "outside -> far 198.51.100.2:8080 through the host"
assert_eq "$(fetch "$OUTSIDE" 2001:db8:2::2 8080)" far "outside -> far [2001:db8:2::2]:8080 through the host"
assert_eq "$(fetch "$HOST" 10.199.0.1 8081)" "" "8081 on an address other than its hostIP"

step "from the host itself"
assert_eq "$(fetch "$HOST" 127.0.0.1 8080)" c1 "host -> 127.0.0.1:8080"
assert_eq "$(fetch "$HOST" 192.0.2.1 8080)" c1 "host -> 192.0.2.1:8080"
assert_eq "$(ip netns exec "$HOST" sysctl -n net.ipv4.conf.$BRIDGE.route_localnet)" 1 "route_localnet on $BRIDGE"
# The kernel drops replies translated back to ::1 (IPv6 has no
# route_localnet): brisk leaves [::1] alone, so it is refused at once.
assert_eq "$(fetch "$HOST" ::1 8080)" "" "host -> [::1]:8080"

step "hairpin: a neighbour and the container itself"
C2=$(mkns c2) || fail "mkns"
CONF=$(mkconf 1.0.0 dual)
cni ADD ctr-2 "$C2" eth0
assert_ok "ADD neighbour without mappings"
assert_eq "$(fetch "$C2" 10.199.0.1 8080)" c1 "neighbour -> gateway:8080"
assert_eq "$(fetch "$C2" 192.0.2.1 8080)" c1 "neighbour -> 192.0.2.1:8080"
assert_eq "$(fetch "$C2" fd00:b1c::1 8080)" c1 "neighbour -> [gateway6]:8080"
assert_eq "$(fetch "$C1" 192.0.2.1 8080)" c1 "itself -> 192.0.2.1:8080"
assert_eq "$(fetch "$C1" fd00:b1c::1 8080)" c1 "itself -> [gateway6]:8080"
assert_eq "$(bridge -n "$HOST" -d -j link show dev "$H1" | jq -r '.[0].hairpin')" true "hairpin on $H1"

step "conflicts are refused, naming the holder, leaving nothing"
before="$(leases) | $(ports "$HOST" "$BRIDGE") | $(nft_total) | $(fw_records | tr '\n' ' ')"
C3=$(mkns c3) || fail "mkns"
for m in '{"hostPort": 8080, "containerPort": 80}' \
	'{"hostPort": 8080, "containerPort": 80, "hostIP": "192.0.2.1"}' \
	'{"hostPort": 8081, "containerPort": 81}' \
	'{"hostPort": 8081, "containerPort": 81, "hostIP": "192.0.2.1"}'; do
	CASE="conflict $m"
	CONF=$(mkconf 1.0.0 dual ".runtimeConfig.portMappings = [{\"hostPort\": 9000, \"containerPort\": 90}, $m]")
	cni ADD ctr-3 "$C3" eth0
	assert_err 999 "already mapped by $NET_NAME/ctr-1/eth0"
	assert_eq "$(leases) | $(ports "$HOST" "$BRIDGE") | $(nft_total) | $(fw_records | tr '\n' ' ')" \
		"$before" "leases | ports | elements | records after the refusal"
	link_exists "$C3" eth0 && fail "eth0 left in the refused container"
done
CASE=""
CONF=$(mkconf 1.0.0 dual '.runtimeConfig.portMappings = [{"hostPort": 8080, "containerPort": 80, "protocol": "udp"}]')
cni ADD ctr-3 "$C3" eth0
assert_ok "the same port with another protocol"
cni DEL ctr-3 "$C3" eth0
assert_ok "DEL ctr-3"

step "CHECK names a missing element"
CONF=$(mkconf 1.0.0 dual ".runtimeConfig.portMappings = $MAPS")
CONF=$(with_prev "$RES1")
cni CHECK ctr-1 "$C1" eth0
assert_ok "CHECK with every element in place"
CONF=$(mkconf 1.0.0 dual ".runtimeConfig.portMappings = $MAPS + [{hostPort: 7000, containerPort: 70}]")
CONF=$(with_prev "$RES1")
cni CHECK ctr-1 "$C1" eth0
assert_err 999 'portMappings\[3\]: host port 7000 is not mapped'
CONF=$(mkconf 1.0.0 dual ".runtimeConfig.portMappings = $MAPS")
CONF=$(with_prev "$RES1")
ip netns exec "$HOST" nft delete element inet brisk hp6 '{ tcp . 8080 }' || fail "nft delete"
cni CHECK ctr-1 "$C1" eth0
assert_err 999 "element missing: hp6 tcp . 8080 : fd00:b1c::2 . 80"

step "masqAll masquerades every connection to a host port, only with snat"
serve_peer "$C3" 90
for c in 'true|true|0ac7:0001' 'false|true|c000:0202' 'true|false|c000:0202'; do
	IFS='|' read -r snat all seen <<<"$c"
	CASE="snat $snat, masqAll $all"
	CONF=$(mkconf 1.0.0 dual ".snat = $snat | .masqAll = $all |
		.runtimeConfig.portMappings = [{hostPort: 8090, containerPort: 90}]")
	cni ADD ctr-3 "$C3" eth0
	assert_ok "ADD"
	assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8090)" "[0000:0000:0000:0000:0000:ffff:$seen]" \
		"the address the container sees"
	cni DEL ctr-3 "$C3" eth0
	assert_ok "DEL"
done
CASE=""

step "DEL removes every element and the record"
CONF=$(mkconf 1.0.0 dual)
cni DEL ctr-2 "$C2" eth0
assert_ok "DEL ctr-2"
cni DEL ctr-1 "$C1" eth0
assert_ok "DEL ctr-1 (one element already gone)"
assert_eq "$(nft_total)" 0 "elements left"
assert_eq "$(fw_records)" "" "records left"
assert_eq "$(fetch "$OUTSIDE" 192.0.2.1 8080)" "" "outside -> 192.0.2.1:8080 after DEL"
pass
