/* notify.h - desktop notifications with libnotify (SPEC 4, Reminders).
 *
 * The exported names start with notifier_, not notify_: libnotify owns
 * that prefix.
 *
 * At most one notification per patient is open: a newer reminder for the
 * same patient replaces it in place (same server id).  A reminder carries
 * the actions "log" ("Log dose") and "snooze" ("Snooze") when the server
 * advertises the "actions" capability; otherwise its body says how to log
 * the dose with dosectl.  Notifications are shown with synchronous D-Bus
 * calls, so "shown" means the server answered with an id.
 *
 * A notification id means something only to the server instance that gave
 * it (issue 12): a restarted server numbers from the start again, and
 * several clients share one server.  So every open reminder is kept with
 * the unique bus name of the server instance that gave its id, an action
 * or a close is taken only from that instance for that id, and anything
 * sent about an open reminder goes to that instance or nowhere.  When the
 * instance goes away (it loses the name org.freedesktop.Notifications),
 * its reminders are gone from the screen with it but still owed: they are
 * "lost", kept with their dose, until they are shown again
 * (notifier_lost_patients()) or closed; when a server takes the name the
 * NotifierServerFunc says so.  notify.c explains why this is free of races.
 *
 * Without a session bus or a notification server (a clinic server) a show
 * fails: the first failure is logged once at warning level, later ones
 * are silent, and a success after them logs that notifications work again.
 *
 * Main loop only: the bus's signals are delivered on the main context.
 */
#ifndef DOSED_NOTIFY_H
#define DOSED_NOTIFY_H

#include <stdbool.h>
#include <glib.h>

typedef struct Notifier Notifier;

typedef enum {
	NOTIFIER_ACTION_LOG,    /* "log": record the dose now */
	NOTIFIER_ACTION_SNOOZE, /* "snooze": remind again later */
} NotifierAction;

/* What one reminder says.  Borrowed for the call. */
typedef struct {
	const char *summary;       /* reminder_summary(): "Hydroxocobalamin 1 mg due today" */
	const char *patient_id;    /* the clinic's identifier: the key, and for dosectl */
	const char *patient_name;
	const char *phase_name;    /* "loading" */
	int dose_in_phase;         /* 1-based */
	const char *site;          /* the suggested site; NULL when none are configured */
	bool overdue;              /* urgency critical */
	gint64 regimen_id;         /* the dose it is about, handed back with its actions */
	int ordinal;
} NotifierReminder;

/* An action the user took on a reminder: the server instance that showed
 * the patient's open reminder said it was chosen on that very
 * notification.  Called on the main loop from the bus's signal, outside
 * libnotify, so the callee may show, replace and close notifications
 * freely.  The patient's reminder is still open; the callee closes or
 * replaces it. */
typedef void (*NotifierActionFunc)(NotifierAction action, const char *patient_id,
				   gint64 regimen_id, int ordinal, void *data);
/* A notification server took the name org.freedesktop.Notifications (the
 * first, or a new one after a restart): lost reminders, and owed ones that
 * could not be shown, can be shown now.  Called from an idle source on the
 * main loop. */
typedef void (*NotifierServerFunc)(void *data);

/* notify_init("dosed") (which does not touch the bus: that happens at the
 * first show).  Free with notifier_destroy(). */
Notifier *notifier_create(NotifierActionFunc func, NotifierServerFunc server_func, void *data);
/* Closes every open reminder (its buttons would do nothing once dosed is
 * gone) on the server that showed it, then notify_uninit().  NULL is a
 * no-op.  Logs nothing. */
void notifier_destroy(Notifier *notifier);

/* Show a reminder, replacing the patient's open one when the server that
 * showed it is still the one in place (else that one is closed there, and
 * this one shown anew).  false when it could not be shown (logged as
 * described above); a lost reminder then stays lost. */
bool notifier_show_reminder(Notifier *notifier, const NotifierReminder *reminder);
/* The dose the patient's open (or lost) reminder is about; false when none
 * is. */
bool notifier_open_dose(Notifier *notifier, const char *patient_id, gint64 *regimen_id,
			int *ordinal);
/* The patients with an open reminder, lost ones included.  Newly
 * allocated (g_strfreev). */
char **notifier_open_patients(Notifier *notifier);
/* The patients whose open reminder went away with its server and is not
 * yet shown again.  Newly allocated (g_strfreev). */
char **notifier_lost_patients(Notifier *notifier);
/* Close the patient's open reminder, if any, on the server that showed it
 * (a lost one is only forgotten). */
void notifier_close(Notifier *notifier, const char *patient_id);
/* A short message in place of the patient's reminder (or on its own when
 * none is open, or it is lost): the confirmation of a logged dose, or why
 * it was not logged (warning).  It has no actions and expires as the
 * server likes. */
void notifier_show_message(Notifier *notifier, const char *patient_id, const char *summary,
			   const char *body, bool warning);

/* The reminder's body: the patient's name, "Dose N of the PHASE phase",
 * "Suggested site: SITE" and, when the server has no actions, "Log it
 * with: dosectl log PATIENT" (the id shell-quoted when it needs to be).
 * markup: the server renders body markup, so the text is escaped.  Newly
 * allocated. */
char *notifier_reminder_body(const NotifierReminder *reminder, bool actions, bool markup);

#endif
