#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# brisk's host ports and the reference bridge + portmap (Debian's, iptables)
# as twins: the same mappings on each side, each side a host namespace of
# its own with an outside world, a container with the mappings and a
# neighbour on the bridge; then every connection of a matrix (from outside,
# from the host, from the neighbour, from the container itself; to the
# uplink's, the bridge's and the loopback addresses of both families; to
# each mapped port) must end the same way on both sides: refused, or
# answered by the container, which names the source address it saw (so
# what is masqueraded and what is not must agree too). Once with snat (the
# default) and once without. hairpinMode is on: brisk turns it on for a
# port with mappings anyway (README), the reference only when asked.
# masqAll is left out: Debian's portmap is older than the key.
. "$(dirname "$0")/lib.sh"
setup pmtwin ip jq socat ss iptables-save
PORTMAP=${PORTMAP:-/usr/lib/cni/portmap}
REF_BRIDGE=${REF_BRIDGE:-/usr/lib/cni/bridge}
[ -x "$PORTMAP" ] && [ -x "$REF_BRIDGE" ] && [ -x "$HOST_LOCAL" ] ||
	skip "needs the reference bridge, portmap and host-local in /usr/lib/cni"

MAPS='[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
	{"hostPort": 8081, "containerPort": 80, "protocol": "tcp", "hostIP": "192.0.2.1"},
	{"hostPort": 8082, "containerPort": 80, "protocol": "tcp", "hostIP": "0.0.0.0"},
	{"hostPort": 8083, "containerPort": 80, "protocol": "tcp", "hostIP": "2001:db8::1"},
	{"hostPort": 8084, "containerPort": 80, "protocol": "tcp", "hostIP": "10.199.0.1"},
	{"hostPort": 8085, "containerPort": 80, "protocol": "tcp", "hostIP": "127.0.0.1"},
	{"hostPort": 8086, "containerPort": 80, "protocol": "tcp", "hostIP": "::"},
	{"hostPort": 8053, "containerPort": 80, "protocol": "udp"}]'
TARGETS="192.0.2.1 2001:db8::1 10.199.0.1 fd00:b1c::1"
# UDP takes the same paths: only the uplink's addresses (and the host's
# loopback), as an unanswered datagram costs 3 s.
UDP_TARGETS="192.0.2.1 2001:db8::1"

# side NAME: a host namespace with an uplink to an outside one that routes
# the containers' subnets to it; sets SIDE_HOST and SIDE_OUT.
side()
{
	SIDE_HOST=$(mkns "h$1") || fail "mkns"
	HOST=$SIDE_HOST uplink "$1"
	SIDE_OUT=$OUTSIDE
	ip -n "$SIDE_OUT" route add 10.199.0.0/24 via 192.0.2.1 &&
		ip -n "$SIDE_OUT" route add fd00:b1c::/64 via 2001:db8::1 || fail "routes"
}

# probe NS NAME [TARGET...]: every target and port from NS, one line each
# (a refused or unanswered connection reads as ""), in one namespace entry;
# why each "" came about (socat's error) goes to $TMPD/why, for a failure.
# The TCP ones run at once, as an unanswered one waits out its timeout.
# That is 2 s, so that a SYN lost once (a conntrack clash among the 42 at
# once) is sent again at 1 s; only the reference's ::1 ones wait it out.
# -t5: see lib.sh, above serve. (CI once failed here with one lone ""
# on each side: socat's 0.5 s wait is the likely cause, a lost SYN with a
# 1 s timeout the other; the why lines will tell if it comes back.)
# The UDP ones go one by one, and up to three times: socat's forking UDP
# server can miss a datagram now and then (its child may take one meant
# for the next, or the parent may not listen again yet). They go through
# bash's /dev/udp: a socat client lingers after the answer.
probe()
{
	local ns=$1 name=$2 d

	shift 2
	d=$(mktemp -d "$TMPD/probe.XXXXXX") || fail "mktemp"
	ip netns exec "$ns" bash -c '
		i=0
		for t in $0; do
			a=$t
			case $a in *:*) a="[$a]" ;; esac
			for p in 8080 8081 8082 8083 8084 8085 8086; do
				i=$((i + 1))
				echo "$1 $t:$p $(timeout 10 socat -T5 -t5 - TCP:$a:$p,connect-timeout=2 </dev/null 2>"$2/e$i")" >"$2/$i" &
			done
		done
		for t in $3; do
			i=$((i + 1))
			for try in 1 2 3; do
				r=$( (exec 3<>"/dev/udp/$t/8053" && echo x >&3 && timeout 1 head -n 1 <&3) 2>/dev/null)
				[ -n "$r" ] && break
			done
			echo "$1 $t:8053/udp $r" >"$2/$i"
		done
		wait
		for f in $(seq 1 $i); do cat "$2/$f"; done' "$TARGETS $*" "$name" "$d" "$UDP_TARGETS $*"
	for f in "$d"/[0-9]*; do
		grep -q ' $' "$f" || continue
		echo "$SIDE: $(cat "$f")$(tail -n 1 "$d/e${f##*/}" 2>/dev/null | sed 's/.*: / /')"
	done >>"$TMPD/why"
}

