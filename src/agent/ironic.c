#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/ironic.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/macro.h"
#include "basic/strv.h"

int ironic_version_cmp(struct ironic_version a, struct ironic_version b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	return 0;
}

struct ironic_version ironic_version_min(struct ironic_version a, struct ironic_version b)
{
	return ironic_version_cmp(a, b) <= 0 ? a : b;
}

/* Parses a JSON document of at most IRONIC_BODY_MAX bytes, 64 levels deep. */
static json_object *parse_json(const char *body, size_t len)
{
	json_tokener *tok;
	json_object *o;

	if (!body || len == 0 || len > IRONIC_BODY_MAX)
		return NULL;
	tok = json_tokener_new_ex(64);
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int parse_version(const char *s, struct ironic_version *ret)
{
	unsigned long major, minor;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	major = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	minor = strtoul(end + 1, &end, 10);
	if (*end || major > 1000 || minor > 100000)
		return -EINVAL;
	ret->major = (unsigned)major;
	ret->minor = (unsigned)minor;
	return 0;
}

int ironic_parse_root(const char *body, size_t len, struct ironic_version *ret)
{
	_cleanup_json_ json_object *o = parse_json(body, len);
	json_object *dv = json_get(o, "default_version", json_type_object);

	if (parse_version(json_get_string(dv, "version"), ret) < 0)
		return -EBADMSG;
	return 0;
}

/* Appends s percent-encoded as Python's urlencode (quote_plus) does. */
static void append_escaped(char **p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("_.-~", c)) {
			*(*p)++ = (char)c;
		} else if (c == ' ') {
			*(*p)++ = '+';
		} else {
			*(*p)++ = '%';
			*(*p)++ = hex[c >> 4];
			*(*p)++ = hex[c & 15];
		}
	}
}

char *ironic_lookup_path(char *const *macs, const char *node_uuid)
{
	size_t n = sizeof("/v1/lookup?addresses=&node_uuid=");
	char *s, *p;
	bool first = true;

	for (char *const *m = macs; m && *m; m++)
		n += 3 * strlen(*m) + 3;
	if (node_uuid)
		n += 3 * strlen(node_uuid);
	s = p = malloc(n + 1);
	if (!s)
		return NULL;
	p = stpcpy(p, "/v1/lookup?addresses=");
	for (char *const *m = macs; m && *m; m++) {
		if (!first)
			append_escaped(&p, ",");
		append_escaped(&p, *m);
		first = false;
	}
	if (node_uuid) {
		p = stpcpy(p, "&node_uuid=");
		append_escaped(&p, node_uuid);
	}
	*p = '\0';
	return s;
}

void ironic_lookup_done(struct ironic_lookup *l)
{
	free(l->node_uuid);
	json_object_put(l->node);
	json_object_put(l->config);
	free(l->token);
	memset(l, 0, sizeof(*l));
}

static int fail(char **error, const char *text)
{
	if (error)
		*error = strdup(text);
	return -EBADMSG;
}

int ironic_parse_lookup(const char *body, size_t len, struct ironic_lookup *ret, char **error)
{
	_cleanup_json_ json_object *o = parse_json(body, len);
	json_object *node, *config, *ht;
	const char *uuid, *token;

	memset(ret, 0, sizeof(*ret));
	if (error)
		*error = NULL;
	if (!o)
		return fail(error, "the lookup answer is not JSON");
	node = json_get(o, "node", json_type_object);
	uuid = json_get_string(node, "uuid");
	if (!uuid || !*uuid || strlen(uuid) > 64)
		return fail(error, "the lookup answer has no node.uuid");
	/* The heartbeat route only takes lower case letters, digits and '-'. */
	for (const char *c = uuid; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return fail(error, "the node uuid in the lookup answer is malformed");

	config = json_get(o, "config", json_type_object);
	ret->config = config ? json_object_get(config) : json_object_new_object();
	ht = json_get(o, "heartbeat_timeout", json_type_int);
	if (!config && ht) /* a very old Ironic */
		json_object_object_add(ret->config, "heartbeat_timeout", json_object_get(ht));

	ret->heartbeat_timeout = 300;
	ht = json_get(ret->config, "heartbeat_timeout", json_type_int);
	if (ht && json_object_get_int64(ht) > 0 && json_object_get_int64(ht) <= 86400)
		ret->heartbeat_timeout = (unsigned)json_object_get_int64(ht);

	token = json_get_string(ret->config, "agent_token");
	if (token && strcmp(token, "******") == 0)
		ret->token_masked = true;
	else if (token && strlen(token) >= IRONIC_TOKEN_MIN && strlen(token) <= 256)
		ret->token = strdup(token);

	ret->node_uuid = strdup(uuid);
	ret->node = json_object_get(node);
	if (!ret->node_uuid || (token && !ret->token_masked && strlen(token) >= IRONIC_TOKEN_MIN &&
				strlen(token) <= 256 && !ret->token)) {
		ironic_lookup_done(ret);
		return -ENOMEM;
	}
	return 0;
}

json_object *ironic_heartbeat_body(struct ironic_version v, const char *callback_url,
				   const char *token, const char *agent_version,
				   const char *verify_ca)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "callback_url", json_object_new_string(callback_url));
	if (token && ironic_version_cmp(v, IRONIC_VERSION_TOKEN) >= 0)
		json_object_object_add(o, "agent_token", json_object_new_string(token));
	if (ironic_version_cmp(v, IRONIC_VERSION_AGENT_VER) >= 0)
		json_object_object_add(o, "agent_version", json_object_new_string(agent_version));
	if (verify_ca && ironic_version_cmp(v, IRONIC_VERSION_VERIFY_CA) >= 0)
		json_object_object_add(o, "agent_verify_ca", json_object_new_string(verify_ca));
	return o;
}

