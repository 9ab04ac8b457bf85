// SPDX-License-Identifier: GPL-2.0
/*
 * The first registration in a process with many mappings, under a
 * profiler's timer.  The mm's first interval notifier takes every lock of
 * the mm (mm_take_all_locks(), O(mappings)) and gives up on any pending
 * signal; the ioctl then restarts from scratch.  With 60,000 mappings and
 * a 1 kHz ITIMER_REAL (a sampling profiler) it restarted forever.  The
 * module primes such an mm in a worker instead, once, and the thread
 * waits for it interruptibly (module/mm.c).
 *
 * Each case runs in a forked child (a fresh mm with no notifier yet); the
 * parent waits for its answer RF_HANG_MS, a bound only a hang reaches, and
 * kills it otherwise.  Nothing here judges how fast the registration is:
 * the times are printed for the record only.  60,000 one-page mappings
 * are 240 MiB of address space, within a 32-bit process's too (the
 * default vm.max_map_count is 65530), so the count is the same both ways.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"

/*
 * Making 60,000 mappings is bounded by SETUP_MS (100 s), a hang bound: the
 * harness's own timeout for each test must come after it and the
 * registration's RF_HANG_MS, or a slow machine would fail on speed.  The
 * runner's limit for a whole program (guest-suite.sh) is later still.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	150

/* The harness's test wrapper calls setjmp(); our locals are safe. */
#pragma GCC diagnostic ignored "-Wclobbered"

/*
 * 60,000, except on the project's debug kernel (KASAN, lockdep, RT under
 * TCG), where making one mapping costs some hundred times more and 60,000
 * would not be made within the harness's timeout.  6,000 still take
 * about 0.2 s to prime there, with some 120 timer signals arriving.
 */
static long many(void)
{
	static long n;
	struct utsname u;

	if (!n)
		n = !uname(&u) && strstr(u.release, "-rfdebug") ? 6000 : 60000;
	return n;
}
#define MANY	many()

struct result {
	long ret, ret2;		/* first and second thread's registration */
	long long us, us2;	/* how long each took */
	long maps;		/* mappings the child had */
	long signals;		/* timer signals handled during the first */
};

static volatile long ticks;

static void on_tick(int sig)
{
	ticks++;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Lines in /proc/self/maps. */
static long count_maps(void)
{
	char buf[65536];
	long n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* @n one-page mappings, alternating protections so that none merge. */
static int make_maps(int n)
{
	for (int i = 0; i < n; i++) {
		int prot = i & 1 ? PROT_READ | PROT_WRITE : PROT_READ;

		if (mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0) == MAP_FAILED)
			return -1;
	}
	return 0;
}

static int start_timer(void)
{
	struct sigaction sa = { .sa_handler = on_tick, .sa_flags = SA_RESTART };
	struct itimerval it = {
		.it_interval = { .tv_usec = 1000 },
		.it_value = { .tv_usec = 1000 },
	};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

struct second {
	int fd;
	long ret;
	long long us;
};

/* The second thread takes the timer's signals: the first blocks them. */
static void *second_fn(void *arg)
{
	struct second *s = arg;
	sigset_t set;
	long long t0;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	t0 = now_us();
	s->ret = rf_owner_of(s->fd);
	s->us = now_us() - t0;
	return NULL;
}

/*
 * The child: @maps mappings, the timer if @timer, a first registration,
 * a second thread's if @second; the result goes to @wfd.  @ready, if not
 * negative, is told just before the first registration.
 */
static void child(int wfd, int ready, int maps, int timer, int second)
{
	struct result res = { 0 };
	int fd = rf_open();
	long long t0;

	if (fd < 0 || make_maps(maps))
		_exit(2);
	res.maps = count_maps();
	if (timer && start_timer())
		_exit(3);
	if (ready >= 0 && write(ready, "r", 1) != 1)
		_exit(4);
	t0 = now_us();
	res.ret = rf_owner_of(fd);
	res.us = now_us() - t0;
	res.signals = ticks;
	if (second) {
		struct second s = { .fd = fd };
		pthread_t th;
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGALRM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		if (pthread_create(&th, NULL, second_fn, &s))
			_exit(5);
		pthread_join(th, NULL);
		res.ret2 = s.ret;
		res.us2 = s.us;
	}
	if (write(wfd, &res, sizeof(res)) != sizeof(res))
		_exit(6);
	_exit(0);
}

/* Read @len bytes from @fd within @ms; 0 on a hang or short read. */
static int read_within(int fd, void *buf, size_t len, long long ms)
{
	long long end = rf_now_ms() + ms;
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = end - rf_now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return 0;
		r = read(fd, (char *)buf + got, len - got);
		if (r <= 0)
			return 0;
		got += r;
	}
	return 1;
}

static int read_bounded(int fd, void *buf, size_t len)
{
	return read_within(fd, buf, len, RF_HANG_MS);
}

/*
 * Making the mappings is not what is judged, and takes long on a debug
 * kernel: a bound of its own, which only a hang reaches either.
 */
#define SETUP_MS	(5 * RF_HANG_MS)

/*
 * Run one case; 1 if the child answered within the hang bound (then *@res
 * holds its answer), 0 if it was killed for hanging or failed to set up.
 */
static int run(struct __test_metadata *_metadata, struct result *res,
	       int maps, int timer, int second)
{
	int p[2], r[2], status, ok;
	pid_t pid;
	char c;

	if (pipe(p))
		return 0;
	if (pipe(r)) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(r[0]);
		child(p[1], r[1], maps, timer, second);
	}
	close(p[1]);
	close(r[1]);
	if (pid < 0) {
		close(p[0]);
		close(r[0]);
		return 0;
	}
	ok = read_within(r[0], &c, 1, SETUP_MS) &&
	     read_bounded(p[0], res, sizeof(*res));
	close(p[0]);
	close(r[0]);
	if (!ok)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!ok)
		TH_LOG("%d mappings%s: no answer in %d s (status %#x)", maps,
		       timer ? ", 1 kHz timer" : "", RF_HANG_MS / 1000, status);
	return ok;
}

