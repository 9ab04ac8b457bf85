// SPDX-License-Identifier: MIT
/*
 * preload-demo: a plain pthread program, built with no librobustfutex,
 * run by preload-demo.sh as it is and with
 * LD_PRELOAD=librobustfutex-pthread.so.  Its answers must be the same.
 *
 * A process-shared robust mutex in shared memory; a child locks it and
 * is killed; the parent gets EOWNERDEAD, makes it consistent and goes on.
 * The last line says whose mutex it was; an ordinary program has no need
 * to know (it reads the preload's mark in __kind, docs/preload.md).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int step(const char *what, int want, int got)
{
	printf("%-40s %s\n", what, got ? strerrorname_np(got) : "0");
	return got == want;
}

int main(void)
{
	pthread_mutex_t *m;
	pthread_mutexattr_t a;
	int ok = 1, status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	ok &= step("pthread_mutex_init", 0, pthread_mutex_init(m, &a));
	pthread_mutexattr_destroy(&a);

	pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(m);
		raise(SIGKILL);		/* dies holding it */
		_exit(1);
	}
	waitpid(pid, &status, 0);
	printf("%-40s %s\n", "child, holding it", WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL ? "killed" : "NOT killed");
	ok &= WIFSIGNALED(status);
	ok &= step("pthread_mutex_lock", EOWNERDEAD, pthread_mutex_lock(m));
	ok &= step("pthread_mutex_consistent", 0, pthread_mutex_consistent(m));
	ok &= step("pthread_mutex_unlock", 0, pthread_mutex_unlock(m));
	ok &= step("pthread_mutex_lock", 0, pthread_mutex_lock(m));
	ok &= step("pthread_mutex_trylock (held)", EBUSY, pthread_mutex_trylock(m));
	ok &= step("pthread_mutex_unlock", 0, pthread_mutex_unlock(m));
	/* For the demo only: glibc's or the preload's? */
	printf("# mutex made by: %s\n",
	       ((unsigned int)m->__data.__kind & 0xffff0008u) == 0x52460008u ?
	       "librobustfutex-pthread" : "glibc");
	ok &= step("pthread_mutex_destroy", 0, pthread_mutex_destroy(m));
	return ok ? 0 : 1;
}
