/* feeds.c - the feed cache (see feeds.h): who may read which feed, the
 * rendered documents, and rendering them with the core (feed.h). */
#include "feeds.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "error.h"
#include "feed.h"
#include "log.h"
#include "timeutil.h"
#include "token.h"

/* Clinic renders over this many regimens give their memory back. */
#define FEEDS_TRIM_AFTER 1024u

/* The feed settings of one config, shared by reference with renders in
 * progress, so that a SIGHUP never frees them under a render. */
typedef struct {
	DosedFeedOptions options;
	char **sites;           /* options.sites points here */
} FeedsSettings;

/* A cached document and the span of time it is good for: the local day it
 * was rendered on (the clinic's: the day common to every patient's zone). */
typedef struct {
	FeedsDocument *document;
	gint64 valid_from;
	gint64 valid_until;
} FeedsEntry;

struct FeedsCache {
	/* Shared with the main loop, under lock. */
	GMutex lock;
	GPtrArray *tokens;          /* DosedFeedToken *, owned */
	GHashTable *token_by_hash;  /* hash -> DosedFeedToken * in tokens */
	GHashTable *entries;        /* feed key ("p:ID", "c:") -> FeedsEntry * */
	guint64 generation;         /* moves at each invalidation */
	bool states_stale;          /* reread the event states before rendering */
	FeedsSettings *settings;
	FeedsPrepareFunc prepare;
	GDestroyNotify prepared_free;
	guint renders;

	/* Rendering only, under render_lock. */
	GMutex render_lock;
	DosedStore *store;
	GHashTable *states;         /* feed.h event states, NULL until loaded */
};

/* ---- documents and settings ------------------------------------------ */

static void document_clear(gpointer data)
{
	FeedsDocument *document = data;

	if (document->prepared)
		document->prepared_free(document->prepared);
	g_bytes_unref(document->body);
	g_free(document->etag);
}

/* Takes text. */
static FeedsDocument *document_new(char *text, gint64 last_modified)
{
	FeedsDocument *document = g_atomic_rc_box_new0(FeedsDocument);
	char *digest;

	document->body = g_bytes_new_take(text, strlen(text));
	/* A strong validator from the bytes themselves: an unchanged feed is
	 * byte-identical (feed.h), so its ETag survives a restart. */
	digest = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, document->body);
	document->etag = g_strdup_printf("\"%s\"", digest);
	g_free(digest);
	document->last_modified = last_modified;
	return document;
}

FeedsDocument *feeds_document_ref(FeedsDocument *document)
{
	return g_atomic_rc_box_acquire(document);
}

void feeds_document_unref(FeedsDocument *document)
{
	if (document)
		g_atomic_rc_box_release_full(document, document_clear);
}

static void entry_free(gpointer data)
{
	FeedsEntry *entry = data;

	feeds_document_unref(entry->document);
	g_free(entry);
}

static void settings_clear(gpointer data)
{
	FeedsSettings *settings = data;

	g_strfreev(settings->sites);
}

static FeedsSettings *settings_new(const DosedConfig *config)
{
	FeedsSettings *settings = g_atomic_rc_box_new0(FeedsSettings);
	DosedFeedOptions *options = &settings->options;

	feed_options_from_config(options, config);
	/* HTTP threads keep these after a reload frees the old config. */
	settings->sites = g_strdupv(config->sites);
	options->sites = settings->sites;
	return settings;
}

static void settings_unref(FeedsSettings *settings)
{
	if (settings)
		g_atomic_rc_box_release_full(settings, settings_clear);
}

/* ---- the cache ------------------------------------------------------- */

FeedsCache *feeds_create(DosedStore *store, const DosedConfig *config)
{
	FeedsCache *cache = g_new0(FeedsCache, 1);

	g_mutex_init(&cache->lock);
	g_mutex_init(&cache->render_lock);
	cache->tokens = g_ptr_array_new();
	cache->token_by_hash = g_hash_table_new(g_str_hash, g_str_equal);
	cache->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	cache->settings = settings_new(config);
	cache->store = store;
	return cache;
}

void feeds_destroy(FeedsCache *cache)
{
	if (!cache)
		return;
	g_hash_table_unref(cache->entries);
	g_hash_table_unref(cache->token_by_hash);
	g_ptr_array_unref(cache->tokens);
	settings_unref(cache->settings);
	if (cache->states)
		g_hash_table_unref(cache->states);
	store_close(cache->store);
	g_mutex_clear(&cache->render_lock);
	g_mutex_clear(&cache->lock);
	g_free(cache);
}

/* Under lock. */
static void cache_drop_documents(FeedsCache *cache)
{
	cache->generation++;
	g_hash_table_remove_all(cache->entries);
}

void feeds_configure(FeedsCache *cache, const DosedConfig *config)
{
	FeedsSettings *settings = settings_new(config), *old;

	g_mutex_lock(&cache->lock);
	old = cache->settings;
	cache->settings = settings;
	cache_drop_documents(cache);
	g_mutex_unlock(&cache->lock);
	settings_unref(old);
}

