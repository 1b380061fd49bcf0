/* helpers.c - what the unit tests share; see helpers.h. */
#include "helpers.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "schedule.h"
#include "timeutil.h"
#include "token.h"

/* ---- files ------------------------------------------------------------ */

void remove_tree(const char *path)
{
	GStatBuf info;
	GDir *dir;
	const char *name;

	if (g_lstat(path, &info) != 0)
		return;
	if (!S_ISDIR(info.st_mode)) {
		g_unlink(path);
		return;
	}
	g_chmod(path, 0700);
	dir = g_dir_open(path, 0, NULL);
	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(dir);
	}
	g_rmdir(path);
}

GBytes *file_bytes(const char *path)
{
	char *contents = NULL;
	gsize length = 0;

	assert_true(g_file_get_contents(path, &contents, &length, NULL));
	return g_bytes_new_take(contents, length);
}

void assert_file_mode(const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, g_strerror(errno));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s has mode %04o, expected %04o", path,
			 (unsigned)(st.st_mode & 07777), (unsigned)mode);
}

/* ---- errors ----------------------------------------------------------- */

void assert_error(const GError *error, DosedErrorCode code, const char *words)
{
	assert_non_null(error);
	assert_true(error->domain == DOSED_ERROR);
	if ((int)error->code != (int)code || !strstr(error->message, words))
		fail_msg("expected code %d with \"%s\", got code %d: %s", code, words,
			 error->code, error->message);
}

/* ---- the store -------------------------------------------------------- */

DosedStore *open_store(const char *path)
{
	GError *error = NULL;
	DosedStore *store = store_open(path, 0600, 1000, &error);

	if (!store)
		fail_msg("store_open: %s", error->message);
	return store;
}

void begin_write(DosedStore *store)
{
	GError *error = NULL;

	if (!store_begin(store, true, &error))
		fail_msg("store_begin: %s", error->message);
}

void commit(DosedStore *store)
{
	GError *error = NULL;

	if (!store_commit(store, &error))
		fail_msg("store_commit: %s", error->message);
}

DosedRegimen *load_patient(DosedStore *store, const char *patient_id)
{
	GError *error = NULL;
	DosedRegimen *regimen = store_load_regimen(store, patient_id, &error);

	if (!regimen)
		fail_msg("store_load_regimen: %s", error->message);
	return regimen;
}

/* ---- a raw SQLite connection ------------------------------------------ */

/* The first row of a query, stepped. */
static sqlite3_stmt *sql_first_row(const char *path, const char *sql, sqlite3 **db)
{
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(*db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(*db));
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	return stmt;
}

gint64 sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = sql_first_row(path, sql, &db);
	gint64 value = sqlite3_column_int64(stmt, 0);

	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

char *sql_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = sql_first_row(path, sql, &db);
	char *value = g_strdup((const char *)sqlite3_column_text(stmt, 0));

	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *message = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
	sqlite3_close(db);
}

int sql_try(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_extended_result_codes(db, 1);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* ---- the store's tests ------------------------------------------------ */

const char test_protocol_ini[] =
	"[test-neuro]\n"
	"title  = Test protocol\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = initial: alternate days until advanced\n"
	"phase  = maintenance: every 2 months for life\n";

const char odd_name[] = "O'Brien, Jo; \"Jr\" \\ \xc3\x9cnal";

int store_fixture_setup(void **state)
{
	StoreFixture *fixture = g_new0(StoreFixture, 1);
	GError *error = NULL;

	fixture->folder = g_dir_make_tmp("dosed-store-XXXXXX", &error);
	assert_non_null(fixture->folder);
	fixture->db = g_build_filename(fixture->folder, "dosed.db", NULL);
	fixture->protocol = protocol_from_ini(test_protocol_ini, "test", &error);
	if (!fixture->protocol)
		fail_msg("protocol_from_ini: %s", error->message);
	*state = fixture;
	return 0;
}

int store_fixture_teardown(void **state)
{
	StoreFixture *fixture = *state;

	remove_tree(fixture->folder);
	g_free(fixture->folder);
	g_free(fixture->db);
	protocol_destroy(fixture->protocol);
	g_free(fixture);
	return 0;
}

void enrol_patient(DosedStore *store, const StoreFixture *fixture, const char *patient_id,
		   const char *name, int day)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_enrol(store, patient_id, name, "Europe/London", fixture->protocol,
			 date_from_ymd(2026, 11, day), "nurse", T0, &error))
		fail_msg("store_enrol: %s", error->message);
	commit(store);
}

gint64 log_patient_dose(DosedStore *store, const char *patient_id, int ordinal,
			gint64 given_at, const char *site, const char *note)
{
	DosedRegimen *regimen;
	DosedPlannedDose as = { .ordinal = ordinal, .phase_index = 0,
				.dose_in_phase = ordinal };
	GError *error = NULL;
	gint64 dose_id = 0;

	begin_write(store);
	regimen = load_patient(store, patient_id);
	if (!store_log_dose(store, regimen, &as, given_at, site, note, false, "patient",
			    given_at + 60, &dose_id, &error))
		fail_msg("store_log_dose: %s", error->message);
	commit(store);
	regimen_destroy(regimen);
	return dose_id;
}

void stop_patient(DosedStore *store, const char *patient_id, gint64 at)
{
	DosedRegimen *regimen;
	GError *error = NULL;

	begin_write(store);
	regimen = load_patient(store, patient_id);
	if (!store_stop(store, regimen, "doctor", at, &error))
		fail_msg("store_stop: %s", error->message);
	commit(store);
	regimen_destroy(regimen);
}

