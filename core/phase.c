/* phase.c - the grammar of a protocol's values (SPEC section 1): a phase
 * ("loading: 3 per week (mon,wed,fri) for 6 doses"), a list of weekdays,
 * a grace; read into a DosedPhase, and written back, in the canonical
 * grammar and in words for people.
 */
#include "protocol_private.h"

#include <string.h>

#include "error.h"

/* Counts, lengths and intervals in the grammar run up to this: far from any
 * overflow in date arithmetic (1000 months is 83 years). */
#define PROTOCOL_NUMBER_MAX 1000

static const char *const weekday_short[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};
static const char *const weekday_full[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};
static const char *const weekday_title[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

int phase_weekday_count(unsigned weekdays)
{
	int count = 0;

	for (int day = 1; day <= 7; day++)
		if (weekdays & DOSED_WEEKDAY_BIT(day))
			count++;
	return count;
}

const char *phase_unit_word(DosedUnit unit, int count)
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
	if (phase_weekday_count(weekdays) != count) {
		char *done = cursor_done(cursor);

		g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
			    "'%s' lists %d day%s, not %d: make the number match the days",
			    done, phase_weekday_count(weekdays), phase_weekday_count(weekdays) == 1 ? "" : "s",
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

		g_string_append_printf(out, "%d per week (", phase_weekday_count(phase->weekdays));
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
				       phase_unit_word(phase->unit, phase->every_max));
	else if (phase->unit == DOSED_UNIT_DAY && phase->every_min == 1)
		g_string_append(out, "daily");
	else if (phase->unit == DOSED_UNIT_DAY && phase->every_min == 2)
		g_string_append(out, "alternate days");
	else
		g_string_append_printf(out, "every %d %s", phase->every_min,
				       phase_unit_word(phase->unit, phase->every_min));
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
				       phase_unit_word(phase->end_unit, phase->end_count));
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
char *phase_to_text(const DosedPhase *phase)
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
 * The grace of a protocol.
 */

bool protocol_grace_parse(const char *value, int *days, GError **error)
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
