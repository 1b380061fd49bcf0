/* feed_state.c - what the feeds last showed of each event; see
 * feed_state.h. */
#include "feed_state.h"

static void feed_state_free(gpointer data)
{
	DosedFeedEventState *state = data;

	g_free(state->fingerprint);
	g_free(state);
}

GHashTable *feed_states_create(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, feed_state_free);
}

DosedFeedEventState *feed_states_put(GHashTable *states, const char *key,
				     const char *fingerprint, int sequence, gint64 changed_at,
				     bool dirty)
{
	DosedFeedEventState *state = g_new0(DosedFeedEventState, 1);

	state->fingerprint = g_strdup(fingerprint);
	state->sequence = sequence;
	state->changed_at = changed_at;
	state->dirty = dirty;
	g_hash_table_replace(states, g_strdup(key), state);
	return state;
}

const DosedFeedEventState *feed_states_update(GHashTable *states, const char *key,
					      const char *fingerprint, gint64 now)
{
	DosedFeedEventState *state = g_hash_table_lookup(states, key);

	if (state == NULL)
		return feed_states_put(states, key, fingerprint, 0, now, true);
	if (g_strcmp0(state->fingerprint, fingerprint) != 0) {
		g_free(state->fingerprint);
		state->fingerprint = g_strdup(fingerprint);
		state->sequence++;
		state->changed_at = MAX(now, state->changed_at);
		state->dirty = true;
	}
	return state;
}
