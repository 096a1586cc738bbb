/* sources: src/init/console.c src/basic/fileio.c */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

int main(void)
{
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
