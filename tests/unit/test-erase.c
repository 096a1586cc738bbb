/*
 * The erase steps on stand-in disks: a root directory whose sys/ shows virtio disks (and
 * partitions) and whose dev/ entries are sparse files holding real signatures (GPT from
 * systemd-repart or sfdisk, ext4, vfat, iso9660 from xorriso, a Linux RAID superblock written
 * here). Checks what IPA's erase_devices_metadata, erase_devices, erase_devices_express and
 * erase_pstore leave behind, and which devices they must not touch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/erase.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "test.h"

static char dir[] = "/tmp/test-erase.XXXXXX";
static unsigned n_virtio;

static int run(const char *fmt, ...) _printf_(1, 2);
static int run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* The sha256 of root/dev/<name>, or "" */
static void hash(const char *name, char out[65])
{
	char cmd[4200];
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "sha256sum %s/root/dev/%s 2>/dev/null", dir, name);
	f = popen(cmd, "r");
	if (!f)
		return;
	if (fscanf(f, "%64s", out) != 1)
		out[0] = '\0';
	pclose(f);
}

/* A virtio disk in sys/ of mib MiB, dev/<name> a sparse file of that size. */
static int disk(const char *name, unsigned mib, bool ro)
{
	char dev[128];

	snprintf(dev, sizeof(dev), "sys/devices/pci0000:00/0000:00:%02x.0/virtio%u", 4 + n_virtio,
		 n_virtio);
	n_virtio++;
	return run("cd %s/root && mkdir -p %s/block/%s/queue sys/block dev && "
		   "echo 0x1af4 > %s/vendor && echo %u > %s/block/%s/size && "
		   "echo 0 > %s/block/%s/queue/rotational && echo %d > %s/block/%s/ro && "
		   "ln -s ../devices/%s/block/%s sys/block/%s && "
		   "ln -s ../../../%s %s/block/%s/device && truncate -s %uM dev/%s",
		   dir, dev, name, dev, mib * 2048, dev, name, dev, name, ro, dev, name,
		   dev + strlen("sys/devices/"), name, name, strrchr(dev, '/') + 1, dev, name, mib,
		   name);
}

/* Partition number no of disk in sys/, dev/<part> a file of mib MiB. */
static int partition(const char *disk_name, const char *part, unsigned no, unsigned mib)
{
	return run("cd %s/root && d=$(readlink -f sys/block/%s) && mkdir -p $d/%s && "
		   "echo %u > $d/%s/partition && echo %u > $d/%s/size && echo 0 > $d/%s/ro && "
		   "truncate -s %uM dev/%s",
		   dir, disk_name, part, no, part, mib * 2048, part, part, mib, part);
}

/* A GPT with one partition of part_mib MiB (type: a GUID or a repart name). */
static int gpt(const char *name, unsigned mib, unsigned part_mib, const char *type)
{
	if (run("command -v sfdisk >/dev/null") == 0)
		return run("cd %s/root && printf 'label: gpt\\nsize=%uMiB, type=%s\\n' | "
			   "sfdisk -q dev/%s >/dev/null",
			   dir, part_mib, strcmp(type, "linux-generic") == 0 ? "linux" : type,
			   name);
	return run("cd %s && rm -rf defs && mkdir defs && printf '[Partition]\\nType=%s\\n"
		   "SizeMinBytes=%uM\\nSizeMaxBytes=%uM\\n' > defs/1.conf && rm -f root/dev/%s && "
		   "systemd-repart --empty=create --size=%uM --dry-run=no --definitions=defs "
		   "root/dev/%s >/dev/null 2>&1",
		   dir, type, part_mib, part_mib, name, mib, name);
}

/* 1 MiB of a recognisable pattern at offset mib of dev/<name>. */
static int pattern(const char *name, unsigned mib)
{
	return run("cd %s/root && yes INGOT-ERASE-PATTERN | head -c 1048576 | "
		   "dd of=dev/%s bs=1M seek=%u conv=notrunc status=none",
		   dir, name, mib);
}

