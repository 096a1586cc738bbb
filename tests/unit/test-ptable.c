/* sources: src/agent/ptable.c src/basic/hexdecoct.c */
/*
 * Disk images are made at run time: GPT with sfdisk when the host has it, else systemd-repart;
 * MBR (with an extended partition and logical ones) built here byte by byte. The parser's
 * results are compared with libblkid's partition prober and `blkid -p`, and IPA's disk
 * identifier with `hexdump -s 440 -n 4 -e '"0x%08x"'`, the command IPA runs.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/ptable.h"

#include "test.h"
#include "basic/hexdecoct.h"

static char dir[] = "/tmp/test-ptable.XXXXXX";

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* First line of a command's output, without the newline. */
static void capture(char *buf, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf[0] = 0;
	f = popen(cmd, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	pclose(f);
}

static bool have(const char *tool)
{
	return run("command -v %s >/dev/null 2>&1", tool) == 0;
}

/* A 100 MiB GPT image: a 20 MiB ESP and a 40 MiB root partition, free space behind. */
static int make_gpt(const char *img)
{
	if (have("sfdisk"))
		return run("truncate -s 100M %s && printf 'label: gpt\\n"
			   "size=20MiB, type=uefi, name=EFI\\n"
			   "size=40MiB, type=linux, name=root, attrs=LegacyBIOSBootable\\n' | "
			   "sfdisk -q %s >/dev/null",
			   img, img);
	return run("mkdir -p %s/defs && printf '[Partition]\\nType=esp\\nLabel=EFI\\n"
		   "SizeMinBytes=20M\\nSizeMaxBytes=20M\\n' >%s/defs/10-esp.conf && "
		   "printf '[Partition]\\nType=linux-generic\\nLabel=root\\nSizeMinBytes=40M\\n"
		   "SizeMaxBytes=40M\\nFlags=0x4\\n' >%s/defs/20-root.conf && "
		   "systemd-repart --empty=create --size=100M --dry-run=no --definitions=%s/defs "
		   "%s >/dev/null 2>&1",
		   dir, dir, dir, dir, img);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static void mbr_set(uint8_t *s, int slot, uint8_t boot, uint8_t type, uint32_t start, uint32_t n)
{
	uint8_t *e = s + 446 + 16 * slot;

	e[0] = boot;
	e[4] = type;
	put32(e, 8, start);
	put32(e, 12, n);
	s[510] = 0x55;
	s[511] = 0xaa;
}

/* 64 MiB MBR disk: 1 (boot), 2 extended with logical 5 and 6, 3; signature 0x9a3e1c2b. */
static int make_mbr(const char *img)
{
	uint8_t s[512] = {0};
	int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = 0;

	if (fd < 0 || ftruncate(fd, 64 << 20) < 0)
		return -1;
	s[440] = 0x2b, s[441] = 0x1c, s[442] = 0x3e, s[443] = 0x9a;
	mbr_set(s, 0, 0x80, 0x83, 2048, 8192);
	mbr_set(s, 1, 0, 0x05, 10240, 40960);
	mbr_set(s, 2, 0, 0x0c, 51200, 10240);
	r |= pwrite(fd, s, 512, 0) != 512;
	memset(s, 0, sizeof(s));
	mbr_set(s, 0, 0, 0x83, 2048, 4096);
	mbr_set(s, 1, 0, 0x05, 8192, 10240);
	r |= pwrite(fd, s, 512, 10240 * 512) != 512;
	memset(s, 0, sizeof(s));
	mbr_set(s, 0, 0, 0x82, 2048, 8192);
	r |= pwrite(fd, s, 512, 18432 * 512) != 512;
	close(fd);
	return r ? -1 : 0;
}

/* Every partition libblkid sees must be in t with the same fields, and no other. */
static void compare_blkid(const char *img, const struct ptable *t, const char *what)
{
	blkid_probe pr = blkid_new_probe_from_filename(img);
	const char *pttype = NULL, *ptuuid = NULL;
	char buf[GUID_STRING_MAX], want[64];
	blkid_partlist ls;
	int n;

	if (!pr) {
		CHECK(false, "%s: libblkid opens the image", what);
		return;
	}
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	CHECK(blkid_do_safeprobe(pr) == 0, "%s: libblkid finds a table", what);
	blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
	blkid_probe_lookup_value(pr, "PTUUID", &ptuuid, NULL);
	CHECK(pttype && strcmp(pttype, t->type == PTABLE_GPT ? "gpt" : "dos") == 0,
	      "%s: table type %s", what, pttype ? pttype : "(none)");
	if (t->type == PTABLE_GPT)
		guid_to_string(t->disk_guid, buf);
	else
		snprintf(buf, sizeof(buf), "%08x", t->mbr_signature);
	CHECK(ptuuid && strcmp(ptuuid, buf) == 0, "%s: disk id %s = blkid's %s", what, buf,
	      ptuuid ? ptuuid : "(none)");
	capture(want, sizeof(want), "blkid -p -o value -s PTUUID %s", img);
	CHECK(strcmp(want, buf) == 0, "%s: `blkid -p` PTUUID %s", what, want);

	ls = blkid_probe_get_partitions(pr);
	n = ls ? blkid_partlist_numof_partitions(ls) : -1;
	CHECK(n == (int)t->n_partitions, "%s: %d partitions, blkid %d", what, (int)t->n_partitions,
	      n);
	for (int i = 0; i < n; i++) {
		blkid_partition par = blkid_partlist_get_partition(ls, i);
		const struct ptable_partition *p;
		unsigned number = (unsigned)blkid_partition_get_partno(par);
		const char *s;
		bool ok;

		p = ptable_get_partition(t, number);
		if (!p) {
			CHECK(false, "%s: partition %u missing", what, number);
			continue;
		}
		ok = p->first_lba * t->sector_size / 512 ==
			 (uint64_t)blkid_partition_get_start(par) &&
		     (p->last_lba - p->first_lba + 1) * t->sector_size / 512 ==
			 (uint64_t)blkid_partition_get_size(par) &&
		     p->logical == (blkid_partition_is_logical(par) != 0);
		if (t->type == PTABLE_GPT) {
			guid_to_string(p->type_guid, buf);
			s = blkid_partition_get_type_string(par);
			ok = ok && s && strcmp(s, buf) == 0;
			guid_to_string(p->guid, buf);
			s = blkid_partition_get_uuid(par);
			ok = ok && s && strcmp(s, buf) == 0;
			s = blkid_partition_get_name(par);
			ok = ok && strcmp(s ? s : "", p->name) == 0;
			ok = ok && blkid_partition_get_flags(par) == p->attrs;
		} else {
			ok = ok && blkid_partition_get_type(par) == p->mbr_type &&
			     (blkid_partition_get_flags(par) == 0x80) == p->bootable;
		}
		s = blkid_partition_get_name(par);
		CHECK(ok, "%s: partition %u (%llu-%llu, %s) as blkid reports it", what, number,
		      (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
		      t->type == PTABLE_GPT ? p->name : "mbr");
	}
	blkid_free_probe(pr);
}

static int read_table(const char *img, struct ptable **t)
{
	int fd = open(img, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = ptable_read(fd, 0, t);
	close(fd);
	return r;
}

/* Flips one byte of the image at off. */
static void corrupt(const char *img, uint64_t off)
{
	int fd = open(img, O_RDWR | O_CLOEXEC);
	uint8_t b;

	if (fd < 0)
		return;
	if (pread(fd, &b, 1, (off_t)off) == 1) {
		b ^= 0xff;
		if (pwrite(fd, &b, 1, (off_t)off) != 1)
			perror("pwrite");
	}
	close(fd);
}

static void test_gpt(void)
{
	char img[256], img2[256], id[PTABLE_DISK_ID_MAX], out[64];
	struct ptable *t = NULL, *t2 = NULL;
	struct json_object *j = NULL;
	int r;

	snprintf(img, sizeof(img), "%s/gpt.img", dir);
	snprintf(img2, sizeof(img2), "%s/gpt2.img", dir);
	CHECK(make_gpt(img) == 0, "GPT image made with %s", have("sfdisk") ? "sfdisk" : "repart");
	r = read_table(img, &t);
	CHECK(r == 0 && t->type == PTABLE_GPT, "GPT read: %d", r);
	if (r < 0)
		return;
	CHECK(t->gpt_primary_ok && t->gpt_backup_ok, "both GPT headers valid");
	CHECK(t->gpt_backup_lba == t->n_sectors - 1 && t->n_sectors == 204800,
	      "backup header on the last sector");
	CHECK(t->n_partitions == 2 && strcmp(t->partitions[0].name, "EFI") == 0 &&
		  strcmp(t->partitions[1].name, "root") == 0,
	      "two partitions, named EFI and root");
	CHECK(strcmp(ptable_type_to_string(t->type), "gpt") == 0, "type string gpt");
	compare_blkid(img, t, "gpt");

	ptable_disk_identifier(t, id);
	capture(out, sizeof(out), "hexdump -s 440 -n 4 -e '\"0x%%08x\"' %s", img);
	CHECK(strcmp(id, out) == 0, "disk identifier %s = hexdump's %s", id, out);
	CHECK(ptable_partition_uuids(t, &j) == 0 && strcmp(json_object_to_json_string_ext(j, 0),
							   "{\"root uuid\":\"0x00000000\"}") == 0,
	      "get_partition_uuids of a GPT whole-disk image: %s",
	      j ? json_object_to_json_string_ext(j, 0) : "");
	json_object_put(j);

	/* Primary header CRC broken: the backup is used, with the same partitions. */
	run("cp --sparse=always %s %s", img, img2);
	corrupt(img2, 512 + 40);
	r = read_table(img2, &t2);
	CHECK(r == 0 && !t2->gpt_primary_ok && t2->gpt_backup_ok && t2->n_partitions == 2 &&
		  memcmp(t2->disk_guid, t->disk_guid, 16) == 0 &&
		  t2->partitions[1].last_lba == t->partitions[1].last_lba,
	      "corrupt primary header: backup used (%d)", r);
	ptable_free(t2);
	t2 = NULL;

	/* A broken primary entry array fails the entries CRC, likewise. */
	run("cp --sparse=always %s %s", img, img2);
	corrupt(img2, 2 * 512 + 20);
	r = read_table(img2, &t2);
	CHECK(r == 0 && !t2->gpt_primary_ok && t2->n_partitions == 2,
	      "corrupt primary entries: backup used (%d)", r);
	ptable_free(t2);
	t2 = NULL;

	/* Both headers broken: corrupt table. */
	corrupt(img2, (uint64_t)(t->n_sectors - 1) * 512 + 8);
	r = read_table(img2, &t2);
	CHECK(r == -EBADMSG, "both headers corrupt: -EBADMSG (%d)", r);
	ptable_free(t2);
	t2 = NULL;

	/* A header claiming a huge entry array, with a valid CRC, is refused. */
	run("cp --sparse=always %s %s", img, img2);
	{
		int fd = open(img2, O_RDWR | O_CLOEXEC);
		uint8_t h[512];

		if (fd >= 0 && pread(fd, h, 512, 512) == 512) {
			uint32_t hs = h[12];

			put32(h, 80, 0x100000);
			put32(h, 16, 0);
			put32(h, 16, (uint32_t)crc32(0, h, hs));
			if (pwrite(fd, h, 512, 512) != 512)
				perror("pwrite");
		}
		if (fd >= 0)
			close(fd);
	}
	r = read_table(img2, &t2);
	CHECK(r == 0 && !t2->gpt_primary_ok && t2->gpt_n_entries == 128,
	      "entry count 0x100000 refused, backup used (%d)", r);
	ptable_free(t2);
	ptable_free(t);
}

static void test_mbr(void)
{
	char img[256], id[PTABLE_DISK_ID_MAX], out[64];
	struct ptable *t = NULL;
	struct json_object *j = NULL;
	const struct ptable_partition *p;
	int r;

	snprintf(img, sizeof(img), "%s/mbr.img", dir);
	CHECK(make_mbr(img) == 0, "MBR image made");
	r = read_table(img, &t);
	CHECK(r == 0 && t->type == PTABLE_MBR, "MBR read: %d", r);
	if (r < 0)
		return;
	CHECK(t->n_partitions == 5, "3 primary (one extended) and 2 logical: %zu", t->n_partitions);
	p = ptable_get_partition(t, 6);
	CHECK(p && p->logical && p->mbr_type == 0x82 && p->first_lba == 18432 + 2048 &&
		  p->last_lba == 18432 + 2048 + 8192 - 1,
	      "logical partition 6 at its EBR-relative place");
	p = ptable_get_partition(t, 1);
	CHECK(p && p->bootable && !ptable_get_partition(t, 4), "1 bootable, no 4");
	CHECK(strcmp(ptable_type_to_string(t->type), "msdos") == 0, "type string msdos");
	compare_blkid(img, t, "mbr");

	ptable_disk_identifier(t, id);
	capture(out, sizeof(out), "hexdump -s 440 -n 4 -e '\"0x%%08x\"' %s", img);
	CHECK(strcmp(id, "0x9a3e1c2b") == 0 && strcmp(id, out) == 0,
	      "disk identifier %s = hexdump's %s", id, out);
	CHECK(ptable_partition_uuids(t, &j) == 0 &&
		  strcmp(json_object_get_string(json_object_object_get(j, "root uuid")),
			 "0x9a3e1c2b") == 0 &&
		  json_object_object_length(j) == 1,
	      "get_partition_uuids: only \"root uuid\"");
	json_object_put(j);
	ptable_free(t);
	t = NULL;

	/* A boot sector whose "boot flags" are not 0/0x80 is no partition table. */
	corrupt(img, 446);
	r = read_table(img, &t);
	CHECK(r == -ENOMSG, "bad boot indicator: not a table (%d)", r);
	ptable_free(t);
	t = NULL;
	run("truncate -s 0 %s && truncate -s 1M %s", img, img);
	r = read_table(img, &t);
	CHECK(r == -ENOMSG, "zeroed disk: -ENOMSG (%d)", r);
	ptable_free(t);
}

static void test_guid(void)
{
	uint8_t g[16];
	char s[GUID_STRING_MAX];

	CHECK(guid_from_string("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", g) == 0 && g[0] == 0x28 &&
		  g[3] == 0xc1 && g[4] == 0x1f && g[7] == 0x11 && g[8] == 0xba && g[15] == 0x3b,
	      "GUID text to the mixed-endian bytes GPT stores");
	guid_to_string(g, s);
	CHECK(strcmp(s, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b") == 0, "and back, lowercase: %s", s);
	CHECK(guid_from_string("c12a7328-f81f-11d2-ba4b-00a0c93ec93", g) == -EINVAL &&
		  guid_from_string("c12a7328+f81f-11d2-ba4b-00a0c93ec93b", g) == -EINVAL,
	      "malformed GUIDs refused");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 77;
	}
	if (!have("sfdisk") && !have("systemd-repart")) {
		printf("skip: neither sfdisk nor systemd-repart to make GPT images\n");
		run("rm -rf %s", dir);
		return 77;
	}
	if (!have("blkid") || !have("hexdump")) {
		printf("skip: blkid or hexdump missing\n");
		run("rm -rf %s", dir);
		return 77;
	}
	test_guid();
	test_gpt();
	test_mbr();
	run("rm -rf %s", dir);
	return failures ? 1 : 0;
}
