// SPDX-License-Identifier: GPL-2.0
/*
 * Several typed robust lists per thread, walked when the thread dies or
 * execs.  Each test lets a child die
 * holding locks on lists it registered raw, then checks the futex words in
 * memory shared with the parent.  The registrations themselves (slots,
 * fork, another thread's lists, the module they pin): t_lists_registry.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>
#include "kselftest_harness.h"
#include "rf_lists.h"

#define OD	FUTEX_OWNER_DIED
#define W	FUTEX_WAITERS
#define LIMIT_PARAM "/sys/module/robustfutex/parameters/list_limit"
#define NATIVE	((int)sizeof(void *) * 8)

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

/* Does the kernel log contain @needle?  (Reads the whole ring buffer.) */
static int klog_has(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(10 /* SIZE_BUFFER */, NULL, 0);

	if (n <= 0 || n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	n = klogctl(3 /* READ_ALL */, buf, n);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

/* ---- two lists of different widths, held locks and bystanders ---- */

struct mixed {
	void *low;		/* below 4 GiB: 32-bit list and its locks */
	void *high;		/* anywhere: 64-bit list and its locks */
};

static int die_holding_mixed(void *arg)
{
	struct mixed *m = arg;
	struct tlist l32, l64;
	struct tlock *a = (void *)((char *)m->low + 64);
	struct tlock *b = (void *)((char *)m->high + 64);
	uint32_t tid = rf_gettid();
	int fd = rf_open(), i;

	tl_init(&l32, 32, m->low);
	tl_init(&l64, 64, m->high);
	for (i = 0; i < 3; i++) {
		a[i].word = tid | (i == 1 ? W : 0);
		b[i].word = tid | (i == 2 ? W : 0);
		tl_push(&l32, &a[i]);
		tl_push(&l64, &b[i]);
	}
	a[3].word = tid;	/* held but on no list: untouched */
	b[3].word = tid;
	a[4].word = 12345;	/* on the list, another owner: untouched */
	tl_push(&l32, &a[4]);
	if (tl_register(fd, &l32, RF_PROTO_MAINLINE) != 0)
		return 2;
	/* A 32-bit process has no 64-bit list (as set_robust_list2). */
	if (NATIVE == 32)
		return tl_register(fd, &l64, RF_PROTO_MAINLINE) == -EOPNOTSUPP ?
		       0 : 3;
	return tl_register(fd, &l64, RF_PROTO_MAINLINE) == 1 ? 0 : 2;
}

static void check_mixed(struct __test_metadata *_metadata, struct mixed *m)
{
	struct tlock *a = (void *)((char *)m->low + 64);
	struct tlock *b = (void *)((char *)m->high + 64);
	int i;

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(OD | (i == 1 ? W : 0), a[i].word) TH_LOG("32-bit lock %d", i);
		if (NATIVE == 64) {
			EXPECT_EQ(OD | (i == 2 ? W : 0), b[i].word) TH_LOG("64-bit lock %d", i);
		} else {
			EXPECT_EQ(0, b[i].word & OD);
		}
	}
	EXPECT_EQ(0, a[3].word & OD);
	EXPECT_NE(0, a[3].word);
	EXPECT_EQ(0, b[3].word & OD);
	EXPECT_EQ(12345, a[4].word);
}

TEST(two_widths_at_once)
{
	struct mixed m = { tl_map(4096, 1), tl_map(4096, 0) };
	long long walks = rf_stat("walks"), cycles = rf_stat("cycles");

	ASSERT_NE(NULL, m.low);
	ASSERT_NE(NULL, m.high);
	ASSERT_GT((1ULL << 32), (uintptr_t)m.low);
	ASSERT_EQ(0, tl_in_child(die_holding_mixed, &m));
	check_mixed(_metadata, &m);
	EXPECT_LE(walks + NATIVE / 32, rf_stat("walks"));
	EXPECT_EQ(cycles, rf_stat("cycles"));	/* well-formed lists */
}

/* ---- the lock only list_op_pending points at ---- */

static int die_pending(void *arg)
{
	struct tlist l;
	struct tlock *lk = (void *)((char *)arg + 64);
	int fd = rf_open();

	tl_init(&l, sizeof(void *) * 8, arg);
	lk->word = rf_gettid() | W;	/* acquired, not yet enqueued */
	tl_pending(&l, (uintptr_t)lk);
	return tl_register(fd, &l, RF_PROTO_MAINLINE) == 0 ? 0 : 2;
}

static int die_one_entry(void *arg)
{
	struct tlist l;
	struct tlock *lk = (void *)((char *)arg + 64);

	tl_init(&l, sizeof(void *) * 8, arg);
	lk->word = rf_gettid();
	tl_push(&l, lk);
	return tl_register(rf_open(), &l, RF_PROTO_MAINLINE) == 0 ? 0 : 2;
}

TEST(pending_only)
{
	void *mem = tl_map(4096, 0);
	struct tlock *lk = (void *)((char *)mem + 64);

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, tl_in_child(die_pending, mem));
	EXPECT_EQ(OD | W, lk->word);
}

