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
 * drift on a noisy machine hits them alike.  Nothing here judges: the
 * numbers go to report.py.
 *
 * Built with -DRFBENCH_NATIVE (tests/bench/run does it for the host, which
 * cannot load the module), lib/rf_mutex.c is compiled into this program
 * unchanged and the raw layer below replaces lib/rf_raw.c: registering the
 * thread's list is skipped, and waiting or waking aborts.  Only the
 * uncontended fast path (which makes no system call) can run that way;
 * its results say "host native, list registration skipped".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "../kselftest/rf_test.h"
#include <robustfutex.h>

#include "rf_internal.h"
#include "ml72.h"

#define MAX_RUNS	64
#define MAX_THREADS	8

enum impl { IMPL_RF, IMPL_GLIBC_ROBUST, IMPL_GLIBC_NORMAL, IMPL_ML72,
	    NR_IMPLS };

static const char *const impl_names[NR_IMPLS] = {
	[IMPL_RF]		= "rf",
	[IMPL_GLIBC_ROBUST]	= "glibc-robust",
	[IMPL_GLIBC_NORMAL]	= "glibc-normal",
	[IMPL_ML72]		= "ml72",
};

static struct {
	bool quick;
	bool native;
	bool pin;		/* exitrate: stay on one CPU */
	const char *clock;	/* what the guest clock counts, for the record */
	int runs;
	long iters;		/* 0: the subcommand's default */
	int impl;		/* pairs: which one */
	int idle;		/* forkreg: idle processes (default 2000) */
	int only;		/* --only: the one implementation, or -1 */
	const char *as;		/* --as: its label in the results */
} opt = { .runs = 7, .impl = -1, .clock = "wall", .only = -1 };

/* Whether implementation (or floor) @i runs: all of them, or --only's. */
static bool selected(int i)
{
	return opt.only < 0 || i == opt.only;
}

/* ---- time, statistics, output ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The value below which @q (0..1) of the sorted @v lie (nearest rank). */
static double quantile(const double *sorted, int n, double q)
{
	int i = (int)(q * n + 0.999999) - 1;

	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return sorted[i];
}

static void progress(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void progress(const char *fmt, ...)
{
	va_list ap;

	fputs("# rfbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "rfbench: %s: %s\n", what, strerror(err));
	exit(1);
}

/*
 * One JSON object per line.  j_begin() opens it with "bench", the j_*()
 * calls add members, j_end() closes and flushes it (before any fork, so
 * that no child inherits buffered output).
 */
static void j_begin(const char *bench)
{
	printf("{\"bench\":\"%s\"", bench);
}

static void j_str(const char *k, const char *v)
{
	printf(",\"%s\":\"%s\"", k, v);
}

static void j_int(const char *k, long long v)
{
	printf(",\"%s\":%lld", k, v);
}

/* "k":{"median":..,"min":..,"max":..,"runs":[..]} in run order. */
static void j_runs(const char *k, const double *v, int n)
{
	double s[MAX_RUNS];
	int i;

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	printf(",\"%s\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"runs\":[",
	       k, quantile(s, n, 0.5), s[0], s[n - 1]);
	for (i = 0; i < n; i++)
		printf("%s%.6g", i ? "," : "", v[i]);
	printf("]}");
}

static void j_end(void)
{
	printf("}\n");
	fflush(stdout);
}

static long iters_or(long def, long quick_def)
{
	if (opt.iters)
		return opt.iters;
	return opt.quick ? quick_def : def;
}

/* ---- the four mutexes behind one interface ---- */

struct bm {
	union {
		rf_mutex_t rf;
		pthread_mutex_t pt;
		ml72_mutex_t ml72;
	};
	enum impl impl;
};

/* Why @i cannot run here: ml72 on a kernel without 7.2's release. */
static const char *na_reason(enum impl i)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "n/a: %s", i == IMPL_ML72 && ml72_why_not() ?
		 ml72_why_not() : "module required");
	return buf;
}

/*
 * Initialise a bare mutex of kind @impl at @m (robust: rf, glibc-robust,
 * ml72; ml72's futex operations are always shared-keyed).
 */
static int mutex_init(void *m, enum impl impl, bool pshared)
{
	if (impl == IMPL_ML72)
		return ml72_init(m);
	if (impl == IMPL_RF) {
		rf_mutexattr_t a;
		int r;

		rf_mutexattr_init(&a);
		rf_mutexattr_setpshared(&a, pshared ? RF_PROCESS_SHARED :
						      RF_PROCESS_PRIVATE);
		rf_mutexattr_setrobust(&a, RF_MUTEX_ROBUST);
		r = rf_mutex_init(m, &a);
		rf_mutexattr_destroy(&a);
		return r;
	} else {
		pthread_mutexattr_t a;
		int r;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, pshared ?
					     PTHREAD_PROCESS_SHARED :
					     PTHREAD_PROCESS_PRIVATE);
		if (impl == IMPL_GLIBC_ROBUST)
			pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		r = pthread_mutex_init(m, &a);
		pthread_mutexattr_destroy(&a);
		return r;
	}
}

static inline int mutex_lock(void *m, enum impl impl)
{
	switch (impl) {
	case IMPL_RF:	return rf_mutex_lock(m);
	case IMPL_ML72:	return ml72_lock(m);
	default:	return pthread_mutex_lock(m);
	}
}

/*
 * Under LD_PRELOAD=librobustfutex-pthread.so, pthread_mutex_init with a
 * robust attribute makes the preload's mutex (its mark in glibc's __kind):
 * then its results are the preload's, and must say so.
 */
static bool preload_made(struct bm *b)
{
	return (b->impl == IMPL_GLIBC_ROBUST || b->impl == IMPL_GLIBC_NORMAL) &&
	       rfk_marked((uint32_t)b->pt.__data.__kind);
}

static void check_label(struct bm *b)
{
	bool as_preload = opt.as && !strcmp(opt.as, "preload");

	if (b->impl == IMPL_RF || b->impl != opt.only)
		as_preload = false;
	if (preload_made(b) && !as_preload)
		die("a pthread mutex is the preload's (LD_PRELOAD): "
		    "run with --only glibc-robust --as preload", EINVAL);
	if (as_preload && !preload_made(b))
		die("--as preload, but pthread_mutex_init made glibc's mutex "
		    "(no LD_PRELOAD=librobustfutex-pthread.so?)", EINVAL);
}

