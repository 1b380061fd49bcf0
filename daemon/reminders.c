/* reminders.c - owed reminders shown, the next one armed (see reminders.h). */
#include "reminders.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "alarm.h"
#include "error.h"
#include "log.h"
#include "notify.h"
#include "protocol.h"
#include "remind.h"
#include "schedule.h"
#include "timeutil.h"

/* The note on a dose logged with the "log" action, as dosectl log --note
 * would write it. */
/* Plans over this many regimens give their memory back (malloc_trim). */
#define REMINDERS_TRIM_AFTER 1024u
#define REMINDERS_LOG_NOTE "logged from the desktop notification"

struct Reminders {
	DosedStore *store;              /* borrowed: the main loop's connection */
	bool enabled;
	DosedReminderSettings settings;
	char **sites;                   /* [rotation] sites */
	Alarm *alarm;
	Notifier *notifier;             /* made when the first reminder is owed */
	void (*logged)(void *data);     /* reminders_on_logged() */
	void *logged_data;
	/* DOSED_NOW is set (tests, SPEC 3): the daemon's clock stands still
	 * while the alarm counts real time, so a moment armed for would come
	 * at the wrong time, or at once and for ever. */
	bool clock_fixed;
};

static void reminders_on_alarm(AlarmReason reason, void *data);
static void reminders_on_action(NotifierAction action, const char *patient_id,
				gint64 regimen_id, int ordinal, void *data);
static void reminders_on_server(void *data);

/* ---- text ------------------------------------------------------------ */

char *reminders_logged_summary(const char *drug, const char *dose, int ordinal,
			       const char *site)
{
	GString *out = g_string_new("Logged: ");

	/* The drug as a sentence names it, as reminder_summary() does. */
	if (drug && *drug && g_utf8_validate(drug, -1, NULL)) {
		g_string_append_unichar(out, g_unichar_totitle(g_utf8_get_char(drug)));
		g_string_append(out, g_utf8_next_char(drug));
	} else if (drug) {
		g_string_append(out, drug);
	}
	if (dose && *dose)
		g_string_append_printf(out, " %s", dose);
	g_string_append_printf(out, ", dose #%d", ordinal);
	if (site)
		g_string_append_printf(out, ", %s", site);
	return g_string_free(out, FALSE);
}

char *reminders_patient_label(const char *name, const char *patient_id)
{
	if (name && *name)
		return g_strdup_printf("%s (%s)", name, patient_id);
	return g_strdup(patient_id);
}

/* ---- settings -------------------------------------------------------- */

void reminders_configure(Reminders *reminders, const DosedConfig *config)
{
	reminders->enabled = config->reminders_enabled;
	reminders->settings.at = config->reminders_at;
	reminders->settings.before_ms = config->reminders_before_ms;
	reminders->settings.overdue_every_ms = config->reminders_overdue_every_ms;
	reminders->settings.snooze_ms = config->reminders_snooze_ms;
	g_strfreev(reminders->sites);
	reminders->sites = g_strdupv(config->sites);
}

Reminders *reminders_create(DosedStore *store, const DosedConfig *config, GError **error)
{
	Reminders *reminders = g_new0(Reminders, 1);

	reminders->alarm = alarm_create(reminders_on_alarm, reminders, error);
	if (!reminders->alarm) {
		g_free(reminders);
		return NULL;
	}
	reminders->store = store;
	reminders->clock_fixed = g_getenv("DOSED_NOW") != NULL;
	reminders_configure(reminders, config);
	return reminders;
}

void reminders_on_logged(Reminders *reminders, void (*logged)(void *data), void *data)
{
	reminders->logged = logged;
	reminders->logged_data = data;
}

void reminders_destroy(Reminders *reminders)
{
	if (!reminders)
		return;
	notifier_destroy(reminders->notifier);
	alarm_destroy(reminders->alarm);
	g_strfreev(reminders->sites);
	g_free(reminders);
}

/* ---- the clock ------------------------------------------------------- */

static bool reminders_now(gint64 *now)
{
	GError *error = NULL;

	/* main() checked DOSED_NOW at start; it cannot go bad later. */
	if (now_from_environment(now, &error))
		return true;
	log_warnx("cannot read the clock: %s", error->message);
	g_error_free(error);
	return false;
}

