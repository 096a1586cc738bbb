#pragma once

/* Strict scalar parsers for configuration values: whole string or -EINVAL, never partial. */

#include <stdbool.h>

/* 1/yes/y/true/on and 0/no/n/false/off, any case. Returns 0 or -EINVAL. */
int parse_bool(const char *s, bool *ret);

/* Decimal digits only, at most max. Returns 0, -EINVAL, or -ERANGE when above max. */
int parse_uint(const char *s, unsigned max, unsigned *ret);
