/* protocol.c - dosing protocols as data (SPEC section 1).
 *
 * The phase grammar, protocol files read with inih, the catalogue, and the
 * canonical INI text a regimen stores as its own copy of a protocol.
 *
 * Two limits of the Debian build of inih (r55) shape the reading: its
 * handler gets no line number and is not called for a section header, and it
 * reads at most INI_MAX_LINE (200) bytes of a line, silently cutting a longer
 * one in two.  So the file is fed to ini_parse_stream() by our own reader,
 * one whole line at a time: the reader counts lines, notes section headers,
 * and refuses a line inih would cut, before inih sees it.
 */
#include "protocol.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "error.h"
#include "trust.h"

/* Counts, lengths and intervals in the grammar run up to this: far from any
 * overflow in date arithmetic (1000 months is 83 years). */
#define PROTOCOL_NUMBER_MAX 1000
#define PROTOCOL_ID_MAX 64
/* inih's line buffer holds the text, its newline and a NUL: 198 bytes of
 * text.  Every line protocol_to_ini() writes must fit as well. */
#define PROTOCOL_LINE_TEXT_MAX (INI_MAX_LINE - 2)

typedef enum {
	KEY_TITLE,
	KEY_DRUG,
	KEY_DOSE,
	KEY_ROUTE,
	KEY_SOURCE,
	KEY_GRACE,
	KEY_PHASE,
	KEY_COUNT,
} ProtocolKey;

static const char *const protocol_keys[KEY_COUNT] = {
	"title", "drug", "dose", "route", "source", "grace", "phase",
};

static const char *const weekday_short[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};
static const char *const weekday_full[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};
static const char *const weekday_title[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

static int weekday_count(unsigned weekdays)
{
	int count = 0;

	for (int day = 1; day <= 7; day++)
		if (weekdays & DOSED_WEEKDAY_BIT(day))
			count++;
	return count;
}

static const char *unit_word(DosedUnit unit, int count)
{
	switch (unit) {
	case DOSED_UNIT_DAY:
		return count == 1 ? "day" : "days";
	case DOSED_UNIT_WEEK:
		return count == 1 ? "week" : "weeks";
	case DOSED_UNIT_MONTH:
		return count == 1 ? "month" : "months";
	}
	return "?";
}

/* ------------------------------------------------------------------------
 * Reading the phase grammar: a cursor over the text, keywords matched
 * case-insensitively as whole words, any amount of space between them.
 */

typedef struct {
	const char *start;      /* the text read, quoted in messages */
	const char *at;
} Cursor;

static void cursor_skip_space(Cursor *cursor)
{
	while (g_ascii_isspace(*cursor->at))
		cursor->at++;
}

/* "day" does not match the start of "days". */
static bool cursor_word(Cursor *cursor, const char *word)
{
	const char *s = cursor->at;
	size_t length = strlen(word);

	while (g_ascii_isspace(*s))
		s++;
	if (g_ascii_strncasecmp(s, word, length) != 0 || g_ascii_isalnum(s[length]))
		return false;
	cursor->at = s + length;
	return true;
}

static bool cursor_char(Cursor *cursor, char c)
{
	cursor_skip_space(cursor);
	if (*cursor->at != c)
		return false;
	cursor->at++;
	return true;
}

/* '-' or the en dash the clinical texts write ("every 2–3 months"). */
static bool cursor_dash(Cursor *cursor)
{
	cursor_skip_space(cursor);
	if (*cursor->at == '-') {
		cursor->at++;
		return true;
	}
	if (strncmp(cursor->at, "\xe2\x80\x93", 3) == 0) {
		cursor->at += 3;
		return true;
	}
	return false;
}

/* Singular or plural: "every 1 month", "for 1 dose". */
static bool cursor_unit(Cursor *cursor, DosedUnit *unit)
{
	static const struct {
		const char *one, *many;
		DosedUnit unit;
	} units[] = {
		{ "day", "days", DOSED_UNIT_DAY },
		{ "week", "weeks", DOSED_UNIT_WEEK },
		{ "month", "months", DOSED_UNIT_MONTH },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (cursor_word(cursor, units[i].one) || cursor_word(cursor, units[i].many)) {
			*unit = units[i].unit;
			return true;
		}
	}
	return false;
}

/* The text read so far, and the text left, trimmed; newly allocated. */
static char *cursor_done(const Cursor *cursor)
{
	return g_strstrip(g_strndup(cursor->start, (gsize)(cursor->at - cursor->start)));
}

static char *cursor_rest(const Cursor *cursor)
{
	return g_strstrip(g_strdup(cursor->at));
}

/* Say what was expected where, and what was found instead. */
static bool cursor_expected(const Cursor *cursor, const char *expected, GError **error)
{
	char *done = cursor_done(cursor);
	char *rest = cursor_rest(cursor);

	if (*done && *rest)
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "expected %s after '%s', found '%s'", expected, done, rest);
	else if (*done)
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "expected %s after '%s'", expected, done);
	else if (*rest)
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "expected %s, found '%s'", expected, rest);
	else
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID, "expected %s", expected);
	g_free(done);
	g_free(rest);
	return false;
}

/* A positive decimal integer from min to PROTOCOL_NUMBER_MAX.  Returns 1 when
 * read, 0 when there is no number here (nothing consumed), -1 with *error
 * set when it is out of range (zero, or too large to be meant). */
static int cursor_number(Cursor *cursor, int min, int *out, GError **error)
{
	const char *s = cursor->at;
	const char *digits;
	long value = 0;

	while (g_ascii_isspace(*s))
		s++;
	if (!g_ascii_isdigit(*s))
		return 0;
	digits = s;
	for (; g_ascii_isdigit(*s); s++)
		if (value <= PROTOCOL_NUMBER_MAX)
			value = value * 10 + (*s - '0');
	if (g_ascii_isalpha(*s))
		return 0; /* "2nd" is not a number followed by a word */
	cursor->at = s;
	if (value < min || value > PROTOCOL_NUMBER_MAX) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "'%.*s' is not a number from %d to %d", (int)(s - digits), digits,
			    min, PROTOCOL_NUMBER_MAX);
		return -1;
	}
	*out = (int)value;
	return 1;
}

