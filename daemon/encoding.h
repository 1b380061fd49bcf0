/* encoding.h - content coding of the feeds (RFC 9110 8.4 and 12.5.3):
 * gzip when the client accepts it.  Feed readers ask for it (Evolution
 * sends Accept-Encoding: gzip) and calendar text shrinks about twentyfold
 * (a 134 KB feed to 6 KB).
 *
 * Pure functions, for the HTTP server and its tests.
 */
#ifndef DOSED_ENCODING_H
#define DOSED_ENCODING_H

#include <stdbool.h>
#include <glib.h>

/* Does an Accept-Encoding value (NULL when absent) accept gzip?  Yes when
 * it lists gzip (or its alias x-gzip) with a weight above 0, or lists
 * neither but "*" with a weight above 0; "gzip;q=0" refuses it whatever
 * else is listed.  No header, an empty one or a malformed weight: no, and
 * the client gets the text as it is, which every client accepts. */
bool encoding_accepts_gzip(const char *accept_encoding);

/* `body` compressed in the gzip format (RFC 1952), with GIO's zlib
 * compressor: the same bytes always give the same result.  Newly
 * allocated; NULL with an error when zlib fails. */
GBytes *encoding_gzip(GBytes *body, GError **error);

#endif
