// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user accounting of what a user can make the module hold: registered
 * threads (each with its slots and owner ID), after the kernel's ucounts.
 *
 * A registration is charged at every level of its thread's user-namespace
 * chain: to (its own user namespace, its real uid), then to (the parent
 * namespace, the owner of the child namespace), and so on up to the
 * initial namespace.  Each (namespace, uid) pair holds at most
 * max_threads_per_user registrations, and never more than half of
 * max_threads (a system-wide backstop no single user can fill); a charge
 * that would pass either at any level fails with ENOSPC and charges
 * nothing.  So an unprivileged user's namespaces, however many and however
 * deep, all draw on that user's one share at the initial level, while the
 * containers root creates each get their own per-user shares: root in the
 * initial namespace is not held to a per-user count (RLIMIT_NPROC does not
 * hold it either), only to max_threads and its memory cgroup.
 * docs/budget.md says why.
 *
 * An entry lives while its count is not zero, and holds a reference on its
 * namespace, so that the pointer it is keyed by is never another
 * namespace's.  A child entry's count is part of its parent's, so a parent
 * outlives its children.  Entries are allocated (memcg charged) with
 * rf_users_lock dropped, and freed, and their namespaces put, after it is
 * released.  Counts rise only under the lock, and reach zero only under
 * it; an uncharge that leaves a count above zero takes no lock (a kill of
 * a process of many threads uncharges each, at once).
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
	struct user_namespace *ns;	/* referenced while the entry lives */
	struct rf_user *parent;		/* the level above; NULL at the top */
	kuid_t uid;
	atomic_t threads;		/* see above */
};

static DEFINE_HASHTABLE(rf_users, 8);
static DEFINE_SPINLOCK(rf_users_lock);

static unsigned long rf_user_key(const struct user_namespace *ns, kuid_t uid)
{
	return (unsigned long)ns ^ __kuid_val(uid);
}

static struct rf_user *rf_user_find(const struct user_namespace *ns,
				    kuid_t uid)
{
	struct rf_user *u;

	hash_for_each_possible(rf_users, u, node, rf_user_key(ns, uid))
		if (u->ns == ns && uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* Root in the initial namespace, as copy_process() exempts INIT_USER. */
static bool rf_user_exempt(const struct user_namespace *ns, kuid_t uid)
{
	return ns == &init_user_ns && uid_eq(uid, GLOBAL_ROOT_UID);
}

/*
 * From one level of a chain to the next: the namespace's parent and its
 * owner, or NULL past the initial namespace.  A chain starts at the
 * caller's own namespace and real uid; the caller's cred pins that
 * namespace, and each namespace its parent.
 */
static void rf_level_up(struct user_namespace **ns, kuid_t *uid)
{
	*uid = (*ns)->owner;
	*ns = *ns == &init_user_ns ? NULL : (*ns)->parent;
}

/*
 * Charge one registration to the caller's user at each level of its
 * namespace chain, or -ENOSPC / -ENOMEM and nothing charged.  Returns the
 * leaf entry, for rf_user_uncharge().  Process context; may sleep.
 */
struct rf_user *rf_user_charge(void)
{
	const struct cred *cred = current_cred();
	unsigned int limit = min(READ_ONCE(rf_max_threads_per_user),
				 max(READ_ONCE(rf_max_threads) / 2, 1U));
	struct rf_user *u, *child = NULL, *leaf = NULL;
	unsigned int need, have = 0;
	bool made, child_made = false;
	struct user_namespace *ns;
	struct hlist_node *tmp;
	HLIST_HEAD(fresh);
	kuid_t uid;

	for (;;) {
		/* Refuse before changing anything; count the missing levels. */
		need = 0;
		spin_lock(&rf_users_lock);
		for (ns = cred->user_ns, uid = cred->uid; ns;
		     rf_level_up(&ns, &uid)) {
			u = rf_user_find(ns, uid);
			if (!u) {
				need++;
			} else if (atomic_read(&u->threads) >= limit &&
				   !rf_user_exempt(ns, uid)) {
				leaf = ERR_PTR(-ENOSPC);
				goto out_unlock;
			}
		}
		if (need <= have)
			break;
		/* A missing level: allocate without the lock, and look again. */
		spin_unlock(&rf_users_lock);
		while (have < need) {
			u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
			if (!u) {
				leaf = ERR_PTR(-ENOMEM);
				goto out_free;
			}
			hlist_add_head(&u->node, &fresh);
			have++;
		}
	}
	for (ns = cred->user_ns, uid = cred->uid; ns;
	     rf_level_up(&ns, &uid)) {
		u = rf_user_find(ns, uid);
		made = !u;
		if (made) {
			u = hlist_entry(fresh.first, struct rf_user, node);
			hlist_del(&u->node);
			u->ns = get_user_ns(ns);
			u->uid = uid;
			hash_add(rf_users, &u->node, rf_user_key(ns, uid));
		}
		/* An entry's parent never changes: set once, when made. */
		if (child_made)
			child->parent = u;
		child_made = made;
		atomic_inc(&u->threads);
		if (!leaf)
			leaf = u;
		child = u;
	}
out_unlock:
	spin_unlock(&rf_users_lock);
out_free:
	hlist_for_each_entry_safe(u, tmp, &fresh, node)
		kfree(u);
	return leaf;
}

/*
 * Uncharge one registration at every level, leaf first: a level's count
 * still holds this charge while the one below is dropped, so the parent
 * read before is alive.  Process context, possibly under another spinlock
 * (a wait-queue bucket's): it never sleeps, as put_user_ns() only
 * schedules the namespace's freeing (it is called from RCU callbacks too),
 * and takes no lock that an interrupt takes.
 */
void rf_user_uncharge(struct rf_user *u)
{
	struct rf_user *up;

	for (; u; u = up) {
		up = u->parent;
		if (!atomic_dec_and_lock(&u->threads, &rf_users_lock))
			continue;
		hash_del(&u->node);
		spin_unlock(&rf_users_lock);
		put_user_ns(u->ns);
		kfree(u);
	}
}

/*
 * /sys/kernel/robustfutex/users: "<uid> <threads> <userns inode>" per
 * (namespace, user), the uid as the initial namespace sees it.  ns.inum is
 * in struct ns_common on every kernel the module supports.
 */
ssize_t rf_users_show(char *buf)
{
	struct rf_user *u;
	ssize_t n = 0;
	int bkt;

	spin_lock(&rf_users_lock);
	hash_for_each(rf_users, bkt, u, node) {
		n += sysfs_emit_at(buf, n, "%u %u %u\n",
				   from_kuid_munged(&init_user_ns, u->uid),
				   atomic_read(&u->threads), u->ns->ns.inum);
		if (n >= PAGE_SIZE - 48)
			break;
	}
	spin_unlock(&rf_users_lock);
	return n;
}
