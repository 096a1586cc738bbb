#pragma once

/*
 * The clock, as IPA's utils.sync_clock() and standby._sync_clock(): with ipa-ntp-server, the
 * system clock is stepped to the server's time at start-up (IPA runs `chronyd -q "server X
 * iburst"` or ntpdate) and again, with the hardware clock written after it (`hwclock
 * --systohc`), before power actions. TLS needs it: a node whose RTC is wrong cannot verify
 * Ironic's certificate, nor Ironic the agent's.
 *
 * SNTP (RFC 4330): one 48-byte request, one answer, the offset from the four timestamps.
 */

#include <stddef.h>
#include <stdint.h>

#define NTP_PACKET_SIZE 48

/* An NTP timestamp of t seconds since the Unix epoch, and back. */
uint64_t ntp_timestamp_from_unix(double t);
double ntp_timestamp_to_unix(uint64_t ts);

/* The client's request (version 4, mode 3) with transmit timestamp sent. */
void ntp_request(uint8_t pkt[NTP_PACKET_SIZE], uint64_t sent);

/*
 * The server's answer to the request sent at sent (NTP timestamp), received at received (Unix
 * seconds): *ret_offset = ((T2 - T1) + (T3 - T4)) / 2, what to add to the local clock. Refused
 * with -EBADMSG: shorter than 48 bytes, not mode 4 (server), an originate timestamp other than
 * sent (not the answer to this request), a zero transmit timestamp, stratum 0 (a kiss-o'-death)
 * or above 15, or leap indicator 3 (the server's clock is not synchronised).
 */
int ntp_answer_parse(const uint8_t *pkt, size_t len, uint64_t sent, double received,
		     double *ret_offset);

/*
 * Asks host (service: the port, "123" for NTP) up to attempts times, timeout_ms each, and
 * returns 0 with the offset of the first valid answer; -ETIMEDOUT when none came, -EBADMSG
 * when only invalid ones did, or a negative errno (-ENOENT: the name does not resolve).
 */
int ntp_query(const char *host, const char *service, unsigned attempts, unsigned timeout_ms,
	      double *ret_offset);

/* Steps CLOCK_REALTIME by offset seconds. */
int ntp_clock_step(double offset);

/* `hwclock --systohc`: the system time, as UTC, into the RTC at rtc_path (RTC_SET_TIME). */
int rtc_write_system_time(int root_fd, const char *rtc_path);
