#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/disk.h"
#include "agent/hints.h"
#include "agent/inventory.h"
#include "agent/json-util.h"
#include "agent/lldp.h"
#include "agent/log.h"
#include "agent/ntp.h"
#include "basic/dirent-util.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int agent_init(struct agent *a)
{
	pthread_condattr_t ca;

	memset(a, 0, sizeof(*a));
	agent_conf_init_defaults(&a->conf);
	a->root_fd = -1;
	a->heartbeat_timeout = 300;
	a->md5_enabled = true;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void agent_done(struct agent *a)
{
	api_free(a->api);
	commands_free(a->commands);
	ironic_client_free(a->ironic);
	free(a->callback_url);
	free(a->verify_ca);
	free(a->node_uuid);
	free(a->inspected_uuid);
	free(a->token);
	json_object_put(a->node);
	json_object_put(a->partition_uuids);
	agent_conf_done(&a->conf);
	safe_close(a->root_fd);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
}

json_object *agent_node_get(struct agent *a)
{
	json_object *n = NULL;

	pthread_mutex_lock(&a->lock);
	if (a->node)
		json_object_deep_copy(a->node, &n, NULL);
	pthread_mutex_unlock(&a->lock);
	return n;
}

void agent_node_set(struct agent *a, json_object *node)
{
	json_object *copy = NULL;

	if (!node || !json_object_is_type(node, json_type_object))
		return;
	json_object_deep_copy(node, &copy, NULL);
	pthread_mutex_lock(&a->lock);
	json_object_put(a->node);
	a->node = copy;
	pthread_mutex_unlock(&a->lock);
}

json_object *agent_partition_uuids_get(struct agent *a)
{
	json_object *u = NULL;

	pthread_mutex_lock(&a->lock);
	if (a->partition_uuids)
		json_object_deep_copy(a->partition_uuids, &u, NULL);
	pthread_mutex_unlock(&a->lock);
	return u ? u : json_object_new_object();
}

void agent_partition_uuids_set(struct agent *a, json_object *uuids)
{
	pthread_mutex_lock(&a->lock);
	json_object_put(a->partition_uuids);
	a->partition_uuids = uuids;
	pthread_mutex_unlock(&a->lock);
}

int agent_install_device(struct agent *a, char **ret_path, char **ret_error)
{
	_cleanup_json_ json_object *node = agent_node_get(a);
	struct disk *disks = NULL;
	const struct disk *d = NULL;
	size_t n = 0;
	int r;

	*ret_path = NULL;
	*ret_error = NULL;
	r = disk_list(a->root_fd, &disks, &n);
	if (r < 0) {
		if (asprintf(ret_error, "cannot list block devices: %s", strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	r = root_hints_select_for_node(node, disks, n, &d, ret_error);
	if (r >= 0 && d) {
		*ret_path = strdup(d->path);
		r = *ret_path ? 0 : -ENOMEM;
	} else if (r >= 0) {
		r = -ENODEV;
	}
	disk_list_free(disks, n);
	if (r < 0 && !*ret_error &&
	    asprintf(ret_error, "No suitable device was found for deployment") < 0)
		*ret_error = NULL;
	return r;
}

void agent_heartbeat_soon(void *agent)
{
	struct agent *a = agent;

	pthread_mutex_lock(&a->lock);
	a->force_heartbeat = true;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

void agent_stop_heartbeats(struct agent *a)
{
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

/* Sleeps up to seconds, returning early when the agent stops. Returns whether it stops. */
static bool nap(struct agent *a, double seconds)
{
	struct timespec ts;
	double until = now_mono() + seconds;
	bool stopping;

	ts.tv_sec = (time_t)until;
	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&a->lock);
	while (!a->stopping && now_mono() < until)
		if (pthread_cond_timedwait(&a->wake, &a->lock, &ts) == ETIMEDOUT)
			break;
	stopping = a->stopping;
	pthread_mutex_unlock(&a->lock);
	return stopping;
}

int agent_sync_clock(struct agent *a, bool hardware)
{
	const char *server = a->conf.ntp_server;
	double offset;
	int r;

	if (!server)
		return 0;
	/* chronyd -q "server X iburst": a burst of 4 requests, 2 s each */
	r = ntp_query(server, "123", 4, 2000, &offset);
	if (r < 0) {
		log_warning("ntp: no time from '%s': %s", server, strerror(-r));
		return r;
	}
	r = ntp_clock_step(offset);
	if (r < 0) {
		log_warning("ntp: cannot set the clock: %s", strerror(-r));
		return r;
	}
	log_info("ntp: clock stepped by %+.3f s to the time of '%s'", offset, server);
	if (!hardware)
		return 0;
	r = rtc_write_system_time(a->root_fd, "dev/rtc0");
	if (r < 0)
		log_warning("Failed to sync hardware clock: cannot write dev/rtc0: %s",
			    strerror(-r));
	else
		log_info("hardware clock set from the system clock");
	return r;
}

void agent_wait_for_disks(struct agent *a)
{
	unsigned attempts = a->conf.disk_wait_attempts, delay = a->conf.disk_wait_delay;

	for (unsigned i = 0; i < attempts; i++) {
		_cleanup_free_ char *path = NULL, *error = NULL;

		if (agent_install_device(a, &path, &error) >= 0) {
			log_info("root device %s found", path);
			return;
		}
		log_debug("still waiting for the root device to appear, attempt %u of %u: %s",
			  i + 1, attempts, error ? error : "no device");
		if (i + 1 < attempts && nap(a, delay))
			return;
	}
	if (attempts > 1)
		log_warning("The root device was not detected in %u seconds",
			    delay * (attempts - 1));
	else if (attempts == 1)
		log_warning("The root device was not detected");
}

json_object *agent_lldp(struct agent *a)
{
	_cleanup_strv_free_ char **names = NULL;
	json_object *lldp = NULL;
	int r;

	r = inventory_net_names(a->root_fd, &names);
	if (r >= 0 && !names)
		r = -ENODEV;
	if (r >= 0) {
		log_info("lldp: listening on %zu interfaces for up to %.1f s", strv_length(names),
			 a->conf.lldp_timeout_ms / 1000.0);
		r = lldp_collect(names, a->conf.lldp_timeout_ms, &lldp);
	}
	if (r < 0) {
		log_warning("lldp: cannot listen on every interface, no LLDP data: %s",
			    strerror(-r));
		return NULL;
	}
	return lldp;
}

int agent_inventory(struct agent *a, json_object **ret)
{
	_cleanup_json_ json_object *lldp = a->conf.collect_lldp ? agent_lldp(a) : NULL;

	return inventory_collect(a->root_fd, &a->conf, &(struct inventory_sources){.lldp = lldp},
				 ret);
}

int agent_mac_addresses(int root_fd, char ***ret)
{
	_cleanup_(strv_freep) char **names = NULL;
	_cleanup_(strv_freep) char **macs = NULL;
	size_t considered = 0;
	int r;

	r = dir_names_at(root_fd, "sys/class/net", 4096, &names);
	if (r < 0)
		return r;
	strv_sort_unique(names);

	for (char **n = names; *n && considered < 256; n++) {
		char path[300], mac[64], type[16];

		if ((*n)[0] == '.' || strcmp(*n, "lo") == 0)
			continue;
		considered++;

		snprintf(path, sizeof(path), "sys/class/net/%s/type", *n);
		if (read_line_at(root_fd, path, type, sizeof(type)) < 0 || strcmp(type, "1") != 0)
			continue; /* not Ethernet */
		snprintf(path, sizeof(path), "sys/class/net/%s/address", *n);
		if (read_line_at(root_fd, path, mac, sizeof(mac)) < 0 || strlen(mac) != 17 ||
		    strcmp(mac, "00:00:00:00:00:00") == 0)
			continue;
		r = strv_extend(&macs, mac);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(macs);
	return 0;
}

/* The host part of an http(s) URL, without brackets. */
static int url_host(const char *url, char *buf, size_t size)
{
	const char *p = strstr(url, "://"), *end;

	if (!p)
		return -EINVAL;
	p += 3;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
	} else {
		end = p + strcspn(p, ":/?#");
	}
	if (!end || end == p || (size_t)(end - p) >= size)
		return -EINVAL;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return 0;
}

static bool link_local(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);

		return (ip >> 16) == 0xa9fe; /* 169.254/16 */
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
	}
	return false;
}

static int source_address_to(const char *host, char **ret)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
	int r = -EHOSTUNREACH;

	if (getaddrinfo(host, "9", &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char text[INET6_ADDRSTRLEN];
		int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    link_local((struct sockaddr *)&ss) ||
		    getnameinfo((struct sockaddr *)&ss, len, text, sizeof(text), NULL, 0,
				NI_NUMERICHOST) != 0) {
			safe_close(fd);
			continue;
		}
		safe_close(fd);
		*ret = strdup(text);
		r = *ret ? 0 : -ENOMEM;
		break;
	}
	freeaddrinfo(res);
	return r;
}

static int interface_ipv4(const char *ifname, char **ret)
{
	struct ifaddrs *ifa = NULL;
	int r = -EADDRNOTAVAIL;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		char text[INET_ADDRSTRLEN];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (!inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, text,
			       sizeof(text)))
			continue;
		*ret = strdup(text);
		r = *ret ? 0 : -ENOMEM;
		break;
	}
	freeifaddrs(ifa);
	return r;
}

