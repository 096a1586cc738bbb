/*
 * ingot-agent: the deploy agent, started by the init in the ramdisk (or by hand on a host for
 * tests). Configuration as IPA reads it (agent/conf.h): the file /etc/ingot/agent.conf, the
 * kernel command line, then the options given here.
 *
 * ingot's own options, before IPA's:
 *   --ingot-root=DIR      read /sys, /proc, /dev and the config file under DIR (default /)
 *   --ingot-fake-power    log power off and reboot instead of doing them (for tests on a host)
 *   --help, --version
 *
 * SIGTERM or SIGINT stops it cleanly, with exit status 0 (a second one at once, status 1).
 */

#define _GNU_SOURCE 1 /* asprintf() */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/ca.h"
#include "agent/http.h"
#include "agent/log.h"
#include "agent/tls.h"
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

/* Attempts at GET / before the server starts; each failure waits as a failed lookup. */
#define DISCOVERY_ATTEMPTS 3

/*
 * The API version that decides automatic TLS: ipa-ironic-api-version, else GET /. IPA asks
 * when it looks up, and again at each lookup attempt while it fails; ingot asks before the
 * server starts (the scheme is in the callback URL), a few times, then takes 1.31 and serves
 * plain HTTP, as IPA does with an Ironic it cannot ask.
 */
static struct ironic_version discover_version(struct agent *a)
{
	struct ironic_version v = {a->conf.ironic_api_version.major,
				   a->conf.ironic_api_version.minor};

	if (v.major != 0)
		return v;
	for (unsigned i = 1;; i++) {
		v = ironic_client_discover(a->ironic);
		if (ironic_version_cmp(v, IRONIC_VERSION_FALLBACK) != 0 || i == DISCOVERY_ATTEMPTS)
			return v;
		sleep((unsigned)ironic_lookup_backoff(i, a->conf.lookup_interval, random_unit()) +
		      1);
	}
}

/* What civetweb on mbedTLS cannot apply, said whichever certificate the API serves. */
static void log_server_tls_limits(const struct agent_conf *c)
{
	if (c->tls_min_version == AGENT_TLS_1_3)
		log_warning(
		    "ipa-tls-min-version=1.3: applied to the agent's requests, but "
		    "civetweb on mbedTLS cannot refuse TLS 1.2: the API accepts 1.2 and 1.3");
	if (c->tls_cipher_suites)
		log_warning(
		    "ipa-tls-cipher-suites: applied to the agent's requests, but civetweb "
		    "on mbedTLS cannot restrict the API's suites: mbedTLS's defaults apply");
}

/* The server's file, TLS_DIR/TLS_SERVER_FILE under root. */
static int server_pem_path(const char *root, char **ret_pem)
{
	if (asprintf(ret_pem, "%s/%s/%s", strcmp(root, "/") == 0 ? "" : root, TLS_DIR,
		     TLS_SERVER_FILE) < 0) {
		*ret_pem = NULL;
		log_error("out of memory");
		return -ENOMEM;
	}
	return 0;
}

/*
 * The operator's TLS, as IPA's API server start(): HTTPS with tls_cert_file and tls_key_file
 * when both are set. Ironic gets an https callback URL (IPA advertises ipa-advertise-protocol,
 * which the operator sets to https with it; the port speaks only TLS here, so https it is) and
 * no agent_verify_ca (IPA sends only a certificate it generated: Ironic has to trust the
 * operator's by driver_info/agent_verify_ca or [agent]verify_ca). A file that cannot be used
 * stops the agent, as Python's load_cert_chain() raising stops IPA; so does listen_tls without
 * both files, where IPA would serve plain HTTP. Returns 1 with *ret_pem, 0 for plain HTTP, or
 * a negative errno (logged).
 */
static int setup_operator_tls(struct agent *a, const char *root, char **ret_pem)
{
	const struct agent_conf *c = &a->conf;
	struct tls_identity id = {0};
	char *error = NULL;
	int r;

	*ret_pem = NULL;
	if (!c->tls_cert_file || !c->tls_key_file) {
		const char *missing = !c->tls_cert_file ? "tls_cert_file" : "tls_key_file";

		if (c->listen_tls) {
			log_error("listen_tls needs tls_cert_file and tls_key_file: %s is not set",
				  missing);
			return -EINVAL;
		}
		if (c->tls_cert_file || c->tls_key_file)
			log_warning("%s is not set: %s ignored, as IPA does", missing,
				    c->tls_cert_file ? "tls_cert_file" : "tls_key_file");
		return 0;
	}
	r = tls_global_init();
	if (r == 0)
		r = tls_identity_load(c->tls_cert_file, c->tls_key_file, &id, &error);
	if (r == 0)
		r = tls_identity_write(&id, a->root_fd, &error);
	tls_identity_done(&id);
	if (r < 0) {
		log_error("cannot serve TLS with the operator's certificate: %s",
			  error ? error : strerror(-r));
		free(error);
		return r;
	}
	log_info("serving TLS with the operator's certificate '%s' and key '%s'%s",
		 c->tls_cert_file, c->tls_key_file,
		 c->listen_tls ? "" : " (automated TLS did not happen)");
	log_server_tls_limits(c);
	r = server_pem_path(root, ret_pem);
	return r < 0 ? r : 1;
}

