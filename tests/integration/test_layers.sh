#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The layer check of scripts/lint.sh can fail: on a copy of the tree it
# passes as the tree is, then catches an include that goes up a layer, a
# circle of files, a module missing from its table and an include of
# nothing; a module's private header, and a firewall module beside net/
# that uses only core/ and net/, pass. No root, no namespace.
set -uo pipefail
src=${BRISK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# copy: a fresh copy of the tree's sources and lint.sh in $tmp/t.
copy()
{
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t/scripts"
	cp -r "$src/src" "$src/include" "$tmp/t/"
	cp "$src/scripts/lint.sh" "$tmp/t/scripts/"
}

# expect WHAT STATUS TEXT: lint.sh --layers on $tmp/t exits STATUS and
# prints TEXT.
expect()
{
	local out rc

	out=$(bash "$tmp/t/scripts/lint.sh" --layers 2>&1)
	rc=$?
	if [[ $rc != "$2" || $out != *"$3"* ]]; then
		echo "FAIL $1: exit $rc, wanted $2 and \"$3\" in:"
		echo "$out"
		failed=1
	else
		echo "ok   $1"
	fi
}

copy
expect "the tree as it is" 0 "none goes up a layer, no circle"

copy
sed -i '0,/#include "brisk\/ipam.h"/s//#include "brisk\/ipam.h"\n#include "brisk\/cni.h"/' \
	"$tmp/t/src/ipam/ipam.c"
expect "ipam/ reaching into cni/" 1 \
	'src/ipam/ipam.c: #include "brisk/cni.h": ipam may not use cni'

copy
printf '#include "brisk/store.h"\n' >>"$tmp/t/src/ipam/lease/lease.c"
expect "the host-local format using the façade above it" 1 \
	"ipam/lease may not use ipam/store"

copy
printf '#include "brisk/index.h"\n' >>"$tmp/t/src/ipam/lease/lease.c"
expect "the host-local format using the index beside it" 1 \
	"ipam/lease may not use ipam/index"

copy
printf '#include "map.h"\n' >>"$tmp/t/src/ipam/index/record.h"
printf '#include "record.h"\n' >>"$tmp/t/src/ipam/index/map.h"
expect "two files of one module in a circle" 1 "circle of 2:"

# The circle the store had: one file's header includes the other's, whose
# .c includes the first header (a header and its .c count as one file).
copy
printf '#include "brisk/index.h"\n' >>"$tmp/t/src/ipam/index/map.c"
printf '#include "map.h"\n' >>"$tmp/t/include/brisk/index.h"
expect "a .c using a header that includes its own" 1 "circle of 2:"

# One small private header for a module's internals, which includes the
# module's public header, is no circle.
copy
printf '#include "brisk/store.h"\nint store_part(void);\n' >"$tmp/t/src/ipam/store/store_int.h"
printf '#include "store_int.h"\n' >>"$tmp/t/src/ipam/store/store.c"
printf '#include "store_int.h"\nint store_part(void) { return 0; }\n' \
	>"$tmp/t/src/ipam/store/part.c"
expect "a private header shared inside a module" 0 "no circle"

copy
mkdir "$tmp/t/src/extra"
printf '#include "brisk/err.h"\n' >"$tmp/t/src/extra/x.c"
expect "a module not in the table" 1 "module extra is not in the LAYERS table"

copy
printf '#include "brisk/nosuch.h"\n' >>"$tmp/t/src/core/err.c"
expect "an include of nothing" 1 'no such file in src/ or include/'

copy
printf 'int orphan(void);\n' >"$tmp/t/include/brisk/orphan.h"
expect "a header of no module" 1 "include/brisk/orphan.h: in no module"

copy
mkdir "$tmp/t/src/fw"
printf '#include "brisk/masq.h"\n#include "brisk/netlink.h"\n#include "brisk/log.h"\n' \
	>"$tmp/t/src/fw/masq.c"
printf '#include "brisk/err.h"\n#include "brisk/ipnet.h"\n' >"$tmp/t/include/brisk/masq.h"
printf '#include "brisk/masq.h"\n' >>"$tmp/t/src/plugin/cmd_add.c"
expect "a firewall module over core/ and net/" 0 "no circle"
printf '#include "brisk/netconf.h"\n' >>"$tmp/t/src/fw/masq.c"
expect "a firewall module reading the config" 1 "fw may not use config"

exit $failed
