/* test_store_schema.c - the schema: nothing deleted or changed, and every
 * older schema migrated forward in one transaction (core/store_schema.c).
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

/* The database refuses what the code must never do (SPEC 5). */
static void test_nothing_deleted(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	sqlite3 *db = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	log_patient_dose(store, "P1", 1, T0, NULL, NULL);
	store_close(store);

	assert_int_equal(sqlite3_open(fixture->db, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM dose", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE dose SET given_at = 0", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE patient SET name = 'x'", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose WHERE given_at = "
				 G_STRINGIFY(1795428000)), 1);
}

/* tests/data/store/vN.sql: a database as dosed with schema N wrote it
 * (v1: dosed 0.1.0; v2: issue 3; v3: issue 4; v4: issue 7). */
static void write_old_database(const char *path, int version)
{
	const char *data = g_getenv("DOSED_TEST_DATA");
	g_autofree char *name = g_strdup_printf("v%d.sql", version);
	g_autofree char *file = NULL;
	g_autofree char *sql = NULL;
	GError *error = NULL;

	if (!data)
		fail_msg("DOSED_TEST_DATA is not set; run the tests with tests/run");
	file = g_build_filename(data, "store", name, NULL);
	if (!g_file_get_contents(file, &sql, NULL, &error))
		fail_msg("%s", error->message);
	sql_exec(path, sql);
	chmod(path, 0600);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), version);
}

/* The audit rows that match `where`, in full, one a line. */
#define AUDIT_DUMP_WHERE(where) \
	"SELECT group_concat(id || '|' || at || '|' || actor || '|' || action || '|' ||" \
	" ifnull(patient_id, '-') || '|' || ifnull(regimen_id, '-') || '|' ||" \
	" ifnull(dose_id, '-') || '|' || detail, char(10))" \
	" FROM (SELECT * FROM audit WHERE " where " ORDER BY id)"

#define AUDIT_DUMP AUDIT_DUMP_WHERE("1")

/* The schema, every object. */
#define SCHEMA_DUMP \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master ORDER BY type, name)"

static void test_migrate_v1(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *audit_before = NULL;
	g_autofree char *audit_after = NULL;
	g_autofree char *audit_sql = NULL;
	g_autofree char *check = NULL;
	g_autofree char *token = NULL;
	g_autofree char *last = NULL;
	DosedStore *store;
	DosedRegimen *regimen;
	const DosedDose *dose;

	write_old_database(fixture->db, 1);
	audit_before = sql_text(fixture->db, AUDIT_DUMP);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 9);

	store = open_store(fixture->db);
	assert_string_equal(store_path(store), fixture->db);

	/* The health data reads as before. */
	regimen = load_patient(store, "MRN-1");
	assert_string_equal(regimen->name, odd_name);
	assert_string_equal(regimen->protocol_id, "b12-standard");
	assert_int_equal(regimen->doses->len, 3);
	dose = g_ptr_array_index(regimen->doses, 1);
	assert_int_equal(dose->id, 3);
	assert_string_equal(dose->void_reason, "logged twice");
	assert_int_equal(regimen->view.n_doses, 2);
	regimen_destroy(regimen);
	regimen = load_patient(store, "MRN-2");
	assert_int_equal(regimen->stopped_at, 1796979600);
	assert_int_equal(regimen->view.n_advances, 1);
	dose = g_ptr_array_index(regimen->doses, 0);
	assert_string_equal(dose->note, "first dose\ntwo lines");
	regimen_destroy(regimen);

	/* The new tables work, and the rebuilt audit takes feed rows. */
	token = issue_feed_token(store, "MRN-1", false, 1797000000, NULL);
	assert_non_null(token);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(sql_int(fixture->db, "PRAGMA application_id"), 0x444f5345);
	/* Every audit row kept, with its id, and the feed row after them. */
	audit_after = sql_text(fixture->db, AUDIT_DUMP_WHERE("id <= 9"));
	assert_string_equal(audit_after, audit_before);
	last = sql_text(fixture->db, "SELECT id || ':' || action || ':' || patient_id"
			" FROM audit WHERE id > 9");
	assert_string_equal(last, "10:feed:MRN-1");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM patient"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM dose"), 4);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM advance"), 1);
	/* Schema 5: MRN-2's advance came after its one dose (id 2). */
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 1"),
			 2);

	/* The rebuilt table: 'feed' in its CHECK, its index and both
	 * triggers back, no leftover of the rebuild. */
	audit_sql = sql_text(fixture->db, "SELECT sql FROM sqlite_master WHERE name = 'audit'");
	assert_non_null(strstr(audit_sql, "'feed'"));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'audit' AND type = 'trigger'"
				 " AND name IN ('audit_never_deleted', 'audit_never_changed')"), 2);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'audit' AND type = 'index'"
				 " AND name = 'audit_by_patient'"), 1);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name LIKE '%v2%'"), 0);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM audit"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE audit SET actor = 'x'"), SQLITE_OK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action, patient_id,"
				 " regimen_id) VALUES (1, 'x', 'erase', 'MRN-1', 1)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit"), 10);
}

