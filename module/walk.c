// SPDX-License-Identifier: GPL-2.0
/*
 * The list walk for a thread that died or exec'ed.  One walker for 32- and
 * 64-bit lists (mainline's robust_list_head layout in the registered pointer
 * width) and for both protocols.
 *
 * It runs in the dying thread's exit probe where that may sleep and the
 * mm is still attached (hooks.c), in the dying (or exec'ing) thread's
 * task_work, or in whoever drops the address space's last user (mm.c;
 * that may be the module's own worker that primed the mm), never on a
 * shared worker.  In the probe, words are read and changed with plain
 * user access that never faults; otherwise, and wherever that fails,
 * current->mm is not the lists' mm (or cannot serve), so user memory is
 * reached through get_user_pages_remote() and a kernel mapping of the
 * page:
 *  - a fault that would wait forever does not: userfaultfd refuses to
 *    block a PF_EXITING task, and the release (or an exec'ing task) does
 *    not fault through GUP (FOLL_NOFAULT); in the last thread's own
 *    exit_mm() it faults by hand only a mapped page's write upgrade and
 *    an anonymous or shmem page's read (rf_may_fault_in());
 *  - a word is written through a pinned page (FOLL_PIN | FOLL_WRITE): a
 *    fork by a surviving sibling copies a pinned page for the child
 *    rather than sharing it, so the write lands in this mm;
 *  - remote access ignores protection keys, as the kernel's own does;
 *  - every failed access is counted and cuts the walk or the word short,
 *    and a waiter can still recover an intent word itself (owner IDs).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/ratelimit.h>
#include <linux/oom.h>
#include <linux/magic.h>
#include <linux/userfaultfd_k.h>
#include "rf.h"

enum rf_word_kind {
	RF_HELD,		/* an entry on the list: a lock the thread held */
	RF_PENDING_LOCK,	/* list_op_pending, lock in progress */
	RF_UNLOCKING,	/* list_op_pending, unlock in progress (intent) */
};

struct rf_walker {
	struct mm_struct *mm;
	unsigned long task_size;	/* @mm's */
	unsigned int gup_flags;	/* FOLL_NOFAULT outside an exiting task */
	bool upgrade;		/* FOLL_NOFAULT, but see rf_fault_by_hand() */
	bool direct;		/* @mm is current's: plain access first */
	/*
	 * Plain access only (a killed thread before its exit): the first
	 * access that fails ends the walk with @bail set, before that word
	 * is touched or counted, and @stop says where the exit walk goes on.
	 */
	bool early;
	bool bail;
	struct page *wpage;	/* early: the word's page, for its wake */
	struct rf_resume stop;	/* early: where it stopped, if @bail */
	u32 owner;		/* owner ID (intent) or TID (mainline) */
	unsigned int size;	/* pointer size: 4 or 8 */
	bool intent;
	unsigned long base;	/* guest pointer G is host address G + base */
	long futex_offset;
	/*
	 * The page last reached, kept for the next access to the same page:
	 * list nodes and their words are usually on a few pages, so a walk
	 * looks up and maps each page once, not once per access.
	 */
	struct page *page;
	unsigned long page_addr;
	bool pinned;		/* pinned writable (else only referenced) */
	bool dirty;		/* a word on it was changed */
	long recovered;		/* counted once, at the end */
};

/* An access failed: counted, or, in an early walk, where it stops. */
static void rf_fault(struct rf_walker *w)
{
	if (w->early)
		w->bail = true;
	else
		rf_count(RF_STAT_FAULTS, 1);
}

static void rf_page_drop(struct rf_walker *w)
{
	struct page *page = w->page;

	if (!page)
		return;
	w->page = NULL;
	if (!w->pinned) {
		put_page(page);
		return;
	}
	/*
	 * GUP dirtied the page already; marking it again after the writes
	 * is only tried, never waited for (the page lock may be held by a
	 * stalled FUSE write).
	 */
	if (w->dirty && trylock_page(page)) {
		set_page_dirty(page);
		unlock_page(page);
	}
	unpin_user_page(page);
}

/*
 * Whether the release's walk, in the last thread's own exit_mm()
 * (w->upgrade), may fault the page of @addr in for reading, as mainline's
 * walk would: anonymous or tmpfs (shmem) memory, whose faults wait for
 * nothing but swap, not registered with userfaultfd, under a page table
 * that exists.  So the fault allocates no page table and never reaches
 * the THP paths that would hand the mm to khugepaged again
 * (khugepaged_exit() has run).  A file system's page may wait on that
 * file system for ever (FUSE, NFS): never.  mmap_lock held for reading.
 */
