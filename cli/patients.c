/* patients.c - enrol, patients, show, schedule, due: who is on what, and
 * what comes next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "enrol.h"
#include "error.h"

/* "upcoming", "due", "overdue", or the state when there is no next dose. */
static const char *status_word(const DosedNextDose *next)
{
	if (next->state == DOSED_STATE_ACTIVE)
		return schedule_status_name(next->status);
	return schedule_state_name(next->state);
}

/* ---- enrol ---------------------------------------------------------- */

/* The zone of a patient already on record (enrolled before, then stopped),
 * so that enrolling them again needs no --tz; NULL when there is none.
 * Never creates the database: a refused enrol must leave no file. */
static char *zone_on_record(CliContext *ctx, const char *patient_id)
{
	GError *error = NULL;
	DosedRegimen *r = NULL;
	char *tz_name = NULL;

	if (!cli_load_config(ctx, &error) || !cli_open_store(ctx, false, &error) ||
	    !store_begin(ctx->store, false, &error)) {
		g_clear_error(&error);
		return NULL;
	}
	r = store_load_regimen(ctx->store, patient_id, &error);
	if (r)
		tz_name = g_strdup(r->tz_name);
	g_clear_error(&error);
	regimen_destroy(r);
	store_rollback(ctx->store);
	return tz_name;
}

int cmd_enrol(CliContext *ctx, int argc, char **argv)
{
	char *name = NULL, *protocol_id = NULL, *start_arg = NULL, *tz_arg = NULL, *days_arg = NULL;
	GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_FILENAME, &name, NULL, NULL },
		{ "protocol", 0, 0, G_OPTION_ARG_FILENAME, &protocol_id, NULL, NULL },
		{ "start", 0, 0, G_OPTION_ARG_FILENAME, &start_arg, NULL, NULL },
		{ "tz", 0, 0, G_OPTION_ARG_FILENAME, &tz_arg, NULL, NULL },
		{ "days", 0, 0, G_OPTION_ARG_FILENAME, &days_arg, NULL, NULL },
		{ NULL },
	};
	GError *error = NULL;
	GTimeZone *tz = NULL;
	char *tz_name = NULL;
	DosedCatalogue *catalogue = NULL;
	DosedProtocol *protocol = NULL;
	DosedRegimen *regimen = NULL;
	DosedDate start;
	unsigned weekdays = 0;
	int status = cli_parse_options(ctx, cli_find_command("enrol"), entries, &argc, &argv);

	if (status >= 0)
		goto out;
	if (argc < 2) {
		status = cli_usage_error(ctx, "PATIENT is missing");
		goto out;
	}
	if (argc > 2) {
		status = cli_usage_error(ctx, "unexpected argument '%s'", argv[2]);
		goto out;
	}
	if (!name || !protocol_id) {
		status = cli_usage_error(ctx, "%s is required", !name ? "--name" : "--protocol");
		goto out;
	}
	status = -1;
	if (!cli_valid_patient_id(ctx, argv[1], &status))
		goto out;
	if (!cli_check_text(ctx, "--name", name, &status))
		goto out;
	if (tz_arg)
		tz_name = g_strdup(tz_arg);
	else if (!(tz_name = zone_on_record(ctx, argv[1])))
		tz_name = zone_local_name();
	tz = zone_open(tz_name, &error);
	if (!tz) {
		status = cli_fail_error(error);
		goto out;
	}
	if (start_arg) {
		if (!date_parse(start_arg, &start, &error)) {
			status = cli_fail_error(error);
			goto out;
		}
	} else {
		start = enrol_today(tz, ctx->now);
	}
	if (!enrol_check_start(start, enrol_today(tz, ctx->now), &error)) {
		/* The rule's words, naming the option. */
		status = cli_usage_error(ctx, "--%s", error->message);
		g_clear_error(&error);
		goto out;
	}
	if (days_arg && !weekdays_parse(days_arg, &weekdays, &error)) {
		status = cli_fail_error(error);
		goto out;
	}

	catalogue = cli_load_catalogue(ctx, &error);
	if (!catalogue) {
		status = cli_fail_error(error);
		goto out;
	}
	const DosedProtocol *chosen = catalogue_find(catalogue, protocol_id);
	if (!chosen) {
		status = cli_fail(CLI_EXIT_REFUSED, "unknown protocol '%s'; see 'dosectl "
				  "protocols' for the catalogue", protocol_id);
		goto out;
	}
	/* SPEC 1: the regimen keeps a copy; --days changes only that copy. */
	protocol = protocol_copy(chosen);
	if (days_arg && !protocol_set_weekdays(protocol, weekdays, &error)) {
		status = cli_fail_error(error);
		goto out;
	}

	if (!cli_open_store(ctx, true, &error) || !store_begin(ctx->store, true, &error) ||
	    !store_enrol(ctx->store, argv[1], name, tz_name, protocol, start, ctx->actor,
			 ctx->now, &error) ||
	    !(regimen = store_load_regimen(ctx->store, argv[1], &error)) ||
	    !store_commit(ctx->store, &error)) {
		status = cli_fail_error(error);
		goto out;
	}

	DosedNextDose next;
	char start_buf[DOSED_DATE_BUF], due[DOSED_DATE_BUF];
	schedule_next_dose(&regimen->view, ctx->now, &next);
	const char *site = schedule_suggest_site(&regimen->view, ctx->config->sites);
	if (ctx->json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "patient");
		json_builder_begin_object(b);
		cli_json_string(b, "id", regimen->patient_id);
		cli_json_string(b, "name", regimen->name);
		cli_json_string(b, "tz", regimen->tz_name);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "protocol");
		json_builder_begin_object(b);
		cli_json_string(b, "id", regimen->protocol_id);
		json_builder_end_object(b);
		cli_json_date(b, "start", regimen->start);
		json_builder_set_member_name(b, "next");
		json_builder_add_value(b, cli_json_next_dose(regimen, &next, site));
		json_builder_end_object(b);
		cli_print_builder(b);
	} else {
		printf("Enrolled %s (%s) on %s from %s, time zone %s.\n", regimen->patient_id,
		       regimen->name, regimen->protocol_id, date_format(regimen->start, start_buf),
		       regimen->tz_name);
		if (next.state == DOSED_STATE_ACTIVE)
			printf("First dose: #%d due %s (%s).\n", next.dose.ordinal,
			       date_format(next.dose.due, due), status_word(&next));
	}
	status = CLI_EXIT_OK;
