/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * robustfutex: several typed robust lists per thread and an
 * intent-to-release protocol, driven through ioctls on /dev/robustfutex.
 *
 * Every argument struct starts with a size field that the caller sets to
 * sizeof(struct) as it knows it.  The module accepts older (smaller) and
 * newer (larger, with the unknown tail zeroed) structs, so the size bits
 * encoded in the ioctl numbers below are informational only.
 */
#ifndef _UAPI_ROBUSTFUTEX_IOCTL_H
#define _UAPI_ROBUSTFUTEX_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define RF_DEVICE_PATH		"/dev/robustfutex"
#define RF_ABI_VERSION		2

/*
 * Futex word bits.  The first two are mainline's, the third is ours.
 *
 * In a word of the intent protocol the low bits hold the owner's *owner
 * ID*, not its TID: a number the module hands each registered thread
 * (RF_IOC_GET_OWNER), unique system wide among live registrations and
 * not tied to any PID namespace.  It stops naming the thread when the
 * thread exits or execs.  Words of mainline-protocol lists hold TIDs, as
 * mainline's do.
 */
#define RF_FUTEX_WAITERS	0x80000000U
#define RF_FUTEX_OWNER_DIED	0x40000000U
#define RF_RELEASING		0x20000000U
/* Owner field of an intent-protocol word (mainline lists: 0x3fffffff). */
#define RF_OWNER_MASK		0x1fffffffU
#define RF_TID_MASK		RF_OWNER_MASK	/* ABI 1 name */

/* Bit 1 of list_op_pending in an intent-protocol list: unlock in progress. */
#define RF_PENDING_UNLOCK	0x2UL

/* struct rf_info: RF_IOC_GET_INFO.  All fields are outputs but size. */
struct rf_info {
	__u32 size;		/* in: caller's sizeof; out: bytes filled */
	__u32 abi_version;	/* RF_ABI_VERSION */
	__u32 max_lists;	/* list slots per thread (module param) */
	__u32 list_limit;	/* entries walked per list (module param) */
	__u32 max_threads;	/* registered threads, system wide */
	__u32 max_records;	/* ABI 1 only; 0 since ABI 2 (no records) */
	__u32 nr_threads;	/* threads registered now */
	__u32 flags;		/* RF_INFO_* */
};

#define RF_INFO_SIZE_VER0	32

/* List widths and protocols. */
#define RF_WIDTH_32		32
#define RF_WIDTH_64		64
#define RF_PROTO_MAINLINE	0	/* mainline robust_list rules */
#define RF_PROTO_INTENT		1	/* intent-to-release protocol */

/*
 * struct rf_list: RF_IOC_SET_LIST, RF_IOC_GET_LIST, RF_IOC_REMOVE_LIST.
 * The list head has mainline's layout (next, futex_offset, list_op_pending)
 * in the pointer width given.
 *
 * @base is for emulators that map guest address G at host address
 * G + base: the walker adds it to every pointer it reads from the list
 * (entries, list_op_pending, the futex words), after doing the guest's
 * pointer arithmetic in the list's width (a 32-bit list wraps at 4 GiB).
 * @head itself is a host address, inside [base, base + 4 GiB) for a
 * 32-bit list.  A non-zero base must be aligned to the list's pointer size
 * and, for a 32-bit list, the whole guest range must lie in user space; a
 * 64-bit list takes no base.  0: pointers are host addresses.
 */
struct rf_list {
	__u32 size;		/* sizeof(struct rf_list) */
	__u32 flags;		/* none defined yet: must be 0 */
	__s32 index;		/* SET: -1 new slot, >= 0 replace; out: slot */
	__u32 tid;		/* GET: 0 = caller, else a TID in caller's pid ns */
	__u32 width;		/* RF_WIDTH_32 or RF_WIDTH_64 */
	__u32 protocol;		/* RF_PROTO_* */
	__u64 head;		/* user address of the list head */
	__u64 base;		/* added to the list's pointers (see above) */
};

#define RF_LIST_SIZE_VER0	32	/* no base */
#define RF_LIST_SIZE_VER1	40

