#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench.sh: brisk against the reference bridge + host-local plugins
# (/usr/lib/cni) and against the floor (tests/bench/floor.c: only the kernel
# work of one ADD/DEL, through brisk's own net layer). Cases: sequential
# ADD/CHECK/DEL, memory and child processes, VERSION, 64 concurrent ADDs and
# DELs, pre-filled stores of up to 60,000 leases, and a mixed store of 10,000
# leases where host-local adds and deletes one before each brisk call.
#
#   scripts/bench.sh [-n N] [--quick] [--fw]
#
#   -n N      sequential iterations per plugin (default 200; use >= 200 for
#             numbers worth quoting)
#   --quick   smoke run: n=30 and fewer rounds everywhere
#   --fw      only the firewall part (ipMasq + a host port against the
#             reference bridge + portmap, and with 1,000 attachments)
#
# Needs root. Everything runs inside a throwaway "host" network namespace
# (brisk-bench-<pid>-host) with throwaway container namespaces; lease stores
# live in a temp dir. /etc/cni, /opt/cni and /var/lib/cni are never touched.
# Every timed call is one fork+exec+wait measured by a small perl helper
# (CLOCK_MONOTONIC wall time, wait4() rusage for CPU time).
set -euo pipefail

usage() {
	sed -n '4,21s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

# --- the inner run, inside the benchmark host namespace ----------------------

inner() {
	local TM="$TMP/tm.pl" DATA="$TMP/data" CNI_BIN=/usr/lib/cni
	local BRISK="$BUILD/brisk" FLOOR="$BUILD/floor" REF=/usr/lib/cni/bridge
	local SCALE_N=30 CONC_ROUNDS=5 WARMUP=3 MIX_SIZE=10000
	local -A BR SUB

	if [[ $QUICK == 1 ]]; then
		SCALE_N=8 CONC_ROUNDS=2 WARMUP=1
	fi
	mkdir -p "$DATA" "$TMP/r"
	ip link set lo up

	# tm.pl IN OUT ERR CMD...: run CMD once; print "wall_us cpu_us rss_kib rc".
	cat >"$TM" <<-'EOF'
	use strict;
	use Config;
	use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
	my %nr = (x86_64 => 61, aarch64 => 260);
	my ($arch) = $Config{archname} =~ /^([^-]+)/;
	my $SYS_wait4 = $nr{$arch} // do { require 'syscall.ph'; &SYS_wait4 };
	my ($in, $out, $err, @cmd) = @ARGV;
	my $t0 = clock_gettime(CLOCK_MONOTONIC);
	my $pid = fork() // die "fork: $!\n";
	if ($pid == 0) {
		open(STDIN, '<', $in) && open(STDOUT, '>', $out) &&
		    open(STDERR, '>', $err) or die "redirect: $!\n";
		exec { $cmd[0] } @cmd;
		print STDERR "exec $cmd[0]: $!\n";
		exit 127;
	}
	my ($st, $ru) = (pack('i', 0), "\0" x 256);
	my $r;
	do { $r = syscall($SYS_wait4, $pid, $st, 0, $ru) } while ($r < 0 && $!{EINTR});
	my $t1 = clock_gettime(CLOCK_MONOTONIC);
	die "wait4: $!\n" if $r < 0;
	my $s = unpack('i', $st);
	my ($us, $uu, $ss, $su, $rss) = unpack('q5', $ru);
	my $rc = ($s & 0x7f) ? 128 + ($s & 0x7f) : ($s >> 8) & 0xff;
	printf "%.1f %.1f %d %d\n", ($t1 - $t0) * 1e6, ($us + $ss) * 1e6 + $uu + $su,
	    $rss, $rc;
	EOF

	# conf TYPE NAME BRIDGE SUBNET DATADIR: one line, no trailing newline.
	conf() {
		printf '{"cniVersion":"1.0.0","name":"%s","type":"%s","bridge":"%s",' "$2" "$1" "$3"
		printf '"isGateway":true,"isDefaultGateway":true,"ipam":{"type":"host-local",'
		printf '"dataDir":"%s","ranges":[[{"subnet":"%s"}]]}}' "$5" "$4"
	}
	BR=([brisk]=bkbr0 [ref]=bkbr1 [floor]=bkbr2)
	SUB=([brisk]=10.201.0.0/16 [ref]=10.202.0.0/16 [floor]=10.203.0.0/16)
	conf brisk bench-brisk "${BR[brisk]}" "${SUB[brisk]}" "$DATA" >"$TMP/brisk.json"
	conf bridge bench-ref "${BR[ref]}" "${SUB[ref]}" "$DATA" >"$TMP/ref.json"
	# The firewall half: brisk with ipMasq and one host port, and the
	# reference's usual conflist for the same, bridge (ipMasq) + portmap.
	local PM='"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}'
	conf brisk bench-fw bkbr4 10.205.0.0/16 "$DATA" |
		sed "s|^{|{\"ipMasq\":true,$PM,|" >"$TMP/fw.json"
	conf bridge bench-refm bkbr5 10.206.0.0/16 "$DATA" |
		sed 's|^{|{"ipMasq":true,|' >"$TMP/refm.json"
	printf '{"cniVersion":"1.0.0","name":"bench-refm","type":"portmap","capabilities":{"portMappings":true},%s}' \
		"${PM/8080/8081}" >"$TMP/portmap.json"
	printf '{"cniVersion":"1.0.0"}' >"$TMP/version.json"

	die() {
		echo "bench: $*" >&2
		for f in "$TMP/out" "$TMP/err"; do
			[[ -s $f ]] && { echo "--- ${f##*/}:" >&2; head -c 2000 "$f" >&2; echo >&2; }
		done
		exit 1
	}

	# timed_rc IN CMD...: sets T_WALL, T_CPU (µs) and T_RC.
	# CNI_* variables come from the caller's prefix assignments.
	timed_rc() {
		local res
		res=$(perl "$TM" "$1" "$TMP/out" "$TMP/err" "${@:2}") ||
			die "timing helper failed"
		read -r T_WALL T_CPU _ T_RC <<<"$res"
	}
	# timed IN CMD...: the same, aborting unless CMD exited 0.
	timed() {
		timed_rc "$@"
		[[ $T_RC == 0 ]] || die "${CNI_COMMAND:-$2} ${*:2} failed (exit $T_RC)"
	}
	# conc_timed PHASE ...: timed_rc for an xargs phase; on failure show
	# what the failed calls printed.
	conc_timed() {
		local phase=$1 od=$2
		timed_rc "${@:3}"
		[[ $T_RC == 0 ]] && return 0
		grep -l . "$od"/*."$phase" 2>/dev/null | head -n 3 | while read -r f; do
			echo "--- $f:" >&2
			head -c 1000 "$f" >&2
			echo >&2
		done
		die "concurrent $phase: xargs exit $T_RC (a call failed)"
	}

	# with_prev CONF: the CHECK config, CONF plus prevResult = last ADD's output.
	with_prev() {
		local c
		c=$(<"$1")
		printf '%s,"prevResult":%s}' "${c%\}}" "$(<"$TMP/out")" >"$TMP/check.json"
	}

	check_added() { # NS
		ip -n "$1" -4 -o addr show dev eth0 | grep -q ' inet ' ||
			die "ADD left no IPv4 address on eth0 in $1"
		[[ -n $(ip -n "$1" -4 route show default) ]] ||
			die "ADD left no default route in $1"
	}
	check_deleted() { # NS BRIDGE
		! ip -n "$1" link show dev eth0 >/dev/null 2>&1 ||
			die "DEL left eth0 in $1"
		[[ -z $(ip -br link show master "$2") ]] ||
			die "DEL left a port on $2: $(ip -br link show master "$2")"
	}
	check_no_leases() { # DIR
		local left
		left=$(find "$1" -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip.*' | wc -l)
		[[ $left == 0 ]] || die "$left leases left in $1 after DEL"
	}

	# fw_one SUBJECT NS [NAME]: ADD then DEL of one container; appends wall
	# µs to $TMP/r/NAME.{add,del} (NAME defaults to SUBJECT). chain: the reference bridge (ipMasq) then
	# portmap with its result, DEL in reverse, as libcni runs a conflist;
	# its figures are the sums of the two plugins' calls.
	fw_one() {
		local s=$1 ns=$2 nsp=/run/netns/$2 out=${3:-$1} a d
		ip netns add "$ns"
		export CNI_CONTAINERID=$ns CNI_NETNS=$nsp CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
		case $s in
		fwplain | fw)
			local c=$TMP/brisk.json
			[[ $s == fw ]] && c=$TMP/fw.json
			CNI_COMMAND=ADD timed "$c" "$BRISK"
			a=$T_WALL
			CNI_COMMAND=DEL timed "$c" "$BRISK"
			d=$T_WALL
			;;
		chain)
			CNI_COMMAND=ADD timed "$TMP/refm.json" "$REF"
			a=$T_WALL
			with_prev_to "$TMP/portmap.json" "$TMP/pm-prev.json"
			with_prev_to "$TMP/refm.json" "$TMP/refm-prev.json"
			CNI_COMMAND=ADD timed "$TMP/pm-prev.json" "$CNI_BIN/portmap"
			a=$(awk -v x="$a" -v y="$T_WALL" 'BEGIN { print x + y }')
			CNI_COMMAND=DEL timed "$TMP/pm-prev.json" "$CNI_BIN/portmap"
			d=$T_WALL
			CNI_COMMAND=DEL timed "$TMP/refm-prev.json" "$REF"
			d=$(awk -v x="$d" -v y="$T_WALL" 'BEGIN { print x + y }')
			;;
		fwfloor)
			# The kernel work alone: what no plugin's DEL can go under.
			CNI_COMMAND=ADD timed /dev/null "$FLOOR" add "$nsp" eth0 "${BR[floor]}" \
				"${SUB[floor]%.0/*}.2/16" "${SUB[floor]%.0/*}.1"
			a=$T_WALL
			CNI_COMMAND=DEL timed /dev/null "$FLOOR" del "$nsp" eth0
			d=$T_WALL
			;;
		esac
		echo "$a" >>"$TMP/r/$out.add"
		echo "$d" >>"$TMP/r/$out.del"
		ip netns del "$ns"
	}
	# with_prev_to CONF OUT: CONF plus prevResult = the last ADD's output.
	with_prev_to() {
		local c
		c=$(<"$1")
		printf '%s,"prevResult":%s}' "${c%\}}" "$(<"$TMP/out")" >"$2"
	}
	# fw_fill N: N attachments' worth of elements of another network,
	# made by brisk itself: N firewall records as its ADD writes them
	# (masquerade, the network's subnet, a host port, hairpin and
	# localhost NAT), put into the tables by `brisk restore`. Nothing here
	# knows the sets' key layout.
	fw_fill() {
		local n=$1 i d=$DATA/.brisk/bench-fill/fw
		mkdir -p "$d"
		for ((i = 0; i < n; i++)); do
			printf 'brisk-fw 1\nid fill-%d\nifname eth0\nowner bench-fill/fill-%d/eth0\nmasq 1\naddr 10.210.%d.%d\nnomasq 10.210.0.0/16\nhpnat 10.210.0.0/16\nhpnat 127.0.0.0/8\nport tcp %d 80\n' \
				"$i" "$i" $((i / 250)) $((i % 250 + 2)) $((30000 + i)) >"$d/fill-$i:eth0"
		done
		"$BRISK" restore --data-dir "$DATA" --network bench-fill >"$TMP/restore" 2>&1 ||
			die "brisk restore (the fill) failed: $(tail -n 3 "$TMP/restore")"
		grep -q "^$n attachments restored, 0 failed" "$TMP/restore" ||
			die "the fill: $(tail -n 1 "$TMP/restore")"
	}

	fw_bench() {
		local FW_N=$N FILL=1000 i k s
		local fws=(fwplain fw chain fwfloor)
		if [[ $QUICK == 1 ]]; then FILL=200; fi
		command -v nft >/dev/null || die "nft is missing (package nftables)"
		[[ -x $CNI_BIN/portmap ]] || die "no reference portmap in $CNI_BIN"
		echo "== firewall: $FW_N x (brisk, brisk + ipMasq + 1 host port, reference bridge(ipMasq) + portmap, floor), interleaved"
		for ((i = -WARMUP; i < FW_N; i++)); do
			for ((k = 0; k < 4; k++)); do
				s=${fws[((i + WARMUP + k) % 4)]}
				fw_one "$s" "${PFX}fw$s-$((i + WARMUP))"
			done
			if ((i == -1)); then rm -f "$TMP"/r/{fwplain,fw,chain,fwfloor}.*; fi
			if ((i >= 0 && (i + 1) % 50 == 0)); then echo "   $((i + 1))/$FW_N"; fi
		done
		check_no_leases "$DATA/bench-fw"
		check_no_leases "$DATA/bench-refm"
		local left
		left=$(nft list table inet brisk | grep -c ' comment "' || true)
		[[ $left == 0 ]] || die "brisk left $left elements behind"
		local ns=${PFX}fwst nsp=/run/netns/${PFX}fwst
		ip netns add "$ns"
		export CNI_CONTAINERID=fwst CNI_NETNS=$nsp CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
		CNI_COMMAND=ADD traced "$TMP/st.fwadd" "$TMP/fw.json" "$BRISK"
		CNI_COMMAND=DEL traced "$TMP/st.fwdel" "$TMP/fw.json" "$BRISK"
		ip netns del "$ns"
		KIDS[fw.add]=$(children "$TMP/st.fwadd")
		KIDS[fw.del]=$(children "$TMP/st.fwdel")
		echo "== firewall scale: brisk + ipMasq + 1 host port with 0 and $FILL other attachments' elements, $SCALE_N each"
		for fill in 0 "$FILL"; do
			[[ $fill == 0 ]] || fw_fill "$fill"
			for ((i = 0; i < SCALE_N; i++)); do
				fw_one fw "${PFX}fwsc-$fill-$i" "fwscale-$fill"
			done
		done
		[[ $(nft list set inet brisk masq4 | grep -o '"bench-fill/' | wc -l) == "$FILL" ]] ||
			die "the fill changed: $(nft list set inet brisk masq4 | grep -o '"bench-fill/' | wc -l) of $FILL left"
		FILLED=$FILL
	}

	# one SUBJECT NS ID CONF: ADD, CHECK, DEL on a fresh namespace; appends
	# wall times (µs) to $TMP/r/SUBJECT.{add,check,del}, DEL CPU to .delcpu.
	one() {
		local s=$1 ns=$2 id=$3 conf=$4 nsp=/run/netns/$2
		local pfx=$TMP/r/$s
		ip netns add "$ns"
		if [[ $s == floor ]]; then
			local gw=${SUB[floor]%.0/*}.1 addr=${SUB[floor]%.0/*}.2/16
			CNI_COMMAND=ADD timed /dev/null "$FLOOR" add "$nsp" eth0 "${BR[floor]}" "$addr" "$gw"
			echo "$T_WALL" >>"$pfx.add"
			check_added "$ns"
			CNI_COMMAND=DEL timed /dev/null "$FLOOR" del "$nsp" eth0
		else
			local plugin=$BRISK
			[[ $s == ref ]] && plugin=$REF
			export CNI_CONTAINERID=$id CNI_NETNS=$nsp CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
			CNI_COMMAND=ADD timed "$conf" "$plugin"
			echo "$T_WALL" >>"$pfx.add"
			check_added "$ns"
			with_prev "$conf"
			CNI_COMMAND=CHECK timed "$TMP/check.json" "$plugin"
			echo "$T_WALL" >>"$pfx.check"
			CNI_COMMAND=DEL timed "$conf" "$plugin"
		fi
		echo "$T_WALL" >>"$pfx.del"
		echo "$T_CPU" >>"$pfx.delcpu"
		check_deleted "$ns" "${BR[$s]}"
		ip netns del "$ns"
	}

	# stats FILE: "median p95" in ms of µs samples (p95: nearest rank).
	stats() {
		sort -n "$1" | awk '{ a[NR] = $1 }
			END { if (NR == 0) { print "- -"; exit }
			      m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			      k = int(0.95 * NR); if (k < 0.95 * NR) k++
			      printf "%.3f %.3f\n", m / 1000, a[k] / 1000 }'
	}
	med() { local m; read -r m _ < <(stats "$1"); echo "$m"; }
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }

	# children LOGFILE: "FORKS EXECS THREADS" from an strace log: processes
	# started (clone/fork without CLONE_THREAD), successful execs after the
	# initial one, threads started.
	children() {
		awk '/ (clone|clone3|fork|vfork)\(/ { if (/CLONE_THREAD/) t++; else p++ }
		     /execve(at)?\(.*= 0$/ || /execve(at)? resumed>.*= 0$/ { e++ }
		     END { printf "%d %d %d\n", p, (e > 0 ? e - 1 : 0), t }' "$1"
	}
	traced() { # LOG IN PLUGIN
		strace -f -qq -o "$1" -e trace=clone,clone3,fork,vfork,execve,execveat \
			"$3" <"$2" >"$TMP/out" 2>"$TMP/err" || die "$CNI_COMMAND under strace failed"
	}

	# mixed_bench: host-local changes the store before every brisk call.
	mixed_bench() {
		echo "== mixed: $MIX_SIZE leases, a host-local ADD and DEL between brisk calls, $SCALE_N iterations"
		# host-local alone (the IPAM plugin, no bridge) changes the store behind
		# brisk's back before every brisk call: brisk must catch up with that
		# one change, not re-read the whole store.
		local dd=$TMP/mixed net=bench-mixed hl=$CNI_BIN/host-local
		printf '%s' "$(conf brisk "$net" "${BR[brisk]}" "${SUB[brisk]}" "$dd")" >"$TMP/mixed.json"
		prefill "$dd/$net" "$MIX_SIZE" "${SUB[brisk]%.0/*}.2"
		# hl_pair ID NS: host-local ADD then DEL of ID, both timed.
		hl_pair() {
			export CNI_CONTAINERID=$1 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
			CNI_COMMAND=ADD timed "$TMP/mixed.json" "$hl"
			echo "$T_WALL" >>"$TMP/r/mixed-hl.add"
			CNI_COMMAND=DEL timed "$TMP/mixed.json" "$hl"
			echo "$T_WALL" >>"$TMP/r/mixed-hl.del"
		}
		for ((i = -WARMUP; i < SCALE_N; i++)); do
			local ns=${PFX}mx-$((i + WARMUP)) mp=$TMP/r/mixed-brisk
			((i < 0)) && mp=$TMP/r/mixed-warmup
			ip netns add "$ns"
			hl_pair "mixed-hl-a$i" "$ns"
			export CNI_CONTAINERID=mixed-$i CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
			CNI_COMMAND=ADD timed "$TMP/mixed.json" "$BRISK"
			echo "$T_WALL" >>"$mp.add"
			check_added "$ns"
			hl_pair "mixed-hl-d$i" "$ns"
			export CNI_CONTAINERID=mixed-$i CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
			CNI_COMMAND=DEL timed "$TMP/mixed.json" "$BRISK"
			echo "$T_WALL" >>"$mp.del"
			check_deleted "$ns" "${BR[brisk]}"
			ip netns del "$ns"
			if ((i == -1)); then rm -f "$TMP"/r/mixed-hl.*; fi
		done
		left=$(find "$dd/$net" -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip.*' | wc -l)
		[[ $left == "$MIX_SIZE" ]] || die "mixed: $left leases after DEL, expected $MIX_SIZE"
		rm -rf "$dd"
	}

	# mixed_report: the mixed case's part of the report.
	mixed_report() {
		printf 'Mixed: %d leases, a host-local ADD and DEL before each brisk call, median of %d (ms)\n' \
			"$MIX_SIZE" "$SCALE_N"
		local ma md ha hd
		ma=$(med "$R/mixed-brisk.add") md=$(med "$R/mixed-brisk.del")
		ha=$(med "$R/mixed-hl.add") hd=$(med "$R/mixed-hl.del")
		printf '%-24s %10s %10s\n' "" ADD DEL
		printf '%-24s %10s %10s\n' "brisk (bridge + IPAM)" "$ma" "$md"
		printf '%-24s %10s %10s\n' "host-local (IPAM only)" "$ha" "$hd"
		printf '%-24s %10s %10s\n' "brisk/host-local" "$(ratio "$ma" "$ha")" "$(ratio "$md" "$hd")"
	}

	# fw_report: the firewall part of the report (after fw_bench).
	fw_report() {
		local R=$TMP/r p e p2 e2
		local fa fd pa pd ca cd
		pa=$(med "$R/fwplain.add") pd=$(med "$R/fwplain.del")
		fa=$(med "$R/fw.add") fd=$(med "$R/fw.del")
		ca=$(med "$R/chain.add") cd=$(med "$R/chain.del")
		printf 'Firewall: median of %d (ms); reference = bridge (ipMasq) then portmap, DEL in reverse\n' "$N"
		printf '%-44s %10s %10s\n' "" ADD DEL
		printf '%-44s %10s %10s\n' "brisk" "$pa" "$pd"
		printf '%-44s %10s %10s\n' "brisk, ipMasq + 1 host port" "$fa" "$fd"
		printf '%-44s %10s %10s\n' "  difference (ms)" \
			"$(awk -v a="$fa" -v b="$pa" 'BEGIN { printf "%+.3f", a - b }')" \
			"$(awk -v a="$fd" -v b="$pd" 'BEGIN { printf "%+.3f", a - b }')"
		printf '%-44s %10s %10s\n' "reference bridge (ipMasq) + portmap" "$ca" "$cd"
		printf '%-44s %10s %10s\n' "brisk (ipMasq + port) / reference chain" "$(ratio "$fa" "$ca")" "$(ratio "$fd" "$cd")"
		local la ld
		la=$(med "$R/fwfloor.add") ld=$(med "$R/fwfloor.del")
		printf '%-44s %10s %10s\n' "floor (the kernel work alone)" "$la" "$ld"
		printf '%-44s %10s %10s\n' "floor / reference chain (no plugin under it)" "$(ratio "$la" "$ca")" "$(ratio "$ld" "$cd")"
		read -r p e _ <<<"${KIDS[fw.add]}"
		read -r p2 e2 _ <<<"${KIDS[fw.del]}"
		printf '%-44s %10s %10s\n' "brisk forks:execs (ipMasq + port)" "$p:$e" "$p2:$e2"
		local s0a s0d s1a s1d
		s0a=$(med "$R/fwscale-0.add") s0d=$(med "$R/fwscale-0.del")
		s1a=$(med "$R/fwscale-$FILLED.add") s1d=$(med "$R/fwscale-$FILLED.del")
		printf '%-44s %10s %10s\n' "brisk fw, no other attachment's elements" "$s0a" "$s0d"
		printf '%-44s %10s %10s\n' "brisk fw, $FILLED other attachments' elements" "$s1a" "$s1d"
		printf '%-44s %10s %10s\n' "  ratio" "$(ratio "$s1a" "$s0a")" "$(ratio "$s1d" "$s0d")"
	}

	if [[ $FWONLY == 1 ]]; then
		local -A KIDS
		fw_bench
		echo
		echo "================================================================================"
		echo " brisk benchmark (firewall only)  $(date -u +%FT%TZ)  brisk $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
		echo " kernel $(uname -r), $(nproc) CPUs, load average at start: $LOAD0, now: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo " reference: $(dpkg-query -W -f '${Package} ${Version}' containernetworking-plugins 2>/dev/null || echo '?')"
		echo "================================================================================"
		fw_report
		echo "================================================================================"
		return 0
	fi

	local subjects=(brisk ref floor) i k s
	echo "== sequential: $N iterations x (brisk, reference, floor), interleaved"
	for ((i = -WARMUP; i < N; i++)); do
		for ((k = 0; k < 3; k++)); do
			s=${subjects[((i + WARMUP + k) % 3)]}
			one "$s" "${PFX}$s-$((i + WARMUP))" "bench-$s-$((i + WARMUP))" "$TMP/$s.json"
		done
		if ((i == -1)); then # warm-up done: drop its samples
			rm -f "$TMP"/r/*
		fi
		if ((i >= 0 && (i + 1) % 50 == 0)); then echo "   $((i + 1))/$N"; fi
	done
	check_no_leases "$DATA/bench-brisk"
	check_no_leases "$DATA/bench-ref"

	echo "== peak RSS (5 ADDs each under /usr/bin/time -f %M), child processes"
	local ns=${PFX}rss nsp=/run/netns/${PFX}rss j
	for s in brisk ref floor; do
		for ((j = 0; j < 5; j++)); do
			ip netns add "$ns"
			if [[ $s == floor ]]; then
				/usr/bin/time -f %M -o "$TMP/rss" "$FLOOR" add "$nsp" eth0 "${BR[floor]}" \
					"${SUB[floor]%.0/*}.2/16" "${SUB[floor]%.0/*}.1" || die "floor add failed"
				"$FLOOR" del "$nsp" eth0 || die "floor del failed"
			else
				local plugin=$BRISK
				[[ $s == ref ]] && plugin=$REF
				export CNI_CONTAINERID=rss-$j CNI_NETNS=$nsp CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
				CNI_COMMAND=ADD /usr/bin/time -f %M -o "$TMP/rss" "$plugin" \
					<"$TMP/$s.json" >"$TMP/out" 2>"$TMP/err" || die "$s ADD (RSS) failed"
				CNI_COMMAND=DEL "$plugin" <"$TMP/$s.json" >/dev/null || die "$s DEL failed"
			fi
			tail -n 1 "$TMP/rss" >>"$TMP/r/$s.rss"
			check_deleted "$ns" "${BR[$s]}"
			ip netns del "$ns"
		done
	done
	local -A KIDS
	for s in brisk ref; do
		local plugin=$BRISK
		[[ $s == ref ]] && plugin=$REF
		ip netns add "$ns"
		export CNI_CONTAINERID=strace CNI_NETNS=$nsp CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
		CNI_COMMAND=ADD traced "$TMP/st.add" "$TMP/$s.json" "$plugin"
		with_prev "$TMP/$s.json"
		CNI_COMMAND=CHECK traced "$TMP/st.check" "$TMP/check.json" "$plugin"
		CNI_COMMAND=DEL traced "$TMP/st.del" "$TMP/$s.json" "$plugin"
		check_deleted "$ns" "${BR[$s]}"
		ip netns del "$ns"
		for op in add check del; do
			KIDS[$s.$op]=$(children "$TMP/st.$op")
		done
	done
	for op in add check del; do
		read -r p e _ <<<"${KIDS[brisk.$op]}"
		[[ $p == 0 && $e == 0 ]] ||
			die "brisk ${op^^} started $p processes and exec'd $e times (expected 0)"
	done

	echo "== VERSION: $N x (brisk VERSION, /bin/true), interleaved"
	for ((i = 0; i < N; i++)); do
		CNI_COMMAND=VERSION timed "$TMP/version.json" "$BRISK"
		echo "$T_WALL" >>"$TMP/r/version"
		if ((i == 0)); then
			grep -q '"supportedVersions"' "$TMP/out" || die "brisk VERSION printed no supportedVersions"
		fi
		timed /dev/null /bin/true
		echo "$T_WALL" >>"$TMP/r/true"
	done

	echo "== concurrency: 64 ADDs then 64 DELs, 16 at a time (xargs -P16), $CONC_ROUNDS rounds"
	# job.sh PLUGIN CMD CONF NSPREFIX OUTDIR IDX
	cat >"$TMP/job.sh" <<-'EOF'
	export CNI_COMMAND="$2" CNI_CONTAINERID="conc-$6" CNI_NETNS="/run/netns/$4$6"
	export CNI_IFNAME=eth0
	exec "$1" <"$3" >"$5/$6.$2" 2>&1
	EOF
	# floorjob.sh FLOOR CMD BRIDGE NSPREFIX OUTDIR IDX: the floor's ADD/DEL.
	cat >"$TMP/floorjob.sh" <<-EOF
	if [ "\$2" = ADD ]; then
		exec "\$1" add "/run/netns/\$4\$6" eth0 "\$3" "${SUB[floor]%.0.0/*}.1.\$6/16" \\
			"${SUB[floor]%.0/*}.1" >"\$5/\$6.\$2" 2>&1
	fi
	exec "\$1" del "/run/netns/\$4\$6" eth0 >"\$5/\$6.\$2" 2>&1
	EOF
	seq 1 64 >"$TMP/items"
	local round
	for ((round = 0; round < CONC_ROUNDS; round++)); do
		for s in brisk ref floor; do
			local plugin=$BRISK job=$TMP/job.sh conf=$TMP/$s.json
			[[ $s == ref ]] && plugin=$REF
			# The floor takes a bridge, not a config: same job shape.
			[[ $s == floor ]] && plugin=$FLOOR job=$TMP/floorjob.sh conf=${BR[floor]}
			local kp=${PFX}k$s- od=$TMP/conc
			rm -rf "$od"
			mkdir -p "$od"
			for ((j = 1; j <= 64; j++)); do ip netns add "$kp$j"; done
			export CNI_PATH=$CNI_BIN
			conc_timed ADD "$od" "$TMP/items" xargs -P16 -n1 sh "$job" "$plugin" ADD \
				"$conf" "$kp" "$od"
			echo "$T_WALL" >>"$TMP/r/$s.cadd"
			j=$(ip -br link show master "${BR[$s]}" | wc -l)
			[[ $j == 64 ]] || die "concurrent $s ADD: $j ports on ${BR[$s]}, expected 64"
			conc_timed DEL "$od" "$TMP/items" xargs -P16 -n1 sh "$job" "$plugin" DEL \
				"$conf" "$kp" "$od"
			echo "$T_WALL" >>"$TMP/r/$s.cdel"
			[[ -z $(ip -br link show master "${BR[$s]}") ]] ||
				die "concurrent $s DEL left ports on ${BR[$s]}"
			[[ $s == floor ]] || check_no_leases "$DATA/bench-$s"
			for ((j = 1; j <= 64; j++)); do ip netns del "$kp$j"; done
		done
	done

	echo "== scale: brisk at 0/1000/10000/60000 leases, reference at 0/10000, $SCALE_N iterations each"
	# prefill DIR N FIRST_IP: N leases in host-local's format, in order from
	# FIRST_IP, and last_reserved_ip.0 naming the last, as N ADDs leave it.
	prefill() {
		mkdir -p "$1"
		perl -e '
			my ($dir, $n, $first) = @ARGV;
			my $ip = unpack("N", pack("C4", split(/\./, $first)));
			my $name;
			for my $i (1 .. $n) {
				$name = join(".", unpack("C4", pack("N", $ip++)));
				open(my $f, ">", "$dir/$name") or die "$dir/$name: $!";
				print $f "prefill-$i\r\neth0";
				close($f);
			}
			if ($n) {
				open(my $f, ">", "$dir/last_reserved_ip.0") or die;
				print $f $name;
				close($f);
			}' "$1" "$2" "$3"
	}
	local size sizes=(0 1000 10000 60000)
	for s in brisk ref; do
		for size in "${sizes[@]}"; do
			[[ $s == ref && $size != 0 && $size != 10000 ]] && continue
			local dd=$TMP/scale-$s-$size net=bench-$s-scale
			local c
			c=$(conf "$([[ $s == ref ]] && echo bridge || echo brisk)" "$net" "${BR[$s]}" \
				"${SUB[$s]}" "$dd")
			printf '%s' "$c" >"$TMP/scale.json"
			prefill "$dd/$net" "$size" "${SUB[$s]%.0/*}.2"
			local sp=$TMP/r/scale-$s-$size
			for ((i = 0; i < SCALE_N; i++)); do
				local ns=${PFX}sc-$s-$size-$i
				export CNI_CONTAINERID=scale-$i CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN
				local plugin=$BRISK
				[[ $s == ref ]] && plugin=$REF
				ip netns add "$ns"
				CNI_COMMAND=ADD timed "$TMP/scale.json" "$plugin"
				echo "$T_WALL" >>"$sp.add"
				with_prev "$TMP/scale.json"
				CNI_COMMAND=CHECK timed "$TMP/check.json" "$plugin"
				echo "$T_WALL" >>"$sp.check"
				CNI_COMMAND=DEL timed "$TMP/scale.json" "$plugin"
				echo "$T_WALL" >>"$sp.del"
				check_deleted "$ns" "${BR[$s]}"
				ip netns del "$ns"
			done
			local left
			left=$(find "$dd/$net" -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip.*' | wc -l)
			[[ $left == "$size" ]] || die "scale $s $size: $left leases after DEL, expected $size"
			rm -rf "$dd"
		done
	done

	fw_bench
	mixed_bench

	# --- report ---
	local R=$TMP/r
	local -A M P
	for s in brisk ref floor; do
		for op in add check del; do
			[[ -f $R/$s.$op ]] || { M[$s.$op]=-; P[$s.$op]=-; continue; }
			read -r "M[$s.$op]" "P[$s.$op]" < <(stats "$R/$s.$op")
		done
		M[$s.delcpu]=$(med "$R/$s.delcpu")
		M[$s.rss]=$(sort -n "$R/$s.rss" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	done
	echo
	echo "================================================================================"
	echo " brisk benchmark  $(date -u +%FT%TZ)  brisk $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
	echo " kernel $(uname -r), $(nproc) CPUs, load average at start: $LOAD0, now: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo " n=$N sequential ADD/CHECK/DEL iterations per plugin; the three plugins take turns (rotating"
	echo " order) so load changes hit all alike; fresh netns each, netns setup untimed; cniVersion 1.0.0,"
	echo " isGateway+isDefaultGateway, host-local on a /16; reference = /usr/lib/cni/bridge + host-local"
	echo " ($(dpkg-query -W -f '${Package} ${Version}' containernetworking-plugins 2>/dev/null || echo '?'))."
	echo " Times are wall ms of fork+exec+wait (median / p95). Machine is shared: expect noise."
	echo "================================================================================"
	printf '%-26s %12s %12s %12s %10s %11s\n' "" brisk reference floor brisk/ref brisk/floor
	local row op
	for op in add check del; do
		for row in median p95; do
			local a b f
			if [[ $row == median ]]; then a=${M[brisk.$op]} b=${M[ref.$op]} f=${M[floor.$op]}
			else a=${P[brisk.$op]} b=${P[ref.$op]} f=${P[floor.$op]}; fi
			local rf=-
			[[ $op != check ]] && rf=$(ratio "$a" "$f")
			printf '%-26s %12s %12s %12s %10s %11s\n' "${op^^} $row (ms)" "$a" "$b" "$f" \
				"$(ratio "$a" "$b")" "$rf"
		done
	done
	printf '%-26s %12s %12s %12s %10s %11s\n' "ADD peak RSS (KiB)" "${M[brisk.rss]}" \
		"${M[ref.rss]}" "${M[floor.rss]}" "$(ratio "${M[brisk.rss]}" "${M[ref.rss]}")" \
		"$(ratio "${M[brisk.rss]}" "${M[floor.rss]}")"
	printf '%-26s %12s %12s %12s %10s %11s\n' "DEL CPU user+sys med (ms)" "${M[brisk.delcpu]}" \
		"${M[ref.delcpu]}" "${M[floor.delcpu]}" "$(ratio "${M[brisk.delcpu]}" "${M[ref.delcpu]}")" \
		"$(ratio "${M[brisk.delcpu]}" "${M[floor.delcpu]}")"
	local kb kr thb thr p e t
	for op in add check del; do
		read -r p e t <<<"${KIDS[brisk.$op]}"
		kb+="${kb:+ }$p:$e" thb+="${thb:+/}$t"
		read -r p e t <<<"${KIDS[ref.$op]}"
		kr+="${kr:+ }$p:$e" thr+="${thr:+/}$t"
	done
	printf '%-26s %12s %12s\n' "forks:execs ADD CHECK DEL" "$kb" "$kr"
	printf '%-26s %12s %12s\n' "threads ADD/CHECK/DEL" "$thb" "$thr"
	echo
	local vb vt
	vb=$(med "$R/version") vt=$(med "$R/true")
	printf 'VERSION (n=%d)             brisk %s ms   /bin/true %s ms   ratio %s\n' \
		"$N" "$vb" "$vt" "$(ratio "$vb" "$vt")"
	echo
	printf 'Concurrency: 64 ADDs then 64 DELs, xargs -P16, median of %d rounds (ms)\n' "$CONC_ROUNDS"
	printf '%-26s %12s %12s %12s %10s %11s\n' "" brisk reference floor brisk/ref brisk/floor
	local ca cr cf da dr df
	ca=$(med "$R/brisk.cadd") cr=$(med "$R/ref.cadd") cf=$(med "$R/floor.cadd")
	da=$(med "$R/brisk.cdel") dr=$(med "$R/ref.cdel") df=$(med "$R/floor.cdel")
	printf '%-26s %12s %12s %12s %10s %11s\n' "64 ADDs complete" "$ca" "$cr" "$cf" \
		"$(ratio "$ca" "$cr")" "$(ratio "$ca" "$cf")"
	printf '%-26s %12s %12s %12s %10s %11s\n' "64 DELs complete" "$da" "$dr" "$df" \
		"$(ratio "$da" "$dr")" "$(ratio "$da" "$df")"
	local tb tr tf
	tb=$(awk -v a="$ca" -v b="$da" 'BEGIN { printf "%.3f", a + b }')
	tr=$(awk -v a="$cr" -v b="$dr" 'BEGIN { printf "%.3f", a + b }')
	tf=$(awk -v a="$cf" -v b="$df" 'BEGIN { printf "%.3f", a + b }')
	printf '%-26s %12s %12s %12s %10s %11s\n' "total" "$tb" "$tr" "$tf" \
		"$(ratio "$tb" "$tr")" "$(ratio "$tb" "$tf")"
	echo
	printf 'Scale: pre-filled host-local lease store (/16), median of %d (ms), ratio to 0 leases;\n' "$SCALE_N"
	printf '1st ADD: the first call on the freshly filled store (ms)\n'
	printf '%-24s %10s %8s %10s %8s %10s %8s %10s\n' "" ADD "x0" CHECK "x0" DEL "x0" "1st ADD"
	for s in brisk ref; do
		for size in "${sizes[@]}"; do
			[[ -f $R/scale-$s-$size.add ]] || continue
			local line="" base
			for op in add check del; do
				local v
				v=$(med "$R/scale-$s-$size.$op")
				base=$(med "$R/scale-$s-0.$op")
				line+=$(printf ' %10s %8s' "$v" "$(ratio "$v" "$base")")
			done
			line+=$(awk 'NR == 1 { printf " %10.3f", $1 / 1000 }' "$R/scale-$s-$size.add")
			printf '%-24s%s\n' "$([[ $s == ref ]] && echo reference || echo brisk) $size leases" "$line"
		done
	done
	for size in 0 10000; do
		local line=""
		for op in add check del; do
			local a b
			a=$(med "$R/scale-brisk-$size.$op") b=$(med "$R/scale-ref-$size.$op")
			line+=$(printf ' %10s %8s' "$(ratio "$a" "$b")" "")
		done
		printf '%-24s%s\n' "brisk/ref $size leases" "$line"
	done
	echo
	fw_report
	echo
	mixed_report
	echo "================================================================================"
}

# --- the outer run: build, host namespace, cleanup -----------------------------

if [[ ${1:-} == --inner ]]; then
	inner
	exit 0
fi

N=200
QUICK=0
FWONLY=0
while (($#)); do
	case $1 in
	-n) N=${2:?-n needs a number}; shift 2 ;;
	-n*) N=${1#-n}; shift ;;
	--quick) QUICK=1; N=30; shift ;;
	--fw) FWONLY=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "bench: unknown argument $1" >&2; usage 2 >&2 ;;
	esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "bench: -n wants a positive number" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
for tool in strace:strace time:/usr/bin/time; do
	if ! command -v "${tool#*:}" >/dev/null; then
		apt-get install -y -qq "${tool%%:*}" >/dev/null
	fi
done
for tool in ip nsenter perl xargs nft iptables; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] ||
	{ echo "bench: the reference plugins are not in /usr/lib/cni" >&2; exit 1; }

echo "== build (release) in $BUILD"
if [[ -d $BUILD ]]; then
	meson configure "$BUILD" -Dbuildtype=release >/dev/null
else
	meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
if ! out=$(ninja -C "$BUILD" brisk floor 2>&1); then
	printf '%s\n' "$out" | tail -n 30 >&2
	echo "bench: build failed" >&2
	exit 1
fi

PFX=brisk-bench-$$-
TMP=$(mktemp -d /tmp/brisk-bench.XXXXXX)
cleanup() {
	local ns
	for ns in $(ip netns list | awk '{ print $1 }'); do
		if [[ $ns == "$PFX"* ]]; then ip netns del "$ns" 2>/dev/null || true; fi
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "${PFX}host"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
export N QUICK FWONLY ROOT BUILD PFX TMP LOAD0
nsenter --net="/run/netns/${PFX}host" -- bash "${BASH_SOURCE[0]}" --inner
cleanup
left=$(ip netns list | awk -v p="$PFX" 'index($1, p) == 1' | wc -l)
[[ $left == 0 ]] || { echo "bench: $left ${PFX}* namespaces survived cleanup" >&2; exit 1; }
echo "cleaned up: no ${PFX}* namespace and no temp dir left"
