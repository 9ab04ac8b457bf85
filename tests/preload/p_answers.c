// SPDX-License-Identifier: GPL-2.0
/*
 * The preload answers as glibc 2.36 does.  The same call sequences on
 * robust mutexes, with the same expected return values, run once plain
 * (glibc's pthread_mutex_*) and once with LD_PRELOAD of the preload: an
 * unmodified program must not tell them apart.  Where POSIX leaves the
 * answer undefined (destroying a held mutex, an inner unlock of a
 * recursive mutex still inconsistent), glibc's answer is the one expected.
 *
 * Every mutex here is static and never reused after a sequence that
 * leaves it on a robust list (glibc's or the preload's), and every
 * sequence that destroys a held mutex runs in a thread of its own, so
 * the main thread's robust list stays clean in both runs.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <time.h>
#include "p_tap.h"

static const struct {
	int type;
	const char *name;
} types[] = {
	{ PTHREAD_MUTEX_NORMAL, "normal" },
	{ PTHREAD_MUTEX_ERRORCHECK, "errorcheck" },
	{ PTHREAD_MUTEX_RECURSIVE, "recursive" },
};
#define NTYPES	(int)(sizeof(types) / sizeof(types[0]))

static void init_mutex(pthread_mutex_t *m, int robust, int type)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, robust ? PTHREAD_MUTEX_ROBUST :
						  PTHREAD_MUTEX_STALLED);
	pthread_mutexattr_settype(&a, type);
	if (pthread_mutex_init(m, &a))
		abort();
	pthread_mutexattr_destroy(&a);
}

/* ---- a thread that holds a mutex until told to let go ---- */

struct holder {
	pthread_t t;
	pthread_mutex_t *m;
	sem_t locked, release;
	int lock_ret, unlock_ret;
};

static void *holder_fn(void *p)
{
	struct holder *h = p;

	h->lock_ret = pthread_mutex_lock(h->m);
	sem_post(&h->locked);
	sem_wait(&h->release);
	h->unlock_ret = pthread_mutex_unlock(h->m);
	return NULL;
}

static void hold(struct holder *h, pthread_mutex_t *m)
{
	h->m = m;
	sem_init(&h->locked, 0, 0);
	sem_init(&h->release, 0, 0);
	if (pthread_create(&h->t, NULL, holder_fn, h))
		abort();
	sem_wait(&h->locked);
}

static void let_go(struct holder *h)
{
	sem_post(&h->release);
	pthread_join(h->t, NULL);
	sem_destroy(&h->locked);
	sem_destroy(&h->release);
}

/* A thread that locks @p and exits holding it: its owner is then dead. */
static void *die_holding(void *p)
{
	pthread_mutex_lock(p);
	return NULL;
}

static void orphan(pthread_mutex_t *m)
{
	pthread_t t;

	if (pthread_create(&t, NULL, die_holding, m))
		abort();
	pthread_join(t, NULL);
}

/* ---- the checks ---- */

