/* Secure erase of NVMe and ATA disks as IPA's erase_block_device() does it: see erase-secure.h. */

#define _GNU_SOURCE 1 /* vasprintf() */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <scsi/sg.h>

#include "agent/erase-secure.h"
#include "agent/log.h"
#include "basic/macro.h"

/* ATA status register bits hdparm checks, and the pass-through protocol values (SAT-3). */
#define ATA_STAT_ERR	       0x01
#define ATA_STAT_DRQ	       0x08
#define ATA_DEV_LBA	       0x40
#define SAT_ATA_PASS_THROUGH16 0x85
#define SAT_PROTO_NON_DATA     3
#define SAT_PROTO_PIO_IN       4
#define SAT_PROTO_PIO_OUT      5
#define SAT_T_LENGTH_NSECT     0x02
#define SAT_BYT_BLOK	       0x04
#define SAT_T_DIR_IN	       0x08
#define SAT_CK_COND	       0x20

#define SCSI_CHECK_CONDITION  0x02
#define SG_DRIVER_SENSE	      0x08
#define SG_DID_TIME_OUT	      0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_NO_SENSE	      0x00
#define SENSE_RECOVERED	      0x01

/* The passwords IPA's __attempt_unlock_drive tries ("NULL", then ""): with hdparm >= 9.51 both
 * are 32 zero bytes; hdparm < 9.51 set the literal "NULL", so that one is tried second. */
static const uint8_t password_zero[ERASE_SECURE_ATA_PASSWORD_LEN];
static const uint8_t password_null_literal[ERASE_SECURE_ATA_PASSWORD_LEN] = {'N', 'U', 'L', 'L'};

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	if (!ret_error)
		return r;
	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
	return r;
}

/* --- bounded accessors for the untrusted identify buffers ----------------------------------- */

static uint8_t byte_at(const uint8_t *buf, size_t len, size_t off)
{
	return off < len ? buf[off] : 0;
}

static uint16_t le16_at(const uint8_t *buf, size_t len, size_t off)
{
	return (uint16_t)(byte_at(buf, len, off) | byte_at(buf, len, off + 1) << 8);
}

static uint64_t le64_at(const uint8_t *buf, size_t len, size_t off)
{
	uint64_t v = 0;

	for (size_t i = 8; i > 0; i--)
		v = v << 8 | byte_at(buf, len, off + i - 1);
	return v;
}

/* Copies an identify string field, printable ASCII only, trailing blanks dropped. swap: ATA
 * strings hold two characters per little-endian word, the first in the high byte. */
