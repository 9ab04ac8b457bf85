// SPDX-License-Identifier: GPL-2.0
/*
 * Lists of an emulated guest (the emulator use case): a per-list
 * base added to every pointer the walker reads, 32-bit pointer arithmetic
 * that wraps at 4 GiB, and how the set_robust_list2-shaped library calls
 * share the module's slots.
 *
 * The guest's memory is a 4 GiB reservation of shared memory (so the
 * parent sees what the walk of its dead child wrote), touched only where
 * the lists live.  Each walk test also plants a decoy where the walker
 * would land if it ignored the base or did not wrap: it must stay as it
 * was.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_lists.h"
#include <robustfutex.h>

#define OD	FUTEX_OWNER_DIED
#define W	FUTEX_WAITERS
#define NATIVE	((int)sizeof(void *) * 8)
#define GIB4	(1ULL << 32)
#define PG	4096UL

/* A guest: host address of guest address G is base + G. */
struct guest {
	char *base;
	size_t len;
};

/* Reserve a 4 GiB (+ @extra) guest; nothing is backed until touched. */
static int guest_map(struct guest *g, size_t extra)
{
	g->len = GIB4 + extra;
	g->base = mmap(NULL, g->len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return g->base == MAP_FAILED ? -errno : 0;
}

static void *gp(const struct guest *g, uint64_t ga)
{
	return g->base + ga;
}

/* A 32-bit list in the guest: head at guest address @head. */
static void g_init(const struct guest *g, uint32_t head, int32_t off)
{
	uint32_t *h = gp(g, head);

	h[0] = head;		/* empty: next points at the head */
	h[1] = (uint32_t)off;
	h[2] = 0;
}

/* Push the lock whose node is at guest address @node. */
static void g_push(const struct guest *g, uint32_t head, uint32_t node)
{
	uint32_t *h = gp(g, head);

	*(uint32_t *)gp(g, node) = h[0];
	h[0] = node;
}

static long g_register(int fd, const struct guest *g, uint32_t head,
		       uint64_t base)
{
	struct rf_list a = {
		.size = sizeof(a), .index = -1, .width = 32,
		.protocol = RF_PROTO_MAINLINE,
		.head = (uintptr_t)gp(g, head), .base = base,
	};
	long r = rf_ioc(fd, RF_IOC_SET_LIST, &a);

	return r < 0 ? r : a.index;
}

/* ---- entries, pending and futex words all go through the base ---- */

#define HEAD	0x10000u	/* guest addresses; mmap_min_addr is 64K */
#define LOCKS	0x20000u
#define LOFF	8		/* node -> word */

static struct guest G;

static struct tlock *decoy;

static int die_holding_guest_locks(void *arg)
{
	uint32_t tid = rf_gettid();
	int i;

	g_init(&G, HEAD, LOFF);
	for (i = 0; i < 3; i++) {
		*(uint32_t *)gp(&G, LOCKS + 64 * i + LOFF) = tid | (i ? 0 : W);
		g_push(&G, HEAD, LOCKS + 64 * i);
	}
	/* Acquired, not yet enqueued: only list_op_pending names it. */
	*(uint32_t *)gp(&G, LOCKS + 512 + LOFF) = tid;
	((uint32_t *)gp(&G, HEAD))[2] = LOCKS + 512;
	/* Where a walker that ignored the base would find a lock of ours. */
	decoy->node = HEAD;
	decoy->word = tid;
	return g_register(rf_open(), &G, HEAD, (uintptr_t)G.base) == 0 ? 0 : 2;
}

TEST(base_walks_guest_pointers)
{
	int i;

	if (NATIVE == 32)
		SKIP(return, "a 32-bit process has no room for a 4 GiB guest");
	ASSERT_EQ(0, guest_map(&G, 0));
	decoy = mmap((void *)(uintptr_t)LOCKS, PG, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (decoy == MAP_FAILED)
		SKIP(return, "cannot map the decoy at 0x%x", LOCKS);
	ASSERT_EQ(0, tl_in_child(die_holding_guest_locks, NULL));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(OD | (i ? 0 : W),
			  *(uint32_t *)gp(&G, LOCKS + 64 * i + LOFF))
			TH_LOG("guest lock %d", i);
	EXPECT_EQ(OD, *(uint32_t *)gp(&G, LOCKS + 512 + LOFF));
	EXPECT_EQ(0, decoy->word & OD);
	EXPECT_NE(0, decoy->word);
	munmap(decoy, PG);
	munmap(G.base, G.len);
}

/* ---- entry + futex_offset crossing 4 GiB wraps, as in the guest ---- */

#define TOP	0xfffff800u	/* a node in the guest's last page */
#define LOW	0x10040u	/* where its word lands after the wrap */

static int die_holding_wrapping_lock(void *arg)
{
	uint32_t top = *(uint32_t *)arg;
	int32_t off = (int32_t)(LOW - top);	/* positive: crosses 4 GiB */

	g_init(&G, top - 0x800, off);
	*(uint32_t *)gp(&G, LOW) = rf_gettid();
	*(uint32_t *)gp(&G, GIB4 + LOW) = rf_gettid();	/* unwrapped sum */
	g_push(&G, top - 0x800, top);
	return g_register(rf_open(), &G, top - 0x800,
			  (uintptr_t)G.base) == 0 ? 0 : 2;
}

TEST(wrap_at_4g_with_base)
{
	uint32_t top = TOP;

	if (NATIVE == 32)
		SKIP(return, "a 32-bit process has no room for a 4 GiB guest");
	/* The extra page past 4 GiB is where an unwrapped sum lands. */
	ASSERT_EQ(0, guest_map(&G, 0x20000));
	ASSERT_EQ(0, tl_in_child(die_holding_wrapping_lock, &top));
	EXPECT_EQ(OD, *(uint32_t *)gp(&G, LOW));
	EXPECT_EQ(0, *(uint32_t *)gp(&G, GIB4 + LOW) & OD);
	EXPECT_NE(0, *(uint32_t *)gp(&G, GIB4 + LOW));
	munmap(G.base, G.len);
}

/*
 * Base 0: the lists of a 32-bit process, or a 64-bit process's 32-bit
 * list.  The node sits in the last page the process can map below 4 GiB.
 */
static uint32_t *past_word;

static int die_holding_low_wrap(void *arg)
{
	char *page = arg;
	uint32_t node = (uint32_t)(uintptr_t)page + 0x800;
	int32_t off = (int32_t)(LOW - node);
	struct tlist l;

	l.width = 32;
	l.head = page;
	tl_put(32, tl_field(&l, 0), (uintptr_t)page);
	tl_put(32, tl_field(&l, 1), (uint32_t)off);
	tl_put(32, tl_field(&l, 2), 0);
	*(volatile uint32_t *)(uintptr_t)LOW = rf_gettid();
	if (past_word)
		*past_word = rf_gettid();	/* the unwrapped sum */
	tl_put(32, page + 0x800, (uintptr_t)page);
	tl_put(32, tl_field(&l, 0), node);
	return tl_register(rf_open(), &l, RF_PROTO_MAINLINE) == 0 ? 0 : 2;
}

TEST(wrap_at_4g_without_base)
{
	/*
	 * i386 processes end below 0xffffe000 (the vsyscall page); a 64-bit
	 * one takes the last whole page below 4 GiB, of whatever size.
	 */
	uintptr_t top = NATIVE == 32 ? 0xffffc000u :
		(uintptr_t)(GIB4 - sysconf(_SC_PAGESIZE));
	char *page, *low, *past = NULL;

	page = mmap((void *)top, PG, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	low = mmap((void *)(uintptr_t)(LOW & ~(PG - 1)), PG,
		   PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (page == MAP_FAILED || low == MAP_FAILED)
		SKIP(return, "cannot map the pages below 4 GiB");
	if (NATIVE == 64) {
		/* Where the sum would land unwrapped. */
		past = mmap((void *)(uintptr_t)(GIB4 + (LOW & ~(PG - 1))), PG,
			    PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0);
		ASSERT_NE(MAP_FAILED, past);
		past_word = (uint32_t *)(past + (LOW & (PG - 1)));
	}
	ASSERT_EQ(0, tl_in_child(die_holding_low_wrap, page));
	EXPECT_EQ(OD, *(volatile uint32_t *)(uintptr_t)LOW);
	if (past) {
		EXPECT_EQ(0, *past_word & OD);
		EXPECT_NE(0, *past_word);
	}
	munmap(page, PG);
	munmap(low, PG);
	if (past)
		munmap(past, PG);
}

/* ---- what SET_LIST refuses, and what GET_LIST reports ---- */

TEST(bad_bases_refused)
{
	struct rf_list a, good;
	int fd = rf_open();
	uint64_t base;

	if (NATIVE == 32) {
		static uint32_t head[3];

		good = (struct rf_list){
			.size = sizeof(a), .index = -1, .width = 32,
			.protocol = RF_PROTO_MAINLINE,
			.head = (uintptr_t)head,
		};
		/* No 4 GiB guest fits in a 32-bit process. */
		a = good; a.base = 0x1000;
		EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
		SKIP(return, "the rest needs a 64-bit process");
	}
	ASSERT_EQ(0, guest_map(&G, 0));
	base = (uintptr_t)G.base;
	good = (struct rf_list){
		.size = sizeof(a), .index = -1, .width = 32,
		.protocol = RF_PROTO_MAINLINE,
		.head = base + HEAD, .base = base,
	};
	a = good; a.base = base + 2;		/* misaligned */
	a.head = a.base + HEAD;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.head = base - 16;		/* below the guest */
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.head = base + GIB4 - 8;	/* runs past the guest */
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	/* A guest past user space (4- or 5-level paging). */
	a = good; a.base = 0x00ffffff00000000ULL;
	a.head = a.base + HEAD;
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.base = -4096ULL; a.head = 0x10000;	/* wraps round */
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	a = good; a.width = 64;			/* 64-bit lists take no base */
	EXPECT_EQ(-EINVAL, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	/* Nothing above registered the thread. */
	a = (struct rf_list){ .size = sizeof(a), .index = 0 };
	EXPECT_EQ(-ENOENT, rf_ioc(fd, RF_IOC_GET_LIST, &a));

	/* A good one, reported back with its base. */
	a = good;
	ASSERT_EQ(0, rf_ioc(fd, RF_IOC_SET_LIST, &a));
	EXPECT_EQ(0, a.index);
	a = (struct rf_list){ .size = sizeof(a), .index = 0 };
	ASSERT_EQ(0, rf_ioc(fd, RF_IOC_GET_LIST, &a));
	EXPECT_EQ(base + HEAD, a.head);
	EXPECT_EQ(base, a.base);
	EXPECT_EQ(32, a.width);
	{
		uint64_t b = 1;

		EXPECT_EQ(0, rf_list_get_base(0, 0, &b));
		EXPECT_EQ(base, b);
	}
	/* A caller that cannot see the base is not told a wrong list. */
	a = (struct rf_list){ .size = RF_LIST_SIZE_VER0, .index = 0 };
	EXPECT_EQ(-EOVERFLOW, rf_ioc(fd, RF_IOC_GET_LIST, &a));
	/* A caller that predates the base (32-byte struct): base 0. */
	{
		void *low = tl_map(4096, 1);
		uint64_t b = 1;

		ASSERT_NE(NULL, low);
		tl_init(&(struct tlist){ 0 }, 32, low);
		a = (struct rf_list){
			.size = RF_LIST_SIZE_VER0, .index = -1, .width = 32,
			.protocol = RF_PROTO_MAINLINE, .head = (uintptr_t)low,
			.base = base,	/* past the size given: not read */
		};
		ASSERT_EQ(0, rf_ioc(fd, RF_IOC_SET_LIST, &a));
		EXPECT_EQ(1, a.index);
		EXPECT_EQ(0, rf_list_get_base(0, 1, &b));
		EXPECT_EQ(0, b);
		ASSERT_EQ(0, rf_list_remove(1));
	}
	ASSERT_EQ(0, rf_list_remove(0));
	munmap(G.base, G.len);
}

/* ---- set_robust_list2 / get_robust_list2 share the module's slots ---- */

/*
 * Each v6 behaviour on its own: t_robust_list2.c.  Here: a v6 index is
 * the module's slot, seen by both APIs, and the slot of the library's own
 * rf_mutex_* list is not the v6 call's to replace or clear.
 */
TEST(robust_list2_slots)
{
	static char h[3][24] __attribute__((aligned(8)));
	unsigned int cmd = NATIVE == 64 ? RF_ROBUST_LIST_CMD_SET_64 :
					  RF_ROBUST_LIST_CMD_SET_32;
	rf_mutex_t m = RF_MUTEX_INITIALIZER;
	struct rf_list_desc d;
	void *got = NULL;
	int mine;

	tl_init(&(struct tlist){ 0 }, NATIVE, h[0]);
	tl_init(&(struct tlist){ 0 }, NATIVE, h[1]);
	tl_init(&(struct tlist){ 0 }, NATIVE, h[2]);
	/* A slot the raw API took is v6's slot of that number. */
	ASSERT_EQ(0, rf_list_register(h[0], NATIVE, RF_PROTO_INTENT));
	EXPECT_EQ(0, rf_get_robust_list2(0, &got, 0, 0));
	EXPECT_EQ((void *)h[0], got);
	/* And one the v6 call set is the raw API's, mainline's rules. */
	EXPECT_EQ(0, rf_set_robust_list2(h[1], 3, cmd, 0));
	ASSERT_EQ(0, rf_list_get(0, 3, &d));
	EXPECT_EQ((uintptr_t)h[1], d.head);
	EXPECT_EQ(NATIVE, (int)d.width);
	EXPECT_EQ(RF_PROTO_MAINLINE, (int)d.protocol);
	/* rf_list_register() takes the first free slot: 1. */
	EXPECT_EQ(1, rf_list_register(h[2], NATIVE, RF_PROTO_MAINLINE));
	EXPECT_EQ(0, rf_list_remove(1));

	/* The first robust lock registers the library's list: slot 1. */
	ASSERT_EQ(0, rf_mutex_lock(&m));
	mine = 1;
	EXPECT_EQ(0, rf_list_get(0, mine, &d));
	errno = 0;
	EXPECT_EQ(-1, rf_set_robust_list2(h[2], mine, cmd, 0));
	EXPECT_EQ(EBUSY, errno);
	errno = 0;
	EXPECT_EQ(-1, rf_set_robust_list2(NULL, mine, cmd, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, rf_list_get(0, mine, &d));
	EXPECT_NE((uintptr_t)h[2], d.head);
	/* The others are the caller's, to set and to clear. */
	EXPECT_EQ(0, rf_set_robust_list2(h[2], 0, cmd, 0));
	EXPECT_EQ(0, rf_set_robust_list2(NULL, 0, cmd, 0));
	EXPECT_EQ(0, rf_set_robust_list2(NULL, 3, cmd, 0));
	EXPECT_EQ(0, rf_mutex_unlock(&m));
	EXPECT_EQ(-ENOENT, rf_list_get(0, 0, &d));
	EXPECT_EQ(-ENOENT, rf_list_get(0, 3, &d));
}

TEST_HARNESS_MAIN
