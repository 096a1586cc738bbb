#define _GNU_SOURCE 1 /* asprintf(), strcasestr() */
/*
 * The loaders IPA finds on an ESP; the rules are in efi-loader.h. The walk collects relative
 * paths ("EFI/BOOT/BOOTX64.EFI"), which become firmware paths at the end.
 */

#include "agent/efi-loader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/efi.h"
#include "basic/fileio.h"
#include "basic/macro.h"

#define WALK_DEPTH_MAX	 16
#define WALK_ENTRIES_MAX 100000
#define LOADERS_MAX	 64
#define CSV_MAX		 (64 * 1024)

/* IPA's BOOTLOADERS_EFI, in its order (the order does not matter to the walk). */
static const char *const loader_names[] = {
    "bootx64.csv",	"bootaa64.csv", "boot.csv",	"bootia32.efi",	   "bootx64.efi",
    "bootia64.efi",	"bootarm.efi",	"bootaa64.efi", "bootriscv32.efi", "bootriscv64.efi",
    "bootriscv128.efi", "grubaa64.efi", "winload.efi",
};

struct walk {
	size_t entries;
	char *found[LOADERS_MAX];
	size_t n_found;
	char *csv; /* set: the walk is over */
};

struct names {
	char **v;
	size_t n;
};

static void names_done(struct names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
}

static int names_add(struct names *n, const char *s)
{
	char **t = realloc(n->v, (n->n + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	n->v = t;
	if (!(n->v[n->n] = strdup(s)))
		return -ENOMEM;
	n->n++;
	return 0;
}

static bool is_loader_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(loader_names); i++)
		if (strcasecmp(name, loader_names[i]) == 0)
			return true;
	return false;
}

static char *path_join(const char *dir, const char *name)
{
	char *s;

	if (asprintf(&s, "%s%s%s", dir, *dir ? "/" : "", name) < 0)
		return NULL;
	return s;
}

/* Lists dfd as os.walk() does: files, and directories to enter (not symlinks to them). */
static int list_dir(int dfd, struct walk *w, struct names *files, struct names *dirs)
{
	struct dirent *de;
	int fd, r = 0;
	DIR *d;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return negative_errno();
	}
	while (r >= 0 && (de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->entries > WALK_ENTRIES_MAX) {
			r = -E2BIG;
			break;
		}
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			r = names_add(dirs, de->d_name);
		else if (fstatat(dfd, de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode))
			continue; /* a symlink to a directory: listed as one, not entered */
		else
			r = names_add(files, de->d_name);
	}
	closedir(d);
	return r;
}

static int walk_dir(int dfd, const char *rel, unsigned depth, struct walk *w)
{
	struct names files = {0}, dirs = {0};
	int r;

	if (depth > WALK_DEPTH_MAX)
		return -E2BIG;
	r = list_dir(dfd, w, &files, &dirs);
	for (size_t i = 0; r >= 0 && i < files.n && !w->csv; i++) {
		char *path;

		if (!is_loader_name(files.v[i]))
			continue;
		path = path_join(rel, files.v[i]);
		if (!path) {
			r = -ENOMEM;
			break;
		}
		/* IPA tests 'csv' in the whole lowercased path, not only in the name. */
		if (strcasestr(path, "csv")) {
			w->csv = path;
			break;
		}
		if (faccessat(dfd, files.v[i], X_OK, 0) < 0) {
			free(path);
			continue;
		}
		if (w->n_found >= LOADERS_MAX) {
			free(path);
			r = -E2BIG;
			break;
		}
		w->found[w->n_found++] = path;
	}
	for (size_t i = 0; r >= 0 && i < dirs.n && !w->csv; i++) {
		_cleanup_close_ int fd = -1;
		_cleanup_free_ char *sub = path_join(rel, dirs.v[i]);

		if (!sub) {
			r = -ENOMEM;
			break;
		}
		fd = openat(dfd, dirs.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* os.walk() ignores directories it cannot list */
		r = walk_dir(fd, sub, depth + 1, w);
	}
	names_done(&files);
	names_done(&dirs);
	return r;
}

/* The firmware's form: "\" + the path with '\' separators. */
static char *firmware_path(const char *rel)
{
	char *s = malloc(strlen(rel) + 2);

	if (!s)
		return NULL;
	s[0] = '\\';
	strcpy(s + 1, rel);
	for (char *p = s; *p; p++)
		if (*p == '/')
			*p = '\\';
	return s;
}

/* Python's str.replace(old, new): every non-overlapping occurrence, left to right. */
static char *str_replace_all(const char *s, const char *old, const char *new)
{
	size_t lo = strlen(old), ln = strlen(new), n = 0;
	const char *p;
	char *out, *o;

	if (lo == 0)
		return NULL;
	for (p = s; (p = strstr(p, old)); p += lo)
		n++;
	out = malloc(strlen(s) + n * ln + 1);
	if (!out)
		return NULL;
	for (o = out, p = s;;) {
		const char *hit = strstr(p, old);

		if (!hit)
			break;
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, new, ln);
		o += ln;
		p = hit + lo;
	}
	strcpy(o, p);
	return out;
}

