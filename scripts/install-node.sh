#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Install brisk on a node: the binary into the CNI binary directory and a
# conflist for the node's pod range(s) into the CNI config directory, both
# under ROOT, which stands for the node's / (a DaemonSet's init container
# mounts the node's directories under e.g. /host). Run it again at will:
#
#   - a file whose content is already right is left alone (same inode);
#   - a file is replaced by writing a temporary file in the same directory
#     and renaming it over the old one, so a runtime never execs or reads a
#     half-written file, and a binary that is running can be replaced;
#   - a conflist of that name that is not brisk's (its first plugin's type
#     is not "brisk"), or that is a symlink, is never touched: that is an
#     error, and other plugins' files are only ever read.
#
# Exit status: 0 done (or nothing to do), 1 failure, 2 bad arguments.
set -euo pipefail
# Runtimes order config files bytewise; so does the warning at the end.
export LC_ALL=C

PROG=$(basename "$0")
HERE=$(cd "$(dirname "$0")" && pwd)

usage()
{
	cat <<EOF
usage: $PROG [options] ROOT

Install brisk and a conflist for this node's pod range(s) under ROOT (the
node's /). The pod range comes from --pod-cidr, --node-json or --from-api.

  --pod-cidr CIDR[,CIDR]  the node's pod range(s), at most one per family
                          (repeatable)
  --node-json FILE        take them from a Node object's spec.podCIDRs
                          (kubectl get node NAME -o json; "-" for stdin)
  --from-api              fetch the Node object \$NODE_NAME from the API server
                          with the pod's service account
  --api-url URL           API server (default https://\$KUBERNETES_SERVICE_HOST:
                          \$KUBERNETES_SERVICE_PORT)
  --sa-dir DIR            service account files (token, ca.crt; default
                          /var/run/secrets/kubernetes.io/serviceaccount)
  --cluster-cidr CIDR[,CIDR]
                          masquerade what pods send outside these ranges
                          ("ipMasq": true, "ipMasqExclude"); empty: none
  --network NAME          network name, also the lease directory's (brisk)
  --bridge NAME           bridge (cni0)
  --mtu N                 MTU of the bridge and veths (kernel default)
  --data-dir DIR          lease store (host-local's default,
                          /var/lib/cni/networks)
  --portmap               chain the reference portmap plugin (host ports)
  --binary FILE           the brisk binary (default: brisk next to this
                          script, else build/brisk of this source tree)
  --bundle-libs           also copy the binary's shared libraries other than
                          the C library (and libnetfilter_conntrack, which it
                          loads on demand) into BIN_DIR/brisk.d (for a binary
                          linked with -rpath '\$ORIGIN/brisk.d')
  --no-binary             install the conflist only
  --bin-dir DIR           CNI binary directory under ROOT (/opt/cni/bin)
  --conf-dir DIR          CNI config directory under ROOT (/etc/cni/net.d)
  --conf-name NAME        conflist file name (10-brisk.conflist)
  --print                 print the conflist and install nothing
  -h, --help              this text
EOF
}

die()
{
	echo "$PROG: $*" >&2
	exit 1
}

bad_usage()
{
	echo "$PROG: $*" >&2
	echo "try: $PROG --help" >&2
	exit 2
}

ROOT=""
POD_CIDRS=()
CLUSTER_CIDRS=()
NODE_JSON=""
FROM_API=0
API_URL=""
SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount
NETWORK=brisk
BRIDGE=cni0
MTU=""
DATA_DIR=""
PORTMAP=0
BINARY=""
BUNDLE_LIBS=0
NO_BINARY=0
BIN_DIR=/opt/cni/bin
CONF_DIR=/etc/cni/net.d
CONF_NAME=10-brisk.conflist
PRINT=0

# split_list VALUE: the comma-separated items of VALUE, one per line (none
# for an empty VALUE).
split_list()
{
	tr ',' '\n' <<<"$1" | sed '/^$/d'
}

