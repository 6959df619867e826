#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Report style problems; changes nothing.
#   1. clang-format (.clang-format at the root, kernel style) over src/,
#      include/ and tests/unit/: every file that would change is listed;
#      exit status 1 when there is any. --diff shows the changes.
#   2. cppcheck, when installed: informational, never fails the run.
# Usage: scripts/lint.sh [--diff] [FILE...]
# Fix one file with: clang-format -i FILE
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

show_diff=0
files=()
for arg in "$@"; do
	case "$arg" in
	--diff) show_diff=1 ;;
	-h | --help)
		sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "usage: $0 [--diff] [FILE...]" >&2
		exit 2
		;;
	*) files+=("$arg") ;;
	esac
done
if ((${#files[@]} == 0)); then
	mapfile -t files < <(find src include tests/unit -type f \
		\( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
fi

status=0

echo "== clang-format ($(clang-format --version 2>/dev/null | grep -o 'version [0-9.]*' || echo 'not installed'))"
if ! command -v clang-format >/dev/null; then
	echo "clang-format is not installed (scripts/deps.sh installs it)" >&2
	exit 1
fi
bad=0
for f in "${files[@]}"; do
	if ! out=$(clang-format --dry-run --Werror "$f" 2>&1); then
		bad=$((bad + 1))
		printf '  %-40s %3d place(s)\n' "$f" "$(grep -c 'error:' <<<"$out")"
		if ((show_diff)); then
			clang-format "$f" | diff -u "$f" - | sed 's/^/    /'
		fi
	fi
done
if ((bad)); then
	echo "  $bad of ${#files[@]} files are not formatted (--diff shows how; clang-format -i FILE fixes one)"
	status=1
else
	echo "  all ${#files[@]} files formatted"
fi

echo "== cppcheck (informational)"
if command -v cppcheck >/dev/null; then
	src_files=()
	for f in "${files[@]}"; do
		[[ "$f" == *.c ]] && src_files+=("$f")
	done
	# cppcheck does not know __attribute__((cleanup)): its "leak" reports
	# on _cleanup_* locals are false. brisk is single-threaded, so
	# readdir() is fine.
	echo "  (leak reports on _cleanup_ locals are false positives)"
	cppcheck --quiet --std=c11 --enable=warning,performance,portability \
		--inline-suppr --error-exitcode=0 -I include -D_GNU_SOURCE \
		-DBRISK_VERSION='"lint"' -DFIXTURES='"tests/fixtures"' \
		--suppress=missingIncludeSystem --suppress=unknownMacro \
		--suppress=readdirCalled \
		--library=posix --template='  {file}:{line}: {severity}: {message} [{id}]' \
		"${src_files[@]}" 2>&1 || true
	echo "  done"
else
	echo "  cppcheck not installed: skipped"
fi

exit $status
