#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Failures, table-driven: each case runs one call that must fail with a CNI
# error object on stdout (the expected code, a non-empty msg naming the key
# where there is one) and must change nothing: no link added, removed or
# replaced in the host or container namespace, no container address, no
# lease (nor temporary) file in the store.
. "$(dirname "$0")/lib.sh"
setup err

C=$(mkns c1) || fail "mkns"
BASE=$(mkconf 1.0.0 dual)

# snapshot: the state no failing call may change.
snapshot()
{
	{
		ip -n "$HOST" -j link show
		ip -n "$C" -j link show
		ip -n "$C" -j addr show
	} | jq -sc '{
		host_links: [.[0][] | [.ifname, .ifindex, (.master // "")]] | sort,
		container_links: [.[1][] | [.ifname, .ifindex]] | sort,
		container_addrs: [.[2][] | .addr_info[] |
			select(.scope != "link" and .scope != "host") | .local] | sort
	}'
	# <dataDir>/.brisk is brisk's index: a hint that may be rebuilt at any
	# time, not state a failed call leaves behind.
	echo "store: $(find "$DATADIR" -path "$DATADIR/.brisk" -prune -o -type f ! -name lock ! -name 'last_reserved_ip.*' -print 2>/dev/null |
		sort | tr '\n' ' ')"
}

# errcase NAME CODE MSG-REGEX INPUT [VAR=VALUE | -VAR]...
# INPUT is a jq filter applied to $BASE, "raw:TEXT" or "file:PATH". The
# environment is ADD of ctr-err/eth0 in $C, changed by VAR=VALUE and with
# -VAR removed.
errcase()
{
	local code=$2 re=$3 input=$4 kv k before after
	local -A env=([CNI_COMMAND]=ADD [CNI_CONTAINERID]=ctr-err
		[CNI_NETNS]="$(nspath "$C")" [CNI_IFNAME]=eth0
		[CNI_PATH]=/usr/lib/cni)
	local -a envl=()

	CASE=$1
	step "$CASE"
	shift 4
	for kv in "$@"; do
		case "$kv" in
		-*) unset "env[${kv#-}]" ;;
		*) env[${kv%%=*}]=${kv#*=} ;;
		esac
	done
	for k in "${!env[@]}"; do
		envl+=("$k=${env[$k]}")
	done
	case "$input" in
	raw:*) printf '%s' "${input#raw:}" >"$TMPD/in" ;;
	file:*) cp "${input#file:}" "$TMPD/in" || fail "cp" ;;
	*) jq -c "$input" <<<"$BASE" >"$TMPD/in" || fail "bad jq filter $input" ;;
	esac
	before=$(snapshot)
	run_plugin "$BRISK" "${envl[@]}"
	assert_err "$code" "$re"
	after=$(snapshot)
	[ "$after" == "$before" ] ||
		fail "state changed by a failed call:$(diff <(echo "$before") <(echo "$after") | sed 's/^/\n    /')"
	CASE=""
}

# --- decoding
errcase "malformed JSON" 6 . 'raw:{"cniVersion": "1.0.0", "name": '
errcase "config is an array" 6 . 'raw:[{"cniVersion": "1.0.0"}]'
errcase "config is a string" 6 . 'raw:"bridge"'
errcase "empty stdin" 6 . 'raw:'
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' x >"$TMPD/pad" || fail "pad"
jq -c --rawfile pad "$TMPD/pad" '.pad = $pad' <<<"$BASE" >"$TMPD/huge" || fail "huge"
[ "$(stat -c %s "$TMPD/huge")" -gt $((2 * 1024 * 1024)) ] || fail "huge config too small"
errcase "2 MiB of stdin" 6 . "file:$TMPD/huge"

# --- config values
errcase "isGateway not a bool" 7 isGateway '.isGateway = "yes"'
errcase "cniVersion not a string" 7 cniVersion '.cniVersion = 1'
errcase "name missing" 7 name 'del(.name)'
errcase "name not a directory name" 7 name '.name = ".."'
errcase "ipam.dataDir relative" 7 dataDir '.ipam.dataDir = "relative/dir"'
errcase "mtu a string" 7 mtu '.mtu = "1500"'
errcase "mtu below IPv6's 1280 with an IPv6 range" 7 'mtu: 1000.*1280' '.mtu = 1000'
errcase "subnet not a prefix" 7 subnet '.ipam.ranges[0][0].subnet = "10.1.2.0/33"'
errcase "subnet not an address" 7 subnet '.ipam.ranges[0][0].subnet = "banana"'
errcase "subnet with host bits" 7 subnet '.ipam.ranges[0][0].subnet = "10.199.0.5/24"'
errcase "subnet IPv4-mapped IPv6" 7 'IPv4-mapped' '.ipam.ranges[1][0].subnet = "::ffff:10.199.0.0/120"'
errcase "rangeStart outside the subnet" 7 rangeStart '.ipam.ranges[0][0].rangeStart = "10.1.0.5"'
errcase "overlapping range sets" 7 overlap \
	'.ipam.ranges = [[{subnet: "10.199.0.0/24"}], [{subnet: "10.199.0.128/25"}]]'
