#include "basic/dirent-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"
#include "basic/strv.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int dir_names_at(int dirfd, const char *path, size_t max, char ***ret)
{
	_cleanup_(strv_freep) char **l = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	size_t n = 0;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return negative_errno();
	}
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++n > max)
			return -E2BIG;
		if (strv_extend(&l, de->d_name) < 0)
			return -ENOMEM;
	}
	if (errno != 0)
		return negative_errno();
	if (!l)
		l = calloc(1, sizeof(char *)); /* an empty vector, not NULL */
	if (!l)
		return -ENOMEM;
	*ret = TAKE_PTR(l);
	return 0;
}
