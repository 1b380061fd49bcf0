/* test_timeutil.c - calendar dates, instants, zones and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "timeutil.h"

/* Instants used below, UTC seconds (checked with Python's datetime). */
#define T_2026_11_23_0930Z 1795426200 /* 2026-11-23T09:30:00Z */

static DosedDate
ymd(int year, int month, int day)
{
	DosedDate date = date_from_ymd(year, month, day);

	assert_int_not_equal(date, DOSED_DATE_NONE);
	return date;
}

static void
assert_date(DosedDate date, const char *expected)
{
	char buf[DOSED_DATE_BUF];

	assert_string_equal(date_format(date, buf), expected);
}

/* The call failed with `code`, and its message says `words`. */
static void
assert_error(GError **error, DosedErrorCode code, const char *words)
{
	assert_non_null(*error);
	assert_true((*error)->domain == DOSED_ERROR);
	assert_int_equal((*error)->code, code);
	if (strstr((*error)->message, words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", (*error)->message, words);
	assert_null(strchr((*error)->message, '\n'));
	g_clear_error(error);
}

static GTimeZone *
zone(const char *name)
{
	GError *error = NULL;
	GTimeZone *tz = zone_open(name, &error);

	assert_null(error);
	assert_non_null(tz);
	return tz;
}

/* ---- dates ---- */

/* Conversions are remembered per day (timeutil_cache.c): every day of 40 years,
 * in an order that makes days sharing a slot follow each other, and then
 * again, converts as GDate does, and invalid dates stay refused. */
static void
test_date_conversions_repeated(void **state G_GNUC_UNUSED)
{
	GDate first, check;
	guint32 start, end;

	g_date_clear(&first, 1);
	g_date_clear(&check, 1);
	g_date_set_dmy(&first, 1, G_DATE_JANUARY, 2000);
	start = g_date_get_julian(&first);
	end = start + 40 * 366;
	for (int pass = 0; pass < 2; pass++) {
		for (guint32 step = 0; step < 16; step++) {
			for (guint32 julian = start + step; julian < end; julian += 16) {
				int y, m, d;

				g_date_set_julian(&check, julian);
				date_to_ymd((DosedDate)julian, &y, &m, &d);
				assert_int_equal(y, g_date_get_year(&check));
				assert_int_equal(m, g_date_get_month(&check));
				assert_int_equal(d, g_date_get_day(&check));
				assert_int_equal(date_from_ymd(y, m, d), julian);
				/* A neighbour that cannot be: never a remembered day. */
				assert_int_equal(date_from_ymd(y, m, 32), DOSED_DATE_NONE);
			}
		}
	}
	assert_int_equal(date_from_ymd(2026, 2, 29), DOSED_DATE_NONE);
	assert_int_equal(date_from_ymd(2026, 2, 28), ymd(2026, 2, 28));
	assert_int_equal(date_from_ymd(2026, 2, 29), DOSED_DATE_NONE);
}

static void
test_date_parse_valid(void **state G_GNUC_UNUSED)
{
	DosedDate date = DOSED_DATE_NONE;
	GError *error = NULL;
	int y, m, d;

	assert_true(date_parse("2026-11-23", &date, &error));
	assert_int_equal(date, ymd(2026, 11, 23));
	date_to_ymd(date, &y, &m, &d);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 11);
	assert_int_equal(d, 23);
	assert_true(date_parse("2024-02-29", &date, &error));
	assert_date(date, "2024-02-29");
	assert_true(date_parse("0001-01-01", &date, &error));
	assert_int_equal(date, 1); /* GDate's Julian day 1 */
}

static void
test_date_parse_impossible(void **state G_GNUC_UNUSED)
{
	static const char *const bad[] = {
		"2026-02-30", "2026-13-01", "2025-02-29", "2026-00-10", "2026-11-00",
		"2026-04-31", "0000-01-01",
	};
	DosedDate date = 42;
	GError *error = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_false(date_parse(bad[i], &date, &error));
		assert_error(&error, DOSED_ERROR_INVALID, bad[i]);
		assert_int_equal(date, 42); /* untouched */
	}
	assert_int_equal(date_from_ymd(2026, 2, 30), DOSED_DATE_NONE);
	assert_int_equal(date_from_ymd(2025, 2, 29), DOSED_DATE_NONE);
	assert_int_not_equal(date_from_ymd(2024, 2, 29), DOSED_DATE_NONE);
}

