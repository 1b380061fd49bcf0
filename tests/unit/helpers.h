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
#include "feed_state.h"
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

/* One test of the store's: cmocka's test with the store fixture. */
#define STORE_TEST(name) \
	cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)

/* The schema this dosed writes (store_schema.c's store_migrations). */
#define SCHEMA_VERSION 5

/* A row of store_enrol_many() on the fixture's protocol, starting on
 * 2026-11-`day`. */
DosedEnrolment enrolment(const StoreFixture *fixture, const char *patient_id,
			 const char *name, const char *tz_name, int day);

/* The phase each counting dose of a regimen replays in, "0 1 ...". */
char *replayed_phases(const DosedRegimen *regimen);

/* Issue (or ask for) a feed token in a transaction of its own, as the
 * edges do: a new token made here, its hash given to the store.  The new
 * token's text, or NULL when the store kept the active one. */
char *issue_feed_token(DosedStore *store, const char *patient_id, bool rotate, gint64 now,
		       gint64 *issued_at);

/* A hash of the right form, for the calls the store refuses. */
extern const char some_hash[];

/* A state in the table, as a render leaves it (feed_state.h). */
DosedFeedEventState *put_state(GHashTable *states, const char *key,
			       const char *fingerprint, int sequence, gint64 changed_at,
			       bool dirty);

/* store_save_feed_states() in a transaction of its own, and
 * store_load_feed_states() into a new table. */
void save_states(DosedStore *store, GHashTable *states);
GHashTable *load_states(DosedStore *store);

/* Every row of a table, every column, as text ("NULL" for NULL), one row a
 * line in rowid (or key) order: what an auditor would compare.  `migrated`:
 * the table of a migrated database, read as it was before (the regimens'
 * protocol copies joined back in, the advances without after_dose_id). */
char *table_dump(const char *path, const char *table, bool migrated);

/* store_record_reminder() and store_record_snooze(), each in a
 * transaction of its own, and store_load_reminder_record(). */
void record_reminder(DosedStore *store, gint64 regimen_id, int ordinal,
		     DosedReminderKind kind, gint64 moment, gint64 now);
void record_snooze(DosedStore *store, gint64 regimen_id, int ordinal, gint64 until,
		   gint64 now);
DosedReminderRecord load_record(DosedStore *store, gint64 regimen_id, int ordinal);

#endif
