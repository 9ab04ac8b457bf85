/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interface between rf_raw.c and rf_mutex.c.  These are hidden
 * symbols, so that the mutex code of one copy of the library always uses
 * its own raw layer (its own fd), never an interposed copy's.
 */
#ifndef RF_INTERNAL_H
#define RF_INTERNAL_H

#include <stdbool.h>
#include <robustfutex.h>

#define RF_EXPORT	__attribute__((visibility("default")))
#define RF_HIDDEN	__attribute__((visibility("hidden")))

/* The raw API, same contracts as the public functions (-errno). */
RF_HIDDEN int rfi_set_list(int index, void *head, int width, int protocol);
RF_HIDDEN int rfi_set_list_base(int index, void *head, int width,
			       int protocol, uint64_t base);
/* Fills @l (zeroed first) from RF_IOC_GET_LIST. */
RF_HIDDEN int rfi_get_list(pid_t tid, int index, struct rf_list *l);
RF_HIDDEN int rfi_remove_list(int index);
RF_HIDDEN int rfi_wait(uint32_t *uaddr, uint32_t val, int flags,
		       clockid_t clk, const struct timespec *abstime);
RF_HIDDEN int rfi_wake(uint32_t *uaddr, int nr, int flags);
RF_HIDDEN int rfi_get_owner(void);
/* RF_IOC_GET_INFO into @info (zeroed first, size set). */
RF_HIDDEN int rfi_info(struct rf_info *info);
/* The device fd (opened on first use), or -errno. */
RF_HIDDEN int rfi_fd(void);
/* Make sure the cached descriptor still names the device (after fork). */
RF_HIDDEN void rfi_fd_check(void);

/*
 * The mutex core (rf_mutex.c), shared by rf_mutex_t and the pthread
 * preload (preload_mutex.c): one layout, one protocol.  It fits glibc's
 * pthread_mutex_t (40 bytes on x86_64, 24 on i386) with kind where glibc
 * keeps __kind, so that a mutex the preload made carries a kind glibc
 * rejects with EINVAL (RFK_MARK: type 8 is none of glibc's), and a process
 * without the preload fails cleanly on it instead of corrupting it.
 */
struct rf_node {
	struct rf_node *next;	/* the only field the kernel follows */
	struct rf_node *prev;
};

struct rf_mutex_impl {
	uint32_t word;		/* the futex word: must stay first */
	uint32_t count;		/* recursion depth, owner only (__count) */
	uint32_t flags;		/* RFF_*, written by the owner only */
#if UINTPTR_MAX > 0xffffffffu
	uint32_t spare1;	/* glibc's __nusers */
#endif
	uint32_t kind;		/* RFK_*: at glibc's __kind */
#if UINTPTR_MAX > 0xffffffffu
	uint32_t spare2;
#endif
	struct rf_node node;
};

/* flags */
#define RFF_INCONSISTENT 0x1u	/* EOWNERDEAD not yet made consistent */
#define RFF_ORPHAN	0x2u	/* owner was exiting: trylock asks the module */

/* kind: type in bits 0-1, then flags.  Zero is the default rf_mutex_t. */
#define RFK_TYPE	0x03u
#define RFK_SHARED	0x10u
#define RFK_STALLED	0x20u
#define RFK_MARK	0x52460008u	/* set by init; bit 3: glibc's EINVAL */
#define RFK_MARK_MASK	0xffff0008u
#define RFK_DESTROYED	0xffffffffu	/* as glibc's destroy leaves __kind */

static inline int rfk_marked(uint32_t kind)
{
	return (kind & RFK_MARK_MASK) == RFK_MARK;
}

enum { RF_LOCK, RF_TRY, RF_TIMED };

/*
 * Same contracts as the rf_mutex_* functions (positive errno).  @glibc:
 * answer as glibc 2.36's pthread_mutex_* do where rf_mutex_* documents
 * another answer (the preload passes true): unlock, consistent, destroy.
 */
RF_HIDDEN int rfm_init(struct rf_mutex_impl *m, size_t size, uint32_t kind);
RF_HIDDEN int rfm_lock(struct rf_mutex_impl *m, int mode, clockid_t clk,
		       const struct timespec *abstime);
RF_HIDDEN int rfm_timed(struct rf_mutex_impl *m, clockid_t clk,
			const struct timespec *abstime);
RF_HIDDEN int rfm_unlock(struct rf_mutex_impl *m, bool glibc);
RF_HIDDEN int rfm_consistent(struct rf_mutex_impl *m, bool glibc);
RF_HIDDEN int rfm_destroy(struct rf_mutex_impl *m, bool glibc);
/* The slot of the calling thread's rf_mutex list in this copy, or -1. */
RF_HIDDEN int rfm_list_slot(void);

#endif
