/* sources: src/agent/ntp.c */
/*
 * SNTP (agent/ntp.h): timestamps, the answer's checks and offset on built packets, then a query
 * against a server on loopback (a thread of this test) whose clock is 1000 s ahead, one that
 * answers with a kiss-o'-death, and a port where nobody listens. The clock itself is not set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/ntp.h"
#include "basic/unaligned.h"
#include "test.h"

/* An answer to a request sent at sent: server receive at rx, transmit at tx (Unix seconds). */
static void answer(uint8_t pkt[NTP_PACKET_SIZE], uint64_t sent, double rx, double tx, unsigned leap,
		   unsigned stratum)
{
	memset(pkt, 0, NTP_PACKET_SIZE);
	pkt[0] = (uint8_t)(leap << 6 | 4 << 3 | 4);
	pkt[1] = (uint8_t)stratum;
	unaligned_write_be64(pkt + 24, sent);
	unaligned_write_be64(pkt + 32, ntp_timestamp_from_unix(rx));
	unaligned_write_be64(pkt + 40, ntp_timestamp_from_unix(tx));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_packets(void)
{
	uint8_t req[NTP_PACKET_SIZE], pkt[NTP_PACKET_SIZE];
	uint64_t sent = ntp_timestamp_from_unix(1700000000.25);
	double offset = 0;

	CHECK(fabs(ntp_timestamp_to_unix(sent) - 1700000000.25) < 1e-6,
	      "timestamps: Unix to NTP and back");
	CHECK(ntp_timestamp_from_unix(0) >> 32 == 2208988800u, "the Unix epoch in NTP's era 0");
	ntp_request(req, sent);
	CHECK(req[0] == 0x23 && memcmp(req + 40, &(uint8_t[8]){0}, 8) != 0,
	      "request: version 4, mode 3, transmit timestamp set");

	/* sent at 0 (local), received by the server at 1000.1, sent back at 1000.2, here at 0.3:
	 * the server is 1000 s ahead, the path 0.2 s long */
	answer(pkt, sent, 1700001000.35, 1700001000.45, 0, 2);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 1700000000.55, &offset) == 0 &&
		  fabs(offset - 1000.0) < 1e-3,
	      "offset of a server 1000 s ahead: %.4f", offset);
	answer(pkt, sent, 1699999990.35, 1699999990.45, 0, 2);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 1700000000.55, &offset) == 0 &&
		  fabs(offset + 10.0) < 1e-3,
	      "offset of a server 10 s behind: %.4f", offset);

	CHECK(ntp_answer_parse(pkt, 47, sent, 0, &offset) == -EBADMSG, "short: refused");
	answer(pkt, sent + 1, 1, 2, 0, 2);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 0, &offset) == -EBADMSG,
	      "an answer to another request: refused");
	answer(pkt, sent, 1, 2, 3, 2);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 0, &offset) == -EBADMSG,
	      "leap indicator 3 (clock not synchronised): refused");
	answer(pkt, sent, 1, 2, 0, 0);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 0, &offset) == -EBADMSG,
	      "stratum 0 (kiss-o'-death): refused");
	answer(pkt, sent, 1, 2, 0, 16);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 0, &offset) == -EBADMSG,
	      "stratum 16 (unsynchronised): refused");
	answer(pkt, sent, 1, 2, 0, 2);
	pkt[0] = (pkt[0] & ~7) | 3;
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 0, &offset) == -EBADMSG,
	      "mode 3 (a client's packet): refused");
	answer(pkt, sent, 1, 2, 0, 2);
	memset(pkt + 40, 0, 8);
	CHECK(ntp_answer_parse(pkt, sizeof(pkt), sent, 0, &offset) == -EBADMSG,
	      "no transmit timestamp: refused");
}

struct server {
	int fd;
	double ahead;
	unsigned stratum;
};

/* Answers every request it gets, with its clock `ahead` seconds ahead, until the fd closes. */
static void *serve(void *userdata)
{
	struct server *s = userdata;
	uint8_t req[NTP_PACKET_SIZE], pkt[NTP_PACKET_SIZE];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(s->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &len)) > 0) {
		uint64_t sent = unaligned_read_be64(req + 40);
		double t = now_s() + s->ahead;

		answer(pkt, sent, t, t + 0.001, 0, s->stratum);
		(void)sendto(s->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, len);
		len = sizeof(from);
	}
	return NULL;
}

static int start(struct server *s, pthread_t *t, char port[8])
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	snprintf(port, 8, "%u", ntohs(a.sin_port));
	return pthread_create(t, NULL, serve, s) == 0 ? 0 : -1;
}

static void stop(struct server *s, pthread_t t)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(t, NULL);
}

static void test_query(void)
{
	struct server good = {.ahead = 1000, .stratum = 2}, kod = {.ahead = 5, .stratum = 0};
	pthread_t t1, t2;
	char p1[8], p2[8], dead[8];
	double offset = 0;
	int r;

	if (start(&good, &t1, p1) < 0 || start(&kod, &t2, p2) < 0) {
		CHECK(false, "cannot start the loopback servers: %s", strerror(errno));
		return;
	}
	r = ntp_query("127.0.0.1", p1, 4, 2000, &offset);
	CHECK(r == 0 && fabs(offset - 1000.0) < 0.5,
	      "query: a server 1000 s ahead gives +1000 s (%.3f)", offset);
	r = ntp_query("127.0.0.1", p2, 2, 300, &offset);
	CHECK(r == -EBADMSG, "query: only kiss-o'-death answers: %s", strerror(-r));

	/* a port nobody serves: the one the first server had, once it is closed */
	stop(&good, t1);
	memcpy(dead, p1, sizeof(dead));
	r = ntp_query("127.0.0.1", dead, 2, 300, &offset);
	CHECK(r == -ECONNREFUSED || r == -ETIMEDOUT, "query: nobody there: %s", strerror(-r));
	r = ntp_query("no-such-host.invalid", "123", 1, 300, &offset);
	CHECK(r == -ENOENT, "query: a name that does not resolve: %s", strerror(-r));
	stop(&kod, t2);
}

int main(void)
{
	test_packets();
	test_query();
	return failures ? 1 : 0;
}
