/*
 * The BMC's addresses through the Linux IPMI device, judged as IPA master's
 * GenericHardwareManager.get_bmc_address/get_bmc_v6address/get_bmc_mac judge ipmitool's
 * "lan print" and "lan6 print" text (see ipmi.h).
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ipmi.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "agent/ipmi.h"
#include "basic/macro.h"

#define IPMI_TIMEOUT_MS	   3000
#define IPMI_RECV_ATTEMPTS 8 /* stale responses skipped before giving up on one request */

void ipmi_bmc_done(struct ipmi_bmc *b)
{
	if (!b)
		return;
	free(b->address);
	free(b->v6address);
	free(b->mac);
	*b = (struct ipmi_bmc){0};
}

/* The data of a Get LAN Configuration Parameters response: after the code and revision. */
static int lan_param_data(const uint8_t *resp, size_t len, size_t need, const uint8_t **ret)
{
	if (len < 1)
		return -EBADMSG;
	if (resp[0] != 0)
		return -EIO;
	if (len < 2 + need)
		return -EBADMSG;
	*ret = resp + 2;
	return 0;
}

int ipmi_parse_channel_is_lan(const uint8_t *resp, size_t len)
{
	uint8_t medium;

	if (len < 1)
		return -EBADMSG;
	if (resp[0] != 0)
		return -EIO;
	if (len < 3)
		return -EBADMSG;
	medium = resp[2] & 0x7f;
	return medium == 0x04 || medium == 0x06;
}

