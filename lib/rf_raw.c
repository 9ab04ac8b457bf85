// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The raw layer: the process-wide descriptor on /dev/robustfutex and thin
 * wrappers around the module's ioctls.  Errors are -errno throughout.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "rf_internal.h"

/* One descriptor per copy of the library; -1 until first use. */
static int rf_fd = -1;
static int rf_warned;
/* The device's number, to recognise our descriptor by; 0 until known. */
static dev_t rf_rdev;

/* RF_DEBUG set to anything but "" or "0": print diagnostics on stderr. */
static bool rf_debug(void)
{
	const char *v = getenv("RF_DEBUG");

	return v && *v && strcmp(v, "0");
}

static bool rf_is_device(int fd)
{
	dev_t want = __atomic_load_n(&rf_rdev, __ATOMIC_RELAXED);
	struct stat st;

	return want && !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == want;
}

/*
 * Forget @fd without closing it: the number is closed, or now names a
 * file that is not ours (the program closed our descriptor and reused the
 * number, or a clone(CLONE_VM) child without CLONE_FILES shares our
 * memory but not our descriptors).
 */
static void rf_forget(int fd)
{
	__atomic_compare_exchange_n(&rf_fd, &fd, -1, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_RELAXED);
}

static int rf_open_slow(void)
{
	int fd, err, old = -1;

	do
		fd = open(RF_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		err = errno;
		/*
		 * A library says nothing unless asked: without the module
		 * every preloaded process would print this on its stderr.
		 * RF_DEBUG=1 asks, once per process, however many threads
		 * fail at once.
		 */
		if (rf_debug() &&
		    !__atomic_exchange_n(&rf_warned, 1, __ATOMIC_RELAXED))
			fprintf(stderr, "librobustfutex: %s: %s; load the module with 'modprobe robustfutex'\n",
				RF_DEVICE_PATH, strerror(err));
		/* Not there: the module is not loaded. */
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return -ENODEV;
		return -err;
	}
	if (!__atomic_load_n(&rf_rdev, __ATOMIC_RELAXED)) {
		struct stat st;

		if (!fstat(fd, &st))
			__atomic_store_n(&rf_rdev, st.st_rdev, __ATOMIC_RELAXED);
	}
	/* Several threads may race to open: the first one wins. */
	if (!__atomic_compare_exchange_n(&rf_fd, &old, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		return old;
	}
	return fd;
}

RF_HIDDEN int rfi_fd(void)
{
	int fd = __atomic_load_n(&rf_fd, __ATOMIC_ACQUIRE);

	return fd >= 0 ? fd : rf_open_slow();
}

RF_HIDDEN void rfi_fd_check(void)
{
	int fd = __atomic_load_n(&rf_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0 && !rf_is_device(fd))
		rf_forget(fd);
}

static int rf_ioctl(unsigned long cmd, void *arg)
{
	int fd, ret, tries = 0;

again:
	fd = rfi_fd();
	if (fd < 0)
		return fd;
	ret = ioctl(fd, cmd, arg);
	if (ret >= 0)
		return ret;
	ret = -errno;
	/*
	 * The program closed our descriptor behind our back (as daemons
	 * closing every fd do), or the number now names another file, which
	 * refuses our ioctls: forget it and open the device again.
	 */
	if ((ret == -EBADF || (ret == -ENOTTY && !rf_is_device(fd))) &&
	    !tries++) {
		rf_forget(fd);
		goto again;
	}
	return ret;
}

static inline uint64_t rf_uptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

RF_HIDDEN int rfi_set_list_base(int index, void *head, int width,
			       int protocol, uint64_t base)
{
	struct rf_list l = {
		.size = sizeof(l),
		.index = index,
		.width = width,
		.protocol = protocol,
		.head = rf_uptr(head),
		.base = base,
	};
	int ret;

	if (width != RF_WIDTH_32 && width != RF_WIDTH_64)
		return -EINVAL;
	ret = rf_ioctl(RF_IOC_SET_LIST, &l);
	/* A module older than the base field refuses the longer struct. */
	if (ret == -E2BIG)
		ret = -EINVAL;
	return ret < 0 ? ret : l.index;
}

RF_HIDDEN int rfi_set_list(int index, void *head, int width, int protocol)
{
	return rfi_set_list_base(index, head, width, protocol, 0);
}

RF_HIDDEN int rfi_get_list(pid_t tid, int index, struct rf_list *l)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->index = index;
	l->tid = tid;
	if (index < 0 || tid < 0)
		return -EINVAL;
	return rf_ioctl(RF_IOC_GET_LIST, l);
}

