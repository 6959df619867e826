#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer harnesses (clang, ASan+UBSan) and run each for a
# bounded time. FUZZ_SECONDS per harness (default 8: with the build, under a
# minute in all; raise it for a longer run).
# New inputs go to a scratch directory; the seed corpus in the repo is read-only.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-8}
dir=build-fuzz
if ! command -v clang >/dev/null; then
	echo "fuzz: clang not installed" >&2
	exit 77
fi
if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$dir" >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch" /tmp/brisk-fuzz-lease-* /tmp/brisk-fuzz-index-*' EXIT
failed=0
for h in netconf prevresult cniargs resolvconf lease index fwrec; do
	mkdir -p "$scratch/$h"
	log="$scratch/$h.log"
	if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$dir/fuzz_$h" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$dir/crash-$h-" "$scratch/$h" "tests/fuzz/corpus/$h" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz_$h: ok, ${execs:-?} executions in ${secs}s"
	else
		echo "fuzz_$h: FAILED"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -20
		echo "fuzz_$h: reproducer kept as $dir/crash-$h-*"
		failed=1
	fi
done
exit $failed