static int bm_init(struct bm *b, enum impl impl, bool pshared)
{
	int err;

	b->impl = impl;
	err = mutex_init(b, impl, pshared);
	if (!err)
		check_label(b);
	return err;
}

static inline int bm_lock(struct bm *b)
{
	switch (b->impl) {
	case IMPL_RF:	return rf_mutex_lock(&b->rf);
	case IMPL_ML72:	return ml72_lock(&b->ml72);
	default:	return pthread_mutex_lock(&b->pt);
	}
}

static inline int bm_unlock(struct bm *b)
{
	switch (b->impl) {
	case IMPL_RF:	return rf_mutex_unlock(&b->rf);
	case IMPL_ML72:	return ml72_unlock(&b->ml72);
	default:	return pthread_mutex_unlock(&b->pt);
	}
}

static inline int bm_consistent(struct bm *b)
{
	switch (b->impl) {
	case IMPL_RF:	return rf_mutex_consistent(&b->rf);
	case IMPL_ML72:	return ml72_consistent(&b->ml72);
	default:	return pthread_mutex_consistent(&b->pt);
	}
}

/* The futex word: the first 4 bytes of either kind of mutex. */
static inline uint32_t word_of(void *m)
{
	return __atomic_load_n((uint32_t *)m, __ATOMIC_RELAXED);
}

static bool module_loaded(void)
{
	return access("/sys/module/robustfutex", F_OK) == 0;
}

static void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap", errno);
	return p;
}

/* ---- uncontended ---- */

/* Separate, not inlined: callgrind counts them by name (--toggle-collect). */
static __attribute__((noinline)) int pairs_rf(rf_mutex_t *m, long n)
{
	int err = 0;

	for (long i = 0; i < n; i++) {
		err |= rf_mutex_lock(m);
		err |= rf_mutex_unlock(m);
	}
	return err;
}

static __attribute__((noinline)) int pairs_pthread(pthread_mutex_t *m, long n)
{
	int err = 0;

	for (long i = 0; i < n; i++) {
		err |= pthread_mutex_lock(m);
		err |= pthread_mutex_unlock(m);
	}
	return err;
}

static __attribute__((noinline)) int pairs_ml72(ml72_mutex_t *m, long n)
{
	int err = 0;

	for (long i = 0; i < n; i++) {
		err |= ml72_lock(m);
		err |= ml72_unlock(m);
	}
	return err;
}

static int pairs(struct bm *b, long n)
{
	switch (b->impl) {
	case IMPL_RF:	return pairs_rf(&b->rf, n);
	case IMPL_ML72:	return pairs_ml72(&b->ml72, n);
	default:	return pairs_pthread(&b->pt, n);
	}
}

/*
 * The floors: the bare atomics of a lock+unlock pair, nothing else.
 * CAS+xchg is what glibc's robust mutex cannot do with fewer; rf's intent
 * protocol adds a fetch_or between them (the RF_RELEASING mark).  Same
 * orders as lib/rf_mutex.c.  The word is left 0: each pair succeeds.
 */
#define FLOOR_R		0x20000000u

static __attribute__((noinline)) int pairs_cas_xchg(uint32_t *w, long n)
{
	int err = 0;

	for (long i = 0; i < n; i++) {
		uint32_t old = 0;

		err |= !__atomic_compare_exchange_n(w, &old, 1, false,
						    __ATOMIC_SEQ_CST,
						    __ATOMIC_RELAXED);
		err |= __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST) != 1;
	}
	return err;
}

static __attribute__((noinline)) int pairs_cas_or_xchg(uint32_t *w, long n)
{
	int err = 0;

	for (long i = 0; i < n; i++) {
		uint32_t old = 0;

		err |= !__atomic_compare_exchange_n(w, &old, 1, false,
						    __ATOMIC_SEQ_CST,
						    __ATOMIC_RELAXED);
		__atomic_fetch_or(w, FLOOR_R, __ATOMIC_SEQ_CST);
		err |= __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST) !=
		       (1 | FLOOR_R);
	}
	return err;
}

/* What the uncontended bench times: the three mutexes and two floors. */
enum { FLOOR_CAS_XCHG = NR_IMPLS, FLOOR_CAS_OR_XCHG, NR_UNC };

static const char *const unc_names[NR_UNC] = {
	[IMPL_RF]		= "rf",
	[IMPL_GLIBC_ROBUST]	= "glibc-robust",
	[IMPL_GLIBC_NORMAL]	= "glibc-normal",
	[IMPL_ML72]		= "ml72",
	[FLOOR_CAS_XCHG]	= "atomics-cas-xchg",
	[FLOOR_CAS_OR_XCHG]	= "atomics-cas-or-xchg",
};

/* The label of @i in the results: its name, or --as for --only's. */
static const char *unc_name(int i)
{
	return opt.as && i == opt.only ? opt.as : unc_names[i];
}

static const char *impl_name(enum impl i)
{
	return unc_name(i);
}

static const char *env_name(void)
{
#ifdef RFBENCH_NATIVE
	return "host-native";
#else
	return opt.native ? "host-native" : "vm";
#endif
}

static int bm_init_bench(struct bm *b, enum impl impl)
{
#ifdef RFBENCH_NATIVE
	/* No device to check: an all-zero rf_mutex_t is a valid default. */
	if (impl == IMPL_RF) {
		memset(b, 0, sizeof(*b));
		b->impl = impl;
		return 0;
	}
#endif
	return bm_init(b, impl, false);
}

static int unc_pairs(struct bm *b, int i, long n)
{
	if (i == FLOOR_CAS_XCHG)
		return pairs_cas_xchg((uint32_t *)b, n);
	if (i == FLOOR_CAS_OR_XCHG)
		return pairs_cas_or_xchg((uint32_t *)b, n);
	return pairs(b, n);
}

/* The second thread: alive, asleep, never touching the mutexes. */
static void *idle_thread(void *p)
{
	char c;

	return read(*(int *)p, &c, 1) < 0 ? p : NULL;
}

/*
 * One variant: @threads 1 (the process has never had a second thread:
 * glibc 2.34+ then skips atomics in its normal mutex) or 2 (an idle
 * second thread exists).
 */