static void check_trylock(void)
{
	static pthread_mutex_t m[NTYPES];
	struct holder h;
	char what[96];
	int i;

	for (i = 0; i < NTYPES; i++) {
		init_mutex(&m[i], 1, types[i].type);
		hold(&h, &m[i]);
		snprintf(what, sizeof(what), "robust %s: trylock held by another thread",
			 types[i].name);
		P_EQ(EBUSY, pthread_mutex_trylock(&m[i]), what);
		snprintf(what, sizeof(what), "robust %s: unlock by a non-owner",
			 types[i].name);
		P_EQ(EPERM, pthread_mutex_unlock(&m[i]), what);
		let_go(&h);
		P_EQ(0, h.unlock_ret, "the holder's own unlock");
		snprintf(what, sizeof(what), "robust %s: unlock of a free mutex",
			 types[i].name);
		P_EQ(EPERM, pthread_mutex_unlock(&m[i]), what);
	}
	/* Held by the caller. */
	P_EQ(0, pthread_mutex_lock(&m[0]), "robust normal: lock");
	P_EQ(EBUSY, pthread_mutex_trylock(&m[0]),
	     "robust normal: trylock held by the caller");
	P_EQ(0, pthread_mutex_unlock(&m[0]), "robust normal: unlock");
	P_EQ(0, pthread_mutex_lock(&m[1]), "robust errorcheck: lock");
	P_EQ(EDEADLK, pthread_mutex_trylock(&m[1]),
	     "robust errorcheck: trylock held by the caller");
	P_EQ(EDEADLK, pthread_mutex_lock(&m[1]),
	     "robust errorcheck: lock held by the caller");
	P_EQ(0, pthread_mutex_unlock(&m[1]), "robust errorcheck: unlock");
	P_EQ(0, pthread_mutex_lock(&m[2]), "robust recursive: lock");
	P_EQ(0, pthread_mutex_trylock(&m[2]),
	     "robust recursive: trylock held by the caller");
	P_EQ(0, pthread_mutex_unlock(&m[2]), "robust recursive: inner unlock");
	P_EQ(0, pthread_mutex_unlock(&m[2]), "robust recursive: outer unlock");
	P_EQ(EPERM, pthread_mutex_unlock(&m[2]),
	     "robust recursive: one unlock too many");
	for (i = 0; i < NTYPES; i++)
		P_EQ(0, pthread_mutex_destroy(&m[i]), "destroy a free robust mutex");
}

static void check_timed(void)
{
	static pthread_mutex_t m;
	struct timespec bad = { .tv_sec = time(NULL) + 60, .tv_nsec = 1000000000 };
	struct timespec past = { .tv_sec = -1, .tv_nsec = 0 };
	struct holder h;

	init_mutex(&m, 1, PTHREAD_MUTEX_NORMAL);
	/* As glibc, the deadline is looked at only when the caller must wait. */
	P_EQ(0, pthread_mutex_timedlock(&m, &bad),
	     "robust: timedlock of a free mutex, tv_nsec 1e9");
	P_EQ(0, pthread_mutex_unlock(&m), "robust: unlock");
	P_EQ(EINVAL, pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &bad),
	     "robust: clocklock on CLOCK_PROCESS_CPUTIME_ID");
	hold(&h, &m);
	P_EQ(EINVAL, pthread_mutex_timedlock(&m, &bad),
	     "robust: timedlock of a held mutex, tv_nsec 1e9");
	P_EQ(ETIMEDOUT, pthread_mutex_timedlock(&m, &past),
	     "robust: timedlock of a held mutex, tv_sec -1");
	P_EQ(ETIMEDOUT, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &past),
	     "robust: clocklock of a held mutex, tv_sec -1");
	let_go(&h);
	P_EQ(0, pthread_mutex_destroy(&m), "robust: destroy");
}

