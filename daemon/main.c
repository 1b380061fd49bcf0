/* main.c - dosed: options, the main loop, signals, reload (SPEC 4).
 *
 * One GLib main loop on the main thread handles the signals, the change
 * watch on the database, the reminder alarm and the notifications'
 * actions; the feed server answers in libmicrohttpd's own threads, one
 * per CPU (http.c says why).  Nothing here wakes up on a period: an idle daemon sleeps
 * until a signal, a change in the database, a client, or the moment the
 * next reminder is owed (reminders.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "error.h"
#include "feeds.h"
#include "http.h"
#include "log.h"
#include "protocol.h"
#include "reminders.h"
#include "store.h"
#include "timeutil.h"
#include "watch.h"

typedef struct {
	GMainLoop *loop;
	const char *config_arg;     /* -c, --config */
	const char *db_arg;         /* --db */
	DosedConfig *config;
	DosedCatalogue *catalogue;
	DosedStore *store;          /* the main loop's connection */
	gint64 data_version;        /* of store, at the last look */
	gint64 audit_mark;          /* store_last_change(), at the last look */
	FeedsCache *feeds;
	HttpServer *http;
	Watch *watch;
	Reminders *reminders;
	guint signal_sources[3];
} Daemon;

/* ---- configuration --------------------------------------------------- */

/* Read the config and the protocol catalogue it names, into new objects:
 * both or neither (mako's way: a reload swaps them in only if both
 * parsed). */
static bool daemon_load_config(const char *config_arg, DosedConfig **config,
			       DosedCatalogue **catalogue, GError **error)
{
	char *path = NULL;
	bool system = false;

	config_locate(config_arg, &path, &system);
	*config = config_load(path, system, error);
	g_free(path);
	if (!*config)
		return false;
	*catalogue = catalogue_load((const char *const *)(*config)->protocol_paths, error);
	if (!*catalogue) {
		g_clear_pointer(config, config_destroy);
		return false;
	}
	return true;
}

static const char *daemon_config_name(const DosedConfig *config)
{
	return config->path ? config->path : "(no file: built-in defaults)";
}

/* What is allowed but most likely a mistake: at --check-config, at start
 * and at each reload (a unit's only reader may be the journal). */
static void daemon_warn_config(const DosedConfig *config)
{
	char *warning = config_base_url_warning(config);

	if (warning)
		log_warnx("%s: %s", daemon_config_name(config), warning);
	g_free(warning);
}

/* ---- changes in the database ----------------------------------------- */

/* The change watch saw the database's files written.  PRAGMA data_version
 * tells whether another connection committed since the last look, and the
 * audit trail whether that was a change someone made: then the tokens are
 * read again (a rotated one must 404 at once), every cached feed is
 * dropped and the reminders are planned again.  The HTTP threads' own
 * writes (event states, saved after a render) move data_version but not
 * the audit trail: taken for changes, each first render of a feed threw
 * away every cached feed and planned every reminder again
 * (bench/NOTES.md). */
static void daemon_database_changed(void *data)
{
	Daemon *daemon = data;
	GError *error = NULL;
	GPtrArray *tokens;
	gint64 version, mark;

	if (!store_data_version(daemon->store, &version, &error)) {
		log_warnx("cannot tell whether the database changed: %s", error->message);
		g_error_free(error);
		return;
	}
	if (version == daemon->data_version)
		return;
	daemon->data_version = version;
	if (!store_last_change(daemon->store, &mark, &error)) {
		/* Take it for a change: the worst is one more render. */
		log_warnx("cannot tell whether the database changed: %s", error->message);
		g_clear_error(&error);
	} else if (mark == daemon->audit_mark) {
		/* Event states, nearly always the render thread's own.  Those
		 * dosectl feed saves are read again at the next change: read
		 * here, every first render of a feed would read every saved
		 * state back (a million rows for a clinic's feeds). */
		log_debug("the database was written, with no change to show (feed states)");
		return;
	} else {
		daemon->audit_mark = mark;
	}
	log_debug("the database changed: reading the feed tokens again");

	tokens = store_load_feed_tokens(daemon->store, &error);
	if (tokens) {
		feeds_set_tokens(daemon->feeds, tokens);
	} else {
		log_warnx("cannot read the feed tokens, keeping the previous ones: %s",
			  error->message);
		g_clear_error(&error);
	}
	feeds_invalidate(daemon->feeds);
	/* A dose logged, a patient enrolled or stopped: compute the next
	 * reminder again and re-arm the one alarm, as dunst does after any
	 * change (and close the notification of a dose logged elsewhere). */
	reminders_update(daemon->reminders);
}

/* A dose logged from a notification, on the daemon's own connection,
 * whose commits the change watch does not see: the feeds show it at once.
 * (The audit mark is left as it was: a change another program committed
 * meanwhile must still be seen as one.) */
static void daemon_dose_logged(void *data)
{
	Daemon *daemon = data;

	feeds_invalidate(daemon->feeds);
}

/* ---- signals --------------------------------------------------------- */