static void uncontended_variant(struct bm *m, bool *ok, long n, int threads)
{
	double ns[NR_UNC][MAX_RUNS];
	int i, r;

	progress("uncontended, %d thread%s: %d runs of %ld pairs", threads,
		 threads > 1 ? "s (one idle)" : "", opt.runs, n);
	for (i = 0; i < NR_UNC; i++)	/* warm-up */
		if (ok[i])
			unc_pairs(&m[i], i, n / 10 + 1);
	for (r = 0; r < opt.runs; r++) {
		for (i = 0; i < NR_UNC; i++) {
			uint64_t t0;

			if (!ok[i])
				continue;
			t0 = now_ns();
			if (unc_pairs(&m[i], i, n))
				die("uncontended lock/unlock", EINVAL);
			ns[i][r] = (double)(now_ns() - t0) / n;
		}
	}
	for (i = 0; i < NR_UNC; i++) {
		if (!selected(i))
			continue;
		j_begin("uncontended");
		j_str("impl", unc_name(i));
		j_str("env", env_name());
		j_int("threads", threads);
#ifdef RFBENCH_NATIVE
		if (i == IMPL_RF)
			j_str("note", "host native, list registration skipped");
#endif
		if (!ok[i]) {
			j_str("note", i == IMPL_ML72 ? na_reason(i) :
				      opt.native ?
				      "n/a natively (module required)" :
				      "n/a (module required)");
		} else {
			j_int("pairs", n);
			j_runs("ns_per_pair", ns[i], opt.runs);
		}
		j_end();
	}
}

static void bench_uncontended(void)
{
	long n = iters_or(5000000, 500000);
	static struct bm m[NR_UNC] __attribute__((aligned(64)));
	bool ok[NR_UNC];
	pthread_t th;
	int pfd[2], i;

	for (i = 0; i < NR_UNC; i++) {
		int err = 0;

		if (!selected(i)) {
			ok[i] = false;
			continue;
		}
		if (i >= NR_IMPLS) {
			memset(&m[i], 0, sizeof(m[i]));
			ok[i] = true;
			continue;
		}
		err = bm_init_bench(&m[i], i);
		/* Registration happens on the first lock. */
		ok[i] = !err && !pairs(&m[i], 1);
		if (!ok[i])
			progress("uncontended %s: %s", unc_name(i),
				 i == IMPL_ML72 ? na_reason(i) :
				 strerror(err ?: ENODEV));
	}
	/* Single-threaded first: a process never becomes so again. */
	uncontended_variant(m, ok, n, 1);
	if (pipe(pfd) || pthread_create(&th, NULL, idle_thread, &pfd[0]))
		die("uncontended: idle thread", errno ?: EAGAIN);
	uncontended_variant(m, ok, n, 2);
	close(pfd[1]);
	pthread_join(th, NULL);
	close(pfd[0]);
}

/* One loop for callgrind: rfbench pairs --impl NAME --iters N */
static void bench_pairs(void)
{
	static struct bm m __attribute__((aligned(64)));
	long n = iters_or(100000, 100000);

	if (opt.impl < 0)
		die("pairs needs --impl", EINVAL);
	if (bm_init_bench(&m, opt.impl))
		die("pairs: init", ENODEV);
	if (pairs(&m, n))
		die("pairs: lock/unlock", EINVAL);
}

/* ---- contended: threads of one process ---- */

/*
 * The critical section: a few writes to data on another cache line than
 * the mutex.  Outside it, a little private work, so that the threads do
 * not only hammer the lock.
 */
#define CS_WRITES	4
#define OUTSIDE_WORK	64

struct shared_data {
	struct bm m __attribute__((aligned(64)));
	uint64_t data[CS_WRITES] __attribute__((aligned(64)));
	int ready __attribute__((aligned(64)));
	int go;
	int errors;
};

static inline void outside_work(unsigned int *seed)
{
	unsigned int x = *seed;

	for (int i = 0; i < OUTSIDE_WORK; i++)
		x = x * 1103515245u + 12345u;
	*(volatile unsigned int *)seed = x;
}

static void worker_loop(struct shared_data *s, long n)
{
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	int err = 0;

	for (long i = 0; i < n; i++) {
		int r = bm_lock(&s->m);

		if (r)
			err++;
		for (int k = 0; k < CS_WRITES; k++)
			s->data[k]++;
		if (bm_unlock(&s->m))
			err++;
		outside_work(&seed);
	}
	if (err)
		__atomic_fetch_add(&s->errors, err, __ATOMIC_RELAXED);
}

/* Everyone checks in, then waits for the starting gun. */
static void start_line(struct shared_data *s)
{
	__atomic_fetch_add(&s->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

struct thread_arg {
	struct shared_data *s;
	long n;
};

static void *contended_thread(void *p)
{
	struct thread_arg *a = p;

	/* The first lock registers the thread's list: not timed. */
	if (bm_lock(&a->s->m) || bm_unlock(&a->s->m))
		__atomic_fetch_add(&a->s->errors, 1, __ATOMIC_RELAXED);
	start_line(a->s);
	worker_loop(a->s, a->n);
	return NULL;
}

/* One timed run: @nthreads threads share @total operations. */
static double contended_run(struct shared_data *s, int nthreads, long total)
{
	pthread_t th[MAX_THREADS];
	struct thread_arg a = { s, total / nthreads };
	uint64_t t0;
	int i;

	s->ready = s->go = 0;
	memset(s->data, 0, sizeof(s->data));
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, contended_thread, &a))
			die("pthread_create", EAGAIN);
	while (__atomic_load_n(&s->ready, __ATOMIC_SEQ_CST) < nthreads)
		sched_yield();
	t0 = now_ns();
	__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (s->data[0] != (uint64_t)a.n * nthreads)
		__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	return (double)a.n * nthreads * 1e9 / (now_ns() - t0);
}

static void emit_throughput(const char *bench, enum impl i, const char *unit,
			    int n, long ops, const double *runs, int errors)
{
	j_begin(bench);
	j_str("impl", impl_name(i));
	j_int(unit, n);
	j_int("ops", ops);
	j_int("cs_writes", CS_WRITES);
	j_int("outside_work", OUTSIDE_WORK);
	j_runs("ops_per_s", runs, opt.runs);
	j_str("exclusion", errors ? "VIOLATED" : "ok");
	j_end();
}

