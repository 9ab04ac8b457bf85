// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting and waking through the module, and recovery of a word whose
 * releaser died mid-release.
 *
 * Mainline's futex functions are not exported, so the module cannot wake a
 * thread asleep in FUTEX_WAIT: whoever must be woken on recovery sleeps
 * here.  Keys follow mainline's: (mm, address) for process-private words
 * and private anonymous memory; (page, offset) for shared memory, where the
 * waiter holds a page reference, so the page can neither be freed nor
 * migrated while anyone waits on it and every process mapping it finds the
 * same struct page.
 *
 * Waiters hang off hashed buckets, each with its own spinlock.  A waker
 * unlinks a waiter and wakes it under the bucket lock; the waiter unlinks
 * itself under the same lock if it woke for another reason, so its
 * on-stack node is never touched after it returns.
 *
 * Recovery records say "thread T died with an unlock of this word cut
 * short".  They are rare (one per death in that window), so they live on
 * one list under one lock, taken inside a bucket lock.  Each holds a
 * reference on its key (mmgrab() or a page reference) so the key cannot
 * come to name other memory while the record lives.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/hrtimer.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/futex.h>
#include <linux/pid.h>
#include <linux/uaccess.h>
#include "rf.h"

struct rf_key {
	unsigned long ptr;	/* mm, or page | RF_KEY_PAGE */
	unsigned long off;	/* address, or offset in the page */
};

#define RF_KEY_PAGE	1UL

struct rf_bucket {
	spinlock_t lock;		/* waiters; records of this bucket's keys */
	struct list_head waiters;
} ____cacheline_aligned_in_smp;

struct rf_waiter {
	struct list_head node;
	struct rf_key key;
	struct task_struct *task;
};

struct rf_record {
	struct list_head node;
	struct rf_key key;
	pid_t tid;
};

static struct rf_bucket *rf_buckets;
static unsigned int rf_hash_bits;
static DEFINE_SPINLOCK(rf_records_lock);
static LIST_HEAD(rf_records);
static unsigned int rf_nrecords;

static struct rf_bucket *rf_bucket(const struct rf_key *key)
{
	u32 h = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0);

	return &rf_buckets[hash_32(h, rf_hash_bits)];
}

static bool rf_key_eq(const struct rf_key *a, const struct rf_key *b)
{
	return a->ptr == b->ptr && a->off == b->off;
}

static void rf_key_put(struct rf_key *key)
{
	if (key->ptr & RF_KEY_PAGE)
		put_page((struct page *)(key->ptr & ~RF_KEY_PAGE));
}

/*
 * Key of the word at @uaddr in the current mm.  A shared key of a page
 * that is not private anonymous memory holds a page reference, dropped
 * with rf_key_put().
 */
static int rf_key_init(struct rf_key *key, unsigned long uaddr, bool shared)
{
	struct page *page;
	int ret;

	key->ptr = (unsigned long)current->mm;
	key->off = uaddr;
	if (!shared)
		return 0;
	ret = get_user_pages_fast(uaddr, 1, 0, &page);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EFAULT;
	/*
	 * Private anonymous memory, and the zero page an untouched private
	 * page reads as, are named by (mm, address) as mainline does.
	 */
	if (PageAnon(page) || !READ_ONCE(page->mapping)) {
		put_page(page);
		return 0;
	}
	key->ptr = (unsigned long)page | RF_KEY_PAGE;
	key->off = offset_in_page(uaddr);
	return 0;
}

