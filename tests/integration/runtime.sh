# SPDX-License-Identifier: Apache-2.0
# Helpers for the tests that drive brisk through a real container runtime
# (podman, containerd's ctr). Sourced by such a test after lib.sh's setup.
#
# A runtime writes to fixed places: libcni's cache in /var/lib/cni, its
# state under /run, podman's locks in /dev/shm, the namespaces it makes in
# /run/netns, and ctr reads its networks from /etc/cni/net.d and its plugins
# from /opt/cni/bin whatever one says. So a runtime only ever runs in the
# "sandbox": private mount and PID namespaces held by one process, in which
# /run and /var/lib are overlays whose writes land in $TMPD, /run/netns and
# /dev/shm are empty tmpfs, and /etc/cni/net.d and /opt/cni/bin are
# $RT_CONF_DIR and $RT_BIN_DIR. Every runtime command is run there and in
# the test's host namespace $HOST (rt_in, rt_bg), so bridges, veths and
# addresses land in $HOST; every process it starts (daemon, shim, conmon,
# container) dies with the sandbox when the test ends. Nothing reaches the
# machine's own mounts, files or network; cgroups a test names with
# rt_cgroup are removed at exit.

RT_UNSHARE=""
RT_HOLDER=""
RT_NSENTER=()
RT_BG=""
RT_CONF_DIR=""
RT_BIN_DIR=""
RT_CALLS=""
RT_CGROUPS=()

# rt_require TOOL...: skip unless every TOOL is on PATH.
rt_require()
{
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "needs $t (not installed)"
	done
}

# rt_rootfs DIR: a root filesystem of one static busybox and its applets
# (relative links, so they resolve inside the container), and a /x mount
# point for the exchange directory.
rt_rootfs()
{
	local dir=$1 bb=/bin/busybox a

	[ -x "$bb" ] || bb=$(command -v busybox) || skip "needs busybox-static"
	# ldd fails on a static executable: a dynamic busybox would need its
	# libraries in the root filesystem.
	if ldd "$bb" >/dev/null 2>&1; then
		skip "$bb is not static (install busybox-static)"
	fi
	mkdir -p "$dir/bin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" \
		"$dir/tmp" "$dir/run" "$dir/x" || fail "mkdir $dir"
	cp "$bb" "$dir/bin/busybox" || fail "cp $bb"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -s busybox "$dir/bin/$a" || fail "ln $a"
	done
}

# rt_in COMMAND...: run COMMAND in the sandbox (its mount and PID
# namespaces) and in $HOST.
rt_in()
{
	"${RT_NSENTER[@]}" "$@"
}

# rt_bg OUT COMMAND...: start COMMAND like rt_in, in the background, with
# its output in OUT; RT_BG is COMMAND's PID (as the machine sees it).
rt_bg()
{
	local out=$1 pid i

	shift
	"${RT_NSENTER[@]}" "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	RT_BG=""
	# nsenter forks to enter the PID namespace: COMMAND is its child.
	for ((i = 0; i < 200; i++)); do
		RT_BG=$(pgrep -P "$pid") && break
		kill -0 "$pid" 2>/dev/null || fail "$1 did not start: $(cat "$out")"
		sleep 0.02
	done
	[ -n "$RT_BG" ] || fail "$1 did not start"
}

# _rt_private_dir TARGET SRC: make TARGET show the directory SRC inside the
# sandbox. A TARGET that does not exist is made in an overlay of its nearest
# existing parent, so the machine's tree is never written to.
_rt_private_dir()
{
	local target=$1 src=$2 anc

	if ! rt_in test -d "$target"; then
		anc=$(dirname "$target")
		while ! rt_in test -d "$anc"; do
			anc=$(dirname "$anc")
		done
		[ "$anc" != / ] || skip "$target: no parent directory but / to overlay"
		_rt_overlay "$anc"
		rt_in mkdir -p "$target" || fail "mkdir $target in the sandbox"
	fi
	rt_in mount --bind "$src" "$target" || fail "bind $src on $target"
}

