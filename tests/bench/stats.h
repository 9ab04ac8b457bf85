/* SPDX-License-Identifier: GPL-2.0 */
/* Time and the statistics rfbench reports (stats.c). */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>
#include <time.h>

/* At most this many repetitions of one measurement (--runs). */
#define MAX_RUNS	64

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* For qsort() of doubles, ascending. */
int cmp_double(const void *a, const void *b);
/* The value below which @q (0..1) of the sorted @v lie (nearest rank). */
double quantile(const double *sorted, int n, double q);
/*
 * The member "k":{"median":..,"min":..,"max":..,"runs":[..]} of the JSON
 * object open (json.h), the runs in run order; @n <= MAX_RUNS.
 */
void json_runs(const char *k, const double *v, int n);

#endif
