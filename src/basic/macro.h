#pragma once

/*
 * Small language helpers shared by every program: array sizes, cleanup attributes and
 * close/free helpers that accept "nothing to do" values (NULL, -1), so that cleanup paths
 * need no conditions.
 */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_     __attribute__((noreturn))

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Closes fd if it is valid, keeps errno, returns -1 so that "fd = safe_close(fd);" resets it. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	safe_close(*fd);
}

#define _cleanup_free_	_cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hands ownership of a pointer out of a cleanup scope. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})

/* Hands ownership of a file descriptor out of a cleanup scope. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})

/* errno as a negative value, never 0 (for calls that failed without setting errno). */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
