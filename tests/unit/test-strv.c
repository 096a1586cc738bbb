/* sources: src/basic/strv.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/strv.h"

#include "test.h"

static void check_split(const char *what, const char *in, const char *joined, size_t n)
{
	char **l = NULL, *j = NULL;
	int r = strv_split(in, 16, &l);

	if (r == 0)
		strv_join(l, ",", &j);
	CHECK(r == 0 && strv_length(l) == n && strcmp(j, joined) == 0, "split %s -> [%s]", what,
	      joined);
	free(j);
	strv_free(l);
}

int main(void)
{
	char **l = NULL, *j = NULL;
	int r;

	check_split("a command line", "/usr/bin/ingot-agent --debug",
		    "/usr/bin/ingot-agent,--debug", 2);
	check_split("runs of spaces, tabs, newlines", "  a \t b\nc  ", "a,b,c", 3);
	check_split("empty", "", "", 0);
	check_split("blank", "   ", "", 0);

	r = strv_split("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 16, &l);
	CHECK(r == -E2BIG && l == NULL, "more than max words is -E2BIG, output untouched");

	CHECK(strv_length(NULL) == 0 && !strv_contains(NULL, "a"), "NULL is the empty vector");
	CHECK(strv_extend(&l, "b") == 0 && strv_extend(&l, "a") == 0 && strv_extend(&l, "b") == 0 &&
		  strv_extend(&l, "c") == 0 && strv_extend(&l, "a") == 0,
	      "extend from NULL");
	CHECK(strv_length(l) == 5 && strv_contains(l, "c") && !strv_contains(l, "d"),
	      "length and contains");
	strv_sort_unique(l);
	strv_join(l, " ", &j);
	CHECK(strcmp(j, "a b c") == 0 && strv_length(l) == 3, "sort_unique -> [%s]", j);
	free(j);
	l = strv_free(l);
	CHECK(l == NULL, "strv_free() returns NULL");
	strv_sort_unique(NULL);
	CHECK(true, "sort_unique(NULL) is a no-op");
	return failures ? 1 : 0;
}
