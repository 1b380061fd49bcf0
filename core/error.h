/* error.h - the one error domain of the dosed core.
 *
 * Core functions never print and never exit: they return false or NULL and
 * fill a GError in DOSED_ERROR.  The message is one line, says what is wrong
 * and, where there is one, what to do; the edges (cli/, daemon/) prefix it
 * and choose the exit status from the code.
 */
#ifndef DOSED_ERROR_H
#define DOSED_ERROR_H

#include <stdbool.h>
#include <glib.h>

#define DOSED_ERROR (dosed_error_quark())

typedef enum {
	/* The kinds of error, which the edges decide on (dosectl's exit
	 * status). */
	DOSED_ERROR_INVALID,   /* a value that cannot be parsed or is out of range (usage) */
	DOSED_ERROR_NOT_FOUND, /* unknown patient, protocol or dose */
	DOSED_ERROR_EXISTS,    /* already there: patient enrolled twice, dose already void */
	DOSED_ERROR_REFUSED,   /* a rule refuses it: dose too soon, in the future, regimen stopped */
	DOSED_ERROR_PARSE,     /* a protocol or config file is malformed: "FILE:LINE: ..." */
	DOSED_ERROR_STORE,     /* the database: locked, read-only, not a dosed database, I/O */

	/* Errors of one of the kinds above that each edge follows with a
	 * hint of its own: dosectl names its options and commands, the
	 * daemon says what a patient at a desktop can do.  Their messages
	 * say what is wrong, not which option to use; nothing in the core
	 * knows an edge's options. */
	DOSED_ERROR_SAME_DAY,        /* REFUSED: a dose was already logged that day (SPEC 2.6),
				      * unless this second one is intended */
	DOSED_ERROR_TOO_SOON,        /* REFUSED: before half the interval to the next due date
				      * (SPEC 2.6), unless it is intended */
	DOSED_ERROR_UNKNOWN_PATIENT, /* NOT_FOUND: no patient with that id */
	DOSED_ERROR_UNKNOWN_DOSE,    /* NOT_FOUND: no dose with that id */
	DOSED_ERROR_NO_PATIENT,      /* INVALID: no patient named where one is needed */
} DosedErrorCode;

GQuark dosed_error_quark(void);

/* Whether `error` is in DOSED_ERROR and of `kind` (one of the first six
 * codes): its code, or a code of that kind. */
bool dosed_error_is(const GError *error, DosedErrorCode kind);

#endif
