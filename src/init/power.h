#pragma once

/*
 * Power-off, reboot and halt of PID 1. busybox's poweroff, reboot and halt (without -f) signal
 * PID 1 with SIGUSR2, SIGTERM and SIGUSR1; ctrl-alt-del sends SIGINT once init turned off the
 * kernel's own handling (power_disable_cad()), and means reboot.
 */

#include <stdbool.h>

#include "init/console.h"

enum power_action {
	POWER_OFF,
	POWER_REBOOT,
	POWER_HALT,
};

#define POWER_TERM_TIMEOUT_SEC 3

/* The action a signal asks for. Returns 0, or -EINVAL for other signals. */
int power_action_from_signal(int signo, enum power_action *ret);

/* Makes ctrl-alt-del send SIGINT to PID 1 instead of rebooting at once. */
void power_disable_cad(void);

/*
 * Logs the marker ("powering off", "rebooting", "halting"), asks every process to stop
 * (SIGTERM), reaps for up to POWER_TERM_TIMEOUT_SEC, kills the rest, syncs, unmounts what it can
 * and calls reboot(2). Returns only if reboot(2) failed, with its negative errno.
 */
int power_shutdown(enum power_action action, const struct console *con);
