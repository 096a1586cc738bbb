#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/api.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/macro.h"
#include "basic/hexdecoct.h"

#define DOCS_URL "https://docs.openstack.org/ironic-python-agent/"

struct api {
	struct commands *commands;
	char *version;
	double started_at;

	pthread_mutex_t lock;
	char *token;
	bool get_token_latched; /* a GET carried a token: every later GET must */
};

struct api *api_new(struct commands *commands, const char *version, double started_at)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->commands = commands;
	a->version = strdup(version);
	a->started_at = started_at;
	pthread_mutex_init(&a->lock, NULL);
	if (!a->version) {
		api_free(a);
		return NULL;
	}
	return a;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	free(a->version);
	free(a->token);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int api_set_token(struct api *a, const char *token)
{
	char *t = NULL;

	if (token) {
		if (strlen(token) > API_TOKEN_MAX)
			return -E2BIG;
		t = strdup(token);
		if (!t)
			return -ENOMEM;
	}
	pthread_mutex_lock(&a->lock);
	free(a->token);
	a->token = t;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

void api_response_done(struct api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
}

/* Percent-decodes s[0..n) into a new string. */
static int url_decode(const char *s, size_t n, char **ret)
{
	char *d = malloc(n + 1), *p = d;

	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n) {
				free(d);
				return -EINVAL;
			}
			hi = unhexchar(s[i + 1]);
			lo = unhexchar(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return -EINVAL;
			}
			*p++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*p++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*p = '\0';
	*ret = d;
	return 0;
}

int query_get(const char *query, const char *key, char **ret)
{
	size_t klen = strlen(key);
	const char *p = query;

	*ret = NULL;
	if (!query)
		return 0;
	if (strlen(query) > API_QUERY_MAX)
		return -E2BIG;
	while (*p) {
		const char *end = strchrnul(p, '&');
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t nlen = (size_t)((eq ? eq : end) - p);

		if (nlen == klen && memcmp(p, key, klen) == 0) {
			if (!eq)
				return url_decode("", 0, ret);
			return url_decode(eq + 1, (size_t)(end - eq - 1), ret);
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* Constant-time comparison of two NUL-terminated strings. */
static bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return diff == 0 && lb > 0;
}

static void respond(struct api_response *resp, int status, json_object *body)
{
	const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);

	resp->status = status;
	resp->body = strdup(s ? s : "{}");
	if (!resp->body)
		resp->status = 500;
	json_object_put(body);
}

static void respond_fault(struct api_response *resp, int status, const char *text)
{
	respond(resp, status, api_fault(status, "%s", text));
}

/* A Host header usable in links: printable, no spaces, slashes or quotes. */
static bool host_ok(const char *h)
{
	size_t n = 0;

	if (!h || !*h)
		return false;
	for (; h[n]; n++)
		if (h[n] <= ' ' || h[n] >= 0x7f || strchr("/\\\"'<>@?#", h[n]))
			return false;
	return n <= API_HOST_MAX;
}

static char *base_url(const struct api_request *req)
{
	char *s = NULL;

	if (asprintf(&s, "%s://%s", req->tls ? "https" : "http",
		     host_ok(req->host) ? req->host : "localhost") < 0)
		return NULL;
	return s;
}

static json_object *link_new(const char *base, const char *path, const char *rel)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *href = NULL;

	if (asprintf(&href, "%s%s", base, path) < 0)
		href = NULL;
	json_object_object_add(o, "href", json_object_new_string(href ? href : path));
	json_object_object_add(o, "rel", json_object_new_string(rel));
	return o;
}

static json_object *version_links(const char *base)
{
	json_object *a = json_object_new_array(), *d = json_object_new_object();

	json_object_array_add(a, link_new(base, "/v1", "self"));
	json_object_object_add(d, "href", json_object_new_string(DOCS_URL));
	json_object_object_add(d, "rel", json_object_new_string("describedby"));
	json_object_object_add(d, "type", json_object_new_string("text/html"));
	json_object_array_add(a, d);
	return a;
}

