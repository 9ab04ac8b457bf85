// SPDX-License-Identifier: GPL-2.0
/*
 * The address space a registration's lists live in, and the walk that
 * runs when that address space itself goes.
 *
 * A registration holds no mm_users reference (mmget() past the owner's
 * exit_mm() makes mm_update_next_owner() scan every process in the
 * system, on every registered exit).  Instead each address space with
 * registrations has one mmu interval notifier (struct rf_mm), over a
 * range nothing maps (address 0, one byte), which pins only the struct
 * mm_struct (mm_count), and its registrations are attached to it.  So
 * the walk of a dead thread reads its lists:
 *  - in the dying thread itself (task_work), while another user keeps the
 *    address space (mmget_not_zero() succeeds), or
 *  - from the notifier, which exit_mmap() calls first thing with the event
 *    MMU_NOTIFY_RELEASE, the address space still whole, in whoever drops
 *    the last user: usually the last thread of the process in its own
 *    exit_mm(), or the exec'ing thread in exec_mmap().
 * Whichever claims a registration first walks it (RF_WALK_*, rf.h); if
 * the task_work finds no user left before the release has run, it hands
 * the release both the walk and the end of the teardown; if the release
 * (in another context) has claimed it already, the task_work waits for
 * that walk to end (RF_WALK_DONE), never faulting, so the thread is not
 * reaped before its words are marked.  The release holds a reference on
 * each registration it walks.
 *
 * A dying thread's registration stays attached until its mm's worker ends
 * it with the others that died about then (rf_mm_retire()); the release
 * finds it walked already and passes it by.
 *
 * One notifier per address space, not per registration: detaching a
 * thread is a list removal, where removing a notifier took the mm's
 * notifier lock and mm_count, which every thread of a killed process
 * contended for at once, and the interval tree every invalidation in the
 * process searches holds one node, not one per registered thread.
 *
 * An interval notifier, not a plain mmu_notifier: the plain kind's
 * release ends in synchronize_srcu(), which made every registered process
 * exit wait for an SRCU grace period (measured: exit_mmap() 13 ms against
 * 0.25 ms under QEMU TCG).  The interval tree's release path has no such
 * wait; the price is an interval-tree lookup, under the mm's notifier
 * lock, on each invalidation in a registered process.
 *
 * The first interval notifier of an mm (ours or anyone's) gives the mm its
 * interval tree: mmu_notifier_register(NULL, mm), which runs
 * mm_take_all_locks(), O(mappings) (70-90 ms for 60,000 under QEMU TCG), and
 * gives up with -EINTR on any pending signal.  Restarting the ioctl after
 * each signal never ends under a profiler's 1 kHz timer.  So when the
 * thread's own attempt is interrupted, a worker primes the mm instead,
 * once per mm (rf_primes), holding mm_users only while it runs; the thread
 * waits for it interruptibly, and the ioctl restarts, finds the same
 * prime, and waits on; once primed, the insert takes the fast path, which
 * neither takes those locks nor looks at signals.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/hashtable.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include "rf.h"

/* An address space's notifier and the registrations attached to it. */
struct rf_mm {
	struct mmu_interval_notifier mni;	/* pins mm (mm_count) */
	struct mm_struct *mm;			/* key */
	struct hlist_node node;			/* in rf_mms, under rf_mms_lock */
	refcount_t ref;				/* one per attached registration */
	spinlock_t lock;			/* threads */
	struct list_head threads;		/* rf_thread.mm_node */
	struct llist_head retired;		/* rf_thread.retire_node */
	struct delayed_work retire_work;	/* ends the retired ones */
};

/* Lookups and the last put under the lock: a hashed entry has ref > 0. */
static DEFINE_HASHTABLE(rf_mms, 10);
static DEFINE_SPINLOCK(rf_mms_lock);

/* The release has walked @t: its thread may be waiting for that (hooks.c). */
static void rf_walk_done(struct rf_thread *t)
{
	atomic_set_release(&t->walk, RF_WALK_DONE);
	/* Orders the store before wake_up_var()'s look for sleepers. */
	smp_mb();
	wake_up_var(&t->walk);
}

