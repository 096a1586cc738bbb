#pragma once

/*
 * The BMC's LAN addresses, as ironic-python-agent (IPA master) reports them in the inventory
 * (hardware.py GenericHardwareManager.get_bmc_address, get_bmc_v6address, get_bmc_mac and
 * any_ipmi_device_exists). IPA runs ipmitool in a shell pipeline per channel; here the same
 * questions go to the BMC in C through the Linux IPMI device (linux/ipmi.h), and the answers
 * are judged as IPA judges ipmitool's text:
 *
 *   channels 1..11; a channel counts when Get Channel Info (netfn app, 0x42) says its medium
 *   is 802.3 LAN or "other LAN" (ipmitool's is_lan_channel; else "Invalid channel")
 *
 *   address    Get LAN Configuration Parameters (netfn transport 0x0c, cmd 0x02) parameter 3:
 *              the first channel whose address is not 0.0.0.0; "0.0.0.0" when none
 *   v6address  parameter 51 (IPv6/IPv4 addressing enables) must be "ipv6" or "both"; then
 *              the first dynamic address (parameter 59, sets counted by parameter 55) whose
 *              source is SLAAC or DHCPv6, else the first enabled static one (parameter 56),
 *              that is active and not "::"; "::/0" when none
 *   mac        parameter 5 of the first channel that has an IPv4 address (parameters 3 and 5
 *              both readable) or, with 0.0.0.0, an IPv6 address that is neither "::..." nor
 *              "fe80..." (or no IPv6 parameters at all: IPA's awk then prints nothing and
 *              its check passes), and whose MAC is not 00:00:00:00:00:00; NULL when none
 *
 * Without any character device dev/ipmi<any>, dev/ipmi/<any> or dev/ipmidev/<any> under the
 * root, all three are NULL (IPA master: bmc_address and bmc_v6address null, bmc_mac absent).
 * With one that cannot be opened, IPA's ipmitool fails per channel: "0.0.0.0", "::/0" and no
 * MAC.
 *
 * The parsers take a response as the kernel returns it: completion code first.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPMI_CHANNEL_FIRST 1
#define IPMI_CHANNEL_LAST  11
#define IPMI_RESPONSE_MAX  64
#define IPMI_V6_SETS_MAX   16 /* address sets read per kind (the BMC says how many) */

#define IPMI_NETFN_APP		  0x06
#define IPMI_NETFN_TRANSPORT	  0x0c
#define IPMI_CMD_GET_CHANNEL_INFO 0x42
#define IPMI_CMD_GET_LAN_CONFIG	  0x02

enum {
	IPMI_LAN_PARAM_IP = 3,
	IPMI_LAN_PARAM_MAC = 5,
	IPMI_LAN_PARAM_V6_ENABLES = 51,
	IPMI_LAN_PARAM_V6_STATUS = 55,
	IPMI_LAN_PARAM_V6_STATIC = 56,
	IPMI_LAN_PARAM_V6_DYNAMIC = 59,
};

/*
 * One request to the BMC: writes the response (completion code first) into resp, at most
 * resp_max bytes, and its length to *resp_len. Returns 0 or a negative errno.
 */
typedef int (*ipmi_call_fn)(void *userdata, uint8_t netfn, uint8_t cmd, const uint8_t *req,
			    size_t req_len, uint8_t *resp, size_t resp_max, size_t *resp_len);

struct ipmi_transport {
	ipmi_call_fn call;
	void *userdata;
};

/* NULL members are absent (null in IPA's JSON; bmc_mac is then left out). */
struct ipmi_bmc {
	char *address;
	char *v6address;
	char *mac;
};

void ipmi_bmc_done(struct ipmi_bmc *b);

/* An IPv6 address set as parameters 56 and 59 carry it. */
struct ipmi_v6_addr {
	bool enabled;	/* static: bit 7 of the source byte */
	uint8_t source; /* bits 3:0: 0 static, 1 SLAAC, 2 DHCPv6 */
	char address[46];
	uint8_t prefix;
	uint8_t status; /* 0 active, 1 disabled, 2 pending, 3 failed, 4 deprecated, 5 invalid */
};

/* Get Channel Info: 1 when the medium is LAN (0x04, 0x06), 0 otherwise, -EIO/-EBADMSG. */
int ipmi_parse_channel_is_lan(const uint8_t *resp, size_t len);

/* Parameter 3: "a.b.c.d" into buf. 0, -EIO (completion code), -EBADMSG (short). */
int ipmi_parse_lan_ip(const uint8_t *resp, size_t len, char buf[static 16]);

/* Parameter 5: "aa:bb:cc:dd:ee:ff", lower case, into buf. */
int ipmi_parse_lan_mac(const uint8_t *resp, size_t len, char buf[static 18]);

/* Parameter 51: ipmitool's word, "ipv4", "ipv6", "both" or "unknown", into *ret. */
int ipmi_parse_v6_enables(const uint8_t *resp, size_t len, const char **ret);

/* Parameter 55: the numbers of static and dynamic address sets. */
int ipmi_parse_v6_status(const uint8_t *resp, size_t len, unsigned *ret_static,
			 unsigned *ret_dynamic);

/* Parameters 56 and 59: one address set. */
int ipmi_parse_v6_addr(const uint8_t *resp, size_t len, struct ipmi_v6_addr *ret);

/*
 * IPA's three questions over channels 1..11 through t. Always fills *ret (the defaults
 * "0.0.0.0", "::/0", no MAC when nothing answers); -ENOMEM only.
 */
int ipmi_bmc_query(const struct ipmi_transport *t, struct ipmi_bmc *ret);

/* IPA's any_ipmi_device_exists() under root_fd. */
bool ipmi_device_exists(int root_fd);

/*
 * The whole of it for the machine at root_fd: NULLs without a device, else ipmi_bmc_query()
 * over the first of dev/ipmi0, dev/ipmi/0, dev/ipmidev/0 that opens. 0 or -ENOMEM.
 */
int ipmi_bmc_collect(int root_fd, struct ipmi_bmc *ret);
