/* store_reminders.c - what the reminders delivered and the snoozes asked
 * (SPEC 4), so that a restart never repeats a reminder. */
#include "store_private.h"

#include <string.h>

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
	stmt = store_statement(store,
		"INSERT INTO reminder_delivery (regimen_id, ordinal, kind, moment, delivered_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
		STORE_VALUES(STORE_INT(regimen_id), STORE_INT(ordinal), STORE_TEXT(kind_name),
			     STORE_INT(moment), STORE_INT(now)),
		error);
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
	stmt = store_statement(store,
		"INSERT INTO reminder_snooze (regimen_id, ordinal, until, asked_at)"
		" VALUES (?1, ?2, ?3, ?4)",
		STORE_VALUES(STORE_INT(regimen_id), STORE_INT(ordinal), STORE_INT(until),
			     STORE_INT(now)),
		error);
	return store_write_end(store,
			       stmt && store_reminder_insert(store, stmt, regimen_id,
							     "recording the snooze", error),
			       error);
}

