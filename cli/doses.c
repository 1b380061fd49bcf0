/* doses.c - log, void, advance, stop: the commands that change a regimen.
 *
 * Each takes the write lock first (BEGIN IMMEDIATE), then loads, checks
 * with the schedule engine and writes, so the check and the write see the
 * same database and a refused command changes nothing (SPEC 3, 5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"

/* The configured spelling of a site typed in any case, or NULL. */
static const char *match_site(char *const *sites, const char *typed)
{
	char *folded = g_utf8_casefold(typed, -1);
	const char *found = NULL;
	for (size_t i = 0; sites && sites[i] && !found; i++) {
		char *candidate = g_utf8_casefold(sites[i], -1);
		if (strcmp(candidate, folded) == 0)
			found = sites[i];
		g_free(candidate);
	}
	g_free(folded);
	return found;
}

static void print_next_text(const DosedRegimen *r, gint64 now, char *const *sites)
{
	DosedNextDose next;
	char due[DOSED_DATE_BUF];
	schedule_next_dose(&r->view, now, &next);
	if (next.state != DOSED_STATE_ACTIVE) {
		printf("No further doses: the regimen is %s.\n", schedule_state_name(next.state));
		return;
	}
	const char *site = schedule_suggest_site(&r->view, sites);
	printf("Next dose: #%d due %s (%s, %s)", next.dose.ordinal, date_format(next.dose.due, due),
	       r->protocol->phases[next.dose.phase_index].name, schedule_status_name(next.status));
	if (site)
		printf(", suggested site %s", site);
	printf(".\n");
}

static JsonNode *next_json(const DosedRegimen *r, gint64 now, char *const *sites)
{
	DosedNextDose next;
	schedule_next_dose(&r->view, now, &next);
	return cli_json_next_dose(r, &next, schedule_suggest_site(&r->view, sites));
}

/* Reload after a write, so what is printed is what the database now holds. */
static DosedRegimen *reload(CliContext *ctx, const char *patient_id, int *status)
{
	GError *error = NULL;
	DosedRegimen *r = store_load_regimen(ctx->store, patient_id, &error);
	if (!r || !store_commit(ctx->store, &error)) {
		regimen_destroy(r);
		*status = cli_fail_error(error);
		return NULL;
	}
	return r;
}

/* ---- log ------------------------------------------------------------ */

int cmd_log(CliContext *ctx, int argc, char **argv)
{
	char *at_arg = NULL, *site_arg = NULL, *note = NULL;
	gboolean force = FALSE;
	GOptionEntry entries[] = {
		{ "at", 0, 0, G_OPTION_ARG_FILENAME, &at_arg, NULL, NULL },
		{ "site", 0, 0, G_OPTION_ARG_FILENAME, &site_arg, NULL, NULL },
		{ "note", 0, 0, G_OPTION_ARG_FILENAME, &note, NULL, NULL },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force, NULL, NULL },
		{ NULL },
	};
	GError *error = NULL;
	DosedRegimen *r = NULL, *after = NULL;
	const char *site = NULL;
	int status = cli_parse_options(ctx, cli_find_command("log"), entries, &argc, &argv);

	if (status >= 0)
		goto out;
	status = -1;
	if (note && !cli_check_text(ctx, "--note", note, &status))
		goto out;
	if (site_arg && !cli_check_text(ctx, "--site", site_arg, &status))
		goto out;
	if (!(r = cli_load_patient(ctx, argc, argv, true, &status)))
		goto out;

	if (site_arg) {
		char *const *sites = ctx->config->sites;
		site = (sites && sites[0]) ? match_site(sites, site_arg) : site_arg;
		if (!site) {
			char *list = g_strjoinv(", ", (char **)sites);
			status = cli_usage_error(ctx, "unknown site '%s'; the sites are: %s "
						 "([rotation] sites in the configuration)",
						 site_arg, list);
			g_free(list);
			goto out;
		}
	}

	gint64 at = ctx->now;
	if (at_arg && !timestamp_parse(at_arg, r->tz, &at, &error)) {
		status = cli_fail_error(error);
		goto out;
	}
	DosedPlannedDose as;
	gint64 dose_id;
	if (!schedule_check_log(&r->view, at, ctx->now, force, &as, &error) ||
	    !store_log_dose(ctx->store, r, &as, at, site, note, force, ctx->actor, ctx->now,
			    &dose_id, &error)) {
		status = cli_fail_error(error);
		goto out;
	}
	if (!(after = reload(ctx, r->patient_id, &status)))
		goto out;

	char when[DOSED_TIMESTAMP_BUF];
	const char *phase = r->protocol->phases[as.phase_index].name;
	if (ctx->json) {
		timestamp_format(at, r->tz, when);
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "patient");
		json_builder_add_string_value(b, r->patient_id);
		json_builder_set_member_name(b, "dose");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_int_value(b, dose_id);
		json_builder_set_member_name(b, "ordinal");
		json_builder_add_int_value(b, as.ordinal);
		json_builder_set_member_name(b, "phase");
		json_builder_add_string_value(b, phase);
		json_builder_set_member_name(b, "dose_in_phase");
		json_builder_add_int_value(b, as.dose_in_phase);
		json_builder_set_member_name(b, "given_at");
		json_builder_add_string_value(b, when);
		json_builder_set_member_name(b, "site");
		if (site)
			json_builder_add_string_value(b, site);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "note");
		if (note)
			json_builder_add_string_value(b, note);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "forced");
		json_builder_add_boolean_value(b, force);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "next");
		json_builder_add_value(b, next_json(after, ctx->now, ctx->config->sites));
		json_builder_end_object(b);
		cli_print_builder(b);
	} else {
		cli_format_local_time(at, r->tz, when);
		printf("Logged dose #%d for %s (%s, dose %d) at %s%s%s; dose id %" G_GINT64_FORMAT
		       ".\n", as.ordinal, r->patient_id, phase, as.dose_in_phase, when,
		       site ? ", site " : "", site ? site : "", dose_id);
		print_next_text(after, ctx->now, ctx->config->sites);
	}
	status = CLI_EXIT_OK;