/* A bench @i cannot run here (ml72 without 7.2's release): say so. */
static void emit_na(const char *bench, enum impl i, const char *unit, int n)
{
	j_begin(bench);
	j_str("impl", impl_name(i));
	if (unit)
		j_int(unit, n);
	j_str("note", na_reason(i));
	j_end();
}

/*
 * Which implementations a throughput bench runs: the selected ones that
 * can (ml72 may not; the others must).
 */
static void runnable(bool *ok, int (*init)(enum impl, void *), void *arg,
		     const char *what)
{
	for (int i = 0; i < NR_IMPLS; i++) {
		ok[i] = false;
		if (!selected(i))
			continue;
		if (init(i, arg)) {
			if (i == IMPL_ML72)
				continue;
			die(what, ENODEV);
		}
		ok[i] = true;
	}
}

static struct shared_data contended_s[NR_IMPLS];

static int contended_init(enum impl i, void *arg)
{
	return bm_init(&contended_s[i].m, i, false);
}

static void bench_contended(void)
{
	static const int nthreads[] = { 1, 2, 4, 8 };
	long total = iters_or(1000000, 100000);
	struct shared_data *s = contended_s;
	double ops[NR_IMPLS][MAX_RUNS];
	bool ok[NR_IMPLS];
	unsigned int t;
	int i, r;

	runnable(ok, contended_init, NULL, "contended: init");
	for (t = 0; t < sizeof(nthreads) / sizeof(*nthreads); t++) {
		progress("contended: %d threads, %d runs of %ld ops",
			 nthreads[t], opt.runs, total);
		for (i = 0; i < NR_IMPLS; i++) {	/* warm-up */
			if (!ok[i])
				continue;
			s[i].errors = 0;
			contended_run(&s[i], nthreads[t], total / 10);
		}
		for (r = 0; r < opt.runs; r++)
			for (i = 0; i < NR_IMPLS; i++)
				if (ok[i])
					ops[i][r] = contended_run(&s[i],
								  nthreads[t],
								  total);
		for (i = 0; i < NR_IMPLS; i++) {
			if (ok[i])
				emit_throughput("contended", i, "threads",
						nthreads[t], total, ops[i],
						s[i].errors);
			else if (selected(i))
				emit_na("contended", i, "threads", nthreads[t]);
		}
	}
}

/* ---- pshared: processes on a memfd mapping ---- */

static double pshared_run(int mfd, int nprocs, long total)
{
	struct shared_data *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				     MAP_SHARED, mfd, 0);
	pid_t pid[MAX_THREADS];
	long n = total / nprocs;
	uint64_t t0;
	int i, status;

	if (s == MAP_FAILED)
		die("mmap memfd", errno);
	s->ready = s->go = 0;
	memset(s->data, 0, sizeof(s->data));
	for (i = 0; i < nprocs; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			die("fork", errno);
		if (pid[i] == 0) {
			/* A mapping of its own, at an address of its own. */
			struct shared_data *c = mmap(NULL, sizeof(*c),
						     PROT_READ | PROT_WRITE,
						     MAP_SHARED, mfd, 0);

			if (c == MAP_FAILED)
				_exit(1);
			/* Registration (the first lock): not timed. */
			if (bm_lock(&c->m) || bm_unlock(&c->m))
				__atomic_fetch_add(&c->errors, 1,
						   __ATOMIC_RELAXED);
			start_line(c);
			worker_loop(c, n);
			_exit(0);
		}
	}
	while (__atomic_load_n(&s->ready, __ATOMIC_SEQ_CST) < nprocs)
		sched_yield();
	t0 = now_ns();
	__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nprocs; i++)
		if (waitpid(pid[i], &status, 0) < 0 || status)
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	t0 = now_ns() - t0;
	if (s->data[0] != (uint64_t)n * nprocs)
		__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	munmap(s, sizeof(*s));
	return (double)n * nprocs * 1e9 / t0;
}

/* A memfd holding a shared_data whose mutex is of kind @i, in *@arg[i]. */
static int pshared_init(enum impl i, void *arg)
{
	int *mfd = arg;
	struct shared_data *s;
	int err;

	mfd[i] = memfd_create("rfbench", MFD_CLOEXEC);
	if (mfd[i] < 0 || ftruncate(mfd[i], sizeof(*s)))
		die("memfd", errno);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED,
		 mfd[i], 0);
	if (s == MAP_FAILED)
		die("pshared: mmap", errno);
	err = bm_init(&s->m, i, true);
	munmap(s, sizeof(*s));
	return err;
}

static void bench_pshared(void)
{
	static const int nprocs[] = { 2, 4 };
	long total = iters_or(1000000, 100000);
	int mfd[NR_IMPLS], errors[NR_IMPLS];
	double ops[NR_IMPLS][MAX_RUNS];
	bool ok[NR_IMPLS];
	unsigned int p;
	int i, r;

	runnable(ok, pshared_init, mfd, "pshared: init");
	for (p = 0; p < sizeof(nprocs) / sizeof(*nprocs); p++) {
		progress("pshared: %d processes, %d runs of %ld ops",
			 nprocs[p], opt.runs, total);
		for (i = 0; i < NR_IMPLS; i++)
			if (ok[i])
				pshared_run(mfd[i], nprocs[p], total / 10);
		for (r = 0; r < opt.runs; r++)
			for (i = 0; i < NR_IMPLS; i++)
				if (ok[i])
					ops[i][r] = pshared_run(mfd[i],
								nprocs[p],
								total);
		for (i = 0; i < NR_IMPLS; i++) {
			struct shared_data *s;

			if (!ok[i]) {
				if (selected(i))
					emit_na("pshared", i, "processes",
						nprocs[p]);
				continue;
			}
			s = mmap(NULL, sizeof(*s), PROT_READ, MAP_SHARED,
				 mfd[i], 0);
			errors[i] = s == MAP_FAILED ? 1 : s->errors;
			emit_throughput("pshared", i, "processes", nprocs[p],
					total, ops[i], errors[i]);
		}
	}
}

/* ---- recovery: owner killed, waiter blocked in lock ---- */

struct waiter {
	struct bm *m;
	sem_t go, done;
	pid_t tid;
	int locking;		/* about to call, or in, lock */
	int ret;
	uint64_t t_ret;
	bool stop;
};

