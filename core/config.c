/* config.c - dosed.conf (SPEC section 6), read with inih.
 *
 * One table, confmap[], maps each [section] key to the parser that reads it,
 * the field it fills and its default.  Defaults are made by running the
 * default text through the same parsers, so a default is always a value the
 * file could hold; only the paths built from the environment are set as
 * values (a directory name may hold a comma, which the list syntax cannot).
 */
#include "config_private.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <ini.h>

#include "error.h"
#include "timeutil.h"
#include "trust.h"

#ifndef DOSED_DATADIR
#error "DOSED_DATADIR must be defined (config.mk passes -DDOSED_DATADIR)"
#endif
#ifndef DOSED_SYSCONFDIR
#error "DOSED_SYSCONFDIR must be defined (config.mk passes -DDOSED_SYSCONFDIR)"
#endif

/* SPEC 6: the clinic's files. */
#define CONFIG_SYSTEM_STORE "/var/lib/dosed/dosed.db"
#define CONFIG_PROTOCOLS_INI DOSED_DATADIR "/protocols.ini"

/* Read one value (inih has already stripped blanks and inline comments) into
 * the field.  On failure *problem says what is wrong with it, newly
 * allocated; the caller adds file, line, key and what is expected.
 * base_dir is the absolute folder of the file, NULL for a default. */
typedef bool (*ConfParser)(const char *text, void *field, const char *base_dir,
			   char **problem);

typedef struct {
	const char *section;
	const char *key;
	ConfParser parse;
	size_t offset;          /* of the field in DosedConfig */
	/* The default: a text for parse(), or, when NULL, set_default(). */
	const char *default_text;
	void (*set_default)(DosedConfig *config, const char *config_dir);
	bool may_be_empty;      /* an empty value is a value (an empty list) */
	const char *expected;   /* what a good value looks like, for messages */
} ConfOption;

static bool parse_store_path(const char *text, void *field, const char *base_dir,
			     char **problem);
static bool parse_busy_timeout(const char *text, void *field, const char *base_dir,
			       char **problem);
static bool parse_listen(const char *text, void *field, const char *base_dir, char **problem);
static bool parse_base_url(const char *text, void *field, const char *base_dir,
			   char **problem);
static bool parse_months(const char *text, void *field, const char *base_dir, char **problem);
static bool parse_days(const char *text, void *field, const char *base_dir, char **problem);
static bool parse_bool(const char *text, void *field, const char *base_dir, char **problem);
static bool parse_clock_time(const char *text, void *field, const char *base_dir,
			     char **problem);
static bool parse_lead_time(const char *text, void *field, const char *base_dir,
			    char **problem);
static bool parse_interval(const char *text, void *field, const char *base_dir,
			   char **problem);
static bool parse_sites(const char *text, void *field, const char *base_dir, char **problem);
static bool parse_path_list(const char *text, void *field, const char *base_dir,
			    char **problem);
static void default_store_path(DosedConfig *config, const char *config_dir);
static void default_reminders_enabled(DosedConfig *config, const char *config_dir);
static void default_protocol_paths(DosedConfig *config, const char *config_dir);

#define FIELD(name) offsetof(DosedConfig, name)