/* One entry: the walk ends at the head, which is no cycle. */
TEST(one_entry_is_no_cycle)
{
	void *mem = tl_map(4096, 0);
	struct tlock *lk = (void *)((char *)mem + 64);
	long long cycles = rf_stat("cycles");

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, tl_in_child(die_one_entry, mem));
	EXPECT_EQ(OD, lk->word);
	EXPECT_EQ(cycles, rf_stat("cycles"));
}

/* ---- many held locks, default and raised limit ---- */

#define MANY 10000

static int die_holding_many(void *arg)
{
	struct tlist l;
	struct tlock *lk = (void *)((char *)arg + 64);
	uint32_t tid = rf_gettid();
	int fd = rf_open(), i;

	tl_init(&l, sizeof(void *) * 8, arg);
	for (i = 0; i < MANY; i++) {
		lk[i].word = tid;
		tl_push(&l, &lk[i]);
	}
	return tl_register(fd, &l, RF_PROTO_MAINLINE) == 0 ? 0 : 2;
}

static int count_od(struct tlock *lk, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += !!(lk[i].word & OD);
	return c;
}

TEST(many_locks_raised_limit)
{
	size_t len = 64 + MANY * sizeof(struct tlock);
	void *mem = tl_map(len, 0);
	long long limited = rf_stat("walks_limited");

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, write_file(LIMIT_PARAM, "1000000"));
	EXPECT_EQ(0, tl_in_child(die_holding_many, mem));
	ASSERT_EQ(0, write_file(LIMIT_PARAM, "2048"));
	EXPECT_EQ(MANY, count_od((void *)((char *)mem + 64), MANY));
	EXPECT_EQ(limited, rf_stat("walks_limited"));
	munmap(mem, len);
}

TEST(many_locks_default_limit)
{
	size_t len = 64 + MANY * sizeof(struct tlock);
	void *mem = tl_map(len, 0);
	long long limited = rf_stat("walks_limited");

	ASSERT_NE(NULL, mem);
	EXPECT_EQ(0, tl_in_child(die_holding_many, mem));
	/* Mainline stops silently at 2048; we stop there too, but say so. */
	EXPECT_EQ(2048, count_od((void *)((char *)mem + 64), MANY));
	EXPECT_EQ(limited + 1, rf_stat("walks_limited"));
	EXPECT_TRUE(klog_has("list walk stopped at list_limit=2048"));
	munmap(mem, len);
}

/* ---- malformed lists: the thread still exits, nothing hangs ---- */

enum bad_kind { BAD_CYCLE, BAD_UNMAPPED, BAD_UNALIGNED };

static int die_with_bad_list(void *arg)
{
	void **argv = arg;
	char *mem = argv[0];
	enum bad_kind kind = (enum bad_kind)(uintptr_t)argv[1];
	struct tlist l;
	struct tlock *lk = (void *)(mem + 64);
	uint32_t tid = rf_gettid();
	int fd = rf_open();

	tl_init(&l, sizeof(void *) * 8, mem);
	lk[0].word = tid;
	lk[1].word = tid;
	switch (kind) {
	case BAD_CYCLE:			/* head -> 0 -> 1 -> 0 -> ... */
		tl_push(&l, &lk[0]);
		tl_push(&l, &lk[1]);
		tl_put(l.width, &lk[0].node, (uintptr_t)&lk[1]);
		break;
	case BAD_UNMAPPED:		/* head -> 0 -> unmapped page */
		tl_push(&l, &lk[0]);
		tl_put(l.width, &lk[0].node,
		       (uintptr_t)(mem + sysconf(_SC_PAGESIZE)));
		break;
	case BAD_UNALIGNED:		/* futex word at node + 9 */
		tl_push(&l, &lk[0]);
		tl_put(l.width, tl_field(&l, 1), TLOCK_OFFSET + 1);
		break;
	}
	return tl_register(fd, &l, RF_PROTO_MAINLINE) == 0 ? 0 : 2;
}

