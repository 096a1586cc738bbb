#pragma once

/*
 * The erase steps of IPA's GenericHardwareManager (ironic_python_agent/hardware.py), with the
 * work IPA hands to wipefs, dd, sgdisk and shred done here in C through the agent's root fd:
 *
 *   erase_devices_metadata  erase_devices_metadata() + disk_utils.destroy_disk_metadata():
 *                           for each erasable disk and partition (partitions first: reverse
 *                           name order), every signature libblkid knows is wiped as `wipefs
 *                           --force --all` does (blkid_do_probe/blkid_do_wipe until none is
 *                           left), then the first and last MiB are zeroed (IPA's dd of 33
 *                           sectors at each end and sgdisk -Z are inside them), and the
 *                           backup GPT header and entries wherever the primary header says
 *                           they are. A final probe must find nothing. Data is kept. Errors
 *                           are collected per device and raised together as IPA's
 *                           BlockDeviceEraseError "Failed to erase the metadata on the
 *                           device(s): "/dev/x": ...; ...".
 *   erase_devices           erase_devices() + erase_block_device() + _shred_block_device():
 *                           whole disks (skip list applied) in a pool of
 *                           min(disk_erasure_concurrency, disks) threads (IPA's default is 1
 *                           when Ironic does not send it; Ironic sends 4). Per disk: boot
 *                           media, virtual media and RAID members are skipped (success);
 *                           a read-only disk is skipped with agent_erase_skip_read_only, else
 *                           fails; then secure erase through erase_options.secure (NVMe when
 *                           agent_enable_nvme_secure_erase, others when
 *                           agent_enable_ata_secure_erase, both default true); a failure
 *                           there falls back to overwriting only with
 *                           agent_continue_if_secure_erase_failed (or the older
 *                           agent_continue_if_ata_erase_failed). The overwrite is `shred
 *                           --force [--zero] --iterations N`: N passes of random data
 *                           (xoshiro256** seeded from getrandom; shred's fixed patterns are
 *                           not reproduced, random is at least as good), then a zero pass
 *                           with agent_erase_devices_zeroize (default true); N is
 *                           agent_erase_devices_iterations (default 1). With N = 0 and no
 *                           zero pass IPA's shred writes nothing and succeeds (Ironic only
 *                           warns about that setting): so here, with a warning in the log.
 *                           Result: {"/dev/sda": null, ...}, every disk of the list.
 *   erase_devices_express   erase_devices_express(): NVMe disks through the secure hook, the
 *                           rest (and NVMe disks whose secure erase failed or does not apply)
 *                           by the metadata erase. No overwrite.
 *   erase_pstore            erase_pstore(): every entry under the pstore mount point that
 *                           proc/mounts names is removed.
 *
 * Device selection is erase-select.h's. Every step first runs IPA's shared-filesystem guard
 * (safety_check_block_device()) on all devices it is about to touch, and touches none if one
 * is protected (IPA checks device by device and may already have erased the earlier ones).
 *
 * IPA's step methods take no arguments: step args make Python raise a TypeError, which the
 * clean extension turns into a CleaningError; so here. Errors have IPA's types and messages;
 * where IPA's dispatch_to_managers() would hide an IncompatibleHardwareMethodError of
 * erase_block_device behind "Could not find method: erase_block_device", the inner error
 * (which names the disk and the cause) is returned instead.
 *
 * Limits: agent_erase_devices_iterations at most ERASE_ITERATIONS_MAX, concurrency at most
 * ERASE_CONCURRENCY_MAX threads, pstore entries at most ERASE_PSTORE_MAX.
 */

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "agent/erase-select.h"

struct agent;

#define ERASE_ITERATIONS_MAX  100
#define ERASE_CONCURRENCY_MAX 64
#define ERASE_PSTORE_MAX      4096
#define ERASE_CHUNK	      (4u << 20) /* bytes per write of the overwrite */
#define ERASE_METADATA_SPAN   (1u << 20) /* zeroed at each end of a device */
#define ERASE_PROGRESS_MS     5000	 /* progress lines of the overwrite, at most this often */

/* The volume id of ingot's ISO (Config.in INGOT_ISO_VOLID); the build may override it. */
#ifndef ERASE_BOOT_VOLUME_ID
#define ERASE_BOOT_VOLUME_ID "INGOT"
#endif

struct erase_options;

