/* sources: src/init/console.c src/basic/fileio.c src/basic/fs-util.c */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "init/console.h"

#include "test.h"

static void check(const char *in, size_t max, const char *expected)
{
	char names[CONSOLE_MAX][CONSOLE_NAME_MAX], joined[512] = "";
	size_t n = console_parse_active(in, names, max);

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, names[i]);
	}
	CHECK(strcmp(joined, expected) == 0, "active '%s' (max %zu) -> [%s] (got [%s])", in, max,
	      expected, joined);
}

/* The log file: lines are copied into it, up to CONSOLE_LOG_MAX bytes in all. */
static void check_log_file(void)
{
	char dir[] = "/tmp/test-console.XXXXXX", path[128], cmd[160], buf[256] = "";
	struct console c;
	FILE *f;
	size_t n;

	if (!mkdtemp(dir)) {
		CHECK(false, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/run/ingot/init.log", dir);
	console_init(&c);
	CHECK(console_open_log(&c, path) == 0, "log file opened, its directory created");
	console_log(&c, "hello %d", 1);
	f = fopen(path, "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	CHECK(n > 0 && strcmp(buf, "ingot-init: hello 1\n") == 0, "the line is in the file");
	{
		/* Without consoles the lines also go to stderr: not into this test's output. */
		int saved = dup(2), null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		for (int i = 0; i < 2000; i++)
			console_log(&c, "%0900d", i);
		dup2(saved, 2);
		close(saved);
		close(null);
	}
	f = fopen(path, "r");
	if (f) {
		fseek(f, 0, SEEK_END);
		CHECK(ftell(f) <= CONSOLE_LOG_MAX && ftell(f) > CONSOLE_LOG_MAX - 1024,
		      "the file stops at CONSOLE_LOG_MAX (%ld)", ftell(f));
		fclose(f);
	}
	console_done(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup");
}

int main(void)
{
	check_log_file();
	check("tty0 ttyS0", CONSOLE_MAX, "tty0 ttyS0");
	check("ttyS0", CONSOLE_MAX, "ttyS0");
	check("  hvc0\tttyAMA0  ", CONSOLE_MAX, "hvc0 ttyAMA0");
	check("", CONSOLE_MAX, "");
	check("tty0 tty0 ttyS0", CONSOLE_MAX, "tty0 ttyS0");
	check("../etc/passwd tty0 . .. console ttyS0", CONSOLE_MAX, "tty0 ttyS0");
	check("a/b tty0", CONSOLE_MAX, "tty0");
	check("tty0 ttyS0 ttyS1", 2, "tty0 ttyS0");
	check("averyveryveryverylongconsolename0 tty1", CONSOLE_MAX, "tty1");
	return failures ? 1 : 0;
}
