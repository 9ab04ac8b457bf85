// SPDX-License-Identifier: GPL-2.0
/*
 * Two processes that share one address space (clone(CLONE_VM) without
 * CLONE_THREAD), each with a registration: the module keeps one notifier
 * per address space, and both registrations hang off it.  Whichever
 * process is not the last user is walked by its own exit; the last one's
 * exit releases the address space, whose release walks what is left.
 * When both exit at once, the release (in one process) may claim the
 * other's registration while that one's exit is still on its way, and
 * that exit then waits for the release's walk.  Each test checks that
 * both mainline-protocol words are marked, and that no registration is
 * left behind: the users file counts them.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include "kselftest_harness.h"
#include "rf_lists.h"

#define OD	FUTEX_OWNER_DIED
#define ROUNDS	100

/* One process's part of the shared page: its list head and held lock. */
struct part {
	char head[64];
	struct tlock lk;
	int ready;		/* 1 registered, -1 failed */
	uint32_t go;		/* 1: exit_group() now */
};

struct pair {
	struct part a, b;	/* a: fork()ed by the test; b: a's CLONE_VM child */
	char stack[64 * 1024] __attribute__((aligned(16)));
};

static long futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/*
 * Register a list holding one lock and wait to be told to exit.  Raw
 * system calls only: b shares a's memory, its C library state included.
 */
static void hold_then_exit(struct part *p)
{
	struct tlist l;

	tl_init(&l, sizeof(void *) * 8, p->head);
	p->lk.word = syscall(SYS_gettid);
	tl_push(&l, &p->lk);
	__atomic_store_n(&p->ready, tl_register(rf_open(), &l,
						RF_PROTO_MAINLINE) == 0 ? 1 : -1,
			 __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&p->go, __ATOMIC_SEQ_CST))
		futex(&p->go, FUTEX_WAIT, 0);
	syscall(SYS_exit_group, 0);
}

static int b_main(void *arg)
{
	hold_then_exit(&((struct pair *)arg)->b);
	return 0;
}

/* a: start b on a's own memory, then be a holder too. */
static void a_main(struct pair *s)
{
	if (clone(b_main, s->stack + sizeof(s->stack), CLONE_VM | SIGCHLD,
		  s) < 0)
		__atomic_store_n(&s->b.ready, -1, __ATOMIC_SEQ_CST);
	hold_then_exit(&s->a);
}

/* Registrations of uid 0, every namespace: the users file's sum. */
static long long root_threads(void)
{
	FILE *f = fopen("/sys/kernel/robustfutex/users", "r");
	unsigned int uid, n, ns;
	long long sum = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%u %u %u", &uid, &n, &ns) == 3)
		if (uid == 0)
			sum += n;
	fclose(f);
	return sum;
}

static void go(struct part *p)
{
	__atomic_store_n(&p->go, 1, __ATOMIC_SEQ_CST);
	futex(&p->go, FUTEX_WAKE, 1);
}

static int ready(struct part *p)
{
	return __atomic_load_n(&p->ready, __ATOMIC_SEQ_CST) != 0;
}

/*
 * One pair, both registered and holding a lock, told to exit: @first
 * ('a' or 'b') before the other, or (0) both at once.
 */
static void one_pair(struct __test_metadata *_metadata, struct pair *s,
		     int first)
{
	int status;
	pid_t a;

	memset(s, 0, sizeof(*s) - sizeof(s->stack));
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		a_main(s);
		_exit(1);
	}
	ASSERT_TRUE(RF_UNTIL(ready(&s->a) && ready(&s->b), 100));
	ASSERT_EQ(1, s->a.ready);
	ASSERT_EQ(1, s->b.ready);
	if (first == 'b') {
		go(&s->b);
		/* b is a's child: a reaps it; its own exit walked it. */
		ASSERT_TRUE(RF_UNTIL(s->b.lk.word & OD, 100))
			TH_LOG("b's word %#x", s->b.lk.word);
		go(&s->a);
	} else if (first == 'a') {
		go(&s->a);
		ASSERT_EQ(a, waitpid(a, &status, 0));
		/* a walked itself before it could be reaped: b holds the mm. */
		EXPECT_EQ(OD, s->a.lk.word & OD);
		go(&s->b);
	} else {
		go(&s->a);
		go(&s->b);
	}
	if (first != 'a')
		ASSERT_EQ(a, waitpid(a, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* b was reparented when a died: its exit is not ours to wait for. */
	EXPECT_TRUE(RF_UNTIL((s->a.lk.word & OD) && (s->b.lk.word & OD), 100))
		TH_LOG("a's word %#x, b's %#x", s->a.lk.word, s->b.lk.word);
}

static void run(struct __test_metadata *_metadata, int first, int rounds)
{
	struct pair *s = tl_map(sizeof(*s), 0);
	long long base = root_threads();
	int i;

	ASSERT_NE(NULL, s);
	ASSERT_LE(0, base);
	for (i = 0; i < rounds && !_metadata->exit_code; i++)
		one_pair(_metadata, s, first);
	/* Every registration ends; a handed-over one on a worker. */
	EXPECT_TRUE(RF_UNTIL(root_threads() == base, 1000))
		TH_LOG("uid 0 has %lld registrations, %lld before",
		       root_threads(), base);
	munmap(s, sizeof(*s));
}

/* The last user's exit releases the mm; b's exit walked itself before. */
TEST(child_exits_first)
{
	run(_metadata, 'b', 1);
}

/* a's exit walks a (b still uses the mm); b's release walks b. */
TEST(parent_exits_first)
{
	run(_metadata, 'a', 1);
}

/* Both at once: the release may claim the other's registration. */
TEST(both_exit_at_once)
{
	run(_metadata, 0, ROUNDS);
}

TEST_HARNESS_MAIN
