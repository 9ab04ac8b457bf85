#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside the VM (tests/vm/vm-run, busybox sh, module loaded): the comparison
# with mainline, then the benchmarks.  JSON lines go to stdout, one
# progress line per step to stderr.
#
#   sh /rf/bench/guest.sh [--quick] [--icount]
#
# --icount (under vm-run --icount: one vCPU, the clock counts
# instructions): only the exit cost and the reap, by instruction count.
#
# The unloaded exit-rate measurement needs the module unloaded; it
# alternates with loaded ones (loaded, unloaded, loaded, ...) so that drift
# hits both alike, and the module is loaded again at the end.
#
# On arm64 (vm-run --arch arm64) every program is static (the initramfs
# holds no arm64 C library): no preload, no rfctl (busybox's rmmod and
# modprobe instead), p_unlock_race beside the bench programs.
b=/rf/bench
pre=/rf/lib/librobustfutex-pthread.so
ptest=/rf/ptests/p_unlock_race
[ -x $ptest ] || ptest=$b/p_unlock_race
nopre="no preload in the arm64 guest: its programs are static (no arm64 glibc or ld.so in the initramfs)"
quick= clock=wall mode=qemu-tcg
rounds=8 runs=3
for a in "$@"; do
	case "$a" in
	--quick)	quick=--quick; rounds=4 ;;
	--icount)	clock=icount ;;
	*)		echo "guest.sh: unknown option $a" >&2; exit 2 ;;
	esac
done
steps=$((15 + 2 * rounds))
[ $clock = wall ] || steps=2
n=0

step() {
	n=$((n + 1))
	echo "# guest [$n/$steps] $*" >&2
}

# The module's references are dropped after an RCU grace period: an
# rmmod right after a registered process exits may find it busy.
# The control tool (tools/rfctl/rfctl.c, libkmod) does the loading and
# unloading; busybox's rmmod and modprobe where it is not built (arm64).
rfctl() {
	if [ -x /rf/bin/rfctl ]; then
		/rf/bin/rfctl "$@"
	elif [ "$1" = unload ]; then
		rmmod robustfutex
	else
		modprobe robustfutex
	fi
}
unload() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rfctl unload >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	rfctl unload
}

# vm-run boots QEMU with -accel tcg; say otherwise only if it is not so.
dmesg | grep -q 'Hypervisor detected: KVM' && mode=qemu-kvm
krel=$(uname -r)
echo "kernel: $krel" >&2
echo "mode: $mode" >&2
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
arch=$(uname -m)
# arm64's cpuinfo names no model: what -cpu max gives, and whether it has
# LSE atomics (Features: atomics), which the library's calls use if so.
feat=$(sed -n 's/^Features[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
lse=
if [ "$arch" = aarch64 ]; then
	lse=false
	case " $feat " in *" atomics "*) lse=true ;; esac
	[ -n "$cpu" ] || cpu="$arch, $([ $lse = true ] || echo "no ")LSE atomics"
fi
echo "cpu: $cpu" >&2
printf '{"env":"vm","kernel":"%s","mode":"%s","clock":"%s","cpus":%s,"cpu":"%s","arch":"%s"%s,"mem_kb":%s,"pid_max":%s,"quick":%s,"module_version":"%s"}\n' \
	"$krel" "$mode" "$clock" "$(nproc)" "$cpu" "$arch" \
	"${lse:+,\"lse\":$lse,\"features\":\"$feat\"}" \
	"$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)" \
	"$(cat /proc/sys/kernel/pid_max)" \
	"$([ -n "$quick" ] && echo true || echo false)" \
	"$(cat /sys/module/robustfutex/version 2>/dev/null)"

rc=0
run() {
	"$@" || { echo "# guest: FAILED ($?): $*" >&2; rc=1; }
}

# Wait, up to 5 minutes, for the kernel's crypto self-tests to end: the
# cryptomgr_test threads keep a vCPU busy for seconds to minutes after
# boot under TCG (6.12, 7.3.4), and with one vCPU (--icount) took a
# 0.7 ms slice in most kills of either implementation.  (Not the count
# of runnable tasks in /proc/loadavg: on 6.12 it stayed above 1 with
# nothing running but the reader and passing kworkers.)
quiet() {
	w=0
	while grep -qs '^cryptomgr_test$' /proc/[0-9]*/comm; do
		if [ $w -ge 300 ]; then
			echo "# guest: the crypto self-tests still run after ${w} s; measuring anyway" >&2
			return
		fi
		sleep 1
		w=$((w + 1))
	done
	[ $w -eq 0 ] || echo "# guest: waited ${w} s for the crypto self-tests to end" >&2
}

if [ $clock = icount ]; then
	quiet
	# 7 kills per count (5 quick), 9 reaps: each one's fewest is the
	# figure (report_exitcost.py).
	step "exit cost vs locks held, by instruction count"
	run $b/rfbench $quick --runs "$([ -n "$quick" ] && echo 5 || echo 7)" \
		--clock icount exitcost
	step "reap: 128 threads, one lock each, by instruction count"
	run $b/rfbench $quick --runs 9 --clock icount reap
	exit $rc
fi

