// SPDX-License-Identifier: MIT
/*
 * emulator-guest-list: what a user-mode emulator (QEMU linux-user, FEX,
 * Box64...) does with librobustfutex so that a 32-bit guest's robust
 * mutexes are recovered when the guest thread holding one dies.
 *
 * The host kernel walks only the host libc's robust list, so a guest's
 * set_robust_list() is lost and the waiters of a dead guest thread's
 * mutex sleep forever.  With the module, per host thread running a guest
 * thread, the emulator:
 *
 *   1. answers the guest's set_robust_list(head, len) by registering the
 *      guest's list in a slot of its own: rf_list_set_base(), 32-bit
 *      pointers, mainline's rules, and the host address of guest address
 *      0 as the base (QEMU's guest_base);
 *   2. routes the guest's FUTEX_WAIT to rf_futex_wait() and FUTEX_WAKE to
 *      rf_futex_wake() (plus the host futex for the rest of the count), so
 *      that the module's walk, when the thread dies, can wake the waiters.
 *
 * Here the "guest" is a few lines of C that do what a 32-bit glibc does
 * with a robust mutex, on memory laid out with 32-bit guest pointers:
 * one guest thread takes the mutex and dies holding it; another waits on
 * it through the emulator's futex routing and is woken with the word
 * marked OWNER_DIED, as its glibc would then return EOWNERDEAD.
 *
 * Built 64-bit, the guest lives in a 4 GiB reservation (base != 0), as
 * under QEMU on x86_64; built 32-bit (-m32), guest and host addresses are
 * the same (base 0).  Needs the module loaded.  Exit status 0 only if the
 * waiter was woken with the word marked OWNER_DIED and could take it.
 * contrib/qemu/robustfutex.patch is the same in QEMU.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <robustfutex.h>

/* ---- the guest's address space ---- */

static uintptr_t guest_base;	/* host address of guest address 0 */

static void *g2h(uint32_t ga)
{
	return (void *)(guest_base + ga);
}

static uint32_t h2g(void *p)
{
	return (uint32_t)((uintptr_t)p - guest_base);
}

