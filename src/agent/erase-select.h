#pragma once

/*
 * Which block devices the erase steps touch, as IPA's GenericHardwareManager decides it
 * (ironic_python_agent/hardware.py):
 *
 *   - list_block_devices_check_skip_list(): the disks of disk_list() (and, with partitions,
 *     their partitions, as list_all_block_devices(block_type='part')), minus those a hint of
 *     node.properties.skip_block_devices matches (get_skip_list_from_node_for_disks(); hints
 *     with "volume_name" name RAID volumes and are ignored here, as IPA's disk list does).
 *   - _is_virtual_media_device(): the target of dev/disk/by-label/ir-vfd-dev. There is no udev
 *     in the ramdisk, so a device whose filesystem label is "ir-vfd-dev" counts too.
 *   - _is_linux_raid_member(): `lsblk --fs` shows linux_raid_member on the device or on one of
 *     its partitions (libblkid here). IPA treats a device lsblk fails on as a member and skips
 *     it silently; here a device that cannot be probed is kept, so that the erase reports it.
 *   - _is_read_only_device(): sys/block/<disk>/ro is 1; for a partition its own ro or its
 *     disk's (IPA reads the disk's, and never an NVMe partition's).
 *   - safety_check_block_device(): the shared-filesystem guard (erase_select_guard()).
 *
 * ingot adds one rule: the device the ramdisk booted from is never erased: a whole disk whose
 * iso9660 filesystem has the volume id of ingot's ISO (the ISO attached as a disk or written to
 * a stick; CD-ROMs are not disks at all). A disk that is skipped for any reason takes its
 * partitions with it (IPA matches partitions on their own, so a "name" hint for /dev/sda leaves
 * /dev/sda1 erasable there). Partitions inherit their disk's identity (model, serial, wwn,
 * vendor, by_path, ...) for hint matching, as udev gives them to lsblk.
 *
 * Limits: at most ERASE_PARTITIONS_MAX partitions per disk (more are ignored, with the disk's
 * erase still wiping their table), names as in disk.h.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ERASE_PARTITIONS_MAX 256
#define ERASE_VMEDIA_LABEL   "ir-vfd-dev"

enum erase_skip {
	ERASE_SKIP_NONE,
	ERASE_SKIP_HINT,	/* properties.skip_block_devices */
	ERASE_SKIP_BOOT_MEDIA,	/* ingot's own ISO */
	ERASE_SKIP_VMEDIA,	/* IPA's virtual media device */
	ERASE_SKIP_RAID_MEMBER, /* Linux software RAID member */
	ERASE_SKIP_READ_ONLY,	/* sysfs ro */
	ERASE_SKIP_PARENT,	/* a partition of a skipped disk */
};

struct erase_device {
	char *name;   /* "sda1" */
	char *path;   /* "/dev/sda1", IPA's BlockDevice.name */
	char *parent; /* "sda" for a partition, else NULL */
	unsigned partno;
	uint64_t size; /* from sysfs; the erase uses the size of what it opens */
	bool partition;
	bool nvme; /* IPA's _is_nvme(): the path starts with /dev/nvme */
	/* The rules, each on its own; erase_device_skip() orders them. */
	bool hint;
	bool boot_media;
	bool vmedia;
	bool raid_member;
	bool read_only;
	int probe_error; /* negative errno when libblkid could not look at it, else 0 */
};

struct erase_select_options {
	bool partitions;	    /* metadata and express erase: disks and partitions */
	const char *boot_volume_id; /* NULL or "": no boot media rule */
};

/*
 * Lists and classifies the devices of the machine under root_fd for node (borrowed, may be
 * NULL). Disks come in disk_list() order, each followed by its partitions in number order.
 * Returns 0 with *ret (free with erase_devices_free()) and *n_ret, -EINVAL with *ret_error
 * (heap) for a skip_block_devices list IPA refuses, -ENOMEM, or disk_list()'s error.
 */
int erase_select(int root_fd, json_object *node, const struct erase_select_options *o,
		 struct erase_device **ret, size_t *n_ret, char **ret_error);

void erase_devices_free(struct erase_device *d, size_t n);

/*
 * The reason d is left alone by erase_devices_metadata and erase_devices_express
 * (_list_erasable_devices(): skip list, virtual media, RAID member, read-only; plus boot
 * media and parent), or ERASE_SKIP_NONE.
 */
enum erase_skip erase_device_skip(const struct erase_device *d, const struct erase_device *all,
				  size_t n);

/* "skip_block_devices hint", "virtual media device", ... for the log. */
const char *erase_skip_to_string(enum erase_skip s);

/* Sorts devices by name in reverse byte order, as _list_erasable_devices() (sda1 before sda). */
void erase_devices_sort_reverse(struct erase_device *d, size_t n);

/*
 * safety_check_block_device(): 0, or -EPERM with *ret_error (heap) the details of IPA's
 * ProtectedDeviceError when the device holds an IBM GPFS or VMware VMFS partition type (GPT or
 * MBR 0xfb) or UUID, or a gfs2 filesystem. IPA compares lsblk's lowercase GUIDs with uppercase
 * ones, so only the MBR type ever fires there; here the comparison ignores case, and FSTYPE is
 * looked at too. Devices that cannot be probed pass (the erase reports them).
 */
int erase_select_guard(int root_fd, const struct erase_device *d, char **ret_error);
