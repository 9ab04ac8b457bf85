// SPDX-License-Identifier: GPL-2.0
/*
 * Futex words the exit walk can reach only through a fault, as mainline's
 * walk (plain user access in exit_mm()) reaches them:
 *  - mapped but write protected: soft-dirty tracking after clear_refs
 *    (CRIU's pre-dump), and in the same way a MAP_SHARED file page
 *    cleaned by writeback;
 *  - not mapped at all: a shared page whose mapping was zapped
 *    (MADV_DONTNEED here; reclaim and swap-out do the same), still in
 *    the page cache.
 * The last thread of a process is walked by its address space's release
 * on kernels whose exit hook comes after exit_mm() (6.1, 6.12), and that
 * walk must fault such pages too: it makes a mapped page writable, and
 * reads in an anonymous or shmem page (docs/exit-walk.md).  Killed, the
 * walk at the signal stops at the page (it takes no fault; no kill walk
 * is counted) and the exit walk goes on from there: the resume path, on
 * every architecture (soft-dirty tracking is x86's, and a few others').
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"
#include "rf_softdirty.h"

#define OD	FUTEX_OWNER_DIED

enum hide { WRITE_PROTECT, UNMAP };

struct arg {
	struct tlock *lk;	/* shared with the parent */
	int threads;		/* 1: walked by the release on 6.1/6.12 */
	enum hide hide;
	int killed;		/* SIGKILL itself rather than exit */
};

static void *idle_fn(void *a)
{
	pause();
	return a;
}

/* Hold @lk on a registered list, hide its page from plain access, die. */
static int die_hidden(void *p)
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
	if (a->hide == WRITE_PROTECT) {
		if (clear_soft_dirty())
			return 4;
		if (soft_dirty(a->lk) != 0)
			return 5;
	} else if (madvise(a->lk, 4096, MADV_DONTNEED)) {
		return 6;
	}
	/* Nothing touches the page before the walk. */
	if (a->killed)
		kill(getpid(), SIGKILL);
	return 0;
}

static void run(struct __test_metadata *_metadata, int threads,
		enum hide hide, int killed)
{
	struct tlock *lk = tl_map(4096, 0);
	struct arg a = {
		.lk = lk, .threads = threads, .hide = hide, .killed = killed,
	};
	long long faults = rf_stat("faults"), walks = rf_stat("walks");
	long long kw = rf_stat("kill_walks");
	pid_t tid;
	int status;

	ASSERT_NE(NULL, lk);
	if (hide == WRITE_PROTECT && !have_soft_dirty())
		SKIP(return, "no soft-dirty tracking in this kernel");
	status = tl_in_child(die_hidden, &a);
	if (killed) {
		ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("step %d failed",
							WEXITSTATUS(status));
	} else {
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed",
							  WEXITSTATUS(status));
	}
	tid = lk->word & FUTEX_TID_MASK;
	EXPECT_EQ(walks + 1, rf_stat("walks"));
	EXPECT_EQ(kw, rf_stat("kill_walks")) TH_LOG("the walk at the signal did not stop");
	EXPECT_TRUE(lk->word & OD) TH_LOG("word %#x: owner %d's death not marked",
					 lk->word, tid);
	EXPECT_EQ(faults, rf_stat("faults"));
}

TEST(single_thread_soft_dirty)
{
	run(_metadata, 1, WRITE_PROTECT, 0);
}

TEST(two_threads_soft_dirty)
{
	run(_metadata, 2, WRITE_PROTECT, 0);
}

TEST(single_thread_killed_soft_dirty)
{
	run(_metadata, 1, WRITE_PROTECT, 1);
}

TEST(single_thread_unmapped)
{
	run(_metadata, 1, UNMAP, 0);
}

TEST(two_threads_unmapped)
{
	run(_metadata, 2, UNMAP, 0);
}

TEST(single_thread_killed_unmapped)
{
	run(_metadata, 1, UNMAP, 1);
}

TEST(two_threads_killed_unmapped)
{
	run(_metadata, 2, UNMAP, 1);
}

TEST_HARNESS_MAIN