static void *waiter_thread(void *p)
{
	struct waiter *w = p;

	w->tid = gettid();
	for (;;) {
		sem_wait(&w->go);
		if (w->stop)
			return NULL;
		__atomic_store_n(&w->locking, 1, __ATOMIC_SEQ_CST);
		w->ret = bm_lock(w->m);
		w->t_ret = now_ns();
		__atomic_store_n(&w->locking, 0, __ATOMIC_SEQ_CST);
		if (w->ret == EOWNERDEAD)
			bm_consistent(w->m);
		if (!w->ret || w->ret == EOWNERDEAD)
			bm_unlock(w->m);
		sem_post(&w->done);
	}
}

/*
 * One kill: a child takes @m and waits to die; the waiter blocks in lock;
 * once it sleeps, SIGKILL.  Returns the latency in ns, or -1 (the waiter
 * did not get EOWNERDEAD).
 */
static double recovery_round(struct waiter *w)
{
	int pfd[2], status, spins = 0;
	uint64_t t0;
	pid_t pid;
	char c;

	if (pipe(pfd))
		die("pipe", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		c = bm_lock(w->m) ? 'e' : 'r';
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1 || c != 'r')
		die("recovery: child could not lock", EIO);
	close(pfd[0]);
	sem_post(&w->go);
	while (!__atomic_load_n(&w->locking, __ATOMIC_SEQ_CST) ||
	       !rf_thread_asleep(w->tid)) {
		if (++spins > 200000)
			die("recovery: waiter never slept", ETIMEDOUT);
		usleep(50);
	}
	t0 = now_ns();
	kill(pid, SIGKILL);
	sem_wait(&w->done);
	waitpid(pid, &status, 0);
	if (w->ret != EOWNERDEAD)
		return -1;
	return (double)(w->t_ret - t0);
}

static void emit_latency(const char *bench, enum impl i, double *us, int n,
			 int failed)
{
	double *s = malloc(n * sizeof(*s));
	int k;

	if (!s)
		die("malloc", ENOMEM);
	memcpy(s, us, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	j_begin(bench);
	j_str("impl", impl_names[i]);
	j_int("kills", n);
	j_int("not_eownerdead", failed);
	j_str("clock", opt.clock);
	printf(",\"latency_us\":{\"p50\":%.6g,\"p90\":%.6g,\"p99\":%.6g,"
	       "\"min\":%.6g,\"max\":%.6g,\"samples\":[",
	       quantile(s, n, 0.5), quantile(s, n, 0.9), quantile(s, n, 0.99),
	       s[0], s[n - 1]);
	for (k = 0; k < n; k++)
		printf("%s%.4g", k ? "," : "", us[k]);
	printf("]}");
	j_end();
	free(s);
}

static void bench_recovery(void)
{
	static const enum impl all[] = { IMPL_RF, IMPL_GLIBC_ROBUST, IMPL_ML72 };
	enum { MAX_NI = 3 };
	long kills = iters_or(300, 100);
	enum impl impls[MAX_NI];
	struct waiter w[MAX_NI];
	pthread_t th[MAX_NI];
	double *us[MAX_NI];
	int failed[MAX_NI] = { 0 }, i, k, ni = 0;

	for (unsigned int a = 0; a < sizeof(all) / sizeof(*all); a++) {
		struct bm *m;

		if (!selected(all[a]))
			continue;
		m = map_shared(sizeof(*m));
		if (bm_init(m, all[a], true)) {
			if (all[a] != IMPL_ML72)
				die("recovery: init", ENODEV);
			emit_na("recovery", all[a], NULL, 0);
			munmap(m, sizeof(*m));
			continue;
		}
		i = ni++;
		impls[i] = all[a];
		memset(&w[i], 0, sizeof(w[i]));
		w[i].m = m;
		sem_init(&w[i].go, 0, 0);
		sem_init(&w[i].done, 0, 0);
		us[i] = calloc(kills, sizeof(double));
		if (!us[i] || pthread_create(&th[i], NULL, waiter_thread, &w[i]))
			die("recovery: setup", ENOMEM);
	}
	progress("recovery: %ld kills each, alternating", kills);
	/* Warm-up: one round each, not counted. */
	for (i = 0; i < ni; i++)
		recovery_round(&w[i]);
	for (k = 0; k < kills; k++) {
		for (i = 0; i < ni; i++) {
			double ns = recovery_round(&w[i]);

			if (ns < 0)
				failed[i]++;
			us[i][k] = ns < 0 ? 0 : ns / 1000;
		}
	}
	for (i = 0; i < ni; i++) {
		w[i].stop = true;
		sem_post(&w[i].go);
		pthread_join(th[i], NULL);
		emit_latency("recovery", impls[i], us[i], kills, failed[i]);
		free(us[i]);
	}
}

/* ---- exitrate: processes that never register ---- */

static void bench_exitrate(void)
{
	long n = iters_or(1500, 400);
	double rate[MAX_RUNS];
	int r, status;

	int cpu = -1;

	if (opt.pin) {
		cpu_set_t set;

		/* Parent and children on one CPU: no cross-CPU wakeups. */
		cpu = sched_getcpu();
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity", errno);
	}
	progress("exitrate (module %s): %d runs of %ld forks",
		 module_loaded() ? "loaded" : "unloaded", opt.runs, n);
	for (long i = 0; i < n / 10; i++) {	/* warm-up */
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		waitpid(pid, &status, 0);
	}
	for (r = 0; r < opt.runs; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid < 0)
				die("fork", errno);
			if (pid == 0)
				_exit(0);
			waitpid(pid, &status, 0);
		}
		rate[r] = n * 1e9 / (now_ns() - t0);
	}
	j_begin("exitrate");
	j_str("module", module_loaded() ? "loaded" : "unloaded");
	j_int("forks", n);
	j_int("pinned_cpu", cpu);
	j_str("clock", opt.clock);
	j_runs("per_s", rate, opt.runs);
	j_end();
}

/* ---- exitcost: kill -> waitpid of a process holding N locks ---- */

static const char list_limit_path[] =
	"/sys/module/robustfutex/parameters/list_limit";

static long read_long(const char *path)
{
	char buf[32];
	long v = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		v = strtol(buf, NULL, 10);
	}
	close(fd);
	return v;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, ok;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld", v);
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok ? 0 : -EIO;
}

static size_t mutex_size(enum impl i)
{
	return i == IMPL_RF ? sizeof(rf_mutex_t) : sizeof(pthread_mutex_t);
}

