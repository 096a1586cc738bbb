/* sources: src/agent/ptable.c src/agent/configdrive.c src/agent/efi.c src/agent/efi-loader.c
 * src/basic/fileio.c src/basic/hexdecoct.c */
/*
 * What the agent reads from a disk and from the firmware's variables. The input is used three
 * ways:
 *
 *   - as a disk image of 512-byte sectors on a memfd (zero-padded to whole 4 KiB blocks, at
 *     least 8 KiB): ptable_read() with 512- and 4096-byte sectors, then what the agent does with
 *     a table (ptable_partition_uuids(), free space, the GUIDs); and the same bytes at the start
 *     of a sparse 72 MiB memfd for configdrive_write(), which adds the config drive partition
 *     (moving the GPT backup, writing the table back) or reuses a "config-2" one;
 *   - as the data of a Boot#### variable: efi_load_option_parse(), then the device path
 *     helpers on what it found, and the UTF-16 decoder on the raw bytes;
 *   - as EFI/BOOT/BOOTX64.CSV on a scratch ESP directory for efi_loader_find().
 *
 * Invariants: only the documented return values; partitions inside the device; a table the
 * agent wrote reads back with the partition it added.
 */
#define _GNU_SOURCE 1 /* memfd_create() */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/configdrive.h"
#include "agent/efi-loader.h"
#include "agent/efi.h"
#include "agent/ptable.h"

#include "fuzz.h"
#include "basic/hexdecoct.h"

#define MIB	    (1024ULL * 1024)
#define BIG_DISK    (72 * MIB)
#define DRIVE_BYTES 4096

static int small_fd = -1, big_fd = -1, esp_fd = -1;
static char esp_dir[256];

