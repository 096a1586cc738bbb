#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/cmdline.h"
#include "init/config.h"

#include "test.h"

static int conf(struct config *c, const char *text, const struct console *con)
{
	return config_apply_conf(c, text, strlen(text), "init.conf", con);
}

static int cmdline(struct config *c, const char *text, const struct console *con)
{
	return config_apply_cmdline(c, text, strlen(text), con);
}

static const char *agent(const struct config *c)
{
	return c->agent ? c->agent : "";
}

int main(void)
{
	struct console con;
	struct config c;
	char mac[HWADDR_STR_MAX], big[CMDLINE_MAX + 1];
	int r;

	/* Warnings go to stderr: the console logs there until console_open(). */
	console_init(&con);

	config_init(&c);
	CHECK(strcmp(agent(&c), "") == 0 && c.dhcp_timeout == 60 && !c.shell &&
		  c.modules_coldplug && !c.has_bootif,
	      "defaults: no agent, 60 s, no shell, coldplug, no BOOTIF");

	r = conf(&c,
		 "# build-time defaults\n"
		 "AGENT=\"/usr/bin/ingot-agent --config-file /etc/ingot/agent.conf\"\n"
		 "DHCP_TIMEOUT=30\n"
		 "SHELL=yes\n"
		 "MODULES_COLDPLUG=0\n",
		 &con);
	CHECK(r == 0, "init.conf applies");
	CHECK(strcmp(agent(&c), "/usr/bin/ingot-agent --config-file /etc/ingot/agent.conf") == 0,
	      "AGENT from init.conf, quoted");
	CHECK(c.dhcp_timeout == 30 && c.shell && !c.modules_coldplug,
	      "DHCP_TIMEOUT, SHELL, MODULES_COLDPLUG from init.conf");

	r = cmdline(&c,
		    "console=ttyS0 ingot.dhcp_timeout=5 ingot.shell=0 "
		    "ingot.agent=\"/bin/agent -v\" BOOTIF=01-52-54-00-12-34-56 quiet\n",
		    &con);
	CHECK(r == 0, "command line applies");
	CHECK(strcmp(agent(&c), "/bin/agent -v") == 0 && c.dhcp_timeout == 5 && !c.shell,
	      "command line overrides init.conf");
	CHECK(c.has_bootif && strcmp(hwaddr_format(&c.bootif, mac), "52:54:00:12:34:56") == 0,
	      "BOOTIF in PXE form");

	cmdline(&c, "ingot.shell ingot.dhcp_timeout=7 ingot.dhcp_timeout=9", &con);
	CHECK(c.shell && c.dhcp_timeout == 9, "bare boolean key means yes; last key wins");

	cmdline(&c, "ingot.dhcp_timeout=abc ingot.dhcp_timeout=-1 ingot.dhcp_timeout", &con);
	CHECK(c.dhcp_timeout == 9, "invalid timeouts are ignored");
	cmdline(&c, "ingot.dhcp_timeout=86401", &con);
	CHECK(c.dhcp_timeout == 9, "timeout above one day is ignored");
	cmdline(&c, "ingot.dhcp_timeout=0", &con);
	CHECK(c.dhcp_timeout == 0, "timeout 0 is allowed");

	cmdline(&c, "BOOTIF=aa:bb:cc:dd:ee:ff", &con);
	CHECK(strcmp(hwaddr_format(&c.bootif, mac), "aa:bb:cc:dd:ee:ff") == 0,
	      "BOOTIF in colon form");
	cmdline(&c, "BOOTIF=garbage", &con);
	CHECK(c.has_bootif && strcmp(hwaddr_format(&c.bootif, mac), "aa:bb:cc:dd:ee:ff") == 0,
	      "invalid BOOTIF is ignored");

	cmdline(&c, "ingot.agent=", &con);
	CHECK(strcmp(agent(&c), "") == 0, "empty ingot.agent= disables the agent");
	cmdline(&c, "AGENT=/bin/x SHELL=0 MODULES_COLDPLUG=1", &con);
	CHECK(strcmp(agent(&c), "") == 0 && c.shell && !c.modules_coldplug,
	      "init.conf names mean nothing on the command line");
	conf(&c, "BOOTIF=01-00-00-00-00-00-01\ningot.shell=0\n", &con);
	CHECK(strcmp(hwaddr_format(&c.bootif, mac), "aa:bb:cc:dd:ee:ff") == 0 && c.shell,
	      "command line names mean nothing in init.conf");

	r = conf(&c, "SHELL=0\nJUNK\nDHCP_TIMEOUT=1\n", &con);
	CHECK(r < 0 && !c.shell && c.dhcp_timeout == 0,
	      "init.conf syntax error stops at its line, earlier keys stay applied");
	r = conf(&c, "UNKNOWN_KEY=1\nSHELL=banana\nDHCP_TIMEOUT=3\n", &con);
	CHECK(r == 0 && !c.shell && c.dhcp_timeout == 3,
	      "unknown keys and invalid values are skipped, the rest applies");

	memset(big, 'x', sizeof(big));
	memcpy(big, "ingot.shell=1 ", 14);
	r = config_apply_cmdline(&c, big, sizeof(big), &con);
	CHECK(r < 0 && !c.shell, "over-long command line applies nothing");

	config_done(&c);
	CHECK(c.agent == NULL, "config_done() frees");
	return failures ? 1 : 0;
}
