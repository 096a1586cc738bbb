#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"
#include "init/modules.h"
#include "init/supervise.h"

#define MODULES_MODPROBE_TIMEOUT (120 * USEC_PER_SEC)

struct walk {
	char **aliases;
	size_t n;
};

static int walk_add(struct walk *w, int dirfd, const char *name)
{
	char buf[512];
	int r;

	r = read_line_at(dirfd, name, buf, sizeof(buf));
	if (r <= 0)
		return 0; /* empty, unreadable or absurd: nothing to load */
	if (strv_contains(w->aliases, buf))
		return 0;
	if (w->n >= MODULES_ALIAS_MAX)
		return -E2BIG;
	r = strv_extend(&w->aliases, buf);
	if (r < 0)
		return r;
	w->n++;
	return 0;
}

/* Takes ownership of fd. */
static int walk_dir(struct walk *w, int fd, unsigned depth)
{
	struct dirent *de;
	DIR *d;
	int r = 0;

	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return 0;
	}
	while (r >= 0 && (de = readdir(d))) {
		unsigned char type = de->d_type;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		}
		if (type == DT_DIR && depth < MODULES_DEPTH_MAX) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				r = walk_dir(w, sub, depth + 1);
		} else if (type == DT_REG && strcmp(de->d_name, "modalias") == 0) {
			r = walk_add(w, dirfd(d), de->d_name);
		}
	}
	closedir(d);
	return r;
}

int modules_collect_aliases(int dirfd, char ***ret)
{
	struct walk w = {0};
	int r;

	r = walk_dir(&w, dirfd, 0);
	if (r < 0) {
		strv_free(w.aliases);
		return r;
	}
	if (!w.aliases) {
		w.aliases = calloc(1, sizeof(char *));
		if (!w.aliases)
			return -ENOMEM;
	}
	strv_sort_unique(w.aliases);
	*ret = w.aliases;
	return 0;
}

/* One `modprobe -q -b -a` over aliases[0..n). */
static void modprobe_batch(const struct console *con, char **aliases, size_t n)
{
	char *argv[4 + MODULES_BATCH + 1] = {"modprobe", "-q", "-b", "-a"};
	const struct spawn_options o = {.stdin_null = true};
	char text[64];
	int r, status;

	memcpy(&argv[4], aliases, n * sizeof(char *));
	argv[4 + n] = NULL;

	r = spawn_and_wait(argv, &o, MODULES_MODPROBE_TIMEOUT, &status);
	if (r < 0) {
		console_log(con, "failed to run 'modprobe': %s", strerror(-r));
		return;
	}
	/* A non-zero exit only means some alias has no module: the normal case. */
	if (WIFSIGNALED(status)) {
		spawn_status_format(status, text, sizeof(text));
		console_log(con, "modprobe failed (%s)", text);
	}
}

void modules_coldplug(const struct console *con)
{
	_cleanup_strv_free_ char **tried = NULL;
	char path[256];
	struct utsname u;
	size_t total = 0;
	unsigned pass;

	if (uname(&u) < 0)
		return;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	if (access(path, F_OK) < 0)
		return;

	for (pass = 0; pass < MODULES_PASSES_MAX; pass++) {
		_cleanup_strv_free_ char **found = NULL, **fresh = NULL;
		size_t n;
		int fd, r;

		fd = open("/sys/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			console_log(con, "failed to open '/sys/devices': %s", strerror(errno));
			break;
		}
		r = modules_collect_aliases(fd, &found);
		if (r < 0) {
			console_log(con, "failed to collect module aliases: %s", strerror(-r));
			break;
		}
		for (size_t i = 0; found[i]; i++)
			if (!strv_contains(tried, found[i]) && (strv_extend(&fresh, found[i]) < 0 ||
								strv_extend(&tried, found[i]) < 0))
				break;
		n = strv_length(fresh);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i += MODULES_BATCH)
			modprobe_batch(con, &fresh[i], MIN(n - i, (size_t)MODULES_BATCH));
		total += n;
	}
	console_log(con, "modules: tried %zu aliases (%u passes)", total, pass);
}
