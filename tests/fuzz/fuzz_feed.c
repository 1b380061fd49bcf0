/* fuzz_feed.c - the calendar renderer (core/feed.h) fed arbitrary patient
 * names, dose notes, sites and patient ids.
 *
 * The input is NAME, then optionally NUL NOTE, NUL SITE and NUL PATIENT-ID.
 * Each run enrols the patient in a store kept open for the whole process,
 * logs one dose with the note and site as `dosectl log` does, renders the
 * patient's and the clinic's calendar, and rolls the transaction back: so
 * no run writes to the disk or grows the database.
 *
 * Whatever the bytes, both calendars must parse with libical into one
 * VCALENDAR that passes icalrestriction_check() without an X-LIC-ERROR,
 * and every UID must be plain (feed_event_uid()).  When the texts are
 * UTF-8, the raw text must be framed as RFC 5545 says (check_framing()).
 * When a text is one the CLI lets through (UTF-8, not empty, no control
 * character but newline and tab: cli_check_text()), it must come back from
 * the parsed calendar exactly.
 */
#include "fuzz.h"

#include <libical/ical.h>

#include "enrol.h"
#include "error.h"
#include "feed.h"
#include "protocol.h"
#include "schedule.h"
#include "store.h"
#include "timeutil.h"

/* b12-standard of conf/protocols.ini, so that the target needs no file. */
static const char fuzz_protocol_ini[] =
	"[b12-standard]\n"
	"title  = Hydroxocobalamin, no neurological involvement\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = NICE CKS: 1 mg IM three times a week for 2 weeks, then every 2-3 months\n"
	"phase  = loading: 3 per week (mon,wed,fri) for 6 doses\n"
	"phase  = maintenance: every 2-3 months for life\n";

static char *const fuzz_sites[] = {
	"left deltoid", "right deltoid", "left thigh", "right thigh", NULL,
};

/* SPEC 2's worked example: enrolled Monday 23 Nov 2026, the first dose
 * given that morning, the feed read the next day. */
#define FUZZ_START "2026-11-23"
#define FUZZ_ENROLLED_AT "2026-11-20T12:00:00Z"
#define FUZZ_GIVEN_AT "2026-11-23T09:30:00Z"
#define FUZZ_NOW "2026-11-24T08:00:00Z"
#define FUZZ_GIVEN_WORDS "Mon 23 Nov 2026 09:30 GMT"
#define FUZZ_ZONE "Europe/London"

static struct {
	char *folder;
	char *db;
	DosedStore *store;
	DosedProtocol *protocol;
	DosedFeedOptions options;
	DosedDate start;
	gint64 enrolled_at, given_at, now;
} fuzz;

static gint64 fuzz_instant(const char *text)
{
	GError *error = NULL;
	gint64 instant = 0;

	if (!timestamp_parse(text, NULL, &instant, &error))
		fuzz_fail("timestamp_parse(%s): %s", text, error->message);
	return instant;
}

static void fuzz_cleanup(void)
{
	const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

	store_close(fuzz.store);
	protocol_destroy(fuzz.protocol);
	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		char *path = g_strconcat(fuzz.db, suffixes[i], NULL);

		remove(path);
		g_free(path);
	}
	remove(fuzz.folder);
	g_free(fuzz.db);
	g_free(fuzz.folder);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GError *error = NULL;

	(void)argc;
	(void)argv;
	fuzz.folder = g_dir_make_tmp("dosed-fuzz-feed-XXXXXX", &error);
	if (fuzz.folder == NULL)
		fuzz_fail("g_dir_make_tmp: %s", error->message);
	fuzz.db = g_build_filename(fuzz.folder, "dosed.db", NULL);
	fuzz.store = store_open(fuzz.db, 0600, 1000, &error);
	if (fuzz.store == NULL)
		fuzz_fail("store_open: %s", error->message);
	fuzz.protocol = protocol_from_ini(fuzz_protocol_ini, "fuzz", &error);
	if (fuzz.protocol == NULL)
		fuzz_fail("protocol_from_ini: %s", error->message);
	if (!date_parse(FUZZ_START, &fuzz.start, &error))
		fuzz_fail("date_parse: %s", error->message);
	fuzz.enrolled_at = fuzz_instant(FUZZ_ENROLLED_AT);
	fuzz.given_at = fuzz_instant(FUZZ_GIVEN_AT);
	fuzz.now = fuzz_instant(FUZZ_NOW);
	fuzz.options = (DosedFeedOptions){
		.horizon_months = 12,
		.history_months = 12,
		.clinic_days = 7,
		.alarms = true,
		.reminder_at = 9 * 3600,
		.reminder_before_ms = 24 * 3600 * 1000,
		.reminder_overdue_every_ms = 24 * 3600 * 1000,
		.refresh_minutes = 60,
		.sites = fuzz_sites,
	};
	atexit(fuzz_cleanup);
	return 0;
}

