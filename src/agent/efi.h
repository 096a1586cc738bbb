#pragma once

/*
 * UEFI boot data: EFI_LOAD_OPTION (UEFI 2.x §3.1.3) and the device paths in it (§10.3), built
 * byte for byte as efibootmgr -c builds them (rhboot/efibootmgr make_linux_load_option(),
 * efivar's efi_generate_file_device_path_from_esp() with EFIBOOT_ABBREV_HD, efidp_make_hd(),
 * efidp_make_file(), efi_loadopt_create()) and parsed from untrusted variables: every length
 * is checked, every device path node is walked with its length bounded, up to End Entire.
 *
 * The load option efibootmgr -c -d <disk> -p <n> -L <label> -l <loader> writes on a GPT disk:
 *   u32 attributes = LOAD_OPTION_ACTIVE
 *   u16 FilePathListLength
 *   description: UCS-2, NUL-terminated
 *   HD(n, GPT, unique partition GUID, start LBA, size in LBAs): 04 01 2a00 + 38 bytes
 *   File(loader, '/' turned into '\'): 04 04 <len> + UCS-2, NUL-terminated
 *   End Entire: 7f ff 0400
 *   no optional data (efibootmgr passes none unless given arguments after the options).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/unaligned.h"

#define EFI_GLOBAL_GUID_STR "8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
#define EFI_VARIABLE_DEFAULT   0x7u
#define EFI_LOAD_OPTION_ACTIVE 0x1u

/* The largest variable read (attributes included): firmware stores far less. */
#define EFI_VARIABLE_MAX (64 * 1024)

/*
 * UTF-8 to UCS-2 (host order) with a terminating NUL; *ret_n counts it. -EINVAL on text that is
 * not UTF-8, has characters beyond the BMP, or more than max characters.
 */
int efi_utf8_to_ucs2(const char *s, size_t max, uint16_t **ret, size_t *ret_n);

/*
 * UTF-16 (size bytes, little or big endian) to UTF-8, up to the first NUL character. Unpaired
 * surrogates and an odd last byte are replaced by U+FFFD / dropped, or are -EBADMSG if strict
 * (what Python's strict 'utf-16' decoder does).
 */
int efi_utf16_to_utf8(const void *buf, size_t size, bool big_endian, bool strict, char **ret);

/* A GPT partition as HD() names it; the caller fills it from the partition table. */
struct efi_partition {
	uint32_t number;  /* 1-based */
	uint64_t start;	  /* first LBA */
	uint64_t size;	  /* in LBAs */
	uint8_t guid[16]; /* unique partition GUID, in EFI_GUID (on-disk GPT) byte order */
};

/* A parsed EFI_LOAD_OPTION; every pointer is a heap copy owned by the struct. */
struct efi_load_option {
	uint32_t attributes;
	char *description;  /* UTF-8 */
	uint8_t *file_path; /* the device path list, nodes checked up to End Entire */
	size_t file_path_size;
	uint8_t *optional_data;
	size_t optional_data_size;
};

/*
 * Builds the load option efibootmgr -c writes: LOAD_OPTION_ACTIVE, description, HD(part)/
 * File(loader)/End, no optional data. Both texts are UTF-8; '/' in loader become '\'; loader
 * must not be empty, description may be (efibootmgr allows it). Returns 0 with *ret (heap) and
 * *ret_size, or -EINVAL on text that is not UTF-8 within the BMP or is too long.
 */
int efi_load_option_build(const char *description, const struct efi_partition *part,
			  const char *loader, uint8_t **ret, size_t *ret_size);

/*
 * Parses an EFI_LOAD_OPTION (the data of a Boot#### variable, without the attributes).
 * Returns 0 and fills *ret (free with efi_load_option_done()), or -EBADMSG when the buffer is
 * short, the description is not terminated, or the device path list is malformed.
 */
int efi_load_option_parse(const void *buf, size_t size, struct efi_load_option *ret);
void efi_load_option_done(struct efi_load_option *o);

/*
 * The name "efibootmgr -v" gives the first node of a device path list when it is one IPA's
 * get_boot_records() regex accepts ("HD", "PciRoot", "BBS", "FvFile", "FvVol", "VenMsg",
 * "VenHw", "UsbClass"), else NULL.
 */
const char *efi_device_path_kind(const uint8_t *dp, size_t size);

/*
 * The File() text of a checked device path list ("\EFI\BOOT\BOOTX64.EFI"; several File nodes
 * are joined) and, when ret_part is given, its HD() node. Returns 0, -ENOENT when there is no
 * File() (or no HD() for ret_part), -EBADMSG on a malformed list.
 */
int efi_device_path_file(const uint8_t *dp, size_t size, char **ret,
			 struct efi_partition *ret_part);

static inline void efi_put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
