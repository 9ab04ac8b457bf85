// SPDX-License-Identifier: GPL-2.0
/*
 * rfbench exitrate, exitcost and forkreg: what exits cost.  exitrate:
 * fork+exit+waitpid of processes that never register, module loaded or
 * not; exitcost: kill -> waitpid of a process holding N locks; forkreg:
 * fork+exit+waitpid of a process that registers, with 0 and N idle
 * processes on the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "../kselftest/rf_test.h"

#include "rfbench.h"
#include "spawn.h"
#include "sysfs.h"

/* ---- exitrate: processes that never register ---- */

void bench_exitrate(void)
{
	long n = iters_or(1500, 400);
	double rate[MAX_RUNS];
	int r, status;

	int cpu = -1;

	if (opt.pin) {
		cpu_set_t set;

		/* Parent and children on one CPU: no cross-CPU wakeups. */
		cpu = sched_getcpu();
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity", errno);
	}
	progress("exitrate (module %s): %d runs of %ld forks",
		 module_loaded() ? "loaded" : "unloaded", opt.runs, n);
	for (long i = 0; i < n / 10; i++) {	/* warm-up */
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		waitpid(pid, &status, 0);
	}
	for (r = 0; r < opt.runs; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid < 0)
				die("fork", errno);
			if (pid == 0)
				_exit(0);
			waitpid(pid, &status, 0);
		}
		rate[r] = n * 1e9 / (now_ns() - t0);
	}
	json_begin();
	json_str("bench", "exitrate");
	json_str("module", module_loaded() ? "loaded" : "unloaded");
	json_int("forks", n);
	json_int("pinned_cpu", cpu);
	json_str("clock", opt.clock);
	json_runs("per_s", rate, opt.runs);
	json_end();
}

/* ---- exitcost: kill -> waitpid of a process holding N locks ---- */

static const char list_limit_path[] =
	"/sys/module/robustfutex/parameters/list_limit";

struct exitcost_child {
	void *base;
	enum impl impl;
	long n;
};

static int exitcost_lock(void *p)
{
	struct exitcost_child *c = p;

	return lock_array(c->base, c->impl, c->n) ? -EIO : 0;
}

/* One kill of a child holding @n locks of @impl at @base: ms. */
static double exitcost_once(void *base, enum impl impl, long n,
			    long *recovered)
{
	struct exitcost_child c = { base, impl, n };
	long long before = rf_stat("threads");
	double ms;
	pid_t pid;
	int res;

	init_array(base, impl, n);
	pid = spawn(exitcost_lock, &c, &res);
	if (res)
		die("exitcost: child could not lock", EIO);
	ms = kill_timed(pid, before);
	*recovered = count_owner_died(base, impl, n);
	return ms;
}

/*
 * rf up to 100,000 locks, glibc robust up to 2048 (mainline's walk
 * stops there).  After a warm-up kill of each, the runs at each count
 * alternate between the two, as the other benches' do: the first
 * kills after boot pay for code and pages met for the first time.
 */
void bench_exitcost(void)
{
	static const enum impl impls[] = { IMPL_RF, IMPL_GLIBC_ROBUST };
	enum { NI = 2, RF = 1, GLIBC = 2 };
	static const struct {
		long n;
		int who;	/* RF, GLIBC: which of impls[] run it */
	} counts[] = {
		{ 1, RF | GLIBC }, { 10, RF | GLIBC }, { 100, RF | GLIBC },
		{ 1000, RF | GLIBC }, { 2048, GLIBC }, { 10000, RF },
		{ 100000, RF },
	};
	long max_n = opt.iters ? opt.iters : 100000;
	long old_limit = sysfs_read_long(list_limit_path);
	double ms[NI][MAX_RUNS];
	long recovered[NI];
	void *base[NI];
	unsigned int j;
	int i, r;

	if (old_limit < 0)
		die("exitcost: module parameter list_limit", ENOENT);
	if (sysfs_write_long(list_limit_path, max_n > old_limit ? max_n : old_limit))
		die("exitcost: raise list_limit", EPERM);
	for (i = 0; i < NI; i++) {	/* warm-up */
		base[i] = map_shared(mutex_size(impls[i]));
		exitcost_once(base[i], impls[i], 1, &recovered[i]);
		munmap(base[i], mutex_size(impls[i]));
	}
	for (j = 0; j < sizeof(counts) / sizeof(counts[0]) &&
		    counts[j].n <= max_n; j++) {
		long n = counts[j].n;
		bool run[NI];

		for (i = 0; i < NI; i++) {
			run[i] = counts[j].who & (1 << i);
			if (run[i])
				base[i] = map_shared(n * mutex_size(impls[i]));
		}
		progress("exitcost: holding %ld, %d runs, alternating",
			 n, opt.runs);
		for (r = 0; r < opt.runs; r++)
			for (i = 0; i < NI; i++)
				if (run[i])
					ms[i][r] = exitcost_once(base[i], impls[i],
								 n, &recovered[i]);
		for (i = 0; i < NI; i++) {
			if (!run[i])
				continue;
			json_begin();
			json_str("bench", "exitcost");
			json_str("impl", impl_names[impls[i]]);
			json_int("locks", n);
			json_int("recovered", recovered[i]);
			json_str("clock", opt.clock);
			if (impls[i] == IMPL_RF)
				json_int("list_limit",
					 sysfs_read_long(list_limit_path));
			json_runs("ms", ms[i], opt.runs);
			json_end();
			munmap(base[i], n * mutex_size(impls[i]));
		}
	}
	sysfs_write_long(list_limit_path, old_limit);
}

