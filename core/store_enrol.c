/* store_enrol.c - enrolling patients: one (dosectl enrol) or many in one
 * transaction (dosectl import). */
#include "store_private.h"

#include <string.h>

#include "enrol.h"

/* The statements that store a protocol copy and find its id, prepared
 * once for the few distinct copies of an import. */
typedef struct {
	sqlite3_stmt *insert;   /* a protocol copy, unless stored already */
	sqlite3_stmt *find;     /* a protocol copy's id */
} CopyStatements;

static void copy_statements_finish(CopyStatements *s)
{
	sqlite3_finalize(s->insert);
	sqlite3_finalize(s->find);
	memset(s, 0, sizeof(*s));
}

static bool copy_statements_prepare(DosedStore *store, CopyStatements *s, GError **error)
{
	memset(s, 0, sizeof(*s));
	s->insert = store_prepare(store,
		"INSERT INTO protocol_copy (text) VALUES (?1) ON CONFLICT (text) DO NOTHING",
		error);
	if (s->insert)
		s->find = store_prepare(store, "SELECT id FROM protocol_copy WHERE text = ?1",
					error);
	if (!s->find) {
		copy_statements_finish(s);
		return false;
	}
	return true;
}

/* Ready a reused statement for the next row. */
static void store_reset(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* What the database holds against enrolling a patient (enrol_check_record()).
 * *stored_name and *stored_tz (newly allocated) receive the patient row of
 * a returning patient, else NULL. */
static bool store_enrol_check(DosedStore *store, const char *patient_id, const char *name,
			      const char *tz_name, char **stored_name, char **stored_tz,
			      GError **error)
{
	/* The patient row and their active regimen, in one query. */
	g_autoptr(sqlite3_stmt) stmt = store_statement(store,
		"SELECT p.name, p.tz, r.protocol_id, r.start_date FROM patient p"
		" LEFT JOIN regimen r ON r.patient_id = p.id AND r.stopped_at IS NULL"
		" WHERE p.id = ?1", STORE_VALUES(STORE_TEXT(patient_id)), error);
	g_autofree char *active_protocol = NULL;
	g_autofree char *active_start = NULL;
	bool row;

	*stored_name = *stored_tz = NULL;
	if (!stmt || !store_next_row(store, stmt, "looking for the patient", &row, error))
		return false;
	if (row) {
		*stored_name = column_strdup(stmt, 0);
		*stored_tz = column_strdup(stmt, 1);
		/* An active regimen has its patient row (a foreign key). */
		active_protocol = column_strdup(stmt, 2);
		active_start = column_strdup(stmt, 3);
	}
	if (!enrol_check_record(patient_id, name, tz_name,
				&(DosedEnrolRecord){ *stored_name, *stored_tz, active_protocol,
						     active_start },
				error)) {
		g_clear_pointer(stored_name, g_free);
		g_clear_pointer(stored_tz, g_free);
		return false;
	}
	return true;
}

/* The id of the stored protocol copy with exactly this text, stored now
 * when it is new (SPEC 1: the regimen's copy as enrolled). */
static bool store_protocol_copy_id(DosedStore *store, CopyStatements *s, const char *text,
				   gint64 *copy_id, GError **error)
{
	int rc;
	bool ok;

	bind_text(s->insert, 1, text);
	ok = store_step_done(store, s->insert, "recording the protocol copy", error);
	store_reset(s->insert);
	if (!ok)
		return false;
	bind_text(s->find, 1, text);
	rc = sqlite3_step(s->find);
	if (rc == SQLITE_ROW)
		*copy_id = sqlite3_column_int64(s->find, 0);
	else
		store_fail(store, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc,
			   "recording the protocol copy", error);
	store_reset(s->find);
	return rc == SQLITE_ROW;
}

/* Write the rows of one enrolment that store_enrol_check() allowed.
 * local_tz is the machine's zone name, for a new patient without one. */
static bool store_enrol_insert(DosedStore *store, const char *patient_id, const char *name,
			       const char *tz_name, const char *stored_name,
			       const char *stored_tz, const DosedProtocol *protocol,
			       gint64 protocol_copy_id, DosedDate start, const char *local_tz,
			       const char *actor, gint64 now, GError **error)
{
	char start_text[DOSED_DATE_BUF];

	if (!stored_name) {
		if (!tz_name)
			tz_name = local_tz;
		if (!store_run(store,
			       "INSERT INTO patient (id, name, tz, created_at, created_by)"
			       " VALUES (?1, ?2, ?3, ?4, ?5)", "recording the patient",
			       STORE_VALUES(STORE_TEXT(patient_id), STORE_TEXT(name),
					    STORE_TEXT(tz_name), STORE_INT(now), STORE_TEXT(actor)),
			       error))
			return false;
	}
	/* SPEC 1: the regimen keeps its own copy of the protocol. */
	date_format(start, start_text);
	return store_run(store,
			 "INSERT INTO regimen (patient_id, protocol_id, protocol_copy_id,"
			 " start_date, enrolled_at, enrolled_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			 "recording the regimen",
			 STORE_VALUES(STORE_TEXT(patient_id), STORE_TEXT(protocol->id),
				      STORE_INT(protocol_copy_id), STORE_TEXT(start_text),
				      STORE_INT(now), STORE_TEXT(actor)),
			 error) &&
	       store_audit(store, STORE_AUDIT_ENROL,
			   &(StoreAuditRow){ now, actor, patient_id,
					     sqlite3_last_insert_rowid(store->db), 0 },
			   STORE_VALUES(STORE_TEXT(protocol->id), STORE_TEXT(start_text),
					STORE_TEXT(stored_name ? stored_name : name),
					STORE_TEXT(stored_tz ? stored_tz : tz_name)),
			   error);
}

/* The checks of store_enrol() that need no database. */
static bool store_enrol_arguments(const char *patient_id, const DosedProtocol *protocol,
				  DosedDate start, const char **tz_name, GError **error)
{
	if (!patient_id || !*patient_id) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the patient id is empty; give the clinic's identifier");
		return false;
	}
	if (!protocol || start == DOSED_DATE_NONE) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "enrolling patient '%s' needs a protocol and a start date", patient_id);
		return false;
	}
	if (*tz_name && !**tz_name)
		*tz_name = NULL;
	return true;
}

