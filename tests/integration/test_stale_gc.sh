#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Stale leases ("never leak"): a container whose network namespace went
# away without a DEL. `brisk gc` lists exactly its lease in a dry run and
# changes nothing; --apply releases it and deletes its host veth, and keeps
# the live container's. With "reclaimStale": true a full range takes the
# stale lease back during ADD; without it the ADD fails.
. "$(dirname "$0")/lib.sh"

# brisk_gc ARGS...: `brisk gc` run by an operator in the host namespace.
brisk_gc()
{
	LAST_CMD="brisk gc $*"
	ip netns exec "$HOST" "$BRISK" gc "$@" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

setup gc ip jq od
NET_NAME=bkgnet
BRIDGE=bkgbr0
SUBNET4=10.198.0.0/24
CONF=$(mkconf 1.0.0 v4)

step "two containers, one loses its namespace without a DEL"
c1=$(mkns c1) || fail "mkns c1"
c2=$(mkns c2) || fail "mkns c2"
cni ADD ctr-live "$c1" eth0
assert_ok "ADD ctr-live"
ip1=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
veth1=$(jq -r '.interfaces[1].name' <<<"$OUT")
cni ADD ctr-gone "$c2" eth0
assert_ok "ADD ctr-gone"
ip2=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
veth2=$(jq -r '.interfaces[1].name' <<<"$OUT")
lose_netns "$c2" || fail "cannot lose $c2"
# Its veth pair died with it; put a leftover in its place so that --apply
# has a host veth to remove.
! link_exists "$HOST" "$veth2" || fail "$veth2 outlived its peer"
ip -n "$HOST" link add "$veth2" type veth peer name "bkgp$$" ||
	fail "cannot make the leftover veth $veth2"
before=$(leases)
assert_eq "$before" "$(printf '%s\n%s' "$ip1" "$ip2" | sort)" "leases before gc"

step "dry run: exactly the stale lease, nothing changed"
brisk_gc --data-dir "$DATADIR" --network "$NET_NAME"
assert_ok "brisk gc (dry run)"
assert_eq "$(sed -n 1p <<<"$OUT")" "$ip2 ctr-gone eth0 netns-gone" "stale line"
assert_eq "$(wc -l <<<"$OUT")" 2 "lines of output (one lease, one summary)"
[[ "$(sed -n 2p <<<"$OUT")" == "1 stale lease in network $NET_NAME: dry run"* ]] ||
	fail "summary: $(sed -n 2p <<<"$OUT")"
assert_eq "$(leases)" "$before" "leases after a dry run"
assert_lease "$ip2" ctr-gone eth0
link_exists "$HOST" "$veth2" || fail "a dry run removed $veth2"

step "--apply releases it and its host veth, keeps the live one"
brisk_gc --data-dir "$DATADIR" --network "$NET_NAME" --apply
assert_ok "brisk gc --apply"
assert_eq "$(sed -n 1p <<<"$OUT")" "$ip2 ctr-gone eth0 netns-gone" "stale line"
[[ "$(sed -n 2p <<<"$OUT")" == "1 stale lease in network $NET_NAME: released" ]] ||
	fail "summary: $(sed -n 2p <<<"$OUT")"
assert_eq "$(leases)" "$ip1" "leases after --apply"
assert_lease "$ip1" ctr-live eth0
! link_exists "$HOST" "$veth2" || fail "--apply left the host veth $veth2"
link_exists "$HOST" "$veth1" || fail "--apply removed the live host veth $veth1"
link_exists "$c1" eth0 || fail "--apply touched the live container"
brisk_gc --data-dir "$DATADIR" --network "$NET_NAME" --apply
assert_ok "brisk gc --apply again"
assert_eq "$OUT" "0 stale leases in network $NET_NAME: released" "second run"

step "a live container's lease is never stale; DEL still works"
CONF=$(mkconf 1.0.0 v4)
cni DEL ctr-live "$c1" eth0
assert_ok "DEL ctr-live"
assert_no_leases

step "bad arguments"
for args in "" "--network $NET_NAME" "--data-dir relative --network x" \
	"--data-dir $DATADIR --network ../x" "--data-dir $DATADIR --network .x" \
	"--data-dir $DATADIR --network $NET_NAME --bogus" \
	"--data-dir $DATADIR --network $NET_NAME extra"; do
	# shellcheck disable=SC2086
	brisk_gc $args
	[ "$RC" != 0 ] || fail "brisk gc $args exited 0"
	[ -n "$ERR" ] || fail "brisk gc $args: no message on stderr"
	assert_eq "$OUT" "" "stdout of brisk gc $args"
done
brisk_gc --data-dir "$DATADIR" --network nosuchnet
[ "$RC" != 0 ] || fail "brisk gc of a missing store exited 0"
[ ! -e "$DATADIR/nosuchnet" ] || fail "brisk gc made a store"

step "reclaimStale: a full range takes back a stale lease"
NET_NAME=bkgrec
BRIDGE=bkgbr1
rec_conf()
{
	mkconf 1.0.0 v4 '.ipam.ranges = [[{subnet: "10.198.1.0/29",
		rangeStart: "10.198.1.2", rangeEnd: "10.198.1.3"}]] | '"$1"
}
c3=$(mkns c3) || fail "mkns c3"
c4=$(mkns c4) || fail "mkns c4"
c5=$(mkns c5) || fail "mkns c5"
CONF=$(rec_conf .)
cni ADD ctr-a "$c3" eth0
assert_ok "ADD ctr-a"
cni ADD ctr-b "$c4" eth0
assert_ok "ADD ctr-b"
ipb=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
lose_netns "$c4" || fail "cannot lose $c4"
full=$(leases)
cni ADD ctr-c "$c5" eth0
assert_err 999 "no free address"
assert_eq "$(leases)" "$full" "leases after the failed ADD"
CONF=$(rec_conf '.ipam.reclaimStale = true')
cni ADD ctr-c "$c5" eth0
assert_ok "ADD with reclaimStale"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$ipb/29" "the reclaimed address"
assert_lease "$ipb" ctr-c eth0
assert_eq "$(leases | wc -l)" 2 "leases after reclaiming"
cni ADD ctr-d "$c5" eth1
assert_err 999 "no free address"
CONF=$(rec_conf '.ipam.reclaimStale = "yes"')
cni ADD ctr-d "$c5" eth1
assert_err 7 "reclaimStale"
CONF=$(rec_conf .)
cni DEL ctr-a "$c3" eth0
assert_ok "DEL ctr-a"
cni DEL ctr-c "$c5" eth0
assert_ok "DEL ctr-c"
assert_no_leases
pass
