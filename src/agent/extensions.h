#pragma once

/*
 * IPA's extensions, one file each (ext-<name>.c), and the command table that names them
 * (extensions.c). A handler gets the agent through command_context_userdata().
 */

#include "agent/command.h"

/* The hardware manager ingot stands in for, and the version Ironic stores and sends back. */
#define AGENT_MANAGER_NAME    "GenericHardwareManager"
#define AGENT_MANAGER_KEY     "generic_hardware_manager"
#define AGENT_MANAGER_VERSION "1.1"

#define HANDLER(name)                                                                              \
	int name(struct command_context *ctx, json_object *params, json_object **ret_result,       \
		 json_object **ret_error)

/* standby */
HANDLER(standby_get_partition_uuids);
HANDLER(standby_prepare_image);
HANDLER(standby_power_off);
HANDLER(standby_run_image);
HANDLER(standby_sync);
int standby_validate_image_info(struct command_context *ctx, json_object *params,
				json_object **ret_error);

/* deploy, clean */
HANDLER(deploy_get_deploy_steps);
HANDLER(deploy_execute_deploy_step);
HANDLER(clean_get_clean_steps);
HANDLER(clean_execute_clean_step);

/* image */
HANDLER(image_install_bootloader);

/* poll */
HANDLER(poll_get_hardware_info);

/* log */
HANDLER(log_collect_system_logs);

struct agent;
/* The logs collect_system_logs returns (base64 of a .tar.gz), for inspection too. */
char *agent_logs_base64(struct agent *a, char **ret_error);
