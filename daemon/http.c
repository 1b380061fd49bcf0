/* http.c - the feed server, with libmicrohttpd (see http.h).
 *
 * libmicrohttpd runs its own threads, one per CPU (a pool), each waiting
 * in its own epoll, rather than being driven from the GLib main loop: its
 * loop needs no integration with GLib's (no fd sets to export and re-arm,
 * no timeouts to translate), a slow render never delays a signal or a
 * reminder on the main loop, and with no connection open each blocks in
 * epoll_wait without a timeout, so an idle daemon does not wake up.  What
 * they share with the main loop is the feed cache, behind its mutex
 * (feeds.h).
 *
 * Speed (issue 7): a poll of a cached feed costs two system calls (one
 * read, one write of headers and body together) on a connection kept open
 * between polls; besides libmicrohttpd's parsing, our work is the token's
 * hash, a table lookup and a look at Accept-Encoding, since the answers
 * themselves, headers, gzip and all, are made once per rendering
 * (http_prepare()).
 */
#include "http.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "conditional.h"
#include "encoding.h"
#include "error.h"
#include "log.h"
#include "route.h"
#include "timeutil.h"

struct HttpServer {
	struct MHD_Daemon *daemon;
	FeedsCache *feeds;
	char *listen;
	/* libmicrohttpd's messages on the main thread while it starts: the
	 * reason it failed.  Its own thread never touches them. */
	GThread *starter;
	bool starting;
	GString *start_error;
	/* Shared answers, made once (libmicrohttpd responses may be queued
	 * on any number of connections). */
	struct MHD_Response *not_found;
	struct MHD_Response *not_allowed;
	struct MHD_Response *failed;
	/* Connections open now (libmicrohttpd's threads count them). */
	gint connections;
};

/* The same few bytes for every path that is not a live feed, unknown and
 * revoked tokens included: nothing tells them apart (SPEC 4). */
static const char http_not_found_body[] = "Not Found\n";
static const char http_not_allowed_body[] = "Method Not Allowed\n";
static const char http_failed_body[] = "Service Unavailable; try again later\n";

#define HTTP_CALENDAR_TYPE "text/calendar; charset=utf-8"
/* Revalidate before every use: without no-cache a client's cache may
 * reuse a feed by heuristic freshness (RFC 9111 4.2.2) and show a changed
 * schedule late; private keeps a patient's schedule out of shared caches
 * (a proxy). */
#define HTTP_CACHE_CONTROL "private, no-cache"

/* ---- libmicrohttpd's callbacks ---------------------------------------- */

/* libmicrohttpd's messages quote request paths, which may hold tokens:
 * they go through log_redact().  While starting they are the error;
 * afterwards they are debug lines. */
static void http_log(void *cls, const char *format, va_list args)
{
	HttpServer *server = cls;
	char *message = g_strdup_vprintf(format, args);
	char *redacted = log_redact(message);

	g_strstrip(redacted);
	if (g_thread_self() == server->starter && server->starting) {
		if (server->start_error->len > 0)
			g_string_append(server->start_error, "; ");
		g_string_append(server->start_error, redacted);
	} else {
		/* Once serving, these are about one client's request (too long,
		 * out of memory in its pool): at any higher level a remote
		 * client could flood the journal. */
		log_debug("http: %s", redacted);
	}
	g_free(redacted);
	g_free(message);
}

/* Leave the path as sent.  libmicrohttpd would decode %HH first, turning
 * "/feeds%2F..." into "/feeds/..."; the router takes only the exact
 * shapes, and a path with a '%' in it is no feed. */
static size_t http_no_unescape(void *cls, struct MHD_Connection *connection, char *text)
{
	return strlen(text);
}

static void http_document_free(void *cls)
{
	feeds_document_unref(cls);
}

static struct MHD_Response *http_plain_response(const char *body)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(strlen(body), (void *)body,
						MHD_RESPMEM_PERSISTENT);

	if (response)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; charset=utf-8");
	return response;
}

