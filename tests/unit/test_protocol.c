/* test_protocol.c - protocols as data (core/protocol.c, SPEC section 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <glib/gstdio.h>

#include "error.h"
#include "protocol.h"

#include "helpers.h"

#define MONDAY    DOSED_WEEKDAY_BIT(1)
#define TUESDAY   DOSED_WEEKDAY_BIT(2)
#define WEDNESDAY DOSED_WEEKDAY_BIT(3)
#define THURSDAY  DOSED_WEEKDAY_BIT(4)
#define FRIDAY    DOSED_WEEKDAY_BIT(5)
#define SATURDAY  DOSED_WEEKDAY_BIT(6)
#define SUNDAY    DOSED_WEEKDAY_BIT(7)

/* A minimal valid section, for the error tests to build on (lines 1-6). */
#define HEAD(id) \
	"[" id "]\n" \
	"drug = hydroxocobalamin\n" \
	"dose = 1 mg\n" \
	"route = IM\n" \
	"source = test\n"

static char *data_path(const char *relative)
{
	const char *data = getenv("DOSED_TEST_DATA");

	if (!data)
		fail_msg("DOSED_TEST_DATA is not set; run the tests with tests/run");
	return g_build_filename(data, relative, NULL);
}

static char *conf_path(void)
{
	return data_path("../../conf/protocols.ini");
}

static DosedCatalogue *load(const char *first, const char *second)
{
	char *paths[3] = { NULL, NULL, NULL };
	GError *error = NULL;
	DosedCatalogue *catalogue;

	paths[0] = first ? data_path(first) : conf_path();
	paths[1] = second ? data_path(second) : NULL;
	catalogue = catalogue_load((const char *const *)paths, &error);
	if (!catalogue)
		fail_msg("catalogue_load: %s", error->message);
	g_free(paths[0]);
	g_free(paths[1]);
	return catalogue;
}

static DosedCatalogue *load_builtins(void)
{
	char *paths[2] = { conf_path(), NULL };
	GError *error = NULL;
	DosedCatalogue *catalogue = catalogue_load((const char *const *)paths, &error);

	if (!catalogue)
		fail_msg("catalogue_load: %s", error->message);
	g_free(paths[0]);
	return catalogue;
}

/* Everything but origin. */
static void assert_phases_equal(const DosedPhase *a, const DosedPhase *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->unit, b->unit);
	assert_int_equal(a->every_min, b->every_min);
	assert_int_equal(a->every_max, b->every_max);
	assert_int_equal(a->weekdays, b->weekdays);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->end_count, b->end_count);
	assert_int_equal(a->end_unit, b->end_unit);
	if (a->dose || b->dose) {
		assert_non_null(a->dose);
		assert_non_null(b->dose);
		assert_string_equal(a->dose, b->dose);
	}
}

static void assert_protocols_equal(const DosedProtocol *a, const DosedProtocol *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->title, b->title);
	assert_string_equal(a->drug, b->drug);
	assert_string_equal(a->dose, b->dose);
	assert_string_equal(a->route, b->route);
	assert_string_equal(a->source, b->source);
	assert_int_equal(a->grace_days, b->grace_days);
	assert_int_equal(a->n_phases, b->n_phases);
	for (size_t i = 0; i < a->n_phases; i++)
		assert_phases_equal(&a->phases[i], &b->phases[i]);
}

/* The phase in words, as the SPEC table writes it. */
static void assert_phase(const DosedProtocol *protocol, size_t index, const char *name,
			 const char *words)
{
	char *described;

	assert_true(index < protocol->n_phases);
	assert_string_equal(protocol->phases[index].name, name);
	described = phase_describe(&protocol->phases[index]);
	assert_string_equal(described, words);
	g_free(described);
}

static void assert_message_has(const char *message, const char *const *words)
{
	for (; *words; words++)
		if (!strstr(message, *words))
			fail_msg("message '%s' lacks '%s'", message, *words);
}

/* ------------------------------------------------------------------------
 * The built-in catalogue: SPEC section 1, "Built-in catalogue".
 */

