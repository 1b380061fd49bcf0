/* import.c - dosectl import FILE.csv: enrol a clinic's patients from a
 * spreadsheet, all or nothing (issue 7).
 *
 * The file is CSV (RFC 4180, read with libcsv) with the columns id, name,
 * protocol, start, tz, days: the arguments of `dosectl enrol`, checked the
 * same way.  Every bad row is named by the line it starts on, and then
 * nothing is imported; otherwise every row is enrolled in one transaction
 * (store_enrol_many()).
 *
 * Speed (issue 7: at least half the sqlite3 shell's .import): the file is
 * read at once, zones are opened once per name and protocols copied once
 * per (protocol, days), and the store writes all rows with one statement
 * per table (store_enrol_many()).
 */
#include <stdio.h>
#include <string.h>

#include <csv.h>

#include "cli.h"
#include "enrol.h"
#include "error.h"

#define IMPORT_COLUMNS 6
static const char *const import_header[IMPORT_COLUMNS] = {
	"id", "name", "protocol", "start", "tz", "days",
};

/* A zone by name, opened once: the zone and today's date there, or why the
 * name is refused. */
typedef struct {
	GTimeZone *tz;
	DosedDate today;
	char *problem;
} ImportZone;

/* A protocol with a row's days applied, made once per (protocol, days). */
typedef struct {
	DosedProtocol *copy;            /* NULL when the catalogue's own is used */
	const DosedProtocol *protocol;  /* what the rows enrol on */
	char *problem;
} ImportProtocol;

typedef struct {
	guint line;
	char *message;
} ImportProblem;

typedef struct {
	CliContext *ctx;
	const char *file;
	const DosedCatalogue *catalogue;

	/* The record being read: libcsv hands over its fields one by one. */
	char *fields[IMPORT_COLUMNS];
	guint n_fields;
	bool has_nul;                   /* a field held a NUL byte */
	guint line;                     /* the physical line being parsed */
	guint record_line;              /* the line the record starts on */
	bool in_record;
	guint records;                  /* the records read, header included */
	guint patients;                 /* the records that are patients */

	GStringChunk *strings;          /* the fields the rows point into */
	GHashTable *zones;              /* name -> ImportZone */
	GHashTable *protocols;          /* "protocol\ndays" -> ImportProtocol */
	GHashTable *ids;                /* patient id -> first line */
	GArray *rows;                   /* DosedEnrolment, the good rows */
	GArray *row_lines;              /* guint: the line of each row */
	GArray *problems;               /* ImportProblem */
	char *local_zone;               /* the machine's zone, for an empty tz */
} Import;

static void import_zone_free(gpointer data)
{
	ImportZone *zone = data;

	if (zone->tz)
		g_time_zone_unref(zone->tz);
	g_free(zone->problem);
	g_free(zone);
}

static void import_protocol_free(gpointer data)
{
	ImportProtocol *protocol = data;

	protocol_destroy(protocol->copy);
	g_free(protocol->problem);
	g_free(protocol);
}

static void import_problem(Import *im, guint line, char *message)
{
	ImportProblem problem = { line, message };

	g_array_append_val(im->problems, problem);
}

/* The zone named (empty: the machine's), from the cache. */
static const ImportZone *import_zone(Import *im, const char *name)
{
	ImportZone *zone = g_hash_table_lookup(im->zones, name);
	GError *error = NULL;

	if (zone)
		return zone;
	zone = g_new0(ImportZone, 1);
	zone->tz = zone_open(*name ? name : im->local_zone, &error);
	if (zone->tz) {
		zone->today = enrol_today(zone->tz, im->ctx->now);
	} else {
		zone->problem = g_strdup(error->message);
		g_error_free(error);
	}
	g_hash_table_insert(im->zones, g_strdup(name), zone);
	return zone;
}

/* The protocol with the days applied (empty days: as in the catalogue),
 * from the cache; NULL protocol for an unknown one. */
static const ImportProtocol *import_protocol(Import *im, const char *id, const char *days)
{
	char *key = g_strconcat(id, "\n", days, NULL);
	ImportProtocol *protocol = g_hash_table_lookup(im->protocols, key);
	const DosedProtocol *chosen;
	GError *error = NULL;
	unsigned weekdays = 0;

	if (protocol) {
		g_free(key);
		return protocol;
	}
	protocol = g_new0(ImportProtocol, 1);
	chosen = catalogue_find(im->catalogue, id);
	if (!chosen) {
		protocol->problem = g_strdup_printf("unknown protocol '%s'; see 'dosectl "
						    "protocols' for the catalogue", id);
	} else if (!*days) {
		protocol->protocol = chosen;
	} else if (!weekdays_parse(days, &weekdays, &error)) {
		protocol->problem = g_strdup(error->message);
	} else {
		/* SPEC 1: the days change only the regimen's copy. */
		protocol->copy = protocol_copy(chosen);
		if (protocol_set_weekdays(protocol->copy, weekdays, &error))
			protocol->protocol = protocol->copy;
		else
			protocol->problem = g_strdup(error->message);
	}
	g_clear_error(&error);
	g_hash_table_insert(im->protocols, key, protocol);
	return protocol;
}

