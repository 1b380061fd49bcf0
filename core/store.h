/* store.h - the SQLite database (SPEC section 5).  All SQL lives behind
 * this header, in store.c and store_*.c (store_private.h says which file
 * holds what).
 *
 * One file, WAL mode, busy_timeout, foreign keys on, schema versioned with
 * PRAGMA user_version and migrated forward on open, marked as ours with
 * PRAGMA application_id.  Nothing is ever deleted: voids and stops are
 * marked, and every change writes a row to the audit table (who, what,
 * when) in the same transaction.
 *
 * Every command is one transaction: store_begin(), then any number of reads
 * and writes, then store_commit() or store_rollback().  The write functions
 * require an open write transaction.
 *
 * A DosedStore (one SQLite connection, opened SQLITE_OPEN_NOMUTEX) may be
 * used from any thread, but by one thread at a time: a thread that shares
 * one with another holds a lock of its own around every use.  Regimens
 * and what they point to may be used and freed in any thread.
 */
#ifndef DOSED_STORE_H
#define DOSED_STORE_H

#include <stdbool.h>
#include <glib.h>

#include "feed_state.h"
#include "protocol.h"
#include "regimen.h"
#include "remind.h"
#include "schedule.h"
#include "timeutil.h"

typedef struct DosedStore DosedStore;

/* Open (creating when missing, with `mode`, e.g. 0600 or 0660, and its
 * parent directory 0700) and migrate.  A file that is not a dosed database,
 * or one written by a newer dosed, is DOSED_ERROR_STORE.  busy_timeout_ms is
 * how long to wait for another writer.  A mode the group may use gives a
 * new file the group "dosed" where it exists and its creator may (root or a
 * member; SPEC 5's clinic group).  A
 * symbolic link at the path, -wal or -shm is never followed (links in the
 * folders above are), and a new database is not made beside a leftover
 * -wal, -shm or -journal: both are DOSED_ERROR_STORE. */
DosedStore *store_open(const char *path, int mode, int busy_timeout_ms, GError **error);
void store_close(DosedStore *store); /* NULL is a no-op; rolls back an open transaction */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DosedStore, store_close)

/* write: BEGIN IMMEDIATE (take the write lock now, waiting up to the busy
 * timeout); else a read transaction. */
bool store_begin(DosedStore *store, bool write, GError **error);
bool store_commit(DosedStore *store, GError **error);
void store_rollback(DosedStore *store);

/* Enrol a patient on a copy of a protocol (with --days already applied).
 * DOSED_ERROR_EXISTS when the patient has an active regimen; a patient whose
 * regimen was stopped starts a new one.  The patient row is never changed:
 * a returning patient keeps the name and zone on record (NULL name or
 * tz_name: as recorded; a different one is DOSED_ERROR_REFUSED).  A new
 * patient needs a name; a NULL tz_name is the machine's zone. */
bool store_enrol(DosedStore *store, const char *patient_id, const char *name,
		 const char *tz_name, const DosedProtocol *protocol, DosedDate start,
		 const char *actor, gint64 now, GError **error);

/* One row of store_enrol_many(): the arguments of store_enrol(). */
typedef struct {
	const char *patient_id;
	const char *name;       /* NULL: as on record (a returning patient) */
	const char *tz_name;    /* NULL: as on record, else the machine's zone */
	/* With --days applied.  Rows may share one protocol: its canonical
	 * text (protocol_to_ini()) is made once per distinct pointer. */
	const DosedProtocol *protocol;
	DosedDate start;
	/* Set (newly allocated; the caller frees it) when store_enrol_many()
	 * refuses this row, with the code and message store_enrol() would
	 * give.  NULL on entry. */
	GError *error;
} DosedEnrolment;

/* Enrol many patients in the caller's write transaction (dosectl import),
 * all or nothing: the same checks, rows and audit as store_enrol() for each
 * row in order, with the statements prepared once.  When any row is
 * refused, every refused row's `error` is set, nothing is written, and the
 * result is false with DOSED_ERROR_REFUSED saying how many.  A database
 * failure is false with `error` set and no row's.  Every row is checked
 * before any is written; a repeated patient id is refused as already
 * enrolled by its first accepted row. */
bool store_enrol_many(DosedStore *store, DosedEnrolment *rows, size_t n_rows,
		      const char *actor, gint64 now, GError **error);

/* One patient with their newest regimen; DOSED_ERROR_UNKNOWN_PATIENT when
 * unknown, DOSED_ERROR_NO_PATIENT for NULL.  Free with regimen_destroy(). */
DosedRegimen *store_load_regimen(DosedStore *store, const char *patient_id, GError **error);
/* Every patient's newest regimen (only active ones when active_only), by
 * patient id.  A few queries in all, not one per patient.  Free with
 * g_ptr_array_unref(). */
GPtrArray *store_load_regimens(DosedStore *store, bool active_only, GError **error);
/* What store_foreach_regimen() calls with each regimen.  The regimen is
 * let go after the call unless the call sets *keep (false on entry): then
 * it is the caller's, to free with regimen_destroy().  False, with `error`
 * set, stops the load.  It may read the store, not write to it. */
typedef bool (*DosedRegimenFunc)(DosedRegimen *regimen, bool *keep, void *data,
				 GError **error);
/* store_load_regimens() one regimen at a time, in the same order and from
 * one snapshot: `each` is called with each regimen in turn, so that memory
 * holds the regimens kept (and the doses of all) whatever the number of
 * patients.  False with `error` set on a store failure or when `each`
 * returned false. */
