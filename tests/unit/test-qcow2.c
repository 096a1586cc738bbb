/* sources: src/agent/qcow2.c */
/*
 * qcow2 streaming (agent/qcow2.h) against qemu-img: a raw image with data, zero and untouched
 * regions is converted by qemu-img (plain, compressed, 512-byte and 2 MiB clusters, version 2),
 * streamed in uneven pieces onto a "disk" file full of 0xaa, and must then equal the raw image
 * over its virtual size and leave the rest of the disk alone. Then what must be refused: a
 * backing file, an image out of streaming order (its L1 table moved to the end by a resize), a
 * truncated file, a damaged compressed cluster, an image larger than the disk, not qcow2.
 * Skips without qemu-img and qemu-io.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/qcow2.h"
#include "basic/macro.h"
#include "test.h"

#define MIB	  (1024 * 1024)
#define RAW_SIZE  (8 * MIB)
#define DISK_SIZE (10 * MIB)

static char dir[] = "/tmp/test-qcow2.XXXXXX";

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

static uint8_t *slurp(const char *name, size_t *ret_len)
{
	char path[256];
	struct stat st;
	uint8_t *b;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	b = malloc((size_t)st.st_size + 1);
	if (b && read(fd, b, (size_t)st.st_size) != st.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*ret_len = (size_t)st.st_size;
	return b;
}

/* A raw image: random data, a run of zeros, data, then nothing written (a hole). */
static int make_raw(void)
{
	return sh("cd %s && head -c %d /dev/urandom > raw.img && "
		  "dd if=/dev/zero of=raw.img bs=1M seek=2 count=2 conv=notrunc status=none && "
		  "head -c 1000000 /dev/urandom | dd of=raw.img bs=1M seek=4 conv=notrunc "
		  "status=none && truncate -s %d raw.img && "
		  "printf 'tail' | dd of=raw.img bs=1 seek=%d conv=notrunc status=none",
		  dir, 6 * MIB, RAW_SIZE, RAW_SIZE - 4);
}

/* Streams the file name in pieces of 1, 7, 4096+3, 65536, 1 MiB+1 ... onto a disk of 0xaa;
 * returns the write or finish result, and the disk in *ret_disk. */
static int stream(const char *name, uint64_t disk_size, uint8_t **ret_disk, char *err,
		  size_t errsize)
{
	static const size_t pieces[] = {1, 7, 4099, 65536, MIB + 1, 333};
	size_t len, off = 0;
	uint8_t *img = slurp(name, &len), *disk = malloc(disk_size);
	struct qcow2_stream *s = NULL;
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), "%s/disk", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(disk, 0xaa, disk_size);
	if (!img || fd < 0 || write(fd, disk, disk_size) != (ssize_t)disk_size ||
	    qcow2_stream_new(fd, disk_size, &s) < 0)
		return -EIO;
	/* a first attempt cut short, then the whole file: a download that starts again */
	(void)qcow2_stream_write(s, img, MIN(len, 70000));
	qcow2_stream_rewind(s);
	r = 0;
	for (size_t i = 0; r >= 0 && off < len; i++) {
		size_t k = MIN(pieces[i % 6], len - off);

		r = qcow2_stream_write(s, img + off, k);
		off += k;
	}
	if (r >= 0)
		r = qcow2_stream_finish(s);
	snprintf(err, errsize, "%s", qcow2_stream_error(s));
	qcow2_stream_free(s);
	if (pread(fd, disk, disk_size, 0) != (ssize_t)disk_size)
		r = -EIO;
	close(fd);
	free(img);
	*ret_disk = disk;
	return r;
}

