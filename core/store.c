/* store.c - the SQLite database (SPEC section 5): opening it and keeping
 * it safe, what its failures say, and the transactions every command
 * runs in.  The rest of the store is in store_*.c, one file a concern
 * (store_private.h lists them); all SQL of dosed is in these files.
 *
 * Every value reaches SQLite as a bound parameter; the only SQL built from
 * numbers is the two header pragmas (user_version, application_id), which
 * take no parameters and are given compile-time constants.
 */
#include "store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SPEC 5 and issue 5: a clinic's database belongs to the group "dosed"
 * (systemd/dosed.sysusers makes it) so that staff in it can run dosectl. */
#define STORE_CLINIC_GROUP "dosed"

/* What SQLite keeps beside the database (sqlite.org/tempfiles.html). */
static const char *const store_companions[] = { "-wal", "-shm", "-journal" };

/* ---- errors ---------------------------------------------------------- */

void store_fail(DosedStore *store, int rc, const char *doing, GError **error)
{
	const char *path = store->path;
	const char *message = store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
	bool readonly = store->db && sqlite3_db_readonly(store->db, "main") == 1;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is locked by another program (waited %d ms); try again",
			    path, store->busy_timeout_ms);
		return;
	case SQLITE_CANTOPEN:
		/* SQLite opens the database with SQLITE_OPEN_NOFOLLOW and its
		 * -wal, -shm and -journal with O_NOFOLLOW: a link planted at
		 * any of them ends here. */
		if (rc == SQLITE_CANTOPEN_SYMLINK ||
		    (store->db && (sqlite3_extended_errcode(store->db) == SQLITE_CANTOPEN_SYMLINK ||
				   sqlite3_system_errno(store->db) == ELOOP))) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "the database %s or its -wal, -shm or -journal file is a symbolic link, which dosed does not follow; remove the link and give the real path (--db or [store] path)",
				    path);
			return;
		}
		/* A read-only WAL database cannot be read either without
		 * write access to its folder (for the -shm file). */
		if (!readonly) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "cannot open the database %s (%s); check that it and its folder exist and are accessible",
				    path, message);
			return;
		}
		/* fall through */
	case SQLITE_READONLY:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is read-only; ask for write access to it and its folder",
			    path);
		return;
	case SQLITE_NOTADB:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "%s is not a dosed database; check the database path (--db or [store] path)",
			    path);
		return;
	case SQLITE_CORRUPT:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is damaged (%s); restore it from a backup",
			    path, message);
		return;
	case SQLITE_FULL:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the disk holding the database %s is full; free some space and try again",
			    path);
		return;
	case SQLITE_IOERR:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot read or write the database %s (%s: %s); check the disk",
			    path, message,
			    store->db ? g_strerror(sqlite3_system_errno(store->db)) : "");
		return;
	default:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s failed while %s: %s", path, doing, message);
		return;
	}
}

sqlite3_stmt *store_prepare(DosedStore *store, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK) {
		store_fail(store, rc, "preparing a query", error);
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

bool store_exec(DosedStore *store, const char *sql, const char *doing, GError **error)
{
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		store_fail(store, rc, doing, error);
		return false;
	}
	return true;
}

bool store_query_int64(DosedStore *store, const char *sql, const char *doing,
		       gint64 *value, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store, sql, error);
	int rc;

	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, doing, error);
		return false;
	}
	*value = sqlite3_column_int64(stmt, 0);
	return true;
}

bool store_step_done(DosedStore *store, sqlite3_stmt *stmt, const char *doing,
		     GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE) {
		store_fail(store, rc, doing, error);
		return false;
	}
	return true;
}

void store_bind(sqlite3_stmt *stmt, int first, const StoreValue *values, size_t n_values)
{
	for (size_t i = 0; i < n_values; i++) {
		int index = first + (int)i;

		switch (values[i].type) {
		case STORE_VALUE_INT:
			sqlite3_bind_int64(stmt, index, values[i].integer);
			break;
		case STORE_VALUE_TEXT:
			bind_text(stmt, index, values[i].text);
			break;
		case STORE_VALUE_NULL:
			sqlite3_bind_null(stmt, index);
			break;
		}
	}
}

