#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# brisk under containerd 1.6 through `ctr run --cni` (runc, a busybox root
# filesystem given with --rootfs, no image). ctr reads its networks from
# /etc/cni/net.d and its plugins from /opt/cni/bin, whatever one says, so
# containerd and ctr run in the sandbox of runtime.sh, where those are the
# test's directories; containerd gets its own root, state and sockets under
# the temporary directory and is stopped by its PID. Checked:
#   - from inside the container: both addresses, both default routes, both
#     gateways answer;
#   - while it runs: the leases (container ID "<namespace>-<id>", as ctr
#     names it) and the bridge port; ADD got the task's /proc/PID/ns/net;
#   - when it exits, ctr's DEL comes with CNI_NETNS="" (the namespace died
#     with the task) and leaves no lease and no veth.
# Skips (77) with the reason when containerd or runc cannot run a container
# on this machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime.sh"
setup ctr ip bridge jq od
rt_require containerd ctr containerd-shim-runc-v2 runc

ver=$(containerd --version 2>/dev/null | awk '{ print $3 }')
case "$ver" in
1.6.* | 1.7.*) ;;
*) skip "needs containerd 1.6 or 1.7 (ctr run --cni); found '${ver:-none}'" ;;
esac

NET_NAME=briskctr
ROOTFS=$TMPD/rootfs
CD=$TMPD/containerd
SOCK=$CD/containerd.sock
# ctr puts a task in the cgroup /<namespace>/<id>.
CNS=${PFX}ns
CD_PID=""
rt_rootfs "$ROOTFS"
rt_sandbox_start
rt_cgroup "$CNS"
rt_conflist >"$RT_CONF_DIR/10-$NET_NAME.conflist" || fail "conflist"

mkdir -p "$CD" || fail "mkdir $CD"
cat >"$CD/config.toml" <<EOF || fail "write config.toml"
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri",
	"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
	"io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CD/opt"
EOF

# stop_containerd: TERM by PID, KILL after 5 s. The shims and containers
# it started die with the sandbox's PID namespace.
stop_containerd()
{
	local i

	if [ -n "$CD_PID" ]; then
		kill "$CD_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$CD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$CD_PID" 2>/dev/null
		CD_PID=""
	fi
	return 0
}

rt_bg "$CD/log" containerd --config "$CD/config.toml" --log-level warn
CD_PID=$RT_BG
at_exit stop_containerd
for ((i = 0; i < 100; i++)); do
	[ -S "$SOCK" ] && break
	kill -0 "$CD_PID" 2>/dev/null || skip "containerd did not start: $(tail -n 3 "$CD/log" | tr '\n' ' ')"
	sleep 0.1
done
[ -S "$SOCK" ] || fail "containerd's socket did not appear in 10 s: $(tail -n 3 "$CD/log")"

c()
{
	rt_in ctr --address "$SOCK" --namespace "$CNS" "$@"
}
RUN=(run --rm --env PATH=/bin --rootfs)

step "can containerd run a container here at all"
if ! out=$(c "${RUN[@]}" "$ROOTFS" c0 true 2>&1); then
	skip "containerd cannot run a container on this machine: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi
assert_eq "$(rt_calls)" "" "plugin calls without --cni"

step "ctr run --cni"
X=$TMPD/x
mkdir -p "$X"
# The container reports, then waits (at most 60 s) for the go-ahead, so
# that the host side can be checked while it runs.
c "${RUN[@]}" --cni --mount "type=bind,src=$X,dst=/x,options=rbind:rw" "$ROOTFS" c1 \
	sh -c "$(rt_inside_checks); touch /x/ready; i=0
		while [ ! -e /x/go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done" \
	>"$TMPD/ctr.out" 2>&1 &
CTR_PID=$!
for ((i = 0; i < 300; i++)); do
	[ -e "$X/ready" ] && break
	kill -0 "$CTR_PID" 2>/dev/null || break
	sleep 0.1
done
[ -e "$X/ready" ] || fail "the container did not get to report: $(cat "$TMPD/ctr.out")"
rt_verify_inside "$X" "$(fam_first v4)" "$(fam_first v6)"
rt_expect_attached "$CNS-c1" "$(fam_first v4)" "$(fam_first v6)"
assert_eq "$(rt_calls | sed 's|^ADD netns=\[/proc/[0-9]*/ns/net\]|ADD netns=[/proc/PID/ns/net]|')" \
	"ADD netns=[/proc/PID/ns/net] id=$CNS-c1 if=eth0" "plugin calls while the task runs"

step "the task exits: DEL with CNI_NETNS=\"\""
touch "$X/go"
wait "$CTR_PID"
rc=$?
[ "$rc" = 0 ] || fail "ctr run --cni exited $rc: $(cat "$TMPD/ctr.out")"
assert_eq "$(rt_calls | tail -n 1)" "DEL netns=[] id=$CNS-c1 if=eth0" "the last plugin call"
rt_expect_detached
pass
