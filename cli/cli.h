/* cli.h - what the dosectl commands share.
 *
 * Only cli/ prints to the user and chooses the exit status (STYLE: core
 * returns, edges decide).  A command returns its exit status; errors go
 * through cli_fail(), which prints one line, "dosectl: ...".
 */
#ifndef DOSECTL_CLI_H
#define DOSECTL_CLI_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "protocol.h"
#include "schedule.h"
#include "store.h"

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_REFUSED = 1, /* refused or failed: SPEC 3 */
	CLI_EXIT_USAGE = 2,
};

typedef struct {
	const char *command;     /* the command's name, for messages */
	const char *config_arg;  /* --config, or NULL */
	const char *db_arg;      /* --db, or NULL */
	char *owned_config_arg;  /* --config or --db given after the command, */
	char *owned_db_arg;      /* allocated by GOption; freed by main() */
	bool json;               /* --json */
	DosedConfig *config;     /* loaded by cli_load_config() */
	DosedStore *store;       /* opened by cli_open_store() */
	gint64 now;              /* DOSED_NOW or the clock */
	const char *actor;       /* who runs the command, for the audit table */
} CliContext;

typedef struct {
	const char *name;
	int (*run)(CliContext *ctx, int argc, char **argv);
	const char *synopsis;    /* "enrol PATIENT --name NAME ..." */
	const char *help;        /* what it does and its options, for COMMAND --help */
} CliCommand;

/* Print "dosectl: MESSAGE" (one line) and return `status`. */
int cli_fail(int status, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Print the error's message, with dosectl's hint for the refusals that
 * leave one to the edges (error.h), choosing the status from its kind
 * (usage for DOSED_ERROR_INVALID, refused otherwise); frees the error. */
int cli_fail_error(GError *error);
/* A usage error for the current command, with the hint to its --help. */
int cli_usage_error(CliContext *ctx, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Parse the command's own options (GOptionEntry, help disabled) and leave
 * the positional arguments in argc/argv (argv[0] is the command).  Returns
 * -1 on success, else the exit status (usage error or --help printed).  An
 * option given an empty value, and an empty positional argument, are usage
 * errors for every command. */
int cli_parse_options(CliContext *ctx, const CliCommand *command, GOptionEntry *entries,
		      int *argc, char ***argv);

/* A number given to an option (--count, --within): decimal digits only, from
 * min to max (min >= 0).  GOption's own G_OPTION_ARG_INT reads "010" as 8
 * and "0x10" as 16, so no option takes one.  Else a usage error naming
 * `option`, *status set. */
bool cli_parse_number(CliContext *ctx, const char *option, const char *text, int min,
		      int max, int *value, int *status);

bool cli_load_config(CliContext *ctx, GError **error);
DosedCatalogue *cli_load_catalogue(CliContext *ctx, GError **error);
/* Open the database; only when `create` (enrol) may it be made new. */
bool cli_open_store(CliContext *ctx, bool create, GError **error);

/* The PATIENT argument, or the only patient when it is left out (SPEC 3).
 * argc/argv are the positionals after the command name.  Returns a newly
 * allocated id, or NULL having set *status to the exit status. */
char *cli_patient_argument(CliContext *ctx, int argc, char **argv, int *status);

/* A patient id (enrol_patient_id_valid()), else a usage error, *status
 * set. */
bool cli_valid_patient_id(CliContext *ctx, const char *id, int *status);
/* The first control character of `text` other than a line break or tab
 * (0 when none), for cli_check_text(); dosectl import reports it per row. */
gunichar cli_text_control_character(const char *text);
/* Open the store, begin a transaction (write: take the write lock now),
 * and load the PATIENT argument's regimen.  NULL with *status set on error.
 * The caller commits or rolls back. */
DosedRegimen *cli_load_patient(CliContext *ctx, int argc, char **argv, bool write,
			       int *status);

/* Valid UTF-8, not empty, no NUL: names and notes are kept exactly. */
bool cli_check_text(CliContext *ctx, const char *what, const char *text, int *status);

/* Append a table cell: text (valid UTF-8) with line breaks and tabs as
 * spaces, then spaces up to `width` terminal columns, so that columns line
 * up under names like "Zoë" or "李" (printf's %-24s counts bytes).  Longer
 * text is never cut. */
void cli_append_cell(GString *line, const char *text, gsize width);

/* Output. */
void cli_print_json(JsonNode *root); /* takes ownership */
void cli_print_builder(JsonBuilder *builder); /* prints its root; unrefs it */
/* Members of the object being built; NULL values and DOSED_DATE_NONE / 0
 * instants are JSON null. */
void cli_json_string(JsonBuilder *b, const char *name, const char *value);
void cli_json_int(JsonBuilder *b, const char *name, gint64 value);
void cli_json_date(JsonBuilder *b, const char *name, DosedDate date);
void cli_json_instant(JsonBuilder *b, const char *name, gint64 instant, GTimeZone *tz);
/* "days", "weeks", "months". */
const char *cli_unit_name(DosedUnit unit);
/* A protocol as `protocols ID --json` shows it (and show --json). */
void cli_json_protocol(JsonBuilder *b, const DosedProtocol *protocol);
JsonNode *cli_json_next_dose(const DosedRegimen *regimen, const DosedNextDose *next,
			     const char *site);
const char *cli_format_date(DosedDate date, char *buf); /* "YYYY-MM-DD" or "-" */
/* "2026-11-23 09:00 GMT" in the patient's zone, for people to read; buf
 * holds DOSED_TIMESTAMP_BUF bytes. */
char *cli_format_local_time(gint64 instant, GTimeZone *tz, char *buf);

/* The command families. */
int cmd_protocols(CliContext *ctx, int argc, char **argv);
int cmd_enrol(CliContext *ctx, int argc, char **argv);
int cmd_patients(CliContext *ctx, int argc, char **argv);
int cmd_show(CliContext *ctx, int argc, char **argv);
int cmd_schedule(CliContext *ctx, int argc, char **argv);
int cmd_due(CliContext *ctx, int argc, char **argv);
int cmd_log(CliContext *ctx, int argc, char **argv);
int cmd_void(CliContext *ctx, int argc, char **argv);
int cmd_advance(CliContext *ctx, int argc, char **argv);
int cmd_stop(CliContext *ctx, int argc, char **argv);
int cmd_feed(CliContext *ctx, int argc, char **argv);
int cmd_export(CliContext *ctx, int argc, char **argv);
int cmd_import(CliContext *ctx, int argc, char **argv);

const CliCommand *cli_find_command(const char *name);

#endif
