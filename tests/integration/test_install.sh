#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `meson install` into a temporary DESTDIR, from the build directory that
# made $BRISK: exactly the binary, in the CNI binary directory (the
# cni_bin_dir option, /opt/cni/bin by default), and the brisk(8) man page
# under mandir, generated from docs/brisk.8.scd. The installed binary runs;
# the man page and --help describe the same commands.
. "$(dirname "$0")/lib.sh"

setup install jq meson
BUILD=$(dirname "$BRISK")
[ -f "$BUILD/meson-private/coredata.dat" ] || skip "$BUILD is not a meson build directory"
command -v scdoc >/dev/null || skip "needs scdoc (scripts/deps.sh installs it)"

opt()
{
	meson introspect --buildoptions "$BUILD" | jq -r --arg n "$1" '.[] | select(.name == $n) | .value'
}

step "the build's options"
bindir=$(opt cni_bin_dir)
prefix=$(opt prefix)
mandir=$(opt mandir)
assert_eq "$(jq -r '.[] | select(.name == "cni_bin_dir") | .value' \
	<(meson introspect --buildoptions "$REPO/meson.build" 2>/dev/null))" \
	/opt/cni/bin "the default of cni_bin_dir"
case "$mandir" in /*) ;; *) mandir=$prefix/$mandir ;; esac

step "meson install --destdir"
DEST=$TMPD/root
meson install -C "$BUILD" --no-rebuild --quiet --destdir "$DEST" >"$TMPD/install.log" 2>&1 ||
	fail "meson install failed: $(cat "$TMPD/install.log")"
installed=$(cd "$DEST" && find . -type f | sed 's|^\.||' | sort)
assert_eq "$installed" "$(printf '%s\n%s' "$bindir/brisk" "$mandir/man8/brisk.8" | sort)" \
	"the installed files"
[ -x "$DEST$bindir/brisk" ] || fail "the installed brisk is not executable"
ip netns exec "$HOST" "$DEST$bindir/brisk" --version >"$TMPD/out" ||
	fail "the installed brisk --version failed"
assert_eq "$(sed -n 1p "$TMPD/out")" "$(ip netns exec "$HOST" "$BRISK" --version | sed -n 1p)" \
	"installed --version"

step "the man page"
page=$DEST$mandir/man8/brisk.8
head -c 300 "$page" | grep -q '^\.TH "brisk" "8"' || fail "not a section 8 roff page: $(head -3 "$page")"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$page" >"$TMPD/man.txt" 2>"$TMPD/man.err" || fail "man -l failed"
	[ ! -s "$TMPD/man.err" ] || fail "man -l warned: $(cat "$TMPD/man.err")"
else
	cp "$page" "$TMPD/man.txt"
fi
for sect in NAME SYNOPSIS DESCRIPTION "CNI USE" "OPERATOR COMMANDS" "CALL LOG" \
	ENVIRONMENT FILES "EXIT STATUS" ERRORS; do
	grep -q "^$sect" "$TMPD/man.txt" || grep -q "^\.SH \"\?$sect" "$page" ||
		fail "the man page has no $sect section"
done
# Every command --help lists is in the man page's synopsis, and back.
ip netns exec "$HOST" "$BRISK" --help | grep -o '^  brisk [a-z-]*' | awk '{ print $2 }' | sort -u >"$TMPD/help.cmds"
grep -o '^\*brisk [a-z]*\*\|^\*brisk\* \*--[a-z]*\*' "$REPO/docs/brisk.8.scd" |
	sed 's/\*//g' | awk '{ print $2 }' | sort -u >"$TMPD/man.cmds"
assert_eq "$(tr '\n' ' ' <"$TMPD/help.cmds")" "--help gc leases validate " "commands in --help"
assert_eq "$(cat "$TMPD/man.cmds")" "$(cat "$TMPD/help.cmds")" "commands in --help and in the man page"
for key in logFile logLevel logMaxSize BRISK_LOG CNI_COMMAND; do
	grep -q "$key" "$page" || fail "the man page does not mention $key"
done
pass
