// SPDX-License-Identifier: GPL-2.0
/*
 * rf_mutex_* against glibc's robust pthread mutexes.  Each table case runs
 * the same steps through both and requires the same, expected, result at
 * every step.  What a table cannot say is in the other t_mutex_*.c
 * programs; what they share is in rf_mutex_helpers.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>
#include "rf_mutex_helpers.h"

/* ---- steps, by name ---- */

static const char *const op_names[] = {
	"end", "lock", "trylock", "timedlock(REALTIME)",
	"clocklock(REALTIME)", "clocklock(MONOTONIC)",
	"timedlock(tv_nsec=1e9)", "clocklock(CPUTIME)", "unlock", "consistent",
	"destroy", "lock+exit", "lock*2+exit",
};

/* ---- the table ---- */

#define MAXSTEPS 12

FIXTURE(cmp) {
	union anymutex *m[NIMPL];
};

FIXTURE_VARIANT(cmp) {
	int type;
	bool pshared;
	struct step steps[MAXSTEPS];
};

FIXTURE_SETUP(cmp)
{
	int i;

	for (i = 0; i < NIMPL; i++) {
		self->m[i] = mmap(NULL, sizeof(union anymutex),
				  PROT_READ | PROT_WRITE,
				  (variant->pshared ? MAP_SHARED : MAP_PRIVATE) |
				  MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->m[i]);
		ASSERT_EQ(0, impls[i].init(self->m[i], variant->type,
					   variant->pshared));
	}
}

FIXTURE_TEARDOWN(cmp)
{
	int i;

	for (i = 0; i < NIMPL; i++)
		munmap(self->m[i], sizeof(union anymutex));
}

