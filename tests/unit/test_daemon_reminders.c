/* test_daemon_reminders.c - what the daemon's reminders say and which it
 * owes (SPEC 4, Reminders): the notification body with and without
 * actions, the confirmation of a logged dose and whom it names, and
 * reminders_plan_all() on a real database: one reminder per patient (the
 * newest moment, not a backlog), the earliest next moment across patients
 * and zones, and nothing for what was delivered, snoozed, logged or
 * stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "notify.h"
#include "protocol.h"
#include "reminders.h"
#include "schedule.h"
#include "store.h"
#include "timeutil.h"

#include "helpers.h"

/* 09:00 on Mon 23 Nov 2026 in UTC and in New York (UTC-5 in November). */
#define P1_DUE (T0 - HOUR)
#define P2_DUE (T0 + 4 * HOUR)

static const char loading_protocol_ini[] =
	"[test-neuro]\n"
	"title  = Test protocol\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = loading: alternate days until advanced\n"
	"phase  = maintenance: every 2 months for life\n";

/* [reminders] at = 09:00, before = 1 day, overdue_every = 1 day,
 * snooze = 1 hour: the defaults of SPEC 6. */
static const DosedReminderSettings settings = {
	.at = 9 * 3600,
	.before_ms = 24 * 3600 * 1000,
	.overdue_every_ms = 24 * 3600 * 1000,
	.snooze_ms = 3600 * 1000,
};

/* ---- the texts ------------------------------------------------------- */

static NotifierReminder sample_reminder(void)
{
	NotifierReminder reminder = {
		.summary = "Hydroxocobalamin 1 mg due today",
		.patient_id = "P1",
		.patient_name = "Jo Patient",
		.phase_name = "loading",
		.dose_in_phase = 3,
		.site = "left thigh",
	};

	return reminder;
}

static void test_body_with_actions(void **state)
{
	NotifierReminder reminder = sample_reminder();
	char *body = notifier_reminder_body(&reminder, true, false);

	assert_string_equal(body, "Jo Patient\nDose 3 of the loading phase\n"
				  "Suggested site: left thigh");
	g_free(body);
}

/* Issue 4: where the server has no actions, the body says how to log. */
static void test_body_without_actions(void **state)
{
	NotifierReminder reminder = sample_reminder();
	char *body = notifier_reminder_body(&reminder, false, false);

	assert_string_equal(body, "Jo Patient\nDose 3 of the loading phase\n"
				  "Suggested site: left thigh\nLog it with: dosectl log P1");
	g_free(body);
}

/* An id a shell would split or interpret is quoted, so the line can be
 * typed as shown. */
static void test_body_quotes_odd_patient_id(void **state)
{
	NotifierReminder reminder = sample_reminder();
	char *body;

	reminder.patient_id = "O'Brien 7";
	body = notifier_reminder_body(&reminder, false, false);
	assert_true(g_str_has_suffix(body, "\nLog it with: dosectl log 'O'\\''Brien 7'"));
	g_free(body);
	reminder.patient_id = "MRN-0042/b";
	body = notifier_reminder_body(&reminder, false, false);
	assert_true(g_str_has_suffix(body, "\nLog it with: dosectl log MRN-0042/b"));
	g_free(body);
}

/* No [rotation] sites: no site line. */
static void test_body_without_site(void **state)
{
	NotifierReminder reminder = sample_reminder();
	char *body;

	reminder.site = NULL;
	body = notifier_reminder_body(&reminder, true, false);
	assert_string_equal(body, "Jo Patient\nDose 3 of the loading phase");
	g_free(body);
}

/* A server with body-markup reads the body as markup: "&" and "<" in a
 * name must arrive as text. */
static void test_body_escaped_for_markup(void **state)
{
	NotifierReminder reminder = sample_reminder();
	char *body;

	reminder.patient_name = "Smith & <Sons>";
	body = notifier_reminder_body(&reminder, true, true);
	assert_string_equal(body, "Smith &amp; &lt;Sons&gt;\nDose 3 of the loading phase\n"
				  "Suggested site: left thigh");
	g_free(body);
	body = notifier_reminder_body(&reminder, true, false);
	assert_true(g_str_has_prefix(body, "Smith & <Sons>\n"));
	g_free(body);
}

