// SPDX-License-Identifier: GPL-2.0
/*
 * rf_mutex_* against glibc's robust pthread mutexes.  Each table case runs
 * the same steps through both and requires the same, expected, result at
 * every step.  Then what a table cannot say: death of a process holding a
 * shared mutex, contention, the WAITERS rule of the protocol, the list the
 * library registers, fork, thread exit.
 */
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include "rf_head.h"
#include <robustfutex.h>

/* ---- the two implementations behind one interface ---- */

enum { T_NORMAL, T_RECURSIVE, T_ERRORCHECK };

struct impl {
	const char *name;
	int (*init)(void *m, int type, bool pshared);
	int (*lock)(void *m);
	int (*trylock)(void *m);
	int (*timedlock)(void *m, const struct timespec *ts);
	int (*clocklock)(void *m, clockid_t clk, const struct timespec *ts);
	int (*unlock)(void *m);
	int (*consistent)(void *m);
	int (*destroy)(void *m);
};

static int rf_init_(void *m, int type, bool pshared)
{
	static const int types[] = { RF_MUTEX_NORMAL, RF_MUTEX_RECURSIVE,
				     RF_MUTEX_ERRORCHECK };
	rf_mutexattr_t a;
	int r;

	rf_mutexattr_init(&a);
	r = rf_mutexattr_settype(&a, types[type]) ?:
	    rf_mutexattr_setpshared(&a, pshared ? RF_PROCESS_SHARED :
						  RF_PROCESS_PRIVATE) ?:
	    rf_mutexattr_setrobust(&a, RF_MUTEX_ROBUST) ?:
	    rf_mutex_init(m, &a);
	rf_mutexattr_destroy(&a);
	return r;
}

static int pt_init_(void *m, int type, bool pshared)
{
	static const int types[] = { PTHREAD_MUTEX_NORMAL,
				     PTHREAD_MUTEX_RECURSIVE,
				     PTHREAD_MUTEX_ERRORCHECK };
	pthread_mutexattr_t a;
	int r;

	pthread_mutexattr_init(&a);
	r = pthread_mutexattr_settype(&a, types[type]) ?:
	    pthread_mutexattr_setpshared(&a, pshared ? PTHREAD_PROCESS_SHARED :
						       PTHREAD_PROCESS_PRIVATE) ?:
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) ?:
	    pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return r;
}

#define WRAP(impl, fn, type) \
	static int impl##_##fn##_(void *m) { return impl##_mutex_##fn((type *)m); }
WRAP(rf, lock, rf_mutex_t)
WRAP(rf, trylock, rf_mutex_t)
WRAP(rf, unlock, rf_mutex_t)
WRAP(rf, consistent, rf_mutex_t)
WRAP(rf, destroy, rf_mutex_t)
WRAP(pthread, lock, pthread_mutex_t)
WRAP(pthread, trylock, pthread_mutex_t)
WRAP(pthread, unlock, pthread_mutex_t)
WRAP(pthread, consistent, pthread_mutex_t)
WRAP(pthread, destroy, pthread_mutex_t)

static int rf_timedlock_(void *m, const struct timespec *ts)
{
	return rf_mutex_timedlock(m, ts);
}

static int rf_clocklock_(void *m, clockid_t clk, const struct timespec *ts)
{
	return rf_mutex_clocklock(m, clk, ts);
}

static int pthread_timedlock_(void *m, const struct timespec *ts)
{
	return pthread_mutex_timedlock(m, ts);
}

static int pthread_clocklock_(void *m, clockid_t clk,
			      const struct timespec *ts)
{
	return pthread_mutex_clocklock(m, clk, ts);
}

static const struct impl impls[] = {
	{ "rf_mutex", rf_init_, rf_lock_, rf_trylock_, rf_timedlock_,
	  rf_clocklock_, rf_unlock_, rf_consistent_, rf_destroy_ },
	{ "pthread_mutex", pt_init_, pthread_lock_, pthread_trylock_,
	  pthread_timedlock_, pthread_clocklock_, pthread_unlock_,
	  pthread_consistent_, pthread_destroy_ },
};
#define NIMPL	2

/* Room for either kind of mutex. */
union anymutex {
	rf_mutex_t rf;
	pthread_mutex_t pt;
};

/* ---- steps ---- */

enum op {
	END, LOCK, TRYLOCK, TIMED_RT, CLOCK_RT, CLOCK_MONO, TIMED_BADNSEC,
	CLOCK_BADCLK, UNLOCK, CONSISTENT, DESTROY,
	DIE_HOLDING,		/* a new thread locks and exits */
	DIE_HOLDING2,		/* ... locks twice (recursive) */
};
static const char *const op_names[] = {
	"end", "lock", "trylock", "timedlock(REALTIME)",
	"clocklock(REALTIME)", "clocklock(MONOTONIC)",
	"timedlock(tv_nsec=1e9)", "clocklock(CPUTIME)", "unlock", "consistent",
	"destroy", "lock+exit", "lock*2+exit",
};
enum who { MAIN, OTHER };

#define TIMING_BAD	1000	/* ETIMEDOUT before the deadline, or a hang */
#define DEADLINE_MS	100

struct step {
	enum op op;
	enum who who;
	int expect;
};

static const char *errname(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ 0, "0" }, { EBUSY, "EBUSY" }, { EDEADLK, "EDEADLK" },
		{ EPERM, "EPERM" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EINVAL, "EINVAL" }, { EOWNERDEAD, "EOWNERDEAD" },
		{ ENOTRECOVERABLE, "ENOTRECOVERABLE" }, { EAGAIN, "EAGAIN" },
		{ ENODEV, "ENODEV" }, { TIMING_BAD, "ETIMEDOUT(bad timing)" },
	};
	static char buf[16];
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec deadline(clockid_t clk, int ms)
{
	long long t = now_ns(clk) + ms * 1000000LL;

	return (struct timespec){ t / 1000000000LL, t % 1000000000LL };
}

