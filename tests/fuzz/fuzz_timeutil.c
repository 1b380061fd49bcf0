/* fuzz_timeutil.c - the small parsers of user-typed values: dates
 * (--start), times (--at, DOSED_NOW), durations and clock times (the
 * config), weekdays (--days), phases and zone names (--tz).
 *
 * The input is cut into slices at its newlines (the whole input is a slice
 * too, so that a newline inside a value is tried as well), and every slice
 * goes to every parser.  What a parser accepts must be sane, and where the
 * format can say it exactly, formatting the value and parsing the text
 * again must give the same value.
 */
#include "fuzz.h"

#include "error.h"
#include "protocol.h"
#include "timeutil.h"

/* Slices per input: bounded, so that one input cannot take long. */
#define FUZZ_SLICES_MAX 32

static GTimeZone *london;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The zone of the DST tests (issue 2): two changes a year, and LMT
	 * (-00:01:15) before 1847, an offset RFC 3339 cannot write. */
	london = zone_open("Europe/London", NULL);
	if (london == NULL)
		fuzz_fail("Europe/London is not in the zone database (install tzdata)");
	return 0;
}

/* A refusal is a DOSED_ERROR_INVALID with a one-line message (error.h;
 * SPEC 3: "Errors are one line"), even when the text it quotes holds a
 * newline, as a command-line argument can. */
static void check_refusal_lines(const char *parser, const char *text, GError *error,
				bool one_line)
{
	if (error == NULL || error->domain != DOSED_ERROR || error->code != DOSED_ERROR_INVALID ||
	    error->message[0] == '\0' || (one_line && strchr(error->message, '\n') != NULL))
		fuzz_fail("%s(\"%s\") refused it without a one-line DOSED_ERROR_INVALID: %s",
			  parser, text, error != NULL ? error->message : "(no error)");
	g_error_free(error);
}

static void check_refusal(const char *parser, const char *text, GError *error)
{
	check_refusal_lines(parser, text, error, true);
}

static void fuzz_date(const char *text)
{
	GError *error = NULL;
	DosedDate date, again;
	char buf[DOSED_DATE_BUF];
	int year, month, day;

	if (!date_parse(text, &date, &error)) {
		check_refusal("date_parse", text, error);
		return;
	}
	/* YYYY-MM-DD and nothing else: the text is the formatted date. */
	date_format(date, buf);
	if (strcmp(buf, text) != 0)
		fuzz_fail("date_parse(\"%s\") formats back as \"%s\"", text, buf);
	if (!date_parse(buf, &again, NULL) || again != date)
		fuzz_fail("date \"%s\" does not parse back to itself", buf);
	date_to_ymd(date, &year, &month, &day);
	if (date_from_ymd(year, month, day) != date)
		fuzz_fail("date \"%s\": ymd %d-%d-%d does not give it back", text, year, month,
			  day);
	if (date_weekday(date) < 1 || date_weekday(date) > 7)
		fuzz_fail("date \"%s\" has weekday %d", text, date_weekday(date));
	/* The month arithmetic of SPEC 2.2 stays in the calendar or says
	 * DOSED_DATE_NONE; it never crashes, whatever the date. */
	(void)date_add_months(date, 1000);
	(void)date_add_months(date, -1000);
	(void)date_add_days(date, 366000);
	(void)date_add_days(date, -366000);
}

/* The UTC offset of tz at an instant, in seconds. */
static gint32 offset_at(GTimeZone *tz, gint64 instant)
{
	int interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, instant);

	return g_time_zone_get_offset(tz, interval);
}

/* Format an instant in tz and parse it back; the instant must come back
 * to the second, except that RFC 3339 writes offsets in whole minutes, so
 * LMT's odd seconds may be lost. */
static void check_instant_text(const char *text, gint64 instant, GTimeZone *tz,
			       const char *zone_name)
{
	char buf[DOSED_TIMESTAMP_BUF];
	gint64 again = 0;
	GError *error = NULL;
	gint64 slack = tz != NULL && offset_at(tz, instant) % 60 != 0 ? 59 : 0;

	timestamp_format(instant, tz, buf);
	if (!timestamp_parse(buf, london, &again, &error))
		fuzz_fail("timestamp_parse(\"%s\") = %" G_GINT64_FORMAT ", which formats in %s as "
			  "\"%s\", which is refused: %s", text, instant, zone_name, buf,
			  error->message);
	if (again < instant - slack || again > instant + slack)
		fuzz_fail("timestamp_parse(\"%s\") = %" G_GINT64_FORMAT ", formatted in %s as "
			  "\"%s\", parses back as %" G_GINT64_FORMAT, text, instant, zone_name, buf,
			  again);
}

static void fuzz_timestamp(const char *text)
{
	GError *error = NULL;
	gint64 instant = 0;

	if (!timestamp_parse(text, london, &instant, &error)) {
		check_refusal("timestamp_parse", text, error);
		return;
	}
	check_instant_text(text, instant, NULL, "UTC");
	check_instant_text(text, instant, london, "Europe/London");
	/* Every accepted time has a calendar date in the patient's zone. */
	if (date_of_instant(instant, london) == DOSED_DATE_NONE)
		fuzz_fail("timestamp_parse(\"%s\") = %" G_GINT64_FORMAT " has no date in London",
			  text, instant);
}