/* What cli_check_text() lets into the database. */
static bool text_cli_accepts(const char *text)
{
	if (text == NULL || *text == '\0' || !g_utf8_validate(text, -1, NULL))
		return false;
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) && c != '\n' && c != '\t')
			return false;
	}
	return true;
}

/* A value as libical's parser gives it back: it drops blanks at either end
 * of a property's value (libical 3.0.16; RFC 5545 keeps them, and
 * python-icalendar does), which the feed wrote faithfully.  Newly
 * allocated. */
static char *as_libical_reads(const char *value)
{
	const char *start = value;
	const char *end = value + strlen(value);

	while (*start == ' ' || *start == '\t')
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return g_strndup(start, (gsize)(end - start));
}

/* Fail on any X-LIC-ERROR, libical's note of what it could not parse. */
static void check_no_parse_error(icalcomponent *component, const char *feed)
{
	icalproperty *error = icalcomponent_get_first_property(component,
							       ICAL_XLICERROR_PROPERTY);
	icalcomponent *child;

	if (error != NULL)
		fuzz_fail("the %s calendar does not parse: %s", feed,
			  icalproperty_get_xlicerror(error));
	for (child = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT);
	     child != NULL; child = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
		check_no_parse_error(child, feed);
}

/* The framing RFC 5545 3.1 asks for, which parsers forgive and so cannot
 * check (TESTING-NOTES): every line ends with CRLF and there is no other CR
 * or LF, no line is longer than 75 octets, no fold splits a UTF-8
 * character, and no fold is empty (a line of one blank, which iCloud
 * refuses: ical4j issue 832).  Checked when all the feed was given is UTF-8, as the CLI
 * makes sure: on bytes that are not, libical 3.0.16's folding takes 0xff
 * for the start of a character and can fold inside the CRLF that ends the
 * line ("t\r" CRLF " \n"). */
static void check_framing(const char *text, const char *feed)
{
	const char *line = text;
	int number = 1;

	while (*line != '\0') {
		const char *end = strstr(line, "\r\n");
		size_t length;

		if (end == NULL)
			fuzz_fail("the %s calendar's line %d does not end with CRLF", feed, number);
		length = (size_t)(end - line);
		if (memchr(line, '\r', length) != NULL || memchr(line, '\n', length) != NULL)
			fuzz_fail("the %s calendar's line %d holds a bare CR or LF: \"%s\"", feed,
				  number, g_strescape(g_strndup(line, length), NULL));
		if (length == 1 && (line[0] == ' ' || line[0] == '\t'))
			fuzz_fail("the %s calendar's line %d is an empty fold", feed, number);
		if (length > 75)
			fuzz_fail("the %s calendar's line %d is %zu octets long", feed, number,
				  length);
		if (!g_utf8_validate(line, (gssize)length, NULL))
			fuzz_fail("the %s calendar's line %d splits a UTF-8 character", feed,
				  number);
		line = end + 2;
		number++;
	}
}

/* The parsed calendar, which must be one VCALENDAR. */
static icalcomponent *parse_calendar(const char *text, const char *feed)
{
	icalcomponent *calendar;

	if (text == NULL)
		fuzz_fail("the %s calendar was not rendered", feed);
	calendar = icalparser_parse_string(text);
	if (calendar == NULL || icalcomponent_isa(calendar) != ICAL_VCALENDAR_COMPONENT)
		fuzz_fail("the %s calendar is not one VCALENDAR:\n%s", feed, text);
	/* libical's restriction check adds an X-LIC-ERROR where a component
	 * lacks a property it must have, or has too many. */
	if (!icalrestriction_check(calendar))
		fuzz_fail("the %s calendar fails icalrestriction_check()", feed);
	check_no_parse_error(calendar, feed);
	return calendar;
}

