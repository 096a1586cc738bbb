/* sources: src/agent/erase-secure.c src/agent/log.c */
/*
 * Secure erase decisions, parsers and command building (erase-secure.h), on IDENTIFY data
 * captured from QEMU 7.2's NVMe controller and AHCI disk (tests/data/erase/README) and on
 * constructed variants of them. The device paths run only against a regular temporary file,
 * where every ioctl fails with ENOTTY: no disk of this host is ever opened.
 */

#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/erase-secure.h"
#include "agent/log.h"
#include "basic/macro.h"
#include "test.h"

static char datadir[PATH_MAX];

static size_t load(const char *name, uint8_t *buf, size_t size)
{
	char path[PATH_MAX * 2];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size);
	close(fd);
	return n < 0 ? 0 : (size_t)n;
}

static void set_word(uint8_t *id, unsigned i, uint16_t v)
{
	id[2 * i] = (uint8_t)v;
	id[2 * i + 1] = (uint8_t)(v >> 8);
}

static uint16_t get_word(const uint8_t *id, unsigned i)
{
	return (uint16_t)(id[2 * i] | id[2 * i + 1] << 8);
}

/* Signature A5h and the checksum that makes the 512 bytes sum to 0. */
static void set_checksum(uint8_t *id)
{
	uint8_t sum = 0;

	id[510] = 0xa5;
	for (size_t i = 0; i < 511; i++)
		sum = (uint8_t)(sum + id[i]);
	id[511] = (uint8_t)-sum;
}

static bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static void test_nvme(void)
{
	static uint8_t ctrl_buf[ERASE_SECURE_NVME_ID_SIZE], ns_buf[ERASE_SECURE_NVME_ID_SIZE];
	struct erase_secure_nvme_ctrl c;
	struct erase_secure_nvme_ns ns;
	struct erase_secure_nvme_format f;
	struct nvme_passthru_cmd cmd;
	uint8_t id_buf[8];

	CHECK(load("qemu-nvme-id-ctrl.bin", ctrl_buf, sizeof(ctrl_buf)) == sizeof(ctrl_buf),
	      "captured QEMU Identify Controller loads");
	CHECK(load("qemu-nvme-id-ns.bin", ns_buf, sizeof(ns_buf)) == sizeof(ns_buf),
	      "captured QEMU Identify Namespace loads");

	CHECK(erase_secure_nvme_parse_ctrl(ctrl_buf, sizeof(ctrl_buf), &c) == 0,
	      "QEMU ctrl parses");
	CHECK(strcmp(c.model, "QEMU NVMe Ctrl") == 0, "QEMU model \"%s\"", c.model);
	CHECK(c.vid == 0x1b36, "QEMU vendor id 0x%04x", c.vid);
	CHECK(c.oacs == 0x010a && c.format_supported, "QEMU OACS 0x%04x: Format NVM supported",
	      c.oacs);
	CHECK(c.fna == 0 && !c.crypto_erase && !c.format_all_ns && !c.erase_all_ns,
	      "QEMU FNA 0x%02x: no crypto erase, per-namespace format", c.fna);

	CHECK(erase_secure_nvme_parse_ns(ns_buf, sizeof(ns_buf), &ns) == 0, "QEMU ns parses");
	CHECK(ns.nsze == 131072 && ns.nlbaf == 7 && ns.lbaf == 0 && ns.block_size == 512,
	      "QEMU ns: 131072 blocks, 8 formats, format 0 of 512 bytes in use");

	CHECK(erase_secure_nvme_plan(&c, 1, &ns, &f) == 0, "QEMU: a format plan");
	CHECK(f.ses == ERASE_SECURE_NVME_SES_USER_DATA && f.nsid == 1 && f.lbaf == 0,
	      "QEMU: user data erase (-s 1) of namespace 1, format 0 kept");

	erase_secure_nvme_format_cmd(&f, &cmd);
	CHECK(cmd.opcode == 0x80 && cmd.nsid == 1 && cmd.cdw10 == 0x200 && cmd.addr == 0 &&
		  cmd.data_len == 0 && cmd.cdw11 == 0 && cmd.timeout_ms == 600000,
	      "Format NVM: opcode 80h, NSID 1, CDW10 SES=1 (0x200), no data, 600 s");

	erase_secure_nvme_identify_cmd(0, 1, id_buf, &cmd);
	CHECK(cmd.opcode == 0x06 && cmd.nsid == 0 && cmd.cdw10 == 1 && cmd.data_len == 4096 &&
		  cmd.addr == (uint64_t)(uintptr_t)id_buf,
	      "Identify Controller: opcode 06h, CNS 1, 4096 bytes");
	erase_secure_nvme_identify_cmd(3, 0, id_buf, &cmd);
	CHECK(cmd.opcode == 0x06 && cmd.nsid == 3 && cmd.cdw10 == 0,
	      "Identify Namespace: CNS 0 on NSID 3");

	/* A controller with cryptographic erase (FNA bit 2). */
	ctrl_buf[524] = 0x04;
	CHECK(erase_secure_nvme_parse_ctrl(ctrl_buf, sizeof(ctrl_buf), &c) == 0 && c.crypto_erase,
	      "FNA 04h: crypto erase supported");
	CHECK(erase_secure_nvme_plan(&c, 1, &ns, &f) == 0 && f.ses == 2 && f.nsid == 1,
	      "crypto erase: -s 2 on the namespace");
	erase_secure_nvme_format_cmd(&f, &cmd);
	CHECK(cmd.cdw10 == 0x400, "crypto erase: CDW10 SES=2 (0x%x)", cmd.cdw10);

	/* FNA bit 0: nvme-cli formats every namespace. */
	ctrl_buf[524] = 0x07;
	erase_secure_nvme_parse_ctrl(ctrl_buf, sizeof(ctrl_buf), &c);
	CHECK(c.format_all_ns && c.erase_all_ns && c.crypto_erase, "FNA 07h parsed");
	CHECK(erase_secure_nvme_plan(&c, 1, &ns, &f) == 0 && f.nsid == 0xffffffff && f.ses == 2,
	      "FNA bit 0: NSID FFFFFFFFh");

	/* No Format NVM in OACS: IPA's "did not return any supported format modes". */
	ctrl_buf[256] = 0x08;
	erase_secure_nvme_parse_ctrl(ctrl_buf, sizeof(ctrl_buf), &c);
	CHECK(!c.format_supported && erase_secure_nvme_plan(&c, 1, &ns, &f) == -EOPNOTSUPP,
	      "OACS without bit 1: no plan (-EOPNOTSUPP)");

	CHECK(erase_secure_nvme_parse_ctrl(ctrl_buf, 525, &c) == -EBADMSG,
	      "short Identify Controller refused");
	CHECK(erase_secure_nvme_parse_ctrl(NULL, 4096, &c) == -EBADMSG, "NULL buffer refused");

	/* More than 16 LBA formats: FLBAS bits 6:5 are bits 5:4 of the index. */
	ns_buf[25] = 40;
	ns_buf[26] = 0x23; /* index 0x13 */
	ns_buf[128 + 4 * 0x13 + 2] = 12;
	CHECK(erase_secure_nvme_parse_ns(ns_buf, sizeof(ns_buf), &ns) == 0 && ns.lbaf == 0x13 &&
		  ns.block_size == 4096,
	      "FLBAS 23h: format 19 of 4096 bytes");
	f = (struct erase_secure_nvme_format){.nsid = 2, .lbaf = 0x13, .ses = 1};
	erase_secure_nvme_format_cmd(&f, &cmd);
	CHECK(cmd.cdw10 == (0x3 | 1 << 9 | 1 << 12), "format 19: LBAF 3:0 = 3, 13:12 = 1 (0x%x)",
	      cmd.cdw10);
	ns_buf[25] = 2;
	CHECK(erase_secure_nvme_parse_ns(ns_buf, sizeof(ns_buf), &ns) == -EBADMSG,
	      "format in use beyond NLBAF refused");
}

static void test_ata_qemu(const uint8_t *qemu)
{
	struct erase_secure_ata_identify id;
	struct erase_secure_ata_plan plan;

	CHECK(erase_secure_ata_parse_identify(qemu, 512, &id) == 0, "QEMU AHCI IDENTIFY parses");
	CHECK(strcmp(id.model, "QEMU HARDDISK") == 0, "QEMU model \"%s\"", id.model);
	CHECK(!id.atapi && !id.checksum_present && id.sectors == 131072,
	      "QEMU: ATA, no checksum, 131072 sectors (%llu)", (unsigned long long)id.sectors);
	CHECK(!id.security_feature && !id.supported && !id.security_section,
	      "QEMU: no security feature set (word 82 0x%04x, word 128 0x%04x)", get_word(qemu, 82),
	      get_word(qemu, 128));
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_OVERWRITE && !plan.error,
	      "QEMU AHCI disk: not applicable, the caller overwrites");
	CHECK(erase_secure_ata_parse_identify(qemu, 511, &id) == -EBADMSG,
	      "511 bytes of IDENTIFY refused");
}

