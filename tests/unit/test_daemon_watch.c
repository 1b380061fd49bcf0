/* test_daemon_watch.c - the change watch reports writes to the database
 * and its -wal file, a -wal file made anew, a database renamed into
 * place, and nothing else in the folder (SPEC 4, Changes). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "watch.h"

#include "helpers.h"

typedef struct {
	char *dir;
	char *db;
	int changes;
} Fixture;

static int setup(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);

	fixture->dir = g_dir_make_tmp("dosed-watch-XXXXXX", NULL);
	if (!fixture->dir)
		return -1;
	fixture->db = g_build_filename(fixture->dir, "dosed.db", NULL);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	Fixture *fixture = *state;

	remove_tree(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->db);
	g_free(fixture);
	return 0;
}

static void on_change(void *data)
{
	Fixture *fixture = data;

	fixture->changes++;
}

static void write_file(const Fixture *fixture, const char *name, const char *text)
{
	char *path = g_build_filename(fixture->dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
}

static void append_file(const Fixture *fixture, const char *name)
{
	char *path = g_build_filename(fixture->dir, name, NULL);
	FILE *file = fopen(path, "a");

	assert_non_null(file);
	fputs("page", file);
	fclose(file);
	g_free(path);
}

static gboolean on_timeout(gpointer data)
{
	bool *timed_out = data;

	*timed_out = true;
	return G_SOURCE_REMOVE;
}

/* Run the main loop until the change callback has run, or fail after 5 s:
 * a bounded wait for the event, never a fixed sleep. */
static void wait_for_change(Fixture *fixture)
{
	int before = fixture->changes;
	bool timed_out = false;
	guint timeout = g_timeout_add_seconds(5, on_timeout, &timed_out);

	while (fixture->changes == before && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (timed_out)
		fail_msg("no change reported within 5 s");
	g_source_remove(timeout);
}

/* Deliver whatever is pending.  inotify queues an event before the write
 * that caused it returns, so nothing can still be on its way after this. */
static void drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void test_database_written(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	Watch *watch;

	write_file(fixture, "dosed.db", "x");
	watch = watch_create(fixture->db, on_change, fixture, &error);
	assert_non_null(watch);
	drain();
	assert_int_equal(fixture->changes, 0);

	append_file(fixture, "dosed.db");
	wait_for_change(fixture);
	drain();
	/* One append, one open-write-close: reported as one batch or two,
	 * never as one call per event read. */
	assert_in_range(fixture->changes, 1, 2);
	watch_destroy(watch);
}

static void test_wal_created_and_written(void **state)
{
	Fixture *fixture = *state;
	Watch *watch = watch_create(fixture->db, on_change, fixture, NULL);

	assert_non_null(watch);
	/* The -wal file comes and goes: a new one is seen. */
	write_file(fixture, "dosed.db-wal", "frames");
	wait_for_change(fixture);
	drain();
	fixture->changes = 0;
	append_file(fixture, "dosed.db-wal");
	wait_for_change(fixture);
	watch_destroy(watch);
}

static void test_database_renamed_into_place(void **state)
{
	Fixture *fixture = *state;
	char *backup = g_build_filename(fixture->dir, "restore.tmp", NULL);
	Watch *watch;

	write_file(fixture, "restore.tmp", "backup");
	watch = watch_create(fixture->db, on_change, fixture, NULL);
	assert_non_null(watch);
	drain();
	assert_int_equal(fixture->changes, 0);
	assert_int_equal(g_rename(backup, fixture->db), 0);
	wait_for_change(fixture);
	watch_destroy(watch);
	g_free(backup);
}

static void test_other_files_ignored(void **state)
{
	Fixture *fixture = *state;
	Watch *watch = watch_create(fixture->db, on_change, fixture, NULL);

	assert_non_null(watch);
	/* -shm is written through a mapping and never reported anyway;
	 * neither are other databases or the journal of another file. */
	write_file(fixture, "dosed.db-shm", "x");
	write_file(fixture, "other.db", "x");
	write_file(fixture, "other.db-wal", "x");
	write_file(fixture, "dosed.db-journal", "x");
	write_file(fixture, "dosed.dbx", "x");
	drain();
	assert_int_equal(fixture->changes, 0);
	watch_destroy(watch);
}

static void test_destroyed_watch_is_quiet(void **state)
{
	Fixture *fixture = *state;
	Watch *watch = watch_create(fixture->db, on_change, fixture, NULL);

	assert_non_null(watch);
	watch_destroy(watch);
	write_file(fixture, "dosed.db", "x");
	drain();
	assert_int_equal(fixture->changes, 0);
	watch_destroy(NULL);
}

static void test_missing_folder(void **state)
{
	Fixture *fixture = *state;
	char *path = g_build_filename(fixture->dir, "gone", "dosed.db", NULL);
	GError *error = NULL;
	Watch *watch = watch_create(path, on_change, fixture, &error);

	assert_null(watch);
	assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	assert_non_null(strstr(error->message, "cannot watch the database's folder"));
	assert_non_null(strstr(error->message, "gone"));
	g_error_free(error);
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_database_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_created_and_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_renamed_into_place, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_files_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroyed_watch_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
