/* test_store.c - the SQLite store (SPEC section 5) on real files.
 *
 * Each test gets a fresh temporary folder; a second, raw SQLite connection
 * looks at the file the way another program (or an auditor) would.
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

/* The schema this dosed writes (store_schema.c's store_migrations). */
#define SCHEMA_VERSION 5

/* ---- creating and opening --------------------------------------------- */

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

/* ---- enrolment and loading --------------------------------------------- */

static void test_enrol_load_round_trip(void **state)
{
	StoreFixture *fixture = *state;
	static const char odd_id[] = "MRN-1'; DROP TABLE patient; --";
	static const char note[] = "line one\nline two; 'quoted' \"too\" \xc3\xa9";
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;
	const DosedDose *dose;
	const DosedDoseEvent *event;
	g_autofree char *stored_text = NULL;
	g_autofree char *expected_text = protocol_to_ini(fixture->protocol);
	gint64 dose_id;

	enrol_patient(store, fixture, odd_id, odd_name, 23);
	dose_id = log_patient_dose(store, odd_id, 1, T0 + 3600, "left deltoid", note);
	assert_true(dose_id > 0);

	regimen = load_patient(store, odd_id);
	assert_string_equal(regimen->patient_id, odd_id);
	assert_string_equal(regimen->name, odd_name);
	assert_string_equal(regimen->tz_name, "Europe/London");
	assert_non_null(regimen->tz);
	assert_string_equal(regimen->protocol_id, "test-neuro");
	assert_string_equal(regimen->protocol->id, "test-neuro");
	assert_int_equal(regimen->protocol->n_phases, 2);
	assert_string_equal(regimen->protocol->phases[0].name, "initial");
	assert_int_equal(regimen->protocol->phases[0].end, DOSED_END_ADVANCED);
	assert_int_equal(regimen->protocol->phases[1].every_min, 2);
	assert_int_equal(regimen->protocol->phases[1].unit, DOSED_UNIT_MONTH);
	assert_int_equal(regimen->start, date_from_ymd(2026, 11, 23));
	assert_int_equal(regimen->enrolled_at, T0);
	assert_string_equal(regimen->enrolled_by, "nurse");
	assert_int_equal(regimen->stopped_at, 0);
	assert_null(regimen->stopped_by);

	assert_int_equal(regimen->doses->len, 1);
	dose = g_ptr_array_index(regimen->doses, 0);
	assert_int_equal(dose->id, dose_id);
	assert_int_equal(dose->ordinal, 1);
	assert_int_equal(dose->phase_index, 0);
	assert_int_equal(dose->given_at, T0 + 3600);
	assert_string_equal(dose->site, "left deltoid");
	assert_string_equal(dose->note, note);
	assert_false(dose->forced);
	assert_int_equal(dose->logged_at, T0 + 3660);
	assert_string_equal(dose->logged_by, "patient");
	assert_int_equal(dose->voided_at, 0);

	/* The engine's view points into the regimen itself. */
	assert_int_equal(regimen->dose_events->len, 1);
	event = &g_array_index(regimen->dose_events, DosedDoseEvent, 0);
	assert_int_equal(event->given_at, T0 + 3600);
	assert_int_equal(event->ordinal, 1);
	assert_ptr_equal(event->site, dose->site);
	assert_ptr_equal(regimen->view.doses, event);
	assert_int_equal(regimen->view.n_doses, 1);
	assert_int_equal(regimen->view.n_advances, 0);
	assert_ptr_equal(regimen->view.protocol, regimen->protocol);
	assert_ptr_equal(regimen->view.tz, regimen->tz);
	assert_int_equal(regimen->view.start, regimen->start);
	assert_int_equal(regimen->view.stopped_at, 0);
	regimen_destroy(regimen);
	store_close(store);

	/* SPEC 1: the regimen keeps the protocol's text as enrolled. */
	stored_text = sql_text(fixture->db, "SELECT c.text FROM regimen r"
			       " JOIN protocol_copy c ON c.id = r.protocol_copy_id");
	assert_string_equal(stored_text, expected_text);
}

static void test_unknown_patient(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	assert_null(store_load_regimen(store, "nobody", &error));
	/* The edges add their hint ("see 'dosectl patients'"). */
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'nobody'");
	assert_true(dosed_error_is(error, DOSED_ERROR_NOT_FOUND));
	assert_null(strstr(error->message, "dosectl"));
	g_error_free(error);
	store_close(store);
}

static void test_duplicate_enrol_refused(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	begin_write(store);
	assert_false(store_enrol(store, "P1", "Ann", "Europe/London", fixture->protocol,
				 date_from_ymd(2026, 12, 1), "nurse", T0 + DAY, &error));
	assert_error(error, DOSED_ERROR_EXISTS,
		     "patient 'P1' is already enrolled (on test-neuro since 2026-11-23); "
		     "stop that regimen first");
	g_error_free(error);
	commit(store);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 1);
}

static void test_reenrol_after_stop(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *first, *second;
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	log_patient_dose(store, "P1", 1, T0, NULL, NULL);
	first = load_patient(store, "P1");
	stop_patient(store, "P1", T0 + 10 * DAY);

	/* The patient row is kept as it is: another name is refused. */
	begin_write(store);
	assert_false(store_enrol(store, "P1", "Anne", "Europe/London", fixture->protocol,
				 date_from_ymd(2026, 12, 7), "nurse", T0 + 14 * DAY, &error));
	assert_error(error, DOSED_ERROR_REFUSED, "is on record as 'Ann' in Europe/London");
	g_clear_error(&error);
	store_rollback(store);

	begin_write(store);
	if (!store_enrol(store, "P1", "Ann", "Europe/London", fixture->protocol,
			 date_from_ymd(2026, 12, 7), "nurse", T0 + 14 * DAY, &error))
		fail_msg("store_enrol: %s", error->message);
	commit(store);

	second = load_patient(store, "P1");
	assert_true(second->regimen_id > first->regimen_id);
	assert_int_equal(second->start, date_from_ymd(2026, 12, 7));
	assert_int_equal(second->stopped_at, 0);
	assert_int_equal(second->doses->len, 0);
	assert_int_equal(second->view.n_doses, 0);
	regimen_destroy(first);
	regimen_destroy(second);
	store_close(store);

	/* The stopped regimen and its dose are kept. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 2);
	assert_int_equal(sql_int(fixture->db,
				 "SELECT stopped_at FROM regimen ORDER BY id LIMIT 1"),
			 T0 + 10 * DAY);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 1);
}

/* ---- store_enrol_many (dosectl import) ----------------------------------- */

static DosedEnrolment enrolment(const StoreFixture *fixture, const char *patient_id,
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

static void clear_enrolments(DosedEnrolment *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g_clear_error(&rows[i].error);
}

/* Every row enrolled, as store_enrol() would: patients, regimens on one
 * stored copy of their shared protocol, one audit row each. */
static void test_enrol_many(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedEnrolment rows[] = {
		enrolment(fixture, "P1", "Ann", "Europe/London", 23),
		enrolment(fixture, "P2", odd_name, "Asia/Tokyo", 24),
		enrolment(fixture, "P3", "Cy", NULL, 25),
	};
	g_autofree char *audit = NULL;
	GError *error = NULL;
	DosedRegimen *regimen;

	begin_write(store);
	if (!store_enrol_many(store, rows, G_N_ELEMENTS(rows), "nurse", T0, &error))
		fail_msg("store_enrol_many: %s", error->message);
	commit(store);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		assert_null(rows[i].error);

	regimen = load_patient(store, "P2");
	assert_string_equal(regimen->name, odd_name);
	assert_string_equal(regimen->tz_name, "Asia/Tokyo");
	assert_int_equal(regimen->start, date_from_ymd(2026, 11, 24));
	assert_string_equal(regimen->protocol->phases[0].name, "initial");
	regimen_destroy(regimen);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 1);
	audit = sql_text(fixture->db, "SELECT group_concat(action || ' ' || patient_id || ' '"
			 " || regimen_id || ' ' || actor || ' ' || at, ', ') FROM audit");
	assert_string_equal(audit, "enrol P1 1 nurse 1795428000, enrol P2 2 nurse 1795428000,"
			    " enrol P3 3 nurse 1795428000");
	/* No zone given: the machine's, as store_enrol() does. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient WHERE id = 'P3'"
				 " AND tz <> ''"), 1);
}

/* All or nothing: one refused row (an unknown zone) and nothing is
 * written; the refused row carries the error store_enrol() gives, the
 * others none. */
static void test_enrol_many_all_or_nothing(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedEnrolment rows[] = {
		enrolment(fixture, "P1", "Ann", "Europe/London", 23),
		enrolment(fixture, "P2", "Bob", "Mars/Olympus_Mons", 23),
		enrolment(fixture, "P3", "Cy", "Europe/London", 23),
		enrolment(fixture, "P4", NULL, "Europe/London", 23),
	};
	GError *error = NULL, *single = NULL;

	begin_write(store);
	assert_false(store_enrol_many(store, rows, G_N_ELEMENTS(rows), "nurse", T0, &error));
	assert_error(error, DOSED_ERROR_REFUSED,
		     "2 of the 4 patients cannot be enrolled; correct them and try again");
	g_clear_error(&error);
	assert_null(rows[0].error);
	assert_null(rows[2].error);
	assert_false(store_enrol(store, "P2", "Bob", "Mars/Olympus_Mons", fixture->protocol,
				 date_from_ymd(2026, 11, 23), "nurse", T0, &single));
	assert_non_null(rows[1].error);
	assert_int_equal(rows[1].error->code, single->code);
	assert_string_equal(rows[1].error->message, single->message);
	g_clear_error(&single);
	assert_error(rows[3].error, DOSED_ERROR_INVALID, "patient 'P4' is new and needs a name");
	clear_enrolments(rows, G_N_ELEMENTS(rows));
	commit(store);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 0);
}

/* A patient already enrolled, and an id given twice: the refused row says
 * so as store_enrol() would, and nothing is written.  (dosectl import
 * names a repeated id by the line it is first on, before the store.) */
static void test_enrol_many_repeated_id(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedEnrolment enrolled[] = {
		enrolment(fixture, "P0", "Zed", "Europe/London", 24),
		enrolment(fixture, "P1", "Ann", "Europe/London", 24),
	};
	DosedEnrolment twice[] = {
		enrolment(fixture, "P2", "Bob", "Europe/London", 24),
		enrolment(fixture, "P2", "Bob", "Europe/London", 25),
	};
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	begin_write(store);
	assert_false(store_enrol_many(store, enrolled, G_N_ELEMENTS(enrolled), "nurse", T0,
				      &error));
	assert_error(error, DOSED_ERROR_REFUSED, "1 of the 2 patients cannot be enrolled");
	g_clear_error(&error);
	assert_null(enrolled[0].error);
	assert_error(enrolled[1].error, DOSED_ERROR_EXISTS,
		     "patient 'P1' is already enrolled (on test-neuro since 2026-11-23); "
		     "stop that regimen first or use another id");
	clear_enrolments(enrolled, G_N_ELEMENTS(enrolled));

	assert_false(store_enrol_many(store, twice, G_N_ELEMENTS(twice), "nurse", T0, &error));
	assert_error(error, DOSED_ERROR_REFUSED, "1 of the 2 patients cannot be enrolled");
	g_clear_error(&error);
	assert_null(twice[0].error);
	assert_error(twice[1].error, DOSED_ERROR_EXISTS,
		     "patient 'P2' is already enrolled (on test-neuro since 2026-11-24)");
	clear_enrolments(twice, G_N_ELEMENTS(twice));
	commit(store);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 1);
}

/* A returning patient (regimen stopped) starts a new regimen, keeping the
 * name and zone on record, which a row may leave out; a row naming them
 * otherwise is refused as store_enrol() refuses it. */