static void
test_date_parse_malformed(void **state G_GNUC_UNUSED)
{
	static const char *const bad[] = {
		"2026-11-23x", " 2026-11-23", "2026-11-23 ", "2026-1-23", "23/11/2026",
		"", "2026-11-23\n", "+2026-11-23", "2026-11-2\xef\xbc\x93",
	};
	DosedDate date;
	GError *error = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_false(date_parse(bad[i], &date, &error));
		assert_error(&error, DOSED_ERROR_INVALID, "YYYY-MM-DD");
	}
}

static void
test_date_add_months_clamps(void **state G_GNUC_UNUSED)
{
	/* SPEC 2.2: calendar months, clamped to the month's end. */
	assert_date(date_add_months(ymd(2026, 12, 31), 2), "2027-02-28");
	assert_date(date_add_months(ymd(2024, 1, 31), 1), "2024-02-29");
	assert_date(date_add_months(ymd(2026, 1, 31), 1), "2026-02-28");
	assert_date(date_add_months(ymd(2026, 8, 31), 1), "2026-09-30");
	assert_date(date_add_months(ymd(2024, 2, 29), 12), "2025-02-28");
	assert_date(date_add_months(ymd(2023, 2, 28), 12), "2024-02-28");
	assert_date(date_add_months(ymd(2026, 12, 4), 2), "2027-02-04");
	assert_date(date_add_months(ymd(2026, 3, 31), -1), "2026-02-28");
	assert_date(date_add_months(ymd(2026, 1, 15), -1), "2025-12-15");
	assert_int_equal(date_add_months(ymd(9999, 12, 1), 1), DOSED_DATE_NONE);
	assert_int_equal(date_add_months(DOSED_DATE_NONE, 1), DOSED_DATE_NONE);
}

static void
test_date_add_days(void **state G_GNUC_UNUSED)
{
	assert_date(date_add_days(ymd(2024, 2, 28), 1), "2024-02-29");
	assert_date(date_add_days(ymd(2026, 2, 28), 1), "2026-03-01");
	assert_date(date_add_days(ymd(2026, 12, 31), 1), "2027-01-01");
	assert_date(date_add_days(ymd(2027, 1, 1), -1), "2026-12-31");
	assert_date(date_add_days(ymd(2026, 11, 23), 7 * 10), "2027-02-01");
	assert_int_equal(date_add_days(ymd(1, 1, 1), -1), DOSED_DATE_NONE);
	assert_int_equal(date_add_days(DOSED_DATE_NONE, 1), DOSED_DATE_NONE);
}

static void
test_date_weekday(void **state G_GNUC_UNUSED)
{
	assert_int_equal(date_weekday(ymd(2026, 11, 23)), 1); /* Monday */
	assert_int_equal(date_weekday(ymd(2026, 11, 26)), 4); /* Thursday */
	assert_int_equal(date_weekday(ymd(2026, 11, 29)), 7); /* Sunday */
	assert_int_equal(date_weekday(ymd(2024, 2, 29)), 4);  /* Thursday */
	assert_int_equal(date_weekday(ymd(2027, 2, 4)), 4);   /* Thursday */
}

static void
test_date_format_none(void **state G_GNUC_UNUSED)
{
	char buf[DOSED_DATE_BUF];

	/* "No date" never prints as a plausible day. */
	assert_string_equal(date_format(DOSED_DATE_NONE, buf), "0000-00-00");
}

/* ---- instants and zones ---- */

