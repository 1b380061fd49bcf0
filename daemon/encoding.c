/* encoding.c - gzip for the feeds (see encoding.h). */
#include "encoding.h"

#include <string.h>

#include <gio/gio.h>

/* Optional white space (RFC 9110 5.6.3). */
static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A qvalue (RFC 9110 12.4.2): "0" to "1" with at most three decimals.
 * Its value in thousandths into *out; false when malformed. */
static bool parse_qvalue(const char *p, const char *end, int *out)
{
	int value, digits = 0, scale = 100;

	if (p == end || (*p != '0' && *p != '1'))
		return false;
	value = (*p - '0') * 1000;
	p++;
	if (p < end && *p == '.') {
		for (p++; p < end && g_ascii_isdigit(*p) && digits < 3; p++, digits++) {
			value += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (p != end || value > 1000)
		return false;
	*out = value;
	return true;
}

/* One element of the list, "coding" or "coding;q=0.5" with optional white
 * space: the coding's [start, end) and its weight in thousandths (1000
 * without a weight).  False when the element is malformed. */
static bool parse_element(const char *start, const char *end, const char **coding_end,
			  int *weight)
{
	const char *p = start, *semicolon;

	while (p < end && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	*coding_end = p;
	*weight = 1000;
	if (*coding_end == start)
		return false;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return true;
	if (*p != ';')
		return false;
	semicolon = p;
	p = skip_ows(semicolon + 1);
	if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return false;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return parse_qvalue(p + 2, end, weight);
}

static bool coding_is(const char *start, const char *end, const char *name)
{
	size_t length = strlen(name);

	return (size_t)(end - start) == length && g_ascii_strncasecmp(start, name, length) == 0;
}

bool encoding_accepts_gzip(const char *accept_encoding)
{
	int gzip = -1, any = -1;       /* weights in thousandths; -1: not listed */
	const char *p = accept_encoding;

	if (p == NULL)
		return false;
	/* #element: elements separated by commas, empty ones allowed
	 * (RFC 9110 5.6.1.2). */
	while (*p != '\0') {
		const char *start = skip_ows(p), *end = strchr(start, ','), *coding_end;
		int weight;

		if (end == NULL)
			end = start + strlen(start);
		p = *end == ',' ? end + 1 : end;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == start)
			continue;
		/* A malformed element counts as a refusal of what it names:
		 * the text as it is is always understood. */
		if (!parse_element(start, end, &coding_end, &weight))
			weight = 0;
		if (coding_is(start, coding_end, "gzip") || coding_is(start, coding_end, "x-gzip"))
			gzip = MAX(gzip, weight);
		else if (coding_is(start, coding_end, "*"))
			any = MAX(any, weight);
	}
	return gzip >= 0 ? gzip > 0 : any > 0;
}

GBytes *encoding_gzip(GBytes *body, GError **error)
{
	/* Level 6, zlib's default: nearly all that level 9 saves on calendar
	 * text, in a fraction of the time (a clinic's feed is tens of
	 * megabytes).  Without file info GIO writes no name and no time into
	 * the header, so the output depends on the input alone. */
	GZlibCompressor *compressor = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	gsize size, read = 0, done = 0;
	const guint8 *in = g_bytes_get_data(body, &size);
	/* Room for text compressed about eightfold; grown when zlib asks. */
	GByteArray *out = g_byte_array_sized_new((guint)MIN(size / 8 + 4096, G_MAXUINT));
	GConverterResult result;
	GError *local = NULL;

	g_byte_array_set_size(out, (guint)MIN(size / 8 + 4096, G_MAXUINT));
	for (;;) {
		gsize consumed = 0, written = 0;

		if (out->len - done < 4096)
			g_byte_array_set_size(out, out->len * 2);
		result = g_converter_convert(G_CONVERTER(compressor), in + read, size - read,
					     out->data + done, out->len - done,
					     G_CONVERTER_INPUT_AT_END, &consumed, &written, &local);
		if (result == G_CONVERTER_ERROR) {
			if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
				g_clear_error(&local);
				g_byte_array_set_size(out, out->len * 2);
				continue;
			}
			g_propagate_error(error, local);
			break;
		}
		read += consumed;
		done += written;
		if (result == G_CONVERTER_FINISHED)
			break;
	}
	g_object_unref(compressor);
	if (result == G_CONVERTER_ERROR) {
		g_byte_array_unref(out);
		return NULL;
	}
	g_byte_array_set_size(out, (guint)done);
	return g_byte_array_free_to_bytes(out);
}
