#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The binary as a person runs it: --help, --version, no arguments, unknown
# commands, the shared exit statuses (0 ok, 1 failure, 2 usage) of gc,
# leases and validate, and that only CNI_COMMAND makes a CNI call (an
# argument never turns one into something else). `brisk validate` gives
# exactly the error object an ADD gives for the same config, or the config
# with its defaults, and touches neither the kernel nor the store.
. "$(dirname "$0")/lib.sh"

# tool ARGS...: brisk run by hand in $HOST, no CNI variables, stdin from
# $TMPD/in. Sets OUT, ERR, RC.
tool()
{
	LAST_CMD="brisk $*"
	_passenv
	ip netns exec "$HOST" env -i PATH="$PATH" "${PASSENV[@]}" "$BRISK" "$@" \
		<"$TMPD/in" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
}

setup cli ip jq
: >"$TMPD/in"

step "--help and --version on stdout, exit 0"
tool --help
assert_ok "brisk --help"
for word in CNI_COMMAND ADD DEL CHECK VERSION GC STATUS /opt/cni/bin \
	"brisk leases" "brisk validate" "brisk gc" --data-dir --network --json \
	--apply BRISK_LOG "Exit status"; do
	grep -qF -- "$word" <<<"$OUT" || fail "--help does not mention $word"
done
assert_eq "$ERR" "" "stderr of --help"
tool -h
assert_ok "brisk -h"
tool --version
assert_ok "brisk --version"
assert_eq "$(sed -n 1p <<<"$OUT")" "brisk $(sed -n "s/^  version: '\(.*\)',$/\1/p" "$REPO/meson.build")" \
	"first line of --version"
grep -q "1.1.0" <<<"$OUT" || fail "--version does not list the CNI versions"

step "no arguments: the about text on stderr, exit 0 (as the reference plugins)"
tool
assert_ok "brisk without arguments"
assert_eq "$OUT" "" "stdout without arguments"
grep -q "CNI protocol versions" <<<"$ERR" || fail "no about text: $ERR"

step "unknown commands and options: exit 2, a message on stderr, nothing on stdout"
for args in "frobnicate" "--frobnicate" "leases --bogus" "leases extra" \
	"leases --network" "leases --json=1" "leases --json --json" \
	"validate a b" "validate --bogus" "gc" "gc --data-dir rel --network n" \
	"gc --data-dir /x --network ../n" "leases --data-dir rel" \
	"leases --network .brisk"; do
	# shellcheck disable=SC2086 # one argument per word
	tool $args
	assert_eq "$RC" 2 "exit status of brisk $args"
	assert_eq "$OUT" "" "stdout of brisk $args"
	[ -n "$ERR" ] || fail "brisk $args: no message on stderr"
done
for cmd in leases validate gc; do
	tool "$cmd" --help
	assert_ok "brisk $cmd --help"
	grep -q "^usage: brisk $cmd" <<<"$OUT" || fail "brisk $cmd --help: $OUT"
done

step "a CNI call is recognised by CNI_COMMAND only"
CONF='{"cniVersion":"0.4.0"}'
printf '%s' "$CONF" >"$TMPD/in"
for args in "" "--help" "--version" "leases" "validate"; do
	# shellcheck disable=SC2086
	LAST_CMD="CNI_COMMAND=VERSION brisk $args"
	ip netns exec "$HOST" env -i PATH="$PATH" CNI_COMMAND=VERSION "$BRISK" $args \
		<"$TMPD/in" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	assert_ok "VERSION with arguments '$args'"
	assert_jq '.cniVersion == "0.4.0" and (.supportedVersions | index("1.1.0"))' \
		"VERSION answer with arguments '$args'"
done
# An empty CNI_COMMAND is no command: the tool's behaviour.
ip netns exec "$HOST" env -i PATH="$PATH" CNI_COMMAND= "$BRISK" --version \
	</dev/null >"$TMPD/out" 2>"$TMPD/err" || fail "CNI_COMMAND= brisk --version failed"
grep -q "^brisk " "$TMPD/out" || fail "CNI_COMMAND= brisk --version: $(cat "$TMPD/out")"

step "validate: a good config comes back with its defaults, exit 0"
DATADIR=$TMPD/never-made
CONF=$(jq -cn --arg dd "$DATADIR" '{cniVersion: "1.0.0", name: "v1",
	type: "brisk", ipam: {type: "host-local", subnet: "10.9.0.0/24",
	dataDir: $dd}, unknownKey: {kept: true}}')
printf '%s' "$CONF" >"$TMPD/in"
tool validate
assert_ok "validate (stdin)"
assert_jq '.bridge == "cni0" and .isGateway == false and .mtu == 0 and
	.ipMasq == false and .hairpinMode == false' "bridge defaults"
assert_jq '.ipam.ranges == [[{subnet: "10.9.0.0/24", rangeStart: "10.9.0.1",
	rangeEnd: "10.9.0.254", gateway: "10.9.0.1"}]]' "the legacy range as ranges[0], filled"
assert_jq '(.ipam | has("subnet") | not) and .ipam.routes == [] and .ipam.reclaimStale == false' \
	"ipam normalised"
