// SPDX-License-Identifier: GPL-2.0
/*
 * LMDB (Debian's liblmdb) with writers SIGKILLed: its writer lock and
 * reader table are process-shared robust pthread mutexes in lock.mdb, so
 * under the preload they are the module's.  Run with and without it.
 *
 *	p_lmdb DIR kill		a writer dies inside a write transaction;
 *				another process writes, and reads back
 *	p_lmdb DIR torture SEC	writers in a loop, one SIGKILLed at random
 *				every few ms for SEC seconds: no hang (each
 *				wait is bounded), no committed value lost
 *
 * A hang is told by an order, not by the machine's speed: when commits
 * stop coming, the kills stop (a slow machine's writers may just not get
 * far before they die), and only writers left alone that still commit
 * nothing in HANG_S are hung.
 *
 * The parent keeps the environment open throughout, so that lock.mdb and
 * its mutexes survive the deaths (the first opener would reset them).
 */
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "p_tap.h"

#define WRITERS	3
#define SLOTS	64

static const char *dir;

static MDB_env *env_open(void)
{
	MDB_env *env;

	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 256 << 20) ||
	    mdb_env_open(env, dir, MDB_NOSYNC, 0644)) {
		printf("# mdb_env_open %s failed\n", dir);
		_exit(3);
	}
	return env;
}

static int put_u64(MDB_txn *txn, MDB_dbi dbi, const char *k, uint64_t v)
{
	MDB_val key = { strlen(k), (void *)k }, val = { sizeof(v), &v };

	return mdb_put(txn, dbi, &key, &val, 0);
}

/* 0 and *v, or MDB_NOTFOUND / an error. */
static int get_u64(MDB_txn *txn, MDB_dbi dbi, const char *k, uint64_t *v)
{
	MDB_val key = { strlen(k), (void *)k }, val;
	int rc = mdb_get(txn, dbi, &key, &val);

	if (!rc) {
		if (val.mv_size != sizeof(*v))
			return EILSEQ;
		memcpy(v, val.mv_data, sizeof(*v));
	}
	return rc;
}

/* One committed increment of "counter", with key "k<n>" = n beside it. */
static int increment(MDB_env *env, uint64_t *n)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	char k[32];
	uint64_t c = 0;
	int rc;

	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc)
		return rc;
	rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	if (!rc) {
		rc = get_u64(txn, dbi, "counter", &c);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	snprintf(k, sizeof(k), "k%llu", (unsigned long long)c + 1);
	if (!rc)
		rc = put_u64(txn, dbi, "counter", c + 1);
	if (!rc)
		rc = put_u64(txn, dbi, k, c + 1);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn);
	if (!rc)
		*n = c + 1;
	return rc;
}

/* Every key k1..k<counter> is there and right; the counter is returned. */
static int verify(MDB_env *env, uint64_t *counter)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	uint64_t c = 0, v, i;
	char k[32];
	int rc;

	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = mdb_dbi_open(txn, NULL, 0, &dbi) ?:
	     get_u64(txn, dbi, "counter", &c);
	for (i = 1; !rc && i <= c; i++) {
		snprintf(k, sizeof(k), "k%llu", (unsigned long long)i);
		rc = get_u64(txn, dbi, k, &v);
		if (!rc && v != i)
			rc = EILSEQ;
	}
	mdb_txn_abort(txn);
	*counter = c;
	return rc;
}

