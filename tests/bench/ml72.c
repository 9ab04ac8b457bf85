// SPDX-License-Identifier: GPL-2.0
/*
 * ml72: a robust mutex over mainline 7.2's FUTEX_ROBUST_UNLOCK and the
 * vDSO's try-unlock (see ml72.h).
 *
 * The list protocol is the one Documentation/locking/robust-futex-ABI.rst
 * gives: list_op_pending names the entry before the word is taken and
 * before it is released; the entry is on the list while held.  The
 * release is 7.2's: with no waiter, the vDSO's try-unlock (TID -> 0,
 * then list_op_pending := NULL, the range the kernel recognises by
 * instruction pointer); with waiters, futex(FUTEX_WAKE |
 * FUTEX_ROBUST_UNLOCK), which stores 0, clears list_op_pending and wakes
 * one, in the kernel.
 *
 * An owner-died mutex is marked inconsistent in its state word, which
 * only its owner touches; unlocked without ml72_consistent(), it becomes
 * not recoverable, and is released the same way (so that path, too,
 * never leaves a pending entry behind a released word): whoever takes it
 * next releases it again and returns ENOTRECOVERABLE.
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include "ml72.h"

#define ML72_INCONSISTENT	1u
#define ML72_NOTRECOVERABLE	2u

#define barrier()	__asm__ __volatile__("" ::: "memory")

/* The list head, in the ABI's layout (struct robust_list_head). */
struct ml72_head {
	struct ml72_node *next;
	long futex_offset;
	struct ml72_node *pending;
};

_Static_assert(sizeof(struct ml72_head) == sizeof(struct robust_list_head),
	       "ml72_head is the kernel's robust_list_head");

struct ml72_thread {
	struct ml72_head head;
	uint32_t tid;
	bool registered;
	unsigned long syscalls;
};

static __thread struct ml72_thread self __attribute__((tls_model("initial-exec")));

typedef uint32_t (*try_unlock64_fn)(uint32_t *lock, uint32_t tid,
				    uint64_t *pop);
typedef uint32_t (*try_unlock32_fn)(uint32_t *lock, uint32_t tid,
				    uint32_t *pop);

static struct {
	pthread_once_t once;
	bool ok, ok32;
	const char *why, *why32;
	try_unlock64_fn try64;
	try_unlock32_fn try32;
} g = { .once = PTHREAD_ONCE_INIT };

/* The empty list: the head points at itself. */
#define HEAD(t)		((struct ml72_node *)&(t)->head)

static long sys_futex(uint32_t *uaddr, int op, uint32_t val, void *uaddr2)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, uaddr2, 0);
}

/* ---- finding the vDSO's helpers ---- */

/* The number of symbols a DT_GNU_HASH table covers. */
static uint32_t gnu_hash_count(const uint32_t *gh)
{
	uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_words = gh[2];
	const uint32_t *buckets = gh + 4 + bloom_words * (sizeof(long) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;

	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))	/* the chain's end bit */
		last++;
	return last + 1;
}

/*
 * The address of function @name in the vDSO the kernel mapped for this
 * process (AT_SYSINFO_EHDR), found through its dynamic symbol table; NULL
 * if it has none by that name.
 */
