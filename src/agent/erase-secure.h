#pragma once

/*
 * Secure erase of one whole disk, as ironic-python-agent (IPA) does it in
 * GenericHardwareManager.erase_block_device(), without nvme-cli, hdparm or smartctl: the same
 * commands go to the drive through NVME_IOCTL_ADMIN_CMD and SG_IO (ATA PASS-THROUGH(16)).
 *
 * Which method (erase_block_device, _is_nvme):
 *   a name starting with "nvme" is NVMe and gets _nvme_erase when agent_enable_nvme_secure_erase
 *   (default true); every other disk gets _ata_erase when agent_enable_ata_secure_erase (default
 *   true). A disabled method, or an ATA disk without the security feature set, is "not
 *   applicable": the caller overwrites (IPA's shred).
 *
 * NVMe (_nvme_erase, then `nvme format <dev> -s <ses> -f` as nvme-cli does it):
 *   Identify Controller; OACS bit 1 clear (no Format NVM) is an error ("nvme-cli did not return
 *   any supported format modes for device: ..."); FNA bit 2 (cryptographic erase supported)
 *   selects SES 2, else SES 1 (user data erase). Format NVM goes to the namespace of the device
 *   (NVME_IOCTL_ID), or to every namespace (NSID FFFFFFFFh) when FNA bit 0 says a format applies
 *   to all of them, with the LBA format in use and, as nvme-cli sends them, MSET, PI and PIL 0;
 *   timeout 600 s (nvme-cli's for format). Deviation: on FNA bit 0 nvme-cli formats with LBA
 *   format 0, this keeps the namespace's current one.
 *
 * ATA (_ata_erase with hdparm >= 9.51 and smartctl):
 *   IDENTIFY DEVICE. The drive is a candidate when hdparm -I would print "supported" in its
 *   Security section: word 82 bit 1 and word 128 bit 0, an ATA (not ATAPI) device of ATA-4 or
 *   later. IDENTIFY failing (no SG_IO, pass-through refused: virtio-blk, most SAS/USB bridges)
 *   is "not applicable", as IPA's smartctl -d ata check returning False.
 *   Frozen (word 128 bit 3): error "Block device %s is frozen and cannot be erased".
 *   Locked (bit 2): SECURITY UNLOCK with the user password hdparm makes of "NULL" (32 zero bytes)
 *   and then with the literal "NULL" older hdparm set; still locked: error "Block device %s
 *   already has a security password set".
 *   Not enabled (bit 1 clear): SECURITY SET PASSWORD, user, high, the zero password
 *   (--user-master u --security-set-pass NULL).
 *   SECURITY ERASE PREPARE + SECURITY ERASE UNIT with that password, enhanced when word 128
 *   bit 5 says it is supported; timeout as hdparm's get_erase_timeout_secs (words 89/90 * 2 min
 *   + 1 min, ext format, 508/65532 min caps, at least 30 min + 1 s per 30 MB of capacity). On
 *   failure the unlock is tried again (so that an overwrite can follow) and the error is
 *   "Erase failed for device %s: <cause>". Afterwards IDENTIFY must show security not enabled,
 *   else "An unknown error occurred erasing block device %s".
 *
 * Failure (erase_block_device): with agent_continue_if_secure_erase_failed (or the legacy
 * agent_continue_if_ata_erase_failed) the error is logged and the caller overwrites, else the
 * step fails with "Failed to invoke secure erase, fallback to shred is not enabled: <error>".
 *
 * Not covered: IPA's virtual-media, RAID-member and read-only checks (the caller's), hdparm's
 * legacy HDIO ioctls and ATA PASS-THROUGH(12), NVMe Sanitize (IPA does not use it), Opal/TCG.
 *
 * Everything that interprets device data or builds a command is a pure function below, so that
 * tests check them byte by byte; only erase_secure_try() and the *_exec functions touch a device.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/nvme_ioctl.h>

/* driver_internal_info's erase options that matter here (ipa-protocol.md 4.2). */
struct erase_secure_options {
	bool nvme_enabled;	 /* agent_enable_nvme_secure_erase, Ironic's default true */
	bool ata_enabled;	 /* agent_enable_ata_secure_erase, default true */
	bool continue_if_failed; /* agent_continue_if_secure_erase_failed, default false */
	int root_fd; /* directory holding sys/ for erase_secure_is_nvme(); < 0: name only */
};

/* --- NVMe ---------------------------------------------------------------------------------- */

