#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM, module loaded: 32-bit glibc programs under QEMU's i386
# linux-user emulator, as Debian builds it (qemu-i386) and with our patch
# (qemu-i386-rf).  A holder process locks robust process-shared mutexes in
# /dev/shm and is SIGKILLed; a waiter is blocked on one.  KTAP to stdout,
# through the kernel's ktap_helpers.sh (build/include, /rf/include in the
# VM; $KTAP_HELPERS overrides); exit 0 only if every check passed.
#
#   qemu-test.sh            all checks
#   qemu-test.sh demo       JSON lines for `make demo`'s correctness table
#                           (tests/bench/report.py): stock as "mainline",
#                           patched as "rf"
q=$(cd "$(dirname "$0")" && pwd)
stock=$q/qemu-i386
patched=$q/qemu-i386-rf
tmp=${TMPDIR:-/tmp}/qemu-test.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp" /dev/shm/qt-*' EXIT

KTAP_HELPERS=${KTAP_HELPERS:-$q/../include/ktap_helpers.sh}
[ -r "$KTAP_HELPERS" ] ||
	{ echo "not ok 1 qemu: no $KTAP_HELPERS (tests/harness.sh)"; exit 1; }
. "$KTAP_HELPERS"
# The helpers echo a description unquoted: no file name globbing of it.
ok() { set -f; ktap_test_pass "qemu: $*"; set +f; }
nok() { set -f; ktap_test_fail "qemu: $*"; set +f; }
skip() { set -f; ktap_test_skip "qemu: $*"; set +f; }
res() { if [ "$1" = 0 ]; then ok "$2"; else nok "$2"; fi; }
# The plan is the number of checks made, printed last.
finish() {
	ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
	ktap_finished
}
# centiseconds since boot
now() { tr -d . </proc/uptime | cut -d' ' -f1; }

# wait_for FILE PATTERN SECONDS
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}

# start_holder EMU NAME N [ENV...]: a holder of N locks; sets $h.
start_holder() {
	emu=$1 f=/dev/shm/qt-$2 cnt=$3
	shift 3
	rm -f "$f" "$tmp/h.out"
	env "$@" "$emu" "$q/holder" "$f" "$cnt" >"$tmp/h.out" 2>&1 &
	h=$!
	if ! wait_for "$tmp/h.out" '^holder: held' 120; then
		sed 's/^/# /' "$tmp/h.out"
		kill -9 $h 2>/dev/null
		return 1
	fi
}