static void test_enrol_many_returning_patient(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedEnrolment refused[] = {
		enrolment(fixture, "P1", "Anne", NULL, 30),
	};
	DosedEnrolment rows[] = {
		enrolment(fixture, "P1", NULL, NULL, 30),
		enrolment(fixture, "P2", "Bob", "Europe/Paris", 30),
	};
	g_autofree char *detail = NULL;
	GError *error = NULL;
	DosedRegimen *regimen;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	stop_patient(store, "P1", T0 + DAY);

	begin_write(store);
	assert_false(store_enrol_many(store, refused, 1, "nurse", T0 + 2 * DAY, &error));
	g_clear_error(&error);
	assert_error(refused[0].error, DOSED_ERROR_REFUSED,
		     "patient 'P1' is on record as 'Ann' in Europe/London");
	clear_enrolments(refused, 1);
	store_rollback(store);

	begin_write(store);
	if (!store_enrol_many(store, rows, G_N_ELEMENTS(rows), "nurse", T0 + 2 * DAY, &error))
		fail_msg("store_enrol_many: %s", error->message);
	commit(store);
	regimen = load_patient(store, "P1");
	assert_string_equal(regimen->name, "Ann");
	assert_string_equal(regimen->tz_name, "Europe/London");
	assert_int_equal(regimen->start, date_from_ymd(2026, 11, 30));
	assert_int_equal(regimen->stopped_at, 0);
	regimen_destroy(regimen);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen WHERE patient_id = 'P1'"),
			 2);
	/* The audit row names the patient as on record. */
	detail = sql_text(fixture->db, "SELECT detail FROM audit WHERE action = 'enrol'"
			  " AND patient_id = 'P1' ORDER BY id DESC LIMIT 1");
	assert_string_equal(detail, "{\"protocol\":\"test-neuro\",\"start\":\"2026-11-30\","
			    "\"name\":\"Ann\",\"tz\":\"Europe/London\"}");
}

/* A repeated id is refused as already enrolled by its first accepted row,
 * even after an earlier row was refused (all rows are checked before any
 * is written), and a refused import leaves the connection ready for the
 * next one. */
static void test_enrol_many_repeated_after_refusal(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedEnrolment rows[] = {
		enrolment(fixture, "P1", "Ann", "Mars/Olympus_Mons", 23),
		enrolment(fixture, "P2", "Bob", "Europe/London", 24),
		enrolment(fixture, "P2", "Bob", "Europe/London", 25),
	};
	DosedEnrolment good[] = {
		enrolment(fixture, "P2", "Bob", "Europe/London", 24),
	};
	GError *error = NULL;

	begin_write(store);
	assert_false(store_enrol_many(store, rows, G_N_ELEMENTS(rows), "nurse", T0, &error));
	assert_error(error, DOSED_ERROR_REFUSED, "2 of the 3 patients cannot be enrolled");
	g_clear_error(&error);
	assert_non_null(rows[0].error);
	assert_null(rows[1].error);
	assert_error(rows[2].error, DOSED_ERROR_EXISTS,
		     "patient 'P2' is already enrolled (on test-neuro since 2026-11-24); "
		     "stop that regimen first or use another id");
	clear_enrolments(rows, G_N_ELEMENTS(rows));
	if (!store_enrol_many(store, good, 1, "nurse", T0, &error))
		fail_msg("store_enrol_many: %s", error->message);
	commit(store);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 1);
}

/* Regimens are numbered on from those already stored, in the rows' order,
 * and each audit row names its own regimen and the patient as on record,
 * as store_enrol() one row at a time would. */
