/* timeutil.c - calendar dates, instants, durations and time zones.
 *
 * Everything here leans on GLib: GDate for the calendar (a DosedDate is
 * GDate's Julian day), GTimeZone and GDateTime for zones and instants,
 * GRegex for the exact shapes of the texts we accept.
 */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "timeutil_cache.h"

/* GDate's Julian day of 1970-01-01, the Unix epoch. */
#define UNIX_EPOCH_JULIAN 719163
#define SECONDS_PER_DAY 86400

/* Years we can write as YYYY and GDate can hold. */
#define YEAR_MIN 1
#define YEAR_MAX 9999
/* GDate's Julian day of YEAR_MAX-12-31 (date_from_ymd(YEAR_MAX, 12, 31)). */
#define JULIAN_MAX 3652059

/* Match `text` against an anchored pattern and return its groups (group 0
 * is the whole text), or NULL when it does not match.  [0-9] rather than
 * \d: GRegex matches Unicode digits with \d, which the number parsing below
 * would then refuse with a worse message.  Free with g_strfreev(). */
static char **
match_groups(const char *pattern, const char *text)
{
	/* Compiled once per pattern, not once a date (bench/NOTES.md).  A
	 * GRegex is immutable, so matching needs no lock; the cache's lookup
	 * does (the daemon parses on two threads).  The patterns are string
	 * literals and the cache lives as long as the process. */
	static GMutex lock;
	static GHashTable *compiled;
	GRegex *regex;
	GMatchInfo *info = NULL;
	char **groups = NULL;

	g_mutex_lock(&lock);
	if (compiled == NULL)
		compiled = g_hash_table_new(g_str_hash, g_str_equal);
	regex = g_hash_table_lookup(compiled, pattern);
	if (regex == NULL) {
		regex = g_regex_new(pattern, G_REGEX_RAW | G_REGEX_DOLLAR_ENDONLY |
				    G_REGEX_OPTIMIZE, 0, NULL);
		if (regex != NULL)
			g_hash_table_insert(compiled, (gpointer)pattern, regex);
	}
	g_mutex_unlock(&lock);
	if (regex == NULL)
		return NULL;
	if (g_regex_match(regex, text, 0, &info))
		groups = g_match_info_fetch_all(info);
	g_match_info_free(info);
	return groups;
}

/* A group of match_groups() holding digits only (at most 4), or 0 for an
 * optional group that did not take part: GLib leaves out trailing ones. */
static int
group_int(char **groups, guint index)
{
	if (index >= g_strv_length(groups))
		return 0;
	return (int)g_ascii_strtoll(groups[index], NULL, 10);
}

/* `text` made safe to quote in a one-line message: control characters,
 * quotes and backslashes escaped C-style, other UTF-8 left as typed.
 * Newly allocated. */
static char *
printable(const char *text)
{
	char high[129];
	int i;

	for (i = 0; i < 128; i++)
		high[i] = (char)(0x80 + i);
	high[128] = '\0';
	return g_strescape(text, high);
}

DosedDate
date_from_ymd(int year, int month, int day)
{
	DosedDate julian;
	GDate date;

	if (timeutil_cache_julian(year, month, day, &julian))
		return julian;
	if (year < YEAR_MIN || year > YEAR_MAX || month < 1 || month > 12 || day < 1 ||
	    day > 31)
		return DOSED_DATE_NONE;
	if (!g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year))
		return DOSED_DATE_NONE;
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay)day, (GDateMonth)month, (GDateYear)year);
	julian = g_date_get_julian(&date);
	timeutil_cache_keep_julian(year, month, day, julian);
	return julian;
}

void
date_to_ymd(DosedDate date, int *year, int *month, int *day)
{
	GDate gdate;

	if (date == DOSED_DATE_NONE || !g_date_valid_julian(date)) {
		*year = *month = *day = 0;
		return;
	}
	if (timeutil_cache_ymd(date, year, month, day))
		return;
	g_date_clear(&gdate, 1);
	g_date_set_julian(&gdate, date);
	*year = g_date_get_year(&gdate);
	*month = g_date_get_month(&gdate);
	*day = g_date_get_day(&gdate);
	timeutil_cache_keep_ymd(date, *year, *month, *day);
}

