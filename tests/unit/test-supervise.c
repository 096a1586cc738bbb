#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/strv.h"
#include "init/supervise.h"

#include "test.h"

static int run_sh(const char *script, const struct spawn_options *o, int *status)
{
	char *argv[] = {"sh", "-c", (char *)script, NULL};

	return spawn_and_wait(argv, o, 5 * USEC_PER_SEC, status);
}

static void check_backoff(void)
{
	const struct service_policy p = {.backoff_min = 1, .backoff_max = 60, .reset_after = 60};
	const unsigned expected[] = {1, 2, 4, 8, 16, 32, 60, 60};
	const struct spawn_options o = {0};
	struct service s;
	usec_t now = 1000 * USEC_PER_SEC;
	bool ok = true;
	unsigned d;

	service_init(&s, NULL, &o, &p);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		s.pid = 42; /* as if started */
		s.started_at = now;
		now += 5 * USEC_PER_SEC; /* ran 5 s */
		d = service_schedule_restart(&s, now);
		ok = ok && d == expected[i] && s.restart_at == now + d * USEC_PER_SEC && s.pid == 0;
		CHECK(!service_restart_due(&s, now) &&
			  service_restart_due(&s, now + d * USEC_PER_SEC),
		      "restart due after %u s, not before", d);
		now += d * USEC_PER_SEC;
	}
	CHECK(ok, "quick exits back off 1 2 4 8 16 32 60 60");

	s.pid = 42;
	s.started_at = now;
	now += 60 * USEC_PER_SEC;
	d = service_schedule_restart(&s, now);
	CHECK(d == 1, "a run of 60 s resets the backoff to 1 s (got %u)", d);
	s.pid = 42;
	s.started_at = now;
	d = service_schedule_restart(&s, now + USEC_PER_SEC);
	CHECK(d == 2, "and it grows again after (got %u)", d);

	d = service_schedule_restart(&s, now); /* failed to start: pid 0 */
	CHECK(d == 4, "start failures back off too (got %u)", d);
	service_done(&s);

	{
		const struct service_policy sp = {.backoff_min = 1, .backoff_max = 1};
		bool all1 = true;

		service_init(&s, NULL, &o, &sp);
		for (int i = 0; i < 5; i++) {
			s.pid = 42;
			s.started_at = now;
			all1 = all1 && service_schedule_restart(&s, now) == 1;
		}
		CHECK(all1, "fixed policy (rescue shell) always waits 1 s");
		service_done(&s);
	}
}

int main(void)
{
	const struct spawn_options o = {0};
	char *missing[] = {"ingot-test-no-such-program", NULL};
	char notexec_path[] = "/tmp/test-supervise.XXXXXX";
	char *notexec[] = {notexec_path, NULL};
	char *sleeper[] = {"sleep", "1", NULL};
	char text[64];
	int r, status = -1;
	pid_t pid = 0;

	check_backoff();

	spawn_status_format(3 << 8, text, sizeof(text));
	CHECK(strcmp(text, "exit status 3") == 0, "status text '%s'", text);
	spawn_status_format(SIGKILL, text, sizeof(text));
	CHECK(strcmp(text, "killed by signal 9") == 0, "status text '%s'", text);

	r = run_sh("exit 3", &o, &status);
	CHECK(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3, "spawn_and_wait: exit 3");

	setenv("INGOT_TEST_LEAK", "1", 1);
	r = run_sh("test \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin && test \"$HOME\" = / && "
		   "test \"$TERM\" = linux && test -z \"${INGOT_TEST_LEAK:-}\"",
		   &o, &status);
	CHECK(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "children get PATH, HOME, TERM and nothing of init's environment");

	{
		char *const env[] = {"PATH=/bin:/usr/bin", "X=y", NULL};
		const struct spawn_options oe = {.env = env};

		r = run_sh("test \"$X\" = y", &oe, &status);
		CHECK(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "explicit environment is passed");
	}

	{
		const struct spawn_options os = {.new_session = true};

		r = run_sh("set -- $(cat /proc/$$/stat); test \"$6\" = $$", &os, &status);
		CHECK(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "new_session makes a session leader");
	}

	{
		const struct spawn_options on = {.stdin_null = true};

		r = run_sh("read x; test $? -ne 0", &on, &status);
		CHECK(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "stdin_null gives EOF on stdin");
	}

	r = spawn(missing, &o, &pid);
	CHECK(r == -ENOENT && pid == 0, "missing program: -ENOENT, no child");
	r = mkstemp(notexec_path); /* mode 0600 */
	if (r >= 0) {
		close(r);
		r = spawn(notexec, &o, &pid);
		CHECK(r == -EACCES && pid == 0, "non-executable file: -EACCES, no child");
		unlink(notexec_path);
	} else {
		CHECK(false, "mkstemp: %s", strerror(errno));
	}

	{
		const struct spawn_options ot = {.tty = "/nonexistent/tty"};
		char *argv[] = {"true", NULL};

		r = spawn(argv, &ot, &pid);
		CHECK(r == -ENOENT && pid == 0 && waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
		      "failure in the child before exec is reported, child reaped");
	}

	r = spawn_and_wait(sleeper, &o, 100 * USEC_PER_MSEC, &status);
	CHECK(r == -ETIMEDOUT, "spawn_and_wait: timeout is -ETIMEDOUT");
	CHECK(wait(&status) > 0, "the timed-out child is left for the caller to reap");

	{
		struct service s;
		const struct service_policy p = {
		    .backoff_min = 1, .backoff_max = 60, .reset_after = 60};
		char **argv = NULL;

		strv_extend(&argv, "true");
		service_init(&s, argv, &o, &p);
		r = service_start(&s, now_usec());
		CHECK(r == 0 && s.pid > 0 && s.restart_at == USEC_INFINITY,
		      "service_start: running");
		CHECK(waitpid(s.pid, &status, 0) == s.pid && WIFEXITED(status),
		      "service child exits");
		service_done(&s);
		CHECK(s.argv == NULL, "service_done() frees argv");
	}

	return failures ? 1 : 0;
}
