/* store.c - the SQLite database (SPEC section 5).  All SQL of dosed is here.
 *
 * Every value reaches SQLite as a bound parameter; the only SQL built from
 * numbers is the two header pragmas (user_version, application_id), which
 * take no parameters and are given compile-time constants.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error.h"
#include "feed_state.h"

/* PRAGMA application_id: "DOSE" in ASCII.  It marks a file as ours, so that
 * dosed never migrates (writes into) someone else's SQLite database.  Never
 * change it: every existing dosed database would become foreign. */
#define DOSED_APPLICATION_ID 0x444f5345

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* SPEC 5 and issue 5: a clinic's database belongs to the group "dosed"
 * (systemd/dosed.sysusers makes it) so that staff in it can run dosectl. */
#define STORE_CLINIC_GROUP "dosed"

/* What SQLite keeps beside the database (sqlite.org/tempfiles.html). */
static const char *const store_companions[] = { "-wal", "-shm", "-journal" };

struct DosedStore {
	sqlite3 *db;
	char *path;
	/* What SQLite is given: the real folder (symbolic links in it
	 * resolved, as the user set them up) and the file's own name, which
	 * SQLITE_OPEN_NOFOLLOW then refuses to follow. */
	char *open_path;
	int busy_timeout_ms;
	bool in_write;          /* inside store_begin(store, true, ...) */
	/* store_load_reminder_record(), prepared once: the daemon asks it
	 * for every active patient at each computation (100,000 prepares
	 * were most of its start-up). */
	sqlite3_stmt *reminder_record;
};

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
	 * 100,000 regimens hold a handful of distinct texts; storing each
	 * row's own 370-byte copy made enrolment write, and every load read
	 * and parse, 100,000 of them.  The copy a regimen keeps is still
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
	 * building a temporary index of it, again for every row inserted:
	 * that was a third of enrolling 100,000 patients.  Rebuilt as in
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

/* The columns read into a DosedRegimen, in regimen_from_row()'s order. */
#define STORE_REGIMEN_COLUMNS \
	"p.id, p.name, p.tz, r.id, r.protocol_id, r.protocol_copy_id, r.start_date, " \
	"r.enrolled_at, r.enrolled_by, r.stopped_at, r.stopped_by"
/* The columns read into a DosedDose, in dose_from_row()'s order. */
#define STORE_DOSE_COLUMNS \
	"d.regimen_id, d.id, d.ordinal, d.phase_index, d.given_at, d.site, d.note, " \
	"d.forced, d.logged_at, d.logged_by, d.voided_at, d.voided_by, d.void_reason"
/* The newest regimen of patient p (regimen ids only grow: nothing is deleted). */
#define STORE_NEWEST_REGIMEN \
	"(SELECT max(n.id) FROM regimen n WHERE n.patient_id = p.id)"

/* ---- errors ---------------------------------------------------------- */

/* Turn an SQLite failure into one line saying what is wrong and what to do.
 * `doing` ("logging a dose") is only used where SQLite's own words are. */
static void store_fail(DosedStore *store, int rc, const char *doing, GError **error)
{
	const char *path = store->path;
	const char *message = store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
	bool readonly = store->db && sqlite3_db_readonly(store->db, "main") == 1;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is locked by another program (waited %d ms); try again",
			    path, store->busy_timeout_ms);
		return;
	case SQLITE_CANTOPEN:
		/* SQLite opens the database with SQLITE_OPEN_NOFOLLOW and its
		 * -wal, -shm and -journal with O_NOFOLLOW: a link planted at
		 * any of them ends here. */
		if (rc == SQLITE_CANTOPEN_SYMLINK ||
		    (store->db && (sqlite3_extended_errcode(store->db) == SQLITE_CANTOPEN_SYMLINK ||
				   sqlite3_system_errno(store->db) == ELOOP))) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "the database %s or its -wal, -shm or -journal file is a symbolic link, which dosed does not follow; remove the link and give the real path (--db or [store] path)",
				    path);
			return;
		}
		/* A read-only WAL database cannot be read either without
		 * write access to its folder (for the -shm file). */
		if (!readonly) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "cannot open the database %s (%s); check that it and its folder exist and are accessible",
				    path, message);
			return;
		}
		/* fall through */
	case SQLITE_READONLY:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is read-only; ask for write access to it and its folder",
			    path);
		return;
	case SQLITE_NOTADB:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "%s is not a dosed database; check the database path (--db or [store] path)",
			    path);
		return;
	case SQLITE_CORRUPT:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is damaged (%s); restore it from a backup",
			    path, message);
		return;
	case SQLITE_FULL:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the disk holding the database %s is full; free some space and try again",
			    path);
		return;
	case SQLITE_IOERR:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot read or write the database %s (%s: %s); check the disk",
			    path, message,
			    store->db ? g_strerror(sqlite3_system_errno(store->db)) : "");
		return;
	default:
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s failed while %s: %s", path, doing, message);
		return;
	}
}

static sqlite3_stmt *store_prepare(DosedStore *store, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK) {
		store_fail(store, rc, "preparing a query", error);
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

/* Run SQL without parameters (transaction control, pragmas, the schema). */
static bool store_exec(DosedStore *store, const char *sql, const char *doing, GError **error)
{
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		store_fail(store, rc, doing, error);
		return false;
	}
	return true;
}

/* The one number a query without parameters returns (a version, a
 * newest id); no row is a failure too. */
static bool store_query_int64(DosedStore *store, const char *sql, const char *doing,
			      gint64 *value, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store, sql, error);
	int rc;

	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, doing, error);
		return false;
	}
	*value = sqlite3_column_int64(stmt, 0);
	return true;
}

/* Run a bound statement that returns no rows. */
static bool store_step_done(DosedStore *store, sqlite3_stmt *stmt, const char *doing,
			    GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE) {
		store_fail(store, rc, doing, error);
		return false;
	}
	return true;
}

/* Bind text byte-exact, or NULL; the text outlives the statement's use. */
static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, index);
}

/* A column's text, byte-exact and newly allocated; NULL for SQL NULL. */
static char *column_strdup(sqlite3_stmt *stmt, int index)
{
	const unsigned char *text = sqlite3_column_text(stmt, index);

	if (!text)
		return NULL;
	return g_strndup((const char *)text, (gsize)sqlite3_column_bytes(stmt, index));
}

/* "YYYY-MM-DD" of an instant in a zone (by name), for messages. */
static void store_format_day(gint64 instant, const char *tz_name, char *buf)
{
	GTimeZone *tz = zone_open(tz_name, NULL);

	if (!tz)
		tz = g_time_zone_new_utc();
	date_format(date_of_instant(instant, tz), buf);
	g_time_zone_unref(tz);
}

/* ---- opening --------------------------------------------------------- */

/* The path SQLite is to open: the folder's real path (its symbolic links
 * are the user's own arrangement, such as a home folder moved to another
 * disk) and the file's name as given.  SQLITE_OPEN_NOFOLLOW refuses a link
 * in any component of what it is given, so the folder must be resolved
 * first; only the last component is then checked. */
static bool store_resolve_path(DosedStore *store, GError **error)
{
	g_autofree char *folder = g_path_get_dirname(store->path);
	g_autofree char *name = g_path_get_basename(store->path);
	char *real = realpath(folder, NULL);

	if (!real) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot open the folder %s of the database: %s; create it or choose another path",
			    folder, g_strerror(saved));
		return false;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "/") == 0 ||
	    g_str_has_suffix(store->path, "/")) {
		free(real);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the database path %s names a folder; give a file such as %s/dosed.db",
			    store->path, store->path);
		return false;
	}
	store->open_path = g_build_filename(real, name, NULL);
	free(real);
	return true;
}

/* The clinic group's id, when the machine has the group.  The buffer
 * holds the member names too, so it grows for a large clinic. */
static bool store_clinic_gid(gid_t *gid)
{
	struct group entry, *found = NULL;
	size_t size = 4096;
	bool known = false;

	for (;;) {
		char *buffer = g_malloc(size);
		int rc = getgrnam_r(STORE_CLINIC_GROUP, &entry, buffer, size, &found);

		if (rc == 0 && found) {
			*gid = found->gr_gid;
			known = true;
		}
		g_free(buffer);
		if (rc != ERANGE || size >= 1024 * 1024)
			return known;
		size *= 2;
	}
}

/* A new database must have nothing of SQLite's beside it: a -wal or -shm
 * there belongs to some other database (one deleted without them, or one
 * planted), whose pages are not ours to read or to overwrite, and a link
 * there would point SQLite's writes elsewhere.  Checked before the file is
 * made, so a refusal creates nothing. */
static bool store_check_no_companions(DosedStore *store, GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(store_companions); i++) {
		g_autofree char *file = g_strconcat(store->open_path, store_companions[i], NULL);
		struct stat info;

		if (lstat(file, &info) == 0) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "%s%s is there but the database %s is not (%s); move it away before dosed creates a new database",
				    store->path, store_companions[i], store->path,
				    S_ISLNK(info.st_mode) ? "a symbolic link" :
				    "left by another database");
			return false;
		}
	}
	return true;
}

/* Create the parent folder (0700) and the file itself with exactly `mode`
 * before SQLite sees it, so that it is never readable by others, not even
 * for a moment; SQLite then gives its -wal and -shm files the same mode.
 * O_EXCL|O_NOFOLLOW: a link at the path, even a dangling one, is never
 * followed to create a file where it points. */
