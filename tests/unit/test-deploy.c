/*
 * The deploy commands end to end on the host, through the command table the agent serves:
 * a root directory whose sysfs shows one virtio disk and whose /dev/vda is a sparse file, a
 * whole-disk GPT image served over HTTP on loopback (tests/unit/data/download-server.py), a
 * config drive ISO made with xorriso. The image must land byte for byte, the config drive in a
 * new partition at the end, and every failure must come back in IPA's shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/extensions.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "agent/ptable.h"
#include "basic/fs-util.h"
#include "test.h"

static char dir[] = "/tmp/test-deploy.XXXXXX";
static pid_t server = -1; /* the image server */
static int port;

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* root/: sys/block/vda (8 GiB, virtio), dev/vda a 128 MiB sparse file. */
static int make_root(void)
{
	const char *dev = "sys/devices/pci0000:00/0000:00:04.0/virtio1";

	return run(
	    "cd %s && mkdir -p root/%s/block/vda/queue root/sys/block root/dev && "
	    "echo 0x1af4 > root/%s/vendor && echo 16777216 > root/%s/block/vda/size && "
	    "echo 1 > root/%s/block/vda/queue/rotational && "
	    "ln -s ../devices/pci0000:00/0000:00:04.0/virtio1/block/vda root/sys/block/vda && "
	    "ln -s ../../../virtio1 root/%s/block/vda/device && "
	    "truncate -s 128M root/dev/vda",
	    dir, dev, dev, dev, dev, dev);
}

/* Images that must fail: no partition table, and a qcow2 header where raw was promised. */
#define EXTRA_IMAGES                                                                               \
	"(head -c 512 /dev/zero; head -c 1048064 /dev/urandom) > images/notable.raw && "           \
	"(printf 'QFI\\373'; head -c 1048572 /dev/urandom) > images/fake.qcow2 && "                \
	"qemu-img convert -c -O qcow2 images/disk.raw images/disk.qcow2 && "                       \
	"for f in notable.raw fake.qcow2 disk.qcow2; do sha256sum images/$f | cut -c1-64 > "       \
	"images/$f.sha256; "                                                                       \
	"done"

/* images/disk.raw: a 16 MiB GPT image (ESP 4 MiB, Linux 8 MiB) with bytes that are not zeros. */
static int make_image(void)
{
	if (run("command -v sfdisk >/dev/null") == 0)
		return run("cd %s && mkdir -p images && truncate -s 16M images/disk.raw && "
			   "printf 'label: gpt\\nsize=4MiB, type=uefi\\nsize=8MiB\\n' | "
			   "sfdisk -q images/disk.raw >/dev/null && "
			   "head -c 4194304 /dev/urandom | dd of=images/disk.raw bs=1M seek=6 "
			   "conv=notrunc status=none && sha256sum images/disk.raw | cut -c1-64 > "
			   "images/disk.sha256 && " EXTRA_IMAGES,
			   dir);
	return run("cd %s && mkdir -p images defs && "
		   "printf '[Partition]\\nType=esp\\nSizeMinBytes=4M\\nSizeMaxBytes=4M\\n' > "
		   "defs/1.conf && printf '[Partition]\\nType=linux-generic\\nSizeMinBytes=8M\\n"
		   "SizeMaxBytes=8M\\n' > defs/2.conf && systemd-repart --empty=create --size=16M "
		   "--dry-run=no --definitions=defs images/disk.raw >/dev/null 2>&1 && "
		   "head -c 4194304 /dev/urandom | dd of=images/disk.raw bs=1M seek=6 conv=notrunc "
		   "status=none && sha256sum images/disk.raw | cut -c1-64 > images/disk.sha256 "
		   "&& " EXTRA_IMAGES,
		   dir);
}

/* A config drive as Ironic sends it: an ISO labelled config-2, gzipped, base64. */
static int make_configdrive(void)
{
	return run(
	    "cd %s && mkdir -p cd/openstack/latest && "
	    "echo '{\"uuid\": \"ef9bfa3d\"}' > cd/openstack/latest/meta_data.json && "
	    "xorriso -as mkisofs -quiet -V config-2 -J -R -o configdrive.iso cd 2>/dev/null && "
	    "gzip -c configdrive.iso | base64 -w 0 > configdrive.b64",
	    dir);
}

