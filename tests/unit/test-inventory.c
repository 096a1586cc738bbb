/*
 * The inventory (agent/inventory.h) on trees: those captured by tests/data/inventory/capture.sh
 * on the build machine (a Firecracker VM: no DMI, no BMC) and on the QEMU node under SeaBIOS and
 * OVMF (tests/data/inventory/README), and a QEMU-like one built here; the SMBIOS and IPMI
 * parsers on constructed bytes; the inspection body.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/conf.h"
#include "agent/inventory.h"
#include "agent/ipmi.h"
#include "agent/json-util.h"
#include "basic/fs-util.h"

#include "test.h"

static char root[PATH_MAX];

static void put(const char *path, const void *data, size_t len)
{
	char p[PATH_MAX * 2], *slash;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	slash = strrchr(p, '/');
	*slash = '\0';
	mkdir_p(p, 0755);
	*slash = '/';
	f = fopen(p, "we");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void puts_(const char *path, const char *s)
{
	put(path, s, strlen(s));
}

static void link_(const char *path, const char *target)
{
	char p[PATH_MAX * 2], *slash;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	slash = strrchr(p, '/');
	*slash = '\0';
	mkdir_p(p, 0755);
	*slash = '/';
	if (symlink(target, p) < 0)
		perror(p);
}

static const char *str(json_object *o, const char *key)
{
	const char *s = json_get_string(o, key);

	return s ? s : "(none)";
}

static bool is_null(json_object *o, const char *key)
{
	json_object *v = (json_object *)1;

	return json_object_object_get_ex(o, key, &v) && v == NULL;
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v = json_get(o, key, json_type_int);

	return v ? json_object_get_int64(v) : -1;
}

static bool keys_are(json_object *o, const char *const *keys)
{
	size_t i = 0;

	json_object_object_foreach(o, k, v)
	{
		(void)v;
		if (!keys[i] || strcmp(k, keys[i]) != 0)
			return false;
		i++;
	}
	return keys[i] == NULL;
}

/* ---- SMBIOS ---- */

struct buf {
	uint8_t b[1024];
	size_t n;
};

static void sm_add(struct buf *t, uint8_t type, uint16_t handle, const uint8_t *fmt, size_t len,
		   const char *strings)
{
	t->b[t->n++] = type;
	t->b[t->n++] = (uint8_t)(4 + len);
	t->b[t->n++] = handle & 0xff;
	t->b[t->n++] = handle >> 8;
	if (len)
		memcpy(t->b + t->n, fmt, len);
	t->n += len;
	if (strings && *strings) {
		size_t l = strlen(strings) + 1;

		memcpy(t->b + t->n, strings, l);
		t->n += l;
		t->b[t->n++] = 0;
	} else {
		t->b[t->n++] = 0;
		t->b[t->n++] = 0;
	}
}

/* a memory array (type 16) of this use */
static void sm_array(struct buf *t, uint16_t handle, uint8_t use)
{
	uint8_t f[0x17 - 4] = {0};

	f[0x05 - 4] = use;
	sm_add(t, 16, handle, f, sizeof(f), NULL);
}

/* a memory device (type 17) with a size word and an extended size */
static void sm_device(struct buf *t, uint16_t handle, uint16_t array, uint16_t size, uint32_t ext)
{
	uint8_t f[0x28 - 4] = {0};

	f[0x04 - 4] = array & 0xff;
	f[0x05 - 4] = array >> 8;
	f[0x0c - 4] = size & 0xff;
	f[0x0d - 4] = size >> 8;
	memcpy(f + 0x1c - 4, &ext, 4); /* little endian host */
	sm_add(t, 17, handle, f, sizeof(f), "DIMM 0\0QEMU");
}

static void sm_end(struct buf *t)
{
	sm_add(t, 127, 0xfeff, NULL, 0, NULL);
}

static void test_smbios(void)
{
	struct buf t = {0};
	uint64_t total;

	sm_array(&t, 0x1000, 0x03);
	sm_device(&t, 0x1100, 0x1000, 4096, 0);		/* 4 GiB in MiB */
	sm_device(&t, 0x1101, 0x1000, 0x8000 | 512, 0); /* 512 KiB */
	sm_device(&t, 0x1102, 0x1000, 0x7fff, 32768);	/* extended: 32 GiB */
	sm_device(&t, 0x1103, 0x1000, 0xffff, 0);	/* unknown */
	sm_device(&t, 0x1104, 0x1000, 0, 0);		/* empty slot */
	sm_array(&t, 0x2000, 0x04);			/* video memory */
	sm_device(&t, 0x2100, 0x2000, 256, 0);		/* not counted */
	sm_device(&t, 0x1105, 0xfffe, 1024, 0);		/* no array: counted */
	sm_end(&t);
	sm_device(&t, 0x1106, 0x1000, 1024, 0); /* after the end marker */

	total = inventory_smbios_memory(t.b, t.n, 0x0300);
	CHECK(total == (4096ULL << 20) + (512ULL << 10) + (32768ULL << 20) + (1024ULL << 20),
	      "smbios: banks summed as lshw does (%llu)", (unsigned long long)total);
	total = inventory_smbios_memory(t.b, t.n, 0x0206);
	CHECK(total == (4096ULL << 20) + (512ULL << 10) + (0x7fffULL << 20) + (1024ULL << 20),
	      "smbios 2.6: no extended size");

	/* malformed tables: no crash, nothing or only what came before */
	CHECK(inventory_smbios_memory(NULL, 0, 0) == 0, "smbios: no table");
	CHECK(inventory_smbios_memory(t.b, 3, 0) == 0, "smbios: 3 bytes");
	for (size_t n = 0; n < t.n; n++)
		(void)inventory_smbios_memory(t.b, n, 0); /* every truncation; ASan watches */
	CHECK(inventory_smbios_memory(t.b, 40, 0) == 0, "smbios: truncated inside a device");
	{
		uint8_t bad[] = {17, 2, 0, 0, 0, 0};		 /* length below the header */
		uint8_t huge[] = {17, 200, 0, 0, 1, 2, 3, 0, 0}; /* length past the end */
		uint8_t noterm[64];

		memset(noterm, 0x41, sizeof(noterm));
		noterm[0] = 17;
		noterm[1] = 0x28;
		CHECK(inventory_smbios_memory(bad, sizeof(bad), 0) == 0, "smbios: short length");
		CHECK(inventory_smbios_memory(huge, sizeof(huge), 0) == 0, "smbios: long length");
		CHECK(inventory_smbios_memory(noterm, sizeof(noterm), 0) == 0,
		      "smbios: strings without end");
	}

	CHECK(inventory_lshw_memory(4096ULL << 20, 4000ULL << 20, 0) == 4096ULL << 20,
	      "lshw: banks when larger than the RAM");
	CHECK(inventory_lshw_memory(0, 4000ULL << 20, 4096ULL << 20) == 4096ULL << 20,
	      "lshw: hotplug blocks without banks");
	CHECK(inventory_lshw_memory(0, 4000ULL << 20, 0) == 4000ULL << 20, "lshw: the RAM");
}

