/* token.h - feed tokens (SPEC 4): 128 bits from the system's CSPRNG, shown
 * once as 32 lower-case hex digits, stored only as their SHA-256 and
 * looked up by it (daemon/feeds.c says why that lookup's timing tells
 * nothing about a token). */
#ifndef DOSED_TOKEN_H
#define DOSED_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#define DOSED_TOKEN_BYTES 16
#define DOSED_TOKEN_TEXT_LEN 32     /* hex digits */
#define DOSED_TOKEN_HASH_LEN 64     /* hex SHA-256 */

/* A new token from getrandom(2) into out (DOSED_TOKEN_TEXT_LEN + 1 bytes). */
bool token_generate(char *out, GError **error);
/* True for exactly 32 lower-case hex digits. */
bool token_well_formed(const char *text, size_t length);
/* SHA-256 of the token text, hex, into out (DOSED_TOKEN_HASH_LEN + 1). */
void token_hash(const char *token, size_t length, char *out);

#endif
