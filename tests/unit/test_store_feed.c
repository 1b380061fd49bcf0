/* test_store_feed.c - feed tokens and the feeds' event states
 * (core/store_feed.c).
 *
 * Each test gets a fresh temporary folder (helpers.h's store fixture); a
 * second, raw SQLite connection looks at the file the way another program
 * (or an auditor) would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "error.h"
#include "feed_state.h"
#include "protocol.h"
#include "store.h"
#include "timeutil.h"
#include "token.h"

#include "helpers.h"

static GPtrArray *load_tokens(DosedStore *store)
{
	GError *error = NULL;
	GPtrArray *tokens = store_load_feed_tokens(store, &error);

	if (!tokens)
		fail_msg("store_load_feed_tokens: %s", error->message);
	return tokens;
}

/* The active token with this hash, NULL when there is none. */
static const DosedFeedToken *find_hash(GPtrArray *tokens, const char *hash)
{
	for (guint i = 0; i < tokens->len; i++) {
		const DosedFeedToken *token = g_ptr_array_index(tokens, i);

		if (strcmp(token->hash, hash) == 0)
			return token;
	}
	return NULL;
}

static void hash_of(const char *token, char *hash)
{
	assert_non_null(token);
	assert_true(token_well_formed(token, strlen(token)));
	token_hash(token, strlen(token), hash);
}

/* SPEC 4: a token is shown once; asking again tells when it was issued. */
static void test_feed_token_shown_once(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char hash[DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *token = NULL;
	g_autofree char *again = NULL;
	g_autofree char *stored = NULL;
	GPtrArray *tokens;
	const DosedFeedToken *found;
	gint64 issued_at = 0;

	enrol_patient(store, fixture, "P1", odd_name, 23);
	token = issue_feed_token(store, "P1", false, T0 + 10, &issued_at);
	hash_of(token, hash);
	assert_int_equal(issued_at, T0 + 10);

	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 1);
	found = find_hash(tokens, hash);
	assert_non_null(found);
	assert_string_equal(found->patient_id, "P1");
	assert_int_equal(found->issued_at, T0 + 10);
	g_ptr_array_unref(tokens);

	/* Only its hash is kept: the second ask gets no token, the date of
	 * the first, and changes nothing. */
	again = issue_feed_token(store, "P1", false, T0 + 20, &issued_at);
	assert_null(again);
	assert_int_equal(issued_at, T0 + 10);
	store_close(store);

	stored = sql_text(fixture->db, "SELECT group_concat(hash) FROM feed_token");
	assert_string_equal(stored, hash);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'feed'"),
			 1);
}

/* --rotate: the old token stops working at once (it is no longer loaded)
 * and stays on record as revoked, by whom and when. */
static void test_feed_token_rotate(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char old_hash[DOSED_TOKEN_HASH_LEN + 1];
	char new_hash[DOSED_TOKEN_HASH_LEN + 1];
	char third_hash[DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *old = NULL;
	g_autofree char *rotated = NULL;
	g_autofree char *third = NULL;
	g_autofree char *query = NULL;
	g_autofree char *revoked = NULL;
	GPtrArray *tokens;
	gint64 issued_at = 0;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	old = issue_feed_token(store, "P1", false, T0 + 10, NULL);
	hash_of(old, old_hash);
	rotated = issue_feed_token(store, "P1", true, T0 + 20, &issued_at);
	hash_of(rotated, new_hash);
	assert_string_not_equal(old, rotated);
	assert_int_equal(issued_at, T0 + 20);

	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 1);
	assert_null(find_hash(tokens, old_hash));
	assert_non_null(find_hash(tokens, new_hash));
	assert_int_equal(((DosedFeedToken *)g_ptr_array_index(tokens, 0))->issued_at, T0 + 20);
	g_ptr_array_unref(tokens);

	third = issue_feed_token(store, "P1", true, T0 + 30, NULL);
	hash_of(third, third_hash);
	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 1);
	assert_non_null(find_hash(tokens, third_hash));
	g_ptr_array_unref(tokens);
	store_close(store);

	query = g_strdup_printf("SELECT revoked_at || ':' || revoked_by FROM feed_token"
				" WHERE hash = '%s'", old_hash);
	revoked = sql_text(fixture->db, query);
	assert_string_equal(revoked, "1795428020:nurse");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_token"), 3);
	assert_int_equal(sql_int(fixture->db,
				 "SELECT count(*) FROM feed_token WHERE revoked_at IS NULL"), 1);
}

/* The clinic's feed has its own token (patient NULL), one at a time like a
 * patient's, and the database itself refuses a second active one. */
