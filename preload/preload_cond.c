// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pthread_cond_* for LD_PRELOAD.  glibc's condition variable unlocks and
 * relocks the mutex through internal calls that no interposer sees, so
 * this library owns every condition variable, made by pthread_cond_init
 * or PTHREAD_COND_INITIALIZER (all zero) alike, and unlocks and relocks
 * the mutex itself: through the mutex core for a mutex of ours, through
 * glibc's pthread_mutex_unlock/lock for any other.
 *
 * A sequence counter: a waiter reads it before unlocking the mutex and
 * sleeps while it is unchanged; signal and broadcast bump it and wake.
 * Wakeups may be spurious (POSIX allows it).  A waiter that holds a mutex
 * of ours sleeps in the module (rf_futex_wait), like the mutex's own
 * waiters, and marks the condvar so that wakers wake through the module
 * too; others sleep on the plain futex.  The relock's result is the
 * wait's: EOWNERDEAD if the mutex's owner died, as POSIX says.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include "preload.h"

struct rfp_cond {
	uint32_t seq;		/* futex word: bumped by signal, broadcast */
	uint32_t waiters;	/* threads inside a wait; C_DESTROYING */
	uint32_t flags;		/* C_* */
};

_Static_assert(sizeof(struct rfp_cond) <= sizeof(pthread_cond_t),
	       "pthread_cond_t too small");

#define C_SHARED	0x1u	/* PTHREAD_PROCESS_SHARED */
#define C_MONOTONIC	0x2u	/* timedwait measures CLOCK_MONOTONIC */
#define C_MODULE	0x4u	/* a waiter has slept in the module */
#define C_DESTROYING	0x80000000u	/* in waiters: destroy waits */

static inline struct rfp_cond *rfp_cond(pthread_cond_t *c)
{
	return (struct rfp_cond *)c;
}

static long rfp_futex(uint32_t *w, int op, uint32_t val, bool shared,
		      const struct timespec *abstime)
{
	if (!shared)
		op |= FUTEX_PRIVATE_FLAG;
	return syscall(SYS_futex, w, op, val, abstime, NULL,
		       FUTEX_BITSET_MATCH_ANY);
}

/* Wake up to @nr sleepers of @cv->seq, in the module first if any are. */
static void rfp_wake(struct rfp_cond *cv, int nr)
{
	uint32_t fl = __atomic_load_n(&cv->flags, __ATOMIC_SEQ_CST);
	bool shared = fl & C_SHARED;
	int n = 0;

	if (fl & C_MODULE) {
		n = rfi_wake(&cv->seq, nr, shared ? RF_WAIT_SHARED : 0);
		if (n < 0)
			n = 0;
		if (n >= nr)
			return;
	}
	rfp_futex(&cv->seq, FUTEX_WAKE_BITSET, nr == INT_MAX ? INT_MAX :
		  nr - n, shared, NULL);
}

/* A waiter is done with @cv: it may be destroyed once all are. */
static void rfp_leave(struct rfp_cond *cv, bool shared)
{
	if (__atomic_sub_fetch(&cv->waiters, 1, __ATOMIC_SEQ_CST) ==
	    C_DESTROYING)
		rfp_futex(&cv->waiters, FUTEX_WAKE_BITSET, INT_MAX, shared,
			  NULL);
}

static int rfp_relock(pthread_mutex_t *m, bool ours)
{
	if (ours)
		return rfm_lock(rfp_impl(m), RF_LOCK, CLOCK_MONOTONIC, NULL);
	return rfp_real()->lock(m);
}

struct rfp_waiter {
	struct rfp_cond *cv;
	pthread_mutex_t *m;
	bool ours, shared;
};

/*
 * Cancelled in the wait: the handlers run with the mutex held (POSIX).  A
 * signal meant for another waiter may have woken this one: pass a wake on
 * (a spurious one at worst), as POSIX asks of a cancelled waiter.
 */
static void rfp_cancelled(void *arg)
{
	struct rfp_waiter *w = arg;

	__atomic_fetch_add(&w->cv->seq, 1, __ATOMIC_SEQ_CST);
	rfp_wake(w->cv, 1);
	rfp_leave(w->cv, w->shared);
	rfp_relock(w->m, w->ours);
}

