/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the rf_mutex tests (t_mutex_*.c) share: rf_mutex_* and glibc's
 * robust pthread mutexes behind one interface, the steps of the table in
 * t_mutex_glibc.c (a step another program runs too), and a thread that
 * waits on a lock.  Include it after kselftest_harness.h.
 */
#ifndef RF_MUTEX_HELPERS_H
#define RF_MUTEX_HELPERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <robustfutex.h>
#include "rf_test.h"

/* ---- the two implementations behind one interface ---- */

enum { T_NORMAL, T_RECURSIVE, T_ERRORCHECK };

struct impl {
	const char *name;
	int (*init)(void *m, int type, bool pshared);
	int (*lock)(void *m);
	int (*trylock)(void *m);
	int (*timedlock)(void *m, const struct timespec *ts);
	int (*clocklock)(void *m, clockid_t clk, const struct timespec *ts);
	int (*unlock)(void *m);
	int (*consistent)(void *m);
	int (*destroy)(void *m);
};

static inline int rf_init_(void *m, int type, bool pshared)
{
	static const int types[] = { RF_MUTEX_NORMAL, RF_MUTEX_RECURSIVE,
				     RF_MUTEX_ERRORCHECK };
	rf_mutexattr_t a;
	int r;

	rf_mutexattr_init(&a);
	r = rf_mutexattr_settype(&a, types[type]) ?:
	    rf_mutexattr_setpshared(&a, pshared ? RF_PROCESS_SHARED :
						  RF_PROCESS_PRIVATE) ?:
	    rf_mutexattr_setrobust(&a, RF_MUTEX_ROBUST) ?:
	    rf_mutex_init(m, &a);
	rf_mutexattr_destroy(&a);
	return r;
}

static inline int pt_init_(void *m, int type, bool pshared)
{
	static const int types[] = { PTHREAD_MUTEX_NORMAL,
				     PTHREAD_MUTEX_RECURSIVE,
				     PTHREAD_MUTEX_ERRORCHECK };
	pthread_mutexattr_t a;
	int r;

	pthread_mutexattr_init(&a);
	r = pthread_mutexattr_settype(&a, types[type]) ?:
	    pthread_mutexattr_setpshared(&a, pshared ? PTHREAD_PROCESS_SHARED :
						       PTHREAD_PROCESS_PRIVATE) ?:
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) ?:
	    pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return r;
}

#define WRAP(impl, fn, type) \
	static inline int impl##_##fn##_(void *m) { return impl##_mutex_##fn((type *)m); }
WRAP(rf, lock, rf_mutex_t)
WRAP(rf, trylock, rf_mutex_t)
WRAP(rf, unlock, rf_mutex_t)
WRAP(rf, consistent, rf_mutex_t)
WRAP(rf, destroy, rf_mutex_t)
WRAP(pthread, lock, pthread_mutex_t)
WRAP(pthread, trylock, pthread_mutex_t)
WRAP(pthread, unlock, pthread_mutex_t)
WRAP(pthread, consistent, pthread_mutex_t)
WRAP(pthread, destroy, pthread_mutex_t)

static inline int rf_timedlock_(void *m, const struct timespec *ts)
{
	return rf_mutex_timedlock(m, ts);
}

static inline int rf_clocklock_(void *m, clockid_t clk, const struct timespec *ts)
{
	return rf_mutex_clocklock(m, clk, ts);
}

static inline int pthread_timedlock_(void *m, const struct timespec *ts)
{
	return pthread_mutex_timedlock(m, ts);
}

static inline int pthread_clocklock_(void *m, clockid_t clk,
			      const struct timespec *ts)
{
	return pthread_mutex_clocklock(m, clk, ts);
}

static const struct impl impls[] __attribute__((unused)) = {
	{ "rf_mutex", rf_init_, rf_lock_, rf_trylock_, rf_timedlock_,
	  rf_clocklock_, rf_unlock_, rf_consistent_, rf_destroy_ },
	{ "pthread_mutex", pt_init_, pthread_lock_, pthread_trylock_,
	  pthread_timedlock_, pthread_clocklock_, pthread_unlock_,
	  pthread_consistent_, pthread_destroy_ },
};
#define NIMPL	2

/* Room for either kind of mutex. */
union anymutex {
	rf_mutex_t rf;
	pthread_mutex_t pt;
};

/* ---- steps ---- */

enum op {
	END, LOCK, TRYLOCK, TIMED_RT, CLOCK_RT, CLOCK_MONO, TIMED_BADNSEC,
	CLOCK_BADCLK, UNLOCK, CONSISTENT, DESTROY,
	DIE_HOLDING,		/* a new thread locks and exits */
	DIE_HOLDING2,		/* ... locks twice (recursive) */
};
enum who { MAIN, OTHER };

#define TIMING_BAD	1000	/* ETIMEDOUT before the deadline, or a hang */
#define DEADLINE_MS	100

struct step {
	enum op op;
	enum who who;
	int expect;
};

static inline const char *errname(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ 0, "0" }, { EBUSY, "EBUSY" }, { EDEADLK, "EDEADLK" },
		{ EPERM, "EPERM" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EINVAL, "EINVAL" }, { EOWNERDEAD, "EOWNERDEAD" },
		{ ENOTRECOVERABLE, "ENOTRECOVERABLE" }, { EAGAIN, "EAGAIN" },
		{ ENODEV, "ENODEV" }, { TIMING_BAD, "ETIMEDOUT(bad timing)" },
	};
	static char buf[16];
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

