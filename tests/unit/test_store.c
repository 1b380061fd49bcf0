/* test_store.c - the store's file: creating and opening it safely, what
 * refuses a file, transactions and their failures, and noticing another
 * program's changes (core/store.c).
 *
 * Each test gets a fresh temporary folder (helpers.h's store fixture); a
 * second, raw SQLite connection looks at the file the way another program
 * (or an auditor) would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "error.h"
#include "feed_state.h"
#include "protocol.h"
#include "store.h"
#include "timeutil.h"
#include "token.h"

#include "helpers.h"

/* SPEC 5: created 0600 or 0660 whatever the umask; the parent folder is
 * made 0700; WAL, application_id and user_version are set. */
static void check_fresh_database(StoreFixture *fixture, int mode, mode_t mask)
{
	g_autofree char *folder = g_build_filename(fixture->folder, "new", "dosed", NULL);
	g_autofree char *path = g_build_filename(folder, "dosed.db", NULL);
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *journal = NULL;
	mode_t old_mask = umask(mask);
	GError *error = NULL;
	DosedStore *store = store_open(path, mode, 1000, &error);

	umask(old_mask);
	if (!store)
		fail_msg("store_open: %s", error->message);
	assert_file_mode(path, (mode_t)mode);
	assert_file_mode(folder, 0700);

	/* While the store is open after a write, the WAL file exists and
	 * must be no more readable than the database. */
	umask(mask);
	enrol_patient(store, fixture, "P1", "Ann", 23);
	umask(old_mask);
	assert_file_mode(wal, (mode_t)mode);
	store_close(store);

	journal = sql_text(path, "PRAGMA journal_mode");
	assert_string_equal(journal, "wal");
	/* "DOSE" in ASCII: changing it would make every existing database
	 * foreign to dosed. */
	assert_int_equal(sql_int(path, "PRAGMA application_id"), 0x444f5345);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM patient"), 1);
}

static void test_fresh_0600_umask_022(void **state)
{
	check_fresh_database(*state, 0600, 022);
}

static void test_fresh_0600_umask_077(void **state)
{
	check_fresh_database(*state, 0600, 077);
}

static void test_fresh_0660_umask_022(void **state)
{
	check_fresh_database(*state, 0660, 022);
}

static void test_fresh_0660_umask_077(void **state)
{
	check_fresh_database(*state, 0660, 077);
}

static void test_reopen_keeps_data(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	log_patient_dose(store, "P1", 1, T0, "left deltoid", NULL);
	store_close(store);

	store = open_store(fixture->db);
	regimen = load_patient(store, "P1");
	assert_string_equal(regimen->name, "Ann");
	assert_int_equal(regimen->doses->len, 1);
	assert_int_equal(regimen->view.n_doses, 1);
	regimen_destroy(regimen);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 1);
}

