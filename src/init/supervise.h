#pragma once

/*
 * Starting children, and keeping long-running ones alive.
 *
 * spawn() forks and execs with a clean signal mask and environment and reports exec failures
 * synchronously (through a close-on-exec pipe), so "not found" never looks like a crash.
 * A service is a child that is restarted after it exits, with exponential backoff: delays go
 * backoff_min, 2x, 4x ... up to backoff_max, and start over at backoff_min when the child had
 * run for reset_after seconds. Reaping is the caller's: it calls waitpid() and hands the
 * service its exit.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/time-util.h"

/* PATH, HOME=/, TERM=linux: what every child of init sees. */
#define SPAWN_ENV_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define SPAWN_ENV_HOME "HOME=/"
#define SPAWN_ENV_TERM "TERM=linux"

struct spawn_options {
	const char *tty;      /* stdio on this device; NULL keeps init's (the console) */
	bool new_session;     /* setsid() */
	bool controlling_tty; /* tty becomes the controlling terminal; needs new_session */
	bool stdin_null;      /* stdin from /dev/null, after tty */
	char *const *env;     /* NULL: the three variables above */
};

/*
 * Starts argv; argv[0] without '/' is looked up in the default PATH. Returns 0 with *ret_pid
 * once the child has exec'ed, or a negative errno (-ENOENT for a missing program) with no
 * child left behind.
 */
int spawn(char *const argv[], const struct spawn_options *o, pid_t *ret_pid);

/*
 * spawn() and wait up to timeout for the child. Returns 0 with *ret_status (waitpid() status),
 * -ETIMEDOUT when it still runs (the child is left to the caller's reaper), or a spawn error.
 */
int spawn_and_wait(char *const argv[], const struct spawn_options *o, usec_t timeout,
		   int *ret_status);

/* "exit status 3", "killed by signal 9" for a waitpid() status. */
void spawn_status_format(int status, char *buf, size_t size);

struct service_policy {
	unsigned backoff_min; /* seconds */
	unsigned backoff_max;
	unsigned reset_after; /* a run this long resets the backoff; 0: always */
};

struct service {
	char **argv; /* owned */
	struct spawn_options opts;
	struct service_policy policy;
	pid_t pid; /* 0 while not running */
	usec_t started_at;
	usec_t restart_at; /* USEC_INFINITY: no restart scheduled */
	unsigned backoff;  /* the next delay, seconds */
};

/* Takes ownership of argv. Not started. */
void service_init(struct service *s, char **argv, const struct spawn_options *o,
		  const struct service_policy *p);
void service_done(struct service *s);

/* Starts it now. Returns 0 or a spawn() error; on error call service_schedule_restart(). */
int service_start(struct service *s, usec_t now);

/*
 * After the child exited (or failed to start): forgets the pid and schedules the restart by
 * the backoff policy. Returns the delay in seconds.
 */
unsigned service_schedule_restart(struct service *s, usec_t now);

/* Whether a scheduled restart is due. */
bool service_restart_due(const struct service *s, usec_t now);
