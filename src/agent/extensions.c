#include "agent/agent.h"
#include "agent/extensions.h"

/* Every command the agent answers; anything else gets IPA's 404 or 400. */
const struct command_def agent_commands[] = {
    {.name = "clean.get_clean_steps", .run = clean_get_clean_steps},
    {.name = "clean.execute_clean_step", .async = true, .run = clean_execute_clean_step},
    {.name = "deploy.get_deploy_steps", .run = deploy_get_deploy_steps},
    {.name = "deploy.execute_deploy_step", .async = true, .run = deploy_execute_deploy_step},
    {.name = "image.install_bootloader", .async = true, .run = image_install_bootloader},
    {.name = "log.collect_system_logs", .run = log_collect_system_logs},
    {.name = "poll.get_hardware_info", .run = poll_get_hardware_info},
    {.name = "standby.get_partition_uuids", .run = standby_get_partition_uuids},
    {.name = "standby.power_off", .async = true, .run = standby_power_off},
    {.name = "standby.prepare_image",
     .async = true,
     .validate = standby_validate_image_info,
     .run = standby_prepare_image},
    {.name = "standby.run_image", .async = true, .run = standby_run_image},
    {.name = "standby.sync", .run = standby_sync},
};

const size_t agent_commands_n = sizeof(agent_commands) / sizeof(agent_commands[0]);
