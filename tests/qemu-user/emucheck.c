// SPDX-License-Identifier: GPL-2.0
/*
 * emucheck init PATH: make the emulator's lock (emulock.c) in PATH.
 * emucheck lock PATH: lock it; print and exit 0 iff EOWNERDEAD.
 * emucheck slots TID: print the module slots of thread TID (width,
 * protocol, base); exit 0 iff it has a 64-bit intent slot (the emulator's)
 * and a 32-bit mainline slot with a base (the guest's).
 */
#include <errno.h>
#include <string.h>
#include "emushm.h"

static int slots(pid_t tid)
{
	struct rf_list_desc d;
	struct rf_info info;
	int i, emu = 0, guest = 0;
	uint64_t base;

	if (rf_info(&info))
		return 2;
	for (i = 0; i < (int)info.max_lists; i++) {
		if (rf_list_get(tid, i, &d) || rf_list_get_base(tid, i, &base))
			continue;
		printf("emucheck: slot %d: %u-bit %s base %#llx\n", i, d.width,
		       d.protocol == RF_PROTO_INTENT ? "intent" : "mainline",
		       (unsigned long long)base);
		emu += d.width == RF_WIDTH_64 && d.protocol == RF_PROTO_INTENT;
		guest += d.width == RF_WIDTH_32 &&
			 d.protocol == RF_PROTO_MAINLINE && base;
	}
	return !(emu == 1 && guest == 1);
}

int main(int argc, char **argv)
{
	rf_mutexattr_t a;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: emucheck init|lock PATH | slots TID\n");
		return 2;
	}
	if (!strcmp(argv[1], "slots"))
		return slots(atoi(argv[2]));
	if (!strcmp(argv[1], "init")) {
		rf_mutexattr_init(&a);
		rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
		return !!rf_mutex_init(emu_map(argv[2], 1), &a);
	}
	err = rf_mutex_lock(emu_map(argv[2], 0));
	printf("emucheck: lock: %s\n",
	       err == EOWNERDEAD ? "EOWNERDEAD" : err ? strerror(err) : "0");
	return err != EOWNERDEAD;
}
