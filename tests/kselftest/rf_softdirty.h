/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY): clear_refs write-protects
 * every page of the process, so tests can hand the walk a mapped page it
 * must make writable.
 */
#ifndef RF_SOFTDIRTY_H
#define RF_SOFTDIRTY_H

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

/* Bit 55 of a pagemap entry: the page was written since clear_refs. */
static inline int soft_dirty(void *addr)
{
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (uintptr_t)addr / sysconf(_SC_PAGESIZE) * sizeof(e);
	int r = -1;

	if (fd >= 0 && pread(fd, &e, sizeof(e), off) == sizeof(e))
		r = !!(e & (1ULL << 55));
	if (fd >= 0)
		close(fd);
	return r;
}

static inline int clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "4", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/* Does this kernel track soft-dirty (CONFIG_MEM_SOFT_DIRTY)? */
static inline int have_soft_dirty(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (p == MAP_FAILED)
		return 0;
	p[0] = 1;
	r = !clear_soft_dirty() && soft_dirty((void *)p) == 0;
	p[0] = 2;
	r = r && soft_dirty((void *)p) == 1;
	munmap((void *)p, 4096);
	return r;
}

#endif