static void test_enrol_many_ids_follow_stored(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedEnrolment rows[] = {
		enrolment(fixture, "P3", "Cy", "Asia/Tokyo", 25),
		enrolment(fixture, "P1", NULL, NULL, 26),
		enrolment(fixture, "P4", "Di", NULL, 27),
	};
	g_autofree char *regimens = NULL;
	g_autofree char *audit = NULL;
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	enrol_patient(store, fixture, "P2", "Bob", 23);
	stop_patient(store, "P1", T0 + DAY);

	begin_write(store);
	if (!store_enrol_many(store, rows, G_N_ELEMENTS(rows), "nurse", T0 + 2 * DAY, &error))
		fail_msg("store_enrol_many: %s", error->message);
	commit(store);
	store_close(store);

	regimens = sql_text(fixture->db, "SELECT group_concat(id || ' ' || patient_id || ' '"
			    " || start_date, ', ') FROM (SELECT * FROM regimen ORDER BY id)");
	assert_string_equal(regimens, "1 P1 2026-11-23, 2 P2 2026-11-23, 3 P3 2026-11-25,"
			    " 4 P1 2026-11-26, 5 P4 2026-11-27");
	audit = sql_text(fixture->db, "SELECT group_concat(patient_id || ' ' || regimen_id || ' '"
			 " || (detail ->> 'name') || ' ' || (detail ->> 'start'), ', ') FROM"
			 " (SELECT * FROM audit WHERE action = 'enrol' AND at > 1795428000"
			 " ORDER BY id)");
	assert_string_equal(audit, "P3 3 Cy 2026-11-25, P1 4 Ann 2026-11-26, P4 5 Di 2026-11-27");
	/* A returning patient's row is not written again. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 4);
}

/* ---- the order things were recorded ------------------------------------ */

/* The phase each counting dose of a regimen replays in, "0 1 ...". */
static char *replayed_phases(const DosedRegimen *regimen)
{
	DosedDoseOutcome *outcomes = g_new0(DosedDoseOutcome, MAX(regimen->view.n_doses, 1));
	GString *out = g_string_new(NULL);

	schedule_replay(&regimen->view, outcomes);
	for (size_t i = 0; i < regimen->view.n_doses; i++)
		g_string_append_printf(out, "%s%d", i ? " " : "", outcomes[i].phase_index);
	g_free(outcomes);
	return g_string_free(out, FALSE);
}

/* Log a dose given at `at`, at `at`, as the engine places it. */
static gint64 log_now(DosedStore *store, const char *patient_id, gint64 at, bool force,
		      const char *site, DosedPlannedDose *as)
{
	DosedRegimen *regimen;
	GError *error = NULL;
	gint64 dose_id = 0;

	begin_write(store);
	regimen = load_patient(store, patient_id);
	if (!schedule_check_log(&regimen->view, at, at, force, as, &error) ||
	    !store_log_dose(store, regimen, as, at, site, NULL, force, "patient", at, &dose_id,
			    &error))
		fail_msg("logging a dose: %s", error->message);
	commit(store);
	regimen_destroy(regimen);
	return dose_id;
}

static void advance_now(DosedStore *store, const char *patient_id, gint64 at)
{
	DosedRegimen *regimen;
	GError *error = NULL;
	int phase;

	begin_write(store);
	regimen = load_patient(store, patient_id);
	if (!schedule_check_advance(&regimen->view, at, &phase, &error) ||
	    !store_advance(store, regimen, phase, "doctor", at, &error))
		fail_msg("advancing: %s", error->message);
	commit(store);
	regimen_destroy(regimen);
}

/* Issue 12: `dosectl log && dosectl advance` in one second.  The dose was
 * logged in the "until advanced" phase, and must stay there when the
 * regimen is loaded again; an advance made first, in the same second,
 * comes first.  Two doses given at the same second load in the order
 * they were logged. */
static void test_same_second_in_recorded_order(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;
	DosedPlannedDose as;
	DosedNextDose next;
	g_autofree char *phases = NULL;
	gint64 first, second;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	enrol_patient(store, fixture, "P2", "Bob", 23);
	log_now(store, "P1", T0, false, NULL, &as);
	second = log_now(store, "P1", T0 + 2 * DAY, false, NULL, &as);
	assert_int_equal(as.phase_index, 0);
	assert_int_equal(as.dose_in_phase, 2);
	advance_now(store, "P1", T0 + 2 * DAY);

	regimen = load_patient(store, "P1");
	assert_int_equal(regimen->view.advances[0].after_dose, second);
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	/* Maintenance counts from the second dose: 25 Nov + 2 months. */
	schedule_next_dose(&regimen->view, T0 + 2 * DAY, &next);
	assert_int_equal(next.dose.phase_index, 1);
	assert_int_equal(next.dose.ordinal, 3);
	assert_int_equal(next.dose.due, date_from_ymd(2027, 1, 25));
	regimen_destroy(regimen);

	/* The other way round: advanced, then a dose logged that second. */
	log_now(store, "P2", T0, false, NULL, &as);
	advance_now(store, "P2", T0 + 2 * DAY);
	log_now(store, "P2", T0 + 2 * DAY, true, NULL, &as);
	assert_int_equal(as.phase_index, 1);
	regimen = load_patient(store, "P2");
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 1");
	g_clear_pointer(&phases, g_free);
	regimen_destroy(regimen);

	/* Two doses the same second (the second forced): in the order
	 * logged, so the later one's site is the last used. */
	enrol_patient(store, fixture, "P3", "Cy", 23);
	first = log_now(store, "P3", T0, false, "right thigh", &as);
	second = log_now(store, "P3", T0, true, "left thigh", &as);
	regimen = load_patient(store, "P3");
	assert_int_equal(regimen->view.n_doses, 2);
	assert_int_equal(regimen->view.doses[0].id, first);
	assert_int_equal(regimen->view.doses[1].id, second);
	assert_string_equal(regimen->view.doses[1].site, "left thigh");
	regimen_destroy(regimen);
	store_close(store);
}

/* ---- changes and their audit rows -------------------------------------- */

static void test_audit_rows(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;
	GError *error = NULL;
	char *owner = NULL;
	gint64 dose_id;
	g_autofree char *actions = NULL;
	g_autofree char *reason = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	dose_id = log_patient_dose(store, "P1", 1, T0, "left thigh", NULL);

	begin_write(store);
	if (!store_void_dose(store, dose_id, "wrong patient; re-entered", "nurse", T0 + 100,
			     &owner, &error))
		fail_msg("store_void_dose: %s", error->message);
	commit(store);
	assert_string_equal(owner, "P1");
	g_free(owner);

	begin_write(store);
	regimen = load_patient(store, "P1");
	if (!store_advance(store, regimen, 0, "doctor", T0 + 200, &error))
		fail_msg("store_advance: %s", error->message);
	commit(store);
	regimen_destroy(regimen);

	stop_patient(store, "P1", T0 + 300);

	regimen = load_patient(store, "P1");
	assert_int_equal(regimen->doses->len, 1);
	assert_int_equal(((DosedDose *)g_ptr_array_index(regimen->doses, 0))->voided_at,
			 T0 + 100);
	assert_string_equal(((DosedDose *)g_ptr_array_index(regimen->doses, 0))->void_reason,
			    "wrong patient; re-entered");
	assert_int_equal(regimen->view.n_doses, 0);
	assert_int_equal(regimen->view.n_advances, 1);
	assert_int_equal(regimen->view.advances[0].phase_index, 0);
	assert_int_equal(regimen->view.advances[0].at, T0 + 200);
	assert_int_equal(regimen->stopped_at, T0 + 300);
	assert_string_equal(regimen->stopped_by, "doctor");
	assert_int_equal(regimen->view.stopped_at, T0 + 300);
	regimen_destroy(regimen);
	store_close(store);

	actions = sql_text(fixture->db,
			   "SELECT group_concat(action || ':' || actor || ':' || at, ' ')"
			   " FROM (SELECT * FROM audit ORDER BY id)");
	assert_string_equal(actions, "enrol:nurse:1795428000 log:patient:1795428060 "
			    "void:nurse:1795428100 advance:doctor:1795428200 "
			    "stop:doctor:1795428300");
	assert_int_equal(sql_int(fixture->db,
				 "SELECT count(*) FROM audit WHERE dose_id IS NOT NULL"), 2);
	reason = sql_text(fixture->db,
			  "SELECT json_extract(detail, '$.reason') FROM audit WHERE action = 'void'");
	assert_string_equal(reason, "wrong patient; re-entered");
}

static void test_void_twice_and_unknown_dose(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;
	gint64 dose_id;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	dose_id = log_patient_dose(store, "P1", 1, T0, NULL, NULL);

	begin_write(store);
	/* A void keeps its reason: none is refused. */
	assert_false(store_void_dose(store, dose_id, "", "nurse", T0 + DAY, NULL, &error));
	assert_error(error, DOSED_ERROR_INVALID, "needs a reason");
	g_clear_error(&error);
	assert_true(store_void_dose(store, dose_id, "typo", "nurse", T0 + DAY, NULL, &error));
	assert_false(store_void_dose(store, dose_id, "again", "nurse", T0 + DAY, NULL, &error));
	assert_error(error, DOSED_ERROR_EXISTS, "is already void (voided on 2026-11-24 by nurse)");
	g_clear_error(&error);
	assert_false(store_void_dose(store, 999, "typo", "nurse", T0 + DAY, NULL, &error));
	assert_error(error, DOSED_ERROR_UNKNOWN_DOSE, "unknown dose 999");
	g_clear_error(&error);
	commit(store);
	store_close(store);

	/* The first void stands, with its own reason. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'void'"),
			 1);
	assert_int_equal(sql_int(fixture->db, "SELECT voided_at FROM dose"), T0 + DAY);
}

static void test_ordinal_unique(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedPlannedDose first = { .ordinal = 1, .phase_index = 0, .dose_in_phase = 1 };
	DosedRegimen *regimen;
	GError *error = NULL;
	gint64 dose_id = 0, again_id = 0;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	dose_id = log_patient_dose(store, "P1", 1, T0, NULL, NULL);

	begin_write(store);
	regimen = load_patient(store, "P1");
	assert_false(store_log_dose(store, regimen, &first, T0 + DAY, NULL, NULL, true, "nurse",
				    T0 + DAY, &again_id, &error));
	assert_error(error, DOSED_ERROR_EXISTS, "dose 1 of patient 'P1' is already logged");
	g_clear_error(&error);
	assert_int_equal(again_id, 0);

	/* A voided dose frees its ordinal for the dose that replaces it. */
	assert_true(store_void_dose(store, dose_id, "wrong day", "nurse", T0 + DAY, NULL,
				    &error));
	if (!store_log_dose(store, regimen, &first, T0 + DAY, NULL, NULL, false, "nurse",
			    T0 + DAY, &again_id, &error))
		fail_msg("store_log_dose: %s", error->message);
	assert_true(again_id > dose_id);
	commit(store);
	regimen_destroy(regimen);
	store_close(store);

	/* The refused attempt left no row, not even in the audit. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'log'"),
			 2);
}

static void test_stopped_regimen_refuses_changes(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedPlannedDose as = { .ordinal = 1, .phase_index = 0, .dose_in_phase = 1 };
	DosedRegimen *regimen;
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	regimen = load_patient(store, "P1");
	stop_patient(store, "P1", T0 + DAY);

	/* `regimen` was loaded before the stop: the database decides. */
	begin_write(store);
	assert_false(store_stop(store, regimen, "doctor", T0 + 2 * DAY, &error));
	assert_error(error, DOSED_ERROR_REFUSED,
		     "patient 'P1' was already stopped on 2026-11-24 by doctor");
	g_clear_error(&error);
	assert_false(store_log_dose(store, regimen, &as, T0 + DAY, NULL, NULL, false, "nurse",
				    T0 + 2 * DAY, NULL, &error));
	assert_error(error, DOSED_ERROR_REFUSED, "the regimen of patient 'P1' was stopped on");
	g_clear_error(&error);
	assert_false(store_advance(store, regimen, 0, "doctor", T0 + 2 * DAY, &error));
	assert_error(error, DOSED_ERROR_REFUSED, "was stopped on 2026-11-24");
	g_clear_error(&error);
	commit(store);
	regimen_destroy(regimen);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 2);
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

/* The database refuses what the code must never do (SPEC 5). */
static void test_nothing_deleted(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	sqlite3 *db = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	log_patient_dose(store, "P1", 1, T0, NULL, NULL);
	store_close(store);

	assert_int_equal(sqlite3_open(fixture->db, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM dose", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE dose SET given_at = 0", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE patient SET name = 'x'", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose WHERE given_at = "
				 G_STRINGIFY(1795428000)), 1);
}

/* ---- transactions ------------------------------------------------------- */

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

/* ---- many patients ------------------------------------------------------ */

static void test_load_regimens(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *b_old;
	GPtrArray *all, *active;
	GError *error = NULL;
	const DosedRegimen *a, *b, *c;

	/* Enrolled out of id order: the result is by patient id. */
	enrol_patient(store, fixture, "C", "Cat", 23);
	enrol_patient(store, fixture, "A", "Ann", 23);
	enrol_patient(store, fixture, "B", "Bob", 23);
	/* Logged out of time order: doses come by given_at. */
	log_patient_dose(store, "A", 1, T0 + 2 * DAY, "left thigh", NULL);
	log_patient_dose(store, "A", 2, T0, "right thigh", NULL);
	log_patient_dose(store, "B", 1, T0, NULL, NULL);
	b_old = load_patient(store, "B");
	stop_patient(store, "B", T0 + DAY);
	enrol_patient(store, fixture, "B", "Bob", 30);
	stop_patient(store, "C", T0 + DAY);

	begin_write(store);
	{
		DosedRegimen *regimen = load_patient(store, "A");

		assert_true(store_advance(store, regimen, 0, "doctor", T0 + 3 * DAY, &error));
		regimen_destroy(regimen);
	}
	commit(store);

	all = store_load_regimens(store, false, &error);
	if (!all)
		fail_msg("store_load_regimens: %s", error->message);
	assert_int_equal(all->len, 3);
	a = g_ptr_array_index(all, 0);
	b = g_ptr_array_index(all, 1);
	c = g_ptr_array_index(all, 2);
	assert_string_equal(a->patient_id, "A");
	assert_string_equal(b->patient_id, "B");
	assert_string_equal(c->patient_id, "C");

	assert_int_equal(a->doses->len, 2);
	assert_int_equal(a->view.n_doses, 2);
	assert_int_equal(a->view.doses[0].given_at, T0);
	assert_int_equal(a->view.doses[0].ordinal, 2);
	assert_string_equal(a->view.doses[0].site, "right thigh");
	assert_int_equal(a->view.doses[1].given_at, T0 + 2 * DAY);
	assert_int_equal(a->view.n_advances, 1);
	assert_int_equal(a->view.advances[0].at, T0 + 3 * DAY);

	/* B's newest regimen, without the old one's dose. */
	assert_true(b->regimen_id > b_old->regimen_id);
	assert_int_equal(b->start, date_from_ymd(2026, 11, 30));
	assert_int_equal(b->stopped_at, 0);
	assert_int_equal(b->view.n_doses, 0);
	assert_int_equal(b->view.n_advances, 0);
	assert_ptr_equal(b->view.protocol, b->protocol);

	assert_int_equal(c->stopped_at, T0 + DAY);
	assert_int_equal(c->view.stopped_at, T0 + DAY);

	active = store_load_regimens(store, true, &error);
	if (!active)
		fail_msg("store_load_regimens: %s", error->message);
	assert_int_equal(active->len, 2);
	assert_string_equal(((DosedRegimen *)g_ptr_array_index(active, 0))->patient_id, "A");
	assert_string_equal(((DosedRegimen *)g_ptr_array_index(active, 1))->patient_id, "B");
	assert_int_equal(((DosedRegimen *)g_ptr_array_index(active, 0))->view.n_doses, 2);

	g_ptr_array_unref(all);
	g_ptr_array_unref(active);
	regimen_destroy(b_old);
	store_close(store);
}

/* Patients and regimens are read apart and matched by patient id: each
 * regimen gets its own patient's name and zone, in the byte order of the
 * ids (SQLite's BINARY), stopped patients left out of the active ones. */
static void test_load_regimens_by_id(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	static const char *const ids[] = { "b", "\xc3\xa9", "ab", "B", "a", "a0" };
	static const char *const all_order = "B a a0 ab b \xc3\xa9";
	static const char *const active_order = "B a0 ab \xc3\xa9";
	GPtrArray *all, *active;
	GError *error = NULL;
	GString *order = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *name = g_strconcat("Name of ", ids[i], NULL);

		enrol_patient(store, fixture, ids[i], name, 23);
	}
	stop_patient(store, "a", T0 + DAY);
	stop_patient(store, "b", T0 + DAY);
	stop_patient(store, "a0", T0 + DAY);
	enrol_patient(store, fixture, "a0", "Name of a0", 30);

	all = store_load_regimens(store, false, &error);
	if (!all)
		fail_msg("store_load_regimens: %s", error->message);
	for (guint i = 0; i < all->len; i++) {
		const DosedRegimen *regimen = g_ptr_array_index(all, i);
		g_autofree char *name = g_strconcat("Name of ", regimen->patient_id, NULL);

		assert_string_equal(regimen->name, name);
		assert_string_equal(regimen->tz_name, "Europe/London");
		g_string_append_printf(order, "%s%s", i ? " " : "", regimen->patient_id);
	}
	assert_string_equal(order->str, all_order);
	/* a0's newest regimen. */
	assert_int_equal(((DosedRegimen *)g_ptr_array_index(all, 2))->start,
			 date_from_ymd(2026, 11, 30));

	active = store_load_regimens(store, true, &error);
	if (!active)
		fail_msg("store_load_regimens: %s", error->message);
	g_string_truncate(order, 0);
	for (guint i = 0; i < active->len; i++) {
		const DosedRegimen *regimen = g_ptr_array_index(active, i);
		g_autofree char *name = g_strconcat("Name of ", regimen->patient_id, NULL);

		assert_string_equal(regimen->name, name);
		assert_int_equal(regimen->stopped_at, 0);
		g_string_append_printf(order, "%s%s", i ? " " : "", regimen->patient_id);
	}
	assert_string_equal(order->str, active_order);

	g_string_free(order, TRUE);
	g_ptr_array_unref(all);
	g_ptr_array_unref(active);
	store_close(store);
}

/* What store_foreach_regimen() was given, one regimen after another. */
typedef struct {
	GString *seen;
	int calls;
	int stop_at;    /* the call that returns false, or 0 */
	DosedRegimen **kept; /* where patient "ab"'s regimen is kept, or NULL */
} ForeachRecord;

static void describe_regimen(GString *out, const DosedRegimen *regimen)
{
	g_string_append_printf(out, "%s%s/%s/%s:%" G_GINT64_FORMAT ":%u:%u:%s",
			       out->len ? " " : "", regimen->patient_id, regimen->name,
			       regimen->tz_name, regimen->regimen_id, (unsigned)regimen->view.n_doses,
			       (unsigned)regimen->view.n_advances,
			       regimen->stopped_at ? "stopped" : "active");
}

static bool record_regimen(DosedRegimen *regimen, bool *keep, void *data, GError **error)
{
	ForeachRecord *record = data;

	assert_false(*keep);
	describe_regimen(record->seen, regimen);
	if (record->kept && strcmp(regimen->patient_id, "ab") == 0) {
		*keep = true;
		*record->kept = regimen;
	}
	if (++record->calls == record->stop_at) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID, "stopped at call %d",
			    record->calls);
		return false;
	}
	return true;
}

/* One regimen at a time, the same regimens as store_load_regimens() in
 * the same order, doses and advances included; a callback's false stops
 * the load with its error and leaves no read open. */
