/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest programs' shared state: a file in /dev/shm holding an array of
 * robust, process-shared glibc mutexes (i386 layout: these programs are
 * built with -m32 -static and run under qemu-i386).
 */
#ifndef QEMU_GUEST_SHM_H
#define QEMU_GUEST_SHM_H

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t *shm_map(const char *path, int n, int create)
{
	size_t len = (size_t)n * sizeof(pthread_mutex_t);
	int fd = open(path, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);
	void *p;

	if (fd < 0 || (create && ftruncate(fd, len))) {
		perror(path);
		exit(2);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	close(fd);
	return p;
}

#endif
