/* notify.c - desktop notifications with libnotify 0.8 (see notify.h).
 *
 * Which notification an id names (issue 12, item 1).  libnotify 0.8.1
 * matches the server's ActionInvoked and NotificationClosed signals to its
 * NotifyNotification objects by the numeric id alone (proxy_g_signal_cb()
 * in its notification.c), and an object keeps its id when its server goes
 * away.  A restarted server numbers from the start again, so an object
 * kept from the old one took the new one's signals for another patient:
 * "Log dose" on P5's reminder logged P3's dose too, a close meant for P5
 * forgot P3, and the stale id sent back (replaces_id, CloseNotification,
 * notify_uninit()'s closing of what is still open) replaced or closed
 * another patient's notification on the new server.
 *
 * So dosed takes from libnotify only the showing (the Notify call, as
 * before); which instance gave which id, and what the server says about
 * it, dosed reads from the bus itself:
 *   - who gave an id: the Notify reply's sender, the unique name of the
 *     connection that answered.  A filter on the connection reads it as
 *     the reply arrives, tied to the call by its serial, before
 *     notify_notification_show() returns (notifier_filter());
 *   - actions and closes: a subscription to the server's signals, whose
 *     callback has the signal's sender (notifier_on_server_signal());
 *     libnotify's own action callbacks do nothing;
 *   - a server that goes away: a subscription to NameOwnerChanged for the
 *     name (notifier_on_owner_changed()).
 *
 * Why nothing can be taken for the wrong notification:
 *   - an open reminder is kept as (U, k): U the unique name that answered
 *     the Notify call with k.  The bus writes the sender of every message,
 *     so neither a reply's nor a signal's can be forged, and unique names
 *     are never reused while the bus runs.  A server gives an id once (the
 *     spec: unique; a replacement in place keeps it, for the same
 *     patient), so (U, k) names one notification: the one the reminder
 *     was shown as.  A signal acts on the reminder kept as (its sender,
 *     its id), or on nothing: a signal of another server, of a restarted
 *     one, of another client or meant for another dosed cannot match;
 *   - and only while U owns the name.  When U loses it, the bus sends
 *     NameOwnerChanged before it routes anything U sends afterwards, and
 *     the connection keeps the bus's order: GDBus hands each signal to the
 *     main context as an idle source of one priority, in arrival order,
 *     and the main loop runs them in that order.  So every reminder U gave
 *     is dropped (lost, its NotifyNotification finalized, which
 *     disconnects it from libnotify's proxy, so that its id is neither
 *     matched nor sent again) before any later signal of U's is seen.
 *     Comparing U with the owner the bus names when the signal is handled
 *     would answer for now, not for when it was sent;
 *   - a Notify reply overtakes the signals queued before it (a synchronous
 *     call does not wait for the main context), which changes nothing:
 *     those are matched by their own senders too;
 *   - the filter and the subscriptions are set up on the connection that
 *     libnotify's proxy uses (g_bus_get(): the process's one session bus
 *     connection) before the first Notify call, so the bus applies the
 *     match rules before it routes that call.
 *
 * What goes out about an open reminder goes to the instance that gave its
 * id: a close is a call to that unique name (nothing happens if it is
 * gone); a replacement in place (libnotify sends it to the name's owner as
 * its proxy knows it) is made only when the bus answers, just before, that
 * the same instance owns the name; otherwise the old one is closed at its
 * instance and the reminder shown anew.  The one window left is a server
 * replaced between that answer and the Notify call, microseconds apart,
 * which could overwrite what the new server shows under that id; the reply
 * then says who answered, the reminder is kept under that server's id,
 * whatever else was kept under it is treated as lost, and actions stay
 * exact.
 */
#include "notify.h"

#include <string.h>

#include <gio/gio.h>
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

/* The Desktop Notifications spec's names. */
#define NOTIFIER_NAME              "org.freedesktop.Notifications"
#define NOTIFIER_PATH              "/org/freedesktop/Notifications"
#define NOTIFIER_INTERFACE         "org.freedesktop.Notifications"

