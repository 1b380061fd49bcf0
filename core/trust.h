/* trust.h - whether dosed may read a file others could have written.
 *
 * The configuration and the protocol catalogue decide what dosed does
 * with a patient's schedule, so a file anyone may write to, or replace,
 * is refused rather than read.
 */
#ifndef DOSED_TRUST_H
#define DOSED_TRUST_H

#include <stdbool.h>
#include <glib.h>

/* Whether a configuration or protocol file (or a folder of them), opened
 * as `fd` from `path`, may be read: refused (DOSED_ERROR_REFUSED, naming
 * the file and the fix) when every user may write to it, or to the folder
 * holding it, since then anyone could choose what dosed reads.  A
 * world-writable folder with the sticky bit (/tmp) is accepted for a file
 * the caller or root owns: others cannot replace that file.  A file with
 * no name (a memfd) cannot be reached by others at all. */
bool trust_may_read(int fd, const char *path, GError **error);

#endif
