#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run every test brisk has and end with the line "N passed, N failed"
# (", N skipped" is appended when something was skipped).
#
# Stages:
#   0. the layer check of scripts/lint.sh (one test, "lint:layers")
#   1. normal build ($BRISK_BUILD_DIR, default "build"): the cmocka unit
#      tests (each case counts as one test), then every
#      tests/integration/test_*.sh run as `bash FILE` with BRISK and BRISK_SRC
#   2. ASan+UBSan build ($BRISK_ASAN_BUILD_DIR, default "build-asan"): the
#      same again, every name prefixed "asan:"
#   3. valgrind on each unit test executable of the normal build
#   4. fuzzing, when scripts/fuzz.sh exists (see run_fuzz)
# --quick runs stages 0 and 1 only.
#
# Integration test contract: exit 0 = pass, 77 = skip, anything else (or
# running longer than $BRISK_TEST_TIMEOUT seconds, default 600) = fail.
# Logs of every test are kept under <build dir>/test-logs/.
set -uo pipefail

usage()
{
	cat <<EOF
usage: $0 [--quick] [--verbose]
  --quick     normal build only: skip the ASan/UBSan, valgrind and fuzz stages
  --verbose   print every test case and the output of every integration test
              (the two integration runs then go one after the other)
environment: BRISK_BUILD_DIR (build), BRISK_ASAN_BUILD_DIR (build-asan),
             BRISK_TEST_TIMEOUT (600 seconds per integration test),
             BRISK_TEST_SERIAL=1 (the two integration runs one after the other)
EOF
}

quick=0
verbose=0
for arg in "$@"; do
	case "$arg" in
	--quick) quick=1 ;;
	-v | --verbose) verbose=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done

cd "$(dirname "$0")/.." || exit 1
SRC=$(pwd)
BUILD_DIR=${BRISK_BUILD_DIR:-build}
ASAN_DIR=${BRISK_ASAN_BUILD_DIR:-build-asan}
TEST_TIMEOUT=${BRISK_TEST_TIMEOUT:-600}

ASAN_BASE_OPTIONS=detect_leaks=1:abort_on_error=1
UBSAN_BASE_OPTIONS=halt_on_error=1:print_stacktrace=1
# shellcheck disable=SC2054 # the commas belong to one valgrind option
VALGRIND=(valgrind --error-exitcode=1 --leak-check=full
	--errors-for-leak-kinds=definite,indirect -q)

# cmocka prints TAP ("ok 1 - name") instead of its own format: one line per
# case, a plan line to notice a crash, everything on stdout.
export CMOCKA_MESSAGE_OUTPUT=TAP

passed=0
failed=0
skipped=0
failures=()
stage_times=()
t_all=$SECONDS

# ------------------------------------------------------------------ helpers

# record NAME pass|fail|skip [NOTE [loud]]: count one test and print it
# (passes only when loud or --verbose).
record()
{
	local name=$1 status=$2 note=${3:-} loud=${4:-$verbose}

	case "$status" in
	pass)
		passed=$((passed + 1))
		if [[ "$loud" == 1 || "$loud" == loud ]]; then
			printf '  ok    %s%s\n' "$name" "${note:+ ($note)}"
		fi
		;;
	skip)
		skipped=$((skipped + 1))
		printf '  SKIP  %s%s\n' "$name" "${note:+ ($note)}"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$name${note:+ ($note)}")
		printf '  FAIL  %s%s\n' "$name" "${note:+ ($note)}"
		;;
	esac
	return 0
}

stage_start()
{
	stage_name=$1
	stage_t0=$SECONDS
	printf '\n== %s\n' "$1"
}

stage_end()
{
	local dt=$((SECONDS - stage_t0))

	stage_times+=("$(printf '%-52s %4ds' "$stage_name" "$dt")")
}

# indent FILE [MAXLINES]: show a log under a result line.
show_log()
{
	local file=$1 max=${2:-150} n

	[[ -s "$file" ]] || return 0
	n=$(wc -l <"$file")
	if ((n > max)); then
		echo "    ... ($((n - max)) earlier lines in $file)"
	fi
	tail -n "$max" "$file" | sed 's/^/    | /'
}