static bool store_create_file(DosedStore *store, int mode, bool *created, GError **error)
{
	g_autofree char *folder = g_path_get_dirname(store->path);
	struct stat info;
	gid_t clinic_gid;
	int fd;

	*created = false;
	if (g_mkdir_with_parents(folder, 0700) != 0) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot create the folder %s for the database: %s; create it or choose another path",
			    folder, g_strerror(saved));
		return false;
	}
	if (!store_resolve_path(store, error))
		return false;
	if (lstat(store->open_path, &info) == 0) {
		/* There already: SQLite opens it, or says why it cannot (a
		 * folder we may not write to still holds a usable file). */
		if (!S_ISLNK(info.st_mode))
			return true;
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s is a symbolic link, which dosed does not follow; give the real path (--db or [store] path) or remove the link",
			    store->path);
		return false;
	}
	if (!store_check_no_companions(store, error))
		return false;
	fd = open(store->open_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  (mode_t)mode);
	if (fd < 0) {
		int saved = errno;

		/* Made by another dosed meanwhile: SQLite opens it; a link
		 * made meanwhile is refused by SQLITE_OPEN_NOFOLLOW. */
		if (saved == EEXIST)
			return true;
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot create the database %s: %s; ask for write access to its folder",
			    store->path, g_strerror(saved));
		return false;
	}
	*created = true;
	/* open(2) applied the umask; the mode asked for is the mode meant
	 * (0660 for a clinic group even under umask 077). */
	if (fchmod(fd, (mode_t)mode) != 0) {
		int saved = errno;

		close(fd);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot set the mode of the database %s: %s", store->path,
			    g_strerror(saved));
		return false;
	}
	/* A database shared with a group is shared with the clinic's group
	 * (SPEC 5), not with whatever group its creator happens to be in:
	 * root running dosectl first would otherwise leave it root's.  A
	 * set-group-ID folder (tmpfiles.d: /var/lib/dosed 2770) has given it
	 * the group already; as root, SQLite then gives -wal and -shm the
	 * database's owner and group.  Only root and the group's members may
	 * give a file to it: for anyone else (EPERM) it keeps their group, as
	 * on a machine without the group. */
	if ((mode & 0070) != 0 && store_clinic_gid(&clinic_gid) &&
	    fstat(fd, &info) == 0 && info.st_gid != clinic_gid &&
	    fchown(fd, (uid_t)-1, clinic_gid) != 0 && errno != EPERM) {
		int saved = errno;

		close(fd);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "cannot give the database %s to the group %s: %s",
			    store->path, STORE_CLINIC_GROUP, g_strerror(saved));
		return false;
	}
	close(fd);
	return true;
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

/* The schema version of an existing dosed database, 0 for an empty file
 * (ours to fill), or an error for anything else. */
static bool store_check_identity(DosedStore *store, int *version, GError **error)
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

/* Bring the schema to STORE_SCHEMA_VERSION in one transaction: a crash
 * half-way leaves the old version, never a half-made schema. */
static bool store_migrate(DosedStore *store, GError **error)
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

static bool store_enter_wal(DosedStore *store, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store, "PRAGMA journal_mode = WAL", error);
	const char *mode;
	int rc;

	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "switching it to WAL mode", error);
		return false;
	}
	/* The pragma answers the mode in force, which is not WAL when the
	 * file system cannot hold WAL's shared memory. */
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || g_ascii_strcasecmp(mode, "wal") != 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the database %s cannot use WAL mode (it stays in '%s' mode); keep it on a local disk",
			    store->path, mode ? mode : "unknown");
		return false;
	}
	return true;
}

DosedStore *store_open(const char *path, int mode, int busy_timeout_ms, GError **error)
{
	DosedStore *store;
	bool created = false;
	int version = 0;
	int rc;

	if (!path || !*path) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "no database path given; set [store] path or use --db");
		return NULL;
	}
	if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the database mode %04o must let its owner read and write (e.g. 0600 or 0660)",
			    (unsigned)mode);
		return NULL;
	}

	store = g_new0(DosedStore, 1);
	store->path = g_strdup(path);
	store->busy_timeout_ms = MAX(busy_timeout_ms, 0);

	if (!store_create_file(store, mode, &created, error))
		goto fail;
	/* NOMUTEX: a store is used by one thread at a time (store.h), so
	 * SQLite's per-call connection lock only cost time: an eighth of a
	 * load of 100,000 patients, which reads a dozen columns of each. */
	rc = sqlite3_open_v2(store->open_path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, rc, "opening it", error);
		goto fail;
	}
	sqlite3_extended_result_codes(store->db, 1);
	sqlite3_busy_timeout(store->db, store->busy_timeout_ms);
	/* SPEC 5: a crash at any moment loses nothing reported as done.  In
	 * WAL mode synchronous=NORMAL may lose the last commits on a power
	 * cut; FULL syncs the WAL at every commit, so a dose dosectl said it
	 * logged is on the disk. */
	if (!store_exec(store, "PRAGMA foreign_keys = ON", "turning on foreign keys", error) ||
	    !store_exec(store, "PRAGMA synchronous = FULL", "setting synchronous mode", error))
		goto fail;
	/* Statement journals in memory: inside a transaction every INSERT
	 * that may fail half-way (NOT NULL, CHECK, foreign keys) first saves
	 * the pages it will touch, and in a temporary file that was 688,000
	 * writes for an import of 100,000 patients.  They hold only what
	 * one statement (or one change's savepoint) touches; the database
	 * and its WAL are as durable as before. */
	if (!store_exec(store, "PRAGMA temp_store = MEMORY", "setting temporary storage", error))
		goto fail;

	/* Identity first: nothing is written to a file that is not ours. */
	if (!store_check_identity(store, &version, error))
		goto fail;
	if (sqlite3_db_readonly(store->db, "main") == 1) {
		/* Readable but not writable: reading is fine if nothing needs
		 * writing; the write commands are refused by store_begin(). */
		if (version != STORE_SCHEMA_VERSION) {
			store_fail(store, SQLITE_READONLY, "opening it", error);
			goto fail;
		}
		return store;
	}
	if (!store_enter_wal(store, error))
		goto fail;
	if (version < STORE_SCHEMA_VERSION && !store_migrate(store, error))
		goto fail;
	return store;

fail:
	if (created) {
		/* Leave no empty file behind for a store that never opened:
		 * the database made above, and what SQLite made beside it
		 * (there was nothing there before: store_check_no_companions). */
		g_autofree char *open_path = g_strdup(store->open_path);

		store_close(store);
		unlink(open_path);
		for (size_t i = 0; i < G_N_ELEMENTS(store_companions); i++) {
			g_autofree char *file = g_strconcat(open_path, store_companions[i], NULL);

			unlink(file);
		}
		return NULL;
	}
	store_close(store);
	return NULL;
}

void store_close(DosedStore *store)
{
	if (!store)
		return;
	sqlite3_finalize(store->reminder_record);
	if (store->db) {
		if (!sqlite3_get_autocommit(store->db))
			sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(store->db);
	}
	g_free(store->path);
	g_free(store->open_path);
	g_free(store);
}

/* ---- transactions ---------------------------------------------------- */

bool store_begin(DosedStore *store, bool write, GError **error)
{
	if (write && sqlite3_db_readonly(store->db, "main") == 1) {
		store_fail(store, SQLITE_READONLY, "starting a change", error);
		return false;
	}
	/* IMMEDIATE takes the write lock now, inside the busy timeout, rather
	 * than at the first write, where a busy WAL snapshot cannot wait. */
	if (!store_exec(store, write ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction",
			error))
		return false;
	store->in_write = write;
	return true;
}

bool store_commit(DosedStore *store, GError **error)
{
	bool ok = store_exec(store, "COMMIT", "saving the changes", error);

	/* A failed COMMIT may leave the transaction open: end it, so that a
	 * refused command changes nothing. */
	if (!ok && !sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->in_write = false;
	return ok;
}

void store_rollback(DosedStore *store)
{
	if (!store)
		return;
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->in_write = false;
}

/* Every write function runs inside the caller's write transaction, and in a
 * savepoint of its own: when it fails, none of its rows remain, even if the
 * caller commits what came before. */
static bool store_write_begin(DosedStore *store, GError **error)
{
	if (!store->in_write || sqlite3_get_autocommit(store->db)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "internal error: a change to %s was attempted outside a write transaction; please report this bug",
			    store->path);
		return false;
	}
	return store_exec(store, "SAVEPOINT store_write", "starting a change", error);
}

static bool store_write_end(DosedStore *store, bool ok, GError **error)
{
	if (ok)
		return store_exec(store, "RELEASE store_write", "saving a change", error);
	if (!sqlite3_get_autocommit(store->db)) {
		sqlite3_exec(store->db, "ROLLBACK TO store_write", NULL, NULL, NULL);
		sqlite3_exec(store->db, "RELEASE store_write", NULL, NULL, NULL);
	}
	return false;
}

static bool store_check_actor(const char *actor, GError **error)
{
	if (actor && *actor)
		return true;
	g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
		    "who makes the change is unknown; the audit trail needs a user name");
	return false;
}

/* ---- loading --------------------------------------------------------- */

/* Parsed protocol copies and opened zones, shared between the regimens of
 * one load: a clinic's patients mostly share a handful of each. */
typedef struct {
	GHashTable *protocols;  /* protocol_copy id -> DosedProtocol ** (shared box) */
	GHashTable *zones;      /* tz name -> GTimeZone * */
	sqlite3_stmt *copy;     /* a protocol copy's text by id, prepared when needed */
	/* Most regimens of a clinic have no advance and many no dose yet:
	 * they share these empty arrays (each regimen holds a reference;
	 * nothing outside this file adds to them), and get arrays of their
	 * own at their first row.  A third of a load's allocations, saved. */
	GPtrArray *no_doses;
	GArray *no_dose_events;
	GArray *no_advances;
	/* The doses and advances of the regimens to load, read before the
	 * regimens (so that each regimen is whole when it is made, and can
	 * be handed on and let go: store_foreach_regimen()). */
	GHashTable *extras;     /* regimen id -> RegimenExtras * */
} RegimenLoader;

/* A regimen's doses and advances, waiting for their regimen. */
typedef struct {
	gint64 regimen_id;      /* the key */
	GPtrArray *doses;       /* NULL until the first */
	GArray *advances;       /* NULL until the first */
} RegimenExtras;

static void regimen_extras_free(gpointer data)
{
	RegimenExtras *extras = data;

	if (extras->doses)
		g_ptr_array_unref(extras->doses);
	if (extras->advances)
		g_array_unref(extras->advances);
	g_free(extras);
}

static RegimenExtras *loader_extras(RegimenLoader *loader, gint64 regimen_id)
{
	RegimenExtras *extras = g_hash_table_lookup(loader->extras, &regimen_id);

	if (!extras) {
		extras = g_new0(RegimenExtras, 1);
		extras->regimen_id = regimen_id;
		g_hash_table_insert(loader->extras, &extras->regimen_id, extras);
	}
	return extras;
}