static void test_builtins_are_the_spec_table(void **state)
{
	DosedCatalogue *catalogue = load_builtins();
	const DosedProtocol *p;
	static const char *const ids[] = {
		"b12-bariatric", "b12-cyano-label", "b12-ileal-resection", "b12-neuro",
		"b12-standard",
	};

	(void)state;
	assert_int_equal(catalogue_size(catalogue), 5);
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
		assert_string_equal(catalogue_get(catalogue, i)->id, ids[i]);
	assert_null(catalogue_get(catalogue, 5));

	p = catalogue_find(catalogue, "b12-standard");
	assert_non_null(p);
	assert_string_equal(p->drug, "hydroxocobalamin");
	assert_string_equal(p->dose, "1 mg");
	assert_string_equal(p->route, "IM");
	assert_int_equal(p->n_phases, 2);
	assert_phase(p, 0, "loading", "3 per week (Mon, Wed, Fri) for 6 doses");
	assert_int_equal(p->phases[0].kind, DOSED_PATTERN_WEEKDAYS);
	assert_int_equal(p->phases[0].weekdays, MONDAY | WEDNESDAY | FRIDAY);
	assert_int_equal(p->phases[0].end, DOSED_END_DOSES);
	assert_int_equal(p->phases[0].end_count, 6);
	assert_phase(p, 1, "maintenance", "every 2-3 months for life");
	assert_int_equal(p->phases[1].unit, DOSED_UNIT_MONTH);
	assert_int_equal(p->phases[1].every_min, 2);
	assert_int_equal(p->phases[1].every_max, 3);
	assert_int_equal(p->phases[1].end, DOSED_END_LIFE);
	assert_int_equal(p->grace_days, -1);
	g_assert_true(g_str_has_suffix(p->origin, "protocols.ini:43"));

	p = catalogue_find(catalogue, "b12-neuro");
	assert_non_null(p);
	assert_string_equal(p->drug, "hydroxocobalamin");
	assert_string_equal(p->dose, "1 mg");
	assert_string_equal(p->route, "IM");
	assert_int_equal(p->n_phases, 2);
	assert_phase(p, 0, "loading", "alternate days until advanced");
	assert_int_equal(p->phases[0].every_min, 2);
	assert_int_equal(p->phases[0].unit, DOSED_UNIT_DAY);
	assert_int_equal(p->phases[0].end, DOSED_END_ADVANCED);
	assert_phase(p, 1, "maintenance", "every 2 months for life");
	assert_int_equal(p->phases[1].every_max, 2);

	p = catalogue_find(catalogue, "b12-cyano-label");
	assert_non_null(p);
	assert_string_equal(p->drug, "cyanocobalamin");
	assert_string_equal(p->dose, "100 mcg");
	assert_string_equal(p->route, "IM or deep SC");
	assert_int_equal(p->n_phases, 4);
	assert_phase(p, 0, "initial", "daily for 7 doses");
	assert_phase(p, 1, "loading", "alternate days for 7 doses");
	assert_phase(p, 2, "late loading", "every 3-4 days for 3 weeks");
	assert_int_equal(p->phases[2].end, DOSED_END_DURATION);
	assert_int_equal(p->phases[2].end_unit, DOSED_UNIT_WEEK);
	assert_int_equal(p->phases[2].end_count, 3);
	assert_phase(p, 3, "maintenance", "every 1 month for life");

	p = catalogue_find(catalogue, "b12-ileal-resection");
	assert_non_null(p);
	assert_string_equal(p->drug, "vitamin B12");
	assert_string_equal(p->dose, "1000 mcg");
	assert_string_equal(p->route, "IM");
	assert_int_equal(p->n_phases, 1);
	assert_phase(p, 0, "prophylaxis", "every 1 month for life");

	p = catalogue_find(catalogue, "b12-bariatric");
	assert_non_null(p);
	assert_string_equal(p->drug, "vitamin B12");
	assert_string_equal(p->dose, "1 mg");
	assert_string_equal(p->route, "IM");
	assert_int_equal(p->n_phases, 1);
	assert_phase(p, 0, "maintenance", "every 3 months for life");

	/* Each cites its clinical source by name, and nothing else: no file of
	 * the developers' (issue 12 found "via seeds/004_....txt", a file
	 * that is not in the repository, in dosectl protocols). */
	static const char *const sources[] = {
		"NICE CKS (", "FDA drug label, ", "Vitamin B12 Injection Guidelines (",
	};
	for (size_t i = 0; i < catalogue_size(catalogue); i++) {
		bool named = false;

		p = catalogue_get(catalogue, i);
		for (size_t k = 0; k < G_N_ELEMENTS(sources); k++)
			named = named || g_str_has_prefix(p->source, sources[k]);
		if (!named || strstr(p->source, "seeds") || strstr(p->source, ".txt"))
			fail_msg("%s: source '%s' is not a named clinical source alone", p->id,
				 p->source);
		for (size_t k = 0; k < p->n_phases; k++)
			assert_null(p->phases[k].dose);
	}
	assert_null(catalogue_find(catalogue, "b12-unknown"));
	catalogue_destroy(catalogue);
}

/* SPEC 1: the regimen stores a copy; it must read back exactly. */
static void test_builtins_round_trip(void **state)
{
	DosedCatalogue *catalogue = load_builtins();

	(void)state;
	for (size_t i = 0; i < catalogue_size(catalogue); i++) {
		const DosedProtocol *p = catalogue_get(catalogue, i);
		char *text = protocol_to_ini(p);
		GError *error = NULL;
		DosedProtocol *back = protocol_from_ini(text, "copy", &error);
		char *again;
		char **lines;

		if (!back)
			fail_msg("%s does not read back: %s\n%s", p->id, error->message, text);
		assert_protocols_equal(p, back);
		again = protocol_to_ini(back);
		assert_string_equal(again, text);
		lines = g_strsplit(text, "\n", -1);
		for (char **line = lines; *line; line++)
			assert_true(strlen(*line) + 1 <= 199);
		g_strfreev(lines);
		g_free(again);
		g_free(text);
		protocol_destroy(back);
	}
	catalogue_destroy(catalogue);
}

static void test_canonical_text(void **state)
{
	DosedCatalogue *catalogue = load_builtins();
	char *text = protocol_to_ini(catalogue_find(catalogue, "b12-standard"));

	(void)state;
	assert_string_equal(text,
		"[b12-standard]\n"
		"title = Hydroxocobalamin, no neurological involvement\n"
		"drug = hydroxocobalamin\n"
		"dose = 1 mg\n"
		"route = IM\n"
		"source = NICE CKS (Anaemia - B12 and folate deficiency): 1 mg IM three "
		"times a week for 2 weeks, then every 2-3 months for life\n"
		"phase = loading: 3 per week (mon,wed,fri) for 6 doses\n"
		"phase = maintenance: every 2-3 months for life\n");
	g_free(text);
	catalogue_destroy(catalogue);
}

static void test_copy(void **state)
{
	DosedCatalogue *catalogue = load_builtins();
	const DosedProtocol *p = catalogue_find(catalogue, "b12-cyano-label");
	DosedProtocol *copy = protocol_copy(p);

	(void)state;
	assert_protocols_equal(p, copy);
	assert_ptr_not_equal(copy->phases, p->phases);
	assert_ptr_not_equal(copy->phases[0].name, p->phases[0].name);
	assert_string_equal(copy->origin, p->origin);
	catalogue_destroy(catalogue);
	/* The copy outlives the catalogue (a regimen keeps its own). */
	assert_string_equal(copy->phases[3].name, "maintenance");
	protocol_destroy(copy);
	protocol_destroy(NULL);
	catalogue_destroy(NULL);
}

/* ------------------------------------------------------------------------
 * The phase grammar.
 */

