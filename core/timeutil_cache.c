/* timeutil_cache.c - remembered answers of timeutil.c's calls into GLib;
 * see timeutil_cache.h for what they rest on.
 *
 * The same few questions come again and again: a clinic's patients start
 * on a few hundred days and fall due on a handful, "today" is asked in
 * each of a clinic's zones for every patient, and GLib finds an instant's
 * interval by walking the zone's transitions from the first.
 */
#include "timeutil_cache.h"

#include <string.h>

/* ---- dates ------------------------------------------------------------- */

/* A Julian day and its year, month and day, kept in the slot its key
 * picks. */
typedef struct {
	guint32 date;           /* 0: nothing kept here yet */
	int year, month, day;
} KnownDate;

#define KNOWN_DATES 512  /* a power of two */
static _Thread_local KnownDate known_by_ymd[KNOWN_DATES];
static _Thread_local KnownDate known_by_julian[KNOWN_DATES];

static KnownDate *slot_of_ymd(int year, int month, int day)
{
	return &known_by_ymd[(unsigned)(year * 372 + month * 31 + day) % KNOWN_DATES];
}

bool timeutil_cache_julian(int year, int month, int day, guint32 *date)
{
	const KnownDate *known = slot_of_ymd(year, month, day);

	if (known->date == 0 || year != known->year || month != known->month ||
	    day != known->day)
		return false;
	*date = known->date;
	return true;
}

void timeutil_cache_keep_julian(int year, int month, int day, guint32 date)
{
	*slot_of_ymd(year, month, day) = (KnownDate){ date, year, month, day };
}

bool timeutil_cache_ymd(guint32 date, int *year, int *month, int *day)
{
	const KnownDate *known = &known_by_julian[date % KNOWN_DATES];

	if (date == 0 || known->date != date)
		return false;
	*year = known->year;
	*month = known->month;
	*day = known->day;
	return true;
}

void timeutil_cache_keep_ymd(guint32 date, int year, int month, int day)
{
	known_by_julian[date % KNOWN_DATES] = (KnownDate){ date, year, month, day };
}

/* ---- the day of an instant --------------------------------------------- */

/* The last answers, by zone name and instant; the zone's address and the
 * instant pick the set.  Four ways to a set: with one, two of a clinic's
 * zones sharing a slot took turns to push each other out. */
enum { DAY_SETS = 16, DAY_WAYS = 4, NAME_SIZE = 64 };
static _Thread_local struct {
	gint64 instant;
	char name[NAME_SIZE];
	guint32 date;
} known_days[DAY_SETS][DAY_WAYS];
static _Thread_local guint8 next_day_way[DAY_SETS];

static guint day_set(GTimeZone *tz, gint64 instant)
{
	return (guint)((((guint64)(guintptr)tz ^ (guint64)instant ^ ((guint64)instant >> 32)) *
			G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 60);
}

bool timeutil_cache_day(GTimeZone *tz, gint64 instant, guint32 *date)
{
	const char *name = g_time_zone_get_identifier(tz);
	guint set = day_set(tz, instant);

	for (guint way = 0; way < DAY_WAYS; way++) {
		if (known_days[set][way].date != 0 &&
		    known_days[set][way].instant == instant &&
		    strcmp(known_days[set][way].name, name) == 0) {
			*date = known_days[set][way].date;
			return true;
		}
	}
	return false;
}

void timeutil_cache_keep_day(GTimeZone *tz, gint64 instant, guint32 date)
{
	const char *name = g_time_zone_get_identifier(tz);
	guint set = day_set(tz, instant);
	guint way;

	if (strlen(name) >= NAME_SIZE)
		return;
	way = next_day_way[set]++ % DAY_WAYS;
	known_days[set][way].instant = instant;
	strcpy(known_days[set][way].name, name);
	known_days[set][way].date = date;
}

/* ---- a zone's offset at an instant ------------------------------------- */

/* The intervals met, by zone name, each as the span of instants seen in
 * it.  A few intervals a zone (this year's summer and winter, next
 * year's), four zones to a set picked by the zone's address. */
enum { OFFSET_SETS = 16, OFFSET_WAYS = 4, SPANS = 4 };
typedef struct {
	gint64 first, last;     /* instants seen in the interval */
	int interval;
	gint32 offset;
} Span;
static _Thread_local struct {
	char name[NAME_SIZE];   /* "" when free */
	guint8 n_spans, next_span;
	Span spans[SPANS];
} known_offsets[OFFSET_SETS][OFFSET_WAYS];
static _Thread_local guint8 next_offset_way[OFFSET_SETS];

static guint offset_set(GTimeZone *tz)
{
	return (guint)((((guint64)(guintptr)tz) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 60);
}

/* The way holding the zone's spans, or OFFSET_WAYS; *name its name, or
 * NULL when it cannot be kept. */
static guint offset_way(GTimeZone *tz, guint set, const char **name)
{
	*name = g_time_zone_get_identifier(tz);
	if (**name == '\0' || strlen(*name) >= NAME_SIZE) {
		*name = NULL;
		return OFFSET_WAYS;
	}
	for (guint way = 0; way < OFFSET_WAYS; way++) {
		if (strcmp(known_offsets[set][way].name, *name) == 0)
			return way;
	}
	return OFFSET_WAYS;
}

bool timeutil_cache_offset(GTimeZone *tz, gint64 instant, gint32 *offset)
{
	guint set = offset_set(tz);
	const char *name;
	guint way = offset_way(tz, set, &name);

	if (way == OFFSET_WAYS)
		return false;
	for (guint i = 0; i < known_offsets[set][way].n_spans; i++) {
		const Span *span = &known_offsets[set][way].spans[i];

		if (span->first <= instant && instant <= span->last) {
			*offset = span->offset;
			return true;
		}
	}
	return false;
}

void timeutil_cache_keep_offset(GTimeZone *tz, gint64 instant, int interval, gint32 offset)
{
	guint set = offset_set(tz);
	const char *name;
	guint way = offset_way(tz, set, &name);
	guint i;

	if (!name)
		return;
	if (way == OFFSET_WAYS) {
		way = next_offset_way[set]++ % OFFSET_WAYS;
		strcpy(known_offsets[set][way].name, name);
		known_offsets[set][way].n_spans = 0;
		known_offsets[set][way].next_span = 0;
	}
	for (i = 0; i < known_offsets[set][way].n_spans; i++) {
		Span *span = &known_offsets[set][way].spans[i];

		if (span->interval == interval) {
			span->first = MIN(span->first, instant);
			span->last = MAX(span->last, instant);
			return;
		}
	}
	i = known_offsets[set][way].n_spans < SPANS ? known_offsets[set][way].n_spans++ :
	    known_offsets[set][way].next_span++ % SPANS;
	known_offsets[set][way].spans[i] = (Span){ instant, instant, interval, offset };
}
