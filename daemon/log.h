/* log.h - the daemon's log, OpenBSD ntpd's way (log.c there).
 *
 * Lines go to stderr, where journald (or the terminal) picks them up.  When
 * stderr is the journal stream systemd gave us ($JOURNAL_STREAM), each line
 * starts with the syslog "<N>" priority, so the journal keeps the levels;
 * elsewhere with "dosed: ", then "warning: " or "debug: " for those levels.
 * log_init() sends GLib's own messages (GIO's, libnotify's) here too.
 *
 * Never pass a feed token, or a request path that may hold one, to these
 * functions (SPEC 4: tokens never appear in logs): log "/feeds/<token>.ics",
 * and run text that comes from elsewhere through log_redact().
 *
 * Thread-safe: each line is written with one call.
 */
#ifndef DOSED_LOG_H
#define DOSED_LOG_H

#include <stdbool.h>
#include <glib.h>

/* Set up once at start: verbose enables log_debug() (-v). */
void log_init(bool verbose);
bool log_verbose(void);

void log_debug(const char *format, ...) G_GNUC_PRINTF(1, 2);
void log_info(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* log_warn() appends ": " and strerror(errno); log_warnx() does not. */
void log_warn(const char *format, ...) G_GNUC_PRINTF(1, 2);
void log_warnx(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* Log at critical level and exit(1): only at startup and for broken
 * invariants, as in ntpd.  fatal() appends strerror(errno). */
G_NORETURN void fatal(const char *format, ...) G_GNUC_PRINTF(1, 2);
G_NORETURN void fatalx(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* A copy of text fit for the log: every run of 16 or more letters and
 * digits (a token, whole or mistyped) becomes "<redacted>", and control
 * characters become spaces, so that one message stays one line.  For text
 * the daemon does not control, such as libmicrohttpd's messages, which
 * quote request paths.  Newly allocated. */
char *log_redact(const char *text);

#endif
