/* http.h - the feed server (SPEC 4, Feeds): GET and HEAD of
 * /feeds/TOKEN.ics and /clinic/TOKEN.ics on [feed] listen, with
 * libmicrohttpd.
 */
#ifndef DOSED_HTTP_H
#define DOSED_HTTP_H

#include <gio/gio.h>
#include <glib.h>

#include "feeds.h"

/* Limits that keep slow or many clients from starving the others.  A
 * connection idle this long is closed (libmicrohttpd's default, 0, is
 * never). */
#define HTTP_CONNECTION_TIMEOUT_S 30
/* All clients at once, and from one address: a single host may take at
 * most half, so the rest stay open to everyone else. */
#define HTTP_CONNECTION_LIMIT 512
#define HTTP_PER_IP_CONNECTION_LIMIT 256
/* Memory per connection, for the request line and headers (a feed reader
 * sends a few hundred bytes); a client that sends more gets an error,
 * however slowly it sends it. */
#define HTTP_CONNECTION_MEMORY 16384
/* Connections kept open between polls (keep-alive) hold their place until
 * the client closes them or they idle out.  Calendar apps keep them in a
 * pool: at 100,000 patients polling hourly (28 a second) and an idle
 * timeout of 30 s, some 840 would be open at once, more than the limit,
 * and new subscribers would be turned away.  So beyond this many open
 * connections, a connection that has been answered may idle only this
 * long before it is closed. */
#define HTTP_BUSY_CONNECTIONS (HTTP_CONNECTION_LIMIT / 2)
#define HTTP_BUSY_TIMEOUT_S 2
/* Threads answering requests: one per CPU, up to this many. */
#define HTTP_MAX_THREADS 4

typedef struct HttpServer HttpServer;

/* The address to bind for a [feed] listen value (config.c checked its
 * form): "127.0.0.1:8645", "[::1]:8645"; "localhost:8645" is the IPv4
 * loopback, which every machine has.  NULL with an error otherwise. */
GSocketAddress *http_listen_address(const char *listen, GError **error);

/* Start serving `feeds` (borrowed: it must outlive the server) on listen,
 * in libmicrohttpd's own threads.  NULL with an error naming the address
 * and the reason (address in use, permission) when it cannot. */
HttpServer *http_start(const char *listen, FeedsCache *feeds, GError **error);
/* Close the listening socket and every connection, and join the thread.
 * NULL is a no-op. */
void http_stop(HttpServer *server);
/* The listen value it was started with. */
const char *http_listen(const HttpServer *server);

#endif
