// SPDX-License-Identifier: MIT
/*
 * shared-mutex: a process-shared robust rf_mutex_t in shared memory, a
 * child that dies holding it, and the parent recovering it.
 *
 * For an application programmer: rf_mutex_* is shaped like
 * pthread_mutex_* (0 or a positive errno), and robust by default.  The
 * parent learns of the death from EOWNERDEAD, repairs what the mutex
 * protects, calls rf_mutex_consistent(), and goes on.  Unlike glibc's
 * robust mutex, the module's intent-to-release protocol also covers a
 * process killed in the middle of an unlock (docs/protocol.md).
 *
 * Needs the module loaded.  Exit status 0 only if every step answered
 * as expected.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <robustfutex.h>

/* What the processes share: a mutex and the state it protects. */
struct shared {
	rf_mutex_t lock;
	int balance_a, balance_b;	/* invariant: a + b == 100 */
};

static int expect(const char *what, int want, int got)
{
	printf("%-52s %s%s%s\n", what, got ? strerror(got) : "0",
	       got == want ? "" : "   <-- expected ",
	       got == want ? "" : (want ? strerror(want) : "0"));
	return got == want;
}

int main(void)
{
	struct shared *s;
	rf_mutexattr_t attr;
	int ok = 1, r, status, go[2], ready[2];
	char c;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED || pipe(go) || pipe(ready))
		return 1;

	/* Process-shared (robust is the default). */
	rf_mutexattr_init(&attr);
	rf_mutexattr_setpshared(&attr, RF_PROCESS_SHARED);
	r = rf_mutex_init(&s->lock, &attr);
	rf_mutexattr_destroy(&attr);
	if (r) {
		printf("rf_mutex_init: %s%s\n", strerror(r),
		       r == ENODEV ? " (load the module: modprobe robustfutex)" : "");
		return 1;
	}
	s->balance_a = 100;
	s->balance_b = 0;

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		/* The child: lock, start a transfer, and be killed halfway. */
		close(go[1]);
		if (rf_mutex_lock(&s->lock))
			_exit(2);
		s->balance_a -= 30;	/* ... but never adds it to b */
		printf("child %d: locked, moved 30 out of a, killed before b\n",
		       getpid());
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		/* Wait until the parent is (about to be) blocked in lock. */
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		raise(SIGKILL);
		_exit(2);
	}
	close(go[0]);
	if (read(ready[0], &c, 1) != 1)
		return 1;

	/*
	 * The parent: let the child die and lock.  If it is already dead
	 * the lock answers at once, otherwise when it dies: either way
	 * EOWNERDEAD, and the mutex is ours.
	 */
	close(go[1]);
	ok &= expect("parent: rf_mutex_lock (the owner was killed)",
		     EOWNERDEAD, rf_mutex_lock(&s->lock));
	waitpid(pid, &status, 0);
	printf("parent: child %s by signal %d\n",
	       WIFSIGNALED(status) ? "killed" : "NOT killed",
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);

	/* Repair what the dead owner left half done, then say so. */
	printf("parent: found a=%d b=%d (sum %d), repairing\n",
	       s->balance_a, s->balance_b, s->balance_a + s->balance_b);
	s->balance_b = 100 - s->balance_a;
	ok &= expect("parent: rf_mutex_consistent", 0,
		     rf_mutex_consistent(&s->lock));
	ok &= expect("parent: rf_mutex_unlock", 0, rf_mutex_unlock(&s->lock));

	/* Usable again, by anyone. */
	ok &= expect("parent: rf_mutex_lock again", 0, rf_mutex_lock(&s->lock));
	printf("parent: a=%d b=%d (sum %d)\n", s->balance_a, s->balance_b,
	       s->balance_a + s->balance_b);
	ok &= s->balance_a + s->balance_b == 100;
	ok &= expect("parent: rf_mutex_unlock", 0, rf_mutex_unlock(&s->lock));
	ok &= expect("parent: rf_mutex_destroy", 0, rf_mutex_destroy(&s->lock));

	printf("%s\n", ok ? "OK: the parent recovered the mutex its child died holding"
			  : "FAIL");
	return ok ? 0 : 1;
}
