#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# brisk under podman 4 with its CNI backend (runc, a busybox root filesystem
# given with --rootfs, no image). podman runs in the sandbox of runtime.sh:
# its network config and plugin directories, storage, locks, libcni cache
# and the namespaces it makes are the test's own, and it works in the test's
# host namespace. Checked:
#   - podman takes the network as brisk's (it silently replaces a rejected
#     network named like its default network, "podman", with a bridge of
#     its own: hence another name);
#   - a detached container: from inside, both addresses, both default
#     routes, both gateways answer; podman read the result (inspect); the
#     leases and the bridge port are there; `podman rm -f` makes brisk's
#     DEL, which leaves no lease, no veth and no namespace file;
#   - `podman run --rm`: the same from the container itself, torn down by
#     podman's cleanup.
# Skips (77) with the reason when podman or runc cannot run a container on
# this machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime.sh"
setup podman ip bridge jq od
rt_require podman runc conmon

ver=$(podman --version 2>/dev/null | awk '{ print $NF }')
case "$ver" in
4.*) ;;
*) skip "needs podman 4 (its CNI backend); found '${ver:-none}'" ;;
esac

NET_NAME=briskpod
ROOTFS=$TMPD/rootfs
CG=${PFX}cg
rt_rootfs "$ROOTFS"
rt_sandbox_start
rt_cgroup "$CG"

# root lacks CAP_SYS_RESOURCE here: podman's default limits for root
# (RLIMIT_NOFILE/NPROC of 1048576) cannot be set, so ask for less, in the
# config and on the command line (a --ulimit replaces the defaults).
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
cat >"$TMPD/containers.conf" <<EOF || fail "write containers.conf"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[network]
network_backend = "cni"
network_config_dir = "$RT_CONF_DIR"
cni_plugin_dirs = ["$RT_BIN_DIR"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$TMPD/podman-tmp"
EOF
cat >"$TMPD/storage.conf" <<EOF || fail "write storage.conf"
[storage]
driver = "vfs"
graphroot = "$TMPD/storage"
runroot = "$TMPD/runroot"
EOF
rt_conflist >"$RT_CONF_DIR/10-$NET_NAME.conflist" || fail "conflist"

pod()
{
	rt_in env CONTAINERS_CONF="$TMPD/containers.conf" \
		CONTAINERS_STORAGE_CONF="$TMPD/storage.conf" podman "$@"
}

# Every container started below is removed even when a check fails.
at_exit 'pod rm -a -f -t 0 >/dev/null 2>&1'

RUN=(run "${ULIMITS[@]}" --cgroup-parent "/$CG")

step "can podman run a container here at all"
if ! out=$(pod "${RUN[@]}" --rm --network none --rootfs "$ROOTFS" true 2>&1); then
	skip "podman cannot run a container on this machine: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi
assert_eq "$(rt_calls)" "" "plugin calls for --network none"

step "podman takes the network as brisk's"
out=$(pod network inspect "$NET_NAME" 2>"$TMPD/podman.err") ||
	fail "podman network inspect: $(cat "$TMPD/podman.err")"
assert_jq '.[0].driver == "brisk"' "podman's view of $NET_NAME" "$out"

step "detached container"
X1=$TMPD/x1
mkdir -p "$X1"
id=$(pod "${RUN[@]}" -d --name c1 --network "$NET_NAME" -v "$X1:/x" --rootfs "$ROOTFS" sleep 120 2>"$TMPD/podman.err") ||
	fail "podman run -d: $(cat "$TMPD/podman.err")"
out=$(pod exec c1 sh -c "$(rt_inside_checks)" 2>&1) || fail "podman exec: $out"
rt_verify_inside "$X1" "$(fam_first v4)" "$(fam_first v6)"
rt_expect_attached "$id" "$(fam_first v4)" "$(fam_first v6)"
out=$(pod inspect c1 2>&1) || fail "podman inspect: $out"
assert_jq ".[0].NetworkSettings.Networks.\"$NET_NAME\" |
	.IPAddress == \"$(fam_first v4)\" and .GlobalIPv6Address == \"$(fam_first v6)\" and
	.Gateway == \"$GW4\"" "addresses podman read from brisk's result" "$out"
netns=$(sed -n 's/^ADD netns=\[\(.*\)\] id=.*/\1/p' "$RT_CALLS")
assert_eq "$(rt_calls)" "ADD netns=[$netns] id=$id if=eth0" "plugin calls after run -d"
case "$netns" in
/run/netns/*) ;;
*) fail "podman's ADD had CNI_NETNS '$netns', expected a file under /run/netns" ;;
esac

step "podman rm -f: DEL"
out=$(pod rm -f -t 0 c1 2>&1) || fail "podman rm: $out"
rt_expect_detached
assert_eq "$(rt_calls | tail -n 1)" "DEL netns=[$netns] id=$id if=eth0" "the last plugin call"
assert_eq "$(rt_in ls -A /run/netns)" "" "namespace files podman left"

step "podman run --rm"
X2=$TMPD/x2
mkdir -p "$X2"
: >"$RT_CALLS"
out=$(pod "${RUN[@]}" --rm --network "$NET_NAME" -v "$X2:/x" \
	--rootfs "$ROOTFS" sh -c "$(rt_inside_checks)" 2>&1) || fail "podman run --rm: $out"
# Round robin, as host-local: the next addresses after the last ones.
rt_verify_inside "$X2" "${SUBNET4%.*/*}.3" "${SUBNET6%::/*}::3"
rt_expect_detached
assert_eq "$(rt_calls | cut -d' ' -f1 | tr '\n' ' ')" "ADD DEL " "plugin calls of run --rm"
assert_eq "$(rt_in ls -A /run/netns)" "" "namespace files podman left"
pass
