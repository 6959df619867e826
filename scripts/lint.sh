#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Report style problems; changes nothing.
#   1. layers: every #include "..." of src/ and include/brisk/ goes to the
#      includer's own module or to one the table below puts under it (the
#      layers of the design notes' ARCHITECTURE.md), and no files include
#      each other in a circle. Exit status 1 on any problem.
#   2. clang-format (.clang-format at the root, kernel style) over src/,
#      include/ and tests/unit/: every file that would change is listed;
#      exit status 1 when there is any. --diff shows the changes.
#   3. cppcheck, when installed: informational, never fails the run.
# Usage: scripts/lint.sh [--diff] [FILE...]
#        scripts/lint.sh --layers    the layer check alone (scripts/test.sh)
# Fix one file with: clang-format -i FILE
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

# Which modules each module may include (its own always). A module is a
# directory of src/, nested ones too (ipam/store); "main" is src/main.c.
LAYERS=(
	"core:"
	"cni: core"
	"config: core cni"
	"net: core"
	"fw: core net"
	"ipam/lease: core"
	"ipam/index: core"
	"ipam/store: core ipam/lease ipam/index"
	"ipam: core config ipam/store"
	"plugin: core cni config net fw ipam ipam/store"
	"main: core cni config plugin"
)
# include/brisk/X.h is in the module of src/**/X.c; these have none.
HEADER_HOME=("cleanup.h core" "grow.h core" "cni.h cni" "cmd.h plugin")

# The check, in awk (mawk or gawk). Input lines, tab-separated: "L module
# allowed...", "H header module", "F file", "I file included-path". A header
# and the .c of its name are one unit; a circle of units fails.
LAYERS_AWK='
function dirname(p) { sub(/\/[^\/]*$/, "", p); return p }
function basename(p) { sub(/^.*\//, "", p); return p }
function stem(p) { p = basename(p); sub(/\.[ch]$/, "", p); return p }

# The file an #include "inc" of @file names, normalised; "" if none.
function resolve(file, inc,   p, n, i, parts, out, k) {
	p = inc ~ /^brisk\// ? "include/" inc : dirname(file) "/" inc
	n = split(p, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "." || parts[i] == "")
			continue
		if (parts[i] == "..") {
			if (k > 0)
				k--
			continue
		}
		out[++k] = parts[i]
	}
	p = ""
	for (i = 1; i <= k; i++)
		p = p (i > 1 ? "/" : "") out[i]
	return (p in isfile) ? p : ""
}

function module_of(f,   m, s) {
	if (f in mod)
		return mod[f]
	s = stem(f)
	if (f == "src/main.c")
		m = "main"
	else if (f ~ /^src\//)
		m = substr(dirname(f), 5)
	else if (cstems[s] == 1)
		m = cmod[s]
	else if (basename(f) in home)
		m = home[basename(f)]
	else
		m = cstems[s] > 1 ? "?ambiguous" : "?unknown"
	mod[f] = m
	return m
}

# A header and the .c of its name in its module are one unit. A header
# with no such .c is none: its includes count as those of its includer.
function unit_of(f,   m, s) {
	m = module_of(f)
	s = stem(f)
	return (f ~ /\.c$/ || (m "/" s) in cunit) ? m "/" s : ""
}

# Unit @u includes @t (as @how says): an edge to the unit of @t, or, through
# a header of no unit, to what that header includes.
function reach(u, t, how,   v, k) {
	if (vis[t] == gen)
		return
	vis[t] = gen
	v = unit_of(t)
	if (v == "") {
		for (k = 1; k <= nto[t]; k++)
			reach(u, to[t, k], how)
		return
	}
	if (u == v || (u, v) in ev)
		return
	ev[u, v] = how
	adj[u, ++nadj[u]] = v
	units[u] = units[v] = 1
}

function dfs(u,   i, v, k, j, path) {
	color[u] = 1
	stack[++sp] = u
	for (i = 1; i <= nadj[u]; i++) {
		v = adj[u, i]
		if (color[v] == 1) {
			for (k = sp; k > 1 && stack[k] != v; k--)
				;
			path = ""
			for (j = k; j <= sp; j++)
				path = path "  " ev[stack[j], j < sp ? stack[j + 1] : v] "\n"
			printf "circle of %d:\n%s", sp - k + 1, path
			bad++
		} else if (color[v] == 0) {
			dfs(v)
		}
	}
	sp--
	color[u] = 2
}

BEGIN { FS = "\t" }
$1 == "L" { known[$2] = 1; n = split($3, low, " "); for (i = 1; i <= n; i++) may[$2, low[i]] = 1; next }
$1 == "H" { home[$2] = $3; next }
$1 == "F" {
	isfile[$2] = 1
	nfiles++
	if ($2 ~ /^src\/.*\.c$/ && $2 != "src/main.c") {
		s = stem($2)
		m = substr(dirname($2), 5)
		cstems[s]++
		cmod[s] = m
		cunit[m "/" s] = 1
	}
	next
}
$1 == "I" { inc[++ninc] = $2 "\t" $3; next }

END {
	for (f in isfile) {
		m = module_of(f)
		if (m ~ /^\?/) {
			printf "%s: in no module: name a .c after it, or list it in HEADER_HOME\n", f
			bad++
		} else if (!(m in known)) {
			printf "%s: module %s is not in the LAYERS table\n", f, m
			bad++
		}
	}
	for (i = 1; i <= ninc; i++) {
		split(inc[i], p, "\t")
		t = resolve(p[1], p[2])
		if (t == "") {
			printf "%s: #include \"%s\": no such file in src/ or include/\n", p[1], p[2]
			bad++
			continue
		}
		a = module_of(p[1])
		b = module_of(t)
		if (a != b && !((a, b) in may) && (a in known) && (b in known)) {
			printf "%s: #include \"%s\": %s may not use %s (not below it)\n", p[1], p[2], a, b
			bad++
		}
		to[p[1], ++nto[p[1]]] = t
		how[p[1], nto[p[1]]] = p[1] ": #include \"" p[2] "\""
	}
	for (f in isfile) {
		u = unit_of(f)
		for (k = 1; u != "" && k <= nto[f]; k++) {
			gen++
			reach(u, to[f, k], how[f, k])
		}
	}
	for (u in units)
		if (!color[u])
			dfs(u)
	if (bad)
		printf "%d layer problem(s)\n", bad
	else
		printf "ok: %d includes in %d files; none goes up a layer, no circle\n", ninc, nfiles
	exit bad > 0
}
'

# check_layers: print what breaks the layers; status 1 when anything does.
check_layers()
{
	local l h

	{
		for l in "${LAYERS[@]}"; do
			printf 'L\t%s\t%s\n' "${l%%:*}" "${l#*:}"
		done
		for h in "${HEADER_HOME[@]}"; do
			printf 'H\t%s\t%s\n' "${h% *}" "${h#* }"
		done
		find src include/brisk -type f \( -name '*.c' -o -name '*.h' \) |
			sed 's/^/F\t/'
		find src include/brisk -type f \( -name '*.c' -o -name '*.h' \) \
			-exec grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' {} + |
			sed -E 's/^([^:]*):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/I\t\1\t\2/'
	} | awk "$LAYERS_AWK"
}

show_diff=0
only_layers=0
files=()
for arg in "$@"; do
	case "$arg" in
	--layers) only_layers=1 ;;
	--diff) show_diff=1 ;;
	-h | --help)
		sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "usage: $0 [--layers] [--diff] [FILE...]" >&2
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

echo "== layers"
check_layers | sed 's/^/  /'
((PIPESTATUS[0] == 0)) || status=1
((only_layers)) && exit $status

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
