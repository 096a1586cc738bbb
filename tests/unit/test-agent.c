/*
 * The agent's life against a stand-in for Ironic's ramdisk endpoints on loopback
 * (tests/unit/data/ironic-stub.py; the end-to-end tests use the real Ironic): the lookup goes
 * through a 409 (IPA's extra 5 s pause) and a 404 before it gets the node and the token, the
 * first heartbeat goes at once with the fields API 1.68 allows, a finished command brings a
 * forced heartbeat within about 5 s, and a lookup that never succeeds gives up after
 * ipa-lookup-timeout. Also the MAC addresses lookup sends, from a sysfs tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/strv.h"
#include "test.h"

#define TOKEN "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU"

struct stub {
	pid_t pid;
	int in;
	int port;
};

static int stub_start(struct stub *s, const char *mode)
{
	char file[PATH_MAX], script[PATH_MAX + 64], port[16] = "";
	int in[2], out[2];
	ssize_t n;

	snprintf(file, sizeof(file), "%s", __FILE__);
	snprintf(script, sizeof(script), "%s/data/ironic-stub.py", dirname(file));
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("python3", "python3", script, mode, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->in = in[1];
	/* Up to the newline: the port may come in more than one write. */
	n = 0;
	while ((size_t)n < sizeof(port) - 1 && !strchr(port, '\n')) {
		ssize_t k = read(out[0], port + n, sizeof(port) - 1 - (size_t)n);

		if (k <= 0)
			break;
		n += k;
	}
	close(out[0]);
	s->port = n > 0 ? atoi(port) : -1;
	return s->port > 0 ? 0 : -1;
}

static void stub_stop(struct stub *s)
{
	close(s->in);
	waitpid(s->pid, NULL, 0);
}

/* What the stub saw, as a JSON array. */
static json_object *stub_requests(struct agent *a)
{
	struct http_response resp;
	json_object *o = NULL;

	if (ironic_client_request(a->ironic, "GET", "/_requests", (struct ironic_version){0, 0},
				  NULL, &resp) == 0)
		o = json_tokener_parse(resp.body);
	http_response_done(&resp);
	return o;
}

static void setup(struct agent *a, struct stub *s, char **urls, char *url, size_t size)
{
	agent_init(a);
	snprintf(url, size, "http://127.0.0.1:%d/", s->port);
	urls[0] = url;
	urls[1] = NULL;
	a->root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	a->ironic =
	    ironic_client_new(&(struct ironic_client_options){.api_urls = urls, .timeout_s = 10});
	a->conf.lookup_interval = 1;
	a->conf.lookup_timeout = 30;
}

