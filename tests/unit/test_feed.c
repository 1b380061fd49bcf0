/* test_feed.c - the iCalendar feeds of SPEC section 4, read back with libical.
 *
 * Regimens come from a real temporary store, enrolled on protocols read
 * from conf/protocols.ini, with doses placed by schedule_check_log() as
 * `dosectl log` places them.  Every feed is parsed back with libical's own
 * parser, and its raw bytes are checked for the framing RFC 5545 asks
 * (the parsers forgive what a byte-level check catches: TESTING-NOTES).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libical/ical.h>

#include "error.h"
#include "feed.h"
#include "protocol.h"
#include "schedule.h"
#include "store.h"
#include "timeutil.h"

#include "helpers.h"


static char *const test_sites[] = {
	"left deltoid", "right deltoid", "left thigh", "right thigh", NULL,
};

typedef struct {
	char *folder;
	DosedStore *store;
	DosedCatalogue *catalogue;
	GHashTable *states;
	DosedFeedOptions options;
} Fixture;

/* ---- fixture ------------------------------------------------------------ */

static int setup(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);
	const char *data = g_getenv("DOSED_TEST_DATA");
	GError *error = NULL;
	char *db, *ini;
	const char *paths[2] = { NULL, NULL };

	if (!data)
		fail_msg("DOSED_TEST_DATA is not set (run the tests with tests/run)");
	fixture->folder = g_dir_make_tmp("dosed-feed-XXXXXX", &error);
	assert_non_null(fixture->folder);
	db = g_build_filename(fixture->folder, "dosed.db", NULL);
	fixture->store = store_open(db, 0600, 1000, &error);
	if (!fixture->store)
		fail_msg("store_open: %s", error->message);
	ini = g_build_filename(data, "..", "..", "conf", "protocols.ini", NULL);
	paths[0] = ini;
	fixture->catalogue = catalogue_load(paths, &error);
	if (!fixture->catalogue)
		fail_msg("catalogue_load: %s", error->message);
	fixture->states = feed_states_create();
	fixture->options = (DosedFeedOptions){
		.horizon_months = 12,
		.history_months = 12,
		.clinic_days = 7,
		.alarms = false,
		.reminder_at = 9 * 3600,
		.reminder_before_ms = 24 * 3600 * 1000,
		.reminder_overdue_every_ms = 24 * 3600 * 1000,
		.refresh_minutes = 60,
		.sites = test_sites,
	};
	g_free(db);
	g_free(ini);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	Fixture *fixture = *state;

	store_close(fixture->store);
	catalogue_destroy(fixture->catalogue);
	g_hash_table_unref(fixture->states);
	remove_tree(fixture->folder);
	g_free(fixture->folder);
	g_free(fixture);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* An instant from RFC 3339 text. */
static gint64 at(const char *text)
{
	GTimeZone *utc = g_time_zone_new_utc();
	GError *error = NULL;
	gint64 instant = 0;

	if (!timestamp_parse(text, utc, &instant, &error))
		fail_msg("timestamp_parse: %s", error->message);
	g_time_zone_unref(utc);
	return instant;
}

static void enrol(Fixture *fixture, const char *patient_id, const char *name,
		  const char *protocol_id, const char *start, const char *tz)
{
	const DosedProtocol *protocol = catalogue_find(fixture->catalogue, protocol_id);
	GError *error = NULL;
	DosedDate date;

	assert_non_null(protocol);
	assert_true(date_parse(start, &date, NULL));
	begin_write(fixture->store);
	if (!store_enrol(fixture->store, patient_id, name, tz, protocol, date, "nurse",
			 at("2026-11-01T08:00:00Z"), &error))
		fail_msg("store_enrol: %s", error->message);
	commit(fixture->store);
}

static DosedRegimen *load(Fixture *fixture, const char *patient_id)
{
	GError *error = NULL;
	DosedRegimen *regimen = store_load_regimen(fixture->store, patient_id, &error);

	if (!regimen)
		fail_msg("store_load_regimen: %s", error->message);
	return regimen;
}

/* Log a dose as `dosectl log` does: placed by the engine, then stored. */
static gint64 log_dose(Fixture *fixture, const char *patient_id, const char *given,
		       const char *site, const char *note)
{
	gint64 given_at = at(given), dose_id = 0;
	DosedPlannedDose as;
	DosedRegimen *regimen;
	GError *error = NULL;

	begin_write(fixture->store);
	regimen = load(fixture, patient_id);
	if (!schedule_check_log(&regimen->view, given_at, given_at + 60, false, &as, &error))
		fail_msg("schedule_check_log: %s", error->message);
	if (!store_log_dose(fixture->store, regimen, &as, given_at, site, note, false, "patient",
			    given_at + 60, &dose_id, &error))
		fail_msg("store_log_dose: %s", error->message);
	commit(fixture->store);
	regimen_destroy(regimen);
	return dose_id;
}

static void void_dose(Fixture *fixture, gint64 dose_id, const char *when)
{
	GError *error = NULL;

	begin_write(fixture->store);
	if (!store_void_dose(fixture->store, dose_id, "logged by mistake", "nurse", at(when),
			     NULL, &error))
		fail_msg("store_void_dose: %s", error->message);
	commit(fixture->store);
}

static void stop(Fixture *fixture, const char *patient_id, const char *when)
{
	DosedRegimen *regimen;
	GError *error = NULL;

	begin_write(fixture->store);
	regimen = load(fixture, patient_id);
	if (!store_stop(fixture->store, regimen, "doctor", at(when), &error))
		fail_msg("store_stop: %s", error->message);
	commit(fixture->store);
	regimen_destroy(regimen);
}

/* Every X-LIC-ERROR libical put into a component and its children, one a
 * line. */
static void collect_errors(icalcomponent *component, GString *out)
{
	icalproperty *property;
	icalcomponent *child;

	for (property = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY);
	     property;
	     property = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY))
		g_string_append_printf(out, "%s: %s\n",
				       icalcomponent_kind_to_string(icalcomponent_isa(component)),
				       icalproperty_get_xlicerror(property));
	for (child = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT); child;
	     child = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
		collect_errors(child, out);
}

/* libical's own check of RFC 5545's (and, under a METHOD, iTIP's)
 * restrictions on which properties each component has (issue 12: METHOD
 * PUBLISH without ORGANIZER failed it).  Every feed a test renders passes
 * through here. */
static void assert_restrictions(const char *text)
{
	icalcomponent *calendar = icalparser_parse_string(text);
	GString *errors = g_string_new(NULL);
	int valid;

	assert_non_null(calendar);
	valid = icalrestriction_check(calendar);
	collect_errors(calendar, errors);
	if (!valid || errors->len > 0)
		fail_msg("icalrestriction_check: %s\n%s", valid ? "valid" : "not valid",
			 errors->str);
	g_string_free(errors, TRUE);
	icalcomponent_free(calendar);
}

static char *render(Fixture *fixture, const char *patient_id, gint64 now, gint64 *last_modified)
{
	DosedRegimen *regimen = load(fixture, patient_id);
	GError *error = NULL;
	char *text = feed_render_patient(regimen, &fixture->options, now, fixture->states,
					 last_modified, &error);

	if (!text)
		fail_msg("feed_render_patient: %s", error->message);
	assert_null(error);
	assert_restrictions(text);
	regimen_destroy(regimen);
	return text;
}

static char *render_clinic(Fixture *fixture, gint64 now, gint64 *last_modified)
{
	GError *error = NULL;
	GPtrArray *regimens = store_load_regimens(fixture->store, false, &error);
	char *text;

	if (!regimens)
		fail_msg("store_load_regimens: %s", error->message);
	text = feed_render_clinic(regimens, &fixture->options, now, fixture->states,
				  last_modified, &error);
	if (!text)
		fail_msg("feed_render_clinic: %s", error->message);
	assert_restrictions(text);
	g_ptr_array_unref(regimens);
	return text;
}

