/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP for the programs that run under the pthread preload (p_*), through
 * the kernel's kselftest.h (tests/harness.sh puts it in build/include):
 * they are plain pthread programs, linked with no copy of librobustfutex,
 * so they do without the kselftest harness's fork per test.  p_start()
 * prints the header; each check is one result line, tagged with the
 * implementation that ran; p_finish() prints the plan (the number of
 * checks made), the totals, and exits 0 only if none failed.
 */
#ifndef P_TAP_H
#define P_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"

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

/* The header; stdout line-buffered, so a child forked later repeats nothing. */
static inline void p_start(void)
{
	ksft_print_header();
}

/* One result: @fmt (a literal) and its arguments describe the check. */
#define P_CHECK(cond, fmt, ...) do {					\
	if (cond)							\
		ksft_test_result_pass("%s" fmt "\n", p_tag(),		\
				      ##__VA_ARGS__);			\
	else								\
		ksft_test_result_fail("%s" fmt "  (%s:%d: %s)\n",	\
				      p_tag(), ##__VA_ARGS__,		\
				      __FILE__, __LINE__, #cond);	\
} while (0)

/* The plan is the number of checks made; exits 1 if any failed. */
static inline __noreturn void p_finish(void)
{
	ksft_set_plan(ksft_test_num());
	ksft_finished();
}

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