out:
	regimen_destroy(after);
	regimen_destroy(r);
	g_free(at_arg);
	g_free(site_arg);
	g_free(note);
	return status;
}

/* ---- void ----------------------------------------------------------- */

/* Whether the regimen's advance `i` came after `dose` and so still stands
 * although the dose is now void (issue 12: a void never undoes an advance;
 * schedule.c keeps the patient past the phase it ended). */
static bool advance_kept(const DosedRegimen *r, const DosedDose *dose, guint i)
{
	const DosedAdvanceEvent *advance = &g_array_index(r->advances, DosedAdvanceEvent, i);
	DosedDoseEvent event = { .given_at = dose->given_at, .id = dose->id };

	return advance->phase_index >= 0 && (size_t)advance->phase_index < r->protocol->n_phases &&
	       schedule_dose_before_advance(&event, advance);
}

int cmd_void(CliContext *ctx, int argc, char **argv)
{
	char *reason = NULL, *patient_id = NULL;
	GOptionEntry entries[] = {
		{ "reason", 0, 0, G_OPTION_ARG_FILENAME, &reason, NULL, NULL },
		{ NULL },
	};
	GError *error = NULL;
	DosedRegimen *after = NULL;
	int status = cli_parse_options(ctx, cli_find_command("void"), entries, &argc, &argv);

	if (status >= 0)
		goto out;
	if (argc < 2) {
		status = cli_usage_error(ctx, "DOSE_ID is missing (the ID column of 'dosectl show')");
		goto out;
	}
	if (argc > 2) {
		status = cli_usage_error(ctx, "unexpected argument '%s'", argv[2]);
		goto out;
	}
	guint64 dose_id;
	if (!g_ascii_string_to_unsigned(argv[1], 10, 1, G_MAXINT64, &dose_id, NULL)) {
		status = cli_usage_error(ctx, "'%s' is not a dose id (the ID column of 'dosectl "
					 "show')", argv[1]);
		goto out;
	}
	if (!reason) {
		status = cli_usage_error(ctx, "--reason is required: say why the entry is wrong");
		goto out;
	}
	status = -1;
	if (!cli_check_text(ctx, "--reason", reason, &status))
		goto out;
	if (!cli_open_store(ctx, false, &error) || !store_begin(ctx->store, true, &error) ||
	    !store_void_dose(ctx->store, (gint64)dose_id, reason, ctx->actor, ctx->now,
			     &patient_id, &error)) {
		status = cli_fail_error(error);
		goto out;
	}
	if (!(after = reload(ctx, patient_id, &status)))
		goto out;
	const DosedDose *voided = NULL;
	for (guint i = 0; i < after->doses->len && !voided; i++) {
		const DosedDose *d = g_ptr_array_index(after->doses, i);
		if (d->id == (gint64)dose_id)
			voided = d;
	}
	if (ctx->json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "patient");
		json_builder_add_string_value(b, patient_id);
		json_builder_set_member_name(b, "dose");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_int_value(b, (gint64)dose_id);
		json_builder_set_member_name(b, "ordinal");
		json_builder_add_int_value(b, voided ? voided->ordinal : 0);
		json_builder_set_member_name(b, "void");
		json_builder_add_boolean_value(b, TRUE);
		json_builder_set_member_name(b, "void_reason");
		json_builder_add_string_value(b, reason);
		/* As the database holds them, like show --json. */
		cli_json_instant(b, "voided_at", voided ? voided->voided_at : 0, after->tz);
		cli_json_string(b, "voided_by", voided ? voided->voided_by : NULL);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "advances_kept");
		json_builder_begin_array(b);
		for (guint i = 0; voided && i < after->advances->len; i++) {
			const DosedAdvanceEvent *a =
				&g_array_index(after->advances, DosedAdvanceEvent, i);
			if (!advance_kept(after, voided, i))
				continue;
			json_builder_begin_object(b);
			cli_json_string(b, "phase", after->protocol->phases[a->phase_index].name);
			cli_json_instant(b, "advanced_at", a->at, after->tz);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_set_member_name(b, "next");
		json_builder_add_value(b, next_json(after, ctx->now, ctx->config->sites));
		json_builder_end_object(b);
		cli_print_builder(b);
	} else {
		/* A void of a dose of an older regimen is not in `after`. */
		if (voided)
			printf("Voided dose %" G_GUINT64_FORMAT " (#%d of %s): %s. It is kept, "
			       "marked void.\n", dose_id, voided->ordinal, patient_id, reason);
		else
			printf("Voided dose %" G_GUINT64_FORMAT " of %s: %s.\n", dose_id,
			       patient_id, reason);
		for (guint i = 0; voided && i < after->advances->len; i++) {
			const DosedAdvanceEvent *a =
				&g_array_index(after->advances, DosedAdvanceEvent, i);
			char day[DOSED_DATE_BUF];
			if (!advance_kept(after, voided, i))
				continue;
			printf("The advance that ended %s on %s stands: a void never undoes an "
			       "advance.\n", after->protocol->phases[a->phase_index].name,
			       date_format(date_of_instant(a->at, after->tz), day));
		}
		print_next_text(after, ctx->now, ctx->config->sites);
	}
	status = CLI_EXIT_OK;
