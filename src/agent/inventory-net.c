/*
 * The interfaces[] of the inventory as IPA master lists them: hardware.py
 * GenericHardwareManager.list_network_interfaces(), get_interface_info(), _get_device_info(),
 * _get_network_speed() (lshw's capacity), and netutils.list_interfaces(), get_mac_addr(),
 * get_ipv4_addr()/get_ipv6_addr() (psutil.net_if_addrs), interface_has_carrier(),
 * get_interface_pci_address(), get_interface_driver(). See inventory.h.
 */

#define _GNU_SOURCE 1

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/inventory.h"
#include "agent/json-util.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"

#define NET_VALUE_MAX 128

/* ---- lshw's capacity ---------------------------------------------------------------------- */

/*
 * lshw network.cc updateCapabilities(): the speed of each supported link mode bit it knows.
 * Its legacy defines above bit 31 shift a 32-bit int and never match; only these count.
 */
static const struct {
	uint8_t word, bit;
	uint32_t mbps;
} link_modes[] = {
    {0, 0, 10},	    {0, 1, 10},	    {0, 2, 100},    {0, 3, 100},    {0, 4, 1000},   {0, 5, 1000},
    {0, 12, 10000}, {0, 15, 2500},  {0, 17, 1000},  {0, 18, 10000}, {0, 19, 10000}, {0, 20, 10000},
    {0, 21, 20000}, {0, 22, 20000}, {0, 23, 40000}, {0, 24, 40000}, {0, 25, 40000}, {0, 26, 40000},
    {0, 27, 56000}, {0, 28, 56000}, {0, 29, 56000}, {0, 30, 56000}, {0, 31, 25000}, {1, 0, 25000},
    {1, 1, 25000},  {1, 4, 100000}, {1, 5, 100000}, {1, 6, 100000}, {1, 7, 100000}, {1, 9, 1000},
    {1, 10, 10000}, {1, 11, 10000}, {1, 12, 10000}, {1, 13, 10000}, {1, 14, 10000}, {1, 15, 2500},
    {1, 16, 5000},
};

uint64_t inventory_link_modes_mbps(uint32_t word0, uint32_t word1)
{
	uint64_t best = 0;

	for (size_t i = 0; i < ELEMENTSOF(link_modes); i++) {
		uint32_t w = link_modes[i].word ? word1 : word0;

		if ((w >> link_modes[i].bit) & 1 && link_modes[i].mbps > best)
			best = link_modes[i].mbps;
	}
	return best;
}

/* ---- the live provider -------------------------------------------------------------------- */

static int live_address(void *userdata, const char *ifname, int family, char **ret)
{
	struct ifaddrs *list = NULL;
	int r = -ENOENT;

	(void)userdata;
	if (getifaddrs(&list) < 0)
		return negative_errno();
	for (struct ifaddrs *a = list; a; a = a->ifa_next) {
		char host[NI_MAXHOST + IF_NAMESIZE + 1];
		socklen_t len =
		    family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

		if (!a->ifa_addr || a->ifa_addr->sa_family != family || !a->ifa_name ||
		    strcmp(a->ifa_name, ifname) != 0)
			continue;
		/* psutil's getnameinfo(NI_NUMERICHOST): link-local IPv6 get "%ifname" */
		if (getnameinfo(a->ifa_addr, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		*ret = strdup(host);
		r = *ret ? 0 : -ENOMEM;
		break;
	}
	freeifaddrs(list);
	return r;
}

static int ethtool(const char *ifname, void *data)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (fd < 0)
		return negative_errno();
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? negative_errno() : 0;
}

static int live_perm_mac(void *userdata, const char *ifname, char **ret)
{
	struct {
		struct ethtool_perm_addr a;
		uint8_t data[32];
	} p = {.a = {.cmd = ETHTOOL_GPERMADDR, .size = 32}};
	bool nonzero = false;
	char *s, *w;
	int r = ethtool(ifname, &p);

	(void)userdata;
	if (r < 0)
		return r;
	if (p.a.size > 32)
		return -EBADMSG;
	for (unsigned i = 0; i < p.a.size; i++)
		nonzero |= p.data[i] != 0;
	if (!nonzero)
		return -ENOENT;
	s = w = malloc(3 * p.a.size);
	if (!s)
		return -ENOMEM;
	for (unsigned i = 0; i < p.a.size; i++)
		w += sprintf(w, i ? ":%02x" : "%02x", p.data[i]);
	*ret = s;
	return 0;
}

static int live_capacity(void *userdata, const char *ifname, uint64_t *ret_mbps)
{
	struct {
		struct ethtool_link_settings s;
		uint32_t masks[3 * 127];
	} l = {.s = {.cmd = ETHTOOL_GLINKSETTINGS}};
	struct ethtool_cmd legacy = {.cmd = ETHTOOL_GSET};
	uint64_t mbps = 0;
	int n;

	(void)userdata;
	/* lshw: probe the mask size, then read; else the legacy call */
	if (ethtool(ifname, &l) >= 0 && l.s.link_mode_masks_nwords < 0) {
		n = -l.s.link_mode_masks_nwords;
		if (n > 1 && n <= 127) {
			memset(&l, 0, sizeof(l));
			l.s.cmd = ETHTOOL_GLINKSETTINGS;
			l.s.link_mode_masks_nwords = (int8_t)n;
			if (ethtool(ifname, &l) >= 0) {
				/* the first of three bitmaps: supported */
				mbps = inventory_link_modes_mbps(l.masks[0], l.masks[1]);
				goto done;
			}
		}
	}
	if (ethtool(ifname, &legacy) < 0)
		return -ENOENT;
	mbps = inventory_link_modes_mbps(legacy.supported, 0);
done:
	if (mbps == 0)
		return -ENOENT;
	*ret_mbps = mbps;
	return 0;
}

const struct inventory_net_ops inventory_net_live = {
    .address = live_address,
    .perm_mac = live_perm_mac,
    .capacity_mbps = live_capacity,
};

/* ---- sysfs -------------------------------------------------------------------------------- */

/* netutils.is_vlan(): "name.N" with N all digits */
static bool is_vlan(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1);
}

