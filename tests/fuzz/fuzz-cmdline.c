/* sources: src/agent/conf.c src/basic/cmdline.c src/basic/conf.c src/basic/fileio.c
 * src/basic/strv.c src/basic/hwaddr.c src/basic/hexdecoct.c */
/*
 * The kernel command line and the KEY=VALUE files, as the init and the agent read them. The
 * input is given whole to each reader:
 *
 *   - cmdline_parse() and cmdline_get(), the init's tokenizer (NUL bytes are whitespace there);
 *   - conf_parse(), the init's and the agent's file reader;
 *   - agent_conf_from_cmdline() (up to the first NUL, as /proc/cmdline is read), then
 *     agent_conf_from_file_text(), then agent_conf_from_argv() with the input's lines as words,
 *     on one struct agent_conf.
 *
 * Invariants: the words and keys the headers promise; only documented return values; a failed
 * call applies nothing; a lower source never overrides a higher one.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conf.h"
#include "basic/cmdline.h"
#include "basic/conf.h"
#include "basic/strv.h"

#include "fuzz.h"

#define ARGV_MAX 64

static int on_word(const char *key, const char *value, void *userdata)
{
	unsigned *n = userdata;

	FUZZ_CHECK(key && *key, "cmdline_parse: an empty key");
	FUZZ_CHECK(!strchr(key, '='), "cmdline_parse: '=' in key %s", key);
	FUZZ_CHECK(!strchr(key, '"'), "cmdline_parse: a quote in key %s", key);
	FUZZ_CHECK(!value || !strchr(value, '"'), "cmdline_parse: a quote in value %s", value);
	(*n)++;
	/* A negative return must stop the walk and come back. */
	return *n == 100 ? -ECANCELED : 0;
}

static void fuzz_tokenizer(const char *data, size_t size)
{
	static const char *const keys[] = {"ipa-api-url", "BOOTIF", "a", "console"};
	unsigned n = 0;
	int r;

	r = cmdline_parse(data, size, on_word, &n);
	if (size > CMDLINE_MAX)
		FUZZ_CHECK(r == -E2BIG, "cmdline_parse of %zu bytes returned %d", size, r);
	else
		FUZZ_CHECK(r == 0 || (r == -ECANCELED && n == 100), "cmdline_parse returned %d", r);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = NULL;

		r = cmdline_get(data, size, keys[i], &v);
		FUZZ_CHECK(r == 0 || r == 1 || r == -E2BIG || r == -ENOMEM,
			   "cmdline_get returned %d", r);
		FUZZ_CHECK(r == 1 || !v, "cmdline_get returned %d with a value", r);
		free(v);
		r = cmdline_get(data, size, keys[i], NULL);
		FUZZ_CHECK(r == 0 || r == 1 || r == -E2BIG || r == -ENOMEM,
			   "cmdline_get returned %d", r);
	}
}

static int on_assignment(const char *key, const char *value, unsigned line, void *userdata)
{
	unsigned *last = userdata;

	FUZZ_CHECK(key && (isalpha((unsigned char)key[0]) || key[0] == '_'),
		   "conf_parse: bad key %s", key);
	for (const char *p = key; *p; p++)
		FUZZ_CHECK(isalnum((unsigned char)*p) || *p == '_', "conf_parse: bad key %s", key);
	FUZZ_CHECK(value, "conf_parse: no value for %s", key);
	FUZZ_CHECK(strlen(value) <= CONF_LINE_MAX, "conf_parse: a value longer than a line");
	FUZZ_CHECK(line > *last, "conf_parse: line %u after %u", line, *last);
	*last = line;
	return 0;
}

static void fuzz_conf_reader(const char *data, size_t size)
{
	unsigned last = 0, err_line = 0;
	int r;

	r = conf_parse(data, size, on_assignment, &last, &err_line);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -EFBIG, "conf_parse returned %d",
		   r);
	FUZZ_CHECK(size <= CONF_FILE_MAX || r == -EFBIG, "conf_parse took %zu bytes", size);
	FUZZ_CHECK(r == 0 || r == -EFBIG || err_line >= 1, "conf_parse failed at line %u",
		   err_line);
}