/* `length` ASCII digits at text as a number, or -1. */
static int
digits_value(const char *text, int length)
{
	int value = 0;

	for (int i = 0; i < length; i++) {
		if (!g_ascii_isdigit(text[i]))
			return -1;
		value = value * 10 + (text[i] - '0');
	}
	return value;
}

bool
date_parse(const char *text, DosedDate *out, GError **error)
{
	/* Exactly "YYYY-MM-DD": checked by hand rather than with GRegex, as
	 * every load of the database parses one per patient. */
	bool shaped = strlen(text) == 10 && text[4] == '-' && text[7] == '-' &&
		      digits_value(text, 4) >= 0 && digits_value(text + 5, 2) >= 0 &&
		      digits_value(text + 8, 2) >= 0;
	DosedDate date = DOSED_DATE_NONE;
	char *quoted;

	if (shaped)
		date = date_from_ymd(digits_value(text, 4), digits_value(text + 5, 2),
				     digits_value(text + 8, 2));
	if (date == DOSED_DATE_NONE) {
		quoted = printable(text);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    shaped ? "\"%s\" is not a date of the calendar; check month and day"
				   : "\"%s\" is not a date; write YYYY-MM-DD, e.g. 2026-11-23",
			    quoted);
		g_free(quoted);
		return false;
	}
	*out = date;
	return true;
}

char *
date_format(DosedDate date, char *buf)
{
	int year, month, day;

	/* An invalid date prints as zeros rather than as a plausible day.
	 * Digit by digit, not snprintf: the worklist prints two dates a
	 * patient (bench/NOTES.md).  Years are 1-9999 (date_to_ymd() gives 0
	 * otherwise). */
	date_to_ymd(date, &year, &month, &day);
	buf[0] = (char)('0' + year / 1000 % 10);
	buf[1] = (char)('0' + year / 100 % 10);
	buf[2] = (char)('0' + year / 10 % 10);
	buf[3] = (char)('0' + year % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + month / 10);
	buf[6] = (char)('0' + month % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + day / 10);
	buf[9] = (char)('0' + day % 10);
	buf[10] = '\0';
	return buf;
}

DosedDate
date_add_days(DosedDate date, int days)
{
	gint64 result = (gint64)date + days;

	if (!g_date_valid_julian(date) || result < 1 || result > JULIAN_MAX)
		return DOSED_DATE_NONE;
	return (DosedDate)result;
}

DosedDate
date_add_months(DosedDate date, int months)
{
	GDate gdate;
	gint64 target;

	if (!g_date_valid_julian(date))
		return DOSED_DATE_NONE;
	g_date_clear(&gdate, 1);
	g_date_set_julian(&gdate, date);
	/* Months since year 0, to keep the result in years we can write. */
	target = (gint64)g_date_get_year(&gdate) * 12 + g_date_get_month(&gdate) - 1 + months;
	if (target < YEAR_MIN * 12 || target > YEAR_MAX * 12 + 11)
		return DOSED_DATE_NONE;
	/* g_date_add_months() clamps to the month's end (SPEC 2.2). */
	if (months >= 0)
		g_date_add_months(&gdate, (guint)months);
	else
		g_date_subtract_months(&gdate, (guint)-(gint64)months);
	return g_date_get_julian(&gdate);
}

int
date_weekday(DosedDate date)
{
	GDate gdate;

	if (!g_date_valid_julian(date))
		return 0;
	g_date_clear(&gdate, 1);
	g_date_set_julian(&gdate, date);
	/* GDateWeekday is already ISO: G_DATE_MONDAY = 1 ... G_DATE_SUNDAY = 7. */
	return g_date_get_weekday(&gdate);
}

/* The calendar day (GDate's Julian day) holding `seconds` after the Unix
 * epoch, or DOSED_DATE_NONE outside the years GDateTime can hold (1-9999). */
