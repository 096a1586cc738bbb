#pragma once

/*
 * LLDP as IPA collects it (netutils.get_lldp_info(), GenericHardwareManager.collect_lldp_data()):
 * with ipa-collect-lldp the inventory's interfaces carry the TLVs of the first LLDP frame each
 * NIC received, and the inspection collector "lldp" sends the same object as lldp_raw.
 *
 * The shape is IPA's: {"eth0": [[1, "04525400123456"], [2, "..."], ..., [0, ""]], "eth1": []},
 * one [type, "hex of the value"] pair per TLV in frame order, the End TLV included; a NIC that
 * received nothing before the timeout has an empty list.
 */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define LLDP_ETHERTYPE 0x88cc
/* IPA's sock.recv(1600): bytes of a frame looked at, the rest of a longer one is cut */
#define LLDP_FRAME_MAX 1600
/* interfaces listened on at once, beyond which lldp_collect() refuses with -E2BIG */
#define LLDP_IFACES_MAX 64

/*
 * _parse_tlv() of one received frame (Ethernet header included): the TLVs after its 14 bytes,
 * each 7 bits of type and 9 of length, read until the frame ends, so Ethernet padding after
 * the End TLV shows as more [0, ""] pairs, as in IPA. A value cut short by the end of the frame
 * is taken as far as it goes (Python's slicing); a single byte left over ends the list (IPA
 * raises there and loses the LLDP data of every NIC). A frame shorter than its header gives
 * an empty list. Returns 0 with *ret (a new array) or -ENOMEM.
 */
int lldp_frame_tlvs(const uint8_t *frame, size_t len, json_object **ret);

/*
 * Listens on each of ifnames ("lo" left out) for LLDP frames in promiscuous mode, as IPA's
 * RawPromiscuousSockets, until every NIC got one frame or timeout_ms passed without any frame
 * arriving (IPA's select() timeout, restarted after each frame). Promiscuous mode is taken as a
 * packet-socket membership, which the kernel drops when the socket closes. Returns 0 with *ret
 * (a new object keyed by interface name), or a negative errno when a socket cannot be opened or
 * bound, where IPA gives up on all of them; the caller then has no LLDP data (null in the
 * inventory).
 */
int lldp_collect(char *const *ifnames, unsigned timeout_ms, json_object **ret);
