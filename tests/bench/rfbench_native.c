// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench, host native build (-DRFBENCH_NATIVE, tests/bench/run): the
 * raw layer without the module, in place of lib/rf_raw.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../kselftest/rf_test.h"

#include "rf_internal.h"

#ifndef RFBENCH_NATIVE
#error "rfbench_native.c is the host native build's only (-DRFBENCH_NATIVE)"
#endif

/*
 * Replaces lib/rf_raw.c.  Registration "succeeds" without a device (the
 * list is never walked: no thread dies here); anything that would need
 * the module for real stops the program.
 */
RF_HIDDEN int rfi_set_list(int index, void *head, int width, int protocol)
{
	return 0;
}

RF_HIDDEN int rfi_remove_list(int index)
{
	return 0;
}

RF_HIDDEN int rfi_wait(uint32_t *uaddr, uint32_t val, int flags,
		       clockid_t clk, const struct timespec *abstime)
{
	fprintf(stderr, "rfbench: native build cannot wait (no module)\n");
	abort();
}

RF_HIDDEN int rfi_wake(uint32_t *uaddr, int nr, int flags)
{
	fprintf(stderr, "rfbench: native build cannot wake (no module)\n");
	abort();
}

RF_HIDDEN int rfi_fd(void)
{
	return -ENODEV;
}

/* An owner ID per thread, as the module would hand out (nonzero). */
RF_HIDDEN int rfi_get_owner(void)
{
	return (int)(rf_gettid() & RF_OWNER_MASK & ~1u) | 2;
}

RF_HIDDEN void rfi_fd_check(void)
{
}
