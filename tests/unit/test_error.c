/* test_error.c - the kinds of error the edges decide on (core/error.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "error.h"

static bool is(DosedErrorCode code, DosedErrorCode kind)
{
	GError *error = g_error_new_literal(DOSED_ERROR, code, "x");
	bool result = dosed_error_is(error, kind);

	g_error_free(error);
	return result;
}

/* Each refusal an edge adds its hint to is of the kind its exit status
 * and handling have always followed. */
static void test_kinds(void **state)
{
	(void)state;
	assert_true(is(DOSED_ERROR_SAME_DAY, DOSED_ERROR_REFUSED));
	assert_true(is(DOSED_ERROR_TOO_SOON, DOSED_ERROR_REFUSED));
	assert_true(is(DOSED_ERROR_UNKNOWN_PATIENT, DOSED_ERROR_NOT_FOUND));
	assert_true(is(DOSED_ERROR_UNKNOWN_DOSE, DOSED_ERROR_NOT_FOUND));
	assert_true(is(DOSED_ERROR_NO_PATIENT, DOSED_ERROR_INVALID));
	assert_false(is(DOSED_ERROR_TOO_SOON, DOSED_ERROR_INVALID));
	assert_false(is(DOSED_ERROR_UNKNOWN_PATIENT, DOSED_ERROR_REFUSED));
	for (int kind = DOSED_ERROR_INVALID; kind <= DOSED_ERROR_STORE; kind++) {
		for (int other = DOSED_ERROR_INVALID; other <= DOSED_ERROR_STORE; other++)
			assert_int_equal(is(kind, other), kind == other);
	}
}

static void test_other_domains(void **state)
{
	GError *error = g_error_new_literal(G_FILE_ERROR, DOSED_ERROR_INVALID, "x");

	(void)state;
	assert_false(dosed_error_is(error, DOSED_ERROR_INVALID));
	assert_false(dosed_error_is(NULL, DOSED_ERROR_INVALID));
	g_error_free(error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_other_domains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
