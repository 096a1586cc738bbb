#pragma once

/*
 * In-memory archives for log.collect_system_logs: a ustar tarball built file by file,
 * compressed with gzip (zlib) and encoded in base64 (basic/hexdecoct.h), which is what IPA
 * returns and what Ironic decodes into a .tar.gz (ironic/drivers/utils.py
 * collect_ramdisk_logs).
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The largest tarball built; later files are left out (and say so in the log). */
#define ARCHIVE_TAR_MAX (16 * 1024 * 1024)

struct tar {
	uint8_t *buf;
	size_t len, allocated;
};

/* Adds a regular file: name (at most 99 bytes), mode 0644, the given mtime. -E2BIG past
 * ARCHIVE_TAR_MAX, -ENAMETOOLONG. */
int tar_add(struct tar *t, const char *name, const void *data, size_t size, time_t mtime);

/* Ends the archive (two zero blocks) and gives its bytes; t is then empty. */
int tar_finish(struct tar *t, uint8_t **ret, size_t *ret_len);
void tar_done(struct tar *t);

/* gzip (RFC 1952) of data. */
int gzip_compress(const void *data, size_t size, uint8_t **ret, size_t *ret_len);
