/* schedule.c - the schedule engine: every rule of SPEC section 2.
 *
 * Everything is computed by replaying a regimen's history from the start:
 * the doses that count (non-void, in the order given) and the advances a
 * clinician made, merged in the order they were recorded (schedule.h).
 * The replay keeps the current phase, the doses counted in it, the date of
 * its first dose and the date of the last dose overall; the next due date
 * follows from those alone.  All dates are calendar dates in the patient's
 * zone (SPEC 2).
 */
#include "schedule.h"

#include <string.h>

#include "error.h"

/* Where the replay of a regimen stands. */
typedef struct {
	const DosedRegimenView *regimen;
	size_t phase;           /* current phase; n_phases once the regimen completed */
	int in_phase;           /* doses counted in the current phase */
	DosedDate phase_first;  /* date of the current phase's first dose, or NONE */
	DosedDate last;         /* date of the last dose of the regimen, or NONE */
	int last_ordinal;       /* the highest ordinal given so far */
	size_t next_advance;    /* the first advance not yet applied */
} Replay;

static void
replay_init(Replay *replay, const DosedRegimenView *regimen)
{
	memset(replay, 0, sizeof *replay);
	replay->regimen = regimen;
}

static size_t
phase_count(const Replay *replay)
{
	return replay->regimen->protocol->n_phases;
}

/* The current phase, or NULL once the regimen completed. */
static const DosedPhase *
current_phase(const Replay *replay)
{
	if (replay->phase >= phase_count(replay))
		return NULL;
	return &replay->regimen->protocol->phases[replay->phase];
}

static DosedDate
date_add_units(DosedDate date, DosedUnit unit, int count)
{
	switch (unit) {
	case DOSED_UNIT_WEEK:
		return date_add_days(date, 7 * count);
	case DOSED_UNIT_MONTH:
		/* Calendar months, clamped to the month's end (SPEC 2.2). */
		return date_add_months(date, count);
	case DOSED_UNIT_DAY:
	default:
		return date_add_days(date, count);
	}
}

/* The first listed weekday on `from`, or after it when `strictly`.  A phase
 * listing no weekday (the parser refuses one) is read as every day rather
 * than never. */
static DosedDate
next_listed_weekday(unsigned weekdays, DosedDate from, bool strictly)
{
	DosedDate date = strictly ? date_add_days(from, 1) : from;
	int i;

	if ((weekdays & DOSED_WEEKDAYS_ALL) == 0)
		return date;
	for (i = 0; i < 7; i++, date = date_add_days(date, 1))
		if (weekdays & DOSED_WEEKDAY_BIT(date_weekday(date)))
			break;
	return date;
}

/* The due date of the next dose in `phase` (SPEC 2.1, 2.2, 2.4).  Before
 * any dose of the regimen it is the start date, whichever phase is current
 * (an advance before the first dose leaves the next phase due at the start).
 * After one it is anchored to the actual last dose, even when that dose was
 * in the previous phase: the next phase's first dose is due one of *its*
 * intervals after the previous phase's last dose. */
static DosedDate
due_date(const Replay *replay, const DosedPhase *phase)
{
	if (phase->kind == DOSED_PATTERN_WEEKDAYS) {
		if (replay->last == DOSED_DATE_NONE)
			return next_listed_weekday(phase->weekdays, replay->regimen->start, false);
		return next_listed_weekday(phase->weekdays, replay->last, true);
	}
	if (replay->last == DOSED_DATE_NONE)
		return replay->regimen->start;
	return date_add_units(replay->last, phase->unit, phase->every_min);
}

/* The last day before a dose due on `due` is overdue (SPEC 2.3): the end
 * of the window of "every N-M units", counted from the last dose; without
 * a window (or with no dose yet to count from), the due date plus grace. */
static DosedDate
latest_date(const Replay *replay, const DosedPhase *phase, DosedDate due)
{
	if (phase->kind == DOSED_PATTERN_INTERVAL && phase->every_max > phase->every_min &&
	    replay->last != DOSED_DATE_NONE)
		return date_add_units(replay->last, phase->unit, phase->every_max);
	return date_add_days(due, phase_grace_days(phase, replay->regimen->protocol));
}

