#!/bin/sh
# Runs inside the VM: every test program, 64-bit then 32-bit, TAP to stdout.
# A program that crashes or times out counts as one failed test.
for t in /rf/tests/t_* /rf/tests32/t_*; do
	[ -x "$t" ] || continue
	echo "# === $t"
	timeout 300 "$t"
	rc=$?
	[ $rc -ge 124 ] && echo "not ok - $t died (exit $rc)"
done
exit 0