errcase "unsupported cniVersion" 1 'cniVersion|9\.9\.9' '.cniVersion = "9.9.9"'
for v in 0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
	assert_jq ".details | contains(\"\\\"$v\\\"\")" "cniVersion 9.9.9: details list $v"
done
errcase "bridge name with a slash" 7 bridge '.bridge = "br/0"'
errcase "bridge name too long" 7 bridge '.bridge = "bridge-name-too-long"'
errcase "portmap's iptables-only key" 2 markMasqBit '.markMasqBit = 13'
errcase "ipMasqBackend unknown" 7 ipMasqBackend '.ipMasq = true | .ipMasqBackend = "pf"'
errcase "portMappings hostPort 0" 7 'portMappings\[0\]\.hostPort' \
	'.runtimeConfig.portMappings = [{hostPort: 0, containerPort: 80}]'
# The reference (Go) would read these as hairpinMode and subnet.
errcase "a key in another case" 7 'HairpinMode: .*write "hairpinMode"' '.HairpinMode = true'
errcase "an IPAM key in another case" 7 'ipam\.ranges\[0\]\[0\]\.Subnet' \
	'.ipam.ranges[0][0] |= (.Subnet = .subnet | del(.subnet))'

# --- environment
errcase "missing CNI_CONTAINERID" 4 CNI_CONTAINERID . -CNI_CONTAINERID
errcase "CNI_CONTAINERID a/b" 4 CNI_CONTAINERID . CNI_CONTAINERID=a/b
errcase "CNI_IFNAME eth/0" 4 CNI_IFNAME . CNI_IFNAME=eth/0
errcase "CNI_IFNAME of 16 bytes" 4 CNI_IFNAME . CNI_IFNAME=abcdefghijklmnop
errcase "CNI_NETNS nonexistent" 4 CNI_NETNS . CNI_NETNS="$(nspath "${PFX}nonexistent")"
: >"$TMPD/plain-file"
errcase "CNI_NETNS a regular file" 4 CNI_NETNS . CNI_NETNS="$TMPD/plain-file"
errcase "CNI_NETNS a directory" 4 CNI_NETNS . CNI_NETNS="$TMPD"
errcase "CNI_NETNS relative" 4 CNI_NETNS . CNI_NETNS="run/netns/$C"
errcase "CNI_NETNS the plugin's own namespace" 4 CNI_NETNS . CNI_NETNS=/proc/self/ns/net
errcase "missing CNI_IFNAME" 4 CNI_IFNAME . -CNI_IFNAME
errcase "DEL with CNI_CONTAINERID a/b" 4 CNI_CONTAINERID . CNI_COMMAND=DEL CNI_CONTAINERID=a/b
errcase "unknown CNI_COMMAND" 4 CNI_COMMAND . CNI_COMMAND=FROB
errcase "CHECK without prevResult" any prevResult . CNI_COMMAND=CHECK


