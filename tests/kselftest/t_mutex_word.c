// SPDX-License-Identifier: GPL-2.0
/*
 * The futex word and the list librobustfutex keeps: the protocol's rule
 * that a thread that slept locks with WAITERS, the layout of the intent
 * list, and an exact count under contention.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include "rf_head.h"
#include <robustfutex.h>
#include "rf_mutex_helpers.h"

/* ---- the protocol's rule: a thread that slept locks with WAITERS ---- */

TEST(slept_thread_keeps_waiters)
{
	const struct impl *im = &impls[0];
	struct waiter w[2] = {
		{ .im = im, .unlock = true }, { .im = im, .unlock = true },
	};
	rf_mutex_t m;
	pthread_t th[2];
	int i;

	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ((uint32_t)rf_owner_id(), rf_mutex_word(&m));
	for (i = 0; i < 2; i++) {
		w[i].m = &m;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, waiter_fn, &w[i]));
		ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w[i])));
	}
	EXPECT_EQ(RF_FUTEX_WAITERS | rf_owner_id(), rf_mutex_word(&m));
	ASSERT_EQ(0, rf_mutex_unlock(&m));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	/*
	 * The module wakes in FIFO order: the first waiter took the lock
	 * while the second still slept, and must have kept WAITERS set, or
	 * its unlock would not have woken the second (which then would
	 * never have returned).
	 */
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, w[i].res);
	EXPECT_EQ(RF_FUTEX_WAITERS | w[0].owner, w[0].word);
	EXPECT_EQ(w[1].owner, w[1].word & RF_OWNER_MASK);
	EXPECT_EQ(0, rf_mutex_word(&m));
}

/* ---- the word and the list the library keeps ---- */


TEST(uncontended_word_and_list)
{
	rf_mutex_t a = RF_MUTEX_INITIALIZER, b = RF_MUTEX_INITIALIZER;
	rf_mutexattr_t at;
	struct head_view *h;
	uint32_t tid = rf_owner_id();

	ASSERT_EQ(0, rf_mutex_lock(&a));
	EXPECT_EQ(tid, rf_mutex_word(&a));
	EXPECT_EQ(tid, *(uint32_t *)&a);
	h = my_intent_head();
	ASSERT_NE(NULL, h);
	/* Documented layout: futex word first, node after glibc's __kind. */
	EXPECT_EQ(-RF_NODE_OFFSET, h->futex_offset);
	EXPECT_EQ((char *)&a + RF_NODE_OFFSET, h->next);
	EXPECT_EQ(NULL, h->pending);
	ASSERT_EQ(0, rf_mutex_lock(&b));
	EXPECT_EQ((char *)&b + RF_NODE_OFFSET, h->next);
	EXPECT_EQ((char *)&a + RF_NODE_OFFSET, *(void **)h->next);
	EXPECT_EQ(h, *(void **)((char *)&a + RF_NODE_OFFSET));
	/* Out of order unlock keeps the list whole. */
	EXPECT_EQ(0, rf_mutex_unlock(&a));
	EXPECT_EQ(0, rf_mutex_word(&a));
	EXPECT_EQ((char *)&b + RF_NODE_OFFSET, h->next);
	EXPECT_EQ(h, *(void **)h->next);
	EXPECT_EQ(0, rf_mutex_unlock(&b));
	EXPECT_EQ(h, h->next);
	EXPECT_EQ(NULL, h->pending);

	/* A stalled mutex never goes on the list. */
	rf_mutexattr_init(&at);
	rf_mutexattr_setrobust(&at, RF_MUTEX_STALLED);
	ASSERT_EQ(0, rf_mutex_init(&a, &at));
	ASSERT_EQ(0, rf_mutex_lock(&a));
	EXPECT_EQ(tid, rf_mutex_word(&a));
	EXPECT_EQ(h, h->next);
	EXPECT_EQ(EINVAL, rf_mutex_consistent(&a));
	EXPECT_EQ(0, rf_mutex_unlock(&a));
}

/*
 * ---- contention ----
 * Last: its main thread never registers, so no registration is still being
 * freed when the program ends (the module drops its own reference from an
 * RCU callback; an rmmod right after the exit could find it still held).
 */

#define NTHREADS	4
#define NITER		20000

struct counter {
	rf_mutex_t m;
	pthread_barrier_t start;
	long count;
	int errors;
};

static void *incr_fn(void *p)
{
	struct counter *c = p;
	int i;

	pthread_barrier_wait(&c->start);
	for (i = 0; i < NITER; i++) {
		if (rf_mutex_lock(&c->m)) {
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		c->count++;
		if (rf_mutex_unlock(&c->m))
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

FIXTURE(contention) {
	struct counter *c;
};

FIXTURE_VARIANT(contention) {
	int robust;
	int pshared;
};

FIXTURE_VARIANT_ADD(contention, robust_private) {
	.robust = RF_MUTEX_ROBUST, .pshared = RF_PROCESS_PRIVATE,
};

FIXTURE_VARIANT_ADD(contention, robust_shared) {
	.robust = RF_MUTEX_ROBUST, .pshared = RF_PROCESS_SHARED,
};

FIXTURE_VARIANT_ADD(contention, stalled_private) {
	.robust = RF_MUTEX_STALLED, .pshared = RF_PROCESS_PRIVATE,
};

FIXTURE_SETUP(contention)
{
	rf_mutexattr_t a;

	self->c = mmap(NULL, sizeof(*self->c), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->c);
	rf_mutexattr_init(&a);
	ASSERT_EQ(0, rf_mutexattr_setrobust(&a, variant->robust));
	ASSERT_EQ(0, rf_mutexattr_setpshared(&a, variant->pshared));
	ASSERT_EQ(0, rf_mutex_init(&self->c->m, &a));
	ASSERT_EQ(0, pthread_barrier_init(&self->c->start, NULL, NTHREADS));
}

FIXTURE_TEARDOWN(contention)
{
	munmap(self->c, sizeof(*self->c));
}

/* 0.04 s on 6.12 under TCG: a bound well below the runner's 300 s. */
TEST_F_TIMEOUT(contention, exact_count, 120)
{
	pthread_t th[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, incr_fn, self->c));
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	EXPECT_EQ(0, self->c->errors);
	EXPECT_EQ((long)NTHREADS * NITER, self->c->count);
	EXPECT_EQ(0, rf_mutex_word(&self->c->m));
	EXPECT_EQ(0, rf_mutex_destroy(&self->c->m));
}

TEST_HARNESS_MAIN
