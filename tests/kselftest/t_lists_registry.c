// SPDX-License-Identifier: GPL-2.0
/*
 * Registrations of typed robust lists: the slots of a thread, fork (which
 * does not inherit them), reading another thread's, and the module they
 * pin after the fd is closed.  The walk of the lists when the thread dies
 * or execs: t_lists_walk.c.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"

#define OD	FUTEX_OWNER_DIED
#define NATIVE	((int)sizeof(void *) * 8)

/* ---- fork does not inherit the lists ---- */

static int child_has_no_lists(void *arg)
{
	struct rf_list a = { .size = sizeof(a), .index = 0 };
	int fd = rf_open();

	return rf_ioc(fd, RF_IOC_GET_LIST, &a) == -ENOENT ? 0 : 1;
}

TEST(fork_does_not_inherit)
{
	char *mem = tl_map(4096, 0);
	struct tlock *lk = (void *)(mem + 64);
	struct rf_list a = { .size = sizeof(a), .index = 0 };
	struct tlist l;
	int fd = rf_open();

	ASSERT_NE(NULL, mem);
	tl_init(&l, sizeof(void *) * 8, mem);
	lk->word = rf_gettid();
	tl_push(&l, lk);
	ASSERT_EQ(0, tl_register(fd, &l, RF_PROTO_MAINLINE));
	EXPECT_EQ(0, tl_in_child(child_has_no_lists, NULL));
	/* The child's exit did not touch the parent's lock. */
	EXPECT_EQ((uint32_t)rf_gettid(), lk->word);
	EXPECT_EQ(0, rf_ioc(fd, RF_IOC_GET_LIST, &a));
	EXPECT_EQ((uintptr_t)mem, a.head);
	a.index = 0;
	EXPECT_EQ(0, rf_ioc(fd, RF_IOC_REMOVE_LIST, &a));
}

/* ---- slot management ---- */

TEST(slots_set_get_replace_remove)
{
	static char heads[20][24] __attribute__((aligned(8)));
	struct rf_list a;
	int fd = rf_open(), i;

	for (i = 0; i < 16; i++) {
		struct tlist l;

		tl_init(&l, NATIVE, heads[i]);
		ASSERT_EQ(i, tl_register(fd, &l, RF_PROTO_MAINLINE));
	}
	{
		struct tlist l;

		tl_init(&l, NATIVE, heads[16]);
		EXPECT_EQ(-ENOSPC, tl_register(fd, &l, RF_PROTO_MAINLINE));
	}
	/* Replace slot 3: new head, width and protocol. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.index = 3;
	a.width = 32;
	a.protocol = RF_PROTO_INTENT;
	a.head = (uintptr_t)heads[17];
	if ((uintptr_t)heads[17] < (1ULL << 32)) {
		EXPECT_EQ(0, rf_ioc(fd, RF_IOC_SET_LIST, &a));
		EXPECT_EQ(3, a.index);
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.index = 3;
		EXPECT_EQ(0, rf_ioc(fd, RF_IOC_GET_LIST, &a));
		EXPECT_EQ((uintptr_t)heads[17], a.head);
		EXPECT_EQ(32, a.width);
		EXPECT_EQ(RF_PROTO_INTENT, a.protocol);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.index = 3;
	EXPECT_EQ(0, rf_ioc(fd, RF_IOC_REMOVE_LIST, &a));
	EXPECT_EQ(-ENOENT, rf_ioc(fd, RF_IOC_GET_LIST, &a));
	EXPECT_EQ(-ENOENT, rf_ioc(fd, RF_IOC_REMOVE_LIST, &a));
	/* The freed slot is reused first. */
	{
		struct tlist l;

		tl_init(&l, NATIVE, heads[18]);
		EXPECT_EQ(3, tl_register(fd, &l, RF_PROTO_MAINLINE));
	}
	for (i = 0; i < 16; i++) {
		a.index = i;
		EXPECT_EQ(0, rf_ioc(fd, RF_IOC_REMOVE_LIST, &a));
	}
	EXPECT_EQ(-ENOENT, rf_ioc(fd, RF_IOC_GET_LIST, &a));
}

