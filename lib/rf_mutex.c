// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Robust mutexes on the intent-to-release protocol (docs/protocol.md;
 * model: model/protocol.pml).
 *
 * Each thread has one robust list per copy of this library, a TLS head in
 * mainline's layout registered with the module as an RF_PROTO_INTENT list
 * on the thread's first robust lock.  Held robust mutexes are linked into
 * it through the node inside rf_mutex_t; list_op_pending names the mutex
 * being locked, or (with RF_PENDING_UNLOCK) unlocked.  The module reads
 * all of that only after the thread is dead, so the list and pending
 * stores need no atomics, only compiler ordering (rf_barrier()).
 *
 * Uncontended lock and unlock are three atomics and no system call:
 * CAS(0 -> owner), fetch_or(RF_RELEASING), xchg(0).
 *
 * The owner field of the word holds the thread's owner ID from the module
 * (RF_IOC_GET_OWNER), not its TID: an ID means the same thing in every
 * PID namespace and names no other thread while this one lives, so the
 * module can tell exactly whether the owner of a word is dead
 * (docs/identity.md).  A thread fetches it on its first lock.
 *
 * One file, though past 600 lines, in this order: the thread's state
 * (TLS head, registration, fork detection, the exit destructor), the
 * protocol (lock, unlock, consistent, init, destroy), then the exported
 * rf_mutex_* and attributes.  Not split, because tests/bench/run compiles
 * this file alone into the host-native benchmark, with a stand-in for
 * rf_raw.c, and links the public rf_mutex_* and rf_mutexattr_* from it:
 * a split would break that build until the bench compiles lib/rf_mutex*.c.
 * The split, when the bench takes it: the thread's state into
 * rf_thread.c (its static TLS becomes a hidden initial-exec extern, the
 * list helpers inline in a header), the attributes into rf_mutexattr.c.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "rf_internal.h"

#define W	RF_FUTEX_WAITERS
#define OD	RF_FUTEX_OWNER_DIED
#define R	RF_RELEASING
#define TID	RF_TID_MASK
#define NOTREC	RF_MUTEX_NOTRECOVERABLE_WORD
#define K_TYPE	RFK_TYPE
#define K_SHARED	RFK_SHARED
#define K_STALLED	RFK_STALLED
#define K_DESTROYED	RFK_DESTROYED

_Static_assert(sizeof(rf_mutex_t) == 48, "rf_mutex_t is 48 bytes");
_Static_assert(sizeof(struct rf_mutex_impl) <= sizeof(rf_mutex_t),
	       "rf_mutex_t too small");
_Static_assert(sizeof(struct rf_mutex_impl) <= sizeof(pthread_mutex_t),
	       "the preload's mutex must fit in pthread_mutex_t");
_Static_assert(offsetof(struct rf_mutex_impl, kind) ==
	       offsetof(pthread_mutex_t, __data.__kind),
	       "kind must sit where glibc's __kind is");
_Static_assert(offsetof(struct rf_mutex_impl, word) == 0, "word first");

struct rf_attr_impl {
	uint32_t kind;
};

_Static_assert(sizeof(struct rf_attr_impl) <= sizeof(rf_mutexattr_t),
	       "rf_mutexattr_t too small");

/* Mainline's robust_list_head, in native pointer width. */
struct rf_head {
	struct rf_node *next;
	long futex_offset;
	void *pending;
};

struct rf_tls {
	struct rf_head head;
	uint32_t owner;		/* owner ID from the module, 0 = not yet */
	int slot;		/* module slot, valid if registered */
	bool registered;
	bool exiting;		/* past the key destructor: no list any more */
};

/*
 * All zero at thread start: not registered, no owner ID yet.  Initial-exec:
 * no __tls_get_addr() call per lock in the shared libraries (the preload
 * is loaded at startup; a dlopen()ed copy takes its few bytes from the
 * static TLS that glibc keeps spare for such libraries).
 */
static __thread struct rf_tls rf_self __attribute__((tls_model("initial-exec")));
static pthread_once_t rf_once = PTHREAD_ONCE_INIT;
static pthread_key_t rf_key;
static int rf_key_err;

/*
 * Nonzero in the process that cached its threads' owner IDs, and zero in
 * any child made from it by fork(), _Fork() or a raw clone() without
 * CLONE_VM: the page is MADV_WIPEONFORK.  A child would otherwise lock
 * with its parent's owner ID, and a recursive mutex of the parent's would
 * "succeed" in it.  Until the page is set up, a static 1.
 */
