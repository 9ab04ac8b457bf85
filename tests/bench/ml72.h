/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ml72: a small robust mutex over what mainline 7.2 offers, for the
 * comparison in tests/bench: set_robust_list(), the FUTEX_ROBUST_UNLOCK
 * futex op flag and, on x86, the vDSO's
 * __vdso_futex_robust_list64_try_unlock().  No libc uses them yet; this
 * is a client of our own, written from the kernel's documentation
 * (Documentation/locking/robust-futex-ABI.rst, include/vdso/futex.h).
 *
 * The futex word holds the owner's TID, FUTEX_WAITERS and
 * FUTEX_OWNER_DIED, as mainline's exit walk expects.  What 7.2 changes
 * is the release: the uncontended unlock is the vDSO's compare-and-
 * exchange (TID -> 0) followed by clearing list_op_pending, an
 * instruction range the kernel recognises by instruction pointer (it
 * clears list_op_pending itself when a signal interrupts the thread
 * there); the contended unlock is one system call that stores 0, clears
 * list_op_pending and wakes.  So a thread killed after its release never
 * leaves list_op_pending naming memory that may be reused (glibc bug
 * 14485).
 *
 * Registering an ml72 list replaces the calling thread's registered
 * robust list (glibc's): a thread that uses ml72 must not count on the
 * kernel for the glibc robust mutexes it holds.  The bench programs keep
 * them apart (each child process or thread that can die uses one kind).
 * fork() children register again on their first lock (atfork handler);
 * a child made by a raw clone() must call ml72_forget_thread() first.
 *
 * All futex operations are shared-keyed: the kernel's exit walk wakes
 * with a shared key, which would miss a waiter asleep on a private one.
 */
#ifndef ML72_H
#define ML72_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/futex.h>

/* The 7.2 ABI (include/uapi/linux/futex.h), for older headers. */
#ifndef FUTEX_ROBUST_UNLOCK
#define FUTEX_ROBUST_UNLOCK	512
#endif
#ifndef FUTEX_ROBUST_LIST32
#define FUTEX_ROBUST_LIST32	1024
#endif

struct ml72_node {
	struct ml72_node *next;	/* the kernel follows this one */
	struct ml72_node *prev;	/* ours: O(1) removal */
};

typedef struct ml72_mutex {
	uint32_t word;		/* TID | FUTEX_WAITERS | FUTEX_OWNER_DIED */
	uint32_t state;		/* ML72_INCONSISTENT while owner-died */
	struct ml72_node node;
} ml72_mutex_t;

/* A 32-bit list, as a 32-bit guest (an emulator's) lays it out. */
struct ml72_head32 {
	uint32_t next;
	int32_t futex_offset;
	uint32_t pending;
};

struct ml72_lock32 {
	uint32_t next;
	uint32_t word;
};

/*
 * Whether this kernel has what ml72 needs: FUTEX_ROBUST_UNLOCK and the
 * vDSO's 64-bit try-unlock.  If not, ml72_why_not() says why, and
 * ml72_init() fails with ENOSYS.
 */
bool ml72_available(void);
const char *ml72_why_not(void);

/* 0, or ENOSYS (see ml72_available()). */
int ml72_init(ml72_mutex_t *m);
/* 0, EOWNERDEAD, ENOTRECOVERABLE.  A normal mutex: a relock by its
 * owner waits for ever, as with PTHREAD_MUTEX_NORMAL. */
int ml72_lock(ml72_mutex_t *m);
/* 0, EBUSY, EOWNERDEAD, ENOTRECOVERABLE. */
int ml72_trylock(ml72_mutex_t *m);
/* 0, EPERM (not the owner).  An owner-died mutex not made consistent
 * becomes not recoverable. */
int ml72_unlock(ml72_mutex_t *m);
/* 0, EINVAL (not owner-died, or not the owner). */
int ml72_consistent(ml72_mutex_t *m);

/* The calling thread's list head, registered if it was not yet. */
struct robust_list_head *ml72_head(void);
/* The TID ml72 puts in the word for the calling thread. */
pid_t ml72_tid(void);
/* Forget the calling thread's registration (after a raw clone()). */
void ml72_forget_thread(void);
/* Unlocks by this thread that needed the system call (waiters). */
unsigned long ml72_unlock_syscalls(void);

/*
 * The 32-bit list (FUTEX_ROBUST_LIST32 and the vDSO's list32 helper):
 * what 7.2 gives an emulator for its guest's list.  The head and locks
 * must lie below 4 GiB.  Registration is the compat set_robust_list,
 * which a 64-bit process can reach only on x86 (int 0x80).
 */
bool ml72_list32_available(void);
const char *ml72_list32_why_not(void);
/* 0 or -errno. */
int ml72_list32_register(struct ml72_head32 *h);
/* Uncontended lock (0, EBUSY) and unlock (0, EPERM) on a 32-bit list. */
int ml72_lock32(struct ml72_head32 *h, struct ml72_lock32 *l);
int ml72_unlock32(struct ml72_head32 *h, struct ml72_lock32 *l);

#endif
