// SPDX-License-Identifier: GPL-2.0
/*
 * rf_set_robust_list2()/rf_get_robust_list2(): each behaviour of the
 * proposal's version 6 that a program written against it relies on.  Set
 * with SET_64 and SET_32 returns 0; index -1 and indices from the limit on
 * are refused; a NULL head empties the slot (and nothing is walked); flags
 * other than 0 and unknown commands are refused; get of an empty slot
 * returns 0 and NULL; LIST_LIMIT answers the module's max_lists; a list
 * set through the call is walked when its thread dies; and without the
 * module both calls fail with ENOSYS, as on a kernel without them.  How
 * the calls share the module's slots with the rest of the library:
 * t_base.c.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"
#include <robustfutex.h>

#define OD	FUTEX_OWNER_DIED
#define W	FUTEX_WAITERS
#define NATIVE	((int)sizeof(void *) * 8)
#define CMD_SET_NATIVE	(NATIVE == 64 ? RF_ROBUST_LIST_CMD_SET_64 : \
				 RF_ROBUST_LIST_CMD_SET_32)
#define CMD_LIMIT	RF_ROBUST_LIST_CMD_LIST_LIMIT
/* What no head or pointer of a test is. */
#define JUNK		((void *)(uintptr_t)0x5a5a5a50)

/* -1 and errno from a call, as one value to compare: -errno, or 0. */
#define ERR(call)	((call) == -1 ? -errno : 0)

static long limit(void)
{
	return rf_set_robust_list2(NULL, 0, CMD_LIMIT, 0);
}

/* A 24-byte list head in native width, its list empty. */
static void *native_head(void)
{
	void *h = tl_map(4096, 0);

	if (h)
		tl_init(&(struct tlist){ 0 }, NATIVE, h);
	return h;
}

/* Is the module's /dev/robustfutex there? */
static int have_module(void)
{
	return access(RF_DEVICE_PATH, F_OK) == 0;
}

TEST(set_64_and_32)
{
	void *h64 = native_head(), *low = tl_map(4096, 1), *got;

	ASSERT_NE(NULL, h64);
	ASSERT_NE(NULL, low);
	tl_init(&(struct tlist){ 0 }, 32, low);
	if (NATIVE == 64) {
		EXPECT_EQ(0, rf_set_robust_list2(h64, 0,
						 RF_ROBUST_LIST_CMD_SET_64, 0));
	} else {
		/* As v6: a 32-bit process has no 64-bit list. */
		EXPECT_EQ(-EOPNOTSUPP,
			  ERR(rf_set_robust_list2(h64, 0,
						  RF_ROBUST_LIST_CMD_SET_64, 0)));
		EXPECT_EQ(0, rf_set_robust_list2(h64, 0,
						 RF_ROBUST_LIST_CMD_SET_32, 0));
	}
	EXPECT_EQ(0, rf_set_robust_list2(low, 1, RF_ROBUST_LIST_CMD_SET_32, 0));
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ(h64, got);
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 1, 0));
	EXPECT_EQ(low, got);
	/* The module keeps the width the command gave, mainline's rules. */
	{
		struct rf_list_desc d;

		ASSERT_EQ(0, rf_list_get(0, 0, &d));
		EXPECT_EQ(NATIVE, (int)d.width);
		EXPECT_EQ(RF_PROTO_MAINLINE, (int)d.protocol);
		ASSERT_EQ(0, rf_list_get(0, 1, &d));
		EXPECT_EQ(32, (int)d.width);
	}
	/* Setting a slot again replaces what is there. */
	EXPECT_EQ(0, rf_set_robust_list2(low, 0, RF_ROBUST_LIST_CMD_SET_32, 0));
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ(low, got);
	/* As v6: a head misaligned for its width is refused. */
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2((char *)low + 2, 2,
					RF_ROBUST_LIST_CMD_SET_32, 0)));
	if (NATIVE == 64)
		EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2((char *)h64 + 4, 2,
					RF_ROBUST_LIST_CMD_SET_64, 0)));
}

TEST(set_returns_zero)
{
	void *h = native_head(), *got = NULL;
	long n = limit();
	long idx[] = { 0, 1, n - 1 };
	unsigned int i;

	ASSERT_NE(NULL, h);
	ASSERT_LT(2, n);
	/* Not the slot index, as the 3-argument call returned: 0 always. */
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		EXPECT_EQ(0, rf_set_robust_list2(h, idx[i], CMD_SET_NATIVE, 0));
		EXPECT_EQ(0, rf_get_robust_list2(0, &got, idx[i], 0));
		EXPECT_EQ(h, got);
	}
}

TEST(index_refused)
{
	void *h = native_head(), *got = JUNK;
	long n = limit();

	ASSERT_NE(NULL, h);
	ASSERT_LT(0, n);
	/* v6's index is unsigned: -1 is no request for a new slot. */
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, -1, CMD_SET_NATIVE, 0)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, n, CMD_SET_NATIVE, 0)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, n + 1, CMD_SET_NATIVE,
						   0)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(NULL, n, CMD_SET_NATIVE,
						   0)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(NULL, -1, CMD_LIMIT, 0)));
	EXPECT_EQ(-EINVAL, ERR(rf_get_robust_list2(0, &got, -1, 0)));
	EXPECT_EQ(-EINVAL, ERR(rf_get_robust_list2(0, &got, n, 0)));
	EXPECT_EQ(JUNK, got);
	/* Nothing was registered by any of them. */
	EXPECT_EQ(-ENOENT, rf_list_get(0, 0, &(struct rf_list_desc){ 0 }));
}

