// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pthread_mutex_* for LD_PRELOAD: a robust mutex (not priority-inheriting
 * or -protecting: those stay glibc's) is made an intent-protocol mutex
 * inside the caller's pthread_mutex_t, by the same code as rf_mutex_t
 * (rf_mutex.c).  Every call dispatches on the kind glibc rejects
 * (RFK_MARK); all other mutexes, PTHREAD_MUTEX_INITIALIZER ones included,
 * go to the next definition (glibc's), found with dlsym(RTLD_NEXT).
 *
 * The symbols here carry no version, so they stand in for every version
 * a program was linked against (pthread_mutex_lock@GLIBC_2.2.5, and the
 * GLIBC_2.34 ones); dlsym() returns glibc's default version of each.
 * C11 mtx_* reach glibc's mutex code through internal calls, past these
 * symbols; they cannot make a robust mutex, so they never meet ours.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "preload.h"

static struct rfp_real real;

static void *rfp_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "librobustfutex-pthread: no %s: %s\n", name,
			dlerror());
		abort();
	}
	return p;
}

/* Also run from the first call, should another constructor lock first. */
__attribute__((constructor)) static void rfp_resolve(void)
{
	struct rfp_real r;

	if (__atomic_load_n(&real.destroy, __ATOMIC_ACQUIRE))
		return;
	r.init = rfp_sym("pthread_mutex_init");
	r.lock = rfp_sym("pthread_mutex_lock");
	r.trylock = rfp_sym("pthread_mutex_trylock");
	r.timedlock = rfp_sym("pthread_mutex_timedlock");
	r.clocklock = rfp_sym("pthread_mutex_clocklock");
	r.unlock = rfp_sym("pthread_mutex_unlock");
	r.consistent = rfp_sym("pthread_mutex_consistent");
	r.destroy = rfp_sym("pthread_mutex_destroy");
#if UINTPTR_MAX == 0xffffffffu
	r.timedlock64 = rfp_sym("__pthread_mutex_timedlock64");
	r.clocklock64 = rfp_sym("__pthread_mutex_clocklock64");
#endif
	real = r;
	__atomic_store_n(&real.destroy, r.destroy, __ATOMIC_RELEASE);
}

RF_HIDDEN const struct rfp_real *rfp_real(void)
{
	if (!__atomic_load_n(&real.destroy, __ATOMIC_ACQUIRE))
		rfp_resolve();
	return &real;
}

RF_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	int robust, type, pshared, proto;
	uint32_t kind;

	if (!a || pthread_mutexattr_getrobust(a, &robust) ||
	    robust != PTHREAD_MUTEX_ROBUST ||
	    pthread_mutexattr_getprotocol(a, &proto) ||
	    proto != PTHREAD_PRIO_NONE ||
	    pthread_mutexattr_gettype(a, &type) ||
	    pthread_mutexattr_getpshared(a, &pshared))
		return rfp_real()->init(m, a);
	switch (type) {
	case PTHREAD_MUTEX_RECURSIVE:
		kind = RF_MUTEX_RECURSIVE;
		break;
	case PTHREAD_MUTEX_ERRORCHECK:
		kind = RF_MUTEX_ERRORCHECK;
		break;
	default:	/* NORMAL, and ADAPTIVE_NP: a hint */
		kind = RF_MUTEX_NORMAL;
		break;
	}
	if (pshared == PTHREAD_PROCESS_SHARED)
		kind |= RFK_SHARED;
	/* Without the module, glibc's robust mutex is all there is. */
	if (rfi_fd() < 0)
		return rfp_real()->init(m, a);
	return rfm_init(rfp_impl(m), sizeof(*m), kind);
}

RF_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (rfp_ours(m))
		return rfm_lock(rfp_impl(m), RF_LOCK, CLOCK_MONOTONIC, NULL);
	return rfp_real()->lock(m);
}

RF_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (rfp_ours(m))
		return rfm_lock(rfp_impl(m), RF_TRY, CLOCK_MONOTONIC, NULL);
	return rfp_real()->trylock(m);
}

RF_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
	if (rfp_ours(m))
		return rfm_timed(rfp_impl(m), CLOCK_REALTIME, t);
	return rfp_real()->timedlock(m, t);
}

RF_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
			    const struct timespec *t)
{
	if (rfp_ours(m))
		return rfm_timed(rfp_impl(m), clk, t);
	return rfp_real()->clocklock(m, clk, t);
}

RF_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (rfp_ours(m))
		return rfm_unlock(rfp_impl(m), true);
	return rfp_real()->unlock(m);
}

RF_EXPORT int pthread_mutex_consistent(pthread_mutex_t *m)
{
	if (rfp_ours(m))
		return rfm_consistent(rfp_impl(m), true);
	return rfp_real()->consistent(m);
}

/*
 * The pre-POSIX-2008 name, still exported by glibc for old binaries
 * (pthread.h redirects new callers to pthread_mutex_consistent).
 */
RF_EXPORT int rfp_consistent_np(pthread_mutex_t *m)
	__asm__("pthread_mutex_consistent_np");
RF_EXPORT int rfp_consistent_np(pthread_mutex_t *m)
{
	if (rfp_ours(m))
		return rfm_consistent(rfp_impl(m), true);
	return rfp_real()->consistent(m);
}

RF_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
	if (rfp_ours(m))
		return rfm_destroy(rfp_impl(m), true);
	return rfp_real()->destroy(m);
}
