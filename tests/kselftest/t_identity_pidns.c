// SPDX-License-Identifier: GPL-2.0
/*
 * Owner identity and recovery: "is the releaser of owner|R dead?"
 * must never be answered "yes" for a live owner, whatever PID namespace
 * the waiter sees it from and whoever took over the dead thread's number;
 * and a waiter on the word of a releaser that did die must always get the
 * lock, even when nothing was recorded for it.
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
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include "kselftest_harness.h"
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

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec in_ms(int ms)
{
	long long t = now_ns() + ms * 1000000LL;

	return (struct timespec){ t / 1000000000LL, t % 1000000000LL };
}

static const char *err(int e)
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

static uint32_t word_of(rf_mutex_t *m)
{
	return __atomic_load_n((uint32_t *)m, __ATOMIC_SEQ_CST);
}

static int mutex_init(rf_mutex_t *m, bool robust)
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
static void **link_to(struct head_view *h, void *node)
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
static int cut_release(rf_mutex_t *m, int how)
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

static void agent_run(struct agent *a)
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

static __attribute__((noreturn)) void agent_main(struct agent *a)
{
	char buf[32];
	ssize_t n;
	int seen = 0, s;

	if (a->uid && (setgid(a->uid) || setuid(a->uid)))
		_exit(3);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* after setuid: it clears it */
	alarm(AGENT_LIFE);
	/* /proc is the initial namespace's: /proc/self is our pid there. */
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	a->pid = atoi(buf);
	a->nspid = getpid();
	__atomic_store_n(&a->ready, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		while ((s = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE)) == seen)
			usleep(500);
		seen = s;
		agent_run(a);
		__atomic_store_n(&a->done, seen, __ATOMIC_RELEASE);
	}
}

static void agent_start(struct agent *a, int cmd, rf_mutex_t *m, int arg)
{
	a->cmd = cmd;
	a->m = m;
	a->arg = arg;
	a->res = HUNG;
	__atomic_store_n(&a->seq, a->seq + 1, __ATOMIC_RELEASE);
}

static bool agent_wait(struct agent *a, int ms)
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
static int agent_do(struct agent *a, int cmd, rf_mutex_t *m, int arg)
{
	agent_start(a, cmd, m, arg);
	if (!agent_wait(a, (cmd == C_CLOCKLOCK ? arg : 0) + RF_HANG_MS))
		return HUNG;
	return a->res;
}

/* Give back a lock a test wrongly got, so the test can go on. */
static void agent_drop(struct agent *a, rf_mutex_t *m, int r)
{
	if (r == 0 || r == EOWNERDEAD)
		agent_do(a, C_UNLOCK, m, r == EOWNERDEAD);
}

static bool wait_ready(struct agent *a)
{
	long long end = now_ns() + RF_HANG_MS * 1000000LL;

	while (!__atomic_load_n(&a->ready, __ATOMIC_SEQ_CST) && now_ns() < end)
		usleep(1000);
	return __atomic_load_n(&a->ready, __ATOMIC_SEQ_CST) == 1;
}

static pid_t clone3_(uint64_t flags, pid_t *set_tid)
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
static pid_t spawn(struct agent *a, pid_t tid)
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
static pid_t spawn_ns(struct agent **as, pid_t *nr, int n)
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
static bool agent_asleep(struct agent *a)
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
static bool kill_agent(pid_t pid, bool reap)
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
static pid_t unused_pid(void)
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

