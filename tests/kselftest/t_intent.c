// SPDX-License-Identifier: GPL-2.0
/*
 * The intent-to-release protocol, window by window.  A child process plays
 * the thread t that dies: it registers an intent-protocol list and leaves
 * exactly the state its lock or unlock code has at one step (the same
 * atomics rf_mutex uses, done by hand), while a waiter in the parent sleeps
 * in the module.  Then t is SIGKILLed and the test checks that the waiter
 * wakes, what the word holds, and that recovery happens only when it
 * must.  Owner fields hold t's owner ID (RF_IOC_GET_OWNER).  See
 * docs/identity.md and model/.  "Woken by the death" is told from the
 * result (RF_RESULT_WOKEN, not -ETIMEDOUT), never from how long it took;
 * waits that must end carry RF_HANG_MS, a bound only a hang reaches.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <linux/sched.h>
#include "kselftest_harness.h"
#include "rf_lists.h"

#define OD	RF_FUTEX_OWNER_DIED
#define W	RF_FUTEX_WAITERS
#define R	RF_RELEASING
#define FAKE	0x1234		/* an owner value no test thread has */
#define NATIVE	((int)sizeof(void *) * 8)

enum pend { P_NONE, P_LOCK, P_UNLOCK };

struct window {
	const char *name;
	int in_list;		/* m is on t's list */
	enum pend pending;	/* list_op_pending */
	uint32_t word;		/* word t leaves; T = t's owner ID */
	uint32_t wait_val;	/* what the waiter slept on */
	uint32_t before_kill;	/* word just before t dies (~0: keep) */
	uint32_t wait_flags;
	/* expected */
	uint32_t final;		/* word after t died (T = t's owner ID) */
	int recover;		/* a RECOVER wait then returns RECOVERED */
};
#define T 0x10000000U		/* placeholder: replaced by t's owner ID */
#define KEEP (~0U)

static uint32_t subst(uint32_t v, uint32_t tid)
{
	return v == KEEP ? v : (v & T) ? (v & ~T) | tid : v;
}

struct shared {
	char head[64];
	struct tlock lock;
	volatile uint32_t tid;		/* t's owner ID */
	volatile pid_t pid;
	uint32_t canary[64];	/* memory around the word must not change */
};

static struct shared *shm_new(void)
{
	struct shared *s = tl_map(sizeof(struct shared), 1);

	if (s)
		memset(s->canary, 0xa5, sizeof(s->canary));
	return s;
}

/* The dying thread: leave the window's state, then wait to be killed. */
static void play_t(struct shared *s, const struct window *win, int ready)
{
	struct tlist l;
	int fd = rf_open();
	long tid = rf_owner_of(fd);
	uintptr_t m = (uintptr_t)&s->lock;

	if (tid <= 0)
		_exit(2);
	tl_init(&l, NATIVE, s->head);
	s->lock.word = subst(win->word, tid);
	if (win->in_list)
		tl_push(&l, &s->lock);
	if (win->pending == P_LOCK)
		tl_pending(&l, m);
	else if (win->pending == P_UNLOCK)
		tl_pending(&l, m | RF_PENDING_UNLOCK);
	if (tl_register(fd, &l, RF_PROTO_INTENT) != 0)
		_exit(2);
	s->tid = tid;
	s->pid = rf_gettid();
	write(ready, "r", 1);
	pause();
	_exit(0);
}

/* Let a child t leave @win's state and SIGKILL it; returns its TID. */
static pid_t die_in_window(struct shared *s, const struct window *win)
{
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0)
		play_t(s, win, pipefd[1]);
	if (pid < 0 || read(pipefd[0], &c, 1) != 1)
		return -1;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	return pid;
}

struct waiter {
	uint32_t *word;
	uint32_t val, flags;
	long ret;
	pid_t tid;
	long ms;		/* timeout; 0: RF_HANG_MS */
	int reg;		/* register first (as every library waiter is) */
	int stay;		/* then stay alive until told */
	volatile int done, stop;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	int fd = rf_open();

	w->tid = rf_gettid();
	if (w->reg)
		rf_owner_of(fd);
	w->ret = rf_wait_ms(fd, w->word, w->val, w->flags,
			    w->ms ? w->ms : RF_HANG_MS);
	w->done = 1;
	while (w->stay && !w->stop)
		usleep(1000);
	return NULL;
}