/*
 * A timed lock; ETIMEDOUT must not come before the deadline.  How late it
 * comes is the machine's business; RF_HANG_MS past it can only be a
 * deadline misread (the wrong clock, relative for absolute): a hang.
 */
static int timed(const struct impl *im, void *m, int kind, clockid_t clk)
{
	/* t0 first: a delay between the two must not shorten dt. */
	long long t0 = now_ns(CLOCK_MONOTONIC), dt;
	struct timespec ts = deadline(clk, DEADLINE_MS);
	int r;

	r = kind ? im->clocklock(m, clk, &ts) : im->timedlock(m, &ts);
	dt = now_ns(CLOCK_MONOTONIC) - t0;
	if (r == ETIMEDOUT &&
	    (dt < (DEADLINE_MS - 5) * 1000000LL ||
	     dt > (DEADLINE_MS + RF_HANG_MS) * 1000000LL))
		return TIMING_BAD;
	return r;
}

static int do_op(const struct impl *im, void *m, enum op op)
{
	struct timespec bad;
	int r;

	switch (op) {
	case LOCK:		return im->lock(m);
	case TRYLOCK:		return im->trylock(m);
	case TIMED_RT:		return timed(im, m, 0, CLOCK_REALTIME);
	case CLOCK_RT:		return timed(im, m, 1, CLOCK_REALTIME);
	case CLOCK_MONO:	return timed(im, m, 1, CLOCK_MONOTONIC);
	case TIMED_BADNSEC:
		bad = deadline(CLOCK_REALTIME, DEADLINE_MS);
		bad.tv_nsec = 1000000000;
		return im->timedlock(m, &bad);
	case CLOCK_BADCLK:
		bad = deadline(CLOCK_REALTIME, DEADLINE_MS);
		return im->clocklock(m, CLOCK_PROCESS_CPUTIME_ID, &bad);
	case UNLOCK:		return im->unlock(m);
	case CONSISTENT:	return im->consistent(m);
	case DESTROY:		return im->destroy(m);
	case DIE_HOLDING:
	case DIE_HOLDING2:
		r = im->lock(m);
		if (op == DIE_HOLDING2 && (r == 0 || r == EOWNERDEAD))
			im->lock(m);
		/*
		 * The thread returns (other_thread), which is pthread_exit();
		 * calling that in a static binary needs libgcc_s, which the
		 * VM does not have.
		 */
		return r;
	case END:
		break;
	}
	return -1;
}

struct call {
	const struct impl *im;
	void *m;
	enum op op;
	int res;
};

static void *other_thread(void *p)
{
	struct call *c = p;

	c->res = do_op(c->im, c->m, c->op);
	return (void *)(intptr_t)c->res;
}

static int run_step(const struct impl *im, void *m, const struct step *s)
{
	struct call c = { im, m, s->op, -1 };
	pthread_t th;
	void *ret;

	if (s->who == MAIN && s->op != DIE_HOLDING && s->op != DIE_HOLDING2)
		return do_op(im, m, s->op);
	if (pthread_create(&th, NULL, other_thread, &c))
		return -1;
	pthread_join(th, &ret);
	return (int)(intptr_t)ret;
}

/* ---- the table ---- */

#define MAXSTEPS 12

FIXTURE(cmp) {
	union anymutex *m[NIMPL];
};

FIXTURE_VARIANT(cmp) {
	int type;
	bool pshared;
	struct step steps[MAXSTEPS];
};

FIXTURE_SETUP(cmp)
{
	int i;

	for (i = 0; i < NIMPL; i++) {
		self->m[i] = mmap(NULL, sizeof(union anymutex),
				  PROT_READ | PROT_WRITE,
				  (variant->pshared ? MAP_SHARED : MAP_PRIVATE) |
				  MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->m[i]);
		ASSERT_EQ(0, impls[i].init(self->m[i], variant->type,
					   variant->pshared));
	}
}

FIXTURE_TEARDOWN(cmp)
{
	int i;

	for (i = 0; i < NIMPL; i++)
		munmap(self->m[i], sizeof(union anymutex));
}

