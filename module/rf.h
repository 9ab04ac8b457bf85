/* SPDX-License-Identifier: GPL-2.0 */
/* robustfutex: declarations shared by the module's files. */
#ifndef _RF_H
#define _RF_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/mm_types.h>
#include <linux/rhashtable-types.h>
#include <linux/task_work.h>
#include <linux/spinlock.h>
#include <linux/refcount.h>
#include <linux/mmu_notifier.h>
#include <linux/uaccess.h>
#include <asm/futex.h>
#include <robustfutex/ioctl.h>
#include "compat.h"

#define RF_MAX_LISTS_HARD	256
#define RF_LIST_LIMIT_HARD	16777216

/* Module parameters (main.c). */
extern unsigned int rf_max_lists;
extern unsigned int rf_list_limit;
extern unsigned int rf_max_threads;
extern unsigned int rf_max_threads_per_user;

/* Counters exposed in /sys/kernel/robustfutex/ (main.c). */
enum rf_stat {
	RF_STAT_REGISTRATIONS,	/* threads that registered a first list */
	RF_STAT_WALKS,		/* lists walked at exit or exec */
	RF_STAT_RECOVERED,	/* futex words the walk marked or released */
	RF_STAT_WALKS_LIMITED,	/* walks cut at list_limit */
	RF_STAT_FAULTS,		/* walks or words cut by a bad pointer */
	RF_STAT_CYCLES,		/* walks that found a cycle */
	RF_STAT_WAKES,		/* threads woken */
	RF_STAT_CUT_RELEASES,	/* walks that found a release cut short */
	RF_STAT_RECOVERIES,	/* words recovered on a waiter's request */
	RF_STAT_OWNER_WAKES,	/* waiters woken by their owner's death */
	RF_STAT_PRIMES,		/* mms given their notifier tree by a worker */
	RF_STAT_KILL_WALKS,	/* threads walked at a fatal signal, not exit */
	RF_NR_STATS
};

/*
 * Per CPU: every exit of a registered thread counts several, and one
 * shared cache line would be written by every CPU at once (a 128-thread
 * kill on two vCPUs).  Summed when read (main.c).
 */
struct rf_stats {
	u64 n[RF_NR_STATS];
};

DECLARE_PER_CPU(struct rf_stats, rf_counts);
extern const char * const rf_stat_names[RF_NR_STATS];

static inline void rf_count(enum rf_stat s, long n)
{
	if (n)
		this_cpu_add(rf_counts.n[s], n);
}

struct rf_user;
struct rf_mm;

struct rf_slot {
	u64 head;
	u64 base;		/* added to the list's pointers (emulators) */
	u8 width;		/* RF_WIDTH_32 or RF_WIDTH_64; 0 = unused */
	u8 protocol;
};

/*
 * Where a walk at a kill stopped, at an access it could not make without a
 * fault (walk.c): the exit walk goes on from there, never from the head
 * again (a waiter woken meanwhile may have taken a lock already passed and
 * relinked its node).  Lists before @slot are done.
 */
enum { RF_AT_NONE, RF_AT_HEAD, RF_AT_ENTRY, RF_AT_PENDING };

struct rf_resume {
	unsigned int slot;
	u8 at;			/* RF_AT_* */
	bool have_next;		/* RF_AT_ENTRY: @next was read */
	unsigned int n;		/* entries counted against the limit */
	unsigned long entry, next;
	unsigned long tortoise, power, lam;	/* cycle detection */
};

/*
 * A registered thread.  Only the thread itself changes its slots.  Waiters
 * on a word it owns find it by owner ID and may hold a reference past its
 * death (the registration is freed on the last one).
 */
struct rf_thread {
	struct rhash_head node;
	struct task_struct *task;	/* key; the entry dies before the task */
	pid_t tid;			/* as the thread sees itself */
	u32 id;				/* owner ID (RF_IOC_GET_OWNER) */
	bool id_given;			/* told to userspace: keep until exit */
	bool dead;			/* exited or exec'ed: under lock */
	struct mm_struct *mm;		/* its lists' address space (mm.c) */
	struct rf_mm *rfm;		/* mm's notifier: pins it, walks at release */
	struct list_head mm_node;	/* on rfm's threads */
	struct list_head rel_node;	/* on its release's list (mm.c) */
	struct llist_node retire_node;	/* on its mm's retired list (mm.c) */
	atomic_t walk;			/* RF_WALK_* */
	bool mm_held;			/* the exit probe took mm_users */
	struct work_struct teardown;	/* after a walk handed to release */
	struct work_struct put_work;	/* rf_thread_put_atomic()'s last */
	struct rf_user *user;		/* charged for it */
	/*
	 * RF_QUEUED: whoever sets it owns twork and the end of the
	 * registration: the thread itself (exit, exec, its last list
	 * removed, or its walk at a kill).  RF_KILLQ: kwork was queued by
	 * a fatal signal's sender (hooks.c), holding a reference.
	 */
	unsigned long flags;
	struct callback_head kwork;
	struct rf_resume resume;	/* where a walk at a kill stopped */
	refcount_t ref;
	struct callback_head twork;
	struct rcu_head rcu;
	spinlock_t lock;		/* slots, dead, owner_waiters */
	struct list_head owner_waiters;	/* waiting on a word it owns */
	struct list_head heirs;		/* keys it is the heir of (wait.c) */
	/* Key it was last woken alone on (under lock): passed on at death. */
	unsigned long heir_key[3];
	/*
	 * Grown (never shrunk) by the thread itself when max_lists rises:
	 * others read them under lock; the walk runs where the thread can
	 * no longer change them.
	 */
	unsigned int nslots;
	unsigned int nused;
	struct rf_slot *slots;
};

