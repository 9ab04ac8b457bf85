// SPDX-License-Identifier: GPL-2.0
/*
 * compare: what happens when a robust-lock owner dies at the wrong moment,
 * under mainline (glibc's robust pthread mutex, glibc's list registered
 * with set_robust_list, the kernel's exit walk), under mainline 7.2's
 * release (ml72.c: FUTEX_ROBUST_UNLOCK and the vDSO's try-unlock, the
 * same exit walk) and under robustfutex (rf_mutex and lists registered
 * through the module), in the same boot.
 *
 *   compare [--only IMPL[,IMPL...]] [SCENARIO...]     (default: all)
 *
 * Scenarios: unlock_race lost_wakeup many_locks lists bad_list
 * list32_race pidns ml72_check.  IMPL: mainline, rf, ml72 (default: all;
 * without rf, the module need not be loaded).  On a kernel without
 * FUTEX_ROBUST_UNLOCK every ml72 case says "n/a" and why.
 *
 * Each case is built deterministically: a child process leaves exactly
 * the state a thread has at one instant of its lock or unlock code (by
 * calling the real lock functions, then editing its own list head found
 * through get_robust_list() or rf_list_get()), and is SIGKILLed there.
 * Each JSON line says what was observed afterwards (bytes changed, how
 * long a waiter stayed blocked, the return code it got, words recovered),
 * never a verdict.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "../kselftest/rf_test.h"
#include <robustfutex.h>
#include "ml72.h"

#define OD		RF_FUTEX_OWNER_DIED
#define WAITERS		RF_FUTEX_WAITERS
#define CAP_MS		5000	/* a waiter blocked this long is "still blocked" */

static const char sysfs_param[] = "/sys/module/robustfutex/parameters/";
static const char sysfs_stat[] = "/sys/kernel/robustfutex/";

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static double ms_since(uint64_t t0)
{
	return (now_ns() - t0) / 1e6;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "compare: %s: %s\n", what, strerror(err));
	exit(1);
}

static void progress(const char *what)
{
	fprintf(stderr, "# compare: %s\n", what);
}

/* One JSON object per line, flushed before anything forks. */
static void j_begin(const char *scenario, const char *impl, const char *variant)
{
	printf("{\"scenario\":\"%s\",\"impl\":\"%s\",\"variant\":\"%s\"",
	       scenario, impl, variant);
}

static void j_str(const char *k, const char *v)
{
	printf(",\"%s\":\"%s\"", k, v);
}

static void j_int(const char *k, long long v)
{
	printf(",\"%s\":%lld", k, v);
}

static void j_ms(const char *k, double v)
{
	printf(",\"%s\":%.3f", k, v);
}

static void j_hex(const char *k, uint32_t v)
{
	printf(",\"%s\":\"0x%08x\"", k, v);
}

static void j_end(void)
{
	printf("}\n");
	fflush(stdout);
}

/* "0", "EOWNERDEAD", "-EINVAL": a return code as the caller saw it. */
static const char *code_name(int r)
{
	static char buf[32];
	const char *name = strerrorname_np(r < 0 ? -r : r);

	if (!r)
		return "0";
	snprintf(buf, sizeof(buf), "%s%s", r < 0 ? "-" : "",
		 name ? name : "?");
	return buf;
}

static long read_long(const char *dir, const char *name)
{
	char path[128], buf[32];
	long v = -1;
	int fd, n;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		v = strtol(buf, NULL, 10);
	}
	close(fd);
	return v;
}

static void set_param(const char *name, long v)
{
	char path[128], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s%s", sysfs_param, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	n = snprintf(buf, sizeof(buf), "%ld", v);
	if (fd < 0 || write(fd, buf, n) != n)
		die(path, errno);
	close(fd);
}

static void *map_shared(size_t len, bool low)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | (low ? MAP_32BIT : 0),
		       -1, 0);

	if (p == MAP_FAILED)
		die("mmap", errno);
	memset(p, 0, len);
	return p;
}

static inline uint32_t load32(const void *p)
{
	return __atomic_load_n((const uint32_t *)p, __ATOMIC_SEQ_CST);
}

static inline void store32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_SEQ_CST);
}

/* ---- the three mutexes ---- */

enum impl { MAINLINE, RF, ML72, NR_IMPLS };
static const char *const impl_name[] = { "mainline", "rf", "ml72" };

/* --only: the implementations whose cases run. */
static bool want[NR_IMPLS] = { true, true, true };

/*
 * Whether @impl's case runs: not if --only left it out; for ml72, not on
 * a kernel without 7.2's release, and then the case's line says so.
 */
static bool runs(const char *scenario, enum impl impl, const char *variant)
{
	if (!want[impl])
		return false;
	if (impl == ML72 && !ml72_available()) {
		printf("{\"scenario\":\"%s\",\"impl\":\"ml72\",\"variant\":\"%s\","
		       "\"na\":\"%s\"}\n", scenario, variant, ml72_why_not());
		fflush(stdout);
		return false;
	}
	return true;
}

/* A case that does not apply to @impl, and why. */
static void not_applicable(const char *scenario, enum impl impl,
			   const char *variant, const char *why)
{
	if (!want[impl])
		return;
	printf("{\"scenario\":\"%s\",\"impl\":\"%s\",\"variant\":\"%s\","
	       "\"na\":\"%s\"}\n", scenario, impl_name[impl], variant, why);
	fflush(stdout);
}

/* A pshared robust mutex of any kind at @m. */
static void mutex_init(void *m, enum impl impl)
{
	int r;

	if (impl == ML72) {
		r = ml72_init(m);
	} else if (impl == RF) {
		rf_mutexattr_t a;

		rf_mutexattr_init(&a);
		rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
		r = rf_mutex_init(m, &a);
	} else {
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		r = pthread_mutex_init(m, &a);
	}
	if (r)
		die("mutex init", r);
}

static int mutex_lock(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_lock(m);
	case ML72:	return ml72_lock(m);
	default:	return pthread_mutex_lock(m);
	}
}

static int mutex_trylock(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_trylock(m);
	case ML72:	return ml72_trylock(m);
	default:	return pthread_mutex_trylock(m);
	}
}

static int mutex_unlock(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_unlock(m);
	case ML72:	return ml72_unlock(m);
	default:	return pthread_mutex_unlock(m);
	}
}

static int mutex_consistent(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_consistent(m);
	case ML72:	return ml72_consistent(m);
	default:	return pthread_mutex_consistent(m);
	}
}

static size_t mutex_size(enum impl impl)
{
	switch (impl) {
	case RF:	return sizeof(rf_mutex_t);
	case ML72:	return sizeof(ml72_mutex_t);
	default:	return sizeof(pthread_mutex_t);
	}
}

