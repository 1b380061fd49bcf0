/* store_schema.c - the database's schema and its migrations (SPEC 5):
 * what tells a dosed database from any other file, and the steps that
 * bring an older one up to date.
 */
#include "store_private.h"

/* PRAGMA application_id: "DOSE" in ASCII.  It marks a file as ours, so that
 * dosed never migrates (writes into) someone else's SQLite database.  Never
 * change it: every existing dosed database would become foreign. */
#define DOSED_APPLICATION_ID 0x444f5345

/* The schema, one step per version: store_migrations[v] takes a database
 * from user_version v to v + 1.  Later issues append steps; a step once
 * released is never edited.
 *
 * Nothing is ever deleted or overwritten (SPEC 5): the triggers refuse a
 * DELETE on any table and an UPDATE of anything but the marking columns
 * (dose.voided_*, regimen.stopped_*, feed_token.revoked_*), and those only
 * once.  The exception is feed_event, a cache of what the feeds showed, not
 * health data (step 1 -> 2).  Instants are
 * INTEGER seconds since the epoch, UTC; calendar dates TEXT 'YYYY-MM-DD'.
 * audit.detail is a JSON object of the change's values, which SQLite's
 * json_object() builds from bound parameters. */
static const char *const store_migrations[] = {
	/* 0 -> 1 (issue 2): patients, regimens, doses, advances, audit. */
	"CREATE TABLE patient (\n"
	"	id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),\n"
	"	name TEXT NOT NULL,\n"
	"	tz TEXT NOT NULL CHECK (tz <> ''),\n"
	"	created_at INTEGER NOT NULL,\n"
	"	created_by TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE regimen (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	patient_id TEXT NOT NULL REFERENCES patient(id),\n"
	"	protocol_id TEXT NOT NULL,\n"
	"	protocol_text TEXT NOT NULL,\n"
	"	start_date TEXT NOT NULL CHECK (start_date GLOB\n"
	"		'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),\n"
	"	enrolled_at INTEGER NOT NULL,\n"
	"	enrolled_by TEXT NOT NULL,\n"
	"	stopped_at INTEGER,\n"
	"	stopped_by TEXT,\n"
	"	CHECK ((stopped_at IS NULL) = (stopped_by IS NULL))\n"
	");\n"
	"CREATE INDEX regimen_by_patient ON regimen(patient_id, id);\n"
	/* One active regimen per patient, whatever the code above does. */
	"CREATE UNIQUE INDEX regimen_one_active ON regimen(patient_id)\n"
	"	WHERE stopped_at IS NULL;\n"
	"CREATE TABLE dose (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),\n"
	"	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),\n"
	"	given_at INTEGER NOT NULL,\n"
	"	site TEXT,\n"
	"	note TEXT,\n"
	"	forced INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)),\n"
	"	logged_at INTEGER NOT NULL,\n"
	"	logged_by TEXT NOT NULL,\n"
	"	voided_at INTEGER,\n"
	"	voided_by TEXT,\n"
	"	void_reason TEXT,\n"
	"	CHECK ((voided_at IS NULL) = (voided_by IS NULL)\n"
	"	       AND (voided_at IS NULL) = (void_reason IS NULL))\n"
	");\n"
	/* SPEC 2.7: one counting dose per ordinal; a voided one frees it. */
	"CREATE UNIQUE INDEX dose_one_per_ordinal ON dose(regimen_id, ordinal)\n"
	"	WHERE voided_at IS NULL;\n"
	"CREATE INDEX dose_by_regimen ON dose(regimen_id, given_at, id);\n"
	"CREATE TABLE advance (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),\n"
	"	advanced_at INTEGER NOT NULL,\n"
	"	advanced_by TEXT NOT NULL,\n"
	"	UNIQUE (regimen_id, phase_index)\n"
	");\n"
	"CREATE TABLE audit (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	at INTEGER NOT NULL,\n"
	"	actor TEXT NOT NULL,\n"
	"	action TEXT NOT NULL\n"
	"		CHECK (action IN ('enrol', 'log', 'void', 'advance', 'stop')),\n"
	"	patient_id TEXT NOT NULL REFERENCES patient(id),\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	dose_id INTEGER REFERENCES dose(id),\n"
	"	detail TEXT NOT NULL DEFAULT '{}'\n"
	");\n"
	"CREATE INDEX audit_by_patient ON audit(patient_id, at);\n"
	"CREATE TRIGGER patient_never_deleted BEFORE DELETE ON patient\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a patient'); END;\n"
	"CREATE TRIGGER patient_never_changed BEFORE UPDATE ON patient\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a patient'); END;\n"
	"CREATE TRIGGER regimen_never_deleted BEFORE DELETE ON regimen\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a regimen'); END;\n"
	"CREATE TRIGGER regimen_never_changed BEFORE UPDATE OF id, patient_id,\n"
	"	protocol_id, protocol_text, start_date, enrolled_at, enrolled_by ON regimen\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a regimen'); END;\n"
	"CREATE TRIGGER regimen_stopped_once BEFORE UPDATE OF stopped_at, stopped_by\n"
	"	ON regimen WHEN OLD.stopped_at IS NOT NULL\n"
	"	BEGIN SELECT RAISE(ABORT, 'the regimen is already stopped'); END;\n"
	"CREATE TRIGGER dose_never_deleted BEFORE DELETE ON dose\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a dose'); END;\n"
	"CREATE TRIGGER dose_never_changed BEFORE UPDATE OF id, regimen_id, ordinal,\n"
	"	phase_index, given_at, site, note, forced, logged_at, logged_by ON dose\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a dose; void it'); END;\n"
	"CREATE TRIGGER dose_voided_once BEFORE UPDATE OF voided_at, voided_by,\n"
	"	void_reason ON dose WHEN OLD.voided_at IS NOT NULL\n"
	"	BEGIN SELECT RAISE(ABORT, 'the dose is already void'); END;\n"
	"CREATE TRIGGER advance_never_deleted BEFORE DELETE ON advance\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes an advance'); END;\n"
	"CREATE TRIGGER advance_never_changed BEFORE UPDATE ON advance\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes an advance'); END;\n"
	"CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes the audit trail'); END;\n"
	"CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes the audit trail'); END;\n",

	/* 1 -> 2 (issue 3): feed tokens, feed event states, and 'feed' in the
	 * audit trail.
	 *
	 * SQLite cannot alter a CHECK, so the audit table is rebuilt (the
	 * procedure of sqlite.org/lang_altertable.html): a new table, every
	 * row copied with its id, the old one dropped, the new one renamed,
	 * its index and triggers made again.  Feed rows have no regimen (a
	 * token opens the patient's feed whatever regimen they are on) and
	 * the clinic's have no patient either; every other action still needs
	 * both.  The DROP runs with foreign keys on and so performs an
	 * implicit DELETE, but that DELETE fires no triggers
	 * (sqlite.org/lang_droptable.html), so audit_never_deleted does not
	 * stop it, and nothing references audit for a foreign key to refuse. */
	"CREATE TABLE audit_v2 (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	at INTEGER NOT NULL,\n"
	"	actor TEXT NOT NULL,\n"
	"	action TEXT NOT NULL\n"
	"		CHECK (action IN ('enrol', 'log', 'void', 'advance', 'stop', 'feed')),\n"
	"	patient_id TEXT REFERENCES patient(id),\n"
	"	regimen_id INTEGER REFERENCES regimen(id),\n"
	"	dose_id INTEGER REFERENCES dose(id),\n"
	"	detail TEXT NOT NULL DEFAULT '{}',\n"
	"	CHECK (action = 'feed' OR (patient_id IS NOT NULL AND regimen_id IS NOT NULL))\n"
	");\n"
	"INSERT INTO audit_v2 (id, at, actor, action, patient_id, regimen_id, dose_id, detail)\n"
	"	SELECT id, at, actor, action, patient_id, regimen_id, dose_id, detail\n"
	"	FROM audit ORDER BY id;\n"
	"DROP TABLE audit;\n"
	"ALTER TABLE audit_v2 RENAME TO audit;\n"
	"CREATE INDEX audit_by_patient ON audit(patient_id, at);\n"
	"CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes the audit trail'); END;\n"
	"CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes the audit trail'); END;\n"
	/* A phase may be advanced again: voids can take a patient back into
	 * a phase advanced before, and the engine then ignores the stale
	 * advance (schedule.c), so UNIQUE (regimen, phase) would leave the
	 * patient stuck in an "until advanced" phase for good.  Rebuilt the
	 * same way as audit; nothing references advance. */
	"CREATE TABLE advance_v2 (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),\n"
	"	advanced_at INTEGER NOT NULL,\n"
	"	advanced_by TEXT NOT NULL\n"
	");\n"
	"INSERT INTO advance_v2 (id, regimen_id, phase_index, advanced_at, advanced_by)\n"
	"	SELECT id, regimen_id, phase_index, advanced_at, advanced_by\n"
	"	FROM advance ORDER BY id;\n"
	"DROP TABLE advance;\n"
	"ALTER TABLE advance_v2 RENAME TO advance;\n"
	"CREATE INDEX advance_by_regimen ON advance(regimen_id, advanced_at, id);\n"
	"CREATE TRIGGER advance_never_deleted BEFORE DELETE ON advance\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes an advance'); END;\n"
	"CREATE TRIGGER advance_never_changed BEFORE UPDATE ON advance\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes an advance'); END;\n"
	/* A feed token is kept only as the SHA-256 of its text (token.h).
	 * Revoking marks the row, once; like the health tables, nothing here
	 * is deleted or rewritten, so the trail of who could read a feed when
	 * stays whole. */
	"CREATE TABLE feed_token (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	patient_id TEXT REFERENCES patient(id),\n"
	"	hash TEXT UNIQUE NOT NULL\n"
	"		CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),\n"
	"	issued_at INTEGER NOT NULL,\n"
	"	issued_by TEXT NOT NULL,\n"
	"	revoked_at INTEGER,\n"
	"	revoked_by TEXT,\n"
	"	CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))\n"
	");\n"
	/* At most one active token per feed.  A UNIQUE index treats NULLs as
	 * distinct, so the clinic's feed (patient_id NULL) needs an index of
	 * its own, on an expression that is never NULL. */
	"CREATE UNIQUE INDEX feed_token_one_per_patient ON feed_token(patient_id)\n"
	"	WHERE revoked_at IS NULL AND patient_id IS NOT NULL;\n"
	"CREATE UNIQUE INDEX feed_token_one_for_clinic ON feed_token((patient_id IS NULL))\n"
	"	WHERE revoked_at IS NULL AND patient_id IS NULL;\n"
	"CREATE TRIGGER feed_token_never_deleted BEFORE DELETE ON feed_token\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a feed token; revoke it'); END;\n"
	"CREATE TRIGGER feed_token_never_changed BEFORE UPDATE OF id, patient_id, hash,\n"
	"	issued_at, issued_by ON feed_token\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a feed token; revoke it'); END;\n"
	"CREATE TRIGGER feed_token_revoked_once BEFORE UPDATE OF revoked_at, revoked_by\n"
	"	ON feed_token WHEN OLD.revoked_at IS NOT NULL\n"
	"	BEGIN SELECT RAISE(ABORT, 'the feed token is already revoked'); END;\n"
	/* What the feeds last showed of each event (feed.h): a fingerprint,
	 * its SEQUENCE and when it last changed, so that an unchanged feed is
	 * byte-identical across restarts.  A cache derived from the health
	 * data, not health data itself: the one table whose rows are updated
	 * in place, and so the one without no-change triggers.  Were it lost,
	 * every event would only look changed once. */
	"CREATE TABLE feed_event (\n"
	"	key TEXT PRIMARY KEY NOT NULL,\n"
	"	fingerprint TEXT NOT NULL,\n"
	"	sequence INTEGER NOT NULL CHECK (sequence >= 0),\n"
	"	changed_at INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n",

	/* 2 -> 3 (issue 4): what the reminders delivered and the snoozes
	 * asked, per dose (regimen, ordinal), so that a restart never repeats
	 * a reminder (SPEC 4).  Append-only like the health tables: a
	 * reminder sent is a fact about the patient's care.  Moments and snooze
	 * ends are never 0, which remind.h reads as "none".  The lookups read
	 * max(moment) and max(until) for one dose; the indexes answer them
	 * alone. */
	"CREATE TABLE reminder_delivery (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('lead', 'due', 'overdue')),\n"
	"	moment INTEGER NOT NULL CHECK (moment > 0),\n"
	"	delivered_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX reminder_delivery_by_dose\n"
	"	ON reminder_delivery(regimen_id, ordinal, moment);\n"
	"CREATE TABLE reminder_snooze (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	ordinal INTEGER NOT NULL CHECK (ordinal >= 1),\n"
	"	until INTEGER NOT NULL CHECK (until > 0),\n"
	"	asked_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX reminder_snooze_by_dose ON reminder_snooze(regimen_id, ordinal, until);\n"
	"CREATE TRIGGER reminder_delivery_never_deleted BEFORE DELETE ON reminder_delivery\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a delivered reminder'); END;\n"
	"CREATE TRIGGER reminder_delivery_never_changed BEFORE UPDATE ON reminder_delivery\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a delivered reminder'); END;\n"
	"CREATE TRIGGER reminder_snooze_never_deleted BEFORE DELETE ON reminder_snooze\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a snooze'); END;\n"
	"CREATE TRIGGER reminder_snooze_never_changed BEFORE UPDATE ON reminder_snooze\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a snooze'); END;\n",

	/* 3 -> 4 (issue 7): each distinct protocol copy (SPEC 1) is stored
	 * once, in protocol_copy, and regimens point to it.  A clinic's
	 * regimens hold a handful of distinct texts; storing each row's own
	 * copy made enrolment write, and every load read and parse, one per
	 * regimen (bench/NOTES.md).  The copy a regimen keeps is still
	 * exactly the text it was enrolled with, byte for byte, and just as
	 * unchangeable (the copies are never deleted or changed either).
	 *
	 * regimen is not rebuilt (dose, advance, audit and the reminders
	 * reference it, and foreign keys cannot be turned off inside the
	 * migration's transaction): a column is added, filled, and the old
	 * one dropped (ALTER TABLE DROP COLUMN, SQLite 3.35), with the
	 * no-change trigger, which names the columns, made again.  An added
	 * column cannot be NOT NULL with a reference, so a trigger refuses a
	 * regimen without its copy. */
	"CREATE TABLE protocol_copy (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	text TEXT NOT NULL UNIQUE\n"
	");\n"
	"INSERT INTO protocol_copy (text)\n"
	"	SELECT protocol_text FROM regimen GROUP BY protocol_text ORDER BY min(id);\n"
	"DROP TRIGGER regimen_never_changed;\n"
	"ALTER TABLE regimen ADD COLUMN protocol_copy_id INTEGER REFERENCES protocol_copy(id);\n"
	"UPDATE regimen SET protocol_copy_id =\n"
	"	(SELECT c.id FROM protocol_copy c WHERE c.text = regimen.protocol_text);\n"
	"ALTER TABLE regimen DROP COLUMN protocol_text;\n"
	"CREATE TRIGGER regimen_never_changed BEFORE UPDATE OF id, patient_id,\n"
	"	protocol_id, protocol_copy_id, start_date, enrolled_at, enrolled_by ON regimen\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a regimen'); END;\n"
	"CREATE TRIGGER regimen_has_protocol_copy BEFORE INSERT ON regimen\n"
	"	WHEN NEW.protocol_copy_id IS NULL\n"
	"	BEGIN SELECT RAISE(ABORT, 'a regimen needs its protocol copy'); END;\n"
	"CREATE TRIGGER protocol_copy_never_deleted BEFORE DELETE ON protocol_copy\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes a protocol copy'); END;\n"
	"CREATE TRIGGER protocol_copy_never_changed BEFORE UPDATE ON protocol_copy\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes a protocol copy'); END;\n"
	/* The same step: audit's CHECK on the action, as comparisons joined
	 * by OR.  SQLite evaluates an IN list of more than two constants by
	 * building a temporary index of it, again for every row inserted
	 * (bench/NOTES.md).  Rebuilt as in
	 * step 1 -> 2 (nothing references audit); every row is copied with
	 * its id. */
	"CREATE TABLE audit_v4 (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	at INTEGER NOT NULL,\n"
	"	actor TEXT NOT NULL,\n"
	"	action TEXT NOT NULL\n"
	"		CHECK (action = 'enrol' OR action = 'log' OR action = 'void'\n"
	"		       OR action = 'advance' OR action = 'stop' OR action = 'feed'),\n"
	"	patient_id TEXT REFERENCES patient(id),\n"
	"	regimen_id INTEGER REFERENCES regimen(id),\n"
	"	dose_id INTEGER REFERENCES dose(id),\n"
	"	detail TEXT NOT NULL DEFAULT '{}',\n"
	"	CHECK (action = 'feed' OR (patient_id IS NOT NULL AND regimen_id IS NOT NULL))\n"
	");\n"
	"INSERT INTO audit_v4 (id, at, actor, action, patient_id, regimen_id, dose_id, detail)\n"
	"	SELECT id, at, actor, action, patient_id, regimen_id, dose_id, detail\n"
	"	FROM audit ORDER BY id;\n"
	"DROP TABLE audit;\n"
	"ALTER TABLE audit_v4 RENAME TO audit;\n"
	"CREATE INDEX audit_by_patient ON audit(patient_id, at);\n"
	"CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes the audit trail'); END;\n"
	"CREATE TRIGGER audit_never_changed BEFORE UPDATE ON audit\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes the audit trail'); END;\n",

	/* 4 -> 5 (issue 12): each advance records the last dose of its
	 * regimen recorded before it (after_dose_id, 0 for none), so that the
	 * engine orders doses and advances as they were recorded.  By time
	 * alone, `dosectl log && dosectl advance` in one second put the dose
	 * just logged after the advance, in the next phase.
	 *
	 * The existing advances get it from the audit trail, which both
	 * `log` and `advance` write in the transaction of their change, so its
	 * ids are the order of recording: the n-th advance of a regimen is
	 * the n-th 'advance' row of that regimen (with its time and phase),
	 * and comes after the doses whose 'log' rows come before that row.
	 * An advance without its audit row (none is known) is placed by time,
	 * after the doses logged in the same second.  Each lookup reads one
	 * patient's audit rows (audit_by_patient) and each CTE is made once:
	 * otherwise the whole audit trail of a clinic is read once per
	 * advance.  Rebuilt as in step 1 -> 2 (a column NOT NULL with no
	 * default cannot be added); nothing references advance. */
	"CREATE TABLE advance_v5 (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	regimen_id INTEGER NOT NULL REFERENCES regimen(id),\n"
	"	phase_index INTEGER NOT NULL CHECK (phase_index >= 0),\n"
	"	after_dose_id INTEGER NOT NULL CHECK (after_dose_id >= 0),\n"
	"	advanced_at INTEGER NOT NULL,\n"
	"	advanced_by TEXT NOT NULL\n"
	");\n"
	"WITH made AS MATERIALIZED (SELECT a.id, a.regimen_id, r.patient_id, a.phase_index,\n"
	"		a.advanced_at, a.advanced_by,\n"
	"		row_number() OVER (PARTITION BY a.regimen_id ORDER BY a.id) AS n\n"
	"		FROM advance a JOIN regimen r ON r.id = a.regimen_id),\n"
	"	audited AS MATERIALIZED (SELECT id, regimen_id, at, detail,\n"
	"		row_number() OVER (PARTITION BY regimen_id ORDER BY id) AS n\n"
	"		FROM audit WHERE action = 'advance'),\n"
	"	placed AS MATERIALIZED (SELECT made.*, audited.id AS audit_id FROM made\n"
	"		LEFT JOIN audited ON audited.regimen_id = made.regimen_id\n"
	"		AND audited.n = made.n AND audited.at = made.advanced_at\n"
	"		AND json_extract(audited.detail, '$.phase') = made.phase_index)\n"
	"INSERT INTO advance_v5 (id, regimen_id, phase_index, after_dose_id, advanced_at,\n"
	"	advanced_by)\n"
	"	SELECT p.id, p.regimen_id, p.phase_index,\n"
	"		CASE WHEN p.audit_id IS NOT NULL THEN\n"
	"			(SELECT coalesce(max(l.dose_id), 0) FROM audit l\n"
	"			 WHERE l.patient_id = p.patient_id AND l.action = 'log'\n"
	"			 AND l.regimen_id = p.regimen_id AND l.id < p.audit_id)\n"
	"		ELSE\n"
	"			(SELECT coalesce(max(d.id), 0) FROM dose d\n"
	"			 WHERE d.regimen_id = p.regimen_id AND d.logged_at <= p.advanced_at)\n"
	"		END,\n"
	"		p.advanced_at, p.advanced_by\n"
	"	FROM placed p ORDER BY p.id;\n"
	"DROP TABLE advance;\n"
	"ALTER TABLE advance_v5 RENAME TO advance;\n"
	"CREATE INDEX advance_by_regimen ON advance(regimen_id, id);\n"
	"CREATE TRIGGER advance_never_deleted BEFORE DELETE ON advance\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never deletes an advance'); END;\n"
	"CREATE TRIGGER advance_never_changed BEFORE UPDATE ON advance\n"
	"	BEGIN SELECT RAISE(ABORT, 'dosed never changes an advance'); END;\n",
};

