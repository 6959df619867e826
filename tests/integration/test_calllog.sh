#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The call log: one JSON line per call in "logFile" (time, command, network,
# container ID, interface, addresses taken or released, microseconds,
# outcome), levels, the BRISK_LOG override, nothing secret, stdout and the
# call untouched by it. A log that cannot be written (missing directory,
# FIFO, symlink) never fails or stalls a call. 64 parallel ADDs and DELs
# write 128 whole lines; a small logMaxSize rotates to <file>.1 and stays
# bounded while 64 calls race.
. "$(dirname "$0")/lib.sh"

setup calllog ip jq xargs mkfifo
NET_NAME=bkcnet
BRIDGE=bkcbr0
SUBNET4=10.195.0.0/22
SUBNET6=fd00:b1c:5::/64
LOG=$TMPD/log/calls.log
mkdir -p "$TMPD/log"

# logconf FAMILY [JQ]: mkconf with the call log on.
logconf()
{
	mkconf 1.0.0 "$1" ".logFile = \"$LOG\" | ${2:-.}"
}

# lines FILE: the number of lines; every one must be a whole JSON object.
lines()
{
	local n

	n=$(wc -l <"$1")
	[ "$(jq -c 'select(type == "object")' "$1" | wc -l)" = "$n" ] ||
		fail "$1 holds a line that is not a JSON object"
	[ -z "$(tail -c 1 "$1")" ] || fail "$1 does not end with a newline"
	echo "$n"
}

