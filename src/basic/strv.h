#pragma once

/* NULL-terminated, heap-allocated string vectors (argv shape). */

#include <stdbool.h>
#include <stddef.h>

/* Frees every string and the vector; NULL is fine. Returns NULL. */
char **strv_free(char **l);
void strv_freep(char ***l);
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);

/* Appends a copy of s; *l may be NULL (an empty vector). Returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);

/*
 * Splits s at runs of blanks (space, tab, newline) into words, no quoting: the shape of
 * ingot.agent=. *ret is an empty vector (not NULL) for a blank string. Returns 0, -ENOMEM, or
 * -E2BIG when there are more than max_words words.
 */
int strv_split(const char *s, size_t max_words, char ***ret);

/* Joins with sep into a new string. Returns 0 or -ENOMEM. */
int strv_join(char *const *l, const char *sep, char **ret);

/* Sorts with strcmp and drops duplicates, in place. */
void strv_sort_unique(char **l);
