// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting and waking through the module, and recovery of a word whose
 * releaser died mid-release.
 *
 * Mainline's futex functions are not exported, so the module cannot wake a
 * thread asleep in FUTEX_WAIT: whoever must be woken on recovery sleeps
 * here.  Keys follow mainline's: (mm, address) for process-private words
 * and private anonymous memory; (inode, offset in the file) for shared
 * memory, file-backed or shmem.  A key holds no reference: nothing is
 * pinned while a waiter sleeps (migration, compaction and truncation go
 * on), and a key that outlives its object can only meet a newer object at
 * the same address, which costs a spurious wakeup, never a lost one.
 *
 * Waiters hang off hashed buckets, each with its own spinlock.  A waker
 * unlinks a waiter and wakes it under the bucket lock; the waiter unlinks
 * itself under the same lock if it woke for another reason, so its
 * on-stack node is never touched after it returns.
 *
 * Recovery needs no record of the dead: an intent-protocol word names its
 * owner by owner ID, and whether that ID still names a live thread is one
 * lookup (registry.c).  A waiter that finds the owner alive also links
 * itself to the owner's registration, which wakes it when the owner exits
 * or execs; it then asks again (docs/identity.md).
 *
 * One file of some 700 lines, on purpose: keys, buckets, waiters and heir
 * records share the bucket lock and the on-stack waiter's lifetime, which
 * no other file should see.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/hrtimer.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/futex.h>
#include <linux/uaccess.h>
#include <linux/nsproxy.h>
#include <linux/time_namespace.h>
#include "rf.h"

struct rf_key {
	unsigned long ptr;	/* mm, or inode | RF_KEY_INODE */
	unsigned long off;	/* address, or byte offset in the file */
	unsigned long tag;	/* 0, or the inode's number and generation */
};

#define RF_KEY_INODE	1UL

/* Fault-ins of one word before an ioctl gives up with -EFAULT. */
#define RF_FAULT_RETRIES	8

struct rf_bucket {
	spinlock_t lock;		/* waiters, heirs */
	struct list_head waiters;
	struct list_head heirs;		/* rf_heir records of its keys */
} ____cacheline_aligned_in_smp;

/*
 * The heir of a key (the model's HEIR rule): the thread last woken alone
 * on it, on whom the hope of the key's recovering sleepers rests.  One
 * record per key with recovering sleepers, shared by them, so a wake
 * repoints one record, not every sleeper (a lock handed round N sleepers
 * costs O(N), not O(N^2)); the heir's death wakes the sleepers of every
 * record it heads.  @thread and @tnode change under the bucket lock and
 * the thread's lock both; a record is on a thread's heirs exactly while
 * it is that thread's.
 */
struct rf_heir {
	struct list_head bnode;		/* on its bucket's heirs */
	struct list_head tnode;		/* on @thread's heirs */
	struct list_head waiters;	/* its sleepers (rf_waiter.rnode) */
	struct rf_key key;
	struct rf_thread *thread;	/* referenced, or NULL */
	unsigned int users;		/* waiters on it, under the bucket lock */
	refcount_t ref;			/* the bucket's, @thread's, a death's */
};

struct rf_waiter {
	struct list_head node;		/* in its bucket */
	struct list_head onode;		/* on @owner's owner_waiters */
	struct rf_thread *owner;	/* referenced, or NULL */
	struct list_head rnode;		/* on @heir's waiters */
	struct rf_heir *heir;		/* its key's, if it awaits a death */
	struct rf_key key;
	struct task_struct *task;
};

static struct rf_bucket *rf_buckets;
static unsigned int rf_hash_bits;

static struct rf_bucket *rf_bucket(const struct rf_key *key)
{
	u32 h = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0);

	return &rf_buckets[hash_32(h, rf_hash_bits)];
}

static bool rf_key_eq(const struct rf_key *a, const struct rf_key *b)
{
	return a->ptr == b->ptr && a->off == b->off && a->tag == b->tag;
}

/*
 * Shared key of the word at @uaddr, in @page (held by the caller), if the
 * page belongs to a file or shmem: (inode, offset in the file).  Private
 * anonymous memory is named by (mm, address) as mainline does: returns 0
 * and leaves @key.  -ENOENT if the page has no mapping: the zero page an
 * untouched private page reads as, a page truncated from its file, or a
 * shmem page caught moving to the swap cache (rf_key_init() tells them
 * apart).  -EAGAIN if the page was truncated from its file meanwhile (the
 * word is gone with it).
 */
