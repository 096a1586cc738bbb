/* fuzz.h: what the libFuzzer targets share. A broken invariant aborts, which libFuzzer reports
 * as a crash and saves the input, the same as a sanitizer finding. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken at %s:%d: %s: ", __FILE__, __LINE__,     \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A NUL-terminated heap copy of data[0..size) (the parsers under test take C strings). */
static inline char *fuzz_strndup(const void *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits *p (n bytes left) at the first occurrence of sep: returns the part before it as a heap
 * C string and moves *p past the separator; without sep, takes everything. */
static inline char *fuzz_take_until(const char **p, size_t *n, const char *sep)
{
	size_t k = strlen(sep), i;
	char *s;

	for (i = 0; i + k <= *n; i++)
		if (memcmp(*p + i, sep, k) == 0)
			break;
	if (i + k > *n) {
		s = fuzz_strndup(*p, *n);
		*p += *n;
		*n = 0;
		return s;
	}
	s = fuzz_strndup(*p, i);
	*p += i + k;
	*n -= i + k;
	return s;
}
