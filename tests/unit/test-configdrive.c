/* sources: src/agent/ptable.c src/agent/configdrive.c src/basic/hexdecoct.c */
/*
 * Whole-disk images are made at run time (GPT: sfdisk, else systemd-repart; MBR by hand), copied
 * onto larger sparse "disks", and the config drive is written as IPA would. The result is checked
 * with libblkid (partitions, and the backup GPT alone after the primary is destroyed),
 * `sfdisk --verify` / `sgdisk -v` when present, and by reading the bytes back.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/configdrive.h"
#include "agent/ptable.h"

#include "test.h"

static char dir[] = "/tmp/test-configdrive.XXXXXX";

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static bool have(const char *tool)
{
	return run("command -v %s >/dev/null 2>&1", tool) == 0;
}

/* GPT image of size_mb with partitions of the given MiB sizes, on a disk of disk_mb. */
static int make_gpt(const char *img, int size_mb, int p1, int p2, int disk_mb)
{
	int r;

	if (have("sfdisk"))
		r = run("rm -f %s && truncate -s %dM %s && printf 'label: gpt\\nsize=%dMiB\\n"
			"size=%dMiB\\n' | sfdisk -q %s >/dev/null",
			img, size_mb, img, p1, p2, img);
	else
		r = run("rm -rf %s %s/defs && mkdir %s/defs && printf '[Partition]\\nType=esp\\n"
			"SizeMinBytes=%dM\\nSizeMaxBytes=%dM\\n' >%s/defs/1.conf && "
			"printf '[Partition]\\nType=linux-generic\\nSizeMinBytes=%dM\\n"
			"SizeMaxBytes=%dM\\n' >%s/defs/2.conf && systemd-repart --empty=create "
			"--size=%dM --dry-run=no --definitions=%s/defs %s >/dev/null 2>&1",
			img, dir, dir, p1, p1, dir, p2, p2, dir, size_mb, dir, img);
	return r ? r : run("truncate -s %dM %s", disk_mb, img);
}

static int make_mbr(const char *img, int n_parts, uint64_t disk_bytes)
{
	uint8_t s[512] = {0};
	int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r;

	if (fd < 0 || ftruncate(fd, (off_t)disk_bytes) < 0)
		return -1;
	s[440] = 0x78, s[441] = 0x56, s[442] = 0x34, s[443] = 0x12;
	for (int i = 0; i < n_parts; i++) {
		uint8_t *e = s + 446 + 16 * i;
		uint32_t start = 2048 + 4096 * (uint32_t)i, n = 4096;

		e[4] = 0x83;
		memcpy(e + 8, &start, 4); /* little-endian host */
		memcpy(e + 12, &n, 4);
	}
	s[510] = 0x55, s[511] = 0xaa;
	r = pwrite(fd, s, 512, 0) == 512 ? 0 : -1;
	close(fd);
	return r;
}

static int write_cd(const char *img, const void *data, size_t size, struct configdrive_result *res,
		    char *err)
{
	int fd = open(img, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	err[0] = 0;
	r = configdrive_write(fd, "/dev/sda", data, size, res, err, CONFIGDRIVE_ERROR_MAX);
	close(fd);
	return r;
}

static bool read_back(const char *img, uint64_t off, const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	bool ok = buf && fd >= 0 && pread(fd, buf, size, (off_t)off) == (ssize_t)size &&
		  memcmp(buf, data, size) == 0;

	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* libblkid's view of partition number: its start and uuid (NULL when absent). */
static bool blkid_part(const char *img, int number, uint64_t *start, char *uuid, size_t size)
{
	blkid_probe pr = blkid_new_probe_from_filename(img);
	blkid_partlist ls;
	bool found = false;

	if (!pr)
		return false;
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) == 0 && (ls = blkid_probe_get_partitions(pr))) {
		for (int i = 0; i < blkid_partlist_numof_partitions(ls); i++) {
			blkid_partition p = blkid_partlist_get_partition(ls, i);
			const char *u = blkid_partition_get_uuid(p);

			if (blkid_partition_get_partno(p) != number)
				continue;
			*start = (uint64_t)blkid_partition_get_start(p);
			snprintf(uuid, size, "%s", u ? u : "");
			found = true;
		}
	}
	blkid_free_probe(pr);
	return found;
}

