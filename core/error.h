/* error.h - the one error domain of the dosed core.
 *
 * Core functions never print and never exit: they return false or NULL and
 * fill a GError in DOSED_ERROR.  The message is one line, says what is wrong
 * and, where there is one, what to do; the edges (cli/, daemon/) prefix it
 * and choose the exit status from the code.
 */
#ifndef DOSED_ERROR_H
#define DOSED_ERROR_H

#include <glib.h>

#define DOSED_ERROR (dosed_error_quark())

typedef enum {
	DOSED_ERROR_INVALID,   /* a value that cannot be parsed or is out of range (usage) */
	DOSED_ERROR_NOT_FOUND, /* unknown patient, protocol or dose */
	DOSED_ERROR_EXISTS,    /* already there: patient enrolled twice, dose already void */
	DOSED_ERROR_REFUSED,   /* a rule refuses it: dose too soon, in the future, regimen stopped */
	DOSED_ERROR_PARSE,     /* a protocol or config file is malformed: "FILE:LINE: ..." */
	DOSED_ERROR_STORE,     /* the database: locked, read-only, not a dosed database, I/O */
} DosedErrorCode;

GQuark dosed_error_quark(void);

#endif
