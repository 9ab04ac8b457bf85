/* SPDX-License-Identifier: GPL-2.0 */
/* The module's parameters and counters, read and set by the benchmarks. */
#ifndef RF_BENCH_SYSFS_H
#define RF_BENCH_SYSFS_H

/* The number in the file at @path, or -1 if it cannot be read. */
long sysfs_read_long(const char *path);
/* Write @v to @path: 0, or -errno (-EIO for a short write). */
int sysfs_write_long(const char *path, long v);

#endif
