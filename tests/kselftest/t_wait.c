// SPDX-License-Identifier: GPL-2.0
/*
 * Futex-compatible wait and wake through the module: value check,
 * timeouts on both clocks, signals, bad addresses, and keys that match
 * across processes for shared memory (MAP_SHARED, memfd, files) but not
 * for private memory.  A waiter that must be woken waits RF_HANG_MS, a
 * bound only a hang reaches; a step that needs the waiter asleep first
 * looks for it asleep (rf_test.h), rather than sleeping "long enough".
 */
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"

struct waiter {
	int fd;
	uint32_t *word;
	uint32_t val, flags;
	long ms;
	long ret;
	volatile int started;
	volatile pid_t tid;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	w->tid = rf_gettid();
	w->started = 1;
	w->ret = rf_wait_ms(w->fd, w->word, w->val, w->flags, w->ms);
	return NULL;
}

/*
 * Wake until someone was woken (the waiter may not be asleep yet); 0 if
 * nobody was, RF_HANG_MS long.
 */
static long wake_until(int fd, uint32_t *word, uint32_t flags)
{
	long n = 0;

	RF_UNTIL((n = rf_wake_n(fd, word, 1, flags)) != 0, 10000);
	return n;
}

TEST(value_mismatch_is_eagain)
{
	uint32_t word = 5;
	int fd = rf_open();

	EXPECT_EQ(-EAGAIN, rf_wait_ms(fd, &word, 6, 0, 1000));
}

TEST(timeout_monotonic_and_realtime)
{
	uint32_t word = 1;
	int fd = rf_open();
	struct timespec t0, t1, dl;
	struct rf_wait w = {
		.size = sizeof(w), .uaddr = (uintptr_t)&word, .val = 1,
		.flags = RF_WAIT_TIMEOUT | RF_WAIT_REALTIME,
	};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ETIMEDOUT, rf_wait_ms(fd, &word, 1, 0, 200));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GE((t1.tv_sec - t0.tv_sec) * 1000 +
		  (t1.tv_nsec - t0.tv_nsec) / 1000000, 200);

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 200000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	w.tv_sec = dl.tv_sec;
	w.tv_nsec = dl.tv_nsec;
	EXPECT_EQ(-ETIMEDOUT, rf_ioc(fd, RF_IOC_WAIT, &w));
	clock_gettime(CLOCK_REALTIME, &t1);
	EXPECT_TRUE(t1.tv_sec > dl.tv_sec ||
		    (t1.tv_sec == dl.tv_sec && t1.tv_nsec >= dl.tv_nsec));
	/* A deadline in the past times out at once. */
	w.tv_sec = 1;
	w.tv_nsec = 0;
	EXPECT_EQ(-ETIMEDOUT, rf_ioc(fd, RF_IOC_WAIT, &w));
}

TEST(bad_arguments)
{
	uint32_t words[2] = { 0, 0 };
	int fd = rf_open();
	struct rf_wait w = {
		.size = sizeof(w), .uaddr = (uintptr_t)&words[0],
		.flags = RF_WAIT_TIMEOUT, .tv_nsec = 1000000000,
	};
	struct rf_wake k = { .size = sizeof(k), .nr = 1 };

	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAIT, &w));	/* tv_nsec */
	w.flags = 0x100;
	w.tv_nsec = 0;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAIT, &w));	/* flag */
	w.flags = 0;
	w.uaddr = (uintptr_t)&words[0] + 1;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAIT, &w));	/* unaligned */
	w.uaddr = 0;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAIT, &w));
	w.uaddr = 4096;					/* unmapped */
	EXPECT_EQ(-EFAULT, rf_ioc(fd, RF_IOC_WAIT, &w));
	w.uaddr = (uintptr_t)&words[0];
	w.tv_sec = 5;					/* no TIMEOUT flag */
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAIT, &w));
	k.uaddr = (uintptr_t)&words[0] + 2;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAKE, &k));
	k.uaddr = (uintptr_t)&words[0];
	k.reserved = 1;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_WAKE, &k));
	k.reserved = 0;
	EXPECT_EQ(0, rf_ioc(fd, RF_IOC_WAKE, &k));	/* nobody waits */
	k.flags = RF_WAIT_SHARED;
	k.uaddr = 4096;
	EXPECT_EQ(-EFAULT, rf_ioc(fd, RF_IOC_WAKE, &k));
}