static bool exists_at(int fd, const char *path)
{
	return faccessat(fd, path, F_OK, 0) >= 0;
}

/* The names of sys/class/net that list_interfaces() keeps, sorted. */
int inventory_net_names(int root_fd, char ***ret)
{
	_cleanup_close_ int fd =
	    openat(root_fd, "sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int r = 0;

	if (fd < 0) {
		*ret = NULL;
		return 0;
	}
	d = fdopendir(fd);
	if (!d)
		return negative_errno();
	fd = -1;
	while ((de = readdir(d))) {
		char path[NAME_MAX + 16];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		snprintf(path, sizeof(path), "%s/device", de->d_name);
		if (!is_vlan(de->d_name) && !exists_at(dirfd(d), path)) {
			snprintf(path, sizeof(path), "%s/bonding", de->d_name);
			if (!exists_at(dirfd(d), path))
				continue;
		}
		if (++n > INVENTORY_NET_MAX) {
			r = -E2BIG;
			break;
		}
		r = strv_extend(&names, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	strv_sort_unique(names);
	*ret = TAKE_PTR(names);
	return 0;
}

/* _get_device_info(): the stripped attribute, or NULL */
static int read_attr(int net_fd, const char *ifname, const char *attr, char **ret)
{
	char path[IF_NAMESIZE + 64], buf[NET_VALUE_MAX];
	char *s = buf;

	snprintf(path, sizeof(path), "%s/%s", ifname, attr);
	if (read_line_at(net_fd, path, buf, sizeof(buf)) < 0) {
		*ret = NULL;
		return 0;
	}
	while (isspace((unsigned char)*s))
		s++;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* os.path.basename(os.readlink(...)), or NULL */
static int link_basename(int net_fd, const char *ifname, const char *attr, char **ret)
{
	char path[IF_NAMESIZE + 64], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", ifname, attr);
	n = readlinkat(net_fd, path, target, sizeof(target) - 1);
	if (n < 0) {
		*ret = NULL;
		return 0;
	}
	target[n] = '\0';
	*ret = strdup(basename(target));
	return *ret ? 0 : -ENOMEM;
}

static int add_owned(json_object *o, const char *key, char *s)
{
	json_object *v = NULL;
	int r = 0;

	if (s) {
		v = json_object_new_string(s);
		if (!v)
			r = -ENOMEM;
	}
	free(s);
	if (r >= 0 && json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		r = -ENOMEM;
	}
	return r;
}

static int add_obj(json_object *o, const char *key, json_object *v)
{
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* get_mac_addr(): the permanent address, else the current one; NULL skips the interface */
static int mac_address(int net_fd, const struct inventory_net_ops *net, const char *ifname,
		       char **ret)
{
	char *mac = NULL;
	int r = net->perm_mac ? net->perm_mac(net->userdata, ifname, &mac) : -ENOENT;

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		r = read_attr(net_fd, ifname, "address", &mac);
		if (r < 0)
			return r;
		if (mac && !*mac) {
			free(mac);
			mac = NULL;
		}
	}
	for (char *p = mac; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (mac && strncmp(mac, "fa:", 3) == 0) {
		free(mac);
		mac = NULL;
	}
	*ret = mac;
	return 0;
}

static int interface_json(int net_fd, const struct inventory_net_ops *net, json_object *lldp,
			  const char *ifname, json_object **ret)
{
	_cleanup_json_ json_object *o = NULL;
	char *mac = NULL, *v4 = NULL, *v6 = NULL, *carrier = NULL, *vendor = NULL, *product = NULL;
	char *pci = NULL, *driver = NULL;
	json_object *tlvs = NULL, *speed = NULL;
	uint64_t mbps = 0;
	int r;

	r = mac_address(net_fd, net, ifname, &mac);
	if (r < 0 || !mac) {
		*ret = NULL;
		return r;
	}
	o = json_object_new_object();
	if (!o) {
		free(mac);
		return -ENOMEM;
	}
	if (net->address && net->address(net->userdata, ifname, AF_INET, &v4) == -ENOMEM)
		r = -ENOMEM;
	if (net->address && net->address(net->userdata, ifname, AF_INET6, &v6) == -ENOMEM)
		r = -ENOMEM;
	if (r >= 0)
		r = read_attr(net_fd, ifname, "carrier", &carrier);
	if (r >= 0)
		r = read_attr(net_fd, ifname, "device/vendor", &vendor);
	if (r >= 0)
		r = read_attr(net_fd, ifname, "device/device", &product);
	if (r >= 0)
		r = link_basename(net_fd, ifname, "device", &pci);
	if (r >= 0)
		r = link_basename(net_fd, ifname, "device/driver", &driver);
	if (r >= 0 && net->capacity_mbps && net->capacity_mbps(net->userdata, ifname, &mbps) >= 0) {
		speed = json_object_new_int64((int64_t)mbps);
		if (!speed)
			r = -ENOMEM;
	}
	if (lldp)
		json_object_object_get_ex(lldp, ifname, &tlvs);

	if (r >= 0)
		r = add_obj(o, "name", json_object_new_string(ifname));
	if (r >= 0)
		r = add_owned(o, "mac_address", TAKE_PTR(mac));
	if (r >= 0)
		r = add_owned(o, "ipv4_address", TAKE_PTR(v4));
	if (r >= 0)
		r = add_owned(o, "ipv6_address", TAKE_PTR(v6));
	if (r >= 0)
		r = add_obj(o, "has_carrier",
			    json_object_new_boolean(carrier && strcmp(carrier, "1") == 0));
	if (r >= 0)
		r = add_obj(o, "lldp", json_object_get(tlvs));
	if (r >= 0)
		r = add_owned(o, "vendor", TAKE_PTR(vendor));
	if (r >= 0)
		r = add_owned(o, "product", TAKE_PTR(product));
	if (r >= 0)
		r = add_obj(o, "client_id", NULL);
	if (r >= 0)
		r = add_obj(o, "biosdevname", NULL);
	if (r >= 0)
		r = add_obj(o, "speed_mbps", TAKE_PTR(speed));
	if (r >= 0)
		r = add_owned(o, "pci_address", TAKE_PTR(pci));
	if (r >= 0)
		r = add_owned(o, "driver", TAKE_PTR(driver));
	free(mac);
	free(v4);
	free(v6);
	free(carrier);
	free(vendor);
	free(product);
	free(pci);
	free(driver);
	json_object_put(speed);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

int inventory_net_list(int root_fd, const struct inventory_net_ops *net, json_object *lldp,
		       json_object **ret)
{
	_cleanup_json_ json_object *a = json_object_new_array();
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int net_fd = -1;
	int r;

	if (!a)
		return -ENOMEM;
	if (!net)
		net = &inventory_net_live;
	r = inventory_net_names(root_fd, &names);
	if (r < 0)
		return r;
	if (names) {
		net_fd = openat(root_fd, "sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (net_fd < 0)
			return negative_errno();
	}
	for (size_t i = 0; names && names[i]; i++) {
		json_object *o = NULL;

		r = interface_json(net_fd, net, lldp, names[i], &o);
		if (r < 0)
			return r;
		if (o && json_object_array_add(a, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(a);
	return 0;
}
