/* test_store_enrol.c - enrolling patients, one (dosectl enrol) or many at
 * once (dosectl import) (core/store_enrol.c).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_enrol_load_round_trip),
		STORE_TEST(test_duplicate_enrol_refused),
		STORE_TEST(test_reenrol_after_stop),
		STORE_TEST(test_enrol_many),
		STORE_TEST(test_enrol_many_all_or_nothing),
		STORE_TEST(test_enrol_many_repeated_id),
		STORE_TEST(test_enrol_many_returning_patient),
		STORE_TEST(test_enrol_many_repeated_after_refusal),
		STORE_TEST(test_enrol_many_ids_follow_stored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
