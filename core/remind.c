/* remind.c - when a reminder is owed (SPEC 4, Reminders).
 *
 * The moments of one dose (remind.h) are few and fixed but for the overdue
 * repeats, which are unbounded: a patient away for a month with reminders
 * every 4 hours has 180 of them.  They are an arithmetic sequence, so the
 * newest one due and the next one to come are computed, never counted.
 * Every moment is rounded up to a whole second: a reminder is never early.
 */
#include "remind.h"

#include <string.h>

/* Farther than any regimen looks (10,000 years, in seconds): spans and
 * repeat intervals are held below it, so that no product overflows. */
#define REMIND_HORIZON (G_GINT64_CONSTANT(10000) * 366 * 86400)

/* One dose's reminder moments, UTC seconds; 0 where there is none. */
typedef struct {
	gint64 lead;            /* `at` on D minus `before` */
	gint64 due;             /* `at` on D */
	gint64 overdue;         /* `at` on L + 1: the first overdue moment */
	gint64 overdue_end_day; /* local midnight starting L + 1: overdue from then */
	gint64 every_ms;        /* overdue_every; <= 0: no repeats */
	int every_days;         /* overdue_every in whole days, else 0 */
	DosedDate overdue_date; /* L + 1 */
	int at;
	GTimeZone *tz;
	gint64 snooze;          /* the newest snooze end */
} Moments;

#define DAY_MS (G_GINT64_CONSTANT(86400) * 1000)

/* `at` (seconds after local midnight) on a date in the patient's zone.
 * instant_of_local() settles the DST days: a time in the spring-forward
 * gap moves forward past it, one that exists twice is the first. */
static gint64 local_moment(DosedDate date, int at, GTimeZone *tz)
{
	return instant_of_local(date, at / 3600, at / 60 % 60, at % 60, tz);
}

static void moments_init(Moments *m, const DosedPlannedDose *dose,
			 const DosedReminderSettings *settings, const DosedReminderRecord *record,
			 GTimeZone *tz)
{
	int at = CLAMP(settings->at, 0, 24 * 3600 - 1);

	memset(m, 0, sizeof *m);
	m->at = at;
	m->tz = tz;
	m->due = local_moment(dose->due, at, tz);
	/* A lead of whole days ("1 day") is `at` on that earlier day, as a
	 * person reads it, also across a clock change; any other lead is a
	 * duration, and the exact moment due - before_ms, rounded up, is
	 * due - floor(before_ms). */
	if (settings->before_ms > 0 && settings->before_ms % DAY_MS == 0 &&
	    settings->before_ms / DAY_MS <= 3660)
		m->lead = local_moment(date_add_days(dose->due,
						     -(int)(settings->before_ms / DAY_MS)), at, tz);
	else if (settings->before_ms > 0)
		m->lead = m->due - settings->before_ms / 1000;
	m->overdue_date = date_add_days(dose->latest, 1);
	m->overdue = local_moment(m->overdue_date, at, tz);
	m->overdue_end_day = local_moment(m->overdue_date, 0, tz);
	/* A repeat longer than the horizon never comes: no repeats. */
	m->every_ms = settings->overdue_every_ms <= REMIND_HORIZON * 1000
			      ? settings->overdue_every_ms : 0;
	/* Repeats of whole days keep to `at` on each day, like the lead. */
	if (m->every_ms > 0 && m->every_ms % DAY_MS == 0 && m->every_ms / DAY_MS <= 3660)
		m->every_days = (int)(m->every_ms / DAY_MS);
	m->snooze = record->snoozed_until;
}

/* The k-th overdue moment (k >= 0): overdue + k * every, rounded up. */
static gint64 overdue_moment(const Moments *m, gint64 k)
{
	gint64 offset_ms;

	if (k <= 0 || m->every_ms <= 0)
		return m->overdue;
	if (m->every_days > 0 && k * m->every_days <= 3660 * 366)
		return local_moment(date_add_days(m->overdue_date, (int)(k * m->every_days)), m->at,
				    m->tz);
	offset_ms = k * m->every_ms;
	return m->overdue + offset_ms / 1000 + (offset_ms % 1000 != 0);
}

/* The newest overdue moment <= t, or 0 when none is yet.
 * overdue + ceil(k * E / 1000) <= t  <=>  k * E <= (t - overdue) * 1000,
 * since t - overdue is a whole number. */