static int rf_key_of_page(struct rf_key *key, struct page *page,
			  unsigned long uaddr)
{
	struct address_space *mapping;
	struct folio *folio = page_folio(page);
	unsigned long tag = 0;
	struct inode *host;
	pgoff_t index;

	if (PageAnon(page))
		return 0;
	if (!READ_ONCE(folio->mapping))
		return -ENOENT;
	/*
	 * As mainline's get_futex_key(): without the page lock.  Inodes are
	 * freed after an RCU grace period, and the mapping is checked again
	 * after host and index are read: truncation clears it first.
	 */
	rcu_read_lock();
	mapping = READ_ONCE(folio->mapping);
	host = mapping ? READ_ONCE(mapping->host) : NULL;
	index = READ_ONCE(folio->index);
	/*
	 * An inode's address may come back for another inode while a waiter
	 * on the old one sleeps (nothing pins it); with a stale match, a
	 * wake of one would go to the other's waiter and be lost.  Mainline
	 * uses a 64-bit sequence number, not exported; the inode's number
	 * and generation (random for shmem) tell old from new here.
	 */
	if (host)
		tag = ((unsigned long)READ_ONCE(host->i_ino) << 32) ^
		      READ_ONCE(host->i_generation);
	/* Host, index and tag read before the mapping is checked again. */
	smp_rmb();
	if (!host || READ_ONCE(folio->mapping) != mapping) {
		rcu_read_unlock();
		return -EAGAIN;
	}
	rcu_read_unlock();
	key->ptr = (unsigned long)host | RF_KEY_INODE;
	key->off = (rf_page_pgoff(page, index) << PAGE_SHIFT) +
		   offset_in_page(uaddr);
	key->tag = tag;
	return 0;
}

/* Key of the word at @uaddr in the current mm. */
static int rf_key_init(struct rf_key *key, unsigned long uaddr, bool shared)
{
	struct page *page;
	int ret;

	key->ptr = (unsigned long)current->mm;
	key->off = uaddr;
	key->tag = 0;
	if (!shared)
		return 0;
again:
	ret = get_user_pages_fast(uaddr, 1, 0, &page);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EFAULT;
	ret = rf_key_of_page(key, page, uaddr);
	if (ret == -ENOENT) {
		/*
		 * No mapping.  Reclaim moving a shmem folio from the page
		 * cache to the swap cache clears it before the swap cache
		 * has the folio, under the folio lock: keyed (mm, address)
		 * the waiter would sleep where no waker of the shared word
		 * looks.  As get_futex_key() does, look again once that is
		 * over, and find the folio it became.  The zero page and a
		 * truncated page stay keyed as private memory.
		 */
		struct folio *folio = page_folio(page);
		bool moved;

		folio_lock(folio);
		moved = folio_test_swapcache(folio) || folio->mapping;
		folio_unlock(folio);
		put_page(page);
		if (!moved)
			return 0;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		goto again;
	}
	put_page(page);
	return ret;
}

/* Unlink @w's node from @t's list and drop the reference it held. */
static void rf_unlink(struct list_head *node, struct rf_thread *t)
{
	spin_lock(&t->lock);
	list_del_init(node);	/* no-op if @t's death did it */
	spin_unlock(&t->lock);
	rf_thread_put(t);
}

static void rf_heir_put(struct rf_heir *h)
{
	if (refcount_dec_and_test(&h->ref))
		kfree(h);
}

/* The heir record of @key in @b, or NULL.  Under the bucket lock. */
static struct rf_heir *rf_heir_find(struct rf_bucket *b,
				    const struct rf_key *key)
{
	struct rf_heir *h;

	list_for_each_entry(h, &b->heirs, bnode)
		if (rf_key_eq(&h->key, key))
			return h;
	return NULL;
}

/* Under the bucket lock: wake every sleeper of @h (they ask again). */
static int rf_heir_wake_all(struct rf_heir *h)
{
	struct rf_waiter *w;
	int n = 0;

	list_for_each_entry(w, &h->waiters, rnode) {
		if (list_empty(&w->node))
			continue;	/* woken already */
		list_del_init(&w->node);
		wake_up_process(w->task);
		n++;
	}
	return n;
}

