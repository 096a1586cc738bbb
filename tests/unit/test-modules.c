#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/strv.h"
#include "init/modules.h"

#include "test.h"

static char base[] = "/tmp/test-modules.XXXXXX";

static void put(const char *rel, const char *content)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	f = fopen(path, "we");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(content, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (mkdir(path, 0755) < 0) {
		perror(path);
		exit(1);
	}
}

static void link_to(const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (symlink(target, path) < 0) {
		perror(path);
		exit(1);
	}
}

static int collect(char ***ret)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/devices", base);
	return modules_collect_aliases(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret);
}

int main(void)
{
	char deep[4096] = "devices", cmd[4096];
	char **l = NULL, *joined = NULL;
	int r;

	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 77;
	}

	/* A small /sys/devices: a PCI bus with a virtio child, duplicates, empties, symlinks. */
	dir("devices");
	dir("devices/pci0000:00");
	put("devices/pci0000:00/modalias", "pci:v1\n");
	dir("devices/pci0000:00/0000:00:01.0");
	put("devices/pci0000:00/0000:00:01.0/modalias", "pci:v2\n");
	dir("devices/pci0000:00/0000:00:01.0/virtio0");
	put("devices/pci0000:00/0000:00:01.0/virtio0/modalias", "virtio:d00000001v00001AF4\n");
	dir("devices/pci0000:00/0000:00:02.0");
	put("devices/pci0000:00/0000:00:02.0/modalias", "pci:v2\n");
	put("devices/pci0000:00/0000:00:02.0/uevent", "MODALIAS=pci:v3\n");
	dir("devices/platform");
	put("devices/platform/modalias", "\n");
	dir("outside");
	put("outside/modalias", "outside:followed-a-directory-link\n");
	dir("outside2");
	put("outside2/alias", "outside:followed-a-file-link\n");
	link_to("../outside", "devices/subsystem");
	link_to("../../outside2/alias", "devices/platform/driver_modalias");
	dir("devices/virtual");
	link_to("../../outside2/alias", "devices/virtual/modalias");

	/* A chain deeper than MODULES_DEPTH_MAX, with an alias at a reachable depth. */
	for (int i = 0; i < MODULES_DEPTH_MAX + 5; i++) {
		strcat(deep, "/d");
		dir(deep);
		if (i == 10) {
			char f[8192];

			snprintf(f, sizeof(f), "%s/modalias", deep);
			put(f, "deep:10\n");
		}
	}
	strcat(deep, "/modalias");
	put(deep, "deep:too-deep\n");

	r = collect(&l);
	if (r == 0)
		strv_join(l, " ", &joined);
	CHECK(r == 0, "collect succeeds");
	CHECK(joined && strcmp(joined, "deep:10 pci:v1 pci:v2 virtio:d00000001v00001AF4") == 0,
	      "unique, sorted, no symlinks followed, depth bounded (got [%s])",
	      joined ? joined : "");
	free(joined);
	strv_free(l);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/devices/*", base);
	if (system(cmd) != 0)
		return 77;
	l = NULL;
	r = collect(&l);
	CHECK(r == 0 && l && l[0] == NULL, "empty tree gives an empty vector");
	strv_free(l);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", base);
	return failures ? 1 : 0;
}
