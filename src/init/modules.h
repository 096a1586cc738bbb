#pragma once

/*
 * Kernel module coldplug without udev: every device the kernel found before init ran has a
 * "modalias" file in /sys/devices; `modprobe -a` of their values loads the drivers. Loading a
 * driver can reveal new devices (virtio_pci brings the virtio bus), so the walk repeats until
 * it finds no new alias, MODULES_PASSES_MAX times at most.
 */

#include "init/console.h"

#define MODULES_PASSES_MAX 4
#define MODULES_BATCH	   64	/* aliases per modprobe run */
#define MODULES_DEPTH_MAX  64	/* directory levels below /sys/devices */
#define MODULES_ALIAS_MAX  4096 /* aliases per pass */

/*
 * Collects the distinct, non-empty contents of every regular file named "modalias" below the
 * directory dirfd, sorted. Symlinks are never followed (sysfs is full of cycles through them).
 * Takes ownership of dirfd. Unreadable subdirectories are skipped. Returns 0 with *ret a new
 * vector (possibly empty), or -ENOMEM / -E2BIG (more than MODULES_ALIAS_MAX).
 */
int modules_collect_aliases(int dirfd, char ***ret);

/*
 * Coldplugs when /lib/modules/<release>/modules.dep exists (silently does nothing otherwise),
 * logging how many aliases were tried.
 */
void modules_coldplug(const struct console *con);