int agent_advertise_address(struct agent *a, char **ret)
{
	char host[256];
	unsigned attempts = a->conf.ip_lookup_attempts ? a->conf.ip_lookup_attempts : 1;
	int r = -EHOSTUNREACH;

	if (a->conf.advertise_host) {
		*ret = strdup(a->conf.advertise_host);
		return *ret ? 0 : -ENOMEM;
	}
	for (unsigned i = 0; i < attempts; i++) {
		if (a->conf.network_interface)
			r = interface_ipv4(a->conf.network_interface, ret);
		else if (a->conf.api_urls && url_host(a->conf.api_urls[0], host, sizeof(host)) == 0)
			r = source_address_to(host, ret);
		else
			return -EINVAL;
		if (r == 0)
			return 0;
		log_warning("no address to advertise yet (attempt %u of %u): %s", i + 1, attempts,
			    strerror(-r));
		if (i + 1 < attempts && nap(a, a->conf.ip_lookup_sleep))
			break;
	}
	return r;
}

static void log_answer(const char *what, int r, const struct http_response *resp)
{
	_cleanup_free_ char *fault = NULL;

	if (r < 0) {
		log_warning("%s failed: %s", what, resp->error);
		return;
	}
	fault = ironic_error_text(resp->body, resp->len);
	log_warning("%s: HTTP %ld%s%s", what, resp->status, fault ? ": " : "", fault ? fault : "");
}

