/* token.c - feed tokens (SPEC 4): 128 bits from the kernel's CSPRNG, shown
 * once as lower-case hex, kept and looked up only as a SHA-256.  A token
 * is the only secret guarding a patient's schedule, so it never leaves
 * this file in any other form than the text handed to the one person who
 * asked for it. */
#include "token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"

G_STATIC_ASSERT(DOSED_TOKEN_TEXT_LEN == 2 * DOSED_TOKEN_BYTES);

/* Fill buf from getrandom(2), which blocks only until the kernel's pool is
 * first seeded (early boot) and then never fails for want of entropy.
 * Reads of up to 256 bytes are not cut short once seeded, but a signal can
 * still interrupt one, so loop. */
static bool token_random(unsigned char *buf, size_t length, GError **error)
{
	size_t done = 0;

	while (done < length) {
		ssize_t got = getrandom(buf + done, length - done, 0);

		if (got < 0) {
			int saved = errno;

			if (saved == EINTR)
				continue;
			g_set_error(error, DOSED_ERROR, DOSED_ERROR_STORE,
				    "cannot read random bytes for a feed token (getrandom: %s); check the kernel's random device",
				    g_strerror(saved));
			return false;
		}
		done += (size_t)got;
	}
	return true;
}

bool token_generate(char *out, GError **error)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[DOSED_TOKEN_BYTES];

	if (!token_random(raw, sizeof raw, error))
		return false;
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 0x0f];
	}
	out[DOSED_TOKEN_TEXT_LEN] = '\0';
	/* No copy of the secret stays on the stack once it is text. */
	explicit_bzero(raw, sizeof raw);
	return true;
}

/* Only what token_generate() writes: the HTTP path is matched against this
 * before anything is hashed, so "ABC..." or "../x" never reach the store. */
bool token_well_formed(const char *text, size_t length)
{
	if (!text || length != DOSED_TOKEN_TEXT_LEN)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

void token_hash(const char *token, size_t length, char *out)
{
	GChecksum *checksum = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(checksum, (const guchar *)token, (gssize)length);
	/* GChecksum's hex digest is lower-case, DOSED_TOKEN_HASH_LEN digits. */
	g_strlcpy(out, g_checksum_get_string(checksum), DOSED_TOKEN_HASH_LEN + 1);
	g_checksum_free(checksum);
}