static uint32_t rf_boot_marker = 1;
static uint32_t *rf_marker = &rf_boot_marker;

#define rf_barrier()	__atomic_signal_fence(__ATOMIC_SEQ_CST)

/*
 * This thread's state.  The empty asm hides where the pointer came from,
 * so that gcc keeps it in a register instead of redoing the TLS lookup
 * (__tls_get_addr in a shared library) after every compiler barrier.
 */
static inline struct rf_tls *rf_tls(void)
{
	struct rf_tls *self = &rf_self;

	__asm__("" : "+r" (self));
	return self;
}

static inline struct rf_mutex_impl *rf_impl(rf_mutex_t *m)
{
	return (struct rf_mutex_impl *)m;
}

static inline struct rf_node *rf_head_node(struct rf_tls *self)
{
	/* Only compared with, never dereferenced as a node. */
	return (struct rf_node *)&self->head;
}

static inline void rf_set_pending(struct rf_tls *self, void *p)
{
	__atomic_store_n(&self->head.pending, p, __ATOMIC_RELAXED);
	rf_barrier();
}

static inline uint32_t rf_load(uint32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

static inline bool rf_cas(uint32_t *w, uint32_t *old, uint32_t new)
{
	return __atomic_compare_exchange_n(w, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/*
 * The owner writes the flags; others read them as a hint, and the
 * preload's pthread_mutex_consistent() may clear RFF_INCONSISTENT from
 * any thread, as glibc's does: hence read-modify-write atomics.
 */
static inline uint32_t rf_flags(struct rf_mutex_impl *m)
{
	return __atomic_load_n(&m->flags, __ATOMIC_RELAXED);
}

static inline void rf_set_flags(struct rf_mutex_impl *m, uint32_t f, bool on)
{
	if (on)
		__atomic_fetch_or(&m->flags, f, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&m->flags, ~f, __ATOMIC_RELAXED);
}

static inline bool rf_kind_valid(uint32_t kind)
{
	if (rfk_marked(kind))
		kind &= ~RFK_MARK_MASK;
	return !(kind & ~(K_TYPE | K_SHARED | K_STALLED)) &&
	       (kind & K_TYPE) != K_TYPE;
}

static inline int rf_wflags(uint32_t kind)
{
	return kind & K_SHARED ? RF_WAIT_SHARED : 0;
}

static void rf_destructor(void *arg);

static inline bool rf_forked(void)
{
	return !__atomic_load_n(rf_marker, __ATOMIC_RELAXED);
}

/* The thread's owner ID if it is still this process's, else 0. */
static inline uint32_t rf_cached_owner(struct rf_tls *self)
{
	return rf_forked() ? 0 : self->owner;
}

/* Without MADV_WIPEONFORK (before 4.14, or no madvise): fork() only. */
static void rf_atfork_child(void)
{
	__atomic_store_n(rf_marker, 0, __ATOMIC_RELAXED);
}

static void rf_init_once(void)
{
	void *p;

	rf_key_err = pthread_key_create(&rf_key, rf_destructor);
	if (rf_key_err)
		return;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		rf_key_err = errno;
		return;
	}
	if (madvise(p, 4096, MADV_WIPEONFORK)) {
		rf_key_err = pthread_atfork(NULL, NULL, rf_atfork_child);
		return;
	}
	*(uint32_t *)p = 1;
	__atomic_store_n(&rf_marker, (uint32_t *)p, __ATOMIC_RELEASE);
}

/*
 * The first thing a thread of a forked child does with the library: forget
 * the parent's registration and ID (the mutexes on the copied list are the
 * parent's), check the inherited descriptor, and mark the process as ours.
 * A child has one thread, so nobody races with this.
 */
static void rf_child_reset(struct rf_tls *self)
{
	self->owner = 0;
	self->head.next = rf_head_node(self);
	self->head.pending = NULL;
	self->registered = false;
	self->exiting = false;
	rfi_fd_check();
	__atomic_store_n(rf_marker, 1, __ATOMIC_RELAXED);
}

/* This thread's owner ID, fetched on first use; 0 and @err on failure. */
static uint32_t rf_owner_slow(struct rf_tls *self, int *err)
{
	int id;

	/* The fork marker must exist before an ID is cached. */
	pthread_once(&rf_once, rf_init_once);
	if (rf_key_err) {
		*err = rf_key_err;
		return 0;
	}
	if (rf_forked())
		rf_child_reset(self);
	if (self->owner)
		return self->owner;
	id = rfi_get_owner();
	if (id < 0) {
		*err = -id;
		return 0;
	}
	self->owner = id;
	return id;
}

static inline uint32_t rf_owner(struct rf_tls *self, int *err)
{
	uint32_t me = rf_cached_owner(self);

	return __builtin_expect(me, 1) ? me : rf_owner_slow(self, err);
}

/* Register this thread's list with the module (first robust lock). */
static int rf_register(struct rf_tls *self)
{
	int slot;

	pthread_once(&rf_once, rf_init_once);
	if (rf_key_err)
		return rf_key_err;
	self->head.next = rf_head_node(self);
	self->head.futex_offset = offsetof(struct rf_mutex_impl, word) -
				  (long)offsetof(struct rf_mutex_impl, node);
	self->head.pending = NULL;
	slot = rfi_set_list(-1, &self->head, sizeof(void *) * 8,
			    RF_PROTO_INTENT);
	if (slot < 0)
		return -slot;
	/* The destructor runs only for a non-NULL value. */
	if (pthread_setspecific(rf_key, self)) {
		rfi_remove_list(slot);
		return ENOMEM;
	}
	self->slot = slot;
	self->registered = true;
	return 0;
}

/*
 * Link @n at the head of the list.  Each store leaves a list the kernel
 * can walk through ->next, should the thread die between two of them.
 */
static inline void rf_enqueue(struct rf_tls *self, struct rf_node *n)
{
	struct rf_node *first = self->head.next;

	n->next = first;
	n->prev = rf_head_node(self);
	rf_barrier();
	if (first != rf_head_node(self))
		first->prev = n;
	self->head.next = n;
	rf_barrier();
}

static inline void rf_dequeue(struct rf_tls *self, struct rf_node *n)
{
	struct rf_node *next = n->next, *prev = n->prev;

	if (prev == rf_head_node(self))
		self->head.next = next;
	else
		prev->next = next;
	if (next != rf_head_node(self))
		next->prev = prev;
	rf_barrier();
}

/*
 * Thread exit (pthread key destructor).  glibc may give this thread's TLS,
 * which holds the list head, to a new thread as soon as the kernel clears
 * the TID in exit_mm(), before the module's exit walk: drop the list from
 * the module now.  Locks still held stay held, since the thread still
 * runs (later destructors may use and unlock them) and its owner ID lives
 * until it is gone; then whoever waits for one or locks it has the module
 * mark it OWNER_DIED, as glibc's would be marked once the thread is dead.
 * They are flagged as held by an exiting thread, so that trylock too
 * knows to ask the module.
 */
static void rf_destructor(void *arg)
{
	struct rf_tls *self = arg;
	struct rf_node *n;

	if (!self->registered || rf_forked())
		return;
	for (n = self->head.next; n != rf_head_node(self); n = n->next)
		rf_set_flags((struct rf_mutex_impl *)((char *)n -
			offsetof(struct rf_mutex_impl, node)), RFF_ORPHAN, true);
	rfi_remove_list(self->slot);
	self->registered = false;
	self->exiting = true;
}

/*
 * The slot this copy registered the calling thread's list in, or -1: for
 * rf_set_robust_list2(), which must not replace or clear it (v6's indices
 * never reach the list glibc keeps; here they share the module's slots).
 */
RF_HIDDEN int rfm_list_slot(void)
{
	struct rf_tls *self = rf_tls();

	return self->registered && !rf_forked() ? self->slot : -1;
}

RF_HIDDEN int rfm_lock(struct rf_mutex_impl *m, int mode, clockid_t clk,
		       const struct timespec *abstime)
{
	struct rf_tls *self = rf_tls();
	uint32_t kind = __atomic_load_n(&m->kind, __ATOMIC_RELAXED);
	uint32_t v, nv;
	bool robust, listed, slept = false, asked = false;
	uint32_t me;
	int ret = 0, r, wflags;

	if (!rf_kind_valid(kind))
		return EINVAL;
	/*
	 * The common case first: a robust mutex left clean (word 0) by its
	 * last release, taken by a thread whose list is registered (so its
	 * owner ID is cached and it is not exiting).  The same steps as the
	 * loop below takes, without the tests they make unnecessary.
	 */
	if (__builtin_expect(!(kind & K_STALLED) && self->registered &&
			     !rf_forked(), 1)) {
		me = self->owner;
		v = 0;
		rf_set_pending(self, &m->node);
		if (__builtin_expect(rf_cas(&m->word, &v, me), 1)) {
			rf_enqueue(self, &m->node);
			rf_set_pending(self, NULL);
			if (rf_flags(m) & RFF_ORPHAN)
				rf_set_flags(m, RFF_ORPHAN, false);
			m->count = 1;
			return 0;
		}
		/* Taken, ours, or left with bits: the long way. */
		rf_set_pending(self, NULL);
	}
	me = rf_owner(self, &ret);
	if (!me)
		return ret;
	v = rf_load(&m->word);
	/* With RF_RELEASING set the word is not ours: we are not unlocking. */
	if ((v & (TID | R)) == me) {
		switch (kind & K_TYPE) {
		case RF_MUTEX_ERRORCHECK:
			return EDEADLK;
		case RF_MUTEX_RECURSIVE:
			if (m->count + 1 == 0)
				return EAGAIN;
			m->count++;
			return 0;
		default:
			if (mode == RF_TRY)
				return EBUSY;
			break;	/* NORMAL: wait for ourselves, as POSIX says */
		}
	}
	robust = !(kind & K_STALLED);
	/* Past the destructor, locks go on no list (see rf_destructor). */
	listed = robust && !self->exiting;
	if (listed) {
		if (!self->registered && (ret = rf_register(self)))
			return ret;
		rf_set_pending(self, &m->node);
	}
	/*
	 * Ask the module to recover the word if its owner is dead: a release
	 * cut short is finished for every mutex; a robust one whose owner
	 * died holding it is marked OWNER_DIED (a stalled one stays locked).
	 */
	wflags = rf_wflags(kind) | RF_WAIT_RECOVER |
		 (robust ? RF_WAIT_OWNER_DIED : 0);
	for (;;) {
		if ((v & TID) == NOTREC) {
			ret = ENOTRECOVERABLE;
			goto fail;
		}
		if (!(v & (TID | R))) {
			/*
			 * Free: 0, or WAITERS and/or OWNER_DIED left by a
			 * release or a death.  Keep WAITERS; a thread that
			 * has slept sets it, since others may be asleep
			 * (the unlock's xchg cleared it).
			 */
			ret = v & OD ? EOWNERDEAD : 0;
			nv = me | (v & W) | (slept ? W : 0);
			if (rf_cas(&m->word, &v, nv))
				break;
			continue;
		}
		/* Owned, or being released. */
		if (mode == RF_TRY) {
			/*
			 * A release whose releaser died stays cut short, and
			 * a lock its exiting owner kept is marked only when
			 * someone asks: ask the module once, without sleeping.
			 */
			if (((v & R) || (robust && (rf_flags(m) & RFF_ORPHAN))) && !asked) {
				asked = true;
				r = rfi_wait(&m->word, v, wflags | RF_WAIT_TRY,
					     clk, NULL);
				if (r > 0 || r == -EAGAIN) {
					v = rf_load(&m->word);
					continue;
				}
			}
			ret = EBUSY;
			goto fail;
		}
		if (abstime) {
			/* Checked only when blocking, as glibc does. */
			if (abstime->tv_nsec < 0 ||
			    abstime->tv_nsec >= 1000000000) {
				ret = EINVAL;
				goto fail;
			}
			if (abstime->tv_sec < 0) {
				ret = ETIMEDOUT;
				goto fail;
			}
		}
		if (!(v & W)) {
			if (!rf_cas(&m->word, &v, v | W))
				continue;
			v |= W;
		}
		r = rfi_wait(&m->word, v, wflags, clk, abstime);
		slept = true;
		if (r < 0 && r != -EAGAIN && r != -EINTR) {
			ret = -r;
			goto fail;
		}
		v = rf_load(&m->word);
	}
	if (listed) {
		rf_enqueue(self, &m->node);
		rf_set_pending(self, NULL);
	}
	if (self->exiting || (rf_flags(m) & RFF_ORPHAN))
		rf_set_flags(m, RFF_ORPHAN, self->exiting);
	m->count = 1;
	if (ret == EOWNERDEAD)
		rf_set_flags(m, RFF_INCONSISTENT, true);
	return ret;
fail:
	if (listed)
		rf_set_pending(self, NULL);
	return ret;
}

RF_HIDDEN int rfm_timed(struct rf_mutex_impl *m, clockid_t clk,
			const struct timespec *abstime)
{
	if ((clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME) || !abstime)
		return EINVAL;
	return rfm_lock(m, RF_TIMED, clk, abstime);
}

RF_HIDDEN int rfm_unlock(struct rf_mutex_impl *m, bool glibc)
{
	struct rf_tls *self = rf_tls();
	uint32_t kind = __atomic_load_n(&m->kind, __ATOMIC_RELAXED);
	uint32_t old, nv = 0, me = rf_cached_owner(self);
	bool robust, listed;

	if (!rf_kind_valid(kind))
		return EINVAL;
	if (!me || (rf_load(&m->word) & TID) != me)
		return EPERM;
	if ((kind & K_TYPE) == RF_MUTEX_RECURSIVE && m->count > 1) {
		m->count--;
		/*
		 * glibc tells an inner unlock of a recursive mutex still
		 * inconsistent after EOWNERDEAD that it will not recover.
		 */
		if (glibc && !(kind & K_STALLED) &&
		    (rf_flags(m) & RFF_INCONSISTENT))
			return ENOTRECOVERABLE;
		return 0;
	}
	m->count = 0;
	robust = !(kind & K_STALLED);
	if (robust && (rf_flags(m) & RFF_INCONSISTENT)) {
		/* Never made consistent: unusable from now on, for all. */
		rf_set_flags(m, RFF_INCONSISTENT, false);
		nv = NOTREC;
	}
	/* Past the destructor the list is the module's no more. */
	listed = robust && !self->exiting;
	if (listed)
		rf_set_pending(self, (char *)&m->node + RF_PENDING_UNLOCK);
	/*
	 * Intent: from here a death leaves owner|R, never a write, and a
	 * release cut short is finished as a clean unlock.  Not for the
	 * not-recoverable release: a death before its xchg must leave the
	 * word owned by the dead thread, to be marked OWNER_DIED, never
	 * clean.
	 */
	if (!nv)
		__atomic_fetch_or(&m->word, R, __ATOMIC_SEQ_CST);
	if (listed)
		rf_dequeue(self, &m->node);
	/* The release. */
	old = __atomic_exchange_n(&m->word, nv, __ATOMIC_SEQ_CST);
	if (old & W)
		rfi_wake(&m->word, nv ? INT_MAX : 1, rf_wflags(kind));
	if (listed)
		rf_set_pending(self, NULL);
	return 0;
}

RF_HIDDEN int rfm_consistent(struct rf_mutex_impl *m, bool glibc)
{
	uint32_t kind = __atomic_load_n(&m->kind, __ATOMIC_RELAXED), me;

	if (!rf_kind_valid(kind) || (kind & K_STALLED) ||
	    !(rf_flags(m) & RFF_INCONSISTENT))
		return EINVAL;
	/* glibc's asks only whether the mutex is inconsistent, not who holds it. */
	if (glibc) {
		rf_set_flags(m, RFF_INCONSISTENT, false);
		return 0;
	}
	me = rf_cached_owner(rf_tls());
	if (!me || (rf_load(&m->word) & TID) != me)
		return EPERM;
	rf_set_flags(m, RFF_INCONSISTENT, false);
	return 0;
}

/* @size: the whole object, cleared (rf_mutex_t or pthread_mutex_t). */
RF_HIDDEN int rfm_init(struct rf_mutex_impl *m, size_t size, uint32_t kind)
{
	int fd;

	if (!rf_kind_valid(kind))
		return EINVAL;
	fd = rfi_fd();
	if (fd < 0)
		return -fd;
	memset(m, 0, size);
	m->kind = kind | RFK_MARK;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

/*
 * @glibc: answer as glibc 2.36 does for a robust mutex, which never
 * refuses (it cannot tell a held robust mutex from a free one by its
 * user count): 0 even while locked.  Destroying a mutex someone holds is
 * undefined (POSIX); so that a caller destroying one it holds, then
 * freeing or re-initialising the memory, leaves no dangling node in its
 * robust list, the mutex is taken off the caller's list first.
 */
RF_HIDDEN int rfm_destroy(struct rf_mutex_impl *m, bool glibc)
{
	struct rf_tls *self = rf_tls();
	uint32_t kind = __atomic_load_n(&m->kind, __ATOMIC_RELAXED), v, me;

	if (!rf_kind_valid(kind))
		return EINVAL;
	v = rf_load(&m->word) & TID;
	if (v && v != NOTREC) {
		if (!glibc)
			return EBUSY;
		me = rf_cached_owner(self);
		if (me && v == me && !(kind & K_STALLED) && self->registered &&
		    !self->exiting)
			rf_dequeue(self, &m->node);
	}
	__atomic_store_n(&m->kind, K_DESTROYED, __ATOMIC_RELAXED);
	return 0;
}

/*
 * The public API.  Exported functions never call each other: in a second
 * copy of the library, the call could bind to the first copy's function
 * (and list).
 */
RF_EXPORT int rf_mutex_lock(rf_mutex_t *m)
{
	return rfm_lock(rf_impl(m), RF_LOCK, CLOCK_MONOTONIC, NULL);
}

RF_EXPORT int rf_mutex_trylock(rf_mutex_t *m)
{
	return rfm_lock(rf_impl(m), RF_TRY, CLOCK_MONOTONIC, NULL);
}

RF_EXPORT int rf_mutex_clocklock(rf_mutex_t *m, clockid_t clk,
				 const struct timespec *abstime)
{
	return rfm_timed(rf_impl(m), clk, abstime);
}

RF_EXPORT int rf_mutex_timedlock(rf_mutex_t *m, const struct timespec *abstime)
{
	return rfm_timed(rf_impl(m), CLOCK_REALTIME, abstime);
}

RF_EXPORT int rf_mutex_unlock(rf_mutex_t *m)
{
	return rfm_unlock(rf_impl(m), false);
}

RF_EXPORT int rf_mutex_consistent(rf_mutex_t *m)
{
	return rfm_consistent(rf_impl(m), false);
}

RF_EXPORT int rf_mutex_init(rf_mutex_t *m, const rf_mutexattr_t *attr)
{
	return rfm_init(rf_impl(m), sizeof(*m),
			attr ? ((const struct rf_attr_impl *)attr)->kind : 0);
}

RF_EXPORT int rf_mutex_destroy(rf_mutex_t *m)
{
	return rfm_destroy(rf_impl(m), false);
}

RF_EXPORT uint32_t rf_mutex_word(const rf_mutex_t *m)
{
	return __atomic_load_n((const uint32_t *)m, __ATOMIC_RELAXED);
}

/* Attributes. */

static inline uint32_t *rf_akind(rf_mutexattr_t *a)
{
	return &((struct rf_attr_impl *)a)->kind;
}

static inline uint32_t rf_akind_c(const rf_mutexattr_t *a)
{
	return ((const struct rf_attr_impl *)a)->kind;
}

RF_EXPORT int rf_mutexattr_init(rf_mutexattr_t *a)
{
	memset(a, 0, sizeof(*a));
	return 0;
}

RF_EXPORT int rf_mutexattr_destroy(rf_mutexattr_t *a)
{
	*rf_akind(a) = K_DESTROYED;
	return 0;
}

RF_EXPORT int rf_mutexattr_settype(rf_mutexattr_t *a, int type)
{
	if (type != RF_MUTEX_NORMAL && type != RF_MUTEX_RECURSIVE &&
	    type != RF_MUTEX_ERRORCHECK)
		return EINVAL;
	*rf_akind(a) = (*rf_akind(a) & ~K_TYPE) | type;
	return 0;
}

RF_EXPORT int rf_mutexattr_gettype(const rf_mutexattr_t *a, int *type)
{
	*type = rf_akind_c(a) & K_TYPE;
	return 0;
}

RF_EXPORT int rf_mutexattr_setpshared(rf_mutexattr_t *a, int pshared)
{
	if (pshared != RF_PROCESS_PRIVATE && pshared != RF_PROCESS_SHARED)
		return EINVAL;
	*rf_akind(a) = (*rf_akind(a) & ~K_SHARED) |
		       (pshared == RF_PROCESS_SHARED ? K_SHARED : 0);
	return 0;
}

RF_EXPORT int rf_mutexattr_getpshared(const rf_mutexattr_t *a, int *pshared)
{
	*pshared = rf_akind_c(a) & K_SHARED ? RF_PROCESS_SHARED :
					      RF_PROCESS_PRIVATE;
	return 0;
}

RF_EXPORT int rf_mutexattr_setrobust(rf_mutexattr_t *a, int robust)
{
	if (robust != RF_MUTEX_STALLED && robust != RF_MUTEX_ROBUST)
		return EINVAL;
	*rf_akind(a) = (*rf_akind(a) & ~K_STALLED) |
		       (robust == RF_MUTEX_STALLED ? K_STALLED : 0);
	return 0;
}

RF_EXPORT int rf_mutexattr_getrobust(const rf_mutexattr_t *a, int *robust)
{
	*robust = rf_akind_c(a) & K_STALLED ? RF_MUTEX_STALLED :
					      RF_MUTEX_ROBUST;
	return 0;
}
