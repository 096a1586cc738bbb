#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs-util.h"
#include "basic/macro.h"

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);

	/* Each '/' after the first character ends a component to create. */
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return negative_errno();
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

int path_is_mount_point(const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;
	int n;

	if (stat(path, &a) < 0)
		return negative_errno();
	n = snprintf(parent, sizeof(parent), "%s/..", path);
	if (n < 0 || (size_t)n >= sizeof(parent))
		return -ENAMETOOLONG;
	if (stat(parent, &b) < 0)
		return negative_errno();

	/* "/" is its own parent. */
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 1;
	return a.st_dev != b.st_dev;
}

/* 0 for an executable regular file, else a negative errno. */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return negative_errno();
	return 0;
}

int path_find_executable(const char *name, const char *search_path, char **ret)
{
	char buf[PATH_MAX];
	const char *p = search_path;
	int r, last = -ENOENT;
	char *s;

	if (*name == '\0')
		return -ENOENT;

	if (strchr(name, '/')) {
		r = check_executable(name);
		if (r < 0)
			return r;
		s = strdup(name);
		goto found;
	}

	for (;;) {
		size_t len = strcspn(p, ":");
		int n;

		/* Empty entries (the working directory) are skipped: init has no meaningful one. */
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, name);
		if (len > 0 && n > 0 && (size_t)n < sizeof(buf)) {
			r = check_executable(buf);
			if (r == 0) {
				s = strdup(buf);
				goto found;
			}
			if (r == -EACCES)
				last = r;
		}
		if (p[len] == '\0')
			return last;
		p += len + 1;
	}

found:
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