static void run_window(struct __test_metadata *_metadata,
		       const struct window *win)
{
	struct shared *s = shm_new();
	struct waiter w = { 0 };
	int pipefd[2], status, i;
	uint32_t tid;
	pthread_t th;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	if (pid == 0)
		play_t(s, win, pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	tid = s->tid;

	w.word = &s->lock.word;
	w.val = subst(win->wait_val, tid);
	w.flags = win->wait_flags | RF_WAIT_SHARED;	/* t is another process */
	if (w.val != s->lock.word)	/* the waiter slept on an older value */
		s->lock.word = w.val;
	pthread_create(&th, NULL, waiter_fn, &w);
	ASSERT_TRUE(RF_UNTIL(w.tid && rf_thread_asleep(w.tid), 2000))
		TH_LOG("waiter never slept");
	s->lock.word = subst(win->word, tid);
	if (win->before_kill != KEEP)
		s->lock.word = subst(win->before_kill, tid);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	pthread_join(th, NULL);
	/* Woken by the death, not by its timeout (RF_HANG_MS). */
	EXPECT_EQ(RF_RESULT_WOKEN, w.ret) TH_LOG("%s: waiter got %ld",
						 win->name, w.ret);
	EXPECT_EQ(subst(win->final, tid), s->lock.word) TH_LOG("%s", win->name);
	if (win->recover) {
		uint32_t v = s->lock.word;

		EXPECT_EQ(RF_RESULT_RECOVERED,
			  rf_wait_ms(rf_open(), &s->lock.word, v,
				     RF_WAIT_RECOVER | RF_WAIT_SHARED,
				     RF_HANG_MS));
		EXPECT_EQ(v & W, s->lock.word);
	}
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0xa5a5a5a5, s->canary[i]);
}

/*
 * Lock steps: pending set; CAS done; enqueued; pending cleared (held).
 * Unlock steps: pending|UNLOCK set; RF_RELEASING set; dequeued; released
 * (xchg); woken.
 */
static const struct window windows[] = {
	/* A waiter woken to take the lock died first: the wake passes on. */
	{ "lock: woken, died before CAS (unowned)", 0, P_LOCK,
	  FAKE | W, FAKE | W, 0, 0, 0, 0 },
	{ "lock: woken, died before CAS (owner without WAITERS)", 0, P_LOCK,
	  FAKE | W, FAKE | W, FAKE, 0, FAKE, 0 },
	{ "lock: CAS done, not enqueued", 0, P_LOCK,
	  T | W, T | W, KEEP, 0, OD | W, 0 },
	{ "lock: enqueued, pending not cleared", 1, P_LOCK,
	  T | W, T | W, KEEP, 0, OD | W, 0 },
	{ "held", 1, P_NONE, T | W, T | W, KEEP, 0, OD | W, 0 },
	/* Unlock not begun: it still holds the lock. */
	{ "unlock: pending set, RF_RELEASING not yet", 1, P_UNLOCK,
	  T | W, T | W, KEEP, 0, OD | W, 0 },
	/* Release begun, still on the list: the memory is live, finish it. */
	{ "unlock: RF_RELEASING set, not dequeued", 1, P_UNLOCK,
	  T | R | W, T | R | W, KEEP, RF_WAIT_RECOVER, W, 0 },
	/* Dequeued: never written; a waiter recovers it. */
	{ "unlock: dequeued, not released", 0, P_UNLOCK,
	  T | R | W, T | R | W, KEEP, RF_WAIT_RECOVER, T | R | W, 1 },
	/* Released, wake not sent: the module sends it (lost wakeup). */
	{ "unlock: released, wake not sent", 0, P_UNLOCK,
	  0, T | R | W, KEEP, RF_WAIT_RECOVER, 0, 0 },
	{ "unlock: released, next owner took it", 0, P_UNLOCK,
	  FAKE, T | W, KEEP, 0, FAKE, 0 },
};

TEST(every_window)
{
	unsigned int i;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		run_window(_metadata, &windows[i]);
}

/*
 * glibc bug 14485: t's unlock completed, but t died before clearing
 * list_op_pending; the memory was freed and reused, and now holds t's TID
 * (or t|RF_RELEASING).  Not one byte may change.
 */