static bool rf_may_fault_in(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	struct file *f;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t pmd;

	if (!vma || userfaultfd_armed(vma) ||
	    (vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return false;
	f = vma->vm_file;
	if (!vma_is_anonymous(vma) &&
	    !(f && file_inode(f)->i_sb->s_magic == TMPFS_MAGIC))
		return false;
	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud))
		return false;
	/* A leaf (huge) or non-present entry is "bad" here too. */
	pmd = READ_ONCE(*pmd_offset(pud, addr));
	return !pmd_none(pmd) && !pmd_bad(pmd);
}

/* The release's walk may fault in the last thread (rf_walk_thread()). */
static bool rf_fault_by_hand(struct rf_walker *w)
{
	return w->upgrade && !tsk_is_oom_victim(current) &&
	       !check_stable_address_space(w->mm);
}

/*
 * Hold the page of @uaddr.  @write: pinned writable (copy-on-write
 * broken, so a fork by a surviving sibling copies the page for the child
 * and a write lands in this mm); the walk's flags decide whether that may
 * fault.  Otherwise the page is taken writable if that needs no fault
 * (it usually holds the lock words the walk will change), and only
 * referenced if not.
 */
static noinline int rf_page_fetch(struct rf_walker *w, unsigned long uaddr,
				  bool write)
{
	unsigned long addr = uaddr & PAGE_MASK;
	unsigned int flags = w->gup_flags;
	int locked = 1;
	long n;

	rf_page_drop(w);
	w->dirty = false;
	mmap_read_lock(w->mm);
	if (write) {
		n = rf_pin_remote(w->mm, addr, flags | FOLL_WRITE, &w->page,
				  &locked);
		/*
		 * The word was just read through a mapped page, so only a
		 * write fault on that mapping is due: copy-on-write, or
		 * write protection for writeback's or soft-dirty's sake.
		 * Such a fault allocates no page table and enters no THP
		 * collapse.  Remote, so protection keys are ignored; an OOM
		 * victim's memory may be reaped meanwhile.
		 */
		if (n != 1 && locked && rf_fault_by_hand(w) &&
		    !fixup_user_fault(w->mm, uaddr,
				      FAULT_FLAG_WRITE | FAULT_FLAG_REMOTE,
				      NULL))
			n = rf_pin_remote(w->mm, addr, flags | FOLL_WRITE,
					  &w->page, &locked);
		w->pinned = true;
	} else {
		n = rf_pin_remote(w->mm, addr,
				  flags | FOLL_WRITE | FOLL_NOFAULT,
				  &w->page, &locked);
		w->pinned = n == 1;
		if (n != 1 && locked)
			n = rf_gup_remote(w->mm, addr, flags, &w->page,
					  &locked);
		/*
		 * Not mapped (zapped, swapped out): the release's walk reads
		 * it in where rf_may_fault_in() allows, else the word or the
		 * rest of the list is counted in faults.
		 */
		if (n != 1 && locked && rf_fault_by_hand(w) &&
		    rf_may_fault_in(w->mm, addr) &&
		    !fixup_user_fault(w->mm, uaddr, FAULT_FLAG_REMOTE, NULL))
			n = rf_gup_remote(w->mm, addr, flags, &w->page,
					  &locked);
	}
	if (locked)
		mmap_read_unlock(w->mm);
	if (n != 1) {
		w->page = NULL;
		return n < 0 ? n : -EFAULT;
	}
	w->page_addr = addr;
	return 0;
}

static inline int rf_page_get(struct rf_walker *w, unsigned long uaddr,
			      bool write)
{
	if (w->page && w->page_addr == (uaddr & PAGE_MASK) &&
	    (w->pinned || !write))
		return 0;
	return rf_page_fetch(w, uaddr, write);
}

/*
 * Plain user access, in the thread whose lists these are, its mm still
 * attached: never faults (a page that is not there, or a protection key
 * that forbids this thread, gives -EFAULT and the remote path is tried).
 * Inline, as the cmpxchg is (rf.h), with masked access where the kernel
 * has it: a held lock costs the walk two reads and a cmpxchg, and with a
 * call for each (get_user()) the walk paid more per lock than mainline's.
 */
