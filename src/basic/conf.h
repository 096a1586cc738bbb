#pragma once

/*
 * KEY=VALUE file reader for build-time configuration (/etc/ingot/init.conf) and for the small
 * record files the udhcpc hook writes. The syntax is the part of shell assignment syntax that
 * such files use, so the same file can be sourced by a shell:
 *
 *   # comment                  blank lines and lines starting with '#' are skipped
 *   KEY=value                  key: [A-Za-z_][A-Za-z0-9_]*; blanks around '=' are allowed
 *   KEY=two words   # note     unquoted: up to a '#' that follows a blank, trailing blanks cut
 *   KEY="a \"b\" $c"           double quotes: \" \\ \$ \` are escapes, other '\' stay
 *   KEY='literal'              single quotes: no escapes
 *
 * After a closing quote only blanks and a comment may follow.
 */

#include <stddef.h>

#define CONF_FILE_MAX (64 * 1024) /* bytes, for callers reading whole files */
#define CONF_LINE_MAX 4096	  /* bytes per line, without the newline */

/* Called once per assignment in file order; a negative return stops the walk. */
typedef int (*conf_cb)(const char *key, const char *value, unsigned line, void *userdata);

/*
 * Walks the assignments of buf (len bytes). Returns 0 or a negative errno: -EINVAL for a
 * syntax error (no '=', bad key, unterminated quote, text after a closing quote, NUL byte),
 * -E2BIG for a line longer than CONF_LINE_MAX, -EFBIG for len > CONF_FILE_MAX, or the
 * callback's return. On failure *err_line (optional) is the 1-based line that failed.
 */
int conf_parse(const char *buf, size_t len, conf_cb cb, void *userdata, unsigned *err_line);
