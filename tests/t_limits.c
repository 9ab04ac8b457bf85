// SPDX-License-Identifier: GPL-2.0
/*
 * What one user can make the module hold, and what it cannot take from
 * another: registrations are charged to the caller's real uid and held to
 * max_threads_per_user, and to half of max_threads whatever that says.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"

#define PARAMS	"/sys/module/robustfutex/parameters/"

static long read_long(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtol(buf, NULL, 10);
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Threads of user @uid registered now, from /sys/kernel/robustfutex/users. */
static long user_threads(uid_t uid)
{
	FILE *f = fopen("/sys/kernel/robustfutex/users", "r");
	unsigned int u, n;
	long v = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%u %u", &u, &n) == 2)
		if (u == uid)
			v = n;
	fclose(f);
	return v;
}

/* Threads that register and then block, so their registrations stay. */
struct holder {
	int fd;
	int ready[2];
	int release[2];
};

/* Registers a list, as any robust-list user would (works on ABI 1 too). */
static void *hold_fn(void *arg)
{
	static __thread uintptr_t head[3];
	struct holder *h = arg;
	struct rf_list l = {
		.size = sizeof(l), .index = -1, .width = sizeof(void *) * 8,
		.protocol = RF_PROTO_MAINLINE, .head = (uintptr_t)head,
	};
	long r;
	char c;

	head[0] = (uintptr_t)head;
	r = rf_ioc(h->fd, RF_IOC_SET_LIST, &l);
	c = r >= 0 ? 'y' : (r == -ENOSPC ? 's' : 'e');

	if (write(h->ready[1], &c, 1) != 1)
		return NULL;
	if (c == 'y')
		read(h->release[0], &c, 1);
	return NULL;
}

/*
 * Fork a child of @uid that registers @n threads; each stays until the
 * child is killed.  Returns the child; *@ok and *@full say how many were
 * registered and how many were refused with ENOSPC.
 */
static pid_t user_registers(uid_t uid, int n, int *ok, int *full)
{
	int up[2], i;
	pid_t pid;
	char c;

	*ok = *full = 0;
	if (pipe(up))
		return -1;
	pid = fork();
	if (pid == 0) {
		static struct holder h;
		pthread_t th;

		if (setgid(uid) || setuid(uid))
			_exit(10);
		h.fd = rf_open();
		h.ready[1] = up[1];
		if (pipe(h.release))
			_exit(11);
		for (i = 0; i < n; i++)
			if (pthread_create(&th, NULL, hold_fn, &h))
				_exit(12);
		pause();
		_exit(0);
	}
	for (i = 0; i < n && read(up[0], &c, 1) == 1; i++) {
		*ok += c == 'y';
		*full += c == 's';
	}
	close(up[0]);
	close(up[1]);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

FIXTURE(limits) {
	long per_user, global;
};

FIXTURE_SETUP(limits)
{
	self->per_user = read_long(PARAMS "max_threads_per_user");
	self->global = read_long(PARAMS "max_threads");
	ASSERT_LT(0, self->per_user);
	ASSERT_LT(0, self->global);
}

FIXTURE_TEARDOWN(limits)
{
	write_long(PARAMS "max_threads_per_user", self->per_user);
	write_long(PARAMS "max_threads", self->global);
}

/* A fills its own limit; B still registers; root sees both; A is raised. */
TEST_F(limits, one_user_cannot_starve_another)
{
	pid_t a, b, a2;
	int ok, full;

	ASSERT_EQ(0, write_long(PARAMS "max_threads_per_user", 8));
	a = user_registers(65534, 10, &ok, &full);
	ASSERT_LT(0, a);
	EXPECT_EQ(8, ok);
	EXPECT_EQ(2, full);
	EXPECT_EQ(8, user_threads(65534));

	b = user_registers(65533, 3, &ok, &full);
	ASSERT_LT(0, b);
	EXPECT_EQ(3, ok) TH_LOG("another user must not be starved");
	EXPECT_EQ(3, user_threads(65533));
	EXPECT_EQ(8, user_threads(65534));

	/* Raised at run time, A may hold more. */
	ASSERT_EQ(0, write_long(PARAMS "max_threads_per_user", 12));
	a2 = user_registers(65534, 4, &ok, &full);
	EXPECT_EQ(4, ok);
	EXPECT_EQ(12, user_threads(65534));

	reap(a);
	reap(a2);
	reap(b);
	/* Freed with the threads (RCU-deferred: a grace period, however long). */
	RF_UNTIL(!user_threads(65534) && !user_threads(65533), 20000);
	EXPECT_EQ(0, user_threads(65534));
	EXPECT_EQ(0, user_threads(65533));
}

/* However high the per-user limit, one user gets half of max_threads. */
TEST_F(limits, global_backstop_is_shared)
{
	long base;
	pid_t a, b;
	int ok, full, i;

	/*
	 * Earlier tests' registrations are freed after an RCU grace period
	 * (some after a worker's teardown): let the count settle first, and
	 * leave B room even if a few are still on their way out.
	 */
	for (i = 0; i < 100 && read_long("/sys/kernel/robustfutex/threads"); i++)
		usleep(20000);
	base = read_long("/sys/kernel/robustfutex/threads");
	ASSERT_LE(0, base);
	ASSERT_EQ(0, write_long(PARAMS "max_threads_per_user", 1000));
	ASSERT_EQ(0, write_long(PARAMS "max_threads", base + 16));
	a = user_registers(65534, 16, &ok, &full);
	ASSERT_LT(0, a);
	EXPECT_GE((base + 16) / 2, ok) TH_LOG("one user took %d of %ld", ok,
					    base + 16);
	b = user_registers(65533, 2, &ok, &full);
	ASSERT_LT(0, b);
	EXPECT_LE(1, ok) TH_LOG("the backstop must leave room for others");
	reap(a);
	reap(b);
}

/*
 * A container's users are its creator's: uid 65534 creates a user
 * namespace with 100 ids mapped (as a rootless container runtime does with
 * subordinate ids), and two of them register 6 threads each.  They share
 * 65534's limit of 8, instead of getting 8 each.
 */
struct userns_result {
	volatile int ok, full, ready, err;
	volatile pid_t pids[2];
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), n = strlen(text);

	if (fd < 0)
		return -1;
	n = write(fd, text, n) == n ? 0 : -1;
	close(fd);
	return n;
}

