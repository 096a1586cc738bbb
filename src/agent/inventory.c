/*
 * The hardware inventory as IPA master's hardware.py builds it: list_hardware_info(),
 * GenericHardwareManager.get_cpus() (lscpu), get_memory() (psutil, lshw), list_block_devices(),
 * get_system_vendor_info() (lshw), get_boot_info(), netutils.get_hostname(); and the body of
 * inspector.py call_inspector() with collect_default() and collect_logs(). See inventory.h.
 */

#define _GNU_SOURCE 1 /* strverscmp() */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/disk.h"
#include "agent/inventory.h"
#include "agent/json-util.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/unaligned.h"
#include "basic/strv.h"

#define VALUE_MAX 512 /* a sysfs attribute or a cpuinfo value */

/* json-c's constructors return NULL only without memory; add() turns that into -ENOMEM. */
static int add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_string_or_null(json_object *o, const char *key, const char *s)
{
	if (!s)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return add(o, key, json_object_new_string(s));
}

static int append(json_object *a, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Python's str.strip() of the whitespace sysfs and lshw values carry. */
static char *strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* ---- cpu ---------------------------------------------------------------------------------- */

/* The value of the first "key: value" line of text whose key is key (any case), stripped. */
static bool cpuinfo_value(const char *text, const char *key, char *buf, size_t size)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *colon = strchr(line, ':');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (colon && (size_t)(colon - line) < len) {
			char k[64], v[VALUE_MAX];
			size_t klen = (size_t)(colon - line), vlen = len - klen - 1;

			if (klen < sizeof(k) && vlen < sizeof(v)) {
				memcpy(k, line, klen);
				k[klen] = '\0';
				if (strcasecmp(strip(k), key) == 0) {
					memcpy(v, colon + 1, vlen);
					v[vlen] = '\0';
					snprintf(buf, size, "%s", strip(v));
					return true;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/* The first "flags" line can exceed VALUE_MAX by far: it is returned as a copy. */
static char *cpuinfo_dup(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n'), *p = line;
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (strncasecmp(p, key, klen) == 0) {
			p += klen;
			while (p < line + len && (*p == ' ' || *p == '\t'))
				p++;
			if (p < line + len && *p == ':') {
				_cleanup_free_ char *v =
				    strndup(p + 1, (size_t)(line + len - p - 1));

				return v ? strdup(strip(v)) : NULL;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The number of CPUs of a kernel cpu list, "0-3,8,10-11". -EINVAL when malformed. */
static int cpulist_count(const char *s, unsigned *ret)
{
	unsigned long total = 0;

	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			return -EINVAL;
		s = end;
		if (*s == '-') {
			b = strtoul(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return -EINVAL;
			s = end;
		}
		total += b - a + 1;
		if (total > INVENTORY_CPU_MAX)
			return -E2BIG;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	*ret = (unsigned)total;
	return 0;
}

struct cpu_scan {
	float max_mhz;
	bool has_freq;
	char **sockets; /* distinct core_siblings texts */
};

static int cpu_scan_sysfs(int root_fd, struct cpu_scan *s)
{
	_cleanup_close_ int fd =
	    openat(root_fd, "sys/devices/system/cpu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	unsigned seen = 0;
	int r = 0;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return negative_errno();
	fd = -1;
	while ((de = readdir(d)) && seen < INVENTORY_CPU_MAX) {
		char path[64 + 256], buf[VALUE_MAX];
		const char *p = de->d_name;

		if (strncmp(p, "cpu", 3) != 0 || !isdigit((unsigned char)p[3]) ||
		    strspn(p + 3, "0123456789") != strlen(p + 3))
			continue;
		seen++;
		snprintf(path, sizeof(path), "%s/cpufreq/cpuinfo_max_freq", p);
		if (read_line_at(dirfd(d), path, buf, sizeof(buf)) > 0) {
			float mhz = (float)strtoll(buf, NULL, 10) / 1000;

			if (!s->has_freq || mhz > s->max_mhz)
				s->max_mhz = mhz;
			s->has_freq = true;
		}
		snprintf(path, sizeof(path), "%s/topology/thread_siblings", p);
		if (faccessat(dirfd(d), path, F_OK, 0) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/topology/core_siblings", p);
		if (read_line_at(dirfd(d), path, buf, sizeof(buf)) < 0 ||
		    strv_contains(s->sockets, buf))
			continue;
		r = strv_extend(&s->sockets, buf);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

static const char *machine_arch(int root_fd, char *buf, size_t size)
{
	struct utsname u;

	if (read_line_at(root_fd, "proc/sys/kernel/arch", buf, size) > 0)
		return buf;
	if (uname(&u) < 0)
		return "";
	snprintf(buf, size, "%.*s", (int)MIN(size - 1, sizeof(u.machine) - 1), u.machine);
	return buf;
}

int inventory_cpu(int root_fd, const char *architecture, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object(), *flags = json_object_new_array();
	_cleanup_free_ char *text = NULL, *flag_text = NULL;
	_cleanup_strv_free_ char **words = NULL;
	struct cpu_scan scan = {0};
	char model[VALUE_MAX] = "-", freq[32] = "", buf[VALUE_MAX], arch[sizeof(struct utsname)];
	unsigned count = 0;
	int r;

	if (!o || !flags)
		return -ENOMEM;
	if (read_full_file_at(root_fd, "proc/cpuinfo", INVENTORY_FILE_MAX, &text, NULL) < 0)
		text = NULL;
	if (text) {
		if (!cpuinfo_value(text, "model name", model, sizeof(model)))
			snprintf(model, sizeof(model), "-");
		flag_text = cpuinfo_dup(text, "flags");
		if (!flag_text)
			flag_text = cpuinfo_dup(text, "features");
	}
	if (read_line_at(root_fd, "sys/devices/system/cpu/present", buf, sizeof(buf)) < 0 ||
	    cpulist_count(buf, &count) < 0) {
		count = 0;
		for (const char *p = text; p && *p;) {
			const char *nl = strchr(p, '\n');

			if (strncmp(p, "processor", 9) == 0 && strchr(" \t:", p[9]))
				count++;
			p = nl ? nl + 1 : NULL;
		}
	}
	r = cpu_scan_sysfs(root_fd, &scan);
	if (r < 0) {
		strv_free(scan.sockets);
		return r;
	}
	if (scan.has_freq)
		snprintf(freq, sizeof(freq), "%.4f", scan.max_mhz);
	if (flag_text && strv_split(flag_text, 4096, &words) < 0)
		words = NULL;
	for (size_t i = 0; words && words[i]; i++)
		if (append(flags, json_object_new_string(words[i])) < 0)
			goto enomem;

	if (!architecture)
		architecture = machine_arch(root_fd, arch, sizeof(arch));
	if (add(o, "model_name", json_object_new_string(model)) < 0 ||
	    add(o, "frequency", json_object_new_string(freq)) < 0 ||
	    add(o, "count", json_object_new_int64(count)) < 0 ||
	    add(o, "architecture", json_object_new_string(architecture)) < 0 ||
	    add(o, "flags", TAKE_PTR(flags)) < 0 ||
	    add(o, "socket_count", json_object_new_int64((int64_t)strv_length(scan.sockets))) < 0)
		goto enomem;
	strv_free(scan.sockets);
	*ret = TAKE_PTR(o);
	return 0;
enomem:
	strv_free(scan.sockets);
	return -ENOMEM;
}

/* ---- memory ------------------------------------------------------------------------------- */

/* One SMBIOS structure: the formatted area and where the next one starts. */
struct smbios_struct {
	uint8_t type;
	uint8_t length;
	uint16_t handle;
	const uint8_t *data; /* length bytes, header included */
};

/* The structure at *off; advances *off past its strings. false at the end or when malformed. */
static bool smbios_next(const uint8_t *dmi, size_t len, size_t *off, struct smbios_struct *s)
{
	size_t o = *off, p;

	if (len < 4 || o > len - 4)
		return false;
	s->type = dmi[o];
	s->length = dmi[o + 1];
	s->handle = unaligned_read_le16(dmi + o + 2);
	s->data = dmi + o;
	if (s->length < 4 || s->length > len - o)
		return false;
	/* the string set ends with two NULs (an empty one is just two NULs) */
	for (p = o + s->length; p + 1 < len; p++)
		if (dmi[p] == 0 && dmi[p + 1] == 0)
			break;
	if (p + 1 >= len)
		return false;
	*off = p + 2;
	return true;
}

/* lshw's dmi.cc case 16: arrays whose devices are not system memory. */
static bool array_is_other(uint8_t use)
{
	return use >= 0x04 && use <= 0x07;
}

uint64_t inventory_smbios_memory(const uint8_t *dmi, size_t len, unsigned version)
{
	uint16_t other[64];
	size_t n_other = 0, off = 0;
	struct smbios_struct s;
	uint64_t total = 0;
	bool extended_ok = version == 0 || version >= 0x0207;

	if (!dmi)
		return 0;
	while (smbios_next(dmi, len, &off, &s) && s.type != 127)
		if (s.type == 16 && s.length > 0x05 && array_is_other(s.data[0x05]) &&
		    n_other < ELEMENTSOF(other))
			other[n_other++] = s.handle;

	off = 0;
	while (smbios_next(dmi, len, &off, &s) && s.type != 127) {
		uint16_t array, size;
		bool skip = false;

		if (s.type != 17 || s.length < 0x0e)
			continue;
		array = unaligned_read_le16(s.data + 0x04);
		for (size_t i = 0; i < n_other; i++)
			skip |= other[i] == array;
		if (skip)
			continue;
		size = unaligned_read_le16(s.data + 0x0c);
		if (size == 0x7fff && extended_ok && s.length >= 0x20)
			total += (uint64_t)(unaligned_read_le32(s.data + 0x1c) & 0x7fffffffu) << 20;
		else if (size != 0xffff)
			total += (uint64_t)(size & 0x7fff) << ((size & 0x8000) ? 10 : 20);
	}
	return total;
}

uint64_t inventory_lshw_memory(uint64_t banks, uint64_t logical, uint64_t hotplug)
{
	/* lshw also weighs the size of /proc/kcore; it is never below twice the RAM on 64 bit */
	if (banks > logical)
		return banks;
	if (hotplug > logical)
		return hotplug;
	return logical;
}

static unsigned smbios_version(int root_fd)
{
	_cleanup_free_ char *ep = NULL;
	size_t n;

	if (read_full_file_at(root_fd, "sys/firmware/dmi/tables/smbios_entry_point", 4096, &ep,
			      &n) < 0)
		return 0;
	if (n >= 9 && memcmp(ep, "_SM3_", 5) == 0)
		return (unsigned)(uint8_t)ep[7] << 8 | (uint8_t)ep[8];
	if (n >= 8 && memcmp(ep, "_SM_", 4) == 0)
		return (unsigned)(uint8_t)ep[6] << 8 | (uint8_t)ep[7];
	return 0;
}

static uint64_t hotplug_memory(int root_fd)
{
	_cleanup_close_ int fd =
	    openat(root_fd, "sys/devices/system/memory", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[64];
	uint64_t block, total = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || read_line_at(fd, "block_size_bytes", buf, sizeof(buf)) <= 0)
		return 0;
	block = strtoull(buf, NULL, 16);
	if (block == 0)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return 0;
	fd = -1;
	while ((de = readdir(d))) {
		char path[300];

		if (strncmp(de->d_name, "memory", 6) != 0 || !isdigit((unsigned char)de->d_name[6]))
			continue;
		snprintf(path, sizeof(path), "%s/online", de->d_name);
		if (read_line_at(dirfd(d), path, buf, sizeof(buf)) > 0 && strcmp(buf, "1") == 0)
			total += block;
	}
	closedir(d);
	return total;
}

int inventory_memory(int root_fd, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *meminfo = NULL;
	_cleanup_free_ uint8_t *dmi = NULL;
	char kb[64];
	size_t dmi_len = 0;
	uint64_t total = 0, banks;
	bool have_total = false;

	if (!o)
		return -ENOMEM;
	if (read_full_file_at(root_fd, "proc/meminfo", INVENTORY_FILE_MAX, &meminfo, NULL) >= 0 &&
	    cpuinfo_value(meminfo, "MemTotal", kb, sizeof(kb))) {
		char *end;
		unsigned long long v = strtoull(kb, &end, 10);

		have_total = end != kb;
		total = (uint64_t)v * 1024;
	}
	if (read_full_file_at(root_fd, "sys/firmware/dmi/tables/DMI", INVENTORY_DMI_MAX,
			      (char **)&dmi, &dmi_len) < 0)
		dmi_len = 0;
	banks = inventory_smbios_memory(dmi, dmi_len, smbios_version(root_fd));

	if ((have_total ? add(o, "total", json_object_new_int64((int64_t)total))
			: add_string_or_null(o, "total", NULL)) < 0 ||
	    add(o, "physical_mb",
		json_object_new_int64((
		    int64_t)(inventory_lshw_memory(banks, total, hotplug_memory(root_fd)) >> 20))) <
		0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

/* ---- disks -------------------------------------------------------------------------------- */

static int add_sectors(json_object *o, int root_fd, const char *name, const char *attr,
		       const char *key)
{
	char path[DISK_NAME_MAX + 64], buf[32];
	char *end;
	long long v;

	snprintf(path, sizeof(path), "sys/block/%s/queue/%s", name, attr);
	if (read_line_at(root_fd, path, buf, sizeof(buf)) <= 0)
		return add_string_or_null(o, key, NULL);
	v = strtoll(buf, &end, 10);
	if (*end || v < 0)
		return add_string_or_null(o, key, NULL);
	return add(o, key, json_object_new_int64(v));
}

static int disk_json(int root_fd, const struct disk *d, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	if (add(o, "name", json_object_new_string(d->path)) < 0 ||
	    add_string_or_null(o, "model", d->model) < 0 ||
	    add(o, "size", json_object_new_int64((int64_t)d->size)) < 0 ||
	    add(o, "rotational", json_object_new_boolean(d->rotational)) < 0 ||
	    add_string_or_null(o, "wwn", d->wwn) < 0 ||
	    add_string_or_null(o, "serial", d->serial) < 0 ||
	    add_string_or_null(o, "vendor", d->vendor) < 0 ||
	    add_string_or_null(o, "wwn_with_extension", d->wwn_with_extension) < 0 ||
	    add_string_or_null(o, "wwn_vendor_extension", d->wwn_vendor_extension) < 0 ||
	    add_string_or_null(o, "hctl", d->hctl) < 0 ||
	    add_string_or_null(o, "by_path", d->by_path) < 0 ||
	    add_sectors(o, root_fd, d->name, "logical_block_size", "logical_sectors") < 0 ||
	    add_sectors(o, root_fd, d->name, "physical_block_size", "physical_sectors") < 0 ||
	    add_string_or_null(o, "tran", d->tran) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

int inventory_disks(int root_fd, json_object **ret)
{
	_cleanup_json_ json_object *a = json_object_new_array();
	struct disk *disks = NULL;
	size_t n = 0;
	int r;

	if (!a)
		return -ENOMEM;
	r = disk_list(root_fd, &disks, &n);
	if (r == -ENOENT) /* no sys/block: no disks, as lsblk would say */
		r = 0, n = 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		json_object *o = NULL;

		r = disk_json(root_fd, &disks[i], &o);
		if (r >= 0)
			r = append(a, o);
	}
	disk_list_free(disks, n);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(a);
	return 0;
}

/* ---- system vendor, boot ------------------------------------------------------------------ */

static int add_dmi(json_object *o, int root_fd, const char *key, const char *attr,
		   const char *suffix_attr)
{
	char buf[VALUE_MAX], sfx[VALUE_MAX], out[2 * VALUE_MAX + 4];
	const char *v = "", *s = "";

	if (read_line_at(root_fd, attr, buf, sizeof(buf)) >= 0)
		v = strip(buf);
	if (suffix_attr && read_line_at(root_fd, suffix_attr, sfx, sizeof(sfx)) >= 0)
		s = strip(sfx);
	/* lshw's hwNode::setSerial() drops the all-zero UUID some firmware puts there */
	if (strcmp(v, "00000000-0000-0000-0000-000000000000") == 0 &&
	    strcmp(key, "serial_number") == 0)
		v = "";
	if (*s)
		snprintf(out, sizeof(out), "%s (%s)", v, s);
	else
		snprintf(out, sizeof(out), "%s", v);
	return add(o, key, json_object_new_string(strip(out)));
}

#define DMI_ID "sys/class/dmi/id/"

int inventory_system_vendor(int root_fd, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object(), *fw = json_object_new_object();

	if (!o || !fw)
		return -ENOMEM;
	if (add_dmi(fw, root_fd, "vendor", DMI_ID "bios_vendor", NULL) < 0 ||
	    add_dmi(fw, root_fd, "version", DMI_ID "bios_version", NULL) < 0 ||
	    add_dmi(fw, root_fd, "build_date", DMI_ID "bios_date", NULL) < 0 ||
	    add_dmi(o, root_fd, "product_name", DMI_ID "product_name", DMI_ID "product_sku") < 0 ||
	    add_dmi(o, root_fd, "serial_number", DMI_ID "product_serial", NULL) < 0 ||
	    add_dmi(o, root_fd, "manufacturer", DMI_ID "sys_vendor", NULL) < 0 ||
	    add(o, "firmware", TAKE_PTR(fw)) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

int inventory_boot(int root_fd, const struct agent_conf *conf, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	struct stat st;
	bool uefi = fstatat(root_fd, "sys/firmware/efi", &st, 0) >= 0 && S_ISDIR(st.st_mode);

	if (!o)
		return -ENOMEM;
	if (add(o, "current_boot_mode", json_object_new_string(uefi ? "uefi" : "bios")) < 0 ||
	    add_string_or_null(o, "pxe_interface", conf ? conf->bootif.text : NULL) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

/* ---- the whole ---------------------------------------------------------------------------- */

int inventory_collect(int root_fd, const struct agent_conf *conf,
		      const struct inventory_sources *src, json_object **ret)
{
	static const struct inventory_sources none = {0};
	_cleanup_json_ json_object *inv = json_object_new_object();
	struct ipmi_bmc live = {0};
	const struct ipmi_bmc *bmc = NULL;
	json_object *part = NULL;
	char host[256];
	const char *hostname;
	int r;

	if (!inv)
		return -ENOMEM;
	if (!src)
		src = &none;

	r = inventory_net_list(root_fd, src->net, src->lldp, &part);
	if (r < 0 || (r = add(inv, "interfaces", part)) < 0)
		return r;
	r = inventory_cpu(root_fd, src->architecture, &part);
	if (r < 0 || (r = add(inv, "cpu", part)) < 0)
		return r;
	r = inventory_disks(root_fd, &part);
	if (r < 0 || (r = add(inv, "disks", part)) < 0)
		return r;
	r = inventory_memory(root_fd, &part);
	if (r < 0 || (r = add(inv, "memory", part)) < 0)
		return r;

	if (!src->skip_bmc) {
		bmc = src->bmc;
		if (!bmc) {
			r = ipmi_bmc_collect(root_fd, &live);
			if (r < 0)
				return r;
			bmc = &live;
		}
	}
	if (add_string_or_null(inv, "bmc_address", bmc ? bmc->address : NULL) < 0 ||
	    add_string_or_null(inv, "bmc_v6address", bmc ? bmc->v6address : NULL) < 0)
		goto enomem;

	r = inventory_system_vendor(root_fd, &part);
	if (r < 0 || (r = add(inv, "system_vendor", part)) < 0)
		goto fail;
	r = inventory_boot(root_fd, conf, &part);
	if (r < 0 || (r = add(inv, "boot", part)) < 0)
		goto fail;

	hostname = src->hostname;
	if (!hostname) {
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	if (add(inv, "hostname", json_object_new_string(hostname)) < 0)
		goto enomem;
	if (bmc && bmc->mac && add(inv, "bmc_mac", json_object_new_string(bmc->mac)) < 0)
		goto enomem;

	ipmi_bmc_done(&live);
	*ret = TAKE_PTR(inv);
	return 0;
enomem:
	r = -ENOMEM;
fail:
	ipmi_bmc_done(&live);
	return r;
}

/* ---- inspection --------------------------------------------------------------------------- */

/* utils.guess_root_disk(): sorted by (size, name), the first of at least 4 GiB. */
static json_object *guess_root_disk(json_object *inventory)
{
	json_object *disks = json_get(inventory, "disks", json_type_array), *best = NULL;
	int64_t best_size = 0;
	const char *best_name = NULL;

	for (size_t i = 0; disks && i < json_object_array_length(disks); i++) {
		json_object *d = json_object_array_get_idx(disks, i);
		json_object *size = json_get(d, "size", json_type_int);
		const char *name = json_get_string(d, "name");
		int64_t sz;

		if (!size || !name)
			continue;
		sz = json_object_get_int64(size);
		if (sz < (int64_t)4 << 30)
			continue;
		if (!best || sz < best_size || (sz == best_size && strcmp(name, best_name) < 0)) {
			best = d;
			best_size = sz;
			best_name = name;
		}
	}
	return best;
}

/* AccumulatedFailures.get_error() */
static int failures_text(char *const *failures, char **ret)
{
	_cleanup_strv_free_ char **items = NULL;
	_cleanup_free_ char *joined = NULL;

	for (size_t i = 0; failures && failures[i]; i++) {
		_cleanup_free_ char *item = NULL;

		if (asprintf(&item, "* %s", failures[i]) < 0 || strv_extend(&items, item) < 0)
			return -ENOMEM;
	}
	if (!items) {
		*ret = NULL;
		return 0;
	}
	if (strv_join(items, "\n", &joined) < 0 ||
	    asprintf(ret, "The following errors were encountered:\n%s", joined) < 0)
		return -ENOMEM;
	return 0;
}

static bool known_collector(const char *name)
{
	return strcmp(name, "default") == 0 || strcmp(name, "logs") == 0 ||
	       strcmp(name, "lldp") == 0;
}

/* stevedore's missing entry points, as IPA words them: "Failed to load collector {'a'}" */
static int missing_collectors(char *const *collectors, char **ret)
{
	_cleanup_strv_free_ char **quoted = NULL;
	_cleanup_free_ char *joined = NULL;

	for (size_t i = 0; collectors[i]; i++) {
		_cleanup_free_ char *q = NULL;

		if (known_collector(collectors[i]))
			continue;
		if (asprintf(&q, "'%s'", collectors[i]) < 0 || strv_extend(&quoted, q) < 0)
			return -ENOMEM;
	}
	if (!quoted) {
		*ret = NULL;
		return 0;
	}
	if (strv_join(quoted, ", ", &joined) < 0 ||
	    asprintf(ret, "Failed to load collector {%s}", joined) < 0)
		return -ENOMEM;
	return 0;
}

/* collect_default()'s configuration */
static json_object *configuration(char *const *collectors)
{
	_cleanup_json_ json_object *conf = json_object_new_object();
	json_object *names = json_object_new_array(), *managers = json_object_new_array();
	json_object *mgr = json_object_new_object();

	if (add(conf, "collectors", names) < 0 || add(conf, "managers", managers) < 0 ||
	    append(managers, mgr) < 0 ||
	    add(mgr, "name", json_object_new_string("generic_hardware_manager")) < 0 ||
	    add(mgr, "version", json_object_new_string("1.2")) < 0)
		return NULL;
	for (size_t j = 0; collectors[j]; j++)
		if (append(names, json_object_new_string(collectors[j])) < 0)
			return NULL;
	return TAKE_PTR(conf);
}

static int collect_default(json_object *body, json_object *inventory, char *const *collectors)
{
	json_object *root = guess_root_disk(inventory), *copy = NULL, *pxe = NULL;
	json_object *boot = json_get(inventory, "boot", json_type_object);

	if (add(body, "inventory", json_object_get(inventory)) < 0)
		return -ENOMEM;
	if (root) {
		if (json_object_deep_copy(root, &copy, NULL) < 0)
			return -ENOMEM;
		if (add(body, "root_disk", copy) < 0)
			return -ENOMEM;
	}
	if (boot)
		json_object_object_get_ex(boot, "pxe_interface", &pxe);
	if (json_object_object_add(body, "boot_interface", json_object_get(pxe)) < 0)
		return -ENOMEM;
	return add(body, "configuration", configuration(collectors));
}

int inspection_body_build(json_object *inventory, char *const *collectors, const char *logs_b64,
			  json_object *lldp_raw, char *const *failures, json_object **ret)
{
	static char *const defaults[] = {"default", "logs", NULL};
	_cleanup_json_ json_object *body = json_object_new_object();
	_cleanup_free_ char *missing = NULL, *error = NULL;
	char *only[2] = {NULL, NULL};

	if (!body)
		return -ENOMEM;
	if (!collectors || !collectors[0])
		collectors = defaults;
	if (missing_collectors(collectors, &missing) < 0)
		return -ENOMEM;
	if (missing) {
		/* IPA posts what it has, nothing, with this one error */
		only[0] = missing;
		failures = only;
	} else {
		for (size_t i = 0; collectors[i]; i++) {
			if (strcmp(collectors[i], "default") == 0) {
				if (!inventory)
					return -EINVAL;
				if (collect_default(body, inventory, collectors) < 0)
					return -ENOMEM;
			} else if (strcmp(collectors[i], "lldp") == 0) {
				json_object *v =
				    lldp_raw ? json_object_get(lldp_raw) : json_object_new_object();

				if (add(body, "lldp_raw", v) < 0)
					return -ENOMEM;
			} else if (logs_b64 &&
				   add(body, "logs", json_object_new_string(logs_b64)) < 0)
				return -ENOMEM;
		}
	}
	if (failures_text(failures, &error) < 0 || add_string_or_null(body, "error", error) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(body);
	return 0;
}
