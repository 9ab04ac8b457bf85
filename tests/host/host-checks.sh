#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks that run on the host: the project's spin model of the protocol
# (model/protocol.pml, every variant; model/README.md) and checkpatch.pl
# --strict from Debian's linux-source-6.12 on the kernel sources.  KTAP,
# through the kernel's ktap_helpers.sh (tests/harness.sh); exit 0 only if
# every check passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RF_CACHE:-/var/cache/robustfutex}
h=$(mktemp -d)
"$top/tests/harness.sh" "$h" || { echo "not ok 1 host-checks: tests/harness.sh failed"; exit 1; }
. "$h/ktap_helpers.sh"
rm -rf "$h"
# The helpers echo a description unquoted: no file name globbing of it.
ok()  { set -f; ktap_test_pass "$*"; set +f; }
nok() { set -f; ktap_test_fail "$*"; set +f; }
ktap_print_header

# The model: one spin run per variant, in two lanes (the cycle check, the
# longest, has one to itself; at most ~1.5 GB each).  A variant whose rules
# are broken must fail in the expected way (an assertion naming the lock
# holder or the memory, or a waiter blocked for ever), not just fail.
model=${RF_MODEL:-$top/model/protocol.pml}
# name  lane  spin -D flags  gcc flags  pan flags
variants=(
	"NEW		|0|		|-DSAFETY	|"
	"NEW_CYCLES	|1|		|-DNP		|-l"
	"OLD_PLAIN	|0|-DOLD_PLAIN	|-DSAFETY	|"
	"OLD_NS		|0|-DOLD_NS	|-DSAFETY	|-E"
	"OLD_REUSE	|0|-DOLD_REUSE	|-DSAFETY	|-E"
	"OLD_EVICT	|0|-DOLD_EVICT	|-DSAFETY	|-A"
	"MAINLINE	|0|-DMAINLINE	|-DSAFETY	|-E"
	"WALK_FAIL	|0|-DWALK_FAIL	|-DSAFETY	|-A"
	"HEIR		|0|-DWALK_FAIL -DHEIR	|-DSAFETY	|"
)
spin_run() {	# spin_run dir spinflags gccflags panflags: pan's output in dir/out
	local d=$1
	mkdir -p "$d" && cp "$model" "$d/model.pml" &&
	(cd "$d" && spin -a $2 model.pml >spin.log 2>&1 &&
	 gcc -w -O2 $3 -DNOCLAIM -o pan pan.c >>spin.log 2>&1 &&
	 ./pan -m1000000 $4 >out 2>&1)
}
# spin_check name: the TAP line for one variant, from its pan output
spin_check() {
	local o=$w/$1/out errs states secs
	errs=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$o" 2>/dev/null)
	states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$o" 2>/dev/null)
	secs=$(sed -n 's/^pan: elapsed time \([0-9.]*\).*/\1/p' "$o" 2>/dev/null)
	local stats="$states states, ${secs}s"
	case $1 in
	NEW)	[ "$errs" = 0 ] &&
		ok "spin: NEW: owner IDs keep mutual exclusion, wake every waiter, never write reused memory (0 errors, $stats)" ||
		nok "spin: NEW: errors=${errs:-?} (model/README.md: replay the trail)" ;;
	NEW_CYCLES) [ "$errs" = 0 ] &&
		ok "spin: NEW: no cycle, every run ends, so a waiter blocked for ever is an invalid end state (0 errors, $stats)" ||
		nok "spin: NEW: non-progress cycle check: errors=${errs:-?}" ;;
	OLD_PLAIN) [ "$errs" = 0 ] &&
		ok "spin: OLD_PLAIN: old rules hold without namespaces, TID reuse or lost records (0 errors, $stats)" ||
		nok "spin: OLD_PLAIN: errors=${errs:-?}" ;;
	OLD_NS)	[ "${errs:-0}" != 0 ] && grep -q 'assertion violated.*holder' "$o" &&
		ok "spin: OLD_NS: old rules recover a live owner's lock across PID namespaces (counterexample found)" ||
		nok "spin: OLD_NS: no mutual-exclusion counterexample (errors=${errs:-?})" ;;
	OLD_REUSE) [ "${errs:-0}" != 0 ] && grep -q 'assertion violated.*holder' "$o" &&
		ok "spin: OLD_REUSE: old rules recover a live owner's lock through a stale record and a reused TID (counterexample found)" ||
		nok "spin: OLD_REUSE: no mutual-exclusion counterexample (errors=${errs:-?})" ;;
	OLD_EVICT) [ "${errs:-0}" != 0 ] && grep -q 'invalid end state' "$o" &&
		ok "spin: OLD_EVICT: old rules leave a waiter blocked for ever when a record is lost (counterexample found)" ||
		nok "spin: OLD_EVICT: no blocked waiter found (errors=${errs:-?})" ;;
	MAINLINE) [ "${errs:-0}" != 0 ] && grep -q 'assertion violated (gen==' "$o" &&
		ok "spin: MAINLINE: the kernel writes OWNER_DIED into reused memory (bug 14485 reproduced)" ||
		nok "spin: MAINLINE: no write into reused memory found (errors=${errs:-?})" ;;
	WALK_FAIL) [ "${errs:-0}" != 0 ] && grep -q 'invalid end state' "$o" &&
		ok "spin: WALK_FAIL: without the heir rule a walk that fails strands a waiter (counterexample found)" ||
		nok "spin: WALK_FAIL: no blocked waiter found (errors=${errs:-?})" ;;
	HEIR)	[ "$errs" = 0 ] &&
		ok "spin: WALK_FAIL+HEIR: the module's rules hold even when the exit walk fails (0 errors, $stats)" ||
		nok "spin: WALK_FAIL+HEIR: errors=${errs:-?}" ;;
	esac
}
if ! command -v spin >/dev/null; then
	nok "spin: not installed (tests/deps.sh installs it): the model was not checked"