/* Whether the current phase has ended by itself (SPEC 2.4).  A count
 * counts doses logged, so a missed day lengthens the phase.  A duration
 * holds the doses due in [first dose date, first + duration): the phase is
 * over once the next due date falls outside.  Advanced phases end only by
 * an advance; "for life" never. */
static bool
phase_is_over(const Replay *replay)
{
	const DosedPhase *phase = current_phase(replay);
	DosedDate end;

	if (phase == NULL)
		return false;
	switch (phase->end) {
	case DOSED_END_DOSES:
		return replay->in_phase >= phase->end_count;
	case DOSED_END_DURATION:
		if (replay->in_phase == 0)
			return false;
		end = date_add_units(replay->phase_first, phase->end_unit, phase->end_count);
		return due_date(replay, phase) >= end;
	case DOSED_END_ADVANCED:
	case DOSED_END_LIFE:
	default:
		return false;
	}
}

static void
enter_next_phase(Replay *replay)
{
	replay->phase++;
	replay->in_phase = 0;
	replay->phase_first = DOSED_DATE_NONE;
}

/* End every phase that is over; several may end in a row. */
static void
settle(Replay *replay)
{
	while (phase_is_over(replay))
		enter_next_phase(replay);
}

/* Recorded before it, or given before it was made (schedule.h). */
bool
schedule_dose_before_advance(const DosedDoseEvent *dose, const DosedAdvanceEvent *advance)
{
	return dose->id <= advance->after_dose || dose->given_at < advance->at;
}

/* Apply the advances that come before `dose` (NULL: every one left).
 *
 * An advance is a clinician's decision that the patient is done with its
 * phase, and a void never undoes it (issue 12): when voids of doses
 * logged before it leave the replay in that phase or an earlier one, the
 * replay still goes on from the phase after it, counting from the last
 * dose that counts.  An advance of a phase the replay is already past
 * (made twice, say) changes nothing. */
static void
apply_advances(Replay *replay, const DosedDoseEvent *dose)
{
	const DosedRegimenView *regimen = replay->regimen;
	const DosedAdvanceEvent *advance;

	while (replay->next_advance < regimen->n_advances &&
	       (dose == NULL ||
		!schedule_dose_before_advance(dose, &regimen->advances[replay->next_advance]))) {
		advance = &regimen->advances[replay->next_advance++];
		settle(replay);
		if (advance->phase_index < 0 || (size_t)advance->phase_index >= phase_count(replay) ||
		    regimen->protocol->phases[advance->phase_index].end != DOSED_END_ADVANCED ||
		    replay->phase > (size_t)advance->phase_index)
			continue;
		replay->phase = (size_t)advance->phase_index;
		enter_next_phase(replay);
		settle(replay);
	}
}

/* Count a dose given on `date` in the current phase. */
static void
count_dose(Replay *replay, DosedDate date, int ordinal)
{
	replay->in_phase++;
	if (replay->phase_first == DOSED_DATE_NONE)
		replay->phase_first = date;
	replay->last = date;
	replay->last_ordinal = MAX(replay->last_ordinal, ordinal);
}

/* Place one logged dose: first what happened before it (advances, phases
 * that ended), then the dose in the phase current at that moment.
 * `outcome` may be NULL. */
static void
place_dose(Replay *replay, const DosedDoseEvent *dose, DosedDoseOutcome *outcome)
{
	const DosedRegimenView *regimen = replay->regimen;
	const DosedPhase *phase;
	DosedDate given = date_of_instant(dose->given_at, regimen->tz);
	DosedDoseOutcome result = { 0 };

	apply_advances(replay, dose);
	settle(replay);
	phase = current_phase(replay);
	result.given = given;
	if (phase != NULL) {
		result.phase_index = (int)replay->phase;
		result.dose_in_phase = replay->in_phase + 1;
		result.due = due_date(replay, phase);
		result.latest = latest_date(replay, phase, result.due);
		if (given > result.latest)
			result.days_late = (int)(given - result.latest);
		count_dose(replay, given, dose->ordinal);
	} else {
		/* After the regimen completed: logging refuses this, so only
		 * inconsistent history gets here.  It belongs to no phase;
		 * report it against the last, due when given. */
		result.phase_index = phase_count(replay) > 0 ? (int)phase_count(replay) - 1 : 0;
		result.due = result.latest = given;
		replay->last = given;
		replay->last_ordinal = MAX(replay->last_ordinal, dose->ordinal);
	}
	if (outcome != NULL)
		*outcome = result;
}

