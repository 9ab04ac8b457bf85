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
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
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
	if (old == RF_WALK_HANDED) {	/* only we move it on from there */
		/* A failed cmpxchg orders nothing: see t->resume after. */
		smp_acquire__after_ctrl_dep();
		atomic_set(&t->walk, RF_WALK_RELEASE);
	}
	/*
	 * No user is left, so no thread runs user code in this address
	 * space again: the owner ID is dead now.  Wake those asleep on it
	 * before the walk's remote lookups, not after the rest of do_exit()
	 * (the task_work, which does it again, harmlessly, comes later);
	 * each then recovers its word itself.  HANDED: done already.
	 */
	if (old == RF_WALK_IDLE)
		rf_wake_owner_waiters(t);
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

/* Attach @t, a new registration of the current thread, to its mm. */
int rf_mm_attach(struct rf_thread *t)
{
	struct mm_struct *mm = current->mm;
	struct rf_prime *p;
	int ret;

	/*
	 * A restart after a signal: wait for the prime it started.  Every
	 * thread's first lock comes here: no global mutex unless a prime
	 * is in flight somewhere.
	 */
	p = atomic_read(&rf_nprimes) ? rf_prime_get(mm, false) : NULL;
	if (p) {
		ret = rf_prime_wait(p);
		if (ret)
			return ret;
	}
	ret = mmu_interval_notifier_insert(&t->mni, mm, 0, 1, &rf_mm_ops);
	if (ret == -EINTR) {
		/* The mm's first notifier, interrupted: hand it over. */
		p = rf_prime_get(mm, true);
		if (IS_ERR(p))
			return PTR_ERR(p);
		ret = rf_prime_wait(p);
		if (!ret)
			ret = mmu_interval_notifier_insert(&t->mni, mm, 0, 1,
							   &rf_mm_ops);
		/* The caller (a first lock) must never see -EINTR. */
		if (ret == -EINTR)
			ret = -ERESTARTNOINTR;
	}
	if (!ret)
		t->mm = mm;
	return ret;
}

/* Detach @t; its mm pointer is not to be used after this.  May sleep. */
void rf_mm_detach(struct rf_thread *t)
{
	mmu_interval_notifier_remove(&t->mni);
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