static void
test_date_of_instant_by_zone(void **state G_GNUC_UNUSED)
{
	GTimeZone *utc = zone("UTC"), *ny = zone("America/New_York");
	GTimeZone *tokyo = zone("Asia/Tokyo");
	gint64 evening = 1795494600; /* 2026-11-24T04:30:00Z */

	/* 23:30 in New York is still the 23rd there, already the 24th in UTC. */
	assert_date(date_of_instant(evening, ny), "2026-11-23");
	assert_date(date_of_instant(evening, utc), "2026-11-24");
	assert_date(date_of_instant(evening, tokyo), "2026-11-24");
	assert_date(date_of_instant(0, utc), "1970-01-01");
	assert_date(date_of_instant(-1, utc), "1969-12-31");
	assert_int_equal(instant_of_local(ymd(2026, 11, 23), 23, 30, 0, ny), evening);
	assert_int_equal(instant_of_local(ymd(1970, 1, 1), 0, 0, 0, utc), 0);
	g_time_zone_unref(utc);
	g_time_zone_unref(ny);
	g_time_zone_unref(tokyo);
}

/* The same instant asked again and again in zones taken in turn (a load
 * of a clinic's patients) gives each zone's own answer every time, also
 * for a zone opened again; and the ends of the calendar hold. */
static void
test_date_of_instant_repeated(void **state G_GNUC_UNUSED)
{
	GTimeZone *zones[] = {
		zone("America/New_York"), zone("Asia/Tokyo"), zone("UTC"),
		zone("Pacific/Auckland"), zone("America/Los_Angeles"),
	};
	const char *expected[] = {
		"2026-11-23", "2026-11-24", "2026-11-24", "2026-11-24", "2026-11-23",
	};
	gint64 evening = 1795494600; /* 2026-11-24T04:30:00Z */

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < G_N_ELEMENTS(zones); i++)
			assert_date(date_of_instant(evening, zones[i]), expected[i]);
		/* Same name, another object: the same answer. */
		g_time_zone_unref(zones[1]);
		zones[1] = zone("Asia/Tokyo");
	}
	/* 9999-12-31T23:59:59Z is the last instant with a date; in Tokyo it
	 * is already year 10000. */
	assert_date(date_of_instant(253402300799, zones[2]), "9999-12-31");
	assert_int_equal(date_of_instant(253402300800, zones[2]), DOSED_DATE_NONE);
	assert_int_equal(date_of_instant(253402300799, zones[1]), DOSED_DATE_NONE);
	assert_date(date_of_instant(-62135596800, zones[2]), "0001-01-01");
	assert_int_equal(date_of_instant(-62135596801, zones[2]), DOSED_DATE_NONE);
	assert_date(date_add_days(ymd(9999, 12, 30), 1), "9999-12-31");
	assert_int_equal(date_add_days(ymd(9999, 12, 31), 1), DOSED_DATE_NONE);
	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++)
		g_time_zone_unref(zones[i]);
}

/* Zones of every kind: with and without summer time, either hemisphere,
 * offsets of a quarter or half hour. */
static const char *const many_zones[] = {
	"Africa/Abidjan", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos",
	"America/Anchorage", "America/Bogota", "America/Chicago", "America/Denver",
	"America/Halifax", "America/Los_Angeles", "America/Mexico_City",
	"America/New_York", "America/Sao_Paulo", "America/St_Johns", "Asia/Dhaka",
	"Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Kathmandu",
	"Asia/Kolkata", "Asia/Seoul", "Asia/Tehran", "Asia/Tokyo",
	"Atlantic/Azores", "Australia/Adelaide", "Australia/Perth",
	"Australia/Sydney", "Europe/Berlin", "Europe/Dublin", "Europe/Helsinki",
	"Europe/Lisbon", "Europe/London", "Europe/Moscow", "Pacific/Auckland",
	"Pacific/Chatham", "Pacific/Honolulu", "Pacific/Kiritimati", "UTC",
};

/* More zones and instants than the answers kept (64): each answer is
 * still the zone's own, as GLib's calendar gives it, round after round
 * while older answers are pushed out. */