int ipmi_parse_lan_ip(const uint8_t *resp, size_t len, char buf[static 16])
{
	const uint8_t *d;
	int r = lan_param_data(resp, len, 4, &d);

	if (r < 0)
		return r;
	snprintf(buf, 16, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
	return 0;
}

int ipmi_parse_lan_mac(const uint8_t *resp, size_t len, char buf[static 18])
{
	const uint8_t *d;
	int r = lan_param_data(resp, len, 6, &d);

	if (r < 0)
		return r;
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", d[0], d[1], d[2], d[3], d[4], d[5]);
	return 0;
}

int ipmi_parse_v6_enables(const uint8_t *resp, size_t len, const char **ret)
{
	static const char *const words[] = {"ipv4", "ipv6", "both"};
	const uint8_t *d;
	int r = lan_param_data(resp, len, 1, &d);

	if (r < 0)
		return r;
	*ret = d[0] < ELEMENTSOF(words) ? words[d[0]] : "unknown";
	return 0;
}

int ipmi_parse_v6_status(const uint8_t *resp, size_t len, unsigned *ret_static,
			 unsigned *ret_dynamic)
{
	const uint8_t *d;
	int r = lan_param_data(resp, len, 2, &d);

	if (r < 0)
		return r;
	*ret_static = d[0];
	*ret_dynamic = d[1];
	return 0;
}

int ipmi_parse_v6_addr(const uint8_t *resp, size_t len, struct ipmi_v6_addr *ret)
{
	struct ipmi_v6_addr a = {0};
	const uint8_t *d;
	int r = lan_param_data(resp, len, 20, &d);

	/* set selector, source/type, 16 bytes of address, prefix length, status */
	if (r < 0)
		return r;
	a.enabled = d[1] & 0x80;
	a.source = d[1] & 0x0f;
	if (!inet_ntop(AF_INET6, d + 2, a.address, sizeof(a.address)))
		return -EBADMSG;
	a.prefix = d[18];
	a.status = d[19];
	*ret = a;
	return 0;
}

static int call(const struct ipmi_transport *t, uint8_t netfn, uint8_t cmd, const uint8_t *req,
		size_t req_len, uint8_t *resp, size_t *resp_len)
{
	return t->call(t->userdata, netfn, cmd, req, req_len, resp, IPMI_RESPONSE_MAX, resp_len);
}

static int lan_param(const struct ipmi_transport *t, unsigned channel, uint8_t param, uint8_t set,
		     uint8_t *resp, size_t *resp_len)
{
	uint8_t req[4] = {channel & 0x0f, param, set, 0};

	return call(t, IPMI_NETFN_TRANSPORT, IPMI_CMD_GET_LAN_CONFIG, req, sizeof(req), resp,
		    resp_len);
}

static bool channel_is_lan(const struct ipmi_transport *t, unsigned channel)
{
	uint8_t req[1] = {channel & 0x0f}, resp[IPMI_RESPONSE_MAX];
	size_t n;

	return call(t, IPMI_NETFN_APP, IPMI_CMD_GET_CHANNEL_INFO, req, 1, resp, &n) >= 0 &&
	       ipmi_parse_channel_is_lan(resp, n) == 1;
}

static int channel_ip(const struct ipmi_transport *t, unsigned channel, char buf[static 16])
{
	uint8_t resp[IPMI_RESPONSE_MAX];
	size_t n;
	int r = lan_param(t, channel, IPMI_LAN_PARAM_IP, 0, resp, &n);

	return r < 0 ? r : ipmi_parse_lan_ip(resp, n, buf);
}

static int channel_mac(const struct ipmi_transport *t, unsigned channel, char buf[static 18])
{
	uint8_t resp[IPMI_RESPONSE_MAX];
	size_t n;
	int r = lan_param(t, channel, IPMI_LAN_PARAM_MAC, 0, resp, &n);

	return r < 0 ? r : ipmi_parse_lan_mac(resp, n, buf);
}

static int v6_counts(const struct ipmi_transport *t, unsigned channel, unsigned *n_static,
		     unsigned *n_dynamic)
{
	uint8_t resp[IPMI_RESPONSE_MAX];
	size_t n;
	int r = lan_param(t, channel, IPMI_LAN_PARAM_V6_STATUS, 0, resp, &n);

	if (r >= 0)
		r = ipmi_parse_v6_status(resp, n, n_static, n_dynamic);
	if (r < 0)
		return r;
	*n_static = MIN(*n_static, (unsigned)IPMI_V6_SETS_MAX);
	*n_dynamic = MIN(*n_dynamic, (unsigned)IPMI_V6_SETS_MAX);
	return 0;
}

static int v6_set(const struct ipmi_transport *t, unsigned channel, bool dynamic, unsigned set,
		  struct ipmi_v6_addr *ret)
{
	uint8_t param = dynamic ? IPMI_LAN_PARAM_V6_DYNAMIC : IPMI_LAN_PARAM_V6_STATIC;
	uint8_t resp[IPMI_RESPONSE_MAX];
	size_t n;
	int r = lan_param(t, channel, param, (uint8_t)set, resp, &n);

	return r < 0 ? r : ipmi_parse_v6_addr(resp, n, ret);
}

/* IPA's null_address_re, '^::(/\d{1,3})*$', on "address/prefix" as ipmitool prints it. */
static bool v6_is_null(const struct ipmi_v6_addr *a)
{
	return strcmp(a->address, "::") == 0;
}

/* get_bmc_v6address's get_addr(): the first usable address of one kind, or NULL. */
static const char *v6_pick(const struct ipmi_transport *t, unsigned channel, bool dynamic,
			   unsigned count, struct ipmi_v6_addr *a)
{
	for (unsigned set = 0; set < count; set++) {
		bool enabled;

		if (v6_set(t, channel, dynamic, set, a) < 0)
			continue;
		enabled = dynamic ? (a->source == 1 || a->source == 2) : a->enabled;
		if (a->status == 0 && enabled && !v6_is_null(a))
			return a->address;
	}
	return NULL;
}

/* The awk of get_bmc_mac over "lan6 print": some address printed that is usable. */
static bool v6_any_routable(const struct ipmi_transport *t, unsigned channel)
{
	unsigned counts[2];
	bool printed = false;

	if (v6_counts(t, channel, &counts[0], &counts[1]) < 0)
		return true; /* nothing printed: IPA's any() over [""] is true */
	for (int dynamic = 0; dynamic < 2; dynamic++)
		for (unsigned set = 0; set < counts[dynamic]; set++) {
			struct ipmi_v6_addr a;

			if (v6_set(t, channel, dynamic, set, &a) < 0)
				continue;
			printed = true;
			if (strncmp(a.address, "::", 2) != 0 && strncmp(a.address, "fe80", 4) != 0)
				return true;
		}
	return !printed;
}

static int set_string(char **p, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	free(*p);
	*p = c;
	return 0;
}

int ipmi_bmc_query(const struct ipmi_transport *t, struct ipmi_bmc *ret)
{
	struct ipmi_bmc b = {0};
	bool lan[IPMI_CHANNEL_LAST + 1] = {0};
	char ip[16], mac[18];

	for (unsigned ch = IPMI_CHANNEL_FIRST; ch <= IPMI_CHANNEL_LAST; ch++)
		lan[ch] = channel_is_lan(t, ch);

	/* get_bmc_address */
	for (unsigned ch = IPMI_CHANNEL_FIRST; ch <= IPMI_CHANNEL_LAST && !b.address; ch++)
		if (lan[ch] && channel_ip(t, ch, ip) >= 0 && strcmp(ip, "0.0.0.0") != 0 &&
		    set_string(&b.address, ip) < 0)
			goto enomem;
	if (!b.address && set_string(&b.address, "0.0.0.0") < 0)
		goto enomem;

	/* get_bmc_v6address */
	for (unsigned ch = IPMI_CHANNEL_FIRST; ch <= IPMI_CHANNEL_LAST && !b.v6address; ch++) {
		uint8_t resp[IPMI_RESPONSE_MAX];
		unsigned n_static, n_dynamic;
		struct ipmi_v6_addr a;
		const char *mode, *addr;
		size_t n;

		if (!lan[ch] || lan_param(t, ch, IPMI_LAN_PARAM_V6_ENABLES, 0, resp, &n) < 0 ||
		    ipmi_parse_v6_enables(resp, n, &mode) < 0 ||
		    (strcmp(mode, "ipv6") != 0 && strcmp(mode, "both") != 0) ||
		    v6_counts(t, ch, &n_static, &n_dynamic) < 0)
			continue;
		addr = v6_pick(t, ch, true, n_dynamic, &a);
		if (!addr)
			addr = v6_pick(t, ch, false, n_static, &a);
		if (addr && set_string(&b.v6address, addr) < 0)
			goto enomem;
	}
	if (!b.v6address && set_string(&b.v6address, "::/0") < 0)
		goto enomem;

	/* get_bmc_mac */
	for (unsigned ch = IPMI_CHANNEL_FIRST; ch <= IPMI_CHANNEL_LAST && !b.mac; ch++) {
		if (!lan[ch] || channel_ip(t, ch, ip) < 0 || channel_mac(t, ch, mac) < 0)
			continue;
		if (strcmp(ip, "0.0.0.0") == 0 && !v6_any_routable(t, ch))
			continue;
		if (strcmp(mac, "00:00:00:00:00:00") != 0 && set_string(&b.mac, mac) < 0)
			goto enomem;
	}

	*ret = b;
	return 0;
enomem:
	ipmi_bmc_done(&b);
	return -ENOMEM;
}

/* IPA globs dev/ipmi<any>, dev/ipmi/<any> and dev/ipmidev/<any> for a character device. */
static bool dir_has_chardev(int root_fd, const char *dir, const char *prefix)
{
	_cleanup_close_ int fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	bool found = false;

	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d)
		return false;
	fd = -1;
	while (!found && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		found = fstatat(dirfd(d), de->d_name, &st, 0) >= 0 && S_ISCHR(st.st_mode);
	}
	closedir(d);
	return found;
}

