# SPDX-License-Identifier: Apache-2.0
# Shared helpers for brisk's integration tests. A test starts with
#
#   . "$(dirname "$0")/lib.sh"
#   setup <short-name>
#
# and is run as `bash FILE` by root, with BRISK naming the plugin binary.
# Exit status: 0 pass, 77 skip, anything else fail.
#
# Every namespace a test makes is named "$PFX<name>" (PFX = bki-<pid>-<short>-)
# and the EXIT trap deletes all of them and the temporary directory, whatever
# happened. The plugin only ever runs inside the test's "host" namespace
# $HOST; the lease store is always under the temporary directory.

set -u -o pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LIB_DIR/../.." && pwd)
BRISK=${BRISK:-$REPO/build/brisk}
HOST_LOCAL=${HOST_LOCAL:-/usr/lib/cni/host-local}
TEST_NAME=$(basename "$0" .sh)

PFX=""
TMPD=""
HOST=""
# What the last plugin run printed and returned (see run_plugin).
OUT=""
ERR=""
RC=""
LAST_CMD=""
# The case being run, for tests made of many (shown by fail).
CASE=""
# Commands the cleanup runs first, newest first (see at_exit).
AT_EXIT=()

# Defaults for mkconf; a test may change them after setup.
NET_NAME=bkinet
BRIDGE=bkbr0
SUBNET4=10.199.0.0/24
GW4=10.199.0.1
SUBNET6=fd00:b1c::/64
GW6=fd00:b1c::1
DATADIR=""
CONF=""

# ---------------------------------------------------------------- reporting

skip()
{
	echo "SKIP: $TEST_NAME: $*" >&2
	exit 77
}

# fail MESSAGE: report, with the last plugin call, and stop the test.
fail()
{
	{
		echo "FAIL: $TEST_NAME: ${CASE:+[$CASE] }$*"
		if [ -n "$LAST_CMD" ]; then
			echo "  last call: $LAST_CMD"
			echo "  exit code: $RC"
			echo "  stdout:    $OUT"
			[ -n "$ERR" ] && echo "  stderr:    $ERR"
		fi
	} >&2
	exit 1
}

# Say what is being checked (shown only when BKI_VERBOSE is set).
step()
{
	[ -n "${BKI_VERBOSE:-}" ] && echo "-- $*" >&2
	return 0
}

pass()
{
	echo "PASS: $TEST_NAME (${SECONDS}s)"
	exit 0
}

# ---------------------------------------------------------------- set-up

# at_exit COMMAND: have the cleanup run COMMAND (a string, eval'ed) before
# it deletes the namespaces and the temporary directory; for what a test
# started that outlives a namespace (a daemon, a mount namespace).
at_exit()
{
	AT_EXIT+=("$1")
}

