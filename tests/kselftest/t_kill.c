// SPDX-License-Identifier: GPL-2.0
/*
 * The walk at a fatal signal.  A signal that starts a group exit (SIGKILL
 * here) has each registered thread walk its lists where it takes the
 * signal, before do_exit(): its mm is still its own, so plain user access
 * reaches the words.  Mainline's walk comes later, in exit_mm().  A walk
 * there that meets a page it cannot reach without a fault stops, and the
 * exit hooks go on from there (never from the head again), and nothing
 * is counted twice.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"
#include "rf_softdirty.h"

#define NATIVE	((int)sizeof(void *) * 8)
#define OD	FUTEX_OWNER_DIED
#define NLOCKS	8

struct victim {
	uint64_t head[3];
	struct tlock lk[NLOCKS];
	volatile int ready;
	volatile uint32_t id;	/* the owner ID, intent lists */
};

/* Register a list holding @n of @v's locks; 0 or a step number. */
static int hold(struct victim *v, int n)
{
	struct tlist l;
	int i;

	tl_init(&l, NATIVE, v->head);
	for (i = 0; i < n; i++) {
		v->lk[i].word = rf_gettid();
		tl_push(&l, &v->lk[i]);
	}
	return tl_register(rf_open(), &l, RF_PROTO_MAINLINE) < 0 ? 2 : 0;
}

/* In the child: say it is ready, and wait to be killed. */
static void __attribute__((noreturn)) wait_to_die(struct victim *v)
{
	v->ready = 1;
	for (;;)
		pause();
}

/*
 * Once @ready, trace @pid for its exit event and SIGKILL it: 1 once it is held at
 * PTRACE_EVENT_EXIT (the start of do_exit()), 0 if it died without
 * stopping there, -1 on an error.
 */
static int kill_to_exit_stop(pid_t pid, volatile int *ready)
{
	int status;

	if (!RF_UNTIL(*ready, 1000) || ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT) ||
	    kill(pid, SIGKILL) || waitpid(pid, &status, __WALL) != pid)
		return -1;
	if (WIFSTOPPED(status) &&
	    status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
		return 1;
	return WIFSIGNALED(status) ? 0 : -1;
}

/* Kill @pid, held at its exit event; skip the test if it is not held. */
#define HOLD_AT_EXIT(pid, ready) do {					\
	int held_ = kill_to_exit_stop(pid, ready);			\
									\
	ASSERT_LE(0, held_);						\
	if (!held_)							\
		SKIP(return, "this kernel does not stop a killed tracee at exit"); \
} while (0)

/* Let a tracee held at its exit event go, and reap it: 0, or -1. */
static int let_die(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_DETACH, pid, 0, 0) ||
	    waitpid(pid, &status, __WALL) != pid || !WIFSIGNALED(status))
		return -1;
	return 0;
}

/*
 * Held at PTRACE_EVENT_EXIT (do_exit()'s start, before exit_mm()), a
 * SIGKILLed owner's words are marked already: the walk ran when it took
 * the signal.
 */
TEST(walked_before_exit)
{
	struct victim *v = tl_map(sizeof(*v), 0);
	long long kw = rf_stat("kill_walks"), walks = rf_stat("walks");
	int i;
	pid_t pid;

	ASSERT_NE(NULL, v);
	pid = fork();
	if (pid == 0) {
		if (hold(v, NLOCKS))
			_exit(2);
		wait_to_die(v);
	}
	ASSERT_LT(0, pid);
	HOLD_AT_EXIT(pid, &v->ready);
	for (i = 0; i < NLOCKS; i++) {
		uint32_t word = v->lk[i].word;

		EXPECT_EQ(OD, word) TH_LOG("lock %d: word %#x at the exit event",
					   i, word);
	}
	EXPECT_EQ(0, let_die(pid));
	EXPECT_LE(0, kw) TH_LOG("no kill_walks counter");
	EXPECT_EQ(kw + 1, rf_stat("kill_walks"));
	EXPECT_EQ(walks + 1, rf_stat("walks"));
}

/*
 * The first word is on a page the walk can write, the rest on one that
 * soft-dirty tracking has write-protected: the walk at the signal marks
 * the first, stops, and the exit hooks (which may fault the page
 * writable) mark the rest.  One walk is counted, no fault.
 */