#define PATTERN_EXPECTED \
	"'daily', 'alternate days', 'weekly', 'monthly', 'every N days|weeks|months', " \
	"'every N-M days|weeks|months' or 'N per week (DAYS)'"
#define END_EXPECTED \
	"'for N doses', 'for N days|weeks', 'until advanced' or 'for life'"

static void phase_set_interval(DosedPhase *phase, DosedUnit unit, int every_min, int every_max)
{
	phase->kind = DOSED_PATTERN_INTERVAL;
	phase->unit = unit;
	phase->every_min = every_min;
	phase->every_max = every_max;
	phase->weekdays = 0;
}

/* every N[-M] UNIT, after "every". */
static bool parse_every(Cursor *cursor, DosedPhase *phase, GError **error)
{
	DosedUnit unit;
	int every_min, every_max;
	bool window = false;
	int got = cursor_number(cursor, 1, &every_min, error);

	if (got < 0)
		return false;
	if (got == 0) {
		/* "every day", "every month" */
		if (cursor_unit(cursor, &unit)) {
			phase_set_interval(phase, unit, 1, 1);
			return true;
		}
		return cursor_expected(cursor, "a number", error);
	}
	every_max = every_min;
	if (cursor_dash(cursor)) {
		window = true;
		got = cursor_number(cursor, 1, &every_max, error);
		if (got < 0)
			return false;
		if (got == 0)
			return cursor_expected(cursor, "a number", error);
	}
	if (!cursor_unit(cursor, &unit))
		return cursor_expected(cursor, "'days', 'weeks' or 'months'", error);
	if (window && every_max <= every_min) {
		char *done = cursor_done(cursor);

		/* SPEC 2.3: a window is due from +N and overdue after +M. */
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "'%s' is not a window: in 'every N-M', M must be greater than N",
			    done);
		g_free(done);
		return false;
	}
	phase_set_interval(phase, unit, every_min, every_max);
	return true;
}

static bool parse_pattern(Cursor *cursor, DosedPhase *phase, GError **error)
{
	int count, got;
	const char *open, *close;
	char *days;
	unsigned weekdays;

	if (cursor_word(cursor, "daily")) {
		phase_set_interval(phase, DOSED_UNIT_DAY, 1, 1);
		return true;
	}
	if (cursor_word(cursor, "weekly")) {
		phase_set_interval(phase, DOSED_UNIT_WEEK, 1, 1);
		return true;
	}
	if (cursor_word(cursor, "monthly")) {
		phase_set_interval(phase, DOSED_UNIT_MONTH, 1, 1);
		return true;
	}
	if (cursor_word(cursor, "alternate")) {
		if (!cursor_word(cursor, "days") && !cursor_word(cursor, "day"))
			return cursor_expected(cursor, "'days'", error);
		phase_set_interval(phase, DOSED_UNIT_DAY, 2, 2);
		return true;
	}
	if (cursor_word(cursor, "every"))
		return parse_every(cursor, phase, error);

	got = cursor_number(cursor, 1, &count, error);
	if (got < 0)
		return false;
	if (got == 0)
		return cursor_expected(cursor, PATTERN_EXPECTED, error);
	open = cursor->at;
	if (!cursor_word(cursor, "per") || !cursor_word(cursor, "week")) {
		cursor->at = open;
		return cursor_expected(cursor, "'per week (DAYS)'", error);
	}
	if (!cursor_char(cursor, '('))
		return cursor_expected(cursor, "the weekdays in brackets, e.g. '(mon,wed,fri)',", error);
	open = cursor->at;
	close = strchr(open, ')');
	if (!close) {
		cursor->at = open + strlen(open);
		return cursor_expected(cursor, "')' to close the weekdays", error);
	}
	days = g_strndup(open, (gsize)(close - open));
	if (!weekdays_parse(days, &weekdays, error)) {
		g_free(days);
		return false;
	}
	g_free(days);
	cursor->at = close + 1;
	if (weekday_count(weekdays) != count) {
		char *done = cursor_done(cursor);

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "'%s' lists %d day%s, not %d: make the number match the days",
			    done, weekday_count(weekdays), weekday_count(weekdays) == 1 ? "" : "s",
			    count);
		g_free(done);
		return false;
	}
	phase->kind = DOSED_PATTERN_WEEKDAYS;
	phase->unit = DOSED_UNIT_WEEK;
	phase->every_min = 1;
	phase->every_max = 1;
	phase->weekdays = weekdays;
	return true;
}

static bool parse_end(Cursor *cursor, DosedPhase *phase, GError **error)
{
	const char *unit_at;
	DosedUnit unit;
	int count, got;

	phase->end_count = 0;
	phase->end_unit = DOSED_UNIT_DAY;
	if (cursor_word(cursor, "until")) {
		if (!cursor_word(cursor, "advanced"))
			return cursor_expected(cursor, "'advanced'", error);
		phase->end = DOSED_END_ADVANCED;
		return true;
	}
	if (!cursor_word(cursor, "for"))
		return cursor_expected(cursor, END_EXPECTED, error);
	if (cursor_word(cursor, "life")) {
		phase->end = DOSED_END_LIFE;
		return true;
	}
	got = cursor_number(cursor, 1, &count, error);
	if (got < 0)
		return false;
	if (got == 0)
		return cursor_expected(cursor, "a number or 'life'", error);
	if (cursor_word(cursor, "doses") || cursor_word(cursor, "dose")) {
		phase->end = DOSED_END_DOSES;
		phase->end_count = count;
		return true;
	}
	/* SPEC 2.4: a phase lasts N days or weeks; months have no fixed length. */
	unit_at = cursor->at;
	if (cursor_unit(cursor, &unit) && unit != DOSED_UNIT_MONTH) {
		phase->end = DOSED_END_DURATION;
		phase->end_count = count;
		phase->end_unit = unit;
		return true;
	}
	cursor->at = unit_at;
	return cursor_expected(cursor, "'doses', 'days' or 'weeks'", error);
}