RF_HIDDEN int rfp_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
			    clockid_t clk, const struct timespec *abstime)
{
	struct rfp_waiter w = { .cv = rfp_cond(c), .m = m };
	struct rfp_cond *cv = w.cv;
	uint32_t fl = __atomic_load_n(&cv->flags, __ATOMIC_RELAXED), seq;
	int err, old, r;

	if (abstime && (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000))
		return EINVAL;
	w.ours = rfp_ours(m);
	w.shared = fl & C_SHARED;
	if (w.ours && !(fl & C_MODULE))
		__atomic_fetch_or(&cv->flags, C_MODULE, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&cv->waiters, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&cv->seq, __ATOMIC_SEQ_CST);
	err = w.ours ? rfm_unlock(rfp_impl(m), true) : rfp_real()->unlock(m);
	if (err) {
		rfp_leave(cv, w.shared);
		return err;
	}
	pthread_cleanup_push(rfp_cancelled, &w);
	/* A cancellation point: only the sleep itself is cancellable. */
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	if (abstime && abstime->tv_sec < 0)
		r = -ETIMEDOUT;
	else if (w.ours)
		r = rfi_wait(&cv->seq, seq, w.shared ? RF_WAIT_SHARED : 0,
			     clk, abstime);
	else if (rfp_futex(&cv->seq, FUTEX_WAIT_BITSET |
			   (abstime && clk == CLOCK_REALTIME ?
			    FUTEX_CLOCK_REALTIME : 0),
			   seq, w.shared, abstime) < 0)
		r = -errno;
	else
		r = 0;
	pthread_setcanceltype(old, NULL);
	pthread_cleanup_pop(0);
	rfp_leave(cv, w.shared);
	err = rfp_relock(m, w.ours);
	if (!err && r == -ETIMEDOUT)
		err = ETIMEDOUT;
	return err;
}

/* The clock timedwait measures, as pthread_condattr_setclock chose. */
RF_HIDDEN clockid_t rfp_cond_clock(pthread_cond_t *c)
{
	return __atomic_load_n(&rfp_cond(c)->flags, __ATOMIC_RELAXED) &
	       C_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

RF_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	struct rfp_cond *cv = rfp_cond(c);
	clockid_t clk = CLOCK_REALTIME;
	int pshared = PTHREAD_PROCESS_PRIVATE;

	if (a && (pthread_condattr_getpshared(a, &pshared) ||
		  pthread_condattr_getclock(a, &clk)))
		return EINVAL;
	memset(c, 0, sizeof(*c));
	cv->flags = (pshared == PTHREAD_PROCESS_SHARED ? C_SHARED : 0) |
		    (clk == CLOCK_MONOTONIC ? C_MONOTONIC : 0);
	return 0;
}

/* Waits for the threads still inside a wait (woken, not yet out). */
RF_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
	struct rfp_cond *cv = rfp_cond(c);
	bool shared = __atomic_load_n(&cv->flags, __ATOMIC_RELAXED) &
		      C_SHARED;
	uint32_t v = __atomic_or_fetch(&cv->waiters, C_DESTROYING,
				       __ATOMIC_SEQ_CST);

	while (v != C_DESTROYING) {
		rfp_futex(&cv->waiters, FUTEX_WAIT_BITSET, v, shared, NULL);
		v = __atomic_load_n(&cv->waiters, __ATOMIC_SEQ_CST);
	}
	return 0;
}

RF_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return rfp_cond_wait(c, m, CLOCK_REALTIME, NULL);
}

RF_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
			   const struct timespec *abstime)
{
	return rfp_cond_wait(c, m, rfp_cond_clock(c), abstime);
}

RF_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
			   clockid_t clk, const struct timespec *abstime)
{
	if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME)
		return EINVAL;
	return rfp_cond_wait(c, m, clk, abstime);
}

RF_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	struct rfp_cond *cv = rfp_cond(c);

	if (!(__atomic_load_n(&cv->waiters, __ATOMIC_SEQ_CST) & ~C_DESTROYING))
		return 0;
	__atomic_fetch_add(&cv->seq, 1, __ATOMIC_SEQ_CST);
	rfp_wake(cv, 1);
	return 0;
}

RF_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	struct rfp_cond *cv = rfp_cond(c);

	if (!(__atomic_load_n(&cv->waiters, __ATOMIC_SEQ_CST) & ~C_DESTROYING))
		return 0;
	__atomic_fetch_add(&cv->seq, 1, __ATOMIC_SEQ_CST);
	rfp_wake(cv, INT_MAX);
	return 0;
}
