// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench crowd: N threads asleep in lock on one mutex, handed round one
 * by one: the cost of a wake with many waiters left.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "../kselftest/rf_test.h"

#include "rfbench.h"

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
 * rf_owner_dies(), the last thread's after its join), else -1.
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

void bench_crowd(void)
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
			json_begin();
			json_str("bench", "crowd");
			json_str("impl", impl_name(i));
			json_int("threads", ns[t]);
			json_str("clock", opt.clock);
			json_runs("ms", ms[i], opt.runs);
			json_runs("us_per_handoff", us, opt.runs);
			if (i == IMPL_RF && wakes[i] >= 0)
				json_num("wakes_per_handoff", "%.3g",
					 (double)wakes[i] / opt.runs / ns[t]);
			json_str("exclusion", crowd_s[i].errors ? "VIOLATED" : "ok");
			json_end();
		}
	}
}