bool store_foreach_regimen(DosedStore *store, bool active_only, DosedRegimenFunc each,
			   void *data, GError **error);
/* store_foreach_regimen() read in two halves at once, when the machine
 * has a second processor and a second connection to the file sees what
 * the store sees (the caller holds a read transaction): `each` gets
 * first_data with the first half of the patients, in order, on this
 * thread, and second_data with the second half, in order, on another, so
 * that it must touch nothing else; the second half's results follow the
 * first's.  Otherwise every regimen goes with first_data.  *halved says
 * which.  It pays when the other processor is free (bench/NOTES.md). */
bool store_foreach_regimen_halves(DosedStore *store, bool active_only, DosedRegimenFunc each,
				  void *first_data, void *second_data, bool *halved,
				  GError **error);

/* The id of the only patient, for the one-patient shortcut of SPEC 3.
 * *count receives how many patients there are; *patient_id is set (newly
 * allocated) only when there is exactly one. */
bool store_only_patient(DosedStore *store, char **patient_id, int *count, GError **error);

/* Record a dose as the engine placed it (schedule_check_log()).  *dose_id
 * receives the new dose's id. */
bool store_log_dose(DosedStore *store, const DosedRegimen *regimen,
		    const DosedPlannedDose *logged_as, gint64 given_at, const char *site,
		    const char *note, bool forced, const char *actor, gint64 now,
		    gint64 *dose_id, GError **error);
/* Mark a dose void.  DOSED_ERROR_UNKNOWN_DOSE for an unknown id,
 * DOSED_ERROR_EXISTS when already void.  *patient_id (optional) receives the
 * patient it belonged to. */
bool store_void_dose(DosedStore *store, gint64 dose_id, const char *reason,
		     const char *actor, gint64 now, char **patient_id, GError **error);
/* Record that a clinician ended phase `phase_index` (schedule_check_advance()),
 * after every dose of the regimen recorded so far (DosedAdvanceEvent). */
bool store_advance(DosedStore *store, const DosedRegimen *regimen, int phase_index,
		   const char *actor, gint64 now, GError **error);
/* DOSED_ERROR_REFUSED when already stopped. */
bool store_stop(DosedStore *store, const DosedRegimen *regimen, const char *actor,
		gint64 now, GError **error);

/* ---- feeds (SPEC 4) ------------------------------------------------ */

/* An active feed token: its hash and whose feed it opens. */
typedef struct {
	char hash[65];          /* hex SHA-256 of the token (token.h) */
	char *patient_id;       /* NULL for the clinic feed */
	gint64 issued_at;
} DosedFeedToken;

/* Record a new feed token for a patient (patient_id) or the clinic (NULL),
 * given as its hash: the edge makes the token (token.h), shows it once,
 * and gives the store only its hash (hex SHA-256, DOSED_TOKEN_HASH_LEN
 * digits).  When an active one exists and !rotate, nothing is recorded:
 * *issued is false and *issued_at is when the active one was issued (only
 * its hash is kept, so it cannot be shown again).  Otherwise (none, or
 * rotate) the old one is revoked at once, the new hash recorded, *issued
 * set and *issued_at is `now`.  Audited.  DOSED_ERROR_UNKNOWN_PATIENT for an
 * unknown patient. */
bool store_issue_feed_token(DosedStore *store, const char *patient_id, const char *hash,
			    bool rotate, const char *actor, gint64 now, bool *issued,
			    gint64 *issued_at, GError **error);
/* Every active token.  GPtrArray of DosedFeedToken *, freed with the array. */
GPtrArray *store_load_feed_tokens(DosedStore *store, GError **error);

/* Put every saved event state into `states` (feed_state.h). */
bool store_load_feed_states(DosedStore *store, GHashTable *states, GError **error);
/* Save the dirty event states (in a write transaction) and clear their
 * dirty flags. */
bool store_save_feed_states(DosedStore *store, GHashTable *states, GError **error);

/* ---- reminders (SPEC 4) -------------------------------------------- */

/* The reminder record of one dose (remind.h): the newest delivered moment
 * and the newest snooze end; zeros when there are none. */
bool store_load_reminder_record(DosedStore *store, gint64 regimen_id, int ordinal,
				DosedReminderRecord *record, GError **error);
/* Record that the reminder for `moment` of a dose was delivered at `now`
 * (append-only, in the caller's write transaction). */
bool store_record_reminder(DosedStore *store, gint64 regimen_id, int ordinal,
			   DosedReminderKind kind, gint64 moment, gint64 now, GError **error);
/* Record a snooze of a dose's reminder until `until`, asked at `now`. */
bool store_record_snooze(DosedStore *store, gint64 regimen_id, int ordinal, gint64 until,
			 gint64 now, GError **error);

/* PRAGMA data_version: changes when another connection commits. */
bool store_data_version(DosedStore *store, gint64 *version, GError **error);
/* The id of the newest change a person made (its audit row; 0: none).
 * Every change a person makes (an enrolment, a dose logged or voided, an
 * advance, a stop, a feed URL issued or revoked) writes one; the daemon's
 * own bookkeeping (feed event states, reminders shown and snoozed) does
 * not.  So when it has not moved since the last look, nothing the feeds
 * or reminders show has changed. */
bool store_last_change(DosedStore *store, gint64 *change, GError **error);
/* The database file's path, as opened. */
const char *store_path(const DosedStore *store);

#endif
