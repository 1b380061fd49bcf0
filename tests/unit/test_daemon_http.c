/* test_daemon_http.c - the feed server and its cache, in process: a real
 * database, real tokens, libmicrohttpd on a loopback port, and requests
 * written byte for byte (SPEC 4, Feeds).  What a subscriber sees: the
 * headers, 304 on revalidation, HEAD, the same 404 for every dead end,
 * 405 with Allow; and what the cache does: no render for an unchanged feed,
 * a byte-identical feed after an invalidation, a new render on a new day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "error.h"
#include "feed.h"
#include "feeds.h"
#include "http.h"
#include "protocol.h"
#include "store.h"
#include "timeutil.h"
#include "token.h"

#include "helpers.h"

/* The worked example of SPEC 2: b12-standard from Monday 2026-11-23. */
static const char protocol_ini[] =
	"[b12-standard]\n"
	"title  = Hydroxocobalamin, no neurological involvement\n"
	"drug   = hydroxocobalamin\n"
	"dose   = 1 mg\n"
	"route  = IM\n"
	"source = test fixture\n"
	"phase  = loading: 3 per week (mon,wed,fri) for 6 doses\n"
	"phase  = maintenance: every 2-3 months for life\n";

#define NOW_TEXT "2026-11-23T10:00:00Z"
#define NOW_HTTP_DATE "Mon, 23 Nov 2026 10:00:00 GMT"
#define NEXT_DAY_TEXT "2026-11-24T10:00:00Z"

typedef struct {
	char *dir;
	char *db;
	DosedStore *admin;      /* the test's connection, as dosectl's */
	DosedConfig *config;
	FeedsCache *feeds;
	HttpServer *http;
	int port;
	char *patient_token;
	char *clinic_token;
	char *patient_path;     /* /feeds/TOKEN.ics */
	char *clinic_path;
} Fixture;

typedef struct {
	int status;
	GHashTable *headers;    /* lower-case name -> value */
	char *body;
	gsize body_length;
} Reply;

/* ---- fixture --------------------------------------------------------- */

static gint64 now_value(void)
{
	gint64 now = 0;

	assert_true(now_from_environment(&now, NULL));
	return now;
}

static char *issue_token(DosedStore *store, const char *patient_id, bool rotate)
{
	GError *error = NULL;
	char token[DOSED_TOKEN_TEXT_LEN + 1];
	char hash[DOSED_TOKEN_HASH_LEN + 1];
	bool issued = false;
	gint64 issued_at;

	/* As dosectl feed does: the token made here, its hash stored. */
	if (!token_generate(token, &error))
		fail_msg("token_generate: %s", error->message);
	token_hash(token, DOSED_TOKEN_TEXT_LEN, hash);
	begin_write(store);
	if (!store_issue_feed_token(store, patient_id, hash, rotate, "nurse", now_value(),
				    &issued, &issued_at, &error))
		fail_msg("store_issue_feed_token: %s", error->message);
	commit(store);
	assert_true(issued);
	return g_strdup(token);
}

static void enrol(DosedStore *store, const char *patient_id, const char *name)
{
	GError *error = NULL;
	DosedProtocol *protocol = protocol_from_ini(protocol_ini, "test", &error);

	assert_non_null(protocol);
	begin_write(store);
	if (!store_enrol(store, patient_id, name, "Europe/London", protocol,
			 date_from_ymd(2026, 11, 23), "nurse", now_value(), &error))
		fail_msg("store_enrol: %s", error->message);
	commit(store);
	protocol_destroy(protocol);
}

/* What the main loop does on a change: new tokens, nothing cached. */
static void reload_tokens(Fixture *fixture)
{
	GError *error = NULL;
	GPtrArray *tokens = store_load_feed_tokens(fixture->admin, &error);

	if (!tokens)
		fail_msg("store_load_feed_tokens: %s", error->message);
	feeds_set_tokens(fixture->feeds, tokens);
}

/* A free port, found by trying: no fixed port for tests that may run side
 * by side. */