static json_object *version_v1(const char *base)
{
	json_object *v = json_object_new_object();

	json_object_object_add(v, "id", json_object_new_string("v1"));
	json_object_object_add(v, "links", version_links(base));
	return v;
}

static json_object *root_document(const char *base)
{
	json_object *o = json_object_new_object(), *versions = json_object_new_array();

	json_object_object_add(o, "name",
			       json_object_new_string("OpenStack Ironic Python Agent API"));
	json_object_object_add(o, "description",
			       json_object_new_string("Ironic Python Agent is a provisioning agent "
						      "for OpenStack Ironic"));
	json_object_array_add(versions, version_v1(base));
	json_object_object_add(o, "versions", versions);
	json_object_object_add(o, "default_version", version_v1(base));
	return o;
}

static json_object *link_pair(const char *base, const char *what)
{
	json_object *a = json_object_new_array();
	_cleanup_free_ char *v1 = NULL, *plain = NULL;

	if (asprintf(&v1, "/v1/%s", what) < 0)
		v1 = NULL;
	if (asprintf(&plain, "/%s", what) < 0)
		plain = NULL;
	json_object_array_add(a, link_new(base, v1 ? v1 : "", "self"));
	json_object_array_add(a, link_new(base, plain ? plain : "", "bookmark"));
	return a;
}

static json_object *v1_document(const char *base)
{
	json_object *o = json_object_new_object(), *media = json_object_new_array(),
		    *m = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string("v1"));
	json_object_object_add(o, "links", version_links(base));
	json_object_object_add(o, "commands", link_pair(base, "commands"));
	json_object_object_add(o, "status", link_pair(base, "status"));
	json_object_object_add(m, "base", json_object_new_string("application/json"));
	json_object_object_add(
	    m, "type",
	    json_object_new_string("application/vnd.openstack.ironic-python-agent.v1+json"));
	json_object_array_add(media, m);
	json_object_object_add(o, "media_types", media);
	return o;
}

enum route {
	ROUTE_NONE,
	ROUTE_ROOT,
	ROUTE_V1,
	ROUTE_STATUS,
	ROUTE_COMMANDS,
	ROUTE_COMMAND, /* with an id */
};

/* Matches path; for ROUTE_COMMAND, *id points into path. */
static enum route route_match(const char *path, const char **id)
{
	const char *p = path;

	if (strcmp(p, "/") == 0 || strcmp(p, "") == 0)
		return ROUTE_ROOT;
	if (strcmp(p, "/v1") == 0 || strcmp(p, "/v1/") == 0)
		return ROUTE_V1;
	if (strncmp(p, "/v1/", 4) == 0)
		p += 3;
	if (strcmp(p, "/status") == 0 || strcmp(p, "/status/") == 0)
		return ROUTE_STATUS;
	if (strcmp(p, "/commands") == 0 || strcmp(p, "/commands/") == 0)
		return ROUTE_COMMANDS;
	if (strncmp(p, "/commands/", 10) == 0 && p[10] && !strchr(p + 10, '/')) {
		*id = p + 10;
		return ROUTE_COMMAND;
	}
	return ROUTE_NONE;
}

enum token_check {
	TOKEN_OK,
	TOKEN_BAD,
	TOKEN_MALFORMED_QUERY,
};

static enum token_check check_token(struct api *a, const struct api_request *req, bool is_get)
{
	_cleanup_free_ char *given = NULL;
	enum token_check r = TOKEN_OK;

	if (query_get(req->query, "agent_token", &given) < 0)
		return TOKEN_MALFORMED_QUERY;

	pthread_mutex_lock(&a->lock);
	if (is_get && given && *given) /* IPA: "if token:", an empty one does not count */
		a->get_token_latched = true;
	if (!is_get || a->get_token_latched) {
		if (!a->token || !given || !token_equal(given, a->token))
			r = TOKEN_BAD;
	}
	pthread_mutex_unlock(&a->lock);
	return r;
}

