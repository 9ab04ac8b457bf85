// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlines given inside a time namespace (CRIU restores containers into
 * one): an absolute CLOCK_MONOTONIC deadline is namespace time and must
 * fire when the namespace's clock reaches it, neither an offset late nor
 * an offset early.  CLOCK_REALTIME is not namespaced.  Each case runs in
 * a child made after unshare(CLONE_NEWTIME) and an offset written to
 * /proc/self/timens_offsets; the parent bounds the child by RF_HANG_MS,
 * which only a deadline armed an hour late reaches.  Whether a deadline
 * came early is an order, checked on the namespace's own clock.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

/* Child exit codes. */
enum { OK, EARLY, WRONG_ERR, SETUP };

static struct timespec ts_add_ms(struct timespec t, long ms)
{
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	} else if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += 1000000000L;
	}
	return t;
}

static int ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static rf_mutex_t m;		/* all-zero: robust, unlocked */
static volatile int held;

static void *holder_fn(void *arg)
{
	if (!rf_mutex_lock(&m))
		held = 1;
	pause();
	return arg;
}

/*
 * Time out on @clk at now + @ms through the raw wait, the library's
 * rf_futex_wait() and rf_mutex_clocklock() (on a mutex another thread
 * holds): each must say ETIMEDOUT, and none before its deadline.
 */
static int deadlines(clockid_t clk, long ms)
{
	uint32_t word = 1;
	struct timespec dl, now;
	int fd = rf_open(), k;
	pthread_t th;
	long r;

	if (fd < 0 || pthread_create(&th, NULL, holder_fn, NULL))
		return SETUP;
	if (!RF_UNTIL(held, 1000))
		return SETUP;
	for (k = 0; k < 3; k++) {
		clock_gettime(clk, &now);
		dl = ts_add_ms(now, ms);
		if (k == 0) {
			struct rf_wait w = {
				.size = sizeof(w), .uaddr = (uintptr_t)&word,
				.val = 1, .flags = RF_WAIT_TIMEOUT,
				.tv_sec = dl.tv_sec, .tv_nsec = dl.tv_nsec,
			};

			if (clk == CLOCK_REALTIME)
				w.flags |= RF_WAIT_REALTIME;
			r = rf_ioc(fd, RF_IOC_WAIT, &w);
		} else if (k == 1) {
			r = rf_futex_wait(&word, 1, 0, clk, &dl);
		} else {
			r = -rf_mutex_clocklock(&m, clk, &dl);
		}
		clock_gettime(clk, &now);
		if (r != -ETIMEDOUT) {
			fprintf(stderr, "# case %d: %ld, not -ETIMEDOUT\n",
				k, r);
			return WRONG_ERR;
		}
		if (ts_before(now, dl)) {
			fprintf(stderr, "# case %d: returned %ld ms early\n",
				k, (long)((dl.tv_sec - now.tv_sec) * 1000 +
					  (dl.tv_nsec - now.tv_nsec) / 1000000));
			return EARLY;
		}
	}
	return OK;
}

/*
 * Run deadlines(@clk, @ms) in a child whose time namespace has its
 * monotonic clock moved by @offset_s seconds.  Returns the child's exit
 * code, -1 if it hung, or SKIP's reason through *@why.
 */
static int in_timens(long offset_s, clockid_t clk, long ms, const char **why)
{
	char text[64];
	int fd, n, status;
	long long t0;
	pid_t pid;

	*why = NULL;
	if (unshare(CLONE_NEWTIME)) {
		*why = "no time namespaces";
		return SETUP;
	}
	fd = open("/proc/self/timens_offsets", O_WRONLY);
	n = snprintf(text, sizeof(text), "monotonic %ld 0\n", offset_s);
	if (fd < 0 || write(fd, text, n) != n) {
		*why = "cannot set the namespace's offset";
		if (fd >= 0)
			close(fd);
		return SETUP;
	}
	close(fd);
	pid = fork();
	if (pid == 0)
		_exit(deadlines(clk, ms));
	if (pid < 0)
		return SETUP;
	t0 = rf_now_ms();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (rf_now_ms() - t0 > RF_HANG_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : SETUP;
}

/* Each case forks its own parent so its unshare() touches nobody else. */
static int run_case(long offset_s, clockid_t clk, long ms, char *why,
		    size_t len)
{
	int p[2], status, r = SETUP;
	pid_t pid;

	if (pipe(p))
		return SETUP;
	pid = fork();
	if (pid == 0) {
		const char *w;
		char c;

		c = in_timens(offset_s, clk, ms, &w) + 1;
		if (w && write(p[1], w, strlen(w)) < 0)
			_exit(0);
		_exit((unsigned char)c);
	}
	close(p[1]);
	why[read(p[0], why, len - 1) > 0 ? strlen(why) : 0] = 0;
	close(p[0]);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		r = (int)WEXITSTATUS(status) - 1;
	return r;
}

/* Namespace clock an hour ahead: armed as host time, an hour late. */
TEST(monotonic_ahead_fires_on_time)
{
	char why[128] = "";
	int r = run_case(3600, CLOCK_MONOTONIC, 200, why, sizeof(why));

	if (why[0])
		SKIP(return, "%s", why);
	EXPECT_NE(-1, r) TH_LOG("still asleep after %d ms", RF_HANG_MS);
	EXPECT_EQ(OK, r);
}

/* A deadline already past on the namespace's clock times out at once. */
TEST(monotonic_ahead_past_deadline)
{
	char why[128] = "";
	int r = run_case(3600, CLOCK_MONOTONIC, -1000, why, sizeof(why));

	if (why[0])
		SKIP(return, "%s", why);
	EXPECT_NE(-1, r) TH_LOG("a past deadline slept");
	EXPECT_EQ(OK, r);
}

/* Namespace clock behind the host's: armed as host time, it comes early. */
TEST(monotonic_behind_not_early)
{
	struct timespec up;
	char why[128] = "";
	int r;

	clock_gettime(CLOCK_MONOTONIC, &up);
	if (up.tv_sec < 3)
		sleep(3 - up.tv_sec);
	r = run_case(-2, CLOCK_MONOTONIC, 200, why, sizeof(why));
	if (why[0])
		SKIP(return, "%s", why);
	EXPECT_EQ(OK, r) TH_LOG("%s", r == EARLY ? "returned early" : "failed");
}

/* CLOCK_REALTIME has no namespace offset: unchanged. */
TEST(realtime_unaffected)
{
	char why[128] = "";
	int r = run_case(3600, CLOCK_REALTIME, 200, why, sizeof(why));

	if (why[0])
		SKIP(return, "%s", why);
	EXPECT_EQ(OK, r);
}

TEST_HARNESS_MAIN
