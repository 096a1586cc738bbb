#pragma once

/* Monotonic time in microseconds: deadlines and backoffs never follow wall-clock jumps. */

#include <stdint.h>

typedef uint64_t usec_t;

#define USEC_PER_MSEC ((usec_t)1000)
#define USEC_PER_SEC  ((usec_t)1000000)
#define USEC_INFINITY ((usec_t)UINT64_MAX)

/* CLOCK_MONOTONIC now; never fails on Linux. */
usec_t now_usec(void);

/* Milliseconds from now until deadline for poll(): 0 if past, -1 for USEC_INFINITY, rounded up. */
int usec_to_poll_timeout(usec_t deadline, usec_t now);
