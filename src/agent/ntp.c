#include <errno.h>
#include <fcntl.h>
#include <linux/rtc.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/ntp.h"
#include "basic/macro.h"
#include "basic/unaligned.h"

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define NTP_UNIX_DELTA 2208988800ULL

uint64_t ntp_timestamp_from_unix(double t)
{
	double s = t + (double)NTP_UNIX_DELTA;
	uint64_t whole = (uint64_t)s;

	return whole << 32 | (uint64_t)((s - (double)whole) * 4294967296.0);
}

double ntp_timestamp_to_unix(uint64_t ts)
{
	return (double)(ts >> 32) - (double)NTP_UNIX_DELTA +
	       (double)(ts & 0xffffffffu) / 4294967296.0;
}

void ntp_request(uint8_t pkt[NTP_PACKET_SIZE], uint64_t sent)
{
	memset(pkt, 0, NTP_PACKET_SIZE);
	pkt[0] = 0 << 6 | 4 << 3 | 3; /* no leap warning, version 4, client */
	unaligned_write_be64(pkt + 40, sent);
}

int ntp_answer_parse(const uint8_t *pkt, size_t len, uint64_t sent, double received,
		     double *ret_offset)
{
	uint64_t originate, rx, tx;
	unsigned leap, mode, stratum;

	if (len < NTP_PACKET_SIZE)
		return -EBADMSG;
	leap = pkt[0] >> 6;
	mode = pkt[0] & 7;
	stratum = pkt[1];
	originate = unaligned_read_be64(pkt + 24);
	rx = unaligned_read_be64(pkt + 32);
	tx = unaligned_read_be64(pkt + 40);
	if (mode != 4 || leap == 3 || stratum == 0 || stratum > 15 || originate != sent || tx == 0)
		return -EBADMSG;
	*ret_offset = ((ntp_timestamp_to_unix(rx) - ntp_timestamp_to_unix(sent)) +
		       (ntp_timestamp_to_unix(tx) - received)) /
		      2;
	return 0;
}

static double now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request and the answers to it, until one is valid or timeout_ms passed. */
static int ask(int fd, unsigned timeout_ms, double *ret_offset)
{
	uint8_t pkt[NTP_PACKET_SIZE], answer[NTP_PACKET_SIZE * 2];
	uint64_t sent = ntp_timestamp_from_unix(now_realtime());
	struct timespec start;
	int r = -ETIMEDOUT;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ntp_request(pkt, sent);
	if (send(fd, pkt, sizeof(pkt), 0) < 0)
		return negative_errno();
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct timespec now;
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
					   (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return r;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recv(fd, answer, sizeof(answer), 0);
		if (n < 0) {
			/* an ICMP error on the connected socket: nobody serves NTP there */
			if (errno != EAGAIN && errno != EINTR)
				r = negative_errno();
			continue;
		}
		if (ntp_answer_parse(answer, (size_t)n, sent, now_realtime(), ret_offset) == 0)
			return 0;
		r = -EBADMSG;
	}
}

int ntp_query(const char *host, const char *service, unsigned attempts, unsigned timeout_ms,
	      double *ret_offset)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
	int r = -ETIMEDOUT;

	if (getaddrinfo(host, service, &hints, &ai) != 0 || !ai)
		return -ENOENT;
	for (unsigned i = 0; i < attempts; i++) {
		_cleanup_close_ int fd =
		    socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			r = negative_errno();
			break;
		}
		r = ask(fd, timeout_ms, ret_offset);
		if (r == 0)
			break;
	}
	freeaddrinfo(ai);
	return r;
}

int ntp_clock_step(double offset)
{
	double t = now_realtime() + offset;
	struct timespec ts = {.tv_sec = (time_t)t};

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	return clock_settime(CLOCK_REALTIME, &ts) < 0 ? negative_errno() : 0;
}

int rtc_write_system_time(int root_fd, const char *rtc_path)
{
	_cleanup_close_ int fd = openat(root_fd, rtc_path, O_RDONLY | O_CLOEXEC);
	struct rtc_time rt = {0};
	time_t now = time(NULL);
	struct tm tm;

	if (fd < 0)
		return negative_errno();
	if (!gmtime_r(&now, &tm))
		return -EOVERFLOW;
	rt.tm_sec = tm.tm_sec;
	rt.tm_min = tm.tm_min;
	rt.tm_hour = tm.tm_hour;
	rt.tm_mday = tm.tm_mday;
	rt.tm_mon = tm.tm_mon;
	rt.tm_year = tm.tm_year;
	rt.tm_wday = tm.tm_wday;
	rt.tm_yday = tm.tm_yday;
	rt.tm_isdst = -1;
	return ioctl(fd, RTC_SET_TIME, &rt) < 0 ? negative_errno() : 0;
}
