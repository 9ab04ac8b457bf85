// SPDX-License-Identifier: GPL-2.0
/*
 * Per-thread registrations, and the exit and exec hooks that walk them.
 *
 * A registration belongs to a thread: only that thread creates, changes or
 * drops it (ioctl, exec, exit), so its own paths need no lock against each
 * other; other threads only read slots (RF_IOC_GET_LIST) under RCU and
 * t->lock.  It is linked to its address space (mm.c), whose last user
 * walks it if the thread itself cannot, and holds a module reference so
 * the module cannot go while a walk may still be due.
 *
 * At exit the sched_process_exit probe (atomic context) marks the owner ID
 * dead and queues a task_work on the dying thread; that runs in the thread
 * itself (PF_EXITING, its own priority and OOM standing) before it is
 * reaped, so recovery is done before waitpid() returns.  The walk reads
 * the thread's lists through the remote-access API (walk.c); nothing waits
 * on another context.
 *
 * Each registration also carries the thread's owner ID, the value its
 * intent-protocol words hold (docs/identity.md).  IDs live in an XArray,
 * allocated cyclically so a number is reused as late as possible; an ID
 * names its thread until the thread exits or execs, and "is the owner of
 * this word dead?" is one lookup there, the same from every PID namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/rhashtable.h>
#include <linux/xarray.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/tracepoint.h>
#include <linux/binfmts.h>
#include <linux/uaccess.h>
#include "rf.h"

static const struct rhashtable_params rf_thread_params = {
	.key_len	= sizeof(struct task_struct *),
	.key_offset	= offsetof(struct rf_thread, task),
	.head_offset	= offsetof(struct rf_thread, node),
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

static struct rf_thread *rf_lookup(struct task_struct *task)
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

void rf_thread_put(struct rf_thread *t)
{
	if (!refcount_dec_and_test(&t->ref))
		return;
	rf_user_uncharge(t->user);
	rcu_read_lock();
	call_rcu(&t->rcu, rf_thread_free_rcu);
	rcu_read_unlock();
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

/* The owner ID dies: its waiters are woken and no lookup finds it. */
static void rf_thread_kill_id(struct rf_thread *t)
{
	rf_wake_owner_waiters(t);
	xa_erase(&rf_owners, t->id);
}

/* Drop a registration that is already out of the table; may sleep. */
static void rf_thread_release(struct rf_thread *t)
{
	rf_thread_kill_id(t);
	rf_mm_detach(t);
	rf_thread_put(t);
}

/* The rest of a teardown handed to the release (mm.c), on a worker. */
void rf_thread_teardown(struct work_struct *work)
{
	struct rf_thread *t = container_of(work, struct rf_thread, teardown);

	/* Waits for the release that queued this to end. */
	rf_mm_detach(t);
	rf_thread_put(t);
}

/*
 * task_work on the dying or exec'ing thread: walk, then drop.  If the
 * exit probe could still take a user of the address space, the walk runs
 * here.  If not, the last user is gone and the address space's release is
 * due (exit_mmap() runs it after exit_aio() and friends): it has walked
 * this thread, is walking it, or will; in the last case it is handed the
 * walk and the end of the teardown, since removing our notifier now would
 * hide us from it.
 */
static void rf_twork_fn(struct callback_head *cb)
{
	struct rf_thread *t = container_of(cb, struct rf_thread, twork);

	/*
	 * The thread runs no more user code under this owner ID: waiters
	 * on its words may recover them from now on, walk or no walk.
	 * Here, not in the probe: these take t->lock and bucket locks,
	 * which sleep on PREEMPT_RT.
	 */
	rf_wake_owner_waiters(t);
	rf_pass_wake(t);
	rhashtable_remove_fast(&rf_threads, &t->node, rf_thread_params);
	if (t->mm_held) {
		if (atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_TASK) ==
		    RF_WALK_IDLE)
			rf_walk_thread(t, !(current->flags & PF_EXITING));
		mmput(t->mm);
	} else if (atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_HANDED) ==
		   RF_WALK_IDLE) {
		rf_thread_kill_id(t);
		return;
	}
	rf_thread_release(t);
}