/* A refused file is left exactly as it was, with no -wal or -shm beside it. */
static void check_refused(const char *path, const char *words)
{
	g_autoptr(GBytes) before = file_bytes(path);
	g_autoptr(GBytes) after = NULL;
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *shm = g_strconcat(path, "-shm", NULL);
	GError *error = NULL;
	DosedStore *store = store_open(path, 0600, 1000, &error);

	assert_null(store);
	assert_error(error, DOSED_ERROR_STORE, words);
	assert_non_null(strstr(error->message, path));
	g_error_free(error);
	after = file_bytes(path);
	assert_true(g_bytes_equal(before, after));
	assert_false(g_file_test(wal, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(shm, G_FILE_TEST_EXISTS));
}

static void test_not_sqlite_refused(void **state)
{
	StoreFixture *fixture = *state;
	GString *text = g_string_new(NULL);

	for (int i = 0; i < 100; i++)
		g_string_append(text, "[store]\npath = somewhere else\n");
	assert_true(g_file_set_contents(fixture->db, text->str, (gssize)text->len, NULL));
	g_string_free(text, TRUE);
	check_refused(fixture->db, "is not a dosed database");
}

static void test_foreign_sqlite_refused(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *unmarked = g_build_filename(fixture->folder, "unmarked.db", NULL);

	/* Another program's database, marked as theirs. */
	sql_exec(fixture->db, "PRAGMA application_id = 305419896;"
		 "CREATE TABLE patient (id TEXT); INSERT INTO patient VALUES ('x');");
	check_refused(fixture->db, "is not a dosed database");
	/* Tables but no application_id at all. */
	sql_exec(unmarked, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');");
	check_refused(unmarked, "is not a dosed database");
}

static void test_newer_schema_refused(void **state)
{
	StoreFixture *fixture = *state;

	store_close(open_store(fixture->db));
	sql_exec(fixture->db, "PRAGMA user_version = 99");
	check_refused(fixture->db, "was written by a newer dosed (schema 99); upgrade dosed");
}

/* An empty file (as another dosed may just have created) is ours to fill. */
static void test_empty_file_adopted(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store;

	assert_true(g_file_set_contents(fixture->db, "", 0, NULL));
	chmod(fixture->db, 0600);
	store = open_store(fixture->db);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A folder that cannot be made (a file stands where it should be): the
 * message names it; nothing is created. */
static void test_folder_cannot_be_made(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *blocker = g_build_filename(fixture->folder, "data", NULL);
	g_autofree char *path = g_build_filename(blocker, "dosed", "dosed.db", NULL);
	GError *error = NULL;

	assert_true(g_file_set_contents(blocker, "a file", -1, NULL));
	assert_null(store_open(path, 0600, 100, &error));
	assert_error(error, DOSED_ERROR_STORE, "cannot create the folder");
	assert_non_null(strstr(error->message, blocker));
	g_error_free(error);
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void test_write_needs_transaction(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;

	assert_false(store_enrol(store, "P1", "Ann", "Europe/London", fixture->protocol,
				 date_from_ymd(2026, 11, 23), "nurse", T0, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	/* A read transaction is not a write transaction either. */
	assert_true(store_begin(store, false, &error));
	assert_false(store_enrol(store, "P1", "Ann", "Europe/London", fixture->protocol,
				 date_from_ymd(2026, 11, 23), "nurse", T0, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	store_rollback(store);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 0);
}

static void test_locked_database(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store;
	sqlite3 *other = NULL;
	GError *error = NULL;
	gint64 started, waited_ms;

	store_close(open_store(fixture->db));
	store = store_open(fixture->db, 0600, 100, &error);
	assert_non_null(store);

	/* Another program holds the write lock. */
	assert_int_equal(sqlite3_open(fixture->db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	started = g_get_monotonic_time();
	assert_false(store_begin(store, true, &error));
	waited_ms = (g_get_monotonic_time() - started) / 1000;
	assert_error(error, DOSED_ERROR_STORE,
		     "is locked by another program (waited 100 ms); try again");
	g_clear_error(&error);
	assert_true(waited_ms >= 90);
	assert_true(waited_ms < 5000);

	/* Once it lets go, the store can write. */
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_true(store_begin(store, true, &error));
	store_rollback(store);
	store_close(store);
}

static void test_rollback_leaves_nothing(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedPlannedDose as = { .ordinal = 1, .phase_index = 0, .dose_in_phase = 1 };
	DosedRegimen *regimen;
	GError *error = NULL;

	begin_write(store);
	assert_true(store_enrol(store, "P1", "Ann", "Europe/London", fixture->protocol,
				date_from_ymd(2026, 11, 23), "nurse", T0, &error));
	regimen = load_patient(store, "P1");
	assert_true(store_log_dose(store, regimen, &as, T0, NULL, NULL, false, "nurse", T0,
				   NULL, &error));
	regimen_destroy(regimen);
	store_rollback(store);

	assert_null(store_load_regimen(store, "P1", &error));
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'P1'");
	g_clear_error(&error);

	/* Closing with a transaction open rolls it back too. */
	begin_write(store);
	assert_true(store_enrol(store, "P2", "Bob", "Europe/London", fixture->protocol,
				date_from_ymd(2026, 11, 23), "nurse", T0, &error));
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 0);
}

/* A database this user may read but not write: changes are refused with
 * words that say what to do, and the file is left as it was. */
static int read_only_check(const char *path)
{
	GError *error = NULL;
	DosedStore *store = store_open(path, 0600, 100, &error);
	int status = 0;

	if (store) {
		DosedRegimen *regimen = store_load_regimen(store, "P1", &error);

		if (!regimen)
			status = 10;
		regimen_destroy(regimen);
		g_clear_error(&error);
		if (store_begin(store, true, &error))
			status = 11;
		store_close(store);
	}
	if (!error || error->code != DOSED_ERROR_STORE ||
	    !strstr(error->message, "is read-only; ask for write access to it and its folder"))
		status = status ? status : 12;
	g_clear_error(&error);
	return status;
}

static void test_read_only_database(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	g_autoptr(GBytes) before = NULL;
	g_autoptr(GBytes) after = NULL;
	int status;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	store_close(store);
	before = file_bytes(fixture->db);
	assert_int_equal(chmod(fixture->db, 0444), 0);
	assert_int_equal(chmod(fixture->folder, 0555), 0);

	if (geteuid() == 0) {
		/* root writes anything: check as an unprivileged user. */
		pid_t child = fork();
		int wstatus = 0;

		assert_true(child >= 0);
		if (child == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(20);
			_exit(read_only_check(fixture->db));
		}
		assert_int_equal(waitpid(child, &wstatus, 0), child);
		assert_true(WIFEXITED(wstatus));
		status = WEXITSTATUS(wstatus);
	} else {
		status = read_only_check(fixture->db);
	}
	assert_int_equal(status, 0);
	after = file_bytes(fixture->db);
	assert_true(g_bytes_equal(before, after));
}

/* dosed rereads when another program (dosectl) committed, not after its own
 * writes (SPEC 4, Changes). */
static void test_data_version(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedStore *other;
	GError *error = NULL;
	gint64 v0, v1, v2, v3, v4;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	assert_true(store_data_version(store, &v0, &error));
	enrol_patient(store, fixture, "P2", "Bob", 23);
	g_free(issue_feed_token(store, "P1", false, T0, NULL));
	assert_true(store_data_version(store, &v1, &error));
	assert_int_equal(v1, v0);

	other = open_store(fixture->db);
	enrol_patient(other, fixture, "P3", "Cy", 23);
	assert_true(store_data_version(store, &v2, &error));
	assert_int_not_equal(v2, v1);
	/* Reading the change does not move it again. */
	regimen_destroy(load_patient(store, "P3"));
	assert_true(store_data_version(store, &v3, &error));
	assert_int_equal(v3, v2);

	/* A write by a program that is not dosed at all. */
	store_close(other);
	sql_exec(fixture->db, "INSERT INTO feed_event VALUES ('k', 'f', 0, 1)");
	assert_true(store_data_version(store, &v4, &error));
	assert_int_not_equal(v4, v3);
	store_close(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_fresh_0600_umask_022),
		STORE_TEST(test_fresh_0600_umask_077),
		STORE_TEST(test_fresh_0660_umask_022),
		STORE_TEST(test_fresh_0660_umask_077),
		STORE_TEST(test_reopen_keeps_data),
		STORE_TEST(test_not_sqlite_refused),
		STORE_TEST(test_foreign_sqlite_refused),
		STORE_TEST(test_newer_schema_refused),
		STORE_TEST(test_empty_file_adopted),
		STORE_TEST(test_folder_cannot_be_made),
		STORE_TEST(test_write_needs_transaction),
		STORE_TEST(test_locked_database),
		STORE_TEST(test_rollback_leaves_nothing),
		STORE_TEST(test_read_only_database),
		STORE_TEST(test_data_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