# build DIR NAME [meson args...]: configure and build; a failure is a test.
build()
{
	local dir=$1 name=$2 log
	shift 2

	log=$(mktemp)
	echo "  building $dir${*:+ ($*)}"
	if bash scripts/build.sh "$dir" "$@" >"$log" 2>&1; then
		mkdir -p "$dir/test-logs"
		cp "$log" "$dir/test-logs/build.log"
		rm -f "$log"
		return 0
	fi
	record "$name" fail "see output below"
	show_log "$log" 60
	rm -f "$log"
	return 1
}

# parse_tap EXE RC: read one executable's stdout (TAP from cmocka) on stdin
# and print one "pass|fail|skip NAME" line per case.
parse_tap()
{
	awk -v exe="$1" -v rc="$2" '
	/^1\.\.[0-9]+/ { plan += substr($0, 4) + 0; next }
	/^(not )?ok [0-9]+ # SKIP/ {
		sub(/^(not )?ok [0-9]+ # SKIP */, "")
		print "skip " exe "/" $0; seen++; next
	}
	/^ok [0-9]+ - / {
		sub(/^ok [0-9]+ - /, ""); print "pass " exe "/" $0; seen++; next
	}
	/^not ok [0-9]+ - / {
		sub(/^not ok [0-9]+ - /, ""); print "fail " exe "/" $0
		seen++; bad++; next
	}
	END {
		if (seen == 0 && plan == 0) {
			# Not a cmocka program (or it died before its plan).
			st = rc == 0 ? "pass" : rc == 77 ? "skip" : "fail"
			print st " " exe (rc == 0 ? "" : " (exit status " rc ")")
		} else if (seen < plan) {
			print "fail " exe " (" plan - seen " of " plan \
				" cases never reported: crashed, exit status " rc ")"
		} else if (rc != 0 && bad == 0) {
			print "fail " exe " (exit status " rc " after every case passed)"
		}
	}'
}

# unit_tests DIR PREFIX LOGBASE [meson test args...]: run the unit suite and
# count every cmocka case. Output of failing executables is shown.
unit_tests()
{
	local dir=$1 prefix=$2 base=$3 json out n i name rc result
	local failed0=$failed
	shift 3

	json="$dir/meson-logs/$base.json"
	out="$dir/test-logs/$base.out"
	rm -f "$json"
	meson test -C "$dir" --suite unit --print-errorlogs --logbase "$base" \
		"$@" >"$out" 2>&1
	if [[ ! -s "$json" ]]; then
		if grep -q 'No suitable tests\|No tests defined' "$out"; then
			echo "  (no unit tests in $dir: is libcmocka-dev installed?)"
			return 0
		fi
		record "${prefix}unit" fail "meson test did not run"
		show_log "$out" 40
		return 0
	fi
	n=$(jq -s length "$json")
	for ((i = 0; i < n; i++)); do
		name=$(jq -rs ".[$i].name" "$json")
		rc=$(jq -rs ".[$i].returncode" "$json")
		result=$(jq -rs ".[$i].result" "$json")
		[[ "$result" == TIMEOUT ]] && rc="timeout"
		local p0=$passed f0=$failed s0=$skipped
		while read -r st case_name; do
			record "$prefix$case_name" "$st"
		done < <(jq -rs ".[$i].stdout // \"\"" "$json" | parse_tap "$name" "$rc")
		printf '  %-5s %s (%d passed, %d failed, %d skipped)\n' \
			"$([[ $failed == "$f0" ]] && echo ok || echo FAIL)" \
			"$prefix$name" $((passed - p0)) $((failed - f0)) \
			$((skipped - s0))
	done
	if ((failed > failed0)); then
		echo "  meson test output ($out):"
		show_log "$out" 200
	fi
	return 0
}

