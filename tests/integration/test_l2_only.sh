#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# "ipam": {} is a layer-2 only attachment: the container interface is up and
# on the bridge with no address but its IPv6 link-local one, the result has
# no ips, nobody gets a gateway address; CHECK and DEL work.
. "$(dirname "$0")/lib.sh"
setup l2

c=$(mkns c1) || fail "mkns"
for flags in plain gwflags; do
	if [ "$flags" = plain ]; then
		CONF=$(mkconf 1.0.0 l2 'del(.isGateway, .isDefaultGateway)')
	else
		# The gateway flags mean nothing without addresses; they must not break.
		CONF=$(mkconf 1.0.0 l2)
	fi
	id=ctr-l2-$flags
	step "$flags: ADD"
	cni ADD "$id" "$c" eth0
	assert_ok "$flags: ADD"
	res=$OUT
	assert_jq '(.ips // []) | length == 0' "$flags: result has no ips"
	assert_jq '(.routes // []) | length == 0' "$flags: result has no routes"
	assert_jq '(.interfaces | length) == 3' "$flags: three interfaces"
	assert_eq "$(jq -r '.interfaces[2].name' <<<"$res")" eth0 "$flags: interfaces[2].name"
	hveth=$(jq -r '.interfaces[1].name' <<<"$res")

	step "$flags: kernel"
	have=$(link_json "$c" eth0) || fail "$flags: eth0 missing"
	assert_eq "$(jq -r .address <<<"$have")" "$(jq -r '.interfaces[2].mac' <<<"$res")" "$flags: eth0 MAC"
	assert_jq '.flags | index("UP") and index("LOWER_UP")' "$flags: eth0 is UP with carrier" "$have"
	assert_eq "$(addrs "$c" eth0 inet)" "" "$flags: IPv4 addresses of eth0"
	assert_eq "$(ip -n "$c" -j addr show dev eth0 |
		jq -r '[.[0].addr_info[] | select(.scope != "link")] | length')" 0 \
		"$flags: eth0 addresses other than link-local"
	assert_eq "$(jq -r '.master // ""' <<<"$(link_json "$HOST" "$hveth")")" "$BRIDGE" \
		"$flags: master of $hveth"
	assert_eq "$(ip -n "$HOST" -j addr show dev "$BRIDGE" |
		jq -r '[.[0].addr_info[] | select(.scope != "link")] | length')" 0 \
		"$flags: $BRIDGE addresses other than link-local"
	assert_eq "$(ip -n "$c" -j -4 route show)" "[]" "$flags: IPv4 routes in the container"

	step "$flags: CHECK"
	CONF2=$CONF
	CONF=$(with_prev "$res")
	cni CHECK "$id" "$c" eth0
	assert_ok "$flags: CHECK"
	CONF=$CONF2

	step "$flags: DEL"
	cni DEL "$id" "$c" eth0
	assert_ok "$flags: DEL"
	! link_exists "$c" eth0 || fail "$flags: DEL left eth0"
	! link_exists "$HOST" "$hveth" || fail "$flags: DEL left $hveth"
done
pass