static void test_grammar_forms(void **state)
{
	static const struct {
		const char *text;
		DosedPatternKind kind;
		DosedUnit unit;
		int every_min, every_max;
		unsigned weekdays;
		DosedEndKind end;
		int end_count;
		DosedUnit end_unit;
		const char *name, *dose, *canonical;
	} cases[] = {
		{ "a: daily for 7 doses", DOSED_PATTERN_INTERVAL, DOSED_UNIT_DAY, 1, 1, 0,
		  DOSED_END_DOSES, 7, DOSED_UNIT_DAY, "a", NULL, "a: daily for 7 doses" },
		{ "a: every 1 day for 1 dose", DOSED_PATTERN_INTERVAL, DOSED_UNIT_DAY, 1, 1, 0,
		  DOSED_END_DOSES, 1, DOSED_UNIT_DAY, "a", NULL, "a: daily for 1 dose" },
		{ "a: alternate days until advanced", DOSED_PATTERN_INTERVAL, DOSED_UNIT_DAY, 2, 2, 0,
		  DOSED_END_ADVANCED, 0, DOSED_UNIT_DAY, "a", NULL, "a: alternate days until advanced" },
		{ "a: every 2 days for 10 days", DOSED_PATTERN_INTERVAL, DOSED_UNIT_DAY, 2, 2, 0,
		  DOSED_END_DURATION, 10, DOSED_UNIT_DAY, "a", NULL, "a: alternate days for 10 days" },
		{ "a: weekly for 4 weeks", DOSED_PATTERN_INTERVAL, DOSED_UNIT_WEEK, 1, 1, 0,
		  DOSED_END_DURATION, 4, DOSED_UNIT_WEEK, "a", NULL, "a: every 1 week for 4 weeks" },
		{ "a: every 3 weeks for 1 week", DOSED_PATTERN_INTERVAL, DOSED_UNIT_WEEK, 3, 3, 0,
		  DOSED_END_DURATION, 1, DOSED_UNIT_WEEK, "a", NULL, "a: every 3 weeks for 1 week" },
		{ "a: monthly for life", DOSED_PATTERN_INTERVAL, DOSED_UNIT_MONTH, 1, 1, 0,
		  DOSED_END_LIFE, 0, DOSED_UNIT_DAY, "a", NULL, "a: every 1 month for life" },
		{ "a: every 1 months for life", DOSED_PATTERN_INTERVAL, DOSED_UNIT_MONTH, 1, 1, 0,
		  DOSED_END_LIFE, 0, DOSED_UNIT_DAY, "a", NULL, "a: every 1 month for life" },
		{ "a: every month for life", DOSED_PATTERN_INTERVAL, DOSED_UNIT_MONTH, 1, 1, 0,
		  DOSED_END_LIFE, 0, DOSED_UNIT_DAY, "a", NULL, "a: every 1 month for life" },
		{ "maintenance: every 2-3 months for life", DOSED_PATTERN_INTERVAL, DOSED_UNIT_MONTH,
		  2, 3, 0, DOSED_END_LIFE, 0, DOSED_UNIT_DAY, "maintenance", NULL,
		  "maintenance: every 2-3 months for life" },
		{ "m :  EVERY  2 - 4   Weeks   FOR   Life ", DOSED_PATTERN_INTERVAL, DOSED_UNIT_WEEK,
		  2, 4, 0, DOSED_END_LIFE, 0, DOSED_UNIT_DAY, "m", NULL, "m: every 2-4 weeks for life" },
		{ "m: every 2\xe2\x80\x93" "3 months for life", DOSED_PATTERN_INTERVAL, DOSED_UNIT_MONTH,
		  2, 3, 0, DOSED_END_LIFE, 0, DOSED_UNIT_DAY, "m", NULL, "m: every 2-3 months for life" },
		{ "loading: 3 per week (mon,wed,fri) for 6 doses", DOSED_PATTERN_WEEKDAYS,
		  DOSED_UNIT_WEEK, 1, 1, MONDAY | WEDNESDAY | FRIDAY, DOSED_END_DOSES, 6,
		  DOSED_UNIT_DAY, "loading", NULL, "loading: 3 per week (mon,wed,fri) for 6 doses" },
		{ "Twice weekly: 2 Per Week( Friday , TUE )for 2 weeks, dose 500 mcg",
		  DOSED_PATTERN_WEEKDAYS, DOSED_UNIT_WEEK, 1, 1, TUESDAY | FRIDAY,
		  DOSED_END_DURATION, 2, DOSED_UNIT_WEEK, "Twice weekly", "500 mcg",
		  "Twice weekly: 2 per week (tue,fri) for 2 weeks, dose 500 mcg" },
		{ "initial: daily for 7 doses, dose 100 mcg", DOSED_PATTERN_INTERVAL, DOSED_UNIT_DAY,
		  1, 1, 0, DOSED_END_DOSES, 7, DOSED_UNIT_DAY, "initial", "100 mcg",
		  "initial: daily for 7 doses, dose 100 mcg" },
		{ "x: every 1000 days for 1000 doses,DOSE  1 mg (0.5 ml, 2 mg/ml) ",
		  DOSED_PATTERN_INTERVAL, DOSED_UNIT_DAY, 1000, 1000, 0, DOSED_END_DOSES, 1000,
		  DOSED_UNIT_DAY, "x", "1 mg (0.5 ml, 2 mg/ml)",
		  "x: every 1000 days for 1000 doses, dose 1 mg (0.5 ml, 2 mg/ml)" },
		{ "d\xc3\xa9j\xc3\xa0 vu: 1 per week (sun) until advanced", DOSED_PATTERN_WEEKDAYS,
		  DOSED_UNIT_WEEK, 1, 1, SUNDAY, DOSED_END_ADVANCED, 0, DOSED_UNIT_DAY,
		  "d\xc3\xa9j\xc3\xa0 vu", NULL, "d\xc3\xa9j\xc3\xa0 vu: 1 per week (sun) until advanced" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DosedPhase phase;
		GError *error = NULL;
		DosedProtocol protocol = { 0 };
		char *text;
		DosedProtocol *back;

		if (!phase_parse(cases[i].text, &phase, &error))
			fail_msg("'%s': %s", cases[i].text, error->message);
		assert_string_equal(phase.name, cases[i].name);
		assert_int_equal(phase.kind, cases[i].kind);
		assert_int_equal(phase.unit, cases[i].unit);
		assert_int_equal(phase.every_min, cases[i].every_min);
		assert_int_equal(phase.every_max, cases[i].every_max);
		assert_int_equal(phase.weekdays, cases[i].weekdays);
		assert_int_equal(phase.end, cases[i].end);
		assert_int_equal(phase.end_count, cases[i].end_count);
		assert_int_equal(phase.end_unit, cases[i].end_unit);
		if (cases[i].dose)
			assert_string_equal(phase.dose, cases[i].dose);
		else
			assert_null(phase.dose);

		/* Its canonical form, through a one-phase protocol. */
		protocol.id = "p";
		protocol.title = "t";
		protocol.drug = "d";
		protocol.dose = "1 mg";
		protocol.route = "IM";
		protocol.source = "s";
		protocol.grace_days = -1;
		protocol.phases = &phase;
		protocol.n_phases = 1;
		text = protocol_to_ini(&protocol);
		if (!strstr(text, cases[i].canonical))
			fail_msg("'%s' is written as\n%s", cases[i].text, text);
		back = protocol_from_ini(text, "copy", &error);
		if (!back)
			fail_msg("'%s' does not read back: %s", text, error->message);
		assert_phases_equal(&phase, &back->phases[0]);
		protocol_destroy(back);
		g_free(text);
		phase_finish(&phase);
	}
}

static void test_describe(void **state)
{
	static const struct {
		const char *text, *words;
	} cases[] = {
		{ "a: 3 per week (fri, mon, wed) for 6 doses", "3 per week (Mon, Wed, Fri) for 6 doses" },
		{ "a: alternate days until advanced", "alternate days until advanced" },
		{ "a: every 2-3 months for life", "every 2-3 months for life" },
		{ "a: every 3-4 days for 3 weeks", "every 3-4 days for 3 weeks" },
		{ "a: daily for 7 doses, dose 100 mcg", "daily for 7 doses" },
		{ "a: every 1 day for 1 day", "daily for 1 day" },
		{ "a: every 1 week for 1 dose", "every 1 week for 1 dose" },
		{ "a: every 3 months for 12 weeks", "every 3 months for 12 weeks" },
		{ "a: 1 per week (thursday) for 2 doses", "1 per week (Thu) for 2 doses" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DosedPhase phase;
		GError *error = NULL;
		char *words;

		if (!phase_parse(cases[i].text, &phase, &error))
			fail_msg("'%s': %s", cases[i].text, error->message);
		words = phase_describe(&phase);
		assert_string_equal(words, cases[i].words);
		g_free(words);
		phase_finish(&phase);
	}
}

static void test_phase_errors(void **state)
{
	static const struct {
		const char *text;
		const char *words[3];
	} cases[] = {
		{ "maintenance: every 2 months",
		  { "expected 'for N doses', 'for N days|weeks', 'until advanced' or 'for life' "
		    "after 'every 2 months'", NULL } },
		{ "maintenance: every 2 months forever",
		  { "'until advanced' or 'for life' after 'every 2 months', found 'forever'", NULL } },
		{ "maintenance: every 2 months for ever",
		  { "expected a number or 'life' after 'every 2 months for', found 'ever'", NULL } },
		{ "daily for 7 doses", { "no name", "NAME: PATTERN END", NULL } },
		{ "  : daily for 7 doses", { "no name", NULL } },
		{ "a: fortnightly for life",
		  { "expected 'daily', 'alternate days'", "found 'fortnightly for life'", NULL } },
		{ "a:", { "expected 'daily'", NULL } },
		{ "a: every 0 days for 7 doses", { "'0' is not a number from 1 to 1000", NULL } },
		{ "a: daily for 0 doses", { "'0' is not a number from 1 to 1000", NULL } },
		{ "a: 0 per week (mon) for 1 dose", { "'0' is not a number from 1 to 1000", NULL } },
		{ "a: every 1001 days for life", { "'1001' is not a number from 1 to 1000", NULL } },
		{ "a: daily for 99999999999999999999999 doses",
		  { "'99999999999999999999999' is not a number", NULL } },
		{ "a: every -2 days for life", { "expected a number after 'every'", NULL } },
		{ "a: every 3-2 months for life",
		  { "'every 3-2 months' is not a window", "M must be greater than N", NULL } },
		{ "a: every 2-2 months for life", { "'every 2-2 months' is not a window", NULL } },
		{ "a: every 2- months for life", { "expected a number after 'every 2-'", NULL } },
		{ "a: every 2 fortnights for life",
		  { "expected 'days', 'weeks' or 'months' after 'every 2'", NULL } },
		{ "a: alternate weeks for life", { "expected 'days' after 'alternate'", NULL } },
		{ "a: 3 per week (mon,fri) for 6 doses", { "'3 per week (mon,fri)' lists 2 days, not 3", NULL } },
		{ "a: 2 per week (mon,mon) for 6 doses", { "'mon' is listed twice", NULL } },
		{ "a: 2 per week (mon,funday) for 6 doses", { "'funday' is not a weekday", NULL } },
		{ "a: 2 per week mon,wed for 6 doses", { "expected the weekdays in brackets", NULL } },
		{ "a: 2 per week (mon,wed for 6 doses", { "expected ')' to close the weekdays", NULL } },
		{ "a: 2 per month (mon,wed) for 6 doses",
		  { "expected 'per week (DAYS)' after '2', found 'per month", NULL } },
		{ "a: daily for 3 months", { "expected 'doses', 'days' or 'weeks' after 'daily for 3'", NULL } },
		{ "a: daily until stopped", { "expected 'advanced' after 'daily until'", NULL } },
		{ "a: daily for life please", { "expected ', dose DOSE' or the end of the phase after "
		  "'daily for life', found 'please'", NULL } },
		{ "a: daily for life, 1 mg",
		  { "expected ', dose DOSE' after 'daily for life', found ', 1 mg'", NULL } },
		{ "a: daily for life, dose ", { "no dose after it", NULL } },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DosedPhase phase = { 0 };
		GError *error = NULL;

		if (phase_parse(cases[i].text, &phase, &error))
			fail_msg("'%s' was accepted", cases[i].text);
		assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
		assert_null(strchr(error->message, '\n'));
		assert_message_has(error->message, cases[i].words);
		assert_null(phase.name);
		g_error_free(error);
	}
}

static void test_weekdays(void **state)
{
	static const struct {
		const char *text;
		unsigned weekdays;
		const char *formatted;
	} good[] = {
		{ "mon,wed,fri", MONDAY | WEDNESDAY | FRIDAY, "mon,wed,fri" },
		{ " Friday , MONDAY,wed ", MONDAY | WEDNESDAY | FRIDAY, "mon,wed,fri" },
		{ "tue,fri", TUESDAY | FRIDAY, "tue,fri" },
		{ "sun", SUNDAY, "sun" },
		{ "mon,tue,wed,thu,fri,sat,sun", DOSED_WEEKDAYS_ALL, "mon,tue,wed,thu,fri,sat,sun" },
	};
	static const struct {
		const char *text, *words;
	} bad[] = {
		{ "funday", "'funday' is not a weekday" },
		{ "mon,tues", "'tues' is not a weekday" },
		{ "mon wed", "'mon wed' is not a weekday" },
		{ "mon,,fri", "an empty weekday in 'mon,,fri'" },
		{ "", "no weekdays given" },
		{ "  ", "no weekdays given" },
		{ "fri,Friday", "'fri' is listed twice" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		unsigned weekdays = 0;
		GError *error = NULL;
		char *formatted;

		if (!weekdays_parse(good[i].text, &weekdays, &error))
			fail_msg("'%s': %s", good[i].text, error->message);
		assert_int_equal(weekdays, good[i].weekdays);
		formatted = weekdays_format(weekdays);
		assert_string_equal(formatted, good[i].formatted);
		g_free(formatted);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		unsigned weekdays = 99;
		GError *error = NULL;

		if (weekdays_parse(bad[i].text, &weekdays, &error))
			fail_msg("'%s' was accepted", bad[i].text);
		assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
		if (!strstr(error->message, bad[i].words))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, error->message,
				 bad[i].words);
		assert_int_equal(weekdays, 99);
		g_error_free(error);
	}
}

/* SPEC 2.3. */
static void test_grace_and_dose(void **state)
{
	DosedCatalogue *catalogue = load("protocols/clinic.ini", NULL);
	const DosedProtocol *standard = catalogue_find(catalogue, "b12-standard");
	const DosedProtocol *weekly = catalogue_find(catalogue, "clinic-weekly");
	DosedProtocol *copy;
	GError *error = NULL;
	DosedPhase phase;

	(void)state;
	assert_int_equal(phase_grace_days(&standard->phases[0], standard), 0);
	assert_int_equal(phase_grace_days(&standard->phases[1], standard), 7);
	/* grace = 2 days applies to every phase, monthly or not. */
	assert_int_equal(weekly->grace_days, 2);
	assert_int_equal(phase_grace_days(&weekly->phases[0], weekly), 2);
	assert_int_equal(phase_grace_days(&weekly->phases[1], weekly), 2);

	copy = protocol_from_ini(HEAD("g") "grace = 0 days\nphase = m: every 1 month for life\n",
				 "g.ini", &error);
	assert_non_null(copy);
	assert_int_equal(phase_grace_days(&copy->phases[0], copy), 0);
	/* No title: the drug and the dose. */
	assert_string_equal(copy->title, "hydroxocobalamin 1 mg");
	assert_string_equal(copy->origin, "g.ini:1");
	protocol_destroy(copy);

	assert_true(phase_parse("a: daily for 7 doses, dose 100 mcg", &phase, NULL));
	assert_string_equal(phase_dose(&phase, standard), "100 mcg");
	phase_finish(&phase);
	assert_string_equal(phase_dose(&standard->phases[0], standard), "1 mg");
	catalogue_destroy(catalogue);
}

/* ------------------------------------------------------------------------
 * Protocol files: errors name file and line, and change nothing.
 */

static void test_file_errors(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *words[3];
	} cases[] = {
		{ HEAD("a") "colour = blue\nphase = m: monthly for life\n", 6,
		  { "unknown key 'colour' in [a]", "title, drug, dose, route, source, grace and phase", NULL } },
		{ "; comment\ndrug = x\n" HEAD("a") "phase = m: monthly for life\n", 2,
		  { "'drug' is outside any protocol", "[protocol-id]", NULL } },
		{ HEAD("a") "title =\nphase = m: monthly for life\n", 6, { "'title' is empty", NULL } },
		{ HEAD("a") "phase = ; all comment\n", 6, { "'phase' is empty", NULL } },
		{ HEAD("a") "phase = m: monthly for life\ndose = 2 mg\n", 7,
		  { "'dose' is given twice in [a] (first on line 3)", "keep one", NULL } },
		{ HEAD("a") "route = SC\n", 6, { "'route' is given twice", NULL } },
		{ "[B12]\n", 1, { "'B12' is not a valid protocol id", "lowercase", NULL } },
		{ "[-b12]\n", 1, { "'-b12' is not a valid protocol id", NULL } },
		{ "[b12 x]\n", 1, { "'b12 x' is not a valid protocol id", NULL } },
		{ "[]\n", 1, { "'' is not a valid protocol id", NULL } },
		{ "[b\xc3\xa9]\n", 1, { "is not a valid protocol id", NULL } },
		{ "[a123456789b123456789c123456789d123456789e123456789f123456789g1234]\n", 1,
		  { "is not a valid protocol id", "1 to 64", NULL } },
		{ HEAD("a") "phase = m: monthly for life\n\n" HEAD("b") "phase = m: monthly for life\n"
		  "\n" HEAD("a") "phase = m: monthly for life\n", 15,
		  { "protocol 'a' is defined twice in this file (first on line 1)", NULL } },
		{ HEAD("a") "phase = m: monthly for life\n[a]\n", 7,
		  { "protocol 'a' is defined twice", NULL } },
		{ HEAD("a") "phase = maintenance: monthly for life\nphase = extra: daily for 7 doses\n", 6,
		  { "phase 'maintenance' is 'for life' but phase 'extra' follows it (line 7)",
		    "must be the last phase", NULL } },
		{ HEAD("a") "phase = m: every 3-2 months for life\n", 6,
		  { "phase: 'every 3-2 months' is not a window", NULL } },
		{ HEAD("a") "phase = m: 3 per week (mon,fri) for 6 doses\n", 6,
		  { "lists 2 days, not 3", NULL } },
		{ HEAD("a") "phase = m: daily for 0 doses\n", 6, { "'0' is not a number from 1 to 1000", NULL } },
		{ HEAD("a") "phase = every 2 months for life\n", 6, { "phase:", "has no name", NULL } },
		{ HEAD("a") "phase = m: every 2 months\n", 6,
		  { "expected 'for N doses', 'for N days|weeks', 'until advanced' or 'for life' "
		    "after 'every 2 months'", NULL } },
		{ "[a]\ndrug = x\ndose = 1 mg\nroute = IM\nphase = m: monthly for life\n", 1,
		  { "[a] has no 'source'", "add 'source = ...'", NULL } },
		{ "[a]\ndose = 1 mg\n\n[b]\n", 1, { "[a] has no 'drug'", NULL } },
		{ HEAD("a") "\n; no phase\n", 1, { "[a] has no phase", NULL } },
		{ HEAD("a") "phase = m: monthly for life\n  dose 2 mg\n", 7,
		  { "indented line would continue the 'phase' value above", NULL } },
		{ "[a]\ntitle = a long\n    title\n", 3, { "would continue the 'title' value", NULL } },
		{ "[a]\ndrug = x\n  more\n", 3, { "would continue the 'drug' value", NULL } },
		{ "[a\ndrug = x\n", 1, { "no closing ']'", NULL } },
		{ "[a ;]\n", 1, { "no closing ']'", NULL } },
		{ "[a] x\n", 1, { "unexpected 'x' after the section header", NULL } },
		{ HEAD("a") "phase m monthly for life\n", 6, { "expected 'key = value'", NULL } },
		{ HEAD("a") "title=;x\nphase = m: monthly for life\n", 6,
		  { "'title' starts with ';'", NULL } },
		{ HEAD("a") "grace = 7\nphase = m: monthly for life\n", 6,
		  { "grace: expected 'N days' (N from 0 to 1000) after '7'", NULL } },
		{ HEAD("a") "grace = 1001 days\nphase = m: monthly for life\n", 6,
		  { "grace: '1001' is not a number from 0 to 1000", NULL } },
		{ HEAD("a") "grace = 2 days late\n", 6, { "grace: expected nothing after '2 days'", NULL } },
		{ HEAD("a") "title = a\tb\x01\n", 6, { "control character 0x01", NULL } },
		{ HEAD("a") "title = caf\xe9\n", 6, { "not valid UTF-8", NULL } },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DosedCatalogue *catalogue = load_builtins();
		const DosedProtocol *before = catalogue_find(catalogue, "b12-standard");
		GError *error = NULL;
		char *prefix;

		if (catalogue_add_string(catalogue, cases[i].text, "clinic.ini", &error))
			fail_msg("case %zu was accepted:\n%s", i, cases[i].text);
		assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_PARSE));
		prefix = g_strdup_printf("clinic.ini:%d: ", cases[i].line);
		if (!g_str_has_prefix(error->message, prefix))
			fail_msg("case %zu: message '%s' does not start with '%s'", i,
				 error->message, prefix);
		assert_null(strchr(error->message, '\n'));
		assert_message_has(error->message, cases[i].words);
		/* Nothing was added, nothing replaced. */
		assert_int_equal(catalogue_size(catalogue), 5);
		assert_ptr_equal(catalogue_find(catalogue, "b12-standard"), before);
		assert_null(catalogue_find(catalogue, "a"));
		g_free(prefix);
		g_error_free(error);
		catalogue_destroy(catalogue);
	}
}

