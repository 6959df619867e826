#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 64 ADDs with ipMasq and one host port each, 16 at a time, into a network
# namespace without brisk's tables: the racing creators make one layout
# (no rule twice), and every attachment's elements arrive. Then 64 DELs,
# 16 at a time, leave the sets empty and no record.
. "$(dirname "$0")/lib.sh"
setup fwpar ip jq nft xargs

N=64
P=16
mkdir "$TMPD/par" || fail "mkdir"
for i in $(seq 1 $N); do
	mkconf 1.0.0 dual ".ipMasq = true |
		.runtimeConfig.portMappings = [{\"hostPort\": $((20000 + i)), \"containerPort\": 80}]" \
		>"$TMPD/conf-$i"
	echo "netns add ${PFX}c$i"
done | ip -batch - || fail "cannot create the container namespaces"

# par_job CMD I: one call for container I, its output in $TMPD/par.
par_job()
{
	ip netns exec "$HOST" env -i PATH="$PATH" CNI_COMMAND="$1" \
		CNI_CONTAINERID="ctr-$2" CNI_NETNS="/run/netns/${PFX}c$2" \
		CNI_IFNAME=eth0 "$BRISK" <"$TMPD/conf-$2" \
		>"$TMPD/par/$1-$2.out" 2>"$TMPD/par/$1-$2.err"
	echo $? >"$TMPD/par/$1-$2.rc"
}
export -f par_job
export HOST PFX TMPD BRISK

run_all()
{
	local i bad=""

	seq 1 $N | xargs -P $P -n 1 bash -c 'par_job "$0" "$1"' "$1" || fail "xargs $1"
	for i in $(seq 1 $N); do
		[ "$(cat "$TMPD/par/$1-$i.rc")" = 0 ] || bad="$bad $i"
	done
	[ -z "$bad" ] || fail "$1 failed for:$bad; first: $(cat "$TMPD/par/$1-${bad##* }.out")"
}

step "$N ADDs, $P at a time, on a namespace without tables"
run_all ADD
for s in masq4 masq6 nomasq4 nomasq6 hp4 hp6 hpnat6; do
	assert_eq "$(nft_elems inet $s)" $N "elements of $s"
done
# The subnet and 127.0.0.0/8 (localhost reaches host ports).
assert_eq "$(nft_elems inet hpnat4)" $((2 * N)) "elements of hpnat4"
assert_eq "$(fw_records | wc -l)" $N "records"
rules=$(ip netns exec "$HOST" nft -j list table inet brisk |
	jq -c '[.nftables[] | select(.rule) | .rule.chain] | group_by(.) | map("\(.[0])=\(length)") | join(" ")')
assert_eq "$rules" '"hostports=5 output=1 postrouting=8 prerouting=1"' "rules per chain"

step "$N DELs, $P at a time"
run_all DEL
assert_eq "$(nft_total)" 0 "elements after DEL"
assert_eq "$(fw_records)" "" "records after DEL"
assert_no_leases
pass