# valgrind_tests DIR: every unit executable under valgrind, one test each.
valgrind_tests()
{
	local dir=$1 json out n i name result
	local failed0=$failed

	# meson names the log after --logbase and the wrapper: vg-valgrind.json
	json="$dir/meson-logs/vg-valgrind.json"
	out="$dir/test-logs/valgrind.out"
	rm -f "$json"
	meson test -C "$dir" --suite unit --print-errorlogs --logbase vg \
		--timeout-multiplier 10 --wrapper "${VALGRIND[*]}" >"$out" 2>&1
	if [[ ! -s "$json" ]]; then
		grep -q 'No suitable tests\|No tests defined' "$out" && return 0
		record "valgrind" fail "meson test did not run"
		show_log "$out" 40
		return 0
	fi
	n=$(jq -s length "$json")
	for ((i = 0; i < n; i++)); do
		name=$(jq -rs ".[$i].name" "$json")
		result=$(jq -rs ".[$i].result" "$json")
		case "$result" in
		OK) record "valgrind:$name" pass "" loud ;;
		SKIP) record "valgrind:$name" skip ;;
		*) record "valgrind:$name" fail "$result, exit status $(jq -rs ".[$i].returncode" "$json")" ;;
		esac
	done
	if ((failed > failed0)); then
		echo "  meson test output ($out):"
		show_log "$out" 200
	fi
	return 0
}

# run_script NAME LOG FILE: one shell test under the timeout; 0 pass, 77 skip.
# Extra environment comes from the caller. Sets script_rc.
run_script()
{
	local name=$1 log=$2 file=$3

	if ((verbose)); then
		timeout -k 10 "$TEST_TIMEOUT" bash "$file" </dev/null 2>&1 | tee "$log"
		script_rc=${PIPESTATUS[0]}
	else
		timeout -k 10 "$TEST_TIMEOUT" bash "$file" </dev/null >"$log" 2>&1
		script_rc=$?
	fi
}

netns_snapshot()
{
	ip netns list 2>/dev/null | awk '{ print $1 }' | sort
}