/* Reminders closed or replaced by a message, remembered so that an action
 * chosen on one just before is answered: the newest this many. */
#define NOTIFIER_RETIRED_MAX       64

/* One patient's open reminder. */
typedef struct {
	char *patient_id;
	bool lost;                        /* its server went away: not shown */
	NotifyNotification *notification; /* NULL when lost */
	char *server;                     /* the unique name that gave `id`: NULL when
					   * lost, or when it could not be told */
	guint32 id;
	gint64 regimen_id;
	int ordinal;
} NotifierEntry;

/* A reminder no longer open, by the id it had. */
typedef struct {
	char *server;
	guint32 id;
	char *patient_id;
} NotifierRetired;

/* What the filter learns on the connection's worker thread: the answer to
 * the last Notify call sent.  Freed by the connection (after the filter's
 * last run), not by the notifier. */
typedef struct {
	GMutex lock;
	guint32 serial;         /* of the last Notify call sent; 0 none */
	char *sender;           /* who answered it (NULL: not yet) */
	guint32 id;             /* with which id */
} NotifierReplies;

struct Notifier {
	GHashTable *open;       /* patient id -> NotifierEntry */
	GQueue retired;         /* NotifierRetired, oldest first */
	GDBusConnection *bus;   /* the session bus, once connected */
	guint filter;
	NotifierReplies *replies;
	guint owner_changed;    /* subscriptions */
	guint server_signals;
	guint appeared;         /* idle source calling server_func */
	bool unavailable;       /* the last show failed, and that was logged */
	bool unknown_logged;    /* a reply nobody could be told from was logged */
	NotifierActionFunc func;
	NotifierServerFunc server_func;
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

/* ---- the bus ---------------------------------------------------------- */

/* On the connection's worker thread, for every message in and out: note
 * the serial of each Notify call sent and who answered it with which id.
 * Only the main thread sends Notify calls (libnotify is used from the
 * main loop only), one at a time and synchronously, so the last one sent
 * is the one notify_notification_show() is waiting on. */
static GDBusMessage *notifier_filter(GDBusConnection *bus, GDBusMessage *message,
				     gboolean incoming, gpointer data)
{
	NotifierReplies *replies = data;
	GDBusMessageType type = g_dbus_message_get_message_type(message);

	if (!incoming && type == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
	    g_strcmp0(g_dbus_message_get_interface(message), NOTIFIER_INTERFACE) == 0 &&
	    g_strcmp0(g_dbus_message_get_member(message), "Notify") == 0) {
		g_mutex_lock(&replies->lock);
		replies->serial = g_dbus_message_get_serial(message);
		g_clear_pointer(&replies->sender, g_free);
		g_mutex_unlock(&replies->lock);
	} else if (incoming && type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		GVariant *body = g_dbus_message_get_body(message);
		const char *sender = g_dbus_message_get_sender(message);

		g_mutex_lock(&replies->lock);
		if (replies->serial != 0 &&
		    g_dbus_message_get_reply_serial(message) == replies->serial && sender &&
		    body && g_variant_is_of_type(body, G_VARIANT_TYPE("(u)"))) {
			g_free(replies->sender);
			replies->sender = g_strdup(sender);
			g_variant_get(body, "(u)", &replies->id);
		}
		g_mutex_unlock(&replies->lock);
	}
	return message;
}

static void notifier_replies_free(gpointer data)
{
	NotifierReplies *replies = data;

	g_mutex_clear(&replies->lock);
	g_free(replies->sender);
	g_free(replies);
}

static void notifier_on_owner_changed(GDBusConnection *bus, const char *sender,
				      const char *path, const char *interface,
				      const char *signal, GVariant *parameters, gpointer data);
static void notifier_on_server_signal(GDBusConnection *bus, const char *sender,
				      const char *path, const char *interface,
				      const char *signal, GVariant *parameters, gpointer data);

/* The session bus, with the filter and the subscriptions, before the first
 * Notify call (see the top of this file). */
static bool notifier_connect(Notifier *notifier, GError **error)
{
	if (notifier->bus)
		return true;
	/* GLib finds the session bus through DBUS_SESSION_BUS_ADDRESS, then
	 * $XDG_RUNTIME_DIR/bus, then X11 autolaunch (which needs DISPLAY).
	 * With none of them, as in a system service (a clinic's dosed with
	 * reminders turned on), it fails all the same, but only after making
	 * $HOME/.cache in place of the missing runtime folder: for
	 * dosed.service, a stray folder in the state directory (issue 19). */
	if (!g_getenv("DBUS_SESSION_BUS_ADDRESS") && !g_getenv("XDG_RUNTIME_DIR") &&
	    !g_getenv("DISPLAY")) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "no session bus: none of DBUS_SESSION_BUS_ADDRESS, "
				    "XDG_RUNTIME_DIR and DISPLAY is set");
		return false;
	}
	notifier->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, error);
	if (!notifier->bus)
		return false;
	notifier->replies = g_new0(NotifierReplies, 1);
	g_mutex_init(&notifier->replies->lock);
	notifier->filter = g_dbus_connection_add_filter(notifier->bus, notifier_filter,
							notifier->replies, notifier_replies_free);
	/* Only the bus itself sends as org.freedesktop.DBus. */
	notifier->owner_changed = g_dbus_connection_signal_subscribe(
		notifier->bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
		"/org/freedesktop/DBus", NOTIFIER_NAME, G_DBUS_SIGNAL_FLAGS_NONE,
		notifier_on_owner_changed, notifier, NULL);
	/* Any sender: each signal is matched to the instance that sent it. */
	notifier->server_signals = g_dbus_connection_signal_subscribe(
		notifier->bus, NULL, NOTIFIER_INTERFACE, NULL, NOTIFIER_PATH, NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, notifier_on_server_signal, notifier, NULL);
	return true;
}