/* The validators and cache policy, on 200 and 304 alike (RFC 9110 15.4.5):
 * the representation's own ETag (gzip and identity differ), and Vary,
 * since which one is sent depends on Accept-Encoding.  False when out of
 * memory. */
static bool http_add_validators(struct MHD_Response *response, const FeedsDocument *document,
				const char *etag)
{
	char date[CONDITIONAL_DATE_BUF];

	return MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, etag) == MHD_YES &&
	       MHD_add_response_header(response, MHD_HTTP_HEADER_LAST_MODIFIED,
				       conditional_format_date(document->last_modified, date)) == MHD_YES &&
	       MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
				       HTTP_CACHE_CONTROL) == MHD_YES &&
	       MHD_add_response_header(response, MHD_HTTP_HEADER_VARY,
				       MHD_HTTP_HEADER_ACCEPT_ENCODING) == MHD_YES;
}

static ssize_t http_no_body(void *cls, uint64_t position, char *buffer, size_t size)
{
	return MHD_CONTENT_READER_END_OF_STREAM;
}

/* A 304 without Content-Length (SPEC 4; RFC 9110 8.6 allows only the
 * 200's length there, and libmicrohttpd 0.9.75 writes the length of
 * whatever body the response has, "0" for an empty one).  A response of
 * unknown length that may not be chunked gets neither Content-Length nor
 * Transfer-Encoding, at the price of "Connection: close": the client opens
 * a new connection for its next poll, which an hourly poll does anyway
 * (connections idle out after HTTP_CONNECTION_TIMEOUT_S).  (libmicrohttpd
 * 0.9.76 has MHD_RF_HEAD_ONLY_RESPONSE for this; Debian 12 has 0.9.75.)
 * No body is ever read: a 304 has none. */
static struct MHD_Response *http_not_modified_response(void)
{
	struct MHD_Response *response =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, http_no_body, NULL, NULL);

	if (response &&
	    MHD_set_response_options(response, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT,
				     MHD_RO_END) != MHD_YES) {
		MHD_destroy_response(response);
		response = NULL;
	}
	return response;
}

/* The answers of a document that could not be prepared (out of memory):
 * the text as it is, made per request. */
static struct MHD_Response *http_document_response(FeedsDocument *document,
						    bool not_modified)
{
	struct MHD_Response *response;
	gsize size;
	const void *body;

	if (not_modified) {
		response = http_not_modified_response();
	} else {
		/* The body is sent from the document itself, which the response
		 * holds a reference to: no copy, and a cache invalidation
		 * meanwhile does not pull it away. */
		body = g_bytes_get_data(document->body, &size);
		response = MHD_create_response_from_buffer_with_free_callback_cls(
			size, (void *)body, http_document_free, feeds_document_ref(document));
		if (!response) {
			feeds_document_unref(document);
			return NULL;
		}
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
					HTTP_CALENDAR_TYPE);
	}
	if (response)
		http_add_validators(response, document, document->etag);
	return response;
}

/* One representation of a document (RFC 9110 3.2): the text as it is, or
 * gzipped.  Its two answers are made once when the document is rendered
 * and queued on every connection that asks for them: libmicrohttpd counts
 * the references of a response under its own lock, so one response may be
 * sent on any number of connections, by any thread, at once. */
typedef struct {
	char *etag;                         /* quoted hex SHA-256 of its bytes */
	struct MHD_Response *ok;            /* 200 (and HEAD): the body */
	struct MHD_Response *not_modified;  /* 304: the validators alone */
} HttpRepresentation;

/* A document's representations.  gzip's are compressed once here, per
 * rendering, never per request. */
typedef struct {
	HttpRepresentation identity;
	HttpRepresentation gzip;
} HttpPrepared;