static void reminders_on_alarm(AlarmReason reason, void *data)
{
	Reminders *reminders = data;

	if (reason == ALARM_CLOCK_CHANGED)
		log_info("the clock was set: computing the reminders again");
	reminders_update(reminders);
}

/* ---- delivering ------------------------------------------------------ */

static void reminders_record(Reminders *reminders, const DosedRegimen *regimen,
			     const DosedReminder *reminder, gint64 now)
{
	GError *error = NULL;

	if (store_begin(reminders->store, true, &error) &&
	    store_record_reminder(reminders->store, regimen->regimen_id, reminder->ordinal,
				  reminder->kind, reminder->moment, now, &error) &&
	    store_commit(reminders->store, &error))
		return;
	store_rollback(reminders->store);
	log_warnx("the reminder for %s was shown but could not be recorded, so a restart may "
		  "show it again: %s", regimen->patient_id, error->message);
	g_error_free(error);
}

/* Show the patient's reminder `reminder` of dose `next` (`again`: one
 * shown before, which went away with its notification server): false when
 * it could not be shown. */
static bool reminders_show(Reminders *reminders, const DosedRegimen *regimen,
			   const DosedNextDose *next, const DosedReminder *reminder, bool again,
			   gint64 now)
{
	const DosedProtocol *protocol = regimen->protocol;
	const DosedPhase *phase = &protocol->phases[next->dose.phase_index];
	NotifierReminder content = { 0 };
	char *summary;
	bool shown;

	summary = reminder_summary(reminder, protocol->drug, phase_dose(phase, protocol), now,
				   regimen->tz);
	content.summary = summary;
	content.patient_id = regimen->patient_id;
	content.patient_name = regimen->name;
	content.phase_name = phase->name;
	content.dose_in_phase = next->dose.dose_in_phase;
	content.site = schedule_suggest_site(&regimen->view, reminders->sites);
	content.overdue = reminder->kind == DOSED_REMINDER_OVERDUE;
	content.regimen_id = regimen->regimen_id;
	content.ordinal = reminder->ordinal;

	if (!reminders->notifier)
		reminders->notifier = notifier_create(reminders_on_action, reminders_on_server,
						      reminders);
	shown = notifier_show_reminder(reminders->notifier, &content);
	if (shown)
		log_info("reminded %s%s of dose #%d: %s", regimen->patient_id, again ? " again" : "",
			 reminder->ordinal, summary);
	g_free(summary);
	return shown;
}

/* Show one owed reminder, then record it.  false when it could not be
 * shown (no session bus, no server): it stays owed, and is tried again at
 * the next computation.
 *
 * SPEC 4 wants a reminder never lost and never repeated; the two orders
 * trade one risk for the other.  Recording first would lose the reminder
 * whenever the show fails, which is common (no bus on a clinic server, a
 * notification server restarting) and leaves nothing to retry.  Showing
 * first repeats it only if dosed dies between the server's answer and the
 * commit, in the same turn of the main loop, microseconds apart.  So:
 * show, and record once the server has answered with an id. */
static bool reminders_deliver(Reminders *reminders, const RemindersOwed *owed, gint64 now)
{
	if (!reminders_show(reminders, owed->regimen, &owed->next, &owed->reminder, false, now))
		return false;
	reminders_record(reminders, owed->regimen, &owed->reminder, now);
	return true;
}

/* Show again the reminders that went away with their notification server
 * while open (reminders_close_settled() has forgotten those whose dose is
 * settled since).  They were delivered and recorded: nothing is recorded
 * now, so this is no repeat across dosed's restarts (SPEC 4) - it puts
 * back what the new server never had.  Those that cannot be shown stay
 * lost, for the next computation or the next server. */
static void reminders_show_lost(Reminders *reminders, GPtrArray *regimens, gint64 now)
{
	char **lost;
	bool shown = true;

	if (!reminders->notifier)
		return;
	lost = notifier_lost_patients(reminders->notifier);
	for (char **id = lost; *id && shown; id++) {
		gint64 regimen_id;
		int ordinal;

		if (!notifier_open_dose(reminders->notifier, *id, &regimen_id, &ordinal))
			continue;
		for (guint i = 0; i < regimens->len; i++) {
			const DosedRegimen *regimen = regimens->pdata[i];
			DosedReminder again;
			DosedNextDose next;

			if (regimen->regimen_id != regimen_id)
				continue;
			schedule_next_dose(&regimen->view, now, &next);
			reminder_again(&regimen->view, &reminders->settings, now, &again);
			if (next.state != DOSED_STATE_ACTIVE || again.ordinal != ordinal)
				break;
			shown = reminders_show(reminders, regimen, &next, &again, true, now);
			break;
		}
	}
	g_strfreev(lost);
}