/* The first ',' outside brackets: "3 per week (mon,wed,fri) for 6 doses, dose 1 mg". */
static const char *find_dose_comma(const char *text)
{
	int depth = 0;

	for (const char *s = text; *s; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (*s == ',' && depth == 0)
			return s;
	}
	return NULL;
}

bool phase_parse(const char *text, DosedPhase *out, GError **error)
{
	DosedPhase phase = { 0 };
	const char *colon = strchr(text, ':');
	const char *comma;
	char *body = NULL;
	Cursor cursor;

	if (!colon) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "'%s' has no name: write 'NAME: PATTERN END', e.g. "
			    "'loading: daily for 7 doses'", text);
		return false;
	}
	phase.name = g_strstrip(g_strndup(text, (gsize)(colon - text)));
	if (!*phase.name) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "the phase has no name before ':': write 'NAME: PATTERN END', e.g. "
			    "'loading: daily for 7 doses'");
		goto fail;
	}

	comma = find_dose_comma(colon + 1);
	body = g_strndup(colon + 1, comma ? (gsize)(comma - colon - 1) : strlen(colon + 1));
	cursor.start = cursor.at = body;
	if (!parse_pattern(&cursor, &phase, error) || !parse_end(&cursor, &phase, error))
		goto fail;
	cursor_skip_space(&cursor);
	if (*cursor.at) {
		cursor_expected(&cursor, "', dose DOSE' or the end of the phase", error);
		goto fail;
	}

	if (comma) {
		Cursor dose = { comma + 1, comma + 1 };

		if (!cursor_word(&dose, "dose")) {
			/* Quote the whole phase so far, not only the text after ','. */
			char *done = g_strstrip(g_strndup(colon + 1, (gsize)(comma - colon - 1)));
			char *rest = g_strstrip(g_strdup(comma + 1));

			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "expected ', dose DOSE' after '%s', found ', %s'", done, rest);
			g_free(done);
			g_free(rest);
			goto fail;
		}
		phase.dose = g_strstrip(g_strdup(dose.at));
		if (!*phase.dose) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "', dose' has no dose after it, e.g. ', dose 100 mcg'");
			goto fail;
		}
		/* The stored copy writes ", dose ;...", where " ;" starts a
		 * comment: the regimen could never read its protocol back. */
		if (*phase.dose == ';') {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "the dose '%s' starts with ';', which reads as a comment; "
				    "remove the ';'", phase.dose);
			goto fail;
		}
	}
	g_free(body);
	*out = phase;
	return true;

fail:
	g_free(body);
	phase_finish(&phase);
	return false;
}

void phase_finish(DosedPhase *phase)
{
	if (!phase)
		return;
	g_free(phase->name);
	g_free(phase->dose);
	phase->name = NULL;
	phase->dose = NULL;
}

const char *phase_dose(const DosedPhase *phase, const DosedProtocol *protocol)
{
	return phase->dose ? phase->dose : protocol->dose;
}

int phase_grace_days(const DosedPhase *phase, const DosedProtocol *protocol)
{
	if (protocol && protocol->grace_days >= 0)
		return protocol->grace_days;
	/* SPEC 2.3: 7 days for monthly patterns, 0 for daily and weekly ones. */
	if (phase->kind == DOSED_PATTERN_INTERVAL && phase->unit == DOSED_UNIT_MONTH)
		return 7;
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing phases: in words for people, and in the canonical grammar.
 */

/* people: "3 per week (Mon, Wed, Fri)"; else the INI form "(mon,wed,fri)". */
static void append_pattern(GString *out, const DosedPhase *phase, bool people)
{
	if (phase->kind == DOSED_PATTERN_WEEKDAYS) {
		const char *separator = "";

		g_string_append_printf(out, "%d per week (", weekday_count(phase->weekdays));
		for (int day = 1; day <= 7; day++) {
			if (!(phase->weekdays & DOSED_WEEKDAY_BIT(day)))
				continue;
			g_string_append_printf(out, "%s%s", separator,
					       people ? weekday_title[day - 1] : weekday_short[day - 1]);
			separator = people ? ", " : ",";
		}
		g_string_append_c(out, ')');
		return;
	}
	if (phase->every_max > phase->every_min)
		g_string_append_printf(out, "every %d-%d %s", phase->every_min, phase->every_max,
				       unit_word(phase->unit, phase->every_max));
	else if (phase->unit == DOSED_UNIT_DAY && phase->every_min == 1)
		g_string_append(out, "daily");
	else if (phase->unit == DOSED_UNIT_DAY && phase->every_min == 2)
		g_string_append(out, "alternate days");
	else
		g_string_append_printf(out, "every %d %s", phase->every_min,
				       unit_word(phase->unit, phase->every_min));
}

static void append_end(GString *out, const DosedPhase *phase)
{
	switch (phase->end) {
	case DOSED_END_DOSES:
		g_string_append_printf(out, "for %d dose%s", phase->end_count,
				       phase->end_count == 1 ? "" : "s");
		break;
	case DOSED_END_DURATION:
		g_string_append_printf(out, "for %d %s", phase->end_count,
				       unit_word(phase->end_unit, phase->end_count));
		break;
	case DOSED_END_ADVANCED:
		g_string_append(out, "until advanced");
		break;
	case DOSED_END_LIFE:
		g_string_append(out, "for life");
		break;
	}
}

/* The timing only: the CLI shows the phase's name and dose beside it. */
char *phase_describe(const DosedPhase *phase)
{
	GString *out = g_string_new(NULL);

	append_pattern(out, phase, true);
	g_string_append_c(out, ' ');
	append_end(out, phase);
	return g_string_free(out, FALSE);
}

/* "loading: 3 per week (mon,wed,fri) for 6 doses, dose 1 mg"; newly allocated. */
static char *phase_to_text(const DosedPhase *phase)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "%s: ", phase->name);
	append_pattern(out, phase, false);
	g_string_append_c(out, ' ');
	append_end(out, phase);
	if (phase->dose)
		g_string_append_printf(out, ", dose %s", phase->dose);
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------------
 * Weekdays.
 */

