/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Robust lists built by hand in the mainline layout, in 32- or 64-bit
 * pointer width, for tests that register them raw and let a thread die.
 */
#ifndef RF_LISTS_H
#define RF_LISTS_H

#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include "rf_test.h"

#ifndef MAP_32BIT
#define MAP_32BIT 0	/* i386: every address is below 4 GiB */
#endif

/* A lock as the tests lay it out: list node, then the futex word. */
struct tlock {
	uint64_t node;		/* next pointer (32 or 64 bits used) */
	uint32_t word;
	uint32_t canary;
};
#define TLOCK_OFFSET	8	/* futex_offset: node -> word */

struct tlist {
	int width;		/* 32 or 64 */
	void *head;		/* 24 bytes: next, futex_offset, pending */
};

static inline void tl_put(int width, void *at, uint64_t v)
{
	if (width == 32)
		*(volatile uint32_t *)at = (uint32_t)v;
	else
		*(volatile uint64_t *)at = v;
}

static inline void *tl_field(const struct tlist *l, int i)
{
	return (char *)l->head + i * (l->width / 8);
}

/* Shared anonymous memory (the parent sees the dead child's words). */
static inline void *tl_map(size_t len, int low)
{
	void *p;

#if UINTPTR_MAX > 0xffffffffu && MAP_32BIT == 0
	/*
	 * A 64-bit process without MAP_32BIT (arm64 and the rest): ask for
	 * a place below 4 GiB by address, moving on while one is taken.
	 */
	if (low) {
		uintptr_t a;

		for (a = 0x40000000u; a + len <= 0x100000000ull; a += 0x1000000u) {
			p = mmap((void *)a, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				 -1, 0);
			if (p == (void *)a)
				return p;
			if (p != MAP_FAILED)	/* a kernel that took it as a hint */
				munmap(p, len);
		}
		return NULL;
	}
#endif
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | (low ? MAP_32BIT : 0), -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void tl_init(struct tlist *l, int width, void *head)
{
	l->width = width;
	l->head = head;
	tl_put(width, tl_field(l, 0), (uintptr_t)head);
	tl_put(width, tl_field(l, 1), TLOCK_OFFSET);
	tl_put(width, tl_field(l, 2), 0);
}

/* Push @lk at the front of the list. */
static inline void tl_push(struct tlist *l, struct tlock *lk)
{
	uint64_t first = l->width == 32 ? *(uint32_t *)l->head :
					   *(uint64_t *)l->head;

	tl_put(l->width, &lk->node, first);
	tl_put(l->width, tl_field(l, 0), (uintptr_t)lk);
}

static inline void tl_pending(struct tlist *l, uint64_t v)
{
	tl_put(l->width, tl_field(l, 2), v);
}

static inline long tl_register(int fd, struct tlist *l, int protocol)
{
	struct rf_list a = {
		.size = sizeof(a), .index = -1, .width = l->width,
		.protocol = protocol, .head = (uintptr_t)l->head,
	};
	long r = rf_ioc(fd, RF_IOC_SET_LIST, &a);

	return r < 0 ? r : a.index;
}

/*
 * Fork; the child runs @fn (and dies with what it left) and _exit()s with
 * its result.  Returns the wait status: 0 when @fn returned 0.
 */
static inline int tl_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

#endif