static __always_inline int rf_peek_direct(unsigned long uaddr,
					  unsigned int size, u64 *val)
{
	void __user *p = (void __user *)uaddr;
	int ret = -EFAULT;

	pagefault_disable();
	if (!rf_user_read_begin(&p, size))
		goto out;
	if (size == 4) {
		u32 v;

		unsafe_get_user(v, (u32 __user *)p, end);
		*val = v;
	} else {
		u64 v;

		unsafe_get_user(v, (u64 __user *)p, end);
		*val = v;
	}
	ret = 0;
end:
	user_read_access_end();
out:
	pagefault_enable();
	return ret;
}

/* rf_peek() through the page (not the thread's own mm, or it failed). */
static noinline int rf_peek_page(struct rf_walker *w, unsigned long uaddr,
				 unsigned int size, u64 *val)
{
	void *kaddr;
	int ret;

	if (w->early || uaddr > w->task_size - size)
		return -EFAULT;
	ret = rf_page_get(w, uaddr, false);
	if (ret)
		return ret;
	kaddr = kmap_local_page(w->page) + offset_in_page(uaddr);
	*val = size == 4 ? READ_ONCE(*(u32 *)kaddr) : READ_ONCE(*(u64 *)kaddr);
	kunmap_local(kaddr);
	return 0;
}

/*
 * Read @size (4 or 8) aligned bytes at @uaddr.  The plain access is
 * inline, the page's out of line: the walk of a thread's own mm makes
 * two reads for each lock it holds.
 */
static __always_inline int rf_peek(struct rf_walker *w, unsigned long uaddr,
				   unsigned int size, u64 *val)
{
	if (uaddr & (size - 1))
		return -EFAULT;
	if (w->direct && !rf_peek_direct(uaddr, size, val))
		return 0;
	return rf_peek_page(w, uaddr, size, val);
}

/* rf_poke_cmpxchg() through the page, pinned writable. */
static noinline int rf_poke_page(struct rf_walker *w, unsigned long uaddr,
				 u32 old, u32 new, u32 *cur)
{
	u32 *kaddr;
	int ret;

	if (w->early || uaddr > w->task_size - sizeof(u32))
		return -EFAULT;
	ret = rf_page_get(w, uaddr, true);
	if (ret)
		return ret;
	kaddr = kmap_local_page(w->page) + offset_in_page(uaddr);
	*cur = cmpxchg(kaddr, old, new);
	kunmap_local(kaddr);
	if (*cur == old)
		w->dirty = true;
	return 0;
}

/*
 * cmpxchg on a futex word, atomic with respect to its users' atomics:
 * plain access in the thread's own mm, else through a page pinned
 * writable.
 */
static __always_inline int rf_poke_cmpxchg(struct rf_walker *w,
					   unsigned long uaddr, u32 old,
					   u32 new, u32 *cur)
{
	/*
	 * -EFAULT (not mapped writable, or a pkey) or, on LL/SC machines,
	 * -EAGAIN (the word kept changing): the pinned page is tried, once.
	 */
	if (w->direct &&
	    !rf_cmpxchg_user_atomic((u32 __user *)uaddr, old, new, cur))
		return 0;
	return rf_poke_page(w, uaddr, old, new, cur);
}

static __always_inline int rf_read_ptr(struct rf_walker *w,
				       unsigned long uaddr,
				       unsigned long *val)
{
	u64 v;
	int ret = rf_peek(w, uaddr, w->size, &v);

	*val = v;
	return ret;
}

/* The host address of guest pointer @g: a 32-bit guest wraps at 4 GiB. */
static unsigned long rf_host(const struct rf_walker *w, unsigned long g)
{
	return (w->size == 4 ? (u32)g : g) + w->base;
}

static unsigned long rf_futex_addr(const struct rf_walker *w,
				   unsigned long entry)
{
	return rf_host(w, entry + w->futex_offset);
}

/*
 * Wake waiters on the word at @uaddr, which was just read.  A shared
 * word's key needs its page: the one held, else (plain access) one
 * looked up without a lock or a sleep, else through the remote path.
 * Without a page only waiters on the private key are woken; a shared
 * word's then recover it themselves (owner IDs) or stay as mainline's
 * would on a page its walk cannot reach.
 */
