#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The README's configuration reference against the parser's own table of
# keys (src/config/keys.c, printed by `brisk validate --keys`): the same
# keys, the same JSON types, the same defaults. And no key read by the
# parser (a jget_* call or a json_object_get in src/config) is missing from
# that table. tests/unit/test_keys.c holds the table to the parser; this
# holds the README to the table, so the reference cannot drift.
#
# README convention, in the "## Configuration reference" section: each
# table has a header row with "key", "type" and "default" columns; a key is
# relative to the object its "### `object`" heading names (a heading with
# no or several backquoted names: top level). The type cell starts with the
# table's type word; the default cell's first backquoted value, when the
# parser has a default, is that default as JSON.
. "$(dirname "$0")/lib.sh"

setup cref jq perl

step "the parser's table"
ip netns exec "$HOST" "$BRISK" validate --keys >"$TMPD/keys" 2>"$TMPD/err" ||
	fail "brisk validate --keys failed: $(cat "$TMPD/err")"
tail -n +2 "$TMPD/keys" | awk '{ print $1 "\t" $2 "\t" $3 }' | sort >"$TMPD/code"
(($(wc -l <"$TMPD/code") > 30)) || fail "the table is short: $(cat "$TMPD/keys")"

step "the README's tables"
perl -ne '
	BEGIN { $in = 0; $prefix = ""; %col = () }
	if (/^## /) { $in = /^## Configuration reference/; next }
	next unless $in;
	if (/^### /) {
		my @t = /`([^`]+)`/g;
		$prefix = @t == 1 ? "$t[0]." : "";
		%col = ();
		next;
	}
	next unless /^\|/;
	my @c = split /\|/, $_;
	shift @c;
	pop @c;
	s/^\s+|\s+$//g for @c;
	if (!%col && grep { $_ eq "key" } @c) {
		for my $i (0 .. $#c) { $col{$c[$i]} = $i }
		die "a table without key/type/default columns near: $_"
			unless exists $col{type} && exists $col{default};
		next;
	}
	next if $c[0] =~ /^-+$/ || !%col;
	my ($type) = $c[$col{type}] =~ /^(\w+)/;
	my ($dflt) = $c[$col{default}] =~ /`([^`]+)`/;
	$dflt //= "-";
	for my $k ($c[$col{key}] =~ /`([^`]+)`/g) {
		next unless $k =~ /^[A-Za-z][A-Za-z0-9]*(\[\])*(\.[A-Za-z][A-Za-z0-9]*(\[\])*)*$/;
		print "$prefix$k\t$type\t$dflt\n";
	}
' "$REPO/README.md" | sort >"$TMPD/readme" || fail "cannot read the README's tables"
(($(wc -l <"$TMPD/readme") > 20)) || fail "few keys found in the README: $(cat "$TMPD/readme")"

step "the same keys, types and defaults"
while IFS=$'\t' read -r key type dflt; do
	have=$(awk -F'\t' -v k="$key" '$1 == k' "$TMPD/code")
	[ -n "$have" ] || fail "the README documents $key, which the parser does not read"
	[ "$(cut -f2 <<<"$have")" = "$type" ] ||
		fail "$key: the README says $type, the parser's table $(cut -f2 <<<"$have")"
	code_dflt=$(cut -f3 <<<"$have")
	if [ "$code_dflt" != - ] && [ "$code_dflt" != "$dflt" ]; then
		fail "$key: the README's default is $dflt, the parser's $code_dflt"
	fi
done <"$TMPD/readme"
[ "$(cut -f1 "$TMPD/readme" | sort | uniq -d)" = "" ] ||
	fail "keys documented twice: $(cut -f1 "$TMPD/readme" | sort | uniq -d)"
while IFS=$'\t' read -r key _; do
	# An object or array whose members are listed needs no row itself.
	if awk -F'\t' -v k="$key" 'index($1, k ".") == 1 || index($1, k "[") == 1 { f = 1 }
		END { exit !f }' "$TMPD/code"; then
		continue
	fi
	awk -F'\t' -v k="$key" '$1 == k { f = 1 } END { exit !f }' "$TMPD/readme" ||
		fail "the parser reads $key, which the README's reference does not document"
done <"$TMPD/code"

step "every key the parser reads is in its table"
perl -0777 -ne '
	my $id = qr/[A-Za-z][A-Za-z0-9]*/;
	# f(obj, "ctx", "key" ...): a key under a known object.
	while (/\b\w+\(\s*[\w>.\-]+\s*,\s*"([^"]*)"\s*,\s*"($id)"/g) {
		print $1 eq "" ? "$2\n" : "$1.$2\n";
	}
	# f(obj, ctx, "key" ...): a key under an object named at run time.
	while (/\b\w+\(\s*[\w>.\-]+\s*,\s*([a-z_]\w*)\s*,\s*"($id)"/g) {
		print "*.$2\n";
	}
	while (/json_object_get\(\s*(root|ipam)\s*,\s*"($id)"\s*\)/g) {
		print $1 eq "root" ? "$2\n" : "ipam.$2\n";
	}
' $(ls "$REPO"/src/config/*.c | grep -v -e /jsonget.c -e /keys.c -e /netconf_norm.c) |
	sort -u >"$TMPD/read"
(($(wc -l <"$TMPD/read") > 25)) || fail "few keys found in src/config: $(cat "$TMPD/read")"
while read -r key; do
	case "$key" in
	\*.*)
		awk -F'\t' -v k="${key#*.}" '{ n = split($1, p, "."); if (p[n] == k) f = 1 }
			END { exit !f }' "$TMPD/code" ||
			fail "src/config reads a key \"${key#*.}\" that no path of the table ends in"
		;;
	*)
		awk -F'\t' -v k="$key" '$1 == k { f = 1 } END { exit !f }' "$TMPD/code" ||
			fail "src/config reads $key, which is not in src/config/keys.c"
		;;
	esac
done <"$TMPD/read"

step "meson options"
for opt in $(sed -n "s/^option('\([a-z_]*\)'.*/\1/p" "$REPO/meson_options.txt"); do
	grep -q "^| \`$opt\` |" "$REPO/README.md" || fail "the README's option table lacks $opt"
done
pass