static int images_server_start(void)
{
	char file[PATH_MAX], script[PATH_MAX + 64], portfile[PATH_MAX];
	size_t len;
	char *p;

	snprintf(file, sizeof(file), "%s", __FILE__);
	snprintf(script, sizeof(script), "%s/data/download-server.py", dirname(file));
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	server = fork();
	if (server == 0) {
		char images[PATH_MAX];

		snprintf(images, sizeof(images), "%s/images", dir);
		execlp("python3", "python3", script, images, portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		p = slurp(portfile, &len);
		if (p && len > 0) {
			port = atoi(p);
			free(p);
			return port > 0 ? 0 : -1;
		}
		free(p);
		usleep(100000);
	}
	return -1;
}

static json_object *image_info(const char *path, const char *sha256)
{
	json_object *info = json_object_new_object(), *urls = json_object_new_array();
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	json_object_array_add(urls, json_object_new_string(url));
	json_object_object_add(info, "id", json_object_new_string("disk.raw"));
	json_object_object_add(info, "urls", urls);
	json_object_object_add(info, "disk_format", json_object_new_string("raw"));
	json_object_object_add(info, "stream_raw_images", json_object_new_boolean(true));
	json_object_object_add(info, "os_hash_algo", json_object_new_string("sha256"));
	json_object_object_add(info, "os_hash_value", json_object_new_string(sha256));
	return info;
}

static json_object *step_params(json_object *info, const char *configdrive, const char *version)
{
	json_object *p = json_object_new_object(), *step = json_object_new_object(),
		    *args = json_object_new_object(), *node = json_object_new_object(),
		    *v = json_object_new_object();

	json_object_object_add(args, "image_info", info);
	json_object_object_add(args, "configdrive",
			       configdrive ? json_object_new_string(configdrive) : NULL);
	json_object_object_add(step, "interface", json_object_new_string("deploy"));
	json_object_object_add(step, "step", json_object_new_string("write_image"));
	json_object_object_add(step, "args", args);
	json_object_object_add(node, "uuid", json_object_new_string("ef9bfa3d"));
	json_object_object_add(node, "properties", json_object_new_object());
	json_object_object_add(p, "step", step);
	json_object_object_add(p, "node", node);
	json_object_object_add(p, "ports", json_object_new_array());
	json_object_object_add(v, "generic_hardware_manager", json_object_new_string(version));
	json_object_object_add(p, "deploy_version", v);
	return p;
}

/* commands_execute() borrows params; the test gives them up here. */
static int execute(struct agent *a, const char *name, json_object *params, bool wait,
		   json_object **ret)
{
	int code = commands_execute(a->commands, name, params, wait, ret);

	json_object_put(params);
	return code;
}

static const char *status_of(json_object *r)
{
	const char *s = json_get_string(r, "command_status");

	return s ? s : "(none)";
}

static const char *error_field(json_object *r, const char *key)
{
	const char *s = json_get_string(json_get(r, "command_error", json_type_object), key);

	return s ? s : "(none)";
}

/* Whether a and b hold the same bytes in [from, to). */
static bool same_range(const char *a, const char *b, size_t from, size_t to)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = x && y && la >= to && lb >= to && memcmp(x + from, y + from, to - from) == 0;

	free(x);
	free(y);
	return same;
}

