/* test_schedule.c - every rule of SPEC section 2, to the day.
 *
 * Protocols are built here as struct literals, as the parser would leave
 * them, so these tests do not depend on protocols.ini.  Doses go through
 * schedule_check_log() exactly as `dosectl log` does, and every logged dose
 * is checked to land where schedule_replay() puts it afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "schedule.h"

#define MAX_DOSES 64
#define MAX_ADVANCES 8

/* One regimen as the store would hand it to the engine. */
typedef struct {
	DosedPhase phases[4];
	DosedProtocol protocol;
	GTimeZone *tz;
	DosedDoseEvent doses[MAX_DOSES];
	DosedAdvanceEvent advances[MAX_ADVANCES];
	DosedRegimenView view;
	gint64 last_id;         /* the id of the last dose recorded, void or not */
} Regimen;

static DosedPhase
interval(const char *name, int every_min, int every_max, DosedUnit unit, DosedEndKind end,
	 int end_count, DosedUnit end_unit)
{
	DosedPhase phase = {
		.name = (char *)name,
		.kind = DOSED_PATTERN_INTERVAL,
		.unit = unit,
		.every_min = every_min,
		.every_max = every_max,
		.end = end,
		.end_count = end_count,
		.end_unit = end_unit,
	};

	return phase;
}

static DosedPhase
weekdays(const char *name, unsigned days, DosedEndKind end, int end_count)
{
	DosedPhase phase = {
		.name = (char *)name,
		.kind = DOSED_PATTERN_WEEKDAYS,
		.unit = DOSED_UNIT_WEEK,
		.weekdays = days,
		.end = end,
		.end_count = end_count,
	};

	return phase;
}

#define MON DOSED_WEEKDAY_BIT(1)
#define WED DOSED_WEEKDAY_BIT(3)
#define FRI DOSED_WEEKDAY_BIT(5)
#define DAY DOSED_UNIT_DAY
#define WEEK DOSED_UNIT_WEEK
#define MONTH DOSED_UNIT_MONTH

/* The protocols of SPEC 1, and a few plain ones for single rules. */
static size_t
protocol_phases(const char *id, DosedPhase *p)
{
	if (strcmp(id, "b12-standard") == 0) {
		p[0] = weekdays("loading", MON | WED | FRI, DOSED_END_DOSES, 6);
		p[1] = interval("maintenance", 2, 3, MONTH, DOSED_END_LIFE, 0, DAY);
		return 2;
	}
	if (strcmp(id, "b12-neuro") == 0) {
		p[0] = interval("loading", 2, 2, DAY, DOSED_END_ADVANCED, 0, DAY);
		p[1] = interval("maintenance", 2, 2, MONTH, DOSED_END_LIFE, 0, DAY);
		return 2;
	}
	if (strcmp(id, "two-step") == 0) {
		p[0] = interval("daily", 1, 1, DAY, DOSED_END_ADVANCED, 0, DAY);
		p[1] = interval("alternate", 2, 2, DAY, DOSED_END_ADVANCED, 0, DAY);
		p[2] = interval("maintenance", 1, 1, MONTH, DOSED_END_LIFE, 0, DAY);
		return 3;
	}
	if (strcmp(id, "count-then-advanced") == 0) {
		p[0] = interval("initial", 1, 1, DAY, DOSED_END_DOSES, 2, DAY);
		p[1] = interval("alternate", 2, 2, DAY, DOSED_END_ADVANCED, 0, DAY);
		p[2] = interval("maintenance", 1, 1, MONTH, DOSED_END_LIFE, 0, DAY);
		return 3;
	}
	if (strcmp(id, "b12-cyano-label") == 0) {
		p[0] = interval("initial", 1, 1, DAY, DOSED_END_DOSES, 7, DAY);
		p[1] = interval("alternate", 2, 2, DAY, DOSED_END_DOSES, 7, DAY);
		p[2] = interval("twice weekly", 3, 4, DAY, DOSED_END_DURATION, 3, WEEK);
		p[3] = interval("maintenance", 1, 1, MONTH, DOSED_END_LIFE, 0, DAY);
		return 4;
	}
	if (strcmp(id, "b12-ileal-resection") == 0) {
		p[0] = interval("maintenance", 1, 1, MONTH, DOSED_END_LIFE, 0, DAY);
		return 1;
	}
	if (strcmp(id, "b12-bariatric") == 0) {
		p[0] = interval("maintenance", 3, 3, MONTH, DOSED_END_LIFE, 0, DAY);
		return 1;
	}
	if (strcmp(id, "daily") == 0) {
		p[0] = interval("daily", 1, 1, DAY, DOSED_END_LIFE, 0, DAY);
		return 1;
	}
	if (strcmp(id, "daily-3-doses") == 0) {
		p[0] = interval("course", 1, 1, DAY, DOSED_END_DOSES, 3, DAY);
		return 1;
	}
	if (strcmp(id, "daily-1-week") == 0) {
		p[0] = interval("course", 1, 1, DAY, DOSED_END_DURATION, 1, WEEK);
		return 1;
	}
	if (strcmp(id, "weekly") == 0) {
		p[0] = interval("weekly", 1, 1, WEEK, DOSED_END_LIFE, 0, DAY);
		return 1;
	}
	if (strcmp(id, "yearly") == 0) {
		p[0] = interval("yearly", 12, 12, MONTH, DOSED_END_LIFE, 0, DAY);
		return 1;
	}
	if (strcmp(id, "window-only") == 0) {
		p[0] = interval("maintenance", 2, 3, MONTH, DOSED_END_LIFE, 0, DAY);
		return 1;
	}
	fail_msg("no test protocol %s", id);
	return 0;
}

static DosedDate
date(const char *text)
{
	GError *error = NULL;
	DosedDate out = DOSED_DATE_NONE;

	if (!date_parse(text, &out, &error))
		fail_msg("bad test date %s: %s", text, error->message);
	return out;
}

static void
regimen_init(Regimen *r, const char *protocol_id, const char *start, const char *tz_name)
{
	GError *error = NULL;

	memset(r, 0, sizeof *r);
	r->protocol.id = (char *)protocol_id;
	r->protocol.title = (char *)protocol_id;
	r->protocol.grace_days = -1;
	r->protocol.phases = r->phases;
	r->protocol.n_phases = protocol_phases(protocol_id, r->phases);
	r->tz = zone_open(tz_name, &error);
	assert_non_null(r->tz);
	r->view.protocol = &r->protocol;
	r->view.start = date(start);
	r->view.tz = r->tz;
	r->view.doses = r->doses;
	r->view.advances = r->advances;
}

static void
regimen_finish(Regimen *r)
{
	g_time_zone_unref(r->tz);
}

/* The instant of local time hh:mm on a date in the regimen's zone. */
static gint64
local(const Regimen *r, const char *day, int hour, int minute)
{
	return instant_of_local(date(day), hour, minute, 0, r->tz);
}

static char *
describe_planned(const DosedPlannedDose *dose)
{
	char due[DOSED_DATE_BUF], latest[DOSED_DATE_BUF];

	return g_strdup_printf("#%d phase %d dose %d due %s latest %s", dose->ordinal,
			       dose->phase_index, dose->dose_in_phase,
			       date_format(dose->due, due), date_format(dose->latest, latest));
}

static char *
describe_outcome(const DosedDoseOutcome *o)
{
	char given[DOSED_DATE_BUF], due[DOSED_DATE_BUF], latest[DOSED_DATE_BUF];

	return g_strdup_printf("phase %d dose %d given %s due %s latest %s late %d",
			       o->phase_index, o->dose_in_phase, date_format(o->given, given),
			       date_format(o->due, due), date_format(o->latest, latest),
			       o->days_late);
}