/* The unique name owning org.freedesktop.Notifications as the bus answers
 * now; NULL when none does (or the bus cannot say).  Newly allocated. */
static char *notifier_server_now(Notifier *notifier)
{
	GVariant *reply;
	char *owner = NULL;

	reply = g_dbus_connection_call_sync(notifier->bus, "org.freedesktop.DBus",
					    "/org/freedesktop/DBus", "org.freedesktop.DBus",
					    "GetNameOwner", g_variant_new("(s)", NOTIFIER_NAME),
					    G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
					    NULL);
	if (reply) {
		g_variant_get(reply, "(s)", &owner);
		g_variant_unref(reply);
	}
	return owner;
}

/* Close notification `id` at the instance that gave it, and nowhere else:
 * a call to its unique name, which fails when that instance is gone. */
static void notifier_close_at(Notifier *notifier, const char *server, guint32 id)
{
	GError *error = NULL;
	GVariant *reply;

	reply = g_dbus_connection_call_sync(notifier->bus, server, NOTIFIER_PATH,
					    NOTIFIER_INTERFACE, "CloseNotification",
					    g_variant_new("(u)", id), NULL,
					    G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
	if (reply) {
		g_variant_unref(reply);
		return;
	}
	/* The server may have closed it already (it went away, or the user
	 * was quicker): nothing to report then. */
	log_debug("closing notification %u of %s: %s", id, server, error->message);
	g_error_free(error);
}

/* Show `notification` and learn which instance gave which id: *server
 * (newly allocated) and *id.  *server is NULL when the answer could not be
 * told (which a D-Bus server cannot cause: a sandboxed libnotify would use
 * the portal); the notification is shown then, but nothing chosen on it is
 * acted on, and only libnotify can close it. */
static bool notifier_issue(Notifier *notifier, NotifyNotification *notification, char **server,
			   guint32 *id, GError **error)
{
	int shown_id = 0;

	*server = NULL;
	*id = 0;
	if (!notify_notification_show(notification, error))
		return false;
	g_object_get(notification, "id", &shown_id, NULL);
	g_mutex_lock(&notifier->replies->lock);
	if (notifier->replies->sender && notifier->replies->id == (guint32)shown_id) {
		*server = g_steal_pointer(&notifier->replies->sender);
		*id = notifier->replies->id;
	}
	notifier->replies->serial = 0;
	g_mutex_unlock(&notifier->replies->lock);
	if (!*server && !notifier->unknown_logged) {
		notifier->unknown_logged = true;
		log_warnx("cannot tell which notification server showed a reminder; its buttons "
			  "will do nothing");
	}
	return true;
}

/* ---- open reminders ---------------------------------------------------- */

static void notifier_retired_free(gpointer data)
{
	NotifierRetired *retired = data;

	g_free(retired->server);
	g_free(retired->patient_id);
	g_free(retired);
}

/* Remember that (server, id) was the patient's reminder: an action chosen
 * on it before the server heard of the change is then answered. */
static void notifier_retire(Notifier *notifier, const char *server, guint32 id,
			    const char *patient_id)
{
	NotifierRetired *retired;

	if (!server)
		return;
	retired = g_new0(NotifierRetired, 1);
	retired->server = g_strdup(server);
	retired->id = id;
	retired->patient_id = g_strdup(patient_id);
	g_queue_push_tail(&notifier->retired, retired);
	if (g_queue_get_length(&notifier->retired) > NOTIFIER_RETIRED_MAX)
		notifier_retired_free(g_queue_pop_head(&notifier->retired));
}

/* The entry is no longer on any server: its object dropped (finalized, so
 * libnotify neither matches nor closes its id again), its dose kept. */
static void notifier_entry_lose(NotifierEntry *entry)
{
	entry->lost = true;
	g_clear_object(&entry->notification);
	g_clear_pointer(&entry->server, g_free);
	entry->id = 0;
}

static void notifier_entry_free(gpointer data)
{
	NotifierEntry *entry = data;

	notifier_entry_lose(entry);
	g_free(entry->patient_id);
	g_free(entry);
}

/* Close the entry's notification where it is shown: at the instance that
 * gave its id, or (when that could not be told) through libnotify. */
static void notifier_entry_close(Notifier *notifier, NotifierEntry *entry)
{
	if (entry->server) {
		notifier_close_at(notifier, entry->server, entry->id);
		notifier_retire(notifier, entry->server, entry->id, entry->patient_id);
	} else if (entry->notification) {
		notify_notification_close(entry->notification, NULL);
	}
}

/* The open reminder that `server` showed as `id`, or NULL. */
static NotifierEntry *notifier_find(Notifier *notifier, const char *server, guint32 id)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, notifier->open);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		NotifierEntry *entry = value;

		if (entry->server && entry->id == id && strcmp(entry->server, server) == 0)
			return entry;
	}
	return NULL;
}

