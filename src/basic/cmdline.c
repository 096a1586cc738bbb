#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"
#include "basic/macro.h"

static bool is_separator(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

int cmdline_parse(const char *buf, size_t len, cmdline_cb cb, void *userdata)
{
	/* Words are unquoted in place in this copy; one byte more for the final NUL. */
	char s[CMDLINE_MAX + 1];
	size_t i = 0;

	if (len > CMDLINE_MAX)
		return -E2BIG;
	if (len > 0)
		memcpy(s, buf, len);
	s[len] = '\0';

	while (i < len) {
		size_t start, out, eq = SIZE_MAX;
		bool quoted = false;
		const char *value = NULL;
		int r;

		while (i < len && is_separator(s[i]))
			i++;
		if (i >= len)
			break;

		/* out never passes i: unquoting only shrinks the word. */
		start = out = i;
		for (; i < len; i++) {
			char c = s[i];

			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (is_separator(c) && (!quoted || c == '\0'))
				break;
			if (c == '=' && eq == SIZE_MAX)
				eq = out;
			s[out++] = c;
		}
		s[out] = '\0';
		i++;

		if (eq != SIZE_MAX) {
			s[eq] = '\0';
			value = &s[eq + 1];
		}
		if (s[start] == '\0')
			continue;

		r = cb(&s[start], value, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

struct get_state {
	const char *key;
	bool found;
	bool has_value;
	char value[CMDLINE_MAX + 1];
};

static int get_cb(const char *key, const char *value, void *userdata)
{
	struct get_state *st = userdata;

	if (strcmp(key, st->key) != 0)
		return 0;
	st->found = true;
	st->has_value = value != NULL;
	if (value)
		strcpy(st->value, value); /* shorter than the whole command line */
	return 0;
}

int cmdline_get(const char *buf, size_t len, const char *key, char **ret_value)
{
	struct get_state st = {.key = key};
	char *v = NULL;
	int r;

	r = cmdline_parse(buf, len, get_cb, &st);
	if (r < 0)
		return r;
	if (!st.found)
		return 0;

	if (ret_value) {
		if (st.has_value) {
			v = strdup(st.value);
			if (!v)
				return -ENOMEM;
		}
		*ret_value = v;
	}
	return 1;
}
