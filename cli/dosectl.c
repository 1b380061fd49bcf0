/* dosectl - enrol patients, log doses, ask what is due (SPEC section 3).
 *
 * main() reads the global options up to the command name, then hands the
 * rest to the command from the table below, next to the one usage text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "timeutil.h"

static int cmd_help(CliContext *ctx, int argc, char **argv);

static const CliCommand commands[] = {
	{ "protocols", cmd_protocols, "protocols [ID]",
	  "List the protocol catalogue, each protocol with its phases and the\n"
	  "clinical source it follows, or show one protocol in full: its drug,\n"
	  "dose, route, each phase in words, when a dose is overdue, and its source.\n" },
	{ "enrol", cmd_enrol,
	  "enrol PATIENT --name NAME --protocol ID [--start DATE] [--tz ZONE] [--days DAYS]",
	  "Enrol a patient on a protocol.  The regimen keeps its own copy of the\n"
	  "protocol: later edits to the catalogue never change it.\n"
	  "\n"
	  "  PATIENT          the clinic's identifier (e.g. an MRN)\n"
	  "  --name NAME      the patient's name, kept exactly as given\n"
	  "  --protocol ID    a protocol from 'dosectl protocols'\n"
	  "  --start DATE     first day of treatment, YYYY-MM-DD (default: today)\n"
	  "  --tz ZONE        the patient's IANA time zone, e.g. Europe/London\n"
	  "                   (default: this machine's)\n"
	  "  --days DAYS      which weekdays of an 'N per week' phase, as many as N,\n"
	  "                   e.g. tue,thu,sat for 3 per week\n" },
	{ "import", cmd_import, "import FILE.csv",
	  "Enrol many patients from a CSV file (RFC 4180, UTF-8), all or nothing.\n"
	  "One line per patient with the columns id,name,protocol,start,tz,days,\n"
	  "the arguments of 'enrol'; start, tz and days may be empty (today, this\n"
	  "machine's zone, the protocol's days).  A first line naming the columns\n"
	  "is skipped.  Every wrong row is reported as FILE:LINE, and then nothing\n"
	  "is imported.\n" },
	{ "patients", cmd_patients, "patients",
	  "Everyone enrolled, with protocol, phase, next dose and status.\n" },
	{ "show", cmd_show, "show [PATIENT]",
	  "One patient's regimen: protocol, phase, every dose logged (void ones\n"
	  "marked), the next dose with its suggested site, and adherence.\n" },
	{ "schedule", cmd_schedule, "schedule [PATIENT] [--count N]",
	  "The next N projected doses (default 10), each assuming the one before\n"
	  "is given on its due date, or today if that has passed.\n"
	  "\n"
	  "  -n, --count N    how many doses, 1 to 1000\n" },
	{ "log", cmd_log, "log [PATIENT] [--at TIME] [--site SITE] [--note TEXT] [--force]",
	  "Record a dose given.  A dose sooner than the protocol allows (a second\n"
	  "dose the same day, or before half the interval has passed) is refused\n"
	  "unless --force.\n"
	  "\n"
	  "  --at TIME        when it was given: RFC 3339, or 'YYYY-MM-DD HH:MM' in the\n"
	  "                   patient's zone (default: now)\n"
	  "  --site SITE      injection site, one of [rotation] sites\n"
	  "  --note TEXT      a free-text note\n"
	  "  --force          log it although it is sooner than the protocol allows\n" },
	{ "void", cmd_void, "void DOSE_ID --reason TEXT",
	  "Mark a mistaken dose entry void.  It is kept, with who voided it, when\n"
	  "and why; DOSE_ID is the id 'dosectl show' lists.  A void never undoes\n"
	  "an advance: the patient stays past the phase it ended.\n"
	  "\n"
	  "  --reason TEXT    why the entry is wrong (required)\n" },
	{ "advance", cmd_advance, "advance [PATIENT]",
	  "End an 'until advanced' phase (e.g. alternate days until no further\n"
	  "improvement) and move the patient to the next phase.\n" },
	{ "stop", cmd_stop, "stop [PATIENT]",
	  "End the regimen.  Its history is kept; the patient may be enrolled again.\n" },
	{ "due", cmd_due, "due [--within DAYS]",
	  "The worklist: doses due and overdue, soonest first.\n"
	  "\n"
	  "  -w, --within DAYS  also doses due in the next DAYS days, 0 to 3660\n"
	  "                   (default 0)\n" },
	{ "feed", cmd_feed, "feed [PATIENT] [--rotate] | feed --clinic [--rotate]",
	  "Print a calendar subscription URL for a patient, or with --clinic for\n"
	  "the whole clinic, as https:// (or http://, from [feed] base_url) and\n"
	  "webcal://.  Only a hash of it is kept, so it is shown once; --rotate\n"
	  "issues a new one, and the old one stops working at once.\n"
	  "\n"
	  "  --clinic         the clinic's feed: every patient's doses due soon\n"
	  "  --rotate         revoke the current URL and issue a new one\n" },
	{ "export", cmd_export, "export [PATIENT]",
	  "Write the patient's calendar (iCalendar, as the feed serves it) on\n"
	  "standard output.\n" },
	{ "help", cmd_help, "help [COMMAND]",
	  "Show the commands and the global options (as dosectl --help does), or\n"
	  "one command's help (as dosectl COMMAND --help does).\n" },
};

static const char usage_text[] =
	"usage: dosectl [--config FILE] [--db FILE] [--json] COMMAND [ARGS]\n"
	"\n"
	"Keep injection regimens: enrol patients on a protocol, log the doses\n"
	"given, and see what is due.\n"
	"\n"
	"Commands:\n"
	"%s"
	"\n"
	"Options:\n"
	"  --config FILE   read this configuration (default: ~/.config/dosed/dosed.conf,\n"
	"                  else /etc/dosed/dosed.conf)\n"
	"  --db FILE       use this database instead of the configured one\n"
	"  --json          print one JSON document instead of text\n"
	"  -h, --help      show this help, or a command's: dosectl COMMAND --help\n"
	"  --version       show the version\n"
	"\n"
	"PATIENT may be left out when the database holds exactly one patient.\n"
	"DATE is YYYY-MM-DD; TIME is RFC 3339 or 'YYYY-MM-DD HH:MM' in the patient's zone.\n"
	"Numbers are decimal digits; no option's value may be empty.\n"
	"DOSED_NOW (RFC 3339) in the environment replaces the clock.\n"
	"\n"
	"Exit status: 0 done, 1 refused or failed (nothing was changed), 2 usage error.\n";

const CliCommand *cli_find_command(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *out)
{
	GString *list = g_string_new(NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(list, "  %s\n", commands[i].synopsis);
	fprintf(out, usage_text, list->str);
	g_string_free(list, TRUE);
}

/* help [COMMAND]: needs no configuration, database or clock. */
static int cmd_help(CliContext *ctx, int argc, char **argv)
{
	int status = cli_parse_options(ctx, cli_find_command("help"), NULL, &argc, &argv);

	if (status >= 0)
		return status;
	if (argc > 2)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[2]);
	if (argc < 2) {
		print_usage(stdout);
		return CLI_EXIT_OK;
	}
	const CliCommand *command = cli_find_command(argv[1]);
	if (!command)
		return cli_fail(CLI_EXIT_USAGE, "unknown command '%s'; see 'dosectl --help'",
				argv[1]);
	printf("usage: dosectl %s\n\n%s", command->synopsis, command->help);
	return CLI_EXIT_OK;
}

