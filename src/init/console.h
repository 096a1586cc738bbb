#pragma once

/*
 * The console: init's stdio and its log.
 *
 * The kernel routes /dev/console to one console only (the last console= given), but a node may
 * have several (console=tty0 console=ttyS0: VGA and serial). Log lines therefore go to every
 * device listed in /sys/class/tty/console/active, once each. The last one listed is the device
 * behind /dev/console and is written through /dev/console: when a session leader whose
 * controlling tty it is exits (the rescue shell), the kernel hangs up every file open on that
 * tty by its own name, but not those opened as /dev/console. The others are opened by name.
 * Without that list lines go to stderr, which is /dev/console. Each line is written with one
 * write() per device and starts with "ingot-init: ".
 */

#include <stddef.h>

#include "basic/macro.h"

#define CONSOLE_MAX	 8
#define CONSOLE_NAME_MAX 32
#define CONSOLE_PREFIX	 "ingot-init: "

struct console {
	int fds[CONSOLE_MAX];
	size_t n_fds;
	/* The device behind /dev/console ("/dev/ttyS0"): the last active console, for a shell. */
	char tty[sizeof("/dev/") + CONSOLE_NAME_MAX];
	/* A copy of the log in a file (CONSOLE_LOG_FILE), for the agent's collected logs. */
	int log_fd;
};

#define CONSOLE_LOG_FILE "/run/ingot/init.log"
#define CONSOLE_LOG_MAX	 (1024 * 1024) /* later lines go to the consoles only */

/*
 * Splits the text of /sys/class/tty/console/active into at most max device names, in order.
 * Words that are not plain device names ([A-Za-z0-9_.-], no "." or "..", shorter than
 * CONSOLE_NAME_MAX, not "console") and repeats are dropped. Returns the number of names.
 */
size_t console_parse_active(const char *buf, char names[][CONSOLE_NAME_MAX], size_t max);

/* Opens /dev/console (or /dev/null when that fails) as fds 0, 1 and 2. Returns 0 or -errno. */
int console_setup_stdio(void);

/* A console that logs to stderr until console_open(). */
void console_init(struct console *c);

/* Opens the active consoles (see above); falls back to stderr when none opens. */
void console_open(struct console *c);

void console_done(struct console *c);

/* Copies every later line to path too (created 0600 with its directory). Returns 0 or -errno. */
int console_open_log(struct console *c, const char *path);

/* Logs one line; a trailing newline is added. Long lines are cut at about 1 KiB. */
void console_log(const struct console *c, const char *fmt, ...) _printf_(2, 3);
