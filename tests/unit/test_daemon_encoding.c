/* test_daemon_encoding.c - gzip for the feeds (RFC 9110 12.5.3): which
 * Accept-Encoding values accept it, q=0 and "*" included, and that the
 * compressed feed is gzip that gives the text back, the same bytes each
 * time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gio/gio.h>
#include <glib.h>

#include "encoding.h"

static void test_accepts_gzip(void **state)
{
	/* What clients send. */
	assert_true(encoding_accepts_gzip("gzip"));
	assert_true(encoding_accepts_gzip("gzip, deflate"));
	assert_true(encoding_accepts_gzip("gzip, deflate, br, zstd"));
	assert_true(encoding_accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
	assert_true(encoding_accepts_gzip("GZIP"));
	assert_true(encoding_accepts_gzip("x-gzip"));
	assert_true(encoding_accepts_gzip("gzip;q=0.001"));
	assert_true(encoding_accepts_gzip(" gzip ; q=0.5 ,"));
	assert_true(encoding_accepts_gzip(",,gzip"));
	/* "*" stands for every coding not listed. */
	assert_true(encoding_accepts_gzip("*"));
	assert_true(encoding_accepts_gzip("br, *;q=0.1"));
}

static void test_refuses_gzip(void **state)
{
	assert_false(encoding_accepts_gzip(NULL));
	assert_false(encoding_accepts_gzip(""));
	assert_false(encoding_accepts_gzip("identity"));
	assert_false(encoding_accepts_gzip("deflate, br"));
	/* A weight of 0 means "not acceptable" (RFC 9110 12.4.2). */
	assert_false(encoding_accepts_gzip("gzip;q=0"));
	assert_false(encoding_accepts_gzip("gzip; q=0.000"));
	assert_false(encoding_accepts_gzip("gzip;Q=0"));
	assert_false(encoding_accepts_gzip("*;q=0"));
	/* Listed gzip decides over "*". */
	assert_false(encoding_accepts_gzip("gzip;q=0, *"));
	assert_false(encoding_accepts_gzip("*, gzip;q=0"));
	assert_false(encoding_accepts_gzip("x-gzip;q=0, *;q=1"));
	/* Not gzip, only like it. */
	assert_false(encoding_accepts_gzip("gzipped"));
	assert_false(encoding_accepts_gzip("xgzip"));
	/* A malformed weight: the text as it is, which every client takes. */
	assert_false(encoding_accepts_gzip("gzip;q=2"));
	assert_false(encoding_accepts_gzip("gzip;q=1.5"));
	assert_false(encoding_accepts_gzip("gzip;q=0.5x"));
	assert_false(encoding_accepts_gzip("gzip;level=9"));
	assert_false(encoding_accepts_gzip("gzip;q=0.0001"));
}

/* Decompress with GIO's zlib decompressor, which checks gzip's CRC. */
static GBytes *gunzip(GBytes *compressed)
{
	GZlibDecompressor *decompressor = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
	GInputStream *memory = g_memory_input_stream_new_from_bytes(compressed);
	GInputStream *stream = g_converter_input_stream_new(memory, G_CONVERTER(decompressor));
	GByteArray *out = g_byte_array_new();
	GError *error = NULL;
	guint8 buffer[8192];
	gssize got;

	while ((got = g_input_stream_read(stream, buffer, sizeof buffer, NULL, &error)) > 0)
		g_byte_array_append(out, buffer, (guint)got);
	if (got < 0)
		fail_msg("gunzip: %s", error->message);
	g_object_unref(stream);
	g_object_unref(memory);
	g_object_unref(decompressor);
	return g_byte_array_free_to_bytes(out);
}

static void test_gzip_round_trip(void **state)
{
	GString *text = g_string_new("BEGIN:VCALENDAR\r\n");
	GError *error = NULL;
	GBytes *body, *compressed, *again, *back, *nothing, *empty;
	const guint8 *bytes;
	gsize size;

	/* A feed's worth of events: 200 KB, well past one output buffer. */
	for (int i = 0; i < 2000; i++)
		g_string_append_printf(text, "BEGIN:VEVENT\r\nUID:P%d-dose-1-%d@dosed\r\n"
				       "SUMMARY:Hydroxocobalamin 1 mg due\r\nEND:VEVENT\r\n",
				       i % 37, i);
	g_string_append(text, "END:VCALENDAR\r\n");
	body = g_bytes_new(text->str, text->len);

	compressed = encoding_gzip(body, &error);
	assert_non_null(compressed);
	assert_null(error);
	bytes = g_bytes_get_data(compressed, &size);
	/* gzip's magic, deflate, and no file name or time in the header. */
	assert_true(size > 18);
	assert_int_equal(bytes[0], 0x1f);
	assert_int_equal(bytes[1], 0x8b);
	assert_int_equal(bytes[2], 8);
	assert_int_equal(bytes[3] & 0x08, 0);
	assert_int_equal(bytes[4] | bytes[5] | bytes[6] | bytes[7], 0);
	/* Calendar text shrinks a lot. */
	assert_true(size * 10 < text->len);
	back = gunzip(compressed);
	assert_true(g_bytes_equal(back, body));
	/* The same text, the same bytes: the ETag survives a restart. */
	again = encoding_gzip(body, &error);
	assert_non_null(again);
	assert_true(g_bytes_equal(again, compressed));

	/* Nothing compresses to a valid, empty gzip stream. */
	nothing = g_bytes_new_static("", 0);
	empty = encoding_gzip(nothing, &error);
	assert_non_null(empty);
	g_bytes_unref(back);
	back = gunzip(empty);
	assert_int_equal(g_bytes_get_size(back), 0);

	g_bytes_unref(back);
	g_bytes_unref(empty);
	g_bytes_unref(nothing);
	g_bytes_unref(again);
	g_bytes_unref(compressed);
	g_bytes_unref(body);
	g_string_free(text, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_gzip),
		cmocka_unit_test(test_refuses_gzip),
		cmocka_unit_test(test_gzip_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