FIXTURE_VARIANT_ADD(cmp, normal_lock_unlock) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ TRYLOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ DESTROY, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, trylock_held) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { TRYLOCK, OTHER, EBUSY },
		{ TRYLOCK, MAIN, EBUSY }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, trylock_held_shared) {
	.type = T_NORMAL, .pshared = true, .steps = {
		{ LOCK, MAIN, 0 }, { TRYLOCK, OTHER, EBUSY },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, errorcheck_relock) {
	.type = T_ERRORCHECK, .steps = {
		{ LOCK, MAIN, 0 }, { LOCK, MAIN, EDEADLK },
		{ TRYLOCK, MAIN, EDEADLK }, { TRYLOCK, OTHER, EBUSY },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, recursive) {
	.type = T_RECURSIVE, .steps = {
		{ LOCK, MAIN, 0 }, { LOCK, MAIN, 0 }, { TRYLOCK, MAIN, 0 },
		{ TRYLOCK, OTHER, EBUSY }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, 0 }, { TRYLOCK, OTHER, EBUSY },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, unlock_not_owner_normal) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { UNLOCK, OTHER, EPERM },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, unlock_not_owner_errorcheck) {
	.type = T_ERRORCHECK, .steps = {
		{ LOCK, MAIN, 0 }, { UNLOCK, OTHER, EPERM },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, unlock_not_owner_recursive) {
	.type = T_RECURSIVE, .steps = {
		{ LOCK, MAIN, 0 }, { LOCK, MAIN, 0 }, { UNLOCK, OTHER, EPERM },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, EPERM },
	} };

FIXTURE_VARIANT_ADD(cmp, timedlock_realtime) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { TIMED_RT, OTHER, ETIMEDOUT },
		{ UNLOCK, MAIN, 0 }, { TIMED_RT, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, clocklock_realtime) {
	.type = T_ERRORCHECK, .steps = {
		{ LOCK, MAIN, 0 }, { CLOCK_RT, OTHER, ETIMEDOUT },
		{ UNLOCK, MAIN, 0 }, { CLOCK_RT, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, clocklock_monotonic) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { CLOCK_MONO, OTHER, ETIMEDOUT },
		{ UNLOCK, MAIN, 0 }, { CLOCK_MONO, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, clocklock_monotonic_shared) {
	.type = T_RECURSIVE, .pshared = true, .steps = {
		{ LOCK, MAIN, 0 }, { CLOCK_MONO, OTHER, ETIMEDOUT },
		{ CLOCK_MONO, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

/* tv_nsec is checked only when the caller would block; clock always. */
FIXTURE_VARIANT_ADD(cmp, timed_bad_args) {
	.type = T_NORMAL, .steps = {
		{ LOCK, MAIN, 0 }, { TIMED_BADNSEC, OTHER, EINVAL },
		{ CLOCK_BADCLK, OTHER, EINVAL }, { UNLOCK, MAIN, 0 },
		{ CLOCK_BADCLK, MAIN, EINVAL }, { TIMED_BADNSEC, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_shared) {
	.type = T_ERRORCHECK, .pshared = true, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ LOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_trylock) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { TRYLOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_timedlock) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { TIMED_RT, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { UNLOCK, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, owner_exits_recursive) {
	.type = T_RECURSIVE, .steps = {
		{ DIE_HOLDING2, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { LOCK, MAIN, 0 },
		{ UNLOCK, MAIN, 0 }, { UNLOCK, MAIN, 0 },
		{ UNLOCK, MAIN, EPERM },
	} };

/* Dying again before consistent(): the next owner is told again. */
FIXTURE_VARIANT_ADD(cmp, owner_exits_inconsistent) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { DIE_HOLDING, OTHER, EOWNERDEAD },
		{ LOCK, MAIN, EOWNERDEAD }, { CONSISTENT, MAIN, 0 },
		{ UNLOCK, MAIN, 0 },
	} };

/*
 * glibc's trylock of a not-recoverable mutex returns ENOTRECOVERABLE but
 * leaves the lock word taken (it tests "oldval == id" after a CAS from 0),
 * so trylock comes last here (not_recoverable_word checks rf_mutex alone).
 */
FIXTURE_VARIANT_ADD(cmp, not_recoverable) {
	.type = T_NORMAL, .steps = {
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ UNLOCK, MAIN, 0 }, { LOCK, MAIN, ENOTRECOVERABLE },
		{ TIMED_RT, OTHER, ENOTRECOVERABLE },
		{ LOCK, OTHER, ENOTRECOVERABLE },
		{ UNLOCK, MAIN, EPERM }, { CONSISTENT, MAIN, EINVAL },
		{ TRYLOCK, MAIN, ENOTRECOVERABLE }, { DESTROY, MAIN, 0 },
	} };

FIXTURE_VARIANT_ADD(cmp, not_recoverable_shared_recursive) {
	.type = T_RECURSIVE, .pshared = true, .steps = {
		{ DIE_HOLDING2, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ UNLOCK, MAIN, 0 }, { LOCK, OTHER, ENOTRECOVERABLE },
		{ LOCK, MAIN, ENOTRECOVERABLE },
	} };

FIXTURE_VARIANT_ADD(cmp, consistent_when_consistent) {
	.type = T_NORMAL, .steps = {
		{ CONSISTENT, MAIN, EINVAL }, { LOCK, MAIN, 0 },
		{ CONSISTENT, MAIN, EINVAL }, { UNLOCK, MAIN, 0 },
		{ DIE_HOLDING, OTHER, 0 }, { LOCK, MAIN, EOWNERDEAD },
		{ CONSISTENT, MAIN, 0 }, { CONSISTENT, MAIN, EINVAL },
		{ UNLOCK, MAIN, 0 },
	} };

TEST_F(cmp, same_as_glibc)
{
	int res[NIMPL][MAXSTEPS];
	int i, s;

	for (i = 0; i < NIMPL; i++)
		for (s = 0; s < MAXSTEPS && variant->steps[s].op != END; s++)
			res[i][s] = run_step(&impls[i], self->m[i],
					     &variant->steps[s]);
	for (s = 0; s < MAXSTEPS && variant->steps[s].op != END; s++) {
		const struct step *st = &variant->steps[s];
		const char *who = st->who == MAIN ? "main" : "other thread";

		EXPECT_EQ(res[1][s], res[0][s])
			TH_LOG("step %d, %s %s: rf_mutex %s, pthread_mutex %s",
			       s, who, op_names[st->op], errname(res[0][s]),
			       errname(res[1][s]));
		EXPECT_EQ(st->expect, res[0][s])
			TH_LOG("step %d, %s %s: rf_mutex gave %s, expected %s",
			       s, who, op_names[st->op], errname(res[0][s]),
			       errname(st->expect));
		EXPECT_EQ(st->expect, res[1][s])
			TH_LOG("step %d, %s %s: pthread_mutex gave %s, expected %s",
			       s, who, op_names[st->op], errname(res[1][s]),
			       errname(st->expect));
	}
}

/* ---- helpers for the tests below ---- */

/* State letter of a thread (/proc/PID/task/TID/stat), or 0. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 0;
	return p[2];
}

/* Wait until a thread sleeps (it is blocked in the module); false if not. */
static bool wait_sleeping(pid_t pid, pid_t tid)
{
	return RF_UNTIL(thread_state(pid, tid) == 'S', 5000);
}

static uint32_t word_of(const void *m)
{
	/* Both keep the futex word first. */
	return __atomic_load_n((const uint32_t *)m, __ATOMIC_RELAXED);
}

struct waiter {
	const struct impl *im;
	void *m;
	pid_t tid;
	uint32_t owner;		/* what its lock puts in the owner field */
	int res;
	uint32_t word;		/* the word just after the lock was taken */
	bool unlock;
};

static void *waiter_fn(void *p)
{
	struct waiter *w = p;

	/* rf_mutex words hold owner IDs, glibc's hold TIDs. */
	w->owner = w->im == &impls[0] ? (uint32_t)rf_owner_id() : rf_gettid();
	__atomic_store_n(&w->tid, rf_gettid(), __ATOMIC_RELEASE);
	w->res = w->im->lock(w->m);
	w->word = word_of(w->m);
	if (w->res == EOWNERDEAD)
		w->im->consistent(w->m);
	if (w->unlock && (w->res == 0 || w->res == EOWNERDEAD))
		w->im->unlock(w->m);
	return NULL;
}

static pid_t waiter_tid(struct waiter *w)
{
	pid_t t;

	while (!(t = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	return t;
}

/* ---- a process killed holding a shared mutex ---- */

static void *map_shared(bool use_memfd)
{
	void *p;
	int fd = -1;

	if (use_memfd) {
		fd = memfd_create("rf_mutex", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 4096))
			return MAP_FAILED;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (use_memfd ? 0 : MAP_ANONYMOUS), fd, 0);
	if (fd >= 0)
		close(fd);
	return p;
}

static void sigkill_holder(struct __test_metadata *_metadata, bool use_memfd)
{
	int i;

	for (i = 0; i < NIMPL; i++) {
		const struct impl *im = &impls[i];
		struct waiter w = { .im = im, .unlock = true };
		pthread_t th;
		int pipefd[2], status;
		pid_t pid;
		char c;
		void *m = map_shared(use_memfd);

		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, im->init(m, T_NORMAL, true));
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			c = im->lock(m) == 0 ? 'y' : 'n';
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		ASSERT_EQ('y', c);
		/* One waiter blocked in the lock when the holder dies ... */
		w.m = m;
		ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
		EXPECT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(EOWNERDEAD, w.res) TH_LOG("%s: waiter got %s",
						    im->name, errname(w.res));
		/* ... and one that comes later. */
		m = map_shared(use_memfd);
		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, im->init(m, T_NORMAL, true));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			c = im->lock(m) == 0 ? 'y' : 'n';
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		ASSERT_EQ('y', c);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(EOWNERDEAD, im->lock(m)) TH_LOG("%s", im->name);
		EXPECT_EQ(0, im->consistent(m));
		EXPECT_EQ(0, im->unlock(m));
		EXPECT_EQ(0, im->lock(m));
		EXPECT_EQ(0, im->unlock(m));
		close(pipefd[0]);
		close(pipefd[1]);
	}
}

TEST(sigkill_holder_shared_anon)
{
	sigkill_holder(_metadata, false);
}

TEST(sigkill_holder_memfd)
{
	sigkill_holder(_metadata, true);
}

/* ---- the protocol's rule: a thread that slept locks with WAITERS ---- */

TEST(slept_thread_keeps_waiters)
{
	const struct impl *im = &impls[0];
	struct waiter w[2] = {
		{ .im = im, .unlock = true }, { .im = im, .unlock = true },
	};
	rf_mutex_t m;
	pthread_t th[2];
	int i;

	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ((uint32_t)rf_owner_id(), rf_mutex_word(&m));
	for (i = 0; i < 2; i++) {
		w[i].m = &m;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, waiter_fn, &w[i]));
		ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w[i])));
	}
	EXPECT_EQ(RF_FUTEX_WAITERS | rf_owner_id(), rf_mutex_word(&m));
	ASSERT_EQ(0, rf_mutex_unlock(&m));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	/*
	 * The module wakes in FIFO order: the first waiter took the lock
	 * while the second still slept, and must have kept WAITERS set, or
	 * its unlock would not have woken the second (which then would
	 * never have returned).
	 */
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, w[i].res);
	EXPECT_EQ(RF_FUTEX_WAITERS | w[0].owner, w[0].word);
	EXPECT_EQ(w[1].owner, w[1].word & RF_OWNER_MASK);
	EXPECT_EQ(0, rf_mutex_word(&m));
}

