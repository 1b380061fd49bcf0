/* feed.c - iCalendar subscription feeds (SPEC section 4, Feeds).
 *
 * libical builds every component and writes the text: it escapes TEXT
 * values, folds lines at 75 octets (never inside a UTF-8 character, which
 * libical 3.0.16 already respects: the unit tests check each physical line)
 * and ends lines with CRLF.  This file only decides what the events say;
 * the values, alarms and time zones it builds them from are feed_ical.c's.
 *
 * Each event is first built without UID, DTSTAMP, LAST-MODIFIED and
 * SEQUENCE; its text is hashed (the fingerprint of everything it shows, its
 * alarms included) and compared with its state (feed_state.h), which
 * gives the last three.  So a feed rendered twice from the same data on the
 * same day is byte-identical, whatever the clock says.
 *
 * Everything here depends on `now` only through the patient's calendar
 * date (today, the history and horizon windows, overdue or not), never
 * through the time of day.
 */
#include "feed.h"

#include <string.h>

#include <libical/ical.h>

#include "error.h"
#include "feed_ical.h"
#include "protocol.h"
#include "remind.h"
#include "schedule.h"
#include "timeutil.h"

#ifndef DOSED_VERSION
#define DOSED_VERSION "unknown"
#endif

#define FEED_PRODID "-//dosed//dosed " DOSED_VERSION "//EN"
/* A logged dose is shown as a short timed event where it was given. */
#define FEED_GIVEN_SECONDS (15 * 60)
#define FEED_CATEGORY "Injection"
#define FEED_DAY_SECONDS 86400
/* [feed] horizon_months and history_months are 1 to 120 (config.c); far
 * beyond that date arithmetic would leave the calendar. */
#define FEED_MONTHS_MAX 1200
/* The earliest year a VTIMEZONE needs to cover: dosed has no older doses. */
#define FEED_ZONE_YEAR_MIN 1970

/* ---- words and dates ------------------------------------------------ */

/* English names, not strftime's %a/%b: those follow the daemon's locale,
 * and a locale change must not rewrite (and re-sequence) every event. */
static const char *const feed_weekday_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};
static const char *const feed_month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* "Mon 23 Nov 2026" */
static void
feed_append_day(GString *out, DosedDate date)
{
	int year, month, day;

	date_to_ymd(date, &year, &month, &day);
	if (month < 1) {
		g_string_append(out, "(no date)");
		return;
	}
	g_string_append_printf(out, "%s %d %s %d", feed_weekday_names[date_weekday(date) - 1],
			       day, feed_month_names[month - 1], year);
}

/* "23 Nov" */
static void
feed_append_day_month(GString *out, DosedDate date)
{
	int year, month, day;

	date_to_ymd(date, &year, &month, &day);
	if (month < 1) {
		g_string_append(out, "(no date)");
		return;
	}
	g_string_append_printf(out, "%d %s", day, feed_month_names[month - 1]);
}

/* "Fri 27 Nov 2026 09:30 GMT": an instant as the patient's clock showed it. */
static void
feed_append_local_time(GString *out, gint64 instant, GTimeZone *tz)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(instant);
	GDateTime *local = g_date_time_to_timezone(utc, tz);

	feed_append_day(out, date_of_instant(instant, tz));
	g_string_append_printf(out, " %02d:%02d %s", g_date_time_get_hour(local),
			       g_date_time_get_minute(local),
			       g_date_time_get_timezone_abbreviation(local));
	g_date_time_unref(local);
	g_date_time_unref(utc);
}

static const DosedPhase *
feed_phase(const DosedRegimen *regimen, int phase_index)
{
	const DosedProtocol *protocol = regimen->protocol;

	if (protocol->n_phases == 0)
		return NULL;
	if (phase_index < 0 || (size_t)phase_index >= protocol->n_phases)
		phase_index = (int)protocol->n_phases - 1;
	return &protocol->phases[phase_index];
}

/* "Hydroxocobalamin 1 mg": the drug as a title (protocols write it in
 * lower case, "vitamin B12") and the dose of the phase. */