/*
 * The calling thread's list head, in mainline's layout for all: glibc's
 * (from get_robust_list; glibc registers it for every thread, also in a
 * fork child), ml72's (registered by the thread's first ml72 lock, in
 * place of glibc's) or this library's (from the module; registered by
 * the thread's first rf_mutex_lock).
 */
static struct robust_list_head *list_head(enum impl impl)
{
	if (impl == ML72)
		return ml72_head();
	if (impl == MAINLINE) {
		struct robust_list_head *h = NULL;
		size_t len;

		if (syscall(SYS_get_robust_list, 0, &h, &len))
			return NULL;
		return h;
	} else {
		struct rf_list_desc d;
		struct rf_info info;

		if (rf_info(&info))
			return NULL;
		for (unsigned int i = 0; i < info.max_lists; i++)
			if (!rf_list_get(0, i, &d) &&
			    d.protocol == RF_PROTO_INTENT &&
			    d.width == sizeof(void *) * 8)
				return (void *)(uintptr_t)d.head;
		return NULL;
	}
}

/* The list node of the mutex whose futex word is at @word. */
static struct robust_list *node_of(struct robust_list_head *h, void *word)
{
	return (struct robust_list *)((char *)word - h->futex_offset);
}

/* ---- children that die where they are told ---- */

/*
 * Fork a child that runs @setup(@arg), reports its result, runs @then(@arg)
 * if given (something that blocks: the parent has its report already)
 * and then waits to be killed.  Returns the child's pid once it has
 * reported, and its result in *@res (0: the state is in place).
 */
static pid_t spawn_then(int (*setup)(void *), void (*then)(void *), void *arg,
			int *res)
{
	int pfd[2], r;
	pid_t pid;

	if (pipe(pfd))
		die("pipe", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		r = setup(arg);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		if (then)
			then(arg);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(*res)) != sizeof(*res))
		*res = -EIO;
	close(pfd[0]);
	return pid;
}

static pid_t spawn(int (*setup)(void *), void *arg, int *res)
{
	return spawn_then(setup, NULL, arg, res);
}

/*
 * The same, the child the first process (PID 1) of a new PID namespace.
 * Returns -1 (and the errno in *@res) if there can be none.
 */
static pid_t spawn_pidns(int (*setup)(void *), void (*then)(void *), void *arg,
			 int *res)
{
	int fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0 || unshare(CLONE_NEWPID)) {
		*res = errno;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pid = spawn_then(setup, then, arg, res);
	/* Children to come are ours again. */
	if (setns(fd, CLONE_NEWPID))
		die("setns back to our PID namespace", errno);
	close(fd);
	return pid;
}

/* SIGKILL @pid and reap it; returns the milliseconds that took. */
static double kill_reap(pid_t pid)
{
	uint64_t t0 = now_ns();
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ms_since(t0);
}

/* ---- 1. unlock race (glibc bug 14485) ---- */

#define REGION		256
#define MUTEX_AT	64

struct race {
	unsigned char region[REGION] __attribute__((aligned(64)));
	enum impl impl;
	uint32_t extra;		/* bits or'ed to the TID left in the word */
};

/*
 * Lock and unlock completely; then die before clearing list_op_pending,
 * after the memory has been reused: new contents, and where the futex
 * word was, a value holding this thread's TID.
 */
static int race_child(void *arg)
{
	struct race *r = arg;
	void *m = r->region + MUTEX_AT;
	struct robust_list_head *h;
	int err;

	mutex_init(m, r->impl);
	err = mutex_lock(m, r->impl) ?: mutex_unlock(m, r->impl);
	if (err)
		return err;
	h = list_head(r->impl);
	if (!h)
		return ENOENT;
	h->list_op_pending = node_of(h, m);
	if (r->impl == RF)
		h->list_op_pending = (void *)((uintptr_t)h->list_op_pending |
					      RF_PENDING_UNLOCK);
	memset(r->region, 0xa5, REGION);
	/* The dead thread's owner value: an owner ID for rf, a TID for glibc. */
	store32(m, (r->impl == RF ? (uint32_t)rf_owner_id() : (uint32_t)gettid()) |
		   r->extra);
	return 0;
}

static void unlock_race(enum impl impl, const char *variant, uint32_t extra)
{
	struct race *r = map_shared(sizeof(*r), false);
	unsigned char before[REGION];
	int res, changed = 0, i;
	double ms;
	pid_t pid;

	if (!runs("unlock_race", impl, variant)) {
		munmap(r, sizeof(*r));
		return;
	}
	r->impl = impl;
	r->extra = extra;
	pid = spawn(race_child, r, &res);
	memcpy(before, r->region, REGION);
	ms = kill_reap(pid);
	for (i = 0; i < REGION; i++)
		changed += before[i] != r->region[i];
	j_begin("unlock_race", impl_name[impl], variant);
	j_str("setup", code_name(res));
	j_int("region_bytes", REGION);
	j_int("bytes_changed", changed);
	j_hex("word_before", load32(before + MUTEX_AT));
	j_hex("word_after", load32(r->region + MUTEX_AT));
	j_ms("exit_ms", ms);
	j_end();
	munmap(r, sizeof(*r));
}

/*
 * ml72: the state above cannot be made by editing memory, since the
 * kernel (or the vDSO) clears list_op_pending together with the release.
 * So the child really unlocks, traced: the parent single-steps it from
 * just before the unlock, and at every instruction boundary from the one
 * where the word first reads released to the return, a fresh child is
 * stopped there, the memory reused, the child SIGKILLed.  A single-step
 * trap is an entry from user mode like an interrupt: it is where 7.2's
 * kernel finds a thread inside the vDSO's window and clears
 * list_op_pending for it, as it would for a signal that kills it there.
 */
struct stepped {
	unsigned char region[REGION] __attribute__((aligned(64)));
	volatile int unlocked;		/* the child returned from its unlock */
	int setup;
	uint32_t extra;			/* bits or'ed to the word before unlocking */
	int (*prepare)(struct stepped *s);	/* lock: 0 or an error */
	int (*unlock)(struct stepped *s);
	void *ctx;
};

static void stepped_child(struct stepped *s)
{
	s->setup = s->prepare(s);
	if (!s->setup && s->extra)
		__atomic_fetch_or((uint32_t *)(s->region + MUTEX_AT), s->extra,
				  __ATOMIC_SEQ_CST);
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	if (!s->setup)
		s->unlock(s);
	s->unlocked = 1;
	for (;;)
		pause();
}

/*
 * A traced child stopped just before its unlock; -1 if it did not stop.
 * (A child whose setup failed skips the unlock and would sleep in
 * pause(), where single-stepping never returns: callers check s->setup.)
 */
static pid_t stepped_start(struct stepped *s)
{
	int st;
	pid_t pid;

	s->unlocked = 0;
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0)
		stepped_child(s);
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		waitpid(pid, &st, WNOHANG);
		return -1;
	}
	return pid;
}

