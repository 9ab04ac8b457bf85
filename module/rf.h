/* SPDX-License-Identifier: GPL-2.0 */
/* robustfutex: declarations shared by the module's files. */
#ifndef _RF_H
#define _RF_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/task_work.h>
#include <linux/spinlock.h>
#include <linux/robustfutex.h>
#include "compat.h"

#define RF_MAX_LISTS_HARD	256
#define RF_LIST_LIMIT_HARD	16777216

/* Module parameters (main.c). */
extern unsigned int rf_max_lists;
extern unsigned int rf_list_limit;
extern unsigned int rf_max_threads;
extern unsigned int rf_max_records;

/* Counters exposed in /sys/kernel/robustfutex/ (main.c). */
enum rf_stat {
	RF_STAT_REGISTRATIONS,	/* threads that registered a first list */
	RF_STAT_WALKS,		/* lists walked at exit or exec */
	RF_STAT_RECOVERED,	/* futex words the walk marked or released */
	RF_STAT_WALKS_LIMITED,	/* walks cut at list_limit */
	RF_STAT_FAULTS,		/* walks or words cut by a bad pointer */
	RF_STAT_CYCLES,		/* walks that found a cycle */
	RF_STAT_WAKES,		/* threads woken */
	RF_STAT_RECORDS,	/* releases recorded as cut short */
	RF_STAT_RECOVERIES,	/* words recovered on a waiter's request */
	RF_STAT_RECORDS_DROPPED, /* records dropped unused (stale or bound) */
	RF_NR_STATS
};

extern atomic64_t rf_stats[RF_NR_STATS];
extern const char * const rf_stat_names[RF_NR_STATS];

static inline void rf_count(enum rf_stat s, long n)
{
	atomic64_add(n, &rf_stats[s]);
}

struct rf_slot {
	u64 head;
	u8 width;		/* RF_WIDTH_32 or RF_WIDTH_64; 0 = unused */
	u8 protocol;
};

/* A registered thread.  Only the thread itself changes it. */
struct rf_thread {
	struct rhash_head node;
	struct task_struct *task;	/* key; the entry dies before the task */
	pid_t tid;			/* as the thread sees itself */
	struct mm_struct *mm;		/* mmget() since registration */
	bool walk_queued;
	struct callback_head twork;
	struct work_struct work;
	struct completion done;
	struct rcu_head rcu;
	spinlock_t lock;		/* slots, against readers on other threads */
	unsigned int nslots;
	unsigned int nused;
	struct rf_slot slots[] __counted_by(nslots);
};

/* registry.c */
int rf_registry_init(void);
void rf_registry_exit(void);
unsigned int rf_nr_threads(void);
long rf_ioctl_set_list(struct rf_list *arg);
long rf_ioctl_get_list(struct rf_list *arg);
long rf_ioctl_remove_list(struct rf_list *arg);

/* walk.c: walk one list of a dead thread, in its mm (kthread_use_mm'ed) */
void rf_walk_list(struct mm_struct *mm, pid_t tid, const struct rf_slot *slot);

/* uaccess.c: futex words of the current mm */
int rf_cmpxchg_user(u32 __user *uaddr, u32 old, u32 new, u32 *cur);
int rf_cmpxchg_user_atomic(u32 __user *uaddr, u32 old, u32 new, u32 *cur);
int rf_get_user_atomic(u32 __user *uaddr, u32 *val);
int rf_fault_in(unsigned long uaddr, bool write);

/* wait.c */
int rf_wait_init(void);
void rf_wait_exit(void);
long rf_ioctl_wait(struct rf_wait *arg);
long rf_ioctl_wake(struct rf_wake *arg);
void rf_wake_dead(unsigned long uaddr, int nr);
void rf_record_cut_release(unsigned long uaddr, pid_t tid);
void rf_records_forget_tid(pid_t tid);

#endif /* _RF_H */
