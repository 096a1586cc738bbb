#pragma once

/*
 * UEFI boot entries, written the way IPA's efibootmgr calls write them, without efibootmgr.
 *
 * Variables are files of efivarfs (4 bytes of attributes, then the data) named
 * "<Name>-8be4df61-93ca-11d2-aa0d-00e098032b8c", reached through a directory fd: the agent
 * opens /sys/firmware/efi/efivars, tests a temporary directory.
 *
 * What is reproduced (IPA master, ironic_python_agent/efi_utils.py):
 * - _run_efibootmgr(): for each loader, the existing entries whose description equals the
 *   label are deleted ("efibootmgr -b N -B"), then a new entry is created ("efibootmgr -v -c -d
 *   <disk> -p <part> -w -L <label> -l <loader>"). The entry list is read once, before the
 *   first loader, as IPA reads get_boot_records() once. get_boot_records() only sees entries
 *   whose "efibootmgr -v" line matches its regex, i.e. whose device path text starts with
 *   BBS(, HD(, FvFile(, FvVol(, PciRoot(, VenMsg(, VenHw( or UsbClass(: only those can be
 *   deleted (efi_device_path_kind()). IPA zed matched the label as a substring of the whole
 *   line instead; master's exact match is what is done here.
 * - efibootmgr -c (rhboot/efibootmgr make_var, add_to_order; efivar creator.c, loadopt.c):
 *   the new entry takes the lowest number no Boot#### variable uses, its load option is
 *   attributes LOAD_OPTION_ACTIVE, HD(part, GPT, unique GUID, start, size)/File(loader)/End
 *   with '/' turned into '\', the label in UCS-2, no optional data, and variable attributes
 *   NV|BS|RT; the number goes first in BootOrder (BootOrder keeps its attributes).
 * - efibootmgr -B (delete_var, remove_from_order): the variable is removed and every
 *   occurrence of its number leaves BootOrder; an empty BootOrder is deleted.
 * - efivar's efivarfs_set_variable(): the immutable flag of an existing file is cleared
 *   before writing and restored afterwards; the whole variable is one write().
 *
 * Not reproduced: software RAID ESPs (label suffix "(RAID, partN)"), MBR disks (HD() with an
 * MBR signature), "-w" (writes an MBR signature only on MBR disks). One deliberate difference:
 * when BootOrder already names the new number (a stale entry), the stale occurrence is
 * dropped instead of being left behind as a duplicate.
 *
 * Everything read from a variable is untrusted: sizes are bounded and device path nodes
 * checked before use.
 */

#include <stddef.h>
#include <stdint.h>

#include "agent/efi-loader.h"
#include "agent/efi.h"

/*
 * Reads a global variable: *ret (heap) and *ret_size its data, *ret_attributes (optional) its
 * attributes. -ENOENT when absent, -EBADMSG when shorter than the attributes, -EFBIG when
 * larger than EFI_VARIABLE_MAX.
 */
int efi_variable_read(int efivars_fd, const char *name, uint32_t *ret_attributes, uint8_t **ret,
		      size_t *ret_size);
/* Writes (creates or replaces) a global variable in one write(). */
int efi_variable_write(int efivars_fd, const char *name, uint32_t attributes, const void *data,
		       size_t size);
/* Deletes a global variable; -ENOENT when absent. */
int efi_variable_remove(int efivars_fd, const char *name);

/*
 * BootOrder as numbers (*ret heap, *ret_n entries; an odd trailing byte is ignored). A missing
 * BootOrder is an empty one: 0 with *ret NULL and *ret_n 0.
 */
int efi_boot_order_get(int efivars_fd, uint16_t **ret, size_t *ret_n);

/*
 * The numbers of every Boot#### variable present (4 hex digits, any case, global GUID), sorted:
 * *ret heap, *ret_n entries.
 */
int efi_boot_entry_list(int efivars_fd, uint16_t **ret, size_t *ret_n);

/* Reads and parses Boot####: -ENOENT, -EBADMSG on a malformed option. */
int efi_boot_entry_get(int efivars_fd, uint16_t num, struct efi_load_option *ret);

/*
 * efibootmgr -c: writes a new Boot#### at the lowest free number for loader on part and puts it
 * first in BootOrder. *ret_num (optional) gets the number. -ENOSPC when all 65536 are taken.
 */
int efi_boot_entry_add(int efivars_fd, const char *label, const struct efi_partition *part,
		       const char *loader, uint16_t *ret_num);

/* efibootmgr -b num -B: removes Boot#### and its number from BootOrder. */
int efi_boot_entry_remove(int efivars_fd, uint16_t num);

/*
 * IPA's _run_efibootmgr(): for each loader in order, deletes the entries labelled like it
 * (those present before the call) and adds a new one, so the last loader ends up first in
 * BootOrder. Returns 0, or a negative errno with *ret_error (optional, heap) a message for the
 * API ("could not add boot entry 'ironic1' for \EFI\BOOT\BOOTX64.EFI: No space left on device").
 */
int efi_boot_install(int efivars_fd, const struct efi_partition *part,
		     const struct efi_loader *loaders, size_t n_loaders, char **ret_error);
