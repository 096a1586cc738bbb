/* sources: src/agent/lldp.c src/basic/hexdecoct.c */
/*
 * LLDP (agent/lldp.h): TLV parsing as IPA's _parse_tlv() on built frames, then a real capture:
 * in a network namespace of its own, a veth pair carries an LLDP frame sent through a packet
 * socket, while a second pair stays silent and must time out with []. The capture needs
 * CAP_SYS_ADMIN and CAP_NET_ADMIN (root); without them the test exits 77 after the parser checks.
 */
#define _GNU_SOURCE 1 /* unshare() */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/lldp.h"
#include "test.h"

/* Chassis ID (MAC 52:54:00:aa:bb:cc), Port ID "swp1", TTL 120, System name "switch-a", End */
static const uint8_t FRAME[] = {
    0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc, 0x88, 0xcc, 0x02, 0x07,
    0x04, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc, 0x04, 0x05, 0x05, 's',  'w',  'p',  '1',	0x06, 0x02,
    0x00, 0x78, 0x0a, 0x08, 's',  'w',	'i',  't',  'c',  'h',	'-',  'a',  0x00, 0x00};
static const char FRAME_TLVS[] = "[ [ 1, \"04525400aabbcc\" ], [ 2, \"0573777031\" ], "
				 "[ 3, \"0078\" ], [ 5, \"7377697463682d61\" ], [ 0, \"\" ] ]";

static bool tlvs_are(const uint8_t *frame, size_t len, const char *want)
{
	json_object *o = NULL;
	bool same;

	if (lldp_frame_tlvs(frame, len, &o) < 0)
		return false;
	same = strcmp(json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED), want) == 0;
	if (!same)
		printf("# got %s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED));
	json_object_put(o);
	return same;
}

static void test_parse(void)
{
	uint8_t buf[sizeof(FRAME) + 8];

	CHECK(tlvs_are(FRAME, sizeof(FRAME), FRAME_TLVS), "a switch's frame: every TLV, End too");

	/* Ethernet padding after End: IPA parses it as more End TLVs */
	memcpy(buf, FRAME, sizeof(FRAME));
	memset(buf + sizeof(FRAME), 0, 4);
	CHECK(tlvs_are(buf, sizeof(FRAME) + 4,
		       "[ [ 1, \"04525400aabbcc\" ], [ 2, \"0573777031\" ], [ 3, \"0078\" ], "
		       "[ 5, \"7377697463682d61\" ], [ 0, \"\" ], [ 0, \"\" ], [ 0, \"\" ] ]"),
	      "padding after End gives [0, \"\"] pairs as in IPA");

	/* one byte left over: the list ends (IPA raises and loses everything) */
	buf[sizeof(FRAME)] = 0x42;
	CHECK(tlvs_are(buf, sizeof(FRAME) + 1, FRAME_TLVS), "a stray last byte ends the list");

	/* System name claims 8 bytes, the frame ends after 3 */
	CHECK(tlvs_are(FRAME, 34 + 2 + 3,
		       "[ [ 1, \"04525400aabbcc\" ], [ 2, \"0573777031\" ], [ 3, \"0078\" ], "
		       "[ 5, \"737769\" ] ]"),
	      "a value cut by the end of the frame is taken as far as it goes");

	/* a 511-byte value, the most 9 bits say */
	{
		uint8_t big[14 + 2 + 511];
		char want[64 + 2 * 511];

		memcpy(big, FRAME, 14);
		big[14] = 0x7f << 1 | 1; /* type 127, length 511 */
		big[15] = 0xff;
		memset(big + 16, 0xab, 511);
		strcpy(want, "[ [ 127, \"");
		for (int i = 0; i < 511; i++)
			strcat(want, "ab");
		strcat(want, "\" ] ]");
		CHECK(tlvs_are(big, sizeof(big), want), "type 127 with 511 bytes of value");
	}

	CHECK(tlvs_are(FRAME, 14, "[ ]"), "a bare Ethernet header: no TLV");
	CHECK(tlvs_are(FRAME, 9, "[ ]"), "a runt frame: no TLV");
	CHECK(tlvs_are(FRAME, 15, "[ ]"), "one byte after the header: no TLV");
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	return r == 0 ? 0 : -1;
}

/* Sends FRAME out of ifname every 20 ms until killed. */
static _Noreturn void sender(const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(LLDP_ETHERTYPE),
				  .sll_ifindex = (int)if_nametoindex(ifname),
				  .sll_halen = 6,
				  .sll_addr = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}};
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	for (int i = 0; fd >= 0 && i < 500; i++) {
		(void)sendto(fd, FRAME, sizeof(FRAME), 0, (struct sockaddr *)&sll, sizeof(sll));
		usleep(20000);
	}
	_exit(0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int test_capture(void)
{
	char *names[] = {"lo", "lldp-a1", "lldp-b1", NULL};
	char *missing[] = {"lldp-a1", "no-such-nic", NULL};
	json_object *o = NULL, *v;
	double t0, took;
	pid_t pid;
	int r;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("skip - LLDP capture: no network namespace of its own (%s); needs root\n",
		       strerror(errno));
		return 77;
	}
	if (sh("ip link set lo up && ip link add lldp-a0 type veth peer name lldp-a1 && "
	       "ip link add lldp-b0 type veth peer name lldp-b1 && "
	       "for l in lldp-a0 lldp-a1 lldp-b0 lldp-b1; do ip link set $l up || exit 1; done") <
	    0) {
		printf("skip - LLDP capture: cannot make veth pairs with ip(8)\n");
		return 77;
	}

	pid = fork();
	if (pid == 0)
		sender("lldp-a0");
	t0 = now_s();
	r = lldp_collect(names, 700, &o);
	took = now_s() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(r == 0, "collect on lo, a NIC with a switch and a silent NIC: %s", strerror(-r));
	CHECK(o && json_object_object_length(o) == 2, "lo is left out");
	CHECK(o && json_object_object_get_ex(o, "lldp-a1", &v) &&
		  strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_SPACED), FRAME_TLVS) ==
		      0,
	      "the NIC with a switch has the TLVs of its frame");
	CHECK(o && json_object_object_get_ex(o, "lldp-b1", &v) &&
		  json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0,
	      "the silent NIC has [] after the timeout");
	CHECK(took >= 0.6 && took < 5, "the silent NIC was waited for about the timeout (%.2f s)",
	      took);
	json_object_put(o);

	o = NULL;
	r = lldp_collect(missing, 200, &o);
	CHECK(r == -ENODEV && !o, "a NIC that does not exist fails the whole collection: %s",
	      strerror(-r));

	r = sh("ip -d link show lldp-a1 | grep -q promiscuity\\ 0");
	CHECK(r == 0, "promiscuous mode is gone with the sockets");
	return 0;
}

int main(void)
{
	int r;

	test_parse();
	r = test_capture();
	if (failures)
		return 1;
	return r == 77 ? 77 : 0;
}
