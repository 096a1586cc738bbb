#define _GNU_SOURCE 1 /* asprintf(), open_memstream() */
/*
 * download: IPA's ImageDownload with libcurl (see download.h for the retry rules).
 *
 * requests opens the response in _download_with_proxy and reads the body later in
 * ImageDownload.__iter__; curl does both in one transfer. The split is kept by watching the
 * status: a transfer that fails before a 200 arrived is a failed request (retried by the
 * request loop), one that fails after it is a failed download (retried by the outer loop, from
 * byte 0). A non-200 body never reaches the output: its first DOWNLOAD_ERROR_BODY_MAX bytes
 * go into the error text, as IPA's "Response body: ...".
 *
 * Not reproduced: the text of requests' own exceptions (curl's error text is used), Python's
 * float formatting of times, image_request_authorization and the [DEFAULT]image_server_*
 * credentials of IPA master, ipa-tls-min-version 1.3, REQUESTS_CA_BUNDLE.
 */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "agent/download.h"
#include "agent/http.h" /* the URL helpers only (inline) */
#include "agent/log.h"
#include "basic/fileio.h"
#include "basic/macro.h"

/* CLOCK_MONOTONIC in microseconds: basic/time-util's mono_usec(), kept here so that the unit
 * test's list of sources fits on its one line. */
static usec_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

/* Internal: the outer loop retries this; every other negative value ends the download. */
#define RETRY_DOWNLOAD (-EAGAIN)

/* The note that no CA bundle is given: once, at the first https URL. */
static atomic_bool no_ca_said;

void download_params_init(struct download_params *p)
{
	*p = (struct download_params){
	    .connection_timeout = 60,
	    .connection_retries = 9,
	    .retry_interval = 10,
	    .md5_enabled = true,
	    .progress_interval = 5,
	};
}

void download_result_done(struct download_result *r)
{
	if (r)
		image_error_done(&r->error);
}

struct xfer {
	const struct download_params *p;
	CURL *curl;
	usec_t start; /* of the whole download, for max_duration */
	/* the sink of a 200 body: the output (fd >= 0) or memory */
	int fd;
	struct digest *digest;
	unsigned char *buf;
	size_t buf_len;
	char *mem;
	size_t mem_len, mem_max;
	/* the response */
	long status;
	bool status_known, got_200, body_full, too_large, over_time;
	int write_error; /* negative errno of a failed write */
	char body[DOWNLOAD_ERROR_BODY_MAX + 1];
	size_t body_len;
	char headers[DOWNLOAD_HEADERS_MAX]; /* "name\0value\0"... of the last response */
	size_t headers_len;
	unsigned n_headers;
	uint64_t bytes;
	usec_t last_progress;
	uint64_t last_bytes;
	char errbuf[CURL_ERROR_SIZE];
};

static bool cancelled(const struct download_params *p)
{
	return p->cancel && atomic_load(p->cancel);
}

/* time.sleep(), in slices so that cancel is seen; false when cancelled. */
static bool sleep_cancellable(const struct download_params *p, unsigned seconds)
{
	usec_t end = mono_usec() + seconds * USEC_PER_SEC;

	while (!cancelled(p)) {
		usec_t now = mono_usec();
		struct timespec ts = {0, 100 * 1000 * 1000};

		if (now >= end)
			return true;
		if (end - now < 100 * USEC_PER_MSEC)
			ts.tv_nsec = (long)(end - now) * 1000;
		nanosleep(&ts, NULL);
	}
	return false;
}

static int flush_buffer(struct xfer *x)
{
	int r;

	if (x->buf_len == 0)
		return 0;
	if (x->p->sink)
		r = x->p->sink->write(x->p->sink->userdata, x->buf, x->buf_len);
	else
		r = write_all(x->fd, x->buf, x->buf_len);
	x->buf_len = 0;
	return r;
}

