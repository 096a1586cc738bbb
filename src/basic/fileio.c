#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/macro.h"

/* Reads until EOF or until max + 1 bytes arrived (the one byte more detects "too large"). */
static ssize_t read_bounded(int fd, char *buf, size_t max)
{
	size_t n = 0;

	while (n <= max) {
		ssize_t k = read(fd, buf + n, max + 1 - n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	return n > max ? -EFBIG : (ssize_t)n;
}

int read_full_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	ssize_t n;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();

	buf = malloc(max + 2);
	if (!buf)
		return -ENOMEM;

	n = read_bounded(fd, buf, max);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';

	*ret = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = (size_t)n;
	return 0;
}

int read_line_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	char tmp[4096];
	const char *nl;
	ssize_t n;
	size_t len;

	if (size == 0)
		return -EINVAL;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();

	/* One sysfs page at most: longer attributes are not "a line". */
	n = read_bounded(fd, tmp, sizeof(tmp) - 1);
	if (n < 0)
		return n == -EFBIG ? -E2BIG : (int)n;

	nl = memchr(tmp, '\n', (size_t)n);
	len = nl ? (size_t)(nl - tmp) : (size_t)n;
	while (len > 0 && strchr(" \t\r", tmp[len - 1]))
		len--;
	if (memchr(tmp, '\0', len))
		return -EBADMSG;
	if (len >= size)
		return -E2BIG;

	memcpy(buf, tmp, len);
	buf[len] = '\0';
	return (int)len;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			return -EIO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}
