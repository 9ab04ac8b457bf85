// SPDX-License-Identifier: GPL-2.0
/*
 * compare: a 32-bit list registered by a 64-bit process, and two lists in
 * one thread (an emulator and its guest).
 */
#include "compare.h"

/* ---- 4. a 32-bit list, and two lists in one thread ---- */

/* Mainline's list layout at both widths, each with one lock held. */
struct head64 {
	uint64_t next;
	int64_t futex_offset;
	uint64_t pending;
};

struct lock64 {
	uint64_t next;
	uint32_t word;
	uint32_t pad;
};

struct head32 {
	uint32_t next;
	int32_t futex_offset;
	uint32_t pending;
};

struct lock32 {
	uint32_t next;
	uint32_t word;
};

struct lists {			/* in memory below 4 GiB (MAP_32BIT) */
	struct head64 ha, hb;
	struct lock64 la, lb;
	struct head32 h32;
	struct lock32 l32;
	const char *how;	/* registration calls, for the record */
	int ret[2];		/* what they returned */
};

static void hold64(struct head64 *h, struct lock64 *l, uint32_t tid)
{
	h->next = (uintptr_t)l;
	h->futex_offset = 8;
	h->pending = 0;
	l->next = (uintptr_t)h;
	l->word = tid;
}

static void hold32(struct head32 *h, struct lock32 *l, uint32_t tid)
{
	h->next = (uint32_t)(uintptr_t)l;
	h->futex_offset = 4;
	h->pending = 0;
	l->next = (uint32_t)(uintptr_t)h;
	l->word = tid;
}

static long sys_set_robust_list(void *head, size_t len)
{
	return syscall(SYS_set_robust_list, head, len) ? -errno : 0;
}

/*
 * The 32-bit (compat) set_robust_list, entered from this 64-bit process
 * through int $0x80: it sets the task's compat_robust_list, which the
 * kernel walks at exit beside the native one.  x86-64 only: arm64 has no
 * such entry for a 64-bit process, which is the emulator's case.
 */
static long compat_set_robust_list(void *head, uint32_t len)
{
#ifdef __x86_64__
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a" (ret)
			 : "a" (311L),	/* __NR_set_robust_list, i386 */
			   "b" ((long)(uint32_t)(uintptr_t)head), "c" ((long)len)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
#else
	return -ENOSYS;
#endif
}

enum lists_case {
	L32_MAINLINE,		/* set_robust_list(head32, 12) */
	L32_COMPAT,		/* int 0x80 set_robust_list(head32, 12) */
	L32_RF,			/* rf_list_register(head32, 32, MAINLINE) */
	L2_MAINLINE,		/* set_robust_list(a); set_robust_list(b) */
	L2_COMPAT,		/* set_robust_list(a); int 0x80 (head32) */
	L2_RF,			/* rf_list_register(a, 64); (b, 64) */
	L2_RF32,		/* rf_list_register(a, 64); (head32, 32) */
};

static const struct {
	const char *scenario, *how;
	enum impl impl;
	int held;		/* locks held: 1 (list32) or 2 */
} lists_cases[] = {
	[L32_MAINLINE]	= { "list32", "set_robust_list(head32, 12)",
			    MAINLINE, 1 },
	[L32_COMPAT]	= { "list32", "int 0x80 compat set_robust_list(head32, 12) (x86 only)",
			    MAINLINE, 1 },
	[L32_RF]	= { "list32", "rf_list_register(head32, RF_WIDTH_32)",
			    RF, 1 },
	[L2_MAINLINE]	= { "two_lists", "set_robust_list(a, 24); set_robust_list(b, 24)",
			    MAINLINE, 2 },
	[L2_COMPAT]	= { "two_lists", "set_robust_list(a, 24); int 0x80 set_robust_list(b32, 12) (x86 only)",
			    MAINLINE, 2 },
	[L2_RF]		= { "two_lists", "rf_list_register(a, 64); rf_list_register(b, 64)",
			    RF, 2 },
	[L2_RF32]	= { "two_lists", "rf_list_register(a, 64); rf_list_register(b32, 32)",
			    RF, 2 },
};

struct lists_arg {
	struct lists *l;
	enum lists_case c;
};