out:
	regimen_destroy(regimen);
	protocol_destroy(protocol);
	catalogue_destroy(catalogue);
	if (tz)
		g_time_zone_unref(tz);
	g_free(tz_name);
	g_free(name);
	g_free(protocol_id);
	g_free(start_arg);
	g_free(tz_arg);
	g_free(days_arg);
	return status;
}

/* ---- patients ------------------------------------------------------- */

typedef struct {
	gint64 now;
	guint count;
	JsonBuilder *json;      /* the array, or NULL for the table */
	GString *text;          /* the table's lines */
} PatientsScan;

/* One patient's line or object, made while its regimen is at hand. */
static bool patients_take(DosedRegimen *r, bool *keep, void *data, GError **error)
{
	PatientsScan *scan = data;
	JsonBuilder *b = scan->json;
	DosedNextDose next;
	char due[DOSED_DATE_BUF];

	(void)keep;
	(void)error;
	scan->count++;
	schedule_next_dose(&r->view, scan->now, &next);
	const char *phase = r->protocol->phases[next.phase_index].name;
	DosedDate next_due = next.state == DOSED_STATE_ACTIVE ? next.dose.due : DOSED_DATE_NONE;
	if (b) {
		json_builder_begin_object(b);
		cli_json_string(b, "id", r->patient_id);
		cli_json_string(b, "name", r->name);
		cli_json_string(b, "protocol", r->protocol_id);
		cli_json_string(b, "phase", phase);
		cli_json_date(b, "next_due", next_due);
		cli_json_string(b, "status", status_word(&next));
		json_builder_end_object(b);
	} else {
		/* "%-12s %-24s %-20s %-14s %-10s %s\n" in columns */
		GString *line = scan->text;
		cli_append_cell(line, r->patient_id, 12);
		g_string_append_c(line, ' ');
		cli_append_cell(line, r->name, 24);
		g_string_append_c(line, ' ');
		cli_append_cell(line, r->protocol_id, 20);
		g_string_append_c(line, ' ');
		cli_append_cell(line, phase, 14);
		g_string_append_printf(line, " %-10s %s\n", cli_format_date(next_due, due),
				       status_word(&next));
	}
	return true;
}