_cleanup()
{
	local rc=$? ns i

	trap - EXIT INT TERM
	for ((i = ${#AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${AT_EXIT[i]}"
	done
	if [ -n "$PFX" ]; then
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
			case "$ns" in
			"$PFX"*) ip netns delete "$ns" 2>/dev/null ;;
			esac
		done
	fi
	if [ -n "$TMPD" ] && [ -d "$TMPD" ]; then
		rm -rf -- "$TMPD"
	fi
	exit "$rc"
}

# setup SHORT [TOOL...]: check prerequisites (the TOOLs given, or the
# usual set), install the cleanup trap, make the temporary directory ($TMPD,
# $DATADIR) and the host namespace ($HOST).
setup()
{
	local short=$1 tool
	local -a tools=(ip bridge jq od diff ping mkfifo xargs)

	shift
	[ $# -gt 0 ] && tools=("$@")
	[ "$(id -u)" = 0 ] || skip "needs root"
	for tool in "${tools[@]}"; do
		command -v "$tool" >/dev/null 2>&1 || skip "needs $tool"
	done
	[ -x "$BRISK" ] || fail "BRISK=$BRISK is not an executable (build it first)"
	case "$BRISK" in
	/*) ;;
	*) BRISK=$(cd "$(dirname "$BRISK")" && pwd)/$(basename "$BRISK") ;;
	esac
	PFX="bki-$$-$short-"
	trap _cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	TMPD=$(mktemp -d "/tmp/bki-$$-$short.XXXXXX") || fail "mktemp"
	DATADIR=$TMPD/data
	HOST=$(mkns host) || fail "cannot create the host namespace"
	SECONDS=0
}

# mkns NAME: create namespace $PFX$NAME with lo up; prints its name.
mkns()
{
	local ns=$PFX$1

	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up || return 1
	echo "$ns"
}

# nspath NS: the bind-mount path the plugin gets as CNI_NETNS.
nspath()
{
	echo "/run/netns/$1"
}

# lose_netns NS: NS goes as a container's does when it dies without a DEL
# (its links, then its path), but the namespace itself lives on, held by an
# fd of this script, with no process in it. Its inode number is the
# identity brisk recorded: were it freed, the next namespace made anywhere
# on the machine could get it, and a process in that one would rightly make
# brisk judge the attachment live. Holding it keeps the judgement certain.
lose_netns()
{
	local fd link

	exec {fd}<"$(nspath "$1")" || return 1
	for link in $(ip -n "$1" -j link show | jq -r '.[].ifname'); do
		[ "$link" = lo ] || ip -n "$1" link delete "$link" || return 1
	done
	ip netns delete "$1"
}

# ---------------------------------------------------------------- running

# _passenv: PASSENV=(VAR=VALUE...) for the caller's sanitizer and log
# settings, which the plugin keeps in its otherwise wiped environment.
_passenv()
{
	local v

	PASSENV=()
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS BRISK_LOG; do
		[ -n "${!v+x}" ] && PASSENV+=("$v=${!v}")
	done
	return 0
}

# run_plugin PROGRAM [VAR=VALUE...]: run PROGRAM in $HOST with exactly
# these variables (plus PATH and _passenv's) and $TMPD/in on stdin. Sets
# OUT, ERR, RC.
run_plugin()
{
	local prog=$1

	shift
	LAST_CMD="$* $(basename "$prog")"
	_passenv
	ip netns exec "$HOST" env -i PATH="$PATH" "${PASSENV[@]}" "$@" "$prog" \
		<"$TMPD/in" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
	return 0
}

# Put the config for the next run in $TMPD/in: $CONF, or stdin when the
# variable CONF is unset.
_stage_input()
{
	if [ -n "${CONF+x}" ]; then
		printf '%s' "$CONF" >"$TMPD/in"
	else
		cat >"$TMPD/in"
	fi
}

# _cni_env CMD ID NETNS IFNAME [CNI_ARGS]: the CNI variables. NETNS is a
# namespace name (made a /run/netns path), an absolute path, or "" (unset
# value, as a runtime passes for a DEL without a namespace).
_cni_env()
{
	local netns=$3

	case "$netns" in
	"" | /*) ;;
	*) netns=$(nspath "$netns") ;;
	esac
	CNI_ENV=(CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$netns"
		CNI_IFNAME="$4" CNI_PATH=/usr/lib/cni)
	if [ $# -ge 5 ]; then
		CNI_ENV+=(CNI_ARGS="$5")
	fi
}

# cni CMD CONTAINER_ID NETNS IFNAME [CNI_ARGS]: run brisk in $HOST with the
# config in $CONF (stdin when CONF is unset). Sets OUT, ERR, RC; never fails
# by itself, so the caller asserts.
cni()
{
	_stage_input
	_cni_env "$@"
	run_plugin "$BRISK" "${CNI_ENV[@]}"
}

# hostlocal CMD CONTAINER_ID NETNS IFNAME: the reference host-local IPAM
# plugin run directly (as a main plugin would exec it), same conventions.
hostlocal()
{
	_stage_input
	_cni_env "$@"
	run_plugin "$HOST_LOCAL" "${CNI_ENV[@]}"
}

# ---------------------------------------------------------------- config

# mkconf VERSION FAMILY [JQ-FILTER]: a bridge config for cniVersion VERSION.
# FAMILY: v4, v6, dual (one range set each) or l2 ("ipam": {}). The filter
# edits the result (e.g. '.isGateway = false').
mkconf()
{
	local ver=$1 fam=$2 extra=${3:-.}

	jq -cn --arg ver "$ver" --arg fam "$fam" --arg name "$NET_NAME" \
		--arg br "$BRIDGE" --arg dd "$DATADIR" --arg s4 "$SUBNET4" \
		--arg s6 "$SUBNET6" '
		{
			cniVersion: $ver, name: $name, type: "bridge",
			bridge: $br, isGateway: true, isDefaultGateway: true,
			ipam: (if $fam == "l2" then {} else {
				type: "host-local", dataDir: $dd,
				ranges: ((if $fam == "v4" or $fam == "dual"
					  then [[{subnet: $s4}]] else [] end) +
					 (if $fam == "v6" or $fam == "dual"
					  then [[{subnet: $s6}]] else [] end))
			} end)
		} | '"$extra"
}

# with_prev JSON: $CONF with prevResult set to JSON (for CHECK).
with_prev()
{
	jq -c --argjson p "$1" '.prevResult = $p' <<<"$CONF"
}

# ---------------------------------------------------------------- assertions

assert_eq()
{
	[ "$1" == "$2" ] || fail "${3:-value}: got '$1', expected '$2'"
}

assert_ne()
{
	[ "$1" != "$2" ] || fail "${3:-value}: got '$1', expected anything else"
}

# assert_ok WHAT: the last run exited 0.
assert_ok()
{
	[ "$RC" = 0 ] || fail "${1:-plugin call} exited $RC, expected 0"
}

# assert_jq FILTER [WHAT] [JSON]: jq -e FILTER is true on JSON ($OUT).
assert_jq()
{
	local json=${3-$OUT}

	jq -e "$1" >/dev/null 2>&1 <<<"$json" ||
		fail "${2:-check} failed: jq '$1' on: $json"
}

# assert_err CODE [MSG-REGEX]: the last run failed with a CNI error object
# of that code ("any": any non-zero code) and a non-empty msg matching the
# (case-insensitive) regex.
assert_err()
{
	local code=$1 re=${2:-.}

	[ "$RC" != 0 ] || fail "expected failure with code $code, but it exited 0"
	jq -e 'type == "object"' >/dev/null 2>&1 <<<"$OUT" ||
		fail "expected a JSON error object on stdout"
	if [ "$code" = any ]; then
		assert_jq '(.code | type) == "number" and .code != 0' "non-zero error code"
	else
		assert_jq ".code == $code" "error code $code"
	fi
	assert_jq '(.msg | type) == "string" and (.msg | length) > 0' "non-empty msg"
	jq -e --arg re "$re" '.msg | test($re; "i")' >/dev/null <<<"$OUT" ||
		fail "error msg does not match /$re/"
}

# ---------------------------------------------------------------- kernel state

# link_exists NS DEV
link_exists()
{
	ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

# link_json NS DEV: the one link object (fails when missing).
link_json()
{
	ip -n "$1" -j -d link show dev "$2" 2>/dev/null | jq -ce '.[0]'
}

# link_names NS: every link name, sorted, one line.
link_names()
{
	ip -n "$1" -j link show | jq -r '[.[].ifname] | sort | join(" ")'
}

# ports NS BRIDGE: the names of BRIDGE's ports, sorted, one line.
ports()
{
	ip -n "$1" -j link show master "$2" | jq -r '[.[].ifname] | sort | join(" ")'
}

# addrs NS DEV FAMILY(inet|inet6) [SCOPE]: "addr/len" lines, sorted.
addrs()
{
	ip -n "$1" -j addr show dev "$2" |
		jq -r --arg f "$3" --arg s "${4:-}" '.[0].addr_info[] |
			select(.family == $f) |
			select($s == "" or .scope == $s) |
			"\(.local)/\(.prefixlen)"' | sort
}

# lease_dir: the network's directory of the lease store.
lease_dir()
{
	echo "$DATADIR/$NET_NAME"
}

# leases: the lease files (named by address), sorted, one per line.
leases()
{
	local d f

	d=$(lease_dir)
	[ -d "$d" ] || return 0
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		f=$(basename "$f")
		case "$f" in
		lock | last_reserved_ip.*) ;;
		*) echo "$f" ;;
		esac
	done | sort
}

# assert_lease IP ID IFNAME: the lease file of IP holds exactly
# "<ID>\r\n<IFNAME>", byte for byte (host-local's format).
assert_lease()
{
	local f want have

	f=$(lease_dir)/$1
	[ -f "$f" ] || fail "lease file $f missing"
	want=$(printf '%s\r\n%s' "$2" "$3" | od -An -c)
	have=$(od -An -c <"$f")
	[ "$have" == "$want" ] ||
		fail "lease $1: content is [$have], expected [$want]"
}

# assert_no_leases: no lease file left in the store.
assert_no_leases()
{
	local l

	l=$(leases)
	[ -z "$l" ] || fail "lease files left behind: $l"
}

# ---------------------------------------------------------------- scenarios

# fam_* FAMILY(v4|v6): the kernel's family name, gateway, prefix length and
# the first address host-local hands out in a fresh store.
fam_kernel() { [ "$1" = v4 ] && echo inet || echo inet6; }
fam_gw() { [ "$1" = v4 ] && echo "$GW4" || echo "$GW6"; }
fam_plen() { [ "$1" = v4 ] && echo "${SUBNET4#*/}" || echo "${SUBNET6#*/}"; }
fam_first()
{
	if [ "$1" = v4 ]; then
		echo "${SUBNET4%.*/*}.2"
	else
		echo "${SUBNET6%::/*}::2"
	fi
}
fam_default() { [ "$1" = v4 ] && echo 0.0.0.0/0 || echo ::/0; }

# verify_add RESULT NS IFNAME ID FAMILIES...: everything a successful ADD
# of a fresh store with isGateway/isDefaultGateway must have produced, in
# the result (1.0.0 shape) and in the kernel.
verify_add()
{
	local res=$1 ns=$2 ifname=$3 id=$4 f kf gw plen ip hveth cmac hmac bmac
	local have

	shift 4
	step "result interfaces"
	assert_jq '(.interfaces | length) == 3' "three interfaces" "$res"
	assert_eq "$(jq -r '.interfaces[0].name' <<<"$res")" "$BRIDGE" "interfaces[0].name"
	assert_jq '.interfaces[0] | has("sandbox") | not' "bridge has no sandbox" "$res"
	assert_jq '.interfaces[1] | has("sandbox") | not' "host veth has no sandbox" "$res"
	assert_eq "$(jq -r '.interfaces[2].name' <<<"$res")" "$ifname" "interfaces[2].name"
	assert_eq "$(jq -r '.interfaces[2].sandbox' <<<"$res")" "$(nspath "$ns")" "interfaces[2].sandbox"
	assert_jq '[.interfaces[].mac | test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")] | all and length == 3' \
		"every interface has a mac" "$res"
	hveth=$(jq -r '.interfaces[1].name' <<<"$res")
	cmac=$(jq -r '.interfaces[2].mac' <<<"$res")
	hmac=$(jq -r '.interfaces[1].mac' <<<"$res")
	bmac=$(jq -r '.interfaces[0].mac' <<<"$res")

	assert_jq "(.ips | length) == $#" "one ip per family" "$res"
	step "container interface in the kernel"
	link_exists "$ns" "$ifname" || fail "$ifname missing in $ns"
	have=$(link_json "$ns" "$ifname")
	assert_eq "$(jq -r .address <<<"$have")" "$cmac" "container MAC in the kernel"
	assert_jq '.flags | index("UP") and index("LOWER_UP")' "$ifname is UP with carrier" "$have"
	step "host veth"
	link_exists "$HOST" "$hveth" || fail "host veth $hveth missing"
	have=$(link_json "$HOST" "$hveth")
	assert_eq "$(jq -r '.master // ""' <<<"$have")" "$BRIDGE" "master of $hveth"
	assert_eq "$(jq -r .address <<<"$have")" "$hmac" "host veth MAC"
	assert_jq '.flags | index("UP")' "$hveth is UP" "$have"
	assert_eq "$(jq -r .linkinfo.info_kind <<<"$have")" veth "kind of $hveth"
	have=$(bridge -n "$HOST" -j link show dev "$hveth" 2>/dev/null) ||
		fail "bridge link show dev $hveth failed"
	assert_eq "$(jq -r '.[0] | "\(.master) \(.state)"' <<<"$have")" "$BRIDGE forwarding" \
		"bridge port $hveth: master and state"
	step "bridge"
	have=$(link_json "$HOST" "$BRIDGE") || fail "bridge $BRIDGE missing"
	assert_eq "$(jq -r .linkinfo.info_kind <<<"$have")" bridge "kind of $BRIDGE"
	assert_eq "$(jq -r .address <<<"$have")" "$bmac" "bridge MAC"
	assert_jq '.flags | index("UP")' "$BRIDGE is UP" "$have"

	for f in "$@"; do
		kf=$(fam_kernel "$f")
		gw=$(fam_gw "$f")
		plen=$(fam_plen "$f")
		ip=$(fam_first "$f")
		step "$f: result ips and routes"
		assert_eq "$(jq -c --arg a "$ip/$plen" '[.ips[] | select(.address == $a)] | length' <<<"$res")" 1 \
			"$f: ips[] holds $ip/$plen"
		assert_eq "$(jq -c --arg a "$ip/$plen" '.ips[] | select(.address == $a) | [.interface, .gateway]' <<<"$res")" \
			"[2,\"$gw\"]" "$f: ips[] interface and gateway"
		assert_eq "$(jq -c --arg d "$(fam_default "$f")" '[.routes[]? | select(.dst == $d) | .gw]' <<<"$res")" \
			"[\"$gw\"]" "$f: default route in the result"
		step "$f: kernel addresses and routes"
		assert_eq "$(addrs "$ns" "$ifname" "$kf" global)" "$ip/$plen" "$f: global addresses of $ifname"
		if [ "$f" = v4 ]; then
			have=$(ip -n "$ns" -j -4 route show default)
		else
			have=$(ip -n "$ns" -j -6 route show default)
		fi
		assert_eq "$(jq -r --arg d "$ifname" '[.[] | select(.dev == $d) | .gateway] | join(",")' <<<"$have")" \
			"$gw" "$f: default route of $ns"
		assert_eq "$(addrs "$HOST" "$BRIDGE" "$kf" global)" "$gw/$plen" "$f: gateway address on $BRIDGE"
		step "$f: lease file"
		assert_lease "$ip" "$id" "$ifname"
		step "$f: ping $gw"
		ip netns exec "$ns" ping -n -c 1 -W 2 "$gw" >/dev/null 2>&1 ||
			fail "$f: ping from $ns to gateway $gw failed right after ADD"
	done
}

# add_del_scenario CONF-FAMILY FAMILIES...: ADD into a fresh namespace,
# verify it (verify_add), CHECK with ADD's result, DEL, verify the DEL.
add_del_scenario()
{
	local conf_fam=$1 c res hveth

	shift
	c=$(mkns c1) || fail "cannot create the container namespace"
	CONF=$(mkconf 1.0.0 "$conf_fam")
	step "ADD"
	cni ADD ctr-1 "$c" eth0
	assert_ok "ADD"
	res=$OUT
	assert_jq '.cniVersion == "1.0.0"' "result cniVersion"
	verify_add "$res" "$c" eth0 ctr-1 "$@"
	hveth=$(jq -r '.interfaces[1].name' <<<"$res")

	step "CHECK with ADD's result"
	CONF=$(with_prev "$res")
	cni CHECK ctr-1 "$c" eth0
	assert_ok "CHECK with prevResult = ADD's result"
	assert_eq "$OUT" "" "CHECK stdout"

	step "DEL"
	CONF=$(mkconf 1.0.0 "$conf_fam")
	cni DEL ctr-1 "$c" eth0
	assert_ok "DEL"
	assert_eq "$OUT" "" "DEL stdout"
	! link_exists "$c" eth0 || fail "DEL left eth0 in $c"
	! link_exists "$HOST" "$hveth" || fail "DEL left host veth $hveth"
	assert_no_leases
	link_exists "$HOST" "$BRIDGE" || fail "DEL removed the bridge $BRIDGE"
	assert_eq "$(ports "$HOST" "$BRIDGE")" "" "ports of $BRIDGE after DEL"
}

# gateway_flags_scenario CONF-FAMILY FAMILIES...: isGateway and
# isDefaultGateway decide the bridge's address and the default route. Each
# variant gets its own host namespace (same subnet) and network name.
gateway_flags_scenario()
{
	local conf_fam=$1 c variant f kf gw plen want_gw want_route have res
	local saved_host=$HOST saved_net=$NET_NAME

	shift
	c=$(mkns cflags) || fail "mkns"
	for variant in "gw-only:true:false" "none:false:false" "default-only:false:true"; do
		HOST=$(mkns "h-${variant%%:*}") || fail "mkns"
		NET_NAME=flags-${variant%%:*}
		CASE="isGateway/isDefaultGateway ${variant#*:}"
		step "$CASE"
		CONF=$(mkconf 1.0.0 "$conf_fam" \
			".isGateway = $(cut -d: -f2 <<<"$variant") |
			 .isDefaultGateway = $(cut -d: -f3 <<<"$variant")")
		cni ADD ctr-flags "$c" eth0
		assert_ok "ADD"
		res=$OUT
		# isDefaultGateway implies isGateway, as in the reference.
		want_gw=$([ "$variant" = "none:false:false" ] && echo no || echo yes)
		want_route=$([ "${variant##*:}" = true ] && echo yes || echo no)
		for f in "$@"; do
			kf=$(fam_kernel "$f")
			gw=$(fam_gw "$f")
			plen=$(fam_plen "$f")
			have=$(addrs "$HOST" "$BRIDGE" "$kf" global)
			if [ "$want_gw" = yes ]; then
				assert_eq "$have" "$gw/$plen" "$f: gateway address on $BRIDGE"
				ip netns exec "$c" ping -n -c 1 -W 2 "$gw" >/dev/null 2>&1 ||
					fail "$f: ping from the container to $gw failed"
			else
				assert_eq "$have" "" "$f: global addresses on $BRIDGE"
			fi
			if [ "$f" = v4 ]; then
				have=$(ip -n "$c" -j -4 route show default)
			else
				have=$(ip -n "$c" -j -6 route show default)
			fi
			have=$(jq -r '[.[].gateway] | join(",")' <<<"$have")
			if [ "$want_route" = yes ]; then
				assert_eq "$have" "$gw" "$f: default route in the container"
				assert_eq "$(jq -c --arg d "$(fam_default "$f")" \
					'[.routes[]? | select(.dst == $d) | .gw]' <<<"$res")" \
					"[\"$gw\"]" "$f: default route in the result"
			else
				assert_eq "$have" "" "$f: default route in the container"
				assert_eq "$(jq -c --arg d "$(fam_default "$f")" \
					'[.routes[]? | select(.dst == $d)] | length' <<<"$res")" \
					0 "$f: default route in the result"
			fi
		done
		cni DEL ctr-flags "$c" eth0
		assert_ok "DEL"
		assert_no_leases
		ip netns delete "$HOST" || fail "cannot delete $HOST"
	done
	CASE=""
	HOST=$saved_host
	NET_NAME=$saved_net
}

# state_snapshot NS...: what a failed call must not change: the links of
# $HOST and of each NS (name, index, master), their global addresses, and
# the store's files (not the hints that may change at any time: brisk's
# index and last_reserved_ip.N, which host-local too leaves moved by an
# ADD that failed; nor the lock).
state_snapshot()
{
	local ns

	for ns in "$HOST" "$@"; do
		echo "== $ns"
		ip -n "$ns" -j addr show | jq -c '[.[] | [.ifname, .ifindex,
			(.master // ""), ([.addr_info[]? | select(.scope == "global") |
			.local] | sort)]] | sort'
	done
	find "$DATADIR" -path "$DATADIR/.brisk" -prune -o -type f ! -name lock \
		! -name 'last_reserved_ip.*' -print 2>/dev/null | sort
	# brisk's firewall: its records, and the elements of its tables.
	find "$DATADIR"/.brisk/*/fw -type f 2>/dev/null | sort
	echo "nftables elements: $(nft_total)"
}

# assert_unchanged BEFORE NS...: state_snapshot NS... equals BEFORE.
assert_unchanged()
{
	local before=$1 after

	shift
	after=$(state_snapshot "$@")
	[ "$after" == "$before" ] ||
		fail "state changed by a failed call:$(diff <(echo "$before") <(echo "$after") | sed 's/^/\n    /')"
}

# ---------------------------------------------------------------- firewall

# uplink [SUFFIX]: an "outside" namespace $OUTSIDE (named outside<SUFFIX>)
# behind the veth up0 of $HOST, with documentation addresses: the host is
# 192.0.2.1 and 2001:db8::1, the outside 192.0.2.2 and 2001:db8::2. The
# outside has no route to the containers (only masqueraded traffic gets
# answers) unless a test adds one.
uplink()
{
	OUTSIDE=$(mkns "outside${1:-}") || fail "mkns outside"
	ip -n "$HOST" link add up0 type veth peer name up0 netns "$OUTSIDE" &&
		ip -n "$HOST" addr add 192.0.2.1/24 dev up0 &&
		ip -n "$HOST" addr add 2001:db8::1/64 dev up0 nodad &&
		ip -n "$HOST" link set up0 up &&
		ip -n "$OUTSIDE" addr add 192.0.2.2/24 dev up0 &&
		ip -n "$OUTSIDE" addr add 2001:db8::2/64 dev up0 nodad &&
		ip -n "$OUTSIDE" link set up0 up || fail "uplink"
}

# bg NS CMD...: run CMD in namespace NS in the background; the cleanup
# kills it (by process id) before the namespaces go. Sets BG_PID.
bg()
{
	local ns=$1

	shift
	# A process group of its own, killed whole: socat's SYSTEM: shell (or
	# any child) would otherwise outlive the test and keep its namespace.
	setsid ip netns exec "$ns" "$@" </dev/null >/dev/null 2>&1 &
	BG_PID=$!
	at_exit "kill -- -$BG_PID 2>/dev/null"
}

# The socat servers here and their clients (fetch) wait 5 s (-t5) once one
# side has ended, not socat's 0.5 s: a client's input ends at once, so an
# answer that took longer (a fork and a shell on a loaded machine) was lost
# on both ends. The wait ends as soon as the answer is out.

# _server NS PORT tcp|udp CMD: a forking socat server on PORT in NS (both
# families) whose answer to each connection or datagram is what the shell
# command CMD prints. TCP listens with a backlog of 128: socat's 5 would
# lose some of the connections a test makes at once.
_server()
{
	local kind=TCP6 opt=,backlog=128

	[ "$3" = udp ] && kind=UDP6 opt=
	bg "$1" socat -t5 "$kind-LISTEN:$2,fork,reuseaddr,ipv6only=0$opt" "SYSTEM:$4"
	wait_listen "$1" "$2" "$3"
}

# serve NS PORT WORD: a TCP server answering WORD.
serve()
{
	_server "$1" "$2" tcp "echo $3"
}

# serve_peer NS PORT [udp]: a TCP server on PORT in NS that answers each
# connection with the address it came from, in socat's long IPv6 form
# ([0000:0000:0000:0000:0000:ffff:0ac7:0001] is 10.199.0.1); with udp, a
# UDP one too.
serve_peer()
{
	# shellcheck disable=SC2016 # expanded by socat's shell, per connection
	_server "$1" "$2" tcp 'echo $SOCAT_PEERADDR'
	[ "${3:-}" = udp ] || return 0
	# shellcheck disable=SC2016
	_server "$1" "$2" udp 'echo $SOCAT_PEERADDR'
}

# wait_listen NS PORT tcp|udp: until something listens there (2 s).
wait_listen()
{
	local i opt=-ltn

	[ "$3" = udp ] && opt=-lun
	for i in $(seq 1 40); do
		ip netns exec "$1" ss -H "$opt" "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	fail "nothing listens on $3 port $2 in $1"
}

# fetch NS ADDR PORT: what a TCP connection from NS to ADDR:PORT reads
# ("" when it is not made within 3 s, or its answer is slower than 5 s).
fetch()
{
	local a=$2

	case "$a" in *:*) a="[$a]" ;; esac
	ip netns exec "$1" timeout 10 socat -T5 -t5 - "TCP:$a:$3,connect-timeout=3" </dev/null 2>/dev/null
}

# nft_elems FAMILY SET: the number of elements of set SET in brisk's table
# of FAMILY (inet or bridge) in $HOST; 0 when the table or set is absent.
nft_elems()
{
	local kind=set

	case "$2" in hp*[46]) [ "${2#hpnat}" = "$2" ] && kind=map ;; esac
	ip netns exec "$HOST" nft -j list "$kind" "$1" brisk "$2" 2>/dev/null |
		jq '[.nftables[] | (.set // .map // empty) | .elem // [] | length] |
			add // 0'
}

# nft_total: the number of elements in all of brisk's sets in $HOST.
nft_total()
{
	ip netns exec "$HOST" nft -j list ruleset 2>/dev/null |
		jq '[.nftables[] | (.set // .map // empty) | select(.table == "brisk") |
			.elem // [] | length] | add // 0'
}

# fw_records: the firewall records of $NET_NAME, one name per line.
fw_records()
{
	local d=$DATADIR/.brisk/$NET_NAME/fw

	[ -d "$d" ] && ls -A "$d"
	return 0
}