#define ERASE_SECURE_NVME_ID_SIZE	 4096
#define ERASE_SECURE_NVME_NSID_ALL	 0xffffffffu
#define ERASE_SECURE_NVME_FORMAT_TIMEOUT 600000u /* ms, nvme-cli's for format */
#define ERASE_SECURE_NVME_ADMIN_TIMEOUT	 0u	 /* the kernel's default admin timeout */
#define ERASE_SECURE_NVME_OP_IDENTIFY	 0x06
#define ERASE_SECURE_NVME_OP_FORMAT	 0x80
#define ERASE_SECURE_NVME_SES_USER_DATA	 1
#define ERASE_SECURE_NVME_SES_CRYPTO	 2

/* What Identify Controller (CNS 01h) says about formatting. */
struct erase_secure_nvme_ctrl {
	uint16_t vid;
	char model[41]; /* MN, trailing blanks dropped */
	uint16_t oacs;
	uint8_t fna;
	bool format_supported; /* OACS bit 1 */
	bool format_all_ns;    /* FNA bit 0: a format applies to all namespaces */
	bool erase_all_ns;     /* FNA bit 1: a secure erase applies to all namespaces */
	bool crypto_erase;     /* FNA bit 2: cryptographic erase supported */
	bool no_nsid_all;      /* FNA bit 3: Format NVM with NSID FFFFFFFFh not supported */
};

/* What Identify Namespace (CNS 00h) says about the format in use. */
struct erase_secure_nvme_ns {
	uint64_t nsze;
	uint8_t nlbaf; /* number of LBA formats, zero based */
	uint8_t lbaf;  /* the LBA format in use (FLBAS bits 3:0 and 6:5) */
	uint32_t block_size;
};

/* Parse a 4096-byte Identify structure; -EBADMSG when shorter or not plausible. */
int erase_secure_nvme_parse_ctrl(const void *buf, size_t len, struct erase_secure_nvme_ctrl *ret);
int erase_secure_nvme_parse_ns(const void *buf, size_t len, struct erase_secure_nvme_ns *ret);

/* The Format NVM command as nvme-cli builds it for `nvme format -s <ses> -f`. */
struct erase_secure_nvme_format {
	uint32_t nsid;
	uint8_t lbaf; /* 0..63 */
	uint8_t ses;  /* 1 user data erase, 2 cryptographic erase */
};

/*
 * The format IPA would run on this controller: *ret filled and 0, or -EOPNOTSUPP when Format
 * NVM is not supported. nsid is the namespace of the device, ns its Identify Namespace.
 */
int erase_secure_nvme_plan(const struct erase_secure_nvme_ctrl *c, uint32_t nsid,
			   const struct erase_secure_nvme_ns *ns,
			   struct erase_secure_nvme_format *ret);

/* Admin commands for NVME_IOCTL_ADMIN_CMD; buf must stay valid while the command runs. */
void erase_secure_nvme_identify_cmd(uint32_t nsid, uint8_t cns, void *buf,
				    struct nvme_passthru_cmd *ret);
void erase_secure_nvme_format_cmd(const struct erase_secure_nvme_format *f,
				  struct nvme_passthru_cmd *ret);

/* --- ATA ----------------------------------------------------------------------------------- */

#define ERASE_SECURE_ATA_SECTOR		 512
#define ERASE_SECURE_ATA_PASSWORD_LEN	 32
#define ERASE_SECURE_ATA_IDENTIFY	 0xec
#define ERASE_SECURE_ATA_SET_PASSWORD	 0xf1
#define ERASE_SECURE_ATA_UNLOCK		 0xf2
#define ERASE_SECURE_ATA_ERASE_PREPARE	 0xf3
#define ERASE_SECURE_ATA_ERASE_UNIT	 0xf4
#define ERASE_SECURE_ATA_CDB_LEN	 16
#define ERASE_SECURE_ATA_DEFAULT_TIMEOUT 15u /* s, hdparm's for every other command */

/* The parts of IDENTIFY DEVICE that decide and time a security erase. */
struct erase_secure_ata_identify {
	char model[41];
	bool atapi;	       /* word 0 bit 15 */
	bool security_feature; /* word 82 bit 1 */
	bool security_section; /* hdparm -I prints a "Security:" section */
	bool supported;	       /* word 128 bit 0 */
	bool enabled;	       /* bit 1: a user password is set */
	bool locked;	       /* bit 2 */
	bool frozen;	       /* bit 3 */
	bool count_expired;    /* bit 4 */
	bool enhanced_erase;   /* bit 5 */
	bool level_maximum;    /* bit 8 */
	uint16_t erase_time; /* word 89 as is: 2-minute units, see erase_secure_ata_erase_timeout */
	uint16_t enhanced_erase_time; /* word 90 */
	uint64_t sectors;	      /* LBA capacity as hdparm computes it */
	bool checksum_present;	      /* word 255 signature A5h */
};

