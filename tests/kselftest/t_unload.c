// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod racing the exit of the last registered thread, in a loop: the
 * module may go only once nothing runs its text, and it must go (not stay
 * busy forever).  This program never opens the device itself, and loads
 * the module again when it is done.  "Not forever" is RF_HANG_MS a round,
 * a bound only a hang reaches (rf_test.h); 4 s for all 20 rounds on 6.12
 * under TCG.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "rf_test.h"
#include <robustfutex.h>

#define ROUNDS	20

static int loaded(void)
{
	return !access("/sys/module/robustfutex", F_OK);
}

TEST(rmmod_races_last_exit)
{
	volatile int *ready = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i, status, unloaded = 0;

	ASSERT_NE(MAP_FAILED, ready);
	ASSERT_TRUE(loaded());
	for (i = 0; i < ROUNDS; i++) {
		long long t0;
		pid_t pid;

		*ready = 0;
		pid = fork();
		if (pid == 0) {
			rf_mutex_t m = RF_MUTEX_INITIALIZER;

			if (rf_mutex_lock(&m))
				_exit(1);
			*ready = 1;
			for (;;)
				pause();
		}
		ASSERT_LT(0, pid);
		while (!*ready && waitpid(pid, &status, WNOHANG) == 0)
			;
		ASSERT_EQ(1, *ready);
		kill(pid, SIGKILL);
		/* Unload as soon as it lets us, while the child dies. */
		t0 = rf_now_ms();
		while (syscall(SYS_delete_module, "robustfutex", O_NONBLOCK)) {
			ASSERT_TRUE(errno == EBUSY || errno == EAGAIN ||
				    errno == EWOULDBLOCK) TH_LOG("%s", strerror(errno));
			ASSERT_GT(RF_HANG_MS, rf_now_ms() - t0)
				TH_LOG("round %d: still busy after %d s", i,
				       RF_HANG_MS / 1000);
		}
		unloaded++;
		waitpid(pid, &status, 0);
		ASSERT_EQ(0, system("modprobe robustfutex"));
		ASSERT_TRUE(loaded());
	}
	EXPECT_EQ(ROUNDS, unloaded);
}

TEST_HARNESS_MAIN