TEST_F(limits, container_ids_share_their_creators_share)
{
	struct userns_result *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], status, k;
	char path[64];
	pid_t c;

	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, write_long(PARAMS "max_threads_per_user", 8));
	c = fork();
	if (c == 0) {
		pid_t in[2];
		char x;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (unshare(CLONE_NEWUSER)) {
			r->err = errno;
			r->ready = -1;
			_exit(11);
		}
		r->ready = 1;
		if (read(go[0], &x, 1) != 1)
			_exit(12);
		for (k = 0; k < 2; k++) {
			int ok, full;

			in[k] = user_registers(k + 1, 6, &ok, &full);
			r->pids[k] = in[k];
			__atomic_fetch_add(&r->ok, ok, __ATOMIC_RELAXED);
			__atomic_fetch_add(&r->full, full, __ATOMIC_RELAXED);
		}
		r->ready = 2;
		pause();
		_exit(0);
	}
	ASSERT_LT(0, c);
	while (!r->ready)
		usleep(1000);
	if (r->ready < 0) {
		kill(c, SIGKILL);
		waitpid(c, &status, 0);
		SKIP(return, "no user namespace for uid 65534: %s",
		     strerror(r->err));
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", c);
	ASSERT_EQ(0, write_file(path, "0 200000 100"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", c);
	ASSERT_EQ(0, write_file(path, "0 200000 100"));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_TRUE(RF_UNTIL(r->ready == 2, 1000))
		TH_LOG("the container's threads never all answered");
	EXPECT_EQ(8, r->ok) TH_LOG("subordinate ids multiplied the share");
	EXPECT_EQ(4, r->full);
	EXPECT_EQ(8, user_threads(65534));
	EXPECT_EQ(0, user_threads(200001));
	EXPECT_EQ(0, user_threads(200002));
	for (k = 0; k < 2; k++)
		if (r->pids[k] > 0)
			kill(r->pids[k], SIGKILL);
	kill(c, SIGKILL);
	waitpid(c, &status, 0);
}

/* Only root reads who uses the module. */
TEST(users_file_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat("/sys/kernel/robustfutex/users", &st));
	EXPECT_EQ(0400, st.st_mode & 0777);
}

TEST_HARNESS_MAIN
