/* protocol.h - dosing protocols as data (SPEC section 1): phase.c reads
 * and writes the grammar below, protocol.c a protocol's INI text, and
 * catalogue.c the protocols of the configured files.
 *
 * A protocol is a named, multi-phase plan read from an INI file with inih:
 *
 *   [b12-standard]
 *   title  = Hydroxocobalamin, no neurological involvement
 *   drug   = hydroxocobalamin
 *   dose   = 1 mg
 *   route  = IM
 *   source = NICE CKS / BNF: ...
 *   grace  = 7 days                      ; optional
 *   phase  = loading: 3 per week (mon,wed,fri) for 6 doses
 *   phase  = maintenance: every 2-3 months for life
 *
 * Phase grammar: "NAME: PATTERN END[, dose DOSE]".
 *   PATTERN: daily | alternate days | weekly | monthly
 *          | every N day(s)|week(s)|month(s)
 *          | every N-M day(s)|week(s)|month(s)      (window: due +N, overdue after +M)
 *          | N per week (DAY,DAY,...)               (mon tue wed thu fri sat sun)
 *   END:     for N dose(s) | for N day(s)|week(s) | until advanced | for life
 */
#ifndef DOSED_PROTOCOL_H
#define DOSED_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

typedef enum {
	DOSED_UNIT_DAY,
	DOSED_UNIT_WEEK,
	DOSED_UNIT_MONTH,
} DosedUnit;

typedef enum {
	DOSED_PATTERN_INTERVAL, /* every N (or N-M) units */
	DOSED_PATTERN_WEEKDAYS, /* N per week on listed weekdays */
} DosedPatternKind;

typedef enum {
	DOSED_END_DOSES,    /* for N doses: counts doses logged in the phase */
	DOSED_END_DURATION, /* for N days|weeks: doses due in [first dose date, +N) */
	DOSED_END_ADVANCED, /* until advanced: a clinician ends it (dosectl advance) */
	DOSED_END_LIFE,     /* for life: never ends; must be the last phase */
} DosedEndKind;

/* Weekday bits for DosedPhase.weekdays: bit 0 = Monday ... bit 6 = Sunday. */
#define DOSED_WEEKDAY_BIT(iso_weekday) (1u << ((iso_weekday) - 1))
#define DOSED_WEEKDAYS_ALL 0x7fu

typedef struct {
	char *name;             /* "loading" */
	DosedPatternKind kind;
	/* DOSED_PATTERN_INTERVAL: every every_min units, overdue after
	 * every_max units when every_max > every_min (a window). */
	DosedUnit unit;
	int every_min;
	int every_max;          /* == every_min when there is no window */
	/* DOSED_PATTERN_WEEKDAYS: the listed days; per week = their count. */
	unsigned weekdays;
	DosedEndKind end;
	int end_count;          /* doses (END_DOSES) or length (END_DURATION) */
	DosedUnit end_unit;     /* DAY or WEEK, for END_DURATION */
	char *dose;             /* this phase's dose, or NULL for the protocol's */
} DosedPhase;

typedef struct {
	char *id;               /* section name: [a-z0-9][a-z0-9._-]* */
	char *title;
	char *drug;
	char *dose;
	char *route;
	char *source;           /* the clinical source it follows (required) */
	int grace_days;         /* SPEC 2.3 grace; -1 = default by unit */
	DosedPhase *phases;
	size_t n_phases;
	char *origin;           /* "FILE:LINE" of its section header */
} DosedProtocol;

typedef struct DosedCatalogue DosedCatalogue;

/* Parse one phase value ("loading: daily for 7 doses, dose 100 mcg").  On
 * failure DOSED_ERROR_INVALID says what is wrong (without file or line).
 * Fills *out, whose strings the caller frees with phase_finish(). */
bool phase_parse(const char *text, DosedPhase *out, GError **error);
void phase_finish(DosedPhase *phase);
/* The phase's dose: its override or the protocol's. Not a copy. */
const char *phase_dose(const DosedPhase *phase, const DosedProtocol *protocol);
/* Words a clinician can check against a prescription:
 * "3 per week (Mon, Wed, Fri) for 6 doses", "every 2-3 months for life".
 * Newly allocated. */
char *phase_describe(const DosedPhase *phase);
/* Grace days of SPEC 2.3 for a phase: the protocol's grace if set, else 0
 * for day and week patterns and 7 for month patterns. */
int phase_grace_days(const DosedPhase *phase, const DosedProtocol *protocol);

/* "mon,wed,fri" (case-insensitive, three-letter or full names, commas and
 * optional spaces) to weekday bits.  "funday" is DOSED_ERROR_INVALID. */
bool weekdays_parse(const char *text, unsigned *weekdays, GError **error);
/* "mon,wed,fri", newly allocated. */
char *weekdays_format(unsigned weekdays);

/* Replace the weekdays of every N-per-week phase (dosectl enrol --days):
 * which weekdays, never how many (SPEC 1).  DOSED_ERROR_INVALID, with the
 * protocol unchanged, when it has no such phase, when `weekdays` holds
 * another number of days than the phase prescribes, or when two such
 * phases prescribe different numbers. */
bool protocol_set_weekdays(DosedProtocol *protocol, unsigned weekdays, GError **error);

/* The canonical INI text of one protocol (one section); it parses back with
 * protocol_from_ini() to an equal protocol.  This is the copy a regimen
 * stores (SPEC 1).  Newly allocated. */
char *protocol_to_ini(const DosedProtocol *protocol);
/* Parse INI text holding exactly one protocol section.  `name` is used in
 * error messages as the file name.  Free with protocol_destroy(). */
DosedProtocol *protocol_from_ini(const char *text, const char *name, GError **error);
DosedProtocol *protocol_copy(const DosedProtocol *protocol);
void protocol_destroy(DosedProtocol *protocol); /* NULL is a no-op */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DosedProtocol, protocol_destroy)

DosedCatalogue *catalogue_create(void);
void catalogue_destroy(DosedCatalogue *catalogue); /* NULL is a no-op */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DosedCatalogue, catalogue_destroy)
/* Add every protocol of an INI file.  A protocol whose id an earlier file
 * defined replaces it (clinic overrides); one defined twice in the same file
 * is an error.  Errors are DOSED_ERROR_PARSE "FILE:LINE: what is wrong", and
 * leave the catalogue as it was.  Lines longer than inih reads (200 bytes)
 * are refused, never acted on truncated. */
bool catalogue_add_file(DosedCatalogue *catalogue, const char *path, GError **error);
/* Same, from a string; `name` stands for the file name in messages. */
bool catalogue_add_string(DosedCatalogue *catalogue, const char *text, const char *name,
			  GError **error);
/* Load each path in order: a file is read; a directory contributes its
 * "*.ini" files in name order; a directory that does not exist is skipped,
 * a file that does not exist is an error. */
DosedCatalogue *catalogue_load(const char *const *paths, GError **error);
/* NULL when unknown.  The protocol belongs to the catalogue. */
const DosedProtocol *catalogue_find(const DosedCatalogue *catalogue, const char *id);
/* Number of protocols and the i-th, in id order. */
size_t catalogue_size(const DosedCatalogue *catalogue);
const DosedProtocol *catalogue_get(const DosedCatalogue *catalogue, size_t index);

#endif
