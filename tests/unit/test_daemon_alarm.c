/* test_daemon_alarm.c - the wall-clock alarm fires at its instant, on the
 * main loop, once; re-arming moves it; disarmed it never calls back; an
 * instant already past fires at once (SPEC 4, Reminders: "wakes within one
 * second of it").  The loop waits for the timer: no test sleeps.  (A clock
 * change cannot be made without privileges and disturbing the machine, so
 * ALARM_CLOCK_CHANGED is left to the e2e and to reading the code.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "alarm.h"

typedef struct {
	GMainLoop *loop;
	Alarm *alarm;
	int calls;
	AlarmReason reason;
	gint64 fired_us;        /* real time of the first call */
	bool guard_expired;
} Fixture;

static int setup(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);

	fixture->loop = g_main_loop_new(NULL, FALSE);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	Fixture *fixture = *state;

	alarm_destroy(fixture->alarm);
	g_main_loop_unref(fixture->loop);
	g_free(fixture);
	return 0;
}

static void on_alarm(AlarmReason reason, void *data)
{
	Fixture *fixture = data;

	if (fixture->calls++ == 0) {
		fixture->fired_us = g_get_real_time();
		fixture->reason = reason;
	}
	g_main_loop_quit(fixture->loop);
}

static gboolean on_guard(gpointer data)
{
	Fixture *fixture = data;

	fixture->guard_expired = true;
	g_main_loop_quit(fixture->loop);
	return G_SOURCE_REMOVE;
}

/* Run the loop until the alarm calls back or `guard_ms` pass (on the
 * monotonic clock, as a test's limit should be). */
static void run_until(Fixture *fixture, guint guard_ms)
{
	guint guard = g_timeout_add(guard_ms, on_guard, fixture);

	fixture->guard_expired = false;
	g_main_loop_run(fixture->loop);
	if (!fixture->guard_expired)
		g_source_remove(guard);
}

static Alarm *make_alarm(Fixture *fixture)
{
	GError *error = NULL;

	fixture->alarm = alarm_create(on_alarm, fixture, &error);
	assert_null(error);
	assert_non_null(fixture->alarm);
	return fixture->alarm;
}

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void test_fires_at_its_instant(void **state)
{
	Fixture *fixture = *state;
	Alarm *alarm = make_alarm(fixture);
	gint64 at = now_seconds() + 1;

	alarm_arm(alarm, at);
	assert_int_equal(alarm_deadline(alarm), at);
	run_until(fixture, 3000);
	assert_false(fixture->guard_expired);
	assert_int_equal(fixture->calls, 1);
	assert_int_equal(fixture->reason, ALARM_FIRED);
	/* Never early, and within the second SPEC 4 allows. */
	assert_true(fixture->fired_us >= at * G_USEC_PER_SEC);
	assert_true(fixture->fired_us < (at + 1) * G_USEC_PER_SEC);
	/* One-shot: fired, it is disarmed. */
	assert_int_equal(alarm_deadline(alarm), 0);
}

static void test_fires_once(void **state)
{
	Fixture *fixture = *state;
	Alarm *alarm = make_alarm(fixture);

	alarm_arm(alarm, now_seconds() - 1);
	run_until(fixture, 1000);
	assert_int_equal(fixture->calls, 1);
	/* Nothing more comes without a new arming. */
	run_until(fixture, 1200);
	assert_true(fixture->guard_expired);
	assert_int_equal(fixture->calls, 1);
}

static void test_rearming_moves_it(void **state)
{
	Fixture *fixture = *state;
	Alarm *alarm = make_alarm(fixture);
	gint64 first = now_seconds() + 1;

	alarm_arm(alarm, first);
	alarm_arm(alarm, first + 1);
	assert_int_equal(alarm_deadline(alarm), first + 1);
	run_until(fixture, 4000);
	assert_int_equal(fixture->calls, 1);
	assert_true(fixture->fired_us >= (first + 1) * G_USEC_PER_SEC);
	assert_true(fixture->fired_us < (first + 2) * G_USEC_PER_SEC);
}

static void test_disarmed_never_calls(void **state)
{
	Fixture *fixture = *state;
	Alarm *alarm = make_alarm(fixture);
	gint64 at = now_seconds() + 1;

	alarm_arm(alarm, at);
	alarm_disarm(alarm);
	assert_int_equal(alarm_deadline(alarm), 0);
	/* Well past the instant it was armed for. */
	run_until(fixture, 2200);
	assert_true(fixture->guard_expired);
	assert_int_equal(fixture->calls, 0);
}

static void test_past_instant_fires_at_once(void **state)
{
	Fixture *fixture = *state;
	Alarm *alarm = make_alarm(fixture);
	gint64 before = g_get_real_time();

	alarm_arm(alarm, now_seconds() - 3600);
	run_until(fixture, 1000);
	assert_false(fixture->guard_expired);
	assert_int_equal(fixture->reason, ALARM_FIRED);
	assert_true(fixture->fired_us - before < 500 * 1000);
}

/* An it_value of zero disarms a timerfd; the epoch itself is just past. */
static void test_epoch_is_past_not_disarm(void **state)
{
	Fixture *fixture = *state;
	Alarm *alarm = make_alarm(fixture);

	alarm_arm(alarm, 0);
	assert_true(alarm_deadline(alarm) != 0);
	run_until(fixture, 1000);
	assert_false(fixture->guard_expired);
	assert_int_equal(fixture->calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fires_at_its_instant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fires_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearming_moves_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disarmed_never_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_instant_fires_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_is_past_not_disarm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