static void start_server(Fixture *fixture)
{
	GError *error = NULL;

	for (int attempt = 0; attempt < 50 && !fixture->http; attempt++) {
		char *listen;

		fixture->port = g_random_int_range(20000, 60000);
		listen = g_strdup_printf("127.0.0.1:%d", fixture->port);
		fixture->http = http_start(listen, fixture->feeds, &error);
		g_free(listen);
		if (!fixture->http)
			g_clear_error(&error);
	}
	assert_non_null(fixture->http);
}

static int setup(void **state)
{
	Fixture *fixture = g_new0(Fixture, 1);
	GError *error = NULL;
	DosedStore *render_store;

	g_setenv("DOSED_NOW", NOW_TEXT, TRUE);
	fixture->dir = g_dir_make_tmp("dosed-http-XXXXXX", NULL);
	assert_non_null(fixture->dir);
	fixture->db = g_build_filename(fixture->dir, "dosed.db", NULL);
	fixture->admin = store_open(fixture->db, 0600, 2000, &error);
	if (!fixture->admin)
		fail_msg("store_open: %s", error->message);
	enrol(fixture->admin, "P1", "Jo Patient");
	enrol(fixture->admin, "P2", "Sam Patient");
	fixture->patient_token = issue_token(fixture->admin, "P1", false);
	fixture->clinic_token = issue_token(fixture->admin, NULL, false);
	fixture->patient_path = g_strdup_printf("/feeds/%s.ics", fixture->patient_token);
	fixture->clinic_path = g_strdup_printf("/clinic/%s.ics", fixture->clinic_token);

	fixture->config = config_create_defaults(false);
	render_store = store_open(fixture->db, 0600, 2000, &error);
	assert_non_null(render_store);
	fixture->feeds = feeds_create(render_store, fixture->config);
	reload_tokens(fixture);
	start_server(fixture);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	Fixture *fixture = *state;

	http_stop(fixture->http);
	feeds_destroy(fixture->feeds);
	store_close(fixture->admin);
	config_destroy(fixture->config);
	remove_tree(fixture->dir);
	g_free(fixture->dir);
	g_free(fixture->db);
	g_free(fixture->patient_token);
	g_free(fixture->clinic_token);
	g_free(fixture->patient_path);
	g_free(fixture->clinic_path);
	g_free(fixture);
	g_unsetenv("DOSED_NOW");
	return 0;
}

/* ---- a minimal HTTP client ------------------------------------------- */

static void reply_free(Reply *reply)
{
	g_hash_table_unref(reply->headers);
	g_free(reply->body);
	g_free(reply);
}

/* Send `method path` with extra header lines ("Name: value\r\n"...), the
 * path exactly as given, and read the whole answer (Connection: close). */
static Reply *request(const Fixture *fixture, const char *method, const char *path,
		      const char *headers)
{
	GSocketClient *client = g_socket_client_new();
	GSocketConnection *connection;
	GError *error = NULL;
	GByteArray *bytes = g_byte_array_new();
	Reply *reply = g_new0(Reply, 1);
	char *text, *head_end, **lines;
	guint8 buffer[4096];
	gssize got;

	connection = g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)fixture->port,
						     NULL, &error);
	if (!connection)
		fail_msg("connect: %s", error->message);
	text = g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
			       method, path, headers ? headers : "");
	assert_true(g_output_stream_write_all(
		g_io_stream_get_output_stream(G_IO_STREAM(connection)), text, strlen(text),
		NULL, NULL, &error));
	g_free(text);
	while ((got = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(connection)),
					  buffer, sizeof buffer, NULL, &error)) > 0)
		g_byte_array_append(bytes, buffer, (guint)got);
	assert_true(got == 0);
	g_object_unref(connection);
	g_object_unref(client);

	g_byte_array_append(bytes, (const guint8 *)"", 1);
	text = (char *)bytes->data;
	head_end = strstr(text, "\r\n\r\n");
	assert_non_null(head_end);
	*head_end = '\0';
	reply->body_length = bytes->len - 1 - (gsize)(head_end + 4 - text);
	reply->body = g_memdup2(head_end + 4, reply->body_length + 1);
	reply->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	lines = g_strsplit(text, "\r\n", -1);
	assert_true(sscanf(lines[0], "HTTP/1.1 %d ", &reply->status) == 1);
	for (int i = 1; lines[i]; i++) {
		char *colon = strchr(lines[i], ':');

		assert_non_null(colon);
		g_hash_table_replace(reply->headers,
				     g_ascii_strdown(lines[i], colon - lines[i]),
				     g_strdup(g_strstrip(colon + 1)));
	}
	g_strfreev(lines);
	g_byte_array_unref(bytes);
	return reply;
}