static DosedDate
day_of_seconds(gint64 seconds)
{
	gint64 days = seconds >= 0 ? seconds / SECONDS_PER_DAY
				   : -((-seconds + SECONDS_PER_DAY - 1) / SECONDS_PER_DAY);
	gint64 julian = days + UNIX_EPOCH_JULIAN;

	if (julian < 1 || julian > JULIAN_MAX)
		return DOSED_DATE_NONE;
	return (DosedDate)julian;
}

/* What g_date_time_to_timezone() does, without making two GDateTimes, and
 * remembered (timeutil_cache.h): the same interval lookup, the same range
 * (an instant or local time outside years 1-9999 has no date). */
DosedDate
date_of_instant(gint64 instant, GTimeZone *tz)
{
	DosedDate date;
	int interval;

	if (day_of_seconds(instant) == DOSED_DATE_NONE)
		return DOSED_DATE_NONE;
	if (tz == NULL)
		return day_of_seconds(instant);
	if (timeutil_cache_day(tz, instant, &date))
		return date;
	interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, instant);
	date = day_of_seconds(instant + g_time_zone_get_offset(tz, interval));
	timeutil_cache_keep_day(tz, instant, date);
	return date;
}

/* The UTC offset (seconds east) in effect at an instant, remembered
 * (timeutil_cache.h): instant_of_local() asks four times a call. */
static gint32
offset_at(GTimeZone *tz, gint64 instant)
{
	gint32 offset;
	int interval;

	if (timeutil_cache_offset(tz, instant, &offset))
		return offset;
	interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, instant);
	offset = g_time_zone_get_offset(tz, interval);
	timeutil_cache_keep_offset(tz, instant, interval, offset);
	return offset;
}

gint64
instant_of_local(DosedDate date, int hour, int minute, int second, GTimeZone *tz)
{
	gint64 wall;
	gint32 before, after;
	bool before_fits, after_fits;

	/* Wall-clock seconds since the epoch as if the zone were UTC. */
	wall = ((gint64)date - UNIX_EPOCH_JULIAN) * SECONDS_PER_DAY + hour * 3600 +
	       minute * 60 + second;
	if (tz == NULL)
		return wall;
	/* The offsets a day either side cover any one change of offset near
	 * this wall-clock time (no zone changes twice in two days).
	 * g_date_time_new() is not used: for a time that exists twice it
	 * picks the second (GLib 2.74), and for one in a gap it returns the
	 * gap's end. */
	before = offset_at(tz, wall - SECONDS_PER_DAY);
	after = offset_at(tz, wall + SECONDS_PER_DAY);
	before_fits = offset_at(tz, wall - before) == before;
	after_fits = offset_at(tz, wall - after) == after;
	if (before_fits && after_fits)
		/* Fall back: the time exists twice; the first comes first. */
		return MIN(wall - before, wall - after);
	if (after_fits)
		return wall - after;
	/* Either the plain case or spring forward's gap: read the time with
	 * the offset before the gap, which lands as far past the gap's end
	 * as the time was past its start (RFC 5545 3.3.5): 01:30 in London
	 * on 2026-03-29 is 02:30 BST. */
	return wall - before;
}

/* A name as IANA writes them: "Europe/London", "America/Argentina/Salta",
 * "Etc/GMT+5", "UTC".  This refuses what GLib would also take but is not a
 * place: fixed offsets ("+01:00", "Z", "-05") that would silently ignore
 * summer time, POSIX rules ("CET-1CEST,M3.5.0"), paths ("/etc/localtime",
 * "../x").  A patient's zone must be a place, and the feeds name it in
 * their VTIMEZONE (SPEC 4). */
static bool
zone_name_looks_iana(const char *name)
{
	char **groups = match_groups("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$",
				     name);
	bool ok = groups != NULL;

	g_strfreev(groups);
	/* The "posix/" and "right/" trees are copies (the latter counting
	 * leap seconds); the plain name is the one calendars know. */
	return ok && !g_str_has_prefix(name, "posix/") && !g_str_has_prefix(name, "right/");
}