static uint8_t *random_bytes(size_t size)
{
	uint8_t *b = malloc(size);

	for (size_t i = 0; b && i < size; i++)
		b[i] = (uint8_t)(rand() >> 7);
	return b;
}

static void test_gpt(void)
{
	char img[256], iso[256], err[CONFIGDRIVE_ERROR_MAX], uuid[64];
	struct configdrive_result res = {0}, res2 = {0};
	struct ptable *t = NULL;
	uint8_t *data = random_bytes(3 << 20), *isodata = NULL;
	uint64_t start = 0;
	size_t isosize = 0;
	int fd, r;

	snprintf(img, sizeof(img), "%s/gpt.img", dir);
	/* 100 MiB image on a 300 MiB disk: the backup GPT is 200 MiB before the end. */
	CHECK(make_gpt(img, 100, 20, 40, 300) == 0, "GPT image on a larger disk");
	r = write_cd(img, data, 3 << 20, &res, err);
	CHECK(r == 0 && res.created && res.number == 3 && strcmp(res.path, "/dev/sda3") == 0,
	      "config drive partition created: %d %s %s", r, res.path, err);
	fd = open(img, O_RDONLY | O_CLOEXEC);
	r = fd >= 0 ? ptable_read(fd, 0, &t) : -errno;
	if (fd >= 0)
		close(fd);
	CHECK(r == 0 && t->gpt_primary_ok && t->gpt_backup_ok && t->gpt_backup_lba == 614400 - 1 &&
		  t->gpt_last_usable == 614400 - t->gpt_first_usable,
	      "backup GPT moved to the end of the disk, last usable LBA as sgdisk -e sets it");
	CHECK(r == 0 && res.last_lba == t->gpt_last_usable && res.first_lba % 2048 == 0 &&
		  res.last_lba - res.first_lba + 1 >= 131072 &&
		  res.last_lba - res.first_lba + 1 < 131072 + 2048,
	      "placed as sgdisk -n 0:-64MB:0: %llu-%llu", (unsigned long long)res.first_lba,
	      (unsigned long long)res.last_lba);
	CHECK(blkid_part(img, 3, &start, uuid, sizeof(uuid)) && start == res.first_lba &&
		  strcmp(uuid, res.uuid) == 0 && uuid[14] == '4',
	      "libblkid sees partition 3 with the new random (v4) uuid %s", res.uuid);
	CHECK(read_back(img, res.first_lba * 512, data, 3 << 20),
	      "config drive readable back byte for byte");
	ptable_free(t);

	/* The backup alone (primary header destroyed) must describe the new partition too. */
	run("cp --sparse=always %s %s/nopri.img && dd if=/dev/zero of=%s/nopri.img bs=512 seek=1 "
	    "count=1 conv=notrunc status=none",
	    img, dir, dir);
	snprintf(iso, sizeof(iso), "%s/nopri.img", dir);
	CHECK(blkid_part(iso, 3, &start, uuid, sizeof(uuid)) && start == res.first_lba,
	      "backup GPT at the disk's end holds the new partition (libblkid)");
	if (have("sfdisk"))
		CHECK(run("sfdisk --verify %s >/dev/null 2>&1", img) == 0, "sfdisk --verify");
	if (have("sgdisk"))
		CHECK(run("sgdisk -v %s | grep -q 'No problems found'", img) == 0, "sgdisk -v");

	/* A real ISO labelled config-2: written, then found again and reused. */
	snprintf(iso, sizeof(iso), "%s/cd.iso", dir);
	if (run("mkdir -p %s/cd/openstack/latest && echo '{}' >%s/cd/openstack/latest/"
		"meta_data.json && xorriso -as mkisofs -quiet -V config-2 -J -r -o %s %s/cd "
		">/dev/null 2>&1",
		dir, dir, iso, dir) == 0) {
		FILE *f = fopen(iso, "re");

		isodata = malloc(4 << 20);
		if (f && isodata)
			isosize = fread(isodata, 1, 4 << 20, f);
		if (f)
			fclose(f);
	}
	if (isosize == 0) {
		printf("skip: no ISO (xorriso missing), reuse of config-2 not tested\n");
		free(data);
		free(isodata);
		return;
	}
	r = write_cd(img, isodata, isosize, &res, err);
	CHECK(r == 0 && res.created && res.number == 4, "second partition for the ISO: %d %s", r,
	      err);
	r = write_cd(img, isodata, isosize, &res2, err);
	CHECK(r == 0 && !res2.created && res2.number == res.number,
	      "partition labelled config-2 reused: %d (%u)", r, res2.number);
	CHECK(read_back(img, res2.first_lba * 512, isodata, isosize), "ISO readable back");
	r = write_cd(img, data, 65 << 20, &res2, err);
	CHECK(r == -EFBIG && strstr(err, "64MiB"), "65 MiB: -EFBIG (%s)", err);

	/* Copy the ISO into partition 3 as well: two config-2 partitions are an error. */
	{
		uint64_t p3 = 0;

		blkid_part(img, 3, &p3, uuid, sizeof(uuid));
		run("dd if=%s of=%s bs=512 seek=%llu conv=notrunc status=none", iso, img,
		    (unsigned long long)p3);
	}
	r = write_cd(img, isodata, isosize, &res2, err);
	CHECK(r == -ENOTUNIQ && strstr(err, "/dev/sda3 and /dev/sda4"),
	      "two config-2 partitions: -ENOTUNIQ (%s)", err);
	free(data);
	free(isodata);
}