static void rf_wake_word(struct rf_walker *w, unsigned long uaddr, int nr)
{
	struct page *page = NULL;

	if (w->wpage) {		/* an early walk's, taken before any change */
		rf_wake_dead(w->mm, uaddr, w->wpage, nr);
		return;
	}
	if (!(w->page && w->page_addr == (uaddr & PAGE_MASK)) && w->direct &&
	    get_user_pages_fast_only(uaddr & PAGE_MASK, 1, 0, &page) == 1) {
		rf_wake_dead(w->mm, uaddr, page, nr);
		put_page(page);
		return;
	}
	if (rf_page_get(w, uaddr, false))
		rf_count(RF_STAT_FAULTS, 1);
	rf_wake_dead(w->mm, uaddr, w->page, nr);
}

/*
 * An early walk wakes only with a page it looked up before changing
 * anything, without a lock or a sleep: if there is none, it stops there
 * (false), before the word is changed, and the exit walk does the word.
 */
static bool rf_early_page(struct rf_walker *w, unsigned long uaddr)
{
	if (!w->early || w->wpage)
		return true;
	if (get_user_pages_fast_only(uaddr & PAGE_MASK, 1, 0, &w->wpage) == 1)
		return true;
	w->wpage = NULL;
	w->bail = true;
	return false;
}

/*
 * Apply the death rules to one futex word (docs/protocol.md).  False if
 * the word, when first read, was another owner's (or none's).  Inline in
 * the walk's loop, once per held lock; rf_pending_death() is the list's
 * pending word's.
 */
static __always_inline bool rf_word_death(struct rf_walker *w,
					  unsigned long uaddr,
					  enum rf_word_kind kind, bool pi)
{
	u32 mask = w->intent ? RF_OWNER_MASK : FUTEX_TID_MASK;
	u32 uval, nval, cur, owner;
	bool owned = true;
	int tries = 0;
	u64 v;

	/* A misaligned atomic could split-lock; never touch one. */
	if (uaddr & 3) {
		rf_count(RF_STAT_FAULTS, 1);
		return true;
	}
retry:
	if (rf_peek(w, uaddr, 4, &v)) {
		rf_fault(w);
		goto out;
	}
	uval = v;
	owner = uval & mask;
	if (!tries)
		owned = owner == w->owner;

	if (kind == RF_UNLOCKING) {
		/*
		 * The memory may be freed and reused: read, never write.  If
		 * the release was cut short, waiters recover it themselves
		 * (the owner ID is dead); wake them all either way.
		 */
		if (!rf_early_page(w, uaddr))
			goto out;
		if (owner == w->owner && (uval & RF_RELEASING))
			rf_count(RF_STAT_CUT_RELEASES, 1);
		rf_wake_word(w, uaddr, INT_MAX);
		goto out;
	}
	if (kind == RF_PENDING_LOCK && owner != w->owner) {
		/*
		 * It may have been woken to take the lock and died before it
		 * could: pass the wake on.  Mainline's rule is "unowned"; the
		 * intent protocol also passes it on when WAITERS is clear,
		 * since a slept thread takes the lock with WAITERS set.
		 */
		if (!pi && (!owner || (w->intent && !(uval & FUTEX_WAITERS))) &&
		    rf_early_page(w, uaddr))
			rf_wake_word(w, uaddr, 1);
		goto out;
	}
	if (owner != w->owner)
		goto out;

	if (w->intent && (uval & RF_RELEASING))
		nval = uval & FUTEX_WAITERS;	/* finish a release begun */
	else
		nval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (!pi && (uval & FUTEX_WAITERS) && !rf_early_page(w, uaddr))
		goto out;
	if (rf_poke_cmpxchg(w, uaddr, uval, nval, &cur)) {
		rf_fault(w);
		goto out;
	}
	if (cur != uval) {
		/* Read afresh: the page read is the one changed, pinned. */
		/* Waiters race to set WAITERS; they cannot do so forever. */
		if (++tries < 1000)
			goto retry;
		rf_count(RF_STAT_FAULTS, 1);
		goto out;
	}
	w->recovered++;
	if (!pi && (uval & FUTEX_WAITERS)) {
		/* Whoever is woken may read the counters. */
		rf_count(RF_STAT_RECOVERED, w->recovered);
		w->recovered = 0;
		rf_wake_word(w, uaddr, 1);
	}
out:
	if (w->wpage) {
		put_page(w->wpage);
		w->wpage = NULL;
	}
	return owned;
}

static noinline void rf_pending_death(struct rf_walker *w,
				      unsigned long uaddr,
				      enum rf_word_kind kind, bool pi)
{
	rf_word_death(w, uaddr, kind, pi);
}

/*
 * An early walk stopped at an access it could not make: note where, for
 * the exit walk (rf_walk_list() with @from) to go on from.
 */
