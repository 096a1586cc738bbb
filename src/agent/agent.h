#pragma once

/*
 * The agent's life, as IPA's agent.IronicPythonAgent.run(): serve the API, find the address
 * Ironic can call back on, look the node up (with IPA's backoff, until ipa-lookup-timeout),
 * then heartbeat for good: at once, then every heartbeat_timeout x U(0.3, 0.6) s, 5-10 s after
 * a failure, and within 5 s after each asynchronous command finished (a "forced" heartbeat).
 *
 * The state every command may read (the cached node, the token, the root directory through
 * which /sys, /proc and /dev are reached) lives in struct agent; commands reach it with
 * command_context_userdata().
 */

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>

#include "agent/api.h"
#include "agent/command.h"
#include "agent/conf.h"
#include "agent/ironic.h"
#include "agent/server.h"

/* The version reported to Ironic and on /v1/status. IPA-compatible in form (Ironic stores it
 * and compares none of it); the ingot version goes to the log. */
#define AGENT_VERSION "10.0.0"

/* Forced heartbeats wait at least this long after the previous one (IPA). */
#define AGENT_FORCED_HEARTBEAT_MIN_S 5.0

struct agent {
	struct agent_conf conf;
	int root_fd;	/* "/" in the ramdisk; a captured tree in tests */
	bool dry_power; /* --ingot-fake-power: log power actions instead of doing them */

	struct commands *commands;
	struct api *api;
	struct server *server;
	struct ironic_client *ironic;
	struct ironic_version api_version;
	char *callback_url;
	char *verify_ca; /* the automatic TLS certificate (PEM), sent in every heartbeat, or NULL */
	char *node_uuid;
	char *inspected_uuid; /* the node inspection named: lookup sends it as node_uuid */
	unsigned heartbeat_timeout;

	pthread_mutex_t lock; /* what follows */
	pthread_cond_t wake;
	char *token;
	json_object *node;	      /* the node from lookup or the last step command */
	json_object *partition_uuids; /* what standby.get_partition_uuids returns, or NULL */
	bool md5_enabled;	      /* lookup config agent_md5_checksum_enable (default true) */
	bool force_heartbeat;
	bool stopping; /* rescue, lockdown, power off: no more heartbeats */
};

int agent_init(struct agent *a);
/* Frees everything but the server, which the caller stops first. */
void agent_done(struct agent *a);

/* The command table of every extension. */
extern const struct command_def agent_commands[];
extern const size_t agent_commands_n;

/* The cached node (a new reference) or NULL; the command's "node" param replaces it. */
json_object *agent_node_get(struct agent *a);
void agent_node_set(struct agent *a, json_object *node);

/* The partition UUIDs of the image written last (a new reference, {} when none). */
json_object *agent_partition_uuids_get(struct agent *a);
void agent_partition_uuids_set(struct agent *a, json_object *uuids); /* takes the reference */

/* The disk images are written to: root device hints of the cached node, else the smallest disk
 * of at least 4 GiB (IPA's get_os_install_device), waiting for disks as IPA does. On failure
 * *ret_error (malloc'ed) says why. */
int agent_install_device(struct agent *a, char **ret_path, char **ret_error);

/*
 * With ipa-ntp-server: the system clock stepped to the server's time (IPA's sync_clock()) and,
 * with hardware, the RTC written from it (standby._sync_clock() before power actions). Errors
 * are logged, as IPA ignores them there; returns 0 or the negative errno. Without a server: 0.
 */
int agent_sync_clock(struct agent *a, bool hardware);

/*
 * IPA's wait_for_disks() at start-up: up to ipa-disk-wait-attempts looks for the disk an image
 * would go to (agent_install_device()), ipa-disk-wait-delay seconds apart; a warning when none
 * came. Inspection and deployment have no chance without one; the agent goes on regardless.
 */
void agent_wait_for_disks(struct agent *a);

/* Called when an asynchronous command finished: heartbeat soon. */
void agent_heartbeat_soon(void *agent);

/* No heartbeats from now on. */
void agent_stop_heartbeats(struct agent *a);

/* The MAC addresses of every network interface but loopback, sorted by interface name. */
int agent_mac_addresses(int root_fd, char ***ret);

/*
 * The address Ironic can reach the agent on: ipa-advertise-host, else the source address the
 * kernel would use towards the first API URL's host (IPA runs `ip route get`; a connected UDP
 * socket asks the same routing table). Tries ipa-ip-lookup-attempts times.
 */
int agent_advertise_address(struct agent *a, char **ret);

/*
 * collect_lldp_data() on every NIC of the inventory (inventory_net_names()), waiting up to
 * ipa-lldp-timeout as IPA does. NULL when it could not listen (the reason is logged).
 */
json_object *agent_lldp(struct agent *a);

/* The hardware inventory, with the LLDP data of every NIC when ipa-collect-lldp asks for it. */
int agent_inventory(struct agent *a, json_object **ret);

/*
 * Inspection when ipa-inspection-callback-url (or collectors with the API URL) asks for it
 * (inspect.c). Returns 0 with *ret_node_uuid (NULL when not inspected or not named), or
 * -ECONNREFUSED when the callback never answered (IPA exits then).
 */
int agent_inspect(struct agent *a, char **ret_node_uuid);

/* Lookup until it succeeds or ipa-lookup-timeout passes (then -ETIMEDOUT). The API version
 * is ipa-ironic-api-version, else a->api_version when a discovery found one, else discovered
 * (again at each attempt while it fails). */
int agent_lookup(struct agent *a);

/* Heartbeats until agent_stop_heartbeats(); returns then. */
void agent_heartbeat_loop(struct agent *a);