/* In SPEC section 6's order; conf/dosed.conf lists them the same way. */
static const ConfOption confmap[] = {
	{ "store", "path", parse_store_path, FIELD(store_path),
	  NULL, default_store_path, false,
	  "a file: absolute, ~/..., or relative to this file's folder" },
	{ "store", "busy_timeout", parse_busy_timeout, FIELD(busy_timeout_ms),
	  "5 s", NULL, false,
	  "how long to wait for another writer, such as 5 s or 500 ms" },

	{ "feed", "listen", parse_listen, FIELD(feed_listen),
	  "127.0.0.1:8645", NULL, false,
	  "HOST:PORT with an IPv4 address, [IPv6] or localhost and a port 1-65535, "
	  "such as 127.0.0.1:8645" },
	/* No default of its own: it follows listen (config_listen_url()),
	 * made once the file is read. */
	{ "feed", "base_url", parse_base_url, FIELD(feed_base_url),
	  NULL, NULL, false,
	  "http://HOST[:PORT][/PATH] or https://..., such as https://dosed.example.org" },
	{ "feed", "horizon_months", parse_months, FIELD(feed_horizon_months),
	  "12", NULL, false, "a whole number of months from 1 to 120" },
	{ "feed", "history_months", parse_months, FIELD(feed_history_months),
	  "12", NULL, false, "a whole number of months from 1 to 120" },
	{ "feed", "alarms", parse_bool, FIELD(feed_alarms),
	  "true", NULL, false, "true or false; also yes/no, on/off, 1/0" },
	{ "feed", "clinic_days", parse_days, FIELD(feed_clinic_days),
	  "7", NULL, false, "a whole number of days from 1 to 366" },

	{ "reminders", "enabled", parse_bool, FIELD(reminders_enabled),
	  NULL, default_reminders_enabled, false,
	  "true or false; also yes/no, on/off, 1/0" },
	{ "reminders", "at", parse_clock_time, FIELD(reminders_at),
	  "09:00", NULL, false, "HH:MM or HH:MM:SS on the 24-hour clock, such as 09:00" },
	{ "reminders", "before", parse_lead_time, FIELD(reminders_before_ms),
	  "1 day", NULL, false,
	  "a duration such as 1 day or 2 hours; 0 for no lead reminder" },
	{ "reminders", "overdue_every", parse_interval, FIELD(reminders_overdue_every_ms),
	  "1 day", NULL, false, "a duration longer than 0, such as 1 day or 4 hours" },
	{ "reminders", "snooze", parse_interval, FIELD(reminders_snooze_ms),
	  "1 hour", NULL, false, "a duration longer than 0, such as 1 hour or 30 min" },

	{ "rotation", "sites", parse_sites, FIELD(sites),
	  "left deltoid, right deltoid, left thigh, right thigh", NULL, true,
	  "injection sites in rotation order, separated by commas" },

	{ "protocols", "paths", parse_path_list, FIELD(protocol_paths),
	  NULL, default_protocol_paths, true,
	  "protocol files or folders separated by commas; "
	  "relative ones are relative to this file's folder" },
};

#define CONF_N_OPTIONS G_N_ELEMENTS(confmap)

char *config_xdg_dir(const char *variable, const char *fallback)
{
	const char *value = g_getenv(variable);

	if (value != NULL && g_path_is_absolute(value))
		return g_strdup(value);
	return g_build_filename(g_get_home_dir(), fallback, NULL);
}

/* "~" and "~/..." are the home folder (SPEC 6's example says ~/.local/...);
 * other relative paths are relative to the file's folder, so a config file
 * can be moved together with what it names. */
static char *expand_path(const char *text, const char *base_dir, char **problem)
{
	char *joined, *path;

	if (text[0] == '~') {
		if (text[1] != '\0' && text[1] != '/') {
			*problem = g_strdup_printf("\"%s\": only ~/ is expanded, not ~user",
						   text);
			return NULL;
		}
		joined = g_build_filename(g_get_home_dir(), text + 1, NULL);
		path = g_canonicalize_filename(joined, NULL);
		g_free(joined);
		return path;
	}
	return g_canonicalize_filename(text, base_dir);
}

static bool parse_store_path(const char *text, void *field, const char *base_dir,
			     char **problem)
{
	char **store_path = field;
	char *path = expand_path(text, base_dir, problem);

	if (path == NULL)
		return false;
	g_free(*store_path);
	*store_path = path;
	return true;
}

static bool parse_duration_ms(const char *text, gint64 *milliseconds, char **problem)
{
	if (!duration_parse(text, milliseconds, NULL)) {
		*problem = g_strdup_printf("\"%s\" is not a duration", text);
		return false;
	}
	if (*milliseconds < 0) {
		*problem = g_strdup_printf("\"%s\" is negative", text);
		return false;
	}
	return true;
}

