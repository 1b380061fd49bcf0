/* notify.c - desktop notifications with libnotify 0.8 (see notify.h). */
#include "notify.h"

#include <string.h>

#include <libnotify/notify.h>

#include "log.h"

/* The Desktop Notifications spec has no standard category for a
 * reminder; vendor ones take the form "x-vendor.class.name". */
#define NOTIFIER_CATEGORY_REMINDER "x-dosed.dose.reminder"
#define NOTIFIER_CATEGORY_LOGGED   "x-dosed.dose.logged"
#define NOTIFIER_CATEGORY_REFUSED  "x-dosed.dose.refused"
/* Status icons of the freedesktop Icon Naming Specification. */
#define NOTIFIER_ICON_DUE          "appointment-soon"
#define NOTIFIER_ICON_OVERDUE      "appointment-missed"
#define NOTIFIER_ICON_LOGGED       "emblem-default"
#define NOTIFIER_ICON_REFUSED      "dialog-warning"

/* One patient's open reminder. */
typedef struct {
	Notifier *notifier;
	char *patient_id;
	NotifyNotification *notification;
	gulong closed_handler;
	gint64 regimen_id;
	int ordinal;
} NotifierEntry;

/* An action waiting for the idle source. */
typedef struct {
	NotifierAction action;
	char *patient_id;
	gint64 regimen_id;
	int ordinal;
} NotifierPending;

/* What an action button hands back: a copy, since libnotify frees it with
 * the notification's actions, on its own schedule. */
typedef struct {
	Notifier *notifier;
	NotifierAction action;
	char *patient_id;
	gint64 regimen_id;
	int ordinal;
} NotifierTarget;

struct Notifier {
	GHashTable *open;       /* patient id -> NotifierEntry */
	GQueue pending;         /* NotifierPending */
	guint idle;
	bool unavailable;       /* the last show failed, and that was logged */
	NotifierActionFunc func;
	void *data;
};

/* ---- text ------------------------------------------------------------ */

/* A patient id as a shell word: as is when it is plainly safe, else
 * quoted (ids are the clinic's, and may hold anything). */
static char *notifier_shell_word(const char *text)
{
	bool plain = *text != '\0';

	for (const char *p = text; *p && plain; p++)
		plain = g_ascii_isalnum(*p) || strchr("._-+:,@/", *p);
	return plain ? g_strdup(text) : g_shell_quote(text);
}

char *notifier_reminder_body(const NotifierReminder *reminder, bool actions, bool markup)
{
	GString *body = g_string_new(NULL);

	if (reminder->patient_name && *reminder->patient_name)
		g_string_append_printf(body, "%s\n", reminder->patient_name);
	g_string_append_printf(body, "Dose %d of the %s phase", reminder->dose_in_phase,
			       reminder->phase_name);
	if (reminder->site)
		g_string_append_printf(body, "\nSuggested site: %s", reminder->site);
	if (!actions) {
		char *word = notifier_shell_word(reminder->patient_id);

		g_string_append_printf(body, "\nLog it with: dosectl log %s", word);
		g_free(word);
	}
	if (markup) {
		/* Desktop Notifications spec, "body-markup": the body is then a
		 * subset of XML, where a name like "Smith & Sons" breaks. */
		char *escaped = g_markup_escape_text(body->str, -1);

		g_string_free(body, TRUE);
		return escaped;
	}
	return g_string_free(body, FALSE);
}

/* ---- availability ---------------------------------------------------- */

/* SPEC 4: "without a session bus it logs that once and goes on serving
 * feeds".  Later attempts stay silent until one succeeds. */
static void notifier_failed(Notifier *notifier, const GError *error)
{
	char *reason;

	if (notifier->unavailable)
		return;
	notifier->unavailable = true;
	/* D-Bus messages may quote addresses and GUIDs: through the
	 * redaction like any text from elsewhere. */
	reason = log_redact(error->message);
	log_warnx("cannot show desktop notifications (%s); reminders will be shown when a "
		  "notification server can be reached, and the feeds are served as usual", reason);
	g_free(reason);
}

static void notifier_succeeded(Notifier *notifier)
{
	if (!notifier->unavailable)
		return;
	notifier->unavailable = false;
	log_info("desktop notifications can be shown again");
}

/* The server's capabilities.  notify_get_server_caps() prints a GLib
 * warning when there is no server, which is no news once logged: ask for
 * the server's information first, which fails quietly. */
static void notifier_capabilities(bool *actions, bool *markup)
{
	GList *caps;

	*actions = *markup = false;
	if (!notify_get_server_info(NULL, NULL, NULL, NULL))
		return;
	caps = notify_get_server_caps();
	for (GList *l = caps; l; l = l->next) {
		if (strcmp(l->data, "actions") == 0)
			*actions = true;
		else if (strcmp(l->data, "body-markup") == 0)
			*markup = true;
	}
	g_list_free_full(caps, g_free);
}