int cmd_patients(CliContext *ctx, int argc, char **argv)
{
	GError *error = NULL;
	int status = cli_parse_options(ctx, cli_find_command("patients"), NULL, &argc, &argv);

	if (status >= 0)
		return status;
	if (argc > 1)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[1]);
	if (!cli_open_store(ctx, false, &error) || !store_begin(ctx->store, false, &error))
		return cli_fail_error(error);

	/* The regimens one at a time (see due); the table is written once
	 * whole, so that a failed load prints nothing but its error. */
	PatientsScan scan = {
		.now = ctx->now,
		.json = ctx->json ? json_builder_new() : NULL,
		.text = ctx->json ? NULL : g_string_sized_new(4096),
	};
	if (scan.json)
		json_builder_begin_array(scan.json);
	bool loaded = store_foreach_regimen(ctx->store, false, patients_take, &scan, &error);
	store_rollback(ctx->store);
	if (!loaded) {
		status = cli_fail_error(error);
	} else if (scan.json) {
		json_builder_end_array(scan.json);
		cli_print_builder(g_steal_pointer(&scan.json));
	} else {
		if (scan.count == 0)
			printf("No patients enrolled.\n");
		else
			printf("%-12s %-24s %-20s %-14s %-10s %s\n", "PATIENT", "NAME", "PROTOCOL",
			       "PHASE", "NEXT DUE", "STATUS");
		fwrite(scan.text->str, 1, scan.text->len, stdout);
	}
	if (scan.json)
		g_object_unref(scan.json);
	if (scan.text)
		g_string_free(scan.text, TRUE);
	return loaded ? CLI_EXIT_OK : status;
}

/* ---- show ----------------------------------------------------------- */

/* Adherence: of the doses counted, how many were given by their latest date. */
typedef struct {
	int counted, on_time, late;
} Adherence;

static Adherence adherence_of(const DosedDoseOutcome *outcomes, size_t n)
{
	Adherence a = { 0 };
	for (size_t i = 0; i < n; i++) {
		a.counted++;
		if (outcomes[i].days_late > 0)
			a.late++;
		else
			a.on_time++;
	}
	return a;
}

