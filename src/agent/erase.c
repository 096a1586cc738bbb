#define _GNU_SOURCE 1 /* asprintf(), O_DIRECT */

/*
 * The erase steps: IPA's GenericHardwareManager.erase_devices_metadata(), erase_devices(),
 * erase_block_device(), _shred_block_device(), erase_devices_express() and erase_pstore(),
 * with disk_utils.destroy_disk_metadata()'s wipefs/dd/sgdisk and shred done in C. See erase.h.
 */

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/command.h"
#include "agent/erase-secure.h"
#include "agent/erase.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/unaligned.h"

/* Linked in or not: see erase.h. */
#pragma weak erase_secure_try

#define WIPE_MAX       256 /* signatures wiped per device before giving up */
#define PSTORE_DEPTH   8
#define GPT_SIGNATURE  "EFI PART"
#define MOUNTS_MAX     (1024 * 1024)
#define ERROR_TEXT_MAX 4096 /* per device, in the joined step error */

static void blkid_probep(blkid_probe *p)
{
	if (*p)
		blkid_free_probe(*p);
}

static int error_set(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int error_set(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	if (ret_error) {
		free(*ret_error);
		va_start(ap, fmt);
		if (vasprintf(ret_error, fmt, ap) < 0)
			*ret_error = NULL;
		va_end(ap);
	}
	return r;
}

/* --- options --------------------------------------------------------------------------- */

/* Python's truth of a JSON value; def when absent. */
static bool truthy(json_object *o, const char *key, bool def)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return def;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return json_object_object_length(v) > 0;
	}
	return def;
}

static bool has_key(json_object *o, const char *key, bool non_null)
{
	json_object *v;

	return o && json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, key, &v) && (!non_null || v);
}

int erase_options_from_node(json_object *node, struct erase_options *o, char **ret_error)
{
	json_object *info = json_get(node, "driver_internal_info", json_type_object), *v = NULL;
	int64_t n = 1;

	/* shred --iterations str(value): an integer, or the text of one. */
	if (info && json_object_object_get_ex(info, "agent_erase_devices_iterations", &v)) {
		const char *s =
		    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		char *end = NULL;

		if (json_object_is_type(v, json_type_int))
			n = json_object_get_int64(v);
		else if (s && *s >= '0' && *s <= '9')
			n = strtoll(s, &end, 10);
		if (!(json_object_is_type(v, json_type_int) || (end && *end == '\0')) || n < 0 ||
		    n > ERASE_ITERATIONS_MAX)
			return error_set(
			    ret_error, -EINVAL, "invalid number of passes: %s (0 to %d)",
			    v ? json_object_to_json_string(v) : "None", ERASE_ITERATIONS_MAX);
	}
	o->iterations = (unsigned)n;
	o->zeroize = truthy(info, "agent_erase_devices_zeroize", true);
	o->skip_read_only = truthy(info, "agent_erase_skip_read_only", false);
	if (has_key(info, "agent_continue_if_secure_erase_failed", true))
		o->continue_if_secure_erase_failed =
		    truthy(info, "agent_continue_if_secure_erase_failed", false);
	else
		o->continue_if_secure_erase_failed =
		    truthy(info, "agent_continue_if_ata_erase_failed", false);
	o->enable_nvme_secure_erase = truthy(info, "agent_enable_nvme_secure_erase", true);
	o->enable_ata_secure_erase = truthy(info, "agent_enable_ata_secure_erase", true);
	v = json_get(info, "disk_erasure_concurrency", json_type_int);
	n = v ? json_object_get_int64(v) : 1;
	o->concurrency = n < 1			     ? 1
			 : n > ERASE_CONCURRENCY_MAX ? ERASE_CONCURRENCY_MAX
						     : (unsigned)n;
	o->guard = truthy(info, "wipe_special_filesystems", true);
	return 0;
}

/* --- opening devices ------------------------------------------------------------------- */

struct dev {
	int fd;
	uint64_t size;
	bool block;
};

