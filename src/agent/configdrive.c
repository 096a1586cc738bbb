/*
 * configdrive: IPA's partition_utils.create_config_drive_partition() and get_configdrive() for
 * whole-disk images, on top of ptable; see configdrive.h for the steps and what is left out.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/configdrive.h"
#include "agent/ptable.h"
#include "basic/macro.h"
#include "basic/hexdecoct.h"

#define MIB UINT64_C(1048576)

/* gdisk's DEFAULT_GPT_TYPE on Linux (0x8300): 0fc63daf-8483-4772-8e79-3d69d8477de4. */
static const uint8_t linux_fs_type[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
					  0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};

static int fail(char *err, size_t err_size, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(char *err, size_t err_size, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* Python's non-strict b64decode: skips other characters, stops at complete padding. */
static int base64_decode(const uint8_t *in, size_t size, uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ uint8_t *out = malloc(size / 4 * 3 + 3);
	size_t n = 0, o = 0, pads = 0;
	uint32_t acc = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < size; i++) {
		int v = base64_value((char)in[i]);

		if (in[i] == '=') {
			if (n % 4 < 2)
				continue; /* padding where none can be: skipped, as Python does */
			if (++pads + n % 4 == 4)
				break;
			continue;
		}
		if (v < 0 || pads > 0)
			continue;
		acc = acc << 6 | (uint32_t)v;
		if (++n % 4 == 0) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (n % 4 == 1 || (n % 4 != 0 && pads + n % 4 != 4))
		return -EBADMSG;
	if (n % 4 == 2)
		out[o++] = (uint8_t)(acc >> 4);
	else if (n % 4 == 3) {
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
	*ret = TAKE_PTR(out);
	*ret_size = o;
	return 0;
}

/* Concatenated gzip members, then only zero bytes, as Python's GzipFile accepts. */
static int gunzip(const uint8_t *in, size_t size, size_t max, uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t cap = 0, o = 0, i = 0;
	z_stream zs = {0};
	int r = 0, z;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	while (i < size) {
		while (i < size && in[i] == 0)
			i++;
		if (i == size)
			break;
		if (size - i < 2 || in[i] != 0x1f || in[i + 1] != 0x8b) {
			r = -EBADMSG;
			break;
		}
		inflateReset(&zs);
		zs.next_in = (Bytef *)(in + i);
		zs.avail_in = (uInt)MIN(size - i, (size_t)UINT32_MAX);
		do {
			if (o == cap) {
				size_t ncap = cap ? cap * 2 : 65536;
				uint8_t *n;

				if (cap >= max + 1) {
					r = -EFBIG;
					break;
				}
				ncap = MIN(ncap, max + 1);
				n = realloc(out, ncap);
				if (!n) {
					r = -ENOMEM;
					break;
				}
				out = n, cap = ncap;
			}
			zs.next_out = out + o;
			zs.avail_out = (uInt)MIN(cap - o, (size_t)UINT32_MAX);
			z = inflate(&zs, Z_NO_FLUSH);
			o = (size_t)(zs.next_out - out);
			if (o > max)
				r = -EFBIG;
			else if (z != Z_OK && z != Z_STREAM_END)
				r = z == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
			else if (z == Z_OK && zs.avail_in == 0 && zs.avail_out > 0)
				r = -EBADMSG; /* truncated */
		} while (r == 0 && z != Z_STREAM_END);
		if (r < 0)
			break;
		i = (size_t)(zs.next_in - in);
	}
	inflateEnd(&zs);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	*ret_size = o;
	return 0;
}

int configdrive_decode(const void *data, size_t size, bool raw_ok, size_t max, uint8_t **ret,
		       size_t *ret_size, char *err, size_t err_size)
{
	_cleanup_free_ uint8_t *raw = NULL, *out = NULL;
	size_t raw_size = 0, out_size = 0;
	int r;

	r = base64_decode(data, size, &raw, &raw_size);
	if (r == -EBADMSG && raw_ok) {
		/* Downloaded bytes that are not base64 are the config drive itself. */
		if (size > max)
			return fail(err, err_size, -EFBIG,
				    "Config drive size exceeds maximum limit of %zu bytes", max);
		out = malloc(size ? size : 1);
		if (!out)
			return -ENOMEM;
		memcpy(out, data, size);
		*ret = TAKE_PTR(out);
		*ret_size = size;
		return 0;
	}
	if (r < 0)
		return fail(err, err_size, r,
			    "Config drive is not base64 encoded or the content is malformed");
	r = gunzip(raw, raw_size, max, &out, &out_size);
	if (r == -EFBIG)
		return fail(err, err_size, r,
			    "Config drive size exceeds maximum limit of %zu bytes", max);
	if (r < 0)
		return fail(err, err_size, r,
			    "Encountered error while decompressing config drive: %s",
			    r == -EBADMSG ? "not gzipped or corrupt" : strerror(-r));
	if (!out && !(out = malloc(1)))
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	*ret_size = out_size;
	return 0;
}

int configdrive_partition_path(const char *disk, unsigned number, char *buf, size_t size)
{
	size_t len = strlen(disk);
	const char *sep = "";
	int n;

	if (strstr(disk, "iqn."))
		sep = "-part";
	else if (len > 0 && disk[len - 1] >= '0' && disk[len - 1] <= '9')
		sep = "p";
	n = snprintf(buf, size, "%s%s%u", disk, sep, number);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The file system label of a partition, as lsblk shows it (from libblkid). 1 if it matches. */
static int has_label(int fd, const struct ptable *t, const struct ptable_partition *p,
		     const char *label)
{
	uint64_t off = p->first_lba * t->sector_size;
	uint64_t len = (p->last_lba - p->first_lba + 1) * t->sector_size;
	const char *value = NULL;
	blkid_probe pr;
	int r = 0;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)len) == 0) {
		blkid_probe_enable_partitions(pr, 0);
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL);
		if (blkid_do_safeprobe(pr) == 0 &&
		    blkid_probe_lookup_value(pr, "LABEL", &value, NULL) == 0)
			r = strcasecmp(value, label) == 0;
	}
	blkid_free_probe(pr);
	return r;
}

