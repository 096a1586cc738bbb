/* sources: src/agent/api.c src/agent/command.c src/agent/log.c src/basic/hexdecoct.c */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/api.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "test.h"

#define TOKEN "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU"

/* The asynchronous test command blocks until the test releases it. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static int done_calls;

static void gate_release(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static int run_ok(struct command_context *ctx, json_object *params, json_object **ret_result,
		  json_object **ret_error)
{
	(void)ctx;
	(void)ret_error;
	*ret_result = json_object_new_object();
	json_object_object_add(*ret_result, "params_seen",
			       json_object_new_int((int)json_object_object_length(params)));
	return COMMAND_OK;
}

static int run_string(struct command_context *ctx, json_object *params, json_object **ret_result,
		      json_object **ret_error)
{
	(void)ctx;
	(void)params;
	(void)ret_error;
	*ret_result = json_object_new_string("hello");
	return COMMAND_OK;
}

static int run_fail(struct command_context *ctx, json_object *params, json_object **ret_result,
		    json_object **ret_error)
{
	(void)ctx;
	(void)params;
	(void)ret_result;
	*ret_error = agent_error_new("CommandExecutionError", 500, "Command execution failed",
				     "it broke: %d", 42);
	return COMMAND_ERROR;
}

static int run_gate(struct command_context *ctx, json_object *params, json_object **ret_result,
		    json_object **ret_error)
{
	(void)ctx;
	(void)params;
	(void)ret_error;
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	*ret_result = json_object_new_string("done");
	return COMMAND_OK;
}

static int run_version(struct command_context *ctx, json_object *params, json_object **ret_result,
		       json_object **ret_error)
{
	(void)ctx;
	(void)params;
	(void)ret_result;
	*ret_error = agent_error_new("VersionMismatch", 409, "Hardware managers version mismatch",
				     "%s", "different");
	return COMMAND_ERROR_VERSION;
}

static int validate_x(struct command_context *ctx, json_object *params, json_object **ret_error)
{
	(void)ctx;
	if (json_get(params, "x", json_type_int))
		return 0;
	*ret_error = agent_error_new("InvalidCommandParamsError", 400, "Invalid command parameters",
				     "%s", "x is required");
	return -1;
}

static int run_nested(struct command_context *ctx, json_object *params, json_object **ret_result,
		      json_object **ret_error)
{
	(void)params;
	return command_context_call(ctx, "test.string", NULL, ret_result, ret_error);
}

static const struct command_def defs[] = {
    {.name = "test.ok", .run = run_ok},
    {.name = "test.string", .run = run_string},
    {.name = "test.fail", .run = run_fail},
    {.name = "test.gate", .async = true, .run = run_gate},
    {.name = "test.async_fail", .async = true, .run = run_fail},
    {.name = "test.version", .async = true, .run = run_version},
    {.name = "test.validated", .validate = validate_x, .run = run_ok},
    {.name = "test.nested", .async = true, .run = run_nested},
};

static void on_done(void *data)
{
	(void)data;
	__atomic_add_fetch(&done_calls, 1, __ATOMIC_SEQ_CST);
}

struct reply {
	int status;
	json_object *json;
};

static struct reply call(struct api *a, const char *method, const char *path, const char *query,
			 const char *body)
{
	struct api_request req = {
	    .method = method,
	    .path = path,
	    .query = query,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .host = "192.0.2.50:9999",
	};
	struct api_response resp;
	struct reply r;

	api_handle(a, &req, &resp);
	r.status = resp.status;
	r.json = resp.body ? json_tokener_parse(resp.body) : NULL;
	api_response_done(&resp);
	return r;
}

static const char *str_at(json_object *o, const char *key)
{
	const char *s = json_get_string(o, key);

	return s ? s : "(none)";
}

static bool fault_is(const struct reply *r, int status, const char *faultcode, const char *text)
{
	return r->status == status && strcmp(str_at(r->json, "faultcode"), faultcode) == 0 &&
	       strcmp(str_at(r->json, "faultstring"), text) == 0;
}

static void done(struct reply *r)
{
	json_object_put(r->json);
	r->json = NULL;
}

static void test_query(void)
{
	char *v = NULL;

	CHECK(query_get("wait=true&agent_token=a%2Bb+c", "agent_token", &v) == 0 && v &&
		  strcmp(v, "a+b c") == 0,
	      "query: percent and plus decoded");
	free(v);
	CHECK(query_get("a=1&a=2", "a", &v) == 0 && v && strcmp(v, "1") == 0,
	      "query: the first occurrence wins");
	free(v);
	CHECK(query_get("ab=1", "a", &v) == 0 && !v, "query: no prefix match");
	CHECK(query_get("a", "a", &v) == 0 && v && *v == '\0', "query: key without value is empty");
	free(v);
	CHECK(query_get("a=%4", "a", &v) == -EINVAL && !v, "query: truncated escape refused");
	CHECK(query_get("a=%zz", "a", &v) == -EINVAL, "query: bad escape refused");
	CHECK(query_get("a=x%00y", "a", &v) == -EINVAL, "query: NUL refused");
	CHECK(query_get(NULL, "a", &v) == 0 && !v, "query: none");
}

static void test_documents(struct api *a)
{
	struct reply r;
	json_object *links, *l0;

	r = call(a, "GET", "/", NULL, NULL);
	links = json_get(json_get(r.json, "default_version", json_type_object), "links",
			 json_type_array);
	l0 = links ? json_object_array_get_idx(links, 0) : NULL;
	CHECK(r.status == 200 &&
		  strcmp(str_at(r.json, "name"), "OpenStack Ironic Python Agent API") == 0 &&
		  strcmp(str_at(l0, "href"), "http://192.0.2.50:9999/v1") == 0,
	      "GET /: root document with links from the Host header");
	done(&r);

	r = call(a, "GET", "/v1/", NULL, NULL);
	CHECK(r.status == 200 && strcmp(str_at(r.json, "id"), "v1") == 0 &&
		  json_get(r.json, "media_types", json_type_array),
	      "GET /v1/: v1 document");
	done(&r);
	r = call(a, "GET", "/v1", NULL, NULL);
	CHECK(r.status == 200 && strcmp(str_at(r.json, "id"), "v1") == 0,
	      "GET /v1: same without the slash");
	done(&r);

	r = call(a, "GET", "/v1/status", NULL, NULL);
	CHECK(r.status == 200 && strcmp(str_at(r.json, "version"), "1.2.3") == 0 &&
		  json_get(r.json, "started_at", json_type_double),
	      "GET /v1/status: version and started_at");
	done(&r);
	r = call(a, "GET", "/status", NULL, NULL);
	CHECK(r.status == 200, "GET /status: the bookmark works too");
	done(&r);

	r = call(a, "GET", "/v2/nothing", NULL, NULL);
	CHECK(r.status == 404 &&
		  strncmp(str_at(r.json, "faultstring"), "404 Not Found:", 14) == 0 &&
		  strcmp(str_at(r.json, "faultcode"), "Client") == 0,
	      "unknown route: 404 fault");
	done(&r);
	r = call(a, "DELETE", "/v1/commands/", NULL, NULL);
	CHECK(r.status == 405, "DELETE /v1/commands/: 405");
	done(&r);
	r = call(a, "POST", "/v1/status", NULL, "{}");
	CHECK(r.status == 405, "POST /v1/status: 405");
	done(&r);

	struct api_request evil = {.method = "GET", .path = "/", .host = "x\"/><script>"};
	struct api_response resp;

	api_handle(a, &evil, &resp);
	CHECK(resp.status == 200 && resp.body && !strstr(resp.body, "<script") &&
		  strstr(resp.body, "http://localhost/v1"),
	      "a hostile Host header does not reach the links");
	api_response_done(&resp);
}

static void test_tokens(struct api *a)
{
	struct reply r;

	r = call(a, "POST", "/v1/commands/", "wait=true", "{\"name\":\"test.ok\",\"params\":{}}");
	CHECK(fault_is(&r, 401, "Client", "401 Unauthorized: Token invalid."),
	      "POST before the agent has a token: 401");
	done(&r);

	CHECK(api_set_token(a, TOKEN) == 0, "token set");
	r = call(a, "POST", "/v1/commands/", "wait=true", "{\"name\":\"test.ok\",\"params\":{}}");
	CHECK(r.status == 401, "POST without a token: 401");
	done(&r);
	r = call(a, "POST", "/v1/commands/", "agent_token=" TOKEN "x",
		 "{\"name\":\"test.ok\",\"params\":{}}");
	CHECK(r.status == 401, "POST with a longer token: 401");
	done(&r);
	r = call(a, "POST", "/v1/commands/", "agent_token=rEk9",
		 "{\"name\":\"test.ok\",\"params\":{}}");
	CHECK(r.status == 401, "POST with a prefix of the token: 401");
	done(&r);
	r = call(a, "POST", "/v1/commands/", "agent_token=%zz", "{}");
	CHECK(r.status == 400, "POST with a malformed query: 400");
	done(&r);
	r = call(a, "POST", "/v1/commands/", "wait=true&agent_token=" TOKEN, "{not json");
	CHECK(fault_is(&r, 400, "Client", "400 Bad Request: Missing or invalid name or params"),
	      "malformed JSON with a good token: 400 fault");
	done(&r);

	r = call(a, "GET", "/v1/commands/", NULL, NULL);
	CHECK(r.status == 200, "GET without a token before the latch: 200 (Ironic 21.4.4)");
	done(&r);
	r = call(a, "GET", "/v1/commands/", "agent_token=" TOKEN, NULL);
	CHECK(r.status == 200, "GET with the token: 200, and the latch closes");
	done(&r);
	r = call(a, "GET", "/v1/commands/", NULL, NULL);
	CHECK(r.status == 401, "GET without a token after the latch: 401");
	done(&r);
	r = call(a, "GET", "/v1/commands/", "agent_token=wrong", NULL);
	CHECK(r.status == 401, "GET with a wrong token: 401");
	done(&r);
	r = call(a, "GET", "/v1/status", NULL, NULL);
	CHECK(r.status == 200, "GET /v1/status never needs the token");
	done(&r);
}

#define Q "agent_token=" TOKEN

static void test_commands(struct api *a, struct commands *c)
{
	struct reply r, g;
	json_object *res, *err, *list;
	char id[64];

	r = call(a, "POST", "/v1/commands/", "wait=true&" Q,
		 "{\"name\":\"test.ok\",\"params\":{\"a\":1,\"unknown\":2}}");
	res = json_get(r.json, "command_result", json_type_object);
	CHECK(r.status == 200 && strcmp(str_at(r.json, "command_name"), "ok") == 0 &&
		  strcmp(str_at(r.json, "command_status"), "SUCCEEDED") == 0 &&
		  json_object_object_length(r.json) == 5 && strlen(str_at(r.json, "id")) == 36 &&
		  json_object_is_type(json_object_object_get(r.json, "command_error"),
				      json_type_null) &&
		  res && json_object_get_int(json_object_object_get(res, "params_seen")) == 2,
	      "sync command: five fields, short name, SUCCEEDED, params passed whole");
	done(&r);

	r = call(a, "POST", "/commands", Q, "{\"name\":\"test.string\",\"params\":{}}");
	CHECK(r.status == 200 &&
		  strcmp(str_at(json_get(r.json, "command_result", json_type_object), "result"),
			 "hello") == 0,
	      "sync string result: {\"result\": \"hello\"} (POST /commands spelling)");
	done(&r);

	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.fail\",\"params\":{}}");
	err = json_get(r.json, "command_error", json_type_object);
	CHECK(r.status == 200 && strcmp(str_at(r.json, "command_status"), "FAILED") == 0 &&
		  strcmp(str_at(r.json, "command_name"), "test.fail") == 0 &&
		  strcmp(str_at(err, "type"), "CommandExecutionError") == 0 &&
		  strcmp(str_at(err, "details"), "it broke: 42") == 0 &&
		  json_object_get_int(json_object_object_get(err, "code")) == 500 &&
		  json_object_is_type(json_object_object_get(r.json, "command_result"),
				      json_type_null),
	      "failed sync command: 200, FAILED, full name, IPA error object");
	done(&r);

	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"nodot\",\"params\":{}}");
	CHECK(fault_is(&r, 400, "Client",
		       "Invalid command: Command name must be of the form <extension>.<name>"),
	      "name without a dot: 400");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"nope.x\",\"params\":{}}");
	CHECK(fault_is(&r, 404, "Client", "Not found: Extension with id nope not found."),
	      "unknown extension: 404");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.nope\",\"params\":{}}");
	CHECK(fault_is(&r, 400, "Client", "Invalid command: Unknown command: nope"),
	      "unknown command of a known extension: 400");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.validated\",\"params\":{}}");
	CHECK(fault_is(&r, 400, "Client", "Invalid command parameters: x is required"),
	      "validator error: 400 with message: details");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.ok\",\"params\":[]}");
	CHECK(r.status == 400, "params not an object: 400");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.ok\"}");
	CHECK(r.status == 400, "params missing: 400");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.ok\",\"params\":{}} x");
	CHECK(r.status == 400, "trailing garbage: 400");
	done(&r);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.ok\",\"params\":{}}\r\n");
	CHECK(r.status == 200, "trailing newline: fine");
	done(&r);

	/* Nesting deeper than API_JSON_DEPTH. */
	{
		char deep[2 * 200 + 64];
		size_t k = 0;

		k += (size_t)sprintf(deep, "{\"name\":\"test.ok\",\"params\":{\"x\":");
		for (int i = 0; i < 200; i++)
			deep[k++] = '[';
		for (int i = 0; i < 200; i++)
			deep[k++] = ']';
		strcpy(deep + k, "}}");
		r = call(a, "POST", "/v1/commands/", Q, deep);
		CHECK(r.status == 400, "JSON nested 200 deep: 400");
		done(&r);
	}

	{
		struct api_request big = {.method = "POST",
					  .path = "/v1/commands/",
					  .query = Q,
					  .body = "{}",
					  .body_len = (size_t)API_BODY_MAX + 1};
		struct api_response resp;

		api_handle(a, &big, &resp);
		CHECK(resp.status == 413 && resp.body && strstr(resp.body, "faultstring"),
		      "body over the limit: 413 fault");
		api_response_done(&resp);
	}

	/* An asynchronous command that blocks: RUNNING, 409 for the next, then done. */
	size_t before = commands_count(c);
	r = call(a, "POST", "/v1/commands/", "wait=false&" Q,
		 "{\"name\":\"test.gate\",\"params\":{}}");
	CHECK(r.status == 200 && strcmp(str_at(r.json, "command_status"), "RUNNING") == 0 &&
		  json_object_is_type(json_object_object_get(r.json, "command_result"),
				      json_type_null),
	      "async command: RUNNING, result null");
	snprintf(id, sizeof(id), "%s", str_at(r.json, "id"));
	done(&r);
	CHECK(commands_busy(c), "busy while it runs");

	r = call(a, "POST", "/v1/commands/", "wait=true&" Q,
		 "{\"name\":\"test.ok\",\"params\":{}}");
	CHECK(fault_is(&r, 409, "Client", "Agent is busy: executing command gate"),
	      "second command while the first runs: 409 Agent is busy");
	done(&r);
	CHECK(commands_count(c) == before + 1, "the refused command is not recorded");

	r = call(a, "GET", "/v1/commands/", Q, NULL);
	list = json_get(r.json, "commands", json_type_array);
	CHECK(r.status == 200 && list && json_object_array_length(list) == commands_count(c) &&
		  strcmp(str_at(json_object_array_get_idx(list, 0), "command_name"), "ok") == 0 &&
		  strcmp(str_at(json_object_array_get_idx(list, json_object_array_length(list) - 1),
				"command_status"),
			 "RUNNING") == 0,
	      "GET /v1/commands/ while running: the ordered history, last RUNNING");
	done(&r);

	gate_release();
	char path[128];

	snprintf(path, sizeof(path), "/v1/commands/%s", id);
	g = call(a, "GET", path, "wait=true&" Q, NULL);
	CHECK(g.status == 200 && strcmp(str_at(g.json, "command_status"), "SUCCEEDED") == 0 &&
		  strcmp(str_at(json_get(g.json, "command_result", json_type_object), "result"),
			 "gate: done") == 0,
	      "GET by id with wait=true: SUCCEEDED, string result prefixed with the short name");
	done(&g);
	r = call(a, "GET", "/v1/commands/not-an-id", Q, NULL);
	CHECK(r.status == 404, "unknown command id: 404");
	done(&r);

	r = call(a, "POST", "/v1/commands/", "wait=true&" Q,
		 "{\"name\":\"test.async_fail\",\"params\":{}}");
	CHECK(r.status == 200 && strcmp(str_at(r.json, "command_status"), "FAILED") == 0 &&
		  strcmp(str_at(r.json, "command_name"), "async_fail") == 0,
	      "async failure with wait=true: FAILED, short name");
	done(&r);
	r = call(a, "POST", "/v1/commands/", "wait=TRUE&" Q,
		 "{\"name\":\"test.version\",\"params\":{}}");
	CHECK(r.status == 200 &&
		  strcmp(str_at(r.json, "command_status"), "CLEAN_VERSION_MISMATCH") == 0,
	      "version mismatch: CLEAN_VERSION_MISMATCH (wait=TRUE honoured)");
	done(&r);
	r = call(a, "POST", "/v1/commands/", "wait=true&" Q,
		 "{\"name\":\"test.nested\",\"params\":{}}");
	CHECK(r.status == 200 &&
		  strcmp(str_at(json_get(r.json, "command_result", json_type_object), "result"),
			 "nested: hello") == 0,
	      "a command calling another: its result, the inner one not recorded");
	done(&r);
	r = call(a, "GET", "/v1/commands", Q, NULL);
	list = json_get(r.json, "commands", json_type_array);
	CHECK(list && json_object_array_length(list) == commands_count(c) &&
		  strcmp(str_at(json_object_array_get_idx(list, json_object_array_length(list) - 1),
				"command_name"),
			 "nested") == 0,
	      "history ends with the nested command");
	done(&r);
	/* The callback runs after the result is visible: give the last one a moment. */
	for (int i = 0; i < 100 && __atomic_load_n(&done_calls, __ATOMIC_SEQ_CST) < 4; i++)
		usleep(20000);
	CHECK(__atomic_load_n(&done_calls, __ATOMIC_SEQ_CST) == 4,
	      "the done callback ran once per asynchronous command (%d)", done_calls);
}