static void
test_date_of_instant_many_zones(void **state G_GNUC_UNUSED)
{
	/* Either side of midnight somewhere, and either side of the clock
	 * changes of March and October. */
	static const gint64 instants[] = { 1795494600, 1774746000, 1792890000 };
	GTimeZone *zones[G_N_ELEMENTS(many_zones)];

	for (size_t i = 0; i < G_N_ELEMENTS(many_zones); i++)
		zones[i] = zone(many_zones[i]);
	for (int round = 0; round < 3; round++) {
		for (size_t t = 0; t < G_N_ELEMENTS(instants); t++) {
			for (size_t i = 0; i < G_N_ELEMENTS(zones); i++) {
				GDateTime *utc = g_date_time_new_from_unix_utc(instants[t]);
				GDateTime *local = g_date_time_to_timezone(utc, zones[i]);
				int year, month, day;

				g_date_time_get_ymd(local, &year, &month, &day);
				if (date_of_instant(instants[t], zones[i]) != ymd(year, month, day))
					fail_msg("%s at %" G_GINT64_FORMAT ": not %04d-%02d-%02d",
						 many_zones[i], instants[t], year, month, day);
				g_date_time_unref(local);
				g_date_time_unref(utc);
			}
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++)
		g_time_zone_unref(zones[i]);
}

/* A local time to an instant in many zones over four years, the days
 * taken forward, backward and zone by zone, each as GLib's calendar
 * has it: the offsets kept per zone (offset_at()) hold whatever the order
 * of the questions.  06:00 and 12:00 are clear of every change of these
 * zones in those years. */
static void
check_local_as_glib(GTimeZone *tz, const char *name, DosedDate date, int hour)
{
	int year, month, day;
	GDateTime *expected;

	date_to_ymd(date, &year, &month, &day);
	expected = g_date_time_new(tz, year, month, day, hour, 0, 0);
	if (instant_of_local(date, hour, 0, 0, tz) != g_date_time_to_unix(expected))
		fail_msg("%04d-%02d-%02d %02d:00 in %s: not %" G_GINT64_FORMAT, year, month, day,
			 hour, name, (gint64)g_date_time_to_unix(expected));
	g_date_time_unref(expected);
}

static void
test_instant_of_local_many_zones(void **state G_GNUC_UNUSED)
{
	GTimeZone *zones[G_N_ELEMENTS(many_zones)];
	DosedDate first = ymd(2025, 1, 1), last = ymd(2028, 12, 31);

	for (size_t i = 0; i < G_N_ELEMENTS(many_zones); i++)
		zones[i] = zone(many_zones[i]);
	for (DosedDate date = first; date <= last; date = date_add_days(date, 3)) {
		for (size_t i = 0; i < G_N_ELEMENTS(zones); i++)
			check_local_as_glib(zones[i], many_zones[i], date, 12);
	}
	for (DosedDate date = last; date >= first; date = date_add_days(date, -5)) {
		for (size_t i = 0; i < G_N_ELEMENTS(zones); i++)
			check_local_as_glib(zones[i], many_zones[i], date, 6);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++) {
		for (DosedDate date = first; date <= last; date = date_add_days(date, 7))
			check_local_as_glib(zones[i], many_zones[i], date, i % 2 ? 6 : 12);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(zones); i++)
		g_time_zone_unref(zones[i]);
}

/* 01:30 local on a change day: the instant, its date and how it prints. */
static void
check_local(GTimeZone *tz, DosedDate date, int hour, int minute, gint64 expected,
	    const char *printed)
{
	char buf[DOSED_TIMESTAMP_BUF];
	gint64 instant = instant_of_local(date, hour, minute, 0, tz);

	assert_int_equal(instant, expected);
	assert_int_equal(date_of_instant(instant, tz), date);
	assert_string_equal(timestamp_format(instant, tz, buf), printed);
}

static void
test_instant_of_local_london_dst(void **state G_GNUC_UNUSED)
{
	GTimeZone *tz = zone("Europe/London");

	/* Spring forward 2026-03-29: 01:00 GMT -> 02:00 BST, 01:30 does not
	 * exist; it moves forward past the gap by the gap's length. */
	check_local(tz, ymd(2026, 3, 29), 1, 30, 1774747800, "2026-03-29T02:30:00+01:00");
	check_local(tz, ymd(2026, 3, 29), 0, 30, 1774747800 - 3600,
		    "2026-03-29T00:30:00+00:00");
	check_local(tz, ymd(2026, 3, 29), 12, 0, 1774782000, "2026-03-29T12:00:00+01:00");
	/* Fall back 2026-10-25: 02:00 BST -> 01:00 GMT, 01:30 happens twice;
	 * the first (BST) is taken. */
	check_local(tz, ymd(2026, 10, 25), 1, 30, 1792888200, "2026-10-25T01:30:00+01:00");
	check_local(tz, ymd(2026, 10, 25), 2, 30, 1792895400, "2026-10-25T02:30:00+00:00");
	check_local(tz, ymd(2026, 10, 24), 23, 59, 1792882740, "2026-10-24T23:59:00+01:00");
	g_time_zone_unref(tz);
}

static void
test_instant_of_local_new_york_dst(void **state G_GNUC_UNUSED)
{
	GTimeZone *tz = zone("America/New_York");

	/* Spring forward 2026-03-08 at 02:00 EST: 01:30 is still EST;
	 * 02:30 does not exist and lands at 03:30 EDT. */
	check_local(tz, ymd(2026, 3, 8), 1, 30, 1772951400, "2026-03-08T01:30:00-05:00");
	check_local(tz, ymd(2026, 3, 8), 2, 30, 1772955000, "2026-03-08T03:30:00-04:00");
	check_local(tz, ymd(2026, 3, 8), 3, 30, 1772955000, "2026-03-08T03:30:00-04:00");
	/* Fall back 2026-11-01 at 02:00 EDT: 01:30 happens twice; first is EDT. */
	check_local(tz, ymd(2026, 11, 1), 1, 30, 1793511000, "2026-11-01T01:30:00-04:00");
	check_local(tz, ymd(2026, 11, 1), 23, 30, 1793593800, "2026-11-01T23:30:00-05:00");
	g_time_zone_unref(tz);
}

static void
test_zone_open_known(void **state G_GNUC_UNUSED)
{
	static const char *const good[] = {
		"Europe/London", "America/New_York", "UTC", "Etc/UTC",
		"America/Argentina/Salta", "Etc/GMT+5", "Asia/Kolkata",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		GTimeZone *tz = zone(good[i]);

		assert_string_equal(g_time_zone_get_identifier(tz), good[i]);
		g_time_zone_unref(tz);
	}
}

static void
test_zone_open_unknown(void **state G_GNUC_UNUSED)
{
	static const char *const unknown[] = {
		"Mars/Olympus", "europe/london", "Europe", "/etc/localtime",
		"Europe/../Europe/London", "right/Europe/London", "posix/Europe/London",
		"CET-1CEST,M3.5.0,M10.5.0/3", "ABC5", "leapseconds", "zone.tab",
		"Europe/London ", "Europe/London\n",
	};
	GError *error = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(unknown); i++) {
		assert_null(zone_open(unknown[i], &error));
		assert_error(&error, DOSED_ERROR_INVALID, "unknown time zone");
	}
}