static void *vdso_sym(const char *name)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR), bias = 0, dyn_at = 0;
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn;
	const Elf64_Sym *sym = NULL;
	const char *str = NULL;
	const uint32_t *hash = NULL, *gnu = NULL;
	bool loaded = false;
	uint32_t n = 0;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	ph = (const void *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !loaded) {
			bias = base + ph[i].p_offset - ph[i].p_vaddr;
			loaded = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn_at = ph[i].p_vaddr;
		}
	}
	if (!loaded || !dyn_at)
		return NULL;
	for (dyn = (const void *)(bias + dyn_at); dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t a = bias + dyn->d_un.d_ptr;

		switch (dyn->d_tag) {
		case DT_SYMTAB:
			sym = (const void *)a;
			break;
		case DT_STRTAB:
			str = (const void *)a;
			break;
		case DT_HASH:
			hash = (const void *)a;
			break;
		case DT_GNU_HASH:
			gnu = (const void *)a;
			break;
		}
	}
	if (!sym || !str)
		return NULL;
	if (hash)
		n = hash[1];		/* nchain: one per symbol */
	else if (gnu)
		n = gnu_hash_count(gnu);
	for (uint32_t i = 0; i < n; i++) {
		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC ||
		    sym[i].st_shndx == SHN_UNDEF)
			continue;
		if (!strcmp(str + sym[i].st_name, name))
			return (void *)(bias + sym[i].st_value);
	}
	return NULL;
}

/*
 * Does the kernel take FUTEX_ROBUST_UNLOCK (with @extra)?  On a word and
 * a pending pointer of our own: a kernel that does stores 0 in both and
 * returns the number woken (0); one that does not returns ENOSYS (the
 * flag makes an unknown command) and touches neither.
 */
static bool probe_op(int extra, bool pop32)
{
	uint32_t word = 1;
	union {
		uint64_t p64;
		uint32_t p32;
	} pop = { .p64 = ~0ull };

	if (sys_futex(&word, FUTEX_WAKE | FUTEX_ROBUST_UNLOCK | extra, 1,
		      &pop) < 0)
		return false;
	return word == 0 && (pop32 ? pop.p32 == 0 : pop.p64 == 0);
}

static void setup(void)
{
	g.try64 = (try_unlock64_fn)vdso_sym("__vdso_futex_robust_list64_try_unlock");
	g.try32 = (try_unlock32_fn)vdso_sym("__vdso_futex_robust_list32_try_unlock");
	if (!probe_op(0, false))
		g.why = "kernel has no FUTEX_ROBUST_UNLOCK";
	else if (!g.try64)
		g.why = "no __vdso_futex_robust_list64_try_unlock in the vDSO";
	else
		g.ok = true;
#ifdef __x86_64__
	if (!probe_op(FUTEX_ROBUST_LIST32, true))
		g.why32 = "kernel has no FUTEX_ROBUST_UNLOCK|FUTEX_ROBUST_LIST32";
	else if (!g.try32)
		g.why32 = "no __vdso_futex_robust_list32_try_unlock in the vDSO";
	else
		g.ok32 = true;
#else
	g.why32 = "a 64-bit process has no 32-bit set_robust_list here "
		  "(x86's int 0x80 only)";
#endif
	if (g.ok)
		pthread_atfork(NULL, NULL, ml72_forget_thread);
}

bool ml72_available(void)
{
	pthread_once(&g.once, setup);
	return g.ok;
}

const char *ml72_why_not(void)
{
	pthread_once(&g.once, setup);
	return g.why;
}

bool ml72_list32_available(void)
{
	pthread_once(&g.once, setup);
	return g.ok32;
}

const char *ml72_list32_why_not(void)
{
	pthread_once(&g.once, setup);
	return g.why32;
}

/* ---- the thread's list ---- */

static __attribute__((noinline)) void thread_register(void)
{
	self.head.next = HEAD(&self);
	self.head.futex_offset = (long)offsetof(ml72_mutex_t, word) -
				 (long)offsetof(ml72_mutex_t, node);
	self.head.pending = NULL;
	self.tid = (uint32_t)syscall(SYS_gettid);
	self.syscalls = 0;
	if (syscall(SYS_set_robust_list, &self.head, sizeof(self.head)))
		abort();
	self.registered = true;
}

static inline struct ml72_thread *me(void)
{
	if (__builtin_expect(!self.registered, 0))
		thread_register();
	return &self;
}

void ml72_forget_thread(void)
{
	self.registered = false;
}

struct robust_list_head *ml72_head(void)
{
	return (struct robust_list_head *)&me()->head;
}

