#pragma once

/*
 * The boot loaders IPA registers from a mounted EFI system partition (IPA master,
 * ironic_python_agent/efi_utils.py _get_efi_bootloaders() and the label part of
 * _run_efibootmgr()).
 *
 * The ESP is walked as os.walk() walks it: top-down, directory entries in readdir order, the
 * files of a directory before its subdirectories, symlinked directories not entered. A file
 * counts when its name is, ignoring ASCII case, one of BOOTLOADERS_EFI:
 *   bootx64.csv bootaa64.csv boot.csv bootia32.efi bootx64.efi bootia64.efi bootarm.efi
 *   bootaa64.efi bootriscv32.efi bootriscv64.efi bootriscv128.efi grubaa64.efi winload.efi
 * (shimx64.efi and grubx64.efi are not in it: they are reached through BOOTX64.CSV). An
 * executable one (access(X_OK), true for any file on a FAT mount) is a loader. The first file
 * whose relative path contains "csv" in any case ends the walk and is the only result, even if
 * it is not executable; its UTF-16 text (BOM, else little-endian; Python's universal newlines)
 * is "loader,label,...": the loader replaces the CSV's name in its path, the label is the
 * second field verbatim. Without a CSV every loader found is returned, labelled "ironic1",
 * "ironic2", ... in walk order. Paths are returned as the firmware wants them: "\EFI\BOOT\x.efi".
 *
 * Limits IPA does not have (an ESP never comes near them): 16 directory levels, 100 000
 * entries, 64 loaders, a CSV of 64 KiB.
 */

#include <stddef.h>

struct efi_loader {
	char *path;  /* "\EFI\ubuntu\shimx64.efi" */
	char *label; /* "ironic1", or the CSV's label */
};

/*
 * Finds the loaders on the ESP mounted at esp_fd. Returns 0 with *ret (heap, free with
 * efi_loader_free_many()) and *ret_n, which is 0 when IPA would report "Empty EFI partition";
 * -EBADMSG for a CSV IPA would fail on (not UTF-16, fewer than two fields); -E2BIG past the
 * limits; or a negative errno from reading the tree.
 */
int efi_loader_find(int esp_fd, struct efi_loader **ret, size_t *ret_n);

void efi_loader_free_many(struct efi_loader *l, size_t n);
