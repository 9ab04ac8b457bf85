#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM: the pthread preload's tests (plain pthread programs in
# /rf/ptests*, linked with no librobustfutex), 64- then 32-bit; TAP.
# Each runs with LD_PRELOAD of the preload of its width; the unlock race
# and p_answers (the same answers as glibc) run twice, the same binary,
# without and with it.  LMDB and tdb: preload-apps.sh.  Each program
# prints its own KTAP (kselftest.h); one that dies is a failure here (the
# kernel's ktap_helpers.sh).
KTAP_HELPERS=${KTAP_HELPERS:-$(dirname "$0")/../include/ktap_helpers.sh}
[ -r "$KTAP_HELPERS" ] ||
	{ echo "not ok 1 preload-test.sh: no $KTAP_HELPERS (tests/harness.sh)"; exit 1; }
. "$KTAP_HELPERS"
run() {	# run NAME COMMAND...
	name=$1; shift
	echo "# --- $name"
	timeout 120 "$@"
	rc=$?
	# Its own lines are lost with it: one failure says so.
	[ $rc -ge 124 ] && ktap_test_fail "$name died (exit $rc)"
	return 0
}
for w in "" 32; do
	d=/rf/ptests$w pre=/rf/lib$w/librobustfutex-pthread.so
	[ -x "$d/p_preload" ] || continue
	run "p_preload$w" env LD_PRELOAD=$pre "$d/p_preload"
	run "p_unlock_race$w (glibc)" "$d/p_unlock_race" changed
	run "p_unlock_race$w (preload)" env LD_PRELOAD=$pre "$d/p_unlock_race" unchanged
	# The same answers from glibc and from the preload.
	run "p_answers$w (glibc)" "$d/p_answers"
	run "p_answers$w (preload)" env LD_PRELOAD=$pre "$d/p_answers"
done
# 32-bit with a 64-bit time_t: glibc's __pthread_*64 names.
[ -x /rf/ptests32/p_preload_t64 ] &&
	run p_preload_t64 env LD_PRELOAD=/rf/lib32/librobustfutex-pthread.so \
		/rf/ptests32/p_preload_t64
exit 0
