#pragma once

/* Reading directories through a directory fd. */

#include <stddef.h>

/*
 * The names in dirfd/path but "." and "..", in readdir() order, as a NULL-terminated vector
 * (an empty one, not NULL, for an empty directory). Returns 0, -E2BIG when there are more than
 * max, -ENOMEM, or the negative errno of opening or reading the directory.
 */
int dir_names_at(int dirfd, const char *path, size_t max, char ***ret);