static bool parse_busy_timeout(const char *text, void *field, const char *base_dir,
			       char **problem)
{
	int *busy_timeout_ms = field;
	gint64 milliseconds;

	if (!parse_duration_ms(text, &milliseconds, problem))
		return false;
	/* sqlite3_busy_timeout() takes an int of milliseconds. */
	if (milliseconds > INT_MAX) {
		*problem = g_strdup_printf("\"%s\" is longer than the 24 days SQLite can wait",
					   text);
		return false;
	}
	*busy_timeout_ms = (int)milliseconds;
	return true;
}

/* The port after HOST: ("8645"), 1-65535. */
static bool check_port(const char *port, char **problem)
{
	if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, NULL, NULL)) {
		*problem = g_strdup_printf("port \"%s\" is not a number from 1 to 65535", port);
		return false;
	}
	return true;
}

/* The daemon binds to an address, so the host is an address literal or
 * localhost, never a name to look up. */
static bool parse_listen(const char *text, void *field, const char *base_dir, char **problem)
{
	char **listen = field;
	const char *close, *colon;
	char *host;
	bool ok;

	if (text[0] == '[') {
		close = strchr(text, ']');
		if (close == NULL || close[1] != ':') {
			*problem = g_strdup_printf("\"%s\" is not [IPv6]:PORT", text);
			return false;
		}
		host = g_strndup(text + 1, (gsize)(close - text - 1));
		ok = strchr(host, ':') != NULL && g_hostname_is_ip_address(host);
		if (!ok)
			*problem = g_strdup_printf("\"%s\" is not an IPv6 address", host);
		g_free(host);
		if (!ok || !check_port(close + 2, problem))
			return false;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL) {
			*problem = g_strdup_printf("\"%s\" has no :PORT", text);
			return false;
		}
		host = g_strndup(text, (gsize)(colon - text));
		if (strchr(host, ':') != NULL) {
			*problem = g_strdup_printf("IPv6 address \"%s\" must be in brackets, "
						   "as in [::1]:8645", host);
			ok = false;
		} else {
			ok = strcmp(host, "localhost") == 0 ||
			     g_hostname_is_ip_address(host);
			if (!ok)
				*problem = g_strdup_printf("\"%s\" is not an IPv4 address or "
							   "localhost", host);
		}
		g_free(host);
		if (!ok || !check_port(colon + 1, problem))
			return false;
	}
	g_free(*listen);
	*listen = g_strdup(text);
	return true;
}

/* dosectl feed appends "/feeds/TOKEN.ics" to it, so it must be a plain
 * http(s) URL without query or fragment, kept without its trailing slash. */
static bool parse_base_url(const char *text, void *field, const char *base_dir,
			   char **problem)
{
	char **base_url = field;
	GUri *uri;
	bool ok;
	size_t length;

	/* GLib's parser lets a blank through in the host. */
	if (strpbrk(text, " \t") != NULL) {
		*problem = g_strdup_printf("\"%s\" holds a blank", text);
		return false;
	}
	if (g_ascii_strncasecmp(text, "http://", 7) != 0 &&
	    g_ascii_strncasecmp(text, "https://", 8) != 0) {
		*problem = g_strdup_printf("\"%s\" does not start with http:// or https://", text);
		return false;
	}
	uri = g_uri_parse(text, G_URI_FLAGS_NONE, NULL);
	if (uri == NULL) {
		*problem = g_strdup_printf("\"%s\" is not a URL", text);
		return false;
	}
	ok = false;
	if (g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0')
		*problem = g_strdup_printf("\"%s\" has no host", text);
	else if (g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL)
		*problem = g_strdup_printf("\"%s\" has a ?query or #fragment", text);
	else
		ok = true;
	g_uri_unref(uri);
	if (!ok)
		return false;

	g_free(*base_url);
	*base_url = g_strdup(text);
	length = strlen(*base_url);
	while (length > 0 && (*base_url)[length - 1] == '/')
		(*base_url)[--length] = '\0';
	return true;
}

/* Numbers are decimal digits alone: g_ascii_string_to_unsigned() refuses a
 * sign and "0x", and reads "010" as ten (issue 12: no base 0 anywhere). */
static bool parse_months(const char *text, void *field, const char *base_dir, char **problem)
{
	int *months = field;
	guint64 number;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 120, &number, NULL)) {
		*problem = g_strdup_printf("\"%s\" is not a number from 1 to 120", text);
		return false;
	}
	*months = (int)number;
	return true;
}