/*
 * TLS for the API, as IPA's serve_ipa_api(). listen_tls or enable_auto_tls=false: the
 * operator's files, if any. Otherwise automatic TLS, as IPA's _start_auto_tls(): when Ironic
 * takes agent_verify_ca (API >= 1.68), a fresh key and self-signed certificate for the
 * advertised address, sent in every heartbeat. ipa-advertise-protocol=https asks for it with
 * an older Ironic too (the certificate then has to reach Ironic another way); without either,
 * the operator's files again, if any. *ret_pem: the file for the server, or NULL for plain
 * HTTP. Fails for lack of memory and for the operator's files (setup_operator_tls()).
 */
static int setup_tls(struct agent *a, const char *root, const char *address, char **ret_pem)
{
	bool verify_ca = ironic_version_cmp(a->api_version, IRONIC_VERSION_VERIFY_CA) >= 0;
	struct tls_identity id = {0};
	char host[256] = "", *error = NULL;
	int r;

	*ret_pem = NULL;
	if (a->conf.listen_tls || !a->conf.enable_auto_tls) {
		log_info("automated TLS is disabled (%s)",
			 a->conf.listen_tls ? "listen_tls" : "enable_auto_tls=false");
		r = setup_operator_tls(a, root, ret_pem);
		return r < 0 ? r : 0;
	}
	if (!verify_ca && a->conf.advertise_protocol != AGENT_PROTOCOL_HTTPS) {
		log_warning("Ironic API %u.%u does not support automated TLS (1.68 does)",
			    a->api_version.major, a->api_version.minor);
		r = setup_operator_tls(a, root, ret_pem);
		return r < 0 ? r : 0;
	}
	if (a->conf.tls_cert_file || a->conf.tls_key_file)
		log_info("tls_cert_file and tls_key_file unused: automated TLS applies, as in IPA "
			 "(listen_tls=true serves them)");
	if (!verify_ca)
		log_warning("ipa-advertise-protocol=https: Ironic API %u.%u cannot receive the "
			    "certificate (agent_verify_ca needs 1.68); it must trust it otherwise",
			    a->api_version.major, a->api_version.minor);
	log_info("Generating TLS parameters automatically for IP %s", address);
	log_info("Generating TLS certificate with %s curve",
		 tls_curve_name(a->conf.tls_certificate_curve));
	(void)gethostname(host, sizeof(host) - 1);
	r = tls_global_init();
	if (r == 0)
		r = tls_identity_generate(a->conf.tls_certificate_curve, address, host, &id,
					  &error);
	if (r == 0)
		r = tls_identity_write(&id, a->root_fd, &error);
	if (r == -ENOMEM) {
		log_error("out of memory");
		tls_identity_done(&id);
		free(error);
		return r;
	}
	if (r < 0) {
		log_error("automated TLS: %s; serving plain HTTP", error ? error : strerror(-r));
		tls_identity_done(&id);
		free(error);
		return 0;
	}
	log_info("Generated TLS certificate for IP address %s (CN=%s, ECDSA %s with SHA-512), "
		 "valid from %d s ago for %d days",
		 address, host[0] ? host : "localhost",
		 tls_curve_name(a->conf.tls_certificate_curve), TLS_CLOCK_SKEW_S, TLS_VALID_DAYS);
	log_server_tls_limits(&a->conf);
	if (verify_ca)
		a->verify_ca = TAKE_PTR(id.cert_pem);
	tls_identity_done(&id);
	return server_pem_path(root, ret_pem);
}

/*
 * The client side of TLS for every connection the agent makes: the CA bundle from
 * /etc/ingot/ca/\*.pem (IPA's cafile), ipa-insecure, ipa-tls-min-version and
 * ipa-tls-cipher-suites (IPA master applies the last two to its requests too).
 */
