#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/disk.h"
#include "basic/fs-util.h"

#include "test.h"

/*
 * A sysfs tree shaped like QEMU's (q35: AHCI, virtio-scsi, virtio-blk, NVMe), built at run
 * time: plain files, directories and relative symlinks as the kernel lays them out.
 */
static char root[PATH_MAX];

#define PCI    "sys/devices/pci0000:00/"
#define SATA   PCI "0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0"
#define VSCSI  PCI "0000:00:03.0/virtio0/host2/target2:0:1/2:0:1:0"
#define NVME   PCI "0000:00:05.0/nvme/nvme0"
#define VIRTIO PCI "0000:00:04.0/virtio1"

static void put(const char *path, const void *data, size_t len)
{
	char p[PATH_MAX * 2], *slash;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	slash = strrchr(p, '/');
	*slash = '\0';
	mkdir_p(p, 0755);
	*slash = '/';
	f = fopen(p, "we");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void file(const char *path, const char *text)
{
	put(path, text, strlen(text));
}

static void dir(const char *path)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", root, path);
	mkdir_p(p, 0755);
}

static void link_to(const char *path, const char *target)
{
	char p[PATH_MAX * 2], *slash;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	slash = strrchr(p, '/');
	*slash = '\0';
	mkdir_p(p, 0755);
	*slash = '/';
	if (symlink(target, p) < 0)
		perror(p);
}

