/* sources: src/basic/conf.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/conf.h"

#include "test.h"

struct pairs {
	char text[8192];
};

static int collect(const char *key, const char *value, unsigned line, void *userdata)
{
	struct pairs *p = userdata;
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%u:", p->text[0] ? "|" : "", line);
	strcat(p->text, buf);
	strcat(p->text, key);
	strcat(p->text, "=");
	strcat(p->text, value);
	return 0;
}

static void check_ok(const char *name, const char *in, const char *expected)
{
	struct pairs p = {{0}};
	unsigned line = 0;
	int r = conf_parse(in, strlen(in), collect, &p, &line);

	if (r == 0 && strcmp(p.text, expected) == 0)
		CHECK(true, "%s", name);
	else
		CHECK(false, "%s: got %d [%s]", name, r, p.text);
}

static void check_err(const char *name, const char *in, int expected_r, unsigned expected_line)
{
	struct pairs p = {{0}};
	unsigned line = 0;
	int r = conf_parse(in, strlen(in), collect, &p, &line);

	CHECK(r == expected_r && line == expected_line, "%s -> %s at line %u (got %d at %u)", name,
	      strerror(-expected_r), expected_line, r, line);
}

static int fail_on_second(const char *key, const char *value, unsigned line, void *userdata)
{
	(void)key, (void)value, (void)userdata;
	return line == 2 ? -ECANCELED : 0;
}

int main(void)
{
	char *big;
	unsigned line = 0;
	int r;

	check_ok("empty file", "", "");
	check_ok("comments and blank lines", "# c\n\n   # indented\n\t\n", "");
	check_ok("simple", "A=1\nB=two\n", "1:A=1|2:B=two");
	check_ok("no final newline", "A=1", "1:A=1");
	check_ok("CRLF line ends", "A=1\r\nB=2\r\n", "1:A=1|2:B=2");
	check_ok("blanks around '='", "  A = 1 \n", "1:A=1");
	check_ok("empty value", "AGENT=\nB=\"\"", "1:AGENT=|2:B=");
	check_ok("double quotes", "AGENT=\"/usr/bin/ingot-agent --debug\"",
		 "1:AGENT=/usr/bin/ingot-agent --debug");
	check_ok("escapes in double quotes", "A=\"x \\\"y\\\" \\\\ \\$z \\n\"",
		 "1:A=x \"y\" \\ $z \\n");
	check_ok("single quotes", "A='a \"b\" \\n'", "1:A=a \"b\" \\n");
	check_ok("comment after quoted value", "A=\"v\"  # note", "1:A=v");
	check_ok("comment after unquoted value", "A=v w # note", "1:A=v w");
	check_ok("'#' inside a word is data", "A=v#w", "1:A=v#w");
	check_ok("repeated keys reported in order", "A=1\nA=2", "1:A=1|2:A=2");
	check_ok("lease record", "ip=10.0.2.15\nprefix=24\nrouter=\ndns=\"10.0.2.3 1.1.1.1\"\n",
		 "1:ip=10.0.2.15|2:prefix=24|3:router=|4:dns=10.0.2.3 1.1.1.1");

	check_err("no '='", "A=1\nJUNK\n", -EINVAL, 2);
	check_err("bad key", "1A=x", -EINVAL, 1);
	check_err("key with '-'", "A-B=x", -EINVAL, 1);
	check_err("unterminated double quote", "A=1\n\nB=\"x\n", -EINVAL, 3);
	check_err("unterminated single quote", "B='x", -EINVAL, 1);
	check_err("text after closing quote", "B=\"x\"y", -EINVAL, 1);

	{
		const char in[] = "A=1\nB=\0\n";

		r = conf_parse(in, sizeof(in) - 1, collect, &(struct pairs){{0}}, &line);
		CHECK(r == -EINVAL && line == 2, "NUL byte rejected");
	}

	r = conf_parse("A=1\nB=2\nC=3", 11, fail_on_second, NULL, &line);
	CHECK(r == -ECANCELED && line == 2, "callback error stops at its line");

	big = malloc(CONF_FILE_MAX + 16);
	memset(big, '#', CONF_FILE_MAX + 16);
	big[CONF_LINE_MAX] = '\n';
	r = conf_parse(big, CONF_LINE_MAX + 1, collect, &(struct pairs){{0}}, &line);
	CHECK(r == 0, "line of CONF_LINE_MAX bytes accepted");
	r = conf_parse(big, CONF_LINE_MAX + 2, collect, &(struct pairs){{0}}, &line);
	CHECK(r == 0, "CONF_LINE_MAX line, newline, then 1 byte accepted");
	big[CONF_LINE_MAX] = '#';
	r = conf_parse(big, CONF_LINE_MAX + 1, collect, &(struct pairs){{0}}, &line);
	CHECK(r == -E2BIG && line == 1, "line of CONF_LINE_MAX + 1 bytes rejected with -E2BIG");
	r = conf_parse(big, CONF_FILE_MAX + 1, collect, &(struct pairs){{0}}, &line);
	CHECK(r == -EFBIG, "more than CONF_FILE_MAX bytes rejected with -EFBIG");
	free(big);

	return failures ? 1 : 0;
}
