/* http.c - the feed server, with libmicrohttpd (see http.h).
 *
 * libmicrohttpd runs its own thread, waiting in epoll, rather than being
 * driven from the GLib main loop: its loop needs no integration with
 * GLib's (no fd sets to export and re-arm, no timeouts to translate), a
 * slow render never delays a signal or a reminder on the main loop, and
 * with no connection open it blocks in epoll_wait without a timeout, so an
 * idle daemon does not wake up.  What the two threads share is the feed
 * cache, behind its mutex (feeds.h).
 */
#include "http.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "conditional.h"
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
};

/* The same few bytes for every path that is not a live feed, unknown and
 * revoked tokens included: nothing tells them apart (SPEC 4). */
static const char http_not_found_body[] = "Not Found\n";
static const char http_not_allowed_body[] = "Method Not Allowed\n";
static const char http_failed_body[] = "Service Unavailable; try again later\n";

#define HTTP_CALENDAR_TYPE "text/calendar; charset=utf-8"

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

/* The validators and cache policy, on 200 and 304 alike (RFC 9110 15.4.5). */
static void http_add_validators(struct MHD_Response *response, const FeedsDocument *document)
{
	char date[CONDITIONAL_DATE_BUF];

	MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, document->etag);
	MHD_add_response_header(response, MHD_HTTP_HEADER_LAST_MODIFIED,
				conditional_format_date(document->last_modified, date));
	/* A patient's schedule: no shared cache (a proxy) may keep it. */
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "private");
}

static struct MHD_Response *http_document_response(FeedsDocument *document,
						    bool not_modified)
{
	struct MHD_Response *response;
	gsize size;
	const void *body;

	if (not_modified) {
		response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
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
		http_add_validators(response, document);
	return response;
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

static enum MHD_Result http_answer(void *cls, struct MHD_Connection *connection,
				   const char *url, const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **request)
{
	HttpServer *server = cls;
	FeedsDocument *document;
	GError *error = NULL;
	struct MHD_Response *response;
	const char *if_none_match, *if_modified_since;
	bool not_modified;
	gint64 now;
	Route route;

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

	if_none_match = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if_modified_since = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	not_modified = conditional_not_modified(if_none_match, if_modified_since,
						document->etag, document->last_modified);
	response = http_document_response(document, not_modified);
	feeds_document_unref(document);
	return http_queue(connection, not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK,
			  response, method, route.kind, false);
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

	server->starting = true;
	server->daemon = MHD_start_daemon(
		flags, port, NULL, NULL, http_answer, server,
		/* First, so that even the start's messages come to us. */
		MHD_OPTION_EXTERNAL_LOGGER, http_log, server,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&native,
		MHD_OPTION_UNESCAPE_CALLBACK, http_no_unescape, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
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
