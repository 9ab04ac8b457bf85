/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the test programs: raw ioctls on /dev/robustfutex. */
#ifndef RF_TEST_H
#define RF_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <robustfutex/ioctl.h>

/*
 * Deadlines.  The suite also runs on slow machines (2 CPUs, QEMU TCG
 * without KVM, a KASAN+lockdep kernel, soon PREEMPT_RT), so no test judges
 * how fast something happens against a fixed time.  A test proves an
 * order instead ("recovered while the other's traps were still
 * unanswered", "woken before its own deadline"), and bounds a wait only to
 * turn a hang into its own failure: RF_HANG_MS, which only a hang reaches
 * and which costs nothing when the awaited thing comes.  The harness's
 * timeout for a test (TEST_TIMEOUT_DEFAULT, raised here from 30 s) comes
 * after a couple of those, and well before the runner's 300 s for a whole
 * program (tests/vm/guest-suite.sh), so a hang reports as the test's failure.
 */
#define RF_HANG_MS	20000
#ifdef TEST_TIMEOUT_DEFAULT	/* kselftest_harness.h was included first */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	60
#endif

/* CLOCK_MONOTONIC in milliseconds. */
static inline long long rf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Poll @cond every @us microseconds until it holds or RF_HANG_MS have
 * passed; the value of @cond at the end (0: a hang).
 */
#define RF_UNTIL(cond, us) ({						\
	long long rf_end_ = rf_now_ms() + RF_HANG_MS;			\
	int rf_ok_;							\
									\
	while (!(rf_ok_ = !!(cond)) && rf_now_ms() < rf_end_)		\
		usleep(us);						\
	rf_ok_;								\
})

static inline int rf_open(void)
{
	return open(RF_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/* ioctl returning -errno on failure. */
static inline long rf_ioc(int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static inline pid_t rf_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The calling thread's owner ID (RF_IOC_GET_OWNER), or -errno. */
static inline long rf_owner_of(int fd)
{
	struct rf_owner o = { .size = sizeof(o) };
	long r = rf_ioc(fd, RF_IOC_GET_OWNER, &o);

	return r < 0 ? r : (long)o.id;
}

/* The state letter (R, S, D, Z, ...) in /proc/@path, or 0. */
static inline char rf_stat_state(const char *path)
{
	char buf[512], *p;
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Is the task at /proc/@path asleep (state S)? */
static inline int rf_stat_asleep(const char *path)
{
	return rf_stat_state(path) == 'S';
}

/* The state letter of process @pid, or 0. */
static inline char rf_proc_state(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return rf_stat_state(path);
}

/* Is thread @tid of this process asleep? */
static inline int rf_thread_asleep(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return rf_stat_asleep(path);
}

/* Is (the main thread of) process @pid asleep? */
static inline int rf_thread_asleep_pid(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return rf_stat_asleep(path);
}

/* A number from a sysfs file; -1 if unreadable. */
static inline long long rf_read_num(const char *path)
{
	char buf[32];
	long long v = -1;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		v = strtoll(buf, NULL, 10);
	}
	close(fd);
	return v;
}

/* Read a counter from /sys/kernel/robustfutex/NAME; -1 if unreadable. */
static inline long long rf_stat(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/robustfutex/%s", name);
	return rf_read_num(path);
}

#define RF_PARAMS	"/sys/module/robustfutex/parameters/"

/* A module parameter's value; -1 if unreadable. */
static inline long rf_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), RF_PARAMS "%s", name);
	return rf_read_num(path);
}

/* Set a module parameter (root only): 0, or -1 if refused. */
static inline int rf_set_param(const char *name, long v)
{
	char path[128], buf[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), RF_PARAMS "%s", name);
	n = snprintf(buf, sizeof(buf), "%ld\n", v);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Wait through the module while *word == val, at most @ms milliseconds
 * (CLOCK_MONOTONIC; 0 = no timeout).  Returns RF_RESULT_* or -errno.
 */
static inline long rf_wait_ms(int fd, uint32_t *word, uint32_t val,
			      uint32_t flags, long ms)
{
	struct rf_wait w = {
		.size = sizeof(w), .flags = flags, .uaddr = (uintptr_t)word,
		.val = val,
	};
	struct timespec now;
	long r;

	if (ms) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now.tv_sec += ms / 1000;
		now.tv_nsec += (ms % 1000) * 1000000L;
		if (now.tv_nsec >= 1000000000L) {
			now.tv_sec++;
			now.tv_nsec -= 1000000000L;
		}
		w.flags |= RF_WAIT_TIMEOUT;
		w.tv_sec = now.tv_sec;
		w.tv_nsec = now.tv_nsec;
	}
	r = rf_ioc(fd, RF_IOC_WAIT, &w);
	return r < 0 ? r : (long)w.result;
}

static inline long rf_wake_n(int fd, uint32_t *word, uint32_t nr,
			     uint32_t flags)
{
	struct rf_wake w = {
		.size = sizeof(w), .flags = flags, .uaddr = (uintptr_t)word,
		.nr = nr,
	};

	return rf_ioc(fd, RF_IOC_WAKE, &w);
}

#endif
