#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 64 ADDs, 16 at a time, onto a bridge that does not exist yet: all succeed
# with distinct addresses, the racing creators make one bridge with one
# gateway address per family and 64 ports. Then 64 DELs, 16 at a time,
# leave no lease and no port. First, 16 layer-2 ADDs (no IPAM lock to
# stagger them) race to create another bridge.
. "$(dirname "$0")/lib.sh"
setup par

N=64
P=16
CONF=$(mkconf 1.0.0 dual)
printf '%s' "$CONF" >"$TMPD/conf"
L2BR=bkl2
mkconf 1.0.0 l2 ".bridge = \"$L2BR\"" >"$TMPD/conf-l2"
mkdir "$TMPD/par" || fail "mkdir"

step "create $N container namespaces"
for i in $(seq 1 $N); do
	echo "netns add ${PFX}c$i"
done | ip -batch - || fail "cannot create the container namespaces"
! link_exists "$HOST" "$BRIDGE" || fail "$BRIDGE exists before the first ADD"

# par_job CMD CONF IFNAME I: one plugin call for container I, its output in
# $TMPD/par.
par_job()
{
	_passenv
	ip netns exec "$HOST" env -i PATH="$PATH" "${PASSENV[@]}" CNI_COMMAND="$1" \
		CNI_CONTAINERID="ctr-par-$4" CNI_NETNS="/run/netns/${PFX}c$4" \
		CNI_IFNAME="$3" "$BRISK" <"$2" \
		>"$TMPD/par/$1-$4.out" 2>"$TMPD/par/$1-$4.err"
	echo $? >"$TMPD/par/$1-$4.rc"
}
export -f par_job _passenv
export HOST PFX TMPD BRISK

# run_all CMD COUNT [CONF IFNAME]: COUNT calls, P at a time; fail naming
# the calls that failed.
run_all()
{
	local i bad="" cmd=$1 count=$2 conf=${3:-$TMPD/conf} ifname=${4:-eth0}

	seq 1 "$count" |
		xargs -P $P -n 1 bash -c 'par_job "$0" "$1" "$2" "$3"' "$cmd" "$conf" "$ifname" ||
		fail "xargs for $cmd failed"
	for i in $(seq 1 "$count"); do
		[ "$(cat "$TMPD/par/$cmd-$i.rc" 2>/dev/null)" = 0 ] || bad="$bad $i"
	done
	if [ -n "$bad" ]; then
		i=${bad# }
		i=${i%% *}
		fail "$cmd failed for containers:$bad; first: rc=$(cat "$TMPD/par/$cmd-$i.rc" 2>/dev/null)" \
			"stdout=$(cat "$TMPD/par/$cmd-$i.out") stderr=$(cat "$TMPD/par/$cmd-$i.err")"
	fi
}

# burst CMD: P layer-2 calls on $L2BR released at the same instant: each
# waits, already inside $HOST, for its line on a FIFO, then execs brisk.
burst()
{
	local i pids=() bad=""

	exec 3<>"$TMPD/go" || fail "open FIFO"
	for i in $(seq 1 $P); do
		_passenv
		ip netns exec "$HOST" bash -c 'read -r _ <"$0" && exec "$@"' "$TMPD/go" \
			env -i PATH="$PATH" "${PASSENV[@]}" CNI_COMMAND="$1" CNI_CONTAINERID="ctr-l2-$i" \
			CNI_NETNS="$(nspath "${PFX}c$i")" CNI_IFNAME=eth1 "$BRISK" \
			<"$TMPD/conf-l2" >"$TMPD/par/l2-$1-$i.out" 2>"$TMPD/par/l2-$1-$i.err" &
		pids+=($!)
	done
	sleep 0.5 # let them reach the barrier; a late one just starts late
	printf '\n%.0s' $(seq 1 $P) >&3
	for i in $(seq 1 $P); do
		wait "${pids[$((i - 1))]}" || bad="$bad $i"
	done
	exec 3>&-
	[ -z "$bad" ] || fail "layer-2 $1 failed for containers:$bad:" \
		"$(cat "$TMPD/par/l2-$1-${bad##* }.out" "$TMPD/par/l2-$1-${bad##* }.err")"
}

step "$P layer-2 ADDs at once create $L2BR"
mkfifo "$TMPD/go" || fail "mkfifo"
! link_exists "$HOST" "$L2BR" || fail "$L2BR exists before the first ADD"
burst ADD
assert_eq "$(ip -n "$HOST" -j link show master "$L2BR" | jq length)" $P "ports of $L2BR"
burst DEL
assert_eq "$(ip -n "$HOST" -j link show master "$L2BR" | jq length)" 0 "ports of $L2BR after DEL"

step "$N ADDs, $P at a time"
t0=$SECONDS
run_all ADD $N
echo "  $N ADDs took $((SECONDS - t0))s"

step "results and leases"
for i in $(seq 1 $N); do
	out=$(cat "$TMPD/par/ADD-$i.out")
	a4=$(jq -r '.ips[] | select(.address | contains(".")) | .address' <<<"$out")
	a6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$out")
	[ -n "$a4" ] && [ -n "$a6" ] || fail "ADD $i: result lacks an address: $out"
	echo "$a4" >>"$TMPD/addrs4"
	echo "$a6" >>"$TMPD/addrs6"
	assert_lease "${a4%/*}" "ctr-par-$i" eth0
	assert_lease "${a6%/*}" "ctr-par-$i" eth0
	assert_eq "$(addrs "${PFX}c$i" eth0 inet global)" "$a4" "IPv4 address of eth0 in c$i"
done
assert_eq "$(sort -u "$TMPD/addrs4" | wc -l)" $N "distinct IPv4 addresses"
assert_eq "$(sort -u "$TMPD/addrs6" | wc -l)" $N "distinct IPv6 addresses"
assert_eq "$(leases | wc -l)" $((2 * N)) "lease files"
grep -qx "$GW4/24" "$TMPD/addrs4" && fail "the gateway $GW4 was handed out"

step "bridge"
assert_eq "$(ip -n "$HOST" -j link show type bridge | jq -r '[.[].ifname] | sort | join(" ")')" \
	"$BRIDGE $L2BR" "bridges in the host namespace"
assert_eq "$(addrs "$HOST" "$BRIDGE" inet)" "$GW4/24" "IPv4 addresses of $BRIDGE"
assert_eq "$(addrs "$HOST" "$BRIDGE" inet6 global)" "$GW6/64" "global IPv6 addresses of $BRIDGE"
assert_eq "$(ip -n "$HOST" -j link show master "$BRIDGE" | jq length)" $N "ports of $BRIDGE"
assert_eq "$(ip -n "$HOST" -j link show type veth | jq length)" $N "veths in the host namespace"

step "$N DELs, $P at a time"
t0=$SECONDS
run_all DEL $N
echo "  $N DELs took $((SECONDS - t0))s"
assert_no_leases
assert_eq "$(ip -n "$HOST" -j link show master "$BRIDGE" | jq length)" 0 "ports of $BRIDGE after DEL"
assert_eq "$(ip -n "$HOST" -j link show type veth | jq length)" 0 "veths after DEL"
for i in $(seq 1 $N); do
	! link_exists "${PFX}c$i" eth0 || fail "DEL left eth0 in c$i"
done
pass