static bool has_pattern(const char *name)
{
	return run("grep -q INGOT-ERASE-PATTERN %s/root/dev/%s", dir, name) == 0;
}

/* No signature for blkid -p, nothing for wipefs to list. */
static bool no_signatures(const char *name)
{
	return run("blkid -p %s/root/dev/%s >/dev/null 2>&1", dir, name) == 2 &&
	       run("test -z \"$(wipefs %s/root/dev/%s 2>&1)\"", dir, name) == 0;
}

static bool all_zero(const char *name)
{
	return run("cmp -s -n $(stat -c %%s %s/root/dev/%s) %s/root/dev/%s /dev/zero", dir, name,
		   dir, name) == 0;
}

/* A Linux RAID 1.2 superblock at 4 KiB (what mdadm --create writes), checksum and all. */
static int raid_superblock(const char *name)
{
	unsigned char sb[256] = {0};
	char path[4200];
	uint64_t sum = 0;
	uint32_t w;
	int fd;

#define PUT32(off, v)                                                                              \
	do {                                                                                       \
		w = (v);                                                                           \
		memcpy(sb + (off), &w, 4);                                                         \
	} while (0)
	PUT32(0, 0xa92b4efc); /* magic */
	PUT32(4, 1);	      /* major_version */
	memcpy(sb + 16, "0123456789abcdef", 16);
	memcpy(sb + 32, "ingot:0", 7);
	PUT32(72, 1);  /* level */
	PUT32(92, 2);  /* raid_disks */
	PUT32(144, 8); /* super_offset: sector 8 */
	for (size_t i = 0; i < sizeof(sb); i += 4) {
		memcpy(&w, sb + i, 4);
		sum += w;
	}
	PUT32(216, (uint32_t)((sum >> 32) + (uint32_t)sum)); /* sb_csum, max_dev 0 */
#undef PUT32
	snprintf(path, sizeof(path), "%s/root/dev/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pwrite(fd, sb, sizeof(sb), 4096) != (ssize_t)sizeof(sb)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static json_object *node_new(const char *dii_json, const char *props_json)
{
	json_object *n = json_object_new_object();

	json_object_object_add(n, "uuid", json_object_new_string("1be26c0b"));
	json_object_object_add(n, "driver_internal_info", json_tokener_parse(dii_json));
	json_object_object_add(n, "properties", json_tokener_parse(props_json));
	return n;
}

static void set_node(struct agent *a, const char *dii_json)
{
	json_object *n = node_new(dii_json, "{\"skip_block_devices\": [{\"name\": \"/dev/vde\"}]}");

	agent_node_set(a, n);
	json_object_put(n);
}

static const char *err_field(json_object *e, const char *key)
{
	const char *s = json_get_string(e, key);

	return s ? s : "(none)";
}

static void reset(json_object **r, json_object **e)
{
	json_object_put(*r);
	json_object_put(*e);
	*r = *e = NULL;
}

/* --- the fake secure erase: vdb is "formatted", vda has none, vdg fails ------------------- */
static atomic_int secure_calls;

static int fake_secure(struct erase_device *d, const struct erase_options *o, char **ret_error)
{
	(void)o;
	atomic_fetch_add(&secure_calls, 1);
	if (strcmp(d->name, "vdb") == 0)
		return 1;
	if (strcmp(d->name, "vdg") == 0) {
		*ret_error = strdup("Erase failed for device /dev/vdg: test");
		return -EIO;
	}
	return 0;
}

static void test_options(void)
{
	struct erase_options o = {0};
	json_object *n;
	char *err = NULL;

	n = node_new("{}", "{}");
	CHECK(erase_options_from_node(n, &o, &err) == 0 && o.iterations == 1 && o.zeroize &&
		  !o.skip_read_only && !o.continue_if_secure_erase_failed &&
		  o.enable_nvme_secure_erase && o.enable_ata_secure_erase && o.concurrency == 1 &&
		  o.guard,
	      "options: IPA's defaults (1 pass, zeroize, concurrency 1)");
	json_object_put(n);
	n = node_new("{\"agent_erase_devices_iterations\": \"3\", \"agent_erase_devices_zeroize\": "
		     "0, \"agent_continue_if_secure_erase_failed\": null, "
		     "\"agent_continue_if_ata_erase_failed\": true, \"disk_erasure_concurrency\": "
		     "4, \"agent_enable_nvme_secure_erase\": \"\"}",
		     "{}");
	CHECK(erase_options_from_node(n, &o, &err) == 0 && o.iterations == 3 && !o.zeroize &&
		  o.continue_if_secure_erase_failed && o.concurrency == 4 &&
		  !o.enable_nvme_secure_erase,
	      "options: Python truth, the legacy ATA fallback key, iterations as text");
	json_object_put(n);
	n = node_new("{\"agent_erase_devices_iterations\": -1}", "{}");
	CHECK(erase_options_from_node(n, &o, &err) == -EINVAL && err && strstr(err, "-1"),
	      "options: negative iterations refused as shred would (%s)", err ? err : "-");
	free(err);
	err = NULL;
	json_object_put(n);
	n = node_new("{\"agent_erase_devices_iterations\": 1000}", "{}");
	CHECK(erase_options_from_node(n, &o, &err) == -EINVAL, "options: iterations above %d",
	      ERASE_ITERATIONS_MAX);
	free(err);
	json_object_put(n);
}

static void test_select(struct agent *a)
{
	struct erase_select_options so = {.partitions = true,
					  .boot_volume_id = ERASE_BOOT_VOLUME_ID};
	struct erase_device *d = NULL;
	json_object *n = node_new("{}", "{\"skip_block_devices\": [{\"name\": \"/dev/vde\"}]}");
	char *err = NULL;
	size_t count = 0;
	int r;

	r = erase_select(a->root_fd, n, &so, &d, &count, &err);
	CHECK(r == 0, "select: lists the devices (%d)", r);
	for (size_t i = 0; r == 0 && i < count; i++) {
		enum erase_skip k = erase_device_skip(&d[i], d, count);
		const char *want = strcmp(d[i].name, "vdc") == 0    ? "boot"
				   : strcmp(d[i].name, "vdd") == 0  ? "ro"
				   : strcmp(d[i].name, "vde") == 0  ? "hint"
				   : strcmp(d[i].name, "vde1") == 0 ? "parent"
				   : strcmp(d[i].name, "vdc2") == 0 ? "parent"
				   : strcmp(d[i].name, "vdf") == 0  ? "raid"
				   : strcmp(d[i].name, "vdj") == 0  ? "vmedia"
								    : "none";
		enum erase_skip expect = strcmp(want, "boot") == 0     ? ERASE_SKIP_BOOT_MEDIA
					 : strcmp(want, "ro") == 0     ? ERASE_SKIP_READ_ONLY
					 : strcmp(want, "hint") == 0   ? ERASE_SKIP_HINT
					 : strcmp(want, "parent") == 0 ? ERASE_SKIP_PARENT
					 : strcmp(want, "raid") == 0   ? ERASE_SKIP_RAID_MEMBER
					 : strcmp(want, "vmedia") == 0 ? ERASE_SKIP_VMEDIA
								       : ERASE_SKIP_NONE;

		CHECK(k == expect, "select: %s is %s", d[i].path, erase_skip_to_string(k));
	}
	erase_devices_sort_reverse(d, count);
	CHECK(count > 2 && strcmp(d[0].name, d[1].name) > 0, "select: reverse order (%s, %s)",
	      count > 1 ? d[0].name : "-", count > 1 ? d[1].name : "-");
	for (size_t i = 0; i + 1 < count; i++)
		if (strcmp(d[i].name, "vda1") == 0)
			CHECK(strcmp(d[i + 1].name, "vda") == 0, "select: vda1 comes before vda");
	erase_devices_free(d, count);
	json_object_put(n);

	/* Another volume id: the ISO is just a disk. */
	so.boot_volume_id = "OTHER";
	r = erase_select(a->root_fd, n, &so, &d, &count, &err);
	for (size_t i = 0; r == 0 && i < count; i++)
		if (strcmp(d[i].name, "vdc") == 0)
			CHECK(erase_device_skip(&d[i], d, count) == ERASE_SKIP_NONE,
			      "select: an ISO of another volume id is erasable");
	erase_devices_free(d, count);

	/* An invalid skip list: IPA's ValueError. */
	n = node_new("{}", "{\"skip_block_devices\": [{\"colour\": \"red\"}]}");
	r = erase_select(a->root_fd, n, &so, &d, &count, &err);
	CHECK(r == -EINVAL && err, "select: an invalid hint fails (%s)", err ? err : "-");
	free(err);
	json_object_put(n);
}

static void test_guard(struct agent *a, const char *const *names, size_t n_names)
{
	json_object *r = NULL, *e = NULL;
	char before[16][65], after[65];
	bool same = true;
	struct erase_options hooks = {.boot_volume_id = ERASE_BOOT_VOLUME_ID};

	for (size_t i = 0; i < n_names; i++)
		hash(names[i], before[i]);
	set_node(a, "{}");
	CHECK(erase_step_metadata_with(a, NULL, &hooks, &r, &e) == COMMAND_ERROR &&
		  strcmp(err_field(e, "type"), "ProtectedDeviceError") == 0 &&
		  strstr(err_field(e, "details"), "VMware VMFS Partition (GPT)") &&
		  strstr(err_field(e, "details"), "/dev/vdi1"),
	      "guard: a VMFS partition aborts the step (%s)", err_field(e, "details"));
	for (size_t i = 0; i < n_names; i++) {
		hash(names[i], after);
		same = same && strcmp(before[i], after) == 0;
	}
	CHECK(same, "guard: no device was touched");
	reset(&r, &e);

	/* wipe_special_filesystems false: the guard is off. */
	set_node(a, "{\"wipe_special_filesystems\": false}");
	{
		struct erase_device d = {.path = "/dev/vdi1",
					 .name = "vdi1",
					 .parent = "vdi",
					 .partno = 1,
					 .partition = true};
		char *err = NULL;

		CHECK(erase_select_guard(a->root_fd, &d, &err) == -EPERM && err,
		      "guard: erase_select_guard() finds the partition type");
		free(err);
	}
	run("rm %s/root/sys/block/vdi", dir);
}

static void test_metadata(struct agent *a)
{
	json_object *r = NULL, *e = NULL;
	char h_iso[65], h_ro[65], h_skip[65], h_raid[65], h_vm[65], h[65];
	int code;

	hash("vdc", h_iso);
	hash("vdd", h_ro);
	hash("vde", h_skip);
	hash("vdf", h_raid);
	hash("vdj", h_vm);
	set_node(a, "{}");
	code = erase_step_metadata(a, NULL, &r, &e);
	/* vdh has no dev/ entry: the step fails naming it, after erasing all others. */
	CHECK(
	    code == COMMAND_ERROR && strcmp(err_field(e, "type"), "BlockDeviceEraseError") == 0 &&
		strcmp(err_field(e, "message"), "Error erasing block device") == 0 &&
		strncmp(err_field(e, "details"),
			"Failed to erase the metadata on the device(s): \"/dev/vdh\": cannot open "
			"/dev/vdh: No such file or directory",
			110) == 0,
	    "metadata: a missing device fails the step, named (%s)", err_field(e, "details"));
	reset(&r, &e);
	CHECK(no_signatures("vda") && no_signatures("vda1") && no_signatures("vdb") &&
		  no_signatures("vdg"),
	      "metadata: blkid -p and wipefs find nothing on vda, vda1, vdb, vdg");
	CHECK(has_pattern("vda") && has_pattern("vdb") && has_pattern("vdg"),
	      "metadata: the data pattern in the middle survives");
	CHECK(run("cd %s/root && test \"$(dd if=dev/vdg bs=512 skip=32767 count=1 status=none | "
		  "head -c 8)\" != 'EFI PART'",
		  dir) == 0,
	      "metadata: the backup GPT header where the primary said (not at the end) is gone");
	CHECK(run("cd %s/root && cmp -s -n 1048576 dev/vda /dev/zero && "
		  "tail -c 1048576 dev/vda | cmp -s -n 1048576 - /dev/zero",
		  dir) == 0,
	      "metadata: first and last MiB are zero");
	hash("vdc", h);
	CHECK(strcmp(h, h_iso) == 0 && run("blkid -p %s/root/dev/vdc | grep -q iso9660", dir) == 0,
	      "metadata: the boot ISO is untouched");
	hash("vdd", h);
	CHECK(strcmp(h, h_ro) == 0, "metadata: the read-only disk is untouched");
	hash("vde", h);
	CHECK(strcmp(h, h_skip) == 0, "metadata: the skip-listed disk is untouched");
	hash("vdf", h);
	CHECK(strcmp(h, h_raid) == 0, "metadata: the RAID member is untouched");
	hash("vdj", h);
	CHECK(strcmp(h, h_vm) == 0, "metadata: the virtual media device is untouched");

	run("rm %s/root/sys/block/vdh", dir);
	code = erase_step_metadata(a, NULL, &r, &e);
	CHECK(code == COMMAND_OK && !r, "metadata: again, nothing left: SUCCEEDED, null result");
	reset(&r, &e);
}

static void test_devices(struct agent *a)
{
	json_object *r = NULL, *e = NULL;
	char h_iso[65], h_ro[65], h_skip[65], h[65];
	struct erase_options hooks = {.boot_volume_id = ERASE_BOOT_VOLUME_ID};
	int code;

	pattern("vda", 30);
	pattern("vdb", 10);
	hash("vdc", h_iso);
	hash("vdd", h_ro);
	hash("vde", h_skip);

	/* The step takes no arguments in IPA. */
	{
		json_object *args = json_tokener_parse("{\"iterations\": 2}");

		code = erase_step_devices_with(a, args, &hooks, &r, &e);
		CHECK(
		    code == COMMAND_ERROR && strcmp(err_field(e, "type"), "CleaningError") == 0 &&
			strstr(err_field(e, "details"), "unexpected keyword argument 'iterations'"),
		    "devices: a step argument is a TypeError (%s)", err_field(e, "details"));
		json_object_put(args);
		reset(&r, &e);
	}

	/* A read-only disk fails the step unless agent_erase_skip_read_only. */
	set_node(a, "{\"agent_erase_devices_iterations\": 0, \"disk_erasure_concurrency\": 4}");
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_ERROR && strcmp(err_field(e, "type"), "BlockDeviceEraseError") == 0 &&
		  strstr(err_field(e, "details"), "/dev/vdd as the device is flagged read-only"),
	      "devices: read-only disk: BlockDeviceEraseError (%s)", err_field(e, "details"));
	reset(&r, &e);

	pattern("vda", 30);
	pattern("vdb", 10);
	set_node(a, "{\"agent_erase_devices_iterations\": 1, \"agent_erase_devices_zeroize\": true,"
		    " \"disk_erasure_concurrency\": 4, \"agent_erase_skip_read_only\": true}");
	code = erase_step_devices(a, NULL, &r, &e);
	CHECK(code == COMMAND_OK && json_object_is_type(r, json_type_object) &&
		  json_object_object_get_ex(r, "/dev/vda", NULL) &&
		  json_object_object_get_ex(r, "/dev/vdd", NULL) &&
		  !json_object_object_get_ex(r, "/dev/vde", NULL) &&
		  !json_get(r, "/dev/vda", json_type_null),
	      "devices: SUCCEEDED, {\"/dev/vda\": null, ...} without the skip-listed disk (%s)",
	      r ? json_object_to_json_string(r) : err_field(e, "details"));
	reset(&r, &e);
	CHECK(!has_pattern("vda") && !has_pattern("vdb") && all_zero("vda") && all_zero("vdb") &&
		  all_zero("vdg"),
	      "devices: random pass then zeros: the disks are all zero");
	hash("vdc", h);
	CHECK(strcmp(h, h_iso) == 0, "devices: the boot ISO is untouched");
	hash("vdd", h);
	CHECK(strcmp(h, h_ro) == 0, "devices: the read-only disk is skipped and untouched");
	hash("vde", h);
	CHECK(strcmp(h, h_skip) == 0, "devices: the skip-listed disk is untouched");

	/* Random only: no pattern, not zero. */
	pattern("vda", 5);
	set_node(a,
		 "{\"agent_erase_devices_iterations\": 1, \"agent_erase_devices_zeroize\": false,"
		 " \"agent_erase_skip_read_only\": true}");
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_OK && !has_pattern("vda") && !all_zero("vda"),
	      "devices: one random pass, no zeros: pattern gone, random data left");
	reset(&r, &e);

	/* 0 passes and no zeros: IPA's shred -n 0 writes nothing, and succeeds. */
	pattern("vda", 5);
	set_node(a,
		 "{\"agent_erase_devices_iterations\": 0, \"agent_erase_devices_zeroize\": false,"
		 " \"agent_erase_skip_read_only\": true}");
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_OK && has_pattern("vda"),
	      "devices: iterations 0 without zeroize: nothing written, as IPA");
	reset(&r, &e);

	/* The secure hook: done for vdb, not applicable for vda, failing for vdg. */
	pattern("vda", 5);
	pattern("vdb", 5);
	hooks.secure = fake_secure;
	set_node(a, "{\"agent_erase_devices_iterations\": 0, \"agent_erase_skip_read_only\": true,"
		    " \"agent_continue_if_secure_erase_failed\": true}");
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_OK && !has_pattern("vda") && has_pattern("vdb") &&
		  atomic_load(&secure_calls) == 3,
	      "devices: secure erase first; overwrite where it does not apply or failed with "
	      "the fallback allowed (%d calls)",
	      atomic_load(&secure_calls));
	reset(&r, &e);
	set_node(a,
		 "{\"agent_erase_devices_iterations\": 0, \"agent_erase_skip_read_only\": true}");
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_ERROR &&
		  strcmp(err_field(e, "type"), "IncompatibleHardwareMethodError") == 0 &&
		  strcmp(err_field(e, "details"),
			 "Failed to invoke secure erase, fallback to shred is not enabled: Erase "
			 "failed for device /dev/vdg: test") == 0,
	      "devices: secure erase failed, no fallback: %s", err_field(e, "details"));
	reset(&r, &e);
	set_node(a, "{\"agent_erase_devices_iterations\": 0, \"agent_erase_skip_read_only\": true,"
		    " \"agent_enable_ata_secure_erase\": false}");
	atomic_store(&secure_calls, 0);
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_OK && atomic_load(&secure_calls) == 0,
	      "devices: agent_enable_ata_secure_erase false: no secure erase for non-NVMe disks");
	reset(&r, &e);
	hooks.secure = NULL;

	/* A disk that cannot be opened for writing: the error names it and the cause. */
	run("cd %s/root && mv dev/vdb dev/vdb.file && mkdir dev/vdb", dir);
	set_node(a,
		 "{\"agent_erase_devices_iterations\": 0, \"agent_erase_skip_read_only\": true}");
	code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_ERROR &&
		  strcmp(err_field(e, "type"), "IncompatibleHardwareMethodError") == 0 &&
		  strstr(err_field(e, "details"),
			 "Unable to erase block device /dev/vdb: cannot open /dev/vdb"),
	      "devices: unwritable disk: %s", err_field(e, "details"));
	reset(&r, &e);
	run("cd %s/root && rmdir dev/vdb && mv dev/vdb.file dev/vdb", dir);

	/* Cancelled. */
	{
		atomic_bool stop = true;

		hooks.cancel = &stop;
		set_node(a, "{\"agent_erase_skip_read_only\": true}");
		code = erase_step_devices_with(a, NULL, &hooks, &r, &e);
		CHECK(code == COMMAND_ERROR && strstr(err_field(e, "details"), "cancelled"),
		      "devices: cancel stops the overwrite (%s)", err_field(e, "details"));
		reset(&r, &e);
		hooks.cancel = NULL;
	}
}