/* ---- forkreg: fork+exit+waitpid of a registering process ---- */

/*
 * Idle processes: children of a holder process (not ours, so that none
 * is a child or sibling of the measured processes), each asleep in
 * pause().  The holder kills and reaps them when its pipe closes.
 */
struct idle_set {
	pid_t holder;
	int wfd;
};

static void idle_start(struct idle_set *is, int n)
{
	int ctl[2], rdy[2];
	char c;

	if (pipe(ctl) || pipe(rdy))
		die("pipe", errno);
	is->holder = fork();
	if (is->holder < 0)
		die("fork", errno);
	if (is->holder == 0) {
		pid_t *kids = calloc(n, sizeof(*kids));
		int k, made = 0;

		close(ctl[1]);
		close(rdy[0]);
		for (k = 0; kids && k < n; k++) {
			kids[k] = fork();
			if (kids[k] < 0)
				break;
			if (kids[k] == 0) {
				close(ctl[0]);
				close(rdy[1]);
				for (;;)
					pause();
			}
			made++;
		}
		c = made == n ? 'r' : 'e';
		if (write(rdy[1], &c, 1) != 1)
			c = 'e';
		close(rdy[1]);
		while (read(ctl[0], &c, 1) > 0)
			;
		for (k = 0; k < made; k++)
			kill(kids[k], SIGKILL);
		for (k = 0; k < made; k++)
			waitpid(kids[k], NULL, 0);
		_exit(0);
	}
	close(ctl[0]);
	close(rdy[1]);
	if (read(rdy[0], &c, 1) != 1 || c != 'r')
		die("forkreg: could not start the idle processes", EAGAIN);
	close(rdy[0]);
	is->wfd = ctl[1];
}

static void idle_stop(struct idle_set *is)
{
	close(is->wfd);
	waitpid(is->holder, NULL, 0);
}

/* "none": the child locks nothing (never registers); reference only. */
enum { FR_RF, FR_GLIBC_ROBUST, FR_NONE, NR_FR };
static const char *const fr_names[NR_FR] = { "rf", "glibc-robust", "none" };

/* One run: us per fork+exit+waitpid, @n of them. */
static double forkreg_run(int i, struct bm *m, long n)
{
	long long before = rf_stat("threads");
	uint64_t t0 = now_ns();
	double us;
	int status;

	for (long k = 0; k < n; k++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork", errno);
		if (pid == 0) {
			/* rf: the first lock registers this (new) thread. */
			if (i != FR_NONE && (bm_lock(m) || bm_unlock(m)))
				_exit(1);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || status)
			die("forkreg: child failed", EIO);
	}
	us = (now_ns() - t0) / 1e3 / n;
	/* The batches that ran during the loop were its; the last is not. */
	settle_kill(before);
	return us;
}

void bench_forkreg(void)
{
	static struct bm m[NR_FR] __attribute__((aligned(64)));
	long n = iters_or(600, 200);
	int nidle = opt.idle ? opt.idle : 2000;
	int rounds = opt.quick ? 1 : 2, idle, i, r, round;
	double us[2][NR_FR][MAX_RUNS];
	int nr[2] = { 0, 0 };
	long long reg0, reg1;
	static const enum impl bimpl[NR_FR] = { IMPL_RF, IMPL_GLIBC_ROBUST,
						IMPL_GLIBC_NORMAL };

	for (i = 0; i < NR_FR; i++)
		if (bm_init(&m[i], bimpl[i], false))
			die("forkreg: init", ENODEV);
	/* Warm-up, and proof that rf's children register. */
	reg0 = rf_stat("registrations");
	forkreg_run(FR_RF, &m[FR_RF], 20);
	reg1 = rf_stat("registrations");
	for (i = 0; i < NR_FR; i++)
		forkreg_run(i, &m[i], 10);
	/* 0 idle, N idle (, 0, N): drift hits both alike. */
	for (round = 0; round < rounds; round++) {
		for (idle = 0; idle < 2; idle++) {
			struct idle_set is;
			int runs = opt.runs / rounds ?: 1;

			if (idle) {
				progress("forkreg: starting %d idle processes", nidle);
				idle_start(&is, nidle);
			}
			progress("forkreg: %d idle, %d runs of %ld forks each",
				 idle ? nidle : 0, runs, n);
			for (r = 0; r < runs; r++, nr[idle]++)
				for (i = 0; i < NR_FR; i++)
					us[idle][i][nr[idle]] =
						forkreg_run(i, &m[i], n);
			if (idle)
				idle_stop(&is);
		}
	}
	for (idle = 0; idle < 2; idle++) {
		for (i = 0; i < NR_FR; i++) {
			json_begin();
			json_str("bench", "forkreg");
			json_str("impl", fr_names[i]);
			json_int("idle", idle ? nidle : 0);
			json_int("forks", n);
			if (i == FR_RF)
				json_int("registrations_per_child",
					 reg0 < 0 ? -1 : (reg1 - reg0) / 20);
			json_str("clock", opt.clock);
			json_runs("us", us[idle][i], nr[idle]);
			json_end();
		}
	}
}
