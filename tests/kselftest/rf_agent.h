/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agents of the owner-identity tests (t_identity_*.c), and their
 * fixture, id.  Include it after kselftest_harness.h.
 *
 * Every process that touches a mutex is an "agent": a child that runs
 * commands (lock, clocklock, trylock, unlock, cut a release short) given
 * through shared memory, so one test can place owners and waiters in the
 * initial PID namespace, in a new one (clone3 CLONE_NEWPID), or at a chosen
 * number (clone3 set_tid; the tests run as root in the VM).  A release "cut
 * short" is what rf_mutex_unlock() does before its final xchg, done by
 * hand: pending = node|RF_PENDING_UNLOCK, fetch_or(RF_RELEASING), and for
 * CUT_DEQUEUED the node unlinked from the list, then the agent is killed.
 * The owner value is read from the word after locking (it need not be a
 * TID).  The main thread of a test never locks: raw clone3 children copy
 * its library state.
 *
 * Bounds: every lock that may block is a clocklock with a deadline, every
 * wait for an agent is bounded, agents die with their parent
 * (PR_SET_PDEATHSIG) and on alarm(), and the harness kills the process
 * group at the test's timeout.  A lock that must come has RF_HANG_MS, a
 * bound only a hang reaches (rf_test.h); no test judges how fast it came.
 */
#ifndef RF_AGENT_H
#define RF_AGENT_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include "rf_test.h"
#include "rf_head.h"
#include <robustfutex.h>

/* The test bodies inline into the harness's setjmp() wrapper. */
#pragma GCC diagnostic ignored "-Wclobbered"

#define R		RF_RELEASING
#define W		RF_FUTEX_WAITERS
#define OWNER(v)	((v) & RF_TID_MASK)
#define AGENT_LIFE	280	/* seconds: alarm() in every agent */
#define HUNG		(-1000)	/* agent did not answer in time */

enum cmd { C_LOCK = 1, C_TRYLOCK, C_CLOCKLOCK, C_UNLOCK, C_CUT };
enum cut { CUT_IN_PLACE, CUT_DEQUEUED };

struct agent {
	int seq, done;		/* command issued; command finished */
	int cmd, arg;		/* arg: CUT_*, a timeout in ms, or "consistent" */
	rf_mutex_t *m;
	int res;
	uint32_t word;		/* the word when the command returned */
	int busy;		/* inside a blocking call */
	int ready;		/* 1 running, < 0: -errno of its creation */
	pid_t pid;		/* in the initial PID namespace */
	pid_t nspid;		/* in its own */
	uid_t uid;		/* run as this user (0: root) */
	long long t_end;	/* CLOCK_MONOTONIC ns when the command ended */
	long long t_dl;		/* and a clocklock's deadline */
};

struct shm {
	rf_mutex_t m[4];
	struct agent a[8];
};

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline struct timespec in_ms(int ms)
{
	long long t = now_ns() + ms * 1000000LL;

	return (struct timespec){ t / 1000000000LL, t % 1000000000LL };
}

static inline const char *err(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "0";
	case EBUSY: return "EBUSY";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EDEADLK: return "EDEADLK";
	case HUNG: return "(agent hung)";
	}
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

static inline uint32_t word_of(rf_mutex_t *m)
{
	return __atomic_load_n((uint32_t *)m, __ATOMIC_SEQ_CST);
}

static inline int mutex_init(rf_mutex_t *m, bool robust)
{
	rf_mutexattr_t a;
	int r;

	rf_mutexattr_init(&a);
	r = rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED) ?:
	    rf_mutexattr_setrobust(&a, robust ? RF_MUTEX_ROBUST :
						RF_MUTEX_STALLED) ?:
	    rf_mutex_init(m, &a);
	rf_mutexattr_destroy(&a);
	return r;
}

/* ---- a release cut short, by hand ---- */


/* Link that points at @node in the list of @h, or NULL. */
static inline void **link_to(struct head_view *h, void *node)
{
	void **pp = &h->next;
	int n;

	for (n = 0; n < 256 && *pp != (void *)h; n++) {
		if (*pp == node)
			return pp;
		pp = (void **)*pp;
	}
	return NULL;
}

/*
 * The caller holds @m: do the first steps of its unlock.  Returns 0, or 1
 * if @how was CUT_DEQUEUED but @m is on no list of ours (stalled).
 */
