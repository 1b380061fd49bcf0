/* test_timeutil_cache.c - the remembered answers of timeutil.c
 * (timeutil_cache.c) against GLib's own, asked afresh each time.
 *
 * Random but repeatable (a fixed seed): many zones, among them the odd
 * ones (Lord Howe's half-hour summer time, Chatham's +12:45, Casablanca's
 * summer time that stops for Ramadan, Dublin's negative one, Apia's
 * skipped day, Troll's two-hour change), asked in an order that makes
 * zones push each other out of the caches, with instants near their
 * transitions, instants asked again (so that answers come from the
 * caches), and runs of instants walking through a transition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "timeutil.h"

#define SEED 20261123
#define DAY_SECONDS 86400
/* GDate's Julian day of 1970-01-01. */
#define EPOCH_JULIAN 719163

static const char *const zone_names[] = {
	"Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca", "Europe/London",
	"America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns",
	"Pacific/Apia", "Pacific/Kiritimati", "America/Santiago", "Antarctica/Troll",
	"Europe/Dublin", "Asia/Tehran", "America/Sao_Paulo", "Australia/Adelaide",
	"Pacific/Auckland", "Asia/Gaza", "Europe/Moscow", "America/Caracas", "UTC",
	"Etc/GMT+12", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Africa/Cairo",
	"America/Havana", "America/Asuncion", "Pacific/Norfolk", "Europe/Lisbon",
	"Australia/Eucla", "Asia/Colombo",
};
#define N_ZONES G_N_ELEMENTS(zone_names)

typedef struct {
	GTimeZone *zones[N_ZONES];
	GArray *transitions[N_ZONES];   /* gint64: the first instant of each new offset */
	GRand *rand;
} Fixture;

/* GLib's offset at an instant, asked afresh. */
static gint32 glib_offset(GTimeZone *tz, gint64 instant)
{
	return g_time_zone_get_offset(tz,
				      g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, instant));
}

/* The zone's changes of offset from 1990 to 2040, found a week at a time
 * and then to the second. */
static GArray *find_transitions(GTimeZone *tz)
{
	GArray *found = g_array_new(FALSE, FALSE, sizeof(gint64));
	gint64 from = G_GINT64_CONSTANT(631152000);   /* 1990-01-01 */
	gint64 until = G_GINT64_CONSTANT(2208988800); /* 2040-01-01 */

	for (gint64 t = from; t < until; t += 7 * DAY_SECONDS) {
		gint64 low = t, high = t + 7 * DAY_SECONDS;

		if (glib_offset(tz, low) == glib_offset(tz, high))
			continue;
		/* Two changes in one week (Casablanca's Ramadan can come close)
		 * show as one here or none; enough are found either way. */
		while (high - low > 1) {
			gint64 middle = low + (high - low) / 2;

			if (glib_offset(tz, middle) == glib_offset(tz, low))
				low = middle;
			else
				high = middle;
		}
		g_array_append_val(found, high);
	}
	return found;
}

static int setup(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);

	for (size_t i = 0; i < N_ZONES; i++) {
		fixture->zones[i] = zone_open(zone_names[i], NULL);
		assert_non_null(fixture->zones[i]);
		fixture->transitions[i] = find_transitions(fixture->zones[i]);
	}
	fixture->rand = g_rand_new_with_seed(SEED);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	Fixture *fixture = *state;

	for (size_t i = 0; i < N_ZONES; i++) {
		g_time_zone_unref(fixture->zones[i]);
		g_array_unref(fixture->transitions[i]);
	}
	g_rand_free(fixture->rand);
	g_free(fixture);
	return 0;
}

/* An instant in zone `z` worth asking: near one of its transitions, or
 * anywhere from 1900 to 2100. */
static gint64 pick_instant(Fixture *fixture, size_t z)
{
	GArray *transitions = fixture->transitions[z];

	if (transitions->len > 0 && g_rand_int_range(fixture->rand, 0, 4) != 0) {
		gint64 t = g_array_index(transitions, gint64,
					 g_rand_int_range(fixture->rand, 0, (gint32)transitions->len));

		return t + g_rand_int_range(fixture->rand, -2 * DAY_SECONDS, 2 * DAY_SECONDS);
	}
	return (gint64)g_rand_double_range(fixture->rand, -2208988800.0, 4102444800.0);
}

/* The calendar day of an instant in a zone, as GLib says it. */
static DosedDate glib_day(GTimeZone *tz, gint64 instant)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(instant);
	GDateTime *local = g_date_time_to_timezone(utc, tz);
	DosedDate day = date_from_ymd(g_date_time_get_year(local), g_date_time_get_month(local),
				      g_date_time_get_day_of_month(local));

	g_date_time_unref(local);
	g_date_time_unref(utc);
	return day;
}

static void check_day(GTimeZone *tz, const char *name, gint64 instant)
{
	DosedDate got = date_of_instant(instant, tz);
	DosedDate want = glib_day(tz, instant);

	if (got != want)
		fail_msg("date_of_instant(%" G_GINT64_FORMAT ", %s) = %u, GLib says %u", instant,
			 name, got, want);
}

/* Days of instants: random ones, a tenth of them asked again soon after
 * (from the caches), now and then a walk through a day an hour at a time,
 * and now and then one instant in every zone, as "today" is asked for
 * each of a clinic's patients. */
