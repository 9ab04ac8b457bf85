// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * set_robust_list2()/get_robust_list2() in the shape of the Linux proposal's
 * version 6 (not merged): numbered slots, the width in the command, flags
 * 0, and errors in errno as from a system call.  A v6 index is a module
 * slot; LIST_LIMIT answers the module's max_lists.  Without the module
 * both fail with ENOSYS, as on a kernel without the calls, so that a
 * program probing for them falls back (the rest of the library says
 * ENODEV).  The differences from v6 are listed in rf_set_robust_list2(3).
 */
#include <errno.h>
#include <stdint.h>
#include "rf_internal.h"

static long rf_sys_err(int err)
{
	errno = err;
	return -1;
}

/* 0 if the module is there, else the errno to give (ENOSYS: absent). */
static int rf_present(void)
{
	int fd = rfi_fd();

	if (fd >= 0)
		return 0;
	return fd == -ENODEV ? ENOSYS : -fd;
}

static int rf_nosys(int ret)
{
	return ret == -ENODEV ? ENOSYS : -ret;
}

/* The module's slots per thread (max_lists), or -errno. */
static int rf_max_lists(void)
{
	struct rf_info info;
	int ret = rfi_info(&info);

	return ret < 0 ? ret : (int)info.max_lists;
}

/* Clear slot @index: v6 stores NULL, which the exit walk skips. */
static long rf_clear_slot(unsigned int index)
{
	int ret = rfi_remove_list((int)index);

	if (ret == -ENOENT) {
		/* Unused: fine below the limit, as any v6 index is. */
		ret = rf_max_lists();
		if (ret >= 0)
			ret = index < (unsigned int)ret ? 0 : -EINVAL;
	}
	return ret < 0 ? rf_sys_err(rf_nosys(ret)) : 0;
}

RF_EXPORT long rf_set_robust_list2(void *head, unsigned int index,
				   unsigned int cmd, unsigned int flags)
{
	uintptr_t align = sizeof(uint32_t);
	int width = RF_WIDTH_32, err, ret;

	err = rf_present();
	if (err)
		return rf_sys_err(err);
	if (flags || cmd >= RF_ROBUST_LIST_CMD_USER_MAX || index > INT32_MAX)
		return rf_sys_err(EINVAL);
	if (cmd == RF_ROBUST_LIST_CMD_LIST_LIMIT) {
		ret = rf_max_lists();
		if (ret < 0)
			return rf_sys_err(rf_nosys(ret));
		/* v6 checks the index before it looks at the command. */
		return index < (unsigned int)ret ? ret : rf_sys_err(EINVAL);
	}
	if (cmd == RF_ROBUST_LIST_CMD_SET_64) {
		/* As v6: a 32-bit process has no 64-bit list. */
		if (UINTPTR_MAX == 0xffffffffu)
			return rf_sys_err(EOPNOTSUPP);
		width = RF_WIDTH_64;
		align = sizeof(uint64_t);
	}
	if ((uintptr_t)head % align)
		return rf_sys_err(EINVAL);
	/* The slot this copy's rf_mutex_* list lives in stays theirs. */
	if ((int)index == rfm_list_slot())
		return rf_sys_err(EBUSY);
	if (!head)
		return rf_clear_slot(index);
	ret = rfi_set_list((int)index, head, width, RF_PROTO_MAINLINE);
	return ret < 0 ? rf_sys_err(rf_nosys(ret)) : 0;
}

RF_EXPORT long rf_get_robust_list2(int pid, void **head_ptr,
				   unsigned int index, unsigned int flags)
{
	struct rf_list l;
	int err, ret;

	err = rf_present();
	if (err)
		return rf_sys_err(err);
	if (flags || index > INT32_MAX)
		return rf_sys_err(EINVAL);
	/* As v6, which looks the PID up: no negative TID names a thread. */
	if (pid < 0)
		return rf_sys_err(ESRCH);
	ret = rfi_get_list(pid, (int)index, &l);
	if (ret == -ENOENT) {
		/* An unused slot (or a thread with none) reads as NULL. */
		l.head = 0;
		ret = 0;
	}
	if (ret < 0)
		return rf_sys_err(rf_nosys(ret));
	*head_ptr = (void *)(uintptr_t)l.head;
	return 0;
}
