// SPDX-License-Identifier: GPL-2.0
/*
 * No lost wakeups: waits through the module (RF_IOC_WAIT) racing value
 * changes and wakes (RF_IOC_WAKE), futex style.  A waiter sleeps only
 * while *word == val; whoever changes the word wakes afterwards.  The
 * module must check the value under the bucket lock, the lock the waker
 * takes to look for sleepers: a wait that compares first and locks after
 * can read the old value, lose the race with the change and the wake,
 * and then sleep on a value that is gone.
 *
 * A lost wakeup is an order, not a time: the wait timed out although the
 * word had changed away from its value and the wake for that change had
 * returned before the wait's deadline.  The waker takes the bucket lock
 * under which the waiter checks the value and queues, so a waiter queued
 * by then is woken (RF_RESULT_WOKEN), and one not yet queued finds the new
 * value (-EAGAIN): only a lost wakeup times out.  How late a woken waiter
 * gets to run (a slow or loaded machine) is reported, never judged.  Waits
 * carry a timeout (TIMEOUT_MS), so nothing can hang.
 *
 * Two shapes, each run for a set time (RF_WAKEUPS_MS overrides it) and on
 * until the race has been run a number of times, at most RF_HANG_MS more:
 * pairs of threads passing a turn back and forth on one word (each change
 * races the other thread's entry into its wait), and a barrier whose last
 * arrival bumps a generation and wakes everyone.  Half the pairs wait on
 * shared memory (RF_WAIT_SHARED, an inode key) and half on private
 * memory; before waiting a thread spins a random while, so that changes
 * land at every point of the module's wait entry.  A third shape, the
 * one that catches a value check made outside the bucket lock most
 * often, has a changer that never sleeps (changer_races_wait_entry).
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "rf_test.h"

#define TIMEOUT_MS	3000
#define RING		8	/* wake records kept per word */
#define NPAIRS		6
#define NBARRIER	6
#define MAX_LOGGED	5

static uint32_t now_us(void)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!t0.tv_sec && !t0.tv_nsec)
		t0 = t;	/* first call: from the main thread, before any other */
	return (uint32_t)((t.tv_sec - t0.tv_sec) * 1000000 +
			  (t.tv_nsec - t0.tv_nsec) / 1000);
}

/* Each test's running time: RF_WAKEUPS_MS, or @def. */
static long run_ms_or(long def)
{
	const char *e = getenv("RF_WAKEUPS_MS");

	return e ? atol(e) : def;
}

#define run_ms()	run_ms_or(RUN_MS_DEFAULT)

/* A waited-on word and when each of its last changes was woken for. */
struct wword {
	uint32_t word __attribute__((aligned(64)));
	uint32_t tag[RING];	/* value the change produced */
	uint32_t us[RING];	/* its wake had returned by then */
	uint32_t flags;		/* 0 or RF_WAIT_SHARED */
	uint32_t done;
};

struct stats {
	int fd;
	uint32_t deadline_us;	/* the run's set time is up */
	uint32_t hard_us;	/* RF_HANG_MS later: up, however few rounds */
	long min_rounds;	/* rounds wanted before stopping */
	long rounds, sleeps, woken, eagain, timeouts, lost, errors;
	long worst_us;		/* longest return after a wake, any wait */
	int logged;
	pthread_mutex_t log_lock;
	char log[MAX_LOGGED][160];
};

#define ADD(s, f, n)	__atomic_fetch_add(&(s)->f, (n), __ATOMIC_RELAXED)

/* Start the clock: run @ms (RF_WAKEUPS_MS), then on to @min_rounds. */
static void run_for(struct stats *s, long ms, long min_rounds)
{
	s->deadline_us = now_us() + ms * 1000;
	s->hard_us = s->deadline_us + RF_HANG_MS * 1000u;
	s->min_rounds = min_rounds;
}

/* Time to stop, with @rounds made (or an estimate of the whole run's). */
static bool time_up(struct stats *s, long rounds)
{
	uint32_t now = now_us();

	if ((int32_t)(now - s->hard_us) >= 0)
		return true;
	return (int32_t)(now - s->deadline_us) >= 0 && rounds >= s->min_rounds;
}

/* Change @w from @val to @val + 1 and wake @nr of its waiters. */
static void change_and_wake(struct stats *s, struct wword *w, uint32_t val,
			    int nr)
{
	uint32_t nv = val + 1, slot = nv % RING;
	long r;

	__atomic_store_n(&w->word, nv, __ATOMIC_SEQ_CST);
	r = rf_wake_n(s->fd, &w->word, nr, w->flags);
	if (r < 0)
		ADD(s, errors, 1);
	__atomic_store_n(&w->us[slot], now_us(), __ATOMIC_RELAXED);
	__atomic_store_n(&w->tag[slot], nv, __ATOMIC_RELEASE);
}

