// SPDX-License-Identifier: GPL-2.0
/*
 * compare: the ml72 client itself (lock, unlock, contention, owner death),
 * so that the 7.2 column rests on a mutex that works.
 */
#include "compare.h"

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

	case_begin("ml72_check", "ml72", variant);
	json_int("checks", chk.n);
	json_int("passed", chk.passed);
	json_str("failed", chk.failed);
	json_int("unlock_syscalls", c->syscalls);
	json_end();
	munmap(c, sizeof(*c));
}

void run_ml72_check(void)
{
	progress("the ml72 client: lock, unlock, contention, owner death");
	ml72_check();
}