static void test_gpt_full(void)
{
	char img[256], err[CONFIGDRIVE_ERROR_MAX];
	struct configdrive_result res;
	uint8_t data[4096] = {1};
	int r;

	/* Partitions fill the disk: no room for 64 MiB. */
	snprintf(img, sizeof(img), "%s/full.img", dir);
	CHECK(make_gpt(img, 100, 40, 40, 100) == 0, "GPT image with 18 MiB free");
	r = write_cd(img, data, sizeof(data), &res, err);
	CHECK(r == -ENOSPC && err[0], "no room: -ENOSPC (%s)", err);
}

static void test_mbr(void)
{
	char img[256], err[CONFIGDRIVE_ERROR_MAX], uuid[64];
	struct configdrive_result res = {0};
	struct ptable *t = NULL;
	uint8_t *data = random_bytes(1 << 20);
	uint64_t start = 0;
	int fd, r;

	snprintf(img, sizeof(img), "%s/mbr.img", dir);
	CHECK(make_mbr(img, 1, 200 << 20) == 0, "MBR disk with one partition");
	r = write_cd(img, data, 1 << 20, &res, err);
	CHECK(r == 0 && res.created && res.number == 2 && res.last_lba == 409599 &&
		  res.first_lba == 409600 - 131072,
	      "MBR: partition 2 in the last 64 MiB (%d %s)", r, err);
	fd = open(img, O_RDONLY | O_CLOEXEC);
	r = fd >= 0 ? ptable_read(fd, 0, &t) : -errno;
	if (fd >= 0)
		close(fd);
	CHECK(r == 0 && t->n_partitions == 2 && t->partitions[1].mbr_type == 0x0c &&
		  t->mbr_signature == 0x12345678,
	      "type 0x0c (fat32 as parted writes it), signature kept");
	CHECK(blkid_part(img, 2, &start, uuid, sizeof(uuid)) && start == res.first_lba,
	      "libblkid sees partition 2");
	CHECK(read_back(img, res.first_lba * 512, data, 1 << 20), "MBR: config drive read back");
	ptable_free(t);

	CHECK(make_mbr(img, 4, 200 << 20) == 0, "MBR disk with four primary partitions");
	r = write_cd(img, data, 1 << 20, &res, err);
	CHECK(r == -E2BIG && strstr(err, "4 primary"), "too many partitions: -E2BIG (%s)", err);

	/* A disk above 2 TiB: the partition goes below parted's 2097151 MB. */
	CHECK(make_mbr(img, 1, UINT64_C(3) << 40) == 0, "3 TiB MBR disk (sparse)");
	r = write_cd(img, data, 1 << 20, &res, err);
	CHECK(r == 0 && res.number == 2 && res.first_lba % 2048 == 0 &&
		  (res.last_lba + 1) * 512 <= UINT64_C(2097151000000) + 524288 &&
		  (res.last_lba + 1) % 2048 == 0 && res.last_lba < UINT64_C(0xffffffff),
	      "placed below the MBR limit: %llu-%llu (%s)", (unsigned long long)res.first_lba,
	      (unsigned long long)res.last_lba, err);
	CHECK(read_back(img, res.first_lba * 512, data, 1 << 20), "read back at ~1.9 TiB");
	free(data);
	run("rm -f %s", img);

	CHECK(run("truncate -s 10M %s/empty.img", dir) == 0, "blank disk");
	snprintf(img, sizeof(img), "%s/empty.img", dir);
	r = write_cd(img, err, 1, &res, err);
	CHECK(r == -ENOMSG, "no partition table: -ENOMSG");
}