static void show_json(CliContext *ctx, const DosedRegimen *r, const DosedNextDose *next,
		      const char *site, const DosedDoseOutcome *outcomes)
{
	const DosedProtocol *p = r->protocol;
	const DosedPhase *phase = &p->phases[next->phase_index];
	Adherence a = adherence_of(outcomes, r->dose_events->len);
	JsonBuilder *b = json_builder_new();
	size_t event = 0;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "patient");
	json_builder_begin_object(b);
	cli_json_string(b, "id", r->patient_id);
	cli_json_string(b, "name", r->name);
	cli_json_string(b, "tz", r->tz_name);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "protocol");
	cli_json_protocol(b, p);

	json_builder_set_member_name(b, "regimen");
	json_builder_begin_object(b);
	cli_json_date(b, "start", r->start);
	cli_json_string(b, "state", schedule_state_name(next->state));
	cli_json_instant(b, "enrolled_at", r->enrolled_at, r->tz);
	cli_json_string(b, "enrolled_by", r->enrolled_by);
	cli_json_instant(b, "stopped_at", r->stopped_at, r->tz);
	cli_json_string(b, "stopped_by", r->stopped_by);
	json_builder_end_object(b);

	char *description = phase_describe(phase);
	json_builder_set_member_name(b, "phase");
	json_builder_begin_object(b);
	cli_json_string(b, "name", phase->name);
	cli_json_int(b, "index", next->phase_index);
	cli_json_string(b, "description", description);
	json_builder_set_member_name(b, "dose_in_phase");
	if (next->state == DOSED_STATE_ACTIVE)
		json_builder_add_int_value(b, next->dose.dose_in_phase);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
	g_free(description);

	json_builder_set_member_name(b, "next");
	json_builder_add_value(b, cli_json_next_dose(r, next, site));

	json_builder_set_member_name(b, "doses");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->doses->len; i++) {
		const DosedDose *d = g_ptr_array_index(r->doses, i);
		const DosedDoseOutcome *o = NULL;
		if (!d->voided_at)
			o = &outcomes[event++];
		json_builder_begin_object(b);
		cli_json_int(b, "id", d->id);
		cli_json_int(b, "ordinal", d->ordinal);
		cli_json_string(b, "phase", p->phases[o ? o->phase_index : d->phase_index].name);
		cli_json_instant(b, "given_at", d->given_at, r->tz);
		cli_json_string(b, "site", d->site);
		cli_json_string(b, "note", d->note);
		json_builder_set_member_name(b, "forced");
		json_builder_add_boolean_value(b, d->forced);
		json_builder_set_member_name(b, "void");
		json_builder_add_boolean_value(b, d->voided_at != 0);
		cli_json_string(b, "void_reason", d->void_reason);
		cli_json_instant(b, "voided_at", d->voided_at, r->tz);
		cli_json_string(b, "voided_by", d->voided_by);
		cli_json_string(b, "logged_by", d->logged_by);
		cli_json_date(b, "due", o ? o->due : DOSED_DATE_NONE);
		cli_json_date(b, "latest", o ? o->latest : DOSED_DATE_NONE);
		json_builder_set_member_name(b, "days_late");
		if (o)
			json_builder_add_int_value(b, o->days_late);
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "adherence");
	json_builder_begin_object(b);
	cli_json_int(b, "counted", a.counted);
	cli_json_int(b, "on_time", a.on_time);
	cli_json_int(b, "late", a.late);
	json_builder_set_member_name(b, "on_time_percent");
	if (a.counted)
		json_builder_add_int_value(b, (a.on_time * 100 + a.counted / 2) / a.counted);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
	json_builder_end_object(b);

	(void)ctx;
	cli_print_builder(b);
}