/* ---- actions --------------------------------------------------------- */

static gboolean notifier_dispatch(gpointer data)
{
	Notifier *notifier = data;
	NotifierPending *pending;

	notifier->idle = 0;
	while ((pending = g_queue_pop_head(&notifier->pending))) {
		notifier->func(pending->action, pending->patient_id, pending->regimen_id,
			       pending->ordinal, notifier->data);
		g_free(pending->patient_id);
		g_free(pending);
	}
	return G_SOURCE_REMOVE;
}

/* libnotify's callback runs inside its signal handler, which goes on using
 * the notification after we return: the work (which may replace or drop
 * the notification) waits for an idle turn of the loop. */
static void notifier_on_action(NotifyNotification *notification, char *action, gpointer data)
{
	NotifierTarget *target = data;
	Notifier *notifier = target->notifier;
	NotifierPending *pending = g_new0(NotifierPending, 1);

	pending->action = target->action;
	pending->patient_id = g_strdup(target->patient_id);
	pending->regimen_id = target->regimen_id;
	pending->ordinal = target->ordinal;
	g_queue_push_tail(&notifier->pending, pending);
	if (!notifier->idle)
		notifier->idle = g_idle_add(notifier_dispatch, notifier);
}

static void notifier_target_free(gpointer data)
{
	NotifierTarget *target = data;

	g_free(target->patient_id);
	g_free(target);
}

static void notifier_add_action(NotifierEntry *entry, NotifierAction action, const char *key,
				const char *label)
{
	NotifierTarget *target = g_new0(NotifierTarget, 1);

	target->notifier = entry->notifier;
	target->action = action;
	target->patient_id = g_strdup(entry->patient_id);
	target->regimen_id = entry->regimen_id;
	target->ordinal = entry->ordinal;
	notify_notification_add_action(entry->notification, key, label, notifier_on_action,
				       target, notifier_target_free);
}

/* ---- open reminders -------------------------------------------------- */

static void notifier_entry_free(gpointer data)
{
	NotifierEntry *entry = data;

	if (entry->closed_handler)
		g_signal_handler_disconnect(entry->notification, entry->closed_handler);
	g_object_unref(entry->notification);
	g_free(entry->patient_id);
	g_free(entry);
}

/* The server closed it (dismissed, expired, or at our asking): forget it.
 * libnotify holds a reference while it emits "closed". */
static void notifier_on_closed(NotifyNotification *notification, gpointer data)
{
	NotifierEntry *entry = data;
	Notifier *notifier = entry->notifier;

	log_debug("the reminder for %s was closed (reason %d)", entry->patient_id,
		  notify_notification_get_closed_reason(notification));
	g_hash_table_remove(notifier->open, entry->patient_id);
}

Notifier *notifier_create(NotifierActionFunc func, void *data)
{
	Notifier *notifier = g_new0(Notifier, 1);

	/* The app name of SPEC 4; notify_init() only records it. */
	notify_init("dosed");
	notifier->open = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       notifier_entry_free);
	g_queue_init(&notifier->pending);
	notifier->func = func;
	notifier->data = data;
	return notifier;
}

static void notifier_pending_free(gpointer data)
{
	NotifierPending *pending = data;

	g_free(pending->patient_id);
	g_free(pending);
}

void notifier_destroy(Notifier *notifier)
{
	GHashTableIter iter;
	gpointer value;

	if (!notifier)
		return;
	if (notifier->idle)
		g_source_remove(notifier->idle);
	g_queue_clear_full(&notifier->pending, notifier_pending_free);
	g_hash_table_iter_init(&iter, notifier->open);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		NotifierEntry *entry = value;

		g_signal_handler_disconnect(entry->notification, entry->closed_handler);
		entry->closed_handler = 0;
		notify_notification_close(entry->notification, NULL);
	}
	g_hash_table_destroy(notifier->open);
	notify_uninit();
	g_free(notifier);
}

