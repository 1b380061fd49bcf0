/* protocol.c - a protocol as INI text (SPEC section 1): read with inih,
 * and written as the canonical text a regimen stores as its own copy.
 * The grammar of its values is phase.c's; the catalogue of protocol
 * files is catalogue.c's.
 *
 * Two limits of the Debian build of inih (r55) shape the reading: its
 * handler gets no line number and is not called for a section header, and it
 * reads at most INI_MAX_LINE (200) bytes of a line, silently cutting a longer
 * one in two.  So the file is fed to ini_parse_stream() by our own reader,
 * one whole line at a time: the reader counts lines, notes section headers,
 * and refuses a line inih would cut, before inih sees it.
 */
#include "protocol_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "error.h"

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
		if (first && phase_weekday_count(first->weekdays) != phase_weekday_count(phase->weekdays)) {
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "protocol '%s' has phases of %d and of %d per week ('%s', '%s'), "
				    "which one list of weekdays cannot both fit; write a clinic "
				    "protocol with the days instead",
				    protocol->id, phase_weekday_count(first->weekdays),
				    phase_weekday_count(phase->weekdays), first->name, phase->name);
			return false;
		}
		if (!first)
			first = phase;
		if (phase_weekday_count(weekdays) != phase_weekday_count(phase->weekdays)) {
			char *given = weekdays_format(weekdays);
			char *prescribed = weekdays_format(phase->weekdays);

			g_set_error(error, DOSED_ERROR, DOSED_ERROR_INVALID,
				    "'%s' is %d day%s a week, but phase '%s' of '%s' is %d per week "
				    "(%s): list %d weekdays; the days change which weekdays, never "
				    "how many",
				    given, phase_weekday_count(weekdays),
				    phase_weekday_count(weekdays) == 1 ? "" : "s", phase->name, protocol->id,
				    phase_weekday_count(phase->weekdays), prescribed,
				    phase_weekday_count(phase->weekdays));
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
				       phase_unit_word(DOSED_UNIT_DAY, protocol->grace_days));
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

void protocol_destroy_notify(gpointer protocol)
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
		if (!protocol_grace_parse(value, &protocol->grace_days, &error)) {
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

GPtrArray *protocol_parse_all(const char *text, size_t length, const char *name,
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
	GPtrArray *protocols = protocol_parse_all(text, strlen(text), name, error);
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