/* A good section before the bad one is not added either. */
static void test_error_adds_nothing(void **state)
{
	DosedCatalogue *catalogue = catalogue_create();
	GError *error = NULL;

	(void)state;
	assert_false(catalogue_add_string(catalogue,
					  HEAD("good") "phase = m: monthly for life\n"
					  HEAD("bad") "phase = m: monthly\n", "x.ini", &error));
	assert_true(g_str_has_prefix(error->message, "x.ini:12: phase: "));
	assert_int_equal(catalogue_size(catalogue), 0);
	assert_null(catalogue_find(catalogue, "good"));
	g_error_free(error);
	catalogue_destroy(catalogue);
}

/* inih (Debian) reads 200 bytes of a line with its newline and NUL: a line
 * of 199 bytes with its newline is read whole; one of 200 would be cut. */
static void test_line_length(void **state)
{
	DosedCatalogue *catalogue = catalogue_create();
	GError *error = NULL;
	GString *text;
	char *title;
	const DosedProtocol *p;

	(void)state;
	/* "title = " and 190 bytes: 198 bytes, 199 with the newline. */
	title = g_strnfill(190, 't');
	text = g_string_new(HEAD("a"));
	g_string_append_printf(text, "title = %s\nphase = m: monthly for life\n", title);
	if (!catalogue_add_string(catalogue, text->str, "ok.ini", &error))
		fail_msg("a 199-byte line: %s", error->message);
	p = catalogue_find(catalogue, "a");
	assert_string_equal(p->title, title);

	/* The same with CRLF line ends. */
	g_string_assign(text, "[b]\r\ndrug = x\r\ndose = 1 mg\r\nroute = IM\r\nsource = s\r\n");
	g_string_append_printf(text, "title = %s\r\nphase = m: monthly for life\r\n", title);
	if (!catalogue_add_string(catalogue, text->str, "crlf.ini", &error))
		fail_msg("a 199-byte CRLF line: %s", error->message);
	assert_string_equal(catalogue_find(catalogue, "b")->title, title);
	g_free(title);

	/* One byte more, 200 with the newline: refused, never acted on cut. */
	title = g_strnfill(191, 'u');
	g_string_assign(text, HEAD("c"));
	g_string_append_printf(text, "title = %s\nphase = m: monthly for life\n", title);
	assert_false(catalogue_add_string(catalogue, text->str, "long.ini", &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_PARSE));
	assert_string_equal(error->message, "long.ini:6: line is longer than 199 bytes; shorten it");
	g_clear_error(&error);
	g_free(title);

	/* A long line whose cut-off tail would be a line of its own. */
	title = g_strnfill(195, 'v');
	g_string_assign(text, HEAD("d"));
	g_string_append_printf(text, "phase = m: monthly for life ;%s phase = x: daily for 1 dose\n",
			       title);
	assert_false(catalogue_add_string(catalogue, text->str, "cut.ini", &error));
	assert_true(g_str_has_prefix(error->message, "cut.ini:6: line is longer than 199 bytes"));
	g_clear_error(&error);
	g_free(title);

	/* A comment line is held to the same limit: inih would read its tail as a line. */
	title = g_strnfill(240, ';');
	g_string_assign(text, title);
	g_string_append(text, "\n" HEAD("e") "phase = m: monthly for life\n");
	assert_false(catalogue_add_string(catalogue, text->str, "comment.ini", &error));
	assert_true(g_str_has_prefix(error->message, "comment.ini:1: line is longer"));
	g_clear_error(&error);
	g_free(title);

	/* "source=" fits in 199 bytes but "source = " would not: refused, since
	 * the copy a regimen stores must read back. */
	title = g_strnfill(190, 's');
	g_string_assign(text, "[f]\ndrug = x\ndose = 1 mg\nroute = IM\n");
	g_string_append_printf(text, "source=%s\nphase = m: monthly for life\n", title);
	assert_false(catalogue_add_string(catalogue, text->str, "f.ini", &error));
	assert_true(g_str_has_prefix(error->message, "f.ini:5: 'source' is too long"));
	g_clear_error(&error);
	g_free(title);

	assert_int_equal(catalogue_size(catalogue), 2);
	g_string_free(text, TRUE);
	catalogue_destroy(catalogue);
}

