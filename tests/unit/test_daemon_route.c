/* test_daemon_route.c - the router accepts exactly /feeds/TOKEN.ics and
 * /clinic/TOKEN.ics with 32 lower-case hex digits, and nothing else: no
 * traversal, no encoded slashes, no near misses (SPEC 4, Feeds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "route.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static void assert_route(const char *path, RouteKind kind, const char *token)
{
	Route route;

	/* Dirty the result first: a miss must clear it, not leave it. */
	memset(&route, 'x', sizeof route);
	if (route_match(path, &route) != kind)
		fail_msg("route_match(\"%s\") is %d, expected %d", path ? path : "(null)",
			 route.kind, kind);
	assert_int_equal(route.kind, kind);
	assert_string_equal(route.token, token);
}

static void assert_no_route(const char *path)
{
	assert_route(path, ROUTE_NONE, "");
}

static void test_patient_feed(void **state)
{
	assert_route("/feeds/" TOKEN ".ics", ROUTE_PATIENT, TOKEN);
	assert_route("/feeds/00000000000000000000000000000000.ics", ROUTE_PATIENT,
		     "00000000000000000000000000000000");
	assert_route("/feeds/ffffffffffffffffffffffffffffffff.ics", ROUTE_PATIENT,
		     "ffffffffffffffffffffffffffffffff");
}

static void test_clinic_feed(void **state)
{
	assert_route("/clinic/" TOKEN ".ics", ROUTE_CLINIC, TOKEN);
	assert_route("/clinic/fedcba9876543210fedcba9876543210.ics", ROUTE_CLINIC,
		     "fedcba9876543210fedcba9876543210");
}

static void test_no_path(void **state)
{
	assert_no_route(NULL);
	assert_no_route("");
	assert_no_route("/");
	assert_no_route("/feeds");
	assert_no_route("/feeds/");
	assert_no_route("/feeds/.ics");
	assert_no_route("/clinic/");
	assert_no_route("/clinic/.ics");
	assert_no_route("/index.html");
	assert_no_route("*");
}

static void test_token_length(void **state)
{
	/* 31 and 33 digits, and none. */
	assert_no_route("/feeds/0123456789abcdef0123456789abcde.ics");
	assert_no_route("/feeds/0123456789abcdef0123456789abcdef0.ics");
	assert_no_route("/clinic/0123456789abcdef0123456789abcde.ics");
	assert_no_route("/clinic/0123456789abcdef0123456789abcdef0.ics");
	assert_no_route("/feeds/" TOKEN TOKEN ".ics");
}

static void test_token_digits(void **state)
{
	/* Upper-case hex is another token: tokens are written lower-case. */
	assert_no_route("/feeds/0123456789ABCDEF0123456789abcdef.ics");
	assert_no_route("/feeds/0123456789abcdef0123456789abcdeF.ics");
	assert_no_route("/clinic/0123456789ABCDEF0123456789ABCDEF.ics");
	/* Letters past f, spaces, signs, dots. */
	assert_no_route("/feeds/0123456789abcdeg0123456789abcdef.ics");
	assert_no_route("/feeds/0123456789abcdef 123456789abcdef.ics");
	assert_no_route("/feeds/+123456789abcdef0123456789abcdef.ics");
	assert_no_route("/feeds/0123456789abcdef.123456789abcdef.ics");
	/* Bytes with the high bit set: "é" is two bytes, so the length is
	 * right and only the digits refuse it. */
	assert_no_route("/feeds/0123456789abcdef0123456789abcd\xc3\xa9.ics");
}

static void test_traversal(void **state)
{
	assert_no_route("/feeds/../clinic/" TOKEN ".ics");
	assert_no_route("/feeds/../../etc/passwd");
	assert_no_route("/clinic/../feeds/" TOKEN ".ics");
	assert_no_route("/feeds/./" TOKEN ".ics");
	assert_no_route("/./feeds/" TOKEN ".ics");
	assert_no_route("/x/../feeds/" TOKEN ".ics");
	/* Same length as a good path, with ".." inside the token's place. */
	assert_no_route("/feeds/0123456789abcdef/../456789abcdef.ics");
	assert_no_route("/feeds/..0123456789abcdef0123456789abcd.ics");
}