/* Flags of struct rf_wait and struct rf_wake. */
#define RF_WAIT_SHARED		0x01	/* word may be mapped by other processes */
#define RF_WAIT_TIMEOUT		0x02	/* timeout is valid (absolute) */
#define RF_WAIT_REALTIME	0x04	/* timeout is CLOCK_REALTIME, else MONOTONIC */
/*
 * RF_WAIT_RECOVER: @val is an intent-protocol word.  If the owner ID in it
 * names no live thread, then: with RF_RELEASING set, the release was cut
 * short and the module finishes it (word := WAITERS bit only, result
 * RF_RESULT_RECOVERED); without it, and with RF_WAIT_OWNER_DIED, the owner
 * died holding the lock and the module marks it as the exit walk would
 * (word := WAITERS bit | OWNER_DIED, result RF_RESULT_OWNER_DIED).  While
 * the owner lives the caller sleeps as usual, and is also woken when the
 * owner exits or execs, so it can ask again.
 * RF_WAIT_TRY (with RF_WAIT_RECOVER): never sleep; -EBUSY if nothing was
 * recovered.
 */
#define RF_WAIT_RECOVER		0x08
#define RF_WAIT_OWNER_DIED	0x10
#define RF_WAIT_TRY		0x20

/* struct rf_wait: RF_IOC_WAIT.  Sleep while *uaddr == val. */
struct rf_wait {
	__u32 size;
	__u32 flags;		/* RF_WAIT_* */
	__u64 uaddr;		/* u32 futex word, 4-byte aligned */
	__u32 val;		/* expected value */
	__u32 result;		/* out: RF_RESULT_* */
	__s64 tv_sec;		/* absolute timeout, if RF_WAIT_TIMEOUT */
	__s64 tv_nsec;
};

#define RF_WAIT_SIZE_VER0	40

#define RF_RESULT_WOKEN		0	/* woken (possibly spuriously) */
#define RF_RESULT_RECOVERED	1	/* releaser died: word made unlocked */
#define RF_RESULT_OWNER_DIED	2	/* owner died: word made OWNER_DIED */

/* struct rf_wake: RF_IOC_WAKE.  Returns the number of threads woken. */
struct rf_wake {
	__u32 size;
	__u32 flags;		/* RF_WAIT_SHARED */
	__u64 uaddr;
	__u32 nr;		/* how many to wake, at least 1 */
	__u32 reserved;		/* must be 0 */
};

#define RF_WAKE_SIZE_VER0	24

/*
 * struct rf_owner: RF_IOC_GET_OWNER.  The calling thread's owner ID, the
 * value it stores in the owner field of intent-protocol words.  The first
 * call registers the thread (with no list) and the ID then stays the
 * thread's until it exits or execs, whatever lists it adds or removes.
 */
struct rf_owner {
	__u32 size;
	__u32 flags;		/* none defined yet: must be 0 */
	__u32 id;		/* out: 1 .. RF_OWNER_MASK - 1 */
	__u32 reserved;		/* must be 0 */
};

#define RF_OWNER_SIZE_VER0	16

#define RF_IOC_MAGIC		0xf7
#define RF_IOC_GET_INFO		_IOWR(RF_IOC_MAGIC, 0x00, struct rf_info)
#define RF_IOC_SET_LIST		_IOWR(RF_IOC_MAGIC, 0x01, struct rf_list)
#define RF_IOC_GET_LIST		_IOWR(RF_IOC_MAGIC, 0x02, struct rf_list)
#define RF_IOC_REMOVE_LIST	_IOW(RF_IOC_MAGIC, 0x03, struct rf_list)
#define RF_IOC_WAIT		_IOWR(RF_IOC_MAGIC, 0x04, struct rf_wait)
#define RF_IOC_WAKE		_IOW(RF_IOC_MAGIC, 0x05, struct rf_wake)
#define RF_IOC_GET_OWNER	_IOWR(RF_IOC_MAGIC, 0x06, struct rf_owner)

#endif /* _UAPI_ROBUSTFUTEX_IOCTL_H */