/* The QEMU disk with the security feature set and word 128 = w128. */
static void security_variant(const uint8_t *qemu, uint16_t w128, uint8_t *out)
{
	memcpy(out, qemu, 512);
	set_word(out, 82, get_word(out, 82) | 0x0002);
	set_word(out, 128, w128);
	set_word(out, 89, 0x0002);
	set_word(out, 90, 0x0001);
	set_checksum(out);
}

static void test_ata_security(const uint8_t *qemu)
{
	struct erase_secure_ata_identify id;
	struct erase_secure_ata_plan plan;
	uint8_t v[512];

	/* Supported, not enabled, not frozen, enhanced erase supported. */
	security_variant(qemu, 0x0021, v);
	CHECK(erase_secure_ata_parse_identify(v, 512, &id) == 0 && id.checksum_present,
	      "supported variant parses with its checksum");
	CHECK(id.security_feature && id.security_section && id.supported && !id.enabled &&
		  !id.locked && !id.frozen && id.enhanced_erase,
	      "word 128 0x0021: supported, enhanced erase");
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_ERASE && plan.set_password && plan.enhanced,
	      "supported, not frozen: set the NULL password, enhanced erase");
	CHECK(erase_secure_ata_erase_timeout(&id, true) == (2 + 60) * 60,
	      "enhanced erase timeout: word 90 = 1 unit: 2 min + 1 min");
	CHECK(erase_secure_ata_erase_timeout(&id, false) == (4 + 60) * 60,
	      "normal erase timeout: word 89 = 2 units: 4 min + 1 min");

	/* Supported without enhanced erase. */
	security_variant(qemu, 0x0001, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_ERASE && plan.set_password && !plan.enhanced,
	      "'not supported: enhanced erase': normal security erase");

	/* A password already set (SEC5): no new password, erase with it. */
	security_variant(qemu, 0x0023, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_ERASE && !plan.set_password && plan.enhanced,
	      "enabled, not locked: erase without setting a password");

	/* Frozen: IPA raises. */
	security_variant(qemu, 0x0029, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_FAIL && plan.error &&
		  strcmp(plan.error, "Block device %s is frozen and cannot be erased") == 0,
	      "frozen: IPA's error \"%s\"", plan.error ? plan.error : "");

	/* Frozen and locked: the frozen test comes first, as in IPA. */
	security_variant(qemu, 0x000f, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_FAIL && strstr(plan.error, "frozen"),
	      "frozen and locked: frozen error");

	/* Locked (SEC4): try the NULL passwords, then give up. */
	security_variant(qemu, 0x0007, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_UNLOCK_FIRST, "locked: unlock first");
	erase_secure_ata_decide(&id, true, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_FAIL &&
		  strcmp(plan.error, "Block device %s already has a security password set") == 0,
	      "still locked after the unlock attempts: IPA's error");
	/* Unlocked by the attempt (SEC5). */
	security_variant(qemu, 0x0003, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, true, &plan);
	CHECK(plan.step == ERASE_SECURE_ATA_ERASE && !plan.set_password,
	      "unlocked by the attempt: erase with that password");

	/* Word 128 says supported, word 82 does not: hdparm prints no Security section. */
	memcpy(v, qemu, 512);
	set_word(v, 128, 0x0021);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(!id.security_section && plan.step == ERASE_SECURE_ATA_OVERWRITE,
	      "word 82 bit 1 clear: not applicable");

	/* Security feature set present but not supported in word 128 ("(?) supported"). */
	security_variant(qemu, 0x0000, v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(id.security_section && !id.supported && plan.step == ERASE_SECURE_ATA_OVERWRITE,
	      "word 128 bit 0 clear: not applicable");

	/* ATAPI devices get no Security section. */
	security_variant(qemu, 0x0021, v);
	set_word(v, 0, 0x85c0);
	set_checksum(v);
	erase_secure_ata_parse_identify(v, 512, &id);
	erase_secure_ata_decide(&id, false, &plan);
	CHECK(id.atapi && plan.step == ERASE_SECURE_ATA_OVERWRITE, "ATAPI: not applicable");

	/* A corrupt checksum is not trusted. */
	security_variant(qemu, 0x0021, v);
	v[511] ^= 1;
	CHECK(erase_secure_ata_parse_identify(v, 512, &id) == -EBADMSG, "bad checksum refused");

	/* Erase time decoding, as hdparm's get_erase_timeout_secs. */
	security_variant(qemu, 0x0021, v);
	set_word(v, 89, 0x00ff);
	set_word(v, 90, 0xffff);
	set_checksum(v);
	erase_secure_ata_parse_identify(v, 512, &id);
	CHECK(erase_secure_ata_erase_timeout(&id, false) == (508 + 90) * 60,
	      "word 89 FFh: more than 508 min, 598 min");
	CHECK(erase_secure_ata_erase_timeout(&id, true) == (65532 + 90) * 60,
	      "word 90 FFFFh (extended): more than 65532 min");
	set_word(v, 89, 0x8000 | 300);
	set_word(v, 90, 0);
	set_checksum(v);
	erase_secure_ata_parse_identify(v, 512, &id);
	CHECK(erase_secure_ata_erase_timeout(&id, false) == (600 + 60) * 60,
	      "extended format 300 units: 600 + 60 min");
	CHECK(erase_secure_ata_erase_timeout(&id, true) == 131072 / 2048 / 30 + 1800,
	      "not reported: 30 min + 1 s per 30 MB");
	id.sectors = UINT64_C(1) << 47;
	CHECK(erase_secure_ata_erase_timeout(&id, true) == UINT_MAX / 1000,
	      "huge estimate clamped to what SG_IO can take");
	id.sectors = UINT64_C(20000000000); /* ~10 TB */
	CHECK(erase_secure_ata_erase_timeout(&id, false) == 20000000000ull / 2048 / 30 + 1800,
	      "10 TB: the capacity estimate wins over 660 min");
}