static void test_express(struct agent *a)
{
	json_object *r = NULL, *e = NULL;
	struct erase_options hooks = {.boot_volume_id = ERASE_BOOT_VOLUME_ID,
				      .secure = fake_secure};
	char h_iso[65], h[65];
	int code;

	run("cd %s/root && mkfs.ext4 -q -F dev/vdb >/dev/null 2>&1", dir);
	pattern("vdb", 20);
	hash("vdc", h_iso);
	atomic_store(&secure_calls, 0);
	set_node(a, "{}");
	code = erase_step_devices_express_with(a, NULL, &hooks, &r, &e);
	CHECK(code == COMMAND_OK && !r && no_signatures("vdb") && has_pattern("vdb") &&
		  atomic_load(&secure_calls) == 0,
	      "express: no NVMe here: metadata erase only, no secure erase call");
	reset(&r, &e);
	hash("vdc", h);
	CHECK(strcmp(h, h_iso) == 0, "express: the boot ISO is untouched");
}

static void test_pstore(struct agent *a)
{
	json_object *r = NULL, *e = NULL;
	int code;

	run("cd %s/root && mkdir -p proc sys/fs/pstore/sub && "
	    "printf 'sysfs /sys sysfs rw 0 0\\npstore /sys/fs/pstore pstore rw 0 0\\n' > "
	    "proc/mounts && echo x > sys/fs/pstore/dmesg-efi-1 && echo y > sys/fs/pstore/sub/z",
	    dir);
	code = erase_step_pstore(a, NULL, &r, &e);
	CHECK(code == COMMAND_OK && !r &&
		  run("test -d %s/root/sys/fs/pstore && test -z \"$(ls -A %s/root/sys/fs/pstore)\"",
		      dir, dir) == 0,
	      "pstore: everything under the mount point is gone");
	reset(&r, &e);
	run("printf 'sysfs /sys sysfs rw 0 0\\n' > %s/root/proc/mounts", dir);
	code = erase_step_pstore(a, NULL, &r, &e);
	CHECK(code == COMMAND_OK && !r, "pstore: none mounted: nothing to do");
	reset(&r, &e);
	run("rm %s/root/proc/mounts", dir);
	code = erase_step_pstore(a, NULL, &r, &e);
	CHECK(code == COMMAND_ERROR && strstr(err_field(e, "details"), "/proc/mounts"),
	      "pstore: no proc/mounts: CleaningError as IPA's open() (%s)",
	      err_field(e, "details"));
	reset(&r, &e);
}

