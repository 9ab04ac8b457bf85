/* SPDX-License-Identifier: GPL-2.0 */
/* The calling thread's intent-protocol list, as librobustfutex keeps it. */
#ifndef RF_HEAD_H
#define RF_HEAD_H

#include <stdint.h>
#include <robustfutex.h>

/*
 * Where rf_mutex_t's list node sits (documented layout: after the kind,
 * which is at glibc's __kind): 24 bytes in on 64-bit, 16 on 32-bit.
 */
#define RF_NODE_OFFSET	((long)(sizeof(void *) == 8 ? 24 : 16))

struct head_view {		/* mainline's robust_list_head */
	void *next;
	long futex_offset;
	void *pending;
};

/* The library's native-width intent list of this thread, or NULL. */
static inline struct head_view *my_intent_head(void)
{
	struct rf_list_desc d;
	int i;

	for (i = 0; i < 16; i++)
		if (!rf_list_get(0, i, &d) && d.protocol == RF_PROTO_INTENT &&
		    d.width == sizeof(void *) * 8)
			return (struct head_view *)(uintptr_t)d.head;
	return NULL;
}

#endif