static void test_foreach_regimen(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	static const char *const ids[] = { "b", "\xc3\xa9", "ab", "B", "a", "a0" };
	GError *error = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *name = g_strconcat("Name of ", ids[i], NULL);

		enrol_patient(store, fixture, ids[i], name, 23);
	}
	log_patient_dose(store, "ab", 1, T0 + 2 * DAY, "left thigh", NULL);
	log_patient_dose(store, "ab", 2, T0, NULL, NULL);
	log_patient_dose(store, "a0", 1, T0, NULL, NULL);
	stop_patient(store, "a", T0 + DAY);
	stop_patient(store, "a0", T0 + DAY);
	enrol_patient(store, fixture, "a0", "Name of a0", 30);
	begin_write(store);
	{
		DosedRegimen *regimen = load_patient(store, "B");

		assert_true(store_advance(store, regimen, 0, "doctor", T0 + 3 * DAY, &error));
		regimen_destroy(regimen);
	}
	commit(store);

	for (int active_only = 0; active_only <= 1; active_only++) {
		g_autoptr(GString) expected = g_string_new(NULL);
		ForeachRecord record = { g_string_new(NULL), 0, 0, NULL };
		GPtrArray *regimens = store_load_regimens(store, active_only, &error);

		if (!regimens)
			fail_msg("store_load_regimens: %s", error->message);
		for (guint i = 0; i < regimens->len; i++)
			describe_regimen(expected, g_ptr_array_index(regimens, i));
		g_ptr_array_unref(regimens);
		assert_true(store_foreach_regimen(store, active_only, record_regimen, &record,
						  &error));
		assert_string_equal(record.seen->str, expected->str);
		assert_int_equal(record.calls, active_only ? 5 : 6);
		g_string_free(record.seen, TRUE);
	}
	{
		/* Written out: what the comparison above stands on.  A regimen
		 * kept outlives the load, doses and shared protocol included. */
		DosedRegimen *kept = NULL;
		ForeachRecord record = { g_string_new(NULL), 0, 0, &kept };

		assert_true(store_foreach_regimen(store, false, record_regimen, &record, &error));
		assert_non_null(kept);
		assert_string_equal(kept->patient_id, "ab");
		assert_int_equal(kept->view.n_doses, 2);
		assert_int_equal(kept->view.doses[0].given_at, T0);
		assert_string_equal(kept->view.doses[1].site, "left thigh");
		assert_string_equal(kept->protocol->phases[0].name, "initial");
		regimen_destroy(kept);
		assert_string_equal(record.seen->str,
				    "B/Name of B/Europe/London:4:0:1:active"
				    " a/Name of a/Europe/London:5:0:0:stopped"
				    " a0/Name of a0/Europe/London:7:0:0:active"
				    " ab/Name of ab/Europe/London:3:2:0:active"
				    " b/Name of b/Europe/London:1:0:0:active"
				    " \xc3\xa9/Name of \xc3\xa9/Europe/London:2:0:0:active");
		g_string_free(record.seen, TRUE);
	}
	{
		ForeachRecord record = { g_string_new(NULL), 0, 2, NULL };

		assert_false(store_foreach_regimen(store, true, record_regimen, &record, &error));
		assert_non_null(error);
		assert_string_equal(error->message, "stopped at call 2");
		g_clear_error(&error);
		assert_int_equal(record.calls, 2);
		g_string_free(record.seen, TRUE);
	}
	/* The read ended with the load: a write can begin. */
	begin_write(store);
	commit(store);
	store_close(store);
}

/* A load read in two halves gives every regimen once, the first half's
 * then the second's in the whole load's order, whatever the ids are made
 * of, the doses with their regimens.  It is halved only when a second
 * connection sees what the first does: not after another program's change
 * that the first's read does not see. */
static void test_foreach_regimen_halves(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedStore *other;
	static const char *const ids[] = { "b", "\xc3\xa9", "ab", "B", "a", "a0", "c" };
	bool two_cpus = g_get_num_processors() >= 2;
	GError *error = NULL;
	bool halved = true;

	{
		/* No patients: nothing to halve. */
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, 0, NULL };

		assert_true(store_begin(store, false, &error));
		assert_true(store_foreach_regimen_halves(store, true, record_regimen, &first,
							 &second, &halved, &error));
		store_rollback(store);
		assert_false(halved);
		assert_int_equal(first.calls + second.calls, 0);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *name = g_strconcat("Name of ", ids[i], NULL);

		enrol_patient(store, fixture, ids[i], name, 23);
	}
	log_patient_dose(store, "ab", 1, T0, NULL, NULL);
	log_patient_dose(store, "c", 1, T0, NULL, NULL);
	stop_patient(store, "a", T0 + DAY);

	for (int active_only = 0; active_only <= 1; active_only++) {
		ForeachRecord whole = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, 0, NULL };

		assert_true(store_foreach_regimen(store, active_only, record_regimen, &whole,
						  &error));
		assert_true(store_begin(store, false, &error));
		assert_true(store_foreach_regimen_halves(store, active_only, record_regimen,
							 &first, &second, &halved, &error));
		store_rollback(store);
		assert_int_equal(halved, two_cpus);
		/* Active: B a0 ab b c é (six), the middle the fourth; all:
		 * B a a0 ab b c é (seven), the middle the fourth too, and
		 * the first of the second half. */
		assert_int_equal(first.calls, two_cpus ? 3 : whole.calls);
		assert_int_equal(first.calls + second.calls, whole.calls);
		if (second.calls)
			g_string_append_printf(first.seen, " %s", second.seen->str);
		assert_string_equal(first.seen->str, whole.seen->str);
		if (two_cpus) {
			/* The doses go with their halves. */
			assert_non_null(strstr(first.seen->str, "ab/Name of ab/Europe/London:3:1:"));
			assert_non_null(strstr(second.seen->str, "c/Name of c/Europe/London:7:1:"));
			assert_true(g_str_has_prefix(second.seen->str,
						     active_only ? "b/" : "ab/"));
		}
		g_string_free(whole.seen, TRUE);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	{
		/* A failure in the second half stops the load with its error. */
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, two_cpus ? 1 : 0, NULL };

		if (!two_cpus)
			first.stop_at = 4;
		assert_true(store_begin(store, false, &error));
		assert_false(store_foreach_regimen_halves(store, true, record_regimen, &first,
							  &second, &halved, &error));
		store_rollback(store);
		assert_non_null(error);
		assert_true(g_str_has_prefix(error->message, "stopped at call "));
		g_clear_error(&error);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	{
		/* Another program's change after this read began: a second
		 * connection would see it, so the load is not halved, and
		 * gives what this read sees. */
		ForeachRecord whole = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, 0, NULL };

		assert_true(store_begin(store, false, &error));
		assert_true(store_foreach_regimen(store, true, record_regimen, &whole, &error));
		other = open_store(fixture->db);
		enrol_patient(other, fixture, "d", "Name of d", 23);
		store_close(other);
		assert_true(store_foreach_regimen_halves(store, true, record_regimen, &first,
							 &second, &halved, &error));
		store_rollback(store);
		if (second.calls)
			g_string_append_printf(first.seen, " %s", second.seen->str);
		assert_string_equal(first.seen->str, whole.seen->str);
		assert_null(strstr(first.seen->str, "d/Name of d"));
		assert_false(halved);
		g_string_free(whole.seen, TRUE);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	store_close(store);
}

static void test_only_patient(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;
	char *patient_id = NULL;
	int count = -1;

	assert_true(store_only_patient(store, &patient_id, &count, &error));
	assert_int_equal(count, 0);
	assert_null(patient_id);

	enrol_patient(store, fixture, "P1", odd_name, 23);
	stop_patient(store, "P1", T0 + DAY);
	assert_true(store_only_patient(store, &patient_id, &count, &error));
	assert_int_equal(count, 1);
	assert_string_equal(patient_id, "P1");
	g_free(patient_id);
	patient_id = NULL;

	enrol_patient(store, fixture, "P2", "Bob", 23);
	assert_true(store_only_patient(store, &patient_id, &count, &error));
	assert_int_equal(count, 2);
	assert_null(patient_id);
	store_close(store);
}

/* ---- feed tokens (SPEC 4) ----------------------------------------------- */

/* Issue (or ask for) a feed token in a transaction of its own, as the
 * edges do: a new token made here, its hash given to the store.  The new
 * token's text, or NULL when the store kept the active one. */
static char *issue(DosedStore *store, const char *patient_id, bool rotate, gint64 now,
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

/* A hash of the right form, for the calls the store refuses. */
static const char some_hash[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static GPtrArray *load_tokens(DosedStore *store)
{
	GError *error = NULL;
	GPtrArray *tokens = store_load_feed_tokens(store, &error);

	if (!tokens)
		fail_msg("store_load_feed_tokens: %s", error->message);
	return tokens;
}

/* The active token with this hash, NULL when there is none. */
static const DosedFeedToken *find_hash(GPtrArray *tokens, const char *hash)
{
	for (guint i = 0; i < tokens->len; i++) {
		const DosedFeedToken *token = g_ptr_array_index(tokens, i);

		if (strcmp(token->hash, hash) == 0)
			return token;
	}
	return NULL;
}

static void hash_of(const char *token, char *hash)
{
	assert_non_null(token);
	assert_true(token_well_formed(token, strlen(token)));
	token_hash(token, strlen(token), hash);
}

/* The extended result code of SQL run on a raw connection. */
/* SPEC 4: a token is shown once; asking again tells when it was issued. */
static void test_feed_token_shown_once(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char hash[DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *token = NULL;
	g_autofree char *again = NULL;
	g_autofree char *stored = NULL;
	GPtrArray *tokens;
	const DosedFeedToken *found;
	gint64 issued_at = 0;

	enrol_patient(store, fixture, "P1", odd_name, 23);
	token = issue(store, "P1", false, T0 + 10, &issued_at);
	hash_of(token, hash);
	assert_int_equal(issued_at, T0 + 10);

	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 1);
	found = find_hash(tokens, hash);
	assert_non_null(found);
	assert_string_equal(found->patient_id, "P1");
	assert_int_equal(found->issued_at, T0 + 10);
	g_ptr_array_unref(tokens);

	/* Only its hash is kept: the second ask gets no token, the date of
	 * the first, and changes nothing. */
	again = issue(store, "P1", false, T0 + 20, &issued_at);
	assert_null(again);
	assert_int_equal(issued_at, T0 + 10);
	store_close(store);

	stored = sql_text(fixture->db, "SELECT group_concat(hash) FROM feed_token");
	assert_string_equal(stored, hash);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'feed'"),
			 1);
}

/* --rotate: the old token stops working at once (it is no longer loaded)
 * and stays on record as revoked, by whom and when. */
static void test_feed_token_rotate(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char old_hash[DOSED_TOKEN_HASH_LEN + 1];
	char new_hash[DOSED_TOKEN_HASH_LEN + 1];
	char third_hash[DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *old = NULL;
	g_autofree char *rotated = NULL;
	g_autofree char *third = NULL;
	g_autofree char *query = NULL;
	g_autofree char *revoked = NULL;
	GPtrArray *tokens;
	gint64 issued_at = 0;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	old = issue(store, "P1", false, T0 + 10, NULL);
	hash_of(old, old_hash);
	rotated = issue(store, "P1", true, T0 + 20, &issued_at);
	hash_of(rotated, new_hash);
	assert_string_not_equal(old, rotated);
	assert_int_equal(issued_at, T0 + 20);

	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 1);
	assert_null(find_hash(tokens, old_hash));
	assert_non_null(find_hash(tokens, new_hash));
	assert_int_equal(((DosedFeedToken *)g_ptr_array_index(tokens, 0))->issued_at, T0 + 20);
	g_ptr_array_unref(tokens);

	third = issue(store, "P1", true, T0 + 30, NULL);
	hash_of(third, third_hash);
	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 1);
	assert_non_null(find_hash(tokens, third_hash));
	g_ptr_array_unref(tokens);
	store_close(store);

	query = g_strdup_printf("SELECT revoked_at || ':' || revoked_by FROM feed_token"
				" WHERE hash = '%s'", old_hash);
	revoked = sql_text(fixture->db, query);
	assert_string_equal(revoked, "1795428020:nurse");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_token"), 3);
	assert_int_equal(sql_int(fixture->db,
				 "SELECT count(*) FROM feed_token WHERE revoked_at IS NULL"), 1);
}

/* The clinic's feed has its own token (patient NULL), one at a time like a
 * patient's, and the database itself refuses a second active one. */
