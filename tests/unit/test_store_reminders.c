/* test_store_reminders.c - what the reminders delivered and the snoozes
 * asked (core/store_reminders.c).
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

/* SQLite's plan for a query, its details one a line. */
static char *query_plan(const char *path, const char *sql)
{
	g_autofree char *explain = g_strconcat("EXPLAIN QUERY PLAN ", sql, NULL);
	GString *out = g_string_new(NULL);
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, explain, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", explain, sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW)
		g_string_append_printf(out, "%s\n", (const char *)sqlite3_column_text(stmt, 3));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return g_string_free(out, FALSE);
}

/* A record is the newest delivered moment and the newest snooze end of one
 * dose (regimen, ordinal): the max, whatever order they were written in,
 * and nothing of another dose or regimen. */
static void test_reminder_record_round_trip(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *ann, *bob;
	DosedReminderRecord record;
	g_autofree char *rows = NULL;
	g_autofree char *plan = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	enrol_patient(store, fixture, "P2", "Bob", 23);
	ann = load_patient(store, "P1");
	bob = load_patient(store, "P2");

	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);

	record_reminder(store, ann->regimen_id, 1, DOSED_REMINDER_LEAD, T0 - DAY, T0 - DAY + 2);
	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, T0 - DAY);
	assert_int_equal(record.snoozed_until, 0);

	record_reminder(store, ann->regimen_id, 1, DOSED_REMINDER_OVERDUE, T0 + DAY, T0 + DAY + 1);
	/* Written later for an earlier moment (two daemons, a clock set
	 * back): the newest moment still wins. */
	record_reminder(store, ann->regimen_id, 1, DOSED_REMINDER_DUE, T0, T0 + DAY + 5);
	record_snooze(store, ann->regimen_id, 1, T0 + 2 * 3600, T0 + 3600);
	record_snooze(store, ann->regimen_id, 1, T0 + 3600, T0 + 1800);
	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, T0 + DAY);
	assert_int_equal(record.snoozed_until, T0 + 2 * 3600);

	/* Another dose of the same regimen, and the same ordinal of another
	 * regimen, start empty. */
	record = load_record(store, ann->regimen_id, 2);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);
	record = load_record(store, bob->regimen_id, 1);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);
	record_snooze(store, bob->regimen_id, 1, T0 + 7200, T0 + 3600);
	record = load_record(store, bob->regimen_id, 1);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, T0 + 7200);

	/* Survives a reopen; every row kept, with its kind and when. */
	store_close(store);
	store = open_store(fixture->db);
	record = load_record(store, ann->regimen_id, 1);
	assert_int_equal(record.last_delivered, T0 + DAY);
	rows = table_dump(fixture->db, "reminder_delivery", false);
	assert_string_equal(rows,
			    "1|1|1|lead|1795341600|1795341602\n"
			    "2|1|1|overdue|1795514400|1795514401\n"
			    "3|1|1|due|1795428000|1795514405\n");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_snooze"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT asked_at FROM reminder_snooze"
				 " WHERE until = " G_STRINGIFY(1795435200)), T0 + 3600);
	/* The lookup reads the indexes alone, not the tables. */
	plan = query_plan(fixture->db,
		"SELECT (SELECT max(moment) FROM reminder_delivery"
		"        WHERE regimen_id = ?1 AND ordinal = ?2),"
		" (SELECT max(until) FROM reminder_snooze"
		"        WHERE regimen_id = ?1 AND ordinal = ?2)");
	assert_non_null(strstr(plan, "USING COVERING INDEX reminder_delivery_by_dose"));
	assert_non_null(strstr(plan, "USING COVERING INDEX reminder_snooze_by_dose"));
	regimen_destroy(ann);
	regimen_destroy(bob);
	store_close(store);
}

/* Append-only (SPEC 5): a delivered reminder or a snooze is never
 * rewritten or removed, and the schema refuses what is not a reminder. */