void feeds_set_preparer(FeedsCache *cache, FeedsPrepareFunc prepare, GDestroyNotify release)
{
	g_mutex_lock(&cache->lock);
	cache->prepare = prepare;
	cache->prepared_free = release;
	g_mutex_unlock(&cache->lock);
}

void feeds_set_tokens(FeedsCache *cache, GPtrArray *tokens)
{
	GHashTable *by_hash = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *old_by_hash;
	GPtrArray *old_tokens;

	for (guint i = 0; i < tokens->len; i++) {
		DosedFeedToken *token = g_ptr_array_index(tokens, i);

		g_hash_table_insert(by_hash, token->hash, token);
	}
	g_mutex_lock(&cache->lock);
	old_tokens = cache->tokens;
	old_by_hash = cache->token_by_hash;
	cache->tokens = tokens;
	cache->token_by_hash = by_hash;
	g_mutex_unlock(&cache->lock);
	g_hash_table_unref(old_by_hash);
	g_ptr_array_unref(old_tokens);
}

void feeds_invalidate(FeedsCache *cache)
{
	g_mutex_lock(&cache->lock);
	cache_drop_documents(cache);
	cache->states_stale = true;
	g_mutex_unlock(&cache->lock);
}

guint feeds_render_count(FeedsCache *cache)
{
	guint renders;

	g_mutex_lock(&cache->lock);
	renders = cache->renders;
	g_mutex_unlock(&cache->lock);
	return renders;
}

/* ---- rendering (under render_lock) ----------------------------------- */

/* The local day of `now` in tz, as [from, until): the span a rendering
 * stays right for, since a due dose becomes overdue at local midnight. */
static void local_day(GTimeZone *tz, gint64 now, gint64 *from, gint64 *until)
{
	DosedDate today = date_of_instant(now, tz);

	*from = instant_of_local(today, 0, 0, 0, tz);
	*until = instant_of_local(date_add_days(today, 1), 0, 0, 0, tz);
}

static bool states_any_dirty(GHashTable *states)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, states);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const DosedFeedEventState *state = value;

		if (state->dirty)
			return true;
	}
	return false;
}

/* The event states live in memory between renders.  They are read again
 * after a change in the database, in case another program saved some, but
 * never while this process holds states it could not save yet. */
static bool states_ready(FeedsCache *cache, bool stale, GError **error)
{
	GHashTable *states;

	if (cache->states && (!stale || states_any_dirty(cache->states)))
		return true;
	states = feed_states_create();
	if (!store_load_feed_states(cache->store, states, error)) {
		g_hash_table_unref(states);
		return false;
	}
	if (cache->states)
		g_hash_table_unref(cache->states);
	cache->states = states;
	return true;
}

/* Persist what the render changed: only when something did, so that a
 * render of an unchanged feed writes nothing, and our own write, which the
 * change watch sees like any other, settles after one more render. */
static void states_save(FeedsCache *cache)
{
	GError *error = NULL;

	if (!states_any_dirty(cache->states))
		return;
	if (!store_begin(cache->store, true, &error) ||
	    !store_save_feed_states(cache->store, cache->states, &error) ||
	    !store_commit(cache->store, &error)) {
		/* The document is right; only DTSTAMP/SEQUENCE bookkeeping
		 * waits for the next render to be saved. */
		store_rollback(cache->store);
		log_warnx("cannot save the feed's event states: %s", error->message);
		g_error_free(error);
	}
}

static char *render_patient(FeedsCache *cache, const char *patient_id,
			    const DosedFeedOptions *options, gint64 now, gint64 *last_modified,
			    gint64 *valid_from, gint64 *valid_until, GError **error)
{
	GError *local = NULL;
	DosedRegimen *regimen = store_load_regimen(cache->store, patient_id, &local);
	char *text;

	if (!regimen) {
		/* A token whose patient is gone is like no token: 404. */
		if (dosed_error_is(local, DOSED_ERROR_NOT_FOUND))
			g_error_free(local);
		else
			g_propagate_error(error, local);
		return NULL;
	}
	text = feed_render_patient(regimen, options, now, cache->states, last_modified, error);
	local_day(regimen->tz, now, valid_from, valid_until);
	regimen_destroy(regimen);
	return text;
}

/* A clinic's feed in the making, a regimen at a time. */
typedef struct {
	FeedClinicRender *clinic;
	gint64 now;
	gint64 *valid_from, *valid_until;
	guint n_read;
} ClinicScan;

static bool clinic_add(DosedRegimen *regimen, bool *keep, void *data, GError **error)
{
	ClinicScan *scan = data;
	gint64 from, until;

	(void)keep;
	(void)error;
	feed_clinic_add(scan->clinic, regimen);
	local_day(regimen->tz, scan->now, &from, &until);
	*scan->valid_from = MAX(*scan->valid_from, from);
	*scan->valid_until = MIN(*scan->valid_until, until);
	scan->n_read++;
	return true;
}