static void test_feed_token_clinic(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char clinic_hash[DOSED_TOKEN_HASH_LEN + 1];
	char patient_hash[DOSED_TOKEN_HASH_LEN + 1];
	char rotated_hash[DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *clinic = NULL;
	g_autofree char *patient = NULL;
	g_autofree char *again = NULL;
	g_autofree char *rotated = NULL;
	GPtrArray *tokens;
	const DosedFeedToken *found;
	gint64 issued_at = 0;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	clinic = issue(store, NULL, false, T0 + 10, NULL);
	hash_of(clinic, clinic_hash);
	patient = issue(store, "P1", false, T0 + 11, NULL);
	hash_of(patient, patient_hash);

	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 2);
	found = find_hash(tokens, clinic_hash);
	assert_non_null(found);
	assert_null(found->patient_id);
	assert_int_equal(found->issued_at, T0 + 10);
	found = find_hash(tokens, patient_hash);
	assert_non_null(found);
	assert_string_equal(found->patient_id, "P1");
	g_ptr_array_unref(tokens);

	again = issue(store, NULL, false, T0 + 20, &issued_at);
	assert_null(again);
	assert_int_equal(issued_at, T0 + 10);

	rotated = issue(store, NULL, true, T0 + 30, NULL);
	hash_of(rotated, rotated_hash);
	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 2);
	assert_null(find_hash(tokens, clinic_hash));
	assert_non_null(find_hash(tokens, rotated_hash));
	/* The patient's feed is not touched by the clinic's rotation. */
	assert_non_null(find_hash(tokens, patient_hash));
	g_ptr_array_unref(tokens);
	store_close(store);

	/* Even SQL written by hand cannot make two active tokens for one feed
	 * (NULL patient included), nor one for a patient who does not exist;
	 * a revoked row is fine. */
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES (NULL, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
		" 1, 'x')"), SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES ('P1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
		" 1, 'x')"), SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(sql_try(fixture->db,
		"PRAGMA foreign_keys = ON;"
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES ('nobody', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
		" 1, 'x')"), SQLITE_CONSTRAINT_FOREIGNKEY);
	/* Not a SHA-256 in hex. */
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by, revoked_at,"
		" revoked_by) VALUES (NULL, 'AAAA', 1, 'x', 2, 'x')"), SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by, revoked_at,"
		" revoked_by) VALUES (NULL,"
		" 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 'x', 2, 'x')"),
		SQLITE_OK);
}

/* A refused issue writes nothing, even when the caller then commits. */
static void test_feed_token_refused_writes_nothing(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;
	bool issued = false;
	gint64 issued_at = -1;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	begin_write(store);
	assert_false(store_issue_feed_token(store, "nobody", some_hash, false, "nurse", T0,
					    &issued, &issued_at, &error));
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'nobody'");
	g_clear_error(&error);
	assert_false(issued);
	assert_int_equal(issued_at, 0);
	assert_false(store_issue_feed_token(store, "nobody", some_hash, true, "nurse", T0,
					    &issued, &issued_at, &error));
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'nobody'");
	g_clear_error(&error);
	assert_false(store_issue_feed_token(store, "", some_hash, false, "nurse", T0, &issued,
					    &issued_at, &error));
	assert_error(error, DOSED_ERROR_INVALID, "the patient id is empty");
	g_clear_error(&error);
	assert_false(store_issue_feed_token(store, "P1", some_hash, false, NULL, T0, &issued,
					    &issued_at, &error));
	assert_error(error, DOSED_ERROR_INVALID, "the audit trail needs a user name");
	g_clear_error(&error);
	assert_false(issued);
	commit(store);

	/* Outside a write transaction: a bug of the caller, said so. */
	assert_false(store_issue_feed_token(store, "P1", some_hash, false, "nurse", T0, &issued,
					    &issued_at, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	assert_false(issued);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_token"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'feed'"),
			 0);
}

/* The bytes of the database and its WAL, as anyone with the file sees them. */
static GByteArray *database_bytes(const char *path)
{
	static const char *const suffixes[] = { "", "-wal" };
	GByteArray *bytes = g_byte_array_new();

	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *file = g_strconcat(path, suffixes[i], NULL);
		g_autofree char *contents = NULL;
		gsize length = 0;

		if (g_file_get_contents(file, &contents, &length, NULL))
			g_byte_array_append(bytes, (const guint8 *)contents, (guint)length);
	}
	return bytes;
}

static bool bytes_contain(const GByteArray *bytes, const char *text)
{
	return memmem(bytes->data, bytes->len, text, strlen(text)) != NULL;
}

/* SPEC 4: tokens are stored only as a hash, and the audit trail, read by
 * more people than the feed, holds neither the token nor its hash: it says
 * issue or rotate, and whose feed. */
static void test_feed_audit_without_token_material(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char *tokens[3];
	char hashes[3][DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *rows = NULL;
	GByteArray *bytes;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	tokens[0] = issue(store, "P1", false, T0 + 10, NULL);
	tokens[1] = issue(store, "P1", true, T0 + 20, NULL);
	tokens[2] = issue(store, NULL, false, T0 + 30, NULL);
	store_close(store);

	rows = sql_text(fixture->db,
		"SELECT group_concat(actor || ':' || at || ':' || ifnull(patient_id, '-') || ':'"
		" || ifnull(regimen_id, '-') || ':' || json_extract(detail, '$.event') || ':'"
		" || json_extract(detail, '$.feed'), ' ')"
		" FROM (SELECT * FROM audit WHERE action = 'feed' ORDER BY id)");
	assert_string_equal(rows, "nurse:1795428010:P1:-:issue:patient "
			    "nurse:1795428020:P1:-:rotate:patient "
			    "nurse:1795428030:-:-:issue:clinic");

	bytes = database_bytes(fixture->db);
	for (int i = 0; i < 3; i++) {
		g_autofree char *query = NULL;
		char prefix[17];

		hash_of(tokens[i], hashes[i]);
		/* The hash is in the file (feed_token), which shows that
		 * the search below would find the token were it there. */
		assert_true(bytes_contain(bytes, hashes[i]));
		if (bytes_contain(bytes, tokens[i]))
			fail_msg("the token %s is in the database file", tokens[i]);
		g_strlcpy(prefix, hashes[i], sizeof prefix);
		query = g_strdup_printf("SELECT count(*) FROM audit WHERE instr(detail, '%s')"
					" OR instr(detail, '%s') OR instr(actor, '%s')",
					prefix, tokens[i], prefix);
		assert_int_equal(sql_int(fixture->db, query), 0);
		g_free(tokens[i]);
	}
	g_byte_array_unref(bytes);
}

/* The table guards: tokens are revoked, never deleted or rewritten; the
 * feed event cache may be rewritten. */
static void test_feed_tables_guarded(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);

	enrol_patient(store, fixture, "P1", "Ann", 23);
	g_free(issue(store, "P1", false, T0, NULL));
	g_free(issue(store, "P1", true, T0 + 10, NULL));
	store_close(store);

	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM feed_token"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE feed_token SET hash ="
				     " 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'"),
			     SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE feed_token SET patient_id = NULL"),
			     SQLITE_OK);
	/* Revoked once, by whom it says, for good. */
	assert_int_not_equal(sql_try(fixture->db, "UPDATE feed_token SET revoked_at = 1,"
				     " revoked_by = 'x' WHERE revoked_at IS NOT NULL"),
			     SQLITE_OK);
	/* The active one can still be revoked (by hand, as dosed does). */
	assert_int_equal(sql_try(fixture->db, "UPDATE feed_token SET revoked_at = 1,"
				 " revoked_by = 'x' WHERE revoked_at IS NULL"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_token"), 2);

	assert_int_equal(sql_try(fixture->db, "INSERT INTO feed_event VALUES ('k', 'f', 0, 1);"
				 "UPDATE feed_event SET sequence = 1, fingerprint = 'g'"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT sequence FROM feed_event"), 1);
	/* The audit trail still refuses changes of its feed rows. */
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM audit WHERE action = 'feed'"),
			     SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE audit SET detail = '{}'"), SQLITE_OK);
	/* Only feed rows may lack a patient or regimen. */
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action)"
				 " VALUES (1, 'x', 'log')"), SQLITE_CONSTRAINT_CHECK);
}

/* ---- migrating a schema 1 database -------------------------------------- */

/* tests/data/store/vN.sql: a database as dosed with schema N wrote it
 * (v1: dosed 0.1.0; v2: issue 3; v3: issue 4; v4: issue 7). */
static void write_old_database(const char *path, int version)
{
	const char *data = g_getenv("DOSED_TEST_DATA");
	g_autofree char *name = g_strdup_printf("v%d.sql", version);
	g_autofree char *file = NULL;
	g_autofree char *sql = NULL;
	GError *error = NULL;

	if (!data)
		fail_msg("DOSED_TEST_DATA is not set; run the tests with tests/run");
	file = g_build_filename(data, "store", name, NULL);
	if (!g_file_get_contents(file, &sql, NULL, &error))
		fail_msg("%s", error->message);
	sql_exec(path, sql);
	chmod(path, 0600);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), version);
}

/* The audit rows that match `where`, in full, one a line. */
#define AUDIT_DUMP_WHERE(where) \
	"SELECT group_concat(id || '|' || at || '|' || actor || '|' || action || '|' ||" \
	" ifnull(patient_id, '-') || '|' || ifnull(regimen_id, '-') || '|' ||" \
	" ifnull(dose_id, '-') || '|' || detail, char(10))" \
	" FROM (SELECT * FROM audit WHERE " where " ORDER BY id)"
#define AUDIT_DUMP AUDIT_DUMP_WHERE("1")
/* The schema, every object. */
#define SCHEMA_DUMP \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master ORDER BY type, name)"

static void test_migrate_v1(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *audit_before = NULL;
	g_autofree char *audit_after = NULL;
	g_autofree char *audit_sql = NULL;
	g_autofree char *check = NULL;
	g_autofree char *token = NULL;
	g_autofree char *last = NULL;
	DosedStore *store;
	DosedRegimen *regimen;
	const DosedDose *dose;

	write_old_database(fixture->db, 1);
	audit_before = sql_text(fixture->db, AUDIT_DUMP);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 9);

	store = open_store(fixture->db);
	assert_string_equal(store_path(store), fixture->db);

	/* The health data reads as before. */
	regimen = load_patient(store, "MRN-1");
	assert_string_equal(regimen->name, odd_name);
	assert_string_equal(regimen->protocol_id, "b12-standard");
	assert_int_equal(regimen->doses->len, 3);
	dose = g_ptr_array_index(regimen->doses, 1);
	assert_int_equal(dose->id, 3);
	assert_string_equal(dose->void_reason, "logged twice");
	assert_int_equal(regimen->view.n_doses, 2);
	regimen_destroy(regimen);
	regimen = load_patient(store, "MRN-2");
	assert_int_equal(regimen->stopped_at, 1796979600);
	assert_int_equal(regimen->view.n_advances, 1);
	dose = g_ptr_array_index(regimen->doses, 0);
	assert_string_equal(dose->note, "first dose\ntwo lines");
	regimen_destroy(regimen);

	/* The new tables work, and the rebuilt audit takes feed rows. */
	token = issue(store, "MRN-1", false, 1797000000, NULL);
	assert_non_null(token);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(sql_int(fixture->db, "PRAGMA application_id"), 0x444f5345);
	/* Every audit row kept, with its id, and the feed row after them. */
	audit_after = sql_text(fixture->db, AUDIT_DUMP_WHERE("id <= 9"));
	assert_string_equal(audit_after, audit_before);
	last = sql_text(fixture->db, "SELECT id || ':' || action || ':' || patient_id"
			" FROM audit WHERE id > 9");
	assert_string_equal(last, "10:feed:MRN-1");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose"), 4);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM advance"), 1);
	/* Schema 5: MRN-2's advance came after its one dose (id 2). */
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 1"),
			 2);

	/* The rebuilt table: 'feed' in its CHECK, its index and both
	 * triggers back, no leftover of the rebuild. */
	audit_sql = sql_text(fixture->db, "SELECT sql FROM sqlite_master WHERE name = 'audit'");
	assert_non_null(strstr(audit_sql, "'feed'"));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'audit' AND type = 'trigger'"
				 " AND name IN ('audit_never_deleted', 'audit_never_changed')"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'audit' AND type = 'index'"
				 " AND name = 'audit_by_patient'"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name LIKE '%v2%'"), 0);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM audit"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE audit SET actor = 'x'"), SQLITE_OK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action, patient_id,"
				 " regimen_id) VALUES (1, 'x', 'erase', 'MRN-1', 1)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 10);
}

