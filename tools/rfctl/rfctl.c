// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rfctl: load, unload and inspect the robustfutex module through libkmod.
 *
 *   rfctl [-v] status                  state, ABI, limits, params, counters,
 *                                      registrations per user (root)
 *   rfctl [-v] load [param=value ...]  modprobe it, or set params if loaded
 *   rfctl [-v] unload                  remove it unless it is in use
 *
 * Exit status: 0 success, 1 failure (module in use, value rejected, ...),
 * 2 usage, 3 not loaded, 4 module not installed, 5 not privileged.
 *
 * Build: cc -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iuapi -Ilib \
 *		-o rfctl tools/rfctl/rfctl.c $(pkg-config --cflags --libs libkmod)
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <libkmod.h>
#include <robustfutex/ioctl.h>

#define MODNAME		"robustfutex"
#define SYS_MODULE	"/sys/module/" MODNAME
#define SYS_PARAMS	SYS_MODULE "/parameters"
#define SYS_COUNTERS	"/sys/kernel/" MODNAME
/* The initial user namespace's inode number (PROC_USER_INIT_INO). */
#define RF_INIT_USERNS	0xEFFFFFFDU

enum {
	RC_OK		= 0,
	RC_FAIL		= 1,
	RC_USAGE	= 2,
	RC_NOT_LOADED	= 3,
	RC_NO_MODULE	= 4,
	RC_PERM		= 5,
};

static bool verbose;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rfctl [-v] status\n"
		"       rfctl [-v] load [param=value ...]\n"
		"       rfctl [-v] unload\n"
		"       rfctl -h | --help\n"
		"\n"
		"status  print 'key: value' lines; exit 3 if not loaded\n"
		"load    load " MODNAME " (modprobe.d options apply), or set the\n"
		"        given parameters at runtime if it is already loaded\n"
		"unload  remove " MODNAME "; exit 1 if it is in use\n"
		"-v      show libkmod messages and the insmod it runs\n"
		"\n"
		"exit: 0 ok, 1 failed, 2 usage, 3 not loaded, 4 not installed,\n"
		"      5 not privileged\n");
}

static void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("rfctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* libkmod logs its own errors to stderr; ours say the same, so only -v. */
static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line;
	if (!verbose)
		return;
	fprintf(stderr, "rfctl: libkmod: %s: ", fn);
	vfprintf(stderr, format, args);
}

static void print_action(struct kmod_module *m, bool install,
			 const char *options)
{
	fprintf(stderr, "rfctl: %s %s %s\n", install ? "install" : "insmod",
		install ? "command" : kmod_module_get_path(m),
		options ? options : "");
}

static const char *kernel_release(void)
{
	static struct utsname u;

	return uname(&u) ? "(unknown)" : u.release;
}

/* Errors every command shares; returns the exit status. */
static int errno_rc(int err, const char *what)
{
	switch (err) {
	case EPERM:
	case EACCES:
		err_msg("%s: need root (CAP_SYS_MODULE)", what);
		/* Root refused: a container, lockdown or a sysctl. */
		if (geteuid() == 0)
			err_msg("uid 0 was refused too: capability dropped, lockdown or kernel.modules_disabled?");
		return RC_PERM;
	case ENOENT:
		err_msg("module " MODNAME " not found for kernel %s; install it (make install or DKMS)",
			kernel_release());
		return RC_NO_MODULE;
	}
	err_msg("%s: %s", what, strerror(err));
	return RC_FAIL;
}

/* Read the first line of a small file, without its newline. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		ret = ferror(f) ? -EIO : -ENODATA;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

static const char *read_version(char *buf, size_t size)
{
	return read_line(SYS_MODULE "/version", buf, size) ? "unknown" : buf;
}

/* Single-value files only: "users" has a line per user (print_users). */
static int no_dots(const struct dirent *d)
{
	return d->d_name[0] != '.' && strcmp(d->d_name, "users");
}