static void http_representation_clear(HttpRepresentation *representation)
{
	/* Connections still sending them hold their own references:
	 * libmicrohttpd frees each when its last one is done. */
	if (representation->ok)
		MHD_destroy_response(representation->ok);
	if (representation->not_modified)
		MHD_destroy_response(representation->not_modified);
	g_free(representation->etag);
}

static void http_prepared_free(gpointer data)
{
	HttpPrepared *prepared = data;

	http_representation_clear(&prepared->identity);
	http_representation_clear(&prepared->gzip);
	g_free(prepared);
}

static void http_body_free(void *cls)
{
	g_bytes_unref(cls);
}

/* Make a representation's answers for `body` and its `etag` (both taken),
 * sent with Content-Encoding `coding` (NULL: none).  False when out of
 * memory. */
static bool http_representation_init(HttpRepresentation *representation,
				     const FeedsDocument *document, GBytes *body, char *etag,
				     const char *coding)
{
	gsize size;
	const void *data = g_bytes_get_data(body, &size);

	representation->etag = etag;
	/* The 200 outlives the document when the document is replaced while
	 * a connection still sends it: it holds the body itself. */
	representation->ok = MHD_create_response_from_buffer_with_free_callback_cls(
		size, (void *)data, http_body_free, body);
	if (!representation->ok)
		g_bytes_unref(body);
	representation->not_modified = http_not_modified_response();
	return representation->ok && representation->not_modified &&
	       MHD_add_response_header(representation->ok, MHD_HTTP_HEADER_CONTENT_TYPE,
				       HTTP_CALENDAR_TYPE) == MHD_YES &&
	       (!coding || MHD_add_response_header(representation->ok,
						    MHD_HTTP_HEADER_CONTENT_ENCODING,
						    coding) == MHD_YES) &&
	       http_add_validators(representation->ok, document, representation->etag) &&
	       http_add_validators(representation->not_modified, document,
				   representation->etag);
}

/* feeds.h's FeedsPrepareFunc. */
static gpointer http_prepare(const FeedsDocument *document)
{
	HttpPrepared *prepared = g_new0(HttpPrepared, 1);
	GError *error = NULL;
	GBytes *gzip = encoding_gzip(document->body, &error);
	char *gzip_etag = NULL, *digest;

	if (gzip) {
		/* A strong validator of its own bytes: the same text always
		 * compresses to the same bytes (encoding.h). */
		digest = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, gzip);
		gzip_etag = g_strdup_printf("\"%s\"", digest);
		g_free(digest);
	} else {
		/* Served as it is then: every client takes that. */
		log_warnx("cannot gzip a feed: %s", error->message);
		g_error_free(error);
	}
	if (!http_representation_init(&prepared->identity, document, g_bytes_ref(document->body),
				      g_strdup(document->etag), NULL) ||
	    (gzip && !http_representation_init(&prepared->gzip, document, gzip, gzip_etag,
					       "gzip"))) {
		/* Out of memory: this document's answers are made per request
		 * (http_document_response()) rather than missing a header on
		 * every one. */
		http_prepared_free(prepared);
		return NULL;
	}
	return prepared;
}

static enum MHD_Result http_queue(struct MHD_Connection *connection, unsigned status,
				  struct MHD_Response *response, const char *method,
				  RouteKind kind, bool shared)
{
	enum MHD_Result result;

	if (!response)
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	result = MHD_queue_response(connection, status, response);
	if (!shared)
		MHD_destroy_response(response);
	/* The method only when it is one we know: a client's bytes are not
	 * written to the log. */
	log_debug("%s %s: %u", route_method_allowed(method) ? method : "(other method)",
		  route_describe(kind), status);
	return result;
}

/* Does the request announce a body (RFC 9112 6.3)?  No feed reader sends
 * one. */
