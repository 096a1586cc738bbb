#pragma once

/*
 * init's configuration: compiled-in defaults, then /etc/ingot/init.conf (build time), then the
 * kernel command line (boot time), each overriding the one before. The keys, in one table in
 * config.c:
 *
 *   init.conf          kernel command line    meaning (default)
 *   AGENT              ingot.agent            agent command line, blank-separated argv ("": none)
 *   DHCP_TIMEOUT       ingot.dhcp_timeout     seconds to wait for the first lease (60)
 *   SHELL              ingot.shell            1: rescue shell on the console (0)
 *   MODULES_COLDPLUG   -                      0: do not load modules for present devices (1)
 *   -                  BOOTIF                 MAC of the boot NIC, "01-aa-bb-..." or "aa:bb:..."
 *
 * Invalid values are logged and ignored (the previous value stays).
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/hwaddr.h"
#include "init/console.h"

#define CONFIG_FILE		"/etc/ingot/init.conf"
#define CONFIG_DHCP_TIMEOUT_MAX (24 * 3600)

struct config {
	char *agent; /* NULL or "": no agent */
	unsigned dhcp_timeout;
	bool shell;
	bool modules_coldplug;
	bool has_bootif;
	struct hwaddr bootif;
};

/* Compiled-in defaults. */
void config_init(struct config *c);
void config_done(struct config *c);

/* Applies init.conf text (path is only for messages). Returns 0 or a parse error. */
int config_apply_conf(struct config *c, const char *buf, size_t len, const char *path,
		      const struct console *con);

/* Applies kernel command line text. Returns 0 or -E2BIG (too long, nothing applied). */
int config_apply_cmdline(struct config *c, const char *buf, size_t len, const struct console *con);

/* Reads CONFIG_FILE (a missing one is fine) and /proc/cmdline, logging problems. */
void config_load(struct config *c, const struct console *con);