/* The last logged dose must replay exactly where the check placed it. */
static void
assert_replays_as(const Regimen *r, const DosedPlannedDose *logged_as)
{
	DosedDoseOutcome outcomes[MAX_DOSES];
	const DosedDoseOutcome *last = &outcomes[r->view.n_doses - 1];
	DosedPlannedDose replayed;
	char *expected, *actual;

	schedule_replay(&r->view, outcomes);
	replayed.ordinal = logged_as->ordinal;
	replayed.phase_index = last->phase_index;
	replayed.dose_in_phase = last->dose_in_phase;
	replayed.due = last->due;
	replayed.latest = last->latest;
	expected = describe_planned(logged_as);
	actual = describe_planned(&replayed);
	assert_string_equal(actual, expected);
	g_free(expected);
	g_free(actual);
}

/* Log a dose given at `at` as `dosectl log` does, an hour later: checked,
 * then stored with the ordinal the check gave it. */
static bool
try_log(Regimen *r, gint64 at, bool force, const char *site, DosedPlannedDose *logged_as,
	GError **error)
{
	DosedPlannedDose as;

	if (!schedule_check_log(&r->view, at, at + 3600, force, &as, error))
		return false;
	assert_true(r->view.n_doses < MAX_DOSES);
	r->doses[r->view.n_doses].given_at = at;
	r->doses[r->view.n_doses].ordinal = as.ordinal;
	r->doses[r->view.n_doses].site = site;
	r->doses[r->view.n_doses].id = ++r->last_id;
	r->view.n_doses++;
	assert_replays_as(r, &as);
	if (logged_as != NULL)
		*logged_as = as;
	return true;
}

/* A dose at 09:00 local on `day`; it must be accepted without --force. */
static void
give(Regimen *r, const char *day)
{
	GError *error = NULL;

	if (!try_log(r, local(r, day, 9, 0), false, NULL, NULL, &error))
		fail_msg("dose on %s refused: %s", day, error->message);
}

static void
give_at_site(Regimen *r, const char *day, const char *site)
{
	GError *error = NULL;

	if (!try_log(r, local(r, day, 9, 0), false, site, NULL, &error))
		fail_msg("dose on %s refused: %s", day, error->message);
}

/* The failed call's error is a refusal (DOSED_ERROR_REFUSED or one of its
 * kind) and names every word given.  Returns its code. */
static int
assert_refused(GError **error, const char *word, const char *word2)
{
	int code;

	assert_non_null(*error);
	assert_true(dosed_error_is(*error, DOSED_ERROR_REFUSED));
	if (strstr((*error)->message, word) == NULL ||
	    (word2 != NULL && strstr((*error)->message, word2) == NULL))
		fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", (*error)->message, word,
			 word2 ? word2 : "");
	assert_null(strchr((*error)->message, '\n'));
	code = (*error)->code;
	g_clear_error(error);
	return code;
}

/* A dose at `at` is refused, with and (unless `force_helps`) without
 * --force, naming `word`; nothing is stored.  What force overrides (SPEC
 * 2.6) has a code of its own, which the edges answer with their hint
 * (dosectl's --force); every other refusal is DOSED_ERROR_REFUSED. */
static void
assert_log_refused(Regimen *r, gint64 at, bool force_helps, const char *word,
		   const char *word2)
{
	GError *error = NULL;
	size_t before = r->view.n_doses;
	int code;

	assert_false(try_log(r, at, false, NULL, NULL, &error));
	code = assert_refused(&error, word, word2);
	if (force_helps) {
		assert_true(code == DOSED_ERROR_SAME_DAY || code == DOSED_ERROR_TOO_SOON);
	} else {
		assert_int_equal(code, DOSED_ERROR_REFUSED);
		assert_false(try_log(r, at, true, NULL, NULL, &error));
		assert_int_equal(assert_refused(&error, word, word2), DOSED_ERROR_REFUSED);
	}
	assert_int_equal(r->view.n_doses, before);
}

/* Clinician's advance of the current phase at `at`. */
static void
advance(Regimen *r, gint64 at, int expected_phase)
{
	GError *error = NULL;
	int phase = -1;

	if (!schedule_check_advance(&r->view, at, &phase, &error))
		fail_msg("advance refused: %s", error->message);
	assert_int_equal(phase, expected_phase);
	assert_true(r->view.n_advances < MAX_ADVANCES);
	r->advances[r->view.n_advances].phase_index = phase;
	r->advances[r->view.n_advances].at = at;
	r->advances[r->view.n_advances].after_dose = r->last_id;
	r->view.n_advances++;
}

/* dosectl void: the engine sees only the doses that count. */
static void
void_dose(Regimen *r, int ordinal)
{
	size_t i;

	for (i = 0; i < r->view.n_doses; i++)
		if (r->doses[i].ordinal == ordinal)
			break;
	assert_true(i < r->view.n_doses);
	memmove(&r->doses[i], &r->doses[i + 1], (r->view.n_doses - i - 1) * sizeof r->doses[0]);
	r->view.n_doses--;
}

/* The next dose as seen at `now`, in words. */
static char *
next_at(const Regimen *r, gint64 now)
{
	DosedNextDose next;
	char *planned, *text;

	schedule_next_dose(&r->view, now, &next);
	if (next.state != DOSED_STATE_ACTIVE)
		return g_strdup_printf("%s phase %d", schedule_state_name(next.state),
				       next.phase_index);
	assert_int_equal(next.phase_index, next.dose.phase_index);
	planned = describe_planned(&next.dose);
	text = g_strdup_printf("%s %s", planned, schedule_status_name(next.status));
	g_free(planned);
	return text;
}

/* The next dose seen at noon local on `today` is `expected`. */
static void
assert_next(const Regimen *r, const char *today, const char *expected)
{
	char *actual = next_at(r, local(r, today, 12, 0));

	assert_string_equal(actual, expected);
	g_free(actual);
}

/* The projection of up to `max` doses seen at noon on `today`, one line
 * each: "#ordinal phase/dose due..latest". */
static void
assert_projection(const Regimen *r, const char *today, size_t max, const char *expected)
{
	DosedPlannedDose planned[64];
	GString *text = g_string_new(NULL);
	char due[DOSED_DATE_BUF], latest[DOSED_DATE_BUF];
	size_t n, i;

	assert_true(max <= G_N_ELEMENTS(planned));
	n = schedule_project(&r->view, local(r, today, 12, 0), planned, max);
	for (i = 0; i < n; i++)
		g_string_append_printf(text, "#%d %d/%d %s..%s\n", planned[i].ordinal,
				       planned[i].phase_index, planned[i].dose_in_phase,
				       date_format(planned[i].due, due),
				       date_format(planned[i].latest, latest));
	assert_string_equal(text->str, expected);
	g_string_free(text, TRUE);
}

/* ---- SPEC 2 worked example ---- */

static void
test_worked_example_on_time(void **state G_GNUC_UNUSED)
{
	static const char *const loading[] = {
		"2026-11-23", "2026-11-25", "2026-11-27", "2026-11-30", "2026-12-02",
		"2026-12-04",
	};
	Regimen r;
	size_t i;
	char expected[128];

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	assert_projection(&r, "2026-11-20", 8,
			  "#1 0/1 2026-11-23..2026-11-23\n"
			  "#2 0/2 2026-11-25..2026-11-25\n"
			  "#3 0/3 2026-11-27..2026-11-27\n"
			  "#4 0/4 2026-11-30..2026-11-30\n"
			  "#5 0/5 2026-12-02..2026-12-02\n"
			  "#6 0/6 2026-12-04..2026-12-04\n"
			  "#7 1/1 2027-02-04..2027-03-04\n"
			  "#8 1/2 2027-04-04..2027-05-04\n");
	/* Each loading dose on its day; the next one is then the following
	 * listed weekday, and the day itself shows it due. */
	for (i = 0; i < G_N_ELEMENTS(loading); i++) {
		g_snprintf(expected, sizeof expected,
			   "#%zu phase 0 dose %zu due %s latest %s due", i + 1, i + 1, loading[i],
			   loading[i]);
		assert_next(&r, loading[i], expected);
		give(&r, loading[i]);
	}
	assert_next(&r, "2026-12-04",
		    "#7 phase 1 dose 1 due 2027-02-04 latest 2027-03-04 upcoming");
	assert_projection(&r, "2026-12-04", 2,
			  "#7 1/1 2027-02-04..2027-03-04\n"
			  "#8 1/2 2027-04-04..2027-05-04\n");
	regimen_finish(&r);
}

