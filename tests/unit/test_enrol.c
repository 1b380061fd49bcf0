/* test_enrol.c - the rules of an enrolment (core/enrol.c), which dosectl
 * enrol and dosectl import both apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "enrol.h"
#include "error.h"
#include "timeutil.h"

#include "helpers.h"

static void test_patient_id(void **state)
{
	g_autofree char *longest = g_strnfill(64, 'x');
	g_autofree char *too_long = g_strnfill(65, 'x');

	(void)state;
	assert_true(enrol_patient_id_valid("MRN0000001"));
	assert_true(enrol_patient_id_valid("P-1"));
	assert_true(enrol_patient_id_valid("Zo\xc3\xab"));
	assert_true(enrol_patient_id_valid(longest));
	assert_false(enrol_patient_id_valid(too_long));
	assert_false(enrol_patient_id_valid(""));
	assert_false(enrol_patient_id_valid("-x"));
	assert_false(enrol_patient_id_valid("a b"));
	assert_false(enrol_patient_id_valid("a\tb"));
	assert_false(enrol_patient_id_valid("a\x1b[31m"));
	assert_false(enrol_patient_id_valid("\xff"));
	/* A no-break space is a space too. */
	assert_false(enrol_patient_id_valid("a\xc2\xa0" "b"));
}

/* Today in the patient's zone, not in UTC: 23:30 UTC is already the next
 * day in Auckland. */
static void test_today_in_patient_zone(void **state)
{
	GTimeZone *auckland = g_time_zone_new_identifier("Pacific/Auckland");
	GTimeZone *utc = g_time_zone_new_utc();
	gint64 late = T0 + 13 * HOUR + 30 * 60;

	(void)state;
	assert_int_equal(enrol_today(utc, late), date_from_ymd(2026, 11, 23));
	assert_int_equal(enrol_today(auckland, late), date_from_ymd(2026, 11, 24));
	g_time_zone_unref(auckland);
	g_time_zone_unref(utc);
}

/* Up to a year (366 days) ahead and from 1900: anything else is a typo. */
static void test_start_range(void **state)
{
	DosedDate today = date_from_ymd(2026, 11, 23);
	GError *error = NULL;

	(void)state;
	assert_true(enrol_check_start(today, today, NULL));
	assert_true(enrol_check_start(date_add_days(today, 366), today, NULL));
	assert_true(enrol_check_start(date_from_ymd(1900, 1, 1), today, NULL));
	assert_false(enrol_check_start(date_add_days(today, 367), today, &error));
	assert_error(error, DOSED_ERROR_INVALID,
		     "start 2027-11-25 is more than a year ahead or before 1900; check the date");
	g_clear_error(&error);
	assert_false(enrol_check_start(date_from_ymd(1899, 12, 31), today, &error));
	assert_error(error, DOSED_ERROR_INVALID, "start 1899-12-31 is more than a year ahead");
	g_clear_error(&error);
	/* Near the calendar's end there is no year ahead to allow. */
	assert_false(enrol_check_start(date_from_ymd(9999, 12, 31), date_from_ymd(9999, 12, 1),
				       NULL));
}

static void test_record(void **state)
{
	const DosedEnrolRecord none = { NULL, NULL, NULL, NULL };
	const DosedEnrolRecord returning = { "Ann", "Europe/London", NULL, NULL };
	const DosedEnrolRecord active = { "Ann", "Europe/London", "b12-standard", "2026-11-01" };
	GError *error = NULL;

	(void)state;
	assert_true(enrol_check_record("P1", "Ann", NULL, &none, NULL));
	assert_false(enrol_check_record("P1", NULL, NULL, &none, &error));
	assert_error(error, DOSED_ERROR_INVALID, "patient 'P1' is new and needs a name");
	g_clear_error(&error);

	/* A returning patient keeps what is on record. */
	assert_true(enrol_check_record("P1", NULL, NULL, &returning, NULL));
	assert_true(enrol_check_record("P1", "Ann", "Europe/London", &returning, NULL));
	assert_false(enrol_check_record("P1", "Anne", NULL, &returning, &error));
	assert_error(error, DOSED_ERROR_REFUSED,
		     "patient 'P1' is on record as 'Ann' in Europe/London");
	g_clear_error(&error);
	assert_false(enrol_check_record("P1", NULL, "Europe/Paris", &returning, &error));
	assert_error(error, DOSED_ERROR_REFUSED, "enrol them again with that name and zone");
	g_clear_error(&error);

	/* SPEC 3: never enrolled twice. */
	assert_false(enrol_check_record("P1", "Ann", NULL, &active, &error));
	assert_error(error, DOSED_ERROR_EXISTS,
		     "patient 'P1' is already enrolled (on b12-standard since 2026-11-01)");
	g_clear_error(&error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patient_id),
		cmocka_unit_test(test_today_in_patient_zone),
		cmocka_unit_test(test_start_range),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