char *ironic_callback_url(bool https, const char *host, unsigned port)
{
	char *s = NULL;
	bool v6 = strchr(host, ':') != NULL && host[0] != '[';

	if (asprintf(&s, "%s://%s%s%s:%u", https ? "https" : "http", v6 ? "[" : "", host,
		     v6 ? "]" : "", port) < 0)
		return NULL;
	return s;
}

char *ironic_error_text(const char *body, size_t len)
{
	_cleanup_json_ json_object *o = parse_json(body, len);
	_cleanup_json_ json_object *inner = NULL;
	const char *em = json_get_string(o, "error_message"), *fs;

	if (!em)
		return NULL;
	inner = parse_json(em, strlen(em));
	fs = json_get_string(inner, "faultstring");
	return strdup(fs ? fs : em);
}

double ironic_lookup_backoff(unsigned attempt, unsigned min_s, double u)
{
	double high = attempt == 0 ? 1 : attempt > 7 ? 64 : (double)(1u << (attempt - 1));

	if (high > 60)
		high = 60;
	if (high < min_s)
		high = min_s;
	return min_s + u * (high - min_s);
}

unsigned ironic_conflict_pause(unsigned k)
{
	return k <= 1 ? 5 : k == 2 ? 10 : 30;
}

double ironic_heartbeat_interval(unsigned heartbeat_timeout, bool success, double u)
{
	if (success)
		return heartbeat_timeout * (0.3 + 0.3 * u);
	return 5.0 * (1.0 + u);
}

double random_unit(void)
{
	uint64_t x = 0;

	if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
		x = (uint64_t)rand() << 32 ^ (uint64_t)rand();
	return (double)(x >> 11) / 9007199254740992.0; /* 53 bits */
}

struct ironic_client {
	char **urls; /* without trailing '/' */
	char *request_id;
	bool insecure;
	char *ca_file;
	unsigned timeout_s;
};

struct ironic_client *ironic_client_new(const struct ironic_client_options *o)
{
	struct ironic_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	for (char *const *u = o->api_urls; u && *u; u++)
		if (strv_extend(&c->urls, *u) < 0)
			goto fail;
	if (!c->urls)
		goto fail;
	for (char **u = c->urls; *u; u++) {
		size_t n = strlen(*u);

		while (n > 0 && (*u)[n - 1] == '/')
			(*u)[--n] = '\0';
	}
	if (o->request_id && !(c->request_id = strdup(o->request_id)))
		goto fail;
	if (o->ca_file && !(c->ca_file = strdup(o->ca_file)))
		goto fail;
	c->insecure = o->insecure;
	c->timeout_s = o->timeout_s;
	return c;
fail:
	ironic_client_free(c);
	return NULL;
}

void ironic_client_free(struct ironic_client *c)
{
	if (!c)
		return;
	strv_free(c->urls);
	free(c->request_id);
	free(c->ca_file);
	free(c);
}

int ironic_client_request(struct ironic_client *c, const char *method, const char *path,
			  struct ironic_version version, const char *body,
			  struct http_response *ret)
{
	char vheader[64], rheader[320];
	const char *headers[5];
	size_t nh = 0;
	int r = -ECONNREFUSED;

	headers[nh++] = "Content-Type: application/json";
	headers[nh++] = "Accept: application/json";
	if (version.major) {
		snprintf(vheader, sizeof(vheader), "X-OpenStack-Ironic-API-Version: %u.%u",
			 version.major, version.minor);
		headers[nh++] = vheader;
	}
	if (c->request_id) {
		snprintf(rheader, sizeof(rheader), "X-OpenStack-Request-ID: %s", c->request_id);
		headers[nh++] = rheader;
	}
	headers[nh] = NULL;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; c->urls[i]; i++) {
		_cleanup_free_ char *url = NULL;
		struct http_request req = {
		    .method = method,
		    .headers = headers,
		    .body = body,
		    .body_len = body ? strlen(body) : 0,
		    .insecure = c->insecure,
		    .ca_file = c->ca_file,
		    .timeout_s = c->timeout_s,
		    .max_body = IRONIC_BODY_MAX,
		};

		if (asprintf(&url, "%s%s", c->urls[i], path) < 0)
			return -ENOMEM;
		req.url = url;
		r = http_request(&req, ret);
		/* requests' ConnectionError covers TLS failures (SSLError) too: next URL. */
		if (r != -ECONNREFUSED && r != -ETIMEDOUT && r != -EPROTO) {
			if (i > 0) {
				/* This one works: try it first from now on. */
				char *u = c->urls[i];

				memmove(c->urls + 1, c->urls, i * sizeof(*c->urls));
				c->urls[0] = u;
			}
			return r;
		}
		log_warning("Ironic API at %s: %s", c->urls[i], ret->error);
	}
	return r;
}

struct ironic_version ironic_client_discover(struct ironic_client *c)
{
	struct http_response resp;
	struct ironic_version v = IRONIC_VERSION_FALLBACK;

	if (ironic_client_request(c, "GET", "/", (struct ironic_version){0, 0}, NULL, &resp) == 0 &&
	    resp.status == 200 && ironic_parse_root(resp.body, resp.len, &v) == 0) {
		http_response_done(&resp);
		return v;
	}
	log_warning("cannot discover the Ironic API version (%s%ld); using %u.%u", resp.error,
		    resp.status, IRONIC_VERSION_FALLBACK.major, IRONIC_VERSION_FALLBACK.minor);
	http_response_done(&resp);
	return IRONIC_VERSION_FALLBACK;
}
