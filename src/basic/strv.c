#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macro.h"
#include "basic/strv.h"

char **strv_free(char **l)
{
	if (!l)
		return NULL;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
	return NULL;
}

void strv_freep(char ***l)
{
	strv_free(*l);
}

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

bool strv_contains(char *const *l, const char *s)
{
	for (size_t i = 0; l && l[i]; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

static int strv_push_n(char ***l, const char *s, size_t len)
{
	size_t n = strv_length(*l);
	char **nl, *copy;

	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	nl = realloc(*l, (n + 2) * sizeof(char *));
	if (!nl) {
		free(copy);
		return -ENOMEM;
	}
	nl[n] = copy;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_extend(char ***l, const char *s)
{
	return strv_push_n(l, s, strlen(s));
}

int strv_split(const char *s, size_t max_words, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	size_t n = 0;

	l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;

	for (;;) {
		size_t len;
		int r;

		s += strspn(s, " \t\n\r");
		if (*s == '\0')
			break;
		len = strcspn(s, " \t\n\r");
		if (++n > max_words)
			return -E2BIG;
		r = strv_push_n(&l, s, len);
		if (r < 0)
			return r;
		s += len;
	}

	*ret = TAKE_PTR(l);
	return 0;
}

int strv_join(char *const *l, const char *sep, char **ret)
{
	size_t len = 1, seplen = strlen(sep);
	char *s, *p;

	for (size_t i = 0; l && l[i]; i++)
		len += strlen(l[i]) + (i > 0 ? seplen : 0);

	s = p = malloc(len);
	if (!s)
		return -ENOMEM;
	*p = '\0';
	for (size_t i = 0; l && l[i]; i++) {
		if (i > 0)
			p = stpcpy(p, sep);
		p = stpcpy(p, l[i]);
	}
	*ret = s;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_unique(char **l)
{
	size_t n = strv_length(l), out = 0;

	if (n < 2)
		return;
	qsort(l, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(l[out - 1], l[i]) == 0) {
			free(l[i]);
			continue;
		}
		l[out++] = l[i];
	}
	l[out] = NULL;
}