static const char *header(const Reply *reply, const char *name)
{
	return g_hash_table_lookup(reply->headers, name);
}

static Reply *get(const Fixture *fixture, const char *path)
{
	return request(fixture, "GET", path, NULL);
}

/* ---- tests ----------------------------------------------------------- */

static void test_patient_feed(void **state)
{
	Fixture *fixture = *state;
	Reply *reply = get(fixture, fixture->patient_path);
	char *digest, *etag;

	assert_int_equal(reply->status, 200);
	assert_string_equal(header(reply, "content-type"), "text/calendar; charset=utf-8");
	/* No shared cache may keep it; a client's must ask before each use
	 * (without no-cache it may reuse a stale feed by heuristic). */
	assert_string_equal(header(reply, "cache-control"), "private, no-cache");
	/* Gzip or not depends on Accept-Encoding; none was sent. */
	assert_string_equal(header(reply, "vary"), "Accept-Encoding");
	assert_null(header(reply, "content-encoding"));
	/* Last-Modified is when the feed last changed: its first render. */
	assert_string_equal(header(reply, "last-modified"), NOW_HTTP_DATE);
	/* The ETag is the quoted SHA-256 of the body. */
	digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)reply->body,
					     reply->body_length);
	etag = g_strdup_printf("\"%s\"", digest);
	assert_string_equal(header(reply, "etag"), etag);
	assert_true(g_str_has_prefix(reply->body, "BEGIN:VCALENDAR\r\n"));
	assert_non_null(strstr(reply->body, "Jo Patient"));
	assert_null(strstr(reply->body, "Sam Patient"));
	/* The worked example's second and sixth loading doses. */
	assert_non_null(strstr(reply->body, "DTSTART;VALUE=DATE:20261125\r\n"));
	assert_non_null(strstr(reply->body, "DTSTART;VALUE=DATE:20261204\r\n"));
	g_free(etag);
	g_free(digest);
	reply_free(reply);
}

static void test_clinic_feed(void **state)
{
	Fixture *fixture = *state;
	Reply *reply = get(fixture, fixture->clinic_path);

	assert_int_equal(reply->status, 200);
	assert_string_equal(header(reply, "content-type"), "text/calendar; charset=utf-8");
	assert_non_null(strstr(reply->body, "Jo Patient"));
	assert_non_null(strstr(reply->body, "Sam Patient"));
	reply_free(reply);
}

static void test_head(void **state)
{
	Fixture *fixture = *state;
	Reply *full = get(fixture, fixture->patient_path);
	Reply *head = request(fixture, "HEAD", fixture->patient_path, NULL);
	char *length = g_strdup_printf("%zu", full->body_length);

	assert_int_equal(head->status, 200);
	assert_int_equal(head->body_length, 0);
	assert_string_equal(header(head, "content-length"), length);
	assert_string_equal(header(head, "etag"), header(full, "etag"));
	assert_string_equal(header(head, "last-modified"), header(full, "last-modified"));
	assert_string_equal(header(head, "content-type"), "text/calendar; charset=utf-8");
	g_free(length);
	reply_free(head);
	reply_free(full);
}

