#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fs-util.h"
#include "basic/macro.h"
#include "basic/strv.h"
#include "init/manager.h"
#include "init/modules.h"
#include "init/mount.h"
#include "init/power.h"

#define WAIT_TICK (100 * USEC_PER_MSEC) /* lease polling while waiting for the first one */
#define RUN_TICK  USEC_PER_SEC		/* afterwards */

static const int manager_signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2};

static const struct service_policy agent_policy = {
    .backoff_min = 1,
    .backoff_max = 60,
    .reset_after = 60,
};

static const struct service_policy shell_policy = {
    .backoff_min = 1,
    .backoff_max = 60,
    .reset_after = 60,
};

void manager_init(struct manager *m)
{
	*m = (struct manager){.sigfd = -1, .phase = MANAGER_WAIT_NETWORK};
	console_init(&m->con);
	config_init(&m->config);
}

void manager_done(struct manager *m)
{
	if (m->shell_enabled)
		service_done(&m->shell);
	if (m->agent_enabled)
		service_done(&m->agent);
	free(m->agent_command);
	net_done(&m->net);
	config_done(&m->config);
	m->sigfd = safe_close(m->sigfd);
	console_done(&m->con);
}

/* Signals are blocked first so that none is lost while the rest of setup runs. */
static int setup_signals(struct manager *m)
{
	sigset_t mask;

	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(manager_signals); i++)
		sigaddset(&mask, manager_signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	m->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0)
		return negative_errno();
	power_disable_cad();
	return 0;
}

static void setup_shell(struct manager *m)
{
	const struct spawn_options o = {
	    .tty = m->con.tty,
	    .new_session = true,
	    .controlling_tty = true,
	};
	char **argv = NULL;

	if (strv_extend(&argv, "/bin/sh") < 0 || strv_extend(&argv, "-l") < 0) {
		strv_free(argv);
		console_log(&m->con, "failed to set up rescue shell: %s", strerror(ENOMEM));
		return;
	}
	service_init(&m->shell, argv, &o, &shell_policy);
	m->shell_enabled = true;
}

static void start_shell(struct manager *m, usec_t now)
{
	int r = service_start(&m->shell, now);

	if (r < 0) {
		unsigned delay = service_schedule_restart(&m->shell, now);

		console_log(&m->con, "failed to start rescue shell on '%s': %s, retrying in %u s",
			    m->con.tty, strerror(-r), delay);
		return;
	}
	console_log(&m->con, "rescue shell on %s", m->con.tty);
}

/* Splits AGENT and checks the program exists; logs the outcome when there is nothing to run. */
static void setup_agent(struct manager *m)
{
	const struct spawn_options o = {.tty = "/dev/console", .new_session = true};
	_cleanup_strv_free_ char **argv = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	r = strv_split(m->config.agent ? m->config.agent : "", MANAGER_AGENT_WORDS_MAX, &argv);
	if (r < 0) {
		console_log(&m->con, "invalid agent command line: %s", strerror(-r));
		return;
	}
	if (!argv[0]) {
		console_log(&m->con, "no agent configured");
		return;
	}
	r = path_find_executable(argv[0], DEFAULT_PATH, &path);
	if (r == -ENOENT) {
		console_log(&m->con, "agent '%s' not found", argv[0]);
		return;
	}
	r = strv_join(argv, " ", &m->agent_command);
	if (r < 0) {
		console_log(&m->con, "failed to set up agent: %s", strerror(-r));
		return;
	}
	service_init(&m->agent, TAKE_PTR(argv), &o, &agent_policy);
	m->agent_enabled = true;
}

static void start_agent(struct manager *m, usec_t now)
{
	int r = service_start(&m->agent, now);

	if (r < 0) {
		unsigned delay = service_schedule_restart(&m->agent, now);

		console_log(&m->con, "failed to start agent '%s': %s, retrying in %u s",
			    m->agent.argv[0], strerror(-r), delay);
		return;
	}
	console_log(&m->con, "agent started: pid %d: %s", (int)m->agent.pid, m->agent_command);
}

/* Opens /dev/null on whichever of fds 0-2 is closed. */
static void stdio_make_valid(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return; /* nothing better to do; console_setup_stdio() tries again */
}

