/* conditional.h - conditional GET (RFC 9110 13.1, 13.2): when a feed
 * reader's cached copy is still good, it gets 304 and no body.
 *
 * Pure functions of header values, for the HTTP server and its tests.
 */
#ifndef DOSED_CONDITIONAL_H
#define DOSED_CONDITIONAL_H

#include <stdbool.h>
#include <glib.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" and the NUL. */
#define CONDITIONAL_DATE_BUF 30

/* Does an If-None-Match value match etag (a quoted entity tag, such as
 * "\"ab12\"")?  The value is "*" or a list of entity tags, weak ones
 * ("W/\"ab12\"") included: If-None-Match compares weakly (RFC 9110
 * 13.1.2).  A malformed list matches nothing, so the client gets the full
 * feed rather than a wrong 304. */
bool conditional_etag_matches(const char *if_none_match, const char *etag);

/* Parse an HTTP date: the IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" and,
 * as RFC 9110 5.6.7 asks of recipients, the obsolete RFC 850 and asctime
 * forms.  *out receives UTC seconds.  False for anything else. */
bool conditional_parse_date(const char *text, gint64 *out);
/* Write instant as an IMF-fixdate into buf (CONDITIONAL_DATE_BUF bytes);
 * returns buf. */
char *conditional_format_date(gint64 instant, char *buf);

/* Should a GET with these request headers (NULL when absent) get 304?
 * If-None-Match decides when present; If-Modified-Since is only looked at
 * without it (RFC 9110 13.1.3), and an invalid date there is ignored. */
bool conditional_not_modified(const char *if_none_match, const char *if_modified_since,
			      const char *etag, gint64 last_modified);

#endif