/* ---- IPMI ---- */

struct fake_bmc {
	bool lan[16];
	uint8_t ip[16][4];
	uint8_t mac[16][6];
	bool has_ip[16];
	uint8_t v6_enables[16]; /* 0xff: parameter unsupported */
	struct {
		uint8_t source, status;
		uint8_t addr[16];
	} v6dyn[16];
	unsigned n_dyn[16];
	unsigned calls;
};

static int fake_call(void *userdata, uint8_t netfn, uint8_t cmd, const uint8_t *req, size_t req_len,
		     uint8_t *resp, size_t resp_max, size_t *resp_len)
{
	struct fake_bmc *b = userdata;
	unsigned ch = req_len ? req[0] & 0x0f : 0;

	b->calls++;
	if (!b || resp_max < 24)
		return -EINVAL;
	memset(resp, 0, resp_max);
	if (netfn == IPMI_NETFN_APP && cmd == IPMI_CMD_GET_CHANNEL_INFO) {
		resp[0] = 0;
		resp[1] = (uint8_t)ch;
		resp[2] = b->lan[ch] ? 0x04 : 0x05;
		*resp_len = 10;
		return 0;
	}
	if (netfn != IPMI_NETFN_TRANSPORT || cmd != IPMI_CMD_GET_LAN_CONFIG || req_len < 4)
		return -EIO;
	resp[1] = 0x11;
	switch (req[1]) {
	case IPMI_LAN_PARAM_IP:
		if (!b->has_ip[ch])
			break;
		memcpy(resp + 2, b->ip[ch], 4);
		*resp_len = 6;
		return 0;
	case IPMI_LAN_PARAM_MAC:
		memcpy(resp + 2, b->mac[ch], 6);
		*resp_len = 8;
		return 0;
	case IPMI_LAN_PARAM_V6_ENABLES:
		if (b->v6_enables[ch] == 0xff)
			break;
		resp[2] = b->v6_enables[ch];
		*resp_len = 3;
		return 0;
	case IPMI_LAN_PARAM_V6_STATUS:
		if (b->v6_enables[ch] == 0xff)
			break;
		resp[2] = 0;
		resp[3] = (uint8_t)b->n_dyn[ch];
		*resp_len = 5;
		return 0;
	case IPMI_LAN_PARAM_V6_DYNAMIC:
		if (req[2] >= b->n_dyn[ch])
			break;
		resp[2] = req[2];
		resp[3] = b->v6dyn[req[2]].source;
		memcpy(resp + 4, b->v6dyn[req[2]].addr, 16);
		resp[20] = 64;
		resp[21] = b->v6dyn[req[2]].status;
		*resp_len = 22;
		return 0;
	}
	resp[0] = 0x80; /* parameter not supported */
	*resp_len = 1;
	return 0;
}

static int dead_call(void *userdata, uint8_t netfn, uint8_t cmd, const uint8_t *req, size_t req_len,
		     uint8_t *resp, size_t resp_max, size_t *resp_len)
{
	(void)userdata, (void)netfn, (void)cmd, (void)req, (void)req_len, (void)resp;
	(void)resp_max, (void)resp_len;
	return -ETIMEDOUT;
}