/* gdisk's ComputeAlignment(): 1 MiB, lowered to what the existing partitions start on. */
static uint64_t gdisk_alignment(const struct ptable *t)
{
	uint64_t align = 2048 * 512 / t->sector_size;

	for (size_t i = 0; i < t->n_partitions; i++)
		while (align > 1 && t->partitions[i].first_lba % align != 0)
			align /= 2;
	if (align < 8 && t->n_sectors >= UINT64_C(585937500))
		align = 8;
	return align;
}

/* gdisk's Align(): down when the sectors in between are free, else up. */
static uint64_t gdisk_align(const struct ptable *t, uint64_t s, uint64_t align)
{
	uint64_t earlier = s / align * align, later = earlier + align;

	if (s % align == 0)
		return s;
	if (earlier >= t->gpt_first_usable && ptable_range_is_free(t, earlier, s - 1))
		return earlier;
	if (later <= t->gpt_last_usable && ptable_range_is_free(t, s + 1, later))
		return later;
	return s;
}

/* sgdisk -n 0:-64MB:0 */
static int place_gpt(const struct ptable *t, uint64_t *first, uint64_t *last)
{
	uint64_t align = gdisk_alignment(t), low, high, want, start;

	/* The default range is the largest free area; "-64MB" counts back from its end. */
	if (ptable_largest_free(t, &low, &high) < 0)
		return -ENOSPC;
	want = CONFIGDRIVE_MAX_MB * MIB / t->sector_size;
	if (want > high)
		return -ENOSPC;
	start = gdisk_align(t, high - want, align);
	if (!ptable_range_is_free(t, start, high))
		return -ENOSPC;
	*first = start;
	*last = high;
	return 0;
}

/* parted -a optimal -s -- <disk> mkpart primary fat32 <start> <end> */
static int place_mbr(const struct ptable *t, uint64_t *first, uint64_t *last)
{
	uint64_t ss = t->sector_size, grain = MIB / ss, disk_mb = t->n_sectors * ss / MIB;

	if (disk_mb > CONFIGDRIVE_MBR_LIMIT_MB) {
		/* Plain numbers are megabytes (10^6) to parted; it picks the nearest MiB. */
		uint64_t s = (CONFIGDRIVE_MBR_LIMIT_MB - CONFIGDRIVE_MAX_MB - 1) * 1000000 / ss;
		uint64_t e = (CONFIGDRIVE_MBR_LIMIT_MB - 1) * 1000000 / ss;

		*first = (s + grain / 2) / grain * grain;
		*last = (e + grain / 2) / grain * grain - 1;
	} else {
		*last = t->n_sectors - 1;
		*first = (t->n_sectors - CONFIGDRIVE_MAX_MB * MIB / ss + grain - 1) / grain * grain;
	}
	return ptable_range_is_free(t, *first, *last) ? 0 : -ENOSPC;
}

static int create_partition(int fd, struct ptable *t, struct configdrive_result *res, char *err,
			    size_t err_size)
{
	uint8_t guid[16];
	uint64_t first, last;
	int r;

	if (t->type == PTABLE_GPT) {
		if (getrandom(guid, sizeof(guid), 0) != sizeof(guid))
			return fail(err, err_size, -EIO, "cannot get random bytes for a uuid");
		guid[7] = (guid[7] & 0x0f) | 0x40; /* version 4, stored little endian */
		guid[8] = (guid[8] & 0x3f) | 0x80;
		r = place_gpt(t, &first, &last);
	} else {
		size_t primary = 0;

		for (size_t i = 0; i < t->n_partitions; i++)
			primary += !t->partitions[i].logical;
		if (primary > 3)
			return fail(err, err_size, -E2BIG,
				    "Config drive cannot be created. Disk uses MBR partitioning "
				    "and already has %zu primary partitions",
				    primary);
		memset(guid, 0, sizeof(guid));
		r = place_mbr(t, &first, &last);
	}
	if (r < 0)
		return fail(err, err_size, r,
			    "no free space of %d MiB for the config drive partition",
			    CONFIGDRIVE_MAX_MB);
	r = ptable_add_partition(t, first, last, linux_fs_type, guid, 0x0c, &res->number);
	if (r == -E2BIG)
		return fail(err, err_size, r, "no free partition table entry for the config drive");
	if (r < 0)
		return fail(err, err_size, r, "cannot add the config drive partition: %s",
			    strerror(-r));
	r = ptable_write(t, fd);
	if (r < 0)
		return fail(err, err_size, r, "cannot write the partition table: %s", strerror(-r));
	res->created = true;
	if (t->type == PTABLE_GPT)
		guid_to_string(guid, res->uuid);
	return 0;
}