static void show_text(CliContext *ctx, const DosedRegimen *r, const DosedNextDose *next,
		      const char *site, const DosedDoseOutcome *outcomes)
{
	const DosedProtocol *p = r->protocol;
	const DosedPhase *phase = &p->phases[next->phase_index];
	char a_buf[DOSED_DATE_BUF], b_buf[DOSED_DATE_BUF], when[DOSED_TIMESTAMP_BUF];
	Adherence a = adherence_of(outcomes, r->dose_events->len);
	char *description = phase_describe(phase);
	size_t event = 0;

	printf("Patient:   %s, %s\n", r->patient_id, r->name);
	printf("Time zone: %s\n", r->tz_name);
	printf("Protocol:  %s: %s\n", r->protocol_id, p->title);
	printf("           %s %s %s\n", p->drug, phase_dose(phase, p), p->route);
	printf("Started:   %s\n", date_format(r->start, a_buf));
	if (r->stopped_at)
		printf("Stopped:   %s by %s\n", cli_format_local_time(r->stopped_at, r->tz, when),
		       r->stopped_by);
	printf("Phase:     %d of %zu, %s: %s\n", next->phase_index + 1, p->n_phases, phase->name,
	       description);
	g_free(description);
	if (next->state == DOSED_STATE_ACTIVE) {
		printf("Next dose: #%d due %s, %s (dose %d of this phase)\n", next->dose.ordinal,
		       date_format(next->dose.due, a_buf), schedule_status_name(next->status),
		       next->dose.dose_in_phase);
		printf("Overdue after: %s\n", date_format(next->dose.latest, b_buf));
		if (site)
			printf("Suggested site: %s\n", site);
	} else {
		printf("Next dose: none, the regimen is %s\n", schedule_state_name(next->state));
	}

	if (r->doses->len == 0) {
		printf("Doses:     none logged\n");
	} else {
		printf("Doses:\n");
		printf("  %-6s %-4s %-22s %-14s %-16s %s\n", "ID", "#", "GIVEN", "PHASE", "SITE",
		       "REMARK");
	}
	for (guint i = 0; i < r->doses->len; i++) {
		const DosedDose *d = g_ptr_array_index(r->doses, i);
		const DosedDoseOutcome *o = d->voided_at ? NULL : &outcomes[event++];
		GString *remark = g_string_new(NULL);
		/* SPEC 5: a void is kept with who and when. */
		char voided[DOSED_TIMESTAMP_BUF];
		if (d->voided_at)
			g_string_append_printf(remark, "VOID by %s at %s: %s", d->voided_by,
					       cli_format_local_time(d->voided_at, r->tz, voided),
					       d->void_reason);
		else if (o->days_late > 0)
			g_string_append_printf(remark, "%d day%s late", o->days_late,
					       o->days_late == 1 ? "" : "s");
		else
			g_string_append(remark, "on time");
		if (d->forced)
			g_string_append(remark, ", forced");
		if (d->note)
			g_string_append_printf(remark, "; note: %s", d->note);
		GString *line = g_string_new(NULL);
		g_string_append_printf(line, "  %-6" G_GINT64_FORMAT " #%-3d %-22s ", d->id,
				       d->ordinal, cli_format_local_time(d->given_at, r->tz, when));
		/* Phase names and sites may be any UTF-8: padded in columns. */
		cli_append_cell(line, p->phases[o ? o->phase_index : d->phase_index].name, 14);
		g_string_append_c(line, ' ');
		cli_append_cell(line, d->site ? d->site : "-", 16);
		g_string_append_printf(line, " %s\n", remark->str);
		fputs(line->str, stdout);
		g_string_free(line, TRUE);
		g_string_free(remark, TRUE);
	}
	if (a.counted)
		printf("Adherence: %d of %d doses on time (%d%%), %d late\n", a.on_time, a.counted,
		       (a.on_time * 100 + a.counted / 2) / a.counted, a.late);
	(void)ctx;
}

int cmd_show(CliContext *ctx, int argc, char **argv)
{
	int status = cli_parse_options(ctx, cli_find_command("show"), NULL, &argc, &argv);
	if (status >= 0)
		return status;
	DosedRegimen *r = cli_load_patient(ctx, argc, argv, false, &status);
	if (!r)
		return status;
	store_rollback(ctx->store);

	DosedNextDose next;
	DosedDoseOutcome *outcomes = g_new0(DosedDoseOutcome, r->dose_events->len + 1);
	schedule_next_dose(&r->view, ctx->now, &next);
	schedule_replay(&r->view, outcomes);
	const char *site = schedule_suggest_site(&r->view, ctx->config->sites);
	if (ctx->json)
		show_json(ctx, r, &next, site, outcomes);
	else
		show_text(ctx, r, &next, site, outcomes);
	g_free(outcomes);
	regimen_destroy(r);
	return CLI_EXIT_OK;
}

/* ---- schedule ------------------------------------------------------- */

static const char *const weekday_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