static int lists_child(void *arg)
{
	struct lists_arg *a = arg;
	struct lists *l = a->l;
	uint32_t tid = gettid();

	hold64(&l->ha, &l->la, tid);
	hold64(&l->hb, &l->lb, tid);
	hold32(&l->h32, &l->l32, tid);
	switch (a->c) {
	case L32_MAINLINE:
		l->ret[0] = sys_set_robust_list(&l->h32, sizeof(l->h32));
		break;
	case L32_COMPAT:
		l->ret[0] = compat_set_robust_list(&l->h32, sizeof(l->h32));
		break;
	case L32_RF:
		l->ret[0] = rf_list_register(&l->h32, RF_WIDTH_32,
					     RF_PROTO_MAINLINE);
		break;
	case L2_MAINLINE:
		l->ret[0] = sys_set_robust_list(&l->ha, sizeof(l->ha));
		l->ret[1] = sys_set_robust_list(&l->hb, sizeof(l->hb));
		break;
	case L2_COMPAT:
		l->ret[0] = sys_set_robust_list(&l->ha, sizeof(l->ha));
		l->ret[1] = compat_set_robust_list(&l->h32, sizeof(l->h32));
		break;
	case L2_RF:
		l->ret[0] = rf_list_register(&l->ha, RF_WIDTH_64,
					     RF_PROTO_MAINLINE);
		l->ret[1] = rf_list_register(&l->hb, RF_WIDTH_64,
					     RF_PROTO_MAINLINE);
		break;
	case L2_RF32:
		l->ret[0] = rf_list_register(&l->ha, RF_WIDTH_64,
					     RF_PROTO_MAINLINE);
		l->ret[1] = rf_list_register(&l->h32, RF_WIDTH_32,
					     RF_PROTO_MAINLINE);
		break;
	}
	return 0;
}

/* rf_list_register() returns a slot index, set_robust_list() 0. */
static const char *reg_name(enum lists_case c, int ret)
{
	static char buf[2][32];
	static int k;

	k ^= 1;
	if (lists_cases[c].impl == RF && ret >= 0)
		snprintf(buf[k], sizeof(buf[k]), "slot %d", ret);
	else
		snprintf(buf[k], sizeof(buf[k]), "%s", code_name(ret));
	return buf[k];
}

static void lists(enum lists_case c)
{
	struct lists *l;
	struct lists_arg a = { NULL, c };
	int res, recovered;
	char rets[64];
	double ms;
	pid_t pid;

	if (!want[lists_cases[c].impl])
		return;
	if (!HAS_COMPAT_ROBUST_LIST && (c == L32_COMPAT || c == L2_COMPAT)) {
		not_applicable(lists_cases[c].scenario, MAINLINE,
			       lists_cases[c].how, NO_COMPAT_ROBUST_LIST);
		return;
	}
	a.l = l = map_shared(sizeof(*l), true);
	if ((uintptr_t)l >> 32)
		die("MAP_32BIT", ENOMEM);
	pid = spawn(lists_child, &a, &res);
	ms = kill_reap(pid);
	if (lists_cases[c].held == 1) {		/* list32 */
		recovered = !!(l->l32.word & OD);
		snprintf(rets, sizeof(rets), "%s", reg_name(c, l->ret[0]));
	} else {
		uint32_t second = c == L2_COMPAT || c == L2_RF32 ?
				  l->l32.word : l->lb.word;

		recovered = !!(l->la.word & OD) + !!(second & OD);
		snprintf(rets, sizeof(rets), "%s, ", reg_name(c, l->ret[0]));
		snprintf(rets + strlen(rets), sizeof(rets) - strlen(rets),
			 "%s", reg_name(c, l->ret[1]));
	}
	case_begin(lists_cases[c].scenario, impl_name[lists_cases[c].impl],
		   lists_cases[c].how);
	json_str("setup", code_name(res));
	json_str("register_returned", rets);
	json_int("held", lists_cases[c].held);
	json_int("recovered", recovered);
	json_ms("exit_ms", ms);
	json_end();
	munmap(l, sizeof(*l));
}

void run_lists(void)
{
	progress("32-bit list in a 64-bit process; two lists in one thread");
	for (int c = L32_MAINLINE; c <= L2_RF32; c++)
		lists(c);
	/* 7.2 registers nothing new: its column is the mainline one. */
	static const struct {
		const char *scenario;
		enum lists_case c;
		const char *why;
	} same[] = {
		{ "list32", L32_MAINLINE,
		  "7.2 adds no way to register a 32-bit list: set_robust_list() "
		  "takes the native head only (mainline column)" },
		{ "list32", L32_COMPAT,
		  "unchanged in 7.2 (mainline column): x86's compat entry; "
		  "arm64 has none for a 64-bit process" },
		{ "two_lists", L2_MAINLINE,
		  "unchanged in 7.2: one list per width and thread (mainline column)" },
		{ "two_lists", L2_COMPAT,
		  "unchanged in 7.2: a native and a compat list, x86 only "
		  "(mainline column)" },
	};
	for (unsigned int i = 0; i < sizeof(same) / sizeof(*same); i++)
		if (runs(same[i].scenario, ML72, lists_cases[same[i].c].how))
			not_applicable(same[i].scenario, ML72,
				       lists_cases[same[i].c].how, same[i].why);
}