static inline long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline struct timespec deadline(clockid_t clk, int ms)
{
	long long t = now_ns(clk) + ms * 1000000LL;

	return (struct timespec){ t / 1000000000LL, t % 1000000000LL };
}

/*
 * A timed lock; ETIMEDOUT must not come before the deadline.  How late it
 * comes is the machine's business; RF_HANG_MS past it can only be a
 * deadline misread (the wrong clock, relative for absolute): a hang.
 */
static inline int timed(const struct impl *im, void *m, int kind, clockid_t clk)
{
	/* t0 first: a delay between the two must not shorten dt. */
	long long t0 = now_ns(CLOCK_MONOTONIC), dt;
	struct timespec ts = deadline(clk, DEADLINE_MS);
	int r;

	r = kind ? im->clocklock(m, clk, &ts) : im->timedlock(m, &ts);
	dt = now_ns(CLOCK_MONOTONIC) - t0;
	if (r == ETIMEDOUT &&
	    (dt < (DEADLINE_MS - 5) * 1000000LL ||
	     dt > (DEADLINE_MS + RF_HANG_MS) * 1000000LL))
		return TIMING_BAD;
	return r;
}

static inline int do_op(const struct impl *im, void *m, enum op op)
{
	struct timespec bad;
	int r;

	switch (op) {
	case LOCK:		return im->lock(m);
	case TRYLOCK:		return im->trylock(m);
	case TIMED_RT:		return timed(im, m, 0, CLOCK_REALTIME);
	case CLOCK_RT:		return timed(im, m, 1, CLOCK_REALTIME);
	case CLOCK_MONO:	return timed(im, m, 1, CLOCK_MONOTONIC);
	case TIMED_BADNSEC:
		bad = deadline(CLOCK_REALTIME, DEADLINE_MS);
		bad.tv_nsec = 1000000000;
		return im->timedlock(m, &bad);
	case CLOCK_BADCLK:
		bad = deadline(CLOCK_REALTIME, DEADLINE_MS);
		return im->clocklock(m, CLOCK_PROCESS_CPUTIME_ID, &bad);
	case UNLOCK:		return im->unlock(m);
	case CONSISTENT:	return im->consistent(m);
	case DESTROY:		return im->destroy(m);
	case DIE_HOLDING:
	case DIE_HOLDING2:
		r = im->lock(m);
		if (op == DIE_HOLDING2 && (r == 0 || r == EOWNERDEAD))
			im->lock(m);
		/*
		 * The thread returns (other_thread), which is pthread_exit();
		 * calling that in a static binary needs libgcc_s, which the
		 * VM does not have.
		 */
		return r;
	case END:
		break;
	}
	return -1;
}

struct call {
	const struct impl *im;
	void *m;
	enum op op;
	int res;
};

static inline void *other_thread(void *p)
{
	struct call *c = p;

	c->res = do_op(c->im, c->m, c->op);
	return (void *)(intptr_t)c->res;
}

static inline int run_step(const struct impl *im, void *m, const struct step *s)
{
	struct call c = { im, m, s->op, -1 };
	pthread_t th;
	void *ret;

	if (s->who == MAIN && s->op != DIE_HOLDING && s->op != DIE_HOLDING2)
		return do_op(im, m, s->op);
	if (pthread_create(&th, NULL, other_thread, &c))
		return -1;
	pthread_join(th, &ret);
	return (int)(intptr_t)ret;
}

/* ---- a thread that waits on a lock ---- */

/* State letter of a thread (/proc/PID/task/TID/stat), or 0. */
static inline char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 0;
	return p[2];
}

/* Wait until a thread sleeps (it is blocked in the module); false if not. */
static inline bool wait_sleeping(pid_t pid, pid_t tid)
{
	return RF_UNTIL(thread_state(pid, tid) == 'S', 5000);
}

static inline uint32_t word_of(const void *m)
{
	/* Both keep the futex word first. */
	return __atomic_load_n((const uint32_t *)m, __ATOMIC_RELAXED);
}

struct waiter {
	const struct impl *im;
	void *m;
	pid_t tid;
	uint32_t owner;		/* what its lock puts in the owner field */
	int res;
	uint32_t word;		/* the word just after the lock was taken */
	bool unlock;
};

static inline void *waiter_fn(void *p)
{
	struct waiter *w = p;

	/* rf_mutex words hold owner IDs, glibc's hold TIDs. */
	w->owner = w->im == &impls[0] ? (uint32_t)rf_owner_id() : rf_gettid();
	__atomic_store_n(&w->tid, rf_gettid(), __ATOMIC_RELEASE);
	w->res = w->im->lock(w->m);
	w->word = word_of(w->m);
	if (w->res == EOWNERDEAD)
		w->im->consistent(w->m);
	if (w->unlock && (w->res == 0 || w->res == EOWNERDEAD))
		w->im->unlock(w->m);
	return NULL;
}

static inline pid_t waiter_tid(struct waiter *w)
{
	pid_t t;

	while (!(t = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	return t;
}

/* ---- shared memory for a mutex between processes ---- */

static inline void *map_shared(bool use_memfd)
{
	void *p;
	int fd = -1;

	if (use_memfd) {
		fd = memfd_create("rf_mutex", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 4096))
			return MAP_FAILED;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (use_memfd ? 0 : MAP_ANONYMOUS), fd, 0);
	if (fd >= 0)
		close(fd);
	return p;
}

#endif
