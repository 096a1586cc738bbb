#pragma once

/*
 * Image checksums as ironic-python-agent (IPA, master) chooses and checks them
 * (extensions/standby.py: _validate_image_info, ImageDownload.__init__, _get_algorithm_by_length,
 * check_md5_enabled, _fetch_checksum, ImageDownload.verify_image).
 *
 * Selection from image_info (checksum_spec_from_image_info):
 *   1. os_hash_algo set and an algorithm this agent has: that algorithm, os_hash_value expected;
 *   2. else checksum is an http(s) URL: fetched by the caller, the algorithm taken from the
 *      length of the value found there unless os_hash_algo was given;
 *   3. else checksum: the algorithm from its length: 32 MD5 (only if md5 is enabled), 64
 *      SHA-256, 128 SHA-512, anything else an error;
 *   4. else: "Unable to verify image ... with available checksums ...".
 * An os_hash_value that is a URL is fetched too (IPA's "fallback" _fetch_checksum).
 *
 * The digest is compared as IPA does: the lower-case hex digest against the expected text,
 * byte for byte (an upper-case expected value never matches, as in IPA).
 *
 * The algorithms are those of mbedTLS's generic md API: md5, sha1, sha224, sha256, sha384,
 * sha512 (IPA accepts whatever Python's hashlib has; an os_hash_algo such as sha3_256 or
 * blake2b is "not available" here, and IPA's fallback to the checksum field applies).
 *
 * Errors come back in IPA's shape (struct image_error): the exception class name, its message
 * and HTTP code, and the details text IPA would put in the command's error.
 */

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* An error as IPA serialises it: {"type", "code", "message", "details"}. */
struct image_error {
	const char *type;    /* static: "ImageDownloadError", "ImageChecksumError", ... */
	const char *message; /* static: the class's message, e.g. "Error downloading image" */
	int code;	     /* the class's status_code */
	char *details;	     /* heap, owned */
};

/* Sets *e to an error of class type (one of IPA's errors.py class names) with printf details. */
int image_error_set(struct image_error *e, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void image_error_done(struct image_error *e);

enum checksum_algo {
	CHECKSUM_MD5,
	CHECKSUM_SHA1,
	CHECKSUM_SHA224,
	CHECKSUM_SHA256,
	CHECKSUM_SHA384,
	CHECKSUM_SHA512,
	_CHECKSUM_ALGO_MAX,
	CHECKSUM_ALGO_BY_LENGTH = -1, /* not known yet: from the length of the fetched value */
};

/* Longest hex digest (SHA-512) plus NUL. */
#define CHECKSUM_HEX_MAX (128 + 1)
/* Longest checksum value or URL taken from image_info. */
#define CHECKSUM_VALUE_MAX 8192
/* Largest checksum file read from a URL. */
#define CHECKSUM_FILE_MAX (1024 * 1024)

/* hashlib's names: "md5", "sha256", ...; NULL for an invalid value. */
const char *checksum_algo_to_string(enum checksum_algo a);
/* -EOPNOTSUPP for a name this agent does not have (hashlib names, case-sensitive). */
int checksum_algo_from_string(const char *s, enum checksum_algo *ret);
/* IPA's _get_algorithm_by_length: on failure -EINVAL with IPA's ValueError text in *ret_why. */
int checksum_algo_from_length(size_t len, bool md5_enabled, enum checksum_algo *ret,
			      const char **ret_why);

/* True for "http://..." and "https://..." (IPA's _is_checksum_url). */
bool checksum_is_url(const char *s);

struct checksum_spec {
	enum checksum_algo algo; /* CHECKSUM_ALGO_BY_LENGTH until the URL's value is known */
	char *algo_given;	 /* os_hash_algo as given (for IPA's mismatch warning), or NULL */
	char *value;		 /* expected hex, or a URL when value_is_url */
	bool value_is_url;
};

void checksum_spec_done(struct checksum_spec *s);

/*
 * The checksum part of IPA's _validate_image_info: InvalidCommandParamsError texts for a
 * checksum or os_hash_* that is not a non-empty string, or when none is usable (a 32-character
 * checksum counts only with md5 enabled). Returns 0, or -EINVAL with *err set.
 */
int checksum_validate_image_info(struct json_object *image_info, bool md5_enabled,
				 struct image_error *err);

/*
 * Steps 1-4 above. On success *ret holds the choice (a URL value still to be fetched with
 * checksum_spec_resolve). Returns -EINVAL with *err set (a RESTError, as IPA) otherwise.
 */
int checksum_spec_from_image_info(struct json_object *image_info, bool md5_enabled,
				  struct checksum_spec *ret, struct image_error *err);

/*
 * IPA's parsing in _fetch_checksum: the digest for the image at image_url in a checksum file
 * (a bare hash alone; "<hash>  [*]<file>", "<file> <hash>", "ALGO (<file>) = <hash>"; '#'
 * comments; the file matched by the basename of image_url's path). checksum_url names the file
 * in errors. Returns 0 and a heap string, or -ENOENT/-EINVAL with an ImageDownloadError in *err.
 */
int checksum_file_find(const char *text, size_t len, const char *image_url,
		       const char *checksum_url, char **ret, struct image_error *err);

/*
 * Puts the value found in the checksum file in place of the URL and, if no algorithm was
 * given, detects it from the length; -EINVAL with IPA's ValueError text as a
 * CommandExecutionError otherwise.
 */
int checksum_spec_resolve(struct checksum_spec *s, const char *value, bool md5_enabled,
			  struct image_error *err);

/* A streaming digest over mbedTLS's generic md API. */
struct digest;

int digest_new(enum checksum_algo algo, struct digest **ret);
int digest_update(struct digest *d, const void *buf, size_t len);
/* Writes the lower-case hex digest into hex; the digest cannot be updated afterwards. */
int digest_finish_hex(struct digest *d, char hex[static CHECKSUM_HEX_MAX]);
struct digest *digest_free(struct digest *d);
void digest_freep(struct digest **d);

/* One-shot hex digest of a buffer. */
int checksum_buffer_hex(enum checksum_algo algo, const void *buf, size_t len,
			char hex[static CHECKSUM_HEX_MAX]);

/*
 * IPA's verify_image: 0 when hex equals expected; else -EBADMSG and an ImageChecksumError
 * whose details are IPA's, including its swap of location and image ID (IPA passes the
 * arguments of ImageChecksumError in the other order than the class declares them).
 */
int checksum_verify(const char *hex, const char *expected, const char *image_id,
		    const char *location, struct image_error *err);
