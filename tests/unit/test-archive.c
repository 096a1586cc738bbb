/* sources: src/agent/archive.c src/basic/hexdecoct.c */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "agent/archive.h"
#include "basic/hexdecoct.h"
#include "test.h"

static int run(const char *cmd)
{
	int r = system(cmd);

	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

int main(void)
{
	char dir[] = "/tmp/test-archive.XXXXXX", cmd[512];
	uint8_t *tarball = NULL, *gz = NULL, big[1000];
	size_t tar_len = 0, gz_len = 0;
	struct tar t = {0};
	char *b64;
	FILE *f;

	b64 = base64_encode("", 0);
	CHECK(b64 && strcmp(b64, "") == 0, "base64 of nothing");
	free(b64);
	b64 = base64_encode("f", 1);
	CHECK(strcmp(b64, "Zg==") == 0, "base64 'f' (RFC 4648)");
	free(b64);
	b64 = base64_encode("fo", 2);
	CHECK(strcmp(b64, "Zm8=") == 0, "base64 'fo'");
	free(b64);
	b64 = base64_encode("foobar", 6);
	CHECK(strcmp(b64, "Zm9vYmFy") == 0, "base64 'foobar'");
	free(b64);

	memset(big, 'x', sizeof(big));
	CHECK(tar_add(&t, "agent.log", "line one\nline two\n", 18, 1700000000) == 0, "tar: add");
	CHECK(tar_add(&t, "dmesg", big, sizeof(big), 0) == 0, "tar: add 1000 bytes");
	CHECK(tar_add(&t, "empty", "", 0, 0) == 0, "tar: add an empty file");
	{
		char name[120];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		CHECK(tar_add(&t, name, "", 0, 0) < 0, "tar: a name of 119 bytes is refused");
	}
	CHECK(tar_finish(&t, &tarball, &tar_len) == 0 && tar_len % 512 == 0, "tar: finished");
	CHECK(gzip_compress(tarball, tar_len, &gz, &gz_len) == 0 && gz_len > 18, "gzip");
	b64 = base64_encode(gz, gz_len);
	CHECK(b64 != NULL, "base64 of the tar.gz");

	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/logs.b64", dir);
	f = fopen(cmd, "w");
	fputs(b64, f);
	fclose(f);
	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && base64 -d logs.b64 > logs.tar.gz && tar -xzf logs.tar.gz && "
	    "printf 'line one\\nline two\\n' | cmp - agent.log && test $(wc -c < dmesg) = 1000 "
	    "&& test -f empty && test \"$(tar -tvzf logs.tar.gz | head -n 1 | awk '{print $1}')\" "
	    "= -rw-r--r--",
	    dir);
	CHECK(run(cmd) == 0, "GNU tar reads it back: names, contents, sizes, modes");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
	free(b64);
	free(gz);
	free(tarball);
	tar_done(&t);
	return failures ? 1 : 0;
}