static void rf_stop_at(struct rf_walker *w, u8 at, unsigned long entry,
		       unsigned long next, bool have_next, unsigned int n,
		       unsigned long tortoise, unsigned long power,
		       unsigned long lam)
{
	struct rf_resume *r = &w->stop;

	r->at = at;
	r->entry = entry;
	r->next = next;
	r->have_next = have_next;
	r->n = n;
	r->tortoise = tortoise;
	r->power = power;
	r->lam = lam;
}

/*
 * Walk one list; @from: go on where an early walk of it stopped (it was
 * counted then).
 */
static void rf_walk_list(struct rf_walker *w, const struct rf_slot *slot,
			 const struct rf_resume *from)
{
	unsigned long entry, next = 0, pending, off, pend_addr, head;
	unsigned long tortoise, power = 1, lam = 0;
	unsigned int limit = READ_ONCE(rf_list_limit), n = 0;
	bool have_next = false;

	if (!from)
		rf_count(RF_STAT_WALKS, 1);
	/* The list's pointers are the guest's: compare them with its head. */
	w->base = slot->base;
	head = slot->head - slot->base;
	if (rf_read_ptr(w, slot->head, &entry) ||
	    rf_read_ptr(w, slot->head + w->size, &off) ||
	    rf_read_ptr(w, slot->head + 2 * w->size, &pending)) {
		rf_fault(w);
		if (w->bail)
			rf_stop_at(w, RF_AT_HEAD, 0, 0, false, 0, 0, 1, 0);
		return;
	}
	w->futex_offset = w->size == 4 ? (long)(s32)off : (long)off;
	pend_addr = pending & (w->intent ? ~3UL : ~1UL);
	tortoise = head;
	if (from && from->at == RF_AT_PENDING)
		goto pending;
	if (from && from->at == RF_AT_ENTRY) {
		entry = from->entry;
		next = from->next;
		have_next = from->have_next;
		n = from->n;
		tortoise = from->tortoise;
		power = from->power;
		lam = from->lam;
	}

	while ((entry & ~1UL) != head) {
		unsigned long e = entry & ~1UL;

		if (!have_next) {
			if (n >= limit) {
				rf_count(RF_STAT_WALKS_LIMITED, 1);
				pr_warn_ratelimited("owner %u: list walk stopped at list_limit=%u\n",
						    w->owner, limit);
				break;
			}
			if (rf_read_ptr(w, rf_host(w, e), &next)) {
				rf_fault(w);
				if (w->bail) {
					rf_stop_at(w, RF_AT_ENTRY, entry, 0,
						   false, n, tortoise, power,
						   lam);
					return;
				}
				pr_warn_ratelimited("owner %u: list walk stopped at a bad pointer\n",
						    w->owner);
				break;
			}
			n++;
			/* @next before the word: see below. */
			smp_rmb();
		}
		have_next = false;
		/*
		 * Mainline leaves the pending entry for last; the intent
		 * protocol walks it in place (a release that had not yet
		 * dequeued it still owns live memory) and then as pending.
		 */
		if (w->intent || e != pend_addr) {
			bool owned = rf_word_death(w, rf_futex_addr(w, e),
						   RF_HELD, entry & 1);

			if (w->bail) {
				rf_stop_at(w, RF_AT_ENTRY, entry, next, true,
					   n, tortoise, power, lam);
				return;
			}
			/*
			 * The owner ID died before the walk (its waiters may
			 * recover its words from then on), and a lock on the
			 * list is its owner's until it is dequeued.  A word
			 * that was not the owner's when read may have been
			 * recovered by a waiter, and its node put on that
			 * thread's list: @next cannot be trusted.  One that
			 * was proves @next was read before any such move (a
			 * word the walk cannot read proves nothing, and is
			 * passed as mainline's walk passes it).  What is left
			 * on the list, its waiters recover.
			 */
			if (w->intent && !owned)
				break;
		}
		entry = next;
		if ((entry & ~1UL) == head)
			break;
		/* Brent's cycle detection: the limit alone may be huge. */
		if ((entry & ~1UL) == tortoise) {
			rf_count(RF_STAT_CYCLES, 1);
			pr_warn_ratelimited("owner %u: circular robust list\n",
					    w->owner);
			break;
		}
		if (++lam == power) {
			tortoise = entry & ~1UL;
			power <<= 1;
			lam = 0;
		}
		/* Every 16 locks: a list may hold up to 2^24. */
		if (!(n % 16))
			cond_resched();
	}

pending:
	if (pend_addr) {
		enum rf_word_kind kind = RF_PENDING_LOCK;

		if (w->intent && (pending & RF_PENDING_UNLOCK))
			kind = RF_UNLOCKING;
		rf_pending_death(w, rf_futex_addr(w, pend_addr), kind,
				 pending & 1);
		if (w->bail)
			rf_stop_at(w, RF_AT_PENDING, 0, 0, false, 0, 0, 1, 0);
	}
}

