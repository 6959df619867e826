#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# No path from the input is opened in a way that can block or reach a
# driver. CNI_NETNS, ipam.resolvConf, ipam.dataDir and every name brisk
# opens inside it are in turn a FIFO, a socket, a directory (where a file is
# expected) and a device node; each call must answer at once (a FIFO used
# to hang ADD for good, with SIGTERM blocked) with the expected error code
# and nothing created, or, where the file is only a hint or an address
# host-local would also take as used, succeed around it.
. "$(dirname "$0")/lib.sh"
setup paths ip jq mkfifo mknod perl timeout nft

C=$(mkns c1) || fail "mkns"
KINDS="fifo socket dir device"

# mkspecial KIND PATH
mkspecial()
{
	case "$1" in
	fifo) mkfifo "$2" ;;
	socket) perl -MSocket -e 'socket(S, PF_UNIX, SOCK_STREAM, 0) or die;
		bind(S, pack_sockaddr_un($ARGV[0])) or die "bind: $!"' "$2" ;;
	dir) mkdir "$2" ;;
	device) mknod "$2" c 1 3 ;; # what /dev/null is
	esac || fail "cannot make a $1 at $2"
}

# kind_name KIND: what stat -c %F says of it.
kind_name()
{
	case "$1" in
	fifo) echo fifo ;;
	socket) echo socket ;;
	dir) echo directory ;;
	device) echo character special file ;;
	esac
}

# run CMD [VAR=VALUE...]: brisk in $HOST with $CONF, killed (and failed) if
# it is still running after 5 s; SIGKILL, since brisk blocks SIGTERM.
run()
{
	local cmd=$1

	shift
	printf '%s' "$CONF" >"$TMPD/in"
	_cni_env "$cmd" ctr-paths "$C" eth0
	LAST_CMD="$cmd $*"
	_passenv
	ip netns exec "$HOST" timeout -s KILL 5 env -i PATH="$PATH" "${PASSENV[@]}" \
		"${CNI_ENV[@]}" "$@" "$BRISK" <"$TMPD/in" >"$TMPD/out" 2>"$TMPD/err"
	RC=$?
	OUT=$(cat "$TMPD/out")
	ERR=$(cat "$TMPD/err")
	[ "$RC" != 137 ] || fail "$cmd did not answer within 5 s"
}

# snapshot: links, container addresses and the files of the test's
# directory (not brisk's index, a hint).
snapshot()
{
	{
		ip -n "$HOST" -j link show
		ip -n "$C" -j addr show
	} | jq -sc '{links: ([.[0][] | .ifname] | sort),
		addrs: ([.[1][] | .addr_info[] | select(.scope == "global") |
			.local] | sort)}'
	find "$TMPD" -path '*/.brisk' -prune -o ! -name in ! -name out ! -name err ! \( -name lock -type f \) -print | sort
}

# expect_err CODE [VAR=VALUE...]: ADD fails with CODE and changes nothing.
expect_err()
{
	local code=$1 before after

	shift
	before=$(snapshot)
	run ADD "$@"
	assert_err "$code"
	after=$(snapshot)
	[ "$after" == "$before" ] ||
		fail "state changed by a failed ADD:$(diff <(echo "$before") <(echo "$after") | sed 's/^/\n    /')"
}

CONF=$(mkconf 1.0.0 v4)

step "CNI_NETNS"
for k in $KINDS; do
	CASE="CNI_NETNS $k"
	p=$TMPD/netns-$k
	mkspecial "$k" "$p"
	expect_err 4 CNI_NETNS="$p"
	assert_jq '.msg | test("network namespace")' "msg names the reason"
	# DEL takes what is not a namespace for a namespace that is gone.
	run DEL CNI_NETNS="$p"
	assert_ok "DEL with CNI_NETNS $k"
	rm -rf "$p"
done

step "ipam.resolvConf"
for k in $KINDS; do
	CASE="resolvConf $k"
	p=$TMPD/resolv-$k
	mkspecial "$k" "$p"
	CONF=$(mkconf 1.0.0 v4 ".ipam.resolvConf = \"$p\"")
	expect_err 5
	assert_jq ".msg | test(\"resolvConf\")" "msg names the key"
	rm -rf "$p"
done
CONF=$(mkconf 1.0.0 v4)

