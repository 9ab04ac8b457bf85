/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-version differences, kept in one place. */
#ifndef _RF_COMPAT_H
#define _RF_COMPAT_H

#include <linux/version.h>
#include <linux/sched.h>

/* The oldest kernel the module is built and tested on: Debian 12's. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "robustfutex needs Linux 6.1 or later"
#endif

/*
 * sched_process_exit gained a group_dead argument in 6.16 (and moved before
 * exit_mm()).  The probe only needs the task.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define RF_EXIT_PROBE_ARGS	void *data, struct task_struct *p, bool group_dead
#else
#define RF_EXIT_PROBE_ARGS	void *data, struct task_struct *p
#endif

/*
 * task_work_add() records its caller's stack for KASAN, and before 6.14
 * that could allocate a stack-depot pool: the page allocator's locks
 * sleep on PREEMPT_RT, and the exit and exec probes queue the walk with
 * preemption disabled.  6.12 and 6.13 have a flag for the record without
 * the allocation; 6.1 has none (Debian builds it without KASAN), and from
 * 6.14 the record never allocates.
 */
#include <linux/task_work.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)
#define RF_TWA_ATOMIC(mode)	((mode) | TWAF_NO_ALLOC)
#else
#define RF_TWA_ATOMIC(mode)	(mode)
#endif

/*
 * signal_generate's result for a signal queued (TRACE_SIGNAL_DELIVERED,
 * 0 in every version): trace/events/signal.h, which also declares the
 * event itself, is not included.
 */
#define RF_SIGNAL_DELIVERED	0

/*
 * Open a user-access window for reading *@p, or false (not user memory):
 * masked where the kernel can mask (x86, 6.12), a pointer beyond user
 * space made one that faults, in place of access_ok()'s branch and its
 * speculation barrier.  Closed with user_read_access_end().
 */
#include <linux/uaccess.h>
static __always_inline bool rf_user_read_begin(void __user **p, size_t size)
{
#ifdef masked_user_access_begin
	if (can_do_masked_user_access()) {
		*p = masked_user_access_begin(*p);
		return true;
	}
#endif
	return user_read_access_begin(*p, size);
}

/* get_user_pages_remote() lost its vmas argument in 6.5. */
#include <linux/mm.h>
static inline long rf_gup_remote(struct mm_struct *mm, unsigned long addr,
				 unsigned int flags, struct page **page,
				 int *locked)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return get_user_pages_remote(mm, addr, 1, flags, page, locked);
#else
	return get_user_pages_remote(mm, addr, 1, flags, page, NULL, locked);
#endif
}

static inline long rf_pin_remote(struct mm_struct *mm, unsigned long addr,
				 unsigned int flags, struct page **page,
				 int *locked)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pin_user_pages_remote(mm, addr, 1, flags, page, locked);
#else
	return pin_user_pages_remote(mm, addr, 1, flags, page, NULL, locked);
#endif
}

/*
 * The page offset, in PAGE_SIZE units, of @page in its file.  Not
 * page_to_pgoff(): on 6.1 it calls an unexported hugetlb helper.  Before
 * 6.7 a hugetlb folio's index counts huge pages.
 */
static inline pgoff_t rf_page_pgoff(struct page *page, pgoff_t index)
{
	struct folio *folio = page_folio(page);

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	if (folio_test_hugetlb(folio))
		index <<= folio_order(folio);
#endif
	return index + (page_to_pfn(page) - folio_pfn(folio));
}

/* tracepoint_synchronize_unregister() is inline over these exports. */
#include <linux/tracepoint.h>
static inline void rf_tracepoint_sync(void)
{
	tracepoint_synchronize_unregister();
}

/*
 * Whether @task may be read by a same-user tracer: ptrace's "dumpable"
 * test.  It lived in the mm's flags until 7.2, which moved it to the
 * task's exec_state (no accessor exported; the struct is in a header and
 * freed after an RCU grace period).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0)
#include <linux/sched/exec_state.h>
static inline bool rf_task_dumpable(struct task_struct *task)
{
	const struct task_exec_state *es;
	bool ret;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	ret = es && READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER;
	rcu_read_unlock();
	return ret;
}
#else
#include <linux/sched/coredump.h>
#include <linux/sched/task.h>
static inline bool rf_task_dumpable(struct task_struct *task)
{
	bool ret;

	task_lock(task);
	ret = task->mm && get_dumpable(task->mm) == SUID_DUMP_USER;
	task_unlock(task);
	return ret;
}
#endif

#endif /* _RF_COMPAT_H */

