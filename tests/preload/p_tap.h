/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP for the programs that run under the pthread preload (p_*): they are
 * plain pthread programs, linked with no copy of librobustfutex, so they
 * do without the kselftest harness's fork per test.
 */
#ifndef P_TAP_H
#define P_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int p_failed;

/*
 * Seconds a wait that must end may take: only a hang takes that long, on
 * the slowest machine the suite runs on (TCG, a debug kernel).  No check
 * judges how fast a thing came; a wait for one costs nothing when it comes.
 */
#define HANG_S	20

/* Each line says which implementation ran: the same binary runs twice. */
static inline const char *p_tag(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && *p ? "[preload] " : "[glibc] ";
}

#define P_CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("ok - %s", p_tag());				\
		printf(__VA_ARGS__);					\
	} else {							\
		printf("not ok - %s", p_tag());				\
		printf(__VA_ARGS__);					\
		printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond);	\
		p_failed = 1;						\
	}								\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

static inline const char *p_err(int e)
{
	static char buf[16];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

/* Expect @want from @expr, naming both in the line. */
#define P_EQ(want, expr, what) do {					\
	int p_got_ = (expr);						\
	P_CHECK(p_got_ == (want), "%s: %s (got %s)", what, #want,	\
		p_err(p_got_));						\
} while (0)

#endif
