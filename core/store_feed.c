/* store_feed.c - the feeds' tokens and event states (SPEC 4). */
#include "store_private.h"

#include <string.h>

/* Issue inside the savepoint of store_issue_feed_token(). */
static bool store_issue_rows(DosedStore *store, const char *patient_id, const char *hash,
			     bool rotate, const char *actor, gint64 now, bool *issued,
			     gint64 *issued_at, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 old_id = 0;
	gint64 token_id;
	bool row;

	if (patient_id) {
		stmt = store_statement(store, "SELECT 1 FROM patient WHERE id = ?1",
				       STORE_VALUES(STORE_TEXT(patient_id)), error);
		if (!stmt || !store_next_row(store, stmt, "looking for the patient", &row, error))
			return false;
		if (!row) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_PATIENT,
				    "unknown patient '%s'", patient_id);
			return false;
		}
		g_clear_pointer(&stmt, sqlite3_finalize);
	}

	/* "IS" matches the clinic's NULL patient too. */
	stmt = store_statement(store,
		"SELECT id, issued_at FROM feed_token"
		" WHERE patient_id IS ?1 AND revoked_at IS NULL",
		STORE_VALUES(STORE_TEXT(patient_id)), error);
	if (!stmt || !store_next_row(store, stmt, "looking for the feed token", &row, error))
		return false;
	if (row) {
		old_id = sqlite3_column_int64(stmt, 0);
		if (!rotate) {
			/* Only the hash is kept: the token cannot be shown
			 * again, only renewed (dosectl feed --rotate). */
			*issued_at = sqlite3_column_int64(stmt, 1);
			return true;
		}
	}
	g_clear_pointer(&stmt, sqlite3_finalize);

	/* SPEC 4: rotating revokes the old token at once, in the same
	 * transaction as the new one is issued. */
	if (old_id != 0 &&
	    !store_run(store,
		       "UPDATE feed_token SET revoked_at = ?1, revoked_by = ?2"
		       " WHERE id = ?3 AND revoked_at IS NULL", "revoking the feed token",
		       STORE_VALUES(STORE_INT(now), STORE_TEXT(actor), STORE_INT(old_id)), error))
		return false;
	if (!store_run(store,
		       "INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		       " VALUES (?1, ?2, ?3, ?4)", "recording the feed token",
		       STORE_VALUES(STORE_TEXT(patient_id), STORE_TEXT(hash), STORE_INT(now),
				    STORE_TEXT(actor)),
		       error))
		return false;
	token_id = sqlite3_last_insert_rowid(store->db);
	if (!store_audit(store, STORE_AUDIT_FEED, &(StoreAuditRow){ now, actor, patient_id, 0, 0 },
			 STORE_VALUES(STORE_TEXT(old_id != 0 ? "rotate" : "issue"),
				      STORE_TEXT(patient_id ? "patient" : "clinic"),
				      STORE_INT(token_id),
				      old_id != 0 ? STORE_INT(old_id) : STORE_NULL),
			 error))
		return false;
	*issued = true;
	*issued_at = now;
	return true;
}

bool store_issue_feed_token(DosedStore *store, const char *patient_id, const char *hash,
			    bool rotate, const char *actor, gint64 now, bool *issued,
			    gint64 *issued_at, GError **error)
{
	bool recorded = false;
	gint64 when = 0;

	*issued = false;
	*issued_at = 0;
	if (patient_id && !*patient_id) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the patient id is empty; give the clinic's identifier");
		return false;
	}
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	if (!store_write_end(store,
			     store_issue_rows(store, patient_id, hash, rotate, actor, now,
					      &recorded, &when, error),
			     error))
		return false;
	*issued = recorded;
	*issued_at = when;
	return true;
}

static void feed_token_free(gpointer data)
{
	DosedFeedToken *token = data;

	g_free(token->patient_id);
	g_free(token);
}

GPtrArray *store_load_feed_tokens(DosedStore *store, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store,
		"SELECT hash, patient_id, issued_at FROM feed_token"
		" WHERE revoked_at IS NULL ORDER BY id", error);
	GPtrArray *tokens;
	int rc;

	if (!stmt)
		return NULL;
	tokens = g_ptr_array_new_with_free_func(feed_token_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		DosedFeedToken *token = g_new0(DosedFeedToken, 1);
		const char *hash = (const char *)sqlite3_column_text(stmt, 0);

		/* The schema's CHECK holds the hash to 64 hex digits. */
		g_strlcpy(token->hash, hash ? hash : "", sizeof token->hash);
		token->patient_id = column_strdup(stmt, 1);
		token->issued_at = sqlite3_column_int64(stmt, 2);
		g_ptr_array_add(tokens, token);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading the feed tokens", error);
		g_ptr_array_unref(tokens);
		return NULL;
	}
	return tokens;
}

bool store_load_feed_states(DosedStore *store, GHashTable *states, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store,
		"SELECT key, fingerprint, sequence, changed_at FROM feed_event", error);
	int rc;

	if (!stmt)
		return false;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		feed_states_put(states, (const char *)sqlite3_column_text(stmt, 0),
				(const char *)sqlite3_column_text(stmt, 1),
				sqlite3_column_int(stmt, 2), sqlite3_column_int64(stmt, 3), false);
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading the feed event states", error);
		return false;
	}
	return true;
}

/* Upsert every dirty state with one prepared statement, reset between
 * rows: a clinic's first render after an upgrade makes thousands. */
static bool store_save_states_rows(DosedStore *store, GHashTable *states, GPtrArray *saved,
				   GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store,
		"INSERT INTO feed_event (key, fingerprint, sequence, changed_at)"
		" VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,"
		" sequence = excluded.sequence, changed_at = excluded.changed_at", error);
	GHashTableIter iter;
	gpointer key, value;

	if (!stmt)
		return false;
	g_hash_table_iter_init(&iter, states);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		DosedFeedEventState *state = value;

		if (!state->dirty)
			continue;
		bind_text(stmt, 1, key);
		bind_text(stmt, 2, state->fingerprint);
		sqlite3_bind_int(stmt, 3, state->sequence);
		sqlite3_bind_int64(stmt, 4, state->changed_at);
		if (!store_step_done(store, stmt, "saving the feed event states", error))
			return false;
		sqlite3_reset(stmt);
		g_ptr_array_add(saved, state);
	}
	return true;
}

bool store_save_feed_states(DosedStore *store, GHashTable *states, GError **error)
{
	g_autoptr(GPtrArray) saved = g_ptr_array_new();

	if (!store_write_begin(store, error))
		return false;
	if (!store_write_end(store, store_save_states_rows(store, states, saved, error), error))
		return false;
	/* Only now: a failed save leaves every state dirty for the next. */
	for (guint i = 0; i < saved->len; i++)
		((DosedFeedEventState *)g_ptr_array_index(saved, i))->dirty = false;
	return true;
}