static void esp_cleanup(void)
{
	char path[sizeof(esp_dir) + 32];

	if (!esp_dir[0])
		return;
	snprintf(path, sizeof(path), "%s/EFI/BOOT/BOOTX64.CSV", esp_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/EFI/BOOT", esp_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/EFI", esp_dir);
	rmdir(path);
	rmdir(esp_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char path[sizeof(esp_dir) + 32];

	(void)argc;
	(void)argv;
	small_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	big_fd = memfd_create("fuzz-big-disk", MFD_CLOEXEC);
	snprintf(esp_dir, sizeof(esp_dir), "%s/fuzz-esp.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (small_fd < 0 || big_fd < 0 || !mkdtemp(esp_dir))
		abort();
	atexit(esp_cleanup);
	snprintf(path, sizeof(path), "%s/EFI", esp_dir);
	if (mkdir(path, 0755) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/EFI/BOOT", esp_dir);
	if (mkdir(path, 0755) < 0)
		abort();
	esp_fd = open(esp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (esp_fd < 0)
		abort();
	return 0;
}

/* Empties fd, then makes it size bytes holding data at its start. */
static void disk_fill(int fd, const uint8_t *data, size_t n, uint64_t size)
{
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	if (n > 0 && pwrite(fd, data, n, 0) != (ssize_t)n)
		abort();
}

static void check_table(const struct ptable *t)
{
	char id[PTABLE_DISK_ID_MAX], guid[GUID_STRING_MAX];
	json_object *o = NULL;
	uint64_t first, last;
	int r;

	FUZZ_CHECK(t->sector_size == 512 || t->sector_size == 4096, "sector size %u",
		   t->sector_size);
	FUZZ_CHECK(t->n_partitions == 0 || t->partitions, "partitions without an array");
	for (size_t i = 0; i < t->n_partitions; i++) {
		const struct ptable_partition *p = &t->partitions[i];

		FUZZ_CHECK(p->number >= 1, "partition number 0");
		FUZZ_CHECK(p->first_lba <= p->last_lba, "partition %u: %llu > %llu", p->number,
			   (unsigned long long)p->first_lba, (unsigned long long)p->last_lba);
		FUZZ_CHECK(memchr(p->name, 0, sizeof(p->name)), "partition %u: name unterminated",
			   p->number);
		FUZZ_CHECK(ptable_get_partition(t, p->number), "partition %u not found", p->number);
		guid_to_string(p->guid, guid);
		FUZZ_CHECK(strlen(guid) == 36, "GUID text %s", guid);
	}
	if (t->type == PTABLE_GPT) {
		FUZZ_CHECK(t->gpt_n_entries <= PTABLE_GPT_MAX_ENTRIES, "%u entries",
			   t->gpt_n_entries);
		FUZZ_CHECK(t->gpt_entry_size <= PTABLE_GPT_MAX_ENTRY_SIZE, "entries of %u bytes",
			   t->gpt_entry_size);
		FUZZ_CHECK((uint64_t)t->gpt_n_entries * t->gpt_entry_size <= PTABLE_GPT_MAX_ARRAY,
			   "an entry array of %u x %u", t->gpt_n_entries, t->gpt_entry_size);
		FUZZ_CHECK(t->gpt_primary_ok || t->gpt_backup_ok, "a GPT without a valid header");
	}
	FUZZ_CHECK(strcmp(ptable_type_to_string(t->type), "gpt") == 0 ||
		       strcmp(ptable_type_to_string(t->type), "msdos") == 0,
		   "type %d", (int)t->type);

	ptable_disk_identifier(t, id);
	FUZZ_CHECK(strlen(id) == 10, "disk identifier %s", id);
	r = ptable_partition_uuids(t, &o);
	FUZZ_CHECK(r == 0 || r == -ENOMEM, "ptable_partition_uuids returned %d", r);
	if (r == 0) {
		json_object *v = NULL;

		FUZZ_CHECK(json_object_object_get_ex(o, "root uuid", &v) &&
			       strcmp(json_object_get_string(v), id) == 0,
			   "root uuid is not %s", id);
		json_object_put(o);
	}

	r = ptable_largest_free(t, &first, &last);
	FUZZ_CHECK(r == 0 || r == -ENOSPC, "ptable_largest_free returned %d", r);
	if (r == 0) {
		FUZZ_CHECK(first <= last && last < t->n_sectors,
			   "largest free area %llu-%llu on %llu sectors", (unsigned long long)first,
			   (unsigned long long)last, (unsigned long long)t->n_sectors);
		FUZZ_CHECK(ptable_range_is_free(t, first, last),
			   "largest free area %llu-%llu is not free", (unsigned long long)first,
			   (unsigned long long)last);
	}
}

static void fuzz_disk(const uint8_t *data, size_t size)
{
	uint64_t padded = (size + 4095) / 4096 * 4096;
	static const unsigned sector_sizes[] = {0, 4096};

	disk_fill(small_fd, data, size, padded < 8192 ? 8192 : padded);
	for (size_t i = 0; i < sizeof(sector_sizes) / sizeof(sector_sizes[0]); i++) {
		struct ptable *t = NULL;
		int r = ptable_read(small_fd, sector_sizes[i], &t);

		FUZZ_CHECK(r == 0 || r == -ENOMSG || r == -EBADMSG || r == -ENOMEM,
			   "ptable_read returned %d", r);
		FUZZ_CHECK(r == 0 || !t, "ptable_read failed with %d but gave a table", r);
		if (r == 0)
			check_table(t);
		ptable_free(t);
	}
}

static void fuzz_configdrive_write(const uint8_t *data, size_t size)
{
	static uint8_t drive[DRIVE_BYTES];
	struct configdrive_result res = {0};
	struct ptable *t = NULL;
	const struct ptable_partition *p;
	char err[CONFIGDRIVE_ERROR_MAX] = "";
	int r;

	if (size > BIG_DISK / 2)
		return;
	memset(drive, 0xc5, sizeof(drive));
	disk_fill(big_fd, data, size, BIG_DISK);
	r = configdrive_write(big_fd, "/dev/sda", drive, sizeof(drive), &res, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -ENOMSG || r == -EBADMSG || r == -ENOTUNIQ || r == -E2BIG ||
		       r == -ENOSPC || r == -ERANGE || r == -ENOMEM,
		   "configdrive_write returned %d (%s)", r, err);
	FUZZ_CHECK(r == 0 || err[0], "configdrive_write failed with %d without a message", r);
	if (r < 0)
		return;

	FUZZ_CHECK(res.first_lba <= res.last_lba, "config drive at %llu-%llu",
		   (unsigned long long)res.first_lba, (unsigned long long)res.last_lba);
	r = ptable_read(big_fd, 0, &t);
	FUZZ_CHECK(r == 0, "the table configdrive_write left does not read back: %d", r);
	FUZZ_CHECK(res.last_lba < t->n_sectors, "config drive ends at %llu of %llu sectors",
		   (unsigned long long)res.last_lba, (unsigned long long)t->n_sectors);
	p = ptable_get_partition(t, res.number);
	FUZZ_CHECK(p, "config drive partition %u not in the table read back", res.number);
	FUZZ_CHECK(p->first_lba == res.first_lba && p->last_lba == res.last_lba,
		   "config drive partition %u moved", res.number);
	check_table(t);
	ptable_free(t);
}

static void fuzz_load_option(const uint8_t *data, size_t size)
{
	struct efi_load_option o = {0};
	struct efi_partition part;
	char *s = NULL;
	int r;

	for (int be = 0; be < 2; be++)
		for (int strict = 0; strict < 2; strict++) {
			r = efi_utf16_to_utf8(data, size, be, strict, &s);
			FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM,
				   "efi_utf16_to_utf8 returned %d", r);
			FUZZ_CHECK(r == 0 || strict, "efi_utf16_to_utf8 lax failed with %d", r);
			free(s);
			s = NULL;
		}

	r = efi_load_option_parse(data, size, &o);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM, "efi_load_option_parse returned %d", r);
	if (r < 0)
		return;
	FUZZ_CHECK(o.description, "a load option without a description");
	FUZZ_CHECK(o.file_path_size <= size && o.optional_data_size <= size,
		   "a load option larger than its variable");
	(void)efi_device_path_kind(o.file_path, o.file_path_size);
	r = efi_device_path_file(o.file_path, o.file_path_size, &s, NULL);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -ENOMEM, "efi_device_path_file returned %d", r);
	FUZZ_CHECK(r != 0 || s, "efi_device_path_file gave no text");
	free(s);
	s = NULL;
	r = efi_device_path_file(o.file_path, o.file_path_size, &s, &part);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -ENOMEM, "efi_device_path_file returned %d", r);
	free(s);
	efi_load_option_done(&o);
}

static void fuzz_csv(const uint8_t *data, size_t size)
{
	struct efi_loader *l = NULL;
	size_t n = 0;
	int fd, r;

	fd = openat(esp_fd, "EFI/BOOT/BOOTX64.CSV", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);

	r = efi_loader_find(esp_fd, &l, &n);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -E2BIG || r == -ENOMEM || r == -EFBIG,
		   "efi_loader_find returned %d", r);
	if (r == 0) {
		FUZZ_CHECK(n == 1, "%zu loaders from one CSV", n);
		FUZZ_CHECK(l[0].path && l[0].path[0] == '\\', "loader path %s", l[0].path);
		FUZZ_CHECK(strncmp(l[0].path, "\\EFI\\BOOT\\", 10) == 0, "loader path %s",
			   l[0].path);
		FUZZ_CHECK(l[0].label, "a loader without a label");
		efi_loader_free_many(l, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_disk(data, size);
	fuzz_configdrive_write(data, size);
	fuzz_load_option(data, size);
	fuzz_csv(data, size);
	return 0;
}
