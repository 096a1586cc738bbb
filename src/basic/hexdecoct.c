#include "basic/hexdecoct.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int unhexchar(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -EINVAL;
}

char *hex_encode(const void *data, size_t size, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *in = data;

	for (size_t i = 0; i < size; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * size] = '\0';
	return out;
}

char *base64_encode(const void *data, size_t size)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *in = data;
	char *out = malloc((size + 2) / 3 * 4 + 1), *p = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < size; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*p++ = alphabet[v >> 18];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = alphabet[(v >> 6) & 63];
		*p++ = alphabet[v & 63];
	}
	if (i < size) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < size ? (uint32_t)in[i + 1] << 8 : 0);

		*p++ = alphabet[v >> 18];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = i + 1 < size ? alphabet[(v >> 6) & 63] : '=';
		*p++ = '=';
	}
	*p = '\0';
	return out;
}

char *guid_to_string(const uint8_t g[16], char buf[GUID_STRING_MAX])
{
	snprintf(buf, GUID_STRING_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2],
		 g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14],
		 g[15]);
	return buf;
}

int guid_from_string(const char *s, uint8_t guid[16])
{
	/* Where each stored byte's hex pair stands in the text. */
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t raw[16];
	size_t n = 0;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = unhexchar(s[i]);
		lo = unhexchar(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		raw[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	for (size_t i = 0; i < 16; i++)
		guid[i] = raw[order[i]];
	return 0;
}
