#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# macspoofchk: frames from the container's bridge port with a source MAC
# other than its interface's are dropped; a neighbour without the check
# may change its MAC; DEL and GC remove the elements.
. "$(dirname "$0")/lib.sh"
setup fwspoof ip jq nft ping

# ping_gw NS: the gateway answers one ping (0) or not (1).
ping_gw()
{
	ip netns exec "$1" ping -n -c 1 -W 1 "$GW4" >/dev/null 2>&1
}

step "ADD with macspoofchk"
CONF=$(mkconf 1.1.0 v4 '.macspoofchk = true')
C1=$(mkns c1) || fail "mkns"
cni ADD ctr-1 "$C1" eth0
assert_ok "ADD"
MAC=$(jq -r '.interfaces[2].mac' <<<"$OUT")
H1=$(jq -r '.interfaces[1].name' <<<"$OUT")
assert_eq "$(nft_elems bridge spoofchk)/$(nft_elems bridge allowed)" 1/1 "spoofchk/allowed elements"
grep -q "\"$H1\" . $MAC" <<<"$(ip netns exec "$HOST" nft list set bridge brisk allowed)" ||
	fail "allowed does not hold $H1 . $MAC"
ping_gw "$C1" || fail "ping with the container's own MAC"

step "a spoofed source MAC is dropped"
ip -n "$C1" link set eth0 address 02:00:5e:10:00:99 || fail "set MAC"
ip -n "$HOST" neigh flush dev "$BRIDGE"
ping_gw "$C1" && fail "ping with a spoofed MAC got through"
ip -n "$C1" link set eth0 address "$MAC" || fail "restore MAC"
ping_gw "$C1" || fail "ping with the MAC restored"

step "a neighbour without the check may change its MAC"
CONF=$(mkconf 1.1.0 v4)
C2=$(mkns c2) || fail "mkns"
cni ADD ctr-2 "$C2" eth0
assert_ok "ADD neighbour"
ip -n "$C2" link set eth0 address 02:00:5e:10:00:98 || fail "set MAC"
ping_gw "$C2" || fail "the neighbour's ping"

step "GC removes the elements of an attachment not in the valid list"
CONF=$(mkconf 1.1.0 v4 '.macspoofchk = true | .["cni.dev/valid-attachments"] = [{"containerID": "ctr-2", "ifname": "eth0"}]')
cni GC "" "" eth0
assert_ok "GC"
assert_eq "$(nft_total)" 0 "elements after GC"
assert_eq "$(fw_records)" "" "records after GC"
pass
