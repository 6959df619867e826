#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scripts/install-node.sh against a temporary directory standing for a
# node's /: a fresh install (binary, conflist for the node's pod ranges, no
# temporary file left), the conflist it renders works (ADD/DEL with the
# installed binary), a second run changes nothing (same inodes), a running
# binary is replaced by a rename, a new pod range replaces brisk's own
# conflist, another plugin's config (or a symlink) of that name is never
# touched, an earlier-sorting foreign config is warned about, pod ranges come
# from a Node object or the API server, bad arguments change nothing, the
# shared libraries are bundled on request; and conf/kubernetes/brisk.yaml's
# init container, run as the kubelet would run it, installs the same way.
. "$(dirname "$0")/lib.sh"
setup instnode ip jq cmp stat

INSTALL=$REPO/scripts/install-node.sh
ROOT=$TMPD/node
BIN=$ROOT/opt/cni/bin/brisk
CONFD=$ROOT/etc/cni/net.d
CONFF=$CONFD/10-brisk.conflist
mkdir -p "$ROOT" || fail "mkdir"

# inst ARGS...: run the installer; sets IRC, IOUT, IERR.
inst()
{
	LAST_CMD="install-node.sh $*"
	"$INSTALL" "$@" >"$TMPD/inst.out" 2>"$TMPD/inst.err"
	IRC=$?
	IOUT=$(cat "$TMPD/inst.out")
	IERR=$(cat "$TMPD/inst.err")
	RC=$IRC OUT=$IOUT ERR=$IERR
}

assert_inst()
{
	[ "$IRC" = "$1" ] || fail "${2:-install-node.sh} exited $IRC, expected $1"
}

# no_temp_files: the installer left no temporary file anywhere in ROOT.
no_temp_files()
{
	local left

	left=$(find "$ROOT" -name '.*' -type f)
	[ -z "$left" ] || fail "temporary files left: $left"
}

# stamp FILE...: inode and mtime of each.
stamp()
{
	stat -c '%i %Y' "$@"
}

# plugin_conf CONFLIST-FILE: the first plugin's config as a runtime hands it
# to the plugin (name and cniVersion from the list).
plugin_conf()
{
	jq -c '.plugins[0] + {name, cniVersion}' "$1"
}

P4=10.244.1.0/24
P6=fd00:10:244:1::/64

step "fresh install"
inst --binary "$BRISK" --pod-cidr "$P4,$P6" --data-dir "$DATADIR" "$ROOT"
assert_inst 0
cmp -s "$BRISK" "$BIN" || fail "installed binary differs from $BRISK"
assert_eq "$(stat -c %a "$BIN")" 755 "mode of the binary"
assert_eq "$(stat -c %a "$CONFF")" 644 "mode of the conflist"
assert_jq '.cniVersion == "1.0.0" and .name == "brisk" and (.plugins | length) == 1' \
	"conflist header" "$(cat "$CONFF")"
assert_eq "$(jq -c '.plugins[0] | [.type, .bridge, .isGateway, .isDefaultGateway, .hairpinMode, has("ipMasq")]' "$CONFF")" \
	'["brisk","cni0",true,true,true,false]' "the plugin's keys"
assert_eq "$(jq -c '.plugins[0].ipam' "$CONFF")" \
	"{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"$P4\"}],[{\"subnet\":\"$P6\"}]],\"dataDir\":\"$DATADIR\"}" \
	"the ipam section"
no_temp_files

step "the rendered conflist works with the installed binary"
c=$(mkns c1) || fail "mkns"
CONF=$(plugin_conf "$CONFF")
BRIDGE=cni0
saved=$BRISK
BRISK=$BIN
NET_NAME=brisk
cni ADD pod-1 "$c" eth0
assert_ok "ADD with the installed conflist"
assert_eq "$(addrs "$c" eth0 inet global) $(addrs "$c" eth0 inet6 global)" \
	"10.244.1.2/24 fd00:10:244:1::2/64" "pod addresses"
ip netns exec "$c" ping -n -c 1 -W 2 10.244.1.1 >/dev/null 2>&1 || fail "ping 10.244.1.1 from the pod"
cni DEL pod-1 "$c" eth0
assert_ok "DEL"
assert_no_leases
BRISK=$saved