/* A migration that fails half-way (here at its last statement, a table in
 * the way) leaves the schema 1 database exactly as it was. */
static void test_migrate_in_one_transaction(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *audit_before = NULL;
	g_autofree char *audit_after = NULL;
	GError *error = NULL;

	write_old_database(fixture->db, 1);
	sql_exec(fixture->db, "CREATE TABLE feed_event (stray TEXT)");
	schema_before = sql_text(fixture->db, SCHEMA_DUMP);
	audit_before = sql_text(fixture->db, AUDIT_DUMP);

	assert_null(store_open(fixture->db, 0600, 1000, &error));
	assert_error(error, DOSED_ERROR_STORE, "failed while upgrading its schema");
	assert_non_null(strstr(error->message, "feed_event"));
	assert_non_null(strstr(error->message, fixture->db));
	g_error_free(error);

	schema_after = sql_text(fixture->db, SCHEMA_DUMP);
	assert_string_equal(schema_after, schema_before);
	audit_after = sql_text(fixture->db, AUDIT_DUMP);
	assert_string_equal(audit_after, audit_before);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), 1);
}

static const char *const v2_tables[] = {
	"patient", "regimen", "dose", "advance", "audit", "feed_token", "feed_event",
};

/* The schema objects, every one but those of the reminder tables (schema
 * 3) and of the tables schemas 4 and 5 change (test_migrate_v3 and
 * test_migrate_v4 check those). */
#define SCHEMA_DUMP_BUT_REMINDERS \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master WHERE tbl_name NOT LIKE 'reminder%'" \
	" AND tbl_name NOT IN ('regimen', 'protocol_copy', 'audit', 'advance')" \
	" ORDER BY type, name)"

/* Schema 2 -> 3 adds the reminder tables and changes nothing else: every
 * row and every object of schema 2 is as it was. */
static void test_migrate_v2(void **state)
{
	StoreFixture *fixture = *state;
	char *before[G_N_ELEMENTS(v2_tables)];
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *check = NULL;
	GHashTable *states;
	DosedStore *store;
	DosedRegimen *regimen;
	DosedReminderRecord record;

	write_old_database(fixture->db, 2);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP_BUT_REMINDERS);
	for (size_t i = 0; i < G_N_ELEMENTS(v2_tables); i++)
		before[i] = table_dump(fixture->db, v2_tables[i], false);

	store = open_store(fixture->db);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	assert_int_equal(sql_int(fixture->db, "PRAGMA application_id"), 0x444f5345);
	schema_after = sql_text(fixture->db, SCHEMA_DUMP_BUT_REMINDERS);
	assert_string_equal(schema_after, schema_before);
	for (size_t i = 0; i < G_N_ELEMENTS(v2_tables); i++) {
		g_autofree char *after = table_dump(fixture->db, v2_tables[i], true);

		if (strcmp(after, before[i]) != 0)
			fail_msg("table %s changed by the migration:\n%s\n---\n%s", v2_tables[i],
				 before[i], after);
		g_free(before[i]);
	}

	/* What schema 2 held reads as before: MRN-2's newest regimen is
	 * the third, the feed states are there. */
	regimen = load_patient(store, "MRN-2");
	assert_int_equal(regimen->regimen_id, 3);
	assert_string_equal(regimen->protocol_id, "b12-bariatric");
	regimen_destroy(regimen);
	regimen = load_patient(store, "MRN-1");
	assert_string_equal(regimen->name, odd_name);
	assert_int_equal(regimen->view.n_doses, 2);
	regimen_destroy(regimen);
	states = load_states(store);
	assert_int_equal(g_hash_table_size(states), 12);
	g_hash_table_unref(states);

	/* The new tables, on the old regimens. */
	record = load_record(store, 1, 3);
	assert_int_equal(record.last_delivered, 0);
	assert_int_equal(record.snoozed_until, 0);
	record_reminder(store, 1, 3, DOSED_REMINDER_OVERDUE, 1795770000, 1795770001);
	record_snooze(store, 1, 3, 1795773601, 1795770010);
	record_reminder(store, 3, 1, DOSED_REMINDER_DUE, 1797260400, 1797260405);
	record = load_record(store, 1, 3);
	assert_int_equal(record.last_delivered, 1795770000);
	assert_int_equal(record.snoozed_until, 1795773601);
	record = load_record(store, 3, 1);
	assert_int_equal(record.last_delivered, 1797260400);
	assert_int_equal(record.snoozed_until, 0);
	store_close(store);

	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE type = 'trigger' AND name IN"
				 " ('reminder_delivery_never_deleted', 'reminder_delivery_never_changed',"
				 "  'reminder_snooze_never_deleted', 'reminder_snooze_never_changed')"), 4);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE type = 'index' AND name IN"
				 " ('reminder_delivery_by_dose', 'reminder_snooze_by_dose')"), 2);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	/* Schema 5: MRN-2's advance came after its one dose (id 2). */
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 1"),
			 2);
	/* Reopening a migrated database migrates nothing more. */
	store_close(open_store(fixture->db));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM reminder_delivery"), 2);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A step 2 -> 3 that fails (a table in the way) leaves schema 2 whole. */