/* Reads the CSV as IPA does: open(..., encoding='utf-16'), then 'utf-16-le' if that fails. */
static int csv_read(int esp_fd, const char *rel, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	char *text = NULL, *o;
	const uint8_t *b;
	size_t size;
	int r;

	r = read_full_file_at(esp_fd, rel, CSV_MAX, &buf, &size);
	if (r < 0)
		return r;
	b = (const uint8_t *)buf;
	if (size >= 2 && b[0] == 0xff && b[1] == 0xfe)
		r = efi_utf16_to_utf8(b + 2, size - 2, false, true, &text);
	else if (size >= 2 && b[0] == 0xfe && b[1] == 0xff)
		r = efi_utf16_to_utf8(b + 2, size - 2, true, true, &text);
	else
		r = efi_utf16_to_utf8(b, size, false, true, &text);
	if (r == -EBADMSG)
		r = efi_utf16_to_utf8(b, size, false, true, &text);
	if (r < 0)
		return r;

	/* Universal newlines: "\r\n" and "\r" read as "\n". */
	o = text;
	for (const char *p = text; *p; p++) {
		if (*p == '\r') {
			*o++ = '\n';
			if (p[1] == '\n')
				p++;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	*ret = text;
	return 0;
}

/* _run_efibootmgr() for a CSV: contents.split(',', maxsplit=3), [0] the loader, [1] the label. */
static int csv_loader(int esp_fd, const char *rel, struct efi_loader *ret)
{
	_cleanup_free_ char *text = NULL, *replaced = NULL;
	char *comma, *label, *end, *path;
	const char *name;
	int r;

	r = csv_read(esp_fd, rel, &text);
	if (r < 0)
		return r;
	comma = strchr(text, ',');
	if (!comma)
		return -EBADMSG; /* IPA: IndexError on csv_contents[1] */
	*comma = 0;
	label = comma + 1;
	end = strchr(label, ',');
	if (end)
		*end = 0;

	name = strrchr(rel, '/');
	name = name ? name + 1 : rel;
	replaced = str_replace_all(rel, name, text);
	if (!replaced)
		return -ENOMEM;
	path = firmware_path(replaced);
	label = strdup(label);
	if (!path || !label) {
		free(path);
		free(label);
		return -ENOMEM;
	}
	*ret = (struct efi_loader){.path = path, .label = label};
	return 0;
}

void efi_loader_free_many(struct efi_loader *l, size_t n)
{
	if (!l)
		return;
	for (size_t i = 0; i < n; i++) {
		free(l[i].path);
		free(l[i].label);
	}
	free(l);
}

int efi_loader_find(int esp_fd, struct efi_loader **ret, size_t *ret_n)
{
	struct walk w = {0};
	struct efi_loader *l = NULL;
	size_t n = 0;
	int r;

	r = walk_dir(esp_fd, "", 0, &w);
	if (r < 0)
		goto out;

	l = calloc(w.n_found ? w.n_found : 1, sizeof(*l));
	if (!l) {
		r = -ENOMEM;
		goto out;
	}
	if (w.csv) {
		r = csv_loader(esp_fd, w.csv, &l[0]);
		if (r < 0)
			goto out;
		n = 1;
	} else {
		for (; n < w.n_found; n++) {
			l[n].path = firmware_path(w.found[n]);
			if (!l[n].path || asprintf(&l[n].label, "ironic%zu", n + 1) < 0) {
				l[n].label = NULL;
				n++;
				r = -ENOMEM;
				goto out;
			}
		}
	}
	*ret = TAKE_PTR(l);
	*ret_n = n;
out:
	efi_loader_free_many(l, n);
	for (size_t i = 0; i < w.n_found; i++)
		free(w.found[i]);
	free(w.csv);
	return r;
}