static int dev_open(int root_fd, const char *path, int flags, struct dev *ret, char **ret_error)
{
	struct stat st;
	int fd, r;

	if (strncmp(path, "/dev/", 5) != 0 || strstr(path, "/../"))
		return error_set(ret_error, -EINVAL, "%s is not a device path", path);
	fd = openat(root_fd, path + 1, flags | O_CLOEXEC);
	if (fd < 0 && (flags & O_DIRECT) && errno == EINVAL) /* tmpfs and friends */
		fd = openat(root_fd, path + 1, (flags & ~O_DIRECT) | O_CLOEXEC);
	if (fd < 0) {
		r = negative_errno();
		return error_set(ret_error, r, "cannot open %s: %s", path, strerror(-r));
	}
	*ret = (struct dev){.fd = fd};
	if (fstat(fd, &st) < 0) {
		r = negative_errno();
	} else if (S_ISBLK(st.st_mode)) {
		ret->block = true;
		r = ioctl(fd, BLKGETSIZE64, &ret->size) < 0 ? negative_errno() : 0;
	} else if (S_ISREG(st.st_mode)) {
		ret->size = (uint64_t)st.st_size; /* a stand-in disk in tests */
		r = 0;
	} else {
		r = -ENOTBLK;
	}
	if (r < 0) {
		close(fd);
		return error_set(ret_error, r, "cannot get the size of %s: %s", path, strerror(-r));
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t k = pwrite(fd, p, len, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			return -ENOSPC;
		p += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* --- metadata -------------------------------------------------------------------------- */

struct range {
	uint64_t off;
	uint64_t len;
};

static void range_add(struct range *r, size_t *n, size_t max, uint64_t off, uint64_t len,
		      uint64_t size)
{
	if (*n >= max || off >= size)
		return;
	if (len > size - off)
		len = size - off;
	if (len > ERASE_METADATA_SPAN)
		len = ERASE_METADATA_SPAN;
	r[(*n)++] = (struct range){off, len};
}

/* A GPT header at lba of sector size ss: its entry array's range, or false. */
static bool gpt_header_at(int fd, uint64_t size, unsigned ss, uint64_t lba, uint64_t *ret_alt,
			  struct range *ret_entries)
{
	uint8_t hdr[92];
	uint64_t entries;
	uint32_t count, esz;

	if (lba == 0 || lba >= size / ss ||
	    pread(fd, hdr, sizeof(hdr), (off_t)(lba * ss)) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, GPT_SIGNATURE, 8) != 0)
		return false;
	*ret_alt = unaligned_read_le64(hdr + 32);
	entries = unaligned_read_le64(hdr + 72);
	count = unaligned_read_le32(hdr + 80);
	esz = unaligned_read_le32(hdr + 84);
	*ret_entries = (struct range){0, 0};
	if (entries > 0 && entries < size / ss)
		*ret_entries = (struct range){entries * ss, (uint64_t)count * esz};
	return true;
}

/*
 * Where the GPT structures are besides both ends: the backup header the primary points at
 * (after a disk grew, not at the end) and the entry arrays both headers point at.
 */
static size_t gpt_ranges(int fd, uint64_t size, struct range *r, size_t max)
{
	static const unsigned sector_sizes[] = {512, 4096};
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(sector_sizes); i++) {
		unsigned ss = sector_sizes[i];
		uint64_t alt = 0, alt2 = 0;
		struct range e;

		if (size < 2ULL * ss)
			continue;
		for (int k = 0; k < 2; k++) {
			/* the primary at LBA 1, then whatever sits on the last sector */
			uint64_t lba = k == 0 ? 1 : size / ss - 1;

			if (!gpt_header_at(fd, size, ss, lba, &alt, &e))
				continue;
			range_add(r, &n, max, lba * ss, ss, size);
			range_add(r, &n, max, e.off, e.len, size);
			if (alt > 0 && alt < size / ss) {
				range_add(r, &n, max, alt * ss, ss, size);
				if (gpt_header_at(fd, size, ss, alt, &alt2, &e))
					range_add(r, &n, max, e.off, e.len, size);
			}
		}
	}
	return n;
}

static blkid_probe wipe_probe_new(int fd)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		return NULL;
	}
	/* What wipefs(8) asks for. */
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE |
						  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	return pr;
}

static const char *probe_type(blkid_probe pr)
{
	const char *t = NULL;

	if (blkid_probe_lookup_value(pr, "TYPE", &t, NULL) < 0 &&
	    blkid_probe_lookup_value(pr, "PTTYPE", &t, NULL) < 0)
		t = "unknown";
	return t;
}