static void test_reminder_tables_append_only(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	regimen = load_patient(store, "P1");
	record_reminder(store, regimen->regimen_id, 1, DOSED_REMINDER_DUE, T0, T0 + 1);
	record_snooze(store, regimen->regimen_id, 1, T0 + 3600, T0 + 10);
	regimen_destroy(regimen);
	store_close(store);

	assert_int_equal(sql_try(fixture->db, "DELETE FROM reminder_delivery"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "UPDATE reminder_delivery SET moment = 1"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "UPDATE reminder_delivery SET delivered_at = 1"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "DELETE FROM reminder_snooze"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_try(fixture->db, "UPDATE reminder_snooze SET until = 1"),
			 SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(sql_int(fixture->db, "SELECT moment FROM reminder_delivery"), T0);
	assert_int_equal(sql_int(fixture->db, "SELECT until FROM reminder_snooze"), T0 + 3600);

	assert_int_equal(sql_try(fixture->db, "INSERT INTO reminder_delivery (regimen_id,"
				 " ordinal, kind, moment, delivered_at) VALUES (1, 1, 'snooze', 5, 5)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO reminder_delivery (regimen_id,"
				 " ordinal, kind, moment, delivered_at) VALUES (1, 0, 'due', 5, 5)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO reminder_snooze (regimen_id,"
				 " ordinal, until, asked_at) VALUES (1, 1, 0, 5)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "PRAGMA foreign_keys = ON;"
				 " INSERT INTO reminder_snooze (regimen_id, ordinal, until, asked_at)"
				 " VALUES (42, 1, 5, 5)"), SQLITE_CONSTRAINT_FOREIGNKEY);
}

/* What cannot be a reminder is refused with a message and writes nothing;
 * so is a write outside a write transaction. */
static void test_reminder_refused(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;
	DosedReminderRecord record;
	GError *error = NULL;
	gint64 id;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	regimen = load_patient(store, "P1");
	id = regimen->regimen_id;

	assert_false(store_record_reminder(store, id, 1, DOSED_REMINDER_DUE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);
	assert_false(store_record_snooze(store, id, 1, T0 + 3600, T0, &error));
	assert_error(error, DOSED_ERROR_STORE, "outside a write transaction");
	g_clear_error(&error);

	begin_write(store);
	/* A good row first: the refusals after it must not take it away. */
	assert_true(store_record_reminder(store, id, 1, DOSED_REMINDER_LEAD, T0 - DAY, T0,
					  &error));
	assert_false(store_record_reminder(store, id, 1, DOSED_REMINDER_NONE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "only a lead, due or overdue reminder");
	g_clear_error(&error);
	assert_false(store_record_reminder(store, id, 0, DOSED_REMINDER_DUE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "ordinal of a dose (1 or more), not 0");
	g_clear_error(&error);
	assert_false(store_record_reminder(store, id, 1, DOSED_REMINDER_DUE, 0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "needs a moment after 1970");
	g_clear_error(&error);
	assert_false(store_record_snooze(store, id, 1, 0, T0, &error));
	assert_error(error, DOSED_ERROR_INVALID, "a snooze needs a moment after 1970");
	g_clear_error(&error);
	assert_false(store_record_reminder(store, id + 41, 1, DOSED_REMINDER_DUE, T0, T0, &error));
	assert_error(error, DOSED_ERROR_NOT_FOUND, "no regimen");
	assert_non_null(strstr(error->message, "reload the patients"));
	g_clear_error(&error);
	assert_false(store_record_snooze(store, id + 41, 1, T0 + 3600, T0, &error));
	assert_error(error, DOSED_ERROR_NOT_FOUND, "no regimen");
	g_clear_error(&error);
	commit(store);

	record = load_record(store, id, 1);
	assert_int_equal(record.last_delivered, T0 - DAY);
	assert_int_equal(record.snoozed_until, 0);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_delivery"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_snooze"), 0);

	/* A rolled-back delivery was never delivered. */
	begin_write(store);
	assert_true(store_record_reminder(store, id, 1, DOSED_REMINDER_DUE, T0, T0, &error));
	store_rollback(store);
	record = load_record(store, id, 1);
	assert_int_equal(record.last_delivered, T0 - DAY);
	regimen_destroy(regimen);
	store_close(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_reminder_record_round_trip),
		STORE_TEST(test_reminder_tables_append_only),
		STORE_TEST(test_reminder_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