/* `text` safe to quote in a one-line message (error.h): control
 * characters escaped C-style, UTF-8 left as typed.  Newly allocated. */
static char *quotable(const char *text)
{
	char high[129];

	for (int i = 0; i < 128; i++)
		high[i] = (char)(0x80 + i);
	high[128] = '\0';
	return g_strescape(text, high);
}

bool weekdays_parse(const char *text, unsigned *weekdays, GError **error)
{
	char **items = g_strsplit(text, ",", -1);
	unsigned bits = 0;
	bool ok = false;

	if (!items[0] || (!items[1] && !*g_strstrip(items[0]))) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "no weekdays given: list them like 'mon,wed,fri'");
		goto out;
	}
	for (char **item = items; *item; item++) {
		int found = 0;

		g_strstrip(*item);
		for (int day = 1; day <= 7 && !found; day++)
			if (g_ascii_strcasecmp(*item, weekday_short[day - 1]) == 0 ||
			    g_ascii_strcasecmp(*item, weekday_full[day - 1]) == 0)
				found = day;
		if (!found) {
			char *quoted = quotable(**item ? *item : text);

			if (**item)
				g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
					    "'%s' is not a weekday: use mon, tue, wed, thu, fri, "
					    "sat or sun", quoted);
			else
				g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
					    "an empty weekday in '%s': list them like 'mon,wed,fri'",
					    quoted);
			g_free(quoted);
			goto out;
		}
		if (bits & DOSED_WEEKDAY_BIT(found)) {
			char *quoted = quotable(text);

			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "'%s' is listed twice in '%s': list each weekday once",
				    weekday_short[found - 1], quoted);
			g_free(quoted);
			goto out;
		}
		bits |= DOSED_WEEKDAY_BIT(found);
	}
	*weekdays = bits;
	ok = true;
out:
	g_strfreev(items);
	return ok;
}

char *weekdays_format(unsigned weekdays)
{
	GString *out = g_string_new(NULL);

	for (int day = 1; day <= 7; day++) {
		if (!(weekdays & DOSED_WEEKDAY_BIT(day)))
			continue;
		if (out->len)
			g_string_append_c(out, ',');
		g_string_append(out, weekday_short[day - 1]);
	}
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------------
 * Protocols.
 */

static size_t phase_line_length(const DosedPhase *phase)
{
	char *text = phase_to_text(phase);
	size_t length = strlen("phase = ") + strlen(text);

	g_free(text);
	return length;
}

bool protocol_set_weekdays(DosedProtocol *protocol, unsigned weekdays, GError **error)
{
	const DosedPhase *first = NULL;

	if (weekdays == 0 || (weekdays & ~DOSED_WEEKDAYS_ALL)) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "no weekdays given: list them like 'mon,wed,fri'");
		return false;
	}
	/* Check every phase before changing any: a refusal changes nothing. */
	for (size_t i = 0; i < protocol->n_phases; i++) {
		const DosedPhase *phase = &protocol->phases[i];

		if (phase->kind != DOSED_PATTERN_WEEKDAYS)
			continue;
		/* The prescription says how many doses a week; the days only
		 * say which (SPEC 1).  One list cannot fit two counts. */
		if (first && weekday_count(first->weekdays) != weekday_count(phase->weekdays)) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "protocol '%s' has phases of %d and of %d per week ('%s', '%s'), "
				    "which one list of weekdays cannot both fit; write a clinic "
				    "protocol with the days instead",
				    protocol->id, weekday_count(first->weekdays),
				    weekday_count(phase->weekdays), first->name, phase->name);
			return false;
		}
		if (!first)
			first = phase;
		if (weekday_count(weekdays) != weekday_count(phase->weekdays)) {
			char *given = weekdays_format(weekdays);
			char *prescribed = weekdays_format(phase->weekdays);

			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "'%s' is %d day%s a week, but phase '%s' of '%s' is %d per week "
				    "(%s): list %d weekdays; the days change which weekdays, never "
				    "how many",
				    given, weekday_count(weekdays),
				    weekday_count(weekdays) == 1 ? "" : "s", phase->name, protocol->id,
				    weekday_count(phase->weekdays), prescribed,
				    weekday_count(phase->weekdays));
			g_free(given);
			g_free(prescribed);
			return false;
		}
	}
	if (!first) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "protocol '%s' has no 'N per week (DAYS)' phase whose weekdays could "
			    "be set; choose a protocol that has one", protocol->id);
		return false;
	}
	/* As many days as before: the phase's stored line keeps its length,
	 * which was checked when the protocol was read. */
	for (size_t i = 0; i < protocol->n_phases; i++)
		if (protocol->phases[i].kind == DOSED_PATTERN_WEEKDAYS)
			protocol->phases[i].weekdays = weekdays;
	return true;
}

char *protocol_to_ini(const DosedProtocol *protocol)
{
	GString *out = g_string_new(NULL);
	const char *const values[KEY_GRACE] = {
		protocol->title, protocol->drug, protocol->dose, protocol->route, protocol->source,
	};

	g_string_append_printf(out, "[%s]\n", protocol->id);
	for (int key = 0; key < KEY_GRACE; key++)
		if (values[key])
			g_string_append_printf(out, "%s = %s\n", protocol_keys[key], values[key]);
	if (protocol->grace_days >= 0)
		g_string_append_printf(out, "grace = %d %s\n", protocol->grace_days,
				       unit_word(DOSED_UNIT_DAY, protocol->grace_days));
	for (size_t i = 0; i < protocol->n_phases; i++) {
		char *text = phase_to_text(&protocol->phases[i]);

		g_string_append_printf(out, "phase = %s\n", text);
		g_free(text);
	}
	return g_string_free(out, FALSE);
}

