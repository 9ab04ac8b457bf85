#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside the VM: where the exit walk's time goes, per function.
#
#   tests/bench/run builds /rf/bench/rfbench; then
#   tests/vm/vm-run --kernel 6.12 -- sh /rf/bench/walk-profile.sh \
#	[FUNC[,FUNC...] [DEPTH [LOCKS [BENCH]]]]
#
# function_graph under each FUNC (default rf_word_death: one held lock's
# death) to DEPTH levels, while rfbench's exitcost kills children holding
# up to LOCKS locks, or (BENCH "reap") while rfbench reaps processes of
# 128 threads each holding a lock; prints calls, total and mean
# microseconds per function.  Tracing adds about a microsecond per traced
# call under TCG: compare runs, not absolute figures.  Durations are wall
# time: with many threads exiting on two CPUs they include the wait for
# a CPU and for locks.  The tracer is set up once: text patching across
# CPUs under TCG has crashed guests when it was switched on and off
# repeatedly.
T=/sys/kernel/tracing
f=${1:-rf_word_death} depth=${2:-2} locks=${3:-1000} bench=${4:-exitcost}
mount -t tracefs nodev $T 2>/dev/null
echo 0 > $T/tracing_on
echo 16384 > $T/buffer_size_kb
echo function_graph > $T/current_tracer
echo "$f" | tr ',' '\n' > $T/set_graph_function || exit 1
echo "$depth" > $T/max_graph_depth
echo funcgraph-tail > $T/trace_options
echo nofuncgraph-irqs > $T/trace_options
sleep 1
echo > $T/trace
echo 1 > $T/tracing_on
case $bench in
reap)	/rf/bench/rfbench --runs 3 reap >/dev/null 2>&1 ;;
*)	/rf/bench/rfbench --runs 3 --iters "$locks" exitcost >/dev/null 2>&1 ;;
esac
echo 0 > $T/tracing_on
echo "# lost events: $(grep -h overrun $T/per_cpu/cpu*/stats | awk '{ s += $2 } END { print s }')"
awk -F'|' '
{
	if (NF < 2 || $1 !~ /us/)
		next
	dur = $1; body = $2
	sub(/ *us.*/, "", dur); sub(/.*[ +!#*@$]/, "", dur)
	name = ""
	if (body ~ /\/\* .* \*\//) {
		name = body; sub(/.*\/\* /, "", name); sub(/ \*\/.*/, "", name)
	} else if (body ~ /\(\);/) {
		name = body; sub(/^ */, "", name); sub(/\(\);.*/, "", name)
	}
	if (name == "")
		next
	s[name] += dur; c[name]++
}
END {
	for (k in s)
		printf "%-40s %8d calls %11.1f us %8.2f us/call\n", k, c[k], s[k], s[k] / c[k]
}' $T/trace | sort -k5 -n -r
echo 0 > $T/max_graph_depth
echo nop > $T/current_tracer