TEST(handed_back_at_a_fault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct victim *v = tl_map(sizeof(*v), 0);
	struct tlock *wp = tl_map(page, 0);
	long long kw = rf_stat("kill_walks"), walks = rf_stat("walks");
	long long faults = rf_stat("faults");
	int status, i;
	pid_t pid;

	ASSERT_NE(NULL, v);
	ASSERT_NE(NULL, wp);
	ASSERT_LE(0, kw) TH_LOG("no kill_walks counter");
	if (!have_soft_dirty())
		SKIP(return, "no soft-dirty tracking in this kernel");
	pid = fork();
	if (pid == 0) {
		struct tlist l;

		/* Pushed last, walked first: v's lock, then wp's. */
		tl_init(&l, NATIVE, v->head);
		for (i = 0; i < 2; i++) {
			wp[i].word = rf_gettid();
			tl_push(&l, &wp[i]);
		}
		v->lk[0].word = rf_gettid();
		tl_push(&l, &v->lk[0]);
		if (tl_register(rf_open(), &l, RF_PROTO_MAINLINE) < 0)
			_exit(2);
		/*
		 * Every page write-protected, then v's written again (ready
		 * is beside its lock): only wp's stays so.
		 */
		if (clear_soft_dirty())
			_exit(3);
		wait_to_die(v);
	}
	ASSERT_LT(0, pid);
	ASSERT_TRUE(RF_UNTIL(v->ready, 1000));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child step %d failed",
						WEXITSTATUS(status));
	EXPECT_EQ(OD, v->lk[0].word);
	for (i = 0; i < 2; i++) {
		uint32_t word = wp[i].word;

		EXPECT_EQ(OD, word) TH_LOG("write-protected lock %d: word %#x",
					   i, word);
	}
	EXPECT_EQ(walks + 1, rf_stat("walks"));
	EXPECT_EQ(faults, rf_stat("faults"));
	EXPECT_EQ(kw, rf_stat("kill_walks"));
}

/*
 * Where the walk at the signal stopped is where the exit walk goes on.
 * A is marked at the signal, B's page is write-protected.  While the
 * owner is held at PTRACE_EVENT_EXIT, A's node is relinked, as a waiter
 * woken by A's marking would do when it takes A and puts A on its own
 * list: here to C, a word that carries the dead owner's TID but is on no
 * list of its.  A walk that started again from the head would follow A
 * to C and mark it, and never reach B.
 */
TEST(goes_on_where_it_stopped)
{
	long page = sysconf(_SC_PAGESIZE);
	struct victim *v = tl_map(sizeof(*v), 0);
	struct tlock *wp = tl_map(page, 0);
	long long kw = rf_stat("kill_walks"), walks = rf_stat("walks");
	struct tlock *a, *c;
	pid_t pid, tid;

	ASSERT_NE(NULL, v);
	ASSERT_NE(NULL, wp);
	ASSERT_LE(0, kw) TH_LOG("no kill_walks counter");
	if (!have_soft_dirty())
		SKIP(return, "no soft-dirty tracking in this kernel");
	a = &v->lk[0];
	c = &v->lk[1];
	pid = fork();
	if (pid == 0) {
		struct tlist l;

		tl_init(&l, NATIVE, v->head);
		wp[0].word = rf_gettid();
		tl_push(&l, &wp[0]);
		a->word = rf_gettid();
		tl_push(&l, a);		/* walked first: A, then B */
		c->word = rf_gettid();	/* on no list */
		if (tl_register(rf_open(), &l, RF_PROTO_MAINLINE) < 0)
			_exit(2);
		if (clear_soft_dirty())
			_exit(3);
		wait_to_die(v);	/* v's page writable again, wp's not */
	}
	ASSERT_LT(0, pid);
	HOLD_AT_EXIT(pid, &v->ready);
	tid = c->word;
	EXPECT_EQ(OD, a->word) TH_LOG("A not marked at the signal");
	EXPECT_EQ(tid, wp[0].word) TH_LOG("B marked before the exit walk?");
	tl_put(NATIVE, &c->node, (uintptr_t)v->head);
	tl_put(NATIVE, &a->node, (uintptr_t)c);
	EXPECT_EQ(0, let_die(pid));
	EXPECT_EQ(OD, wp[0].word) TH_LOG("B: word %#x", wp[0].word);
	EXPECT_EQ(tid, c->word) TH_LOG("C, on no list of the owner's, changed");
	EXPECT_EQ(kw, rf_stat("kill_walks"));
	EXPECT_EQ(walks + 1, rf_stat("walks"));
}