/* Each step of the fixtures; the first failing one is named. */
#define STEP(x)                                                                                    \
	do {                                                                                       \
		if ((x) != 0) {                                                                    \
			printf("fixture failed: %s\n", #x);                                        \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

static int fixtures(void)
{
	STEP(run("mkdir -p %s/root/dev %s/root/sys/block", dir, dir));
	/* vda: GPT, an ext4 in its partition; vda1 (its own file here): vfat. */
	STEP(disk("vda", 64, false));
	STEP(gpt("vda", 64, 16, "linux-generic"));
	STEP(run("cd %s/root && mkfs.ext4 -q -F -E offset=1048576 dev/vda 16384k >/dev/null 2>&1",
		 dir));
	STEP(pattern("vda", 30));
	STEP(partition("vda", "vda1", 1, 16));
	STEP(run("mkfs.vfat %s/root/dev/vda1 >/dev/null", dir));
	/* vdb: a whole-disk ext4. */
	STEP(disk("vdb", 32, false));
	STEP(run("mkfs.ext4 -q -F %s/root/dev/vdb >/dev/null 2>&1", dir));
	STEP(pattern("vdb", 20));
	/* vdc: the boot ISO attached as a disk. */
	STEP(disk("vdc", 16, false));
	STEP(run(
	    "cd %s && mkdir -p iso/boot && echo ingot > iso/boot/ingot.id && "
	    "truncate -s 1M efi.img && mkfs.vfat efi.img >/dev/null && xorriso -as mkisofs -quiet "
	    "-V %s -append_partition 2 0xef efi.img -appended_part_as_gpt -o root/dev/vdc "
	    "iso 2>/dev/null && truncate -s 16M root/dev/vdc",
	    dir, ERASE_BOOT_VOLUME_ID));
	STEP(partition("vdc", "vdc2", 2, 1));
	/* vdd: read-only; vde: skip-listed, with a partition; vdf: a RAID member. */
	STEP(disk("vdd", 16, true));
	STEP(run("mkfs.ext4 -q -F %s/root/dev/vdd >/dev/null 2>&1", dir));
	STEP(disk("vde", 16, false));
	STEP(run("mkfs.ext4 -q -F %s/root/dev/vde >/dev/null 2>&1", dir));
	STEP(partition("vde", "vde1", 1, 8));
	STEP(run("mkfs.vfat %s/root/dev/vde1 >/dev/null", dir));
	STEP(disk("vdf", 16, false));
	STEP(raid_superblock("vdf"));
	/* vdg: a 16 MiB GPT image on a 32 MiB disk: the backup header is not at the end. */
	STEP(disk("vdg", 32, false));
	STEP(gpt("vdg", 16, 8, "linux-generic"));
	STEP(run("truncate -s 32M %s/root/dev/vdg", dir));
	STEP(pattern("vdg", 10));
	/* vdh: in sys/ only. vdi: a VMFS partition. vdj: IPA's virtual media (by label). */
	STEP(disk("vdh", 16, false));
	STEP(run("rm %s/root/dev/vdh", dir));
	STEP(disk("vdi", 16, false));
	STEP(gpt("vdi", 16, 8, "aa31e02a-400f-11db-9590-000c2911d1b8"));
	STEP(partition("vdi", "vdi1", 1, 8));
	STEP(disk("vdj", 16, false));
	STEP(run("mkfs.vfat -n ir-vfd-dev %s/root/dev/vdj >/dev/null 2>&1", dir));
	return 0;
}

int main(void)
{
	static const char *const all[] = {"vda",  "vda1", "vdb", "vdc", "vdd",	"vde",
					  "vde1", "vdf",  "vdg", "vdi", "vdi1", "vdj"};
	struct agent a;
	char root[sizeof(dir) + 8];

	log_set_quiet(true);
	if (!mkdtemp(dir))
		return 1;
	if ((run("command -v sfdisk >/dev/null") != 0 &&
	     run("command -v systemd-repart >/dev/null") != 0) ||
	    run("command -v xorriso >/dev/null && command -v mkfs.ext4 >/dev/null && "
		"command -v mkfs.vfat >/dev/null && command -v blkid >/dev/null && "
		"command -v wipefs >/dev/null") != 0) {
		printf(
		    "SKIP: needs sfdisk or systemd-repart, xorriso, mkfs.ext4, mkfs.vfat, blkid, "
		    "wipefs\n");
		run("rm -rf %s", dir);
		return 77;
	}
	if (fixtures() != 0) {
		printf("FAIL - test fixtures could not be made in %s\n", dir);
		run("rm -rf %s", dir);
		return 1;
	}
	if (run("blkid -p %s/root/dev/vdf | grep -q linux_raid_member", dir) != 0)
		printf("note: this libblkid does not see the hand-made RAID superblock\n");

	agent_init(&a);
	snprintf(root, sizeof(root), "%s/root", dir);
	a.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	test_options();
	test_select(&a);
	test_guard(&a, all, sizeof(all) / sizeof(all[0]));
	test_metadata(&a);
	test_devices(&a);
	test_express(&a);
	test_pstore(&a);

	close(a.root_fd);
	a.root_fd = -1;
	agent_done(&a);
	run("rm -rf %s", dir);
	return failures ? 1 : 0;
}