static bool http_has_body(struct MHD_Connection *connection)
{
	const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (length && strcmp(length, "0") != 0) ||
	       MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* Marks a request whose headers have been seen (libmicrohttpd's per-request
 * pointer); there is no other state to keep. */
static char http_request_seen;

/* Counts the open connections, for http_answer()'s busy rule. */
static void http_notify_connection(void *cls, struct MHD_Connection *connection,
				   void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	HttpServer *server = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		g_atomic_int_inc(&server->connections);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		g_atomic_int_dec_and_test(&server->connections);
}

static enum MHD_Result http_answer(void *cls, struct MHD_Connection *connection,
				   const char *url, const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **request)
{
	HttpServer *server = cls;
	FeedsDocument *document;
	const HttpPrepared *prepared;
	const HttpRepresentation *representation = NULL;
	GError *error = NULL;
	struct MHD_Response *response;
	enum MHD_Result result;
	const char *if_none_match, *if_modified_since, *etag;
	bool not_modified;
	gint64 now;
	Route route;

	/* libmicrohttpd 0.9.75 closes the connection after an answer queued
	 * in the first call, made as soon as the headers are in: it cannot
	 * know the request is complete.  Answering in the second call, once
	 * it has read the whole request, keeps the connection open for the
	 * next poll (HTTP/1.1 keep-alive), which spares the client and us a
	 * TCP handshake and teardown per request.  A request announcing a
	 * body is answered at once, so that the connection is closed rather
	 * than the body read. */
	if (*request == NULL) {
		*request = &http_request_seen;
		if (!http_has_body(connection))
			return MHD_YES;
	}
	/* Busy: this connection may not idle long after its answer (http.h). */
	if (g_atomic_int_get(&server->connections) > HTTP_BUSY_CONNECTIONS)
		MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned)HTTP_BUSY_TIMEOUT_S);

	/* The method first, whatever the path: a 405 for a live token and a
	 * 404 for a dead one would tell them apart. */
	if (!route_method_allowed(method))
		return http_queue(connection, MHD_HTTP_METHOD_NOT_ALLOWED, server->not_allowed,
				  method, ROUTE_NONE, true);
	if (route_match(url, &route) == ROUTE_NONE)
		return http_queue(connection, MHD_HTTP_NOT_FOUND, server->not_found, method,
				  ROUTE_NONE, true);

	/* main() checked DOSED_NOW at start; it cannot turn bad since. */
	if (!now_from_environment(&now, NULL))
		now = g_get_real_time() / G_USEC_PER_SEC;
	document = feeds_get(server->feeds, route.kind, route.token, now, &error);
	explicit_bzero(route.token, sizeof route.token);
	if (!document && error) {
		log_warnx("cannot render %s: %s", route_describe(route.kind), error->message);
		g_error_free(error);
		return http_queue(connection, MHD_HTTP_SERVICE_UNAVAILABLE, server->failed,
				  method, route.kind, true);
	}
	if (!document)
		return http_queue(connection, MHD_HTTP_NOT_FOUND, server->not_found, method,
				  route.kind, true);

	/* The representation first: the conditions compare its validators. */
	prepared = document->prepared;
	if (prepared)
		representation = prepared->gzip.ok &&
				 encoding_accepts_gzip(MHD_lookup_connection_value(
					 connection, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_ACCEPT_ENCODING))
					 ? &prepared->gzip : &prepared->identity;
	etag = representation ? representation->etag : document->etag;
	if_none_match = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if_modified_since = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	not_modified = conditional_not_modified(if_none_match, if_modified_since, etag,
						document->last_modified);
	if (representation)
		response = not_modified ? representation->not_modified : representation->ok;
	else
		response = http_document_response(document, not_modified);
	/* Queued before the document is let go: queueing takes the
	 * connection's own reference to a prepared response, which the
	 * document's end (a change meanwhile) would otherwise free. */
	result = http_queue(connection, not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK,
			    response, method, route.kind, prepared != NULL);
	feeds_document_unref(document);
	return result;
}

/* ---- starting and stopping ------------------------------------------- */