static void test_ipmi(void)
{
	uint8_t ok_ip[] = {0, 0x11, 10, 0, 0, 21}, bad_cc[] = {0xc1}, short_ip[] = {0, 0x11, 10};
	uint8_t mac[] = {0, 0x11, 0x0C, 0xC4, 0x7A, 0x11, 0x22, 0x33};
	uint8_t chan[] = {0, 1, 0x84, 1}, chan_other[] = {0, 1, 0x06}, chan_ipmb[] = {0, 1, 0x01};
	uint8_t v6[22] = {0, 0x11, 0, 0x81, 0x20, 0x01, 0x0d, 0xb8, [19] = 5, [20] = 64, [21] = 0};
	char ip[16], m[18];
	const char *mode;
	unsigned ns, nd;
	struct ipmi_v6_addr a;
	struct ipmi_bmc b;
	struct fake_bmc fb = {0};
	struct ipmi_transport t = {fake_call, &fb}, dead = {dead_call, NULL};

	CHECK(ipmi_parse_lan_ip(ok_ip, sizeof(ok_ip), ip) == 0 && strcmp(ip, "10.0.0.21") == 0,
	      "ipmi: IP address parameter");
	CHECK(ipmi_parse_lan_ip(bad_cc, sizeof(bad_cc), ip) == -EIO, "ipmi: completion code");
	CHECK(ipmi_parse_lan_ip(short_ip, sizeof(short_ip), ip) == -EBADMSG, "ipmi: short data");
	CHECK(ipmi_parse_lan_ip(ok_ip, 0, ip) == -EBADMSG, "ipmi: empty response");
	CHECK(ipmi_parse_lan_mac(mac, sizeof(mac), m) == 0 && strcmp(m, "0c:c4:7a:11:22:33") == 0,
	      "ipmi: MAC parameter, lower case");
	CHECK(ipmi_parse_lan_mac(mac, 7, m) == -EBADMSG, "ipmi: short MAC");
	CHECK(ipmi_parse_channel_is_lan(chan, sizeof(chan)) == 1, "ipmi: 802.3 channel");
	CHECK(ipmi_parse_channel_is_lan(chan_other, sizeof(chan_other)) == 1, "ipmi: other LAN");
	CHECK(ipmi_parse_channel_is_lan(chan_ipmb, sizeof(chan_ipmb)) == 0, "ipmi: IPMB channel");
	CHECK(ipmi_parse_channel_is_lan(chan, 2) == -EBADMSG, "ipmi: short channel info");
	CHECK(ipmi_parse_v6_enables((uint8_t[]){0, 0x11, 2}, 3, &mode) == 0 &&
		  strcmp(mode, "both") == 0,
	      "ipmi: v6 enables both");
	CHECK(ipmi_parse_v6_enables((uint8_t[]){0, 0x11, 9}, 3, &mode) == 0 &&
		  strcmp(mode, "unknown") == 0,
	      "ipmi: v6 enables unknown");
	CHECK(ipmi_parse_v6_status((uint8_t[]){0, 0x11, 2, 3, 1}, 5, &ns, &nd) == 0 && ns == 2 &&
		  nd == 3,
	      "ipmi: v6 status");
	CHECK(ipmi_parse_v6_addr(v6, sizeof(v6), &a) == 0 && a.enabled && a.source == 1 &&
		  strcmp(a.address, "2001:db8::5") == 0 && a.prefix == 64 && a.status == 0,
	      "ipmi: v6 address set (%s)", a.address);
	CHECK(ipmi_parse_v6_addr(v6, 21, &a) == -EBADMSG, "ipmi: short v6 address set");

	/* nothing answers: IPA's defaults when the device exists */
	CHECK(ipmi_bmc_query(&dead, &b) == 0 && strcmp(b.address, "0.0.0.0") == 0 &&
		  strcmp(b.v6address, "::/0") == 0 && !b.mac,
	      "ipmi: silent BMC gives 0.0.0.0, ::/0, no MAC");
	ipmi_bmc_done(&b);

	/* channel 1 is IPMB, channel 2 LAN with an address, channel 3 LAN without */
	for (int c = 0; c < 16; c++)
		fb.v6_enables[c] = 0xff;
	fb.lan[2] = fb.lan[3] = true;
	fb.has_ip[1] = fb.has_ip[2] = fb.has_ip[3] = true;
	memcpy(fb.ip[1], (uint8_t[]){192, 0, 2, 9}, 4);
	memcpy(fb.ip[2], (uint8_t[]){10, 0, 0, 21}, 4);
	memcpy(fb.mac[2], (uint8_t[]){0x52, 0x54, 0, 0xab, 0xcd, 0xef}, 6);
	CHECK(ipmi_bmc_query(&t, &b) == 0 && strcmp(b.address, "10.0.0.21") == 0 &&
		  strcmp(b.v6address, "::/0") == 0 && b.mac &&
		  strcmp(b.mac, "52:54:00:ab:cd:ef") == 0,
	      "ipmi: first LAN channel with an address, its MAC");
	ipmi_bmc_done(&b);

	/* 0.0.0.0 and no IPv6 parameters: IPA's awk check passes, the MAC is reported */
	memset(fb.ip[2], 0, 4);
	CHECK(ipmi_bmc_query(&t, &b) == 0 && strcmp(b.address, "0.0.0.0") == 0 && b.mac,
	      "ipmi: 0.0.0.0 without IPv6 support still reports the MAC");
	ipmi_bmc_done(&b);

	/* IPv6 only: a link-local SLAAC address does not count for the MAC, a global one does */
	fb.v6_enables[2] = 1;
	fb.n_dyn[2] = 2;
	fb.v6dyn[0].source = 1;
	memcpy(fb.v6dyn[0].addr, (uint8_t[]){0xfe, 0x80, [15] = 1}, 16);
	fb.v6dyn[1].source = 2;
	fb.v6dyn[1].status = 1; /* disabled */
	memcpy(fb.v6dyn[1].addr, (uint8_t[]){0xfe, 0x80, [15] = 7}, 16);
	CHECK(ipmi_bmc_query(&t, &b) == 0 && strcmp(b.v6address, "fe80::1") == 0 && !b.mac,
	      "ipmi: v6 link-local active address (%s); no MAC without a routable address",
	      b.v6address);
	ipmi_bmc_done(&b);
	/* IPA's awk prints every address, disabled ones too: a routable one gives the MAC */
	memcpy(fb.v6dyn[1].addr, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 7}, 16);
	CHECK(ipmi_bmc_query(&t, &b) == 0 && strcmp(b.v6address, "fe80::1") == 0 && b.mac,
	      "ipmi: a disabled routable v6 address still lets IPA report the MAC");
	ipmi_bmc_done(&b);
	fb.v6dyn[1].status = 0;
	fb.v6dyn[0].status = 3; /* failed */
	CHECK(ipmi_bmc_query(&t, &b) == 0 && strcmp(b.v6address, "2001:db8::7") == 0 && b.mac,
	      "ipmi: v6 DHCPv6 address (%s) and then the MAC", b.v6address);
	ipmi_bmc_done(&b);
	ipmi_bmc_done(NULL);
}

/* ---- trees ---- */

struct fake_net {
	int calls;
};

static int fake_address(void *userdata, const char *ifname, int family, char **ret)
{
	(void)userdata;
	if (strcmp(ifname, "ens3") != 0)
		return -ENOENT;
	*ret = strdup(family == AF_INET ? "192.0.2.50" : "fe80::5054:ff:fe12:3456%ens3");
	return *ret ? 0 : -ENOMEM;
}

static int fake_perm(void *userdata, const char *ifname, char **ret)
{
	(void)userdata;
	if (strcmp(ifname, "ens4") != 0)
		return -ENOENT;
	*ret = strdup("52:54:00:00:00:04");
	return *ret ? 0 : -ENOMEM;
}

static int fake_capacity(void *userdata, const char *ifname, uint64_t *ret)
{
	(void)userdata;
	if (strcmp(ifname, "ens4") != 0)
		return -ENOENT;
	*ret = 10000;
	return 0;
}

static const struct inventory_net_ops fake_net = {fake_address, fake_perm, fake_capacity, NULL};

#define PCI "sys/devices/pci0000:00/"