static void fuzz_duration(const char *text)
{
	GError *error = NULL;
	gint64 milliseconds = -1, again = -1;
	char *written;

	if (!duration_parse(text, &milliseconds, &error)) {
		check_refusal("duration_parse", text, error);
		return;
	}
	if (milliseconds < 0)
		fuzz_fail("duration_parse(\"%s\") = %" G_GINT64_FORMAT " ms", text, milliseconds);
	written = g_strdup_printf("%" G_GINT64_FORMAT " ms", milliseconds);
	if (!duration_parse(written, &again, NULL) || again != milliseconds)
		fuzz_fail("duration_parse(\"%s\") = %" G_GINT64_FORMAT " ms, but \"%s\" parses as "
			  "%" G_GINT64_FORMAT, text, milliseconds, written, again);
	g_free(written);
}

static void fuzz_clock_time(const char *text)
{
	GError *error = NULL;
	int seconds = -1, again = -1;
	char written[16];

	if (!clock_time_parse(text, &seconds, &error)) {
		check_refusal("clock_time_parse", text, error);
		return;
	}
	if (seconds < 0 || seconds >= 24 * 3600)
		fuzz_fail("clock_time_parse(\"%s\") = %d s", text, seconds);
	snprintf(written, sizeof written, "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60,
		 seconds % 60);
	if (!clock_time_parse(written, &again, NULL) || again != seconds)
		fuzz_fail("clock_time_parse(\"%s\") = %d, but \"%s\" parses as %d", text, seconds,
			  written, again);
}

static void fuzz_weekdays(const char *text)
{
	GError *error = NULL;
	unsigned weekdays = 0, again = 0;
	char *written;

	if (!weekdays_parse(text, &weekdays, &error)) {
		check_refusal("weekdays_parse", text, error);
		return;
	}
	if (weekdays == 0 || (weekdays & ~DOSED_WEEKDAYS_ALL) != 0)
		fuzz_fail("weekdays_parse(\"%s\") = 0x%x", text, weekdays);
	written = weekdays_format(weekdays);
	if (!weekdays_parse(written, &again, NULL) || again != weekdays)
		fuzz_fail("weekdays_parse(\"%s\") = 0x%x, but \"%s\" parses as 0x%x", text,
			  weekdays, written, again);
	g_free(written);
}

static void fuzz_phase(const char *text)
{
	GError *error = NULL;
	DosedPhase phase;
	char *words;

	if (!phase_parse(text, &phase, &error)) {
		/* Phases come one per line of a protocol file (the protocol
		 * parser adds FILE:LINE), so a newline never reaches this. */
		check_refusal_lines("phase_parse", text, error, false);
		return;
	}
	if (phase.name == NULL || phase.name[0] == '\0' || phase.every_min < 1 ||
	    phase.every_max < phase.every_min ||
	    (phase.kind == DOSED_PATTERN_WEEKDAYS &&
	     (phase.weekdays == 0 || (phase.weekdays & ~DOSED_WEEKDAYS_ALL) != 0)) ||
	    ((phase.end == DOSED_END_DOSES || phase.end == DOSED_END_DURATION) &&
	     phase.end_count < 1) ||
	    (phase.dose != NULL && phase.dose[0] == '\0'))
		fuzz_fail("phase_parse(\"%s\") accepted a phase the engine cannot follow", text);
	words = phase_describe(&phase);
	g_free(words);
	phase_finish(&phase);
}

static void fuzz_zone(const char *text)
{
	GError *error = NULL;
	GTimeZone *tz;

	/* "" is the machine's zone, not outside input. */
	if (text[0] == '\0')
		return;
	tz = zone_open(text, &error);
	if (tz == NULL) {
		check_refusal("zone_open", text, error);
		return;
	}
	/* An IANA name is a place in the zone database, never a path out of
	 * it (timeutil.c zone_name_looks_iana()). */
	if (text[0] == '/' || strstr(text, "..") != NULL)
		fuzz_fail("zone_open(\"%s\") accepted a path", text);
	g_time_zone_unref(tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	char **slices = g_strsplit(text, "\n", FUZZ_SLICES_MAX);

	for (char **slice = slices; *slice != NULL; slice++) {
		fuzz_date(*slice);
		fuzz_timestamp(*slice);
		fuzz_duration(*slice);
		fuzz_clock_time(*slice);
		fuzz_weekdays(*slice);
		fuzz_phase(*slice);
		fuzz_zone(*slice);
	}
	/* Then the whole input, newlines and all. */
	if (slices[0] != NULL && slices[1] != NULL) {
		fuzz_date(text);
		fuzz_timestamp(text);
		fuzz_duration(text);
		fuzz_clock_time(text);
		fuzz_weekdays(text);
		fuzz_phase(text);
		fuzz_zone(text);
	}
	g_strfreev(slices);
	g_free(text);
	return 0;
}
