/* test_store_load.c - loading regimens: one patient, every patient, one at
 * a time, in two halves (core/store_load.c).
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

static void test_unknown_patient(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;

	enrol_patient(store, fixture, "P1", "Ann", 23);
	assert_null(store_load_regimen(store, "nobody", &error));
	/* The edges add their hint ("see 'dosectl patients'"). */
	assert_error(error, DOSED_ERROR_UNKNOWN_PATIENT, "unknown patient 'nobody'");
	assert_true(dosed_error_is(error, DOSED_ERROR_NOT_FOUND));
	assert_null(strstr(error->message, "dosectl"));
	g_error_free(error);
	store_close(store);
}

static void test_load_regimens(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedRegimen *b_old;
	GPtrArray *all, *active;
	GError *error = NULL;
	const DosedRegimen *a, *b, *c;

	/* Enrolled out of id order: the result is by patient id. */
	enrol_patient(store, fixture, "C", "Cat", 23);
	enrol_patient(store, fixture, "A", "Ann", 23);
	enrol_patient(store, fixture, "B", "Bob", 23);
	/* Logged out of time order: doses come by given_at. */
	log_patient_dose(store, "A", 1, T0 + 2 * DAY, "left thigh", NULL);
	log_patient_dose(store, "A", 2, T0, "right thigh", NULL);
	log_patient_dose(store, "B", 1, T0, NULL, NULL);
	b_old = load_patient(store, "B");
	stop_patient(store, "B", T0 + DAY);
	enrol_patient(store, fixture, "B", "Bob", 30);
	stop_patient(store, "C", T0 + DAY);

	begin_write(store);
	{
		DosedRegimen *regimen = load_patient(store, "A");

		assert_true(store_advance(store, regimen, 0, "doctor", T0 + 3 * DAY, &error));
		regimen_destroy(regimen);
	}
	commit(store);

	all = store_load_regimens(store, false, &error);
	if (!all)
		fail_msg("store_load_regimens: %s", error->message);
	assert_int_equal(all->len, 3);
	a = g_ptr_array_index(all, 0);
	b = g_ptr_array_index(all, 1);
	c = g_ptr_array_index(all, 2);
	assert_string_equal(a->patient_id, "A");
	assert_string_equal(b->patient_id, "B");
	assert_string_equal(c->patient_id, "C");

	assert_int_equal(a->doses->len, 2);
	assert_int_equal(a->view.n_doses, 2);
	assert_int_equal(a->view.doses[0].given_at, T0);
	assert_int_equal(a->view.doses[0].ordinal, 2);
	assert_string_equal(a->view.doses[0].site, "right thigh");
	assert_int_equal(a->view.doses[1].given_at, T0 + 2 * DAY);
	assert_int_equal(a->view.n_advances, 1);
	assert_int_equal(a->view.advances[0].at, T0 + 3 * DAY);

	/* B's newest regimen, without the old one's dose. */
	assert_true(b->regimen_id > b_old->regimen_id);
	assert_int_equal(b->start, date_from_ymd(2026, 11, 30));
	assert_int_equal(b->stopped_at, 0);
	assert_int_equal(b->view.n_doses, 0);
	assert_int_equal(b->view.n_advances, 0);
	assert_ptr_equal(b->view.protocol, b->protocol);

	assert_int_equal(c->stopped_at, T0 + DAY);
	assert_int_equal(c->view.stopped_at, T0 + DAY);

	active = store_load_regimens(store, true, &error);
	if (!active)
		fail_msg("store_load_regimens: %s", error->message);
	assert_int_equal(active->len, 2);
	assert_string_equal(((DosedRegimen *)g_ptr_array_index(active, 0))->patient_id, "A");
	assert_string_equal(((DosedRegimen *)g_ptr_array_index(active, 1))->patient_id, "B");
	assert_int_equal(((DosedRegimen *)g_ptr_array_index(active, 0))->view.n_doses, 2);

	g_ptr_array_unref(all);
	g_ptr_array_unref(active);
	regimen_destroy(b_old);
	store_close(store);
}

/* Patients and regimens are read apart and matched by patient id: each
 * regimen gets its own patient's name and zone, in the byte order of the
 * ids (SQLite's BINARY), stopped patients left out of the active ones. */