static bool step1(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
		return false;
	return waitpid(pid, &st, 0) == pid && WIFSTOPPED(st);
}

struct stepped_result {
	int setup;
	long release_step, stops;	/* first released step; stops tested */
	int max_changed;
	uint32_t held, word_after;	/* of the stop that changed the most */
	double exit_ms;
};

static void stepped_sweep(struct stepped *s, struct stepped_result *res)
{
	uint32_t *word = (uint32_t *)(s->region + MUTEX_AT);
	long k, last = -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->release_step = -1;
	/* A dry run: where the release is, where the unlock returns. */
	pid = stepped_start(s);
	if (pid < 0) {
		res->setup = -ECHILD;
		return;
	}
	res->setup = s->setup;
	res->held = load32(word);
	if (res->setup) {
		kill_reap(pid);
		return;
	}
	for (k = 1; k <= 100000 && !s->unlocked; k++) {
		if (!step1(pid))
			break;
		if (res->release_step < 0 && !(load32(word) & FUTEX_TID_MASK))
			res->release_step = k;
		last = k;
	}
	kill_reap(pid);
	if (res->setup || res->release_step < 0 || !s->unlocked)
		return;
	/* Every stop from the release to the return, in a fresh child. */
	for (k = res->release_step; k <= last; k++) {
		unsigned char before[REGION];
		uint32_t held;
		int changed = 0;
		double ms;

		pid = stepped_start(s);
		if (pid < 0)
			die("stepped child", ECHILD);
		if (s->setup) {		/* it would not unlock: stop here */
			res->setup = s->setup;
			kill_reap(pid);
			return;
		}
		held = load32(word);
		for (long i = 0; i < k; i++)
			if (!step1(pid))
				die("single-step", errno ?: EIO);
		memset(s->region, 0xa5, REGION);
		store32(word, held);
		memcpy(before, s->region, REGION);
		ms = kill_reap(pid);
		for (int i = 0; i < REGION; i++)
			changed += before[i] != s->region[i];
		if (!res->stops || changed > res->max_changed) {
			res->max_changed = changed;
			res->held = held;
			res->word_after = load32(word);
			res->exit_ms = ms;
		}
		res->stops++;
	}
}

static void stepped_report(const char *scenario, const char *variant,
			   const char *how, struct stepped_result *r)
{
	j_begin(scenario, "ml72", variant);
	j_str("setup", r->setup == -ECHILD ? "-ECHILD" : code_name(r->setup));
	j_str("how", how);
	j_int("region_bytes", REGION);
	j_int("stops", r->stops);
	j_int("release_step", r->release_step);
	j_int("bytes_changed", r->max_changed);
	j_hex("word_before", r->held);
	j_hex("word_after", r->word_after);
	j_ms("exit_ms", r->exit_ms);
	j_end();
}

static int ml72_race_prepare(struct stepped *s)
{
	ml72_mutex_t *m = (void *)(s->region + MUTEX_AT);

	return ml72_init(m) ?: ml72_lock(m);
}

static int ml72_race_unlock(struct stepped *s)
{
	return ml72_unlock((void *)(s->region + MUTEX_AT));
}

static void unlock_race_ml72(const char *variant, uint32_t extra)
{
	struct stepped *s;
	struct stepped_result r;

	if (!runs("unlock_race", ML72, variant))
		return;
	s = map_shared(sizeof(*s), false);
	s->extra = extra;
	s->prepare = ml72_race_prepare;
	s->unlock = ml72_race_unlock;
	stepped_sweep(s, &r);
	stepped_report("unlock_race", variant,
		       extra & WAITERS ? "ml72_unlock: futex(FUTEX_WAKE|FUTEX_ROBUST_UNLOCK)" :
					 "ml72_unlock: __vdso_futex_robust_list64_try_unlock",
		       &r);
	munmap(s, sizeof(*s));
}

/* ---- 2. owner killed between release and wake ---- */

enum lw_step {
	LW_RELEASED,	/* word released, wake not sent */
	LW_DEQUEUED,	/* dequeued, word not yet released */
};

struct lw {
	unsigned char m[64] __attribute__((aligned(64)));
	enum impl impl;
	/* the waiter */
	sem_t done;
	pid_t tid;
	int locking;
	int ret;
	uint64_t t_ret;
};

/*
 * The owner: lock, then do the unlock up to (not including) the release
 * store: list_op_pending names the mutex (rf: with RF_PENDING_UNLOCK,
 * and the word carries RF_RELEASING), the mutex is off the list.
 */
static int lw_child(void *arg)
{
	struct lw *s = arg;
	struct robust_list_head *h;
	int err = mutex_lock(s->m, s->impl);

	if (err)
		return err;
	h = list_head(s->impl);
	if (!h)
		return ENOENT;
	if (s->impl == RF) {
		h->list_op_pending = (void *)((uintptr_t)node_of(h, s->m) |
					      RF_PENDING_UNLOCK);
		__atomic_fetch_or((uint32_t *)s->m, RF_RELEASING,
				  __ATOMIC_SEQ_CST);
	} else {
		h->list_op_pending = node_of(h, s->m);
	}
	/* Dequeue: it was the only lock held, the list is empty again. */
	h->list.next = &h->list;
	return 0;
}

static void *lw_waiter(void *arg)
{
	struct lw *s = arg;

	s->tid = gettid();
	__atomic_store_n(&s->locking, 1, __ATOMIC_SEQ_CST);
	s->ret = mutex_lock(s->m, s->impl);
	s->t_ret = now_ns();
	if (s->ret == EOWNERDEAD)
		mutex_consistent(s->m, s->impl);
	if (!s->ret || s->ret == EOWNERDEAD)
		mutex_unlock(s->m, s->impl);
	sem_post(&s->done);
	return NULL;
}

static bool wait_done(sem_t *sem, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_clockwait(sem, CLOCK_MONOTONIC, &ts))
		if (errno != EINTR)
			return false;
	return true;
}

