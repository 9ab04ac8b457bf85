// SPDX-License-Identifier: GPL-2.0
/*
 * The library across fork(), _Fork(), a raw clone() and a clone(CLONE_VM)
 * child without CLONE_FILES.  A child must never lock with its parent's
 * owner ID (a recursive mutex of the parent's would "succeed" in it, and
 * the parent's death would let waiters take the child's locks), and an
 * inherited descriptor number that now names another file must not
 * receive the library's ioctls.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>

struct shm {
	rf_mutex_t rec;		/* recursive, held by the parent */
	rf_mutex_t fresh;	/* for the child */
	uint32_t parent_owner;
	uint32_t child_owner, child_word;
	int trylock_rec, lock_fresh, unlock_rec;
};

static struct shm *shm_setup(struct __test_metadata *_metadata)
{
	struct shm *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rf_mutexattr_t a;

	if (s == MAP_FAILED)
		return NULL;
	rf_mutexattr_init(&a);
	rf_mutexattr_setpshared(&a, RF_PROCESS_SHARED);
	rf_mutexattr_settype(&a, RF_MUTEX_RECURSIVE);
	EXPECT_EQ(0, rf_mutex_init(&s->rec, &a));
	rf_mutexattr_settype(&a, RF_MUTEX_NORMAL);
	EXPECT_EQ(0, rf_mutex_init(&s->fresh, &a));
	EXPECT_EQ(0, rf_mutex_lock(&s->rec));
	s->parent_owner = rf_mutex_word(&s->rec) & RF_OWNER_MASK;
	return s;
}

/* What the child does, whichever way it was made. */
static int child_body(struct shm *s)
{
	s->unlock_rec = rf_mutex_unlock(&s->rec);
	s->trylock_rec = rf_mutex_trylock(&s->rec);
	s->lock_fresh = rf_mutex_lock(&s->fresh);
	s->child_word = rf_mutex_word(&s->fresh);
	s->child_owner = rf_owner_id();
	if (!s->lock_fresh)
		rf_mutex_unlock(&s->fresh);
	return 0;
}

static void check_child(struct __test_metadata *_metadata, struct shm *s,
			const char *how)
{
	EXPECT_EQ(EPERM, s->unlock_rec) TH_LOG("%s: unlocked the parent's", how);
	EXPECT_EQ(EBUSY, s->trylock_rec) TH_LOG("%s: took the parent's", how);
	EXPECT_EQ(0, s->lock_fresh) TH_LOG("%s", how);
	EXPECT_NE(s->parent_owner, s->child_word & RF_OWNER_MASK)
		TH_LOG("%s: locked with the parent's owner ID", how);
	EXPECT_EQ(s->child_owner, s->child_word & RF_OWNER_MASK) TH_LOG("%s", how);
	/* The parent's own state is untouched. */
	EXPECT_EQ(s->parent_owner, rf_mutex_word(&s->rec) & RF_OWNER_MASK);
	EXPECT_EQ(0, rf_mutex_trylock(&s->rec));	/* recursive: count 2 */
	EXPECT_EQ(0, rf_mutex_unlock(&s->rec));
}

static void wait_ok(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, __WALL));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(fork_child)
{
	struct shm *s = shm_setup(_metadata);
	pid_t pid;

	ASSERT_NE(NULL, s);
	pid = fork();
	if (pid == 0)
		_exit(child_body(s));
	wait_ok(_metadata, pid);
	check_child(_metadata, s, "fork");
}

/* _Fork() runs no atfork handlers (async-signal-safe fork). */
extern pid_t _Fork(void);

TEST(underscore_fork_child)
{
	struct shm *s = shm_setup(_metadata);
	pid_t pid;

	ASSERT_NE(NULL, s);
	pid = _Fork();
	if (pid == 0)
		_exit(child_body(s));
	wait_ok(_metadata, pid);
	check_child(_metadata, s, "_Fork");
}

TEST(raw_clone_child)
{
	struct shm *s = shm_setup(_metadata);
	long pid;

	ASSERT_NE(NULL, s);
	pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(child_body(s));
	ASSERT_LT(0, pid);
	wait_ok(_metadata, pid);
	check_child(_metadata, s, "raw clone");
}

/* The descriptor number the library holds on the device. */
static int library_fd(void)
{
	char path[300], target[64];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int fd = -1;
	ssize_t n;

	while (dir && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (!strcmp(target, RF_DEVICE_PATH))
				fd = atoi(d->d_name);
		}
	}
	if (dir)
		closedir(dir);
	return fd;
}

struct vm_child {
	int fd;			/* the library's number */
	uint32_t word;
	int wake_before, wake_after, null_fd;
};

/*
 * A clone(CLONE_VM) child without CLONE_FILES: same memory (the library's
 * cached descriptor number), its own descriptor table.  It puts /dev/null
 * at that number; the library must notice and open the device again.
 */
static int vm_child_fn(void *p)
{
	struct vm_child *c = p;
	int nul = open("/dev/null", O_RDWR);

	c->wake_before = rf_futex_wake(&c->word, 1, 0);
	if (nul < 0 || dup2(nul, c->fd) != c->fd)
		return 1;
	c->null_fd = c->fd;
	c->wake_after = rf_futex_wake(&c->word, 1, 0);
	return 0;
}

TEST(clone_vm_without_files_reused_number)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct vm_child c = { .wake_before = 1, .wake_after = 1 };
	pid_t pid;

	ASSERT_EQ(0, rf_futex_wake(&c.word, 1, 0));	/* opens the device */
	c.fd = library_fd();
	ASSERT_LE(0, c.fd);
	pid = clone(vm_child_fn, stack + sizeof(stack), CLONE_VM | SIGCHLD, &c);
	ASSERT_LT(0, pid);
	wait_ok(_metadata, pid);
	EXPECT_EQ(0, c.wake_before);
	EXPECT_EQ(0, c.wake_after) TH_LOG("ioctl went to /dev/null: %d",
					 c.wake_after);
	/* The parent's table still has the device at the old number, and
	 * the library finds its way back whatever number it holds now. */
	EXPECT_EQ(0, rf_futex_wake(&c.word, 1, 0));
	EXPECT_EQ(0, rf_futex_wake(&c.word, 1, 0));
}

TEST_HARNESS_MAIN