static void test_load_regimens_by_id(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	static const char *const ids[] = { "b", "\xc3\xa9", "ab", "B", "a", "a0" };
	static const char *const all_order = "B a a0 ab b \xc3\xa9";
	static const char *const active_order = "B a0 ab \xc3\xa9";
	GPtrArray *all, *active;
	GError *error = NULL;
	GString *order = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *name = g_strconcat("Name of ", ids[i], NULL);

		enrol_patient(store, fixture, ids[i], name, 23);
	}
	stop_patient(store, "a", T0 + DAY);
	stop_patient(store, "b", T0 + DAY);
	stop_patient(store, "a0", T0 + DAY);
	enrol_patient(store, fixture, "a0", "Name of a0", 30);

	all = store_load_regimens(store, false, &error);
	if (!all)
		fail_msg("store_load_regimens: %s", error->message);
	for (guint i = 0; i < all->len; i++) {
		const DosedRegimen *regimen = g_ptr_array_index(all, i);
		g_autofree char *name = g_strconcat("Name of ", regimen->patient_id, NULL);

		assert_string_equal(regimen->name, name);
		assert_string_equal(regimen->tz_name, "Europe/London");
		g_string_append_printf(order, "%s%s", i ? " " : "", regimen->patient_id);
	}
	assert_string_equal(order->str, all_order);
	/* a0's newest regimen. */
	assert_int_equal(((DosedRegimen *)g_ptr_array_index(all, 2))->start,
			 date_from_ymd(2026, 11, 30));

	active = store_load_regimens(store, true, &error);
	if (!active)
		fail_msg("store_load_regimens: %s", error->message);
	g_string_truncate(order, 0);
	for (guint i = 0; i < active->len; i++) {
		const DosedRegimen *regimen = g_ptr_array_index(active, i);
		g_autofree char *name = g_strconcat("Name of ", regimen->patient_id, NULL);

		assert_string_equal(regimen->name, name);
		assert_int_equal(regimen->stopped_at, 0);
		g_string_append_printf(order, "%s%s", i ? " " : "", regimen->patient_id);
	}
	assert_string_equal(order->str, active_order);

	g_string_free(order, TRUE);
	g_ptr_array_unref(all);
	g_ptr_array_unref(active);
	store_close(store);
}

/* What store_foreach_regimen() was given, one regimen after another. */
typedef struct {
	GString *seen;
	int calls;
	int stop_at;    /* the call that returns false, or 0 */
	DosedRegimen **kept; /* where patient "ab"'s regimen is kept, or NULL */
} ForeachRecord;

static void describe_regimen(GString *out, const DosedRegimen *regimen)
{
	g_string_append_printf(out, "%s%s/%s/%s:%" G_GINT64_FORMAT ":%u:%u:%s",
			       out->len ? " " : "", regimen->patient_id, regimen->name,
			       regimen->tz_name, regimen->regimen_id, (unsigned)regimen->view.n_doses,
			       (unsigned)regimen->view.n_advances,
			       regimen->stopped_at ? "stopped" : "active");
}

static bool record_regimen(DosedRegimen *regimen, bool *keep, void *data, GError **error)
{
	ForeachRecord *record = data;

	assert_false(*keep);
	describe_regimen(record->seen, regimen);
	if (record->kept && strcmp(regimen->patient_id, "ab") == 0) {
		*keep = true;
		*record->kept = regimen;
	}
	if (++record->calls == record->stop_at) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID, "stopped at call %d",
			    record->calls);
		return false;
	}
	return true;
}

/* One regimen at a time, the same regimens as store_load_regimens() in
 * the same order, doses and advances included; a callback's false stops
 * the load with its error and leaves no read open. */
