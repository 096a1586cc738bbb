#pragma once

/*
 * Network bring-up: lo, then one supervised busybox udhcpc per physical Ethernet NIC (BOOTIF's
 * first, then by name), running for the life of the system so leases are renewed during long
 * deploys. The udhcpc hook (/etc/ingot/udhcpc.script) configures the interface and records
 * each lease in NET_LEASE_DIR/<if>.lease (ip=, prefix=, router=, dns=); init only reads those
 * records and announces each new or changed one on the console as
 *
 *   network up: <if> <ip>/<prefix> router <gw or none>
 *
 * NICs that appear later (slow drivers) are picked up by a rescan once a second.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/hwaddr.h"
#include "basic/time-util.h"
#include "init/config.h"
#include "init/console.h"
#include "init/supervise.h"

#define NET_LEASE_DIR	 "/run/ingot/net"
#define NET_DHCP_SCRIPT	 "/etc/ingot/udhcpc.script"
#define NET_LINKS_MAX	 64
#define NET_ANNOUNCE_MAX 80

struct net_link {
	char name[IF_NAMESIZE];
	bool is_bootif;
	struct service dhcp;
	char announced[NET_ANNOUNCE_MAX]; /* "<ip>/<prefix> router <gw>" last logged, or "" */
};

struct net {
	struct net_link links[NET_LINKS_MAX];
	size_t n_links;
	bool has_bootif;
	struct hwaddr bootif;
	usec_t next_scan;
	/* udhcpc's environment: the defaults plus INGOT_BOOTIF_MAC for the hook's DNS choice. */
	char env_bootif[sizeof("INGOT_BOOTIF_MAC=") + HWADDR_STR_MAX];
	char *env[5];
};

/* Takes BOOTIF from the configuration. n must not move afterwards (services point into it). */
void net_init(struct net *n, const struct config *c);
void net_done(struct net *n);

/* Brings lo up, creates NET_LEASE_DIR, starts DHCP on the NICs present now. */
void net_start(struct net *n, const struct console *con, usec_t now);

/* Restarts due udhcpc, rescans NICs (at most once a second), announces lease changes. */
void net_tick(struct net *n, const struct console *con, usec_t now);

/* Hands an exited child to net. Returns true if it was one of ours. */
bool net_child_exited(struct net *n, const struct console *con, pid_t pid, int status, usec_t now);

/* Whether the awaited lease is there: BOOTIF's interface's when known, else any. */
bool net_has_lease(const struct net *n);

/* Whether an interface with the BOOTIF MAC was found (false when no BOOTIF was given). */
bool net_bootif_found(const struct net *n);

/*
 * Turns the text of a lease record into its announcement, "<ip>/<prefix> router <gw|none>",
 * into buf. Returns 0, or -EINVAL when ip= or prefix= is missing or any of ip=, prefix=,
 * router= is malformed (other keys are ignored).
 */
int net_lease_parse(const char *text, size_t len, char *buf, size_t size);

/* The earliest udhcpc restart, or USEC_INFINITY. */
usec_t net_next_restart(const struct net *n);