static void bad_list(struct __test_metadata *_metadata, enum bad_kind kind,
		     const char *counter)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	char *mem = tl_map(2 * pg, 0);
	void *argv[2] = { mem, (void *)(uintptr_t)kind };
	long long before = rf_stat(counter);
	struct timespec t0, t1;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, munmap(mem + pg, pg));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, tl_in_child(die_with_bad_list, argv));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* A walk that never gave up on the list would hang: RF_HANG_MS bounds it. */
	EXPECT_LT(t1.tv_sec - t0.tv_sec, RF_HANG_MS / 1000)
		TH_LOG("the dying child took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	EXPECT_EQ(before + 1, rf_stat(counter));
	munmap(mem, pg);
}

TEST(circular_list)
{
	bad_list(_metadata, BAD_CYCLE, "cycles");
}

TEST(list_into_unmapped_memory)
{
	bad_list(_metadata, BAD_UNMAPPED, "faults");
}

TEST(unaligned_futex_word)
{
	bad_list(_metadata, BAD_UNALIGNED, "faults");
}

/* ---- exec processes and drops the lists ---- */

TEST(exec_recovers)
{
	char *mem = tl_map(4096, 0);
	struct tlock *lk = (void *)(mem + 64);
	struct tlist l;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, mem);
	pid = fork();
	if (pid == 0) {
		int fd = rf_open();

		tl_init(&l, sizeof(void *) * 8, mem);
		lk->word = rf_gettid() | W;
		tl_push(&l, lk);
		if (tl_register(fd, &l, RF_PROTO_MAINLINE) != 0)
			_exit(2);
		execl("/bin/sleep", "sleep", "120", (char *)NULL); /* killed */
		_exit(3);
	}
	/*
	 * Recovered while the exec'ed program still runs: an order.  It
	 * sleeps far longer than RF_HANG_MS, which only bounds a hang.
	 */
	RF_UNTIL(lk->word & OD, 10000);
	EXPECT_EQ(OD | W, lk->word);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("the exec'd program died: its exit, not the exec, recovered");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* ---- SIGKILL of a process with several registered threads ---- */

struct killed {
	char *mem;
	pthread_barrier_t *bar;
};

static void *hold_and_wait(void *arg)
{
	struct killed *k = arg;
	static int next;
	int i = __atomic_fetch_add(&next, 1, __ATOMIC_SEQ_CST);
	char *mem = k->mem + 512 * i;
	struct tlock *lk = (void *)(mem + 64);
	struct tlist l;

	tl_init(&l, sizeof(void *) * 8, mem);
	lk->word = rf_gettid() | W;
	tl_push(&l, lk);
	if (tl_register(rf_open(), &l, RF_PROTO_MAINLINE) != 0)
		lk->word = 0;
	pthread_barrier_wait(k->bar);
	pause();
	return NULL;
}

static int die_by_sigkill(void *arg)
{
	pthread_barrier_t bar;
	struct killed k = { arg, &bar };
	pthread_t th[3];
	int i;

	pthread_barrier_init(&bar, NULL, 4);
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, hold_and_wait, &k);
	pthread_barrier_wait(&bar);
	raise(SIGKILL);
	return 1;
}

TEST(sigkill_with_threads)
{
	char *mem = tl_map(4096, 0);
	int status, i;

	ASSERT_NE(NULL, mem);
	status = tl_in_child(die_by_sigkill, mem);
	EXPECT_TRUE(WIFSIGNALED(status));
	for (i = 0; i < 3; i++) {
		struct tlock *lk = (void *)(mem + 512 * i + 64);

		EXPECT_EQ(OD | W, lk->word) TH_LOG("thread %d", i);
	}
}

TEST_HARNESS_MAIN