/* Under the bucket lock: @h heads nobody from now on. */
static void rf_heir_detach(struct rf_heir *h)
{
	struct rf_thread *t = h->thread;

	if (!t)
		return;
	spin_lock(&t->lock);
	list_del_init(&h->tnode);
	spin_unlock(&t->lock);
	h->thread = NULL;
	rf_thread_put(t);
	refcount_dec(&h->ref);	/* @t's: the bucket's is still held */
}

/*
 * Under the bucket lock: @heir (referenced by the caller) was woken alone
 * on @h's key: the key's recovering sleepers rest on it now, or, if it is
 * dead already, are woken to ask again.
 */
static void rf_heir_set(struct rf_heir *h, struct rf_thread *heir)
{
	if (h->thread == heir)
		return;
	rf_heir_detach(h);
	spin_lock(&heir->lock);
	if (heir->dead) {
		spin_unlock(&heir->lock);
		rf_count(RF_STAT_OWNER_WAKES, rf_heir_wake_all(h));
		return;
	}
	refcount_inc(&heir->ref);
	refcount_inc(&h->ref);
	h->thread = heir;
	list_add_tail(&h->tnode, &heir->heirs);
	spin_unlock(&heir->lock);
}

/*
 * Wake up to @nr waiters on @key.  When one is woken to take the lock, the
 * others' hope rests on it: if it dies before it takes the lock, or takes
 * it and dies, and its exit walk cannot read the list that would say so
 * (the model's WALK_FAIL), nobody else would wake them.  So the key's
 * heir record points at the woken thread from now on (the model's HEIR
 * rule), and its death wakes those that wait for an owner's death
 * (RF_WAIT_RECOVER).
 */
static int rf_wake_key(const struct rf_key *key, int nr)
{
	struct rf_bucket *b = rf_bucket(key);
	struct rf_thread *heir = NULL;
	struct rf_waiter *w, *tmp;
	struct rf_heir *h;
	int woken = 0;

	if (nr <= 0)
		return 0;
	spin_lock(&b->lock);
	list_for_each_entry_safe(w, tmp, &b->waiters, node) {
		if (!rf_key_eq(&w->key, key))
			continue;
		list_del_init(&w->node);
		if (nr == 1)
			heir = rf_thread_get(w->task);
		wake_up_process(w->task);
		if (++woken == nr)
			break;
	}
	if (heir) {
		/*
		 * The woken thread may also die before it takes the lock, its
		 * list unreadable (WALK_FAIL): its death then passes one wake
		 * on here (rf_owner_dies()), for waiters that did not ask for
		 * an owner's death.  Spurious if it took the lock meanwhile.
		 */
		spin_lock(&heir->lock);
		heir->heir_key[0] = key->ptr;
		heir->heir_key[1] = key->off;
		heir->heir_key[2] = key->tag;
		spin_unlock(&heir->lock);
		h = rf_heir_find(b, key);
		if (h)
			rf_heir_set(h, heir);
		rf_thread_put(heir);
	}
	spin_unlock(&b->lock);
	rf_count(RF_STAT_WAKES, woken);
	return woken;
}

static bool rf_valid_uaddr(u64 uaddr)
{
	return uaddr && !(uaddr & 3) && uaddr < TASK_SIZE;
}

long rf_ioctl_wake(struct rf_wake *arg)
{
	struct rf_key key;
	int ret;

	if (arg->flags & ~RF_WAIT_SHARED || arg->reserved)
		return -EINVAL;
	if (!rf_valid_uaddr(arg->uaddr))
		return -EINVAL;
	ret = rf_key_init(&key, arg->uaddr, arg->flags & RF_WAIT_SHARED);
	if (ret)
		return ret;
	return rf_wake_key(&key, min_t(u32, arg->nr, INT_MAX));
}

/*
 * Wake waiters of the word at @uaddr of a dead thread's @mm, in @page (held
 * by the walker).  The walker cannot know whether the word was waited on
 * as private or as shared, so it wakes both keys; an extra wake is
 * spurious, never lost.  @page cannot be caught moving to the swap cache
 * here: reclaim unmaps a page and checks that nobody else holds it before
 * it writes it out, and the walker took its reference through a mapping
 * (docs/exit-walk.md).
 */
void rf_wake_dead(struct mm_struct *mm, unsigned long uaddr,
		  struct page *page, int nr)
{
	struct rf_key key = { .ptr = (unsigned long)mm, .off = uaddr };

