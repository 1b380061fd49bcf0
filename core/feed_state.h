/* feed_state.h - what the feeds last showed of each event (SPEC 4), so
 * that an unchanged feed is byte-identical, its ETag stable, across
 * renders and restarts.
 *
 * Each event (and each feed as a whole) has a state under a key (feed.h
 * says which): a fingerprint of everything it shows, its SEQUENCE, and
 * when it last changed.  A render compares and updates the states
 * (feed_states_update()); the store loads and saves them
 * (store_load_feed_states(), store_save_feed_states()).
 *
 * Ownership: the table owns its keys and states, and frees them with
 * itself (g_hash_table_unref()).  States enter it only through
 * feed_states_put() and feed_states_update(), which copy what they are
 * given, so whoever fills the table never allocates for it.
 */
#ifndef DOSED_FEED_STATE_H
#define DOSED_FEED_STATE_H

#include <stdbool.h>
#include <glib.h>

typedef struct {
	char *fingerprint;      /* hex SHA-256 of the event's content */
	int sequence;           /* SEQUENCE */
	gint64 changed_at;      /* DTSTAMP and LAST-MODIFIED, UTC seconds */
	bool dirty;             /* changed by the last render, not yet saved */
} DosedFeedEventState;

/* An empty table: GHashTable<char *, DosedFeedEventState *>. */
GHashTable *feed_states_create(void);

/* Set the state under `key` (key and fingerprint copied), replacing any
 * there.  The state returned belongs to the table. */
DosedFeedEventState *feed_states_put(GHashTable *states, const char *key,
				     const char *fingerprint, int sequence, gint64 changed_at,
				     bool dirty);

/* Compare what an event (or a whole feed) shows now with its state:
 * unchanged keeps its SEQUENCE and changed_at; changed moves both and is
 * marked dirty; new starts at SEQUENCE 0, changed at `now`, dirty.
 * changed_at never goes back, even if the clock did, so neither does
 * Last-Modified.  The state returned belongs to the table. */
const DosedFeedEventState *feed_states_update(GHashTable *states, const char *key,
					      const char *fingerprint, gint64 now);

#endif