/* Why `id` is not a patient id (enrol_patient_id_valid()), or NULL. */
static char *import_id_problem(const char *id)
{
	if (enrol_patient_id_valid(id))
		return NULL;
	if (*id == '\0')
		return g_strdup("the patient id is empty");
	return g_strdup_printf("'%s' is not a patient id (1 to 64 characters, no spaces, not "
			       "starting with '-')", g_utf8_validate(id, -1, NULL) ? id : "?");
}

/* Why `name` cannot be a name, or NULL: the rule of cli_check_text()
 * (UTF-8, not empty, no control characters but line breaks and tabs). */
static char *import_name_problem(const char *name)
{
	if (!g_utf8_validate(name, -1, NULL))
		return g_strdup("the name is not valid UTF-8 text; save the file as UTF-8");
	if (!*name)
		return g_strdup("the name is empty");
	gunichar c = cli_text_control_character(name);
	if (c)
		return g_strdup_printf("the name holds the control character U+%04X; "
				       "only line breaks and tabs are kept", c);
	return NULL;
}

static bool import_is_header(const Import *im)
{
	if (im->records != 1 || im->n_fields != IMPORT_COLUMNS)
		return false;
	for (guint i = 0; i < IMPORT_COLUMNS; i++)
		if (strcmp(im->fields[i], import_header[i]) != 0)
			return false;
	return true;
}

/* Check a whole record; a good one becomes a row, a bad one one problem
 * line naming everything wrong with it. */
static void import_record(Import *im)
{
	GString *problems = g_string_new(NULL);
	const char *id, *name, *protocol_id, *start_text, *tz_name, *days;
	const ImportZone *zone = NULL;
	const ImportProtocol *protocol = NULL;
	DosedDate start = DOSED_DATE_NONE;
	char *problem;

#define PROBLEM(text) do { \
		if (problems->len) \
			g_string_append(problems, "; "); \
		g_string_append(problems, (text)); \
	} while (0)
#define PROBLEM_OWNED(text) do { char *owned_ = (text); PROBLEM(owned_); g_free(owned_); } while (0)

	im->records++;
	if (import_is_header(im))
		goto out;
	im->patients++;
	if (im->n_fields != IMPORT_COLUMNS) {
		PROBLEM_OWNED(g_strdup_printf("%u %s, expected %d (id,name,protocol,start,tz,days)",
					      im->n_fields, im->n_fields == 1 ? "column" : "columns",
					      IMPORT_COLUMNS));
		goto out;
	}
	if (im->has_nul) {
		PROBLEM("a field holds a NUL byte; save the file as UTF-8 text");
		goto out;
	}
	id = im->fields[0];
	name = im->fields[1];
	protocol_id = im->fields[2];
	start_text = im->fields[3];
	tz_name = im->fields[4];
	days = im->fields[5];

	if ((problem = import_id_problem(id))) {
		PROBLEM_OWNED(problem);
	} else {
		gpointer first = g_hash_table_lookup(im->ids, id);
		if (first)
			PROBLEM_OWNED(g_strdup_printf("patient '%s' is also on line %u; give each "
						      "patient once", id, GPOINTER_TO_UINT(first)));
		else
			g_hash_table_insert(im->ids, (gpointer)id,
					    GUINT_TO_POINTER(im->record_line));
	}
	if ((problem = import_name_problem(name)))
		PROBLEM_OWNED(problem);
	if (!*protocol_id) {
		PROBLEM("the protocol is empty; give one from 'dosectl protocols'");
	} else {
		protocol = import_protocol(im, protocol_id, days);
		if (protocol->problem)
			PROBLEM(protocol->problem);
	}
	zone = import_zone(im, tz_name);
	if (zone->problem)
		PROBLEM(zone->problem);
	if (*start_text) {
		GError *error = NULL;
		if (!date_parse(start_text, &start, &error)) {
			PROBLEM(error->message);
			g_error_free(error);
		}
	} else if (zone->tz) {
		start = zone->today;
	}
	if (start != DOSED_DATE_NONE && zone->tz) {
		GError *error = NULL;
		if (!enrol_check_start(start, zone->today, &error)) {
			PROBLEM(error->message);
			g_error_free(error);
		}
	}
	if (problems->len)
		goto out;

	DosedEnrolment row = {
		.patient_id = id,
		.name = name,
		/* As enrol without --tz: the zone on record, else the machine's. */
		.tz_name = *tz_name ? tz_name : NULL,
		.protocol = protocol->protocol,
		.start = start,
	};
	g_array_append_val(im->rows, row);
	g_array_append_val(im->row_lines, im->record_line);