# integration_run BRISK_BIN PREFIX LOGDIR [asan]: every integration test,
# one after the other, each result a line "RC SECONDS NAME [NOTE]" in
# LOGDIR/integration.results (integration_report records them). It prints
# only a progress line per test, so that two runs can go side by side.
integration_run()
{
	local bin=$1 prefix=$2 logdir=$3 san=${4:-} f name log t0 sdir note r
	local results=$logdir/integration.results reports=() files=()

	shopt -s nullglob
	files=(tests/integration/test_*.sh)
	shopt -u nullglob
	mkdir -p "$logdir"
	: >"$results"
	for f in "${files[@]}"; do
		name=$(basename "$f")
		log="$logdir/${name%.sh}.log"
		t0=$SECONDS
		note=""
		if [[ -n "$san" ]]; then
			# Reports go to files (see san_defaults): a test that
			# expects brisk to fail must not pass because a
			# sanitizer made it fail.
			sdir=$SAN_REPORTS
			rm -f "$sdir"/*
			ASAN_OPTIONS="$ASAN_BASE_OPTIONS:log_path=$sdir/asan" \
			UBSAN_OPTIONS="$UBSAN_BASE_OPTIONS:log_path=$sdir/ubsan" \
			BRISK="$bin" BRISK_SRC="$SRC" run_script "$name" "$log" "$f"
			if compgen -G "$sdir/*" >/dev/null; then
				reports=("$sdir"/*)
				{
					echo "==== sanitizer reports: ${#reports[@]} file(s) in $sdir; the first 3 ===="
					for r in "${reports[@]:0:3}"; do
						cat "$r"
					done
				} >>"$log"
				note="sanitizer report; "
				((script_rc == 0 || script_rc == 77)) && script_rc=99
			fi
		else
			BRISK="$bin" BRISK_SRC="$SRC" run_script "$name" "$log" "$f"
		fi
		echo "$script_rc $((SECONDS - t0)) $name $note" >>"$results"
		((verbose)) || printf '  ...   %s%s (%ds)\n' "$prefix" "$name" $((SECONDS - t0))
	done
}

# integration_report PREFIX LOGDIR: record what integration_run found.
integration_report()
{
	local prefix=$1 logdir=$2 rc dt name note log

	if [[ ! -s "$logdir/integration.results" ]]; then
		record "${prefix}run" fail "no test reported (no tests/integration/test_*.sh?)"
		return 0
	fi
	while read -r rc dt name note; do
		log="$logdir/${name%.sh}.log"
		note+="${dt}s"
		case $rc in
		0) record "$prefix$name" pass "$note" loud ;;
		77)
			record "$prefix$name" skip "$note"
			((verbose)) || show_log "$log" 3
			;;
		124 | 137) # timeout's own status, or killed after -k
			record "$prefix$name" fail "timed out after ${TEST_TIMEOUT}s"
			((verbose)) || show_log "$log"
			;;
		*)
			record "$prefix$name" fail "${note}, exit status $rc"
			((verbose)) || show_log "$log"
			;;
		esac
	done <"$logdir/integration.results"
}

# ------------------------------------------------------------------ hook
# HOOK: fuzzing. scripts/fuzz.sh belongs to whoever maintains tests/fuzz; when
# it exists (and there are harnesses and clang) it runs here as one test named
# "fuzz", with the same exit contract as an integration test (0/77/other)
# and the same timeout. It gets BRISK_SRC. Skipped by --quick.
run_fuzz()
{
	local log

	[[ -f scripts/fuzz.sh ]] || {
		echo "  (no scripts/fuzz.sh: nothing to do)"
		return 0
	}
	if ! compgen -G 'tests/fuzz/*.c' >/dev/null; then
		record fuzz skip "no harnesses in tests/fuzz"
		return 0
	fi
	if ! command -v clang >/dev/null; then
		record fuzz skip "clang not installed"
		return 0
	fi
	mkdir -p "$BUILD_DIR/test-logs"
	log="$BUILD_DIR/test-logs/fuzz.log"
	BRISK_SRC="$SRC" run_script fuzz "$log" scripts/fuzz.sh
	case $script_rc in
	0) record fuzz pass "" loud ;;
	77) record fuzz skip ;;
	*)
		record fuzz fail "exit status $script_rc"
		((verbose)) || show_log "$log"
		;;
	esac
}

# san_defaults DIR: compile DIR/san-defaults/defaults.o, which bakes the
# sanitizer options into every program of the ASan build. Integration tests
# may run brisk with a wiped environment (env -i), where ASAN_OPTIONS would
# not reach it; with log_path every report lands in $SAN_REPORTS, so a test
# that expects brisk to fail cannot pass because a sanitizer killed it.
# Environment variables still override these defaults.
san_defaults()
{
	local d="$1/san-defaults" src

	mkdir -p "$d" "$SAN_REPORTS" || return 1
	src=$(
		cat <<EOF
/* Generated by scripts/test.sh. */
#define HOOK __attribute__((visibility("default"), used))
HOOK const char *__asan_default_options(void);
HOOK const char *__ubsan_default_options(void);
const char *__asan_default_options(void)
{
	return "$ASAN_BASE_OPTIONS:log_path=$SAN_REPORTS/asan";
}
const char *__ubsan_default_options(void)
{
	return "$UBSAN_BASE_OPTIONS:log_path=$SAN_REPORTS/ubsan";
}
EOF
	)
	if [[ -f "$d/defaults.o" && "$(cat "$d/defaults.c" 2>/dev/null)" == "$src" ]]; then
		return 0
	fi
	printf '%s\n' "$src" >"$d/defaults.c"
	cc -c -O1 -o "$d/defaults.o" "$d/defaults.c" || return 1
	# ninja does not track link arguments: relink what uses the object.
	find "$1" -maxdepth 1 -type f -perm -u+x \( -name brisk -o -name 'test_*' \) -delete
}

