#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A big store: 10,000 leases written straight in host-local's format in a
# /16, the next free address 10,000 past last_reserved_ip. brisk's ADD,
# CHECK and DEL work (its index is built on the first call), pick a free
# address, and DEL releases; a lease written by host-local itself, which
# knows nothing of brisk's index, is released by brisk's DEL.
. "$(dirname "$0")/lib.sh"

# addr N: the Nth address of 10.197.0.0/16.
addr()
{
	echo "10.197.$(($1 >> 8)).$(($1 & 255))"
}

# nleases: how many lease files the store holds (lib.sh's leases() forks
# once per file, too slow here).
nleases()
{
	find "$(lease_dir)" -maxdepth 1 -type f -name '[0-9]*' | wc -l
}

# timed WHAT CMD...: run a lib.sh call and report how long it took.
timed()
{
	local what=$1 t0

	shift
	t0=$(date +%s%N)
	"$@"
	echo "  $what: $((($(date +%s%N) - t0) / 1000000)) ms" >&2
}

N=10000
setup scale ip jq od
NET_NAME=bkscale
BRIDGE=bksbr0
SUBNET4=10.197.0.0/16
GW4=10.197.0.1
CONF=$(mkconf 1.0.0 v4)
store=$(lease_dir)

step "fill $N leases in host-local's format"
mkdir -p "$store" || fail "mkdir"
# No $(addr) here: a fork per lease was most of this test's time.
for ((i = 0; i < N; i++)); do
	j=$((i + 2))
	printf 'fill-%d\r\neth0' "$i" >"$store/10.197.$((j >> 8)).$((j & 255))"
done
printf '%s' "$(addr 1)" >"$store/last_reserved_ip.0"
assert_eq "$(nleases)" "$N" "leases written"

step "ADD: the first free address, $N past the cursor"
c1=$(mkns c1) || fail "mkns c1"
c2=$(mkns c2) || fail "mkns c2"
timed "ADD (index built from $N leases)" cni ADD ctr-s1 "$c1" eth0
assert_ok "ADD ctr-s1"
res1=$OUT
want1=$(addr $((N + 2)))
assert_eq "$(jq -r '.ips[0].address' <<<"$res1")" "$want1/16" "address of ctr-s1"
assert_lease "$want1" ctr-s1 eth0
assert_eq "$(addrs "$c1" eth0 inet global)" "$want1/16" "address in the kernel"
timed "ADD (valid index)" cni ADD ctr-s2 "$c2" eth0
assert_ok "ADD ctr-s2"
want2=$(addr $((N + 3)))
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$want2/16" "address of ctr-s2"
assert_eq "$(nleases)" "$((N + 2))" "leases after two ADDs"

step "CHECK"
CONF=$(with_prev "$res1")
timed "CHECK" cni CHECK ctr-s1 "$c1" eth0
assert_ok "CHECK ctr-s1"
CONF=$(mkconf 1.0.0 v4)

step "DEL releases"
timed "DEL" cni DEL ctr-s1 "$c1" eth0
assert_ok "DEL ctr-s1"
[ ! -e "$store/$want1" ] || fail "DEL left the lease $want1"
assert_eq "$(nleases)" "$((N + 1))" "leases after DEL"
assert_lease "$(addr 2)" fill-0 eth0
assert_lease "$(addr $((N + 1)))" "fill-$((N - 1))" eth0
# The round robin goes on after ctr-s2, not back to the freed address.
timed "ADD after DEL" cni ADD ctr-s1 "$c1" eth0
assert_ok "ADD ctr-s1 again"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$(addr $((N + 4)))/16" \
	"address after the cursor"

step "a lease written by host-local is released by brisk's DEL"
c3=$(mkns c3) || fail "mkns c3"
if [ -x "$HOST_LOCAL" ]; then
	hostlocal ADD ctr-hl "$c3" eth0
	assert_ok "host-local ADD"
	iphl=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
else
	# No host-local here: write what it writes, under its lock.
	iphl=$(addr 40000)
	flock "$store/lock" printf 'ctr-hl\r\neth0' >"$store/$iphl"
fi
assert_lease "$iphl" ctr-hl eth0
timed "DEL of host-local's lease (index rebuilt)" cni DEL ctr-hl "$c3" eth0
assert_ok "brisk DEL of ctr-hl"
[ ! -e "$store/$iphl" ] || fail "brisk DEL left host-local's lease $iphl"

cni DEL ctr-s1 "$c1" eth0
assert_ok "DEL ctr-s1"
cni DEL ctr-s2 "$c2" eth0
assert_ok "DEL ctr-s2"
assert_eq "$(nleases)" "$N" "only the filler is left"
pass
