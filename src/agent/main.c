/*
 * ingot-agent: the deploy agent, started by the init in the ramdisk (or by hand on a host for
 * tests). Configuration as IPA reads it (agent/conf.h): the file /etc/ingot/agent.conf, the
 * kernel command line, then the options given here.
 *
 * ingot's own options, before IPA's:
 *   --ingot-root=DIR      read /sys, /proc, /dev and the config file under DIR (default /)
 *   --ingot-fake-power    log power off and reboot instead of doing them (for tests on a host)
 *   --help, --version
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/http.h"
#include "agent/log.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"

#ifndef INGOT_VERSION
#define INGOT_VERSION "dev"
#endif

static void usage(void)
{
	printf("usage: ingot-agent [--ingot-root=DIR] [--ingot-fake-power] [IPA options]\n"
	       "IPA's options are its oslo.config names: --api-url=URL, --debug, "
	       "--listen-port=N, ...\n"
	       "(docs/kernel-parameters.md); the kernel command line is read first.\n");
}

static void log_warnings(struct agent_conf *c)
{
	for (char **w = c->warnings; w && *w; w++)
		log_warning("configuration: %s", *w);
	c->warnings = strv_free(c->warnings);
}

static int load_config(struct agent *a, const char *root, int argc, char **argv)
{
	char path[4096];
	_cleanup_free_ char *cmdline = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") == 0 ? "" : root, AGENT_CONF_FILE);
	r = agent_conf_from_file(&a->conf, path);
	if (r < 0 && r != -ENOENT)
		log_warning("cannot use %s: %s", path, strerror(-r));
	r = read_full_file_at(a->root_fd, "proc/cmdline", 65536, &cmdline, &len);
	if (r >= 0)
		r = agent_conf_from_cmdline(&a->conf, cmdline);
	if (r < 0)
		log_warning("cannot use the kernel command line: %s", strerror(-r));
	log_warnings(&a->conf);
	r = agent_conf_from_argv(&a->conf, argc, argv);
	if (r < 0) {
		for (char **w = a->conf.warnings; w && *w; w++)
			fprintf(stderr, "ingot-agent: %s\n", *w);
		return r;
	}
	log_warnings(&a->conf);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a;
	const char *root = "/";
	char **rest;
	int n_rest = 1, r;
	char *error = NULL;

	signal(SIGPIPE, SIG_IGN);
	agent_init(&a);

	/* ingot's options first; the rest is IPA's. */
	rest = calloc((size_t)argc + 1, sizeof(char *));
	if (!rest)
		return 1;
	rest[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--ingot-root=", 13) == 0)
			root = argv[i] + 13;
		else if (strcmp(argv[i], "--ingot-fake-power") == 0)
			a.dry_power = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ingot-agent %s (IPA-compatible %s)\n", INGOT_VERSION,
			       AGENT_VERSION);
			return 0;
		} else
			rest[n_rest++] = argv[i];
	}

	a.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.root_fd < 0) {
		fprintf(stderr, "ingot-agent: %s: %s\n", root, strerror(errno));
		return 1;
	}
	r = load_config(&a, root, n_rest, rest);
	free(rest);
	if (r < 0)
		return 2;
	log_set_debug(a.conf.debug);
	log_info("ingot-agent %s starting (IPA-compatible %s)", INGOT_VERSION, AGENT_VERSION);

	if (a.conf.hardware_initialization_delay > 0) {
		log_info("waiting %u s (ipa-hardware-initialization-delay)",
			 a.conf.hardware_initialization_delay);
		sleep(a.conf.hardware_initialization_delay);
	}
	if (http_global_init() < 0) {
		log_error("cannot initialise libcurl");
		return 1;
	}

	a.commands = commands_new(agent_commands, agent_commands_n, &a);
	a.api = a.commands ? api_new(a.commands, AGENT_VERSION, (double)time(NULL)) : NULL;
	if (!a.api) {
		log_error("out of memory");
		return 1;
	}
	commands_set_done_callback(a.commands, agent_heartbeat_soon, &a);
	if (a.conf.agent_token) {
		api_set_token(a.api, a.conf.agent_token);
		a.token = strdup(a.conf.agent_token);
	}

	a.server = server_start(
	    a.api,
	    &(struct server_options){.listen_host = a.conf.listen_host, .port = a.conf.listen_port},
	    &error);
	if (!a.server) {
		log_error("%s", error ? error : "cannot start the API server");
		free(error);
		agent_done(&a);
		return 1;
	}
	log_info("API listening on port %u", a.conf.listen_port);

	r = agent_inspect(&a, &a.inspected_uuid);
	if (r < 0) {
		server_stop(a.server);
		agent_done(&a);
		return 1;
	}

	if (!a.conf.api_urls || strcmp(a.conf.api_urls[0], "mdns") == 0) {
		log_warning("no ipa-api-url: serving the API without Ironic");
		for (;;)
			pause();
	}

	a.ironic = ironic_client_new(
	    &(struct ironic_client_options){.api_urls = a.conf.api_urls,
					    .request_id = a.conf.global_request_id,
					    .insecure = a.conf.insecure,
					    .timeout_s = a.conf.http_request_timeout});
	r = a.ironic ? agent_advertise_address(&a, &error) : -ENOMEM;
	if (r < 0) {
		log_error("no address to advertise to Ironic: %s", strerror(-r));
		server_stop(a.server);
		agent_done(&a);
		return 1;
	}
	/* Automatic TLS is issue 6: until the server speaks it, an https callback would fail. */
	if (a.conf.advertise_protocol == AGENT_PROTOCOL_HTTPS)
		log_warning("ipa-advertise-protocol=https: the API does not serve TLS yet; "
			    "advertising http");
	a.callback_url = ironic_callback_url(false, error, a.conf.advertise_port);
	free(error);
	log_info("callback URL %s", a.callback_url);

	r = agent_lookup(&a);
	if (r < 0) {
		/* IPA exits with LookupNodeError; the init starts the agent again. */
		server_stop(a.server);
		agent_done(&a);
		return 1;
	}
	agent_heartbeat_loop(&a);

	/* Heartbeats stopped (rescue): stay, so that the init does not start another agent. */
	log_info("heartbeats stopped");
	for (;;)
		pause();
}
