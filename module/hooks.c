// SPDX-License-Identifier: GPL-2.0
/*
 * The exit and exec hooks: the sched_process_exit and sched_process_exec
 * tracepoints, found by name (core tracepoints are not exported), and the
 * task_work each queues on the thread, which walks its lists.  And the
 * kill hook: signal_generate, where a fatal signal starts a group exit,
 * queues each registered thread's walk for before its exit begins.
 *
 * At exit the probe (atomic context up to about 7.0) only queues a
 * task_work on the dying thread; that runs in the thread itself
 * (PF_EXITING, its own priority and OOM standing) before it is reaped, so
 * recovery is done before waitpid() returns.  It marks the owner ID dead,
 * wakes its waiters and walks the thread's lists through the
 * remote-access API (walk.c); nothing waits on another context.  The rest
 * of a dying thread's teardown is its mm's worker's (mm.c).
 * docs/exit-walk.md says why it runs where it does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/tracepoint.h>
#include <linux/binfmts.h>
#include <linux/wait_bit.h>
#include "rf.h"

/*
 * The end of a registration its thread has walked and whose owner ID is
 * dead.  A thread that is dying (exiting, or in a group exit) leaves the
 * bookkeeping to its mm's worker, which ends a killed process's
 * registrations in one batch (mm.c); one that execs may register again
 * at once, so its own is out of the table before it returns.
 */
static void rf_thread_end(struct rf_thread *t, bool dying)
{
	if (dying) {
		rf_mm_retire(t);
		return;
	}
	rf_thread_unpublish(t);
	rf_thread_release(t);
}

/*
 * task_work on the dying or exec'ing thread: walk, then drop.  If the
 * exit probe could still take a user of the address space, the walk runs
 * here.  If not, the last user is gone and the address space's release is
 * due (exit_mmap() runs it after exit_aio() and friends): it has walked
 * this thread, is walking it, or will; in the last case it is handed the
 * walk and the end of the teardown, since detaching from the mm's
 * notifier now would hide us from it.
 */
static void rf_twork_fn(struct callback_head *cb)
{
	struct rf_thread *t = container_of(cb, struct rf_thread, twork);
	bool dying = current->flags & PF_EXITING;

	/*
	 * The thread runs no more user code under this owner ID: waiters
	 * on its words may recover them from now on, walk or no walk.
	 * Here, not in the probe: these take t->lock and bucket locks,
	 * which sleep on PREEMPT_RT.
	 */
	rf_owner_dies(t);
	if (t->mm_held) {
		if (atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_TASK) ==
		    RF_WALK_IDLE)
			rf_walk_thread(t, !dying);
		mmput(t->mm);
		rf_thread_end(t, dying);
		return;
	}
	/* Out of the table before the release may end it. */
	rf_thread_unpublish(t);
	if (atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_HANDED) ==
	    RF_WALK_IDLE) {
		rf_thread_erase_id(t);
		return;
	}
	/*
	 * The release, in whoever dropped the last user (a /proc reader, a
	 * CLONE_VM process), has claimed it: wait for its walk, which never
	 * faults, so that the words are marked before this thread can be
	 * reaped, as mainline's are.
	 */
	wait_var_event(&t->walk,
		       atomic_read_acquire(&t->walk) == RF_WALK_DONE);
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
static void rf_queue_walk(struct task_struct *p, struct rf_thread *t,
			  enum task_work_notify_mode mode)
{
	if (!rf_claim(t))
		return;
	/*
	 * A user of the address space, if one is left, keeps it for the
	 * walk.  Taken after exit_mm()'s mm_update_next_owner(), so no
	 * process-table scan comes of it.
	 */
	t->mm_held = mmget_not_zero(t->mm);
	init_task_work(&t->twork, rf_twork_fn);
	/* Fails only after exit_task_work(), which follows both hooks. */
	if (WARN_ON_ONCE(task_work_add(p, &t->twork, RF_TWA_ATOMIC(mode)))) {
		if (t->mm_held)
			mmput_async(t->mm);
		t->mm_held = false;
		clear_bit(RF_QUEUED, &t->flags);
	}
}

/*
 * The thread's end, done by the thread itself while its own mm is still
 * attached: its words are reached with plain user access (walk.c).  No
 * user of the address space is taken, so mm_update_next_owner() finds
 * none to scan for.
 */
static void rf_exit_direct(struct rf_thread *t)
{
	rf_owner_dies(t);
	if (atomic_cmpxchg(&t->walk, RF_WALK_IDLE, RF_WALK_TASK) ==
	    RF_WALK_IDLE)
		rf_walk_thread(t, false);
	rf_thread_end(t, true);
}