/* Close the open reminders whose dose is settled: logged (by any route:
 * the next dose moved on), the regimen stopped, completed or replaced.
 * `regimens` holds the active regimens of the patients with one open (the
 * plan kept them). */
static void reminders_close_settled(Reminders *reminders, GPtrArray *regimens, gint64 now)
{
	char **open;

	if (!reminders->notifier)
		return;
	open = notifier_open_patients(reminders->notifier);
	for (char **id = open; *id; id++) {
		gint64 regimen_id;
		int ordinal;
		bool current = false;

		if (!notifier_open_dose(reminders->notifier, *id, &regimen_id, &ordinal))
			continue;
		for (guint i = 0; i < regimens->len && !current; i++) {
			const DosedRegimen *regimen = regimens->pdata[i];
			DosedNextDose next;

			if (regimen->regimen_id != regimen_id)
				continue;
			schedule_next_dose(&regimen->view, now, &next);
			current = next.state == DOSED_STATE_ACTIVE && next.dose.ordinal == ordinal;
		}
		if (!current) {
			log_info("dose #%d of %s is settled: closing its reminder", ordinal, *id);
			notifier_close(reminders->notifier, *id);
		}
	}
	g_strfreev(open);
}

/* A plan in the making: reminders_plan_all()'s arguments, and how many
 * regimens it has read. */
typedef struct {
	DosedStore *store;
	const DosedReminderSettings *settings;
	gint64 now;
	const char *const *keep_patients;
	GArray *owed;
	gint64 *next_moment;
	GPtrArray *kept;
	guint n_read;
} RemindersPlan;

static bool reminders_plan_one(DosedRegimen *regimen, bool *keep, void *data, GError **error)
{
	RemindersPlan *plan = data;
	DosedReminderRecord record;
	RemindersOwed item = { .regimen = regimen };
	gint64 moment;

	/* Set *keep only once the regimen is in plan->kept: kept, it is no
	 * longer the load's to free. */
	bool keep_it = plan->keep_patients &&
		       g_strv_contains(plan->keep_patients, regimen->patient_id);

	plan->n_read++;
	schedule_next_dose(&regimen->view, plan->now, &item.next);
	if (item.next.state == DOSED_STATE_ACTIVE) {
		/* The record of the dose that is next now: one logged since
		 * the last reminder moves on to a fresh record. */
		if (!store_load_reminder_record(plan->store, regimen->regimen_id,
						item.next.dose.ordinal, &record, error))
			return false;
		reminder_plan(&regimen->view, plan->settings, &record, plan->now, &item.reminder,
			      &moment);
		if (moment > 0 && (*plan->next_moment == 0 || moment < *plan->next_moment))
			*plan->next_moment = moment;
		if (item.reminder.kind != DOSED_REMINDER_NONE) {
			g_array_append_val(plan->owed, item);
			keep_it = true;
		}
	}
	if (keep_it) {
		g_ptr_array_add(plan->kept, regimen);
		*keep = true;
	}
	return true;
}

GPtrArray *reminders_plan_all(DosedStore *store, const DosedReminderSettings *settings,
			      gint64 now, const char *const *keep_patients, GArray *owed,
			      gint64 *next_moment, guint *n_read, GError **error)
{
	RemindersPlan plan = {
		.store = store,
		.settings = settings,
		.now = now,
		.keep_patients = keep_patients,
		.owed = owed,
		.next_moment = next_moment,
		.kept = g_ptr_array_new_with_free_func((GDestroyNotify)regimen_destroy),
	};
	bool ok;

	*next_moment = 0;
	/* One regimen at a time, not all held at once (bench/NOTES.md). */
	ok = store_begin(store, false, error) &&
	     store_foreach_regimen(store, true, reminders_plan_one, &plan, error);
	/* Read only: nothing to commit. */
	store_rollback(store);
	if (n_read)
		*n_read = plan.n_read;
	if (!ok) {
		g_array_set_size(owed, 0);
		g_clear_pointer(&plan.kept, g_ptr_array_unref);
	}
	return plan.kept;
}

