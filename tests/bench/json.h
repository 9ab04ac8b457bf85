/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark's one JSON writer (rfbench, compare): one object per line
 * of stdout, members in the order they are added.
 *
 *   json_begin();
 *   json_str("bench", "uncontended");
 *   json_int("threads", 2);
 *   json_obj("ns_per_pair");  json_num("median", "%.6g", x);  json_obj_end();
 *   json_end();
 *
 * Numbers are printed with the printf format the caller names (the format
 * of each key is part of what report.py reads); strings are escaped where
 * JSON needs it.  json_end() flushes stdout, so call it before any fork:
 * no child inherits buffered output.
 */
#ifndef BENCH_JSON_H
#define BENCH_JSON_H

#include <stdint.h>

void json_begin(void);
void json_end(void);

/* Members of the object (or nested object) open. */
void json_str(const char *k, const char *v);
void json_int(const char *k, long long v);
/* A double, printed with @fmt ("%.6g", "%.3f"). */
void json_num(const char *k, const char *fmt, double v);
/* A 32-bit value as a string, "0x%08x". */
void json_hex32(const char *k, uint32_t v);
/* An array of @n doubles, each printed with @fmt. */
void json_array(const char *k, const char *fmt, const double *v, int n);

/* A nested object as the value of @k, closed by json_obj_end(). */
void json_obj(const char *k);
void json_obj_end(void);

#endif
