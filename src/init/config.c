#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cmdline.h"
#include "basic/conf.h"
#include "basic/fileio.h"
#include "basic/parse-util.h"
#include "init/config.h"

typedef int (*config_setter)(struct config *c, size_t offset, const char *value);

struct config_key {
	const char *conf_name;	  /* in init.conf, or NULL */
	const char *cmdline_name; /* on the kernel command line, or NULL */
	config_setter set;	  /* value is NULL for a bare command line key */
	size_t offset;
};

static int set_string(struct config *c, size_t offset, const char *value)
{
	char **field = (char **)((char *)c + offset);
	char *s = strdup(value ? value : "");

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int set_seconds(struct config *c, size_t offset, const char *value)
{
	if (!value)
		return -EINVAL;
	return parse_uint(value, CONFIG_DHCP_TIMEOUT_MAX, (unsigned *)((char *)c + offset));
}

/* A bare key ("ingot.shell") means yes, as on systemd's command line. */
static int set_bool(struct config *c, size_t offset, const char *value)
{
	bool *field = (bool *)((char *)c + offset);

	if (!value) {
		*field = true;
		return 0;
	}
	return parse_bool(value, field);
}

static int set_bootif(struct config *c, size_t offset, const char *value)
{
	(void)offset;
	if (!value || hwaddr_parse_bootif(value, &c->bootif) < 0)
		return -EINVAL;
	c->has_bootif = true;
	return 0;
}

static const struct config_key config_keys[] = {
    {"AGENT", "ingot.agent", set_string, offsetof(struct config, agent)},
    {"DHCP_TIMEOUT", "ingot.dhcp_timeout", set_seconds, offsetof(struct config, dhcp_timeout)},
    {"SHELL", "ingot.shell", set_bool, offsetof(struct config, shell)},
    {"MODULES_COLDPLUG", NULL, set_bool, offsetof(struct config, modules_coldplug)},
    {NULL, "BOOTIF", set_bootif, 0},
};

void config_init(struct config *c)
{
	*c = (struct config){
	    .agent = NULL,
	    .dhcp_timeout = 60,
	    .shell = false,
	    .modules_coldplug = true,
	};
}

void config_done(struct config *c)
{
	free(c->agent);
	c->agent = NULL;
}

struct apply_state {
	struct config *config;
	const struct console *con;
	const char *source;
	bool cmdline;
};

static const struct config_key *config_key_find(const char *name, bool cmdline)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
		const char *k = cmdline ? config_keys[i].cmdline_name : config_keys[i].conf_name;

		if (k && strcmp(k, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

static int apply(struct apply_state *st, const char *key, const char *value, unsigned line)
{
	const struct config_key *k = config_key_find(key, st->cmdline);
	int r;

	if (!k) {
		/* The command line is shared with the kernel and the agent: only ours count. */
		if (!st->cmdline)
			console_log(st->con, "unknown key '%s' in '%s' line %u, ignoring", key,
				    st->source, line);
		return 0;
	}
	r = k->set(st->config, k->offset, value);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		console_log(st->con, "invalid value '%s' for '%s' in '%s', ignoring",
			    value ? value : "", key, st->source);
	return 0;
}

static int conf_cb_apply(const char *key, const char *value, unsigned line, void *userdata)
{
	return apply(userdata, key, value, line);
}

static int cmdline_cb_apply(const char *key, const char *value, void *userdata)
{
	return apply(userdata, key, value, 0);
}

int config_apply_conf(struct config *c, const char *buf, size_t len, const char *path,
		      const struct console *con)
{
	struct apply_state st = {.config = c, .con = con, .source = path};
	unsigned line = 0;
	int r;

	r = conf_parse(buf, len, conf_cb_apply, &st, &line);
	if (r < 0 && r != -ENOMEM)
		console_log(con, "failed to parse '%s' line %u: %s", path, line, strerror(-r));
	return r;
}

int config_apply_cmdline(struct config *c, const char *buf, size_t len, const struct console *con)
{
	struct apply_state st = {
	    .config = c, .con = con, .source = "/proc/cmdline", .cmdline = true};
	int r;

	/* An over-long command line is refused before any key is applied. */
	r = cmdline_parse(buf, len, cmdline_cb_apply, &st);
	if (r < 0)
		console_log(con, "failed to parse kernel command line: %s", strerror(-r));
	return r;
}

void config_load(struct config *c, const struct console *con)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_full_file_at(AT_FDCWD, CONFIG_FILE, CONF_FILE_MAX, &buf, &len);
	if (r >= 0)
		(void)config_apply_conf(c, buf, len, CONFIG_FILE, con);
	else if (r != -ENOENT)
		console_log(con, "failed to read '%s': %s", CONFIG_FILE, strerror(-r));
	free(buf);
	buf = NULL;

	r = read_full_file_at(AT_FDCWD, "/proc/cmdline", CMDLINE_MAX, &buf, &len);
	if (r >= 0)
		(void)config_apply_cmdline(c, buf, len, con);
	else
		console_log(con, "failed to read '/proc/cmdline': %s", strerror(-r));
}
