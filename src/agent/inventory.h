#pragma once

/*
 * The hardware inventory, field for field as ironic-python-agent (IPA master) builds it in
 * hardware.py HardwareManager.list_hardware_info() (served by poll.get_hardware_info, sent on
 * inspection), and the body that inspector.py posts to the inspection callback.
 *
 * Everything that can come from files is read below a root directory fd (tests point it at
 * captured trees under tests/data/inventory/); what cannot (interface addresses, the
 * permanent MAC and the link capacity, which need sockets, and the BMC, which needs a device)
 * comes from providers the caller may replace.
 *
 * Keys, in IPA's order (Python dicts keep insertion order; None is null):
 *
 *   interfaces     inventory_net_list(), see below
 *   cpu            GenericHardwareManager.get_cpus(): lscpu's summary, computed as lscpu
 *                  (util-linux >= 2.37) computes it:
 *                    model_name    the first "model name" of proc/cpuinfo, else "-" (lscpu)
 *                    frequency     "CPU max MHz": the largest cpufreq/cpuinfo_max_freq of
 *                                  sys/devices/system/cpu/cpuN, "%.4f" MHz; "" without
 *                                  cpufreq (lscpu >= 2.37 has no "CPU MHz" line any more)
 *                    count         "CPU(s)": the CPUs in sys/devices/system/cpu/present,
 *                                  else the processors of proc/cpuinfo
 *                    architecture  uname's machine (proc/sys/kernel/arch under the root
 *                                  when it exists)
 *                    flags         the first "flags" (or "Features") line of proc/cpuinfo
 *                    socket_count  "Socket(s)": distinct topology/core_siblings masks
 *   disks          list_block_devices(): disk_list() (disk.h) with logical_sectors and
 *                  physical_sectors from queue/logical_block_size, queue/physical_block_size
 *                  (lsblk LOG-SEC, PHY-SEC); uuid is not serialised by IPA, nor here
 *   memory         get_memory(): total = MemTotal of proc/meminfo * 1024 (psutil);
 *                  physical_mb = what lshw puts in core/memory, in MiB: the sum of the SMBIOS
 *                  memory devices (type 17) of system memory arrays when larger than the
 *                  usable RAM, else the online hotplug blocks of sys/devices/system/memory
 *                  when larger, else the usable RAM (lshw's scan_memory)
 *   bmc_address, bmc_v6address   ipmi.h; null without an IPMI device (IPA master)
 *   system_vendor  get_system_vendor_info() from lshw, i.e. SMBIOS; read from
 *                  sys/class/dmi/id: product_name (+ " (<product_sku>)" as lshw appends it),
 *                  serial_number (product_serial; "" for the all-zero UUID lshw drops),
 *                  manufacturer (sys_vendor), firmware {vendor: bios_vendor, version:
 *                  bios_version, build_date: bios_date}; "" for anything missing
 *   boot           get_boot_info(): current_boot_mode "uefi" when sys/firmware/efi is a
 *                  directory else "bios"; pxe_interface the BOOTIF text as given, or null
 *   hostname       gethostname()
 *   bmc_mac        only when ipmi.h found one
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/conf.h"
#include "agent/ipmi.h"

#define INVENTORY_FILE_MAX (1024 * 1024) /* proc/cpuinfo and proc/meminfo */
#define INVENTORY_DMI_MAX  (1024 * 1024) /* sys/firmware/dmi/tables/DMI */
#define INVENTORY_NET_MAX  256		 /* interfaces listed */
#define INVENTORY_CPU_MAX  8192		 /* sys/devices/system/cpu/cpuN read */

/*
 * What needs sockets, per interface name. Each returns 0 and a heap string (or *ret_mbps),
 * -ENOENT when there is none, or another negative errno.
 */
struct inventory_net_ops {
	/* psutil.net_if_addrs()' first address of the family (AF_INET, AF_INET6) as text */
	int (*address)(void *userdata, const char *ifname, int family, char **ret);
	/* ethtool ETHTOOL_GPERMADDR, lower case; -ENOENT when all zero or unsupported */
	int (*perm_mac)(void *userdata, const char *ifname, char **ret);
	/* lshw's "capacity" in Mbit/s (the fastest supported link mode) */
	int (*capacity_mbps)(void *userdata, const char *ifname, uint64_t *ret_mbps);
	void *userdata;
};

/* getifaddrs() and SIOCETHTOOL on the running machine. */
extern const struct inventory_net_ops inventory_net_live;