# kill_wait EMU NAME SECONDS: holder of one lock, a waiter blocked on it,
# SIGKILL the holder; sets $got to what the waiter saw within SECONDS
# ("blocked" if nothing) and $ms to how long it took.  A waiter that must
# stay blocked is watched for a fixed 5 s; one that must get the lock gets
# 60 s, a bound only a hang reaches (TCG, a debug kernel and QEMU's own
# emulation stack up), and costs nothing when the lock comes.
kill_wait() {
	got="holder did not start" ms=
	start_holder "$1" "$2" 1 || return
	rm -f "$tmp/w.out"
	"$1" "$q/waiter" "$f" >"$tmp/w.out" 2>&1 &
	w=$!
	wait_for "$tmp/w.out" blocking 120
	sleep 1		# into its futex wait
	t0=$(now)
	kill -9 $h
	wait $h 2>/dev/null
	i=0
	while kill -0 $w 2>/dev/null && [ $i -lt $(($3 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 $w 2>/dev/null; then
		got=blocked
		kill -9 $w
	else
		ms=$(( ($(now) - t0) * 10 ))
		got=$(sed -n 's/^waiter: lock: //p' "$tmp/w.out")
	fi
	wait $w 2>/dev/null
}

# many EMU NAME: a holder of 3,000 locks SIGKILLed; sets $out to what a
# trylock of each then gives.  The module walks 2048 entries by default
# (mainline's limit): raised here as a user who needs more would.
many() {
	lim=/sys/module/robustfutex/parameters/list_limit
	old=$(cat $lim)
	echo 4096 >$lim
	if start_holder "$1" "$2" 3000; then
		kill -9 $h
		wait $h 2>/dev/null
		out=$("$1" "$q/waiter" "$f" 3000)
	else
		out="holder did not start"
	fi
	echo "$old" >$lim
}

[ "${1:-}" = demo ] || ktap_print_header
if [ ! -x "$stock" ] || [ ! -x "$patched" ]; then
	nok "no QEMU binaries in $q (make qemu)"
	[ "${1:-}" = demo ] && exit 0
	finish
fi

if [ "${1:-}" = demo ]; then
	for e in stock patched; do
		eval emu=\$$e
		impl=rf
		[ $e = stock ] && impl=mainline
		secs=60
		[ $e = stock ] && secs=5
		kill_wait "$emu" demo $secs
		[ "$got" = blocked ] && got="still blocked" ms=$((secs * 1000))
		printf '{"scenario":"qemu_user","impl":"%s","variant":"waiter","emulator":"%s","outcome":"%s","blocked_ms":%s}\n' \
			"$impl" "$e" "$got" "${ms:-0}"
		many "$emu" demo3k
		printf '{"scenario":"qemu_user","impl":"%s","variant":"3000 held","emulator":"%s","outcome":"%s","recovered":%s,"held":3000}\n' \
			"$impl" "$e" "${out#waiter: }" "$(echo "$out" | sed -n 's/^waiter: \([0-9]*\) of.*/\1/p' | grep . || echo 0)"
	done
	exit 0
fi

# The futex calls the patch routes answer as the host's do.
for e in stock patched; do
	eval emu=\$$e
	timeout 120 "$emu" "$q/futexops" >"$tmp/f.out" 2>&1
	r=$?
	grep FAILED "$tmp/f.out" | sed 's/^/# /'
	res $r "$e qemu: futex values, timeouts, wakes, join, condvar, timedlock ($(grep -c ': ok$' "$tmp/f.out") checks)"
done

# The baseline: QEMU answers set_robust_list with ENOSYS, so nothing
# recovers a dead guest's mutex and its waiter sleeps on.
kill_wait "$stock" s1 5
[ "$got" = blocked ]
res $? "stock qemu: waiter still blocked 5 s after the holder's SIGKILL (expected; saw: $got)"

kill_wait "$patched" p1 60
[ "$got" = EOWNERDEAD ]
res $? "patched qemu: waiter gets EOWNERDEAD after the holder's SIGKILL (saw: $got${ms:+ after $ms ms})"
grep -q 'get_robust_list: head 0x[0-9a-f]* len 12$' "$tmp/h.out"
res $? "patched qemu: get_robust_list returns the guest's head ($(sed -n 's/^holder: get_robust_list: //p' "$tmp/h.out"))"

# Without the device the patched QEMU is the stock one.
mv /dev/robustfutex /dev/robustfutex.off
"$patched" "$q/holder" /dev/shm/qt-nodev 1 >"$tmp/n.out" 2>&1 &
p=$!
wait_for "$tmp/n.out" '^holder: held' 120
kill -9 $p
wait $p 2>/dev/null
mv /dev/robustfutex.off /dev/robustfutex
grep -q 'get_robust_list: Function not implemented' "$tmp/n.out"
res $? "patched qemu without /dev/robustfutex: set_robust_list is ENOSYS, as stock"

# 3,000 locks held at once.
for e in stock patched; do
	eval emu=\$$e
	many "$emu" "${e}3k"
	case $e in
	stock) echo "$out" | grep -q ' 0 of 3000 EOWNERDEAD, 3000 EBUSY'
		res $? "stock qemu: 3,000 held guest locks: none recovered (expected; $out)" ;;
	patched) echo "$out" | grep -q ' 3000 of 3000 EOWNERDEAD'
		res $? "patched qemu: 3,000 held guest locks all recovered ($out)" ;;
	esac
done

# Two slots in one thread: the emulator's own lock (librobustfutex,
# LD_PRELOADed, a 64-bit intent-protocol list) and the guest's list, in
# QEMU's main thread, which runs the guest.  On an arm64 host (FEX-Emu's
# case) QEMU is linked static: nothing can be preloaded into it.
if [ "$(uname -m)" = aarch64 ]; then
	why="not run: the arm64 QEMU is static, emulock.so cannot be preloaded into it"
	skip "patched qemu: QEMU's main thread has two slots, the emulator's and the guest's ($why)"
	skip "patched qemu: both recovered after SIGKILL ($why)"
	finish
fi
"$q/emucheck" init /dev/shm/qt-emu
if start_holder "$patched" two 1 EMULOCK=/dev/shm/qt-emu LD_PRELOAD="$q/emulock.so"; then
	"$q/emucheck" slots $h >"$tmp/s.out"
	res $? "patched qemu: QEMU's main thread has two slots, the emulator's and the guest's ($(sed -n 's/^emucheck: //p' "$tmp/s.out" | tr '\n' ';'))"
	kill -9 $h
	wait $h 2>/dev/null
	e=$(timeout 30 "$q/emucheck" lock /dev/shm/qt-emu)
	g=$(timeout 30 "$patched" "$q/waiter" "$f" 1)
	echo "$e" | grep -q EOWNERDEAD && echo "$g" | grep -q ' 1 of 1 EOWNERDEAD'
	res $? "patched qemu: both recovered after SIGKILL (emulator: ${e#emucheck: }; guest: ${g#waiter: })"
else
	nok "patched qemu with the emulator's lock: holder did not start"
fi
finish
