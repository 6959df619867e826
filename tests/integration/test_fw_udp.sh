#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A UDP flow to a host port survives DEL + ADD of the mapping: DEL deletes
# the conntrack entries translated to the container (no blackhole towards
# a dead address), ADD deletes the untranslated ones recorded while no
# container held the port, so the very next packet is translated again.
. "$(dirname "$0")/lib.sh"
setup fwudp ip jq nft socat ss conntrack
uplink
CONF=$(mkconf 1.0.0 v4 '.runtimeConfig.portMappings = [{"hostPort": 5353, "containerPort": 53, "protocol": "udp"}]')

# receiver NS NAME: a UDP server on port 53 in NS, writing to $TMPD/NAME.
receiver()
{
	bg "$1" socat -u UDP4-RECV:53 "OPEN:$TMPD/$2,creat,append"
	wait_listen "$1" 53 udp
}

# wait_lines FILE: until FILE has grown by a few packets (4 s).
wait_lines()
{
	local i n0

	n0=$(wc -l <"$1" 2>/dev/null || echo 0)
	for i in $(seq 1 40); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge $((n0 + 3)) ] && return 0
		sleep 0.1
	done
	return 1
}

step "a flow from outside to 192.0.2.1:5353, one source port throughout"
A=$(mkns a) || fail "mkns"
cni ADD ctr-a "$A" eth0
assert_ok "ADD a"
A4=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
receiver "$A" a
bg "$OUTSIDE" socat -u 'SYSTEM:while true; do echo x; sleep 0.1; done' \
	UDP4-SENDTO:192.0.2.1:5353,sourceport=40000
wait_lines "$TMPD/a" || { ip netns exec "$HOST" conntrack -L -p udp; ip netns exec "$HOST" nft list ruleset; ls -la $TMPD; fail "container a receives nothing"; }

step "DEL: no entry keeps sending the flow to the gone container"
cni DEL ctr-a "$A" eth0
assert_ok "DEL a"
sleep 0.3
left=$(ip netns exec "$HOST" conntrack -L -p udp --reply-src "$A4" 2>/dev/null | wc -l)
assert_eq "$left" 0 "conntrack entries towards $A4 after DEL"
# Meanwhile the flow hits the host itself: an untranslated entry.
ip netns exec "$HOST" conntrack -L -p udp --orig-port-dst 5353 2>/dev/null | grep -q 'dport=5353.*dport=40000' ||
	fail "no untranslated entry for the flow while nobody holds the port"

step "ADD of another container on the same host port gets the flow at once"
B=$(mkns b) || fail "mkns"
cni ADD ctr-b "$B" eth0
assert_ok "ADD b"
receiver "$B" b
wait_lines "$TMPD/b" || fail "the flow never reached container b"
cni DEL ctr-b "$B" eth0
assert_ok "DEL b"
assert_eq "$(nft_total)" 0 "elements left"

# brisk loads libnetfilter_conntrack only for this flush: without it
# (hidden in a mount namespace of brisk's own) the flush is skipped with a
# warning naming the library (so the old flow stays where it was, as shown
# above), a new flow is mapped, and nothing is left.
step "no libnetfilter_conntrack to load: ADD and DEL go through, saying why"
HIDE=""
for so in libnetfilter_conntrack.so.3 libnfnetlink.so.0; do
	lib=$(ldconfig -p | awk -v s="$so" '$1 == s { print $NF; exit }')
	[ -n "$lib" ] || fail "$so is not installed: the check proves nothing"
	HIDE="$HIDE $(readlink -f "$lib")"
done
printf '#!/bin/sh\nexec unshare -m sh -c '\''for f in %s; do mount --bind /dev/null "$f" || exit 99; done; exec "$0"'\'' "%s"\n' \
	"$HIDE" "$BRISK" >"$TMPD/brisk-nolib"
chmod +x "$TMPD/brisk-nolib"
C=$(mkns c) || fail "mkns"
REAL_BRISK=$BRISK
BRISK=$TMPD/brisk-nolib
cni ADD ctr-c "$C" eth0
assert_ok "ADD c without the library"
grep -q "cannot load libnetfilter_conntrack.so.3" <<<"$ERR" ||
	fail "ADD without the library does not say so: $ERR"
receiver "$C" c
bg "$OUTSIDE" socat -u 'SYSTEM:while true; do echo y; sleep 0.1; done' \
	UDP4-SENDTO:192.0.2.1:5353,sourceport=40001
wait_lines "$TMPD/c" || fail "a new flow never reached container c"
cni DEL ctr-c "$C" eth0
assert_ok "DEL c without the library"
BRISK=$REAL_BRISK
assert_eq "$(nft_total)" 0 "elements left"
pass
