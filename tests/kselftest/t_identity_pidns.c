// SPDX-License-Identifier: GPL-2.0
/*
 * Owner identity and recovery across PID namespaces: "is the releaser of
 * owner|R dead?" must never be answered "yes" for a live owner, whatever
 * PID namespace the waiter sees it from; and a waiter on the word of a
 * releaser that did die must get the lock, even when the dead owner's
 * number names a live task in the waiter's namespace.  The agents, the
 * cut releases and the bounds: rf_agent.h.
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
	pid_t owner, init, nr[2];
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
		init = spawn_ns(as, nr, 2);
		ASSERT_LT(0, init);
		ASSERT_EQ(1, w->ready);
		if (twin->ready != 1)
			TH_LOG("%s: no task numbered %d in the child ns: %s",
			       what[robust], nr[0], strerror(-twin->ready));
		TH_LOG("%s: owner pid %d, word %#x; waiter ns pid %d",
		       what[robust], owner, v, w->nspid);
		ASSERT_TRUE(kill_agent(owner, true));
		expect_gets_it(_metadata, w, m, what[robust]);
		/* Its init's death ends the namespace's agents too. */
		ASSERT_TRUE(kill_agent(init, true));
	}
}

TEST_HARNESS_MAIN