/* Release the word and wake everyone, the way the dead owner should have. */
static void rescue(struct lw *s)
{
	store32(s->m, 0);
	if (s->impl == RF)
		rf_futex_wake((uint32_t *)s->m, INT_MAX, RF_WAIT_SHARED);
	else
		syscall(SYS_futex, s->m, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void lost_wakeup(enum impl impl, enum lw_step step)
{
	const char *variant = step == LW_RELEASED ? "released, wake not sent" :
						    "dequeued, not released";
	struct lw *s;
	uint32_t word_at_kill;
	double blocked = -1;
	int res, i, status;
	pthread_t th;
	uint64_t t0;
	pid_t pid;

	if (!runs("lost_wakeup", impl, variant))
		return;
	if (impl == ML72 && step == LW_RELEASED) {
		not_applicable("lost_wakeup", impl, variant,
			       "no such state: with a waiter, FUTEX_ROBUST_UNLOCK "
			       "releases and wakes in one system call");
		return;
	}
	s = map_shared(sizeof(*s), false);
	s->impl = impl;
	mutex_init(s->m, impl);
	sem_init(&s->done, 0, 0);
	pid = spawn(lw_child, s, &res);
	if (pthread_create(&th, NULL, lw_waiter, s))
		die("pthread_create", EAGAIN);
	for (i = 0; i < 10000; i++) {
		if (__atomic_load_n(&s->locking, __ATOMIC_SEQ_CST) &&
		    rf_thread_asleep(s->tid))
			break;
		usleep(500);
	}
	if (step == LW_RELEASED)	/* the releasing store, then death */
		__atomic_exchange_n((uint32_t *)s->m, 0, __ATOMIC_SEQ_CST);
	word_at_kill = load32(s->m);
	t0 = now_ns();
	kill(pid, SIGKILL);
	if (wait_done(&s->done, CAP_MS))
		blocked = (s->t_ret - t0) / 1e6;
	waitpid(pid, &status, 0);
	if (blocked < 0) {
		rescue(s);
		if (!wait_done(&s->done, CAP_MS)) {
			pthread_detach(th);
			goto out;
		}
	}
	pthread_join(th, NULL);
out:
	j_begin("lost_wakeup", impl_name[impl], variant);
	j_str("setup", code_name(res));
	j_hex("word_at_kill", word_at_kill);
	if (blocked < 0) {
		j_str("outcome", "still blocked");
		j_int("blocked_ms", CAP_MS);
	} else {
		j_str("outcome", code_name(s->ret));
		j_ms("blocked_ms", blocked);
	}
	j_end();
}

/* ---- 3. owner dies holding 3,000 locks ---- */

#define MANY	3000

struct many {
	enum impl impl;
	void *base;
};

static void *nth(struct many *s, int k)
{
	return (char *)s->base + k * mutex_size(s->impl);
}

static int many_child(void *arg)
{
	struct many *s = arg;

	for (int k = 0; k < MANY; k++) {
		int r = mutex_lock(nth(s, k), s->impl);

		if (r)
			return r;
	}
	return 0;
}

static void many_locks(enum impl impl, long limit)
{
	struct many s = { impl, NULL };
	long limited = read_long(sysfs_stat, "walks_limited");
	long old = read_long(sysfs_param, "list_limit");
	int res, od = 0, eownerdead = 0, ebusy = 0;
	char variant[48];
	double ms;
	pid_t pid;

	if (impl == RF)
		snprintf(variant, sizeof(variant), "list_limit=%ld", limit);
	else
		snprintf(variant, sizeof(variant), "kernel ROBUST_LIST_LIMIT");
	if (!runs("many_locks", impl, variant))
		return;
	s.base = map_shared(MANY * mutex_size(impl), false);
	for (int k = 0; k < MANY; k++)
		mutex_init(nth(&s, k), impl);
	if (impl == RF)
		set_param("list_limit", limit);
	pid = spawn(many_child, &s, &res);
	ms = kill_reap(pid);
	for (int k = 0; k < MANY; k++) {
		int r;

		od += !!(load32(nth(&s, k)) & OD);
		r = mutex_trylock(nth(&s, k), impl);
		if (r == EOWNERDEAD) {
			eownerdead++;
			mutex_consistent(nth(&s, k), impl);
		} else if (r == EBUSY) {
			ebusy++;
		}
		if (!r || r == EOWNERDEAD)
			mutex_unlock(nth(&s, k), impl);
	}
	if (impl == RF)
		set_param("list_limit", old);
	j_begin("many_locks", impl_name[impl], variant);
	j_str("setup", code_name(res));
	j_int("held", MANY);
	j_int("owner_died_words", od);
	j_int("trylock_eownerdead", eownerdead);
	j_int("trylock_ebusy", ebusy);
	if (impl == RF)
		j_int("walks_limited_delta",
		      read_long(sysfs_stat, "walks_limited") - limited);
	j_ms("exit_ms", ms);
	j_end();
	munmap(s.base, MANY * mutex_size(impl));
}

/* ---- 4. a 32-bit list, and two lists in one thread ---- */

/* Mainline's list layout at both widths, each with one lock held. */
struct head64 {
	uint64_t next;
	int64_t futex_offset;
	uint64_t pending;
};

struct lock64 {
	uint64_t next;
	uint32_t word;
	uint32_t pad;
};

struct head32 {
	uint32_t next;
	int32_t futex_offset;
	uint32_t pending;
};

struct lock32 {
	uint32_t next;
	uint32_t word;
};

struct lists {			/* in memory below 4 GiB (MAP_32BIT) */
	struct head64 ha, hb;
	struct lock64 la, lb;
	struct head32 h32;
	struct lock32 l32;
	const char *how;	/* registration calls, for the record */
	int ret[2];		/* what they returned */
};

static void hold64(struct head64 *h, struct lock64 *l, uint32_t tid)
{
	h->next = (uintptr_t)l;
	h->futex_offset = 8;
	h->pending = 0;
	l->next = (uintptr_t)h;
	l->word = tid;
}

static void hold32(struct head32 *h, struct lock32 *l, uint32_t tid)
{
	h->next = (uint32_t)(uintptr_t)l;
	h->futex_offset = 4;
	h->pending = 0;
	l->next = (uint32_t)(uintptr_t)h;
	l->word = tid;
}

static long sys_set_robust_list(void *head, size_t len)
{
	return syscall(SYS_set_robust_list, head, len) ? -errno : 0;
}

/*
 * The 32-bit (compat) set_robust_list, entered from this 64-bit process
 * through int $0x80: it sets the task's compat_robust_list, which the
 * kernel walks at exit beside the native one.  x86-64 only: arm64 has no
 * such entry for a 64-bit process, which is the emulator's case.
 */
static long compat_set_robust_list(void *head, uint32_t len)
{
#ifdef __x86_64__
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a" (ret)
			 : "a" (311L),	/* __NR_set_robust_list, i386 */
			   "b" ((long)(uint32_t)(uintptr_t)head), "c" ((long)len)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
#else
	return -ENOSYS;
#endif
}

enum lists_case {
	L32_MAINLINE,		/* set_robust_list(head32, 12) */
	L32_COMPAT,		/* int 0x80 set_robust_list(head32, 12) */
	L32_RF,			/* rf_list_register(head32, 32, MAINLINE) */
	L2_MAINLINE,		/* set_robust_list(a); set_robust_list(b) */
	L2_COMPAT,		/* set_robust_list(a); int 0x80 (head32) */
	L2_RF,			/* rf_list_register(a, 64); (b, 64) */
	L2_RF32,		/* rf_list_register(a, 64); (head32, 32) */
};

static const struct {
	const char *scenario, *how;
	enum impl impl;
	int held;		/* locks held: 1 (list32) or 2 */
} lists_cases[] = {
	[L32_MAINLINE]	= { "list32", "set_robust_list(head32, 12)",
			    MAINLINE, 1 },
	[L32_COMPAT]	= { "list32", "int 0x80 compat set_robust_list(head32, 12) (x86 only)",
			    MAINLINE, 1 },
	[L32_RF]	= { "list32", "rf_list_register(head32, RF_WIDTH_32)",
			    RF, 1 },
	[L2_MAINLINE]	= { "two_lists", "set_robust_list(a, 24); set_robust_list(b, 24)",
			    MAINLINE, 2 },
	[L2_COMPAT]	= { "two_lists", "set_robust_list(a, 24); int 0x80 set_robust_list(b32, 12) (x86 only)",
			    MAINLINE, 2 },
	[L2_RF]		= { "two_lists", "rf_list_register(a, 64); rf_list_register(b, 64)",
			    RF, 2 },
	[L2_RF32]	= { "two_lists", "rf_list_register(a, 64); rf_list_register(b32, 32)",
			    RF, 2 },
};

struct lists_arg {
	struct lists *l;
	enum lists_case c;
};

static int lists_child(void *arg)
{
	struct lists_arg *a = arg;
	struct lists *l = a->l;
	uint32_t tid = gettid();

	hold64(&l->ha, &l->la, tid);
	hold64(&l->hb, &l->lb, tid);
	hold32(&l->h32, &l->l32, tid);
	switch (a->c) {
	case L32_MAINLINE:
		l->ret[0] = sys_set_robust_list(&l->h32, sizeof(l->h32));
		break;
	case L32_COMPAT:
		l->ret[0] = compat_set_robust_list(&l->h32, sizeof(l->h32));
		break;
	case L32_RF:
		l->ret[0] = rf_list_register(&l->h32, RF_WIDTH_32,
					     RF_PROTO_MAINLINE);
		break;
	case L2_MAINLINE:
		l->ret[0] = sys_set_robust_list(&l->ha, sizeof(l->ha));
		l->ret[1] = sys_set_robust_list(&l->hb, sizeof(l->hb));
		break;
	case L2_COMPAT:
		l->ret[0] = sys_set_robust_list(&l->ha, sizeof(l->ha));
		l->ret[1] = compat_set_robust_list(&l->h32, sizeof(l->h32));
		break;
	case L2_RF:
		l->ret[0] = rf_list_register(&l->ha, RF_WIDTH_64,
					     RF_PROTO_MAINLINE);
		l->ret[1] = rf_list_register(&l->hb, RF_WIDTH_64,
					     RF_PROTO_MAINLINE);
		break;
	case L2_RF32:
		l->ret[0] = rf_list_register(&l->ha, RF_WIDTH_64,
					     RF_PROTO_MAINLINE);
		l->ret[1] = rf_list_register(&l->h32, RF_WIDTH_32,
					     RF_PROTO_MAINLINE);
		break;
	}
	return 0;
}

/* rf_list_register() returns a slot index, set_robust_list() 0. */
static const char *reg_name(enum lists_case c, int ret)
{
	static char buf[2][32];
	static int k;

	k ^= 1;
	if (lists_cases[c].impl == RF && ret >= 0)
		snprintf(buf[k], sizeof(buf[k]), "slot %d", ret);
	else
		snprintf(buf[k], sizeof(buf[k]), "%s", code_name(ret));
	return buf[k];
}

static void lists(enum lists_case c)
{
	struct lists *l;
	struct lists_arg a = { NULL, c };
	int res, recovered;
	char rets[64];
	double ms;
	pid_t pid;

	if (!want[lists_cases[c].impl])
		return;
	a.l = l = map_shared(sizeof(*l), true);
	if ((uintptr_t)l >> 32)
		die("MAP_32BIT", ENOMEM);
	pid = spawn(lists_child, &a, &res);
	ms = kill_reap(pid);
	if (lists_cases[c].held == 1) {		/* list32 */
		recovered = !!(l->l32.word & OD);
		snprintf(rets, sizeof(rets), "%s", reg_name(c, l->ret[0]));
	} else {
		uint32_t second = c == L2_COMPAT || c == L2_RF32 ?
				  l->l32.word : l->lb.word;

		recovered = !!(l->la.word & OD) + !!(second & OD);
		snprintf(rets, sizeof(rets), "%s, ", reg_name(c, l->ret[0]));
		snprintf(rets + strlen(rets), sizeof(rets) - strlen(rets),
			 "%s", reg_name(c, l->ret[1]));
	}
	j_begin(lists_cases[c].scenario, impl_name[lists_cases[c].impl],
		lists_cases[c].how);
	j_str("setup", code_name(res));
	j_str("register_returned", rets);
	j_int("held", lists_cases[c].held);
	j_int("recovered", recovered);
	j_ms("exit_ms", ms);
	j_end();
	munmap(l, sizeof(*l));
}

/* ---- 5. a circular list, a list into unmapped memory ---- */

enum bad { BAD_CYCLE, BAD_UNMAPPED };

struct bad_arg {
	enum impl impl;
	enum bad how;
	unsigned char m[2][64] __attribute__((aligned(64)));
};

/*
 * Take two locks (the list is head -> m1 -> m0 -> head), then point m0's
 * next back at m1, or into a page that is no longer mapped.
 */
static int bad_child(void *arg)
{
	struct bad_arg *b = arg;
	struct robust_list_head *h;
	int err = mutex_lock(b->m[0], b->impl) ?: mutex_lock(b->m[1], b->impl);

	if (err)
		return err;
	h = list_head(b->impl);
	if (!h)
		return ENOENT;
	if (b->how == BAD_CYCLE) {
		node_of(h, b->m[0])->next = node_of(h, b->m[1]);
	} else {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE |
			       MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p, 4096))
			return errno;
		node_of(h, b->m[0])->next = p;
	}
	return 0;
}