/*
 * A secure erase of one whole disk (NVMe format, ATA Security Erase Unit): returns 1 when the
 * disk was erased, 0 when the method does not apply to it (the caller overwrites instead), or
 * a negative errno with *ret_error (heap) IPA's BlockDeviceEraseError details. It is called
 * only when IPA would try it (the enable_* options below); it must honour o->cancel if it
 * can. May be called from several threads at once, for different disks. An error that
 * already starts with "Failed to invoke secure erase" is returned as it is, others get that
 * prefix as IPA words it.
 */
typedef int (*erase_secure_fn)(struct erase_device *d, const struct erase_options *o,
			       char **ret_error);

/*
 * erase_step_devices() and erase_step_devices_express() use erase-secure.h's
 * erase_secure_try() through an adapter of this type, reached by a weak reference: when that
 * module is not linked in, they overwrite (and say so in the log).
 */

struct erase_options {
	int root_fd; /* dev/, sys/, proc/ below it */
	/* From node.driver_internal_info (erase_options_from_node()). */
	unsigned iterations;		      /* agent_erase_devices_iterations (1) */
	bool zeroize;			      /* agent_erase_devices_zeroize (true) */
	bool skip_read_only;		      /* agent_erase_skip_read_only (false) */
	bool continue_if_secure_erase_failed; /* (false) */
	bool enable_nvme_secure_erase;	      /* agent_enable_nvme_secure_erase (true) */
	bool enable_ata_secure_erase;	      /* agent_enable_ata_secure_erase (true) */
	unsigned concurrency;		      /* disk_erasure_concurrency (1) */
	bool guard;			      /* ipa-guard-special-filesystems and
						 wipe_special_filesystems (true) */
	/* From the caller. */
	const char *boot_volume_id; /* NULL: ERASE_BOOT_VOLUME_ID; "": no boot media rule */
	erase_secure_fn secure;	    /* NULL: overwrite only */
	void *secure_data;	    /* for secure */
	const atomic_bool *cancel;  /* set: stop soon, the step fails with "cancelled" */
	unsigned progress_ms;	    /* 0: ERASE_PROGRESS_MS */
};

/*
 * Fills the driver_internal_info part of o from node (borrowed, may be NULL), Python truth
 * for booleans, IPA's defaults for absent keys; the caller's fields are left as they are.
 * Returns 0, or -EINVAL with *ret_error (heap) for an iterations value shred would refuse
 * (not a non-negative integer, or above ERASE_ITERATIONS_MAX).
 */
int erase_options_from_node(json_object *node, struct erase_options *o, char **ret_error);

/*
 * destroy_disk_metadata() on path ("/dev/sda", below root_fd). Returns 0, or a negative errno
 * with *ret_error (heap) saying what failed.
 */
int erase_metadata(int root_fd, const char *path, char **ret_error);

/*
 * _shred_block_device(): o->iterations random passes, then a zero pass if o->zeroize, each
 * followed by fsync, progress in the log. The size is the opened file's (st_size for a regular
 * file standing in for a disk, BLKGETSIZE64 for a block device). Returns 0, -ECANCELED, or a
 * negative errno with *ret_error (heap).
 */
int erase_overwrite(const struct erase_device *d, const struct erase_options *o, char **ret_error);

/*
 * The steps, for the clean and deploy step tables: the node from agent_node_get(a), args the
 * step's "args" (NULL or an object, borrowed). COMMAND_OK with *ret_result (NULL for null) or
 * COMMAND_ERROR with *ret_error (an IPA error object).
 */
int erase_step_metadata(struct agent *a, json_object *args, json_object **ret_result,
			json_object **ret_error);
int erase_step_devices(struct agent *a, json_object *args, json_object **ret_result,
		       json_object **ret_error);
int erase_step_devices_express(struct agent *a, json_object *args, json_object **ret_result,
			       json_object **ret_error);
int erase_step_pstore(struct agent *a, json_object *args, json_object **ret_result,
		      json_object **ret_error);

/*
 * The same steps with the caller's part of the options (boot_volume_id, secure, secure_data,
 * cancel, progress_ms) taken from hooks (NULL: none, and no secure erase); root_fd and the
 * node's part come from the agent.
 */
int erase_step_metadata_with(struct agent *a, json_object *args, const struct erase_options *hooks,
			     json_object **ret_result, json_object **ret_error);
int erase_step_devices_with(struct agent *a, json_object *args, const struct erase_options *hooks,
			    json_object **ret_result, json_object **ret_error);
int erase_step_devices_express_with(struct agent *a, json_object *args,
				    const struct erase_options *hooks, json_object **ret_result,
				    json_object **ret_error);
