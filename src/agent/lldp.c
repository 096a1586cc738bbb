/*
 * LLDP frames on packet sockets, one per NIC, bound to that NIC and to the LLDP ethertype only,
 * so nothing of another NIC or protocol is queued on them.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/json-util.h"
#include "agent/lldp.h"
#include "basic/hexdecoct.h"
#include "basic/macro.h"

#define ETHER_HEADER_LEN 14

int lldp_frame_tlvs(const uint8_t *frame, size_t len, json_object **ret)
{
	_cleanup_json_ json_object *list = json_object_new_array();
	size_t off = ETHER_HEADER_LEN;

	if (!list)
		return -ENOMEM;
	while (len > ETHER_HEADER_LEN && off + 2 <= len) {
		unsigned hdr = (unsigned)frame[off] << 8 | frame[off + 1];
		size_t vlen = MIN((size_t)(hdr & 0x1ff), len - off - 2);
		char hex[2 * 0x1ff + 1];
		json_object *pair = json_object_new_array();

		if (!pair || json_object_array_add(list, pair) < 0) {
			json_object_put(pair);
			return -ENOMEM;
		}
		hex_encode(frame + off + 2, vlen, hex);
		if (json_object_array_add(pair, json_object_new_int((int)(hdr >> 9))) < 0 ||
		    json_object_array_add(pair, json_object_new_string(hex)) < 0)
			return -ENOMEM;
		off += 2 + vlen;
	}
	*ret = TAKE_PTR(list);
	return 0;
}

/* A packet socket on ifname for LLDP frames only, in promiscuous mode while it is open. */
static int lldp_socket(const char *ifname)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(LLDP_ETHERTYPE)};
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	unsigned ifindex = if_nametoindex(ifname);

	if (ifindex == 0)
		return negative_errno();
	/* protocol 0: nothing arrives before bind() names the NIC and the ethertype */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	sll.sll_ifindex = (int)ifindex;
	mr.mr_ifindex = (int)ifindex;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return negative_errno();
	return TAKE_FD(fd);
}

struct listener {
	const char *name;
	int fd;
	json_object *tlvs; /* NULL until a frame came */
};

static void listeners_done(struct listener *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (l[i].fd >= 0)
			close(l[i].fd);
		json_object_put(l[i].tlvs);
	}
}

/* The frame queued on l, if any, becomes its TLVs. */
static int listener_read(struct listener *l)
{
	uint8_t frame[LLDP_FRAME_MAX];
	ssize_t n = recv(l->fd, frame, sizeof(frame), MSG_TRUNC);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
	return lldp_frame_tlvs(frame, MIN((size_t)n, sizeof(frame)), &l->tlvs);
}

int lldp_collect(char *const *ifnames, unsigned timeout_ms, json_object **ret)
{
	struct listener l[LLDP_IFACES_MAX];
	struct pollfd p[LLDP_IFACES_MAX];
	_cleanup_json_ json_object *result = json_object_new_object();
	size_t n = 0, waiting;
	int r = 0;

	if (!result)
		return -ENOMEM;
	for (size_t i = 0; ifnames && ifnames[i]; i++) {
		if (strcmp(ifnames[i], "lo") == 0)
			continue;
		if (n == LLDP_IFACES_MAX) {
			r = -E2BIG;
			goto out;
		}
		l[n] = (struct listener){.name = ifnames[i], .fd = lldp_socket(ifnames[i])};
		if (l[n].fd < 0) {
			r = l[n].fd;
			goto out;
		}
		n++;
	}

	for (waiting = n; waiting > 0;) {
		size_t m = 0;
		int k;

		for (size_t i = 0; i < n; i++)
			if (!l[i].tlvs)
				p[m++] = (struct pollfd){.fd = l[i].fd, .events = POLLIN};
		k = poll(p, m, timeout_ms > INT32_MAX ? -1 : (int)timeout_ms);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = negative_errno();
			goto out;
		}
		if (k == 0)
			break; /* IPA: "LLDP timed out", the rest get [] */
		for (size_t i = 0; i < n; i++) {
			if (l[i].tlvs)
				continue;
			r = listener_read(&l[i]);
			if (r < 0)
				goto out;
			if (l[i].tlvs)
				waiting--;
		}
	}

	for (size_t i = 0; i < n; i++) {
		json_object *tlvs = l[i].tlvs ? TAKE_PTR(l[i].tlvs) : json_object_new_array();

		if (!tlvs || json_object_object_add(result, l[i].name, tlvs) < 0) {
			json_object_put(tlvs);
			r = -ENOMEM;
			goto out;
		}
	}
	*ret = TAKE_PTR(result);
out:
	listeners_done(l, n);
	return r;
}