DosedProtocol *protocol_copy(const DosedProtocol *protocol)
{
	DosedProtocol *copy = g_new0(DosedProtocol, 1);

	copy->id = g_strdup(protocol->id);
	copy->title = g_strdup(protocol->title);
	copy->drug = g_strdup(protocol->drug);
	copy->dose = g_strdup(protocol->dose);
	copy->route = g_strdup(protocol->route);
	copy->source = g_strdup(protocol->source);
	copy->grace_days = protocol->grace_days;
	copy->origin = g_strdup(protocol->origin);
	copy->n_phases = protocol->n_phases;
	copy->phases = g_new0(DosedPhase, protocol->n_phases ? protocol->n_phases : 1);
	for (size_t i = 0; i < protocol->n_phases; i++) {
		copy->phases[i] = protocol->phases[i];
		copy->phases[i].name = g_strdup(protocol->phases[i].name);
		copy->phases[i].dose = g_strdup(protocol->phases[i].dose);
	}
	return copy;
}

void protocol_destroy(DosedProtocol *protocol)
{
	if (!protocol)
		return;
	for (size_t i = 0; i < protocol->n_phases; i++)
		phase_finish(&protocol->phases[i]);
	g_free(protocol->phases);
	g_free(protocol->id);
	g_free(protocol->title);
	g_free(protocol->drug);
	g_free(protocol->dose);
	g_free(protocol->route);
	g_free(protocol->source);
	g_free(protocol->origin);
	g_free(protocol);
}

static void protocol_destroy_notify(gpointer protocol)
{
	protocol_destroy(protocol);
}

/* ------------------------------------------------------------------------
 * Reading protocol files with inih.
 */

/* A section being read. */
typedef struct {
	DosedProtocol *protocol;        /* its phases stay in `phases` until done */
	int line;                       /* of the [section] header */
	int key_lines[KEY_COUNT];       /* where each singular key was given; 0: not yet */
	GArray *phases;                 /* DosedPhase */
	GArray *phase_lines;            /* int */
} Section;

typedef struct {
	const char *name;               /* the file name in messages */
	const char *next;               /* the first byte not yet handed to inih */
	const char *end;
	int line;                       /* the line inih is reading */
	/* inih's own state, mirrored: after a key line an indented line
	 * continues that key's value, until the next section header. */
	char *value_key;
	Section *section;               /* NULL before the first header */
	GHashTable *section_lines;      /* id -> line of its header, in this file */
	GPtrArray *protocols;           /* DosedProtocol *, in file order */
	GError *error;                  /* the first error; reading stops there */
} IniParser;

static void parser_fail(IniParser *parser, int line, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void parser_fail(IniParser *parser, int line, const char *format, ...)
{
	va_list args;
	char *message;

	if (parser->error)
		return;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	parser->error = g_error_new(DOSED_ERROR, DOSED_ERROR_PARSE, "%s:%d: %s", parser->name,
				    line, message);
	g_free(message);
}

static void section_free(Section *section)
{
	if (!section)
		return;
	protocol_destroy(section->protocol);
	for (guint i = 0; i < section->phases->len; i++)
		phase_finish(&g_array_index(section->phases, DosedPhase, i));
	g_array_free(section->phases, TRUE);
	g_array_free(section->phase_lines, TRUE);
	g_free(section);
}

/* The section is complete: check it and add its protocol to the list. */
static void parser_end_section(IniParser *parser)
{
	Section *section = parser->section;
	DosedProtocol *protocol;
	const char *const required[] = { "drug", "dose", "route", "source" };
	const ProtocolKey required_keys[] = { KEY_DRUG, KEY_DOSE, KEY_ROUTE, KEY_SOURCE };

	if (!section)
		return;
	parser->section = NULL;
	protocol = section->protocol;
	for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
		if (!section->key_lines[required_keys[i]]) {
			parser_fail(parser, section->line, "[%s] has no '%s'; add '%s = ...'",
				    protocol->id, required[i], required[i]);
			goto out;
		}
	}
	if (section->phases->len == 0) {
		parser_fail(parser, section->line,
			    "[%s] has no phase; add one such as "
			    "'phase = maintenance: every 1 month for life'", protocol->id);
		goto out;
	}
	if (!protocol->title) {
		protocol->title = g_strdup_printf("%s %s", protocol->drug, protocol->dose);
		if (strlen("title = ") + strlen(protocol->title) > PROTOCOL_LINE_TEXT_MAX) {
			parser_fail(parser, section->line,
				    "[%s] has no title, and its drug and dose are too long to make "
				    "one; add a short 'title = ...'", protocol->id);
			goto out;
		}
	}
	protocol->origin = g_strdup_printf("%s:%d", parser->name, section->line);
	protocol->n_phases = section->phases->len;
	protocol->phases = (DosedPhase *)(void *)g_array_free(section->phases, FALSE);
	section->phases = g_array_new(FALSE, TRUE, sizeof(DosedPhase));
	g_ptr_array_add(parser->protocols, protocol);
	section->protocol = NULL;
out:
	section_free(section);
}