static void log_progress(struct xfer *x, bool force)
{
	usec_t now = mono_usec(), step = x->p->progress_interval * USEC_PER_SEC;
	double rate;
	curl_off_t total = -1;

	if (!force && (step == 0 || now - x->last_progress < step))
		return;
	rate = (double)(x->bytes - x->last_bytes) / 1e6 /
	       ((double)(now - x->last_progress) / USEC_PER_SEC + 1e-9);
	curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
	if (total > 0)
		log_info("image download: %llu of %lld bytes (%u%%), %.1f MB/s",
			 (unsigned long long)x->bytes, (long long)total,
			 (unsigned)(x->bytes * 100 / (uint64_t)total), rate);
	else
		log_info("image download: %llu bytes, %.1f MB/s", (unsigned long long)x->bytes,
			 rate);
	x->last_progress = now;
	x->last_bytes = x->bytes;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb, k;

	if (!x->status_known) {
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
		x->status_known = true;
		x->got_200 = x->status == 200;
	}
	if (!x->got_200) {
		k = MIN(n, DOWNLOAD_ERROR_BODY_MAX - x->body_len);
		memcpy(x->body + x->body_len, data, k);
		x->body_len += k;
		if (x->body_len == DOWNLOAD_ERROR_BODY_MAX) {
			x->body_full = true; /* enough for the error: stop reading */
			return 0;
		}
		return n;
	}
	if (cancelled(x->p))
		return 0;
	if (x->fd >= 0 && x->p->max_duration > 0 &&
	    mono_usec() - x->start > x->p->max_duration * USEC_PER_SEC) {
		x->over_time = true;
		return 0;
	}
	if (x->fd < 0) {
		if (n > x->mem_max - x->mem_len) {
			x->too_large = true;
			return 0;
		}
		memcpy(x->mem + x->mem_len, data, n);
		x->mem_len += n;
		return n;
	}
	if (digest_update(x->digest, data, n) < 0) {
		x->write_error = -EIO;
		return 0;
	}
	for (size_t done = 0; done < n; done += k) {
		k = MIN(n - done, DOWNLOAD_BUFFER_SIZE - x->buf_len);
		memcpy(x->buf + x->buf_len, data + done, k);
		x->buf_len += k;
		if (x->buf_len == DOWNLOAD_BUFFER_SIZE) {
			int r = flush_buffer(x);

			if (r < 0) {
				x->write_error = r;
				return 0;
			}
		}
	}
	x->bytes += n;
	log_progress(x, false);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb, nl, vl;
	const char *colon, *v, *end = data + n;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new response (after a redirect) */
		x->headers_len = 0;
		x->n_headers = 0;
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon || x->n_headers >= DOWNLOAD_HEADERS_COUNT_MAX)
		return n;
	nl = colon - data;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	vl = end - v;
	if (nl == 0 || nl + vl + 2 > sizeof(x->headers) - x->headers_len)
		return n; /* dropped from the error text, the transfer goes on */
	memcpy(x->headers + x->headers_len, data, nl);
	x->headers[x->headers_len + nl] = '\0';
	memcpy(x->headers + x->headers_len + nl + 1, v, vl);
	x->headers[x->headers_len + nl + 1 + vl] = '\0';
	x->headers_len += nl + vl + 2;
	x->n_headers++;
	return n;
}

static int on_xferinfo(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = userdata;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return cancelled(x->p) ? 1 : 0;
}

/* The value of header name in the last response, or NULL. */
static const char *xfer_header(const struct xfer *x, const char *name)
{
	for (size_t i = 0; i < x->headers_len;) {
		const char *k = x->headers + i, *v = k + strlen(k) + 1;

		if (strcasecmp(k, name) == 0)
			return v;
		i = (v + strlen(v) + 1) - x->headers;
	}
	return NULL;
}

