/* notify-once.c - a stand-in desktop notification server for tests/system/run.
 *
 *   notify-once [TEXT]
 *
 * The container that boots dosed has no display, so no real notification
 * server (dunst needs X): this one takes org.freedesktop.Notifications on
 * the session bus ($DBUS_SESSION_BUS_ADDRESS), prints each notification it
 * is sent as one line, "APP<TAB>SUMMARY<TAB>BODY" (the body's newlines as
 * " / "), answers it, and exits 0 after the first whose summary or body
 * holds TEXT (any, without TEXT).  A test runs it under a timeout and so
 * waits on the event itself.  Exit 1 when it cannot take the name or
 * reach the bus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"

static const char introspection[] =
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

static GMainLoop *loop;
static guint32 last_id;
static const char *awaited;
static int status = 1;

static void on_method(GDBusConnection *connection, const char *sender, const char *path,
		      const char *interface, const char *method, GVariant *parameters,
		      GDBusMethodInvocation *invocation, gpointer data)
{
	if (strcmp(method, "Notify") == 0) {
		const char *app, *summary, *body;
		char **lines;
		char *flat;

		g_variant_get(parameters, "(&su&s&s&s@as@a{sv}i)", &app, NULL, NULL, &summary,
			      &body, NULL, NULL, NULL);
		lines = g_strsplit(body, "\n", -1);
		flat = g_strjoinv(" / ", lines);
		printf("%s\t%s\t%s\n", app, summary, flat);
		fflush(stdout);
		g_strfreev(lines);
		g_dbus_method_invocation_return_value(invocation, g_variant_new("(u)", ++last_id));
		if (!awaited || strstr(summary, awaited) || strstr(flat, awaited)) {
			/* The answer out before the name goes with the process. */
			g_dbus_connection_flush_sync(connection, NULL, NULL);
			status = 0;
			g_main_loop_quit(loop);
		}
		g_free(flat);
	} else if (strcmp(method, "GetCapabilities") == 0) {
		const char *caps[] = { "actions", "body", NULL };

		g_dbus_method_invocation_return_value(invocation,
						      g_variant_new("(^as)", (char **)caps));
	} else if (strcmp(method, "GetServerInformation") == 0) {
		g_dbus_method_invocation_return_value(
			invocation, g_variant_new("(ssss)", "notify-once", "dosed tests", "1", "1.2"));
	} else {
		g_dbus_method_invocation_return_value(invocation, NULL);
	}
}

static const GDBusInterfaceVTable vtable = { on_method, NULL, NULL, { 0 } };

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer data)
{
	fprintf(stderr, "notify-once: cannot own %s (another server has it, or no bus)\n", name);
	g_main_loop_quit(loop);
}

int main(int argc, char **argv)
{
	GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(introspection, NULL);
	GError *error = NULL;
	GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);

	awaited = argc > 1 ? argv[1] : NULL;
	if (!bus) {
		fprintf(stderr, "notify-once: no session bus: %s\n", error->message);
		return 1;
	}
	if (!g_dbus_connection_register_object(bus, NOTIFY_PATH, node->interfaces[0], &vtable,
					       NULL, NULL, &error)) {
		fprintf(stderr, "notify-once: %s\n", error->message);
		return 1;
	}
	loop = g_main_loop_new(NULL, FALSE);
	g_bus_own_name_on_connection(bus, NOTIFY_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, NULL,
				     on_name_lost, NULL, NULL);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	g_object_unref(bus);
	g_dbus_node_info_unref(node);
	return status;
}