static bool protocol_id_valid(const char *id)
{
	size_t length = strlen(id);

	if (length == 0 || length > PROTOCOL_ID_MAX)
		return false;
	if (!g_ascii_islower(id[0]) && !g_ascii_isdigit(id[0]))
		return false;
	for (const char *s = id; *s; s++)
		if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* A "[id]" line; `text` is at the '['. */
static void parser_begin_section(IniParser *parser, const char *text)
{
	const char *close = text + 1;
	const char *after;
	bool was_space = false;
	char *id;
	gpointer first_line;
	Section *section;

	/* Where inih ends the name: at ']', unless a " ;" comment comes first. */
	while (*close && *close != ']' && !(was_space && *close == ';')) {
		was_space = g_ascii_isspace(*close);
		close++;
	}
	if (*close != ']') {
		parser_fail(parser, parser->line,
			    "the section header has no closing ']'; write [protocol-id]");
		return;
	}
	after = close + 1;
	while (g_ascii_isspace(*after))
		after++;
	if (*after && *after != ';') {
		parser_fail(parser, parser->line,
			    "unexpected '%s' after the section header; remove it", after);
		return;
	}

	parser_end_section(parser);
	if (parser->error)
		return;
	id = g_strndup(text + 1, (gsize)(close - text - 1));
	if (!protocol_id_valid(id)) {
		parser_fail(parser, parser->line,
			    "'%s' is not a valid protocol id: use 1 to %d lowercase letters, "
			    "digits, '.', '_' or '-', starting with a letter or digit",
			    id, PROTOCOL_ID_MAX);
		g_free(id);
		return;
	}
	if (g_hash_table_lookup_extended(parser->section_lines, id, NULL, &first_line)) {
		parser_fail(parser, parser->line,
			    "protocol '%s' is defined twice in this file (first on line %d); "
			    "keep one", id, GPOINTER_TO_INT(first_line));
		g_free(id);
		return;
	}
	g_hash_table_insert(parser->section_lines, g_strdup(id), GINT_TO_POINTER(parser->line));

	section = g_new0(Section, 1);
	section->protocol = g_new0(DosedProtocol, 1);
	section->protocol->id = id;
	section->protocol->grace_days = -1;
	section->line = parser->line;
	section->phases = g_array_new(FALSE, TRUE, sizeof(DosedPhase));
	section->phase_lines = g_array_new(FALSE, TRUE, sizeof(int));
	parser->section = section;
}

/* Sort the line as inih will (ini_parse_stream() of r55: comment, then
 * continuation, then section header, then key) and act on what inih does not
 * report: section headers, continuations, lines it would reject. */
static void parser_classify(IniParser *parser, const char *line)
{
	const char *start = line;
	const char *s;
	bool was_space = false;

	while (g_ascii_isspace(*start))
		start++;
	if (*start == '\0' || *start == ';' || *start == '#')
		return;
	if (parser->value_key && start > line) {
		/* inih would hand this to the handler as more of the value above,
		 * and a repeated key ('phase') could not tell it from a new one. */
		parser_fail(parser, parser->line,
			    "this indented line would continue the '%s' value above; write each "
			    "value on one line and start every key at the beginning of its line",
			    parser->value_key);
		return;
	}
	if (*start == '[') {
		g_clear_pointer(&parser->value_key, g_free);
		parser_begin_section(parser, start);
		return;
	}
	for (s = start; *s && *s != '=' && *s != ':' && !(was_space && *s == ';'); s++)
		was_space = g_ascii_isspace(*s);
	if (*s != '=' && *s != ':') {
		parser_fail(parser, parser->line,
			    "expected 'key = value', a [protocol-id] header or a ';' comment");
		return;
	}
	g_free(parser->value_key);
	parser->value_key = g_strstrip(g_strndup(start, (gsize)(s - start)));
}

/* inih's reader (fgets-like): one whole line per call, or NULL to stop. */
static char *parser_read(char *buffer, int size, void *stream)
{
	IniParser *parser = stream;
	const char *newline, *line_end;
	size_t length;

	if (parser->error || parser->next >= parser->end)
		return NULL;
	parser->line++;
	newline = memchr(parser->next, '\n', (size_t)(parser->end - parser->next));
	line_end = newline ? newline : parser->end;
	length = (size_t)(line_end - parser->next);
	if (length > 0 && line_end[-1] == '\r')
		length--;
	/* inih would cut the line and act on both halves. */
	if (length + 2 > (size_t)size) {
		parser_fail(parser, parser->line, "line is longer than %d bytes; shorten it",
			    size - 1);
		return NULL;
	}
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)parser->next[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			parser_fail(parser, parser->line,
				    "control character 0x%02x in the line; remove it", c);
			return NULL;
		}
	}
	memcpy(buffer, parser->next, length);
	buffer[length] = '\0';
	parser->next = newline ? newline + 1 : parser->end;

	parser_classify(parser, buffer);
	if (parser->error)
		return NULL;
	buffer[length] = '\n';
	buffer[length + 1] = '\0';
	return buffer;
}

static bool parse_grace(const char *value, int *days, GError **error)
{
	Cursor cursor = { value, value };
	int got = cursor_number(&cursor, 0, days, error);

	if (got < 0)
		return false;
	if (got == 0 || !(cursor_word(&cursor, "days") || cursor_word(&cursor, "day")))
		return cursor_expected(&cursor, "'N days' (N from 0 to 1000)", error);
	cursor_skip_space(&cursor);
	if (*cursor.at)
		return cursor_expected(&cursor, "nothing", error);
	return true;
}

static void parser_add_phase(IniParser *parser, const char *value)
{
	Section *section = parser->section;
	DosedPhase phase;
	GError *error = NULL;

	if (!phase_parse(value, &phase, &error)) {
		parser_fail(parser, parser->line, "phase: %s", error->message);
		g_error_free(error);
		return;
	}
	if (phase_line_length(&phase) > PROTOCOL_LINE_TEXT_MAX) {
		parser_fail(parser, parser->line,
			    "phase '%s' is too long to be stored as one line of at most %d bytes; "
			    "shorten its name", phase.name, PROTOCOL_LINE_TEXT_MAX + 1);
		phase_finish(&phase);
		return;
	}
	if (section->phases->len > 0) {
		guint last = section->phases->len - 1;
		DosedPhase *previous = &g_array_index(section->phases, DosedPhase, last);

		if (previous->end == DOSED_END_LIFE) {
			parser_fail(parser, g_array_index(section->phase_lines, int, last),
				    "phase '%s' is 'for life' but phase '%s' follows it (line %d); "
				    "'for life' must be the last phase", previous->name, phase.name,
				    parser->line);
			phase_finish(&phase);
			return;
		}
	}
	g_array_append_val(section->phases, phase);
	g_array_append_val(section->phase_lines, parser->line);
}

