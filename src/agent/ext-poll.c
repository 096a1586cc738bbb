/*
 * The poll extension (IPA's extensions/poll.py): get_hardware_info returns the inventory
 * (inventory.c, with LLDP when ipa-collect-lldp asks: every call waits for it, as in IPA), the
 * same object inspection sends. set_node_info only works in IPA's
 * standalone mode, which cannot be turned on since IPA 7.0: not offered.
 */

#include <string.h>

#include "agent/agent.h"
#include "agent/extensions.h"

HANDLER(poll_get_hardware_info)
{
	struct agent *a = command_context_userdata(ctx);
	int r;

	(void)params;
	r = agent_inventory(a, ret_result);
	if (r < 0) {
		*ret_error =
		    agent_error_new("CommandExecutionError", 500, "Command execution failed",
				    "cannot collect the hardware inventory: %s", strerror(-r));
		return COMMAND_ERROR;
	}
	return COMMAND_OK;
}
