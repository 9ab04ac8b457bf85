// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls on a thread's list slots and owner ID: RF_IOC_SET_LIST,
 * RF_IOC_GET_LIST, RF_IOC_REMOVE_LIST and RF_IOC_GET_OWNER.  A thread's
 * first list (or first owner ID) registers it (registry.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/slab.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>
#include "rf.h"

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
	if (t && rf_claimed(t))	/* exec'ed or killed, walk not yet run */
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
	/* Exec'ed or killed, walk not yet run: the old ID is dead. */
	if (t && (rf_claimed(t) || READ_ONCE(t->dead)))
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
