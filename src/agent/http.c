#include "agent/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log.h"
#include "basic/macro.h"

static struct http_tls tls;
static char *tls_ca_file, *tls_ciphers;
static atomic_bool no_ca_said;

struct sink {
	char *buf;
	size_t len, allocated, max;
	bool too_big;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (s->len + n > s->max) {
		s->too_big = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->allocated) {
		size_t k = s->allocated ? s->allocated : 4096;
		char *b;

		while (k < s->len + n + 1)
			k *= 2;
		b = realloc(s->buf, k);
		if (!b)
			return 0;
		s->buf = b;
		s->allocated = k;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

int http_tls_set(const struct http_tls *t)
{
	char *ca = t->ca_file ? strdup(t->ca_file) : NULL;
	char *ciphers = t->ciphers ? strdup(t->ciphers) : NULL;

	if ((t->ca_file && !ca) || (t->ciphers && !ciphers)) {
		free(ca);
		free(ciphers);
		return -ENOMEM;
	}
	free(tls_ca_file);
	free(tls_ciphers);
	tls_ca_file = ca;
	tls_ciphers = ciphers;
	tls = (struct http_tls){
	    .ca_file = ca, .insecure = t->insecure, .tls13 = t->tls13, .ciphers = ciphers};
	atomic_store(&no_ca_said, false);
	return 0;
}

const struct http_tls *http_tls_get(void)
{
	return &tls;
}

/* The TLS options of one request; the warnings the settings call for. */
static void tls_setup(CURL *h, const char *url, bool insecure, const char *ca_file)
{
	char origin[256];

	curl_easy_setopt(h, CURLOPT_SSLVERSION,
			 (long)(tls.tls13 ? CURL_SSLVERSION_TLSv1_3 : CURL_SSLVERSION_TLSv1_2));
	if (tls.ciphers)
		curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, tls.ciphers);
	if (insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		if (http_url_is_https(url)) {
			http_url_origin(url, origin, sizeof(origin));
			log_warning("ipa-insecure: the TLS certificate of %s is not verified",
				    origin);
		}
	} else if (ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	} else if (http_url_is_https(url) && !atomic_exchange(&no_ca_said, true)) {
		log_warning("no CA bundle in /etc/ingot/ca: libcurl's built-in CA store applies "
			    "(the ingot image has none: https peers cannot be verified)");
	}
}

static int errno_from_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

int http_request(const struct http_request *req, struct http_response *ret)
{
	struct sink sink = {.max = req->max_body};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode code;
	CURL *h;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	h = curl_easy_init();
	if (!h) {
		snprintf(ret->error, sizeof(ret->error), "cannot initialise curl");
		return -ENOMEM;
	}
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *n = curl_slist_append(headers, *p);

		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		headers = n;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (req->timeout_s)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)req->timeout_s);
	tls_setup(h, req->url, req->insecure || tls.insecure,
		  req->ca_file ? req->ca_file : tls.ca_file);

	code = curl_easy_perform(h);
	if (code == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ret->status);
		ret->body = TAKE_PTR(sink.buf);
		ret->len = sink.len;
	} else if (sink.too_big) {
		snprintf(ret->error, sizeof(ret->error), "answer larger than %zu bytes",
			 req->max_body);
		r = -EFBIG;
	} else {
		snprintf(ret->error, sizeof(ret->error), "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(code));
		r = errno_from_curl(code);
	}
out:
	free(sink.buf);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	return r;
}

void http_response_done(struct http_response *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
