#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM: LMDB and tdb (Debian's, 64-bit) under writers and
# workers SIGKILLed at random, plain glibc as the baseline, then with the
# pthread preload; the same binaries.  TAP.  RF_APP_SECONDS: how long each
# torture runs.  Each program prints its own KTAP (kselftest.h); one
# that dies is a failure here (the kernel's ktap_helpers.sh).
KTAP_HELPERS=${KTAP_HELPERS:-$(dirname "$0")/../include/ktap_helpers.sh}
[ -r "$KTAP_HELPERS" ] ||
	{ echo "not ok 1 preload-apps.sh: no $KTAP_HELPERS (tests/harness.sh)"; exit 1; }
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
secs=${RF_APP_SECONDS:-25}
for how in glibc preload; do
	pre=
	[ $how = preload ] && pre=/rf/lib/librobustfutex-pthread.so
	rm -rf /tmp/p_app && mkdir -p /tmp/p_app/kill /tmp/p_app/torture /tmp/p_app/tdb
	run "p_lmdb kill ($how)" env LD_PRELOAD=$pre /rf/ptests/p_lmdb /tmp/p_app/kill kill
	run "p_lmdb torture ($how)" env LD_PRELOAD=$pre /rf/ptests/p_lmdb /tmp/p_app/torture torture $secs
	run "p_tdb ($how)" env LD_PRELOAD=$pre /rf/ptests/p_tdb /tmp/p_app/tdb $secs
done
rm -rf /tmp/p_app
exit 0
