#define _GNU_SOURCE 1 /* asprintf() */

/*
 * Device selection for the erase steps: IPA's list_block_devices_check_skip_list(),
 * _list_erasable_devices(), _is_virtual_media_device(), _is_linux_raid_member(),
 * _is_read_only_device() and safety_check_block_device(), with lsblk's answers read from sysfs
 * and libblkid under the agent's root directory. See erase-select.h.
 */

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent/disk.h"
#include "agent/erase-select.h"
#include "agent/hints.h"
#include "agent/ptable.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/hexdecoct.h"

/* libblkid reports at most this many signatures per device before we stop asking. */
#define PROBE_MAX 64

struct probe {
	bool boot_media;
	bool vmedia;
	bool raid_member;
	const char *guarded; /* what safety_check_block_device() would name, or NULL */
};

/* IPA's _check_for_special_partitions_filesystems() tables. */
static const char *const guarded_ids[][2] = {
    {"37AFFC90-EF7D-4E96-91C3-2D7AE055B174", "IBM GPFS Partition"},
    {"AA31E02A-400F-11DB-9590-000C2911D1B8", "VMware VMFS Partition (GPT)"},
    {"0xfb", "VMware VMFS Partition (MBR)"},
};

static const char *const guarded_fs[][2] = {
    {"gfs2", "Red Hat Global File System 2"},
};

static const char *guarded_id(const char *value)
{
	for (size_t i = 0; value && i < ELEMENTSOF(guarded_ids); i++)
		if (strcasecmp(value, guarded_ids[i][0]) == 0)
			return guarded_ids[i][1];
	return NULL;
}

static void blkid_probep(blkid_probe *p)
{
	if (*p)
		blkid_free_probe(*p);
}

/* "/dev/sda" -> "dev/sda", for openat() on the root fd; NULL for anything not under /dev/. */
static const char *dev_relative(const char *path)
{
	if (strncmp(path, "/dev/", 5) != 0 || strstr(path, "/../"))
		return NULL;
	return path + 1;
}

/* Every signature libblkid finds on the device, as `wipefs` and `lsblk --fs` list them. */
static int probe_device(int root_fd, const char *path, const char *volid, struct probe *p)
{
	_cleanup_(blkid_probep) blkid_probe pr = NULL;
	_cleanup_close_ int fd = -1;
	const char *rel = dev_relative(path);

	*p = (struct probe){0};
	if (!rel)
		return -EINVAL;
	fd = openat(root_fd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
						  BLKID_SUBLKS_UUID | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_FORCE_GPT);

	for (int i = 0; i < PROBE_MAX && blkid_do_probe(pr) == 0; i++) {
		const char *type = NULL, *label = NULL, *uuid = NULL, *ptuuid = NULL;

		blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
		blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
		blkid_probe_lookup_value(pr, "UUID", &uuid, NULL);
		blkid_probe_lookup_value(pr, "PTUUID", &ptuuid, NULL);
		if (type && strcmp(type, "iso9660") == 0 && label && volid && volid[0] &&
		    strcmp(label, volid) == 0)
			p->boot_media = true;
		if (label && strcmp(label, ERASE_VMEDIA_LABEL) == 0)
			p->vmedia = true;
		if (type && strcmp(type, "linux_raid_member") == 0)
			p->raid_member = true;
		for (size_t k = 0; type && k < ELEMENTSOF(guarded_fs); k++)
			if (strcmp(type, guarded_fs[k][0]) == 0)
				p->guarded = guarded_fs[k][1];
		if (!p->guarded)
			p->guarded = guarded_id(uuid) ?: guarded_id(ptuuid);
	}
	return 0;
}

/* Whether dev/disk/by-label/ir-vfd-dev resolves to path, as os.path.normpath() joins it. */
static bool vmedia_link_is(int root_fd, const char *path)
{
	char link[PATH_MAX], joined[PATH_MAX + 32], *parts[64], *save = NULL, *tok;
	size_t n = 0, len;
	ssize_t l;

	l = readlinkat(root_fd, "dev/disk/by-label/" ERASE_VMEDIA_LABEL, link, sizeof(link) - 1);
	if (l <= 0)
		return false;
	link[l] = '\0';
	if (link[0] == '/')
		snprintf(joined, sizeof(joined), "%s", link);
	else
		snprintf(joined, sizeof(joined), "/dev/disk/by-label/%s", link);
	for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			n -= n > 0;
			continue;
		}
		if (n == ELEMENTSOF(parts))
			return false;
		parts[n++] = tok;
	}
	for (size_t i = 0; i < n; i++) {
		len = strlen(parts[i]);
		if (*path != '/' || strncmp(path + 1, parts[i], len) != 0)
			return false;
		path += 1 + len;
	}
	return *path == '\0';
}

static bool read_flag(int dirfd, const char *path)
{
	char buf[16];

	return read_line_at(dirfd, path, buf, sizeof(buf)) >= 0 && strcmp(buf, "1") == 0;
}

static void device_done(struct erase_device *d)
{
	free(d->name);
	free(d->path);
	free(d->parent);
}

