/*
 * ptable: GPT and MBR partition tables read and written through an fd; see ptable.h for which
 * IPA behaviour this reproduces (disk_utils.get_disk_identifier, fix_gpt_partition's
 * `sgdisk -e`, and the table side of partition_utils.create_config_drive_partition).
 */
#include <errno.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/ptable.h"
#include "basic/fileio.h"
#include "basic/macro.h"

#define GPT_SIGNATURE	"EFI PART"
#define GPT_HEADER_SIZE 92
#define MBR_MAX_SECTORS UINT64_C(0x100000000)

/* The one accessor for buffers read from disk: out-of-range reads yield 0, never overflow. */
static uint64_t get_le(const uint8_t *buf, size_t size, size_t off, unsigned n)
{
	uint64_t v = 0;

	if (off > size || n > size - off)
		return 0;
	for (unsigned i = n; i > 0; i--)
		v = (v << 8) | buf[off + i - 1];
	return v;
}

static void put_le(uint8_t *buf, size_t size, size_t off, unsigned n, uint64_t v)
{
	if (off > size || n > size - off)
		return;
	for (unsigned i = 0; i < n; i++, v >>= 8)
		buf[off + i] = v & 0xff;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)
			return -EIO;
		p += n, len -= (size_t)n, off += (uint64_t)n;
	}
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? negative_errno() : -EIO;
		p += n, len -= (size_t)n, off += (uint64_t)n;
	}
	return 0;
}

static int device_geometry(int fd, unsigned *sector_size, uint64_t *n_bytes)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISBLK(st.st_mode)) {
		int ssz;

		if (ioctl(fd, BLKGETSIZE64, n_bytes) < 0)
			return negative_errno();
		if (*sector_size == 0) {
			if (ioctl(fd, BLKSSZGET, &ssz) < 0)
				return negative_errno();
			*sector_size = (unsigned)ssz;
		}
	} else if (S_ISREG(st.st_mode)) {
		*n_bytes = (uint64_t)st.st_size;
		if (*sector_size == 0)
			*sector_size = 512;
	} else
		return -ENOTBLK;
	if (*sector_size != 512 && *sector_size != 4096)
		return -EOPNOTSUPP;
	return 0;
}

void ptable_free(struct ptable *t)
{
	if (!t)
		return;
	free(t->gpt_entries);
	free(t->partitions);
	free(t);
}

const char *ptable_type_to_string(enum ptable_type type)
{
	return type == PTABLE_GPT ? "gpt" : "msdos";
}

bool ptable_guid_is_null(const uint8_t guid[16])
{
	for (size_t i = 0; i < 16; i++)
		if (guid[i])
			return false;
	return true;
}

static void utf16le_to_utf8(const uint8_t *in, size_t units, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < units; i++) {
		unsigned c = (unsigned)get_le(in, units * 2, i * 2, 2);

		if (c == 0)
			break;
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd; /* no surrogate pairs in 36 units worth handling */
		if (c < 0x80 && o + 1 < size)
			out[o++] = (char)c;
		else if (c < 0x800 && o + 2 < size) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c >= 0x800 && o + 3 < size) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = 0;
}