static void
test_zone_open_refuses_fixed_offsets(void **state G_GNUC_UNUSED)
{
	/* GLib takes these, but a fixed offset ignores the patient's
	 * summer time. */
	static const char *const offsets[] = { "+01:00", "-05", "Z", "+0100" };
	GError *error = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(offsets); i++) {
		assert_null(zone_open(offsets[i], &error));
		assert_error(&error, DOSED_ERROR_INVALID, "fixed offset");
	}
}

/* zone_local_name() with TZ set to `value` (NULL: unset); TZ restored. */
static char *
local_name_with_tz(const char *value)
{
	char *saved = g_strdup(g_getenv("TZ"));
	char *name;

	if (value != NULL)
		g_setenv("TZ", value, TRUE);
	else
		g_unsetenv("TZ");
	name = zone_local_name();
	if (saved != NULL)
		g_setenv("TZ", saved, TRUE);
	else
		g_unsetenv("TZ");
	g_free(saved);
	return name;
}

static void
test_zone_local_name(void **state G_GNUC_UNUSED)
{
	GError *error = NULL;
	GTimeZone *tz;
	char *name;

	name = local_name_with_tz("Asia/Tokyo");
	assert_string_equal(name, "Asia/Tokyo");
	g_free(name);
	name = local_name_with_tz(":America/New_York");
	assert_string_equal(name, "America/New_York");
	g_free(name);
	/* A $TZ that names no zone falls back to the machine's setting,
	 * which must itself be a zone we can open. */
	name = local_name_with_tz("Nowhere/Nothing");
	assert_string_not_equal(name, "Nowhere/Nothing");
	tz = zone_open(name, &error);
	assert_null(error);
	assert_non_null(tz);
	g_time_zone_unref(tz);
	g_free(name);
	/* zone_open(NULL) is the machine's zone. */
	tz = zone_open(NULL, &error);
	assert_null(error);
	assert_non_null(tz);
	g_time_zone_unref(tz);
}

