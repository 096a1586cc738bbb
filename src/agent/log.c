#include "agent/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool log_debug_on;
static bool log_quiet;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* The ring: LOG_RING_MAX bytes, head is where the next byte goes, full once it wrapped. */
static char log_ring[LOG_RING_MAX];
static size_t log_head;
static bool log_wrapped;

static const char *const level_names[] = {
    [LOG_LEVEL_DEBUG] = "debug",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_WARNING] = "warning",
    [LOG_LEVEL_ERROR] = "error",
};

void log_set_debug(bool debug)
{
	log_debug_on = debug;
}

void log_set_quiet(bool quiet)
{
	log_quiet = quiet;
}

static void ring_append(const char *s, size_t n)
{
	while (n > 0) {
		size_t room = LOG_RING_MAX - log_head;
		size_t k = n < room ? n : room;

		memcpy(log_ring + log_head, s, k);
		log_head += k;
		s += k;
		n -= k;
		if (log_head == LOG_RING_MAX) {
			log_head = 0;
			log_wrapped = true;
		}
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (level == LOG_LEVEL_DEBUG && !log_debug_on)
		return;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02d %02d:%02d:%02d.%03ld ingot-agent: %s: ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	line[n] = '\0';

	pthread_mutex_lock(&log_lock);
	ring_append(line, n);
	if (!log_quiet) {
		/* The timestamp is for the collected log; the console has its own. */
		const char *tail = strstr(line, "ingot-agent: ");

		fputs(tail ? tail : line, stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

char *log_ring_dup(size_t *len)
{
	char *s;
	size_t n;

	pthread_mutex_lock(&log_lock);
	n = log_wrapped ? LOG_RING_MAX : log_head;
	s = malloc(n + 1);
	if (s) {
		if (log_wrapped) {
			/* Oldest part first, starting after the first partial line. */
			size_t old = LOG_RING_MAX - log_head;
			char *nl;

			memcpy(s, log_ring + log_head, old);
			memcpy(s + old, log_ring, log_head);
			nl = memchr(s, '\n', n);
			if (nl) {
				size_t skip = (size_t)(nl - s) + 1;

				memmove(s, s + skip, n - skip);
				n -= skip;
			}
		} else {
			memcpy(s, log_ring, n);
		}
		s[n] = '\0';
	}
	pthread_mutex_unlock(&log_lock);
	if (s && len)
		*len = n;
	return s;
}
