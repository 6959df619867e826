#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GC (1.1.0) releases leases and host veths of attachments not in
# cni.dev/valid-attachments; STATUS reports 0 when an ADD could succeed
# and code 50 when a range set is full or the store is not writable.
. "$(dirname "$0")/lib.sh"
setup gcs ip jq
set -e
host=$HOST
tmp=$TMPD
pfx=$PFX
bin=$BRISK
fail=0
check() { # DESC COMMAND...
	local desc=$1
	shift
	if "$@"; then echo "ok   $desc"; else echo "FAIL $desc"; fail=1; fi
}
gcconf() { # VERSION SUBNET
	jq -nc --arg d "$tmp/data" --arg v "$1" --arg s "$2" '{cniVersion:$v,
		name:"gcnet", type:"brisk", bridge:"brg0", isGateway:true,
		ipam:{type:"host-local", dataDir:$d, ranges:[[{subnet:$s}]]}}'
}
cni() { # CMD ID CONF
	ip netns exec "$host" env CNI_COMMAND="$1" CNI_CONTAINERID="$2" \
		CNI_NETNS="/var/run/netns/${pfx}$2" CNI_IFNAME=eth0 "$bin" <<<"$3"
}
conf=$(gcconf 1.1.0 10.66.0.0/24)
for c in a b c; do
	ip netns add "${pfx}$c"
	cni ADD "$c" "$conf" >/dev/null
done
leases() { find "$tmp/data/gcnet" -mindepth 1 ! -name 'last_reserved_ip.*' ! -name lock | wc -l; }
ports() { ip -n "$host" -j link show master brg0 | jq length; }
check "three leases and ports after ADD" test "$(leases)/$(ports)" = 3/3

gc=$(jq -c '. + {"cni.dev/valid-attachments":[{containerID:"a",ifname:"eth0"},{containerID:"b",ifname:"eth0"}]}' <<<"$conf")
check "GC exits 0" cni GC "" "$gc"
check "GC released the stale lease only" test "$(leases)" = 2
check "GC removed the stale host veth" test "$(ports)" = 2
check "live containers keep their interface" ip -n "${pfx}a" link show eth0
check "the GC'd container lost its interface" bash -c "! ip -n ${pfx}c link show eth0 2>/dev/null"
old=$(jq -c '.cniVersion="1.0.0"' <<<"$gc")
out=$(cni GC "" "$old" || :)
check "GC before 1.1.0 is code 1" test "$(jq .code <<<"$out")" = 1
legacy=$(jq -c 'del(.["cni.dev/valid-attachments"]) + {"cni.dev/attachments":[{containerID:"a",ifname:"eth0"}]}' <<<"$conf")
check "GC with cni.dev/attachments" cni GC "" "$legacy"
check "... released b" test "$(leases)" = 1

# A container ID longer than anything a fixed buffer would hold: its host
# veth name is derived from all of it, and GC must find it all the same.
long=$(printf 'L%.0s' $(seq 300))
ip netns add "${pfx}long"
ip netns exec "$host" env CNI_COMMAND=ADD CNI_CONTAINERID="$long" \
	CNI_NETNS="/var/run/netns/${pfx}long" CNI_IFNAME=eth0 "$bin" <<<"$conf" >/dev/null
check "a 300-byte container ID attached" test "$(leases)/$(ports)" = 2/2
check "GC releases it" cni GC "" "$legacy"
check "... lease and host veth both gone" test "$(leases)/$(ports)" = 1/1

check "STATUS ok with free addresses" cni STATUS "" "$conf"
out=$(cni STATUS "" "$(gcconf 1.0.0 10.66.0.0/24)" || :)
check "STATUS before 1.1.0 is code 1" test "$(jq .code <<<"$out")" = 1
# A /30 holds one address besides the gateway: take it, then STATUS is 50.
small=$(gcconf 1.1.0 10.67.0.0/30 | jq -c '.name="small" | .bridge="brg1"')
ip netns add "${pfx}s"
cni ADD s "$small" >/dev/null
out=$(cni STATUS "" "$small" || :)
check "STATUS on a full range is code 50" test "$(jq .code <<<"$out")" = 50
check "... and says which range" grep -q 'ranges\[0\]' <<<"$(jq -r .msg <<<"$out")"
out=$(unshare -m bash -c "mount --bind -o ro '$tmp/data' '$tmp/data' &&
	ip netns exec '$host' env CNI_COMMAND=STATUS '$bin' <<<'$conf'" || :)
check "STATUS on a read-only store is code 50" test "$(jq .code <<<"$out")" = 50
# A delegated IPAM plugin gets GC and STATUS itself, and its answer is ours.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/fakeipam" <<FAKE
#!/bin/sh
cat >/dev/null
echo "\$CNI_COMMAND" >>"$tmp/calls"
if [ -e "$tmp/unavailable" ]; then
	echo '{"cniVersion":"1.1.0","code":50,"msg":"fake: no addresses left"}'
	exit 1
fi
FAKE
chmod +x "$tmp/bin/fakeipam"
deleg=$(jq -c '.ipam = {type: "fakeipam"} | .name = "deleg"' <<<"$conf")
dcni() { # CMD
	ip netns exec "$host" env CNI_COMMAND="$1" CNI_PATH="$tmp/bin" "$bin" <<<"$deleg"
}
check "GC with a delegated IPAM plugin" dcni GC
check "STATUS with a delegated IPAM plugin" dcni STATUS
check "... both reached the plugin" test "$(tr '\n' ' ' <"$tmp/calls")" = "GC STATUS "
touch "$tmp/unavailable"
out=$(dcni STATUS || :)
check "... and its code 50 is passed through" test "$(jq .code <<<"$out")" = 50
exit $fail