/* Replay every dose and then the advances that come before `next` (NULL:
 * all of them). */
static void
replay_history(Replay *replay, const DosedDoseEvent *next, DosedDoseOutcome *outcomes)
{
	const DosedRegimenView *regimen = replay->regimen;
	size_t i;

	for (i = 0; i < regimen->n_doses; i++)
		place_dose(replay, &regimen->doses[i], outcomes != NULL ? &outcomes[i] : NULL);
	apply_advances(replay, next);
	settle(replay);
}

/* The next dose from where the replay stands; the regimen must be active. */
static void
plan_next(const Replay *replay, DosedPlannedDose *dose)
{
	const DosedPhase *phase = current_phase(replay);

	/* SPEC 2.7: one more than the highest ordinal that counts, so a
	 * voided last dose gives its ordinal back to the next one. */
	dose->ordinal = replay->last_ordinal + 1;
	dose->phase_index = (int)replay->phase;
	dose->dose_in_phase = replay->in_phase + 1;
	dose->due = due_date(replay, phase);
	dose->latest = latest_date(replay, phase, dose->due);
}

static int
last_phase_index(const Replay *replay)
{
	size_t n = phase_count(replay);

	if (n == 0)
		return 0;
	return (int)MIN(replay->phase, n - 1);
}

void
schedule_next_dose(const DosedRegimenView *regimen, gint64 now, DosedNextDose *out)
{
	Replay replay;
	DosedDate today;

	memset(out, 0, sizeof *out);
	replay_init(&replay, regimen);
	replay_history(&replay, NULL, NULL);
	out->phase_index = last_phase_index(&replay);
	if (regimen->stopped_at != 0) {
		out->state = DOSED_STATE_STOPPED;
		return;
	}
	if (current_phase(&replay) == NULL) {
		out->state = DOSED_STATE_COMPLETED;
		return;
	}
	out->state = DOSED_STATE_ACTIVE;
	plan_next(&replay, &out->dose);
	/* SPEC 2.5: a missed dose stays the next dose, overdue; nothing stacks. */
	today = date_of_instant(now, regimen->tz);
	if (today < out->dose.due)
		out->status = DOSED_STATUS_UPCOMING;
	else if (today <= out->dose.latest)
		out->status = DOSED_STATUS_DUE;
	else
		out->status = DOSED_STATUS_OVERDUE;
}

size_t
schedule_project(const DosedRegimenView *regimen, gint64 now, DosedPlannedDose *out,
		 size_t max)
{
	Replay replay;
	DosedDate today = date_of_instant(now, regimen->tz);
	size_t n;

	if (regimen->stopped_at != 0)
		return 0;
	replay_init(&replay, regimen);
	replay_history(&replay, NULL, NULL);
	for (n = 0; n < max && current_phase(&replay) != NULL; n++) {
		plan_next(&replay, &out[n]);
		/* Each projected dose is taken as given on its due date, or
		 * today when that has passed (an overdue dose moves the ones
		 * after it, SPEC 2.2).  Advanced phases go on until a real
		 * advance ends them. */
		count_dose(&replay, MAX(out[n].due, today), out[n].ordinal);
		settle(&replay);
	}
	return n;
}

void
schedule_replay(const DosedRegimenView *regimen, DosedDoseOutcome *outcomes)
{
	Replay replay;

	replay_init(&replay, regimen);
	replay_history(&replay, NULL, outcomes);
}

static bool
refuse_completed(GError **error)
{
	g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
		    "the regimen is completed: every phase has ended and no dose is due; "
		    "for a new course, stop this regimen and enrol the patient again");
	return false;
}