static void test_deploy(struct agent *a)
{
	char img[PATH_MAX], disk[PATH_MAX], path[PATH_MAX + 32];
	char *sha, *b64, *iso;
	size_t len, img_len, iso_len, b64_len;
	json_object *r = NULL, *res;
	struct ptable *t = NULL;
	int fd, code;

	snprintf(path, sizeof(path), "%s/images/disk.sha256", dir);
	sha = slurp(path, &len);
	if (sha && len >= 64)
		sha[64] = '\0';
	snprintf(path, sizeof(path), "%s/configdrive.b64", dir);
	b64 = slurp(path, &b64_len);
	snprintf(img, sizeof(img), "%s/images/disk.raw", dir);
	snprintf(disk, sizeof(disk), "%s/root/dev/vda", dir);

	/* A version of another hardware manager: Ironic must re-read the steps. */
	code = execute(a, "deploy.execute_deploy_step",
		       step_params(image_info("/f/disk.raw", sha), NULL, "1.2"), true, &r);
	CHECK(code == 200 && strcmp(status_of(r), "CLEAN_VERSION_MISMATCH") == 0 &&
		  strcmp(error_field(r, "type"), "VersionMismatch") == 0,
	      "other manager version: CLEAN_VERSION_MISMATCH, VersionMismatch");
	json_object_put(r);

	/* The deploy: image and config drive. */
	code = execute(a, "deploy.execute_deploy_step",
		       step_params(image_info("/f/disk.raw", sha), b64, "1.1"), true, &r);
	res = json_get(json_get(r, "command_result", json_type_object), "deploy_result",
		       json_type_object);
	CHECK(code == 200 && strcmp(status_of(r), "SUCCEEDED") == 0 &&
		  strcmp(json_get_string(r, "command_name"), "execute_deploy_step") == 0,
	      "write_image: SUCCEEDED (%s: %s)", status_of(r), error_field(r, "details"));
	CHECK(res &&
		  strncmp(json_get_string(res, "result") ?: "",
			  "prepare_image: image (disk.raw) written to device /dev/vda root_uuid=0x",
			  strlen("prepare_image: image (disk.raw) written to device /dev/vda "
				 "root_uuid=0x")) == 0,
	      "deploy_result words it as IPA: %s", res ? json_get_string(res, "result") : "-");
	CHECK(strcmp(json_get_string(json_get(json_get(r, "command_result", json_type_object),
					      "deploy_step", json_type_object),
				     "step")
			 ?: "",
		     "write_image") == 0,
	      "deploy_step echoes the step received");
	json_object_put(r);

	free(slurp(img, &img_len));
	/*
	 * Byte for byte, but for the partition table: adding the config drive partition rewrites
	 * the protective MBR, the GPT header and entries (sectors 0-33) and retires the backup GPT
	 * at the image's end (its last 33 sectors), as sgdisk does for IPA.
	 */
	CHECK(same_range(img, disk, 34 * 512, img_len - 33 * 512),
	      "the disk holds the image byte for byte but for its partition table (%zu bytes)",
	      img_len);

	fd = open(disk, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && ptable_read(fd, 512, &t) == 0 && t->n_partitions == 3,
	      "the disk now has three partitions (the image's two and the config drive)");
	snprintf(path, sizeof(path), "%s/configdrive.iso", dir);
	iso = slurp(path, &iso_len);
	if (t && t->n_partitions == 3 && iso) {
		const struct ptable_partition *p = &t->partitions[2];
		char *buf = malloc(iso_len);
		bool same =
		    buf &&
		    pread(fd, buf, iso_len, (off_t)(p->first_lba * 512)) == (ssize_t)iso_len &&
		    memcmp(buf, iso, iso_len) == 0;

		CHECK(same && p->last_lba >= (128ULL << 20) / 512 - 4096,
		      "the config drive ISO is in the new partition at the end of the disk");
		free(buf);
	}
	free(iso);
	ptable_free(t);
	if (fd >= 0)
		close(fd);
	CHECK(run("blkid -p -o value -s PTTYPE %s | grep -qx gpt", disk) == 0,
	      "blkid still reads a GPT on the disk");

	code = execute(a, "standby.get_partition_uuids", NULL, true, &r);
	CHECK(code == 200 &&
		  strncmp(
		      json_get_string(json_get(r, "command_result", json_type_object), "root uuid")
			  ?: "",
		      "0x", 2) == 0,
	      "get_partition_uuids: {\"root uuid\": \"0x...\"}");
	json_object_put(r);

	/* A wrong checksum: the step fails with IPA's ImageChecksumError. */
	code = execute(
	    a, "deploy.execute_deploy_step",
	    step_params(image_info("/f/disk.raw", "0000000000000000000000000000000000000000000000"
						  "000000000000000000"),
			NULL, "1.1"),
	    true, &r);
	CHECK(code == 200 && strcmp(status_of(r), "FAILED") == 0 &&
		  strcmp(error_field(r, "type"), "ImageChecksumError") == 0 &&
		  strstr(error_field(r, "details"), "verify against checksum"),
	      "wrong checksum: FAILED, ImageChecksumError (%s)", error_field(r, "details"));
	json_object_put(r);

	/* qcow2 (qemu-img convert -c of disk.raw) is converted onto the disk as it streams. */
	{
		char p[PATH_MAX + 64], *h;
		json_object *info;

		snprintf(p, sizeof(p), "%s/images/disk.qcow2.sha256", dir);
		h = slurp(p, &len);
		if (h && len >= 64)
			h[64] = '\0';
		fd = open(disk, O_WRONLY | O_CLOEXEC);
		CHECK(fd >= 0 && ftruncate(fd, 0) == 0 && ftruncate(fd, 128 << 20) == 0,
		      "the disk emptied");
		close(fd);
		info = image_info("/f/disk.qcow2", h ? h : "");
		json_object_object_add(info, "disk_format", json_object_new_string("qcow2"));
		code = execute(a, "deploy.execute_deploy_step", step_params(info, NULL, "1.1"),
			       true, &r);
		CHECK(strcmp(status_of(r), "SUCCEEDED") == 0 &&
			  same_range(img, disk, 34 * 512, img_len - 33 * 512),
		      "qcow2: SUCCEEDED, the disk holds the raw image (%s)",
		      error_field(r, "details"));
		json_object_put(r);
		free(h);

		info = image_info("/f/fake.qcow2", "0000000000000000000000000000000000000000000"
						   "000000000000000000000");
		json_object_object_add(info, "disk_format", json_object_new_string("qcow2"));
		code = execute(a, "deploy.execute_deploy_step", step_params(info, NULL, "1.1"),
			       true, &r);
		CHECK(strcmp(status_of(r), "FAILED") == 0 &&
			  strcmp(error_field(r, "type"), "ImageWriteError") == 0 &&
			  strstr(error_field(r, "details"), "qcow2 version"),
		      "a broken qcow2 header: FAILED, ImageWriteError (%s)",
		      error_field(r, "details"));
		json_object_put(r);

		info = image_info("/f/disk.raw", sha);
		json_object_object_add(info, "disk_format", json_object_new_string("vmdk"));
		code = execute(a, "deploy.execute_deploy_step", step_params(info, NULL, "1.1"),
			       true, &r);
		CHECK(strcmp(status_of(r), "FAILED") == 0 &&
			  strstr(error_field(r, "details"), "force_raw_images"),
		      "vmdk: FAILED, the message names force_raw_images");
		json_object_put(r);
	}

	/* A config drive that is not base64 of gzip. */
	code =
	    execute(a, "deploy.execute_deploy_step",
		    step_params(image_info("/f/disk.raw", sha), "bm90IGd6aXA=", "1.1"), true, &r);
	CHECK(strcmp(status_of(r), "FAILED") == 0 &&
		  strstr(error_field(r, "details"), "Config drive"),
	      "bad config drive: FAILED before the download (%s)", error_field(r, "details"));
	json_object_put(r);

	/* A 404: the image server says no. */
	a->conf.image_download_connection_retries = 0;
	code = execute(a, "deploy.execute_deploy_step",
		       step_params(image_info("/404/disk.raw", sha), NULL, "1.1"), true, &r);
	CHECK(strcmp(status_of(r), "FAILED") == 0 &&
		  strstr(error_field(r, "type"), "ImageDownload"),
	      "404: FAILED, %s", error_field(r, "type"));
	json_object_put(r);

	/* What was written must be a partitioned raw disk. */
	a->conf.image_download_connection_retries = 0;
	{
		static const struct {
			const char *image, *error;
		} bad[] = {
		    {"notable.raw", "Unable to find a valid partition table"},
		    {"fake.qcow2", "is qcow2, not raw as its disk_format said"},
		};

		for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
			char p[PATH_MAX + 64], url[128];
			char *h;

			snprintf(p, sizeof(p), "%s/images/%s.sha256", dir, bad[i].image);
			h = slurp(p, &len);
			if (h && len >= 64)
				h[64] = '\0';
			snprintf(url, sizeof(url), "/f/%s", bad[i].image);
			code = execute(a, "deploy.execute_deploy_step",
				       step_params(image_info(url, h ? h : ""), NULL, "1.1"), true,
				       &r);
			CHECK(strcmp(status_of(r), "FAILED") == 0 &&
				  strstr(error_field(r, "details"), bad[i].error),
			      "%s: FAILED (%s)", bad[i].image, error_field(r, "details"));
			json_object_put(r);
			free(h);
		}
	}

	/* Without a config drive the backup GPT still goes to the end of the disk. */
	code = execute(a, "deploy.execute_deploy_step",
		       step_params(image_info("/f/disk.raw", sha), NULL, "1.1"), true, &r);
	fd = open(disk, O_RDONLY | O_CLOEXEC);
	t = NULL;
	CHECK(strcmp(status_of(r), "SUCCEEDED") == 0 && fd >= 0 && ptable_read(fd, 512, &t) == 0 &&
		  t->n_partitions == 2 && t->gpt_backup_lba == (128ULL << 20) / 512 - 1,
	      "no config drive: SUCCEEDED, the backup GPT moved to the disk's last sector");
	ptable_free(t);
	if (fd >= 0)
		close(fd);
	json_object_put(r);
	free(sha);
	free(b64);
}