/* Python's repr() of a str: single quotes, or double ones when only ' occurs inside. */
static void py_str_repr(FILE *f, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

	fputc(q, f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == q || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc(q, f);
}

/* The next "name\0value\0" entry of the header list after offset i. */
static size_t header_next(const struct xfer *x, size_t i, const char **k, const char **v)
{
	*k = x->headers + i;
	*v = *k + strlen(*k) + 1;
	return (*v + strlen(*v) + 1) - x->headers;
}

/* str(response.headers): a dict repr, repeated names joined with ", " as urllib3 does. */
static void headers_repr(FILE *f, const struct xfer *x)
{
	bool first = true;

	fputc('{', f);
	for (size_t i = 0, next; i < x->headers_len; i = next) {
		const char *k, *v, *k2, *v2;
		_cleanup_free_ char *merged = NULL;
		size_t sz = 0;
		bool seen = false;
		FILE *m;

		next = header_next(x, i, &k, &v);
		for (size_t j = 0; j < i && !seen;) {
			j = header_next(x, j, &k2, &v2);
			seen = strcasecmp(k2, k) == 0;
		}
		if (seen)
			continue;
		m = open_memstream(&merged, &sz);
		if (!m)
			continue;
		fputs(v, m);
		for (size_t j = next; j < x->headers_len;) {
			j = header_next(x, j, &k2, &v2);
			if (strcasecmp(k2, k) == 0)
				fprintf(m, ", %s", v2);
		}
		fclose(m);
		fputs(first ? "" : ", ", f);
		first = false;
		py_str_repr(f, k);
		fputs(": ", f);
		py_str_repr(f, merged);
	}
	fputc('}', f);
}

/* requests' select_proxy over image_info.proxies. */
static const char *select_proxy(struct json_object *proxies, const char *url)
{
	char scheme[16], host[256], key[300];
	const char *p = strstr(url, "://"), *h, *e, *at;
	struct json_object *v;
	size_t n;

	if (!proxies || !json_object_is_type(proxies, json_type_object) || !p ||
	    (size_t)(p - url) >= sizeof(scheme))
		return NULL;
	snprintf(scheme, sizeof(scheme), "%.*s", (int)(p - url), url);
	h = p + 3;
	e = h + strcspn(h, "/?#");
	at = memchr(h, '@', e - h);
	while (at) { /* the last '@' ends the userinfo */
		h = at + 1;
		at = memchr(h, '@', e - h);
	}
	if (*h == '[') {
		h++;
		n = strcspn(h, "]");
	} else
		n = strcspn(h, ":/?#");
	n = MIN(n, (size_t)(e - h));
	if (n >= sizeof(host))
		n = 0;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)h[i]);
	host[n] = '\0';

	const char *keys[] = {key, scheme, NULL, "all"};
	char key2[300];

	snprintf(key, sizeof(key), "%s://%s", scheme, host);
	snprintf(key2, sizeof(key2), "all://%s", host);
	keys[2] = key2;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if ((n > 0 || (i != 0 && i != 2)) &&
		    json_object_object_get_ex(proxies, keys[i], &v) &&
		    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			return json_object_get_string(v);
	return NULL;
}

static const char *info_string(struct json_object *info, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(info, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int xfer_setup(struct xfer *x, const char *url)
{
	const struct download_params *p = x->p;
	struct json_object *proxies = NULL;
	const char *proxy, *no_proxy = info_string(p->image_info, "no_proxy");
	long t = p->connection_timeout;
	CURL *c;

	curl_easy_reset(x->curl);
	c = x->curl;
	x->status = 0;
	x->status_known = x->got_200 = x->body_full = x->too_large = x->over_time = false;
	x->write_error = 0;
	x->body_len = x->headers_len = x->n_headers = 0;
	x->errbuf[0] = '\0';
	json_object_object_get_ex(p->image_info, "proxies", &proxies);
	proxy = select_proxy(proxies, url);

	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return -EINVAL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 30L); /* requests' limit */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, t);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_SSLVERSION,
			 (long)(p->tls13 ? CURL_SSLVERSION_TLSv1_3 : CURL_SSLVERSION_TLSv1_2));
	if (p->ciphers)
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, p->ciphers);
	if (p->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		if (http_url_is_https(url)) {
			char origin[256];

			http_url_origin(url, origin, sizeof(origin));
			log_warning("ipa-insecure: the TLS certificate of %s is not verified",
				    origin);
		}
	} else if (p->cafile) {
		curl_easy_setopt(c, CURLOPT_CAINFO, p->cafile);
	} else if (http_url_is_https(url) && !atomic_exchange(&no_ca_said, true)) {
		log_warning("no CA bundle in /etc/ingot/ca: libcurl's built-in CA store applies to "
			    "image downloads (the ingot image has none)");
	}
	if (p->certfile && p->keyfile) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, p->certfile);
		curl_easy_setopt(c, CURLOPT_SSLKEY, p->keyfile);
	}
	if (proxy) { /* explicit proxies win over no_proxy, as in requests */
		curl_easy_setopt(c, CURLOPT_PROXY, proxy);
		curl_easy_setopt(c, CURLOPT_NOPROXY, "");
	} else if (no_proxy && *no_proxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, no_proxy);
	if (info_string(p->image_info, "image_server_auth_strategy") &&
	    strcmp(info_string(p->image_info, "image_server_auth_strategy"), "http_basic") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME,
				 info_string(p->image_info, "image_server_user"));
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 info_string(p->image_info, "image_server_password"));
	}
	return 0;
}