static void test_migrate_v2_in_one_transaction(void **state)
{
	StoreFixture *fixture = *state;
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	GError *error = NULL;

	write_old_database(fixture->db, 2);
	sql_exec(fixture->db, "CREATE TABLE reminder_snooze (stray TEXT)");
	schema_before = sql_text(fixture->db, SCHEMA_DUMP);

	assert_null(store_open(fixture->db, 0600, 1000, &error));
	assert_error(error, DOSED_ERROR_STORE, "failed while upgrading its schema");
	assert_non_null(strstr(error->message, "reminder_snooze"));
	g_error_free(error);

	schema_after = sql_text(fixture->db, SCHEMA_DUMP);
	assert_string_equal(schema_after, schema_before);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name = 'reminder_delivery'"), 0);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), 2);
}

static const char *const v3_tables[] = {
	"patient", "regimen", "dose", "advance", "audit", "feed_token", "feed_event",
	"reminder_delivery", "reminder_snooze",
};

/* The schema objects but those of the tables steps 3 -> 4 and 4 -> 5
 * change. */
#define SCHEMA_DUMP_BUT_REGIMEN \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master" \
	" WHERE tbl_name NOT IN ('regimen', 'protocol_copy', 'audit', 'advance')" \
	" ORDER BY type, name)"

static DosedRegimen *find_regimen(GPtrArray *regimens, const char *patient_id)
{
	for (guint i = 0; i < regimens->len; i++) {
		DosedRegimen *regimen = g_ptr_array_index(regimens, i);

		if (strcmp(regimen->patient_id, patient_id) == 0)
			return regimen;
	}
	fail_msg("patient %s not loaded", patient_id);
	return NULL;
}

/* Schema 3 -> 4 stores each distinct protocol text once: every regimen
 * still reads exactly the copy it was enrolled with, every other table and
 * schema object is as it was, and regimens loaded together share a parse. */