static void bad_list(enum impl impl, enum bad how, long limit)
{
	struct bad_arg *b;
	long cycles = read_long(sysfs_stat, "cycles");
	long faults = read_long(sysfs_stat, "faults");
	long old = read_long(sysfs_param, "list_limit");
	char variant[64];
	int res;
	double ms;
	pid_t pid;

	snprintf(variant, sizeof(variant), "%s%s",
		 how == BAD_CYCLE ? "circular" : "next into unmapped memory",
		 impl == RF && limit ? ", list_limit=16777216" : "");
	if (!runs("bad_list", impl, variant))
		return;
	b = map_shared(sizeof(*b), false);
	b->impl = impl;
	b->how = how;
	mutex_init(b->m[0], impl);
	mutex_init(b->m[1], impl);
	if (impl == RF && limit)
		set_param("list_limit", limit);
	pid = spawn(bad_child, b, &res);
	ms = kill_reap(pid);
	if (impl == RF && limit)
		set_param("list_limit", old);
	j_begin("bad_list", impl_name[impl], variant);
	j_str("setup", code_name(res));
	j_str("exit", "completed");
	j_ms("exit_ms", ms);
	j_int("held", 2);
	j_int("recovered", !!(load32(b->m[0]) & OD) + !!(load32(b->m[1]) & OD));
	if (impl == RF) {
		j_int("cycles_delta", read_long(sysfs_stat, "cycles") - cycles);
		j_int("faults_delta", read_long(sysfs_stat, "faults") - faults);
	}
	j_end();
	munmap(b, sizeof(*b));
}