static const char *xfer_strerror(const struct xfer *x, CURLcode cc)
{
	return x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
}

/*
 * IPA's _download_with_proxy plus the body: requests to url until a 200 whose body was read,
 * with the request retries. Returns 0 once a 200 body is complete; otherwise *err is set and:
 * -EPROTO  a 200 whose body failed (the caller words the error), err holds the cause;
 * -ECONNREFUSED  a connection error after the retries (IPA: the requests exception escapes);
 * -EREMOTEIO  a 5xx after the retries (ImageDownloadError(image_id, msg) in *err);
 * -EPERM  a 4xx after the retries (ImageDownloadFatalError);
 * -ECANCELED.
 */
static int xfer_request(struct xfer *x, const char *url, const char *image_id,
			struct image_error *err)
{
	const struct download_params *p = x->p;
	int r = -EIO;

	for (unsigned attempt = 0; attempt <= p->connection_retries; attempt++) {
		CURLcode cc;

		if (attempt > 0 && !sleep_cancellable(p, p->retry_interval))
			return -ECANCELED;
		r = xfer_setup(x, url);
		if (r < 0)
			return image_error_set(err, "CommandExecutionError", "Invalid URL %s", url),
			       r;
		x->bytes = x->last_bytes = 0;
		x->last_progress = mono_usec();
		cc = curl_easy_perform(x->curl);
		if (cancelled(p))
			return -ECANCELED;
		if (x->got_200 ||
		    (cc == CURLE_OK && !x->status_known &&
		     curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status) == CURLE_OK &&
		     x->status == 200)) {
			x->got_200 = true;
			if (cc == CURLE_OK)
				return 0;
			if (x->write_error < 0)
				image_error_set(err, "ImageDownloadError", "[Errno %d] %s",
						-x->write_error, strerror(-x->write_error));
			else if (x->over_time)
				image_error_set(
				    err, "ImageDownloadTimeoutError",
				    "Download of image %s failed: Download exceeded max "
				    "allowed time (%u seconds)",
				    image_id, p->max_duration);
			else if (x->too_large)
				image_error_set(err, "ImageDownloadFatalError",
						"Download of image %s failed: Checksum file larger "
						"than %d bytes",
						image_id, CHECKSUM_FILE_MAX);
			else
				image_error_set(err, "ImageDownloadError", "%s",
						xfer_strerror(x, cc));
			return -EPROTO;
		}
		if (!x->status_known)
			curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
		if (x->status > 0 && (cc == CURLE_OK || x->body_full || cc == CURLE_PARTIAL_FILE)) {
			_cleanup_free_ char *msg = NULL;
			size_t sz = 0;
			FILE *f = open_memstream(&msg, &sz);

			if (!f)
				return -ENOMEM;
			fprintf(f,
				"Received status code %ld from %s, expected 200. Response body: ",
				x->status, url);
			for (size_t i = 0; i < x->body_len; i++) /* no NULs in the details */
				fputc(x->body[i] ? x->body[i] : '?', f);
			fputs(" Response headers: ", f);
			headers_repr(f, x);
			fclose(f);
			image_error_set(
			    err, x->status < 500 ? "ImageDownloadFatalError" : "ImageDownloadError",
			    "Download of image %s failed: %s", image_id, msg);
			r = x->status < 500 ? -EPERM : -EREMOTEIO;
		} else {
			image_error_set(err, "CommandExecutionError", "%s", xfer_strerror(x, cc));
			r = -ECONNREFUSED;
		}
		if (attempt < p->connection_retries)
			log_warning("Unable to connect to %s, retrying. Error: %s%s%s", url,
				    r == -ECONNREFUSED ? "" : err->message,
				    r == -ECONNREFUSED ? "" : ": ", err->details);
	}
	return r;
}