static void loader_init(RegimenLoader *loader)
{
	loader->protocols = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
						  regimen_release_share);
	loader->zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)g_time_zone_unref);
	loader->copy = NULL;
	loader->no_doses = g_ptr_array_new_with_free_func(dose_destroy);
	loader->no_dose_events = g_array_new(FALSE, TRUE, sizeof(DosedDoseEvent));
	loader->no_advances = g_array_new(FALSE, TRUE, sizeof(DosedAdvanceEvent));
	loader->extras = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					       regimen_extras_free);
}

static void loader_finish(RegimenLoader *loader)
{
	sqlite3_finalize(loader->copy);
	g_ptr_array_unref(loader->no_doses);
	g_array_unref(loader->no_dose_events);
	g_array_unref(loader->no_advances);
	g_hash_table_unref(loader->protocols);
	g_hash_table_unref(loader->zones);
	g_hash_table_unref(loader->extras);
}

/* The shared parse of a regimen row's protocol copy (column 5 its id),
 * read and parsed the first time the id is seen: a few distinct copies
 * for any number of regimens. */
static DosedProtocol **loader_protocol(DosedStore *store, RegimenLoader *loader,
				       sqlite3_stmt *stmt, const char *patient_id,
				       GError **error)
{
	gint64 copy_id = sqlite3_column_int64(stmt, 5);
	DosedProtocol **box = g_hash_table_lookup(loader->protocols, &copy_id);
	GError *local = NULL;
	int rc;

	if (box)
		return box;
	if (!loader->copy &&
	    !(loader->copy = store_prepare(store, "SELECT text FROM protocol_copy WHERE id = ?1",
					   error)))
		return NULL;
	sqlite3_bind_int64(loader->copy, 1, copy_id);
	rc = sqlite3_step(loader->copy);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(store, rc, "reading a protocol copy", error);
		sqlite3_reset(loader->copy);
		return NULL;
	}
	box = regimen_share_protocol(rc == SQLITE_ROW ?
		protocol_from_ini((const char *)sqlite3_column_text(loader->copy, 0),
				  "stored protocol", &local) : NULL);
	sqlite3_reset(loader->copy);
	if (!*box) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the protocol copy of patient '%s' in %s does not read (%s); this dosed cannot use it",
			    patient_id, store->path, local ? local->message : "it is missing");
		g_clear_error(&local);
		regimen_release_share(box);
		return NULL;
	}
	g_hash_table_insert(loader->protocols, g_memdup2(&copy_id, sizeof copy_id), box);
	return box;
}

/* A patient row (id, name, tz) read apart from its regimen: its texts and
 * their lengths. */
typedef struct {
	const char *texts[3];
	gsize lengths[3];
} PatientColumns;

/* One row of STORE_REGIMEN_COLUMNS to a regimen without doses or advances.
 * With `patient`, the first three columns (the patient's) are taken from
 * it instead of the row. */
static DosedRegimen *regimen_from_row(DosedStore *store, RegimenLoader *loader,
				      sqlite3_stmt *stmt, const PatientColumns *patient,
				      GError **error)
{
	/* The text columns and where each goes; they follow the regimen in
	 * its one allocation (a clinic's load makes 100,000 regimens, and
	 * allocating and freeing them was a tenth of `dosectl due`). */
	static const int text_columns[] = { 0, 1, 2, 4, 8, 10 };
	DosedRegimen *regimen;
	const char *start_text;
	DosedProtocol **box;
	GTimeZone *tz;
	GError *local = NULL;
	const unsigned char *texts[G_N_ELEMENTS(text_columns)];
	gsize lengths[G_N_ELEMENTS(text_columns)];
	gsize size = 0;
	char *next;

	for (size_t i = 0; i < G_N_ELEMENTS(text_columns); i++) {
		if (patient && text_columns[i] < 3) {
			texts[i] = (const unsigned char *)patient->texts[text_columns[i]];
			lengths[i] = patient->lengths[text_columns[i]];
			size += texts[i] ? lengths[i] + 1 : 0;
			continue;
		}
		/* Text first, then its length (sqlite.org/c3ref/column_blob.html). */
		texts[i] = sqlite3_column_text(stmt, text_columns[i]);
		lengths[i] = texts[i] ? (gsize)sqlite3_column_bytes(stmt, text_columns[i]) : 0;
		size += texts[i] ? lengths[i] + 1 : 0;
	}
	regimen = g_malloc0(sizeof *regimen + size);
	next = (char *)(regimen + 1);
	char **fields[G_N_ELEMENTS(text_columns)] = {
		&regimen->patient_id, &regimen->name, &regimen->tz_name,
		&regimen->protocol_id, &regimen->enrolled_by, &regimen->stopped_by,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(text_columns); i++) {
		if (!texts[i])
			continue;
		memcpy(next, texts[i], lengths[i]);
		next[lengths[i]] = '\0';
		*fields[i] = next;
		next += lengths[i] + 1;
	}
	regimen->regimen_id = sqlite3_column_int64(stmt, 3);
	start_text = (const char *)sqlite3_column_text(stmt, 6);
	regimen->enrolled_at = sqlite3_column_int64(stmt, 7);
	regimen->stopped_at = sqlite3_column_int64(stmt, 9);
	regimen->doses = g_ptr_array_ref(loader->no_doses);
	regimen->dose_events = g_array_ref(loader->no_dose_events);
	regimen->advances = g_array_ref(loader->no_advances);

	tz = g_hash_table_lookup(loader->zones, regimen->tz_name);
	if (!tz) {
		tz = zone_open(regimen->tz_name, &local);
		if (!tz) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "patient '%s' in %s has a time zone this machine does not know (%s); install the tzdata package",
				    regimen->patient_id, store->path, local->message);
			goto fail;
		}
		g_hash_table_insert(loader->zones, g_strdup(regimen->tz_name), tz);
	}
	regimen->tz = g_time_zone_ref(tz);

	box = loader_protocol(store, loader, stmt, regimen->patient_id, error);
	if (!box)
		goto fail;
	regimen->protocol_share = g_atomic_rc_box_acquire(box);
	regimen->protocol = *box;

	if (!start_text || !date_parse(start_text, &regimen->start, &local)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "the start date of patient '%s' in %s does not read (%s)",
			    regimen->patient_id, store->path, start_text ? start_text : "none");
		goto fail;
	}
	return regimen;
fail:
	g_clear_error(&local);
	regimen_destroy(regimen);
	return NULL;
}

/* One row of STORE_DOSE_COLUMNS (after its regimen_id) to a dose. */
static DosedDose *dose_from_row(sqlite3_stmt *stmt)
{
	DosedDose *dose = g_new0(DosedDose, 1);

	dose->id = sqlite3_column_int64(stmt, 1);
	dose->ordinal = sqlite3_column_int(stmt, 2);
	dose->phase_index = sqlite3_column_int(stmt, 3);
	dose->given_at = sqlite3_column_int64(stmt, 4);
	dose->site = column_strdup(stmt, 5);
	dose->note = column_strdup(stmt, 6);
	dose->forced = sqlite3_column_int(stmt, 7) != 0;
	dose->logged_at = sqlite3_column_int64(stmt, 8);
	dose->logged_by = column_strdup(stmt, 9);
	dose->voided_at = sqlite3_column_int64(stmt, 10);
	dose->voided_by = column_strdup(stmt, 11);
	dose->void_reason = column_strdup(stmt, 12);
	return dose;
}

/* Fill dose_events and view once every dose is in: the events point into
 * the DosedDose strings, the view into the arrays, which no longer move. */
static void regimen_finish(DosedRegimen *regimen)
{
	if (regimen->doses->len > 0) {
		g_array_unref(regimen->dose_events);
		regimen->dose_events = g_array_sized_new(FALSE, TRUE, sizeof(DosedDoseEvent),
							 regimen->doses->len);
	}
	for (guint i = 0; i < regimen->doses->len; i++) {
		const DosedDose *dose = g_ptr_array_index(regimen->doses, i);
		DosedDoseEvent event = {
			.given_at = dose->given_at,
			.ordinal = dose->ordinal,
			.site = dose->site,
			.id = dose->id,
		};

		if (dose->voided_at == 0)
			g_array_append_val(regimen->dose_events, event);
	}
	regimen->view = (DosedRegimenView){
		.protocol = regimen->protocol,
		.start = regimen->start,
		.tz = regimen->tz,
		.doses = (const DosedDoseEvent *)(void *)regimen->dose_events->data,
		.n_doses = regimen->dose_events->len,
		.advances = (const DosedAdvanceEvent *)(void *)regimen->advances->data,
		.n_advances = regimen->advances->len,
		.stopped_at = regimen->stopped_at,
	};
}

/* Read the rows of a dose or advance query (column 0 is the regimen id)
 * into the loader's extras, in query order. */
static bool store_read_doses(DosedStore *store, RegimenLoader *loader, sqlite3_stmt *stmt,
			     GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		RegimenExtras *extras = loader_extras(loader, sqlite3_column_int64(stmt, 0));

		if (!extras->doses)
			extras->doses = g_ptr_array_new_with_free_func(dose_destroy);
		g_ptr_array_add(extras->doses, dose_from_row(stmt));
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading doses", error);
		return false;
	}
	return true;
}

static bool store_read_advances(DosedStore *store, RegimenLoader *loader, sqlite3_stmt *stmt,
				GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		RegimenExtras *extras = loader_extras(loader, sqlite3_column_int64(stmt, 0));
		DosedAdvanceEvent event = {
			.phase_index = sqlite3_column_int(stmt, 1),
			.at = sqlite3_column_int64(stmt, 2),
			.after_dose = sqlite3_column_int64(stmt, 3),
		};

		if (!extras->advances)
			extras->advances = g_array_new(FALSE, TRUE, sizeof(DosedAdvanceEvent));
		g_array_append_val(extras->advances, event);
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading advances", error);
		return false;
	}
	return true;
}

/* Where a load hands its regimens: each is the callee's, whatever it
 * returns (false with `error` set stops the load). */
typedef bool (*RegimenSink)(DosedRegimen *regimen, void *data, GError **error);

/* A regimen as its row made it, given its doses and advances and handed
 * on whole. */