/* ---- 6. bug 14485 on a 32-bit list (an emulator's guest) ---- */

/*
 * A 64-bit process with a guest's 32-bit list, one lock held.  Mainline
 * and rf: the guest's own unlock (as a 32-bit glibc does it: pending,
 * dequeue, release) cut short after the release, the memory reused (as
 * in 1).  The list is registered through x86's int 0x80 compat entry
 * (mainline, ml72) or in a 32-bit rf slot, mainline protocol (what an
 * emulator registers for a guest's glibc).  ml72: the release is 7.2's,
 * __vdso_futex_robust_list32_try_unlock or FUTEX_ROBUST_LIST32, stepped
 * as above.  All of it below 4 GiB.
 */
struct race32 {
	struct stepped s;		/* the lock entry: MUTEX_AT - 4 */
	struct ml72_head32 head;	/* the guest thread's: not reused */
	enum impl impl;
};

#define LOCK32(r)	((struct ml72_lock32 *)((r)->s.region + MUTEX_AT - 4))

static int race32_register(struct race32 *r)
{
	int ret;

	if (r->impl != RF)
		return -ml72_list32_register(&r->head);
	r->head.next = (uint32_t)(uintptr_t)&r->head;
	r->head.futex_offset = 4;
	r->head.pending = 0;
	ret = rf_list_register(&r->head, RF_WIDTH_32, RF_PROTO_MAINLINE);
	return ret < 0 ? -ret : 0;
}

static int race32_child(void *arg)
{
	struct race32 *r = arg;
	struct ml72_lock32 *l = LOCK32(r);
	uint32_t tid = gettid();
	int err = race32_register(r);

	if (err)
		return err;
	/* Held: on the list. */
	store32(&l->word, tid | r->s.extra);
	l->next = r->head.next;
	r->head.next = (uint32_t)(uintptr_t)l;
	/* The guest's unlock, up to the release. */
	r->head.pending = (uint32_t)(uintptr_t)l;
	r->head.next = (uint32_t)(uintptr_t)&r->head;
	store32(&l->word, 0);
	/* Reused. */
	memset(r->s.region, 0xa5, REGION);
	store32(&l->word, tid | r->s.extra);
	return 0;
}

static int race32_prepare(struct stepped *s)
{
	struct race32 *r = s->ctx;

	memset(LOCK32(r), 0, sizeof(*LOCK32(r)));	/* a fresh lock */
	return race32_register(r) ?: ml72_lock32(&r->head, LOCK32(r));
}

static int race32_unlock(struct stepped *s)
{
	struct race32 *r = s->ctx;

	return ml72_unlock32(&r->head, LOCK32(r));
}

static void list32_race(enum impl impl, const char *variant, uint32_t extra)
{
	static const char *const how[] = {
		[MAINLINE] = "int 0x80 set_robust_list(head32); the guest's unlock "
			     "(release, then clear list_op_pending) cut short between",
		[RF] = "rf_list_register(head32, RF_WIDTH_32, RF_PROTO_MAINLINE); "
		       "the guest's unlock cut short between",
	};
	struct race32 *r;
	int res, changed = 0;
	unsigned char before[REGION];
	double ms;
	pid_t pid;

	if (impl == ML72 && want[ML72] && !ml72_list32_available()) {
		not_applicable("list32_race", impl, variant, ml72_list32_why_not());
		return;
	}
	if (!runs("list32_race", impl, variant))
		return;
	r = map_shared(sizeof(*r), true);
	if ((uintptr_t)r >> 32)
		die("MAP_32BIT", ENOMEM);
	r->impl = impl;
	r->s.extra = extra;
	if (impl == ML72) {
		struct stepped_result sr;

		r->s.prepare = race32_prepare;
		r->s.unlock = race32_unlock;
		r->s.ctx = r;
		stepped_sweep(&r->s, &sr);
		stepped_report("list32_race", variant,
			       extra & WAITERS ?
			       "int 0x80 set_robust_list(head32); "
			       "futex(FUTEX_WAKE|FUTEX_ROBUST_UNLOCK|FUTEX_ROBUST_LIST32)" :
			       "int 0x80 set_robust_list(head32); "
			       "__vdso_futex_robust_list32_try_unlock", &sr);
		munmap(r, sizeof(*r));
		return;
	}
	pid = spawn(race32_child, r, &res);
	memcpy(before, r->s.region, REGION);
	ms = kill_reap(pid);
	for (int i = 0; i < REGION; i++)
		changed += before[i] != r->s.region[i];
	j_begin("list32_race", impl_name[impl], variant);
	j_str("setup", code_name(res));
	j_str("how", how[impl]);
	j_int("region_bytes", REGION);
	j_int("bytes_changed", changed);
	j_hex("word_before", load32(before + MUTEX_AT));
	j_hex("word_after", load32(r->s.region + MUTEX_AT));
	j_ms("exit_ms", ms);
	j_end();
	munmap(r, sizeof(*r));
}

/* ---- 7. a live owner's lock and a waiter in another PID namespace ---- */

/*
 * The owner is the first process of PID namespace A (TID 1 there) and
 * holds the lock; a waiter, the first process of namespace B (TID 1
 * there too), blocks on it and is SIGKILLed.  Its list_op_pending names
 * the mutex (a lock in progress); the word names TID 1.  Then a third
 * thread, here, tries the lock while the owner is still alive.
 */
struct pidns_arg {
	unsigned char m[64] __attribute__((aligned(64)));
	enum impl impl;
};

static int pidns_owner(void *arg)
{
	struct pidns_arg *p = arg;

	return mutex_lock(p->m, p->impl);
}

static int pidns_nothing(void *arg)
{
	return 0;
}

static void pidns_waiter(void *arg)
{
	struct pidns_arg *p = arg;

	mutex_lock(p->m, p->impl);	/* blocks: the owner lives */
}

