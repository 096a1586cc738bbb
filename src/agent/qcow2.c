/*
 * The stream is cut at every place something starts or ends: a table or cluster that is
 * complete is acted on before the next byte, so what it names can start right after it.
 */

#define _GNU_SOURCE 1 /* fallocate() */

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/qcow2.h"
#include "basic/macro.h"
#include "basic/unaligned.h"

#define HEADER_LEN	     112 /* through compression_type and its padding (version 3) */
#define L1_MAX		     (32u << 20)
#define PENDING_MAX	     (1u << 20) /* tables and clusters known but not yet passed */
#define BITMAP_MAX	     (32u << 20)
#define OFFSET_MASK	     0x00fffffffffffe00ULL
#define L2_COMPRESSED	     (1ULL << 62)
#define L2_ZERO		     1ULL
#define INCOMPAT_DIRTY	     (1ULL << 0)
#define INCOMPAT_CORRUPT     (1ULL << 1)
#define INCOMPAT_DATA_FILE   (1ULL << 2)
#define INCOMPAT_COMPRESSION (1ULL << 3)
#define INCOMPAT_EXTL2	     (1ULL << 4)

enum kind { RANGE_L1, RANGE_L2, RANGE_DATA, RANGE_COMPRESSED };

struct range {
	uint64_t start, len; /* in the file */
	uint64_t guest;	     /* L2: first guest byte it maps; data: where the cluster goes */
	enum kind kind;
	uint8_t *buf; /* L1, L2, compressed: the bytes so far */
};

struct qcow2_stream {
	int fd;
	uint64_t out_size;
	uint64_t pos;
	uint8_t header[HEADER_LEN];
	bool have_header;
	unsigned cluster_bits;
	uint64_t cluster, vsize, n_clusters;

	struct range *pending; /* a min-heap by start */
	size_t n_pending, cap_pending;
	struct range *active; /* started, not complete */
	size_t n_active, cap_active;

	uint8_t *written; /* one bit per guest cluster */
	uint8_t *inflated;
	char error[QCOW2_ERROR_MAX];
};

_printf_(3, 4) static int fail(struct qcow2_stream *s, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return r;
}

static void reset(struct qcow2_stream *s)
{
	for (size_t i = 0; i < s->n_pending; i++)
		free(s->pending[i].buf);
	for (size_t i = 0; i < s->n_active; i++)
		free(s->active[i].buf);
	free(s->pending);
	free(s->active);
	free(s->written);
	free(s->inflated);
	*s = (struct qcow2_stream){.fd = s->fd, .out_size = s->out_size};
}

int qcow2_stream_new(int out_fd, uint64_t out_size, struct qcow2_stream **ret)
{
	struct qcow2_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fd = out_fd;
	s->out_size = out_size;
	*ret = s;
	return 0;
}

struct qcow2_stream *qcow2_stream_free(struct qcow2_stream *s)
{
	if (s) {
		reset(s);
		free(s);
	}
	return NULL;
}

void qcow2_stream_rewind(struct qcow2_stream *s)
{
	reset(s);
}

const char *qcow2_stream_error(const struct qcow2_stream *s)
{
	return s->error;
}

uint64_t qcow2_stream_virtual_size(const struct qcow2_stream *s)
{
	return s->vsize;
}

/* --- the ranges to come ------------------------------------------------------------------ */

static void heap_swap(struct range *a, struct range *b)
{
	struct range t = *a;

	*a = *b;
	*b = t;
}