static void test_logged_summary(void **state)
{
	char *text = reminders_logged_summary("hydroxocobalamin", "1 mg", 3, "left thigh");

	assert_string_equal(text, "Logged: Hydroxocobalamin 1 mg, dose #3, left thigh");
	g_free(text);
	text = reminders_logged_summary("cyanocobalamin", "100 mcg", 12, NULL);
	assert_string_equal(text, "Logged: Cyanocobalamin 100 mcg, dose #12");
	g_free(text);
	/* A non-ASCII first letter is capitalised too. */
	text = reminders_logged_summary("\xc3\xa9tude", "1 mg", 1, NULL);
	assert_string_equal(text, "Logged: \xc3\x89tude 1 mg, dose #1");
	g_free(text);
}

/* A confirmation names the patient acted on, by name and id (two patients
 * may share a name), or by id alone. */
static void test_patient_label(void **state)
{
	char *text = reminders_patient_label("Pat Five", "P5");

	assert_string_equal(text, "Pat Five (P5)");
	g_free(text);
	text = reminders_patient_label("", "P5");
	assert_string_equal(text, "P5");
	g_free(text);
	text = reminders_patient_label(NULL, "P5");
	assert_string_equal(text, "P5");
	g_free(text);
}

/* "Dose not logged" says what the patient at the desktop can do: the
 * notification has no --force, so what it names is a command of its own,
 * and no option of another program is left dangling. */
static void test_refusal_text(void **state)
{
	GError *error = NULL;
	char *text;

	g_set_error(&error, DOSED_ERROR, DOSED_ERROR_TOO_SOON,
		    "too soon: the last dose was on 2026-11-12 and the next is due on 2027-01-12");
	text = reminders_refusal_text(error, "P5");
	assert_string_equal(text, "too soon: the last dose was on 2026-11-12 and the next is "
			    "due on 2027-01-12; if the dose was given, log it with dosectl log "
			    "P5 --force");
	g_free(text);
	g_clear_error(&error);

	g_set_error(&error, DOSED_ERROR, DOSED_ERROR_SAME_DAY,
		    "a dose was already logged on 2026-11-23");
	text = reminders_refusal_text(error, "P5");
	assert_string_equal(text, "a dose was already logged on 2026-11-23; if this second "
			    "dose is intended, log it with dosectl log P5 --force");
	g_free(text);
	g_clear_error(&error);

	g_set_error(&error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'P5'");
	text = reminders_refusal_text(error, "P5");
	assert_string_equal(text, "unknown patient 'P5'; the patient is no longer in the "
			    "database dosed reads");
	g_free(text);
	g_clear_error(&error);

	/* Any other refusal is said as the core says it. */
	g_set_error(&error, DOSED_ERROR, DOSED_ERROR_REFUSED,
		    "the regimen was stopped on 2026-11-24; enrol the patient again to start "
		    "a new one");
	text = reminders_refusal_text(error, "P5");
	assert_string_equal(text, error->message);
	g_free(text);
	g_clear_error(&error);
}

/* ---- reminders_plan_all() on a database ------------------------------- */

typedef struct {
	char *folder;
	DosedStore *store;
	DosedProtocol *protocol;
} Fixture;

static void enrol(Fixture *fixture, const char *id, const char *name, const char *tz)
{
	GError *error = NULL;

	begin_write(fixture->store);
	if (!store_enrol(fixture->store, id, name, tz, fixture->protocol,
			 date_from_ymd(2026, 11, 23), "test", T0 - 7 * DAY, &error))
		fail_msg("store_enrol: %s", error->message);
	commit(fixture->store);
}

static int setup_store(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);
	GError *error = NULL;
	char *path;

	fixture->folder = g_dir_make_tmp("dosed-reminders-XXXXXX", &error);
	assert_non_null(fixture->folder);
	path = g_build_filename(fixture->folder, "dosed.db", NULL);
	fixture->store = store_open(path, 0600, 1000, &error);
	g_free(path);
	if (!fixture->store)
		fail_msg("store_open: %s", error->message);
	fixture->protocol = protocol_from_ini(loading_protocol_ini, "test", &error);
	if (!fixture->protocol)
		fail_msg("protocol_from_ini: %s", error->message);
	enrol(fixture, "P1", "Jo Patient", "UTC");
	enrol(fixture, "P2", "Al Other", "America/New_York");
	*state = fixture;
	return 0;
}

