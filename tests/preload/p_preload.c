// SPDX-License-Identifier: GPL-2.0
/*
 * The pthread preload (librobustfutex-pthread.so) seen from a plain
 * pthread program: robust mutexes private and process-shared, owner
 * death, ENOTRECOVERABLE, the kind glibc rejects (checked by a copy of
 * this program exec'ed without the preload), and condition variables
 * with both kinds of mutex.  Run it with LD_PRELOAD set.
 *
 *	p_preload		the tests (TAP)
 *	p_preload probe FD	(internal) lock the mutex at the start of FD
 *				with plain glibc, exit with what it said
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "p_tap.h"

extern char **environ;

struct shared {
	pthread_mutex_t m;
	pthread_cond_t c;
	int ready;
	int flag;
};

static struct shared *map_shared(int *fdp)
{
	int fd = memfd_create("p_preload", 0);
	struct shared *s;

	if (fd < 0 || ftruncate(fd, 4096))
		abort();
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		abort();
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return s;
}

static void robust_init(pthread_mutex_t *m, int pshared, int type)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&a, pshared);
	pthread_mutexattr_settype(&a, type);
	if (pthread_mutex_init(m, &a))
		abort();
	pthread_mutexattr_destroy(&a);
}

static void cond_init(pthread_cond_t *c, int pshared, clockid_t clk)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setpshared(&a, pshared);
	pthread_condattr_setclock(&a, clk);
	if (pthread_cond_init(c, &a))
		abort();
	pthread_condattr_destroy(&a);
}

/* The kind glibc keeps at __kind, where the preload puts its mark. */
static int marked(pthread_mutex_t *m)
{
	return ((uint32_t)m->__data.__kind & 0xffff0008u) == 0x52460008u;
}

static void *hold_and_exit(void *arg)
{
	return (void *)(intptr_t)pthread_mutex_lock(arg);
}

static void test_private(void)
{
	pthread_mutex_t m, plain = PTHREAD_MUTEX_INITIALIZER;
	pthread_t t;
	void *ret;

	robust_init(&m, PTHREAD_PROCESS_PRIVATE, PTHREAD_MUTEX_NORMAL);
	P_CHECK(marked(&m), "robust private mutex is the preload's");
	P_CHECK(!marked(&plain), "PTHREAD_MUTEX_INITIALIZER stays glibc's");
	P_EQ(0, pthread_mutex_lock(&plain), "glibc mutex lock");
	P_EQ(0, pthread_mutex_unlock(&plain), "glibc mutex unlock");
	P_EQ(0, pthread_mutex_lock(&m), "lock");
	P_EQ(0, pthread_mutex_unlock(&m), "unlock");
	P_EQ(EPERM, pthread_mutex_unlock(&m), "unlock when not held");
	pthread_create(&t, NULL, hold_and_exit, &m);
	pthread_join(t, &ret);
	P_EQ(0, (int)(intptr_t)ret, "a thread locks, then exits");
	P_EQ(EOWNERDEAD, pthread_mutex_lock(&m), "its exit is seen");
	P_EQ(0, pthread_mutex_consistent(&m), "consistent");
	P_EQ(0, pthread_mutex_unlock(&m), "unlock after consistent");
	P_EQ(0, pthread_mutex_trylock(&m), "trylock");
	P_EQ(0, pthread_mutex_unlock(&m), "unlock");
	P_EQ(0, pthread_mutex_destroy(&m), "destroy");
	P_CHECK(!marked(&m), "destroyed: no longer the preload's");

	robust_init(&m, PTHREAD_PROCESS_PRIVATE, PTHREAD_MUTEX_ERRORCHECK);
	P_EQ(0, pthread_mutex_lock(&m), "errorcheck lock");
	P_EQ(EDEADLK, pthread_mutex_lock(&m), "errorcheck relock");
	P_EQ(0, pthread_mutex_unlock(&m), "errorcheck unlock");
	pthread_mutex_destroy(&m);
	robust_init(&m, PTHREAD_PROCESS_PRIVATE, PTHREAD_MUTEX_RECURSIVE);
	P_EQ(0, pthread_mutex_lock(&m), "recursive lock");
	P_EQ(0, pthread_mutex_trylock(&m), "recursive trylock");
	P_EQ(0, pthread_mutex_unlock(&m), "recursive unlock 1");
	P_EQ(0, pthread_mutex_unlock(&m), "recursive unlock 2");
	P_EQ(EPERM, pthread_mutex_unlock(&m), "recursive unlock 3");
	pthread_mutex_destroy(&m);
}