static void reuse_after_unlock(struct __test_metadata *_metadata,
			       uint32_t reuse, int waiters)
{
	struct window win = {
		"reused", 0, P_UNLOCK, reuse | (waiters ? W : 0), 0, KEEP, 0, 0, 0
	};
	struct shared *s = shm_new();
	long long cut = rf_stat("cut_releases");
	int i;

	ASSERT_NE(NULL, s);
	ASSERT_LT(0, die_in_window(s, &win));
	EXPECT_EQ(subst(win.word, s->tid), s->lock.word);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0xa5a5a5a5, s->canary[i]);
	/* t|R left behind is counted (a waiter may recover it), not written. */
	EXPECT_EQ(cut + !!(reuse & R), rf_stat("cut_releases"));
}

TEST(bug14485_reused_memory_holds_tid)
{
	reuse_after_unlock(_metadata, T, 0);
	reuse_after_unlock(_metadata, T, 1);
}

TEST(bug14485_reused_memory_holds_tid_releasing)
{
	reuse_after_unlock(_metadata, T | R, 0);
	reuse_after_unlock(_metadata, T | R, 1);
}

/*
 * Owner IDs are not TIDs: a new thread given the dead releaser's TID (with
 * clone3()'s set_tid) that registers gets another ID, so the dead
 * releaser's word is still recognised as dead and recovered at once.
 */
static pid_t fork_with_tid(pid_t tid)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&tid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

TEST(tid_reuse_does_not_revive_an_owner)
{
	struct window win = {
		"cut", 0, P_UNLOCK, T | R | W, 0, KEEP, 0, 0, 0
	};
	struct shared *s = shm_new();
	int pipefd[2], status;
	pid_t pid, again;
	uint32_t dead_id;
	char c;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, pipe(pipefd));
	pid = die_in_window(s, &win);
	ASSERT_LT(0, pid);
	dead_id = s->tid;

	again = fork_with_tid(pid);
	if (again == 0) {
		static char head[24] __attribute__((aligned(8)));
		struct tlist l;
		int fd = rf_open();

		tl_init(&l, NATIVE, head);
		tl_register(fd, &l, RF_PROTO_INTENT);
		s->tid = rf_owner_of(fd);
		write(pipefd[1], "r", 1);
		pause();
		_exit(0);
	}
	ASSERT_LT(0, again) TH_LOG("clone3 set_tid: %s", strerror(errno));
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(pid, again) TH_LOG("could not reuse TID %d", pid);
	EXPECT_NE(dead_id, s->tid);
	/* The word's owner is dead, whoever has its TID now. */
	EXPECT_EQ(RF_RESULT_RECOVERED,
		  rf_wait_ms(rf_open(), &s->lock.word, dead_id | R | W,
			     RF_WAIT_RECOVER, RF_HANG_MS));
	EXPECT_EQ(W, s->lock.word);
	kill(again, SIGKILL);
	waitpid(again, &status, 0);
}

/* A live releaser is never recovered from under: the waiter sleeps. */
TEST(no_recovery_while_releaser_lives)
{
	int fd = rf_open();
	uint32_t me = rf_owner_of(fd), word = me | R | W;

	EXPECT_EQ(-ETIMEDOUT, rf_wait_ms(fd, &word, word, RF_WAIT_RECOVER, 300));
	EXPECT_EQ(-EBUSY, rf_wait_ms(fd, &word, word,
				     RF_WAIT_RECOVER | RF_WAIT_TRY, 0));
	EXPECT_EQ(me | R | W, word);
}

/* Cross-process, memfd mapping: the owner process dies holding, and
 * dying mid-release; the other process sleeps with RF_WAIT_SHARED. */
TEST(cross_process_memfd)
{
	static const struct window held = {
		"memfd held", 1, P_NONE, T | W, 0, KEEP, 0, 0, 0
	};
	static const struct window cut = {
		"memfd cut", 0, P_UNLOCK, T | R | W, 0, KEEP, 0, 0, 0
	};
	const struct window *wins[] = { &held, &cut };
	int mfd = memfd_create("rf", 0), k;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * 4096));
	for (k = 0; k < 2; k++) {
		struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
					MAP_SHARED, mfd, 0);
		struct waiter w = { 0 };
		int pipefd[2], status;
		pthread_t th;
		pid_t pid;
		char c;

		ASSERT_NE(MAP_FAILED, s);
		memset(s, 0, sizeof(*s));
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		if (pid == 0)
			play_t(s, wins[k], pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		/* The waiter maps the same memfd page at another address. */
		w.word = &((struct shared *)mmap(NULL, sizeof(*s),
				PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
				0))->lock.word;
		w.val = s->lock.word;
		w.flags = RF_WAIT_SHARED | (k ? RF_WAIT_RECOVER : 0);
		pthread_create(&th, NULL, waiter_fn, &w);
		ASSERT_TRUE(RF_UNTIL(w.tid && rf_thread_asleep(w.tid), 2000))
			TH_LOG("waiter never slept");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		pthread_join(th, NULL);
		EXPECT_EQ(RF_RESULT_WOKEN, w.ret);
		if (k == 0) {
			EXPECT_EQ(OD | W, *w.word);
		} else {
			EXPECT_EQ(RF_RESULT_RECOVERED,
				  rf_wait_ms(rf_open(), w.word, *w.word,
					     RF_WAIT_SHARED | RF_WAIT_RECOVER,
					     RF_HANG_MS));
			EXPECT_EQ(W, *w.word);
		}
	}
}

