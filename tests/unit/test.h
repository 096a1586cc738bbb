/* test.h: the check macro shared by the unit tests, one binary per module.
 * A test prints one line per check and exits 0 when all passed, 1 otherwise. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		bool ok_ = (cond);                                                                 \
		printf("%s - ", ok_ ? "ok" : "FAIL");                                              \
		printf(__VA_ARGS__);                                                               \
		printf(ok_ ? "\n" : " (%s:%d)\n", __FILE__, __LINE__);                             \
		failures += !ok_;                                                                  \
	} while (0)
