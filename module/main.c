// SPDX-License-Identifier: GPL-2.0
/*
 * robustfutex: several typed robust lists per thread and an
 * intent-to-release protocol for robust mutexes, on stock kernels.
 *
 * This file holds the misc device, the ioctl dispatch, the module
 * parameters and the counters in /sys/kernel/robustfutex/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/compat.h>
#include <linux/stringify.h>
#include "rf.h"

#define RF_VERSION "0.1.0"

static int rf_param_set_range(const char *val, const struct kernel_param *kp,
			      unsigned int min, unsigned int max)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v < min || v > max)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

#define RF_PARAM(name, def, min, max, desc)				\
unsigned int rf_##name = def;						\
static int rf_set_##name(const char *val, const struct kernel_param *kp) \
{									\
	return rf_param_set_range(val, kp, min, max);			\
}									\
static const struct kernel_param_ops rf_ops_##name = {			\
	.set = rf_set_##name,						\
	.get = param_get_uint,						\
};									\
module_param_cb(name, &rf_ops_##name, &rf_##name, 0644);		\
MODULE_PARM_DESC(name, desc " (" __stringify(min) ".." __stringify(max) \
		 ", default " #def ")")

RF_PARAM(max_lists, 16, 1, RF_MAX_LISTS_HARD, "list slots per thread");
RF_PARAM(list_limit, 2048, 1, RF_LIST_LIMIT_HARD, "entries walked per list");
/*
 * A registration needs a live thread, or a waiter's thread holding a
 * reference, so the kernel's own thread limit (PID_MAX_LIMIT) is the real
 * bound; max_threads is a backstop far above any one container's share,
 * and every allocation is charged to the caller's memory cgroup.  Each
 * (user namespace, uid) is held to max_threads_per_user (users.c).
 */
RF_PARAM(max_threads, 4194304, 1, 4194304,
	 "registered threads, system wide (backstop)");
RF_PARAM(max_threads_per_user, 16384, 1, 4194304,
	 "registered threads per user, at each user namespace level");

DEFINE_PER_CPU(struct rf_stats, rf_counts);
const char * const rf_stat_names[RF_NR_STATS] = {
	[RF_STAT_REGISTRATIONS]		= "registrations",
	[RF_STAT_WALKS]			= "walks",
	[RF_STAT_RECOVERED]		= "entries_recovered",
	[RF_STAT_WALKS_LIMITED]		= "walks_limited",
	[RF_STAT_FAULTS]		= "faults",
	[RF_STAT_CYCLES]		= "cycles",
	[RF_STAT_WAKES]			= "wakes",
	[RF_STAT_CUT_RELEASES]		= "cut_releases",
	[RF_STAT_RECOVERIES]		= "recoveries",
	[RF_STAT_OWNER_WAKES]		= "owner_wakes",
	[RF_STAT_PRIMES]		= "mm_primes",
	[RF_STAT_KILL_WALKS]		= "kill_walks",
};

/*
 * Copy an extensible struct in: at least @min bytes, the caller's size in
 * the first u32, an unknown tail that must be zero.
 */
static int rf_copy_in(void *dst, size_t ksize, size_t min,
		      const void __user *src)
{
	u32 usize;
	int ret;

	if (get_user(usize, (const u32 __user *)src))
		return -EFAULT;
	if (usize < min)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(dst, ksize, src, usize);
	if (ret)
		return ret;
	*(u32 *)dst = usize;
	return 0;
}

/* Copy an extensible struct out, truncated to the caller's size. */
static int rf_copy_out(void __user *dst, void *src, size_t ksize)
{
	u32 usize = *(u32 *)src;
	size_t n = min_t(size_t, usize, ksize);

	*(u32 *)src = n;
	if (copy_to_user(dst, src, n))
		return -EFAULT;
	return 0;
}

static long rf_ioctl_info(void __user *uarg)
{
	struct rf_info info;
	int ret;

	memset(&info, 0, sizeof(info));
	ret = rf_copy_in(&info, sizeof(info), RF_INFO_SIZE_VER0, uarg);
	if (ret)
		return ret;
	/* Every field is an output; the input must not carry data. */
	if (memchr_inv((u8 *)&info + sizeof(info.size), 0,
		       sizeof(info) - sizeof(info.size)))
		return -EINVAL;
	info.abi_version = RF_ABI_VERSION;
	info.max_lists = READ_ONCE(rf_max_lists);
	info.list_limit = READ_ONCE(rf_list_limit);
	info.max_threads = READ_ONCE(rf_max_threads);
	/* max_records stays 0: since ABI 2 recovery keeps no records. */
	info.nr_threads = rf_nr_threads();
	return rf_copy_out(uarg, &info, sizeof(info));
}

#define RF_CALL(type, min, fn, uarg)					\
({									\
	type __a;							\
	long __r = rf_copy_in(&__a, sizeof(__a), min, uarg);		\
	if (!__r)							\
		__r = fn(&__a);						\
	if (__r >= 0 && rf_copy_out(uarg, &__a, sizeof(__a)))		\
		__r = -EFAULT;						\
	__r;								\
})

