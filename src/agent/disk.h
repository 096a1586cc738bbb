#pragma once

/*
 * The machine's disks, as ironic-python-agent (IPA) lists them in
 * hardware.list_all_block_devices(block_type='disk'): the devices of the disks[] inventory and
 * the candidates of root device selection (hints.h). IPA runs `lsblk -bia --json` and asks udev;
 * there is no udev here, so every field is read from sysfs under a root directory fd (tests
 * point it at captured trees):
 *
 *   name        the kernel name, "sda"; path is "/dev/sda", which IPA calls "name"
 *   size        sys/block/X/size * 512 (lsblk SIZE)
 *   rotational  sys/block/X/queue/rotational == 1 (lsblk ROTA)
 *   model       lsblk MODEL from udev ID_MODEL_ENC, whitespace normalised: the ATA IDENTIFY
 *               model from device/vpd_pg89 for ATA disks (the 40-character one ata_id reads),
 *               else device/model
 *   vendor      device/vendor, stripped (IPA _get_device_info reads it the same way)
 *   serial      lsblk SERIAL, else udev ID_SERIAL_SHORT/ID_SERIAL: the SCSI/ATA unit serial
 *               from device/vpd_pg80 (blanks trimmed, inner runs '_'), else device/serial
 *               (NVMe), else serial (virtio-blk), trailing blanks dropped
 *   wwn*        udev ID_WWN, ID_WWN_WITH_EXTENSION, ID_WWN_VENDOR_EXTENSION: from the kernel's
 *               device/wwid (SCSI, ATA) when it is an NAA designator ("naa.<hex>": wwn is 0x
 *               and the first 16 hex digits, with_extension all of them, vendor_extension 0x
 *               and the digits after 16); for NVMe wwn is the namespace's wwid as it is
 *   hctl        the first entry of device/scsi_device/ (IPA reads it the same way)
 *   by_path     a dev/disk/by-path link of the root pointing at /dev/<name> (the one sorting
 *               last when there are several: IPA keeps the last of an unordered listdir); when
 *               there is none, the name systemd's path_id would give, derived from the sysfs
 *               device path for PCI virtio-blk ("/dev/disk/by-path/pci-0000:00:04.0"), NVMe
 *               ("pci-0000:00:05.0-nvme-1"), libata ("pci-0000:00:1f.2-ata-1.0", the primary
 *               name of systemd >= 251; the compat "ata-1" link is not produced) and plain
 *               SCSI hosts such as virtio-scsi ("pci-0000:00:03.0-scsi-0:0:0:0"). SAS, FC,
 *               iSCSI, USB, platform and non-PCI devices get none.
 *   tran        lsblk TRAN (IPA >= 11.2): "nvme", "sata" (libata), "usb", "sas", "fc", "iscsi"
 *               from the sysfs path, else none
 *
 * Skipped as IPA skips them: ram*, zram*, fd* (by name), devices of size 0, devices whose lsblk
 * TYPE is not "disk" (loop*, device-mapper, SCSI types other than 0 such as CD-ROMs (sr*),
 * tapes), and devices with entries in slaves/ (md and dm over other disks: lsblk --json nests
 * them under their members, and IPA reads only the top level). Read-only and removable disks
 * are kept, as by IPA. Not covered: multipath member filtering, partitions, RAID volumes.
 *
 * Disks come sorted by name in version order (sda, sdb, vda, nvme0n1 < nvme0n2 < nvme0n10);
 * lsblk uses the kernel's directory order, which is not stable across kernels.
 *
 * Limits: at most DISK_MAX disks (more: -E2BIG), names of at most DISK_NAME_MAX bytes (longer:
 * skipped), attribute values of at most DISK_VALUE_MAX bytes (longer: treated as absent).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_MAX       1024
#define DISK_NAME_MAX  64
#define DISK_VALUE_MAX 256

struct disk {
	char *name; /* kernel name, "sda" */
	char *path; /* "/dev/sda" (IPA's BlockDevice.name) */
	uint64_t size;
	bool rotational;
	/* NULL when absent (null in IPA's JSON) */
	char *model;
	char *vendor;
	char *serial;
	char *wwn;
	char *wwn_with_extension;
	char *wwn_vendor_extension;
	char *hctl;
	char *by_path;
	char *tran;
};

/*
 * Lists the disks of the machine whose root is root_fd (AT_FDCWD or an fd of "/" on the
 * machine; reads sys/block, sys/class/block, sys/devices and dev/disk/by-path below it).
 * On success *ret is an array of *n_ret disks (NULL when none) to free with disk_list_free().
 * Returns 0, -ENOMEM, -E2BIG, or a negative errno when sys/block cannot be read.
 */
int disk_list(int root_fd, struct disk **ret, size_t *n_ret);

void disk_list_free(struct disk *disks, size_t n);

/* A disk by kernel name or by /dev/ path, or NULL. */
const struct disk *disk_find(const struct disk *disks, size_t n, const char *name);
