/* feed_ical.c - the pieces of a feed's iCalendar that are not about doses:
 * dates and instants as libical values, X- properties, alarms, the text
 * of a component and its fingerprint, and the VTIMEZONE of a zone.  See
 * feed_ical.h. */
#include "feed_ical.h"

#include <string.h>

/* ---- values and properties ------------------------------------------- */

icaltimetype
feed_ical_date(DosedDate date)
{
	icaltimetype value = icaltime_null_date();
	int year, month, day;

	date_to_ymd(date, &year, &month, &day);
	value.year = year;
	value.month = month;
	value.day = day;
	return value;
}

icaltimetype
feed_ical_utc(gint64 instant)
{
	return icaltime_from_timet_with_zone((time_t)instant, 0, icaltimezone_get_utc_timezone());
}

void
feed_add_x(icalcomponent *component, const char *name, const char *value)
{
	icalproperty *property = icalproperty_new_x(value);

	icalproperty_set_x_name(property, name);
	icalcomponent_add_property(component, property);
}

/* An X- property whose value is free text (X-WR-CALNAME: a patient's
 * name), escaped as TEXT like SUMMARY (RFC 5545 3.3.11: backslash, comma,
 * semicolon, newline).  libical 3.0.16 writes an X- value with backslashes
 * and newlines escaped but commas and semicolons bare, whatever its value
 * type (3.0.17 escapes a TEXT one), so vobject cut "O'Brien, Jr." at the
 * comma.  So libical escapes the text as a TEXT value of its own, and the
 * property is given that text to write as it is (a STRING value) under
 * VALUE=TEXT, which libical writes in place of the value's own type.
 * VALUE=TEXT is what makes ical.js (Thunderbird) unescape an X- property
 * it does not know; vobject, python-icalendar and libical unescape it
 * either way. */
void
feed_add_x_text(icalcomponent *component, const char *name, const char *text)
{
	icalvalue *value = icalvalue_new_text(text);
	char *escaped = icalvalue_as_ical_string_r(value);
	icalproperty *property = icalproperty_new_x("");

	icalproperty_set_x_name(property, name);
	icalproperty_set_value(property, icalvalue_new_string(escaped));
	icalproperty_add_parameter(property, icalparameter_new_value(ICAL_VALUE_TEXT));
	icalcomponent_add_property(component, property);
	icalmemory_free_buffer(escaped);
	icalvalue_free(value);
}

/* An alarm `seconds` after the start of an all-day event: for a date,
 * local midnight where the subscriber is (SPEC 4: [reminders] at); rung
 * `repeat` more times, `interval` seconds apart. */
