/* protocol_private.h - what the files of protocol.h share, and no one
 * else: phase.c (the grammar of a protocol's values), protocol.c (a
 * protocol as INI text) and catalogue.c (the protocols of files).
 */
#ifndef DOSED_PROTOCOL_PRIVATE_H
#define DOSED_PROTOCOL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "protocol.h"

/* How many weekdays the bits hold. */
int phase_weekday_count(unsigned weekdays);
/* "day" or "days", and so on, for a count. */
const char *phase_unit_word(DosedUnit unit, int count);
/* The phase in the canonical grammar, as its "phase =" line holds it.
 * Newly allocated. */
char *phase_to_text(const DosedPhase *phase);
/* A grace value, "N days" (N from 0 to 1000), into *days. */
bool protocol_grace_parse(const char *value, int *days, GError **error);

/* Every protocol of one INI text, in text order; NULL with *error set on
 * the first problem.  `name` stands for the file in messages.  Free with
 * g_ptr_array_unref(). */
GPtrArray *protocol_parse_all(const char *text, size_t length, const char *name,
			      GError **error);
/* protocol_destroy() as a GDestroyNotify. */
void protocol_destroy_notify(gpointer protocol);

#endif
