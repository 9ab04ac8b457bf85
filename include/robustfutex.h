/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * librobustfutex: robust mutexes and typed robust lists on /dev/robustfutex
 * (the robustfutex kernel module).
 *
 * Two layers:
 *
 *  - The raw API (rf_list_*, rf_info, rf_futex_*, rf_owner_id) for
 *    emulators and for code that runs its own locking protocol.
 *
 *  - Robust mutexes (rf_mutex_*, rf_mutexattr_*) with the semantics of
 *    POSIX/glibc robust mutexes.  They use the module's intent-to-release
 *    protocol, so a thread killed in the middle of an unlock never makes
 *    the kernel write into memory that may have been freed, and waiters
 *    are never lost.
 *
 * How each function reports an error (also said next to each):
 *   -errno	0 or a non-negative value on success, a NEGATIVE errno on
 *		failure, like the kernel: rf_list_register, rf_list_set,
 *		rf_list_get, rf_list_set_base, rf_list_get_base,
 *		rf_list_remove, rf_info, rf_futex_wait, rf_futex_wake,
 *		rf_owner_id
 *   -1, errno	-1 with errno set, like a system call:
 *		rf_set_robust_list2, rf_get_robust_list2
 *   +errno	0 or a POSITIVE errno, like pthread_mutex_*: rf_mutex_init,
 *		rf_mutex_lock, rf_mutex_trylock, rf_mutex_timedlock,
 *		rf_mutex_clocklock, rf_mutex_unlock, rf_mutex_consistent,
 *		rf_mutex_destroy, rf_mutexattr_* (the getters always 0)
 *   none	rf_mutex_word (a value, never an error)
 *
 * The library never calls set_robust_list(): glibc keeps its own list, and
 * every copy of this library (e.g. a second one dlopen'ed by a plugin)
 * takes its own list slot in the module.
 *
 * Every function that needs the module opens /dev/robustfutex on first use
 * (once per process, close-on-exec).  If that fails it returns ENODEV
 * (-ENODEV in the raw API), except the *_robust_list2 calls: errno ENOSYS,
 * as a kernel without those system calls would give.
 *
 * Diagnostics: the library writes nothing anywhere unless asked.  With
 * RF_DEBUG set in the environment to anything but "" or "0", a failure to
 * open the device is also reported on stderr, once per process:
 *	librobustfutex: /dev/robustfutex: <reason>; load the module with
 *	'modprobe robustfutex'
 *
 * Processes and threads:
 *  - A child made by fork(), _Fork() or a raw clone() without CLONE_VM
 *    starts afresh: on its first call it gets an owner ID of its own (the
 *    library notices the new process through a MADV_WIPEONFORK page, so
 *    no atfork handler is needed), and it does not own its parent's
 *    mutexes, whatever the copied memory says.
 *  - A clone(CLONE_VM) child shares the library's memory.  Without
 *    CLONE_FILES it has its own descriptor table: if the number the
 *    library caches names another file there, the library notices (device
 *    number check on EBADF/ENOTTY) and opens the device again.  Without
 *    CLONE_SETTLS it also shares the calling thread's TLS, and so its
 *    owner ID: lock rf_mutexes in such a child only if it has a TLS of
 *    its own.
 *  - A thread that exits holding robust mutexes keeps them until it is
 *    gone, through every key destructor (POSIX does not order them, and
 *    a later one may still use and unlock them); then the next thread to
 *    wait for or lock one gets EOWNERDEAD, as with glibc.
 */
#ifndef ROBUSTFUTEX_H
#define ROBUSTFUTEX_H

/*
 * This header's version, the library's and the package's (the Makefile
 * reads it from here).  The shared library's symbols carry the version
 * node LIBROBUSTFUTEX_<major>.<minor> of the release that added them.
 */
#define ROBUSTFUTEX_VERSION_MAJOR	0
#define ROBUSTFUTEX_VERSION_MINOR	1
#define ROBUSTFUTEX_VERSION_PATCH	0

#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <robustfutex/ioctl.h>

/*
 * The 32-bit library takes the default (32-bit) struct timespec; a caller
 * built with _TIME_BITS=64 would pass a different layout.
 */
#ifdef __USE_TIME_BITS64
#error "librobustfutex: 32-bit callers must use the default time_t (no _TIME_BITS=64)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Raw API.  All functions: >= 0 on success, -errno on failure, except    */
/* rf_set_robust_list2() and rf_get_robust_list2(): -1 and errno.          */

/*
 * Register a new robust list for the calling thread.  @head points to a
 * list head in mainline's layout (next, futex_offset, list_op_pending) in
 * @width bits (RF_WIDTH_32 or RF_WIDTH_64; a 32-bit head must lie below
 * 4 GiB); @protocol is RF_PROTO_MAINLINE or RF_PROTO_INTENT.  The list is
 * walked by the module when the thread dies or execs.
 * Convention: -errno.  Returns the slot index (>= 0), or -EINVAL (bad
 * head, width or protocol), -ENOSPC (no free slot, or too many registered
 * threads system wide), -ENOMEM, -ENODEV (module not loaded).
 */
int rf_list_register(void *head, int width, int protocol);

/*
 * Replace slot @index of the calling thread (or create it if unused).
 * Convention: -errno.
 * Returns 0, -EINVAL (bad index or arguments), -ENOSPC, -ENOMEM, -ENODEV.
 */
int rf_list_set(int index, void *head, int width, int protocol);

/* What rf_list_get() reports about a slot. */
struct rf_list_desc {
	uint64_t head;		/* user address of the list head */
	uint32_t width;		/* RF_WIDTH_32 or RF_WIDTH_64 */
	uint32_t protocol;	/* RF_PROTO_* */
};

/*
 * Read slot @index of thread @tid (0: the caller; else a TID in the
 * caller's pid namespace, possibly of another process).  Convention:
 * -errno.  Returns 0,
 * -ENOENT (slot unused or thread not registered), -ESRCH (no such thread),
 * -EPERM (may not inspect that thread: allowed are the caller's own
 * thread group and callers with CAP_SYS_PTRACE over the target), -EINVAL
 * (bad index), -ENODEV.
 */
int rf_list_get(pid_t tid, int index, struct rf_list_desc *desc);

/*
 * For emulators: as rf_list_register() (@index -1) or rf_list_set()
 * (@index >= 0), for a list whose pointers are a guest's: the module adds
 * @base to every pointer it reads from the list (entries,
 * list_op_pending, futex words) after the guest's own pointer arithmetic,
 * which for a 32-bit list wraps at 4 GiB.  @head is the host address of
 * the head and must lie in [base, base + 4 GiB).  A non-zero @base must be
 * aligned to the list's pointer size, leave the whole 4 GiB guest range
 * inside the caller's address space, and is for 32-bit lists only.
 * Convention: -errno.  Returns the slot index (>= 0), or the errors of
 * rf_list_register(), and -EOPNOTSUPP for a 64-bit list from a 32-bit
 * process.
 */
int rf_list_set_base(int index, void *head, int width, int protocol,
		     uint64_t base);

/*
 * The base of slot @index of thread @tid (see rf_list_get()); 0 if none.
 * Convention: -errno (those of rf_list_get()).
 */
int rf_list_get_base(pid_t tid, int index, uint64_t *base);

/*
 * set_robust_list2()/get_robust_list2() as the Linux proposal's version 6
 * has them (not merged), as library calls: a program written against v6
 * runs on the module with the names changed (set_robust_list2 ->
 * rf_set_robust_list2, get_robust_list2 -> rf_get_robust_list2,
 * FUTEX_ROBUST_LIST_CMD_* -> RF_ROBUST_LIST_CMD_*, same values).
 * Convention: -1 and errno, like system calls.  Without the module both
 * fail with ENOSYS, as on a kernel without the calls.  The differences
 * from v6 are in rf_set_robust_list2(3).
 *
 * rf_set_robust_list2(): @cmd SET_64 or SET_32 puts the mainline-layout
 * list @head of that pointer width in slot @index (0 .. limit - 1),
 * replacing what is there; a NULL @head empties the slot.  Returns 0.
 * LIST_LIMIT returns the limit (the module's max_lists); @head ignored.
 * @flags must be 0.  errno: EINVAL (bad index, command, flags or head),
 * EOPNOTSUPP (SET_64 in a 32-bit process), EBUSY (the slot holds this
 * library's own rf_mutex_* list of the thread), ENOSPC (too many
 * registered threads), EAGAIN, ENOMEM, ENOSYS.
 *
 * rf_get_robust_list2(): stores the head in slot @index of thread @pid
 * (0: the caller) in *@head_ptr, NULL for an empty slot; @flags must be
 * 0.  Returns 0.  errno: EINVAL, ESRCH, EPERM (as rf_list_get()), ENOSYS.
 */
enum rf_robust_list2_cmd {
	RF_ROBUST_LIST_CMD_SET_64 = 0,		/* FUTEX_ROBUST_LIST_CMD_SET_64 */
	RF_ROBUST_LIST_CMD_SET_32 = 1,		/* FUTEX_ROBUST_LIST_CMD_SET_32 */
	RF_ROBUST_LIST_CMD_LIST_LIMIT = 2,	/* ..._CMD_LIST_LIMIT */
	RF_ROBUST_LIST_CMD_USER_MAX = 3,	/* ..._CMD_USER_MAX: none above */
};
long rf_set_robust_list2(void *head, unsigned int index, unsigned int cmd,
			 unsigned int flags);
long rf_get_robust_list2(int pid, void **head_ptr, unsigned int index,
			 unsigned int flags);

/*
 * Drop slot @index of the calling thread; the list is not walked.
 * Convention: -errno.  Returns 0, -ENOENT (slot unused), -EINVAL, -ENODEV.
 */
int rf_list_remove(int index);

/*
 * Fill @info (all fields; its size field is set by the library).
 * Convention: -errno.  Returns 0 or -ENODEV.
 */
int rf_info(struct rf_info *info);

/*
 * Futex-compatible wait on a 32-bit word, through the module so that
 * recovery can wake the waiter: sleep while *@uaddr == @val.
 * @flags: RF_WAIT_SHARED (the word may be in memory shared with other
 * processes; wakers must pass the same flag), and for words of the intent
 * protocol, whose owner field holds an owner ID (rf_owner_id()):
 *   RF_WAIT_RECOVER	if the owner in @val is dead and @val has
 *			RF_RELEASING (a release cut short), make the word
 *			unlocked; while the owner lives, sleep, and wake also
 *			when it exits or execs
 *   RF_WAIT_OWNER_DIED	(with RECOVER) if the owner is dead and @val has no
 *			RF_RELEASING, mark the word OWNER_DIED, as the exit
 *			walk would
 *   RF_WAIT_TRY	(with RECOVER) never sleep: -EBUSY if nothing was
 *			recovered
 * @abstime: absolute timeout on @clk (CLOCK_MONOTONIC or CLOCK_REALTIME),
 * or NULL to wait forever (@clk is then ignored).
 * Convention: -errno.
 * Returns 0 (woken, possibly spuriously), RF_RESULT_RECOVERED (the word
 * is now unlocked, WAITERS kept), RF_RESULT_OWNER_DIED (the word is now
 * OWNER_DIED, WAITERS kept), -EAGAIN (*uaddr != val), -EBUSY (RF_WAIT_TRY),
 * -ETIMEDOUT, -EINTR (signal), -EINVAL (bad address, flags, clock or
 * tv_nsec), -EFAULT, -ENODEV.  A negative tv_sec times out at once, as in
 * glibc.
 */
int rf_futex_wait(uint32_t *uaddr, uint32_t val, int flags, clockid_t clk,
		  const struct timespec *abstime);

/*
 * Wake up to @nr (>= 1; INT_MAX for all) threads waiting on @uaddr in
 * rf_futex_wait().  @flags: RF_WAIT_SHARED, as the waiters passed it.
 * Convention: -errno.
 * Returns the number woken, -EINVAL (nr < 1, bad address or flags),
 * -EFAULT, -ENODEV.
 */
int rf_futex_wake(uint32_t *uaddr, int nr, int flags);

/*
 * The calling thread's owner ID: the value its intent-protocol words hold
 * in their owner field (RF_OWNER_MASK bits).  The first call registers the
 * thread with the module; the ID is the thread's until it exits or execs,
 * is the same seen from any PID namespace, and names no other thread
 * while this one lives.  Convention: -errno.  Returns the ID (> 0) or
 * -ENOSPC (too many
 * registered threads), -ENOMEM, -EAGAIN (an exec is being processed),
 * -ENODEV.
 */
int rf_owner_id(void);

/* ---------------------------------------------------------------------- */
/* Robust mutexes.  All functions return 0 or a positive errno (+errno),  */
/* except rf_mutex_word().                                                 */

/*
 * An rf_mutex_t may be placed in memory shared between processes (with
 * RF_PROCESS_SHARED).  It is 48 bytes in both 32- and 64-bit builds, of
 * which the first 40 (64-bit) or 24 (32-bit) are used, in the layout of
 * the pthread preload's mutexes (glibc's pthread_mutex_t): the futex word,
 * the recursion count, owner-written flags, then the kind at glibc's
 * __kind (offset 16, or 12 in 32-bit builds), then the list node (two
 * pointers, used only by the owner's process).  So the two builds' layouts
 * differ: a 32- and a 64-bit process cannot share one rf_mutex_t (the
 * 64-bit side gets EINVAL; before the preload they could).  The futex word:
 *	bit 31		RF_FUTEX_WAITERS
 *	bit 30		RF_FUTEX_OWNER_DIED
 *	bit 29		RF_RELEASING (an unlock is in progress)
 *	bits 0..28	owner: the owning thread's owner ID (rf_owner_id(),
 *			not its TID); RF_OWNER_MASK itself (never an ID)
 *			marks a permanently unusable mutex
 *			(RF_MUTEX_NOTRECOVERABLE_WORD).
 * An all-zero rf_mutex_t (RF_MUTEX_INITIALIZER) is an unlocked, robust,
 * process-private RF_MUTEX_DEFAULT mutex.
 */
typedef union rf_mutex {
	unsigned char __size[48];
	uint64_t __align;
} rf_mutex_t;

typedef union rf_mutexattr {
	unsigned char __size[8];
	uint32_t __align;
} rf_mutexattr_t;

#define RF_MUTEX_INITIALIZER	{ { 0 } }
#define RF_MUTEX_NOTRECOVERABLE_WORD	RF_OWNER_MASK

/* Types (rf_mutexattr_settype). */
#define RF_MUTEX_NORMAL		0
#define RF_MUTEX_RECURSIVE	1
#define RF_MUTEX_ERRORCHECK	2
#define RF_MUTEX_DEFAULT	RF_MUTEX_NORMAL
/* rf_mutexattr_setpshared */
#define RF_PROCESS_PRIVATE	0
#define RF_PROCESS_SHARED	1
/* rf_mutexattr_setrobust: ROBUST is this library's default. */
#define RF_MUTEX_STALLED	0
#define RF_MUTEX_ROBUST		1

/*
 * Attributes: default RF_MUTEX_DEFAULT, RF_PROCESS_PRIVATE, RF_MUTEX_ROBUST.
 * Convention: +errno.  The setters return 0 or EINVAL (unknown value);
 * the getters return 0.
 */
int rf_mutexattr_init(rf_mutexattr_t *attr);
int rf_mutexattr_destroy(rf_mutexattr_t *attr);
int rf_mutexattr_settype(rf_mutexattr_t *attr, int type);
int rf_mutexattr_gettype(const rf_mutexattr_t *attr, int *type);
int rf_mutexattr_setpshared(rf_mutexattr_t *attr, int pshared);
int rf_mutexattr_getpshared(const rf_mutexattr_t *attr, int *pshared);
int rf_mutexattr_setrobust(rf_mutexattr_t *attr, int robust);
int rf_mutexattr_getrobust(const rf_mutexattr_t *attr, int *robust);

/*
 * Initialise @m (unlocked) with @attr, or the defaults if @attr is NULL.
 * Convention: +errno.
 * Returns 0, EINVAL (bad attributes), ENODEV (module not loaded; checked
 * here so that the failure shows early).
 */
int rf_mutex_init(rf_mutex_t *m, const rf_mutexattr_t *attr);

/*
 * Lock.  Convention: +errno.  Returns
 *	0		locked
 *	EOWNERDEAD	locked, but the previous owner died holding it (robust
 *			only): the state it protects may be inconsistent; call
 *			rf_mutex_consistent() before unlocking, or the mutex
 *			becomes unusable
 *	ENOTRECOVERABLE	unlocked earlier without rf_mutex_consistent()
 *			after EOWNERDEAD; only rf_mutex_destroy() and
 *			rf_mutex_init() remain
 *	EDEADLK		RF_MUTEX_ERRORCHECK, already held by the caller
 *	EAGAIN		RF_MUTEX_RECURSIVE, recursion count would overflow
 *	EINVAL		not an initialised mutex
 *	ENODEV, ENOSPC, ENOMEM	the thread's owner ID or robust list could
 *			not be obtained from the module (first lock), or
 *			the module is needed to wait and cannot be opened
 * An RF_MUTEX_NORMAL mutex locked twice by its owner deadlocks, as POSIX
 * specifies.  Never returns EINTR.
 */
int rf_mutex_lock(rf_mutex_t *m);

/*
 * As rf_mutex_lock(), but never blocks.  Convention: +errno.  EBUSY if
 * held by another thread (or by the caller, for RF_MUTEX_NORMAL;
 * RF_MUTEX_ERRORCHECK gives EDEADLK and RF_MUTEX_RECURSIVE counts one
 * more, as glibc does).  A mutex whose last owner died in the middle of
 * unlocking it is taken (0).
 */
int rf_mutex_trylock(rf_mutex_t *m);

/*
 * As rf_mutex_lock(), but gives up with ETIMEDOUT at @abstime, measured on
 * CLOCK_REALTIME (timedlock) or on @clk (clocklock: CLOCK_MONOTONIC or
 * CLOCK_REALTIME, else EINVAL).  Convention: +errno.  As in glibc,
 * @abstime is only checked if the caller has to wait: then tv_nsec
 * outside [0, 1e9) gives EINVAL.
 */
int rf_mutex_timedlock(rf_mutex_t *m, const struct timespec *abstime);
int rf_mutex_clocklock(rf_mutex_t *m, clockid_t clk,
		       const struct timespec *abstime);

/*
 * Unlock.  Convention: +errno.  Returns 0, or EPERM if the caller does
 * not hold @m (checked for every type; POSIX leaves it undefined for
 * NORMAL stalled mutexes), or EINVAL if @m is not an initialised mutex.
 * Unlocking a robust mutex still inconsistent after EOWNERDEAD makes it
 * ENOTRECOVERABLE for all (and wakes every waiter so they see it).
 */
int rf_mutex_unlock(rf_mutex_t *m);

/*
 * Mark the state protected by @m consistent again after EOWNERDEAD.
 * Convention: +errno.  Returns 0, EINVAL (not robust, or not
 * inconsistent), EPERM (inconsistent but not held by the caller).
 * (The pthread preload answers as glibc does instead: 0 from any thread.)
 */
int rf_mutex_consistent(rf_mutex_t *m);

/*
 * Destroy.  Convention: +errno.  Returns 0, EBUSY (locked), EINVAL (not
 * initialised).  A not-recoverable mutex may be destroyed.
 * rf_mutex_init() makes a destroyed mutex usable again.  (The pthread
 * preload answers as glibc does instead: 0 for a locked robust mutex.)
 */
int rf_mutex_destroy(rf_mutex_t *m);

/*
 * For tests and debugging: the futex word (the first 4 bytes of @m).
 * Convention: none (a value; never fails).
 */
uint32_t rf_mutex_word(const rf_mutex_t *m);

#ifdef __cplusplus
}
#endif

#endif /* ROBUSTFUTEX_H */