/* ---- timestamps ---- */

static void
test_timestamp_parse_rfc3339(void **state G_GNUC_UNUSED)
{
	static const struct {
		const char *text;
		gint64 instant;
	} cases[] = {
		{ "2026-11-23T09:30:00Z", T_2026_11_23_0930Z },
		{ "2026-11-23T09:30:00+00:00", T_2026_11_23_0930Z },
		{ "2026-11-23T10:30:00+01:00", T_2026_11_23_0930Z },
		{ "2026-11-23T04:30:00-05:00", T_2026_11_23_0930Z },
		{ "2026-11-23T09:30:00.75Z", T_2026_11_23_0930Z },
		{ "2026-11-23t09:30:00z", T_2026_11_23_0930Z },
		{ "2026-11-23 09:30:00Z", T_2026_11_23_0930Z },
		{ "2024-02-29T00:00:00Z", 1709164800 },
	};
	GTimeZone *ny = zone("America/New_York");
	GError *error = NULL;
	gint64 instant;
	size_t i;

	/* An explicit offset wins over the zone given. */
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		instant = 0;
		assert_true(timestamp_parse(cases[i].text, ny, &instant, &error));
		assert_null(error);
		assert_int_equal(instant, cases[i].instant);
	}
	g_time_zone_unref(ny);
}

static void
test_timestamp_parse_local(void **state G_GNUC_UNUSED)
{
	GTimeZone *ny = zone("America/New_York"), *london = zone("Europe/London");
	GError *error = NULL;
	gint64 instant;

	assert_true(timestamp_parse("2026-11-23 04:30", ny, &instant, &error));
	assert_int_equal(instant, T_2026_11_23_0930Z);
	assert_true(timestamp_parse("2026-11-23T04:30", ny, &instant, &error));
	assert_int_equal(instant, T_2026_11_23_0930Z);
	assert_true(timestamp_parse("2026-11-23 09:30:15", london, &instant, &error));
	assert_int_equal(instant, T_2026_11_23_0930Z + 15);
	/* The DST rules of instant_of_local() hold for typed times too. */
	assert_true(timestamp_parse("2026-10-25 01:30", london, &instant, &error));
	assert_int_equal(instant, 1792888200);
	assert_true(timestamp_parse("2026-03-08 02:30", ny, &instant, &error));
	assert_int_equal(instant, 1772955000);
	assert_null(error);
	g_time_zone_unref(ny);
	g_time_zone_unref(london);
}

