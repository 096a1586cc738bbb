#pragma once

/*
 * configdrive: the config drive of a whole-disk image, as IPA's
 * partition_utils.create_config_drive_partition() places it, without sgdisk or parted:
 *
 *  1. an existing partition whose file system label is "config-2" (any case; what
 *     get_labelled_partition() finds with `lsblk -o LABEL`) is reused, two are an error;
 *  2. the config drive may not exceed 64 MiB (rounded up to MiB, as get_configdrive() counts);
 *  3. on GPT the backup header is moved to the end of the disk (fix_gpt_partition: sgdisk -e);
 *  4. otherwise a partition is added: GPT as `sgdisk -n 0:-64MB:0 -u 0:<random uuid>` does
 *     (first unused entry, the last 64 MiB of the largest free area, start aligned the way gdisk
 *     aligns it, type "Linux filesystem"); MBR as `parted -a optimal mkpart primary fat32
 *     -64MiB -0` does, refused when 4 primary slots are taken (count_mbr_partitions() > 3), and
 *     on a disk larger than 2 TiB placed between parted's 2097087 and 2097151 (MB, parted's
 *     default unit), as _is_disk_larger_than_max_size() makes IPA ask;
 *  5. the bytes are written into the partition (dd), then fsync.
 *
 * configdrive_decode() is get_configdrive()'s decoding: base64, then gunzip, bounded in size.
 *
 * Not reproduced: fetching a config drive URL, the test mount and the vfat rebuild for disks with
 * 4 KiB logical sectors (_does_config_drive_work, _try_build_fat32_config_drive).
 *
 * Errors are negative errno values with a message for the API in err (lowercase, no period).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIGDRIVE_MAX_MB	 64
#define CONFIGDRIVE_MAX_SIZE	 ((size_t)CONFIGDRIVE_MAX_MB * 1024 * 1024)
#define CONFIGDRIVE_LABEL	 "config-2"
#define CONFIGDRIVE_MBR_LIMIT_MB UINT64_C(2097152) /* MAX_DISK_SIZE_MB_SUPPORTED_BY_MBR */
#define CONFIGDRIVE_ERROR_MAX	 256
#define CONFIGDRIVE_PATH_MAX	 256

/*
 * Decodes a config drive as IPA's get_configdrive(): base64 (characters outside the alphabet
 * skipped, as Python's b64decode does), then gunzip (concatenated members, zero padding
 * after them). When the input is not base64 and raw_ok is set (the config drive was downloaded,
 * i.e. bytes in IPA), the input is used as is. Output beyond max bytes fails with -EFBIG.
 * Returns 0 with *ret (heap) and *ret_size, -EBADMSG for bad base64 or data that is not gzip
 * (after base64) or corrupt, -EFBIG, -ENOMEM.
 */
int configdrive_decode(const void *data, size_t size, bool raw_ok, size_t max, uint8_t **ret,
		       size_t *ret_size, char *err, size_t err_size);

/* IPA's partition_index_to_path(): "<disk>N", "<disk>pN" after a digit, "-partN" for iSCSI. */
int configdrive_partition_path(const char *disk, unsigned number, char *buf, size_t size);

struct configdrive_result {
	unsigned number;
	bool created; /* false: an existing config-2 partition was reused */
	uint64_t first_lba, last_lba;
	char path[CONFIGDRIVE_PATH_MAX];
	char uuid[37]; /* GPT: the new partition's unique GUID (sgdisk -u) */
};

/*
 * Writes the config drive (already decoded) onto the disk behind fd, named disk_path (used for
 * the partition's device name only). Returns 0 with *ret filled, or:
 *  -ENOMSG/-EBADMSG  no partition table / corrupt table
 *  -ENOTUNIQ         two partitions labelled config-2
 *  -EFBIG            config drive above 64 MiB
 *  -E2BIG            MBR with 4 primary partitions, or no free GPT entry
 *  -ENOSPC           no room for the partition, or config drive larger than a reused one
 *  or a negative errno from reading or writing.
 */
int configdrive_write(int fd, const char *disk_path, const void *data, size_t size,
		      struct configdrive_result *ret, char *err, size_t err_size);