static void spin(unsigned int *seed, uint32_t *word, uint32_t val)
{
	unsigned int n;

	*seed = *seed * 1103515245u + 12345u;
	n = (*seed >> 16) % 2048;
	while (n-- && __atomic_load_n(word, __ATOMIC_RELAXED) == val)
		__asm__ __volatile__("" ::: "memory");
}

/*
 * Sleep while w->word == @val, then judge the return: lost if it timed
 * out though the wake for the change from @val returned before its
 * deadline (t0 + TIMEOUT_MS at the earliest; 1 ms spared for the clock's
 * rounding).  Returns the wait's result.
 */
static long wait_judged(struct stats *s, struct wword *w, uint32_t val,
			int who)
{
	uint32_t t0, t1, cur, slot = (val + 1) % RING, wake_us, from;
	long r;

	t0 = now_us();
	r = rf_wait_ms(s->fd, &w->word, val, w->flags, TIMEOUT_MS);
	t1 = now_us();
	cur = __atomic_load_n(&w->word, __ATOMIC_SEQ_CST);
	if (r == RF_RESULT_WOKEN)
		ADD(s, woken, 1);
	else if (r == -EAGAIN)
		ADD(s, eagain, 1);
	else if (r == -ETIMEDOUT)
		ADD(s, timeouts, 1);
	else if (r != -EINTR)
		ADD(s, errors, 1);
	if (r != -EAGAIN)
		ADD(s, sleeps, 1);
	if (cur == val ||
	    __atomic_load_n(&w->tag[slot], __ATOMIC_ACQUIRE) != val + 1)
		return r;	/* unchanged, or its wake not yet issued */
	wake_us = __atomic_load_n(&w->us[slot], __ATOMIC_RELAXED);
	from = (int32_t)(wake_us - t0) > 0 ? wake_us : t0;
	if ((int32_t)(t1 - from) > 0) {
		long late = (int32_t)(t1 - from);
		long worst = __atomic_load_n(&s->worst_us, __ATOMIC_RELAXED);

		while (late > worst &&
		       !__atomic_compare_exchange_n(&s->worst_us, &worst, late,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
	}
	if (r == -ETIMEDOUT &&
	    (int32_t)(t0 + TIMEOUT_MS * 1000u - wake_us) > 1000) {
		ADD(s, lost, 1);
		pthread_mutex_lock(&s->log_lock);
		if (s->logged < MAX_LOGGED)
			snprintf(s->log[s->logged++], sizeof(s->log[0]),
				 "%s waiter %d slept on %u from %u us, the wake for %u returned at %u us, timed out at %u us",
				 w->flags ? "shared" : "private", who,
				 val, t0, val + 1, wake_us, t1);
		pthread_mutex_unlock(&s->log_lock);
	}
	return r;
}

static void report(struct __test_metadata *_metadata, struct stats *s,
		   const char *what)
{
	int i;

	TH_LOG("%s: %ld rounds, %ld waits slept (%ld woken, %ld timed out), %ld EAGAIN, worst return %ld us after a wake (not judged), %ld lost wakeups, %ld errors",
	       what, s->rounds, s->sleeps, s->woken, s->timeouts, s->eagain,
	       s->worst_us, s->lost, s->errors);
	for (i = 0; i < s->logged; i++)
		TH_LOG("  %s", s->log[i]);
}

/* ---- ping-pong: two threads pass a turn (the word's parity) ---- */

struct pp_arg {
	struct stats *s;
	struct wword *w;
	int me;			/* 0 or 1: my turn when (word & 1) == me */
	int who;
};

static void *pingpong(void *p)
{
	struct pp_arg *a = p;
	struct stats *s = a->s;
	struct wword *w = a->w;
	unsigned int seed = (unsigned int)a->who * 2654435761u + 1;
	long rounds = 0;

	for (;;) {
		uint32_t v = __atomic_load_n(&w->word, __ATOMIC_SEQ_CST);

		if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			break;
		if ((v & 1) == (uint32_t)a->me) {
			rounds++;
			/* This pair's share of the rounds wanted. */
			if (time_up(s, rounds * NPAIRS)) {
				__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
				change_and_wake(s, w, v, 1);
				break;
			}
			change_and_wake(s, w, v, 1);
			continue;
		}
		spin(&seed, &w->word, v);
		if (__atomic_load_n(&w->word, __ATOMIC_SEQ_CST) != v)
			continue;
		wait_judged(s, w, v, a->who);
	}
	ADD(s, rounds, rounds);
	return NULL;
}

#undef RUN_MS_DEFAULT
#define RUN_MS_DEFAULT	4000
#define PP_ROUNDS	1000	/* the race was run at all */
TEST(pingpong_pairs)
{
	struct stats s = { .fd = rf_open(),
			   .log_lock = PTHREAD_MUTEX_INITIALIZER };
	struct wword *priv, *shared;
	struct pp_arg a[2 * NPAIRS];
	pthread_t th[2 * NPAIRS];
	int i;

	ASSERT_LE(0, s.fd);
	priv = calloc(NPAIRS, sizeof(*priv));
	shared = mmap(NULL, NPAIRS * sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, priv);
	ASSERT_NE(MAP_FAILED, shared);
	memset(shared, 0, NPAIRS * sizeof(*shared));
	run_for(&s, run_ms(), PP_ROUNDS);
	for (i = 0; i < 2 * NPAIRS; i++) {
		struct wword *w = (i / 2) % 2 ? &shared[i / 2] : &priv[i / 2];

		w->flags = (i / 2) % 2 ? RF_WAIT_SHARED : 0;
		a[i] = (struct pp_arg){ .s = &s, .w = w, .me = i % 2, .who = i };
	}
	for (i = 0; i < 2 * NPAIRS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, pingpong, &a[i]));
	for (i = 0; i < 2 * NPAIRS; i++)
		pthread_join(th[i], NULL);
	report(_metadata, &s, "ping-pong");
	EXPECT_EQ(0, s.errors);
	EXPECT_EQ(0, s.lost);
	EXPECT_LE(PP_ROUNDS, s.rounds);
	munmap(shared, NPAIRS * sizeof(*shared));
	free(priv);
	close(s.fd);
}

/* ---- barrier: the last arrival bumps the generation, wakes all ---- */

struct bar {
	struct wword gen;
	uint32_t count __attribute__((aligned(64)));
	struct stats *s;
};

struct bar_arg {
	struct bar *b;
	int who;
};

static void *barrier_thread(void *p)
{
	struct bar_arg *a = p;
	struct bar *b = a->b;
	struct stats *s = b->s;
	unsigned int seed = (unsigned int)a->who * 40503u + 7;

	for (;;) {
		uint32_t g = __atomic_load_n(&b->gen.word, __ATOMIC_ACQUIRE);

		if (__atomic_add_fetch(&b->count, 1, __ATOMIC_SEQ_CST) ==
		    NBARRIER) {
			__atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
			if (time_up(s, ADD(s, rounds, 1) + 1))
				__atomic_store_n(&b->gen.done, 1,
						 __ATOMIC_RELAXED);
			change_and_wake(s, &b->gen, g, INT32_MAX);
		} else {
			while (__atomic_load_n(&b->gen.word,
					       __ATOMIC_ACQUIRE) == g) {
				spin(&seed, &b->gen.word, g);
				if (__atomic_load_n(&b->gen.word,
						    __ATOMIC_ACQUIRE) != g)
					break;
				wait_judged(s, &b->gen, g, a->who);
			}
		}
		if (__atomic_load_n(&b->gen.done, __ATOMIC_ACQUIRE))
			break;
	}
	return NULL;
}

#undef RUN_MS_DEFAULT
#define RUN_MS_DEFAULT	8000
#define BAR_ROUNDS	100
TEST(barrier_wake_all)
{
	struct stats s = { .fd = rf_open(),
			   .log_lock = PTHREAD_MUTEX_INITIALIZER };
	struct bar *b = calloc(1, sizeof(*b));
	struct bar_arg a[NBARRIER];
	pthread_t th[NBARRIER];
	int i;

	ASSERT_LE(0, s.fd);
	ASSERT_NE(NULL, b);
	b->s = &s;
	run_for(&s, run_ms(), BAR_ROUNDS);
	for (i = 0; i < NBARRIER; i++) {
		a[i] = (struct bar_arg){ .b = b, .who = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, barrier_thread, &a[i]));
	}
	for (i = 0; i < NBARRIER; i++)
		pthread_join(th[i], NULL);
	report(_metadata, &s, "barrier");
	EXPECT_EQ(0, s.errors);
	EXPECT_EQ(0, s.lost);
	EXPECT_LE(BAR_ROUNDS, s.rounds);
	free(b);
	close(s.fd);
}

