// SPDX-License-Identifier: GPL-2.0
/*
 * The exit walk writes futex words whose page is mapped but write
 * protected: soft-dirty tracking after clear_refs (CRIU's pre-dump), and
 * in the same way a MAP_SHARED file page cleaned by writeback.  Mainline's
 * walk faults such a page writable.  A single-threaded process is walked
 * by its address space's release on kernels whose exit hook comes after
 * exit_mm() (6.1, 6.12), so that walk must upgrade the page too.
 */
#include <pthread.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"
#include "rf_softdirty.h"

#define OD	FUTEX_OWNER_DIED

struct arg {
	struct tlock *lk;	/* shared with the parent */
	int threads;		/* 1: walked by the release on 6.1/6.12 */
};

static void *idle_fn(void *a)
{
	pause();
	return a;
}

/* Hold @lk on a registered list, write-protect every page, die. */
static int die_write_protected(void *p)
{
	struct arg *a = p;
	static uint64_t head[3];
	struct tlist l;
	pthread_t th;
	int fd = rf_open();

	if (fd < 0)
		return 1;
	tl_init(&l, sizeof(void *) * 8, head);
	a->lk->word = rf_gettid();
	tl_push(&l, a->lk);
	if (tl_register(fd, &l, RF_PROTO_MAINLINE) < 0)
		return 2;
	if (a->threads > 1 && pthread_create(&th, NULL, idle_fn, NULL))
		return 3;
	if (clear_soft_dirty())
		return 4;
	if (soft_dirty(a->lk) != 0)
		return 5;
	return 0;	/* exit: nothing writes the page before the walk */
}

static void run(struct __test_metadata *_metadata, int threads)
{
	struct tlock *lk = tl_map(4096, 0);
	struct arg a = { .lk = lk, .threads = threads };
	pid_t tid;
	int status;

	ASSERT_NE(NULL, lk);
	if (!have_soft_dirty())
		SKIP(return, "no soft-dirty tracking in this kernel");
	status = tl_in_child(die_write_protected, &a);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed",
						  WEXITSTATUS(status));
	tid = lk->word & FUTEX_TID_MASK;
	EXPECT_TRUE(lk->word & OD) TH_LOG("word %#x: owner %d's death not marked",
					 lk->word, tid);
}

TEST(single_thread_soft_dirty)
{
	run(_metadata, 1);
}

TEST(two_threads_soft_dirty)
{
	run(_metadata, 2);
}

TEST_HARNESS_MAIN
