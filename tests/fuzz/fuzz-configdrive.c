/* sources: src/agent/configdrive.c src/agent/ptable.c src/basic/fileio.c
 * src/basic/hexdecoct.c */
/*
 * The config drive as the conductor sends it (base64 of gzip, in a JSON string) or as the agent
 * downloads it (bytes), through configdrive_decode() with small limits. The input is decoded
 * as it is, with and without raw_ok and with limits of 4 KiB and 64 KiB, and also base64-encoded
 * here first, so that the fuzzer mutates the gzip stream itself. configdrive_partition_path()
 * gets the input's first line as the disk name.
 *
 * Invariants: only the documented return values, a message with each error but -ENOMEM, no
 * output over the limit, the same output under both limits when it fits both, raw bytes handed
 * back unchanged.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/configdrive.h"
#include "basic/hexdecoct.h"

#include "fuzz.h"

#define SMALL 4096
#define LARGE 65536

struct decoded {
	int r;
	uint8_t *out;
	size_t size;
};

static struct decoded decode(const void *data, size_t size, bool raw_ok, size_t max)
{
	struct decoded d = {0};
	char err[CONFIGDRIVE_ERROR_MAX] = "";

	d.r = configdrive_decode(data, size, raw_ok, max, &d.out, &d.size, err, sizeof(err));
	FUZZ_CHECK(d.r == 0 || d.r == -EBADMSG || d.r == -EFBIG || d.r == -ENOMEM,
		   "configdrive_decode returned %d (%s)", d.r, err);
	FUZZ_CHECK(d.r == 0 || d.r == -ENOMEM || err[0], "configdrive_decode %d without a message",
		   d.r);
	FUZZ_CHECK(d.r != 0 || d.out, "configdrive_decode succeeded without a buffer");
	FUZZ_CHECK(d.r != 0 || d.size <= max, "configdrive_decode gave %zu bytes over %zu", d.size,
		   max);
	if (d.r != 0)
		d.out = NULL;
	return d;
}

/* Decoding must not depend on the limit when the output fits under both. */
static void compare(const struct decoded *small, const struct decoded *large)
{
	if (small->r == 0)
		FUZZ_CHECK(large->r == 0 && large->size == small->size &&
			       memcmp(large->out, small->out, small->size) == 0,
			   "decoded under %d but not the same under %d", SMALL, LARGE);
	if (large->r == 0 && large->size <= SMALL)
		FUZZ_CHECK(small->r == 0, "%zu bytes decoded under %d but not under %d",
			   large->size, LARGE, SMALL);
	if (large->r == 0 && large->size > SMALL)
		FUZZ_CHECK(small->r == -EFBIG, "%zu bytes under a limit of %d: %d", large->size,
			   SMALL, small->r);
}

static void fuzz_path(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t n = size;
	char *disk = fuzz_take_until(&p, &n, "\n");
	char buf[CONFIGDRIVE_PATH_MAX];
	unsigned number = size > 0 ? data[size - 1] : 1;
	int r;

	r = configdrive_partition_path(disk, number, buf, sizeof(buf));
	if (r == 0) {
		FUZZ_CHECK(memchr(buf, 0, sizeof(buf)), "partition path unterminated");
		FUZZ_CHECK(strncmp(buf, disk, strlen(disk)) == 0, "%s is not a partition of %s",
			   buf, disk);
	}
	free(disk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoded small, large, raw;
	char *b64;

	/* As the conductor sends it: text that must be base64. Downloaded (raw_ok), bytes that
	 * are not base64 are the config drive; what is base64 decodes the same either way. */
	small = decode(data, size, false, SMALL);
	large = decode(data, size, false, LARGE);
	raw = decode(data, size, true, SMALL);
	compare(&small, &large);
	if (small.r == 0)
		FUZZ_CHECK(raw.r == 0 && raw.size == small.size &&
			       memcmp(raw.out, small.out, small.size) == 0,
			   "raw_ok changed a base64 config drive");
	else if (raw.r == 0)
		FUZZ_CHECK(raw.size == size && memcmp(raw.out, data, size) == 0,
			   "raw config drive changed");
	free(small.out);
	free(large.out);
	free(raw.out);

	/* The fuzzer's bytes as the gzip stream. */
	b64 = base64_encode(data, size);
	small = decode(b64, strlen(b64), false, SMALL);
	large = decode(b64, strlen(b64), false, LARGE);
	compare(&small, &large);
	free(small.out);
	free(large.out);
	free(b64);

	fuzz_path(data, size);
	return 0;
}
