#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The one list of Debian packages brisk needs to build, test, demo, lint and
# benchmark.
# Installs only what is missing; quiet and offline when everything is there.
# Usage: scripts/deps.sh [--check]   (--check: list what is missing, exit 1 if any)
set -euo pipefail

BUILD_PKGS=(
	meson ninja-build gcc pkg-config
	libmnl-dev libjansson-dev libcmocka-dev libnftnl-dev
	scdoc
)
RUN_PKGS=(
	iproute2 jq nftables iputils-ping procps time util-linux
	valgrind clang containernetworking-plugins
	iptables radvd socat
)
# The tests that run brisk under real runtimes (podman's CNI backend, ctr)
# with runc and a busybox root filesystem.
RUNTIME_PKGS=(podman containerd runc busybox-static)
# scripts/install-node.sh --from-api, and reading conf/kubernetes/*.yaml.
K8S_PKGS=(curl yq)
LINT_PKGS=(clang-format cppcheck)
BENCH_PKGS=(perl strace)
# Installed only when the archive has them (the fuzzer runtime's name
# follows clang's version; Debian 12 ships clang 14).
OPTIONAL_PKGS=(libclang-rt-14-dev)

check_only=0
case "${1:-}" in
--check) check_only=1 ;;
"") ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

is_installed()
{
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

has_candidate()
{
	local c
	c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[[ -n "$c" && "$c" != "(none)" ]]
}

missing=()
for p in "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${RUNTIME_PKGS[@]}" "${K8S_PKGS[@]}" "${LINT_PKGS[@]}" \
	"${BENCH_PKGS[@]}" "${OPTIONAL_PKGS[@]}"; do
	is_installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi
if ((check_only)); then
	echo "missing: ${missing[*]}"
	exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

install=()
for p in "${missing[@]}"; do
	if [[ " ${OPTIONAL_PKGS[*]} " == *" $p "* ]] && ! has_candidate "$p"; then
		echo "deps.sh: optional package $p is not available, skipped" >&2
		continue
	fi
	install+=("$p")
done
if ((${#install[@]})); then
	apt-get install -y -qq --no-install-recommends "${install[@]}" >/dev/null
fi
