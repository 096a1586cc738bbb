#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/fs-util.h"
#include "basic/macro.h"
#include "init/mount.h"

enum {
	MOUNT_OPTIONAL = 1 << 0, /* failure is logged, not returned */
	MOUNT_IF_UEFI = 1 << 1,	 /* only when /sys/firmware/efi exists */
};

struct mount_entry {
	const char *source;
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
	mode_t mode; /* of the mounted root; 0 leaves it as the file system made it */
	unsigned opts;
};

/* In order: each entry may need the ones before it (sysfs for the UEFI test, /dev for pts). */
static const struct mount_entry mount_table[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0, 0},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0, 0},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0, 0},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666", 0,
     MOUNT_OPTIONAL},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755, 0},
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777, 0},
    {"efivarfs", "/sys/firmware/efi/efivars", "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0,
     MOUNT_OPTIONAL | MOUNT_IF_UEFI},
};

bool firmware_is_uefi(void)
{
	return access("/sys/firmware/efi", F_OK) == 0;
}

static int mount_one(const struct mount_entry *m)
{
	int r;

	r = mkdir_p(m->target, 0755);
	if (r < 0)
		return r;
	if (path_is_mount_point(m->target) > 0)
		return 0;
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0 && errno != EBUSY)
		return negative_errno();
	if (m->mode != 0 && chmod(m->target, m->mode) < 0)
		return negative_errno();
	return 0;
}

int mount_setup(const struct console *con)
{
	int ret = 0;

	for (size_t i = 0; i < ELEMENTSOF(mount_table); i++) {
		const struct mount_entry *m = &mount_table[i];
		int r;

		if ((m->opts & MOUNT_IF_UEFI) && !firmware_is_uefi())
			continue;
		r = mount_one(m);
		if (r == 0)
			continue;
		console_log(con, "failed to mount %s on '%s': %s", m->fstype, m->target,
			    strerror(-r));
		if (!(m->opts & MOUNT_OPTIONAL) && ret == 0)
			ret = r;
	}
	return ret;
}

/* Undoes the octal escapes (\040 for a space) of a /proc/self/mounts field, in place. */
static void unescape_mount_path(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
			continue;
		}
		*out++ = *s;
	}
	*out = '\0';
}

#define MOUNTS_MAX	256
#define MOUNTS_FILE_MAX (256 * 1024)

void mount_teardown(void)
{
	_cleanup_free_ char *buf = NULL;
	char *targets[MOUNTS_MAX];
	size_t n = 0;
	char *line, *save = NULL;

	/* Read it all first: /proc itself goes away on the way. */
	if (read_full_file_at(AT_FDCWD, "/proc/self/mounts", MOUNTS_FILE_MAX, &buf, NULL) < 0)
		return;

	for (line = strtok_r(buf, "\n", &save); line && n < MOUNTS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		char *target = strchr(line, ' ');

		if (!target)
			continue;
		target++;
		target[strcspn(target, " ")] = '\0';
		unescape_mount_path(target);
		if (strcmp(target, "/") == 0)
			continue;
		targets[n++] = target;
	}

	while (n-- > 0)
		if (umount2(targets[n], 0) < 0)
			mount(NULL, targets[n], NULL, MS_REMOUNT | MS_RDONLY, NULL);
}