/* Whether the zone database holds `name` as a compiled zone ("TZif").
 * GLib reads the same directory; checking first keeps it from parsing a
 * name that is not a file as POSIX rules ("ABC5") and from complaining on
 * stderr about files that are not zones ("leapseconds"). */
static bool
zone_file_exists(const char *name)
{
	const char *dir = g_getenv("TZDIR");
	char *path, magic[4];
	FILE *file;
	bool ok = false;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	path = g_build_filename(dir, name, NULL);
	file = g_file_test(path, G_FILE_TEST_IS_REGULAR) ? fopen(path, "rb") : NULL;
	if (file != NULL) {
		ok = fread(magic, 1, sizeof magic, file) == sizeof magic &&
		     memcmp(magic, "TZif", sizeof magic) == 0;
		fclose(file);
	}
	g_free(path);
	return ok;
}

/* An IANA zone GLib can open, or NULL. */
static GTimeZone *
zone_open_iana(const char *name)
{
	if (!zone_name_looks_iana(name))
		return NULL;
	/* GLib knows "UTC" without the zone database. */
	if (strcmp(name, "UTC") != 0 && !zone_file_exists(name))
		return NULL;
	return g_time_zone_new_identifier(name);
}

GTimeZone *
zone_open(const char *name, GError **error)
{
	GTimeZone *tz;
	char *local, *quoted;

	if (name == NULL || *name == '\0') {
		local = zone_local_name();
		tz = zone_open_iana(local);
		g_free(local);
		return tz != NULL ? tz : g_time_zone_new_utc();
	}
	tz = zone_open_iana(name);
	if (tz == NULL) {
		quoted = printable(name);
		if (name[0] == '+' || name[0] == '-' || g_ascii_isdigit(name[0]) ||
		    strcmp(name, "Z") == 0)
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "time zone \"%s\" is a fixed offset, not a place; give an "
				    "IANA name such as Europe/Paris so summer time is followed",
				    quoted);
		else
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "unknown time zone \"%s\"; give an IANA name such as "
				    "Europe/London or America/New_York",
				    quoted);
		g_free(quoted);
	}
	return tz;
}

/* The zone name in a path into the zone database:
 * "/usr/share/zoneinfo/Europe/London" -> "Europe/London"; NULL when the
 * path does not go through a "zoneinfo" directory. */
static char *
zone_name_from_path(const char *path)
{
	const char *found = NULL, *p;

	for (p = strstr(path, "zoneinfo/"); p != NULL; p = strstr(p + 1, "zoneinfo/"))
		found = p + strlen("zoneinfo/");
	if (found == NULL)
		return NULL;
	if (g_str_has_prefix(found, "posix/") || g_str_has_prefix(found, "right/"))
		found += strlen("posix/");
	return g_strdup(found);
}

/* `candidate` (taken) when it names a zone we can open, else NULL. */
static char *
zone_name_if_valid(char *candidate)
{
	GTimeZone *tz = candidate != NULL ? zone_open_iana(candidate) : NULL;

	if (tz == NULL) {
		g_free(candidate);
		return NULL;
	}
	g_time_zone_unref(tz);
	return candidate;
}

char *
zone_local_name(void)
{
	const char *env = g_getenv("TZ");
	char *name = NULL, *link, *contents = NULL;

	/* $TZ first, as the C library does: "Europe/London", ":Europe/London"
	 * or a path into the zone database.  A value that names no zone (a
	 * POSIX rule) tells us no name, so the machine's setting is next. */
	if (env != NULL && *env != '\0') {
		if (*env == ':')
			env++;
		name = zone_name_if_valid(g_path_is_absolute(env) ? zone_name_from_path(env)
								  : g_strdup(env));
	}
	/* systemd and Debian: /etc/localtime links into the zone database. */
	if (name == NULL) {
		link = g_file_read_link("/etc/localtime", NULL);
		if (link != NULL)
			name = zone_name_if_valid(zone_name_from_path(link));
		g_free(link);
	}
	/* Older Debian: the name itself in /etc/timezone. */
	if (name == NULL && g_file_get_contents("/etc/timezone", &contents, NULL, NULL))
		name = zone_name_if_valid(g_strdup(g_strstrip(contents)));
	g_free(contents);
	return name != NULL ? name : g_strdup("UTC");
}