/* wipefs --force --all: every signature, each chain until libblkid finds nothing more. */
static int wipe_signatures(int fd, const char *path, char **ret_error)
{
	_cleanup_(blkid_probep) blkid_probe pr = wipe_probe_new(fd);
	int i, r;

	if (!pr)
		return error_set(ret_error, -ENOMEM, "cannot probe %s", path);
	for (i = 0; i < WIPE_MAX; i++) {
		const char *off = NULL;
		char type[64];

		r = blkid_do_probe(pr);
		if (r == 1)
			return 0;
		if (r < 0)
			return error_set(ret_error, -EIO, "cannot probe %s", path);
		snprintf(type, sizeof(type), "%s", probe_type(pr));
		if (blkid_probe_lookup_value(pr, "SBMAGIC_OFFSET", &off, NULL) < 0)
			blkid_probe_lookup_value(pr, "PTMAGIC_OFFSET", &off, NULL);
		if (blkid_do_wipe(pr, 0) < 0)
			return error_set(
			    ret_error, -EIO, "cannot wipe the %s signature at offset %s of %s: %s",
			    type, off ? off : "?", path, strerror(errno ? errno : EIO));
		log_info("%s: %s signature at offset %s erased", path, type, off ? off : "?");
	}
	return error_set(ret_error, -ELOOP, "%s: signatures keep coming back after %d wipes", path,
			 WIPE_MAX);
}

int erase_metadata(int root_fd, const char *path, char **ret_error)
{
	struct range ranges[16];
	_cleanup_free_ uint8_t *zero = NULL;
	_cleanup_close_ int fd = -1;
	struct dev dev;
	size_t n = 0;
	int r;

	r = dev_open(root_fd, path, O_RDWR, &dev, ret_error);
	if (r < 0)
		return r;
	fd = dev.fd;
	/* Before wipefs takes the signatures that say where things are. */
	n = gpt_ranges(fd, dev.size, ranges, ELEMENTSOF(ranges) - 2);
	r = wipe_signatures(fd, path, ret_error);
	if (r < 0)
		return r;

	range_add(ranges, &n, ELEMENTSOF(ranges), 0, ERASE_METADATA_SPAN, dev.size);
	if (dev.size > ERASE_METADATA_SPAN)
		range_add(ranges, &n, ELEMENTSOF(ranges), dev.size - ERASE_METADATA_SPAN,
			  ERASE_METADATA_SPAN, dev.size);
	zero = calloc(1, ERASE_METADATA_SPAN);
	if (!zero)
		return error_set(ret_error, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r = pwrite_all(fd, zero, ranges[i].len, ranges[i].off);
		if (r < 0)
			return error_set(ret_error, r,
					 "cannot zero %" PRIu64 " bytes at %" PRIu64 " of %s: %s",
					 ranges[i].len, ranges[i].off, path, strerror(-r));
	}
	if (fsync(fd) < 0) {
		r = negative_errno();
		return error_set(ret_error, r, "cannot sync %s: %s", path, strerror(-r));
	}
	/* What wipefs and sgdisk do after changing a table; a busy disk may refuse. */
	if (dev.block)
		(void)ioctl(fd, BLKRRPART);

	/* Never report work that did not happen: libblkid must find nothing now. */
	{
		_cleanup_(blkid_probep) blkid_probe pr = wipe_probe_new(fd);

		if (!pr)
			return error_set(ret_error, -ENOMEM, "cannot probe %s", path);
		if (blkid_do_probe(pr) == 0)
			return error_set(ret_error, -EEXIST,
					 "a %s signature is still on %s after the erase",
					 probe_type(pr), path);
	}
	return 0;
}

/* --- overwrite ------------------------------------------------------------------------- */

