/* route.c - which feed a request path names: exact shapes, nothing decoded,
 * nothing normalised (see route.h). */
#include "route.h"

#include <string.h>

#define ROUTE_SUFFIX ".ics"

static const struct {
	const char *prefix;
	RouteKind kind;
} route_shapes[] = {
	{ "/feeds/", ROUTE_PATIENT },
	{ "/clinic/", ROUTE_CLINIC },
};

RouteKind route_match(const char *path, Route *route)
{
	route->kind = ROUTE_NONE;
	route->token[0] = '\0';
	if (path == NULL)
		return ROUTE_NONE;

	size_t length = strlen(path);

	for (size_t i = 0; i < G_N_ELEMENTS(route_shapes); i++) {
		const char *prefix = route_shapes[i].prefix;
		size_t prefix_len = strlen(prefix);
		const char *token = path + prefix_len;

		/* Length first: then the token and suffix are at fixed places,
		 * and anything longer or shorter (31 or 33 digits, a trailing
		 * slash, "/feeds/../...") is out before any other test. */
		if (length != prefix_len + DOSED_TOKEN_TEXT_LEN + strlen(ROUTE_SUFFIX) ||
		    strncmp(path, prefix, prefix_len) != 0 ||
		    strcmp(token + DOSED_TOKEN_TEXT_LEN, ROUTE_SUFFIX) != 0 ||
		    !token_well_formed(token, DOSED_TOKEN_TEXT_LEN))
			continue;
		memcpy(route->token, token, DOSED_TOKEN_TEXT_LEN);
		route->token[DOSED_TOKEN_TEXT_LEN] = '\0';
		route->kind = route_shapes[i].kind;
		return route->kind;
	}
	return ROUTE_NONE;
}

bool route_method_allowed(const char *method)
{
	/* Methods are case-sensitive (RFC 9110 9.1): "get" is not GET. */
	return method != NULL && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
}

const char *route_describe(RouteKind kind)
{
	switch (kind) {
	case ROUTE_PATIENT:
		return "/feeds/<token>.ics";
	case ROUTE_CLINIC:
		return "/clinic/<token>.ics";
	case ROUTE_NONE:
		break;
	}
	return "<other path>";
}
