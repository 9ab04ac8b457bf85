// SPDX-License-Identifier: GPL-2.0
/*
 * The address space a registration's lists live in, and the walk that
 * runs when that address space itself goes.
 *
 * A registration holds no mm_users reference (mmget() past the owner's
 * exit_mm() makes mm_update_next_owner() scan every process in the
 * system, on every registered exit).  Instead each registration is an
 * mmu interval notifier on its mm, over a range nothing maps (address 0,
 * one byte), which pins only the struct mm_struct (mm_count).  So the walk
 * of a dead thread reads its lists:
 *  - in the dying thread itself (task_work), while another user keeps the
 *    address space (mmget_not_zero() succeeds), or
 *  - from the notifier, which exit_mmap() calls first thing with the event
 *    MMU_NOTIFY_RELEASE, the address space still whole, in whoever drops
 *    the last user: usually the last thread of the process in its own
 *    exit_mm(), or the exec'ing thread in exec_mmap().
 * Whichever claims the registration first walks it (RF_WALK_*, rf.h); if
 * the task_work finds no user left before the release has run, it hands
 * the release both the walk and the end of the teardown.
 *
 * An interval notifier, not a plain mmu_notifier: the plain kind's
 * release ends in synchronize_srcu(), which made every registered process
 * exit wait for an SRCU grace period (measured: exit_mmap() 13 ms against
 * 0.25 ms under QEMU TCG).  The interval tree's release path has no such
 * wait; the price is an interval-tree lookup, under the mm's notifier
 * lock, on each invalidation in a registered process.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include "rf.h"

/*
 * Every invalidation that overlaps address 0 comes here too (a program
 * that maps page 0); only the release means anything.
 */
static bool rf_mm_invalidate(struct mmu_interval_notifier *mni,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct rf_thread *t = container_of(mni, struct rf_thread, mni);
	int old;

	if (range->event != MMU_NOTIFY_RELEASE)
		return true;
	/*
	 * @t stays: its removal (rf_mm_detach()) waits for an invalidation
	 * in progress to end.  No faults here: mm_users is 0 (khugepaged
	 * must not see the mm again), and this may not be a dying task.
	 */
	old = atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_RELEASE);
	if (old == RF_WALK_HANDED)	/* only we move it on from there */
		atomic_set(&t->walk, RF_WALK_RELEASE);
	if (old == RF_WALK_IDLE || old == RF_WALK_HANDED)
		rf_walk_thread(t, true);
	/* Removing our own notifier would wait for this very release. */
	if (old == RF_WALK_HANDED)
		queue_work(system_unbound_wq, &t->teardown);
	return true;
}

static const struct mmu_interval_notifier_ops rf_mm_ops = {
	.invalidate	= rf_mm_invalidate,
};

/* Attach @t, a new registration of the current thread, to its mm. */
int rf_mm_attach(struct rf_thread *t)
{
	int ret = mmu_interval_notifier_insert(&t->mni, current->mm, 0, 1,
					       &rf_mm_ops);

	/*
	 * The mm's first notifier takes every lock of the mm and gives up
	 * with -EINTR on any pending signal: the caller (a first lock) must
	 * never see that, so the ioctl restarts after the handler.
	 */
	if (ret == -EINTR)
		return -ERESTARTNOINTR;
	if (!ret)
		t->mm = current->mm;
	return ret;
}

/* Detach @t; its mm pointer is not to be used after this.  May sleep. */
void rf_mm_detach(struct rf_thread *t)
{
	mmu_interval_notifier_remove(&t->mni);
}