static int setup_tls_client(struct agent *a, const char *root)
{
	_cleanup_free_ char *bundle = NULL;
	int r;

	r = ca_bundle_build(a->root_fd);
	if (r == -ENOMEM)
		return r;
	if (r > 0 && asprintf(&bundle, "%s/%s", strcmp(root, "/") == 0 ? "" : root, CA_BUNDLE) < 0)
		return -ENOMEM;
	if (a->conf.insecure)
		log_warning("ipa-insecure: TLS certificates are not verified (a warning follows at "
			    "every request)");
	else if (!bundle)
		log_info("no CA certificates in /%s: libcurl's built-in CA store applies", CA_DIR);
	return http_tls_set(&(struct http_tls){.ca_file = bundle,
					       .insecure = a->conf.insecure,
					       .tls13 = a->conf.tls_min_version == AGENT_TLS_1_3,
					       .ciphers = a->conf.tls_cipher_suites});
}

static int start_server(struct agent *a, const char *tls_pem)
{
	char *error = NULL;

	a->server = server_start(a->api,
				 &(struct server_options){.listen_host = a->conf.listen_host,
							  .port = a->conf.listen_port,
							  .tls_pem = tls_pem},
				 &error);
	if (!a->server) {
		log_error("%s", error ? error : "cannot start the API server");
		free(error);
		return -EIO;
	}
	log_info("API listening on port %u (%s)", a->conf.listen_port, tls_pem ? "HTTPS" : "HTTP");
	return 0;
}

/*
 * SIGTERM and SIGINT (the init's shutdown, ^C on a host): blocked in every thread from the
 * start and taken here by sigwait(), so that the agent stops cleanly: lookup and heartbeats
 * end (agent_stop_heartbeats()), then main() stops the server and frees everything. A second
 * signal exits at once, for a command that does not end. A program the agent started would
 * inherit the mask and must unblock them (it starts none).
 */
struct stopper {
	pthread_t thread;
	bool started;
	sigset_t signals;
	struct agent *agent;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested; /* a signal came */
	bool done;	/* and the agent was told */
};

/* sigwait(), the thread's only cancellation point: it never stops holding a lock. */
static int stopper_sigwait(struct stopper *s, int *sig)
{
	int r;

	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	r = sigwait(&s->signals, sig);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	return r;
}

