// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench contended and pshared: throughput (ops/s) of 1 to 8 threads of
 * one process, and of 2 and 4 processes on a memfd mapping, sharing one
 * mutex, a short critical section and some work outside it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "rfbench.h"

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
	json_begin();
	json_str("bench", bench);
	json_str("impl", impl_name(i));
	json_int(unit, n);
	json_int("ops", ops);
	json_int("cs_writes", CS_WRITES);
	json_int("outside_work", OUTSIDE_WORK);
	json_runs("ops_per_s", runs, opt.runs);
	json_str("exclusion", errors ? "VIOLATED" : "ok");
	json_end();
}

static struct shared_data contended_s[NR_IMPLS];

static int contended_init(enum impl i, void *arg)
{
	return bm_init(&contended_s[i].m, i, false);
}

void bench_contended(void)
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

void bench_pshared(void)
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
