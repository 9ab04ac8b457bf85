// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench recovery and reap: a lock owner SIGKILLed.  recovery: the time
 * until a waiter blocked in lock owns it (EOWNERDEAD); reap: SIGKILL to
 * waitpid of a 128-thread process whose every thread holds one lock.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "../kselftest/rf_test.h"

#include "rfbench.h"
#include "spawn.h"

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

/* The child: take the mutex, then wait to be killed (spawn()). */
static int recovery_lock(void *m)
{
	return bm_lock(m);
}

/*
 * One kill: a child takes @m and waits to die; the waiter blocks in lock;
 * once it sleeps, SIGKILL.  Returns the latency in ns, or -1 (the waiter
 * did not get EOWNERDEAD).
 */
static double recovery_round(struct waiter *w)
{
	int res, status, spins = 0;
	uint64_t t0;
	pid_t pid;

	pid = spawn(recovery_lock, w->m, &res);
	if (res)
		die("recovery: child could not lock", EIO);
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

	if (!s)
		die("malloc", ENOMEM);
	memcpy(s, us, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	json_begin();
	json_str("bench", bench);
	json_str("impl", impl_names[i]);
	json_int("kills", n);
	json_int("not_eownerdead", failed);
	json_str("clock", opt.clock);
	json_obj("latency_us");
	json_num("p50", "%.6g", quantile(s, n, 0.5));
	json_num("p90", "%.6g", quantile(s, n, 0.9));
	json_num("p99", "%.6g", quantile(s, n, 0.99));
	json_num("min", "%.6g", s[0]);
	json_num("max", "%.6g", s[n - 1]);
	json_array("samples", "%.4g", us, n);
	json_obj_end();
	json_end();
	free(s);
}

void bench_recovery(void)
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
	long long before = rf_stat("threads");
	int status, spins = 0;
	double ms;
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
	ms = kill_timed(pid, before);
	*recovered = count_owner_died(base, impl, REAP_THREADS);
	return ms;
}

void bench_reap(void)
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
		json_begin();
		json_str("bench", "reap");
		json_str("impl", impl_names[impls[i]]);
		json_int("threads", REAP_THREADS);
		json_int("recovered", recovered[i]);
		json_str("clock", opt.clock);
		json_runs("ms", ms[i], runs);
		json_end();
		munmap(base[i], REAP_THREADS * mutex_size(impls[i]));
	}
	munmap(sh, sizeof(*sh));
}