assert_jq '.unknownKey == {kept: true}' "keys brisk does not read pass through"
[ ! -e "$DATADIR" ] || fail "validate made the dataDir"
cp "$TMPD/in" "$TMPD/good.conf"
: >"$TMPD/in"
tool validate "$TMPD/good.conf"
assert_ok "validate FILE"
assert_jq '.ipam.ranges[0][0].rangeEnd == "10.9.0.254"' "validate FILE output"
tool validate "$TMPD/nonexistent.conf"
assert_eq "$RC" 1 "validate of a missing file"
tool validate "$TMPD"
assert_eq "$RC" 1 "validate of a directory"
mkfifo "$TMPD/fifo"
(sleep 0.2; cat "$TMPD/good.conf" >"$TMPD/fifo") &
tool validate "$TMPD/fifo"
assert_ok "validate of a FIFO the operator feeds"
wait

step "validate: each bad config gets exactly the error object ADD gives"
c=$(mkns c1) || fail "mkns"
i=0
while IFS= read -r bad; do
	i=$((i + 1))
	CASE="bad config $i: $bad"
	CONF=$bad
	cni ADD ctr-v "$c" eth0
	add_out=$OUT
	[ "$RC" != 0 ] || fail "ADD accepted it"
	printf '%s' "$bad" >"$TMPD/in"
	tool validate
	assert_eq "$RC" 1 "validate's exit status"
	assert_eq "$OUT" "$add_out" "validate's error object against ADD's"
	code=$(jq -r .code <<<"$OUT")
	grep -q "code $code: " <<<"$ERR" || fail "stderr does not give the code: $ERR"
done <<EOF
{"cniVersion":"1.0.0","name":"v1","type":"brisk","ipam":{"type":"host-local"
[1,2]
{"cniVersion":"9.9.9","name":"v1","type":"brisk"}
{"cniVersion":"1.0.0","name":"v/1","type":"brisk"}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","mtu":"1500"}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","mtu":9}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","bridge":"a-name-far-too-long"}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","ipam":{"type":"host-local","ranges":[[{"subnet":"10.0.0.0/8"}],[{"subnet":"10.1.0.0/16"}]],"dataDir":"$TMPD/d"}}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","ipam":{"type":"host-local","subnet":"10.0.0.0/24","dataDir":"relative"}}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","logFile":"relative.log"}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","logLevel":"loud"}
{"cniVersion":"1.0.0","name":"v1","type":"brisk","a":1,"a":2}
EOF
CASE=""
[ ! -e "$TMPD/d" ] || fail "a dataDir was made"

step "validate --keys: the parser's table"
: >"$TMPD/in"
tool validate --keys
assert_ok "validate --keys"
assert_eq "$(sed -n 1p <<<"$OUT" | tr -s ' ')" "KEY TYPE DEFAULT" "header of --keys"
grep -qE '^ipam\.dataDir +string +"/var/lib/cni/networks"$' <<<"$OUT" ||
	fail "--keys lacks ipam.dataDir: $OUT"
tool validate --keys "$TMPD/good.conf"
assert_eq "$RC" 2 "validate --keys FILE"

step "validate: a conflist checks brisk's entries with the list's name and version"
jq -n --arg dd "$DATADIR" '{cniVersion: "1.0.0", name: "lst", plugins: [
	{type: "brisk", bridge: "br9", ipam: {type: "host-local",
		ranges: [[{subnet: "10.8.0.0/24"}]], dataDir: $dd}},
	{type: "portmap", capabilities: {portMappings: true}}]}' >"$TMPD/in"
tool validate
assert_ok "validate conflist"
assert_jq '.name == "lst" and (.plugins | length) == 2' "the list kept"
assert_jq '.plugins[0] | has("name") | not' "no name injected into the entry"
assert_jq '.plugins[0].bridge == "br9" and .plugins[0].isGateway == false and
	.plugins[0].ipam.ranges[0][0].gateway == "10.8.0.1"' "brisk's entry normalised"
assert_jq '.plugins[1] == {type: "portmap", capabilities: {portMappings: true}}' \
	"another plugin's entry untouched"
grep -q "plugins\[1\] (portmap) is not run by brisk" <<<"$ERR" || fail "no note on portmap: $ERR"
jq '.plugins[0].mtu = true' "$TMPD/in" >"$TMPD/in2" && mv "$TMPD/in2" "$TMPD/in"
tool validate
assert_eq "$RC" 1 "validate of a bad entry"
assert_jq '.code == 7 and .msg == "mtu: expected an integer" and .cniVersion == "1.0.0"' \
	"the entry's error"
grep -q "plugins\[0\]: code 7" <<<"$ERR" || fail "stderr does not name the entry: $ERR"
for bad in '{"cniVersion":"1.0.0","name":"l","plugins":[]}' \
	'{"cniVersion":"1.0.0","name":"l","plugins":[{"type":"portmap"}]}' \
	'{"cniVersion":"1.0.0","plugins":[{"type":"brisk"}]}' \
	'{"cniVersion":"1.0.0","name":"l","plugins":[{"bridge":"x"}]}' \
	'{"cniVersion":"1.0.0","name":"l","plugins":{}}'; do
	printf '%s' "$bad" >"$TMPD/in"
	tool validate
	assert_eq "$RC" 1 "validate of $bad"
	assert_jq '.code == 7' "code 7 for $bad"
done
printf '%s' '{"cniVersion":"7.0.0","name":"l","plugins":[{"type":"brisk"}]}' >"$TMPD/in"
tool validate
assert_jq '.code == 1' "code 1 for a list's unsupported cniVersion"
pass
