// SPDX-License-Identifier: GPL-2.0
/*
 * compare: the unlock race (glibc bug 14485), memory reused after a
 * completed unlock while list_op_pending still names it, on a 64-bit list
 * and on a 32-bit one (an emulator's guest); for ml72, the release
 * single-stepped and killed at every instruction.
 */
#include "compare.h"

/* ---- 1. unlock race (glibc bug 14485) ---- */

#define REGION		256
#define MUTEX_AT	64

struct race {
	unsigned char region[REGION] __attribute__((aligned(64)));
	enum impl impl;
	uint32_t extra;		/* bits or'ed to the TID left in the word */
};

/*
 * Lock and unlock completely; then die before clearing list_op_pending,
 * after the memory has been reused: new contents, and where the futex
 * word was, a value holding this thread's TID.
 */
static int race_child(void *arg)
{
	struct race *r = arg;
	void *m = r->region + MUTEX_AT;
	struct robust_list_head *h;
	int err;

	mutex_init(m, r->impl);
	err = mutex_lock(m, r->impl) ?: mutex_unlock(m, r->impl);
	if (err)
		return err;
	h = list_head(r->impl);
	if (!h)
		return ENOENT;
	h->list_op_pending = node_of(h, m);
	if (r->impl == RF)
		h->list_op_pending = (void *)((uintptr_t)h->list_op_pending |
					      RF_PENDING_UNLOCK);
	memset(r->region, 0xa5, REGION);
	/* The dead thread's owner value: an owner ID for rf, a TID for glibc. */
	store32(m, (r->impl == RF ? (uint32_t)rf_owner_id() : (uint32_t)gettid()) |
		   r->extra);
	return 0;
}

static void unlock_race(enum impl impl, const char *variant, uint32_t extra)
{
	struct race *r = map_shared(sizeof(*r), false);
	unsigned char before[REGION];
	int res, changed = 0, i;
	double ms;
	pid_t pid;

	if (!runs("unlock_race", impl, variant)) {
		munmap(r, sizeof(*r));
		return;
	}
	r->impl = impl;
	r->extra = extra;
	pid = spawn(race_child, r, &res);
	memcpy(before, r->region, REGION);
	ms = kill_reap(pid);
	for (i = 0; i < REGION; i++)
		changed += before[i] != r->region[i];
	case_begin("unlock_race", impl_name[impl], variant);
	json_str("setup", code_name(res));
	json_int("region_bytes", REGION);
	json_int("bytes_changed", changed);
	json_hex32("word_before", load32(before + MUTEX_AT));
	json_hex32("word_after", load32(r->region + MUTEX_AT));
	json_ms("exit_ms", ms);
	json_end();
	munmap(r, sizeof(*r));
}

/*
 * ml72: the state above cannot be made by editing memory, since the
 * kernel (or the vDSO) clears list_op_pending together with the release.
 * So the child really unlocks, traced: the parent single-steps it from
 * just before the unlock, and at every instruction boundary from the one
 * where the word first reads released to the return, a fresh child is
 * stopped there, the memory reused, the child SIGKILLed.  A single-step
 * trap is an entry from user mode like an interrupt: it is where 7.2's
 * kernel finds a thread inside the vDSO's window and clears
 * list_op_pending for it, as it would for a signal that kills it there.
 */
struct stepped {
	unsigned char region[REGION] __attribute__((aligned(64)));
	volatile int unlocked;		/* the child returned from its unlock */
	int setup;
	uint32_t extra;			/* bits or'ed to the word before unlocking */
	int (*prepare)(struct stepped *s);	/* lock: 0 or an error */
	int (*unlock)(struct stepped *s);
	void *ctx;
};

static void stepped_child(struct stepped *s)
{
	s->setup = s->prepare(s);
	if (!s->setup && s->extra)
		__atomic_fetch_or((uint32_t *)(s->region + MUTEX_AT), s->extra,
				  __ATOMIC_SEQ_CST);
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	if (!s->setup)
		s->unlock(s);
	s->unlocked = 1;
	for (;;)
		pause();
}

/*
 * A traced child stopped just before its unlock; -1 if it did not stop.
 * (A child whose setup failed skips the unlock and would sleep in
 * pause(), where single-stepping never returns: callers check s->setup.)
 */
static pid_t stepped_start(struct stepped *s)
{
	int st;
	pid_t pid;

	s->unlocked = 0;
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0)
		stepped_child(s);
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		waitpid(pid, &st, WNOHANG);
		return -1;
	}
	return pid;
}

static bool step1(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
		return false;
	return waitpid(pid, &st, 0) == pid && WIFSTOPPED(st);
}

struct stepped_result {
	int setup;
	long release_step, stops;	/* first released step; stops tested */
	int max_changed;
	uint32_t held, word_after;	/* of the stop that changed the most */
	double exit_ms;
};

