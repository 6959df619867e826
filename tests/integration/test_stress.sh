#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Stress: 1,000 ADD/DEL calls in a random mix, 16 at a time, on one nearly
# full network. No address is ever held twice, no call fails other than
# with code 11, and the store and the bridge are empty at the end.
. "$(dirname "$0")/lib.sh"
setup stress ip jq
set -e
bin=$BRISK
calls=${STRESS_CALLS:-1000}
workers=16
slots_per_worker=3
host=$HOST
tmp=$TMPD
pfx=$PFX
mkdir -p "$tmp/data" "$tmp/held" "$tmp/log"
# A /26: 61 addresses for 48 slots, so allocation wraps and searches.
jq -nc --arg d "$tmp/data" '{cniVersion:"1.0.0", name:"stress", type:"brisk",
	bridge:"brs0", isGateway:true,
	ipam:{type:"host-local", dataDir:$d, ranges:[[{subnet:"10.88.0.0/26"}]]}}' >"$tmp/conf"
for w in $(seq 0 $((workers - 1))); do
	for s in $(seq 0 $((slots_per_worker - 1))); do
		ip netns add "${pfx}w${w}s${s}"
	done
done

# One worker: its own slots, a random mix of ADD and DEL. An address is
# marked held with mkdir, which fails if another holder already has it.
worker() {
	local w=$1 n=$2 i s ns id out rc ip code
	local -a up=()
	for i in $(seq 1 "$n"); do
		s=$((RANDOM % slots_per_worker))
		ns="${pfx}w${w}s${s}"
		id="w${w}s${s}"
		if [ "${up[$s]:-}" = "" ]; then
			rc=0
			out=$(ip netns exec "$host" env CNI_COMMAND=ADD CNI_CONTAINERID="$id" \
				CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 "$bin" <"$tmp/conf") || rc=$?
			if [ $rc -ne 0 ]; then
				code=$(jq -r .code <<<"$out")
				[ "$code" = 11 ] && { echo retry >>"$tmp/log/$w"; continue; }
				echo "FAIL ADD $id: $out" >>"$tmp/log/$w"
				return 1
			fi
			ip=$(jq -r '.ips[0].address' <<<"$out")
			if ! mkdir "$tmp/held/${ip%/*}" 2>/dev/null; then
				echo "FAIL duplicate: $ip given to $id while held by $(cat "$tmp/held/${ip%/*}/who")" >>"$tmp/log/$w"
				return 1
			fi
			echo "$id" >"$tmp/held/${ip%/*}/who"
			up[$s]=${ip%/*}
		else
			rm -rf "$tmp/held/${up[$s]}"
			rc=0
			out=$(ip netns exec "$host" env CNI_COMMAND=DEL CNI_CONTAINERID="$id" \
				CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 "$bin" <"$tmp/conf") || rc=$?
			if [ $rc -ne 0 ]; then
				echo "FAIL DEL $id: $out" >>"$tmp/log/$w"
				return 1
			fi
			up[$s]=""
		fi
		echo call >>"$tmp/log/$w"
	done
	# Detach what is still attached.
	for s in $(seq 0 $((slots_per_worker - 1))); do
		[ "${up[$s]:-}" = "" ] && continue
		rm -rf "$tmp/held/${up[$s]}"
		ip netns exec "$host" env CNI_COMMAND=DEL CNI_CONTAINERID="w${w}s${s}" \
			CNI_NETNS="/var/run/netns/${pfx}w${w}s${s}" CNI_IFNAME=eth0 "$bin" <"$tmp/conf"
		echo call >>"$tmp/log/$w"
	done
}

per=$((calls / workers))
pids=()
for w in $(seq 0 $((workers - 1))); do
	worker "$w" "$per" &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do
	wait "$p" || fail=1
done
if grep -h FAIL "$tmp"/log/*; then
	fail=1
fi
made=$(cat "$tmp"/log/* | awk '$0 == "call"' | wc -l)
retries=$(cat "$tmp"/log/* | awk '$0 == "retry"' | wc -l)
leases=$(find "$tmp/data/stress" -mindepth 1 ! -name 'last_reserved_ip.*' ! -name lock | wc -l)
ports=$(ip -n "$host" -j link show master brs0 | jq length)
echo "calls: $made, code-11 retries: $retries, leases left: $leases, ports left: $ports"
[ "$made" -ge "$calls" ] || { echo "FAIL: only $made calls made"; fail=1; }
[ "$leases" -eq 0 ] || { echo "FAIL: leases left"; fail=1; }
[ "$ports" -eq 0 ] || { echo "FAIL: ports left"; fail=1; }
exit $fail
