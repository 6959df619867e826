#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The lease store is shared with the reference host-local (run directly as
# the IPAM plugin, cniVersion 1.0.0): host-local releases brisk's lease,
# brisk skips host-local's lease and releases it, and each continues from
# the other's last_reserved_ip.0 (a bare address, no newline). A lease in
# host-local's oldest format (the container ID alone) is honoured too, and
# both can allocate and release at the same time (they share the lock).
. "$(dirname "$0")/lib.sh"
setup hloc
[ -x "$HOST_LOCAL" ] || skip "needs the reference host-local at $HOST_LOCAL"

c1=$(mkns c1) || fail "mkns"
c2=$(mkns c2) || fail "mkns"
net=${SUBNET4%.*/*}

# last_reserved IP: last_reserved_ip.0 holds exactly IP.
assert_last_reserved()
{
	local f

	f=$(lease_dir)/last_reserved_ip.0
	[ -f "$f" ] || fail "$f missing"
	assert_eq "$(od -An -c <"$f")" "$(printf '%s' "$1" | od -An -c)" "bytes of last_reserved_ip.0"
}

step "A: brisk allocates, host-local releases"
NET_NAME=interopa
CONF=$(mkconf 1.0.0 dual)
cni ADD ctr-a "$c1" eth0
assert_ok "brisk ADD"
assert_eq "$(jq -c '[.ips[].address]' <<<"$OUT")" "[\"$net.2/24\",\"$(fam_first v6)/64\"]" \
	"brisk's first addresses"
assert_lease "$net.2" ctr-a eth0
assert_lease "$(fam_first v6)" ctr-a eth0
assert_last_reserved "$net.2"
hostlocal DEL ctr-a "$c1" eth0
assert_ok "host-local DEL of brisk's lease"
assert_no_leases
cni DEL ctr-a "$c1" eth0
assert_ok "brisk DEL after host-local released the lease"
! link_exists "$c1" eth0 || fail "brisk DEL left eth0"

step "B: host-local allocates, brisk skips it and releases it"
NET_NAME=interopb
CONF=$(mkconf 1.0.0 v4)
hostlocal ADD ctr-h "$c2" eth0
assert_ok "host-local ADD"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$net.2/24" "host-local's first address"
assert_lease "$net.2" ctr-h eth0
cni ADD ctr-b "$c1" eth0
assert_ok "brisk ADD next to host-local's lease"
b=$(jq -r '.ips[0].address' <<<"$OUT")
assert_eq "$b" "$net.3/24" "brisk's address after host-local's"
assert_eq "$(addrs "$c1" eth0 inet)" "$net.3/24" "eth0's address"
assert_eq "$(leases | tr '\n' ' ')" "$net.2 $net.3 " "lease files"
assert_lease "$net.2" ctr-h eth0
assert_lease "$net.3" ctr-b eth0
cni DEL ctr-h "$c2" eth0
assert_ok "brisk DEL of host-local's container"
assert_eq "$(leases)" "$net.3" "leases after brisk released host-local's"
link_exists "$c1" eth0 || fail "DEL of host-local's container removed brisk's eth0"
cni DEL ctr-b "$c1" eth0
assert_ok "brisk DEL"
assert_no_leases

step "C: brisk honours host-local's last_reserved_ip.0, and the reverse"
NET_NAME=interopc
CONF=$(mkconf 1.0.0 v4)
mkdir -p "$(lease_dir)" || fail "mkdir"
printf '%s' "$net.50" >"$(lease_dir)/last_reserved_ip.0"
cni ADD ctr-c "$c1" eth0
assert_ok "brisk ADD after host-local's last_reserved_ip.0"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$net.51/24" "brisk's address after last reserved $net.50"
assert_last_reserved "$net.51"
hostlocal ADD ctr-h2 "$c2" eth0
assert_ok "host-local ADD after brisk's"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$net.52/24" "host-local's address after brisk's last reserved"
assert_last_reserved "$net.52"
hostlocal DEL ctr-h2 "$c2" eth0
assert_ok "host-local DEL"
cni DEL ctr-c "$c1" eth0
assert_ok "brisk DEL"
assert_no_leases

step "D: a lease in host-local's oldest format (container ID only)"
NET_NAME=interopd
CONF=$(mkconf 1.0.0 v4)
mkdir -p "$(lease_dir)" || fail "mkdir"
printf '%s' ctr-old >"$(lease_dir)/$net.2"
cni ADD ctr-new "$c1" eth0
assert_ok "brisk ADD next to an old-format lease"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$net.3/24" "brisk's address next to an old-format lease"
cni DEL ctr-old "$c2" eth0
assert_ok "brisk DEL of the old-format lease's container"
assert_eq "$(leases)" "$net.3" "leases after releasing the old-format one"
assert_lease "$net.3" ctr-new eth0
cni DEL ctr-new "$c1" eth0
assert_ok "brisk DEL"
assert_no_leases

step "E: brisk (as IPAM plugin) and host-local allocate concurrently"
NET_NAME=interope
N=32
mkconf 1.0.0 v4 '.type = "ptp" | del(.bridge, .isGateway, .isDefaultGateway)' >"$TMPD/conf-e"
mkdir "$TMPD/e" || fail "mkdir"
# mixed_job CMD I: brisk for even I, host-local for odd I on ADD, the other
# way round on DEL, so each releases what the other allocated.
mixed_job()
{
	local prog=$BRISK swap=0

	[ "$1" = DEL ] && swap=1
	[ $((($2 + swap) % 2)) = 1 ] && prog=$HOST_LOCAL
	_passenv
	ip netns exec "$HOST" env -i PATH="$PATH" "${PASSENV[@]}" CNI_COMMAND="$1" \
		CNI_CONTAINERID="ctr-mix-$2" CNI_NETNS="/run/netns/$C1" \
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$prog" <"$TMPD/conf-e" \
		>"$TMPD/e/$1-$2.out" 2>"$TMPD/e/$1-$2.err"
	echo $? >"$TMPD/e/$1-$2.rc"
}
export -f mixed_job _passenv
export HOST TMPD BRISK HOST_LOCAL
export C1=$c1
for cmd in ADD DEL; do
	seq 1 $((2 * N)) | xargs -P 16 -n 1 bash -c 'mixed_job "$0" "$1"' $cmd ||
		fail "xargs $cmd"
	for i in $(seq 1 $((2 * N))); do
		[ "$(cat "$TMPD/e/$cmd-$i.rc")" = 0 ] ||
			fail "$cmd $i failed: $(cat "$TMPD/e/$cmd-$i.out" "$TMPD/e/$cmd-$i.err")"
	done
	[ $cmd = DEL ] && break
	for i in $(seq 1 $((2 * N))); do
		a=$(jq -r '.ips[0].address' "$TMPD/e/ADD-$i.out") || fail "ADD $i: no address"
		assert_lease "${a%/*}" "ctr-mix-$i" eth0
		echo "$a"
	done >"$TMPD/e/addrs"
	assert_eq "$(sort -u "$TMPD/e/addrs" | wc -l)" $((2 * N)) "distinct addresses of $((2 * N)) concurrent ADDs"
	assert_eq "$(leases | wc -l)" $((2 * N)) "lease files after the concurrent ADDs"
done
assert_no_leases
pass
