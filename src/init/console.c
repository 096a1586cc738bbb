#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/fs-util.h"
#include "init/console.h"

#define CONSOLE_ACTIVE "/sys/class/tty/console/active"

static bool is_device_name(const char *s, size_t len)
{
	if (len == 0 || len >= CONSOLE_NAME_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	if (len == strlen("console") && memcmp(s, "console", len) == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

size_t console_parse_active(const char *buf, char names[][CONSOLE_NAME_MAX], size_t max)
{
	size_t n = 0;

	while (n < max) {
		size_t len;
		bool dup = false;

		buf += strspn(buf, " \t\n");
		if (*buf == '\0')
			break;
		len = strcspn(buf, " \t\n");
		if (is_device_name(buf, len)) {
			for (size_t i = 0; i < n; i++)
				if (strlen(names[i]) == len && memcmp(names[i], buf, len) == 0)
					dup = true;
			if (!dup) {
				memcpy(names[n], buf, len);
				names[n][len] = '\0';
				n++;
			}
		}
		buf += len;
	}
	return n;
}

/*
 * Opens a tty without waiting for carrier, then makes it blocking again so that writes are
 * never dropped. Never becomes the controlling tty.
 */
static int open_tty(const char *path, int flags)
{
	int fd, fl;

	fd = open(path, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int console_setup_stdio(void)
{
	int fd;

	fd = open_tty("/dev/console", O_RDWR);
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();

	for (int i = 0; i <= STDERR_FILENO; i++) {
		/* dup2() onto itself keeps O_CLOEXEC: clear it by hand then. */
		if (fd == i)
			fcntl(i, F_SETFD, 0);
		else if (dup2(fd, i) < 0)
			return negative_errno();
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

void console_init(struct console *c)
{
	*c = (struct console){.n_fds = 0, .log_fd = -1};
	snprintf(c->tty, sizeof(c->tty), "/dev/console");
}

void console_open(struct console *c)
{
	char buf[512], names[CONSOLE_MAX][CONSOLE_NAME_MAX];
	size_t n = 0;

	console_done(c);
	if (read_line_at(AT_FDCWD, CONSOLE_ACTIVE, buf, sizeof(buf)) >= 0)
		n = console_parse_active(buf, names, CONSOLE_MAX);

	for (size_t i = 0; i < n; i++) {
		char path[sizeof(c->tty)];
		int fd;

		snprintf(path, sizeof(path), "/dev/%s", names[i]);
		if (i == n - 1) {
			memcpy(c->tty, path, sizeof(path));
			/* See console.h: by name, a rescue shell's exit would hang this fd up. */
			fd = open_tty("/dev/console", O_WRONLY);
		} else {
			fd = open_tty(path, O_WRONLY);
		}
		if (fd >= 0)
			c->fds[c->n_fds++] = fd;
	}
}

void console_done(struct console *c)
{
	for (size_t i = 0; i < c->n_fds; i++)
		safe_close(c->fds[i]);
	safe_close(c->log_fd);
	console_init(c);
}

int console_open_log(struct console *c, const char *path)
{
	char dir[256];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755) < 0)
			return -errno;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	safe_close(c->log_fd);
	c->log_fd = fd;
	return 0;
}

void console_log(const struct console *c, const char *fmt, ...)
{
	char line[1024];
	size_t len = strlen(CONSOLE_PREFIX);
	va_list ap;
	int n;

	memcpy(line, CONSOLE_PREFIX, len);
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += MIN((size_t)n, sizeof(line) - len - 2);
	line[len++] = '\n';

	if (c->log_fd >= 0) {
		/* The file: best effort, never more than CONSOLE_LOG_MAX. */
		off_t size = lseek(c->log_fd, 0, SEEK_END);

		if (size >= 0 && (size_t)size + len <= CONSOLE_LOG_MAX)
			(void)write_all(c->log_fd, line, len);
	}
	if (c->n_fds == 0) {
		(void)write_all(STDERR_FILENO, line, len);
		return;
	}
	for (size_t i = 0; i < c->n_fds; i++)
		(void)write_all(c->fds[i], line, len);
}