/* Print every file of @dir as "@prefix.name: value", sorted by name. */
static void print_dir(const char *dir, const char *prefix)
{
	struct dirent **ents;
	char path[512], val[256];
	int i, n;

	n = scandir(dir, &ents, no_dots, alphasort);
	if (n < 0) {
		err_msg("%s: %s", dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (read_line(path, val, sizeof(val)) == 0)
			printf("%s.%s: %s\n", prefix, ents[i]->d_name, val);
		free(ents[i]);
	}
	free(ents);
}

/*
 * Registrations per user: root only (the file is 0400); quiet otherwise.
 * A line of the file is "<uid> <threads> <userns inode>": a user of the
 * initial namespace prints as user.<uid>, one of another namespace as
 * user.<uid>@<inode> (the uid as the initial namespace sees it).
 */
static void print_users(void)
{
	FILE *f = fopen(SYS_COUNTERS "/users", "re");
	unsigned int uid, n, ns;
	char line[128];
	int k;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		k = sscanf(line, "%u %u %u", &uid, &n, &ns);
		if (k < 2)
			continue;
		if (k == 2 || ns == RF_INIT_USERNS)
			printf("user.%u: %u\n", uid, n);
		else
			printf("user.%u@%u: %u\n", uid, ns, n);
	}
	fclose(f);
}