static inline int cut_release(rf_mutex_t *m, int how)
{
	char *node = (char *)m + RF_NODE_OFFSET;
	struct head_view *h = my_intent_head();
	void **pp = h ? link_to(h, node) : NULL;

	if (pp) {
		h->pending = node + RF_PENDING_UNLOCK;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
	__atomic_fetch_or((uint32_t *)m, R, __ATOMIC_SEQ_CST);
	if (pp && how == CUT_DEQUEUED) {
		*pp = *(void **)node;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
	return how == CUT_DEQUEUED && !pp;
}

/* ---- agents ---- */

static inline void agent_run(struct agent *a)
{
	rf_mutex_t *m = a->m;
	struct timespec ts;
	int r = EINVAL;

	switch (a->cmd) {
	case C_LOCK:
		r = rf_mutex_lock(m);
		break;
	case C_TRYLOCK:
		r = rf_mutex_trylock(m);
		break;
	case C_CLOCKLOCK:
		ts = in_ms(a->arg);
		a->t_dl = ts.tv_sec * 1000000000LL + ts.tv_nsec;
		__atomic_store_n(&a->busy, 1, __ATOMIC_SEQ_CST);
		r = rf_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
		__atomic_store_n(&a->busy, 0, __ATOMIC_SEQ_CST);
		break;
	case C_UNLOCK:
		if (a->arg)
			rf_mutex_consistent(m);
		r = rf_mutex_unlock(m);
		break;
	case C_CUT:
		r = cut_release(m, a->arg);
		break;
	}
	a->t_end = now_ns();
	a->res = r;
	a->word = word_of(m);
}

static inline __attribute__((noreturn)) void agent_main(struct agent *a)
{
	char buf[32];
	ssize_t n;
	int seen = 0, s;
	pid_t me;

	if (a->uid && (setgid(a->uid) || setuid(a->uid)))
		_exit(3);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* after setuid: it clears it */
	alarm(AGENT_LIFE);
	/* /proc is the initial namespace's: /proc/self is our pid there. */
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	me = atoi(buf);
	a->pid = me;
	a->nspid = getpid();
	__atomic_store_n(&a->ready, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		while ((s = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE)) == seen)
			usleep(500);
		seen = s;
		/*
		 * Cleared for a new agent (spawn()) while this one, killed,
		 * still runs on another CPU: its commands are not ours.
		 */
		if (__atomic_load_n(&a->pid, __ATOMIC_SEQ_CST) != me || !a->m)
			_exit(0);
		agent_run(a);
		__atomic_store_n(&a->done, seen, __ATOMIC_RELEASE);
	}
}

static inline void agent_start(struct agent *a, int cmd, rf_mutex_t *m, int arg)
{
	a->cmd = cmd;
	a->m = m;
	a->arg = arg;
	a->res = HUNG;
	__atomic_store_n(&a->seq, a->seq + 1, __ATOMIC_RELEASE);
}

static inline bool agent_wait(struct agent *a, int ms)
{
	long long end = now_ns() + ms * 1000000LL;

	while (__atomic_load_n(&a->done, __ATOMIC_ACQUIRE) != a->seq) {
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* Run a command; the result, or HUNG.  @arg ms for C_CLOCKLOCK. */
static inline int agent_do(struct agent *a, int cmd, rf_mutex_t *m, int arg)
{
	agent_start(a, cmd, m, arg);
	if (!agent_wait(a, (cmd == C_CLOCKLOCK ? arg : 0) + RF_HANG_MS))
		return HUNG;
	return a->res;
}

/* Give back a lock a test wrongly got, so the test can go on. */
static inline void agent_drop(struct agent *a, rf_mutex_t *m, int r)
{
	if (r == 0 || r == EOWNERDEAD)
		agent_do(a, C_UNLOCK, m, r == EOWNERDEAD);
}

static inline bool wait_ready(struct agent *a)
{
	long long end = now_ns() + RF_HANG_MS * 1000000LL;

	while (!__atomic_load_n(&a->ready, __ATOMIC_SEQ_CST) && now_ns() < end)
		usleep(1000);
	return __atomic_load_n(&a->ready, __ATOMIC_SEQ_CST) == 1;
}

static inline pid_t clone3_(uint64_t flags, pid_t *set_tid)
{
	struct clone_args args = {
		.flags = flags,
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)set_tid,
		.set_tid_size = set_tid ? 1 : 0,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * An agent, child of the caller, in the initial namespace; with TID @tid
 * if not 0.  Returns its pid or -errno.
 */
static inline pid_t spawn(struct agent *a, pid_t tid)
{
	pid_t pid;

	memset(a, 0, offsetof(struct agent, uid));
	pid = tid ? clone3_(0, &tid) : fork();
	if (pid == 0)
		agent_main(a);
	if (pid < 0)
		return -errno;
	return wait_ready(a) ? pid : -ETIME;
}

/*
 * A new PID namespace: its init (returned, its pid here) reaps, and starts
 * agents @as[i] numbered @nr[i] there (0: next free).  Check each ->ready.
 */
static inline pid_t spawn_ns(struct agent **as, pid_t *nr, int n)
{
	pid_t init;
	int i;

	for (i = 0; i < n; i++)
		memset(as[i], 0, offsetof(struct agent, uid));
	init = clone3_(CLONE_NEWPID, NULL);
	if (init == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(AGENT_LIFE);
		for (i = 0; i < n; i++) {
			pid_t p = nr[i] ? clone3_(0, &nr[i]) : fork();

			if (p == 0)
				agent_main(as[i]);
			if (p < 0)
				__atomic_store_n(&as[i]->ready, -errno,
						 __ATOMIC_SEQ_CST);
		}
		while (wait(NULL) > 0 || errno == EINTR)
			;
		_exit(0);
	}
	if (init < 0)
		return -errno;
	for (i = 0; i < n; i++)
		wait_ready(as[i]);
	return init;
}

/* State letter of a process (/proc/PID/stat), 0 if gone. */

/* The agent is blocked inside its clocklock (asleep in the module). */
static inline bool agent_asleep(struct agent *a)
{
	long long end = now_ns() + RF_HANG_MS * 1000000LL;
	int n = 0;

	while (now_ns() < end) {
		if (__atomic_load_n(&a->busy, __ATOMIC_SEQ_CST) &&
		    rf_proc_state(a->pid) == 'S') {
			if (++n == 5)
				return true;
		} else {
			n = 0;
		}
		usleep(5000);
	}
	return false;
}

/* SIGKILL @pid; reap it if it is our child, else wait until it is dead. */
static inline bool kill_agent(pid_t pid, bool reap)
{
	int status;
	char st;

	if (kill(pid, SIGKILL))
		return false;
	if (reap)
		return waitpid(pid, &status, 0) == pid;
	return RF_UNTIL((st = rf_proc_state(pid), !st || st == 'Z' || st == 'X'),
			2000);
}

/* A number no task has in the initial namespace. */
static inline pid_t unused_pid(void)
{
	char path[32];
	pid_t x;

	for (x = 20011; x < 32000; x += 7) {
		snprintf(path, sizeof(path), "/proc/%d", x);
		if (access(path, F_OK) && errno == ENOENT)
			return x;
	}
	return -1;
}

static inline void log_stats(struct __test_metadata *_metadata, const char *when)
{
	TH_LOG("%s: records %lld, records_dropped %lld, recoveries %lld, cut_releases %lld",
	       when, rf_stat("records"), rf_stat("records_dropped"),
	       rf_stat("recoveries"), rf_stat("cut_releases"));
}

FIXTURE(id) {
	struct shm *s;
};

FIXTURE_SETUP(id)
{
	self->s = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->s);
	memset(self->s, 0, sizeof(struct shm));
}

FIXTURE_TEARDOWN(id)
{
}

/*
 * Agent @own locks @m and cuts its release; returns the word it left
 * (owner|R), or 0 on failure (logged).
 */
static inline uint32_t lock_and_cut(struct __test_metadata *_metadata,
			     struct agent *own, rf_mutex_t *m, int how)
{
	int r = agent_do(own, C_LOCK, m, 0);

	if (r) {
		TH_LOG("owner's lock: %s", err(r));
		return 0;
	}
	r = agent_do(own, C_CUT, m, how);
	if (r) {
		TH_LOG("owner's cut (%s): %s", how ? "dequeued" : "in place",
		       r == 1 ? "the mutex is on no list" : err(r));
		return 0;
	}
	return own->word;
}

/*
 * Waiter @w must not get @m while its owner (word @v) lives: a clocklock
 * times out at ~1 s and leaves owner|R.
 */
static inline void expect_no_steal(struct __test_metadata *_metadata,
			    struct agent *w, rf_mutex_t *m, uint32_t v,
			    const char *what)
{
	long long t0 = now_ns();
	int r = agent_do(w, C_CLOCKLOCK, m, 1000);

	EXPECT_EQ(ETIMEDOUT, r) {
		TH_LOG("%s: waiter (pid %d, ns pid %d) got %s after %lld ms while owner %#x lives; word was %#x, now %#x",
		       what, w->pid, w->nspid, err(r),
		       (w->t_end - t0) / 1000000, OWNER(v), v, w->word);
	}
	EXPECT_EQ(OWNER(v) | R, word_of(m) & ~W) {
		TH_LOG("%s: word %#x, owner left %#x", what, word_of(m), v);
	}
	agent_drop(w, m, r);
}

/*
 * Waiter @w must get @m (0).  Its clocklock's deadline, RF_HANG_MS, only
 * bounds a hang: how long it took is not judged.
 */
static inline void expect_gets_it(struct __test_metadata *_metadata,
			   struct agent *w, rf_mutex_t *m, const char *what)
{
	uint32_t before = word_of(m);
	long long t0 = now_ns();
	int r = agent_do(w, C_CLOCKLOCK, m, RF_HANG_MS);

	EXPECT_EQ(0, r) {
		TH_LOG("%s: waiter (pid %d, ns pid %d) got %s after %lld ms; word was %#x, now %#x",
		       what, w->pid, w->nspid, err(r),
		       (w->t_end - t0) / 1000000, before, w->word);
	}
	agent_drop(w, m, r);
}

#endif