static void test_feed_token_clinic(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char clinic_hash[DOSED_TOKEN_HASH_LEN + 1];
	char patient_hash[DOSED_TOKEN_HASH_LEN + 1];
	char rotated_hash[DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *clinic = NULL;
	g_autofree char *patient = NULL;
	g_autofree char *again = NULL;
	g_autofree char *rotated = NULL;
	GPtrArray *tokens;
	const DosedFeedToken *found;
	gint64 issued_at = 0;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	clinic = issue_feed_token(store, NULL, false, T0 + 10, NULL);
	hash_of(clinic, clinic_hash);
	patient = issue_feed_token(store, "P1", false, T0 + 11, NULL);
	hash_of(patient, patient_hash);

	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 2);
	found = find_hash(tokens, clinic_hash);
	assert_non_null(found);
	assert_null(found->patient_id);
	assert_int_equal(found->issued_at, T0 + 10);
	found = find_hash(tokens, patient_hash);
	assert_non_null(found);
	assert_string_equal(found->patient_id, "P1");
	g_ptr_array_unref(tokens);

	again = issue_feed_token(store, NULL, false, T0 + 20, &issued_at);
	assert_null(again);
	assert_int_equal(issued_at, T0 + 10);

	rotated = issue_feed_token(store, NULL, true, T0 + 30, NULL);
	hash_of(rotated, rotated_hash);
	tokens = load_tokens(store);
	assert_int_equal(tokens->len, 2);
	assert_null(find_hash(tokens, clinic_hash));
	assert_non_null(find_hash(tokens, rotated_hash));
	/* The patient's feed is not touched by the clinic's rotation. */
	assert_non_null(find_hash(tokens, patient_hash));
	g_ptr_array_unref(tokens);
	store_close(store);

	/* Even SQL written by hand cannot make two active tokens for one feed
	 * (NULL patient included), nor one for a patient who does not exist;
	 * a revoked row is fine. */
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES (NULL, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
		" 1, 'x')"), SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES ('P1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
		" 1, 'x')"), SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(sql_try(fixture->db,
		"PRAGMA foreign_keys = ON;"
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES ('nobody', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
		" 1, 'x')"), SQLITE_CONSTRAINT_FOREIGNKEY);
	/* Not a SHA-256 in hex. */
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by, revoked_at,"
		" revoked_by) VALUES (NULL, 'AAAA', 1, 'x', 2, 'x')"), SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by, revoked_at,"
		" revoked_by) VALUES (NULL,"
		" 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 'x', 2, 'x')"),
		SQLITE_OK);
}

/* A refused issue writes nothing, even when the caller then commits. */
static void test_feed_token_refused_writes_nothing(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;
	bool issued = false;
	gint64 issued_at = -1;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	begin_write(store);
	assert_false(store_issue_feed_token(store, "nobody", some_hash, false, "nurse", T0,
					    &issued, &issued_at, &error));
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'nobody'");
	g_clear_error(&error);
	assert_false(issued);
	assert_int_equal(issued_at, 0);
	assert_false(store_issue_feed_token(store, "nobody", some_hash, true, "nurse", T0,
					    &issued, &issued_at, &error));
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'nobody'");
	g_clear_error(&error);
	assert_false(store_issue_feed_token(store, "", some_hash, false, "nurse", T0, &issued,
					    &issued_at, &error));
	assert_error(error, DOSED_ERROR_INVALID, "the patient id is empty");
	g_clear_error(&error);
	assert_false(store_issue_feed_token(store, "P1", some_hash, false, NULL, T0, &issued,
					    &issued_at, &error));
	assert_error(error, DOSED_ERROR_INVALID, "the audit trail needs a user name");
	g_clear_error(&error);
	assert_false(issued);
	commit(store);

	/* Outside a write transaction: a bug of the caller, said so. */
	assert_false(store_issue_feed_token(store, "P1", some_hash, false, "nurse", T0, &issued,
					    &issued_at, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	assert_false(issued);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_token"), 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'feed'"),
			 0);
}

/* The bytes of the database and its WAL, as anyone with the file sees them. */
static GByteArray *database_bytes(const char *path)
{
	static const char *const suffixes[] = { "", "-wal" };
	GByteArray *bytes = g_byte_array_new();

	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *file = g_strconcat(path, suffixes[i], NULL);
		g_autofree char *contents = NULL;
		gsize length = 0;

		if (g_file_get_contents(file, &contents, &length, NULL))
			g_byte_array_append(bytes, (const guint8 *)contents, (guint)length);
	}
	return bytes;
}

static bool bytes_contain(const GByteArray *bytes, const char *text)
{
	return memmem(bytes->data, bytes->len, text, strlen(text)) != NULL;
}

