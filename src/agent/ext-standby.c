#define _GNU_SOURCE 1 /* asprintf() */

/*
 * The standby extension (IPA's extensions/standby.py): writing a whole-disk image and its config
 * drive (prepare_image, run by the write_image deploy step), the partition UUIDs of what was
 * written, sync, power off and reboot.
 *
 * Images are streamed onto the install device with the checksum computed on the way: raw as
 * it comes (IPA's stream_raw_images path, what Ironic uses by default), qcow2 through a
 * converter that writes each cluster where it belongs as it passes (qcow2.h), where IPA
 * downloads into RAM and runs qemu-img. Other disk formats would need qemu-img and room for
 * the image in RAM: they are refused with a message that names Ironic's force_raw_images,
 * which makes the conductor convert them.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/checksum.h"
#include "agent/configdrive.h"
#include "agent/download.h"
#include "agent/extensions.h"
#include "agent/http.h"
#include "agent/json-util.h"
#include "agent/log.h"
#include "agent/ptable.h"
#include "agent/qcow2.h"
#include "basic/fileio.h"
#include "basic/macro.h"

/* A config drive as Ironic sends it: base64 of gzip, at most 64 MiB unpacked. */
#define CONFIGDRIVE_ENCODED_MAX (96 * 1024 * 1024)
#define CONFIGDRIVE_MAX		(64 * 1024 * 1024)

static json_object *error_from_image_error(struct image_error *e)
{
	json_object *o =
	    agent_error_new(e->type ? e->type : "CommandExecutionError", e->code ? e->code : 500,
			    e->message ? e->message : "Command execution failed", "%s",
			    e->details ? e->details : "");

	image_error_done(e);
	return o;
}

int standby_validate_image_info(struct command_context *ctx, json_object *params,
				json_object **ret_error)
{
	struct agent *a = command_context_userdata(ctx);
	json_object *info = json_get(params, "image_info", json_type_object);
	struct image_error e = {0};

	if (!info) {
		*ret_error =
		    agent_error_new("InvalidCommandParamsError", 400, "Invalid command parameters",
				    "%s", "image_info is required and must be an object");
		return -1;
	}
	if (checksum_validate_image_info(info, a->md5_enabled, &e) < 0) {
		*ret_error = error_from_image_error(&e);
		return -1;
	}
	return 0;
}

/* The config drive's bytes: the string itself, or what its URL returns. */
static int configdrive_fetch(struct agent *a, const char *value, uint8_t **ret, size_t *ret_len,
			     char **ret_error)
{
	bool url = strncmp(value, "http://", 7) == 0 || strncmp(value, "https://", 8) == 0;
	struct http_response resp;
	char err[CONFIGDRIVE_ERROR_MAX] = "";
	int r;

	if (!url) {
		r = configdrive_decode(value, strlen(value), false, CONFIGDRIVE_MAX, ret, ret_len,
				       err, sizeof(err));
		if (r < 0 && asprintf(ret_error, "Config drive decoding failed: %s", err) < 0)
			*ret_error = NULL;
		return r;
	}
	r = http_request(
	    &(struct http_request){.method = "GET",
				   .url = value,
				   .insecure = a->conf.insecure,
				   .ca_file = http_tls_get()->ca_file,
				   .timeout_s = a->conf.image_download_connection_timeout * 10,
				   .max_body = CONFIGDRIVE_ENCODED_MAX},
	    &resp);
	if (r < 0 || resp.status != 200) {
		if (asprintf(ret_error, "Can't download the configdrive content: %s%s",
			     r < 0 ? resp.error : "HTTP status ",
			     r < 0 ? "" : (resp.status >= 400 ? "error" : "unexpected")) < 0)
			*ret_error = NULL;
		http_response_done(&resp);
		return r < 0 ? r : -EIO;
	}
	r = configdrive_decode(resp.body ? resp.body : "", resp.len, true, CONFIGDRIVE_MAX, ret,
			       ret_len, err, sizeof(err));
	http_response_done(&resp);
	if (r < 0 && asprintf(ret_error, "Config drive decoding failed: %s", err) < 0)
		*ret_error = NULL;
	return r;
}

