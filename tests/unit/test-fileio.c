/* sources: src/basic/fileio.c */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fileio.h"

#include "test.h"

static int dirfd_tmp = -1;

static void put(const char *name, const char *content, size_t len)
{
	int fd = openat(dirfd_tmp, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write_all(fd, content, len) < 0) {
		perror(name);
		exit(1);
	}
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/test-fileio.XXXXXX", line[16] = "untouched", big[5000], *s = NULL;
	size_t len = 0;
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 77;
	}
	dirfd_tmp = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	put("attr", "ttyS0 \n", 7);
	r = read_line_at(dirfd_tmp, "attr", line, sizeof(line));
	CHECK(r == 5 && strcmp(line, "ttyS0") == 0, "read_line_at strips newline and blanks");

	put("two", "first\nsecond\n", 13);
	r = read_line_at(dirfd_tmp, "two", line, sizeof(line));
	CHECK(r == 5 && strcmp(line, "first") == 0, "read_line_at reads the first line only");

	put("empty", "", 0);
	r = read_line_at(dirfd_tmp, "empty", line, sizeof(line));
	CHECK(r == 0 && line[0] == '\0', "empty file: empty line");

	strcpy(line, "untouched");
	put("long", "0123456789abcdef\n", 17);
	r = read_line_at(dirfd_tmp, "long", line, sizeof(line));
	CHECK(r == -E2BIG && strcmp(line, "untouched") == 0, "line longer than buffer: -E2BIG");

	put("nul", "a\0b\n", 4);
	r = read_line_at(dirfd_tmp, "nul", line, sizeof(line));
	CHECK(r == -EBADMSG, "NUL byte in line: -EBADMSG");

	memset(big, 'x', sizeof(big));
	put("page", big, sizeof(big));
	r = read_line_at(dirfd_tmp, "page", line, sizeof(line));
	CHECK(r == -E2BIG, "more than a page: -E2BIG");

	r = read_line_at(dirfd_tmp, "missing", line, sizeof(line));
	CHECK(r == -ENOENT, "missing file: -ENOENT");

	r = read_full_file_at(dirfd_tmp, "two", 13, &s, &len);
	CHECK(r == 0 && len == 13 && strcmp(s, "first\nsecond\n") == 0,
	      "read_full_file_at at exactly max");
	free(s);
	s = NULL;
	r = read_full_file_at(dirfd_tmp, "two", 12, &s, &len);
	CHECK(r == -EFBIG && s == NULL, "one byte over max: -EFBIG, output untouched");
	r = read_full_file_at(dirfd_tmp, "empty", 10, &s, NULL);
	CHECK(r == 0 && s && s[0] == '\0', "empty file, ret_size optional");
	free(s);

	r = read_full_file_at(AT_FDCWD, "/proc/self/stat", 4096, &s, &len);
	if (r == 0) {
		CHECK(len > 0 && strlen(s) == len, "procfs file (size 0 in stat) read fully");
		free(s);
	}

	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("warning: could not remove %s\n", dir);
	}
	close(dirfd_tmp);
	return failures ? 1 : 0;
}
