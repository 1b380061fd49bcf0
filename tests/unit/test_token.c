/* test_token.c - feed tokens (SPEC 4): 128 random bits as 32 lower-case hex
 * digits, stored as SHA-256 (test_daemon_http.c: looked up by it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "error.h"
#include "token.h"

static void generate(char *out)
{
	GError *error = NULL;

	if (!token_generate(out, &error))
		fail_msg("token_generate: %s", error->message);
}

/* ---- generating --------------------------------------------------------- */

static void test_generate_shape(void **state)
{
	char token[DOSED_TOKEN_TEXT_LEN + 8];

	/* Whatever was in the buffer, the token is exactly 32 digits and
	 * its NUL. */
	memset(token, 'X', sizeof token);
	generate(token);
	assert_int_equal(strlen(token), DOSED_TOKEN_TEXT_LEN);
	assert_int_equal(strspn(token, "0123456789abcdef"), DOSED_TOKEN_TEXT_LEN);
	assert_true(token_well_formed(token, strlen(token)));
	/* Nothing written past the NUL. */
	assert_int_equal(token[DOSED_TOKEN_TEXT_LEN + 1], 'X');
}

/* 1000 tokens, all different, and every hex digit and every byte value
 * about as common as the others: 32000 digits give each ~2000 (sd ~43),
 * 16000 bytes give each of the 256 values ~62 (sd ~8).  A generator that
 * leaves bytes unset, writes only 0-9 or repeats a nibble (64 bits of
 * entropy, not 128) fails; a good one fails with a probability below one
 * in ten million. */
static void test_generate_distinct_and_spread(void **state)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	unsigned counts[16] = { 0 };
	unsigned byte_counts[256] = { 0 };

	for (int i = 0; i < 1000; i++) {
		char token[DOSED_TOKEN_TEXT_LEN + 1];

		generate(token);
		assert_true(token_well_formed(token, strlen(token)));
		if (!g_hash_table_add(seen, g_strdup(token)))
			fail_msg("token %s came out twice", token);
		for (int j = 0; j < DOSED_TOKEN_TEXT_LEN; j++)
			counts[g_ascii_xdigit_value(token[j])]++;
		for (int j = 0; j < DOSED_TOKEN_TEXT_LEN; j += 2)
			byte_counts[g_ascii_xdigit_value(token[j]) * 16 +
				    g_ascii_xdigit_value(token[j + 1])]++;
	}
	assert_int_equal(g_hash_table_size(seen), 1000);
	for (int d = 0; d < 16; d++) {
		if (counts[d] < 1700 || counts[d] > 2300)
			fail_msg("hex digit %x appeared %u times in 32000", d, counts[d]);
	}
	for (int b = 0; b < 256; b++) {
		if (byte_counts[b] < 20 || byte_counts[b] > 120)
			fail_msg("byte %02x appeared %u times in 16000", b, byte_counts[b]);
	}
	g_hash_table_unref(seen);
}

/* ---- well-formedness ------------------------------------------------------ */

static void test_well_formed(void **state)
{
	static const char good[] = "00112233445566778899aabbccddeeff";
	char text[64];

	assert_true(token_well_formed(good, 32));
	/* The length given is the length checked, not strlen. */
	assert_false(token_well_formed(good, 31));
	assert_false(token_well_formed("00112233445566778899aabbccddeeff0", 33));
	assert_false(token_well_formed("", 0));
	assert_false(token_well_formed(NULL, 32));
	/* Upper case is not what token_generate() writes: refused, so that
	 * one token has exactly one spelling (and one hash). */
	assert_false(token_well_formed("00112233445566778899AABBCCDDEEFF", 32));
	assert_false(token_well_formed("00112233445566778899aabbccddeefg", 32));
	/* Whatever reaches the HTTP path: traversal, encodings, a NUL. */
	assert_false(token_well_formed("../../../../../../etc/passwd.ics", 32));
	assert_false(token_well_formed("%2e%2e%2f2233445566778899aabbccd", 32));
	memcpy(text, good, 33);
	text[7] = '\0';
	assert_false(token_well_formed(text, 32));
	memcpy(text, good, 33);
	text[31] = ' ';
	assert_false(token_well_formed(text, 32));
}

/* ---- hashing ------------------------------------------------------------- */

static void test_hash_known_vectors(void **state)
{
	char hash[DOSED_TOKEN_HASH_LEN + 1];

	/* FIPS 180-2, appendix B.1. */
	token_hash("abc", 3, hash);
	assert_string_equal(hash,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	token_hash("", 0, hash);
	assert_string_equal(hash,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* A token's text, as `printf %s TOKEN | sha256sum` gives it. */
	token_hash("00112233445566778899aabbccddeeff", 32, hash);
	assert_string_equal(hash,
			    "5947d7c33d783f94b3b4c1a96ebc8991ed28f1b069b71e03376cba8caa98a720");
	/* Only `length` bytes are hashed: a token read from the middle of
	 * a request path. */
	token_hash("abc.ics", 3, hash);
	assert_string_equal(hash,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hash_of_generated_token(void **state)
{
	char token[DOSED_TOKEN_TEXT_LEN + 1];
	char hash[DOSED_TOKEN_HASH_LEN + 1];
	char again[DOSED_TOKEN_HASH_LEN + 1];
	char other[DOSED_TOKEN_HASH_LEN + 1];

	generate(token);
	token_hash(token, DOSED_TOKEN_TEXT_LEN, hash);
	assert_int_equal(strlen(hash), DOSED_TOKEN_HASH_LEN);
	assert_int_equal(strspn(hash, "0123456789abcdef"), DOSED_TOKEN_HASH_LEN);
	token_hash(token, DOSED_TOKEN_TEXT_LEN, again);
	assert_string_equal(hash, again);
	token[0] = token[0] == '0' ? '1' : '0';
	token_hash(token, DOSED_TOKEN_TEXT_LEN, other);
	assert_string_not_equal(hash, other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_shape),
		cmocka_unit_test(test_generate_distinct_and_spread),
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_hash_known_vectors),
		cmocka_unit_test(test_hash_of_generated_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
