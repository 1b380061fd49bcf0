/* feed_ical.h - what feed.c builds its calendars from with libical, and
 * no one else: values, X- properties, alarms, text and fingerprints, and
 * time zones (feed_ical.c).
 */
#ifndef DOSED_FEED_ICAL_H
#define DOSED_FEED_ICAL_H

#include <glib.h>
#include <libical/ical.h>

#include "timeutil.h"

/* A date (VALUE=DATE), and an instant in UTC. */
icaltimetype feed_ical_date(DosedDate date);
icaltimetype feed_ical_utc(gint64 instant);

/* An X- property with its value as it is, and one whose value is free
 * text, escaped as TEXT (VALUE=TEXT). */
void feed_add_x(icalcomponent *component, const char *name, const char *value);
void feed_add_x_text(icalcomponent *component, const char *name, const char *text);

/* A DISPLAY alarm `seconds` after the start of an all-day event, rung
 * `repeat` more times `interval` seconds apart (feed_add_alarm(): once). */
void feed_add_alarm_repeated(icalcomponent *event, int seconds, int repeat, int interval,
			     const char *text);
void feed_add_alarm(icalcomponent *event, int seconds, const char *text);

/* A component's text, newly allocated (g_free()). */
char *feed_ical_text(icalcomponent *component);
/* Hex SHA-256 of a text, newly allocated. */
char *feed_checksum_text(const char *text);

/* Add the VTIMEZONE of IANA zone `tz_name`, from the start of `year` on,
 * to the calendar, and its fingerprint to the feed's checksum; none for a
 * zone libical does not know.  Safe from any thread. */
void feed_add_zone(icalcomponent *calendar, GChecksum *feed_sum, const char *tz_name, int year);

#endif
