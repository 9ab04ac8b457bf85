// SPDX-License-Identifier: GPL-2.0
/* Statistics for rfbench's results (stats.h). */
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "stats.h"

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double quantile(const double *sorted, int n, double q)
{
	int i = (int)(q * n + 0.999999) - 1;

	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return sorted[i];
}

void json_runs(const char *k, const double *v, int n)
{
	double s[MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	json_obj(k);
	json_num("median", "%.6g", quantile(s, n, 0.5));
	json_num("min", "%.6g", s[0]);
	json_num("max", "%.6g", s[n - 1]);
	json_array("runs", "%.6g", v, n);
	json_obj_end();
}