TEST(wake_one_and_all)
{
	uint32_t word = 7;
	int fd = rf_open(), i;
	struct waiter w[3];
	pthread_t th[3];

	for (i = 0; i < 3; i++) {
		w[i] = (struct waiter){ .fd = fd, .word = &word, .val = 7,
					.ms = RF_HANG_MS };
		pthread_create(&th[i], NULL, waiter_fn, &w[i]);
	}
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(RF_UNTIL(w[i].tid && rf_thread_asleep(w[i].tid),
				     10000)) TH_LOG("waiter %d never slept", i);
	/* All three asleep: one wakes one, 0 nobody, 100 the other two. */
	EXPECT_EQ(1, rf_wake_n(fd, &word, 1, 0));
	EXPECT_EQ(0, rf_wake_n(fd, &word, 0, 0));
	EXPECT_EQ(2, rf_wake_n(fd, &word, 100, 0));
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(RF_RESULT_WOKEN, w[i].ret);
	}
}

static void on_signal(int sig)
{
}

TEST(signal_interrupts)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	uint32_t word = 3;
	struct waiter w = { .fd = rf_open(), .word = &word, .val = 3,
			    .ms = RF_HANG_MS };
	pthread_t th;

	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&th, NULL, waiter_fn, &w);
	/* Asleep in the wait: a signal before it would be missed. */
	ASSERT_TRUE(RF_UNTIL(w.tid && rf_thread_asleep(w.tid), 1000))
		TH_LOG("waiter never slept");
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	EXPECT_EQ(-EINTR, w.ret);
}

/* The word at @map (shared between two processes) is waited on by a
 * child and woken by the parent.  Returns the child's wait result. */
static long cross_process(uint32_t *word, uint32_t flags)
{
	int fd = rf_open(), status;
	pid_t pid;

	*word = 9;
	pid = fork();
	if (pid == 0) {
		long r = rf_wait_ms(rf_open(), word, 9, flags, RF_HANG_MS);

		_exit(r == RF_RESULT_WOKEN ? 0 : r == -ETIMEDOUT ? 1 : 2);
	}
	wake_until(fd, word, flags);
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status);
}

TEST(shared_anonymous)
{
	uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, cross_process(p + 3, RF_WAIT_SHARED));
}

