/* test_config.c - dosed.conf (SPEC section 6): defaults, every key, the
 * shipped conf/dosed.conf, and each kind of error with its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "error.h"

#include "helpers.h"

/* Each test gets a fresh temporary folder, with XDG_DATA_HOME and
 * XDG_CONFIG_HOME pointing into it. */
typedef struct {
	char *dir;
	char *data_home;
	char *config_home;
} Fixture;

static int setup(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);

	fixture->dir = g_dir_make_tmp("dosed-test-config-XXXXXX", NULL);
	if (fixture->dir == NULL)
		return -1;
	fixture->data_home = g_build_filename(fixture->dir, "data", NULL);
	fixture->config_home = g_build_filename(fixture->dir, "config", NULL);
	g_setenv("XDG_DATA_HOME", fixture->data_home, TRUE);
	g_setenv("XDG_CONFIG_HOME", fixture->config_home, TRUE);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	Fixture *fixture = *state;

	remove_tree(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->data_home);
	g_free(fixture->config_home);
	g_free(fixture);
	return 0;
}

/* Write text to DIR/NAME (folders made as needed); returns the path. */
static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	char *folder = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(folder, 0700), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(folder);
	return path;
}

static char *test_data(const char *name)
{
	const char *data = g_getenv("DOSED_TEST_DATA");

	if (data == NULL)
		fail_msg("DOSED_TEST_DATA is not set (run the tests with tests/run)");
	return g_build_filename(data, name, NULL);
}

/* Load text written to DIR/dosed.conf (personal mode). */
static DosedConfig *load_text(const Fixture *fixture, const char *text, GError **error)
{
	char *path = write_file(fixture->dir, "dosed.conf", text);
	DosedConfig *config = config_load(path, false, error);

	g_free(path);
	return config;
}