#define STORE_SCHEMA_VERSION ((int)G_N_ELEMENTS(store_migrations))

int store_schema_version(void)
{
	return STORE_SCHEMA_VERSION;
}

/* Read what tells a dosed database from any other file.  NOTADB (not SQLite
 * at all) surfaces here, from reading the schema. */
static bool store_read_identity(DosedStore *store, gint64 *application_id, int *user_version,
				int *n_objects, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store,
		"SELECT (SELECT application_id FROM pragma_application_id),"
		" (SELECT user_version FROM pragma_user_version),"
		" (SELECT count(*) FROM sqlite_master)", error);
	int rc;

	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "reading its header", error);
		return false;
	}
	/* application_id is a signed 32-bit field; compare its bit pattern. */
	*application_id = (guint32)sqlite3_column_int(stmt, 0);
	*user_version = sqlite3_column_int(stmt, 1);
	*n_objects = sqlite3_column_int(stmt, 2);
	return true;
}

bool store_check_identity(DosedStore *store, int *version, GError **error)
{
	gint64 application_id;
	int user_version, n_objects;

	if (!store_read_identity(store, &application_id, &user_version, &n_objects, error))
		return false;
	if (application_id == 0 && user_version == 0 && n_objects == 0) {
		*version = 0;
		return true;
	}
	if (application_id != DOSED_APPLICATION_ID || user_version <= 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "%s is not a dosed database; check the database path (--db or [store] path)",
			    store->path);
		return false;
	}
	if (user_version > STORE_SCHEMA_VERSION) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "%s was written by a newer dosed (schema %d); upgrade dosed",
			    store->path, user_version);
		return false;
	}
	*version = user_version;
	return true;
}

bool store_migrate(DosedStore *store, GError **error)
{
	g_autofree char *set_version = NULL;
	g_autofree char *set_application = NULL;
	int version;

	if (!store_exec(store, "BEGIN IMMEDIATE", "starting its upgrade", error))
		return false;
	/* Check again under the write lock: another dosed may have done it. */
	if (!store_check_identity(store, &version, error))
		goto fail;
	for (int step = version; step < STORE_SCHEMA_VERSION; step++) {
		if (!store_exec(store, store_migrations[step], "upgrading its schema", error))
			goto fail;
	}
	/* Pragmas take no parameters; these are compile-time constants. */
	set_application = g_strdup_printf("PRAGMA application_id = %d",
					  (gint32)DOSED_APPLICATION_ID);
	set_version = g_strdup_printf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (!store_exec(store, set_application, "marking it as dosed's", error) ||
	    !store_exec(store, set_version, "upgrading its schema", error) ||
	    !store_exec(store, "COMMIT", "upgrading its schema", error))
		goto fail;
	return true;
fail:
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