/* _fetch_checksum's download: the text at url, into a bounded buffer. */
static int fetch_checksum_file(struct xfer *x, const char *url, char **ret, size_t *ret_len,
			       struct image_error *err)
{
	int r;

	log_debug("Downloading checksums file from %s", url);
	x->mem = malloc(CHECKSUM_FILE_MAX + 1);
	if (!x->mem)
		return -ENOMEM;
	x->mem_len = 0;
	x->mem_max = CHECKSUM_FILE_MAX;
	x->fd = -1;
	r = xfer_request(x, url, url, err);
	if (r == -EPROTO && strcmp(err->type, "ImageDownloadError") == 0)
		/* requests raises from .text: the exception escapes IPA's loops */
		image_error_set(err, "CommandExecutionError", "%s", err->details);
	if (r < 0) {
		free(x->mem);
		x->mem = NULL;
		return r == -EREMOTEIO ? RETRY_DOWNLOAD : r;
	}
	x->mem[x->mem_len] = '\0';
	*ret = TAKE_PTR(x->mem);
	*ret_len = x->mem_len;
	return 0;
}

/* The text IPA's details start with, "Download of image <id> failed: ", skipped. */
static const char *secondary_message(const struct image_error *e, const char *image_id)
{
	size_t n = strlen("Download of image ") + strlen(image_id) + strlen(" failed: ");

	if (e->details && strlen(e->details) >= n &&
	    strncmp(e->details, "Download of image ", 18) == 0)
		return e->details + n;
	return e->details ? e->details : "";
}

/* _verify_basic_auth_creds for image_info's http_basic strategy. */
static int check_basic_auth(struct json_object *info, const char *image_id, struct image_error *err)
{
	const char *s = info_string(info, "image_server_auth_strategy");
	const char *user = info_string(info, "image_server_user");
	const char *password = info_string(info, "image_server_password");
	bool no_user = !user || !*user, no_password = !password || !*password;

	if (!s || strcmp(s, "http_basic") != 0 || (!no_user && !no_password))
		return 0;
	image_error_set(err, "ImageDownloadError",
			"Download of image %s failed: Missing [%s%s%s] fields from HTTP(S) basic "
			"auth config",
			image_id, no_user ? "'user'" : "", no_user && no_password ? ", " : "",
			no_password ? "'password'" : "");
	return -EACCES;
}

/* Back to byte 0; a file (not a device, even one standing in for a disk) is emptied too. */
static int rewind_output(int fd, bool device)
{
	struct stat st;

	if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!device && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) /* IPA's 'wb' */
		return -errno;
	return 0;
}

/* An error while the body was written: IPA's "Unable to write image to ..." wrapping. */
static int body_error(struct xfer *x, const char *image_id, struct image_error *err)
{
	_cleanup_free_ char *cause = NULL;
	const struct download_params *p = x->p;
	bool out_of_space = x->write_error == -ENOSPC && !p->target_is_device;
	int w = x->write_error;

	if (p->sink && w < 0) {
		const char *why = p->sink->error(p->sink->userdata);

		if (w == -EINVAL || w == -ESPIPE || w == -EFBIG) {
			image_error_set(err, "ImageWriteError",
					"Error writing image to device %s: %s", p->target, why);
			return -EINVAL;
		}
		image_error_set(err, "ImageDownloadError", "%s", why);
	}

	if (strcmp(err->type, "ImageDownloadTimeoutError") == 0)
		(void)!asprintf(&cause, "%s: %s", err->message, err->details);
	else
		cause = err->details ? strdup(err->details) : NULL;
	image_error_set(err, out_of_space ? "ImageDownloadOutofSpaceError" : "ImageDownloadError",
			"Download of image %s failed: Unable to write image to %s%s. Error: %s",
			image_id, p->target_is_device ? "device " : "", p->target,
			cause ? cause : "");
	return out_of_space ? -ENOSPC : RETRY_DOWNLOAD;
}