static void print_info(void)
{
	struct rf_info info = { .size = sizeof(info) };
	int fd;

	fd = open(RF_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, RF_IOC_GET_INFO, &info) < 0) {
		err_msg("%s: %s", RF_DEVICE_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	printf("abi_version: %u\n", info.abi_version);
	printf("limit.max_lists: %u\n", info.max_lists);
	printf("limit.list_limit: %u\n", info.list_limit);
	printf("limit.max_threads: %u\n", info.max_threads);
	printf("nr_threads: %u\n", info.nr_threads);
	printf("flags: %#x\n", info.flags);
}

static int cmd_status(struct kmod_module *mod)
{
	const char *path = kmod_module_get_path(mod);
	int state = kmod_module_get_initstate(mod);
	char val[256];

	if (state < 0) {
		printf(MODNAME ": not loaded\n");
		printf("kernel: %s\n", kernel_release());
		printf("path: %s\n", path ? path : "none");
		return RC_NOT_LOADED;
	}
	printf(MODNAME ": loaded\n");
	printf("state: %s\n", kmod_module_initstate_str(state));
	printf("kernel: %s\n", kernel_release());
	printf("path: %s\n", path ? path : "none");
	printf("version: %s\n", read_version(val, sizeof(val)));
	/* Before print_info(): its open file holds a reference too. */
	printf("refcnt: %d\n", kmod_module_get_refcnt(mod));
	print_info();
	print_dir(SYS_PARAMS, "param");
	print_dir(SYS_COUNTERS, "counter");
	print_users();
	return RC_OK;
}

/*
 * "name=value" with a parameter-like name.  The kernel treats '-' and '_'
 * alike in parameter names; sysfs only knows '_', so normalise in place.
 */
static bool param_ok(char *arg)
{
	char *eq = strchr(arg, '='), *p;

	if (!eq || eq == arg)
		return false;
	for (p = arg; p < eq; p++) {
		if (*p == '-')
			*p = '_';
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	}
	return true;
}

static bool name_in(const char *arg, const char *name, size_t len)
{
	return !strncmp(arg, name, len) && arg[len] == '=';
}

/*
 * Reject names the module file does not declare: the kernel would only
 * log "unknown parameter ignored" and load anyway.  Without modinfo to go
 * by (unreadable file) check nothing and let the load report the error.
 */
static int check_modinfo(struct kmod_module *mod, int argc, char **argv)
{
	struct kmod_list *info = NULL, *l;
	int i, rc = RC_OK;
	bool any = false;

	if (kmod_module_get_info(mod, &info) < 0)
		return RC_OK;
	for (i = 0; i < argc; i++) {
		bool found = false;

		kmod_list_foreach(l, info) {
			const char *k = kmod_module_info_get_key(l);
			const char *v = kmod_module_info_get_value(l);

			if (strcmp(k, "parm") && strcmp(k, "parmtype"))
				continue;
			any = true;
			if (name_in(argv[i], v, strcspn(v, ":")))
				found = true;
		}
		if (any && !found) {
			err_msg("unknown parameter '%.*s'",
				(int)strcspn(argv[i], "="), argv[i]);
			rc = RC_USAGE;
		}
	}
	kmod_module_info_free_list(info);
	return rc;
}

/* Already loaded: write each value to /sys/module/robustfutex/parameters. */
static int set_params(int argc, char **argv)
{
	char path[512];
	int i, fd, rc = RC_OK;

	/* Check every name first so a typo does not leave half applied. */
	for (i = 0; i < argc; i++) {
		snprintf(path, sizeof(path), SYS_PARAMS "/%.*s",
			 (int)strcspn(argv[i], "="), argv[i]);
		if (access(path, F_OK)) {
			if (errno != ENOENT)
				return errno_rc(errno, path);
			err_msg("unknown parameter '%.*s'",
				(int)strcspn(argv[i], "="), argv[i]);
			rc = RC_USAGE;
		}
	}
	if (rc)
		return rc;

	for (i = 0; i < argc; i++) {
		const char *val = strchr(argv[i], '=') + 1;
		ssize_t n;

		snprintf(path, sizeof(path), SYS_PARAMS "/%.*s",
			 (int)(val - 1 - argv[i]), argv[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {	/* unloaded meanwhile */
			printf(MODNAME ": not loaded\n");
			return RC_NOT_LOADED;
		}
		if (fd < 0)
			return errno_rc(errno, "set parameters");
		/* The module's setter answers the write: EINVAL if out of range. */
		n = write(fd, val, strlen(val));
		if (n < 0) {
			int err = errno;

			close(fd);
			if (err == EINVAL) {
				err_msg("%s: invalid value '%s'", argv[i], val);
				return RC_FAIL;
			}
			return errno_rc(err, path);
		}
		close(fd);
	}
	printf(MODNAME ": already loaded");
	for (i = 0; i < argc; i++)
		printf("%s %s", i ? "" : "; set", argv[i]);
	printf("\n");
	return RC_OK;
}

static int cmd_load(struct kmod_ctx *ctx, struct kmod_module *mod,
		    int argc, char **argv)
{
	struct kmod_list *list = NULL;
	struct kmod_module *m;
	char *opts = NULL, val[256];
	size_t len = 1;
	int i, err, rc;

	for (i = 0; i < argc; i++) {
		if (!param_ok(argv[i])) {
			err_msg("bad argument '%s': expected param=value",
				argv[i]);
			usage(stderr);
			return RC_USAGE;
		}
		len += strlen(argv[i]) + 1;
	}
	if (kmod_module_get_initstate(mod) >= 0)
		return set_params(argc, argv);

	/* Resolve like modprobe: config aliases, modules.dep, builtin. */
	err = kmod_module_new_from_lookup(ctx, MODNAME, &list);
	if (err < 0)
		return errno_rc(-err, "lookup");
	if (!list)
		return errno_rc(ENOENT, "lookup");
	m = kmod_module_get_module(list);
	kmod_module_unref_list(list);

	rc = check_modinfo(m, argc, argv);
	if (rc)
		goto out;
	opts = calloc(1, len);
	if (!opts) {
		rc = errno_rc(ENOMEM, "load");
		goto out;
	}
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(opts, " ");
		strcat(opts, argv[i]);
	}

	/*
	 * Dependencies, modprobe.d options (ours go after them, so they win)
	 * and install commands apply.  FAIL_ON_LOADED: if someone else
	 * loaded it since we looked, set the parameters instead.
	 */
	err = kmod_module_probe_insert_module(m, KMOD_PROBE_FAIL_ON_LOADED,
					      opts, NULL, NULL,
					      verbose ? print_action : NULL);
	if (err == -EEXIST) {
		rc = set_params(argc, argv);
	} else if (err == -EINVAL) {
		err_msg("load: invalid argument (bad parameter value? see dmesg)");
		rc = RC_FAIL;
	} else if (err < 0) {
		rc = errno_rc(-err, "load");
	} else if (err > 0) {
		err_msg("load: refused by configuration (blacklist?)");
		rc = RC_FAIL;
	} else {
		printf(MODNAME ": loaded version %s%s%s\n",
		       read_version(val, sizeof(val)), argc ? " with " : "",
		       opts);
	}
out:
	free(opts);
	kmod_module_unref(m);
	return rc;
}

/* Report why the module could not be removed. */
static void report_busy(struct kmod_module *mod)
{
	struct kmod_list *holders = kmod_module_get_holders(mod), *l;
	char threads[32];

	if (read_line(SYS_COUNTERS "/threads", threads, sizeof(threads)))
		snprintf(threads, sizeof(threads), "?");
	/* Each registered thread and each open file holds a reference. */
	err_msg(MODNAME " is in use: %s registered thread(s), refcount %d; not unloaded",
		threads, kmod_module_get_refcnt(mod));
	err_msg("(stop the processes using " RF_DEVICE_PATH " and try again)");
	kmod_list_foreach(l, holders) {
		struct kmod_module *h = kmod_module_get_module(l);

		err_msg("used by module %s", kmod_module_get_name(h));
		kmod_module_unref(h);
	}
	kmod_module_unref_list(holders);
}

static int cmd_unload(struct kmod_module *mod)
{
	int state = kmod_module_get_initstate(mod);
	int err;

	if (state < 0) {
		printf(MODNAME ": not loaded\n");
		return RC_NOT_LOADED;
	}
	if (state == KMOD_MODULE_BUILTIN) {
		err_msg(MODNAME " is built into the kernel; cannot unload");
		return RC_FAIL;
	}
	/* libkmod always asks for O_NONBLOCK: busy fails, it does not wait. */
	err = kmod_module_remove_module(mod, verbose ? 0 : KMOD_REMOVE_NOLOG);
	switch (-err) {
	case 0:
		printf(MODNAME ": unloaded\n");
		return RC_OK;
	case EBUSY:
	case EAGAIN:
		report_busy(mod);
		return RC_FAIL;
	case ENOENT:	/* went away since we looked */
		printf(MODNAME ": not loaded\n");
		return RC_NOT_LOADED;
	}
	return errno_rc(-err, "unload");
}

int main(int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	const char *cmd;
	int rc, argi = 1;

	if (argi < argc && !strcmp(argv[argi], "-v")) {
		verbose = true;
		argi++;
	}
	if (argi >= argc) {
		usage(stderr);
		return RC_USAGE;
	}
	cmd = argv[argi++];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return RC_OK;
	}
	if (strcmp(cmd, "status") && strcmp(cmd, "load") &&
	    strcmp(cmd, "unload")) {
		err_msg("unknown command '%s'", cmd);
		usage(stderr);
		return RC_USAGE;
	}
	if (strcmp(cmd, "load") && argi < argc) {
		err_msg("%s takes no arguments", cmd);
		usage(stderr);
		return RC_USAGE;
	}

	/* Default module directory (/lib/modules/`uname -r`) and config. */
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		err_msg("cannot create libkmod context");
		return RC_FAIL;
	}
	kmod_set_log_fn(ctx, kmod_log, NULL);
	rc = kmod_module_new_from_name(ctx, MODNAME, &mod);
	if (rc < 0) {
		rc = errno_rc(-rc, MODNAME);
		goto out;
	}

	if (!strcmp(cmd, "status"))
		rc = cmd_status(mod);
	else if (!strcmp(cmd, "load"))
		rc = cmd_load(ctx, mod, argc - argi, argv + argi);
	else
		rc = cmd_unload(mod);
	kmod_module_unref(mod);
out:
	kmod_unref(ctx);
	return rc;
}
