#pragma once

/*
 * download: an image from its image_info URLs onto a file descriptor, checked against its
 * checksum, with the retries of ironic-python-agent (IPA master, extensions/standby.py).
 *
 * Two nested retry loops, as in IPA:
 *   - the whole download (_stream_raw_image_onto_device / _download_image): up to
 *     connection_retries + 1 attempts, retry_interval seconds apart, each one starting again
 *     from byte 0 of the output (and fetching a checksum URL again). Retried: a 5xx on every
 *     URL, a transfer or write error after a 200, a checksum mismatch, a bad checksum file.
 *   - each request (_download_with_proxy): up to connection_retries + 1 attempts on a
 *     connection error or any status other than 200. IPA means not to retry 4xx here, but its
 *     test `resp and resp.status_code < 500` is always false for a 4xx requests.Response
 *     (whose truth value is "status < 400"), so a 4xx is retried too; when the retries are
 *     exhausted a 4xx is fatal (ImageDownloadFatalError: no other URL, no new download).
 *   - a connection error still failing after the request retries is fatal: IPA lets the
 *     requests exception escape both loops, and the command fails with CommandExecutionError.
 *   - the URLs of image_info are tried in order; only a 5xx moves on to the next one.
 * A read that stalls for connection_timeout seconds fails the request or the transfer
 * (requests' read timeout); max_duration (IPA master's ipa-image-download-max-duration)
 * bounds the whole download from its first attempt.
 *
 * Proxies as requests does them for IPA: image_info.proxies (keys "scheme://host", "scheme",
 * "all://host", "all") are used whatever no_proxy says; otherwise the environment's proxies,
 * with image_info.no_proxy (IPA puts it into the environment) in place of $no_proxy.
 * HTTP basic auth from image_info (image_server_auth_strategy "http_basic").
 *
 * The program must call curl_global_init() before the first download (it is not thread-safe).
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/checksum.h"
#include "basic/time-util.h"

struct json_object;

/* Longest URL accepted from image_info. */
#define DOWNLOAD_URL_MAX 8192
/* At most this many URLs in image_info.urls. */
#define DOWNLOAD_URLS_MAX 16
/* Bytes of a non-200 response body quoted in the error, as IPA's "Response body: ...". */
#define DOWNLOAD_ERROR_BODY_MAX 1024
/* Response headers kept for IPA's "Response headers: {...}": total bytes and count. */
#define DOWNLOAD_HEADERS_MAX	   8192
#define DOWNLOAD_HEADERS_COUNT_MAX 64
/* Size (and alignment) of the write buffer: IPA's IMAGE_CHUNK_SIZE. */
#define DOWNLOAD_BUFFER_SIZE  (1024 * 1024)
#define DOWNLOAD_BUFFER_ALIGN 4096

/*
 * Where a 200 body goes instead of straight onto the output: a converter that writes the
 * output itself (qcow2.h), fed the body in order. rewind is called when a download starts
 * again from byte 0, finish after the last byte (before the checksum is verified); error says
 * why the last call failed. A write or finish error of -EINVAL, -ESPIPE or -EFBIG (the image
 * is not one it can write) fails the download at once as ImageWriteError; any other one is a
 * write error, retried as such.
 */
struct download_sink {
	int (*write)(void *userdata, const uint8_t *data, size_t n);
	void (*rewind)(void *userdata);
	int (*finish)(void *userdata);
	const char *(*error)(void *userdata);
	void *userdata;
};

struct download_params {
	struct json_object *image_info;	  /* id, urls, checksum fields, proxies, no_proxy, auth */
	const char *target;		  /* the device or file written, for messages */
	const struct download_sink *sink; /* NULL: the body as it is onto the output */
	bool target_is_device;		  /* IPA's streaming path (else its download to a file) */

	unsigned connection_timeout; /* s: connect and read stall (60) */
	unsigned connection_retries; /* (9) */
	unsigned retry_interval;     /* s (10) */
	unsigned max_duration;	     /* s, 0: none */
	bool md5_enabled;	     /* IPA's [DEFAULT]md5_enabled (true) */

	bool insecure;	      /* ipa-insecure: no TLS verification (a warning per request) */
	const char *cafile;   /* CA bundle instead of the system's, or NULL */
	const char *certfile; /* client certificate and key, or NULL */
	const char *keyfile;
	bool tls13;	     /* ipa-tls-min-version=1.3 (else TLS 1.2 at least) */
	const char *ciphers; /* ipa-tls-cipher-suites, or NULL */

	unsigned progress_interval; /* s between progress lines (5) */
	const atomic_bool *cancel;  /* set from another thread to stop, or NULL */
};

/* IPA's defaults; image_info, target and the TLS files stay NULL. */
void download_params_init(struct download_params *p);

struct download_result {
	uint64_t bytes;			 /* written by the last attempt */
	int64_t content_length;		 /* the server's Content-Length, -1 if none */
	enum checksum_algo algo;	 /* the digest used */
	char digest[CHECKSUM_HEX_MAX];	 /* its lower-case hex over what was written */
	char expected[CHECKSUM_HEX_MAX]; /* the value it was checked against */
	unsigned attempts;		 /* whole-download attempts made */
	usec_t elapsed;
	struct image_error error; /* IPA's error when the download failed */
};

void download_result_done(struct download_result *r);

/*
 * Downloads the image of p->image_info onto out_fd (from offset 0; a regular file is
 * truncated first), hashing on the fly, then fsyncs and verifies it. Safe to call from a worker
 * thread. *ret is always filled (the counters, and ret->error on failure; release it with
 * download_result_done()). Returns 0, -EINVAL (image_info unusable: no checksum, unknown
 * algorithm, ...), -EBADMSG (checksum mismatch after the last attempt), -ENOSPC (file path
 * out of space), -ECANCELED, -ENOMEM, or -EIO for any other download failure.
 */
int download_image(const struct download_params *p, int out_fd, struct download_result *ret);
