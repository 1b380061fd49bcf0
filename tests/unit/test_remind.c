/* test_remind.c - when a reminder is owed (SPEC 4, Reminders), to the second.
 *
 * Every expected moment is written as the UTC time it must be, worked out
 * by hand from the zone's rules, never computed with the code under test.
 * The settings are the defaults of SPEC 6 unless a test says otherwise:
 * at 09:00, before 1 day, overdue_every 1 day, snooze 1 hour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol.h"
#include "remind.h"
#include "schedule.h"
#include "timeutil.h"

#define HOUR G_GINT64_CONSTANT(3600)
#define DAY (24 * HOUR)
#define MAX_DOSES 8

/* A dose every two weeks, no grace (SPEC 2.3: 0 days for weekly
 * patterns): due and latest are the same day. */
static const char fortnightly_ini[] =
	"[test-fortnightly]\n"
	"title  = Test: every 2 weeks\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = maintenance: every 2 weeks for life\n";

/* b12-standard's maintenance: a window, due from +2, overdue after +3. */
static const char window_ini[] =
	"[test-window]\n"
	"title  = Test: every 2-3 months\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = maintenance: every 2-3 months for life\n";

static const char daily_ini[] =
	"[test-daily]\n"
	"title  = Test: daily\n"
	"drug   = cyanocobalamin\n"
	"dose   = 100 mcg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = initial: daily for 7 doses\n"
	"phase  = maintenance: every 1 month for life\n";

/* Completes after one dose. */
static const char single_ini[] =
	"[test-single]\n"
	"title  = Test: one dose\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = only: every 2 weeks for 1 dose\n";

/* One regimen as the store would hand it to the engine. */
typedef struct {
	DosedProtocol *protocol;
	GTimeZone *tz;
	DosedDoseEvent doses[MAX_DOSES];
	DosedRegimenView view;
} Regimen;

static Regimen *regimen_on(const char *ini, const char *zone, DosedDate start)
{
	Regimen *r = g_new0(Regimen, 1);
	GError *error = NULL;

	r->protocol = protocol_from_ini(ini, "test", &error);
	if (!r->protocol)
		fail_msg("protocol_from_ini: %s", error->message);
	r->tz = zone_open(zone, &error);
	if (!r->tz)
		fail_msg("zone_open: %s", error->message);
	r->view.protocol = r->protocol;
	assert_int_not_equal(start, DOSED_DATE_NONE);
	r->view.start = start;
	r->view.tz = r->tz;
	r->view.doses = r->doses;
	return r;
}

/* Starting (and so first due) on year-month-day. */
static Regimen *regimen_new(const char *ini, const char *zone, int year, int month, int day)
{
	return regimen_on(ini, zone, date_from_ymd(year, month, day));
}

static void regimen_free(Regimen *r)
{
	protocol_destroy(r->protocol);
	g_time_zone_unref(r->tz);
	g_free(r);
}

/* A dose given at `given_at`, with the next ordinal. */
static void give(Regimen *r, gint64 given_at)
{
	assert_true(r->view.n_doses < MAX_DOSES);
	r->doses[r->view.n_doses] = (DosedDoseEvent){
		.given_at = given_at,
		.ordinal = (int)r->view.n_doses + 1,
	};
	r->view.n_doses++;
}

/* A UTC wall-clock time, as GLib reads it: the expected values. */
static gint64 utc(int year, int month, int day, int hour, int minute)
{
	GDateTime *t = g_date_time_new_utc(year, month, day, hour, minute, 0);
	gint64 instant;

	assert_non_null(t);
	instant = g_date_time_to_unix(t);
	g_date_time_unref(t);
	return instant;
}

static DosedReminderSettings defaults(void)
{
	return (DosedReminderSettings){
		.at = 9 * 3600,
		.before_ms = 1000 * DAY,
		.overdue_every_ms = 1000 * DAY,
		.snooze_ms = 1000 * HOUR,
	};
}

typedef struct {
	DosedReminder owed;
	gint64 next;
} Plan;

static Plan plan_with(const Regimen *r, const DosedReminderSettings *settings,
		      gint64 last_delivered, gint64 snoozed_until, gint64 now)
{
	DosedReminderRecord record = { last_delivered, snoozed_until };
	Plan p;

	memset(&p, 0xa5, sizeof p);     /* every field must be written */
	reminder_plan(&r->view, settings, &record, now, &p.owed, &p.next);
	return p;
}

static Plan plan(const Regimen *r, gint64 last_delivered, gint64 snoozed_until, gint64 now)
{
	DosedReminderSettings settings = defaults();

	return plan_with(r, &settings, last_delivered, snoozed_until, now);
}

static const char *kind_name(DosedReminderKind kind)
{
	switch (kind) {
	case DOSED_REMINDER_NONE:
		return "none";
	case DOSED_REMINDER_LEAD:
		return "lead";
	case DOSED_REMINDER_DUE:
		return "due";
	case DOSED_REMINDER_OVERDUE:
		return "overdue";
	default:
		return "(not a kind)";
	}
}