/* ---- the word and the list the library keeps ---- */


TEST(uncontended_word_and_list)
{
	rf_mutex_t a = RF_MUTEX_INITIALIZER, b = RF_MUTEX_INITIALIZER;
	rf_mutexattr_t at;
	struct head_view *h;
	uint32_t tid = rf_owner_id();

	ASSERT_EQ(0, rf_mutex_lock(&a));
	EXPECT_EQ(tid, rf_mutex_word(&a));
	EXPECT_EQ(tid, *(uint32_t *)&a);
	h = my_intent_head();
	ASSERT_NE(NULL, h);
	/* Documented layout: futex word first, node after glibc's __kind. */
	EXPECT_EQ(-RF_NODE_OFFSET, h->futex_offset);
	EXPECT_EQ((char *)&a + RF_NODE_OFFSET, h->next);
	EXPECT_EQ(NULL, h->pending);
	ASSERT_EQ(0, rf_mutex_lock(&b));
	EXPECT_EQ((char *)&b + RF_NODE_OFFSET, h->next);
	EXPECT_EQ((char *)&a + RF_NODE_OFFSET, *(void **)h->next);
	EXPECT_EQ(h, *(void **)((char *)&a + RF_NODE_OFFSET));
	/* Out of order unlock keeps the list whole. */
	EXPECT_EQ(0, rf_mutex_unlock(&a));
	EXPECT_EQ(0, rf_mutex_word(&a));
	EXPECT_EQ((char *)&b + RF_NODE_OFFSET, h->next);
	EXPECT_EQ(h, *(void **)h->next);
	EXPECT_EQ(0, rf_mutex_unlock(&b));
	EXPECT_EQ(h, h->next);
	EXPECT_EQ(NULL, h->pending);

	/* A stalled mutex never goes on the list. */
	rf_mutexattr_init(&at);
	rf_mutexattr_setrobust(&at, RF_MUTEX_STALLED);
	ASSERT_EQ(0, rf_mutex_init(&a, &at));
	ASSERT_EQ(0, rf_mutex_lock(&a));
	EXPECT_EQ(tid, rf_mutex_word(&a));
	EXPECT_EQ(h, h->next);
	EXPECT_EQ(EINVAL, rf_mutex_consistent(&a));
	EXPECT_EQ(0, rf_mutex_unlock(&a));
}

