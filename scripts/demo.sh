#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# brisk in one minute, as root on a fresh Debian 12: install what is missing,
# build, make a demo "host" namespace and a "container" namespace, ADD the
# container to a dual-stack bridge network with masquerade and a host port,
# ping both gateways from inside, reach a server in the container through
# its host port, CHECK, DEL, and show the lease store and brisk's nftables
# sets are empty again. Everything it makes
# is removed on exit; the exit status is 0 only when every step succeeded.
#
# Usage: scripts/demo.sh            (BUILD_DIR=dir to use another build dir)
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}

if [[ $(id -u) -ne 0 ]]; then
	echo "demo.sh: must run as root (it makes network namespaces)" >&2
	exit 1
fi

PFX="brisk-demo-$$-"
HOST="${PFX}host"
CONT="${PFX}ctr"
NETNS_PATH="/var/run/netns/$CONT"
NETWORK=brisk-demo
BRIDGE=brisk0
CONTAINER_ID="demo-$$"
SUBNET4=10.89.0.0/24
GW4=10.89.0.1
SUBNET6=fd00:b415:d3e0::/64
GW6=fd00:b415:d3e0::1
DATADIR=""
WORK=""
SERVER=""

if [[ -t 1 ]]; then
	BOLD=$'\033[1m' GREEN=$'\033[1;32m' RED=$'\033[1;31m' PLAIN=$'\033[0m'
else
	BOLD="" GREEN="" RED="" PLAIN=""
fi

cleanup()
{
	local rc=$?

	set +e
	[[ -n "${SERVER:-}" ]] && kill "$SERVER" 2>/dev/null
	ip netns del "$CONT" 2>/dev/null
	ip netns del "$HOST" 2>/dev/null
	[[ -n "$DATADIR" ]] && rm -rf "$DATADIR"
	[[ -n "$WORK" ]] && rm -rf "$WORK"
	if ((rc == 0)); then
		printf '\n%sdemo: every step succeeded%s\n' "$GREEN" "$PLAIN"
	else
		printf '\n%sdemo: FAILED (exit status %d)%s\n' "$RED" "$rc" "$PLAIN" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step()
{
	printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"
}

# run CMD: print a command, then run it.
run()
{
	printf '$ %s\n' "$*"
	"$@"
}

# brisk CMD CONFIG_FILE: one CNI call, as a runtime makes it, from inside
# the demo host namespace. Its stdout is left in $WORK/out and printed;
# a failure (with the CNI error object brisk printed) stops the demo.
brisk()
{
	local cmd=$1 conf=$2 rc=0

	printf '$ ip netns exec %s env CNI_COMMAND=%s CNI_CONTAINERID=%s CNI_NETNS=%s CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni %s < %s\n' \
		"$HOST" "$cmd" "$CONTAINER_ID" "$NETNS_PATH" "$BUILD_DIR/brisk" \
		"$(basename "$conf")"
	ip netns exec "$HOST" env \
		CNI_COMMAND="$cmd" CNI_CONTAINERID="$CONTAINER_ID" \
		CNI_NETNS="$NETNS_PATH" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		"$SRC/$BUILD_DIR/brisk" <"$conf" >"$WORK/out" || rc=$?
	if [[ -s "$WORK/out" ]]; then
		jq . "$WORK/out" 2>/dev/null || cat "$WORK/out"
	fi
	if ((rc != 0)); then
		echo "brisk $cmd failed with exit status $rc" >&2
		exit 1
	fi
}

step "dependencies (scripts/deps.sh)"
bash scripts/deps.sh
echo "all present"

step "build ($BUILD_DIR)"
if ! bash scripts/build.sh "$BUILD_DIR" >"/tmp/brisk-demo-build.$$.log" 2>&1; then
	cat "/tmp/brisk-demo-build.$$.log" >&2
	rm -f "/tmp/brisk-demo-build.$$.log"
	exit 1
fi
tail -n 1 "/tmp/brisk-demo-build.$$.log"
rm -f "/tmp/brisk-demo-build.$$.log"

step "namespaces: host $HOST, container $CONT"
run ip netns add "$HOST"
run ip netns add "$CONT"
run ip -n "$HOST" link set lo up
run ip -n "$CONT" link set lo up

DATADIR=$(mktemp -d /tmp/brisk-demo-data.XXXXXX)
WORK=$(mktemp -d /tmp/brisk-demo-work.XXXXXX)
CONF="$WORK/conf.json"
cat >"$CONF" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NETWORK",
  "type": "brisk",
  "bridge": "$BRIDGE",
  "isGateway": true,
  "isDefaultGateway": true,
  "ipMasq": true,
  "runtimeConfig": {
    "portMappings": [ { "hostPort": 8080, "containerPort": 80, "protocol": "tcp" } ]
  },
  "ipam": {
    "type": "host-local",
    "ranges": [
      [ { "subnet": "$SUBNET4" } ],
      [ { "subnet": "$SUBNET6" } ]
    ],
    "dataDir": "$DATADIR"
  }
}
EOF