static bool loader_emit(RegimenLoader *loader, DosedRegimen *regimen, RegimenSink sink,
			void *data, GError **error)
{
	RegimenExtras *extras = g_hash_table_size(loader->extras) > 0 ?
				g_hash_table_lookup(loader->extras, &regimen->regimen_id) : NULL;

	if (extras && extras->doses) {
		g_ptr_array_unref(regimen->doses);
		regimen->doses = g_steal_pointer(&extras->doses);
	}
	if (extras && extras->advances) {
		g_array_unref(regimen->advances);
		regimen->advances = g_steal_pointer(&extras->advances);
	}
	regimen_finish(regimen);
	return sink(regimen, data, error);
}

/* Loads read in one transaction of their own when the caller has none, so
 * that the regimens, doses and advances are one consistent snapshot. */
static bool store_read_begin(DosedStore *store, bool *own, GError **error)
{
	*own = sqlite3_get_autocommit(store->db) != 0;
	return !*own || store_exec(store, "BEGIN", "starting to read", error);
}

static void store_read_end(DosedStore *store, bool own)
{
	if (own && !sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
}

/* The queries of a load, for one patient (?1 = its id) or for all of them
 * (?1 = true to leave out the stopped ones).  Three in all, whatever the
 * number of patients: the regimens, then their doses, then their advances.
 *
 * For all patients the doses and advances are read from their own tables,
 * joined to the regimen they belong to, and kept when it is the newest
 * (issue 7: going from 100,000 patients to their few doses looked up
 * every patient's newest regimen first).  An active regimen is always its
 * patient's newest (a patient is enrolled again only once stopped), so
 * "active only" reads the regimens from the index of active ones. */
#define STORE_REGIMENS_ONE_SQL \
	"SELECT " STORE_REGIMEN_COLUMNS " FROM patient p" \
	" JOIN regimen r ON r.id = " STORE_NEWEST_REGIMEN " WHERE p.id = ?1"
#define STORE_DOSES_ONE_SQL \
	"SELECT " STORE_DOSE_COLUMNS " FROM patient p" \
	" JOIN regimen r ON r.id = " STORE_NEWEST_REGIMEN \
	" JOIN dose d ON d.regimen_id = r.id WHERE p.id = ?1 ORDER BY d.given_at, d.id"
#define STORE_ADVANCES_ONE_SQL \
	"SELECT a.regimen_id, a.phase_index, a.advanced_at, a.after_dose_id FROM patient p" \
	" JOIN regimen r ON r.id = " STORE_NEWEST_REGIMEN \
	" JOIN advance a ON a.regimen_id = r.id WHERE p.id = ?1 ORDER BY a.id"
/* The newest regimen of r's patient, active when ?1 says so, of a patient
 * from ?2 to before ?3.  The range is a filter, not a way in ("+"): read
 * by the range, the query went through every regimen to find the few
 * with doses. */
#define STORE_R_IS_LOADED \
	" WHERE r.id = (SELECT max(n.id) FROM regimen n WHERE n.patient_id = r.patient_id)" \
	" AND (NOT ?1 OR r.stopped_at IS NULL) AND +r.patient_id >= ?2 AND +r.patient_id < ?3"
#define STORE_DOSES_ALL_SQL \
	"SELECT " STORE_DOSE_COLUMNS " FROM dose d JOIN regimen r ON r.id = d.regimen_id" \
	STORE_R_IS_LOADED " ORDER BY d.given_at, d.id"
#define STORE_ADVANCES_ALL_SQL \
	"SELECT a.regimen_id, a.phase_index, a.advanced_at, a.after_dose_id FROM advance a" \
	" JOIN regimen r ON r.id = a.regimen_id" STORE_R_IS_LOADED " ORDER BY a.id"

static const char *const store_load_one_sql[] = {
	STORE_REGIMENS_ONE_SQL,
	STORE_DOSES_ONE_SQL,
	STORE_ADVANCES_ONE_SQL,
};
/* All patients' regimens: store_read_regimens_joined(). */
static const char *const store_load_all_sql[] = {
	NULL,
	STORE_DOSES_ALL_SQL,
	STORE_ADVANCES_ALL_SQL,
};
static const char *const store_load_active_sql[] = {
	NULL,
	STORE_DOSES_ALL_SQL,
	STORE_ADVANCES_ALL_SQL,
};

/* Which patients a load of all of them reads: those whose id is from
 * `first` to before `end` (store_foreach_regimen_in()). */
typedef struct {
	const char *first;      /* NULL: from the first */
	const char *end;        /* NULL: to the last */
} PatientRange;

/* Bind a range's ends to ?N and ?N+1: an id is TEXT and never empty, so
 * '' is before any, and a BLOB (x'') after any (SQLite orders TEXT before
 * BLOB): both ends stay plain comparisons, which the index can seek. */
static void store_bind_range(sqlite3_stmt *stmt, int n, const PatientRange *range)
{
	bind_text(stmt, n, range && range->first ? range->first : "");
	if (range && range->end)
		bind_text(stmt, n + 1, range->end);
	else
		sqlite3_bind_zeroblob(stmt, n + 1, 0);
}

/* Bind a load query's parameters: the patient id, or "active only" and
 * the range of patients. */
static void store_bind_load(sqlite3_stmt *stmt, const char *patient_id, bool active_only,
			    const PatientRange *range)
{
	if (sqlite3_bind_parameter_count(stmt) == 0)
		return;
	if (patient_id) {
		bind_text(stmt, 1, patient_id);
		return;
	}
	sqlite3_bind_int(stmt, 1, active_only);
	store_bind_range(stmt, 2, range);
}

/* Every patient's newest regimen (only active ones when active_only), with
 * the patient's columns, in patient id order.  A join in SQL (regimen JOIN
 * patient) searched the patient index and then the patient table for each
 * of a clinic's 100,000 regimens (120 ms in the sqlite3 shell); here both
 * tables are read in patient id order, each along its own index, and
 * merged (80 ms). */
#define STORE_PATIENTS_SCAN_SQL \
	"SELECT id, name, tz FROM patient WHERE id >= ?1 AND id < ?2 ORDER BY id"
/* STORE_REGIMEN_COLUMNS' places, the patient's name and tz left out. */
#define STORE_REGIMENS_SCAN_COLUMNS \
	"r.patient_id, NULL, NULL, r.id, r.protocol_id, r.protocol_copy_id, r.start_date, " \
	"r.enrolled_at, r.enrolled_by, r.stopped_at, r.stopped_by"
#define STORE_REGIMENS_SCAN_ALL_SQL \
	"SELECT " STORE_REGIMENS_SCAN_COLUMNS " FROM regimen r" \
	" WHERE r.patient_id >= ?1 AND r.patient_id < ?2 ORDER BY r.patient_id, r.id"
#define STORE_REGIMENS_SCAN_ACTIVE_SQL \
	"SELECT " STORE_REGIMENS_SCAN_COLUMNS " FROM regimen r WHERE r.stopped_at IS NULL" \
	" AND r.patient_id >= ?1 AND r.patient_id < ?2 ORDER BY r.patient_id"

/* SQLite's BINARY collation, by which both scans are ordered: the bytes,
 * then the length. */
static int store_binary_compare(const void *a, gsize a_length, const void *b, gsize b_length)
{
	int order = memcmp(a, b, MIN(a_length, b_length));

	if (order)
		return order;
	return a_length < b_length ? -1 : a_length > b_length;
}

static bool store_read_regimens_joined(DosedStore *store, RegimenLoader *loader,
				       bool active_only, const PatientRange *range,
				       RegimenSink sink, void *data, GError **error)
{
	g_autoptr(sqlite3_stmt) patients = store_prepare(store, STORE_PATIENTS_SCAN_SQL, error);
	g_autoptr(sqlite3_stmt) stmt = NULL;
	/* The last regimen made, handed on once the next row shows it is
	 * its patient's newest (a patient's regimens come by id, and ids
	 * only grow). */
	DosedRegimen *pending = NULL;
	PatientColumns patient;
	int patient_rc = SQLITE_ROW;
	int rc;

	memset(&patient, 0, sizeof patient);
	if (!patients)
		return false;
	stmt = store_prepare(store, active_only ? STORE_REGIMENS_SCAN_ACTIVE_SQL :
			     STORE_REGIMENS_SCAN_ALL_SQL, error);
	if (!stmt)
		return false;
	store_bind_range(patients, 1, range);
	store_bind_range(stmt, 1, range);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const void *patient_id = sqlite3_column_blob(stmt, 0);
		gsize length = (gsize)sqlite3_column_bytes(stmt, 0);
		DosedRegimen *regimen;
		int order = 1;

		/* The patient row of this regimen, or the first after it. */
		while (patient_rc == SQLITE_ROW && patient_id &&
		       (!patient.texts[0] ||
			(order = store_binary_compare(patient.texts[0], patient.lengths[0],
						      patient_id, length)) < 0)) {
			patient_rc = sqlite3_step(patients);
			if (patient_rc != SQLITE_ROW)
				break;
			for (int i = 0; i < 3; i++) {
				patient.texts[i] = (const char *)sqlite3_column_text(patients, i);
				patient.lengths[i] = (gsize)sqlite3_column_bytes(patients, i);
			}
		}
		if (patient_rc != SQLITE_ROW && patient_rc != SQLITE_DONE) {
			store_fail(store, patient_rc, "reading patients", error);
			goto fail;
		}
		/* A regimen's patient row is there (a foreign key); the join
		 * would leave out one that is not, and so does this. */
		if (patient_rc != SQLITE_ROW || order != 0)
			continue;
		regimen = regimen_from_row(store, loader, stmt, &patient, error);
		if (!regimen)
			goto fail;
		if (pending && strcmp(pending->patient_id, regimen->patient_id) == 0) {
			regimen_destroy(pending);
		} else if (pending && !loader_emit(loader, pending, sink, data, error)) {
			regimen_destroy(regimen);
			return false;
		}
		pending = regimen;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading regimens", error);
		goto fail;
	}
	return !pending || loader_emit(loader, pending, sink, data, error);
fail:
	regimen_destroy(pending);
	return false;
}

