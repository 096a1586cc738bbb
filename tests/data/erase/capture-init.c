/*
 * /init of a throw-away QEMU guest that captured the IDENTIFY blobs of this directory and ran
 * erase_secure_try() against the guest's scratch disks (see README). Guest only: it formats
 * /dev/nvme0n1 of the VM it runs in. Not built by make.
 */

#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <scsi/sg.h>
#include "agent/erase-secure.h"
#include "agent/log.h"

static void hexdump(const char *tag, const unsigned char *b, size_t n)
{
	printf("BEGIN %s\n", tag);
	for (size_t i = 0; i < n; i += 32) {
		for (size_t j = i; j < i + 32 && j < n; j++)
			printf("%02x", b[j]);
		printf("\n");
	}
	printf("END %s\n", tag);
}

static void ata_id(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	unsigned char cdb[16] = {0x85, 4 << 1, 0x0e, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0xec, 0};
	unsigned char data[512], sense[32];
	sg_io_hdr_t io = {0};
	io.interface_id = 'S';
	io.cmdp = cdb;
	io.cmd_len = 16;
	io.sbp = sense;
	io.mx_sb_len = 32;
	io.dxfer_direction = SG_DXFER_FROM_DEV;
	io.dxferp = data;
	io.dxfer_len = 512;
	io.timeout = 15000;
	if (fd < 0 || ioctl(fd, SG_IO, &io) < 0) {
		printf("SGIO %s failed: %s\n", dev, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	printf("SGIO %s status=%x host=%x driver=%x sb_len=%d\n", dev, io.status, io.host_status,
	       io.driver_status, io.sb_len_wr);
	hexdump(dev, data, 512);
	close(fd);
}

static void nvme_id(const char *dev, unsigned nsid, unsigned cns, const char *tag)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	static unsigned char buf[4096] __attribute__((aligned(4096)));
	struct nvme_passthru_cmd cmd;
	erase_secure_nvme_identify_cmd(nsid, cns, buf, &cmd);
	int r = fd < 0 ? -1 : ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
	if (r != 0) {
		printf("NVME %s failed: r=%d %s\n", dev, r, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	hexdump(tag, buf, 4096);
	close(fd);
}

static void try(const char *dev, bool cont)
{
	struct erase_secure_options o = {
	    .nvme_enabled = true, .ata_enabled = true, .continue_if_failed = cont, .root_fd = -1};
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	char *err = NULL;
	int r = fd < 0 ? -errno : erase_secure_try(fd, dev, &o, &err);
	printf("TRY %s -> %d (%s)\n", dev, r, err ? err : "-");
	free(err);
	if (fd >= 0)
		close(fd);
}

static void pattern_check(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_DIRECT);
	static unsigned char b[1 << 20] __attribute__((aligned(4096)));
	long nonzero = 0, total = 0;
	ssize_t n;
	if (fd < 0)
		return;
	while ((n = read(fd, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			nonzero += b[i] != 0;
		total += n;
	}
	printf("READ %s total=%ld nonzero=%ld\n", dev, total, nonzero);
	close(fd);
}

int main(void)
{
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	{
		int c = open("/dev/console", O_RDWR);
		if (c >= 0) {
			dup2(c, 0);
			dup2(c, 1);
			dup2(c, 2);
		}
	}
	sleep(2);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("GUEST START\n");
	ata_id("/dev/sda");
	ata_id("/dev/vda");
	nvme_id("/dev/nvme0n1", 0, 1, "nvme-id-ctrl");
	nvme_id("/dev/nvme0n1", 1, 0, "nvme-id-ns");
	printf("IS_NVME nvme0n1=%d sda=%d\n", erase_secure_is_nvme(AT_FDCWD, "/dev/nvme0n1"),
	       erase_secure_is_nvme(AT_FDCWD, "/dev/sda"));
	pattern_check("/dev/nvme0n1");
	try("/dev/nvme0n1", false);
	pattern_check("/dev/nvme0n1");
	try("/dev/sda", false);
	try("/dev/vda", false);
	printf("GUEST DONE\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
