#pragma once

/*
 * The agent's REST API (IPA's ironic_python_agent/api/app.py), apart from the HTTP server that
 * carries it: api_handle() takes a parsed request and gives the status and JSON body to send.
 * The server glue (server.c) only moves bytes, so every rule of the API is tested here:
 *
 *   GET  /                        root document            no token
 *   GET  /v1, /v1/                v1 document              no token
 *   GET  /v1/status, /status      {"started_at", "version"} no token
 *   GET  /v1/commands[/], /commands[/]       history       token latch (below)
 *   GET  /v1/commands/<id>, /commands/<id>   one result, ?wait=true blocks
 *   POST /v1/commands[/], /commands[/]       execute, ?wait=true blocks; token required
 *
 * The token travels as the agent_token query parameter only. POST needs it always (IPA-master's
 * rule; the agent refuses commands while it has no token). GETs follow IPA 10.2's latch: once a
 * GET came with a token, every later GET must carry the valid one; Ironic 21.4.4 sends none on
 * GET, Ironic >= 29 always does. Tokens are compared in constant time.
 *
 * Errors are WSME fault bodies ({"faultcode", "faultstring"}): 400 for a malformed body or a
 * bad command, 401 for a token, 404 for an unknown route, command id or extension, 405 for a
 * wrong method, 409 while the last command runs, 413 for a body over API_BODY_MAX.
 */

#include <stdbool.h>
#include <stddef.h>

#include "agent/command.h"

/* The largest request body accepted. A deploy step carries the config drive (gzip + base64,
 * usually well under 1 MiB; Ironic caps what it builds at 64 MiB) up to three times. */
#define API_BODY_MAX   (16 * 1024 * 1024)
#define API_QUERY_MAX  8192
#define API_JSON_DEPTH 64
#define API_HOST_MAX   256
#define API_TOKEN_MAX  256

struct api_request {
	const char *method;
	const char *path;  /* without the query */
	const char *query; /* raw, without '?', or NULL */
	const char *body;
	size_t body_len;
	const char *host; /* the Host header, for links; may be NULL */
	bool tls;
};

struct api_response {
	int status;
	char *body; /* JSON text, malloc'ed */
};

struct api;

struct api *api_new(struct commands *commands, const char *version, double started_at);
void api_free(struct api *a);

/* The token commands must carry (from lookup or ipa-agent-token); NULL clears it. */
int api_set_token(struct api *a, const char *token);

/* Fills resp; never fails (an internal error is a 500 fault). */
void api_handle(struct api *a, const struct api_request *req, struct api_response *resp);

void api_response_done(struct api_response *resp);

/*
 * The value of key in a query string, percent-decoded ('+' is a space), in a malloc'ed string,
 * or NULL when absent; the first occurrence wins (werkzeug's args.get). -EINVAL for a bad escape,
 * -E2BIG over API_QUERY_MAX.
 */
int query_get(const char *query, const char *key, char **ret);
