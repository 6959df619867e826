#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Kills at random points: workers make random ADDs and DELs with ipMasq,
# macspoofchk and a host port (dual stack), a quarter of them SIGKILLed
# after a random few ms and followed by a DEL, as a runtime does after a
# failed call; one more worker runs the reference host-local on the same
# store, and brisk restore, brisk gc --apply and a CNI GC run over and
# over. No address is ever held twice, CHECK passes for what is attached,
# no call fails other than by the kill or with code 11, and at the end
# nothing is left: no lease, bridge port, nftables element (inet and
# bridge), firewall record or veth. A longer soak: CHAOS_CALLS=3000
# CHAOS_WORKERS=6 (CHAOS_KILL_MAX: the latest kill, in ms, under 1000).
. "$(dirname "$0")/lib.sh"
setup chaos ip jq nft timeout
CALLS=${CHAOS_CALLS:-240}
W=${CHAOS_WORKERS:-4}
S=3
NET_NAME=chaos BRIDGE=bkc0 SUBNET4=10.77.0.0/26 SUBNET6=fd77::/122
mkdir -p "$TMPD/held" "$TMPD/log"
for w in $(seq 0 $((W - 1))); do
	for s in $(seq 0 $((S - 1))); do
		mkconf 1.0.0 dual ".ipMasq = true | .macspoofchk = true | .runtimeConfig.portMappings =
			[{hostPort: $((30000 + w * S + s)), containerPort: 80, protocol: \"$([ $((s % 2)) = 0 ] && echo tcp || echo udp)\"}]" \
			>"$TMPD/conf-$w-$s"
		ip netns add "${PFX}w${w}s$s"
	done
done
mkconf 1.0.0 dual >"$TMPD/conf-hl"

# call CMD ID NS CONF [KILL_MS]: one brisk call, SIGKILLed after KILL_MS
# ms when given. Sets OUT and RC (137 when killed); stderr is collected.
call()
{
	local k=()

	[ -n "${5:-}" ] && k=(timeout -s KILL "0.$(printf %03d "$5")")
	_passenv
	OUT=$(ip netns exec "$HOST" "${k[@]}" env -i PATH="$PATH" "${PASSENV[@]}" \
		CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="/run/netns/$3" \
		CNI_IFNAME=eth0 "$BRISK" <"$4" 2>>"$TMPD/log/stderr")
	RC=$?
}

# allowed [KILL]: whether the last call's failure is one this test allows:
# the call was killed (KILL given), or it answered code 11.
allowed()
{
	[ -n "${1:-}" ] || [ "$(jq -r .code <<<"$OUT" 2>/dev/null)" = 11 ]
}

# del_until_ok ID NS CONF: DEL, again while it answers code 11.
del_until_ok()
{
	local i

	for i in $(seq 1 50); do
		call DEL "$1" "$2" "$3"
		[ $RC = 0 ] && return 0
		allowed || { echo "FAIL DEL $1: rc=$RC $OUT"; return 1; }
	done
	echo "FAIL DEL $1: code 11 fifty times"
	return 1
}

# hold ID: mark the addresses of $OUT held by ID; fails when one is held.
hold()
{
	local a

	for a in $(jq -r '.ips[].address | sub("/.*"; "")' <<<"$OUT"); do
		mkdir "$TMPD/held/$a" 2>/dev/null || { echo "FAIL duplicate $a for $1 (held by $(cat "$TMPD/held/$a/who"))"; return 1; }
		echo "$1" >"$TMPD/held/$a/who"
	done
}

# unhold ID: forget what ID holds (before its DEL: never a false alarm).
unhold()
{
	grep -lx "$1" "$TMPD"/held/*/who 2>/dev/null | xargs -r dirname | xargs -r rm -rf
}

# worker W N: N random calls on W's slots (a slot is one container), then
# a DEL of what is still attached.
worker()
{
	local w=$1 n=$2 i s id ns conf kill
	local -a up=()

	for i in $(seq 1 "$n"); do
		s=$((RANDOM % S)) id="w${w}s$s" ns="${PFX}w${w}s$s" conf="$TMPD/conf-$w-$s"
		kill=""
		[ $((RANDOM % 4)) = 0 ] && kill=$((RANDOM % ${CHAOS_KILL_MAX:-60} + 1))
		if [ -z "${up[$s]:-}" ]; then
			call ADD "$id" "$ns" "$conf" $kill
			if [ $RC = 0 ]; then
				hold "$id" || return 1
				jq -c --argjson p "$OUT" '.prevResult = $p' "$conf" >"$TMPD/check-$id"
				up[$s]=1
				continue
			fi
			allowed "$kill" || { echo "FAIL ADD $id: rc=$RC $OUT"; return 1; }
			echo "killed-or-11 ADD $RC" >>"$TMPD/log/$w"
			del_until_ok "$id" "$ns" "$conf" || return 1
			continue
		fi
		# Whatever the others do, what is attached stays whole.
		if [ $((RANDOM % 3)) = 0 ]; then
			call CHECK "$id" "$ns" "$TMPD/check-$id"
			[ $RC = 0 ] || allowed || { echo "FAIL CHECK $id: rc=$RC $OUT"; return 1; }
			continue
		fi
		unhold "$id"
		call DEL "$id" "$ns" "$conf" $kill
		if [ $RC != 0 ]; then
			allowed "$kill" || { echo "FAIL DEL $id: rc=$RC $OUT"; return 1; }
			echo "killed-or-11 DEL $RC" >>"$TMPD/log/$w"
			del_until_ok "$id" "$ns" "$conf" || return 1
		fi
		up[$s]=""
	done
	for s in $(seq 0 $((S - 1))); do
		[ -n "${up[$s]:-}" ] || continue
		unhold "w${w}s$s"
		del_until_ok "w${w}s$s" "${PFX}w${w}s$s" "$TMPD/conf-$w-$s" || return 1
	done
}

# hl_worker N: N host-local ADDs or DELs of IDs hl0..hl3, then DELs.
hl_worker()
{
	local n=$1 i id

	for i in $(seq 1 "$n"); do
		id="hl$((RANDOM % 4))"
		CONF=$(cat "$TMPD/conf-hl")
		if [ -e "$TMPD/hl-$id" ]; then
			unhold "$id"
			hostlocal DEL "$id" "/run/netns/none" eth0
			[ $RC = 0 ] || { echo "FAIL host-local DEL: $OUT"; return 1; }
			rm "$TMPD/hl-$id"
		else
			hostlocal ADD "$id" "/run/netns/none" eth0
			[ $RC = 0 ] || { echo "FAIL host-local ADD: $OUT"; return 1; }
			hold "$id" || return 1
			touch "$TMPD/hl-$id"
		fi
	done
	for id in hl0 hl1 hl2 hl3; do
		[ -e "$TMPD/hl-$id" ] || continue
		unhold "$id"
		hostlocal DEL "$id" "/run/netns/none" eth0
		[ $RC = 0 ] || { echo "FAIL host-local DEL: $OUT"; return 1; }
		rm "$TMPD/hl-$id"
	done
}

step "$CALLS calls by $W workers, a quarter killed, host-local, restore and GC beside them"
pids=()
for w in $(seq 0 $((W - 1))); do
	worker "$w" $((CALLS / W)) >"$TMPD/log/fail-$w" 2>&1 &
	pids+=($!)
done
hl_worker $((CALLS / W)) >"$TMPD/log/fail-hl" 2>&1 &
pids+=($!)
# The operator and the runtime beside them, over and over: brisk restore
# (elements put back for an attachment a DEL is taking away would be left
# behind; ones put back before its ADD commits would fail that ADD), brisk
# gc --apply (every namespace lives: nothing is stale) and a CNI GC that
# names every container (nothing to collect).
jq -c '.cniVersion = "1.1.0" | .["cni.dev/valid-attachments"] =
	[$ids | split(" ")[] | {containerID: ., ifname: "eth0"}]' \
	--arg ids "$(for w in $(seq 0 $((W - 1))); do for s in $(seq 0 $((S - 1))); do
		printf 'w%ss%s ' "$w" "$s"; done; done)hl0 hl1 hl2 hl3" \
	"$TMPD/conf-hl" >"$TMPD/conf-gc"
(
	while [ ! -e "$TMPD/stop" ]; do
		ip netns exec "$HOST" "$BRISK" restore --data-dir "$DATADIR" \
			--network chaos >/dev/null 2>>"$TMPD/log/stderr" ||
			echo "FAIL restore" >>"$TMPD/log/fail-bg"
		out=$(ip netns exec "$HOST" "$BRISK" gc --data-dir "$DATADIR" \
			--network chaos --apply 2>>"$TMPD/log/stderr")
		[ "$out" = "0 stale leases in network chaos: released" ] ||
			echo "FAIL gc --apply: $out" >>"$TMPD/log/fail-bg"
		call GC "" "" "$TMPD/conf-gc"
		[ $RC = 0 ] || allowed || echo "FAIL GC: $OUT" >>"$TMPD/log/fail-bg"
	done
) &
restorer=$!
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=1; done
touch "$TMPD/stop"
wait "$restorer"
cat "$TMPD"/log/fail-* | grep FAIL && bad=1
echo "killed/retried: $(cat "$TMPD"/log/[0-9]* 2>/dev/null | wc -l)"
[ $bad = 0 ] || fail "a worker failed"
step "nothing left"
assert_no_leases
assert_eq "$(ports "$HOST" "$BRIDGE" | wc -w)" 0 "bridge ports"
assert_eq "$(nft_total)" 0 "nft elements"
assert_eq "$(fw_records)" "" "fw records"
assert_eq "$(ip -n "$HOST" -o link show type veth | wc -l)" 0 "veths in the host"
# A sanitizer build's report would otherwise go unseen in a killed call.
grep -E "Sanitizer|runtime error" "$TMPD/log/stderr" && fail "sanitizer report"
pass