static void test_if_none_match(void **state)
{
	Fixture *fixture = *state;
	Reply *full = get(fixture, fixture->patient_path);
	const char *etag = header(full, "etag");
	char *same = g_strdup_printf("If-None-Match: %s\r\n", etag);
	char *weak_in_list = g_strdup_printf("If-None-Match: \"old\", W/%s\r\n", etag);
	Reply *reply;

	reply = request(fixture, "GET", fixture->patient_path, same);
	assert_int_equal(reply->status, 304);
	assert_int_equal(reply->body_length, 0);
	assert_string_equal(header(reply, "etag"), etag);
	assert_string_equal(header(reply, "last-modified"), NOW_HTTP_DATE);
	assert_string_equal(header(reply, "cache-control"), "private, no-cache");
	assert_string_equal(header(reply, "vary"), "Accept-Encoding");
	/* RFC 9110 8.6: no length but the 200's; SPEC 4: none at all.  Nor
	 * chunked framing, which would announce a body. */
	assert_null(header(reply, "content-length"));
	assert_null(header(reply, "transfer-encoding"));
	reply_free(reply);

	/* HEAD revalidates the same way. */
	reply = request(fixture, "HEAD", fixture->patient_path, same);
	assert_int_equal(reply->status, 304);
	assert_int_equal(reply->body_length, 0);
	assert_null(header(reply, "content-length"));
	reply_free(reply);

	reply = request(fixture, "GET", fixture->patient_path, weak_in_list);
	assert_int_equal(reply->status, 304);
	reply_free(reply);

	reply = request(fixture, "GET", fixture->patient_path, "If-None-Match: *\r\n");
	assert_int_equal(reply->status, 304);
	reply_free(reply);

	/* An old tag, even with a date that would do: the tag decides. */
	reply = request(fixture, "GET", fixture->patient_path,
			"If-None-Match: \"old\"\r\nIf-Modified-Since: " NOW_HTTP_DATE "\r\n");
	assert_int_equal(reply->status, 200);
	assert_int_equal(reply->body_length, full->body_length);
	reply_free(reply);

	g_free(same);
	g_free(weak_in_list);
	reply_free(full);
}

static void test_if_modified_since(void **state)
{
	Fixture *fixture = *state;
	Reply *reply;

	reply = request(fixture, "GET", fixture->patient_path,
			"If-Modified-Since: " NOW_HTTP_DATE "\r\n");
	assert_int_equal(reply->status, 304);
	assert_null(header(reply, "content-length"));
	reply_free(reply);

	reply = request(fixture, "GET", fixture->patient_path,
			"If-Modified-Since: Mon, 23 Nov 2026 09:59:59 GMT\r\n");
	assert_int_equal(reply->status, 200);
	assert_true(reply->body_length > 0);
	reply_free(reply);

	reply = request(fixture, "GET", fixture->patient_path,
			"If-Modified-Since: not a date\r\n");
	assert_int_equal(reply->status, 200);
	reply_free(reply);
}

/* gunzip with GIO's zlib decompressor, which checks gzip's CRC. */
static char *gunzip(const Reply *reply, gsize *length)
{
	GZlibDecompressor *decompressor = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
	GInputStream *memory = g_memory_input_stream_new_from_data(reply->body,
								   (gssize)reply->body_length,
								   NULL);
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
	*length = out->len;
	g_byte_array_append(out, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(out, FALSE);
}

static char *quoted_sha256(const char *data, gsize length)
{
	char *digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, length);
	char *etag = g_strdup_printf("\"%s\"", digest);

	g_free(digest);
	return etag;
}

/* Feeds are gzipped when the client accepts it (Evolution sends
 * Accept-Encoding: gzip): the same calendar, a representation with an
 * ETag of its own, and 304s right for both (issue 12). */