static void test_bom_comments_and_colon(void **state)
{
	DosedCatalogue *catalogue = catalogue_create();
	GError *error = NULL;
	const DosedProtocol *p;

	(void)state;
	if (!catalogue_add_string(catalogue,
				  "\xef\xbb\xbf[a]\n"
				  "# a comment\n"
				  "  ; an indented comment\n"
				  "drug = cyanocobalamin ; what the label names\n"
				  "dose = 100 \xce\xbcg\n"
				  "route: IM\n"
				  "source = FDA label;2025\n"
				  "phase = m: monthly for life\n",
				  "bom.ini", &error))
		fail_msg("%s", error->message);
	p = catalogue_find(catalogue, "a");
	assert_string_equal(p->drug, "cyanocobalamin");
	assert_string_equal(p->dose, "100 \xce\xbcg");
	assert_string_equal(p->route, "IM");
	assert_string_equal(p->source, "FDA label;2025");
	assert_string_equal(p->origin, "bom.ini:1");
	catalogue_destroy(catalogue);
}

/* ------------------------------------------------------------------------
 * Several files: overrides, folders, missing paths.
 */

static void test_later_file_overrides(void **state)
{
	DosedCatalogue *catalogue = load(NULL, "protocols/clinic.ini");
	const DosedProtocol *p;

	(void)state;
	assert_int_equal(catalogue_size(catalogue), 6);
	p = catalogue_find(catalogue, "b12-standard");
	assert_string_equal(p->title, "Clinic standard: hydroxocobalamin every 2 months");
	assert_phase(p, 1, "maintenance", "every 2 months for life");
	assert_true(g_str_has_suffix(p->origin, "clinic.ini:2"));
	assert_string_equal(catalogue_get(catalogue, 4)->id, "b12-standard");
	assert_string_equal(catalogue_get(catalogue, 5)->id, "clinic-weekly");
	/* The others are still the built-ins. */
	p = catalogue_find(catalogue, "b12-neuro");
	assert_true(g_str_has_suffix(p->origin, "protocols.ini:52"));
	catalogue_destroy(catalogue);
}