static char *uid_of(Fixture *fixture, const char *patient_id, int ordinal)
{
	DosedRegimen *regimen = load(fixture, patient_id);
	char *uid = feed_event_uid(regimen, ordinal);

	regimen_destroy(regimen);
	return uid;
}

static icalcomponent *parse(const char *text)
{
	icalcomponent *calendar = icalparser_parse_string(text);

	if (!calendar || icalcomponent_isa(calendar) != ICAL_VCALENDAR_COMPONENT)
		fail_msg("libical did not parse the feed as a VCALENDAR:\n%s", text);
	return calendar;
}

static int count_components(icalcomponent *parent, icalcomponent_kind kind)
{
	return icalcomponent_count_components(parent, kind);
}

static icalcomponent *event_by_uid(icalcomponent *calendar, const char *uid)
{
	icalcomponent *event;

	for (event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT); event;
	     event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT))
		if (g_strcmp0(icalcomponent_get_uid(event), uid) == 0)
			return event;
	return NULL;
}

static icalcomponent *event_of(icalcomponent *calendar, Fixture *fixture,
			       const char *patient_id, int ordinal)
{
	char *uid = uid_of(fixture, patient_id, ordinal);
	icalcomponent *event = event_by_uid(calendar, uid);

	if (!event)
		fail_msg("no event with UID %s", uid);
	g_free(uid);
	return event;
}

static char *clinic_uid_of(Fixture *fixture, const char *patient_id, int ordinal)
{
	DosedRegimen *regimen = load(fixture, patient_id);
	char *uid = feed_clinic_event_uid(regimen, ordinal);

	regimen_destroy(regimen);
	return uid;
}

static icalcomponent *clinic_event_of(icalcomponent *calendar, Fixture *fixture,
				      const char *patient_id, int ordinal)
{
	char *uid = clinic_uid_of(fixture, patient_id, ordinal);
	icalcomponent *event = event_by_uid(calendar, uid);

	if (!event)
		fail_msg("no clinic event with UID %s", uid);
	g_free(uid);
	return event;
}

/* DTSTART as libical writes it: "20261123" for a date, "...T093000Z". */
static void assert_start(icalcomponent *event, const char *expected)
{
	char *text = icaltime_as_ical_string_r(icalcomponent_get_dtstart(event));

	if (strcmp(text, expected) != 0)
		fail_msg("DTSTART %s, expected %s (%s)", text, expected,
			 icalcomponent_get_summary(event));
	icalmemory_free_buffer(text);
}

static void assert_end(icalcomponent *event, const char *expected)
{
	char *text = icaltime_as_ical_string_r(icalcomponent_get_dtend(event));

	assert_string_equal(text, expected);
	icalmemory_free_buffer(text);
}

static int sequence_of(icalcomponent *event)
{
	icalproperty *property = icalcomponent_get_first_property(event, ICAL_SEQUENCE_PROPERTY);

	assert_non_null(property);
	return icalproperty_get_sequence(property);
}

static gint64 dtstamp_of(icalcomponent *event)
{
	return (gint64)icaltime_as_timet(icalcomponent_get_dtstamp(event));
}

static gint64 last_modified_of(icalcomponent *event)
{
	icalproperty *property =
		icalcomponent_get_first_property(event, ICAL_LASTMODIFIED_PROPERTY);

	assert_non_null(property);
	return (gint64)icaltime_as_timet(icalproperty_get_lastmodified(property));
}

/* An X- property's value as libical reads it: its text (unescaped) under
 * VALUE=TEXT, else the value as written. */
static const char *x_property(icalcomponent *component, const char *name)
{
	icalproperty *property;

	for (property = icalcomponent_get_first_property(component, ICAL_X_PROPERTY); property;
	     property = icalcomponent_get_next_property(component, ICAL_X_PROPERTY)) {
		icalvalue *value = icalproperty_get_value(property);

		if (strcmp(icalproperty_get_x_name(property), name) != 0)
			continue;
		if (icalvalue_isa(value) == ICAL_TEXT_VALUE)
			return icalvalue_get_text(value);
		return icalproperty_get_x(property);
	}
	return NULL;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

/* The DTSTARTs of every VEVENT, in feed order, joined with spaces. */
static char *starts_of(icalcomponent *calendar)
{
	GString *out = g_string_new(NULL);
	icalcomponent *event;

	for (event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT); event;
	     event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
		char *text = icaltime_as_ical_string_r(icalcomponent_get_dtstart(event));

		g_string_append_printf(out, "%s%s", out->len ? " " : "", text);
		icalmemory_free_buffer(text);
	}
	return g_string_free(out, FALSE);
}

static void clear_dirty(GHashTable *states)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, states);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		((DosedFeedEventState *)value)->dirty = false;
}

static int count_dirty(GHashTable *states)
{
	GHashTableIter iter;
	gpointer value;
	int n = 0;

	g_hash_table_iter_init(&iter, states);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		n += ((DosedFeedEventState *)value)->dirty;
	return n;
}

/* RFC 5545 3.1 framing on the raw bytes: CRLF after every line and
 * nowhere else, at most 75 octets a line, every physical line valid UTF-8
 * (a fold inside a character would not be), the unfolded text too, and
 * BEGIN/END balanced.  Returns how many folds end just after a non-ASCII
 * byte, so a test can show it exercised folding next to such text. */
static int assert_framing(const char *text)
{
	const char *line = text, *end;
	GPtrArray *open = g_ptr_array_new_with_free_func(g_free);
	GString *unfolded = g_string_new(NULL);
	int folds_after_non_ascii = 0;
	size_t length;

	assert_true(g_str_has_suffix(text, "\r\n"));
	while (*line) {
		end = strstr(line, "\r\n");
		if (!end)
			fail_msg("text after the last CRLF: %s", line);
		length = (size_t)(end - line);
		if (memchr(line, '\n', length) || memchr(line, '\r', length))
			fail_msg("a bare CR or LF in: %.*s", (int)length, line);
		if (length > 75)
			fail_msg("a line of %zu octets: %.*s", length, (int)length, line);
		if (!g_utf8_validate(line, (gssize)length, NULL))
			fail_msg("a line that is not UTF-8 by itself (a fold split a "
				 "character?): %.*s", (int)length, line);
		if (line[0] == ' ' || line[0] == '\t') {
			/* iCloud refuses an empty continuation line. */
			if (length == 1)
				fail_msg("an empty fold line");
			g_string_append_len(unfolded, line + 1, (gssize)length - 1);
			if (line > text + 2 && (unsigned char)line[-3] >= 0x80)
				folds_after_non_ascii++;
		} else {
			if (unfolded->len)
				g_string_append_c(unfolded, '\n');
			g_string_append_len(unfolded, line, (gssize)length);
		}
		line = end + 2;
	}
	assert_true(g_utf8_validate(unfolded->str, (gssize)unfolded->len, NULL));

	/* BEGIN/END pairs, on the unfolded lines. */
	{
		char **lines = g_strsplit(unfolded->str, "\n", -1);

		for (char **l = lines; *l; l++) {
			if (g_str_has_prefix(*l, "BEGIN:")) {
				g_ptr_array_add(open, g_strdup(*l + 6));
			} else if (g_str_has_prefix(*l, "END:")) {
				if (open->len == 0)
					fail_msg("END:%s without BEGIN", *l + 4);
				assert_string_equal(g_ptr_array_index(open, open->len - 1), *l + 4);
				g_ptr_array_remove_index(open, open->len - 1);
			}
		}
		g_strfreev(lines);
	}
	assert_int_equal(open->len, 0);
	g_ptr_array_unref(open);
	g_string_free(unfolded, TRUE);
	return folds_after_non_ascii;
}