/* RFC 3339 alone (for DOSED_NOW): "2026-11-23T09:30:00Z",
 * "2026-11-23T09:30:00.25+01:00".  RFC 3339 allows a space for the "T" and
 * lower-case "t" and "z".  GLib's ISO 8601 parser takes more shapes than
 * that (week dates, basic format, a missing offset), so the shape is
 * checked here and GLib then checks the calendar (no 30 February). */
static bool
rfc3339_parse(const char *text, gint64 *out)
{
	char **groups = match_groups("^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]"
				     "([0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?)"
				     "([Zz]|[+-][0-9]{2}:[0-9]{2})$",
				     text);
	GDateTime *dt = NULL;
	char *normal;

	if (groups == NULL)
		return false;
	normal = g_strdup_printf("%sT%s%s", groups[1], groups[2],
				 g_ascii_strcasecmp(groups[4], "z") == 0 ? "Z" : groups[4]);
	g_strfreev(groups);
	dt = g_date_time_new_from_iso8601(normal, NULL);
	g_free(normal);
	if (dt == NULL)
		return false;
	*out = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return true;
}

/* "YYYY-MM-DD HH:MM[:SS]" (or with "T") as wall-clock time in tz. */
static bool
local_timestamp_parse(const char *text, GTimeZone *tz, gint64 *out)
{
	char **groups = match_groups("^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]"
				     "([0-9]{2}):([0-9]{2})(:([0-9]{2}))?$",
				     text);
	DosedDate date;
	int hour, minute, second;

	if (groups == NULL)
		return false;
	date = date_from_ymd(group_int(groups, 1), group_int(groups, 2), group_int(groups, 3));
	hour = group_int(groups, 4);
	minute = group_int(groups, 5);
	second = group_int(groups, 7);
	g_strfreev(groups);
	if (date == DOSED_DATE_NONE || hour > 23 || minute > 59 || second > 59)
		return false;
	*out = instant_of_local(date, hour, minute, second, tz);
	return true;
}

/* Whether the instant falls in the years 0001-9999 in every zone, so that
 * date_of_instant() and timestamp_format() can write it wherever the
 * patient lives: an offset can push a time written in those years out of
 * them ("0001-01-01T00:00:00+00:01" is in year 0 in UTC), so a day is kept
 * clear at either end, more than any zone's offset. */
static bool
instant_in_range(gint64 instant)
{
	GDateTime *first = g_date_time_new_from_unix_utc(instant - SECONDS_PER_DAY);
	GDateTime *last = g_date_time_new_from_unix_utc(instant + SECONDS_PER_DAY);
	bool ok = first != NULL && last != NULL;

	if (first != NULL)
		g_date_time_unref(first);
	if (last != NULL)
		g_date_time_unref(last);
	return ok;
}

bool
timestamp_parse(const char *text, GTimeZone *tz, gint64 *out, GError **error)
{
	char *quoted;
	gint64 instant;

	if ((rfc3339_parse(text, &instant) || local_timestamp_parse(text, tz, &instant)) &&
	    instant_in_range(instant)) {
		*out = instant;
		return true;
	}
	quoted = printable(text);
	g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
		    "\"%s\" is not a time; write \"YYYY-MM-DD HH:MM\" (local) or RFC 3339 "
		    "such as 2026-11-23T09:30:00Z, with a real date and time",
		    quoted);
	g_free(quoted);
	return false;
}