static void test_directory(void **state)
{
	DosedCatalogue *catalogue = load(NULL, "protocols/clinic.d");
	const DosedProtocol *p;

	(void)state;
	/* notes.txt is not read: it would not parse. */
	assert_int_equal(catalogue_size(catalogue), 6);
	p = catalogue_find(catalogue, "clinic-twice-weekly");
	assert_non_null(p);
	/* 20-second.ini is read after 10-first.ini and wins. */
	assert_true(g_str_has_suffix(p->origin, "20-second.ini:2"));
	assert_int_equal(p->phases[0].weekdays, TUESDAY | FRIDAY);
	assert_phase(p, 1, "maintenance", "every 2-4 weeks for life");
	p = catalogue_find(catalogue, "b12-bariatric");
	assert_string_equal(p->title, "Clinic bariatric");
	assert_string_equal(catalogue_get(catalogue, 5)->id, "clinic-twice-weekly");
	catalogue_destroy(catalogue);
}

static int make_folder(void **state)
{
	*state = g_dir_make_tmp("dosed-protocols-XXXXXX", NULL);
	return *state ? 0 : -1;
}

/* Runs also when the test failed half-way. */
static int remove_folder(void **state)
{
	remove_tree(*state);
	g_free(*state);
	return 0;
}

/* Name order, whatever order the file system lists them in: twelve files,
 * written last to first, each replacing [order]; the last by name wins. */