static void pidns_case(enum impl impl)
{
	const char *variant = "owner alive, TID 1 of PID namespace A; "
			      "a waiter, TID 1 of namespace B, SIGKILLed";
	struct pidns_arg *p;
	uint32_t before, after;
	int res_a, res_b = 0, r = -1, i;
	bool alive = false;
	pid_t a, b = -1;

	if (!runs("pidns", impl, variant))
		return;
	p = map_shared(sizeof(*p), false);
	p->impl = impl;
	mutex_init(p->m, impl);
	a = spawn_pidns(pidns_owner, NULL, p, &res_a);
	if (a > 0 && !res_a)
		b = spawn_pidns(pidns_nothing, pidns_waiter, p, &res_b);
	if (b > 0 && !res_b) {
		/* Asleep in the lock, with WAITERS set (or the module's wait). */
		for (i = 0; i < 5000 && rf_proc_state(b) != 'S'; i++)
			usleep(1000);
		usleep(50000);
	}
	before = load32(p->m);
	if (b > 0)
		kill_reap(b);
	after = load32(p->m);
	if (a > 0 && !res_a && b > 0 && !res_b) {
		r = mutex_trylock(p->m, impl);
		alive = kill(a, 0) == 0 && rf_proc_state(a) != 'Z';
		if (r == EOWNERDEAD)
			mutex_consistent(p->m, impl);
		if (!r || r == EOWNERDEAD)
			mutex_unlock(p->m, impl);
	}
	if (a > 0)
		kill_reap(a);
	j_begin("pidns", impl_name[impl], variant);
	j_str("setup", a < 0 ? code_name(res_a) : res_a ? code_name(res_a) :
		       b < 0 || res_b ? code_name(res_b) : "0");
	j_hex("word_before", before);
	j_hex("word_after", after);
	j_str("third_locker", r < 0 ? "-" : code_name(r));
	j_int("owner_alive", alive);
	j_end();
	munmap(p, sizeof(*p));
}

/* ---- 8. the ml72 client itself ---- */

#define CHK_N		20000
#define CHK_THREADS	4

struct chk {
	ml72_mutex_t m[4];
	long counter;
	int ret, tid, locking;
	unsigned long syscalls;
	sem_t done;
};

static struct {
	int n, passed;
	char failed[512];
} chk;

static void check(bool ok, const char *name)
{
	chk.n++;
	if (ok) {
		chk.passed++;
		return;
	}
	snprintf(chk.failed + strlen(chk.failed),
		 sizeof(chk.failed) - strlen(chk.failed), "%s%s",
		 *chk.failed ? "; " : "", name);
	fprintf(stderr, "# compare: ml72 check failed: %s\n", name);
}

static void *chk_trylock_thread(void *arg)
{
	struct chk *c = arg;

	c->ret = ml72_trylock(&c->m[0]);
	return NULL;
}

static void chk_count(struct chk *c, long n)
{
	for (long i = 0; i < n; i++) {
		if (ml72_lock(&c->m[0]))
			__atomic_fetch_add(&c->ret, 1, __ATOMIC_RELAXED);
		c->counter++;
		if (ml72_unlock(&c->m[0]))
			__atomic_fetch_add(&c->ret, 1, __ATOMIC_RELAXED);
	}
}

static void *chk_count_thread(void *arg)
{
	struct chk *c = arg;

	chk_count(c, CHK_N);
	__atomic_fetch_add(&c->syscalls, ml72_unlock_syscalls(), __ATOMIC_RELAXED);
	return NULL;
}

static int chk_hold(void *arg)
{
	struct chk *c = arg;

	return ml72_lock(&c->m[0]) ?: ml72_lock(&c->m[1]) ?: ml72_lock(&c->m[2]);
}

static void *chk_waiter(void *arg)
{
	struct chk *c = arg;

	c->tid = gettid();
	__atomic_store_n(&c->locking, 1, __ATOMIC_SEQ_CST);
	c->ret = ml72_lock(&c->m[0]);
	if (c->ret == EOWNERDEAD)
		ml72_consistent(&c->m[0]);
	if (!c->ret || c->ret == EOWNERDEAD)
		ml72_unlock(&c->m[0]);
	sem_post(&c->done);
	return NULL;
}

static void ml72_check(void)
{
	const char *variant = "lock, unlock, contention, owner death";
	struct chk *c;
	struct robust_list_head *h;
	pthread_t th[CHK_THREADS];
	pid_t pid[2];
	int res, st, i, r;

	if (!runs("ml72_check", ML72, variant))
		return;
	c = map_shared(sizeof(*c), false);
	memset(&chk, 0, sizeof(chk));
	for (i = 0; i < 4; i++)
		ml72_init(&c->m[i]);
	h = ml72_head();

	/* One thread. */
	r = ml72_lock(&c->m[0]);
	check(!r && load32(&c->m[0].word) == (uint32_t)gettid() &&
	      h->list.next == (void *)&c->m[0].node && !h->list_op_pending,
	      "lock: the word holds the TID, the mutex is on the list");
	pthread_create(&th[0], NULL, chk_trylock_thread, c);
	pthread_join(th[0], NULL);
	check(c->ret == EBUSY, "trylock from another thread: EBUSY");
	r = ml72_unlock(&c->m[0]);
	check(!r && !load32(&c->m[0].word) && h->list.next == &h->list &&
	      !h->list_op_pending,
	      "unlock: word 0, list empty, nothing pending");
	check(ml72_unlock(&c->m[0]) == EPERM, "unlock when not the owner: EPERM");

	/* Threads, then processes, on one mutex. */
	c->counter = c->ret = 0;
	for (i = 0; i < CHK_THREADS; i++)
		pthread_create(&th[i], NULL, chk_count_thread, c);
	for (i = 0; i < CHK_THREADS; i++)
		pthread_join(th[i], NULL);
	check(!c->ret && c->counter == (long)CHK_THREADS * CHK_N,
	      "threads: mutual exclusion");
	c->counter = 0;
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			chk_count(c, CHK_N);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++)
		waitpid(pid[i], &st, 0);
	check(!c->ret && c->counter == 2L * CHK_N,
	      "processes: mutual exclusion");

	/* An owner killed holding three: the kernel's exit walk. */
	pid[0] = spawn(chk_hold, c, &res);
	kill_reap(pid[0]);
	r = 0;
	for (i = 0; i < 3; i++)
		r += (load32(&c->m[i].word) & OD) != 0;
	check(!res && r == 3, "owner killed holding 3: all marked OWNER_DIED");
	r = ml72_lock(&c->m[0]);
	check(r == EOWNERDEAD && !ml72_consistent(&c->m[0]) &&
	      !ml72_unlock(&c->m[0]) && !ml72_lock(&c->m[0]) &&
	      !ml72_unlock(&c->m[0]),
	      "lock after: EOWNERDEAD; consistent, unlock, lock again: 0");
	r = ml72_trylock(&c->m[1]);
	check(r == EOWNERDEAD && !ml72_unlock(&c->m[1]) &&
	      ml72_lock(&c->m[1]) == ENOTRECOVERABLE &&
	      ml72_trylock(&c->m[1]) == ENOTRECOVERABLE,
	      "unlocked without consistent: ENOTRECOVERABLE");
	r = ml72_trylock(&c->m[2]);
	if (r == EOWNERDEAD)
		ml72_consistent(&c->m[2]);
	if (!r || r == EOWNERDEAD)
		ml72_unlock(&c->m[2]);

	/* An owner killed while a waiter sleeps: the walk wakes it. */
	for (i = 0; i < 3; i++)
		ml72_init(&c->m[i]);
	sem_init(&c->done, 1, 0);
	c->locking = 0;
	pid[0] = spawn(chk_hold, c, &res);
	pthread_create(&th[0], NULL, chk_waiter, c);
	for (i = 0; i < 10000; i++) {
		if (__atomic_load_n(&c->locking, __ATOMIC_SEQ_CST) &&
		    rf_thread_asleep(c->tid))
			break;
		usleep(500);
	}
	kill_reap(pid[0]);
	r = wait_done(&c->done, CAP_MS);
	check(r && c->ret == EOWNERDEAD,
	      "owner killed, waiter asleep: woken with EOWNERDEAD");
	if (r)
		pthread_join(th[0], NULL);
	else
		pthread_detach(th[0]);

	j_begin("ml72_check", "ml72", variant);
	j_int("checks", chk.n);
	j_int("passed", chk.passed);
	j_str("failed", chk.failed);
	j_int("unlock_syscalls", c->syscalls);
	j_end();
	munmap(c, sizeof(*c));
}