/* The error is DOSED_ERROR_PARSE and its message holds every fragment. */
static void assert_parse_error(const GError *error, ...)
{
	va_list fragments;
	const char *fragment;

	assert_non_null(error);
	if (error->domain != DOSED_ERROR || error->code != DOSED_ERROR_PARSE)
		fail_msg("error \"%s\" is not DOSED_ERROR_PARSE", error->message);
	va_start(fragments, error);
	while ((fragment = va_arg(fragments, const char *)) != NULL) {
		if (strstr(error->message, fragment) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", error->message, fragment);
	}
	va_end(fragments);
	if (strchr(error->message, '\n') != NULL)
		fail_msg("error \"%s\" is more than one line", error->message);
}

/* Load text; it must fail at dosed.conf:LINE with every fragment named. */
#define assert_text_refused(fixture, text, line, ...)                              \
	do {                                                                       \
		GError *error_ = NULL;                                             \
		char *where_ = g_strdup_printf("dosed.conf:%d: ", (line));         \
		assert_null(load_text((fixture), (text), &error_));                \
		assert_parse_error(error_, where_, __VA_ARGS__, NULL);             \
		g_free(where_);                                                    \
		g_error_free(error_);                                              \
	} while (0)

/* Load "[SECTION]\nKEY = VALUE\n"; it must be refused on line 2 naming
 * the key and each fragment. */
static void assert_value_refused(const Fixture *fixture, const char *section, const char *key,
				 const char *value, const char *fragment)
{
	char *text = g_strdup_printf("[%s]\n%s = %s\n", section, key, value);
	char *where = g_strdup_printf("[%s] %s: ", section, key);

	assert_text_refused(fixture, text, 2, where, fragment);
	g_free(where);
	g_free(text);
}

/* Load "[SECTION]\nKEY = VALUE\n", which must succeed; free with
 * config_destroy(). */
static DosedConfig *load_value(const Fixture *fixture, const char *section, const char *key,
			       const char *value)
{
	char *text = g_strdup_printf("[%s]\n%s = %s\n", section, key, value);
	GError *error = NULL;
	DosedConfig *config = load_text(fixture, text, &error);

	if (config == NULL)
		fail_msg("\"%s = %s\" refused: %s", key, value, error->message);
	g_free(text);
	return config;
}

static void assert_strv_equal(char **actual, ...)
{
	va_list expected;
	const char *item;
	size_t i = 0;

	assert_non_null(actual);
	va_start(expected, actual);
	while ((item = va_arg(expected, const char *)) != NULL) {
		if (actual[i] == NULL)
			fail_msg("list ends after %zu items, \"%s\" missing", i, item);
		assert_string_equal(actual[i], item);
		i++;
	}
	va_end(expected);
	if (actual[i] != NULL)
		fail_msg("unexpected item \"%s\" at %zu", actual[i], i);
}

/* Everything but the path read and the protocol paths, which depend on
 * where the file is. */
static void assert_same_settings(const DosedConfig *a, const DosedConfig *b)
{
	assert_int_equal(a->system, b->system);
	assert_string_equal(a->store_path, b->store_path);
	assert_int_equal(a->busy_timeout_ms, b->busy_timeout_ms);
	assert_string_equal(a->feed_listen, b->feed_listen);
	assert_true(g_strcmp0(a->feed_base_url, b->feed_base_url) == 0);
	assert_int_equal(a->feed_horizon_months, b->feed_horizon_months);
	assert_int_equal(a->feed_history_months, b->feed_history_months);
	assert_int_equal(a->feed_alarms, b->feed_alarms);
	assert_int_equal(a->feed_clinic_days, b->feed_clinic_days);
	assert_int_equal(a->reminders_enabled, b->reminders_enabled);
	assert_int_equal(a->reminders_at, b->reminders_at);
	assert_int_equal(a->reminders_before_ms, b->reminders_before_ms);
	assert_int_equal(a->reminders_overdue_every_ms, b->reminders_overdue_every_ms);
	assert_int_equal(a->reminders_snooze_ms, b->reminders_snooze_ms);
	assert_non_null(a->sites);
	assert_non_null(b->sites);
	assert_int_equal(g_strv_length(a->sites), g_strv_length(b->sites));
	for (size_t i = 0; a->sites[i] != NULL; i++)
		assert_string_equal(a->sites[i], b->sites[i]);
}

/* The SPEC 6 defaults shared by personal and system use (all but
 * [reminders] enabled, which each mode's test checks). */
static void assert_common_defaults(const DosedConfig *config)
{
	assert_null(config->path);
	assert_int_equal(config->busy_timeout_ms, 5000);
	assert_string_equal(config->feed_listen, "127.0.0.1:8645");
	assert_string_equal(config->feed_base_url, "http://127.0.0.1:8645");
	assert_int_equal(config->feed_horizon_months, 12);
	assert_int_equal(config->feed_history_months, 12);
	assert_true(config->feed_alarms);
	assert_int_equal(config->feed_clinic_days, 7);
	assert_int_equal(config->reminders_at, 9 * 3600);
	assert_int_equal(config->reminders_before_ms, 24 * 3600 * 1000);
	assert_int_equal(config->reminders_overdue_every_ms, 24 * 3600 * 1000);
	assert_int_equal(config->reminders_snooze_ms, 3600 * 1000);
	assert_strv_equal(config->sites, "left deltoid", "right deltoid", "left thigh",
			  "right thigh", NULL);
}

static void test_personal_defaults_follow_xdg(void **state)
{
	Fixture *fixture = *state;
	DosedConfig *config = config_create_defaults(false);
	char *store = g_build_filename(fixture->data_home, "dosed", "dosed.db", NULL);
	char *folder = g_build_filename(fixture->config_home, "dosed", "protocols.d", NULL);

	assert_false(config->system);
	assert_common_defaults(config);
	assert_true(config->reminders_enabled);
	assert_string_equal(config->store_path, store);
	assert_strv_equal(config->protocol_paths, DOSED_DATADIR "/protocols.ini", folder, NULL);
	config_destroy(config);
	g_free(store);
	g_free(folder);
}

static void test_personal_defaults_without_xdg(void **state)
{
	DosedConfig *config;
	char *store = g_build_filename(g_get_home_dir(), ".local", "share", "dosed", "dosed.db",
				       NULL);
	char *folder = g_build_filename(g_get_home_dir(), ".config", "dosed", "protocols.d",
					NULL);

	g_unsetenv("XDG_DATA_HOME");
	/* The XDG Base Directory spec: a relative value is to be ignored. */
	g_setenv("XDG_CONFIG_HOME", "relative/config", TRUE);
	config = config_create_defaults(false);
	assert_string_equal(config->store_path, store);
	assert_strv_equal(config->protocol_paths, DOSED_DATADIR "/protocols.ini", folder, NULL);
	config_destroy(config);
	g_free(store);
	g_free(folder);
}

static void test_system_defaults(void **state)
{
	DosedConfig *config = config_create_defaults(true);

	assert_true(config->system);
	assert_common_defaults(config);
	/* A clinic server has no desktop to remind on (issue 19). */
	assert_false(config->reminders_enabled);
	assert_string_equal(config->store_path, "/var/lib/dosed/dosed.db");
	assert_strv_equal(config->protocol_paths, DOSED_DATADIR "/protocols.ini",
			  DOSED_SYSCONFDIR "/dosed/protocols.d", NULL);
	config_destroy(config);
}

/* Off by default in a clinic, but the clinic's file may turn them on. */
static void test_clinic_may_enable_reminders(void **state)
{
	Fixture *fixture = *state;
	char *path = write_file(fixture->dir, "dosed.conf", "[reminders]\nenabled = true\n");
	GError *error = NULL;
	DosedConfig *config = config_load(path, true, &error);

	if (config == NULL)
		fail_msg("refused: %s", error->message);
	assert_true(config->system);
	assert_true(config->reminders_enabled);
	config_destroy(config);
	g_free(path);
}

/* SPEC 5: a clinic's database is shared with its staff's group, a
 * patient's is theirs alone. */
static void test_store_mode(void **state)
{
	DosedConfig *clinic = config_create_defaults(true);
	DosedConfig *personal = config_create_defaults(false);

	assert_int_equal(config_store_mode(clinic), 0660);
	assert_int_equal(config_store_mode(personal), 0600);
	config_destroy(clinic);
	config_destroy(personal);
}

static void test_no_file_is_defaults(void **state)
{
	GError *error = NULL;
	DosedConfig *config = config_load(NULL, true, &error);
	DosedConfig *defaults = config_create_defaults(true);

	assert_non_null(config);
	assert_null(config->path);
	assert_same_settings(config, defaults);
	config_destroy(config);
	config_destroy(defaults);
}

/* conf/dosed.conf as shipped: every key commented out, so the defaults;
 * protocols.d is the one beside the file (SPEC 1). */
static void test_shipped_conf_gives_defaults(void **state)
{
	char *path = test_data("../../conf/dosed.conf");
	char *conf_dir = g_path_get_dirname(path);
	char *folder = g_canonicalize_filename("protocols.d", conf_dir);
	GError *error = NULL;

	for (int system = 0; system <= 1; system++) {
		DosedConfig *config = config_load(path, system, &error);
		DosedConfig *defaults = config_create_defaults(system);

		if (config == NULL)
			fail_msg("conf/dosed.conf refused: %s", error->message);
		assert_string_equal(config->path, path);
		assert_same_settings(config, defaults);
		assert_strv_equal(config->protocol_paths, DOSED_DATADIR "/protocols.ini", folder,
				  NULL);
		config_destroy(config);
		config_destroy(defaults);
	}
	g_free(path);
	g_free(conf_dir);
	g_free(folder);
}

/* The defaults conf/dosed.conf shows are the real ones: with every
 * "; key = value" line uncommented it still gives the defaults. */
static void test_shipped_conf_shows_true_defaults(void **state)
{
	Fixture *fixture = *state;
	char *path = test_data("../../conf/dosed.conf");
	char *text, *edited_path, *folder;
	char **lines;
	GString *edited = g_string_new(NULL);
	int uncommented = 0;
	GError *error = NULL;
	DosedConfig *config, *defaults;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (size_t i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];

		if (g_regex_match_simple("^; [a-z_]+ = ", line, 0, 0)) {
			line += 2;
			uncommented++;
		}
		g_string_append_printf(edited, "%s\n", line);
	}
	/* One line for each of the 15 settings: SPEC 6's, busy_timeout, alarms
	 * and clinic_days. */
	assert_int_equal(uncommented, 15);

	/* "; path = ~/.local/share/..." is the default when XDG_DATA_HOME is
	 * not set. */
	g_unsetenv("XDG_DATA_HOME");
	edited_path = write_file(fixture->dir, "dosed.conf", edited->str);
	config = config_load(edited_path, false, &error);
	if (config == NULL)
		fail_msg("conf/dosed.conf uncommented refused: %s", error->message);
	defaults = config_create_defaults(false);
	assert_same_settings(config, defaults);
	/* The data folder depends on PREFIX, "protocols.d" on where the file is. */
	folder = g_build_filename(fixture->dir, "protocols.d", NULL);
	assert_int_equal(g_strv_length(config->protocol_paths), 2);
	assert_true(g_str_has_suffix(config->protocol_paths[0], "/share/dosed/protocols.ini"));
	assert_string_equal(config->protocol_paths[1], folder);

	config_destroy(config);
	config_destroy(defaults);
	g_strfreev(lines);
	g_string_free(edited, TRUE);
	g_free(text);
	g_free(path);
	g_free(edited_path);
	g_free(folder);
}