/* Type=notify units (systemd/): READY=1 once the feeds are served, and a
 * STATUS= line systemctl status shows.  Without systemd this does nothing. */
static void daemon_notify_ready(Daemon *daemon)
{
	sd_notifyf(0, "READY=1\nSTATUS=serving feeds on %s; reminders %s",
		   http_listen(daemon->http),
		   daemon->config->reminders_enabled ? "on" : "off");
}

static gboolean daemon_on_stop(gpointer data)
{
	Daemon *daemon = data;

	log_info("stopping");
	sd_notify(0, "STOPPING=1");
	g_main_loop_quit(daemon->loop);
	return G_SOURCE_CONTINUE;
}

/* SIGHUP: read the config and protocols again; keep the running ones if
 * either fails.  A new listen address starts a new server before the old
 * one stops, so a bad address leaves the feeds served where they were. */
static gboolean daemon_on_reload(gpointer data)
{
	Daemon *daemon = data;
	DosedConfig *config;
	DosedCatalogue *catalogue;
	GError *error = NULL;

	/* systemctl reload waits for READY=1 after RELOADING=1. */
	sd_notify(0, "RELOADING=1");
	if (!daemon_load_config(daemon->config_arg, &config, &catalogue, &error)) {
		log_warnx("reload failed, keeping the running configuration: %s",
			  error->message);
		sd_notifyf(0, "READY=1\nSTATUS=reload failed, running the previous "
			   "configuration: %s", error->message);
		g_error_free(error);
		return G_SOURCE_CONTINUE;
	}
	if (!daemon->db_arg && g_strcmp0(config->store_path, daemon->config->store_path) != 0)
		log_warnx("[store] path is now %s; restart dosed to use it (still using %s)",
			  config->store_path, store_path(daemon->store));
	if (strcmp(config->feed_listen, http_listen(daemon->http)) != 0) {
		HttpServer *http = http_start(config->feed_listen, daemon->feeds, &error);

		if (http) {
			http_stop(daemon->http);
			daemon->http = http;
			log_info("serving feeds on %s", config->feed_listen);
		} else {
			log_warnx("%s; still serving feeds on %s", error->message,
				  http_listen(daemon->http));
			g_clear_error(&error);
		}
	}
	feeds_configure(daemon->feeds, config);
	reminders_configure(daemon->reminders, config);
	config_destroy(daemon->config);
	catalogue_destroy(daemon->catalogue);
	daemon->config = config;
	daemon->catalogue = catalogue;
	log_info("configuration reloaded from %s (%zu protocols)", daemon_config_name(config),
		 catalogue_size(catalogue));
	daemon_warn_config(config);
	/* [reminders] may have changed: `at`, `enabled`... */
	reminders_update(daemon->reminders);
	daemon_notify_ready(daemon);
	return G_SOURCE_CONTINUE;
}

/* ---- start and stop -------------------------------------------------- */

/* The feeds' address cannot be had: most often another dosed has it (the
 * clinic's dosed.service and every patient's dosed all default to
 * 127.0.0.1:8645), and dosed is started by systemd, so the log is all the
 * patient sees.  Name the file whose [feed] listen to change, which a
 * patient who has none yet could not guess (issue 19). */
static void daemon_name_listen_file(const DosedConfig *config, GError **error)
{
	char *file, *message;

	if (!g_error_matches(*error, DOSED_ERROR, DOSED_ERROR_REFUSED))
		return;
	if (config->path) {
		message = g_strdup_printf("%s of %s", (*error)->message, config->path);
	} else {
		file = config_personal_file();
		message = g_strdup_printf("%s of %s (there is none yet: copy %s/dosed.conf "
					  "there)", (*error)->message, file, DOSED_DATADIR);
		g_free(file);
	}
	g_free((*error)->message);
	(*error)->message = message;
}