static void build_qemu_tree(void)
{
	struct buf t = {0};
	uint8_t bios[0x18 - 4] = {1, 2, 0, 0xe8, 3, 0};
	uint8_t sys[0x1b - 4] = {1, 2, 3, 4};

	snprintf(root, sizeof(root), "%s", "/tmp/test-inventory-XXXXXX");
	if (!mkdtemp(root))
		exit(1);
	puts_("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n"
			      "model name\t: Intel Xeon Processor (Icelake)\n"
			      "cpu MHz\t\t: 2593.906\nflags\t\t: fpu vme de pse\n\n"
			      "processor\t: 1\nmodel name\t: Intel Xeon Processor (Icelake)\n"
			      "flags\t\t: fpu vme de pse\n\n");
	puts_("proc/meminfo", "MemTotal:        4026164 kB\nMemFree:  100 kB\n");
	puts_("proc/sys/kernel/arch", "x86_64\n");
	puts_("sys/devices/system/cpu/present", "0-1\n");
	for (int c = 0; c < 2; c++) {
		char p[128];

		snprintf(p, sizeof(p), "sys/devices/system/cpu/cpu%d/topology/thread_siblings", c);
		puts_(p, c ? "2\n" : "1\n");
		snprintf(p, sizeof(p), "sys/devices/system/cpu/cpu%d/topology/core_siblings", c);
		puts_(p, "3\n");
	}

	sm_add(&t, 0, 0, bios, sizeof(bios),
	       "SeaBIOS\0rel-1.16.2\0"
	       "04/01/2014");
	sm_add(&t, 1, 0x100, sys, sizeof(sys), "QEMU\0Standard PC (Q35 + ICH9, 2009)\0pc\0");
	sm_array(&t, 0x1000, 0x03);
	sm_device(&t, 0x1100, 0x1000, 4096, 0);
	sm_end(&t);
	put("sys/firmware/dmi/tables/DMI", t.b, t.n);
	put("sys/firmware/dmi/tables/smbios_entry_point", "_SM3_\x18\x18\x03\x00\x00", 10);
	puts_("sys/class/dmi/id/sys_vendor", "QEMU\n");
	puts_("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
	puts_("sys/class/dmi/id/product_serial", "\n");
	puts_("sys/class/dmi/id/bios_vendor", "SeaBIOS\n");
	puts_("sys/class/dmi/id/bios_version", "rel-1.16.2-0-gea1b7a073390-prebuilt.qemu.org\n");
	puts_("sys/class/dmi/id/bios_date", "04/01/2014\n");

	/* ens3: virtio, up; ens4: e1000e, no carrier; ens3.100 VLAN; lo; a "fa:" one */
	puts_(PCI "0000:00:03.0/virtio0/vendor", "0x1af4\n");
	puts_(PCI "0000:00:03.0/virtio0/device", "0x0001\n");
	link_(PCI "0000:00:03.0/virtio0/driver", "../../../../bus/virtio/drivers/virtio_net");
	puts_(PCI "0000:00:03.0/virtio0/net/ens3/address", "52:54:00:12:34:56\n");
	puts_(PCI "0000:00:03.0/virtio0/net/ens3/carrier", "1\n");
	link_(PCI "0000:00:03.0/virtio0/net/ens3/device", "../../../virtio0");
	link_("sys/class/net/ens3", "../../devices/pci0000:00/0000:00:03.0/virtio0/net/ens3");
	puts_(PCI "0000:00:04.0/vendor", "0x8086\n");
	puts_(PCI "0000:00:04.0/device", "0x10d3\n");
	link_(PCI "0000:00:04.0/driver", "../../../bus/pci/drivers/e1000e");
	puts_(PCI "0000:00:04.0/net/ens4/address", "52:54:00:AA:BB:04\n");
	puts_(PCI "0000:00:04.0/net/ens4/carrier", "0\n");
	link_(PCI "0000:00:04.0/net/ens4/device", "../../../0000:00:04.0");
	link_("sys/class/net/ens4", "../../devices/pci0000:00/0000:00:04.0/net/ens4");
	puts_("sys/devices/virtual/net/ens3.100/address", "52:54:00:12:34:56\n");
	link_("sys/class/net/ens3.100", "../../devices/virtual/net/ens3.100");
	puts_("sys/devices/virtual/net/lo/address", "00:00:00:00:00:00\n");
	link_("sys/class/net/lo", "../../devices/virtual/net/lo");
	puts_(PCI "0000:00:05.0/vendor", "0x1af4\n");
	puts_(PCI "0000:00:05.0/net/ens5/address", "fa:16:3e:00:00:01\n");
	link_(PCI "0000:00:05.0/net/ens5/device", "../../../0000:00:05.0");
	link_("sys/class/net/ens5", "../../devices/pci0000:00/0000:00:05.0/net/ens5");

	/* two virtio disks */
	for (int i = 0; i < 2; i++) {
		char dir[256], p[512];

		snprintf(dir, sizeof(dir), PCI "0000:00:0%d.0/virtio%d/block/vd%c", 6 + i, 2 + i,
			 'a' + i);
		snprintf(p, sizeof(p), "%s/size", dir);
		puts_(p, i ? "2097152\n" : "41943040\n");
		snprintf(p, sizeof(p), "%s/queue/rotational", dir);
		puts_(p, "1\n");
		snprintf(p, sizeof(p), "%s/queue/logical_block_size", dir);
		puts_(p, "512\n");
		snprintf(p, sizeof(p), "%s/queue/physical_block_size", dir);
		puts_(p, i ? "4096\n" : "512\n");
		snprintf(p, sizeof(p), "%s/serial", dir);
		puts_(p, i ? "disk1\n" : "disk0\n");
		snprintf(p, sizeof(p), "%s/device", dir);
		link_(p, i ? "../../../virtio3" : "../../../virtio2");
		snprintf(p, sizeof(p), PCI "0000:00:0%d.0/virtio%d/vendor", 6 + i, 2 + i);
		puts_(p, "0x1af4\n");
		snprintf(p, sizeof(p), "sys/block/vd%c", 'a' + i);
		snprintf(dir, sizeof(dir),
			 "../devices/pci0000:00/0000:00:0%d.0/virtio%d/block/vd%c", 6 + i, 2 + i,
			 'a' + i);
		link_(p, dir);
	}
}

static void test_qemu(void)
{
	struct agent_conf conf;
	struct ipmi_bmc bmc = {"10.0.0.21", "::/0", "52:54:00:ab:cd:ef"};
	struct inventory_sources src = {.net = &fake_net, .hostname = "localhost", .bmc = &bmc};
	static const char *const top[] = {
	    "interfaces",    "cpu",  "disks",	 "memory",  "bmc_address", "bmc_v6address",
	    "system_vendor", "boot", "hostname", "bmc_mac", NULL};
	static const char *const nic[] = {
	    "name",   "mac_address", "ipv4_address", "ipv6_address", "has_carrier", "lldp",
	    "vendor", "product",     "client_id",    "biosdevname",  "speed_mbps",  "pci_address",
	    "driver", NULL};
	static const char *const disk[] = {"name",
					   "model",
					   "size",
					   "rotational",
					   "wwn",
					   "serial",
					   "vendor",
					   "wwn_with_extension",
					   "wwn_vendor_extension",
					   "hctl",
					   "by_path",
					   "logical_sectors",
					   "physical_sectors",
					   "tran",
					   NULL};
	_cleanup_json_ json_object *inv = NULL, *body = NULL, *lldp = NULL;
	json_object *ifs, *cpu, *mem, *sv, *fw, *boot, *disks, *e, *flags;
	char cmd[PATH_MAX + 64];
	int fd, r;

	build_qemu_tree();
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	agent_conf_init_defaults(&conf);
	agent_conf_from_cmdline(&conf, "BOOTIF=01-52-54-00-12-34-56");
	lldp = json_tokener_parse("{\"ens3\": [[1, \"0452\"], [2, \"0365\"]]}");
	src.lldp = lldp;

	r = inventory_collect(fd, &conf, &src, &inv);
	CHECK(r == 0 && inv, "qemu: collected (%d)", r);
	if (!inv)
		return;
	if (getenv("TEST_VERBOSE"))
		puts(json_object_to_json_string_ext(inv, JSON_C_TO_STRING_PRETTY));
	CHECK(keys_are(inv, top), "qemu: top-level keys in IPA's order");

	ifs = json_get(inv, "interfaces", json_type_array);
	CHECK(ifs && json_object_array_length(ifs) == 3,
	      "qemu: ens3, ens3.100, ens4 (lo and fa: out)");
	e = json_object_array_get_idx(ifs, 0);
	CHECK(keys_are(e, nic), "qemu: interface keys in IPA's order");
	CHECK(strcmp(str(e, "name"), "ens3") == 0 &&
		  strcmp(str(e, "mac_address"), "52:54:00:12:34:56") == 0 &&
		  strcmp(str(e, "ipv4_address"), "192.0.2.50") == 0 &&
		  strcmp(str(e, "ipv6_address"), "fe80::5054:ff:fe12:3456%ens3") == 0,
	      "qemu: ens3 addresses");
	CHECK(json_get_bool(e, "has_carrier", false), "qemu: ens3 has carrier");
	CHECK(strcmp(str(e, "vendor"), "0x1af4") == 0 && strcmp(str(e, "product"), "0x0001") == 0,
	      "qemu: ens3 vendor and product");
	CHECK(strcmp(str(e, "pci_address"), "virtio0") == 0 &&
		  strcmp(str(e, "driver"), "virtio_net") == 0,
	      "qemu: ens3 pci_address (the device link's basename) and driver");
	CHECK(is_null(e, "client_id") && is_null(e, "biosdevname") && is_null(e, "speed_mbps"),
	      "qemu: ens3 client_id, biosdevname, speed_mbps null");
	CHECK(json_get(e, "lldp", json_type_array) &&
		  json_object_array_length(json_get(e, "lldp", json_type_array)) == 2,
	      "qemu: ens3 lldp from the collected TLVs");
	e = json_object_array_get_idx(ifs, 1);
	CHECK(strcmp(str(e, "name"), "ens3.100") == 0 && is_null(e, "vendor") &&
		  is_null(e, "pci_address") && is_null(e, "ipv4_address") && is_null(e, "lldp") &&
		  !json_get_bool(e, "has_carrier", true),
	      "qemu: VLAN without device: nulls, no carrier file is false");
	e = json_object_array_get_idx(ifs, 2);
	CHECK(strcmp(str(e, "name"), "ens4") == 0 && !json_get_bool(e, "has_carrier", true) &&
		  strcmp(str(e, "mac_address"), "52:54:00:00:00:04") == 0 &&
		  num(e, "speed_mbps") == 10000 && strcmp(str(e, "driver"), "e1000e") == 0 &&
		  strcmp(str(e, "pci_address"), "0000:00:04.0") == 0,
	      "qemu: ens4 without carrier, permanent MAC, capacity");

	cpu = json_get(inv, "cpu", json_type_object);
	flags = json_get(cpu, "flags", json_type_array);
	CHECK(strcmp(str(cpu, "model_name"), "Intel Xeon Processor (Icelake)") == 0 &&
		  strcmp(str(cpu, "frequency"), "") == 0 && num(cpu, "count") == 2 &&
		  strcmp(str(cpu, "architecture"), "x86_64") == 0 &&
		  num(cpu, "socket_count") == 1 && flags && json_object_array_length(flags) == 4,
	      "qemu: cpu as lscpu reports it without cpufreq");

	mem = json_get(inv, "memory", json_type_object);
	CHECK(num(mem, "total") == 4026164LL * 1024 && num(mem, "physical_mb") == 4096,
	      "qemu: memory total %lld, physical_mb %lld", (long long)num(mem, "total"),
	      (long long)num(mem, "physical_mb"));

	disks = json_get(inv, "disks", json_type_array);
	CHECK(disks && json_object_array_length(disks) == 2, "qemu: two disks");
	e = json_object_array_get_idx(disks, 1);
	CHECK(keys_are(e, disk), "qemu: disk keys in IPA's order");
	CHECK(strcmp(str(e, "name"), "/dev/vdb") == 0 && num(e, "size") == 1073741824 &&
		  strcmp(str(e, "serial"), "disk1") == 0 && num(e, "logical_sectors") == 512 &&
		  num(e, "physical_sectors") == 4096,
	      "qemu: vdb size, serial, sectors");

	CHECK(strcmp(str(inv, "bmc_address"), "10.0.0.21") == 0 &&
		  strcmp(str(inv, "bmc_mac"), "52:54:00:ab:cd:ef") == 0,
	      "qemu: BMC address and MAC");
	sv = json_get(inv, "system_vendor", json_type_object);
	fw = json_get(sv, "firmware", json_type_object);
	CHECK(strcmp(str(sv, "product_name"), "Standard PC (Q35 + ICH9, 2009)") == 0 &&
		  strcmp(str(sv, "serial_number"), "") == 0 &&
		  strcmp(str(sv, "manufacturer"), "QEMU") == 0 &&
		  strcmp(str(fw, "vendor"), "SeaBIOS") == 0 &&
		  strcmp(str(fw, "build_date"), "04/01/2014") == 0,
	      "qemu: system_vendor and firmware");
	boot = json_get(inv, "boot", json_type_object);
	CHECK(strcmp(str(boot, "current_boot_mode"), "bios") == 0 &&
		  strcmp(str(boot, "pxe_interface"), "01-52-54-00-12-34-56") == 0,
	      "qemu: BIOS boot, BOOTIF verbatim");
	CHECK(strcmp(str(inv, "hostname"), "localhost") == 0, "qemu: hostname");

	/* the inspection body */
	r = inspection_body_build(inv, NULL, "H4sI", NULL, NULL, &body);
	{
		static const char *const keys[] = {
		    "inventory", "root_disk", "boot_interface", "configuration", "logs",
		    "error",	 NULL};
		json_object *rd = json_get(body, "root_disk", json_type_object);
		json_object *c = json_get(body, "configuration", json_type_object);

		CHECK(r == 0 && keys_are(body, keys), "inspection: keys in IPA's order");
		CHECK(strcmp(str(rd, "name"), "/dev/vda") == 0, "inspection: root disk >= 4 GiB");
		CHECK(strcmp(str(body, "boot_interface"), "01-52-54-00-12-34-56") == 0 &&
			  is_null(body, "error") && strcmp(str(body, "logs"), "H4sI") == 0,
		      "inspection: boot_interface, logs, error null");
		CHECK(strcmp(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN),
			     "{\"collectors\":[\"default\",\"logs\"],\"managers\":[{\"name\":"
			     "\"generic_hardware_manager\",\"version\":\"1.2\"}]}") == 0,
		      "inspection: configuration");
	}
	json_object_put(body);
	body = NULL;
	{
		char *fails[] = {"collector logs failed: boom", "second", NULL};
		char *only_default[] = {"default", NULL};

		r = inspection_body_build(inv, only_default, "H4sI", NULL, fails, &body);
		CHECK(r == 0 && !json_get(body, "logs", json_type_string) &&
			  strcmp(str(body, "error"),
				 "The following errors were encountered:\n"
				 "* collector logs failed: boom\n* second") == 0,
		      "inspection: failures listed as IPA does");
		json_object_put(body);
		body = NULL;
	}
	{
		char *names[] = {"default", "pci-devices", "logs", "bogus", NULL};

		r = inspection_body_build(inv, names, NULL, NULL, NULL, &body);
		CHECK(r == 0 && json_object_object_length(body) == 1 &&
			  strcmp(str(body, "error"),
				 "The following errors were encountered:\n* Failed to load "
				 "collector {'pci-devices', 'bogus'}") == 0,
		      "inspection: unknown collectors: only the error (%s)", str(body, "error"));
		json_object_put(body);
		body = NULL;
	}
	{
		char *names[] = {"default", "lldp", NULL};
		json_object *raw = json_tokener_parse("{\"eth0\": [[1, \"04aa\"], [0, \"\"]]}");

		r = inspection_body_build(inv, names, NULL, raw, NULL, &body);
		CHECK(r == 0 &&
			  strcmp(json_object_to_json_string(
				     json_get(body, "lldp_raw", json_type_object)),
				 "{ \"eth0\": [ [ 1, \"04aa\" ], [ 0, \"\" ] ] }") == 0 &&
			  !json_get(body, "logs", json_type_string),
		      "inspection: the lldp collector sends lldp_raw, no logs when not asked");
		json_object_put(body);
		body = NULL;
		r = inspection_body_build(inv, names, NULL, NULL, NULL, &body);
		CHECK(r == 0 && json_get(body, "lldp_raw", json_type_object) &&
			  json_object_object_length(json_get(body, "lldp_raw", json_type_object)) ==
			      0,
		      "inspection: lldp_raw is {} when nothing could be listened on");
		json_object_put(body);
		body = NULL;
		json_object_put(raw);
	}

	/* UEFI, no BOOTIF, BMC detection skipped */
	json_object_put(inv);
	inv = NULL;
	snprintf(cmd, sizeof(cmd), "%s/sys/firmware/efi", root);
	mkdir_p(cmd, 0755);
	agent_conf_done(&conf);
	src.skip_bmc = true;
	r = inventory_collect(fd, &conf, &src, &inv);
	boot = json_get(inv, "boot", json_type_object);
	CHECK(r == 0 && strcmp(str(boot, "current_boot_mode"), "uefi") == 0 &&
		  is_null(boot, "pxe_interface"),
	      "qemu: UEFI boot, no BOOTIF is null");
	CHECK(is_null(inv, "bmc_address") && is_null(inv, "bmc_v6address") &&
		  !json_object_object_get_ex(inv, "bmc_mac", NULL),
	      "qemu: skip_bmc_detect: null addresses, no bmc_mac");
	json_object_put(inv);
	inv = NULL;

	/* BOOTIF as a plain MAC; no IPMI device under the root: IPA master's nulls */
	agent_conf_from_cmdline(&conf, "BOOTIF=52:54:00:12:34:56");
	src.skip_bmc = false;
	src.bmc = NULL;
	r = inventory_collect(fd, &conf, &src, &inv);
	boot = json_get(inv, "boot", json_type_object);
	CHECK(r == 0 && strcmp(str(boot, "pxe_interface"), "52:54:00:12:34:56") == 0,
	      "qemu: BOOTIF as a MAC, verbatim");
	CHECK(is_null(inv, "bmc_address") && is_null(inv, "bmc_v6address") &&
		  !json_object_object_get_ex(inv, "bmc_mac", NULL) && !ipmi_device_exists(fd),
	      "qemu: no IPMI device: null BMC addresses, no bmc_mac");
	agent_conf_done(&conf);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		perror(cmd);
}