char *
timestamp_format(gint64 instant, GTimeZone *tz, char *buf)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(instant);
	GDateTime *local = NULL;
	char *text = NULL;

	if (utc != NULL) {
		local = tz != NULL ? g_date_time_to_timezone(utc, tz) : g_date_time_ref(utc);
		g_date_time_unref(utc);
	}
	if (local != NULL) {
		/* GLib's %Y does not pad years before 1000 to the four
		 * digits RFC 3339 has: write the year ourselves. */
		char *rest = g_date_time_format(local, "-%m-%dT%H:%M:%S%:z");

		text = g_strdup_printf("%04d%s", g_date_time_get_year(local), rest);
		g_free(rest);
		g_date_time_unref(local);
	}
	g_strlcpy(buf, text != NULL ? text : "(no such time)", DOSED_TIMESTAMP_BUF);
	g_free(text);
	return buf;
}

static const struct {
	const char *name;
	gint64 milliseconds;
} duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "second", 1000 }, { "seconds", 1000 },
	{ "min", 60000 }, { "minute", 60000 }, { "minutes", 60000 },
	{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
	{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
	{ "w", 604800000 }, { "week", 604800000 }, { "weeks", 604800000 },
};

bool
duration_parse(const char *text, gint64 *milliseconds, GError **error)
{
	char **groups = match_groups("^([0-9]+) *([A-Za-z]*)$", text);
	guint64 count = 0;
	gint64 unit = 0;
	char *quoted;
	size_t i;

	if (groups == NULL) {
		quoted = printable(text);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    text[0] == '-' ? "duration \"%s\" is negative; give 0 or more"
					   : "\"%s\" is not a duration; write a whole number and "
					     "a unit, e.g. \"90 s\", \"30 min\", \"1 day\"",
			    quoted);
		g_free(quoted);
		return false;
	}
	for (i = 0; i < G_N_ELEMENTS(duration_units); i++)
		if (g_ascii_strcasecmp(groups[2], duration_units[i].name) == 0)
			unit = duration_units[i].milliseconds;
	if (!g_ascii_string_to_unsigned(groups[1], 10, 0, G_MAXINT64, &count, NULL) ||
	    (unit != 0 && count > (guint64)(G_MAXINT64 / unit))) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "duration \"%s\" is too long; give a smaller number", text);
	} else if (unit == 0 && groups[2][0] != '\0') {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "duration \"%s\": unknown unit \"%s\"; use ms, s, min, h, d or w",
			    text, groups[2]);
	} else if (unit == 0 && count != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "duration \"%s\" has no unit; add one, e.g. \"%s min\"", text, text);
	} else {
		g_strfreev(groups);
		*milliseconds = (gint64)count * unit;
		return true;
	}
	g_strfreev(groups);
	return false;
}

bool
clock_time_parse(const char *text, int *seconds, GError **error)
{
	char **groups = match_groups("^([0-9]{1,2}):([0-9]{2})(:([0-9]{2}))?$", text);
	int hour = 0, minute = 0, second = 0;
	char *quoted;

	if (groups != NULL) {
		hour = group_int(groups, 1);
		minute = group_int(groups, 2);
		second = group_int(groups, 4);
		g_strfreev(groups);
	}
	if (groups == NULL || hour > 23 || minute > 59 || second > 59) {
		quoted = printable(text);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "\"%s\" is not a time of day; write HH:MM or HH:MM:SS (24 h), "
			    "e.g. 09:00",
			    quoted);
		g_free(quoted);
		return false;
	}
	*seconds = hour * 3600 + minute * 60 + second;
	return true;
}

bool
now_from_environment(gint64 *now, GError **error)
{
	const char *env = g_getenv("DOSED_NOW");
	char *quoted;

	/* An empty value is the usual way to unset it for one command. */
	if (env == NULL || *env == '\0') {
		*now = g_get_real_time() / G_USEC_PER_SEC;
		return true;
	}
	if (!rfc3339_parse(env, now)) {
		quoted = printable(env);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "DOSED_NOW=\"%s\" is not an RFC 3339 time such as "
			    "2026-11-23T09:30:00Z; correct it or unset it",
			    quoted);
		g_free(quoted);
		return false;
	}
	return true;
}
