/* reminders.h - the daemon's desktop reminders (SPEC 4, Reminders).
 *
 * dunst's run(), for doses: after any change (the alarm, a change in the
 * database, SIGHUP, a clock change, an action on a notification) compute
 * for every active regimen what reminder is owed now and when the next one
 * will be (reminder_plan()), show what is owed, and arm the one alarm for
 * the earliest next moment.  Between those events the daemon sleeps.
 *
 * Owed reminders are delivered one per patient and dose, the newest state
 * only; each is recorded in the database once shown, so a restart never
 * repeats one.  A dose logged by any route closes its open notification.
 * An open reminder that went away with its notification server is shown
 * again on the next one (not recorded again: it is the same reminder).
 * `[reminders] enabled = false` turns all of it off.
 */
#ifndef DOSED_REMINDERS_H
#define DOSED_REMINDERS_H

#include <stdbool.h>
#include <glib.h>

#include "config.h"
#include "remind.h"
#include "schedule.h"
#include "store.h"

typedef struct Reminders Reminders;

/* Reminders read from `store` (borrowed: the main loop's connection, which
 * must outlive them) with the [reminders] and [rotation] settings of
 * `config` (copied).  Nothing is shown or armed until reminders_update().
 * NULL with an error when the alarm cannot be made.  Free with
 * reminders_destroy(). */
Reminders *reminders_create(DosedStore *store, const DosedConfig *config, GError **error);
/* Called after a dose is logged from a notification ("Log dose"), on the
 * main loop.  The dose is committed on `store`, the daemon's own
 * connection, whose own commits the change watch does not see: the feeds
 * must hear of it this way. */
void reminders_on_logged(Reminders *reminders, void (*logged)(void *data), void *data);
/* Closes the open notifications (notifier_destroy()).  NULL is a no-op. */
void reminders_destroy(Reminders *reminders);

/* Take the settings of a new config (SIGHUP); reminders_update() applies
 * them. */
void reminders_configure(Reminders *reminders, const DosedConfig *config);
/* Compute again, now: deliver what is owed, close what was settled, arm
 * the alarm for the next moment (or disarm it).  Problems are logged. */
void reminders_update(Reminders *reminders);

/* One reminder owed now (reminders_plan_all()). */
typedef struct {
	const DosedRegimen *regimen;    /* in the array returned with it */
	DosedReminder reminder;         /* kind != DOSED_REMINDER_NONE */
	DosedNextDose next;             /* the dose it is about, as of now */
} RemindersOwed;

/* What reminders_update() works from, at `now`, in one read transaction:
 * every active regimen's owed reminder appended to `owed` (RemindersOwed,
 * at most one per patient: the newest moment owed for the next dose), and
 * in *next_moment the earliest moment after now that any regimen will owe
 * one (0: none ever); *n_read (unless NULL) is how many active regimens
 * there were.  The regimens are read one at a time; kept are those owing
 * a reminder and the active ones of the patients in `keep_patients`
 * (NULL-terminated, or NULL).  Returns those (g_ptr_array_unref(), after
 * `owed` is done with), or NULL with an error. */
GPtrArray *reminders_plan_all(DosedStore *store, const DosedReminderSettings *settings,
			      gint64 now, const char *const *keep_patients, GArray *owed,
			      gint64 *next_moment, guint *n_read, GError **error);

/* Who a message about a dose is for: "Jo Patient (P1)", or the id alone
 * when there is no name.  Newly allocated. */
char *reminders_patient_label(const char *name, const char *patient_id);

/* Why the "log" action logged nothing, as the "Dose not logged"
 * notification says it: the core's words and, for the refusals the core
 * leaves to the edges (error.h), what the patient at the desktop can do:
 * the notification has no --force, so a dose meant to be logged anyway
 * is logged with dosectl.  Newly allocated. */
char *reminders_refusal_text(const GError *error, const char *patient_id);

/* The confirmation after the "log" action, "Logged: Hydroxocobalamin 1 mg,
 * dose #3, left thigh" (no site: no last part).  Newly allocated. */
char *reminders_logged_summary(const char *drug, const char *dose, int ordinal,
			       const char *site);

#endif