static void test_converts(void)
{
	static const struct {
		const char *name, *opts;
	} kinds[] = {
	    {"plain", "-O qcow2"},
	    {"compressed", "-c -O qcow2"},
	    {"small clusters", "-O qcow2 -o cluster_size=512"},
	    {"2 MiB clusters", "-O qcow2 -o cluster_size=2M"},
	    {"version 2", "-O qcow2 -o compat=0.10"},
	    {"compressed, 4 KiB clusters", "-c -O qcow2 -o cluster_size=4096"},
	};
	size_t raw_len;
	uint8_t *raw = slurp("raw.img", &raw_len);

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		char err[QCOW2_ERROR_MAX];
		uint8_t *disk = NULL;
		bool rest = true;
		int r;

		if (sh("cd %s && qemu-img convert %s raw.img img.qcow2", dir, kinds[i].opts) < 0) {
			CHECK(false, "%s: qemu-img convert", kinds[i].name);
			continue;
		}
		r = stream("img.qcow2", DISK_SIZE, &disk, err, sizeof(err));
		for (size_t k = RAW_SIZE; k < DISK_SIZE; k++)
			rest = rest && disk[k] == 0xaa;
		CHECK(r == 0 && memcmp(disk, raw, RAW_SIZE) == 0 && rest,
		      "%s: the disk holds the raw image, the rest untouched (%d %s)", kinds[i].name,
		      r, err);
		free(disk);
	}
	free(raw);
}

static void expect(const char *what, const char *name, uint64_t disk_size, int want,
		   const char *words)
{
	char err[QCOW2_ERROR_MAX];
	uint8_t *disk = NULL;
	int r = stream(name, disk_size, &disk, err, sizeof(err));

	CHECK(r == want && strstr(err, words), "%s: %s", what, err);
	free(disk);
}

static void test_refused(void)
{
	size_t len;
	uint8_t *b;
	int fd;

	sh("cd %s && qemu-img convert -O qcow2 raw.img base.qcow2 && "
	   "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 over.qcow2",
	   dir);
	expect("a backing file", "over.qcow2", DISK_SIZE, -EINVAL, "backing file");

	/* data first, then a resize that moves the L1 table to the end of the file */
	sh("cd %s && qemu-img create -q -f qcow2 -o cluster_size=512 moved.qcow2 1M && "
	   "qemu-io -c 'write -P 7 0 64k' moved.qcow2 >/dev/null && "
	   "qemu-img resize -q moved.qcow2 8M",
	   dir);
	expect("an L1 table after its L2 tables", "moved.qcow2", DISK_SIZE, -ESPIPE,
	       "streaming order");

	sh("cd %s && qemu-img convert -O qcow2 raw.img cut.qcow2 && truncate -s 300000 cut.qcow2",
	   dir);
	expect("a truncated image", "cut.qcow2", DISK_SIZE, -ENODATA, "ended");

	expect("larger than the disk", "base.qcow2", RAW_SIZE - MIB, -EFBIG,
	       "larger than the disk");
	expect("not qcow2", "raw.img", DISK_SIZE, -EINVAL, "not a qcow2 image");

	/* a compressed image whose last quarter of clusters is garbage */
	sh("cd %s && qemu-img convert -c -O qcow2 raw.img bad.qcow2", dir);
	b = slurp("bad.qcow2", &len);
	if (b && len > 200000) {
		char path[256];

		memset(b + len - len / 4, 0x5a, len / 4 - 1);
		snprintf(path, sizeof(path), "%s/bad.qcow2", dir);
		fd = open(path, O_WRONLY | O_TRUNC);
		if (fd >= 0 && write(fd, b, len) == (ssize_t)len)
			expect("a damaged compressed cluster", "bad.qcow2", DISK_SIZE, -EBADMSG,
			       "inflate");
		close(fd);
	}
	free(b);
}

int main(void)
{
	if (system("command -v qemu-img >/dev/null && command -v qemu-io >/dev/null") != 0) {
		printf("skip - qemu-img or qemu-io not found (qemu-utils)\n");
		return 77;
	}
	if (!mkdtemp(dir) || make_raw() < 0) {
		printf("FAIL - cannot make the raw image in %s\n", dir);
		return 1;
	}
	test_converts();
	test_refused();
	sh("rm -rf %s", dir);
	return failures ? 1 : 0;
}
