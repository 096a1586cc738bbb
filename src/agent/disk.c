/* The machine's disks, read from sysfs as IPA's list_all_block_devices() sees them: see disk.h. */

#define _GNU_SOURCE 1 /* asprintf(), strverscmp() */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/disk.h"
#include "basic/dirent-util.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"

#define LINK_MAX_LEN 1024

/* The names in dirfd/path (not "." and ".."), sorted in version order; at most max. */
static int dir_names(int dirfd, const char *path, size_t max, char ***ret)
{
	char **l;
	size_t n;
	int r = dir_names_at(dirfd, path, max, &l);

	if (r < 0)
		return r;
	n = strv_length(l);
	for (size_t i = 1; i < n; i++) /* insertion sort: directories here are small */
		for (size_t j = i; j > 0 && strverscmp(l[j - 1], l[j]) > 0; j--) {
			char *t = l[j];
			l[j] = l[j - 1];
			l[j - 1] = t;
		}
	*ret = l;
	return 0;
}

/* Python's str.strip() for ASCII blanks, in place. */
static char *strip(char *s)
{
	size_t len;

	while (*s && isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* Strips, then replaces each inner run of blanks with one sep (lsblk ' ', udev '_'). */
static void squeeze(char *s, char sep)
{
	char *w = s, *r = strip(s);
	bool blank = false;

	for (; *r; r++) {
		if (isspace((unsigned char)*r)) {
			blank = true;
			continue;
		}
		if (blank)
			*w++ = sep;
		blank = false;
		*w++ = *r;
	}
	*w = '\0';
}

/* A heap copy of s, or NULL for NULL or (when !keep_empty) "". -ENOMEM is reported via *r. */
static char *dup_value(const char *s, bool keep_empty, int *r)
{
	char *c;

	if (!s || (!keep_empty && !*s))
		return NULL;
	c = strdup(s);
	if (!c)
		*r = -ENOMEM;
	return c;
}

/* The first line of dirfd/path without trailing blanks into buf, or false when absent/too long. */
static bool read_attr(int dirfd, const char *path, char buf[static DISK_VALUE_MAX])
{
	return read_line_at(dirfd, path, buf, DISK_VALUE_MAX) >= 0;
}

/* "0000:00:1f.2": a PCI device name. */
static bool is_pci_name(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

static bool has_prefix_num(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 && isdigit((unsigned char)s[n]) &&
	       strspn(s + n, "0123456789") == strlen(s + n);
}

/* The sysfs device path of a block device, split: the components below "devices", without
 * the trailing "block/<name>" or "<name>". */
struct devpath {
	char buf[LINK_MAX_LEN];
	char *comp[64];
	size_t n;
};

static int devpath_read(int block_fd, const char *name, struct devpath *p)
{
	char *s, *save = NULL;
	ssize_t k;
	size_t start = 0;

	k = readlinkat(block_fd, name, p->buf, sizeof(p->buf) - 1);
	if (k < 0 || (size_t)k >= sizeof(p->buf) - 1)
		return -EINVAL;
	p->buf[k] = '\0';
	p->n = 0;
	for (s = strtok_r(p->buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (p->n == ELEMENTSOF(p->comp))
			return -E2BIG;
		p->comp[p->n++] = s;
		if (strcmp(s, "devices") == 0)
			start = p->n;
	}
	memmove(p->comp, p->comp + start, (p->n - start) * sizeof(char *));
	p->n -= start;
	if (p->n > 0 && strcmp(p->comp[p->n - 1], name) == 0)
		p->n--;
	if (p->n > 0 && strcmp(p->comp[p->n - 1], "block") == 0)
		p->n--;
	return 0;
}

/* Joins comp[0..n) below sys/devices into buf, relative to the root. */
static void devpath_dir(const struct devpath *p, size_t n, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "sys/devices");

	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "/%s", p->comp[i]);
}

static const char *devpath_find(const struct devpath *p, const char *prefix, size_t *idx)
{
	for (size_t i = 0; i < p->n; i++)
		if (strncmp(p->comp[i], prefix, strlen(prefix)) == 0) {
			if (idx)
				*idx = i;
			return p->comp[i];
		}
	return NULL;
}

/* lsblk's TRAN from the device path (sysfs transport classes, then the bus in the path). */
static const char *disk_tran(const char *name, const struct devpath *p, bool scsi)
{
	if (strncmp(name, "nvme", 4) == 0)
		return "nvme";
	if (!scsi)
		return NULL;
	if (devpath_find(p, "rport-", NULL))
		return "fc";
	if (devpath_find(p, "end_device-", NULL))
		return "sas";
	if (devpath_find(p, "session", NULL))
		return "iscsi";
	for (size_t i = 0; i < p->n; i++) {
		if (strncmp(p->comp[i], "usb", 3) == 0)
			return "usb";
		if (has_prefix_num(p->comp[i], "ata"))
			return "sata";
	}
	return NULL;
}

/* The by-path name systemd's path_id gives the disk, for the PCI cases of disk.h. */
static int disk_path_id(int root_fd, int disk_fd, const char *name, const struct devpath *p,
			char **ret)
{
	char dir[LINK_MAX_LEN + 64], val[DISK_VALUE_MAX], tail[DISK_VALUE_MAX + 32];
	unsigned h, c, t, l;
	size_t i = 0, pci;

	*ret = NULL;
	if (strncmp(name, "vd", 2) == 0) {
		if (!devpath_find(p, "virtio", &i) || !has_prefix_num(p->comp[i], "virtio"))
			return 0;
		tail[0] = '\0';
	} else if (strncmp(name, "nvme", 4) == 0) {
		const char *n = strrchr(name, 'n');

		if (!devpath_find(p, "nvme", &i) || strcmp(p->comp[i], "nvme") != 0)
			return 0;
		if (!read_attr(disk_fd, "nsid", val)) {
			if (!n || n == name || !isdigit((unsigned char)n[1]))
				return 0;
			snprintf(val, sizeof(val), "%s", n + 1);
		}
		snprintf(tail, sizeof(tail), "-nvme-%s", val);
	} else if (p->n > 0 && sscanf(p->comp[p->n - 1], "%u:%u:%u:%u", &h, &c, &t, &l) == 4) {
		size_t host;
		unsigned base = h, m;
		_cleanup_strv_free_ char **hosts = NULL;

		if (devpath_find(p, "ata", &i) && has_prefix_num(p->comp[i], "ata")) {
			devpath_dir(p, i + 1, dir, sizeof(dir));
			snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir),
				 "/ata_port/%s/port_no", p->comp[i]);
			if (!read_attr(root_fd, dir, val))
				return 0;
			if (c != 0)
				snprintf(tail, sizeof(tail), "-ata-%s.%u.0", val, c);
			else
				snprintf(tail, sizeof(tail), "-ata-%s.%u", val, t);
		} else {
			/* SAS, FC, iSCSI, Hyper-V, USB have names of their own: not covered */
			if (devpath_find(p, "end_device-", NULL) ||
			    devpath_find(p, "rport-", NULL) || devpath_find(p, "session", NULL) ||
			    devpath_find(p, "vmbus_", NULL) || devpath_find(p, "usb", NULL))
				return 0;
			if (!devpath_find(p, "host", &host) || host == 0)
				return 0;
			i = host;
			if (host > 0 && has_prefix_num(p->comp[host - 1], "virtio"))
				i = host - 1;
			/* path_id numbers hosts from the lowest one of the same parent */
			devpath_dir(p, host, dir, sizeof(dir));
			if (dir_names(root_fd, dir, 4096, &hosts) < 0)
				return 0;
			for (char **s = hosts; *s; s++)
				if (has_prefix_num(*s, "host") && sscanf(*s, "host%u", &m) == 1 &&
				    m < base)
					base = m;
			snprintf(tail, sizeof(tail), "-scsi-%u:%u:%u:%u", h - base, c, t, l);
		}
	} else
		return 0;

	if (i == 0 || !is_pci_name(p->comp[i - 1]))
		return 0;
	pci = i - 1;
	if (asprintf(ret, "/dev/disk/by-path/pci-%s%s", p->comp[pci], tail) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* "/dev/disk/by-path/" + target, with "." and ".." resolved; false when too long. */
static bool resolve_link(const char *target, char *out, size_t size)
{
	char buf[LINK_MAX_LEN * 2], *s, *save = NULL;
	size_t len = 0;

	if (snprintf(buf, sizeof(buf), "%s%s", target[0] == '/' ? "" : "/dev/disk/by-path/",
		     target) >= (int)sizeof(buf))
		return false;
	out[0] = '\0';
	for (s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (strcmp(s, ".") == 0)
			continue;
		if (strcmp(s, "..") == 0) {
			while (len > 0 && out[--len] != '/')
				;
			out[len] = '\0';
			continue;
		}
		if (len + 1 + strlen(s) >= size)
			return false;
		len += (size_t)sprintf(out + len, "/%s", s);
	}
	return true;
}

/* The last (in sorted order) dev/disk/by-path link of the root that points at path. */
static int by_path_link(int root_fd, char **links, const char *path, char **ret)
{
	char target[LINK_MAX_LEN], dev[LINK_MAX_LEN];
	_cleanup_close_ int fd = -1;
	const char *found = NULL;

	*ret = NULL;
	if (!links)
		return 0;
	fd = openat(root_fd, "dev/disk/by-path", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (char **l = links; *l; l++) {
		ssize_t k = readlinkat(fd, *l, target, sizeof(target) - 1);

		if (k <= 0 || (size_t)k >= sizeof(target) - 1)
			continue;
		target[k] = '\0';
		if (resolve_link(target, dev, sizeof(dev)) && strcmp(dev, path) == 0)
			found = *l;
	}
	if (found && asprintf(ret, "/dev/disk/by-path/%s", found) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The ATA model from the IDENTIFY data in VPD page 0x89 (words 27-46, byte-swapped). */
static bool ata_model(int disk_fd, char out[static DISK_VALUE_MAX])
{
	_cleanup_free_ char *pg = NULL;
	size_t size, k = 0;
	const size_t id = 60, word = 27, chars = 40;

	if (read_full_file_at(disk_fd, "device/vpd_pg89", 1024, &pg, &size) < 0 ||
	    size < id + 512 || (unsigned char)pg[1] != 0x89)
		return false;
	for (size_t i = 0; i < chars; i += 2) {
		out[k++] = pg[id + 2 * word + i + 1];
		out[k++] = pg[id + 2 * word + i];
	}
	out[k] = '\0';
	for (size_t i = 0; i < k; i++)
		if (!isprint((unsigned char)out[i]))
			out[i] = ' ';
	squeeze(out, ' ');
	return out[0] != '\0';
}

/* The unit serial number from VPD page 0x80. */
static bool vpd_serial(int disk_fd, char out[static DISK_VALUE_MAX])
{
	_cleanup_free_ char *pg = NULL;
	size_t size, len;

	if (read_full_file_at(disk_fd, "device/vpd_pg80", 1024, &pg, &size) < 0 || size < 4 ||
	    (unsigned char)pg[1] != 0x80)
		return false;
	len = MIN((size_t)(unsigned char)pg[3], size - 4);
	if (len >= DISK_VALUE_MAX || memchr(pg + 4, '\0', len))
		return false;
	memcpy(out, pg + 4, len);
	out[len] = '\0';
	squeeze(out, '_');
	return out[0] != '\0';
}

/* ID_WWN* from the kernel's wwid of a SCSI device, as scsi_id and ata_id give them. */
static int disk_wwn(struct disk *d, const char *wwid)
{
	size_t n = strlen(wwid + 4);
	int r = 0;

	if (strncmp(wwid, "naa.", 4) != 0 || n < 16 || strspn(wwid + 4, "0123456789abcdef") != n)
		return 0;
	if (asprintf(&d->wwn, "0x%.16s", wwid + 4) < 0 ||
	    asprintf(&d->wwn_with_extension, "0x%s", wwid + 4) < 0 ||
	    (n > 16 && asprintf(&d->wwn_vendor_extension, "0x%s", wwid + 4 + 16) < 0))
		r = -ENOMEM;
	return r;
}

/* Fills d for block device name; returns 1 to keep it, 0 to skip it, or a negative errno. */
static int disk_read(int root_fd, int block_fd, char **links, const char *name, struct disk *d)
{
	static const char *const skip_prefix[] = {"ram", "zram", "fd", "loop"};
	char val[DISK_VALUE_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_strv_free_ char **slaves = NULL, **sdev = NULL;
	struct devpath dp = {.n = 0};
	unsigned long long sectors;
	char *end;
	bool scsi;
	int r = 0;

	if (strlen(name) > DISK_NAME_MAX)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(skip_prefix); i++)
		if (strncmp(name, skip_prefix[i], strlen(skip_prefix[i])) == 0)
			return 0;
	fd = openat(block_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (dir_names(fd, "slaves", 4096, &slaves) >= 0 && slaves[0])
		return 0;
	if (faccessat(fd, "dm", F_OK, 0) == 0 || faccessat(fd, "loop", F_OK, 0) == 0)
		return 0;
	if (read_attr(fd, "device/type", val) && strcmp(val, "0") != 0)
		return 0;
	if (!read_attr(fd, "size", val))
		return 0;
	errno = 0;
	sectors = strtoull(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-' || sectors == 0 ||
	    sectors > UINT64_MAX / 512)
		return 0;

	d->size = sectors * 512;
	d->name = dup_value(name, false, &r);
	if (asprintf(&d->path, "/dev/%s", name) < 0)
		d->path = NULL, r = -ENOMEM;
	d->rotational = read_attr(fd, "queue/rotational", val) && strcmp(val, "1") == 0;

	(void)devpath_read(block_fd, name, &dp);
	scsi = dir_names(fd, "device/scsi_device", 64, &sdev) >= 0 && sdev[0];
	if (scsi)
		d->hctl = dup_value(sdev[0], false, &r);

	if ((scsi && ata_model(fd, val)) || read_attr(fd, "device/model", val)) {
		squeeze(val, ' ');
		d->model = dup_value(val, false, &r);
	}
	if (read_attr(fd, "device/vendor", val))
		d->vendor = dup_value(strip(val), true, &r);
	if (vpd_serial(fd, val) || read_attr(fd, "device/serial", val) ||
	    read_attr(fd, "serial", val))
		d->serial = dup_value(val, false, &r);
	if (strncmp(name, "nvme", 4) == 0) {
		if (read_attr(fd, "wwid", val))
			d->wwn = dup_value(val, false, &r);
	} else if (scsi && read_attr(fd, "device/wwid", val) && r == 0)
		r = disk_wwn(d, val);

	d->tran = dup_value(disk_tran(name, &dp, scsi), false, &r);
	if (r == 0 && d->path)
		r = by_path_link(root_fd, links, d->path, &d->by_path);
	if (r == 0 && !d->by_path)
		r = disk_path_id(root_fd, fd, name, &dp, &d->by_path);
	return r < 0 ? r : 1;
}

static void disk_done(struct disk *d)
{
	char **fields[] = {&d->name,
			   &d->path,
			   &d->model,
			   &d->vendor,
			   &d->serial,
			   &d->wwn,
			   &d->wwn_with_extension,
			   &d->wwn_vendor_extension,
			   &d->hctl,
			   &d->by_path,
			   &d->tran};

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
}

void disk_list_free(struct disk *disks, size_t n)
{
	for (size_t i = 0; disks && i < n; i++)
		disk_done(&disks[i]);
	free(disks);
}

int disk_list(int root_fd, struct disk **ret, size_t *n_ret)
{
	_cleanup_strv_free_ char **names = NULL, **links = NULL;
	_cleanup_close_ int block_fd = -1;
	struct disk *disks = NULL;
	size_t n = 0;
	int r;

	block_fd = openat(root_fd, "sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (block_fd < 0)
		return negative_errno();
	r = dir_names(root_fd, "sys/block", DISK_MAX * 4, &names);
	if (r < 0)
		return r;
	if (dir_names(root_fd, "dev/disk/by-path", DISK_MAX * 16, &links) < 0)
		links = NULL; /* no udev: names come from path_id rules below */

	for (char **name = names; *name; name++) {
		struct disk d = {.size = 0};

		r = disk_read(root_fd, block_fd, links, *name, &d);
		if (r <= 0) {
			disk_done(&d);
			if (r < 0)
				goto fail;
			continue;
		}
		if (n == DISK_MAX) {
			disk_done(&d);
			r = -E2BIG;
			goto fail;
		}
		if (n % 16 == 0) {
			struct disk *t = realloc(disks, (n + 16) * sizeof(*disks));

			if (!t) {
				disk_done(&d);
				r = -ENOMEM;
				goto fail;
			}
			disks = t;
		}
		disks[n++] = d;
	}
	*ret = n > 0 ? disks : (free(disks), NULL);
	*n_ret = n;
	return 0;
fail:
	disk_list_free(disks, n);
	return r;
}

const struct disk *disk_find(const struct disk *disks, size_t n, const char *name)
{
	const char *kname = strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;

	for (size_t i = 0; i < n; i++)
		if (strcmp(disks[i].name, kname) == 0)
			return &disks[i];
	return NULL;
}