/*
 * The release: no user of the address space is left, so no thread runs
 * user code in it again.  Every attached registration not yet claimed
 * (or handed over) is claimed here and, with a reference, taken off to
 * walk outside the lock.  Its owner ID is dead now: those asleep on it
 * are woken before any walk's remote lookups, not after the rest of
 * do_exit() (the task_work, which does it again, harmlessly, comes
 * later), and each recovers its word itself.  No faults here: mm_users
 * is 0 (khugepaged must not see the mm again), and this may not be a
 * dying task.  Every other invalidation that overlaps address 0 (a
 * program that maps page 0) comes here too and means nothing.
 */
static bool rf_mm_invalidate(struct mmu_interval_notifier *mni,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct rf_mm *m = container_of(mni, struct rf_mm, mni);
	struct rf_thread *t, *tmp;
	LIST_HEAD(unwalked);
	LIST_HEAD(handed);
	int old;

	if (range->event != MMU_NOTIFY_RELEASE)
		return true;
	spin_lock(&m->lock);
	list_for_each_entry(t, &m->threads, mm_node) {
		old = atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_RELEASE);
		if (old == RF_WALK_HANDED) {	/* only we move it on */
			/* A failed cmpxchg orders nothing: see t->resume after. */
			smp_acquire__after_ctrl_dep();
			atomic_set(&t->walk, RF_WALK_RELEASE);
			list_add_tail(&t->rel_node, &handed);
		} else if (old == RF_WALK_IDLE) {
			list_add_tail(&t->rel_node, &unwalked);
		} else {
			continue;
		}
		/* Attached: its registration's own reference is held. */
		refcount_inc(&t->ref);
	}
	spin_unlock(&m->lock);
	/* HANDED: woken already. */
	list_for_each_entry(t, &unwalked, rel_node)
		rf_wake_owner_waiters(t);
	list_for_each_entry_safe(t, tmp, &unwalked, rel_node) {
		rf_walk_thread(t, true);
		rf_walk_done(t);
		rf_thread_put(t);
	}
	/*
	 * Handed over: the rest of its teardown is a worker's, since
	 * detaching the last registration removes this notifier, which
	 * waits for this very release to end.
	 */
	list_for_each_entry_safe(t, tmp, &handed, rel_node) {
		rf_walk_thread(t, true);
		rf_walk_done(t);
		queue_work(system_unbound_wq, &t->teardown);
		rf_thread_put(t);
	}
	return true;
}

static const struct mmu_interval_notifier_ops rf_mm_ops = {
	.invalidate	= rf_mm_invalidate,
};

/*
 * The retired registrations of @m, ended in one batch.  Each holds a
 * reference on @m until its own detach, and this work is queued only by
 * an add to an empty list: while it is pending or running with entries
 * still to end, @m is alive.  The last detach frees @m (this work too,
 * which is allowed): nothing of @m is touched after the batch is taken.
 */
static void rf_mm_retire_work(struct work_struct *work)
{
	struct rf_mm *m = container_of(to_delayed_work(work), struct rf_mm,
				       retire_work);
	struct llist_node *batch = llist_del_all(&m->retired);
	struct rf_thread *t, *tmp;

	llist_for_each_entry_safe(t, tmp, batch, retire_node) {
		rf_thread_end_retired(t);
		cond_resched();
	}
}

/*
 * The dying thread of @t, walked and its owner ID dead, leaves the rest
 * of its teardown (out of the table, its ID freed, detached, its last
 * reference) to a worker that ends its mm's retired registrations in one
 * batch: the thread is reaped without waiting for that bookkeeping,
 * which mainline's exit does not have.  The worker runs a tick after the
 * first of a batch, so the threads of a killed process, dying together,
 * wake it once or twice, not once each (queued at once, it ran inside
 * their exits, woken for nearly every thread: docs/results.md).  The
 * thread's task_struct is held until the registration is out of the
 * table, whose key it is.  Only for a thread that will not register
 * again (exiting, or in a group exit): one that execs may, at once.
 */
void rf_mm_retire(struct rf_thread *t)
{
	struct rf_mm *m = t->rfm;

	get_task_struct(t->task);
	if (llist_add(&t->retire_node, &m->retired))
		queue_delayed_work(system_unbound_wq, &m->retire_work, 1);
}