static void test_foreach_regimen(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	static const char *const ids[] = { "b", "\xc3\xa9", "ab", "B", "a", "a0" };
	GError *error = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *name = g_strconcat("Name of ", ids[i], NULL);

		enrol_patient(store, fixture, ids[i], name, 23);
	}
	log_patient_dose(store, "ab", 1, T0 + 2 * DAY, "left thigh", NULL);
	log_patient_dose(store, "ab", 2, T0, NULL, NULL);
	log_patient_dose(store, "a0", 1, T0, NULL, NULL);
	stop_patient(store, "a", T0 + DAY);
	stop_patient(store, "a0", T0 + DAY);
	enrol_patient(store, fixture, "a0", "Name of a0", 30);
	begin_write(store);
	{
		DosedRegimen *regimen = load_patient(store, "B");

		assert_true(store_advance(store, regimen, 0, "doctor", T0 + 3 * DAY, &error));
		regimen_destroy(regimen);
	}
	commit(store);

	for (int active_only = 0; active_only <= 1; active_only++) {
		g_autoptr(GString) expected = g_string_new(NULL);
		ForeachRecord record = { g_string_new(NULL), 0, 0, NULL };
		GPtrArray *regimens = store_load_regimens(store, active_only, &error);

		if (!regimens)
			fail_msg("store_load_regimens: %s", error->message);
		for (guint i = 0; i < regimens->len; i++)
			describe_regimen(expected, g_ptr_array_index(regimens, i));
		g_ptr_array_unref(regimens);
		assert_true(store_foreach_regimen(store, active_only, record_regimen, &record,
						  &error));
		assert_string_equal(record.seen->str, expected->str);
		assert_int_equal(record.calls, active_only ? 5 : 6);
		g_string_free(record.seen, TRUE);
	}
	{
		/* Written out: what the comparison above stands on.  A regimen
		 * kept outlives the load, doses and shared protocol included. */
		DosedRegimen *kept = NULL;
		ForeachRecord record = { g_string_new(NULL), 0, 0, &kept };

		assert_true(store_foreach_regimen(store, false, record_regimen, &record, &error));
		assert_non_null(kept);
		assert_string_equal(kept->patient_id, "ab");
		assert_int_equal(kept->view.n_doses, 2);
		assert_int_equal(kept->view.doses[0].given_at, T0);
		assert_string_equal(kept->view.doses[1].site, "left thigh");
		assert_string_equal(kept->protocol->phases[0].name, "initial");
		regimen_destroy(kept);
		assert_string_equal(record.seen->str,
				    "B/Name of B/Europe/London:4:0:1:active"
				    " a/Name of a/Europe/London:5:0:0:stopped"
				    " a0/Name of a0/Europe/London:7:0:0:active"
				    " ab/Name of ab/Europe/London:3:2:0:active"
				    " b/Name of b/Europe/London:1:0:0:active"
				    " \xc3\xa9/Name of \xc3\xa9/Europe/London:2:0:0:active");
		g_string_free(record.seen, TRUE);
	}
	{
		ForeachRecord record = { g_string_new(NULL), 0, 2, NULL };

		assert_false(store_foreach_regimen(store, true, record_regimen, &record, &error));
		assert_non_null(error);
		assert_string_equal(error->message, "stopped at call 2");
		g_clear_error(&error);
		assert_int_equal(record.calls, 2);
		g_string_free(record.seen, TRUE);
	}
	/* The read ended with the load: a write can begin. */
	begin_write(store);
	commit(store);
	store_close(store);
}

/* A load read in two halves gives every regimen once, the first half's
 * then the second's in the whole load's order, whatever the ids are made
 * of, the doses with their regimens.  It is halved only when a second
 * connection sees what the first does: not after another program's change
 * that the first's read does not see. */
