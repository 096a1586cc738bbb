#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "basic/macro.h"
#include "basic/parse-util.h"

static const struct {
	const char *word;
	bool value;
} bool_words[] = {
    {"1", true},  {"yes", true}, {"y", true},  {"true", true},	 {"on", true},
    {"0", false}, {"no", false}, {"n", false}, {"false", false}, {"off", false},
};

int parse_bool(const char *s, bool *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(bool_words); i++)
		if (strcasecmp(s, bool_words[i].word) == 0) {
			*ret = bool_words[i].value;
			return 0;
		}
	return -EINVAL;
}

int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = (unsigned)v;
	return 0;
}