static int teardown_store(void **state)
{
	Fixture *fixture = *state;

	store_close(fixture->store);
	remove_tree(fixture->folder);
	g_free(fixture->folder);
	protocol_destroy(fixture->protocol);
	g_free(fixture);
	return 0;
}

/* The plan at `now`: the owed reminders (by patient) and the next moment. */
typedef struct {
	GPtrArray *regimens;
	GArray *owed;
	gint64 next;
} Plan;

static void plan_at(Fixture *fixture, gint64 now, Plan *plan)
{
	GError *error = NULL;

	plan->owed = g_array_new(FALSE, FALSE, sizeof(RemindersOwed));
	plan->regimens = reminders_plan_all(fixture->store, &settings, now, NULL, plan->owed,
					    &plan->next, NULL, &error);
	if (!plan->regimens)
		fail_msg("reminders_plan_all: %s", error->message);
}

static void plan_clear(Plan *plan)
{
	g_array_unref(plan->owed);
	g_ptr_array_unref(plan->regimens);
}

static const RemindersOwed *owed_for(const Plan *plan, const char *patient_id)
{
	const RemindersOwed *found = NULL;

	for (guint i = 0; i < plan->owed->len; i++) {
		const RemindersOwed *item = &g_array_index(plan->owed, RemindersOwed, i);

		if (strcmp(item->regimen->patient_id, patient_id) == 0) {
			/* One per patient, never two. */
			assert_null(found);
			found = item;
		}
	}
	return found;
}

static void record_delivery(Fixture *fixture, const RemindersOwed *item, gint64 now)
{
	GError *error = NULL;

	begin_write(fixture->store);
	if (!store_record_reminder(fixture->store, item->regimen->regimen_id,
				   item->reminder.ordinal, item->reminder.kind,
				   item->reminder.moment, now, &error))
		fail_msg("store_record_reminder: %s", error->message);
	commit(fixture->store);
}

/* At 10:00Z on the due date: P1 (UTC) owes "due" since 09:00Z; P2 (New
 * York) owes the lead of the day before (09:00 there is 14:00Z), and
 * P2's due moment is the earliest to come. */
static void test_plan_each_zone(void **state)
{
	Fixture *fixture = *state;
	const RemindersOwed *p1, *p2;
	Plan plan;

	plan_at(fixture, T0, &plan);
	assert_int_equal(plan.owed->len, 2);
	p1 = owed_for(&plan, "P1");
	p2 = owed_for(&plan, "P2");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_int_equal(p1->reminder.kind, DOSED_REMINDER_DUE);
	assert_int_equal(p1->reminder.moment, P1_DUE);
	assert_int_equal(p1->reminder.ordinal, 1);
	assert_int_equal(p1->next.dose.ordinal, 1);
	assert_int_equal(p1->next.dose.dose_in_phase, 1);
	assert_int_equal(p2->reminder.kind, DOSED_REMINDER_LEAD);
	assert_int_equal(p2->reminder.moment, P2_DUE - DAY);
	assert_int_equal(plan.next, P2_DUE);
	plan_clear(&plan);
}

/* Delivered means recorded: a restart (a new plan) owes nothing again. */
static void test_plan_delivered_not_again(void **state)
{
	Fixture *fixture = *state;
	Plan plan;

	plan_at(fixture, T0, &plan);
	for (guint i = 0; i < plan.owed->len; i++)
		record_delivery(fixture, &g_array_index(plan.owed, RemindersOwed, i), T0);
	plan_clear(&plan);

	plan_at(fixture, T0 + 60, &plan);
	assert_int_equal(plan.owed->len, 0);
	assert_int_equal(plan.next, P2_DUE);
	plan_clear(&plan);

	/* P2's due moment comes; P1's next is its overdue moment tomorrow. */
	plan_at(fixture, P2_DUE, &plan);
	assert_int_equal(plan.owed->len, 1);
	assert_int_equal(owed_for(&plan, "P2")->reminder.kind, DOSED_REMINDER_DUE);
	assert_int_equal(plan.next, P1_DUE + DAY);
	plan_clear(&plan);
}