static void
test_timestamp_parse_refuses(void **state G_GNUC_UNUSED)
{
	static const char *const bad[] = {
		"2026-02-30T10:00:00Z",      /* no such day */
		"2026-02-30 10:00",
		"2026-13-01 10:00",
		"2026-11-23T24:00:00Z",
		"2026-11-23 24:00",
		"2026-11-23 12:60",
		"2026-11-23T09:30:00Zjunk",  /* trailing garbage */
		"2026-11-23 09:30 ",
		"2026-11-23 09:30x",
		"2026-W48-1T09:30:00Z",      /* ISO 8601, not RFC 3339 */
		"20261123T093000Z",
		"2026-11-23T09:30:00+0100",
		"2026-11-23T09:30Z",
		"2026-11-23",
		"2026-11-23 9:30",
		"tomorrow", "2026-11-23 09:30\n",
		"",
	};
	GTimeZone *tz = zone("Europe/London");
	GError *error = NULL;
	gint64 instant = 42;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (timestamp_parse(bad[i], tz, &instant, &error))
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_error(&error, DOSED_ERROR_INVALID, "is not a time");
		assert_int_equal(instant, 42);
	}
	g_time_zone_unref(tz);
}

static void
test_timestamp_format(void **state G_GNUC_UNUSED)
{
	GTimeZone *utc = zone("UTC"), *ny = zone("America/New_York");
	GTimeZone *kolkata = zone("Asia/Kolkata");
	char buf[DOSED_TIMESTAMP_BUF];

	assert_string_equal(timestamp_format(T_2026_11_23_0930Z, utc, buf),
			    "2026-11-23T09:30:00+00:00");
	assert_string_equal(timestamp_format(T_2026_11_23_0930Z, ny, buf),
			    "2026-11-23T04:30:00-05:00");
	assert_string_equal(timestamp_format(T_2026_11_23_0930Z, kolkata, buf),
			    "2026-11-23T15:00:00+05:30");
	g_time_zone_unref(utc);
	g_time_zone_unref(ny);
	g_time_zone_unref(kolkata);
}

/* ---- durations and clock times ---- */

static void
test_duration_parse_valid(void **state G_GNUC_UNUSED)
{
	static const struct {
		const char *text;
		gint64 ms;
	} cases[] = {
		{ "0", 0 },
		{ "0 s", 0 },
		{ "250 ms", 250 },
		{ "90 s", 90000 },
		{ "90s", 90000 },
		{ "1 sec", 1000 },
		{ "2 seconds", 2000 },
		{ "30 min", 1800000 },
		{ "1 minute", 60000 },
		{ "1 hour", 3600000 },
		{ "2 hours", 7200000 },
		{ "3 h", 10800000 },
		{ "1 day", 86400000 },
		{ "2 d", 172800000 },
		{ "2 weeks", 1209600000 },
		{ "1 w", 604800000 },
		{ "1 Hour", 3600000 },
	};
	GError *error = NULL;
	gint64 ms;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		ms = -1;
		if (!duration_parse(cases[i].text, &ms, &error))
			fail_msg("\"%s\": %s", cases[i].text, error->message);
		assert_int_equal(ms, cases[i].ms);
	}
}

static void
test_duration_parse_refuses(void **state G_GNUC_UNUSED)
{
	static const struct {
		const char *text;
		const char *words;
	} cases[] = {
		{ "-1 s", "negative" },
		{ "-5", "negative" },
		{ "5 fortnights", "unknown unit \"fortnights\"" },
		{ "5", "no unit" },
		{ "1.5 h", "not a duration" },
		{ "", "not a duration" },
		{ "1 s x", "not a duration" },
		{ " 1 s", "not a duration" },
		{ "hour", "not a duration" },
		{ "99999999999999999999 ms", "too long" },
		{ "9223372036854775807 s", "too long" },
		{ "15250284453 w", "too long" },
	};
	GError *error = NULL;
	gint64 ms = 42;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (duration_parse(cases[i].text, &ms, &error))
			fail_msg("\"%s\" was accepted", cases[i].text);
		assert_error(&error, DOSED_ERROR_INVALID, cases[i].words);
		assert_int_equal(ms, 42);
	}
	/* The largest that fits is still taken. */
	assert_true(duration_parse("15250284452 w", &ms, &error));
	assert_int_equal(ms, G_GINT64_CONSTANT(15250284452) * 604800000);
}

