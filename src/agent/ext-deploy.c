#define _GNU_SOURCE 1 /* asprintf() */

/*
 * Deploy and clean steps (IPA's extensions/deploy.py, clean.py and the GenericHardwareManager's
 * step lists): get_*_steps lists the steps ingot really has, execute_*_step checks the hardware
 * manager version Ironic stored, runs the step named in "step" with its "args" and answers
 * {"<type>_result": ..., "<type>_step": <the step as received>}, which is how Ironic recognises
 * the step it is waiting for.
 */

#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/erase.h"
#include "agent/extensions.h"
#include "agent/json-util.h"
#include "agent/log.h"

struct step {
	const char *name;
	const char *interface;
	int priority;
	bool abortable;
	const char *const (*argsinfo)[3]; /* {name, description, "1" if required}, NULL-ended */
	int (*run)(struct command_context *ctx, json_object *args, json_object **ret_result,
		   json_object **ret_error);
};

static int step_write_image(struct command_context *ctx, json_object *args,
			    json_object **ret_result, json_object **ret_error)
{
	_cleanup_json_ json_object *params = json_object_new_object();
	json_object *inner = NULL, *cd;
	const char *s;
	int r;

	json_object_object_add(params, "image_info",
			       json_object_get(json_get(args, "image_info", json_type_object)));
	if (json_object_object_get_ex(args, "configdrive", &cd))
		json_object_object_add(params, "configdrive", json_object_get(cd));
	r = command_context_call(ctx, "standby.prepare_image", params, &inner, ret_error);
	if (r != COMMAND_OK)
		return r;
	/* The inner command's result, as IPA's async command words it. */
	s = json_object_is_type(inner, json_type_string) ? json_object_get_string(inner) : NULL;
	if (s) {
		_cleanup_free_ char *t = NULL;

		if (asprintf(&t, "prepare_image: %s", s) >= 0) {
			*ret_result = json_object_new_object();
			json_object_object_add(*ret_result, "result", json_object_new_string(t));
		}
		json_object_put(inner);
	} else {
		*ret_result = inner;
	}
	return COMMAND_OK;
}

/* The erase steps (erase.c) take the agent rather than the command's context. */
#define ERASE_STEP(name, fn)                                                                       \
	static int name(struct command_context *ctx, json_object *args, json_object **ret_result,  \
			json_object **ret_error)                                                   \
	{                                                                                          \
		return fn(command_context_userdata(ctx), args, ret_result, ret_error);             \
	}
ERASE_STEP(step_erase_devices_metadata, erase_step_metadata)
ERASE_STEP(step_erase_devices, erase_step_devices)
ERASE_STEP(step_erase_devices_express, erase_step_devices_express)
ERASE_STEP(step_erase_pstore, erase_step_pstore)

static const char *const write_image_args[][3] = {
    {"image_info", "Image information dictionary", "1"},
    {"configdrive", "Configdrive content", NULL},
    {NULL, NULL, NULL},
};

/* IPA's GenericHardwareManager.get_deploy_steps(), for the steps ingot has. */
static const struct step deploy_steps[] = {
    {.name = "erase_devices_metadata",
     .interface = "deploy",
     .priority = 0,
     .run = step_erase_devices_metadata},
    {.name = "write_image",
     .interface = "deploy",
     .priority = 0,
     .argsinfo = write_image_args,
     .run = step_write_image},
};

/* IPA's GenericHardwareManager.get_clean_steps(), without the RAID and burn-in steps, which
 * need tools the ramdisk does not carry (mdadm, stress-ng, fio). */
static const struct step clean_steps[] = {
    {.name = "erase_devices",
     .interface = "deploy",
     .priority = 10,
     .abortable = true,
     .run = step_erase_devices},
    {.name = "erase_devices_metadata",
     .interface = "deploy",
     .priority = 99,
     .abortable = true,
     .run = step_erase_devices_metadata},
    {.name = "erase_devices_express",
     .interface = "deploy",
     .priority = 0,
     .abortable = true,
     .run = step_erase_devices_express},
    {.name = "erase_pstore",
     .interface = "deploy",
     .priority = 0,
     .abortable = true,
     .run = step_erase_pstore},
};

static json_object *manager_version(void)
{
	json_object *v = json_object_new_object();

	json_object_object_add(v, AGENT_MANAGER_KEY, json_object_new_string(AGENT_MANAGER_VERSION));
	return v;
}