static bool parse_days(const char *text, void *field, const char *base_dir, char **problem)
{
	int *days = field;
	guint64 number;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 366, &number, NULL)) {
		*problem = g_strdup_printf("\"%s\" is not a number from 1 to 366", text);
		return false;
	}
	*days = (int)number;
	return true;
}

static bool parse_bool(const char *text, void *field, const char *base_dir, char **problem)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "true", true }, { "yes", true }, { "on", true }, { "1", true },
		{ "false", false }, { "no", false }, { "off", false }, { "0", false },
	};
	bool *flag = field;

	for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
		if (g_ascii_strcasecmp(text, words[i].word) == 0) {
			*flag = words[i].value;
			return true;
		}
	}
	*problem = g_strdup_printf("\"%s\" is not true or false", text);
	return false;
}

static bool parse_clock_time(const char *text, void *field, const char *base_dir,
			     char **problem)
{
	int *seconds = field;

	if (!clock_time_parse(text, seconds, NULL)) {
		*problem = g_strdup_printf("\"%s\" is not a time of day", text);
		return false;
	}
	return true;
}

/* [reminders] before: 0 means no lead reminder (SPEC 6). */
static bool parse_lead_time(const char *text, void *field, const char *base_dir,
			    char **problem)
{
	return parse_duration_ms(text, field, problem);
}

/* overdue_every and snooze: 0 would repeat the reminder without pause. */
static bool parse_interval(const char *text, void *field, const char *base_dir,
			   char **problem)
{
	gint64 *milliseconds = field;
	gint64 value;

	if (!parse_duration_ms(text, &value, problem))
		return false;
	if (value == 0) {
		*problem = g_strdup_printf("\"%s\" would repeat without pause", text);
		return false;
	}
	*milliseconds = value;
	return true;
}

/* "a, b , c" to a NULL-terminated list of trimmed items; "" is the empty
 * list, but an empty item ("a,,b", "a,") is most likely a typing slip.
 * Newly allocated. */
static char **split_list(const char *text, char **problem)
{
	char **items = g_strsplit(text, ",", -1);

	for (size_t i = 0; items[i] != NULL; i++) {
		g_strstrip(items[i]);
		if (items[i][0] == '\0') {
			*problem = g_strdup_printf("item %zu of \"%s\" is empty", i + 1, text);
			g_strfreev(items);
			return NULL;
		}
	}
	return items;
}

/* SPEC 2: the next site is the one after the last site used, so a site
 * listed twice would make the rotation ambiguous. */
static bool parse_sites(const char *text, void *field, const char *base_dir, char **problem)
{
	char ***sites = field;
	char **items = split_list(text, problem);

	if (items == NULL)
		return false;
	for (size_t i = 0; items[i] != NULL; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(items[i], items[j]) == 0) {
				*problem = g_strdup_printf("\"%s\" is listed twice", items[i]);
				g_strfreev(items);
				return false;
			}
		}
	}
	g_strfreev(*sites);
	*sites = items;
	return true;
}

static bool parse_path_list(const char *text, void *field, const char *base_dir,
			    char **problem)
{
	char ***paths = field;
	char **items = split_list(text, problem);
	char *path;

	if (items == NULL)
		return false;
	for (size_t i = 0; items[i] != NULL; i++) {
		path = expand_path(items[i], base_dir, problem);
		if (path == NULL) {
			g_strfreev(items);
			return false;
		}
		g_free(items[i]);
		items[i] = path;
	}
	g_strfreev(*paths);
	*paths = items;
	return true;
}

/* SPEC 6: personal $XDG_DATA_HOME/dosed/dosed.db, clinic /var/lib/dosed. */
static void default_store_path(DosedConfig *config, const char *config_dir)
{
	char *data_home;

	g_free(config->store_path);
	if (config->system) {
		config->store_path = g_strdup(CONFIG_SYSTEM_STORE);
		return;
	}
	data_home = config_xdg_dir("XDG_DATA_HOME", ".local/share");
	config->store_path = g_build_filename(data_home, "dosed", "dosed.db", NULL);
	g_free(data_home);
}

