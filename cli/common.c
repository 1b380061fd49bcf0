/* common.c - what every dosectl command uses: errors, options, config,
 * store, the PATIENT argument, JSON output. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "enrol.h"
#include "error.h"

static int vfail(int status, const char *prefix, const char *format, va_list args)
{
	char *message = g_strdup_vprintf(format, args);
	/* One line, always: a newline inside (a patient name, say) would make
	 * the error look like two. */
	g_strdelimit(message, "\r\n", ' ');
	fprintf(stderr, "dosectl: %s%s\n", prefix ? prefix : "", message);
	g_free(message);
	return status;
}

int cli_fail(int status, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vfail(status, NULL, format, args);
	va_end(args);
	return status;
}

/* What dosectl adds to a refusal the core leaves to the edges (error.h):
 * its own option or command. */
static const char *cli_error_hint(const GError *error)
{
	if (error->domain != DOSED_ERROR)
		return "";
	switch (error->code) {
	case DOSED_ERROR_SAME_DAY:
		return "; use --force if this second dose is intended";
	case DOSED_ERROR_TOO_SOON:
		return "; use --force to log this one anyway";
	case DOSED_ERROR_UNKNOWN_PATIENT:
		return "; see 'dosectl patients'";
	case DOSED_ERROR_UNKNOWN_DOSE:
		return "; 'dosectl show PATIENT' lists the dose ids";
	case DOSED_ERROR_NO_PATIENT:
		return " (see 'dosectl patients')";
	default:
		return "";
	}
}

int cli_fail_error(GError *error)
{
	int status = dosed_error_is(error, DOSED_ERROR_INVALID) ? CLI_EXIT_USAGE
								: CLI_EXIT_REFUSED;
	cli_fail(status, "%s%s", error->message, cli_error_hint(error));
	g_error_free(error);
	return status;
}

int cli_usage_error(CliContext *ctx, const char *format, ...)
{
	va_list args;
	char *message;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	cli_fail(CLI_EXIT_USAGE, "%s: %s; see 'dosectl %s --help'", ctx->command, message,
		 ctx->command);
	g_free(message);
	return CLI_EXIT_USAGE;
}

bool cli_parse_number(CliContext *ctx, const char *option, const char *text, int min,
		      int max, int *value, int *status)
{
	guint64 number;

	/* Digits only: g_ascii_string_to_unsigned() refuses a sign, blanks
	 * and "0x", and reads "010" in base 10. */
	if (!g_ascii_string_to_unsigned(text, 10, (guint64)min, (guint64)max, &number, NULL)) {
		*status = cli_usage_error(ctx, "%s must be a whole number from %d to %d in "
					  "decimal digits, not '%s'", option, min, max, text);
		return false;
	}
	*value = (int)number;
	return true;
}

/* The first option of `entries` given an empty value (--tz '', --tz=),
 * or NULL.  Every option's value means something: an empty one is a slip
 * (a shell variable that was not set), never "the default". */
static const GOptionEntry *empty_option(const GOptionEntry *entries)
{
	for (const GOptionEntry *e = entries; e && e->long_name; e++) {
		if (e->arg != G_OPTION_ARG_FILENAME && e->arg != G_OPTION_ARG_STRING)
			continue;
		const char *value = *(char **)e->arg_data;
		if (value && value[0] == '\0')
			return e;
	}
	return NULL;
}

