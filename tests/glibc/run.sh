#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (as /rf/glibc/run.sh): each of glibc's tests built by
# build.sh twice, on plain glibc and with the pthread preload, one KTAP
# line per run (the kernel's ktap_helpers.sh, from build/include):
# ok 3 glibc tst-robust1 plain (2s).  glibc's test driver exits 0 for a
# pass and 77 for unsupported (a skip); anything else, a timeout included,
# fails, and the test's output follows as comments.
#
# Four lanes run side by side, each taking the next run (test and mode)
# no other lane has taken (mkdir is the atomic claim): many tests mostly
# sleep (tst-cond16..18 wait 20 s each, tst-mutex5 and the like time out
# on purpose), and the longest, tst-robust-fork, goes first.  A lane
# writes its verdicts as "@pass|@fail|@skip DESCRIPTION" lines to a file
# of its own; they are numbered and printed once all lanes are done.
dir=$(cd "$(dirname "$0")" && pwd)
KTAP_HELPERS=${KTAP_HELPERS:-$dir/../include/ktap_helpers.sh}
[ -r "$KTAP_HELPERS" ] ||
	{ echo "not ok 1 glibc: no $KTAP_HELPERS (tests/harness.sh)"; exit 1; }
. "$KTAP_HELPERS"
preload=${RF_PRELOAD:-/rf/lib/librobustfutex-pthread.so}
# glibc's driver kills a test after TIMEOUT (20 s unless the test says)
# times this; TCG and the debug kernel are slow.  The outer timeout is a
# backstop for a driver that cannot kill its test.
export TIMEOUTFACTOR=${TIMEOUTFACTOR:-6}
lanes=${GLIBC_LANES:-4}
# On the debug kernel (KASAN, kmemleak) the tests marked slow in tests.list
# would take over ten minutes; they run on 6.1 and 6.12.
case "$(uname -r)" in *rfdebug*) debug=1 ;; *) debug=0 ;; esac
tmp=${TMPDIR:-/tmp}/glibc-tests
rm -rf "$tmp" && mkdir -p "$tmp"

run() {	# run NAME MODE ENV-AND-ARGS...
	name=$1 mode=$2; shift 2
	if [ "$mode" = preload ] && [ ! -e "$preload" ]; then
		echo "@skip glibc $name $mode (preload not built)"
		return
	fi
	envs= args=
	for a in "$@"; do
		case "$a" in
		slow)
			if [ "$debug" = 1 ]; then
				echo "@skip glibc $name $mode (slow, not run on the debug kernel)"
				return
			fi ;;
		*=*) case "$a" in --*) args="$args $a" ;; *) envs="$envs $a" ;; esac ;;
		*) args="$args $a" ;;
		esac
	done
	log=$tmp/$name-$mode.log
	# ld.so ignores a preload it cannot load, with a message: the loader's
	# own trace must show the library initialised in the test's process.
	[ "$mode" = preload ] &&
		envs="$envs LD_PRELOAD=$preload LD_DEBUG=files LD_DEBUG_OUTPUT=$log.ld"
	start=$(date +%s)
	# shellcheck disable=SC2086 # split on purpose
	timeout 900 env $envs "$dir/$name" $args >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$mode" = preload ] && [ $rc = 0 ] &&
	   ! grep -qs "calling init: $preload\$" "$log".ld.*; then
		echo "@fail glibc $name $mode (the preload was not loaded)"
		tail -n 5 "$log" | sed 's/^/#   /'
		return
	fi
	case $rc in
	0)	echo "@pass glibc $name $mode (${secs}s)" ;;
	77)	echo "@skip glibc $name $mode (unsupported: $(tail -n 1 "$log"))" ;;
	*)	echo "@fail glibc $name $mode (exit $rc, ${secs}s)"
		tail -n 30 "$log" | sed 's/^/#   /' ;;
	esac
}

lane() {	# lane N: take the next run not taken by another lane
	while read -r name rest; do
		if [ "$name" = skip ]; then
			# Not built: reported once, in lane 0.
			[ "$1" = 0 ] && echo "@skip glibc ${rest%% *} (not built: ${rest#* })"
			continue
		fi
		for mode in plain preload; do
			mkdir "$tmp/taken-$name-$mode" 2>/dev/null || continue
			# shellcheck disable=SC2086
			run "$name" $mode $rest
		done
	done <"$dir/tests.txt" >"$tmp/lane$1.tap"
}

stat() { cat "/sys/kernel/robustfutex/$1" 2>/dev/null || echo 0; }

ktap_print_header
echo "# === glibc 2.36 tests (preload: $([ -e "$preload" ] && echo "$preload" || echo "not built"))"
reg0=$(stat registrations) rec0=$(stat entries_recovered)
i=0
while [ $i -lt "$lanes" ]; do
	lane $i &
	i=$((i + 1))
done
wait
for f in "$tmp"/lane*.tap; do
	# The helpers echo a description unquoted: no file name globbing of it.
	set -f
	while IFS= read -r line; do
		case $line in
		"@pass "*) ktap_test_pass "${line#@pass }" ;;
		"@fail "*) ktap_test_fail "${line#@fail }" ;;
		"@skip "*) ktap_test_skip "${line#@skip }" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$f"
	set +f
done

# Plain glibc never calls the module: with the preload, robust mutexes
# must have gone through it, and the dead owners' locks (tst-robust1..7
# let threads exit holding them) been recovered by its exit walk.
if [ -e "$preload" ]; then
	reg=$(($(stat registrations) - reg0)) rec=$(($(stat entries_recovered) - rec0))
	if [ $reg -gt 0 ] && [ $rec -gt 0 ]; then
		ktap_test_pass "glibc tests with the preload used the module ($reg registrations, $rec entries recovered)"
	else
		ktap_test_fail "glibc tests with the preload used the module ($reg registrations, $rec entries recovered)"
	fi
fi
ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
ktap_finished