static void test_gzip(void **state)
{
	Fixture *fixture = *state;
	Reply *plain = get(fixture, fixture->patient_path);
	Reply *gzip, *reply;
	char *text, *gzip_etag, *line, *length;
	gsize text_length;

	gzip = request(fixture, "GET", fixture->patient_path, "Accept-Encoding: gzip\r\n");
	assert_int_equal(gzip->status, 200);
	assert_string_equal(header(gzip, "content-encoding"), "gzip");
	assert_string_equal(header(gzip, "content-type"), "text/calendar; charset=utf-8");
	assert_string_equal(header(gzip, "vary"), "Accept-Encoding");
	assert_string_equal(header(gzip, "cache-control"), "private, no-cache");
	assert_string_equal(header(gzip, "last-modified"), header(plain, "last-modified"));
	text = gunzip(gzip, &text_length);
	assert_int_equal(text_length, plain->body_length);
	assert_memory_equal(text, plain->body, text_length);
	assert_true(gzip->body_length * 4 < plain->body_length);
	/* Its own strong ETag, of its own bytes. */
	gzip_etag = quoted_sha256(gzip->body, gzip->body_length);
	assert_string_equal(header(gzip, "etag"), gzip_etag);
	assert_string_not_equal(header(gzip, "etag"), header(plain, "etag"));
	g_free(text);

	/* Revalidation of each representation, by its own ETag. */
	line = g_strdup_printf("Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", gzip_etag);
	reply = request(fixture, "GET", fixture->patient_path, line);
	assert_int_equal(reply->status, 304);
	assert_int_equal(reply->body_length, 0);
	assert_string_equal(header(reply, "etag"), gzip_etag);
	assert_string_equal(header(reply, "vary"), "Accept-Encoding");
	assert_null(header(reply, "content-length"));
	reply_free(reply);
	g_free(line);
	/* The gzip ETag from a client that no longer takes gzip: the text. */
	line = g_strdup_printf("If-None-Match: %s\r\n", gzip_etag);
	reply = request(fixture, "GET", fixture->patient_path, line);
	assert_int_equal(reply->status, 200);
	assert_null(header(reply, "content-encoding"));
	assert_string_equal(header(reply, "etag"), header(plain, "etag"));
	assert_int_equal(reply->body_length, plain->body_length);
	reply_free(reply);
	g_free(line);
	/* The text's ETag from a client that now takes gzip: the gzip. */
	line = g_strdup_printf("Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n",
			       header(plain, "etag"));
	reply = request(fixture, "GET", fixture->patient_path, line);
	assert_int_equal(reply->status, 200);
	assert_string_equal(header(reply, "content-encoding"), "gzip");
	assert_string_equal(header(reply, "etag"), gzip_etag);
	reply_free(reply);
	g_free(line);

	/* HEAD announces the gzip's length. */
	reply = request(fixture, "HEAD", fixture->patient_path, "Accept-Encoding: gzip\r\n");
	length = g_strdup_printf("%zu", gzip->body_length);
	assert_int_equal(reply->status, 200);
	assert_int_equal(reply->body_length, 0);
	assert_string_equal(header(reply, "content-length"), length);
	assert_string_equal(header(reply, "etag"), gzip_etag);
	reply_free(reply);
	g_free(length);

	/* q=0 refuses gzip; "*" accepts it; the clinic feed too. */
	reply = request(fixture, "GET", fixture->patient_path,
			"Accept-Encoding: gzip;q=0, deflate\r\n");
	assert_int_equal(reply->status, 200);
	assert_null(header(reply, "content-encoding"));
	assert_int_equal(reply->body_length, plain->body_length);
	reply_free(reply);
	reply = request(fixture, "GET", fixture->patient_path, "Accept-Encoding: *\r\n");
	assert_string_equal(header(reply, "content-encoding"), "gzip");
	assert_int_equal(reply->body_length, gzip->body_length);
	reply_free(reply);
	reply = request(fixture, "GET", fixture->clinic_path, "Accept-Encoding: gzip\r\n");
	assert_int_equal(reply->status, 200);
	assert_string_equal(header(reply, "content-encoding"), "gzip");
	text = gunzip(reply, &text_length);
	assert_non_null(strstr(text, "Sam Patient"));
	g_free(text);
	reply_free(reply);

	/* All of it from the one rendering. */
	assert_int_equal(feeds_render_count(fixture->feeds), 2);
	g_free(gzip_etag);
	reply_free(gzip);
	reply_free(plain);
}

