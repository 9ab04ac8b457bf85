#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM: LMDB and tdb (Debian's, 64-bit) under writers and
# workers SIGKILLed at random, plain glibc as the baseline, then with the
# pthread preload; the same binaries.  TAP.  RF_APP_SECONDS: how long each
# torture runs.
run() {	# run NAME COMMAND...
	name=$1; shift
	echo "# --- $name"
	timeout 120 "$@"
	rc=$?
	[ $rc -ge 124 ] && echo "not ok - $name died (exit $rc)"
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