static gint64 overdue_newest_until(const Moments *m, gint64 t)
{
	gint64 span;

	if (t < m->overdue)
		return 0;
	if (m->every_ms <= 0)
		return m->overdue;
	/* Beyond the horizon the newest is close enough. */
	span = MIN(t - m->overdue, REMIND_HORIZON);
	gint64 k = span * 1000 / m->every_ms;
	/* Whole-day repeats keep to the wall clock, which a clock change
	 * moves by up to an hour against the arithmetic: settle k. */
	if (m->every_days > 0) {
		while (overdue_moment(m, k + 1) <= t)
			k++;
		while (k > 0 && overdue_moment(m, k) > t)
			k--;
	}
	return overdue_moment(m, k);
}

/* The first overdue moment > t. */
static gint64 overdue_first_after(const Moments *m, gint64 t)
{
	gint64 span;

	if (t < m->overdue)
		return m->overdue;
	if (m->every_ms <= 0)
		return 0;
	span = t - m->overdue;
	if (span > REMIND_HORIZON)
		return 0;
	gint64 k = span * 1000 / m->every_ms + 1;
	if (m->every_days > 0) {
		while (k > 1 && overdue_moment(m, k - 1) > t)
			k--;
		while (overdue_moment(m, k) <= t)
			k++;
	}
	return overdue_moment(m, k);
}

/* What a reminder at a moment of no fixed kind (a snooze's end, one shown
 * again) says: the dose's state then. */
static DosedReminderKind state_kind(const Moments *m, gint64 moment)
{
	if (moment < m->due)
		return DOSED_REMINDER_LEAD;
	if (moment < m->overdue_end_day)
		return DOSED_REMINDER_DUE;
	return DOSED_REMINDER_OVERDUE;
}

/* Keep `moment` as the best owed one when it is in (after, now] and newer. */
static void consider_owed(gint64 moment, DosedReminderKind kind, gint64 after, gint64 now,
			  DosedReminder *owed)
{
	if (moment == 0 || moment <= after || moment > now)
		return;
	/* A tie (a snooze ending on a fixed moment) keeps the first kind
	 * seen; state_kind() agrees with it anyway. */
	if (owed->kind == DOSED_REMINDER_NONE || moment > owed->moment) {
		owed->kind = kind;
		owed->moment = moment;
	}
}

/* Keep `moment` as the next one when it is after `after` and sooner. */
static void consider_next(gint64 moment, gint64 after, gint64 *next)
{
	if (moment == 0 || moment <= after)
		return;
	if (*next == 0 || moment < *next)
		*next = moment;
}

/* When the newest counting dose was given, 0 before the first. */
static gint64 last_given(const DosedRegimenView *regimen)
{
	gint64 newest = 0;

	for (size_t i = 0; i < regimen->n_doses; i++)
		newest = MAX(newest, regimen->doses[i].given_at);
	return newest;
}

void reminder_plan(const DosedRegimenView *regimen, const DosedReminderSettings *settings,
		   const DosedReminderRecord *record, gint64 now, DosedReminder *owed,
		   gint64 *next_moment)
{
	DosedNextDose next;
	Moments m;
	gint64 owed_after, after;

	memset(owed, 0, sizeof *owed);
	owed->kind = DOSED_REMINDER_NONE;
	*next_moment = 0;
	schedule_next_dose(regimen, now, &next);
	if (next.state != DOSED_STATE_ACTIVE)
		return;
	owed->ordinal = next.dose.ordinal;
	owed->due = next.dose.due;
	owed->latest = next.dose.latest;
	moments_init(&m, &next.dose, settings, record, regimen->tz);

	/* A snooze still running covers every moment before its end: the
	 * patient asked for quiet until then, and its end stands for them. */
	if (m.snooze > now && m.snooze > record->last_delivered) {
		*next_moment = m.snooze;
		return;
	}

	/* Owed: the newest moment in (owed_after, now].  Besides what was
	 * delivered, a moment from before the previous dose was given is not
	 * owed: it passed while this dose was not yet the next one (a daily
	 * dose's lead falls on the previous dose's due moment). */
	owed_after = MAX(record->last_delivered, last_given(regimen));
	consider_owed(m.lead, DOSED_REMINDER_LEAD, owed_after, now, owed);
	consider_owed(m.due, DOSED_REMINDER_DUE, owed_after, now, owed);
	consider_owed(overdue_newest_until(&m, now), DOSED_REMINDER_OVERDUE, owed_after, now, owed);
	if (m.snooze != 0)
		consider_owed(m.snooze, state_kind(&m, m.snooze), owed_after, now, owed);

	/* Next: the first moment after both now and the newest delivered
	 * one, so that nothing delivered comes round again. */
	after = MAX(now, record->last_delivered);
	consider_next(m.lead, after, next_moment);
	consider_next(m.due, after, next_moment);
	consider_next(overdue_first_after(&m, after), after, next_moment);
	consider_next(m.snooze, after, next_moment);
}