/* On for a patient's desktop; off for a clinic, whose dosed is a system
 * service with no desktop to show a reminder on: left on, it would only
 * look for a session bus there, and log that it found none (issue 19). */
static void default_reminders_enabled(DosedConfig *config, const char *config_dir)
{
	config->reminders_enabled = !config->system;
}

/* SPEC 1: the built-in catalogue, then "a protocols.d/ folder beside the
 * config" -- beside the file read, or where the file would be. */
static void default_protocol_paths(DosedConfig *config, const char *config_dir)
{
	char *config_home;
	char *folder;

	if (config_dir != NULL) {
		folder = g_build_filename(config_dir, "protocols.d", NULL);
	} else if (config->system) {
		folder = g_strdup(DOSED_SYSCONFDIR "/dosed/protocols.d");
	} else {
		config_home = config_xdg_dir("XDG_CONFIG_HOME", ".config");
		folder = g_build_filename(config_home, "dosed", "protocols.d", NULL);
		g_free(config_home);
	}
	g_strfreev(config->protocol_paths);
	config->protocol_paths = g_new0(char *, 3);
	config->protocol_paths[0] = g_strdup(CONFIG_PROTOCOLS_INI);
	config->protocol_paths[1] = folder;
}

/* Every field set to its default; config_dir is the absolute folder of the
 * file about to be read, or NULL. */
static DosedConfig *config_new(bool system, const char *config_dir)
{
	DosedConfig *config = g_new0(DosedConfig, 1);
	char *problem = NULL;
	bool ok;

	config->system = system;
	for (size_t i = 0; i < CONF_N_OPTIONS; i++) {
		const ConfOption *option = &confmap[i];

		if (option->default_text == NULL) {
			if (option->set_default != NULL)
				option->set_default(config, config_dir);
			continue;
		}
		ok = option->parse(option->default_text, (char *)config + option->offset,
				   NULL, &problem);
		/* The default texts are constants that test_config parses:
		 * one that fails is a bug in this table. */
		g_assert(ok);
	}
	return config;
}

/* Issue 12: a default base_url that ignored listen made dosectl feed print
 * an address nothing served, and a URL is shown only once. */
static void default_base_url(DosedConfig *config)
{
	if (config->feed_base_url == NULL)
		config->feed_base_url = config_listen_url(config->feed_listen);
}

int config_store_mode(const DosedConfig *config)
{
	return config->system ? 0660 : 0600;
}

DosedConfig *config_create_defaults(bool system)
{
	DosedConfig *config = config_new(system, NULL);

	default_base_url(config);
	return config;
}

void config_destroy(DosedConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_free(config->store_path);
	g_free(config->feed_listen);
	g_free(config->feed_base_url);
	g_strfreev(config->sites);
	g_strfreev(config->protocol_paths);
	g_free(config);
}

/* The state of one file being read: inih's reader and handler share it. */
typedef struct {
	const char *name;       /* the path as given, for messages */
	FILE *file;
	char *line;             /* getline()'s buffer */
	size_t line_size;
	int lineno;             /* the line inih is handling */
	int read_errno;         /* a read error, or 0 */
	bool indented;          /* this line starts with a blank */
	bool after_key;         /* a key line since the last section header */
	const char *base_dir;
	DosedConfig *config;
	int set_on[CONF_N_OPTIONS]; /* the line each key was set on, or 0 */
	GError *error;          /* the first error; reading stops there */
	int error_line;
} ConfReader;