/* Keeps what a successful lookup gave: the node, the heartbeat timeout and the token. */
static int agent_take_lookup(struct agent *a, struct ironic_lookup *l)
{
	const char *token = NULL;

	free(a->node_uuid);
	a->node_uuid = TAKE_PTR(l->node_uuid);
	a->heartbeat_timeout = l->heartbeat_timeout;
	/* Ironic >= 23 says whether an MD5 "checksum" may be used; older ones allow it. */
	a->md5_enabled = json_get_bool(l->config, "agent_md5_checksum_enable", true);
	agent_node_set(a, l->node);

	if (l->token) {
		token = l->token;
		log_info("lookup: node %s, agent token received", a->node_uuid);
	} else if (l->token_masked && a->conf.agent_token) {
		token = a->conf.agent_token;
		log_info("lookup: node %s, using the agent token from ipa-agent-token",
			 a->node_uuid);
	} else if (l->token_masked && !a->token) {
		log_error("lookup: node %s: Ironic issued the agent token before and none was "
			  "given on the command line: commands will be refused",
			  a->node_uuid);
	} else if (!l->token_masked) {
		log_warning("lookup: node %s: no valid agent token in the answer", a->node_uuid);
	}
	/* A new valid token replaces the one held; none keeps it (IPA's process_lookup_data). */
	if (token && (!a->api || api_set_token(a->api, token) == 0)) {
		pthread_mutex_lock(&a->lock);
		free(a->token);
		a->token = strdup(token);
		pthread_mutex_unlock(&a->lock);
	} else if (token) {
		log_error("lookup: the agent token is longer than %d bytes: refused",
			  API_TOKEN_MAX);
	}
	ironic_lookup_done(l);
	log_info("Ironic API version %u.%u, heartbeat timeout %u s", a->api_version.major,
		 a->api_version.minor, a->heartbeat_timeout);
	return 0;
}