step "a second run changes nothing"
before=$(stamp "$BIN" "$CONFF")
inst --binary "$BRISK" --pod-cidr "$P4,$P6" --data-dir "$DATADIR" "$ROOT"
assert_inst 0
assert_eq "$(stamp "$BIN" "$CONFF")" "$before" "inodes and mtimes after a second run"
assert_eq "$(grep -c '^unchanged ' <<<"$IOUT")" 2 "files reported unchanged"

step "a running binary is replaced by a rename"
rm -f "$BIN" && cp /bin/sleep "$BIN" || fail "cp /bin/sleep"
"$BIN" 60 &
old_pid=$!
sleep 0.2
# What a plain copy would run into:
if cp "$BRISK" "$BIN" 2>/dev/null; then
	fail "cp over a running binary worked: the case below proves nothing"
fi
inst --binary "$BRISK" --pod-cidr "$P4,$P6" --data-dir "$DATADIR" "$ROOT"
assert_inst 0 "install over a running binary"
cmp -s "$BRISK" "$BIN" || fail "binary not replaced"
kill -0 "$old_pid" 2>/dev/null || fail "the running old binary died"
case "$(readlink "/proc/$old_pid/exe")" in
*"(deleted)") ;;
*) fail "the running process does not run the old, unlinked file: $(readlink "/proc/$old_pid/exe")" ;;
esac
kill "$old_pid"
wait "$old_pid" 2>/dev/null
no_temp_files

step "a new pod range replaces brisk's own conflist"
inst --binary "$BRISK" --pod-cidr 10.244.7.0/24 "$ROOT"
assert_inst 0
assert_eq "$(jq -c '.plugins[0].ipam.ranges' "$CONFF")" '[[{"subnet":"10.244.7.0/24"}]]' "ranges after the change"
assert_eq "$(grep -c '^unchanged ' <<<"$IOUT")" 1 "files reported unchanged (the binary)"

step "another plugin's config of that name is never touched"
printf '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"bridge"}]}\n' >"$CONFF"
cp "$CONFF" "$TMPD/other"
inst --binary "$BRISK" --pod-cidr "$P4" "$ROOT"
assert_inst 1 "install over another plugin's conflist"
grep -q "not brisk's" <<<"$IERR" || fail "no reason given: $IERR"
cmp -s "$CONFF" "$TMPD/other" || fail "the other plugin's conflist was changed"
rm -f "$CONFF"
ln -s "$TMPD/other" "$CONFF"
inst --binary "$BRISK" --pod-cidr "$P4" "$ROOT"
assert_inst 1 "install over a symlink"
[ -L "$CONFF" ] || fail "the symlink was replaced"
cmp -s "$TMPD/other" <(printf '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"bridge"}]}\n') ||
	fail "the symlink's target was changed"
rm -f "$CONFF"
no_temp_files

step "a foreign config that sorts first is warned about, not touched"
printf '{"cniVersion":"0.4.0","name":"flannel","plugins":[{"type":"flannel"}]}\n' >"$CONFD/05-flannel.conflist"
printf '{"cniVersion":"0.4.0","name":"late","type":"ptp"}\n' >"$CONFD/99-late.conf"
before=$(md5sum "$CONFD/05-flannel.conflist" "$CONFD/99-late.conf")
inst --binary "$BRISK" --pod-cidr "$P4" "$ROOT"
assert_inst 0
grep -q '05-flannel.conflist sorts before 10-brisk.conflist' <<<"$IERR" ||
	fail "no warning about 05-flannel.conflist: $IERR"
! grep -q 99-late <<<"$IERR" || fail "warned about a config that sorts after: $IERR"
assert_eq "$(md5sum "$CONFD/05-flannel.conflist" "$CONFD/99-late.conf")" "$before" "other configs"
rm -f "$CONFD/05-flannel.conflist" "$CONFD/99-late.conf"

step "pod ranges from a Node object"
cat >"$TMPD/node.json" <<EOF
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"},
 "spec": {"podCIDR": "10.244.3.0/24", "podCIDRs": ["10.244.3.0/24", "fd00:10:244:3::/64"]}}
EOF
inst --no-binary --node-json "$TMPD/node.json" "$ROOT"
assert_inst 0
assert_eq "$(jq -c '[.plugins[0].ipam.ranges[][].subnet]' "$CONFF")" \
	'["10.244.3.0/24","fd00:10:244:3::/64"]' "ranges from spec.podCIDRs"