out:
	regimen_destroy(after);
	g_free(patient_id);
	g_free(reason);
	return status;
}

/* ---- advance, stop -------------------------------------------------- */

static void print_change_json(CliContext *ctx, const DosedRegimen *after, const char *key,
			      const char *value)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "patient");
	json_builder_add_string_value(b, after->patient_id);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, value);
	json_builder_set_member_name(b, "next");
	json_builder_add_value(b, next_json(after, ctx->now, ctx->config->sites));
	json_builder_end_object(b);
	cli_print_builder(b);
}

int cmd_advance(CliContext *ctx, int argc, char **argv)
{
	GError *error = NULL;
	DosedRegimen *r = NULL, *after = NULL;
	int phase_index;
	int status = cli_parse_options(ctx, cli_find_command("advance"), NULL, &argc, &argv);

	if (status >= 0)
		return status;
	if (!(r = cli_load_patient(ctx, argc, argv, true, &status)))
		return status;
	if (!schedule_check_advance(&r->view, ctx->now, &phase_index, &error) ||
	    !store_advance(ctx->store, r, phase_index, ctx->actor, ctx->now, &error)) {
		regimen_destroy(r);
		return cli_fail_error(error);
	}
	if (!(after = reload(ctx, r->patient_id, &status))) {
		regimen_destroy(r);
		return status;
	}
	DosedNextDose next;
	schedule_next_dose(&after->view, ctx->now, &next);
	const char *now_phase = after->protocol->phases[next.phase_index].name;
	if (ctx->json) {
		print_change_json(ctx, after, "phase", now_phase);
	} else {
		printf("Advanced %s from %s to %s.\n", r->patient_id,
		       r->protocol->phases[phase_index].name, now_phase);
		print_next_text(after, ctx->now, ctx->config->sites);
	}
	regimen_destroy(after);
	regimen_destroy(r);
	return CLI_EXIT_OK;
}

int cmd_stop(CliContext *ctx, int argc, char **argv)
{
	GError *error = NULL;
	DosedRegimen *r = NULL, *after = NULL;
	int status = cli_parse_options(ctx, cli_find_command("stop"), NULL, &argc, &argv);

	if (status >= 0)
		return status;
	if (!(r = cli_load_patient(ctx, argc, argv, true, &status)))
		return status;
	if (!store_stop(ctx->store, r, ctx->actor, ctx->now, &error)) {
		regimen_destroy(r);
		return cli_fail_error(error);
	}
	if (!(after = reload(ctx, r->patient_id, &status))) {
		regimen_destroy(r);
		return status;
	}
	if (ctx->json)
		print_change_json(ctx, after, "state", "stopped");
	else
		printf("Stopped the regimen of %s (%s). Its %u logged dose%s are kept.\n",
		       r->patient_id, r->protocol_id, r->doses->len, r->doses->len == 1 ? "" : "s");
	regimen_destroy(after);
	regimen_destroy(r);
	return CLI_EXIT_OK;
}