GSocketAddress *http_listen_address(const char *listen, GError **error)
{
	GSocketConnectable *parsed;
	GInetAddress *address;
	GSocketAddress *socket_address = NULL;
	const char *host;
	guint16 port;

	/* GIO splits HOST:PORT and [IPv6]:PORT. */
	parsed = g_network_address_parse(listen, 0, NULL);
	if (!parsed) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "[feed] listen \"%s\" is not HOST:PORT; use an address such as 127.0.0.1:8645",
			    listen);
		return NULL;
	}
	host = g_network_address_get_hostname(G_NETWORK_ADDRESS(parsed));
	port = g_network_address_get_port(G_NETWORK_ADDRESS(parsed));
	if (g_ascii_strcasecmp(host, "localhost") == 0)
		address = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	else
		address = g_inet_address_new_from_string(host);
	if (!address || port == 0) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "[feed] listen \"%s\" needs an IP address (or localhost) and a port "
			    "from 1 to 65535, such as 127.0.0.1:8645", listen);
	} else {
		socket_address = g_inet_socket_address_new(address, port);
	}
	g_clear_object(&address);
	g_object_unref(parsed);
	return socket_address;
}

HttpServer *http_start(const char *listen, FeedsCache *feeds, GError **error)
{
	HttpServer *server;
	GSocketAddress *address;
	struct sockaddr_storage native;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	/* One thread per CPU, each waiting in its own epoll with no timeout
	 * while it has no connection. */
	unsigned threads = MIN(g_get_num_processors(), HTTP_MAX_THREADS);
	guint16 port;

	address = http_listen_address(listen, error);
	if (!address)
		return NULL;
	if (!g_socket_address_to_native(address, &native, sizeof native, error)) {
		g_object_unref(address);
		return NULL;
	}
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address));
	if (g_socket_address_get_family(address) == G_SOCKET_FAMILY_IPV6)
		flags |= MHD_USE_IPv6;
	g_object_unref(address);

	server = g_new0(HttpServer, 1);
	server->feeds = feeds;
	server->listen = g_strdup(listen);
	server->start_error = g_string_new(NULL);
	server->starter = g_thread_self();
	server->not_found = http_plain_response(http_not_found_body);
	server->not_allowed = http_plain_response(http_not_allowed_body);
	server->failed = http_plain_response(http_failed_body);
	if (server->not_allowed)
		MHD_add_response_header(server->not_allowed, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (server->failed)
		MHD_add_response_header(server->failed, MHD_HTTP_HEADER_RETRY_AFTER, "60");
	if (!server->not_found || !server->not_allowed || !server->failed) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
			    "out of memory starting the feed server");
		http_stop(server);
		return NULL;
	}

	feeds_set_preparer(feeds, http_prepare, http_prepared_free);
	server->starting = true;
	server->daemon = MHD_start_daemon(
		flags, port, NULL, NULL, http_answer, server,
		/* First, so that even the start's messages come to us. */
		MHD_OPTION_EXTERNAL_LOGGER, http_log, server,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&native,
		MHD_OPTION_UNESCAPE_CALLBACK, http_no_unescape, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
		MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, server,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
		/* Last: with one thread the list ends here, since libmicrohttpd
		 * complains of a pool of one. */
		threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
		MHD_OPTION_END);
	server->starting = false;
	if (!server->daemon) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_REFUSED,
			    "cannot serve feeds on %s: %s; choose a free address in [feed] listen",
			    listen, server->start_error->len ? server->start_error->str :
			    "the HTTP server did not start");
		http_stop(server);
		return NULL;
	}
	return server;
}

void http_stop(HttpServer *server)
{
	if (!server)
		return;
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	if (server->start_error)
		g_string_free(server->start_error, TRUE);
	if (server->not_found)
		MHD_destroy_response(server->not_found);
	if (server->not_allowed)
		MHD_destroy_response(server->not_allowed);
	if (server->failed)
		MHD_destroy_response(server->failed);
	g_free(server->listen);
	g_free(server);
}

const char *http_listen(const HttpServer *server)
{
	return server->listen;
}
