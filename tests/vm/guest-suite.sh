#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: every test program, 64-bit then 32-bit, the rfctl
# script and the pthread preload's tests; with the full suite also the
# LMDB/tdb tortures, the QEMU linux-user checks and glibc's own tests (if
# built).  TAP to stdout.  A program that crashes or times out counts as
# one failed test.
#
# The suite is named by /rf/.suite (vm-run --suite): "core" (the default)
# or "full".  tests/run-all gives the full suite to the kernels where the
# slow parts add information, and the core to the rest.  On arm64 the
# core suite runs the QEMU linux-user checks too (FEX-Emu's case: a
# 32-bit x86 guest's robust list on an arm64 host; 14 s on 6.12).
suite=$(cat /rf/.suite 2>/dev/null || echo core)
# A program that dies: a failure, through the kernel's ktap_helpers.sh.
KTAP_HELPERS=${KTAP_HELPERS:-/rf/include/ktap_helpers.sh}
[ -r "$KTAP_HELPERS" ] ||
	{ echo "not ok 1 guest-suite.sh: no $KTAP_HELPERS (tests/harness.sh)"; exit 1; }
. "$KTAP_HELPERS"
echo "# suite: $suite"
progs="/rf/tests/t_* /rf/tests32/t_* /rf/bin/rfctl-test.sh /rf/bin/preload-test.sh"
[ "$suite" = full ] && progs="$progs /rf/bin/preload-apps.sh /rf/qemu/qemu-test.sh"
[ "$suite" = core ] && [ "$(uname -m)" = aarch64 ] && progs="$progs /rf/qemu/qemu-test.sh"
for t in $progs; do
	[ -e "$t" ] || continue
	echo "# === $t"
	s=$(cut -d' ' -f1 /proc/uptime)
	case "$t" in
	*.sh) timeout 300 sh "$t" ;;
	*) timeout 300 "$t" ;;
	esac
	rc=$?
	[ $rc -ge 124 ] && ktap_test_fail "$t died (exit $rc)"
	echo "# time $t: $(awk -v s="$s" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
done
# The examples (examples/README.md): each exits 0 only when it worked.
for e in /rf/examples/emulator-guest-list /rf/examples32/emulator-guest-list \
	 /rf/examples/shared-mutex /rf/examples/preload-demo.sh; do
	[ -e "$e" ] || continue
	echo "# === $e"
	case "$e" in
	*.sh) timeout 120 sh "$e" ;;
	*) timeout 120 "$e" ;;
	esac >/tmp/example.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/example.out
	if [ $rc -eq 0 ]; then
		ktap_test_pass "example ${e#/rf/}"
	else
		ktap_test_fail "example ${e#/rf/} (exit $rc)"
	fi
done
# glibc's own tests, plain and with the preload (make glibc-tests).
if [ "$suite" = full ] && [ -e /rf/glibc/run.sh ]; then
	s=$(cut -d' ' -f1 /proc/uptime)
	sh /rf/glibc/run.sh
	echo "# time glibc: $(awk -v s="$s" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
fi
exit 0