/* IPA's "root uuid" of a whole-disk image: the MBR disk signature, whatever the table. */
static json_object *partition_uuids_of(int fd)
{
	struct ptable *t = NULL;
	json_object *uuids = NULL;
	uint8_t sig[4] = {0};
	char buf[16];

	if (ptable_read(fd, 0, &t) == 0 && ptable_partition_uuids(t, &uuids) == 0) {
		ptable_free(t);
		return uuids;
	}
	ptable_free(t);
	(void)!pread(fd, sig, sizeof(sig), 440);
	snprintf(buf, sizeof(buf), "0x%02x%02x%02x%02x", sig[3], sig[2], sig[1], sig[0]);
	uuids = json_object_new_object();
	json_object_object_add(uuids, "root uuid", json_object_new_string(buf));
	return uuids;
}

/*
 * After the write, as IPA does in the streaming path: a container format where a raw image was
 * expected is refused (IPA would have converted it with qemu-img), the backup GPT goes to the
 * end of the disk (disk_utils.fix_gpt_partition), and the disk must have a partition table
 * with a partition (standby._validate_partitioning).
 */
static int check_written(int fd, const char *device, json_object **ret_error)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} containers[] = {
	    {"QFI\xfb", 4, "qcow2"},
	    {"KDMV", 4, "vmdk"},
	    {"vhdxfile", 8, "vhdx"},
	    {"conectix", 8, "vpc"},
	};
	uint8_t head[8] = {0};
	struct ptable *t = NULL;
	int r;

	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		memset(head, 0, sizeof(head));
	for (size_t i = 0; i < ELEMENTSOF(containers); i++)
		if (memcmp(head, containers[i].magic, containers[i].len) == 0) {
			*ret_error = agent_error_new(
			    "ImageWriteError", 500, "Error writing image to device",
			    "the image written to %s is %s, not raw as its disk_format said: give "
			    "its real format, or let Ironic convert it ([DEFAULT]force_raw_images "
			    "= "
			    "True)",
			    device, containers[i].name);
			return COMMAND_ERROR;
		}

	r = ptable_read(fd, 0, &t);
	if (r < 0) {
		*ret_error = agent_error_new(
		    "InstanceDeployFailure", 500, "Failed to deploy instance",
		    "Unable to find a valid partition table on the disk after writing the image. "
		    "The image may be corrupted. Error: %s",
		    r == -ENOMSG ? "no partition table" : strerror(-r));
		return COMMAND_ERROR;
	}
	if (t->n_partitions == 0) {
		ptable_free(t);
		*ret_error =
		    agent_error_new("InstanceDeployFailure", 500, "Failed to deploy instance",
				    "No partitions found on the device %s after writing "
				    "the image.",
				    device);
		return COMMAND_ERROR;
	}
	if (t->type == PTABLE_GPT && ptable_gpt_move_backup_to_end(t) > 0) {
		r = ptable_write(t, fd);
		if (r < 0) {
			ptable_free(t);
			*ret_error = agent_error_new(
			    "InstanceDeployFailure", 500, "Failed to deploy instance",
			    "Failed to fix GPT partition on disk %s: %s", device, strerror(-r));
			return COMMAND_ERROR;
		}
		log_info("backup GPT moved to the end of %s", device);
	}
	ptable_free(t);
	return COMMAND_OK;
}

static int sink_write(void *q, const uint8_t *data, size_t n)
{
	return qcow2_stream_write(q, data, n);
}

static void sink_rewind(void *q)
{
	qcow2_stream_rewind(q);
}

static int sink_finish(void *q)
{
	int r = qcow2_stream_finish(q);

	if (r == 0)
		log_info("qcow2: %llu bytes of virtual disk written",
			 (unsigned long long)qcow2_stream_virtual_size(q));
	return r;
}

static const char *sink_error(void *q)
{
	return qcow2_stream_error(q);
}

