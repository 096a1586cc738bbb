#define _GNU_SOURCE 1 /* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs-util.h"
#include "basic/macro.h"
#include "basic/strv.h"
#include "init/supervise.h"

static char *const spawn_default_env[] = {SPAWN_ENV_PATH, SPAWN_ENV_HOME, SPAWN_ENV_TERM, NULL};

static int move_to_stdio(int fd, int first, int last)
{
	for (int i = first; i <= last; i++)
		if (fd != i && dup2(fd, i) < 0)
			return -1;
	if (fd > last)
		close(fd);
	return 0;
}

/* Runs in the child: everything here either execs or reports errno and exits. */
static _noreturn_ void spawn_child(const char *path, char *const argv[],
				   const struct spawn_options *o, int errfd)
{
	sigset_t none;
	int fd, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (o->new_session && setsid() < 0)
		goto fail;

	if (o->tty) {
		/* No O_CLOEXEC: this becomes stdio. O_NONBLOCK: do not wait for carrier. */
		fd = open(o->tty, O_RDWR | O_NONBLOCK | (o->controlling_tty ? 0 : O_NOCTTY));
		if (fd < 0)
			goto fail;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		if (o->controlling_tty && ioctl(fd, TIOCSCTTY, 1) < 0)
			goto fail;
		if (move_to_stdio(fd, STDIN_FILENO, STDERR_FILENO) < 0)
			goto fail;
	}
	if (o->stdin_null) {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || move_to_stdio(fd, STDIN_FILENO, STDIN_FILENO) < 0)
			goto fail;
	}

	execve(path, argv, o->env ? o->env : spawn_default_env);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

int spawn(char *const argv[], const struct spawn_options *o, pid_t *ret_pid)
{
	_cleanup_free_ char *path = NULL;
	int pipefd[2], e = 0, r;
	ssize_t n;
	pid_t pid;

	if (!argv || !argv[0])
		return -EINVAL;
	r = path_find_executable(argv[0], DEFAULT_PATH, &path);
	if (r < 0)
		return r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return negative_errno();

	pid = fork();
	if (pid < 0) {
		r = negative_errno();
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		close(pipefd[0]);
		spawn_child(path, argv, o, pipefd[1]);
	}

	close(pipefd[1]);
	/* EOF: exec succeeded and closed the pipe; an int: the child's errno. */
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);

	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return e > 0 ? -e : -EIO;
	}
	*ret_pid = pid;
	return 0;
}

int spawn_and_wait(char *const argv[], const struct spawn_options *o, usec_t timeout,
		   int *ret_status)
{
	sigset_t chld, old;
	usec_t deadline;
	int r, status;
	pid_t pid;

	/* sigtimedwait() sees SIGCHLD only while it is blocked (it is, in init). */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);

	r = spawn(argv, o, &pid);
	if (r < 0)
		goto out;

	deadline = now_usec() + timeout;
	for (;;) {
		struct timespec ts;
		usec_t now, left;
		pid_t k;

		k = waitpid(pid, &status, WNOHANG);
		if (k == pid) {
			*ret_status = status;
			r = 0;
			goto out;
		}
		if (k < 0 && errno != EINTR) {
			r = negative_errno();
			goto out;
		}
		now = now_usec();
		if (now >= deadline) {
			r = -ETIMEDOUT;
			goto out;
		}
		left = deadline - now;
		ts.tv_sec = (time_t)(left / USEC_PER_SEC);
		ts.tv_nsec = (long)(left % USEC_PER_SEC) * 1000;
		sigtimedwait(&chld, NULL, &ts);
	}
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

void spawn_status_format(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d%s", WTERMSIG(status),
			 WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned)status);
}

void service_init(struct service *s, char **argv, const struct spawn_options *o,
		  const struct service_policy *p)
{
	*s = (struct service){
	    .argv = argv,
	    .opts = *o,
	    .policy = *p,
	    .restart_at = USEC_INFINITY,
	    .backoff = p->backoff_min,
	};
}

void service_done(struct service *s)
{
	s->argv = strv_free(s->argv);
}

int service_start(struct service *s, usec_t now)
{
	pid_t pid;
	int r;

	s->restart_at = USEC_INFINITY;
	r = spawn(s->argv, &s->opts, &pid);
	if (r < 0)
		return r;
	s->pid = pid;
	s->started_at = now;
	return 0;
}

unsigned service_schedule_restart(struct service *s, usec_t now)
{
	unsigned delay;

	if (s->pid > 0 && now - s->started_at >= (usec_t)s->policy.reset_after * USEC_PER_SEC)
		s->backoff = s->policy.backoff_min;
	delay = s->backoff;
	s->backoff = MIN(s->backoff * 2, s->policy.backoff_max);
	if (s->backoff < s->policy.backoff_min)
		s->backoff = s->policy.backoff_min;

	s->pid = 0;
	s->restart_at = now + (usec_t)delay * USEC_PER_SEC;
	return delay;
}

bool service_restart_due(const struct service *s, usec_t now)
{
	return s->pid == 0 && s->restart_at != USEC_INFINITY && now >= s->restart_at;
}
