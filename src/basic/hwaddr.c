#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/hwaddr.h"
#include "basic/hexdecoct.h"

/* n hex pairs with one separator kind between them and nothing after. */
static int parse_pairs(const char *s, uint8_t *out, size_t n)
{
	char sep = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (i > 0) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			if (sep && *s != sep)
				return -EINVAL;
			sep = *s++;
		}
		hi = unhexchar(s[0]);
		if (hi < 0)
			return hi;
		lo = unhexchar(s[1]);
		if (lo < 0)
			return lo;
		out[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

int hwaddr_parse(const char *s, struct hwaddr *ret)
{
	struct hwaddr a;
	int r;

	r = parse_pairs(s, a.bytes, HWADDR_LEN);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

int hwaddr_parse_bootif(const char *s, struct hwaddr *ret)
{
	uint8_t b[HWADDR_LEN + 1];

	/* Seven pairs: hardware type first, and the PXE form always uses '-'. */
	if (strlen(s) == 3 * (HWADDR_LEN + 1) - 1) {
		if (strchr(s, ':') || parse_pairs(s, b, HWADDR_LEN + 1) < 0 || b[0] != 1)
			return -EINVAL;
		memcpy(ret->bytes, &b[1], HWADDR_LEN);
		return 0;
	}
	return hwaddr_parse(s, ret);
}

char *hwaddr_format(const struct hwaddr *a, char buf[static HWADDR_STR_MAX])
{
	snprintf(buf, HWADDR_STR_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", a->bytes[0], a->bytes[1],
		 a->bytes[2], a->bytes[3], a->bytes[4], a->bytes[5]);
	return buf;
}

bool hwaddr_equal(const struct hwaddr *a, const struct hwaddr *b)
{
	return memcmp(a->bytes, b->bytes, HWADDR_LEN) == 0;
}
