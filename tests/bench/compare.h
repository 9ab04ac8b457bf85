/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What compare's files share (compare.c says what the comparison is): the
 * three mutexes behind one interface, children that die where they are
 * told, the JSON line of a case (compare_util.c), the single-stepped
 * release (compare_race.c), and one entry point per scenario group.
 */
#ifndef COMPARE_H
#define COMPARE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "../kselftest/rf_test.h"
#include <robustfutex.h>
#include "ml72.h"
#include "json.h"
#include "spawn.h"
#include "stats.h"

#define OD		RF_FUTEX_OWNER_DIED
#define WAITERS		RF_FUTEX_WAITERS
#define CAP_MS		5000	/* a waiter blocked this long is "still blocked" */

extern const char sysfs_param[];
extern const char sysfs_stat[];

/* ---- small helpers (compare_util.c) ---- */

static inline double ms_since(uint64_t t0)
{
	return (now_ns() - t0) / 1e6;
}

void die(const char *what, int err);
void progress(const char *what);
/* The JSON line of one case: {"scenario":..,"impl":..,"variant":.. */
void case_begin(const char *scenario, const char *impl, const char *variant);
/* "k":N.NNN, milliseconds */
void json_ms(const char *k, double v);
/* "0", "EOWNERDEAD", "-EINVAL": a return code as the caller saw it. */
const char *code_name(int r);
long read_long(const char *dir, const char *name);
void set_param(const char *name, long v);
void *map_shared(size_t len, bool low);
bool wait_done(sem_t *sem, long ms);

static inline uint32_t load32(const void *p)
{
	return __atomic_load_n((const uint32_t *)p, __ATOMIC_SEQ_CST);
}

static inline void store32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_SEQ_CST);
}

/* ---- the three mutexes (compare_util.c) ---- */

enum impl { MAINLINE, RF, ML72, NR_IMPLS };
extern const char *const impl_name[NR_IMPLS];

/* --only: the implementations whose cases run. */
extern bool want[NR_IMPLS];

bool runs(const char *scenario, enum impl impl, const char *variant);
void not_applicable(const char *scenario, enum impl impl,
		    const char *variant, const char *why);

/*
 * Why mainline's 32-bit list cases that need x86's int 0x80 entry do not
 * run elsewhere (arm64: the emulator's case, FEX-Emu's host).
 */
#ifdef __x86_64__
#define HAS_COMPAT_ROBUST_LIST	1
#else
#define HAS_COMPAT_ROBUST_LIST	0
#endif
#define NO_COMPAT_ROBUST_LIST \
	"a 64-bit process has no way to register a 32-bit list here: " \
	"arm64 has no compat set_robust_list for it (x86-64's int 0x80 only)"

void mutex_init(void *m, enum impl impl);
int mutex_lock(void *m, enum impl impl);
int mutex_trylock(void *m, enum impl impl);
int mutex_unlock(void *m, enum impl impl);
int mutex_consistent(void *m, enum impl impl);
size_t mutex_size(enum impl impl);
struct robust_list_head *list_head(enum impl impl);

/* The list node of the mutex whose futex word is at @word. */
static inline struct robust_list *node_of(struct robust_list_head *h,
					  void *word)
{
	return (struct robust_list *)((char *)word - h->futex_offset);
}

/* ---- children that die where they are told (spawn.c, compare_util.c) ---- */

pid_t spawn_pidns(int (*setup)(void *), void (*then)(void *), void *arg,
		  int *res);
double kill_reap(pid_t pid);

/* ---- the scenarios, by group ---- */

void run_unlock_race(void);	/* compare_race.c */
void run_list32_race(void);
void run_lost_wakeup(void);	/* compare_owner.c */
void run_many_locks(void);
void run_bad_list(void);
void run_pidns(void);
void run_lists(void);		/* compare_lists.c */
void run_ml72_check(void);	/* compare_ml72.c */

#endif
