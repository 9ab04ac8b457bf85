// SPDX-License-Identifier: GPL-2.0
/*
 * rf_mutex_* across fork and thread exit: the child's own registration,
 * an exiting thread's, and mutexes a thread still holds while its key
 * destructors run (beside glibc's).
 */
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>
#include "rf_mutex_helpers.h"

/* ---- fork and thread exit ---- */

/* The child registers its own list (fork does not inherit it). */
TEST(fork_child_registers_again)
{
	rf_mutexattr_t a;
	rf_mutex_t *m;
	int status;
	pid_t pid;

	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	ASSERT_EQ(0, rf_mutex_init(m, &a));
	ASSERT_EQ(0, rf_mutex_lock(m));		/* parent registered */
	ASSERT_EQ(0, rf_mutex_unlock(m));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (rf_mutex_lock(m))
			_exit(1);
		if (rf_mutex_word(m) != (uint32_t)rf_owner_id())
			_exit(2);
		_exit(0);		/* dies holding it */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(RF_FUTEX_OWNER_DIED, rf_mutex_word(m));
	EXPECT_EQ(EOWNERDEAD, rf_mutex_trylock(m));
	EXPECT_EQ(0, rf_mutex_consistent(m));
	EXPECT_EQ(0, rf_mutex_unlock(m));
}

static void *lock_unlock_fn(void *p)
{
	rf_mutex_t *m = p;

	if (rf_mutex_lock(m) || rf_mutex_unlock(m))
		return (void *)1;
	return NULL;
}

/* An exiting thread drops its registration itself (its TLS is reused). */
TEST(thread_exit_unregisters)
{
	rf_mutex_t m = RF_MUTEX_INITIALIZER;
	struct rf_info info;
	unsigned int before;
	pthread_t th;
	void *ret;
	int i;

	ASSERT_EQ(0, rf_info(&info));
	EXPECT_EQ(RF_ABI_VERSION, info.abi_version);
	before = info.nr_threads;
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_create(&th, NULL, lock_unlock_fn, &m));
		ASSERT_EQ(0, pthread_join(th, &ret));
		EXPECT_EQ(NULL, ret);
	}
	/* The module frees registrations after an RCU grace period. */
	RF_UNTIL(rf_info(&info) || info.nr_threads <= before, 10000);
	ASSERT_EQ(0, rf_info(&info));
	EXPECT_GE(before, info.nr_threads)
		TH_LOG("%u registrations still there after %d s", info.nr_threads,
		       RF_HANG_MS / 1000);
}

struct holder {
	rf_mutex_t m1, m2;
	pthread_key_t key;
	sem_t ready, go;
	int res;
};

static void unlock_in_destructor(void *p)
{
	struct holder *h = p;

	h->res = rf_mutex_unlock(&h->m1);
}

static void *holder_fn(void *p)
{
	struct holder *h = p;

	if (rf_mutex_lock(&h->m1) || rf_mutex_lock(&h->m2))
		return (void *)1;
	pthread_setspecific(h->key, h);
	sem_post(&h->ready);
	sem_wait(&h->go);
	return NULL;
}

/*
 * A thread exits holding m2, with a waiter asleep on it, and holding m1,
 * which a destructor that runs after the library's unlocks.  The library
 * waits for the last destructor round before it marks what is still held:
 * m1 is unlocked cleanly, the waiter on m2 gets EOWNERDEAD.
 */
TEST(thread_exit_destructors)
{
	struct holder h = { .m1 = RF_MUTEX_INITIALIZER,
			    .m2 = RF_MUTEX_INITIALIZER };
	struct waiter w = { .im = &impls[0], .m = &h.m2, .unlock = true };
	pthread_t th, wt;
	void *ret;

	/* The library's key first, so its destructor runs first. */
	ASSERT_EQ(0, rf_mutex_lock(&h.m1));
	ASSERT_EQ(0, rf_mutex_unlock(&h.m1));
	ASSERT_EQ(0, pthread_key_create(&h.key, unlock_in_destructor));
	sem_init(&h.ready, 0, 0);
	sem_init(&h.go, 0, 0);
	h.res = -1;
	ASSERT_EQ(0, pthread_create(&th, NULL, holder_fn, &h));
	sem_wait(&h.ready);
	ASSERT_EQ(0, pthread_create(&wt, NULL, waiter_fn, &w));
	ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
	sem_post(&h.go);
	ASSERT_EQ(0, pthread_join(th, &ret));
	EXPECT_EQ(NULL, ret);
	ASSERT_EQ(0, pthread_join(wt, NULL));
	EXPECT_EQ(0, h.res);
	EXPECT_EQ(EOWNERDEAD, w.res);
	EXPECT_EQ(0, rf_mutex_lock(&h.m1));
	EXPECT_EQ(0, rf_mutex_unlock(&h.m1));
	EXPECT_EQ(0, rf_mutex_lock(&h.m2));
	EXPECT_EQ(0, rf_mutex_unlock(&h.m2));
	pthread_key_delete(h.key);
}

/*
 * POSIX does not order key destructors, and a thread that runs them is not
 * yet terminated: while any destructor runs, a mutex the thread still
 * holds is still its own.  glibc's robust mutex is marked OWNER_DIED only
 * by the kernel once the thread is gone.  Same here: a destructor that
 * runs in the last round, after the library's, finds the mutex held and
 * another thread's trylock gets EBUSY; once the thread is gone, trylock
 * and lock get EOWNERDEAD.
 */
struct late {
	const struct impl *im;
	union anymutex m;
	pthread_key_t key;
	sem_t in_dtor, go;
	int rounds, res;
};

static void late_destructor(void *p)
{
	struct late *l = p;

	/* Stay for the last round, after every other key's first. */
	if (++l->rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(l->key, l);
		return;
	}
	sem_post(&l->in_dtor);
	sem_wait(&l->go);
}

static void *late_holder(void *p)
{
	struct late *l = p;

	if (l->im->lock(&l->m))
		return (void *)1;
	pthread_setspecific(l->key, l);
	return NULL;
}

TEST(held_through_late_destructors_like_glibc)
{
	int i;

	for (i = 0; i < NIMPL; i++) {
		struct late l = { .im = &impls[i] };
		rf_mutex_t warm = RF_MUTEX_INITIALIZER;
		pthread_t th;

		/* The library's key exists first: its destructor runs first. */
		ASSERT_EQ(0, rf_mutex_lock(&warm));
		ASSERT_EQ(0, rf_mutex_unlock(&warm));
		ASSERT_EQ(0, l.im->init(&l.m, 0, false));
		ASSERT_EQ(0, pthread_key_create(&l.key, late_destructor));
		sem_init(&l.in_dtor, 0, 0);
		sem_init(&l.go, 0, 0);
		ASSERT_EQ(0, pthread_create(&th, NULL, late_holder, &l));
		sem_wait(&l.in_dtor);
		EXPECT_EQ(EBUSY, l.im->trylock(&l.m))
			TH_LOG("%s: a live thread's lock was taken", l.im->name);
		sem_post(&l.go);
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(EOWNERDEAD, l.im->trylock(&l.m)) TH_LOG("%s", l.im->name);
		EXPECT_EQ(0, l.im->consistent(&l.m));
		EXPECT_EQ(0, l.im->unlock(&l.m));
		EXPECT_EQ(0, l.im->lock(&l.m));
		EXPECT_EQ(0, l.im->unlock(&l.m));
		pthread_key_delete(l.key);
	}
}

TEST_HARNESS_MAIN