static void fmt_utc(gint64 instant, char *buf)
{
	GTimeZone *tz = g_time_zone_new_utc();

	if (instant == 0)
		g_strlcpy(buf, "0", DOSED_TIMESTAMP_BUF);
	else
		timestamp_format(instant, tz, buf);
	g_time_zone_unref(tz);
}

/* The plan owes `kind` for `moment` and next wakes at `next`. */
#define assert_plan(p, kind, moment, next_moment) \
	check_plan(&(p), kind, moment, next_moment, __FILE__, __LINE__)

static void check_plan(const Plan *p, DosedReminderKind kind, gint64 moment, gint64 next,
		       const char *file, int line)
{
	char got_m[DOSED_TIMESTAMP_BUF], want_m[DOSED_TIMESTAMP_BUF];
	char got_n[DOSED_TIMESTAMP_BUF], want_n[DOSED_TIMESTAMP_BUF];

	fmt_utc(p->owed.kind == DOSED_REMINDER_NONE ? 0 : p->owed.moment, got_m);
	fmt_utc(moment, want_m);
	fmt_utc(p->next, got_n);
	fmt_utc(next, want_n);
	if (p->owed.kind != kind ||
	    (kind != DOSED_REMINDER_NONE && p->owed.moment != moment) || p->next != next)
		fail_msg("%s:%d: owed %s at %s, next %s; expected %s at %s, next %s", file, line,
			 kind_name(p->owed.kind), got_m, got_n, kind_name(kind), want_m, want_n);
}

static char *summary(const DosedReminder *owed, const Regimen *r, gint64 now)
{
	return reminder_summary(owed, r->protocol->drug, r->protocol->dose, now, r->tz);
}

/* ---- the moments of one dose ----------------------------------------- */

/* Due Wed 2026-11-25 in London (GMT = UTC in November): lead Tue 24 at
 * 09:00, due Wed 25 at 09:00, overdue from Thu 26 at 09:00, then daily. */
static void test_lead_due_overdue_moments(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	gint64 lead = utc(2026, 11, 24, 9, 0);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	gint64 over1 = utc(2026, 11, 27, 9, 0);
	Plan p;

	/* Enrolled days ahead: nothing owed, sleep until the lead. */
	p = plan(r, 0, 0, utc(2026, 11, 20, 14, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, lead);
	assert_int_equal(p.owed.ordinal, 1);
	assert_int_equal(p.owed.due, date_from_ymd(2026, 11, 25));
	assert_int_equal(p.owed.latest, date_from_ymd(2026, 11, 25));

	p = plan(r, 0, 0, lead);
	assert_plan(p, DOSED_REMINDER_LEAD, lead, due);
	p = plan(r, lead, 0, due);
	assert_plan(p, DOSED_REMINDER_DUE, due, over0);
	assert_int_equal(p.owed.ordinal, 1);
	assert_int_equal(p.owed.due, date_from_ymd(2026, 11, 25));
	p = plan(r, due, 0, over0);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0, over1);
	p = plan(r, over0, 0, over1);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over1, utc(2026, 11, 28, 9, 0));
	regimen_free(r);
}

/* Owed at the moment itself (<= now), not a second before. */
static void test_owed_exactly_at_the_moment(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	gint64 lead = utc(2026, 11, 24, 9, 0);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	Plan p;

	p = plan(r, 0, 0, lead - 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, lead);
	p = plan(r, 0, 0, lead);
	assert_plan(p, DOSED_REMINDER_LEAD, lead, due);

	p = plan(r, lead, 0, due - 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, due);
	p = plan(r, lead, 0, due);
	assert_plan(p, DOSED_REMINDER_DUE, due, over0);

	p = plan(r, due, 0, over0 - 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0);
	p = plan(r, due, 0, over0);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0, over0 + DAY);
	regimen_free(r);
}

/* Once delivered (recorded), a moment is never owed again, even a second
 * or an hour later, and the next one is what the daemon sleeps for. */
static void test_delivered_not_owed_again(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	gint64 lead = utc(2026, 11, 24, 9, 0);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	Plan p;

	p = plan(r, lead, 0, lead);
	assert_plan(p, DOSED_REMINDER_NONE, 0, due);
	p = plan(r, lead, 0, lead + 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, due);
	p = plan(r, due, 0, due + 5 * HOUR);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0);
	p = plan(r, over0, 0, over0);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + DAY);
	/* A clock set back below what was delivered: nothing comes round
	 * again; the next moment is after the delivered one. */
	p = plan(r, over0, 0, due - HOUR);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + DAY);
	regimen_free(r);
}

/* The daemon was stopped (or the laptop shut) for a week: of the six
 * overdue moments missed, only the newest is owed, once, not a backlog. */
static void test_week_away_owes_only_the_newest(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	gint64 lead = utc(2026, 11, 24, 9, 0);
	gint64 back = utc(2026, 12, 2, 15, 30);
	gint64 newest = utc(2026, 12, 2, 9, 0);
	gint64 next = utc(2026, 12, 3, 9, 0);
	Plan p;

	p = plan(r, lead, 0, back);
	assert_plan(p, DOSED_REMINDER_OVERDUE, newest, next);
	/* Never anything delivered before: the same. */
	p = plan(r, 0, 0, back);
	assert_plan(p, DOSED_REMINDER_OVERDUE, newest, next);
	/* Delivered it: nothing more until tomorrow's. */
	p = plan(r, newest, 0, back + 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, next);
	regimen_free(r);
}