static void
feed_append_what(GString *out, const DosedRegimen *regimen, int phase_index)
{
	const DosedProtocol *protocol = regimen->protocol;
	const DosedPhase *phase = feed_phase(regimen, phase_index);
	const char *drug = protocol->drug != NULL ? protocol->drug : "";
	const char *dose = phase != NULL ? phase_dose(phase, protocol) : protocol->dose;

	if (*drug != '\0' && g_utf8_validate(drug, -1, NULL)) {
		g_string_append_unichar(out, g_unichar_totitle(g_utf8_get_char(drug)));
		g_string_append(out, g_utf8_next_char(drug));
	} else {
		g_string_append(out, drug);
	}
	if (dose != NULL && *dose != '\0')
		g_string_append_printf(out, " %s", dose);
}

/* "Dose #3: dose 3 of 6 in the loading phase" (a phase that ends by count)
 * or "Dose #7: dose 1 of the maintenance phase". */
static void
feed_append_dose_line(GString *out, const DosedRegimen *regimen, int ordinal, int phase_index,
		      int dose_in_phase)
{
	const DosedPhase *phase = feed_phase(regimen, phase_index);

	g_string_append_printf(out, "Dose #%d", ordinal);
	if (phase == NULL)
		return;
	if (phase->end == DOSED_END_DOSES)
		g_string_append_printf(out, ": dose %d of %d in the %s phase", dose_in_phase,
				       phase->end_count, phase->name);
	else
		g_string_append_printf(out, ": dose %d of the %s phase", dose_in_phase,
				       phase->name);
}

/* "Phase: loading, 3 per week (Mon, Wed, Fri) for 6 doses" */
static void
feed_append_phase_line(GString *out, const DosedRegimen *regimen, int phase_index)
{
	const DosedPhase *phase = feed_phase(regimen, phase_index);
	char *words;

	if (phase == NULL)
		return;
	words = phase_describe(phase);
	g_string_append_printf(out, "\nPhase: %s, %s", phase->name, words);
	g_free(words);
}

/* ---- rendering ------------------------------------------------------ */

typedef struct {
	const DosedFeedOptions *options;
	gint64 now;
	GHashTable *states;
	const char *key_prefix;         /* "p:" or "c:" */
	icalcomponent *calendar;        /* properties and zones; no events */
	/* The events' text, in order.  Each event is written once, here,
	 * from the text its fingerprint was taken of, rather than added to
	 * `calendar` and written again with it, a second pass over every
	 * event (bench/NOTES.md). */
	GString *events;
	GChecksum *feed_sum;            /* the calendar's properties, zones and events */
} FeedRender;

static void
feed_render_init(FeedRender *render, const DosedFeedOptions *options, gint64 now,
		 GHashTable *states, const char *key_prefix, const char *calendar_name)
{
	icalcomponent *calendar = icalcomponent_new_vcalendar();
	icalproperty *property;
	char *value;

	render->options = options;
	render->now = now;
	render->states = states;
	render->key_prefix = key_prefix;
	render->calendar = calendar;
	render->events = g_string_sized_new(4096);
	render->feed_sum = g_checksum_new(G_CHECKSUM_SHA256);

	icalcomponent_add_property(calendar, icalproperty_new_prodid(FEED_PRODID));
	icalcomponent_add_property(calendar, icalproperty_new_version("2.0"));
	icalcomponent_add_property(calendar, icalproperty_new_calscale("GREGORIAN"));
	/* No METHOD (SPEC 4): a published feed is no iTIP message (METHOD
	 * PUBLISH asks for an ORGANIZER in every event, and libical's
	 * icalrestriction_check() failed every feed on it), and CalDAV,
	 * where these events go too, does not allow METHOD at all. */
	/* X-WR-CALNAME, which Apple, Google and Outlook read, and not RFC
	 * 7986 NAME: ical.js (Thunderbird) does not know NAME and would show
	 * its escapes ("Smith\, Jo"). */
	feed_add_x_text(calendar, "X-WR-CALNAME", calendar_name);
	if (options->refresh_minutes > 0) {
		/* RFC 7986 3.7.6: VALUE=DURATION is required, not a default. */
		property = icalproperty_new_refreshinterval(
			icaldurationtype_from_int(options->refresh_minutes * 60));
		icalproperty_add_parameter(property, icalparameter_new_value(ICAL_VALUE_DURATION));
		icalcomponent_add_property(calendar, property);
		/* Outlook and Apple read the older X-PUBLISHED-TTL. */
		value = icaldurationtype_as_ical_string_r(
			icaldurationtype_from_int(options->refresh_minutes * 60));
		feed_add_x(calendar, "X-PUBLISHED-TTL", value);
		icalmemory_free_buffer(value);
	}
}