static void reader_fail(ConfReader *reader, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Record "FILE:LINE: " + the message as the first error. */
static void reader_fail(ConfReader *reader, const char *format, ...)
{
	va_list args;
	char *message;

	if (reader->error != NULL)
		return;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(&reader->error, DOSED_ERROR, DOSED_ERROR_PARSE, "%s:%d: %s", reader->name,
		    reader->lineno, message);
	reader->error_line = reader->lineno;
	g_free(message);
}

/* "[store], [feed], [reminders], [rotation] or [protocols]" (section NULL),
 * or the keys of one section; newly allocated.  confmap[] holds each
 * section's keys together. */
static char *list_names(const char *section)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GString *text = g_string_new(NULL);

	for (size_t i = 0; i < CONF_N_OPTIONS; i++) {
		if (section == NULL) {
			if (i == 0 || strcmp(confmap[i - 1].section, confmap[i].section) != 0)
				g_ptr_array_add(names, g_strdup_printf("[%s]", confmap[i].section));
		} else if (strcmp(section, confmap[i].section) == 0) {
			g_ptr_array_add(names, g_strdup(confmap[i].key));
		}
	}
	for (guint i = 0; i < names->len; i++) {
		if (i > 0)
			g_string_append(text, i + 1 == names->len ? " or " : ", ");
		g_string_append(text, g_ptr_array_index(names, i));
	}
	g_ptr_array_unref(names);
	return g_string_free(text, FALSE);
}

static bool section_known(const char *name, size_t length)
{
	for (size_t i = 0; i < CONF_N_OPTIONS; i++) {
		if (strlen(confmap[i].section) == length &&
		    strncmp(confmap[i].section, name, length) == 0)
			return true;
	}
	return false;
}

/* inih's reader: one whole line per call.  Debian's inih reads a line into
 * a buffer of `num` bytes and hands the handler the head of a longer line as
 * if it were the whole value (then reads the rest as another line), so a
 * line that does not fit is refused here instead.  Counting lines here gives
 * the handler the line number Debian's inih does not pass it. */
static char *config_read_line(char *buffer, int num, void *stream)
{
	ConfReader *reader = stream;
	ssize_t length;
	const char *start, *close;
	char *names;

	if (reader->error != NULL)
		return NULL;
	errno = 0;
	length = getline(&reader->line, &reader->line_size, reader->file);
	if (length < 0) {
		if (ferror(reader->file))
			reader->read_errno = errno != 0 ? errno : EIO;
		return NULL;
	}
	reader->lineno++;
	if (length > 0 && reader->line[length - 1] == '\n')
		length--;
	if (length > 0 && reader->line[length - 1] == '\r')
		length--;
	if (memchr(reader->line, '\0', (size_t)length) != NULL) {
		reader_fail(reader, "holds a NUL byte (a config file is text)");
		return NULL;
	}
	if (!g_utf8_validate(reader->line, length, NULL)) {
		reader_fail(reader, "not UTF-8 text (save the file as UTF-8)");
		return NULL;
	}
	if (length > (ssize_t)num - 1) {
		reader_fail(reader, "line is %zd bytes long, more than the %d inih reads "
			    "(shorten it)", length, num - 1);
		return NULL;
	}
	memcpy(buffer, reader->line, (size_t)length);
	if (length < (ssize_t)num - 1)
		buffer[length++] = '\n';
	buffer[length] = '\0';

	/* With multi-line values on (Debian's build), inih reads an indented
	 * line after a key as more of that key's value: the handler refuses
	 * it.  Otherwise a line starting '[' is a section header, which ends
	 * that, and is checked here because inih tells the handler only of
	 * keys: a misspelt section with every key commented out would go
	 * unnoticed.  inih skips a UTF-8 BOM. */
	start = buffer;
	if (reader->lineno == 1 && g_str_has_prefix(start, "\xEF\xBB\xBF"))
		start += 3;
	reader->indented = g_ascii_isspace(start[0]);
	while (g_ascii_isspace(*start))
		start++;
	if (start[0] == '[' && !(reader->indented && reader->after_key)) {
		reader->after_key = false;
		close = strchr(start, ']');
		if (close != NULL && !section_known(start + 1, (size_t)(close - start - 1))) {
			names = list_names(NULL);
			reader_fail(reader, "[%.*s]: unknown section (expected %s)",
				    (int)(close - start - 1), start + 1, names);
			g_free(names);
			return NULL;
		}
	}
	return buffer;
}

/* The option for [section] key; NULL when unknown, *known_section telling
 * whether the section is. */