static void test_every_key_is_read(void **state)
{
	char *path = test_data("config/every-key.conf");
	GError *error = NULL;
	DosedConfig *config = config_load(path, false, &error);

	if (config == NULL)
		fail_msg("every-key.conf refused: %s", error->message);
	assert_string_equal(config->path, path);
	assert_false(config->system);
	assert_string_equal(config->store_path, "/srv/dosed/clinic.db");
	assert_int_equal(config->busy_timeout_ms, 250);
	assert_string_equal(config->feed_listen, "[::1]:9000");
	/* No trailing slash kept: dosectl feed appends "/feeds/...". */
	assert_string_equal(config->feed_base_url, "https://dosed.example.org/clinic");
	assert_int_equal(config->feed_horizon_months, 6);
	assert_int_equal(config->feed_history_months, 120);
	assert_false(config->feed_alarms);
	assert_int_equal(config->feed_clinic_days, 30);
	assert_false(config->reminders_enabled);
	assert_int_equal(config->reminders_at, 7 * 3600 + 45 * 60 + 30);
	assert_int_equal(config->reminders_before_ms, 2 * 3600 * 1000);
	assert_int_equal(config->reminders_overdue_every_ms, 4 * 3600 * 1000);
	assert_int_equal(config->reminders_snooze_ms, 30 * 60 * 1000);
	assert_strv_equal(config->sites, "left abdomen", "right abdomen", "épaule gauche", NULL);
	assert_strv_equal(config->protocol_paths, "/srv/dosed/protocols.ini",
			  "/srv/dosed/protocols.d", NULL);
	config_destroy(config);
	g_free(path);
}