int cmd_schedule(CliContext *ctx, int argc, char **argv)
{
	int count = 10;
	g_autofree char *count_arg = NULL;
	GOptionEntry entries[] = {
		{ "count", 'n', 0, G_OPTION_ARG_FILENAME, &count_arg, NULL, NULL },
		{ NULL },
	};
	int status = cli_parse_options(ctx, cli_find_command("schedule"), entries, &argc, &argv);
	if (status >= 0)
		return status;
	if (count_arg && !cli_parse_number(ctx, "--count", count_arg, 1, 1000, &count, &status))
		return status;
	DosedRegimen *r = cli_load_patient(ctx, argc, argv, false, &status);
	if (!r)
		return status;
	store_rollback(ctx->store);

	DosedPlannedDose *planned = g_new0(DosedPlannedDose, count);
	size_t n = schedule_project(&r->view, ctx->now, planned, count);
	JsonBuilder *b = ctx->json ? json_builder_new() : NULL;
	if (b)
		json_builder_begin_array(b);
	else if (n == 0)
		printf("No doses ahead: the regimen is %s.\n",
		       r->stopped_at ? "stopped" : "completed");
	for (size_t i = 0; i < n; i++) {
		const DosedPhase *phase = &r->protocol->phases[planned[i].phase_index];
		char due[DOSED_DATE_BUF], latest[DOSED_DATE_BUF];
		if (b) {
			json_builder_begin_object(b);
			cli_json_int(b, "ordinal", planned[i].ordinal);
			cli_json_string(b, "phase", phase->name);
			cli_json_date(b, "due", planned[i].due);
			cli_json_date(b, "latest", planned[i].latest);
			cli_json_int(b, "dose_in_phase", planned[i].dose_in_phase);
			cli_json_string(b, "dose", phase_dose(phase, r->protocol));
			json_builder_end_object(b);
		} else {
			date_format(planned[i].due, due);
			date_format(planned[i].latest, latest);
			printf("#%-4d %s  %s  %s", planned[i].ordinal, due,
			       weekday_names[date_weekday(planned[i].due) - 1], phase->name);
			if (planned[i].latest != planned[i].due)
				printf(", overdue after %s", latest);
			printf("\n");
		}
	}
	if (b) {
		json_builder_end_array(b);
		cli_print_builder(b);
	}
	g_free(planned);
	regimen_destroy(r);
	return CLI_EXIT_OK;
}

/* ---- due ------------------------------------------------------------ */

/* A patient on due's JSON worklist: what its object needs, kept once the
 * regimen is gone (the regimens are loaded one at a time). */
typedef struct {
	DosedNextDose next;
	const char *patient_id; /* in DueScan.strings */
	const char *name;
	const char *phase;
} DueItem;

/* Soonest first, then by patient id: the items are in the regimens' order
 * (by patient id), so each is sorted by a key of its due day above its
 * place, compared as one number rather than as strings, and the keys are
 * sorted rather than the items (bench/NOTES.md). */
static guint64 due_key(const DueItem *item, guint place)
{
	return (guint64)item->next.dose.due << 32 | place;
}

static int compare_due_keys(const void *a, const void *b)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;

	return x < y ? -1 : x > y;
}

/* One line of due's table, appended to out. */
static void due_format_line(GString *out, const DosedRegimen *r, const DosedNextDose *next)
{
	/* printf("%-12s %-24s #%-4d %s %s %s\n"), put together by hand:
	 * printf parses the format again for every line (bench/NOTES.md). */
	char ordinal[16], *digit = ordinal + sizeof ordinal - 1;
	unsigned value = (unsigned)next->dose.ordinal; /* >= 1 */
	*digit = '\0';
	do
		*--digit = (char)('0' + value % 10);
	while ((value /= 10) > 0);
	cli_append_cell(out, r->patient_id, 12);
	g_string_append_c(out, ' ');
	cli_append_cell(out, r->name, 24);
	g_string_append(out, " #");
	cli_append_cell(out, digit, 4);
	/* " DUE LATEST ": both days made in place, one append. */
	char days[2 * DOSED_DATE_BUF + 1];
	days[0] = ' ';
	date_format(next->dose.due, days + 1);
	days[DOSED_DATE_BUF] = ' ';
	date_format(next->dose.latest, days + DOSED_DATE_BUF + 1);
	days[2 * DOSED_DATE_BUF] = ' ';
	g_string_append_len(out, days, sizeof days);
	g_string_append(out, schedule_status_name(next->status));
	g_string_append_c(out, '\n');
}