/* Load the regimens (one patient's, or all patients' by patient id) and
 * hand each to `sink` as it is made.  Three queries whatever the number of
 * patients: the doses, the advances, then the regimens. */
static bool store_load(DosedStore *store, const char *patient_id, bool active_only,
		       const PatientRange *range, RegimenSink sink, void *data, GError **error)
{
	const char *const *sql = patient_id ? store_load_one_sql :
				 active_only ? store_load_active_sql : store_load_all_sql;
	g_autoptr(sqlite3_stmt) stmt = NULL;
	RegimenLoader loader;
	bool own = false;
	bool ok = false;
	int rc;

	loader_init(&loader);
	if (!store_read_begin(store, &own, error))
		goto out;

	if (!(stmt = store_prepare(store, sql[1], error)))
		goto out;
	store_bind_load(stmt, patient_id, active_only, range);
	if (!store_read_doses(store, &loader, stmt, error))
		goto out;
	g_clear_pointer(&stmt, sqlite3_finalize);

	if (!(stmt = store_prepare(store, sql[2], error)))
		goto out;
	store_bind_load(stmt, patient_id, active_only, range);
	if (!store_read_advances(store, &loader, stmt, error))
		goto out;
	g_clear_pointer(&stmt, sqlite3_finalize);

	if (!patient_id) {
		ok = store_read_regimens_joined(store, &loader, active_only, range, sink, data,
						error);
		goto out;
	}
	if (!(stmt = store_prepare(store, sql[0], error)))
		goto out;
	store_bind_load(stmt, patient_id, active_only, range);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		DosedRegimen *regimen = regimen_from_row(store, &loader, stmt, NULL, error);

		if (!regimen || !loader_emit(&loader, regimen, sink, data, error))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading regimens", error);
		goto out;
	}
	ok = true;
out:
	g_clear_pointer(&stmt, sqlite3_finalize);
	store_read_end(store, own);
	loader_finish(&loader);
	return ok;
}

static bool regimen_sink_append(DosedRegimen *regimen, void *data, GError **error)
{
	(void)error;
	g_ptr_array_add(data, regimen);
	return true;
}

/* The regimens in regimen query order (by patient id). */
static GPtrArray *store_load_array(DosedStore *store, const char *patient_id, bool active_only,
				   GError **error)
{
	GPtrArray *regimens = g_ptr_array_new_with_free_func((GDestroyNotify)regimen_destroy);

	if (!store_load(store, patient_id, active_only, NULL, regimen_sink_append, regimens,
			error))
		g_clear_pointer(&regimens, g_ptr_array_unref);
	return regimens;
}

DosedRegimen *store_load_regimen(DosedStore *store, const char *patient_id, GError **error)
{
	GPtrArray *regimens;
	DosedRegimen *regimen;

	if (!patient_id) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "no patient given; name one (see 'dosectl patients')");
		return NULL;
	}
	regimens = store_load_array(store, patient_id, false, error);
	if (!regimens)
		return NULL;
	if (regimens->len == 0) {
		g_ptr_array_unref(regimens);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
			    "unknown patient '%s'; see 'dosectl patients'", patient_id);
		return NULL;
	}
	regimen = g_ptr_array_steal_index(regimens, 0);
	g_ptr_array_unref(regimens);
	return regimen;
}

GPtrArray *store_load_regimens(DosedStore *store, bool active_only, GError **error)
{
	return store_load_array(store, NULL, active_only, error);
}

typedef struct {
	DosedRegimenFunc each;
	void *data;
} ForeachSink;

static bool regimen_sink_foreach(DosedRegimen *regimen, void *data, GError **error)
{
	const ForeachSink *foreach = data;
	bool keep = false;
	bool ok = foreach->each(regimen, &keep, foreach->data, error);

	if (!keep)
		regimen_destroy(regimen);
	return ok;
}

bool store_foreach_regimen(DosedStore *store, bool active_only, DosedRegimenFunc each,
			   void *data, GError **error)
{
	return store_foreach_regimen_in(store, active_only, NULL, NULL, each, data, error);
}

bool store_foreach_regimen_in(DosedStore *store, bool active_only, const char *first,
			      const char *end, DosedRegimenFunc each, void *data, GError **error)
{
	ForeachSink foreach = { each, data };
	PatientRange range = { first, end };

	return store_load(store, NULL, active_only, &range, regimen_sink_foreach, &foreach,
			  error);
}

bool store_middle_patient(DosedStore *store, bool active_only, char **patient_id,
			  GError **error)
{
	/* From the index of the regimens to be read: active ones (a
	 * patient's one), or every patient. */
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store, active_only ?
		"SELECT patient_id FROM regimen WHERE stopped_at IS NULL ORDER BY patient_id"
		" LIMIT 1 OFFSET (SELECT count(*) FROM regimen WHERE stopped_at IS NULL) / 2" :
		"SELECT id FROM patient ORDER BY id"
		" LIMIT 1 OFFSET (SELECT count(*) FROM patient) / 2", error);
	int rc;

	*patient_id = NULL;
	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*patient_id = column_strdup(stmt, 0);
	} else if (rc != SQLITE_DONE) {
		store_fail(store, rc, "reading its patients", error);
		return false;
	}
	return true;
}

bool store_only_patient(DosedStore *store, char **patient_id, int *count, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
		store_prepare(store, "SELECT count(*), min(id) FROM patient", error);
	int rc;

	*patient_id = NULL;
	*count = 0;
	if (!stmt)
		return false;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "counting patients", error);
		return false;
	}
	*count = sqlite3_column_int(stmt, 0);
	if (*count == 1)
		*patient_id = column_strdup(stmt, 1);
	return true;
}

/* ---- changes --------------------------------------------------------- */

/* A regimen can take doses and advances only while it is not stopped; the
 * database, not the caller's copy, says so. */
static bool store_check_active(DosedStore *store, const DosedRegimen *regimen,
			       GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_prepare(store,
		"SELECT r.stopped_at, p.tz FROM regimen r JOIN patient p ON p.id = r.patient_id"
		" WHERE r.id = ?1", error);
	char day[DOSED_DATE_BUF];
	int rc;

	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, regimen->regimen_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
			    "unknown patient '%s'; see 'dosectl patients'", regimen->patient_id);
		return false;
	}
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "reading a regimen", error);
		return false;
	}
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		return true;
	store_format_day(sqlite3_column_int64(stmt, 0),
			 (const char *)sqlite3_column_text(stmt, 1), day);
	g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
		    "the regimen of patient '%s' was stopped on %s; enrol them again to start a new one",
		    regimen->patient_id, day);
	return false;
}

/* A UNIQUE constraint broken: the change is already there. */
static bool store_is_unique_violation(int rc)
{
	return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* An enrolment's audit detail from four SQL expressions: one shape for
 * store_enrol()'s parameters and store_enrol_many()'s staged columns. */
#define STORE_ENROL_DETAIL(protocol, start, name, tz) \
	"json_object('protocol', " protocol ", 'start', " start ", 'name', " name \
	", 'tz', " tz ")"

/* The statements of an enrolment, for store_enrol(); store_enrol_many()
 * uses the protocol copy ones and writes its rows in bulk. */
typedef struct {
	/* The patient row and their active regimen, in one query. */
	sqlite3_stmt *on_record;
	sqlite3_stmt *insert_patient;
	sqlite3_stmt *insert_copy;      /* a protocol copy, unless stored already */
	sqlite3_stmt *find_copy;        /* a protocol copy's id */
	sqlite3_stmt *insert_regimen;
	sqlite3_stmt *insert_audit;
} EnrolStatements;

static void enrol_statements_finish(EnrolStatements *s)
{
	sqlite3_finalize(s->on_record);
	sqlite3_finalize(s->insert_patient);
	sqlite3_finalize(s->insert_copy);
	sqlite3_finalize(s->find_copy);
	sqlite3_finalize(s->insert_regimen);
	sqlite3_finalize(s->insert_audit);
	memset(s, 0, sizeof(*s));
}

static bool enrol_statements_prepare(DosedStore *store, EnrolStatements *s, GError **error)
{
	memset(s, 0, sizeof(*s));
	s->on_record = store_prepare(store,
		"SELECT p.name, p.tz, r.protocol_id, r.start_date FROM patient p"
		" LEFT JOIN regimen r ON r.patient_id = p.id AND r.stopped_at IS NULL"
		" WHERE p.id = ?1", error);
	if (s->on_record)
		s->insert_patient = store_prepare(store,
			"INSERT INTO patient (id, name, tz, created_at, created_by)"
			" VALUES (?1, ?2, ?3, ?4, ?5)", error);
	if (s->insert_patient)
		s->insert_copy = store_prepare(store,
			"INSERT INTO protocol_copy (text) VALUES (?1)"
			" ON CONFLICT (text) DO NOTHING", error);
	if (s->insert_copy)
		s->find_copy = store_prepare(store,
			"SELECT id FROM protocol_copy WHERE text = ?1", error);
	if (s->find_copy)
		s->insert_regimen = store_prepare(store,
			"INSERT INTO regimen (patient_id, protocol_id, protocol_copy_id, start_date,"
			" enrolled_at, enrolled_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
	if (s->insert_regimen)
		s->insert_audit = store_prepare(store,
			"INSERT INTO audit (at, actor, action, patient_id, regimen_id, detail)"
			" VALUES (?1, ?2, 'enrol', ?3, ?4, "
			STORE_ENROL_DETAIL("?5", "?6", "?7", "?8") ")", error);
	if (!s->insert_audit) {
		enrol_statements_finish(s);
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

/* What a patient row on record (stored_name NULL: none) and its active
 * regimen (active_protocol NULL: none) hold against enrolling: an active
 * regimen (SPEC 3: enrolled twice), or a name or zone other than those on
 * record.  Shared by store_enrol() and store_enrol_many(), so that both
 * refuse with the same words. */
static bool store_enrol_judge(const char *patient_id, const char *name, const char *tz_name,
			      const char *stored_name, const char *stored_tz,
			      const char *active_protocol, const char *active_start,
			      GError **error)
{
	if (active_protocol) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_EXISTS,
			    "patient '%s' is already enrolled (on %s since %s); stop that regimen first or use another id",
			    patient_id, active_protocol, active_start);
		return false;
	}
	if (stored_name) {
		/* A patient row is never overwritten (SPEC 5): a returning
		 * patient keeps the name and zone on record. */
		if ((name && strcmp(name, stored_name) != 0) ||
		    (tz_name && strcmp(tz_name, stored_tz) != 0)) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
				    "patient '%s' is on record as '%s' in %s; enrol them again with that name and zone, or use another id",
				    patient_id, stored_name, stored_tz);
			return false;
		}
	} else if (!name) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "patient '%s' is new and needs a name", patient_id);
		return false;
	}
	return true;
}

