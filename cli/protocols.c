/* protocols.c - dosectl protocols [ID]: the catalogue, in words a clinician
 * can check against the prescription. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *unit_name(DosedUnit unit)
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

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void add_protocol_json(JsonBuilder *b, const DosedProtocol *p)
{
	json_builder_begin_object(b);
	add_string(b, "id", p->id);
	add_string(b, "title", p->title);
	add_string(b, "drug", p->drug);
	add_string(b, "dose", p->dose);
	add_string(b, "route", p->route);
	add_string(b, "source", p->source);
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
		add_string(b, "name", phase->name);
		add_string(b, "description", description);
		add_string(b, "dose", phase_dose(phase, p));
		json_builder_set_member_name(b, "pattern");
		json_builder_begin_object(b);
		if (phase->kind == DOSED_PATTERN_WEEKDAYS) {
			char *days = weekdays_format(phase->weekdays);
			add_string(b, "kind", "weekdays");
			add_string(b, "days", days);
			g_free(days);
		} else {
			add_string(b, "kind", "interval");
			add_string(b, "unit", unit_name(phase->unit));
			json_builder_set_member_name(b, "every");
			json_builder_add_int_value(b, phase->every_min);
			json_builder_set_member_name(b, "overdue_after");
			json_builder_add_int_value(b, phase->every_max);
		}
		json_builder_end_object(b);
		json_builder_set_member_name(b, "end");
		json_builder_begin_object(b);
		add_string(b, "kind", end_name(phase->end));
		if (phase->end == DOSED_END_DOSES || phase->end == DOSED_END_DURATION) {
			json_builder_set_member_name(b, "count");
			json_builder_add_int_value(b, phase->end_count);
		}
		if (phase->end == DOSED_END_DURATION)
			add_string(b, "unit", unit_name(phase->end_unit));
		json_builder_end_object(b);
		json_builder_set_member_name(b, "grace_days");
		json_builder_add_int_value(b, phase_grace_days(phase, p));
		json_builder_end_object(b);
		g_free(description);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

/* What "overdue" means for a phase, so the clinician sees the whole rule. */
static char *overdue_rule(const DosedPhase *phase, const DosedProtocol *p)
{
	if (phase->kind == DOSED_PATTERN_INTERVAL && phase->every_max > phase->every_min)
		return g_strdup_printf("due from %d %s after the last dose, overdue after %d",
				       phase->every_min, unit_name(phase->unit), phase->every_max);
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
			add_protocol_json(b, p);
			cli_print_json(json_builder_get_root(b));
			g_object_unref(b);
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
			add_protocol_json(b, catalogue_get(catalogue, i));
		json_builder_end_array(b);
		cli_print_json(json_builder_get_root(b));
		g_object_unref(b);
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
		}
		if (n == 0)
			printf("No protocols: check [protocols] paths in the configuration.\n");
	}
	catalogue_destroy(catalogue);
	return CLI_EXIT_OK;
}