static void test_migrate_v3(void **state)
{
	StoreFixture *fixture = *state;
	char *before[G_N_ELEMENTS(v3_tables)];
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *check = NULL;
	g_autofree char *texts = NULL;
	GPtrArray *regimens;
	DosedStore *store;
	DosedRegimen *regimen;
	GError *error = NULL;

	write_old_database(fixture->db, 3);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP_BUT_REGIMEN);
	for (size_t i = 0; i < G_N_ELEMENTS(v3_tables); i++)
		before[i] = table_dump(fixture->db, v3_tables[i], false);
	assert_int_equal(sql_int(fixture->db, "SELECT count(DISTINCT protocol_text) FROM regimen"),
			 4);

	store = open_store(fixture->db);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	schema_after = sql_text(fixture->db, SCHEMA_DUMP_BUT_REGIMEN);
	assert_string_equal(schema_after, schema_before);
	for (size_t i = 0; i < G_N_ELEMENTS(v3_tables); i++) {
		g_autofree char *after = table_dump(fixture->db, v3_tables[i], true);

		if (strcmp(after, before[i]) != 0)
			fail_msg("table %s changed by the migration:\n%s\n---\n%s", v3_tables[i],
				 before[i], after);
		g_free(before[i]);
	}
	/* One copy per distinct text, in the order regimens first used them;
	 * the old column is gone. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 4);
	texts = sql_text(fixture->db, "SELECT group_concat(r.id || ':' || r.protocol_copy_id, ' ')"
			 " FROM (SELECT * FROM regimen ORDER BY id) r");
	assert_string_equal(texts, "1:1 2:2 3:3 4:1 5:4");
	assert_int_not_equal(sql_try(fixture->db, "SELECT protocol_text FROM regimen"), SQLITE_OK);

	/* The regimens read as before; MRN-1 and MRN-4 were enrolled on the
	 * same text and share its parse, MRN-3's other weekdays do not. */
	begin_write(store);
	regimens = store_load_regimens(store, false, &error);
	store_rollback(store);
	if (!regimens)
		fail_msg("store_load_regimens: %s", error->message);
	assert_int_equal(regimens->len, 4);
	regimen = find_regimen(regimens, "MRN-1");
	assert_string_equal(regimen->name, odd_name);
	assert_int_equal(regimen->view.n_doses, 2);
	assert_ptr_equal(regimen->protocol, find_regimen(regimens, "MRN-4")->protocol);
	assert_ptr_not_equal(regimen->protocol, find_regimen(regimens, "MRN-3")->protocol);
	assert_int_equal(regimen->protocol->phases[0].weekdays,
			 DOSED_WEEKDAY_BIT(1) | DOSED_WEEKDAY_BIT(3) | DOSED_WEEKDAY_BIT(5));
	assert_int_equal(find_regimen(regimens, "MRN-3")->protocol->phases[0].weekdays,
			 DOSED_WEEKDAY_BIT(2) | DOSED_WEEKDAY_BIT(4) | DOSED_WEEKDAY_BIT(6));
	regimen = find_regimen(regimens, "MRN-2");
	assert_int_equal(regimen->regimen_id, 5);
	assert_string_equal(regimen->protocol->id, "b12-bariatric");
	/* A regimen outlives the load it came from, and its shared protocol
	 * with it. */
	regimen = g_ptr_array_steal_index(regimens, 0);
	g_ptr_array_unref(regimens);
	assert_string_equal(regimen->protocol->phases[1].name, "maintenance");
	regimen_destroy(regimen);

	/* A new enrolment on a stored text reuses its copy; a new text is
	 * stored once. */
	enrol_patient(store, fixture, "P5", "Eve", 24);
	enrol_patient(store, fixture, "P6", "Fay", 25);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 5);
	assert_int_equal(sql_int(fixture->db, "SELECT count(DISTINCT protocol_copy_id) FROM regimen"
				 " WHERE patient_id IN ('P5', 'P6')"), 1);

	/* Nothing of the copies can be changed or deleted, and a regimen
	 * needs one. */
	assert_int_not_equal(sql_try(fixture->db, "UPDATE regimen SET protocol_copy_id = 2"
				     " WHERE id = 1"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE protocol_copy SET text = 'x'"),
			     SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM protocol_copy"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "INSERT INTO regimen (patient_id, protocol_id,"
				     " start_date, enrolled_at, enrolled_by) VALUES ('MRN-4', 'x',"
				     " '2026-11-23', 1, 'x')"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM regimen"), 7);

	/* audit, rebuilt with its action CHECK as comparisons: the same
	 * rows (compared above), index and triggers, the same refusals. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'audit' AND name IN ('audit_by_patient',"
				 " 'audit_never_deleted', 'audit_never_changed')"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name LIKE '%v4%'"), 0);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action, patient_id,"
				 " regimen_id) VALUES (1, 'x', 'erase', 'MRN-1', 1)"),
			 SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO audit (at, actor, action)"
				 " VALUES (1, 'x', 'enrol')"), SQLITE_CONSTRAINT_CHECK);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM audit"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE audit SET actor = 'x'"), SQLITE_OK);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM audit WHERE action = 'enrol'"),
			 7);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	/* Schema 5: MRN-2's advance came after its doses 4 and 5. */
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 1"),
			 5);
	/* Reopening a migrated database migrates nothing more. */
	store_close(open_store(fixture->db));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM protocol_copy"), 5);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A migration from `version` that fails at its first statement (a table
 * named `in_the_way` already there) leaves the database whole: its schema,
 * the rows of `table` (the one the step rebuilds) and its version. */
static void assert_failed_step_changes_nothing(const StoreFixture *fixture, int version,
					      const char *in_the_way, const char *table)
{
	g_autofree char *stray = g_strdup_printf("CREATE TABLE %s (stray TEXT)", in_the_way);
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *rows_before = NULL;
	g_autofree char *rows_after = NULL;
	GError *error = NULL;

	write_old_database(fixture->db, version);
	sql_exec(fixture->db, stray);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP);
	rows_before = table_dump(fixture->db, table, false);

	assert_null(store_open(fixture->db, 0600, 1000, &error));
	assert_error(error, DOSED_ERROR_STORE, "failed while upgrading its schema");
	assert_non_null(strstr(error->message, in_the_way));
	g_error_free(error);

	schema_after = sql_text(fixture->db, SCHEMA_DUMP);
	assert_string_equal(schema_after, schema_before);
	rows_after = table_dump(fixture->db, table, false);
	assert_string_equal(rows_after, rows_before);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), version);
}