pid_t ml72_tid(void)
{
	return me()->tid;
}

unsigned long ml72_unlock_syscalls(void)
{
	return self.syscalls;
}

/* Put the held mutex's entry first on the list (list_op_pending names it). */
static inline void enqueue(struct ml72_thread *t, ml72_mutex_t *m)
{
	struct ml72_node *n = &m->node;

	n->prev = NULL;
	n->next = t->head.next;
	if (n->next != HEAD(t))
		n->next->prev = n;
	barrier();		/* linked before it is reachable */
	t->head.next = n;
}

static inline void dequeue(struct ml72_thread *t, ml72_mutex_t *m)
{
	struct ml72_node *n = &m->node;

	if (n->prev)
		n->prev->next = n->next;
	else
		t->head.next = n->next;
	if (n->next != HEAD(t))
		n->next->prev = n->prev;
}

/* ---- the mutex ---- */

int ml72_init(ml72_mutex_t *m)
{
	if (!ml72_available())
		return ENOSYS;
	memset(m, 0, sizeof(*m));
	return 0;
}

static __attribute__((noinline)) int unlock_wake(struct ml72_thread *t,
						 ml72_mutex_t *m)
{
	t->syscalls++;
	if (sys_futex(&m->word, FUTEX_WAKE | FUTEX_ROBUST_UNLOCK, 1,
		      &t->head.pending) < 0)
		return errno;
	return 0;
}

/* The release, held by @t: list_op_pending names it until the kernel or
 * the vDSO clears it together with the word. */
static inline int release(struct ml72_thread *t, ml72_mutex_t *m)
{
	t->head.pending = &m->node;
	barrier();
	dequeue(t, m);
	barrier();
	if (__builtin_expect(g.try64(&m->word, t->tid,
				     (uint64_t *)&t->head.pending) != t->tid, 0))
		return unlock_wake(t, m);
	return 0;
}

static __attribute__((noinline)) int acquired_odd(struct ml72_thread *t,
						  ml72_mutex_t *m, bool died)
{
	if (m->state & ML72_NOTRECOVERABLE) {
		release(t, m);
		return ENOTRECOVERABLE;
	}
	if (died) {
		m->state |= ML72_INCONSISTENT;
		return EOWNERDEAD;
	}
	return 0;
}

/* The word is ours: on the list, then nothing pending. */
static inline int acquired(struct ml72_thread *t, ml72_mutex_t *m, bool died)
{
	enqueue(t, m);
	barrier();
	t->head.pending = NULL;
	if (__builtin_expect(died || m->state, 0))
		return acquired_odd(t, m, died);
	return 0;
}