static void string_at(const uint8_t *buf, size_t len, size_t off, size_t n, bool swap, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = byte_at(buf, len, off + (swap ? i ^ 1 : i));

		out[k++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

/* --- NVMe ------------------------------------------------------------------------------------ */

int erase_secure_nvme_parse_ctrl(const void *buf, size_t len, struct erase_secure_nvme_ctrl *ret)
{
	const uint8_t *b = buf;
	struct erase_secure_nvme_ctrl c = {0};

	if (!buf || len < ERASE_SECURE_NVME_ID_SIZE)
		return -EBADMSG;
	c.vid = le16_at(b, len, 0);
	string_at(b, len, 24, 40, false, c.model);
	c.oacs = le16_at(b, len, 256);
	c.fna = byte_at(b, len, 524);
	c.format_supported = c.oacs & 0x2;
	c.format_all_ns = c.fna & 0x1;
	c.erase_all_ns = c.fna & 0x2;
	c.crypto_erase = c.fna & 0x4;
	c.no_nsid_all = c.fna & 0x8;
	*ret = c;
	return 0;
}

int erase_secure_nvme_parse_ns(const void *buf, size_t len, struct erase_secure_nvme_ns *ret)
{
	const uint8_t *b = buf;
	struct erase_secure_nvme_ns ns = {0};
	uint8_t flbas, lbads;

	if (!buf || len < ERASE_SECURE_NVME_ID_SIZE)
		return -EBADMSG;
	ns.nsze = le64_at(b, len, 0);
	ns.nlbaf = byte_at(b, len, 25);
	flbas = byte_at(b, len, 26);
	/* FLBAS bits 3:0 and (NVMe 2.0, more than 16 formats) bits 6:5 as bits 5:4. */
	ns.lbaf = (uint8_t)((flbas & 0x0f) | (flbas & 0x60) >> 1);
	if (ns.lbaf > ns.nlbaf || ns.lbaf > 63)
		return -EBADMSG;
	/* LBA Format descriptors: 4 bytes each from byte 128; LBADS (log2 of the size) at +2. */
	lbads = byte_at(b, len, 128 + 4 * (size_t)ns.lbaf + 2);
	if (lbads >= 9 && lbads < 32)
		ns.block_size = UINT32_C(1) << lbads;
	*ret = ns;
	return 0;
}

int erase_secure_nvme_plan(const struct erase_secure_nvme_ctrl *c, uint32_t nsid,
			   const struct erase_secure_nvme_ns *ns,
			   struct erase_secure_nvme_format *ret)
{
	if (!c->format_supported)
		return -EOPNOTSUPP;
	*ret = (struct erase_secure_nvme_format){
	    /* nvme-cli: FNA bit 0 means a format of one namespace formats them all. */
	    .nsid = c->format_all_ns ? ERASE_SECURE_NVME_NSID_ALL : nsid,
	    .lbaf = ns ? ns->lbaf : 0,
	    .ses = c->crypto_erase ? ERASE_SECURE_NVME_SES_CRYPTO : ERASE_SECURE_NVME_SES_USER_DATA,
	};
	return 0;
}

void erase_secure_nvme_identify_cmd(uint32_t nsid, uint8_t cns, void *buf,
				    struct nvme_passthru_cmd *ret)
{
	*ret = (struct nvme_passthru_cmd){
	    .opcode = ERASE_SECURE_NVME_OP_IDENTIFY,
	    .nsid = nsid,
	    .addr = (uint64_t)(uintptr_t)buf,
	    .data_len = ERASE_SECURE_NVME_ID_SIZE,
	    .cdw10 = cns,
	    .timeout_ms = ERASE_SECURE_NVME_ADMIN_TIMEOUT,
	};
}

void erase_secure_nvme_format_cmd(const struct erase_secure_nvme_format *f,
				  struct nvme_passthru_cmd *ret)
{
	/* CDW10: LBAF 3:0, MSET 4, PI 7:5, PIL 8, SES 11:9, LBAF upper bits 13:12 (MSET, PI and
	 * PIL 0 as nvme-cli sends them by default). */
	*ret = (struct nvme_passthru_cmd){
	    .opcode = ERASE_SECURE_NVME_OP_FORMAT,
	    .nsid = f->nsid,
	    .cdw10 = (uint32_t)(f->lbaf & 0x0f) | (uint32_t)(f->ses & 0x7) << 9 |
		     (uint32_t)((f->lbaf >> 4) & 0x3) << 12,
	    .timeout_ms = ERASE_SECURE_NVME_FORMAT_TIMEOUT,
	};
}

/* -errno, or -EIO for an NVMe status (logged by the caller with the status). */
static int nvme_admin(int fd, struct nvme_passthru_cmd *cmd, int *ret_status)
{
	int r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, cmd);

	*ret_status = 0;
	if (r < 0)
		return negative_errno();
	if (r > 0) {
		*ret_status = r;
		return -EIO;
	}
	return 0;
}

static const char *nvme_cause(int r, int status, char *buf, size_t size)
{
	if (status)
		snprintf(buf, size, "NVMe status 0x%x", (unsigned)status);
	else
		snprintf(buf, size, "%s", strerror(-r));
	return buf;
}

static double elapsed_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int nvme_erase(int fd, const char *dev, char **ret_error)
{
	_cleanup_free_ void *buf = NULL;
	struct erase_secure_nvme_ctrl ctrl;
	struct erase_secure_nvme_ns ns;
	struct erase_secure_nvme_format f;
	struct nvme_passthru_cmd cmd;
	struct timespec start;
	char cause[64];
	int r, status, nsid;

	if (posix_memalign(&buf, 4096, ERASE_SECURE_NVME_ID_SIZE) != 0)
		return -ENOMEM;

	log_debug("Attempting to fetch NVMe capabilities for device %s", dev);
	nsid = ioctl(fd, NVME_IOCTL_ID);
	if (nsid < 0)
		return fail(ret_error, negative_errno(),
			    "Failed to fetch NVMe capabilities for device %s: %s", dev,
			    strerror(errno));
	memset(buf, 0, ERASE_SECURE_NVME_ID_SIZE);
	erase_secure_nvme_identify_cmd(0, 1, buf, &cmd);
	r = nvme_admin(fd, &cmd, &status);
	if (r < 0)
		return fail(ret_error, r, "Failed to fetch NVMe capabilities for device %s: %s",
			    dev, nvme_cause(r, status, cause, sizeof(cause)));
	r = erase_secure_nvme_parse_ctrl(buf, ERASE_SECURE_NVME_ID_SIZE, &ctrl);
	if (r < 0)
		return fail(ret_error, r, "nvme-cli did not return any information for device: %s",
			    dev);

	memset(buf, 0, ERASE_SECURE_NVME_ID_SIZE);
	erase_secure_nvme_identify_cmd((uint32_t)nsid, 0, buf, &cmd);
	r = nvme_admin(fd, &cmd, &status);
	if (r >= 0)
		r = erase_secure_nvme_parse_ns(buf, ERASE_SECURE_NVME_ID_SIZE, &ns);
	if (r < 0)
		return fail(ret_error, r, "Failed to fetch NVMe capabilities for device %s: %s",
			    dev,
			    status ? nvme_cause(r, status, cause, sizeof(cause))
				   : "bad identify namespace data");

	r = erase_secure_nvme_plan(&ctrl, (uint32_t)nsid, &ns, &f);
	if (r < 0)
		return fail(ret_error, r,
			    "nvme-cli did not return any supported format modes for device: %s",
			    dev);

	/* Dirty pages written back after the format would put old data back. */
	(void)fsync(fd);
	log_info("erasing %s (\"%s\"): NVMe Format NVM, %s (ses=%u), namespace 0x%x, lbaf %u", dev,
		 ctrl.model,
		 f.ses == ERASE_SECURE_NVME_SES_CRYPTO ? "cryptographic erase" : "user data erase",
		 f.ses, f.nsid, f.lbaf);
	clock_gettime(CLOCK_MONOTONIC, &start);
	erase_secure_nvme_format_cmd(&f, &cmd);
	r = nvme_admin(fd, &cmd, &status);
	if (r < 0)
		return fail(ret_error, r, "Failed to nvme format device %s: %s", dev,
			    nvme_cause(r, status, cause, sizeof(cause)));
	(void)ioctl(fd, BLKFLSBUF, 0);
	log_info("nvme format for device %s (ses=%u) completed successfully in %.1f s", dev, f.ses,
		 elapsed_since(&start));
	return 1;
}

/* --- ATA ------------------------------------------------------------------------------------- */

static uint16_t ata_word(const uint8_t *b, size_t len, unsigned i)
{
	return le16_at(b, len, 2 * (size_t)i);
}

/* Words 89/90: ACS-3 extended format (bit 15) holds 2-minute units in bits 14:0, else 7:0. */
static uint16_t erase_time_units(uint16_t w, bool *ret_ext)
{
	*ret_ext = w & 0x8000;
	return *ret_ext ? w & 0x7fff : w & 0x00ff;
}

/* hdparm identify.c's guess that the device follows ATA-4 or later ("like_std > 3"), on which
 * it prints the Security section; the main cases only: word 80 announcing ATA-4..14, or valid
 * word 83/50 signatures with feature bits. */
static bool ata_like_std_4(const uint8_t *b, size_t len)
{
	uint16_t major = ata_word(b, len, 80), w82 = ata_word(b, len, 82);
	uint16_t w83 = ata_word(b, len, 83), w50 = ata_word(b, len, 50);

	if (major != 0 && major != 0xffff && (major & 0x7ff0))
		return true;
	if ((w83 & 0xc000) == 0x4000 && ((w83 & 0x3fff) || (w82 & 0x3fff) > 0x000f))
		return true;
	return (w50 & 0xc000) == 0x4000;
}

int erase_secure_ata_parse_identify(const void *buf, size_t len,
				    struct erase_secure_ata_identify *ret)
{
	const uint8_t *b = buf;
	struct erase_secure_ata_identify id = {0};
	uint16_t w0, w82, w128, w89, w90, w255;

	if (!buf || len != ERASE_SECURE_ATA_SECTOR)
		return -EBADMSG;
	w255 = ata_word(b, len, 255);
	if ((w255 & 0xff) == 0xa5) {
		uint8_t sum = 0;

		for (size_t i = 0; i < len; i++)
			sum = (uint8_t)(sum + b[i]);
		if (sum != 0)
			return -EBADMSG;
		id.checksum_present = true;
	}
	w0 = ata_word(b, len, 0);
	w82 = ata_word(b, len, 82);
	w128 = ata_word(b, len, 128);
	w89 = ata_word(b, len, 89);
	w90 = ata_word(b, len, 90);
	string_at(b, len, 2 * 27, 40, true, id.model);
	id.atapi = w0 & 0x8000;
	id.security_feature = w82 != 0xffff && (w82 & 0x0002);
	id.security_section =
	    !id.atapi && id.security_feature && ata_like_std_4(b, len) && (w128 || w89 || w90);
	id.supported = w128 & 0x0001;
	id.enabled = w128 & 0x0002;
	id.locked = w128 & 0x0004;
	id.frozen = w128 & 0x0008;
	id.count_expired = w128 & 0x0010;
	id.enhanced_erase = w128 & 0x0020;
	id.level_maximum = w128 & 0x0100;
	id.erase_time = w89;
	id.enhanced_erase_time = w90;
	/* hdparm's get_lba_capacity(). */
	id.sectors = (uint64_t)ata_word(b, len, 58) << 16 | ata_word(b, len, 57);
	if (ata_word(b, len, 49) & 0x200) {
		id.sectors = (uint64_t)ata_word(b, len, 61) << 16 | ata_word(b, len, 60);
		if ((ata_word(b, len, 83) & 0xc000) == 0x4000 && (ata_word(b, len, 86) & 0x0400))
			id.sectors = (uint64_t)ata_word(b, len, 103) << 48 |
				     (uint64_t)ata_word(b, len, 102) << 32 |
				     (uint64_t)ata_word(b, len, 101) << 16 | ata_word(b, len, 100);
	}
	*ret = id;
	return 0;
}

unsigned erase_secure_ata_erase_timeout(const struct erase_secure_ata_identify *id, bool enhanced)
{
	uint64_t estimate = id->sectors / 2048 / 30 + 30 * 60, t;
	bool ext;
	uint64_t units =
	    erase_time_units(enhanced ? id->enhanced_erase_time : id->erase_time, &ext);

	if (units == 0)
		t = estimate;
	else {
		/* "More than 508 (65532) minutes" gets 90 minutes more, others 1 minute. */
		uint64_t minutes = ext && units == 0x7fff    ? 65532 + 90
				   : !ext && units == 0x00ff ? 508 + 90
							     : units * 2 + 60;

		t = minutes * 60 < estimate ? estimate : minutes * 60;
	}
	return t > UINT_MAX / 1000 ? UINT_MAX / 1000 : (unsigned)t;
}

void erase_secure_ata_decide(const struct erase_secure_ata_identify *id, bool unlock_tried,
			     struct erase_secure_ata_plan *ret)
{
	*ret = (struct erase_secure_ata_plan){.step = ERASE_SECURE_ATA_OVERWRITE};
	/* 'supported' not in the hdparm -I security lines (or smartctl says Unavailable). */
	if (!id->security_section || !id->supported)
		return;
	if (id->frozen) {
		ret->step = ERASE_SECURE_ATA_FAIL;
		ret->error = "Block device %s is frozen and cannot be erased";
		return;
	}
	if (id->locked) {
		ret->step = unlock_tried ? ERASE_SECURE_ATA_FAIL : ERASE_SECURE_ATA_UNLOCK_FIRST;
		if (unlock_tried)
			ret->error = "Block device %s already has a security password set";
		return;
	}
	ret->step = ERASE_SECURE_ATA_ERASE;
	ret->set_password = !id->enabled;
	ret->enhanced = id->enhanced_erase;
}

void erase_secure_ata_cdb(const struct erase_secure_ata_cmd *cmd,
			  uint8_t ret[ERASE_SECURE_ATA_CDB_LEN])
{
	memset(ret, 0, ERASE_SECURE_ATA_CDB_LEN);
	ret[0] = SAT_ATA_PASS_THROUGH16;
	switch (cmd->proto) {
	case ERASE_SECURE_ATA_NON_DATA:
		ret[1] = SAT_PROTO_NON_DATA << 1;
		ret[2] = SAT_CK_COND; /* hdparm wants the registers back for non-data commands */
		break;
	case ERASE_SECURE_ATA_PIO_IN:
		ret[1] = SAT_PROTO_PIO_IN << 1;
		ret[2] = SAT_T_LENGTH_NSECT | SAT_BYT_BLOK | SAT_T_DIR_IN;
		break;
	case ERASE_SECURE_ATA_PIO_OUT:
		ret[1] = SAT_PROTO_PIO_OUT << 1;
		ret[2] = SAT_T_LENGTH_NSECT | SAT_BYT_BLOK;
		break;
	}
	ret[6] = cmd->count; /* sector count 7:0 */
	ret[13] = ATA_DEV_LBA;
	ret[14] = cmd->command;
}

void erase_secure_ata_security_cmd(uint8_t command, const uint8_t password[32], bool enhanced,
				   unsigned timeout, struct erase_secure_ata_cmd *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->command = command;
	ret->timeout = timeout;
	if (command == ERASE_SECURE_ATA_ERASE_PREPARE) {
		ret->proto = ERASE_SECURE_ATA_NON_DATA;
		return;
	}
	ret->proto = ERASE_SECURE_ATA_PIO_OUT;
	ret->count = 1;
	/* Word 0: bit 0 user (0), bit 1 enhanced erase, bit 8 level high (0). */
	if (command == ERASE_SECURE_ATA_ERASE_UNIT && enhanced)
		ret->data[0] |= 0x02;
	memcpy(ret->data + 2, password, ERASE_SECURE_ATA_PASSWORD_LEN);
}

int erase_secure_ata_check(uint8_t scsi_status, uint16_t host_status, uint16_t driver_status,
			   const uint8_t *sense, size_t sense_len,
			   struct erase_secure_ata_status *ret)
{
	struct erase_secure_ata_status st = {0};
	bool have_regs = false;
	uint8_t key = SENSE_NO_SENSE;

	if (host_status == SG_DID_TIME_OUT)
		return -ETIMEDOUT;
	if (host_status != 0 || (scsi_status != 0 && scsi_status != SCSI_CHECK_CONDITION))
		return -EBADE;
	if (driver_status != 0 && driver_status != SG_DRIVER_SENSE)
		return -EBADE;

	if (sense && sense_len >= 8 && (sense[0] & 0x7f) >= 0x70) {
		uint8_t code = sense[0] & 0x7f;

		if (code == 0x72 || code == 0x73) {
			/* Descriptor format: walk the descriptors for ATA Status Return (09h). */
			size_t end = MIN(sense_len, (size_t)8 + sense[7]), off = 8;

			key = sense[1] & 0x0f;
			while (off + 2 <= end) {
				size_t dlen = (size_t)sense[off + 1] + 2;

				if (off + dlen > end)
					break;
				if (sense[off] == 0x09 && dlen >= 14) {
					st.error = sense[off + 3];
					st.status = sense[off + 13];
					have_regs = true;
					break;
				}
				off += dlen;
			}
		} else if ((code == 0x70 || code == 0x71) && sense_len >= 14) {
			/* Fixed format: ATA registers in INFORMATION when ASC/ASCQ is 00h/1Dh. */
			key = sense[2] & 0x0f;
			if (sense[12] == 0x00 && sense[13] == 0x1d) {
				st.error = sense[3];
				st.status = sense[4];
				have_regs = true;
			}
		}
	}
	if (have_regs) {
		if (ret)
			*ret = st;
		return st.status & (ATA_STAT_ERR | ATA_STAT_DRQ) ? -EIO : 0;
	}
	if (scsi_status == 0)
		return 0;
	if (key == SENSE_ILLEGAL_REQUEST)
		return -EOPNOTSUPP;
	return key == SENSE_NO_SENSE || key == SENSE_RECOVERED ? 0 : -EIO;
}

/* One command through SG_IO; data: 512 bytes in (PIO_IN) or cmd->data out. */
static int ata_exec(int fd, const struct erase_secure_ata_cmd *cmd, uint8_t *data_in,
		    struct erase_secure_ata_status *ret_st)
{
	uint8_t cdb[ERASE_SECURE_ATA_CDB_LEN], sense[32] = {0};
	uint8_t out[ERASE_SECURE_ATA_SECTOR];
	sg_io_hdr_t io = {0};
	unsigned timeout = cmd->timeout ? cmd->timeout : ERASE_SECURE_ATA_DEFAULT_TIMEOUT;

	erase_secure_ata_cdb(cmd, cdb);
	io.interface_id = 'S';
	io.cmdp = cdb;
	io.cmd_len = sizeof(cdb);
	io.sbp = sense;
	io.mx_sb_len = sizeof(sense);
	io.timeout = timeout > UINT_MAX / 1000 ? UINT_MAX : timeout * 1000;
	switch (cmd->proto) {
	case ERASE_SECURE_ATA_NON_DATA:
		io.dxfer_direction = SG_DXFER_NONE;
		break;
	case ERASE_SECURE_ATA_PIO_IN:
		memset(data_in, 0, ERASE_SECURE_ATA_SECTOR);
		io.dxfer_direction = SG_DXFER_FROM_DEV;
		io.dxferp = data_in;
		io.dxfer_len = ERASE_SECURE_ATA_SECTOR;
		break;
	case ERASE_SECURE_ATA_PIO_OUT:
		memcpy(out, cmd->data, sizeof(out));
		io.dxfer_direction = SG_DXFER_TO_DEV;
		io.dxferp = out;
		io.dxfer_len = sizeof(out);
		break;
	}
	if (ioctl(fd, SG_IO, &io) < 0) {
		int r = negative_errno();

		return r == -ENOTTY || r == -EINVAL || r == -ENOSYS ? -EOPNOTSUPP : r;
	}
	return erase_secure_ata_check(io.status, io.host_status, io.driver_status, sense,
				      io.sb_len_wr, ret_st);
}

static int ata_identify(int fd, struct erase_secure_ata_identify *ret)
{
	struct erase_secure_ata_cmd cmd = {
	    .command = ERASE_SECURE_ATA_IDENTIFY,
	    .proto = ERASE_SECURE_ATA_PIO_IN,
	    .count = 1,
	};
	uint8_t data[ERASE_SECURE_ATA_SECTOR];
	struct erase_secure_ata_status st;
	int r;

	r = ata_exec(fd, &cmd, data, &st);
	if (r < 0)
		return r;
	return erase_secure_ata_parse_identify(data, sizeof(data), ret);
}

static const char *ata_cause(int r, const struct erase_secure_ata_status *st, char *buf,
			     size_t size)
{
	if (r == -EIO && st->status)
		snprintf(buf, size,
			 "command aborted by the drive (ATA status 0x%02x, error 0x%02x)",
			 st->status, st->error);
	else
		snprintf(buf, size, "%s", strerror(-r));
	return buf;
}

/* IPA's __attempt_unlock_drive: the NULL passwords in turn while the drive stays locked. On
 * return *id is fresh and *ret_password the one that unlocked (or the zero one). */
static void ata_attempt_unlock(int fd, const char *dev, struct erase_secure_ata_identify *id,
			       const uint8_t **ret_password)
{
	static const struct {
		const uint8_t *password;
		const char *name;
	} passwords[] = {
	    {password_zero, "NULL"},
	    {password_null_literal, "literal NULL"},
	};

	*ret_password = password_zero;
	for (size_t i = 0; i < ELEMENTSOF(passwords) && id->locked; i++) {
		struct erase_secure_ata_cmd cmd;
		struct erase_secure_ata_status st = {0};
		char cause[96];
		int r;

		erase_secure_ata_security_cmd(ERASE_SECURE_ATA_UNLOCK, passwords[i].password, false,
					      0, &cmd);
		r = ata_exec(fd, &cmd, NULL, &st);
		if (r < 0)
			log_info("Security unlock failed for device %s using password \"%s\": %s",
				 dev, passwords[i].name, ata_cause(r, &st, cause, sizeof(cause)));
		if (ata_identify(fd, id) < 0)
			return;
		if (!id->locked)
			*ret_password = passwords[i].password;
	}
}

static int ata_erase(int fd, const char *dev, char **ret_error)
{
	struct erase_secure_ata_identify id;
	struct erase_secure_ata_plan plan;
	struct erase_secure_ata_cmd cmd;
	struct erase_secure_ata_status st = {0};
	const uint8_t *password = password_zero;
	struct timespec start;
	char cause[96];
	unsigned timeout;
	int r;

	r = ata_identify(fd, &id);
	if (r < 0) {
		/* smartctl -d ata failing: IPA refuses ATA secure erase and shreds. */
		log_info("ATA security not available on device %s (IDENTIFY DEVICE: %s)", dev,
			 strerror(-r));
		return 0;
	}
	erase_secure_ata_decide(&id, false, &plan);
	if (plan.step == ERASE_SECURE_ATA_UNLOCK_FIRST) {
		ata_attempt_unlock(fd, dev, &id, &password);
		erase_secure_ata_decide(&id, true, &plan);
	}
	switch (plan.step) {
	case ERASE_SECURE_ATA_OVERWRITE:
		log_info("ATA secure erase is not supported by device %s", dev);
		return 0;
	case ERASE_SECURE_ATA_FAIL:
		return fail(ret_error, -EIO, plan.error, dev);
	case ERASE_SECURE_ATA_UNLOCK_FIRST:
	case ERASE_SECURE_ATA_ERASE:
		break;
	}

	if (plan.set_password) {
		erase_secure_ata_security_cmd(ERASE_SECURE_ATA_SET_PASSWORD, password_zero, false,
					      0, &cmd);
		r = ata_exec(fd, &cmd, NULL, &st);
		if (r < 0)
			return fail(ret_error, r, "Security password set failed for device %s: %s",
				    dev, ata_cause(r, &st, cause, sizeof(cause)));
		password = password_zero;
	}

	timeout = erase_secure_ata_erase_timeout(&id, plan.enhanced);
	(void)fsync(fd);
	log_info("erasing %s (\"%s\"): ATA SECURITY ERASE UNIT%s, up to %u min", dev, id.model,
		 plan.enhanced ? " (enhanced)" : "", timeout / 60);
	clock_gettime(CLOCK_MONOTONIC, &start);
	erase_secure_ata_security_cmd(ERASE_SECURE_ATA_ERASE_PREPARE, password, false, 0, &cmd);
	r = ata_exec(fd, &cmd, NULL, &st);
	if (r >= 0) {
		erase_secure_ata_security_cmd(ERASE_SECURE_ATA_ERASE_UNIT, password, plan.enhanced,
					      timeout, &cmd);
		r = ata_exec(fd, &cmd, NULL, &st);
	}
	if (r < 0) {
		/* Unlock so that the overwrite that may follow can write. */
		ata_cause(r, &st, cause, sizeof(cause));
		if (ata_identify(fd, &id) >= 0)
			ata_attempt_unlock(fd, dev, &id, &password);
		return fail(ret_error, r, "Erase failed for device %s: %s", dev, cause);
	}
	(void)ioctl(fd, BLKFLSBUF, 0);

	r = ata_identify(fd, &id);
	if (r < 0 || !id.security_section || id.enabled)
		return fail(ret_error, -EIO, "An unknown error occurred erasing block device %s",
			    dev);
	log_info("ATA secure erase of device %s completed successfully in %.1f s", dev,
		 elapsed_since(&start));
	return 1;
}

/* --- the device ------------------------------------------------------------------------------ */

int erase_secure_is_nvme(int root_fd, const char *dev_path)
{
	const char *name = dev_path;
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	if (!dev_path)
		return 0;
	if (strncmp(name, "/dev/", 5) == 0)
		name += 5;
	if (strncmp(name, "nvme", 4) == 0)
		return 1;
	if (root_fd < 0 || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;

	if (snprintf(path, sizeof(path), "sys/class/block/%s/nsid", name) >= (int)sizeof(path))
		return 0;
	if (faccessat(root_fd, path, F_OK, 0) == 0)
		return 1;
	snprintf(path, sizeof(path), "sys/class/block/%s/device/subsystem", name);
	n = readlinkat(root_fd, path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	return strcmp(base, "nvme") == 0 || strcmp(base, "nvme-subsystem") == 0;
}

int erase_secure_try(int dev_fd, const char *dev_path, const struct erase_secure_options *o,
		     char **ret_error)
{
	_cleanup_free_ char *error = NULL;
	int r;

	if (dev_fd < 0 || !dev_path || !o)
		return -EINVAL;

	if (erase_secure_is_nvme(o->root_fd, dev_path)) {
		if (!o->nvme_enabled) {
			log_info("NVMe secure erase is disabled, not used for device %s", dev_path);
			return 0;
		}
		r = nvme_erase(dev_fd, dev_path, &error);
	} else {
		if (!o->ata_enabled) {
			log_info("ATA secure erase is disabled, not used for device %s", dev_path);
			return 0;
		}
		r = ata_erase(dev_fd, dev_path, &error);
	}
	if (r >= 0)
		return r;
	if (r == -ENOMEM && !error)
		return fail(ret_error, r, "Failed to invoke secure erase on device %s: %s",
			    dev_path, strerror(-r));

	if (o->continue_if_failed) {
		log_warning("Failed to invoke secure erase, falling back to shred: %s",
			    error ? error : strerror(-r));
		return 0;
	}
	return fail(ret_error, r,
		    "Failed to invoke secure erase, fallback to shred is not "
		    "enabled: %s",
		    error ? error : strerror(-r));
}
