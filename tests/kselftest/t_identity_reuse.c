// SPDX-License-Identifier: GPL-2.0
/*
 * Owner identity when a number is reused: a releaser dies mid-release,
 * and another process takes over its number (in the same PID namespace
 * or another one) and holds a mutex in the same memory.  A waiter must
 * not take the lock from the live one, and gets it once that one dies.
 * The agents, the cut releases and the bounds: rf_agent.h.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>
#include "rf_agent.h"

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