/* Years of one-second repeats are counted, not walked: the newest is now
 * itself and the next the second after. */
static void test_overdue_repeats_are_arithmetic(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	gint64 now = utc(2036, 5, 17, 13, 44) + 7;
	Plan p;

	settings.overdue_every_ms = 1000;
	p = plan_with(r, &settings, over0, 0, now);
	assert_plan(p, DOSED_REMINDER_OVERDUE, now, now + 1);
	regimen_free(r);
}

static void test_overdue_every_4_hours(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	Plan p;

	settings.overdue_every_ms = 4 * 1000 * HOUR;
	p = plan_with(r, &settings, utc(2026, 11, 25, 9, 0), 0, over0);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0, utc(2026, 11, 26, 13, 0));
	/* 09:00, 13:00, 17:00, 21:00, then 01:00 the next day. */
	p = plan_with(r, &settings, over0, 0, utc(2026, 11, 26, 22, 0));
	assert_plan(p, DOSED_REMINDER_OVERDUE, utc(2026, 11, 26, 21, 0),
		    utc(2026, 11, 27, 1, 0));
	p = plan_with(r, &settings, utc(2026, 11, 26, 21, 0), 0, utc(2026, 11, 26, 22, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, utc(2026, 11, 27, 1, 0));
	regimen_free(r);
}

/* Milliseconds round up to whole seconds: a reminder is never early.
 * overdue_every 90.5 s: +91 s (90.5), +181 s (181.0), +272 s (271.5);
 * before 1.5 s: the lead is 1 s (not 2 s) before the due moment. */
static void test_milliseconds_round_up(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	Plan p;

	settings.overdue_every_ms = 90500;
	settings.before_ms = 1500;
	p = plan_with(r, &settings, 0, 0, due - 2);
	assert_plan(p, DOSED_REMINDER_NONE, 0, due - 1);
	p = plan_with(r, &settings, 0, 0, due - 1);
	assert_plan(p, DOSED_REMINDER_LEAD, due - 1, due);

	p = plan_with(r, &settings, over0, 0, over0);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + 91);
	p = plan_with(r, &settings, over0 + 91, 0, over0 + 91);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + 181);
	p = plan_with(r, &settings, over0 + 181, 0, over0 + 200);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + 272);
	p = plan_with(r, &settings, over0 + 181, 0, over0 + 271);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + 272);
	p = plan_with(r, &settings, over0 + 181, 0, over0 + 272);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0 + 272, over0 + 362);
	regimen_free(r);
}

/* before = 0: no lead reminder; the first is the due one. */
static void test_no_lead_when_before_is_zero(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 due = utc(2026, 11, 25, 9, 0);
	Plan p;

	settings.before_ms = 0;
	p = plan_with(r, &settings, 0, 0, utc(2026, 11, 20, 9, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, due);
	p = plan_with(r, &settings, 0, 0, utc(2026, 11, 24, 9, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, due);
	p = plan_with(r, &settings, 0, 0, due);
	assert_plan(p, DOSED_REMINDER_DUE, due, utc(2026, 11, 26, 9, 0));
	regimen_free(r);
}

/* ---- snooze ------------------------------------------------------------- */

/* "Snooze" on the due reminder at 09:05: quiet until 10:05, then the
 * reminder again, as due; then on to the overdue one. */
static void test_snooze_brings_it_back(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 until = utc(2026, 11, 25, 10, 5);
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	g_autofree char *text = NULL;
	Plan p;

	p = plan(r, due, until, utc(2026, 11, 25, 9, 30));
	assert_plan(p, DOSED_REMINDER_NONE, 0, until);
	p = plan(r, due, until, until - 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, until);
	p = plan(r, due, until, until);
	assert_plan(p, DOSED_REMINDER_DUE, until, over0);
	text = summary(&p.owed, r, until);
	assert_string_equal(text, "Hydroxocobalamin 1 mg due today");
	/* Delivered: a snooze end in the past is not owed again. */
	p = plan(r, until, until, until + 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0);
	p = plan(r, until, until, over0);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0, over0 + DAY);
	regimen_free(r);
}

/* A snooze end's kind is the dose's state at that moment: lead before the
 * due moment, due until the last day ends, overdue after. */
static void test_snooze_kind_follows_the_dose(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 lead = utc(2026, 11, 24, 9, 0);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	g_autofree char *tomorrow = NULL;
	g_autofree char *today = NULL;
	g_autofree char *overdue = NULL;
	Plan p;

	/* The lead snoozed: still a lead, "due tomorrow". */
	p = plan(r, lead, lead + HOUR, lead + HOUR);
	assert_plan(p, DOSED_REMINDER_LEAD, lead + HOUR, due);
	tomorrow = summary(&p.owed, r, lead + HOUR);
	assert_string_equal(tomorrow, "Hydroxocobalamin 1 mg due tomorrow");

	/* A lead an hour before `at`, snoozed to 08:30 on the due day: a
	 * lead by kind, but on the due day it says "due today". */
	settings.before_ms = 1000 * HOUR;
	p = plan_with(r, &settings, due - HOUR, due - 30 * 60, due - 30 * 60);
	assert_plan(p, DOSED_REMINDER_LEAD, due - 30 * 60, due);
	today = summary(&p.owed, r, due - 30 * 60);
	assert_string_equal(today, "Hydroxocobalamin 1 mg due today");

	/* Snoozed at 23:45 on the last day: it ends after midnight, when the
	 * dose is overdue, though the first overdue moment is at 09:00. */
	p = plan(r, due, utc(2026, 11, 26, 0, 45), utc(2026, 11, 26, 0, 45));
	assert_plan(p, DOSED_REMINDER_OVERDUE, utc(2026, 11, 26, 0, 45), over0);
	overdue = summary(&p.owed, r, utc(2026, 11, 26, 0, 45));
	assert_string_equal(overdue, "Hydroxocobalamin 1 mg overdue since 26 Nov");
	/* And one ending just before midnight is still due. */
	p = plan(r, due, utc(2026, 11, 25, 23, 59) + 59, utc(2026, 11, 25, 23, 59) + 59);
	assert_plan(p, DOSED_REMINDER_DUE, utc(2026, 11, 25, 23, 59) + 59, over0);

	/* Snoozing an overdue reminder: overdue. */
	p = plan(r, over0, over0 + HOUR, over0 + HOUR);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0 + HOUR, over0 + DAY);
	regimen_free(r);
}