/* SPEC 6's example, inline comments (" ; ...") included. */
static void test_spec_example_with_inline_comments(void **state)
{
	char *path = test_data("config/spec-example.conf");
	char *store = g_build_filename(g_get_home_dir(), ".local/share/dosed/dosed.db", NULL);
	GError *error = NULL;
	DosedConfig *config = config_load(path, false, &error);

	if (config == NULL)
		fail_msg("spec-example.conf refused: %s", error->message);
	assert_string_equal(config->store_path, store);
	assert_string_equal(config->feed_base_url, "http://127.0.0.1:8645");
	assert_int_equal(config->reminders_at, 9 * 3600);
	assert_int_equal(config->reminders_before_ms, 24 * 3600 * 1000);
	assert_strv_equal(config->protocol_paths, "/usr/share/dosed/protocols.ini",
			  "/etc/dosed/protocols.d", NULL);
	config_destroy(config);
	g_free(store);
	g_free(path);
}

static void test_inline_comment_and_semicolon_in_value(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	DosedConfig *config = load_text(fixture,
					"[rotation]\n"
					"sites = left;arm, right arm ; the rest is a comment\n"
					"[reminders]\n"
					"at = 10:15\t; tab before the comment\n",
					&error);

	assert_non_null(config);
	/* Only " ;" starts a comment (inih): "left;arm" is one site. */
	assert_strv_equal(config->sites, "left;arm", "right arm", NULL);
	assert_int_equal(config->reminders_at, 10 * 3600 + 15 * 60);
	config_destroy(config);
}

static void test_booleans(void **state)
{
	Fixture *fixture = *state;
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
		{ "true", true }, { "yes", true }, { "on", true }, { "1", true }, { "Yes", true },
		{ "false", false }, { "no", false }, { "off", false }, { "0", false },
		{ "FALSE", false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DosedConfig *config = load_value(fixture, "feed", "alarms", cases[i].text);

		assert_int_equal(config->feed_alarms, cases[i].value);
		config_destroy(config);
		config = load_value(fixture, "reminders", "enabled", cases[i].text);
		assert_int_equal(config->reminders_enabled, cases[i].value);
		config_destroy(config);
	}
	assert_value_refused(fixture, "feed", "alarms", "maybe",
			     "\"maybe\" is not true or false (expected true or false");
	assert_value_refused(fixture, "reminders", "enabled", "2", "\"2\" is not true or false");
}

static void test_listen(void **state)
{
	Fixture *fixture = *state;
	const char *good[] = { "[::1]:8645", "localhost:80", "0.0.0.0:65535", "10.0.0.5:1" };

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		DosedConfig *config = load_value(fixture, "feed", "listen", good[i]);

		assert_string_equal(config->feed_listen, good[i]);
		config_destroy(config);
	}
	assert_value_refused(fixture, "feed", "listen", "127.0.0.1", "has no :PORT");
	assert_value_refused(fixture, "feed", "listen", "127.0.0.1:0",
			     "port \"0\" is not a number from 1 to 65535");
	assert_value_refused(fixture, "feed", "listen", "127.0.0.1:65536",
			     "port \"65536\" is not a number from 1 to 65535");
	assert_value_refused(fixture, "feed", "listen", "127.0.0.1:http", "port \"http\"");
	assert_value_refused(fixture, "feed", "listen", "::1:8645", "must be in brackets");
	assert_value_refused(fixture, "feed", "listen", "example.org:80",
			     "\"example.org\" is not an IPv4 address or localhost");
	assert_value_refused(fixture, "feed", "listen", "256.0.0.1:80",
			     "\"256.0.0.1\" is not an IPv4 address");
	assert_value_refused(fixture, "feed", "listen", "[127.0.0.1]:80",
			     "\"127.0.0.1\" is not an IPv6 address");
	assert_value_refused(fixture, "feed", "listen", "[::1]", "is not [IPv6]:PORT");
}

static void test_base_url(void **state)
{
	Fixture *fixture = *state;
	DosedConfig *config = load_value(fixture, "feed", "base_url", "http://192.0.2.7:8080/");

	assert_string_equal(config->feed_base_url, "http://192.0.2.7:8080");
	config_destroy(config);
	assert_value_refused(fixture, "feed", "base_url", "ftp://example.org",
			     "does not start with http:// or https://");
	assert_value_refused(fixture, "feed", "base_url", "127.0.0.1:8645",
			     "does not start with http:// or https://");
	assert_value_refused(fixture, "feed", "base_url", "https://", "has no host");
	assert_value_refused(fixture, "feed", "base_url", "https://example.org/?a=1",
			     "?query or #fragment");
	assert_value_refused(fixture, "feed", "base_url", "http://my clinic", "holds a blank");
}

/* Issue 12: listen = 127.0.0.1:18641 with the default base_url printed
 * http://127.0.0.1:8645/feeds/... in dosectl feed.  The default is the
 * listen address; a wildcard has none. */
