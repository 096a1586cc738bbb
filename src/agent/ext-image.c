#define _GNU_SOURCE 1 /* asprintf() */

/*
 * The image extension: install_bootloader (IPA's extensions/image.py, efi_utils.manage_uefi)
 * for whole-disk images. When the ramdisk runs under UEFI, the EFI system partition of the
 * install disk is mounted, the loaders IPA would find on it are registered as boot entries
 * through efivarfs (efi-boot.c does what efibootmgr -c does), and the ESP is unmounted. A
 * whole-disk image needs nothing more (IPA installs GRUB only into partition images); under
 * BIOS there is nothing to do either.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/configdrive.h"
#include "agent/efi-boot.h"
#include "agent/efi-loader.h"
#include "agent/efi.h"
#include "agent/extensions.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "agent/ptable.h"
#include "basic/fs-util.h"
#include "basic/macro.h"
#include "basic/hexdecoct.h"

#define ESP_TYPE_GUID "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define ESP_MOUNT_DIR "/run/ingot/esp"

/* The ESP: the partition typed as one (IPA: the esp/boot flag), else the one whose GUID is
 * efi_system_part_uuid (Ironic sends null for whole-disk images). */
static const struct ptable_partition *find_esp(const struct ptable *t, const char *uuid)
{
	for (size_t i = 0; i < t->n_partitions; i++) {
		const struct ptable_partition *p = &t->partitions[i];
		char guid[37];

		if (t->type == PTABLE_GPT) {
			guid_to_string(p->type_guid, guid);
			if (strcasecmp(guid, ESP_TYPE_GUID) == 0)
				return p;
		} else if (p->mbr_type == 0xef) {
			return p;
		}
	}
	for (size_t i = 0; uuid && t->type == PTABLE_GPT && i < t->n_partitions; i++) {
		char guid[37];

		guid_to_string(t->partitions[i].guid, guid);
		if (strcasecmp(guid, uuid) == 0)
			return &t->partitions[i];
	}
	return NULL;
}

static int fail(json_object **ret_error, const char *device, const char *fmt, const char *detail)
{
	_cleanup_free_ char *s = NULL;

	if (asprintf(&s, fmt, detail) < 0)
		s = NULL;
	*ret_error = agent_error_new("CommandExecutionError", 500, "Command execution failed",
				     "Could not configure UEFI boot on device %s: %s", device,
				     s ? s : "out of memory");
	return COMMAND_ERROR;
}

static int register_loaders(struct agent *a, const char *device, const struct ptable *t,
			    const struct ptable_partition *esp, json_object **ret_error)
{
	char part_path[CONFIGDRIVE_PATH_MAX];
	struct efi_loader *loaders = NULL;
	struct efi_partition part = {0};
	_cleanup_free_ char *err = NULL;
	size_t n = 0;
	int esp_fd, efivars_fd, r;

	if (configdrive_partition_path(device, esp->number, part_path, sizeof(part_path)) < 0)
		return fail(ret_error, device, "%s", "partition name too long");
	r = mkdir_p(ESP_MOUNT_DIR, 0700);
	if (r < 0 && r != -EEXIST)
		return fail(ret_error, device, "cannot create the mount point: %s", strerror(-r));
	/* Not noexec: IPA keeps only the loaders os.access(X_OK) allows, which noexec denies. */
	if (mount(part_path, ESP_MOUNT_DIR, "vfat", MS_NOSUID | MS_NODEV, NULL) < 0)
		return fail(ret_error, device, "cannot mount the EFI partition: %s",
			    strerror(errno));
	esp_fd = open(ESP_MOUNT_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = esp_fd < 0 ? -errno : efi_loader_find(esp_fd, &loaders, &n);
	safe_close(esp_fd);
	if (umount(ESP_MOUNT_DIR) < 0)
		log_warning("cannot unmount %s: %s", ESP_MOUNT_DIR, strerror(errno));
	if (r < 0)
		return fail(ret_error, device, "cannot read the EFI partition: %s", strerror(-r));
	if (n == 0) {
		/* IPA: "Empty EFI partition"; a whole-disk image is left as it is. */
		log_warning("no boot loader found on %s", part_path);
		return COMMAND_OK;
	}

	part.number = esp->number;
	part.start = esp->first_lba;
	part.size = esp->last_lba - esp->first_lba + 1;
	if (t->type == PTABLE_GPT)
		memcpy(part.guid, esp->guid, sizeof(part.guid));
	efivars_fd =
	    openat(a->root_fd, "sys/firmware/efi/efivars", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (efivars_fd < 0) {
		efi_loader_free_many(loaders, n);
		return fail(ret_error, device, "efivarfs: %s", strerror(errno));
	}
	r = efi_boot_install(efivars_fd, &part, loaders, n, &err);
	safe_close(efivars_fd);
	for (size_t i = 0; r >= 0 && i < n; i++)
		log_info("boot entry '%s' added for %s on %s", loaders[i].label, loaders[i].path,
			 part_path);
	efi_loader_free_many(loaders, n);
	if (r < 0)
		return fail(ret_error, device, "%s", err ? err : strerror(-r));
	return COMMAND_OK;
}

HANDLER(image_install_bootloader)
{
	struct agent *a = command_context_userdata(ctx);
	const char *esp_uuid = json_get_string(params, "efi_system_part_uuid");
	const char *mode = json_get_string(params, "target_boot_mode");
	bool ignore =
	    json_get_bool(params, "ignore_bootloader_failure", a->conf.ignore_bootloader_failure);
	_cleanup_free_ char *device = NULL, *error = NULL;
	const struct ptable_partition *esp;
	struct ptable *t = NULL;
	int fd, r;

	(void)ret_result;
	if (faccessat(a->root_fd, "sys/firmware/efi", F_OK, 0) < 0 ||
	    (mode && strcmp(mode, "uefi") != 0)) {
		log_info("install_bootloader: %s boot of a whole-disk image needs nothing",
			 mode ? mode : "BIOS");
		return COMMAND_OK;
	}
	r = agent_install_device(a, &device, &error);
	if (r < 0) {
		*ret_error = agent_error_new("DeviceNotFound", 404,
					     "Error finding the disk or partition device to deploy "
					     "the image onto",
					     "%s", error ? error : strerror(-r));
		return COMMAND_ERROR;
	}
	fd = openat(a->root_fd, device + 1, O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -errno : ptable_read(fd, 0, &t);
	safe_close(fd);
	esp = r < 0 ? NULL : find_esp(t, esp_uuid);
	if (!esp) {
		ptable_free(t);
		if (ignore) {
			log_warning("no EFI partition on %s; ignored", device);
			return COMMAND_OK;
		}
		*ret_error =
		    agent_error_new("DeviceNotFound", 404,
				    "Error finding the disk or partition device to deploy "
				    "the image onto",
				    "No EFI partition could be detected on device %s", device);
		return COMMAND_ERROR;
	}
	r = register_loaders(a, device, t, esp, ret_error);
	ptable_free(t);
	if (r != COMMAND_OK && ignore) {
		log_warning("install_bootloader failed; ignored (ignore_bootloader_failure)");
		json_object_put(*ret_error);
		*ret_error = NULL;
		return COMMAND_OK;
	}
	return r;
}
