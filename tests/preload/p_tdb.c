// SPDX-License-Identifier: GPL-2.0
/*
 * tdb (Debian's libtdb) with TDB_MUTEX_LOCKING, tortured: its chain and
 * all-record locks are process-shared robust pthread mutexes in the
 * file's mapping, so under the preload they are the module's.  After
 * Samba's tdbtorture, written here against libtdb's public API: workers
 * store, delete (in transactions, which a SIGKILL cannot leave half
 * done), fetch and traverse at random while one of them is SIGKILLed
 * every few milliseconds.  No hang (every wait is bounded and progress
 * is watched: when operations stop completing, the kills stop, and only
 * workers left alone that complete nothing in HANG_S are hung, whatever
 * the machine's speed), and tdb_check() finds the database clean
 * afterwards.
 * A store outside a transaction is not safe from a kill in tdb, whatever
 * the locks: one killed between shortening a free record and writing the
 * new record's header leaves stale bytes where tdb_check() expects a
 * header (seen once in the VM, "Bad magic"); "mixed" adds such stores,
 * for the locks' sake, and its check verdict is then not meaningful.
 *
 *	p_tdb DIR SECONDS [mixed]
 *				mixed: stores outside transactions too
 *	p_tdb worker DIR FD	(internal) a worker, book in memfd FD; exec'ed,
 *				as tdb refuses a second open of a file in one
 *				process, and a forked child inherits the first
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <tdb.h>
#include "p_tap.h"

/* Exported by libtdb, not declared in its header. */
bool tdb_runtime_check_for_robust_mutexes(void);

#define WORKERS	4
#define KEYS	500
/* No fsync: a SIGKILL leaves the page cache as it was. */
#define FLAGS	(TDB_MUTEX_LOCKING | TDB_INCOMPATIBLE_HASH | TDB_NOSYNC)

static char path[4096];

struct book {
	int mixed;		/* stores outside transactions too */
	uint64_t ops;		/* completed operations, all workers */
	int bad;		/* a worker saw wrong data or an error */
	char why[128];
};

static struct book *b;

static void logfn(struct tdb_context *tdb, enum tdb_debug_level l,
		  const char *fmt, ...)
{
	va_list ap;

	/* tdb logs the recoveries it makes; only errors are of interest. */
	if (l > TDB_DEBUG_ERROR)
		return;
	va_start(ap, fmt);
	printf("# tdb: ");
	vprintf(fmt, ap);
	va_end(ap);
}

static const struct tdb_logging_context logctx = { logfn, NULL };

static struct tdb_context *open_db(int oflags)
{
	return tdb_open_ex(path, 131, FLAGS, oflags, 0600, &logctx, NULL);
}

