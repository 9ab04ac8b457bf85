/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librobustfutex-pthread.so, the LD_PRELOAD interposer: what its mutex
 * and condition variable halves share.
 */
#ifndef RF_PRELOAD_H
#define RF_PRELOAD_H

#include <pthread.h>
#include "rf_internal.h"

/* glibc's own functions, for every mutex that is not ours. */
struct rfp_real {
	int (*init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*lock)(pthread_mutex_t *);
	int (*trylock)(pthread_mutex_t *);
	int (*timedlock)(pthread_mutex_t *, const struct timespec *);
	int (*clocklock)(pthread_mutex_t *, clockid_t,
			 const struct timespec *);
	int (*unlock)(pthread_mutex_t *);
	int (*consistent)(pthread_mutex_t *);
	int (*destroy)(pthread_mutex_t *);
#if UINTPTR_MAX == 0xffffffffu
	/* _TIME_BITS=64 callers' (preload_time64.c); the timespec is opaque. */
	int (*timedlock64)(pthread_mutex_t *, const void *);
	int (*clocklock64)(pthread_mutex_t *, clockid_t, const void *);
#endif
};

RF_HIDDEN const struct rfp_real *rfp_real(void);

/* preload_cond.c */
RF_HIDDEN int rfp_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
			    clockid_t clk, const struct timespec *abstime);
RF_HIDDEN clockid_t rfp_cond_clock(pthread_cond_t *c);

static inline struct rf_mutex_impl *rfp_impl(pthread_mutex_t *m)
{
	return (struct rf_mutex_impl *)m;
}

/* A mutex this library made (pthread_mutex_init with a robust attribute). */
static inline int rfp_ours(pthread_mutex_t *m)
{
	return rfk_marked(__atomic_load_n(&rfp_impl(m)->kind,
					  __ATOMIC_RELAXED));
}

#endif
