// SPDX-License-Identifier: GPL-2.0
/*
 * rf_mutex_* when its holder dies where a table cannot put it: a process
 * killed holding a shared mutex (beside glibc's), a mutex made not
 * recoverable with a waiter asleep on it, and a holder killed in the
 * middle of its unlock.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include "rf_head.h"
#include <robustfutex.h>
#include "rf_mutex_helpers.h"

/* The harness's fixture wrapper calls setjmp(); its own local is safe. */
#pragma GCC diagnostic ignored "-Wclobbered"

/* ---- a process killed holding a shared mutex ---- */

static void sigkill_holder(struct __test_metadata *_metadata, bool use_memfd)
{
	int i;

	for (i = 0; i < NIMPL; i++) {
		const struct impl *im = &impls[i];
		struct waiter w = { .im = im, .unlock = true };
		pthread_t th;
		int pipefd[2], status;
		pid_t pid;
		char c;
		void *m = map_shared(use_memfd);

		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, im->init(m, T_NORMAL, true));
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			c = im->lock(m) == 0 ? 'y' : 'n';
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		ASSERT_EQ('y', c);
		/* One waiter blocked in the lock when the holder dies ... */
		w.m = m;
		ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
		EXPECT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(EOWNERDEAD, w.res) TH_LOG("%s: waiter got %s",
						    im->name, errname(w.res));
		/* ... and one that comes later. */
		m = map_shared(use_memfd);
		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, im->init(m, T_NORMAL, true));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			c = im->lock(m) == 0 ? 'y' : 'n';
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		ASSERT_EQ('y', c);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(EOWNERDEAD, im->lock(m)) TH_LOG("%s", im->name);
		EXPECT_EQ(0, im->consistent(m));
		EXPECT_EQ(0, im->unlock(m));
		EXPECT_EQ(0, im->lock(m));
		EXPECT_EQ(0, im->unlock(m));
		close(pipefd[0]);
		close(pipefd[1]);
	}
}

TEST(sigkill_holder_shared_anon)
{
	sigkill_holder(_metadata, false);
}

TEST(sigkill_holder_memfd)
{
	sigkill_holder(_metadata, true);
}

TEST(not_recoverable_word)
{
	struct waiter w = { .im = &impls[0] };
	rf_mutex_t m;
	pthread_t th;
	struct step die = { DIE_HOLDING, OTHER, 0 };
	struct timespec ts = { 0, 0 };

	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	ASSERT_EQ(0, run_step(&impls[0], &m, &die));
	/*
	 * A thread that exits (rather than being killed) drops its list in
	 * its key destructor; the word keeps its dead owner's ID until the
	 * next locker has the module mark it.
	 */
	EXPECT_NE(0, rf_mutex_word(&m) & RF_OWNER_MASK);
	ASSERT_EQ(EOWNERDEAD, rf_mutex_lock(&m));
	/* A waiter asleep when it becomes unrecoverable is told so. */
	w.m = &m;
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
	ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
	ASSERT_EQ(0, rf_mutex_unlock(&m));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(ENOTRECOVERABLE, w.res);
	EXPECT_EQ(RF_MUTEX_NOTRECOVERABLE_WORD, rf_mutex_word(&m));
	/* Unlike glibc's, this trylock leaves the word alone. */
	EXPECT_EQ(ENOTRECOVERABLE, rf_mutex_trylock(&m));
	EXPECT_EQ(RF_MUTEX_NOTRECOVERABLE_WORD, rf_mutex_word(&m));
	EXPECT_EQ(EPERM, rf_mutex_unlock(&m));
	EXPECT_EQ(ENOTRECOVERABLE, rf_mutex_timedlock(&m, &ts));
	EXPECT_EQ(0, rf_mutex_destroy(&m));
	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	EXPECT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ(0, rf_mutex_unlock(&m));
}

/* ---- a holder killed in the middle of its unlock ---- */

/*
 * The child locks a shared mutex, then does the first steps of
 * rf_mutex_unlock() by hand (pending = node|UNLOCK, fetch_or RELEASING,
 * and for "dequeued" the dequeue) and is killed there.  The module must
 * not write the word (it may be reused memory), yet the waiters must get
 * the lock: as 0, not EOWNERDEAD, since the owner had finished with it.
 */
FIXTURE(mid_unlock) {
	rf_mutex_t *m;
};

FIXTURE_VARIANT(mid_unlock) {
	bool dequeued;
	bool waiter_first;
};

FIXTURE_VARIANT_ADD(mid_unlock, after_intent) {
	.dequeued = false, .waiter_first = false,
};
FIXTURE_VARIANT_ADD(mid_unlock, after_intent_waiter_asleep) {
	.dequeued = false, .waiter_first = true,
};
FIXTURE_VARIANT_ADD(mid_unlock, after_dequeue) {
	.dequeued = true, .waiter_first = false,
};
FIXTURE_VARIANT_ADD(mid_unlock, after_dequeue_waiter_asleep) {
	.dequeued = true, .waiter_first = true,
};

FIXTURE_SETUP(mid_unlock)
{
	rf_mutexattr_t a;

	self->m = map_shared(false);
	ASSERT_NE(MAP_FAILED, self->m);
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	ASSERT_EQ(0, rf_mutex_init(self->m, &a));
}

FIXTURE_TEARDOWN(mid_unlock)
{
	munmap(self->m, 4096);
}

TEST_F(mid_unlock, waiters_get_it)
{
	struct waiter w = { .im = &impls[0], .m = self->m, .unlock = true };
	int up[2], down[2], status;
	pthread_t th;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct head_view *h;
		char *node = (char *)self->m + RF_NODE_OFFSET;

		c = rf_mutex_lock(self->m) == 0 ? 'y' : 'n';
		*(uint32_t *)((char *)self->m + 64) = rf_owner_id();
		h = my_intent_head();
		if (!h || h->next != node)
			c = 'n';
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(1);
		h->pending = node + RF_PENDING_UNLOCK;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		__atomic_fetch_or((uint32_t *)self->m, RF_RELEASING,
				  __ATOMIC_SEQ_CST);
		if (variant->dequeued)
			h->next = (void *)h;	/* it was the only entry */
		c = 'y';
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(up[0], &c, 1));
	ASSERT_EQ('y', c);
	if (variant->waiter_first) {
		ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
		ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
	}
	ASSERT_EQ(1, write(down[1], &c, 1));
	ASSERT_EQ(1, read(up[0], &c, 1));
	EXPECT_EQ(*(uint32_t *)((char *)self->m + 64) | RF_RELEASING,
		  rf_mutex_word(self->m) & ~RF_FUTEX_WAITERS);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (variant->waiter_first) {
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(0, w.res) TH_LOG("waiter got %s", errname(w.res));
		EXPECT_EQ(RF_FUTEX_WAITERS | w.owner, w.word);
	}
	EXPECT_EQ(0, rf_mutex_lock(self->m));
	EXPECT_EQ((uint32_t)rf_owner_id(),
		  rf_mutex_word(self->m) & RF_OWNER_MASK);
	EXPECT_EQ(EINVAL, rf_mutex_consistent(self->m));
	EXPECT_EQ(0, rf_mutex_unlock(self->m));
	EXPECT_EQ(0, rf_mutex_word(self->m));
	close(up[0]); close(up[1]); close(down[0]); close(down[1]);
}

TEST_HARNESS_MAIN
