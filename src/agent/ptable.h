#pragma once

/*
 * ptable: the partition table of a disk, read and written through an fd (a block device or a
 * regular file), in pure C, so that the ramdisk needs neither parted nor sgdisk.
 *
 * Reads GPT (primary header, entry array, CRC32 checks, backup header; the backup is used when
 * the primary is corrupt) and MBR (primary partitions, logical partitions of an extended one).
 * A GPT disk is recognised like libblkid and gdisk do: through the 0xEE entry of its protective
 * (or hybrid) MBR.
 *
 * What IPA gets from other tools is reproduced here:
 *  - ptable_disk_identifier(): ironic-lib/IPA disk_utils.get_disk_identifier(), i.e.
 *    `hexdump -s 440 -n 4 -e '"0x%08x"' <disk>`: the MBR disk signature, also on GPT disks.
 *  - ptable_partition_uuids(): what standby.get_partition_uuids returns after a whole-disk
 *    image was written (standby._fix_up_partition_uuids): {"root uuid": "0x%08x"}.
 *  - ptable_gpt_move_backup_to_end(): `sgdisk -e` as run by disk_utils.fix_gpt_partition()
 *    (gdisk's MoveSecondHeaderToEnd()).
 *
 * Every size read from the disk is untrusted: header size, entry size and count and the entry
 * array's place are bounded by the PTABLE_GPT_* limits below and by the disk's size.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* Limits for what a GPT header may claim (gdisk creates 128 entries of 128 bytes). */
#define PTABLE_GPT_MAX_ENTRIES	  4096
#define PTABLE_GPT_MAX_ENTRY_SIZE 4096
#define PTABLE_GPT_MAX_ARRAY	  (1024 * 1024)
#define PTABLE_MAX_LOGICAL	  128

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL. */
/* GPT names are 36 UTF-16 code units; UTF-8 needs at most 3 bytes per unit here. */
#define PTABLE_NAME_MAX (36 * 3 + 1)
/* "0x%08x" plus NUL. */
#define PTABLE_DISK_ID_MAX 11

enum ptable_type {
	PTABLE_MBR,
	PTABLE_GPT,
};

struct ptable_partition {
	unsigned number; /* as Linux numbers them: GPT entry index + 1; MBR slot 1-4, logical 5+ */
	uint64_t first_lba;
	uint64_t last_lba;
	uint8_t type_guid[16]; /* GPT, as stored on disk (mixed endian) */
	uint8_t guid[16];      /* GPT unique partition GUID, as stored */
	char name[PTABLE_NAME_MAX];
	uint64_t attrs;	  /* GPT attribute bits */
	uint8_t mbr_type; /* MBR system id */
	bool bootable;	  /* MBR 0x80 flag */
	bool extended;	  /* MBR extended container (0x05, 0x0f, 0x85) */
	bool logical;
};

struct ptable {
	enum ptable_type type;
	unsigned sector_size;
	uint64_t n_sectors; /* the device's size, not what the table claims */
	uint8_t mbr[512];   /* sector 0 as read (its first 512 bytes) */
	uint32_t mbr_signature;

	/* GPT only: the header that was used (primary, or backup when the primary is corrupt). */
	bool gpt_primary_ok;
	bool gpt_backup_ok;
	uint8_t disk_guid[16];
	uint64_t gpt_backup_lba;
	uint64_t gpt_first_usable;
	uint64_t gpt_last_usable;
	uint64_t gpt_entries_lba; /* primary array; usually 2 */
	uint64_t gpt_backup_entries_lba;
	uint32_t gpt_n_entries;
	uint32_t gpt_entry_size;
	uint8_t *gpt_entries; /* gpt_n_entries * gpt_entry_size bytes */

	struct ptable_partition *partitions;
	size_t n_partitions;
};

/*
 * Reads the table of the disk behind fd. sector_size 0 means the device's logical sector size
 * (BLKSSZGET) for a block device and 512 for a regular file; otherwise 512 or 4096.
 * Returns 0, -ENOMSG when the disk has no partition table, -EBADMSG when a GPT is announced by
 * its protective MBR but neither header is valid, or a negative errno from reading.
 */
int ptable_read(int fd, unsigned sector_size, struct ptable **ret);
void ptable_free(struct ptable *t);
static inline void ptable_freep(struct ptable **t)
{
	ptable_free(*t);
}
#define _cleanup_ptable_ __attribute__((cleanup(ptable_freep)))

/* "gpt" or "msdos", as parted (and so IPA's get_partition_table_type) names them. */
const char *ptable_type_to_string(enum ptable_type type);

/* The partition with this number, or NULL. */
const struct ptable_partition *ptable_get_partition(const struct ptable *t, unsigned number);

bool ptable_guid_is_null(const uint8_t guid[16]);

/* IPA's disk identifier ("root uuid" of a whole-disk image): "0x%08x" of the bytes at 440. */
void ptable_disk_identifier(const struct ptable *t, char buf[PTABLE_DISK_ID_MAX]);

/* standby.get_partition_uuids for a whole-disk image: {"root uuid": "0x…"}. 0 or -ENOMEM. */
int ptable_partition_uuids(const struct ptable *t, struct json_object **ret);

/* Whether no partition (an extended one included) and no GPT structure covers [first, last]. */
bool ptable_range_is_free(const struct ptable *t, uint64_t first, uint64_t last);

/*
 * The first sector of the largest free area (the first of equal ones) and the last sector of
 * that area: gdisk's FindFirstInLargest() and FindLastInFree(). For MBR the area ends at the
 * 2^32-sector limit. Returns 0 or -ENOSPC.
 */
int ptable_largest_free(const struct ptable *t, uint64_t *ret_first, uint64_t *ret_last);

/*
 * sgdisk -e: places the backup header on the last sector of the device and its entries just
 * before it, sets the last usable LBA as gdisk does (n_sectors - first usable) and grows a pure
 * protective MBR's 0xEE entry. Returns 1 when something changed, 0 when the backup was already
 * there, -EINVAL for an MBR table, -ENOSPC when a partition would end beyond the new last
 * usable LBA (a disk smaller than the image). In memory only: see ptable_write().
 */
int ptable_gpt_move_backup_to_end(struct ptable *t);

/*
 * Adds a partition in the first unused entry (GPT) or primary slot (MBR). type_guid/guid are
 * used for GPT, mbr_type for MBR. Returns 0 with *ret_number, -E2BIG when no entry or slot is
 * left, -ERANGE when the range is outside the usable area (for MBR: beyond 2^32 sectors),
 * -ENOSPC when it overlaps a partition. In memory only.
 */
int ptable_add_partition(struct ptable *t, uint64_t first, uint64_t last,
			 const uint8_t type_guid[16], const uint8_t guid[16], uint8_t mbr_type,
			 unsigned *ret_number);

/*
 * Writes the table back: MBR sector 0; for GPT also the primary header and entries and the
 * backup entries and header, with fresh CRCs. Then fsync. Returns 0 or a negative errno.
 */
int ptable_write(struct ptable *t, int fd);