echo '{"kind": "Node", "spec": {"podCIDR": "10.244.4.0/24"}}' |
	"$INSTALL" --print --node-json - >"$TMPD/p.json" || fail "--node-json - with spec.podCIDR only"
assert_eq "$(jq -c '[.plugins[0].ipam.ranges[][].subnet]' "$TMPD/p.json")" '["10.244.4.0/24"]' \
	"ranges from the older spec.podCIDR"
echo '{"kind": "Node", "spec": {}}' >"$TMPD/bare.json"
inst --no-binary --node-json "$TMPD/bare.json" "$ROOT"
assert_inst 1 "a node without a pod range"
grep -q 'no pod range' <<<"$IERR" || fail "no reason given: $IERR"

if command -v curl >/dev/null; then
	step "pod ranges from the API server"
	mkdir -p "$TMPD/api/api/v1/nodes" "$TMPD/sa"
	cp "$TMPD/node.json" "$TMPD/api/api/v1/nodes/node-a"
	echo token >"$TMPD/sa/token"
	: >"$TMPD/sa/ca.crt"
	rm -f "$CONFF"
	NODE_NAME=node-a inst --no-binary --from-api --api-url "file://$TMPD/api" --sa-dir "$TMPD/sa" "$ROOT"
	assert_inst 0 "--from-api"
	assert_eq "$(jq -c '[.plugins[0].ipam.ranges[][].subnet]' "$CONFF")" \
		'["10.244.3.0/24","fd00:10:244:3::/64"]' "ranges from the API server"
	NODE_NAME=node-b inst --no-binary --from-api --api-url "file://$TMPD/api" --sa-dir "$TMPD/sa" "$ROOT"
	assert_inst 1 "--from-api for a node the server does not know"
else
	echo "test_install_node: curl not installed: --from-api not checked" >&2
fi

step "bad arguments change nothing"
before=$(stamp "$BIN" "$CONFF")
for args in "$ROOT" "--pod-cidr $P4 --node-json $TMPD/node.json $ROOT" \
	"--pod-cidr 10.244.1.0 $ROOT" "--pod-cidr 10.244.1.0/24,10.244.2.0/24 $ROOT" \
	"--pod-cidr 300.1.1.0/24 $ROOT" "--pod-cidr $P4" "--pod-cidr $P4 --mtu 9 $ROOT" \
	"--pod-cidr $P4 --network .x $ROOT" "--pod-cidr $P4 --cluster-cidr nope $ROOT" \
	"--pod-cidr $P4 --bogus $ROOT" "--pod-cidr $P4 $ROOT $ROOT"; do
	# shellcheck disable=SC2086 # the arguments are words
	inst $args
	assert_inst 2 "install-node.sh $args"
done
inst --binary "$TMPD/missing" --pod-cidr "$P4" "$ROOT"
assert_inst 1 "a missing binary"
inst --binary "$BRISK" --pod-cidr "$P4" "$TMPD/missing-root"
assert_inst 1 "a missing ROOT"
assert_eq "$(stamp "$BIN" "$CONFF")" "$before" "inodes and mtimes after the failures"
no_temp_files

step "--bundle-libs"
inst --binary "$BRISK" --pod-cidr "$P4" --bundle-libs "$ROOT"
assert_inst 0
n=0
while read -r soname path; do
	case "$soname" in
	libc.so* | libm.so* | libdl.so* | libpthread.so* | librt.so*)
		[ ! -e "$ROOT/opt/cni/bin/brisk.d/$soname" ] || fail "bundled the C library's $soname"
		;;
	*)
		cmp -s "$path" "$ROOT/opt/cni/bin/brisk.d/$soname" || fail "$soname not bundled"
		n=$((n + 1))
		;;
	esac