static void
test_clock_time_parse(void **state G_GNUC_UNUSED)
{
	static const char *const bad[] = {
		"24:00", "12:60", "12:00:60", "12", "12:00pm", "12:0", "", "-1:00", "12:00 ",
	};
	GError *error = NULL;
	int seconds;
	size_t i;

	assert_true(clock_time_parse("09:00", &seconds, &error));
	assert_int_equal(seconds, 9 * 3600);
	assert_true(clock_time_parse("9:00", &seconds, &error));
	assert_int_equal(seconds, 9 * 3600);
	assert_true(clock_time_parse("23:59:59", &seconds, &error));
	assert_int_equal(seconds, 86399);
	assert_true(clock_time_parse("00:00", &seconds, &error));
	assert_int_equal(seconds, 0);
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_false(clock_time_parse(bad[i], &seconds, &error));
		assert_error(&error, DOSED_ERROR_INVALID, "HH:MM");
	}
}

/* ---- DOSED_NOW ---- */

static void
test_now_from_environment(void **state G_GNUC_UNUSED)
{
	char *saved = g_strdup(g_getenv("DOSED_NOW"));
	GError *error = NULL;
	gint64 now = 0, clock;

	g_setenv("DOSED_NOW", "2026-11-23T10:30:00+01:00", TRUE);
	assert_true(now_from_environment(&now, &error));
	assert_int_equal(now, T_2026_11_23_0930Z);

	/* RFC 3339 only: a local time would depend on the machine's zone. */
	g_setenv("DOSED_NOW", "2026-11-23 09:30", TRUE);
	assert_false(now_from_environment(&now, &error));
	assert_error(&error, DOSED_ERROR_INVALID, "DOSED_NOW");
	g_setenv("DOSED_NOW", "2026-02-30T10:00:00Z", TRUE);
	assert_false(now_from_environment(&now, &error));
	assert_error(&error, DOSED_ERROR_INVALID, "RFC 3339");

	g_unsetenv("DOSED_NOW");
	clock = g_get_real_time() / G_USEC_PER_SEC;
	assert_true(now_from_environment(&now, &error));
	assert_in_range(now, clock - 5, clock + 5);
	g_setenv("DOSED_NOW", "", TRUE);
	assert_true(now_from_environment(&now, &error));
	assert_in_range(now, clock - 5, clock + 5);

	if (saved != NULL)
		g_setenv("DOSED_NOW", saved, TRUE);
	else
		g_unsetenv("DOSED_NOW");
	g_free(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_conversions_repeated),
		cmocka_unit_test(test_date_parse_valid),
		cmocka_unit_test(test_date_parse_impossible),
		cmocka_unit_test(test_date_parse_malformed),
		cmocka_unit_test(test_date_add_months_clamps),
		cmocka_unit_test(test_date_add_days),
		cmocka_unit_test(test_date_weekday),
		cmocka_unit_test(test_date_format_none),
		cmocka_unit_test(test_date_of_instant_by_zone),
		cmocka_unit_test(test_date_of_instant_repeated),
		cmocka_unit_test(test_date_of_instant_many_zones),
		cmocka_unit_test(test_instant_of_local_many_zones),
		cmocka_unit_test(test_instant_of_local_london_dst),
		cmocka_unit_test(test_instant_of_local_new_york_dst),
		cmocka_unit_test(test_zone_open_known),
		cmocka_unit_test(test_zone_open_unknown),
		cmocka_unit_test(test_zone_open_refuses_fixed_offsets),
		cmocka_unit_test(test_zone_local_name),
		cmocka_unit_test(test_timestamp_parse_rfc3339),
		cmocka_unit_test(test_timestamp_parse_local),
		cmocka_unit_test(test_timestamp_parse_refuses),
		cmocka_unit_test(test_timestamp_format),
		cmocka_unit_test(test_duration_parse_valid),
		cmocka_unit_test(test_duration_parse_refuses),
		cmocka_unit_test(test_clock_time_parse),
		cmocka_unit_test(test_now_from_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
