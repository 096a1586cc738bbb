#pragma once

/*
 * A small HTTP(S) client over libcurl's easy interface for the agent's calls to Ironic (the
 * image download has its own streaming path in download.c). Proxies come from the environment
 * as curl reads them (http_proxy, https_proxy, no_proxy), as Python's requests does for IPA.
 *
 * TLS, as IPA's utils.get_ssl_client_options and requests: the peer is verified (certificate
 * chain and host name) against the CA bundle (agent/ca.h), else libcurl's built-in default
 * (/etc/ssl/certs/ca-certificates.crt, which the image does not have: the log says so once, at
 * the first https URL); ipa-insecure turns verification off and every request to an https URL
 * logs a warning; TLS 1.2 at least (1.3 with ipa-tls-min-version=1.3), ipa-tls-cipher-suites
 * as curl's cipher list.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct http_request {
	const char *method; /* "GET", "POST" */
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	const char *body;	    /* may be NULL */
	size_t body_len;
	bool insecure;	     /* no TLS verification (or the process-wide setting) */
	const char *ca_file; /* may be NULL: the process-wide CA bundle */
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

/* The client's TLS settings, for every request of the process. */
struct http_tls {
	const char *ca_file; /* CA bundle (PEM); NULL: libcurl's built-in default */
	bool insecure;	     /* ipa-insecure: no verification, a warning at every request */
	bool tls13;	     /* ipa-tls-min-version=1.3 (else TLS 1.2 at least) */
	const char *ciphers; /* ipa-tls-cipher-suites: CURLOPT_SSL_CIPHER_LIST, or NULL */
};

/* Sets them (copied), before any thread makes a request. -ENOMEM. */
int http_tls_set(const struct http_tls *t);
/* The settings in force (all unset until http_tls_set()). */
const struct http_tls *http_tls_get(void);

/*
 * "scheme://host[:port]" of url, without the user information, the path and the query (which
 * may hold credentials or temporary URL signatures): what the TLS warnings name.
 */
static inline void http_url_origin(const char *url, char *buf, size_t size)
{
	const char *h = strstr(url, "://"), *end, *at;
	size_t n;

	if (!h) {
		snprintf(buf, size, "%.64s", url);
		return;
	}
	h += 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	n = (size_t)(h - url);
	snprintf(buf, size, "%.*s%.*s", (int)n, url, (int)(end - (at ? at + 1 : h)),
		 at ? at + 1 : h);
}

/* Whether url is https:// (any case). */
static inline bool http_url_is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

/*
 * Returns 0 when an answer came (any status), or a negative errno: -ECONNREFUSED for a failure
 * to resolve or connect (the next URL may work), -ETIMEDOUT, -EFBIG, -EPROTO for TLS and other
 * transport errors. ret->error says why.
 */
int http_request(const struct http_request *req, struct http_response *ret);
void http_response_done(struct http_response *r);
