#define _GNU_SOURCE 1 /* asprintf() */

/*
 * The log extension: collect_system_logs (IPA's extensions/log.py, utils.collect_system_logs)
 * returns {"system_logs": "<base64 of a .tar.gz>"}. IPA packs the journal and command outputs;
 * the ramdisk has no journal, so the tarball holds the agent's log, the kernel's (dmesg), the
 * init's, and the /proc files that answer IPA's commands (mounts, partitions, meminfo, net/dev,
 * the routes).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/archive.h"
#include "agent/extensions.h"
#include "agent/log.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/hexdecoct.h"

#define LOG_FILE_MAX (2 * 1024 * 1024)

static void add_file(struct tar *t, int root_fd, const char *name, const char *path, time_t now)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_full_file_at(root_fd, path, LOG_FILE_MAX, &buf, &len);

	if (r < 0) {
		log_debug("collect_system_logs: %s: %s", path, strerror(-r));
		return;
	}
	if (tar_add(t, name, buf, len, now) < 0)
		log_warning("collect_system_logs: %s left out: the archive is full", name);
}

static void add_dmesg(struct tar *t, time_t now)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	_cleanup_free_ char *buf = NULL;
	int n;

	if (size <= 0)
		return;
	buf = malloc((size_t)size);
	if (!buf)
		return;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n > 0 && tar_add(t, "dmesg", buf, (size_t)n, now) < 0)
		log_warning("collect_system_logs: dmesg left out: the archive is full");
}

char *agent_logs_base64(struct agent *a, char **ret_error)
{
	_cleanup_free_ uint8_t *tarball = NULL, *gz = NULL;
	_cleanup_free_ char *ring = NULL;
	size_t ring_len = 0, tar_len = 0, gz_len = 0;
	struct tar t = {0};
	time_t now = time(NULL);
	char *b64;
	int r;

	ring = log_ring_dup(&ring_len);
	if (ring)
		(void)tar_add(&t, "ingot-agent.log", ring, ring_len, now);
	add_dmesg(&t, now);
	add_file(&t, a->root_fd, "ingot-init.log", "run/ingot/init.log", now);
	add_file(&t, a->root_fd, "mount", "proc/mounts", now);
	add_file(&t, a->root_fd, "partitions", "proc/partitions", now);
	add_file(&t, a->root_fd, "meminfo", "proc/meminfo", now);
	add_file(&t, a->root_fd, "net_dev", "proc/net/dev", now);
	add_file(&t, a->root_fd, "ip_route", "proc/net/route", now);
	add_file(&t, a->root_fd, "ipv6_route", "proc/net/ipv6_route", now);

	r = tar_finish(&t, &tarball, &tar_len);
	if (r >= 0)
		r = gzip_compress(tarball, tar_len, &gz, &gz_len);
	tar_done(&t);
	b64 = r >= 0 ? base64_encode(gz, gz_len) : NULL;
	if (!b64 &&
	    asprintf(ret_error, "cannot pack the logs: %s", strerror(r < 0 ? -r : ENOMEM)) < 0)
		*ret_error = NULL;
	return b64;
}

HANDLER(log_collect_system_logs)
{
	_cleanup_free_ char *error = NULL;
	char *b64;

	(void)params;
	b64 = agent_logs_base64(command_context_userdata(ctx), &error);
	if (!b64) {
		*ret_error =
		    agent_error_new("CommandExecutionError", 500, "Command execution failed", "%s",
				    error ? error : "out of memory");
		return COMMAND_ERROR;
	}
	*ret_result = json_object_new_object();
	json_object_object_add(*ret_result, "system_logs", json_object_new_string(b64));
	free(b64);
	return COMMAND_OK;
}