/* `server` just gave `id` to something else than `keep`: an entry kept
 * under that id no longer names what that server shows under it. */
static void notifier_claim(Notifier *notifier, const char *server, guint32 id,
			   NotifierEntry *keep)
{
	GHashTableIter iter;
	gpointer value;

	if (!server)
		return;
	g_hash_table_iter_init(&iter, notifier->open);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		NotifierEntry *entry = value;

		if (entry != keep && entry->server && entry->id == id &&
		    strcmp(entry->server, server) == 0) {
			log_info("the reminder for %s was replaced on the notification server; it "
				 "will be shown again", entry->patient_id);
			notifier_entry_lose(entry);
		}
	}
}

/* Whether the entry's notification can be replaced in place: shown, and
 * the instance that gave its id owns the name now (see the top). */
static bool notifier_replaceable(Notifier *notifier, const NotifierEntry *entry)
{
	int shown_id = 0;
	char *owner;
	bool same;

	if (!entry->notification || !entry->server)
		return false;
	/* libnotify's object still holds the id we know (a close it took
	 * from elsewhere would have cleared it). */
	g_object_get(entry->notification, "id", &shown_id, NULL);
	if ((guint32)shown_id != entry->id)
		return false;
	owner = notifier_server_now(notifier);
	same = g_strcmp0(owner, entry->server) == 0;
	g_free(owner);
	return same;
}

/* Ready the entry's notification for new content: kept for a replacement
 * in place, or else the old one closed at its instance and a new object
 * made.  The entry is lost until the new one is shown. */