/* ---- main ---- */

static void run_unlock_race(void)
{
	progress("unlock race (bug 14485): reused memory after a completed unlock");
	unlock_race(MAINLINE, "word=tid", 0);
	unlock_race(MAINLINE, "word=tid|waiters", WAITERS);
	unlock_race(RF, "word=tid", 0);
	unlock_race(RF, "word=tid|waiters", WAITERS);
	unlock_race(RF, "word=tid|releasing", RF_RELEASING);
	progress("unlock race, ml72: killed at each instruction after the release");
	unlock_race_ml72("word=tid", 0);
	unlock_race_ml72("word=tid|waiters", WAITERS);
}

static void run_lost_wakeup(void)
{
	progress("owner killed between release and wake, waiter asleep");
	lost_wakeup(MAINLINE, LW_RELEASED);
	lost_wakeup(RF, LW_RELEASED);
	lost_wakeup(ML72, LW_RELEASED);
	lost_wakeup(MAINLINE, LW_DEQUEUED);
	lost_wakeup(RF, LW_DEQUEUED);
	lost_wakeup(ML72, LW_DEQUEUED);
}

static void run_many_locks(void)
{
	progress("owner dies holding 3000 locks");
	many_locks(MAINLINE, 0);
	many_locks(RF, 10000);
	many_locks(ML72, 0);
	many_locks(RF, read_long(sysfs_param, "list_limit"));
}

static void run_lists(void)
{
	progress("32-bit list in a 64-bit process; two lists in one thread");
	for (int c = L32_MAINLINE; c <= L2_RF32; c++)
		lists(c);
	/* 7.2 registers nothing new: its column is the mainline one. */
	static const struct {
		const char *scenario;
		enum lists_case c;
		const char *why;
	} same[] = {
		{ "list32", L32_MAINLINE,
		  "7.2 adds no way to register a 32-bit list: set_robust_list() "
		  "takes the native head only (mainline column)" },
		{ "list32", L32_COMPAT,
		  "unchanged in 7.2 (mainline column): x86's compat entry; "
		  "arm64 has none for a 64-bit process" },
		{ "two_lists", L2_MAINLINE,
		  "unchanged in 7.2: one list per width and thread (mainline column)" },
		{ "two_lists", L2_COMPAT,
		  "unchanged in 7.2: a native and a compat list, x86 only "
		  "(mainline column)" },
	};
	for (unsigned int i = 0; i < sizeof(same) / sizeof(*same); i++)
		if (runs(same[i].scenario, ML72, lists_cases[same[i].c].how))
			not_applicable(same[i].scenario, ML72,
				       lists_cases[same[i].c].how, same[i].why);
}

static void run_bad_list(void)
{
	progress("circular list, list into unmapped memory");
	bad_list(MAINLINE, BAD_CYCLE, 0);
	bad_list(RF, BAD_CYCLE, 0);
	bad_list(ML72, BAD_CYCLE, 0);
	bad_list(RF, BAD_CYCLE, 1 << 24);
	bad_list(MAINLINE, BAD_UNMAPPED, 0);
	bad_list(RF, BAD_UNMAPPED, 0);
	bad_list(ML72, BAD_UNMAPPED, 0);
}

static void run_list32_race(void)
{
	progress("unlock race on a 32-bit list (an emulator's guest)");
	for (int i = 0; i < 2; i++) {
		const char *v = i ? "word=tid|waiters" : "word=tid";
		uint32_t extra = i ? WAITERS : 0;

		list32_race(MAINLINE, v, extra);
		list32_race(RF, v, extra);
		list32_race(ML72, v, extra);
	}
}

static void run_pidns(void)
{
	progress("a live owner's lock, a waiter with its TID in another PID namespace");
	pidns_case(MAINLINE);
	pidns_case(RF);
	pidns_case(ML72);
}

static void run_ml72_check(void)
{
	progress("the ml72 client: lock, unlock, contention, owner death");
	ml72_check();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} scen[] = {
		{ "unlock_race", run_unlock_race },
		{ "lost_wakeup", run_lost_wakeup },
		{ "many_locks", run_many_locks },
		{ "lists", run_lists },
		{ "bad_list", run_bad_list },
		{ "list32_race", run_list32_race },
		{ "pidns", run_pidns },
		{ "ml72_check", run_ml72_check },
	};
	const int n = sizeof(scen) / sizeof(*scen);
	int first = 1;

	if (argc > 2 && !strcmp(argv[1], "--only")) {
		memset(want, 0, sizeof(want));
		for (char *tok = strtok(argv[2], ","); tok; tok = strtok(NULL, ",")) {
			int i;

			for (i = 0; i < NR_IMPLS && strcmp(tok, impl_name[i]); i++)
				;
			if (i == NR_IMPLS)
				die(tok, EINVAL);
			want[i] = true;
		}
		first = 3;
	}
	if (want[RF] && access(RF_DEVICE_PATH, F_OK))
		die(RF_DEVICE_PATH " (load the module)", ENODEV);
	for (int i = 0; i < n; i++) {
		bool run = argc <= first;

		for (int a = first; a < argc; a++)
			run |= !strcmp(argv[a], scen[i].name);
		if (run)
			scen[i].fn();
	}
	return 0;
}
