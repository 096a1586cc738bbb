#pragma once

/* Path and directory helpers. */

#include <stdbool.h>
#include <sys/types.h>

/* The search path every child of init gets, and the one executables are looked up in. */
#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* mkdir -p: creates missing components with mode; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);

/*
 * Whether path is a mount point: it is on another device than its parent, or it is "/".
 * Returns 1, 0, or a negative errno (-ENOENT when path does not exist).
 */
int path_is_mount_point(const char *path);

/*
 * Resolves name like execvp() does: a name with '/' is taken as is, others are looked up in
 * search_path (':'-separated). Returns 0 with *ret a heap copy of the path of a regular,
 * executable file, -ENOENT when none exists, -EACCES when one exists but is not executable.
 */
int path_find_executable(const char *name, const char *search_path, char **ret);