static void *stopper_main(void *userdata)
{
	struct stopper *s = userdata;
	int sig;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if (stopper_sigwait(s, &sig) != 0)
		return NULL;
	log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	pthread_mutex_lock(&s->lock);
	s->requested = true;
	pthread_mutex_unlock(&s->lock);
	agent_stop_heartbeats(s->agent);
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (stopper_sigwait(s, &sig) == 0) {
		log_warning("%s again: exiting at once", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		_exit(1);
	}
	return NULL;
}

static int stopper_start(struct stopper *s, struct agent *a)
{
	int r;

	sigemptyset(&s->signals);
	sigaddset(&s->signals, SIGTERM);
	sigaddset(&s->signals, SIGINT);
	s->agent = a;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	r = -pthread_sigmask(SIG_BLOCK, &s->signals, NULL);
	if (r == 0)
		r = -pthread_create(&s->thread, NULL, stopper_main, s);
	s->started = r == 0;
	return r;
}

static bool stopper_requested(struct stopper *s)
{
	bool r;

	pthread_mutex_lock(&s->lock);
	r = s->requested;
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Until a signal came and the agent was told. */
static void stopper_wait(struct stopper *s)
{
	pthread_mutex_lock(&s->lock);
	while (!s->done)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* Before the agent is freed: the thread no longer uses it. */
static void stopper_done(struct stopper *s)
{
	if (s->started) {
		pthread_cancel(s->thread);
		pthread_join(s->thread, NULL);
		s->started = false;
	}
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

/* The end of main(): exit status 0 after a signal, else status. */
static int stop(struct agent *a, struct stopper *s, int status)
{
	if (stopper_requested(s)) {
		stopper_wait(s); /* the thread is past the agent, in its second sigwait() */
		status = 0;
	}
	server_stop(a->server);
	a->server = NULL;
	stopper_done(s);
	agent_done(a);
	if (status == 0)
		log_info("stopped");
	return status;
}

int main(int argc, char **argv)
{
	struct agent a;
	struct stopper stopper = {0};
	const char *root = "/";
	char **rest;
	int n_rest = 1, r;
	char *address = NULL, *tls_pem = NULL;

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
			free(rest);
			agent_done(&a);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ingot-agent %s (IPA-compatible %s)\n", INGOT_VERSION,
			       AGENT_VERSION);
			free(rest);
			agent_done(&a);
			return 0;
		} else
			rest[n_rest++] = argv[i];
	}

	a.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.root_fd < 0) {
		fprintf(stderr, "ingot-agent: %s: %s\n", root, strerror(errno));
		free(rest);
		agent_done(&a);
		return 1;
	}
	r = load_config(&a, root, n_rest, rest);
	free(rest);
	if (r < 0) {
		agent_done(&a);
		return 2;
	}
	log_set_debug(a.conf.debug);
	log_info("ingot-agent %s starting (IPA-compatible %s)", INGOT_VERSION, AGENT_VERSION);
	r = stopper_start(&stopper, &a);
	if (r < 0) {
		log_error("cannot watch for SIGTERM: %s", strerror(-r));
		return stop(&a, &stopper, 1);
	}

	/* IPA syncs the clock first (TLS needs it), then loads its hardware managers, which
	 * wait for disks. */
	(void)agent_sync_clock(&a, false);
	agent_wait_for_disks(&a);
	if (a.conf.hardware_initialization_delay > 0) {
		log_info("waiting %u s (ipa-hardware-initialization-delay)",
			 a.conf.hardware_initialization_delay);
		sleep(a.conf.hardware_initialization_delay);
	}
	if (http_global_init() < 0) {
		log_error("cannot initialise libcurl");
		return stop(&a, &stopper, 1);
	}
	if (setup_tls_client(&a, root) < 0) {
		log_error("out of memory");
		return stop(&a, &stopper, 1);
	}

	a.commands = commands_new(agent_commands, agent_commands_n, &a);
	a.api = a.commands ? api_new(a.commands, AGENT_VERSION, (double)time(NULL)) : NULL;
	if (!a.api) {
		log_error("out of memory");
		return stop(&a, &stopper, 1);
	}
	commands_set_done_callback(a.commands, agent_heartbeat_soon, &a);
	if (a.conf.agent_token) {
		api_set_token(a.api, a.conf.agent_token);
		a.token = strdup(a.conf.agent_token);
	}

	/* IPA inspects before it serves or looks up (inspection needs neither). */
	r = agent_inspect(&a, &a.inspected_uuid);
	if (r < 0)
		return stop(&a, &stopper, 1);

	if (!a.conf.api_urls || strcmp(a.conf.api_urls[0], "mdns") == 0) {
		log_warning("no ipa-api-url: serving the API without Ironic");
		/* No automatic TLS without Ironic; IPA's API server takes the operator's files. */
		r = setup_operator_tls(&a, root, &tls_pem);
		if (r >= 0)
			r = start_server(&a, tls_pem);
		free(tls_pem);
		if (r < 0)
			return stop(&a, &stopper, 1);
		stopper_wait(&stopper);
		return stop(&a, &stopper, 0);
	}

	a.ironic = ironic_client_new(
	    &(struct ironic_client_options){.api_urls = a.conf.api_urls,
					    .request_id = a.conf.global_request_id,
					    .insecure = a.conf.insecure,
					    .timeout_s = a.conf.http_request_timeout});
	r = a.ironic ? agent_advertise_address(&a, &address) : -ENOMEM;
	if (r < 0) {
		if (!stopper_requested(&stopper))
			log_error("no address to advertise to Ironic: %s", strerror(-r));
		return stop(&a, &stopper, 1);
	}

	/* Discovery, then the certificate, then the server: listening before the lookup, so
	 * before the first heartbeat. */
	a.api_version = discover_version(&a);
	r = setup_tls(&a, root, address, &tls_pem);
	if (r >= 0)
		r = start_server(&a, tls_pem);
	if (r >= 0) {
		a.callback_url =
		    ironic_callback_url(tls_pem != NULL, address, a.conf.advertise_port);
		r = a.callback_url ? 0 : -ENOMEM;
	}
	free(address);
	free(tls_pem);
	if (r < 0)
		return stop(&a, &stopper, 1);
	log_info("callback URL %s", a.callback_url);

	/* IPA exits with LookupNodeError; the init starts the agent again. */
	r = agent_lookup(&a);
	if (r < 0)
		return stop(&a, &stopper, 1);
	agent_heartbeat_loop(&a);

	/* Heartbeats stopped (rescue): stay, so that the init does not start another agent. */
	if (!stopper_requested(&stopper))
		log_info("heartbeats stopped");
	stopper_wait(&stopper);
	return stop(&a, &stopper, 0);
}
