// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench: robustfutex (rf_mutex through the module) against mainline
 * (glibc's robust pthread mutex: set_robust_list + futex) on the same
 * running kernel, with glibc's normal mutex as the floor, and against
 * mainline 7.2's release (ml72.c: FUTEX_ROBUST_UNLOCK and the vDSO's
 * try-unlock; "n/a" on a kernel without them) in the uncontended,
 * contended, pshared, recovery and crowd benches.
 *
 *   rfbench [--quick] [--runs N] [--iters N] [--pin] [--clock C] SUBCOMMAND
 *
 *   uncontended [--native]  ns per lock+unlock pair: alone in the process,
 *                           then with a second (idle) thread alive; bare
 *                           atomics (CAS+xchg, CAS+fetch_or+xchg) as floors
 *   contended               ops/s, 1 2 4 8 threads, one process
 *   pshared                 ops/s, 2 and 4 processes, memfd mapping
 *   recovery                kill -> waiter owns the lock (EOWNERDEAD)
 *   exitrate                fork+exit+waitpid per second, never registered
 *                           (--pin: on one CPU)
 *   reap                    kill -> waitpid of a 128-thread process whose
 *                           every thread holds one lock
 *   crowd                   N (100, 300, 1000) threads asleep in lock on
 *                           one mutex the main thread holds: its unlock
 *                           -> the last join, each thread locking,
 *                           counting and unlocking in turn (--quick:
 *                           100 and 1000)
 *   forkreg [--idle N]      fork+exit+waitpid of a process that registers
 *                           (locks once), with 0 and N (2000) idle
 *                           processes on the machine
 *
 * --clock NAME is recorded with recovery, exitcost, exitrate and crowd
 * results: "icount" when QEMU's clock counts instructions, default "wall".
 *   exitcost                kill -> waitpid of a process holding N locks
 *   pairs --impl NAME       one timed-less loop of pairs, for callgrind
 *
 * --only NAME [--as LABEL] runs uncontended, contended, pshared (and
 * recovery) with one implementation (and no floors), its results
 * labelled LABEL (without rf, the module need not be loaded): with
 * LD_PRELOAD=librobustfutex-pthread.so, "--only glibc-robust --as preload"
 * times the preload's mutex behind glibc's API.  A glibc-robust mutex that
 * init made the preload's (RFK_MARK in __kind) must be labelled "preload",
 * and one labelled "preload" must be the preload's: no run is mislabelled.
 *
 * Every result is one JSON object on one line of stdout; progress goes
 * to stderr.  Iteration counts are fixed (scaled down by --quick or set
 * by --iters), each measurement is repeated (--runs, default 7) after a
 * warm-up, and the runs are interleaved across implementations so that
 * drift on a noisy machine hits them alike.  After each timed kill of
 * exitcost and reap, and each of forkreg's blocks of forks, the bench
 * waits until what it left for later is done (settle_kill()), so that
 * one implementation's leftovers never land in the other's measurement.
 * Nothing here judges: the numbers go to report.py.
 *
 * Built with -DRFBENCH_NATIVE (tests/bench/run does it for the host, which
 * cannot load the module), lib/rf_mutex.c is compiled into this program
 * unchanged and the raw layer in rfbench_native.c replaces lib/rf_raw.c:
 * registering the thread's list is skipped, and waiting or waking aborts.
 * Only the uncontended fast path (which makes no system call) can run
 * that way; its results say "host native, list registration skipped".
 *
 * The files: this one (options, dispatch), rfbench.h (what they share),
 * rfbench_mutex.c (the four mutexes behind one interface), one file per
 * bench family (rfbench_uncontended.c, rfbench_throughput.c: contended and
 * pshared, rfbench_recovery.c: recovery and reap, rfbench_exit.c:
 * exitrate, exitcost and forkreg, rfbench_crowd.c), rfbench_native.c (the
 * raw layer's stand-in), stats.c and json.c (shared with compare).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../kselftest/rf_test.h"

#include "rfbench.h"

const char *const impl_names[NR_IMPLS] = {
	[IMPL_RF]		= "rf",
	[IMPL_GLIBC_ROBUST]	= "glibc-robust",
	[IMPL_GLIBC_NORMAL]	= "glibc-normal",
	[IMPL_ML72]		= "ml72",
};

struct rfbench_opt opt = { .runs = 7, .impl = -1, .clock = "wall", .only = -1 };

void progress(const char *fmt, ...)
{
	va_list ap;

	fputs("# rfbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void die(const char *what, int err)
{
	fprintf(stderr, "rfbench: %s: %s\n", what, strerror(err));
	exit(1);
}

long iters_or(long def, long quick_def)
{
	if (opt.iters)
		return opt.iters;
	return opt.quick ? quick_def : def;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rfbench [--quick] [--runs N] [--iters N] [--native] [--pin]\n"
		"               [--clock wall|icount]\n"
		"               [--impl rf|glibc-robust|glibc-normal|ml72]\n"
		"               [--only rf|glibc-robust|glibc-normal|ml72 [--as LABEL]]\n"
		"               [--idle N]\n"
		"               uncontended|contended|pshared|recovery|exitrate|exitcost|\n"
		"               reap|crowd|forkreg|pairs\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
		bool module;	/* needs /dev/robustfutex */
	} cmds[] = {
		{ "uncontended", bench_uncontended, false },
		{ "pairs", bench_pairs, false },
		{ "contended", bench_contended, true },
		{ "pshared", bench_pshared, true },
		{ "recovery", bench_recovery, true },
		{ "exitrate", bench_exitrate, false },
		{ "exitcost", bench_exitcost, true },
		{ "reap", bench_reap, true },
		{ "crowd", bench_crowd, true },
		{ "forkreg", bench_forkreg, true },
	};
	const char *cmd = NULL;
	unsigned int c;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			opt.quick = true;
		} else if (!strcmp(argv[i], "--native")) {
			opt.native = true;
		} else if (!strcmp(argv[i], "--pin")) {
			opt.pin = true;
		} else if (!strcmp(argv[i], "--clock") && i + 1 < argc) {
			opt.clock = argv[++i];
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			opt.runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--idle") && i + 1 < argc) {
			opt.idle = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
			opt.iters = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--impl") && i + 1 < argc) {
			i++;
			for (opt.impl = NR_IMPLS - 1; opt.impl >= 0; opt.impl--)
				if (!strcmp(argv[i], impl_names[opt.impl]))
					break;
			if (opt.impl < 0)
				usage();
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			i++;
			for (opt.only = NR_IMPLS - 1; opt.only >= 0; opt.only--)
				if (!strcmp(argv[i], impl_names[opt.only]))
					break;
			if (opt.only < 0)
				usage();
		} else if (!strcmp(argv[i], "--as") && i + 1 < argc) {
			opt.as = argv[++i];
		} else if (argv[i][0] != '-' && !cmd) {
			cmd = argv[i];
		} else {
			usage();
		}
	}
	if (!cmd || opt.runs < 1 || opt.runs > MAX_RUNS || opt.iters < 0 ||
	    (opt.as && opt.only < 0))
		usage();
	/* One implementation alone: the benches that time them side by side. */
	if (opt.only >= 0 && strcmp(cmd, "uncontended") &&
	    strcmp(cmd, "contended") && strcmp(cmd, "pshared") &&
	    strcmp(cmd, "recovery"))
		usage();
	for (c = 0; c < sizeof(cmds) / sizeof(*cmds); c++) {
		if (strcmp(cmd, cmds[c].name))
			continue;
#ifdef RFBENCH_NATIVE
		if (cmds[c].module)
			die(cmd, ENODEV);
#else
		if (cmds[c].module && selected(IMPL_RF) &&
		    access(RF_DEVICE_PATH, F_OK))
			die(RF_DEVICE_PATH " (load the module)", ENODEV);
#endif
		cmds[c].fn();
		return 0;
	}
	usage();
	return 2;
}
