#pragma once

/*
 * The agent's log: one line per event on stderr ("ingot-agent: <level>: <text>"), which the
 * init sends to the console, and a copy in a bounded in-memory ring that
 * log.collect_system_logs returns. Messages never carry secrets (the agent token is logged as
 * "******", as IPA does).
 */

#include <stdbool.h>
#include <stddef.h>

#include "basic/macro.h"

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
};

/* Bytes of log kept in memory for log.collect_system_logs; older lines are dropped first. */
#define LOG_RING_MAX (256 * 1024)

void log_set_debug(bool debug);
void log_set_quiet(bool quiet); /* no stderr (unit tests); the ring still fills */

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...)	 log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_error(...)	 log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

/* A copy of the ring's text, oldest line first, NUL-terminated; *len without the NUL. */
char *log_ring_dup(size_t *len);
