// SPDX-License-Identifier: GPL-2.0
/*
 * The exit walk, where mainline's copes: a fault that never resolves
 * (userfaultfd nobody serves), many such walks at once, protection keys,
 * an OOM kill, exec from a non-leader thread, a real-time holder, many
 * threads dying at once.  In every case the dying process is reaped and
 * what could be recovered is.  "Promptly" is an order, not a time: reaped
 * while the traps are still unanswered, recovered while the exec'd
 * program still runs; RF_HANG_MS only bounds a hang (rf_test.h).
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>
#include "kselftest_harness.h"
#include "rf_lists.h"
#include <robustfutex.h>

#define NATIVE	((int)sizeof(void *) * 8)
#define OD	RF_FUTEX_OWNER_DIED

/*
 * Reap @pid; returns the milliseconds it took, or -1 if it was still not
 * reaped after RF_HANG_MS (a hang: it waits on something that never comes).
 */
static long long reap(pid_t pid)
{
	long long t0 = rf_now_ms();
	int status;

	if (!RF_UNTIL(waitpid(pid, &status, WNOHANG) == pid, 2000))
		return -1;
	return rf_now_ms() - t0;
}

/* A process-shared robust rf_mutex in shared anonymous memory. */
static rf_mutex_t *shared_mutex(void)
{
	rf_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rf_mutexattr_t a;

	if (m == MAP_FAILED)
		return NULL;
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	return rf_mutex_init(m, &a) ? NULL : m;
}

/* Send / receive one descriptor over a unix socket. */
static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'f';
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Private memory registered with a userfaultfd for missing pages, whose
 * descriptor goes to @sock's peer (a live process that never reads it):
 * any fault there waits for an answer that never comes.
 */
static void *uffd_trap(int sock, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (p == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		return NULL;
	reg.range.start = (uintptr_t)p;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) || send_fd(sock, uffd))
		return NULL;
	close(uffd);
	return p;
}

enum trap { TRAP_WORD, TRAP_NODE };

struct trapped {
	rf_mutex_t *m;		/* held on a normal list: must be recovered */
	int threads;		/* threads that each register a trapped list */
	enum trap where;
	int sock;
	volatile int ready;
};

/*
 * A raw intent list whose only entry has its futex word (TRAP_WORD) or its
 * node (TRAP_NODE) in the trap.  The walk must give up on it, not wait.
 */
static int trapped_list(struct trapped *t, char *trap)
{
	static __thread char head[64] __attribute__((aligned(8)));
	static __thread struct tlock lk;
	struct tlist l;
	int fd = rf_open();

	tl_init(&l, NATIVE, head);
	if (t->where == TRAP_WORD) {
		/* futex_offset reaches from the node into the trap. */
		tl_put(NATIVE, tl_field(&l, 1), (uintptr_t)trap - (uintptr_t)&lk);
		tl_push(&l, &lk);
	} else {
		/* The head points at a node in the trap; nothing writes it. */
		tl_put(NATIVE, tl_field(&l, 0), (uintptr_t)trap);
	}
	return tl_register(fd, &l, RF_PROTO_INTENT) < 0 ? -1 : 0;
}