/* The qcow2 converter as the download's sink, onto fd. */
static int qcow2_sink_new(int fd, struct qcow2_stream **ret_q, struct download_sink *ret_sink)
{
	uint64_t size = 0;
	struct stat st;
	int r;

	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		if (fstat(fd, &st) < 0)
			return negative_errno();
		size = (uint64_t)st.st_size;
	}
	r = qcow2_stream_new(fd, size, ret_q);
	if (r < 0)
		return r;
	*ret_sink = (struct download_sink){.write = sink_write,
					   .rewind = sink_rewind,
					   .finish = sink_finish,
					   .error = sink_error,
					   .userdata = *ret_q};
	return 0;
}

HANDLER(standby_prepare_image)
{
	struct agent *a = command_context_userdata(ctx);
	json_object *info = json_get(params, "image_info", json_type_object);
	const char *configdrive = json_get_string(params, "configdrive");
	const char *format = json_get_string(info, "disk_format");
	const char *type = json_get_string(info, "image_type");
	const char *id = json_get_string(info, "id");
	_cleanup_free_ char *device = NULL, *error = NULL;
	_cleanup_free_ uint8_t *cd = NULL;
	struct download_params p;
	struct download_result res = {0};
	struct download_sink sink;
	struct qcow2_stream *q = NULL;
	json_object *uuids;
	const char *root_uuid;
	size_t cd_len = 0;
	int fd, r;

	if (type && strcmp(type, "partition") == 0) {
		*ret_error =
		    agent_error_new("ImageWriteError", 500, "Error writing image to device", "%s",
				    "ingot writes whole-disk images only; this is a "
				    "partition image");
		return COMMAND_ERROR;
	}
	if (format && strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0) {
		*ret_error = agent_error_new(
		    "ImageWriteError", 500, "Error writing image to device",
		    "ingot writes raw and qcow2 images and this one is %s; let Ironic convert it "
		    "([DEFAULT]force_raw_images = True, [agent]image_download_source = http)",
		    format);
		return COMMAND_ERROR;
	}

	r = agent_install_device(a, &device, &error);
	if (r < 0) {
		*ret_error = agent_error_new("DeviceNotFound", 404,
					     "Error finding the disk or "
					     "partition device to deploy the image onto",
					     "%s", error ? error : strerror(-r));
		return COMMAND_ERROR;
	}

	/* Decode the config drive first: a bad one must not cost a whole download. */
	if (configdrive && *configdrive) {
		r = configdrive_fetch(a, configdrive, &cd, &cd_len, &error);
		if (r < 0) {
			*ret_error = agent_error_new("InstanceDeployFailure", 500,
						     "Failed to deploy instance", "%s",
						     error ? error : strerror(-r));
			return COMMAND_ERROR;
		}
	}

	fd = openat(a->root_fd, device + 1, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*ret_error =
		    agent_error_new("ImageWriteError", 500, "Error writing image to device",
				    "cannot open %s: %s", device, strerror(errno));
		return COMMAND_ERROR;
	}
	log_info("writing image %s to %s", id ? id : "(no id)", device);
	download_params_init(&p);
	p.image_info = info;
	p.target = device;
	p.target_is_device = true;
	p.connection_timeout = a->conf.image_download_connection_timeout;
	p.connection_retries = a->conf.image_download_connection_retries;
	p.retry_interval = a->conf.image_download_connection_retry_interval;
	p.max_duration = a->conf.image_download_max_duration;
	p.md5_enabled = a->md5_enabled;
	p.insecure = a->conf.insecure;
	p.cafile = http_tls_get()->ca_file;
	p.tls13 = http_tls_get()->tls13;
	p.ciphers = http_tls_get()->ciphers;
	if (format && strcmp(format, "qcow2") == 0) {
		r = qcow2_sink_new(fd, &q, &sink);
		if (r < 0) {
			*ret_error =
			    agent_error_new("ImageWriteError", 500, "Error writing image to device",
					    "cannot size %s: %s", device, strerror(-r));
			safe_close(fd);
			return COMMAND_ERROR;
		}
		p.sink = &sink;
		log_info("the image is qcow2: converting it onto %s as it streams", device);
	}
	r = download_image(&p, fd, &res);
	q = qcow2_stream_free(q);
	if (r < 0) {
		*ret_error = error_from_image_error(&res.error);
		download_result_done(&res);
		safe_close(fd);
		return COMMAND_ERROR;
	}
	download_result_done(&res);

	if (check_written(fd, device, ret_error) != COMMAND_OK) {
		safe_close(fd);
		return COMMAND_ERROR;
	}
	if (cd) {
		struct configdrive_result cres;
		char err[CONFIGDRIVE_ERROR_MAX] = "";

		r = configdrive_write(fd, device, cd, cd_len, &cres, err, sizeof(err));
		if (r < 0) {
			*ret_error = agent_error_new("InstanceDeployFailure", 500,
						     "Failed to deploy instance",
						     "Failed to create config drive on disk %s: %s",
						     device, err[0] ? err : strerror(-r));
			safe_close(fd);
			return COMMAND_ERROR;
		}
		log_info("config drive (%zu bytes) written to %s", cd_len, cres.path);
	} else {
		(void)ioctl(fd, BLKRRPART); /* the image's partitions appear under /dev */
	}

	uuids = partition_uuids_of(fd);
	safe_close(fd);
	root_uuid = json_get_string(uuids, "root uuid");
	r = asprintf(&error, "image (%s) written to device %s root_uuid=%s", id ? id : "", device,
		     root_uuid ? root_uuid : "None");
	agent_partition_uuids_set(a, uuids);
	if (r < 0)
		return COMMAND_ERROR;
	log_info("%s", error);
	*ret_result = json_object_new_string(error);
	return COMMAND_OK;
}