static void log_stats(struct __test_metadata *_metadata, const char *when)
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
static uint32_t lock_and_cut(struct __test_metadata *_metadata,
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
static void expect_no_steal(struct __test_metadata *_metadata,
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
static void expect_gets_it(struct __test_metadata *_metadata,
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

/*
 * 1. Owner in a new PID namespace, at a number no task has in the initial
 * one; the waiter in the initial namespace must not take the lock while
 * the owner lives mid-release; once it is killed, the waiter gets it.
 */
TEST_F_TIMEOUT(id, pidns_live_owner_not_recovered, 120)
{
	struct agent *own = &self->s->a[0], *w = &self->s->a[1];
	rf_mutex_t *m = &self->s->m[0];
	pid_t x = unused_pid();
	uint32_t v;

	ASSERT_LT(0, x);
	ASSERT_EQ(0, mutex_init(m, true));
	ASSERT_LT(0, spawn_ns(&own, &x, 1));
	ASSERT_EQ(1, own->ready) TH_LOG("owner at ns pid %d: %s", x,
					strerror(-own->ready));
	ASSERT_LT(0, spawn(w, 0));
	v = lock_and_cut(_metadata, own, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	TH_LOG("owner pid %d, ns pid %d, word %#x", own->pid, own->nspid, v);
	expect_no_steal(_metadata, w, m, v, "owner in child ns");
	ASSERT_TRUE(kill_agent(own->pid, false));
	expect_gets_it(_metadata, w, m, "owner in child ns killed");
}

/* 2. The reverse: owner in the initial namespace, waiter in a new one. */
TEST_F_TIMEOUT(id, pidns_live_owner_not_recovered_reverse, 120)
{
	struct agent *own = &self->s->a[0], *w = &self->s->a[1];
	rf_mutex_t *m = &self->s->m[0];
	pid_t owner, nr = 0;
	uint32_t v;

	ASSERT_EQ(0, mutex_init(m, true));
	owner = spawn(own, 0);
	ASSERT_LT(0, owner);
	ASSERT_LT(0, spawn_ns(&w, &nr, 1));
	ASSERT_EQ(1, w->ready);
	v = lock_and_cut(_metadata, own, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	TH_LOG("owner pid %d, word %#x; waiter ns pid %d", owner, v, w->nspid);
	expect_no_steal(_metadata, w, m, v, "waiter in child ns");
	ASSERT_TRUE(kill_agent(owner, true));
	expect_gets_it(_metadata, w, m, "owner in parent ns killed");
}

/*
 * 3. The owner dies mid-release, robust (dequeued: only the pending
 * pointer names the word) and stalled (on no list at all); its number in
 * its own namespace names a live task in the waiter's: the waiter must
 * still recover.  Owner in a child namespace, waiter in the parent ...
 */
TEST_F_TIMEOUT(id, pidns_child_owner_dies_mid_release, 120)
{
	struct agent *own = &self->s->a[0], *w = &self->s->a[1];
	rf_mutex_t *m = &self->s->m[0];
	static const char *const what[] = { "stalled", "robust" };
	pid_t x = getpid();	/* alive in the initial namespace */
	uint32_t v;
	int robust;

	ASSERT_LT(0, spawn(w, 0));
	for (robust = 0; robust < 2; robust++) {
		ASSERT_EQ(0, mutex_init(m, robust));
		ASSERT_LT(0, spawn_ns(&own, &x, 1));
		ASSERT_EQ(1, own->ready);
		v = lock_and_cut(_metadata, own, m,
				 robust ? CUT_DEQUEUED : CUT_IN_PLACE);
		ASSERT_NE(0, v);
		TH_LOG("%s: owner pid %d, ns pid %d, word %#x", what[robust],
		       own->pid, own->nspid, v);
		ASSERT_TRUE(kill_agent(own->pid, false));
		expect_gets_it(_metadata, w, m, what[robust]);
	}
}

/*
 * ... and owner in the parent, waiter in a child namespace where a live
 * task has the number that the owner's word holds.
 */
TEST_F_TIMEOUT(id, pidns_parent_owner_dies_mid_release, 120)
{
	struct agent *own = &self->s->a[0], *w = &self->s->a[1];
	struct agent *twin = &self->s->a[2];
	rf_mutex_t *m = &self->s->m[0];
	static const char *const what[] = { "stalled", "robust" };
	struct agent *as[2] = { twin, w };
	pid_t owner, nr[2];
	uint32_t v;
	int robust;

	for (robust = 0; robust < 2; robust++) {
		ASSERT_EQ(0, mutex_init(m, robust));
		owner = spawn(own, 0);
		ASSERT_LT(0, owner);
		v = lock_and_cut(_metadata, own, m,
				 robust ? CUT_DEQUEUED : CUT_IN_PLACE);
		ASSERT_NE(0, v);
		nr[0] = OWNER(v);
		nr[1] = 0;
		ASSERT_LT(0, spawn_ns(as, nr, 2));
		ASSERT_EQ(1, w->ready);
		if (twin->ready != 1)
			TH_LOG("%s: no task numbered %d in the child ns: %s",
			       what[robust], nr[0], strerror(-twin->ready));
		TH_LOG("%s: owner pid %d, word %#x; waiter ns pid %d",
		       what[robust], owner, v, w->nspid);
		ASSERT_TRUE(kill_agent(owner, true));
		expect_gets_it(_metadata, w, m, what[robust]);
	}
}

/*
 * A (robust) dies mid-release on @m with nobody waiting and is reaped; @m
 * is made a new mutex (@robust) in the same memory.  Returns A's pid.
 */
static pid_t die_mid_release(struct __test_metadata *_metadata,
			     struct agent *a, rf_mutex_t *m, bool robust)
{
	pid_t pid = spawn(a, 0);
	uint32_t v;

	if (pid < 0)
		return pid;
	v = lock_and_cut(_metadata, a, m, CUT_DEQUEUED);
	if (!kill_agent(pid, true) || !v)
		return -1;
	TH_LOG("A: pid %d died mid-release leaving %#x", pid, word_of(m));
	log_stats(_metadata, "after A");
	return mutex_init(m, robust) ? -1 : pid;
}

/*
 * 4. A dies mid-release; B, a new process with A's TID, locks a STALLED
 * mutex in the same memory and is inside its own release: waiter C must
 * not take the lock from B.  Once B dies, C gets it.
 */
TEST_F_TIMEOUT(id, stalled_tid_reuse, 120)
{
	struct agent *a = &self->s->a[0], *b = &self->s->a[1];
	struct agent *c = &self->s->a[2];
	rf_mutex_t *m = &self->s->m[0];
	pid_t pa, pb;
	uint32_t v;

	ASSERT_EQ(0, mutex_init(m, true));
	ASSERT_LT(0, spawn(c, 0));
	pa = die_mid_release(_metadata, a, m, false);
	ASSERT_LT(0, pa);
	pb = spawn(b, pa);
	ASSERT_EQ(pa, pb) TH_LOG("clone3 set_tid %d: %s", pa,
				 strerror(-pb));
	v = lock_and_cut(_metadata, b, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	TH_LOG("B: pid %d, word %#x", pb, v);
	expect_no_steal(_metadata, c, m, v, "stalled B with A's TID");
	ASSERT_TRUE(kill_agent(pb, true));
	expect_gets_it(_metadata, c, m, "B killed");
}

/* 4b. The same with B in another PID namespace, with A's number there. */
TEST_F_TIMEOUT(id, stalled_tid_reuse_other_pidns, 120)
{
	struct agent *a = &self->s->a[0], *b = &self->s->a[1];
	struct agent *c = &self->s->a[2];
	rf_mutex_t *m = &self->s->m[0];
	pid_t pa;
	uint32_t v;

	ASSERT_EQ(0, mutex_init(m, true));
	ASSERT_LT(0, spawn(c, 0));
	pa = die_mid_release(_metadata, a, m, false);
	ASSERT_LT(0, pa);
	ASSERT_LT(0, spawn_ns(&b, &pa, 1));
	ASSERT_EQ(1, b->ready) TH_LOG("ns pid %d: %s", pa,
				      strerror(-b->ready));
	v = lock_and_cut(_metadata, b, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	TH_LOG("B: pid %d, ns pid %d, word %#x", b->pid, b->nspid, v);
	expect_no_steal(_metadata, c, m, v, "stalled B numbered A in its ns");
	ASSERT_TRUE(kill_agent(b->pid, false));
	expect_gets_it(_metadata, c, m, "B killed");
}

/*
 * 5. Victim V dies mid-release and stays a zombie; then one unprivileged
 * user makes 1,100 releases cut short (one word each); then a waiter of
 * another user must still recover V's mutex.
 */
#define NFLOOD	1100
#define INFLIGHT 32
/*
 * The flood takes 3 s on 6.12 under TCG and 114 s on the KASAN+lockdep
 * PREEMPT_RT kernel: the test's timeout leaves twice that, and with the
 * program's other tests stays under the runner's 300 s.
 */

static int flood(rf_mutex_t *words)
{
	int i, live = 0, bad = 0, status;
	pid_t p;

	for (i = 0; i < NFLOOD; i++) {
		while (live >= INFLIGHT) {
			if (wait(&status) < 0)
				return 100;
			live--;
			bad += !WIFEXITED(status) || WEXITSTATUS(status);
		}
		p = fork();
		if (p < 0)
			return 101;
		if (p == 0) {
			if (rf_mutex_lock(&words[i]))
				_exit(2);
			if (cut_release(&words[i], CUT_DEQUEUED))
				_exit(3);
			syscall(SYS_exit_group, 0);
		}
		live++;
	}
	while (live-- > 0) {
		if (wait(&status) < 0)
			return 102;
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	return bad ? 1 : 0;
}

TEST_F_TIMEOUT(id, many_records_then_legit_recovery, 240)
{
	struct agent *v = &self->s->a[0], *w = &self->s->a[1];
	rf_mutex_t *m = &self->s->m[0], *words;
	size_t len = NFLOOD * sizeof(rf_mutex_t);
	long long t0;
	pid_t pv, u;
	int i, status;
	uint32_t vw;

	words = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, words);
	for (i = 0; i < NFLOOD; i++)
		ASSERT_EQ(0, mutex_init(&words[i], true));
	ASSERT_EQ(0, mutex_init(m, true));

	pv = spawn(v, 0);
	ASSERT_LT(0, pv);
	vw = lock_and_cut(_metadata, v, m, CUT_DEQUEUED);
	ASSERT_NE(0, vw);
	ASSERT_EQ(0, kill(pv, SIGKILL));	/* not reaped: a zombie */
	RF_UNTIL(rf_proc_state(pv) == 'Z', 5000);
	ASSERT_EQ('Z', rf_proc_state(pv));
	TH_LOG("V: pid %d, zombie, word %#x", pv, word_of(m));
	log_stats(_metadata, "after V");

	t0 = now_ns();
	u = fork();
	ASSERT_LE(0, u);
	if (u == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(99);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(AGENT_LIFE);
		_exit(flood(words));
	}
	ASSERT_EQ(u, waitpid(u, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("flood: status %#x", status);
	}
	TH_LOG("flood of %d cut releases as uid 65534: %lld ms", NFLOOD,
	       (now_ns() - t0) / 1000000);
	log_stats(_metadata, "after the flood");

	w->uid = 65533;
	ASSERT_LT(0, spawn(w, 0));
	ASSERT_EQ('Z', rf_proc_state(pv));
	expect_gets_it(_metadata, w, m, "uid 65533 on the zombie V's mutex");
	waitpid(pv, &status, 0);
	munmap(words, len);
}

/*
 * 6. Waiter asleep on owner|R of a STALLED mutex (on no list: the exit
 * walk never sees it) when the releaser is killed: woken by the death and
 * given the lock before its own deadline (RF_HANG_MS) comes.  A lost wake
 * would leave it asleep until that deadline, and a recovery made then
 * would return at or after it.
 */
TEST_F_TIMEOUT(id, lost_recovery_waiter_sleeping, 120)
{
	struct agent *rel = &self->s->a[0], *w = &self->s->a[1];
	rf_mutex_t *m = &self->s->m[0];
	long long t_kill, dt;
	pid_t pr;
	uint32_t v;

	ASSERT_EQ(0, mutex_init(m, false));
	pr = spawn(rel, 0);
	ASSERT_LT(0, pr);
	ASSERT_LT(0, spawn(w, 0));
	v = lock_and_cut(_metadata, rel, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	agent_start(w, C_CLOCKLOCK, m, RF_HANG_MS);
	ASSERT_TRUE(agent_asleep(w)) TH_LOG("waiter never slept; word %#x",
					    word_of(m));
	TH_LOG("releaser pid %d left %#x; waiter asleep, word %#x", pr, v,
	       word_of(m));
	t_kill = now_ns();
	ASSERT_TRUE(kill_agent(pr, true));
	ASSERT_TRUE(agent_wait(w, 2 * RF_HANG_MS));
	dt = (w->t_end - t_kill) / 1000000;
	EXPECT_EQ(0, w->res) {
		TH_LOG("waiter got %s %lld ms after the kill; word %#x",
		       err(w->res), dt, w->word);
	}
	EXPECT_LT(w->t_end, w->t_dl) {
		TH_LOG("waiter returned %lld ms after the kill, at its own deadline: the death did not wake it",
		       dt);
	}
	TH_LOG("waiter woken and given the lock %lld ms after the kill", dt);
	agent_drop(w, m, w->res);
}

/*
 * 7. trylock after a release cut short by death: 0 (or EOWNERDEAD), never
 * EBUSY; EBUSY while the releaser lives.
 */
TEST_F_TIMEOUT(id, trylock_after_cut_release, 120)
{
	struct agent *rel = &self->s->a[0], *c = &self->s->a[1];
	rf_mutex_t *m = &self->s->m[0];
	static const struct { bool robust; int how; const char *name; } k[] = {
		{ true, CUT_IN_PLACE, "robust, on the list" },
		{ true, CUT_DEQUEUED, "robust, dequeued" },
		{ false, CUT_IN_PLACE, "stalled" },
	};
	unsigned int i;
	pid_t pr;
	uint32_t v;
	int r;

	ASSERT_LT(0, spawn(c, 0));
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		ASSERT_EQ(0, mutex_init(m, k[i].robust));
		pr = spawn(rel, 0);
		ASSERT_LT(0, pr);
		v = lock_and_cut(_metadata, rel, m, k[i].how);
		ASSERT_NE(0, v);
		r = agent_do(c, C_TRYLOCK, m, 0);
		EXPECT_EQ(EBUSY, r) TH_LOG("%s, releaser alive: %s, word %#x",
					   k[i].name, err(r), c->word);
		agent_drop(c, m, r);
		ASSERT_TRUE(kill_agent(pr, true));
		r = agent_do(c, C_TRYLOCK, m, 0);
		EXPECT_TRUE(r == 0 || r == EOWNERDEAD) {
			TH_LOG("%s, releaser dead: trylock %s; word was %#x, now %#x",
			       k[i].name, err(r), v, c->word);
		}
		agent_drop(c, m, r);
	}
}

/*
 * 8. Like 4, with B robust: a different process holding A's number, in
 * the same namespace (it registers after A's death) and in another one
 * (registered before A died, and so never again).  C must not take the
 * lock from B.
 */
TEST_F_TIMEOUT(id, tid_reuse_same_number_not_registered, 120)
{
	struct agent *a = &self->s->a[0], *b = &self->s->a[1];
	struct agent *c = &self->s->a[2];
	rf_mutex_t *m = &self->s->m[0], *scratch = &self->s->m[1];
	pid_t pa, pb;
	uint32_t v;
	int r;

	ASSERT_LT(0, spawn(c, 0));

	/* Same namespace. */
	ASSERT_EQ(0, mutex_init(m, true));
	pa = die_mid_release(_metadata, a, m, true);
	ASSERT_LT(0, pa);
	pb = spawn(b, pa);
	ASSERT_EQ(pa, pb) TH_LOG("clone3 set_tid %d: %s", pa, strerror(-pb));
	v = lock_and_cut(_metadata, b, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	TH_LOG("same ns: B pid %d, word %#x", pb, v);
	expect_no_steal(_metadata, c, m, v, "robust B with A's TID");
	ASSERT_TRUE(kill_agent(pb, true));
	expect_gets_it(_metadata, c, m, "same ns: B killed");

	/* B in another namespace, numbered as A, registered while A lives. */
	ASSERT_EQ(0, mutex_init(m, true));
	ASSERT_EQ(0, mutex_init(scratch, true));
	pa = spawn(a, 0);
	ASSERT_LT(0, pa);
	ASSERT_LT(0, spawn_ns(&b, &pa, 1));
	ASSERT_EQ(1, b->ready) TH_LOG("ns pid %d: %s", pa, strerror(-b->ready));
	r = agent_do(b, C_LOCK, scratch, 0);
	ASSERT_EQ(0, r);
	ASSERT_EQ(0, agent_do(b, C_UNLOCK, scratch, 0));
	v = lock_and_cut(_metadata, a, m, CUT_DEQUEUED);
	ASSERT_NE(0, v);
	ASSERT_TRUE(kill_agent(pa, true));
	TH_LOG("other ns: A pid %d died leaving %#x", pa, word_of(m));
	log_stats(_metadata, "after A");
	ASSERT_EQ(0, mutex_init(m, true));
	v = lock_and_cut(_metadata, b, m, CUT_IN_PLACE);
	ASSERT_NE(0, v);
	TH_LOG("other ns: B pid %d, ns pid %d, word %#x", b->pid, b->nspid, v);
	expect_no_steal(_metadata, c, m, v, "robust B numbered A in its ns");
	ASSERT_TRUE(kill_agent(b->pid, false));
	expect_gets_it(_metadata, c, m, "other ns: B killed");
}

TEST_HARNESS_MAIN