while (($#)); do
	opt=$1
	val=""
	case "$opt" in
	--*=*)
		val=${opt#*=}
		opt=${opt%%=*}
		;;
	esac
	case "$opt" in
	--from-api | --portmap | --bundle-libs | --no-binary | --print | -h | --help)
		[[ "$1" != *=* ]] || bad_usage "$opt takes no value"
		;;
	--*)
		if [[ "$1" != *=* ]]; then
			(($# >= 2)) || bad_usage "$opt needs a value"
			val=$2
			shift
		fi
		;;
	esac
	case "$opt" in
	--pod-cidr) mapfile -t -O "${#POD_CIDRS[@]}" POD_CIDRS < <(split_list "$val") ;;
	--cluster-cidr) mapfile -t -O "${#CLUSTER_CIDRS[@]}" CLUSTER_CIDRS < <(split_list "$val") ;;
	--node-json) NODE_JSON=$val ;;
	--from-api) FROM_API=1 ;;
	--api-url) API_URL=$val ;;
	--sa-dir) SA_DIR=$val ;;
	--network) NETWORK=$val ;;
	--bridge) BRIDGE=$val ;;
	--mtu) MTU=$val ;;
	--data-dir) DATA_DIR=$val ;;
	--portmap) PORTMAP=1 ;;
	--binary) BINARY=$val ;;
	--bundle-libs) BUNDLE_LIBS=1 ;;
	--no-binary) NO_BINARY=1 ;;
	--bin-dir) BIN_DIR=$val ;;
	--conf-dir) CONF_DIR=$val ;;
	--conf-name) CONF_NAME=$val ;;
	--print) PRINT=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	-*) bad_usage "unknown option $opt" ;;
	*)
		[ -z "$ROOT" ] || bad_usage "more than one ROOT ($ROOT, $opt)"
		ROOT=$opt
		;;
	esac
	shift
done

# ------------------------------------------------------------------ checks

