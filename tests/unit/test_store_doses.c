/* test_store_doses.c - doses logged and voided, advances and stops, and the
 * order they were recorded in (core/store_doses.c).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_same_second_in_recorded_order),
		STORE_TEST(test_void_twice_and_unknown_dose),
		STORE_TEST(test_ordinal_unique),
		STORE_TEST(test_stopped_regimen_refuses_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
