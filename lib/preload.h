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
};

RF_HIDDEN const struct rfp_real *rfp_real(void);

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
