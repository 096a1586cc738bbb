/* sources: src/basic/parse-util.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "basic/parse-util.h"

#include "test.h"

static void check_bool(const char *s, int er, bool ev)
{
	bool v = !ev;
	int r = parse_bool(s, &v);

	CHECK(r == er && (r < 0 ? v == !ev : v == ev), "parse_bool('%s')", s);
}

static void check_uint(const char *s, unsigned max, int er, unsigned ev)
{
	unsigned v = 12345;
	int r = parse_uint(s, max, &v);

	CHECK(r == er && v == (r < 0 ? 12345 : ev), "parse_uint('%s', %u) -> %d %u", s, max, er,
	      ev);
}

int main(void)
{
	check_bool("1", 0, true);
	check_bool("yes", 0, true);
	check_bool("TRUE", 0, true);
	check_bool("on", 0, true);
	check_bool("0", 0, false);
	check_bool("No", 0, false);
	check_bool("off", 0, false);
	check_bool("", -EINVAL, false);
	check_bool("2", -EINVAL, false);
	check_bool("yes ", -EINVAL, true);

	check_uint("0", 10, 0, 0);
	check_uint("60", 86400, 0, 60);
	check_uint("86400", 86400, 0, 86400);
	check_uint("86401", 86400, -ERANGE, 0);
	check_uint("99999999999999999999999", 86400, -ERANGE, 0);
	check_uint("", 10, -EINVAL, 0);
	check_uint("-1", 10, -EINVAL, 0);
	check_uint("+1", 10, -EINVAL, 0);
	check_uint(" 1", 10, -EINVAL, 0);
	check_uint("1s", 10, -EINVAL, 0);
	return failures ? 1 : 0;
}