/* Where the parts that are not files come from; a NULL member means "the live one". */
struct inventory_sources {
	const struct inventory_net_ops *net;
	const char *hostname;
	const char *architecture;
	/* the BMC; NULL: ipmi_bmc_collect(root_fd) */
	const struct ipmi_bmc *bmc;
	/* IPA's skip_bmc_detect from the cached node: bmc_* null and no bmc_mac */
	bool skip_bmc;
	/* collect_lldp_data(): {"eth0": [[1, "hex"], ...]}, borrowed; NULL: lldp null */
	json_object *lldp;
};

/*
 * The inventory of the machine at root_fd. conf gives BOOTIF (may be NULL: none); src may be
 * NULL. Missing files give IPA's empty values, never an error. Returns 0 with *ret, -ENOMEM,
 * or a negative errno from disk_list() when sys/block cannot be read at all.
 */
int inventory_collect(int root_fd, const struct agent_conf *conf,
		      const struct inventory_sources *src, json_object **ret);

/* The parts, for tests and for callers that need only one. */
int inventory_cpu(int root_fd, const char *architecture, json_object **ret);
int inventory_memory(int root_fd, json_object **ret);
int inventory_disks(int root_fd, json_object **ret);
int inventory_system_vendor(int root_fd, json_object **ret);
int inventory_boot(int root_fd, const struct agent_conf *conf, json_object **ret);

/*
 * netutils.list_interfaces() + get_interface_info(): entries of sys/class/net that are VLANs
 * ("name.N"), have a device or are bonds, sorted by name (IPA keeps the kernel's directory
 * order, a hash order); those without a MAC or with a MAC starting "fa:" are left out (IPA
 * >= 12.0). Fields: name, mac_address (permanent, else sys/class/net/X/address), ipv4_address,
 * ipv6_address, has_carrier (carrier == "1"), lldp (from lldp, else null), vendor, product
 * (device/vendor, device/device), client_id (null: IPA master never sets it), biosdevname
 * (null: no biosdevname in the image), speed_mbps (capacity or null), pci_address, driver
 * (basenames of the device and device/driver links, or null). net NULL: inventory_net_live.
 */
int inventory_net_list(int root_fd, const struct inventory_net_ops *net, json_object *lldp,
		       json_object **ret);

/* The names inventory_net_list() reports on, sorted (*ret NULL: none). */
int inventory_net_names(int root_fd, char ***ret);

/*
 * SMBIOS, parsed as lshw's dmi.cc does for memory: the bytes of sys/firmware/dmi/tables/DMI
 * and the SMBIOS version (major << 8 | minor; 0 when unknown, taken as recent). Returns the
 * bytes of installed RAM: type 17 sizes (0x7fff: the extended size, bit 15: KiB), leaving out
 * devices of arrays (type 16) whose use is video, flash, NVRAM or cache. Structures are read
 * up to the end marker (type 127), the end of data or the first malformed one.
 */
uint64_t inventory_smbios_memory(const uint8_t *dmi, size_t len, unsigned version);

/* lshw's scan_memory() choice of the size of core/memory, in bytes. */
uint64_t inventory_lshw_memory(uint64_t banks, uint64_t logical, uint64_t hotplug);

/* lshw's capacity for ethtool link mode masks (words 0 and 1 of the bitmap): Mbit/s or 0. */
uint64_t inventory_link_modes_mbps(uint32_t word0, uint32_t word1);

/*
 * The body of inspector.py call_inspector() after its collectors ran, keys in IPA's order:
 *   collectors  the configured names (NULL: "default", "logs"); names other than default, logs
 *               and lldp make IPA's stevedore fail: the body is then only the error
 *   inventory   the inventory (borrowed; a reference is taken)
 *   root_disk   utils.guess_root_disk(): the smallest disk of at least 4 GiB (ties: name);
 *               absent when none
 *   boot_interface  inventory boot.pxe_interface
 *   configuration   {"collectors": [...], "managers": [generic_hardware_manager 1.2]}
 *   logs        logs_b64 when the logs collector ran and logs_b64 is not NULL
 *   lldp_raw    when the lldp collector ran: lldp_raw (borrowed), {} when NULL (IPA's
 *               collect_lldp_data() returns {} when it cannot listen)
 *   error       null, or "The following errors were encountered:\n* ..." from failures
 *               (NULL-terminated, may be NULL)
 */
int inspection_body_build(json_object *inventory, char *const *collectors, const char *logs_b64,
			  json_object *lldp_raw, char *const *failures, json_object **ret);