/* Runs one agent_conf call and checks what it did to the sources of the parameters. */
#define CHECK_CALL(c, what, call, from, ...)                                                       \
	do {                                                                                       \
		unsigned char before_[AGENT_CONF_KEYS_MAX];                                        \
		int r_, ok_[] = {__VA_ARGS__};                                                     \
		bool known_ = false;                                                               \
                                                                                                   \
		memcpy(before_, (c)->source, sizeof(before_));                                     \
		r_ = (call);                                                                       \
		for (size_t i_ = 0; i_ < sizeof(ok_) / sizeof(ok_[0]); i_++)                       \
			known_ |= r_ == ok_[i_];                                                   \
		FUZZ_CHECK(known_, "%s returned %d", what, r_);                                    \
		for (size_t i_ = 0; i_ < AGENT_CONF_KEYS_MAX; i_++) {                              \
			FUZZ_CHECK(r_ == 0 || (c)->source[i_] == before_[i_],                      \
				   "%s failed with %d but changed row %zu", what, r_, i_);         \
			FUZZ_CHECK((c)->source[i_] >= before_[i_],                                 \
				   "%s: row %zu went from source %u to %u", what, i_, before_[i_], \
				   (c)->source[i_]);                                               \
			FUZZ_CHECK((c)->source[i_] == before_[i_] || (c)->source[i_] == (from),    \
				   "%s: row %zu got source %u", what, i_, (c)->source[i_]);        \
		}                                                                                  \
		FUZZ_CHECK(r_ == 0 || r_ == -ENOMEM || (c)->warnings,                              \
			   "%s failed with %d without saying why", what, r_);                      \
	} while (0)

static void check_conf(const struct agent_conf *c)
{
	FUZZ_CHECK(!c->api_urls || c->api_urls[0], "an empty api_urls list");
	FUZZ_CHECK(!c->api_urls || strv_length(c->api_urls) <= AGENT_CONF_LIST_MAX,
		   "api_urls with %zu items", strv_length(c->api_urls));
	for (char **u = c->api_urls; u && *u; u++)
		FUZZ_CHECK(strlen(*u) <= AGENT_CONF_URL_MAX, "a URL of %zu bytes", strlen(*u));
	FUZZ_CHECK(!c->agent_token || strlen(c->agent_token) <= AGENT_CONF_STRING_MAX,
		   "a token of %zu bytes", strlen(c->agent_token));
	FUZZ_CHECK(!c->network_interface || strlen(c->network_interface) <= AGENT_CONF_IFNAME_MAX,
		   "an interface name of %zu bytes", strlen(c->network_interface));
	FUZZ_CHECK(c->listen_port >= 1 && c->listen_port <= 65535, "listen port %u",
		   c->listen_port);
	FUZZ_CHECK(c->advertise_port >= 1 && c->advertise_port <= 65535, "advertise port %u",
		   c->advertise_port);
	FUZZ_CHECK(c->inject_files_priority <= 99, "inject files priority %u",
		   c->inject_files_priority);
}

static void fuzz_agent_conf(const char *data, size_t size)
{
	struct agent_conf c;
	char *text = fuzz_strndup(data, size), *copy = fuzz_strndup(data, size), *p, *nl;
	char *argv[ARGV_MAX + 1] = {"ingot-agent"};
	int argc = 1;

	agent_conf_init_defaults(&c);
	CHECK_CALL(&c, "agent_conf_from_cmdline", agent_conf_from_cmdline(&c, text),
		   AGENT_CONF_SOURCE_CMDLINE, 0, -E2BIG, -ENOMEM);
	check_conf(&c);
	CHECK_CALL(&c, "agent_conf_from_file_text",
		   agent_conf_from_file_text(&c, data, size, "fuzz.conf"), AGENT_CONF_SOURCE_FILE,
		   0, -EFBIG, -EINVAL, -E2BIG, -ENOMEM);
	check_conf(&c);

	for (p = copy; argc < ARGV_MAX && p < copy + size; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(copy + size - p));
		if (!nl)
			nl = copy + size;
		*nl = '\0';
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	CHECK_CALL(&c, "agent_conf_from_argv", agent_conf_from_argv(&c, argc, argv),
		   AGENT_CONF_SOURCE_ARGV, 0, -EINVAL, -E2BIG, -ENOMEM);
	check_conf(&c);

	/* A second command line (a virtual media parameters.txt) over everything. */
	CHECK_CALL(&c, "agent_conf_from_cmdline", agent_conf_from_cmdline(&c, text),
		   AGENT_CONF_SOURCE_CMDLINE, 0, -E2BIG, -ENOMEM);
	check_conf(&c);

	agent_conf_done(&c);
	free(text);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_tokenizer(text, size);
	fuzz_conf_reader(text, size);
	fuzz_agent_conf(text, size);
	return 0;
}
