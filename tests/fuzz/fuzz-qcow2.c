/* sources: src/agent/qcow2.c */
/*
 * A qcow2 image as the agent receives it from an image server: streamed onto a 16 MiB memfd
 * "disk" in pieces whose sizes the input's first byte chooses, then finished.
 *
 * Invariants: only the documented return values, an error always explained, nothing written
 * past the image's virtual size, and the same input streamed twice (after a rewind) giving
 * the same result.
 */
#define _GNU_SOURCE 1 /* memfd_create() */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/qcow2.h"

#include "fuzz.h"

#define DISK_SIZE (16u << 20)

static int known(int r)
{
	return r == 0 || r == -EINVAL || r == -ESPIPE || r == -EFBIG || r == -EBADMSG ||
	       r == -ENOMEM || r == -ENODATA;
}

static int run(struct qcow2_stream *s, const uint8_t *data, size_t size, size_t piece)
{
	int r = 0;

	for (size_t off = 0; r == 0 && off < size; off += piece) {
		size_t k = size - off < piece ? size - off : piece;

		r = qcow2_stream_write(s, data + off, k);
		FUZZ_CHECK(known(r), "write: %d", r);
	}
	if (r == 0) {
		r = qcow2_stream_finish(s);
		FUZZ_CHECK(known(r), "finish: %d", r);
	}
	FUZZ_CHECK(r == 0 || qcow2_stream_error(s)[0], "error %d without a reason", r);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = {1, 3, 512, 4096, 65536};
	struct qcow2_stream *s = NULL;
	uint8_t tail[4096];
	size_t piece;
	int fd, r1, r2;

	if (size < 1)
		return 0;
	piece = pieces[data[0] % 5];
	fd = memfd_create("disk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, DISK_SIZE) < 0 || qcow2_stream_new(fd, DISK_SIZE, &s) < 0)
		abort();
	/* the disk's last 4 KiB hold a pattern no image smaller than the disk may touch */
	memset(tail, 0xaa, sizeof(tail));
	if (pwrite(fd, tail, sizeof(tail), DISK_SIZE - sizeof(tail)) != (ssize_t)sizeof(tail))
		abort();
	r1 = run(s, data + 1, size - 1, piece);
	if (r1 == 0 && qcow2_stream_virtual_size(s) + sizeof(tail) <= DISK_SIZE) {
		uint8_t now[sizeof(tail)];

		FUZZ_CHECK(pread(fd, now, sizeof(now), DISK_SIZE - sizeof(now)) ==
				   (ssize_t)sizeof(now) &&
			       memcmp(now, tail, sizeof(now)) == 0,
			   "written past the virtual size");
	}
	qcow2_stream_rewind(s);
	r2 = run(s, data + 1, size - 1, piece);
	FUZZ_CHECK(r1 == r2, "a second pass gives %d, the first %d", r2, r1);
	qcow2_stream_free(s);
	close(fd);
	return 0;
}
