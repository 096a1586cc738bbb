#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/time-util.h"
#include "init/mount.h"
#include "init/power.h"

static const struct {
	int signo;
	enum power_action action;
} power_signals[] = {
    {SIGUSR2, POWER_OFF},
    {SIGTERM, POWER_REBOOT},
    {SIGINT, POWER_REBOOT},
    {SIGUSR1, POWER_HALT},
};

static const struct {
	const char *marker;
	int cmd;
} power_actions[] = {
    [POWER_OFF] = {"powering off", RB_POWER_OFF},
    [POWER_REBOOT] = {"rebooting", RB_AUTOBOOT},
    [POWER_HALT] = {"halting", RB_HALT_SYSTEM},
};

int power_action_from_signal(int signo, enum power_action *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(power_signals); i++)
		if (power_signals[i].signo == signo) {
			*ret = power_signals[i].action;
			return 0;
		}
	return -EINVAL;
}

void power_disable_cad(void)
{
	(void)reboot(RB_DISABLE_CAD);
}

/* Reaps until no child is left or timeout passed. Returns true when none is left. */
static bool reap_all(usec_t timeout)
{
	usec_t deadline = now_usec() + timeout;

	for (;;) {
		const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
		pid_t pid;

		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return true;
		if (now_usec() >= deadline)
			return false;
		nanosleep(&pause, NULL);
	}
}

int power_shutdown(enum power_action action, const struct console *con)
{
	console_log(con, "%s", power_actions[action].marker);

	/* kill(-1) spares PID 1 itself. */
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	if (!reap_all(POWER_TERM_TIMEOUT_SEC * USEC_PER_SEC)) {
		kill(-1, SIGKILL);
		reap_all(USEC_PER_SEC);
	}

	sync();
	mount_teardown();
	sync();

	if (reboot(power_actions[action].cmd) < 0) {
		int r = negative_errno();

		console_log(con, "reboot() failed: %s", strerror(-r));
		return r;
	}
	return 0;
}
