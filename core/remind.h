/* remind.h - when a reminder is owed (SPEC 4, Reminders): a pure function.
 *
 * For a regimen's next dose (due D, overdue after L) in the patient's zone
 * the reminder moments are:
 *   lead     `at` on D, minus `before`              (none when before = 0)
 *   due      `at` on D
 *   overdue  `at` on L + 1 day, then every `overdue_every` while not logged
 *   snooze   the moment a snooze ends                (when one was asked)
 * A moment is owed once: what was delivered is recorded (the moment it was
 * for), so a restart never repeats one, and after a sleep or a stop only
 * the newest owed moment is delivered, not a backlog.  Nothing here reads
 * the clock or the database.
 */
#ifndef DOSED_REMIND_H
#define DOSED_REMIND_H

#include <stdbool.h>
#include <glib.h>

#include "schedule.h"

typedef enum {
	DOSED_REMINDER_NONE,
	DOSED_REMINDER_LEAD,     /* "due tomorrow" / "due on Thu 4 Feb" */
	DOSED_REMINDER_DUE,      /* "due today" */
	DOSED_REMINDER_OVERDUE,  /* "overdue since 5 Mar" */
} DosedReminderKind;

typedef struct {
	int at;                  /* seconds after local midnight ([reminders] at) */
	gint64 before_ms;        /* lead time; 0 = no lead reminder */
	gint64 overdue_every_ms; /* > 0 */
	gint64 snooze_ms;        /* > 0 */
} DosedReminderSettings;

/* What has happened to reminders of one dose (regimen, ordinal). */
typedef struct {
	gint64 last_delivered;   /* the moment of the newest reminder delivered, 0 none */
	gint64 snoozed_until;    /* the end of the newest snooze, 0 none */
} DosedReminderRecord;

typedef struct {
	DosedReminderKind kind;  /* DOSED_REMINDER_NONE: nothing owed now */
	gint64 moment;           /* the moment it is for (UTC seconds), recorded on delivery */
	int ordinal;             /* the dose it is about */
	DosedDate due, latest;   /* that dose's dates */
} DosedReminder;

/* The reminder owed at `now` for the regimen's next dose (kind NONE when
 * nothing is owed: stopped, completed, or every moment up to now was
 * delivered) and, in *next_moment, the first moment after now that will
 * be owed (0 when none: stopped or completed).  A moment is owed when it
 * is <= now and after record->last_delivered; the newest such one wins.
 * Two refinements: a moment from before the previous dose was given is not
 * owed (it passed before this dose was the next one: a daily dose's lead
 * is the previous dose's due moment), and while a snooze runs (its end
 * after now) nothing is owed and *next_moment is its end.  The kind of a
 * snooze moment is the dose's state at that moment (lead before the due
 * moment, due until the last day ends, overdue after).  Moments from
 * millisecond settings are rounded up to whole seconds (never early).
 * *owed always names the next dose (ordinal, due, latest) while active. */
void reminder_plan(const DosedRegimenView *regimen, const DosedReminderSettings *settings,
		   const DosedReminderRecord *record, gint64 now, DosedReminder *owed,
		   gint64 *next_moment);

/* The reminder to show again at `now` for the regimen's next dose, when
 * the one delivered was lost (its notification server went away with it
 * on screen): not a new moment, nothing to record, said as the dose stands
 * now (lead before the due moment, due until its last day ends, overdue
 * after), as a snooze ending now would be.  kind NONE when the regimen has
 * no next dose. */
void reminder_again(const DosedRegimenView *regimen, const DosedReminderSettings *settings,
		    gint64 now, DosedReminder *again);

/* The notification's summary, e.g. "Hydroxocobalamin 1 mg due today",
 * "... due tomorrow", "... due on Thu 4 Feb", "... overdue since 5 Mar";
 * English day and month names.  Newly allocated. */
char *reminder_summary(const DosedReminder *reminder, const char *drug, const char *dose,
		       gint64 now, GTimeZone *tz);

#endif
