#define _GNU_SOURCE 1 /* asprintf() */

/*
 * Inspection, as IPA's inspector.inspect() and call_inspector(): wait for DHCP on the PXE NIC
 * (or every NIC), run the collectors (default: the inventory and the root disk; logs: the log
 * tarball; lldp: lldp_raw), POST the body to ipa-inspection-callback-url (ironic-inspector's
 * /v1/continue, or Ironic's /v1/continue_inspection) and return the node UUID the answer names,
 * which the lookup then sends as node_uuid.
 *
 * Retries as IPA master: connection errors, 409 and 5xx are retried 5 times with a growing
 * pause (5 s x 1.5^n, at most 30 s); when every attempt failed that way, the agent exits
 * (IPA's exception is not caught) and the init starts it again. Any other error status is
 * logged and inspection counts as failed; the lookup still runs.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/extensions.h"
#include "agent/http.h"
#include "agent/inventory.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"

#define INSPECT_ATTEMPTS   5
#define INSPECT_ANSWER_MAX (1024 * 1024)

/* The callback URL: ipa-inspection-callback-url, or (IPA >= 9.10) Ironic's own endpoint when
 * only collectors and the API URL are given. NULL: no inspection. */
static char *callback_url(const struct agent *a)
{
	char *url = NULL;

	if (a->conf.inspection_callback_urls) {
		if (strcmp(a->conf.inspection_callback_urls[0], "mdns") == 0) {
			log_warning("inspection: mDNS discovery is not supported; no inspection");
			return NULL;
		}
		return strdup(a->conf.inspection_callback_urls[0]);
	}
	if (a->conf.inspection_collectors && a->conf.api_urls &&
	    strcmp(a->conf.api_urls[0], "mdns") != 0) {
		const char *base = a->conf.api_urls[0];
		size_t n = strlen(base);

		while (n > 0 && base[n - 1] == '/')
			n--;
		if (asprintf(&url, "%.*s/v1/continue_inspection", (int)n, base) < 0)
			return NULL;
	}
	return url;
}

/* Whether the interface named (or, with name NULL, every non-loopback one) has an IPv4. */
static bool have_ipv4(const char *name)
{
	struct ifaddrs *ifa = NULL;
	bool any = false, all = true;
	char seen[64][IF_NAMESIZE];
	size_t n_seen = 0;

	if (getifaddrs(&ifa) < 0)
		return false;
	/* every interface that is up must have an address (IPA: all interfaces) */
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		bool v4 = i->ifa_addr && i->ifa_addr->sa_family == AF_INET;

		if (strcmp(i->ifa_name, "lo") == 0 || (name && strcmp(i->ifa_name, name) != 0))
			continue;
		if (v4) {
			any = true;
			if (n_seen < ELEMENTSOF(seen))
				snprintf(seen[n_seen++], IF_NAMESIZE, "%s", i->ifa_name);
		}
	}
	for (struct ifaddrs *i = ifa; i && !name; i = i->ifa_next) {
		bool found = false;

		if (strcmp(i->ifa_name, "lo") == 0 || !(i->ifa_flags & IFF_UP))
			continue;
		for (size_t k = 0; k < n_seen && !found; k++)
			found = strcmp(seen[k], i->ifa_name) == 0;
		all = all && found;
	}
	freeifaddrs(ifa);
	return name ? any : any && all;
}

/* The interface whose MAC is BOOTIF's, or NULL. */
static char *bootif_name(const struct agent *a)
{
	_cleanup_(strv_freep) char **names = NULL;
	char want[18];

	if (!a->conf.bootif.has_mac)
		return NULL;
	snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x", a->conf.bootif.mac.bytes[0],
		 a->conf.bootif.mac.bytes[1], a->conf.bootif.mac.bytes[2],
		 a->conf.bootif.mac.bytes[3], a->conf.bootif.mac.bytes[4],
		 a->conf.bootif.mac.bytes[5]);
	{
		struct if_nameindex *ni = if_nameindex();
		char *found = NULL;

		for (struct if_nameindex *i = ni; i && i->if_name && !found; i++) {
			char path[64], mac[32];

			snprintf(path, sizeof(path), "sys/class/net/%s/address", i->if_name);
			if (read_line_at(a->root_fd, path, mac, sizeof(mac)) >= 0 &&
			    strcasecmp(mac, want) == 0)
				found = strdup(i->if_name);
		}
		if (ni)
			if_freenameindex(ni);
		return found;
	}
}

