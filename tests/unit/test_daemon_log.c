/* test_daemon_log.c - the daemon's log: levels, -v, strerror, the syslog
 * prefix that journald reads when stderr is the journal's stream, and the
 * redaction that keeps tokens out of it (SPEC 4: tokens never appear in
 * logs). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "log.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

/* stderr goes to a temporary file for each test. */
typedef struct {
	char *path;
	int saved_stderr;
} Capture;

static int setup(void **state)
{
	Capture *capture = g_new0(Capture, 1);
	int fd = g_file_open_tmp("dosed-log-XXXXXX", &capture->path, NULL);

	if (fd < 0)
		return -1;
	fflush(stderr);
	capture->saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	g_unsetenv("JOURNAL_STREAM");
	*state = capture;
	return 0;
}

static int teardown(void **state)
{
	Capture *capture = *state;

	fflush(stderr);
	dup2(capture->saved_stderr, STDERR_FILENO);
	close(capture->saved_stderr);
	g_unlink(capture->path);
	g_free(capture->path);
	g_free(capture);
	g_unsetenv("JOURNAL_STREAM");
	return 0;
}

/* What was logged so far, newly allocated. */
static char *captured(const Capture *capture)
{
	char *text = NULL;

	fflush(stderr);
	assert_true(g_file_get_contents(capture->path, &text, NULL, NULL));
	return text;
}

/* $JOURNAL_STREAM as systemd sets it: "DEV:INODE" of our stderr. */
static void set_journal_stream_to_stderr(void)
{
	struct stat st;
	char *value;

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	value = g_strdup_printf("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	g_setenv("JOURNAL_STREAM", value, TRUE);
	g_free(value);
}

static void test_plain_lines(void **state)
{
	char *text;

	log_init(false);
	log_info("serving feeds on %s", "127.0.0.1:8645");
	log_warnx("reload failed: %d", 3);
	text = captured(*state);
	/* Issue 12: every line says whose it is, and a warning says so. */
	assert_string_equal(text, "dosed: serving feeds on 127.0.0.1:8645\n"
			    "dosed: warning: reload failed: 3\n");
	g_free(text);
}

static void test_debug_only_when_verbose(void **state)
{
	char *text;

	log_init(false);
	assert_false(log_verbose());
	log_debug("hidden");
	log_init(true);
	assert_true(log_verbose());
	log_debug("shown %d", 1);
	text = captured(*state);
	assert_string_equal(text, "dosed: debug: shown 1\n");
	g_free(text);
}

static void test_warn_adds_strerror(void **state)
{
	char *text, *expected;

	log_init(false);
	errno = ENOENT;
	log_warn("cannot open %s", "x.db");
	/* errno survives, for a caller that looks at it after logging. */
	assert_int_equal(errno, ENOENT);
	text = captured(*state);
	expected = g_strdup_printf("dosed: warning: cannot open x.db: %s\n", g_strerror(ENOENT));
	assert_string_equal(text, expected);
	g_free(expected);
	g_free(text);
}

static void test_journal_levels(void **state)
{
	char *text;

	set_journal_stream_to_stderr();
	log_init(true);
	log_debug("d");
	log_info("i");
	log_warnx("w");
	errno = EACCES;
	log_warn("e");
	text = captured(*state);
	/* syslog priorities: 7 debug, 6 info, 4 warning. */
	assert_true(g_str_has_prefix(text, "<7>d\n<6>i\n<4>w\n<4>e: "));
	g_free(text);
}

static void test_journal_stream_elsewhere(void **state)
{
	char *text;

	/* Inherited from a parent whose stderr was the journal, while ours
	 * is a file: no "<N>", the plain prefix. */
	g_setenv("JOURNAL_STREAM", "8:12345", TRUE);
	log_init(false);
	log_info("plain");
	g_setenv("JOURNAL_STREAM", "garbage", TRUE);
	log_init(false);
	log_info("still plain");
	text = captured(*state);
	assert_string_equal(text, "dosed: plain\ndosed: still plain\n");
	g_free(text);
}

static void test_fatal_exits(void **state)
{
	Capture *capture = *state;
	char *text;
	int status;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		log_init(false);
		fatalx("broken invariant %d", 7);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	text = captured(capture);
	assert_string_equal(text, "dosed: broken invariant 7\n");
	g_free(text);
}

/* GLib's own messages, and those of GIO and libnotify on it, are lines of
 * this log too (issue 12), not "(dosed:123): GLib-WARNING **: ...". */
static void test_glib_messages(void **state)
{
	char *text;

	log_init(false);
	g_log("libnotify", G_LOG_LEVEL_WARNING, "no server: %s", "ServiceUnknown");
	g_log("GLib-GIO", G_LOG_LEVEL_MESSAGE, "a message\nin two lines");
	g_log("GLib", G_LOG_LEVEL_DEBUG, "hidden without -v");
	g_log("GLib-GObject", G_LOG_LEVEL_CRITICAL, "assertion '%s' failed", "x");
	log_init(true);
	g_log("GLib", G_LOG_LEVEL_DEBUG, "shown with -v");
	text = captured(*state);
	assert_string_equal(text, "dosed: warning: libnotify: no server: ServiceUnknown\n"
			    "dosed: GLib-GIO: a message in two lines\n"
			    "dosed: critical: GLib-GObject: assertion 'x' failed\n"
			    "dosed: debug: GLib: shown with -v\n");
	g_free(text);
}

static void test_glib_messages_to_journal(void **state)
{
	char *text;

	set_journal_stream_to_stderr();
	log_init(false);
	g_log("GLib-GIO", G_LOG_LEVEL_CRITICAL, "broken %d", 1);
	text = captured(*state);
	assert_string_equal(text, "<2>GLib-GIO: broken 1\n");
	g_free(text);
}

static void test_redact_token(void **state)
{
	char *text;

	text = log_redact("Failed to send the response headers for the request for `/feeds/"
			  TOKEN ".ics'. Error: Broken pipe");
	assert_string_equal(text, "Failed to send the response headers for the request for "
			    "`/feeds/<redacted>.ics'. Error: Broken pipe");
	assert_null(strstr(text, "0123456789abcdef"));
	g_free(text);
}

static void test_redact_near_tokens(void **state)
{
	char *text;

	/* A token cut short, mistyped, or in upper case is still a secret. */
	text = log_redact("/feeds/0123456789ABCDEF.ics /clinic/0123456789abcdefXYZ0123 x");
	assert_string_equal(text, "/feeds/<redacted>.ics /clinic/<redacted> x");
	g_free(text);
	/* Ordinary words stay. */
	text = log_redact("Connection timed out (15 characters: abcdefghijklmno)");
	assert_string_equal(text, "Connection timed out (15 characters: abcdefghijklmno)");
	g_free(text);
}

static void test_redact_one_line(void **state)
{
	char *text = log_redact("first\nsecond\r\tthird");

	assert_string_equal(text, "first second  third");
	g_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_only_when_verbose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_adds_strerror, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_stream_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glib_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glib_messages_to_journal, setup, teardown),
		cmocka_unit_test(test_redact_token),
		cmocka_unit_test(test_redact_near_tokens),
		cmocka_unit_test(test_redact_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