static void test_directory_name_order(void **state)
{
	const char *folder = *state;
	const char *paths[] = { folder, NULL };
	GError *error = NULL;
	DosedCatalogue *catalogue;
	char *path;

	for (char letter = 'l'; letter >= 'a'; letter--) {
		char *name = g_strdup_printf("%c.ini", letter);
		char *text = g_strdup_printf(HEAD("order") "title = from %c\n"
					     "phase = m: monthly for life\n", letter);

		path = g_build_filename(folder, name, NULL);
		assert_true(g_file_set_contents(path, text, -1, NULL));
		g_free(path);
		g_free(text);
		g_free(name);
	}
	path = g_build_filename(folder, "z.ini.orig", NULL);
	assert_true(g_file_set_contents(path, "not a protocol file", -1, NULL));
	g_free(path);

	catalogue = catalogue_load(paths, &error);
	if (!catalogue)
		fail_msg("%s", error->message);
	assert_int_equal(catalogue_size(catalogue), 1);
	assert_string_equal(catalogue_find(catalogue, "order")->title, "from l");
	catalogue_destroy(catalogue);
}

static void test_missing_paths(void **state)
{
	char *conf = conf_path();
	char *missing_dir = data_path("protocols/no-such.d");
	char *missing_file = data_path("protocols/no-such.ini");
	char *bad = data_path("protocols/bad-phase.ini");
	const char *skip[] = { conf, missing_dir, NULL };
	const char *fail[] = { conf, missing_file, NULL };
	const char *broken[] = { conf, bad, NULL };
	DosedCatalogue *catalogue;
	GError *error = NULL;
	char *expected;

	(void)state;
	/* A folder a clinic does not have is skipped. */
	catalogue = catalogue_load(skip, &error);
	if (!catalogue)
		fail_msg("%s", error->message);
	assert_int_equal(catalogue_size(catalogue), 5);
	catalogue_destroy(catalogue);

	/* A file that is not there is an error naming it. */
	assert_null(catalogue_load(fail, &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_PARSE));
	expected = g_strdup_printf("cannot read protocol file '%s': No such file or directory",
				   missing_file);
	assert_message_has(error->message, (const char *const[]){ expected, NULL });
	g_free(expected);
	g_clear_error(&error);

	/* A file that does not parse names itself and the line. */
	assert_null(catalogue_load(broken, &error));
	expected = g_strdup_printf("%s:9: phase: expected 'for N doses'", bad);
	assert_true(g_str_has_prefix(error->message, expected));
	g_free(expected);
	g_clear_error(&error);

	catalogue = catalogue_create();
	assert_false(catalogue_add_file(catalogue, missing_file, &error));
	assert_message_has(error->message, (const char *const[]){ missing_file, "No such file", NULL });
	assert_int_equal(catalogue_size(catalogue), 0);
	g_clear_error(&error);
	catalogue_destroy(catalogue);

	g_free(conf);
	g_free(missing_dir);
	g_free(missing_file);
	g_free(bad);
}

/* ------------------------------------------------------------------------
 * The copy a regimen stores.
 */

static void test_from_ini_one_section(void **state)
{
	GError *error = NULL;

	(void)state;
	assert_null(protocol_from_ini(HEAD("a") "phase = m: monthly for life\n"
				      HEAD("b") "phase = m: monthly for life\n", "copy", &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_PARSE));
	assert_string_equal(error->message, "copy: holds 2 protocols where exactly one was expected");
	g_clear_error(&error);
	assert_null(protocol_from_ini("; nothing\n", "copy", &error));
	assert_string_equal(error->message, "copy: holds 0 protocols where exactly one was expected");
	g_clear_error(&error);
	assert_null(protocol_from_ini(HEAD("a") "phase = m: monthly\n", "regimen 7", &error));
	assert_true(g_str_has_prefix(error->message, "regimen 7:6: phase: "));
	g_clear_error(&error);
}