done < <(ldd "$BRISK" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
((n > 0)) || fail "no library found to bundle: the check proves nothing"
# brisk loads libnetfilter_conntrack (and so libnfnetlink) only for UDP host
# ports, so ldd does not show them: they are bundled all the same.
for soname in libnetfilter_conntrack.so.3 libnfnetlink.so.0; do
	path=$(ldconfig -p | awk -v s="$soname" '$1 == s { print $NF; exit }')
	[ -n "$path" ] || fail "$soname is not installed here: the check proves nothing"
	cmp -s "$path" "$ROOT/opt/cni/bin/brisk.d/$soname" || fail "$soname (loaded on demand) not bundled"
done
no_temp_files

step "conf/kubernetes/brisk.yaml: the init container as the kubelet runs it"
if ! command -v yq >/dev/null || ! command -v curl >/dev/null; then
	echo "test_install_node: yq or curl not installed: conf/kubernetes/brisk.yaml not checked" >&2
	pass
fi
MANIFEST=$REPO/conf/kubernetes/brisk.yaml
docs=$(yq -s . "$MANIFEST") || fail "$MANIFEST is not YAML"
ds=$(jq -c '.[] | select(.kind == "DaemonSet")' <<<"$docs")
cm=$(jq -c '.[] | select(.kind == "ConfigMap")' <<<"$docs")
init=$(jq -c '.spec.template.spec.initContainers[0]' <<<"$ds")
assert_jq '.spec.template.spec.hostNetwork == true' "hostNetwork" "$ds"
assert_jq '.spec.template.spec.tolerations | any(.operator == "Exists")' "tolerates every taint" "$ds"
# Every hostPath volume is mounted at /host + its path, the ROOT given.
assert_eq "$(jq -r '.args[-1]' <<<"$init")" /host "the installer's ROOT"
assert_eq "$(jq -c --argjson ds "$ds" '[.volumeMounts[] | .name as $n |
	($ds.spec.template.spec.volumes[] | select(.name == $n) | .hostPath.path) as $p |
	.mountPath == "/host" + $p] | all and length == 2' <<<"$init")" true \
	"volume mounts at /host + hostPath"
# The image has the installer and the binary where the manifest says.
cmd=$(jq -r '.command[0]' <<<"$init")
grep -q "install-node.sh" "$REPO/conf/kubernetes/Containerfile" ||
	fail "the Containerfile does not ship install-node.sh"
assert_eq "$cmd" /opt/brisk/install-node.sh "the init container's command"
grep -q 'COPY --from=build /out/ /opt/brisk/' "$REPO/conf/kubernetes/Containerfile" ||
	fail "the Containerfile does not put /out (brisk, install-node.sh, brisk.d) in /opt/brisk"
# The environment, as the kubelet makes it: literal values, the ConfigMap's
# keys (with test values), the node's name.
env_json=$(jq -c --argjson cm "$cm" '[.env[] | {key: .name, value: (
	.value // (if .valueFrom.configMapKeyRef then
		$cm.data[.valueFrom.configMapKeyRef.key] // error("no key \(.valueFrom.configMapKeyRef.key)")
	elif .valueFrom.fieldRef.fieldPath == "spec.nodeName" then "node-a"
	else error("unknown env source") end))}] | from_entries' <<<"$init") ||
	fail "cannot resolve the init container's environment"
env_json=$(jq -c '. + {BRISK_MTU: "1450", BRISK_CLUSTER_CIDR: "10.244.0.0/16,fd00:10:244::/56"}' <<<"$env_json")
# $(VAR) in args, the kubelet's expansion; image paths become the test's.
mapfile -t args < <(jq -r --argjson env "$env_json" '.args[] |
	gsub("\\$\\((?<v>[A-Za-z_][A-Za-z0-9_]*)\\)"; $env[.v] // "$(\(.v))")' <<<"$init")
ROOT2=$TMPD/node2
mkdir -p "$ROOT2"
args=("${args[@]/#--binary=\/opt\/brisk\/brisk/--binary=$BRISK}")
args[-1]=$ROOT2
NODE_NAME=node-a inst "${args[@]}" --api-url "file://$TMPD/api" --sa-dir "$TMPD/sa"
assert_inst 0 "the init container's command"
cmp -s "$BRISK" "$ROOT2/opt/cni/bin/brisk" || fail "the init container did not install the binary"
assert_eq "$(jq -c '.name as $n | .plugins[0] | [$n, .bridge, .mtu, .ipMasqExclude, [.ipam.ranges[][].subnet]]' \
	"$ROOT2/etc/cni/net.d/10-brisk.conflist")" \
	'["brisk","cni0",1450,["10.244.0.0/16","fd00:10:244::/56"],["10.244.3.0/24","fd00:10:244:3::/64"]]' \
	"the conflist the init container wrote"
[ -d "$ROOT2/opt/cni/bin/brisk.d" ] || fail "the init container did not bundle the libraries"
pass