static void test_day_of_instant(void **state)
{
	Fixture *fixture = *state;
	gint64 recent[64] = { 0 };
	size_t recent_zone[64] = { 0 };

	for (int i = 0; i < 60000; i++) {
		size_t z = (size_t)g_rand_int_range(fixture->rand, 0, N_ZONES);
		gint64 instant = pick_instant(fixture, z);
		int slot = i % 64;

		check_day(fixture->zones[z], zone_names[z], instant);
		if (g_rand_int_range(fixture->rand, 0, 10) == 0) {
			int again = g_rand_int_range(fixture->rand, 0, 64);

			check_day(fixture->zones[recent_zone[again]], zone_names[recent_zone[again]],
				  recent[again]);
		}
		if (g_rand_int_range(fixture->rand, 0, 200) == 0) {
			for (int hour = -30; hour <= 30; hour++)
				check_day(fixture->zones[z], zone_names[z], instant + hour * 3600);
		}
		if (g_rand_int_range(fixture->rand, 0, 100) == 0) {
			for (int pass = 0; pass < 2; pass++) {
				for (size_t other = 0; other < N_ZONES; other++)
					check_day(fixture->zones[other], zone_names[other], instant);
			}
		}
		recent[slot] = instant;
		recent_zone[slot] = z;
	}
}

/* instant_of_local() as it is documented, from GLib's offsets asked
 * afresh: of the offsets a day either side, the earliest instant that
 * reads as the wall time; in a gap, the wall time read with the offset
 * before it. */
static gint64 glib_instant_of_local(DosedDate date, int hour, int minute, int second,
				    GTimeZone *tz)
{
	gint64 wall = ((gint64)date - EPOCH_JULIAN) * DAY_SECONDS + hour * 3600 + minute * 60 +
		      second;
	gint32 before = glib_offset(tz, wall - DAY_SECONDS);
	gint32 after = glib_offset(tz, wall + DAY_SECONDS);
	bool before_fits = glib_offset(tz, wall - before) == before;
	bool after_fits = glib_offset(tz, wall - after) == after;

	if (before_fits && after_fits)
		return MIN(wall - before, wall - after);
	if (after_fits)
		return wall - after;
	return wall - before;
}

/* The wall-clock time of an instant in a zone, as GLib says it:
 * seconds since the epoch as if the zone were UTC. */
static gint64 glib_wall(GTimeZone *tz, gint64 instant)
{
	return instant + glib_offset(tz, instant);
}

static void test_instant_of_local(void **state)
{
	Fixture *fixture = *state;

	for (int i = 0; i < 30000; i++) {
		size_t z = (size_t)g_rand_int_range(fixture->rand, 0, N_ZONES);
		GTimeZone *tz = fixture->zones[z];
		gint64 near = pick_instant(fixture, z);
		DosedDate date = glib_day(tz, near);
		int hour = g_rand_int_range(fixture->rand, 0, 24);
		int minute = g_rand_int_range(fixture->rand, 0, 4) * 15;
		/* A run of the same day's hours now and then: one transition
		 * met from both sides. */
		int hours = g_rand_int_range(fixture->rand, 0, 50) == 0 ? 24 : 1;

		for (int h = 0; h < hours; h++) {
			int at = (hour + h) % 24;
			gint64 got = instant_of_local(date, at, minute, 0, tz);
			gint64 want = glib_instant_of_local(date, at, minute, 0, tz);
			gint64 wall = ((gint64)date - EPOCH_JULIAN) * DAY_SECONDS + at * 3600 +
				      minute * 60;

			if (got != want)
				fail_msg("instant_of_local(%u %02d:%02d, %s) = %" G_GINT64_FORMAT
					 ", GLib's offsets give %" G_GINT64_FORMAT,
					 date, at, minute, zone_names[z], got, want);
			/* The instant reads as the wall time, or later (a gap). */
			if (glib_wall(tz, got) < wall)
				fail_msg("instant_of_local(%u %02d:%02d, %s) reads as an earlier "
					 "time", date, at, minute, zone_names[z]);
		}
	}
}

/* Years, months and days, valid or not, asked at random and again. */
static void test_dates(void **state)
{
	Fixture *fixture = *state;

	for (int i = 0; i < 60000; i++) {
		int year = g_rand_int_range(fixture->rand, 0, 5) == 0 ?
			   g_rand_int_range(fixture->rand, 0, 10001) :
			   g_rand_int_range(fixture->rand, 1890, 2110);
		int month = g_rand_int_range(fixture->rand, 0, 14);
		int day = g_rand_int_range(fixture->rand, 0, 33);
		DosedDate got = date_from_ymd(year, month, day);
		bool valid = year >= 1 && year <= 9999 && month >= 1 && month <= 12 &&
			     day >= 1 && g_date_valid_dmy((GDateDay)day, (GDateMonth)month,
							  (GDateYear)year);
		GDate check;

		if (!valid) {
			assert_int_equal(got, DOSED_DATE_NONE);
			continue;
		}
		g_date_clear(&check, 1);
		g_date_set_dmy(&check, (GDateDay)day, (GDateMonth)month, (GDateYear)year);
		assert_int_equal(got, g_date_get_julian(&check));
		{
			int y, m, d;

			date_to_ymd(got, &y, &m, &d);
			assert_int_equal(y, year);
			assert_int_equal(m, month);
			assert_int_equal(d, day);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_day_of_instant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instant_of_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
