/* helpers.h - what the unit tests share (dunst's test/helpers.c): files in
 * temporary folders, the store's transactions, a second, raw SQLite
 * connection, and the fixture of the store's tests.  Linked into every
 * unit test.  Each helper fails the test (cmocka's fail_msg()) rather than
 * return an error: a test reads as the steps it takes.
 */
#ifndef DOSED_TEST_HELPERS_H
#define DOSED_TEST_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "error.h"
#include "protocol.h"
#include "store.h"

/* 2026-11-23T10:00:00Z, a Monday: the instant the tests reckon from. */
#define T0 G_GINT64_CONSTANT(1795428000)
#define HOUR G_GINT64_CONSTANT(3600)
#define DAY G_GINT64_CONSTANT(86400)

/* ---- files ------------------------------------------------------------ */

/* Remove a file or a folder and all it holds (made writable first, for
 * the tests that take write access away).  A symbolic link is removed,
 * never followed. */
void remove_tree(const char *path);
/* The whole content of a file. */
GBytes *file_bytes(const char *path);
/* The file's permission bits are exactly `mode`. */
void assert_file_mode(const char *path, mode_t mode);

/* ---- errors ----------------------------------------------------------- */

/* `error` is in DOSED_ERROR with `code`, and its message holds `words`. */
void assert_error(const GError *error, DosedErrorCode code, const char *words);

/* ---- the store -------------------------------------------------------- */

/* store_open() with mode 0600 and a busy timeout of a second. */
DosedStore *open_store(const char *path);
void begin_write(DosedStore *store);
void commit(DosedStore *store);
/* store_load_regimen(); free with regimen_destroy(). */
DosedRegimen *load_patient(DosedStore *store, const char *patient_id);

/* ---- a raw SQLite connection, as another program sees the file -------- */

/* The first column of the first row. */
gint64 sql_int(const char *path, const char *sql);
/* The same as text, newly allocated. */
char *sql_text(const char *path, const char *sql);
/* Run SQL (creating the file when missing); it must succeed. */
void sql_exec(const char *path, const char *sql);
/* Run SQL; SQLite's result code. */
int sql_try(const char *path, const char *sql);

/* ---- the store's tests (test_store*.c) -------------------------------- */

/* A fresh temporary folder and the protocol test_protocol_ini. */
typedef struct {
	char *folder;
	char *db;       /* folder/dosed.db, not created yet */
	DosedProtocol *protocol;
} StoreFixture;

/* [test-neuro]: an "until advanced" phase, then every 2 months for life. */
extern const char test_protocol_ini[];
/* Neither quotes, semicolons, backslashes nor non-ASCII letters may be
 * mangled (issue 2, "bad input"). */
extern const char odd_name[];

/* cmocka setup and teardown: *state is a StoreFixture. */
int store_fixture_setup(void **state);
int store_fixture_teardown(void **state);

/* Enrol a patient on the fixture's protocol in Europe/London, starting on
 * 2026-11-`day`, in a transaction of its own. */
void enrol_patient(DosedStore *store, const StoreFixture *fixture, const char *patient_id,
		   const char *name, int day);
/* Log dose `ordinal` (in the first phase) given at `given_at`, recorded a
 * minute later; its id. */
gint64 log_patient_dose(DosedStore *store, const char *patient_id, int ordinal,
			gint64 given_at, const char *site, const char *note);
/* Stop the patient's regimen at `at`. */
void stop_patient(DosedStore *store, const char *patient_id, gint64 at);

#endif
