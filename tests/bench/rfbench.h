/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rfbench's files share (rfbench.c says what each bench measures):
 * the options, the four mutexes behind one interface (rfbench_mutex.c),
 * and one entry point per bench.
 */
#ifndef RFBENCH_H
#define RFBENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <robustfutex.h>

#include "ml72.h"
#include "json.h"
#include "stats.h"

#define MAX_THREADS	8

enum impl { IMPL_RF, IMPL_GLIBC_ROBUST, IMPL_GLIBC_NORMAL, IMPL_ML72,
	    NR_IMPLS };

extern const char *const impl_names[NR_IMPLS];

struct rfbench_opt {
	bool quick;
	bool native;
	bool pin;		/* exitrate: stay on one CPU */
	const char *clock;	/* what the guest clock counts, for the record */
	int runs;
	long iters;		/* 0: the subcommand's default */
	int impl;		/* pairs: which one */
	int idle;		/* forkreg: idle processes (default 2000) */
	int only;		/* --only: the one implementation, or -1 */
	const char *as;		/* --as: its label in the results */
};

extern struct rfbench_opt opt;

/* Whether implementation (or floor) @i runs: all of them, or --only's. */
static inline bool selected(int i)
{
	return opt.only < 0 || i == opt.only;
}

void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(const char *what, int err);
long iters_or(long def, long quick_def);

/* ---- the four mutexes behind one interface (rfbench_mutex.c) ---- */

struct bm {
	union {
		rf_mutex_t rf;
		pthread_mutex_t pt;
		ml72_mutex_t ml72;
	};
	enum impl impl;
};

const char *na_reason(enum impl i);
/* The label of @i in the results: its name, or --as for --only's. */
const char *impl_name(enum impl i);
int mutex_init(void *m, enum impl impl, bool pshared);
int bm_init(struct bm *b, enum impl impl, bool pshared);
bool module_loaded(void);
void settle_kill(long long before);
double kill_timed(pid_t pid, long long before);
void *map_shared(size_t len);

static inline int mutex_lock(void *m, enum impl impl)
{
	switch (impl) {
	case IMPL_RF:	return rf_mutex_lock(m);
	case IMPL_ML72:	return ml72_lock(m);
	default:	return pthread_mutex_lock(m);
	}
}

static inline int bm_lock(struct bm *b)
{
	switch (b->impl) {
	case IMPL_RF:	return rf_mutex_lock(&b->rf);
	case IMPL_ML72:	return ml72_lock(&b->ml72);
	default:	return pthread_mutex_lock(&b->pt);
	}
}

static inline int bm_unlock(struct bm *b)
{
	switch (b->impl) {
	case IMPL_RF:	return rf_mutex_unlock(&b->rf);
	case IMPL_ML72:	return ml72_unlock(&b->ml72);
	default:	return pthread_mutex_unlock(&b->pt);
	}
}

static inline int bm_consistent(struct bm *b)
{
	switch (b->impl) {
	case IMPL_RF:	return rf_mutex_consistent(&b->rf);
	case IMPL_ML72:	return ml72_consistent(&b->ml72);
	default:	return pthread_mutex_consistent(&b->pt);
	}
}

/* The futex word: the first 4 bytes of either kind of mutex. */
static inline uint32_t word_of(void *m)
{
	return __atomic_load_n((uint32_t *)m, __ATOMIC_RELAXED);
}

/* Arrays of bare mutexes, @n of kind @i at @base (exitcost, reap). */
size_t mutex_size(enum impl i);
void *mutex_at(void *base, enum impl i, long k);
void init_array(void *base, enum impl i, long n);
int lock_array(void *base, enum impl i, long n);
long count_owner_died(void *base, enum impl i, long n);

/* A bench @i cannot run here (ml72 without 7.2's release): say so. */
void emit_na(const char *bench, enum impl i, const char *unit, int n);
/*
 * Which implementations a throughput bench runs: the selected ones that
 * can (ml72 may not; the others must).
 */
void runnable(bool *ok, int (*init)(enum impl, void *), void *arg,
	      const char *what);

/* ---- the benches, one file per family ---- */

void bench_uncontended(void);	/* rfbench_uncontended.c */
void bench_pairs(void);
void bench_contended(void);	/* rfbench_throughput.c */
void bench_pshared(void);
void bench_recovery(void);	/* rfbench_recovery.c */
void bench_reap(void);
void bench_exitrate(void);	/* rfbench_exit.c */
void bench_exitcost(void);
void bench_forkreg(void);
void bench_crowd(void);		/* rfbench_crowd.c */

#endif
