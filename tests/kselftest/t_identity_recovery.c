// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery of a releaser that died mid-release: a waiter on its word must
 * always get the lock, even when nothing was recorded for it (a flood of
 * other cut releases), when the waiter was already asleep on it, and by
 * trylock.  The agents, the cut releases and the bounds: rf_agent.h.
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

TEST_HARNESS_MAIN