/* The calendar-level properties go into the feed's fingerprint: a new
 * name or refresh interval moves Last-Modified too. */
static void
feed_render_sum_properties(FeedRender *render)
{
	icalproperty *property;
	char *text;

	for (property = icalcomponent_get_first_property(render->calendar, ICAL_ANY_PROPERTY);
	     property != NULL;
	     property = icalcomponent_get_next_property(render->calendar, ICAL_ANY_PROPERTY)) {
		text = icalproperty_as_ical_string_r(property);
		g_checksum_update(render->feed_sum, (const guchar *)text, -1);
		icalmemory_free_buffer(text);
	}
}

static void
feed_append_property(GString *out, icalproperty *property)
{
	char *text = icalproperty_as_ical_string_r(property);

	g_string_append(out, text);
	icalmemory_free_buffer(text);
	icalproperty_free(property);
}

/* Add one event: `content` (a VEVENT) holds everything it shows; this
 * gives it UID, DTSTAMP, LAST-MODIFIED and SEQUENCE from its state, in
 * front of its own properties, and takes it.  The text is what libical
 * writes for the whole event: a component is written as BEGIN, its
 * properties in order, its components, END, each property on its own. */
static void
feed_render_add_event(FeedRender *render, const char *uid, icalcomponent *content)
{
	static const char begin[] = "BEGIN:VEVENT\r\n";
	char *text = feed_ical_text(content);
	char *fingerprint = feed_checksum_text(text);
	char *key = g_strconcat(render->key_prefix, uid, NULL);
	const DosedFeedEventState *state =
		feed_states_update(render->states, key, fingerprint, render->now);

	g_assert(g_str_has_prefix(text, begin));
	icalcomponent_free(content);
	/* UID and the change stamps first, as calendar apps write them. */
	g_string_append(render->events, begin);
	feed_append_property(render->events, icalproperty_new_uid(uid));
	feed_append_property(render->events,
			     icalproperty_new_dtstamp(feed_ical_utc(state->changed_at)));
	feed_append_property(render->events,
			     icalproperty_new_lastmodified(feed_ical_utc(state->changed_at)));
	feed_append_property(render->events, icalproperty_new_sequence(state->sequence));
	g_string_append(render->events, text + strlen(begin));

	/* The feed's fingerprint lists every event it shows, so an event
	 * that leaves the feed changes it too. */
	g_checksum_update(render->feed_sum, (const guchar *)uid, -1);
	g_checksum_update(render->feed_sum, (const guchar *)" ", 1);
	g_checksum_update(render->feed_sum, (const guchar *)fingerprint, -1);
	g_checksum_update(render->feed_sum, (const guchar *)"\n", 1);
	g_free(key);
	g_free(fingerprint);
	g_free(text);
}

/* libical 3.0.16 folds a content line together with the CRLF that ends it
 * when the last fold falls at the line's end (fixed in libical 4.0.3, pull
 * request 1338): a value of 73 octets after its last fold point comes out
 * as "...\r" CRLF " \n", a line ending split in two, and one of 74 as
 * "..." CRLF " " CRLF, an empty fold that iCloud refuses.  Unfolding
 * (RFC 5545 3.1) reads both as a plain CRLF, so write that.  In place. */