static void test_base_url_follows_listen(void **state)
{
	Fixture *fixture = *state;
	static const struct {
		const char *listen, *url;
	} cases[] = {
		{ "127.0.0.1:18641", "http://127.0.0.1:18641" },
		{ "localhost:80", "http://localhost:80" },
		{ "192.0.2.7:8645", "http://192.0.2.7:8645" },
		{ "[::1]:9000", "http://[::1]:9000" },
		{ "[2001:db8::7]:8645", "http://[2001:db8::7]:8645" },
		{ "0.0.0.0:8645", NULL },
		{ "[::]:8645", NULL },
		{ "[0:0::0]:8645", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DosedConfig *config = load_value(fixture, "feed", "listen", cases[i].listen);
		char *url = config_listen_url(cases[i].listen);

		if (g_strcmp0(config->feed_base_url, cases[i].url) != 0)
			fail_msg("listen = %s: base_url %s, not %s", cases[i].listen,
				 config->feed_base_url, cases[i].url);
		assert_true(g_strcmp0(url, cases[i].url) == 0);
		g_free(url);
		config_destroy(config);
	}

	/* Set, base_url is what it says, whatever listen is. */
	GError *error = NULL;
	DosedConfig *config = load_text(fixture, "[feed]\nbase_url = https://dosed.example.org\n"
					"listen = 0.0.0.0:18641\n", &error);
	assert_non_null(config);
	assert_string_equal(config->feed_base_url, "https://dosed.example.org");
	config_destroy(config);
}

/* config_base_url_warning(): what dosed --check-config says. */
static char *base_url_warning(const Fixture *fixture, const char *listen, const char *base_url)
{
	char *text = base_url ? g_strdup_printf("[feed]\nlisten = %s\nbase_url = %s\n", listen,
						base_url)
			      : g_strdup_printf("[feed]\nlisten = %s\n", listen);
	GError *error = NULL;
	DosedConfig *config = load_text(fixture, text, &error);
	char *warning;

	if (config == NULL)
		fail_msg("%s refused: %s", text, error->message);
	warning = config_base_url_warning(config);
	config_destroy(config);
	g_free(text);
	return warning;
}

static void assert_no_base_url_warning(const Fixture *fixture, const char *listen,
				       const char *base_url)
{
	char *warning = base_url_warning(fixture, listen, base_url);

	if (warning)
		fail_msg("listen %s, base_url %s: unexpected warning \"%s\"", listen,
			 base_url ? base_url : "(none)",
			 warning);
}

static void assert_base_url_warning(const Fixture *fixture, const char *listen,
				    const char *base_url, const char *fragment)
{
	char *warning = base_url_warning(fixture, listen, base_url);

	if (!warning)
		fail_msg("listen %s, base_url %s: no warning", listen, base_url);
	if (!strstr(warning, fragment))
		fail_msg("warning \"%s\" lacks \"%s\"", warning, fragment);
	g_free(warning);
}

static void test_base_url_warning(void **state)
{
	Fixture *fixture = *state;

	/* The case: listen moved, base_url left on the old port. */
	assert_base_url_warning(fixture, "127.0.0.1:18641", "http://127.0.0.1:8645",
				"names port 8645 of this machine, but dosed listens on "
				"127.0.0.1:18641");
	/* Loopback under another name is the same machine. */
	assert_base_url_warning(fixture, "127.0.0.1:18641", "http://localhost:8645/", "port 8645");
	assert_base_url_warning(fixture, "[::1]:18641", "http://127.0.0.1:8645", "port 8645");
	/* No port: the scheme's. */
	assert_base_url_warning(fixture, "127.0.0.1:8645", "https://127.0.0.1/dosed", "port 443");
	assert_base_url_warning(fixture, "0.0.0.0:18641", "http://127.0.0.1:8645", "port 8645");
	assert_base_url_warning(fixture, "0.0.0.0:18641", NULL, "set [feed] base_url");

	assert_no_base_url_warning(fixture, "127.0.0.1:18641", NULL);
	assert_no_base_url_warning(fixture, "127.0.0.1:18641", "http://127.0.0.1:18641");
	assert_no_base_url_warning(fixture, "127.0.0.1:18641", "http://localhost:18641/x");
	assert_no_base_url_warning(fixture, "[::1]:443", "https://[::1]");
	/* Another host: a proxy's address, any port. */
	assert_no_base_url_warning(fixture, "127.0.0.1:18641", "https://dosed.example.org");
	assert_no_base_url_warning(fixture, "127.0.0.1:18641", "http://192.0.2.7:8645");
	assert_no_base_url_warning(fixture, "0.0.0.0:8645", "https://dosed.example.org");
}

static void test_months(void **state)
{
	Fixture *fixture = *state;
	DosedConfig *config = load_value(fixture, "feed", "horizon_months", "1");

	assert_int_equal(config->feed_horizon_months, 1);
	config_destroy(config);
	assert_value_refused(fixture, "feed", "horizon_months", "0",
			     "\"0\" is not a number from 1 to 120");
	assert_value_refused(fixture, "feed", "history_months", "121",
			     "\"121\" is not a number from 1 to 120");
	assert_value_refused(fixture, "feed", "history_months", "12 months",
			     "(expected a whole number of months from 1 to 120)");
	/* Issue 12: decimal digits only, never base 0 ("010" is ten). */
	config = load_value(fixture, "feed", "horizon_months", "010");
	assert_int_equal(config->feed_horizon_months, 10);
	config_destroy(config);
	assert_value_refused(fixture, "feed", "horizon_months", "0x10", "\"0x10\" is not a number");
	assert_value_refused(fixture, "feed", "horizon_months", "+12", "\"+12\" is not a number");
	assert_value_refused(fixture, "feed", "clinic_days", "+7", "\"+7\" is not a number");
	assert_value_refused(fixture, "feed", "clinic_days", "0x7", "\"0x7\" is not a number");

	config = load_value(fixture, "feed", "clinic_days", "14");
	assert_int_equal(config->feed_clinic_days, 14);
	config_destroy(config);
	assert_value_refused(fixture, "feed", "clinic_days", "0",
			     "\"0\" is not a number from 1 to 366");
	assert_value_refused(fixture, "feed", "clinic_days", "367",
			     "\"367\" is not a number from 1 to 366");
}

static void test_clock_time(void **state)
{
	Fixture *fixture = *state;

	assert_value_refused(fixture, "reminders", "at", "24:00", "\"24:00\" is not a time of day");
	assert_value_refused(fixture, "reminders", "at", "9am", "(expected HH:MM or HH:MM:SS");
}

static void test_durations(void **state)
{
	Fixture *fixture = *state;
	DosedConfig *config = load_value(fixture, "reminders", "before", "0");

	/* SPEC 6: before = 0 means no lead reminder. */
	assert_int_equal(config->reminders_before_ms, 0);
	config_destroy(config);
	config = load_value(fixture, "store", "busy_timeout", "2 min");
	assert_int_equal(config->busy_timeout_ms, 120000);
	config_destroy(config);

	assert_value_refused(fixture, "reminders", "overdue_every", "0",
			     "\"0\" would repeat without pause (expected a duration longer than 0");
	assert_value_refused(fixture, "reminders", "snooze", "0", "would repeat without pause");
	assert_value_refused(fixture, "reminders", "snooze", "soon", "\"soon\" is not a duration");
	assert_value_refused(fixture, "reminders", "before", "-1 day", "\"-1 day\"");
	/* sqlite3_busy_timeout() takes an int of milliseconds. */
	assert_value_refused(fixture, "store", "busy_timeout", "30 days",
			     "longer than the 24 days SQLite can wait");
}

static void test_sites(void **state)
{
	Fixture *fixture = *state;
	DosedConfig *config = load_value(fixture, "rotation", "sites", "");

	/* An empty list: no site is suggested. */
	assert_non_null(config->sites);
	assert_null(config->sites[0]);
	config_destroy(config);
	config = load_value(fixture, "rotation", "sites", "abdomen");
	assert_strv_equal(config->sites, "abdomen", NULL);
	config_destroy(config);

	assert_value_refused(fixture, "rotation", "sites", "left thigh,, right thigh",
			     "item 2 of \"left thigh,, right thigh\" is empty");
	assert_value_refused(fixture, "rotation", "sites", "left thigh,", "item 2");
	assert_value_refused(fixture, "rotation", "sites", "left thigh, right thigh, left thigh",
			     "\"left thigh\" is listed twice");
}

static void test_empty_value_refused(void **state)
{
	Fixture *fixture = *state;

	assert_value_refused(fixture, "store", "path", "", "no value (expected a file");
	assert_value_refused(fixture, "feed", "listen", "", "no value (expected HOST:PORT");
}

static void test_unknown_section(void **state)
{
	Fixture *fixture = *state;

	/* Refused at its header, even with no key under it. */
	assert_text_refused(fixture, "[feed]\nalarms = no\n[reminder]\n; at = 09:00\n", 3,
			    "[reminder]: unknown section",
			    "expected [store], [feed], [reminders], [rotation] or [protocols]");
}

static void test_unknown_key(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture, "[feed]\n\n; a comment\nlisten = 127.0.0.1:1\nlisen = x\n",
			    5, "[feed] lisen: unknown key",
			    "expected listen, base_url, horizon_months, history_months, alarms or clinic_days");
}