static void test_ata_cdb(void)
{
	struct erase_secure_ata_cmd cmd = {
	    .command = ERASE_SECURE_ATA_IDENTIFY,
	    .proto = ERASE_SECURE_ATA_PIO_IN,
	    .count = 1,
	};
	static const uint8_t identify[16] = {0x85, 0x08, 0x0e, 0, 0, 0,	   1,	 0,
					     0,	   0,	 0,    0, 0, 0x40, 0xec, 0};
	static const uint8_t set_pass[16] = {0x85, 0x0a, 0x06, 0, 0, 0,	   1,	 0,
					     0,	   0,	 0,    0, 0, 0x40, 0xf1, 0};
	static const uint8_t unlock[16] = {0x85, 0x0a, 0x06, 0, 0, 0,	 1,    0,
					   0,	 0,    0,    0, 0, 0x40, 0xf2, 0};
	static const uint8_t prepare[16] = {0x85, 0x06, 0x20, 0, 0, 0,	  0,	0,
					    0,	  0,	0,    0, 0, 0x40, 0xf3, 0};
	static const uint8_t erase[16] = {0x85, 0x0a, 0x06, 0, 0, 0,	1,    0,
					  0,	0,    0,    0, 0, 0x40, 0xf4, 0};
	static const uint8_t zero[32];
	uint8_t pw[32] = {'N', 'U', 'L', 'L'}, cdb[16], expect[512] = {0};

	erase_secure_ata_cdb(&cmd, cdb);
	CHECK(bytes_eq(cdb, identify, 16),
	      "IDENTIFY DEVICE: ATA PASS-THROUGH(16), PIO in, 1 sector, ECh");

	erase_secure_ata_security_cmd(ERASE_SECURE_ATA_SET_PASSWORD, zero, false, 0, &cmd);
	erase_secure_ata_cdb(&cmd, cdb);
	CHECK(bytes_eq(cdb, set_pass, 16), "SECURITY SET PASSWORD: PIO out, 1 sector, F1h");
	CHECK(bytes_eq(cmd.data, expect, 512),
	      "SET PASSWORD data: user, high, 32 zero bytes (hdparm's NULL)");

	erase_secure_ata_security_cmd(ERASE_SECURE_ATA_UNLOCK, pw, false, 0, &cmd);
	erase_secure_ata_cdb(&cmd, cdb);
	memcpy(expect + 2, "NULL", 4);
	CHECK(bytes_eq(cdb, unlock, 16) && bytes_eq(cmd.data, expect, 512),
	      "SECURITY UNLOCK F2h with the literal password in words 1-16");

	erase_secure_ata_security_cmd(ERASE_SECURE_ATA_ERASE_PREPARE, zero, false, 0, &cmd);
	erase_secure_ata_cdb(&cmd, cdb);
	CHECK(bytes_eq(cdb, prepare, 16) && cmd.timeout == 0,
	      "SECURITY ERASE PREPARE: non-data, CK_COND, F3h, default timeout");

	erase_secure_ata_security_cmd(ERASE_SECURE_ATA_ERASE_UNIT, zero, true, 3720, &cmd);
	erase_secure_ata_cdb(&cmd, cdb);
	memset(expect, 0, sizeof(expect));
	expect[0] = 0x02;
	CHECK(bytes_eq(cdb, erase, 16) && bytes_eq(cmd.data, expect, 512) && cmd.timeout == 3720,
	      "SECURITY ERASE UNIT F4h: word 0 bit 1 enhanced, user, zero password, timeout");
	erase_secure_ata_security_cmd(ERASE_SECURE_ATA_ERASE_UNIT, zero, false, 60, &cmd);
	CHECK(cmd.data[0] == 0 && cmd.data[1] == 0, "normal erase: word 0 is 0");
}

