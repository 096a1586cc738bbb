/* sources: src/agent/lldp.c src/agent/ntp.c src/basic/hexdecoct.c */
/*
 * What the agent takes from the wire beside HTTP: an LLDP frame received on a NIC
 * (lldp_frame_tlvs()) and an NTP server's answer (ntp_answer_parse()). The input is both.
 *
 * Invariants: LLDP: the TLV list covers the frame (the values' lengths and their headers add
 * up to at most the bytes after the Ethernet header, and to all of them but one stray byte),
 * types fit 7 bits, values are hex of even length. NTP: only 0 or -EBADMSG; an accepted answer
 * answers the request (originate timestamp) and gives a finite offset.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent/lldp.h"
#include "agent/ntp.h"

#include "fuzz.h"

static void lldp(const uint8_t *data, size_t size)
{
	json_object *list = NULL;
	size_t covered = 14, n;

	FUZZ_CHECK(lldp_frame_tlvs(data, size, &list) == 0, "lldp_frame_tlvs failed");
	n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *pair = json_object_array_get_idx(list, i);
		int type = json_object_get_int(json_object_array_get_idx(pair, 0));
		const char *hex = json_object_get_string(json_object_array_get_idx(pair, 1));
		size_t len = strlen(hex);

		FUZZ_CHECK(type >= 0 && type < 128, "type %d", type);
		FUZZ_CHECK(len % 2 == 0 && strspn(hex, "0123456789abcdef") == len, "value %s", hex);
		covered += 2 + len / 2;
	}
	if (size <= 14)
		FUZZ_CHECK(n == 0, "TLVs in a frame of %zu bytes", size);
	else
		FUZZ_CHECK(covered == size || covered + 1 == size, "%zu of %zu bytes", covered,
			   size);
	json_object_put(list);
}

static void ntp(const uint8_t *data, size_t size)
{
	uint64_t sent = 0;
	double offset = NAN;
	int r;

	/* the request the answer should answer: its originate timestamp, if it has one */
	for (size_t i = 24; i < 32 && i < size; i++)
		sent = sent << 8 | data[i];
	r = ntp_answer_parse(data, size, sent, 1.7e9, &offset);
	FUZZ_CHECK(r == 0 || r == -EBADMSG, "ntp_answer_parse: %d", r);
	if (r == 0)
		FUZZ_CHECK(size >= NTP_PACKET_SIZE && isfinite(offset), "offset %f", offset);
	r = ntp_answer_parse(data, size, sent + 1, 1.7e9, &offset);
	FUZZ_CHECK(r == -EBADMSG || size < 32, "an answer to another request was taken");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lldp(data, size);
	ntp(data, size);
	return 0;
}