static void test_decode(void)
{
	char path[256], err[CONFIGDRIVE_ERROR_MAX];
	uint8_t *out = NULL, *orig = random_bytes(300000), *b64 = NULL;
	size_t size = 0, b64size = 0;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/cd.bin", dir);
	f = fopen(path, "we");
	if (f) {
		fwrite(orig, 1, 300000, f);
		fclose(f);
	}
	/* Two gzip members, as `cat a.gz b.gz` makes, then base64 with line breaks. */
	run("cd %s && head -c 100000 cd.bin | gzip -c >cd.gz && tail -c 200000 cd.bin | "
	    "gzip -c >>cd.gz && base64 cd.gz >cd.b64",
	    dir);
	snprintf(path, sizeof(path), "%s/cd.b64", dir);
	f = fopen(path, "re");
	b64 = malloc(1 << 20);
	if (f && b64)
		b64size = fread(b64, 1, 1 << 20, f);
	if (f)
		fclose(f);
	r = configdrive_decode(b64, b64size, false, CONFIGDRIVE_MAX_SIZE, &out, &size, err,
			       sizeof(err));
	CHECK(r == 0 && size == 300000 && memcmp(out, orig, size) == 0,
	      "gzip+base64 decoded (two members, wrapped lines): %d %s", r, err);
	free(out);
	out = NULL;

	r = configdrive_decode(b64, b64size, false, 1000, &out, &size, err, sizeof(err));
	CHECK(r == -EFBIG && !out, "size limit: -EFBIG (%s)", err);

	r = configdrive_decode("aGVsbG8gd29ybGQ=", 16, false, 1000, &out, &size, err, sizeof(err));
	CHECK(r == -EBADMSG && strstr(err, "decompressing"),
	      "base64 of data that is not gzip: -EBADMSG (%s)", err);

	r = configdrive_decode("aGVsbG8", 7, false, 1000, &out, &size, err, sizeof(err));
	CHECK(r == -EBADMSG && strstr(err, "base64"), "bad padding: -EBADMSG (%s)", err);

	r = configdrive_decode("CD001\x01\xff", 7, true, 1000, &out, &size, err, sizeof(err));
	CHECK(r == 0 && size == 7 && memcmp(out, "CD001\x01\xff", 7) == 0,
	      "downloaded bytes that are not base64 used as they are");
	free(out);
	out = NULL;

	r = configdrive_decode(b64, b64size / 2 / 4 * 4, false, CONFIGDRIVE_MAX_SIZE, &out, &size,
			       err, sizeof(err));
	CHECK(r == -EBADMSG, "truncated gzip: -EBADMSG (%s)", err);
	free(out);
	free(orig);
	free(b64);
}

static void test_path(void)
{
	char buf[64];

	configdrive_partition_path("/dev/sda", 3, buf, sizeof(buf));
	CHECK(strcmp(buf, "/dev/sda3") == 0, "partition path %s", buf);
	configdrive_partition_path("/dev/nvme0n1", 2, buf, sizeof(buf));
	CHECK(strcmp(buf, "/dev/nvme0n1p2") == 0, "partition path %s", buf);
	CHECK(configdrive_partition_path("/dev/sda", 3, buf, 5) == -ENAMETOOLONG,
	      "partition path too long");
}

int main(void)
{
	srand(1);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 77;
	}
	if (!have("sfdisk") && !have("systemd-repart")) {
		printf("skip: neither sfdisk nor systemd-repart to make GPT images\n");
		run("rm -rf %s", dir);
		return 77;
	}
	test_path();
	test_decode();
	test_gpt();
	test_gpt_full();
	test_mbr();
	run("rm -rf %s", dir);
	return failures ? 1 : 0;
}