/* xoshiro256** (Blackman, Vigna): fast, and seeded from getrandom() per pass. */
struct prng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t prng_next(struct prng *g)
{
	uint64_t *s = g->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static int prng_seed(struct prng *g)
{
	uint8_t *p = (uint8_t *)g->s;
	size_t got = 0;

	while (got < sizeof(g->s)) {
		ssize_t k = getrandom(p + got, sizeof(g->s) - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? negative_errno() : -EIO;
		got += (size_t)k;
	}
	if (!(g->s[0] | g->s[1] | g->s[2] | g->s[3])) /* the one state xoshiro cannot leave */
		g->s[0] = 1;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool cancelled(const struct erase_options *o)
{
	return o->cancel && atomic_load(o->cancel);
}

static int overwrite_pass(struct dev *dev, const char *path, uint8_t *buf, bool random,
			  unsigned pass, unsigned passes, const struct erase_options *o,
			  char **ret_error)
{
	double start = now_s(), last = start,
	       every = (o->progress_ms ? o->progress_ms : ERASE_PROGRESS_MS) / 1000.0;
	const char *what = random ? "random" : "000000";
	struct prng g;
	uint64_t off = 0;
	int r;

	if (random) {
		r = prng_seed(&g);
		if (r < 0)
			return error_set(ret_error, r, "cannot seed the random data for %s: %s",
					 path, strerror(-r));
	} else {
		memset(buf, 0, ERASE_CHUNK);
	}
	while (off < dev->size) {
		size_t len =
		    dev->size - off < ERASE_CHUNK ? (size_t)(dev->size - off) : ERASE_CHUNK;
		double t;

		if (cancelled(o))
			return error_set(ret_error, -ECANCELED, "erase of %s cancelled", path);
		if (random) {
			uint64_t *w = (uint64_t *)(void *)buf;

			for (size_t i = 0; i < (len + 7) / 8; i++)
				w[i] = prng_next(&g);
		}
		/* O_DIRECT wants whole blocks; a stand-in file may end in a partial one. */
		if (len % 4096 != 0) {
			int fl = fcntl(dev->fd, F_GETFL);

			if (fl >= 0 && (fl & O_DIRECT))
				(void)fcntl(dev->fd, F_SETFL, fl & ~O_DIRECT);
		}
		r = pwrite_all(dev->fd, buf, len, off);
		if (r < 0)
			return error_set(ret_error, r,
					 "cannot write to %s at offset %" PRIu64
					 " (pass %u/%u, %s): %s",
					 path, off, pass, passes, what, strerror(-r));
		off += len;
		t = now_s();
		if (t - last >= every && off < dev->size) {
			last = t;
			log_info(
			    "%s: pass %u/%u (%s)...%" PRIu64 "MiB/%" PRIu64 "MiB %u%% (%.1f MB/s)",
			    path, pass, passes, what, off >> 20, dev->size >> 20,
			    (unsigned)(off * 100 / dev->size), (double)off / 1e6 / (t - start));
		}
	}
	if (fsync(dev->fd) < 0) {
		r = negative_errno();
		return error_set(ret_error, r, "cannot sync %s: %s", path, strerror(-r));
	}
	log_info("%s: pass %u/%u (%s) done, %" PRIu64 " bytes in %.1f s", path, pass, passes, what,
		 dev->size, now_s() - start);
	return 0;
}

int erase_overwrite(const struct erase_device *d, const struct erase_options *o, char **ret_error)
{
	unsigned passes = o->iterations + (o->zeroize ? 1 : 0);
	_cleanup_close_ int fd = -1;
	uint8_t *buf = NULL;
	struct dev dev;
	int r;

	/* shred --force: no O_EXCL, whoever else holds the disk. */
	r = dev_open(o->root_fd, d->path, O_WRONLY | O_DIRECT, &dev, ret_error);
	if (r < 0)
		return r;
	fd = dev.fd;
	if (passes == 0) {
		log_warning("%s: agent_erase_devices_iterations is 0 and "
			    "agent_erase_devices_zeroize false: nothing written, as shred -n 0",
			    d->path);
		return 0;
	}
	buf = aligned_alloc(4096, ERASE_CHUNK);
	if (!buf)
		return error_set(ret_error, -ENOMEM, "out of memory");
	log_info("%s: overwriting %" PRIu64 " bytes: %u random pass(es)%s", d->path, dev.size,
		 o->iterations, o->zeroize ? " and a zero pass" : "");
	for (unsigned p = 1; r == 0 && p <= passes; p++)
		r = overwrite_pass(&dev, d->path, buf, p <= o->iterations, p, passes, o, ret_error);
	free(buf);
	return r;
}

/* --- secure erase ---------------------------------------------------------------------- */

/* erase-secure.h's erase_secure_try() behind the hook of erase.h. */
static int secure_adapter(struct erase_device *d, const struct erase_options *o, char **ret_error)
{
	struct erase_secure_options so = {
	    .nvme_enabled = o->enable_nvme_secure_erase,
	    .ata_enabled = o->enable_ata_secure_erase,
	    .continue_if_failed = o->continue_if_secure_erase_failed,
	    .root_fd = o->root_fd,
	};
	_cleanup_close_ int fd = -1;
	struct dev dev;
	int r;

	r = dev_open(o->root_fd, d->path, O_RDWR, &dev, ret_error);
	if (r < 0)
		return r;
	fd = dev.fd;
	return erase_secure_try(fd, d->path, &so, ret_error);
}

static erase_secure_fn secure_default(void)
{
	return erase_secure_try ? secure_adapter : NULL;
}

/* --- steps ----------------------------------------------------------------------------- */

static json_object *error_new(const char *type, const char *message, const char *details)
{
	return agent_error_new(type, 500, message, "%s", details ? details : "out of memory");
}

/* IPA's step methods take (node, ports): any step argument is Python's TypeError. */
static int check_args(json_object *args, const char *method, json_object **ret_error)
{
	if (!args || !json_object_is_type(args, json_type_object) ||
	    json_object_object_length(args) == 0)
		return 0;
	json_object_object_foreach(args, key, v)
	{
		(void)v;
		*ret_error = agent_error_new(
		    "CleaningError", 500, "Clean step failed",
		    "Unexpected exception performing clean step %s. TypeError: "
		    "GenericHardwareManager.%s() got an unexpected keyword argument '%s'",
		    method, method, key);
		break;
	}
	return -EINVAL;
}

struct step {
	struct erase_options o;
	json_object *node;
	struct erase_device *devs;
	size_t n;
};

static void step_done(struct step *s)
{
	json_object_put(s->node);
	erase_devices_free(s->devs, s->n);
}

static int step_begin(struct agent *a, json_object *args, const char *method,
		      const struct erase_options *hooks, bool partitions, struct step *s,
		      json_object **ret_error)
{
	_cleanup_free_ char *err = NULL;
	struct erase_select_options so = {.partitions = partitions};
	int r;

	*s = (struct step){0};
	if (check_args(args, method, ret_error) < 0)
		return COMMAND_ERROR;
	if (hooks)
		s->o = *hooks;
	s->o.root_fd = a->root_fd;
	s->node = agent_node_get(a);
	r = erase_options_from_node(s->node, &s->o, &err);
	if (r < 0) {
		*ret_error = error_new("BlockDeviceEraseError", "Error erasing block device", err);
		return COMMAND_ERROR;
	}
	s->o.guard = s->o.guard && a->conf.guard_special_filesystems;
	if (!s->o.boot_volume_id)
		s->o.boot_volume_id = ERASE_BOOT_VOLUME_ID;
	so.boot_volume_id = s->o.boot_volume_id;
	r = erase_select(a->root_fd, s->node, &so, &s->devs, &s->n, &err);
	if (r < 0) {
		if (r == -EINVAL && err)
			*ret_error = agent_error_new("CleaningError", 500, "Clean step failed",
						     "Unexpected exception performing clean step "
						     "%s. ValueError: %s",
						     method, err);
		else
			*ret_error = agent_error_new("BlockDeviceEraseError", 500,
						     "Error erasing block device",
						     "cannot list block devices: %s", strerror(-r));
		return COMMAND_ERROR;
	}
	return COMMAND_OK;
}

/* safety_check_block_device() on every device the step will touch, before touching any. */
static int step_guard(struct step *s, const bool *touch, json_object **ret_error)
{
	for (size_t i = 0; s->o.guard && i < s->n; i++) {
		_cleanup_free_ char *err = NULL;

		if (touch[i] && erase_select_guard(s->o.root_fd, &s->devs[i], &err) < 0) {
			log_error("%s", err ? err : "protected device");
			/* IPA's ProtectedDeviceError has the details as its message too. */
			*ret_error = agent_error_new("ProtectedDeviceError", 500,
						     err ? err : "protected device", "%s",
						     err ? err : "protected device");
			return COMMAND_ERROR;
		}
	}
	return COMMAND_OK;
}

/* _list_erasable_devices(): which of the (reverse sorted) devices to touch; logs the rest. */
static bool *erasable(struct step *s, size_t *ret_count)
{
	bool *touch = calloc(s->n ? s->n : 1, sizeof(bool));

	*ret_count = 0;
	for (size_t i = 0; touch && i < s->n; i++) {
		enum erase_skip k = erase_device_skip(&s->devs[i], s->devs, s->n);

		touch[i] = k == ERASE_SKIP_NONE;
		*ret_count += touch[i];
		if (!touch[i])
			log_info("skipping erasure of %s: %s", s->devs[i].path,
				 erase_skip_to_string(k));
	}
	return touch;
}

/* Appends `"<path>": <text>` to *acc with sep. */
static void error_join(char **acc, const char *sep, const char *path, const char *text)
{
	char *n = NULL;

	if (asprintf(&n, "%s%s\"%s\": %.*s", *acc ? *acc : "", *acc ? sep : "", path,
		     ERROR_TEXT_MAX, text ? text : "out of memory") < 0)
		return;
	free(*acc);
	*acc = n;
}

int erase_step_metadata_with(struct agent *a, json_object *args, const struct erase_options *hooks,
			     json_object **ret_result, json_object **ret_error)
{
	_cleanup_free_ char *errors = NULL, *details = NULL;
	_cleanup_free_ bool *touch = NULL;
	struct step s;
	size_t count;
	int r;

	r = step_begin(a, args, "erase_devices_metadata", hooks, true, &s, ret_error);
	if (r != COMMAND_OK)
		return r;
	erase_devices_sort_reverse(s.devs, s.n);
	touch = erasable(&s, &count);
	if (!touch) {
		*ret_error = error_new("BlockDeviceEraseError", "Error erasing block device", NULL);
		step_done(&s);
		return COMMAND_ERROR;
	}
	r = step_guard(&s, touch, ret_error);
	for (size_t i = 0; r == COMMAND_OK && i < s.n; i++) {
		_cleanup_free_ char *err = NULL;

		if (!touch[i])
			continue;
		if (cancelled(&s.o)) {
			error_join(&errors, "; ", s.devs[i].path, "cancelled");
			break;
		}
		if (erase_metadata(s.o.root_fd, s.devs[i].path, &err) < 0) {
			log_error("Failed to erase the metadata on device \"%s\". Error: %s",
				  s.devs[i].path, err ? err : "?");
			error_join(&errors, "; ", s.devs[i].path, err);
		} else {
			log_info("Disk metadata on %s successfully destroyed", s.devs[i].path);
		}
	}
	if (r == COMMAND_OK && errors) {
		if (asprintf(&details, "Failed to erase the metadata on the device(s): %s",
			     errors) < 0)
			details = NULL;
		*ret_error =
		    error_new("BlockDeviceEraseError", "Error erasing block device", details);
		r = COMMAND_ERROR;
	}
	if (r == COMMAND_OK)
		*ret_result = NULL;
	step_done(&s);
	return r;
}

/* One disk of erase_devices: erase_block_device(). */
struct job {
	struct erase_device *d;
	const struct erase_options *o;
	const char *type; /* NULL: success */
	const char *message;
	char *details;
};

static void job_fail(struct job *j, const char *type, const char *message, char *details)
{
	j->type = type;
	j->message = message;
	j->details = details;
	log_error("%s", details ? details : message);
}

static void erase_block_device(struct job *j)
{
	struct erase_device *d = j->d;
	const struct erase_options *o = j->o;
	_cleanup_free_ char *err = NULL;
	char *msg = NULL;
	int r;

	if (d->boot_media) {
		log_info("Skipping erase of %s: the medium the ramdisk booted from", d->path);
		return;
	}
	if (d->vmedia) {
		log_info("Skipping erase of virtual media device %s", d->path);
		return;
	}
	if (d->raid_member) {
		log_info("Skipping erase of RAID member device %s", d->path);
		return;
	}
	if (d->read_only) {
		if (o->skip_read_only) {
			log_info("Skipping erase of read-only device %s", d->path);
			return;
		}
		if (asprintf(&msg,
			     "Failed to invoke erase of device %s as the device is flagged "
			     "read-only, and the conductor has not signaled this is a permitted "
			     "case.",
			     d->path) < 0)
			msg = NULL;
		job_fail(j, "BlockDeviceEraseError", "Error erasing block device", msg);
		return;
	}
	if (o->secure && (d->nvme ? o->enable_nvme_secure_erase : o->enable_ata_secure_erase)) {
		r = o->secure(d, o, &err);
		if (r > 0)
			return;
		if (r < 0 && o->continue_if_secure_erase_failed) {
			log_warning("Failed to invoke secure erase, falling back to shred: %s",
				    err ? err : "?");
		} else if (r < 0) {
			if (err && strncmp(err, "Failed to invoke secure erase", 29) == 0)
				msg = TAKE_PTR(err);
			else if (asprintf(&msg,
					  "Failed to invoke secure erase, fallback to shred is not "
					  "enabled: %s",
					  err ? err : "?") < 0)
				msg = NULL;
			job_fail(j, "IncompatibleHardwareMethodError",
				 "HardwareManager method is not compatible with hardware", msg);
			return;
		}
	}
	free(err);
	err = NULL;
	r = erase_overwrite(d, o, &err);
	if (r == 0)
		return;
	log_error("Erasing block device %s failed with error %s", d->path, err ? err : "?");
	if (asprintf(&msg, "Unable to erase block device %s: %s", d->path,
		     err ? err : strerror(-r)) < 0)
		msg = NULL;
	job_fail(j, "IncompatibleHardwareMethodError",
		 "HardwareManager method is not compatible with hardware", msg);
}

struct pool {
	struct job *jobs;
	size_t n;
	atomic_size_t next;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->n)
			return NULL;
		erase_block_device(&p->jobs[i]);
	}
}

int erase_step_devices_with(struct agent *a, json_object *args, const struct erase_options *hooks,
			    json_object **ret_result, json_object **ret_error)
{
	_cleanup_free_ struct job *jobs = NULL;
	_cleanup_free_ bool *touch = NULL;
	_cleanup_free_ pthread_t *threads = NULL;
	struct pool pool = {0};
	size_t n_jobs = 0, n_threads, started = 0;
	json_object *result;
	struct step s;
	int r;

	r = step_begin(a, args, "erase_devices", hooks, false, &s, ret_error);
	if (r != COMMAND_OK)
		return r;
	touch = calloc(s.n ? s.n : 1, sizeof(bool));
	jobs = calloc(s.n ? s.n : 1, sizeof(*jobs));
	if (!touch || !jobs) {
		*ret_error = error_new("BlockDeviceEraseError", "Error erasing block device", NULL);
		step_done(&s);
		return COMMAND_ERROR;
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.devs[i].hint) {
			log_info("skipping erasure of %s: %s", s.devs[i].path,
				 erase_skip_to_string(ERASE_SKIP_HINT));
			continue;
		}
		touch[i] = true;
		jobs[n_jobs++] = (struct job){.d = &s.devs[i], .o = &s.o};
	}
	r = step_guard(&s, touch, ret_error);
	if (r != COMMAND_OK) {
		step_done(&s);
		return r;
	}
	if (!s.o.secure)
		log_info("erase_devices: no secure erase here, disks are overwritten");