step "ADD, CHECK, DEL: one line each, with the addresses"
c1=$(mkns c1) || fail "mkns"
CONF=$(logconf dual '.args = {cni: {secret: "hunter2"}} |
	.runtimeConfig = {token: "hunter2"}')
cni ADD ctr-log "$c1" eth0 "K8S_POD_NAME=p;PASSWORD=hunter2"
assert_ok "ADD"
res=$OUT
assert_jq '.ips | length == 2' "ADD's result is intact on stdout"
assert_eq "$(lines "$LOG")" 1 "lines after ADD"
line=$(tail -n 1 "$LOG")
assert_jq '.cmd == "ADD" and .network == "bkcnet" and .containerID == "ctr-log" and
	.ifname == "eth0" and .code == 0 and (has("msg") | not) and
	(.us | type) == "number" and .us > 0 and .pid > 0 and
	(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$"))' \
	"the ADD line" "$line"
assert_eq "$(jq -c .ips <<<"$line")" "$(jq -c '[.ips[].address]' <<<"$res")" \
	"the ADD line's addresses"
st=$(stat -c %a "$LOG")
assert_eq "$st" 600 "mode of a new log"
CONF=$(with_prev "$res")
cni CHECK ctr-log "$c1" eth0
assert_ok "CHECK"
CONF=$(logconf dual)
cni DEL ctr-log "$c1" eth0
assert_ok "DEL"
assert_eq "$(lines "$LOG")" 3 "lines after CHECK and DEL"
assert_jq '.cmd == "CHECK" and .code == 0 and (has("ips") | not)' "the CHECK line" \
	"$(sed -n 2p "$LOG")"
line=$(sed -n 3p "$LOG")
assert_jq '.cmd == "DEL" and .code == 0' "the DEL line" "$line"
assert_eq "$(jq -c .ips <<<"$line")" \
	"$(jq -c '[.ips[].address | sub("/[0-9]+$"; "")] | [.[0] + "/32", .[1] + "/128"]' <<<"$res")" \
	"the DEL line's released addresses"
! grep -q hunter2 "$LOG" || fail "a secret reached the log"

step "a failed call: its code and message"
CONF=$(logconf v4 '.mtu = 9')
cni ADD ctr-bad "$c1" eth0
assert_err 7 "mtu"
line=$(tail -n 1 "$LOG")
assert_jq '.cmd == "ADD" and .code == 7 and (.msg | test("mtu")) and
	.network == "bkcnet" and .containerID == "ctr-bad"' "the failure line" "$line"
# A bad CNI_CONTAINERID is logged without its value.
CONF=$(logconf v4)
cni ADD 'bad id!' "$c1" eth0
assert_err 4
assert_jq '.code == 4 and (has("containerID") | not)' "an invalid ID is not echoed" \
	"$(tail -n 1 "$LOG")"

step "levels: VERSION only at debug; error keeps failures only; off"
n=$(lines "$LOG")
CONF=$(logconf v4)
cni VERSION "" "" ""
assert_ok "VERSION"
assert_eq "$(lines "$LOG")" "$n" "VERSION at info"
CONF=$(logconf v4 '.logLevel = "error"')
cni DEL ctr-x "$c1" eth0
assert_ok "DEL at level error"
assert_eq "$(lines "$LOG")" "$n" "a success at level error"
CONF=$(logconf v4 '.logLevel = "off" | .mtu = 9')
cni ADD ctr-x "$c1" eth0
assert_err 7
assert_eq "$(lines "$LOG")" "$n" "a failure at level off"

step "BRISK_LOG: logFile= and logLevel= override the config; logFile=off silences it"
LOG2=$TMPD/log/env.log
CONF='{"cniVersion":"1.0.0"}'
BRISK_LOG="logFile=$LOG2,logLevel=debug" cni VERSION "" "" ""
assert_ok "VERSION with BRISK_LOG"
assert_eq "$(lines "$LOG2")" 1 "lines in the BRISK_LOG file"
assert_jq '.cmd == "VERSION" and .code == 0' "the VERSION line" "$(cat "$LOG2")"
CONF=$(logconf v4)
BRISK_LOG="logFile=off" cni DEL ctr-x "$c1" eth0
assert_ok "DEL with logFile=off"
assert_eq "$(lines "$LOG")" "$n" "lines with BRISK_LOG=logFile=off"
BRISK_LOG="debug,logFile=$LOG2" cni DEL ctr-x "$c1" eth0
assert_ok "DEL with BRISK_LOG=debug,logFile="
assert_eq "$(lines "$LOG2")" 2 "the env file got the DEL"
assert_eq "$(lines "$LOG")" "$n" "the config's file did not"
BRISK_LOG="logLevel=loud" cni DEL ctr-x "$c1" eth0
assert_ok "DEL with a bad BRISK_LOG item"
grep -q 'BRISK_LOG: ignoring "logLevel=loud"' <<<"$ERR" || fail "no warning: $ERR"
assert_eq "$(grep -c 'BRISK_LOG' <<<"$ERR")" 1 "warnings about BRISK_LOG"

step "a log that cannot be written never fails or stalls the call"
for target in "$TMPD/nodir/x.log" "$TMPD/log/fifo" "$TMPD/log/link" "$TMPD/log"; do
	CASE="logFile $target"
	[ -e "$TMPD/log/fifo" ] || mkfifo "$TMPD/log/fifo"
	[ -L "$TMPD/log/link" ] || ln -s "$TMPD/log/victim" "$TMPD/log/link"
	CONF=$(mkconf 1.0.0 v4 ".logFile = \"$target\"")
	t0=$SECONDS
	cni ADD ctr-w "$c1" eth0
	assert_ok "ADD"
	((SECONDS - t0 < 10)) || fail "the ADD took $((SECONDS - t0)) s"
	grep -q "logFile $target: not written" <<<"$ERR" || fail "no warning on stderr: $ERR"
	assert_jq '.ips | length == 1' "the result"
	cni DEL ctr-w "$c1" eth0
	assert_ok "DEL"
done
CASE=""
[ ! -e "$TMPD/log/victim" ] || fail "the log followed a symlink"
[ -p "$TMPD/log/fifo" ] || fail "the FIFO was replaced"

step "64 parallel ADDs and 64 parallel DELs: 128 whole lines"
N=64
PLOG=$TMPD/log/par.log
logconf v4 ".logFile = \"$PLOG\"" >"$TMPD/conf"
for i in $(seq 1 $N); do echo "netns add ${PFX}p$i"; done | ip -batch - ||
	fail "cannot create the namespaces"
par_job()
{
	_passenv
	ip netns exec "$HOST" env -i PATH="$PATH" "${PASSENV[@]}" CNI_COMMAND="$1" \
		CNI_CONTAINERID="ctr-par-$2" CNI_NETNS="/run/netns/${PFX}p$2" \
		CNI_IFNAME=eth0 "$BRISK" <"$TMPD/conf" >/dev/null 2>&1 ||
		echo "$1 $2" >>"$TMPD/par-failed"
}
export -f par_job _passenv
export HOST PFX TMPD BRISK
for cmd in ADD DEL; do
	seq 1 $N | xargs -P $N -n 1 bash -c 'par_job "$0" "$1"' "$cmd" ||
		fail "xargs $cmd"
done
[ ! -e "$TMPD/par-failed" ] || fail "calls failed: $(cat "$TMPD/par-failed")"
assert_eq "$(lines "$PLOG")" $((2 * N)) "lines after the parallel calls"
assert_eq "$(jq -r 'select(.cmd == "ADD") | .containerID' "$PLOG" | sort -u | wc -l)" $N \
	"distinct containers with an ADD line"
assert_eq "$(jq -r 'select(.cmd == "ADD") | .ips[0]' "$PLOG" | sort -u | wc -l)" $N \
	"distinct addresses taken"
assert_eq "$(jq -r 'select(.cmd == "DEL") | .ips[0]' "$PLOG" | sort -u | wc -l)" $N \
	"distinct addresses released"
assert_no_leases

step "logMaxSize: rotated to .1, bounded, every line whole while 64 calls race"
RLOG=$TMPD/log/rot.log
printf '{"cniVersion":"1.0.0"}' >"$TMPD/vconf"
rot_job()
{
	ip netns exec "$HOST" env -i PATH="$PATH" CNI_COMMAND=VERSION \
		BRISK_LOG="logFile=$1,logLevel=debug,logMaxSize=4096" "$BRISK" \
		<"$TMPD/vconf" >/dev/null 2>&1 || echo "$2" >>"$TMPD/rot-failed"
}
export -f rot_job
for round in 1 2 3; do
	seq 1 $N | xargs -P $N -n 1 bash -c 'rot_job "$0" "$1"' "$RLOG" ||
		fail "xargs round $round"
done
[ ! -e "$TMPD/rot-failed" ] || fail "VERSION calls failed"
[ -f "$RLOG.1" ] || fail "no rotation to $RLOG.1"
[ ! -e "$RLOG.2" ] || fail "more than one old generation"
total=$(($(lines "$RLOG") + $(lines "$RLOG.1")))
((total > 0)) || fail "no lines at all"
# Racing writers that do not get the rotation lock append a line each.
line_max=$(cat "$RLOG" "$RLOG.1" | awk '{ if (length > m) m = length } END { print m + 1 }')
for f in "$RLOG" "$RLOG.1"; do
	size=$(stat -c %s "$f")
	((size <= 4096 + N * line_max)) || fail "$f is $size bytes"
done
# Sequential calls keep it under the cap exactly.
for i in $(seq 1 40); do rot_job "$RLOG" "$i"; done
size=$(stat -c %s "$RLOG")
((size <= 4096)) || fail "$RLOG is $size bytes after sequential calls"
lines "$RLOG" >/dev/null
pass