/* What the database holds against enrolling a patient (store_enrol_judge()).
 * *stored_name and *stored_tz (newly allocated) receive the patient row of
 * a returning patient, else NULL. */
static bool store_enrol_check(DosedStore *store, EnrolStatements *s, const char *patient_id,
			      const char *name, const char *tz_name, char **stored_name,
			      char **stored_tz, GError **error)
{
	g_autofree char *active_protocol = NULL;
	g_autofree char *active_start = NULL;
	int rc;

	*stored_name = *stored_tz = NULL;
	bind_text(s->on_record, 1, patient_id);
	rc = sqlite3_step(s->on_record);
	if (rc == SQLITE_ROW) {
		*stored_name = column_strdup(s->on_record, 0);
		*stored_tz = column_strdup(s->on_record, 1);
		/* An active regimen has its patient row (a foreign key). */
		active_protocol = column_strdup(s->on_record, 2);
		active_start = column_strdup(s->on_record, 3);
	} else if (rc != SQLITE_DONE) {
		store_fail(store, rc, "looking for the patient", error);
		store_reset(s->on_record);
		return false;
	}
	store_reset(s->on_record);
	if (!store_enrol_judge(patient_id, name, tz_name, *stored_name, *stored_tz,
			       active_protocol, active_start, error)) {
		g_clear_pointer(stored_name, g_free);
		g_clear_pointer(stored_tz, g_free);
		return false;
	}
	return true;
}

/* The id of the stored protocol copy with exactly this text, stored now
 * when it is new (SPEC 1: the regimen's copy as enrolled). */
static bool store_protocol_copy_id(DosedStore *store, EnrolStatements *s, const char *text,
				   gint64 *copy_id, GError **error)
{
	int rc;
	bool ok;

	bind_text(s->insert_copy, 1, text);
	ok = store_step_done(store, s->insert_copy, "recording the protocol copy", error);
	store_reset(s->insert_copy);
	if (!ok)
		return false;
	bind_text(s->find_copy, 1, text);
	rc = sqlite3_step(s->find_copy);
	if (rc == SQLITE_ROW)
		*copy_id = sqlite3_column_int64(s->find_copy, 0);
	else
		store_fail(store, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc,
			   "recording the protocol copy", error);
	store_reset(s->find_copy);
	return rc == SQLITE_ROW;
}

/* Write the rows of one enrolment that store_enrol_check() allowed.
 * local_tz is the machine's zone name, for a new patient without one. */
static bool store_enrol_insert(DosedStore *store, EnrolStatements *s, const char *patient_id,
			       const char *name, const char *tz_name,
			       const char *stored_name, const char *stored_tz,
			       const DosedProtocol *protocol, gint64 protocol_copy_id,
			       DosedDate start, const char *local_tz, const char *actor,
			       gint64 now, GError **error)
{
	char start_text[DOSED_DATE_BUF];
	gint64 regimen_id;
	bool ok;

	if (!stored_name) {
		if (!tz_name)
			tz_name = local_tz;
		bind_text(s->insert_patient, 1, patient_id);
		bind_text(s->insert_patient, 2, name);
		bind_text(s->insert_patient, 3, tz_name);
		sqlite3_bind_int64(s->insert_patient, 4, now);
		bind_text(s->insert_patient, 5, actor);
		ok = store_step_done(store, s->insert_patient, "recording the patient", error);
		store_reset(s->insert_patient);
		if (!ok)
			return false;
	}

	/* SPEC 1: the regimen keeps its own copy of the protocol. */
	date_format(start, start_text);
	bind_text(s->insert_regimen, 1, patient_id);
	bind_text(s->insert_regimen, 2, protocol->id);
	sqlite3_bind_int64(s->insert_regimen, 3, protocol_copy_id);
	bind_text(s->insert_regimen, 4, start_text);
	sqlite3_bind_int64(s->insert_regimen, 5, now);
	bind_text(s->insert_regimen, 6, actor);
	ok = store_step_done(store, s->insert_regimen, "recording the regimen", error);
	store_reset(s->insert_regimen);
	if (!ok)
		return false;
	regimen_id = sqlite3_last_insert_rowid(store->db);

	sqlite3_bind_int64(s->insert_audit, 1, now);
	bind_text(s->insert_audit, 2, actor);
	bind_text(s->insert_audit, 3, patient_id);
	sqlite3_bind_int64(s->insert_audit, 4, regimen_id);
	bind_text(s->insert_audit, 5, protocol->id);
	bind_text(s->insert_audit, 6, start_text);
	bind_text(s->insert_audit, 7, stored_name ? stored_name : name);
	bind_text(s->insert_audit, 8, stored_tz ? stored_tz : tz_name);
	ok = store_step_done(store, s->insert_audit, "recording the enrolment", error);
	store_reset(s->insert_audit);
	return ok;
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
	EnrolStatements s;
	g_autofree char *stored_name = NULL;
	g_autofree char *stored_tz = NULL;
	g_autofree char *local_tz = NULL;
	g_autofree char *protocol_text = NULL;
	gint64 copy_id = 0;
	bool ok;

	if (!store_enrol_arguments(patient_id, protocol, start, &tz_name, error))
		return false;
	if (tz_name) {
		GTimeZone *tz = zone_open(tz_name, error);

		if (!tz)
			return false;
		g_time_zone_unref(tz);
	}
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	if (!enrol_statements_prepare(store, &s, error))
		return store_write_end(store, false, error);
	ok = store_enrol_check(store, &s, patient_id, name, tz_name, &stored_name, &stored_tz,
			       error);
	if (ok) {
		local_tz = zone_local_name();
		protocol_text = protocol_to_ini(protocol);
		ok = store_protocol_copy_id(store, &s, protocol_text, &copy_id, error) &&
		     store_enrol_insert(store, &s, patient_id, name, tz_name, stored_name,
					stored_tz, protocol, copy_id, start, local_tz, actor,
					now, error);
	}
	enrol_statements_finish(&s);
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
 * per table pays for that three times, not 300,000 times.  n is the row's
 * place in `rows`, from 1.  Kept in memory (temp_store = MEMORY). */
#define ENROL_ROWS_TABLE "temp.store_enrol_row"

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
		"INSERT INTO " ENROL_ROWS_TABLE " (n, patient_id, name, tz, protocol_id, copy_id,"
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
		"SELECT s.n, p.name, p.tz, r.protocol_id, r.start_date FROM " ENROL_ROWS_TABLE " s"
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
		*update = store_prepare(store, "UPDATE " ENROL_ROWS_TABLE " SET name = ?2, tz = ?3,"
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
	static const char *const writes[] = {
		"INSERT INTO patient (id, name, tz, created_at, created_by)"
		" SELECT patient_id, name, tz, ?1, ?2 FROM " ENROL_ROWS_TABLE " WHERE new"
		" ORDER BY n",
		"INSERT INTO regimen (id, patient_id, protocol_id, protocol_copy_id, start_date,"
		" enrolled_at, enrolled_by) SELECT ?3 + n, patient_id, protocol_id, copy_id, start,"
		" ?1, ?2 FROM " ENROL_ROWS_TABLE " ORDER BY n",
		"INSERT INTO audit (at, actor, action, patient_id, regimen_id, detail)"
		" SELECT ?1, ?2, 'enrol', patient_id, ?3 + n, "
		STORE_ENROL_DETAIL("protocol_id", "start", "name", "tz")
		" FROM " ENROL_ROWS_TABLE " ORDER BY n",
	};
	static const char *const doing[] = {
		"recording the patients", "recording the regimens", "recording the enrolments",
	};
	gint64 base;

	if (!store_query_int64(store, "SELECT coalesce(max(id), 0) FROM regimen",
			       "recording the regimens", &base, error))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(writes); i++) {
		g_autoptr(sqlite3_stmt) stmt = store_prepare(store, writes[i], error);

		if (!stmt)
			return false;
		sqlite3_bind_int64(stmt, 1, now);
		bind_text(stmt, 2, actor);
		if (sqlite3_bind_parameter_count(stmt) >= 3)
			sqlite3_bind_int64(stmt, 3, base);
		if (!store_step_done(store, stmt, doing[i], error))
			return false;
	}
	return true;
}

/* Check and write every row; see store_enrol_many().  Rows are checked in
 * order, each as store_enrol() would after the rows before it were
 * written: a repeated id is refused as already enrolled by its first
 * accepted row. */
static bool store_enrol_many_rows(DosedStore *store, EnrolStatements *s, DosedEnrolment *rows,
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
			GTimeZone *tz = zone_open(tz_name, &row->error);

			if (!tz) {
				refused++;
				continue;
			}
			g_time_zone_unref(tz);
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

	if (!store_exec(store, "DROP TABLE IF EXISTS " ENROL_ROWS_TABLE ";"
			"CREATE TABLE " ENROL_ROWS_TABLE " (n INTEGER PRIMARY KEY,"
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
			store_enrol_judge(row->patient_id, row->name, tz_name, NULL, NULL,
					  earlier->protocol->id, start_text, &row->error);
			refused++;
			continue;
		}
		if (!store_enrol_judge(row->patient_id, row->name, tz_name, state->stored_name,
				       state->stored_tz, state->active_protocol,
				       state->active_start, &row->error)) {
			refused++;
			continue;
		}
		g_hash_table_insert(accepted, (gpointer)row->patient_id, GSIZE_TO_POINTER(i));
		if (state->stored_name && !refused &&
		    !store_enrol_many_returning(store, &update, (gint64)i + 1, state, &failure))
			goto out;
	}
	if (refused) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "%zu of the %zu patients cannot be enrolled; correct them and try again",
			    refused, n_rows);
	} else {
		ok = store_enrol_many_write(store, actor, now, &failure);
	}