/* Arrays of bare mutexes, @n of kind @i at @base. */
static void *mutex_at(void *base, enum impl i, long k)
{
	return (char *)base + k * mutex_size(i);
}

static void init_array(void *base, enum impl i, long n)
{
	for (long k = 0; k < n; k++)
		if (mutex_init(mutex_at(base, i, k), i, true))
			die("exitcost: init", ENODEV);
}

static int lock_array(void *base, enum impl i, long n)
{
	for (long k = 0; k < n; k++) {
		int r = mutex_lock(mutex_at(base, i, k), i);

		if (r)
			return r;
	}
	return 0;
}

static long count_owner_died(void *base, enum impl i, long n)
{
	long c = 0;

	for (long k = 0; k < n; k++)
		c += !!(word_of(mutex_at(base, i, k)) & RF_FUTEX_OWNER_DIED);
	return c;
}

static void bench_exitcost(void)
{
	static const long rf_n[] = { 1, 10, 100, 1000, 10000, 100000 };
	static const long glibc_n[] = { 1, 10, 100, 1000, 2048 };
	long max_n = opt.iters ? opt.iters : 100000;
	int reps = opt.runs;
	long old_limit = read_long(list_limit_path);
	double ms[MAX_RUNS];
	int i;

	if (old_limit < 0)
		die("exitcost: module parameter list_limit", ENOENT);
	if (write_long(list_limit_path, max_n > old_limit ? max_n : old_limit))
		die("exitcost: raise list_limit", EPERM);
	for (i = 0; i < 2; i++) {
		enum impl impl = i ? IMPL_GLIBC_ROBUST : IMPL_RF;
		const long *ns = i ? glibc_n : rf_n;
		int nn = i ? 5 : 6;

		for (int j = 0; j < nn && ns[j] <= max_n; j++) {
			long n = ns[j], recovered = 0;
			void *base = map_shared(n * mutex_size(impl));

			progress("exitcost: %s holding %ld, %d runs",
				 impl_names[impl], n, reps);
			for (int r = 0; r < reps; r++) {
				int pfd[2], status;
				uint64_t t0;
				pid_t pid;
				char c;

				init_array(base, impl, n);
				if (pipe(pfd))
					die("pipe", errno);
				pid = fork();
				if (pid < 0)
					die("fork", errno);
				if (pid == 0) {
					c = lock_array(base, impl, n) ? 'e' : 'r';
					if (write(pfd[1], &c, 1) != 1)
						_exit(1);
					for (;;)
						pause();
				}
				close(pfd[1]);
				if (read(pfd[0], &c, 1) != 1 || c != 'r')
					die("exitcost: child could not lock",
					    EIO);
				close(pfd[0]);
				t0 = now_ns();
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				ms[r] = (now_ns() - t0) / 1e6;
				recovered = count_owner_died(base, impl, n);
			}
			j_begin("exitcost");
			j_str("impl", impl_names[impl]);
			j_int("locks", n);
			j_int("recovered", recovered);
			j_str("clock", opt.clock);
			if (impl == IMPL_RF)
				j_int("list_limit", read_long(list_limit_path));
			j_runs("ms", ms, reps);
			j_end();
			munmap(base, n * mutex_size(impl));
		}
	}
	write_long(list_limit_path, old_limit);
}

/* ---- reap: a 128-thread process, every thread holding one lock ---- */

#define REAP_THREADS	128

struct reap_shared {
	int ready;		/* threads holding their lock */
	int errors;
};

struct reap_arg {
	void *base;
	enum impl impl;
	int k;
	struct reap_shared *sh;
};

static void *reap_thread(void *p)
{
	struct reap_arg *a = p;

	if (mutex_lock(mutex_at(a->base, a->impl, a->k), a->impl))
		__atomic_fetch_add(&a->sh->errors, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&a->sh->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

/* The child: @REAP_THREADS threads (main included), one lock each. */
static void __attribute__((noreturn)) reap_child(void *base, enum impl impl,
						 struct reap_shared *sh)
{
	static struct reap_arg a[REAP_THREADS];
	pthread_attr_t attr;
	pthread_t th;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int k = 1; k < REAP_THREADS; k++) {
		a[k] = (struct reap_arg){ base, impl, k, sh };
		if (pthread_create(&th, &attr, reap_thread, &a[k]))
			_exit(1);
	}
	a[0] = (struct reap_arg){ base, impl, 0, sh };
	reap_thread(&a[0]);
	_exit(0);
}

/* One kill: ms from SIGKILL to waitpid's return; @recovered set. */
static double reap_round(void *base, enum impl impl, struct reap_shared *sh,
			 long *recovered)
{
	uint64_t t0;
	int status, spins = 0;
	pid_t pid;

	init_array(base, impl, REAP_THREADS);
	sh->ready = sh->errors = 0;
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0)
		reap_child(base, impl, sh);
	while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < REAP_THREADS) {
		if (++spins > 600000 || waitpid(pid, &status, WNOHANG) == pid)
			die("reap: the child's threads did not all lock",
			    ETIMEDOUT);
		usleep(100);
	}
	if (sh->errors)
		die("reap: a child thread could not lock", EIO);
	t0 = now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	t0 = now_ns() - t0;
	*recovered = count_owner_died(base, impl, REAP_THREADS);
	return t0 / 1e6;
}

static void bench_reap(void)
{
	static const enum impl impls[] = { IMPL_RF, IMPL_GLIBC_ROBUST };
	enum { NI = 2 };
	int runs = opt.runs;
	struct reap_shared *sh = map_shared(sizeof(*sh));
	void *base[NI];
	double ms[NI][MAX_RUNS];
	long recovered[NI] = { 0 };
	int i, r;

	for (i = 0; i < NI; i++)
		base[i] = map_shared(REAP_THREADS * mutex_size(impls[i]));
	progress("reap: %d threads each holding a lock, %d kills each, alternating",
		 REAP_THREADS, runs);
	for (i = 0; i < NI; i++)	/* warm-up */
		reap_round(base[i], impls[i], sh, &recovered[i]);
	for (r = 0; r < runs; r++)
		for (i = 0; i < NI; i++)
			ms[i][r] = reap_round(base[i], impls[i], sh,
					      &recovered[i]);
	for (i = 0; i < NI; i++) {
		j_begin("reap");
		j_str("impl", impl_names[impls[i]]);
		j_int("threads", REAP_THREADS);
		j_int("recovered", recovered[i]);
		j_str("clock", opt.clock);
		j_runs("ms", ms[i], runs);
		j_end();
		munmap(base[i], REAP_THREADS * mutex_size(impls[i]));
	}
	munmap(sh, sizeof(*sh));
}

