/* enrol.c - the rules of an enrolment; see enrol.h. */
#include "enrol.h"

#include <string.h>

#include "error.h"

bool enrol_patient_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > 64 || id[0] == '-' || !g_utf8_validate(id, -1, NULL))
		return false;
	for (const char *p = id; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c) || g_unichar_iscntrl(c))
			return false;
	}
	return true;
}

DosedDate enrol_today(GTimeZone *tz, gint64 now)
{
	return date_of_instant(now, tz);
}

bool enrol_check_start(DosedDate start, DosedDate today, GError **error)
{
	char buf[DOSED_DATE_BUF];

	/* A start years away is a typo, and dates past the calendar's end
	 * would have no due dates to compute. */
	if (start >= date_from_ymd(1900, 1, 1) && start <= date_add_days(today, 366))
		return true;
	g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
		    "start %s is more than a year ahead or before 1900; check the date",
		    date_format(start, buf));
	return false;
}

bool enrol_check_record(const char *patient_id, const char *name, const char *tz_name,
			const DosedEnrolRecord *record, GError **error)
{
	if (record->active_protocol) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_EXISTS,
			    "patient '%s' is already enrolled (on %s since %s); stop that regimen first or use another id",
			    patient_id, record->active_protocol, record->active_start);
		return false;
	}
	if (record->name) {
		/* SPEC 5: a patient row is never overwritten. */
		if ((name && strcmp(name, record->name) != 0) ||
		    (tz_name && strcmp(tz_name, record->tz) != 0)) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
				    "patient '%s' is on record as '%s' in %s; enrol them again with that name and zone, or use another id",
				    patient_id, record->name, record->tz);
			return false;
		}
	} else if (!name) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "patient '%s' is new and needs a name", patient_id);
		return false;
	}
	return true;
}