static bool query_true(const struct api_request *req, const char *key)
{
	_cleanup_free_ char *v = NULL;

	return query_get(req->query, key, &v) == 0 && v && strcasecmp(v, "true") == 0;
}

static void handle_post(struct api *a, const struct api_request *req, struct api_response *resp)
{
	_cleanup_json_ json_object *body = NULL;
	json_tokener *tok;
	json_object *name, *params, *out = NULL;
	int status;

	if (req->body_len > API_BODY_MAX) {
		respond_fault(
		    resp, 413,
		    "413 Request Entity Too Large: The data value transmitted exceeds the "
		    "capacity limit.");
		return;
	}
	tok = json_tokener_new_ex(API_JSON_DEPTH);
	if (!tok) {
		respond_fault(resp, 500, "500 Internal Server Error: out of memory");
		return;
	}
	if (req->body_len > 0 && req->body_len <= (size_t)INT32_MAX) {
		body = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != req->body_len) {
			/* Trailing blanks are fine, anything else is not. */
			size_t end = json_tokener_get_error(tok) == json_tokener_success
					 ? json_tokener_get_parse_end(tok)
					 : 0;

			while (end > 0 && end < req->body_len && strchr(" \t\r\n", req->body[end]))
				end++;
			if (end != req->body_len) {
				json_object_put(body);
				body = NULL;
			}
		}
	}
	json_tokener_free(tok);

	name = json_get(body, "name", json_type_string);
	params = json_get(body, "params", json_type_object);
	if (!name || !params) {
		respond_fault(resp, 400, "400 Bad Request: Missing or invalid name or params");
		return;
	}
	status = commands_execute(a->commands, json_object_get_string(name), params,
				  query_true(req, "wait"), &out);
	respond(resp, status, out);
}

void api_handle(struct api *a, const struct api_request *req, struct api_response *resp)
{
	_cleanup_free_ char *base = NULL, *id_copy = NULL;
	const char *id = NULL;
	enum route route = route_match(req->path ? req->path : "", &id);
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	bool post = strcmp(req->method, "POST") == 0;
	json_object *out = NULL;
	enum token_check tc;
	int status;

	resp->status = 500;
	resp->body = NULL;

	if (route == ROUTE_NONE) {
		respond_fault(
		    resp, 404,
		    "404 Not Found: The requested URL was not found on the server. If you "
		    "entered the URL manually please check your spelling and try again.");
		return;
	}
	if (!(get || (post && route == ROUTE_COMMANDS))) {
		respond_fault(resp, 405,
			      "405 Method Not Allowed: The method is not allowed for the requested "
			      "URL.");
		return;
	}

	base = base_url(req);
	switch (route) {
	case ROUTE_ROOT:
		respond(resp, 200, root_document(base ? base : ""));
		return;
	case ROUTE_V1:
		respond(resp, 200, v1_document(base ? base : ""));
		return;
	case ROUTE_STATUS:
		out = json_object_new_object();
		json_object_object_add(out, "started_at", json_object_new_double(a->started_at));
		json_object_object_add(out, "version", json_object_new_string(a->version));
		respond(resp, 200, out);
		return;
	default:
		break;
	}

	tc = check_token(a, req, get);
	if (tc == TOKEN_MALFORMED_QUERY) {
		respond_fault(resp, 400, "400 Bad Request: malformed query string");
		return;
	}
	if (tc == TOKEN_BAD) {
		log_warning("%s %s: missing or invalid agent token", req->method, req->path);
		respond_fault(resp, 401, "401 Unauthorized: Token invalid.");
		return;
	}

	if (post) {
		handle_post(a, req, resp);
		return;
	}
	if (route == ROUTE_COMMANDS) {
		respond(resp, 200, commands_list(a->commands));
		return;
	}
	id_copy = strdup(id);
	if (!id_copy) {
		respond_fault(resp, 500, "500 Internal Server Error: out of memory");
		return;
	}
	status = commands_get(a->commands, id_copy, query_true(req, "wait"), &out);
	respond(resp, status, out);
}