TEST(attributes)
{
	rf_mutexattr_t a;
	int v;

	ASSERT_EQ(0, rf_mutexattr_init(&a));
	EXPECT_EQ(0, rf_mutexattr_gettype(&a, &v));
	EXPECT_EQ(RF_MUTEX_DEFAULT, v);
	EXPECT_EQ(0, rf_mutexattr_getpshared(&a, &v));
	EXPECT_EQ(RF_PROCESS_PRIVATE, v);
	EXPECT_EQ(0, rf_mutexattr_getrobust(&a, &v));
	EXPECT_EQ(RF_MUTEX_ROBUST, v);
	EXPECT_EQ(EINVAL, rf_mutexattr_settype(&a, 7));
	EXPECT_EQ(EINVAL, rf_mutexattr_setpshared(&a, 2));
	EXPECT_EQ(EINVAL, rf_mutexattr_setrobust(&a, -1));
	EXPECT_EQ(0, rf_mutexattr_settype(&a, RF_MUTEX_ERRORCHECK));
	EXPECT_EQ(0, rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED));
	EXPECT_EQ(0, rf_mutexattr_setrobust(&a, RF_MUTEX_STALLED));
	EXPECT_EQ(0, rf_mutexattr_gettype(&a, &v));
	EXPECT_EQ(RF_MUTEX_ERRORCHECK, v);
	EXPECT_EQ(0, rf_mutexattr_getpshared(&a, &v));
	EXPECT_EQ(RF_PROCESS_SHARED, v);
	EXPECT_EQ(0, rf_mutexattr_getrobust(&a, &v));
	EXPECT_EQ(RF_MUTEX_STALLED, v);
	EXPECT_EQ(0, rf_mutexattr_destroy(&a));
}

TEST(destroy_and_invalid)
{
	rf_mutex_t m;
	struct timespec ts = { 0, 0 };

	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ(EBUSY, rf_mutex_destroy(&m));
	ASSERT_EQ(0, rf_mutex_unlock(&m));
	EXPECT_EQ(0, rf_mutex_destroy(&m));
	EXPECT_EQ(EINVAL, rf_mutex_lock(&m));
	EXPECT_EQ(EINVAL, rf_mutex_trylock(&m));
	EXPECT_EQ(EINVAL, rf_mutex_unlock(&m));
	EXPECT_EQ(EINVAL, rf_mutex_destroy(&m));
	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	EXPECT_EQ(EINVAL, rf_mutex_timedlock(&m, NULL));
	EXPECT_EQ(EINVAL, rf_mutex_clocklock(&m, CLOCK_MONOTONIC, NULL));
	/* A deadline in the past on a free mutex: locked, as in glibc. */
	EXPECT_EQ(0, rf_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));
	EXPECT_EQ(0, rf_mutex_unlock(&m));
}

TEST(recursion_overflow)
{
	rf_mutexattr_t a;
	rf_mutex_t m;
	uint32_t *count = (uint32_t *)&m + 1;	/* documented layout */

	rf_mutexattr_init(&a);
	rf_mutexattr_settype(&a, RF_MUTEX_RECURSIVE);
	ASSERT_EQ(0, rf_mutex_init(&m, &a));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ(2, *count);
	*count = UINT32_MAX;
	EXPECT_EQ(EAGAIN, rf_mutex_lock(&m));
	EXPECT_EQ(EAGAIN, rf_mutex_trylock(&m));
	*count = 1;
	EXPECT_EQ(0, rf_mutex_unlock(&m));
	EXPECT_EQ(0, rf_mutex_word(&m));
}

TEST(not_recoverable_word)
{
	struct waiter w = { .im = &impls[0] };
	rf_mutex_t m;
	pthread_t th;
	struct step die = { DIE_HOLDING, OTHER, 0 };
	struct timespec ts = { 0, 0 };

	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	ASSERT_EQ(0, run_step(&impls[0], &m, &die));
	/*
	 * A thread that exits (rather than being killed) drops its list in
	 * its key destructor; the word keeps its dead owner's ID until the
	 * next locker has the module mark it.
	 */
	EXPECT_NE(0, rf_mutex_word(&m) & RF_OWNER_MASK);
	ASSERT_EQ(EOWNERDEAD, rf_mutex_lock(&m));
	/* A waiter asleep when it becomes unrecoverable is told so. */
	w.m = &m;
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
	ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
	ASSERT_EQ(0, rf_mutex_unlock(&m));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(ENOTRECOVERABLE, w.res);
	EXPECT_EQ(RF_MUTEX_NOTRECOVERABLE_WORD, rf_mutex_word(&m));
	/* Unlike glibc's, this trylock leaves the word alone. */
	EXPECT_EQ(ENOTRECOVERABLE, rf_mutex_trylock(&m));
	EXPECT_EQ(RF_MUTEX_NOTRECOVERABLE_WORD, rf_mutex_word(&m));
	EXPECT_EQ(EPERM, rf_mutex_unlock(&m));
	EXPECT_EQ(ENOTRECOVERABLE, rf_mutex_timedlock(&m, &ts));
	EXPECT_EQ(0, rf_mutex_destroy(&m));
	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	EXPECT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ(0, rf_mutex_unlock(&m));
}