TEST(slots_bad_arguments)
{
	static uint64_t head[3];
	struct rf_list a, good = {
		.size = sizeof(a), .index = -1, .width = NATIVE,
		.protocol = RF_PROTO_MAINLINE, .head = (uintptr_t)head,
	};
	int fd = rf_open();

	a = good; a.width = 16;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.protocol = 7;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.flags = 1;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.head += 2;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.head = 0;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.index = 99;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.index = -2;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.size = 8;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.width = 32; a.head = 0xfffffff8;	/* runs past 4 GiB */
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.index = 0;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_GET_LIST, &(struct rf_list){
		.size = sizeof(a), .index = -1 }));
	EXPECT_EQ(-ENOENT, rf_ioc(fd, RF_IOC_GET_LIST, &a));
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_GET_LIST, &(struct rf_list){
		.size = sizeof(a), .index = 99 }));
	/* Nothing of the above registered the thread. */
	EXPECT_EQ(-ENOENT, rf_ioc(fd, RF_IOC_GET_LIST, &a));
}

/*
 * ---- reading another thread's lists ----
 * Stricter than get_robust_list() (whose LSM check a module cannot make):
 * own thread group, or CAP_SYS_PTRACE over the target.
 */

struct reader_arg {
	pid_t target;
	uid_t uid;
};

static int reader(void *arg)
{
	struct reader_arg *r = arg;
	struct rf_list a = { .size = sizeof(a), .index = 0 };
	int fd = rf_open();

	a.tid = r->target;
	if (setgid(r->uid) || setuid(r->uid))
		return 10;
	return -rf_ioc(fd, RF_IOC_GET_LIST, &a);
}

TEST(other_threads_lists)
{
	char *mem = tl_map(4096, 0);
	struct rf_list a = { .size = sizeof(a), .index = 0 };
	int fd = rf_open(), pipefd[2], status;
	char c;
	pid_t target;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, pipe(pipefd));
	target = fork();
	if (target == 0) {
		struct tlist l;

		if (setgid(1000) || setuid(1000))
			_exit(10);
		prctl(PR_SET_DUMPABLE, 1);
		tl_init(&l, NATIVE, mem);
		tl_register(rf_open(), &l, RF_PROTO_MAINLINE);
		write(pipefd[1], "r", 1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	/* Root (CAP_SYS_PTRACE) may read it. */
	a.tid = target;
	EXPECT_EQ(0, rf_ioc(fd, RF_IOC_GET_LIST, &a));
	EXPECT_EQ((uintptr_t)mem, a.head);
	/* Another unprivileged user may not, nor may the same uid. */
	status = tl_in_child(reader, &(struct reader_arg){ target, 2000 });
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	status = tl_in_child(reader, &(struct reader_arg){ target, 1000 });
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	kill(target, SIGKILL);
	waitpid(target, &status, 0);
	a.tid = target;		/* gone now */
	EXPECT_EQ(-ESRCH, rf_ioc(fd, RF_IOC_GET_LIST, &a));
}

/* ---- registrations pin the module; closing the fd does not drop them ---- */

static int module_refcnt(void)
{
	char buf[16] = "";
	int fd = open("/sys/module/robustfutex/refcnt", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	close(fd);
	return atoi(buf);
}

TEST(registration_outlives_fd_and_pins_module)
{
	char *mem = tl_map(4096, 0);
	struct tlock *lk = (void *)(mem + 64);
	int pipefd[2], status, base;
	char c;
	pid_t pid;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, pipe(pipefd));
	/*
	 * This process holds no fd and no registration.  Earlier tests' dead
	 * threads drop their references from RCU callbacks: let them settle.
	 */
	RF_UNTIL(module_refcnt() == 0, 10000);
	base = module_refcnt();
	ASSERT_EQ(0, base);
	pid = fork();
	if (pid == 0) {
		struct tlist l;
		int fd = rf_open();

		tl_init(&l, NATIVE, mem);
		lk->word = rf_gettid();
		tl_push(&l, lk);
		tl_register(fd, &l, RF_PROTO_MAINLINE);
		close(fd);
		write(pipefd[1], "r", 1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_EQ(base + 1, module_refcnt());
	EXPECT_EQ(-1, syscall(SYS_delete_module, "robustfutex", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_EQ(OD, lk->word);
	/* The reference goes with the walk (its RCU callback). */
	RF_UNTIL(module_refcnt() == base, 10000);
	EXPECT_EQ(base, module_refcnt());
}

TEST_HARNESS_MAIN