/* Every dead end answers the same bytes: nothing tells a revoked token
 * from a mistyped path. */
static void test_same_404_everywhere(void **state)
{
	Fixture *fixture = *state;
	char *clinic_as_patient = g_strdup_printf("/feeds/%s.ics", fixture->clinic_token);
	char *patient_as_clinic = g_strdup_printf("/clinic/%s.ics", fixture->patient_token);
	char *encoded = g_strdup_printf("/feeds%%2F%s.ics", fixture->patient_token);
	char *traversal = g_strdup_printf("/x/../feeds/%s.ics", fixture->patient_token);
	char *upper = g_ascii_strup(fixture->patient_path, -1);
	const char *paths[] = {
		"/feeds/00000000000000000000000000000000.ics",
		clinic_as_patient,
		patient_as_clinic,
		encoded,
		traversal,
		upper,
		"/",
		"/feeds/",
		"/index.html",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		Reply *reply = get(fixture, paths[i]);

		if (reply->status != 404)
			fail_msg("GET %s: %d, expected 404", paths[i], reply->status);
		assert_string_equal(reply->body, "Not Found\n");
		assert_null(header(reply, "etag"));
		reply_free(reply);
	}
	g_free(clinic_as_patient);
	g_free(patient_as_clinic);
	g_free(encoded);
	g_free(traversal);
	g_free(upper);
}

/* Tokens are looked up by the SHA-256 of what was sent, and by nothing
 * else (feeds.c: why that lookup needs no constant-time compare): a token
 * one digit off, anywhere, is unknown; a token whose stored form were the
 * token itself would not be found. */
static void test_token_lookup_by_hash(void **state)
{
	Fixture *fixture = *state;
	char guess[DOSED_TOKEN_TEXT_LEN + 1];
	char *path;
	GPtrArray *tokens;
	DosedFeedToken *entry;
	FeedsDocument *document;
	GError *error = NULL;

	for (int i = 0; i < DOSED_TOKEN_TEXT_LEN; i++) {
		Reply *reply;

		g_strlcpy(guess, fixture->patient_token, sizeof guess);
		guess[i] = guess[i] == 'f' ? '0' : guess[i] == '9' ? 'a' : (char)(guess[i] + 1);
		path = g_strdup_printf("/feeds/%s.ics", guess);
		reply = get(fixture, path);
		if (reply->status != 404)
			fail_msg("a token wrong in digit %d only: %d, expected 404", i + 1,
				 reply->status);
		assert_string_equal(reply->body, "Not Found\n");
		reply_free(reply);
		g_free(path);
	}

	/* The cache's own lookup: the token itself in place of its hash is
	 * not found by that token; its hash is. */
	tokens = g_ptr_array_new_with_free_func(g_free);
	entry = g_new0(DosedFeedToken, 1);
	g_strlcpy(entry->hash, fixture->patient_token, sizeof entry->hash);
	entry->patient_id = (char *)"P1";
	g_ptr_array_add(tokens, entry);
	feeds_set_tokens(fixture->feeds, tokens);
	document = feeds_get(fixture->feeds, ROUTE_PATIENT, fixture->patient_token, now_value(),
			     &error);
	assert_null(document);
	assert_null(error);

	tokens = g_ptr_array_new_with_free_func(g_free);
	entry = g_new0(DosedFeedToken, 1);
	token_hash(fixture->patient_token, strlen(fixture->patient_token), entry->hash);
	entry->patient_id = (char *)"P1";
	g_ptr_array_add(tokens, entry);
	feeds_set_tokens(fixture->feeds, tokens);
	document = feeds_get(fixture->feeds, ROUTE_PATIENT, fixture->patient_token, now_value(),
			     &error);
	assert_non_null(document);
	assert_non_null(strstr(g_bytes_get_data(document->body, NULL), "Jo Patient"));
	feeds_document_unref(document);
	/* ... for its own kind of feed only. */
	assert_null(feeds_get(fixture->feeds, ROUTE_CLINIC, fixture->patient_token, now_value(),
			      &error));
	assert_null(error);
}