TEST(flags_and_command_refused)
{
	void *h = native_head(), *got = JUNK;

	ASSERT_NE(NULL, h);
	/* v6: the width is in the command, flags must be 0. */
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, 0, CMD_SET_NATIVE, 1)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, 0, CMD_SET_NATIVE, 2)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, 0, CMD_SET_NATIVE, 999)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(NULL, 0, CMD_LIMIT, 1)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, 0,
					RF_ROBUST_LIST_CMD_USER_MAX, 0)));
	EXPECT_EQ(-EINVAL, ERR(rf_set_robust_list2(h, 0, -1, 0)));
	EXPECT_EQ(-EINVAL, ERR(rf_get_robust_list2(0, &got, 0, 1)));
	EXPECT_EQ(JUNK, got);
	EXPECT_EQ(-ENOENT, rf_list_get(0, 0, &(struct rf_list_desc){ 0 }));
}

TEST(get_unset_is_null)
{
	void *h = native_head(), *got;
	long n = limit();

	ASSERT_NE(NULL, h);
	/* A thread the module has never seen. */
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ(NULL, got);
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(rf_gettid(), &got, n - 1, 0));
	EXPECT_EQ(NULL, got);
	/* A registered thread's unused slot. */
	ASSERT_EQ(0, rf_set_robust_list2(h, 1, CMD_SET_NATIVE, 0));
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ(NULL, got);
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, n - 1, 0));
	EXPECT_EQ(NULL, got);
	/* As v6, which looks the PID up: none is negative. */
	EXPECT_EQ(-ESRCH, ERR(rf_get_robust_list2(-1, &got, 0, 0)));
}

TEST(null_head_clears)
{
	void *h = native_head(), *got;

	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, rf_set_robust_list2(h, 0, CMD_SET_NATIVE, 0));
	ASSERT_EQ(0, rf_set_robust_list2(h, 2, CMD_SET_NATIVE, 0));
	EXPECT_EQ(0, rf_set_robust_list2(NULL, 2, CMD_SET_NATIVE, 0));
	got = JUNK;
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 2, 0));
	EXPECT_EQ(NULL, got);
	EXPECT_EQ(-ENOENT, rf_list_get(0, 2, &(struct rf_list_desc){ 0 }));
	/* Slot 0 is untouched; an empty slot clears again, with 0. */
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ(h, got);
	EXPECT_EQ(0, rf_set_robust_list2(NULL, 2, RF_ROBUST_LIST_CMD_SET_32,
					 0));
	EXPECT_EQ(0, rf_set_robust_list2(NULL, 3, CMD_SET_NATIVE, 0));
	/* The last one: the thread has no list left. */
	EXPECT_EQ(0, rf_set_robust_list2(NULL, 0, CMD_SET_NATIVE, 0));
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ(NULL, got);
	EXPECT_EQ(-ENOENT, rf_list_get(0, 0, &(struct rf_list_desc){ 0 }));
}

/* Fills every slot, as v6's own test does, and reads each back. */
static int fill_all(void *arg)
{
	long n = limit(), i;
	char *heads = arg;
	void *got;

	if (n < 1)
		return 1;
	for (i = 0; i < n; i++) {
		tl_init(&(struct tlist){ 0 }, NATIVE, heads + 32 * i);
		if (rf_set_robust_list2(heads + 32 * i, i, CMD_SET_NATIVE, 0))
			return 2;
	}
	for (i = 0; i < n; i++)
		if (rf_get_robust_list2(0, &got, i, 0) ||
		    got != heads + 32 * i)
			return 3;
	return rf_set_robust_list2(heads, n, CMD_SET_NATIVE, 0) == -1 &&
	       errno == EINVAL ? 0 : 4;
}

TEST(list_limit)
{
	struct rf_info info;
	char *heads = tl_map(256 * 32, 0);
	long old = rf_param("max_lists");

	ASSERT_NE(NULL, heads);
	ASSERT_EQ(0, rf_info(&info));
	/* The module's slots per thread; head and index are not looked at. */
	EXPECT_EQ((long)info.max_lists, limit());
	EXPECT_EQ((long)info.max_lists,
		  rf_set_robust_list2(JUNK, info.max_lists - 1, CMD_LIMIT, 0));
	EXPECT_EQ(0, tl_in_child(fill_all, heads));
	/* It follows the parameter (restored after). */
	if (old < 1 || rf_set_param("max_lists", 5))
		SKIP(return, "cannot set max_lists");
	EXPECT_EQ(5, limit());
	EXPECT_EQ(0, tl_in_child(fill_all, heads));
	EXPECT_EQ(0, rf_set_param("max_lists", old));
	EXPECT_EQ(old, limit());
}

