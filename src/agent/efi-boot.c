#define _GNU_SOURCE 1 /* vasprintf() */
/*
 * UEFI variables through efivarfs, BootOrder and Boot####, and IPA's _run_efibootmgr() on top
 * of them. What IPA and efibootmgr behaviour is reproduced, and what is not, is in efi-boot.h.
 */

#include "agent/efi-boot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/macro.h"

#define EFIVARFS_MAGIC 0xde5e81e4

/* --- variables ------------------------------------------------------------------------------ */

static int var_path(const char *name, char buf[static 128])
{
	int n = snprintf(buf, 128, "%s-%s", name, EFI_GLOBAL_GUID_STR);

	return n > 0 && n < 128 && !strchr(name, '/') ? 0 : -EINVAL;
}

/*
 * Clears FS_IMMUTABLE_FL (efivarfs sets it on most variables). Returns 1 with *ret_flags the old
 * flags when it was set, 0 when not or when the file system has no flags (a test directory).
 */
static int make_mutable(int fd, int *ret_flags)
{
	int flags, r;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) {
		r = negative_errno();
		return r == -ENOTTY || r == -EOPNOTSUPP || r == -ENOSYS || r == -EINVAL ? 0 : r;
	}
	if (!(flags & FS_IMMUTABLE_FL))
		return 0;
	*ret_flags = flags;
	flags &= ~FS_IMMUTABLE_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
		return negative_errno();
	return 1;
}

int efi_variable_read(int efivars_fd, const char *name, uint32_t *ret_attributes, uint8_t **ret,
		      size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	char path[128];
	size_t size;
	int r;

	r = var_path(name, path);
	if (r < 0)
		return r;
	r = read_full_file_at(efivars_fd, path, EFI_VARIABLE_MAX, &buf, &size);
	if (r < 0)
		return r;
	if (size < 4)
		return -EBADMSG;
	if (ret_attributes)
		*ret_attributes = unaligned_read_le32((const uint8_t *)buf);
	memmove(buf, buf + 4, size - 4);
	*ret = (uint8_t *)TAKE_PTR(buf);
	*ret_size = size - 4;
	return 0;
}