#define RF_QUEUED	0	/* bits in rf_thread.flags */
#define RF_KILLQ	1

static inline bool rf_claim(struct rf_thread *t)
{
	return !test_and_set_bit(RF_QUEUED, &t->flags);
}

static inline bool rf_claimed(const struct rf_thread *t)
{
	return test_bit(RF_QUEUED, &t->flags);
}

/* registry.c: the table of registrations and their owner IDs */
int rf_registry_init(void);
void rf_registry_exit(void);
unsigned int rf_nr_threads(void);
struct rf_thread *rf_lookup(struct task_struct *task);
struct rf_thread *rf_register_current(void);
void rf_unregister_current(struct rf_thread *t);
void rf_thread_unpublish(struct rf_thread *t);
void rf_thread_erase_id(struct rf_thread *t);
void rf_thread_release(struct rf_thread *t);
void rf_thread_end_retired(struct rf_thread *t);
struct rf_thread *rf_owner_get(u32 id);
struct rf_thread *rf_thread_get(struct task_struct *task);
void rf_thread_put(struct rf_thread *t);
void rf_thread_put_atomic(struct rf_thread *t);

/* hooks.c: the exit and exec tracepoints and their task_work */
int rf_hooks_init(void);
void rf_hooks_exit(void);

/* lists.c: the ioctls on a thread's slots and owner ID */
long rf_ioctl_set_list(struct rf_list *arg);
long rf_ioctl_get_list(struct rf_list *arg);
long rf_ioctl_remove_list(struct rf_list *arg);
long rf_ioctl_get_owner(struct rf_owner *arg);

/* users.c: per-user accounting */
struct rf_user *rf_user_charge(void);
void rf_user_uncharge(struct rf_user *u);
ssize_t rf_users_show(char *buf);

/* mm.c: the address space a registration's lists live in */
int rf_mm_init(void);
void rf_mm_exit(void);
int rf_mm_attach(struct rf_thread *t);
void rf_mm_detach(struct rf_thread *t);
void rf_mm_retire(struct rf_thread *t);

/*
 * Who walks a dead thread's lists (registry.c, mm.c).  IDLE -> TASK: its
 * own task_work, holding mm_users.  IDLE -> RELEASE: the address space's
 * release.  IDLE -> HANDED: the task_work found no user left and the
 * release not yet run; the release walks it (HANDED -> RELEASE) and then
 * finishes the teardown the task_work left.  RELEASE -> DONE: the release
 * has walked it (a task_work that found RELEASE waits for that, so the
 * words are recovered before its thread is reaped).
 */
enum {
	RF_WALK_IDLE, RF_WALK_TASK, RF_WALK_RELEASE, RF_WALK_HANDED,
	RF_WALK_DONE,
};

/* walk.c: the lists of a thread that died or exec'ed */
void rf_walk_thread(struct rf_thread *t, bool nofault);
bool rf_walk_thread_early(struct rf_thread *t);
void rf_thread_teardown(struct work_struct *work);

/* uaccess.c: futex words of the current mm (ioctls) */

/*
 * 0 with *@cur the word's value before, -EFAULT, or -EAGAIN: arm64's
 * LL/SC version gives up after a bounded number of lost exclusive stores
 * (FUTEX_MAX_LOOPS) and leaves *@cur unset.  The lock ioctl (wait.c)
 * hands it to user space as "the word changed", to look at the word
 * again; the exit walk (walk.c) falls back to its pinned page, once.  No
 * kernel path retries it in a loop.  Inline: the exit walk makes one for
 * each lock it recovers.
 */
static inline int rf_cmpxchg_user_atomic(u32 __user *uaddr, u32 old, u32 new,
					 u32 *cur)
{
	int ret;

	pagefault_disable();
	ret = futex_atomic_cmpxchg_inatomic(cur, uaddr, old, new);
	pagefault_enable();
	return ret;
}

int rf_get_user_atomic(u32 __user *uaddr, u32 *val);
int rf_fault_in(unsigned long uaddr, bool write);

/* wait.c */
int rf_wait_init(void);
void rf_wait_exit(void);
long rf_ioctl_wait(struct rf_wait *arg);
long rf_ioctl_wake(struct rf_wake *arg);
void rf_wake_dead(struct mm_struct *mm, unsigned long uaddr,
		  struct page *page, int nr);
void rf_wake_owner_waiters(struct rf_thread *t);
void rf_owner_dies(struct rf_thread *t);

#endif /* _RF_H */
