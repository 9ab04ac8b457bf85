// SPDX-License-Identifier: GPL-2.0
/*
 * librobustfutex's API on its own: attributes, destroy, the recursion
 * count's limit, the raw calls' argument checks, and the library without
 * the module.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>
#include "rf_mutex_helpers.h"

TEST(attributes)
{
	rf_mutexattr_t a;
	int v;

	ASSERT_EQ(0, rf_mutexattr_init(&a));
	EXPECT_EQ(0, rf_mutexattr_gettype(&a, &v));
	EXPECT_EQ(RF_MUTEX_DEFAULT, v);
	EXPECT_EQ(0, rf_mutexattr_getpshared(&a, &v));
	EXPECT_EQ(RF_PROCESS_PRIVATE, v);
	EXPECT_EQ(0, rf_mutexattr_getrobust(&a, &v));
	EXPECT_EQ(RF_MUTEX_ROBUST, v);
	EXPECT_EQ(EINVAL, rf_mutexattr_settype(&a, 7));
	EXPECT_EQ(EINVAL, rf_mutexattr_setpshared(&a, 2));
	EXPECT_EQ(EINVAL, rf_mutexattr_setrobust(&a, -1));
	EXPECT_EQ(0, rf_mutexattr_settype(&a, RF_MUTEX_ERRORCHECK));
	EXPECT_EQ(0, rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED));
	EXPECT_EQ(0, rf_mutexattr_setrobust(&a, RF_MUTEX_STALLED));
	EXPECT_EQ(0, rf_mutexattr_gettype(&a, &v));
	EXPECT_EQ(RF_MUTEX_ERRORCHECK, v);
	EXPECT_EQ(0, rf_mutexattr_getpshared(&a, &v));
	EXPECT_EQ(RF_PROCESS_SHARED, v);
	EXPECT_EQ(0, rf_mutexattr_getrobust(&a, &v));
	EXPECT_EQ(RF_MUTEX_STALLED, v);
	EXPECT_EQ(0, rf_mutexattr_destroy(&a));
}

TEST(destroy_and_invalid)
{
	rf_mutex_t m;
	struct timespec ts = { 0, 0 };

	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ(EBUSY, rf_mutex_destroy(&m));
	ASSERT_EQ(0, rf_mutex_unlock(&m));
	EXPECT_EQ(0, rf_mutex_destroy(&m));
	EXPECT_EQ(EINVAL, rf_mutex_lock(&m));
	EXPECT_EQ(EINVAL, rf_mutex_trylock(&m));
	EXPECT_EQ(EINVAL, rf_mutex_unlock(&m));
	EXPECT_EQ(EINVAL, rf_mutex_destroy(&m));
	ASSERT_EQ(0, rf_mutex_init(&m, NULL));
	EXPECT_EQ(EINVAL, rf_mutex_timedlock(&m, NULL));
	EXPECT_EQ(EINVAL, rf_mutex_clocklock(&m, CLOCK_MONOTONIC, NULL));
	/* A deadline in the past on a free mutex: locked, as in glibc. */
	EXPECT_EQ(0, rf_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));
	EXPECT_EQ(0, rf_mutex_unlock(&m));
}

TEST(recursion_overflow)
{
	rf_mutexattr_t a;
	rf_mutex_t m;
	uint32_t *count = (uint32_t *)&m + 1;	/* documented layout */

	rf_mutexattr_init(&a);
	rf_mutexattr_settype(&a, RF_MUTEX_RECURSIVE);
	ASSERT_EQ(0, rf_mutex_init(&m, &a));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	ASSERT_EQ(0, rf_mutex_lock(&m));
	EXPECT_EQ(2, *count);
	*count = UINT32_MAX;
	EXPECT_EQ(EAGAIN, rf_mutex_lock(&m));
	EXPECT_EQ(EAGAIN, rf_mutex_trylock(&m));
	*count = 1;
	EXPECT_EQ(0, rf_mutex_unlock(&m));
	EXPECT_EQ(0, rf_mutex_word(&m));
}

/* Raw API argument checks. */
TEST(raw_api)
{
	uint32_t word = 5;
	struct timespec ts = { 0, 1000000000 };
	struct rf_list_desc d;

	EXPECT_EQ(-EAGAIN, rf_futex_wait(&word, 4, 0, CLOCK_MONOTONIC, NULL));
	EXPECT_EQ(-EINVAL, rf_futex_wait(&word, 5, 0, CLOCK_MONOTONIC, &ts));
	EXPECT_EQ(-EINVAL, rf_futex_wait(&word, 5, 0, CLOCK_BOOTTIME, &ts));
	EXPECT_EQ(-EINVAL, rf_futex_wait(&word, 5, 0x100, CLOCK_MONOTONIC,
					 NULL));
	ts = deadline(CLOCK_MONOTONIC, 20);
	EXPECT_EQ(-ETIMEDOUT, rf_futex_wait(&word, 5, 0, CLOCK_MONOTONIC,
					    &ts));
	ts = deadline(CLOCK_REALTIME, 20);
	EXPECT_EQ(-ETIMEDOUT, rf_futex_wait(&word, 5, RF_WAIT_SHARED,
					    CLOCK_REALTIME, &ts));
	EXPECT_EQ(0, rf_futex_wake(&word, 1, 0));
	EXPECT_EQ(0, rf_futex_wake(&word, INT_MAX, RF_WAIT_SHARED));
	EXPECT_EQ(-EINVAL, rf_futex_wake(&word, 0, 0));
	EXPECT_EQ(-EINVAL, rf_futex_wake((uint32_t *)((char *)&word + 1), 1,
					 0));
	EXPECT_EQ(-EINVAL, rf_list_register(&word, 48, RF_PROTO_INTENT));
	EXPECT_EQ(-EINVAL, rf_list_set(-1, &word, 64, RF_PROTO_INTENT));
	EXPECT_EQ(-EINVAL, rf_list_get(0, -1, &d));
	EXPECT_EQ(-EINVAL, rf_list_remove(-1));
}

/* Without the module (only on a machine where it is not loaded). */
TEST(module_missing)
{
	char buf[512];
	rf_mutex_t m = RF_MUTEX_INITIALIZER;
	ssize_t n;
	int fd, saved;

	if (access(RF_DEVICE_PATH, F_OK) == 0)
		SKIP(return, "%s exists: the module is loaded", RF_DEVICE_PATH);
	setenv("RF_DEBUG", "1", 1);
	fd = memfd_create("stderr", 0);
	ASSERT_LE(0, fd);
	saved = dup(2);
	dup2(fd, 2);
	EXPECT_EQ(ENODEV, rf_mutex_init(&m, NULL));
	EXPECT_EQ(ENODEV, rf_mutex_lock(&m));
	EXPECT_EQ(-ENODEV, rf_futex_wake((uint32_t *)&m, 1, 0));
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_EQ(0, strcmp(buf, "librobustfutex: /dev/robustfutex: No such file or directory; load the module with 'modprobe robustfutex'\n"))
		TH_LOG("stderr: %s", buf);
}

TEST_HARNESS_MAIN