static int device_add(struct erase_device **all, size_t *n, size_t *cap, struct erase_device d)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct erase_device *p = reallocarray(*all, c, sizeof(**all));

		if (!p)
			return -ENOMEM;
		*all = p;
		*cap = c;
	}
	(*all)[(*n)++] = d;
	return 0;
}

static int partno_cmp(const void *a, const void *b)
{
	const struct erase_device *x = a, *y = b;

	return (x->partno > y->partno) - (x->partno < y->partno);
}

/* The partitions of disk: sys/block/<disk>/<part>/partition, as the kernel lists them. */
static int partitions_add(int root_fd, const struct disk *disk, struct erase_device **all,
			  size_t *n, size_t *cap)
{
	_cleanup_close_ int fd = -1;
	size_t first = *n, count = 0;
	struct dirent *de;
	DIR *dir;
	char p[DISK_NAME_MAX + 32];
	int r = 0;

	snprintf(p, sizeof(p), "sys/block/%s", disk->name);
	fd = openat(root_fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir)
		return negative_errno();
	fd = -1; /* the DIR owns it */
	while (r == 0 && (de = readdir(dir))) {
		char buf[32], attr[NAME_MAX + 16];
		unsigned long long sectors = 0, no = 0;
		struct erase_device d = {0};

		if (de->d_name[0] == '.' || strlen(de->d_name) > DISK_NAME_MAX ||
		    strncmp(de->d_name, disk->name, strlen(disk->name)) != 0)
			continue;
		snprintf(attr, sizeof(attr), "%s/partition", de->d_name);
		if (read_line_at(dirfd(dir), attr, buf, sizeof(buf)) < 0 ||
		    sscanf(buf, "%llu", &no) != 1 || no == 0 || no > UINT_MAX)
			continue;
		snprintf(attr, sizeof(attr), "%s/size", de->d_name);
		if (read_line_at(dirfd(dir), attr, buf, sizeof(buf)) >= 0)
			sscanf(buf, "%llu", &sectors);
		if (count++ >= ERASE_PARTITIONS_MAX)
			continue;
		d.partition = true;
		d.partno = (unsigned)no;
		d.size = sectors <= UINT64_MAX / 512 ? sectors * 512 : 0;
		snprintf(attr, sizeof(attr), "%s/ro", de->d_name);
		d.read_only = read_flag(dirfd(dir), attr) || read_flag(dirfd(dir), "ro");
		d.name = strdup(de->d_name);
		d.parent = strdup(disk->name);
		if (!d.name || !d.parent || asprintf(&d.path, "/dev/%s", de->d_name) < 0) {
			d.path = NULL;
			device_done(&d);
			r = -ENOMEM;
			break;
		}
		d.nvme = strncmp(d.path, "/dev/nvme", 9) == 0;
		r = device_add(all, n, cap, d);
		if (r < 0)
			device_done(&d);
	}
	closedir(dir);
	if (r == 0 && *n > first)
		qsort(*all + first, *n - first, sizeof(**all), partno_cmp);
	return r;
}

void erase_devices_free(struct erase_device *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		device_done(&d[i]);
	free(d);
}

static void classify(int root_fd, struct erase_device *d, const char *volid)
{
	struct probe p;

	d->probe_error = probe_device(root_fd, d->path, volid, &p);
	if (d->probe_error < 0)
		p = (struct probe){0};
	/* The boot media rule is about whole devices (the ISO as a disk). */
	d->boot_media = !d->partition && p.boot_media;
	d->vmedia = p.vmedia || vmedia_link_is(root_fd, d->path);
	d->raid_member = p.raid_member;
}

int erase_select(int root_fd, json_object *node, const struct erase_select_options *o,
		 struct erase_device **ret, size_t *n_ret, char **ret_error)
{
	struct disk *disks = NULL, *views = NULL;
	struct erase_device *all = NULL;
	size_t n_disks = 0, n = 0, cap = 0;
	_cleanup_free_ bool *skip = NULL;
	int r;