bool store_enrol(DosedStore *store, const char *patient_id, const char *name,
		 const char *tz_name, const DosedProtocol *protocol, DosedDate start,
		 const char *actor, gint64 now, GError **error)
{
	CopyStatements s;
	g_autofree char *stored_name = NULL;
	g_autofree char *stored_tz = NULL;
	g_autofree char *local_tz = NULL;
	g_autofree char *protocol_text = NULL;
	gint64 copy_id = 0;
	bool ok;

	if (!store_enrol_arguments(patient_id, protocol, start, &tz_name, error))
		return false;
	if (tz_name) {
		g_autoptr(GTimeZone) tz = zone_open(tz_name, error);

		if (!tz)
			return false;
	}
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	if (!copy_statements_prepare(store, &s, error))
		return store_write_end(store, false, error);
	ok = store_enrol_check(store, patient_id, name, tz_name, &stored_name, &stored_tz, error);
	if (ok) {
		local_tz = zone_local_name();
		protocol_text = protocol_to_ini(protocol);
		ok = store_protocol_copy_id(store, &s, protocol_text, &copy_id, error) &&
		     store_enrol_insert(store, patient_id, name, tz_name, stored_name, stored_tz,
					protocol, copy_id, start, local_tz, actor, now, error);
	}
	copy_statements_finish(&s);
	return store_write_end(store, ok, error);
}

/* A database failure: it alone is reported, not the rows refused before it. */
static bool store_enrol_many_fail(DosedEnrolment *rows, size_t n_rows, GError *failure,
				  GError **error)
{
	for (size_t i = 0; i < n_rows; i++)
		g_clear_error(&rows[i].error);
	g_propagate_error(error, failure);
	return false;
}

