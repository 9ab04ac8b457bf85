/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Children that set a state up, say so, and wait to be killed: compare's
 * scenarios and rfbench's kills.  The program that links spawn.c defines
 * die().
 */
#ifndef RF_BENCH_SPAWN_H
#define RF_BENCH_SPAWN_H

#include <sys/types.h>

void die(const char *what, int err);

/*
 * Fork a child that runs @setup(@arg), reports its result, runs @then(@arg)
 * if given (something that blocks: the parent has its report already)
 * and then waits to be killed.  Returns the child's pid once it has
 * reported, and its result in *@res (0: the state is in place).
 */
pid_t spawn_then(int (*setup)(void *), void (*then)(void *), void *arg,
		 int *res);
/* The same without @then. */
pid_t spawn(int (*setup)(void *), void *arg, int *res);

#endif
