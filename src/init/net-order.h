#pragma once

/*
 * Which network interfaces get DHCP, in which order: a pure function over a list, so that the
 * policy is tested without /sys.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/hwaddr.h"

#define ARPHRD_ETHER_TYPE 1 /* /sys/class/net/<if>/type of Ethernet (ARPHRD_ETHER) */

struct nic {
	char name[IF_NAMESIZE];
	struct hwaddr mac;
	unsigned type; /* ARPHRD_* from sysfs "type" */
	bool physical; /* has a "device" link: backed by hardware, not a bridge, bond, veth... */
};

/*
 * Compares interface names with digit runs as numbers, so eth2 < eth10 and enp0s3 < enp0s20.
 * A strcmp()-like result.
 */
int nic_name_compare(const char *a, const char *b);

/*
 * Keeps the physical Ethernet NICs of nics[0..n) and sorts them in place: the one whose MAC is
 * bootif first (when bootif is not NULL), then by nic_name_compare(). Returns how many were
 * kept; the others are dropped from the front part of the array.
 */
size_t nic_order(struct nic *nics, size_t n, const struct hwaddr *bootif);