/*
 * Priming an mm: giving it the interval tree in a worker, where no signal
 * interrupts mm_take_all_locks().  An entry is in rf_primes from its start
 * until the worker has finished with it, so a thread that restarts after a
 * signal waits for the prime already running rather than starting another.
 */
struct rf_prime {
	struct hlist_node node;		/* in rf_primes, under rf_prime_lock */
	struct mm_struct *mm;		/* key; mmgrab()bed */
	refcount_t ref;			/* the worker's and each waiter's */
	int ret;			/* mmu_notifier_register()'s */
	struct completion done;
	struct work_struct work;
};

static DEFINE_MUTEX(rf_prime_lock);
static DEFINE_HASHTABLE(rf_primes, 4);
/* Entries in rf_primes: a registration looks there only if any. */
static atomic_t rf_nprimes = ATOMIC_INIT(0);
/* Module-owned: module exit waits for a prime still running. */
static struct workqueue_struct *rf_prime_wq;

static void rf_prime_put(struct rf_prime *p)
{
	if (refcount_dec_and_test(&p->ref)) {
		mmdrop(p->mm);
		kfree(p);
	}
}

static void rf_prime_work(struct work_struct *work)
{
	struct rf_prime *p = container_of(work, struct rf_prime, work);
	int ret = -ESRCH;

	/*
	 * mm_users for the register (it must not race the release); none if
	 * the process is gone already, since then nobody waits for it.  If
	 * this mmput() is the last, the release runs here: that is allowed
	 * (the release, rf_mm_invalidate(), takes no fault and may run in any
	 * context).
	 */
	if (mmget_not_zero(p->mm)) {
		ret = mmu_notifier_register(NULL, p->mm);
		mmput(p->mm);
	}
	mutex_lock(&rf_prime_lock);
	hash_del(&p->node);
	atomic_dec(&rf_nprimes);
	mutex_unlock(&rf_prime_lock);
	p->ret = ret;
	complete_all(&p->done);
	rf_prime_put(p);
}

/*
 * The prime of @mm in progress, with a reference; if there is none, NULL,
 * or with @start a new one, queued.
 */
static struct rf_prime *rf_prime_get(struct mm_struct *mm, bool start)
{
	struct rf_prime *p, *new = NULL;

	if (start) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return ERR_PTR(-ENOMEM);
	}
	mutex_lock(&rf_prime_lock);
	hash_for_each_possible(rf_primes, p, node, (unsigned long)mm) {
		if (p->mm == mm) {
			refcount_inc(&p->ref);
			goto out;
		}
	}
	p = new;
	new = NULL;
	if (p) {
		mmgrab(mm);
		p->mm = mm;
		refcount_set(&p->ref, 2);
		init_completion(&p->done);
		INIT_WORK(&p->work, rf_prime_work);
		hash_add(rf_primes, &p->node, (unsigned long)mm);
		atomic_inc(&rf_nprimes);
		queue_work(rf_prime_wq, &p->work);
		rf_count(RF_STAT_PRIMES, 1);
	}
out:
	mutex_unlock(&rf_prime_lock);
	kfree(new);
	return p;
}

/*
 * Wait for @p, interruptibly, and drop it: 0 once the mm is primed.  A
 * signal (a fatal one too) ends the wait, and the ioctl restarts after the
 * handler; the prime goes on without us.
 */
static int rf_prime_wait(struct rf_prime *p)
{
	int ret = wait_for_completion_interruptible(&p->done);

	ret = ret ? -ERESTARTNOINTR : p->ret;
	rf_prime_put(p);
	return ret;
}

/* Insert @mni over address 0 of @mm, the current thread's. */
static int rf_mm_insert(struct mmu_interval_notifier *mni,
			struct mm_struct *mm)
{
	struct rf_prime *p;
	int ret;