/*
 * The exit and exec probes.  Tracepoint probes run with preemption
 * disabled (before 7.0; under SRCU after), so nothing here may sleep,
 * and on PREEMPT_RT every spinlock_t sleeps: this takes no lock at all.
 * Everything else (waking the owner's waiters, the walk) is the
 * task_work's, which runs in the same thread in process context.
 * A waiter that asks meanwhile finds the owner PF_EXITING (exit), or
 * at exec links itself to it; either way one asleep on its owner is
 * woken by the task_work.
 */
static void rf_queue_walk(struct task_struct *p, enum task_work_notify_mode mode)
{
	struct rf_thread *t;

	/* Every exit in the system passes here: keep the miss cheap. */
	if (!atomic_read(&rf_nthreads))
		return;
	t = rf_lookup(p);
	if (!t || t->walk_queued)
		return;
	t->walk_queued = true;
	/*
	 * A user of the address space, if one is left, keeps it for the
	 * walk.  Taken after exit_mm()'s mm_update_next_owner(), so no
	 * process-table scan comes of it.
	 */
	t->mm_held = mmget_not_zero(t->mm);
	init_task_work(&t->twork, rf_twork_fn);
	/* Fails only after exit_task_work(), which follows both hooks. */
	if (WARN_ON_ONCE(task_work_add(p, &t->twork, mode))) {
		t->walk_queued = false;
		if (t->mm_held)
			mmput_async(t->mm);
		t->mm_held = false;
	}
}

static void rf_probe_exit(RF_EXIT_PROBE_ARGS)
{
	rf_queue_walk(p, TWA_NONE);
}

/* Mainline processes the robust list at exec; so do we, before user code. */
static void rf_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	rf_queue_walk(p, TWA_RESUME);
}

static struct rf_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} rf_tps[] = {
	{ "sched_process_exit", rf_probe_exit },
	{ "sched_process_exec", rf_probe_exec },
};

/* Core tracepoints are not exported: find them by name. */
static void rf_tp_find(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rf_tps); i++)
		if (!strcmp(tp->name, rf_tps[i].name))
			rf_tps[i].tp = tp;
}

static void rf_tp_unregister(int n)
{
	while (n--)
		tracepoint_probe_unregister(rf_tps[n].tp, rf_tps[n].probe, NULL);
	rf_tracepoint_sync();
}

static int rf_valid_slot(const struct rf_list *arg)
{
	u64 size, head = arg->head, base = arg->base;

	if (arg->flags || arg->tid)
		return -EINVAL;
	if (arg->width != RF_WIDTH_32 && arg->width != RF_WIDTH_64)
		return -EINVAL;
	if (arg->protocol != RF_PROTO_MAINLINE &&
	    arg->protocol != RF_PROTO_INTENT)
		return -EINVAL;
	/* As set_robust_list2 proposes: a 32-bit task has no 64-bit list. */
	if (arg->width == RF_WIDTH_64 && in_compat_syscall())
		return -EOPNOTSUPP;
	size = arg->width / 8;
	if (!head || (head & (size - 1)) || (base & (size - 1)))
		return -EINVAL;
	if (arg->width == RF_WIDTH_64)
		return !base && head < TASK_SIZE ? 0 : -EINVAL;
	/*
	 * A 32-bit list's pointers reach [base, base + 4 GiB): all of it
	 * must be user space (base 0: the low 4 GiB, as before), and the
	 * head must be one of them, or the walk could never end at it.
	 */
	if (base && (base >= TASK_SIZE || TASK_SIZE - base < (1ULL << 32)))
		return -EINVAL;
	if (head < base || head - base + 3 * size > (1ULL << 32))
		return -EINVAL;
	return head < TASK_SIZE ? 0 : -EINVAL;
}