/*
 * A waiter is woken to take the lock and dies before it can, and nothing
 * on a list says so (the model's WALK_FAIL: a walk that cannot read the
 * list).  Its death passes the wake on: the other waiter is not left
 * asleep.
 */
TEST(woken_waiter_dies_before_taking_it)
{
	struct shared *s = shm_new();
	struct waiter b = { 0 };
	int fd = rf_open(), status;
	pthread_t th;
	pid_t a;

	ASSERT_NE(NULL, s);
	s->lock.word = 7;
	a = fork();
	if (a == 0) {
		int afd = rf_open();

		/* Registered (as every library waiter is), no list. */
		if (rf_owner_of(afd) <= 0)
			_exit(2);
		s->pid = rf_gettid();
		if (rf_wait_ms(afd, &s->lock.word, 7, RF_WAIT_SHARED,
			       RF_HANG_MS) != RF_RESULT_WOKEN)
			_exit(3);
		raise(SIGKILL);	/* woken, dies before taking anything */
		_exit(4);
	}
	ASSERT_LT(0, a);
	ASSERT_TRUE(RF_UNTIL(s->pid && rf_thread_asleep_pid(a), 2000))
		TH_LOG("a never slept");
	b.word = &s->lock.word;
	b.val = 7;
	b.flags = RF_WAIT_SHARED;
	pthread_create(&th, NULL, waiter_fn, &b);
	ASSERT_TRUE(RF_UNTIL(b.tid && rf_thread_asleep(b.tid), 2000))
		TH_LOG("b never slept");
	/* One wake: it goes to a, the first asleep. */
	ASSERT_EQ(1, rf_wake_n(fd, &s->lock.word, 1, RF_WAIT_SHARED));
	waitpid(a, &status, 0);
	ASSERT_TRUE(WIFSIGNALED(status));
	pthread_join(th, NULL);
	EXPECT_EQ(RF_RESULT_WOKEN, b.ret) TH_LOG("b got %ld: the wake was lost",
					       b.ret);
}

/*
 * The model's HEIR rule.  B sleeps on M, linked to M's owner C.  C's unlock
 * wakes A (asleep first); A takes M, then sleeps on another word N, is
 * woken there and dies, with no list the walk could read.  B's hope was A:
 * it must be woken by A's death and recover M, not sleep on, linked to the
 * live C.
 */