sqlite3_stmt *store_statement(DosedStore *store, const char *sql, const StoreValue *values,
			      size_t n_values, GError **error)
{
	sqlite3_stmt *stmt = store_prepare(store, sql, error);

	if (stmt)
		store_bind(stmt, 1, values, n_values);
	return stmt;
}

bool store_run(DosedStore *store, const char *sql, const char *doing,
	       const StoreValue *values, size_t n_values, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_statement(store, sql, values, n_values, error);

	return stmt && store_step_done(store, stmt, doing, error);
}

bool store_next_row(DosedStore *store, sqlite3_stmt *stmt, const char *doing, bool *row,
		    GError **error)
{
	int rc = sqlite3_step(stmt);

	*row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(store, rc, doing, error);
		return false;
	}
	return true;
}

/* ---- opening --------------------------------------------------------- */

/* The path SQLite is to open: the folder's real path (its symbolic links
 * are the user's own arrangement, such as a home folder moved to another
 * disk) and the file's name as given.  SQLITE_OPEN_NOFOLLOW refuses a link
 * in any component of what it is given, so the folder must be resolved
 * first; only the last component is then checked. */
static bool store_resolve_path(DosedStore *store, GError **error)
{
	g_autofree char *folder = g_path_get_dirname(store->path);
	g_autofree char *name = g_path_get_basename(store->path);
	char *real = realpath(folder, NULL);

	if (!real) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot open the folder %s of the database: %s; create it or choose another path",
			    folder, g_strerror(saved));
		return false;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "/") == 0 ||
	    g_str_has_suffix(store->path, "/")) {
		free(real);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the database path %s names a folder; give a file such as %s/dosed.db",
			    store->path, store->path);
		return false;
	}
	store->open_path = g_build_filename(real, name, NULL);
	free(real);
	return true;
}

/* The clinic group's id, when the machine has the group.  The buffer
 * holds the member names too, so it grows for a large clinic. */
static bool store_clinic_gid(gid_t *gid)
{
	struct group entry, *found = NULL;
	size_t size = 4096;
	bool known = false;

	for (;;) {
		char *buffer = g_malloc(size);
		int rc = getgrnam_r(STORE_CLINIC_GROUP, &entry, buffer, size, &found);

		if (rc == 0 && found) {
			*gid = found->gr_gid;
			known = true;
		}
		g_free(buffer);
		if (rc != ERANGE || size >= 1024 * 1024)
			return known;
		size *= 2;
	}
}

/* A new database must have nothing of SQLite's beside it: a -wal or -shm
 * there belongs to some other database (one deleted without them, or one
 * planted), whose pages are not ours to read or to overwrite, and a link
 * there would point SQLite's writes elsewhere.  Checked before the file is
 * made, so a refusal creates nothing. */
static bool store_check_no_companions(DosedStore *store, GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(store_companions); i++) {
		g_autofree char *file = g_strconcat(store->open_path, store_companions[i], NULL);
		struct stat info;

		if (lstat(file, &info) == 0) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "%s%s is there but the database %s is not (%s); move it away before dosed creates a new database",
				    store->path, store_companions[i], store->path,
				    S_ISLNK(info.st_mode) ? "a symbolic link" :
				    "left by another database");
			return false;
		}
	}
	return true;
}

/* Create the parent folder (0700) and the file itself with exactly `mode`
 * before SQLite sees it, so that it is never readable by others, not even
 * for a moment; SQLite then gives its -wal and -shm files the same mode.
 * O_EXCL|O_NOFOLLOW: a link at the path, even a dangling one, is never
 * followed to create a file where it points. */