static NotifyNotification *notifier_prepare(Notifier *notifier, NotifierEntry *entry,
					    const char *summary, const char *body,
					    const char *icon)
{
	if (entry && notifier_replaceable(notifier, entry)) {
		notify_notification_clear_actions(entry->notification);
		notify_notification_update(entry->notification, summary, body, icon);
		return g_object_ref(entry->notification);
	}
	if (entry) {
		notifier_entry_close(notifier, entry);
		notifier_entry_lose(entry);
	}
	return notify_notification_new(summary, body, icon);
}

/* ---- what the server says ---------------------------------------------- */

static gboolean notifier_appeared(gpointer data)
{
	Notifier *notifier = data;

	notifier->appeared = 0;
	if (notifier->server_func)
		notifier->server_func(notifier->data);
	return G_SOURCE_REMOVE;
}

/* NameOwnerChanged for org.freedesktop.Notifications: what the instance
 * that lost the name showed is gone with it. */
static void notifier_on_owner_changed(GDBusConnection *bus, const char *sender,
				      const char *path, const char *interface,
				      const char *signal, GVariant *parameters, gpointer data)
{
	Notifier *notifier = data;
	const char *name, *old_owner, *new_owner;
	GHashTableIter iter;
	gpointer value;
	guint lost = 0;

	if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sss)")))
		return;
	g_variant_get(parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
	if (*old_owner) {
		g_hash_table_iter_init(&iter, notifier->open);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			NotifierEntry *entry = value;

			if (entry->server && strcmp(entry->server, old_owner) == 0) {
				notifier_entry_lose(entry);
				lost++;
			}
		}
		/* Nothing it showed can be answered any more. */
		for (GList *l = notifier->retired.head, *next; l; l = next) {
			NotifierRetired *retired = l->data;

			next = l->next;
			if (strcmp(retired->server, old_owner) == 0) {
				notifier_retired_free(retired);
				g_queue_delete_link(&notifier->retired, l);
			}
		}
		if (lost > 0)
			log_info("the notification server went away with %u open reminder%s, to be "
				 "shown again", lost, lost == 1 ? "" : "s");
	}
	/* Through an idle source: libnotify's proxy hears of the new owner
	 * from this same message, in a source queued after this one, and must
	 * have before anything is shown. */
	if (*new_owner && !notifier->appeared)
		notifier->appeared = g_idle_add(notifier_appeared, notifier);
}

/* An action chosen on a reminder that is no longer open: nothing is done,
 * and the patient is told so. */
static void notifier_answer_retired(Notifier *notifier, const NotifierRetired *retired,
				    NotifierAction action)
{
	char *body;

	log_info("an action was chosen on a reminder for %s that was no longer open: "
		 "nothing was done", retired->patient_id);
	body = g_strdup_printf("That reminder for %s was no longer open (its dose was settled, "
			       "or it was acted on already), so nothing was done. "
			       "See: dosectl due", retired->patient_id);
	notifier_show_message(notifier, NULL,
			      action == NOTIFIER_ACTION_LOG ? "Dose not logged" : "Not snoozed",
			      body, true);
	g_free(body);
}

/* ActionInvoked and NotificationClosed, from whoever sent them: each
 * acts on the open reminder that sender showed with that id, or on
 * nothing. */
