#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every supported cniVersion: the ADD result has that version's shape and
# cniVersion, DEL works, CHECK works from 0.4.0 on and is code 1 before it.
# VERSION answers the exact list whatever the environment and stdin hold,
# and no CNI_COMMAND at all prints an about text on stderr only. Up to 1.0.0
# the result equals the reference bridge's (MACs and host veth name aside).
. "$(dirname "$0")/lib.sh"
setup ver

VERSIONS="0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0"
c=$(mkns c1) || fail "cannot create the container namespace"
REF_BRIDGE=${REF_BRIDGE:-/usr/lib/cni/bridge}

# A result without what is random: MACs and the host veth's name.
normalize()
{
	jq -cS 'if has("interfaces") then
			del(.interfaces[].mac) | .interfaces[1].name = "VETH"
		else . end'
}

n=0
for v in $VERSIONS; do
	n=$((n + 1))
	id=ctr-ver-$n
	NET_NAME=ver-$n
	CONF=$(mkconf "$v" dual)
	step "$v: ADD"
	cni ADD "$id" "$c" eth0
	assert_ok "$v: ADD"
	res=$OUT
	assert_eq "$(jq -r .cniVersion <<<"$res")" "$v" "$v: result cniVersion"
	case "$v" in
	0.1.0 | 0.2.0)
		assert_jq 'has("interfaces") | not' "$v: no interfaces key"
		assert_jq 'has("ips") | not' "$v: no ips key"
		assert_jq '(.ip4.ip | startswith("10.199.0.")) and (.ip4.ip | endswith("/24"))' "$v: ip4.ip"
		assert_jq '(.ip6.ip | startswith("fd00:b1c::")) and (.ip6.ip | endswith("/64"))' "$v: ip6.ip"
		assert_jq ".ip4.gateway == \"$GW4\" and .ip6.gateway == \"$GW6\"" "$v: ip4/ip6 gateways"
		assert_jq '[.ip4.routes[]?.dst] | index("0.0.0.0/0")' "$v: ip4.routes has the default route"
		addr4=$(jq -r .ip4.ip <<<"$res")
		addr6=$(jq -r .ip6.ip <<<"$res")
		;;
	*)
		assert_jq 'has("ip4") or has("ip6") | not' "$v: no ip4/ip6 keys"
		assert_jq '(.interfaces | length) == 3' "$v: three interfaces"
		assert_jq '(.ips | length) == 2' "$v: two ips"
		addr4=$(jq -r '.ips[] | select(.address | contains(".")) | .address' <<<"$res")
		addr6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$res")
		case "$v" in
		0.3.0 | 0.3.1 | 0.4.0)
			assert_jq '[.ips[] | (.version == "4") == (.address | contains("."))] | all' \
				"$v: ips[].version present and right"
			assert_jq '[.ips[] | .version == "4" or .version == "6"] | all' "$v: ips[].version values"
			;;
		*)
			assert_jq '[.ips[] | has("version")] | any | not' "$v: no ips[].version"
			;;
		esac
		if [ "$v" = 1.1.0 ]; then
			assert_jq '[.interfaces[] | (.mtu | type) == "number" and .mtu > 0] | all' \
				"$v: interfaces[].mtu present"
		else
			assert_jq '[.interfaces[] | has("mtu")] | any | not' "$v: no interfaces[].mtu"
		fi
		;;
	esac
	[ -n "$addr4" ] && [ -n "$addr6" ] || fail "$v: result lacks an address"
	assert_eq "$(addrs "$c" eth0 inet global)" "$addr4" "$v: IPv4 address of eth0"
	assert_eq "$(addrs "$c" eth0 inet6 global)" "$addr6" "$v: IPv6 address of eth0"
	assert_lease "${addr4%/*}" "$id" eth0
	assert_lease "${addr6%/*}" "$id" eth0

	step "$v: CHECK"
	CONF=$(with_prev "$res")
	cni CHECK "$id" "$c" eth0
	case "$v" in
	0.1.0 | 0.2.0 | 0.3.0 | 0.3.1)
		assert_err 1 "CHECK"
		assert_eq "$(jq -r .cniVersion <<<"$OUT")" "$v" "$v: error cniVersion"
		;;
	*)
		assert_ok "$v: CHECK"
		assert_eq "$OUT" "" "$v: CHECK stdout"
		;;
	esac

	step "$v: DEL"
	CONF=$(mkconf "$v" dual)
	cni DEL "$id" "$c" eth0
	assert_ok "$v: DEL"
	! link_exists "$c" eth0 || fail "$v: DEL left eth0"
	assert_no_leases
	assert_eq "$(ports "$HOST" "$BRIDGE")" "" "$v: ports left after DEL"

	[ "$v" != 1.1.0 ] && [ -x "$REF_BRIDGE" ] || continue
	step "$v: same result as the reference bridge"
	saved_host=$HOST
	HOST=$(mkns "ref-$n") || fail "mkns"
	NET_NAME=ref-$n
	CONF=$(mkconf "$v" dual)
	_stage_input
	_cni_env ADD "$id" "$c" eth0
	run_plugin "$REF_BRIDGE" "${CNI_ENV[@]}"
	assert_ok "$v: reference ADD"
	assert_eq "$(normalize <<<"$res")" "$(normalize <<<"$OUT")" "$v: brisk's result vs the reference's"
	_cni_env DEL "$id" "$c" eth0
	run_plugin "$REF_BRIDGE" "${CNI_ENV[@]}"
	assert_ok "$v: reference DEL"
	ip netns delete "$HOST" || fail "cannot delete $HOST"
	HOST=$saved_host
done

step "VERSION with garbage environment and empty stdin"
: >"$TMPD/in"
run_plugin "$BRISK" CNI_COMMAND=VERSION CNI_CONTAINERID='a/b c' CNI_NETNS='not/absolute' \
	CNI_IFNAME='way/too/long/for/an/ifname' CNI_ARGS='garbage;;=' CNI_PATH='::'
assert_ok "VERSION"
assert_eq "$(jq -c .supportedVersions <<<"$OUT")" \
	'["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' "supportedVersions"
assert_jq '(.cniVersion | type) == "string"' "VERSION reply has a cniVersion"

step "VERSION with a config on stdin answers in its version"
printf '%s' '{"cniVersion":"0.3.1"}' >"$TMPD/in"
run_plugin "$BRISK" CNI_COMMAND=VERSION
assert_ok "VERSION with a 0.3.1 config"
assert_eq "$(jq -r .cniVersion <<<"$OUT")" 0.3.1 "VERSION reply cniVersion"
assert_eq "$(jq -c .supportedVersions <<<"$OUT")" \
	'["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' "supportedVersions"

step "no CNI_COMMAND"
: >"$TMPD/in"
run_plugin "$BRISK"
assert_ok "no CNI_COMMAND"
assert_eq "$OUT" "" "stdout without CNI_COMMAND"
[ -n "$ERR" ] || fail "no CNI_COMMAND: expected an about text on stderr"

pass