step "ipam.dataDir itself"
for k in fifo socket device file; do
	CASE="dataDir $k"
	rm -rf "$DATADIR"
	if [ "$k" = file ]; then : >"$DATADIR"; else mkspecial "$k" "$DATADIR"; fi
	expect_err 5
	rm -rf "$DATADIR"
done

# The store's own files must be files: 5 at once, nothing created.
for name in "$NET_NAME" "$NET_NAME/lock" "$NET_NAME/last_reserved_ip.0"; do
	step "$name"
	for k in $KINDS; do
		[ "$name" = "$NET_NAME" ] && [ "$k" = dir ] && continue
		CASE="$name $k"
		rm -rf "$DATADIR"
		mkdir -p "$(dirname "$DATADIR/$name")"
		mkspecial "$k" "$DATADIR/$name"
		expect_err 5
	done
done

# The index's files for this container: its header, its owner record and
# its bitmap, as one ADD leaves them.
rm -rf "$DATADIR"
run ADD
assert_ok "ADD to see the index's files"
rec=$(cd "$DATADIR/.brisk/$NET_NAME" && ls -d o-*) || fail "no owner record"
[ -f "$DATADIR/.brisk/$NET_NAME/4-0ac7" ] || fail "no bitmap 4-0ac7"
run DEL
assert_ok "DEL"

# A lease name held by something else: the address is taken, as host-local
# sees it, and the file is left alone; brisk's index is only a hint, done
# without or rebuilt. Both ADD and DEL go through at once.
for name in "$NET_NAME/10.199.0.2" ".brisk" ".brisk/$NET_NAME/index" \
	".brisk/$NET_NAME/$rec" ".brisk/$NET_NAME/4-0ac7"; do
	step "$name"
	for k in $KINDS; do
		CASE="$name $k"
		rm -rf "$DATADIR"
		mkdir -p "$(dirname "$DATADIR/$name")"
		[ "$k" = dir ] && [ -e "$DATADIR/$name" ] && continue
		mkspecial "$k" "$DATADIR/$name"
		run ADD
		assert_ok "ADD"
		want=10.199.0.2/24
		[ "$name" = "$NET_NAME/10.199.0.2" ] && want=10.199.0.3/24
		assert_eq "$(jq -r '.ips[0].address' <<<"$OUT")" "$want" "address"
		run DEL
		assert_ok "DEL"
		# The index is brisk's own and may be rebuilt over what was there.
		case "$name" in
		.brisk*) ;;
		*) assert_eq "$(stat -c %F "$DATADIR/$name")" "$(kind_name "$k")" \
			"the planted $k" ;;
		esac
		assert_eq "$(leases | grep -vx 10.199.0.2)" "" "leases left"
	done
done
CASE=""

# The firewall records: brisk's own, not a hint. Something else where the
# record directory goes refuses an ADD that needs a record (code 5, nothing
# left); where a record goes, it is no record, and is replaced. DEL goes
# through either way.
CONF=$(mkconf 1.0.0 v4 '.ipMasq = true')
for name in ".brisk/$NET_NAME/fw" ".brisk/$NET_NAME/fw/ctr-paths:eth0"; do
	step "$name (ipMasq)"
	for k in $KINDS; do
		CASE="$name $k"
		rm -rf "$DATADIR"
		mkdir -p "$(dirname "$DATADIR/$name")"
		[ "$k" = dir ] && [ "$name" = ".brisk/$NET_NAME/fw" ] && continue
		mkspecial "$k" "$DATADIR/$name"
		if [ "$name" = ".brisk/$NET_NAME/fw" ] || [ "$k" = dir ]; then
			# Found at the firewall step: rolled back (the store keeps
			# last_reserved_ip moved, as after any late failure).
			run ADD
			assert_err 5 "firewall record"
			assert_eq "$(leases)" "" "leases after the refused ADD"
			link_exists "$C" eth0 && fail "the refused ADD left eth0"
			assert_eq "$(ip -n "$HOST" -o link show type veth)" "" "host veths after the refused ADD"
		else
			run ADD
			assert_ok "ADD"
			assert_eq "$(stat -c %F "$DATADIR/$name")" "regular file" "the record"
		fi
		run DEL
		assert_ok "DEL"
	done
done
CASE=""
pass