void
feed_add_alarm_repeated(icalcomponent *event, int seconds, int repeat, int interval,
			const char *text)
{
	icalcomponent *alarm = icalcomponent_new_valarm();
	struct icaltriggertype trigger = {
		.time = icaltime_null_time(),
		.duration = icaldurationtype_from_int(seconds),
	};

	icalcomponent_add_property(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
	icalcomponent_add_property(alarm, icalproperty_new_trigger(trigger));
	icalcomponent_add_property(alarm, icalproperty_new_description(text));
	/* RFC 5545 3.6.6: REPEAT and DURATION come together or not at all. */
	if (repeat > 0 && interval > 0) {
		icalcomponent_add_property(alarm, icalproperty_new_repeat(repeat));
		icalcomponent_add_property(alarm, icalproperty_new_duration(
			icaldurationtype_from_int(interval)));
	}
	icalcomponent_add_component(event, alarm);
}

void
feed_add_alarm(icalcomponent *event, int seconds, const char *text)
{
	feed_add_alarm_repeated(event, seconds, 0, 0, text);
}

/* libical's strings from the _r functions are its own malloc'd buffers. */
char *
feed_ical_text(icalcomponent *component)
{
	char *text = icalcomponent_as_ical_string_r(component);
	char *copy = g_strdup(text);

	icalmemory_free_buffer(text);
	return copy;
}

char *
feed_checksum_text(const char *text)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

/* ---- time zones ----------------------------------------------------- */

/* The VTIMEZONE of an IANA zone, from the system's zone database as
 * libical reads it.  Two things are changed on libical's component:
 *
 * - TZID.  libical names its zones "/freeassociation.sourceforge.net/" +
 *   the IANA name, which Thunderbird does not take for the zone it is
 *   (issue 3).  icaltimezone_set_tzid_prefix() cannot remove the prefix
 *   (libical 3.0.16 takes an empty prefix to mean its default, and "/"
 *   still gives "/Europe/London"), and it would change a global of the
 *   library besides; so the TZID of our own copy is set to the plain name.
 * - Length.  libical gives the zone's whole history (Europe/London: 385
 *   lines back to 1847); icaltimezone_truncate_vtimezone() keeps what
 *   applies from the start of the year the feed's history starts in.  The
 *   start is a year, not a day, so the zone's text changes once a year at
 *   most, and ms_compatible keeps the rules' own DTSTARTs (1981 for the EU
 *   rule) rather than inventing odd ones.
 *
 * Cloning and truncating costs more than the rest of a patient's feed
 * (bench/NOTES.md): the result is kept per (zone, year) for the life of the
 * process (a handful of entries), behind a lock since the daemon may render
 * from more than one thread, and each render adds a clone of it. */
typedef struct {
	icalcomponent *vtimezone;       /* NULL when libical does not know the zone */
	char *fingerprint;              /* SHA-256 of its text */
} FeedZone;

static GMutex feed_zones_lock;
static GHashTable *feed_zones;          /* "NAME YEAR" -> FeedZone *, never freed */

static FeedZone *
feed_zone_build(const char *tz_name, int year)
{
	FeedZone *zone = g_new0(FeedZone, 1);
	icaltimezone *builtin = icaltimezone_get_builtin_timezone(tz_name);
	icalcomponent *source = builtin != NULL ? icaltimezone_get_component(builtin) : NULL;
	icaltimetype start = icaltime_null_time();
	icalproperty *tzid;
	char *text;

	/* libical answers "UTC" with its internal zone, which has no
	 * component; the zone database has it as Etc/UTC. */
	if (source == NULL && strcmp(tz_name, "UTC") == 0) {
		builtin = icaltimezone_get_builtin_timezone("Etc/UTC");
		source = builtin != NULL ? icaltimezone_get_component(builtin) : NULL;
	}
	if (source == NULL)
		return zone;
	zone->vtimezone = icalcomponent_new_clone(source);
	start.year = year;
	start.month = 1;
	start.day = 1;
	start.zone = icaltimezone_get_utc_timezone();
	icaltimezone_truncate_vtimezone(zone->vtimezone, start, icaltime_null_time(), 1);
	tzid = icalcomponent_get_first_property(zone->vtimezone, ICAL_TZID_PROPERTY);
	if (tzid != NULL)
		icalproperty_set_tzid(tzid, tz_name);
	else
		icalcomponent_add_property(zone->vtimezone, icalproperty_new_tzid(tz_name));
	text = feed_ical_text(zone->vtimezone);
	zone->fingerprint = feed_checksum_text(text);
	g_free(text);
	return zone;
}

/* Add the zone's VTIMEZONE to the calendar and its fingerprint to the
 * feed's checksum.  A zone libical does not know gets none: no event names
 * it in a TZID (logged doses are in UTC, projected ones are dates), so the
 * feed stays valid without. */
void
feed_add_zone(icalcomponent *calendar, GChecksum *feed_sum, const char *tz_name, int year)
{
	char *key = g_strdup_printf("%s %d", tz_name, year);
	FeedZone *zone;

	g_mutex_lock(&feed_zones_lock);
	if (feed_zones == NULL)
		feed_zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	zone = g_hash_table_lookup(feed_zones, key);
	if (zone == NULL) {
		zone = feed_zone_build(tz_name, year);
		g_hash_table_insert(feed_zones, key, zone);
		key = NULL;
	}
	if (zone->vtimezone != NULL) {
		icalcomponent_add_component(calendar, icalcomponent_new_clone(zone->vtimezone));
		g_checksum_update(feed_sum, (const guchar *)zone->fingerprint, -1);
	}
	g_mutex_unlock(&feed_zones_lock);
	g_free(key);
}