/* Every event has a UID of RFC 3986 unreserved characters, '%' and '@'. */
static void check_uids(icalcomponent *calendar, const char *feed, int expected_events)
{
	icalcomponent *event;
	int events = 0;

	for (event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
	     event != NULL;
	     event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
		const char *uid = icalcomponent_get_uid(event);

		if (uid == NULL || *uid == '\0' ||
		    uid[strspn(uid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-._~%@")] != '\0')
			fuzz_fail("the %s calendar has the UID \"%s\"", feed, uid ? uid : "(none)");
		events++;
	}
	if (expected_events >= 0 && events != expected_events)
		fuzz_fail("the %s calendar has %d events, not %d", feed, events, expected_events);
}

/* An X- property's value as libical reads it: its text under VALUE=TEXT
 * (X-WR-CALNAME), else the value as written. */
static const char *x_property(icalcomponent *calendar, const char *name)
{
	icalproperty *property;

	for (property = icalcomponent_get_first_property(calendar, ICAL_X_PROPERTY);
	     property != NULL;
	     property = icalcomponent_get_next_property(calendar, ICAL_X_PROPERTY)) {
		icalvalue *value = icalproperty_get_value(property);

		if (g_strcmp0(icalproperty_get_x_name(property), name) != 0)
			continue;
		if (icalvalue_isa(value) == ICAL_TEXT_VALUE)
			return icalvalue_get_text(value);
		return icalproperty_get_x(property);
	}
	return NULL;
}

/* The first VEVENT whose SUMMARY ends with `ending`. */
static icalcomponent *find_event(icalcomponent *calendar, const char *ending)
{
	icalcomponent *event;

	for (event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
	     event != NULL;
	     event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
		const char *summary = icalcomponent_get_summary(event);

		if (summary != NULL && g_str_has_suffix(summary, ending))
			return event;
	}
	return NULL;
}

static void check_patient_feed(const char *text, const char *name, const char *note,
			       const char *site, bool all_utf8)
{
	icalcomponent *calendar = parse_calendar(text, "patient");
	icalcomponent *given;
	const char *calname, *description;
	char *expected_text, *read_back;
	GString *expected;

	if (all_utf8)
		check_framing(text, "patient");
	check_uids(calendar, "patient", -1);
	if (text_cli_accepts(name)) {
		calname = x_property(calendar, "X-WR-CALNAME");
		expected_text = g_strconcat("Injections: ", name, NULL);
		read_back = as_libical_reads(expected_text);
		if (g_strcmp0(calname, read_back) != 0)
			fuzz_fail("X-WR-CALNAME is \"%s\" for the name \"%s\"", calname, name);
		g_free(read_back);
		g_free(expected_text);
	}
	/* The logged dose says who, when, where and the note, exactly. */
	given = find_event(calendar, " given");
	if (given == NULL)
		fuzz_fail("the patient calendar has no event for the dose given");
	if (text_cli_accepts(name) && (note == NULL || text_cli_accepts(note)) &&
	    (site == NULL || text_cli_accepts(site))) {
		expected = g_string_new(NULL);
		g_string_append_printf(expected, "Patient: %s\n"
				       "Dose #1: dose 1 of 6 in the loading phase\n"
				       "Given: " FUZZ_GIVEN_WORDS, name);
		if (site != NULL)
			g_string_append_printf(expected, "\nSite: %s", site);
		if (note != NULL)
			g_string_append_printf(expected, "\nNote: %s", note);
		description = icalcomponent_get_description(given);
		read_back = as_libical_reads(expected->str);
		if (g_strcmp0(description, read_back) != 0)
			fuzz_fail("the dose given reads back as\n%s\ninstead of\n%s", description,
				  read_back);
		g_free(read_back);
		g_string_free(expected, TRUE);
	}
	icalcomponent_free(calendar);
}

static void check_clinic_feed(const char *text, const char *name, const char *patient_id,
			      bool all_utf8)
{
	icalcomponent *calendar = parse_calendar(text, "clinic");
	icalcomponent *event;
	const char *summary, *description;
	char *expected, *read_back;

	if (all_utf8)
		check_framing(text, "clinic");

	/* The next dose, due Wed 25 Nov, is within clinic_days. */
	check_uids(calendar, "clinic", 1);
	event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
	if (text_cli_accepts(name)) {
		/* "NAME: Hydroxocobalamin 1 mg due", blanks before NAME lost
		 * to libical's parser. */
		expected = g_strconcat(name, ": ", NULL);
		read_back = as_libical_reads(expected);
		summary = icalcomponent_get_summary(event);
		if (summary == NULL || !g_str_has_prefix(summary, read_back))
			fuzz_fail("the clinic event's summary is \"%s\" for the name \"%s\"",
				  summary, name);
		g_free(read_back);
		g_free(expected);
		if (enrol_patient_id_valid(patient_id)) {
			expected = g_strdup_printf("Patient: %s (%s)\n", name, patient_id);
			description = icalcomponent_get_description(event);
			if (description == NULL || !g_str_has_prefix(description, expected))
				fuzz_fail("the clinic event's description is \"%s\", not \"%s...\"",
					  description, expected);
			g_free(expected);
		}
	}
	icalcomponent_free(calendar);
}

/* The next part of the input, up to a NUL or its end; NULL when none is
 * left.  *offset moves past it and its NUL. */
static char *next_part(const uint8_t *data, size_t size, size_t *offset)
{
	const uint8_t *nul;
	size_t length;
	char *part;

	if (*offset > size)
		return NULL;
	nul = memchr(data + *offset, '\0', size - *offset);
	length = nul != NULL ? (size_t)(nul - (data + *offset)) : size - *offset;
	part = g_strndup((const char *)data + *offset, length);
	*offset += length + 1;
	return part;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t offset = 0;
	char *name = next_part(data, size, &offset);
	char *note = next_part(data, size, &offset);
	char *site = next_part(data, size, &offset);
	char *patient_id = next_part(data, size, &offset);
	DosedRegimen *regimen;
	DosedPlannedDose logged_as;
	GHashTable *states;
	GPtrArray *regimens;
	GError *error = NULL;
	gint64 last_modified = 0;
	bool all_utf8;
	char *text;

	if (patient_id == NULL || *patient_id == '\0') {
		g_free(patient_id);
		patient_id = g_strdup("fuzz-patient");
	}
	all_utf8 = g_utf8_validate(name, -1, NULL) && g_utf8_validate(patient_id, -1, NULL) &&
		   (note == NULL || g_utf8_validate(note, -1, NULL)) &&
		   (site == NULL || g_utf8_validate(site, -1, NULL));
	if (!store_begin(fuzz.store, true, &error))
		fuzz_fail("store_begin: %s", error->message);
	/* The core takes any text: only the CLI refuses some (cli_check_text). */
	if (!store_enrol(fuzz.store, patient_id, name, FUZZ_ZONE, fuzz.protocol, fuzz.start,
			 "fuzz", fuzz.enrolled_at, &error))
		fuzz_fail("store_enrol refused the name: %s", error->message);
	regimen = store_load_regimen(fuzz.store, patient_id, &error);
	if (regimen == NULL)
		fuzz_fail("store_load_regimen: %s", error->message);
	if (!schedule_check_log(&regimen->view, fuzz.given_at, fuzz.now, false, &logged_as,
				&error))
		fuzz_fail("schedule_check_log: %s", error->message);
	if (!store_log_dose(fuzz.store, regimen, &logged_as, fuzz.given_at, site, note, false,
			    "fuzz", fuzz.now, NULL, &error))
		fuzz_fail("store_log_dose: %s", error->message);
	regimen_destroy(regimen);
	regimen = store_load_regimen(fuzz.store, patient_id, &error);
	if (regimen == NULL)
		fuzz_fail("store_load_regimen: %s", error->message);
	/* Nothing of this run stays in the database. */
	store_rollback(fuzz.store);

	if (g_strcmp0(regimen->name, name) != 0)
		fuzz_fail("the store gave back the name \"%s\" for \"%s\"", regimen->name, name);
	states = feed_states_create();
	text = feed_render_patient(regimen, &fuzz.options, fuzz.now, states, &last_modified,
				   &error);
	if (text == NULL)
		fuzz_fail("feed_render_patient: %s", error->message);
	check_patient_feed(text, name, note, site, all_utf8);
	g_free(text);

	regimens = g_ptr_array_new();
	g_ptr_array_add(regimens, regimen);
	text = feed_render_clinic(regimens, &fuzz.options, fuzz.now, states, &last_modified,
				  &error);
	if (text == NULL)
		fuzz_fail("feed_render_clinic: %s", error->message);
	check_clinic_feed(text, name, patient_id, all_utf8);
	g_free(text);

	g_ptr_array_unref(regimens);
	g_hash_table_unref(states);
	regimen_destroy(regimen);
	g_free(name);
	g_free(note);
	g_free(site);
	g_free(patient_id);
	return 0;
}