out:
	if (problems->len)
		import_problem(im, im->record_line, g_string_free(problems, FALSE));
	else
		g_string_free(problems, TRUE);
#undef PROBLEM
#undef PROBLEM_OWNED
}

/* libcsv: the end of a field. */
static void import_field(void *data, size_t len, void *user_data)
{
	Import *im = user_data;

	if (im->n_fields < IMPORT_COLUMNS) {
		if (memchr(data, '\0', len))
			im->has_nul = true;
		char *field = g_string_chunk_insert_len(im->strings, data, (gssize)len);
		/* A line break inside quotes in a file written with CRLF line
		 * ends is a line break, kept as "\n" as enrol keeps it. */
		if (memchr(field, '\r', len)) {
			char *to = field;
			for (const char *from = field; from < field + len; from++)
				if (!(from[0] == '\r' && from[1] == '\n'))
					*to++ = *from;
			*to = '\0';
		}
		im->fields[im->n_fields] = field;
	}
	im->n_fields++;
}

/* libcsv: the end of a record. */
static void import_row(int terminator, void *user_data)
{
	Import *im = user_data;

	import_record(im);
	im->n_fields = 0;
	im->has_nul = false;
	im->in_record = false;
}

/* Only a line feed ends a record, so that lines are counted as people and
 * editors count them; a carriage return (of CRLF) is trimmed as a space. */
static int import_is_term(unsigned char c)
{
	return c == '\n';
}

static int import_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parse the whole file, a physical line at a time so that each record is
 * known by the line it starts on.  False when the CSV itself is broken
 * (the problem recorded): the records after it cannot be told apart. */
