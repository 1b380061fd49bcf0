/* fuzz.h - what every libFuzzer target of tests/fuzz/ shares (issue 6).
 *
 * A target is one LLVMFuzzerTestOneInput() over one parser that reads
 * outside input.  A broken property is a crash: fuzz_fail() names it on
 * stderr and aborts, so that libFuzzer keeps the input as an artifact,
 * exactly as it keeps one that trips AddressSanitizer or UBSan.
 */
#ifndef DOSED_FUZZ_H
#define DOSED_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* libFuzzer's entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Print "fuzz: ..." and abort: a property the target checks is broken. */
#define fuzz_fail(...)                                                  \
	do {                                                            \
		fprintf(stderr, "fuzz: %s:%d: ", __FILE__, __LINE__);   \
		fprintf(stderr, __VA_ARGS__);                           \
		fputc('\n', stderr);                                    \
		abort();                                                \
	} while (0)

/* The input as a C string, cut at its first NUL as a C caller would see
 * it.  Newly allocated: free with g_free(). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	return g_strndup((const char *)data, size);
}

#endif