/* A block device: sys/block/<name> -> its directory under devpath, with size in sectors. */
static void block(const char *devpath, const char *name, const char *sectors, const char *rota)
{
	char p[PATH_MAX], t[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/size", devpath, name);
	file(p, sectors);
	snprintf(p, sizeof(p), "%s/%s/queue/rotational", devpath, name);
	file(p, rota);
	snprintf(p, sizeof(p), "sys/block/%s", name);
	snprintf(t, sizeof(t), "../%s/%s", devpath + strlen("sys/"), name);
	link_to(p, t);
}

/* VPD pages as the kernel exposes them: 0x80 (unit serial) and 0x89 (ATA information). */
static void vpd(const char *sdev, const char *serial, const char *ata_model)
{
	unsigned char pg[4 + 60 + 512] = {0};
	char p[PATH_MAX];
	size_t len = strlen(serial);

	pg[1] = 0x80;
	pg[3] = (unsigned char)len;
	memcpy(pg + 4, serial, len);
	snprintf(p, sizeof(p), "%s/vpd_pg80", sdev);
	put(p, pg, 4 + len);
	if (!ata_model)
		return;
	memset(pg, 0, sizeof(pg));
	pg[1] = 0x89;
	pg[2] = 0x02;
	pg[3] = 0x38;
	for (size_t i = 0; i < 40; i++) /* IDENTIFY words 27-46, two characters a word */
		pg[60 + 54 + (i ^ 1)] = i < strlen(ata_model) ? (unsigned char)ata_model[i] : ' ';
	snprintf(p, sizeof(p), "%s/vpd_pg89", sdev);
	put(p, pg, 60 + 512);
}

static void build_tree(void)
{
	/* SATA disk on AHCI port 1 */
	file(PCI "0000:00:1f.2/ata1/ata_port/ata1/port_no", "1\n");
	file(SATA "/type", "0\n");
	file(SATA "/model", "QEMU HARDDISK WI\n");
	file(SATA "/vendor", "ATA     \n");
	file(SATA "/wwid", "naa.5000c500a1b2c3d4\n");
	dir(SATA "/scsi_device/0:0:0:0");
	vpd(SATA, "QM00001             ", "QEMU HARDDISK WITH A   LONG MODEL");
	block(SATA "/block", "sda", "8388608\n", "1\n");
	link_to(SATA "/block/sda/device", "../../../0:0:0:0");

	/* virtio-scsi disk, SCSI host 2 */
	file(VSCSI "/type", "0\n");
	file(VSCSI "/model", "QEMU HARDDISK   \n");
	file(VSCSI "/vendor", "QEMU    \n");
	file(VSCSI "/wwid", "naa.6001405abcdef0123456789abcdef012\n");
	dir(VSCSI "/scsi_device/2:0:1:0");
	vpd(VSCSI, " scsi  serial ", NULL);
	block(VSCSI "/block", "sdb", "104857600\n", "0\n");
	link_to(VSCSI "/block/sdb/device", "../../../2:0:1:0");

	/* virtio-blk */
	file(VIRTIO "/vendor", "0x1af4\n");
	block(VIRTIO "/block", "vda", "41943040\n", "1\n");
	file(VIRTIO "/block/vda/serial", "vd-serial-1  \n");
	link_to(VIRTIO "/block/vda/device", "../../../virtio1");
	block(PCI "0000:00:06.0/virtio2/block", "vdb", "0\n", "1\n"); /* empty: skipped */

	/* NVMe: three namespaces, the last without an nsid attribute */
	file(NVME "/model", "QEMU NVMe Ctrl                          \n");
	file(NVME "/serial", "deadbeef            \n");
	block(NVME, "nvme0n1", "209715200\n", "0\n");
	file(NVME "/nvme0n1/wwid", "eui.0123456789abcdef\n");
	file(NVME "/nvme0n1/nsid", "1\n");
	link_to(NVME "/nvme0n1/device", "../../nvme0");
	block(NVME, "nvme0n2", "10485760\n", "0\n");
	file(NVME "/nvme0n2/nsid", "2\n");
	block(NVME, "nvme0n10", "10485760\n", "0\n");

	/* skipped: CD-ROM, loop, RAM disks, floppy, md and dm over other disks */
	file(PCI "0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/type", "5\n");
	block(PCI "0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block", "sr0", "2097152\n", "1\n");
	link_to(PCI "0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block/sr0/device",
		"../../../1:0:0:0");
	block("sys/devices/virtual/block", "loop0", "2000000\n", "1\n");
	dir("sys/devices/virtual/block/loop0/loop");
	block("sys/devices/virtual/block", "ram0", "131072\n", "0\n");
	block("sys/devices/virtual/block", "zram0", "131072\n", "0\n");
	block("sys/devices/platform/floppy.0/block", "fd0", "8\n", "1\n");
	block("sys/devices/virtual/block", "md0", "8388608\n", "0\n");
	link_to("sys/devices/virtual/block/md0/slaves/sda", "../../../../" SATA "/block/sda");
	block("sys/devices/virtual/block", "dm-0", "8388608\n", "0\n");
	file("sys/devices/virtual/block/dm-0/dm/name", "vg-root\n");
}

static bool streq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}
#define STREQ(a, b) streq((a), (b))
#define FIELD(d, f, want)                                                                          \
	CHECK(STREQ((d)->f, want), "%s " #f " '%s'", (d)->name, (d)->f ? (d)->f : "(null)")

int main(void)
{
	struct disk *disks = NULL;
	const struct disk *d;
	size_t n = 0;
	int fd, r;
	char cmd[PATH_MAX + 16];

	snprintf(root, sizeof(root), "/tmp/test-disk.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 77;
	}
	build_tree();
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	r = disk_list(fd, &disks, &n);
	CHECK(r == 0 && n == 6, "disk_list: %d, %zu disks", r, n);
	if (r < 0 || n != 6)
		return 1;
	CHECK(strcmp(disks[0].name, "nvme0n1") == 0 && strcmp(disks[1].name, "nvme0n2") == 0 &&
		  strcmp(disks[2].name, "nvme0n10") == 0 && strcmp(disks[3].name, "sda") == 0 &&
		  strcmp(disks[4].name, "sdb") == 0 && strcmp(disks[5].name, "vda") == 0,
	      "sorted in version order, sr0/loop0/ram0/zram0/fd0/md0/dm-0/vdb skipped");

	d = disk_find(disks, n, "sda");
	FIELD(d, path, "/dev/sda");
	CHECK(d->size == 4ULL << 30 && d->rotational, "sda: 4 GiB, rotational");
	FIELD(d, model, "QEMU HARDDISK WITH A LONG MODEL");
	FIELD(d, vendor, "ATA");
	FIELD(d, serial, "QM00001");
	FIELD(d, wwn, "0x5000c500a1b2c3d4");
	FIELD(d, wwn_with_extension, "0x5000c500a1b2c3d4");
	FIELD(d, wwn_vendor_extension, NULL);
	FIELD(d, hctl, "0:0:0:0");
	FIELD(d, by_path, "/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0");
	FIELD(d, tran, "sata");

	d = disk_find(disks, n, "/dev/sdb");
	CHECK(d && d->size == 50ULL << 30 && !d->rotational, "sdb: 50 GiB, not rotational");
	FIELD(d, model, "QEMU HARDDISK");
	FIELD(d, vendor, "QEMU");
	FIELD(d, serial, "scsi_serial");
	FIELD(d, wwn, "0x6001405abcdef012");
	FIELD(d, wwn_with_extension, "0x6001405abcdef0123456789abcdef012");
	FIELD(d, wwn_vendor_extension, "0x3456789abcdef012");
	FIELD(d, hctl, "2:0:1:0");
	FIELD(d, by_path, "/dev/disk/by-path/pci-0000:00:03.0-scsi-0:0:1:0");
	FIELD(d, tran, NULL);

	d = disk_find(disks, n, "vda");
	CHECK(d->size == 20ULL << 30 && d->rotational, "vda: 20 GiB, rotational");
	FIELD(d, model, NULL);
	FIELD(d, vendor, "0x1af4");
	FIELD(d, serial, "vd-serial-1");
	FIELD(d, wwn, NULL);
	FIELD(d, hctl, NULL);
	FIELD(d, by_path, "/dev/disk/by-path/pci-0000:00:04.0");
	FIELD(d, tran, NULL);

	d = disk_find(disks, n, "nvme0n1");
	CHECK(d->size == 100ULL << 30 && !d->rotational, "nvme0n1: 100 GiB");
	FIELD(d, model, "QEMU NVMe Ctrl");
	FIELD(d, vendor, NULL);
	FIELD(d, serial, "deadbeef");
	FIELD(d, wwn, "eui.0123456789abcdef");
	FIELD(d, wwn_with_extension, NULL);
	FIELD(d, hctl, NULL);
	FIELD(d, by_path, "/dev/disk/by-path/pci-0000:00:05.0-nvme-1");
	FIELD(d, tran, "nvme");
	FIELD(&disks[1], by_path, "/dev/disk/by-path/pci-0000:00:05.0-nvme-2");
	FIELD(&disks[2], by_path, "/dev/disk/by-path/pci-0000:00:05.0-nvme-10");
	FIELD(&disks[2], model, NULL); /* no device link */

	CHECK(disk_find(disks, n, "sr0") == NULL && disk_find(disks, n, "sdc") == NULL,
	      "disk_find: unknown names");
	disk_list_free(disks, n);

	/* with udev's links, IPA's by_path is the link (the last one sorted for two) */
	link_to("dev/disk/by-path/virtio-pci-0000:00:04.0", "../../vda");
	link_to("dev/disk/by-path/pci-0000:00:04.0-part1", "../../vda1");
	link_to("dev/disk/by-path/pci-0000:00:1f.2-ata-1", "../../sda");
	link_to("dev/disk/by-path/pci-0000:00:1f.2-ata-1.0", "/dev/sda");
	r = disk_list(fd, &disks, &n);
	CHECK(r == 0 && n == 6, "disk_list with by-path links: %d", r);
	if (r == 0) {
		FIELD(disk_find(disks, n, "vda"), by_path,
		      "/dev/disk/by-path/virtio-pci-0000:00:04.0");
		FIELD(disk_find(disks, n, "sda"), by_path,
		      "/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0");
		FIELD(disk_find(disks, n, "sdb"), by_path,
		      "/dev/disk/by-path/pci-0000:00:03.0-scsi-0:0:1:0");
		disk_list_free(disks, n);
	}

	/* oversized attributes are absent, not truncated */
	{
		char big[DISK_VALUE_MAX + 10];

		memset(big, 'x', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		file(VIRTIO "/block/vda/serial", big);
		r = disk_list(fd, &disks, &n);
		CHECK(r == 0 && disk_find(disks, n, "vda")->serial == NULL,
		      "too long serial: none");
		if (r == 0)
			disk_list_free(disks, n);
	}

	/* a root without sys/block */
	{
		int fd2 = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		disks = NULL;
		n = 7;
		r = disk_list(fd2, &disks, &n);
		CHECK(r == -ENOENT && disks == NULL && n == 7, "no sys/block: -ENOENT (%d)", r);
		close(fd2);
	}

	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		perror("rm");
	return failures ? 1 : 0;
}
