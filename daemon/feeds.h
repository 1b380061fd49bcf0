/* feeds.h - the feed cache: rendered calendars, shared between the HTTP
 * threads (which read and render) and the main loop (which tells them what
 * changed).  SPEC 4, Feeds and Changes.
 *
 * One mutex guards the shared state (tokens, cached documents, settings);
 * it is never held while the database is read or a calendar rendered, so
 * the main loop never waits for a render.  Rendering itself is serialised
 * by a second lock that only HTTP threads take: it guards the render
 * connection and the event states (see feed.h), which belong to rendering
 * alone.
 *
 * A poll of an unchanged feed costs no database work: a cached document
 * is served until something changes (feeds_invalidate()) or the patient's
 * local day ends, since a new day turns "due" into "overdue".
 */
#ifndef DOSED_FEEDS_H
#define DOSED_FEEDS_H

#include <stdbool.h>
#include <glib.h>

#include "config.h"
#include "route.h"
#include "store.h"

typedef struct FeedsCache FeedsCache;

/* One rendered calendar, immutable and reference-counted: the HTTP server
 * keeps a reference while it sends the body. */
typedef struct {
	GBytes *body;           /* the iCalendar text */
	char *etag;             /* quoted hex SHA-256 of the body */
	gint64 last_modified;   /* UTC seconds: the feed's last change */
	/* What the HTTP server made of it for serving (its answers, headers
	 * and all), made once when the document was rendered, before any
	 * other thread could see it (feeds_set_preparer()); NULL when there
	 * is no preparer or it failed.  Freed with the document. */
	gpointer prepared;
	GDestroyNotify prepared_free;
} FeedsDocument;

FeedsDocument *feeds_document_ref(FeedsDocument *document);
void feeds_document_unref(FeedsDocument *document); /* NULL is a no-op */

/* Makes a document's `prepared` (NULL when it cannot); it must not keep
 * the document, which owns what it returns. */
typedef gpointer (*FeedsPrepareFunc)(const FeedsDocument *document);

/* A cache that renders with `store` (taken: it becomes the render
 * connection, used only by HTTP threads and closed by feeds_destroy()) and
 * the feed settings of `config` (copied).  It starts with no tokens. */
FeedsCache *feeds_create(DosedStore *store, const DosedConfig *config);
/* After the HTTP server is stopped. NULL is a no-op. */
void feeds_destroy(FeedsCache *cache);

/* Take the feed settings of a new config (SIGHUP): copied; every cached
 * document is dropped, since they may render differently. */
void feeds_configure(FeedsCache *cache, const DosedConfig *config);
/* Let every document rendered from now on be prepared by `prepare` and
 * what it made be freed by `release` when the document is: the HTTP server
 * builds its answers once per rendering rather than once per request.
 * Documents already cached stay unprepared.  Functions of no particular
 * server: a document may outlive the server that prepared it, and be
 * served by the next one (SIGHUP with a new address). */
void feeds_set_preparer(FeedsCache *cache, FeedsPrepareFunc prepare, GDestroyNotify release);
/* Replace the active tokens (store_load_feed_tokens(); taken).  A token
 * missing from the new set answers 404 from now on. */
void feeds_set_tokens(FeedsCache *cache, GPtrArray *tokens);
/* Something in the database changed: drop every cached document, and
 * reread the event states before the next render. */
void feeds_invalidate(FeedsCache *cache);

/* The document for a route's token as of `now`, from the cache or newly
 * rendered (HTTP threads only).  NULL without an error when the token is
 * unknown, revoked, of the other kind, or its patient is gone: all 404.
 * NULL with an error when rendering failed.  Free with
 * feeds_document_unref(). */
FeedsDocument *feeds_get(FeedsCache *cache, RouteKind kind, const char *token, gint64 now,
			 GError **error);

/* How many renders the cache has made: for tests that a poll of an
 * unchanged feed renders nothing. */
guint feeds_render_count(FeedsCache *cache);

#endif
