#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "basic/conf.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* Only a comment or blanks may follow a closing quote. */
static bool rest_is_empty(const char *p)
{
	while (is_blank(*p))
		p++;
	return *p == '\0' || *p == '#';
}

/*
 * Unquotes the value starting at p in place (the result never grows). Returns 0 or -EINVAL.
 */
static int unquote_value(char *p)
{
	char *out = p;

	if (*p == '"') {
		for (p++;; p++) {
			if (*p == '\0')
				return -EINVAL;
			if (*p == '"')
				break;
			if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
				p++;
			*out++ = *p;
		}
		*out = '\0';
		return rest_is_empty(p + 1) ? 0 : -EINVAL;
	}

	if (*p == '\'') {
		char *end = strchr(p + 1, '\'');

		if (!end)
			return -EINVAL;
		*end = '\0';
		memmove(out, p + 1, (size_t)(end - p));
		return rest_is_empty(end + 1) ? 0 : -EINVAL;
	}

	/* Unquoted: a '#' after a blank starts a comment; trailing blanks go. */
	for (char *q = p; *q; q++)
		if (*q == '#' && q > p && is_blank(q[-1])) {
			*q = '\0';
			break;
		}
	for (size_t n = strlen(p); n > 0 && is_blank(p[n - 1]); n--)
		p[n - 1] = '\0';
	return 0;
}

static int parse_line(char *line, unsigned lineno, conf_cb cb, void *userdata)
{
	char *p = line, *key, *key_end;
	int r;

	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;

	key = p;
	if (!is_key_char(*p, true))
		return -EINVAL;
	while (is_key_char(*p, false))
		p++;
	key_end = p;
	while (is_blank(*p))
		p++;
	if (*p != '=')
		return -EINVAL;
	*key_end = '\0'; /* may be the '=' itself, already checked */
	p++;
	while (is_blank(*p))
		p++;

	r = unquote_value(p);
	if (r < 0)
		return r;
	return cb(key, p, lineno, userdata);
}

int conf_parse(const char *buf, size_t len, conf_cb cb, void *userdata, unsigned *err_line)
{
	char line[CONF_LINE_MAX + 1];
	unsigned lineno = 0;
	size_t i = 0;
	int r = 0;

	if (len > CONF_FILE_MAX)
		return -EFBIG;

	while (i < len) {
		const char *nl = memchr(&buf[i], '\n', len - i);
		size_t n = nl ? (size_t)(nl - &buf[i]) : len - i;

		lineno++;
		if (n > CONF_LINE_MAX) {
			r = -E2BIG;
			goto out;
		}
		if (memchr(&buf[i], '\0', n)) {
			r = -EINVAL;
			goto out;
		}
		memcpy(line, &buf[i], n);
		line[n] = '\0';
		i += n + 1;

		r = parse_line(line, lineno, cb, userdata);
		if (r < 0)
			goto out;
	}
out:
	if (r < 0 && err_line)
		*err_line = lineno;
	return r < 0 ? r : 0;
}