/* "--opt VALUE" or "--opt=VALUE" at argv[*i]; advances *i past the value. */
static bool take_value(const char *option, int argc, char **argv, int *i, const char **value)
{
	size_t len = strlen(option);
	if (strncmp(argv[*i], option, len) == 0 && argv[*i][len] == '=') {
		*value = argv[*i] + len + 1;
		return true;
	}
	if (strcmp(argv[*i], option) != 0)
		return false;
	if (*i + 1 >= argc) {
		*value = NULL;
		return true;
	}
	*value = argv[++*i];
	return true;
}

int main(int argc, char **argv)
{
	CliContext ctx = { 0 };
	GError *error = NULL;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *value;
		if (strcmp(argv[i], "--json") == 0) {
			ctx.json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_usage(stdout);
			return CLI_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("dosectl %s\n", DOSED_VERSION);
			return CLI_EXIT_OK;
		} else if (take_value("--config", argc, argv, &i, &value)) {
			if (!value || !*value)
				return cli_fail(CLI_EXIT_USAGE, "--config needs a FILE; see 'dosectl --help'");
			ctx.config_arg = value;
		} else if (take_value("--db", argc, argv, &i, &value)) {
			if (!value || !*value)
				return cli_fail(CLI_EXIT_USAGE, "--db needs a FILE; see 'dosectl --help'");
			ctx.db_arg = value;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			return cli_fail(CLI_EXIT_USAGE, "unknown option '%s'; see 'dosectl --help'",
					argv[i]);
		}
	}
	if (i >= argc)
		return cli_fail(CLI_EXIT_USAGE, "no command given; see 'dosectl --help' for the "
				"commands");

	const char *name = argv[i];
	const CliCommand *command = cli_find_command(name);
	if (!command)
		return cli_fail(CLI_EXIT_USAGE, "unknown command '%s'; see 'dosectl --help'", name);
	ctx.command = command->name;

	/* Help works whatever DOSED_NOW holds. */
	if (command->run != cmd_help && !now_from_environment(&ctx.now, &error))
		return cli_fail_error(error);
	ctx.actor = g_get_user_name();

	int status = command->run(&ctx, argc - i, argv + i);

	store_close(ctx.store);
	config_destroy(ctx.config);
	g_free(ctx.owned_config_arg);
	g_free(ctx.owned_db_arg);
	return status;
}
