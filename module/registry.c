// SPDX-License-Identifier: GPL-2.0
/*
 * Per-thread registrations: the table they are found in, their owner IDs,
 * how they are made and how they end.  The exit and exec hooks that walk
 * them are in hooks.c, the ioctls that change their slots in lists.c.
 *
 * A registration belongs to a thread: only that thread creates, changes or
 * drops it (ioctl, exec, exit), so its own paths need no lock against each
 * other; other threads only read slots (RF_IOC_GET_LIST) under RCU and
 * t->lock.  It is linked to its address space (mm.c), whose last user
 * walks it if the thread itself cannot, and holds a module reference so
 * the module cannot go while a walk may still be due.
 *
 * Each registration also carries the thread's owner ID, the value its
 * intent-protocol words hold (docs/identity.md).  IDs live in an XArray,
 * allocated cyclically so a number is reused as late as possible; an ID
 * names its thread until the thread exits or execs, and "is the owner of
 * this word dead?" is one lookup there, the same from every PID namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/rhashtable.h>
#include <linux/xarray.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include "rf.h"

static const struct rhashtable_params rf_thread_params = {
	.key_len	= sizeof(struct task_struct *),
	.key_offset	= offsetof(struct rf_thread, task),
	.head_offset	= offsetof(struct rf_thread, node),
	/*
	 * 1024 buckets from the start (one 16 KiB allocation, system
	 * wide, on 4 KiB pages): a process of a few hundred
	 * threads that registers and dies over and over (a kill of one
	 * costs each of its threads a removal) never makes the table
	 * rehash, which a worker would do alongside the exits.
	 */
	.min_size	= 1024,
	.automatic_shrinking = true,
};

static struct rhashtable rf_threads;
static DEFINE_XARRAY_ALLOC1(rf_owners);
static u32 rf_owner_next;
static atomic_t rf_nthreads = ATOMIC_INIT(0);

unsigned int rf_nr_threads(void)
{
	return atomic_read(&rf_nthreads);
}

struct rf_thread *rf_lookup(struct task_struct *task)
{
	return rhashtable_lookup_fast(&rf_threads, &task, rf_thread_params);
}

/* The registration of @task, with a reference, or NULL. */
struct rf_thread *rf_thread_get(struct task_struct *task)
{
	struct rf_thread *t;

	rcu_read_lock();
	t = rf_lookup(task);
	if (t && !refcount_inc_not_zero(&t->ref))
		t = NULL;
	rcu_read_unlock();
	return t;
}

/*
 * The module reference is dropped from an RCU callback: rf_registry_exit()
 * runs rcu_barrier(), so the callback has returned before the module text
 * goes away, and synchronize_rcu_tasks(), so no task is still running the
 * last instructions of the function that queued it (rf_thread_put()'s
 * caller, on its way out of module text).
 */
static void rf_thread_free_rcu(struct rcu_head *rcu)
{
	struct rf_thread *t = container_of(rcu, struct rf_thread, rcu);

	kfree(t->slots);
	kfree(t);
	atomic_dec(&rf_nthreads);
	module_put(THIS_MODULE);
}

static void rf_thread_free(struct rf_thread *t)
{
	rf_user_uncharge(t->user);
	rcu_read_lock();
	call_rcu(&t->rcu, rf_thread_free_rcu);
	rcu_read_unlock();
}

void rf_thread_put(struct rf_thread *t)
{
	if (refcount_dec_and_test(&t->ref))
		rf_thread_free(t);
}

static void rf_thread_put_work(struct work_struct *work)
{
	rf_thread_free(container_of(work, struct rf_thread, put_work));
}

/* rf_thread_put() where nothing may sleep: the last one frees on a worker. */
void rf_thread_put_atomic(struct rf_thread *t)
{
	if (refcount_dec_and_test(&t->ref))
		queue_work(system_unbound_wq, &t->put_work);
}

/*
 * The registration of owner @id, with a reference, or NULL.  It may be
 * dead already (t->dead, under t->lock).
 */
struct rf_thread *rf_owner_get(u32 id)
{
	struct rf_thread *t;

	rcu_read_lock();
	t = xa_load(&rf_owners, id);
	if (t && !refcount_inc_not_zero(&t->ref))
		t = NULL;
	rcu_read_unlock();
	return t;
}

/*
 * No lookup finds the owner ID from now on.  It is dead already
 * (rf_owner_dies() or rf_wake_owner_waiters()): a lookup meanwhile finds
 * @t dead, and no waiter links itself to a dead owner.
 */
void rf_thread_erase_id(struct rf_thread *t)
{
	xa_erase(&rf_owners, t->id);
}