/* ---- the lists are walked ---- */

struct deaths {
	void *low;		/* 32-bit list and its lock, below 4 GiB */
	void *any;		/* native list and its lock */
	int clear;		/* empty the native slot before dying */
};

/* The lock that goes with the list head at @page. */
static struct tlock *lock_of(void *page)
{
	return (struct tlock *)((char *)page + 64);
}

/* Takes a lock on each list (TID, waiters), then dies holding both. */
static int die_holding(void *arg)
{
	struct deaths *d = arg;
	struct tlist l32, ln;
	struct tlock *a = lock_of(d->low);
	struct tlock *b = lock_of(d->any);
	long n = limit();

	tl_init(&l32, 32, d->low);
	tl_init(&ln, NATIVE, d->any);
	a->word = rf_gettid() | W;
	b->word = rf_gettid() | W;
	tl_push(&l32, a);
	tl_push(&ln, b);
	if (n < 2 ||
	    rf_set_robust_list2(d->low, n - 1, RF_ROBUST_LIST_CMD_SET_32, 0) ||
	    rf_set_robust_list2(d->any, 0, CMD_SET_NATIVE, 0))
		return 2;
	if (d->clear && rf_set_robust_list2(NULL, 0, CMD_SET_NATIVE, 0))
		return 3;
	return 0;
}

TEST(walked_at_process_death)
{
	struct deaths d = { tl_map(4096, 1), tl_map(4096, 0), 0 };
	struct tlock *a, *b;

	ASSERT_NE(NULL, d.low);
	ASSERT_NE(NULL, d.any);
	a = lock_of(d.low);
	b = lock_of(d.any);
	ASSERT_EQ(0, tl_in_child(die_holding, &d));
	EXPECT_EQ(OD | W, a->word);
	EXPECT_EQ(OD | W, b->word);
	EXPECT_EQ(0, a->canary);
	EXPECT_EQ(0, b->canary);
}

TEST(cleared_slot_not_walked)
{
	struct deaths d = { tl_map(4096, 1), tl_map(4096, 0), 1 };
	struct tlock *a, *b;

	ASSERT_NE(NULL, d.low);
	ASSERT_NE(NULL, d.any);
	a = lock_of(d.low);
	b = lock_of(d.any);
	ASSERT_EQ(0, tl_in_child(die_holding, &d));
	EXPECT_EQ(OD | W, a->word);
	/* Its slot was emptied with a NULL head: the lock stays as it was. */
	EXPECT_EQ(0, b->word & OD);
	EXPECT_EQ(W, b->word & W);
}

static void *thread_dies(void *arg)
{
	return (void *)(intptr_t)die_holding(arg);
}

TEST(walked_at_thread_death)
{
	struct deaths d = { tl_map(4096, 1), tl_map(4096, 0), 0 };
	struct tlock *a, *b;
	pthread_t t;
	void *ret;

	ASSERT_NE(NULL, d.low);
	ASSERT_NE(NULL, d.any);
	a = lock_of(d.low);
	b = lock_of(d.any);
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_dies, &d));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(NULL, ret);
	/* The walk may come after the join: wait for it (a hang bound). */
	EXPECT_TRUE(RF_UNTIL(a->word == (OD | W) && b->word == (OD | W),
			     1000));
	EXPECT_EQ(OD | W, a->word);
	EXPECT_EQ(OD | W, b->word);
}

/* ---- without the module ---- */

TEST(enosys_without_module)
{
	void *h = native_head(), *got = JUNK;
	rf_mutex_t m = RF_MUTEX_INITIALIZER;

	ASSERT_NE(NULL, h);
	if (have_module()) {
		/*
		 * Hide the device: a mount namespace of this test's own with
		 * an empty /dev.  The library has not opened it here yet.
		 */
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("none", "/dev", "tmpfs", 0, NULL))
			SKIP(return, "cannot hide %s: %s", RF_DEVICE_PATH,
			     strerror(errno));
		ASSERT_FALSE(have_module());
	}
	/* As a kernel without the calls, whatever the arguments. */
	EXPECT_EQ(-ENOSYS, ERR(limit()));
	EXPECT_EQ(-ENOSYS, ERR(rf_set_robust_list2(h, 0, CMD_SET_NATIVE, 0)));
	EXPECT_EQ(-ENOSYS, ERR(rf_set_robust_list2(NULL, 0, CMD_SET_NATIVE,
						   0)));
	EXPECT_EQ(-ENOSYS, ERR(rf_set_robust_list2(h, -1, CMD_SET_NATIVE, 7)));
	EXPECT_EQ(-ENOSYS, ERR(rf_get_robust_list2(0, &got, 0, 0)));
	EXPECT_EQ(JUNK, got);
	/* The rest of the library still says ENODEV. */
	EXPECT_EQ(-ENODEV, rf_list_register(h, NATIVE, RF_PROTO_MAINLINE));
	EXPECT_EQ(-ENODEV, rf_info(&(struct rf_info){ 0 }));
	EXPECT_EQ(ENODEV, rf_mutex_init(&m, NULL));
}

TEST_HARNESS_MAIN
