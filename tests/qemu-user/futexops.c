// SPDX-License-Identifier: GPL-2.0
/*
 * futexops: what a guest sees of the futex calls the patch routes through
 * the module: values, timeouts (relative, absolute on either clock),
 * wakes, and the glibc paths built on them (join, condvar, timedlock).
 * One "futexops: ..." line per check; exit 0 iff all pass.  It must pass
 * under stock QEMU too: the patch changes no answer.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failed;

static void check(const char *what, int cond)
{
	printf("futexops: %s: %s\n", what, cond ? "ok" : "FAILED");
	failed |= !cond;
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec in(clockid_t clk, long ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_nsec += ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

static uint32_t word;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int turn, rounds = 200;

static void *sleeper(void *arg)
{
	long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, 0);

	return (void *)(r == 0 ? 1L : 0L);
}

static void *pong(void *arg)
{
	int i;

	pthread_mutex_lock(&m);
	for (i = 0; i < rounds; i++) {
		while (turn != 1)
			pthread_cond_wait(&c, &m);
		turn = 0;
		pthread_cond_signal(&c);
	}
	pthread_mutex_unlock(&m);
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

static void *bitsleeper(void *arg)
{
	long r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, 0x1);

	return (void *)(r == 0 ? 1L : 0L);
}

static void *timedlock(void *arg)
{
	struct timespec ts = in(CLOCK_REALTIME, 100);

	return (void *)(long)pthread_mutex_timedlock(&m, &ts);
}

/*
 * Wake the thread @t sleeps on word in with @op; how many were woken.
 * Tried until it is asleep, 60 s at most: a bound only a hang reaches
 * (the emulator's threads under TCG and a debug kernel start slowly).
 */
static int wake_sleeper(pthread_t t, int op, uint32_t bits, void **res)
{
	int i, n = 0;

	for (i = 0; i < 6000 && !n; i++) {
		usleep(10000);
		n = futex(&word, op, 1, NULL, bits);
	}
	pthread_join(t, res);
	return n;
}

int main(void)
{
	struct timespec rel = { 0, 100 * 1000000 }, ts, bad = { 0, 1000000000 };
	pthread_t t[8];
	void *res;
	double t0;
	int i, n;

	errno = 0;
	check("WAIT on a changed value gives EAGAIN",
	      futex(&word, FUTEX_WAIT, 1, NULL, 0) == -1 && errno == EAGAIN);
	t0 = now(CLOCK_MONOTONIC);
	check("WAIT, relative 100 ms: ETIMEDOUT",
	      futex(&word, FUTEX_WAIT, 0, &rel, 0) == -1 && errno == ETIMEDOUT &&
	      now(CLOCK_MONOTONIC) - t0 >= 0.095);
	check("WAIT, bad timespec: EINVAL",
	      futex(&word, FUTEX_WAIT, 0, &bad, 0) == -1 && errno == EINVAL);
	ts = in(CLOCK_MONOTONIC, 100);
	check("WAIT_BITSET, absolute monotonic: ETIMEDOUT",
	      futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts,
		    FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT &&
	      now(CLOCK_MONOTONIC) >= ts.tv_sec + ts.tv_nsec / 1e9 - 0.001);
	ts = in(CLOCK_REALTIME, 100);
	check("WAIT_BITSET, absolute realtime: ETIMEDOUT",
	      futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &ts,
		    FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT &&
	      now(CLOCK_REALTIME) >= ts.tv_sec + ts.tv_nsec / 1e9 - 0.001);
	check("WAKE with nobody waiting: 0",
	      futex(&word, FUTEX_WAKE, 1, NULL, 0) == 0);

	/*
	 * Sleepers on every bit (through the module when patched) and on a
	 * bitset of their own (the host's futex) are both woken by WAKE and
	 * WAKE_BITSET.
	 */
	pthread_create(&t[0], NULL, sleeper, NULL);
	n = wake_sleeper(t[0], FUTEX_WAKE_PRIVATE, 0, &res);
	check("WAKE wakes a WAIT", n == 1 && res);
	pthread_create(&t[0], NULL, sleeper, NULL);
	n = wake_sleeper(t[0], FUTEX_WAKE_BITSET_PRIVATE, 0x4, &res);
	check("WAKE_BITSET wakes a WAIT", n == 1 && res);
	pthread_create(&t[0], NULL, bitsleeper, NULL);
	n = wake_sleeper(t[0], FUTEX_WAKE_PRIVATE, 0, &res);
	check("WAKE wakes a WAIT_BITSET on bit 0", n == 1 && res);

	/* glibc: join (the child TID wake), condvar, timedlock. */
	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, nothing, NULL);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	check("8 threads joined", 1);
	pthread_create(&t[0], NULL, pong, NULL);
	pthread_mutex_lock(&m);
	for (i = 0; i < rounds; i++) {
		turn = 1;
		pthread_cond_signal(&c);
		while (turn != 0)
			pthread_cond_wait(&c, &m);
	}
	pthread_mutex_unlock(&m);
	pthread_join(t[0], NULL);
	check("condvar ping-pong, 200 rounds", 1);
	pthread_mutex_lock(&m);
	pthread_create(&t[0], NULL, timedlock, NULL);
	pthread_join(t[0], &res);
	pthread_mutex_unlock(&m);
	check("pthread_mutex_timedlock on a held mutex: ETIMEDOUT",
	      (long)res == ETIMEDOUT);
	return failed;
}
