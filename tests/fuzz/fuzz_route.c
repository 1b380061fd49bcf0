/* fuzz_route.c - the HTTP request path router (daemon/route.h) on
 * arbitrary paths and methods.
 *
 * The property is the whole contract of route.h, checked against a
 * separate reading of it: a path is accepted exactly when it is
 * "/feeds/" or "/clinic/", then 32 lower-case hex digits, then ".ics", and
 * nothing else; the token handed on is those 32 digits; a miss leaves no
 * token behind; what may be logged never holds the client's bytes.
 */
#include "fuzz.h"

#include "route.h"

#define FUZZ_SUFFIX ".ics"

/* The kind route.h promises for `path`, read straight from its comment. */
static RouteKind expected_kind(const char *path, const char **token)
{
	static const struct {
		const char *prefix;
		RouteKind kind;
	} shapes[] = {
		{ "/feeds/", ROUTE_PATIENT },
		{ "/clinic/", ROUTE_CLINIC },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
		size_t prefix_len = strlen(shapes[i].prefix);
		const char *digits = path + prefix_len;
		bool hex = true;

		if (strncmp(path, shapes[i].prefix, prefix_len) != 0 ||
		    strlen(digits) != DOSED_TOKEN_TEXT_LEN + strlen(FUZZ_SUFFIX) ||
		    strcmp(digits + DOSED_TOKEN_TEXT_LEN, FUZZ_SUFFIX) != 0)
			continue;
		for (size_t j = 0; j < DOSED_TOKEN_TEXT_LEN; j++)
			hex = hex && ((digits[j] >= '0' && digits[j] <= '9') ||
				      (digits[j] >= 'a' && digits[j] <= 'f'));
		if (!hex)
			continue;
		*token = digits;
		return shapes[i].kind;
	}
	*token = NULL;
	return ROUTE_NONE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_string(data, size);
	const char *token;
	RouteKind expected = expected_kind(path, &token);
	Route route;
	RouteKind kind;
	const char *logged;
	bool allowed;

	/* Dirty first: a miss must clear the token, not leave stale bytes. */
	memset(&route, 'x', sizeof route);
	kind = route_match(path, &route);
	if (kind != route.kind)
		fuzz_fail("route_match(\"%s\") returned %d but set kind %d", path, kind,
			  route.kind);
	if (kind != expected)
		fuzz_fail("route_match(\"%s\") is %d, route.h says %d", path, kind, expected);
	if (kind == ROUTE_NONE) {
		if (route.token[0] != '\0')
			fuzz_fail("route_match(\"%s\") missed but left a token", path);
	} else if (strlen(route.token) != DOSED_TOKEN_TEXT_LEN ||
		   memcmp(route.token, token, DOSED_TOKEN_TEXT_LEN) != 0 ||
		   !token_well_formed(route.token, DOSED_TOKEN_TEXT_LEN)) {
		fuzz_fail("route_match(\"%s\") handed on token \"%.*s\"", path,
			  (int)sizeof route.token, route.token);
	}

	/* SPEC 4: tokens never appear in logs, nor do the client's bytes:
	 * what is logged is one of three fixed texts. */
	logged = route_describe(kind);
	if (logged == NULL ||
	    strcmp(logged, kind == ROUTE_PATIENT ? "/feeds/<token>.ics"
			   : kind == ROUTE_CLINIC ? "/clinic/<token>.ics"
						  : "<other path>") != 0)
		fuzz_fail("route_describe(%d) = \"%s\" for \"%s\"", kind, logged, path);

	/* The same bytes as a method: only GET and HEAD, case and all. */
	allowed = route_method_allowed(path);
	if (allowed != (strcmp(path, "GET") == 0 || strcmp(path, "HEAD") == 0))
		fuzz_fail("route_method_allowed(\"%s\") is %d", path, allowed);

	g_free(path);
	return 0;
}