static char *render_clinic(FeedsCache *cache, const DosedFeedOptions *options, gint64 now,
			   gint64 *last_modified, gint64 *valid_from, gint64 *valid_until,
			   GError **error)
{
	ClinicScan scan = { NULL, now, valid_from, valid_until, 0 };
	GTimeZone *local_tz = g_time_zone_new_local();
	char *text;

	/* Good until the first of the patients' local days ends. */
	local_day(local_tz, now, valid_from, valid_until);
	g_time_zone_unref(local_tz);
	/* The regimens one at a time, not all held at once beside the
	 * feed's text (bench/NOTES.md). */
	scan.clinic = feed_clinic_begin(options, now, cache->states);
	if (!store_foreach_regimen(cache->store, true, clinic_add, &scan, error)) {
		feed_clinic_abandon(scan.clinic);
		return NULL;
	}
	text = feed_clinic_finish(scan.clinic, last_modified, error);
#ifdef __GLIBC__
	/* A render thread's heap keeps what the render freed (libical's
	 * pieces of every event): hand it back. */
	if (scan.n_read >= FEEDS_TRIM_AFTER)
		malloc_trim(0);
#endif
	return text;
}

static FeedsDocument *feeds_render(FeedsCache *cache, const char *patient_id,
				   const FeedsSettings *settings, gint64 now, FeedsEntry *entry,
				   GError **error)
{
	FeedsPrepareFunc prepare;
	GDestroyNotify prepared_free;
	FeedsDocument *document;
	gint64 last_modified = 0;
	bool stale;
	char *text;

	g_mutex_lock(&cache->lock);
	stale = cache->states_stale;
	cache->states_stale = false;
	cache->renders++;
	prepare = cache->prepare;
	prepared_free = cache->prepared_free;
	g_mutex_unlock(&cache->lock);

	if (!states_ready(cache, stale, error))
		return NULL;
	if (patient_id)
		text = render_patient(cache, patient_id, &settings->options, now, &last_modified,
				      &entry->valid_from, &entry->valid_until, error);
	else
		text = render_clinic(cache, &settings->options, now, &last_modified,
				     &entry->valid_from, &entry->valid_until, error);
	if (!text)
		return NULL;
	states_save(cache);
	document = document_new(text, last_modified);
	/* Still ours alone: `prepared` is set before anyone else reads it. */
	if (prepare) {
		document->prepared = prepare(document);
		document->prepared_free = prepared_free;
	}
	return document;
}

/* ---- lookup ---------------------------------------------------------- */

FeedsDocument *feeds_get(FeedsCache *cache, RouteKind kind, const char *token, gint64 now,
			 GError **error)
{
	char hash[DOSED_TOKEN_HASH_LEN + 1];
	const DosedFeedToken *found;
	FeedsSettings *settings;
	FeedsDocument *document = NULL;
	FeedsEntry *entry;
	char *key, *patient_id;
	guint64 generation;

	if (kind == ROUTE_NONE)
		return NULL;
	/* Only hashes are kept (SPEC 4), and the lookup is by the SHA-256 of
	 * what was sent, never by the token.  Its time does depend on stored
	 * hashes (which bucket, and how many leading digits the compared
	 * hashes share), but that tells nothing about any token: a guess G
	 * only ever meets the stored SHA-256(T) through SHA-256(G), which
	 * the guesser cannot steer towards it, so a guess that is right in
	 * 31 of 32 digits times like any other; and even a stored hash known
	 * in full would not give its token back (a preimage of SHA-256, for
	 * a 128-bit random token).  So no constant-time compare is needed:
	 * the table's own string compare on equal hashes is the check. */
	token_hash(token, strlen(token), hash);

	g_mutex_lock(&cache->lock);
	found = g_hash_table_lookup(cache->token_by_hash, hash);
	if (!found || (kind == ROUTE_CLINIC) != (found->patient_id == NULL)) {
		g_mutex_unlock(&cache->lock);
		return NULL;
	}
	patient_id = g_strdup(found->patient_id);
	key = patient_id ? g_strconcat("p:", patient_id, NULL) : g_strdup("c:");
	entry = g_hash_table_lookup(cache->entries, key);
	if (entry && entry->valid_from <= now && now < entry->valid_until) {
		document = feeds_document_ref(entry->document);
		g_mutex_unlock(&cache->lock);
		goto out;
	}
	settings = g_atomic_rc_box_acquire(cache->settings);
	generation = cache->generation;
	g_mutex_unlock(&cache->lock);

	entry = g_new0(FeedsEntry, 1);
	g_mutex_lock(&cache->render_lock);
	document = feeds_render(cache, patient_id, settings, now, entry, error);
	g_mutex_unlock(&cache->render_lock);
	settings_unref(settings);

	if (!document) {
		g_free(entry);
		goto out;
	}
	/* Keep it only if nothing changed while it was rendered: a change
	 * committed meanwhile may or may not be in it. */
	entry->document = feeds_document_ref(document);
	g_mutex_lock(&cache->lock);
	if (cache->generation == generation) {
		g_hash_table_replace(cache->entries, key, entry);
		key = NULL;
		entry = NULL;
	}
	g_mutex_unlock(&cache->lock);
	if (entry)
		entry_free(entry);
out:
	g_free(key);
	g_free(patient_id);
	return document;
}
