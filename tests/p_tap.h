/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP for the programs that run under the pthread preload (p_*): they are
 * plain pthread programs, linked with no copy of librobustfutex, so they
 * do without the kselftest harness's fork per test.
 */
#ifndef P_TAP_H
#define P_TAP_H

#include <stdio.h>
#include <string.h>

static int p_failed;

#define P_CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("ok - " __VA_ARGS__);				\
	} else {							\
		printf("not ok - " __VA_ARGS__);			\
		printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond);	\
		p_failed = 1;						\
	}								\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

/* Expect @want from @expr, naming both in the line. */
#define P_EQ(want, expr, what) do {					\
	int p_got_ = (expr);						\
	P_CHECK(p_got_ == (want), "%s: %s (got %s)", what, #want,	\
		strerrorname_np(p_got_) ?: "0");			\
} while (0)

#endif
