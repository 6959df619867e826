#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The firewall keys' errors (code 7 naming the key, code 2 for portmap's
# iptables-only keys), the same from brisk validate, validate's defaults, ipMasqBackend "iptables", a kernel refusal with
# rollback, STATUS, and a flushed ruleset: CHECK says so, the next ADD
# makes the tables again, brisk restore puts the others' elements back,
# brisk gc --apply removes a gone container's.
. "$(dirname "$0")/lib.sh"
setup fwlife ip jq nft setpriv socat ss

C1=$(mkns c1) || fail "mkns"

step "bad firewall keys"
for case in '.ipMasqBackend = "bogus"|7|ipMasqBackend' \
	'.ipMasqExclude = ["10.0.0.0/33"]|7|ipMasqExclude\[0\]' \
	'.ipMasqExclude = "10.0.0.0/8"|7|ipMasqExclude' \
	'.markMasqBit = 13|2|markMasqBit' \
	'.externalSetMarkChain = "X"|2|externalSetMarkChain' \
	'.conditionsV4 = []|2|conditionsV4' \
	'.snat = "yes"|7|snat' \
	'.runtimeConfig.portMappings = [{"hostPort": 0, "containerPort": 80}]|7|portMappings\[0\].hostPort' \
	'.runtimeConfig.portMappings = [{"hostPort": 70000, "containerPort": 80}]|7|hostPort' \
	'.runtimeConfig.portMappings = [{"containerPort": 80}]|7|hostPort is required' \
	'.runtimeConfig.portMappings = [{"hostPort": 80, "containerPort": 80, "protocol": "icmp"}]|7|protocol' \
	'.runtimeConfig.portMappings = [{"hostPort": 80, "containerPort": 80, "hostIP": "x"}]|7|hostIP' \
	'.runtimeConfig.portMappings = [{"hostPort": 80, "containerPort": 80}, {"hostPort": 80, "containerPort": 81}]|7|mapped twice' \
	'.runtimeConfig.portMappings = {}|7|portMappings'; do
	CASE=${case%%|*}
	rest=${case#*|}
	CONF=$(mkconf 1.0.0 v4 "$CASE")
	cni ADD ctr-bad "$C1" eth0
	assert_err "${rest%%|*}" "${rest#*|}"
	# brisk validate refuses it alike: the same code and message.
	vout=$(ip netns exec "$HOST" "$BRISK" validate <<<"$CONF" 2>/dev/null)
	assert_eq "$?/$(jq -c '[.code, .msg]' <<<"$vout")" "1/$(jq -c '[.code, .msg]' <<<"$OUT")" \
		"brisk validate against ADD"
done
# Refused before anything is made, by ADD and validate: host ports with
# no container address of their family.
for case in '.ipam = {} | .runtimeConfig.portMappings = [{"hostPort": 80, "containerPort": 80}]#without ipam' \
	'.runtimeConfig.portMappings = [{"hostPort": 80, "containerPort": 80, "hostIP": "2001:db8::1"}]#no IPv6 range'; do
	CASE=${case%%#*}
	CONF=$(mkconf 1.0.0 v4 "$CASE")
	cni ADD ctr-bad "$C1" eth0
	assert_err 7 "${case#*#}"
	vout=$(ip netns exec "$HOST" "$BRISK" validate <<<"$CONF" 2>/dev/null)
	assert_eq "$?/$(jq -c '[.code, .msg]' <<<"$vout")" "1/$(jq -c '[.code, .msg]' <<<"$OUT")" \
		"brisk validate against ADD"
done
CASE=""
step "brisk validate shows the firewall keys as brisk uses them"
CONF=$(mkconf 1.0.0 dual '.ipMasq = true | .ipMasqExclude = ["10.1.2.3/8"] |
	.runtimeConfig.portMappings = [{"hostPort": 53, "containerPort": 53, "protocol": "UDP"}]')
vout=$(ip netns exec "$HOST" "$BRISK" validate <<<"$CONF") || fail "validate: $vout"
assert_jq '.ipMasqBackend == "nftables" and .ipMasqExclude == ["10.0.0.0/8"] and .snat == true and
	.masqAll == false and .runtimeConfig.portMappings ==
	[{hostPort: 53, containerPort: 53, protocol: "udp"}]' "validate's output" "$vout"
assert_no_leases
link_exists "$C1" eth0 && fail "a refused ADD left eth0"

step "ipMasqBackend iptables: served by nftables, with a note"
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true | .ipMasqBackend = "iptables"')
cni ADD ctr-1 "$C1" eth0
assert_ok "ADD with ipMasqBackend iptables"
RES1=$OUT
grep -q 'ipMasqBackend "iptables": brisk masquerades with nftables' <<<"$ERR" ||
	fail "no note on stderr: $ERR"
assert_eq "$(nft_elems inet masq4)" 1 "masq4 elements"

step "STATUS"
CONF=$(mkconf 1.1.0 v4 '.ipMasq = true | .macspoofchk = true')
cni STATUS "" "" ""
assert_ok "STATUS"
_passenv
ip netns exec "$HOST" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env -i PATH="$PATH" "${PASSENV[@]}" CNI_COMMAND=STATUS "$BRISK" <<<"$CONF" >"$TMPD/out"
RC=$? OUT=$(cat "$TMPD/out")
assert_err 50 "nftables cannot hold brisk's tables"
assert_jq '.details | test("Operation not permitted")' "the kernel's refusal in details"

step "a kernel refusal: rolled back, with the kernel's answer"
C2=$(mkns c2) || fail "mkns"
ip netns exec "$HOST" nft flush ruleset
# Someone else's table under brisk's name, with a set of the wrong type.
ip netns exec "$HOST" nft add table inet brisk &&
	ip netns exec "$HOST" nft add set inet brisk masq4 '{ type ipv6_addr; }' || fail "nft"
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true')
before="$(leases) | $(ports "$HOST" "$BRIDGE") | $(fw_records | tr '\n' ' ')"
cni ADD ctr-2 "$C2" eth0
assert_err 999 "nftables: add masq4"
assert_eq "$(leases) | $(ports "$HOST" "$BRIDGE") | $(fw_records | tr '\n' ' ')" "$before" \
	"leases | ports | records after the refusal"
link_exists "$C2" eth0 && fail "the refused ADD left eth0"
ip netns exec "$HOST" nft delete table inet brisk || fail "nft"

step "a flushed ruleset: CHECK says so, ADD remakes the tables, restore the rest"
CONF=$(with_prev "$RES1")
cni CHECK ctr-1 "$C1" eth0
assert_err 999 "table inet brisk is missing \(was the ruleset flushed\?\)"
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true')
cni ADD ctr-2 "$C2" eth0
assert_ok "ADD after the flush"
assert_eq "$(nft_elems inet masq4)" 1 "masq4 elements: only the new attachment's"
ip netns exec "$HOST" "$BRISK" restore --data-dir "$DATADIR" >"$TMPD/restore" 2>&1 ||
	fail "brisk restore: $(cat "$TMPD/restore")"
grep -q "^2 attachments restored, 0 failed" "$TMPD/restore" || fail "restore said: $(cat "$TMPD/restore")"
assert_eq "$(nft_elems inet masq4)" 2 "masq4 elements after restore"
CONF=$(with_prev "$RES1")
cni CHECK ctr-1 "$C1" eth0
assert_ok "CHECK after restore"

# waits_for_lock WHAT CMD...: CMD, started while the firewall lock is held
# (by socat in $HOST), is still running a second later, and succeeds once
# the lock is let go.
waits_for_lock()
{
	local what=$1 pid i

	shift
	bg "$HOST" socat -u ABSTRACT-RECV:brisk/fw/hostports /dev/null
	for i in $(seq 1 40); do
		ip netns exec "$HOST" ss -xaH | grep -q '@brisk/fw/hostports ' && break
		sleep 0.05
	done
	"$@" &
	pid=$!
	sleep 1
	kill -0 "$pid" 2>/dev/null || fail "$what did not wait for the firewall lock"
	kill -- -"$BG_PID"
	wait "$pid" || fail "$what failed once the firewall lock was free"
}

step "brisk gc --apply: a gone container's elements go with its lease"
ip netns delete "$C2"
ip netns exec "$HOST" "$BRISK" gc --data-dir "$DATADIR" --network "$NET_NAME" --apply >"$TMPD/gc" 2>&1 ||
	fail "brisk gc: $(cat "$TMPD/gc")"
assert_eq "$(nft_elems inet masq4)" 1 "masq4 elements after gc"
assert_eq "$(fw_records)" "ctr-1:eth0" "records after gc"

step "brisk restore and DEL take the firewall lock (a restore must not race a DEL)"
ip netns exec "$HOST" nft flush ruleset || fail "nft flush"
restore_all()
{
	ip netns exec "$HOST" "$BRISK" restore --data-dir "$DATADIR" >"$TMPD/restore" 2>&1 ||
		{ cat "$TMPD/restore"; return 1; }
}
waits_for_lock "brisk restore" restore_all
assert_eq "$(nft_elems inet masq4)" 1 "masq4 elements after the waiting restore"
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true')
del_ctr1()
{
	cni DEL ctr-1 "$C1" eth0
	[ "$RC" = 0 ] || echo "$OUT"
	[ "$RC" = 0 ]
}
waits_for_lock "DEL" del_ctr1
assert_eq "$(nft_total)" 0 "elements left"
assert_eq "$(fw_records)" "" "records left"
pass