/* A guest page, @gp its host address; the guest names it by h2g(gp). */
static char *guest_page(void)
{
	void *p;

#if UINTPTR_MAX > 0xffffffffu
	/* Reserve 4 GiB for the guest; nothing is backed until used. */
	p = mmap(NULL, 1ULL << 32, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	guest_base = (uintptr_t)p;
	return (char *)p + 0x10000;	/* guest address 0x10000 */
#else
	/* 32-bit host: every host address is a guest address (base 0). */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
#endif
}

/*
 * What the guest's libc keeps there, in its own 32-bit layout: the
 * robust list head of mainline's ABI (next, futex_offset,
 * list_op_pending; guest pointers), and a mutex whose list node points at
 * the next node and whose futex word sits 4 bytes before the node.
 */
struct guest_head {
	uint32_t next;
	int32_t futex_offset;
	uint32_t pending;
};

struct guest_mutex {
	uint32_t word;		/* 0, or owner TID | WAITERS | OWNER_DIED */
	uint32_t node;		/* list link: guest address of the next node */
};

static struct guest_head *head;		/* in guest memory */
static struct guest_mutex *mutex;	/* in guest memory */

/* ---- the emulator's side: what its syscall layer does ---- */

/* The guest called set_robust_list(head, 12): register it for this thread. */
static int emu_set_robust_list(uint32_t ghead, int *slot)
{
	int r = rf_list_set_base(*slot, g2h(ghead), RF_WIDTH_32,
				 RF_PROTO_MAINLINE, guest_base);

	if (r < 0)
		return r;
	if (*slot < 0)
		*slot = r;	/* a second call replaces this slot only */
	return 0;
}

/* The guest called futex(uaddr, FUTEX_WAIT_PRIVATE, val, timeout). */
static int emu_futex_wait(uint32_t uaddr, uint32_t val,
			  const struct timespec *abstime)
{
	/* Sleep in the module, where the walk of a dead owner wakes us. */
	return rf_futex_wait(g2h(uaddr), val, 0, CLOCK_MONOTONIC, abstime);
}

/* The guest called futex(uaddr, FUTEX_WAKE_PRIVATE, nr). */
static int emu_futex_wake(uint32_t uaddr, int nr)
{
	int n = rf_futex_wake(g2h(uaddr), nr, 0);
	long more;

	if (n < 0)
		return n;
	/* Waiters the emulator left on the host futex get the rest. */
	if (n < nr) {
		more = syscall(SYS_futex, g2h(uaddr), FUTEX_WAKE_PRIVATE,
			       nr - n, NULL, NULL, 0);
		if (more > 0)
			n += more;
	}
	return n;
}

/* ---- the guest's side: what a guest libc does, in guest memory ---- */

static sem_t locked, die;

/* A guest thread: set_robust_list, lock the mutex, die holding it. */
static void *guest_holder(void *arg)
{
	uint32_t expected = 0, tid = (uint32_t)gettid();
	int slot = -1, r;

	/* Its libc's first act: set_robust_list(head, sizeof(*head)). */
	head->next = h2g(&head->next);		/* empty: points at itself */
	head->futex_offset = (int32_t)(offsetof(struct guest_mutex, word) -
				       offsetof(struct guest_mutex, node));
	head->pending = 0;
	r = emu_set_robust_list(h2g(head), &slot);
	if (r < 0) {
		printf("holder: rf_list_set_base: %s\n", strerror(-r));
		*(int *)arg = -r;
		sem_post(&locked);
		return NULL;
	}
	printf("holder (tid %u): guest list at guest address 0x%x registered in slot %d, base 0x%llx\n",
	       tid, h2g(head), slot, (unsigned long long)guest_base);

	/* pthread_mutex_lock of a robust mutex: pending, CAS, enqueue. */
	head->pending = h2g(&mutex->node);
	if (!__atomic_compare_exchange_n(&mutex->word, &expected, tid, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
		printf("holder: mutex not free\n");
		*(int *)arg = EBUSY;
		sem_post(&locked);
		return NULL;
	}
	mutex->node = head->next;
	head->next = h2g(&mutex->node);
	head->pending = 0;
	printf("holder: locked the guest mutex (word 0x%08x), now dying without unlocking\n",
	       __atomic_load_n(&mutex->word, __ATOMIC_RELAXED));
	sem_post(&locked);
	sem_wait(&die);
	return NULL;	/* the host thread exits: the module walks the list */
}

int main(void)
{
	struct timespec deadline;
	pthread_t t;
	uint32_t w;
	int holder_err = 0, r, woken = 0;
	char *page;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page = guest_page();
	if (!page) {
		perror("mmap");
		return 1;
	}
	head = (struct guest_head *)page;
	mutex = (struct guest_mutex *)(page + 64);
	sem_init(&locked, 0, 0);
	sem_init(&die, 0, 0);

	if (pthread_create(&t, NULL, guest_holder, &holder_err))
		return 1;
	sem_wait(&locked);
	if (holder_err) {
		pthread_join(t, NULL);
		printf("FAIL: the holder could not set up (is the module loaded?)\n");
		return 1;
	}

	/*
	 * The waiter, a second guest thread: the mutex is taken, so set
	 * WAITERS and sleep with FUTEX_WAIT, through the emulator.  The
	 * holder is told to die now: whether it is gone before or after we
	 * sleep, the module's walk marks the word (and wakes us if asleep).
	 */
	w = __atomic_fetch_or(&mutex->word, RF_FUTEX_WAITERS, __ATOMIC_SEQ_CST) |
	    RF_FUTEX_WAITERS;
	sem_post(&die);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 20;	/* only a hang takes this long */
	while (!(w & RF_FUTEX_OWNER_DIED) && (w & RF_OWNER_MASK)) {
		r = emu_futex_wait(h2g(&mutex->word), w, &deadline);
		if (r == -ETIMEDOUT) {
			printf("FAIL: waiter timed out, word 0x%08x\n", w);
			return 1;
		}
		if (r < 0 && r != -EAGAIN && r != -EINTR) {
			printf("FAIL: rf_futex_wait: %s\n", strerror(-r));
			return 1;
		}
		if (r == 0)
			woken = 1;
		w = __atomic_load_n(&mutex->word, __ATOMIC_SEQ_CST);
	}
	pthread_join(t, NULL);
	printf("waiter: %s; word now 0x%08x\n",
	       woken ? "woken in the module by the walk of the dead holder's list"
		     : "the walk had already marked the word",
	       w);
	if ((w & RF_OWNER_MASK) || !(w & RF_FUTEX_OWNER_DIED)) {
		printf("FAIL: expected OWNER_DIED and no owner\n");
		return 1;
	}

	/* The guest's glibc takes it over and returns EOWNERDEAD... */
	if (!__atomic_compare_exchange_n(&mutex->word, &w,
					 (uint32_t)gettid() | (w & RF_FUTEX_WAITERS),
					 false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED)) {
		printf("FAIL: could not take the mutex over\n");
		return 1;
	}
	printf("waiter: took the mutex over: EOWNERDEAD, as the guest's pthread_mutex_lock says\n");
	/* ...and its unlock wakes whoever else waits, through the emulator. */
	w = __atomic_exchange_n(&mutex->word, 0, __ATOMIC_SEQ_CST);
	if (w & RF_FUTEX_WAITERS) {
		r = emu_futex_wake(h2g(&mutex->word), 1);
		printf("waiter: unlocked, FUTEX_WAKE woke %d\n", r);
	}
	printf("OK: a 32-bit guest's robust mutex was recovered by the module\n");
	return 0;
}