	/*
	 * A restart after a signal: wait for the prime it started.  Every
	 * process's first lock comes here: no global mutex unless a prime
	 * is in flight somewhere.
	 */
	p = atomic_read(&rf_nprimes) ? rf_prime_get(mm, false) : NULL;
	if (p) {
		ret = rf_prime_wait(p);
		if (ret)
			return ret;
	}
	ret = mmu_interval_notifier_insert(mni, mm, 0, 1, &rf_mm_ops);
	if (ret == -EINTR) {
		/* The mm's first notifier, interrupted: hand it over. */
		p = rf_prime_get(mm, true);
		if (IS_ERR(p))
			return PTR_ERR(p);
		ret = rf_prime_wait(p);
		if (!ret)
			ret = mmu_interval_notifier_insert(mni, mm, 0, 1,
							   &rf_mm_ops);
		/* The caller (a first lock) must never see -EINTR. */
		if (ret == -EINTR)
			ret = -ERESTARTNOINTR;
	}
	return ret;
}

/* The notifier of @mm, with a reference for a registration, or NULL. */
static struct rf_mm *rf_mm_find_get(struct mm_struct *mm)
{
	struct rf_mm *m;

	hash_for_each_possible(rf_mms, m, node, (unsigned long)mm) {
		if (m->mm == mm) {
			refcount_inc(&m->ref);
			return m;
		}
	}
	return NULL;
}

/*
 * Attach @t, a new registration of the current thread, to its mm's
 * notifier, made if it has none.  The current thread is a user of the
 * mm, so its release has not begun; the notifier pins the mm, so the key
 * names no other.  Two first registrations of one mm may both make one:
 * the second to get the lock uses the first's and drops its own.
 */
int rf_mm_attach(struct rf_thread *t)
{
	struct mm_struct *mm = current->mm;
	struct rf_mm *m, *new;
	int ret;

	spin_lock(&rf_mms_lock);
	m = rf_mm_find_get(mm);
	spin_unlock(&rf_mms_lock);
	if (!m) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		new->mm = mm;
		refcount_set(&new->ref, 1);
		spin_lock_init(&new->lock);
		INIT_LIST_HEAD(&new->threads);
		init_llist_head(&new->retired);
		INIT_DELAYED_WORK(&new->retire_work, rf_mm_retire_work);
		ret = rf_mm_insert(&new->mni, mm);
		if (ret) {
			kfree(new);
			return ret;
		}
		/*
		 * Inserted while an invalidation runs in another context
		 * (reclaim, migration), the notifier joins the tree only
		 * when that ends.  Were the process to exit first, its
		 * release would not see the notifier, nor walk the
		 * registrations attached to it.  So wait for that end, as
		 * the removal does; the wait is bounded by that
		 * invalidation.
		 */
		mmu_interval_read_begin(&new->mni);
		spin_lock(&rf_mms_lock);
		m = rf_mm_find_get(mm);
		if (!m) {
			hash_add(rf_mms, &new->node, (unsigned long)mm);
			m = new;
			new = NULL;
		}
		spin_unlock(&rf_mms_lock);
		if (new) {
			mmu_interval_notifier_remove(&new->mni);
			kfree(new);
		}
	}
	spin_lock(&m->lock);
	list_add_tail(&t->mm_node, &m->threads);
	spin_unlock(&m->lock);
	t->rfm = m;
	t->mm = mm;
	return 0;
}

/*
 * Detach @t; the caller is not to use its mm pointer after this (a
 * release in progress, which holds a reference, still does).  The last
 * registration of an mm removes the notifier, which waits for a release
 * in progress to end: never called from the release itself.  May sleep.
 */
void rf_mm_detach(struct rf_thread *t)
{
	struct rf_mm *m = t->rfm;

	spin_lock(&m->lock);
	list_del(&t->mm_node);
	spin_unlock(&m->lock);
	if (!refcount_dec_and_lock(&m->ref, &rf_mms_lock))
		return;
	hash_del(&m->node);
	spin_unlock(&rf_mms_lock);
	mmu_interval_notifier_remove(&m->mni);
	kfree(m);
}

int rf_mm_init(void)
{
	rf_prime_wq = alloc_workqueue("robustfutex_prime", WQ_UNBOUND, 0);
	return rf_prime_wq ? 0 : -ENOMEM;
}

/* No ioctl is in flight; a prime for a waiter killed meanwhile may be. */
void rf_mm_exit(void)
{
	destroy_workqueue(rf_prime_wq);
}