/* A migration that fails half-way (here at its last statement, a table in
 * the way) leaves the schema 1 database exactly as it was. */
static void test_migrate_in_one_transaction(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *audit_before = NULL;
	g_autofree char *audit_after = NULL;
	GError *error = NULL;

	write_old_database(fixture->db, 1);
	sql_exec(fixture->db, "CREATE TABLE feed_event (stray TEXT)");
	schema_before = sql_text(fixture->db, SCHEMA_DUMP);
	audit_before = sql_text(fixture->db, AUDIT_DUMP);

	assert_null(store_open(fixture->db, 0600, 1000, &error));
	assert_error(error, DOSED_ERROR_STORE, "failed while upgrading its schema");
	assert_non_null(strstr(error->message, "feed_event"));
	assert_non_null(strstr(error->message, fixture->db));
	g_error_free(error);

	schema_after = sql_text(fixture->db, SCHEMA_DUMP);
	assert_string_equal(schema_after, schema_before);
	audit_after = sql_text(fixture->db, AUDIT_DUMP);
	assert_string_equal(audit_after, audit_before);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), 1);
}

/* ---- feed event states -------------------------------------------------- */

/* A state in the table, as a render leaves it (feed_state.h). */
static DosedFeedEventState *put_state(GHashTable *states, const char *key,
				      const char *fingerprint, int sequence, gint64 changed_at,
				      bool dirty)
{
	return feed_states_put(states, key, fingerprint, sequence, changed_at, dirty);
}

static void save_states(DosedStore *store, GHashTable *states)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_save_feed_states(store, states, &error))
		fail_msg("store_save_feed_states: %s", error->message);
	commit(store);
}

static GHashTable *load_states(DosedStore *store)
{
	GHashTable *states = feed_states_create();
	GError *error = NULL;

	if (!store_load_feed_states(store, states, &error))
		fail_msg("store_load_feed_states: %s", error->message);
	return states;
}

static void assert_state(GHashTable *states, const char *key, const char *fingerprint,
			 int sequence, gint64 changed_at)
{
	const DosedFeedEventState *event_state = g_hash_table_lookup(states, key);

	if (!event_state)
		fail_msg("no state for %s", key);
	assert_string_equal(event_state->fingerprint, fingerprint);
	assert_int_equal(event_state->sequence, sequence);
	assert_int_equal(event_state->changed_at, changed_at);
	assert_false(event_state->dirty);
}

static gint64 audit_mark(DosedStore *store)
{
	GError *error = NULL;
	gint64 mark = -1;

	if (!store_last_change(store, &mark, &error))
		fail_msg("store_last_change: %s", error->message);
	return mark;
}

/* The audit mark moves with what people change and not with the daemon's
 * bookkeeping: feed states, reminders shown and snoozed. */
static void test_audit_mark(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	GError *error = NULL;
	DosedRegimen *regimen;
	bool issued = false;
	gint64 mark, issued_at;

	assert_int_equal(audit_mark(store), 0);
	enrol_patient(store, fixture, "MRN-1", "Ann", 23);
	mark = audit_mark(store);
	assert_true(mark > 0);

	put_state(states, "p:one", "f1", 0, T0, true);
	save_states(store, states);
	regimen = load_patient(store, "MRN-1");
	begin_write(store);
	assert_true(store_record_reminder(store, regimen->regimen_id, 1, DOSED_REMINDER_DUE,
					  T0, T0, &error));
	assert_true(store_record_snooze(store, regimen->regimen_id, 1, T0 + 600, T0, &error));
	commit(store);
	regimen_destroy(regimen);
	assert_int_equal(audit_mark(store), mark);

	log_patient_dose(store, "MRN-1", 1, T0, NULL, NULL);
	assert_true(audit_mark(store) > mark);
	mark = audit_mark(store);
	begin_write(store);
	assert_true(store_issue_feed_token(store, "MRN-1", some_hash, false, "clinic", T0, &issued,
					   &issued_at, &error));
	commit(store);
	assert_true(issued);
	assert_true(audit_mark(store) > mark);
	mark = audit_mark(store);
	stop_patient(store, "MRN-1", T0 + DAY);
	assert_true(audit_mark(store) > mark);

	g_hash_table_unref(states);
	store_close(store);
}

static void test_feed_states_round_trip(void **state)
{
	StoreFixture *fixture = *state;
	static const char odd_key[] = "p:MRN-1'; DROP TABLE feed_event; --\xc3\x9c-7@dosed";
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	GHashTable *loaded;
	DosedFeedEventState *a, *b, *c;
	g_autofree char *row = NULL;

	a = put_state(states, odd_key, "fp-a", 0, T0, true);
	b = put_state(states, "p:P1", "fp-b", 3, T0 + 5, true);
	c = put_state(states, "c:", "fp-c", 1, T0 + 6, false);
	save_states(store, states);
	/* Saved ones are clean; the clean one was not written. */
	assert_false(a->dirty);
	assert_false(b->dirty);
	assert_false(c->dirty);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event WHERE key = 'c:'"),
			 0);

	loaded = load_states(store);
	assert_int_equal(g_hash_table_size(loaded), 2);
	assert_state(loaded, odd_key, "fp-a", 0, T0);
	assert_state(loaded, "p:P1", "fp-b", 3, T0 + 5);
	g_hash_table_unref(loaded);

	/* Upsert: a changed event overwrites its row, a new one is added. */
	g_free(b->fingerprint);
	b->fingerprint = g_strdup("fp-b2");
	b->sequence = 4;
	b->changed_at = T0 + 100;
	b->dirty = true;
	put_state(states, "p:P2", "fp-d", 0, T0 + 101, true);
	save_states(store, states);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 3);
	row = sql_text(fixture->db, "SELECT fingerprint || ':' || sequence || ':' || changed_at"
		       " FROM feed_event WHERE key = 'p:P1'");
	assert_string_equal(row, "fp-b2:4:1795428100");

	/* Loading into a table that has the keys replaces their states. */
	loaded = feed_states_create();
	put_state(loaded, "p:P1", "stale", 9, 0, true);
	assert_true(store_load_feed_states(store, loaded, NULL));
	assert_int_equal(g_hash_table_size(loaded), 3);
	assert_state(loaded, "p:P1", "fp-b2", 4, T0 + 100);
	assert_state(loaded, "p:P2", "fp-d", 0, T0 + 101);
	g_hash_table_unref(loaded);

	g_hash_table_unref(states);
	store_close(store);
}

/* A failed save writes nothing and leaves every state dirty for the next
 * try; outside a write transaction it is refused. */
static void test_feed_states_failed_save(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	DosedFeedEventState *good, *broken;
	GError *error = NULL;

	good = put_state(states, "p:P1", "fp", 0, T0, true);
	assert_false(store_save_feed_states(store, states, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	assert_true(good->dirty);

	for (int i = 0; i < 50; i++) {
		g_autofree char *key = g_strdup_printf("p:uid-%d", i);

		put_state(states, key, "fp", i, T0 + i, true);
	}
	broken = put_state(states, "p:broken", NULL, 0, T0, true);
	begin_write(store);
	assert_false(store_save_feed_states(store, states, &error));
	assert_error(error, DOSED_ERROR_STORE, "saving the feed event states");
	g_clear_error(&error);
	commit(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 0);
	assert_true(good->dirty);
	assert_true(broken->dirty);
	for (int i = 0; i < 50; i++) {
		g_autofree char *key = g_strdup_printf("p:uid-%d", i);

		assert_true(((DosedFeedEventState *)g_hash_table_lookup(states, key))->dirty);
	}
	g_hash_table_unref(states);
	store_close(store);
}

/* A clinic's first render after the upgrade: thousands of new states in
 * one save. */
static void test_feed_states_many(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	GHashTable *loaded;

	for (int i = 0; i < 5000; i++) {
		g_autofree char *key = g_strdup_printf("c:MRN-%d-%d@dosed", i / 10, i % 10);
		g_autofree char *fingerprint = g_strdup_printf("%064x", i);

		put_state(states, key, fingerprint, i % 7, T0 + i, true);
	}
	save_states(store, states);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 5000);
	loaded = load_states(store);
	assert_int_equal(g_hash_table_size(loaded), 5000);
	assert_state(loaded, "c:MRN-499-9@dosed",
		     "0000000000000000000000000000000000000000000000000000000000001387", 4999 % 7,
		     T0 + 4999);
	g_hash_table_unref(loaded);
	g_hash_table_unref(states);
	store_close(store);
}

/* ---- migrating a schema 2 database -------------------------------------- */

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
static char *table_dump(const char *path, const char *table, bool migrated)
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

static const char *const v2_tables[] = {
	"patient", "regimen", "dose", "advance", "audit", "feed_token", "feed_event",
};

/* The schema objects, every one but those of the reminder tables (schema
 * 3) and of the tables schemas 4 and 5 change (test_migrate_v3 and
 * test_migrate_v4 check those). */
#define SCHEMA_DUMP_BUT_REMINDERS \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master WHERE tbl_name NOT LIKE 'reminder%'" \
	" AND tbl_name NOT IN ('regimen', 'protocol_copy', 'audit', 'advance')" \
	" ORDER BY type, name)"

static void record_reminder(DosedStore *store, gint64 regimen_id, int ordinal,
			    DosedReminderKind kind, gint64 moment, gint64 now)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_record_reminder(store, regimen_id, ordinal, kind, moment, now, &error))
		fail_msg("store_record_reminder: %s", error->message);
	commit(store);
}

static void record_snooze(DosedStore *store, gint64 regimen_id, int ordinal, gint64 until,
			  gint64 now)
{
	GError *error = NULL;

	begin_write(store);
	if (!store_record_snooze(store, regimen_id, ordinal, until, now, &error))
		fail_msg("store_record_snooze: %s", error->message);
	commit(store);
}

static DosedReminderRecord load_record(DosedStore *store, gint64 regimen_id, int ordinal)
{
	DosedReminderRecord record = { -1, -1 };
	GError *error = NULL;

	if (!store_load_reminder_record(store, regimen_id, ordinal, &record, &error))
		fail_msg("store_load_reminder_record: %s", error->message);
	return record;
}

/* Schema 2 -> 3 adds the reminder tables and changes nothing else: every
 * row and every object of schema 2 is as it was. */
static void test_migrate_v2(void **state)
{
	StoreFixture *fixture = *state;
	char *before[G_N_ELEMENTS(v2_tables)];
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *check = NULL;
	GHashTable *states;
	DosedStore *store;
	DosedRegimen *regimen;
	DosedReminderRecord record;

	write_old_database(fixture->db, 2);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP_BUT_REMINDERS);
	for (size_t i = 0; i < G_N_ELEMENTS(v2_tables); i++)
		before[i] = table_dump(fixture->db, v2_tables[i], false);

	store = open_store(fixture->db);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(sql_int(fixture->db, "PRAGMA application_id"), 0x444f5345);
	schema_after = sql_text(fixture->db, SCHEMA_DUMP_BUT_REMINDERS);
	assert_string_equal(schema_after, schema_before);
	for (size_t i = 0; i < G_N_ELEMENTS(v2_tables); i++) {
		g_autofree char *after = table_dump(fixture->db, v2_tables[i], true);

		if (strcmp(after, before[i]) != 0)
			fail_msg("table %s changed by the migration:\n%s\n---\n%s", v2_tables[i],
				 before[i], after);
		g_free(before[i]);
	}

	/* What schema 2 held reads as before: MRN-2's newest regimen is
	 * the third, the feed states are there. */
	regimen = load_patient(store, "MRN-2");
	assert_int_equal(regimen->regimen_id, 3);
	assert_string_equal(regimen->protocol_id, "b12-bariatric");
	regimen_destroy(regimen);
	regimen = load_patient(store, "MRN-1");
	assert_string_equal(regimen->name, odd_name);
	assert_int_equal(regimen->view.n_doses, 2);
	regimen_destroy(regimen);
	states = load_states(store);
	assert_int_equal(g_hash_table_size(states), 12);
	g_hash_table_unref(states);

	/* The new tables, on the old regimens. */
	record = load_record(store, 1, 3);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);
	record_reminder(store, 1, 3, DOSED_REMINDER_OVERDUE, 1795770000, 1795770001);
	record_snooze(store, 1, 3, 1795773601, 1795770010);
	record_reminder(store, 3, 1, DOSED_REMINDER_DUE, 1797260400, 1797260405);
	record = load_record(store, 1, 3);
	assert_int_equal(record.last_delivered, 1795770000);
	assert_int_equal(record.snoozed_until, 1795773601);
	record = load_record(store, 3, 1);
	assert_int_equal(record.last_delivered, 1797260400);
	assert_int_equal(record.snoozed_until, 0);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE type = 'trigger' AND name IN"
				 " ('reminder_delivery_never_deleted', 'reminder_delivery_never_changed',"
				 "  'reminder_snooze_never_deleted', 'reminder_snooze_never_changed')"), 4);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE type = 'index' AND name IN"
				 " ('reminder_delivery_by_dose', 'reminder_snooze_by_dose')"), 2);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	/* Schema 5: MRN-2's advance came after its one dose (id 2). */
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 1"),
			 2);
	/* Reopening a migrated database migrates nothing more. */
	store_close(open_store(fixture->db));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_delivery"), 2);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A step 2 -> 3 that fails (a table in the way) leaves schema 2 whole. */
