// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * 32-bit only: a program built with _TIME_BITS=64 calls glibc's
 * __pthread_*64 functions for the timed waits.  Those would run glibc's
 * condvar on ours, and glibc's mutex code on a mutex of ours, so they are
 * provided here too: the 64-bit timespec is narrowed (times past 2038
 * clamp to the last second a 32-bit one holds) and the call goes where
 * the 32-bit one would.
 */
#include <errno.h>
#include <limits.h>
#include "preload.h"

#if UINTPTR_MAX == 0xffffffffu

struct rfp_timespec64 {
	int64_t tv_sec;
	int32_t tv_nsec;
	int32_t pad;
};

static const struct timespec *rfp_narrow(const struct rfp_timespec64 *t,
					 struct timespec *out)
{
	if (!t)
		return NULL;
	out->tv_sec = t->tv_sec > INT_MAX ? INT_MAX :
		      t->tv_sec < INT_MIN ? INT_MIN : (time_t)t->tv_sec;
	out->tv_nsec = t->tv_nsec;
	return out;
}

RF_EXPORT int __pthread_mutex_timedlock64(pthread_mutex_t *m,
					  const struct rfp_timespec64 *t)
{
	struct timespec ts;

	if (rfp_ours(m))
		return rfm_timed(rfp_impl(m), CLOCK_REALTIME,
				 rfp_narrow(t, &ts));
	return rfp_real()->timedlock64(m, t);
}

RF_EXPORT int __pthread_mutex_clocklock64(pthread_mutex_t *m, clockid_t clk,
					  const struct rfp_timespec64 *t)
{
	struct timespec ts;

	if (rfp_ours(m))
		return rfm_timed(rfp_impl(m), clk, rfp_narrow(t, &ts));
	return rfp_real()->clocklock64(m, clk, t);
}

RF_EXPORT int __pthread_cond_timedwait64(pthread_cond_t *c, pthread_mutex_t *m,
					 const struct rfp_timespec64 *t)
{
	struct timespec ts;

	return rfp_cond_wait(c, m, rfp_cond_clock(c), rfp_narrow(t, &ts));
}

RF_EXPORT int __pthread_cond_clockwait64(pthread_cond_t *c, pthread_mutex_t *m,
					 clockid_t clk,
					 const struct rfp_timespec64 *t)
{
	struct timespec ts;

	if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME)
		return EINVAL;
	return rfp_cond_wait(c, m, clk, rfp_narrow(t, &ts));
}

#endif
