// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench uncontended: ns per lock+unlock pair, alone in the process and
 * with an idle second thread, against the bare atomics (the floors); and
 * "pairs", one untimed loop for callgrind.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rfbench.h"

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
		json_begin();
		json_str("bench", "uncontended");
		json_str("impl", unc_name(i));
		json_str("env", env_name());
		json_int("threads", threads);
#ifdef RFBENCH_NATIVE
		if (i == IMPL_RF)
			json_str("note", "host native, list registration skipped");
#endif
		if (!ok[i]) {
			json_str("note", i == IMPL_ML72 ? na_reason(i) :
					 opt.native ?
					 "n/a natively (module required)" :
					 "n/a (module required)");
		} else {
			json_int("pairs", n);
			json_runs("ns_per_pair", ns[i], opt.runs);
		}
		json_end();
	}
}

void bench_uncontended(void)
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
void bench_pairs(void)
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