static int test_kill(void)
{
	MDB_env *env = env_open();
	MDB_txn *txn;
	MDB_dbi dbi;
	uint64_t n = 0, c = 0, v;
	int pfd[2], st, rc;
	char ch;
	pid_t pid;

	P_EQ(0, increment(env, &n), "lmdb: first commit");
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid == 0) {
		MDB_env *e = env_open();

		if (mdb_txn_begin(e, NULL, 0, &txn) ||
		    mdb_dbi_open(txn, NULL, 0, &dbi) ||
		    put_u64(txn, dbi, "uncommitted", 1))
			_exit(1);
		if (write(pfd[1], "w", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	P_CHECK(read(pfd[0], &ch, 1) == 1, "lmdb: a writer is inside a "
		"write transaction (holding the writer mutex)");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* Another process writes: it gets the writer mutex back. */
	pid = fork();
	if (pid == 0) {
		MDB_env *e = env_open();
		uint64_t m = 0;

		alarm(30);
		rc = increment(e, &m);
		mdb_env_close(e);
		_exit(rc == 0 && m == 2 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	P_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"lmdb: another process commits after the writer's death "
		"(status %#x)", st);
	P_EQ(0, increment(env, &n), "lmdb: and this one after it");
	P_CHECK(n == 3, "lmdb: counter is 3 (%llu)", (unsigned long long)n);
	P_EQ(0, verify(env, &c), "lmdb: read back");
	P_EQ(MDB_NOTFOUND, (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) ?:
			     mdb_dbi_open(txn, NULL, 0, &dbi) ?:
			     get_u64(txn, dbi, "uncommitted", &v)),
	     "lmdb: the dead writer's put is not there");
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}

/* Shared with the writers: what each committed last, and when. */
struct book {
	uint64_t committed[SLOTS];	/* by writer slot, last committed */
	uint64_t last_ns;		/* time of the last commit */
	int errors;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void writer(struct book *b, int slot)
{
	MDB_env *env = env_open();
	uint64_t n;
	int rc;

	for (;;) {
		rc = increment(env, &n);
		if (rc) {
			__atomic_fetch_add(&b->errors, 1, __ATOMIC_RELAXED);
			printf("# writer %d: %s\n", slot, mdb_strerror(rc));
			_exit(1);
		}
		__atomic_store_n(&b->committed[slot], n, __ATOMIC_RELEASE);
		__atomic_store_n(&b->last_ns, now_ns(), __ATOMIC_RELAXED);
	}
}

static pid_t spawn(struct book *b, int slot)
{
	pid_t pid = fork();

	if (pid == 0)
		writer(b, slot);
	return pid;
}

static int test_torture(int secs)
{
	MDB_env *env = env_open();
	struct book *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[WRITERS];
	uint64_t end, c = 0, max = 0, stall = 0, since;
	int i, st, kills = 0, slot = WRITERS, exited = 0, pauses = 0;

	b->last_ns = now_ns();
	for (i = 0; i < WRITERS; i++)
		pids[i] = spawn(b, i);
	end = now_ns() + secs * 1000000000ull;
	srand(getpid());
	while (now_ns() < end) {
		usleep(2000 + rand() % 40000);
		i = rand() % WRITERS;
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &st, 0);
		if (!WIFSIGNALED(st))
			exited++;
		kills++;
		pids[i] = spawn(b, slot++ % SLOTS);
		if ((int64_t)(now_ns() - __atomic_load_n(&b->last_ns,
							 __ATOMIC_RELAXED)) <
		    5000000000ll)
			continue;
		/* No commit for 5 s: no kills until one comes. */
		since = now_ns();
		pauses++;
		while (__atomic_load_n(&b->last_ns, __ATOMIC_RELAXED) < since &&
		       now_ns() - since < HANG_S * 1000000000ull)
			usleep(10000);
		if (__atomic_load_n(&b->last_ns, __ATOMIC_RELAXED) < since) {
			stall = 1;
			break;
		}
	}
	for (i = 0; i < WRITERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &st, 0);
	}
	P_CHECK(!stall, "lmdb torture: commits kept coming (%d times the "
		"kills paused for them; none in %d s without kills would be "
		"a hang)", pauses, HANG_S);
	P_CHECK(!exited && !b->errors, "lmdb torture: no writer failed "
		"(%d exited, %d errors)", exited, b->errors);
	P_EQ(0, verify(env, &c), "lmdb torture: every k1..k<counter> there");
	for (i = 0; i < SLOTS; i++)
		if (b->committed[i] > max)
			max = b->committed[i];
	P_CHECK(max <= c && c > 0, "lmdb torture: no committed increment "
		"lost (%d kills, counter %llu, highest commit recorded %llu)",
		kills, (unsigned long long)c, (unsigned long long)max);
	/* And it still takes writes. */
	P_EQ(0, increment(env, &c), "lmdb torture: a write after it");
	mdb_env_close(env);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: p_lmdb DIR kill|torture [SECONDS]\n");
		return 2;
	}
	dir = argv[1];
	p_start();
	alarm(argc > 3 ? atoi(argv[3]) + 90 : 90);
	if (!strcmp(argv[2], "kill"))
		test_kill();
	else
		test_torture(argc > 3 ? atoi(argv[3]) : 30);
	p_finish();
}
