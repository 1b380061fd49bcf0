/* route.h - which feed a request path names (SPEC 4, Feeds).
 *
 * A pure function, so that it can be tested and fuzzed alone.  It accepts
 * exactly two shapes and nothing else:
 *
 *   /feeds/TOKEN.ics     one patient's calendar
 *   /clinic/TOKEN.ics    the clinic's calendar
 *
 * TOKEN being 32 lower-case hex digits (token.h).  The path is taken as the
 * client sent it: the HTTP server must not decode it first (so "%2F" stays
 * three characters and never becomes a '/'), and it has already cut off the
 * query.  No normalisation: "..", "//", a trailing slash, upper-case hex or
 * any extra byte makes it no feed at all.
 */
#ifndef DOSED_ROUTE_H
#define DOSED_ROUTE_H

#include <stdbool.h>

#include "token.h"

typedef enum {
	ROUTE_NONE,             /* not a feed: 404 */
	ROUTE_PATIENT,          /* /feeds/TOKEN.ics */
	ROUTE_CLINIC,           /* /clinic/TOKEN.ics */
} RouteKind;

typedef struct {
	RouteKind kind;
	char token[DOSED_TOKEN_TEXT_LEN + 1]; /* NUL-terminated; "" for ROUTE_NONE */
} Route;

/* Match a request path (NUL-terminated; NULL is no feed).  Fills *route
 * and returns its kind. */
RouteKind route_match(const char *path, Route *route);

/* Only GET and HEAD read a feed; anything else is 405 whatever the path,
 * so that the answer to a POST never tells a live token from a dead one. */
bool route_method_allowed(const char *method);

/* The path as it may be logged: "/feeds/<token>.ics", "/clinic/<token>.ics"
 * or "<other path>", never the token or the client's bytes.  Static. */
const char *route_describe(RouteKind kind);

#endif