/* ---- a holder killed in the middle of its unlock ---- */

/*
 * The child locks a shared mutex, then does the first steps of
 * rf_mutex_unlock() by hand (pending = node|UNLOCK, fetch_or RELEASING,
 * and for "dequeued" the dequeue) and is killed there.  The module must
 * not write the word (it may be reused memory), yet the waiters must get
 * the lock: as 0, not EOWNERDEAD, since the owner had finished with it.
 */
FIXTURE(mid_unlock) {
	rf_mutex_t *m;
};

FIXTURE_VARIANT(mid_unlock) {
	bool dequeued;
	bool waiter_first;
};

FIXTURE_VARIANT_ADD(mid_unlock, after_intent) {
	.dequeued = false, .waiter_first = false,
};
FIXTURE_VARIANT_ADD(mid_unlock, after_intent_waiter_asleep) {
	.dequeued = false, .waiter_first = true,
};
FIXTURE_VARIANT_ADD(mid_unlock, after_dequeue) {
	.dequeued = true, .waiter_first = false,
};
FIXTURE_VARIANT_ADD(mid_unlock, after_dequeue_waiter_asleep) {
	.dequeued = true, .waiter_first = true,
};

FIXTURE_SETUP(mid_unlock)
{
	rf_mutexattr_t a;

	self->m = map_shared(false);
	ASSERT_NE(MAP_FAILED, self->m);
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	ASSERT_EQ(0, rf_mutex_init(self->m, &a));
}

FIXTURE_TEARDOWN(mid_unlock)
{
	munmap(self->m, 4096);
}

TEST_F(mid_unlock, waiters_get_it)
{
	struct waiter w = { .im = &impls[0], .m = self->m, .unlock = true };
	int up[2], down[2], status;
	pthread_t th;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct head_view *h;
		char *node = (char *)self->m + RF_NODE_OFFSET;

		c = rf_mutex_lock(self->m) == 0 ? 'y' : 'n';
		*(uint32_t *)((char *)self->m + 64) = rf_owner_id();
		h = my_intent_head();
		if (!h || h->next != node)
			c = 'n';
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(1);
		h->pending = node + RF_PENDING_UNLOCK;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		__atomic_fetch_or((uint32_t *)self->m, RF_RELEASING,
				  __ATOMIC_SEQ_CST);
		if (variant->dequeued)
			h->next = (void *)h;	/* it was the only entry */
		c = 'y';
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(up[0], &c, 1));
	ASSERT_EQ('y', c);
	if (variant->waiter_first) {
		ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, &w));
		ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
	}
	ASSERT_EQ(1, write(down[1], &c, 1));
	ASSERT_EQ(1, read(up[0], &c, 1));
	EXPECT_EQ(*(uint32_t *)((char *)self->m + 64) | RF_RELEASING,
		  rf_mutex_word(self->m) & ~RF_FUTEX_WAITERS);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (variant->waiter_first) {
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(0, w.res) TH_LOG("waiter got %s", errname(w.res));
		EXPECT_EQ(RF_FUTEX_WAITERS | w.owner, w.word);
	}
	EXPECT_EQ(0, rf_mutex_lock(self->m));
	EXPECT_EQ((uint32_t)rf_owner_id(),
		  rf_mutex_word(self->m) & RF_OWNER_MASK);
	EXPECT_EQ(EINVAL, rf_mutex_consistent(self->m));
	EXPECT_EQ(0, rf_mutex_unlock(self->m));
	EXPECT_EQ(0, rf_mutex_word(self->m));
	close(up[0]); close(up[1]); close(down[0]); close(down[1]);
}

/* ---- fork and thread exit ---- */

/* The child registers its own list (fork does not inherit it). */
TEST(fork_child_registers_again)
{
	rf_mutexattr_t a;
	rf_mutex_t *m;
	int status;
	pid_t pid;

	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	ASSERT_EQ(0, rf_mutex_init(m, &a));
	ASSERT_EQ(0, rf_mutex_lock(m));		/* parent registered */
	ASSERT_EQ(0, rf_mutex_unlock(m));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (rf_mutex_lock(m))
			_exit(1);
		if (rf_mutex_word(m) != (uint32_t)rf_owner_id())
			_exit(2);
		_exit(0);		/* dies holding it */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(RF_FUTEX_OWNER_DIED, rf_mutex_word(m));
	EXPECT_EQ(EOWNERDEAD, rf_mutex_trylock(m));
	EXPECT_EQ(0, rf_mutex_consistent(m));
	EXPECT_EQ(0, rf_mutex_unlock(m));
}

static void *lock_unlock_fn(void *p)
{
	rf_mutex_t *m = p;

	if (rf_mutex_lock(m) || rf_mutex_unlock(m))
		return (void *)1;
	return NULL;
}