typedef struct {
	gint64 now;
	int within;
	guint count;            /* patients on the worklist */
	/* The table: its lines by due day, each day's in the regimens' order
	 * (by patient id), so that the days in turn are the worklist.  There
	 * are far fewer days than lines (the days asked for, and those of
	 * the overdue doses): made so, the lines need no sort and are
	 * written as they lie (bench/NOTES.md). */
	GHashTable *days;       /* DosedDate -> GString * */
	/* JSON: the worklist, sorted once all are in. */
	GArray *items;          /* DueItem */
	GStringChunk *strings;  /* the items' texts */
	GStringChunk *more_strings; /* those of a second half (due_load()) */
} DueScan;

/* One regimen of the load: on the worklist when its next dose is due
 * within the days asked, counted from the patient's own today (zones
 * differ).  Its line is made here, while the regimen is at hand. */
static bool due_take(DosedRegimen *r, bool *keep, void *data, GError **error)
{
	DueScan *scan = data;
	DosedNextDose next;

	(void)keep;
	(void)error;
	schedule_next_dose(&r->view, scan->now, &next);
	if (next.state != DOSED_STATE_ACTIVE)
		return true;
	if (next.dose.due > date_add_days(date_of_instant(scan->now, r->tz), scan->within))
		return true;
	scan->count++;
	if (scan->days) {
		gpointer day = GUINT_TO_POINTER(next.dose.due);
		GString *lines = g_hash_table_lookup(scan->days, day);

		if (!lines) {
			lines = g_string_sized_new(256);
			g_hash_table_insert(scan->days, day, lines);
		}
		due_format_line(lines, r, &next);
	} else {
		DueItem item = {
			.next = next,
			.patient_id = g_string_chunk_insert(scan->strings, r->patient_id),
			.name = g_string_chunk_insert(scan->strings, r->name),
			.phase = g_string_chunk_insert_const(
				scan->strings, r->protocol->phases[next.dose.phase_index].name),
		};
		g_array_append_val(scan->items, item);
	}
	return true;
}

static int compare_dates(const void *a, const void *b)
{
	DosedDate x = *(const DosedDate *)a, y = *(const DosedDate *)b;

	return x < y ? -1 : x > y;
}

static void due_string_free(gpointer lines)
{
	g_string_free(lines, TRUE);
}

/* The table, its lines' days in order. */
static void due_write_table(const DueScan *scan)
{
	guint n_days = g_hash_table_size(scan->days);
	DosedDate *days = g_new(DosedDate, MAX(n_days, 1));
	GHashTableIter iter;
	gpointer day;
	guint i = 0;

	g_hash_table_iter_init(&iter, scan->days);
	while (g_hash_table_iter_next(&iter, &day, NULL))
		days[i++] = GPOINTER_TO_UINT(day);
	qsort(days, n_days, sizeof *days, compare_dates);
	for (i = 0; i < n_days; i++) {
		const GString *lines = g_hash_table_lookup(scan->days, GUINT_TO_POINTER(days[i]));

		fwrite(lines->str, 1, lines->len, stdout);
	}
	g_free(days);
}