/*
 * Drop a registration that is already out of the table and whose owner
 * ID is dead; may sleep.
 */
void rf_thread_release(struct rf_thread *t)
{
	rf_thread_erase_id(t);
	rf_mm_detach(t);
	rf_thread_put(t);
}

/*
 * The end of a registration retired by its dying thread (rf_mm_retire()),
 * on its mm's worker: the thread held its task_struct for it, so the key
 * named no other task while it was in the table.
 */
void rf_thread_end_retired(struct rf_thread *t)
{
	struct task_struct *task = t->task;

	rf_thread_unpublish(t);
	put_task_struct(task);
	rf_thread_release(t);
}

/* The rest of a teardown handed to the release (mm.c), on a worker. */
void rf_thread_teardown(struct work_struct *work)
{
	struct rf_thread *t = container_of(work, struct rf_thread, teardown);

	/* The last detach waits for the release that queued this to end. */
	rf_mm_detach(t);
	rf_thread_put(t);
}

/* Out of the table: no lookup finds it from now on (its own thread's). */
void rf_thread_unpublish(struct rf_thread *t)
{
	rhashtable_remove_fast(&rf_threads, &t->node, rf_thread_params);
}

struct rf_thread *rf_register_current(void)
{
	unsigned int n = READ_ONCE(rf_max_lists);
	struct rf_thread *t;
	int ret;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	if (atomic_inc_return(&rf_nthreads) > READ_ONCE(rf_max_threads)) {
		atomic_dec(&rf_nthreads);
		return ERR_PTR(-ENOSPC);
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (t)
		t->slots = kcalloc(n, sizeof(*t->slots), GFP_KERNEL_ACCOUNT);
	if (!t || !t->slots) {
		kfree(t);
		atomic_dec(&rf_nthreads);
		return ERR_PTR(-ENOMEM);
	}
	t->user = rf_user_charge();
	if (IS_ERR(t->user)) {
		ret = PTR_ERR(t->user);
		kfree(t->slots);
		kfree(t);
		atomic_dec(&rf_nthreads);
		return ERR_PTR(ret);
	}
	t->nslots = n;
	t->task = current;
	t->tid = task_pid_vnr(current);
	spin_lock_init(&t->lock);
	INIT_LIST_HEAD(&t->owner_waiters);
	INIT_LIST_HEAD(&t->heirs);
	refcount_set(&t->ref, 1);
	atomic_set(&t->walk, RF_WALK_IDLE);
	INIT_WORK(&t->teardown, rf_thread_teardown);
	INIT_WORK(&t->put_work, rf_thread_put_work);
	ret = rf_mm_attach(t);
	if (ret)
		goto out_free;
	__module_get(THIS_MODULE);
	/* Cyclic: a dead owner's number comes back as late as possible. */
	ret = xa_alloc_cyclic(&rf_owners, &t->id, t,
			      XA_LIMIT(1, RF_OWNER_MASK - 1), &rf_owner_next,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		rf_mm_detach(t);
		module_put(THIS_MODULE);
		goto out_free;
	}
	/* Published: from here on it goes the way every registration goes. */
	ret = rhashtable_insert_fast(&rf_threads, &t->node, rf_thread_params);
	if (ret) {
		/* Its ID was in the XArray: a lookup may have found it. */
		rf_wake_owner_waiters(t);
		rf_thread_release(t);
		return ERR_PTR(ret);
	}
	rf_count(RF_STAT_REGISTRATIONS, 1);
	return t;

out_free:
	rf_user_uncharge(t->user);
	kfree(t->slots);
	kfree(t);
	atomic_dec(&rf_nthreads);
	return ERR_PTR(ret);
}

/*
 * The caller has no slot left: unregister without a walk, unless its owner
 * ID was handed out, which must keep naming it until it exits or execs.
 */
void rf_unregister_current(struct rf_thread *t)
{
	/* A fatal signal's sender may have queued the walk: it ends it. */
	if (t->id_given || t->nused || !rf_claim(t))
		return;
	rhashtable_remove_fast(&rf_threads, &t->node, rf_thread_params);
	rf_wake_owner_waiters(t);
	rf_thread_release(t);
}

int rf_registry_init(void)
{
	int ret;

	ret = rhashtable_init(&rf_threads, &rf_thread_params);
	if (ret)
		return ret;
	ret = rf_hooks_init();
	if (ret)
		rhashtable_destroy(&rf_threads);
	return ret;
}

void rf_registry_exit(void)
{
	rf_hooks_exit();
	/* Registrations' RCU callbacks hold module text: let them finish. */
	rcu_barrier();
	synchronize_rcu_tasks();
	rhashtable_destroy(&rf_threads);
	xa_destroy(&rf_owners);
}