static void *trapped_thread(void *arg)
{
	struct trapped *t = arg;
	char *trap = uffd_trap(t->sock, sysconf(_SC_PAGESIZE));

	if (!trap || trapped_list(t, trap))
		__atomic_store_n(&t->ready, -1000000, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->ready, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

/*
 * The child: holds t->m through the library, then starts t->threads
 * threads with trapped lists, and waits to be killed.
 */
static void trapped_child(struct trapped *t)
{
	pthread_t th;
	int i;

	if (t->m && rf_mutex_lock(t->m))
		_exit(1);
	for (i = 0; i < t->threads; i++)
		if (pthread_create(&th, NULL, trapped_thread, t))
			_exit(2);
	for (;;)
		pause();
}

typedef void (*meanwhile_fn)(struct __test_metadata *_metadata);

static void run_trapped(struct __test_metadata *_metadata, enum trap where,
			int threads, meanwhile_fn meanwhile)
{
	struct trapped *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int sv[2], *uffds, i, n = 0;
	long long took;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, t);
	t->m = shared_mutex();
	ASSERT_NE(NULL, t->m);
	t->threads = threads;
	t->where = where;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	t->sock = sv[1];
	uffds = calloc(threads, sizeof(int));
	pid = fork();
	if (pid == 0)
		trapped_child(t);
	ASSERT_LT(0, pid);
	/* Keep every trap's descriptor: a live holder that never answers. */
	for (i = 0; i < threads; i++) {
		uffds[i] = recv_fd(sv[0]);
		n += uffds[i] >= 0;
	}
	while (__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE) < threads &&
	       __atomic_load_n(&t->ready, __ATOMIC_ACQUIRE) >= 0)
		usleep(1000);
	ASSERT_EQ(threads, n);
	ASSERT_EQ(threads, t->ready) TH_LOG("a trapped list failed to register");

	kill(pid, SIGKILL);
	/* Reaped while every trap is still unanswered: nothing waits on one. */
	took = reap(pid);
	EXPECT_LE(0, took) TH_LOG("not reaped in %d s while its %d traps went unanswered: the walk waits on a trap",
				  RF_HANG_MS / 1000, threads);
	if (meanwhile)		/* while the traps are still unanswered */
		meanwhile(_metadata);
	/* Let a stuck walk go (the old module) so the test can end. */
	for (i = 0; i < threads; i++)
		if (uffds[i] >= 0)
			close(uffds[i]);
	if (took < 0)
		waitpid(pid, NULL, 0);
	else
		TH_LOG("reaped in %lld ms, its %d traps unanswered", took,
		       threads);
	/* The lock on a normal list is recovered all the same. */
	EXPECT_EQ(EOWNERDEAD, rf_mutex_trylock(t->m));
	free(uffds);
	close(sv[0]);
	close(sv[1]);
}

TEST(uffd_word_does_not_block_exit)
{
	run_trapped(_metadata, TRAP_WORD, 1, NULL);
}

TEST(uffd_node_does_not_block_exit)
{
	run_trapped(_metadata, TRAP_NODE, 1, NULL);
}

/*
 * 300 threads whose walks would each wait on a trap; while the traps are
 * still unanswered, another process's recovery must not queue behind them.
 * An order, not a time: a walk that waited on a trap would wait until the
 * traps are closed, after this returns, so the other process's reap and
 * recovery would never come before them.  How long they took (on a slow
 * machine, 300 threads' exits take a while) is only logged.
 */
static void other_recovers(struct __test_metadata *_metadata)
{
	rf_mutex_t *other = shared_mutex();
	long long t0, took;
	pid_t pid;

	ASSERT_NE(NULL, other);
	pid = fork();
	if (pid == 0) {
		if (rf_mutex_lock(other))
			_exit(1);
		for (;;)
			pause();
	}
	while (!(rf_mutex_word(other) & RF_OWNER_MASK))
		usleep(1000);
	t0 = rf_now_ms();
	kill(pid, SIGKILL);
	took = reap(pid);
	EXPECT_LE(0, took) TH_LOG("another process not reaped in %d s while the traps went unanswered: it queues behind the trapped walks",
				  RF_HANG_MS / 1000);
	EXPECT_EQ(EOWNERDEAD, rf_mutex_trylock(other))
		TH_LOG("another process's lock not recovered while the traps went unanswered");
	TH_LOG("other process reaped and recovered %lld ms after its kill, the traps still unanswered",
	       rf_now_ms() - t0);
}

TEST(many_trapped_walks_do_not_delay_others)
{
	run_trapped(_metadata, TRAP_WORD, 300, other_recovers);
}

/*
 * Protection keys: the list and the word in memory the dying thread had
 * made inaccessible to itself with its PKRU.  The kernel reads on its
 * behalf (as mainline's walk does), so it recovers.
 */