/* SPEC 4: tokens are stored only as a hash, and the audit trail, read by
 * more people than the feed, holds neither the token nor its hash: it says
 * issue or rotate, and whose feed. */
static void test_feed_audit_without_token_material(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	char *tokens[3];
	char hashes[3][DOSED_TOKEN_HASH_LEN + 1];
	g_autofree char *rows = NULL;
	GByteArray *bytes;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	tokens[0] = issue_feed_token(store, "P1", false, T0 + 10, NULL);
	tokens[1] = issue_feed_token(store, "P1", true, T0 + 20, NULL);
	tokens[2] = issue_feed_token(store, NULL, false, T0 + 30, NULL);
	store_close(store);

	rows = sql_text(fixture->db,
		"SELECT group_concat(actor || ':' || at || ':' || ifnull(patient_id, '-') || ':'"
		" || ifnull(regimen_id, '-') || ':' || json_extract(detail, '$.event') || ':'"
		" || json_extract(detail, '$.feed'), ' ')"
		" FROM (SELECT * FROM audit WHERE action = 'feed' ORDER BY id)");
	assert_string_equal(rows, "nurse:1795428010:P1:-:issue:patient "
			    "nurse:1795428020:P1:-:rotate:patient "
			    "nurse:1795428030:-:-:issue:clinic");

	bytes = database_bytes(fixture->db);
	for (int i = 0; i < 3; i++) {
		g_autofree char *query = NULL;
		char prefix[17];

		hash_of(tokens[i], hashes[i]);
		/* The hash is in the file (feed_token), which shows that
		 * the search below would find the token were it there. */
		assert_true(bytes_contain(bytes, hashes[i]));
		if (bytes_contain(bytes, tokens[i]))
			fail_msg("the token %s is in the database file", tokens[i]);
		g_strlcpy(prefix, hashes[i], sizeof prefix);
		query = g_strdup_printf("SELECT count(*) FROM audit WHERE instr(detail, '%s')"
					" OR instr(detail, '%s') OR instr(actor, '%s')",
					prefix, tokens[i], prefix);
		assert_int_equal(sql_int(fixture->db, query), 0);
		g_free(tokens[i]);
	}
	g_byte_array_unref(bytes);
}

/* The table guards: tokens are revoked, never deleted or rewritten; the
 * feed event cache may be rewritten. */
static void test_feed_tables_guarded(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);

	enrol_patient(store, fixture, "P1", "Ann", 23);
	g_free(issue_feed_token(store, "P1", false, T0, NULL));
	g_free(issue_feed_token(store, "P1", true, T0 + 10, NULL));
	store_close(store);

	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM feed_token"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE feed_token SET hash ="
				     " 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'"),
			     SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE feed_token SET patient_id = NULL"),
			     SQLITE_OK);
	/* Revoked once, by whom it says, for good. */
	assert_int_not_equal(sql_try(fixture->db, "UPDATE feed_token SET revoked_at = 1,"
				     " revoked_by = 'x' WHERE revoked_at IS NOT NULL"),
			     SQLITE_OK);
	/* The active one can still be revoked (by hand, as dosed does). */
	assert_int_equal(sql_try(fixture->db, "UPDATE feed_token SET revoked_at = 1,"
				 " revoked_by = 'x' WHERE revoked_at IS NULL"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_token"), 2);

	assert_int_equal(sql_try(fixture->db, "INSERT INTO feed_event VALUES ('k', 'f', 0, 1);"
				 "UPDATE feed_event SET sequence = 1, fingerprint = 'g'"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT sequence FROM feed_event"), 1);
	/* The audit trail still refuses changes of its feed rows. */
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM audit WHERE action = 'feed'"),
			     SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE audit SET detail = '{}'"), SQLITE_OK);
	/* Only feed rows may lack a patient or regimen. */
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action)"
				 " VALUES (1, 'x', 'log')"), SQLITE_CONSTRAINT_CHECK);
}

static void assert_state(GHashTable *states, const char *key, const char *fingerprint,
			 int sequence, gint64 changed_at)
{
	const DosedFeedEventState *event_state = g_hash_table_lookup(states, key);

	if (!event_state)
		fail_msg("no state for %s", key);
	assert_string_equal(event_state->fingerprint, fingerprint);
	assert_int_equal(event_state->sequence, sequence);
	assert_int_equal(event_state->changed_at, changed_at);
	assert_false(event_state->dirty);
}

