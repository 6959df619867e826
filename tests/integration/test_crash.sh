#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety: kill the plugin (SIGKILL) after each step of ADD and of DEL,
# then run DEL, and check that the lease store and the links are exactly as
# they were before the ADD. Needs a -Dfault_injection=true build: taken from
# BRISK_FAULT_BIN, or built here into build-fault.
set -euo pipefail
repo=${BRISK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${BRISK_FAULT_BIN:-}
if [ -z "$bin" ]; then
	dir="$repo/build-fault"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$repo" -Dfault_injection=true -Dtests=false >/dev/null
	fi
	ninja -C "$dir" brisk >/dev/null
	bin="$dir/brisk"
fi

pfx="bkc-$$-"
host="${pfx}host"
data=$(mktemp -d)
cleanup() {
	for ns in $(ip netns list | awk '{print $1}' | grep "^$pfx" || :); do
		ip netns del "$ns"
	done
	rm -rf "$data"
}
trap cleanup EXIT
ip netns add "$host"

# With masquerade, a host port and the MAC check, so that the firewall
# step runs too.
conf=$(jq -nc --arg d "$data" '{cniVersion:"1.0.0", name:"crashnet", type:"brisk",
	bridge:"brc0", isGateway:true, isDefaultGateway:true, ipMasq:true,
	macspoofchk:true, runtimeConfig:{portMappings:[{hostPort:8080, containerPort:80}]},
	ipam:{type:"host-local", dataDir:$d,
	      ranges:[[{subnet:"10.77.0.0/24"}],[{subnet:"fd77::/64"}]]}}')
keeper_conf=$(jq -c '.runtimeConfig.portMappings[0].hostPort = 8081' <<<"$conf")

cni() { # CMD ID NETNS [extra env...]
	local cmd=$1 id=$2 ns=$3
	shift 3
	ip netns exec "$host" env CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" \
		CNI_NETNS="$ns" CNI_IFNAME=eth0 "$@" "$bin" <<<"${cfg:-$conf}"
}

# What must come back after a crash and a DEL: leases, temp files, links,
# brisk's nftables elements and firewall records.
snapshot() {
	ip netns exec "$host" nft -j list ruleset | jq -c '[.nftables[] |
		(.set // .map // empty) | select(.table == "brisk") |
		{(.name): (.elem // [] | length)}] | add'
	ls -A "$data/.brisk/crashnet/fw" 2>/dev/null | tr '\n' ' '
	echo
	(cd "$data/crashnet" && ls -A | grep -v '^last_reserved_ip' | sort |
		while read -r f; do printf '%s=%s\n' "$f" "$(od -An -c "$f" | tr -s ' ')"; done)
	ip -n "$host" -j link show | jq -c '[.[] | .ifname] | sort'
	ip -n "$host" -j addr show dev brc0 | jq -c '[.[].addr_info[].local] | sort'
	ip -n "$1" -j link show | jq -c '[.[] | .ifname] | sort'
}

fail=0
# A first attachment makes the bridge and its gateway addresses, which DEL
# keeps by design, and a neighbour whose lease must survive everything.
ip netns add "${pfx}keep"
cfg=$keeper_conf cni ADD keeper "/var/run/netns/${pfx}keep" >/dev/null

add_points="add-checked add-ipam lease-tmp-written lease-linked add-bridge add-veth add-port add-link add-plan add-sysctls add-container add-gateway fw-record-written add-fw-record add-fw add-firewall"
del_points="del-fw del-ipam del-container-link"
n=0
for point in $add_points $del_points; do
	n=$((n + 1))
	c="${pfx}c$n"
	ip netns add "$c"
	before=$(snapshot "$c")
	if [[ $point == del-* ]]; then
		cni ADD "ctr$n" "/var/run/netns/$c" >/dev/null
		rc=0
		# Inside $( ): the shell does not report the kill on stderr.
		out=$(cni DEL "ctr$n" "/var/run/netns/$c" BRISK_FAULT="$point") || rc=$?
	else
		rc=0
		out=$(cni ADD "ctr$n" "/var/run/netns/$c" BRISK_FAULT="$point") || rc=$?
	fi
	if [ "$rc" -ne 137 ]; then
		echo "FAIL $point: expected a kill (137), got exit $rc: $out"
		fail=1
		continue
	fi
	cni DEL "ctr$n" "/var/run/netns/$c" >/dev/null
	after=$(snapshot "$c")
	if [ "$before" != "$after" ]; then
		echo "FAIL $point: state differs after crash + DEL"
		diff <(echo "$before") <(echo "$after") || :
		fail=1
	else
		echo "ok   $point: killed, DEL restored the state"
	fi
	ip netns del "$c"
done
# A kernel without NFT_MSG_DESTROYSETELEM (Linux < 6.3): DEL deletes, and
# element by element when some are gone already.
n=$((n + 1))
c="${pfx}c$n"
ip netns add "$c"
before=$(snapshot "$c")
a6=$(cni ADD "ctr$n" "/var/run/netns/$c" | jq -r '.ips[1].address | split("/")[0]')
ip netns exec "$host" nft delete element inet brisk masq6 "{ $a6 }" || fail=1
if cni DEL "ctr$n" "/var/run/netns/$c" BRISK_FAULT=no-destroy >/dev/null &&
	[ "$before" = "$(snapshot "$c")" ]; then
	echo "ok   no-destroy: DEL without DESTROYSETELEM, one element already gone"
else
	echo "FAIL no-destroy: DEL without DESTROYSETELEM"
	diff <(echo "$before") <(snapshot "$c") || :
	fail=1
fi
ip netns del "$c"
# The neighbour is untouched and still reachable through the bridge.
ip netns exec "${pfx}keep" ping -c1 -W2 10.77.0.1 >/dev/null
cfg=$keeper_conf cni DEL keeper "/var/run/netns/${pfx}keep" >/dev/null
left=$(cd "$data/crashnet" && ls -A | grep -v -e '^last_reserved_ip' -e '^lock$' || :)
if [ -n "$left" ]; then
	echo "FAIL: store not empty at the end: $left"
	fail=1
fi
echo "crash points injected: $n, failed: $fail"
exit $fail
