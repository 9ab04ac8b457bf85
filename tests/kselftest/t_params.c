// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters changed while threads are registered, each way
 * (docs/module.md, "Parameters"):
 *  - max_lists bounds the slots a thread may take from now on, registered
 *    or not; a slot a thread holds stays replaceable, removable and
 *    walked whatever the limit became;
 *  - list_limit applies to every walk from the change on;
 *  - max_threads and max_threads_per_user decide new registrations only:
 *    lowering one never drops or refuses a registered thread's changes.
 * The children write the parameters themselves where the order matters,
 * so each step happens while their lists are registered.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"

#define OD	FUTEX_OWNER_DIED
#define NLISTS	16
#define NLOCKS	100

/* Shared with the children: NLISTS lists of NLOCKS locks each. */
struct mem {
	uint64_t heads[NLISTS][4];
	struct tlock locks[NLISTS][NLOCKS];
};

static int width(void)
{
	return sizeof(void *) * 8;
}

/* List @i holds its first @n locks, owned by the caller. */
static void hold(struct mem *m, struct tlist *l, int i, int n)
{
	int k;

	tl_init(l, width(), m->heads[i]);
	for (k = 0; k < n; k++) {
		m->locks[i][k].word = rf_gettid();
		tl_push(l, &m->locks[i][k]);
	}
}

static long set_at(int fd, struct tlist *l, int index)
{
	struct rf_list a = {
		.size = sizeof(a), .index = index, .width = l->width,
		.protocol = RF_PROTO_MAINLINE, .head = (uintptr_t)l->head,
	};
	long r = rf_ioc(fd, RF_IOC_SET_LIST, &a);

	return r < 0 ? r : a.index;
}

static long list_op(int fd, unsigned long cmd, int index, uint64_t *head)
{
	struct rf_list a = { .size = sizeof(a), .index = index };
	long r = rf_ioc(fd, cmd, &a);

	if (head)
		*head = a.head;
	return r;
}

static int dead(struct mem *m, int i, int k)
{
	return !!(m->locks[i][k].word & OD);
}

static int recovered(struct mem *m, int i)
{
	int k, n = 0;

	for (k = 0; k < NLOCKS; k++)
		n += dead(m, i, k);
	return n;
}

#define CHECK(cond, code) do { if (!(cond)) return (code); } while (0)

/*
 * Run @fn in a child with max_lists at @limit, restored after: the
 * child's exit code (0 when every step passed), or -1.
 */