static struct rf_thread *rf_register_current(void)
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
static void rf_unregister_current(struct rf_thread *t)
{
	if (t->id_given || t->nused)
		return;
	rhashtable_remove_fast(&rf_threads, &t->node, rf_thread_params);
	rf_thread_release(t);
}

/*
 * max_lists applies to registered threads too (docs/module.md,
 * "Parameters"): an index is the thread's to use if it is below the limit
 * as it is now, or names a slot the thread holds.  So a slot once taken
 * stays replaceable and removable (and is walked) whatever the limit
 * became, and a thread registered under a lower limit reaches the new
 * slots.
 */
static bool rf_slot_held(const struct rf_thread *t, unsigned int idx)
{
	return t && idx < t->nslots && t->slots[idx].width;
}

/* Room for slot @idx in @t, only ever done by @t's thread itself. */
static int rf_grow_slots(struct rf_thread *t, unsigned int idx)
{
	unsigned int n = max(idx + 1, READ_ONCE(rf_max_lists));
	struct rf_slot *slots, *old;

	if (idx < t->nslots)
		return 0;
	slots = kcalloc(n, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;
	spin_lock(&t->lock);
	memcpy(slots, t->slots, t->nslots * sizeof(*slots));
	old = t->slots;
	t->slots = slots;
	t->nslots = n;
	spin_unlock(&t->lock);
	kfree(old);
	return 0;
}

/* The first free index below max_lists, or -ENOSPC. */
static int rf_free_slot(const struct rf_thread *t)
{
	unsigned int idx, max = READ_ONCE(rf_max_lists);

	for (idx = 0; idx < max; idx++)
		if (!rf_slot_held(t, idx))
			return idx;
	return -ENOSPC;
}

long rf_ioctl_set_list(struct rf_list *arg)
{
	struct rf_thread *t = rf_lookup(current);
	bool fresh = false;
	int idx, ret = rf_valid_slot(arg);

	if (ret)
		return ret;
	if (arg->index < -1)
		return -EINVAL;
	if (t && t->walk_queued)	/* exec'ed, walk not yet run */
		return -EAGAIN;
	if (arg->index < 0) {
		idx = rf_free_slot(t);
		if (idx < 0)
			return idx;
	} else {
		idx = arg->index;
		if (idx >= READ_ONCE(rf_max_lists) && !rf_slot_held(t, idx))
			return -EINVAL;
	}
	if (!t) {
		t = rf_register_current();
		if (IS_ERR(t))
			return PTR_ERR(t);
		fresh = true;
	}
	ret = rf_grow_slots(t, idx);
	if (ret) {
		if (fresh)
			rf_unregister_current(t);
		return ret;
	}
	spin_lock(&t->lock);
	if (!t->slots[idx].width)
		t->nused++;
	t->slots[idx].head = arg->head;
	t->slots[idx].base = arg->base;
	t->slots[idx].width = arg->width;
	t->slots[idx].protocol = arg->protocol;
	spin_unlock(&t->lock);
	arg->index = idx;
	return 0;
}

long rf_ioctl_remove_list(struct rf_list *arg)
{
	struct rf_thread *t = rf_lookup(current);
	bool last;

	if (arg->flags || arg->tid || arg->index < 0)
		return -EINVAL;
	if (!t || arg->index >= t->nslots || !t->slots[arg->index].width)
		return -ENOENT;
	spin_lock(&t->lock);
	memset(&t->slots[arg->index], 0, sizeof(t->slots[0]));
	last = !--t->nused;
	spin_unlock(&t->lock);
	if (last)
		rf_unregister_current(t);
	return 0;
}

long rf_ioctl_get_owner(struct rf_owner *arg)
{
	struct rf_thread *t = rf_lookup(current);

	if (arg->flags || arg->reserved || arg->id)
		return -EINVAL;
	/* Exec'ed, walk not yet run: the old ID is dead. */
	if (t && (t->walk_queued || READ_ONCE(t->dead)))
		return -EAGAIN;
	if (!t) {
		t = rf_register_current();
		if (IS_ERR(t))
			return PTR_ERR(t);
	}
	t->id_given = true;
	arg->id = t->id;
	return 0;
}

/*
 * May the caller read @task's lists (addresses in its memory)?
 * get_robust_list() asks ptrace_may_access(PTRACE_MODE_READ_REALCREDS),
 * which modules cannot call, and with it the LSMs (Yama's ptrace_scope,
 * SELinux, AppArmor).  Be stricter instead: the caller's own thread
 * group, or CAP_SYS_PTRACE in the target's user namespace.  A same-uid
 * process without the capability is refused.
 */
static bool rf_may_read(struct task_struct *task)
{
	const struct cred *tcred;
	bool ok, dumpable;

	if (same_thread_group(task, current))
		return true;
	/* As ptrace: a non-dumpable target needs the capability in init. */
	dumpable = rf_task_dumpable(task);
	tcred = get_task_cred(task);
	ok = ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	put_cred(tcred);
	return ok && (dumpable || capable(CAP_SYS_PTRACE));
}

long rf_ioctl_get_list(struct rf_list *arg)
{
	struct task_struct *task;
	struct rf_thread *t;
	long ret = -ENOENT;

	if (arg->flags || arg->index < 0)
		return -EINVAL;
	if (arg->tid) {
		rcu_read_lock();
		task = pid_task(find_vpid(arg->tid), PIDTYPE_PID);
		if (task)
			get_task_struct(task);
		rcu_read_unlock();
		if (!task)
			return -ESRCH;
		if (!rf_may_read(task)) {
			put_task_struct(task);
			return -EPERM;
		}
	} else {
		task = current;
		get_task_struct(task);
	}
	rcu_read_lock();
	t = rf_lookup(task);
	if (t) {
		spin_lock(&t->lock);
		if (!rf_slot_held(t, arg->index)) {
			ret = arg->index < READ_ONCE(rf_max_lists) ?
			      -ENOENT : -EINVAL;
		} else if (t->slots[arg->index].base &&
			   arg->size < RF_LIST_SIZE_VER1) {
			/* The caller could not see the base: a wrong answer. */
			ret = -EOVERFLOW;
		} else {
			arg->head = t->slots[arg->index].head;
			arg->base = t->slots[arg->index].base;
			arg->width = t->slots[arg->index].width;
			arg->protocol = t->slots[arg->index].protocol;
			ret = 0;
		}
		spin_unlock(&t->lock);
	} else if (arg->index >= READ_ONCE(rf_max_lists)) {
		ret = -EINVAL;
	}
	rcu_read_unlock();
	put_task_struct(task);
	return ret;
}

int rf_registry_init(void)
{
	int i, ret;

	ret = rhashtable_init(&rf_threads, &rf_thread_params);
	if (ret)
		return ret;
	for_each_kernel_tracepoint(rf_tp_find, NULL);
	for (i = 0; i < ARRAY_SIZE(rf_tps); i++) {
		if (!rf_tps[i].tp) {
			pr_err("tracepoint %s not found\n", rf_tps[i].name);
			ret = -ENOENT;
			goto out_tp;
		}
		ret = tracepoint_probe_register(rf_tps[i].tp, rf_tps[i].probe,
						NULL);
		if (ret)
			goto out_tp;
	}
	return 0;

out_tp:
	rf_tp_unregister(i);
	rhashtable_destroy(&rf_threads);
	return ret;
}

void rf_registry_exit(void)
{
	rf_tp_unregister(ARRAY_SIZE(rf_tps));
	/* Registrations' RCU callbacks hold module text: let them finish. */
	rcu_barrier();
	synchronize_rcu_tasks();
	rhashtable_destroy(&rf_threads);
	xa_destroy(&rf_owners);
}
