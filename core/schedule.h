/* schedule.h - the schedule engine: every rule of SPEC section 2.
 *
 * Pure functions: from a regimen (protocol copy, start date, zone, the doses
 * given, the advances made) and `now` to the next dose, a projection, a
 * verdict on a dose about to be logged, and the suggested injection site.
 * Nothing here reads the clock, the database or the environment.
 */
#ifndef DOSED_SCHEDULE_H
#define DOSED_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "protocol.h"
#include "timeutil.h"

/* A dose that counts: a logged, non-void dose. */
typedef struct {
	gint64 given_at;        /* UTC seconds */
	int ordinal;            /* SPEC 2.7, as stored when it was logged */
	const char *site;       /* NULL when not recorded */
	gint64 id;              /* the dose's id: ids grow in the order doses are recorded */
} DosedDoseEvent;

/* A clinician ended an "until advanced" phase (dosectl advance).
 *
 * Where it stands among the doses follows from the order things were
 * recorded, not from timestamps of one second (issue 12: `log && advance`
 * in one second put the dose just logged after the advance): a dose
 * recorded before the advance comes before it, whatever its time.  A dose
 * recorded after it comes after it, unless it was given before the advance
 * was made (a dose logged late belongs to the phase it was given in). */
typedef struct {
	int phase_index;        /* the phase it ended */
	gint64 at;              /* when it was made, UTC seconds */
	gint64 after_dose;      /* the id of the regimen's last dose recorded before
				 * it, void or not; 0 when there was none */
} DosedAdvanceEvent;

/* Everything the engine needs to know about one regimen.  Borrowed: the
 * engine keeps no pointer after a call returns. */
typedef struct {
	const DosedProtocol *protocol;     /* the regimen's own copy */
	DosedDate start;
	GTimeZone *tz;                     /* the patient's zone */
	const DosedDoseEvent *doses;       /* non-void doses, ascending given_at,
					    * then in the order recorded */
	size_t n_doses;
	const DosedAdvanceEvent *advances; /* in the order recorded */
	size_t n_advances;
	gint64 stopped_at;                 /* 0 while active */
} DosedRegimenView;

typedef enum {
	DOSED_STATUS_UPCOMING,  /* today < due */
	DOSED_STATUS_DUE,       /* due <= today <= latest */
	DOSED_STATUS_OVERDUE,   /* today > latest */
} DosedStatus;

typedef enum {
	DOSED_STATE_ACTIVE,     /* there is a next dose */
	DOSED_STATE_COMPLETED,  /* the last phase ended (by count or duration) */
	DOSED_STATE_STOPPED,    /* dosectl stop */
} DosedRegimenState;

/* The next dose, or a projected one. */
typedef struct {
	int ordinal;            /* across the whole regimen */
	int phase_index;        /* index into protocol->phases */
	int dose_in_phase;      /* 1-based: "dose n of the phase" */
	DosedDate due;          /* due from this date */
	DosedDate latest;       /* overdue after this date */
} DosedPlannedDose;

typedef struct {
	DosedRegimenState state;
	DosedPlannedDose dose;  /* valid when state == DOSED_STATE_ACTIVE */
	DosedStatus status;     /* valid when state == DOSED_STATE_ACTIVE */
	int phase_index;        /* current phase; the last one when completed or stopped */
} DosedNextDose;

/* How a logged dose stood against the rules when it was given. */
typedef struct {
	int phase_index;
	int dose_in_phase;      /* 1-based */
	DosedDate given;        /* local calendar date it was given */
	DosedDate due;          /* when it was due, from the doses before it */
	DosedDate latest;
	int days_late;          /* given - latest when positive, else 0 */
} DosedDoseOutcome;

/* The next dose as of `now` (SPEC 2.1-2.5, 2.7). */
void schedule_next_dose(const DosedRegimenView *regimen, gint64 now, DosedNextDose *out);

/* The next up to `max` doses: the first is schedule_next_dose()'s; each later
 * one assumes the one before is given on its due date, or today if that has
 * passed.  Returns how many were written (0 when stopped or completed; fewer
 * than max when the regimen completes). */
size_t schedule_project(const DosedRegimenView *regimen, gint64 now, DosedPlannedDose *out,
			size_t max);

/* Fill outcomes[i] for each of regimen->doses (n_doses entries). */
void schedule_replay(const DosedRegimenView *regimen, DosedDoseOutcome *outcomes);

/* May a dose given at `at` be logged now?  Refused (DOSED_ERROR_REFUSED, one
 * line saying why and what to do) when the regimen is stopped or completed,
 * `at` is after `now`, before the start date or before the last logged dose;
 * and, unless force, on the same day as the last dose (DOSED_ERROR_SAME_DAY)
 * or before half the interval to its due date has passed
 * (DOSED_ERROR_TOO_SOON; SPEC 2.6).  On success *logged_as holds the
 * ordinal and phase the dose will have. */
bool schedule_check_log(const DosedRegimenView *regimen, gint64 at, gint64 now, bool force,
			DosedPlannedDose *logged_as, GError **error);

/* May the current phase be advanced now?  Only an "until advanced" phase
 * can be (else DOSED_ERROR_REFUSED).  *phase_index receives the phase ended. */
bool schedule_check_advance(const DosedRegimenView *regimen, gint64 now, int *phase_index,
			    GError **error);

/* Whether `dose` comes before `advance` in the regimen's history (see
 * DosedAdvanceEvent).  A dose about to be logged has an id above every
 * advance's after_dose. */
bool schedule_dose_before_advance(const DosedDoseEvent *dose, const DosedAdvanceEvent *advance);

/* The site after the last one used among the doses, from `sites` (a
 * NULL-terminated list, as in [rotation] sites); the first site when none
 * was recorded or the last one is not in the list; NULL when sites is empty.
 * Returns a pointer into `sites`. */
const char *schedule_suggest_site(const DosedRegimenView *regimen, char *const *sites);

/* "upcoming", "due", "overdue" / "active", "completed", "stopped". */
const char *schedule_status_name(DosedStatus status);
const char *schedule_state_name(DosedRegimenState state);

#endif