/* A reminder shown again (its notification server went away with it
 * open) says where the dose stands then, whatever the one shown said:
 * the lead shown yesterday is "due today" once the due moment has come. */
static void test_again_says_the_dose_as_it_stands(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	Regimen *window = regimen_new(window_ini, "Europe/London", 2026, 9, 25);
	Regimen *stopped = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 due = utc(2026, 11, 25, 9, 0);
	DosedReminder again;
	g_autofree char *tomorrow = NULL;
	g_autofree char *today = NULL;
	g_autofree char *overdue = NULL;
	g_autofree char *in_window = NULL;

	memset(&again, 0xa5, sizeof again);     /* every field must be written */
	reminder_again(&r->view, &settings, utc(2026, 11, 24, 15, 0), &again);
	assert_int_equal(again.kind, DOSED_REMINDER_LEAD);
	assert_int_equal(again.ordinal, 1);
	assert_int_equal(again.due, date_from_ymd(2026, 11, 25));
	assert_int_equal(again.latest, date_from_ymd(2026, 11, 25));
	assert_true(again.moment == utc(2026, 11, 24, 15, 0));
	tomorrow = summary(&again, r, utc(2026, 11, 24, 15, 0));
	assert_string_equal(tomorrow, "Hydroxocobalamin 1 mg due tomorrow");

	/* The due day before `at`: a lead by kind, "due today" by its words. */
	reminder_again(&r->view, &settings, due - HOUR, &again);
	assert_int_equal(again.kind, DOSED_REMINDER_LEAD);
	today = summary(&again, r, due - HOUR);
	assert_string_equal(today, "Hydroxocobalamin 1 mg due today");
	reminder_again(&r->view, &settings, due, &again);
	assert_int_equal(again.kind, DOSED_REMINDER_DUE);
	reminder_again(&r->view, &settings, utc(2026, 11, 25, 23, 59) + 59, &again);
	assert_int_equal(again.kind, DOSED_REMINDER_DUE);
	/* Overdue from midnight after the last day, not from the first
	 * overdue moment at 09:00. */
	reminder_again(&r->view, &settings, utc(2026, 11, 26, 0, 0), &again);
	assert_int_equal(again.kind, DOSED_REMINDER_OVERDUE);
	overdue = summary(&again, r, utc(2026, 11, 26, 0, 0));
	assert_string_equal(overdue, "Hydroxocobalamin 1 mg overdue since 26 Nov");

	/* A window: due all through it. */
	give(window, utc(2026, 9, 25, 10, 0));
	reminder_again(&window->view, &settings, utc(2026, 12, 10, 13, 0), &again);
	assert_int_equal(again.kind, DOSED_REMINDER_DUE);
	assert_int_equal(again.ordinal, 2);
	in_window = summary(&again, window, utc(2026, 12, 10, 13, 0));
	assert_string_equal(in_window, "Hydroxocobalamin 1 mg due today");

	/* Nothing to show again for a regimen with no next dose. */
	stopped->view.stopped_at = utc(2026, 11, 20, 12, 0);
	reminder_again(&stopped->view, &settings, due, &again);
	assert_int_equal(again.kind, DOSED_REMINDER_NONE);
	regimen_free(r);
	regimen_free(window);
	regimen_free(stopped);
}

/* While a snooze runs, the repeats it spans stay quiet: the patient asked
 * for an hour's peace.  Overdue every 20 min, snoozed at +0 until +50. */
static void test_snooze_covers_repeats(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	DosedReminderSettings settings = defaults();
	gint64 over0 = utc(2026, 11, 26, 9, 0);
	gint64 until = over0 + 50 * 60;
	Plan p;

	settings.overdue_every_ms = 20 * 60 * 1000;
	p = plan_with(r, &settings, over0, until, over0 + 45 * 60);
	assert_plan(p, DOSED_REMINDER_NONE, 0, until);
	p = plan_with(r, &settings, over0, until, until);
	assert_plan(p, DOSED_REMINDER_OVERDUE, until, over0 + 60 * 60);
	p = plan_with(r, &settings, until, until, until + 60);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0 + 60 * 60);
	regimen_free(r);
}