bool
schedule_check_log(const DosedRegimenView *regimen, gint64 at, gint64 now, bool force,
		   DosedPlannedDose *logged_as, GError **error)
{
	const DosedDoseEvent *last_dose =
		regimen->n_doses > 0 ? &regimen->doses[regimen->n_doses - 1] : NULL;
	char when[DOSED_TIMESTAMP_BUF], date_a[DOSED_DATE_BUF], date_b[DOSED_DATE_BUF];
	Replay replay;
	DosedDate given, due;

	if (regimen->stopped_at != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the regimen was stopped on %s; enrol the patient again to start "
			    "a new one",
			    date_format(date_of_instant(regimen->stopped_at, regimen->tz), date_a));
		return false;
	}
	replay_init(&replay, regimen);
	replay_history(&replay, NULL, NULL);
	if (current_phase(&replay) == NULL)
		return refuse_completed(error);
	timestamp_format(at, regimen->tz, when);
	if (at > now) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%s is in the future; give the time the dose was given", when);
		return false;
	}
	given = date_of_instant(at, regimen->tz);
	if (given < regimen->start) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%s is before the start date %s; give the time the dose was given",
			    when, date_format(regimen->start, date_a));
		return false;
	}
	if (last_dose != NULL && at < last_dose->given_at) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%s is before the last logged dose #%d on %s: void that first", when,
			    last_dose->ordinal,
			    date_format(date_of_instant(last_dose->given_at, regimen->tz), date_a));
		return false;
	}

	/* The phase the dose falls in is the one current where it will
	 * stand, after every dose and advance recorded so far, but before
	 * an advance made after it was given: the replay after it is
	 * stored must come to the same place. */
	replay_init(&replay, regimen);
	replay_history(&replay, &(DosedDoseEvent){ .given_at = at, .id = G_MAXINT64 }, NULL);
	if (current_phase(&replay) == NULL)
		return refuse_completed(error);
	plan_next(&replay, logged_as);
	if (force || replay.last == DOSED_DATE_NONE)
		return true;

	/* SPEC 2.6: a second dose the same day, or one before half the
	 * interval to the next due date has passed, is most likely a
	 * mistake; --force says it is not. */
	due = logged_as->due;
	if (given == replay.last) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_SAME_DAY,
			    "a dose was already logged on %s", date_format(given, date_a));
		return false;
	}
	if (2 * ((gint64)given - replay.last) < (gint64)due - replay.last) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_TOO_SOON,
			    "too soon: the last dose was on %s and the next is due on %s",
			    date_format(replay.last, date_a), date_format(due, date_b));
		return false;
	}
	return true;
}

bool
schedule_check_advance(const DosedRegimenView *regimen, gint64 now, int *phase_index,
		       GError **error)
{
	const DosedPhase *phase;
	Replay replay;
	char *words;

	/* The current phase follows from the history alone; `now` does not
	 * move it. */
	(void)now;
	if (regimen->stopped_at != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the regimen is stopped; there is no phase to advance");
		return false;
	}
	replay_init(&replay, regimen);
	replay_history(&replay, NULL, NULL);
	phase = current_phase(&replay);
	if (phase == NULL) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the regimen is completed; there is no phase to advance");
		return false;
	}
	if (phase->end != DOSED_END_ADVANCED) {
		words = phase_describe(phase);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the current phase \"%s\" (%s) ends by itself; only an \"until "
			    "advanced\" phase can be advanced",
			    phase->name, words);
		g_free(words);
		return false;
	}
	*phase_index = (int)replay.phase;
	return true;
}

const char *
schedule_suggest_site(const DosedRegimenView *regimen, char *const *sites)
{
	const char *last = NULL;
	size_t i;

	if (sites == NULL || sites[0] == NULL)
		return NULL;
	for (i = regimen->n_doses; i > 0 && last == NULL; i--)
		last = regimen->doses[i - 1].site;
	if (last == NULL)
		return sites[0];
	/* Sites are typed by hand with dosectl log --site: "Left deltoid"
	 * is the same site as "left deltoid". */
	for (i = 0; sites[i] != NULL; i++)
		if (g_ascii_strcasecmp(sites[i], last) == 0)
			return sites[i + 1] != NULL ? sites[i + 1] : sites[0];
	return sites[0];
}

const char *
schedule_status_name(DosedStatus status)
{
	switch (status) {
	case DOSED_STATUS_UPCOMING:
		return "upcoming";
	case DOSED_STATUS_DUE:
		return "due";
	case DOSED_STATUS_OVERDUE:
		return "overdue";
	}
	return "unknown";
}

const char *
schedule_state_name(DosedRegimenState state)
{
	switch (state) {
	case DOSED_STATE_ACTIVE:
		return "active";
	case DOSED_STATE_COMPLETED:
		return "completed";
	case DOSED_STATE_STOPPED:
		return "stopped";
	}
	return "unknown";
}