static bool store_create_file(DosedStore *store, int mode, bool *created, GError **error)
{
	g_autofree char *folder = g_path_get_dirname(store->path);
	struct stat info;
	gid_t clinic_gid;
	int fd;

	*created = false;
	if (g_mkdir_with_parents(folder, 0700) != 0) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot create the folder %s for the database: %s; create it or choose another path",
			    folder, g_strerror(saved));
		return false;
	}
	if (!store_resolve_path(store, error))
		return false;
	if (lstat(store->open_path, &info) == 0) {
		/* There already: SQLite opens it, or says why it cannot (a
		 * folder we may not write to still holds a usable file). */
		if (!S_ISLNK(info.st_mode))
			return true;
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is a symbolic link, which dosed does not follow; give the real path (--db or [store] path) or remove the link",
			    store->path);
		return false;
	}
	if (!store_check_no_companions(store, error))
		return false;
	fd = open(store->open_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  (mode_t)mode);
	if (fd < 0) {
		int saved = errno;

		/* Made by another dosed meanwhile: SQLite opens it; a link
		 * made meanwhile is refused by SQLITE_OPEN_NOFOLLOW. */
		if (saved == EEXIST)
			return true;
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot create the database %s: %s; ask for write access to its folder",
			    store->path, g_strerror(saved));
		return false;
	}
	*created = true;
	/* open(2) applied the umask; the mode asked for is the mode meant
	 * (0660 for a clinic group even under umask 077). */
	if (fchmod(fd, (mode_t)mode) != 0) {
		int saved = errno;

		close(fd);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot set the mode of the database %s: %s", store->path,
			    g_strerror(saved));
		return false;
	}
	/* A database shared with a group is shared with the clinic's group
	 * (SPEC 5), not with whatever group its creator happens to be in:
	 * root running dosectl first would otherwise leave it root's.  A
	 * set-group-ID folder (tmpfiles.d: /var/lib/dosed 2770) has given it
	 * the group already; as root, SQLite then gives -wal and -shm the
	 * database's owner and group.  Only root and the group's members may
	 * give a file to it: for anyone else (EPERM) it keeps their group, as
	 * on a machine without the group. */
	if ((mode & 0070) != 0 && store_clinic_gid(&clinic_gid) &&
	    fstat(fd, &info) == 0 && info.st_gid != clinic_gid &&
	    fchown(fd, (uid_t)-1, clinic_gid) != 0 && errno != EPERM) {
		int saved = errno;

		close(fd);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot give the database %s to the group %s: %s",
			    store->path, STORE_CLINIC_GROUP, g_strerror(saved));
		return false;
	}
	close(fd);
	return true;
}

static bool store_enter_wal(DosedStore *store, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store, "PRAGMA journal_mode = WAL", error);
	const char *mode;
	int rc;

	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "switching it to WAL mode", error);
		return false;
	}
	/* The pragma answers the mode in force, which is not WAL when the
	 * file system cannot hold WAL's shared memory. */
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || g_ascii_strcasecmp(mode, "wal") != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s cannot use WAL mode (it stays in '%s' mode); keep it on a local disk",
			    store->path, mode ? mode : "unknown");
		return false;
	}
	return true;
}

DosedStore *store_open(const char *path, int mode, int busy_timeout_ms, GError **error)
{
	DosedStore *store;
	bool created = false;
	int version = 0;
	int rc;

	if (!path || !*path) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "no database path given; set [store] path or use --db");
		return NULL;
	}
	if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the database mode %04o must let its owner read and write (e.g. 0600 or 0660)",
			    (unsigned)mode);
		return NULL;
	}

	store = g_new0(DosedStore, 1);
	store->path = g_strdup(path);
	store->mode = mode;
	store->busy_timeout_ms = MAX(busy_timeout_ms, 0);

	if (!store_create_file(store, mode, &created, error))
		goto fail;
	/* NOMUTEX: a store is used by one thread at a time (store.h), so
	 * SQLite's per-call connection lock only costs time (bench/NOTES.md). */
	rc = sqlite3_open_v2(store->open_path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, rc, "opening it", error);
		goto fail;
	}
	sqlite3_extended_result_codes(store->db, 1);
	sqlite3_busy_timeout(store->db, store->busy_timeout_ms);
	/* SPEC 5: a crash at any moment loses nothing reported as done.  In
	 * WAL mode synchronous=NORMAL may lose the last commits on a power
	 * cut; FULL syncs the WAL at every commit, so a dose dosectl said it
	 * logged is on the disk. */
	if (!store_exec(store, "PRAGMA foreign_keys = ON", "turning on foreign keys", error) ||
	    !store_exec(store, "PRAGMA synchronous = FULL", "setting synchronous mode", error))
		goto fail;
	/* Statement journals in memory: inside a transaction every INSERT
	 * that may fail half-way (NOT NULL, CHECK, foreign keys) first saves
	 * the pages it will touch, which in a temporary file is a write each
	 * (bench/NOTES.md).  They hold only what one statement (or one
	 * change's savepoint) touches; the database and its WAL are as
	 * durable as before. */
	if (!store_exec(store, "PRAGMA temp_store = MEMORY", "setting temporary storage", error))
		goto fail;

	/* Identity first: nothing is written to a file that is not ours. */
	if (!store_check_identity(store, &version, error))
		goto fail;
	if (sqlite3_db_readonly(store->db, "main") == 1) {
		/* Readable but not writable: reading is fine if nothing needs
		 * writing; the write commands are refused by store_begin(). */
		if (version != store_schema_version()) {
			store_fail(store, SQLITE_READONLY, "opening it", error);
			goto fail;
		}
		return store;
	}
	if (!store_enter_wal(store, error))
		goto fail;
	if (version < store_schema_version() && !store_migrate(store, error))
		goto fail;
	return store;

