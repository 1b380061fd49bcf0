/* test_daemon_conditional.c - when a feed reader gets 304 (RFC 9110 13):
 * If-None-Match lists, weak tags and "*", HTTP dates in their three forms,
 * and If-Modified-Since only without If-None-Match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "conditional.h"

#define ETAG "\"5d41402abc4b2a76b9719d911017c592\""
/* RFC 9110's example date, Sun, 06 Nov 1994 08:49:37 GMT. */
#define EXAMPLE_TIME G_GINT64_CONSTANT(784111777)

static void test_etag_exact(void **state)
{
	assert_true(conditional_etag_matches(ETAG, ETAG));
	assert_true(conditional_etag_matches("  " ETAG "  ", ETAG));
	assert_false(conditional_etag_matches("\"something else\"", ETAG));
	assert_false(conditional_etag_matches(NULL, ETAG));
	assert_false(conditional_etag_matches("", ETAG));
}

static void test_etag_prefix_is_not_a_match(void **state)
{
	assert_false(conditional_etag_matches("\"5d41402abc4b2a76\"", ETAG));
	assert_false(conditional_etag_matches("\"5d41402abc4b2a76b9719d911017c592x\"", ETAG));
	assert_false(conditional_etag_matches("\"\"", ETAG));
}

static void test_etag_list(void **state)
{
	assert_true(conditional_etag_matches("\"a\", " ETAG, ETAG));
	assert_true(conditional_etag_matches(ETAG ",\"b\"", ETAG));
	assert_true(conditional_etag_matches("\"a\" ,\t\"b\" , " ETAG, ETAG));
	/* Empty list elements are allowed (RFC 9110 5.6.1.2). */
	assert_true(conditional_etag_matches(", ,\"a\",," ETAG ",", ETAG));
	assert_false(conditional_etag_matches("\"a\", \"b\", \"c\"", ETAG));
	/* A comma inside a tag does not split it. */
	assert_true(conditional_etag_matches("\"x,y\", " ETAG, ETAG));
	assert_false(conditional_etag_matches("\"x," ETAG "\"", ETAG));
}

static void test_etag_weak(void **state)
{
	/* If-None-Match compares weakly: W/"x" matches "x". */
	assert_true(conditional_etag_matches("W/" ETAG, ETAG));
	assert_true(conditional_etag_matches("\"a\", W/" ETAG, ETAG));
	assert_false(conditional_etag_matches("w/" ETAG, ETAG));
	assert_false(conditional_etag_matches("W/\"a\"", ETAG));
}

static void test_etag_star(void **state)
{
	assert_true(conditional_etag_matches("*", ETAG));
	assert_true(conditional_etag_matches(" * ", ETAG));
	assert_false(conditional_etag_matches("*, " ETAG, ETAG));
	assert_false(conditional_etag_matches("**", ETAG));
}

static void test_etag_malformed(void **state)
{
	/* A malformed list gets the full feed, never a wrong 304. */
	assert_false(conditional_etag_matches("5d41402abc4b2a76b9719d911017c592", ETAG));
	assert_false(conditional_etag_matches("\"unterminated", ETAG));
	assert_false(conditional_etag_matches("\"a\" junk, " ETAG, ETAG));
	assert_false(conditional_etag_matches("W/", ETAG));
	assert_false(conditional_etag_matches("W/ " ETAG, ETAG));
}

static void test_parse_dates(void **state)
{
	gint64 t = 0;

	assert_true(conditional_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
	assert_int_equal(t, EXAMPLE_TIME);
	t = 0;
	assert_true(conditional_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
	assert_int_equal(t, EXAMPLE_TIME);
	t = 0;
	assert_true(conditional_parse_date("Sun Nov  6 08:49:37 1994", &t));
	assert_int_equal(t, EXAMPLE_TIME);
	t = 0;
	assert_true(conditional_parse_date("Mon, 23 Nov 2026 10:00:00 GMT", &t));
	assert_int_equal(t, G_GINT64_CONSTANT(1795428000));
}

static void test_parse_bad_dates(void **state)
{
	gint64 t = 42;

	assert_false(conditional_parse_date(NULL, &t));
	assert_false(conditional_parse_date("", &t));
	assert_false(conditional_parse_date("yesterday", &t));
	assert_false(conditional_parse_date("Sun, 06 Nov 1994 08:49:37", &t));
	assert_false(conditional_parse_date("Sun, 06 Nov 1994 08:49:37 GMT junk", &t));
	assert_false(conditional_parse_date("1994-11-06T08:49:37Z", &t));
	assert_false(conditional_parse_date("Sun, 06 Foo 1994 08:49:37 GMT", &t));
	assert_int_equal(t, 42);
}

static void test_format_date(void **state)
{
	char buf[CONDITIONAL_DATE_BUF];
	gint64 back = 0;

	assert_string_equal(conditional_format_date(EXAMPLE_TIME, buf),
			    "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(conditional_format_date(G_GINT64_CONSTANT(1795428000), buf),
			    "Mon, 23 Nov 2026 10:00:00 GMT");
	/* The 29 characters fill the buffer exactly. */
	assert_int_equal(strlen(buf) + 1, CONDITIONAL_DATE_BUF);
	assert_true(conditional_parse_date(buf, &back));
	assert_int_equal(back, G_GINT64_CONSTANT(1795428000));
}

static void test_not_modified(void **state)
{
	const char *same = "Sun, 06 Nov 1994 08:49:37 GMT";
	const char *earlier = "Sun, 06 Nov 1994 08:49:36 GMT";
	const char *later = "Mon, 07 Nov 1994 08:49:37 GMT";

	/* Neither header: the full feed. */
	assert_false(conditional_not_modified(NULL, NULL, ETAG, EXAMPLE_TIME));
	/* If-None-Match decides when present, whatever the date says. */
	assert_true(conditional_not_modified(ETAG, NULL, ETAG, EXAMPLE_TIME));
	assert_true(conditional_not_modified(ETAG, earlier, ETAG, EXAMPLE_TIME));
	assert_false(conditional_not_modified("\"old\"", later, ETAG, EXAMPLE_TIME));
	/* If-Modified-Since alone: not modified when the feed's last change
	 * is no later than the client's copy. */
	assert_true(conditional_not_modified(NULL, same, ETAG, EXAMPLE_TIME));
	assert_true(conditional_not_modified(NULL, later, ETAG, EXAMPLE_TIME));
	assert_false(conditional_not_modified(NULL, earlier, ETAG, EXAMPLE_TIME));
	/* An invalid date is ignored. */
	assert_false(conditional_not_modified(NULL, "not a date", ETAG, EXAMPLE_TIME));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etag_exact),
		cmocka_unit_test(test_etag_prefix_is_not_a_match),
		cmocka_unit_test(test_etag_list),
		cmocka_unit_test(test_etag_weak),
		cmocka_unit_test(test_etag_star),
		cmocka_unit_test(test_etag_malformed),
		cmocka_unit_test(test_parse_dates),
		cmocka_unit_test(test_parse_bad_dates),
		cmocka_unit_test(test_format_date),
		cmocka_unit_test(test_not_modified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