out:
	sqlite3_finalize(update);
	enrol_row_states_free(states, n_rows);
	/* The caller's savepoint would undo the table on a refusal too;
	 * dropping it here leaves the connection as it was either way. */
	if (!failure && !store_exec(store, "DROP TABLE IF EXISTS " ENROL_ROWS_TABLE,
				    "preparing the enrolments", &failure))
		ok = false;
	if (failure)
		return store_enrol_many_fail(rows, n_rows, failure, error);
	return ok;
}

bool store_enrol_many(DosedStore *store, DosedEnrolment *rows, size_t n_rows,
		      const char *actor, gint64 now, GError **error)
{
	EnrolStatements s;
	bool ok;

	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	if (!enrol_statements_prepare(store, &s, error))
		return store_write_end(store, false, error);
	/* Keep every changed page in memory until the commit: with the
	 * default cache (2 MB) an import of 100,000 patients (about 35 MB of
	 * tables and indexes) wrote changed pages out to the WAL and changed
	 * them again some 80 times over (680,000 writes).  The commit still
	 * writes and syncs each page once (synchronous stays FULL). */
	ok = store_exec(store, "PRAGMA cache_spill = OFF", "preparing the enrolments", error) &&
	     store_enrol_many_rows(store, &s, rows, n_rows, actor, now, error);
	enrol_statements_finish(&s);
	sqlite3_exec(store->db, "PRAGMA cache_spill = ON", NULL, NULL, NULL);
	return store_write_end(store, ok, error);
}

static bool store_log_rows(DosedStore *store, const DosedRegimen *regimen,
			   const DosedPlannedDose *logged_as, gint64 given_at, const char *site,
			   const char *note, bool forced, const char *actor, gint64 now,
			   gint64 *dose_id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 id;
	int rc;

	if (!store_check_active(store, regimen, error))
		return false;
	stmt = store_prepare(store,
		"INSERT INTO dose (regimen_id, ordinal, phase_index, given_at, site, note,"
		" forced, logged_at, logged_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, regimen->regimen_id);
	sqlite3_bind_int(stmt, 2, logged_as->ordinal);
	sqlite3_bind_int(stmt, 3, logged_as->phase_index);
	sqlite3_bind_int64(stmt, 4, given_at);
	bind_text(stmt, 5, site);
	bind_text(stmt, 6, note);
	sqlite3_bind_int(stmt, 7, forced);
	sqlite3_bind_int64(stmt, 8, now);
	bind_text(stmt, 9, actor);
	rc = sqlite3_step(stmt);
	if (store_is_unique_violation(rc)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_EXISTS,
			    "dose %d of patient '%s' is already logged; void it first to log it again",
			    logged_as->ordinal, regimen->patient_id);
		return false;
	}
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "recording the dose", error);
		return false;
	}
	id = sqlite3_last_insert_rowid(store->db);
	g_clear_pointer(&stmt, sqlite3_finalize);

	stmt = store_prepare(store,
		"INSERT INTO audit (at, actor, action, patient_id, regimen_id, dose_id, detail)"
		" VALUES (?1, ?2, 'log', ?3, ?4, ?5,"
		" json_object('ordinal', ?6, 'phase', ?7, 'given_at', ?8, 'site', ?9,"
		" 'forced', json(CASE WHEN ?10 THEN 'true' ELSE 'false' END)))", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	bind_text(stmt, 3, regimen->patient_id);
	sqlite3_bind_int64(stmt, 4, regimen->regimen_id);
	sqlite3_bind_int64(stmt, 5, id);
	sqlite3_bind_int(stmt, 6, logged_as->ordinal);
	sqlite3_bind_int(stmt, 7, logged_as->phase_index);
	sqlite3_bind_int64(stmt, 8, given_at);
	bind_text(stmt, 9, site);
	sqlite3_bind_int(stmt, 10, forced);
	if (!store_step_done(store, stmt, "recording the dose", error))
		return false;
	if (dose_id)
		*dose_id = id;
	return true;
}

bool store_log_dose(DosedStore *store, const DosedRegimen *regimen,
		    const DosedPlannedDose *logged_as, gint64 given_at, const char *site,
		    const char *note, bool forced, const char *actor, gint64 now,
		    gint64 *dose_id, GError **error)
{
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	return store_write_end(store,
			       store_log_rows(store, regimen, logged_as, given_at, site, note,
					      forced, actor, now, dose_id, error),
			       error);
}

static bool store_void_rows(DosedStore *store, gint64 dose_id, const char *reason,
			    const char *actor, gint64 now, char **patient_id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree char *owner = NULL;
	gint64 regimen_id;
	int ordinal;
	int rc;

	stmt = store_prepare(store,
		"SELECT r.patient_id, d.regimen_id, d.ordinal, d.voided_at, d.voided_by, p.tz"
		" FROM dose d JOIN regimen r ON r.id = d.regimen_id"
		" JOIN patient p ON p.id = r.patient_id WHERE d.id = ?1", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, dose_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
			    "unknown dose %" G_GINT64_FORMAT "; 'dosectl show PATIENT' lists the dose ids",
			    dose_id);
		return false;
	}
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "looking for the dose", error);
		return false;
	}
	if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) {
		char day[DOSED_DATE_BUF];

		store_format_day(sqlite3_column_int64(stmt, 3),
				 (const char *)sqlite3_column_text(stmt, 5), day);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_EXISTS,
			    "dose %" G_GINT64_FORMAT " is already void (voided on %s by %s); nothing to do",
			    dose_id, day, (const char *)sqlite3_column_text(stmt, 4));
		return false;
	}
	owner = column_strdup(stmt, 0);
	regimen_id = sqlite3_column_int64(stmt, 1);
	ordinal = sqlite3_column_int(stmt, 2);
	g_clear_pointer(&stmt, sqlite3_finalize);

	stmt = store_prepare(store,
		"UPDATE dose SET voided_at = ?1, voided_by = ?2, void_reason = ?3"
		" WHERE id = ?4 AND voided_at IS NULL", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	bind_text(stmt, 3, reason);
	sqlite3_bind_int64(stmt, 4, dose_id);
	if (!store_step_done(store, stmt, "voiding the dose", error))
		return false;
	g_clear_pointer(&stmt, sqlite3_finalize);

	stmt = store_prepare(store,
		"INSERT INTO audit (at, actor, action, patient_id, regimen_id, dose_id, detail)"
		" VALUES (?1, ?2, 'void', ?3, ?4, ?5, json_object('ordinal', ?6, 'reason', ?7))",
		error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	bind_text(stmt, 3, owner);
	sqlite3_bind_int64(stmt, 4, regimen_id);
	sqlite3_bind_int64(stmt, 5, dose_id);
	sqlite3_bind_int(stmt, 6, ordinal);
	bind_text(stmt, 7, reason);
	if (!store_step_done(store, stmt, "voiding the dose", error))
		return false;
	if (patient_id)
		*patient_id = g_steal_pointer(&owner);
	return true;
}

bool store_void_dose(DosedStore *store, gint64 dose_id, const char *reason,
		     const char *actor, gint64 now, char **patient_id, GError **error)
{
	if (patient_id)
		*patient_id = NULL;
	if (!reason || !*reason) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "voiding dose %" G_GINT64_FORMAT " needs a reason, kept in its record",
			    dose_id);
		return false;
	}
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	return store_write_end(store,
			       store_void_rows(store, dose_id, reason, actor, now, patient_id,
					       error),
			       error);
}

static bool store_advance_rows(DosedStore *store, const DosedRegimen *regimen, int phase_index,
			       const char *actor, gint64 now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	const char *phase_name = regimen->protocol->phases[phase_index].name;
	int rc;

	if (!store_check_active(store, regimen, error))
		return false;
	/* Where the advance stands among the doses (schedule.h): after every
	 * dose recorded so far, read in this write transaction. */
	stmt = store_prepare(store,
		"INSERT INTO advance (regimen_id, phase_index, after_dose_id, advanced_at,"
		" advanced_by) VALUES (?1, ?2,"
		" (SELECT coalesce(max(id), 0) FROM dose WHERE regimen_id = ?1), ?3, ?4)", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, regimen->regimen_id);
	sqlite3_bind_int(stmt, 2, phase_index);
	sqlite3_bind_int64(stmt, 3, now);
	bind_text(stmt, 4, actor);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		store_fail(store, rc, "recording the advance", error);
		return false;
	}
	g_clear_pointer(&stmt, sqlite3_finalize);

	stmt = store_prepare(store,
		"INSERT INTO audit (at, actor, action, patient_id, regimen_id, detail)"
		" VALUES (?1, ?2, 'advance', ?3, ?4, json_object('phase', ?5, 'name', ?6))",
		error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	bind_text(stmt, 3, regimen->patient_id);
	sqlite3_bind_int64(stmt, 4, regimen->regimen_id);
	sqlite3_bind_int(stmt, 5, phase_index);
	bind_text(stmt, 6, phase_name);
	return store_step_done(store, stmt, "recording the advance", error);
}

bool store_advance(DosedStore *store, const DosedRegimen *regimen, int phase_index,
		   const char *actor, gint64 now, GError **error)
{
	if (phase_index < 0 || (size_t)phase_index >= regimen->protocol->n_phases) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the protocol of patient '%s' has no phase %d", regimen->patient_id,
			    phase_index + 1);
		return false;
	}
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	return store_write_end(store,
			       store_advance_rows(store, regimen, phase_index, actor, now, error),
			       error);
}