static bool daemon_start(Daemon *daemon, GError **error)
{
	const char *path = daemon->db_arg ? daemon->db_arg : daemon->config->store_path;
	int mode = config_store_mode(daemon->config);
	int busy_ms = daemon->config->busy_timeout_ms;
	DosedStore *render_store;
	GPtrArray *tokens;

	daemon->store = store_open(path, mode, busy_ms, error);
	if (!daemon->store)
		return false;
	/* SQLite connections are not shared between threads here: the HTTP
	 * thread renders with a connection of its own. */
	render_store = store_open(path, mode, busy_ms, error);
	if (!render_store)
		return false;
	daemon->feeds = feeds_create(render_store, daemon->config);

	/* The watch, then the version and the audit mark, then the tokens
	 * (and later the reminders' plan): a change committed
	 * at any moment in between is either read now or seen as a change
	 * when the main loop runs (inotify queues the events till then). */
	daemon->watch = watch_create(path, daemon_database_changed, daemon, error);
	if (!daemon->watch)
		return false;
	if (!store_data_version(daemon->store, &daemon->data_version, error) ||
	    !store_last_change(daemon->store, &daemon->audit_mark, error))
		return false;
	tokens = store_load_feed_tokens(daemon->store, error);
	if (!tokens)
		return false;
	feeds_set_tokens(daemon->feeds, tokens);
	daemon->http = http_start(daemon->config->feed_listen, daemon->feeds, error);
	if (!daemon->http) {
		daemon_name_listen_file(daemon->config, error);
		return false;
	}
	daemon->reminders = reminders_create(daemon->store, daemon->config, error);
	if (!daemon->reminders)
		return false;
	reminders_on_logged(daemon->reminders, daemon_dose_logged, daemon);

	daemon->signal_sources[0] = g_unix_signal_add(SIGTERM, daemon_on_stop, daemon);
	daemon->signal_sources[1] = g_unix_signal_add(SIGINT, daemon_on_stop, daemon);
	daemon->signal_sources[2] = g_unix_signal_add(SIGHUP, daemon_on_reload, daemon);
	log_info("dosed %s: database %s, serving feeds on %s", DOSED_VERSION, path,
		 daemon->config->feed_listen);
	daemon_warn_config(daemon->config);
	/* Reminders owed while dosed was stopped are delivered now, once
	 * each (the newest per dose); then the alarm waits for the next. */
	if (!daemon->config->reminders_enabled)
		log_info("reminders are off ([reminders] enabled = false)");
	reminders_update(daemon->reminders);
	daemon_notify_ready(daemon);
	return true;
}

/* Everything, in the reverse order of daemon_start(): the server first, so
 * that no request is in flight when the cache and the stores go. */
static void daemon_finish(Daemon *daemon)
{
	for (size_t i = 0; i < G_N_ELEMENTS(daemon->signal_sources); i++)
		if (daemon->signal_sources[i])
			g_source_remove(daemon->signal_sources[i]);
	reminders_destroy(daemon->reminders);
	http_stop(daemon->http);
	watch_destroy(daemon->watch);
	feeds_destroy(daemon->feeds);
	store_close(daemon->store);
	catalogue_destroy(daemon->catalogue);
	config_destroy(daemon->config);
	if (daemon->loop)
		g_main_loop_unref(daemon->loop);
}

/* ---- main ------------------------------------------------------------ */

int main(int argc, char **argv)
{
	gboolean verbose = FALSE, check_config = FALSE, version = FALSE;
	char *config_arg = NULL, *db_arg = NULL;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_arg,
		  "Read the configuration from FILE", "FILE" },
		{ "db", 0, 0, G_OPTION_ARG_FILENAME, &db_arg,
		  "Use the database FILE instead of [store] path", "FILE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
		  "Log debug messages too", NULL },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
		  "Check the configuration and the protocols, then exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit",
		  NULL },
		{ NULL },
	};
	GOptionContext *context = g_option_context_new(NULL);
	Daemon daemon = { 0 };
	GError *error = NULL;
	gint64 now;
	int status = 1;

	g_option_context_set_summary(context,
		"Keeps injection regimens: serves each patient's schedule as an iCalendar\n"
		"feed and notices the changes dosectl makes.  See dosed(8).");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc > 1 ||
	    (config_arg && !*config_arg) || (db_arg && !*db_arg)) {
		/* An empty FILE is a slip (an unset variable), as in dosectl. */
		fprintf(stderr, "dosed: %s; see 'dosed --help'\n",
			error ? error->message : argc > 1 ? "unexpected argument" :
			config_arg && !*config_arg ? "--config is empty; give a FILE" :
			"--db is empty; give a FILE");
		g_clear_error(&error);
		g_option_context_free(context);
		g_free(config_arg);
		g_free(db_arg);
		return 2;
	}
	g_option_context_free(context);
	daemon.config_arg = config_arg;
	daemon.db_arg = db_arg;

	if (version) {
		printf("dosed %s\n", DOSED_VERSION);
		status = 0;
		goto out;
	}
	log_init(verbose);

	if (!daemon_load_config(config_arg, &daemon.config, &daemon.catalogue, &error)) {
		if (!check_config)
			fatalx("%s", error->message);
		fprintf(stderr, "dosed: %s\n", error->message);
		goto out;
	}
	if (check_config) {
		/* Warnings on stderr in the log's format; the verdict on
		 * stdout, "dosed: " like every line dosed prints. */
		daemon_warn_config(daemon.config);
		printf("dosed: configuration OK: %s\n", daemon_config_name(daemon.config));
		status = 0;
		goto out;
	}
	/* Tests set DOSED_NOW (SPEC 3); a bad one is refused now, not at the
	 * first request. */
	if (!now_from_environment(&now, &error))
		fatalx("%s", error->message);
	/* A client that hangs up must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	daemon.loop = g_main_loop_new(NULL, FALSE);
	/* ntpd's way: a daemon that cannot start says why and exits 1. */
	if (!daemon_start(&daemon, &error))
		fatalx("%s", error->message);
	g_main_loop_run(daemon.loop);
	status = 0;
	log_info("stopped");
out:
	g_clear_error(&error);
	daemon_finish(&daemon);
	g_free(config_arg);
	g_free(db_arg);
	return status;
}
