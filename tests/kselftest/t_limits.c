// SPDX-License-Identifier: GPL-2.0
/*
 * What one user can make the module hold, and what it cannot take from
 * another: registrations are charged to the caller's real uid in its user
 * namespace, and to each namespace's owner on the way up to the initial
 * one, each held to max_threads_per_user, and to half of max_threads
 * whatever that says; root in the initial namespace is not counted
 * against either (docs/budget.md).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"

/* The harness's fixture wrapper calls setjmp(); its own local is safe. */
#pragma GCC diagnostic ignored "-Wclobbered"

/* The initial user namespace's inode number (PROC_USER_INIT_INO). */
#define INIT_USERNS	0xEFFFFFFDU

/*
 * Threads charged to user @uid (as the initial namespace sees it) in the
 * user namespace with inode number @ns, from /sys/kernel/robustfutex/users:
 * "<uid> <threads> <userns inode>" a line.
 */
static long user_threads_in(uid_t uid, unsigned int ns)
{
	FILE *f = fopen("/sys/kernel/robustfutex/users", "r");
	unsigned int u, n, i;
	char line[128];
	long v = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u %u", &u, &n, &i) == 3 &&
		    u == uid && i == ns)
			v = n;
	fclose(f);
	return v;
}

/* Threads charged to @uid in the initial user namespace. */
static long user_threads(uid_t uid)
{
	return user_threads_in(uid, INIT_USERNS);
}

/* The inode number of @pid's user namespace, or 0. */
static unsigned int userns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	return stat(path, &st) ? 0 : (unsigned int)st.st_ino;
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
	self->per_user = rf_param("max_threads_per_user");
	self->global = rf_param("max_threads");
	ASSERT_LT(0, self->per_user);
	ASSERT_LT(0, self->global);
}

FIXTURE_TEARDOWN(limits)
{
	rf_set_param("max_threads_per_user", self->per_user);
	rf_set_param("max_threads", self->global);
}

/* A fills its own limit; B still registers; root sees both; A is raised. */
TEST_F(limits, one_user_cannot_starve_another)
{
	pid_t a, b, a2;
	int ok, full;

	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 8));
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
	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 12));
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
	for (i = 0; i < 100 && rf_stat("threads"); i++)
		usleep(20000);
	base = rf_stat("threads");
	ASSERT_LE(0, base);
	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 1000));
	ASSERT_EQ(0, rf_set_param("max_threads", base + 16));
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
 * subordinate ids), and two of them register 6 threads each.  Each is
 * also charged to 65534 in the initial namespace, so they share its limit
 * of 8 instead of getting 8 each.
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
	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 8));
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

/*
 * A container: a process that, as @uid, enters a new user namespace whose
 * uid and gid maps the test writes (as the runtime would), then registers
 * threads on request, as a user of the namespace, each held until the
 * container's process group is killed.
 */
struct box {
	pid_t pid;
	unsigned int ns;	/* its user namespace's inode number */
	int cmd, res;
};

struct box_req {
	uid_t uid;
	int n;
};