static int write_data(int fd, uint64_t off, const uint8_t *data, size_t size)
{
	while (size > 0) {
		ssize_t n = pwrite(fd, data, MIN(size, (size_t)MIB), (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? negative_errno() : -EIO;
		data += n, size -= (size_t)n, off += (uint64_t)n;
	}
	return fsync(fd) < 0 ? negative_errno() : 0;
}

int configdrive_write(int fd, const char *disk_path, const void *data, size_t size,
		      struct configdrive_result *ret, char *err, size_t err_size)
{
	_cleanup_ptable_ struct ptable *t = NULL;
	struct configdrive_result res = {0};
	const struct ptable_partition *found = NULL, *p;
	uint64_t mb = (size + MIB - 1) / MIB, capacity;
	struct stat st;
	int r;

	r = ptable_read(fd, 0, &t);
	if (r == -ENOMSG)
		return fail(err, err_size, r, "no partition table on %s", disk_path);
	if (r == -EBADMSG)
		return fail(err, err_size, r, "corrupt partition table on %s", disk_path);
	if (r < 0)
		return fail(err, err_size, r, "cannot read the partition table of %s: %s",
			    disk_path, strerror(-r));

	for (size_t i = 0; i < t->n_partitions; i++) {
		p = &t->partitions[i];
		if (p->extended)
			continue;
		r = has_label(fd, t, p, CONFIGDRIVE_LABEL);
		if (r < 0)
			return fail(err, err_size, r, "cannot probe partitions of %s", disk_path);
		if (r == 0)
			continue;
		if (found) {
			char a[CONFIGDRIVE_PATH_MAX], b[CONFIGDRIVE_PATH_MAX];

			configdrive_partition_path(disk_path, found->number, a, sizeof(a));
			configdrive_partition_path(disk_path, p->number, b, sizeof(b));
			return fail(err, err_size, -ENOTUNIQ,
				    "More than one partition with label \"%s\" exists on device "
				    "%s: %s and %s",
				    CONFIGDRIVE_LABEL, disk_path, a, b);
		}
		found = p;
	}
	if (mb > CONFIGDRIVE_MAX_MB)
		return fail(err, err_size, -EFBIG,
			    "Config drive size exceeds maximum limit of 64MiB. Size of the given "
			    "config drive is %llu MiB",
			    (unsigned long long)mb);

	if (t->type == PTABLE_GPT) {
		unsigned number = found ? found->number : 0;

		r = ptable_gpt_move_backup_to_end(t);
		if (r > 0)
			r = ptable_write(t, fd);
		if (r < 0)
			return fail(err, err_size, r,
				    "Failed to fix GPT data structures on disk %s", disk_path);
		found = found ? ptable_get_partition(t, number) : NULL;
	}
	if (found) {
		res.number = found->number;
		p = found;
	} else {
		r = create_partition(fd, t, &res, err, err_size);
		if (r < 0)
			return r;
		p = ptable_get_partition(t, res.number);
		if (!p)
			return fail(err, err_size, -EIO, "config drive partition not found");
	}
	res.first_lba = p->first_lba;
	res.last_lba = p->last_lba;
	capacity = (p->last_lba - p->first_lba + 1) * t->sector_size;
	if (size > capacity)
		return fail(
		    err, err_size, -ENOSPC,
		    "config drive of %zu bytes does not fit into its partition of %llu bytes", size,
		    (unsigned long long)capacity);
	r = configdrive_partition_path(disk_path, res.number, res.path, sizeof(res.path));
	if (r < 0)
		return fail(err, err_size, r, "partition name of %s too long", disk_path);
	r = write_data(fd, p->first_lba * t->sector_size, data, size);
	if (r < 0)
		return fail(err, err_size, r, "cannot write the config drive to %s: %s", res.path,
			    strerror(-r));
	/* Like partprobe: the kernel learns the new partition (fails harmlessly when busy). */
	if (res.created && fstat(fd, &st) == 0 && S_ISBLK(st.st_mode))
		(void)ioctl(fd, BLKRRPART);
	*ret = res;
	return 0;
}
