#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/command.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/macro.h"

/* Threads of asynchronous commands get this much stack (musl's default is 128 KiB). */
#define COMMAND_STACK_SIZE (1024 * 1024)

struct command {
	char id[37];
	char *name;	 /* full dotted name */
	bool short_name; /* serialize the part after the dot (false for a failed sync call) */
	enum command_status status;
	json_object *result;
	json_object *error;
	/* asynchronous commands only, until they finish */
	const struct command_def *def;
	json_object *params;
	struct commands *owner;
};

struct command_context {
	struct commands *owner;
	const char *name;
};

struct commands {
	const struct command_def *defs;
	size_t n_defs;
	void *userdata;

	pthread_mutex_t exec_lock; /* one POST at a time, as IPA's command_lock */
	pthread_mutex_t lock;	   /* the history and every command's state */
	pthread_cond_t changed;	   /* a command finished */
	struct command **history;
	size_t n, allocated;
	bool cancelled;

	pthread_t worker;
	bool worker_joinable;

	void (*done_fn)(void *data);
	void *done_data;
};

const char *command_status_to_string(enum command_status s)
{
	switch (s) {
	case COMMAND_RUNNING:
		return "RUNNING";
	case COMMAND_SUCCEEDED:
		return "SUCCEEDED";
	case COMMAND_FAILED:
		return "FAILED";
	case COMMAND_VERSION_MISMATCH:
		return "CLEAN_VERSION_MISMATCH";
	}
	return "FAILED";
}

int uuid4_generate(char ret[static 37])
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t k = getrandom(b + got, sizeof(b) - got, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)k;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

json_object *agent_error_new(const char *type, int code, const char *message,
			     const char *details_fmt, ...)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *details = NULL;
	va_list ap;

	va_start(ap, details_fmt);
	details = vformat(details_fmt, ap);
	va_end(ap);
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "details", json_object_new_string(details ? details : ""));
	return o;
}

json_object *api_fault(int code, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	json_object_object_add(o, "faultcode",
			       json_object_new_string(code >= 500 ? "Server" : "Client"));
	json_object_object_add(o, "faultstring", json_object_new_string(s ? s : ""));
	return o;
}

/* An IPA error as an HTTP fault: "<message>: <details>". */
static json_object *fault_from_error(int code, json_object *error)
{
	json_object *m = NULL, *d = NULL;

	json_object_object_get_ex(error, "message", &m);
	json_object_object_get_ex(error, "details", &d);
	return api_fault(code, "%s: %s", m ? json_object_get_string(m) : "Error",
			 d ? json_object_get_string(d) : "");
}

static int error_code(json_object *error, int fallback)
{
	json_object *c = NULL;

	if (error && json_object_object_get_ex(error, "code", &c) &&
	    json_object_is_type(c, json_type_int))
		return json_object_get_int(c);
	return fallback;
}

struct commands *commands_new(const struct command_def *defs, size_t n_defs, void *userdata)
{
	struct commands *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->defs = defs;
	c->n_defs = n_defs;
	c->userdata = userdata;
	pthread_mutex_init(&c->exec_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->changed, NULL);
	return c;
}

static void command_free(struct command *cmd)
{
	if (!cmd)
		return;
	free(cmd->name);
	json_object_put(cmd->result);
	json_object_put(cmd->error);
	json_object_put(cmd->params);
	free(cmd);
}

void commands_free(struct commands *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->cancelled = true;
	pthread_mutex_unlock(&c->lock);
	if (c->worker_joinable)
		pthread_join(c->worker, NULL);
	for (size_t i = 0; i < c->n; i++)
		command_free(c->history[i]);
	free(c->history);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->exec_lock);
	free(c);
}

void commands_set_done_callback(struct commands *c, void (*fn)(void *data), void *data)
{
	c->done_fn = fn;
	c->done_data = data;
}

void *command_context_userdata(struct command_context *ctx)
{
	return ctx->owner->userdata;
}

