// SPDX-License-Identifier: GPL-2.0
/*
 * The device and its version ioctl: present after modprobe, extensible
 * struct rules, clean errors for bad sizes and unknown commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include "kselftest_harness.h"
#include "rf_test.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = rf_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", RF_DEVICE_PATH,
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(RF_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

TEST_F(dev, info)
{
	struct rf_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, rf_ioc(self->fd, RF_IOC_GET_INFO, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(RF_ABI_VERSION, info.abi_version);
	EXPECT_EQ(16, info.max_lists);
	EXPECT_EQ(2048, info.list_limit);
	EXPECT_LT(0, info.max_threads);
	EXPECT_EQ(0, info.max_records);	/* no records since ABI 2 */
	EXPECT_EQ(0, info.flags);
}

/* A newer caller's bigger struct works if the tail is zero. */
TEST_F(dev, info_larger_struct)
{
	struct { struct rf_info i; uint64_t future[4]; } big;

	memset(&big, 0, sizeof(big));
	big.i.size = sizeof(big);
	ASSERT_EQ(0, rf_ioc(self->fd, RF_IOC_GET_INFO, &big));
	EXPECT_EQ(sizeof(struct rf_info), big.i.size);
	EXPECT_EQ(RF_ABI_VERSION, big.i.abi_version);
	big.i.size = sizeof(big);
	big.future[3] = 1;
	EXPECT_EQ(-E2BIG, rf_ioc(self->fd, RF_IOC_GET_INFO, &big));
}

TEST_F(dev, info_bad_sizes)
{
	struct rf_info info;
	void *page;

	memset(&info, 0, sizeof(info));
	info.size = RF_INFO_SIZE_VER0 - 4;
	EXPECT_EQ(-EINVAL, rf_ioc(self->fd, RF_IOC_GET_INFO, &info));
	info.size = 0;
	EXPECT_EQ(-EINVAL, rf_ioc(self->fd, RF_IOC_GET_INFO, &info));
	info.size = 1 << 20;
	EXPECT_EQ(-E2BIG, rf_ioc(self->fd, RF_IOC_GET_INFO, &info));
	/* Inputs in output fields are refused, not ignored. */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.abi_version = 7;
	EXPECT_EQ(-EINVAL, rf_ioc(self->fd, RF_IOC_GET_INFO, &info));
	EXPECT_EQ(-EFAULT, rf_ioc(self->fd, RF_IOC_GET_INFO, NULL));
	/* A struct that runs into an unmapped page (of any page size). */
	size_t pg = sysconf(_SC_PAGESIZE);

	page = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap((char *)page + pg, pg));
	struct rf_info *edge = (void *)((char *)page + pg - 8);

	edge->size = sizeof(info);
	EXPECT_EQ(-EFAULT, rf_ioc(self->fd, RF_IOC_GET_INFO, edge));
	munmap(page, pg);
}

TEST_F(dev, unknown_commands)
{
	struct rf_info info = { .size = sizeof(info) };

	EXPECT_EQ(-ENOTTY, rf_ioc(self->fd, _IOWR(RF_IOC_MAGIC, 0x7f,
						  struct rf_info), &info));
	EXPECT_EQ(-ENOTTY, rf_ioc(self->fd, _IOWR('x', 0x00,
						  struct rf_info), &info));
	EXPECT_EQ(-ENOTTY, rf_ioc(self->fd, 0, &info));
}

TEST(params_and_counters_visible)
{
	const char *files[] = {
		"/sys/module/robustfutex/parameters/max_lists",
		"/sys/module/robustfutex/parameters/list_limit",
		"/sys/module/robustfutex/parameters/max_threads",
		"/sys/kernel/robustfutex/walks",
		"/sys/kernel/robustfutex/walks_limited",
		"/sys/kernel/robustfutex/faults",
		"/sys/kernel/robustfutex/cut_releases",
		"/sys/kernel/robustfutex/owner_wakes",
		"/sys/kernel/robustfutex/threads",
		NULL
	};
	const char **f;

	for (f = files; *f; f++)
		EXPECT_EQ(0, access(*f, R_OK)) TH_LOG("%s", *f);
	EXPECT_LE(0, rf_stat("registrations"));
}

/* Out-of-range parameter values are refused by the module. */
TEST(param_bounds)
{
	const char *p = "/sys/module/robustfutex/parameters/list_limit";
	int fd = open(p, O_WRONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "0", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, "junk", 4));
	close(fd);
}

TEST_HARNESS_MAIN