static void check_consistent(void)
{
	static pthread_mutex_t m, r;
	struct holder h;

	init_mutex(&m, 1, PTHREAD_MUTEX_NORMAL);
	P_EQ(EINVAL, pthread_mutex_consistent(&m),
	     "robust: consistent on a free mutex");
	P_EQ(0, pthread_mutex_lock(&m), "robust: lock");
	P_EQ(EINVAL, pthread_mutex_consistent(&m),
	     "robust: consistent on a held, consistent mutex");
	P_EQ(0, pthread_mutex_unlock(&m), "robust: unlock");

	/* The owner makes it consistent: once. */
	orphan(&m);
	P_EQ(EOWNERDEAD, pthread_mutex_lock(&m), "robust: lock after owner death");
	P_EQ(0, pthread_mutex_consistent(&m), "robust: consistent by the owner");
	P_EQ(EINVAL, pthread_mutex_consistent(&m), "robust: consistent again");
	P_EQ(0, pthread_mutex_unlock(&m), "robust: unlock");

	/* Another thread makes it consistent: glibc says yes, and it is. */
	orphan(&m);
	hold(&h, &m);
	P_EQ(EOWNERDEAD, h.lock_ret, "robust: another thread's lock after owner death");
	P_EQ(0, pthread_mutex_consistent(&m),
	     "robust: consistent by a thread that does not hold it");
	let_go(&h);
	P_EQ(0, h.unlock_ret, "robust: the holder's unlock");
	P_EQ(0, pthread_mutex_lock(&m), "robust: lock afterwards (recovered)");
	P_EQ(0, pthread_mutex_unlock(&m), "robust: unlock");
	P_EQ(0, pthread_mutex_destroy(&m), "robust: destroy");

	/* A recursive one still inconsistent: inner unlocks say so. */
	init_mutex(&r, 1, PTHREAD_MUTEX_RECURSIVE);
	orphan(&r);
	P_EQ(EOWNERDEAD, pthread_mutex_lock(&r), "robust recursive: lock after owner death");
	P_EQ(0, pthread_mutex_lock(&r), "robust recursive: lock again");
	P_EQ(ENOTRECOVERABLE, pthread_mutex_unlock(&r),
	     "robust recursive: inner unlock while inconsistent");
	P_EQ(0, pthread_mutex_unlock(&r), "robust recursive: outer unlock");
	P_EQ(ENOTRECOVERABLE, pthread_mutex_lock(&r),
	     "robust recursive: lock after unlock without consistent");
	P_EQ(ENOTRECOVERABLE, pthread_mutex_trylock(&r),
	     "robust recursive: trylock, not recoverable");
	P_EQ(0, pthread_mutex_destroy(&r),
	     "robust recursive: destroy a not-recoverable mutex");
}

/* Destroy a mutex while @arg's index type is held by this thread. */
static void *destroy_held_fn(void *arg)
{
	static pthread_mutex_t m[NTYPES];
	int i = (int)(intptr_t)arg;
	char what[96];

	init_mutex(&m[i], 1, types[i].type);
	P_EQ(0, pthread_mutex_lock(&m[i]), "robust: lock");
	snprintf(what, sizeof(what), "robust %s: destroy held by the caller",
		 types[i].name);
	P_EQ(0, pthread_mutex_destroy(&m[i]), what);
	/* trylock: where destroy refused, a lock would wait for ourselves. */
	snprintf(what, sizeof(what), "robust %s: trylock after destroy",
		 types[i].name);
	P_EQ(EINVAL, pthread_mutex_trylock(&m[i]), what);
	return NULL;
}

static void check_destroy(void)
{
	static pthread_mutex_t other, plain[2];
	struct holder h;
	pthread_t t;
	int i;

	for (i = 0; i < NTYPES; i++) {
		if (pthread_create(&t, NULL, destroy_held_fn, (void *)(intptr_t)i))
			abort();
		pthread_join(t, NULL);
	}
	/* Held by another thread: glibc does not look. */
	init_mutex(&other, 1, PTHREAD_MUTEX_NORMAL);
	hold(&h, &other);
	P_EQ(0, pthread_mutex_destroy(&other),
	     "robust: destroy held by another thread");
	let_go(&h);
	P_EQ(EINVAL, h.unlock_ret, "robust: the holder's unlock after destroy");

	/* Not robust: glibc's own answer, EBUSY while locked. */
	for (i = 0; i < 2; i++) {
		init_mutex(&plain[i], 0, types[i].type);
		P_EQ(0, pthread_mutex_lock(&plain[i]), "stalled: lock");
		P_EQ(EBUSY, pthread_mutex_destroy(&plain[i]),
		     "stalled: destroy held by the caller");
		P_EQ(0, pthread_mutex_unlock(&plain[i]), "stalled: unlock");
		P_EQ(0, pthread_mutex_destroy(&plain[i]), "stalled: destroy");
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	p_start();
	check_trylock();
	check_timed();
	check_consistent();
	check_destroy();
	p_finish();
}
