// SPDX-License-Identifier: GPL-2.0
/*
 * Owner kills under contention: four worker processes hammer one
 * process-shared rf_mutex in shared memory while the parent SIGKILLs a
 * random worker at random moments (holding, locking, unlocking, waiting)
 * and starts a new one, until 1,000 kills (200 on the debug kernel, whose
 * KASAN build under TCG is ~10x slower), or until KILL_BUDGET seconds have
 * gone, whichever comes first: a slower machine makes fewer kills, never a
 * failure.  No lock may wait past a generous deadline (a hang), and the
 * critical section's canaries must be intact, or repaired only by a
 * thread that got EOWNERDEAD.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include <robustfutex.h>

#define WORKERS		4
#define CANARIES	16
/*
 * Seconds of kills at most: 1,000 took 16 s on 6.12 under TCG.  With the
 * 30 s hang bounds below, the test stays under its harness timeout, and
 * that under the runner's 300 s for the program.
 */
#define KILL_BUDGET	150

struct arena {
	rf_mutex_t m;
	uint32_t owner;			/* pid inside the critical section */
	uint32_t canary[CANARIES];	/* all == owner while it runs */
	uint32_t guard[64];		/* outside the mutex: never written */
	uint64_t acquired, ownerdead;
	uint32_t hangs, corrupt, errors;
};

static void critical(struct arena *a, uint32_t me, int od)
{
	int i;

	/* A dead owner may have left the section half done: repair. */
	for (i = 0; i < CANARIES; i++)
		if (a->canary[i] != a->owner && !od)
			__atomic_fetch_add(&a->corrupt, 1, __ATOMIC_RELAXED);
	a->owner = me;
	for (i = 0; i < CANARIES; i++)
		a->canary[i] = me;
	for (i = 0; i < CANARIES; i++)
		if (a->canary[i] != me)
			__atomic_fetch_add(&a->corrupt, 1, __ATOMIC_RELAXED);
}

static void worker(struct arena *a)
{
	uint32_t me = getpid();

	for (;;) {
		struct timespec dl;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 30;
		r = rf_mutex_clocklock(&a->m, CLOCK_MONOTONIC, &dl);
		if (r == ETIMEDOUT) {
			__atomic_fetch_add(&a->hangs, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (r == EOWNERDEAD) {
			a->ownerdead++;
			if (rf_mutex_consistent(&a->m))
				a->errors++;
		} else if (r) {
			__atomic_fetch_add(&a->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		critical(a, me, r == EOWNERDEAD);
		a->acquired++;
		if (rf_mutex_unlock(&a->m))
			__atomic_fetch_add(&a->errors, 1, __ATOMIC_RELAXED);
	}
}

static pid_t spawn(struct arena *a)
{
	pid_t pid = fork();

	if (pid == 0) {
		worker(a);
		_exit(0);
	}
	return pid;
}

/* Seconds since the last call with @start. */
static long seconds_gone(bool start)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (start)
		t0 = t;
	return t.tv_sec - t0.tv_sec;
}

static int kills_wanted(void)
{
	struct utsname u;

	uname(&u);
	return strstr(u.release, "rfdebug") ? 200 : 1000;
}

FIXTURE(stress) {
	int unused;
};
FIXTURE_SETUP(stress) {}
FIXTURE_TEARDOWN(stress) {}

TEST_F_TIMEOUT(stress, thousand_owner_kills, 240)
{
	struct arena *a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int kills = kills_wanted(), k, i, status;
	rf_mutexattr_t attr;
	pid_t w[WORKERS];
	uint64_t last = 0;

	ASSERT_NE(MAP_FAILED, a);
	memset(a->guard, 0x5a, sizeof(a->guard));
	ASSERT_EQ(0, rf_mutexattr_init(&attr));
	ASSERT_EQ(0, rf_mutexattr_setpshared(&attr, RF_PROCESS_SHARED));
	ASSERT_EQ(0, rf_mutexattr_setrobust(&attr, RF_MUTEX_ROBUST));
	ASSERT_EQ(0, rf_mutex_init(&a->m, &attr));
	srand(1);
	for (i = 0; i < WORKERS; i++)
		w[i] = spawn(a);
	seconds_gone(true);
	for (k = 0; k < kills; k++) {
		if (seconds_gone(false) >= KILL_BUDGET) {
			TH_LOG("%d s gone: %d kills of %d", KILL_BUDGET, k,
			       kills);
			kills = k;
			break;
		}
		usleep(rand() % 3000);
		i = rand() % WORKERS;
		kill(w[i], SIGKILL);
		waitpid(w[i], &status, 0);
		w[i] = spawn(a);
		if (k % 100 == 99) {
			/* Progress: the mutex keeps changing hands. */
			for (int t = 0; t < 3000 && a->acquired == last; t++)
				usleep(10000);
			ASSERT_NE(last, a->acquired) TH_LOG("no progress after %d kills", k + 1);
			if (k % 250 == 249)
				TH_LOG("%d kills, %llu acquisitions", k + 1,
				       (unsigned long long)a->acquired);
			last = a->acquired;
		}
	}
	for (i = 0; i < WORKERS; i++) {
		kill(w[i], SIGKILL);
		waitpid(w[i], &status, 0);
	}
	TH_LOG("%d kills: %llu acquisitions, %llu EOWNERDEAD", kills,
	       (unsigned long long)a->acquired,
	       (unsigned long long)a->ownerdead);
	EXPECT_EQ(0, a->hangs);
	EXPECT_EQ(0, a->corrupt);
	EXPECT_EQ(0, a->errors);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0x5a5a5a5a, a->guard[i]);
	/* Still usable, by us. */
	i = rf_mutex_lock(&a->m);
	EXPECT_TRUE(i == 0 || i == EOWNERDEAD);
	if (i == EOWNERDEAD)
		EXPECT_EQ(0, rf_mutex_consistent(&a->m));
	EXPECT_EQ(0, rf_mutex_unlock(&a->m));
}

TEST_HARNESS_MAIN
