/* store_private.h - what the files of the store share, and no one else.
 *
 * The store (store.h) is split by concern:
 *   store.c            opening and file safety, failures, transactions
 *   store_schema.c     the schema and its migrations
 *   store_load.c       loading regimens
 *   store_enrol.c      enrolling patients, one or many
 *   store_doses.c      doses logged and voided, advances, stops
 *   store_feed.c       feed tokens and the feeds' event states
 *   store_reminders.c  reminders delivered and snoozed
 *   store_audit.c      the audit trail every change writes to
 * All of dosed's SQL is in these files.
 */
#ifndef DOSED_STORE_PRIVATE_H
#define DOSED_STORE_PRIVATE_H

#include <stdbool.h>
#include <glib.h>
#include <sqlite3.h>

#include "error.h"
#include "store.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

struct DosedStore {
	sqlite3 *db;
	char *path;
	/* What SQLite is given: the real folder (symbolic links in it
	 * resolved, as the user set them up) and the file's own name, which
	 * SQLITE_OPEN_NOFOLLOW then refuses to follow. */
	char *open_path;
	int mode;               /* as store_open() was given it */
	int busy_timeout_ms;
	bool in_write;          /* inside store_begin(store, true, ...) */
	/* store_load_reminder_record(), prepared once: the daemon asks it
	 * for every active patient at each computation (bench/NOTES.md). */
	sqlite3_stmt *reminder_record;
};

/* ---- failures and statements (store.c) -------------------------------- */

/* Turn an SQLite failure into one line saying what is wrong and what to do.
 * `doing` ("logging a dose") is only used where SQLite's own words are. */
void store_fail(DosedStore *store, int rc, const char *doing, GError **error);
sqlite3_stmt *store_prepare(DosedStore *store, const char *sql, GError **error);
/* Run SQL without parameters (transaction control, pragmas, the schema). */
bool store_exec(DosedStore *store, const char *sql, const char *doing, GError **error);
/* The one number a query without parameters returns (a version, a
 * newest id); no row is a failure too. */
bool store_query_int64(DosedStore *store, const char *sql, const char *doing,
		       gint64 *value, GError **error);
/* Run a bound statement that returns no rows. */
bool store_step_done(DosedStore *store, sqlite3_stmt *stmt, const char *doing,
		     GError **error);

/* A value for a statement's parameter: STORE_INT(n), STORE_TEXT(text)
 * (byte-exact; NULL binds NULL; the text must outlive the statement's
 * use) or STORE_NULL. */
typedef struct {
	enum { STORE_VALUE_NULL, STORE_VALUE_INT, STORE_VALUE_TEXT } type;
	gint64 integer;
	const char *text;
} StoreValue;

#define STORE_INT(n) ((StoreValue){ .type = STORE_VALUE_INT, .integer = (n) })
#define STORE_TEXT(t) ((StoreValue){ .type = STORE_VALUE_TEXT, .text = (t) })
#define STORE_NULL ((StoreValue){ .type = STORE_VALUE_NULL })
/* The values of ?1, ?2, ... in order, as the two arguments (values,
 * n_values) of the functions below. */
#define STORE_VALUES(...) (const StoreValue[]){ __VA_ARGS__ }, \
	G_N_ELEMENTS(((const StoreValue[]){ __VA_ARGS__ }))

/* `sql` prepared, with values[i] bound to ?(i + 1): the one way the store
 * makes a statement for a change or a lookup.  NULL with `error` set when
 * SQLite refuses it. */
sqlite3_stmt *store_statement(DosedStore *store, const char *sql, const StoreValue *values,
			      size_t n_values, GError **error);
/* Bind values[i] to ?(first + i). */
void store_bind(sqlite3_stmt *stmt, int first, const StoreValue *values, size_t n_values);
/* Run a statement that returns no rows. */
bool store_run(DosedStore *store, const char *sql, const char *doing,
	       const StoreValue *values, size_t n_values, GError **error);
/* Step to the next row: *row is true at a row, false past the last. */
bool store_next_row(DosedStore *store, sqlite3_stmt *stmt, const char *doing, bool *row,
		    GError **error);

/* Bind text byte-exact, or NULL; the text outlives the statement's use
 * (for statements prepared once and bound again for every row). */
static inline void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, index);
}

/* A column's text, byte-exact and newly allocated; NULL for SQL NULL. */
static inline char *column_strdup(sqlite3_stmt *stmt, int index)
{
	const unsigned char *text = sqlite3_column_text(stmt, index);

	if (!text)
		return NULL;
	return g_strndup((const char *)text, (gsize)sqlite3_column_bytes(stmt, index));
}

/* ---- changes (store.c) ------------------------------------------------ */

/* Every write function runs inside the caller's write transaction, and in a
 * savepoint of its own: when it fails, none of its rows remain, even if the
 * caller commits what came before.  store_write_end(store, ok, error)
 * returns ok, having released or rolled back the savepoint. */
bool store_write_begin(DosedStore *store, GError **error);
bool store_write_end(DosedStore *store, bool ok, GError **error);
/* A change needs someone to record in the audit trail. */
bool store_check_actor(const char *actor, GError **error);

/* ---- the audit trail (store_audit.c) ----------------------------------- */

/* What a person did: the audit row's action. */
typedef enum {
	STORE_AUDIT_ENROL,
	STORE_AUDIT_LOG,
	STORE_AUDIT_VOID,
	STORE_AUDIT_ADVANCE,
	STORE_AUDIT_STOP,
	STORE_AUDIT_FEED,
} StoreAuditAction;

/* Who changed whose record, and when. */
typedef struct {
	gint64 at;
	const char *actor;
	const char *patient_id; /* NULL: the clinic (its feed) */
	gint64 regimen_id;      /* 0: none (a feed) */
	gint64 dose_id;         /* 0: none */
} StoreAuditRow;

/* Write the audit row of a change, inside the change's savepoint (SPEC 5:
 * every change writes one).  `detail` are the values of the action's
 * detail object, in the order store_audit.c's table of actions names
 * them. */
bool store_audit(DosedStore *store, StoreAuditAction action, const StoreAuditRow *row,
		 const StoreValue *detail, size_t n_detail, GError **error);

/* The rows store_enrol_many() stages (store_enrol.c), one per enrolment:
 * n (its place, from 1), patient_id, name, tz, protocol_id, copy_id,
 * start, new (1 for a patient without a row yet). */
#define STORE_ENROL_ROWS "temp.store_enrol_row"
/* The audit rows of every staged enrolment, in their order, each of
 * regimen regimen_base + n. */
bool store_audit_staged_enrolments(DosedStore *store, const char *actor, gint64 at,
				   gint64 regimen_base, GError **error);

/* ---- the schema (store_schema.c) -------------------------------------- */

/* The schema this dosed writes. */
int store_schema_version(void);
/* The schema version of an existing dosed database, 0 for an empty file
 * (ours to fill), or an error for anything else. */
bool store_check_identity(DosedStore *store, int *version, GError **error);
/* Bring the schema to store_schema_version() in one transaction: a crash
 * half-way leaves the old version, never a half-made schema. */
bool store_migrate(DosedStore *store, GError **error);

#endif