static int rf_wake_key(const struct rf_key *key, int nr)
{
	struct rf_bucket *b = rf_bucket(key);
	struct rf_waiter *w, *tmp;
	int woken = 0;

	if (nr <= 0)
		return 0;
	spin_lock(&b->lock);
	list_for_each_entry_safe(w, tmp, &b->waiters, node) {
		if (!rf_key_eq(&w->key, key))
			continue;
		list_del_init(&w->node);
		wake_up_process(w->task);
		if (++woken == nr)
			break;
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
	ret = rf_wake_key(&key, min_t(u32, arg->nr, INT_MAX));
	rf_key_put(&key);
	return ret;
}

/*
 * Wake waiters of a word in a dead thread's mm (borrowed by the walker).
 * The walker cannot know whether the word was waited on as private or as
 * shared, so it wakes both keys; an extra wake is spurious, never lost.
 */
void rf_wake_dead(unsigned long uaddr, int nr)
{
	struct rf_key key;

	key.ptr = (unsigned long)current->mm;
	key.off = uaddr;
	rf_wake_key(&key, nr);
	if (!rf_key_init(&key, uaddr, true) && (key.ptr & RF_KEY_PAGE)) {
		rf_wake_key(&key, nr);
		rf_key_put(&key);
	}
}

static void rf_record_free(struct rf_record *r)
{
	if (r->key.ptr & RF_KEY_PAGE)
		rf_key_put(&r->key);
	else
		mmdrop((struct mm_struct *)r->key.ptr);
	kfree(r);
}

/* Find the record for @key; drop it if it is for another TID (stale). */
static struct rf_record *rf_record_find(const struct rf_key *key, pid_t tid,
					struct list_head *dead)
{
	struct rf_record *r, *tmp, *found = NULL;

	lockdep_assert_held(&rf_records_lock);
	list_for_each_entry_safe(r, tmp, &rf_records, node) {
		if (!rf_key_eq(&r->key, key))
			continue;
		if (r->tid == tid) {
			found = r;
		} else {
			list_move(&r->node, dead);
			rf_nrecords--;
			rf_count(RF_STAT_RECORDS_DROPPED, 1);
		}
	}
	return found;
}

static void rf_records_free(struct list_head *dead)
{
	struct rf_record *r, *tmp;

	list_for_each_entry_safe(r, tmp, dead, node)
		rf_record_free(r);
}

/*
 * The walker found @uaddr (dead thread's mm) still holding tid|RF_RELEASING
 * with an unlock pending: the release was cut short.  Record it and wake
 * every waiter so each asks for recovery.  Nothing is written to the word:
 * the memory may already be something else.
 */
void rf_record_cut_release(unsigned long uaddr, pid_t tid)
{
	struct rf_record *r, *old = NULL;
	struct rf_bucket *b;
	LIST_HEAD(dead);

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (r && rf_key_init(&r->key, uaddr, true)) {
		kfree(r);
		r = NULL;
	}
	if (!r) {
		/* Waiters fall back to "is the releaser alive?" */
		rf_count(RF_STAT_RECORDS_DROPPED, 1);
		rf_wake_dead(uaddr, INT_MAX);
		return;
	}
	r->tid = tid;
	if (!(r->key.ptr & RF_KEY_PAGE))
		mmgrab((struct mm_struct *)r->key.ptr);

	b = rf_bucket(&r->key);
	spin_lock(&b->lock);
	spin_lock(&rf_records_lock);
	old = rf_record_find(&r->key, tid, &dead);
	if (old) {
		list_move(&old->node, &dead);
		rf_nrecords--;
	}
	if (rf_nrecords >= READ_ONCE(rf_max_records)) {
		/* Bounded: the oldest goes first. */
		list_move(rf_records.prev, &dead);
		rf_nrecords--;
		rf_count(RF_STAT_RECORDS_DROPPED, 1);
	}
	list_add(&r->node, &rf_records);
	rf_nrecords++;
	spin_unlock(&rf_records_lock);
	spin_unlock(&b->lock);
	rf_count(RF_STAT_RECORDS, 1);
	rf_records_free(&dead);
	rf_wake_dead(uaddr, INT_MAX);
}

/* A thread with TID @tid registered: records naming that TID are stale. */
void rf_records_forget_tid(pid_t tid)
{
	struct rf_record *r, *tmp;
	LIST_HEAD(dead);

	spin_lock(&rf_records_lock);
	list_for_each_entry_safe(r, tmp, &rf_records, node) {
		if (r->tid == tid) {
			list_move(&r->node, &dead);
			rf_nrecords--;
			rf_count(RF_STAT_RECORDS_DROPPED, 1);
		}
	}
	spin_unlock(&rf_records_lock);
	rf_records_free(&dead);
}

/*
 * Under the bucket lock: recover a word holding tid|RF_RELEASING (@val) if
 * its releaser is known dead: a record says it died mid-release, or no
 * thread with that TID exists.  A live namesake (TID reused) is not known
 * dead, so the waiter sleeps until woken or timed out.  Returns 1 if the
 * word was recovered, 0 if not, or a negative error (-EFAULT: fault in and
 * retry).
 */
static int rf_recover_locked(u32 __user *uaddr, const struct rf_key *rkey,
			     u32 val, struct list_head *dead)
{
	pid_t tid = val & RF_TID_MASK;
	struct rf_record *r;
	bool known;
	u32 cur;
	int ret = 0;

	spin_lock(&rf_records_lock);
	r = rf_record_find(rkey, tid, dead);
	known = r;
	if (!known) {
		rcu_read_lock();
		known = !pid_task(find_vpid(tid), PIDTYPE_PID);
		rcu_read_unlock();
	}
	if (known) {
		/* Unlocked, keeping WAITERS: others may still sleep here. */
		ret = rf_cmpxchg_user_atomic(uaddr, val, val & FUTEX_WAITERS,
					     &cur);
		if (!ret)
			ret = cur == val ? 1 : -EAGAIN;
		if (ret == 1 && r) {
			list_move(&r->node, dead);
			rf_nrecords--;
		}
	}
	spin_unlock(&rf_records_lock);
	return ret;
}

long rf_ioctl_wait(struct rf_wait *arg)
{
	u32 __user *uaddr = u64_to_user_ptr(arg->uaddr);
	bool shared = arg->flags & RF_WAIT_SHARED;
	bool recover = arg->flags & RF_WAIT_RECOVER;
	struct rf_key key, rkey = {};
	struct rf_waiter w;
	struct rf_bucket *b;
	ktime_t expires, *exp = NULL;
	LIST_HEAD(dead);
	u32 val;
	long ret;

	if (arg->flags & ~(RF_WAIT_SHARED | RF_WAIT_TIMEOUT |
			   RF_WAIT_REALTIME | RF_WAIT_RECOVER))
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
		exp = &expires;
	} else if (arg->tv_sec || arg->tv_nsec ||
		   (arg->flags & RF_WAIT_REALTIME)) {
		return -EINVAL;
	}
	/* Only a word whose releaser may have died can be recovered. */
	if (recover && (!(arg->val & RF_RELEASING) ||
			!(arg->val & RF_TID_MASK)))
		recover = false;

	ret = rf_key_init(&key, arg->uaddr, shared);
	if (ret)
		return ret;
	/* Records are kept under the shared-style key: look up by that. */
	if (recover) {
		ret = rf_key_init(&rkey, arg->uaddr, true);
		if (ret)
			goto out_key;
	}
	b = rf_bucket(&key);
	w.key = key;
	w.task = current;
retry:
	spin_lock(&b->lock);
	ret = rf_get_user_atomic(uaddr, &val);
	if (ret) {
		spin_unlock(&b->lock);
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
		ret = rf_recover_locked(uaddr, &rkey, val, &dead);
		if (ret) {
			spin_unlock(&b->lock);
			if (ret == -EFAULT) {
				ret = rf_fault_in(arg->uaddr, true);
				if (ret)
					goto out;
				goto retry;
			}
			if (ret == 1) {
				rf_count(RF_STAT_RECOVERIES, 1);
				arg->result = RF_RESULT_RECOVERED;
				ret = 0;
			}
			goto out;
		}
	}
	list_add_tail(&w.node, &b->waiters);
	set_current_state(TASK_INTERRUPTIBLE);
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
			ret = 0;	/* spurious: the caller re-checks */
	}
	spin_unlock(&b->lock);
	arg->result = RF_RESULT_WOKEN;
out:
	if (recover)
		rf_key_put(&rkey);
out_key:
	rf_key_put(&key);
	rf_records_free(&dead);
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
	}
	return 0;
}

void rf_wait_exit(void)
{
	LIST_HEAD(dead);

	spin_lock(&rf_records_lock);
	list_splice_init(&rf_records, &dead);
	rf_nrecords = 0;
	spin_unlock(&rf_records_lock);
	rf_records_free(&dead);
	kvfree(rf_buckets);
}