/*
 * task_work queued by a fatal signal's sender (rf_probe_signal()), with a
 * reference.  It usually runs where the thread takes the signal, at the
 * start of get_signal(), before do_exit(): the group exit is under way,
 * so the thread runs no user code again, and its mm is still attached.
 * If nothing else has claimed the registration, its owner ID dies there,
 * its waiters are woken before mainline's walk would even start
 * (exit_mm()), and it walks with plain user access.  That walk takes no
 * fault: at the first access that would need one it stops and notes
 * where, and the exit hooks go on from there as they would have walked,
 * faults and all.  It may also run, mm still attached and still before
 * any return to user space, from ptrace_notify() (PTRACE_EVENT_EXIT) or
 * an io_uring wait inside a system call.  Run after exit_mm() (the thread
 * had taken the signal before this was queued: exit_task_work()), or
 * found claimed, it only drops its reference: the exit hooks have it.
 */
static void rf_kwork_fn(struct callback_head *cb)
{
	struct rf_thread *t = container_of(cb, struct rf_thread, kwork);

	if (current->mm == t->mm && rf_claim(t)) {
		rf_owner_dies(t);
		/* No release can run: this thread is a user of the mm. */
		atomic_set(&t->walk, RF_WALK_TASK);
		if (rf_walk_thread_early(t)) {
			rf_count(RF_STAT_KILL_WALKS, 1);
			/* A group exit: it will not register again. */
			rf_thread_end(t, true);
		} else {
			/* Handed on, t->resume written: ordered before both. */
			atomic_set_release(&t->walk, RF_WALK_IDLE);
			clear_bit_unlock(RF_QUEUED, &t->flags);
		}
	}
	rf_thread_put(t);
}

/*
 * signal_generate, in the sender, under the target's siglock, with
 * preemption disabled (before 7.0): a fatal signal that has just started
 * a group exit (SIGKILL, the OOM killer's, a fatal signal with no
 * handler and no core dump).  Every thread of the group is on its way to
 * do_exit() and will run no user code again.  Each registered one not
 * yet claimed is given rf_kwork_fn(), which it runs when it takes the
 * signal.  No lock is taken: a reference, a bit and task_work_add().
 */
static void rf_probe_signal(void *data, int sig, struct kernel_siginfo *info,
			    struct task_struct *p, int group, int result)
{
	struct task_struct *task;
	struct rf_thread *t;

	if (!rf_nr_threads() || result != RF_SIGNAL_DELIVERED ||
	    !(p->signal->flags & SIGNAL_GROUP_EXIT))
		return;
	rcu_read_lock();
	for_each_thread(p, task) {
		t = rf_lookup(task);
		if (!t || rf_claimed(t) || test_and_set_bit(RF_KILLQ, &t->flags))
			continue;
		if (!refcount_inc_not_zero(&t->ref))
			continue;
		init_task_work(&t->kwork, rf_kwork_fn);
		/* Fails only after exit_task_work(): it has exited. */
		if (task_work_add(task, &t->kwork, RF_TWA_ATOMIC(TWA_RESUME)))
			rf_thread_put_atomic(t);
	}
	rcu_read_unlock();
}

/*
 * Where the probe may sleep (tracepoints under SRCU, from about 7.0, not
 * in an RCU reader) and runs before exit_mm() (from 6.16), the dying
 * thread does the task_work's job at once: its mm is still its own, so
 * the walk reads and writes the words with plain user access (walk.c),
 * and no user of the address space is taken.  Decided at run time: the
 * tracepoints' guard has changed more than once.
 */
static bool rf_exit_now(struct task_struct *p, struct rf_thread *t)
{
	if (p != current || !preemptible() || rcu_preempt_depth())
		return false;
	/* Only this thread claims it (its exit, exec or kill work). */
	if (!p->mm || p->mm != t->mm || !rf_claim(t))
		return false;
	rf_exit_direct(t);
	return true;
}

/*
 * Every exit and exec in the system passes here: a miss is one counter
 * read, or with registrations anywhere, one lookup.  A registration not
 * claimed cannot go meanwhile: only this thread ends it (its exit, exec
 * or kill work, all of which claim it first).
 */
static void rf_probe_exit(RF_EXIT_PROBE_ARGS)
{
	struct rf_thread *t;
	bool claimed;

	if (!rf_nr_threads())
		return;
	/*
	 * A claimed registration may be retired, and ended by a worker
	 * meanwhile: look at it under RCU.  One not claimed only this
	 * thread may end.
	 */
	rcu_read_lock();
	t = rf_lookup(p);
	claimed = !t || rf_claimed(t);
	rcu_read_unlock();
	if (claimed || rf_exit_now(p, t))
		return;
	rf_queue_walk(p, t, TWA_NONE);
}

/* Mainline processes the robust list at exec; so do we, before user code. */
static void rf_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	struct rf_thread *t;

	if (!rf_nr_threads())
		return;
	t = rf_lookup(p);
	if (t)
		rf_queue_walk(p, t, TWA_RESUME);
}

static struct rf_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} rf_tps[] = {
	{ "sched_process_exit", rf_probe_exit },
	{ "sched_process_exec", rf_probe_exec },
	{ "signal_generate", rf_probe_signal },
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

int rf_hooks_init(void)
{
	int i, ret;

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
	return ret;
}

void rf_hooks_exit(void)
{
	rf_tp_unregister(ARRAY_SIZE(rf_tps));
}