int efi_variable_write(int efivars_fd, const char *name, uint32_t attributes, const void *data,
		       size_t size)
{
	_cleanup_close_ int rfd = -1, wfd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	int restore_fd = -1, flags = 0, r;
	struct stat rst, wst;
	struct statfs sfs;
	char path[128];

	r = var_path(name, path);
	if (r < 0)
		return r;
	if (size > EFI_VARIABLE_MAX - 4)
		return -EFBIG;

	/* As efivar: make an existing file mutable through a read-only fd, then open to write. */
	rfd = openat(efivars_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (rfd < 0 && errno != ENOENT)
		return negative_errno();
	if (rfd >= 0) {
		if (fstat(rfd, &rst) < 0)
			return negative_errno();
		r = make_mutable(rfd, &flags);
		if (r < 0)
			return r;
		if (r > 0)
			restore_fd = rfd;
	}
	wfd = openat(efivars_fd, path,
		     O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (rfd < 0 ? O_CREAT | O_EXCL : 0), 0644);
	if (wfd < 0)
		return negative_errno();
	if (rfd < 0) {
		if (make_mutable(wfd, &flags) > 0)
			restore_fd = wfd;
	} else if (fstat(wfd, &wst) < 0 || wst.st_dev != rst.st_dev || wst.st_ino != rst.st_ino) {
		r = -EINVAL; /* replaced between the two opens */
		goto out;
	}

	buf = malloc(4 + size);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	efi_put_le(buf, attributes, 4);
	if (size)
		memcpy(buf + 4, data, size);
	/* efivarfs takes a variable in one write() and replaces it; a plain file needs truncating.
	 */
	r = write_all(wfd, buf, 4 + size);
	if (r == 0 && fstatfs(wfd, &sfs) == 0 && sfs.f_type != EFIVARFS_MAGIC &&
	    ftruncate(wfd, (off_t)(4 + size)) < 0)
		r = negative_errno();
out:
	if (restore_fd >= 0)
		(void)ioctl(restore_fd, FS_IOC_SETFLAGS, &flags);
	return r;
}

int efi_variable_remove(int efivars_fd, const char *name)
{
	_cleanup_close_ int fd = -1;
	char path[128];
	int flags, r;

	r = var_path(name, path);
	if (r < 0)
		return r;
	fd = openat(efivars_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	r = make_mutable(fd, &flags);
	if (r < 0)
		return r;
	if (unlinkat(efivars_fd, path, 0) < 0)
		return negative_errno();
	return 0;
}

/* --- BootOrder and Boot#### ---------------------------------------------------------------- */

int efi_boot_order_get(int efivars_fd, uint16_t **ret, size_t *ret_n)
{
	_cleanup_free_ uint8_t *data = NULL;
	uint16_t *order;
	size_t size, n;
	int r;

	r = efi_variable_read(efivars_fd, "BootOrder", NULL, &data, &size);
	if (r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	n = size / 2;
	order = malloc(n ? n * sizeof(*order) : 1);
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = unaligned_read_le16(data + 2 * i);
	*ret = order;
	*ret_n = n;
	return 0;
}

/*
 * Rewrites BootOrder without num, with first (when >= 0) in front; an empty result deletes it.
 * Keeps the attributes less bit 31 (efibootmgr read_order(): Apple firmware sets it).
 */
static int boot_order_update(int efivars_fd, int first, uint16_t num)
{
	_cleanup_free_ uint8_t *data = NULL, *out = NULL;
	uint32_t attributes = EFI_VARIABLE_DEFAULT;
	size_t size = 0, n = 0;
	int r;

	r = efi_variable_read(efivars_fd, "BootOrder", &attributes, &data, &size);
	if (r == -ENOENT)
		attributes = EFI_VARIABLE_DEFAULT;
	else if (r < 0)
		return r;
	attributes &= ~(1u << 31);

	out = malloc(size + 2);
	if (!out)
		return -ENOMEM;
	if (first >= 0)
		efi_put_le(out + 2 * n++, (uint16_t)first, 2);
	for (size_t i = 0; i + 1 < size; i += 2)
		if (unaligned_read_le16(data + i) != num)
			efi_put_le(out + 2 * n++, unaligned_read_le16(data + i), 2);

	if (first < 0 && 2 * n == size - size % 2)
		return 0; /* num was not there */
	if (n == 0)
		return r == -ENOENT ? 0 : efi_variable_remove(efivars_fd, "BootOrder");
	return efi_variable_write(efivars_fd, "BootOrder", attributes, out, 2 * n);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* "Boot" + 4 hex digits + "-" + the global GUID in any case. */
static int boot_var_number(const char *name)
{
	char *end;
	unsigned long v;

	if (strncmp(name, "Boot", 4) != 0 || strlen(name) != 8 + 1 + 36 || name[8] != '-' ||
	    strcasecmp(name + 9, EFI_GLOBAL_GUID_STR) != 0)
		return -1;
	for (int i = 4; i < 8; i++)
		if (!isxdigit((unsigned char)name[i]))
			return -1;
	v = strtoul(name + 4, &end, 16);
	return end == name + 8 ? (int)v : -1;
}

int efi_boot_entry_list(int efivars_fd, uint16_t **ret, size_t *ret_n)
{
	_cleanup_free_ uint16_t *nums = NULL;
	size_t n = 0, alloc = 0, k = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(efivars_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return negative_errno();
	}
	while ((de = readdir(d))) {
		int v = boot_var_number(de->d_name);

		if (v < 0 || n >= 65536)
			continue;
		if (n == alloc) {
			uint16_t *t = realloc(nums, (alloc = alloc ? 2 * alloc : 16) * sizeof(*t));

			if (!t) {
				closedir(d);
				return -ENOMEM;
			}
			nums = t;
		}
		nums[n++] = (uint16_t)v;
	}
	closedir(d);

	if (n)
		qsort(nums, n, sizeof(*nums), cmp_u16);
	for (size_t i = 0; i < n; i++) /* Boot000a and Boot000A are one number */
		if (k == 0 || nums[k - 1] != nums[i])
			nums[k++] = nums[i];
	if (!nums && !(nums = malloc(sizeof(*nums))))
		return -ENOMEM;
	*ret = TAKE_PTR(nums);
	*ret_n = k;
	return 0;
}

int efi_boot_entry_get(int efivars_fd, uint16_t num, struct efi_load_option *ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	char name[16];
	int r;

	snprintf(name, sizeof(name), "Boot%04X", num);
	r = efi_variable_read(efivars_fd, name, NULL, &data, &size);
	if (r == -ENOENT) {
		snprintf(name, sizeof(name), "Boot%04x", num);
		r = efi_variable_read(efivars_fd, name, NULL, &data, &size);
	}
	if (r < 0)
		return r;
	return efi_load_option_parse(data, size, ret);
}

int efi_boot_entry_remove(int efivars_fd, uint16_t num)
{
	char name[16];
	int r;

	snprintf(name, sizeof(name), "Boot%04X", num);
	r = efi_variable_remove(efivars_fd, name);
	if (r == -ENOENT) {
		snprintf(name, sizeof(name), "Boot%04x", num);
		r = efi_variable_remove(efivars_fd, name);
	}
	if (r < 0)
		return r;
	return boot_order_update(efivars_fd, -1, num);
}

int efi_boot_entry_add(int efivars_fd, const char *label, const struct efi_partition *part,
		       const char *loader, uint16_t *ret_num)
{
	_cleanup_free_ uint16_t *nums = NULL;
	_cleanup_free_ uint8_t *opt = NULL;
	size_t n, opt_size;
	uint32_t num = 0;
	char name[16];
	int r;

	r = efi_load_option_build(label, part, loader, &opt, &opt_size);
	if (r < 0)
		return r;
	r = efi_boot_entry_list(efivars_fd, &nums, &n);
	if (r < 0)
		return r;
	/* efibootmgr find_free_var(): the lowest number no variable has. */
	for (size_t i = 0; i < n && nums[i] == num; i++)
		num++;
	if (num > UINT16_MAX)
		return -ENOSPC;

	snprintf(name, sizeof(name), "Boot%04X", (unsigned)num);
	r = efi_variable_write(efivars_fd, name, EFI_VARIABLE_DEFAULT, opt, opt_size);
	if (r < 0)
		return r;
	r = boot_order_update(efivars_fd, (int)num, (uint16_t)num);
	if (r < 0)
		return r;
	if (ret_num)
		*ret_num = (uint16_t)num;
	return 0;
}

/* --- IPA's _run_efibootmgr() ------------------------------------------------------------------ */

struct boot_record {
	uint16_t num;
	char *description; /* as get_boot_records() captures it: surrounding blanks dropped */
	bool removed;
};

static char *strip_blanks(char *s)
{
	size_t len;

	while (*s && isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = 0;
	return s;
}

/*
 * The entries get_boot_records() sees: readable, parseable, with a device path whose text
 * starts with a kind IPA's regex names. Others are skipped (never deleted), as IPA skips lines
 * its regex does not match.
 */
static int boot_records_get(int efivars_fd, struct boot_record **ret, size_t *ret_n)
{
	_cleanup_free_ uint16_t *nums = NULL;
	struct boot_record *recs;
	size_t n, k = 0;
	int r;

	r = efi_boot_entry_list(efivars_fd, &nums, &n);
	if (r < 0)
		return r;
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct efi_load_option o;
		char *d;

		if (efi_boot_entry_get(efivars_fd, nums[i], &o) < 0)
			continue;
		if (efi_device_path_kind(o.file_path, o.file_path_size)) {
			d = strdup(strip_blanks(o.description));
			if (d)
				recs[k++] = (struct boot_record){.num = nums[i], .description = d};
		}
		efi_load_option_done(&o);
	}
	*ret = recs;
	*ret_n = k;
	return 0;
}

static void set_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static void set_error(char **ret_error, const char *fmt, ...)
{
	va_list ap;

	if (!ret_error)
		return;
	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
}

int efi_boot_install(int efivars_fd, const struct efi_partition *part,
		     const struct efi_loader *loaders, size_t n_loaders, char **ret_error)
{
	struct boot_record *recs = NULL;
	size_t n_recs = 0;
	int r;

	r = boot_records_get(efivars_fd, &recs, &n_recs);
	if (r < 0) {
		set_error(ret_error, "could not read the boot entries: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n_loaders && r >= 0; i++) {
		const struct efi_loader *l = &loaders[i];

		for (size_t j = 0; j < n_recs && r >= 0; j++) {
			if (recs[j].removed || strcmp(recs[j].description, l->label) != 0)
				continue;
			r = efi_boot_entry_remove(efivars_fd, recs[j].num);
			if (r < 0)
				set_error(ret_error, "could not delete boot entry Boot%04X: %s",
					  recs[j].num, strerror(-r));
			recs[j].removed = true;
		}
		if (r < 0)
			break;
		r = efi_boot_entry_add(efivars_fd, l->label, part, l->path, NULL);
		if (r < 0)
			set_error(ret_error, "could not add boot entry '%s' for %s: %s", l->label,
				  l->path, strerror(-r));
	}
	for (size_t j = 0; j < n_recs; j++)
		free(recs[j].description);
	free(recs);
	return r < 0 ? r : 0;
}
