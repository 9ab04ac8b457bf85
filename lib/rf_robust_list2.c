// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * set_robust_list2()/get_robust_list2() as proposed for Linux (typed
 * robust lists in numbered slots), mapped onto the module's slots.  Errors
 * go to errno, as from a system call.
 */
#include <errno.h>
#include <stdint.h>
#include "rf_internal.h"

static long rf_sys_ret(long ret)
{
	if (ret >= 0)
		return ret;
	errno = (int)-ret;
	return -1;
}

RF_EXPORT long rf_set_robust_list2(void *head, int index, unsigned int flags)
{
	int width;

	if (flags == RF_ROBUST_LIST_32)
		width = RF_WIDTH_32;
	else if (flags == RF_ROBUST_LIST_64)
		width = RF_WIDTH_64;
	else
		return rf_sys_ret(-EINVAL);
	if (index < -1)
		return rf_sys_ret(-EINVAL);
	return rf_sys_ret(rfi_set_list(index, head, width, RF_PROTO_MAINLINE));
}

RF_EXPORT long rf_get_robust_list2(int pid, void **head_ptr,
				   unsigned int index, unsigned int flags)
{
	struct rf_list l;
	int ret;

	if (flags || index > INT32_MAX)
		return rf_sys_ret(-EINVAL);
	ret = rfi_get_list(pid, (int)index, &l);
	if (ret < 0)
		return rf_sys_ret(ret);
	*head_ptr = (void *)(uintptr_t)l.head;
	return 0;
}