static void test_migrate_v2_in_one_transaction(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	GError *error = NULL;

	write_old_database(fixture->db, 2);
	sql_exec(fixture->db, "CREATE TABLE reminder_snooze (stray TEXT)");
	schema_before = sql_text(fixture->db, SCHEMA_DUMP);

	assert_null(store_open(fixture->db, 0600, 1000, &error));
	assert_error(error, DOSED_ERROR_STORE, "failed while upgrading its schema");
	assert_non_null(strstr(error->message, "reminder_snooze"));
	g_error_free(error);

	schema_after = sql_text(fixture->db, SCHEMA_DUMP);
	assert_string_equal(schema_after, schema_before);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name = 'reminder_delivery'"), 0);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), 2);
}

/* ---- migrating a schema 3 database -------------------------------------- */

static const char *const v3_tables[] = {
	"patient", "regimen", "dose", "advance", "audit", "feed_token", "feed_event",
	"reminder_delivery", "reminder_snooze",
};

/* The schema objects but those of the tables steps 3 -> 4 and 4 -> 5
 * change. */
#define SCHEMA_DUMP_BUT_REGIMEN \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master" \
	" WHERE tbl_name NOT IN ('regimen', 'protocol_copy', 'audit', 'advance')" \
	" ORDER BY type, name)"

static DosedRegimen *find_regimen(GPtrArray *regimens, const char *patient_id)
{
	for (guint i = 0; i < regimens->len; i++) {
		DosedRegimen *regimen = g_ptr_array_index(regimens, i);

		if (strcmp(regimen->patient_id, patient_id) == 0)
			return regimen;
	}
	fail_msg("patient %s not loaded", patient_id);
	return NULL;
}

/* Schema 3 -> 4 stores each distinct protocol text once: every regimen
 * still reads exactly the copy it was enrolled with, every other table and
 * schema object is as it was, and regimens loaded together share a parse. */
static void test_migrate_v3(void **state)
{
	StoreFixture *fixture = *state;
	char *before[G_N_ELEMENTS(v3_tables)];
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *check = NULL;
	g_autofree char *texts = NULL;
	GPtrArray *regimens;
	DosedStore *store;
	DosedRegimen *regimen;
	GError *error = NULL;

	write_old_database(fixture->db, 3);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP_BUT_REGIMEN);
	for (size_t i = 0; i < G_N_ELEMENTS(v3_tables); i++)
		before[i] = table_dump(fixture->db, v3_tables[i], false);
	assert_int_equal(sql_int(fixture->db, "SELECT count(DISTINCT protocol_text) FROM regimen"),
			 4);

	store = open_store(fixture->db);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	schema_after = sql_text(fixture->db, SCHEMA_DUMP_BUT_REGIMEN);
	assert_string_equal(schema_after, schema_before);
	for (size_t i = 0; i < G_N_ELEMENTS(v3_tables); i++) {
		g_autofree char *after = table_dump(fixture->db, v3_tables[i], true);

		if (strcmp(after, before[i]) != 0)
			fail_msg("table %s changed by the migration:\n%s\n---\n%s", v3_tables[i],
				 before[i], after);
		g_free(before[i]);
	}
	/* One copy per distinct text, in the order regimens first used them;
	 * the old column is gone. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 4);
	texts = sql_text(fixture->db, "SELECT group_concat(r.id || ':' || r.protocol_copy_id, ' ')"
			 " FROM (SELECT * FROM regimen ORDER BY id) r");
	assert_string_equal(texts, "1:1 2:2 3:3 4:1 5:4");
	assert_int_not_equal(sql_try(fixture->db, "SELECT protocol_text FROM regimen"), SQLITE_OK);

	/* The regimens read as before; MRN-1 and MRN-4 were enrolled on the
	 * same text and share its parse, MRN-3's other weekdays do not. */
	begin_write(store);
	regimens = store_load_regimens(store, false, &error);
	store_rollback(store);
	if (!regimens)
		fail_msg("store_load_regimens: %s", error->message);
	assert_int_equal(regimens->len, 4);
	regimen = find_regimen(regimens, "MRN-1");
	assert_string_equal(regimen->name, odd_name);
	assert_int_equal(regimen->view.n_doses, 2);
	assert_ptr_equal(regimen->protocol, find_regimen(regimens, "MRN-4")->protocol);
	assert_ptr_not_equal(regimen->protocol, find_regimen(regimens, "MRN-3")->protocol);
	assert_int_equal(regimen->protocol->phases[0].weekdays,
			 DOSED_WEEKDAY_BIT(1) | DOSED_WEEKDAY_BIT(3) | DOSED_WEEKDAY_BIT(5));
	assert_int_equal(find_regimen(regimens, "MRN-3")->protocol->phases[0].weekdays,
			 DOSED_WEEKDAY_BIT(2) | DOSED_WEEKDAY_BIT(4) | DOSED_WEEKDAY_BIT(6));
	regimen = find_regimen(regimens, "MRN-2");
	assert_int_equal(regimen->regimen_id, 5);
	assert_string_equal(regimen->protocol->id, "b12-bariatric");
	/* A regimen outlives the load it came from, and its shared protocol
	 * with it. */
	regimen = g_ptr_array_steal_index(regimens, 0);
	g_ptr_array_unref(regimens);
	assert_string_equal(regimen->protocol->phases[1].name, "maintenance");
	regimen_destroy(regimen);

	/* A new enrolment on a stored text reuses its copy; a new text is
	 * stored once. */
	enrol_patient(store, fixture, "P5", "Eve", 24);
	enrol_patient(store, fixture, "P6", "Fay", 25);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 5);
	assert_int_equal(sql_int(fixture->db, "SELECT count(DISTINCT protocol_copy_id) FROM regimen"
				 " WHERE patient_id IN ('P5', 'P6')"), 1);

	/* Nothing of the copies can be changed or deleted, and a regimen
	 * needs one. */
	assert_int_not_equal(sql_try(fixture->db, "UPDATE regimen SET protocol_copy_id = 2"
				     " WHERE id = 1"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE protocol_copy SET text = 'x'"),
			     SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM protocol_copy"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "INSERT INTO regimen (patient_id, protocol_id,"
				     " start_date, enrolled_at, enrolled_by) VALUES ('MRN-4', 'x',"
				     " '2026-11-23', 1, 'x')"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 7);

	/* audit, rebuilt with its action CHECK as comparisons: the same
	 * rows (compared above), index and triggers, the same refusals. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'audit' AND name IN ('audit_by_patient',"
				 " 'audit_never_deleted', 'audit_never_changed')"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name LIKE '%v4%'"), 0);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action, patient_id,"
				 " regimen_id) VALUES (1, 'x', 'erase', 'MRN-1', 1)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action)"
				 " VALUES (1, 'x', 'enrol')"), SQLITE_CONSTRAINT_CHECK);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM audit"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE audit SET actor = 'x'"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'enrol'"),
			 7);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	/* Schema 5: MRN-2's advance came after its doses 4 and 5. */
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 1"),
			 5);
	/* Reopening a migrated database migrates nothing more. */
	store_close(open_store(fixture->db));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 5);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A migration from `version` that fails at its first statement (a table
 * named `in_the_way` already there) leaves the database whole: its schema,
 * the rows of `table` (the one the step rebuilds) and its version. */
static void assert_failed_step_changes_nothing(const StoreFixture *fixture, int version,
					      const char *in_the_way, const char *table)
{
	g_autofree char *stray = g_strdup_printf("CREATE TABLE %s (stray TEXT)", in_the_way);
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *rows_before = NULL;
	g_autofree char *rows_after = NULL;
	GError *error = NULL;

	write_old_database(fixture->db, version);
	sql_exec(fixture->db, stray);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP);
	rows_before = table_dump(fixture->db, table, false);

	assert_null(store_open(fixture->db, 0600, 1000, &error));
	assert_error(error, DOSED_ERROR_STORE, "failed while upgrading its schema");
	assert_non_null(strstr(error->message, in_the_way));
	g_error_free(error);

	schema_after = sql_text(fixture->db, SCHEMA_DUMP);
	assert_string_equal(schema_after, schema_before);
	rows_after = table_dump(fixture->db, table, false);
	assert_string_equal(rows_after, rows_before);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), version);
}

/* A step 3 -> 4 that fails (a table in the way) leaves schema 3 whole. */
static void test_migrate_v3_in_one_transaction(void **state)
{
	assert_failed_step_changes_nothing(*state, 3, "protocol_copy", "regimen");
}

/* ---- migrating a schema 4 database -------------------------------------- */

/* The schema objects but those of advance, which step 4 -> 5 rebuilds. */
#define SCHEMA_DUMP_BUT_ADVANCE \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master WHERE tbl_name <> 'advance' ORDER BY type, name)"

static const char *const v4_tables[] = {
	"patient", "protocol_copy", "regimen", "dose", "advance", "audit", "feed_token",
	"feed_event", "reminder_delivery", "reminder_snooze",
};

/* Schema 4 -> 5 gives every advance the last dose recorded before it,
 * read from the audit trail (issue 12): tests/data/store/v4.sql holds an
 * advance made in the same second as the dose logged before it (MRN-1,
 * and MRN-2's second regimen), one made in the same second as a dose
 * logged after it (MRN-2's first), one followed by a dose given before
 * it (MRN-3), and one after a voided dose (MRN-4).  Every other row and
 * schema object is as it was. */