TEST(shared_memfd_two_mappings)
{
	int mfd = memfd_create("rf", 0);
	uint32_t *a, *b;
	int fd = rf_open(), status;
	pid_t pid;

	size_t pg = sysconf(_SC_PAGESIZE), w1 = pg / sizeof(*a);

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * pg));
	a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, a);
	a[w1 + 5] = 4;
	pid = fork();
	if (pid == 0) {
		/* Another mapping, at another address, of the same page. */
		b = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
			 pg);
		_exit(rf_wait_ms(rf_open(), b + 5, 4, RF_WAIT_SHARED,
				 RF_HANG_MS) == RF_RESULT_WOKEN ? 0 : 1);
	}
	EXPECT_EQ(1, wake_until(fd, a + w1 + 5, RF_WAIT_SHARED));
	waitpid(pid, &status, 0);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(shared_file)
{
	char path[] = "/tmp/rf-wait-XXXXXX";
	int ffd = mkstemp(path);
	uint32_t *p;

	ASSERT_LE(0, ffd);
	unlink(path);
	ASSERT_EQ(0, ftruncate(ffd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, cross_process(p, RF_WAIT_SHARED));
}

/* Private keys name (mm, address): another process never matches. */
TEST(private_key_does_not_cross_processes)
{
	uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = rf_open(), status, i;
	long n = 0;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, p);
	*p = 9;
	pid = fork();
	if (pid == 0)
		_exit(rf_wait_ms(rf_open(), p, 9, 0, 1500) == -ETIMEDOUT ? 0 : 1);
	/* Wakes while it sleeps, or they prove nothing. */
	EXPECT_TRUE(RF_UNTIL(rf_thread_asleep_pid(pid), 1000))
		TH_LOG("the child never slept");
	for (i = 0; i < 50; i++) {
		usleep(10000);
		n += rf_wake_n(fd, p, 1, 0);
	}
	waitpid(pid, &status, 0);
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * RF_WAIT_SHARED on private memory never written: the page reads as the
 * zero page until the waker writes it; both must still find each other.
 */
TEST(shared_flag_on_untouched_private_page)
{
	uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct waiter w;
	pthread_t th;
	int fd = rf_open();
	long n;

	ASSERT_NE(MAP_FAILED, p);
	w = (struct waiter){ .fd = fd, .word = p, .val = 0,
			     .flags = RF_WAIT_SHARED, .ms = RF_HANG_MS };
	pthread_create(&th, NULL, waiter_fn, &w);
	/* Asleep on the zero page before the write (else: EAGAIN). */
	ASSERT_TRUE(RF_UNTIL(w.tid && rf_thread_asleep(w.tid), 1000))
		TH_LOG("waiter never slept");
	*p = 1;			/* the write gives the address a page */
	n = wake_until(fd, p, RF_WAIT_SHARED);
	pthread_join(th, NULL);
	EXPECT_EQ(1, n);
	EXPECT_EQ(RF_RESULT_WOKEN, w.ret);
}

/*
 * A sleeping waiter holds no page reference (mainline does not either: an
 * extra reference blocks migration, compaction and hot-unplug).  memfd's
 * F_SEAL_WRITE is the probe: it refuses with EBUSY while any page of the
 * file has a reference beyond its mappings.  The word is mapped through a
 * read-only descriptor, so no writable mapping stands in the way.
 */
static int memfd_ro_word(uint32_t **word, int *ro)
{
	char path[64];
	uint32_t zero = 0;
	int mfd = memfd_create("rf-seal", MFD_ALLOW_SEALING);

	if (mfd < 0 || ftruncate(mfd, 4096) ||
	    pwrite(mfd, &zero, sizeof(zero), 0) != sizeof(zero))
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	*ro = open(path, O_RDONLY | O_CLOEXEC);
	if (*ro < 0)
		return -1;
	*word = mmap(NULL, 4096, PROT_READ, MAP_SHARED, *ro, 0);
	return *word == MAP_FAILED ? -1 : mfd;
}

/*
 * Start @w asleep (shared) on a fresh memfd word; returns the memfd, or
 * -1 (-2: the waiter never slept).
 */
static int memfd_waiter(struct waiter *w, pthread_t *th, uint32_t **word)
{
	int mfd, ro;

	mfd = memfd_ro_word(word, &ro);
	if (mfd < 0)
		return -1;
	w->word = *word;
	if (pthread_create(th, NULL, waiter_fn, w))
		return -1;
	if (!RF_UNTIL(w->tid && rf_thread_asleep(w->tid), 1000))
		return -2;
	return mfd;
}

TEST(shared_waiter_pins_no_page)
{
	struct waiter w = { .fd = rf_open(), .flags = RF_WAIT_SHARED,
			    .ms = RF_HANG_MS };
	uint32_t *word;
	pthread_t th;
	int mfd = memfd_waiter(&w, &th, &word);

	ASSERT_LE(0, mfd) TH_LOG("%s", mfd == -2 ? "the waiter never slept" : "no memfd waiter");
	/* The waiter sleeps on the page: sealing must still succeed. */
	EXPECT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE))
		TH_LOG("F_SEAL_WRITE: %s (a page is pinned)", strerror(errno));
	EXPECT_EQ(1, wake_until(w.fd, word, RF_WAIT_SHARED));
	pthread_join(th, NULL);
	EXPECT_EQ(RF_RESULT_WOKEN, w.ret);
}

/* Truncating the file under a sleeping waiter neither hangs nor leaks. */
TEST(shared_waiter_survives_truncation)
{
	struct waiter w = { .fd = rf_open(), .flags = RF_WAIT_SHARED, .ms = 1000 };
	uint32_t *word;
	pthread_t th;
	int mfd = memfd_waiter(&w, &th, &word);

	ASSERT_LE(0, mfd) TH_LOG("%s", mfd == -2 ? "the waiter never slept" : "no memfd waiter");
	ASSERT_EQ(0, ftruncate(mfd, 0));
	/* The word is gone: a wake cannot name it, the waiter times out. */
	pthread_join(th, NULL);
	EXPECT_EQ(-ETIMEDOUT, w.ret);
	ASSERT_EQ(0, ftruncate(mfd, 4096));
	/* A new page at the same offset is a new word, and works. */
	EXPECT_EQ(-EAGAIN, rf_wait_ms(w.fd, word, 1, RF_WAIT_SHARED, 100));
	EXPECT_EQ(-ETIMEDOUT, rf_wait_ms(w.fd, word, 0, RF_WAIT_SHARED, 100));
}

TEST_HARNESS_MAIN
