/* store_doses.c - the changes to a regimen after enrolment: a dose
 * logged or voided, a phase advanced, the regimen stopped. */
#include "store_private.h"

/* "YYYY-MM-DD" of an instant in a zone (by name), for messages. */
static void store_format_day(gint64 instant, const char *tz_name, char *buf)
{
	GTimeZone *tz = zone_open(tz_name, NULL);

	if (!tz)
		tz = g_time_zone_new_utc();
	date_format(date_of_instant(instant, tz), buf);
	g_time_zone_unref(tz);
}

/* A regimen can take doses and advances only while it is not stopped; the
 * database, not the caller's copy, says so. */
static bool store_check_active(DosedStore *store, const DosedRegimen *regimen,
			       GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_statement(store,
		"SELECT r.stopped_at, p.tz FROM regimen r JOIN patient p ON p.id = r.patient_id"
		" WHERE r.id = ?1", STORE_VALUES(STORE_INT(regimen->regimen_id)), error);
	char day[DOSED_DATE_BUF];
	bool row;

	if (!stmt || !store_next_row(store, stmt, "reading a regimen", &row, error))
		return false;
	if (!row) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_PATIENT,
			    "unknown patient '%s'", regimen->patient_id);
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
	stmt = store_statement(store,
		"INSERT INTO dose (regimen_id, ordinal, phase_index, given_at, site, note,"
		" forced, logged_at, logged_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		STORE_VALUES(STORE_INT(regimen->regimen_id), STORE_INT(logged_as->ordinal),
			     STORE_INT(logged_as->phase_index), STORE_INT(given_at),
			     STORE_TEXT(site), STORE_TEXT(note), STORE_INT(forced), STORE_INT(now),
			     STORE_TEXT(actor)),
		error);
	if (!stmt)
		return false;
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
	if (!store_audit(store, STORE_AUDIT_LOG,
			 &(StoreAuditRow){ now, actor, regimen->patient_id, regimen->regimen_id, id },
			 STORE_VALUES(STORE_INT(logged_as->ordinal), STORE_INT(logged_as->phase_index),
				      STORE_INT(given_at), STORE_TEXT(site), STORE_INT(forced)),
			 error))
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
	g_autoptr(sqlite3_stmt) stmt = store_statement(store,
		"SELECT r.patient_id, d.regimen_id, d.ordinal, d.voided_at, d.voided_by, p.tz"
		" FROM dose d JOIN regimen r ON r.id = d.regimen_id"
		" JOIN patient p ON p.id = r.patient_id WHERE d.id = ?1",
		STORE_VALUES(STORE_INT(dose_id)), error);
	g_autofree char *owner = NULL;
	gint64 regimen_id;
	int ordinal;
	bool row;

	if (!stmt || !store_next_row(store, stmt, "looking for the dose", &row, error))
		return false;
	if (!row) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_DOSE,
			    "unknown dose %" G_GINT64_FORMAT,
			    dose_id);
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
	/* Done with the read before the writes. */
	g_clear_pointer(&stmt, sqlite3_finalize);

	if (!store_run(store,
		       "UPDATE dose SET voided_at = ?1, voided_by = ?2, void_reason = ?3"
		       " WHERE id = ?4 AND voided_at IS NULL", "voiding the dose",
		       STORE_VALUES(STORE_INT(now), STORE_TEXT(actor), STORE_TEXT(reason),
				    STORE_INT(dose_id)),
		       error) ||
	    !store_audit(store, STORE_AUDIT_VOID,
			 &(StoreAuditRow){ now, actor, owner, regimen_id, dose_id },
			 STORE_VALUES(STORE_INT(ordinal), STORE_TEXT(reason)), error))
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
	const char *phase_name = regimen->protocol->phases[phase_index].name;

	/* Where the advance stands among the doses (schedule.h): after every
	 * dose recorded so far, read in this write transaction. */
	return store_check_active(store, regimen, error) &&
	       store_run(store,
			 "INSERT INTO advance (regimen_id, phase_index, after_dose_id, advanced_at,"
			 " advanced_by) VALUES (?1, ?2,"
			 " (SELECT coalesce(max(id), 0) FROM dose WHERE regimen_id = ?1), ?3, ?4)",
			 "recording the advance",
			 STORE_VALUES(STORE_INT(regimen->regimen_id), STORE_INT(phase_index),
				      STORE_INT(now), STORE_TEXT(actor)),
			 error) &&
	       store_audit(store, STORE_AUDIT_ADVANCE,
			   &(StoreAuditRow){ now, actor, regimen->patient_id, regimen->regimen_id, 0 },
			   STORE_VALUES(STORE_INT(phase_index), STORE_TEXT(phase_name)), error);
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
	g_autoptr(sqlite3_stmt) stmt = store_statement(store,
		"SELECT r.stopped_at, r.stopped_by, p.tz FROM regimen r"
		" JOIN patient p ON p.id = r.patient_id WHERE r.id = ?1",
		STORE_VALUES(STORE_INT(regimen->regimen_id)), error);
	bool row;

	if (!stmt || !store_next_row(store, stmt, "reading the regimen", &row, error))
		return false;
	if (!row) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_UNKNOWN_PATIENT,
			    "unknown patient '%s'", regimen->patient_id);
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
	return store_run(store,
			 "UPDATE regimen SET stopped_at = ?1, stopped_by = ?2"
			 " WHERE id = ?3 AND stopped_at IS NULL", "stopping the regimen",
			 STORE_VALUES(STORE_INT(now), STORE_TEXT(actor),
				      STORE_INT(regimen->regimen_id)),
			 error) &&
	       store_audit(store, STORE_AUDIT_STOP,
			   &(StoreAuditRow){ now, actor, regimen->patient_id, regimen->regimen_id, 0 },
			   STORE_VALUES(STORE_TEXT(regimen->protocol_id)), error);
}

bool store_stop(DosedStore *store, const DosedRegimen *regimen, const char *actor,
		gint64 now, GError **error)
{
	if (!store_check_actor(actor, error) || !store_write_begin(store, error))
		return false;
	return store_write_end(store, store_stop_rows(store, regimen, actor, now, error), error);
}
