// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user accounting of what a user can make the module hold: registered
 * threads (each with its slots and owner ID).  A user is the caller's real
 * uid as a kuid in the initial user namespace; in any other user namespace
 * it is the owner of the outermost one (who created the container): the
 * subordinate ids mapped into a container do not multiply its creator's
 * share.  Each user is held to
 * max_threads_per_user and to half of max_threads, which stays as a
 * system-wide memory backstop that no single user can fill.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/hashtable.h>
#include <linux/cred.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include "rf.h"

struct rf_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int threads;		/* under rf_users_lock */
};

static DEFINE_HASHTABLE(rf_users, 6);
static DEFINE_SPINLOCK(rf_users_lock);

static struct rf_user *rf_user_find(kuid_t uid)
{
	struct rf_user *u;

	hash_for_each_possible(rf_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

static kuid_t rf_charged_uid(void)
{
	const struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return current_uid();
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns->owner;
}

/* Charge one registration to the caller's user, or -ENOSPC / -ENOMEM. */
struct rf_user *rf_user_charge(void)
{
	kuid_t uid = rf_charged_uid();
	struct rf_user *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	spin_lock(&rf_users_lock);
	u = rf_user_find(uid);
	if (!u) {
		if (!fresh) {
			spin_unlock(&rf_users_lock);
			return ERR_PTR(-ENOMEM);
		}
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(rf_users, &u->node, __kuid_val(uid));
	}
	/*
	 * However the two are set, one user never holds more than half the
	 * system-wide backstop.  A fresh entry passes: both are at least 1.
	 */
	if (u->threads >= min(READ_ONCE(rf_max_threads_per_user),
			      max(READ_ONCE(rf_max_threads) / 2, 1U)))
		u = ERR_PTR(-ENOSPC);
	else
		u->threads++;
	spin_unlock(&rf_users_lock);
	kfree(fresh);
	return u;
}

/* Process context or under a spinlock; never from an interrupt. */
void rf_user_uncharge(struct rf_user *u)
{
	spin_lock(&rf_users_lock);
	if (!--u->threads) {
		hash_del(&u->node);
		kfree(u);
	}
	spin_unlock(&rf_users_lock);
}

/* /sys/kernel/robustfutex/users: "<uid> <threads>" per user, init ns. */
ssize_t rf_users_show(char *buf)
{
	struct rf_user *u;
	ssize_t n = 0;
	int bkt;

	spin_lock(&rf_users_lock);
	hash_for_each(rf_users, bkt, u, node) {
		n += sysfs_emit_at(buf, n, "%u %u\n",
				   from_kuid_munged(&init_user_ns, u->uid),
				   u->threads);
		if (n >= PAGE_SIZE - 32)
			break;
	}
	spin_unlock(&rf_users_lock);
	return n;
}
