// SPDX-License-Identifier: GPL-2.0
/* Children that set a state up, say so, and wait to be killed (spawn.h). */
#include <errno.h>
#include <unistd.h>

#include "spawn.h"

pid_t spawn_then(int (*setup)(void *), void (*then)(void *), void *arg,
		 int *res)
{
	int pfd[2], r;
	pid_t pid;

	if (pipe(pfd))
		die("pipe", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		r = setup(arg);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		if (then)
			then(arg);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(*res)) != sizeof(*res))
		*res = -EIO;
	close(pfd[0]);
	return pid;
}

pid_t spawn(int (*setup)(void *), void *arg, int *res)
{
	return spawn_then(setup, NULL, arg, res);
}