static int add_part(struct ptable *t, const struct ptable_partition *p)
{
	struct ptable_partition *n;

	n = realloc(t->partitions, (t->n_partitions + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->partitions = n;
	n[t->n_partitions++] = *p;
	return 0;
}

/* Rebuilds the partition list from the raw entry array. */
static int gpt_list_partitions(struct ptable *t)
{
	size_t size = (size_t)t->gpt_n_entries * t->gpt_entry_size;

	t->n_partitions = 0;
	for (uint32_t i = 0; i < t->gpt_n_entries; i++) {
		const uint8_t *e = t->gpt_entries + (size_t)i * t->gpt_entry_size;
		struct ptable_partition p = {.number = i + 1};
		size_t off = (size_t)i * t->gpt_entry_size;
		int r;

		memcpy(p.type_guid, e, 16);
		if (ptable_guid_is_null(p.type_guid))
			continue;
		memcpy(p.guid, e + 16, 16);
		p.first_lba = get_le(t->gpt_entries, size, off + 32, 8);
		p.last_lba = get_le(t->gpt_entries, size, off + 40, 8);
		p.attrs = get_le(t->gpt_entries, size, off + 48, 8);
		utf16le_to_utf8(e + 56, 36, p.name, sizeof(p.name));
		r = add_part(t, &p);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Reads and checks the header at lba and its entries, as libblkid and gdisk do: signature, size,
 * header CRC, "my LBA", usable area inside the disk, bounded entry array, entries CRC.
 */
static int gpt_read_at(struct ptable *t, int fd, uint64_t lba, bool use)
{
	_cleanup_free_ uint8_t *h = NULL, *entries = NULL;
	unsigned ss = t->sector_size;
	uint32_t hsize, crc, n, esize;
	uint64_t first, last, elba, array, esectors;
	int r;

	if (lba == 0 || lba >= t->n_sectors)
		return -EBADMSG;
	h = malloc(ss);
	if (!h)
		return -ENOMEM;
	r = pread_full(fd, h, ss, lba * ss);
	if (r < 0)
		return r;
	if (memcmp(h, GPT_SIGNATURE, 8) != 0)
		return -EBADMSG;
	hsize = (uint32_t)get_le(h, ss, 12, 4);
	if (hsize < GPT_HEADER_SIZE || hsize > ss)
		return -EBADMSG;
	crc = (uint32_t)get_le(h, ss, 16, 4);
	put_le(h, ss, 16, 4, 0);
	if (crc32(0, h, hsize) != crc || get_le(h, ss, 24, 8) != lba)
		return -EBADMSG;
	first = get_le(h, ss, 40, 8);
	last = get_le(h, ss, 48, 8);
	elba = get_le(h, ss, 72, 8);
	n = (uint32_t)get_le(h, ss, 80, 4);
	esize = (uint32_t)get_le(h, ss, 84, 4);
	if (n == 0 || n > PTABLE_GPT_MAX_ENTRIES || esize < 128 ||
	    esize > PTABLE_GPT_MAX_ENTRY_SIZE || esize % 8 != 0)
		return -EBADMSG;
	array = (uint64_t)n * esize;
	esectors = (array + ss - 1) / ss;
	if (array > PTABLE_GPT_MAX_ARRAY || first > last + 1 || last >= t->n_sectors || elba < 2 ||
	    elba >= t->n_sectors || esectors > t->n_sectors - elba)
		return -EBADMSG;
	entries = malloc(array);
	if (!entries)
		return -ENOMEM;
	r = pread_full(fd, entries, array, elba * ss);
	if (r < 0)
		return r;
	if (crc32(0, entries, (uInt)array) != (uint32_t)get_le(h, ss, 88, 4))
		return -EBADMSG;
	if (!use)
		return 0;

	memcpy(t->disk_guid, h + 56, 16);
	t->gpt_first_usable = first;
	t->gpt_last_usable = last;
	t->gpt_n_entries = n;
	t->gpt_entry_size = esize;
	free(t->gpt_entries);
	t->gpt_entries = TAKE_PTR(entries);
	if (lba == 1) {
		t->gpt_entries_lba = elba;
		t->gpt_backup_lba = get_le(h, ss, 32, 8);
		/* Where the backup array goes when it is rewritten: just before its header. */
		t->gpt_backup_entries_lba = t->gpt_backup_lba - esectors;
	} else {
		t->gpt_backup_lba = lba;
		t->gpt_backup_entries_lba = elba;
		t->gpt_entries_lba = 2;
	}
	return gpt_list_partitions(t);
}

static int gpt_read(struct ptable *t, int fd)
{
	int r;

	r = gpt_read_at(t, fd, 1, true);
	if (r == -ENOMEM)
		return r;
	t->gpt_primary_ok = r >= 0;
	if (t->gpt_primary_ok) {
		if (t->gpt_backup_lba <= t->gpt_last_usable || t->gpt_backup_lba >= t->n_sectors)
			return 0; /* a backup inside the usable area or beyond the disk: none */
		r = gpt_read_at(t, fd, t->gpt_backup_lba, false);
		t->gpt_backup_ok = r >= 0;
		if (r == -ENOMEM)
			return r;
		return 0;
	}
	r = gpt_read_at(t, fd, t->n_sectors - 1, true);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	t->gpt_backup_ok = true;
	return 0;
}

static bool mbr_type_is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static void mbr_entry(const uint8_t *sector, unsigned slot, uint64_t base,
		      struct ptable_partition *p)
{
	size_t off = 446 + 16 * (size_t)slot;
	uint64_t start = get_le(sector, 512, off + 8, 4), count = get_le(sector, 512, off + 12, 4);

	p->bootable = sector[off] == 0x80;
	p->mbr_type = sector[off + 4];
	p->first_lba = base + start;
	p->last_lba = count ? base + start + count - 1 : base + start;
	p->extended = mbr_type_is_extended(p->mbr_type);
}

/* Follows the chain of extended boot records; a loop or a bad record ends the list. */
static int mbr_read_logical(struct ptable *t, int fd, const struct ptable_partition *ext)
{
	uint64_t ebr = ext->first_lba;
	unsigned number = 5;
	uint8_t sector[512];

	for (unsigned i = 0; i < PTABLE_MAX_LOGICAL; i++) {
		struct ptable_partition p = {0}, next = {0};
		int r;

		if (ebr >= t->n_sectors ||
		    pread_full(fd, sector, sizeof(sector), ebr * t->sector_size) < 0)
			return 0;
		if (sector[510] != 0x55 || sector[511] != 0xaa)
			return 0;
		mbr_entry(sector, 0, ebr, &p);
		if (p.mbr_type != 0 && get_le(sector, 512, 446 + 12, 4) != 0) {
			p.number = number++;
			p.logical = true;
			r = add_part(t, &p);
			if (r < 0)
				return r;
		}
		mbr_entry(sector, 1, ext->first_lba, &next);
		if (!next.extended || next.first_lba <= ebr || next.first_lba > ext->last_lba)
			return 0;
		ebr = next.first_lba;
	}
	return 0;
}

static int mbr_read(struct ptable *t, int fd)
{
	for (unsigned i = 0; i < 4; i++) {
		struct ptable_partition p = {.number = i + 1};
		int r;

		if (t->mbr[446 + 16 * i + 4] == 0 || get_le(t->mbr, 512, 446 + 16 * i + 12, 4) == 0)
			continue;
		mbr_entry(t->mbr, i, 0, &p);
		r = add_part(t, &p);
		if (r < 0)
			return r;
	}
	for (size_t i = 0, n = t->n_partitions; i < n; i++)
		if (t->partitions[i].extended) {
			struct ptable_partition ext = t->partitions[i];

			return mbr_read_logical(t, fd, &ext);
		}
	return 0;
}

int ptable_read(int fd, unsigned sector_size, struct ptable **ret)
{
	_cleanup_ptable_ struct ptable *t = NULL;
	uint64_t n_bytes;
	bool gpt = false;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->sector_size = sector_size;
	r = device_geometry(fd, &t->sector_size, &n_bytes);
	if (r < 0)
		return r;
	t->n_sectors = n_bytes / t->sector_size;
	if (t->n_sectors < 3)
		return -ENOMSG;
	r = pread_full(fd, t->mbr, sizeof(t->mbr), 0);
	if (r < 0)
		return r;
	t->mbr_signature = (uint32_t)get_le(t->mbr, 512, 440, 4);
	if (t->mbr[510] != 0x55 || t->mbr[511] != 0xaa)
		return -ENOMSG;
	for (unsigned i = 0; i < 4; i++) {
		uint8_t boot = t->mbr[446 + 16 * i];

		/* A boot sector of a file system, not a partition table (as libblkid decides). */
		if (boot != 0 && boot != 0x80)
			return -ENOMSG;
		gpt = gpt || t->mbr[446 + 16 * i + 4] == 0xee;
	}
	t->type = gpt ? PTABLE_GPT : PTABLE_MBR;
	r = gpt ? gpt_read(t, fd) : mbr_read(t, fd);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

const struct ptable_partition *ptable_get_partition(const struct ptable *t, unsigned number)
{
	for (size_t i = 0; i < t->n_partitions; i++)
		if (t->partitions[i].number == number)
			return &t->partitions[i];
	return NULL;
}

void ptable_disk_identifier(const struct ptable *t, char buf[PTABLE_DISK_ID_MAX])
{
	snprintf(buf, PTABLE_DISK_ID_MAX, "0x%08x", t->mbr_signature);
}

int ptable_partition_uuids(const struct ptable *t, struct json_object **ret)
{
	char id[PTABLE_DISK_ID_MAX];
	struct json_object *o, *s;

	ptable_disk_identifier(t, id);
	o = json_object_new_object();
	s = json_object_new_string(id);
	if (!o || !s || json_object_object_add(o, "root uuid", s) < 0) {
		json_object_put(o);
		json_object_put(s);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

/* The sectors partitions may use: GPT's usable area; for MBR from sector 1 to the 2^32 limit. */
static void usable_area(const struct ptable *t, uint64_t *first, uint64_t *last)
{
	if (t->type == PTABLE_GPT) {
		*first = t->gpt_first_usable;
		*last = MIN(t->gpt_last_usable, t->n_sectors - 1);
	} else {
		*first = 1;
		*last = MIN(t->n_sectors, MBR_MAX_SECTORS) - 1;
	}
}

bool ptable_range_is_free(const struct ptable *t, uint64_t first, uint64_t last)
{
	uint64_t ufirst, ulast;

	usable_area(t, &ufirst, &ulast);
	if (first > last || first < ufirst || last > ulast)
		return false;
	for (size_t i = 0; i < t->n_partitions; i++) {
		const struct ptable_partition *p = &t->partitions[i];

		if (!p->logical && p->first_lba <= last && first <= p->last_lba)
			return false;
	}
	return true;
}

/* gdisk's FindFirstAvailable() and FindLastInFree(); 0 means nothing free from start on. */
static uint64_t first_available(const struct ptable *t, uint64_t start)
{
	uint64_t ufirst, ulast;
	bool moved;

	usable_area(t, &ufirst, &ulast);
	start = start < ufirst ? ufirst : start;
	do {
		moved = false;
		for (size_t i = 0; i < t->n_partitions; i++) {
			const struct ptable_partition *p = &t->partitions[i];

			if (!p->logical && start >= p->first_lba && start <= p->last_lba) {
				start = p->last_lba + 1;
				moved = true;
			}
		}
	} while (moved);
	return start > ulast ? 0 : start;
}

static uint64_t last_in_free(const struct ptable *t, uint64_t start)
{
	uint64_t ufirst, end;

	usable_area(t, &ufirst, &end);
	for (size_t i = 0; i < t->n_partitions; i++) {
		const struct ptable_partition *p = &t->partitions[i];

		/* >=: a partition on the last usable sector ends the area too (fuzz-ptable) */
		if (!p->logical && end >= p->first_lba && p->first_lba > start)
			end = p->first_lba - 1;
	}
	return end;
}

int ptable_largest_free(const struct ptable *t, uint64_t *ret_first, uint64_t *ret_last)
{
	uint64_t best = 0, best_size = 0, start = 0, first;

	while ((first = first_available(t, start)) != 0) {
		uint64_t last = last_in_free(t, first);

		if (last - first + 1 > best_size) {
			best_size = last - first + 1;
			best = first;
		}
		start = last + 1;
	}
	if (best_size == 0)
		return -ENOSPC;
	*ret_first = best;
	*ret_last = last_in_free(t, best);
	return 0;
}

int ptable_gpt_move_backup_to_end(struct ptable *t)
{
	uint64_t esectors, last_usable;

	if (t->type != PTABLE_GPT)
		return -EINVAL;
	if (t->gpt_backup_lba == t->n_sectors - 1)
		return 0;
	esectors =
	    ((uint64_t)t->gpt_n_entries * t->gpt_entry_size + t->sector_size - 1) / t->sector_size;
	if (t->gpt_first_usable >= t->n_sectors || esectors + 1 > t->n_sectors)
		return -ENOSPC;
	last_usable = t->n_sectors - t->gpt_first_usable;
	if (last_usable + esectors >= t->n_sectors)
		last_usable = t->n_sectors - 2 - esectors;
	for (size_t i = 0; i < t->n_partitions; i++)
		if (t->partitions[i].last_lba > last_usable)
			return -ENOSPC;
	t->gpt_backup_lba = t->n_sectors - 1;
	t->gpt_last_usable = last_usable;
	t->gpt_backup_entries_lba = last_usable + 1;
	/* A pure protective MBR (one 0xEE entry) is made to cover the whole disk again. */
	unsigned used = 0, ee = 4;
	for (unsigned i = 0; i < 4; i++)
		if (t->mbr[446 + 16 * i + 4] != 0) {
			used++;
			ee = t->mbr[446 + 16 * i + 4] == 0xee ? i : ee;
		}
	if (used == 1 && ee < 4)
		put_le(t->mbr, 512, 446 + 16 * ee + 12, 4,
		       MIN(t->n_sectors - 1, UINT64_C(0xffffffff)));
	return 1;
}

static int gpt_add(struct ptable *t, uint64_t first, uint64_t last, const uint8_t type_guid[16],
		   const uint8_t guid[16], unsigned *ret_number)
{
	size_t size = (size_t)t->gpt_n_entries * t->gpt_entry_size;

	for (uint32_t i = 0; i < t->gpt_n_entries; i++) {
		size_t off = (size_t)i * t->gpt_entry_size;

		if (!ptable_guid_is_null(t->gpt_entries + off))
			continue;
		memset(t->gpt_entries + off, 0, t->gpt_entry_size);
		memcpy(t->gpt_entries + off, type_guid, 16);
		memcpy(t->gpt_entries + off + 16, guid, 16);
		put_le(t->gpt_entries, size, off + 32, 8, first);
		put_le(t->gpt_entries, size, off + 40, 8, last);
		*ret_number = i + 1;
		return gpt_list_partitions(t);
	}
	return -E2BIG;
}

static int mbr_add(struct ptable *t, uint64_t first, uint64_t last, uint8_t type,
		   unsigned *ret_number)
{
	for (unsigned i = 0; i < 4; i++) {
		size_t off = 446 + 16 * (size_t)i;
		struct ptable_partition p = {.number = i + 1};
		int r;

		if (t->mbr[off + 4] != 0 && get_le(t->mbr, 512, off + 12, 4) != 0)
			continue;
		memset(t->mbr + off, 0, 16);
		/* CHS fields say "beyond CHS range" (1023/254/63), as parted writes for LBA use. */
		t->mbr[off + 1] = t->mbr[off + 5] = 0xfe;
		t->mbr[off + 2] = t->mbr[off + 6] = 0xff;
		t->mbr[off + 3] = t->mbr[off + 7] = 0xff;
		t->mbr[off + 4] = type;
		put_le(t->mbr, 512, off + 8, 4, first);
		put_le(t->mbr, 512, off + 12, 4, last - first + 1);
		mbr_entry(t->mbr, i, 0, &p);
		r = add_part(t, &p);
		if (r < 0)
			return r;
		*ret_number = i + 1;
		return 0;
	}
	return -E2BIG;
}

int ptable_add_partition(struct ptable *t, uint64_t first, uint64_t last,
			 const uint8_t type_guid[16], const uint8_t guid[16], uint8_t mbr_type,
			 unsigned *ret_number)
{
	uint64_t ufirst, ulast;

	usable_area(t, &ufirst, &ulast);
	if (first > last || first < ufirst || last > ulast)
		return -ERANGE;
	if (!ptable_range_is_free(t, first, last))
		return -ENOSPC;
	if (t->type == PTABLE_GPT)
		return gpt_add(t, first, last, type_guid, guid, ret_number);
	return mbr_add(t, first, last, mbr_type, ret_number);
}

static int gpt_write_header(struct ptable *t, int fd, bool primary, uint32_t entries_crc)
{
	_cleanup_free_ uint8_t *h = calloc(1, t->sector_size);
	unsigned ss = t->sector_size;
	uint64_t my = primary ? 1 : t->gpt_backup_lba;

	if (!h)
		return -ENOMEM;
	memcpy(h, GPT_SIGNATURE, 8);
	put_le(h, ss, 8, 4, 0x00010000);
	put_le(h, ss, 12, 4, GPT_HEADER_SIZE);
	put_le(h, ss, 24, 8, my);
	put_le(h, ss, 32, 8, primary ? t->gpt_backup_lba : 1);
	put_le(h, ss, 40, 8, t->gpt_first_usable);
	put_le(h, ss, 48, 8, t->gpt_last_usable);
	memcpy(h + 56, t->disk_guid, 16);
	put_le(h, ss, 72, 8, primary ? t->gpt_entries_lba : t->gpt_backup_entries_lba);
	put_le(h, ss, 80, 4, t->gpt_n_entries);
	put_le(h, ss, 84, 4, t->gpt_entry_size);
	put_le(h, ss, 88, 4, entries_crc);
	put_le(h, ss, 16, 4, crc32(0, h, GPT_HEADER_SIZE));
	return pwrite_full(fd, h, ss, my * ss);
}

int ptable_write(struct ptable *t, int fd)
{
	size_t array = (size_t)t->gpt_n_entries * t->gpt_entry_size;
	uint64_t esectors = (array + t->sector_size - 1) / t->sector_size;
	uint32_t crc;
	int r;

	/* Nothing is written over partitions or beyond the disk. */
	if (t->type == PTABLE_GPT &&
	    (t->gpt_backup_lba >= t->n_sectors || t->gpt_backup_lba <= t->gpt_last_usable ||
	     t->gpt_backup_entries_lba <= t->gpt_last_usable ||
	     t->gpt_backup_entries_lba + esectors > t->gpt_backup_lba ||
	     t->gpt_entries_lba + esectors > t->gpt_first_usable))
		return -EINVAL;
	r = pwrite_full(fd, t->mbr, sizeof(t->mbr), 0);
	if (r < 0)
		return r;
	if (t->type == PTABLE_GPT) {
		crc = (uint32_t)crc32(0, t->gpt_entries, (uInt)array);
		r = pwrite_full(fd, t->gpt_entries, array, t->gpt_entries_lba * t->sector_size);
		if (r >= 0)
			r = pwrite_full(fd, t->gpt_entries, array,
					t->gpt_backup_entries_lba * t->sector_size);
		if (r >= 0)
			r = gpt_write_header(t, fd, true, crc);
		if (r >= 0)
			r = gpt_write_header(t, fd, false, crc);
		if (r < 0)
			return r;
		t->gpt_primary_ok = t->gpt_backup_ok = true;
	}
	if (fsync(fd) < 0)
		return negative_errno();
	return 0;
}