step "network config, checked as ADD will check it (brisk validate)"
jq . "$CONF"
run ip netns exec "$HOST" "$SRC/$BUILD_DIR/brisk" validate "$CONF" >/dev/null
echo "valid"

step "ADD"
brisk ADD "$CONF"
cp "$WORK/out" "$WORK/result.json"
# Exactly the two addresses asked for, and no CNI error object.
jq -e '(has("code") | not) and (.ips | length == 2)' "$WORK/result.json" >/dev/null

step "the container's view"
run ip -n "$CONT" -br addr
run ip -n "$CONT" route
run ip -n "$CONT" -6 route
step "the host's view"
run ip -n "$HOST" -br link
run ip -n "$HOST" -br addr show dev "$BRIDGE"

step "ping the IPv4 gateway $GW4 from the container"
run ip netns exec "$CONT" ping -c 3 -i 0.2 -W 2 "$GW4"
step "ping the IPv6 gateway $GW6 from the container"
run ip netns exec "$CONT" ping -6 -c 3 -i 0.2 -W 2 "$GW6"

step "masquerade and the host port: brisk's nftables table in the host"
run ip netns exec "$HOST" nft list table inet brisk

step "a server on port 80 in the container, reached from the host at 127.0.0.1:8080"
ip netns exec "$CONT" socat -t5 TCP-LISTEN:80,fork,reuseaddr 'SYSTEM:echo hello from the container' \
	</dev/null >/dev/null 2>&1 &
SERVER=$!
for _ in $(seq 1 40); do
	ip netns exec "$CONT" ss -Hltn 'sport = :80' | grep -q . && break
	sleep 0.05
done
printf '$ ip netns exec %s socat - TCP:127.0.0.1:8080\n' "$HOST"
reply=$(ip netns exec "$HOST" timeout 10 socat -T5 -t5 - TCP:127.0.0.1:8080 </dev/null)
echo "$reply"
[[ "$reply" == "hello from the container" ]]
kill "$SERVER" 2>/dev/null || :
SERVER=""

step "lease store after ADD ($DATADIR)"
run find "$DATADIR" -mindepth 1
echo "($NETWORK/ is host-local's store format; .brisk/ is brisk's own: its index, a hint, and fw/, the firewall records)"
for f in "$DATADIR/$NETWORK"/[0-9a-f]*; do
	if [[ -f "$f" ]]; then
		printf '  %s holds: %s\n' "$(basename "$f")" "$(tr '\r\n' '  ' <"$f")"
	fi
done

step "who holds which address (brisk leases)"
run ip netns exec "$HOST" "$SRC/$BUILD_DIR/brisk" leases --data-dir "$DATADIR"

step "CHECK (with the ADD result as prevResult)"
jq --slurpfile prev "$WORK/result.json" '. + { prevResult: $prev[0] }' \
	"$CONF" >"$WORK/conf-prev.json"
brisk CHECK "$WORK/conf-prev.json"
echo "CHECK passed (no output is success)"

step "DEL"
brisk DEL "$WORK/conf-prev.json"
echo "DEL done (no output is success)"
if ip -n "$CONT" link show eth0 >/dev/null 2>&1; then
	echo "eth0 is still in the container" >&2
	exit 1
fi
run ip -n "$CONT" -br link

step "lease store after DEL"
run find "$DATADIR" -mindepth 1
# Only the lock and the last_reserved_ip.N hints (host-local's own files) stay.
leases=$(find "$DATADIR/$NETWORK" -type f ! -name lock \
	! -name 'last_reserved_ip.*' -printf '%f\n')
if [[ -n "$leases" ]]; then
	echo "leases left after DEL: $leases" >&2
	exit 1
fi
echo "no leases left"
left=$(ip netns exec "$HOST" nft list table inet brisk | grep -c ' comment "' || :)
if [[ "$left" != 0 ]]; then
	echo "nftables elements left after DEL: $left" >&2
	exit 1
fi
echo "no nftables elements left"
