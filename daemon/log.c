/* log.c - the daemon's log, OpenBSD ntpd's way: levels, -v for debug,
 * log_warn() with strerror(errno), fatal() only where ntpd would. */
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static bool log_debug_enabled;
/* stderr is the journal's stream: prefix "<N>" (sd-daemon(3)). */
static bool log_to_journal;

/* systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * stderr to.  Compare it with stderr itself rather than trust the variable
 * alone: a child started with 2>file inherits the variable but not the
 * stream, and "<6>" in a file is noise (systemd.exec(5), $JOURNAL_STREAM). */
static bool stderr_is_journal(void)
{
	const char *value = g_getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char end;

	if (!value || sscanf(value, "%ju:%ju%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

static void log_write(int priority, const char *level, const char *text);

/* GLib's messages and those of the libraries on it (GIO, libnotify), which
 * GLib would print as "(dosed:123): GLib-GIO-WARNING **: ...": one line of
 * this log like any other, "DOMAIN: message". */
static GLogWriterOutput log_glib_writer(GLogLevelFlags level, const GLogField *fields,
					gsize n_fields, gpointer data)
{
	const char *message = NULL, *domain = NULL, *word = NULL;
	int priority;
	char *line;

	(void)data;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			message = fields[i].value;
		else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
	}
	/* A critical is a broken invariant in a library: named, where a
	 * log line of dosed's own at that level is the one that ends it. */
	if (level & G_LOG_LEVEL_ERROR) {
		priority = LOG_CRIT;
		word = "error";
	} else if (level & G_LOG_LEVEL_CRITICAL) {
		priority = LOG_CRIT;
		word = "critical";
	} else if (level & G_LOG_LEVEL_WARNING)
		priority = LOG_WARNING;
	else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		priority = LOG_INFO;
	else
		priority = LOG_DEBUG;
	if (priority == LOG_DEBUG && !log_debug_enabled)
		return G_LOG_WRITER_HANDLED;
	line = g_strdup_printf("%s%s%s", domain ? domain : "", domain ? ": " : "",
			       message ? message : "(no message)");
	/* One message, one line. */
	g_strdelimit(line, "\r\n", ' ');
	log_write(priority, word, line);
	g_free(line);
	return G_LOG_WRITER_HANDLED;
}

void log_init(bool verbose)
{
	static gsize glib_writer_set;

	log_debug_enabled = verbose;
	log_to_journal = stderr_is_journal();
	/* GLib takes a writer once per process. */
	if (g_once_init_enter(&glib_writer_set)) {
		g_log_set_writer_func(log_glib_writer, NULL, NULL);
		g_once_init_leave(&glib_writer_set, 1);
	}
}

bool log_verbose(void)
{
	return log_debug_enabled;
}

/* One line, written with one call so that the HTTP thread's lines and the
 * main loop's never interleave.  To the journal, "<N>" and the text
 * (journald adds "dosed[PID]: " itself); elsewhere (a terminal, a file),
 * "dosed: " and the level when it is not plain information, so that each
 * line says whose and how serious it is.  `level` names the level in place
 * of the priority's own word (NULL: none for information and for the line
 * fatal() ends with). */
static void log_write(int priority, const char *level, const char *text)
{
	GString *line = g_string_sized_new(128);

	if (level == NULL && priority == LOG_WARNING)
		level = "warning";
	else if (level == NULL && priority == LOG_DEBUG)
		level = "debug";
	if (log_to_journal)
		g_string_append_printf(line, "<%d>", priority);
	else if (level != NULL)
		g_string_append_printf(line, "dosed: %s: ", level);
	else
		g_string_append(line, "dosed: ");
	g_string_append(line, text);
	g_string_append_c(line, '\n');
	fputs(line->str, stderr);
	fflush(stderr);
	g_string_free(line, TRUE);
}

/* errnum >= 0 appends its strerror. */
static void log_vwrite(int priority, int errnum, const char *format, va_list args)
{
	GString *text = g_string_sized_new(128);

	g_string_append_vprintf(text, format, args);
	if (errnum >= 0)
		g_string_append_printf(text, ": %s", g_strerror(errnum));
	log_write(priority, NULL, text->str);
	g_string_free(text, TRUE);
}

void log_debug(const char *format, ...)
{
	va_list args;

	if (!log_debug_enabled)
		return;
	va_start(args, format);
	log_vwrite(LOG_DEBUG, -1, format, args);
	va_end(args);
}

void log_info(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_vwrite(LOG_INFO, -1, format, args);
	va_end(args);
}

void log_warn(const char *format, ...)
{
	int errnum = errno;
	va_list args;

	va_start(args, format);
	log_vwrite(LOG_WARNING, errnum, format, args);
	va_end(args);
	errno = errnum;
}

void log_warnx(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_vwrite(LOG_WARNING, -1, format, args);
	va_end(args);
}

void fatal(const char *format, ...)
{
	int errnum = errno;
	va_list args;

	va_start(args, format);
	log_vwrite(LOG_CRIT, errnum, format, args);
	va_end(args);
	exit(1);
}

void fatalx(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_vwrite(LOG_CRIT, -1, format, args);
	va_end(args);
	exit(1);
}

/* A token is 32 hex digits (token.h); 16 or more letters and digits in a
 * row catches it whole, cut short, or with a typo in a letter, while the
 * words of a message are shorter. */
#define LOG_REDACT_RUN 16

char *log_redact(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));
	const char *p = text;

	while (*p) {
		size_t run = 0;

		while (g_ascii_isalnum(p[run]))
			run++;
		if (run >= LOG_REDACT_RUN) {
			g_string_append(out, "<redacted>");
			p += run;
		} else if (run > 0) {
			g_string_append_len(out, p, (gssize)run);
			p += run;
		} else {
			g_string_append_c(out, g_ascii_iscntrl(*p) ? ' ' : *p);
			p++;
		}
	}
	return g_string_free(out, FALSE);
}