static void test_foreach_regimen_halves(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	DosedStore *other;
	static const char *const ids[] = { "b", "\xc3\xa9", "ab", "B", "a", "a0", "c" };
	bool two_cpus = g_get_num_processors() >= 2;
	GError *error = NULL;
	bool halved = true;

	{
		/* No patients: nothing to halve. */
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, 0, NULL };

		assert_true(store_begin(store, false, &error));
		assert_true(store_foreach_regimen_halves(store, true, record_regimen, &first,
							 &second, &halved, &error));
		store_rollback(store);
		assert_false(halved);
		assert_int_equal(first.calls + second.calls, 0);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *name = g_strconcat("Name of ", ids[i], NULL);

		enrol_patient(store, fixture, ids[i], name, 23);
	}
	log_patient_dose(store, "ab", 1, T0, NULL, NULL);
	log_patient_dose(store, "c", 1, T0, NULL, NULL);
	stop_patient(store, "a", T0 + DAY);

	for (int active_only = 0; active_only <= 1; active_only++) {
		ForeachRecord whole = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, 0, NULL };

		assert_true(store_foreach_regimen(store, active_only, record_regimen, &whole,
						  &error));
		assert_true(store_begin(store, false, &error));
		assert_true(store_foreach_regimen_halves(store, active_only, record_regimen,
							 &first, &second, &halved, &error));
		store_rollback(store);
		assert_int_equal(halved, two_cpus);
		/* Active: B a0 ab b c é (six), the middle the fourth; all:
		 * B a a0 ab b c é (seven), the middle the fourth too, and
		 * the first of the second half. */
		assert_int_equal(first.calls, two_cpus ? 3 : whole.calls);
		assert_int_equal(first.calls + second.calls, whole.calls);
		if (second.calls)
			g_string_append_printf(first.seen, " %s", second.seen->str);
		assert_string_equal(first.seen->str, whole.seen->str);
		if (two_cpus) {
			/* The doses go with their halves. */
			assert_non_null(strstr(first.seen->str, "ab/Name of ab/Europe/London:3:1:"));
			assert_non_null(strstr(second.seen->str, "c/Name of c/Europe/London:7:1:"));
			assert_true(g_str_has_prefix(second.seen->str,
						     active_only ? "b/" : "ab/"));
		}
		g_string_free(whole.seen, TRUE);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	{
		/* A failure in the second half stops the load with its error. */
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, two_cpus ? 1 : 0, NULL };

		if (!two_cpus)
			first.stop_at = 4;
		assert_true(store_begin(store, false, &error));
		assert_false(store_foreach_regimen_halves(store, true, record_regimen, &first,
							  &second, &halved, &error));
		store_rollback(store);
		assert_non_null(error);
		assert_true(g_str_has_prefix(error->message, "stopped at call "));
		g_clear_error(&error);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	{
		/* Another program's change after this read began: a second
		 * connection would see it, so the load is not halved, and
		 * gives what this read sees. */
		ForeachRecord whole = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord first = { g_string_new(NULL), 0, 0, NULL };
		ForeachRecord second = { g_string_new(NULL), 0, 0, NULL };

		assert_true(store_begin(store, false, &error));
		assert_true(store_foreach_regimen(store, true, record_regimen, &whole, &error));
		other = open_store(fixture->db);
		enrol_patient(other, fixture, "d", "Name of d", 23);
		store_close(other);
		assert_true(store_foreach_regimen_halves(store, true, record_regimen, &first,
							 &second, &halved, &error));
		store_rollback(store);
		if (second.calls)
			g_string_append_printf(first.seen, " %s", second.seen->str);
		assert_string_equal(first.seen->str, whole.seen->str);
		assert_null(strstr(first.seen->str, "d/Name of d"));
		assert_false(halved);
		g_string_free(whole.seen, TRUE);
		g_string_free(first.seen, TRUE);
		g_string_free(second.seen, TRUE);
	}
	store_close(store);
}

static void test_only_patient(void **state)
{
	StoreFixture *fixture = *state;
	DosedStore *store = open_store(fixture->db);
	GError *error = NULL;
	char *patient_id = NULL;
	int count = -1;

	assert_true(store_only_patient(store, &patient_id, &count, &error));
	assert_int_equal(count, 0);
	assert_null(patient_id);

	enrol_patient(store, fixture, "P1", odd_name, 23);
	stop_patient(store, "P1", T0 + DAY);
	assert_true(store_only_patient(store, &patient_id, &count, &error));
	assert_int_equal(count, 1);
	assert_string_equal(patient_id, "P1");
	g_free(patient_id);
	patient_id = NULL;

	enrol_patient(store, fixture, "P2", "Bob", 23);
	assert_true(store_only_patient(store, &patient_id, &count, &error));
	assert_int_equal(count, 2);
	assert_null(patient_id);
	store_close(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		STORE_TEST(test_unknown_patient),
		STORE_TEST(test_load_regimens),
		STORE_TEST(test_load_regimens_by_id),
		STORE_TEST(test_foreach_regimen),
		STORE_TEST(test_foreach_regimen_halves),
		STORE_TEST(test_only_patient),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