DosedEnrolment enrolment(const StoreFixture *fixture, const char *patient_id,
			 const char *name, const char *tz_name, int day)
{
	return (DosedEnrolment){
		.patient_id = patient_id,
		.name = name,
		.tz_name = tz_name,
		.protocol = fixture->protocol,
		.start = date_from_ymd(2026, 11, day),
	};
}

/* The phase each counting dose of a regimen replays in, "0 1 ...". */
char *replayed_phases(const DosedRegimen *regimen)
{
	DosedDoseOutcome *outcomes = g_new0(DosedDoseOutcome, MAX(regimen->view.n_doses, 1));
	GString *out = g_string_new(NULL);

	schedule_replay(&regimen->view, outcomes);
	for (size_t i = 0; i < regimen->view.n_doses; i++)
		g_string_append_printf(out, "%s%d", i ? " " : "", outcomes[i].phase_index);
	g_free(outcomes);
	return g_string_free(out, FALSE);
}

/* Issue (or ask for) a feed token in a transaction of its own, as the
 * edges do: a new token made here, its hash given to the store.  The new
 * token's text, or NULL when the store kept the active one. */
char *issue_feed_token(DosedStore *store, const char *patient_id, bool rotate, gint64 now,
		       gint64 *issued_at)
{
	GError *error = NULL;
	char token[DOSED_TOKEN_TEXT_LEN + 1];
	char hash[DOSED_TOKEN_HASH_LEN + 1];
	bool issued = false;
	gint64 when = -1;

	if (!token_generate(token, &error))
		fail_msg("token_generate: %s", error->message);
	token_hash(token, DOSED_TOKEN_TEXT_LEN, hash);
	begin_write(store);
	if (!store_issue_feed_token(store, patient_id, hash, rotate, "nurse", now, &issued,
				    &when, &error))
		fail_msg("store_issue_feed_token: %s", error->message);
	commit(store);
	if (issued_at)
		*issued_at = when;
	return issued ? g_strdup(token) : NULL;
}

const char some_hash[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* A state in the table, as a render leaves it (feed_state.h). */
DosedFeedEventState *put_state(GHashTable *states, const char *key,
			       const char *fingerprint, int sequence, gint64 changed_at,
			       bool dirty)
{
	return feed_states_put(states, key, fingerprint, sequence, changed_at, dirty);
}

void save_states(DosedStore *store, GHashTable *states)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_save_feed_states(store, states, &error))
		fail_msg("store_save_feed_states: %s", error->message);
	commit(store);
}

GHashTable *load_states(DosedStore *store)
{
	GHashTable *states = feed_states_create();
	GError *error = NULL;

	if (!store_load_feed_states(store, states, &error))
		fail_msg("store_load_feed_states: %s", error->message);
	return states;
}

/* Schema 4 keeps each regimen's protocol copy in protocol_copy: the regimen
 * table as schema 3 and before held it, column for column. */
#define REGIMEN_AS_V3 \
	"SELECT r.id, r.patient_id, r.protocol_id, c.text AS protocol_text, r.start_date," \
	" r.enrolled_at, r.enrolled_by, r.stopped_at, r.stopped_by" \
	" FROM regimen r JOIN protocol_copy c ON c.id = r.protocol_copy_id"

/* Schema 5 adds after_dose_id to advance: the table as schema 4 and before
 * held it, column for column. */
#define ADVANCE_AS_V4 \
	"SELECT id, regimen_id, phase_index, advanced_at, advanced_by FROM advance"

/* Every row of a table, every column, as text ("NULL" for NULL), one row a
 * line in rowid (or key) order: what an auditor would compare.  `migrated`:
 * the table of a migrated database, read as it was before (the regimens'
 * protocol copies joined back in, the advances without after_dose_id). */
char *table_dump(const char *path, const char *table, bool migrated)
{
	g_autofree char *sql = migrated && strcmp(table, "regimen") == 0 ?
		g_strdup("SELECT * FROM (" REGIMEN_AS_V3 ") ORDER BY 1") :
		migrated && strcmp(table, "advance") == 0 ?
		g_strdup("SELECT * FROM (" ADVANCE_AS_V4 ") ORDER BY 1") :
		g_strdup_printf("SELECT * FROM \"%s\" ORDER BY 1", table);
	GString *out = g_string_new(NULL);
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(stmt); i++) {
			const char *text = (const char *)sqlite3_column_text(stmt, i);

			g_string_append_printf(out, "%s%s", i ? "|" : "", text ? text : "NULL");
		}
		g_string_append_c(out, '\n');
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return g_string_free(out, FALSE);
}

void record_reminder(DosedStore *store, gint64 regimen_id, int ordinal,
		     DosedReminderKind kind, gint64 moment, gint64 now)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_record_reminder(store, regimen_id, ordinal, kind, moment, now, &error))
		fail_msg("store_record_reminder: %s", error->message);
	commit(store);
}

void record_snooze(DosedStore *store, gint64 regimen_id, int ordinal, gint64 until,
		   gint64 now)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_record_snooze(store, regimen_id, ordinal, until, now, &error))
		fail_msg("store_record_snooze: %s", error->message);
	commit(store);
}

DosedReminderRecord load_record(DosedStore *store, gint64 regimen_id, int ordinal)
{
	DosedReminderRecord record = { -1, -1 };
	GError *error = NULL;

	if (!store_load_reminder_record(store, regimen_id, ordinal, &record, &error))
		fail_msg("store_load_reminder_record: %s", error->message);
	return record;
}
