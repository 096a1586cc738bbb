#pragma once

/*
 * The API file systems PID 1 mounts before anything else, from one table (mount.c): proc, sysfs,
 * devtmpfs, devpts, tmpfs on /run and /tmp, and efivarfs when booted through UEFI.
 */

#include <stdbool.h>

#include "init/console.h"

/* Whether the firmware is UEFI: /sys/firmware/efi exists (needs sysfs mounted). */
bool firmware_is_uefi(void);

/*
 * Mounts every table entry, creating mount points; an entry whose target is already a mount
 * point is left alone (the kernel may have mounted devtmpfs). Failures are logged on con.
 * Returns 0, or the first error of an entry that is not optional.
 */
int mount_setup(const struct console *con);

/*
 * Unmounts everything in /proc/self/mounts, newest first, best effort: what cannot be unmounted
 * is remounted read-only. Logs nothing: this runs while the system goes down.
 */
void mount_teardown(void);