	rf_wake_key(&key, nr);
	if (page && !rf_key_of_page(&key, page, uaddr) &&
	    (key.ptr & RF_KEY_INODE))
		rf_wake_key(&key, nr);
}

/*
 * @t exits or execs (or unregisters): its owner ID names no live thread
 * from now on.  Wake everyone asleep on a word it owns, so each can ask
 * for recovery, whether or not the exit walk can read the list that
 * names the word.  @pass: @t is the current thread, and passes on the
 * wake it may not have used (rf_wake_key()), read in the same lock.
 * Process context: t->lock sleeps on PREEMPT_RT, so the exit and exec
 * probes leave this to their task_work.
 */
static void __rf_wake_owner_waiters(struct rf_thread *t, bool pass)
{
	struct rf_waiter *w, *tmp;
	struct rf_key key = {};
	bool heirs;
	int n = 0;

	spin_lock(&t->lock);
	WRITE_ONCE(t->dead, true);
	list_for_each_entry_safe(w, tmp, &t->owner_waiters, onode) {
		list_del_init(&w->onode);
		wake_up_process(w->task);
		n++;
	}
	/* Dead: neither list grows again, so a second call takes one lock. */
	heirs = !list_empty(&t->heirs);
	if (pass) {
		key.ptr = t->heir_key[0];
		key.off = t->heir_key[1];
		key.tag = t->heir_key[2];
	}
	spin_unlock(&t->lock);
	rf_count(RF_STAT_OWNER_WAKES, n);

	/*
	 * And everyone whose hope rested on it as the heir of their key.
	 * The bucket lock comes first: take one record at a time, held,
	 * and look again under both locks (a wake may have moved it on).
	 */
	while (heirs) {
		struct rf_bucket *b;
		struct rf_heir *h;

		spin_lock(&t->lock);
		h = list_first_entry_or_null(&t->heirs, struct rf_heir, tnode);
		if (h)
			refcount_inc(&h->ref);
		spin_unlock(&t->lock);
		if (!h)
			break;
		b = rf_bucket(&h->key);
		spin_lock(&b->lock);
		if (h->thread == t) {
			rf_count(RF_STAT_OWNER_WAKES, rf_heir_wake_all(h));
			rf_heir_detach(h);
		}
		spin_unlock(&b->lock);
		rf_heir_put(h);
	}
	if (key.ptr)
		rf_wake_key(&key, 1);
}

void rf_wake_owner_waiters(struct rf_thread *t)
{
	__rf_wake_owner_waiters(t, false);
}

/* The current thread @t exits or execs: its waiters, then its wake. */
void rf_owner_dies(struct rf_thread *t)
{
	__rf_wake_owner_waiters(t, true);
}

/*
 * The owner named in @val is dead: change the word, still @val, as
 * @flags allow.  With RF_RELEASING the release was cut short and is
 * finished (WAITERS kept: others may sleep here); without it the owner
 * died holding the lock and it is marked as the exit walk would.  The
 * caller is trying to lock this word, which proves it is still a live
 * mutex: the write cannot land in reused memory.  Returns RF_RESULT_*,
 * 0 if nothing may be done, or -errno (-EFAULT: fault in and retry).
 */
static int rf_recover_locked(u32 __user *uaddr, u32 val, u32 flags)
{
	u32 nval, cur;
	int res, ret;

	if (val & RF_RELEASING) {
		nval = val & FUTEX_WAITERS;
		res = RF_RESULT_RECOVERED;
	} else if (flags & RF_WAIT_OWNER_DIED) {
		nval = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		res = RF_RESULT_OWNER_DIED;
	} else {
		return 0;
	}
	ret = rf_cmpxchg_user_atomic(uaddr, val, nval, &cur);
	/*
	 * -EAGAIN (arm64: the exclusive store kept failing) goes up as if
	 * the word had changed: the caller returns it, never retries here.
	 */
	if (ret)
		return ret;
	return cur == val ? res : -EAGAIN;
}

/*
 * Under the bucket lock, with the word still @val: the live registration
 * owning it, returned with its lock held and a reference, or NULL if the
 * owner is dead: no registration has the ID, or it exited or exec'ed, or
 * it is exiting (PF_EXITING: it runs no user code again).  The last one
 * matters because the exit task_work comes after exit_mm() has told
 * pthread_join() that the thread is gone.  While !t->dead the task_work
 * (which runs in t->task itself) has not run, so t->task is still there.
 */
