/* test_store_audit.c - the audit trail every change writes, and the newest
 * change (core/store_audit.c).
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

static void test_audit_rows(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *regimen;
	GError *error = NULL;
	char *owner = NULL;
	gint64 dose_id;
	g_autofree char *actions = NULL;
	g_autofree char *reason = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	dose_id = log_patient_dose(store, "P1", 1, T0, "left thigh", NULL);

	begin_write(store);
	if (!store_void_dose(store, dose_id, "wrong patient; re-entered", "nurse", T0 + 100,
			     &owner, &error))
		fail_msg("store_void_dose: %s", error->message);
	commit(store);
	assert_string_equal(owner, "P1");
	g_free(owner);

	begin_write(store);
	regimen = load_patient(store, "P1");
	if (!store_advance(store, regimen, 0, "doctor", T0 + 200, &error))
		fail_msg("store_advance: %s", error->message);
	commit(store);
	regimen_destroy(regimen);

	stop_patient(store, "P1", T0 + 300);

	regimen = load_patient(store, "P1");
	assert_int_equal(regimen->doses->len, 1);
	assert_int_equal(((DosedDose *)g_ptr_array_index(regimen->doses, 0))->voided_at,
			 T0 + 100);
	assert_string_equal(((DosedDose *)g_ptr_array_index(regimen->doses, 0))->void_reason,
			    "wrong patient; re-entered");
	assert_int_equal(regimen->view.n_doses, 0);
	assert_int_equal(regimen->view.n_advances, 1);
	assert_int_equal(regimen->view.advances[0].phase_index, 0);
	assert_int_equal(regimen->view.advances[0].at, T0 + 200);
	assert_int_equal(regimen->stopped_at, T0 + 300);
	assert_string_equal(regimen->stopped_by, "doctor");
	assert_int_equal(regimen->view.stopped_at, T0 + 300);
	regimen_destroy(regimen);
	store_close(store);

	actions = sql_text(fixture->db,
			   "SELECT group_concat(action || ':' || actor || ':' || at, ' ')"
			   " FROM (SELECT * FROM audit ORDER BY id)");
	assert_string_equal(actions, "enrol:nurse:1795428000 log:patient:1795428060 "
			    "void:nurse:1795428100 advance:doctor:1795428200 "
			    "stop:doctor:1795428300");
	assert_int_equal(sql_int(fixture->db,
				 "SELECT count(*) FROM audit WHERE dose_id IS NOT NULL"), 2);
	reason = sql_text(fixture->db,
			  "SELECT json_extract(detail, '$.reason') FROM audit WHERE action = 'void'");
	assert_string_equal(reason, "wrong patient; re-entered");
}

static gint64 audit_mark(DosedStore *store)
{
	GError *error = NULL;
	gint64 mark = -1;

	if (!store_last_change(store, &mark, &error))
		fail_msg("store_last_change: %s", error->message);
	return mark;
}

/* The audit mark moves with what people change and not with the daemon's
 * bookkeeping: feed states, reminders shown and snoozed. */
static void test_audit_mark(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GHashTable *states = feed_states_create();
	GError *error = NULL;
	DosedRegimen *regimen;
	bool issued = false;
	gint64 mark, issued_at;

	assert_int_equal(audit_mark(store), 0);
	enrol_patient(store, fixture, "MRN-1", "Ann", 23);
	mark = audit_mark(store);
	assert_true(mark > 0);

	put_state(states, "p:one", "f1", 0, T0, true);
	save_states(store, states);
	regimen = load_patient(store, "MRN-1");
	begin_write(store);
	assert_true(store_record_reminder(store, regimen->regimen_id, 1, DOSED_REMINDER_DUE,
					  T0, T0, &error));
	assert_true(store_record_snooze(store, regimen->regimen_id, 1, T0 + 600, T0, &error));
	commit(store);
	regimen_destroy(regimen);
	assert_int_equal(audit_mark(store), mark);

	log_patient_dose(store, "MRN-1", 1, T0, NULL, NULL);
	assert_true(audit_mark(store) > mark);
	mark = audit_mark(store);
	begin_write(store);
	assert_true(store_issue_feed_token(store, "MRN-1", some_hash, false, "clinic", T0, &issued,
					   &issued_at, &error));
	commit(store);
	assert_true(issued);
	assert_true(audit_mark(store) > mark);
	mark = audit_mark(store);
	stop_patient(store, "MRN-1", T0 + DAY);
	assert_true(audit_mark(store) > mark);

	g_hash_table_unref(states);
	store_close(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_audit_rows),
		STORE_TEST(test_audit_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