static bool store_stop_rows(DosedStore *store, const DosedRegimen *regimen, const char *actor,
			    gint64 now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	int rc;

	stmt = store_prepare(store,
		"SELECT r.stopped_at, r.stopped_by, p.tz FROM regimen r"
		" JOIN patient p ON p.id = r.patient_id WHERE r.id = ?1", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, regimen->regimen_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
			    "unknown patient '%s'; see 'dosectl patients'", regimen->patient_id);
		return false;
	}
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "reading the regimen", error);
		return false;
	}
	if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
		char day[DOSED_DATE_BUF];

		store_format_day(sqlite3_column_int64(stmt, 0),
				 (const char *)sqlite3_column_text(stmt, 2), day);
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "patient '%s' was already stopped on %s by %s; nothing to do",
			    regimen->patient_id, day, (const char *)sqlite3_column_text(stmt, 1));
		return false;
	}
	g_clear_pointer(&stmt, sqlite3_finalize);

	stmt = store_prepare(store,
		"UPDATE regimen SET stopped_at = ?1, stopped_by = ?2"
		" WHERE id = ?3 AND stopped_at IS NULL", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	sqlite3_bind_int64(stmt, 3, regimen->regimen_id);
	if (!store_step_done(store, stmt, "stopping the regimen", error))
		return false;
	g_clear_pointer(&stmt, sqlite3_finalize);

	stmt = store_prepare(store,
		"INSERT INTO audit (at, actor, action, patient_id, regimen_id, detail)"
		" VALUES (?1, ?2, 'stop', ?3, ?4, json_object('protocol', ?5))", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	bind_text(stmt, 3, regimen->patient_id);
	sqlite3_bind_int64(stmt, 4, regimen->regimen_id);
	bind_text(stmt, 5, regimen->protocol_id);
	return store_step_done(store, stmt, "stopping the regimen", error);
}

bool store_stop(DosedStore *store, const DosedRegimen *regimen, const char *actor,
		gint64 now, GError **error)
{
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	return store_write_end(store, store_stop_rows(store, regimen, actor, now, error), error);
}

/* ---- feeds (SPEC 4) -------------------------------------------------- */

/* Issue inside the savepoint of store_issue_feed_token(). */
static bool store_issue_rows(DosedStore *store, const char *patient_id, const char *hash,
			     bool rotate, const char *actor, gint64 now, bool *issued,
			     gint64 *issued_at, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 old_id = 0;
	gint64 token_id;
	int rc;

	if (patient_id) {
		stmt = store_prepare(store, "SELECT 1 FROM patient WHERE id = ?1", error);
		if (!stmt)
			return false;
		bind_text(stmt, 1, patient_id);
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
				    "unknown patient '%s'; see 'dosectl patients'", patient_id);
			return false;
		}
		if (rc != SQLITE_ROW) {
			store_fail(store, rc, "looking for the patient", error);
			return false;
		}
		g_clear_pointer(&stmt, sqlite3_finalize);
	}

	/* "IS" matches the clinic's NULL patient too. */
	stmt = store_prepare(store,
		"SELECT id, issued_at FROM feed_token"
		" WHERE patient_id IS ?1 AND revoked_at IS NULL", error);
	if (!stmt)
		return false;
	bind_text(stmt, 1, patient_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		old_id = sqlite3_column_int64(stmt, 0);
		if (!rotate) {
			/* Only the hash is kept: the token cannot be shown
			 * again, only renewed (dosectl feed --rotate). */
			*issued_at = sqlite3_column_int64(stmt, 1);
			return true;
		}
	} else if (rc != SQLITE_DONE) {
		store_fail(store, rc, "looking for the feed token", error);
		return false;
	}
	g_clear_pointer(&stmt, sqlite3_finalize);

	/* SPEC 4: rotating revokes the old token at once, in the same
	 * transaction as the new one is issued. */
	if (old_id != 0) {
		stmt = store_prepare(store,
			"UPDATE feed_token SET revoked_at = ?1, revoked_by = ?2"
			" WHERE id = ?3 AND revoked_at IS NULL", error);
		if (!stmt)
			return false;
		sqlite3_bind_int64(stmt, 1, now);
		bind_text(stmt, 2, actor);
		sqlite3_bind_int64(stmt, 3, old_id);
		if (!store_step_done(store, stmt, "revoking the feed token", error))
			return false;
		g_clear_pointer(&stmt, sqlite3_finalize);
	}

	stmt = store_prepare(store,
		"INSERT INTO feed_token (patient_id, hash, issued_at, issued_by)"
		" VALUES (?1, ?2, ?3, ?4)", error);
	if (!stmt)
		return false;
	bind_text(stmt, 1, patient_id);
	bind_text(stmt, 2, hash);
	sqlite3_bind_int64(stmt, 3, now);
	bind_text(stmt, 4, actor);
	if (!store_step_done(store, stmt, "recording the feed token", error))
		return false;
	token_id = sqlite3_last_insert_rowid(store->db);
	g_clear_pointer(&stmt, sqlite3_finalize);

	/* The audit row says what happened to whose feed, never the token
	 * or its hash: the trail is read by more people than the feed. */
	stmt = store_prepare(store,
		"INSERT INTO audit (at, actor, action, patient_id, detail)"
		" VALUES (?1, ?2, 'feed', ?3, json_object('event', ?4, 'feed', ?5,"
		" 'patient', ?3, 'feed_token_id', ?6, 'revoked_feed_token_id', ?7))", error);
	if (!stmt)
		return false;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text(stmt, 2, actor);
	bind_text(stmt, 3, patient_id);
	bind_text(stmt, 4, old_id != 0 ? "rotate" : "issue");
	bind_text(stmt, 5, patient_id ? "patient" : "clinic");
	sqlite3_bind_int64(stmt, 6, token_id);
	if (old_id != 0)
		sqlite3_bind_int64(stmt, 7, old_id);
	else
		sqlite3_bind_null(stmt, 7);
	if (!store_step_done(store, stmt, "recording the feed token", error))
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

/* ---- reminders (SPEC 4) ---------------------------------------------- */

bool store_load_reminder_record(DosedStore *store, gint64 regimen_id, int ordinal,
				DosedReminderRecord *record, GError **error)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(record, 0, sizeof *record);
	/* One query, each half answered from its index alone; max() of no
	 * rows is NULL, read as 0 ("none"). */
	if (!store->reminder_record &&
	    !(store->reminder_record = store_prepare(store,
		"SELECT (SELECT max(moment) FROM reminder_delivery"
		"        WHERE regimen_id = ?1 AND ordinal = ?2),"
		" (SELECT max(until) FROM reminder_snooze"
		"        WHERE regimen_id = ?1 AND ordinal = ?2)", error)))
		return false;
	stmt = store->reminder_record;
	sqlite3_bind_int64(stmt, 1, regimen_id);
	sqlite3_bind_int(stmt, 2, ordinal);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(store, rc, "reading the reminders", error);
		sqlite3_reset(stmt);
		return false;
	}
	record->last_delivered = sqlite3_column_int64(stmt, 0);
	record->snoozed_until = sqlite3_column_int64(stmt, 1);
	/* Reset now: a statement left stepping would hold its read
	 * transaction open past the caller's. */
	sqlite3_reset(stmt);
	return true;
}

/* Insert one reminder row; an unknown regimen is named rather than left
 * as SQLite's bare "FOREIGN KEY constraint failed". */
static bool store_reminder_insert(DosedStore *store, sqlite3_stmt *stmt, gint64 regimen_id,
				  const char *doing, GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_DONE)
		return true;
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_NOT_FOUND,
			    "no regimen %" G_GINT64_FORMAT " in the database %s; reload the patients",
			    regimen_id, store->path);
		return false;
	}
	store_fail(store, rc, doing, error);
	return false;
}

static bool store_check_reminder_dose(int ordinal, gint64 moment, const char *what,
				      GError **error)
{
	if (ordinal < 1) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "a %s needs the ordinal of a dose (1 or more), not %d", what, ordinal);
		return false;
	}
	if (moment <= 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "a %s needs a moment after 1970, not %" G_GINT64_FORMAT, what, moment);
		return false;
	}
	return true;
}

static const char *store_reminder_kind_name(DosedReminderKind kind)
{
	switch (kind) {
	case DOSED_REMINDER_LEAD:
		return "lead";
	case DOSED_REMINDER_DUE:
		return "due";
	case DOSED_REMINDER_OVERDUE:
		return "overdue";
	case DOSED_REMINDER_NONE:
	default:
		return NULL;
	}
}

bool store_record_reminder(DosedStore *store, gint64 regimen_id, int ordinal,
			   DosedReminderKind kind, gint64 moment, gint64 now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	const char *kind_name = store_reminder_kind_name(kind);

	if (!kind_name) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "no reminder to record (kind %d); only a lead, due or overdue reminder is delivered",
			    (int)kind);
		return false;
	}
	if (!store_check_reminder_dose(ordinal, moment, "delivered reminder", error) ||
	    !store_write_begin(store, error))
		return false;
	stmt = store_prepare(store,
		"INSERT INTO reminder_delivery (regimen_id, ordinal, kind, moment, delivered_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5)", error);
	if (stmt) {
		sqlite3_bind_int64(stmt, 1, regimen_id);
		sqlite3_bind_int(stmt, 2, ordinal);
		bind_text(stmt, 3, kind_name);
		sqlite3_bind_int64(stmt, 4, moment);
		sqlite3_bind_int64(stmt, 5, now);
	}
	return store_write_end(store,
			       stmt && store_reminder_insert(store, stmt, regimen_id,
							     "recording the reminder", error),
			       error);
}

bool store_record_snooze(DosedStore *store, gint64 regimen_id, int ordinal, gint64 until,
			 gint64 now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	if (!store_check_reminder_dose(ordinal, until, "snooze", error) ||
	    !store_write_begin(store, error))
		return false;
	stmt = store_prepare(store,
		"INSERT INTO reminder_snooze (regimen_id, ordinal, until, asked_at)"
		" VALUES (?1, ?2, ?3, ?4)", error);
	if (stmt) {
		sqlite3_bind_int64(stmt, 1, regimen_id);
		sqlite3_bind_int(stmt, 2, ordinal);
		sqlite3_bind_int64(stmt, 3, until);
		sqlite3_bind_int64(stmt, 4, now);
	}
	return store_write_end(store,
			       stmt && store_reminder_insert(store, stmt, regimen_id,
							     "recording the snooze", error),
			       error);
}

bool store_data_version(DosedStore *store, gint64 *version, GError **error)
{
	return store_query_int64(store, "PRAGMA data_version", "reading its data version", version,
				 error);
}

bool store_audit_mark(DosedStore *store, gint64 *mark, GError **error)
{
	return store_query_int64(store, "SELECT coalesce(max(id), 0) FROM audit",
				 "reading its audit trail", mark, error);
}

const char *store_path(const DosedStore *store)
{
	return store->path;
}