/*
 * ---- a changer that never sleeps against waiters that do ----
 *
 * The ping-pong and the barrier change a word from a thread that was just
 * woken, by when the waiter is mostly asleep already.  Here each word has
 * a changer that spins: once every waiter has seen the current value (and
 * is on its way into a wait on it), the changer waits a random 0..64 us
 * and changes the word and wakes, so the change lands anywhere in the
 * waiters' way into the module, the value check included.  It then waits
 * for all of them to come back with the new value: a waiter whose wakeup
 * was lost comes back only by timing out (TIMEOUT_MS), before the next
 * change could wake it.  One not back in RF_HANG_MS is an error (a hang).
 */
#define NCHANGERS	2
#define CH_WAITERS	2

struct chword {
	struct wword w;
	uint32_t seen[CH_WAITERS] __attribute__((aligned(64)));
	struct stats *s;
};

struct ch_arg {
	struct chword *c;
	int k;
};

static void spin_us(unsigned int *seed)
{
	static const uint32_t max_us[] = { 0, 1, 2, 4, 8, 16, 32, 64 };
	uint32_t t0 = now_us(), d;

	*seed = *seed * 1103515245u + 12345u;
	d = max_us[(*seed >> 8) % 8];
	d = d ? (*seed >> 16) % (d + 1) : 0;
	while (now_us() - t0 < d)
		;
}

