/* sources: src/init/net-order.c src/basic/hwaddr.c src/basic/hexdecoct.c */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "init/net-order.h"

#include "test.h"

static struct nic mk(const char *name, const char *mac, unsigned type, bool physical)
{
	struct nic n = {.type = type, .physical = physical};

	snprintf(n.name, sizeof(n.name), "%s", name);
	hwaddr_parse(mac, &n.mac);
	return n;
}

static const char *names(const struct nic *nics, size_t n)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, nics[i].name);
	}
	return buf;
}

static void check_order(const char *what, struct nic *nics, size_t n, const char *bootif,
			const char *expected)
{
	struct hwaddr b;
	size_t kept;

	if (bootif)
		hwaddr_parse_bootif(bootif, &b);
	kept = nic_order(nics, n, bootif ? &b : NULL);
	CHECK(strcmp(names(nics, kept), expected) == 0, "%s: [%s] (expected [%s])", what,
	      names(nics, kept), expected);
}

int main(void)
{
	CHECK(nic_name_compare("eth2", "eth10") < 0, "eth2 < eth10");
	CHECK(nic_name_compare("eth10", "eth2") > 0, "eth10 > eth2");
	CHECK(nic_name_compare("enp0s3", "enp0s20") < 0, "enp0s3 < enp0s20");
	CHECK(nic_name_compare("enp1s0", "enp0s31") > 0, "enp1s0 > enp0s31");
	CHECK(nic_name_compare("eth0", "eth0") == 0, "eth0 == eth0");
	CHECK(nic_name_compare("eth01", "eth1") == 0, "eth01 == eth1 (leading zeros)");
	CHECK(nic_name_compare("eth", "eth0") < 0, "eth < eth0");
	CHECK(nic_name_compare("eno1", "enp0s3") < 0, "eno1 < enp0s3");
	CHECK(nic_name_compare("", "a") < 0, "empty sorts first");

	{
		struct nic l[] = {
		    mk("lo", "00:00:00:00:00:00", 772, false),
		    mk("eth10", "52:54:00:00:00:10", 1, true),
		    mk("eth2", "52:54:00:00:00:02", 1, true),
		    mk("br0", "52:54:00:00:00:99", 1, false),
		    mk("ib0", "52:54:00:00:00:77", 32, true),
		    mk("eth0", "52:54:00:00:00:00", 1, true),
		};
		check_order("no BOOTIF: physical Ethernet only, by name", l, 6, NULL,
			    "eth0 eth2 eth10");
	}
	{
		struct nic l[] = {
		    mk("eth0", "52:54:00:00:00:00", 1, true),
		    mk("eth1", "52:54:00:00:00:01", 1, true),
		    mk("eth2", "52:54:00:00:00:02", 1, true),
		};
		check_order("BOOTIF (PXE form) first", l, 3, "01-52-54-00-00-00-02",
			    "eth2 eth0 eth1");
	}
	{
		struct nic l[] = {
		    mk("enp2s0", "52:54:00:00:00:00", 1, true),
		    mk("enp1s0", "52:54:00:00:00:01", 1, true),
		};
		check_order("BOOTIF (colon form) first", l, 2, "52:54:00:00:00:00",
			    "enp2s0 enp1s0");
	}
	{
		struct nic l[] = {
		    mk("eth1", "52:54:00:00:00:01", 1, true),
		    mk("eth0", "52:54:00:00:00:00", 1, true),
		};
		check_order("BOOTIF matching nothing: by name", l, 2, "01-aa-bb-cc-dd-ee-ff",
			    "eth0 eth1");
	}
	{
		struct nic l[] = {
		    mk("br0", "52:54:00:00:00:00", 1, false),
		    mk("eth0", "52:54:00:00:00:01", 1, true),
		};
		check_order("BOOTIF on a bridge is not picked", l, 2, "52:54:00:00:00:00", "eth0");
	}
	{
		struct nic l[] = {mk("veth0", "52:54:00:00:00:00", 1, false)};

		check_order("nothing physical: empty", l, 1, NULL, "");
		check_order("empty list", l, 0, NULL, "");
	}

	return failures ? 1 : 0;
}
