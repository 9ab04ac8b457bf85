// SPDX-License-Identifier: GPL-2.0
/*
 * holder PATH N: create N robust process-shared mutexes in PATH, lock them
 * all, say so, and wait to be killed.  First it reports what the emulator
 * answered to glibc's set_robust_list (through get_robust_list).
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include "shm.h"

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 1;
	pthread_mutexattr_t a;
	pthread_mutex_t *m;
	size_t len = 0;
	void *head = NULL;
	int i, err;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: holder PATH [N]\n");
		return 2;
	}
	if (syscall(SYS_get_robust_list, 0, &head, &len))
		printf("holder: get_robust_list: %s\n", strerror(errno));
	else
		printf("holder: get_robust_list: head %p len %zu\n", head, len);
	m = shm_map(argv[1], n, 1);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (i = 0; i < n; i++) {
		err = pthread_mutex_init(&m[i], &a);
		if (!err)
			err = pthread_mutex_lock(&m[i]);
		if (err) {
			printf("holder: mutex %d: %s\n", i, strerror(err));
			return 1;
		}
	}
	printf("holder: held %d\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