# settled NS...: until no IPv6 address there is tentative (the reference
# leaves DAD on for the bridge's gateway address), at most 5 s.
settled()
{
	local ns

	for ns in "$@"; do
		for _ in $(seq 1 50); do
			[ -z "$(ip -n "$ns" -6 addr show tentative)" ] && break
			sleep 0.1
		done
	done
}

# matrix C1 C2: what every source reads, in $SIDE_HOST's world.
matrix()
{
	settled "$SIDE_HOST" "$SIDE_OUT" "$1" "$2"
	probe "$SIDE_OUT" outside
	probe "$SIDE_HOST" host 127.0.0.1 ::1
	probe "$2" neighbour
	probe "$1" self
}

# brisk_side CASE FILTER: brisk with the mappings on its own entry.
brisk_side()
{
	local c1 c2

	side "b$1"
	SIDE=brisk HOST=$SIDE_HOST DATADIR=$TMPD/b$1
	c1=$(mkns "bc$1") && c2=$(mkns "bn$1") || fail "mkns"
	CONF=$(mkconf 1.0.0 dual ".ipMasq = true | .hairpinMode = true | $2 |
		.capabilities.portMappings = true | .runtimeConfig.portMappings = $MAPS")
	cni ADD "c1-$1" "$c1" eth0
	assert_ok "brisk ADD with mappings"
	CONF=$(mkconf 1.0.0 dual ".ipMasq = true | .hairpinMode = true | $2")
	cni ADD "c2-$1" "$c2" eth0
	assert_ok "brisk ADD of the neighbour"
	ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	serve_peer "$c1" 80 udp
	matrix "$c1" "$c2" >"$TMPD/brisk"
}

# ref_side CASE FILTER: the reference bridge, then portmap on its result,
# as libcni runs a conflist.
ref_side()
{
	local c1 c2 id ns pm

	side "r$1"
	SIDE=reference HOST=$SIDE_HOST DATADIR=$TMPD/r$1
	c1=$(mkns "rc$1") && c2=$(mkns "rn$1") || fail "mkns"
	CONF=$(mkconf 1.0.0 dual ".ipMasq = true | .hairpinMode = true | $2 | del(.snat)")
	for id in "c1-$1" "c2-$1"; do
		ns=$c1
		[ "$id" = "c2-$1" ] && ns=$c2
		_stage_input
		_cni_env ADD "$id" "$ns" eth0
		run_plugin "$REF_BRIDGE" "${CNI_ENV[@]}"
		assert_ok "reference bridge ADD of $id"
		[ "$ns" = "$c1" ] && pm=$OUT
	done
	CONF=$(mkconf 1.0.0 dual "$2" | jq -c --argjson m "$MAPS" --argjson p "$pm" '
		{cniVersion, name, type: "portmap", capabilities: {portMappings: true},
		 runtimeConfig: {portMappings: $m}, prevResult: $p} +
		(if has("snat") then {snat} else {} end)')
	_stage_input
	_cni_env ADD "c1-$1" "$c1" eth0
	run_plugin "$PORTMAP" "${CNI_ENV[@]}"
	assert_ok "reference portmap ADD"
	serve_peer "$c1" 80 udp
	matrix "$c1" "$c2" >"$TMPD/ref"
}

# twin CASE FILTER: both sides, then the matrices compared.
n=0
twin()
{
	n=$((n + 1))
	CASE=$1
	step "$1"
	NET_NAME=pmtwin$n
	: >"$TMPD/why"
	brisk_side "$n" "$2"
	ref_side "$n" "$2"
	diff "$TMPD/brisk" "$TMPD/ref" >"$TMPD/diff" ||
		fail "brisk (<) vs the reference (>): $(cat "$TMPD/diff")
$(grep -F -f <(sed -n 's/^[<>] \([^ ]* [^ ]*\) .*/ \1 /p' "$TMPD/diff") "$TMPD/why")"
	# A matrix where nothing connects would agree as well.
	grep -q ' \[' "$TMPD/brisk" || fail "no connection succeeded"
}

twin "snat (default)" '.'
twin "snat false" '.snat = false'
pass
