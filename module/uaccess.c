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
