#pragma once

/*
 * Bounded file reading. Every reader takes a limit: input from /proc, /sys and configuration
 * files is untrusted in size. Paths are resolved relative to a directory fd (AT_FDCWD for the
 * working directory) so tests can point them at captured trees.
 */

#include <stddef.h>

/*
 * Reads the whole file at dirfd/path. On success *ret is a NUL-terminated heap copy the caller
 * frees and *ret_size (optional) its length without the NUL. Returns -EFBIG when the file holds
 * more than max bytes, or a negative errno from open/read.
 */
int read_full_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size);

/*
 * Reads the first line of dirfd/path into buf (size bytes, NUL-terminated), without the newline
 * and trailing whitespace: the shape of sysfs attributes. Returns the length, -E2BIG when the
 * line does not fit, or a negative errno.
 */
int read_line_at(int dirfd, const char *path, char *buf, size_t size);

/* Writes all of buf to fd, retrying on EINTR and short writes. Returns 0 or a negative errno. */
int write_all(int fd, const void *buf, size_t len);