/*
 * GUP gives up at once in a task with SIGKILL in its own pending set, and
 * an exiting task keeps one it gets while it exits (a second kill, or a
 * group exit's zap_other_threads() while it finishes its own exit) for
 * the rest of do_exit().  Mainline's walk, plain access inside exit_mm(),
 * is not stopped by it.  A walk that never faults waits for nothing a
 * signal could cut short, so the signal is set aside while it runs and
 * put back after; the walk then makes no page writable either (that is a
 * fault, which may wait on a filesystem).
 */
static bool rf_hide_sigkill(void)
{
	bool hid;

	spin_lock_irq(&current->sighand->siglock);
	hid = sigismember(&current->pending.signal, SIGKILL);
	if (hid)
		sigdelset(&current->pending.signal, SIGKILL);
	spin_unlock_irq(&current->sighand->siglock);
	return hid;
}

static void rf_restore_sigkill(void)
{
	spin_lock_irq(&current->sighand->siglock);
	sigaddset(&current->pending.signal, SIGKILL);
	recalc_sigpending();
	spin_unlock_irq(&current->sighand->siglock);
}

static bool __rf_walk_thread(struct rf_thread *t, bool nofault, bool early)
{
	/*
	 * GUP would refuse any fault now: walk without, signal aside.  An
	 * early walk makes no remote access at all.
	 */
	bool hid = !early && fatal_signal_pending(current) &&
		   rf_hide_sigkill();
	struct rf_walker w = {
		.mm = t->mm,
		.task_size = t->mm->task_size,
		.gup_flags = nofault || hid ? FOLL_NOFAULT : 0,
		.upgrade = nofault && !hid && (current->flags & PF_EXITING),
		.direct = current->mm == t->mm,
		.early = early,
	};
	struct rf_resume *from = NULL;
	unsigned int i = 0;

	/* An early walk stopped: go on from there (ordered by the claim). */
	if (t->resume.at != RF_AT_NONE) {
		from = &t->resume;
		i = from->slot;
	}
	for (; i < t->nslots; i++) {
		const struct rf_slot *slot = &t->slots[i];

		if (!slot->width)
			continue;
		w.intent = slot->protocol == RF_PROTO_INTENT;
		w.owner = w.intent ? t->id : t->tid;
		w.size = slot->width / 8;
		rf_walk_list(&w, slot, from && from->slot == i ? from : NULL);
		if (w.bail) {
			w.stop.slot = i;
			break;
		}
	}
	rf_page_drop(&w);
	if (hid)
		rf_restore_sigkill();
	rf_count(RF_STAT_RECOVERED, w.recovered);
	t->resume = w.bail ? w.stop : (struct rf_resume){ .at = RF_AT_NONE };
	return !w.bail;
}

/*
 * Walk every list of @t, a thread that died or exec'ed, whose walk the
 * caller has claimed.  The caller keeps the mm's address space whole:
 * it holds an mm_users reference, or it is the mm's release.  @nofault:
 * never fault a page in (the release; a task that is not exiting, which
 * userfaultfd would block).  A release that runs in an exiting task (the
 * last thread's own exit_mm()) still makes a mapped page writable, as
 * mainline's walk would: a single-threaded process is walked there on
 * kernels whose exit hook comes after exit_mm().  If an early walk
 * stopped (rf_walk_thread_early()), this goes on where it stopped.
 */
void rf_walk_thread(struct rf_thread *t, bool nofault)
{
	__rf_walk_thread(t, nofault, false);
}

/*
 * Walk the lists of @t, the current thread, killed but not yet exiting
 * (hooks.c), with plain user access only.  False if it stopped at an
 * access it could not make that way (t->resume says where): the words
 * before it are done, and rf_walk_thread() does the rest.  Everything
 * is counted once, by whichever walk did it.
 */
bool rf_walk_thread_early(struct rf_thread *t)
{
	return __rf_walk_thread(t, true, true);
}