static void test_bad_value_names_line(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture,
			    "; comment\n[store]\npath = /srv/x.db\n\n[reminders]\nat = 25:00\n",
			    6, "[reminders] at: \"25:00\" is not a time of day");
}

static void test_duplicate_key(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture,
			    "[feed]\nhorizon_months = 6\n[store]\nbusy_timeout = 1 s\n"
			    "[feed]\nhorizon_months = 6\n",
			    6, "[feed] horizon_months: set twice (first on line 2; keep one)");
}

static void test_key_outside_section(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture, "; header\nlisten = 127.0.0.1:1\n[feed]\n", 2,
			    "listen: comes before any section", "put it under [store]");
}

static void test_not_a_key_line(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture, "[feed]\nalarms = no\nalarms yes\n", 3,
			    "not a [section] header or key = value line");
	assert_text_refused(fixture, "[store]\n[feed\nlisten = 127.0.0.1:1\n", 2,
			    "missing ']'");
}

/* Debian's inih joins an indented line to the value above it. */
static void test_indented_line_refused(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture, "[reminders]\nat = 09:00\n  before = 0\n", 3,
			    "[reminders] at: an indented line continues the value above",
			    "remove the indentation");
	assert_text_refused(fixture, "[rotation]\nsites = a, b\n\n\tc, d\n", 4,
			    "[rotation] sites: an indented line");
}

