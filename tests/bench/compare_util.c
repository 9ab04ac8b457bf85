// SPDX-License-Identifier: GPL-2.0
/*
 * compare: the helpers every scenario uses: the JSON line of a case, the
 * module's parameters and counters, the three mutexes behind one
 * interface, and children that die where they are told.
 */
#include "compare.h"
#include "sysfs.h"

const char sysfs_param[] = "/sys/module/robustfutex/parameters/";
const char sysfs_stat[] = "/sys/kernel/robustfutex/";

const char *const impl_name[NR_IMPLS] = { "mainline", "rf", "ml72" };

/* --only: the implementations whose cases run. */
bool want[NR_IMPLS] = { true, true, true };

/* ---- small helpers ---- */

void die(const char *what, int err)
{
	fprintf(stderr, "compare: %s: %s\n", what, strerror(err));
	exit(1);
}

void progress(const char *what)
{
	fprintf(stderr, "# compare: %s\n", what);
}

/* One JSON object per line (json.h), flushed before anything forks. */
void case_begin(const char *scenario, const char *impl, const char *variant)
{
	json_begin();
	json_str("scenario", scenario);
	json_str("impl", impl);
	json_str("variant", variant);
}

void json_ms(const char *k, double v)
{
	json_num(k, "%.3f", v);
}

/* "0", "EOWNERDEAD", "-EINVAL": a return code as the caller saw it. */
const char *code_name(int r)
{
	static char buf[32];
	const char *name = strerrorname_np(r < 0 ? -r : r);

	if (!r)
		return "0";
	snprintf(buf, sizeof(buf), "%s%s", r < 0 ? "-" : "",
		 name ? name : "?");
	return buf;
}

long read_long(const char *dir, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return sysfs_read_long(path);
}

void set_param(const char *name, long v)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "%s%s", sysfs_param, name);
	ret = sysfs_write_long(path, v);
	if (ret)
		die(path, -ret);
}

/*
 * Shared anonymous memory; @low: below 4 GiB, for 32-bit lists.  x86 has
 * MAP_32BIT; elsewhere (arm64) a hint below 4 GiB, MAP_FIXED_NOREPLACE,
 * moved on until a free range takes it.
 */
void *map_shared(size_t len, bool low)
{
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED | MAP_ANONYMOUS;
	void *p = MAP_FAILED;

#ifdef MAP_32BIT
	p = mmap(NULL, len, prot, flags | (low ? MAP_32BIT : 0), -1, 0);
#else
	for (uintptr_t at = 0x10000000; low && at + len <= 0x100000000ull;
	     at += 0x100000) {
		p = mmap((void *)at, len, prot, flags | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p != MAP_FAILED || errno != EEXIST)
			break;
	}
	if (!low)
		p = mmap(NULL, len, prot, flags, -1, 0);
#endif
	if (p == MAP_FAILED)
		die("mmap", errno);
	memset(p, 0, len);
	return p;
}

bool wait_done(sem_t *sem, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_clockwait(sem, CLOCK_MONOTONIC, &ts))
		if (errno != EINTR)
			return false;
	return true;
}

/* ---- the three mutexes ---- */

/*
 * Whether @impl's case runs: not if --only left it out; for ml72, not on
 * a kernel without 7.2's release, and then the case's line says so.
 */
bool runs(const char *scenario, enum impl impl, const char *variant)
{
	if (!want[impl])
		return false;
	if (impl == ML72 && !ml72_available()) {
		case_begin(scenario, "ml72", variant);
		json_str("na", ml72_why_not());
		json_end();
		return false;
	}
	return true;
}

/* A case that does not apply to @impl, and why. */
void not_applicable(const char *scenario, enum impl impl,
		    const char *variant, const char *why)
{
	if (!want[impl])
		return;
	case_begin(scenario, impl_name[impl], variant);
	json_str("na", why);
	json_end();
}

/* A pshared robust mutex of any kind at @m. */
void mutex_init(void *m, enum impl impl)
{
	int r;

	if (impl == ML72) {
		r = ml72_init(m);
	} else if (impl == RF) {
		rf_mutexattr_t a;

		rf_mutexattr_init(&a);
		rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
		r = rf_mutex_init(m, &a);
	} else {
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		r = pthread_mutex_init(m, &a);
	}
	if (r)
		die("mutex init", r);
}

int mutex_lock(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_lock(m);
	case ML72:	return ml72_lock(m);
	default:	return pthread_mutex_lock(m);
	}
}

int mutex_trylock(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_trylock(m);
	case ML72:	return ml72_trylock(m);
	default:	return pthread_mutex_trylock(m);
	}
}

int mutex_unlock(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_unlock(m);
	case ML72:	return ml72_unlock(m);
	default:	return pthread_mutex_unlock(m);
	}
}

int mutex_consistent(void *m, enum impl impl)
{
	switch (impl) {
	case RF:	return rf_mutex_consistent(m);
	case ML72:	return ml72_consistent(m);
	default:	return pthread_mutex_consistent(m);
	}
}

size_t mutex_size(enum impl impl)
{
	switch (impl) {
	case RF:	return sizeof(rf_mutex_t);
	case ML72:	return sizeof(ml72_mutex_t);
	default:	return sizeof(pthread_mutex_t);
	}
}

/*
 * The calling thread's list head, in mainline's layout for all: glibc's
 * (from get_robust_list; glibc registers it for every thread, also in a
 * fork child), ml72's (registered by the thread's first ml72 lock, in
 * place of glibc's) or this library's (from the module; registered by
 * the thread's first rf_mutex_lock).
 */
struct robust_list_head *list_head(enum impl impl)
{
	if (impl == ML72)
		return ml72_head();
	if (impl == MAINLINE) {
		struct robust_list_head *h = NULL;
		size_t len;

		if (syscall(SYS_get_robust_list, 0, &h, &len))
			return NULL;
		return h;
	} else {
		struct rf_list_desc d;
		struct rf_info info;

		if (rf_info(&info))
			return NULL;
		for (unsigned int i = 0; i < info.max_lists; i++)
			if (!rf_list_get(0, i, &d) &&
			    d.protocol == RF_PROTO_INTENT &&
			    d.width == sizeof(void *) * 8)
				return (void *)(uintptr_t)d.head;
		return NULL;
	}
}

/* ---- children that die where they are told ---- */

/*
 * As spawn_then() (spawn.c), the child the first process (PID 1) of a new
 * PID namespace.
 * Returns -1 (and the errno in *@res) if there can be none.
 */
pid_t spawn_pidns(int (*setup)(void *), void (*then)(void *), void *arg,
		  int *res)
{
	int fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0 || unshare(CLONE_NEWPID)) {
		*res = errno;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pid = spawn_then(setup, then, arg, res);
	/* Children to come are ours again. */
	if (setns(fd, CLONE_NEWPID))
		die("setns back to our PID namespace", errno);
	close(fd);
	return pid;
}

/* SIGKILL @pid and reap it; returns the milliseconds that took. */
double kill_reap(pid_t pid)
{
	uint64_t t0 = now_ns();
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ms_since(t0);
}