static void stepped_sweep(struct stepped *s, struct stepped_result *res)
{
	uint32_t *word = (uint32_t *)(s->region + MUTEX_AT);
	long k, last = -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->release_step = -1;
	/* A dry run: where the release is, where the unlock returns. */
	pid = stepped_start(s);
	if (pid < 0) {
		res->setup = -ECHILD;
		return;
	}
	res->setup = s->setup;
	res->held = load32(word);
	if (res->setup) {
		kill_reap(pid);
		return;
	}
	for (k = 1; k <= 100000 && !s->unlocked; k++) {
		if (!step1(pid))
			break;
		if (res->release_step < 0 && !(load32(word) & FUTEX_TID_MASK))
			res->release_step = k;
		last = k;
	}
	kill_reap(pid);
	if (res->setup || res->release_step < 0 || !s->unlocked)
		return;
	/* Every stop from the release to the return, in a fresh child. */
	for (k = res->release_step; k <= last; k++) {
		unsigned char before[REGION];
		uint32_t held;
		int changed = 0;
		double ms;

		pid = stepped_start(s);
		if (pid < 0)
			die("stepped child", ECHILD);
		if (s->setup) {		/* it would not unlock: stop here */
			res->setup = s->setup;
			kill_reap(pid);
			return;
		}
		held = load32(word);
		for (long i = 0; i < k; i++)
			if (!step1(pid))
				die("single-step", errno ?: EIO);
		memset(s->region, 0xa5, REGION);
		store32(word, held);
		memcpy(before, s->region, REGION);
		ms = kill_reap(pid);
		for (int i = 0; i < REGION; i++)
			changed += before[i] != s->region[i];
		if (!res->stops || changed > res->max_changed) {
			res->max_changed = changed;
			res->held = held;
			res->word_after = load32(word);
			res->exit_ms = ms;
		}
		res->stops++;
	}
}

static void stepped_report(const char *scenario, const char *variant,
			   const char *how, struct stepped_result *r)
{
	case_begin(scenario, "ml72", variant);
	json_str("setup", r->setup == -ECHILD ? "-ECHILD" : code_name(r->setup));
	json_str("how", how);
	json_int("region_bytes", REGION);
	json_int("stops", r->stops);
	json_int("release_step", r->release_step);
	json_int("bytes_changed", r->max_changed);
	json_hex32("word_before", r->held);
	json_hex32("word_after", r->word_after);
	json_ms("exit_ms", r->exit_ms);
	json_end();
}

static int ml72_race_prepare(struct stepped *s)
{
	ml72_mutex_t *m = (void *)(s->region + MUTEX_AT);

	return ml72_init(m) ?: ml72_lock(m);
}

static int ml72_race_unlock(struct stepped *s)
{
	return ml72_unlock((void *)(s->region + MUTEX_AT));
}

static void unlock_race_ml72(const char *variant, uint32_t extra)
{
	struct stepped *s;
	struct stepped_result r;

	if (!runs("unlock_race", ML72, variant))
		return;
	s = map_shared(sizeof(*s), false);
	s->extra = extra;
	s->prepare = ml72_race_prepare;
	s->unlock = ml72_race_unlock;
	stepped_sweep(s, &r);
	stepped_report("unlock_race", variant,
		       extra & WAITERS ? "ml72_unlock: futex(FUTEX_WAKE|FUTEX_ROBUST_UNLOCK)" :
					 "ml72_unlock: __vdso_futex_robust_list64_try_unlock",
		       &r);
	munmap(s, sizeof(*s));
}

/* ---- 6. bug 14485 on a 32-bit list (an emulator's guest) ---- */

/*
 * A 64-bit process with a guest's 32-bit list, one lock held.  Mainline
 * and rf: the guest's own unlock (as a 32-bit glibc does it: pending,
 * dequeue, release) cut short after the release, the memory reused (as
 * in 1).  The list is registered through x86's int 0x80 compat entry
 * (mainline, ml72) or in a 32-bit rf slot, mainline protocol (what an
 * emulator registers for a guest's glibc).  ml72: the release is 7.2's,
 * __vdso_futex_robust_list32_try_unlock or FUTEX_ROBUST_LIST32, stepped
 * as above.  All of it below 4 GiB.
 */
struct race32 {
	struct stepped s;		/* the lock entry: MUTEX_AT - 4 */
	struct ml72_head32 head;	/* the guest thread's: not reused */
	enum impl impl;
};

#define LOCK32(r)	((struct ml72_lock32 *)((r)->s.region + MUTEX_AT - 4))

static int race32_register(struct race32 *r)
{
	int ret;

	if (r->impl != RF)
		return -ml72_list32_register(&r->head);
	r->head.next = (uint32_t)(uintptr_t)&r->head;
	r->head.futex_offset = 4;
	r->head.pending = 0;
	ret = rf_list_register(&r->head, RF_WIDTH_32, RF_PROTO_MAINLINE);
	return ret < 0 ? -ret : 0;
}