/* The rows of one store_enrol_many(), in a temporary table: the checks read
 * them with one query and the writes copy them with one INSERT ... SELECT
 * per table.  Inside a transaction SQLite opens a statement journal (a
 * savepoint of the pages each statement touches) around every INSERT that
 * may fail half-way, and the regimen insert runs its trigger; one statement
 * per table pays for that three times, not three times a row.  n is the row's
 * place in `rows`, from 1.  Kept in memory (temp_store = MEMORY). */
typedef struct {
	bool checked;           /* passed the checks that need no database */
	char *stored_name;      /* the patient row on record, else NULL */
	char *stored_tz;
	char *active_protocol;  /* their active regimen, else NULL */
	char *active_start;
} EnrolRowState;

static void enrol_row_states_free(EnrolRowState *states, size_t n_rows)
{
	for (size_t i = 0; i < n_rows; i++) {
		g_free(states[i].stored_name);
		g_free(states[i].stored_tz);
		g_free(states[i].active_protocol);
		g_free(states[i].active_start);
	}
	g_free(states);
}

/* Copy the rows that passed the checks without the database into the
 * temporary table, as a new patient's rows (the name and zone given, the
 * machine's zone for none). */
static bool store_enrol_many_stage(DosedStore *store, DosedEnrolment *rows, size_t n_rows,
				   const EnrolRowState *states, GHashTable *copies,
				   const char *local_tz, GError **error)
{
	g_autoptr(sqlite3_stmt) insert = store_prepare(store,
		"INSERT INTO " STORE_ENROL_ROWS " (n, patient_id, name, tz, protocol_id, copy_id,"
		" start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);

	if (!insert)
		return false;
	for (size_t i = 0; i < n_rows; i++) {
		const DosedEnrolment *row = &rows[i];
		const gint64 *copy_id;
		char start_text[DOSED_DATE_BUF];

		if (!states[i].checked)
			continue;
		copy_id = g_hash_table_lookup(copies, row->protocol);
		date_format(row->start, start_text);
		sqlite3_bind_int64(insert, 1, (gint64)i + 1);
		bind_text(insert, 2, row->patient_id);
		bind_text(insert, 3, row->name);
		bind_text(insert, 4, row->tz_name && *row->tz_name ? row->tz_name : local_tz);
		bind_text(insert, 5, row->protocol->id);
		sqlite3_bind_int64(insert, 6, copy_id ? *copy_id : 0);
		sqlite3_bind_text(insert, 7, start_text, -1, SQLITE_TRANSIENT);
		if (!store_step_done(store, insert, "preparing the enrolments", error))
			return false;
		sqlite3_reset(insert);
	}
	return true;
}

/* The patient rows on record and active regimens of the staged rows, with
 * one query. */
static bool store_enrol_many_lookup(DosedStore *store, EnrolRowState *states, size_t n_rows,
				    GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store,
		"SELECT s.n, p.name, p.tz, r.protocol_id, r.start_date FROM " STORE_ENROL_ROWS " s"
		" JOIN patient p ON p.id = s.patient_id"
		" LEFT JOIN regimen r ON r.patient_id = p.id AND r.stopped_at IS NULL", error);
	int rc;

	if (!stmt)
		return false;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		gint64 n = sqlite3_column_int64(stmt, 0);

		if (n < 1 || (guint64)n > n_rows)
			continue;
		EnrolRowState *state = &states[n - 1];
		state->stored_name = column_strdup(stmt, 1);
		state->stored_tz = column_strdup(stmt, 2);
		state->active_protocol = column_strdup(stmt, 3);
		state->active_start = column_strdup(stmt, 4);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "looking for the patients", error);
		return false;
	}
	return true;
}

/* A returning patient's rows keep the name and zone on record: the staged
 * row takes them, and no patient row is written. */
