#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# CHECK notices drift from the ADD result: a removed container address, a
# host end taken off the bridge, a MAC that differs from prevResult, a
# missing lease file, a removed default route. Each attachment passes CHECK
# first, so the failure is the drift's.
. "$(dirname "$0")/lib.sh"
setup chk

BASE=$(mkconf 1.0.0 dual)

# attach N: ADD ctr-N in a new namespace cN; sets NS, RES, HVETH, A4, A6;
# CHECK must pass before any drift.
attach()
{
	NS=$(mkns "c$1") || fail "mkns"
	CONF=$BASE
	cni ADD "ctr-$1" "$NS" eth0
	assert_ok "ADD ctr-$1"
	RES=$OUT
	HVETH=$(jq -r '.interfaces[1].name' <<<"$RES")
	A4=$(jq -r '.ips[] | select(.address | contains(".")) | .address' <<<"$RES")
	A6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$RES")
	check "$1" "$RES"
	assert_ok "CHECK ctr-$1 before any drift"
}

# check N PREVRESULT: CHECK of ctr-N with that prevResult.
check()
{
	CONF=$(jq -c --argjson p "$2" '.prevResult = $p' <<<"$BASE")
	cni CHECK "ctr-$1" "$(nspath "${PFX}c$1")" eth0
}

re_of() { sed 's/\./\\./g' <<<"${1%/*}"; }

CASE="address removed"
step "$CASE"
attach 1
ip -n "$NS" addr del "$A4" dev eth0 || fail "ip addr del"
check 1 "$RES"
assert_err any "$(re_of "$A4")"

CASE="host end off the bridge"
step "$CASE"
attach 2
ip -n "$HOST" link set "$HVETH" nomaster || fail "nomaster"
check 2 "$RES"
assert_err any "$HVETH|$BRIDGE"

CASE="MAC differs from prevResult"
step "$CASE"
attach 3
check 3 "$(jq -c '.interfaces[2].mac = "02:00:00:00:00:01"' <<<"$RES")"
assert_err any 'mac'
# As the reference, the bridge's and the host end's too.
check 3 "$(jq -c '.interfaces[0].mac = "02:00:00:00:00:01"' <<<"$RES")"
assert_err any "$BRIDGE.*MAC"
check 3 "$(jq -c '.interfaces[1].mac = "02:00:00:00:00:01"' <<<"$RES")"
assert_err any "$HVETH.*MAC"
check 3 "$RES"
assert_ok "CHECK with the result as it was"

CASE="lease file deleted"
step "$CASE"
rm "$(lease_dir)/${A6%/*}" || fail "rm lease"
check 3 "$RES"
assert_err any "$(re_of "$A6")"

CASE="default route removed"
step "$CASE"
attach 4
ip -n "$NS" route del default || fail "ip route del"
check 4 "$RES"
assert_err any 'route|0\.0\.0\.0/0'
pass