static void test_feed_states_round_trip(void **state)
{
	StoreFixture *fixture = *state;
	static const char odd_key[] = "p:MRN-1'; DROP TABLE feed_event; --\xc3\x9c-7@dosed";
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	GHashTable *loaded;
	DosedFeedEventState *a, *b, *c;
	g_autofree char *row = NULL;

	a = put_state(states, odd_key, "fp-a", 0, T0, true);
	b = put_state(states, "p:P1", "fp-b", 3, T0 + 5, true);
	c = put_state(states, "c:", "fp-c", 1, T0 + 6, false);
	save_states(store, states);
	/* Saved ones are clean; the clean one was not written. */
	assert_false(a->dirty);
	assert_false(b->dirty);
	assert_false(c->dirty);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event WHERE key = 'c:'"),
			 0);

	loaded = load_states(store);
	assert_int_equal(g_hash_table_size(loaded), 2);
	assert_state(loaded, odd_key, "fp-a", 0, T0);
	assert_state(loaded, "p:P1", "fp-b", 3, T0 + 5);
	g_hash_table_unref(loaded);

	/* Upsert: a changed event overwrites its row, a new one is added. */
	g_free(b->fingerprint);
	b->fingerprint = g_strdup("fp-b2");
	b->sequence = 4;
	b->changed_at = T0 + 100;
	b->dirty = true;
	put_state(states, "p:P2", "fp-d", 0, T0 + 101, true);
	save_states(store, states);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 3);
	row = sql_text(fixture->db, "SELECT fingerprint || ':' || sequence || ':' || changed_at"
		       " FROM feed_event WHERE key = 'p:P1'");
	assert_string_equal(row, "fp-b2:4:1795428100");

	/* Loading into a table that has the keys replaces their states. */
	loaded = feed_states_create();
	put_state(loaded, "p:P1", "stale", 9, 0, true);
	assert_true(store_load_feed_states(store, loaded, NULL));
	assert_int_equal(g_hash_table_size(loaded), 3);
	assert_state(loaded, "p:P1", "fp-b2", 4, T0 + 100);
	assert_state(loaded, "p:P2", "fp-d", 0, T0 + 101);
	g_hash_table_unref(loaded);

	g_hash_table_unref(states);
	store_close(store);
}

/* A failed save writes nothing and leaves every state dirty for the next
 * try; outside a write transaction it is refused. */
static void test_feed_states_failed_save(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	DosedFeedEventState *good, *broken;
	GError *error = NULL;

	good = put_state(states, "p:P1", "fp", 0, T0, true);
	assert_false(store_save_feed_states(store, states, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	assert_true(good->dirty);

	for (int i = 0; i < 50; i++) {
		g_autofree char *key = g_strdup_printf("p:uid-%d", i);

		put_state(states, key, "fp", i, T0 + i, true);
	}
	broken = put_state(states, "p:broken", NULL, 0, T0, true);
	begin_write(store);
	assert_false(store_save_feed_states(store, states, &error));
	assert_error(error, DOSED_ERROR_STORE, "saving the feed event states");
	g_clear_error(&error);
	commit(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 0);
	assert_true(good->dirty);
	assert_true(broken->dirty);
	for (int i = 0; i < 50; i++) {
		g_autofree char *key = g_strdup_printf("p:uid-%d", i);

		assert_true(((DosedFeedEventState *)g_hash_table_lookup(states, key))->dirty);
	}
	g_hash_table_unref(states);
	store_close(store);
}

/* A clinic's first render after the upgrade: thousands of new states in
 * one save. */
static void test_feed_states_many(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	GHashTable *loaded;

	for (int i = 0; i < 5000; i++) {
		g_autofree char *key = g_strdup_printf("c:MRN-%d-%d@dosed", i / 10, i % 10);
		g_autofree char *fingerprint = g_strdup_printf("%064x", i);

		put_state(states, key, fingerprint, i % 7, T0 + i, true);
	}
	save_states(store, states);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM feed_event"), 5000);
	loaded = load_states(store);
	assert_int_equal(g_hash_table_size(loaded), 5000);
	assert_state(loaded, "c:MRN-499-9@dosed",
		     "0000000000000000000000000000000000000000000000000000000000001387", 4999 % 7,
		     T0 + 4999);
	g_hash_table_unref(loaded);
	g_hash_table_unref(states);
	store_close(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_feed_token_shown_once),
		STORE_TEST(test_feed_token_rotate),
		STORE_TEST(test_feed_token_clinic),
		STORE_TEST(test_feed_token_refused_writes_nothing),
		STORE_TEST(test_feed_audit_without_token_material),
		STORE_TEST(test_feed_tables_guarded),
		STORE_TEST(test_feed_states_round_trip),
		STORE_TEST(test_feed_states_failed_save),
		STORE_TEST(test_feed_states_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