static void
feed_repair_folds(char *text)
{
	char *in = text, *out = text;

	while (*in != '\0') {
		/* Both patterns start with CR: test that byte before comparing,
		 * since this runs over every byte of a feed (bench/NOTES.md). */
		if (*in == '\r' &&
		    (strncmp(in, "\r\r\n \n", 5) == 0 || strncmp(in, "\r\n \r\n", 5) == 0)) {
			*out++ = '\r';
			*out++ = '\n';
			in += 5;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

/* Finish: the feed's own state (key: prefix + feed_id), then the text. */
static char *
feed_render_finish(FeedRender *render, const char *feed_id, gint64 *last_modified,
		   GError **error)
{
	char *key = g_strconcat(render->key_prefix, feed_id, NULL);
	const DosedFeedEventState *state = feed_states_update(
		render->states, key, g_checksum_get_string(render->feed_sum), render->now);
	static const char end[] = "END:VCALENDAR\r\n";
	char *text = icalcomponent_as_ical_string_r(render->calendar);
	char *copy = NULL;

	if (last_modified != NULL)
		*last_modified = state->changed_at;
	if (text == NULL || *text == '\0')
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "libical could not write the calendar (%s); this is a bug in dosed or "
			    "libical, please report it",
			    icalerror_strerror(icalerrno));
	else if (!g_str_has_suffix(text, end))
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "libical wrote a calendar that does not end with END:VCALENDAR; "
			    "this is a bug in dosed or libical, please report it");
	else {
		/* The events go where libical would have put them: after the
		 * calendar's properties and zones, before its END.  Put round
		 * the events where they are, not copied beside them: a clinic's
		 * are tens of megabytes (bench/NOTES.md). */
		size_t head = strlen(text) - strlen(end);

		g_string_prepend_len(render->events, text, (gssize)head);
		g_string_append(render->events, end);
		copy = g_string_free(g_steal_pointer(&render->events), FALSE);
		feed_repair_folds(copy);
	}
	icalmemory_free_buffer(text);
	icalcomponent_free(render->calendar);
	if (render->events)
		g_string_free(render->events, TRUE);
	g_checksum_free(render->feed_sum);
	g_free(key);
	return copy;
}

/* The properties every dose's event has. */
static icalcomponent *
feed_event_new(const char *summary, const char *description, icalproperty_status status)
{
	icalcomponent *event = icalcomponent_new_vevent();

	icalcomponent_add_property(event, icalproperty_new_summary(summary));
	icalcomponent_add_property(event, icalproperty_new_description(description));
	icalcomponent_add_property(event, icalproperty_new_status(status));
	/* A dose does not make the patient busy. */
	icalcomponent_add_property(event, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
	/* Health data: apps that share or publish the calendar show only
	 * "busy" for a private event. */
	icalcomponent_add_property(event, icalproperty_new_class(ICAL_CLASS_PRIVATE));
	icalcomponent_add_property(event, icalproperty_new_categories(FEED_CATEGORY));
	return event;
}

/* UIDs are opaque to RFC 5545, but subscribers put them into URLs (CalDAV
 * resource names) and file names (khal, vdirsyncer): the patient id is
 * percent-encoded down to RFC 3986 unreserved characters.  The encoding is
 * one-to-one, and the regimen id (never reused: nothing is deleted) and
 * the ordinal are digits, so reading from the right the UID is unique; it
 * depends on nothing else, so it is stable, and a projected dose and the
 * dose later logged for it share it (SPEC 2.7).  A new regimen after
 * `dosectl stop` starts new events.  The clinic's UIDs end "-clinic@dosed"
 * where the patients' end in a digit, so the two never meet.  (The feed's
 * own state key is "p:" + patient id, feed.h: only a patient id shaped
 * exactly like another patient's UID could meet an event's key.) */
static char *
feed_uid(const DosedRegimen *regimen, int ordinal, const char *suffix)
{
	char *patient = g_uri_escape_string(regimen->patient_id, NULL, FALSE);
	char *uid = g_strdup_printf("%s-dose-%" G_GINT64_FORMAT "-%d%s@dosed", patient,
				    regimen->regimen_id, ordinal, suffix);

	g_free(patient);
	return uid;
}

char *
feed_event_uid(const DosedRegimen *regimen, int ordinal)
{
	return feed_uid(regimen, ordinal, "");
}

char *
feed_clinic_event_uid(const DosedRegimen *regimen, int ordinal)
{
	return feed_uid(regimen, ordinal, "-clinic");
}

/* A logged dose: timed, in UTC, where and when it was given. */
static void
feed_add_given(FeedRender *render, const DosedRegimen *regimen, const DosedDose *dose,
	       const DosedDoseOutcome *outcome)
{
	GString *summary = g_string_new(NULL);
	GString *description = g_string_new(NULL);
	icalcomponent *event;
	char *uid;

	feed_append_what(summary, regimen, outcome->phase_index);
	g_string_append(summary, " given");

	g_string_append_printf(description, "Patient: %s\n", regimen->name);
	feed_append_dose_line(description, regimen, dose->ordinal, outcome->phase_index,
			      outcome->dose_in_phase);
	g_string_append(description, "\nGiven: ");
	feed_append_local_time(description, dose->given_at, regimen->tz);
	if (dose->site != NULL && *dose->site != '\0')
		g_string_append_printf(description, "\nSite: %s", dose->site);
	if (dose->note != NULL && *dose->note != '\0')
		g_string_append_printf(description, "\nNote: %s", dose->note);

	event = feed_event_new(summary->str, description->str, ICAL_STATUS_CONFIRMED);
	icalcomponent_add_property(event, icalproperty_new_dtstart(feed_ical_utc(dose->given_at)));
	icalcomponent_add_property(event, icalproperty_new_duration(
		icaldurationtype_from_int(FEED_GIVEN_SECONDS)));
	uid = feed_event_uid(regimen, dose->ordinal);
	feed_render_add_event(render, uid, event);
	g_free(uid);
	g_string_free(summary, TRUE);
	g_string_free(description, TRUE);
}

/* The reminders of SPEC 4 as alarms on a dose's all-day event: at
 * [reminders] at on the due date, and the lead one `before` that. */
static void
feed_add_alarms(icalcomponent *event, const DosedFeedOptions *options, const char *what,
		DosedDate due)
{
	GString *text = g_string_new(NULL);
	gint64 lead;
	int days;

	g_string_printf(text, "%s due today", what);
	feed_add_alarm(event, options->reminder_at, text->str);
	if (options->reminder_before_ms > 0) {
		lead = (gint64)options->reminder_at - options->reminder_before_ms / 1000;
		/* How many days before the due date it fires: 0 today,
		 * -1 the day before, ... (floor division). */
		days = (int)(lead >= 0 ? lead / FEED_DAY_SECONDS
				       : -((-lead + FEED_DAY_SECONDS - 1) / FEED_DAY_SECONDS));
		g_string_printf(text, "%s due ", what);
		if (days >= 0) {
			g_string_append(text, "today");
		} else if (days == -1) {
			g_string_append(text, "tomorrow");
		} else {
			g_string_append(text, "on ");
			feed_append_day(text, due);
		}
		feed_add_alarm(event, (int)CLAMP(lead, G_MININT, G_MAXINT), text->str);
	}
	g_string_free(text, TRUE);
}

/* The overdue reminders (SPEC 4) as an alarm on an overdue dose's event,
 * which sits on `today`: the moments of core/remind.h that fall on today
 * (`at` on the first day overdue, then every overdue_every), as the first
 * one and its repeats.  A missed dose is the reminder that matters most,
 * and the event moves to the next day at midnight, taking the alarm with
 * it; on a day no moment falls on (overdue_every of 2 days) it has none.
 * The moments depend on the date alone, never on the time of day of
 * `now`, so the feed stays byte-identical through the day. */
static void
feed_add_overdue_alarm(icalcomponent *event, const DosedFeedOptions *options,
		       const DosedRegimen *regimen, DosedDate today, const char *text)
{
	const DosedReminderSettings settings = {
		.at = options->reminder_at,
		.before_ms = 0,
		.overdue_every_ms = options->reminder_overdue_every_ms,
		.snooze_ms = 1,         /* no snooze is recorded: unused */
	};
	const DosedReminderRecord record = { 0, 0 };
	gint64 day_start = instant_of_local(today, 0, 0, 0, regimen->tz);
	gint64 day_end = instant_of_local(date_add_days(today, 1), 0, 0, 0, regimen->tz);
	gint64 first = 0, second = 0, interval = 0, repeat = 0;
	DosedReminder owed;
	GDateTime *utc, *local;
	int offset;

	if (settings.overdue_every_ms <= 0)
		return;
	/* The first moment of today, and the one after it. */
	reminder_plan(&regimen->view, &settings, &record, day_start - 1, &owed, &first);
	if (first < day_start || first >= day_end)
		return;
	reminder_plan(&regimen->view, &settings, &record, first, &owed, &second);
	if (second > first && second < day_end) {
		interval = second - first;
		repeat = (day_end - 1 - first) / interval;
	}
	/* The trigger counts from the event's start, local midnight: the
	 * moment's time of day on the patient's clock, as [reminders] at is
	 * for the due date's alarm. */
	utc = g_date_time_new_from_unix_utc(first);
	local = g_date_time_to_timezone(utc, regimen->tz);
	offset = g_date_time_get_hour(local) * 3600 + g_date_time_get_minute(local) * 60 +
		 g_date_time_get_second(local);
	g_date_time_unref(local);
	g_date_time_unref(utc);
	feed_add_alarm_repeated(event, offset, (int)MIN(repeat, G_MAXINT),
				(int)MIN(interval, G_MAXINT), text);
}

/* A dose to come (or overdue): an all-day event on its due date in the
 * patient's calendar, or on today once overdue, since it stays the next
 * dose until given (SPEC 2.5) and a calendar shows today, not the past;
 * with the alarms of the reminders, due or overdue.  `clinic` puts the
 * patient's name in the summary and leaves out alarms, which would ring
 * for every patient on the staff's devices; and it puts a dose already
 * due but still within its window on today too, where a nurse looking at
 * today sees it (the patient's feed keeps it on its due date, where its
 * alarm rang). */
static void
feed_add_planned(FeedRender *render, const DosedRegimen *regimen, const DosedPlannedDose *dose,
		 DosedDate today, const char *site, bool clinic)
{
	bool overdue = today > dose->latest;
	DosedDate day = overdue || (clinic && today > dose->due) ? today : dose->due;
	GString *what = g_string_new(NULL);
	GString *summary = g_string_new(NULL);
	GString *description = g_string_new(NULL);
	icalcomponent *event;
	char *uid;

	feed_append_what(what, regimen, dose->phase_index);
	if (clinic)
		g_string_append_printf(summary, "%s: ", regimen->name);
	g_string_append(summary, what->str);
	if (overdue) {
		g_string_append(summary, " OVERDUE (due since ");
		feed_append_day_month(summary, dose->due);
		g_string_append(summary, ")");
	} else if (day != dose->due) {
		g_string_append(summary, " due (since ");
		feed_append_day_month(summary, dose->due);
		g_string_append(summary, ")");
	} else {
		g_string_append(summary, " due");
	}

	if (clinic)
		g_string_append_printf(description, "Patient: %s (%s)\n", regimen->name,
				       regimen->patient_id);
	else
		g_string_append_printf(description, "Patient: %s\n", regimen->name);
	feed_append_dose_line(description, regimen, dose->ordinal, dose->phase_index,
			      dose->dose_in_phase);
	g_string_append(description, "\nDue from ");
	feed_append_day(description, dose->due);
	g_string_append(description, "; overdue after ");
	feed_append_day(description, dose->latest);
	if (overdue) {
		g_string_append(description, "\nOVERDUE since ");
		feed_append_day(description, date_add_days(dose->latest, 1));
	}
	if (site != NULL)
		g_string_append_printf(description, "\nSuggested site: %s", site);
	feed_append_phase_line(description, regimen, dose->phase_index);

	event = feed_event_new(summary->str, description->str, ICAL_STATUS_TENTATIVE);
	icalcomponent_add_property(event, icalproperty_new_dtstart(feed_ical_date(day)));
	icalcomponent_add_property(event,
				   icalproperty_new_dtend(feed_ical_date(date_add_days(day, 1))));
	if (!clinic && !overdue && render->options->alarms)
		feed_add_alarms(event, render->options, what->str, dose->due);
	else if (!clinic && overdue && render->options->alarms)
		feed_add_overdue_alarm(event, render->options, regimen, today, summary->str);
	uid = clinic ? feed_clinic_event_uid(regimen, dose->ordinal)
		     : feed_event_uid(regimen, dose->ordinal);
	feed_render_add_event(render, uid, event);
	g_free(uid);
	g_string_free(what, TRUE);
	g_string_free(summary, TRUE);
	g_string_free(description, TRUE);
}

/* Index of `site` (a pointer into sites) in sites, and the list's length. */
static size_t
feed_site_index(char *const *sites, const char *site, size_t *count)
{
	size_t index = 0, i;

	for (i = 0; sites != NULL && sites[i] != NULL; i++)
		if (sites[i] == site)
			index = i;
	*count = i;
	return index;
}

/* The projected doses due on or before `until`: schedule_project() in
 * growing batches, since a "for life" phase never ends by itself.
 * *n receives how many; free the result with g_free(). */
static DosedPlannedDose *
feed_project(const DosedRegimen *regimen, gint64 now, DosedDate until, size_t *n)
{
	size_t max = 16, got;
	DosedPlannedDose *doses = NULL;

	for (;;) {
		doses = g_renew(DosedPlannedDose, doses, max);
		got = schedule_project(&regimen->view, now, doses, max);
		if (got < max || doses[got - 1].due > until)
			break;
		max *= 2;
	}
	while (got > 0 && doses[got - 1].due > until)
		got--;
	*n = got;
	return doses;
}

char *
feed_render_patient(const DosedRegimen *regimen, const DosedFeedOptions *options,
		    gint64 now, GHashTable *states, gint64 *last_modified, GError **error)
{
	const DosedRegimenView *view = &regimen->view;
	DosedDate today = date_of_instant(now, regimen->tz);
	DosedDate history_from =
		date_add_months(today, -CLAMP(options->history_months, 0, FEED_MONTHS_MAX));
	DosedDate horizon_to =
		date_add_months(today, CLAMP(options->horizon_months, 0, FEED_MONTHS_MAX));
	DosedDoseOutcome *outcomes = g_new0(DosedDoseOutcome, MAX(view->n_doses, 1));
	DosedPlannedDose *planned;
	FeedRender render;
	char *name = g_strdup_printf("Injections: %s", regimen->name);
	const char *site;
	size_t n_planned, i, j, site_index, n_sites;
	int year, month, day;

	feed_render_init(&render, options, now, states, "p:", name);
	feed_add_x(render.calendar, "X-WR-TIMEZONE", regimen->tz_name);
	feed_render_sum_properties(&render);
	date_to_ymd(history_from, &year, &month, &day);
	feed_add_zone(render.calendar, render.feed_sum, regimen->tz_name,
		      MAX(year, FEED_ZONE_YEAR_MIN));

	/* Logged doses, by ordinal (they are given in that order): the
	 * replay says which phase each fell in and its number there.
	 * view->doses are the non-void doses in regimen->doses' order. */
	schedule_replay(view, outcomes);
	for (i = 0, j = 0; i < regimen->doses->len && j < view->n_doses; i++) {
		const DosedDose *dose = g_ptr_array_index(regimen->doses, i);

		if (dose->voided_at != 0)
			continue;
		if (date_of_instant(dose->given_at, regimen->tz) >= history_from)
			feed_add_given(&render, regimen, dose, &outcomes[j]);
		j++;
	}

	/* Doses to come.  The suggested site rotates on from the one
	 * suggested for the next dose (SPEC 2, sites), as it will if each
	 * dose is given where suggested; so a dose given as planned does
	 * not move the events after it. */
	planned = feed_project(regimen, now, horizon_to, &n_planned);
	site = schedule_suggest_site(view, options->sites);
	site_index = feed_site_index(options->sites, site, &n_sites);
	for (i = 0; i < n_planned; i++)
		feed_add_planned(&render, regimen, &planned[i], today,
				 n_sites > 0 ? options->sites[(site_index + i) % n_sites] : NULL,
				 false);

	g_free(planned);
	g_free(outcomes);
	g_free(name);
	return feed_render_finish(&render, regimen->patient_id, last_modified, error);
}

static gint
feed_compare_patients(gconstpointer a, gconstpointer b)
{
	const DosedRegimen *left = *(const DosedRegimen *const *)a;
	const DosedRegimen *right = *(const DosedRegimen *const *)b;

	return strcmp(left->patient_id, right->patient_id);
}

struct FeedClinicRender {
	FeedRender render;
};

FeedClinicRender *
feed_clinic_begin(const DosedFeedOptions *options, gint64 now, GHashTable *states)
{
	FeedClinicRender *clinic = g_new0(FeedClinicRender, 1);

	/* All-day dates are floating (each patient's own calendar date), so
	 * no TZID is used and no VTIMEZONE is needed. */
	feed_render_init(&clinic->render, options, now, states, "c:", "Injections: clinic");
	feed_render_sum_properties(&clinic->render);
	return clinic;
}

void
feed_clinic_add(FeedClinicRender *clinic, const DosedRegimen *regimen)
{
	FeedRender *render = &clinic->render;
	const DosedFeedOptions *options = render->options;
	DosedNextDose next;
	DosedDate today;

	if (regimen->stopped_at != 0)
		return;
	schedule_next_dose(&regimen->view, render->now, &next);
	if (next.state != DOSED_STATE_ACTIVE)
		return;
	today = date_of_instant(render->now, regimen->tz);
	if (next.status != DOSED_STATUS_OVERDUE &&
	    next.dose.due > date_add_days(today, MAX(options->clinic_days, 0)))
		return;
	feed_add_planned(render, regimen, &next.dose, today,
			 schedule_suggest_site(&regimen->view, options->sites), true);
}

char *
feed_clinic_finish(FeedClinicRender *clinic, gint64 *last_modified, GError **error)
{
	char *text = feed_render_finish(&clinic->render, "", last_modified, error);

	g_free(clinic);
	return text;
}

void
feed_clinic_abandon(FeedClinicRender *clinic)
{
	if (clinic == NULL)
		return;
	icalcomponent_free(clinic->render.calendar);
	g_string_free(clinic->render.events, TRUE);
	g_checksum_free(clinic->render.feed_sum);
	g_free(clinic);
}

char *
feed_render_clinic(GPtrArray *regimens, const DosedFeedOptions *options, gint64 now,
		   GHashTable *states, gint64 *last_modified, GError **error)
{
	GPtrArray *sorted = g_ptr_array_sized_new(regimens != NULL ? regimens->len : 0);
	FeedClinicRender *clinic = feed_clinic_begin(options, now, states);

	/* By patient id, whatever order the caller loaded them in. */
	for (guint i = 0; regimens != NULL && i < regimens->len; i++)
		g_ptr_array_add(sorted, g_ptr_array_index(regimens, i));
	g_ptr_array_sort(sorted, feed_compare_patients);
	for (guint i = 0; i < sorted->len; i++)
		feed_clinic_add(clinic, g_ptr_array_index(sorted, i));
	g_ptr_array_unref(sorted);
	return feed_clinic_finish(clinic, last_modified, error);
}

void feed_options_from_config(DosedFeedOptions *options, const DosedConfig *config)
{
	memset(options, 0, sizeof *options);
	options->horizon_months = config->feed_horizon_months;
	options->history_months = config->feed_history_months;
	options->clinic_days = config->feed_clinic_days;
	options->alarms = config->feed_alarms;
	options->reminder_at = config->reminders_at;
	options->reminder_before_ms = config->reminders_before_ms;
	options->reminder_overdue_every_ms = config->reminders_overdue_every_ms;
	/* Calendar apps poll at about this pace anyway; an hour keeps a
	 * rescheduled dose from lagging long (RFC 7986 REFRESH-INTERVAL). */
	options->refresh_minutes = 60;
	options->sites = config->sites;
}