step "compare: mainline vs rf, owner-death scenarios"
run $b/compare
# Bug 14485 in an unmodified pthread program (tests/preload/p_unlock_race.c): the
# same binary with glibc's robust mutex, then with the preload's.  It says
# "# glibc|preload: N bytes of reused memory changed by the exit (word X ->
# Y)" and checks what it was told to expect (its exit status: "check").
step "compare: bug 14485 in an unmodified pthread binary, without and with the preload"
unlock_race_binary() {
	impl=$1 expect=$2
	shift 2
	if [ "$impl" = rf ] && [ ! -e $pre ]; then
		echo "# guest: $nopre: no preload half" >&2
		printf '{"scenario":"unlock_race_binary","impl":"rf","variant":"p_unlock_race","na":"%s"}\n' "$nopre"
		return
	fi
	out=$("$@" $ptest $expect 2>&1)
	st=$?
	echo "$out" | sed 's/^/#   /' >&2
	set -- $(echo "$out" | sed -n \
		's/^# [a-z]*: \([0-9]*\) bytes of reused memory changed by the exit (word \([^ ]*\) -> \([^)]*\)).*/\1 \2 \3/p')
	if [ $# -ne 3 ]; then
		echo "# guest: FAILED: p_unlock_race ($impl) printed no result" >&2
		rc=1
		return
	fi
	printf '{"scenario":"unlock_race_binary","impl":"%s","variant":"p_unlock_race","binary":"%s","preload":"%s","region_bytes":256,"bytes_changed":%s,"word_before":"%s","word_after":"%s","check":"%s"}\n' \
		"$impl" "$ptest" "$([ "$impl" = rf ] && echo "$pre")" "$1" "$2" "$3" \
		"$([ $st -eq 0 ] && echo ok || echo "failed ($st)")"
	# Without the preload, what glibc does is the finding, not a failure.
	[ $st -eq 0 ] || [ "$impl" = mainline ] ||
		{ echo "# guest: FAILED: p_unlock_race with the preload" >&2; rc=1; }
}
unlock_race_binary mainline changed
unlock_race_binary rf unchanged env LD_PRELOAD=$pre
step "compare: i386 guests under stock vs patched QEMU linux-user"
if [ -e /rf/qemu/qemu-test.sh ]; then
	run sh /rf/qemu/qemu-test.sh demo
else
	echo "# guest: no QEMU linux-user in /rf/qemu (make qemu, or make qemu-arm64): no QEMU row" >&2
fi
quiet
step "uncontended lock+unlock"
run $b/rfbench $quick uncontended
step "contended, threads"
run $b/rfbench $quick contended
step "pshared, processes"
run $b/rfbench $quick pshared
# The same benches, glibc's robust mutex under the preload: the preload's
# intent-protocol mutex behind pthread_mutex_* (rfbench checks its mark).
preload_bench() {
	if [ -e $pre ]; then
		run env LD_PRELOAD=$pre $b/rfbench $quick --only glibc-robust --as preload "$1"
	else
		echo "# guest: $nopre: skipped" >&2
	fi
}
step "uncontended lock+unlock, robust pthread mutex under the preload"
preload_bench uncontended
step "contended, threads, under the preload"
preload_bench contended
step "pshared, processes, under the preload"
preload_bench pshared
step "recovery latency"
run $b/rfbench $quick --clock $clock recovery
step "exit cost vs locks held"
# 21 kills per count, not 7: glibc's whole range (1 to 2048 locks) moves
# its exit by about 0.5 ms under TCG, little more than one kill's noise,
# and the report compares the two fits' slopes (a few seconds more).
run $b/rfbench $quick --runs 21 --clock $clock exitcost
step "reap: 128 threads, one lock each"
# 21 kills each, not the default 7: a round's ratio moves by 0.1 and more
# under TCG, and the goal is 1.10 (about 1 s more per clock).
run $b/rfbench $quick --runs 21 --clock $clock reap
step "crowd: N threads asleep on one lock, handed round one by one"
run $b/rfbench $quick --clock $clock crowd
# 2,000 idle processes: pid_max and threads-max must leave room.
[ "$(cat /proc/sys/kernel/pid_max)" -ge 8192 ] || echo 32768 >/proc/sys/kernel/pid_max
step "fork+exit of a registered process, 0 vs 2000 idle processes"
run $b/rfbench $quick --clock $clock --idle 2000 forkreg

# What the module counted (rmmod below resets the counters): the files
# that hold one number ("users" is a table, and empty while nobody uses
# the module: it would make the line invalid JSON).
printf '{"bench":"counters"'
for c in /sys/kernel/robustfutex/*; do
	v=$(cat "$c")
	case $v in
	''|*[!0-9-]*)	continue ;;
	esac
	printf ',"%s":%s' "$(basename "$c")" "$v"
done
printf '}\n'

# Not counted: the first forks after boot or after other benchmarks run
# measurably slower, even by instruction count.
step "exit rate warm-up"
$b/rfbench $quick --pin --runs 2 exitrate >/dev/null 2>&1

r=0
while [ $r -lt $rounds ]; do
	r=$((r + 1))
	step "exit rate, module loaded (round $r/$rounds)"
	run $b/rfbench $quick --pin --runs $runs --clock $clock exitrate
	step "exit rate, module unloaded (round $r/$rounds)"
	if unload; then
		run $b/rfbench $quick --pin --runs $runs --clock $clock exitrate
		rfctl load >/dev/null ||
			{ echo "# guest: rfctl load failed" >&2; rc=1; }
	else
		echo "# guest: rmmod failed, no unloaded measurement" >&2
		rc=1
	fi
done
exit $rc