fail:
	if (created) {
		/* Leave no empty file behind for a store that never opened:
		 * the database made above, and what SQLite made beside it
		 * (there was nothing there before: store_check_no_companions). */
		g_autofree char *open_path = g_strdup(store->open_path);

		store_close(store);
		unlink(open_path);
		for (size_t i = 0; i < G_N_ELEMENTS(store_companions); i++) {
			g_autofree char *file = g_strconcat(open_path, store_companions[i], NULL);

			unlink(file);
		}
		return NULL;
	}
	store_close(store);
	return NULL;
}

void store_close(DosedStore *store)
{
	if (!store)
		return;
	sqlite3_finalize(store->reminder_record);
	if (store->db) {
		if (!sqlite3_get_autocommit(store->db))
			sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(store->db);
	}
	g_free(store->path);
	g_free(store->open_path);
	g_free(store);
}

/* ---- transactions ---------------------------------------------------- */

bool store_begin(DosedStore *store, bool write, GError **error)
{
	if (write && sqlite3_db_readonly(store->db, "main") == 1) {
		store_fail(store, SQLITE_READONLY, "starting a change", error);
		return false;
	}
	/* IMMEDIATE takes the write lock now, inside the busy timeout, rather
	 * than at the first write, where a busy WAL snapshot cannot wait. */
	if (!store_exec(store, write ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction",
			error))
		return false;
	store->in_write = write;
	return true;
}

bool store_commit(DosedStore *store, GError **error)
{
	bool ok = store_exec(store, "COMMIT", "saving the changes", error);

	/* A failed COMMIT may leave the transaction open: end it, so that a
	 * refused command changes nothing. */
	if (!ok && !sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->in_write = false;
	return ok;
}

void store_rollback(DosedStore *store)
{
	if (!store)
		return;
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->in_write = false;
}

bool store_write_begin(DosedStore *store, GError **error)
{
	if (!store->in_write || sqlite3_get_autocommit(store->db)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "internal error: a change to %s was attempted outside a write transaction; please report this bug",
			    store->path);
		return false;
	}
	return store_exec(store, "SAVEPOINT store_write", "starting a change", error);
}

bool store_write_end(DosedStore *store, bool ok, GError **error)
{
	if (ok)
		return store_exec(store, "RELEASE store_write", "saving a change", error);
	if (!sqlite3_get_autocommit(store->db)) {
		sqlite3_exec(store->db, "ROLLBACK TO store_write", NULL, NULL, NULL);
		sqlite3_exec(store->db, "RELEASE store_write", NULL, NULL, NULL);
	}
	return false;
}

bool store_check_actor(const char *actor, GError **error)
{
	if (actor && *actor)
		return true;
	g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
		    "who makes the change is unknown; the audit trail needs a user name");
	return false;
}

bool store_data_version(DosedStore *store, gint64 *version, GError **error)
{
	return store_query_int64(store, "PRAGMA data_version", "reading its data version", version,
				 error);
}

const char *store_path(const DosedStore *store)
{
	return store->path;
}