static void test_ata_sense(void)
{
	struct erase_secure_ata_status st;
	/* Descriptor format, RECOVERED ERROR, 00h/1Dh, ATA Status Return descriptor. */
	uint8_t desc[32] = {0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14, 0x09, 0x0c, 0,
			    0x00, 0,	0,    0,    0, 0, 0, 0,	 0,    0x40, 0x50};
	uint8_t fixed[18] = {0x70, 0, 0x01, 0x04, 0x51, 0x40, 0, 0, 0, 0, 0, 0, 0x00, 0x1d};
	uint8_t illegal[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00};

	CHECK(erase_secure_ata_check(0, 0, 0, desc, 0, &st) == 0, "GOOD without sense: done");
	st = (struct erase_secure_ata_status){0};
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, desc, sizeof(desc), &st) == 0 &&
		  st.status == 0x50,
	      "descriptor sense, ATA status 50h: done");
	desc[21] = 0x51;
	desc[11] = 0x04;
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, desc, sizeof(desc), &st) == -EIO &&
		  st.status == 0x51 && st.error == 0x04,
	      "descriptor sense, ERR + ABRT: -EIO with the registers");
	desc[7] = 12; /* the descriptor no longer fits in the additional length */
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, desc, sizeof(desc), &st) == 0,
	      "truncated descriptor ignored, RECOVERED ERROR: done");
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, desc, 9, &st) == 0,
	      "sense shorter than its descriptor: bounded");
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, fixed, sizeof(fixed), &st) == -EIO &&
		  st.status == 0x51 && st.error == 0x04,
	      "fixed-format sense with ATA registers: -EIO");
	fixed[4] = 0x50;
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, fixed, sizeof(fixed), &st) == 0,
	      "fixed-format sense, status 50h: done");
	CHECK(erase_secure_ata_check(0x02, 0, 0x08, illegal, sizeof(illegal), &st) == -EOPNOTSUPP,
	      "ILLEGAL REQUEST: pass-through not supported");
	CHECK(erase_secure_ata_check(0, 0x03, 0, NULL, 0, &st) == -ETIMEDOUT, "host time-out");
	CHECK(erase_secure_ata_check(0, 0x01, 0, NULL, 0, &st) == -EBADE, "host error");
	CHECK(erase_secure_ata_check(0x18, 0, 0, NULL, 0, &st) == -EBADE, "RESERVATION CONFLICT");
	CHECK(erase_secure_ata_check(0, 0, 0x06, NULL, 0, &st) == -EBADE, "driver error");
}

