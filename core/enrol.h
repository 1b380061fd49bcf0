/* enrol.h - the rules of an enrolment (SPEC 3) that hold whichever way it
 * comes in: dosectl enrol, dosectl import (and amend, to come).  The
 * store applies them with what it has on record (store_enrol()); the
 * edges check the rest before they ask it.
 */
#ifndef DOSED_ENROL_H
#define DOSED_ENROL_H

#include <stdbool.h>
#include <glib.h>

#include "timeutil.h"

/* Whether `id` is a patient id: 1 to 64 bytes of UTF-8, no spaces or
 * control characters, and not starting with '-' (it would read as an
 * option). */
bool enrol_patient_id_valid(const char *id);

/* The day an enrolment is made, in the patient's zone: a regimen's start
 * when none is given, and what a start given is checked against. */
DosedDate enrol_today(GTimeZone *tz, gint64 now);
/* A start more than a year (366 days) after `today`, or before 1900, is a
 * typo: DOSED_ERROR_INVALID, "start YYYY-MM-DD is ...; check the date". */
bool enrol_check_start(DosedDate start, DosedDate today, GError **error);

/* What is on record for a patient: their row (name NULL: none) and their
 * active regimen (active_protocol NULL: none). */
typedef struct {
	const char *name;
	const char *tz;
	const char *active_protocol;
	const char *active_start;       /* "YYYY-MM-DD" */
} DosedEnrolRecord;

/* Whether the record allows enrolling the patient with `name` and
 * `tz_name` (each NULL: as on record): not while a regimen is active
 * (DOSED_ERROR_EXISTS, SPEC 3); a patient row is never overwritten, so a
 * returning patient keeps the name and zone on record (another is
 * DOSED_ERROR_REFUSED); a new patient needs a name (DOSED_ERROR_INVALID). */
bool enrol_check_record(const char *patient_id, const char *name, const char *tz_name,
			const DosedEnrolRecord *record, GError **error);

#endif
