// SPDX-License-Identifier: GPL-2.0
/*
 * Thread exits while the words they owned, or were woken for, are
 * contended.  Each exit of a registered thread passes through the
 * module's exit hook, which wakes the thread's waiters and passes on a
 * wake it may not have used: both take the locks that the surviving
 * threads are hammering at that moment (the word's wait bucket, the
 * owner's registration).  On PREEMPT_RT those locks sleep, and the hook
 * must not take them where nothing may sleep (the tracepoint probe): a
 * contended one there scheduled with preemption disabled and brought
 * the kernel down.  The VM runner judges the kernel log; the test
 * checks that every lock changed hands, that none was held twice at
 * once, and that every death while holding was reported once.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/utsname.h>
#include "kselftest_harness.h"
#include <robustfutex.h>

/* The harness's fixture wrapper calls setjmp(); its own local is safe. */
#pragma GCC diagnostic ignored "-Wclobbered"

#define THREADS		8	/* alive at any time */
#define ROUNDS		16	/* lock/unlock pairs before a thread exits */

struct arena {
	rf_mutex_t m[2];		/* two words, each its own bucket */
	int inside[2];			/* threads in the critical section */
	unsigned long acquired[2], ownerdead[2], died_holding[2];
	unsigned int overlap, errors, hangs;
	unsigned int seq;		/* exits so far: picks who dies holding */
};

static struct arena A;

static int lock_one(int i)
{
	struct timespec dl;
	int r;

	/* Only a hang is judged: a minute is nothing a live lock waits. */
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 60;
	r = rf_mutex_clocklock(&A.m[i], CLOCK_MONOTONIC, &dl);
	if (r == ETIMEDOUT) {
		__atomic_fetch_add(&A.hangs, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (r == EOWNERDEAD) {
		A.ownerdead[i]++;
		if (rf_mutex_consistent(&A.m[i]))
			__atomic_fetch_add(&A.errors, 1, __ATOMIC_RELAXED);
	} else if (r) {
		__atomic_fetch_add(&A.errors, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (__atomic_add_fetch(&A.inside[i], 1, __ATOMIC_ACQ_REL) != 1)
		__atomic_fetch_add(&A.overlap, 1, __ATOMIC_RELAXED);
	A.acquired[i]++;
	return 0;
}

static void unlock_one(int i)
{
	__atomic_sub_fetch(&A.inside[i], 1, __ATOMIC_ACQ_REL);
	if (rf_mutex_unlock(&A.m[i]))
		__atomic_fetch_add(&A.errors, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	unsigned int n;
	int r, i = (int)(long)arg;

	for (r = 0; r < ROUNDS; r++) {
		if (lock_one(i))
			continue;
		/* Let the others pile up asleep on the word. */
		sched_yield();
		unlock_one(i);
	}
	/* One exit in four holds the lock: its waiters must recover it. */
	n = __atomic_fetch_add(&A.seq, 1, __ATOMIC_RELAXED);
	if (n % 4 == 3 && !lock_one(i)) {
		__atomic_sub_fetch(&A.inside[i], 1, __ATOMIC_ACQ_REL);
		A.died_holding[i]++;	/* under the lock, before the death */
	}
	return NULL;
}

static int exits_wanted(void)
{
	struct utsname u;

	uname(&u);
	/* The debug kernel (KASAN, lockdep) runs ~10x slower under TCG. */
	return strstr(u.release, "rfdebug") ? 400 : 2000;
}

static void run(struct __test_metadata *_metadata, bool pshared)
{
	int exits = exits_wanted(), started = 0, done = 0, i, r;
	pthread_t th[THREADS];
	rf_mutexattr_t attr;

	memset(&A, 0, sizeof(A));
	ASSERT_EQ(0, rf_mutexattr_init(&attr));
	ASSERT_EQ(0, rf_mutexattr_setpshared(&attr, pshared ?
					     RF_PROCESS_SHARED :
					     RF_PROCESS_PRIVATE));
	ASSERT_EQ(0, rf_mutexattr_setrobust(&attr, RF_MUTEX_ROBUST));
	ASSERT_EQ(0, rf_mutex_init(&A.m[0], &attr));
	ASSERT_EQ(0, rf_mutex_init(&A.m[1], &attr));
	/* Two words, threads alternating: two buckets, and exits on both. */
	for (i = 0; i < THREADS; i++, started++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker,
					    (void *)(long)(i & 1)));
	while (done < exits) {
		i = done % THREADS;
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		done++;
		if (started < exits) {
			ASSERT_EQ(0, pthread_create(&th[i], NULL, worker,
						    (void *)(long)(i & 1)));
			started++;
		}
	}
	/* The last deaths while holding are recovered by us. */
	for (i = 0; i < 2; i++) {
		r = rf_mutex_lock(&A.m[i]);
		ASSERT_TRUE(r == 0 || r == EOWNERDEAD);
		if (r == EOWNERDEAD) {
			A.ownerdead[i]++;
			EXPECT_EQ(0, rf_mutex_consistent(&A.m[i]));
		}
		EXPECT_EQ(0, rf_mutex_unlock(&A.m[i]));
		TH_LOG("word %d: %lu acquisitions, %lu deaths holding, %lu EOWNERDEAD",
		       i, A.acquired[i], A.died_holding[i], A.ownerdead[i]);
		/* Every death while holding is reported once, no more. */
		EXPECT_EQ(A.died_holding[i], A.ownerdead[i]);
	}
	EXPECT_EQ(0, A.overlap);
	EXPECT_EQ(0, A.errors);
	EXPECT_EQ(0, A.hangs);
	EXPECT_LT(exits, A.acquired[0] + A.acquired[1]);
}

FIXTURE(exitwake) {
	int unused;
};
FIXTURE_SETUP(exitwake) {}
FIXTURE_TEARDOWN(exitwake) {}

/* The harness's 30 s default is a deadline; these only catch a hang. */
TEST_F_TIMEOUT(exitwake, private_words, 140)
{
	run(_metadata, false);
}

TEST_F_TIMEOUT(exitwake, shared_words, 140)
{
	run(_metadata, true);
}

TEST_HARNESS_MAIN