static int with_max_lists(long limit, int (*fn)(void *), void *arg)
{
	long old = rf_param("max_lists");
	int status;

	if (rf_set_param("max_lists", limit))
		return -1;
	status = tl_in_child(fn, arg);
	rf_set_param("max_lists", old);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Holds slots 0-3 under max_lists=4, then lowers it to 2. */
static int lower_max_lists(void *arg)
{
	struct mem *m = arg;
	struct tlist l[5];
	uint64_t head;
	int fd = rf_open(), i;

	CHECK(fd >= 0, 1);
	for (i = 0; i < 5; i++)
		hold(m, &l[i], i, 1);
	for (i = 0; i < 4; i++)
		CHECK(set_at(fd, &l[i], i) == i, 2);
	CHECK(!rf_set_param("max_lists", 2), 3);
	/* A held slot above the limit stays the thread's own. */
	CHECK(set_at(fd, &l[4], 3) == 3, 4);
	CHECK(list_op(fd, RF_IOC_GET_LIST, 3, &head) == 0, 5);
	CHECK(head == (uintptr_t)l[4].head, 6);
	CHECK(list_op(fd, RF_IOC_REMOVE_LIST, 2, NULL) == 0, 7);
	/* A free one above it is not to be had. */
	CHECK(set_at(fd, &l[2], 2) == -EINVAL, 8);
	CHECK(list_op(fd, RF_IOC_GET_LIST, 2, NULL) == -EINVAL, 9);
	CHECK(tl_register(fd, &l[2], RF_PROTO_MAINLINE) == -ENOSPC, 10);
	/* Room below the limit is. */
	CHECK(list_op(fd, RF_IOC_REMOVE_LIST, 1, NULL) == 0, 11);
	CHECK(tl_register(fd, &l[1], RF_PROTO_MAINLINE) == 1, 12);
	return 0;	/* dies holding lists 0, 1 and 4 (in slot 3) */
}

TEST(lower_max_lists_keeps_held_slots)
{
	struct mem *m = tl_map(sizeof(*m), 0);
	int step;

	ASSERT_NE(NULL, m);
	step = with_max_lists(4, lower_max_lists, m);
	ASSERT_EQ(0, step) TH_LOG("step %d failed", step);
	EXPECT_TRUE(dead(m, 0, 0));
	EXPECT_TRUE(dead(m, 1, 0));
	EXPECT_TRUE(dead(m, 4, 0)) TH_LOG("slot 3 above the limit not walked");
	EXPECT_FALSE(dead(m, 3, 0)) TH_LOG("the replaced list was walked");
	EXPECT_FALSE(dead(m, 2, 0)) TH_LOG("the removed list was walked");
}

/* Holds slots 0 and 1 under max_lists=2, then raises it to 16. */
static int raise_max_lists(void *arg)
{
	struct mem *m = arg;
	struct tlist l[4];
	int fd = rf_open(), i;

	CHECK(fd >= 0, 1);
	for (i = 0; i < 4; i++)
		hold(m, &l[i], i, 1);
	CHECK(tl_register(fd, &l[0], RF_PROTO_MAINLINE) == 0, 2);
	CHECK(tl_register(fd, &l[1], RF_PROTO_MAINLINE) == 1, 3);
	CHECK(tl_register(fd, &l[2], RF_PROTO_MAINLINE) == -ENOSPC, 4);
	CHECK(set_at(fd, &l[3], 12) == -EINVAL, 5);
	CHECK(!rf_set_param("max_lists", 16), 6);
	CHECK(tl_register(fd, &l[2], RF_PROTO_MAINLINE) == 2, 7);
	CHECK(set_at(fd, &l[3], 12) == 12, 8);
	CHECK(list_op(fd, RF_IOC_GET_LIST, 15, NULL) == -ENOENT, 9);
	return 0;
}

TEST(raise_max_lists_reaches_registered_threads)
{
	struct mem *m = tl_map(sizeof(*m), 0);
	int step, i;

	ASSERT_NE(NULL, m);
	step = with_max_lists(2, raise_max_lists, m);
	ASSERT_EQ(0, step) TH_LOG("step %d failed", step);
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(dead(m, i, 0)) TH_LOG("list %d not walked", i);
}

/* Registers a list of NLOCKS held locks, then sets list_limit. */
static int change_list_limit(void *arg)
{
	struct mem *m = arg;
	struct tlist l;
	int fd = rf_open();

	CHECK(fd >= 0, 1);
	hold(m, &l, 0, NLOCKS);
	CHECK(tl_register(fd, &l, RF_PROTO_MAINLINE) == 0, 2);
	CHECK(!rf_set_param("list_limit", m->heads[1][0]), 3);
	return 0;
}

TEST(list_limit_applies_to_the_next_walk)
{
	struct mem *m = tl_map(sizeof(*m), 0);
	long old = rf_param("list_limit");
	int status;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, rf_set_param("list_limit", NLOCKS * 10));
	m->heads[1][0] = 10;			/* lowered after registering */
	status = tl_in_child(change_list_limit, m);
	EXPECT_EQ(0, status);
	EXPECT_EQ(10, recovered(m, 0));

	memset(m, 0, sizeof(*m));
	ASSERT_EQ(0, rf_set_param("list_limit", 10));
	m->heads[1][0] = NLOCKS * 10;		/* raised after registering */
	status = tl_in_child(change_list_limit, m);
	rf_set_param("list_limit", old);
	EXPECT_EQ(0, status);
	EXPECT_EQ(NLOCKS, recovered(m, 0));
}

struct reg_arg {
	int fd;
	long ret;
};

static void *register_fn(void *arg)
{
	static __thread uint64_t head[3];
	struct reg_arg *a = arg;
	struct tlist l;

	tl_init(&l, width(), head);
	a->ret = tl_register(a->fd, &l, RF_PROTO_MAINLINE);
	return NULL;
}

/* A new thread's first registration, in a thread of its own. */
static long new_thread_registers(int fd)
{
	struct reg_arg a = { .fd = fd };
	pthread_t th;

	if (pthread_create(&th, NULL, register_fn, &a))
		return -1000;
	pthread_join(th, NULL);
	return a.ret;
}

static int lower_max_threads(void *arg)
{
	struct mem *m = arg;
	long old = rf_param("max_threads");
	struct tlist l[2];
	int fd = rf_open(), ret = 0;

	CHECK(fd >= 0, 1);
	hold(m, &l[0], 0, 1);
	hold(m, &l[1], 1, 1);
	CHECK(tl_register(fd, &l[0], RF_PROTO_MAINLINE) == 0, 2);
	CHECK(!rf_set_param("max_threads", 1), 3);
	/* Registered: its own changes go on. */
	if (tl_register(fd, &l[1], RF_PROTO_MAINLINE) != 1)
		ret = 4;
	else if (set_at(fd, &l[0], 0) != 0)
		ret = 5;
	/* Nobody new. */
	else if (new_thread_registers(fd) != -ENOSPC)
		ret = 6;
	rf_set_param("max_threads", old);
	if (!ret && new_thread_registers(fd) < 0)
		ret = 7;
	return ret;
}

TEST(lower_max_threads_keeps_registered_threads)
{
	struct mem *m = tl_map(sizeof(*m), 0);
	int status;

	ASSERT_NE(NULL, m);
	status = tl_in_child(lower_max_threads, m);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed",
						  WEXITSTATUS(status));
	EXPECT_TRUE(dead(m, 0, 0));
	EXPECT_TRUE(dead(m, 1, 0));
}

