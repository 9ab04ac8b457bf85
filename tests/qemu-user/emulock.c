// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOADed into qemu-i386: the emulator's own lock.  With EMULOCK set
 * to a file made by `emucheck init`, the constructor locks the rf_mutex
 * in it before the guest starts, in the thread that then runs the guest
 * (QEMU's main thread).  The library takes a slot of its own in the
 * module, so that thread has two: the emulator's and the guest's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <robustfutex.h>
#include "emushm.h"

__attribute__((constructor)) static void emulock(void)
{
	const char *path = getenv("EMULOCK");
	int err;

	if (!path)
		return;
	err = rf_mutex_lock(emu_map(path, 0));
	fprintf(stderr, "emulock: %s\n", err ? strerror(err) : "held");
}