	*ret_error = NULL;
	r = disk_list(root_fd, &disks, &n_disks);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n_disks; i++) {
		struct erase_device d = {.size = disks[i].size};
		char p[DISK_NAME_MAX + 32];

		d.name = strdup(disks[i].name);
		d.path = strdup(disks[i].path);
		if (!d.name || !d.path) {
			device_done(&d);
			r = -ENOMEM;
			break;
		}
		d.nvme = strncmp(d.path, "/dev/nvme", 9) == 0;
		snprintf(p, sizeof(p), "sys/block/%s/ro", d.name);
		d.read_only = read_flag(root_fd, p);
		r = device_add(&all, &n, &cap, d);
		if (r < 0) {
			device_done(&d);
			break;
		}
		if (o && o->partitions)
			r = partitions_add(root_fd, &disks[i], &all, &n, &cap);
	}

	/* Hints match every device; a partition shows its disk's identity (udev's, via lsblk). */
	if (r == 0 && n > 0) {
		views = calloc(n, sizeof(*views));
		skip = calloc(n, sizeof(*skip));
		if (!views || !skip)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct disk *parent =
		    disk_find(disks, n_disks, all[i].partition ? all[i].parent : all[i].name);

		if (parent)
			views[i] = *parent;
		views[i].name = all[i].name;
		views[i].path = all[i].path;
		views[i].size = all[i].size;
	}
	if (r == 0 && n > 0) {
		r = root_hints_skip_list(node, views, n, skip, ret_error);
		for (size_t i = 0; r == 0 && i < n; i++)
			all[i].hint = skip[i];
	}
	free(views);
	disk_list_free(disks, n_disks);

	for (size_t i = 0; r == 0 && i < n; i++)
		classify(root_fd, &all[i], o ? o->boot_volume_id : NULL);
	/* lsblk --fs <disk> shows its partitions' filesystems too. */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (all[i].partition && all[i].raid_member)
			for (size_t k = 0; k < n; k++)
				if (!all[k].partition && strcmp(all[k].name, all[i].parent) == 0)
					all[k].raid_member = true;
	if (r < 0) {
		erase_devices_free(all, n);
		return r;
	}
	*ret = all;
	*n_ret = n;
	return 0;
}

static enum erase_skip own_skip(const struct erase_device *d)
{
	if (d->hint)
		return ERASE_SKIP_HINT;
	if (d->boot_media)
		return ERASE_SKIP_BOOT_MEDIA;
	if (d->vmedia)
		return ERASE_SKIP_VMEDIA;
	if (d->raid_member)
		return ERASE_SKIP_RAID_MEMBER;
	if (d->read_only)
		return ERASE_SKIP_READ_ONLY;
	return ERASE_SKIP_NONE;
}

enum erase_skip erase_device_skip(const struct erase_device *d, const struct erase_device *all,
				  size_t n)
{
	enum erase_skip s = own_skip(d);

	if (s != ERASE_SKIP_NONE || !d->partition)
		return s;
	for (size_t i = 0; i < n; i++)
		if (!all[i].partition && strcmp(all[i].name, d->parent) == 0)
			return own_skip(&all[i]) != ERASE_SKIP_NONE ? ERASE_SKIP_PARENT
								    : ERASE_SKIP_NONE;
	return ERASE_SKIP_NONE;
}

const char *erase_skip_to_string(enum erase_skip s)
{
	static const char *const names[] = {
	    [ERASE_SKIP_NONE] = "erasable",
	    [ERASE_SKIP_HINT] = "matched by skip_block_devices",
	    [ERASE_SKIP_BOOT_MEDIA] = "the medium the ramdisk booted from",
	    [ERASE_SKIP_VMEDIA] = "virtual media device",
	    [ERASE_SKIP_RAID_MEMBER] = "RAID member device",
	    [ERASE_SKIP_READ_ONLY] = "read-only device",
	    [ERASE_SKIP_PARENT] = "partition of a skipped disk",
	};

	return (size_t)s < ELEMENTSOF(names) ? names[s] : "?";
}

static int name_cmp_reverse(const void *a, const void *b)
{
	const struct erase_device *x = a, *y = b;

	return -strcmp(x->name, y->name);
}

void erase_devices_sort_reverse(struct erase_device *d, size_t n)
{
	if (n > 1)
		qsort(d, n, sizeof(*d), name_cmp_reverse);
}

/* PARTTYPE and PARTUUID of a partition, from its disk's table (lsblk's from udev). */
static const char *guarded_partition(int root_fd, const struct erase_device *d)
{
	_cleanup_ptable_ struct ptable *t = NULL;
	const struct ptable_partition *p;
	_cleanup_close_ int fd = -1;
	char path[DISK_NAME_MAX + 8], s[GUID_STRING_MAX];

	snprintf(path, sizeof(path), "dev/%s", d->parent);
	fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || ptable_read(fd, 0, &t) < 0)
		return NULL;
	p = ptable_get_partition(t, d->partno);
	if (!p)
		return NULL;
	if (t->type == PTABLE_MBR) {
		snprintf(s, sizeof(s), "0x%02x", p->mbr_type);
		return guarded_id(s);
	}
	guid_to_string(p->type_guid, s);
	if (guarded_id(s))
		return guarded_id(s);
	guid_to_string(p->guid, s);
	return guarded_id(s);
}

int erase_select_guard(int root_fd, const struct erase_device *d, char **ret_error)
{
	const char *what = NULL;
	struct probe p;

	if (probe_device(root_fd, d->path, NULL, &p) == 0)
		what = p.guarded;
	if (!what && d->partition)
		what = guarded_partition(root_fd, d);
	if (!what)
		return 0;
	if (asprintf(ret_error,
		     "Protected %s located on device %s. This volume or contents may be a shared "
		     "block device. Please consult your storage administrator, and restart "
		     "cleaning after either detaching the volumes, or instructing IPA to not "
		     "protect contents. See Ironic Python Agent documentation for more "
		     "information.",
		     what, d->path) < 0)
		*ret_error = NULL;
	return -EPERM;
}