RF_HIDDEN int rfi_remove_list(int index)
{
	struct rf_list l = { .size = sizeof(l), .index = index };

	if (index < 0)
		return -EINVAL;
	return rf_ioctl(RF_IOC_REMOVE_LIST, &l);
}

RF_HIDDEN int rfi_wait(uint32_t *uaddr, uint32_t val, int flags,
		       clockid_t clk, const struct timespec *abstime)
{
	struct rf_wait w = {
		.size = sizeof(w),
		.flags = flags,
		.uaddr = rf_uptr(uaddr),
		.val = val,
	};
	int ret;

	if (flags & ~(RF_WAIT_SHARED | RF_WAIT_RECOVER | RF_WAIT_OWNER_DIED |
		      RF_WAIT_TRY))
		return -EINVAL;
	if (abstime) {
		if (clk == CLOCK_REALTIME)
			w.flags |= RF_WAIT_REALTIME;
		else if (clk != CLOCK_MONOTONIC)
			return -EINVAL;
		if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000)
			return -EINVAL;
		/* As glibc: a deadline before the epoch has passed. */
		if (abstime->tv_sec < 0)
			return -ETIMEDOUT;
		w.flags |= RF_WAIT_TIMEOUT;
		w.tv_sec = abstime->tv_sec;
		w.tv_nsec = abstime->tv_nsec;
	}
	ret = rf_ioctl(RF_IOC_WAIT, &w);
	if (ret < 0)
		return ret;
	return w.result == RF_RESULT_RECOVERED ||
	       w.result == RF_RESULT_OWNER_DIED ? (int)w.result : 0;
}

RF_HIDDEN int rfi_wake(uint32_t *uaddr, int nr, int flags)
{
	struct rf_wake w = {
		.size = sizeof(w),
		.flags = flags,
		.uaddr = rf_uptr(uaddr),
		.nr = nr,
	};

	if (nr < 1 || (flags & ~RF_WAIT_SHARED))
		return -EINVAL;
	return rf_ioctl(RF_IOC_WAKE, &w);
}

RF_HIDDEN int rfi_info(struct rf_info *info)
{
	int ret;

	/* Every field but size is an output and must go in as zero. */
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	ret = rf_ioctl(RF_IOC_GET_INFO, info);
	return ret < 0 ? ret : 0;
}

RF_HIDDEN int rfi_get_owner(void)
{
	struct rf_owner o = { .size = sizeof(o) };
	int ret = rf_ioctl(RF_IOC_GET_OWNER, &o);

	return ret < 0 ? ret : (int)o.id;
}

/* Public entry points: the same, exported. */

RF_EXPORT int rf_list_register(void *head, int width, int protocol)
{
	return rfi_set_list(-1, head, width, protocol);
}

RF_EXPORT int rf_list_set(int index, void *head, int width, int protocol)
{
	int ret;

	if (index < 0)
		return -EINVAL;
	ret = rfi_set_list(index, head, width, protocol);
	return ret < 0 ? ret : 0;
}

RF_EXPORT int rf_list_get(pid_t tid, int index, struct rf_list_desc *desc)
{
	struct rf_list l;
	int ret = rfi_get_list(tid, index, &l);

	if (ret < 0)
		return ret;
	desc->head = l.head;
	desc->width = l.width;
	desc->protocol = l.protocol;
	return 0;
}

RF_EXPORT int rf_list_set_base(int index, void *head, int width,
			       int protocol, uint64_t base)
{
	if (index < -1)
		return -EINVAL;
	return rfi_set_list_base(index, head, width, protocol, base);
}

RF_EXPORT int rf_list_get_base(pid_t tid, int index, uint64_t *base)
{
	struct rf_list l;
	int ret = rfi_get_list(tid, index, &l);

	if (ret < 0)
		return ret;
	*base = l.base;
	return 0;
}

RF_EXPORT int rf_list_remove(int index)
{
	return rfi_remove_list(index);
}

RF_EXPORT int rf_info(struct rf_info *info)
{
	return rfi_info(info);
}

RF_EXPORT int rf_futex_wait(uint32_t *uaddr, uint32_t val, int flags,
			    clockid_t clk, const struct timespec *abstime)
{
	return rfi_wait(uaddr, val, flags, clk, abstime);
}

RF_EXPORT int rf_futex_wake(uint32_t *uaddr, int nr, int flags)
{
	return rfi_wake(uaddr, nr, flags);
}

RF_EXPORT int rf_owner_id(void)
{
	return rfi_get_owner();
}
