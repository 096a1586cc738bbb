#pragma once

/*
 * The agent's commands: a table of IPA's "<extension>.<command>" names with their handlers, and
 * the ordered history of what ran, as IPA's ExecuteCommandMixin.execute_command and
 * BaseCommandResult keep them (ironic_python_agent/extensions/base.py):
 *
 *   - A synchronous command runs inside the request; an asynchronous one runs on a thread of
 *     its own and its result is first reported RUNNING. Only one command runs at a time: while
 *     the last command of the history is RUNNING, a new one gets 409 "Agent is busy".
 *   - Every executed command is appended to the history, which is never pruned. Its result
 *     object has exactly IPA's five fields: id, command_name (the short name, after the dot),
 *     command_status, command_error, command_result.
 *   - A handler returns its result (any JSON, or NULL for null) or an IPA error object
 *     (agent_error_new()). A plain string result becomes {"result": "<string>"} for a
 *     synchronous command and {"result": "<short name>: <string>"} for an asynchronous one.
 *   - An optional validator runs before anything is recorded; its error is an HTTP 400, as
 *     IPA's InvalidCommandParamsError raised by a command's validator.
 *
 * Errors of the request itself (not of the command) come back as an HTTP status and a WSME
 * fault body: {"faultcode": "Client"|"Server", "faultstring": "..."} (api_fault()).
 */

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>

enum command_status {
	COMMAND_RUNNING,
	COMMAND_SUCCEEDED,
	COMMAND_FAILED,
	COMMAND_VERSION_MISMATCH, /* "CLEAN_VERSION_MISMATCH", as IPA spells it for every step type
				   */
};

/* What a handler returns besides its result or error. */
enum command_outcome {
	COMMAND_OK = 0,
	COMMAND_ERROR = -1,	    /* *ret_error set: FAILED */
	COMMAND_ERROR_VERSION = -2, /* *ret_error set: CLEAN_VERSION_MISMATCH */
};

struct command_context; /* what a handler may use: see command_context_*() */

/*
 * Runs the command with its params (an object, never NULL). Sets *ret_result (may stay NULL
 * for null) and returns COMMAND_OK, or sets *ret_error and returns COMMAND_ERROR*.
 */
typedef int (*command_run_fn)(struct command_context *ctx, json_object *params,
			      json_object **ret_result, json_object **ret_error);

/* Checks the params before the command is recorded: 0, or -1 with *ret_error (HTTP 400). */
typedef int (*command_validate_fn)(struct command_context *ctx, json_object *params,
				   json_object **ret_error);

struct command_def {
	const char *name; /* "standby.get_partition_uuids" */
	bool async;
	command_validate_fn validate; /* may be NULL */
	command_run_fn run;
};

struct commands;

/* defs must stay valid for the life of the registry; userdata is handed to the handlers. */
struct commands *commands_new(const struct command_def *defs, size_t n_defs, void *userdata);
void commands_free(struct commands *c);

/* Called (on the command's thread) after each asynchronous command finished. */
void commands_set_done_callback(struct commands *c, void (*fn)(void *data), void *data);

/*
 * Executes "name" with params (NULL means {}). Returns the HTTP status; *ret_body is the
 * command result object (200) or a fault body. With wait, an asynchronous command is waited
 * for before the answer.
 */
int commands_execute(struct commands *c, const char *name, json_object *params, bool wait,
		     json_object **ret_body);

/* {"commands": [result, ...]}, oldest first. */
json_object *commands_list(struct commands *c);

/* One result by id (200), waiting for it with wait, or a 404 fault. */
int commands_get(struct commands *c, const char *id, bool wait, json_object **ret_body);

/* The number of commands in the history; whether the last one still runs. */
size_t commands_count(struct commands *c);
bool commands_busy(struct commands *c);

/* For handlers. */
void *command_context_userdata(struct command_context *ctx);
const char *command_context_name(struct command_context *ctx); /* the full dotted name */
bool command_context_cancelled(struct command_context *ctx);

/* Executes another command of the table as a step of this one, outside the history (IPA's
 * write_image step runs standby.prepare_image this way). */
int command_context_call(struct command_context *ctx, const char *name, json_object *params,
			 json_object **ret_result, json_object **ret_error);

/* IPA's error object: {"type", "code", "message", "details"}; details is printf-formatted. */
json_object *agent_error_new(const char *type, int code, const char *message,
			     const char *details_fmt, ...) __attribute__((format(printf, 4, 5)));

/* A WSME fault body: faultcode "Server" for code >= 500, else "Client". */
json_object *api_fault(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *command_status_to_string(enum command_status s);

/* A random (version 4) UUID in its 36-character text form. */
int uuid4_generate(char ret[static 37]);