static void test_is_nvme(const char *tmp)
{
	char path[PATH_MAX];
	int root;

	CHECK(erase_secure_is_nvme(-1, "/dev/nvme0n1") == 1, "/dev/nvme0n1 is NVMe by name");
	CHECK(erase_secure_is_nvme(-1, "nvme1n2") == 1, "nvme1n2 is NVMe by name");
	CHECK(erase_secure_is_nvme(-1, "/dev/sda") == 0, "/dev/sda is not");
	CHECK(erase_secure_is_nvme(-1, NULL) == 0, "NULL is not");

	snprintf(path, sizeof(path), "%s/root", tmp);
	mkdir(path, 0755);
	root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(root >= 0, "captured root opens");
	mkdirat(root, "sys", 0755);
	mkdirat(root, "sys/class", 0755);
	mkdirat(root, "sys/class/block", 0755);
	mkdirat(root, "sys/class/block/sda", 0755);
	mkdirat(root, "sys/class/block/sda/device", 0755);
	symlinkat("../../../../bus/scsi", root, "sys/class/block/sda/device/subsystem");
	mkdirat(root, "sys/class/block/disk9", 0755);
	mkdirat(root, "sys/class/block/disk9/device", 0755);
	symlinkat("../../../../class/nvme", root, "sys/class/block/disk9/device/subsystem");
	mkdirat(root, "sys/class/block/disk8", 0755);
	close(openat(root, "sys/class/block/disk8/nsid", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));

	CHECK(erase_secure_is_nvme(root, "/dev/sda") == 0, "SCSI disk in sysfs: not NVMe");
	CHECK(erase_secure_is_nvme(root, "/dev/disk9") == 1, "device/subsystem nvme: NVMe");
	CHECK(erase_secure_is_nvme(root, "disk8") == 1, "nsid attribute: NVMe");
	CHECK(erase_secure_is_nvme(root, "/dev/vdz") == 0, "absent from sysfs: not NVMe");
	CHECK(erase_secure_is_nvme(root, "../sda") == 0 && erase_secure_is_nvme(root, "..") == 0,
	      "names with path components refused");
	close(root);
}

/* erase_secure_try on a regular file: SG_IO and the NVMe ioctls fail with ENOTTY there. */
static void test_try(const char *tmp)
{
	struct erase_secure_options o = {
	    .nvme_enabled = true, .ata_enabled = true, .continue_if_failed = false, .root_fd = -1};
	static const char want[] =
	    "Failed to invoke secure erase, fallback to shred is not enabled: "
	    "Failed to fetch NVMe capabilities for device /dev/nvme0n1: ";
	char path[PATH_MAX], buf[8] = {0};
	char *err = NULL;
	int fd, r;

	snprintf(path, sizeof(path), "%s/disk.img", tmp);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, "pattern!", 8) == 8, "scratch file written");

	CHECK(erase_secure_try(fd, "/dev/sda", &o, &err) == 0 && !err,
	      "no ATA pass-through (ENOTTY): not applicable, like smartctl failing");
	o.ata_enabled = false;
	CHECK(erase_secure_try(fd, "/dev/sda", &o, &err) == 0 && !err,
	      "agent_enable_ata_secure_erase false: not applicable");
	o.nvme_enabled = false;
	CHECK(erase_secure_try(fd, "/dev/nvme0n1", &o, &err) == 0 && !err,
	      "agent_enable_nvme_secure_erase false: not applicable");
	o.nvme_enabled = true;
	r = erase_secure_try(fd, "/dev/nvme0n1", &o, &err);
	CHECK(r < 0 && err && strncmp(err, want, strlen(want)) == 0,
	      "NVMe failure without continue: r=%d \"%s\"", r, err ? err : "");
	free(err);
	err = NULL;
	o.continue_if_failed = true;
	CHECK(erase_secure_try(fd, "/dev/nvme0n1", &o, &err) == 0 && !err,
	      "agent_continue_if_secure_erase_failed: failure leaves it to the overwrite");
	CHECK(erase_secure_try(-1, "/dev/sda", &o, &err) == -EINVAL, "bad fd: -EINVAL");
	CHECK(erase_secure_try(fd, "/dev/sda", NULL, &err) == -EINVAL, "no options: -EINVAL");
	CHECK(pread(fd, buf, 8, 0) == 8 && memcmp(buf, "pattern!", 8) == 0,
	      "the file was not touched");
	close(fd);
	unlink(path);
}

int main(void)
{
	char tmp[] = "/tmp/test-erase-secure.XXXXXX", *slash;
	uint8_t qemu[512];
	char path[PATH_MAX];

	log_set_quiet(true);
	snprintf(datadir, sizeof(datadir), "%s", __FILE__);
	slash = strrchr(datadir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(datadir, sizeof(datadir), ".");
	snprintf(datadir + strlen(datadir), sizeof(datadir) - strlen(datadir), "/../data/erase");
	if (!mkdtemp(tmp)) {
		printf("cannot create a temporary directory\n");
		return 1;
	}

	test_nvme();
	CHECK(load("qemu-ahci-identify.bin", qemu, sizeof(qemu)) == sizeof(qemu),
	      "captured QEMU AHCI IDENTIFY loads");
	test_ata_qemu(qemu);
	test_ata_security(qemu);
	test_ata_cdb();
	test_ata_sense();
	test_is_nvme(tmp);
	test_try(tmp);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		printf("note: %s left behind\n", tmp);
	return failures ? 1 : 0;
}