int cli_parse_options(CliContext *ctx, const CliCommand *command, GOptionEntry *entries,
		      int *argc, char ***argv)
{
	gboolean help = FALSE, json = FALSE;
	char *config_arg = NULL, *db_arg = NULL;
	/* Strings are G_OPTION_ARG_FILENAME: GLib passes them through as bytes,
	 * where G_OPTION_ARG_STRING would convert from the locale's charset and
	 * refuse "Ünal" under the C locale.  UTF-8 is checked by the command. */
	GOptionEntry global[] = {
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, NULL, NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, NULL, NULL },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config_arg, NULL, NULL },
		{ "db", 0, 0, G_OPTION_ARG_FILENAME, &db_arg, NULL, NULL },
		{ NULL },
	};
	GOptionContext *context = g_option_context_new(NULL);
	GError *error = NULL;
	int status = -1;

	g_option_context_set_help_enabled(context, FALSE);
	g_option_context_add_main_entries(context, global, NULL);
	if (entries)
		g_option_context_add_main_entries(context, entries, NULL);
	const GOptionEntry *empty = NULL;
	if (!g_option_context_parse(context, argc, argv, &error)) {
		status = cli_usage_error(ctx, "%s", error->message);
		g_error_free(error);
	} else if (help) {
		printf("usage: dosectl %s\n\n%s", command->synopsis, command->help);
		status = CLI_EXIT_OK;
	} else if ((empty = empty_option(global)) || (empty = empty_option(entries))) {
		status = cli_usage_error(ctx, "--%s is empty; give a value, or leave the option "
					 "out", empty->long_name);
	} else {
		/* An empty PATIENT, ID, FILE or DOSE_ID: the same slip. */
		for (int i = 1; i < *argc && status < 0; i++)
			if ((*argv)[i][0] == '\0')
				status = cli_usage_error(ctx, "argument %d is empty ('')", i);
	}
	g_option_context_free(context);
	if (json)
		ctx->json = true;
	/* Owned by the context from here: main() frees them. */
	if (config_arg) {
		g_free(ctx->owned_config_arg);
		ctx->config_arg = ctx->owned_config_arg = config_arg;
	}
	if (db_arg) {
		g_free(ctx->owned_db_arg);
		ctx->db_arg = ctx->owned_db_arg = db_arg;
	}
	return status;
}

bool cli_load_config(CliContext *ctx, GError **error)
{
	char *path = NULL;
	bool system = false;

	if (ctx->config)
		return true;
	config_locate(ctx->config_arg, &path, &system);
	ctx->config = config_load(path, system, error);
	g_free(path);
	return ctx->config != NULL;
}

DosedCatalogue *cli_load_catalogue(CliContext *ctx, GError **error)
{
	if (!cli_load_config(ctx, error))
		return NULL;
	return catalogue_load((const char *const *)ctx->config->protocol_paths, error);
}

bool cli_open_store(CliContext *ctx, bool create, GError **error)
{
	if (ctx->store)
		return true;
	if (!cli_load_config(ctx, error))
		return false;
	const char *path = ctx->db_arg ? ctx->db_arg : ctx->config->store_path;
	/* A mistyped --db must not read as an empty clinic ("nothing due"):
	 * only enrolling makes a new database. */
	if (!create && !g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
			    "there is no database at %s; check --db or [store] path, or enrol "
			    "a patient to start one", path);
		return false;
	}
	ctx->store = store_open(path, config_store_mode(ctx->config),
				ctx->config->busy_timeout_ms, error);
	return ctx->store != NULL;
}

gunichar cli_text_control_character(const char *text)
{
	/* Line breaks and tabs are text people write and are kept exactly;
	 * other control characters (an escape sequence, say) would let a
	 * name repaint a colleague's terminal or fake a worklist row. */
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_iscntrl(c) && c != '\n' && c != '\t')
			return c;
	}
	return 0;
}

bool cli_valid_patient_id(CliContext *ctx, const char *id, int *status)
{
	if (enrol_patient_id_valid(id))
		return true;
	*status = cli_usage_error(ctx, "'%s' is not a patient id (1 to 64 characters, no spaces, "
				  "not starting with '-')", id);
	return false;
}

char *cli_patient_argument(CliContext *ctx, int argc, char **argv, int *status)
{
	GError *error = NULL;
	char *id = NULL;
	int count = 0;

	if (argc > 2) {
		*status = cli_usage_error(ctx, "unexpected argument '%s'", argv[2]);
		return NULL;
	}
	if (argc == 2) {
		if (!cli_valid_patient_id(ctx, argv[1], status))
			return NULL;
		return g_strdup(argv[1]);
	}
	if (!store_only_patient(ctx->store, &id, &count, &error)) {
		*status = cli_fail_error(error);
		return NULL;
	}
	if (count == 0) {
		*status = cli_fail(CLI_EXIT_REFUSED, "no patients enrolled; enrol one with "
				   "'dosectl enrol PATIENT --name NAME --protocol ID'");
		return NULL;
	}
	if (!id) {
		*status = cli_usage_error(ctx, "%d patients enrolled; name one (see 'dosectl "
					  "patients')", count);
		return NULL;
	}
	return id;
}

