// SPDX-License-Identifier: GPL-2.0
/*
 * The list walk for a thread that died or exec'ed.  One walker for 32- and
 * 64-bit lists (mainline's robust_list_head layout in the registered pointer
 * width) and for both protocols.  It runs on a kworker that has borrowed the
 * thread's mm, so user access here is ordinary and may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uaccess.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/ratelimit.h>
#include "rf.h"

enum rf_word_kind {
	RF_HELD,		/* an entry on the list: a lock the thread held */
	RF_PENDING_LOCK,	/* list_op_pending, lock in progress */
	RF_UNLOCKING,	/* list_op_pending, unlock in progress (intent) */
};

struct rf_walker {
	u32 owner;		/* owner ID (intent) or TID (mainline) */
	unsigned int size;	/* pointer size: 4 or 8 */
	bool intent;
	long futex_offset;
};

static int rf_read_ptr(const struct rf_walker *w, unsigned long uaddr,
		       unsigned long *val)
{
	u32 v32;
	u64 v64;

	if (uaddr & (w->size - 1))
		return -EINVAL;
	if (w->size == 4) {
		if (get_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		*val = v32;
	} else {
		if (get_user(v64, (u64 __user *)uaddr))
			return -EFAULT;
		*val = v64;
	}
	return 0;
}

static unsigned long rf_futex_addr(const struct rf_walker *w,
				   unsigned long entry)
{
	unsigned long addr = entry + w->futex_offset;

	/* 32-bit pointer arithmetic wraps as it does in the guest. */
	return w->size == 4 ? (u32)addr : addr;
}

/* Apply the death rules to one futex word (DESIGN.md, "Protocol"). */
static void rf_word_death(const struct rf_walker *w, unsigned long uaddr,
			  enum rf_word_kind kind, bool pi)
{
	u32 __user *p = (u32 __user *)uaddr;
	u32 mask = w->intent ? RF_OWNER_MASK : FUTEX_TID_MASK;
	u32 uval, nval, cur, owner;
	int tries = 0;

	/* A misaligned atomic could split-lock; never touch one. */
	if (uaddr & 3) {
		rf_count(RF_STAT_FAULTS, 1);
		return;
	}
retry:
	if (get_user(uval, p)) {
		rf_count(RF_STAT_FAULTS, 1);
		return;
	}
	owner = uval & mask;

	if (kind == RF_UNLOCKING) {
		/*
		 * The memory may be freed and reused: read, never write.  If
		 * the release was cut short, waiters recover it themselves
		 * (the owner ID is dead); wake them all either way.
		 */
		if (owner == w->owner && (uval & RF_RELEASING))
			rf_count(RF_STAT_CUT_RELEASES, 1);
		rf_wake_dead(uaddr, INT_MAX);
		return;
	}
	if (kind == RF_PENDING_LOCK && owner != w->owner) {
		/*
		 * It may have been woken to take the lock and died before it
		 * could: pass the wake on.  Mainline's rule is "unowned"; the
		 * intent protocol also passes it on when WAITERS is clear,
		 * since a slept thread takes the lock with WAITERS set.
		 */
		if (!pi && (!owner || (w->intent && !(uval & FUTEX_WAITERS))))
			rf_wake_dead(uaddr, 1);
		return;
	}
	if (owner != w->owner)
		return;

	if (w->intent && (uval & RF_RELEASING))
		nval = uval & FUTEX_WAITERS;	/* finish a release begun */
	else
		nval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (rf_cmpxchg_user(p, uval, nval, &cur)) {
		rf_count(RF_STAT_FAULTS, 1);
		return;
	}
	if (cur != uval) {
		/* Waiters race to set WAITERS; they cannot do so forever. */
		if (++tries < 1000)
			goto retry;
		rf_count(RF_STAT_FAULTS, 1);
		return;
	}
	rf_count(RF_STAT_RECOVERED, 1);
	if (!pi && (uval & FUTEX_WAITERS))
		rf_wake_dead(uaddr, 1);
}

void rf_walk_list(struct mm_struct *mm, u32 owner, const struct rf_slot *slot)
{
	struct rf_walker w = {
		.owner	= owner,
		.size	= slot->width / 8,
		.intent	= slot->protocol == RF_PROTO_INTENT,
	};
	unsigned long head = slot->head, entry, next, pending, off, pend_addr;
	unsigned long tortoise, power = 1, lam = 0;
	unsigned int limit = READ_ONCE(rf_list_limit), n = 0;

	rf_count(RF_STAT_WALKS, 1);
	if (rf_read_ptr(&w, head, &entry) ||
	    rf_read_ptr(&w, head + w.size, &off) ||
	    rf_read_ptr(&w, head + 2 * w.size, &pending)) {
		rf_count(RF_STAT_FAULTS, 1);
		return;
	}
	w.futex_offset = w.size == 4 ? (long)(s32)off : (long)off;
	pend_addr = pending & (w.intent ? ~3UL : ~1UL);
	tortoise = head;

	while ((entry & ~1UL) != head) {
		unsigned long e = entry & ~1UL;

		if (n++ >= limit) {
			rf_count(RF_STAT_WALKS_LIMITED, 1);
			pr_warn_ratelimited("owner %u: list walk stopped at list_limit=%u\n",
					    owner, limit);
			break;
		}
		if (rf_read_ptr(&w, e, &next)) {
			rf_count(RF_STAT_FAULTS, 1);
			pr_warn_ratelimited("owner %u: list walk stopped at a bad pointer\n",
					    owner);
			break;
		}
		/*
		 * Mainline leaves the pending entry for last; the intent
		 * protocol walks it in place (a release that had not yet
		 * dequeued it still owns live memory) and then as pending.
		 */
		if (w.intent || e != pend_addr)
			rf_word_death(&w, rf_futex_addr(&w, e), RF_HELD,
				      entry & 1);
		entry = next;
		if ((entry & ~1UL) == head)
			break;
		/* Brent's cycle detection: the limit alone may be huge. */
		if ((entry & ~1UL) == tortoise) {
			rf_count(RF_STAT_CYCLES, 1);
			pr_warn_ratelimited("owner %u: circular robust list\n",
					    owner);
			break;
		}
		if (++lam == power) {
			tortoise = entry & ~1UL;
			power <<= 1;
			lam = 0;
		}
		cond_resched();
	}

	if (pend_addr) {
		enum rf_word_kind kind = RF_PENDING_LOCK;

		if (w.intent && (pending & RF_PENDING_UNLOCK))
			kind = RF_UNLOCKING;
		rf_word_death(&w, rf_futex_addr(&w, pend_addr), kind,
			      pending & 1);
	}
}
