#pragma once

/*
 * A small HTTP(S) client over libcurl's easy interface for the agent's calls to Ironic (the
 * image download has its own streaming path in download.c). Proxies come from the environment
 * as curl reads them (http_proxy, https_proxy, no_proxy), as Python's requests does for IPA.
 */

#include <stdbool.h>
#include <stddef.h>

struct http_request {
	const char *method; /* "GET", "POST" */
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	const char *body;	    /* may be NULL */
	size_t body_len;
	bool insecure;	     /* no TLS verification */
	const char *ca_file; /* may be NULL: the system's CAs */
	unsigned timeout_s;  /* whole request; 0 = none */
	size_t max_body;     /* a longer answer fails with -EFBIG */
};

struct http_response {
	long status;
	char *body; /* NUL-terminated, NULL when empty */
	size_t len;
	char error[256]; /* why a request failed, for the log */
};

/* Once, before any thread uses curl. */
int http_global_init(void);

/*
 * Returns 0 when an answer came (any status), or a negative errno: -ECONNREFUSED for a failure
 * to resolve or connect (the next URL may work), -ETIMEDOUT, -EFBIG, -EPROTO for TLS and other
 * transport errors. ret->error says why.
 */
int http_request(const struct http_request *req, struct http_response *ret);
void http_response_done(struct http_response *r);
