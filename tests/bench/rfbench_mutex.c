// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench: the four mutexes behind one interface (struct bm), the label
 * checks that keep a run from being mislabelled, and what several benches
 * share: arrays of bare mutexes, the "n/a" line, which implementations run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../kselftest/rf_test.h"
#include "rf_internal.h"
#include "rfbench.h"

/* Why @i cannot run here: ml72 on a kernel without 7.2's release. */
const char *na_reason(enum impl i)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "n/a: %s", i == IMPL_ML72 && ml72_why_not() ?
		 ml72_why_not() : "module required");
	return buf;
}

/*
 * Initialise a bare mutex of kind @impl at @m (robust: rf, glibc-robust,
 * ml72; ml72's futex operations are always shared-keyed).
 */
int mutex_init(void *m, enum impl impl, bool pshared)
{
	if (impl == IMPL_ML72)
		return ml72_init(m);
	if (impl == IMPL_RF) {
		rf_mutexattr_t a;
		int r;

		rf_mutexattr_init(&a);
		rf_mutexattr_setpshared(&a, pshared ? RF_PROCESS_SHARED :
						      RF_PROCESS_PRIVATE);
		rf_mutexattr_setrobust(&a, RF_MUTEX_ROBUST);
		r = rf_mutex_init(m, &a);
		rf_mutexattr_destroy(&a);
		return r;
	} else {
		pthread_mutexattr_t a;
		int r;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, pshared ?
					     PTHREAD_PROCESS_SHARED :
					     PTHREAD_PROCESS_PRIVATE);
		if (impl == IMPL_GLIBC_ROBUST)
			pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		r = pthread_mutex_init(m, &a);
		pthread_mutexattr_destroy(&a);
		return r;
	}
}

/* The label of @i in the results: its name, or --as for --only's. */
const char *impl_name(enum impl i)
{
	return opt.as && i == opt.only ? opt.as : impl_names[i];
}

/*
 * Under LD_PRELOAD=librobustfutex-pthread.so, pthread_mutex_init with a
 * robust attribute makes the preload's mutex (its mark in glibc's __kind):
 * then its results are the preload's, and must say so.
 */
static bool preload_made(struct bm *b)
{
	return (b->impl == IMPL_GLIBC_ROBUST || b->impl == IMPL_GLIBC_NORMAL) &&
	       rfk_marked((uint32_t)b->pt.__data.__kind);
}

static void check_label(struct bm *b)
{
	bool as_preload = opt.as && !strcmp(opt.as, "preload");

	if (b->impl == IMPL_RF || b->impl != opt.only)
		as_preload = false;
	if (preload_made(b) && !as_preload)
		die("a pthread mutex is the preload's (LD_PRELOAD): "
		    "run with --only glibc-robust --as preload", EINVAL);
	if (as_preload && !preload_made(b))
		die("--as preload, but pthread_mutex_init made glibc's mutex "
		    "(no LD_PRELOAD=librobustfutex-pthread.so?)", EINVAL);
}

int bm_init(struct bm *b, enum impl impl, bool pshared)
{
	int err;

	b->impl = impl;
	err = mutex_init(b, impl, pshared);
	if (!err)
		check_label(b);
	return err;
}

bool module_loaded(void)
{
	return access("/sys/module/robustfutex", F_OK) == 0;
}

/*
 * After a timed kill, whichever implementation's: what it left for later
 * must not land in the next, which may be the other implementation's.
 * rf leaves its registrations to its mm's worker, a tick or so after the
 * exit (docs/exit-walk.md): wait until their count is back to @before.
 * Both leave task_structs and more to RCU: wait for a grace period
 * (MEMBARRIER_CMD_GLOBAL).  Then spin for 5 ms, for both: under QEMU TCG
 * a kill that follows idle CPUs is much slower, and far noisier, than
 * one that follows a busy loop (measured on 6.12: after a 10 ms sleep,
 * 1.7-1.9 ms against 0.7-1.1 for a 1-lock child, whichever the
 * implementation).  The 2 s bound only catches a leak; the bench goes on.
 *
 * Not for recovery: its window (kill -> EOWNERDEAD, half a millisecond)
 * ends long before rf's worker runs, and after this busy wait the waiter,
 * which rf wakes while the sender may still hold the other vCPU, is
 * often queued behind its dying owner (docs/results.md).
 */
void settle_kill(long long before)
{
	uint64_t t0 = now_ns();
	long long now;

	while ((now = rf_stat("threads")) >= 0 && now > before) {
		if (now_ns() - t0 > 2000000000) {
			progress("registrations still above %lld after 2 s",
				 before);
			break;
		}
	}
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	t0 = now_ns();
	while (now_ns() - t0 < 5000000)
		;
}

/*
 * SIGKILL @pid and reap it: ms from the kill to waitpid()'s return.  Then
 * settle_kill(@before), untimed.
 */
double kill_timed(pid_t pid, long long before)
{
	uint64_t t0 = now_ns();
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	t0 = now_ns() - t0;
	settle_kill(before);
	return t0 / 1e6;
}

void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap", errno);
	return p;
}

size_t mutex_size(enum impl i)
{
	return i == IMPL_RF ? sizeof(rf_mutex_t) : sizeof(pthread_mutex_t);
}

/* Arrays of bare mutexes, @n of kind @i at @base. */
void *mutex_at(void *base, enum impl i, long k)
{
	return (char *)base + k * mutex_size(i);
}

void init_array(void *base, enum impl i, long n)
{
	for (long k = 0; k < n; k++)
		if (mutex_init(mutex_at(base, i, k), i, true))
			die("exitcost: init", ENODEV);
}

int lock_array(void *base, enum impl i, long n)
{
	for (long k = 0; k < n; k++) {
		int r = mutex_lock(mutex_at(base, i, k), i);

		if (r)
			return r;
	}
	return 0;
}

long count_owner_died(void *base, enum impl i, long n)
{
	long c = 0;

	for (long k = 0; k < n; k++)
		c += !!(word_of(mutex_at(base, i, k)) & RF_FUTEX_OWNER_DIED);
	return c;
}

/* A bench @i cannot run here (ml72 without 7.2's release): say so. */
void emit_na(const char *bench, enum impl i, const char *unit, int n)
{
	json_begin();
	json_str("bench", bench);
	json_str("impl", impl_name(i));
	if (unit)
		json_int(unit, n);
	json_str("note", na_reason(i));
	json_end();
}

/*
 * Which implementations a throughput bench runs: the selected ones that
 * can (ml72 may not; the others must).
 */
void runnable(bool *ok, int (*init)(enum impl, void *), void *arg,
	      const char *what)
{
	for (int i = 0; i < NR_IMPLS; i++) {
		ok[i] = false;
		if (!selected(i))
			continue;
		if (init(i, arg)) {
			if (i == IMPL_ML72)
				continue;
			die(what, ENODEV);
		}
		ok[i] = true;
	}
}
