/* test_daemon_notify.c - an action acts on exactly the notification it was
 * chosen on (issue 12, item 1): the notifier on a private D-Bus session bus
 * (GTestDBus runs a real dbus-daemon), through the real libnotify, against
 * stand-in notification servers, each on a thread of its own with its own
 * connection.  tests/e2e/daemon_reminders_server.sh does the same with a
 * real dunst; here the servers do what dunst cannot be made to do on
 * cue: stay alive after another took the name, number from 1 again, give
 * one id twice, send an action on a reminder just answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gio/gio.h>

#include "notify.h"

#define NAME      "org.freedesktop.Notifications"
#define PATH      "/org/freedesktop/Notifications"
#define INTERFACE "org.freedesktop.Notifications"

static const char server_xml[] =
	"<node><interface name='org.freedesktop.Notifications'>"
	"<method name='Notify'>"
	"<arg type='s' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='s' direction='in'/><arg type='s' direction='in'/>"
	"<arg type='s' direction='in'/><arg type='as' direction='in'/>"
	"<arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='u' direction='out'/></method>"
	"<method name='CloseNotification'><arg type='u' direction='in'/></method>"
	"<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
	"<method name='GetServerInformation'>"
	"<arg type='s' direction='out'/><arg type='s' direction='out'/>"
	"<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
	"<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
	"<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
	"</interface></node>";

/* ---- a stand-in notification server ---------------------------------- */

typedef struct {
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	GDBusConnection *connection;
	char *unique_name;
	GMutex lock;
	GCond ready;
	bool started;
	guint32 last_id;        /* ids from 1, as after a restart */
	guint32 fixed_id;       /* when set, every Notify gets it */
	GPtrArray *calls;       /* "Notify REPLACES SUMMARY | BODY", "Close ID" */
} Server;

static void server_method(GDBusConnection *connection, const char *sender, const char *path,
			  const char *interface, const char *method, GVariant *parameters,
			  GDBusMethodInvocation *invocation, gpointer data)
{
	Server *server = data;

	g_mutex_lock(&server->lock);
	if (strcmp(method, "Notify") == 0) {
		const char *summary, *body;
		guint32 replaces, id;

		g_variant_get(parameters, "(&su&s&s&s@as@a{sv}i)", NULL, &replaces, NULL, &summary,
			      &body, NULL, NULL, NULL);
		id = replaces ? replaces : server->fixed_id ? server->fixed_id : ++server->last_id;
		g_ptr_array_add(server->calls,
				g_strdup_printf("Notify %u %s | %s", replaces, summary, body));
		g_dbus_method_invocation_return_value(invocation, g_variant_new("(u)", id));
	} else if (strcmp(method, "CloseNotification") == 0) {
		guint32 id;

		g_variant_get(parameters, "(u)", &id);
		g_ptr_array_add(server->calls, g_strdup_printf("Close %u", id));
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else if (strcmp(method, "GetCapabilities") == 0) {
		const char *caps[] = { "actions", "body", NULL };

		g_dbus_method_invocation_return_value(invocation,
						      g_variant_new("(^as)", (char **)caps));
	} else {
		g_dbus_method_invocation_return_value(
			invocation, g_variant_new("(ssss)", "stand-in", "dosed tests", "1", "1.2"));
	}
	g_mutex_unlock(&server->lock);
}

static const GDBusInterfaceVTable server_vtable = { server_method, NULL, NULL, { 0 } };

/* The server's thread: its connection, its object, the name (letting a
 * later server take it, and not queueing for it back), then its loop. */
static gpointer server_run(gpointer data)
{
	Server *server = data;
	GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(server_xml, NULL);
	GError *error = NULL;
	GVariant *reply;

	g_main_context_push_thread_default(server->context);
	server->connection = g_dbus_connection_new_for_address_sync(
		g_getenv("DBUS_SESSION_BUS_ADDRESS"),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);
	g_dbus_connection_register_object(server->connection, PATH, node->interfaces[0],
					  &server_vtable, server, NULL, &error);
	g_assert_no_error(error);
	/* DBUS_NAME_FLAG_ALLOW_REPLACEMENT | REPLACE_EXISTING | DO_NOT_QUEUE */
	reply = g_dbus_connection_call_sync(server->connection, "org.freedesktop.DBus",
					    "/org/freedesktop/DBus", "org.freedesktop.DBus",
					    "RequestName", g_variant_new("(su)", NAME, 1u | 2u | 4u),
					    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
					    &error);
	g_assert_no_error(error);
	g_variant_unref(reply);
	g_dbus_node_info_unref(node);

	g_mutex_lock(&server->lock);
	server->unique_name = g_strdup(g_dbus_connection_get_unique_name(server->connection));
	server->started = true;
	g_cond_signal(&server->ready);
	g_mutex_unlock(&server->lock);
	g_main_loop_run(server->loop);
	g_dbus_connection_close_sync(server->connection, NULL, NULL);
	g_object_unref(server->connection);
	g_main_context_pop_thread_default(server->context);
	return NULL;
}

static Server *server_start(void)
{
	Server *server = g_new0(Server, 1);

	server->context = g_main_context_new();
	server->loop = g_main_loop_new(server->context, FALSE);
	server->calls = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&server->lock);
	g_cond_init(&server->ready);
	server->thread = g_thread_new("server", server_run, server);
	g_mutex_lock(&server->lock);
	while (!server->started)
		g_cond_wait(&server->ready, &server->lock);
	g_mutex_unlock(&server->lock);
	return server;
}