static void test_query_is_ignored(void **state)
{
	Fixture *fixture = *state;
	char *path = g_strdup_printf("%s?x=../../clinic", fixture->patient_path);
	Reply *reply = get(fixture, path);

	/* libmicrohttpd cuts the query off before the router sees the path. */
	assert_int_equal(reply->status, 200);
	assert_non_null(strstr(reply->body, "Jo Patient"));
	reply_free(reply);
	g_free(path);
}

static void test_rotated_token_404(void **state)
{
	Fixture *fixture = *state;
	char *fresh = issue_token(fixture->admin, "P1", true);
	char *fresh_path = g_strdup_printf("/feeds/%s.ics", fresh);
	Reply *reply;

	reload_tokens(fixture);
	reply = get(fixture, fixture->patient_path);
	assert_int_equal(reply->status, 404);
	assert_string_equal(reply->body, "Not Found\n");
	reply_free(reply);
	reply = get(fixture, fresh_path);
	assert_int_equal(reply->status, 200);
	reply_free(reply);
	g_free(fresh_path);
	g_free(fresh);
}

static void test_other_methods_405(void **state)
{
	Fixture *fixture = *state;
	const char *methods[] = { "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get" };

	for (size_t i = 0; i < G_N_ELEMENTS(methods); i++) {
		/* A live token and a dead path get the same answer. */
		const char *paths[] = { fixture->patient_path, "/nothing" };

		for (size_t j = 0; j < G_N_ELEMENTS(paths); j++) {
			Reply *reply = request(fixture, methods[i], paths[j],
					       "Content-Length: 0\r\n");

			if (reply->status != 405)
				fail_msg("%s %s: %d, expected 405", methods[i],
					 j == 0 ? "(live feed)" : paths[j], reply->status);
			assert_string_equal(header(reply, "allow"), "GET, HEAD");
			assert_string_equal(reply->body, "Method Not Allowed\n");
			reply_free(reply);
		}
	}
}

static void test_unchanged_feed_not_rendered_again(void **state)
{
	Fixture *fixture = *state;
	Reply *first, *second;

	first = get(fixture, fixture->patient_path);
	assert_int_equal(feeds_render_count(fixture->feeds), 1);
	second = get(fixture, fixture->patient_path);
	assert_int_equal(feeds_render_count(fixture->feeds), 1);
	assert_string_equal(header(first, "etag"), header(second, "etag"));
	reply_free(first);
	reply_free(second);
}

/* After an invalidation the feed is rendered again, byte-identical (same
 * ETag, same Last-Modified), and the render writes nothing: no other
 * connection sees the database change, so the change watch cannot loop. */
static void test_invalidated_feed_identical(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	gint64 version_before, version_after;
	GHashTable *states = feed_states_create();
	Reply *first, *second;

	first = get(fixture, fixture->patient_path);
	/* The first render saved its event states. */
	assert_true(store_load_feed_states(fixture->admin, states, &error));
	assert_true(g_hash_table_size(states) > 0);
	assert_true(store_data_version(fixture->admin, &version_before, &error));

	feeds_invalidate(fixture->feeds);
	second = get(fixture, fixture->patient_path);
	assert_int_equal(feeds_render_count(fixture->feeds), 2);
	assert_string_equal(header(first, "etag"), header(second, "etag"));
	assert_string_equal(header(first, "last-modified"), header(second, "last-modified"));
	assert_true(store_data_version(fixture->admin, &version_after, &error));
	assert_int_equal(version_after, version_before);
	g_hash_table_unref(states);
	reply_free(first);
	reply_free(second);
}