static struct rf_thread *rf_owner_lock_live(u32 val)
{
	struct rf_thread *t = rf_owner_get(val & RF_OWNER_MASK);

	if (!t)
		return NULL;
	spin_lock(&t->lock);
	if (!t->dead && !(READ_ONCE(t->task->flags) & PF_EXITING))
		return t;
	spin_unlock(&t->lock);
	rf_thread_put(t);
	return NULL;
}

/*
 * An absolute CLOCK_MONOTONIC deadline is the caller's time namespace's
 * time (CRIU restores containers into one): the hrtimer runs on the
 * host's.  Subtract the namespace's offset, clamped to [0, KTIME_MAX], as
 * futex() does (timens_ktime_to_host() is inline over a function that is
 * not exported; the offsets are in the header).  CLOCK_REALTIME has no
 * namespace offset.
 */
static ktime_t rf_timens_to_host(ktime_t t)
{
#ifdef CONFIG_TIME_NS
	const struct timens_offsets *o = &current->nsproxy->time_ns->offsets;
	ktime_t off = timespec64_to_ktime(o->monotonic);

	if (off > 0 && t < off)
		return 0;		/* long past on the host's clock */
	if (off < 0 && t > KTIME_MAX + off)
		return KTIME_MAX;
	return t - off;
#else
	return t;
#endif
}