/* The first error is the one reported, on its own line. */
static void test_first_error_reported(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture, "[feed]\nlisten = nowhere\nfoo = bar\n[nope]\n", 2,
			    "[feed] listen:");
}

/* Debian's inih reads 199 bytes of a line and hands the rest over as a new
 * line: a longer line is refused, never read cut short. */
static void test_long_line(void **state)
{
	Fixture *fixture = *state;
	GString *line = g_string_new("sites = ");
	char *text;
	DosedConfig *config;
	GError *error = NULL;

	while (line->len < 199)
		g_string_append_c(line, 's');
	text = g_strdup_printf("; a comment\n[rotation]\n%s\n[feed]\nalarms = no\n", line->str);
	config = load_text(fixture, text, &error);
	if (config == NULL)
		fail_msg("a 199-byte line refused: %s", error->message);
	assert_int_equal(strlen(config->sites[0]), 199 - strlen("sites = "));
	assert_false(config->feed_alarms);
	config_destroy(config);
	g_free(text);

	/* Cut at 199 bytes this would still be a good list of one site. */
	g_string_append_c(line, 's');
	text = g_strdup_printf("; a comment\n[rotation]\n%s\n", line->str);
	assert_text_refused(fixture, text, 3, "line is 200 bytes long", "shorten it");
	g_free(text);

	/* A comment is a line too: inih would read its tail as a key. */
	g_string_assign(line, ";");
	while (line->len < 210)
		g_string_append(line, " x = 1");
	text = g_strdup_printf("[feed]\n%s\n", line->str);
	assert_text_refused(fixture, text, 2, "bytes long");
	g_free(text);
	g_string_free(line, TRUE);
}

static void test_crlf_and_bom(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	DosedConfig *config = load_text(fixture,
					"\xEF\xBB\xBF[feed]\r\nhorizon_months = 3\r\n"
					"[rotation]\r\nsites = a, b\r\n",
					&error);

	if (config == NULL)
		fail_msg("CRLF file refused: %s", error->message);
	assert_int_equal(config->feed_horizon_months, 3);
	assert_strv_equal(config->sites, "a", "b", NULL);
	config_destroy(config);
}

static void test_not_utf8(void **state)
{
	Fixture *fixture = *state;

	assert_text_refused(fixture, "[rotation]\n; ok\nsites = \xE9paule\n", 3,
			    "not UTF-8 text");
}

/* Relative store and protocol paths are relative to the file's folder,
 * even when the file is named by a relative path; protocols.d defaults to
 * the one beside the file (SPEC 1). */
static void test_relative_paths(void **state)
{
	Fixture *fixture = *state;
	char *clinic = g_build_filename(fixture->dir, "clinic", NULL);
	char *path = write_file(clinic, "dosed.conf",
				"[store]\npath = data/dosed.db\n"
				"[protocols]\npaths = ./local.ini, ../shared/protocols.d, "
				"/opt/dosed/extra.ini\n");
	char *plain = write_file(clinic, "plain.conf", "[feed]\nalarms = off\n");
	char *store = g_build_filename(clinic, "data", "dosed.db", NULL);
	char *local = g_build_filename(clinic, "local.ini", NULL);
	char *shared = g_build_filename(fixture->dir, "shared", "protocols.d", NULL);
	char *beside = g_build_filename(clinic, "protocols.d", NULL);
	char *cwd = g_get_current_dir();
	GError *error = NULL;
	DosedConfig *config = config_load(path, false, &error);

	if (config == NULL)
		fail_msg("%s", error->message);
	assert_string_equal(config->store_path, store);
	assert_strv_equal(config->protocol_paths, local, shared, "/opt/dosed/extra.ini", NULL);
	config_destroy(config);

	config = config_load(plain, false, &error);
	assert_non_null(config);
	assert_strv_equal(config->protocol_paths, DOSED_DATADIR "/protocols.ini", beside, NULL);
	config_destroy(config);

	assert_int_equal(g_chdir(fixture->dir), 0);
	config = config_load("clinic/dosed.conf", false, &error);
	assert_int_equal(g_chdir(cwd), 0);
	assert_non_null(config);
	assert_string_equal(config->path, "clinic/dosed.conf");
	assert_string_equal(config->store_path, store);
	config_destroy(config);

	g_free(clinic);
	g_free(path);
	g_free(plain);
	g_free(store);
	g_free(local);
	g_free(shared);
	g_free(beside);
	g_free(cwd);
}

