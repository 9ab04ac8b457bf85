// SPDX-License-Identifier: GPL-2.0
/*
 * glibc bug 14485 in an unmodified pthread program: a process unlocks a
 * robust mutex in shared memory and dies after the release but before it
 * clears its list_op_pending; meanwhile the memory has been reused, and
 * where the futex word was there is the value the word held while the
 * dead thread owned it.  glibc leaves the pending entry to the kernel,
 * which writes OWNER_DIED into the reused memory; the preload's mutex
 * (intent protocol) has the module leave it alone.
 *
 * The child is stopped in the window deterministically: the parent
 * single-steps it (ptrace) through pthread_mutex_unlock() until the word
 * reads unlocked, then reuses the memory and SIGKILLs it.  Nothing here
 * knows which implementation runs: the same binary, with and without
 * LD_PRELOAD.
 *
 *	p_unlock_race changed|unchanged		TAP: what the reused memory
 *						must do
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "p_tap.h"

#define REGION	256
#define AT	64

struct race {
	unsigned char region[REGION] __attribute__((aligned(64)));
	volatile int unlocked;	/* the child got through the unlock */
};

static void child(struct race *r)
{
	pthread_mutex_t *m = (pthread_mutex_t *)(r->region + AT);
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (pthread_mutex_init(m, &a) || pthread_mutex_lock(m))
		_exit(2);
	/* Stopped here: the parent reads the owner's word. */
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	pthread_mutex_unlock(m);
	r->unlocked = 1;
	for (;;)
		pause();
}

static uint32_t word(struct race *r)
{
	return __atomic_load_n((uint32_t *)(r->region + AT), __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv)
{
	int want_changed = argc > 1 && !strcmp(argv[1], "changed");
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned char before[REGION];
	uint32_t held;
	long steps = 0;
	int st, changed = 0, i;
	pid_t pid;

	p_start();
	alarm(120);
	pid = fork();
	if (pid == 0)
		child(r);
	waitpid(pid, &st, 0);
	P_CHECK(WIFSTOPPED(st), "child locked the mutex and stopped");
	/* The owner field, whatever the implementation puts there. */
	held = word(r) & 0x3fffffff;
	P_CHECK(held != 0, "the word names an owner while held (%#x)", held);
	/*
	 * Step until the release: the word names no owner and no release in
	 * progress (glibc: TID -> 0; the preload: owner -> owner|RELEASING
	 * -> 0).
	 */
	while ((word(r) & 0x3fffffff) && steps < 10000000) {
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
			break;
		waitpid(pid, &st, 0);
		if (!WIFSTOPPED(st))
			break;
		steps++;
	}
	P_CHECK((word(r) & 0x3fffffff) == 0 && !r->unlocked,
		"stopped inside pthread_mutex_unlock after the release "
		"(%ld steps)", steps);
	/* The memory is reused; the word holds the dead owner's value. */
	memset(r->region, 0xa5, REGION);
	memcpy(r->region + AT, &held, sizeof(held));
	memcpy(before, r->region, REGION);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	for (i = 0; i < REGION; i++)
		changed += before[i] != r->region[i];
	printf("# %s: %d bytes of reused memory changed by the exit (word %#x -> %#x)\n",
	       getenv("LD_PRELOAD") ? "preload" : "glibc", changed, held,
	       word(r));
	if (want_changed)
		P_CHECK(changed > 0, "without the preload: the kernel wrote "
			"into reused memory (bug 14485 reproduced)");
	else
		P_CHECK(changed == 0, "with the preload: the reused memory "
			"is untouched");
	p_finish();
}