/* One ImageDownload: checksum, then the URLs in order, the body onto out_fd, verification. */
static int download_attempt(struct xfer *x, int out_fd, struct download_result *res)
{
	const struct download_params *p = x->p;
	struct json_object *urls = NULL;
	const char *id = info_string(p->image_info, "id");
	_cleanup_(checksum_spec_done) struct checksum_spec spec = {0};
	_cleanup_(digest_freep) struct digest *d = NULL;
	_cleanup_free_ char *details = NULL;
	size_t details_size = 0, n_urls;
	struct image_error *err = &res->error;
	enum checksum_algo detected;
	const char *why;
	FILE *f;
	int r;

	json_object_object_get_ex(p->image_info, "urls", &urls);
	n_urls = json_object_array_length(urls);
	r = checksum_spec_from_image_info(p->image_info, p->md5_enabled, &spec, err);
	if (r < 0)
		return r;
	if (spec.value_is_url) {
		_cleanup_free_ char *text = NULL, *found = NULL;
		size_t len;

		r = fetch_checksum_file(x, spec.value, &text, &len, err);
		if (r < 0)
			return r;
		r = checksum_file_find(text, len,
				       json_object_get_string(json_object_array_get_idx(urls, 0)),
				       spec.value, &found, err);
		if (r < 0)
			return r == -ENOMEM ? r : RETRY_DOWNLOAD;
		r = checksum_spec_resolve(&spec, found, p->md5_enabled, err);
		if (r < 0)
			return r;
	}
	if (spec.algo_given &&
	    checksum_algo_from_length(strlen(spec.value), true, &detected, &why) >= 0 &&
	    strcmp(checksum_algo_to_string(detected), spec.algo_given) != 0)
		log_warning("Provided checksum algorithm %s does not match the detected algorithm "
			    "%s. It may be a sign of a user error when providing the algorithm or "
			    "the checksum URL.",
			    spec.algo_given, checksum_algo_to_string(detected));
	res->algo = spec.algo;
	snprintf(res->expected, sizeof(res->expected), "%s", spec.value);

	f = open_memstream(&details, &details_size);
	if (!f)
		return -ENOMEM;
	r = -EIO;
	for (size_t i = 0; i < n_urls; i++) {
		const char *url = json_object_get_string(json_object_array_get_idx(urls, i));

		d = digest_free(d);
		r = digest_new(spec.algo, &d);
		if (r >= 0)
			r = rewind_output(out_fd, p->target_is_device);
		if (r >= 0 && p->sink)
			p->sink->rewind(p->sink->userdata);
		if (r < 0) {
			image_error_set(err, "ImageDownloadError",
					"Download of image %s failed: Unable to write image to %s. "
					"Error: [Errno %d] %s",
					id, p->target, -r, strerror(-r));
			break;
		}
		r = check_basic_auth(p->image_info, id, err);
		if (r >= 0) {
			log_info("Attempting to download image from %s", url);
			x->fd = out_fd;
			x->digest = d;
			x->buf_len = 0;
			r = xfer_request(x, url, id, err);
		}
		if (r == 0)
			break;
		if (r == -EREMOTEIO || r == -EACCES) { /* the next URL */
			const char *msg = secondary_message(err, id);
			double t = (double)(mono_usec() - x->start) / USEC_PER_SEC;

			log_warning("URL: %s; time: %f seconds. Error: %s", url, t, msg);
			fprintf(f, "%sURL: %s; time: %f seconds. Error: %s", i > 0 ? "\n " : "",
				url, t, msg);
			r = RETRY_DOWNLOAD;
			continue;
		}
		break;
	}
	fclose(f);
	if (r == RETRY_DOWNLOAD) {
		image_error_set(err, "ImageDownloadError", "Download of image %s failed: %s", id,
				details);
		return r;
	}
	if (r == -EPROTO)
		return body_error(x, id, err);
	if (r < 0)
		return r;

	res->bytes = x->bytes;
	res->content_length = -1;
	if (xfer_header(x, "Content-Length"))
		res->content_length = strtoll(xfer_header(x, "Content-Length"), NULL, 10);
	r = flush_buffer(x);
	if (r >= 0 && p->sink)
		r = p->sink->finish(p->sink->userdata);
	if (r >= 0 && fsync(out_fd) < 0 && errno != EINVAL && errno != EROFS)
		r = -errno;
	if (r < 0) {
		x->write_error = r;
		image_error_set(err, "ImageDownloadError", "[Errno %d] %s", -r, strerror(-r));
		return body_error(x, id, err);
	}
	log_progress(x, true);
	r = digest_finish_hex(d, res->digest);
	if (r < 0)
		return r;
	log_debug("Verifying image at %s against %s checksum %s", p->target,
		  checksum_algo_to_string(spec.algo), res->digest);
	r = checksum_verify(res->digest, spec.value, id, p->target, err);
	if (r < 0)
		log_error("%s", err->details);
	return r;
}