/* An exiting thread drops its registration itself (its TLS is reused). */
TEST(thread_exit_unregisters)
{
	rf_mutex_t m = RF_MUTEX_INITIALIZER;
	struct rf_info info;
	unsigned int before;
	pthread_t th;
	void *ret;
	int i;

	ASSERT_EQ(0, rf_info(&info));
	EXPECT_EQ(RF_ABI_VERSION, info.abi_version);
	before = info.nr_threads;
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_create(&th, NULL, lock_unlock_fn, &m));
		ASSERT_EQ(0, pthread_join(th, &ret));
		EXPECT_EQ(NULL, ret);
	}
	/* The module frees registrations after an RCU grace period. */
	RF_UNTIL(rf_info(&info) || info.nr_threads <= before, 10000);
	ASSERT_EQ(0, rf_info(&info));
	EXPECT_GE(before, info.nr_threads)
		TH_LOG("%u registrations still there after %d s", info.nr_threads,
		       RF_HANG_MS / 1000);
}

struct holder {
	rf_mutex_t m1, m2;
	pthread_key_t key;
	sem_t ready, go;
	int res;
};

static void unlock_in_destructor(void *p)
{
	struct holder *h = p;

	h->res = rf_mutex_unlock(&h->m1);
}

static void *holder_fn(void *p)
{
	struct holder *h = p;

	if (rf_mutex_lock(&h->m1) || rf_mutex_lock(&h->m2))
		return (void *)1;
	pthread_setspecific(h->key, h);
	sem_post(&h->ready);
	sem_wait(&h->go);
	return NULL;
}

/*
 * A thread exits holding m2, with a waiter asleep on it, and holding m1,
 * which a destructor that runs after the library's unlocks.  The library
 * waits for the last destructor round before it marks what is still held:
 * m1 is unlocked cleanly, the waiter on m2 gets EOWNERDEAD.
 */
TEST(thread_exit_destructors)
{
	struct holder h = { .m1 = RF_MUTEX_INITIALIZER,
			    .m2 = RF_MUTEX_INITIALIZER };
	struct waiter w = { .im = &impls[0], .m = &h.m2, .unlock = true };
	pthread_t th, wt;
	void *ret;

	/* The library's key first, so its destructor runs first. */
	ASSERT_EQ(0, rf_mutex_lock(&h.m1));
	ASSERT_EQ(0, rf_mutex_unlock(&h.m1));
	ASSERT_EQ(0, pthread_key_create(&h.key, unlock_in_destructor));
	sem_init(&h.ready, 0, 0);
	sem_init(&h.go, 0, 0);
	h.res = -1;
	ASSERT_EQ(0, pthread_create(&th, NULL, holder_fn, &h));
	sem_wait(&h.ready);
	ASSERT_EQ(0, pthread_create(&wt, NULL, waiter_fn, &w));
	ASSERT_TRUE(wait_sleeping(getpid(), waiter_tid(&w)));
	sem_post(&h.go);
	ASSERT_EQ(0, pthread_join(th, &ret));
	EXPECT_EQ(NULL, ret);
	ASSERT_EQ(0, pthread_join(wt, NULL));
	EXPECT_EQ(0, h.res);
	EXPECT_EQ(EOWNERDEAD, w.res);
	EXPECT_EQ(0, rf_mutex_lock(&h.m1));
	EXPECT_EQ(0, rf_mutex_unlock(&h.m1));
	EXPECT_EQ(0, rf_mutex_lock(&h.m2));
	EXPECT_EQ(0, rf_mutex_unlock(&h.m2));
	pthread_key_delete(h.key);
}

/*
 * POSIX does not order key destructors, and a thread that runs them is not
 * yet terminated: while any destructor runs, a mutex the thread still
 * holds is still its own.  glibc's robust mutex is marked OWNER_DIED only
 * by the kernel once the thread is gone.  Same here: a destructor that
 * runs in the last round, after the library's, finds the mutex held and
 * another thread's trylock gets EBUSY; once the thread is gone, trylock
 * and lock get EOWNERDEAD.
 */
struct late {
	const struct impl *im;
	union anymutex m;
	pthread_key_t key;
	sem_t in_dtor, go;
	int rounds, res;
};

static void late_destructor(void *p)
{
	struct late *l = p;

	/* Stay for the last round, after every other key's first. */
	if (++l->rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(l->key, l);
		return;
	}
	sem_post(&l->in_dtor);
	sem_wait(&l->go);
}

static void *late_holder(void *p)
{
	struct late *l = p;

	if (l->im->lock(&l->m))
		return (void *)1;
	pthread_setspecific(l->key, l);
	return NULL;
}

TEST(held_through_late_destructors_like_glibc)
{
	int i;

	for (i = 0; i < NIMPL; i++) {
		struct late l = { .im = &impls[i] };
		rf_mutex_t warm = RF_MUTEX_INITIALIZER;
		pthread_t th;

		/* The library's key exists first: its destructor runs first. */
		ASSERT_EQ(0, rf_mutex_lock(&warm));
		ASSERT_EQ(0, rf_mutex_unlock(&warm));
		ASSERT_EQ(0, l.im->init(&l.m, 0, false));
		ASSERT_EQ(0, pthread_key_create(&l.key, late_destructor));
		sem_init(&l.in_dtor, 0, 0);
		sem_init(&l.go, 0, 0);
		ASSERT_EQ(0, pthread_create(&th, NULL, late_holder, &l));
		sem_wait(&l.in_dtor);
		EXPECT_EQ(EBUSY, l.im->trylock(&l.m))
			TH_LOG("%s: a live thread's lock was taken", l.im->name);
		sem_post(&l.go);
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(EOWNERDEAD, l.im->trylock(&l.m)) TH_LOG("%s", l.im->name);
		EXPECT_EQ(0, l.im->consistent(&l.m));
		EXPECT_EQ(0, l.im->unlock(&l.m));
		EXPECT_EQ(0, l.im->lock(&l.m));
		EXPECT_EQ(0, l.im->unlock(&l.m));
		pthread_key_delete(l.key);
	}
}