/* dosectl enrol --days (SPEC 1): the clinic's weekdays for one patient. */
static void test_set_weekdays(void **state)
{
	DosedCatalogue *catalogue = load_builtins();
	DosedProtocol *standard = protocol_copy(catalogue_find(catalogue, "b12-standard"));
	DosedProtocol *neuro = protocol_copy(catalogue_find(catalogue, "b12-neuro"));
	DosedProtocol *back;
	GError *error = NULL;
	char *words, *text;

	(void)state;
	assert_true(protocol_set_weekdays(standard, TUESDAY | THURSDAY | SATURDAY, &error));
	assert_int_equal(standard->phases[0].weekdays, TUESDAY | THURSDAY | SATURDAY);
	words = phase_describe(&standard->phases[0]);
	assert_string_equal(words, "3 per week (Tue, Thu, Sat) for 6 doses");
	g_free(words);
	/* The interval phase is untouched; the copy in the catalogue too. */
	assert_int_equal(standard->phases[1].every_min, 2);
	assert_int_equal(catalogue_find(catalogue, "b12-standard")->phases[0].weekdays,
			 MONDAY | WEDNESDAY | FRIDAY);

	text = protocol_to_ini(standard);
	assert_non_null(strstr(text, "\nphase = loading: 3 per week (tue,thu,sat) for 6 doses\n"));
	back = protocol_from_ini(text, "copy", &error);
	assert_non_null(back);
	assert_protocols_equal(standard, back);
	protocol_destroy(back);
	g_free(text);

	assert_false(protocol_set_weekdays(neuro, MONDAY, &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
	assert_message_has(error->message,
			   (const char *const[]){ "'b12-neuro' has no 'N per week (DAYS)' phase", NULL });
	g_clear_error(&error);

	assert_false(protocol_set_weekdays(standard, 0, &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
	g_clear_error(&error);
	assert_int_equal(standard->phases[0].weekdays, TUESDAY | THURSDAY | SATURDAY);

	protocol_destroy(standard);
	protocol_destroy(neuro);
	catalogue_destroy(catalogue);
}

/* Issue 12: the days change which weekdays, never how many.  "mon" made
 * b12-standard's loading 1 per week (six weeks instead of two), all seven
 * days 7 per week.  Any other number of days is refused, naming the number
 * the protocol prescribes, and the protocol is left as it was. */
static void test_set_weekdays_keeps_the_count(void **state)
{
	static const struct {
		unsigned days;
		const char *words[4];
	} wrong[] = {
		{ MONDAY, { "'mon' is 1 day a week", "3 per week (mon,wed,fri)",
			    "list 3 weekdays", NULL } },
		{ MONDAY | WEDNESDAY, { "'mon,wed' is 2 days a week", "phase 'loading'",
					"list 3 weekdays", NULL } },
		{ DOSED_WEEKDAYS_ALL, { "'mon,tue,wed,thu,fri,sat,sun' is 7 days a week",
					"never how many", NULL } },
		{ MONDAY | TUESDAY | WEDNESDAY | THURSDAY, { "is 4 days a week", "'b12-standard'",
							      NULL } },
	};
	DosedCatalogue *catalogue = load_builtins();
	DosedProtocol *standard = protocol_copy(catalogue_find(catalogue, "b12-standard"));
	GError *error = NULL;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(wrong); i++) {
		assert_false(protocol_set_weekdays(standard, wrong[i].days, &error));
		assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
		assert_message_has(error->message, wrong[i].words);
		assert_null(strchr(error->message, '\n'));
		g_clear_error(&error);
		assert_int_equal(standard->phases[0].weekdays, MONDAY | WEDNESDAY | FRIDAY);
	}
	protocol_destroy(standard);
	catalogue_destroy(catalogue);
}

/* Two N-per-week phases: days for both when they prescribe the same number;
 * refused, with neither changed, when they do not. */
static void test_set_weekdays_two_phases(void **state)
{
	DosedProtocol *same = protocol_from_ini(HEAD("same")
		"phase = loading: 3 per week (mon,wed,fri) for 6 doses\n"
		"phase = later: 3 per week (mon,tue,wed) for life\n", "same", NULL);
	DosedProtocol *other = protocol_from_ini(HEAD("other")
		"phase = loading: 3 per week (mon,wed,fri) for 6 doses\n"
		"phase = later: 1 per week (fri) for life\n", "other", NULL);
	GError *error = NULL;

	(void)state;
	assert_non_null(same);
	assert_non_null(other);
	assert_true(protocol_set_weekdays(same, TUESDAY | THURSDAY | SATURDAY, &error));
	assert_int_equal(same->phases[0].weekdays, TUESDAY | THURSDAY | SATURDAY);
	assert_int_equal(same->phases[1].weekdays, TUESDAY | THURSDAY | SATURDAY);

	assert_false(protocol_set_weekdays(other, TUESDAY | THURSDAY | SATURDAY, &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
	assert_message_has(error->message,
			   (const char *const[]){ "'other' has phases of 3 and of 1 per week",
						  "'loading', 'later'", "clinic protocol", NULL });
	g_clear_error(&error);
	assert_false(protocol_set_weekdays(other, FRIDAY, &error));
	assert_true(g_error_matches(error, DOSED_ERROR, DOSED_ERROR_INVALID));
	g_clear_error(&error);
	assert_int_equal(other->phases[0].weekdays, MONDAY | WEDNESDAY | FRIDAY);
	assert_int_equal(other->phases[1].weekdays, FRIDAY);
	protocol_destroy(same);
	protocol_destroy(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins_are_the_spec_table),
		cmocka_unit_test(test_builtins_round_trip),
		cmocka_unit_test(test_canonical_text),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_grammar_forms),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_phase_errors),
		cmocka_unit_test(test_weekdays),
		cmocka_unit_test(test_grace_and_dose),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_error_adds_nothing),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_bom_comments_and_colon),
		cmocka_unit_test(test_later_file_overrides),
		cmocka_unit_test(test_directory),
		cmocka_unit_test_setup_teardown(test_directory_name_order, make_folder,
						remove_folder),
		cmocka_unit_test(test_missing_paths),
		cmocka_unit_test(test_from_ini_one_section),
		cmocka_unit_test(test_set_weekdays),
		cmocka_unit_test(test_set_weekdays_keeps_the_count),
		cmocka_unit_test(test_set_weekdays_two_phases),
	};

	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
