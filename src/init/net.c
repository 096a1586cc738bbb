#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/conf.h"
#include "basic/fileio.h"
#include "basic/fs-util.h"
#include "basic/macro.h"
#include "basic/parse-util.h"
#include "basic/strv.h"
#include "init/net-order.h"
#include "init/net.h"

#define NET_CLASS_DIR	"/sys/class/net"
#define NET_SCAN_PERIOD USEC_PER_SEC
#define NET_IP_TIMEOUT	(10 * USEC_PER_SEC)
#define NET_NICS_MAX	256

/*
 * Foreground, forever: no -q (leases are renewed during long deploys) and no -n (without a lease
 * it keeps trying: 5 discovers 2 s apart, a 3 s pause, again). NULL is the interface name.
 */
static const char *const udhcpc_argv[] = {
    "udhcpc", "-f", "-i", NULL, "-s", NET_DHCP_SCRIPT,	"-t", "5",
    "-T",     "2",  "-A", "3",	"-x", "hostname:ingot",
};

static const struct service_policy dhcp_policy = {
    .backoff_min = 1,
    .backoff_max = 60,
    .reset_after = 60,
};

void net_init(struct net *n, const struct config *c)
{
	char mac[HWADDR_STR_MAX];
	size_t i = 0;

	*n = (struct net){.has_bootif = c->has_bootif, .bootif = c->bootif};
	n->env[i++] = SPAWN_ENV_PATH;
	n->env[i++] = SPAWN_ENV_HOME;
	n->env[i++] = SPAWN_ENV_TERM;
	if (n->has_bootif) {
		snprintf(n->env_bootif, sizeof(n->env_bootif), "INGOT_BOOTIF_MAC=%s",
			 hwaddr_format(&n->bootif, mac));
		n->env[i++] = n->env_bootif;
	}
	n->env[i] = NULL;
}

void net_done(struct net *n)
{
	for (size_t i = 0; i < n->n_links; i++)
		service_done(&n->links[i].dhcp);
	n->n_links = 0;
}

/* Runs `ip link set <ifname> up`, logging failures. */
static void link_up(const struct console *con, const char *ifname)
{
	char *argv[] = {"ip", "link", "set", (char *)ifname, "up", NULL};
	const struct spawn_options o = {.stdin_null = true};
	char text[64];
	int r, status;

	r = spawn_and_wait(argv, &o, NET_IP_TIMEOUT, &status);
	if (r < 0) {
		console_log(con, "failed to run 'ip link set %s up': %s", ifname, strerror(-r));
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		spawn_status_format(status, text, sizeof(text));
		console_log(con, "'ip link set %s up' failed (%s)", ifname, text);
	}
}