/* ---- time zones and clock changes -------------------------------------- */

typedef struct {
	const char *zone;
	int year, month, day;   /* the change day */
	int at;                 /* seconds after local midnight */
	gint64 expected;        /* UTC, worked out by hand */
	const char *why;
} DstCase;

/* `at` on a clock-change day follows instant_of_local()'s rule: a time in
 * the spring-forward gap is moved forward past it (01:30 in London on
 * 2026-03-29 does not exist and is 02:30 BST), one that exists twice at
 * fall-back is the first (01:30 BST, not 01:30 GMT). */
static void test_dst_days(void **state)
{
	const DstCase cases[] = {
		{ "Europe/London", 2026, 3, 29, 1 * 3600 + 1800, utc(2026, 3, 29, 1, 30),
		  "01:30 is in the gap: 02:30 BST" },
		{ "Europe/London", 2026, 3, 29, 9 * 3600, utc(2026, 3, 29, 8, 0),
		  "09:00 BST" },
		{ "Europe/London", 2026, 10, 25, 1 * 3600 + 1800, utc(2026, 10, 25, 0, 30),
		  "01:30 twice: the first, BST" },
		{ "Europe/London", 2026, 10, 25, 9 * 3600, utc(2026, 10, 25, 9, 0),
		  "09:00 GMT" },
		{ "America/New_York", 2026, 3, 8, 1 * 3600 + 1800, utc(2026, 3, 8, 6, 30),
		  "01:30 EST, before the 02:00 gap" },
		{ "America/New_York", 2026, 3, 8, 2 * 3600 + 1800, utc(2026, 3, 8, 7, 30),
		  "02:30 is in the gap: 03:30 EDT" },
		{ "America/New_York", 2026, 3, 8, 9 * 3600, utc(2026, 3, 8, 13, 0),
		  "09:00 EDT" },
		{ "America/New_York", 2026, 11, 1, 1 * 3600 + 1800, utc(2026, 11, 1, 5, 30),
		  "01:30 twice: the first, EDT" },
		{ "America/New_York", 2026, 11, 1, 9 * 3600, utc(2026, 11, 1, 14, 0),
		  "09:00 EST" },
		{ "Pacific/Auckland", 2026, 9, 27, 2 * 3600 + 1800, utc(2026, 9, 26, 14, 30),
		  "02:30 is in the gap: 03:30 NZDT" },
		{ "Pacific/Auckland", 2026, 4, 5, 2 * 3600 + 1800, utc(2026, 4, 4, 13, 30),
		  "02:30 twice: the first, NZDT" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const DstCase *c = &cases[i];
		DosedReminderSettings settings = defaults();
		Regimen *on_day, *day_before;
		gint64 before_day = c->expected - 2 * DAY;
		Plan p;

		settings.at = c->at;
		settings.before_ms = 0;
		/* Due on the change day: the due moment. */
		on_day = regimen_new(fortnightly_ini, c->zone, c->year, c->month, c->day);
		p = plan_with(on_day, &settings, 0, 0, before_day);
		if (p.next != c->expected)
			fail_msg("%s %d-%02d-%02d due (%s): next %" G_GINT64_FORMAT
				 ", expected %" G_GINT64_FORMAT, c->zone, c->year, c->month,
				 c->day, c->why, p.next, c->expected);
		p = plan_with(on_day, &settings, 0, 0, c->expected);
		assert_int_equal(p.owed.kind, DOSED_REMINDER_DUE);
		assert_int_equal(p.owed.moment, c->expected);
		regimen_free(on_day);

		/* Due the day before, no grace: overdue from `at` on the
		 * change day. */
		day_before = regimen_on(fortnightly_ini, c->zone,
					date_add_days(date_from_ymd(c->year, c->month, c->day), -1));
		/* Its due moment (a day earlier, give or take the change's
		 * hour) delivered: quiet until the overdue one. */
		p = plan_with(day_before, &settings, c->expected - DAY + 2 * HOUR, 0,
			      c->expected - 1);
		assert_int_equal(p.owed.kind, DOSED_REMINDER_NONE);
		if (p.next != c->expected)
			fail_msg("%s %d-%02d-%02d overdue (%s): next %" G_GINT64_FORMAT
				 ", expected %" G_GINT64_FORMAT, c->zone, c->year, c->month,
				 c->day, c->why, p.next, c->expected);
		p = plan_with(day_before, &settings, c->expected - 1, 0, c->expected);
		assert_int_equal(p.owed.kind, DOSED_REMINDER_OVERDUE);
		assert_int_equal(p.owed.moment, c->expected);
		regimen_free(day_before);
	}
}

/* A lead and repeats of whole days keep to `at` on the wall clock, also
 * across a clock change (a person reads "1 day before at 09:00" so).  Due
 * Sun 2026-03-29 09:00 BST (08:00 UTC): the lead is Saturday 09:00 GMT
 * (09:00 UTC).  Due Fri 27 with no grace: overdue from Sat 28 09:00 GMT,
 * then Sun 29 09:00 BST (08:00 UTC), then Mon 30.  A lead of hours stays
 * a duration. */
static void test_whole_days_follow_the_wall_clock(void **state)
{
	Regimen *sunday = regimen_new(fortnightly_ini, "Europe/London", 2026, 3, 29);
	Regimen *friday = regimen_new(fortnightly_ini, "Europe/London", 2026, 3, 27);
	Regimen *saturday = regimen_new(fortnightly_ini, "Europe/London", 2026, 3, 28);
	Plan p;

	p = plan(sunday, 0, 0, utc(2026, 3, 27, 12, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, utc(2026, 3, 28, 9, 0));
	p = plan(sunday, 0, 0, utc(2026, 3, 28, 9, 0));
	assert_plan(p, DOSED_REMINDER_LEAD, utc(2026, 3, 28, 9, 0), utc(2026, 3, 29, 8, 0));

	p = plan(friday, utc(2026, 3, 27, 9, 0), 0, utc(2026, 3, 28, 9, 0));
	assert_plan(p, DOSED_REMINDER_OVERDUE, utc(2026, 3, 28, 9, 0), utc(2026, 3, 29, 8, 0));
	p = plan(friday, utc(2026, 3, 28, 9, 0), 0, utc(2026, 3, 29, 8, 0));
	assert_plan(p, DOSED_REMINDER_OVERDUE, utc(2026, 3, 29, 8, 0), utc(2026, 3, 30, 8, 0));
	/* A week away (the daemon stopped): only the newest, Thursday's. */
	p = plan(friday, utc(2026, 3, 28, 9, 0), 0, utc(2026, 4, 2, 12, 0));
	assert_plan(p, DOSED_REMINDER_OVERDUE, utc(2026, 4, 2, 8, 0), utc(2026, 4, 3, 8, 0));

	p = plan(saturday, utc(2026, 3, 28, 9, 0), 0, utc(2026, 3, 29, 8, 0));
	assert_plan(p, DOSED_REMINDER_OVERDUE, utc(2026, 3, 29, 8, 0), utc(2026, 3, 30, 8, 0));
	regimen_free(sunday);
	regimen_free(friday);
	regimen_free(saturday);
}

/* Auckland is 13 hours ahead in November: 09:00 on the 25th there is
 * 20:00 UTC on the 24th, and "today" is the patient's day, not UTC's. */
static void test_pacific_auckland(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Pacific/Auckland", 2026, 11, 25);
	gint64 lead = utc(2026, 11, 23, 20, 0);
	gint64 due = utc(2026, 11, 24, 20, 0);
	gint64 over0 = utc(2026, 11, 25, 20, 0);
	g_autofree char *at_lead = NULL;
	g_autofree char *at_due = NULL;
	g_autofree char *at_over = NULL;
	Plan p;

	p = plan(r, 0, 0, lead - 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, lead);
	p = plan(r, 0, 0, lead);
	assert_plan(p, DOSED_REMINDER_LEAD, lead, due);
	at_lead = summary(&p.owed, r, lead);
	assert_string_equal(at_lead, "Hydroxocobalamin 1 mg due tomorrow");
	p = plan(r, lead, 0, due);
	assert_plan(p, DOSED_REMINDER_DUE, due, over0);
	at_due = summary(&p.owed, r, due);
	assert_string_equal(at_due, "Hydroxocobalamin 1 mg due today");
	p = plan(r, due, 0, over0);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0, over0 + DAY);
	at_over = summary(&p.owed, r, over0);
	assert_string_equal(at_over, "Hydroxocobalamin 1 mg overdue since 26 Nov");
	regimen_free(r);
}

/* ---- patterns and the regimen's state ----------------------------------- */

/* Every 2-3 months (SPEC 2.3): after a dose on 2026-09-25 the next is due
 * from 25 Nov and overdue after 25 Dec.  Due at 09:00 on 25 Nov, then
 * nothing for a month (it is not late), overdue from 26 Dec. */
static void test_window_pattern(void **state)
{
	Regimen *r = regimen_new(window_ini, "Europe/London", 2026, 9, 25);
	gint64 lead = utc(2026, 11, 24, 9, 0);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 over0 = utc(2026, 12, 26, 9, 0);
	g_autofree char *late = NULL;
	g_autofree char *snoozed = NULL;
	Plan p;

	give(r, utc(2026, 9, 25, 10, 0));
	p = plan(r, 0, 0, utc(2026, 10, 1, 12, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, lead);
	assert_int_equal(p.owed.ordinal, 2);
	assert_int_equal(p.owed.due, date_from_ymd(2026, 11, 25));
	assert_int_equal(p.owed.latest, date_from_ymd(2026, 12, 25));

	p = plan(r, lead, 0, due);
	assert_plan(p, DOSED_REMINDER_DUE, due, over0);
	p = plan(r, due, 0, utc(2026, 12, 10, 12, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0);
	p = plan(r, due, 0, utc(2026, 12, 25, 23, 59) + 59);
	assert_plan(p, DOSED_REMINDER_NONE, 0, over0);

	/* Only a snooze brings one inside the window, as due. */
	p = plan(r, due, utc(2026, 12, 10, 13, 0), utc(2026, 12, 10, 13, 0));
	assert_plan(p, DOSED_REMINDER_DUE, utc(2026, 12, 10, 13, 0), over0);
	snoozed = summary(&p.owed, r, utc(2026, 12, 10, 13, 0));
	assert_string_equal(snoozed, "Hydroxocobalamin 1 mg due today");

	p = plan(r, due, 0, over0);
	assert_plan(p, DOSED_REMINDER_OVERDUE, over0, utc(2026, 12, 27, 9, 0));
	late = summary(&p.owed, r, over0);
	assert_string_equal(late, "Hydroxocobalamin 1 mg overdue since 26 Dec");
	regimen_free(r);
}

/* Logging the dose moves to the next ordinal, whose record is fresh: it
 * owes nothing until its own moments. */
static void test_dose_logged_starts_afresh(void **state)
{
	Regimen *r = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	gint64 due = utc(2026, 11, 25, 9, 0);
	gint64 next_lead = utc(2026, 12, 8, 9, 0);
	Plan p;

	p = plan(r, due, 0, utc(2026, 11, 25, 9, 31));
	assert_plan(p, DOSED_REMINDER_NONE, 0, utc(2026, 11, 26, 9, 0));
	assert_int_equal(p.owed.ordinal, 1);

	give(r, utc(2026, 11, 25, 9, 30));
	p = plan(r, 0, 0, utc(2026, 11, 25, 9, 31));
	assert_plan(p, DOSED_REMINDER_NONE, 0, next_lead);
	assert_int_equal(p.owed.ordinal, 2);
	assert_int_equal(p.owed.due, date_from_ymd(2026, 12, 9));
	/* Even a week later: nothing owed until the new lead. */
	p = plan(r, 0, 0, next_lead - 1);
	assert_plan(p, DOSED_REMINDER_NONE, 0, next_lead);
	p = plan(r, 0, 0, next_lead);
	assert_plan(p, DOSED_REMINDER_LEAD, next_lead, utc(2026, 12, 9, 9, 0));
	regimen_free(r);
}

/* Daily doses: the next dose's lead (09:00 today, a day before it is
 * due) is the moment the dose just given was due.  Given at 09:30, that
 * moment passed before the next dose was the next one: not owed, so no
 * "due tomorrow" the moment a dose is logged.  Given at 08:00, the lead
 * at 09:00 is still to come and is owed then. */
static void test_daily_lead_after_logging(void **state)
{
	Regimen *late = regimen_new(daily_ini, "Europe/London", 2026, 11, 25);
	Regimen *early = regimen_new(daily_ini, "Europe/London", 2026, 11, 25);
	g_autofree char *text = NULL;
	Plan p;

	give(late, utc(2026, 11, 25, 9, 30));
	p = plan(late, 0, 0, utc(2026, 11, 25, 9, 31));
	assert_plan(p, DOSED_REMINDER_NONE, 0, utc(2026, 11, 26, 9, 0));
	assert_int_equal(p.owed.ordinal, 2);

	give(early, utc(2026, 11, 25, 8, 0));
	p = plan(early, 0, 0, utc(2026, 11, 25, 8, 1));
	assert_plan(p, DOSED_REMINDER_NONE, 0, utc(2026, 11, 25, 9, 0));
	p = plan(early, 0, 0, utc(2026, 11, 25, 9, 0));
	assert_plan(p, DOSED_REMINDER_LEAD, utc(2026, 11, 25, 9, 0), utc(2026, 11, 26, 9, 0));
	text = summary(&p.owed, early, utc(2026, 11, 25, 9, 0));
	assert_string_equal(text, "Cyanocobalamin 100 mcg due tomorrow");
	regimen_free(late);
	regimen_free(early);
}

/* Stopped or completed: nothing owed, nothing to wake up for, whatever
 * the record says. */
static void test_stopped_and_completed(void **state)
{
	Regimen *stopped = regimen_new(fortnightly_ini, "Europe/London", 2026, 11, 25);
	Regimen *completed = regimen_new(single_ini, "Europe/London", 2026, 11, 25);
	gint64 due = utc(2026, 11, 25, 9, 0);
	Plan p;

	stopped->view.stopped_at = utc(2026, 11, 20, 12, 0);
	p = plan(stopped, 0, 0, due);
	assert_plan(p, DOSED_REMINDER_NONE, 0, 0);
	p = plan(stopped, 0, due + HOUR, utc(2026, 11, 20, 13, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, 0);
	p = plan(stopped, 0, 0, utc(2026, 12, 20, 13, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, 0);

	/* Before its one dose, it reminds like any other. */
	p = plan(completed, 0, 0, due);
	assert_plan(p, DOSED_REMINDER_DUE, due, utc(2026, 11, 26, 9, 0));
	give(completed, due + 600);
	p = plan(completed, due, 0, due + 700);
	assert_plan(p, DOSED_REMINDER_NONE, 0, 0);
	p = plan(completed, 0, 0, utc(2027, 1, 1, 9, 0));
	assert_plan(p, DOSED_REMINDER_NONE, 0, 0);
	regimen_free(stopped);
	regimen_free(completed);
}

/* ---- summaries ---------------------------------------------------------- */

static void check_summary(DosedReminderKind kind, DosedDate due, DosedDate latest,
			  const char *drug, const char *dose, gint64 now, const char *zone,
			  const char *expected)
{
	DosedReminder reminder = { .kind = kind, .ordinal = 1, .due = due, .latest = latest };
	GTimeZone *tz = zone_open(zone, NULL);
	char *text;

	assert_non_null(tz);
	text = reminder_summary(&reminder, drug, dose, now, tz);
	if (strcmp(text, expected) != 0)
		fail_msg("summary \"%s\", expected \"%s\"", text, expected);
	g_free(text);
	g_time_zone_unref(tz);
}

static void test_summaries(void **state)
{
	DosedDate feb4 = date_from_ymd(2027, 2, 4);
	DosedDate mar4 = date_from_ymd(2027, 3, 4);
	DosedDate jan4 = date_from_ymd(2027, 1, 4);

	check_summary(DOSED_REMINDER_DUE, feb4, mar4, "hydroxocobalamin", "1 mg",
		      utc(2027, 2, 4, 9, 0), "Europe/London", "Hydroxocobalamin 1 mg due today");
	check_summary(DOSED_REMINDER_LEAD, feb4, mar4, "hydroxocobalamin", "1 mg",
		      utc(2027, 2, 3, 9, 0), "Europe/London",
		      "Hydroxocobalamin 1 mg due tomorrow");
	/* A lead further ahead names the day (SPEC 2 worked example:
	 * maintenance due from Thu 2027-02-04). */
	check_summary(DOSED_REMINDER_LEAD, feb4, mar4, "hydroxocobalamin", "1 mg",
		      utc(2027, 2, 1, 9, 0), "Europe/London",
		      "Hydroxocobalamin 1 mg due on Thu 4 Feb");
	/* ... with the year when it is not this year. */
	check_summary(DOSED_REMINDER_LEAD, jan4, jan4, "hydroxocobalamin", "1 mg",
		      utc(2026, 12, 28, 9, 0), "Europe/London",
		      "Hydroxocobalamin 1 mg due on Mon 4 Jan 2027");
	/* Overdue since the day after the last day: overdue after 4 Mar. */
	check_summary(DOSED_REMINDER_OVERDUE, feb4, mar4, "hydroxocobalamin", "1 mg",
		      utc(2027, 3, 5, 9, 0), "Europe/London",
		      "Hydroxocobalamin 1 mg overdue since 5 Mar");
	check_summary(DOSED_REMINDER_OVERDUE, feb4, mar4, "hydroxocobalamin", "1 mg",
		      utc(2028, 1, 2, 9, 0), "Europe/London",
		      "Hydroxocobalamin 1 mg overdue since 5 Mar 2027");
	/* 31 Dec overdue: since 1 Jan, of the new year. */
	check_summary(DOSED_REMINDER_OVERDUE, date_from_ymd(2026, 12, 1),
		      date_from_ymd(2026, 12, 31), "vitamin B12", "1 mg",
		      utc(2027, 1, 1, 9, 0), "Europe/London",
		      "Vitamin B12 1 mg overdue since 1 Jan");
	/* The patient's day, not UTC's: 07:00 UTC on 4 Feb is still 23:00
	 * on the 3rd in Los Angeles. */
	check_summary(DOSED_REMINDER_LEAD, feb4, mar4, "hydroxocobalamin", "1 mg",
		      utc(2027, 2, 4, 7, 0), "America/Los_Angeles",
		      "Hydroxocobalamin 1 mg due tomorrow");
	/* A first letter that is not ASCII is capitalised too. */
	check_summary(DOSED_REMINDER_DUE, feb4, mar4, "\xc3\xa9tanercept", "50 mg",
		      utc(2027, 2, 4, 9, 0), "Europe/London",
		      "\xc3\x89tanercept 50 mg due today");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lead_due_overdue_moments),
		cmocka_unit_test(test_owed_exactly_at_the_moment),
		cmocka_unit_test(test_delivered_not_owed_again),
		cmocka_unit_test(test_week_away_owes_only_the_newest),
		cmocka_unit_test(test_overdue_repeats_are_arithmetic),
		cmocka_unit_test(test_overdue_every_4_hours),
		cmocka_unit_test(test_milliseconds_round_up),
		cmocka_unit_test(test_no_lead_when_before_is_zero),
		cmocka_unit_test(test_snooze_brings_it_back),
		cmocka_unit_test(test_snooze_kind_follows_the_dose),
		cmocka_unit_test(test_again_says_the_dose_as_it_stands),
		cmocka_unit_test(test_snooze_covers_repeats),
		cmocka_unit_test(test_dst_days),
		cmocka_unit_test(test_whole_days_follow_the_wall_clock),
		cmocka_unit_test(test_pacific_auckland),
		cmocka_unit_test(test_window_pattern),
		cmocka_unit_test(test_dose_logged_starts_afresh),
		cmocka_unit_test(test_daily_lead_after_logging),
		cmocka_unit_test(test_stopped_and_completed),
		cmocka_unit_test(test_summaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
