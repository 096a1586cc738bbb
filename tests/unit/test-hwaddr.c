/* sources: src/basic/hwaddr.c src/basic/hexdecoct.c */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/hwaddr.h"

#include "test.h"

static void check(int (*parse)(const char *, struct hwaddr *), const char *fn, const char *in,
		  const char *expected)
{
	struct hwaddr a = {{0xee, 0xee, 0xee, 0xee, 0xee, 0xee}};
	char buf[HWADDR_STR_MAX];
	int r = parse(in, &a);

	hwaddr_format(&a, buf);
	if (expected)
		CHECK(r == 0 && strcmp(buf, expected) == 0, "%s('%s') = %s (got %d %s)", fn, in,
		      expected, r, buf);
	else
		CHECK(r == -EINVAL && strcmp(buf, "ee:ee:ee:ee:ee:ee") == 0,
		      "%s('%s') rejected, output untouched", fn, in);
}

#define CHECK_PARSE(in, exp)  check(hwaddr_parse, "hwaddr_parse", in, exp)
#define CHECK_BOOTIF(in, exp) check(hwaddr_parse_bootif, "hwaddr_parse_bootif", in, exp)

int main(void)
{
	struct hwaddr a, b;

	CHECK_PARSE("52:54:00:12:34:56", "52:54:00:12:34:56");
	CHECK_PARSE("AA:BB:CC:DD:EE:FF", "aa:bb:cc:dd:ee:ff");
	CHECK_PARSE("aa-bb-cc-dd-ee-0f", "aa:bb:cc:dd:ee:0f");
	CHECK_PARSE("aa:bb-cc:dd:ee:ff", NULL);
	CHECK_PARSE("aa:bb:cc:dd:ee", NULL);
	CHECK_PARSE("aa:bb:cc:dd:ee:ff:00", NULL);
	CHECK_PARSE("aa:bb:cc:dd:ee:f", NULL);
	CHECK_PARSE("aa:bb:cc:dd:ee:fg", NULL);
	CHECK_PARSE("aabbccddeeff", NULL);
	CHECK_PARSE("", NULL);
	CHECK_PARSE("aa:bb:cc:dd:ee:ff ", NULL);

	CHECK_BOOTIF("01-52-54-00-12-34-56", "52:54:00:12:34:56");
	CHECK_BOOTIF("01-AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff");
	CHECK_BOOTIF("52:54:00:12:34:56", "52:54:00:12:34:56");
	CHECK_BOOTIF("52-54-00-12-34-56", "52:54:00:12:34:56");
	CHECK_BOOTIF("06-52-54-00-12-34-56", NULL); /* IEEE 802 token ring, not Ethernet */
	CHECK_BOOTIF("01:52:54:00:12:34:56", NULL);
	CHECK_BOOTIF("01-52-54-00-12-34", "01:52:54:00:12:34"); /* six pairs: a plain address */
	CHECK_BOOTIF("01-52-54-00-12-34-5", NULL);
	CHECK_BOOTIF("", NULL);

	hwaddr_parse("52:54:00:12:34:56", &a);
	hwaddr_parse_bootif("01-52-54-00-12-34-56", &b);
	CHECK(hwaddr_equal(&a, &b), "hwaddr_equal() on the same address");
	b.bytes[5] ^= 1;
	CHECK(!hwaddr_equal(&a, &b), "hwaddr_equal() on different addresses");

	return failures ? 1 : 0;
}