TEST(pkey_protected_list_and_word)
{
	struct shared {
		struct tlock lk;
		volatile int ready;
	} *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pkey, status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, s);
	pkey = pkey_alloc(0, 0);
	if (pkey < 0)
		SKIP(return, "no protection keys here (%s)", strerror(errno));
	pkey_free(pkey);
	pid = fork();
	if (pid == 0) {
		char *head = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd = rf_open(), k = pkey_alloc(0, 0);
		long id = rf_owner_of(fd);
		struct tlist l;

		if (head == MAP_FAILED || k < 0 || id <= 0)
			_exit(1);
		tl_init(&l, NATIVE, head);
		s->lk.word = id;
		tl_push(&l, &s->lk);
		if (tl_register(fd, &l, RF_PROTO_INTENT) < 0 ||
		    pkey_mprotect(head, 4096, PROT_READ | PROT_WRITE, k) ||
		    pkey_mprotect(s, 4096, PROT_READ | PROT_WRITE, k))
			_exit(2);
		s->ready = 1;
		pkey_set(k, PKEY_DISABLE_ACCESS);
		for (;;)
			pause();
	}
	while (!s->ready && waitpid(pid, &status, WNOHANG) == 0)
		usleep(1000);
	ASSERT_EQ(1, s->ready);
	kill(pid, SIGKILL);
	EXPECT_LE(0, reap(pid)) TH_LOG("not reaped in %d s", RF_HANG_MS / 1000);
	EXPECT_EQ(OD, s->lk.word) TH_LOG("word %#x", s->lk.word);
}

/* An OOM kill (memory cgroup limit): the victim's lock is recovered. */
TEST(oom_killed_holder)
{
	const char *cg = "/sys/fs/cgroup/rf-oom";
	rf_mutex_t *m = shared_mutex();
	char path[128];
	int status, fd;
	pid_t pid;

	ASSERT_NE(NULL, m);
	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    system("mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null"))
		SKIP(return, "no cgroup2");
	fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY);
	if (fd < 0 || write(fd, "+memory", 7) != 7)
		SKIP(return, "no memory controller");
	close(fd);
	mkdir(cg, 0755);
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, write(fd, "33554432", 8));	/* 32 MiB */
	close(fd);
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		write(fd, "0", 1);
		close(fd);
	}
	pid = fork();
	if (pid == 0) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", getpid());

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, buf, n) != n)
			_exit(1);
		if (rf_mutex_lock(m))
			_exit(2);
		for (;;) {	/* until the OOM killer comes */
			char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				_exit(3);
			memset(p, 1, 1 << 20);
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_EQ(EOWNERDEAD, rf_mutex_lock(m));
	rmdir(cg);
}

/*
 * exec from a thread that is not the leader: every other thread dies (the
 * leader among them) and the exec'ing thread's own lists are processed, as
 * mainline processes them at exec.  The new program keeps running: it
 * sleeps far longer than a lock waits here (RF_HANG_MS), so both locks
 * must come back while it runs, from the exec, not from its exit.
 */
struct execer {
	rf_mutex_t *a, *b;
	volatile int ready;
};

static void *exec_thread(void *arg)
{
	struct execer *e = arg;

	if (rf_mutex_lock(e->b))
		_exit(1);
	e->ready = 1;
	execl("/bin/sleep", "sleep", "120", (char *)NULL);	/* killed */
	_exit(2);
}