HANDLER(standby_get_partition_uuids)
{
	(void)params;
	(void)ret_error;
	*ret_result = agent_partition_uuids_get(command_context_userdata(ctx));
	return COMMAND_OK;
}

HANDLER(standby_sync)
{
	(void)ctx;
	(void)params;
	(void)ret_result;
	(void)ret_error;
	sync();
	return COMMAND_OK;
}

/* Whether PID 1 is ingot's init (the ramdisk), which powers off on SIGUSR2. */
static bool under_ingot_init(struct agent *a)
{
	char target[64];
	ssize_t n = readlinkat(a->root_fd, "proc/1/exe", target, sizeof(target) - 1);

	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "/init") == 0;
}

static int power_action(struct command_context *ctx, bool reboot, json_object **ret_error)
{
	struct agent *a = command_context_userdata(ctx);
	const char *what = reboot ? "reboot" : "power off";
	int fd;

	/* The answer (RUNNING) goes out before the machine goes away. */
	sleep(1);
	/* IPA's _sync_clock(ignore_errors=True): the next boot's RTC should be right. */
	(void)agent_sync_clock(a, true);
	sync();
	if (a->dry_power) {
		log_info("fake power: would %s now (--ingot-fake-power)", what);
		return COMMAND_OK;
	}
	if (!under_ingot_init(a)) {
		*ret_error =
		    agent_error_new("CommandExecutionError", 500, "Command execution failed",
				    "refusing to %s: PID 1 is not ingot's init", what);
		return COMMAND_ERROR;
	}
	log_info("asking the init to %s", what);
	if (kill(1, reboot ? SIGTERM : SIGUSR2) == 0)
		return COMMAND_OK;
	/* IPA's fallback when poweroff/reboot fail. */
	log_warning("cannot signal the init (%s); using sysrq", strerror(errno));
	fd = openat(a->root_fd, "proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)write_all(fd, reboot ? "b" : "o", 1);
		safe_close(fd);
	}
	*ret_error = agent_error_new("SystemRebootError", 500, "Error rebooting system",
				     "cannot %s: %s", what, strerror(errno));
	return COMMAND_ERROR;
}

HANDLER(standby_power_off)
{
	(void)params;
	(void)ret_result;
	return power_action(ctx, false, ret_error);
}

HANDLER(standby_run_image)
{
	(void)params;
	(void)ret_result;
	return power_action(ctx, true, ret_error);
}