static void test_migrate_v4(void **state)
{
	StoreFixture *fixture = *state;
	char *before[G_N_ELEMENTS(v4_tables)];
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *after_doses = NULL;
	g_autofree char *check = NULL;
	g_autofree char *phases = NULL;
	DosedStore *store;
	DosedRegimen *regimen;
	DosedNextDose next;
	GError *error = NULL;

	write_old_database(fixture->db, 4);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP_BUT_ADVANCE);
	for (size_t i = 0; i < G_N_ELEMENTS(v4_tables); i++)
		before[i] = table_dump(fixture->db, v4_tables[i], false);

	store = open_store(fixture->db);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	schema_after = sql_text(fixture->db, SCHEMA_DUMP_BUT_ADVANCE);
	assert_string_equal(schema_after, schema_before);
	for (size_t i = 0; i < G_N_ELEMENTS(v4_tables); i++) {
		/* Only advance is read as it was; regimen is as schema 4 left it. */
		g_autofree char *after = table_dump(fixture->db, v4_tables[i],
						    strcmp(v4_tables[i], "advance") == 0);

		if (strcmp(after, before[i]) != 0)
			fail_msg("table %s changed by the migration:\n%s\n---\n%s", v4_tables[i],
				 before[i], after);
		g_free(before[i]);
	}
	/* By the audit trail, not by time: advance 2 was made in the same
	 * second as dose 7, but before it. */
	after_doses = sql_text(fixture->db, "SELECT group_concat(id || ':' || after_dose_id, ' ')"
			       " FROM (SELECT * FROM advance ORDER BY id)");
	assert_string_equal(after_doses, "1:6 2:2 3:3 4:8 5:10");

	/* MRN-1: the dose logged in the second of the advance is the
	 * second loading dose, and maintenance counts from it. */
	regimen = load_patient(store, "MRN-1");
	assert_int_equal(regimen->view.n_advances, 1);
	assert_int_equal(regimen->view.advances[0].after_dose, 6);
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	schedule_next_dose(&regimen->view, 1795780800, &next);
	assert_int_equal(next.dose.phase_index, 1);
	assert_int_equal(next.dose.ordinal, 3);
	assert_int_equal(next.dose.due, date_from_ymd(2027, 1, 25));
	regimen_destroy(regimen);
	/* MRN-2's second regimen: the same. */
	regimen = load_patient(store, "MRN-2");
	assert_int_equal(regimen->regimen_id, 5);
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0");
	g_clear_pointer(&phases, g_free);
	regimen_destroy(regimen);
	/* MRN-3: a dose given before the advance but logged after it is a
	 * loading dose, as schema 4 had it. */
	regimen = load_patient(store, "MRN-3");
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	regimen_destroy(regimen);

	/* MRN-4: the third dose, logged before the advance, was voided; the
	 * advance stands (issue 12), and maintenance counts from the second
	 * dose: 24 Nov + 1 month. */
	regimen = load_patient(store, "MRN-4");
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	schedule_next_dose(&regimen->view, 1795780800, &next);
	assert_int_equal(next.dose.phase_index, 2);
	assert_int_equal(next.dose.ordinal, 3);
	assert_int_equal(next.dose.due, date_from_ymd(2026, 12, 24));
	regimen_destroy(regimen);

	/* A new advance records the last dose, however it is timed. */
	begin_write(store);
	assert_true(store_enrol(store, "MRN-5", "Eve", "Europe/London", fixture->protocol,
				date_from_ymd(2026, 11, 23), "nurse", 1795780800, &error));
	regimen = load_patient(store, "MRN-5");
	assert_true(store_advance(store, regimen, 0, "doctor", 1795780800, &error));
	regimen_destroy(regimen);
	commit(store);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 6"), 0);

	/* The rebuilt table: its index and both triggers back, nothing left
	 * of the rebuild, the same refusals. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'advance' AND name IN ('advance_by_regimen',"
				 " 'advance_never_deleted', 'advance_never_changed')"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name LIKE '%v5%'"), 0);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM advance"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE advance SET after_dose_id = 0"),
			     SQLITE_OK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO advance (regimen_id, phase_index,"
				 " advanced_at, advanced_by) VALUES (1, 0, 1, 'x')"),
			 SQLITE_CONSTRAINT_NOTNULL);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	/* Reopening a migrated database migrates nothing more. */
	store_close(open_store(fixture->db));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM advance"), 6);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A step 4 -> 5 that fails (a table in the way) leaves schema 4 whole. */
static void test_migrate_v4_in_one_transaction(void **state)
{
	assert_failed_step_changes_nothing(*state, 4, "advance_v5", "advance");
}

/* ---- reminders ---------------------------------------------------------- */

/* SQLite's plan for a query, its details one a line. */
static char *query_plan(const char *path, const char *sql)
{
	g_autofree char *explain = g_strconcat("EXPLAIN QUERY PLAN ", sql, NULL);
	GString *out = g_string_new(NULL);
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, explain, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", explain, sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW)
		g_string_append_printf(out, "%s\n", (const char *)sqlite3_column_text(stmt, 3));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return g_string_free(out, FALSE);
}

/* A record is the newest delivered moment and the newest snooze end of one
 * dose (regimen, ordinal): the max, whatever order they were written in,
 * and nothing of another dose or regimen. */
static void test_reminder_record_round_trip(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *ann, *bob;
	DosedReminderRecord record;
	g_autofree char *rows = NULL;
	g_autofree char *plan = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	enrol_patient(store, fixture, "P2", "Bob", 23);
	ann = load_patient(store, "P1");
	bob = load_patient(store, "P2");

	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);

	record_reminder(store, ann->regimen_id, 1, DOSED_REMINDER_LEAD, T0 - DAY, T0 - DAY + 2);
	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, T0 - DAY);
	assert_int_equal(record.snoozed_until, 0);

	record_reminder(store, ann->regimen_id, 1, DOSED_REMINDER_OVERDUE, T0 + DAY, T0 + DAY + 1);
	/* Written later for an earlier moment (two daemons, a clock set
	 * back): the newest moment still wins. */
	record_reminder(store, ann->regimen_id, 1, DOSED_REMINDER_DUE, T0, T0 + DAY + 5);
	record_snooze(store, ann->regimen_id, 1, T0 + 2 * 3600, T0 + 3600);
	record_snooze(store, ann->regimen_id, 1, T0 + 3600, T0 + 1800);
	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, T0 + DAY);
	assert_int_equal(record.snoozed_until, T0 + 2 * 3600);

	/* Another dose of the same regimen, and the same ordinal of another
	 * regimen, start empty. */
	record = load_record(store, ann->regimen_id, 2);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);
	record = load_record(store, bob->regimen_id, 1);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);
	record_snooze(store, bob->regimen_id, 1, T0 + 7200, T0 + 3600);
	record = load_record(store, bob->regimen_id, 1);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, T0 + 7200);

	/* Survives a reopen; every row kept, with its kind and when. */
	store_close(store);
	store = open_store(fixture->db);
	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, T0 + DAY);
	rows = table_dump(fixture->db, "reminder_delivery", false);
	assert_string_equal(rows,
			    "1|1|1|lead|1795341600|1795341602\n"
			    "2|1|1|overdue|1795514400|1795514401\n"
			    "3|1|1|due|1795428000|1795514405\n");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_snooze"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT asked_at FROM reminder_snooze"
				 " WHERE until = " G_STRINGIFY(1795435200)), T0 + 3600);
	/* The lookup reads the indexes alone, not the tables. */
	plan = query_plan(fixture->db,
		"SELECT (SELECT max(moment) FROM reminder_delivery"
		"        WHERE regimen_id = ?1 AND ordinal = ?2),"
		" (SELECT max(until) FROM reminder_snooze"
		"        WHERE regimen_id = ?1 AND ordinal = ?2)");
	assert_non_null(strstr(plan, "USING COVERING INDEX reminder_delivery_by_dose"));
	assert_non_null(strstr(plan, "USING COVERING INDEX reminder_snooze_by_dose"));
	regimen_destroy(ann);
	regimen_destroy(bob);
	store_close(store);
}

/* Append-only (SPEC 5): a delivered reminder or a snooze is never
 * rewritten or removed, and the schema refuses what is not a reminder. */
static void test_reminder_tables_append_only(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	regimen = load_patient(store, "P1");
	record_reminder(store, regimen->regimen_id, 1, DOSED_REMINDER_DUE, T0, T0 + 1);
	record_snooze(store, regimen->regimen_id, 1, T0 + 3600, T0 + 10);
	regimen_destroy(regimen);
	store_close(store);

	assert_int_equal(sql_try(fixture->db, "DELETE FROM reminder_delivery"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "UPDATE reminder_delivery SET moment = 1"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "UPDATE reminder_delivery SET delivered_at = 1"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "DELETE FROM reminder_snooze"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "UPDATE reminder_snooze SET until = 1"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_int(fixture->db, "SELECT moment FROM reminder_delivery"), T0);
	assert_int_equal(sql_int(fixture->db, "SELECT until FROM reminder_snooze"), T0 + 3600);

	assert_int_equal(sql_try(fixture->db, "INSERT INTO reminder_delivery (regimen_id,"
				 " ordinal, kind, moment, delivered_at) VALUES (1, 1, 'snooze', 5, 5)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO reminder_delivery (regimen_id,"
				 " ordinal, kind, moment, delivered_at) VALUES (1, 0, 'due', 5, 5)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO reminder_snooze (regimen_id,"
				 " ordinal, until, asked_at) VALUES (1, 1, 0, 5)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "PRAGMA foreign_keys = ON;"
				 " INSERT INTO reminder_snooze (regimen_id, ordinal, until, asked_at)"
				 " VALUES (42, 1, 5, 5)"), SQLITE_CONSTRAINT_FOREIGNKEY);
}

/* What cannot be a reminder is refused with a message and writes nothing;
 * so is a write outside a write transaction. */
static void test_reminder_refused(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;
	DosedReminderRecord record;
	GError *error = NULL;
	gint64 id;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	regimen = load_patient(store, "P1");
	id = regimen->regimen_id;

	assert_false(store_record_reminder(store, id, 1, DOSED_REMINDER_DUE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	assert_false(store_record_snooze(store, id, 1, T0 + 3600, T0, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);

	begin_write(store);
	/* A good row first: the refusals after it must not take it away. */
	assert_true(store_record_reminder(store, id, 1, DOSED_REMINDER_LEAD, T0 - DAY, T0,
					  &error));
	assert_false(store_record_reminder(store, id, 1, DOSED_REMINDER_NONE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "only a lead, due or overdue reminder");
	g_clear_error(&error);
	assert_false(store_record_reminder(store, id, 0, DOSED_REMINDER_DUE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "ordinal of a dose (1 or more), not 0");
	g_clear_error(&error);
	assert_false(store_record_reminder(store, id, 1, DOSED_REMINDER_DUE, 0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "needs a moment after 1970");
	g_clear_error(&error);
	assert_false(store_record_snooze(store, id, 1, 0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "a snooze needs a moment after 1970");
	g_clear_error(&error);
	assert_false(store_record_reminder(store, id + 41, 1, DOSED_REMINDER_DUE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_NOT_FOUND, "no regimen");
	assert_non_null(strstr(error->message, "reload the patients"));
	g_clear_error(&error);
	assert_false(store_record_snooze(store, id + 41, 1, T0 + 3600, T0, &error));
	assert_error(error, DOSED_ERROR_NOT_FOUND, "no regimen");
	g_clear_error(&error);
	commit(store);

	record = load_record(store, id, 1);
	assert_int_equal(record.last_delivered, T0 - DAY);
	assert_int_equal(record.snoozed_until, 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_delivery"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_snooze"), 0);

	/* A rolled-back delivery was never delivered. */
	begin_write(store);
	assert_true(store_record_reminder(store, id, 1, DOSED_REMINDER_DUE, T0, T0, &error));
	store_rollback(store);
	record = load_record(store, id, 1);
	assert_int_equal(record.last_delivered, T0 - DAY);
	regimen_destroy(regimen);
	store_close(store);
}

/* ---- noticing changes --------------------------------------------------- */

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
	g_free(issue(store, "P1", false, T0, NULL));
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
		cmocka_unit_test_setup_teardown(test_fresh_0600_umask_022, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fresh_0600_umask_077, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fresh_0660_umask_022, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fresh_0660_umask_077, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_sqlite_refused, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_sqlite_refused, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_empty_file_adopted, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_folder_cannot_be_made, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_load_round_trip, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_many, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_many_all_or_nothing, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_many_repeated_id, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_many_returning_patient, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_many_repeated_after_refusal, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enrol_many_ids_follow_stored, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_patient, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_enrol_refused, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reenrol_after_stop, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_same_second_in_recorded_order, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_audit_rows, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_void_twice_and_unknown_dose, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ordinal_unique, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stopped_regimen_refuses_changes, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_write_needs_transaction, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_deleted, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_locked_database, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_database, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_regimens, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_regimens_by_id, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_foreach_regimen, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_foreach_regimen_halves, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_audit_mark, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_only_patient, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_token_shown_once, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_token_rotate, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_token_clinic, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_token_refused_writes_nothing, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_audit_without_token_material, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_tables_guarded, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_in_one_transaction, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_states_round_trip, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_states_failed_save, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_states_many, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_data_version, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2_in_one_transaction, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3_in_one_transaction, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v4, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v4_in_one_transaction, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reminder_record_round_trip, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reminder_tables_append_only, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reminder_refused, store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
