#!/bin/sh
# Runs inside the VM: every test program, 64-bit then 32-bit, the rfctl
# script, the pthread preload's scripts and the QEMU linux-user checks,
# then glibc's tests if built; TAP to stdout.  A program that crashes or
# times out counts as one failed test.
for t in /rf/tests/t_* /rf/tests32/t_* /rf/bin/rfctl-test.sh \
	/rf/bin/preload-test.sh /rf/bin/preload-apps.sh /rf/qemu/qemu-test.sh; do
	[ -e "$t" ] || continue
	echo "# === $t"
	case "$t" in
	*.sh) timeout 300 sh "$t" ;;
	*) timeout 300 "$t" ;;
	esac
	rc=$?
	[ $rc -ge 124 ] && echo "not ok - $t died (exit $rc)"
done
# glibc's own tests, plain and with the preload (make glibc-tests).
[ -e /rf/glibc/run.sh ] && sh /rf/glibc/run.sh
exit 0