long rf_ioctl_wait(struct rf_wait *arg)
{
	u32 __user *uaddr = u64_to_user_ptr(arg->uaddr);
	bool shared = arg->flags & RF_WAIT_SHARED;
	bool recover = arg->flags & RF_WAIT_RECOVER;
	bool try = arg->flags & RF_WAIT_TRY;
	struct rf_thread *owner = NULL;
	struct rf_heir *h, *spare = NULL;
	u32 id = arg->val & RF_OWNER_MASK;
	struct rf_waiter w;
	struct rf_bucket *b;
	ktime_t expires, *exp = NULL;
	struct rf_key key;
	int faults = 0;
	u32 val;
	long ret;

	if (arg->flags & ~(RF_WAIT_SHARED | RF_WAIT_TIMEOUT | RF_WAIT_REALTIME |
			   RF_WAIT_RECOVER | RF_WAIT_OWNER_DIED | RF_WAIT_TRY))
		return -EINVAL;
	if ((arg->flags & (RF_WAIT_OWNER_DIED | RF_WAIT_TRY)) && !recover)
		return -EINVAL;
	if (!rf_valid_uaddr(arg->uaddr) || arg->result)
		return -EINVAL;
	if (arg->flags & RF_WAIT_TIMEOUT) {
		struct timespec64 ts = {
			.tv_sec = arg->tv_sec, .tv_nsec = arg->tv_nsec
		};

		if (!timespec64_valid(&ts))
			return -EINVAL;
		expires = timespec64_to_ktime(ts);
		if (!(arg->flags & RF_WAIT_REALTIME))
			expires = rf_timens_to_host(expires);
		exp = &expires;
	} else if (arg->tv_sec || arg->tv_nsec ||
		   (arg->flags & RF_WAIT_REALTIME)) {
		return -EINVAL;
	}
	/* No owner (or the not-recoverable mark): nobody's death to await. */
	if (!id || id == RF_OWNER_MASK) {
		if (try)
			return -EBUSY;
		recover = false;
	}

	ret = rf_key_init(&key, arg->uaddr, shared);
	if (ret)
		return ret;
	b = rf_bucket(&key);
	w.key = key;
	w.task = current;
	w.owner = NULL;
	w.heir = NULL;
	INIT_LIST_HEAD(&w.onode);
	INIT_LIST_HEAD(&w.rnode);
retry:
	/*
	 * A page that faults again right after a successful fault-in (a
	 * shadow-stack page: writable to the fault handler, not to
	 * cmpxchg) must not keep us here: give up after a few rounds.
	 */
	if (faults && fatal_signal_pending(current)) {
		ret = -EINTR;
		goto out;
	}
	if (faults > RF_FAULT_RETRIES) {
		ret = -EFAULT;
		goto out;
	}
	spin_lock(&b->lock);
	ret = rf_get_user_atomic(uaddr, &val);
	if (ret) {
		spin_unlock(&b->lock);
		faults++;
		ret = rf_fault_in(arg->uaddr, false);
		if (ret)
			goto out;
		goto retry;
	}
	if (val != arg->val) {
		spin_unlock(&b->lock);
		ret = -EAGAIN;
		goto out;
	}
	if (recover) {
		owner = rf_owner_lock_live(val);
		if (!owner) {
			ret = rf_recover_locked(uaddr, val, arg->flags);
			if (ret == -EFAULT) {
				spin_unlock(&b->lock);
				faults++;
				ret = rf_fault_in(arg->uaddr, true);
				if (ret)
					goto out;
				goto retry;
			}
			if (ret) {
				spin_unlock(&b->lock);
				if (ret > 0) {
					rf_count(RF_STAT_RECOVERIES, 1);
					arg->result = ret;
					ret = 0;
				}
				goto out;
			}
			/* Died holding a lock it may not be robbed of. */
		} else if (!try) {
			h = rf_heir_find(b, &key);
			if (!h && !spare) {
				/* Its key's first: a record, made unlocked. */
				spin_unlock(&owner->lock);
				rf_thread_put(owner);
				owner = NULL;
				spin_unlock(&b->lock);
				spare = kzalloc(sizeof(*spare),
						GFP_KERNEL_ACCOUNT);
				if (!spare) {
					ret = -ENOMEM;
					goto out;
				}
				goto retry;
			}
			if (!h) {
				h = spare;
				spare = NULL;
				h->key = key;
				INIT_LIST_HEAD(&h->tnode);
				INIT_LIST_HEAD(&h->waiters);
				refcount_set(&h->ref, 1);	/* the bucket's */
				list_add_tail(&h->bnode, &b->heirs);
			}
			h->users++;
			list_add_tail(&w.rnode, &h->waiters);
			w.heir = h;
			list_add_tail(&w.onode, &owner->owner_waiters);
			w.owner = owner;	/* our reference goes with it */
		}
		if (try) {
			if (owner) {
				spin_unlock(&owner->lock);
				rf_thread_put(owner);
				owner = NULL;
			}
			spin_unlock(&b->lock);
			ret = -EBUSY;
			goto out;
		}
	}
	list_add_tail(&w.node, &b->waiters);
	/* Before either lock goes: a waker must find us asleep or awake. */
	set_current_state(TASK_INTERRUPTIBLE);
	if (owner)
		spin_unlock(&owner->lock);
	spin_unlock(&b->lock);

	ret = schedule_hrtimeout_range_clock(exp, 0, HRTIMER_MODE_ABS,
					     (arg->flags & RF_WAIT_REALTIME) ?
					     CLOCK_REALTIME : CLOCK_MONOTONIC);
	__set_current_state(TASK_RUNNING);

	spin_lock(&b->lock);
	if (list_empty(&w.node)) {
		ret = 0;		/* woken */
	} else {
		list_del(&w.node);
		if (!ret)
			ret = -ETIMEDOUT;
		else if (signal_pending(current))
			ret = -ERESTARTSYS;
		else
			ret = 0;	/* spurious, or the owner died: re-check */
	}
	if (w.heir) {
		list_del(&w.rnode);
		if (!--w.heir->users) {		/* its key's last */
			list_del(&w.heir->bnode);
			rf_heir_detach(w.heir);
			rf_heir_put(w.heir);
		}
	}
	spin_unlock(&b->lock);
	/* Off the bucket, nobody changes w.owner any more. */
	if (w.owner)
		rf_unlink(&w.onode, w.owner);
	arg->result = RF_RESULT_WOKEN;
out:
	kfree(spare);
	return ret;
}

int rf_wait_init(void)
{
	unsigned int i, n = roundup_pow_of_two(256 * num_possible_cpus());

	rf_buckets = kvmalloc_array(n, sizeof(*rf_buckets), GFP_KERNEL);
	if (!rf_buckets)
		return -ENOMEM;
	rf_hash_bits = ilog2(n);
	for (i = 0; i < n; i++) {
		spin_lock_init(&rf_buckets[i].lock);
		INIT_LIST_HEAD(&rf_buckets[i].waiters);
		INIT_LIST_HEAD(&rf_buckets[i].heirs);
	}
	return 0;
}

void rf_wait_exit(void)
{
	kvfree(rf_buckets);
}
