/* protocols.c - dosectl protocols [ID]: the catalogue, in words a clinician
 * can check against the prescription. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* What "overdue" means for a phase, so the clinician sees the whole rule. */
static char *overdue_rule(const DosedPhase *phase, const DosedProtocol *p)
{
	if (phase->kind == DOSED_PATTERN_INTERVAL && phase->every_max > phase->every_min)
		return g_strdup_printf("due from %d %s after the last dose, overdue after %d",
				       phase->every_min, cli_unit_name(phase->unit), phase->every_max);
	int grace = phase_grace_days(phase, p);
	if (grace == 0)
		return g_strdup("overdue the day after it is due");
	return g_strdup_printf("overdue %d day%s after it is due", grace, grace == 1 ? "" : "s");
}

static void print_protocol(const DosedProtocol *p)
{
	size_t width = 0;

	printf("%s: %s\n", p->id, p->title);
	printf("  Drug:    %s %s, %s\n", p->drug, p->dose, p->route);
	for (size_t i = 0; i < p->n_phases; i++)
		width = MAX(width, strlen(p->phases[i].name));
	for (size_t i = 0; i < p->n_phases; i++) {
		const DosedPhase *phase = &p->phases[i];
		char *description = phase_describe(phase);
		char *rule = overdue_rule(phase, p);
		printf("  Phase %zu: %-*s  %s", i + 1, (int)width, phase->name, description);
		if (phase->dose)
			printf(", %s", phase->dose);
		printf("\n  %*s  (%s)\n", (int)(width + 9), "", rule);
		g_free(description);
		g_free(rule);
	}
	printf("  Source:  %s\n", p->source);
	if (p->origin)
		printf("  Defined: %s\n", p->origin);
}

int cmd_protocols(CliContext *ctx, int argc, char **argv)
{
	int status = cli_parse_options(ctx, cli_find_command("protocols"), NULL, &argc, &argv);
	GError *error = NULL;

	if (status >= 0)
		return status;
	if (argc > 2)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[2]);

	DosedCatalogue *catalogue = cli_load_catalogue(ctx, &error);
	if (!catalogue)
		return cli_fail_error(error);

	if (argc == 2) {
		const DosedProtocol *p = catalogue_find(catalogue, argv[1]);
		if (!p) {
			catalogue_destroy(catalogue);
			return cli_fail(CLI_EXIT_REFUSED, "unknown protocol '%s'; see 'dosectl "
					"protocols' for the catalogue", argv[1]);
		}
		if (ctx->json) {
			JsonBuilder *b = json_builder_new();
			cli_json_protocol(b, p);
			cli_print_builder(b);
		} else {
			print_protocol(p);
		}
		catalogue_destroy(catalogue);
		return CLI_EXIT_OK;
	}

	size_t n = catalogue_size(catalogue);
	if (ctx->json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_array(b);
		for (size_t i = 0; i < n; i++)
			cli_json_protocol(b, catalogue_get(catalogue, i));
		json_builder_end_array(b);
		cli_print_builder(b);
	} else {
		size_t width = 2;
		for (size_t i = 0; i < n; i++)
			width = MAX(width, strlen(catalogue_get(catalogue, i)->id));
		for (size_t i = 0; i < n; i++) {
			const DosedProtocol *p = catalogue_get(catalogue, i);
			printf("%-*s  %s %s %s: %s\n", (int)width, p->id, p->drug, p->dose,
			       p->route, p->title);
			for (size_t j = 0; j < p->n_phases; j++) {
				char *description = phase_describe(&p->phases[j]);
				printf("%-*s    %s: %s\n", (int)width, "", p->phases[j].name,
				       description);
				g_free(description);
			}
			/* What a clinician checks the plan against, in the
			 * list too (dosed-protocols(5) says it is there). */
			printf("%-*s    source: %s\n", (int)width, "", p->source);
		}
		if (n == 0)
			printf("No protocols: check [protocols] paths in the configuration.\n");
	}
	catalogue_destroy(catalogue);
	return CLI_EXIT_OK;
}