static int check_image_info(struct json_object *info, struct image_error *err)
{
	struct json_object *urls;
	size_t n;

	if (!info || !json_object_is_type(info, json_type_object))
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image is missing 'id' field."),
		       -EINVAL;
	if (!json_object_object_get_ex(info, "id", NULL))
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image is missing 'id' field."),
		       -EINVAL;
	if (!json_object_object_get_ex(info, "urls", &urls))
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image is missing 'urls' field."),
		       -EINVAL;
	if (!json_object_is_type(urls, json_type_array) || json_object_array_length(urls) == 0)
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image 'urls' must be a list with at least one element."),
		       -EINVAL;
	if (!info_string(info, "id"))
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image 'id' must be a string."),
		       -EINVAL;
	n = json_object_array_length(urls);
	if (n > DOWNLOAD_URLS_MAX)
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image 'urls' has more than %d elements.",
				       DOWNLOAD_URLS_MAX),
		       -E2BIG;
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(urls, i);

		if (!json_object_is_type(u, json_type_string) ||
		    json_object_get_string_len(u) >= DOWNLOAD_URL_MAX)
			return image_error_set(err, "InvalidCommandParamsError",
					       "Image 'urls' must be strings of at most %d bytes.",
					       DOWNLOAD_URL_MAX - 1),
			       -EINVAL;
	}
	return 0;
}

int download_image(const struct download_params *p, int out_fd, struct download_result *ret)
{
	struct xfer x = {.p = p, .fd = -1};
	void *buf = NULL;
	int r;

	*ret = (struct download_result){.content_length = -1, .algo = CHECKSUM_ALGO_BY_LENGTH};
	r = check_image_info(p->image_info, &ret->error);
	if (r < 0)
		return r;
	r = checksum_validate_image_info(p->image_info, p->md5_enabled, &ret->error);
	if (r < 0)
		return r;
	if (posix_memalign(&buf, DOWNLOAD_BUFFER_ALIGN, DOWNLOAD_BUFFER_SIZE) != 0)
		return -ENOMEM;
	x.buf = buf;
	x.curl = curl_easy_init();
	if (!x.curl) {
		free(buf);
		return -ENOMEM;
	}
	x.start = mono_usec();
	for (unsigned attempt = 0; attempt <= p->connection_retries; attempt++) {
		ret->attempts++;
		r = download_attempt(&x, out_fd, ret);
		if (r == 0 || (r != RETRY_DOWNLOAD && r != -EBADMSG))
			break;
		if (attempt == p->connection_retries)
			break;
		log_warning("Image download failed, %u of %u: %s: %s", attempt,
			    p->connection_retries, ret->error.message, ret->error.details);
		if (!sleep_cancellable(p, p->retry_interval)) {
			r = -ECANCELED;
			break;
		}
	}
	ret->elapsed = mono_usec() - x.start;
	curl_easy_cleanup(x.curl);
	free(buf);
	free(x.mem);

	if (r == 0) {
		char reported[32] = "None";

		if (ret->content_length >= 0)
			snprintf(reported, sizeof(reported), "%lld",
				 (long long)ret->content_length);
		image_error_done(&ret->error);
		if (p->target_is_device)
			log_info("Image streamed onto device %s in %.3f seconds for %llu bytes. "
				 "Server originally reported %s.",
				 p->target, (double)ret->elapsed / USEC_PER_SEC,
				 (unsigned long long)ret->bytes, reported);
		else
			log_info(
			    "Image downloaded from %s in %.3f seconds. Transferred %llu bytes. "
			    "Server originally reported: %s.",
			    p->target, (double)ret->elapsed / USEC_PER_SEC,
			    (unsigned long long)ret->bytes, reported);
		return 0;
	}
	if (r == -ECANCELED)
		image_error_set(&ret->error, "CommandExecutionError", "image download cancelled");
	switch (r) {
	case -ECANCELED:
	case -EBADMSG:
	case -ENOSPC:
	case -ENOMEM:
	case -EINVAL:
		return r;
	default:
		return -EIO;
	}
}
