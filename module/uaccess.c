// SPDX-License-Identifier: GPL-2.0
/*
 * Futex-word access in the current mm, for the ioctls.  (The exit walk
 * reads another, possibly dying, address space: walk.c does that through
 * get_user_pages_remote().)
 *
 * Words are read and changed with page faults disabled so the same helpers
 * work under a bucket spinlock; on -EFAULT the caller drops its locks and
 * faults the page in with rf_fault_in(), as the futex core does.
 */
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <asm/futex.h>
#include "rf.h"

int rf_get_user_atomic(u32 __user *uaddr, u32 *val)
{
	int ret;

	pagefault_disable();
	ret = __get_user(*val, uaddr);
	pagefault_enable();
	return ret ? -EFAULT : 0;
}

/*
 * 0 with *@cur the word's value before, -EFAULT, or -EAGAIN: arm64's
 * LL/SC version gives up after a bounded number of lost exclusive stores
 * (FUTEX_MAX_LOOPS) and leaves *@cur unset.  The lock ioctl (wait.c)
 * hands it to user space as "the word changed", to look at the word
 * again; the exit walk (walk.c) falls back to its pinned page, once.  No
 * kernel path retries it in a loop.
 */
int rf_cmpxchg_user_atomic(u32 __user *uaddr, u32 old, u32 new, u32 *cur)
{
	int ret;

	pagefault_disable();
	ret = futex_atomic_cmpxchg_inatomic(cur, uaddr, old, new);
	pagefault_enable();
	return ret;
}

/* Make the page at @uaddr present (and writable); may sleep. */
int rf_fault_in(unsigned long uaddr, bool write)
{
	struct mm_struct *mm = current->mm;
	int ret;

	if (!mm || !access_ok((void __user *)uaddr, sizeof(u32)))
		return -EFAULT;
	ret = mmap_read_lock_killable(mm);
	if (ret)
		return ret;
	ret = fixup_user_fault(mm, uaddr, write ? FAULT_FLAG_WRITE : 0, NULL);
	mmap_read_unlock(mm);
	return ret;
}
