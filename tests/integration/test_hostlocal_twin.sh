#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# brisk (as the IPAM plugin) and the reference host-local as twins: the same
# random sequence of ADDs and DELs, each on a store of its own, over range
# sets that run full (two ranges with a gateway inside one, a rangeStart,
# a small IPv6 set), with requested addresses now and then. After every
# call both answer alike (success or failure, and the same ips and routes)
# and the two stores are byte for byte the same: lease files, contents and
# last_reserved_ip.N. A repeated ADD without a DEL between, where the two
# differ on purpose (README, "Where brisk still differs"), is not made.
# TWIN_SEEDS and TWIN_STEPS make it longer; TWIN_RANGES (JSON) runs other
# range sets.
. "$(dirname "$0")/lib.sh"
setup twin jq od
[ -x "$HOST_LOCAL" ] || skip "needs the reference host-local at $HOST_LOCAL"

c=$(mkns c1) || fail "mkns"
SEEDS=${TWIN_SEEDS:-1 2}
STEPS=${TWIN_STEPS:-60}
# Requested addresses (IP=) are drawn from 10.199.0.3-9.
RANGES=${TWIN_RANGES:-'[[{"subnet": "10.199.0.0/28", "rangeStart": "10.199.0.3", "rangeEnd": "10.199.0.9"},
	{"subnet": "10.199.1.0/29", "gateway": "10.199.1.4"}],
	[{"subnet": "fd00:b1c::/124", "rangeStart": "fd00:b1c::5"}]]'}
adds=0 fails=0

# twinconf TYPE DATADIR: the network both run, differing only in these.
twinconf()
{
	jq -cn --arg t "$1" --arg dd "$2" '{
		cniVersion: "1.0.0", name: "twin", type: "ptp",
		ipam: {type: $t, dataDir: $dd, routes: [{dst: "0.0.0.0/0"}],
			ranges: $ranges}}' --argjson ranges "$RANGES"
}

# store DIR OUT: every file but the lock, with its bytes, into OUT.
store()
{
	(cd "$1/twin" && ls | grep -vx lock | xargs head -v -c 4096 --) >"$2"
}

# answer: what a call said, without the wording of an error.
answer()
{
	echo "rc=$RC $(jq -cS '{ips, routes, failed: has("code")}' <<<"$OUT" 2>/dev/null || echo "not JSON: $OUT")"
}

for seed in $SEEDS; do
	step "seed $seed: $STEPS calls"
	RANDOM=$seed
	declare -A held=()
	conf_ours=$(twinconf brisk "$TMPD/brisk-$seed")
	conf_ref=$(twinconf host-local "$TMPD/hl-$seed")
	for i in $(seq 1 "$STEPS"); do
		id=c$((RANDOM % 12)) ifn=eth$((RANDOM % 2)) op=ADD args=()
		((RANDOM % 3 == 0)) && op=DEL
		[ -n "${held[$id/$ifn]:-}" ] && op=DEL
		((RANDOM % 8 == 0)) && args=("IgnoreUnknown=1;IP=10.199.0.$((3 + RANDOM % 7))")
		CASE="seed $seed, call $i: $op $id/$ifn ${args[*]}"
		CONF=$conf_ours
		cni "$op" "$id" "$c" "$ifn" "${args[@]}"
		ours=$(answer)
		[ "$op" = ADD ] && [ "$RC" = 0 ] && held[$id/$ifn]=1
		[ "$op" = DEL ] && unset "held[$id/$ifn]"
		[ "$op" = ADD ] && { adds=$((adds + 1)); [ "$RC" = 0 ] || fails=$((fails + 1)); }
		CONF=$conf_ref
		hostlocal "$op" "$id" "$c" "$ifn" "${args[@]}"
		assert_eq "$ours" "$(answer)" "brisk's answer vs host-local's"
		store "$TMPD/brisk-$seed" "$TMPD/ours"
		store "$TMPD/hl-$seed" "$TMPD/ref"
		cmp -s "$TMPD/ours" "$TMPD/ref" ||
			fail "the stores differ: $(diff "$TMPD/ours" "$TMPD/ref" | head -8)"
	done
	CASE=""
done
# The sequences must have run the sets full and given addresses too.
((fails > 0 && fails < adds)) || fail "$fails of $adds ADDs failed: pick other seeds"
pass