/* A step 3 -> 4 that fails (a table in the way) leaves schema 3 whole. */
static void test_migrate_v3_in_one_transaction(void **state)
{
	assert_failed_step_changes_nothing(*state, 3, "protocol_copy", "regimen");
}

/* The schema objects but those of advance, which step 4 -> 5 rebuilds. */
#define SCHEMA_DUMP_BUT_ADVANCE \
	"SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, ''), char(10))" \
	" FROM (SELECT * FROM sqlite_master WHERE tbl_name <> 'advance' ORDER BY type, name)"

static const char *const v4_tables[] = {
	"patient", "protocol_copy", "regimen", "dose", "advance", "audit", "feed_token",
	"feed_event", "reminder_delivery", "reminder_snooze",
};

/* Schema 4 -> 5 gives every advance the last dose recorded before it,
 * read from the audit trail (issue 12): tests/data/store/v4.sql holds an
 * advance made in the same second as the dose logged before it (MRN-1,
 * and MRN-2's second regimen), one made in the same second as a dose
 * logged after it (MRN-2's first), one followed by a dose given before
 * it (MRN-3), and one after a voided dose (MRN-4).  Every other row and
 * schema object is as it was. */
static void test_migrate_v4(void **state)
{
	StoreFixture *fixture = *state;
	char *before[G_N_ELEMENTS(v4_tables)];
	g_autofree char *schema_before = NULL;
	g_autofree char *schema_after = NULL;
	g_autofree char *after_doses = NULL;
	g_autofree char *check = NULL;
	g_autofree char *phases = NULL;
	DosedStore *store;
	DosedRegimen *regimen;
	DosedNextDose next;
	GError *error = NULL;

	write_old_database(fixture->db, 4);
	schema_before = sql_text(fixture->db, SCHEMA_DUMP_BUT_ADVANCE);
	for (size_t i = 0; i < G_N_ELEMENTS(v4_tables); i++)
		before[i] = table_dump(fixture->db, v4_tables[i], false);

	store = open_store(fixture->db);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
	schema_after = sql_text(fixture->db, SCHEMA_DUMP_BUT_ADVANCE);
	assert_string_equal(schema_after, schema_before);
	for (size_t i = 0; i < G_N_ELEMENTS(v4_tables); i++) {
		/* Only advance is read as it was; regimen is as schema 4 left it. */
		g_autofree char *after = table_dump(fixture->db, v4_tables[i],
						    strcmp(v4_tables[i], "advance") == 0);

		if (strcmp(after, before[i]) != 0)
			fail_msg("table %s changed by the migration:\n%s\n---\n%s", v4_tables[i],
				 before[i], after);
		g_free(before[i]);
	}
	/* By the audit trail, not by time: advance 2 was made in the same
	 * second as dose 7, but before it. */
	after_doses = sql_text(fixture->db, "SELECT group_concat(id || ':' || after_dose_id, ' ')"
			       " FROM (SELECT * FROM advance ORDER BY id)");
	assert_string_equal(after_doses, "1:6 2:2 3:3 4:8 5:10");

	/* MRN-1: the dose logged in the second of the advance is the
	 * second loading dose, and maintenance counts from it. */
	regimen = load_patient(store, "MRN-1");
	assert_int_equal(regimen->view.n_advances, 1);
	assert_int_equal(regimen->view.advances[0].after_dose, 6);
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	schedule_next_dose(&regimen->view, 1795780800, &next);
	assert_int_equal(next.dose.phase_index, 1);
	assert_int_equal(next.dose.ordinal, 3);
	assert_int_equal(next.dose.due, date_from_ymd(2027, 1, 25));
	regimen_destroy(regimen);
	/* MRN-2's second regimen: the same. */
	regimen = load_patient(store, "MRN-2");
	assert_int_equal(regimen->regimen_id, 5);
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0");
	g_clear_pointer(&phases, g_free);
	regimen_destroy(regimen);
	/* MRN-3: a dose given before the advance but logged after it is a
	 * loading dose, as schema 4 had it. */
	regimen = load_patient(store, "MRN-3");
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	regimen_destroy(regimen);

	/* MRN-4: the third dose, logged before the advance, was voided; the
	 * advance stands (issue 12), and maintenance counts from the second
	 * dose: 24 Nov + 1 month. */
	regimen = load_patient(store, "MRN-4");
	phases = replayed_phases(regimen);
	assert_string_equal(phases, "0 0");
	g_clear_pointer(&phases, g_free);
	schedule_next_dose(&regimen->view, 1795780800, &next);
	assert_int_equal(next.dose.phase_index, 2);
	assert_int_equal(next.dose.ordinal, 3);
	assert_int_equal(next.dose.due, date_from_ymd(2026, 12, 24));
	regimen_destroy(regimen);

	/* A new advance records the last dose, however it is timed. */
	begin_write(store);
	assert_true(store_enrol(store, "MRN-5", "Eve", "Europe/London", fixture->protocol,
				date_from_ymd(2026, 11, 23), "nurse", 1795780800, &error));
	regimen = load_patient(store, "MRN-5");
	assert_true(store_advance(store, regimen, 0, "doctor", 1795780800, &error));
	regimen_destroy(regimen);
	commit(store);
	store_close(store);
	assert_int_equal(sql_int(fixture->db, "SELECT after_dose_id FROM advance WHERE id = 6"), 0);

	/* The rebuilt table: its index and both triggers back, nothing left
	 * of the rebuild, the same refusals. */
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE tbl_name = 'advance' AND name IN ('advance_by_regimen',"
				 " 'advance_never_deleted', 'advance_never_changed')"), 3);
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM sqlite_master"
				 " WHERE name LIKE '%v5%'"), 0);
	assert_int_not_equal(sql_try(fixture->db, "DELETE FROM advance"), SQLITE_OK);
	assert_int_not_equal(sql_try(fixture->db, "UPDATE advance SET after_dose_id = 0"),
			     SQLITE_OK);
	assert_int_equal(sql_try(fixture->db, "INSERT INTO advance (regimen_id, phase_index,"
				 " advanced_at, advanced_by) VALUES (1, 0, 1, 'x')"),
			 SQLITE_CONSTRAINT_NOTNULL);
	check = sql_text(fixture->db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM pragma_foreign_key_check"),
			 0);
	/* Reopening a migrated database migrates nothing more. */
	store_close(open_store(fixture->db));
	assert_int_equal(sql_int(fixture->db, "SELECT count(*) FROM advance"), 6);
	assert_int_equal(sql_int(fixture->db, "PRAGMA user_version"), SCHEMA_VERSION);
}

/* A step 4 -> 5 that fails (a table in the way) leaves schema 4 whole. */
static void test_migrate_v4_in_one_transaction(void **state)
{
	assert_failed_step_changes_nothing(*state, 4, "advance_v5", "advance");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_nothing_deleted),
		STORE_TEST(test_migrate_v1),
		STORE_TEST(test_migrate_in_one_transaction),
		STORE_TEST(test_migrate_v2),
		STORE_TEST(test_migrate_v2_in_one_transaction),
		STORE_TEST(test_migrate_v3),
		STORE_TEST(test_migrate_v3_in_one_transaction),
		STORE_TEST(test_migrate_v4),
		STORE_TEST(test_migrate_v4_in_one_transaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