static void
test_worked_example_late_second_dose(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	assert_next(&r, "2026-11-26", "#2 phase 0 dose 2 due 2026-11-25 latest 2026-11-25 overdue");
	give(&r, "2026-11-26");
	/* Anchored to the actual dose: Friday, the first listed day after
	 * Thursday. */
	assert_next(&r, "2026-11-26",
		    "#3 phase 0 dose 3 due 2026-11-27 latest 2026-11-27 upcoming");
	give(&r, "2026-11-27");
	assert_projection(&r, "2026-11-27", 4,
			  "#4 0/4 2026-11-30..2026-11-30\n"
			  "#5 0/5 2026-12-02..2026-12-02\n"
			  "#6 0/6 2026-12-04..2026-12-04\n"
			  "#7 1/1 2027-02-04..2027-03-04\n");
	regimen_finish(&r);
}

/* ---- SPEC 2.1, 2.2: anchoring ---- */

static void
test_late_dose_moves_later_doses(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-ileal-resection", "2026-01-15", "Europe/London");
	give(&r, "2026-01-15");
	assert_next(&r, "2026-01-15",
		    "#2 phase 0 dose 2 due 2026-02-15 latest 2026-02-22 upcoming");
	give(&r, "2026-02-25");
	/* Not 15 March: the plan follows the dose actually given. */
	assert_next(&r, "2026-02-25",
		    "#3 phase 0 dose 3 due 2026-03-25 latest 2026-04-01 upcoming");
	assert_projection(&r, "2026-02-25", 3,
			  "#3 0/3 2026-03-25..2026-04-01\n"
			  "#4 0/4 2026-04-25..2026-05-02\n"
			  "#5 0/5 2026-05-25..2026-06-01\n");
	regimen_finish(&r);

	/* The same in a window: a late maintenance dose moves the next. */
	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	give(&r, "2026-11-27");
	give(&r, "2026-11-30");
	give(&r, "2026-12-02");
	give(&r, "2026-12-04");
	give(&r, "2027-03-10");
	assert_next(&r, "2027-03-10",
		    "#8 phase 1 dose 2 due 2027-05-10 latest 2027-06-10 upcoming");
	regimen_finish(&r);
}

static void
test_weekday_anchoring(void **state G_GNUC_UNUSED)
{
	Regimen r;

	/* First dose: the first listed weekday on or after the start. */
	regimen_init(&r, "b12-standard", "2026-11-24", "Europe/London"); /* Tuesday */
	assert_next(&r, "2026-11-24",
		    "#1 phase 0 dose 1 due 2026-11-25 latest 2026-11-25 upcoming");
	regimen_finish(&r);
	regimen_init(&r, "b12-standard", "2026-11-28", "Europe/London"); /* Saturday */
	assert_next(&r, "2026-11-28",
		    "#1 phase 0 dose 1 due 2026-11-30 latest 2026-11-30 upcoming");
	regimen_finish(&r);
	regimen_init(&r, "b12-standard", "2026-11-27", "Europe/London"); /* Friday */
	assert_next(&r, "2026-11-27", "#1 phase 0 dose 1 due 2026-11-27 latest 2026-11-27 due");

	/* Later doses: the first listed weekday strictly after the last. */
	give(&r, "2026-11-27");
	assert_next(&r, "2026-11-27",
		    "#2 phase 0 dose 2 due 2026-11-30 latest 2026-11-30 upcoming");
	give(&r, "2026-12-01"); /* a Tuesday, a day late */
	assert_next(&r, "2026-12-01",
		    "#3 phase 0 dose 3 due 2026-12-02 latest 2026-12-02 upcoming");
	give(&r, "2026-12-02");
	give(&r, "2026-12-05"); /* a Saturday, Friday missed: the next is Monday */
	assert_next(&r, "2026-12-05",
		    "#5 phase 0 dose 5 due 2026-12-07 latest 2026-12-07 upcoming");
	regimen_finish(&r);
}

static void
test_month_end_clamping(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-ileal-resection", "2026-01-31", "Europe/London");
	assert_next(&r, "2026-01-31", "#1 phase 0 dose 1 due 2026-01-31 latest 2026-02-07 due");
	give(&r, "2026-01-31");
	assert_next(&r, "2026-01-31",
		    "#2 phase 0 dose 2 due 2026-02-28 latest 2026-03-07 upcoming");
	give(&r, "2026-02-28");
	/* Anchored to the dose actually given, the 28th. */
	assert_next(&r, "2026-02-28",
		    "#3 phase 0 dose 3 due 2026-03-28 latest 2026-04-04 upcoming");
	regimen_finish(&r);

	/* SPEC 2.2's own example: 31 Dec + 2 months = 28 Feb; the window's
	 * end is 31 Dec + 3 months = 31 Mar. */
	regimen_init(&r, "b12-standard", "2026-12-18", "Europe/London");
	give(&r, "2026-12-18");
	give(&r, "2026-12-21");
	give(&r, "2026-12-23");
	give(&r, "2026-12-25");
	give(&r, "2026-12-28");
	give(&r, "2026-12-31"); /* due Wednesday 30th, given a day late */
	assert_next(&r, "2026-12-31",
		    "#7 phase 1 dose 1 due 2027-02-28 latest 2027-03-31 upcoming");
	regimen_finish(&r);
}

static void
test_leap_years(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-ileal-resection", "2024-01-31", "Europe/London");
	give(&r, "2024-01-31");
	assert_next(&r, "2024-01-31",
		    "#2 phase 0 dose 2 due 2024-02-29 latest 2024-03-07 upcoming");
	give(&r, "2024-02-29");
	assert_next(&r, "2024-02-29",
		    "#3 phase 0 dose 3 due 2024-03-29 latest 2024-04-05 upcoming");
	regimen_finish(&r);

	regimen_init(&r, "b12-bariatric", "2023-11-30", "Europe/London");
	give(&r, "2023-11-30");
	assert_next(&r, "2023-11-30",
		    "#2 phase 0 dose 2 due 2024-02-29 latest 2024-03-07 upcoming");
	regimen_finish(&r);
	regimen_init(&r, "b12-bariatric", "2024-11-30", "Europe/London");
	give(&r, "2024-11-30");
	assert_next(&r, "2024-11-30",
		    "#2 phase 0 dose 2 due 2025-02-28 latest 2025-03-07 upcoming");
	regimen_finish(&r);

	regimen_init(&r, "yearly", "2024-02-29", "Europe/London");
	give(&r, "2024-02-29");
	assert_next(&r, "2024-02-29",
		    "#2 phase 0 dose 2 due 2025-02-28 latest 2025-03-07 upcoming");
	regimen_finish(&r);

	regimen_init(&r, "daily", "2024-02-28", "Europe/London");
	give(&r, "2024-02-28");
	assert_next(&r, "2024-02-28",
		    "#2 phase 0 dose 2 due 2024-02-29 latest 2024-02-29 upcoming");
	regimen_finish(&r);
	regimen_init(&r, "weekly", "2024-02-26", "Europe/London");
	give(&r, "2024-02-26");
	assert_next(&r, "2024-02-26",
		    "#2 phase 0 dose 2 due 2024-03-04 latest 2024-03-04 upcoming");
	regimen_finish(&r);
}