int agent_lookup(struct agent *a)
{
	_cleanup_(strv_freep) char **macs = NULL;
	_cleanup_free_ char *path = NULL;
	bool have_version = a->conf.ironic_api_version.major != 0;
	struct ironic_version v = {a->conf.ironic_api_version.major,
				   a->conf.ironic_api_version.minor};
	double start = now_mono();
	unsigned attempt = 0, conflicts = 0;
	int r;

	/* A version discovered before (main.c, for automatic TLS) is kept, as IPA keeps it. */
	if (!have_version && a->api_version.major != 0 &&
	    ironic_version_cmp(a->api_version, IRONIC_VERSION_FALLBACK) != 0) {
		v = a->api_version;
		have_version = true;
	}
	r = agent_mac_addresses(a->root_fd, &macs);
	if (r < 0)
		log_warning("cannot list the network interfaces: %s", strerror(-r));
	path = ironic_lookup_path(macs, a->inspected_uuid);
	if (!path)
		return -ENOMEM;

	for (;;) {
		struct http_response resp;
		struct ironic_lookup l;
		_cleanup_free_ char *err = NULL;

		attempt++;
		if (!have_version) {
			v = ironic_client_discover(a->ironic);
			have_version = ironic_version_cmp(v, IRONIC_VERSION_FALLBACK) != 0;
		}
		r = ironic_client_request(a->ironic, "GET", path,
					  ironic_version_min(v, IRONIC_VERSION_TOKEN), NULL, &resp);
		if (r == 0 && resp.status == 200 &&
		    ironic_parse_lookup(resp.body, resp.len, &l, &err) == 0) {
			http_response_done(&resp);
			a->api_version = v;
			return agent_take_lookup(a, &l);
		}
		if (r == 0 && resp.status == 200)
			log_warning("lookup: %s", err);
		else
			log_answer("lookup", r, &resp);
		if (r == 0 && resp.status == 409) {
			conflicts++;
			http_response_done(&resp);
			if (nap(a, ironic_conflict_pause(conflicts)))
				return -ECANCELED;
		} else {
			http_response_done(&resp);
		}
		if (now_mono() - start >= a->conf.lookup_timeout) {
			log_error("lookup failed for %u s (ipa-lookup-timeout), giving up",
				  a->conf.lookup_timeout);
			return -ETIMEDOUT;
		}
		if (nap(a, ironic_lookup_backoff(attempt, a->conf.lookup_interval, random_unit())))
			return -ECANCELED;
	}
}

void agent_heartbeat_loop(struct agent *a)
{
	double last_attempt = -1e9, interval = 0;

	for (;;) {
		_cleanup_json_ json_object *body = NULL;
		_cleanup_free_ char *token = NULL;
		struct http_response resp;
		_cleanup_free_ char *path = NULL;
		double now, due;
		bool success;
		int r;

		pthread_mutex_lock(&a->lock);
		for (;;) {
			if (a->stopping) {
				pthread_mutex_unlock(&a->lock);
				return;
			}
			now = now_mono();
			due = last_attempt + interval;
			if (a->force_heartbeat)
				due = MIN(due, last_attempt + AGENT_FORCED_HEARTBEAT_MIN_S);
			if (now >= due)
				break;
			{
				double until = MIN(due, now + 5.0);
				struct timespec ts = {.tv_sec = (time_t)until,
						      .tv_nsec =
							  (long)((until - (time_t)until) * 1e9)};

				pthread_cond_timedwait(&a->wake, &a->lock, &ts);
			}
		}
		a->force_heartbeat = false;
		token = a->token ? strdup(a->token) : NULL;
		pthread_mutex_unlock(&a->lock);

		/* IPA does not keep a failed discovery: at the fallback version, ask again. */
		if (a->conf.ironic_api_version.major == 0 &&
		    ironic_version_cmp(a->api_version, IRONIC_VERSION_FALLBACK) == 0)
			a->api_version = ironic_client_discover(a->ironic);
		body = ironic_heartbeat_body(a->api_version, a->callback_url, token, AGENT_VERSION,
					     a->verify_ca);
		if (asprintf(&path, "/v1/heartbeat/%s", a->node_uuid) < 0)
			path = NULL;
		last_attempt = now_mono();
		r = path ? ironic_client_request(
			       a->ironic, "POST", path,
			       ironic_version_min(a->api_version, IRONIC_VERSION_VERIFY_CA),
			       json_object_to_json_string_ext(
				   body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			       &resp)
			 : -ENOMEM;
		success = r == 0 && resp.status == 202;
		if (success)
			log_info("heartbeat sent to Ironic: %s", a->callback_url);
		else if (r == 0 && resp.status == 409)
			log_warning("heartbeat: Ironic is busy with the node (409)");
		else if (r != -ENOMEM)
			log_answer("heartbeat", r, &resp);
		if (r != -ENOMEM)
			http_response_done(&resp);
		interval = ironic_heartbeat_interval(a->heartbeat_timeout, success, random_unit());
	}
}