static void test_home_expanded(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	DosedConfig *config = load_text(fixture,
					"[store]\npath = ~/dosed/my.db\n"
					"[protocols]\npaths = ~/protocols.ini, ~\n",
					&error);
	char *store = g_build_filename(g_get_home_dir(), "dosed", "my.db", NULL);
	char *protocols = g_build_filename(g_get_home_dir(), "protocols.ini", NULL);
	char *home = g_canonicalize_filename(g_get_home_dir(), NULL);

	assert_non_null(config);
	assert_string_equal(config->store_path, store);
	assert_strv_equal(config->protocol_paths, protocols, home, NULL);
	config_destroy(config);
	assert_value_refused(fixture, "store", "path", "~bob/dosed.db", "only ~/ is expanded");
	g_free(store);
	g_free(protocols);
	g_free(home);
}

static void test_missing_file(void **state)
{
	Fixture *fixture = *state;
	char *path = g_build_filename(fixture->dir, "absent.conf", NULL);
	GError *error = NULL;

	assert_null(config_load(path, false, &error));
	assert_parse_error(error, "cannot read config file ", path, "No such file or directory",
			   NULL);
	g_clear_error(&error);

	assert_null(config_load(fixture->dir, false, &error));
	assert_parse_error(error, fixture->dir, "Is a directory", NULL);
	g_clear_error(&error);
	g_free(path);
}

/* config_locate: explicit > $XDG_CONFIG_HOME/dosed/dosed.conf > the system
 * file > none. */
static void test_locate_order(void **state)
{
	Fixture *fixture = *state;
	char *system_file = g_build_filename(fixture->dir, "etc", "dosed", "dosed.conf", NULL);
	char *personal = g_build_filename(fixture->config_home, "dosed", "dosed.conf", NULL);
	char *path = NULL;
	bool system = true;

	/* Nothing there: personal defaults. */
	config_locate_in(NULL, system_file, true, &path, &system);
	assert_null(path);
	assert_false(system);

	g_free(write_file(fixture->dir, "etc/dosed/dosed.conf", "[feed]\n"));
	config_locate_in(NULL, system_file, true, &path, &system);
	assert_string_equal(path, system_file);
	assert_true(system);
	g_free(path);
	/* A patient on a desktop where dosed was installed is not staff:
	 * their own database, not the clinic's. */
	config_locate_in(NULL, system_file, false, &path, &system);
	assert_null(path);
	assert_false(system);

	g_free(write_file(fixture->config_home, "dosed/dosed.conf", "[feed]\n"));
	config_locate_in(NULL, system_file, true, &path, &system);
	assert_string_equal(path, personal);
	assert_false(system);
	g_free(path);
	/* config_locate() itself finds the personal file first too. */
	config_locate(NULL, &path, &system);
	assert_string_equal(path, personal);
	assert_false(system);
	g_free(path);

	config_locate_in("elsewhere.conf", system_file, true, &path, &system);
	assert_string_equal(path, "elsewhere.conf");
	assert_false(system);
	g_free(path);
	/* Naming the system file explicitly is system use. */
	config_locate_in(system_file, system_file, false, &path, &system);
	assert_string_equal(path, system_file);
	assert_true(system);
	g_free(path);

	g_free(system_file);
	g_free(personal);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_personal_defaults_follow_xdg),
		TEST(test_personal_defaults_without_xdg),
		TEST(test_system_defaults),
		TEST(test_store_mode),
		TEST(test_no_file_is_defaults),
		TEST(test_clinic_may_enable_reminders),
		TEST(test_shipped_conf_gives_defaults),
		TEST(test_shipped_conf_shows_true_defaults),
		TEST(test_every_key_is_read),
		TEST(test_spec_example_with_inline_comments),
		TEST(test_inline_comment_and_semicolon_in_value),
		TEST(test_booleans),
		TEST(test_listen),
		TEST(test_base_url),
		TEST(test_base_url_follows_listen),
		TEST(test_base_url_warning),
		TEST(test_months),
		TEST(test_clock_time),
		TEST(test_durations),
		TEST(test_sites),
		TEST(test_empty_value_refused),
		TEST(test_unknown_section),
		TEST(test_unknown_key),
		TEST(test_bad_value_names_line),
		TEST(test_duplicate_key),
		TEST(test_key_outside_section),
		TEST(test_not_a_key_line),
		TEST(test_indented_line_refused),
		TEST(test_first_error_reported),
		TEST(test_long_line),
		TEST(test_crlf_and_bom),
		TEST(test_not_utf8),
		TEST(test_relative_paths),
		TEST(test_home_expanded),
		TEST(test_missing_file),
		TEST(test_locate_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
