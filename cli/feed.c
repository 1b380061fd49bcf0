/* feed.c - dosectl feed and export: the calendar subscription of SPEC 4. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "feed.h"
#include "token.h"

/* base_url + path, and the same with the webcal:// scheme that phones open
 * in their calendar app. */
static void feed_urls(const char *base_url, const char *path, const char *token, char **url,
		      char **webcal)
{
	const char *rest = strstr(base_url, "://");
	*url = g_strdup_printf("%s/%s/%s.ics", base_url, path, token);
	*webcal = g_strdup_printf("webcal%s/%s/%s.ics", rest ? rest : "://", path, token);
}

int cmd_feed(CliContext *ctx, int argc, char **argv)
{
	gboolean clinic = FALSE, rotate = FALSE;
	GOptionEntry entries[] = {
		{ "clinic", 0, 0, G_OPTION_ARG_NONE, &clinic, NULL, NULL },
		{ "rotate", 0, 0, G_OPTION_ARG_NONE, &rotate, NULL, NULL },
		{ NULL },
	};
	GError *error = NULL;
	char *patient_id = NULL, *url = NULL, *webcal = NULL;
	char token[DOSED_TOKEN_TEXT_LEN + 1], hash[DOSED_TOKEN_HASH_LEN + 1];
	bool issued = false;
	gint64 issued_at = 0;
	int status = cli_parse_options(ctx, cli_find_command("feed"), entries, &argc, &argv);

	if (status >= 0)
		return status;
	if (clinic && argc > 1)
		return cli_usage_error(ctx, "give PATIENT or --clinic, not both");
	if (!cli_load_config(ctx, &error))
		return cli_fail_error(error);
	/* A URL is shown once: one that names no reachable address would
	 * have to be rotated at once.  Refused before any token is made. */
	if (!ctx->config->feed_base_url)
		return cli_fail(CLI_EXIT_REFUSED, "[feed] listen = %s takes every address, so "
				"which one phones reach is unknown; set [feed] base_url in %s "
				"(such as http://%s:%s) and run this again",
				ctx->config->feed_listen,
				ctx->config->path ? ctx->config->path : "the configuration",
				g_get_host_name(), strrchr(ctx->config->feed_listen, ':') + 1);
	if (!cli_open_store(ctx, false, &error) || !store_begin(ctx->store, true, &error))
		return cli_fail_error(error);
	if (!clinic && !(patient_id = cli_patient_argument(ctx, argc, argv, &status)))
		return status;
	/* Made here and shown once; the store keeps only its hash. */
	if (!token_generate(token, &error)) {
		g_free(patient_id);
		return cli_fail_error(error);
	}
	token_hash(token, DOSED_TOKEN_TEXT_LEN, hash);
	if (!store_issue_feed_token(ctx->store, patient_id, hash, rotate, ctx->actor, ctx->now,
				    &issued, &issued_at, &error) ||
	    !store_commit(ctx->store, &error)) {
		explicit_bzero(token, sizeof token);
		g_free(patient_id);
		return cli_fail_error(error);
	}
	const char *whose = clinic ? "the clinic" : patient_id;
	if (!issued) {
		explicit_bzero(token, sizeof token);
		char when[DOSED_TIMESTAMP_BUF];
		GTimeZone *utc = g_time_zone_new_utc();
		timestamp_format(issued_at, utc, when);
		g_time_zone_unref(utc);
		/* SPEC 4: only the token's hash is kept, so it cannot be shown
		 * again; a new one replaces it. */
		status = cli_fail(CLI_EXIT_REFUSED, "a feed URL for %s was issued at %s and is shown "
				  "only once; 'dosectl feed %s --rotate' issues a new one and the old "
				  "one stops working", whose, when, clinic ? "--clinic" : patient_id);
		g_free(patient_id);
		return status;
	}
	feed_urls(ctx->config->feed_base_url, clinic ? "clinic" : "feeds", token, &url, &webcal);
	if (ctx->json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "patient");
		if (patient_id)
			json_builder_add_string_value(b, patient_id);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "url");
		json_builder_add_string_value(b, url);
		json_builder_set_member_name(b, "webcal");
		json_builder_add_string_value(b, webcal);
		json_builder_set_member_name(b, "rotated");
		json_builder_add_boolean_value(b, rotate);
		json_builder_end_object(b);
		cli_print_builder(b);
	} else {
		printf("Calendar feed of %s%s (shown only this once: keep it private):\n", whose,
		       rotate ? ", renewed; any earlier URL no longer works" : "");
		printf("  %s\n  %s\n", url, webcal);
	}
	explicit_bzero(token, sizeof token);
	g_free(url);
	g_free(webcal);
	g_free(patient_id);
	return CLI_EXIT_OK;
}

int cmd_export(CliContext *ctx, int argc, char **argv)
{
	GError *error = NULL;
	GHashTable *states = NULL;
	DosedRegimen *r = NULL;
	DosedFeedOptions options;
	gint64 last_modified;
	char *text = NULL;
	int status = cli_parse_options(ctx, cli_find_command("export"), NULL, &argc, &argv);

	if (status >= 0)
		return status;
	/* A write transaction: the render records which events changed, so
	 * the export and the feed agree on SEQUENCE and DTSTAMP. */
	if (!(r = cli_load_patient(ctx, argc, argv, true, &status)))
		return status;
	states = feed_states_create();
	feed_options_from_config(&options, ctx->config);
	if (!store_load_feed_states(ctx->store, states, &error) ||
	    !(text = feed_render_patient(r, &options, ctx->now, states, &last_modified, &error)) ||
	    !store_save_feed_states(ctx->store, states, &error) ||
	    !store_commit(ctx->store, &error)) {
		status = cli_fail_error(error);
	} else {
		fputs(text, stdout);
		status = CLI_EXIT_OK;
	}
	g_free(text);
	g_hash_table_unref(states);
	regimen_destroy(r);
	return status;
}