const char *command_context_name(struct command_context *ctx)
{
	return ctx->name;
}

bool command_context_cancelled(struct command_context *ctx)
{
	bool r;

	pthread_mutex_lock(&ctx->owner->lock);
	r = ctx->owner->cancelled;
	pthread_mutex_unlock(&ctx->owner->lock);
	return r;
}

static const struct command_def *find_def(struct commands *c, const char *name)
{
	for (size_t i = 0; i < c->n_defs; i++)
		if (strcmp(c->defs[i].name, name) == 0)
			return &c->defs[i];
	return NULL;
}

static bool have_extension(struct commands *c, const char *name, size_t ext_len)
{
	for (size_t i = 0; i < c->n_defs; i++)
		if (strncmp(c->defs[i].name, name, ext_len) == 0 && c->defs[i].name[ext_len] == '.')
			return true;
	return false;
}

/* A string result as IPA words it: {"result": "<prefix><string>"}. */
static json_object *wrap_string_result(json_object *result, const char *prefix)
{
	json_object *o;
	_cleanup_free_ char *s = NULL;

	if (!result || !json_object_is_type(result, json_type_string))
		return result;
	if (asprintf(&s, "%s%s", prefix, json_object_get_string(result)) < 0)
		return result;
	o = json_object_new_object();
	json_object_object_add(o, "result", json_object_new_string(s));
	json_object_put(result);
	return o;
}

static json_object *command_serialize(const struct command *cmd)
{
	json_object *o = json_object_new_object();
	const char *dot = strchr(cmd->name, '.');
	json_object *copy = NULL;

	json_object_object_add(o, "id", json_object_new_string(cmd->id));
	json_object_object_add(
	    o, "command_name",
	    json_object_new_string(cmd->short_name && dot ? dot + 1 : cmd->name));
	json_object_object_add(o, "command_status",
			       json_object_new_string(command_status_to_string(cmd->status)));
	copy = NULL;
	if (cmd->error)
		json_object_deep_copy(cmd->error, &copy, NULL);
	json_object_object_add(o, "command_error", copy);
	copy = NULL;
	if (cmd->result)
		json_object_deep_copy(cmd->result, &copy, NULL);
	json_object_object_add(o, "command_result", copy);
	return o;
}

static struct command *command_new(const char *name, const struct command_def *def)
{
	struct command *cmd = calloc(1, sizeof(*cmd));

	if (!cmd)
		return NULL;
	cmd->name = strdup(name);
	if (!cmd->name || uuid4_generate(cmd->id) < 0) {
		command_free(cmd);
		return NULL;
	}
	cmd->def = def;
	cmd->short_name = true;
	return cmd;
}

/* Appends under c->lock. */
static int history_append(struct commands *c, struct command *cmd)
{
	if (c->n == c->allocated) {
		size_t k = c->allocated ? c->allocated * 2 : 16;
		struct command **h = realloc(c->history, k * sizeof(*h));

		if (!h)
			return -ENOMEM;
		c->history = h;
		c->allocated = k;
	}
	c->history[c->n++] = cmd;
	return 0;
}

static void finish(struct command *cmd, int r, json_object *result, json_object *error, bool async)
{
	if (r == COMMAND_OK) {
		json_object_put(error);
		cmd->status = COMMAND_SUCCEEDED;
		cmd->result = wrap_string_result(result, "");
		if (async && cmd->result != result) {
			/* IPA prefixes an asynchronous command's string with its short name. */
			json_object *s = NULL;
			const char *dot = strchr(cmd->name, '.');
			_cleanup_free_ char *t = NULL;

			json_object_object_get_ex(cmd->result, "result", &s);
			if (s && asprintf(&t, "%s: %s", dot ? dot + 1 : cmd->name,
					  json_object_get_string(s)) >= 0)
				json_object_object_add(cmd->result, "result",
						       json_object_new_string(t));
		}
	} else {
		json_object_put(result);
		cmd->status =
		    r == COMMAND_ERROR_VERSION ? COMMAND_VERSION_MISMATCH : COMMAND_FAILED;
		cmd->error = error ? error
				   : agent_error_new("CommandExecutionError", 500,
						     "Command execution failed", "%s",
						     "the command failed without saying why");
	}
}

