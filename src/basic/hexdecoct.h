#pragma once

/*
 * Hex, base64 and GUID text, shared by every parser that meets them: the agent's query strings,
 * MAC addresses, GPT and EFI GUIDs, PEM bodies, config drives and the logs it sends.
 */

#include <stddef.h>
#include <stdint.h>

/* The value of a hex digit (either case), or -EINVAL. */
int unhexchar(char c);

/* The value of a standard base64 character ('+', '/'), or -EINVAL ('=' included). */
int base64_value(char c);

/* Lower-case hex of size bytes into out, which holds 2 * size + 1 characters; returns out. */
char *hex_encode(const void *data, size_t size, char *out);

/* Standard base64 with padding, NUL-terminated, no line breaks; NULL without memory. */
char *base64_encode(const void *data, size_t size);

#define GUID_STRING_MAX 37

/*
 * A GUID as GPT and EFI store it (the first three fields little-endian) and its text, lower
 * case, "01234567-89ab-cdef-0123-456789abcdef". guid_from_string() takes either case and
 * returns 0 or -EINVAL.
 */
char *guid_to_string(const uint8_t guid[16], char buf[GUID_STRING_MAX]);
int guid_from_string(const char *s, uint8_t guid[16]);