void manager_setup(struct manager *m)
{
	usec_t now;
	int r, r2;

	umask(022);
	/* Before any other fd: a kernel without a console starts us with 0-2 closed, and the
	 * signalfd must not become stdin. */
	stdio_make_valid();
	r = setup_signals(m);
	/* Mount errors go to the kernel's initial console until console_open(). */
	(void)mount_setup(&m->con);
	r2 = console_setup_stdio();
	if (r2 < 0)
		console_log(&m->con, "failed to open '/dev/console': %s", strerror(-r2));
	console_open(&m->con);
	r2 = console_open_log(&m->con, CONSOLE_LOG_FILE);
	console_log(&m->con, "started (firmware %s)", firmware_is_uefi() ? "uefi" : "bios");
	if (r < 0)
		console_log(&m->con, "failed to set up signal handling: %s", strerror(-r));
	if (r2 < 0)
		console_log(&m->con, "no log file '%s': %s", CONSOLE_LOG_FILE, strerror(-r2));

	config_load(&m->config, &m->con);

	/* The shell comes first: it is how to look at a coldplug or a network that hangs. */
	if (m->config.shell) {
		setup_shell(m);
		if (m->shell_enabled)
			start_shell(m, now_usec());
	}

	if (m->config.modules_coldplug)
		modules_coldplug(&m->con);

	now = now_usec();
	net_init(&m->net, &m->config);
	net_start(&m->net, &m->con, now);
	m->network_deadline = now + (usec_t)m->config.dhcp_timeout * USEC_PER_SEC;
	m->next_net_tick = now;
}

static void reap(struct manager *m)
{
	char text[64];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		usec_t now = now_usec();
		unsigned delay;

		if (m->agent_enabled && pid == m->agent.pid) {
			/* What the agent started (a dd, a qemu-img) must not write on beside the
			 * next agent: its session leader is gone, end the whole process group. */
			(void)kill(-pid, SIGKILL);
			spawn_status_format(status, text, sizeof(text));
			delay = service_schedule_restart(&m->agent, now);
			console_log(&m->con, "agent exited (%s), restarting in %u s", text, delay);
		} else if (m->shell_enabled && pid == m->shell.pid) {
			spawn_status_format(status, text, sizeof(text));
			delay = service_schedule_restart(&m->shell, now);
			console_log(&m->con, "rescue shell exited (%s), restarting in %u s", text,
				    delay);
		} else {
			/* A udhcpc, or an orphan reparented to PID 1: reaping was all it needed. */
			(void)net_child_exited(&m->net, &m->con, pid, status, now);
		}
	}
}

static void enter_running(struct manager *m, usec_t now)
{
	m->phase = MANAGER_RUNNING;
	setup_agent(m);
	if (m->agent_enabled)
		start_agent(m, now);
}

static void tick(struct manager *m, usec_t now)
{
	if (now >= m->next_net_tick) {
		net_tick(&m->net, &m->con, now);
		m->next_net_tick = now + (m->phase == MANAGER_WAIT_NETWORK ? WAIT_TICK : RUN_TICK);
	}

	if (m->phase == MANAGER_WAIT_NETWORK) {
		if (net_has_lease(&m->net)) {
			enter_running(m, now);
		} else if (now >= m->network_deadline) {
			console_log(&m->con, "network timeout: no DHCP lease after %u s",
				    m->config.dhcp_timeout);
			if (m->net.has_bootif && !net_bootif_found(&m->net))
				console_log(&m->con, "no interface has the BOOTIF address");
			enter_running(m, now);
		}
	}

	if (m->agent_enabled && service_restart_due(&m->agent, now))
		start_agent(m, now);
	if (m->shell_enabled && service_restart_due(&m->shell, now))
		start_shell(m, now);
}

static usec_t next_deadline(const struct manager *m)
{
	usec_t t = m->next_net_tick;

	if (m->phase == MANAGER_WAIT_NETWORK)
		t = MIN(t, m->network_deadline);
	if (m->agent_enabled && m->agent.pid == 0)
		t = MIN(t, m->agent.restart_at);
	if (m->shell_enabled && m->shell.pid == 0)
		t = MIN(t, m->shell.restart_at);
	return MIN(t, net_next_restart(&m->net));
}

static void handle_signals(struct manager *m)
{
	struct signalfd_siginfo si;
	enum power_action action;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (power_action_from_signal((int)si.ssi_signo, &action) < 0)
			continue; /* SIGCHLD: the next reap() handles it */
		(void)power_shutdown(action, &m->con);
		/* Still here: reboot(2) failed. Carry on rather than leave the kernel to panic. */
	}
}

int manager_run(struct manager *m)
{
	for (;;) {
		struct pollfd pfd = {.fd = m->sigfd, .events = POLLIN};
		usec_t now;
		int timeout, r;

		reap(m);
		now = now_usec();
		tick(m, now);

		timeout = usec_to_poll_timeout(next_deadline(m), now_usec());
		if (m->sigfd < 0 && (timeout < 0 || timeout > 1000))
			timeout = 1000; /* no signalfd: reap by polling */

		r = poll(&pfd, m->sigfd >= 0 ? 1 : 0, timeout);
		if (r < 0 && errno != EINTR)
			return negative_errno();
		if (r > 0)
			handle_signals(m);
	}
}