static inline bool cas(uint32_t *p, uint32_t *old, uint32_t new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static __attribute__((noinline)) int lock_slow(struct ml72_thread *t,
					       ml72_mutex_t *m, uint32_t w,
					       bool try)
{
	/* Once slept, take it with WAITERS: others may sleep too. */
	uint32_t want = t->tid;

	for (;;) {
		if (w == 0) {
			if (cas(&m->word, &w, want))
				return acquired(t, m, false);
			continue;
		}
		if (w & FUTEX_OWNER_DIED) {
			if (cas(&m->word, &w, want | (w & FUTEX_WAITERS)))
				return acquired(t, m, true);
			continue;
		}
		/*
		 * No EDEADLK for our own TID: a normal mutex, as glibc's
		 * robust normal one (a TID is a number in one PID namespace:
		 * another's owner may have ours).
		 */
		if (try) {
			t->head.pending = NULL;
			return EBUSY;
		}
		if (!(w & FUTEX_WAITERS)) {
			if (!cas(&m->word, &w, w | FUTEX_WAITERS))
				continue;
			w |= FUTEX_WAITERS;
		}
		sys_futex(&m->word, FUTEX_WAIT, w, NULL);
		want = t->tid | FUTEX_WAITERS;
		w = __atomic_load_n(&m->word, __ATOMIC_SEQ_CST);
	}
}

int ml72_lock(ml72_mutex_t *m)
{
	struct ml72_thread *t = me();
	uint32_t w = 0;

	t->head.pending = &m->node;
	if (__builtin_expect(cas(&m->word, &w, t->tid), 1))
		return acquired(t, m, false);
	return lock_slow(t, m, w, false);
}

int ml72_trylock(ml72_mutex_t *m)
{
	struct ml72_thread *t = me();
	uint32_t w = 0;

	t->head.pending = &m->node;
	if (cas(&m->word, &w, t->tid))
		return acquired(t, m, false);
	return lock_slow(t, m, w, true);
}

int ml72_unlock(ml72_mutex_t *m)
{
	struct ml72_thread *t = me();
	uint32_t w = __atomic_load_n(&m->word, __ATOMIC_RELAXED);

	if (__builtin_expect((w & FUTEX_TID_MASK) != t->tid, 0))
		return EPERM;
	if (__builtin_expect(m->state & ML72_INCONSISTENT, 0))
		m->state = ML72_NOTRECOVERABLE;
	return release(t, m);
}

int ml72_consistent(ml72_mutex_t *m)
{
	struct ml72_thread *t = me();
	uint32_t w = __atomic_load_n(&m->word, __ATOMIC_RELAXED);

	if ((w & FUTEX_TID_MASK) != t->tid || !(m->state & ML72_INCONSISTENT))
		return EINVAL;
	m->state &= ~ML72_INCONSISTENT;
	return 0;
}

/* ---- a 32-bit list ---- */

/*
 * The compat set_robust_list, entered through int 0x80 from this 64-bit
 * process: the kernel keeps it as the task's compat list and walks it at
 * exit beside the native one.
 */
int ml72_list32_register(struct ml72_head32 *h)
{
#ifdef __x86_64__
	long ret;

	h->next = (uint32_t)(uintptr_t)h;
	h->futex_offset = (int32_t)offsetof(struct ml72_lock32, word);
	h->pending = 0;
	__asm__ volatile("int $0x80"
			 : "=a" (ret)
			 : "a" (311L),	/* i386 __NR_set_robust_list */
			   "b" ((long)(uint32_t)(uintptr_t)h),
			   "c" ((long)sizeof(*h))
			 : "memory", "r8", "r9", "r10", "r11");
	return (int)ret;
#else
	return -ENOSYS;
#endif
}

int ml72_lock32(struct ml72_head32 *h, struct ml72_lock32 *l)
{
	uint32_t tid = (uint32_t)syscall(SYS_gettid), w = 0;

	h->pending = (uint32_t)(uintptr_t)l;
	barrier();
	if (!cas(&l->word, &w, tid)) {
		h->pending = 0;
		return EBUSY;
	}
	l->next = h->next;
	barrier();
	h->next = (uint32_t)(uintptr_t)l;
	barrier();
	h->pending = 0;
	return 0;
}

int ml72_unlock32(struct ml72_head32 *h, struct ml72_lock32 *l)
{
	uint32_t tid = (uint32_t)syscall(SYS_gettid), *link = &h->next;

	if ((__atomic_load_n(&l->word, __ATOMIC_RELAXED) & FUTEX_TID_MASK) != tid)
		return EPERM;
	h->pending = (uint32_t)(uintptr_t)l;
	barrier();
	while (*link != (uint32_t)(uintptr_t)l) {
		if (*link == (uint32_t)(uintptr_t)h)
			return EINVAL;
		link = &((struct ml72_lock32 *)(uintptr_t)*link)->next;
	}
	*link = l->next;
	barrier();
	if (g.try32(&l->word, tid, &h->pending) != tid &&
	    sys_futex(&l->word, FUTEX_WAKE | FUTEX_ROBUST_UNLOCK |
		      FUTEX_ROBUST_LIST32, 1, &h->pending) < 0)
		return errno;
	return 0;
}