FIXTURE_VARIANT_ADD(cmp, normal_lock_unlock) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ TRYLOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ DESTROY, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, trylock_held) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { TRYLOCK, OTHER, EBUSY },
		{ TRYLOCK, MAIN, EBUSY }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, trylock_held_shared) {
	.type = T_NORMAL, .pshared = true, .steps = {
		{ LOCK, MAIN, 0 }, { TRYLOCK, OTHER, EBUSY },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, errorcheck_relock) {
	.type = T_ERRORCHECK, .steps = {
		{ LOCK, MAIN, 0 }, { LOCK, MAIN, EDEADLK },
		{ TRYLOCK, MAIN, EDEADLK }, { TRYLOCK, OTHER, EBUSY },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, recursive) {
	.type = T_RECURSIVE, .steps = {
		{ LOCK, MAIN, 0 }, { LOCK, MAIN, 0 }, { TRYLOCK, MAIN, 0 },
		{ TRYLOCK, OTHER, EBUSY }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, 0 }, { TRYLOCK, OTHER, EBUSY },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, unlock_not_owner_normal) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { UNLOCK, OTHER, EPERM },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, unlock_not_owner_errorcheck) {
	.type = T_ERRORCHECK, .steps = {
		{ LOCK, MAIN, 0 }, { UNLOCK, OTHER, EPERM },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, unlock_not_owner_recursive) {
	.type = T_RECURSIVE, .steps = {
		{ LOCK, MAIN, 0 }, { LOCK, MAIN, 0 }, { UNLOCK, OTHER, EPERM },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, timedlock_realtime) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { TIMED_RT, OTHER, ETIMEDOUT },
		{ UNLOCK, MAIN, 0 }, { TIMED_RT, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, clocklock_realtime) {
	.type = T_ERRORCHECK, .steps = {
		{ LOCK, MAIN, 0 }, { CLOCK_RT, OTHER, ETIMEDOUT },
		{ UNLOCK, MAIN, 0 }, { CLOCK_RT, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, clocklock_monotonic) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { CLOCK_MONO, OTHER, ETIMEDOUT },
		{ UNLOCK, MAIN, 0 }, { CLOCK_MONO, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, clocklock_monotonic_shared) {
	.type = T_RECURSIVE, .pshared = true, .steps = {
		{ LOCK, MAIN, 0 }, { CLOCK_MONO, OTHER, ETIMEDOUT },
		{ CLOCK_MONO, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

/* tv_nsec is checked only when the caller would block; clock always. */
FIXTURE_VARIANT_ADD(cmp, timed_bad_args) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { TIMED_BADNSEC, OTHER, EINVAL },
		{ CLOCK_BADCLK, OTHER, EINVAL }, { UNLOCK, MAIN, 0 },
		{ CLOCK_BADCLK, MAIN, EINVAL }, { TIMED_BADNSEC, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_shared) {
	.type = T_ERRORCHECK, .pshared = true, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_trylock) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { TRYLOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_timedlock) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { TIMED_RT, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_recursive) {
	.type = T_RECURSIVE, .steps = {
		{ DIE_HOLDING2, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { LOCK, MAIN, 0 },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, EPERM },
	} };

/* Dying again before consistent(): the next owner is told again. */
FIXTURE_VARIANT_ADD(cmp, owner_exits_inconsistent) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { DIE_HOLDING, OTHER, EOWNERDEAD },
		{ LOCK, MAIN, EOWNERDEAD }, { CONSISTENT, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

/*
 * glibc's trylock of a not-recoverable mutex returns ENOTRECOVERABLE but
 * leaves the lock word taken (it tests "oldval == id" after a CAS from 0),
 * so trylock comes last here (not_recoverable_word checks rf_mutex alone).
 */
FIXTURE_VARIANT_ADD(cmp, not_recoverable) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ UNLOCK, MAIN, 0 }, { LOCK, MAIN, ENOTRECOVERABLE },
		{ TIMED_RT, OTHER, ENOTRECOVERABLE },
		{ LOCK, OTHER, ENOTRECOVERABLE },
		{ UNLOCK, MAIN, EPERM }, { CONSISTENT, MAIN, EINVAL },
		{ TRYLOCK, MAIN, ENOTRECOVERABLE }, { DESTROY, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, not_recoverable_shared_recursive) {
	.type = T_RECURSIVE, .pshared = true, .steps = {
		{ DIE_HOLDING2, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ UNLOCK, MAIN, 0 }, { LOCK, OTHER, ENOTRECOVERABLE },
		{ LOCK, MAIN, ENOTRECOVERABLE },
	} };

FIXTURE_VARIANT_ADD(cmp, consistent_when_consistent) {
	.type = T_NORMAL, .steps = {
		{ CONSISTENT, MAIN, EINVAL }, { LOCK, MAIN, 0 },
		{ CONSISTENT, MAIN, EINVAL }, { UNLOCK, MAIN, 0 },
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { CONSISTENT, MAIN, EINVAL },
		{ UNLOCK, MAIN, 0 },
	} };

TEST_F(cmp, same_as_glibc)
{
	int res[NIMPL][MAXSTEPS];
	int i, s;

	for (i = 0; i < NIMPL; i++)
		for (s = 0; s < MAXSTEPS && variant->steps[s].op != END; s++)
			res[i][s] = run_step(&impls[i], self->m[i],
					     &variant->steps[s]);
	for (s = 0; s < MAXSTEPS && variant->steps[s].op != END; s++) {
		const struct step *st = &variant->steps[s];
		const char *who = st->who == MAIN ? "main" : "other thread";

		EXPECT_EQ(res[1][s], res[0][s])
			TH_LOG("step %d, %s %s: rf_mutex %s, pthread_mutex %s",
			       s, who, op_names[st->op], errname(res[0][s]),
			       errname(res[1][s]));
		EXPECT_EQ(st->expect, res[0][s])
			TH_LOG("step %d, %s %s: rf_mutex gave %s, expected %s",
			       s, who, op_names[st->op], errname(res[0][s]),
			       errname(st->expect));
		EXPECT_EQ(st->expect, res[1][s])
			TH_LOG("step %d, %s %s: pthread_mutex gave %s, expected %s",
			       s, who, op_names[st->op], errname(res[1][s]),
			       errname(st->expect));
	}
}

TEST_HARNESS_MAIN