abs()
{
	case "$1" in
	/*) echo "$1" ;;
	*) echo "$SRC/$1" ;;
	esac
}

# ------------------------------------------------------------------ stages

stage_start "dependencies"
if ! bash scripts/deps.sh; then
	record deps fail "scripts/deps.sh failed"
fi
stage_end

stage_start "layers"
mkdir -p "$BUILD_DIR/test-logs"
if bash scripts/lint.sh --layers >"$BUILD_DIR/test-logs/layers.log" 2>&1; then
	record "lint:layers" pass "" loud
else
	record "lint:layers" fail "an include goes up a layer or closes a circle"
	show_log "$BUILD_DIR/test-logs/layers.log" 40
fi
stage_end

stage_start "unit tests ($BUILD_DIR)"
if build "$BUILD_DIR" "build:$BUILD_DIR"; then
	unit_tests "$BUILD_DIR" "unit:" unit
	normal_ok=1
else
	normal_ok=0
fi
stage_end

if ((!quick)); then
	stage_start "unit tests, ASan+UBSan ($ASAN_DIR)"
	SAN_REPORTS="$(abs "$ASAN_DIR")/sanitizer-reports"
	if san_defaults "$(abs "$ASAN_DIR")" &&
		build "$ASAN_DIR" "asan:build:$ASAN_DIR" \
			-Db_sanitize=address,undefined -Db_lundef=false \
			"-Dc_link_args=$(abs "$ASAN_DIR")/san-defaults/defaults.o"; then
		# Unit tests: reports on stderr, where meson test keeps them.
		ASAN_OPTIONS=$ASAN_BASE_OPTIONS:log_path=stderr \
		UBSAN_OPTIONS=$UBSAN_BASE_OPTIONS:log_path=stderr \
			unit_tests "$ASAN_DIR" "asan:unit:" unit \
			--timeout-multiplier 3
		asan_ok=1
	else
		asan_ok=0
	fi
	stage_end
else
	asan_ok=0
fi

# The plain and the ASan runs of the integration tests go side by side (each
# test makes only namespaces of its own prefix; only the ASan run looks at
# $SAN_REPORTS): the machine's two cores halve the longest stage.
# BRISK_TEST_SERIAL=1 (or --verbose) runs them one after the other.
side=""
((asan_ok)) && side=", $ASAN_DIR beside it"
stage_start "integration tests ($BUILD_DIR$side)"
[[ $(id -u) -eq 0 ]] || echo "  (not root: integration tests will most likely skip)"
ns_before=$(netns_snapshot)
side_pid=""
if ((normal_ok && asan_ok)) && [[ -z "${BRISK_TEST_SERIAL:-}" ]] && ((!verbose)); then
	integration_run "$(abs "$BUILD_DIR")/brisk" "integration:" \
		"$BUILD_DIR/test-logs" &
	side_pid=$!
elif ((normal_ok)); then
	integration_run "$(abs "$BUILD_DIR")/brisk" "integration:" \
		"$BUILD_DIR/test-logs"
else
	echo "  (not run: the build failed)"
fi
if ((asan_ok)); then
	integration_run "$(abs "$ASAN_DIR")/brisk" "asan:integration:" \
		"$ASAN_DIR/test-logs" asan
fi
[[ -n "$side_pid" ]] && wait "$side_pid"
((normal_ok)) && integration_report "integration:" "$BUILD_DIR/test-logs"
((asan_ok)) && integration_report "asan:integration:" "$ASAN_DIR/test-logs"
ns_after=$(comm -13 <(echo "$ns_before") <(netns_snapshot))
if [[ -n "$ns_after" ]]; then
	# Informational only: something running in parallel (a demo, a
	# benchmark) may have made them too.
	echo "  WARNING: network namespaces that appeared during these tests and are still there:"
	# shellcheck disable=SC2086 # one namespace name per word
	printf '    %s\n' $ns_after
fi
stage_end

if ((!quick)); then
	stage_start "valgrind ($BUILD_DIR unit tests)"
	if ((!normal_ok)); then
		echo "  (not run: the build failed)"
	elif ! command -v valgrind >/dev/null; then
		record valgrind skip "valgrind not installed"
	else
		valgrind_tests "$BUILD_DIR"
	fi
	stage_end

	stage_start "fuzz"
	run_fuzz
	stage_end
fi

# ------------------------------------------------------------------ summary

printf '\n== timings\n'
for s in "${stage_times[@]}"; do
	echo "  $s"
done
printf '  %-52s %4ds\n' total $((SECONDS - t_all))

if ((failed)); then
	printf '\n== failures\n'
	for f in "${failures[@]}"; do
		echo "  $f"
	done
fi
echo
line="$passed passed, $failed failed"
((skipped)) && line+=", $skipped skipped"
echo "$line"
((failed == 0))
