// SPDX-License-Identifier: GPL-2.0
/*
 * Per address space: the registrations whose lists live in it, and an mmu
 * notifier whose release walks them when the address space itself goes.
 *
 * A registration holds no mm_users reference (mmget() past the owner's
 * exit_mm() makes mm_update_next_owner() scan every process in the
 * system, on every registered exit).  The notifier pins only the struct
 * mm_struct (mm_count).  So the walk of a dead thread reads its lists:
 *  - in the dying thread itself (task_work), while another user keeps the
 *    address space (mmget_not_zero() succeeds), or
 *  - in ->release, which exit_mmap() calls first thing, in whoever drops
 *    the last user: usually the last thread of the process in its
 *    exit_mm(), or the exec'ing thread in exec_mmap().
 * Whichever claims the registration first walks it; the other skips it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include "rf.h"

struct rf_mm {
	struct mmu_notifier mn;
	spinlock_t lock;		/* threads */
	struct list_head threads;	/* rf_thread.mmnode */
};

static struct mmu_notifier *rf_mm_alloc(struct mm_struct *mm)
{
	struct rf_mm *rmm = kzalloc(sizeof(*rmm), GFP_KERNEL_ACCOUNT);

	if (!rmm)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&rmm->lock);
	INIT_LIST_HEAD(&rmm->threads);
	return &rmm->mn;
}

static void rf_mm_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct rf_mm, mn));
}

/*
 * The address space is about to be torn down, still whole.  Walk every
 * registration the dying threads' task_work could not (or will not) walk.
 * Taken under the lock, each is referenced and moved to a private list,
 * since walking sleeps.
 */
static void rf_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct rf_mm *rmm = container_of(mn, struct rf_mm, mn);
	struct rf_thread *t, *tmp;
	LIST_HEAD(todo);

	spin_lock(&rmm->lock);
	list_for_each_entry(t, &rmm->threads, mmnode) {
		if (!rf_walk_claim(t))
			continue;
		refcount_inc(&t->ref);
		list_add_tail(&t->rnode, &todo);
	}
	spin_unlock(&rmm->lock);
	list_for_each_entry_safe(t, tmp, &todo, rnode) {
		rf_walk_thread(t);
		rf_thread_put(t);
	}
}

static const struct mmu_notifier_ops rf_mm_ops = {
	.release	= rf_mm_release,
	.alloc_notifier	= rf_mm_alloc,
	.free_notifier	= rf_mm_free,
};

/* Link @t, a new registration of the current thread, to its mm. */
int rf_mm_attach(struct rf_thread *t)
{
	struct mm_struct *mm = current->mm;
	struct mmu_notifier *mn;
	int ret;

	ret = mmap_write_lock_killable(mm);
	if (ret)
		return ret;
	mn = mmu_notifier_get_locked(&rf_mm_ops, mm);
	mmap_write_unlock(mm);
	if (IS_ERR(mn))
		return PTR_ERR(mn);
	t->mm = mm;
	t->rmm = container_of(mn, struct rf_mm, mn);
	spin_lock(&t->rmm->lock);
	list_add(&t->mmnode, &t->rmm->threads);
	spin_unlock(&t->rmm->lock);
	return 0;
}

/* Unlink @t; its mm pointer is not to be used after this. */
void rf_mm_detach(struct rf_thread *t)
{
	spin_lock(&t->rmm->lock);
	list_del(&t->mmnode);
	spin_unlock(&t->rmm->lock);
	mmu_notifier_put(&t->rmm->mn);
}

/* Module exit: wait for notifiers freed asynchronously by the core. */
void rf_mm_exit(void)
{
	mmu_notifier_synchronize();
}