static void *async_main(void *arg)
{
	struct command *cmd = arg;
	struct commands *c = cmd->owner;
	struct command_context ctx = {.owner = c, .name = cmd->name};
	json_object *result = NULL, *error = NULL;
	int r;

	r = cmd->def->run(&ctx, cmd->params, &result, &error);
	log_info("command %s %s", cmd->name, r == COMMAND_OK ? "succeeded" : "failed");

	pthread_mutex_lock(&c->lock);
	finish(cmd, r, result, error, true);
	json_object_put(cmd->params);
	cmd->params = NULL;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);

	if (c->done_fn)
		c->done_fn(c->done_data);
	return NULL;
}

/* Waits under c->lock until cmd is no longer RUNNING. */
static void wait_done(struct commands *c, const struct command *cmd)
{
	while (cmd->status == COMMAND_RUNNING)
		pthread_cond_wait(&c->changed, &c->lock);
}

static int execute_locked(struct commands *c, const char *name, json_object *params, bool wait,
			  json_object **ret_body, struct command **ret_wait)
{
	struct command_context ctx = {.owner = c, .name = name};
	const struct command_def *def;
	const char *dot = strchr(name, '.');
	json_object *result = NULL, *error = NULL;
	struct command *cmd;
	bool busy;
	int r;

	if (!dot) {
		*ret_body = api_fault(400, "Invalid command: Command name must be of the form "
					   "<extension>.<name>");
		return 400;
	}

	pthread_mutex_lock(&c->lock);
	busy = c->n > 0 && c->history[c->n - 1]->status == COMMAND_RUNNING;
	if (busy) {
		const char *last = c->history[c->n - 1]->name, *d = strchr(last, '.');

		*ret_body = api_fault(409, "Agent is busy: executing command %s", d ? d + 1 : last);
	}
	pthread_mutex_unlock(&c->lock);
	if (busy)
		return 409;

	def = find_def(c, name);
	if (!def) {
		if (!have_extension(c, name, (size_t)(dot - name))) {
			*ret_body = api_fault(404, "Not found: Extension with id %.*s not found.",
					      (int)(dot - name), name);
			return 404;
		}
		*ret_body = api_fault(400, "Invalid command: Unknown command: %s", dot + 1);
		return 400;
	}

	if (def->validate && def->validate(&ctx, params, &error) < 0) {
		int code = error_code(error, 400);

		*ret_body = fault_from_error(code, error);
		json_object_put(error);
		return code;
	}

	cmd = command_new(name, def);
	if (!cmd) {
		*ret_body = api_fault(500, "Internal Server Error: out of memory");
		return 500;
	}
	log_info("executing command %s", name);

	if (!def->async) {
		r = def->run(&ctx, params, &result, &error);
		pthread_mutex_lock(&c->lock);
		finish(cmd, r, result, error, false);
		if (r != COMMAND_OK)
			cmd->short_name =
			    false; /* IPA records a failed sync call by its full name */
		if (history_append(c, cmd) < 0) {
			pthread_mutex_unlock(&c->lock);
			command_free(cmd);
			*ret_body = api_fault(500, "Internal Server Error: out of memory");
			return 500;
		}
		*ret_body = command_serialize(cmd);
		pthread_mutex_unlock(&c->lock);
		return 200;
	}

	cmd->status = COMMAND_RUNNING;
	/* The worker gets its own copy: json-c's reference counts are not atomic, and the
	 * request's objects are released on this thread. */
	if (json_object_deep_copy(params, &cmd->params, NULL) < 0) {
		command_free(cmd);
		*ret_body = api_fault(500, "Internal Server Error: out of memory");
		return 500;
	}
	cmd->owner = c;
	if (c->worker_joinable) {
		/* The previous command finished (not busy); reap its thread. */
		pthread_join(c->worker, NULL);
		c->worker_joinable = false;
	}

	pthread_mutex_lock(&c->lock);
	if (history_append(c, cmd) < 0) {
		pthread_mutex_unlock(&c->lock);
		command_free(cmd);
		*ret_body = api_fault(500, "Internal Server Error: out of memory");
		return 500;
	}
	{
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, COMMAND_STACK_SIZE);
		r = pthread_create(&c->worker, &attr, async_main, cmd);
		pthread_attr_destroy(&attr);
	}
	if (r != 0) {
		finish(cmd, COMMAND_ERROR, NULL,
		       agent_error_new("CommandExecutionError", 500, "Command execution failed",
				       "cannot start a thread: %s", strerror(r)),
		       true);
		json_object_put(cmd->params);
		cmd->params = NULL;
	} else {
		c->worker_joinable = true;
	}
	if (wait && cmd->status == COMMAND_RUNNING)
		*ret_wait = cmd; /* waited for outside exec_lock, as IPA joins outside its lock */
	else
		*ret_body = command_serialize(cmd);
	pthread_mutex_unlock(&c->lock);
	return 200;
}