static void *ch_waiter(void *p)
{
	struct ch_arg *a = p;
	struct chword *c = a->c;
	struct stats *s = c->s;

	for (;;) {
		uint32_t v = __atomic_load_n(&c->w.word, __ATOMIC_SEQ_CST);

		if (__atomic_load_n(&c->w.done, __ATOMIC_ACQUIRE))
			break;
		__atomic_store_n(&c->seen[a->k], v, __ATOMIC_SEQ_CST);
		wait_judged(s, &c->w, v, a->k);
	}
	return NULL;
}

static void *ch_changer(void *p)
{
	struct chword *c = p;
	struct stats *s = c->s;
	unsigned int seed = (unsigned int)(uintptr_t)c;
	uint32_t v = 0;

	for (;;) {
		uint32_t t0 = now_us();
		int k;

		/* Everyone has seen v: each is in, or on its way into, a wait. */
		for (k = 0; k < CH_WAITERS; k++) {
			while (__atomic_load_n(&c->seen[k], __ATOMIC_SEQ_CST) != v &&
			       now_us() - t0 < RF_HANG_MS * 1000u)
				sched_yield();
			if (__atomic_load_n(&c->seen[k], __ATOMIC_SEQ_CST) != v)
				ADD(s, errors, 1);
		}
		if (time_up(s, ADD(s, rounds, 1) + 1)) {
			__atomic_store_n(&c->w.done, 1, __ATOMIC_RELEASE);
			change_and_wake(s, &c->w, v, INT32_MAX);
			break;
		}
		spin_us(&seed);
		change_and_wake(s, &c->w, v, INT32_MAX);
		v++;
	}
	return NULL;
}

/* + RF_HANG_MS + TIMEOUT_MS < the harness's timeout (rf_test.h) */
#undef RUN_MS_DEFAULT
#define RUN_MS_DEFAULT	20000
#define CH_ROUNDS	1000
TEST(changer_races_wait_entry)
{
	struct stats s = { .fd = rf_open(),
			   .log_lock = PTHREAD_MUTEX_INITIALIZER };
	struct chword *c;
	struct ch_arg a[NCHANGERS][CH_WAITERS];
	pthread_t th[NCHANGERS][CH_WAITERS + 1];
	int i, k;

	ASSERT_LE(0, s.fd);
	/* Shared memory for all; odd words waited on as shared. */
	c = mmap(NULL, NCHANGERS * sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	memset(c, 0, NCHANGERS * sizeof(*c));
	run_for(&s, run_ms(), CH_ROUNDS);
	for (i = 0; i < NCHANGERS; i++) {
		c[i].s = &s;
		c[i].w.flags = i % 2 ? RF_WAIT_SHARED : 0;
		for (k = 0; k < CH_WAITERS; k++) {
			c[i].seen[k] = UINT32_MAX;
			a[i][k] = (struct ch_arg){ .c = &c[i], .k = k };
			ASSERT_EQ(0, pthread_create(&th[i][k], NULL, ch_waiter,
						    &a[i][k]));
		}
		ASSERT_EQ(0, pthread_create(&th[i][CH_WAITERS], NULL,
					    ch_changer, &c[i]));
	}
	for (i = 0; i < NCHANGERS; i++)
		for (k = 0; k <= CH_WAITERS; k++)
			pthread_join(th[i][k], NULL);
	report(_metadata, &s, "changer");
	EXPECT_EQ(0, s.errors);
	EXPECT_EQ(0, s.lost);
	EXPECT_LE(CH_ROUNDS, s.rounds);
	munmap(c, NCHANGERS * sizeof(*c));
	close(s.fd);
}

TEST_HARNESS_MAIN