/* an empty root: every field empty as IPA leaves it, no error */
static void test_empty(void)
{
	_cleanup_json_ json_object *inv = NULL;
	struct inventory_sources src = {
	    .net = &fake_net, .hostname = "h", .architecture = "x86_64"};
	json_object *cpu, *mem, *sv;
	char dir[] = "/tmp/test-inventory-empty-XXXXXX";
	int fd, r;

	if (!mkdtemp(dir))
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = inventory_collect(fd, NULL, &src, &inv);
	cpu = json_get(inv, "cpu", json_type_object);
	mem = json_get(inv, "memory", json_type_object);
	sv = json_get(inv, "system_vendor", json_type_object);
	CHECK(r == 0 && inv, "empty: collected (%d)", r);
	CHECK(json_object_array_length(json_get(inv, "interfaces", json_type_array)) == 0 &&
		  json_object_array_length(json_get(inv, "disks", json_type_array)) == 0,
	      "empty: no interfaces, no disks");
	CHECK(strcmp(str(cpu, "model_name"), "-") == 0 && num(cpu, "count") == 0 &&
		  num(cpu, "socket_count") == 0,
	      "empty: cpu as lscpu would say");
	CHECK(is_null(mem, "total") && num(mem, "physical_mb") == 0, "empty: memory");
	CHECK(strcmp(str(sv, "product_name"), "") == 0 && strcmp(str(sv, "manufacturer"), "") == 0,
	      "empty: no DMI, empty strings");
	close(fd);
	rmdir(dir);
}

