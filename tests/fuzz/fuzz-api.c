/* sources: src/agent/api.c src/agent/command.c src/agent/log.c src/basic/hexdecoct.c */
/*
 * The agent's REST API as the server hands requests to it (api_handle()), with a command table
 * of fakes and a token set. The input is up to MAX_REQUESTS requests separated by a line
 * "----", each:
 *
 *   METHOD [HOST [tls]]\n       the Host header and whether the connection was TLS
 *   PATH[?QUERY]\n              the first '?' starts the query ("?" alone: an empty query)
 *   BODY                        the rest, any bytes
 *
 * All requests of one input go to one fresh registry, so that a POST can be followed by GETs of
 * the history and the token latch is reached. Invariants: the status is one the API documents,
 * the body is JSON, an error is a WSME fault with a string faultstring, a 200 from the commands
 * routes is an object.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api.h"
#include "agent/command.h"
#include "agent/json-util.h"
#include "agent/log.h"

#include "fuzz.h"

#define TOKEN	     "fuzz-token-0123456789abcdefghijkl"
#define MAX_REQUESTS 8

/* Reads its params as a real command does: typed lookups, nested objects, arrays. */
static int run_params(struct command_context *ctx, json_object *params, json_object **ret_result,
		      json_object **ret_error)
{
	json_object *image_info = json_get(params, "image_info", json_type_object);
	json_object *urls = json_get(image_info, "urls", json_type_array);
	const char *id = json_get_string(image_info, "id");
	json_object *r = json_object_new_object();

	(void)ctx;
	(void)ret_error;
	json_object_object_add(r, "id", id ? json_object_new_string(id) : NULL);
	json_object_object_add(
	    r, "n_urls", json_object_new_int(urls ? (int)json_object_array_length(urls) : -1));
	json_object_object_add(
	    r, "stream",
	    json_object_new_boolean(json_get_bool(image_info, "stream_raw_images", false)));
	json_object_object_add(r, "params", json_object_get(params));
	*ret_result = r;
	return COMMAND_OK;
}

static int run_string(struct command_context *ctx, json_object *params, json_object **ret_result,
		      json_object **ret_error)
{
	const char *s = json_get_string(params, "s");

	(void)ctx;
	(void)ret_error;
	*ret_result = json_object_new_string(s ? s : "done");
	return COMMAND_OK;
}

static int run_fail(struct command_context *ctx, json_object *params, json_object **ret_result,
		    json_object **ret_error)
{
	const char *why = json_get_string(params, "why");

	(void)ctx;
	(void)ret_result;
	*ret_error = agent_error_new("CommandExecutionError", 500, "Command execution failed",
				     "it broke: %s", why ? why : "(no reason)");
	return COMMAND_ERROR;
}

static int validate_step(struct command_context *ctx, json_object *params, json_object **ret_error)
{
	json_object *step = json_get(params, "step", json_type_object);

	(void)ctx;
	if (json_get_string(step, "step") && json_get_string(step, "interface"))
		return 0;
	*ret_error = agent_error_new("InvalidCommandParamsError", 400, "Invalid command parameters",
				     "%s", "step needs step and interface");
	return -1;
}

static int run_nested(struct command_context *ctx, json_object *params, json_object **ret_result,
		      json_object **ret_error)
{
	return command_context_call(ctx, "standby.sync", params, ret_result, ret_error);
}

/* Returns at once, without looking at params (the request owns them too). */
static int run_async(struct command_context *ctx, json_object *params, json_object **ret_result,
		     json_object **ret_error)
{
	(void)ctx;
	(void)params;
	(void)ret_error;
	*ret_result = json_object_new_string("started");
	return COMMAND_OK;
}

static const struct command_def defs[] = {
    {.name = "standby.get_partition_uuids", .run = run_params},
    {.name = "standby.sync", .run = run_string},
    {.name = "standby.power_off", .async = true, .run = run_async},
    {.name = "clean.get_clean_steps", .run = run_params},
    {.name = "deploy.execute_deploy_step", .validate = validate_step, .run = run_nested},
    {.name = "image.install_bootloader", .run = run_fail},
};

static bool status_known(int s)
{
	static const int known[] = {200, 400, 401, 404, 405, 409, 413, 500};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == s)
			return true;
	return false;
}

static void check_query(const char *query)
{
	static const char *const keys[] = {"agent_token", "wait", ""};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = (char *)1;
		int r = query_get(query, keys[i], &v);

		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG, "query_get returned %d", r);
		FUZZ_CHECK(r == 0 || !v, "query_get failed with %d but set a value", r);
		FUZZ_CHECK(query || !v, "a value from no query");
		free(v);
	}
}

static void check_response(const char *method, const char *path, const struct api_response *resp)
{
	json_tokener *tok;
	json_object *o, *fs;

	FUZZ_CHECK(status_known(resp->status), "%s %s: status %d", method, path, resp->status);
	FUZZ_CHECK(resp->body, "%s %s: status %d without a body", method, path, resp->status);

	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, resp->body, (int)strlen(resp->body));
	FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success,
		   "%s %s: body is not JSON: %s", method, path, resp->body);
	json_tokener_free(tok);
	FUZZ_CHECK(json_object_is_type(o, json_type_object), "%s %s: body is not an object: %s",
		   method, path, resp->body);
	if (resp->status >= 400) {
		fs = json_get(o, "faultstring", json_type_string);
		FUZZ_CHECK(fs, "%s %s: status %d without a string faultstring: %s", method, path,
			   resp->status, resp->body);
		FUZZ_CHECK(json_get_string(o, "faultcode"), "%s %s: no faultcode: %s", method, path,
			   resp->body);
	}
	json_object_put(o);
}

static void one_request(struct api *a, const char *text, size_t n)
{
	const char *p = text;
	char *line1 = fuzz_take_until(&p, &n, "\n");
	char *target = fuzz_take_until(&p, &n, "\n");
	char *method = line1, *host = NULL, *tls = NULL, *query = NULL, *q;
	struct api_request req = {0};
	struct api_response resp = {0};

	host = strchr(line1, ' ');
	if (host) {
		*host++ = '\0';
		tls = strchr(host, ' ');
		if (tls)
			*tls++ = '\0';
	}
	q = strchr(target, '?');
	if (q) {
		*q = '\0';
		query = q + 1;
	}

	req.method = method;
	req.path = target;
	req.query = query;
	req.body = p;
	req.body_len = n;
	req.host = host;
	req.tls = tls && strcmp(tls, "tls") == 0;

	check_query(query);
	api_handle(a, &req, &resp);
	check_response(method, target, &resp);
	api_response_done(&resp);
	free(line1);
	free(target);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t n = size;
	struct commands *c = commands_new(defs, sizeof(defs) / sizeof(defs[0]), NULL);
	struct api *a = api_new(c, "10.0.0", 1795550383.0);

	if (!c || !a || api_set_token(a, TOKEN) < 0)
		abort();
	for (int i = 0; i < MAX_REQUESTS && n > 0; i++) {
		/* The body of one request may hold NULs: split by bytes, not as a C string. */
		size_t k;

		for (k = 0; k + 6 <= n; k++)
			if (memcmp(p + k, "\n----\n", 6) == 0)
				break;
		if (k + 6 > n)
			k = n;
		one_request(a, p, k);
		if (k == n)
			break;
		p += k + 6;
		n -= k + 6;
	}
	api_free(a);
	commands_free(c);
	return 0;
}