static void notifier_on_server_signal(GDBusConnection *bus, const char *sender,
				      const char *path, const char *interface,
				      const char *signal, GVariant *parameters, gpointer data)
{
	Notifier *notifier = data;
	NotifierEntry *entry;
	const char *key;
	guint32 id, reason;

	if (!sender)
		return;
	if (strcmp(signal, "NotificationClosed") == 0 &&
	    g_variant_is_of_type(parameters, G_VARIANT_TYPE("(uu)"))) {
		g_variant_get(parameters, "(uu)", &id, &reason);
		entry = notifier_find(notifier, sender, id);
		if (!entry)
			return;
		log_debug("the reminder for %s was closed (reason %u)", entry->patient_id, reason);
		g_hash_table_remove(notifier->open, entry->patient_id);
	} else if (strcmp(signal, "ActionInvoked") == 0 &&
		   g_variant_is_of_type(parameters, G_VARIANT_TYPE("(us)"))) {
		NotifierAction action;

		g_variant_get(parameters, "(u&s)", &id, &key);
		if (strcmp(key, "log") == 0)
			action = NOTIFIER_ACTION_LOG;
		else if (strcmp(key, "snooze") == 0)
			action = NOTIFIER_ACTION_SNOOZE;
		else
			return;
		entry = notifier_find(notifier, sender, id);
		if (entry) {
			/* Copies: the callee closes or replaces the entry. */
			char *patient_id = g_strdup(entry->patient_id);

			notifier->func(action, patient_id, entry->regimen_id, entry->ordinal,
				       notifier->data);
			g_free(patient_id);
			return;
		}
		for (GList *l = notifier->retired.tail; l; l = l->prev) {
			NotifierRetired *retired = l->data;

			if (retired->id == id && strcmp(retired->server, sender) == 0) {
				notifier_answer_retired(notifier, retired, action);
				return;
			}
		}
		/* Another program's, or another dosed's. */
		log_debug("action %s on notification %u of %s: not a reminder of ours", key, id,
			  sender);
	}
}

/* libnotify needs a callback to send an action with a notification; what
 * the server says is taken from the bus instead (see the top). */
static void notifier_on_libnotify_action(NotifyNotification *notification, char *action,
					 gpointer data)
{
}

/* ---- the notifier ------------------------------------------------------ */

Notifier *notifier_create(NotifierActionFunc func, NotifierServerFunc server_func, void *data)
{
	Notifier *notifier = g_new0(Notifier, 1);

	/* The app name of SPEC 4; notify_init() only records it. */
	notify_init("dosed");
	notifier->open = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       notifier_entry_free);
	g_queue_init(&notifier->retired);
	notifier->func = func;
	notifier->server_func = server_func;
	notifier->data = data;
	return notifier;
}

void notifier_destroy(Notifier *notifier)
{
	GHashTableIter iter;
	gpointer value;

	if (!notifier)
		return;
	if (notifier->appeared)
		g_source_remove(notifier->appeared);
	g_hash_table_iter_init(&iter, notifier->open);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		notifier_entry_close(notifier, value);
	/* Every object finalized before notify_uninit(), which would close
	 * what is left by its id, wherever its proxy points. */
	g_hash_table_destroy(notifier->open);
	g_queue_clear_full(&notifier->retired, notifier_retired_free);
	if (notifier->bus) {
		g_dbus_connection_signal_unsubscribe(notifier->bus, notifier->owner_changed);
		g_dbus_connection_signal_unsubscribe(notifier->bus, notifier->server_signals);
		/* The replies are freed by the connection once the filter is
		 * done with them. */
		g_dbus_connection_remove_filter(notifier->bus, notifier->filter);
		g_object_unref(notifier->bus);
	}
	notify_uninit();
	g_free(notifier);
}