static int add_range(struct qcow2_stream *s, struct range r)
{
	size_t i;

	if (r.start < s->pos)
		return fail(s, -ESPIPE,
			    "the qcow2 image is not in streaming order: %s at file offset %llu is "
			    "named after the stream passed it (offset %llu); write it with "
			    "qemu-img convert, or hand over a raw image",
			    r.kind == RANGE_L2 ? "an L2 table" : "a data cluster",
			    (unsigned long long)r.start, (unsigned long long)s->pos);
	if (s->n_pending >= PENDING_MAX)
		return fail(s, -ENOMEM,
			    "more than %u tables and clusters named ahead of the stream",
			    PENDING_MAX);
	if (s->n_pending == s->cap_pending) {
		size_t cap = s->cap_pending ? 2 * s->cap_pending : 64;
		struct range *p = realloc(s->pending, cap * sizeof(*p));

		if (!p)
			return fail(s, -ENOMEM, "out of memory");
		s->pending = p;
		s->cap_pending = cap;
	}
	i = s->n_pending++;
	s->pending[i] = r;
	while (i > 0 && s->pending[(i - 1) / 2].start > s->pending[i].start) {
		heap_swap(&s->pending[(i - 1) / 2], &s->pending[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct range heap_pop(struct qcow2_stream *s)
{
	struct range top = s->pending[0];
	size_t i = 0;

	s->pending[0] = s->pending[--s->n_pending];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < s->n_pending && s->pending[l].start < s->pending[m].start)
			m = l;
		if (l + 1 < s->n_pending && s->pending[l + 1].start < s->pending[m].start)
			m = l + 1;
		if (m == i)
			return top;
		heap_swap(&s->pending[i], &s->pending[m]);
		i = m;
	}
}

static int activate(struct qcow2_stream *s, struct range r)
{
	if (r.kind != RANGE_DATA) {
		r.buf = malloc(r.len);
		if (!r.buf)
			return fail(s, -ENOMEM, "out of memory");
	}
	if (s->n_active == s->cap_active) {
		size_t cap = s->cap_active ? 2 * s->cap_active : 8;
		struct range *a = realloc(s->active, cap * sizeof(*a));

		if (!a) {
			free(r.buf);
			return fail(s, -ENOMEM, "out of memory");
		}
		s->active = a;
		s->cap_active = cap;
	}
	s->active[s->n_active++] = r;
	return 0;
}

/* --- what the ranges hold ---------------------------------------------------------------- */

static int parse_header(struct qcow2_stream *s)
{
	const uint8_t *h = s->header;
	unsigned version = (unsigned)unaligned_read_be32(h + 4),
		 crypt = (unsigned)unaligned_read_be32(h + 32);
	uint64_t backing = unaligned_read_be64(h + 8), l1_size = unaligned_read_be32(h + 36),
		 l1_offset = unaligned_read_be64(h + 40);
	uint64_t incompat = 0, bitmap_bytes;
	unsigned header_len = 72, compression = 0;

	if (memcmp(h, QCOW2_MAGIC, 4) != 0)
		return fail(s, -EINVAL, "not a qcow2 image (no QFI\\xfb magic)");
	if (version != 2 && version != 3)
		return fail(s, -EINVAL, "qcow2 version %u is not supported", version);
	s->cluster_bits = (unsigned)unaligned_read_be32(h + 20);
	s->vsize = unaligned_read_be64(h + 24);
	if (version == 3) {
		incompat = unaligned_read_be64(h + 72);
		header_len = (unsigned)unaligned_read_be32(h + 100);
		if (header_len > 104)
			compression = h[104];
	}
	if (backing)
		return fail(s, -EINVAL, "the qcow2 image has a backing file: refused, as by IPA");
	if (crypt)
		return fail(s, -EINVAL, "the qcow2 image is encrypted");
	if (incompat & INCOMPAT_DATA_FILE)
		return fail(s, -EINVAL,
			    "the qcow2 image has an external data file: refused, as by IPA");
	if (incompat & INCOMPAT_CORRUPT)
		return fail(s, -EINVAL, "the qcow2 image is marked corrupt");
	if (incompat & INCOMPAT_EXTL2)
		return fail(s, -EINVAL,
			    "qcow2 extended L2 entries (subclusters) are not supported");
	if ((incompat & INCOMPAT_COMPRESSION) && compression != 0)
		return fail(s, -EINVAL, "qcow2 compression type %u (zstd) is not supported",
			    compression);
	if (incompat & ~(INCOMPAT_DIRTY | INCOMPAT_COMPRESSION))
		return fail(s, -EINVAL, "unknown qcow2 incompatible features 0x%llx",
			    (unsigned long long)incompat);
	if (s->cluster_bits < 9 || s->cluster_bits > 21)
		return fail(s, -EINVAL, "qcow2 cluster size 2^%u is out of range", s->cluster_bits);
	s->cluster = 1ULL << s->cluster_bits;
	if (s->vsize > s->out_size)
		return fail(s, -EFBIG,
			    "the image's virtual size (%llu bytes) is larger than the disk (%llu)",
			    (unsigned long long)s->vsize, (unsigned long long)s->out_size);
	s->n_clusters = (s->vsize + s->cluster - 1) >> s->cluster_bits;
	bitmap_bytes = (s->n_clusters + 7) / 8;
	if (bitmap_bytes > BITMAP_MAX)
		return fail(s, -EINVAL, "too many qcow2 clusters (%llu)",
			    (unsigned long long)s->n_clusters);
	/* an L1 entry maps cluster / 8 clusters */
	if (l1_size * 8 > L1_MAX || l1_size * (s->cluster / 8) < s->n_clusters)
		return fail(s, -EINVAL, "the qcow2 L1 table (%llu entries) does not fit the image",
			    (unsigned long long)l1_size);
	s->written = calloc(1, bitmap_bytes ? bitmap_bytes : 1);
	s->inflated = malloc(s->cluster);
	if (!s->written || !s->inflated)
		return fail(s, -ENOMEM, "out of memory");
	if (l1_size == 0)
		return 0;
	return add_range(s,
			 (struct range){.start = l1_offset, .len = l1_size * 8, .kind = RANGE_L1});
}

static int parse_l1(struct qcow2_stream *s, const struct range *r)
{
	uint64_t span = s->cluster / 8 * s->cluster; /* guest bytes one L2 table maps */

	for (uint64_t i = 0; i < r->len / 8; i++) {
		uint64_t l2 = unaligned_read_be64(r->buf + 8 * i) & OFFSET_MASK;
		int k;

		if (!l2)
			continue;
		if (i * span >= s->vsize)
			return fail(s, -EINVAL, "L1 entry %llu maps past the virtual size",
				    (unsigned long long)i);
		k = add_range(
		    s, (struct range){
			   .start = l2, .len = s->cluster, .guest = i * span, .kind = RANGE_L2});
		if (k < 0)
			return k;
	}
	return 0;
}

static int parse_l2(struct qcow2_stream *s, const struct range *r)
{
	unsigned x = 62 - (s->cluster_bits - 8);

	for (uint64_t i = 0; i < s->cluster / 8; i++) {
		uint64_t e = unaligned_read_be64(r->buf + 8 * i), guest = r->guest + i * s->cluster;
		struct range d = {.guest = guest};
		int k;

		if (guest >= s->vsize) {
			if (e)
				return fail(s, -EINVAL, "an L2 entry maps past the virtual size");
			continue;
		}
		if (e & L2_COMPRESSED) {
			uint64_t off = e & ((1ULL << x) - 1);
			uint64_t sectors = ((e & ~L2_COMPRESSED & ~(1ULL << 63)) >> x) + 1;

			d.kind = RANGE_COMPRESSED;
			d.start = off;
			d.len = sectors * 512 - (off & 511);
			if (d.len > s->cluster + 512)
				return fail(s, -EINVAL,
					    "a compressed cluster larger than a cluster");
		} else {
			if ((e & L2_ZERO) || !(e & OFFSET_MASK))
				continue; /* zeroed at the end, with what was never allocated */
			d.kind = RANGE_DATA;
			d.start = e & OFFSET_MASK;
			d.len = s->cluster;
		}
		k = add_range(s, d);
		if (k < 0)
			return k;
	}
	return 0;
}

static void mark_written(struct qcow2_stream *s, uint64_t guest)
{
	uint64_t c = guest >> s->cluster_bits;

	s->written[c / 8] |= (uint8_t)(1u << (c % 8));
}

static int write_at(struct qcow2_stream *s, const uint8_t *data, uint64_t len, uint64_t off)
{
	/* the last cluster may reach past the virtual size */
	if (off >= s->vsize)
		return 0;
	len = MIN(len, s->vsize - off);
	while (len > 0) {
		ssize_t n = pwrite(s->fd, data, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(s, n < 0 ? negative_errno() : -EIO,
				    "cannot write at offset %llu: %s", (unsigned long long)off,
				    n < 0 ? strerror(errno) : "short write");
		data += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int inflate_cluster(struct qcow2_stream *s, const struct range *r)
{
	z_stream z = {.next_in = r->buf, .avail_in = (uInt)r->len};
	int k;

	if (inflateInit2(&z, -15) != Z_OK)
		return fail(s, -ENOMEM, "out of memory");
	z.next_out = s->inflated;
	z.avail_out = (uInt)s->cluster;
	k = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	/* qemu stops at a full cluster; the rest of the last sector is padding */
	if (z.avail_out != 0 || (k != Z_STREAM_END && k != Z_OK && k != Z_BUF_ERROR))
		return fail(s, -EBADMSG,
			    "the compressed cluster at file offset %llu does not inflate to a "
			    "cluster",
			    (unsigned long long)r->start);
	k = write_at(s, s->inflated, s->cluster, r->guest);
	if (k < 0)
		return k;
	mark_written(s, r->guest);
	return 0;
}

static int complete(struct qcow2_stream *s, struct range *r)
{
	switch (r->kind) {
	case RANGE_L1:
		return parse_l1(s, r);
	case RANGE_L2:
		return parse_l2(s, r);
	case RANGE_COMPRESSED:
		return inflate_cluster(s, r);
	case RANGE_DATA:
		mark_written(s, r->guest);
		return 0;
	}
	return 0;
}

/* Bytes [s->pos, s->pos + n) to every active range; no range starts or ends inside. */
static int feed(struct qcow2_stream *s, const uint8_t *data, uint64_t n)
{
	for (size_t i = 0; i < s->n_active; i++) {
		struct range *r = &s->active[i];
		uint64_t at = s->pos - r->start;

		if (r->kind == RANGE_DATA) {
			int k = write_at(s, data, n, r->guest + at);

			if (k < 0)
				return k;
		} else {
			memcpy(r->buf + at, data, n);
		}
	}
	return 0;
}

/* The ranges that end at s->pos are done; those that start there begin. */
static int step_boundaries(struct qcow2_stream *s)
{
	int r;

	for (size_t i = 0; i < s->n_active;) {
		struct range done = s->active[i];

		if (done.start + done.len != s->pos) {
			i++;
			continue;
		}
		s->active[i] = s->active[--s->n_active];
		r = complete(s, &done);
		free(done.buf);
		if (r < 0)
			return r;
	}
	while (s->n_pending > 0 && s->pending[0].start == s->pos) {
		struct range next = heap_pop(s);

		if (next.len == 0)
			continue;
		r = activate(s, next);
		if (r < 0)
			return r;
	}
	return 0;
}

int qcow2_stream_write(struct qcow2_stream *s, const uint8_t *data, size_t n)
{
	int r;

	s->error[0] = '\0';
	while (n > 0 && !s->have_header) {
		size_t k = MIN(n, HEADER_LEN - (size_t)s->pos);

		memcpy(s->header + s->pos, data, k);
		s->pos += k;
		data += k;
		n -= k;
		if (s->pos == HEADER_LEN) {
			s->have_header = true;
			r = parse_header(s);
			if (r < 0)
				return r;
			r = step_boundaries(s);
			if (r < 0)
				return r;
		}
	}
	while (n > 0) {
		uint64_t next = s->pos + n;

		for (size_t i = 0; i < s->n_active; i++)
			next = MIN(next, s->active[i].start + s->active[i].len);
		if (s->n_pending > 0)
			next = MIN(next, s->pending[0].start);
		r = feed(s, data, next - s->pos);
		if (r < 0)
			return r;
		data += next - s->pos;
		n -= (size_t)(next - s->pos);
		s->pos = next;
		r = step_boundaries(s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int zero_range(struct qcow2_stream *s, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[64 * 1024];
	uint64_t range[2] = {off, len};
	struct stat st;

	if (fstat(s->fd, &st) == 0) {
		if (S_ISBLK(st.st_mode) && ioctl(s->fd, BLKZEROOUT, range) == 0)
			return 0;
		if (S_ISREG(st.st_mode) &&
		    fallocate(s->fd, FALLOC_FL_ZERO_RANGE, (off_t)off, (off_t)len) == 0)
			return 0;
	}
	for (uint64_t done = 0; done < len;) {
		uint64_t k = MIN(len - done, sizeof(zeros));
		int r = write_at(s, zeros, k, off + done);

		if (r < 0)
			return r;
		done += k;
	}
	return 0;
}

int qcow2_stream_finish(struct qcow2_stream *s)
{
	uint64_t run = 0;
	int r;

	s->error[0] = '\0';
	if (!s->have_header)
		return fail(s, -ENODATA, "the image ended within the qcow2 header");
	if (s->n_active > 0 || s->n_pending > 0) {
		const struct range *r0 = s->n_active ? &s->active[0] : &s->pending[0];

		return fail(s, -ENODATA,
			    "the image ended (%llu bytes) before the %s at file offset %llu",
			    (unsigned long long)s->pos,
			    r0->kind == RANGE_L1   ? "L1 table"
			    : r0->kind == RANGE_L2 ? "L2 table"
						   : "data cluster",
			    (unsigned long long)r0->start);
	}
	/* what no cluster wrote reads as zeros in the image: make it so on the disk */
	for (uint64_t c = 0; c <= s->n_clusters; c++) {
		bool written = c < s->n_clusters && (s->written[c / 8] & (1u << (c % 8)));

		if (c < s->n_clusters && !written) {
			run++;
			continue;
		}
		if (run > 0) {
			uint64_t off = (c - run) << s->cluster_bits;
			uint64_t len = MIN(run << s->cluster_bits, s->vsize - off);

			r = zero_range(s, off, len);
			if (r < 0)
				return r;
			run = 0;
		}
	}
	return 0;
}