/* A value that says which key it belongs to, checkable on read. */
static int make_val(char *buf, int key, unsigned int r)
{
	return snprintf(buf, 200, "%d:%u:%.*s", key, r, (int)(r % 100),
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static bool val_ok(TDB_DATA k, TDB_DATA v)
{
	char kb[32], want[200];
	unsigned int r;
	int key, n;

	if (k.dsize >= sizeof(kb) || v.dsize >= sizeof(want))
		return false;
	memcpy(kb, k.dptr, k.dsize);
	kb[k.dsize] = 0;
	if (sscanf(kb, "k%d", &key) != 1 ||
	    sscanf((char *)v.dptr, "%*d:%u:", &r) != 1)
		return false;
	n = make_val(want, key, r);
	return (size_t)n == v.dsize && !memcmp(want, v.dptr, n);
}

static void fail(const char *what, struct tdb_context *tdb)
{
	if (!__atomic_exchange_n(&b->bad, 1, __ATOMIC_RELAXED))
		snprintf(b->why, sizeof(b->why), "%s: %s", what,
			 tdb ? tdb_errorstr(tdb) : "");
	_exit(1);
}

static int trav(struct tdb_context *tdb, TDB_DATA k, TDB_DATA v, void *p)
{
	if (!val_ok(k, v))
		fail("traverse: bad record", NULL);
	(*(int *)p)++;
	return 0;
}

static void worker(void)
{
	struct tdb_context *tdb = open_db(O_RDWR);
	char kb[32], vb[200];
	unsigned int r;
	TDB_DATA k, v;
	int i, n, op;

	if (!tdb)
		fail("open", NULL);
	srand(getpid());
	for (;;) {
		r = rand();
		op = r % 100;
		k.dptr = (unsigned char *)kb;
		k.dsize = snprintf(kb, sizeof(kb), "k%d", (int)(r / 100 % KEYS));
		if (op < 50) {
			if (tdb_transaction_start(tdb))
				fail("transaction_start", tdb);
			for (i = 0; i < 3; i++) {
				r = rand();
				k.dsize = snprintf(kb, sizeof(kb), "k%d",
						   (int)(r % KEYS));
				v.dptr = (unsigned char *)vb;
				v.dsize = make_val(vb, r % KEYS, r);
				if (r & 0x10000 ? tdb_store(tdb, k, v, TDB_REPLACE) :
				    tdb_delete(tdb, k) && tdb_error(tdb) != TDB_ERR_NOEXIST)
					fail("store/delete", tdb);
			}
			if (tdb_transaction_commit(tdb))
				fail("transaction_commit", tdb);
		} else if (op < 70 && b->mixed) {
			/* Outside a transaction: chain mutexes only. */
			v.dptr = (unsigned char *)vb;
			v.dsize = make_val(vb, r / 100 % KEYS, r);
			if (tdb_store(tdb, k, v, TDB_REPLACE))
				fail("store", tdb);
		} else if (op < 95) {
			v = tdb_fetch(tdb, k);
			if (v.dptr && !val_ok(k, v))
				fail("fetch: bad record", tdb);
			if (!v.dptr && tdb_error(tdb) != TDB_ERR_NOEXIST)
				fail("fetch", tdb);
			free(v.dptr);
		} else {
			/*
			 * The first lock a process takes after a kill cut a
			 * commit short makes tdb recover the transaction,
			 * which takes write locks: a read-only traverse
			 * refuses ("write not permitted", seen under the
			 * preload and possible under glibc, it depends only on
			 * where a kill lands).  A tdb user then traverses
			 * read-write, which recovers.
			 */
			n = 0;
			if (tdb_traverse_read(tdb, trav, &n) < 0 &&
			    (tdb_error(tdb) != TDB_ERR_RDONLY ||
			     (n = 0, tdb_traverse(tdb, trav, &n) < 0)))
				fail("traverse", tdb);
		}
		__atomic_fetch_add(&b->ops, 1, __ATOMIC_RELAXED);
	}
}

static int book_fd;

static pid_t spawn(const char *dir)
{
	char fd[16], *argv[] = { "/proc/self/exe", "worker", (char *)dir, fd,
				 NULL };
	pid_t pid = fork();

	if (pid == 0) {
		snprintf(fd, sizeof(fd), "%d", book_fd);
		alarm(0);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static struct book *map_book(int fd)
{
	struct book *p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
			      MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		abort();
	return p;
}

/*
 * A commit that outgrows the recovery area moves it to the end of the
 * file, writing the new place in the header at once and freeing the old
 * area inside the transaction: a kill in that commit leaves the old area
 * (first record, magic 0) on no list, which tdb_check() takes for the
 * start of dead space to the end of the file ("Dead space at 696-...",
 * "Hashes do not match records"), whatever the locks (seen under both).
 * Two big transactions first size the area for far more than the
 * torture's three-record ones need.
 */
static int grow_recovery(struct tdb_context *tdb)
{
	char kb[32], vb[200];
	TDB_DATA k, v;
	int pass, key;

	for (pass = 0; pass < 2; pass++) {
		if (tdb_transaction_start(tdb))
			return -1;
		for (key = 0; key < KEYS; key++) {
			k.dptr = (unsigned char *)kb;
			k.dsize = snprintf(kb, sizeof(kb), "k%d", key);
			v.dptr = (unsigned char *)vb;
			v.dsize = make_val(vb, key, 99 + pass * 100);
			if (tdb_store(tdb, k, v, TDB_REPLACE))
				return -1;
		}
		if (tdb_transaction_commit(tdb))
			return -1;
	}
	return 0;
}

static int count(struct tdb_context *tdb, TDB_DATA k, TDB_DATA v, void *p)
{
	(*(int *)p) += val_ok(k, v) ? 1 : 1000000;
	return 0;
}

static int checkfn(TDB_DATA k, TDB_DATA v, void *p)
{
	return val_ok(k, v) ? 0 : -1;
}

int main(int argc, char **argv)
{
	int secs = argc > 2 ? atoi(argv[2]) : 30, i, st, kills = 0, n = 0;
	int pauses = 0;
	struct tdb_context *tdb;
	pid_t pids[WORKERS], pid;
	uint64_t ops, seen = 0;
	time_t end, last;
	bool stall = false;

	if (argc < 2) {
		fprintf(stderr, "usage: p_tdb DIR SECONDS\n");
		return 2;
	}
	if (argc == 4 && !strcmp(argv[1], "worker")) {
		snprintf(path, sizeof(path), "%s/torture.tdb", argv[2]);
		b = map_book(atoi(argv[3]));
		worker();
	}
	snprintf(path, sizeof(path), "%s/torture.tdb", argv[1]);
	p_start();
	alarm(secs + 90);	/* before preload-apps.sh's timeout 120 */
	book_fd = memfd_create("p_tdb", 0);
	if (book_fd < 0 || ftruncate(book_fd, sizeof(*b)))
		ksft_exit_fail_msg("memfd_create: %s\n", strerror(errno));
	b = map_book(book_fd);
	b->mixed = argc > 3 && !strcmp(argv[3], "mixed");
	P_CHECK(tdb_runtime_check_for_robust_mutexes(),
		"tdb: tdb_runtime_check_for_robust_mutexes()");
	/* Kept open throughout, so the mutex area outlives the workers. */
	tdb = open_db(O_RDWR | O_CREAT | O_TRUNC);
	P_CHECK(tdb != NULL, "tdb: open with TDB_MUTEX_LOCKING");
	if (!tdb)
		p_finish();
	P_EQ(0, grow_recovery(tdb), "tdb: recovery area sized up front");
	for (i = 0; i < WORKERS; i++)
		pids[i] = spawn(argv[1]);
	srand(getpid());
	end = time(NULL) + secs;
	last = time(NULL);
	while (time(NULL) < end && !b->bad) {
		usleep(5000 + rand() % 50000);
		i = rand() % WORKERS;
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &st, 0);
		kills++;
		pids[i] = spawn(argv[1]);
		ops = __atomic_load_n(&b->ops, __ATOMIC_RELAXED);
		if (ops != seen) {
			seen = ops;
			last = time(NULL);
		} else if (time(NULL) - last > 5) {
			/* None for 5 s: no kills until one completes. */
			pauses++;
			last = time(NULL);
			while (__atomic_load_n(&b->ops, __ATOMIC_RELAXED) == seen &&
			       time(NULL) - last <= HANG_S)
				usleep(10000);
			if (__atomic_load_n(&b->ops, __ATOMIC_RELAXED) == seen) {
				stall = true;
				break;
			}
		}
	}
	for (i = 0; i < WORKERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &st, 0);
	}
	P_CHECK(!stall, "tdb torture: operations kept completing (%llu ops, "
		"%d kills, %d times the kills paused for them)",
		(unsigned long long)seen, kills, pauses);
	P_CHECK(!b->bad, "tdb torture: workers saw no error or bad data%s%s",
		b->bad ? ": " : "", b->why);
	P_EQ(0, tdb_check(tdb, checkfn, NULL), "tdb: tdb_check() clean");
	P_CHECK(tdb_traverse_read(tdb, count, &n) >= 0 && n < 1000000,
		"tdb: every record readable and right (%d)", n);
	tdb_close(tdb);
	/* And from a fresh process, the database opened anew. */
	pid = fork();
	if (pid == 0) {
		tdb = open_db(O_RDWR);
		_exit(tdb && tdb_check(tdb, checkfn, NULL) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	P_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"tdb: reopened, tdb_check() clean");
	p_finish();
}