/* The captured tree tests/data/inventory/<name>, or -1 after a failed check. */
static int open_tree(const char *name)
{
	char file[PATH_MAX], *slash;
	int fd;

	snprintf(file, sizeof(file), "%s", __FILE__);
	slash = strrchr(file, '/');
	if (!slash)
		return -1;
	snprintf(slash, sizeof(file) - (size_t)(slash - file), "/../data/inventory/%s", name);
	fd = open(file, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0, "%s: captured tree at %s", name, file);
	return fd;
}

static void test_build_machine(void)
{
	_cleanup_json_ json_object *inv = NULL;
	struct inventory_sources src = {.net = &fake_net, .hostname = "vm"};
	json_object *cpu, *mem, *sv, *ifs, *disks, *e;
	int fd, r;

	fd = open_tree("build-machine");
	if (fd < 0)
		return;
	r = inventory_collect(fd, NULL, &src, &inv);
	CHECK(r == 0 && inv, "build machine: collected (%d)", r);
	if (getenv("TEST_VERBOSE") && inv)
		puts(json_object_to_json_string_ext(inv, JSON_C_TO_STRING_PRETTY));
	cpu = json_get(inv, "cpu", json_type_object);
	mem = json_get(inv, "memory", json_type_object);
	sv = json_get(inv, "system_vendor", json_type_object);
	ifs = json_get(inv, "interfaces", json_type_array);
	disks = json_get(inv, "disks", json_type_array);
	CHECK(strcmp(str(cpu, "model_name"), "AMD EPYC") == 0 && num(cpu, "count") == 2 &&
		  strcmp(str(cpu, "architecture"), "x86_64") == 0 &&
		  strcmp(str(cpu, "frequency"), "") == 0,
	      "build machine: cpu");
	CHECK(num(mem, "total") == 24684084LL * 1024 && num(mem, "physical_mb") == 24576,
	      "build machine: no DMI: physical_mb from the hotplug blocks (%lld)",
	      (long long)num(mem, "physical_mb"));
	CHECK(strcmp(str(sv, "product_name"), "") == 0 && strcmp(str(sv, "serial_number"), "") == 0,
	      "build machine: no DMI: empty system_vendor");
	CHECK(ifs && json_object_array_length(ifs) == 1, "build machine: eth0 only");
	e = json_object_array_get_idx(ifs, 0);
	CHECK(strcmp(str(e, "name"), "eth0") == 0 && strcmp(str(e, "vendor"), "0x1af4") == 0 &&
		  strcmp(str(e, "driver"), "virtio_net") == 0,
	      "build machine: eth0 virtio");
	CHECK(disks && json_object_array_length(disks) == 1, "build machine: vda only");
	e = json_object_array_get_idx(disks, 0);
	CHECK(strcmp(str(e, "name"), "/dev/vda") == 0 && num(e, "logical_sectors") == 512,
	      "build machine: vda");
	CHECK(is_null(inv, "bmc_address") && !json_object_object_get_ex(inv, "bmc_mac", NULL),
	      "build machine: no BMC");
	close(fd);
}