/* ---- crowd: many threads asleep on one lock, handed round one by one ---- */

/*
 * N threads block in lock() on a mutex the main thread holds; once all
 * sleep, the main thread unlocks and each in turn locks, increments a
 * counter, unlocks and exits.  Timed: the main unlock to the last join,
 * so every handoff is one single wake among the waiters left.  rf's wake
 * relinks each recovering waiter of the word to the woken thread (the
 * heir rule, module/wait.c rf_wake_key()): O(N) per wake, O(N^2) a crowd.
 */
#define CROWD_MAX	1000

struct crowd {
	struct bm m __attribute__((aligned(64)));
	struct bm reg __attribute__((aligned(64)));	/* registration */
	long counter __attribute__((aligned(64)));
	int ready;		/* threads about to call, or in, lock */
	int errors;
	pid_t tid[CROWD_MAX];
};

struct crowd_arg {
	struct crowd *c;
	int k;
};

static struct crowd crowd_s[NR_IMPLS];

static void *crowd_thread(void *p)
{
	struct crowd_arg *a = p;
	struct crowd *c = a->c;
	int err = 0;

	c->tid[a->k] = gettid();
	/* The first lock registers the thread's list: not timed. */
	if (bm_lock(&c->reg) || bm_unlock(&c->reg))
		err++;
	__atomic_fetch_add(&c->ready, 1, __ATOMIC_SEQ_CST);
	if (bm_lock(&c->m))
		err++;
	c->counter++;
	if (bm_unlock(&c->m))
		err++;
	if (err)
		__atomic_fetch_add(&c->errors, err, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * One run: ms from the main thread's unlock to the last join; *@wakes,
 * rf only, the module's wakes meanwhile (an exit may pass one on,
 * rf_pass_wake(), the last thread's after its join), else -1.
 */
static double crowd_run(struct crowd *c, int n, long long *wakes)
{
	static pthread_t th[CROWD_MAX];
	static struct crowd_arg a[CROWD_MAX];
	pthread_attr_t attr;
	long long w0 = -1;
	uint64_t t0;
	int k, spins;

	c->ready = 0;
	c->counter = 0;
	if (bm_lock(&c->m))
		die("crowd: main lock", EINVAL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (k = 0; k < n; k++) {
		a[k] = (struct crowd_arg){ c, k };
		if (pthread_create(&th[k], &attr, crowd_thread, &a[k]))
			die("crowd: pthread_create", EAGAIN);
	}
	pthread_attr_destroy(&attr);
	/*
	 * All in lock, then each asleep in it: a waiter cannot leave it
	 * while the main thread holds the mutex, so one pass suffices.
	 */
	spins = 0;
	while (__atomic_load_n(&c->ready, __ATOMIC_SEQ_CST) < n) {
		if (++spins > 200000)
			die("crowd: threads never reached lock", ETIMEDOUT);
		usleep(50);
	}
	for (k = 0; k < n; k++) {
		spins = 0;
		while (!rf_thread_asleep(c->tid[k])) {
			if (++spins > 200000)
				die("crowd: a waiter never slept", ETIMEDOUT);
			usleep(50);
		}
	}
	if (c->m.impl == IMPL_RF)
		w0 = rf_stat("wakes");
	t0 = now_ns();
	if (bm_unlock(&c->m))
		die("crowd: main unlock", EINVAL);
	for (k = 0; k < n; k++)
		pthread_join(th[k], NULL);
	t0 = now_ns() - t0;
	*wakes = w0 < 0 ? -1 : rf_stat("wakes") - w0;
	if (c->counter != n)
		__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
	return t0 / 1e6;
}

static int crowd_init(enum impl i, void *arg)
{
	return bm_init(&crowd_s[i].m, i, false) ?:
	       bm_init(&crowd_s[i].reg, i, false);
}

static void bench_crowd(void)
{
	static const int full[] = { 100, 300, 1000 }, quick[] = { 100, 1000 };
	const int *ns = opt.quick ? quick : full;
	int nn = opt.quick ? 2 : 3;
	double ms[NR_IMPLS][MAX_RUNS], us[MAX_RUNS];
	long long wakes[NR_IMPLS], w;
	bool ok[NR_IMPLS];
	int i, r, t;

	runnable(ok, crowd_init, NULL, "crowd: init");
	for (t = 0; t < nn; t++) {
		progress("crowd: %d threads asleep on one lock, %d runs each, "
			 "alternating", ns[t], opt.runs);
		for (i = 0; i < NR_IMPLS; i++) {	/* warm-up */
			if (!ok[i])
				continue;
			crowd_s[i].errors = 0;
			crowd_run(&crowd_s[i], ns[t], &w);
			wakes[i] = 0;
		}
		for (r = 0; r < opt.runs; r++) {
			for (i = 0; i < NR_IMPLS; i++) {
				if (!ok[i])
					continue;
				ms[i][r] = crowd_run(&crowd_s[i], ns[t], &w);
				wakes[i] = w < 0 || wakes[i] < 0 ? -1 :
					   wakes[i] + w;
			}
		}
		for (i = 0; i < NR_IMPLS; i++) {
			if (!ok[i]) {
				if (selected(i))
					emit_na("crowd", i, "threads", ns[t]);
				continue;
			}
			for (r = 0; r < opt.runs; r++)
				us[r] = ms[i][r] * 1e3 / ns[t];
			j_begin("crowd");
			j_str("impl", impl_name(i));
			j_int("threads", ns[t]);
			j_str("clock", opt.clock);
			j_runs("ms", ms[i], opt.runs);
			j_runs("us_per_handoff", us, opt.runs);
			if (i == IMPL_RF && wakes[i] >= 0)
				printf(",\"wakes_per_handoff\":%.3g",
				       (double)wakes[i] / opt.runs / ns[t]);
			j_str("exclusion", crowd_s[i].errors ? "VIOLATED" : "ok");
			j_end();
		}
	}
}

/* ---- forkreg: fork+exit+waitpid of a registering process ---- */

/*
 * Idle processes: children of a holder process (not ours, so that none
 * is a child or sibling of the measured processes), each asleep in
 * pause().  The holder kills and reaps them when its pipe closes.
 */
struct idle_set {
	pid_t holder;
	int wfd;
};

static void idle_start(struct idle_set *is, int n)
{
	int ctl[2], rdy[2];
	char c;

	if (pipe(ctl) || pipe(rdy))
		die("pipe", errno);
	is->holder = fork();
	if (is->holder < 0)
		die("fork", errno);
	if (is->holder == 0) {
		pid_t *kids = calloc(n, sizeof(*kids));
		int k, made = 0;

		close(ctl[1]);
		close(rdy[0]);
		for (k = 0; kids && k < n; k++) {
			kids[k] = fork();
			if (kids[k] < 0)
				break;
			if (kids[k] == 0) {
				close(ctl[0]);
				close(rdy[1]);
				for (;;)
					pause();
			}
			made++;
		}
		c = made == n ? 'r' : 'e';
		if (write(rdy[1], &c, 1) != 1)
			c = 'e';
		close(rdy[1]);
		while (read(ctl[0], &c, 1) > 0)
			;
		for (k = 0; k < made; k++)
			kill(kids[k], SIGKILL);
		for (k = 0; k < made; k++)
			waitpid(kids[k], NULL, 0);
		_exit(0);
	}
	close(ctl[0]);
	close(rdy[1]);
	if (read(rdy[0], &c, 1) != 1 || c != 'r')
		die("forkreg: could not start the idle processes", EAGAIN);
	close(rdy[0]);
	is->wfd = ctl[1];
}

static void idle_stop(struct idle_set *is)
{
	close(is->wfd);
	waitpid(is->holder, NULL, 0);
}

/* "none": the child locks nothing (never registers); reference only. */
enum { FR_RF, FR_GLIBC_ROBUST, FR_NONE, NR_FR };
static const char *const fr_names[NR_FR] = { "rf", "glibc-robust", "none" };

/* One run: us per fork+exit+waitpid, @n of them. */
static double forkreg_run(int i, struct bm *m, long n)
{
	uint64_t t0 = now_ns();
	int status;

	for (long k = 0; k < n; k++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork", errno);
		if (pid == 0) {
			/* rf: the first lock registers this (new) thread. */
			if (i != FR_NONE && (bm_lock(m) || bm_unlock(m)))
				_exit(1);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || status)
			die("forkreg: child failed", EIO);
	}
	return (now_ns() - t0) / 1e3 / n;
}

static void bench_forkreg(void)
{
	static struct bm m[NR_FR] __attribute__((aligned(64)));
	long n = iters_or(600, 200);
	int nidle = opt.idle ? opt.idle : 2000;
	int rounds = opt.quick ? 1 : 2, idle, i, r, round;
	double us[2][NR_FR][MAX_RUNS];
	int nr[2] = { 0, 0 };
	long long reg0, reg1;
	static const enum impl bimpl[NR_FR] = { IMPL_RF, IMPL_GLIBC_ROBUST,
						IMPL_GLIBC_NORMAL };

	for (i = 0; i < NR_FR; i++)
		if (bm_init(&m[i], bimpl[i], false))
			die("forkreg: init", ENODEV);
	/* Warm-up, and proof that rf's children register. */
	reg0 = rf_stat("registrations");
	forkreg_run(FR_RF, &m[FR_RF], 20);
	reg1 = rf_stat("registrations");
	for (i = 0; i < NR_FR; i++)
		forkreg_run(i, &m[i], 10);
	/* 0 idle, N idle (, 0, N): drift hits both alike. */
	for (round = 0; round < rounds; round++) {
		for (idle = 0; idle < 2; idle++) {
			struct idle_set is;
			int runs = opt.runs / rounds ?: 1;

			if (idle) {
				progress("forkreg: starting %d idle processes", nidle);
				idle_start(&is, nidle);
			}
			progress("forkreg: %d idle, %d runs of %ld forks each",
				 idle ? nidle : 0, runs, n);
			for (r = 0; r < runs; r++, nr[idle]++)
				for (i = 0; i < NR_FR; i++)
					us[idle][i][nr[idle]] =
						forkreg_run(i, &m[i], n);
			if (idle)
				idle_stop(&is);
		}
	}
	for (idle = 0; idle < 2; idle++) {
		for (i = 0; i < NR_FR; i++) {
			j_begin("forkreg");
			j_str("impl", fr_names[i]);
			j_int("idle", idle ? nidle : 0);
			j_int("forks", n);
			if (i == FR_RF)
				j_int("registrations_per_child",
				      reg0 < 0 ? -1 : (reg1 - reg0) / 20);
			j_str("clock", opt.clock);
			j_runs("us", us[idle][i], nr[idle]);
			j_end();
		}
	}
}

/* ---- host native: the raw layer without the module ---- */

#ifdef RFBENCH_NATIVE
/*
 * Replaces lib/rf_raw.c.  Registration "succeeds" without a device (the
 * list is never walked: no thread dies here); anything that would need
 * the module for real stops the program.
 */
RF_HIDDEN int rfi_set_list(int index, void *head, int width, int protocol)
{
	return 0;
}

RF_HIDDEN int rfi_remove_list(int index)
{
	return 0;
}

RF_HIDDEN int rfi_wait(uint32_t *uaddr, uint32_t val, int flags,
		       clockid_t clk, const struct timespec *abstime)
{
	fprintf(stderr, "rfbench: native build cannot wait (no module)\n");
	abort();
}

RF_HIDDEN int rfi_wake(uint32_t *uaddr, int nr, int flags)
{
	fprintf(stderr, "rfbench: native build cannot wake (no module)\n");
	abort();
}

RF_HIDDEN int rfi_fd(void)
{
	return -ENODEV;
}

/* An owner ID per thread, as the module would hand out (nonzero). */
RF_HIDDEN int rfi_get_owner(void)
{
	return (int)(rf_gettid() & RF_OWNER_MASK & ~1u) | 2;
}

RF_HIDDEN void rfi_fd_check(void)
{
}
#endif

/* ---- main ---- */

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
	/* The library's one-line warning would say what n/a already says. */
	setenv("RF_QUIET", "1", 0);
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