static int race32_child(void *arg)
{
	struct race32 *r = arg;
	struct ml72_lock32 *l = LOCK32(r);
	uint32_t tid = gettid();
	int err = race32_register(r);

	if (err)
		return err;
	/* Held: on the list. */
	store32(&l->word, tid | r->s.extra);
	l->next = r->head.next;
	r->head.next = (uint32_t)(uintptr_t)l;
	/* The guest's unlock, up to the release. */
	r->head.pending = (uint32_t)(uintptr_t)l;
	r->head.next = (uint32_t)(uintptr_t)&r->head;
	store32(&l->word, 0);
	/* Reused. */
	memset(r->s.region, 0xa5, REGION);
	store32(&l->word, tid | r->s.extra);
	return 0;
}

static int race32_prepare(struct stepped *s)
{
	struct race32 *r = s->ctx;

	memset(LOCK32(r), 0, sizeof(*LOCK32(r)));	/* a fresh lock */
	return race32_register(r) ?: ml72_lock32(&r->head, LOCK32(r));
}

static int race32_unlock(struct stepped *s)
{
	struct race32 *r = s->ctx;

	return ml72_unlock32(&r->head, LOCK32(r));
}

static void list32_race(enum impl impl, const char *variant, uint32_t extra)
{
	static const char *const how[] = {
		[MAINLINE] = "int 0x80 set_robust_list(head32); the guest's unlock "
			     "(release, then clear list_op_pending) cut short between",
		[RF] = "rf_list_register(head32, RF_WIDTH_32, RF_PROTO_MAINLINE); "
		       "the guest's unlock cut short between",
	};
	struct race32 *r;
	int res, changed = 0;
	unsigned char before[REGION];
	double ms;
	pid_t pid;

	if (impl == ML72 && want[ML72] && !ml72_list32_available()) {
		not_applicable("list32_race", impl, variant, ml72_list32_why_not());
		return;
	}
	if (impl == MAINLINE && !HAS_COMPAT_ROBUST_LIST) {
		not_applicable("list32_race", impl, variant, NO_COMPAT_ROBUST_LIST);
		return;
	}
	if (!runs("list32_race", impl, variant))
		return;
	r = map_shared(sizeof(*r), true);
	if ((uintptr_t)r >> 32)
		die("MAP_32BIT", ENOMEM);
	r->impl = impl;
	r->s.extra = extra;
	if (impl == ML72) {
		struct stepped_result sr;

		r->s.prepare = race32_prepare;
		r->s.unlock = race32_unlock;
		r->s.ctx = r;
		stepped_sweep(&r->s, &sr);
		stepped_report("list32_race", variant,
			       extra & WAITERS ?
			       "int 0x80 set_robust_list(head32); "
			       "futex(FUTEX_WAKE|FUTEX_ROBUST_UNLOCK|FUTEX_ROBUST_LIST32)" :
			       "int 0x80 set_robust_list(head32); "
			       "__vdso_futex_robust_list32_try_unlock", &sr);
		munmap(r, sizeof(*r));
		return;
	}
	pid = spawn(race32_child, r, &res);
	memcpy(before, r->s.region, REGION);
	ms = kill_reap(pid);
	for (int i = 0; i < REGION; i++)
		changed += before[i] != r->s.region[i];
	case_begin("list32_race", impl_name[impl], variant);
	json_str("setup", code_name(res));
	json_str("how", how[impl]);
	json_int("region_bytes", REGION);
	json_int("bytes_changed", changed);
	json_hex32("word_before", load32(before + MUTEX_AT));
	json_hex32("word_after", load32(r->s.region + MUTEX_AT));
	json_ms("exit_ms", ms);
	json_end();
	munmap(r, sizeof(*r));
}

void run_unlock_race(void)
{
	progress("unlock race (bug 14485): reused memory after a completed unlock");
	unlock_race(MAINLINE, "word=tid", 0);
	unlock_race(MAINLINE, "word=tid|waiters", WAITERS);
	unlock_race(RF, "word=tid", 0);
	unlock_race(RF, "word=tid|waiters", WAITERS);
	unlock_race(RF, "word=tid|releasing", RF_RELEASING);
	progress("unlock race, ml72: killed at each instruction after the release");
	unlock_race_ml72("word=tid", 0);
	unlock_race_ml72("word=tid|waiters", WAITERS);
}

void run_list32_race(void)
{
	progress("unlock race on a 32-bit list (an emulator's guest)");
	for (int i = 0; i < 2; i++) {
		const char *v = i ? "word=tid|waiters" : "word=tid";
		uint32_t extra = i ? WAITERS : 0;

		list32_race(MAINLINE, v, extra);
		list32_race(RF, v, extra);
		list32_race(ML72, v, extra);
	}
}