TEST(heir_dies_holding_after_another_wait)
{
	struct two {
		uint32_t m, n;
		volatile uint32_t a_id;
		volatile int a_took;
	} *s = tl_map(sizeof(struct two), 0);
	struct waiter b = { 0 };
	int fd = rf_open(), status;
	uint32_t c_id = rf_owner_of(fd);
	pthread_t th;
	pid_t a;

	ASSERT_NE(NULL, s);
	ASSERT_LT(0, (int)c_id);
	s->m = c_id | W;
	s->n = 5;
	a = fork();
	if (a == 0) {
		int afd = rf_open();
		uint32_t zero = 0;

		s->a_id = rf_owner_of(afd);
		if (rf_wait_ms(afd, &s->m, c_id | W, RF_WAIT_SHARED |
			       RF_WAIT_RECOVER, RF_HANG_MS) != RF_RESULT_WOKEN)
			_exit(3);
		/* Take M, as a thread that slept does: with WAITERS. */
		if (!__atomic_compare_exchange_n(&s->m, &zero, s->a_id | W,
						 false, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			_exit(4);
		s->a_took = 1;
		rf_wait_ms(afd, &s->n, 5, RF_WAIT_SHARED, RF_HANG_MS);
		raise(SIGKILL);	/* dies holding M, on no list */
		_exit(5);
	}
	ASSERT_LT(0, a);
	ASSERT_TRUE(RF_UNTIL(s->a_id && rf_thread_asleep_pid(a), 2000))
		TH_LOG("a never slept");
	b.word = &s->m;
	b.val = c_id | W;
	b.flags = RF_WAIT_SHARED | RF_WAIT_RECOVER;
	pthread_create(&th, NULL, waiter_fn, &b);
	ASSERT_TRUE(RF_UNTIL(b.tid && rf_thread_asleep(b.tid), 2000))
		TH_LOG("b never slept");
	/* C unlocks: release, then wake one (a, the first asleep). */
	__atomic_exchange_n(&s->m, 0, __ATOMIC_SEQ_CST);
	ASSERT_EQ(1, rf_wake_n(fd, &s->m, 1, RF_WAIT_SHARED));
	RF_UNTIL(s->a_took && rf_thread_asleep_pid(a), 2000);
	ASSERT_EQ(1, s->a_took);
	ASSERT_EQ(1, rf_wake_n(fd, &s->n, 1, RF_WAIT_SHARED));
	waitpid(a, &status, 0);
	pthread_join(th, NULL);
	EXPECT_EQ(RF_RESULT_WOKEN, b.ret) TH_LOG("b got %ld: left asleep", b.ret);
	EXPECT_EQ(RF_RESULT_OWNER_DIED,
		  rf_wait_ms(fd, &s->m, s->a_id | W, RF_WAIT_SHARED |
			     RF_WAIT_RECOVER | RF_WAIT_OWNER_DIED,
			     RF_HANG_MS));
	EXPECT_EQ(OD | W, s->m);
}

/*
 * The heir gives up without ever owning the word (it returns, and does not
 * wait again), and then the real owner dies with no list to walk.  The
 * other waiter, linked to the heir when the heir was woken, must still be
 * linked to the owner as well, and woken by its death.
 */
TEST(heir_gives_up_then_owner_dies)
{
	struct three {
		uint32_t m;
		volatile uint32_t o_id;
	} *s = tl_map(sizeof(struct three), 0);
	struct waiter a = { .reg = 1, .stay = 1 }, b = { .reg = 1 };
	int fd = rf_open(), status;
	pthread_t ta, tb;
	pid_t o;

	ASSERT_NE(NULL, s);
	o = fork();
	if (o == 0) {		/* the owner: registered, no list, stays */
		s->o_id = rf_owner_of(rf_open());
		for (;;)
			pause();
	}
	ASSERT_LT(0, o);
	ASSERT_TRUE(RF_UNTIL(s->o_id, 2000)) TH_LOG("the owner never registered");
	s->m = s->o_id | W;
	a.word = b.word = &s->m;
	a.val = b.val = s->o_id | W;
	a.flags = b.flags = RF_WAIT_SHARED | RF_WAIT_RECOVER;
	pthread_create(&ta, NULL, waiter_fn, &a);
	ASSERT_TRUE(RF_UNTIL(a.tid && rf_thread_asleep(a.tid), 2000))
		TH_LOG("a never slept");
	pthread_create(&tb, NULL, waiter_fn, &b);
	ASSERT_TRUE(RF_UNTIL(b.tid && rf_thread_asleep(b.tid), 2000))
		TH_LOG("b never slept");
	/* A stray wake goes to a, which becomes b's heir, and gives up. */
	EXPECT_EQ(1, rf_wake_n(fd, &s->m, 1, RF_WAIT_SHARED));
	EXPECT_TRUE(RF_UNTIL(a.done, 2000)) TH_LOG("a was not woken");
	/* Time for a wrong wake of b to show: woken, it sleeps no more. */
	usleep(100000);
	EXPECT_TRUE(rf_thread_asleep(b.tid)) TH_LOG("b woke with a");
	/* The owner dies; nothing walks; b must be woken all the same. */
	kill(o, SIGKILL);
	waitpid(o, &status, 0);
	pthread_join(tb, NULL);
	a.stop = 1;
	pthread_join(ta, NULL);
	EXPECT_EQ(RF_RESULT_WOKEN, b.ret) TH_LOG("b got %ld: left asleep", b.ret);
	EXPECT_EQ(RF_RESULT_OWNER_DIED,
		  rf_wait_ms(fd, &s->m, s->o_id | W, RF_WAIT_SHARED |
			     RF_WAIT_RECOVER | RF_WAIT_OWNER_DIED,
			     RF_HANG_MS));
}

TEST_HARNESS_MAIN