/* The element of array a whose key is value, or NULL. */
static json_object *find_by(json_object *a, const char *key, const char *value)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (strcmp(str(e, key), value) == 0)
			return e;
	}
	return NULL;
}

static bool has_flag(json_object *flags, const char *flag)
{
	for (size_t i = 0; flags && i < json_object_array_length(flags); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(flags, i)), flag) == 0)
			return true;
	return false;
}

/*
 * The QEMU node of tests/data/inventory/README, booted under SeaBIOS (qemu-node) or OVMF
 * (qemu-node-uefi): every expected value is what the QEMU command line there sets, not what the
 * capture says. The addresses, the permanent MACs and the link speeds need sockets (fake_net
 * knows none of eth0 and eth1), and the BMC a device: /dev/ipmi0 existed in the guest, but a
 * character device is no part of a tree, so the BMC fields are those of a machine without one.
 */
static void test_qemu_node(const char *name, const char *boot_mode)
{
	_cleanup_json_ json_object *inv = NULL, *body = NULL;
	struct inventory_sources src = {.net = &fake_net, .hostname = "qemu-node"};
	json_object *cpu, *mem, *sv, *fw, *boot, *ifs, *disks, *e;
	int fd, r;

	fd = open_tree(name);
	if (fd < 0)
		return;
	r = inventory_collect(fd, NULL, &src, &inv);
	close(fd);
	CHECK(r == 0 && inv, "%s: collected (%d)", name, r);
	if (!inv)
		return;
	if (getenv("TEST_VERBOSE"))
		puts(json_object_to_json_string_ext(inv, JSON_C_TO_STRING_PRETTY));

	/* -cpu qemu64,model-id=ingot-test-cpu -smp 2,sockets=1,cores=2,threads=1; TCG has no
	 * cpufreq */
	cpu = json_get(inv, "cpu", json_type_object);
	CHECK(strcmp(str(cpu, "model_name"), "ingot-test-cpu") == 0 && num(cpu, "count") == 2 &&
		  num(cpu, "socket_count") == 1 && strcmp(str(cpu, "frequency"), "") == 0,
	      "%s: cpu model-id, 2 CPUs in 1 socket, no frequency", name);
	CHECK(strcmp(str(cpu, "architecture"), "x86_64") == 0 &&
		  has_flag(json_get(cpu, "flags", json_type_array), "lm") &&
		  has_flag(json_get(cpu, "flags", json_type_array), "sse2"),
	      "%s: x86_64 (proc/sys/kernel/arch), qemu64's lm and sse2 flags", name);

	/* -m 512: one 512 MiB DIMM in SMBIOS; the kernel keeps some of it */
	mem = json_get(inv, "memory", json_type_object);
	CHECK(num(mem, "physical_mb") == 512, "%s: physical_mb from the SMBIOS DIMM (%lld)", name,
	      (long long)num(mem, "physical_mb"));
	CHECK(num(mem, "total") > 448LL << 20 && num(mem, "total") < 512LL << 20 &&
		  num(mem, "total") % 1024 == 0,
	      "%s: total, MemTotal in bytes, below 512 MiB (%lld)", name,
	      (long long)num(mem, "total"));

	/* two virtio-net-pci at 00:03.0 and 00:04.0 (virtio0, virtio1), the second set_link off;
	 * lo and sit0 have no device */
	ifs = json_get(inv, "interfaces", json_type_array);
	CHECK(ifs && json_object_array_length(ifs) == 2, "%s: two interfaces", name);
	e = find_by(ifs, "mac_address", "52:54:00:12:34:56");
	CHECK(e && strcmp(str(e, "name"), "eth0") == 0 && json_get_bool(e, "has_carrier", false) &&
		  strcmp(str(e, "vendor"), "0x1af4") == 0 &&
		  strcmp(str(e, "product"), "0x0001") == 0 &&
		  strcmp(str(e, "pci_address"), "virtio0") == 0 &&
		  strcmp(str(e, "driver"), "virtio_net") == 0,
	      "%s: eth0 52:54:00:12:34:56, carrier, virtio-net", name);
	CHECK(e && is_null(e, "ipv4_address") && is_null(e, "ipv6_address") &&
		  is_null(e, "speed_mbps") && is_null(e, "lldp"),
	      "%s: eth0 without sockets: no addresses, no speed, no lldp", name);
	e = find_by(ifs, "mac_address", "52:54:00:12:34:57");
	CHECK(e && strcmp(str(e, "name"), "eth1") == 0 && !json_get_bool(e, "has_carrier", true) &&
		  strcmp(str(e, "pci_address"), "virtio1") == 0 &&
		  strcmp(str(e, "driver"), "virtio_net") == 0,
	      "%s: eth1 52:54:00:12:34:57, link off: no carrier", name);

	/* ide-hd on ide.1 of the q35 AHCI (00:1f.2, port 2: ata2, SCSI host 1) and virtio-blk-pci
	 * at 00:05.0; the loop devices are left out */
	disks = json_get(inv, "disks", json_type_array);
	CHECK(disks && json_object_array_length(disks) == 2, "%s: sda and vda", name);
	e = json_object_array_get_idx(disks, 0);
	CHECK(strcmp(str(e, "name"), "/dev/sda") == 0 && num(e, "size") == 1LL << 30 &&
		  strcmp(str(e, "serial"), "ingot-sata1") == 0 &&
		  strcmp(str(e, "model"), "ingot-sata-model") == 0 &&
		  strcmp(str(e, "vendor"), "ATA") == 0,
	      "%s: sda 1 GiB, serial, model, vendor", name);
	CHECK(strcmp(str(e, "wwn"), "0x5000c500a1b2c3d4") == 0 &&
		  strcmp(str(e, "wwn_with_extension"), "0x5000c500a1b2c3d4") == 0 &&
		  is_null(e, "wwn_vendor_extension"),
	      "%s: sda wwn", name);
	CHECK(!json_get_bool(e, "rotational", true) && num(e, "logical_sectors") == 512 &&
		  num(e, "physical_sectors") == 512,
	      "%s: sda rotation_rate=1: not rotational; 512-byte sectors", name);
	CHECK(strcmp(str(e, "hctl"), "1:0:0:0") == 0 && strcmp(str(e, "tran"), "sata") == 0 &&
		  strcmp(str(e, "by_path"), "/dev/disk/by-path/pci-0000:00:1f.2-ata-2.0") == 0,
	      "%s: sda hctl, tran, by_path (%s)", name, str(e, "by_path"));
	e = json_object_array_get_idx(disks, 1);
	CHECK(strcmp(str(e, "name"), "/dev/vda") == 0 && num(e, "size") == 2LL << 30 &&
		  strcmp(str(e, "serial"), "ingot-vd0") == 0 && is_null(e, "model") &&
		  strcmp(str(e, "vendor"), "0x1af4") == 0 && is_null(e, "wwn") &&
		  is_null(e, "hctl"),
	      "%s: vda 2 GiB, serial, virtio vendor, no model, wwn, hctl", name);
	CHECK(num(e, "logical_sectors") == 512 && num(e, "physical_sectors") == 4096 &&
		  strcmp(str(e, "by_path"), "/dev/disk/by-path/pci-0000:00:05.0") == 0,
	      "%s: vda physical_block_size=4096, by_path (%s)", name, str(e, "by_path"));

	/* -smbios type=0 and type=1 */
	sv = json_get(inv, "system_vendor", json_type_object);
	fw = json_get(sv, "firmware", json_type_object);
	CHECK(strcmp(str(sv, "manufacturer"), "ingot-test") == 0 &&
		  strcmp(str(sv, "product_name"), "qemu-node (QN-SKU)") == 0 &&
		  strcmp(str(sv, "serial_number"), "QN-0001") == 0,
	      "%s: system_vendor, the SKU after the product as lshw puts it (%s)", name,
	      str(sv, "product_name"));
	CHECK(strcmp(str(fw, "vendor"), "ingot-bios") == 0 &&
		  strcmp(str(fw, "version"), "1.2.3") == 0 &&
		  strcmp(str(fw, "build_date"), "01/02/2025") == 0,
	      "%s: firmware from SMBIOS type 0", name);

	boot = json_get(inv, "boot", json_type_object);
	CHECK(strcmp(str(boot, "current_boot_mode"), boot_mode) == 0 &&
		  is_null(boot, "pxe_interface"),
	      "%s: %s boot, no BOOTIF", name, boot_mode);
	CHECK(is_null(inv, "bmc_address") && is_null(inv, "bmc_v6address") &&
		  !json_object_object_get_ex(inv, "bmc_mac", NULL),
	      "%s: no dev/ipmi0 in the tree: null BMC fields", name);

	/* 2 GiB and 1 GiB: no disk of 4 GiB to be the root disk */
	r = inspection_body_build(inv, NULL, NULL, NULL, NULL, &body);
	CHECK(r == 0 && !json_object_object_get_ex(body, "root_disk", NULL),
	      "%s: inspection: no root_disk", name);
}

static void test_link_modes(void)
{
	CHECK(inventory_link_modes_mbps(0, 0) == 0, "link modes: none");
	CHECK(inventory_link_modes_mbps(0x2f, 0) == 1000, "link modes: 10/100/1000baseT");
	CHECK(inventory_link_modes_mbps(1u << 12 | 1u << 5, 0) == 10000, "link modes: 10GbaseT");
	CHECK(inventory_link_modes_mbps(1u << 31, 1u << 4) == 100000, "link modes: 100G");
}

int main(void)
{
	test_smbios();
	test_ipmi();
	test_link_modes();
	test_qemu();
	test_empty();
	test_build_machine();
	test_qemu_node("qemu-node", "bios");
	test_qemu_node("qemu-node-uefi", "uefi");
	return failures ? 1 : 0;
}