/* Raw API argument checks. */
TEST(raw_api)
{
	uint32_t word = 5;
	struct timespec ts = { 0, 1000000000 };
	struct rf_list_desc d;

	EXPECT_EQ(-EAGAIN, rf_futex_wait(&word, 4, 0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EINVAL, rf_futex_wait(&word, 5, 0, CLOCK_MONOTONIC, &ts));
	EXPECT_EQ(-EINVAL, rf_futex_wait(&word, 5, 0, CLOCK_BOOTTIME, &ts));
	EXPECT_EQ(-EINVAL, rf_futex_wait(&word, 5, 0x100, CLOCK_MONOTONIC,
					 NULL));
	ts = deadline(CLOCK_MONOTONIC, 20);
	EXPECT_EQ(-ETIMEDOUT, rf_futex_wait(&word, 5, 0, CLOCK_MONOTONIC,
					    &ts));
	ts = deadline(CLOCK_REALTIME, 20);
	EXPECT_EQ(-ETIMEDOUT, rf_futex_wait(&word, 5, RF_WAIT_SHARED,
					    CLOCK_REALTIME, &ts));
	EXPECT_EQ(0, rf_futex_wake(&word, 1, 0));
	EXPECT_EQ(0, rf_futex_wake(&word, INT_MAX, RF_WAIT_SHARED));
	EXPECT_EQ(-EINVAL, rf_futex_wake(&word, 0, 0));
	EXPECT_EQ(-EINVAL, rf_futex_wake((uint32_t *)((char *)&word + 1), 1,
					 0));
	EXPECT_EQ(-EINVAL, rf_list_register(&word, 48, RF_PROTO_INTENT));
	EXPECT_EQ(-EINVAL, rf_list_set(-1, &word, 64, RF_PROTO_INTENT));
	EXPECT_EQ(-EINVAL, rf_list_get(0, -1, &d));
	EXPECT_EQ(-EINVAL, rf_list_remove(-1));
}

/* Without the module (only on a machine where it is not loaded). */
TEST(module_missing)
{
	char buf[512];
	rf_mutex_t m = RF_MUTEX_INITIALIZER;
	ssize_t n;
	int fd, saved;

	if (access(RF_DEVICE_PATH, F_OK) == 0)
		SKIP(return, "%s exists: the module is loaded", RF_DEVICE_PATH);
	unsetenv("RF_QUIET");
	fd = memfd_create("stderr", 0);
	ASSERT_LE(0, fd);
	saved = dup(2);
	dup2(fd, 2);
	EXPECT_EQ(ENODEV, rf_mutex_init(&m, NULL));
	EXPECT_EQ(ENODEV, rf_mutex_lock(&m));
	EXPECT_EQ(-ENODEV, rf_futex_wake((uint32_t *)&m, 1, 0));
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_EQ(0, strcmp(buf, "librobustfutex: /dev/robustfutex: No such file or directory; load the module with 'modprobe robustfutex'\n"))
		TH_LOG("stderr: %s", buf);
}

/*
 * ---- contention ----
 * Last: its main thread never registers, so no registration is still being
 * freed when the program ends (the module drops its own reference from an
 * RCU callback; an rmmod right after the exit could find it still held).
 */

#define NTHREADS	4
#define NITER		20000

struct counter {
	rf_mutex_t m;
	pthread_barrier_t start;
	long count;
	int errors;
};

static void *incr_fn(void *p)
{
	struct counter *c = p;
	int i;

	pthread_barrier_wait(&c->start);
	for (i = 0; i < NITER; i++) {
		if (rf_mutex_lock(&c->m)) {
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		c->count++;
		if (rf_mutex_unlock(&c->m))
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

FIXTURE(contention) {
	struct counter *c;
};

FIXTURE_VARIANT(contention) {
	int robust;
	int pshared;
};

FIXTURE_VARIANT_ADD(contention, robust_private) {
	.robust = RF_MUTEX_ROBUST, .pshared = RF_PROCESS_PRIVATE,
};

FIXTURE_VARIANT_ADD(contention, robust_shared) {
	.robust = RF_MUTEX_ROBUST, .pshared = RF_PROCESS_SHARED,
};

FIXTURE_VARIANT_ADD(contention, stalled_private) {
	.robust = RF_MUTEX_STALLED, .pshared = RF_PROCESS_PRIVATE,
};

FIXTURE_SETUP(contention)
{
	rf_mutexattr_t a;

	self->c = mmap(NULL, sizeof(*self->c), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->c);
	rf_mutexattr_init(&a);
	ASSERT_EQ(0, rf_mutexattr_setrobust(&a, variant->robust));
	ASSERT_EQ(0, rf_mutexattr_setpshared(&a, variant->pshared));
	ASSERT_EQ(0, rf_mutex_init(&self->c->m, &a));
	ASSERT_EQ(0, pthread_barrier_init(&self->c->start, NULL, NTHREADS));
}

FIXTURE_TEARDOWN(contention)
{
	munmap(self->c, sizeof(*self->c));
}

/* 0.04 s on 6.12 under TCG: a bound well below the runner's 300 s. */
TEST_F_TIMEOUT(contention, exact_count, 120)
{
	pthread_t th[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, incr_fn, self->c));
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	EXPECT_EQ(0, self->c->errors);
	EXPECT_EQ((long)NTHREADS * NITER, self->c->count);
	EXPECT_EQ(0, rf_mutex_word(&self->c->m));
	EXPECT_EQ(0, rf_mutex_destroy(&self->c->m));
}

TEST_HARNESS_MAIN
