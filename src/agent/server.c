/* needs: <civetweb.h> */
#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/server.h"

#include <civetweb.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/macro.h"

struct server {
	struct mg_context *ctx;
	struct api *api;
};

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Request Entity Too Large";
	default:
		return status >= 500 ? "Internal Server Error" : "Error";
	}
}

static void send_answer(struct mg_connection *conn, int status, const char *body, bool head)
{
	size_t n = strlen(body);

	mg_printf(conn,
		  "HTTP/1.1 %d %s\r\n"
		  "Content-Type: application/json\r\n"
		  "Content-Length: %zu\r\n"
		  "Cache-Control: no-store\r\n"
		  "\r\n",
		  status, reason(status), n);
	if (!head)
		mg_write(conn, body, n);
}

/* Reads the whole body, at most API_BODY_MAX bytes: 0, -EFBIG or -EIO. */
static int read_body(struct mg_connection *conn, long long announced, char **ret, size_t *ret_len)
{
	size_t len = 0, allocated = announced > 0 ? (size_t)announced + 1 : 65536;
	char *buf = malloc(allocated);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		int k;

		if (len + 1 == allocated) {
			char *b;

			if (allocated > API_BODY_MAX + 1) {
				free(buf);
				return -EFBIG;
			}
			allocated = MIN(allocated * 2, (size_t)API_BODY_MAX + 2);
			b = realloc(buf, allocated);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		k = mg_read(conn, buf + len, allocated - 1 - len);
		if (k < 0) {
			free(buf);
			return -EIO;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > API_BODY_MAX) {
			free(buf);
			return -EFBIG;
		}
	}
	if (announced >= 0 && (size_t)announced != len) {
		free(buf);
		return -EIO;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int begin_request(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct server *s = ri->user_data;
	_cleanup_free_ char *body = NULL;
	struct api_response resp = {0};
	struct api_request req = {
	    .method = ri->request_method,
	    .path = ri->local_uri ? ri->local_uri : "",
	    .query = ri->query_string,
	    .host = mg_get_header(conn, "Host"),
	    .tls = ri->is_ssl,
	};
	bool head = strcmp(ri->request_method, "HEAD") == 0;
	int r;

	if (ri->content_length > (long long)API_BODY_MAX) {
		/* Answer without reading the body, and close: the client gets its 413. */
		req.body_len = (size_t)API_BODY_MAX + 1;
		req.body = "";
		log_warning("%s %s from %s: body of %lld bytes refused", req.method, req.path,
			    ri->remote_addr, ri->content_length);
	} else if (ri->content_length != 0 && !head && strcmp(ri->request_method, "GET") != 0) {
		r = read_body(conn, ri->content_length, &body, &req.body_len);
		if (r == -EFBIG) {
			req.body_len = (size_t)API_BODY_MAX + 1;
			req.body = "";
		} else if (r < 0) {
			_cleanup_(json_object_putp) json_object *fault =
			    api_fault(r == -ENOMEM ? 500 : 400, "%s",
				      r == -ENOMEM ? "500 Internal Server Error: out of memory"
						   : "400 Bad Request: the body could not be read");

			log_warning("%s %s from %s: cannot read the body: %s", req.method, req.path,
				    ri->remote_addr, strerror(-r));
			send_answer(conn, r == -ENOMEM ? 500 : 400,
				    json_object_to_json_string_ext(fault, JSON_C_TO_STRING_PLAIN),
				    head);
			return r == -ENOMEM ? 500 : 400;
		} else {
			req.body = body;
		}
	}

	api_handle(s->api, &req, &resp);
	if (resp.status >= 400 || strcmp(req.method, "POST") == 0)
		log_info("%s %s from %s: %d", req.method, req.path, ri->remote_addr, resp.status);
	send_answer(conn, resp.status, resp.body ? resp.body : "{}", head);
	api_response_done(&resp);
	return resp.status;
}

static void init_tls_library(void)
{
	(void)mg_init_library(MG_FEATURES_TLS);
}

struct server *server_start(struct api *api, const struct server_options *o, char **error)
{
	struct mg_callbacks callbacks = {.begin_request = begin_request};
	char ports[320], threads[16];
	const char *options[] = {
	    "listening_ports",
	    ports,
	    "num_threads",
	    threads,
	    "enable_keep_alive",
	    "yes",
	    "keep_alive_timeout_ms",
	    "30000",
	    "request_timeout_ms",
	    "30000",
	    NULL, /* "ssl_certificate" */
	    NULL,
	    NULL,
	};
	struct mg_init_data init = {.callbacks = &callbacks, .configuration_options = options};
	struct mg_error_data err = {0};
	char errtext[256] = "";
	struct server *s;

	*error = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->api = api;
	init.user_data = s;
	err.text = errtext;
	err.text_buffer_size = sizeof(errtext);

	if (!o->listen_host || strcmp(o->listen_host, "::") == 0)
		snprintf(ports, sizeof(ports), "+%u", o->port); /* IPv4 and IPv6 */
	else if (strchr(o->listen_host, ':'))
		snprintf(ports, sizeof(ports), "[%s]:%u", o->listen_host, o->port);
	else
		snprintf(ports, sizeof(ports), "%s:%u", o->listen_host, o->port);
	snprintf(threads, sizeof(threads), "%u", o->threads ? o->threads : 32);
	if (o->tls_pem) {
		static pthread_once_t once = PTHREAD_ONCE_INIT;

		/* civetweb's TLS feature once per process (mbedTLS: nothing global to set up). */
		pthread_once(&once, init_tls_library);
		strcat(ports, "s");
		options[10] = "ssl_certificate";
		options[11] = o->tls_pem;
	}

	s->ctx = mg_start2(&init, &err);
	if (!s->ctx) {
		if (asprintf(error, "cannot %s on %s: %s", o->tls_pem ? "serve TLS" : "listen",
			     ports, errtext[0] ? errtext : "unknown error") < 0)
			*error = NULL;
		free(s);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	mg_stop(s->ctx);
	free(s);
}