	n_threads = MIN(s.o.concurrency, n_jobs);
	pool = (struct pool){.jobs = jobs, .n = n_jobs};
	threads = calloc(n_threads ? n_threads : 1, sizeof(*threads));
	for (size_t i = 0; threads && i < n_threads; i++) {
		if (pthread_create(&threads[i], NULL, pool_worker, &pool) != 0)
			break;
		started++;
	}
	if (started == 0)
		pool_worker(&pool); /* no thread to be had: one after the other, here */
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);

	/* Results in list order; the first failure is what IPA's result.get() raises. */
	result = json_object_new_object();
	for (size_t i = 0; i < n_jobs; i++) {
		if (jobs[i].type && r == COMMAND_OK) {
			*ret_error = error_new(jobs[i].type, jobs[i].message, jobs[i].details);
			r = COMMAND_ERROR;
		}
		json_object_object_add(result, jobs[i].d->path, NULL);
		free(jobs[i].details);
	}
	if (r == COMMAND_OK)
		*ret_result = result;
	else
		json_object_put(result);
	step_done(&s);
	return r;
}

int erase_step_devices_express_with(struct agent *a, json_object *args,
				    const struct erase_options *hooks, json_object **ret_result,
				    json_object **ret_error)
{
	_cleanup_free_ char *errors = NULL, *details = NULL;
	_cleanup_free_ bool *touch = NULL;
	struct erase_options nvme_only;
	struct step s;
	size_t count = 0;
	int r;

	r = step_begin(a, args, "erase_devices_express", hooks, true, &s, ret_error);
	if (r != COMMAND_OK)
		return r;
	erase_devices_sort_reverse(s.devs, s.n);
	touch = erasable(&s, &count);
	if (!touch) {
		*ret_error = error_new("BlockDeviceEraseError", "Error erasing block device", NULL);
		step_done(&s);
		return COMMAND_ERROR;
	}
	if (count == 0)
		log_debug("No erasable devices have been found.");
	r = step_guard(&s, touch, ret_error);
	/* Express erase formats NVMe disks only, and a failed format falls back to metadata. */
	nvme_only = s.o;
	nvme_only.enable_ata_secure_erase = false;
	nvme_only.continue_if_secure_erase_failed = false;
	for (size_t i = 0; r == COMMAND_OK && i < s.n; i++) {
		_cleanup_free_ char *serr = NULL, *err = NULL, *both = NULL;
		struct erase_device *d = &s.devs[i];

		if (!touch[i])
			continue;
		if (d->nvme && !d->partition && s.o.secure && s.o.enable_nvme_secure_erase) {
			int k = s.o.secure(d, &nvme_only, &serr);

			if (k > 0)
				continue;
			if (k < 0)
				log_error(
				    "Failed to securely erase device \"%s\". Error: %s, falling "
				    "back to metadata clean",
				    d->path, serr ? serr : "?");
			else
				free(TAKE_PTR(serr));
		}
		if (erase_metadata(s.o.root_fd, d->path, &err) == 0)
			continue;
		log_error("Failed to erase the metadata on device \"%s\". Error: %s", d->path,
			  err ? err : "?");
		if (serr && asprintf(&both,
				     "Secure erase failed: %s. Fallback to metadata erase also "
				     "failed: %s.",
				     serr, err ? err : "?") < 0)
			both = NULL;
		error_join(&errors, "\n", d->path, serr ? both : err);
	}
	if (r == COMMAND_OK && errors) {
		if (asprintf(&details, "Failed to conduct an express erase on the device(s): %s",
			     errors) < 0)
			details = NULL;
		*ret_error =
		    error_new("BlockDeviceEraseError", "Error erasing block device", details);
		r = COMMAND_ERROR;
	}
	if (r == COMMAND_OK)
		*ret_result = NULL;
	step_done(&s);
	return r;
}