# --- hostile names and paths (each must change nothing)
errcase "network name with a slash" 7 name '.name = "a/b"'
errcase "network name with a space" 7 name '.name = "a b"'
errcase "network name starting with a dot" 7 name '.name = ".hidden"'
errcase "network name of 200 bytes" 7 name ".name = \"$(printf 'n%.0s' $(seq 200))\""
errcase "bridge name .." 7 bridge '.bridge = ".."'
errcase "bridge name with a colon" 7 bridge '.bridge = "br:0"'
errcase "CNI_IFNAME .." 4 CNI_IFNAME . CNI_IFNAME=..
errcase "CNI_IFNAME with a colon" 4 CNI_IFNAME . CNI_IFNAME=eth:0
errcase "CNI_IFNAME with a space" 4 CNI_IFNAME . "CNI_IFNAME=eth 0"
errcase "CNI_CONTAINERID with a space" 4 CNI_CONTAINERID . "CNI_CONTAINERID=a b"
errcase "CNI_CONTAINERID starting with a dot" 4 CNI_CONTAINERID . CNI_CONTAINERID=..
errcase "CNI_CONTAINERID of 2000 bytes" 4 CNI_CONTAINERID . "CNI_CONTAINERID=$(printf 'c%.0s' $(seq 2000))"
errcase "ipam.type with a slash" 7 ipam.type '.ipam = {type: "../bin/sh"}'
errcase "ipam.ranges not an array" 7 ranges '.ipam.ranges = {}'
errcase "ipam.routes not an array" 7 routes '.ipam.routes = "0.0.0.0/0"'
errcase "route dst not a prefix" 7 dst '.ipam.routes = [{dst: "10.0.0.1"}]'
errcase "dns not an object" 7 dns '.dns = ["10.0.0.53"]'
errcase "mac not a MAC" 7 mac '.args = {cni: {mac: "zz:zz:zz:zz:zz:zz"}}'
errcase "vlan out of range" 7 vlan '.vlan = 5000'
errcase "portIsolation a string" 7 portIsolation '.portIsolation = "true"'
errcase "vlanTrunk id 0" 7 'vlanTrunk\[0\]\.id' '.vlanTrunk = [{id: 0}]'
errcase "vlanTrunk minID without maxID" 7 maxID '.vlanTrunk = [{minID: 5}]'
errcase "vlanTrunk minID above maxID" 7 minID '.vlanTrunk = [{minID: 9, maxID: 5}]'
errcase "vlanTrunk holding vlan" 7 'VLAN 7' '.vlan = 7 | .vlanTrunk = [{minID: 5, maxID: 9}]'
errcase "VLAN gateway name too long" 7 'bkbr0.4094|bridge-name' \
	'.bridge = "bridge-name12" | .vlan = 4094 | .isGateway = true'
# The reference's refusals, before anything is made.
errcase "hairpinMode with promiscMode" 7 'hairpinMode and promiscMode' \
	'.hairpinMode = true | .promiscMode = true'
errcase "disableContainerInterface with ipam" 7 disableContainerInterface \
	'.disableContainerInterface = true'
errcase "runtimeConfig.ipRanges not a list" 7 'runtimeConfig.ipRanges' \
	'.runtimeConfig = {ipRanges: {}}'
errcase "runtimeConfig.ipRanges overlapping ipam.ranges" 7 overlap \
	'.runtimeConfig = {ipRanges: [[{subnet: "10.199.0.0/25"}]]}'
errcase "prevResult not an object" 7 prevResult '.prevResult = []'
errcase "prevResult with a bad address" 7 'prevResult.ips\[0\]' \
	'.prevResult = {cniVersion: "1.0.0", ips: [{address: "banana"}]}'
errcase "requested address out of every range" 7 '10\.250\.0\.9' . CNI_ARGS=IP=10.250.0.9
errcase "requested address not an address" 7 . . CNI_ARGS=IP=banana
errcase "malformed CNI_ARGS" 4 CNI_ARGS . CNI_ARGS=garbage

step "setup: dataDir is a symlink"
mkdir -p "$TMPD/real-data"
ln -s "$TMPD/real-data" "$TMPD/link-data"
errcase "dataDir a symlink" any 'symlink|link-data' ".ipam.dataDir = \"$TMPD/link-data\""
step "setup: the network directory is a symlink"
mkdir -p "$DATADIR" "$TMPD/elsewhere"
ln -s "$TMPD/elsewhere" "$DATADIR/$(jq -r .name <<<"$BASE")-sym"
errcase "network directory a symlink" any 'symlink|-sym' ".name = \"$(jq -r .name <<<"$BASE")-sym\""
[ -z "$(ls -A "$TMPD/elsewhere")" ] || fail "something was written through the symlink"

# --- the world disagrees
step "setup: a veth holds the bridge's name"
ip -n "$HOST" link add bkveth0 type veth peer name bkveth0p || fail "veth"
errcase "bridge name taken by a veth" any 'bkveth0|bridge' '.bridge = "bkveth0"'
ip -n "$HOST" link del bkveth0 || fail "del veth"

step "setup: the container already has CNI_IFNAME"
ip -n "$C" link add eth9 type veth peer name eth9p || fail "veth in container"
errcase "CNI_IFNAME exists in the container" any eth9 . CNI_IFNAME=eth9
ip -n "$C" link del eth9 || fail "del eth9"

step "setup: a /30 with its one address taken"
C2=$(mkns c2) || fail "mkns"
tiny='.name = "tiny" | .ipam.ranges = [[{subnet: "10.198.0.0/30"}]]'
CONF=$(jq -c "$tiny" <<<"$BASE")
cni ADD ctr-first "$C2" eth0
assert_ok "first ADD on the /30"
assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" 10.198.0.2/30 "the one address of the /30"
errcase "exhausted range" any . "$tiny"
cni DEL ctr-first "$C2" eth0
assert_ok "DEL on the /30"
pass