static json_object *list_steps(const char *kind, const struct step *steps, size_t n)
{
	json_object *o = json_object_new_object(), *by_manager = json_object_new_object(),
		    *list = json_object_new_array();
	char key[32];

	for (size_t i = 0; i < n; i++) {
		json_object *s;

		if (!steps[i].name)
			continue;
		s = json_object_new_object();
		json_object_object_add(s, "step", json_object_new_string(steps[i].name));
		json_object_object_add(s, "priority", json_object_new_int(steps[i].priority));
		json_object_object_add(s, "interface", json_object_new_string(steps[i].interface));
		json_object_object_add(s, "reboot_requested", json_object_new_boolean(false));
		if (steps[i].abortable)
			json_object_object_add(s, "abortable", json_object_new_boolean(true));
		if (steps[i].argsinfo) {
			json_object *ai = json_object_new_object();

			for (size_t k = 0; steps[i].argsinfo[k][0]; k++) {
				json_object *arg = json_object_new_object();

				json_object_object_add(
				    arg, "description",
				    json_object_new_string(steps[i].argsinfo[k][1]));
				json_object_object_add(
				    arg, "required",
				    json_object_new_boolean(steps[i].argsinfo[k][2] != NULL));
				json_object_object_add(ai, steps[i].argsinfo[k][0], arg);
			}
			json_object_object_add(s, "argsinfo", ai);
		}
		json_object_array_add(list, s);
	}
	json_object_object_add(by_manager, AGENT_MANAGER_NAME, list);
	snprintf(key, sizeof(key), "%s_steps", kind);
	json_object_object_add(o, key, by_manager);
	json_object_object_add(o, "hardware_manager_version", manager_version());
	return o;
}

static int get_steps(struct command_context *ctx, json_object *params, const char *kind,
		     const struct step *steps, size_t n, json_object **ret_result)
{
	agent_node_set(command_context_userdata(ctx), json_get(params, "node", json_type_object));
	*ret_result = list_steps(kind, steps, n);
	return COMMAND_OK;
}

static int execute_step(struct command_context *ctx, json_object *params, const char *kind,
			const char *error_type, const char *error_message, const struct step *steps,
			size_t n, json_object **ret_result, json_object **ret_error)
{
	struct agent *a = command_context_userdata(ctx);
	json_object *step = json_get(params, "step", json_type_object), *args, *version;
	_cleanup_json_ json_object *ours = manager_version();
	json_object *result = NULL;
	const char *name;
	char key[32];
	int r;

	agent_node_set(a, json_get(params, "node", json_type_object));

	snprintf(key, sizeof(key), "%s_version", kind);
	version = json_get(params, key, json_type_object);
	if (version && json_object_object_length(version) > 0 &&
	    !json_object_equal(version, ours)) {
		*ret_error = agent_error_new(
		    "VersionMismatch", 409,
		    "Hardware managers version mismatch, reload agent with correct version",
		    "Current versions: %s, versions provided by node: %s",
		    json_object_to_json_string_ext(ours, JSON_C_TO_STRING_PLAIN),
		    json_object_to_json_string_ext(version, JSON_C_TO_STRING_PLAIN));
		return COMMAND_ERROR_VERSION;
	}

	name = json_get_string(step, "step");
	if (!name) {
		*ret_error = agent_error_new(error_type, 500, error_message,
					     "Malformed %s_step, no \"step\" key: %s", kind,
					     step ? json_object_to_json_string(step) : "None");
		return COMMAND_ERROR;
	}
	args = json_get(step, "args", json_type_object);
	for (size_t i = 0; i < n; i++) {
		if (!steps[i].name || strcmp(steps[i].name, name) != 0)
			continue;
		log_info("executing %s step %s", kind, name);
		r = steps[i].run(ctx, args, &result, ret_error);
		if (r != COMMAND_OK)
			return r;
		*ret_result = json_object_new_object();
		snprintf(key, sizeof(key), "%s_result", kind);
		json_object_object_add(*ret_result, key, result);
		snprintf(key, sizeof(key), "%s_step", kind);
		{
			json_object *copy = NULL;

			json_object_deep_copy(step, &copy, NULL);
			json_object_object_add(*ret_result, key, copy);
		}
		return COMMAND_OK;
	}
	*ret_error = agent_error_new("HardwareManagerMethodNotFound", 500,
				     "No HardwareManager found to handle method",
				     "Could not find method: %s", name);
	return COMMAND_ERROR;
}

HANDLER(deploy_get_deploy_steps)
{
	(void)ret_error;
	return get_steps(ctx, params, "deploy", deploy_steps, ELEMENTSOF(deploy_steps), ret_result);
}

HANDLER(deploy_execute_deploy_step)
{
	return execute_step(ctx, params, "deploy", "DeploymentError", "Deploy step failed",
			    deploy_steps, ELEMENTSOF(deploy_steps), ret_result, ret_error);
}

HANDLER(clean_get_clean_steps)
{
	(void)ret_error;
	return get_steps(ctx, params, "clean", clean_steps, ELEMENTSOF(clean_steps), ret_result);
}

HANDLER(clean_execute_clean_step)
{
	return execute_step(ctx, params, "clean", "CleaningError", "Clean step failed", clean_steps,
			    ELEMENTSOF(clean_steps), ret_result, ret_error);
}