static long rf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/* The struct's own size field is authoritative, not _IOC_SIZE(cmd). */
	if (_IOC_TYPE(cmd) != RF_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(RF_IOC_GET_INFO):
		return rf_ioctl_info(uarg);
	case _IOC_NR(RF_IOC_SET_LIST):
		return RF_CALL(struct rf_list, RF_LIST_SIZE_VER0,
			       rf_ioctl_set_list, uarg);
	case _IOC_NR(RF_IOC_GET_LIST):
		return RF_CALL(struct rf_list, RF_LIST_SIZE_VER0,
			       rf_ioctl_get_list, uarg);
	case _IOC_NR(RF_IOC_REMOVE_LIST):
		return RF_CALL(struct rf_list, RF_LIST_SIZE_VER0,
			       rf_ioctl_remove_list, uarg);
	case _IOC_NR(RF_IOC_WAIT):
		return RF_CALL(struct rf_wait, RF_WAIT_SIZE_VER0,
			       rf_ioctl_wait, uarg);
	case _IOC_NR(RF_IOC_WAKE):
		return RF_CALL(struct rf_wake, RF_WAKE_SIZE_VER0,
			       rf_ioctl_wake, uarg);
	case _IOC_NR(RF_IOC_GET_OWNER):
		return RF_CALL(struct rf_owner, RF_OWNER_SIZE_VER0,
			       rf_ioctl_get_owner, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations rf_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= rf_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice rf_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "robustfutex",
	.fops	= &rf_fops,
	.mode	= 0666,
};

/* /sys/kernel/robustfutex/<counter>: one read-only value per file. */
static ssize_t rf_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	u64 sum = 0;
	int i, cpu;

	for (i = 0; i < RF_NR_STATS; i++) {
		if (strcmp(attr->attr.name, rf_stat_names[i]))
			continue;
		for_each_possible_cpu(cpu)
			sum += READ_ONCE(per_cpu(rf_counts, cpu).n[i]);
		return sysfs_emit(buf, "%llu\n", sum);
	}
	return -ENOENT;
}

static ssize_t rf_threads_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", rf_nr_threads());
}

static ssize_t rf_users_kshow(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return rf_users_show(buf);
}

static struct kobj_attribute rf_stat_attrs[RF_NR_STATS];
static struct kobj_attribute rf_threads_attr = __ATTR(threads, 0444,
						      rf_threads_show, NULL);
/* Who uses the module is the administrator's business only. */
static struct kobj_attribute rf_users_attr = __ATTR(users, 0400,
						    rf_users_kshow, NULL);
static struct attribute *rf_attrs[RF_NR_STATS + 3];
static const struct attribute_group rf_attr_group = { .attrs = rf_attrs };
static struct kobject *rf_kobj;

static int rf_sysfs_init(void)
{
	int i, ret;

	for (i = 0; i < RF_NR_STATS; i++) {
		sysfs_attr_init(&rf_stat_attrs[i].attr);
		rf_stat_attrs[i].attr.name = rf_stat_names[i];
		rf_stat_attrs[i].attr.mode = 0444;
		rf_stat_attrs[i].show = rf_stat_show;
		rf_attrs[i] = &rf_stat_attrs[i].attr;
	}
	rf_attrs[RF_NR_STATS] = &rf_threads_attr.attr;
	rf_attrs[RF_NR_STATS + 1] = &rf_users_attr.attr;
	rf_kobj = kobject_create_and_add("robustfutex", kernel_kobj);
	if (!rf_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(rf_kobj, &rf_attr_group);
	if (ret)
		kobject_put(rf_kobj);
	return ret;
}

static int __init rf_init(void)
{
	int ret;

	ret = rf_wait_init();
	if (ret)
		return ret;
	ret = rf_mm_init();
	if (ret)
		goto out_wait;
	ret = rf_sysfs_init();
	if (ret)
		goto out_mm;
	ret = rf_registry_init();
	if (ret)
		goto out_sysfs;
	ret = misc_register(&rf_misc);
	if (ret)
		goto out_registry;
	pr_info("version %s loaded (abi %d)\n", RF_VERSION, RF_ABI_VERSION);
	return 0;

out_registry:
	rf_registry_exit();
out_sysfs:
	kobject_put(rf_kobj);
out_mm:
	rf_mm_exit();
out_wait:
	rf_wait_exit();
	return ret;
}

/*
 * Registered threads and open files hold module references, so by the time
 * this runs no thread is registered and no ioctl is in flight (a prime
 * queued by a thread killed since may still run: rf_mm_exit() waits).
 */
static void __exit rf_exit(void)
{
	misc_deregister(&rf_misc);
	rf_registry_exit();
	kobject_put(rf_kobj);
	rf_mm_exit();
	rf_wait_exit();
}

module_init(rf_init);
module_exit(rf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Robust futex lists, typed and several per thread, with an intent-to-release protocol");
MODULE_AUTHOR("The robustfutex developers");
MODULE_VERSION(RF_VERSION);
