/* fuzz_protocol.c - the protocol file parser (SPEC 1) on arbitrary text.
 *
 * The input is a protocol file (a clinic's protocols.d/ files are outside
 * input).  catalogue_add_string() must refuse it with a "NAME:LINE: ..."
 * DOSED_ERROR_PARSE or accept it; every protocol it accepts must survive
 * the copy a regimen stores (protocol_to_ini() -> protocol_from_ini(),
 * SPEC 1: "a patient's regimen stores a copy") as an equal protocol, and
 * protocol_copy() must equal its original too.
 */
#include "fuzz.h"

#include "error.h"
#include "protocol.h"

#define FUZZ_FILE_NAME "fuzz.ini"

static bool same_text(const char *a, const char *b)
{
	return g_strcmp0(a, b) == 0;
}

/* Whether two phases say the same thing; *what names the first field
 * that differs. */
static bool same_phase(const DosedPhase *a, const DosedPhase *b, const char **what)
{
	if (!same_text(a->name, b->name))
		*what = "name";
	else if (a->kind != b->kind)
		*what = "kind";
	else if (a->kind == DOSED_PATTERN_INTERVAL &&
		 (a->unit != b->unit || a->every_min != b->every_min ||
		  a->every_max != b->every_max))
		*what = "interval";
	else if (a->kind == DOSED_PATTERN_WEEKDAYS && a->weekdays != b->weekdays)
		*what = "weekdays";
	else if (a->end != b->end || a->end_count != b->end_count)
		*what = "end";
	else if (a->end == DOSED_END_DURATION && a->end_unit != b->end_unit)
		*what = "end unit";
	else if (!same_text(a->dose, b->dose))
		*what = "dose";
	else
		return true;
	return false;
}

/* Everything but `origin`, which names where each was read. */
static bool same_protocol(const DosedProtocol *a, const DosedProtocol *b, const char **what)
{
	if (!same_text(a->id, b->id))
		*what = "id";
	else if (!same_text(a->title, b->title))
		*what = "title";
	else if (!same_text(a->drug, b->drug))
		*what = "drug";
	else if (!same_text(a->dose, b->dose))
		*what = "dose";
	else if (!same_text(a->route, b->route))
		*what = "route";
	else if (!same_text(a->source, b->source))
		*what = "source";
	else if (a->grace_days != b->grace_days)
		*what = "grace";
	else if (a->n_phases != b->n_phases)
		*what = "number of phases";
	else {
		for (size_t i = 0; i < a->n_phases; i++)
			if (!same_phase(&a->phases[i], &b->phases[i], what))
				return false;
		return true;
	}
	return false;
}

/* What the engine relies on in every accepted phase (protocol.h). */
static void check_phase(const DosedProtocol *protocol, const DosedPhase *phase, bool last)
{
	char *words;

	if (phase->name == NULL || *phase->name == '\0')
		fuzz_fail("[%s]: a phase without a name was accepted", protocol->id);
	if (phase->every_min < 1 || phase->every_max < phase->every_min)
		fuzz_fail("[%s] %s: interval %d-%d accepted", protocol->id, phase->name,
			  phase->every_min, phase->every_max);
	if (phase->kind == DOSED_PATTERN_WEEKDAYS &&
	    (phase->weekdays == 0 || (phase->weekdays & ~DOSED_WEEKDAYS_ALL) != 0))
		fuzz_fail("[%s] %s: weekdays 0x%x accepted", protocol->id, phase->name,
			  phase->weekdays);
	if ((phase->end == DOSED_END_DOSES || phase->end == DOSED_END_DURATION) &&
	    phase->end_count < 1)
		fuzz_fail("[%s] %s: ends after %d accepted", protocol->id, phase->name,
			  phase->end_count);
	/* protocol.h: "for life" never ends, so it must be the last phase. */
	if (phase->end == DOSED_END_LIFE && !last)
		fuzz_fail("[%s] %s: a 'for life' phase before another was accepted",
			  protocol->id, phase->name);
	words = phase_describe(phase);
	if (words == NULL || *words == '\0')
		fuzz_fail("[%s] %s: phase_describe() gave nothing", protocol->id, phase->name);
	g_free(words);
}

static void check_round_trip(const DosedProtocol *protocol)
{
	GError *error = NULL;
	char *text = protocol_to_ini(protocol);
	DosedProtocol *again = protocol_from_ini(text, "copy.ini", &error);
	DosedProtocol *copy;
	const char *what = NULL;

	if (again == NULL)
		fuzz_fail("[%s] was accepted but its stored copy is refused: %s\n--- copy:\n%s",
			  protocol->id, error->message, text);
	if (!same_protocol(protocol, again, &what))
		fuzz_fail("[%s]: the stored copy differs in its %s\n--- copy:\n%s", protocol->id,
			  what, text);
	copy = protocol_copy(protocol);
	if (!same_protocol(protocol, copy, &what))
		fuzz_fail("[%s]: protocol_copy() differs in its %s", protocol->id, what);
	protocol_destroy(copy);
	protocol_destroy(again);
	g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	DosedCatalogue *catalogue = catalogue_create();
	GError *error = NULL;

	if (!catalogue_add_string(catalogue, text, FUZZ_FILE_NAME, &error)) {
		/* protocol.h: errors are DOSED_ERROR_PARSE "FILE:LINE: ...". */
		if (error == NULL || error->domain != DOSED_ERROR ||
		    error->code != DOSED_ERROR_PARSE ||
		    !g_str_has_prefix(error->message, FUZZ_FILE_NAME ":"))
			fuzz_fail("refused without a DOSED_ERROR_PARSE naming the file: %s",
				  error != NULL ? error->message : "(no error)");
		if (catalogue_size(catalogue) != 0)
			fuzz_fail("a refused file left %zu protocols in the catalogue",
				  catalogue_size(catalogue));
		g_error_free(error);
	} else {
		if (error != NULL)
			fuzz_fail("accepted with an error set: %s", error->message);
		for (size_t i = 0; i < catalogue_size(catalogue); i++) {
			const DosedProtocol *protocol = catalogue_get(catalogue, i);

			if (catalogue_find(catalogue, protocol->id) != protocol)
				fuzz_fail("[%s] is not found by its own id", protocol->id);
			if (protocol->n_phases == 0)
				fuzz_fail("[%s] was accepted without a phase", protocol->id);
			for (size_t p = 0; p < protocol->n_phases; p++)
				check_phase(protocol, &protocol->phases[p],
					    p + 1 == protocol->n_phases);
			check_round_trip(protocol);
		}
	}
	catalogue_destroy(catalogue);
	g_free(text);
	return 0;
}
