// SPDX-License-Identifier: GPL-2.0
/*
 * waiter PATH: lock the first mutex in PATH, blocking; print what
 * pthread_mutex_lock returned (EOWNERDEAD once the holder is dead and
 * recovered).  waiter PATH N: trylock all N and count the EOWNERDEADs.
 * Exit 0 iff every mutex came back EOWNERDEAD.
 */
#include <errno.h>
#include <string.h>
#include "shm.h"

static const char *name(int err)
{
	return err == EOWNERDEAD ? "EOWNERDEAD" : err == EBUSY ? "EBUSY" :
	       err ? strerror(err) : "0";
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;
	pthread_mutex_t *m;
	int i, err, dead = 0, busy = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: waiter PATH [N]\n");
		return 2;
	}
	m = shm_map(argv[1], n ? n : 1, 0);
	if (!n) {
		printf("waiter: blocking\n");
		fflush(stdout);
		err = pthread_mutex_lock(&m[0]);
		printf("waiter: lock: %s\n", name(err));
		return err != EOWNERDEAD;
	}
	for (i = 0; i < n; i++) {
		err = pthread_mutex_trylock(&m[i]);
		dead += err == EOWNERDEAD;
		busy += err == EBUSY;
	}
	printf("waiter: %d of %d EOWNERDEAD, %d EBUSY\n", dead, n, busy);
	return dead != n;
}