/* Three days with dosed stopped: one reminder per patient, the newest
 * overdue moment, not the lead, due and two overdue ones before it. */
static void test_plan_no_backlog(void **state)
{
	Fixture *fixture = *state;
	gint64 now = P1_DUE + 3 * DAY + 2 * HOUR; /* Thu 26 Nov, 11:00Z */
	const RemindersOwed *p1;
	Plan plan;

	plan_at(fixture, now, &plan);
	assert_int_equal(plan.owed->len, 2);
	p1 = owed_for(&plan, "P1");
	assert_int_equal(p1->reminder.kind, DOSED_REMINDER_OVERDUE);
	assert_int_equal(p1->reminder.moment, P1_DUE + 3 * DAY);
	assert_int_equal(p1->next.status, DOSED_STATUS_OVERDUE);
	/* New York's 09:00 that day is still to come: P2's newest is the
	 * day before's. */
	assert_int_equal(owed_for(&plan, "P2")->reminder.moment, P2_DUE + 2 * DAY);
	assert_int_equal(plan.next, P2_DUE + 3 * DAY);
	plan_clear(&plan);
}

/* A snooze silences the dose until it ends, then owes it again. */
static void test_plan_snooze(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	const RemindersOwed *p1;
	gint64 regimen_id;
	Plan plan;

	plan_at(fixture, T0, &plan);
	p1 = owed_for(&plan, "P1");
	regimen_id = p1->regimen->regimen_id;
	record_delivery(fixture, p1, T0);
	plan_clear(&plan);
	begin_write(fixture->store);
	if (!store_record_snooze(fixture->store, regimen_id, 1, T0 + HOUR, T0, &error))
		fail_msg("store_record_snooze: %s", error->message);
	commit(fixture->store);

	plan_at(fixture, T0 + HOUR / 2, &plan);
	assert_null(owed_for(&plan, "P1"));
	assert_int_equal(plan.next, T0 + HOUR);
	plan_clear(&plan);

	plan_at(fixture, T0 + HOUR, &plan);
	p1 = owed_for(&plan, "P1");
	assert_non_null(p1);
	assert_int_equal(p1->reminder.moment, T0 + HOUR);
	assert_int_equal(p1->reminder.kind, DOSED_REMINDER_DUE);
	plan_clear(&plan);
}

/* A dose logged (here, as the "log" action does) and a regimen stopped:
 * no reminder for either, and their moments no longer count. */
static void test_plan_logged_and_stopped(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	DosedRegimen *p1, *p2;
	DosedPlannedDose logged_as;
	gint64 dose_id;
	Plan plan;

	begin_write(fixture->store);
	p1 = store_load_regimen(fixture->store, "P1", &error);
	assert_non_null(p1);
	assert_true(schedule_check_log(&p1->view, T0, T0, false, &logged_as, &error));
	assert_true(store_log_dose(fixture->store, p1, &logged_as, T0, "left deltoid",
				   "logged from the desktop notification", false, "test", T0,
				   &dose_id, &error));
	p2 = store_load_regimen(fixture->store, "P2", &error);
	assert_non_null(p2);
	assert_true(store_stop(fixture->store, p2, "test", T0, &error));
	commit(fixture->store);
	regimen_destroy(p1);
	regimen_destroy(p2);

	plan_at(fixture, T0 + 60, &plan);
	assert_int_equal(plan.owed->len, 0);
	/* P1's dose #2 is due Wed 25 Nov: its lead is Tue 24 Nov, 09:00Z. */
	assert_int_equal(plan.next, P1_DUE + DAY);
	plan_clear(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_with_actions),
		cmocka_unit_test(test_body_without_actions),
		cmocka_unit_test(test_body_quotes_odd_patient_id),
		cmocka_unit_test(test_body_without_site),
		cmocka_unit_test(test_body_escaped_for_markup),
		cmocka_unit_test(test_logged_summary),
		cmocka_unit_test(test_patient_label),
		cmocka_unit_test(test_refusal_text),
		cmocka_unit_test_setup_teardown(test_plan_each_zone, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_plan_delivered_not_again, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_plan_no_backlog, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_plan_snooze, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_plan_logged_and_stopped, setup_store,
						teardown_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
