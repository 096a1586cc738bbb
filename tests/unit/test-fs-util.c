/* sources: src/basic/fs-util.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs-util.h"

#include "test.h"

int main(void)
{
	char dir[] = "/tmp/test-fs-util.XXXXXX", path[256], cmd[300], *s = NULL;
	struct stat st;
	FILE *f;
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 77;
	}

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	r = mkdir_p(path, 0755);
	CHECK(r == 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode), "mkdir_p creates a/b/c");
	r = mkdir_p(path, 0755);
	CHECK(r == 0, "mkdir_p on an existing directory is fine");
	snprintf(path, sizeof(path), "%s/a/b/c/", dir);
	CHECK(mkdir_p(path, 0755) == 0, "trailing slash is fine");
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "we");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/file/sub", dir);
	CHECK(mkdir_p(path, 0755) == -ENOTDIR, "a file in the way: -ENOTDIR");

	CHECK(path_is_mount_point("/") == 1, "'/' is a mount point");
	CHECK(path_is_mount_point(dir) == 0 || path_is_mount_point("/tmp") == 1,
	      "a plain directory is not a mount point");
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK(path_is_mount_point(path) == -ENOENT, "missing path: -ENOENT");
	if (path_is_mount_point("/proc") >= 0)
		CHECK(path_is_mount_point("/proc") == 1, "/proc is a mount point");

	r = path_find_executable("sh", DEFAULT_PATH, &s);
	CHECK(r == 0 && strlen(s) > 3 && strcmp(s + strlen(s) - 3, "/sh") == 0 &&
		  access(s, X_OK) == 0,
	      "sh found on the default path (%s)", r == 0 ? s : "");
	free(s);
	s = NULL;
	r = path_find_executable("/bin/sh", "", &s);
	CHECK(r == 0 && strcmp(s, "/bin/sh") == 0, "a name with '/' is taken as is");
	free(s);
	s = NULL;
	r = path_find_executable("ingot-no-such-program", DEFAULT_PATH, &s);
	CHECK(r == -ENOENT && s == NULL, "missing program: -ENOENT");
	r = path_find_executable("", DEFAULT_PATH, &s);
	CHECK(r == -ENOENT, "empty name: -ENOENT");
	snprintf(path, sizeof(path), "%s/file", dir);
	r = path_find_executable(path, DEFAULT_PATH, &s);
	CHECK(r == -EACCES, "non-executable file: -EACCES");
	r = path_find_executable("file", dir, &s);
	CHECK(r == -EACCES, "non-executable file on the path: -EACCES");
	r = path_find_executable(dir, DEFAULT_PATH, &s);
	CHECK(r == -EACCES, "directory: -EACCES");
	r = path_find_executable("sh", "::/nonexistent:", &s);
	CHECK(r == -ENOENT, "empty path entries are skipped");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	return failures ? 1 : 0;
}