static const ConfOption *find_option(const char *section, const char *key, bool *known_section)
{
	*known_section = false;
	for (size_t i = 0; i < CONF_N_OPTIONS; i++) {
		if (strcmp(confmap[i].section, section) != 0)
			continue;
		*known_section = true;
		if (strcmp(confmap[i].key, key) == 0)
			return &confmap[i];
	}
	return NULL;
}

/* inih's handler: one key = value; returns 0 to stop at an error. */
static int config_handle(void *user, const char *section, const char *name, const char *value)
{
	ConfReader *reader = user;
	bool continuation = reader->indented && reader->after_key;
	const ConfOption *option;
	bool known_section;
	size_t index;
	char *names, *problem = NULL;

	reader->after_key = true;
	if (reader->error != NULL)
		return 0;
	if (continuation) {
		reader_fail(reader, "[%s] %s: an indented line continues the value above "
			    "(remove the indentation, or join the lines)", section, name);
		return 0;
	}
	if (section[0] == '\0') {
		names = list_names(NULL);
		reader_fail(reader, "%s: comes before any section (put it under %s)", name,
			    names);
		g_free(names);
		return 0;
	}
	option = find_option(section, name, &known_section);
	if (!known_section) {
		names = list_names(NULL);
		reader_fail(reader, "[%s] %s: unknown section (expected %s)", section, name,
			    names);
		g_free(names);
		return 0;
	}
	if (option == NULL) {
		names = list_names(section);
		reader_fail(reader, "[%s] %s: unknown key (expected %s)", section, name, names);
		g_free(names);
		return 0;
	}
	index = (size_t)(option - confmap);
	if (reader->set_on[index] != 0) {
		reader_fail(reader, "[%s] %s: set twice (first on line %d; keep one)", section,
			    name, reader->set_on[index]);
		return 0;
	}
	reader->set_on[index] = reader->lineno;
	if (value[0] == '\0' && !option->may_be_empty) {
		reader_fail(reader, "[%s] %s: no value (expected %s)", section, name,
			    option->expected);
		return 0;
	}
	if (!option->parse(value, (char *)reader->config + option->offset, reader->base_dir,
			   &problem)) {
		reader_fail(reader, "[%s] %s: %s (expected %s)", section, name, problem,
			    option->expected);
		g_free(problem);
		return 0;
	}
	return 1;
}

DosedConfig *config_load(const char *path, bool system, GError **error)
{
	ConfReader reader = { 0 };
	g_autoptr(DosedConfig) config = NULL;
	char *dir, *base_dir;
	int first_error;

	if (path == NULL)
		return config_create_defaults(system);

	reader.file = fopen(path, "r");
	if (reader.file == NULL) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read config file %s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (!trust_may_read(fileno(reader.file), path, error)) {
		fclose(reader.file);
		return NULL;
	}
	dir = g_path_get_dirname(path);
	base_dir = g_canonicalize_filename(dir, NULL);
	g_free(dir);

	config = config_new(system, base_dir);
	config->path = g_strdup(path);
	reader.name = path;
	reader.base_dir = base_dir;
	reader.config = config;
	first_error = ini_parse_stream(config_read_line, &reader, config_handle, &reader);

	if (reader.read_errno != 0) {
		g_clear_error(&reader.error);
		g_set_error(&reader.error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read config file %s: %s", path,
			    g_strerror(reader.read_errno));
	} else if (first_error > 0 && (reader.error == NULL || first_error < reader.error_line)) {
		/* inih's own finding, on a line the handler never saw. */
		g_clear_error(&reader.error);
		g_set_error(&reader.error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "%s:%d: not a [section] header or key = value line "
			    "(check for a missing ']' or '=')", path, first_error);
	} else if (first_error < 0 && reader.error == NULL) {
		g_set_error(&reader.error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read config file %s: out of memory", path);
	}
	fclose(reader.file);
	free(reader.line);
	g_free(base_dir);

	if (reader.error != NULL) {
		g_propagate_error(error, reader.error);
		return NULL;
	}
	default_base_url(config);
	return g_steal_pointer(&config);
}
