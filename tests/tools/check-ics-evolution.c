/* check-ics-evolution FILE.ics FROM TO ZONE - the alarms of a calendar as
 * Evolution rings them: libecal (evolution-data-server) evaluates every
 * VALARM of every VEVENT, its TRIGGER, REPEAT and DURATION against the
 * event's start, with e_cal_util_generate_alarms_for_comp(), the function
 * Evolution's calendar backends use to tell its alarm daemon what to ring.
 *
 * FROM and TO are UTC instants in ISO 8601 ("2026-11-26T00:00:00Z"): the
 * alarms that ring in [FROM, TO) are printed, one a line, in file order,
 * each event's by time:
 *
 *     UID|WHEN|DESCRIPTION
 *
 * WHEN in UTC, YYYYMMDDTHHMMSSZ.  ZONE is the subscriber's time zone, an
 * IANA name: an all-day event starts at midnight there, and its alarms
 * count from that.  A TZID is looked up among the file's VTIMEZONEs.
 *
 * Exit status 0 (also when nothing rings); 1 when the file cannot be read
 * or parsed, or names a zone that cannot be found; 2 for usage.  Built by
 * `make tests` into BUILDDIR/tests/tools/ (Debian package libecal2.0-dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>
/* evolution-data-server 3.46's own headers use GLib's deprecated GTimeVal
 * (e-flag.h): not ours to fix, and -Werror must not stop on it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libecal/libecal.h>
#pragma GCC diagnostic pop

typedef struct {
	ICalComponent *calendar;
	GHashTable *zones;      /* TZID -> ICalTimezone *, owned */
	gboolean missing;       /* a TZID was not found */
} Zones;

static ICalTimezone *resolve_zone(const gchar *tzid, gpointer user_data,
				  GCancellable *cancellable, GError **error)
{
	Zones *zones = user_data;
	ICalTimezone *zone = g_hash_table_lookup(zones->zones, tzid);

	(void)cancellable;
	(void)error;
	if (zone == NULL) {
		zone = i_cal_component_get_timezone(zones->calendar, tzid);
		if (zone == NULL) {
			zones->missing = TRUE;
			return NULL;
		}
		g_hash_table_insert(zones->zones, g_strdup(tzid), zone);
	}
	return zone;
}

static gboolean parse_instant(const char *text, time_t *out)
{
	GDateTime *time = g_date_time_new_from_iso8601(text, NULL);

	if (time == NULL)
		return FALSE;
	*out = (time_t)g_date_time_to_unix(time);
	g_date_time_unref(time);
	return TRUE;
}

/* One line per alarm instance of one event. */
static void print_alarms(ECalComponent *event, const ECalComponentAlarms *alarms)
{
	for (GSList *link = e_cal_component_alarms_get_instances(alarms); link != NULL;
	     link = link->next) {
		ECalComponentAlarmInstance *instance = link->data;
		ECalComponentAlarm *alarm = e_cal_component_get_alarm(
			event, e_cal_component_alarm_instance_get_uid(instance));
		ECalComponentText *description =
			alarm != NULL ? e_cal_component_alarm_get_description(alarm) : NULL;
		const gchar *text = description != NULL ? e_cal_component_text_get_value(description)
							: NULL;
		GDateTime *when = g_date_time_new_from_unix_utc(
			(gint64)e_cal_component_alarm_instance_get_time(instance));
		gchar *stamp = g_date_time_format(when, "%Y%m%dT%H%M%SZ");

		printf("%s|%s|%s\n", e_cal_component_get_uid(event), stamp, text ? text : "");
		g_free(stamp);
		g_date_time_unref(when);
		e_cal_component_alarm_free(alarm);
	}
}

int main(int argc, char **argv)
{
	ECalComponentAlarmAction omit[] = { -1 };       /* ring every kind */
	Zones zones = { NULL, NULL, FALSE };
	ICalComponent *vevent;
	ICalTimezone *subscriber;
	GError *error = NULL;
	time_t from, to;
	char *text;

	if (argc != 5 || !parse_instant(argv[2], &from) || !parse_instant(argv[3], &to)) {
		fprintf(stderr, "usage: check-ics-evolution FILE.ics FROM TO ZONE "
				"(FROM, TO: 2026-11-26T00:00:00Z)\n");
		return 2;
	}
	subscriber = i_cal_timezone_get_builtin_timezone(argv[4]);
	if (subscriber == NULL) {
		fprintf(stderr, "check-ics-evolution: no time zone %s\n", argv[4]);
		return 1;
	}
	if (!g_file_get_contents(argv[1], &text, NULL, &error)) {
		fprintf(stderr, "check-ics-evolution: %s\n", error->message);
		g_error_free(error);
		return 1;
	}
	zones.calendar = i_cal_component_new_from_string(text);
	g_free(text);
	if (zones.calendar == NULL ||
	    i_cal_component_isa(zones.calendar) != I_CAL_VCALENDAR_COMPONENT) {
		fprintf(stderr, "check-ics-evolution: %s: not one VCALENDAR\n", argv[1]);
		g_clear_object(&zones.calendar);
		return 1;
	}
	zones.zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);

	for (vevent = i_cal_component_get_first_component(zones.calendar,
							  I_CAL_VEVENT_COMPONENT);
	     vevent != NULL;
	     vevent = i_cal_component_get_next_component(zones.calendar,
							  I_CAL_VEVENT_COMPONENT)) {
		/* The component takes the clone. */
		ECalComponent *event =
			e_cal_component_new_from_icalcomponent(i_cal_component_clone(vevent));
		ECalComponentAlarms *alarms;

		g_object_unref(vevent);
		if (event == NULL) {
			fprintf(stderr, "check-ics-evolution: %s: libecal refuses a VEVENT\n",
				argv[1]);
			continue;
		}
		alarms = e_cal_util_generate_alarms_for_comp(event, from, to, omit, resolve_zone,
							     &zones, subscriber);
		if (alarms != NULL) {
			print_alarms(event, alarms);
			e_cal_component_alarms_free(alarms);
		}
		g_object_unref(event);
	}
	g_hash_table_unref(zones.zones);
	g_object_unref(zones.calendar);
	if (zones.missing) {
		fprintf(stderr, "check-ics-evolution: %s: a TZID without its VTIMEZONE\n", argv[1]);
		return 1;
	}
	return 0;
}