bool notifier_show_reminder(Notifier *notifier, const NotifierReminder *reminder)
{
	NotifierEntry *entry = g_hash_table_lookup(notifier->open, reminder->patient_id);
	const char *icon = reminder->overdue ? NOTIFIER_ICON_OVERDUE : NOTIFIER_ICON_DUE;
	bool actions, markup, created = false;
	GError *error = NULL;
	char *body;

	notifier_capabilities(&actions, &markup);
	body = notifier_reminder_body(reminder, actions, markup);
	if (entry) {
		notify_notification_update(entry->notification, reminder->summary, body, icon);
		notify_notification_clear_actions(entry->notification);
	} else {
		entry = g_new0(NotifierEntry, 1);
		entry->notifier = notifier;
		entry->patient_id = g_strdup(reminder->patient_id);
		entry->notification = notify_notification_new(reminder->summary, body, icon);
		created = true;
	}
	g_free(body);
	entry->regimen_id = reminder->regimen_id;
	entry->ordinal = reminder->ordinal;

	notify_notification_set_urgency(entry->notification,
					reminder->overdue ? NOTIFY_URGENCY_CRITICAL
							  : NOTIFY_URGENCY_NORMAL);
	notify_notification_set_category(entry->notification, NOTIFIER_CATEGORY_REMINDER);
	/* A dose reminder stays until it is acted on or dismissed: a normal
	 * notification would expire while the patient is away. */
	notify_notification_set_timeout(entry->notification, NOTIFY_EXPIRES_NEVER);
	if (actions) {
		notifier_add_action(entry, NOTIFIER_ACTION_LOG, "log", "Log dose");
		notifier_add_action(entry, NOTIFIER_ACTION_SNOOZE, "snooze", "Snooze");
	}

	if (!notify_notification_show(entry->notification, &error)) {
		notifier_failed(notifier, error);
		g_error_free(error);
		if (created) {
			g_object_unref(entry->notification);
			g_free(entry->patient_id);
			g_free(entry);
		}
		return false;
	}
	notifier_succeeded(notifier);
	if (created) {
		entry->closed_handler = g_signal_connect(entry->notification, "closed",
							 G_CALLBACK(notifier_on_closed), entry);
		g_hash_table_insert(notifier->open, entry->patient_id, entry);
	}
	return true;
}

bool notifier_open_dose(Notifier *notifier, const char *patient_id, gint64 *regimen_id,
			int *ordinal)
{
	NotifierEntry *entry = g_hash_table_lookup(notifier->open, patient_id);

	if (!entry)
		return false;
	*regimen_id = entry->regimen_id;
	*ordinal = entry->ordinal;
	return true;
}

char **notifier_open_patients(Notifier *notifier)
{
	GPtrArray *ids = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, notifier->open);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(ids, g_strdup(key));
	g_ptr_array_add(ids, NULL);
	return (char **)g_ptr_array_free(ids, FALSE);
}

/* Take the patient's entry out of the table, keeping its notification
 * (referenced) for the caller; NULL when none is open. */
static NotifyNotification *notifier_take(Notifier *notifier, const char *patient_id)
{
	NotifierEntry *entry = g_hash_table_lookup(notifier->open, patient_id);
	NotifyNotification *notification;

	if (!entry)
		return NULL;
	notification = g_object_ref(entry->notification);
	g_hash_table_remove(notifier->open, patient_id);
	return notification;
}

void notifier_close(Notifier *notifier, const char *patient_id)
{
	NotifyNotification *notification = notifier_take(notifier, patient_id);
	GError *error = NULL;

	if (!notification)
		return;
	/* The server may have closed it already (it went away, or the user
	 * was quicker): nothing to report then. */
	if (!notify_notification_close(notification, &error)) {
		log_debug("closing the reminder for %s: %s", patient_id, error->message);
		g_error_free(error);
	}
	g_object_unref(notification);
}

void notifier_show_message(Notifier *notifier, const char *patient_id, const char *summary,
			   const char *body, bool warning)
{
	NotifyNotification *notification = notifier_take(notifier, patient_id);
	const char *icon = warning ? NOTIFIER_ICON_REFUSED : NOTIFIER_ICON_LOGGED;
	bool actions, markup;
	GError *error = NULL;
	char *text;

	notifier_capabilities(&actions, &markup);
	text = markup ? g_markup_escape_text(body, -1) : g_strdup(body);
	if (notification) {
		/* In place of the reminder: the same id, so it replaces it. */
		notify_notification_clear_actions(notification);
		notify_notification_update(notification, summary, text, icon);
	} else {
		notification = notify_notification_new(summary, text, icon);
	}
	g_free(text);
	notify_notification_set_urgency(notification, NOTIFY_URGENCY_NORMAL);
	notify_notification_set_category(notification, warning ? NOTIFIER_CATEGORY_REFUSED
							       : NOTIFIER_CATEGORY_LOGGED);
	notify_notification_set_timeout(notification, NOTIFY_EXPIRES_DEFAULT);
	if (notify_notification_show(notification, &error)) {
		notifier_succeeded(notifier);
	} else {
		notifier_failed(notifier, error);
		g_error_free(error);
	}
	/* The server shows it on its own from here; nothing more to hear. */
	g_object_unref(notification);
}
