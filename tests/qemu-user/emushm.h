/* SPDX-License-Identifier: GPL-2.0 */
/* The emulator's own lock: one process-shared rf_mutex in a file. */
#ifndef QEMU_EMUSHM_H
#define QEMU_EMUSHM_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <robustfutex.h>

static rf_mutex_t *emu_map(const char *path, int create)
{
	int fd = open(path, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);
	void *p;

	if (fd < 0 || (create && ftruncate(fd, sizeof(rf_mutex_t)))) {
		perror(path);
		exit(2);
	}
	p = mmap(NULL, sizeof(rf_mutex_t), PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	close(fd);
	return p;
}

#endif