bool notifier_show_reminder(Notifier *notifier, const NotifierReminder *reminder)
{
	NotifierEntry *entry = g_hash_table_lookup(notifier->open, reminder->patient_id);
	const char *icon = reminder->overdue ? NOTIFIER_ICON_OVERDUE : NOTIFIER_ICON_DUE;
	NotifyNotification *notification;
	bool actions, markup;
	GError *error = NULL;
	char *body, *server;
	guint32 id;

	if (!notifier_connect(notifier, &error)) {
		notifier_failed(notifier, error);
		g_error_free(error);
		return false;
	}
	notifier_capabilities(&actions, &markup);
	body = notifier_reminder_body(reminder, actions, markup);
	notification = notifier_prepare(notifier, entry, reminder->summary, body, icon);
	g_free(body);

	notify_notification_set_urgency(notification, reminder->overdue ? NOTIFY_URGENCY_CRITICAL
									: NOTIFY_URGENCY_NORMAL);
	notify_notification_set_category(notification, NOTIFIER_CATEGORY_REMINDER);
	/* A dose reminder stays until it is acted on or dismissed: a normal
	 * notification would expire while the patient is away. */
	notify_notification_set_timeout(notification, NOTIFY_EXPIRES_NEVER);
	if (actions) {
		notify_notification_add_action(notification, "log", "Log dose",
					       notifier_on_libnotify_action, NULL, NULL);
		notify_notification_add_action(notification, "snooze", "Snooze",
					       notifier_on_libnotify_action, NULL, NULL);
	}

	if (!notifier_issue(notifier, notification, &server, &id, &error)) {
		/* A replacement that failed leaves the old one as it was (if
		 * its server went away, the name's change says so). */
		notifier_failed(notifier, error);
		g_error_free(error);
		g_object_unref(notification);
		return false;
	}
	notifier_succeeded(notifier);
	notifier_claim(notifier, server, id, entry);
	if (!entry) {
		entry = g_new0(NotifierEntry, 1);
		entry->patient_id = g_strdup(reminder->patient_id);
		g_hash_table_insert(notifier->open, entry->patient_id, entry);
	}
	if (entry->notification != notification) {
		g_clear_object(&entry->notification);
		entry->notification = g_object_ref(notification);
	}
	entry->lost = false;
	g_free(entry->server);
	entry->server = server;
	entry->id = id;
	entry->regimen_id = reminder->regimen_id;
	entry->ordinal = reminder->ordinal;
	g_object_unref(notification);
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

static char **notifier_patients(Notifier *notifier, bool lost_only)
{
	GPtrArray *ids = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, notifier->open);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const NotifierEntry *entry = value;

		if (!lost_only || entry->lost)
			g_ptr_array_add(ids, g_strdup(key));
	}
	g_ptr_array_add(ids, NULL);
	return (char **)g_ptr_array_free(ids, FALSE);
}

char **notifier_open_patients(Notifier *notifier)
{
	return notifier_patients(notifier, false);
}

char **notifier_lost_patients(Notifier *notifier)
{
	return notifier_patients(notifier, true);
}

void notifier_close(Notifier *notifier, const char *patient_id)
{
	NotifierEntry *entry = g_hash_table_lookup(notifier->open, patient_id);

	if (!entry)
		return;
	notifier_entry_close(notifier, entry);
	g_hash_table_remove(notifier->open, patient_id);
}

void notifier_show_message(Notifier *notifier, const char *patient_id, const char *summary,
			   const char *body, bool warning)
{
	NotifierEntry *entry = patient_id ? g_hash_table_lookup(notifier->open, patient_id) : NULL;
	const char *icon = warning ? NOTIFIER_ICON_REFUSED : NOTIFIER_ICON_LOGGED;
	NotifyNotification *notification;
	bool actions, markup;
	GError *error = NULL;
	char *text, *server;
	guint32 id;

	if (!notifier_connect(notifier, &error)) {
		notifier_failed(notifier, error);
		g_error_free(error);
		return;
	}
	notifier_capabilities(&actions, &markup);
	text = markup ? g_markup_escape_text(body, -1) : g_strdup(body);
	/* In place of the reminder when its server still shows it: the same
	 * id, so it replaces it. */
	notification = notifier_prepare(notifier, entry, summary, text, icon);
	g_free(text);
	if (entry) {
		/* The reminder is answered: an action on it from now on is
		 * told so. */
		if (entry->server)
			notifier_retire(notifier, entry->server, entry->id, entry->patient_id);
		g_hash_table_remove(notifier->open, patient_id);
	}
	notify_notification_set_urgency(notification, NOTIFY_URGENCY_NORMAL);
	notify_notification_set_category(notification, warning ? NOTIFIER_CATEGORY_REFUSED
							       : NOTIFIER_CATEGORY_LOGGED);
	notify_notification_set_timeout(notification, NOTIFY_EXPIRES_DEFAULT);
	if (notifier_issue(notifier, notification, &server, &id, &error)) {
		notifier_succeeded(notifier);
		notifier_claim(notifier, server, id, NULL);
		g_free(server);
	} else {
		notifier_failed(notifier, error);
		g_error_free(error);
	}
	/* The server shows it on its own from here; nothing more to hear. */
	g_object_unref(notification);
}
