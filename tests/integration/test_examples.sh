#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every example in conf/ through ADD, CHECK and DEL, as a runtime runs it:
# a conflist plugin by plugin the way libcni does (the list's name and
# cniVersion injected, each ADD result the next plugin's prevResult, CHECK
# and DEL with the final result, DEL in reverse), with the reference
# plugins from /usr/lib/cni after brisk; macvlan with brisk as its IPAM on a
# veth parent; containerd's CRI conf_template rendered for a node's pod
# CIDRs as containerd renders it. The container must hold its addresses and
# reach its gateways; DEL must leave no lease and no link. Only dataDir is
# changed (to a temporary directory), and the parent link of macvlan.
#
# A runtime fills in runtimeConfig for the capabilities an entry declares:
# here brisk's entry gets portMappings (a host port, 18080 to 80) when it
# declares that capability, and the port must then lead to the container.
# (The reference plugins' runtime arguments are not brisk's to test.)
#
# containerd's and podman's default networks set "ipMasq": true: the test
# checks that their container reaches an "outside" namespace that has no
# route back to the pod network, which only masquerade makes possible.
. "$(dirname "$0")/lib.sh"

setup examples ip jq ping perl nft socat ss
CNI_BIN=${CNI_BIN:-/usr/lib/cni}
for p in portmap firewall tuning bandwidth macvlan; do
	[ -x "$CNI_BIN/$p" ] || skip "needs the reference $p plugin in $CNI_BIN"