void reminder_again(const DosedRegimenView *regimen, const DosedReminderSettings *settings,
		    gint64 now, DosedReminder *again)
{
	static const DosedReminderRecord none = { 0 };
	DosedNextDose next;
	Moments m;

	memset(again, 0, sizeof *again);
	again->kind = DOSED_REMINDER_NONE;
	schedule_next_dose(regimen, now, &next);
	if (next.state != DOSED_STATE_ACTIVE)
		return;
	moments_init(&m, &next.dose, settings, &none, regimen->tz);
	again->kind = state_kind(&m, now);
	again->moment = now;
	again->ordinal = next.dose.ordinal;
	again->due = next.dose.due;
	again->latest = next.dose.latest;
}

/* ---- the summary ------------------------------------------------------ */

/* English names, not strftime's %a/%b: a notification must not change
 * language with the daemon's locale, which is not the patient's. */
static const char *const remind_weekday_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};
static const char *const remind_month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* "5 Mar", or "5 Mar 2026" when not in `this_year`; with the weekday first
 * ("Thu 4 Feb") when asked. */
static void append_day(GString *out, DosedDate date, int this_year, bool weekday)
{
	int year, month, day;

	date_to_ymd(date, &year, &month, &day);
	if (month < 1 || month > 12) {
		g_string_append(out, "(no date)");
		return;
	}
	if (weekday)
		g_string_append_printf(out, "%s ", remind_weekday_names[date_weekday(date) - 1]);
	g_string_append_printf(out, "%d %s", day, remind_month_names[month - 1]);
	if (year != this_year)
		g_string_append_printf(out, " %d", year);
}

/* The drug's name as a sentence starts: "hydroxocobalamin" ->
 * "Hydroxocobalamin", a non-ASCII first letter too. */
static void append_capitalised(GString *out, const char *text)
{
	const char *rest;

	if (!g_utf8_validate(text, -1, NULL)) {
		g_string_append(out, text);
		return;
	}
	rest = g_utf8_next_char(text);
	g_string_append_unichar(out, g_unichar_totitle(g_utf8_get_char(text)));
	g_string_append(out, rest);
}

char *reminder_summary(const DosedReminder *reminder, const char *drug, const char *dose,
		       gint64 now, GTimeZone *tz)
{
	GString *out = g_string_new(NULL);
	DosedDate today = date_of_instant(now, tz);
	int this_year, month, day;

	date_to_ymd(today, &this_year, &month, &day);
	if (drug && *drug)
		append_capitalised(out, drug);
	if (dose && *dose)
		g_string_append_printf(out, "%s%s", out->len ? " " : "", dose);
	if (out->len == 0)
		g_string_append(out, "Dose");

	switch (reminder->kind) {
	case DOSED_REMINDER_OVERDUE:
		/* Overdue from the day after the last day (SPEC 2.3). */
		g_string_append(out, " overdue since ");
		append_day(out, date_add_days(reminder->latest, 1), this_year, false);
		break;
	case DOSED_REMINDER_DUE:
		g_string_append(out, " due today");
		break;
	case DOSED_REMINDER_LEAD:
	case DOSED_REMINDER_NONE:
	default:
		/* A lead, or a snooze ending before the due moment: said from
		 * where the patient stands, today's date in their zone. */
		if (reminder->due <= today) {
			g_string_append(out, " due today");
		} else if (reminder->due == date_add_days(today, 1)) {
			g_string_append(out, " due tomorrow");
		} else {
			g_string_append(out, " due on ");
			append_day(out, reminder->due, this_year, true);
		}
		break;
	}
	return g_string_free(out, FALSE);
}