static void test_logged_dose_changes_feed(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	DosedPlannedDose logged_as;
	DosedRegimen *regimen;
	Reply *before, *cached, *after;
	gint64 dose_id;
	gint64 now = now_value();

	before = get(fixture, fixture->patient_path);
	begin_write(fixture->admin);
	regimen = store_load_regimen(fixture->admin, "P1", &error);
	assert_non_null(regimen);
	assert_true(schedule_check_log(&regimen->view, now, now, false, &logged_as, &error));
	assert_true(store_log_dose(fixture->admin, regimen, &logged_as, now, "left deltoid",
				   NULL, false, "nurse", now, &dose_id, &error));
	commit(fixture->admin);
	regimen_destroy(regimen);

	/* Until the change is reported, the cached feed is served. */
	cached = get(fixture, fixture->patient_path);
	assert_string_equal(header(cached, "etag"), header(before, "etag"));
	feeds_invalidate(fixture->feeds);
	after = get(fixture, fixture->patient_path);
	assert_int_equal(after->status, 200);
	assert_string_not_equal(header(after, "etag"), header(before, "etag"));
	assert_non_null(strstr(after->body, "left deltoid"));
	reply_free(before);
	reply_free(cached);
	reply_free(after);
}

/* A feed rendered yesterday is not served today: "due" may have become
 * "overdue" at the patient's midnight. */
static void test_new_day_renders_again(void **state)
{
	Fixture *fixture = *state;
	Reply *reply;

	reply = get(fixture, fixture->patient_path);
	reply_free(reply);
	reply = get(fixture, fixture->patient_path);
	reply_free(reply);
	assert_int_equal(feeds_render_count(fixture->feeds), 1);
	g_setenv("DOSED_NOW", NEXT_DAY_TEXT, TRUE);
	reply = get(fixture, fixture->patient_path);
	assert_int_equal(reply->status, 200);
	assert_int_equal(feeds_render_count(fixture->feeds), 2);
	reply_free(reply);
	reply = get(fixture, fixture->patient_path);
	assert_int_equal(feeds_render_count(fixture->feeds), 2);
	reply_free(reply);
}

static void test_listen_addresses(void **state)
{
	GError *error = NULL;
	GSocketAddress *address;
	char *text;

	address = http_listen_address("127.0.0.1:8645", &error);
	assert_non_null(address);
	text = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
	assert_string_equal(text, "127.0.0.1");
	assert_int_equal(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)), 8645);
	g_free(text);
	g_object_unref(address);

	address = http_listen_address("[::1]:9000", &error);
	assert_non_null(address);
	assert_int_equal(g_socket_address_get_family(address), G_SOCKET_FAMILY_IPV6);
	assert_int_equal(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)), 9000);
	g_object_unref(address);

	/* localhost is the IPv4 loopback: no name lookup. */
	address = http_listen_address("localhost:8645", &error);
	assert_non_null(address);
	text = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
	assert_string_equal(text, "127.0.0.1");
	g_free(text);
	g_object_unref(address);

	address = http_listen_address("example.org:80", &error);
	assert_null(address);
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
	assert_non_null(strstr(error->message, "example.org:80"));
	g_clear_error(&error);
	address = http_listen_address("127.0.0.1", &error);
	assert_null(address);
	g_clear_error(&error);
}

static void test_address_in_use(void **state)
{
	Fixture *fixture = *state;
	GError *error = NULL;
	char *listen = g_strdup_printf("127.0.0.1:%d", fixture->port);
	HttpServer *second = http_start(listen, fixture->feeds, &error);

	assert_null(second);
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_REFUSED));
	assert_non_null(strstr(error->message, listen));
	assert_non_null(strstr(error->message, "Address already in use"));
	assert_non_null(strstr(error->message, "[feed] listen"));
	g_error_free(error);
	g_free(listen);
	/* The first server still answers. */
	Reply *reply = get(fixture, fixture->patient_path);
	assert_int_equal(reply->status, 200);
	reply_free(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_patient_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clinic_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_none_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_modified_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_404_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_lookup_by_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_token_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_methods_405, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_feed_not_rendered_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalidated_feed_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logged_dose_changes_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_day_renders_again, setup, teardown),
		cmocka_unit_test(test_listen_addresses),
		cmocka_unit_test_setup_teardown(test_address_in_use, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
