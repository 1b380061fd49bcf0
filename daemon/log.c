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

void log_init(bool verbose)
{
	log_debug_enabled = verbose;
	log_to_journal = stderr_is_journal();
}

bool log_verbose(void)
{
	return log_debug_enabled;
}

/* One line, written with one call so that the HTTP thread's lines and the
 * main loop's never interleave.  errnum >= 0 appends its strerror. */
static void log_vwrite(int priority, int errnum, const char *format, va_list args)
{
	GString *line = g_string_sized_new(128);

	if (log_to_journal)
		g_string_append_printf(line, "<%d>", priority);
	g_string_append_vprintf(line, format, args);
	if (errnum >= 0)
		g_string_append_printf(line, ": %s", g_strerror(errnum));
	g_string_append_c(line, '\n');
	fputs(line->str, stderr);
	fflush(stderr);
	g_string_free(line, TRUE);
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