static int nic_read(int classfd, const char *name, struct nic *ret)
{
	char path[IF_NAMESIZE + 16], buf[64];
	struct nic nic = {0};
	struct stat st;
	int r;

	if (strlen(name) >= sizeof(nic.name))
		return -ENAMETOOLONG;
	memcpy(nic.name, name, strlen(name) + 1);

	snprintf(path, sizeof(path), "%s/type", nic.name);
	r = read_line_at(classfd, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = parse_uint(buf, 0xffff, &nic.type);
	if (r < 0)
		return r;

	snprintf(path, sizeof(path), "%s/address", nic.name);
	if (read_line_at(classfd, path, buf, sizeof(buf)) >= 0)
		(void)hwaddr_parse(buf, &nic.mac);

	snprintf(path, sizeof(path), "%s/device", nic.name);
	nic.physical = fstatat(classfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;

	*ret = nic;
	return 0;
}

/* The physical Ethernet NICs present now, in DHCP order. Returns the count or -errno. */
static int nic_scan(const struct net *n, struct nic *nics, size_t max)
{
	struct dirent *de;
	size_t count = 0;
	DIR *d;
	int fd;

	fd = open(NET_CLASS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return negative_errno();
	}
	while (count < max && (de = readdir(d)))
		if (de->d_name[0] != '.' && nic_read(dirfd(d), de->d_name, &nics[count]) == 0)
			count++;
	closedir(d);

	return (int)nic_order(nics, count, n->has_bootif ? &n->bootif : NULL);
}

static struct net_link *link_find(struct net *n, const char *name)
{
	for (size_t i = 0; i < n->n_links; i++)
		if (strcmp(n->links[i].name, name) == 0)
			return &n->links[i];
	return NULL;
}

static void link_start_dhcp(struct net_link *l, const struct console *con, usec_t now)
{
	int r;

	r = service_start(&l->dhcp, now);
	if (r < 0) {
		unsigned delay = service_schedule_restart(&l->dhcp, now);

		console_log(con, "failed to start udhcpc on '%s': %s, retrying in %u s", l->name,
			    strerror(-r), delay);
	}
}

static void link_add(struct net *n, const struct nic *nic, const struct console *con, usec_t now)
{
	const struct spawn_options o = {.stdin_null = true, .env = n->env};
	char mac[HWADDR_STR_MAX];
	struct net_link *l;
	char **copy = NULL;

	if (n->n_links >= NET_LINKS_MAX)
		return;
	for (size_t i = 0; i < ELEMENTSOF(udhcpc_argv); i++)
		if (strv_extend(&copy, udhcpc_argv[i] ? udhcpc_argv[i] : nic->name) < 0) {
			strv_free(copy);
			console_log(con, "failed to start udhcpc on '%s': %s", nic->name,
				    strerror(ENOMEM));
			return;
		}

	l = &n->links[n->n_links++];
	*l = (struct net_link){.is_bootif = n->has_bootif && hwaddr_equal(&nic->mac, &n->bootif)};
	memcpy(l->name, nic->name, sizeof(l->name));
	service_init(&l->dhcp, copy, &o, &dhcp_policy);

	console_log(con, "dhcp on %s (%s)%s", l->name, hwaddr_format(&nic->mac, mac),
		    l->is_bootif ? ", the BOOTIF interface" : "");
	link_up(con, l->name);
	link_start_dhcp(l, con, now);
}

static void net_scan(struct net *n, const struct console *con, usec_t now)
{
	struct nic nics[NET_NICS_MAX];
	int count;

	count = nic_scan(n, nics, ELEMENTSOF(nics));
	if (count < 0)
		return;
	for (int i = 0; i < count; i++)
		if (!link_find(n, nics[i].name))
			link_add(n, &nics[i], con, now);
}

void net_start(struct net *n, const struct console *con, usec_t now)
{
	struct utsname u;
	int r;

	r = mkdir_p(NET_LEASE_DIR, 0755);
	if (r < 0)
		console_log(con, "failed to create '%s': %s", NET_LEASE_DIR, strerror(-r));
	/* The kernel says "(none)" until a DHCP server names the node (udhcpc.script);
	 * "localhost" until then, as systemd and the images IPA runs in say. */
	if (uname(&u) == 0 && strcmp(u.nodename, "(none)") == 0 &&
	    sethostname("localhost", strlen("localhost")) < 0)
		console_log(con, "failed to set the hostname: %s", strerror(errno));
	link_up(con, "lo");
	net_scan(n, con, now);
	n->next_scan = now + NET_SCAN_PERIOD;
}

struct lease {
	char ip[INET_ADDRSTRLEN];
	char router[INET_ADDRSTRLEN];
	unsigned prefix;
	bool has_prefix;
};

static int lease_cb(const char *key, const char *value, unsigned line, void *userdata)
{
	struct lease *l = userdata;
	struct in_addr a;

	(void)line;
	if (strcmp(key, "ip") == 0 || strcmp(key, "router") == 0) {
		char *field = key[0] == 'i' ? l->ip : l->router;

		/* router may be empty; anything else must be one IPv4 address. */
		if (*value &&
		    (strlen(value) >= INET_ADDRSTRLEN || inet_pton(AF_INET, value, &a) != 1))
			return -EINVAL;
		memcpy(field, value, strlen(value) + 1);
	} else if (strcmp(key, "prefix") == 0) {
		if (parse_uint(value, 32, &l->prefix) < 0)
			return -EINVAL;
		l->has_prefix = true;
	}
	return 0;
}

int net_lease_parse(const char *text, size_t len, char *buf, size_t size)
{
	struct lease l = {0};
	int r;

	r = conf_parse(text, len, lease_cb, &l, NULL);
	if (r < 0)
		return r;
	if (l.ip[0] == '\0' || !l.has_prefix)
		return -EINVAL;
	snprintf(buf, size, "%s/%u router %s", l.ip, l.prefix, l.router[0] ? l.router : "none");
	return 0;
}

/* The announcement for <if>.lease, or a negative errno when there is no valid one. */
static int lease_read(const char *ifname, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[sizeof(NET_LEASE_DIR) + IF_NAMESIZE + 8];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s.lease", NET_LEASE_DIR, ifname);
	r = read_full_file_at(AT_FDCWD, path, 4096, &text, &len);
	if (r < 0)
		return r;
	return net_lease_parse(text, len, buf, size);
}

static void net_check_leases(struct net *n, const struct console *con)
{
	for (size_t i = 0; i < n->n_links; i++) {
		struct net_link *l = &n->links[i];
		char now[NET_ANNOUNCE_MAX];

		if (lease_read(l->name, now, sizeof(now)) < 0) {
			l->announced[0] = '\0';
			continue;
		}
		if (strcmp(now, l->announced) == 0)
			continue;
		memcpy(l->announced, now, sizeof(now));
		console_log(con, "network up: %s %s", l->name, l->announced);
	}
}

void net_tick(struct net *n, const struct console *con, usec_t now)
{
	for (size_t i = 0; i < n->n_links; i++)
		if (service_restart_due(&n->links[i].dhcp, now))
			link_start_dhcp(&n->links[i], con, now);

	if (now >= n->next_scan) {
		net_scan(n, con, now);
		n->next_scan = now + NET_SCAN_PERIOD;
	}
	net_check_leases(n, con);
}

bool net_child_exited(struct net *n, const struct console *con, pid_t pid, int status, usec_t now)
{
	for (size_t i = 0; i < n->n_links; i++) {
		struct net_link *l = &n->links[i];
		char text[64], path[sizeof(NET_CLASS_DIR) + IF_NAMESIZE + 1];
		unsigned delay;

		if (l->dhcp.pid != pid)
			continue;

		spawn_status_format(status, text, sizeof(text));
		snprintf(path, sizeof(path), "%s/%s", NET_CLASS_DIR, l->name);
		if (access(path, F_OK) < 0) {
			/* Unplugged: forget it; a rescan picks it up if it comes back. */
			console_log(con, "udhcpc on %s exited (%s), interface gone", l->name, text);
			service_done(&l->dhcp);
			memmove(l, l + 1, (n->n_links - i - 1) * sizeof(*l));
			n->n_links--;
			return true;
		}
		delay = service_schedule_restart(&l->dhcp, now);
		console_log(con, "udhcpc on %s exited (%s), restarting in %u s", l->name, text,
			    delay);
		return true;
	}
	return false;
}

bool net_bootif_found(const struct net *n)
{
	for (size_t i = 0; i < n->n_links; i++)
		if (n->links[i].is_bootif)
			return true;
	return false;
}

bool net_has_lease(const struct net *n)
{
	bool bootif = net_bootif_found(n);

	for (size_t i = 0; i < n->n_links; i++)
		if (n->links[i].announced[0] && (!bootif || n->links[i].is_bootif))
			return true;
	return false;
}

usec_t net_next_restart(const struct net *n)
{
	usec_t t = USEC_INFINITY;

	for (size_t i = 0; i < n->n_links; i++)
		if (n->links[i].dhcp.pid == 0)
			t = MIN(t, n->links[i].dhcp.restart_at);
	return t;
}