/* ---- SPEC 2.3: windows, grace, status ---- */

static void
test_window_due_and_latest(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "window-only", "2026-11-23", "Europe/London");
	/* No dose to count a window from: due on the start, plus grace. */
	assert_next(&r, "2026-11-23", "#1 phase 0 dose 1 due 2026-11-23 latest 2026-11-30 due");
	give(&r, "2026-11-23");
	/* Due from last + 2 months, overdue after last + 3 months. */
	assert_next(&r, "2027-01-22",
		    "#2 phase 0 dose 2 due 2027-01-23 latest 2027-02-23 upcoming");
	assert_next(&r, "2027-01-23", "#2 phase 0 dose 2 due 2027-01-23 latest 2027-02-23 due");
	assert_next(&r, "2027-02-23", "#2 phase 0 dose 2 due 2027-01-23 latest 2027-02-23 due");
	assert_next(&r, "2027-02-24", "#2 phase 0 dose 2 due 2027-01-23 latest 2027-02-23 overdue");
	/* A protocol grace does not widen a window. */
	r.protocol.grace_days = 10;
	assert_next(&r, "2027-02-24", "#2 phase 0 dose 2 due 2027-01-23 latest 2027-02-23 overdue");
	regimen_finish(&r);
}

static void
test_grace_days(void **state G_GNUC_UNUSED)
{
	Regimen r;

	/* 0 days for daily and weekly patterns. */
	regimen_init(&r, "daily", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	assert_next(&r, "2026-11-24", "#2 phase 0 dose 2 due 2026-11-24 latest 2026-11-24 due");
	assert_next(&r, "2026-11-25", "#2 phase 0 dose 2 due 2026-11-24 latest 2026-11-24 overdue");
	regimen_finish(&r);
	regimen_init(&r, "weekly", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	assert_next(&r, "2026-12-01", "#2 phase 0 dose 2 due 2026-11-30 latest 2026-11-30 overdue");
	/* A protocol's own grace replaces the default. */
	r.protocol.grace_days = 2;
	assert_next(&r, "2026-12-01", "#2 phase 0 dose 2 due 2026-11-30 latest 2026-12-02 due");
	regimen_finish(&r);

	/* 7 days for monthly patterns, or the protocol's. */
	regimen_init(&r, "b12-ileal-resection", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	assert_next(&r, "2026-12-30", "#2 phase 0 dose 2 due 2026-12-23 latest 2026-12-30 due");
	assert_next(&r, "2026-12-31", "#2 phase 0 dose 2 due 2026-12-23 latest 2026-12-30 overdue");
	r.protocol.grace_days = 3;
	assert_next(&r, "2026-12-26", "#2 phase 0 dose 2 due 2026-12-23 latest 2026-12-26 due");
	r.protocol.grace_days = 0;
	assert_next(&r, "2026-12-24", "#2 phase 0 dose 2 due 2026-12-23 latest 2026-12-23 overdue");
	regimen_finish(&r);

	/* Weekday patterns have no grace either. */
	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	assert_next(&r, "2026-11-24", "#1 phase 0 dose 1 due 2026-11-23 latest 2026-11-23 overdue");
	regimen_finish(&r);
}

static void
test_status_at_day_boundaries(void **state G_GNUC_UNUSED)
{
	Regimen r;
	char *text;
	static const struct {
		const char *day;
		int hour, minute, second;
		const char *status;
	} cases[] = {
		{ "2026-02-14", 23, 59, 59, "upcoming" },
		{ "2026-02-15", 0, 0, 0, "due" },
		{ "2026-02-22", 23, 59, 59, "due" },
		{ "2026-02-23", 0, 0, 0, "overdue" },
	};
	size_t i;

	/* New York: the boundaries are local midnights, not UTC's. */
	regimen_init(&r, "b12-ileal-resection", "2026-01-15", "America/New_York");
	give(&r, "2026-01-15");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		gint64 now = instant_of_local(date(cases[i].day), cases[i].hour, cases[i].minute,
					      cases[i].second, r.tz);
		char *expected = g_strdup_printf("#2 phase 0 dose 2 due 2026-02-15 latest "
						 "2026-02-22 %s",
						 cases[i].status);

		text = next_at(&r, now);
		assert_string_equal(text, expected);
		g_free(text);
		g_free(expected);
	}
	regimen_finish(&r);
}

/* ---- SPEC 2.4: phases ---- */

static void
test_count_phase_lengthened_by_missed_day(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	/* Wednesday 25th missed altogether. */
	give(&r, "2026-11-27");
	give(&r, "2026-11-30");
	give(&r, "2026-12-02");
	give(&r, "2026-12-04");
	/* Five doses: loading still wants its sixth. */
	assert_next(&r, "2026-12-04",
		    "#6 phase 0 dose 6 due 2026-12-07 latest 2026-12-07 upcoming");
	give(&r, "2026-12-07");
	assert_next(&r, "2026-12-07",
		    "#7 phase 1 dose 1 due 2027-02-07 latest 2027-03-07 upcoming");
	regimen_finish(&r);
}

static void
test_duration_phase_cyano_label(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-cyano-label", "2026-11-23", "Europe/London");
	/* Daily x7; alternate days x7; every 3-4 days for the 3 weeks from
	 * 16 Dec, i.e. doses due before 6 Jan; then monthly from the last. */
	assert_projection(&r, "2026-11-20", 23,
			  "#1 0/1 2026-11-23..2026-11-23\n"
			  "#2 0/2 2026-11-24..2026-11-24\n"
			  "#3 0/3 2026-11-25..2026-11-25\n"
			  "#4 0/4 2026-11-26..2026-11-26\n"
			  "#5 0/5 2026-11-27..2026-11-27\n"
			  "#6 0/6 2026-11-28..2026-11-28\n"
			  "#7 0/7 2026-11-29..2026-11-29\n"
			  "#8 1/1 2026-12-01..2026-12-01\n"
			  "#9 1/2 2026-12-03..2026-12-03\n"
			  "#10 1/3 2026-12-05..2026-12-05\n"
			  "#11 1/4 2026-12-07..2026-12-07\n"
			  "#12 1/5 2026-12-09..2026-12-09\n"
			  "#13 1/6 2026-12-11..2026-12-11\n"
			  "#14 1/7 2026-12-13..2026-12-13\n"
			  "#15 2/1 2026-12-16..2026-12-17\n"
			  "#16 2/2 2026-12-19..2026-12-20\n"
			  "#17 2/3 2026-12-22..2026-12-23\n"
			  "#18 2/4 2026-12-25..2026-12-26\n"
			  "#19 2/5 2026-12-28..2026-12-29\n"
			  "#20 2/6 2026-12-31..2027-01-01\n"
			  "#21 2/7 2027-01-03..2027-01-04\n"
			  "#22 3/1 2027-02-03..2027-02-10\n"
			  "#23 3/2 2027-03-03..2027-03-10\n");
	regimen_finish(&r);
}

static void
test_duration_phase_follows_actual_doses(void **state G_GNUC_UNUSED)
{
	static const char *const first[] = {
		"2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28",
		"2026-11-29", "2026-12-01", "2026-12-03", "2026-12-05", "2026-12-07", "2026-12-09",
		"2026-12-11", "2026-12-13",
	};
	Regimen r;
	size_t i;

	regimen_init(&r, "b12-cyano-label", "2026-11-23", "Europe/London");
	for (i = 0; i < G_N_ELEMENTS(first); i++)
		give(&r, first[i]);
	assert_next(&r, "2026-12-13",
		    "#15 phase 2 dose 1 due 2026-12-16 latest 2026-12-17 upcoming");
	/* The 3 weeks run from the phase's first dose as given (18 Dec),
	 * so doses due before 8 Jan belong to it. */
	give(&r, "2026-12-18");
	give(&r, "2026-12-21");
	assert_next(&r, "2026-12-21",
		    "#17 phase 2 dose 3 due 2026-12-24 latest 2026-12-25 upcoming");
	/* A long gap: the next due (8 Jan) falls outside the 3 weeks, so
	 * the phase ends after this dose and maintenance follows it. */
	give(&r, "2027-01-05");
	assert_next(&r, "2027-01-05",
		    "#18 phase 3 dose 1 due 2027-02-05 latest 2027-02-12 upcoming");
	regimen_finish(&r);

	/* A duration-only course completes when its time is up. */
	regimen_init(&r, "daily-1-week", "2026-11-23", "Europe/London");
	for (i = 0; i < 6; i++)
		give(&r, first[i]);
	assert_next(&r, "2026-11-28",
		    "#7 phase 0 dose 7 due 2026-11-29 latest 2026-11-29 upcoming");
	give(&r, "2026-11-29");
	assert_next(&r, "2026-11-29", "completed phase 0");
	regimen_finish(&r);
}

static void
test_advance_ends_until_advanced_phase(void **state G_GNUC_UNUSED)
{
	Regimen r;
	GError *error = NULL;
	int phase = -1;

	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	/* Alternate days until a clinician says otherwise, projected for ever. */
	assert_projection(&r, "2026-11-20", 12,
			  "#1 0/1 2026-11-23..2026-11-23\n"
			  "#2 0/2 2026-11-25..2026-11-25\n"
			  "#3 0/3 2026-11-27..2026-11-27\n"
			  "#4 0/4 2026-11-29..2026-11-29\n"
			  "#5 0/5 2026-12-01..2026-12-01\n"
			  "#6 0/6 2026-12-03..2026-12-03\n"
			  "#7 0/7 2026-12-05..2026-12-05\n"
			  "#8 0/8 2026-12-07..2026-12-07\n"
			  "#9 0/9 2026-12-09..2026-12-09\n"
			  "#10 0/10 2026-12-11..2026-12-11\n"
			  "#11 0/11 2026-12-13..2026-12-13\n"
			  "#12 0/12 2026-12-15..2026-12-15\n");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	give(&r, "2026-11-27");
	assert_next(&r, "2026-11-28",
		    "#4 phase 0 dose 4 due 2026-11-29 latest 2026-11-29 upcoming");
	advance(&r, local(&r, "2026-11-28", 10, 0), 0);
	/* Maintenance: one of its intervals after the last loading dose. */
	assert_next(&r, "2026-11-28",
		    "#4 phase 1 dose 1 due 2027-01-27 latest 2027-02-03 upcoming");
	/* A dose two days later is now far too soon. */
	assert_log_refused(&r, local(&r, "2026-11-29", 9, 0), true, "too soon", "2027-01-27");
	/* Maintenance is for life: it cannot be advanced. */
	assert_false(schedule_check_advance(&r.view, local(&r, "2026-11-29", 9, 0), &phase,
						    &error));
	assert_refused(&error, "\"maintenance\"", "until advanced");
	assert_int_equal(phase, -1);
	regimen_finish(&r);
}

static void
test_advance_refused_for_other_phases(void **state G_GNUC_UNUSED)
{
	Regimen r;
	GError *error = NULL;
	int phase = -1;

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	assert_false(schedule_check_advance(&r.view, local(&r, "2026-11-24", 9, 0), &phase,
						    &error));
	assert_refused(&error, "\"loading\"", "until advanced");
	regimen_finish(&r);
}

static void
test_advance_names_its_phase(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "two-step", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	/* An advance of a phase the patient is already past (the same
	 * advance made twice) ends nothing more. */
	advance(&r, local(&r, "2026-11-23", 10, 0), 0);
	r.advances[1] = r.advances[0];
	r.view.n_advances = 2;
	assert_next(&r, "2026-11-23",
		    "#2 phase 1 dose 1 due 2026-11-25 latest 2026-11-25 upcoming");
	give(&r, "2026-11-25");
	advance(&r, local(&r, "2026-11-25", 10, 0), 1);
	assert_next(&r, "2026-11-25",
		    "#3 phase 2 dose 1 due 2026-12-25 latest 2027-01-01 upcoming");
	regimen_finish(&r);

	/* A phase that ended by count is over before an advance that
	 * follows it: the advance ends the next phase, before its first dose. */
	regimen_init(&r, "count-then-advanced", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-24");
	advance(&r, local(&r, "2026-11-24", 10, 0), 1);
	assert_next(&r, "2026-11-24",
		    "#3 phase 2 dose 1 due 2026-12-24 latest 2026-12-31 upcoming");
	regimen_finish(&r);
}

/* Issue 12: a void never undoes a clinician's advance.  Two initial doses
 * (the initial phase is over), the alternate-days phase advanced before
 * its first dose, then the second dose voided: the patient stays in
 * maintenance, counting from the last dose that counts, not back in the
 * initial phase and, after re-logging, "until advanced" again. */
static void
test_void_keeps_the_advance(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose as;
	GError *error = NULL;
	int phase = -1;

	regimen_init(&r, "count-then-advanced", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-24");
	advance(&r, local(&r, "2026-11-24", 10, 0), 1);
	assert_next(&r, "2026-11-24",
		    "#3 phase 2 dose 1 due 2026-12-24 latest 2026-12-31 upcoming");
	void_dose(&r, 2);
	assert_next(&r, "2026-11-24",
		    "#2 phase 2 dose 1 due 2026-12-23 latest 2026-12-30 upcoming");
	assert_projection(&r, "2026-11-24", 2,
			  "#2 2/1 2026-12-23..2026-12-30\n"
			  "#3 2/2 2027-01-23..2027-01-30\n");
	/* The dose logged again at its true time, before the advance: back
	 * where it was, the initial phase's second dose. */
	assert_true(try_log(&r, local(&r, "2026-11-24", 9, 30), false, NULL, &as, &error));
	assert_int_equal(as.phase_index, 0);
	assert_int_equal(as.dose_in_phase, 2);
	assert_next(&r, "2026-11-24",
		    "#3 phase 2 dose 1 due 2026-12-24 latest 2026-12-31 upcoming");
	/* Every dose before the advance voided: still maintenance, due from
	 * the start date as there is no dose to count from. */
	void_dose(&r, 2);
	void_dose(&r, 1);
	assert_next(&r, "2026-11-24",
		    "#1 phase 2 dose 1 due 2026-11-23 latest 2026-11-30 due");
	/* Nothing is left to advance. */
	assert_false(schedule_check_advance(&r.view, local(&r, "2026-11-24", 12, 0), &phase,
					    &error));
	assert_refused(&error, "\"maintenance\"", "until advanced");
	regimen_finish(&r);

	/* A void after the advance does not undo it either: a dose given
	 * after it is a dose of the next phase, whatever is voided. */
	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	advance(&r, local(&r, "2026-11-25", 10, 0), 0);
	assert_true(try_log(&r, local(&r, "2027-01-25", 9, 0), false, NULL, &as, &error));
	assert_int_equal(as.phase_index, 1);
	void_dose(&r, 3);
	void_dose(&r, 2);
	assert_next(&r, "2027-01-25",
		    "#2 phase 1 dose 1 due 2027-01-23 latest 2027-01-30 due");
	regimen_finish(&r);
}

static void
test_advance_before_any_dose(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	advance(&r, local(&r, "2026-11-23", 8, 0), 0);
	/* Nothing to count from: the next phase is due on the start date. */
	assert_next(&r, "2026-11-23", "#1 phase 1 dose 1 due 2026-11-23 latest 2026-11-30 due");
	give(&r, "2026-11-23");
	assert_next(&r, "2026-11-23",
		    "#2 phase 1 dose 2 due 2027-01-23 latest 2027-01-30 upcoming");
	regimen_finish(&r);
}

static void
test_advance_placed_by_time(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose as;
	GError *error = NULL;

	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	advance(&r, local(&r, "2026-11-26", 10, 0), 0);
	/* A dose logged afterwards but given before the advance belongs
	 * to the phase it was given in. */
	assert_true(try_log(&r, local(&r, "2026-11-26", 9, 0), false, NULL, &as, &error));
	assert_int_equal(as.phase_index, 0);
	assert_int_equal(as.dose_in_phase, 3);
	assert_int_equal(as.ordinal, 3);
	assert_next(&r, "2026-11-26",
		    "#4 phase 1 dose 1 due 2027-01-26 latest 2027-02-02 upcoming");
	/* A repeated advance of the phase already ended changes nothing. */
	r.advances[r.view.n_advances].phase_index = 0;
	r.advances[r.view.n_advances].at = local(&r, "2026-11-27", 10, 0);
	r.advances[r.view.n_advances].after_dose = r.last_id;
	r.view.n_advances++;
	assert_next(&r, "2026-11-27",
		    "#4 phase 1 dose 1 due 2027-01-26 latest 2027-02-02 upcoming");
	regimen_finish(&r);
}

/* The phase each logged dose replays in, "0 1 ...". */
static char *
replayed_phases(const Regimen *r)
{
	DosedDoseOutcome outcomes[MAX_DOSES];
	GString *out = g_string_new(NULL);
	size_t i;

	schedule_replay(&r->view, outcomes);
	for (i = 0; i < r->view.n_doses; i++)
		g_string_append_printf(out, "%s%d", i ? " " : "", outcomes[i].phase_index);
	return g_string_free(out, FALSE);
}

static void
assert_replayed_phases(const Regimen *r, const char *expected)
{
	char *actual = replayed_phases(r);

	assert_string_equal(actual, expected);
	g_free(actual);
}

/* Issue 12: `dosectl log && dosectl advance` within one second.  The dose
 * was logged as loading dose 2; the advance made in the same second must
 * not take it into maintenance (which shifted every later dose). */
static void
test_advance_in_the_second_of_a_dose(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose as;
	GError *error = NULL;
	gint64 second;

	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	second = local(&r, "2026-11-25", 9, 0);
	give(&r, "2026-11-23");
	assert_true(try_log(&r, second, false, NULL, &as, &error));
	assert_int_equal(as.phase_index, 0);
	assert_int_equal(as.dose_in_phase, 2);
	advance(&r, second, 0);
	assert_replayed_phases(&r, "0 0");
	/* Maintenance counts from the second loading dose. */
	assert_next(&r, "2026-11-25",
		    "#3 phase 1 dose 1 due 2027-01-25 latest 2027-02-01 upcoming");
	regimen_finish(&r);

	/* A clock set back between the two (or DOSED_NOW): the dose was
	 * still recorded first. */
	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	advance(&r, local(&r, "2026-11-25", 8, 0), 0);
	assert_replayed_phases(&r, "0 0");
	assert_next(&r, "2026-11-25",
		    "#3 phase 1 dose 1 due 2027-01-25 latest 2027-02-01 upcoming");
	regimen_finish(&r);

	/* Advanced first, then a dose given that second: maintenance, as
	 * the check said when it was logged (try_log replays it). */
	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	second = local(&r, "2026-11-25", 9, 0);
	give(&r, "2026-11-23");
	advance(&r, second, 0);
	assert_true(try_log(&r, second, true, NULL, &as, &error));
	assert_int_equal(as.phase_index, 1);
	assert_int_equal(as.dose_in_phase, 1);
	assert_replayed_phases(&r, "0 1");
	regimen_finish(&r);
}

/* ---- SPEC 2.5: no stacking ---- */

static void
test_missed_doses_never_stack(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-ileal-resection", "2026-01-15", "Europe/London");
	give(&r, "2026-01-15");
	/* Three months on: one overdue dose, not three. */
	assert_next(&r, "2026-05-01", "#2 phase 0 dose 2 due 2026-02-15 latest 2026-02-22 overdue");
	/* Later doses are planned as if it were taken today. */
	assert_projection(&r, "2026-05-01", 3,
			  "#2 0/2 2026-02-15..2026-02-22\n"
			  "#3 0/3 2026-06-01..2026-06-08\n"
			  "#4 0/4 2026-07-01..2026-07-08\n");
	regimen_finish(&r);
}

/* ---- SPEC 2.6: refusals ---- */

static void
test_refuse_too_soon_unless_forced(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose as;
	GError *error = NULL;

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	give(&r, "2026-11-27");
	/* Friday to Monday is 3 days: Saturday is before half of it. */
	assert_log_refused(&r, local(&r, "2026-11-28", 9, 0), true, "too soon", "2026-11-30");
	give(&r, "2026-11-29");
	give(&r, "2026-12-01");
	give(&r, "2026-12-02"); /* Tue to Wed: one day of one is fine */
	/* Maintenance after 2 Dec is due 2 Feb (62 days): 31 days must pass. */
	assert_log_refused(&r, local(&r, "2027-01-01", 9, 0), true, "too soon", "2027-02-02");
	/* The rule's own code and words; the edges say how to override it. */
	assert_false(try_log(&r, local(&r, "2027-01-01", 9, 0), false, NULL, NULL, &error));
	assert_int_equal(error->code, DOSED_ERROR_TOO_SOON);
	assert_null(strstr(error->message, "--force"));
	g_clear_error(&error);
	assert_true(try_log(&r, local(&r, "2027-01-01", 9, 0), true, NULL, &as, &error));
	assert_null(error);
	assert_int_equal(as.ordinal, 7);
	assert_int_equal(as.phase_index, 1);
	assert_int_equal(as.dose_in_phase, 1);
	assert_next(&r, "2027-01-01",
		    "#8 phase 1 dose 2 due 2027-03-01 latest 2027-04-01 upcoming");
	regimen_finish(&r);

	/* Half the interval exactly is allowed. */
	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	give(&r, "2026-11-27");
	give(&r, "2026-11-30");
	give(&r, "2026-12-02");
	give(&r, "2026-12-04");
	assert_log_refused(&r, local(&r, "2027-01-03", 23, 0), true, "too soon", "2027-02-04");
	give(&r, "2027-01-04");
	regimen_finish(&r);
}

static void
test_refuse_same_day_unless_forced(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose as;
	GError *error = NULL;

	regimen_init(&r, "daily", "2026-11-23", "America/New_York");
	give(&r, "2026-11-23");
	/* 23:30 in New York is the 24th in UTC, still the 23rd here. */
	assert_log_refused(&r, local(&r, "2026-11-23", 23, 30), true,
			   "already logged on 2026-11-23", NULL);
	assert_false(try_log(&r, local(&r, "2026-11-23", 23, 30), false, NULL, NULL, &error));
	assert_int_equal(error->code, DOSED_ERROR_SAME_DAY);
	assert_null(strstr(error->message, "--force"));
	g_clear_error(&error);
	assert_true(try_log(&r, local(&r, "2026-11-23", 23, 30), true, NULL, &as, &error));
	assert_int_equal(as.ordinal, 2);
	assert_int_equal(as.dose_in_phase, 2);
	assert_next(&r, "2026-11-23",
		    "#3 phase 0 dose 3 due 2026-11-24 latest 2026-11-24 upcoming");
	regimen_finish(&r);
}

static void
test_refuse_future(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose as;
	GError *error = NULL;
	gint64 now;

	regimen_init(&r, "daily", "2026-11-23", "Europe/London");
	now = local(&r, "2026-11-23", 9, 0);
	assert_false(schedule_check_log(&r.view, now + 60, now, false, &as, &error));
	assert_refused(&error, "2026-11-23T09:01:00+00:00 is in the future", NULL);
	assert_false(schedule_check_log(&r.view, now + 60, now, true, &as, &error));
	assert_refused(&error, "in the future", NULL);
	assert_true(schedule_check_log(&r.view, now, now, false, &as, &error));
	regimen_finish(&r);
}

static void
test_refuse_before_start(void **state G_GNUC_UNUSED)
{
	Regimen r;

	/* 22:00 on the 22nd in New York is already the 23rd in UTC. */
	regimen_init(&r, "daily", "2026-11-23", "America/New_York");
	assert_log_refused(&r, local(&r, "2026-11-22", 22, 0), false,
			   "before the start date 2026-11-23", NULL);
	give(&r, "2026-11-23");
	regimen_finish(&r);
}

static void
test_refuse_out_of_order(void **state G_GNUC_UNUSED)
{
	Regimen r;
	GError *error = NULL;

	regimen_init(&r, "daily", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	assert_true(try_log(&r, local(&r, "2026-11-25", 10, 0), false, NULL, NULL, &error));
	assert_log_refused(&r, local(&r, "2026-11-24", 9, 0), false,
			   "before the last logged dose #2 on 2026-11-25", "void that first");
	assert_log_refused(&r, local(&r, "2026-11-25", 9, 59), false, "#2", "void");
	regimen_finish(&r);
}

/* ---- SPEC 2.7: ordinals and void ---- */

static void
test_void_gives_ordinal_back(void **state G_GNUC_UNUSED)
{
	Regimen r;

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-25");
	give(&r, "2026-11-27");
	void_dose(&r, 3);
	/* The voided dose never counted: #3 is due again, from the 25th. */
	assert_next(&r, "2026-11-27", "#3 phase 0 dose 3 due 2026-11-27 latest 2026-11-27 due");
	give(&r, "2026-11-27");
	assert_next(&r, "2026-11-27",
		    "#4 phase 0 dose 4 due 2026-11-30 latest 2026-11-30 upcoming");
	/* Voiding an earlier dose leaves later ordinals alone but no longer
	 * counts it in the phase. */
	void_dose(&r, 2);
	assert_next(&r, "2026-11-27",
		    "#4 phase 0 dose 3 due 2026-11-30 latest 2026-11-30 upcoming");
	regimen_finish(&r);
}

static void
test_replay_outcomes(void **state G_GNUC_UNUSED)
{
	static const char *const expected[] = {
		"phase 0 dose 1 given 2026-11-23 due 2026-11-23 latest 2026-11-23 late 0",
		"phase 0 dose 2 given 2026-11-26 due 2026-11-25 latest 2026-11-25 late 1",
		"phase 0 dose 3 given 2026-11-27 due 2026-11-27 latest 2026-11-27 late 0",
		"phase 0 dose 4 given 2026-11-30 due 2026-11-30 latest 2026-11-30 late 0",
		"phase 0 dose 5 given 2026-12-02 due 2026-12-02 latest 2026-12-02 late 0",
		"phase 0 dose 6 given 2026-12-04 due 2026-12-04 latest 2026-12-04 late 0",
		"phase 1 dose 1 given 2027-03-10 due 2027-02-04 latest 2027-03-04 late 6",
		"phase 1 dose 2 given 2027-05-01 due 2027-05-10 latest 2027-06-10 late 0",
	};
	DosedDoseOutcome outcomes[G_N_ELEMENTS(expected)];
	Regimen r;
	size_t i;

	regimen_init(&r, "b12-standard", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	give(&r, "2026-11-26");
	give(&r, "2026-11-27");
	give(&r, "2026-11-30");
	give(&r, "2026-12-02");
	give(&r, "2026-12-04");
	give(&r, "2027-03-10");
	give(&r, "2027-05-01");
	assert_int_equal(r.view.n_doses, G_N_ELEMENTS(expected));
	schedule_replay(&r.view, outcomes);
	for (i = 0; i < G_N_ELEMENTS(expected); i++) {
		char *actual = describe_outcome(&outcomes[i]);

		assert_string_equal(actual, expected[i]);
		g_free(actual);
	}
	regimen_finish(&r);
}

/* ---- stop and completion ---- */

static void
test_stopped_regimen(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose planned[4], as;
	GError *error = NULL;
	int phase = -1;
	gint64 now;

	regimen_init(&r, "b12-neuro", "2026-11-23", "Europe/London");
	give(&r, "2026-11-23");
	r.view.stopped_at = local(&r, "2026-11-24", 15, 0);
	now = local(&r, "2026-11-25", 12, 0);
	assert_next(&r, "2026-11-25", "stopped phase 0");
	assert_int_equal(schedule_project(&r.view, now, planned, 4), 0);
	assert_false(schedule_check_log(&r.view, now, now, true, &as, &error));
	assert_refused(&error, "stopped on 2026-11-24", "enrol");
	assert_false(schedule_check_advance(&r.view, now, &phase, &error));
	assert_refused(&error, "stopped", NULL);
	regimen_finish(&r);
}

static void
test_completed_regimen(void **state G_GNUC_UNUSED)
{
	Regimen r;
	DosedPlannedDose planned[10], as;
	GError *error = NULL;
	int phase = -1;
	gint64 now;

	regimen_init(&r, "daily-3-doses", "2026-11-23", "Europe/London");
	/* The projection stops where the regimen ends. */
	assert_projection(&r, "2026-11-20", 10,
			  "#1 0/1 2026-11-23..2026-11-23\n"
			  "#2 0/2 2026-11-24..2026-11-24\n"
			  "#3 0/3 2026-11-25..2026-11-25\n");
	give(&r, "2026-11-23");
	give(&r, "2026-11-24");
	give(&r, "2026-11-25");
	now = local(&r, "2026-11-26", 12, 0);
	assert_next(&r, "2026-11-26", "completed phase 0");
	assert_int_equal(schedule_project(&r.view, now, planned, 10), 0);
	assert_false(schedule_check_log(&r.view, now, now, true, &as, &error));
	assert_refused(&error, "completed", NULL);
	assert_false(schedule_check_advance(&r.view, now, &phase, &error));
	assert_refused(&error, "completed", NULL);
	regimen_finish(&r);
}

/* ---- time zones: doses at 01:30 on the change days ---- */

/* Give daily doses at hh:mm local and check each counts on its own date. */
static void
give_daily_at(Regimen *r, const char *const *days, size_t n, int hour, int minute)
{
	DosedDoseOutcome outcomes[MAX_DOSES];
	GError *error = NULL;
	char given[DOSED_DATE_BUF];
	size_t i, first = r->view.n_doses;

	for (i = 0; i < n; i++)
		if (!try_log(r, local(r, days[i], hour, minute), false, NULL, NULL, &error))
			fail_msg("dose at %02d:%02d on %s refused: %s", hour, minute, days[i],
				 error->message);
	schedule_replay(&r->view, outcomes);
	for (i = 0; i < n; i++)
		assert_string_equal(date_format(outcomes[first + i].given, given), days[i]);
}

static void
test_dst_london(void **state G_GNUC_UNUSED)
{
	static const char *const spring[] = { "2026-03-28", "2026-03-29", "2026-03-30" };
	static const char *const autumn[] = { "2026-10-24", "2026-10-25", "2026-10-26" };
	Regimen r;

	regimen_init(&r, "daily", "2026-03-28", "Europe/London");
	/* 01:30 on the 29th does not exist; it is still the 29th. */
	give_daily_at(&r, spring, G_N_ELEMENTS(spring), 1, 30);
	assert_next(&r, "2026-03-30",
		    "#4 phase 0 dose 4 due 2026-03-31 latest 2026-03-31 upcoming");
	/* 23:30 BST on the 30th is 22:30 UTC: the 30th, a second dose. */
	assert_log_refused(&r, local(&r, "2026-03-30", 23, 30), true,
			   "already logged on 2026-03-30",
			   NULL);
	regimen_finish(&r);

	regimen_init(&r, "daily", "2026-10-24", "Europe/London");
	/* 01:30 on the 25th happens twice; either way it is the 25th. */
	give_daily_at(&r, autumn, G_N_ELEMENTS(autumn), 1, 30);
	assert_next(&r, "2026-10-26",
		    "#4 phase 0 dose 4 due 2026-10-27 latest 2026-10-27 upcoming");
	regimen_finish(&r);

	/* 00:30 BST on the 25th is 23:30 UTC on the 24th: the local date counts. */
	regimen_init(&r, "daily", "2026-10-24", "Europe/London");
	give_daily_at(&r, autumn, 1, 9, 0);
	give_daily_at(&r, autumn + 1, 1, 0, 30);
	assert_next(&r, "2026-10-25",
		    "#3 phase 0 dose 3 due 2026-10-26 latest 2026-10-26 upcoming");
	regimen_finish(&r);
}

static void
test_dst_new_york(void **state G_GNUC_UNUSED)
{
	static const char *const spring[] = { "2026-03-07", "2026-03-08", "2026-03-09" };
	static const char *const autumn[] = { "2026-10-31", "2026-11-01", "2026-11-02" };
	Regimen r;

	regimen_init(&r, "daily", "2026-03-07", "America/New_York");
	give_daily_at(&r, spring, G_N_ELEMENTS(spring), 1, 30);
	assert_next(&r, "2026-03-09",
		    "#4 phase 0 dose 4 due 2026-03-10 latest 2026-03-10 upcoming");
	regimen_finish(&r);

	regimen_init(&r, "daily", "2026-10-31", "America/New_York");
	give_daily_at(&r, autumn, G_N_ELEMENTS(autumn), 1, 30);
	assert_next(&r, "2026-11-02",
		    "#4 phase 0 dose 4 due 2026-11-03 latest 2026-11-03 upcoming");
	regimen_finish(&r);

	/* 23:30 on 31 Oct and 01:30 on 1 Nov are both 1 Nov in UTC, yet
	 * different days here; 23:30 on 1 Nov (2 Nov UTC) is the same day
	 * as 01:30 that morning. */
	regimen_init(&r, "daily", "2026-10-31", "America/New_York");
	give_daily_at(&r, autumn, 1, 23, 30);
	give_daily_at(&r, autumn + 1, 1, 1, 30);
	assert_log_refused(&r, local(&r, "2026-11-01", 23, 30), true,
			   "already logged on 2026-11-01",
			   NULL);
	give_daily_at(&r, autumn + 2, 1, 1, 30);
	assert_next(&r, "2026-11-02",
		    "#4 phase 0 dose 4 due 2026-11-03 latest 2026-11-03 upcoming");
	regimen_finish(&r);
}

/* ---- injection sites ---- */

static void
test_site_rotation(void **state G_GNUC_UNUSED)
{
	char *sites[] = { "left deltoid", "right deltoid", "left thigh", "right thigh", NULL };
	char *none[] = { NULL };
	Regimen r;

	regimen_init(&r, "daily", "2026-11-23", "Europe/London");
	assert_null(schedule_suggest_site(&r.view, none));
	assert_null(schedule_suggest_site(&r.view, NULL));
	assert_string_equal(schedule_suggest_site(&r.view, sites), "left deltoid");
	give_at_site(&r, "2026-11-23", "left deltoid");
	assert_ptr_equal(schedule_suggest_site(&r.view, sites), sites[1]);
	give_at_site(&r, "2026-11-24", "right deltoid");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "left thigh");
	/* A dose without a site: the last site recorded still counts. */
	give(&r, "2026-11-25");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "left thigh");
	/* Typed by hand: case does not matter. */
	give_at_site(&r, "2026-11-26", "Left Thigh");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "right thigh");
	/* After the last site, the first again. */
	give_at_site(&r, "2026-11-27", "right thigh");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "left deltoid");
	give_at_site(&r, "2026-11-28", "left deltoid");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "right deltoid");
	/* A site not in the list: start the rotation over. */
	give_at_site(&r, "2026-11-29", "abdomen");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "left deltoid");
	/* A voided dose's site is not the last one used. */
	give_at_site(&r, "2026-11-30", "left thigh");
	assert_string_equal(schedule_suggest_site(&r.view, sites), "right thigh");
	void_dose(&r, 8);
	assert_string_equal(schedule_suggest_site(&r.view, sites), "left deltoid");
	regimen_finish(&r);
}

