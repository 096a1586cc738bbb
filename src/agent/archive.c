#include "agent/archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int tar_reserve(struct tar *t, size_t more)
{
	size_t k;
	uint8_t *b;

	if (t->len + more > ARCHIVE_TAR_MAX + 1024)
		return -E2BIG;
	if (t->len + more <= t->allocated)
		return 0;
	k = t->allocated ? t->allocated : 65536;
	while (k < t->len + more)
		k *= 2;
	b = realloc(t->buf, k);
	if (!b)
		return -ENOMEM;
	t->buf = b;
	t->allocated = k;
	return 0;
}

/* width - 1 octal digits and a NUL, as ustar wants; a value too large is clamped. */
static void put_octal(uint8_t *dst, size_t width, unsigned long long v)
{
	unsigned long long max = (1ULL << (3 * (width - 1))) - 1;

	if (v > max)
		v = max;
	dst[width - 1] = '\0';
	for (size_t i = width - 1; i > 0; i--) {
		dst[i - 1] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
}

int tar_add(struct tar *t, const char *name, const void *data, size_t size, time_t mtime)
{
	size_t padded = (size + 511) / 512 * 512;
	uint8_t *h;
	unsigned sum = 0;
	int r;

	if (strlen(name) > 99)
		return -ENAMETOOLONG;
	if (t->len + 512 + padded > ARCHIVE_TAR_MAX)
		return -E2BIG;
	r = tar_reserve(t, 512 + padded);
	if (r < 0)
		return r;
	h = t->buf + t->len;
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	put_octal(h + 100, 8, 0644);
	put_octal(h + 108, 8, 0);
	put_octal(h + 116, 8, 0);
	put_octal(h + 124, 12, size);
	put_octal(h + 136, 12, mtime > 0 ? (unsigned long long)mtime : 0);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	put_octal(h + 148, 7, sum);
	h[155] = ' ';
	memcpy(h + 512, data, size);
	memset(h + 512 + size, 0, padded - size);
	t->len += 512 + padded;
	return 0;
}

int tar_finish(struct tar *t, uint8_t **ret, size_t *ret_len)
{
	int r = tar_reserve(t, 1024);

	if (r < 0)
		return r;
	memset(t->buf + t->len, 0, 1024);
	t->len += 1024;
	*ret = t->buf;
	*ret_len = t->len;
	*t = (struct tar){0};
	return 0;
}

void tar_done(struct tar *t)
{
	free(t->buf);
	*t = (struct tar){0};
}

int gzip_compress(const void *data, size_t size, uint8_t **ret, size_t *ret_len)
{
	z_stream z = {0};
	size_t bound;
	uint8_t *out;
	int r;

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, size);
	out = malloc(bound);
	if (!out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	r = deflate(&z, Z_FINISH);
	if (r != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return -EIO;
	}
	*ret_len = z.total_out;
	deflateEnd(&z);
	*ret = out;
	return 0;
}
