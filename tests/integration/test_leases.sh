#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `brisk leases`: every lease of every network under a data dir, with its
# container ID, interface, age, and whether its namespace and host veth
# still exist; a live container says yes/yes, one whose namespace went away
# without a DEL says netns-gone/no, and a store written by host-local (no
# brisk records) is listed with "?" where brisk cannot know. Table and
# JSON; --network picks one; listing creates nothing.
. "$(dirname "$0")/lib.sh"

# leases_cmd ARGS...: `brisk leases` run by an operator in $HOST.
leases_cmd()
{
	LAST_CMD="brisk leases $*"
	ip netns exec "$HOST" "$BRISK" leases "$@" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

setup leases ip jq
[ -x "$HOST_LOCAL" ] || skip "needs the reference host-local ($HOST_LOCAL)"
NET_NAME=bklnet
BRIDGE=bklbr0
SUBNET4=10.197.0.0/24
SUBNET6=fd00:b1c:7::/64

step "an empty data dir: just the header"
mkdir -p "$DATADIR"
leases_cmd --data-dir "$DATADIR"
assert_ok "leases of an empty data dir"
assert_eq "$OUT" "NETWORK  ADDRESS  IFNAME  AGE  NETNS  VETH  CONTAINER" "empty table"
leases_cmd --data-dir "$DATADIR" --json
assert_ok "leases --json of an empty data dir"
assert_eq "$(jq -c . <<<"$OUT")" "[]" "empty JSON"

step "brisk network: a live container and one whose namespace is gone"
c1=$(mkns c1) || fail "mkns c1"
c2=$(mkns c2) || fail "mkns c2"
CONF=$(mkconf 1.0.0 dual)
cni ADD ctr-live "$c1" eth0
assert_ok "ADD ctr-live"
veth1=$(jq -r '.interfaces[1].name' <<<"$OUT")
cni ADD ctr-gone "$c2" net1
assert_ok "ADD ctr-gone"
veth2=$(jq -r '.interfaces[1].name' <<<"$OUT")
lose_netns "$c2" || fail "cannot lose $c2"

step "host-local network: a lease written by the reference plugin"
hl_conf=$(jq -cn --arg dd "$DATADIR" '{cniVersion: "1.0.0", name: "bklhl",
	type: "bridge", ipam: {type: "host-local", dataDir: $dd,
	ranges: [[{subnet: "10.196.0.0/24"}]]}}')
CONF=$hl_conf
hostlocal ADD ctr-hl "$c1" eth9
assert_ok "host-local ADD"

step "the table: every lease, aligned, sorted by network and address"
leases_cmd --data-dir "$DATADIR"
assert_ok "brisk leases"
assert_eq "$ERR" "" "stderr of brisk leases"
assert_eq "$(wc -l <<<"$OUT")" 6 "lines (header + 5 leases)"
head=$(sed -n 1p <<<"$OUT")
[[ "$head" =~ ^NETWORK\ +ADDRESS\ +IFNAME\ +AGE\ +NETNS\ +VETH\ +CONTAINER$ ]] ||
	fail "header: $head"
# Aligned: every column starts where its header does.
for col in ADDRESS IFNAME AGE NETNS VETH CONTAINER; do
	pos=$(awk -v c="$col" 'NR == 1 { print index($0, c) }' <<<"$OUT")
	awk -v p="$pos" 'NR > 1 && substr($0, p - 2, 2) != "  " { exit 1 }' <<<"$OUT" ||
		fail "column $col is not aligned:$(printf '\n%s' "$OUT")"
done
rows=$(tail -n +2 <<<"$OUT" | awk '{ print $1, $2, $3, $5, $6, $7 }')
want=$(
	cat <<EOF
bklhl 10.196.0.2 eth9 ? ? ctr-hl
bklnet 10.197.0.2 eth0 yes yes ctr-live
bklnet 10.197.0.3 net1 netns-gone no ctr-gone
bklnet fd00:b1c:7::2 eth0 yes yes ctr-live
bklnet fd00:b1c:7::3 net1 netns-gone no ctr-gone
EOF
)
assert_eq "$rows" "$want" "the rows"
tail -n +2 <<<"$OUT" | awk '{ print $4 }' | grep -qvE '^[0-9]+s$' &&
	fail "ages are not a few seconds:$(printf '\n%s' "$OUT")"

step "--json: the same, with the details"
leases_cmd --data-dir "$DATADIR" --json
assert_ok "brisk leases --json"
assert_jq 'length == 5' "five leases"
assert_jq '.[1] | .network == "bklnet" and .address == "10.197.0.2" and
	.containerID == "ctr-live" and .ifname == "eth0" and .record == true and
	.netnsExists == true and .stale == null and .hostVethExists == true and
	(.ageSeconds | type) == "number" and (.created | test("Z$"))' "the live lease"
assert_eq "$(jq -r '.[1].netns' <<<"$OUT")" "$(nspath "$c1")" "the live lease's netns"
assert_eq "$(jq -r '.[1].hostVeth' <<<"$OUT")" "$veth1" "the live lease's host veth"
assert_jq '.[2] | .netnsExists == false and .stale == "netns-gone" and
	.hostVethExists == false' "the gone lease"
assert_eq "$(jq -r '.[2].hostVeth' <<<"$OUT")" "$veth2" "the gone lease's host veth name"
assert_jq '.[0] | .network == "bklhl" and .record == false and
	.netns == null and .netnsExists == null and .hostVethExists == null' \
	"host-local's lease: nothing known"

step "--network picks one; a left-over veth of a gone netns shows"
ip -n "$HOST" link add "$veth2" type veth peer name "bklp$$" || fail "leftover veth"
leases_cmd --data-dir "$DATADIR" --network "$NET_NAME" --json
assert_ok "brisk leases --network"
assert_jq 'length == 4 and all(.[]; .network == "bklnet")' "only $NET_NAME"
assert_jq '[.[] | select(.containerID == "ctr-gone") | .hostVethExists] == [true, true]' \
	"the leftover veth is seen"
leases_cmd --data-dir "$DATADIR" --network bklhl
assert_ok "brisk leases --network bklhl"
assert_eq "$(tail -n +2 <<<"$OUT" | awk '{ print $2 }')" "10.196.0.2" "host-local's lease"

step "the store must exist; nothing is created; usage errors"
leases_cmd --data-dir "$DATADIR" --network nosuchnet
assert_eq "$RC" 1 "exit status for a missing store"
[ ! -e "$DATADIR/nosuchnet" ] || fail "brisk leases made a store"
leases_cmd --data-dir "$TMPD/nosuchdir"
assert_eq "$RC" 1 "exit status for a missing data dir"
[ ! -e "$TMPD/nosuchdir" ] || fail "brisk leases made a data dir"
leases_cmd --data-dir "$DATADIR" --network ../x
assert_eq "$RC" 2 "exit status for a bad network name"
assert_eq "$OUT" "" "stdout on a usage error"

step "DEL and gc leave nothing to list"
CONF=$(mkconf 1.0.0 dual)
cni DEL ctr-live "$c1" eth0
assert_ok "DEL ctr-live"
ip netns exec "$HOST" "$BRISK" gc --data-dir "$DATADIR" --network "$NET_NAME" --apply \
	>/dev/null 2>&1 || fail "brisk gc --apply"
CONF=$hl_conf
hostlocal DEL ctr-hl "$c1" eth9
assert_ok "host-local DEL"
leases_cmd --data-dir "$DATADIR" --json
assert_ok "brisk leases after DEL"
assert_eq "$(jq -c . <<<"$OUT")" "[]" "no leases left"
pass