bool ipmi_device_exists(int root_fd)
{
	return dir_has_chardev(root_fd, "dev", "ipmi") ||
	       dir_has_chardev(root_fd, "dev/ipmi", "") ||
	       dir_has_chardev(root_fd, "dev/ipmidev", "");
}

struct ipmi_dev {
	int fd;
	long msgid;
};

static int dev_call(void *userdata, uint8_t netfn, uint8_t cmd, const uint8_t *req, size_t req_len,
		    uint8_t *resp, size_t resp_max, size_t *resp_len)
{
	struct ipmi_dev *dev = userdata;
	struct ipmi_system_interface_addr si = {
	    .addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE,
	    .channel = IPMI_BMC_CHANNEL,
	};
	uint8_t data[IPMI_RESPONSE_MAX];
	struct ipmi_req rq = {
	    .addr = (unsigned char *)&si,
	    .addr_len = sizeof(si),
	    .msgid = ++dev->msgid,
	    .msg = {.netfn = netfn, .cmd = cmd, .data = data, .data_len = (unsigned short)req_len},
	};

	if (req_len > sizeof(data))
		return -EINVAL;
	memcpy(data, req, req_len);
	if (ioctl(dev->fd, IPMICTL_SEND_COMMAND, &rq) < 0)
		return negative_errno();

	for (int i = 0; i < IPMI_RECV_ATTEMPTS; i++) {
		struct ipmi_addr addr;
		struct pollfd p = {.fd = dev->fd, .events = POLLIN};
		struct ipmi_recv rv = {
		    .addr = (unsigned char *)&addr,
		    .addr_len = sizeof(addr),
		    .msg = {.data = resp, .data_len = (unsigned short)resp_max},
		};
		int r = poll(&p, 1, IPMI_TIMEOUT_MS);

		if (r < 0)
			return negative_errno();
		if (r == 0)
			return -ETIMEDOUT;
		if (ioctl(dev->fd, IPMICTL_RECEIVE_MSG_TRUNC, &rv) < 0 && errno != EMSGSIZE)
			return negative_errno();
		if (rv.recv_type != IPMI_RESPONSE_RECV_TYPE || rv.msgid != dev->msgid)
			continue;
		*resp_len = MIN((size_t)rv.msg.data_len, resp_max);
		return 0;
	}
	return -ETIMEDOUT;
}

int ipmi_bmc_collect(int root_fd, struct ipmi_bmc *ret)
{
	static const char *const paths[] = {"dev/ipmi0", "dev/ipmi/0", "dev/ipmidev/0"};
	struct ipmi_dev dev = {.fd = -1};
	struct ipmi_transport t = {dev_call, &dev};
	int r;

	if (!ipmi_device_exists(root_fd)) {
		*ret = (struct ipmi_bmc){0};
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(paths) && dev.fd < 0; i++)
		dev.fd = openat(root_fd, paths[i], O_RDWR | O_CLOEXEC);
	if (dev.fd < 0) {
		struct ipmi_bmc b = {0};

		if (set_string(&b.address, "0.0.0.0") < 0 || set_string(&b.v6address, "::/0") < 0) {
			ipmi_bmc_done(&b);
			return -ENOMEM;
		}
		*ret = b;
		return 0;
	}
	r = ipmi_bmc_query(&t, ret);
	safe_close(dev.fd);
	return r;
}