/* 0, or -1 and errno (the namespace could not be made: SKIP). */
static int box_start(struct box *b, uid_t uid, const char *map)
{
	int cmd[2], res[2], e = 0;
	char path[64], c;

	if (pipe(cmd) || pipe(res))
		return -1;
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		struct box_req q;
		int r[2];

		setpgid(0, 0);
		close(cmd[1]);
		close(res[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(10);
		e = unshare(CLONE_NEWUSER) ? errno : 0;
		if (write(res[1], &e, sizeof(e)) != sizeof(e) || e)
			_exit(11);
		if (read(cmd[0], &c, 1) != 1)
			_exit(12);
		while (read(cmd[0], &q, sizeof(q)) == sizeof(q)) {
			user_registers(q.uid, q.n, &r[0], &r[1]);
			if (write(res[1], r, sizeof(r)) != sizeof(r))
				_exit(13);
		}
		pause();
		_exit(0);
	}
	setpgid(b->pid, b->pid);
	close(cmd[0]);
	close(res[1]);
	b->cmd = cmd[1];
	b->res = res[0];
	if (read(b->res, &e, sizeof(e)) != sizeof(e))
		e = EIO;
	if (e) {
		errno = e;
		return -1;
	}
	b->ns = userns_of(b->pid);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", b->pid);
	if (write_file(path, map))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", b->pid);
	if (write_file(path, map))
		return -1;
	return write(b->cmd, "m", 1) == 1 ? 0 : -1;
}

/* Register @n threads as the container's @uid; returns how many got in. */
static int box_register(struct box *b, uid_t uid, int n, int *full)
{
	struct box_req q = { .uid = uid, .n = n };
	int r[2] = { -1, -1 };

	if (write(b->cmd, &q, sizeof(q)) != sizeof(q) ||
	    read(b->res, r, sizeof(r)) != sizeof(r))
		return -1;
	*full = r[1];
	return r[0];
}

static void box_stop(struct box *b)
{
	int status;

	if (b->pid <= 0)
		return;
	kill(-b->pid, SIGKILL);
	waitpid(b->pid, &status, 0);
	close(b->cmd);
	close(b->res);
	b->pid = 0;
}

/*
 * Two containers made by root (rootful Docker, Podman, systemd-nspawn,
 * LXC), each with its own id range, and host root: none of the three
 * can take another's share, though the per-user limit holds inside each.
 */
static void two_boxes(struct __test_metadata *_metadata, const char *map_a,
		      const char *map_b, uid_t host_a, uid_t host_b)
{
	struct box a = { 0 }, b = { 0 };
	int ok, full;
	pid_t h;

	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 4));
	if (box_start(&a, 0, map_a)) {
		box_stop(&a);
		SKIP(return, "no user namespace: %s", strerror(errno));
	}
	ASSERT_EQ(0, box_start(&b, 0, map_b));
	EXPECT_NE(a.ns, b.ns);

	EXPECT_EQ(4, box_register(&a, 0, 4, &full));
	EXPECT_EQ(0, box_register(&a, 0, 1, &full));
	EXPECT_EQ(1, full) TH_LOG("the per-user limit must hold inside");
	EXPECT_EQ(4, user_threads_in(host_a, a.ns));

	EXPECT_EQ(4, box_register(&b, 0, 4, &full))
		TH_LOG("one container took another's share");
	EXPECT_EQ(0, full);
	EXPECT_EQ(4, user_threads_in(host_b, b.ns));

	h = user_registers(0, 4, &ok, &full);
	ASSERT_LT(0, h);
	EXPECT_EQ(4, ok) TH_LOG("containers took host root's share");
	EXPECT_EQ(0, full);

	reap(h);
	box_stop(&a);
	box_stop(&b);
	RF_UNTIL(!user_threads_in(host_a, a.ns) &&
		 !user_threads_in(host_b, b.ns), 20000);
	EXPECT_EQ(0, user_threads_in(host_a, a.ns));
	EXPECT_EQ(0, user_threads_in(host_b, b.ns));
}

TEST_F(limits, two_containers_of_root_do_not_share)
{
	two_boxes(_metadata, "0 100000 1000", "0 300000 1000", 100000, 300000);
}

/* The same, with both containers mapping the same host ids (identity). */
TEST_F(limits, two_identity_containers_do_not_share)
{
	two_boxes(_metadata, "0 0 1000", "0 0 1000", 0, 0);
}

/* Root in the initial namespace is not held to a per-user count. */
TEST_F(limits, root_is_not_counted)
{
	int ok, full;
	pid_t h;

	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 2));
	h = user_registers(0, 5, &ok, &full);
	ASSERT_LT(0, h);
	EXPECT_EQ(5, ok);
	EXPECT_EQ(0, full);
	reap(h);
}

/*
 * An unprivileged user's namespaces are all charged to it: uid 65534 makes
 * two, each mapping 0 to 200000; 4 threads in the first fill 65534's share
 * of 4, so the second's first thread is refused.
 */
TEST_F(limits, second_namespace_gets_no_fresh_share)
{
	struct box n1 = { 0 }, n2 = { 0 };
	int full;

	/* An earlier test's registrations are freed after a grace period. */
	RF_UNTIL(!user_threads(65534), 20000);
	ASSERT_EQ(0, user_threads(65534));
	ASSERT_EQ(0, rf_set_param("max_threads_per_user", 4));
	if (box_start(&n1, 65534, "0 200000 100")) {
		box_stop(&n1);
		SKIP(return, "no user namespace for uid 65534: %s",
		     strerror(errno));
	}
	ASSERT_EQ(0, box_start(&n2, 65534, "0 200000 100"));
	EXPECT_EQ(4, box_register(&n1, 0, 4, &full));
	EXPECT_EQ(0, full);
	EXPECT_EQ(0, box_register(&n2, 0, 1, &full))
		TH_LOG("a second namespace got a share of its own");
	EXPECT_EQ(1, full);
	EXPECT_EQ(4, user_threads(65534));
	EXPECT_EQ(4, user_threads_in(200000, n1.ns));
	EXPECT_EQ(0, user_threads_in(200000, n2.ns));
	box_stop(&n1);
	box_stop(&n2);
	RF_UNTIL(!user_threads(65534), 20000);
	EXPECT_EQ(0, user_threads(65534));
}

/* Only root reads who uses the module. */
TEST(users_file_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat("/sys/kernel/robustfutex/users", &st));
	EXPECT_EQ(0400, st.st_mode & 0777);
}

TEST_HARNESS_MAIN