/* Parse 512 bytes of IDENTIFY DEVICE data; -EBADMSG on a wrong size or checksum. */
int erase_secure_ata_parse_identify(const void *buf, size_t len,
				    struct erase_secure_ata_identify *ret);

/* hdparm's SECURITY ERASE UNIT timeout for this drive, in seconds. */
unsigned erase_secure_ata_erase_timeout(const struct erase_secure_ata_identify *id, bool enhanced);

enum erase_secure_ata_step {
	ERASE_SECURE_ATA_OVERWRITE, /* no security feature set: not applicable */
	ERASE_SECURE_ATA_FAIL,	    /* IPA raises; see error */
	ERASE_SECURE_ATA_UNLOCK_FIRST,
	ERASE_SECURE_ATA_ERASE,
};

struct erase_secure_ata_plan {
	enum erase_secure_ata_step step;
	bool set_password; /* ERASE: security not enabled, set the temporary password first */
	bool enhanced;	   /* ERASE: enhanced security erase */
	const char *error; /* FAIL: IPA's message, a format with one %s for the device */
};

/*
 * IPA's _ata_erase decision on the drive's state. unlock_tried: the unlock passwords were
 * already tried (a drive still locked then is an error).
 */
void erase_secure_ata_decide(const struct erase_secure_ata_identify *id, bool unlock_tried,
			     struct erase_secure_ata_plan *ret);

/* A taskfile for ATA PASS-THROUGH(16). */
enum erase_secure_ata_proto {
	ERASE_SECURE_ATA_NON_DATA,
	ERASE_SECURE_ATA_PIO_IN,
	ERASE_SECURE_ATA_PIO_OUT,
};

struct erase_secure_ata_cmd {
	uint8_t command;
	enum erase_secure_ata_proto proto;
	uint8_t count;			       /* sectors transferred (1 for the data commands) */
	unsigned timeout;		       /* s */
	uint8_t data[ERASE_SECURE_ATA_SECTOR]; /* PIO_OUT payload */
};

/* The 16-byte CDB hdparm's sg16() sends for cmd. */
void erase_secure_ata_cdb(const struct erase_secure_ata_cmd *cmd,
			  uint8_t ret[ERASE_SECURE_ATA_CDB_LEN]);

/*
 * The security commands' data-out sector: word 0 bit 0 master/user, bit 1 enhanced (erase
 * unit), bit 8 maximum level (set password); words 1-16 the password as its bytes.
 */
void erase_secure_ata_security_cmd(uint8_t command, const uint8_t password[32], bool enhanced,
				   unsigned timeout, struct erase_secure_ata_cmd *ret);

/* ATA registers returned in sense data. */
struct erase_secure_ata_status {
	uint8_t status;
	uint8_t error;
};

/*
 * Interpret SG_IO's result as hdparm does: 0 when the command completed (*ret holds the ATA
 * registers when the sense data carried them), -EIO when the device set ERR or DRQ (aborted:
 * wrong password, frozen, ...), -EOPNOTSUPP when the SCSI layer refused the pass-through
 * (ILLEGAL REQUEST), -ETIMEDOUT on a host time-out, -EBADE on other transport errors.
 */
int erase_secure_ata_check(uint8_t scsi_status, uint16_t host_status, uint16_t driver_status,
			   const uint8_t *sense, size_t sense_len,
			   struct erase_secure_ata_status *ret);

/* --- the device ------------------------------------------------------------------------------ */

/*
 * Is the disk NVMe? IPA's _is_nvme: the name (with or without "/dev/") starts with "nvme".
 * With root_fd >= 0 a disk whose sys/class/block/<name>/device/subsystem is the nvme class (or
 * which has an nsid attribute) counts as well. 1 yes, 0 no.
 */
int erase_secure_is_nvme(int root_fd, const char *dev_path);

/*
 * Securely erase the whole disk open (read-write) as dev_fd, named dev_path ("/dev/sda"), with
 * IPA's rules. Returns 1 when the disk was securely erased, 0 when secure erase does not apply
 * or failed with continue_if_failed set (the caller overwrites), a negative errno on failure
 * with *ret_error (optional, the caller frees) naming the device and the cause. Logs start,
 * end and failures. Blocks for as long as the drive erases (hours for ATA disks).
 */
int erase_secure_try(int dev_fd, const char *dev_path, const struct erase_secure_options *o,
		     char **ret_error);