static void *post_gate_and_wait(void *api)
{
	struct reply r = call(api, "POST", "/v1/commands/", "wait=true&" Q,
			      "{\"name\":\"test.gate\",\"params\":{}}");
	bool ok = r.status == 200 && strcmp(str_at(r.json, "command_status"), "SUCCEEDED") == 0;

	done(&r);
	return ok ? api : NULL;
}

/* A POST that waits for its command does not hold up the others: they get 409 at once. */
static void test_wait_does_not_block(struct api *a)
{
	pthread_t t;
	struct reply r;
	void *ok = NULL;

	pthread_mutex_lock(&gate_lock);
	gate_open = false;
	pthread_mutex_unlock(&gate_lock);
	pthread_create(&t, NULL, post_gate_and_wait, a);
	usleep(300000);
	r = call(a, "POST", "/v1/commands/", Q, "{\"name\":\"test.ok\",\"params\":{}}");
	CHECK(r.status == 409, "while a wait=true POST waits, another POST gets 409 at once");
	done(&r);
	r = call(a, "GET", "/v1/commands/", Q, NULL);
	CHECK(r.status == 200, "and GET answers");
	done(&r);
	gate_release();
	pthread_join(t, &ok);
	CHECK(ok != NULL, "the waiting POST got SUCCEEDED once the command finished");
}

int main(void)
{
	struct commands *c;
	struct api *a;

	log_set_quiet(true);
	test_query();

	c = commands_new(defs, ELEMENTSOF(defs), NULL);
	commands_set_done_callback(c, on_done, NULL);
	a = api_new(c, "1.2.3", 1723456789.25);
	CHECK(c && a, "api created");

	test_documents(a);
	test_tokens(a);
	test_commands(a, c);
	test_wait_does_not_block(a);

	api_free(a);
	commands_free(c);
	return failures ? 1 : 0;
}