int erase_step_metadata(struct agent *a, json_object *args, json_object **ret_result,
			json_object **ret_error)
{
	return erase_step_metadata_with(a, args, NULL, ret_result, ret_error);
}

int erase_step_devices(struct agent *a, json_object *args, json_object **ret_result,
		       json_object **ret_error)
{
	struct erase_options hooks = {.secure = secure_default()};

	return erase_step_devices_with(a, args, &hooks, ret_result, ret_error);
}

int erase_step_devices_express(struct agent *a, json_object *args, json_object **ret_result,
			       json_object **ret_error)
{
	struct erase_options hooks = {.secure = secure_default()};

	return erase_step_devices_express_with(a, args, &hooks, ret_result, ret_error);
}

/* --- pstore ---------------------------------------------------------------------------- */

/* shutil.rmtree(), else os.remove(): depth-limited. */
static int remove_tree(int parent_fd, const char *name, unsigned depth)
{
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (unlinkat(parent_fd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return negative_errno();
	if (depth == 0)
		return -ELOOP;
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	dir = fdopendir(fd);
	if (!dir)
		return negative_errno();
	fd = -1;
	while (r == 0 && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = remove_tree(dirfd(dir), de->d_name, depth - 1);
	closedir(dir);
	if (r == 0 && unlinkat(parent_fd, name, AT_REMOVEDIR) < 0)
		r = negative_errno();
	return r;
}

/* _find_pstore_mount_point(): the first "pstore <mnt> pstore" line of proc/mounts. */
static int pstore_mount_point(int root_fd, char **ret)
{
	_cleanup_free_ char *mounts = NULL;
	char *save = NULL;

	*ret = NULL;
	if (read_full_file_at(root_fd, "proc/mounts", MOUNTS_MAX, &mounts, NULL) < 0)
		return negative_errno();
	for (char *l = strtok_r(mounts, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char dev[16], mnt[4096], type[16];

		if (sscanf(l, "%15s %4095s %15s", dev, mnt, type) == 3 &&
		    strcmp(dev, "pstore") == 0 && strcmp(type, "pstore") == 0 && mnt[0] == '/') {
			*ret = strdup(mnt);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return 0;
}

int erase_step_pstore(struct agent *a, json_object *args, json_object **ret_result,
		      json_object **ret_error)
{
	_cleanup_free_ char *mnt = NULL;
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	unsigned count = 0;
	DIR *dir;
	int r;

	if (check_args(args, "erase_pstore", ret_error) < 0)
		return COMMAND_ERROR;
	r = pstore_mount_point(a->root_fd, &mnt);
	if (r < 0) {
		*ret_error = agent_error_new("CleaningError", 500, "Clean step failed",
					     "Unexpected exception performing clean step "
					     "erase_pstore. OSError: [Errno %d] %s: '/proc/mounts'",
					     -r, strerror(-r));
		return COMMAND_ERROR;
	}
	*ret_result = NULL;
	if (!mnt) {
		log_debug("No pstore found");
		return COMMAND_OK;
	}
	log_info("Cleaning up pstore in %s", mnt);
	fd = openat(a->root_fd, mnt[1] ? mnt + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = negative_errno();
		*ret_error = agent_error_new("CleaningError", 500, "Clean step failed",
					     "Unexpected exception performing clean step "
					     "erase_pstore. OSError: [Errno %d] %s: '%s'",
					     -r, strerror(-r), mnt);
		return COMMAND_ERROR;
	}
	fd = -1;
	r = 0;
	while (r == 0 && (de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++count > ERASE_PSTORE_MAX) {
			r = -E2BIG;
			break;
		}
		r = remove_tree(dirfd(dir), de->d_name, PSTORE_DEPTH);
		if (r < 0)
			*ret_error = agent_error_new(
			    "CleaningError", 500, "Clean step failed",
			    "Unexpected exception performing clean step erase_pstore. OSError: "
			    "[Errno %d] %s: '%s/%s'",
			    -r, strerror(-r), mnt, de->d_name);
	}
	closedir(dir);
	if (r == -E2BIG)
		*ret_error = agent_error_new("CleaningError", 500, "Clean step failed",
					     "more than %d entries in %s", ERASE_PSTORE_MAX, mnt);
	return r < 0 ? COMMAND_ERROR : COMMAND_OK;
}
