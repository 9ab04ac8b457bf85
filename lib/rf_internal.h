/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interface between rf_raw.c and rf_mutex.c.  These are hidden
 * symbols, so that the mutex code of one copy of the library always uses
 * its own raw layer (its own fd), never an interposed copy's.
 */
#ifndef RF_INTERNAL_H
#define RF_INTERNAL_H

#include "robustfutex.h"

#define RF_EXPORT	__attribute__((visibility("default")))
#define RF_HIDDEN	__attribute__((visibility("hidden")))

/* The raw API, same contracts as the public functions (-errno). */
RF_HIDDEN int rfi_set_list(int index, void *head, int width, int protocol);
RF_HIDDEN int rfi_set_list_base(int index, void *head, int width,
			       int protocol, uint64_t base);
/* Fills @l (zeroed first) from RF_IOC_GET_LIST. */
RF_HIDDEN int rfi_get_list(pid_t tid, int index, struct rf_list *l);
RF_HIDDEN int rfi_remove_list(int index);
RF_HIDDEN int rfi_wait(uint32_t *uaddr, uint32_t val, int flags,
		       clockid_t clk, const struct timespec *abstime);
RF_HIDDEN int rfi_wake(uint32_t *uaddr, int nr, int flags);
RF_HIDDEN int rfi_get_owner(void);
/* The device fd (opened on first use), or -errno. */
RF_HIDDEN int rfi_fd(void);
/* Make sure the cached descriptor still names the device (after fork). */
RF_HIDDEN void rfi_fd_check(void);

#endif