int commands_execute(struct commands *c, const char *name, json_object *params, bool wait,
		     json_object **ret_body)
{
	_cleanup_(json_object_putp) json_object *empty = NULL;
	struct command *pending = NULL;
	int r;

	if (!params)
		params = empty = json_object_new_object();
	pthread_mutex_lock(&c->exec_lock);
	r = execute_locked(c, name, params, wait, ret_body, &pending);
	pthread_mutex_unlock(&c->exec_lock);
	if (pending) {
		/* Commands stay in the history until commands_free(): pending stays valid. */
		pthread_mutex_lock(&c->lock);
		wait_done(c, pending);
		*ret_body = command_serialize(pending);
		pthread_mutex_unlock(&c->lock);
	}
	return r;
}

int command_context_call(struct command_context *ctx, const char *name, json_object *params,
			 json_object **ret_result, json_object **ret_error)
{
	const struct command_def *def = find_def(ctx->owner, name);
	struct command_context inner = {.owner = ctx->owner, .name = name};

	*ret_result = NULL;
	*ret_error = NULL;
	if (!def) {
		*ret_error = agent_error_new("InvalidCommandError", 400, "Invalid command",
					     "Unknown command: %s", name);
		return COMMAND_ERROR;
	}
	if (def->validate && def->validate(&inner, params, ret_error) < 0)
		return COMMAND_ERROR;
	return def->run(&inner, params, ret_result, ret_error);
}

json_object *commands_list(struct commands *c)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++)
		json_object_array_add(a, command_serialize(c->history[i]));
	pthread_mutex_unlock(&c->lock);
	json_object_object_add(o, "commands", a);
	return o;
}

int commands_get(struct commands *c, const char *id, bool wait, json_object **ret_body)
{
	struct command *cmd = NULL;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n && !cmd; i++)
		if (strcmp(c->history[i]->id, id) == 0)
			cmd = c->history[i];
	if (!cmd) {
		pthread_mutex_unlock(&c->lock);
		*ret_body = api_fault(404, "Not found: Command with id %s not found.", id);
		return 404;
	}
	if (wait)
		wait_done(c, cmd);
	*ret_body = command_serialize(cmd);
	pthread_mutex_unlock(&c->lock);
	return 200;
}

size_t commands_count(struct commands *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

bool commands_busy(struct commands *c)
{
	bool b;

	pthread_mutex_lock(&c->lock);
	b = c->n > 0 && c->history[c->n - 1]->status == COMMAND_RUNNING;
	pthread_mutex_unlock(&c->lock);
	return b;
}