static bool store_enrol_many_returning(DosedStore *store, sqlite3_stmt **update, gint64 n,
				       const EnrolRowState *state, GError **error)
{
	if (!*update) {
		*update = store_prepare(store, "UPDATE " STORE_ENROL_ROWS " SET name = ?2, tz = ?3,"
					" new = 0 WHERE n = ?1", error);
		if (!*update)
			return false;
	}
	sqlite3_bind_int64(*update, 1, n);
	bind_text(*update, 2, state->stored_name);
	bind_text(*update, 3, state->stored_tz);
	if (!store_step_done(store, *update, "preparing the enrolments", error))
		return false;
	sqlite3_reset(*update);
	return true;
}

/* Write every staged row: the new patients, the regimens, one audit row
 * each, in the rows' order, with the ids store_enrol() would give one row
 * at a time (regimens numbered on from the largest id, which is ours to
 * extend: the write lock is held). */
static bool store_enrol_many_write(DosedStore *store, const char *actor, gint64 now,
				   GError **error)
{
	gint64 base;

	return store_query_int64(store, "SELECT coalesce(max(id), 0) FROM regimen",
				 "recording the regimens", &base, error) &&
	       store_run(store,
			 "INSERT INTO patient (id, name, tz, created_at, created_by)"
			 " SELECT patient_id, name, tz, ?1, ?2 FROM " STORE_ENROL_ROWS " WHERE new"
			 " ORDER BY n", "recording the patients",
			 STORE_VALUES(STORE_INT(now), STORE_TEXT(actor)), error) &&
	       store_run(store,
			 "INSERT INTO regimen (id, patient_id, protocol_id, protocol_copy_id,"
			 " start_date, enrolled_at, enrolled_by) SELECT ?3 + n, patient_id,"
			 " protocol_id, copy_id, start, ?1, ?2 FROM " STORE_ENROL_ROWS " ORDER BY n",
			 "recording the regimens",
			 STORE_VALUES(STORE_INT(now), STORE_TEXT(actor), STORE_INT(base)), error) &&
	       store_audit_staged_enrolments(store, actor, now, base, error);
}

/* Check and write every row; see store_enrol_many().  Rows are checked in
 * order, each as store_enrol() would after the rows before it were
 * written: a repeated id is refused as already enrolled by its first
 * accepted row. */