/* ---- the worked example of SPEC 2 --------------------------------------- */

/* b12-standard from Monday 2026-11-23: loading Mon/Wed/Fri for six doses,
 * then the first maintenance dose due from 2027-02-04, overdue after
 * 2027-03-04, then every 2 months (each assumed given when due). */
static void test_worked_example(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2026-11-20T12:00:00Z");
	icalcomponent *calendar, *event, *tz;
	char *text, *starts, *uid;

	enrol(fixture, "P1", "Jo Smith", "b12-standard", "2026-11-23", "Europe/London");
	text = render(fixture, "P1", now, NULL);
	assert_framing(text);
	calendar = parse(text);

	starts = starts_of(calendar);
	assert_string_equal(starts, "20261123 20261125 20261127 20261130 20261202 20261204 "
				    "20270204 20270404 20270604 20270804 20271004");
	g_free(starts);

	event = event_of(calendar, fixture, "P1", 1);
	assert_start(event, "20261123");
	assert_end(event, "20261124");
	assert_true(icalcomponent_get_dtstart(event).is_date);
	assert_string_equal(icalcomponent_get_summary(event), "Hydroxocobalamin 1 mg due");
	assert_int_equal(icalcomponent_get_status(event), ICAL_STATUS_TENTATIVE);
	assert_contains(icalcomponent_get_description(event), "Patient: Jo Smith");
	assert_contains(icalcomponent_get_description(event),
			"Dose #1: dose 1 of 6 in the loading phase");
	assert_contains(icalcomponent_get_description(event),
			"Due from Mon 23 Nov 2026; overdue after Mon 23 Nov 2026");
	assert_contains(icalcomponent_get_description(event), "Suggested site: left deltoid");
	assert_contains(icalcomponent_get_description(event),
			"Phase: loading, 3 per week (Mon, Wed, Fri) for 6 doses");
	assert_non_null(strstr(text, "TRANSP:TRANSPARENT\r\n"));
	assert_non_null(strstr(text, "CATEGORIES:Injection\r\n"));
	/* Sites rotate on from the suggestion for the next dose. */
	assert_contains(icalcomponent_get_description(event_of(calendar, fixture, "P1", 2)),
			"Suggested site: right deltoid");
	assert_contains(icalcomponent_get_description(event_of(calendar, fixture, "P1", 5)),
			"Suggested site: left deltoid");

	event = event_of(calendar, fixture, "P1", 7);
	assert_start(event, "20270204");
	assert_end(event, "20270205");
	assert_contains(icalcomponent_get_description(event),
			"Due from Thu 4 Feb 2027; overdue after Thu 4 Mar 2027");
	assert_contains(icalcomponent_get_description(event),
			"Dose #7: dose 1 of the maintenance phase");
	assert_contains(icalcomponent_get_description(event),
			"Phase: maintenance, every 2-3 months for life");

	/* The calendar itself. */
	assert_non_null(strstr(text, "BEGIN:VCALENDAR\r\nPRODID:-//dosed//dosed "));
	assert_string_equal(icalproperty_get_version(icalcomponent_get_first_property(
				    calendar, ICAL_VERSION_PROPERTY)), "2.0");
	/* No METHOD: a published feed is no iTIP message (SPEC 4). */
	assert_null(icalcomponent_get_first_property(calendar, ICAL_METHOD_PROPERTY));
	assert_null(strstr(text, "METHOD"));
	assert_non_null(strstr(text, "\r\nCALSCALE:GREGORIAN\r\n"));
	assert_string_equal(x_property(calendar, "X-WR-CALNAME"), "Injections: Jo Smith");
	assert_string_equal(x_property(calendar, "X-WR-TIMEZONE"), "Europe/London");
	assert_non_null(strstr(text, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
	assert_non_null(strstr(text, "\r\nX-PUBLISHED-TTL:PT1H\r\n"));

	/* One VTIMEZONE, named by its plain IANA name, and right: London is
	 * an hour ahead of UTC in summer and level with it in winter. */
	assert_int_equal(count_components(calendar, ICAL_VTIMEZONE_COMPONENT), 1);
	assert_null(strstr(text, "freeassociation"));
	assert_null(strstr(text, "TZID:/"));
	assert_non_null(strstr(text, "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"));
	tz = icalcomponent_get_first_component(calendar, ICAL_VTIMEZONE_COMPONENT);
	/* Only the rules in force since the feed's history began, not the
	 * zone's history back to 1847 (some 90 observances). */
	assert_in_range(count_components(tz, ICAL_XSTANDARD_COMPONENT) +
			count_components(tz, ICAL_XDAYLIGHT_COMPONENT), 2, 6);
	assert_null(strstr(text, "DTSTART:18"));
	{
		icaltimezone *zone = icaltimezone_new();
		icaltimetype summer = icaltime_from_string("20270704T120000");
		icaltimetype winter = icaltime_from_string("20270104T120000");

		assert_true(icaltimezone_set_component(zone, icalcomponent_new_clone(tz)));
		assert_string_equal(icaltimezone_get_tzid(zone), "Europe/London");
		assert_int_equal(icaltimezone_get_utc_offset(zone, &summer, NULL), 3600);
		assert_int_equal(icaltimezone_get_utc_offset(zone, &winter, NULL), 0);
		icaltimezone_free(zone, 1);
	}

	/* The UID: patient, regimen, ordinal. */
	uid = uid_of(fixture, "P1", 7);
	assert_true(g_str_has_prefix(uid, "P1-dose-"));
	assert_true(g_str_has_suffix(uid, "-7@dosed"));
	g_free(uid);

	icalcomponent_free(calendar);
	g_free(text);
}

/* Other zones get their own VTIMEZONE; "UTC" too, though libical keeps
 * no component for it. */
static void test_vtimezone_other_zones(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2026-11-20T12:00:00Z");
	icalcomponent *calendar, *tz;
	icaltimezone *zone;
	icaltimetype july = icaltime_from_string("20270704T120000");
	char *text;

	enrol(fixture, "NY", "Ann", "b12-bariatric", "2026-11-23", "America/New_York");
	enrol(fixture, "U", "Uma", "b12-bariatric", "2026-11-23", "UTC");

	text = render(fixture, "NY", now, NULL);
	assert_null(strstr(text, "freeassociation"));
	assert_non_null(strstr(text, "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"));
	calendar = parse(text);
	assert_int_equal(count_components(calendar, ICAL_VTIMEZONE_COMPONENT), 1);
	tz = icalcomponent_get_first_component(calendar, ICAL_VTIMEZONE_COMPONENT);
	zone = icaltimezone_new();
	assert_true(icaltimezone_set_component(zone, icalcomponent_new_clone(tz)));
	assert_int_equal(icaltimezone_get_utc_offset(zone, &july, NULL), -4 * 3600);
	icaltimezone_free(zone, 1);
	icalcomponent_free(calendar);
	g_free(text);

	text = render(fixture, "U", now, NULL);
	assert_null(strstr(text, "freeassociation"));
	assert_non_null(strstr(text, "BEGIN:VTIMEZONE\r\nTZID:UTC\r\n"));
	assert_non_null(strstr(text, "\r\nX-WR-TIMEZONE:UTC\r\n"));
	g_free(text);
}

/* ---- UIDs, SEQUENCE, DTSTAMP ------------------------------------------- */

/* SPEC 2.7: the projected dose and the dose later logged for it are the
 * same event; only that event changes. */
static void test_logged_dose_keeps_uid(void **state)
{
	Fixture *fixture = *state;
	gint64 before = at("2026-11-20T12:00:00Z"), after = at("2026-11-23T18:00:00Z");
	icalcomponent *calendar, *event;
	char *text;
	int events_before;

	enrol(fixture, "P1", "Jo Smith", "b12-standard", "2026-11-23", "Europe/London");
	text = render(fixture, "P1", before, NULL);
	calendar = parse(text);
	events_before = count_components(calendar, ICAL_VEVENT_COMPONENT);
	event = event_of(calendar, fixture, "P1", 1);
	assert_int_equal(sequence_of(event), 0);
	assert_true(dtstamp_of(event) == before);
	icalcomponent_free(calendar);
	g_free(text);

	log_dose(fixture, "P1", "2026-11-23T09:30:00Z", "left deltoid", "no reaction");
	text = render(fixture, "P1", after, NULL);
	assert_framing(text);
	calendar = parse(text);
	assert_int_equal(count_components(calendar, ICAL_VEVENT_COMPONENT), events_before);

	event = event_of(calendar, fixture, "P1", 1);
	assert_start(event, "20261123T093000Z");
	assert_false(icalcomponent_get_dtstart(event).is_date);
	assert_int_equal(icaldurationtype_as_int(icalcomponent_get_duration(event)), 15 * 60);
	assert_string_equal(icalcomponent_get_summary(event), "Hydroxocobalamin 1 mg given");
	assert_int_equal(icalcomponent_get_status(event), ICAL_STATUS_CONFIRMED);
	assert_contains(icalcomponent_get_description(event), "Patient: Jo Smith");
	assert_contains(icalcomponent_get_description(event),
			"Dose #1: dose 1 of 6 in the loading phase");
	assert_contains(icalcomponent_get_description(event), "Given: Mon 23 Nov 2026 09:30 GMT");
	assert_contains(icalcomponent_get_description(event), "Site: left deltoid");
	assert_contains(icalcomponent_get_description(event), "Note: no reaction");
	assert_int_equal(sequence_of(event), 1);
	assert_true(dtstamp_of(event) == after);
	assert_true(last_modified_of(event) == after);

	/* Dose 2 did not move: same SEQUENCE and DTSTAMP as before. */
	event = event_of(calendar, fixture, "P1", 2);
	assert_start(event, "20261125");
	assert_int_equal(sequence_of(event), 0);
	assert_true(dtstamp_of(event) == before);
	assert_contains(icalcomponent_get_description(event), "Suggested site: right deltoid");
	icalcomponent_free(calendar);
	g_free(text);
}

/* An unchanged feed is byte-identical, even rendered later the same day,
 * and saves nothing. */
static void test_byte_identical(void **state)
{
	Fixture *fixture = *state;
	gint64 first = at("2026-11-24T07:00:00Z"), second = at("2026-11-24T22:30:00Z");
	gint64 modified_first = 0, modified_second = 0;
	char *a, *b;

	fixture->options.alarms = true;
	enrol(fixture, "P1", odd_name, "b12-standard", "2026-11-23", "Europe/London");
	log_dose(fixture, "P1", "2026-11-23T09:30:00Z", "left deltoid", "first dose");
	a = render(fixture, "P1", first, &modified_first);
	assert_true(modified_first == first);
	assert_true(count_dirty(fixture->states) > 0);
	clear_dirty(fixture->states);

	b = render(fixture, "P1", second, &modified_second);
	assert_string_equal(a, b);
	assert_true(modified_second == first);
	assert_int_equal(count_dirty(fixture->states), 0);
	g_free(b);

	/* A fresh state table (a restart that lost nothing) loaded with
	 * these states gives the same bytes too: nothing comes from the
	 * table's order or from the request. */
	{
		GHashTable *copy = feed_states_create();
		GHashTableIter iter;
		gpointer key, value;

		g_hash_table_iter_init(&iter, fixture->states);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			const DosedFeedEventState *saved = value;

			feed_states_put(copy, key, saved->fingerprint, saved->sequence,
					saved->changed_at, saved->dirty);
		}
		g_hash_table_unref(fixture->states);
		fixture->states = copy;
	}
	b = render(fixture, "P1", second + HOUR / 2, NULL);
	assert_string_equal(a, b);
	g_free(b);
	g_free(a);
}

/* The worked example's late dose: the second dose given on Thursday
 * instead of Wednesday leaves the third due on Friday, so only the second
 * event changes.  A dose given three days late moves every later event:
 * each of those gets SEQUENCE 1 and the new DTSTAMP; the first stays. */
static void test_late_dose_moves_only_later_events(void **state)
{
	Fixture *fixture = *state;
	gint64 monday = at("2026-11-23T18:00:00Z"), thursday = at("2026-11-26T18:00:00Z");
	gint64 saturday = at("2026-11-28T18:00:00Z");
	icalcomponent *calendar, *event;
	char *text, *starts;

	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");
	enrol(fixture, "P2", "Kim", "b12-standard", "2026-11-23", "Europe/London");
	/* Each dose given where suggested, so the suggestions for the doses
	 * after it stay as they were. */
	log_dose(fixture, "P1", "2026-11-23T09:00:00Z", "left deltoid", NULL);
	log_dose(fixture, "P2", "2026-11-23T09:00:00Z", "left deltoid", NULL);
	g_free(render(fixture, "P1", monday, NULL));
	g_free(render(fixture, "P2", monday, NULL));

	/* P1: Thursday instead of Wednesday (SPEC 2, worked example). */
	log_dose(fixture, "P1", "2026-11-26T10:00:00Z", "right deltoid", NULL);
	text = render(fixture, "P1", thursday, NULL);
	calendar = parse(text);
	starts = starts_of(calendar);
	assert_string_equal(starts, "20261123T090000Z 20261126T100000Z 20261127 20261130 "
				    "20261202 20261204 20270204 20270404 20270604 20270804 "
				    "20271004");
	g_free(starts);
	assert_int_equal(sequence_of(event_of(calendar, fixture, "P1", 1)), 0);
	assert_int_equal(sequence_of(event_of(calendar, fixture, "P1", 2)), 1);
	assert_true(dtstamp_of(event_of(calendar, fixture, "P1", 2)) == thursday);
	for (int ordinal = 3; ordinal <= 11; ordinal++) {
		event = event_of(calendar, fixture, "P1", ordinal);
		assert_int_equal(sequence_of(event), 0);
		assert_true(dtstamp_of(event) == monday);
	}
	icalcomponent_free(calendar);
	g_free(text);

	/* P2: Saturday instead of Wednesday: Mon 30, Wed 2, Fri 4, Mon 7,
	 * then maintenance from 7 Feb. */
	log_dose(fixture, "P2", "2026-11-28T10:00:00Z", "right deltoid", NULL);
	text = render(fixture, "P2", saturday, NULL);
	calendar = parse(text);
	starts = starts_of(calendar);
	assert_string_equal(starts, "20261123T090000Z 20261128T100000Z 20261130 20261202 "
				    "20261204 20261207 20270207 20270407 20270607 20270807 "
				    "20271007");
	g_free(starts);
	event = event_of(calendar, fixture, "P2", 1);
	assert_int_equal(sequence_of(event), 0);
	assert_true(dtstamp_of(event) == monday);
	for (int ordinal = 2; ordinal <= 11; ordinal++) {
		event = event_of(calendar, fixture, "P2", ordinal);
		assert_int_equal(sequence_of(event), 1);
		assert_true(dtstamp_of(event) == saturday);
		assert_true(last_modified_of(event) == saturday);
	}
	icalcomponent_free(calendar);
	g_free(text);
}

/* A voided dose's ordinal comes back as a projected dose with the same
 * UID and a higher SEQUENCE, so subscribers replace the event. */
static void test_void_returns_ordinal(void **state)
{
	Fixture *fixture = *state;
	gint64 t1 = at("2026-11-23T12:00:00Z"), t2 = at("2026-11-23T13:00:00Z");
	icalcomponent *calendar, *event;
	gint64 dose_id;
	char *text;

	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");
	g_free(render(fixture, "P1", t1 - 3 * DAY, NULL));
	dose_id = log_dose(fixture, "P1", "2026-11-23T09:00:00Z", NULL, NULL);
	g_free(render(fixture, "P1", t1, NULL));
	void_dose(fixture, dose_id, "2026-11-23T12:30:00Z");

	text = render(fixture, "P1", t2, NULL);
	calendar = parse(text);
	event = event_of(calendar, fixture, "P1", 1);
	assert_start(event, "20261123");
	assert_string_equal(icalcomponent_get_summary(event), "Hydroxocobalamin 1 mg due");
	assert_int_equal(sequence_of(event), 2);
	assert_true(dtstamp_of(event) == t2);
	assert_int_equal(count_components(calendar, ICAL_VEVENT_COMPONENT), 11);
	icalcomponent_free(calendar);
	g_free(text);
}

/* An event that leaves the feed moves the feed's Last-Modified, though
 * no event left in it changed. */
static void test_removal_moves_last_modified(void **state)
{
	Fixture *fixture = *state;
	gint64 t1 = at("2026-11-23T12:00:00Z"), t2 = at("2026-11-23T15:00:00Z");
	gint64 modified = 0;
	icalcomponent *calendar, *event;
	char *text;

	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");
	log_dose(fixture, "P1", "2026-11-23T09:00:00Z", NULL, NULL);
	g_free(render(fixture, "P1", t1, &modified));
	assert_true(modified == t1);
	clear_dirty(fixture->states);

	stop(fixture, "P1", "2026-11-23T14:00:00Z");
	text = render(fixture, "P1", t2, &modified);
	assert_true(modified == t2);
	calendar = parse(text);
	assert_int_equal(count_components(calendar, ICAL_VEVENT_COMPONENT), 1);
	event = event_of(calendar, fixture, "P1", 1);
	assert_int_equal(sequence_of(event), 0);
	assert_true(dtstamp_of(event) == t1);
	/* Only the feed's own state changed. */
	assert_int_equal(count_dirty(fixture->states), 1);
	assert_true(((DosedFeedEventState *)g_hash_table_lookup(fixture->states, "p:P1"))->dirty);
	icalcomponent_free(calendar);
	g_free(text);

	/* And it stays put once nothing changes. */
	text = render(fixture, "P1", t2 + HOUR, &modified);
	assert_true(modified == t2);
	g_free(text);
}

/* State keys are those of feed.h: "p:" + UID and "p:" + patient id. */
static void test_state_keys(void **state)
{
	Fixture *fixture = *state;
	char *uid, *key;

	enrol(fixture, "P1", "Jo", "b12-bariatric", "2026-11-23", "Europe/London");
	g_free(render(fixture, "P1", at("2026-11-20T12:00:00Z"), NULL));
	assert_non_null(g_hash_table_lookup(fixture->states, "p:P1"));
	uid = uid_of(fixture, "P1", 1);
	key = g_strconcat("p:", uid, NULL);
	assert_non_null(g_hash_table_lookup(fixture->states, key));
	assert_int_equal(((DosedFeedEventState *)g_hash_table_lookup(fixture->states,
								      key))->sequence, 0);
	/* Every 3 months from 23 Nov, 12 months ahead: 4 doses, + the feed. */
	assert_int_equal(g_hash_table_size(fixture->states), 5);
	g_free(key);
	g_free(uid);
}

/* UIDs stay unique and safe for URLs and file names, whatever the id. */
static void test_uid_shape(void **state)
{
	Fixture *fixture = *state;
	char *a, *b, *c;

	enrol(fixture, "MRN/1%\xc3\xbc", "Jo", "b12-bariatric", "2026-11-23", "Europe/London");
	enrol(fixture, "MRN-1", "Kim", "b12-bariatric", "2026-11-23", "Europe/London");
	a = uid_of(fixture, "MRN/1%\xc3\xbc", 12);
	b = uid_of(fixture, "MRN-1", 12);
	c = uid_of(fixture, "MRN-1", 1);
	assert_true(g_str_has_prefix(a, "MRN%2F1%25%C3%BC-dose-"));
	assert_true(g_str_has_suffix(a, "-12@dosed"));
	assert_string_not_equal(a, b);
	assert_string_not_equal(b, c);
	for (const char *p = a; *p; p++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-._~%@", *p));
	g_free(a);
	g_free(b);
	g_free(c);
}

/* ---- text: escaping, folding, UTF-8 ------------------------------------- */

/* A name full of iCalendar's special characters and a long non-ASCII note
 * with a newline come back exactly through a parser; every fold falls
 * between characters. */
static void test_framing_and_round_trip(void **state)
{
	Fixture *fixture = *state;
	GString *note = g_string_new("Gegeben; keine Reaktion, \"gut\" \\ ok.\nZweite Zeile: ");
	icalcomponent *calendar, *event;
	char *text, *expected;
	int folds;

	/* No space in the run: libical folds at a space when it can, so only
	 * a long word makes it fold beside 2-, 3- and 4-byte characters. */
	for (int i = 0; i < 12; i++)
		g_string_append(note, "\xc3\x9c" "belkeit\xe6\xb3\xa8\xe5\xb0\x84"
				      "\xf0\x9f\x92\x89\xc3\xa9\xe2\x82\xac");
	fixture->options.alarms = true;
	enrol(fixture, "P1", odd_name, "b12-standard", "2026-11-23", "Europe/London");
	log_dose(fixture, "P1", "2026-11-23T09:30:00Z", "left deltoid", note->str);
	text = render(fixture, "P1", at("2026-11-24T12:00:00Z"), NULL);

	folds = assert_framing(text);
	/* The note is long enough that some fold lands next to multi-byte
	 * text: the check above did see that case. */
	assert_true(folds > 0);

	calendar = parse(text);
	event = event_of(calendar, fixture, "P1", 1);
	expected = g_strdup_printf("Patient: %s\n", odd_name);
	assert_true(g_str_has_prefix(icalcomponent_get_description(event), expected));
	g_free(expected);
	expected = g_strdup_printf("\nNote: %s", note->str);
	assert_true(g_str_has_suffix(icalcomponent_get_description(event), expected));
	g_free(expected);
	expected = g_strdup_printf("Injections: %s", odd_name);
	assert_string_equal(x_property(calendar, "X-WR-CALNAME"), expected);
	g_free(expected);
	/* TEXT escaping as RFC 5545 3.3.11 writes it. */
	assert_non_null(strstr(text, "O'Brien\\, Jo\\; \"Jr\" \\\\ "));
	icalcomponent_free(calendar);
	g_free(text);
	g_string_free(note, TRUE);
}

/* X-WR-CALNAME is TEXT like any other (issue 12): vobject cut
 * "Siobh\u00e1n O'Brien, Jr.; \"Sib\"" at its comma when the comma and
 * the semicolon were bare.  Escaped, and marked VALUE=TEXT so that ical.js
 * unescapes it too; libical reads the name back exactly (a backslash and
 * a newline: test_framing_and_round_trip). */
static void test_calendar_name_escaped(void **state)
{
	Fixture *fixture = *state;
	static const char name[] = "Siobh\xc3\xa1n O'Brien, Jr.; \"Sib\"";
	icalcomponent *calendar;
	char *text, *expected;

	enrol(fixture, "P1", name, "b12-standard", "2026-11-23", "Europe/London");
	text = render(fixture, "P1", at("2026-11-20T12:00:00Z"), NULL);
	assert_framing(text);
	assert_contains(text, "\r\nX-WR-CALNAME;VALUE=TEXT:Injections: Siobh\xc3\xa1n "
			      "O'Brien\\, Jr.\\; \"Sib\"\r\n");
	calendar = parse(text);
	expected = g_strdup_printf("Injections: %s", name);
	assert_string_equal(x_property(calendar, "X-WR-CALNAME"), expected);
	/* The zone's name is no free text: written as it is. */
	assert_contains(text, "\r\nX-WR-TIMEZONE:Europe/London\r\n");
	g_free(expected);
	icalcomponent_free(calendar);
	g_free(text);
}

/* libical 3.0.16 folds inside the CRLF when a value's last piece is 73
 * octets after a fold point, and writes an empty fold line at 74 (found by
 * tests/fuzz/fuzz_feed.c): names and patient ids of every length around
 * those come out framed right. */
static void test_framing_at_every_length(void **state)
{
	Fixture *fixture = *state;
	GString *name = g_string_new(NULL);
	GString *id = g_string_new(NULL);
	char *text;

	for (int length = 55; length <= 160; length++) {
		g_string_truncate(name, 0);
		g_string_truncate(id, 0);
		for (int i = 0; i < length; i++)
			g_string_append_c(name, (char)('a' + i % 26));
		for (int i = 0; i < (length > 64 ? 64 : length); i++)
			g_string_append_c(id, (char)('A' + i % 26));
		g_string_append_printf(id, "%d", length);
		if (id->len > 64)
			g_string_erase(id, 0, (gssize)(id->len - 64));
		enrol(fixture, id->str, name->str, "b12-standard", "2026-11-23", "Europe/London");
		text = render(fixture, id->str, at("2026-11-24T12:00:00Z"), NULL);
		assert_framing(text);
		g_free(text);
	}
	g_string_free(name, TRUE);
	g_string_free(id, TRUE);
}

/* ---- alarms and overdue doses ------------------------------------------- */

static int alarm_seconds(icalcomponent *alarm)
{
	icalproperty *trigger = icalcomponent_get_first_property(alarm, ICAL_TRIGGER_PROPERTY);

	assert_non_null(trigger);
	return icaldurationtype_as_int(icalproperty_get_trigger(trigger).duration);
}

static const char *alarm_text(icalcomponent *alarm)
{
	return icalproperty_get_description(
		icalcomponent_get_first_property(alarm, ICAL_DESCRIPTION_PROPERTY));
}

/* [reminders] at 09:00 and before 1 day: alarms at +9 h and -15 h from
 * the all-day start; none on logged doses; none when switched off. */
static void test_alarms(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2026-11-23T12:00:00Z");
	icalcomponent *calendar, *event, *alarm;
	char *text;

	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");
	log_dose(fixture, "P1", "2026-11-23T09:00:00Z", NULL, NULL);

	fixture->options.alarms = true;
	text = render(fixture, "P1", now, NULL);
	assert_framing(text);
	calendar = parse(text);
	assert_int_equal(count_components(event_of(calendar, fixture, "P1", 1),
					  ICAL_VALARM_COMPONENT), 0);
	event = event_of(calendar, fixture, "P1", 2);
	assert_int_equal(count_components(event, ICAL_VALARM_COMPONENT), 2);
	alarm = icalcomponent_get_first_component(event, ICAL_VALARM_COMPONENT);
	assert_int_equal(alarm_seconds(alarm), 9 * 3600);
	assert_int_equal(icalproperty_get_action(icalcomponent_get_first_property(
				 alarm, ICAL_ACTION_PROPERTY)), ICAL_ACTION_DISPLAY);
	assert_string_equal(alarm_text(alarm), "Hydroxocobalamin 1 mg due today");
	alarm = icalcomponent_get_next_component(event, ICAL_VALARM_COMPONENT);
	assert_int_equal(alarm_seconds(alarm), -15 * 3600);
	assert_string_equal(alarm_text(alarm), "Hydroxocobalamin 1 mg due tomorrow");
	assert_non_null(strstr(text, "TRIGGER:PT9H\r\n"));
	assert_non_null(strstr(text, "TRIGGER:-PT15H\r\n"));
	icalcomponent_free(calendar);
	g_free(text);

	/* No lead reminder: one alarm.  A lead of 3 days names the date. */
	fixture->options.reminder_before_ms = 0;
	text = render(fixture, "P1", now, NULL);
	calendar = parse(text);
	assert_int_equal(count_components(event_of(calendar, fixture, "P1", 2),
					  ICAL_VALARM_COMPONENT), 1);
	icalcomponent_free(calendar);
	g_free(text);
	fixture->options.reminder_before_ms = G_GINT64_CONSTANT(3) * 24 * 3600 * 1000;
	text = render(fixture, "P1", now, NULL);
	calendar = parse(text);
	event = event_of(calendar, fixture, "P1", 2);
	assert_non_null(icalcomponent_get_first_component(event, ICAL_VALARM_COMPONENT));
	alarm = icalcomponent_get_next_component(event, ICAL_VALARM_COMPONENT);
	assert_non_null(alarm);
	assert_int_equal(alarm_seconds(alarm), 9 * 3600 - 3 * 24 * 3600);
	assert_string_equal(alarm_text(alarm), "Hydroxocobalamin 1 mg due on Wed 25 Nov 2026");
	icalcomponent_free(calendar);
	g_free(text);

	/* Alarms off: none anywhere (some apps strip them anyway). */
	fixture->options.alarms = false;
	text = render(fixture, "P1", now, NULL);
	assert_null(strstr(text, "BEGIN:VALARM"));
	g_free(text);
}

/* The alarms of the overdue event of P1's dose #1 rendered at `now`, as
 * "TRIGGER/REPEAT/DURATION" in seconds, one per alarm, space-separated
 * ("" for none); each one's text is the event's summary. */
static char *overdue_alarms(Fixture *fixture, const char *now)
{
	GString *out = g_string_new(NULL);
	icalcomponent *calendar, *event, *alarm;
	icalproperty *repeat, *duration;
	char *text = render(fixture, "P1", at(now), NULL);

	calendar = parse(text);
	event = event_of(calendar, fixture, "P1", 1);
	for (alarm = icalcomponent_get_first_component(event, ICAL_VALARM_COMPONENT); alarm;
	     alarm = icalcomponent_get_next_component(event, ICAL_VALARM_COMPONENT)) {
		repeat = icalcomponent_get_first_property(alarm, ICAL_REPEAT_PROPERTY);
		duration = icalcomponent_get_first_property(alarm, ICAL_DURATION_PROPERTY);
		assert_true((repeat == NULL) == (duration == NULL));
		assert_string_equal(alarm_text(alarm), icalcomponent_get_summary(event));
		g_string_append_printf(out, "%s%d/%d/%d", out->len ? " " : "", alarm_seconds(alarm),
				       repeat ? icalproperty_get_repeat(repeat) : 0,
				       duration ? icaldurationtype_as_int(
						     icalproperty_get_duration(duration)) : 0);
	}
	icalcomponent_free(calendar);
	g_free(text);
	return g_string_free(out, FALSE);
}

/* A missed dose stays the next dose (SPEC 2.5): shown today, saying since
 * when it was due, with an alarm (issue 12: a missed dose is the reminder
 * that matters most); the next one follows from today. */
static void test_overdue(void **state)
{
	Fixture *fixture = *state;
	icalcomponent *calendar, *event, *alarm;
	char *text, *starts;

	fixture->options.alarms = true;
	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");
	text = render(fixture, "P1", at("2026-11-26T12:00:00Z"), NULL);
	calendar = parse(text);
	event = event_of(calendar, fixture, "P1", 1);
	assert_string_equal(icalcomponent_get_summary(event),
			    "Hydroxocobalamin 1 mg OVERDUE (due since 23 Nov)");
	assert_start(event, "20261126");
	assert_contains(icalcomponent_get_description(event),
			"Due from Mon 23 Nov 2026; overdue after Mon 23 Nov 2026");
	assert_contains(icalcomponent_get_description(event), "OVERDUE since Tue 24 Nov 2026");
	/* [reminders] at 09:00 on today, as the daemon reminds. */
	assert_int_equal(count_components(event, ICAL_VALARM_COMPONENT), 1);
	alarm = icalcomponent_get_first_component(event, ICAL_VALARM_COMPONENT);
	assert_int_equal(alarm_seconds(alarm), 9 * 3600);
	assert_int_equal(icalproperty_get_action(icalcomponent_get_first_property(
				 alarm, ICAL_ACTION_PROPERTY)), ICAL_ACTION_DISPLAY);
	assert_string_equal(alarm_text(alarm), "Hydroxocobalamin 1 mg OVERDUE (due since 23 Nov)");
	event = event_of(calendar, fixture, "P1", 2);
	assert_start(event, "20261127");
	assert_string_equal(icalcomponent_get_summary(event), "Hydroxocobalamin 1 mg due");
	assert_int_equal(count_components(event, ICAL_VALARM_COMPONENT), 2);
	starts = starts_of(calendar);
	assert_true(g_str_has_prefix(starts, "20261126 20261127 20261130 20261202 20261204 "
					     "20261207 20270207"));
	g_free(starts);
	icalcomponent_free(calendar);
	g_free(text);
}

/* The overdue alarm keeps to [reminders] overdue_every as the daemon does
 * (core/remind.h: `at` on the first day overdue, then every
 * overdue_every): the moments that fall on today, whatever the time of
 * day of the render; none when alarms are off. */
static void test_overdue_alarm_follows_settings(void **state)
{
	Fixture *fixture = *state;
	char *alarms;

	fixture->options.alarms = true;
	/* Dose #1 due 23 Nov, overdue from 24 Nov (London is on UTC). */
	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");

	/* Every 4 hours: 09, 13, 17, 21 on the first day; 01, 05, ... 21 on
	 * the next. */
	fixture->options.reminder_overdue_every_ms = G_GINT64_CONSTANT(4) * 3600 * 1000;
	alarms = overdue_alarms(fixture, "2026-11-24T23:00:00Z");
	assert_string_equal(alarms, "32400/3/14400");
	g_free(alarms);
	alarms = overdue_alarms(fixture, "2026-11-25T00:30:00Z");
	assert_string_equal(alarms, "3600/5/14400");
	g_free(alarms);

	/* Every 2 days: 09:00 on 24 and 26 Nov, nothing on the 25th. */
	fixture->options.reminder_overdue_every_ms = G_GINT64_CONSTANT(2) * 24 * 3600 * 1000;
	alarms = overdue_alarms(fixture, "2026-11-24T06:00:00Z");
	assert_string_equal(alarms, "32400/0/0");
	g_free(alarms);
	alarms = overdue_alarms(fixture, "2026-11-25T06:00:00Z");
	assert_string_equal(alarms, "");
	g_free(alarms);
	alarms = overdue_alarms(fixture, "2026-11-26T20:00:00Z");
	assert_string_equal(alarms, "32400/0/0");
	g_free(alarms);

	/* Alarms off: none. */
	fixture->options.alarms = false;
	alarms = overdue_alarms(fixture, "2026-11-26T20:00:00Z");
	assert_string_equal(alarms, "");
	g_free(alarms);
}

/* history_months and horizon_months bound the feed. */
static void test_history_and_horizon(void **state)
{
	Fixture *fixture = *state;
	icalcomponent *calendar;
	char *text, *starts;

	enrol(fixture, "P1", "Jo", "b12-standard", "2026-11-23", "Europe/London");
	log_dose(fixture, "P1", "2026-11-23T09:00:00Z", NULL, NULL);
	log_dose(fixture, "P1", "2026-11-25T09:00:00Z", NULL, NULL);
	log_dose(fixture, "P1", "2026-11-27T09:00:00Z", NULL, NULL);
	log_dose(fixture, "P1", "2026-11-30T09:00:00Z", NULL, NULL);
	log_dose(fixture, "P1", "2026-12-02T09:00:00Z", NULL, NULL);
	log_dose(fixture, "P1", "2026-12-04T09:00:00Z", NULL, NULL);

	/* On 26 Dec, 1 month back reaches 26 Nov; 3 months ahead 26 Mar. */
	fixture->options.history_months = 1;
	fixture->options.horizon_months = 3;
	text = render(fixture, "P1", at("2026-12-26T12:00:00Z"), NULL);
	calendar = parse(text);
	starts = starts_of(calendar);
	assert_string_equal(starts, "20261127T090000Z 20261130T090000Z 20261202T090000Z "
				    "20261204T090000Z 20270204");
	g_free(starts);
	icalcomponent_free(calendar);
	g_free(text);
}

/* ---- the clinic's calendar ---------------------------------------------- */

/* Every active patient's next dose due within clinic_days, or overdue;
 * by patient id; no alarms, no zones. */
static bool clinic_add_each(DosedRegimen *regimen, bool *keep, void *data, GError **error)
{
	(void)keep;
	(void)error;
	feed_clinic_add(data, regimen);
	return true;
}

/* The clinic's feed made a regimen at a time, as the daemon makes it,
 * is the one feed_render_clinic() makes from them all; a render left
 * unfinished leaves the feed's own state alone. */
static void test_clinic_feed_streamed(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2026-11-20T12:00:00Z"), modified = 0, streamed_modified = 0;
	FeedClinicRender *clinic;
	GHashTable *states;
	GError *error = NULL;
	char *text, *streamed;

	enrol(fixture, "C", "Cara", "b12-standard", "2026-11-23", "Europe/London");
	enrol(fixture, "A", odd_name, "b12-standard", "2026-11-02", "America/New_York");
	enrol(fixture, "D", "Dee", "b12-standard", "2026-11-23", "Europe/London");
	stop(fixture, "D", "2026-11-10T10:00:00Z");

	text = render_clinic(fixture, now, &modified);
	clinic = feed_clinic_begin(&fixture->options, now, fixture->states);
	if (!store_foreach_regimen(fixture->store, true, clinic_add_each, clinic, &error))
		fail_msg("store_foreach_regimen: %s", error->message);
	streamed = feed_clinic_finish(clinic, &streamed_modified, &error);
	assert_non_null(streamed);
	assert_string_equal(streamed, text);
	assert_true(streamed_modified == modified);
	assert_non_null(strstr(text, "Cara"));
	g_free(streamed);
	g_free(text);

	states = feed_states_create();
	clinic = feed_clinic_begin(&fixture->options, now, states);
	if (!store_foreach_regimen(fixture->store, true, clinic_add_each, clinic, &error))
		fail_msg("store_foreach_regimen: %s", error->message);
	feed_clinic_abandon(clinic);
	assert_null(g_hash_table_lookup(states, "c:"));
	g_hash_table_unref(states);
}

static void test_clinic_feed(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2026-11-20T12:00:00Z"), modified = 0;
	icalcomponent *calendar, *event;
	char *text, *starts, *uid, *key, *expected;

	fixture->options.alarms = true;
	enrol(fixture, "C", "Cara", "b12-standard", "2026-11-23", "Europe/London");
	enrol(fixture, "A", odd_name, "b12-standard", "2026-11-02", "America/New_York");
	enrol(fixture, "B", "Ben", "b12-bariatric", "2027-01-10", "Europe/London");
	enrol(fixture, "D", "Dee", "b12-standard", "2026-11-23", "Europe/London");
	stop(fixture, "D", "2026-11-10T10:00:00Z");

	text = render_clinic(fixture, now, &modified);
	assert_framing(text);
	assert_true(modified == now);
	calendar = parse(text);
	assert_string_equal(x_property(calendar, "X-WR-CALNAME"), "Injections: clinic");
	assert_null(x_property(calendar, "X-WR-TIMEZONE"));
	assert_int_equal(count_components(calendar, ICAL_VTIMEZONE_COMPONENT), 0);
	assert_null(strstr(text, "TZID"));
	assert_null(strstr(text, "BEGIN:VALARM"));
	assert_null(icalcomponent_get_first_property(calendar, ICAL_METHOD_PROPERTY));
	starts = starts_of(calendar);
	assert_string_equal(starts, "20261120 20261123");
	g_free(starts);

	event = clinic_event_of(calendar, fixture, "A", 1);
	expected = g_strdup_printf("%s: Hydroxocobalamin 1 mg OVERDUE (due since 2 Nov)",
				   odd_name);
	assert_string_equal(icalcomponent_get_summary(event), expected);
	g_free(expected);
	assert_contains(icalcomponent_get_description(event), "(A)");
	assert_contains(icalcomponent_get_description(event), "Suggested site: left deltoid");
	event = clinic_event_of(calendar, fixture, "C", 1);
	assert_string_equal(icalcomponent_get_summary(event), "Cara: Hydroxocobalamin 1 mg due");
	assert_start(event, "20261123");
	assert_end(event, "20261124");
	assert_int_equal(sequence_of(event), 0);

	uid = clinic_uid_of(fixture, "C", 1);
	key = g_strconcat("c:", uid, NULL);
	assert_non_null(g_hash_table_lookup(fixture->states, key));
	assert_non_null(g_hash_table_lookup(fixture->states, "c:"));
	g_free(key);
	g_free(uid);
	icalcomponent_free(calendar);
	g_free(text);

	/* C's dose given: C's next dose (Wed) replaces it; the feed moves. */
	log_dose(fixture, "C", "2026-11-23T09:00:00Z", NULL, NULL);
	text = render_clinic(fixture, at("2026-11-23T12:00:00Z"), &modified);
	assert_true(modified == at("2026-11-23T12:00:00Z"));
	calendar = parse(text);
	event = clinic_event_of(calendar, fixture, "C", 2);
	assert_start(event, "20261125");
	assert_contains(icalcomponent_get_description(event), "Suggested site: left deltoid");
	uid = clinic_uid_of(fixture, "C", 1);
	assert_null(event_by_uid(calendar, uid));
	g_free(uid);
	assert_int_equal(count_components(calendar, ICAL_VEVENT_COMPONENT), 2);
	icalcomponent_free(calendar);
	g_free(text);
}

/* A nurse subscribed to the clinic feed and to a patient's sees both
 * (issue 12): the clinic's events have UIDs of their own, not the patient
 * feed's, which say other things under another SEQUENCE; stable from one
 * render to the next. */
static void test_clinic_uids_of_their_own(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2026-11-20T12:00:00Z");
	icalcomponent *patient, *clinic, *event;
	char *patient_text, *clinic_text, *again, *uid, *clinic_uid;

	enrol(fixture, "C", "Cara", "b12-standard", "2026-11-23", "Europe/London");
	patient_text = render(fixture, "C", now, NULL);
	clinic_text = render_clinic(fixture, now, NULL);
	patient = parse(patient_text);
	clinic = parse(clinic_text);
	uid = uid_of(fixture, "C", 1);
	clinic_uid = clinic_uid_of(fixture, "C", 1);
	assert_string_equal(clinic_uid, "C-dose-1-1-clinic@dosed");
	assert_string_not_equal(uid, clinic_uid);
	/* Each feed has its own; neither has the other's. */
	assert_non_null(event_by_uid(patient, uid));
	assert_null(event_by_uid(patient, clinic_uid));
	assert_null(event_by_uid(clinic, uid));
	event = event_by_uid(clinic, clinic_uid);
	assert_non_null(event);
	assert_string_equal(icalcomponent_get_summary(event), "Cara: Hydroxocobalamin 1 mg due");
	/* Stable: the next render has the same UID, and bytes. */
	again = render_clinic(fixture, now, NULL);
	assert_string_equal(again, clinic_text);
	g_free(again);
	g_free(uid);
	g_free(clinic_uid);
	icalcomponent_free(patient);
	icalcomponent_free(clinic);
	g_free(patient_text);
	g_free(clinic_text);
}

/* A dose due but still within its window (maintenance: due from 4 Feb,
 * overdue after 4 Mar) is shown on today in the clinic feed, where a nurse
 * scanning today sees it, not on 4 Feb (issue 12); the patient's feed
 * keeps it on its due date, where its alarm rang. */
static void test_clinic_open_dose_on_today(void **state)
{
	Fixture *fixture = *state;
	gint64 now = at("2027-02-10T12:00:00Z");
	icalcomponent *calendar, *event;
	char *text;

	enrol(fixture, "C", "Cara", "b12-standard", "2026-11-23", "Europe/London");
	log_dose(fixture, "C", "2026-11-23T09:00:00Z", NULL, NULL);
	log_dose(fixture, "C", "2026-11-25T09:00:00Z", NULL, NULL);
	log_dose(fixture, "C", "2026-11-27T09:00:00Z", NULL, NULL);
	log_dose(fixture, "C", "2026-11-30T09:00:00Z", NULL, NULL);
	log_dose(fixture, "C", "2026-12-02T09:00:00Z", NULL, NULL);
	log_dose(fixture, "C", "2026-12-04T09:00:00Z", NULL, NULL);

	text = render_clinic(fixture, now, NULL);
	calendar = parse(text);
	event = clinic_event_of(calendar, fixture, "C", 7);
	assert_start(event, "20270210");
	assert_end(event, "20270211");
	assert_string_equal(icalcomponent_get_summary(event),
			    "Cara: Hydroxocobalamin 1 mg due (since 4 Feb)");
	assert_contains(icalcomponent_get_description(event),
			"Due from Thu 4 Feb 2027; overdue after Thu 4 Mar 2027");
	icalcomponent_free(calendar);
	g_free(text);

	/* Due today: today.  Not yet due (within clinic_days, 7): on its date. */
	text = render_clinic(fixture, at("2027-02-04T12:00:00Z"), NULL);
	calendar = parse(text);
	assert_start(clinic_event_of(calendar, fixture, "C", 7), "20270204");
	icalcomponent_free(calendar);
	g_free(text);
	text = render_clinic(fixture, at("2027-02-01T12:00:00Z"), NULL);
	calendar = parse(text);
	assert_start(clinic_event_of(calendar, fixture, "C", 7), "20270204");
	icalcomponent_free(calendar);
	g_free(text);

	/* The patient's feed keeps it on 4 Feb. */
	text = render(fixture, "C", now, NULL);
	calendar = parse(text);
	assert_start(event_of(calendar, fixture, "C", 7), "20270204");
	icalcomponent_free(calendar);
	g_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_worked_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtimezone_other_zones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logged_dose_keeps_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_dose_moves_only_later_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_void_returns_ordinal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removal_moves_last_modified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uid_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framing_and_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framing_at_every_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calendar_name_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overdue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overdue_alarm_follows_settings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_history_and_horizon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clinic_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clinic_feed_streamed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clinic_uids_of_their_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clinic_open_dose_on_today, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