# _rt_overlay DIR: DIR in the sandbox becomes an overlay whose writes go
# under $TMPD/ov.
_rt_overlay()
{
	local dir=$1 ov

	ov=$TMPD/ov/$(tr / _ <<<"$dir")
	mkdir -p "$ov/upper" "$ov/work" || fail "mkdir $ov"
	rt_in mount -t overlay overlay \
		-o "lowerdir=$dir,upperdir=$ov/upper,workdir=$ov/work" "$dir" ||
		skip "cannot mount an overlay on $dir (no overlayfs?)"
}

# rt_sandbox_start: start the sandbox (see the top of this file); the
# plugin directory gets brisk behind a wrapper that appends one line per call
# to $RT_CALLS: "<command> netns=[<CNI_NETNS>] id=<id> if=<ifname>".
rt_sandbox_start()
{
	local i comm

	rt_require unshare nsenter mount pgrep
	RT_CONF_DIR=$TMPD/net.d
	RT_BIN_DIR=$TMPD/cni-bin
	RT_CALLS=$TMPD/calls
	mkdir -p "$RT_CONF_DIR" "$RT_BIN_DIR" || fail "mkdir"
	: >"$RT_CALLS"
	cat >"$RT_BIN_DIR/brisk" <<EOF || fail "cannot write the wrapper"
#!/bin/sh
printf '%s netns=[%s] id=%s if=%s\n' "\$CNI_COMMAND" "\$CNI_NETNS" \\
	"\$CNI_CONTAINERID" "\$CNI_IFNAME" >>'$RT_CALLS'
exec '$BRISK' "\$@"
EOF
	chmod 755 "$RT_BIN_DIR/brisk"

	# The holder is PID 1 of a PID namespace of its own: every process a
	# runtime starts (daemons, shims, conmon, containers) is in it, and
	# dies with it; it reaps the orphans reparented to it. --kill-child:
	# killing unshare kills it.
	unshare --mount --pid --fork --kill-child --mount-proc \
		--propagation private -- \
		bash -c 'while :; do sleep 3600 & wait; done' \
		</dev/null >/dev/null 2>&1 &
	RT_UNSHARE=$!
	at_exit _rt_sandbox_stop
	# Only once bash runs has unshare made every mount private: no
	# mount of ours may propagate to the machine.
	for ((i = 0; i < 200; i++)); do
		kill -0 "$RT_UNSHARE" 2>/dev/null || fail "unshare failed"
		RT_HOLDER=$(pgrep -P "$RT_UNSHARE") &&
			comm=$(cat "/proc/$RT_HOLDER/comm" 2>/dev/null) &&
			[ "$comm" = bash ] && break
		RT_HOLDER=""
		sleep 0.02
	done
	[ -n "$RT_HOLDER" ] || fail "the sandbox's holder did not start"
	[ "$(readlink "/proc/$RT_HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		fail "the sandbox has no mount namespace of its own"
	RT_NSENTER=(nsenter -t "$RT_HOLDER" -m -p --net="$(nspath "$HOST")" --)
	rt_in mount --make-rprivate / || fail "make-rprivate in the sandbox"

	_rt_overlay /run
	_rt_overlay /var/lib
	# After the /run overlay, which hides what is mounted below /run (and
	# takes the mkdir when /run/netns does not exist).
	rt_in mkdir -p /run/netns && rt_in mount -t tmpfs -o mode=755 tmpfs /run/netns ||
		fail "tmpfs on /run/netns"
	rt_in mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "tmpfs on /dev/shm"
	_rt_private_dir /etc/cni/net.d "$RT_CONF_DIR"
	_rt_private_dir /opt/cni/bin "$RT_BIN_DIR"
}

# rt_cgroup NAME: remove the cgroup NAME (at the top of every hierarchy)
# when the test ends; the runtime is told to put its containers there.
rt_cgroup()
{
	RT_CGROUPS+=("$1")
}

_rt_sandbox_stop()
{
	local name d i

	if [ -n "$RT_UNSHARE" ]; then
		# unshare --fork ignores SIGTERM and SIGINT.
		kill -KILL "$RT_UNSHARE" 2>/dev/null
		wait "$RT_UNSHARE" 2>/dev/null
		RT_UNSHARE=""
	fi
	# The namespace's processes die asynchronously; their cgroups can only
	# go once they are gone.
	for ((i = 0; i < 100; i++)); do
		[ -n "$RT_HOLDER" ] && [ -d "/proc/$RT_HOLDER" ] || break
		sleep 0.02
	done
	for name in "${RT_CGROUPS[@]}"; do
		for d in /sys/fs/cgroup/"$name" /sys/fs/cgroup/*/"$name"; do
			[ -d "$d" ] || continue
			for ((i = 0; i < 20; i++)); do
				find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
				[ -d "$d" ] || break
				sleep 0.05
			done
		done
	done
	return 0
}

# rt_calls: the plugin calls recorded so far, one per line, but VERSION
# (libcni asks for it before the calls that matter).
rt_calls()
{
	grep -v '^VERSION ' "$RT_CALLS"
}

# rt_container_addrs FILE FAMILY(inet|inet6): the global "addr/len" of the
# container's eth0 from busybox's `ip -o addr show dev eth0` saved in FILE.
rt_container_addrs()
{
	awk -v f="$2" '$3 == f && / scope global / { print $4 }' "$1" | sort
}

# rt_expect_attached ID IP4 IP6: the lease store holds exactly IP4 and IP6,
# both for ID/eth0, and the bridge has exactly one port.
rt_expect_attached()
{
	local id=$1

	assert_eq "$(leases | tr '\n' ' ')" "$2 $3 " "leases"
	assert_lease "$2" "$id" eth0
	assert_lease "$3" "$id" eth0
	assert_eq "$(ports "$HOST" "$BRIDGE" | wc -w)" 1 "ports of $BRIDGE"
}

# rt_expect_detached: no lease, no veth, and the bridge without ports.
rt_expect_detached()
{
	assert_no_leases
	assert_eq "$(ports "$HOST" "$BRIDGE")" "" "ports of $BRIDGE after DEL"
	assert_eq "$(ip -n "$HOST" -o link show type veth | wc -l)" 0 "veths left in $HOST"
}

# rt_inside_checks: the shell commands a container runs to report on its
# own network: eth0's addresses (to /x/addrs), then a ping to each gateway.
rt_inside_checks()
{
	printf '%s' "ip -o addr show dev eth0 >/x/addrs && ip route >/x/routes &&
		ip -6 route >>/x/routes &&
		ping -c 1 -W 2 $GW4 >/x/ping4 2>&1 && echo ok >>/x/ping4 &&
		ping -c 1 -W 2 $GW6 >/x/ping6 2>&1 && echo ok >>/x/ping6"
}

# rt_verify_inside DIR IP4 IP6: what the container reported
# (rt_inside_checks) in DIR: exactly the addresses IP4 and IP6 (with the
# subnets' prefix lengths), default routes through both gateways, and both
# gateways answered.
rt_verify_inside()
{
	local d=$1

	[ -f "$d/addrs" ] || fail "the container did not report its addresses"
	assert_eq "$(rt_container_addrs "$d/addrs" inet)" "$2/$(fam_plen v4)" \
		"IPv4 address inside the container"
	assert_eq "$(rt_container_addrs "$d/addrs" inet6)" "$3/$(fam_plen v6)" \
		"IPv6 address inside the container"
	grep -q "^default via $GW4 dev eth0" "$d/routes" ||
		fail "no IPv4 default route via $GW4 inside: $(cat "$d/routes")"
	grep -q "^default via $GW6 dev eth0" "$d/routes" ||
		fail "no IPv6 default route via $GW6 inside: $(cat "$d/routes")"
	[ "$(tail -n 1 "$d/ping4" 2>/dev/null)" = ok ] ||
		fail "ping from the container to $GW4 failed: $(cat "$d/ping4" 2>/dev/null)"
	[ "$(tail -n 1 "$d/ping6" 2>/dev/null)" = ok ] ||
		fail "ping from the container to $GW6 failed: $(cat "$d/ping6" 2>/dev/null)"
}

# rt_conflist: the test network ($NET_NAME, dual stack, the lease store in
# $DATADIR) as a conflist whose one plugin is the wrapped brisk.
rt_conflist()
{
	mkconf 1.0.0 dual | jq '{cniVersion, name,
		plugins: [del(.cniVersion, .name) | .type = "brisk"]}'
}
