#pragma once

/*
 * PID 1's state and main loop. Setup runs the boot in order: signals, mounts, console, "started"
 * marker, configuration, rescue shell, module coldplug, network. The loop then reaps every
 * child (orphans included), waits up to DHCP_TIMEOUT for the first lease before starting the
 * agent, restarts what exited, and turns power signals into power-off, reboot or halt.
 */

#include <stdbool.h>

#include "basic/time-util.h"
#include "init/config.h"
#include "init/console.h"
#include "init/net.h"
#include "init/supervise.h"

#define MANAGER_AGENT_WORDS_MAX 256

enum manager_phase {
	MANAGER_WAIT_NETWORK, /* DHCP started, agent not yet */
	MANAGER_RUNNING,      /* agent started (or none configured) */
};

struct manager {
	struct console con;
	struct config config;
	struct net net;
	struct service agent;
	bool agent_enabled;
	char *agent_command; /* as logged: argv joined by spaces */
	struct service shell;
	bool shell_enabled;
	int sigfd;
	enum manager_phase phase;
	usec_t network_deadline;
	usec_t next_net_tick;
};

void manager_init(struct manager *m);
void manager_done(struct manager *m);

/* Brings the system up to the DHCP wait. Logs what fails and goes on: nothing here is fatal. */
void manager_setup(struct manager *m);

/* The main loop. Returns only on an unexpected error (negative errno): call it again. */
int manager_run(struct manager *m);