static void reminders_arm(Reminders *reminders, gint64 next_moment, gint64 now)
{
	char when[DOSED_TIMESTAMP_BUF];

	if (reminders->clock_fixed || next_moment == 0) {
		alarm_disarm(reminders->alarm);
		log_debug("reminders: none to come%s",
			  reminders->clock_fixed ? " (DOSED_NOW holds the clock still)" : "");
		return;
	}
	/* reminder_plan() says the next moment is after now; should it not
	 * be, a second later still keeps the loop from spinning. */
	if (next_moment <= now)
		next_moment = now + 1;
	alarm_arm(reminders->alarm, next_moment);
	log_debug("reminders: the next is at %s", timestamp_format(next_moment, NULL, when));
}

void reminders_update(Reminders *reminders)
{
	GError *error = NULL;
	GArray *owed;
	GPtrArray *regimens;
	gint64 now, next_moment;
	char **open = NULL;
	guint n_read = 0;
	bool reachable;

	if (!reminders->enabled) {
		alarm_disarm(reminders->alarm);
		if (reminders->notifier) {
			open = notifier_open_patients(reminders->notifier);
			for (char **id = open; *id; id++)
				notifier_close(reminders->notifier, *id);
			g_strfreev(open);
		}
		return;
	}
	if (!reminders_now(&now))
		return;
	owed = g_array_new(FALSE, FALSE, sizeof(RemindersOwed));
	/* The patients with a reminder open: whether its dose is settled is
	 * read from their regimens. */
	if (reminders->notifier)
		open = notifier_open_patients(reminders->notifier);
	regimens = reminders_plan_all(reminders->store, &reminders->settings, now,
				      (const char *const *)open, owed, &next_moment, &n_read, &error);
	g_strfreev(open);
	if (!regimens) {
		/* Keep the alarm as it was: it comes back here, and so does
		 * the next change in the database. */
		log_warnx("cannot read the reminders: %s", error->message);
		g_error_free(error);
		g_array_unref(owed);
		return;
	}
	reminders_close_settled(reminders, regimens, now);
	reachable = true;
	for (guint i = 0; i < owed->len && reachable; i++) {
		/* One failure says the server is out of reach: the others
		 * would fail the same way, each after a round trip. */
		reachable = reminders_deliver(reminders, &g_array_index(owed, RemindersOwed, i),
					      now);
	}
	/* After the owed ones: a patient owed a newer reminder has it now. */
	if (reachable)
		reminders_show_lost(reminders, regimens, now);
	reminders_arm(reminders, next_moment, now);
	g_array_unref(owed);
	g_ptr_array_unref(regimens);
#ifdef __GLIBC__
	/* A clinic's plan reads every active regimen and may keep many (the
	 * owed ones), and glibc keeps what was freed in its heap: hand it
	 * back, so that the daemon sleeps at its working size. */
	if (n_read >= REMINDERS_TRIM_AFTER)
		malloc_trim(0);
#endif
}

/* ---- actions --------------------------------------------------------- */

/* "Log dose": the dose given now, through the same core calls as dosectl
 * log, in one write transaction: the check and the write see the same
 * database.  The site is the one the reminder suggested (it rotates on as
 * it would with dosectl log --site).  *logged_as and *site are set on
 * success. */
static bool reminders_log_dose(Reminders *reminders, DosedRegimen *regimen, gint64 regimen_id,
			       int ordinal, gint64 now, DosedPlannedDose *logged_as,
			       const char **site, GError **error)
{
	DosedNextDose next;
	gint64 dose_id;

	if (regimen->regimen_id != regimen_id) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "the reminder was for an earlier regimen of %s; log the dose with "
			    "dosectl log", regimen->patient_id);
		return false;
	}
	/* The reminder's dose was logged meanwhile (with dosectl, or by a
	 * second click): logging now would record the next dose, which
	 * nobody asked for. */
	schedule_next_dose(&regimen->view, now, &next);
	if (next.state == DOSED_STATE_ACTIVE && next.dose.ordinal != ordinal) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "dose #%d is already logged (see dosectl show %s); nothing was logged",
			    ordinal, regimen->patient_id);
		return false;
	}
	if (!schedule_check_log(&regimen->view, now, now, false, logged_as, error))
		return false;
	*site = schedule_suggest_site(&regimen->view, reminders->sites);
	return store_log_dose(reminders->store, regimen, logged_as, now, *site,
			      REMINDERS_LOG_NOTE, false, g_get_user_name(), now, &dose_id, error);
}