bool cli_check_text(CliContext *ctx, const char *what, const char *text, int *status)
{
	if (!g_utf8_validate(text, -1, NULL)) {
		*status = cli_usage_error(ctx, "%s is not valid UTF-8 text", what);
		return false;
	}
	if (*text == '\0') {
		*status = cli_usage_error(ctx, "%s is empty", what);
		return false;
	}
	gunichar c = cli_text_control_character(text);
	if (c) {
		*status = cli_usage_error(ctx, "%s holds the control character U+%04X; "
					  "only line breaks and tabs are kept", what, c);
		return false;
	}
	return true;
}

/* The columns a terminal gives one character: East Asian wide ones take
 * two, combining marks and other zero-width ones none (what wcwidth()
 * answers, from GLib's Unicode tables rather than the C locale's). */
static gsize cli_char_columns(gunichar c)
{
	if (g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

void cli_append_cell(GString *line, const char *text, gsize width)
{
	gsize columns = 0;
	gsize length = 0;
	const char *p;

	/* Printable ASCII, a column a byte, is copied at once, not a byte at
	 * a time (bench/NOTES.md). */
	while ((unsigned char)text[length] >= 0x20 && (unsigned char)text[length] < 0x80)
		length++;
	if (text[length] == '\0') {
		gsize at = line->len;
		gsize padding = length < width ? width - length : 0;

		g_string_set_size(line, at + length + padding);
		memcpy(line->str + at, text, length);
		memset(line->str + at + length, ' ', padding);
		return;
	}
	for (p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		/* One row per patient: a line break inside a name would read
		 * as another row.  `show` prints the name exactly. */
		if (*p == '\n' || *p == '\t') {
			g_string_append_c(line, ' ');
			columns++;
		} else if ((unsigned char)*p < 0x80) {
			g_string_append_c(line, *p);
			columns++;
		} else {
			g_string_append_len(line, p, g_utf8_next_char(p) - p);
			columns += cli_char_columns(g_utf8_get_char(p));
		}
	}
	for (; columns < width; columns++)
		g_string_append_c(line, ' ');
}

void cli_print_json(JsonNode *root)
{
	JsonGenerator *generator = json_generator_new();
	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json_generator_set_root(generator, root);
	char *text = json_generator_to_data(generator, NULL);
	fputs(text, stdout);
	fputc('\n', stdout);
	g_free(text);
	g_object_unref(generator);
	json_node_unref(root);
}

const char *cli_format_date(DosedDate date, char *buf)
{
	if (date == DOSED_DATE_NONE)
		return strcpy(buf, "-");
	return date_format(date, buf);
}

char *cli_format_local_time(gint64 instant, GTimeZone *tz, char *buf)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(instant);
	GDateTime *local = g_date_time_to_timezone(utc, tz);
	char *text = g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
	g_strlcpy(buf, text, DOSED_TIMESTAMP_BUF);
	g_free(text);
	g_date_time_unref(local);
	g_date_time_unref(utc);
	return buf;
}

JsonNode *cli_json_next_dose(const DosedRegimen *regimen, const DosedNextDose *next,
			     const char *site)
{
	char due[DOSED_DATE_BUF], latest[DOSED_DATE_BUF];

	if (next->state != DOSED_STATE_ACTIVE)
		return json_node_new(JSON_NODE_NULL);
	const DosedPhase *phase = &regimen->protocol->phases[next->dose.phase_index];
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ordinal");
	json_builder_add_int_value(b, next->dose.ordinal);
	json_builder_set_member_name(b, "due");
	json_builder_add_string_value(b, date_format(next->dose.due, due));
	json_builder_set_member_name(b, "latest");
	json_builder_add_string_value(b, date_format(next->dose.latest, latest));
	json_builder_set_member_name(b, "status");
	json_builder_add_string_value(b, schedule_status_name(next->status));
	json_builder_set_member_name(b, "site");
	if (site)
		json_builder_add_string_value(b, site);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "phase");
	json_builder_add_string_value(b, phase->name);
	json_builder_set_member_name(b, "dose_in_phase");
	json_builder_add_int_value(b, next->dose.dose_in_phase);
	json_builder_set_member_name(b, "dose");
	json_builder_add_string_value(b, phase_dose(phase, regimen->protocol));
	json_builder_end_object(b);
	JsonNode *node = json_builder_get_root(b);
	g_object_unref(b);
	return node;
}