static void due_write_json(const DueScan *scan)
{
	GArray *items = scan->items;
	guint64 *keys = g_new(guint64, MAX(items->len, 1));
	JsonBuilder *b = json_builder_new();

	for (guint i = 0; i < items->len; i++)
		keys[i] = due_key(&g_array_index(items, DueItem, i), i);
	qsort(keys, items->len, sizeof *keys, compare_due_keys);
	json_builder_begin_array(b);
	for (guint i = 0; i < items->len; i++) {
		const DueItem *item = &g_array_index(items, DueItem, keys[i] & G_MAXUINT32);

		json_builder_begin_object(b);
		cli_json_string(b, "patient", item->patient_id);
		cli_json_string(b, "name", item->name);
		cli_json_int(b, "ordinal", item->next.dose.ordinal);
		cli_json_date(b, "due", item->next.dose.due);
		cli_json_date(b, "latest", item->next.dose.latest);
		cli_json_string(b, "status", schedule_status_name(item->next.status));
		cli_json_string(b, "phase", item->phase);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	cli_print_builder(b);
	g_free(keys);
}

static void due_scan_init(DueScan *scan, const CliContext *ctx, int within)
{
	*scan = (DueScan){
		.now = ctx->now,
		.within = within,
		.days = ctx->json ? NULL : g_hash_table_new_full(NULL, NULL, NULL, due_string_free),
		.items = ctx->json ? g_array_new(FALSE, FALSE, sizeof(DueItem)) : NULL,
		.strings = ctx->json ? g_string_chunk_new(4096) : NULL,
	};
}

static void due_scan_clear(DueScan *scan)
{
	if (scan->days)
		g_hash_table_unref(scan->days);
	if (scan->items)
		g_array_unref(scan->items);
	if (scan->strings)
		g_string_chunk_free(scan->strings);
}

/* Put the worklist of the patients after `into`'s (by id) behind it: each
 * day's lines after `into`'s of that day, the JSON items after its items
 * (their texts stay in `from`, which must outlive `into`'s use). */
static void due_scan_append(DueScan *into, DueScan *from)
{
	into->count += from->count;
	if (into->items)
		g_array_append_vals(into->items, from->items->data, from->items->len);
	if (into->days) {
		GHashTableIter iter;
		gpointer day, lines;

		g_hash_table_iter_init(&iter, from->days);
		while (g_hash_table_iter_next(&iter, &day, &lines)) {
			GString *before = g_hash_table_lookup(into->days, day);

			if (before) {
				g_string_append_len(before, ((GString *)lines)->str,
						    (gssize)((GString *)lines)->len);
			} else {
				g_hash_table_insert(into->days, day, lines);
				g_hash_table_iter_steal(&iter);
			}
		}
	}
}

/* The worklist into `scan`, read in two halves at once where the store
 * can (store_foreach_regimen_halves()). */
static bool due_load(CliContext *ctx, DueScan *scan, int within, GError **error)
{
	DueScan second;
	bool halved = false;
	bool ok;

	due_scan_init(&second, ctx, within);
	ok = store_foreach_regimen_halves(ctx->store, true, due_take, scan, &second, &halved,
					  error);
	if (ok && halved)
		due_scan_append(scan, &second);
	/* The JSON items' texts live in second.strings: kept with scan's. */
	if (second.strings)
		scan->more_strings = g_steal_pointer(&second.strings);
	due_scan_clear(&second);
	return ok;
}

int cmd_due(CliContext *ctx, int argc, char **argv)
{
	int within = 0;
	g_autofree char *within_arg = NULL;
	GOptionEntry entries[] = {
		{ "within", 'w', 0, G_OPTION_ARG_FILENAME, &within_arg, NULL, NULL },
		{ NULL },
	};
	GError *error = NULL;
	int status = cli_parse_options(ctx, cli_find_command("due"), entries, &argc, &argv);
	DueScan scan;

	if (status >= 0)
		return status;
	if (argc > 1)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[1]);
	if (within_arg &&
	    !cli_parse_number(ctx, "--within", within_arg, 0, 3660, &within, &status))
		return status;
	if (!cli_open_store(ctx, false, &error) || !store_begin(ctx->store, false, &error))
		return cli_fail_error(error);

	/* The regimens one at a time, not all held at once
	 * (bench/NOTES.md). */
	due_scan_init(&scan, ctx, within);
	bool loaded = due_load(ctx, &scan, within, &error);
	store_rollback(ctx->store);
	if (!loaded) {
		status = cli_fail_error(error);
	} else if (ctx->json) {
		due_write_json(&scan);
	} else {
		if (scan.count == 0)
			printf("Nothing due%s.\n", within ? " in that time" : " today");
		else
			printf("%-12s %-24s %-5s %-10s %-10s %s\n", "PATIENT", "NAME", "#", "DUE",
			       "LATEST", "STATUS");
		due_write_table(&scan);
	}
	due_scan_clear(&scan);
	if (scan.more_strings)
		g_string_chunk_free(scan.more_strings);
	return loaded ? CLI_EXIT_OK : status;
}