/*
 * Per user: uid 65534 holds 3 registrations; the limit drops to 1 under
 * it (written by root, the test): the three go on, a fourth thread is
 * refused until the limit rises again.
 */
struct per_user {
	int up[2], down[2];
	struct mem m;
};

static void *blocker_fn(void *arg)
{
	struct reg_arg *a = arg;

	register_fn(a);
	a->fd = -1;		/* answered */
	pause();
	return NULL;
}

static int lower_per_user(void *arg)
{
	struct per_user *pu = arg;
	struct reg_arg a[2];
	struct tlist l;
	pthread_t th;
	int fd, i;
	char c;

	if (setgid(65534) || setuid(65534))
		return 1;
	fd = rf_open();
	CHECK(fd >= 0, 2);
	hold(&pu->m, &l, 0, 1);
	CHECK(tl_register(fd, &l, RF_PROTO_MAINLINE) == 0, 3);
	for (i = 0; i < 2; i++) {
		a[i].fd = fd;
		CHECK(!pthread_create(&th, NULL, blocker_fn, &a[i]), 4);
		CHECK(RF_UNTIL(a[i].fd == -1, 1000) && a[i].ret == 0, 5);
	}
	CHECK(write(pu->up[1], "l", 1) == 1, 6);	/* lower it */
	CHECK(read(pu->down[0], &c, 1) == 1, 7);
	CHECK(set_at(fd, &l, 0) == 0, 8);
	CHECK(set_at(fd, &l, 1) == 1, 9);
	CHECK(new_thread_registers(fd) == -ENOSPC, 10);
	CHECK(write(pu->up[1], "r", 1) == 1, 11);	/* raise it */
	CHECK(read(pu->down[0], &c, 1) == 1, 12);
	CHECK(new_thread_registers(fd) == 0, 13);
	return 0;
}

TEST(lower_and_raise_per_user)
{
	long old = rf_param("max_threads_per_user");
	struct per_user *pu = tl_map(sizeof(*pu), 0);
	int status, steps = 0;
	char c;
	pid_t pid;

	ASSERT_NE(NULL, pu);
	ASSERT_EQ(0, pipe(pu->up));
	ASSERT_EQ(0, pipe(pu->down));
	pid = fork();
	if (pid == 0)
		_exit(lower_per_user(pu));
	ASSERT_LT(0, pid);
	close(pu->up[1]);
	while (read(pu->up[0], &c, 1) == 1) {
		rf_set_param("max_threads_per_user", c == 'l' ? 1 : old);
		steps++;
		if (write(pu->down[1], &c, 1) != 1)
			break;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	rf_set_param("max_threads_per_user", old);
	EXPECT_EQ(2, steps);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed",
						  WEXITSTATUS(status));
	EXPECT_TRUE(dead(&pu->m, 0, 0));
}

/*
 * Under churn: threads take, replace and drop slots and exit while
 * max_lists swings between 1 and the hard maximum.  A slot a thread
 * holds is never refused to it, and the kernel log stays clean.
 */
static void *churn_fn(void *arg)
{
	uint64_t *heads = arg;
	struct tlist l[2];
	int fd = rf_open(), n = 0, bad = 0, k;
	long idx[2];

	tl_init(&l[0], width(), heads);
	tl_init(&l[1], width(), heads + 4);
	while (n++ < 300) {
		/* The second may land after max_lists rose: the slots grow. */
		for (k = 0; k < 2; k++) {
			idx[k] = tl_register(fd, &l[k], RF_PROTO_MAINLINE);
			bad += idx[k] < 0 && idx[k] != -ENOSPC;
		}
		for (k = 0; k < 2; k++) {
			if (idx[k] < 0)
				continue;
			bad += set_at(fd, &l[k], idx[k]) != idx[k];
			bad += !!list_op(fd, RF_IOC_REMOVE_LIST, idx[k], NULL);
		}
	}
	close(fd);
	return (void *)(long)bad;
}

static int churn(void *arg)
{
	uint64_t (*heads)[4] = arg;	/* two list heads a thread */
	pthread_t th[4];
	int round, i, bad = 0;
	void *r;

	for (round = 0; round < 5; round++) {
		for (i = 0; i < 4; i++)
			if (pthread_create(&th[i], NULL, churn_fn, heads[i * 2]))
				return 100;
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], &r);
			bad += (long)r;
		}
	}
	return bad > 99 ? 99 : bad;
}

TEST(max_lists_swings_under_churn)
{
	long old = rf_param("max_lists");
	void *heads = tl_map(4096, 0);
	int status, flips = 0;
	pid_t pid;

	ASSERT_NE(NULL, heads);
	pid = fork();
	if (pid == 0)
		_exit(churn(heads));
	ASSERT_LT(0, pid);
	while (waitpid(pid, &status, WNOHANG) == 0)
		rf_set_param("max_lists", flips++ & 1 ? 256 : 1);
	rf_set_param("max_lists", old);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%d refusals of a held slot",
						  WEXITSTATUS(status));
	TH_LOG("%d flips", flips);
}

TEST_HARNESS_MAIN