TEST(exec_from_non_leader)
{
	struct execer *e = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec dl;
	long long t0;
	pthread_t th;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, e);
	e->a = shared_mutex();
	e->b = shared_mutex();
	ASSERT_NE(NULL, e->a);
	ASSERT_NE(NULL, e->b);
	pid = fork();
	if (pid == 0) {
		if (rf_mutex_lock(e->a) ||
		    pthread_create(&th, NULL, exec_thread, e))
			_exit(1);
		for (;;)
			pause();
	}
	while (!e->ready && waitpid(pid, NULL, WNOHANG) == 0)
		usleep(1000);
	ASSERT_EQ(1, e->ready);
	t0 = rf_now_ms();
	dl = (struct timespec){ (t0 + RF_HANG_MS) / 1000,
				(t0 + RF_HANG_MS) % 1000 * 1000000 };
	/* Both recovered while the new program still runs. */
	EXPECT_EQ(EOWNERDEAD, rf_mutex_clocklock(e->a, CLOCK_MONOTONIC, &dl))
		TH_LOG("the dead leader's lock");
	EXPECT_EQ(EOWNERDEAD, rf_mutex_clocklock(e->b, CLOCK_MONOTONIC, &dl))
		TH_LOG("the exec'ing thread's lock: not processed at the exec");
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG))
		TH_LOG("the exec'd program died: its exit, not the exec, recovered");
	TH_LOG("both recovered %lld ms after the exec began, the program running",
	       rf_now_ms() - t0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A SCHED_FIFO holder killed: its lock is recovered. */
TEST(realtime_holder)
{
	rf_mutex_t *m = shared_mutex();
	struct sched_param sp = { .sched_priority = 10 };
	pid_t pid;

	ASSERT_NE(NULL, m);
	pid = fork();
	if (pid == 0) {
		if (sched_setscheduler(0, SCHED_FIFO, &sp) || rf_mutex_lock(m))
			_exit(1);
		for (;;)
			pause();
	}
	while (!(rf_mutex_word(m) & RF_OWNER_MASK) &&
	       waitpid(pid, NULL, WNOHANG) == 0)
		usleep(1000);
	ASSERT_NE(0, rf_mutex_word(m) & RF_OWNER_MASK);
	kill(pid, SIGKILL);
	EXPECT_LE(0, reap(pid)) TH_LOG("not reaped in %d s", RF_HANG_MS / 1000);
	EXPECT_EQ(EOWNERDEAD, rf_mutex_lock(m));
}

/*
 * SIGKILL sent to a thread that already runs its exit stays pending for
 * the rest of do_exit(), and GUP gives up at once in such a task (so it
 * is for a thread that exits while its process's group exit zaps it).  A
 * tracer holds the child at PTRACE_EVENT_EXIT (early in do_exit(), before
 * its address space goes) and kills it there; the child then reaches
 * exit_mm() with SIGKILL pending.  Mainline's walk, plain user access
 * inside exit_mm(), marks a held lock on a mapped page all the same; so
 * must ours, wherever it runs.
 */
static void *idle_fn(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

TEST(killed_again_while_exiting)
{
	struct exiting {
		uint64_t head[3];
		struct tlock lk;
		volatile int ready;
	} *s = tl_map(sizeof(*s), 0);
	int status, width = NATIVE;
	struct tlist l;
	pthread_t th;
	pid_t pid;

	ASSERT_NE(NULL, s);
	pid = fork();
	if (pid == 0) {
		tl_init(&l, width, s->head);
		s->lk.word = rf_gettid();
		tl_push(&l, &s->lk);
		if (tl_register(rf_open(), &l, RF_PROTO_MAINLINE) < 0)
			_exit(2);
		/*
		 * Another thread keeps the group alive: a group exit (the
		 * last thread's exit is one) drops any later signal.
		 */
		if (pthread_create(&th, NULL, idle_fn, NULL))
			_exit(3);
		s->ready = 1;
		raise(SIGSTOP);		/* the tracer attaches meanwhile */
		syscall(SYS_exit, 0);	/* stops at PTRACE_EVENT_EXIT */
		_exit(4);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(1, s->ready);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	/* Stops: the SIGCONT's, maybe; then the exit event. */
	for (;;) {
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSTOPPED(status));
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			break;
		ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, 0, 0));
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_LE(0, reap(pid)) TH_LOG("not reaped in %d s", RF_HANG_MS / 1000);
	/* As mainline marks it: the TID cleared, OWNER_DIED set. */
	EXPECT_EQ(OD, s->lk.word) TH_LOG("word %#x", s->lk.word);
}

/* 64 threads, each holding its own lock, die at once. */
#define MANY 64

struct many {
	rf_mutex_t m[MANY];
	volatile int held;
};

static void *many_fn(void *arg)
{
	struct many *s = arg;
	int i = __atomic_fetch_add(&s->held, 1, __ATOMIC_RELAXED);

	if (rf_mutex_lock(&s->m[i]))
		__atomic_fetch_add(&s->held, 1000, __ATOMIC_RELAXED);
	for (;;)
		pause();
	return NULL;
}

TEST(many_threads_die_at_once)
{
	struct many *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rf_mutexattr_t a;
	pthread_t th;
	int i, n = 0;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, s);
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(0, rf_mutex_init(&s->m[i], &a));
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < MANY; i++)
			if (pthread_create(&th, NULL, many_fn, s))
				_exit(1);
		for (;;)
			pause();
	}
	RF_UNTIL(({
		for (n = 0; n < MANY && (rf_mutex_word(&s->m[n]) & RF_OWNER_MASK); n++)
			;
		n == MANY;
	}), 1000);
	ASSERT_EQ(MANY, n);
	kill(pid, SIGKILL);
	EXPECT_LE(0, reap(pid)) TH_LOG("not reaped in %d s", RF_HANG_MS / 1000);
	for (i = 0, n = 0; i < MANY; i++)
		n += rf_mutex_trylock(&s->m[i]) == EOWNERDEAD;
	EXPECT_EQ(MANY, n);
}

TEST_HARNESS_MAIN