/*
 * An intent list: its owner's ID dies before the walk, so a waiter may
 * recover a lock still on the list and put its node on its own list.  A
 * walk that finds a word no longer the owner's does not follow that node.
 * Staged as above: A marked at the signal, B write-protected; at the
 * PTRACE_EVENT_EXIT stop, C (the next on the list) is recovered by
 * "another owner" and its node linked to D, a word with the dead ID on
 * no list.  B is marked at exit; C and D are left alone.
 */
TEST(recovered_node_not_followed)
{
	long page = sysconf(_SC_PAGESIZE);
	struct victim *v = tl_map(sizeof(*v), 0);
	struct tlock *wp = tl_map(page, 0);
	struct tlock *a, *c, *d;
	uint32_t other = 0x1234 | OD;
	pid_t pid;

	ASSERT_NE(NULL, v);
	ASSERT_NE(NULL, wp);
	if (!have_soft_dirty())
		SKIP(return, "no soft-dirty tracking in this kernel");
	a = &v->lk[0];
	c = &v->lk[1];
	d = &v->lk[2];
	pid = fork();
	if (pid == 0) {
		int fd = rf_open();
		long id = rf_owner_of(fd);
		struct tlist l;

		if (id <= 0)
			_exit(2);
		tl_init(&l, NATIVE, v->head);
		c->word = id;
		tl_push(&l, c);
		wp[0].word = id;
		tl_push(&l, &wp[0]);
		a->word = id;
		tl_push(&l, a);		/* walked: A, B, C */
		d->word = id;		/* on no list */
		if (tl_register(fd, &l, RF_PROTO_INTENT) < 0)
			_exit(3);
		if (clear_soft_dirty())
			_exit(4);
		v->id = id;
		wait_to_die(v);
	}
	ASSERT_LT(0, pid);
	HOLD_AT_EXIT(pid, &v->ready);
	EXPECT_EQ(OD, a->word) TH_LOG("A not marked at the signal");
	EXPECT_EQ(v->id, wp[0].word) TH_LOG("B marked before the exit walk?");
	c->word = other;
	tl_put(NATIVE, &d->node, (uintptr_t)v->head);
	tl_put(NATIVE, &c->node, (uintptr_t)d);
	EXPECT_EQ(0, let_die(pid));
	EXPECT_EQ(OD, wp[0].word) TH_LOG("B: word %#x", wp[0].word);
	EXPECT_EQ(other, c->word) TH_LOG("C, recovered by another, changed");
	EXPECT_EQ(v->id, d->word) TH_LOG("D, reached through C's new link, changed");
}

/* Many threads, one lock each, killed at once: every word marked, once. */
#define THREADS 16

static void *hold_fn(void *p)
{
	struct victim *v = p;
	struct tlist l;

	tl_init(&l, NATIVE, v->head);
	v->lk[0].word = rf_gettid();
	tl_push(&l, &v->lk[0]);
	if (tl_register(rf_open(), &l, RF_PROTO_MAINLINE) < 0)
		return NULL;
	__atomic_fetch_add(&v->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

TEST(threads_killed_at_once)
{
	struct victim *v = tl_map(THREADS * sizeof(*v), 0);
	long long kw = rf_stat("kill_walks"), walks = rf_stat("walks");
	int status, i;
	pid_t pid;

	ASSERT_NE(NULL, v);
	ASSERT_LE(0, kw) TH_LOG("no kill_walks counter");
	pid = fork();
	if (pid == 0) {
		pthread_t th;

		for (i = 1; i < THREADS; i++)
			if (pthread_create(&th, NULL, hold_fn, &v[i]))
				_exit(2);
		hold_fn(&v[0]);
		_exit(3);
	}
	ASSERT_LT(0, pid);
	for (i = 0; i < THREADS; i++)
		ASSERT_TRUE(RF_UNTIL(v[i].ready, 1000)) TH_LOG("thread %d", i);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	for (i = 0; i < THREADS; i++) {
		uint32_t word = v[i].lk[0].word;

		EXPECT_EQ(OD, word) TH_LOG("thread %d: word %#x", i, word);
	}
	EXPECT_EQ(walks + THREADS, rf_stat("walks"));
	/*
	 * How many are walked at the signal is not known: a thread that
	 * took the signal before its walk was queued (woken on another CPU
	 * while the sender still held the siglock) is walked at its exit.
	 */
	EXPECT_GE(kw + THREADS, rf_stat("kill_walks"));
}

TEST_HARNESS_MAIN