DosedRegimen *cli_load_patient(CliContext *ctx, int argc, char **argv, bool write,
				  int *status)
{
	GError *error = NULL;
	DosedRegimen *regimen = NULL;
	char *patient_id = NULL;

	if (!cli_open_store(ctx, false, &error) || !store_begin(ctx->store, write, &error)) {
		*status = cli_fail_error(error);
		return NULL;
	}
	patient_id = cli_patient_argument(ctx, argc, argv, status);
	if (!patient_id)
		return NULL;
	regimen = store_load_regimen(ctx->store, patient_id, &error);
	g_free(patient_id);
	if (!regimen)
		*status = cli_fail_error(error);
	return regimen;
}


/* ---- JSON ---------------------------------------------------------- */

void cli_json_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

void cli_json_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

void cli_json_date(JsonBuilder *b, const char *name, DosedDate date)
{
	char buf[DOSED_DATE_BUF];
	cli_json_string(b, name, date == DOSED_DATE_NONE ? NULL : date_format(date, buf));
}

void cli_json_instant(JsonBuilder *b, const char *name, gint64 instant, GTimeZone *tz)
{
	char buf[DOSED_TIMESTAMP_BUF];
	cli_json_string(b, name, instant ? timestamp_format(instant, tz, buf) : NULL);
}


void cli_print_builder(JsonBuilder *builder)
{
	cli_print_json(json_builder_get_root(builder));
	g_object_unref(builder);
}

const char *cli_unit_name(DosedUnit unit)
{
	switch (unit) {
	case DOSED_UNIT_DAY: return "days";
	case DOSED_UNIT_WEEK: return "weeks";
	case DOSED_UNIT_MONTH: return "months";
	}
	return "?";
}

static const char *end_name(DosedEndKind end)
{
	switch (end) {
	case DOSED_END_DOSES: return "doses";
	case DOSED_END_DURATION: return "duration";
	case DOSED_END_ADVANCED: return "until advanced";
	case DOSED_END_LIFE: return "for life";
	}
	return "?";
}

void cli_json_protocol(JsonBuilder *b, const DosedProtocol *p)
{
	json_builder_begin_object(b);
	cli_json_string(b, "id", p->id);
	cli_json_string(b, "title", p->title);
	cli_json_string(b, "drug", p->drug);
	cli_json_string(b, "dose", p->dose);
	cli_json_string(b, "route", p->route);
	cli_json_string(b, "source", p->source);
	json_builder_set_member_name(b, "grace_days");
	if (p->grace_days >= 0)
		json_builder_add_int_value(b, p->grace_days);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "phases");
	json_builder_begin_array(b);
	for (size_t i = 0; i < p->n_phases; i++) {
		const DosedPhase *phase = &p->phases[i];
		char *description = phase_describe(phase);
		json_builder_begin_object(b);
		cli_json_string(b, "name", phase->name);
		cli_json_string(b, "description", description);
		cli_json_string(b, "dose", phase_dose(phase, p));
		json_builder_set_member_name(b, "pattern");
		json_builder_begin_object(b);
		if (phase->kind == DOSED_PATTERN_WEEKDAYS) {
			char *days = weekdays_format(phase->weekdays);
			cli_json_string(b, "kind", "weekdays");
			cli_json_string(b, "days", days);
			g_free(days);
		} else {
			cli_json_string(b, "kind", "interval");
			cli_json_string(b, "unit", cli_unit_name(phase->unit));
			json_builder_set_member_name(b, "every");
			json_builder_add_int_value(b, phase->every_min);
			json_builder_set_member_name(b, "overdue_after");
			json_builder_add_int_value(b, phase->every_max);
		}
		json_builder_end_object(b);
		json_builder_set_member_name(b, "end");
		json_builder_begin_object(b);
		cli_json_string(b, "kind", end_name(phase->end));
		if (phase->end == DOSED_END_DOSES || phase->end == DOSED_END_DURATION) {
			json_builder_set_member_name(b, "count");
			json_builder_add_int_value(b, phase->end_count);
		}
		if (phase->end == DOSED_END_DURATION)
			cli_json_string(b, "unit", cli_unit_name(phase->end_unit));
		json_builder_end_object(b);
		json_builder_set_member_name(b, "grace_days");
		json_builder_add_int_value(b, phase_grace_days(phase, p));
		json_builder_end_object(b);
		g_free(description);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