done
command -v iptables >/dev/null || skip "needs iptables (for the reference firewall and portmap)"
RUNTIME='{"portMappings": [{"hostPort": 18080, "containerPort": 80, "protocol": "tcp"}]}'
PLUGDIR=$TMPD/cni-bin
mkdir -p "$PLUGDIR"
ln -s "$BRISK" "$PLUGDIR/brisk"
for p in "$CNI_BIN"/*; do
	[ "$(basename "$p")" = brisk ] || ln -s "$p" "$PLUGDIR/"
done
EX=$REPO/conf

# plugin_exec CMD TYPE CONF ID NETNS IFNAME: one plugin, as libcni execs it,
# in $HOST. Sets OUT, ERR, RC.
plugin_exec()
{
	local prog=$PLUGDIR/$2 netns=

	[ -n "$5" ] && netns=$(nspath "$5")
	printf '%s' "$3" >"$TMPD/in"
	run_plugin "$prog" CNI_COMMAND="$1" CNI_CONTAINERID="$4" CNI_NETNS="$netns" \
		CNI_IFNAME="$6" CNI_PATH="$PLUGDIR"
}

# chain CMD LIST ID NETNS IFNAME: run a conflist. ADD leaves the final
# result in $TMPD/result; CHECK and DEL pass it as prevResult. Returns 1
# naming the failed plugin in FAILED.
chain()
{
	local cmd=$1 list=$2 n i idx conf type prev=null

	n=$(jq '.plugins | length' <<<"$list")
	[ "$cmd" = ADD ] || prev=$(cat "$TMPD/result")
	for ((i = 0; i < n; i++)); do
		idx=$i
		[ "$cmd" = DEL ] && idx=$((n - 1 - i))
		conf=$(jq -c --argjson i "$idx" --argjson prev "$prev" --argjson rt "$RUNTIME" '
			.plugins[$i] + {name: .name, cniVersion: .cniVersion} +
			(if $prev == null then {} else {prevResult: $prev} end) |
			if .type == "brisk" and .capabilities.portMappings == true
			then .runtimeConfig.portMappings = $rt.portMappings else . end' <<<"$list")
		type=$(jq -r .type <<<"$conf")
		# The reference bandwidth plugin (1.1.1) dereferences a missing
		# bandwidth setting in CHECK and crashes: not brisk's to test.
		if [ "$cmd" = CHECK ] && [ "$type" = bandwidth ] &&
			! jq -e '.runtimeConfig.bandwidth' >/dev/null <<<"$conf"; then
			continue
		fi
		plugin_exec "$cmd" "$type" "$conf" "$3" "$4" "$5"
		if [ "$RC" != 0 ]; then
			FAILED="plugins[$idx] ($type)"
			return 1
		fi
		[ "$cmd" = ADD ] && prev=$OUT
	done
	[ "$cmd" = ADD ] && printf '%s' "$prev" >"$TMPD/result"
	return 0
}

# single CMD CONF ID NETNS IFNAME: run a plain config (its type's binary).
single()
{
	local conf=$2

	[ "$1" = ADD ] || conf=$(jq -c --slurpfile p "$TMPD/result" '.prevResult = $p[0]' <<<"$conf")
	plugin_exec "$1" "$(jq -r .type <<<"$conf")" "$conf" "$3" "$4" "$5"
	[ "$RC" = 0 ] || { FAILED=$(jq -r .type <<<"$conf"); return 1; }
	[ "$1" = ADD ] && printf '%s' "$OUT" >"$TMPD/result"
	return 0
}

# run_example CMD CONF ID NETNS IFNAME: chain or single, by the document.
run_example()
{
	if jq -e 'has("plugins")' >/dev/null <<<"$2"; then
		chain "$@"
	else
		single "$@"
	fi
}

# localize CONF: the example with dataDir under $DATADIR wherever brisk's
# IPAM is the built-in one.
localize()
{
	jq -c --arg dd "$DATADIR" '
		def fix: if (.ipam.type // "") | test("^(host-local|brisk)$")
			 then .ipam.dataDir = $dd else . end;
		if has("plugins") then .plugins |= map(fix) else fix end' <<<"$1"
}

# brisk_entry CONF: the entry of a list (or the config) brisk serves.
brisk_entry()
{
	jq -c 'if has("plugins") then .plugins[0] else . end' <<<"$1"
}

# verify_attached NS IFNAME: the final result's addresses are on IFNAME in
# NS, and each gateway answers a ping.
verify_attached()
{
	local res a gw fam have

	res=$(cat "$TMPD/result")
	link_exists "$1" "$2" || fail "$2 missing in $1"
	# brisk as the main plugin: its host veth is a port of its bridge.
	if jq -e '(.interfaces | length) >= 3 and
		(.interfaces[0] | has("sandbox") | not)' >/dev/null <<<"$res"; then
		have=$(ports "$HOST" "$(jq -r '.interfaces[0].name' <<<"$res")")
		grep -qw -- "$(jq -r '.interfaces[1].name' <<<"$res")" <<<"$have" ||
			fail "the host veth is not a port of the bridge: $have"
	fi
	have=$(ip -n "$1" -o addr show dev "$2")
	for a in $(jq -r '.ips[]?.address' <<<"$res"); do
		grep -qF " $a " <<<"$have" || fail "$a is not on $2 in $1: $have"
	done
	for gw in $(jq -r '.ips[]? | .gateway // empty' <<<"$res"); do
		fam=-4
		[[ "$gw" == *:* ]] && fam=-6
		ip netns exec "$1" ping "$fam" -n -c 1 -W 3 "$gw" >/dev/null 2>&1 ||
			fail "no answer from the gateway $gw"
	done
}

# masq_check NS: a namespace "outside", reachable from $HOST only, with no
# route back to the pods: the container's ping arrives only if masqueraded.
masq_check()
{
	local out

	out=$(mkns "out$RANDOM") || fail "mkns outside"
	ip -n "$HOST" link add up0 type veth peer name eth0 netns "$out" ||
		fail "uplink veth"
	ip -n "$HOST" addr add 192.0.2.1/24 dev up0
	ip -n "$HOST" link set up0 up
	ip -n "$out" addr add 192.0.2.2/24 dev eth0
	ip -n "$out" link set eth0 up
	ip netns exec "$1" ping -4 -n -c 2 -W 3 192.0.2.2 >/dev/null 2>&1 ||
		fail "ipMasq: the outside namespace did not answer (not masqueraded?)"
	ip netns delete "$out"
}

# hostport_check NS: with brisk's portMappings capability, a server in the
# container on port 80 answers the node on its gateway address, port 18080.
hostport_check()
{
	local gw got i

	gw=$(jq -r '[.ips[] | select(.address | contains(".")) | .gateway][0]' "$TMPD/result")
	ip netns exec "$1" socat -t5 TCP4-LISTEN:80,reuseaddr SYSTEM:'echo mapped' </dev/null >/dev/null 2>&1 &
	at_exit "kill $! 2>/dev/null"
	for i in $(seq 1 40); do
		ip netns exec "$1" ss -H -ltn 'sport = :80' | grep -q . && break
		sleep 0.05
	done
	got=$(ip netns exec "$HOST" timeout 10 socat -T5 -t5 - "TCP:$gw:18080,connect-timeout=3" </dev/null 2>/dev/null)
	assert_eq "$got" mapped "the host port 18080 through brisk"
}

# example NAME CONF [IFNAME]: the whole round for one example.
example()
{
	local name=$1 conf ifname=${3:-eth0} c id masq=no vrc

	CASE=$name
	step "$name"
	RAN+=("${name%% *}")
	NEX=$((NEX + 1))
	HOST=$(mkns "h$NEX") || fail "mkns host"
	conf=$(localize "$2")
	c=$(mkns "c$NEX") || fail "mkns container"
	id=ctr-ex-$NEX
	printf '%s' "$conf" >"$TMPD/vin"
	ip netns exec "$HOST" "$BRISK" validate <"$TMPD/vin" >"$TMPD/vout" 2>/dev/null
	vrc=$?
	run_example ADD "$conf" "$id" "$c" "$ifname" || fail "ADD failed at $FAILED: $OUT"
	jq -e '.ipMasq == true' >/dev/null <<<"$(brisk_entry "$conf")" && masq=yes
	# validate agrees with ADD: it accepts what ADD accepted.
	assert_eq "$vrc" 0 "validate of $name"
	verify_attached "$c" "$ifname"
	[ "$masq" = yes ] && masq_check "$c"
	if jq -e '.capabilities.portMappings == true' >/dev/null <<<"$(brisk_entry "$conf")"; then
		hostport_check "$c"
	fi
	run_example CHECK "$conf" "$id" "$c" "$ifname" || fail "CHECK failed at $FAILED"
	run_example DEL "$conf" "$id" "$c" "$ifname" || fail "DEL failed at $FAILED"
	! link_exists "$c" "$ifname" || fail "DEL left $ifname in the container"
	assert_eq "$(find "$DATADIR" -mindepth 2 -maxdepth 2 -type f ! -name lock \
		! -name 'last_reserved_ip.*' ! -path '*/.brisk/*' 2>/dev/null)" "" "leases after DEL"
	assert_eq "$(nft_total)" 0 "brisk's nftables elements after DEL"
	run_example DEL "$conf" "$id" "$c" "$ifname" || fail "a second DEL failed at $FAILED"
	ip netns delete "$c"
	ip netns delete "$HOST"
	CASE=""
}

# render TEMPLATE PODCIDRS: a conf_template filled as containerd's CRI
# plugin fills it: PodCIDR is the first of the comma-separated CIDRs,
# PodCIDRRanges all of them, Routes 0.0.0.0/0 and/or ::/0 by family.
# Handles the constructs containerd's documented templates use; anything
# else left in braces fails the test.
render()
{
	local routes=()

	[[ "$2" == *.*.*.*/* ]] && routes+=(0.0.0.0/0)
	[[ "$2" == *:* ]] && routes+=(::/0)
	CIDRS=$2 ROUTES=$(
		IFS=,
		echo "${routes[*]}"
	) perl -0777 -pe '
		my @cidrs = map { s/^\s+|\s+$//gr } split /,/, $ENV{CIDRS};
		my %list = (PodCIDRRanges => [@cidrs],
			    Routes => [split /,/, $ENV{ROUTES}]);
		s/\{\{if \$(\w+)\}\}(.*?)\{\{end\}\}/\x01$1\x02$2\x03/gs;
		s{\{\{range \$(\w+), \$(\w+) := \.(\w+)\}\}(.*?)\{\{end\}\}}{
			my ($iv, $xv, $f, $body) = ($1, $2, $3, $4);
			my @v = @{$list{$f} // die "unknown field $f\n"};
			join "", map {
				my $i = $_;
				my $b = $body;
				$b =~ s/\x01\Q$iv\E\x02(.*?)\x03/$i ? $1 : ""/ges;
				$b =~ s/\{\{\$\Q$xv\E\}\}/$v[$i]/g;
				$b
			} 0 .. $#v
		}gse;
		s/\{\{\.PodCIDR\}\}/$cidrs[0]/g;
		die "unrendered template construct\n" if /\{\{|\x01/;
	' "$1"
}

NEX=0
RAN=()
example "conf/10-brisk.conflist" "$(cat "$EX/10-brisk.conflist")"
example "conf/10-containerd-net.conflist" "$(cat "$EX/10-containerd-net.conflist")"
example "conf/20-brisk-hostports.conflist" "$(cat "$EX/20-brisk-hostports.conflist")"
example "conf/87-podman-bridge.conflist" "$(cat "$EX/87-podman-bridge.conflist")"
example "conf/kubernetes.conflist" "$(cat "$EX/kubernetes.conflist")"
example "conf/bridge-ipv4.conf" "$(cat "$EX/bridge-ipv4.conf")"
example "conf/dual-stack.conf" "$(cat "$EX/dual-stack.conf")"

example "conf/l2-only.conf" "$(cat "$EX/l2-only.conf")"

step "conf/ipam-only.conf: macvlan on a veth parent, brisk as its IPAM"
CASE="conf/ipam-only.conf"
# Two containers on one parent in bridge mode reach each other.
conf=$(jq -c --arg m "bkmv$$" '.master = $m' "$EX/ipam-only.conf")
HOST=$(mkns hmv) || fail "mkns"
ip -n "$HOST" link add "bkmv$$" type veth peer name "bkmp$$" || fail "parent veth"
ip -n "$HOST" link set "bkmv$$" up
ip -n "$HOST" link set "bkmp$$" up
# The far end of the parent plays the network's router (its gateway).
ip -n "$HOST" addr add 192.168.50.1/24 dev "bkmp$$" || fail "gateway address"
conf=$(localize "$conf")
m1=$(mkns m1) || fail "mkns"
m2=$(mkns m2) || fail "mkns"
single ADD "$conf" ctr-mv-2 "$m2" eth0 || fail "ADD (m2) failed at $FAILED"
res2=$(cat "$TMPD/result")
single ADD "$conf" ctr-mv-1 "$m1" eth0 || fail "ADD failed at $FAILED"
assert_eq "$(jq -r '.ips | length' "$TMPD/result")" 1 "addresses of the macvlan container"
verify_attached "$m1" eth0
NET_NAME=macvlan-net
assert_lease "$(jq -r '.ips[0].address | split("/")[0]' "$TMPD/result")" ctr-mv-1 eth0
ip netns exec "$m1" ping -n -c 1 -W 3 "$(jq -r '.ips[0].address | split("/")[0]' <<<"$res2")" \
	>/dev/null 2>&1 || fail "the two macvlan containers do not reach each other"
single CHECK "$conf" ctr-mv-1 "$m1" eth0 || fail "CHECK failed at $FAILED"
single DEL "$conf" ctr-mv-1 "$m1" eth0 || fail "DEL failed at $FAILED"
printf '%s' "$res2" >"$TMPD/result"
single DEL "$conf" ctr-mv-2 "$m2" eth0 || fail "DEL (m2) failed at $FAILED"
! link_exists "$m1" eth0 || fail "DEL left the macvlan link"
assert_eq "$(find "$DATADIR/macvlan-net" -type f ! -name lock ! -name 'last_reserved_ip.*')" "" \
	"leases after DEL"
CASE=""
RAN+=(conf/ipam-only.conf)

step "conf/containerd-cni.conflist.tmpl: rendered for a node's pod CIDRs"
tmpl=$EX/containerd-cni.conflist.tmpl
r=$(render "$tmpl" "10.244.3.0/24") || fail "render (IPv4)"
jq -e '.plugins[0].ipam.ranges == [[{subnet: "10.244.3.0/24"}]] and
	.plugins[0].ipam.routes == [{dst: "0.0.0.0/0"}]' >/dev/null <<<"$r" ||
	fail "the IPv4 rendering: $r"
r=$(render "$tmpl" "10.244.3.0/24, fd00:10:244:3::/64") || fail "render (dual stack)"
jq -e '.plugins[0].ipam.ranges == [[{subnet: "10.244.3.0/24"}], [{subnet: "fd00:10:244:3::/64"}]] and
	.plugins[0].ipam.routes == [{dst: "0.0.0.0/0"}, {dst: "::/0"}]' >/dev/null <<<"$r" ||
	fail "the dual-stack rendering: $r"
example "conf/containerd-cni.conflist.tmpl (dual stack)" "$r"

step "no example in conf/ goes untested"
for f in "$EX"/*.conf "$EX"/*.conflist "$EX"/*.tmpl; do
	f=conf/$(basename "$f")
	printf '%s\n' "${RAN[@]}" | grep -qxF "$f" || fail "$f is not run by this test"
done
pass
