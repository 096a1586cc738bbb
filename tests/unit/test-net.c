#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "init/net.h"

#include "test.h"

static void check(const char *what, const char *text, int er, const char *expected)
{
	char buf[NET_ANNOUNCE_MAX] = "untouched";
	int r = net_lease_parse(text, strlen(text), buf, sizeof(buf));

	CHECK(r == er && strcmp(buf, er == 0 ? expected : "untouched") == 0,
	      "%s -> %d [%s] (got %d [%s])", what, er, er == 0 ? expected : "", r, buf);
}

int main(void)
{
	struct config c;
	struct net n;

	check("full lease", "ip=10.0.2.15\nprefix=24\nrouter=10.0.2.2\ndns=\"10.0.2.3\"\n", 0,
	      "10.0.2.15/24 router 10.0.2.2");
	check("no router", "ip=192.168.1.7\nprefix=32\nrouter=\ndns=\"\"\n", 0,
	      "192.168.1.7/32 router none");
	check("router line missing", "prefix=16\nip=172.16.0.9\n", 0, "172.16.0.9/16 router none");
	check("unknown keys ignored", "ip=10.0.0.1\nprefix=8\nlease=3600\n", 0,
	      "10.0.0.1/8 router none");
	check("no ip", "prefix=24\nrouter=10.0.2.2\n", -EINVAL, "");
	check("no prefix", "ip=10.0.2.15\n", -EINVAL, "");
	check("prefix 33", "ip=10.0.2.15\nprefix=33\n", -EINVAL, "");
	check("bad ip", "ip=10.0.2.256\nprefix=24\n", -EINVAL, "");
	check("ipv6 ip", "ip=fe80::1\nprefix=64\n", -EINVAL, "");
	check("two routers", "ip=10.0.2.15\nprefix=24\nrouter=10.0.2.2 10.0.2.1\n", -EINVAL, "");
	check("empty file", "", -EINVAL, "");
	check("garbage", "this is not a lease\n", -EINVAL, "");

	config_init(&c);
	net_init(&n, &c);
	CHECK(n.env[3] == NULL && strcmp(n.env[0], SPAWN_ENV_PATH) == 0,
	      "udhcpc environment without BOOTIF");
	CHECK(!net_has_lease(&n) && !net_bootif_found(&n) && net_next_restart(&n) == USEC_INFINITY,
	      "no links: no lease, no BOOTIF, no restart");
	net_done(&n);

	hwaddr_parse_bootif("01-52-54-00-12-34-56", &c.bootif);
	c.has_bootif = true;
	net_init(&n, &c);
	CHECK(n.env[3] && strcmp(n.env[3], "INGOT_BOOTIF_MAC=52:54:00:12:34:56") == 0 &&
		  n.env[4] == NULL,
	      "udhcpc environment carries INGOT_BOOTIF_MAC");

	/* Two links as net_start() would leave them; no udhcpc runs. */
	n.n_links = 2;
	strcpy(n.links[0].name, "eth0");
	n.links[0].is_bootif = true;
	n.links[0].dhcp.restart_at = USEC_INFINITY;
	strcpy(n.links[1].name, "eth1");
	n.links[1].dhcp.restart_at = USEC_INFINITY;
	strcpy(n.links[1].announced, "10.0.0.2/24 router none");
	CHECK(net_bootif_found(&n) && !net_has_lease(&n),
	      "BOOTIF interface known: a lease elsewhere does not end the wait");
	strcpy(n.links[0].announced, "10.0.0.1/24 router none");
	CHECK(net_has_lease(&n), "the BOOTIF interface's lease ends the wait");
	n.links[0].is_bootif = false;
	n.links[0].announced[0] = '\0';
	CHECK(!net_bootif_found(&n) && net_has_lease(&n), "BOOTIF absent: any lease ends the wait");
	n.links[1].dhcp.restart_at = 77;
	CHECK(net_next_restart(&n) == 77, "next restart is the earliest scheduled");
	n.n_links = 0;
	net_done(&n);
	config_done(&c);

	return failures ? 1 : 0;
}
