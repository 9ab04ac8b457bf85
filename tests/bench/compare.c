// SPDX-License-Identifier: GPL-2.0
/*
 * compare: what happens when a robust-lock owner dies at the wrong moment,
 * under mainline (glibc's robust pthread mutex, glibc's list registered
 * with set_robust_list, the kernel's exit walk) and under robustfutex
 * (rf_mutex and lists registered through the module), in the same boot.
 *
 *   compare [SCENARIO...]     (default: all)
 *
 * Scenarios: unlock_race lost_wakeup many_locks lists bad_list.
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
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "../rf_test.h"
#include "robustfutex.h"

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

/* ---- the two mutexes ---- */

enum impl { MAINLINE, RF };
static const char *const impl_name[] = { "mainline", "rf" };

/* A pshared robust mutex of either kind at @m. */
static void mutex_init(void *m, enum impl impl)
{
	int r;

	if (impl == RF) {
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
	return impl == RF ? rf_mutex_lock(m) : pthread_mutex_lock(m);
}

static int mutex_trylock(void *m, enum impl impl)
{
	return impl == RF ? rf_mutex_trylock(m) : pthread_mutex_trylock(m);
}

static int mutex_unlock(void *m, enum impl impl)
{
	return impl == RF ? rf_mutex_unlock(m) : pthread_mutex_unlock(m);
}

static int mutex_consistent(void *m, enum impl impl)
{
	return impl == RF ? rf_mutex_consistent(m) :
			    pthread_mutex_consistent(m);
}

static size_t mutex_size(enum impl impl)
{
	return impl == RF ? sizeof(rf_mutex_t) : sizeof(pthread_mutex_t);
}

/*
 * The calling thread's list head, in mainline's layout for both: glibc's
 * (from get_robust_list; glibc registers it for every thread, also in a
 * fork child) or this library's (from the module; registered by the
 * thread's first rf_mutex_lock).
 */
static struct robust_list_head *list_head(enum impl impl)
{
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
 * Fork a child that runs @setup(@arg), reports its result and then waits
 * to be killed.  Returns the child's pid once it has reported, and its
 * result in *@res (0: the state is in place).
 */
static pid_t spawn(int (*setup)(void *), void *arg, int *res)
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
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(*res)) != sizeof(*res))
		*res = -EIO;
	close(pfd[0]);
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
	struct lw *s = map_shared(sizeof(*s), false);
	uint32_t word_at_kill;
	double blocked = -1;
	int res, i, status;
	pthread_t th;
	uint64_t t0;
	pid_t pid;

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
	j_begin("lost_wakeup", impl_name[impl],
		step == LW_RELEASED ? "released, wake not sent" :
				      "dequeued, not released");
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
	struct many s = { impl, map_shared(MANY * mutex_size(impl), false) };
	long limited = read_long(sysfs_stat, "walks_limited");
	long old = read_long(sysfs_param, "list_limit");
	int res, od = 0, eownerdead = 0, ebusy = 0;
	char variant[48];
	double ms;
	pid_t pid;

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
	if (impl == RF) {
		set_param("list_limit", old);
		snprintf(variant, sizeof(variant), "list_limit=%ld", limit);
	} else {
		snprintf(variant, sizeof(variant), "kernel ROBUST_LIST_LIMIT");
	}
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
	struct lists *l = map_shared(sizeof(*l), true);
	struct lists_arg a = { l, c };
	int res, recovered;
	char rets[64];
	double ms;
	pid_t pid;

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
	struct bad_arg *b = map_shared(sizeof(*b), false);
	long cycles = read_long(sysfs_stat, "cycles");
	long faults = read_long(sysfs_stat, "faults");
	long old = read_long(sysfs_param, "list_limit");
	char variant[64];
	int res;
	double ms;
	pid_t pid;

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
	snprintf(variant, sizeof(variant), "%s%s",
		 how == BAD_CYCLE ? "circular" : "next into unmapped memory",
		 impl == RF && limit ? ", list_limit=16777216" : "");
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

/* ---- main ---- */

static void run_unlock_race(void)
{
	progress("unlock race (bug 14485): reused memory after a completed unlock");
	unlock_race(MAINLINE, "word=tid", 0);
	unlock_race(MAINLINE, "word=tid|waiters", WAITERS);
	unlock_race(RF, "word=tid", 0);
	unlock_race(RF, "word=tid|waiters", WAITERS);
	unlock_race(RF, "word=tid|releasing", RF_RELEASING);
}

static void run_lost_wakeup(void)
{
	progress("owner killed between release and wake, waiter asleep");
	lost_wakeup(MAINLINE, LW_RELEASED);
	lost_wakeup(RF, LW_RELEASED);
	lost_wakeup(MAINLINE, LW_DEQUEUED);
	lost_wakeup(RF, LW_DEQUEUED);
}

static void run_many_locks(void)
{
	progress("owner dies holding 3000 locks");
	many_locks(MAINLINE, 0);
	many_locks(RF, 10000);
	many_locks(RF, read_long(sysfs_param, "list_limit"));
}

static void run_lists(void)
{
	progress("32-bit list in a 64-bit process; two lists in one thread");
	for (int c = L32_MAINLINE; c <= L2_RF32; c++)
		lists(c);
}

static void run_bad_list(void)
{
	progress("circular list, list into unmapped memory");
	bad_list(MAINLINE, BAD_CYCLE, 0);
	bad_list(RF, BAD_CYCLE, 0);
	bad_list(RF, BAD_CYCLE, 1 << 24);
	bad_list(MAINLINE, BAD_UNMAPPED, 0);
	bad_list(RF, BAD_UNMAPPED, 0);
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
	};
	const int n = sizeof(scen) / sizeof(*scen);

	if (access(RF_DEVICE_PATH, F_OK))
		die(RF_DEVICE_PATH " (load the module)", ENODEV);
	for (int i = 0; i < n; i++) {
		bool run = argc < 2;

		for (int a = 1; a < argc; a++)
			run |= !strcmp(argv[a], scen[i].name);
		if (run)
			scen[i].fn();
	}
	return 0;
}
