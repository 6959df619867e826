#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# brisk as the IPAM plugin of another main plugin ("type": "ptp",
# "ipam": {"type": "brisk"}): ADD prints only ips/routes (as host-local
# would, no interfaces) and leases the addresses without touching any link;
# CHECK verifies the lease; DEL releases it. A repeated ADD returns the
# addresses held, and refuses a request for another one.
. "$(dirname "$0")/lib.sh"
setup ipm

c=$(mkns c1) || fail "mkns"
ipamconf()
{
	mkconf 1.0.0 dual '.type = "ptp" | del(.bridge, .isGateway, .isDefaultGateway) |
		.ipam.type = "brisk" | .ipam.routes = [{dst: "0.0.0.0/0"}, {dst: "::/0"}]'
}
CONF=$(ipamconf)
links_before=$(link_names "$HOST")/$(link_names "$c")

step "ADD"
cni ADD ctr-ipam "$c" eth0
assert_ok "ADD in IPAM mode"
res=$OUT
assert_jq '.cniVersion == "1.0.0"' "result cniVersion"
assert_jq 'has("interfaces") | not' "no interfaces in an IPAM result"
assert_jq '(.ips | length) == 2' "two ips"
assert_jq '[.ips[] | has("interface")] | any | not' "ips[] name no interface"
a4=${SUBNET4%.*/*}.2/24
a6=${SUBNET6%::/*}::2/64
assert_eq "$(jq -c '[.ips[] | [.address, .gateway]]' <<<"$res")" \
	"[[\"$a4\",\"$GW4\"],[\"$a6\",\"$GW6\"]]" "ips"
assert_eq "$(jq -c '[.routes[].dst]' <<<"$res")" '["0.0.0.0/0","::/0"]' "routes"
assert_lease "${a4%/*}" ctr-ipam eth0
assert_lease "${a6%/*}" ctr-ipam eth0
assert_eq "$(link_names "$HOST")/$(link_names "$c")" "$links_before" "links after an IPAM-only ADD"

step "same ips and routes as host-local's"
NET_NAME=bkinet-hl
CONF=$(ipamconf)
hostlocal ADD ctr-ipam "$c" eth0
assert_ok "host-local ADD"
assert_eq "$(jq -cS '{ips, routes}' <<<"$res")" "$(jq -cS '{ips, routes}' <<<"$OUT")" \
	"brisk's IPAM result vs host-local's"
hostlocal DEL ctr-ipam "$c" eth0
assert_ok "host-local DEL"
NET_NAME=bkinet
CONF=$(ipamconf)

step "a repeated ADD returns what is held; a request for another address is refused"
cni ADD ctr-ipam "$c" eth0
assert_ok "repeated ADD"
assert_eq "$(jq -c '[.ips[].address]' <<<"$OUT")" "$(jq -c '[.ips[].address]' <<<"$res")" "repeated ADD's addresses"
cni ADD ctr-ipam "$c" eth0 "IP=${a4%/*}"
assert_ok "repeated ADD requesting the held address"
cni ADD ctr-ipam "$c" eth0 "IP=${SUBNET4%.*/*}.77"
assert_err 999 "${SUBNET4%.*/*}\\.77.*already holds ${a4%/*}"
assert_eq "$(leases | wc -l)" 2 "leases after the refused request"
assert_lease "${a4%/*}" ctr-ipam eth0

step "CHECK"
CONF=$(jq -c --argjson p "$res" '.prevResult = $p' <<<"$CONF")
cni CHECK ctr-ipam "$c" eth0
assert_ok "CHECK in IPAM mode"
CONF=$(ipamconf)

step "DEL"
cni DEL ctr-ipam "$c" eth0
assert_ok "DEL in IPAM mode"
assert_no_leases
assert_eq "$(link_names "$HOST")/$(link_names "$c")" "$links_before" "links after an IPAM-only DEL"

step "CHECK after DEL fails"
CONF=$(jq -c --argjson p "$res" '.prevResult = $p' <<<"$CONF")
cni CHECK ctr-ipam "$c" eth0
assert_err any "${a4%/*}|${a6%/*}"
pass