static bool store_enrol_many_rows(DosedStore *store, CopyStatements *s, DosedEnrolment *rows,
				  size_t n_rows, const char *actor, gint64 now, GError **error)
{
	/* Rows share a few protocols (one per protocol and --days): the
	 * canonical text is made, and its stored copy found, once for each,
	 * not once a row. */
	g_autoptr(GHashTable) copies = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	/* Zones are checked once per distinct name. */
	g_autoptr(GHashTable) zones = g_hash_table_new(g_str_hash, g_str_equal);
	/* Patient id -> the index of its first accepted row. */
	g_autoptr(GHashTable) accepted = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *local_tz = zone_local_name();
	EnrolRowState *states = g_new0(EnrolRowState, n_rows);
	sqlite3_stmt *update = NULL;
	GError *failure = NULL;
	size_t refused = 0;
	bool ok = false;

	for (size_t i = 0; i < n_rows; i++) {
		DosedEnrolment *row = &rows[i];
		const char *tz_name = row->tz_name;

		if (!store_enrol_arguments(row->patient_id, row->protocol, row->start, &tz_name,
					   &row->error)) {
			refused++;
			continue;
		}
		if (tz_name && !g_hash_table_contains(zones, tz_name)) {
			g_autoptr(GTimeZone) tz = zone_open(tz_name, &row->error);

			if (!tz) {
				refused++;
				continue;
			}
			g_hash_table_add(zones, (gpointer)tz_name);
		}
		states[i].checked = true;
		if (!g_hash_table_contains(copies, row->protocol)) {
			g_autofree char *text = protocol_to_ini(row->protocol);
			gint64 *copy_id = g_new0(gint64, 1);

			g_hash_table_insert(copies, (gpointer)row->protocol, copy_id);
			if (!store_protocol_copy_id(store, s, text, copy_id, &failure))
				goto out;
		}
	}

	if (!store_exec(store, "DROP TABLE IF EXISTS " STORE_ENROL_ROWS ";"
			"CREATE TABLE " STORE_ENROL_ROWS " (n INTEGER PRIMARY KEY,"
			" patient_id TEXT, name TEXT, tz TEXT, protocol_id TEXT, copy_id INTEGER,"
			" start TEXT, new INTEGER NOT NULL DEFAULT 1)",
			"preparing the enrolments", &failure) ||
	    !store_enrol_many_stage(store, rows, n_rows, states, copies, local_tz, &failure) ||
	    !store_enrol_many_lookup(store, states, n_rows, &failure))
		goto out;

	for (size_t i = 0; i < n_rows; i++) {
		DosedEnrolment *row = &rows[i];
		EnrolRowState *state = &states[i];
		const char *tz_name = row->tz_name && *row->tz_name ? row->tz_name : NULL;
		gpointer first;

		if (!state->checked)
			continue;
		if (g_hash_table_lookup_extended(accepted, row->patient_id, NULL, &first)) {
			const DosedEnrolment *earlier = &rows[GPOINTER_TO_SIZE(first)];
			char start_text[DOSED_DATE_BUF];

			date_format(earlier->start, start_text);
			enrol_check_record(row->patient_id, row->name, tz_name,
					   &(DosedEnrolRecord){ NULL, NULL, earlier->protocol->id,
								start_text },
					   &row->error);
			refused++;
			continue;
		}
		if (!enrol_check_record(row->patient_id, row->name, tz_name,
					&(DosedEnrolRecord){ state->stored_name, state->stored_tz,
							     state->active_protocol,
							     state->active_start },
					&row->error)) {
			refused++;
			continue;
		}
		g_hash_table_insert(accepted, (gpointer)row->patient_id, GSIZE_TO_POINTER(i));
		if (state->stored_name && !refused &&
		    !store_enrol_many_returning(store, &update, (gint64)i + 1, state, &failure))
			goto out;
	}
	if (!refused)
		ok = store_enrol_many_write(store, actor, now, &failure);
out:
	sqlite3_finalize(update);
	enrol_row_states_free(states, n_rows);
	/* The caller's savepoint would undo the table on a refusal too;
	 * dropping it here leaves the connection as it was either way. */
	if (!failure && !store_exec(store, "DROP TABLE IF EXISTS " STORE_ENROL_ROWS,
				    "preparing the enrolments", &failure))
		ok = false;
	/* One error, set once: a failure of the database (even at the
	 * DROP above, after rows were refused) or the refusal. */
	if (failure)
		return store_enrol_many_fail(rows, n_rows, failure, error);
	if (refused) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%zu of the %zu patients cannot be enrolled; correct them and try again",
			    refused, n_rows);
		return false;
	}
	return ok;
}

bool store_enrol_many(DosedStore *store, DosedEnrolment *rows, size_t n_rows,
		      const char *actor, gint64 now, GError **error)
{
	CopyStatements s;
	bool ok;

	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	if (!copy_statements_prepare(store, &s, error))
		return store_write_end(store, false, error);
	/* Keep every changed page in memory until the commit, rather than
	 * write a page out and change it again many times over
	 * (bench/NOTES.md).  The commit still writes and syncs each page once
	 * (synchronous stays FULL). */
	ok = store_exec(store, "PRAGMA cache_spill = OFF", "preparing the enrolments", error) &&
	     store_enrol_many_rows(store, &s, rows, n_rows, actor, now, error);
	copy_statements_finish(&s);
	sqlite3_exec(store->db, "PRAGMA cache_spill = ON", NULL, NULL, NULL);
	return store_write_end(store, ok, error);
}

