#include <limits.h>
#include <time.h>

#include "basic/time-util.h"

usec_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

int usec_to_poll_timeout(usec_t deadline, usec_t now)
{
	usec_t ms;

	if (deadline == USEC_INFINITY)
		return -1;
	if (deadline <= now)
		return 0;
	ms = (deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}
