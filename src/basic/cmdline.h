#pragma once

/*
 * Kernel command line tokenizer, shared by init and the agent.
 *
 * Words are separated by whitespace (space, tab, newline, ...). Double quotes group whitespace
 * into a word and are removed wherever they appear, as the kernel does: `a="b c"` and `"a=b c"`
 * both give key "a" and value "b c"; an unterminated quote runs to the end. The key is the text
 * before the first '=', the value the text after it; a word without '=' is a bare key, reported
 * with value NULL. Words with an empty key (`=x`, `""`) are skipped. Keys repeat freely: callers
 * that want one value take the last (cmdline_get() does).
 */

#include <stddef.h>

/* Longest command line accepted, in bytes (the largest COMMAND_LINE_SIZE of any architecture). */
#define CMDLINE_MAX 4096

/* Called once per word in order; a negative return stops the walk and is passed back. */
typedef int (*cmdline_cb)(const char *key, const char *value, void *userdata);

/*
 * Walks the words of buf (len bytes, need not be NUL-terminated; NUL bytes count as
 * whitespace). Returns 0, -E2BIG when len > CMDLINE_MAX, or the callback's negative return.
 */
int cmdline_parse(const char *buf, size_t len, cmdline_cb cb, void *userdata);

/*
 * Looks key up, last occurrence wins. Returns 1 when found, with *ret_value a heap copy of the
 * value (NULL for a bare key; ret_value may be NULL), 0 when absent, or a negative errno.
 */
int cmdline_get(const char *buf, size_t len, const char *key, char **ret_value);
