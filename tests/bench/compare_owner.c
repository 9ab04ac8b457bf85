// SPDX-License-Identifier: GPL-2.0
/*
 * compare: owners that die at the wrong moment: between release and wake
 * with a waiter asleep, holding 3,000 locks, with a corrupt list, and a
 * waiter with the owner's TID in another PID namespace.
 */
#include "compare.h"

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
	case_begin("lost_wakeup", impl_name[impl], variant);
	json_str("setup", code_name(res));
	json_hex32("word_at_kill", word_at_kill);
	if (blocked < 0) {
		json_str("outcome", "still blocked");
		json_int("blocked_ms", CAP_MS);
	} else {
		json_str("outcome", code_name(s->ret));
		json_ms("blocked_ms", blocked);
	}
	json_end();
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
	case_begin("many_locks", impl_name[impl], variant);
	json_str("setup", code_name(res));
	json_int("held", MANY);
	json_int("owner_died_words", od);
	json_int("trylock_eownerdead", eownerdead);
	json_int("trylock_ebusy", ebusy);
	if (impl == RF)
		json_int("walks_limited_delta",
			 read_long(sysfs_stat, "walks_limited") - limited);
	json_ms("exit_ms", ms);
	json_end();
	munmap(s.base, MANY * mutex_size(impl));
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
	case_begin("bad_list", impl_name[impl], variant);
	json_str("setup", code_name(res));
	json_str("exit", "completed");
	json_ms("exit_ms", ms);
	json_int("held", 2);
	json_int("recovered", !!(load32(b->m[0]) & OD) + !!(load32(b->m[1]) & OD));
	if (impl == RF) {
		json_int("cycles_delta", read_long(sysfs_stat, "cycles") - cycles);
		json_int("faults_delta", read_long(sysfs_stat, "faults") - faults);
	}
	json_end();
	munmap(b, sizeof(*b));
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
	case_begin("pidns", impl_name[impl], variant);
	json_str("setup", a < 0 ? code_name(res_a) : res_a ? code_name(res_a) :
			  b < 0 || res_b ? code_name(res_b) : "0");
	json_hex32("word_before", before);
	json_hex32("word_after", after);
	json_str("third_locker", r < 0 ? "-" : code_name(r));
	json_int("owner_alive", alive);
	json_end();
	munmap(p, sizeof(*p));
}

void run_lost_wakeup(void)
{
	progress("owner killed between release and wake, waiter asleep");
	lost_wakeup(MAINLINE, LW_RELEASED);
	lost_wakeup(RF, LW_RELEASED);
	lost_wakeup(ML72, LW_RELEASED);
	lost_wakeup(MAINLINE, LW_DEQUEUED);
	lost_wakeup(RF, LW_DEQUEUED);
	lost_wakeup(ML72, LW_DEQUEUED);
}

void run_many_locks(void)
{
	progress("owner dies holding 3000 locks");
	many_locks(MAINLINE, 0);
	many_locks(RF, 10000);
	many_locks(ML72, 0);
	many_locks(RF, read_long(sysfs_param, "list_limit"));
}

void run_bad_list(void)
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

void run_pidns(void)
{
	progress("a live owner's lock, a waiter with its TID in another PID namespace");
	pidns_case(MAINLINE);
	pidns_case(RF);
	pidns_case(ML72);
}
