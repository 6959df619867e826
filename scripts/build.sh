#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Configure (or reconfigure) and build brisk.
# Usage: scripts/build.sh [DIR] [meson setup args...]
#   DIR defaults to "build" (relative to the source root). A new DIR is set
#   up with the arguments; an existing one gets them through
#   "meson configure" (so only -Dopt=value and --opt=value work there), or,
#   without arguments, is just rebuilt (ninja regenerates by itself when
#   meson.build changed).
set -euo pipefail

cd "$(dirname "$0")/.."

dir=build
if (($#)) && [[ "$1" != -* ]]; then
	dir=$1
	shift
fi

if [[ ! -f "$dir/meson-private/coredata.dat" ]]; then
	meson setup "$dir" "$@"
elif (($#)); then
	# Not "meson setup --reconfigure": meson 1.0 (Debian 12) ignores
	# -Dc_args/-Dc_link_args there. "meson configure" applies them.
	meson configure "$dir" "$@"
fi
ninja -C "$dir"
