/* sources: src/basic/cmdline.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"

#include "test.h"

/* Collects "key=value" / "key" words joined by '|' for comparison. */
struct words {
	char text[8192];
};

static int collect(const char *key, const char *value, void *userdata)
{
	struct words *w = userdata;

	if (w->text[0])
		strcat(w->text, "|");
	strcat(w->text, key);
	if (value) {
		strcat(w->text, "=");
		strcat(w->text, value);
	}
	return 0;
}

/* The input with blanks made visible, so that each check prints as one line. */
static const char *visible(const char *s)
{
	static char buf[256];
	size_t n = 0;

	for (; *s && n < sizeof(buf) - 3; s++) {
		if (*s == '\n' || *s == '\t') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : 't';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void check_words(const char *in, const char *expected)
{
	struct words w = {{0}};
	int r = cmdline_parse(in, strlen(in), collect, &w);

	if (r == 0 && strcmp(w.text, expected) == 0)
		CHECK(true, "parse [%s] -> [%s]", visible(in), expected);
	else
		CHECK(false, "parse [%s] -> [%s], got %d [%s]", visible(in), expected, r, w.text);
}

static int stop_at_b(const char *key, const char *value, void *userdata)
{
	(void)value;
	(*(int *)userdata)++;
	return strcmp(key, "b") == 0 ? -ECANCELED : 0;
}

static void check_get(const char *in, const char *key, int expected_r, const char *expected)
{
	char *v = (char *)"unset";
	int r = cmdline_get(in, strlen(in), key, &v);
	bool ok = r == expected_r &&
		  (r != 1 || (expected ? v && strcmp(v, expected) == 0 : v == NULL)) &&
		  (r == 1 || strcmp(v, "unset") == 0);

	CHECK(ok, "get %s in [%s] -> %d %s", key, in, expected_r, expected ? expected : "(null)");
	if (r == 1)
		free(v);
}

int main(void)
{
	char big[CMDLINE_MAX + 2];
	int calls = 0, r;

	check_words("", "");
	check_words("   \n", "");
	check_words("a", "a");
	check_words("a=1 b=2\n", "a=1|b=2");
	check_words("  a=1\t\tb  ", "a=1|b");
	check_words("console=tty0 console=ttyS0,115200n8", "console=tty0|console=ttyS0,115200n8");
	check_words("ingot.agent=\"/bin/agent --debug\" x", "ingot.agent=/bin/agent --debug|x");
	check_words("\"ingot.agent=/bin/agent --debug\"", "ingot.agent=/bin/agent --debug");
	check_words("a=\"unterminated value", "a=unterminated value");
	check_words("a=b=c", "a=b=c");
	check_words("a= b", "a=|b");
	check_words("=x \"\" y", "y");
	check_words("a=\"\"", "a=");
	check_words("BOOTIF=01-52-54-00-12-34-56 ip=dhcp", "BOOTIF=01-52-54-00-12-34-56|ip=dhcp");

	{
		const char in[] = "a=1\0b=2";
		struct words w = {{0}};

		r = cmdline_parse(in, sizeof(in) - 1, collect, &w);
		CHECK(r == 0 && strcmp(w.text, "a=1|b=2") == 0, "NUL byte separates words");
	}

	r = cmdline_parse("a b c", 5, stop_at_b, &calls);
	CHECK(r == -ECANCELED && calls == 2, "callback error stops the walk");

	check_get("a=1 b=2 a=3", "a", 1, "3");
	check_get("a=1 b a=3 b=4", "b", 1, "4");
	check_get("a=1 b", "b", 1, NULL);
	check_get("a=1 b=2", "c", 0, NULL);
	check_get("ab=1", "a", 0, NULL);
	check_get("", "a", 0, NULL);
	check_get("ingot.shell=1 ingot.shell=0", "ingot.shell", 1, "0");
	check_get("ingot.shell ingot.shell=", "ingot.shell", 1, "");

	memset(big, 'x', sizeof(big));
	r = cmdline_parse(big, CMDLINE_MAX, collect, &(struct words){{0}});
	CHECK(r == 0, "CMDLINE_MAX bytes accepted");
	calls = 0;
	r = cmdline_parse(big, CMDLINE_MAX + 1, stop_at_b, &calls);
	CHECK(r == -E2BIG && calls == 0, "CMDLINE_MAX + 1 bytes rejected with -E2BIG, no callback");
	r = cmdline_get(big, CMDLINE_MAX + 1, "x", NULL);
	CHECK(r == -E2BIG, "cmdline_get() on an over-long line is -E2BIG");

	return failures ? 1 : 0;
}