static void test_other_commands(struct agent *a)
{
	json_object *r = NULL, *p;
	int code;

	p = json_object_new_object();
	json_object_object_add(p, "step", json_object_new_object());
	json_object_object_add(json_get(p, "step", json_type_object), "step",
			       json_object_new_string("burnin_everything"));
	code = execute(a, "deploy.execute_deploy_step", p, true, &r);
	CHECK(code == 200 && strcmp(error_field(r, "type"), "HardwareManagerMethodNotFound") == 0,
	      "unknown step: HardwareManagerMethodNotFound");
	json_object_put(r);

	code = execute(a, "clean.get_clean_steps", NULL, true, &r);
	{
		json_object *steps =
		    json_get(json_get(json_get(r, "command_result", json_type_object),
				      "clean_steps", json_type_object),
			     "GenericHardwareManager", json_type_array);
		int metadata = -1, devices = -1;

		for (size_t i = 0; steps && i < json_object_array_length(steps); i++) {
			json_object *st = json_object_array_get_idx(steps, i);
			const char *name = json_get_string(st, "step") ?: "";
			int prio = json_object_get_int(json_object_object_get(st, "priority"));

			if (strcmp(name, "erase_devices_metadata") == 0)
				metadata = prio;
			else if (strcmp(name, "erase_devices") == 0)
				devices = prio;
		}
		CHECK(code == 200 && metadata == 99 && devices == 10,
		      "get_clean_steps: erase_devices_metadata 99, erase_devices 10, as IPA");
	}
	json_object_put(r);

	/* Cleaning the deployed disk: no signature left, not even the config drive's. */
	{
		json_object *p = json_object_new_object(), *st = json_object_new_object();
		char disk[PATH_MAX];

		json_object_object_add(st, "interface", json_object_new_string("deploy"));
		json_object_object_add(st, "step",
				       json_object_new_string("erase_devices_metadata"));
		json_object_object_add(st, "priority", json_object_new_int(99));
		json_object_object_add(p, "step", st);
		json_object_object_add(p, "node", json_object_new_object());
		json_object_object_add(p, "ports", json_object_new_array());
		code = execute(a, "clean.execute_clean_step", p, true, &r);
		snprintf(disk, sizeof(disk), "%s/root/dev/vda", dir);
		CHECK(code == 200 && strcmp(status_of(r), "SUCCEEDED") == 0 &&
			  json_get(json_get(r, "command_result", json_type_object), "clean_step",
				   json_type_object) &&
			  run("test -z \"$(blkid -p -o value -s PTTYPE %s)\"", disk) == 0,
		      "clean step erase_devices_metadata: SUCCEEDED, blkid finds no table (%s)",
		      error_field(r, "details"));
	}
	json_object_put(r);

	code = execute(a, "image.install_bootloader", NULL, true, &r);
	CHECK(code == 200 && strcmp(status_of(r), "SUCCEEDED") == 0,
	      "install_bootloader without UEFI firmware: nothing to do, SUCCEEDED");
	json_object_put(r);

	code = execute(a, "poll.get_hardware_info", NULL, true, &r);
	{
		json_object *disks = json_get(json_get(r, "command_result", json_type_object),
					      "disks", json_type_array);
		json_object *d0 = disks ? json_object_array_get_idx(disks, 0) : NULL;

		CHECK(code == 200 && disks && json_object_array_length(disks) == 1 &&
			  strcmp(json_get_string(d0, "name") ?: "", "/dev/vda") == 0 &&
			  json_object_get_int64(json_object_object_get(d0, "size")) == 8589934592LL,
		      "poll.get_hardware_info: the inventory, with the 8 GiB virtio disk (%s)",
		      json_object_to_json_string(r));
	}
	json_object_put(r);

	code = execute(a, "standby.sync", NULL, true, &r);
	CHECK(code == 200 && strcmp(status_of(r), "SUCCEEDED") == 0, "sync: SUCCEEDED");
	json_object_put(r);

	code = execute(a, "log.collect_system_logs", NULL, true, &r);
	{
		const char *logs =
		    json_get_string(json_get(r, "command_result", json_type_object), "system_logs");
		char path[PATH_MAX + 32];
		FILE *f;

		snprintf(path, sizeof(path), "%s/logs.b64", dir);
		f = fopen(path, "w");
		if (f) {
			fputs(logs ? logs : "", f);
			fclose(f);
		}
		CHECK(code == 200 && logs &&
			  run("base64 -d %s | tar -tzf - | grep -qx ingot-agent.log", path) == 0,
		      "collect_system_logs: base64 of a tar.gz holding the agent's log");
	}
	json_object_put(r);

	code = execute(a, "standby.power_off", NULL, true, &r);
	CHECK(strcmp(status_of(r), "FAILED") == 0 && strstr(error_field(r, "details"), "refusing"),
	      "power_off outside the ramdisk: refused (%s)", error_field(r, "details"));
	json_object_put(r);
	a->dry_power = true;
	code = execute(a, "standby.power_off", NULL, false, &r);
	CHECK(code == 200 && strcmp(status_of(r), "RUNNING") == 0,
	      "power_off answers RUNNING before it acts");
	json_object_put(r);
	while (commands_busy(a->commands))
		usleep(100000);
}

int main(void)
{
	struct agent a;

	log_set_quiet(true);
	if (!mkdtemp(dir))
		return 1;
	if (run("command -v sfdisk >/dev/null || command -v systemd-repart >/dev/null") != 0 ||
	    run("command -v xorriso >/dev/null") != 0) {
		printf("SKIP: neither sfdisk nor systemd-repart, or no xorriso, to make images\n");
		run("rm -rf %s", dir);
		return 77;
	}
	if (make_root() || make_image() || make_configdrive() || images_server_start() < 0) {
		printf("FAIL - test fixtures could not be made in %s\n", dir);
		if (server > 0)
			kill(server, SIGTERM);
		return 1;
	}
	http_global_init();
	agent_init(&a);
	{
		char root[PATH_MAX];

		snprintf(root, sizeof(root), "%s/root", dir);
		a.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	a.conf.image_download_connection_retry_interval = 0;
	a.commands = commands_new(agent_commands, agent_commands_n, &a);

	test_deploy(&a);
	test_other_commands(&a);

	commands_free(a.commands);
	a.commands = NULL;
	agent_done(&a);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	run("rm -rf %s", dir);
	return failures ? 1 : 0;
}
