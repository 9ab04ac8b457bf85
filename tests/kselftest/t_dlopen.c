// SPDX-License-Identifier: GPL-2.0
/*
 * Two copies of librobustfutex in one process (as when a plugin brings its
 * own): each dlopen'ed RTLD_LOCAL, each must take its own list slot, and
 * a thread that dies holding a mutex of each gets both recovered.  This
 * program links no copy itself; it loads librobustfutex.so from build/lib
 * (or build/lib32) and the renamed copy the Makefile puts beside it.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include <robustfutex.h>

struct copy {
	void *dl;
	int (*init)(rf_mutex_t *, const rf_mutexattr_t *);
	int (*attr_init)(rf_mutexattr_t *);
	int (*attr_pshared)(rf_mutexattr_t *, int);
	int (*lock)(rf_mutex_t *);
	int (*unlock)(rf_mutex_t *);
	int (*list_get)(pid_t, int, struct rf_list_desc *);
};

static int load(struct copy *c, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

	if (n < 0)
		return -1;
	dir[n] = 0;
	/* build/tests/t_dlopen -> build/lib, build/tests32 -> build/lib32 */
	snprintf(path, sizeof(path), "%s/../%s/%s", dirname(dir),
		 sizeof(void *) == 8 ? "lib" : "lib32", name);
	c->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!c->dl)
		return -1;
	c->init = dlsym(c->dl, "rf_mutex_init");
	c->attr_init = dlsym(c->dl, "rf_mutexattr_init");
	c->attr_pshared = dlsym(c->dl, "rf_mutexattr_setpshared");
	c->lock = dlsym(c->dl, "rf_mutex_lock");
	c->unlock = dlsym(c->dl, "rf_mutex_unlock");
	c->list_get = dlsym(c->dl, "rf_list_get");
	return c->init && c->lock && c->unlock && c->list_get &&
	       c->attr_init && c->attr_pshared ? 0 : -1;
}

static void shared_init(struct copy *c, rf_mutex_t *m)
{
	rf_mutexattr_t a;

	c->attr_init(&a);
	c->attr_pshared(&a, RF_PROCESS_SHARED);
	c->init(m, &a);
}

TEST(two_copies_two_slots)
{
	struct copy a, b;
	rf_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct rf_list_desc d0, d1;
	int status;
	pid_t pid;

	ASSERT_EQ(0, load(&a, "librobustfutex.so")) TH_LOG("%s", dlerror());
	ASSERT_EQ(0, load(&b, "librobustfutex-copy.so")) TH_LOG("%s", dlerror());
	ASSERT_NE(a.lock, b.lock);
	ASSERT_NE(MAP_FAILED, m);
	shared_init(&a, &m[0]);
	shared_init(&b, &m[1]);

	/* One thread, both copies: two slots, two different heads. */
	ASSERT_EQ(0, a.lock(&m[0]));
	ASSERT_EQ(0, b.lock(&m[1]));
	ASSERT_EQ(0, a.list_get(0, 0, &d0));
	ASSERT_EQ(0, b.list_get(0, 1, &d1));
	EXPECT_NE(d0.head, d1.head);
	EXPECT_EQ(RF_PROTO_INTENT, d0.protocol);
	EXPECT_EQ(RF_PROTO_INTENT, d1.protocol);
	EXPECT_EQ(0, b.unlock(&m[1]));
	EXPECT_EQ(0, a.unlock(&m[0]));

	/* A process dies holding one mutex of each copy: both recovered. */
	pid = fork();
	if (pid == 0) {
		if (a.lock(&m[0]) || b.lock(&m[1]))
			_exit(2);
		raise(SIGKILL);
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(EOWNERDEAD, a.lock(&m[0]));
	EXPECT_EQ(EOWNERDEAD, b.lock(&m[1]));
}

TEST_HARNESS_MAIN