elif [ ! -e "$model" ]; then
	nok "spin: $model not found"
else
	w=$(mktemp -d)
	for lane in 0 1; do
		for v in "${variants[@]}"; do
			IFS='|' read -r name l sflags gflags pflags <<<"$v"
			[ "$l" = $lane ] || continue
			spin_run "$w/$(echo $name)" "$sflags" "$gflags" "$pflags"
		done &
	done
	wait
	for v in "${variants[@]}"; do
		name=$(echo ${v%%|*})
		spin_check "$name"
	done
	rm -rf "$w"
fi

cp_dir=$cache/checkpatch
if [ ! -e "$cp_dir/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-6.12*.tar.* | head -n 1)
	t=$(basename "$tarball" | sed 's/\.tar\..*//')
	mkdir -p "$cp_dir"
	tar -xf "$tarball" -C "$cp_dir" --strip-components=1 \
		"$t/scripts/checkpatch.pl" "$t/scripts/spelling.txt" \
		"$t/scripts/const_structs.checkpatch"
fi
out=$(cd "$top" && perl "$cp_dir/scripts/checkpatch.pl" --no-tree --strict \
	--terse --show-types -f module/*.c module/*.h include/robustfutex/*.h 2>&1)
errs=$(grep -c ': ERROR:' <<<"$out")
warns=$(grep -cE ': (WARNING|CHECK):' <<<"$out")
grep -E ': (ERROR|WARNING|CHECK):' <<<"$out" | sed 's/^/# /'
[ "$errs" = 0 ] && ok "checkpatch --strict: 0 errors ($warns warnings/checks)" ||
	nok "checkpatch --strict: $errs errors"
# One version everywhere: the public header's macros are the source.
v=$(cd "$top" && sed -n 's/^.define ROBUSTFUTEX_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\).*/\2/p' \
	include/robustfutex.h | paste -sd.)
vs="dkms.conf:$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")"
vs="$vs module/main.c:$(sed -n 's/^#define RF_VERSION "\(.*\)"/\1/p' "$top/module/main.c")"
vs="$vs debian/changelog:$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$top/debian/changelog")"
bad=
for x in $vs; do [ "${x#*:}" = "$v" ] || bad="$bad $x"; done
[ -z "$bad" ] && ok "version $v in the header, dkms.conf, the module and debian/changelog" ||
	nok "version: the header says $v, but$bad"
ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
ktap_finished
