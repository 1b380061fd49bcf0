/* conditional.c - If-None-Match and If-Modified-Since (RFC 9110 13). */
#include "conditional.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Optional white space (RFC 9110 5.6.3). */
static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

bool conditional_etag_matches(const char *if_none_match, const char *etag)
{
	size_t etag_len;
	const char *p;

	if (if_none_match == NULL || etag == NULL)
		return false;
	p = skip_ows(if_none_match);
	if (*p == '*')
		return *skip_ows(p + 1) == '\0';

	etag_len = strlen(etag);
	/* 1#entity-tag: elements separated by commas, empty ones allowed
	 * (RFC 9110 5.6.1.2). */
	for (;;) {
		const char *open, *close;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return false;
		/* Weak comparison: W/"x" matches "x". */
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return false;
		open = p;
		close = strchr(open + 1, '"');
		if (close == NULL)
			return false;
		if ((size_t)(close - open + 1) == etag_len &&
		    memcmp(open, etag, etag_len) == 0)
			return true;
		p = skip_ows(close + 1);
		if (*p != ',' && *p != '\0')
			return false;
	}
}

bool conditional_parse_date(const char *text, gint64 *out)
{
	/* The three forms RFC 9110 5.6.7 names, all in GMT.  strptime's %a
	 * and %b follow LC_TIME, which the daemon leaves at "C": English
	 * names, as HTTP has them. */
	static const char *const formats[] = {
		"%a, %d %b %Y %H:%M:%S GMT",  /* Sun, 06 Nov 1994 08:49:37 GMT */
		"%A, %d-%b-%y %H:%M:%S GMT",  /* Sunday, 06-Nov-94 08:49:37 GMT */
		"%a %b %e %H:%M:%S %Y",       /* Sun Nov  6 08:49:37 1994 */
	};

	if (text == NULL)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		struct tm tm = { 0 };
		const char *end = strptime(text, formats[i], &tm);

		if (end == NULL || *skip_ows(end) != '\0')
			continue;
		*out = (gint64)timegm(&tm);
		return true;
	}
	return false;
}

char *conditional_format_date(gint64 instant, char *buf)
{
	time_t t = (time_t)instant;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, CONDITIONAL_DATE_BUF, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return buf;
}

bool conditional_not_modified(const char *if_none_match, const char *if_modified_since,
			      const char *etag, gint64 last_modified)
{
	gint64 since;

	if (if_none_match != NULL)
		return conditional_etag_matches(if_none_match, etag);
	/* Not modified since: the feed's last change is no later than the
	 * client's copy (HTTP dates have whole seconds, as last_modified). */
	if (if_modified_since != NULL && conditional_parse_date(if_modified_since, &since))
		return last_modified <= since;
	return false;
}