# cidr_family CIDR: print 4 or 6 for a valid CIDR with room for a gateway
# and at least one pod; nothing (and status 1) otherwise.
cidr_family()
{
	local addr=${1%/*} len=${1##*/} o

	[[ "$1" == */* && "$len" =~ ^[0-9]{1,3}$ ]] || return 1
	if [[ "$addr" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
		for o in ${addr//./ }; do
			((10#$o <= 255)) || return 1
		done
		((10#$len <= 30)) || return 1
		echo 4
	elif [[ "$addr" == *:* && "$addr" =~ ^[0-9a-fA-F:.]+$ ]]; then
		((10#$len <= 126)) || return 1
		echo 6
	else
		return 1
	fi
}

# check_cidrs WHAT CIDR...: each is valid; at most one per family when WHAT
# is "pod".
check_cidrs()
{
	local what=$1 c f seen=""

	shift
	for c in "$@"; do
		f=$(cidr_family "$c") || bad_usage "--$what-cidr: '$c' is not an IPv4 or IPv6 CIDR with room for pods"
		if [ "$what" = pod ]; then
			[[ "$seen" != *$f* ]] || bad_usage "--pod-cidr: more than one IPv$f range ($*)"
			seen+=$f
		fi
	done
}

[ -n "$ROOT" ] || { [ "$PRINT" = 1 ] && ROOT=/; } || bad_usage "ROOT missing"
sources=$((${#POD_CIDRS[@]} > 0 ? 1 : 0))
[ -z "$NODE_JSON" ] || sources=$((sources + 1))
sources=$((sources + FROM_API))
((sources == 1)) || bad_usage "give the pod range with exactly one of --pod-cidr, --node-json, --from-api"
[[ "$NETWORK" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || bad_usage "--network: '$NETWORK' is not a CNI network name"
[[ "$BRIDGE" =~ ^[a-zA-Z0-9_.-]{1,15}$ ]] || bad_usage "--bridge: '$BRIDGE' is not an interface name"
[[ -z "$MTU" || ("$MTU" =~ ^[0-9]{2,5}$ && 10#$MTU -ge 68 && 10#$MTU -le 65535) ]] ||
	bad_usage "--mtu: '$MTU' is not 68-65535"
[[ -z "$DATA_DIR" || "$DATA_DIR" == /* ]] || bad_usage "--data-dir must be absolute"
[[ "$BIN_DIR" == /* && "$CONF_DIR" == /* ]] || bad_usage "--bin-dir and --conf-dir must be absolute"
[[ "$CONF_NAME" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*\.(conflist|conf|json)$ ]] ||
	bad_usage "--conf-name: '$CONF_NAME' is not a .conflist, .conf or .json file name"
check_cidrs cluster "${CLUSTER_CIDRS[@]}"
command -v jq >/dev/null || die "needs jq"

# ------------------------------------------------------------------ pod range

# node_cidrs: spec.podCIDRs (or the older spec.podCIDR) of the Node object
# on stdin, one per line.
node_cidrs()
{
	jq -r '.spec | (.podCIDRs // [.podCIDR]) | .[] | select(. != null and . != "")'
}

fetch_node()
{
	local url=$API_URL host token=()

	[ -n "${NODE_NAME:-}" ] || die "--from-api: NODE_NAME is not set (the DaemonSet sets it from spec.nodeName)"
	if [ -z "$url" ]; then
		host=${KUBERNETES_SERVICE_HOST:-}
		[ -n "$host" ] || die "--from-api: KUBERNETES_SERVICE_HOST is not set (not in a pod?); use --api-url"
		[[ "$host" != *:* ]] || host="[$host]"
		url="https://$host:${KUBERNETES_SERVICE_PORT:-443}"
	fi
	command -v curl >/dev/null || die "--from-api needs curl"
	if [ -r "$SA_DIR/token" ]; then
		token=(-H "Authorization: Bearer $(cat "$SA_DIR/token")")
	fi
	curl -fsS --retry 5 --retry-delay 2 --max-time 30 --cacert "$SA_DIR/ca.crt" \
		"${token[@]}" "$url/api/v1/nodes/$NODE_NAME" ||
		die "cannot read node $NODE_NAME from $url"
}

if [ -n "$NODE_JSON" ]; then
	if [ "$NODE_JSON" = - ]; then
		node=$(cat)
	else
		node=$(cat -- "$NODE_JSON") || die "cannot read $NODE_JSON"
	fi
elif ((FROM_API)); then
	node=$(fetch_node)
fi
if [ -n "${node+x}" ]; then
	mapfile -t POD_CIDRS < <(node_cidrs <<<"$node") || die "not a Node object (JSON)"
	((${#POD_CIDRS[@]})) || die "the node has no pod range in spec.podCIDRs (is kube-controller-manager run with --allocate-node-cidrs?)"
fi
check_cidrs pod "${POD_CIDRS[@]}"

# ------------------------------------------------------------------ conflist

# json_list ITEM...: a JSON array of strings.
json_list()
{
	if (($#)); then
		printf '%s\n' "$@" | jq -R . | jq -cs .
	else
		echo '[]'
	fi
}

render()
{
	jq -n --arg name "$NETWORK" --arg br "$BRIDGE" --arg mtu "$MTU" \
		--arg dd "$DATA_DIR" --argjson portmap "$PORTMAP" \
		--argjson pods "$(json_list "${POD_CIDRS[@]}")" \
		--argjson cluster "$(json_list "${CLUSTER_CIDRS[@]}")" '
		{
			cniVersion: "1.0.0",
			name: $name,
			plugins: ([
				{
					type: "brisk",
					bridge: $br,
					isGateway: true,
					isDefaultGateway: true,
					hairpinMode: true
				}
				+ (if $mtu != "" then {mtu: ($mtu | tonumber)} else {} end)
				+ (if ($cluster | length) > 0
				   then {ipMasq: true, ipMasqExclude: $cluster} else {} end)
				+ {ipam: ({
					type: "host-local",
					ranges: [$pods[] | [{subnet: .}]]
				} + (if $dd != "" then {dataDir: $dd} else {} end))}
			] + (if $portmap == 1 then [{
				type: "portmap",
				capabilities: {portMappings: true},
				snat: true
			}] else [] end))
		}'
}

CONFLIST=$(render) || die "cannot render the conflist"
if ((PRINT)); then
	printf '%s\n' "$CONFLIST"
	exit 0
fi

# ------------------------------------------------------------------ install

[ -d "$ROOT" ] || die "ROOT $ROOT is not a directory"
ROOT=$(cd "$ROOT" && pwd)
TMP_FILE=""
trap '[ -z "$TMP_FILE" ] || rm -f -- "$TMP_FILE"' EXIT

# put SRC DEST MODE: DEST gets SRC's content, through a temporary file in
# DEST's directory renamed over DEST; nothing happens when it has it already.
# The shared libraries to bundle, as "soname path": the binary's, and those
# of libnetfilter_conntrack, which brisk loads only when a UDP host port
# needs it (so ldd does not show it); never the C library's.
bundle_list()
{
	local ct

	ct=$(ldconfig -p | awk '$1 == "libnetfilter_conntrack.so.3" { print $NF; exit }')
	{
		ldd "$BINARY"
		[ -z "$ct" ] || printf '\tlibnetfilter_conntrack.so.3 => %s\n' "$ct"
		[ -z "$ct" ] || ldd "$ct"
	} | awk '$2 == "=>" && $3 ~ /^\// { print $1 " " $3 }' | sort -u |
		grep -Ev '^(libc|libm|libdl|libpthread|librt|ld-linux[^ ]*)\.so'
}

put()
{
	local src=$1 dest=$2 mode=$3

	if [ -L "$dest" ] || { [ -e "$dest" ] && [ ! -f "$dest" ]; }; then
		die "$dest is not a regular file: not touched"
	fi
	if [ -f "$dest" ] && cmp -s -- "$src" "$dest"; then
		echo "unchanged $dest"
		return 0
	fi
	TMP_FILE=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX") ||
		die "cannot create a file in $(dirname "$dest")"
	cp -- "$src" "$TMP_FILE" || die "cannot copy $src"
	chmod "$mode" "$TMP_FILE" || die "chmod $TMP_FILE"
	sync -- "$TMP_FILE" 2>/dev/null || true # not atomicity, only durability
	mv -fT -- "$TMP_FILE" "$dest" || die "cannot rename into $dest"
	TMP_FILE=""
	echo "installed $dest"
}

# owned_by_brisk FILE: the conflist FILE is brisk's (first plugin, or the
# single config's type, is "brisk").
owned_by_brisk()
{
	jq -e '(.plugins[0].type // .type) == "brisk"' "$1" >/dev/null 2>&1
}

conf_dest=$ROOT$CONF_DIR/$CONF_NAME
if [ -e "$conf_dest" ] || [ -L "$conf_dest" ]; then
	if [ -L "$conf_dest" ] || ! owned_by_brisk "$conf_dest"; then
		die "$conf_dest exists and is not brisk's: not touched (choose another --conf-name, or move it away)"
	fi
fi

if ((!NO_BINARY)); then
	if [ -z "$BINARY" ]; then
		BINARY=$HERE/brisk
		[ -x "$BINARY" ] || BINARY=$HERE/../build/brisk
	fi
	[ -f "$BINARY" ] && [ -x "$BINARY" ] || die "binary $BINARY is not an executable file"
	mkdir -p -- "$ROOT$BIN_DIR" || die "cannot make $ROOT$BIN_DIR"
	if ((BUNDLE_LIBS)); then
		mkdir -p -- "$ROOT$BIN_DIR/brisk.d" || die "cannot make $ROOT$BIN_DIR/brisk.d"
		# Libraries first: the new binary may need them.
		libs=$(bundle_list) || libs=""
		while read -r soname path; do
			[ -n "$soname" ] || continue
			put "$path" "$ROOT$BIN_DIR/brisk.d/$soname" 0644
		done <<<"$libs"
	fi
	put "$BINARY" "$ROOT$BIN_DIR/brisk" 0755
fi

mkdir -p -- "$ROOT$CONF_DIR" || die "cannot make $ROOT$CONF_DIR"
conf_src=$(mktemp) || die "mktemp"
trap '[ -z "$TMP_FILE" ] || rm -f -- "$TMP_FILE"; rm -f -- "$conf_src"' EXIT
printf '%s\n' "$CONFLIST" >"$conf_src"
put "$conf_src" "$conf_dest" 0644

# Runtimes that load one network (containerd's CRI, by default) take the
# first file in name order: say so when another plugin's comes first.
for f in "$ROOT$CONF_DIR"/*; do
	[ -f "$f" ] || continue
	case "$f" in
	*.conflist | *.conf | *.json) ;;
	*) continue ;;
	esac
	[ "$f" != "$conf_dest" ] || break
	owned_by_brisk "$f" && continue
	echo "$PROG: warning: $(basename "$f") sorts before $CONF_NAME: a runtime that loads only the first network config will use it, not brisk" >&2
done
exit 0