/* A child process locks @s->m and is SIGKILLed holding it. */
static void kill_holder(struct shared *s)
{
	pid_t pid;
	int st;

	s->ready = 0;
	pid = fork();
	if (pid == 0) {
		if (pthread_mutex_lock(&s->m))
			_exit(1);
		__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	while (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void test_pshared(void)
{
	struct shared *s = map_shared(NULL);
	struct timespec ts;

	robust_init(&s->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
	P_CHECK(marked(&s->m), "robust shared mutex is the preload's");
	kill_holder(s);
	P_EQ(EOWNERDEAD, pthread_mutex_lock(&s->m),
	     "shared: owner process SIGKILLed");
	P_EQ(0, pthread_mutex_consistent(&s->m), "shared: consistent");
	P_EQ(0, pthread_mutex_unlock(&s->m), "shared: unlock");
	P_EQ(0, pthread_mutex_lock(&s->m), "shared: lock again");
	P_EQ(0, pthread_mutex_unlock(&s->m), "shared: unlock again");

	kill_holder(s);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += HANG_S;
	P_EQ(EOWNERDEAD, pthread_mutex_timedlock(&s->m, &ts),
	     "timedlock: owner died");
	P_EQ(0, pthread_mutex_unlock(&s->m), "unlock without consistent");
	P_EQ(ENOTRECOVERABLE, pthread_mutex_lock(&s->m), "ENOTRECOVERABLE");
	P_EQ(ENOTRECOVERABLE, pthread_mutex_trylock(&s->m),
	     "ENOTRECOVERABLE (trylock)");
	P_EQ(0, pthread_mutex_destroy(&s->m), "destroy not recoverable");
	munmap(s, 4096);
}

/*
 * The mark: a process without the preload, given a mutex the preload
 * made (held, in shared memory), gets EINVAL from glibc and leaves the
 * memory alone.
 */
static void test_mark(const char *self)
{
	int fd, st;
	struct shared *s = map_shared(&fd);
	unsigned char before[sizeof(s->m)];
	char arg[16], *argv[] = { (char *)self, "probe", arg, NULL };
	char **env, **e;
	int n = 0;
	pid_t pid;

	robust_init(&s->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
	P_EQ(0, pthread_mutex_lock(&s->m), "lock before the probe");
	memcpy(before, &s->m, sizeof(before));
	for (e = environ; *e; e++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	for (n = 0, e = environ; *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11))
			env[n++] = *e;
	snprintf(arg, sizeof(arg), "%d", fd);
	pid = fork();
	if (pid == 0) {
		execve(self, argv, env);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	P_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"without the preload, glibc says EINVAL to lock, trylock, "
		"unlock (exit %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	P_CHECK(!memcmp(before, &s->m, sizeof(before)),
		"and leaves the mutex as it was");
	P_EQ(0, pthread_mutex_unlock(&s->m), "unlock after the probe");
	free(env);
	munmap(s, 4096);
	close(fd);
}

static int probe(int fd)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0);
	struct timespec ts = { 0, 0 };

	alarm(HANG_S);	/* glibc's would block on a mutex of its own */
	if (s == MAP_FAILED)
		return 2;
	if (getenv("LD_PRELOAD"))
		return 3;
	if (pthread_mutex_lock(&s->m) != EINVAL)
		return 4;
	if (pthread_mutex_trylock(&s->m) != EINVAL)
		return 5;
	if (pthread_mutex_timedlock(&s->m, &ts) != EINVAL)
		return 6;
	if (pthread_mutex_unlock(&s->m) != EINVAL)
		return 7;
	return 0;
}

/* Condition variables. */

struct cw {
	pthread_mutex_t *m;
	pthread_cond_t *c;
	int *flag;
	int ret;
};

static void *cond_waiter(void *arg)
{
	struct cw *w = arg;
	int r = 0;

	pthread_mutex_lock(w->m);
	while (!*w->flag && !r)
		r = pthread_cond_wait(w->c, w->m);
	w->ret = r;
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(w->m);
	pthread_mutex_unlock(w->m);
	return NULL;
}

static void cond_cases(pthread_mutex_t *m, const char *kind)
{
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec ts;
	struct cw w[4];
	pthread_t t[4];
	int flag = 0, i, ok, r;

	for (i = 0; i < 4; i++) {
		w[i] = (struct cw){ .m = m, .c = &c, .flag = &flag, .ret = -1 };
		pthread_create(&t[i], NULL, cond_waiter, &w[i]);
	}
	usleep(100000);
	pthread_mutex_lock(m);
	flag = 1;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(m);
	for (i = 0, ok = 1; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok &= w[i].ret == 0;
	}
	P_CHECK(ok, "%s: broadcast wakes 4 waiters", kind);

	/* signal, one waiter at a time */
	for (i = 0, ok = 1; i < 3; i++) {
		flag = 0;
		w[0] = (struct cw){ .m = m, .c = &c, .flag = &flag, .ret = -1 };
		pthread_create(&t[0], NULL, cond_waiter, &w[0]);
		usleep(20000);
		pthread_mutex_lock(m);
		flag = 1;
		pthread_cond_signal(&c);
		pthread_mutex_unlock(m);
		pthread_join(t[0], NULL);
		ok &= w[0].ret == 0;
	}
	P_CHECK(ok, "%s: signal wakes the waiter", kind);

	pthread_mutex_lock(m);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	/* Wakeups may be spurious (POSIX): wait until the time is up. */
	for (i = 0; (r = pthread_cond_timedwait(&c, m, &ts)) == 0 && i < 100;
	     i++)
		;
	P_EQ(ETIMEDOUT, r, "timedwait times out");
	if (i)
		printf("# %d spurious wakeups\n", i);
	P_EQ(0, pthread_mutex_unlock(m), "and returns with the mutex held");
	pthread_mutex_lock(m);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec -= 1;
	P_EQ(ETIMEDOUT, pthread_cond_clockwait(&c, m, CLOCK_MONOTONIC, &ts),
	     "clockwait in the past");
	ts.tv_nsec = 1000000000;
	P_EQ(EINVAL, pthread_cond_clockwait(&c, m, CLOCK_MONOTONIC, &ts),
	     "clockwait with a bad tv_nsec");
	P_EQ(0, pthread_mutex_unlock(m), "mutex held after");
	P_EQ(0, pthread_cond_destroy(&c), "destroy");
}

static void test_cond(void)
{
	pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER, m;
	struct shared *s = map_shared(NULL);
	pid_t pid;
	int st, r;

	cond_cases(&plain, "glibc mutex");
	robust_init(&m, PTHREAD_PROCESS_PRIVATE, PTHREAD_MUTEX_NORMAL);
	cond_cases(&m, "preload mutex");
	pthread_mutex_destroy(&m);

	/*
	 * Process-shared: a waiter here; a child locks the mutex, signals
	 * and dies holding it.  The wait returns EOWNERDEAD.
	 */
	robust_init(&s->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
	cond_init(&s->c, PTHREAD_PROCESS_SHARED, CLOCK_MONOTONIC);
	s->flag = 0;
	pthread_mutex_lock(&s->m);
	pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(&s->m);
		s->flag = 1;
		pthread_cond_signal(&s->c);
		_exit(0);	/* holding the mutex */
	}
	r = 0;
	while (!s->flag && !r)
		r = pthread_cond_wait(&s->c, &s->m);
	P_EQ(EOWNERDEAD, r, "shared cond wait: the mutex's owner died");
	P_EQ(0, pthread_mutex_consistent(&s->m), "consistent");
	P_EQ(0, pthread_mutex_unlock(&s->m), "unlock");
	waitpid(pid, &st, 0);

	/* Shared condvar woken from another process, waiter keeps going. */
	s->flag = 0;
	pid = fork();
	if (pid == 0) {
		struct cw w = { &s->m, &s->c, &s->flag, -1 };

		cond_waiter(&w);
		_exit(w.ret == 0 ? 0 : 1);
	}
	usleep(100000);
	pthread_mutex_lock(&s->m);
	s->flag = 1;
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
	waitpid(pid, &st, 0);
	P_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"shared cond: a waiter in another process is woken");
	munmap(s, 4096);
}

/*
 * POSIX: a waiter that a cancellation unblocks must not consume a signal
 * while other threads wait.  A and B wait for a token; one token and one
 * signal come with A's cancellation: B must get the token, unless A took
 * it before the cancellation acted (A's join then says it returned, not
 * PTHREAD_CANCELED), an order, so no round waits to find out which.
 */
struct cancel_case {
	pthread_mutex_t *m;
	pthread_cond_t c;
	int tokens;
};

static void cancel_unlock(void *arg)
{
	pthread_mutex_unlock(((struct cancel_case *)arg)->m);
}

static void *token_waiter(void *arg)
{
	struct cancel_case *cc = arg;

	pthread_mutex_lock(cc->m);
	pthread_cleanup_push(cancel_unlock, cc);
	while (!cc->tokens)
		pthread_cond_wait(&cc->c, cc->m);
	cc->tokens--;
	pthread_cleanup_pop(1);
	return NULL;
}

static void cancel_cases(pthread_mutex_t *m, const char *kind)
{
	struct cancel_case cc = { .m = m, .c = PTHREAD_COND_INITIALIZER };
	int round, lost = 0, first = 0;

	for (round = 0; round < 10; round++) {
		struct timespec ts;
		pthread_t a, b;
		void *ra;

		cc.tokens = 0;
		pthread_create(&a, NULL, token_waiter, &cc);
		usleep(20000);
		pthread_create(&b, NULL, token_waiter, &cc);
		usleep(20000);
		pthread_mutex_lock(m);
		cc.tokens = 1;
		pthread_cond_signal(&cc.c);
		pthread_cancel(a);
		pthread_mutex_unlock(m);
		pthread_join(a, &ra);
		if (ra != PTHREAD_CANCELED) {
			/* A took the token before the cancel acted: B waits on. */
			first++;
			pthread_mutex_lock(m);
			cc.tokens = 1;
			pthread_cond_broadcast(&cc.c);
			pthread_mutex_unlock(m);
			pthread_join(b, NULL);
			continue;
		}
		/* The token is B's, however long that takes; or it hangs. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += HANG_S;
		if (pthread_timedjoin_np(b, NULL, &ts) == ETIMEDOUT) {
			pthread_mutex_lock(m);
			lost += cc.tokens == 1;	/* a token left, B asleep */
			cc.tokens = 1;
			pthread_cond_broadcast(&cc.c);
			pthread_mutex_unlock(m);
			pthread_join(b, NULL);
			if (lost)
				break;	/* shown: no need to wait again */
		}
	}
	P_CHECK(lost == 0, "%s: a cancelled cond waiter passes on the signal "
		"(%d of %d rounds left the other waiter asleep %d s; in %d "
		"the waiter took the token before its cancel acted)", kind,
		lost, round + !!lost, HANG_S, first);
}

static void test_cancel(void)
{
	pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER, m;

	cancel_cases(&plain, "glibc mutex");
	robust_init(&m, PTHREAD_PROCESS_PRIVATE, PTHREAD_MUTEX_NORMAL);
	cancel_cases(&m, "preload mutex");
	pthread_mutex_destroy(&m);
}

/*
 * An owner that got EOWNERDEAD and unlocks without consistent() makes the
 * mutex not recoverable, and a kill anywhere inside that unlock must not
 * undo it: the next lock may see ENOTRECOVERABLE, or EOWNERDEAD if the
 * unlock had not got that far, never a clean mutex.  The unlocker is
 * single-stepped and killed after 0, 1, 2, ... instructions until one
 * kill comes after its unlock returned.
 */
static void test_notrec_kill(void)
{
	struct shared *s = map_shared(NULL);
	int k, st, r, clean = 0, done = 0;
	pid_t p;

	for (k = 0; k < 3000 && !done; k++) {
		robust_init(&s->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
		p = fork();
		if (p == 0) {
			pthread_mutex_lock(&s->m);
			_exit(0);	/* dies holding it */
		}
		waitpid(p, &st, 0);
		p = fork();
		if (p == 0) {
			if (pthread_mutex_lock(&s->m) != EOWNERDEAD)
				_exit(3);
			ptrace(PTRACE_TRACEME, 0, 0, 0);
			raise(SIGSTOP);
			pthread_mutex_unlock(&s->m);	/* not recoverable now */
			raise(SIGSTOP);			/* unlock returned */
			_exit(0);
		}
		waitpid(p, &st, 0);	/* its first SIGSTOP */
		for (int i = 0; i <= k && WIFSTOPPED(st); i++) {
			if (i && WSTOPSIG(st) == SIGSTOP) {
				done = 1;	/* the unlock returned */
				break;
			}
			ptrace(PTRACE_SINGLESTEP, p, 0, 0);
			waitpid(p, &st, 0);
		}
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
		alarm(60);
		r = pthread_mutex_lock(&s->m);
		alarm(120);
		if (r == 0)
			clean++;
		if (r == 0 || r == EOWNERDEAD)
			pthread_mutex_unlock(&s->m);
		pthread_mutex_destroy(&s->m);
	}
	P_CHECK(done && clean == 0, "not recoverable: killed after each of "
		"%d instructions of the unlock, the mutex was never left clean "
		"(%d times it was)", k, clean);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "probe"))
		return probe(atoi(argv[2]));
	p_start();
	alarm(120);
	test_private();
	test_pshared();
	test_mark("/proc/self/exe");
	test_cond();
	test_cancel();
	test_notrec_kill();
	p_finish();
}