static void test_encoded(void **state)
{
	/* The server hands the path over undecoded: %2F stays three bytes. */
	assert_no_route("/feeds%2F" TOKEN ".ics");
	assert_no_route("/feeds%2f" TOKEN ".ics");
	assert_no_route("%2Ffeeds%2F" TOKEN ".ics");
	assert_no_route("/feeds/%30123456789abcdef0123456789abcdef.ics");
	assert_no_route("/feeds/" TOKEN "%2Eics");
	assert_no_route("/feeds/" TOKEN ".ics%00");
	assert_no_route("/feeds/%2E%2E/clinic/" TOKEN ".ics");
	assert_no_route("/feeds\\" TOKEN ".ics");
	assert_no_route("\\feeds\\" TOKEN ".ics");
}

static void test_slashes(void **state)
{
	assert_no_route("//feeds/" TOKEN ".ics");
	assert_no_route("/feeds//" TOKEN ".ics");
	assert_no_route("/feeds/" TOKEN ".ics/");
	assert_no_route("/feeds/" TOKEN "/.ics");
	assert_no_route("/clinic//" TOKEN ".ics");
	assert_no_route("feeds/" TOKEN ".ics");
	assert_no_route("/feeds/" TOKEN);
	assert_no_route("/feeds/" TOKEN "/");
}

static void test_trailing_junk(void **state)
{
	assert_no_route("/feeds/" TOKEN ".ics.");
	assert_no_route("/feeds/" TOKEN ".icsx");
	assert_no_route("/feeds/" TOKEN ".ics ");
	assert_no_route("/feeds/" TOKEN ".ics?token=1");
	assert_no_route("/feeds/" TOKEN ".ics#x");
	assert_no_route("/feeds/" TOKEN ".ics;x");
	assert_no_route("/feeds/" TOKEN ".ICS");
	assert_no_route("/feeds/" TOKEN ".ical");
	assert_no_route("/feeds/" TOKEN ".ic");
	assert_no_route("/feeds/" TOKEN "xics");
	assert_no_route("/feeds/" TOKEN ".ics\n");
	assert_no_route(" /feeds/" TOKEN ".ics");
}

static void test_wrong_prefix(void **state)
{
	assert_no_route("/feed/" TOKEN ".ics");
	assert_no_route("/Feeds/" TOKEN ".ics");
	assert_no_route("/FEEDS/" TOKEN ".ics");
	assert_no_route("/clinics/" TOKEN ".ics");
	assert_no_route("/Clinic/" TOKEN ".ics");
	assert_no_route("/feedsx" TOKEN ".ics");
	assert_no_route("/api/feeds/" TOKEN ".ics");
	assert_no_route("http://host/feeds/" TOKEN ".ics");
}

static void test_long_path(void **state)
{
	GString *path = g_string_new("/feeds/");

	for (int i = 0; i < 1000; i++)
		g_string_append(path, TOKEN);
	g_string_append(path, ".ics");
	assert_no_route(path->str);
	g_string_free(path, TRUE);
}

static void test_methods(void **state)
{
	assert_true(route_method_allowed("GET"));
	assert_true(route_method_allowed("HEAD"));
	assert_false(route_method_allowed("get"));
	assert_false(route_method_allowed("Head"));
	assert_false(route_method_allowed("POST"));
	assert_false(route_method_allowed("PUT"));
	assert_false(route_method_allowed("DELETE"));
	assert_false(route_method_allowed("PATCH"));
	assert_false(route_method_allowed("OPTIONS"));
	assert_false(route_method_allowed("TRACE"));
	assert_false(route_method_allowed("CONNECT"));
	assert_false(route_method_allowed("GET "));
	assert_false(route_method_allowed("GETX"));
	assert_false(route_method_allowed(""));
	assert_false(route_method_allowed(NULL));
}

static void test_describe_never_shows_token(void **state)
{
	assert_string_equal(route_describe(ROUTE_PATIENT), "/feeds/<token>.ics");
	assert_string_equal(route_describe(ROUTE_CLINIC), "/clinic/<token>.ics");
	assert_string_equal(route_describe(ROUTE_NONE), "<other path>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patient_feed),
		cmocka_unit_test(test_clinic_feed),
		cmocka_unit_test(test_no_path),
		cmocka_unit_test(test_token_length),
		cmocka_unit_test(test_token_digits),
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_encoded),
		cmocka_unit_test(test_slashes),
		cmocka_unit_test(test_trailing_junk),
		cmocka_unit_test(test_wrong_prefix),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_describe_never_shows_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