static void wait_for_dhcp(struct agent *a)
{
	_cleanup_free_ char *name = NULL;
	unsigned timeout = a->conf.inspection_dhcp_wait_timeout;
	time_t start = time(NULL);

	if (timeout == 0)
		return;
	if (!a->conf.inspection_dhcp_all_interfaces)
		name = bootif_name(a);
	while (!have_ipv4(name)) {
		if (time(NULL) - start >= (time_t)timeout) {
			log_warning("inspection: no DHCP address on %s after %u s; going on",
				    name ? name : "every interface", timeout);
			return;
		}
		sleep(1);
	}
}

int agent_inspect(struct agent *a, char **ret_node_uuid)
{
	_cleanup_free_ char *url = callback_url(a), *logs = NULL, *error = NULL;
	_cleanup_json_ json_object *inventory = NULL, *body = NULL, *lldp_raw = NULL;
	_cleanup_(strv_freep) char **failures = NULL;
	bool want_logs = true;
	const char *text;
	unsigned pause = 5;
	int r;

	*ret_node_uuid = NULL;
	if (!url)
		return 0;
	if (a->conf.inspection_collectors) {
		want_logs = false;
		for (char **c = a->conf.inspection_collectors; *c; c++)
			want_logs = want_logs || strcmp(*c, "logs") == 0;
	}
	log_info("inspection: collecting for %s", url);
	wait_for_dhcp(a);
	r = agent_inventory(a, &inventory);
	if (r < 0) {
		_cleanup_free_ char *f = NULL;

		if (asprintf(&f, "default: cannot collect the inventory: %s", strerror(-r)) >= 0)
			(void)strv_extend(&failures, f);
	}
	if (want_logs) {
		logs = agent_logs_base64(a, &error);
		if (!logs && error) {
			_cleanup_free_ char *f = NULL;

			if (asprintf(&f, "logs: %s", error) >= 0)
				(void)strv_extend(&failures, f);
		}
	}
	if (strv_contains(a->conf.inspection_collectors, "lldp"))
		lldp_raw = agent_lldp(a);
	r = inspection_body_build(inventory, a->conf.inspection_collectors, logs, lldp_raw,
				  failures, &body);
	if (r < 0)
		return r;
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);

	for (unsigned attempt = 1;; attempt++) {
		char rid[320];
		const char *headers[] = {"Content-Type: application/json",
					 "Accept: application/json",
					 a->conf.global_request_id ? rid : NULL, NULL};
		struct http_response resp;
		bool retry;

		if (a->conf.global_request_id)
			snprintf(rid, sizeof(rid), "X-OpenStack-Request-ID: %s",
				 a->conf.global_request_id);
		r = http_request(&(struct http_request){.method = "POST",
							.url = url,
							.headers = headers,
							.body = text,
							.body_len = strlen(text),
							.insecure = a->conf.insecure,
							.ca_file = http_tls_get()->ca_file,
							.timeout_s = a->conf.http_request_timeout,
							.max_body = INSPECT_ANSWER_MAX},
				 &resp);
		if (r == 0 && (resp.status == 200 || resp.status == 202)) {
			_cleanup_json_ json_object *o =
			    json_tokener_parse(resp.body ? resp.body : "");
			const char *uuid = json_get_string(o, "uuid");

			if (!uuid)
				uuid =
				    json_get_string(json_get(o, "node", json_type_object), "uuid");
			log_info("inspection: done, node %s", uuid ? uuid : "(not named)");
			*ret_node_uuid = uuid ? strdup(uuid) : NULL;
			http_response_done(&resp);
			return 0;
		}
		retry = r < 0 || resp.status == 409 || resp.status >= 500;
		if (r < 0)
			log_warning("inspection: POST %s failed: %s", url, resp.error);
		else
			log_warning("inspection: POST %s: HTTP %ld: %.200s", url, resp.status,
				    resp.body ? resp.body : "");
		http_response_done(&resp);
		if (!retry) {
			log_error("inspection failed; going on with the lookup");
			return 0;
		}
		if (attempt == INSPECT_ATTEMPTS) {
			log_error("inspection: %s did not answer after %u attempts", url, attempt);
			return -ECONNREFUSED;
		}
		sleep(pause);
		pause = MIN(pause * 3 / 2, 30u);
	}
}
