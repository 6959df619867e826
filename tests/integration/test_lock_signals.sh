#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The store lock has a deadline: past it the answer is code 11 and nothing
# changed. SIGTERM, SIGINT and SIGHUP sent while a call works (here: waits
# for the lock) do not cut it short: it finishes whole.
. "$(dirname "$0")/lib.sh"
setup lock
command -v flock >/dev/null || skip "needs flock"

C=$(mkns c1) || fail "mkns"
CONF=$(mkconf 1.0.0 v4)
mkdir -p "$(lease_dir)" || fail "mkdir"
lock=$(lease_dir)/lock

step "a lock held past the deadline: code 11, nothing changed"
flock "$lock" sleep 14 &
holder=$!
sleep 0.5
cni ADD ctr-lock "$C" eth0
assert_err 11 'lock'
link_exists "$C" eth0 && fail "container interface made despite code 11"
assert_no_leases
if link_exists "$HOST" "$BRIDGE"; then
	[ -z "$(ports "$HOST" "$BRIDGE")" ] || fail "a port was left on the bridge"
fi
kill "$holder"
wait "$holder" 2>/dev/null

step "signals while waiting for the lock: the ADD still completes"
flock "$lock" sleep 3 &
holder=$!
sleep 0.5
_stage_input
_cni_env ADD ctr-sig "$C" eth0
_passenv
ip netns exec "$HOST" env -i PATH="$PATH" "${PASSENV[@]}" "${CNI_ENV[@]}" \
	"$BRISK" <"$TMPD/in" >"$TMPD/out" 2>"$TMPD/err" &
plugin=$!
sleep 1
kill -TERM "$plugin" || fail "the plugin was already gone"
kill -INT "$plugin"
kill -HUP "$plugin"
wait "$plugin"
RC=$?
OUT=$(cat "$TMPD/out")
wait "$holder"
assert_eq "$RC" 0 "exit status of the signalled ADD"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$(fam_first v4)/$(fam_plen v4)" "address"
link_exists "$C" eth0 || fail "container interface missing"
assert_lease "$(fam_first v4)" ctr-sig eth0
cni DEL ctr-sig "$C" eth0
assert_ok "DEL"
assert_no_leases
pass