static bool import_parse(Import *im, const char *text, size_t length)
{
	struct csv_parser parser;
	const char *end = text + length;
	bool ok = true;

	/* Spreadsheets often begin a UTF-8 file with a byte order mark. */
	if (length >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
		g_error("out of memory");
	csv_set_term_func(&parser, import_is_term);
	csv_set_space_func(&parser, import_is_space);
	for (const char *p = text; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		im->line++;
		if (!im->in_record) {
			for (size_t i = 0; i < len; i++)
				if (!import_is_space((unsigned char)p[i]) && p[i] != '\n') {
					im->in_record = true;
					im->record_line = im->line;
					break;
				}
		}
		if (csv_parse(&parser, p, len, import_field, import_row, im) != len) {
			ok = false;
			break;
		}
		p += len;
	}
	if (!ok) {
		import_problem(im, im->line,
			       csv_error(&parser) == CSV_EPARSE
			       ? g_strdup("not valid CSV: a quote (\") inside a field that does "
					  "not start with one, or text after a closing quote; "
					  "quote the whole field and double the quotes inside it")
			       : g_strdup(csv_strerror(csv_error(&parser))));
	} else if (csv_fini(&parser, import_field, import_row, im) != 0) {
		/* CSV_STRICT_FINI: the file ends inside a quoted field. */
		ok = false;
		import_problem(im, im->record_line,
			       g_strdup("a quoted field is never closed; add the closing quote "
					"(\")"));
	}
	csv_free(&parser);
	return ok;
}

static gint import_problem_order(gconstpointer a, gconstpointer b)
{
	const ImportProblem *pa = a, *pb = b;

	return pa->line < pb->line ? -1 : pa->line > pb->line;
}

/* Print every problem, by line, then the one line that says nothing was
 * imported. */
static int import_report(Import *im)
{
	g_array_sort(im->problems, import_problem_order);
	for (guint i = 0; i < im->problems->len; i++) {
		const ImportProblem *problem = &g_array_index(im->problems, ImportProblem, i);
		cli_fail(CLI_EXIT_REFUSED, "%s:%u: %s", im->file, problem->line, problem->message);
	}
	return cli_fail(CLI_EXIT_REFUSED, "%s: %u %s wrong; nothing was imported: correct %s "
			"and import the file again", im->file, im->problems->len,
			im->problems->len == 1 ? "row is" : "rows are",
			im->problems->len == 1 ? "it" : "them");
}

/* Enrol the good rows in one transaction; a row the database refuses (an
 * id already enrolled) becomes a problem.  Commits only when there is no
 * problem at all. */
static int import_store(Import *im)
{
	CliContext *ctx = im->ctx;
	GError *error = NULL;
	const char *path = ctx->db_arg ? ctx->db_arg : ctx->config->store_path;
	DosedEnrolment *rows = (DosedEnrolment *)(void *)im->rows->data;
	bool ok;

	/* With bad rows already found, a database that is not there holds
	 * nobody to clash with, and must not be created by a refused import. */
	if (im->problems->len && !g_file_test(path, G_FILE_TEST_EXISTS))
		return import_report(im);
	if (!cli_open_store(ctx, im->problems->len == 0, &error) ||
	    !store_begin(ctx->store, true, &error))
		return cli_fail_error(error);
	ok = store_enrol_many(ctx->store, rows, im->rows->len, ctx->actor, ctx->now, &error);
	if (!ok) {
		bool any = false;
		for (guint i = 0; i < im->rows->len; i++) {
			if (!rows[i].error)
				continue;
			import_problem(im, g_array_index(im->row_lines, guint, i),
				       g_strdup(rows[i].error->message));
			any = true;
		}
		if (!any) {
			store_rollback(ctx->store);
			return cli_fail_error(error);
		}
		g_clear_error(&error);
	}
	if (im->problems->len) {
		store_rollback(ctx->store);
		return import_report(im);
	}
	if (!store_commit(ctx->store, &error))
		return cli_fail_error(error);

	if (ctx->json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		cli_json_int(b, "imported", im->rows->len);
		json_builder_end_object(b);
		cli_print_builder(b);
	} else {
		printf("Imported %u %s.\n", im->rows->len,
		       im->rows->len == 1 ? "patient" : "patients");
	}
	return CLI_EXIT_OK;
}

int cmd_import(CliContext *ctx, int argc, char **argv)
{
	GError *error = NULL;
	DosedCatalogue *catalogue = NULL;
	char *text = NULL;
	gsize length = 0;
	Import im = { 0 };
	int status = cli_parse_options(ctx, cli_find_command("import"), NULL, &argc, &argv);

	if (status >= 0)
		return status;
	if (argc < 2)
		return cli_usage_error(ctx, "FILE is missing");
	if (argc > 2)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[2]);
	im.ctx = ctx;
	im.file = argv[1];

	if (!g_file_get_contents(im.file, &text, &length, &error)) {
		/* GLib's message names the file and the system's reason. */
		status = cli_fail(CLI_EXIT_REFUSED, "%s; check the file name", error->message);
		g_error_free(error);
		return status;
	}
	catalogue = cli_load_catalogue(ctx, &error);
	if (!catalogue) {
		g_free(text);
		return cli_fail_error(error);
	}
	im.catalogue = catalogue;
	im.strings = g_string_chunk_new(64 * 1024);
	im.zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, import_zone_free);
	im.protocols = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     import_protocol_free);
	im.ids = g_hash_table_new(g_str_hash, g_str_equal);
	im.rows = g_array_new(FALSE, FALSE, sizeof(DosedEnrolment));
	im.row_lines = g_array_new(FALSE, FALSE, sizeof(guint));
	im.problems = g_array_new(FALSE, FALSE, sizeof(ImportProblem));
	im.local_zone = zone_local_name();

	import_parse(&im, text, length);
	g_clear_pointer(&text, g_free);
	if (im.patients == 0 && im.problems->len == 0)
		status = cli_fail(CLI_EXIT_REFUSED, "%s holds no patients; write one line per "
				  "patient: id,name,protocol,start,tz,days", im.file);
	else
		status = import_store(&im);

	for (guint i = 0; i < im.rows->len; i++)
		g_clear_error(&g_array_index(im.rows, DosedEnrolment, i).error);
	for (guint i = 0; i < im.problems->len; i++)
		g_free(g_array_index(im.problems, ImportProblem, i).message);
	g_array_unref(im.problems);
	g_array_unref(im.row_lines);
	g_array_unref(im.rows);
	g_hash_table_unref(im.ids);
	g_hash_table_unref(im.protocols);
	g_hash_table_unref(im.zones);
	g_string_chunk_free(im.strings);
	g_free(im.local_zone);
	catalogue_destroy(catalogue);
	return status;
}