/* inih's handler: one "key = value" of the current line. */
static int parser_handle(void *user, const char *section_name, const char *key, const char *value)
{
	IniParser *parser = user;
	Section *section = parser->section;
	DosedProtocol *protocol;
	ProtocolKey which;
	GError *error = NULL;

	(void)section_name; /* inih cuts names at 49 bytes: ours is in parser->section */
	if (parser->error)
		return 0;
	if (!section) {
		parser_fail(parser, parser->line,
			    "'%s' is outside any protocol; put it under a [protocol-id] header", key);
		return 0;
	}
	protocol = section->protocol;
	for (which = 0; which < KEY_COUNT; which++)
		if (strcmp(key, protocol_keys[which]) == 0)
			break;
	if (which == KEY_COUNT) {
		parser_fail(parser, parser->line,
			    "unknown key '%s' in [%s]; the keys are title, drug, dose, route, "
			    "source, grace and phase", key, protocol->id);
		return 0;
	}
	if (!*value) {
		parser_fail(parser, parser->line, "'%s' is empty; give it a value", key);
		return 0;
	}
	/* Written back as "key = ;..." it would read as a comment. */
	if (*value == ';') {
		parser_fail(parser, parser->line,
			    "'%s' starts with ';', which reads as a comment; remove the ';'", key);
		return 0;
	}
	if (which == KEY_PHASE) {
		parser_add_phase(parser, value);
		return parser->error ? 0 : 1;
	}
	if (section->key_lines[which]) {
		parser_fail(parser, parser->line,
			    "'%s' is given twice in [%s] (first on line %d); keep one", key,
			    protocol->id, section->key_lines[which]);
		return 0;
	}
	section->key_lines[which] = parser->line;
	if (which == KEY_GRACE) {
		if (!parse_grace(value, &protocol->grace_days, &error)) {
			parser_fail(parser, parser->line, "grace: %s", error->message);
			g_error_free(error);
			return 0;
		}
		return 1;
	}
	/* "key=value" fits where the canonical "key = value" might not. */
	if (strlen(key) + 3 + strlen(value) > PROTOCOL_LINE_TEXT_MAX) {
		parser_fail(parser, parser->line,
			    "'%s' is too long to be stored as one line of at most %d bytes; "
			    "shorten it", key, PROTOCOL_LINE_TEXT_MAX + 1);
		return 0;
	}
	switch (which) {
	case KEY_TITLE:
		protocol->title = g_strdup(value);
		break;
	case KEY_DRUG:
		protocol->drug = g_strdup(value);
		break;
	case KEY_DOSE:
		protocol->dose = g_strdup(value);
		break;
	case KEY_ROUTE:
		protocol->route = g_strdup(value);
		break;
	case KEY_SOURCE:
		protocol->source = g_strdup(value);
		break;
	default:
		break;
	}
	return 1;
}

/* Every protocol of one file, in file order; NULL with *error set on the
 * first problem.  Free with g_ptr_array_unref(). */
static GPtrArray *protocols_parse(const char *text, size_t length, const char *name,
				  GError **error)
{
	IniParser parser = { 0 };
	const char *invalid;
	int status;

	if (!g_utf8_validate(text, (gssize)length, &invalid)) {
		int line = 1;

		for (const char *s = text; s < invalid; s++)
			if (*s == '\n')
				line++;
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "%s:%d: not valid UTF-8 text; save the file as UTF-8", name, line);
		return NULL;
	}
	parser.name = name;
	parser.next = text;
	parser.end = text + length;
	/* A byte order mark is allowed; it does not count towards the first line. */
	if (length >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		parser.next += 3;
	parser.section_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	parser.protocols = g_ptr_array_new_with_free_func(protocol_destroy_notify);

	status = ini_parse_stream(parser_read, &parser, parser_handle, &parser);
	if (status != 0)
		parser_fail(&parser, status > 0 ? status : parser.line,
			    "inih could not read this line");
	parser_end_section(&parser);

	section_free(parser.section);
	g_free(parser.value_key);
	g_hash_table_unref(parser.section_lines);
	if (parser.error) {
		g_propagate_error(error, parser.error);
		g_ptr_array_unref(parser.protocols);
		return NULL;
	}
	return parser.protocols;
}

DosedProtocol *protocol_from_ini(const char *text, const char *name, GError **error)
{
	GPtrArray *protocols = protocols_parse(text, strlen(text), name, error);
	DosedProtocol *protocol;

	if (!protocols)
		return NULL;
	if (protocols->len != 1) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "%s: holds %u protocols where exactly one was expected", name,
			    protocols->len);
		g_ptr_array_unref(protocols);
		return NULL;
	}
	protocol = g_ptr_array_steal_index(protocols, 0);
	g_ptr_array_unref(protocols);
	return protocol;
}

/* ------------------------------------------------------------------------
 * The catalogue: protocols by id, sorted.
 */

struct DosedCatalogue {
	GPtrArray *protocols;   /* DosedProtocol *, sorted by id */
};

static int protocol_compare(gconstpointer a, gconstpointer b)
{
	const DosedProtocol *const *pa = a;
	const DosedProtocol *const *pb = b;

	return strcmp((*pa)->id, (*pb)->id);
}