static void check(struct __test_metadata *_metadata, int maps, int timer,
		  int second)
{
	struct result res;

	ASSERT_TRUE(run(_metadata, &res, maps, timer, second));
	EXPECT_LT(0, res.ret) TH_LOG("first registration: %s",
				     strerror(-res.ret));
	EXPECT_LE(maps, res.maps);
	TH_LOG("%ld mappings%s: first registration %lld us (%ld signals)",
	       res.maps, timer ? ", 1 kHz timer" : "", res.us, res.signals);
	if (second) {
		EXPECT_LT(0, res.ret2) TH_LOG("second thread: %s",
					      strerror(-res.ret2));
		EXPECT_NE(res.ret, res.ret2);
		TH_LOG("second thread: %lld us", res.us2);
	}
}

/* Times for the record: no timer. */
TEST(times_1)		{ check(_metadata, 1, 0, 0); }
TEST(times_1000)	{ check(_metadata, 1000, 0, 0); }
TEST(times_60000)	{ check(_metadata, MANY, 0, 0); }

/* Under a 1 kHz ITIMER_REAL, then a second thread under the same timer. */
TEST(timer_1)		{ check(_metadata, 1, 1, 1); }
TEST(timer_1000)	{ check(_metadata, 1000, 1, 1); }

/* However often it restarted, the mm was primed at most once. */
static void check_primes(struct __test_metadata *_metadata, long long before)
{
	long long primed;

	if (before < 0)		/* a module without the counter */
		return;
	primed = rf_stat("mm_primes") - before;
	EXPECT_GE(1, primed);
	TH_LOG("primes started: %lld", primed);
}

TEST(timer_60000)
{
	long long before = rf_stat("mm_primes");

	check(_metadata, MANY, 1, 1);
	check_primes(_metadata, before);
}

/*
 * A child that makes MANY mappings, starts the timer and registers; its
 * pid once it has made them, with @p and @r its pipes (the parent's ends
 * left open), or -1.
 */
static pid_t start_primer(int p[2], int r[2])
{
	pid_t pid;
	char c;

	if (pipe(p) || pipe(r))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(r[0]);
		child(p[1], r[1], MANY, 1, 0);
	}
	close(p[1]);
	close(r[1]);
	if (pid > 0 && !read_within(r[0], &c, 1, SETUP_MS)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/*
 * Killed while its mm is being primed: it dies within the bound (the wait
 * for the worker is interruptible) and its registration leaves nothing.
 */
TEST(killed_while_priming)
{
	int p[2], r[2], status, i;
	long long t0;
	pid_t pid;

	for (i = 0; i < 3; i++) {
		pid = start_primer(p, r);
		ASSERT_LT(0, pid);
		usleep(i * 20000);	/* 0, 20, 40 ms into it */
		kill(pid, SIGKILL);
		t0 = rf_now_ms();
		while (waitpid(pid, &status, WNOHANG) == 0 &&
		       rf_now_ms() - t0 < RF_HANG_MS)
			usleep(1000);
		EXPECT_TRUE(WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: status %#x", i, status);
		close(p[0]);
		close(r[0]);
	}
	/* Registrations freed after an RCU grace period, however long. */
	EXPECT_TRUE(RF_UNTIL(rf_stat("threads") == 0, 10000));
}

/*
 * rmmod while a prime may still run for a killed child: the module goes
 * (module exit waits for its worker) and comes back.
 */
TEST(rmmod_while_priming)
{
	int p[2], r[2], status;
	long long t0;
	pid_t pid;

	pid = start_primer(p, r);
	ASSERT_LT(0, pid);
	usleep(5000);
	kill(pid, SIGKILL);
	t0 = rf_now_ms();
	while (syscall(SYS_delete_module, "robustfutex", O_NONBLOCK)) {
		ASSERT_TRUE(errno == EBUSY || errno == EAGAIN ||
			    errno == EWOULDBLOCK) TH_LOG("%s", strerror(errno));
		ASSERT_GT(RF_HANG_MS, rf_now_ms() - t0)
			TH_LOG("still busy after %d s", RF_HANG_MS / 1000);
		usleep(1000);
	}
	waitpid(pid, &status, 0);
	close(p[0]);
	close(r[0]);
	ASSERT_EQ(0, system("modprobe robustfutex"));
	ASSERT_EQ(0, access("/sys/module/robustfutex", F_OK));
}

TEST_HARNESS_MAIN