static void server_stop(Server *server)
{
	g_main_loop_quit(server->loop);
	g_thread_join(server->thread);
	g_main_loop_unref(server->loop);
	g_main_context_unref(server->context);
	g_ptr_array_unref(server->calls);
	g_mutex_clear(&server->lock);
	g_cond_clear(&server->ready);
	g_free(server->unique_name);
	g_free(server);
}

/* The server's calls so far, one a line, and forgotten. */
static char *server_calls(Server *server)
{
	char *text;

	g_mutex_lock(&server->lock);
	g_ptr_array_add(server->calls, NULL);
	text = g_strjoinv("\n", (char **)server->calls->pdata);
	g_ptr_array_set_size(server->calls, 0);
	g_mutex_unlock(&server->lock);
	return text;
}

/* A round trip from `connection` to the bus: when it is back, the bus has
 * routed every message the connection sent before. */
static void round_trip(GDBusConnection *connection)
{
	GError *error = NULL;
	GVariant *reply;

	reply = g_dbus_connection_call_sync(connection, "org.freedesktop.DBus",
					    "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
					    NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
	g_assert_no_error(error);
	g_variant_unref(reply);
}

/* A signal as `from` sends it (a server, or any other connection), to
 * everyone; routed by the bus on return. */
static void emit(GDBusConnection *from, const char *signal, GVariant *parameters)
{
	GError *error = NULL;

	g_dbus_connection_emit_signal(from, NULL, PATH, INTERFACE, signal, parameters, &error);
	g_assert_no_error(error);
	round_trip(from);
}

/* ---- the notifier under test ------------------------------------------- */

typedef struct {
	Notifier *notifier;
	GString *actions;       /* "log P1;" ... as the notifier called back */
	int servers_seen;       /* NotifierServerFunc calls */
	GDBusConnection *other; /* a client that is no server */
} Fixture;

static void on_action(NotifierAction action, const char *patient_id, gint64 regimen_id,
		      int ordinal, void *data)
{
	Fixture *f = data;

	g_string_append_printf(f->actions, "%s %s;", action == NOTIFIER_ACTION_LOG ? "log" : "snooze",
			       patient_id);
}

static void on_server(void *data)
{
	Fixture *f = data;

	f->servers_seen++;
}

/* Run the main loop until `done` holds, or fail after 5 s. */
#define run_until(done) \
	do { \
		gint64 deadline_ = g_get_monotonic_time() + 5 * G_USEC_PER_SEC; \
		while (!(done)) { \
			if (g_get_monotonic_time() > deadline_) \
				fail_msg("timed out waiting for: %s", #done); \
			g_main_context_iteration(NULL, FALSE); \
			g_usleep(1000); \
		} \
	} while (0)

/* Let what the bus has routed arrive: the answer to a round trip from the
 * notifier's connection comes after every message the bus sent it before,
 * and then the main loop runs what they queued. */
static void settle(void)
{
	GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);

	round_trip(bus);
	g_object_unref(bus);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static NotifierReminder reminder_for(const char *patient_id, int ordinal)
{
	NotifierReminder reminder = {
		.summary = "Hydroxocobalamin 1 mg due today",
		.patient_id = patient_id,
		.patient_name = patient_id,
		.phase_name = "loading",
		.dose_in_phase = ordinal,
		.regimen_id = 1,
		.ordinal = ordinal,
	};

	return reminder;
}

static void show(Fixture *f, const char *patient_id)
{
	NotifierReminder reminder = reminder_for(patient_id, 1);

	assert_true(notifier_show_reminder(f->notifier, &reminder));
}

static char *lost(Fixture *f)
{
	char **ids = notifier_lost_patients(f->notifier);
	char *text = g_strjoinv(",", ids);

	g_strfreev(ids);
	return text;
}

static int setup(void **state)
{
	Fixture *f = g_new0(Fixture, 1);

	f->actions = g_string_new(NULL);
	f->notifier = notifier_create(on_action, on_server, f);
	f->other = g_dbus_connection_new_for_address_sync(
		g_getenv("DBUS_SESSION_BUS_ADDRESS"),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, NULL);
	assert_non_null(f->other);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;

	notifier_destroy(f->notifier);
	g_dbus_connection_close_sync(f->other, NULL, NULL);
	g_object_unref(f->other);
	g_string_free(f->actions, TRUE);
	g_free(f);
	settle();
	return 0;
}

/* ---- the tests ----------------------------------------------------------- */

/* An action acts on the reminder the server showed under that id, and a
 * client that is not the server is not heard, whatever id it names. */
static void test_action_from_the_server_that_showed_it(void **state)
{
	Fixture *f = *state;
	Server *a = server_start();
	g_autofree char *calls = NULL;

	show(f, "P1");
	show(f, "P2");
	calls = server_calls(a);
	assert_string_equal(calls, "Notify 0 Hydroxocobalamin 1 mg due today | P1\n"
				   "Dose 1 of the loading phase\n"
				   "Notify 0 Hydroxocobalamin 1 mg due today | P2\n"
				   "Dose 1 of the loading phase");

	emit(f->other, "ActionInvoked", g_variant_new("(us)", 2, "log"));
	emit(f->other, "ActionInvoked", g_variant_new("(us)", 1, "snooze"));
	emit(a->connection, "ActionInvoked", g_variant_new("(us)", 2, "log"));
	run_until(f->actions->len > 0);
	settle();
	assert_string_equal(f->actions->str, "log P2;");
	notifier_close(f->notifier, "P1");
	notifier_close(f->notifier, "P2");
	server_stop(a);
}

/* A server that gave way to another stays alive and keeps sending: its
 * reminders are lost at once and it is heard no more; the new one numbers
 * from 1 again, and its ids name only what it showed. */
static void test_replaced_server(void **state)
{
	Fixture *f = *state;
	Server *a = server_start(), *b;
	g_autofree char *a_calls = NULL, *b_calls = NULL, *lost1 = NULL, *lost2 = NULL;

	show(f, "P1");
	b = server_start();
	run_until(f->servers_seen > 0);
	lost1 = lost(f);
	assert_string_equal(lost1, "P1");
	show(f, "P2");
	/* B's 1 is P2's.  A, alive, sends an action on its 1 (P1's). */
	emit(a->connection, "ActionInvoked", g_variant_new("(us)", 1, "log"));
	emit(a->connection, "NotificationClosed", g_variant_new("(uu)", 1, 2));
	emit(b->connection, "ActionInvoked", g_variant_new("(us)", 1, "snooze"));
	run_until(f->actions->len > 0);
	settle();
	assert_string_equal(f->actions->str, "snooze P2;");

	/* Closing P2 reaches B, not A; P1, lost, is shown anew on B. */
	notifier_close(f->notifier, "P2");
	show(f, "P1");
	lost2 = lost(f);
	assert_string_equal(lost2, "");
	notifier_show_message(f->notifier, "P1", "Logged: Hydroxocobalamin 1 mg, dose #1", "P1",
			      false);
	a_calls = server_calls(a);
	b_calls = server_calls(b);
	assert_string_equal(a_calls, "Notify 0 Hydroxocobalamin 1 mg due today | P1\n"
				     "Dose 1 of the loading phase");
	assert_string_equal(b_calls, "Notify 0 Hydroxocobalamin 1 mg due today | P2\n"
				     "Dose 1 of the loading phase\n"
				     "Close 1\n"
				     "Notify 0 Hydroxocobalamin 1 mg due today | P1\n"
				     "Dose 1 of the loading phase\n"
				     "Notify 2 Logged: Hydroxocobalamin 1 mg, dose #1 | P1");
	server_stop(b);
	server_stop(a);
}

/* "Log dose" chosen again on a reminder already answered (its
 * confirmation in its place): nothing is done, and a message says so. */
static void test_action_on_an_answered_reminder(void **state)
{
	Fixture *f = *state;
	Server *a = server_start();
	g_autofree char *calls = NULL;

	show(f, "P1");
	notifier_show_message(f->notifier, "P1", "Logged: Hydroxocobalamin 1 mg, dose #1", "P1",
			      false);
	emit(a->connection, "ActionInvoked", g_variant_new("(us)", 1, "log"));
	settle();
	assert_string_equal(f->actions->str, "");
	calls = server_calls(a);
	assert_string_equal(calls,
			    "Notify 0 Hydroxocobalamin 1 mg due today | P1\n"
			    "Dose 1 of the loading phase\n"
			    "Notify 1 Logged: Hydroxocobalamin 1 mg, dose #1 | P1\n"
			    "Notify 0 Dose not logged | That reminder for P1 was no longer open (its "
			    "dose was settled, or it was acted on already), so nothing was done. "
			    "See: dosectl due");
	server_stop(a);
}

/* A server that gives one id twice: the later reminder has it, and the
 * earlier, no longer named by it, is lost (to be shown again). */
static void test_one_id_twice(void **state)
{
	Fixture *f = *state;
	Server *a = server_start();
	g_autofree char *lost1 = NULL;

	a->fixed_id = 7;
	show(f, "P1");
	show(f, "P2");
	lost1 = lost(f);
	assert_string_equal(lost1, "P1");
	emit(a->connection, "ActionInvoked", g_variant_new("(us)", 7, "log"));
	run_until(f->actions->len > 0);
	settle();
	assert_string_equal(f->actions->str, "log P2;");
	notifier_close(f->notifier, "P2");
	server_stop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_action_from_the_server_that_showed_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_replaced_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_on_an_answered_reminder, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_id_twice, setup, teardown),
	};
	GTestDBus *bus;
	int failed;

	/* A private bus, with no service files: nothing is activated. */
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	g_test_dbus_down(bus);
	g_object_unref(bus);
	return failed;
}