DosedCatalogue *catalogue_create(void)
{
	DosedCatalogue *catalogue = g_new0(DosedCatalogue, 1);

	catalogue->protocols = g_ptr_array_new_with_free_func(protocol_destroy_notify);
	return catalogue;
}

void catalogue_destroy(DosedCatalogue *catalogue)
{
	if (!catalogue)
		return;
	g_ptr_array_unref(catalogue->protocols);
	g_free(catalogue);
}

/* The index of id, or -1. */
static int catalogue_index(const DosedCatalogue *catalogue, const char *id)
{
	guint low = 0, high = catalogue->protocols->len;

	while (low < high) {
		guint middle = low + (high - low) / 2;
		const DosedProtocol *protocol = g_ptr_array_index(catalogue->protocols, middle);
		int order = strcmp(id, protocol->id);

		if (order == 0)
			return (int)middle;
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return -1;
}

/* Parse it all first, so that an error leaves the catalogue as it was. */
static bool catalogue_add_text(DosedCatalogue *catalogue, const char *text, size_t length,
			       const char *name, GError **error)
{
	GPtrArray *protocols = protocols_parse(text, length, name, error);

	if (!protocols)
		return false;
	for (guint i = 0; i < protocols->len; i++) {
		DosedProtocol *protocol = g_ptr_array_index(protocols, i);
		int index = catalogue_index(catalogue, protocol->id);

		/* A later file's protocol replaces an earlier one: clinic overrides. */
		g_ptr_array_index(protocols, i) = NULL;
		if (index >= 0) {
			protocol_destroy(g_ptr_array_index(catalogue->protocols, index));
			g_ptr_array_index(catalogue->protocols, index) = protocol;
		} else {
			g_ptr_array_add(catalogue->protocols, protocol);
			g_ptr_array_sort(catalogue->protocols, protocol_compare);
		}
	}
	g_ptr_array_unref(protocols);
	return true;
}

bool catalogue_add_string(DosedCatalogue *catalogue, const char *text, const char *name,
			  GError **error)
{
	return catalogue_add_text(catalogue, text, strlen(text), name, error);
}

bool catalogue_add_file(DosedCatalogue *catalogue, const char *path, GError **error)
{
	FILE *file = fopen(path, "rb");
	GString *text;
	char buffer[8192];
	size_t got;
	bool ok;

	if (!file) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read protocol file '%s': %s; check the path", path,
			    g_strerror(saved));
		return false;
	}
	/* Issue 6: a protocol decides when people inject; one that anyone
	 * may edit is refused. */
	if (!trust_may_read(fileno(file), path, error)) {
		fclose(file);
		return false;
	}
	text = g_string_new(NULL);
	while ((got = fread(buffer, 1, sizeof buffer, file)) > 0)
		g_string_append_len(text, buffer, (gssize)got);
	if (ferror(file)) {
		int saved = errno;

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read protocol file '%s': %s; check the path", path,
			    g_strerror(saved));
		fclose(file);
		g_string_free(text, TRUE);
		return false;
	}
	fclose(file);
	ok = catalogue_add_text(catalogue, text->str, text->len, path, error);
	g_string_free(text, TRUE);
	return ok;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A directory's "*.ini" files, in name order (hidden files left out: editors
 * leave ".x.ini.swp"-like files behind).  The folder is checked as opened
 * and read from that descriptor: a folder anyone may add to is refused. */
static bool catalogue_add_directory(DosedCatalogue *catalogue, const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	GPtrArray *names;
	const struct dirent *entry;
	bool ok = true;

	if (fd < 0 || !trust_may_read(fd, path, error)) {
		if (fd < 0)
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
				    "cannot read protocol folder '%s': %s; check the path", path,
				    g_strerror(errno));
		else
			close(fd);
		return false;
	}
	dir = fdopendir(fd);
	if (!dir) {
		g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
			    "cannot read protocol folder '%s': %s; check the path", path,
			    g_strerror(errno));
		close(fd);
		return false;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.' && g_str_has_suffix(entry->d_name, ".ini"))
			g_ptr_array_add(names, g_build_filename(path, entry->d_name, NULL));
	closedir(dir);
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; ok && i < names->len; i++)
		ok = catalogue_add_file(catalogue, g_ptr_array_index(names, i), error);
	g_ptr_array_unref(names);
	return ok;
}

/* A missing path named like a directory ("protocols.d", "x/") is skipped: a
 * clinic need not have one.  Any other missing path is an error, so that a
 * mistyped file name is not silently ignored. */
static bool path_names_directory(const char *path)
{
	return g_str_has_suffix(path, "/") || g_str_has_suffix(path, ".d");
}

DosedCatalogue *catalogue_load(const char *const *paths, GError **error)
{
	g_autoptr(DosedCatalogue) catalogue = catalogue_create();

	for (const char *const *path = paths; path && *path; path++) {
		struct stat info;
		bool ok;

		if (stat(*path, &info) != 0) {
			int saved = errno;

			if (saved == ENOENT && path_names_directory(*path))
				continue;
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_PARSE,
				    "cannot read protocol file '%s': %s; check the path", *path,
				    g_strerror(saved));
			return NULL;
		}
		if (S_ISDIR(info.st_mode))
			ok = catalogue_add_directory(catalogue, *path, error);
		else
			ok = catalogue_add_file(catalogue, *path, error);
		if (!ok)
			return NULL;
	}
	return g_steal_pointer(&catalogue);
}

const DosedProtocol *catalogue_find(const DosedCatalogue *catalogue, const char *id)
{
	int index = catalogue_index(catalogue, id);

	return index < 0 ? NULL : g_ptr_array_index(catalogue->protocols, index);
}

size_t catalogue_size(const DosedCatalogue *catalogue)
{
	return catalogue->protocols->len;
}

const DosedProtocol *catalogue_get(const DosedCatalogue *catalogue, size_t index)
{
	if (index >= catalogue->protocols->len)
		return NULL;
	return g_ptr_array_index(catalogue->protocols, index);
}
