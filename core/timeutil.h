/* timeutil.h - calendar dates, instants, durations and time zones.
 *
 * A calendar date (SPEC 2: "all due dates are calendar dates in the patient's
 * time zone") is a DosedDate: GLib's Julian day number (1 = 0001-01-01),
 * 0 meaning "no date".  An instant is a gint64 of seconds since the Unix
 * epoch, UTC.  Time zones are GTimeZone, opened by IANA name.
 */
#ifndef DOSED_TIMEUTIL_H
#define DOSED_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

typedef guint32 DosedDate;

#define DOSED_DATE_NONE ((DosedDate)0)
/* Buffer size for date_format(): "YYYY-MM-DD" and the NUL. */
#define DOSED_DATE_BUF 11
/* Buffer size for timestamp_format(): "YYYY-MM-DDTHH:MM:SS+HH:MM" and the NUL. */
#define DOSED_TIMESTAMP_BUF 32

/* Parse "YYYY-MM-DD" exactly (no trailing text); impossible dates such as
 * 2026-02-30 or 2026-13-01 are DOSED_ERROR_INVALID naming the text. */
bool date_parse(const char *text, DosedDate *out, GError **error);
/* Write "YYYY-MM-DD" into buf (at least DOSED_DATE_BUF bytes); returns buf. */
char *date_format(DosedDate date, char *buf);
DosedDate date_from_ymd(int year, int month, int day); /* DOSED_DATE_NONE if invalid */
void date_to_ymd(DosedDate date, int *year, int *month, int *day);
DosedDate date_add_days(DosedDate date, int days);
/* Calendar months, clamped to the month's end: 31 Dec + 2 months = 28 Feb. */
DosedDate date_add_months(DosedDate date, int months);
/* 1 = Monday ... 7 = Sunday (ISO 8601). */
int date_weekday(DosedDate date);
/* The calendar date of an instant in a zone. */
DosedDate date_of_instant(gint64 instant, GTimeZone *tz);
/* The instant of local wall-clock time h:m:s on date in tz.  A time that
 * does not exist (spring forward) is moved forward past the gap; one that
 * exists twice (fall back) is the first of the two. */
gint64 instant_of_local(DosedDate date, int hour, int minute, int second, GTimeZone *tz);

/* Open an IANA zone ("Europe/London"); NULL or "" means the machine's zone.
 * An unknown name is DOSED_ERROR_INVALID.  Free with g_time_zone_unref(). */
GTimeZone *zone_open(const char *name, GError **error);
/* The IANA name of the machine's zone ("Europe/London"), newly allocated;
 * "UTC" when it cannot be told. */
char *zone_local_name(void);

/* Parse an instant: RFC 3339 ("2026-11-23T09:30:00Z", "...+01:00",
 * fractional seconds allowed) or "YYYY-MM-DD HH:MM" (also "YYYY-MM-DDTHH:MM",
 * optional ":SS") read as wall-clock time in tz. */
bool timestamp_parse(const char *text, GTimeZone *tz, gint64 *out, GError **error);
/* RFC 3339 in tz, e.g. "2026-11-23T09:30:00+00:00"; returns buf
 * (at least DOSED_TIMESTAMP_BUF bytes). */
char *timestamp_format(gint64 instant, GTimeZone *tz, char *buf);

/* Parse a duration: "0", "90 s", "30 min", "1 hour", "2 hours", "1 day",
 * "2 weeks", "250 ms"; units s|sec|second(s), min|minute(s), h|hour(s),
 * d|day(s), w|week(s), ms.  Result in milliseconds. */
bool duration_parse(const char *text, gint64 *milliseconds, GError **error);
/* Parse "HH:MM" or "HH:MM:SS" (24 h) into seconds after midnight. */
bool clock_time_parse(const char *text, int *seconds, GError **error);

/* The current instant: $DOSED_NOW (RFC 3339) when set, else the system clock.
 * Only the edges (cli/, daemon/) call this; the core takes `now` as a
 * parameter.  A malformed DOSED_NOW is DOSED_ERROR_INVALID. */
bool now_from_environment(gint64 *now, GError **error);

#endif