static void *heartbeat_thread(void *arg)
{
	agent_heartbeat_loop(arg);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_lookup_and_heartbeats(void)
{
	struct agent a;
	struct stub s;
	char url[64], *urls[2];
	json_object *seen;
	pthread_t t;
	double t0;
	size_t n_lookups = 0, n_heartbeats = 0;
	double first_lookup = 0, last_lookup = 0, hb[8] = {0};

	if (stub_start(&s, "normal") < 0) {
		CHECK(false, "the Ironic stand-in started");
		return;
	}
	setup(&a, &s, urls, url, sizeof(url));
	a.api = api_new(NULL, AGENT_VERSION, 0);
	a.callback_url = strdup("http://127.0.0.1:9999");

	{
		char cb[96], *cbs[2] = {cb, NULL};
		char *uuid = NULL;

		snprintf(cb, sizeof(cb), "http://127.0.0.1:%d/v1/continue", s.port);
		a.conf.inspection_callback_urls = cbs;
		a.conf.inspection_dhcp_wait_timeout = 0;
		CHECK(agent_inspect(&a, &uuid) == 0 && uuid &&
			  strcmp(uuid, "ef9bfa3d-084b-4ed6-9c94-56d383f704dc") == 0,
		      "inspection: the body posted, the node UUID taken from the answer");
		a.conf.inspection_callback_urls = NULL;
		a.inspected_uuid = uuid;
	}

	t0 = now();
	CHECK(agent_lookup(&a) == 0, "lookup succeeds after a 409 and a 404");
	CHECK(a.node_uuid && strcmp(a.node_uuid, "ef9bfa3d-084b-4ed6-9c94-56d383f704dc") == 0 &&
		  a.token && strcmp(a.token, TOKEN) == 0 && a.heartbeat_timeout == 300 &&
		  a.api_version.major == 1 && a.api_version.minor == 82 && !a.md5_enabled,
	      "node, token, heartbeat_timeout, API version and the md5 switch kept");
	{
		_cleanup_json_ json_object *node = agent_node_get(&a);

		CHECK(json_get(json_get(node, "properties", json_type_object), "root_device",
			       json_type_object),
		      "the node is cached for root device hints");
	}
	CHECK(now() - t0 >= 5.0, "the 409 cost IPA's 5 s pause (%.1f s)", now() - t0);

	pthread_create(&t, NULL, heartbeat_thread, &a);
	sleep(1);
	agent_heartbeat_soon(&a); /* a command finished */
	sleep(6);
	agent_stop_heartbeats(&a);
	pthread_join(t, NULL);

	seen = stub_requests(&a);
	for (size_t i = 0; seen && i < json_object_array_length(seen); i++) {
		json_object *r = json_object_array_get_idx(seen, i);
		const char *path = json_get_string(r, "path");
		const char *version = json_get_string(r, "version");
		double when = json_object_get_double(json_object_object_get(r, "t"));

		if (path && strcmp(path, "/v1/continue") == 0) {
			json_object *b = json_object_object_get(r, "body");

			CHECK(!version && json_get(b, "inventory", json_type_object) &&
				  json_get_string(b, "logs") &&
				  json_object_object_get_ex(b, "error", NULL) &&
				  json_get(json_get(b, "inventory", json_type_object), "interfaces",
					   json_type_array),
			      "inspection body: inventory with interfaces, logs, error; no version "
			      "header");
		} else if (path && strncmp(path, "/v1/lookup", 10) == 0) {
			if (!n_lookups++)
				first_lookup = when;
			last_lookup = when;
			CHECK(
			    version && strcmp(version, "1.62") == 0 && strstr(path, "addresses="),
			    "lookup %zu: version 1.62, addresses and the inspected node_uuid (%s)",
			    n_lookups, path);
		} else if (path && strncmp(path, "/v1/heartbeat/", 14) == 0) {
			json_object *b = json_object_object_get(r, "body");

			if (n_heartbeats < ELEMENTSOF(hb))
				hb[n_heartbeats] = when;
			n_heartbeats++;
			CHECK(
			    version && strcmp(version, "1.68") == 0 &&
				strcmp(path,
				       "/v1/heartbeat/ef9bfa3d-084b-4ed6-9c94-56d383f704dc") == 0 &&
				strcmp(json_get_string(b, "callback_url") ?: "",
				       "http://127.0.0.1:9999") == 0 &&
				strcmp(json_get_string(b, "agent_token") ?: "", TOKEN) == 0 &&
				strcmp(json_get_string(b, "agent_version") ?: "", AGENT_VERSION) ==
				    0 &&
				!json_get(b, "agent_verify_ca", json_type_string),
			    "heartbeat %zu: version 1.68, callback_url, token, agent_version",
			    n_heartbeats);
		}
	}
	CHECK(n_lookups == 3, "three lookups (409, 404, 200): %zu", n_lookups);
	CHECK(last_lookup - first_lookup >= 5.0, "the retries were spaced by the backoff");
	CHECK(n_heartbeats == 2, "two heartbeats: the first at once, then a forced one (%zu)",
	      n_heartbeats);
	CHECK(n_heartbeats >= 2 && hb[1] - hb[0] >= 4.5 && hb[1] - hb[0] < 8.0,
	      "the forced heartbeat came about 5 s after the first (%.1f s)", hb[1] - hb[0]);
	json_object_put(seen);

	api_free(a.api);
	a.api = NULL;
	agent_done(&a);
	stub_stop(&s);
}

static void test_lookup_timeout(void)
{
	struct agent a;
	struct stub s;
	char url[64], *urls[2];
	double t0;
	int r;

	if (stub_start(&s, "404") < 0) {
		CHECK(false, "the Ironic stand-in started");
		return;
	}
	setup(&a, &s, urls, url, sizeof(url));
	a.conf.lookup_timeout = 3;
	t0 = now();
	r = agent_lookup(&a);
	CHECK(r == -ETIMEDOUT && now() - t0 >= 3.0 && now() - t0 < 12.0,
	      "a lookup that keeps failing gives up after ipa-lookup-timeout (%.1f s)", now() - t0);
	agent_done(&a);
	stub_stop(&s);
}

/* dir/sys/class/net/<name>/{type,address} */
static void net_if(const char *dir, const char *name, const char *type, const char *mac)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/sys/class/net/%s && echo %s > %s/sys/class/net/%s/type && "
		 "echo %s > %s/sys/class/net/%s/address",
		 dir, name, type, dir, name, mac, dir, name);
	if (system(cmd) != 0)
		printf("cannot run: %s\n", cmd);
}

static void test_macs(void)
{
	char dir[] = "/tmp/test-agent.XXXXXX", cmd[128];
	char **macs = NULL;
	int fd;

	if (!mkdtemp(dir))
		return;
	net_if(dir, "lo", "772", "00:00:00:00:00:00");
	net_if(dir, "eth1", "1", "52:54:00:ab:cd:ef");
	net_if(dir, "eth0", "1", "52:54:00:12:34:56");
	net_if(dir, "ib0", "32", "80:00:00:48:fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:01");
	net_if(dir, "dummy0", "1", "00:00:00:00:00:00");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(agent_mac_addresses(fd, &macs) == 0 && strv_length(macs) == 2 &&
		  strcmp(macs[0], "52:54:00:12:34:56") == 0 &&
		  strcmp(macs[1], "52:54:00:ab:cd:ef") == 0,
	      "MACs: Ethernet interfaces only, sorted by name, no loopback or all-zero address "
	      "(%s %s)",
	      macs && macs[0] ? macs[0] : "-", macs && macs[0] && macs[1] ? macs[1] : "-");
	strv_free(macs);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
}

int main(void)
{
	log_set_quiet(getenv("TEST_VERBOSE") == NULL);
	signal(SIGPIPE, SIG_IGN);
	http_global_init();
	test_macs();
	test_lookup_timeout();
	test_lookup_and_heartbeats();
	return failures ? 1 : 0;
}
