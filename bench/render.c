/* render.c - time feed rendering alone (issue 7, make bench): one
 * patient's feed and the clinic feed, loaded from a dosed database the way
 * the daemon loads them (daemon/feeds.c), then rendered many times.
 *
 *   bench-render CONFIG PATIENT PATIENT_ITERATIONS CLINIC_ITERATIONS
 *
 * Prints two lines, each the median of its iterations:
 *   patient_us N    feed_render_patient, microseconds
 *   clinic_ms N     feed_render_clinic over every active regimen, milliseconds
 *
 * Only the render is timed, not the database load: the daemon keeps the
 * event states in memory between renders, and these times are what a feed
 * costs once its data is read.  The first render of each feed is left out
 * of the median (it may mark events dirty, which the daemon saves once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "error.h"
#include "feed.h"
#include "store.h"

static int compare_gint64(const void *a, const void *b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

/* The median of `n` durations (sorted in place), microseconds. */
static double median_us(gint64 *times, int n)
{
	qsort(times, (size_t)n, sizeof *times, compare_gint64);
	return n % 2 ? (double)times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2.0;
}

static int fail(GError *error)
{
	fprintf(stderr, "bench-render: %s\n", error->message);
	g_error_free(error);
	return 1;
}

int main(int argc, char **argv)
{
	GError *error = NULL;
	DosedConfig *config;
	DosedStore *store;
	DosedFeedOptions options;
	DosedRegimen *regimen;
	GPtrArray *regimens;
	GHashTable *states;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC, last_modified = 0;
	gint64 *times;
	int patient_n, clinic_n;
	size_t bytes = 0;

	if (argc != 5 || (patient_n = atoi(argv[3])) < 1 || (clinic_n = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: bench-render CONFIG PATIENT PATIENT_ITERATIONS "
			"CLINIC_ITERATIONS\n");
		return 2;
	}
	if (!(config = config_load(argv[1], false, &error)))
		return fail(error);
	if (!(store = store_open(config->store_path, 0600, config->busy_timeout_ms, &error))) {
		config_destroy(config);
		return fail(error);
	}
	feed_options_from_config(&options, config);
	states = feed_states_create();
	if (!store_begin(store, false, &error) ||
	    !store_load_feed_states(store, states, &error) ||
	    !(regimen = store_load_regimen(store, argv[2], &error)) ||
	    !(regimens = store_load_regimens(store, true, &error))) {
		g_hash_table_unref(states);
		store_close(store);
		config_destroy(config);
		return fail(error);
	}
	store_commit(store, NULL);

	times = g_new(gint64, MAX(patient_n, clinic_n));
	for (int i = -1; i < patient_n; i++) {
		gint64 start = g_get_monotonic_time();
		char *text = feed_render_patient(regimen, &options, now, states, &last_modified,
						 &error);
		if (!text)
			break;
		if (i >= 0)
			times[i] = g_get_monotonic_time() - start;
		bytes = strlen(text);
		g_free(text);
	}
	if (!error) {
		printf("patient_us %.1f\npatient_bytes %zu\n", median_us(times, patient_n), bytes);
		for (int i = -1; i < clinic_n; i++) {
			gint64 start = g_get_monotonic_time();
			char *text = feed_render_clinic(regimens, &options, now, states,
							&last_modified, &error);
			if (!text)
				break;
			if (i >= 0)
				times[i] = g_get_monotonic_time() - start;
			bytes = strlen(text);
			g_free(text);
		}
	}
	if (!error)
		printf("clinic_ms %.2f\nclinic_bytes %zu\nregimens %u\n",
		       median_us(times, clinic_n) / 1000.0, bytes, regimens->len);

	g_free(times);
	g_ptr_array_unref(regimens);
	regimen_destroy(regimen);
	g_hash_table_unref(states);
	store_close(store);
	config_destroy(config);
	return error ? fail(error) : 0;
}