static void
test_names(void **state G_GNUC_UNUSED)
{
	assert_string_equal(schedule_status_name(DOSED_STATUS_UPCOMING), "upcoming");
	assert_string_equal(schedule_status_name(DOSED_STATUS_DUE), "due");
	assert_string_equal(schedule_status_name(DOSED_STATUS_OVERDUE), "overdue");
	assert_string_equal(schedule_state_name(DOSED_STATE_ACTIVE), "active");
	assert_string_equal(schedule_state_name(DOSED_STATE_COMPLETED), "completed");
	assert_string_equal(schedule_state_name(DOSED_STATE_STOPPED), "stopped");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example_on_time),
		cmocka_unit_test(test_worked_example_late_second_dose),
		cmocka_unit_test(test_late_dose_moves_later_doses),
		cmocka_unit_test(test_weekday_anchoring),
		cmocka_unit_test(test_month_end_clamping),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_window_due_and_latest),
		cmocka_unit_test(test_grace_days),
		cmocka_unit_test(test_status_at_day_boundaries),
		cmocka_unit_test(test_count_phase_lengthened_by_missed_day),
		cmocka_unit_test(test_duration_phase_cyano_label),
		cmocka_unit_test(test_duration_phase_follows_actual_doses),
		cmocka_unit_test(test_advance_ends_until_advanced_phase),
		cmocka_unit_test(test_advance_refused_for_other_phases),
		cmocka_unit_test(test_advance_names_its_phase),
		cmocka_unit_test(test_advance_before_any_dose),
		cmocka_unit_test(test_void_keeps_the_advance),
		cmocka_unit_test(test_advance_placed_by_time),
		cmocka_unit_test(test_advance_in_the_second_of_a_dose),
		cmocka_unit_test(test_missed_doses_never_stack),
		cmocka_unit_test(test_refuse_too_soon_unless_forced),
		cmocka_unit_test(test_refuse_same_day_unless_forced),
		cmocka_unit_test(test_refuse_future),
		cmocka_unit_test(test_refuse_before_start),
		cmocka_unit_test(test_refuse_out_of_order),
		cmocka_unit_test(test_void_gives_ordinal_back),
		cmocka_unit_test(test_replay_outcomes),
		cmocka_unit_test(test_stopped_regimen),
		cmocka_unit_test(test_completed_regimen),
		cmocka_unit_test(test_dst_london),
		cmocka_unit_test(test_dst_new_york),
		cmocka_unit_test(test_site_rotation),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