char *reminders_refusal_text(const GError *error, const char *patient_id)
{
	if (g_error_matches(error, DOSED_ERROR, DOSED_ERROR_SAME_DAY))
		return g_strdup_printf("%s; if this second dose is intended, log it with "
				       "dosectl log %s --force", error->message, patient_id);
	if (g_error_matches(error, DOSED_ERROR, DOSED_ERROR_TOO_SOON))
		return g_strdup_printf("%s; if the dose was given, log it with "
				       "dosectl log %s --force", error->message, patient_id);
	if (g_error_matches(error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_PATIENT))
		return g_strdup_printf("%s; the patient is no longer in the database dosed reads",
				       error->message);
	return g_strdup(error->message);
}

static void reminders_action_log(Reminders *reminders, const char *patient_id,
				 gint64 regimen_id, int ordinal, gint64 now)
{
	DosedRegimen *regimen = NULL;
	DosedPlannedDose logged_as;
	const char *site = NULL;
	GError *error = NULL;

	char *summary, *who, *body, *why;

	if (!store_begin(reminders->store, true, &error) ||
	    !(regimen = store_load_regimen(reminders->store, patient_id, &error)) ||
	    !reminders_log_dose(reminders, regimen, regimen_id, ordinal, now, &logged_as, &site,
				&error) ||
	    !store_commit(reminders->store, &error)) {
		store_rollback(reminders->store);
		log_info("the dose of %s was not logged from the notification: %s", patient_id,
			 error->message);
		/* The message names the patient acted on, as the confirmation does. */
		who = reminders_patient_label(regimen ? regimen->name : NULL, patient_id);
		why = reminders_refusal_text(error, patient_id);
		body = g_strdup_printf("%s\n%s", who, why);
		g_free(why);
		notifier_show_message(reminders->notifier, patient_id, "Dose not logged", body,
				      true);
		g_free(body);
		g_free(who);
		g_error_free(error);
		regimen_destroy(regimen);
		return;
	}
	summary = reminders_logged_summary(
		regimen->protocol->drug,
		phase_dose(&regimen->protocol->phases[logged_as.phase_index], regimen->protocol),
		logged_as.ordinal, site);
	log_info("logged dose #%d of %s from the notification", logged_as.ordinal, patient_id);
	if (reminders->logged)
		reminders->logged(reminders->logged_data);
	/* Exactly the patient whose dose was logged: the name and the id. */
	who = reminders_patient_label(regimen->name, patient_id);
	notifier_show_message(reminders->notifier, patient_id, summary, who, false);
	g_free(who);
	g_free(summary);
	regimen_destroy(regimen);
}

static void reminders_action_snooze(Reminders *reminders, const char *patient_id,
				    gint64 regimen_id, int ordinal, gint64 now)
{
	/* Never shorter than asked: `now` is the current second cut short,
	 * so the end is one second further, and the length rounded up. */
	gint64 until = now + 1 + (reminders->settings.snooze_ms + 999) / 1000;
	char when[DOSED_TIMESTAMP_BUF];
	GError *error = NULL;

	if (!store_begin(reminders->store, true, &error) ||
	    !store_record_snooze(reminders->store, regimen_id, ordinal, until, now, &error) ||
	    !store_commit(reminders->store, &error)) {
		store_rollback(reminders->store);
		log_warnx("cannot snooze the reminder for %s: %s", patient_id, error->message);
		g_error_free(error);
		return;
	}
	log_info("snoozed the reminder for %s until %s", patient_id,
		 timestamp_format(until, NULL, when));
	/* Servers may keep a notification after an action (dunst does). */
	notifier_close(reminders->notifier, patient_id);
}

static void reminders_on_action(NotifierAction action, const char *patient_id,
				gint64 regimen_id, int ordinal, void *data)
{
	Reminders *reminders = data;
	gint64 now;

	if (!reminders_now(&now))
		return;
	if (action == NOTIFIER_ACTION_LOG)
		reminders_action_log(reminders, patient_id, regimen_id, ordinal, now);
	else
		reminders_action_snooze(reminders, patient_id, regimen_id, ordinal, now);
	reminders_update(reminders);
}

/* A notification server took the name: show what it does not have. */
static void reminders_on_server(void *data)
{
	Reminders *reminders = data;

	log_debug("a notification server is on the bus: computing the reminders again");
	reminders_update(reminders);
}
