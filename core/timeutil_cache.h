/* timeutil_cache.h - remembered answers of timeutil.c's calls into GLib,
 * for timeutil.c alone (and its unit test).
 *
 * What every cache here rests on, stated once: each answer is a pure
 * function of its key for the life of the process.
 *   - A Julian day and its year, month and day never change.
 *   - A zone's rules are fixed by its identifier: zones of one name have
 *     the same rules (GLib reads them by name, and a running process
 *     does not see the zone database change on disk).
 *   - An interval of a zone, the time between two of its transitions, is
 *     one stretch: an instant between two instants seen in the same
 *     interval is in that interval too.
 * The caches are per thread (the daemon converts on two), so need no
 * lock; each is small and fixed in size, and replaces old answers with
 * new.  A lookup that misses returns false: the caller asks GLib and
 * keeps the answer.  bench/NOTES.md has what they save.  Days are GDate's
 * Julian days (a guint32, timeutil.h), never 0.
 */
#ifndef DOSED_TIMEUTIL_CACHE_H
#define DOSED_TIMEUTIL_CACHE_H

#include <stdbool.h>
#include <glib.h>

/* The Julian day of a year, month and day (a valid date). */
bool timeutil_cache_julian(int year, int month, int day, guint32 *date);
void timeutil_cache_keep_julian(int year, int month, int day, guint32 date);

/* The year, month and day of a valid Julian day. */
bool timeutil_cache_ymd(guint32 date, int *year, int *month, int *day);
void timeutil_cache_keep_ymd(guint32 date, int year, int month, int day);

/* The calendar day of an instant in a zone. */
bool timeutil_cache_day(GTimeZone *tz, gint64 instant, guint32 *date);
void timeutil_cache_keep_day(GTimeZone *tz, gint64 instant, guint32 date);

/* The UTC offset (seconds east) of a zone at an instant; `interval` is
 * GLib's index of the interval holding the instant. */
bool timeutil_cache_offset(GTimeZone *tz, gint64 instant, gint32 *offset);
void timeutil_cache_keep_offset(GTimeZone *tz, gint64 instant, int interval, gint32 offset);

#endif
