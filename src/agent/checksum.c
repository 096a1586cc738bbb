#define _GNU_SOURCE 1 /* asprintf(), open_memstream() */
/*
 * checksum: which digest IPA checks an image against, and the digest itself.
 *
 * The selection follows IPA master's ImageDownload.__init__ (see checksum.h); the checksum file
 * parsing follows _fetch_checksum, including its odd error subjects: IPA rebinds its `checksum`
 * variable to the result of re.findall() while it scans, so "Invalid checksum file" errors name
 * the image "[]" and "does not contain name" errors name it "[]" when a line matched the file
 * name but held no usable hash. The file name is compared literally; IPA pastes it into a regular
 * expression unescaped, so there a '.' in it also matches any character.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <mbedtls/md.h>

#include "agent/checksum.h"
#include "basic/hexdecoct.h"
#include "basic/macro.h"

static const struct {
	const char *type, *message;
	int code;
} error_classes[] = {
    {"RESTError", "An error occurred", 500},
    {"CommandExecutionError", "Command execution failed", 500},
    {"InvalidCommandParamsError", "Invalid command parameters", 400},
    {"ImageDownloadError", "Error downloading image", 500},
    {"ImageDownloadFatalError", "Error downloading image", 500},
    {"ImageDownloadOutofSpaceError", "Error downloading image", 500},
    {"ImageDownloadTimeoutError", "Image download timeout", 408},
    {"ImageChecksumError", "Error verifying image checksum", 500},
    {"ImageWriteError", "Error writing image to device", 500},
};

int image_error_set(struct image_error *e, const char *type, const char *fmt, ...)
{
	va_list ap;
	char *s;
	size_t i;

	for (i = 0; i < ELEMENTSOF(error_classes); i++)
		if (strcmp(error_classes[i].type, type) == 0)
			break;
	if (i == ELEMENTSOF(error_classes))
		i = 0;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(e->details);
	e->type = error_classes[i].type;
	e->message = error_classes[i].message;
	e->code = error_classes[i].code;
	e->details = s;
	return s ? 0 : -ENOMEM;
}

void image_error_done(struct image_error *e)
{
	if (!e)
		return;
	free(e->details);
	*e = (struct image_error){0};
}

static const struct {
	const char *name;
	mbedtls_md_type_t md;
	size_t hex_len;
} algos[_CHECKSUM_ALGO_MAX] = {
    [CHECKSUM_MD5] = {"md5", MBEDTLS_MD_MD5, 32},
    [CHECKSUM_SHA1] = {"sha1", MBEDTLS_MD_SHA1, 40},
    [CHECKSUM_SHA224] = {"sha224", MBEDTLS_MD_SHA224, 56},
    [CHECKSUM_SHA256] = {"sha256", MBEDTLS_MD_SHA256, 64},
    [CHECKSUM_SHA384] = {"sha384", MBEDTLS_MD_SHA384, 96},
    [CHECKSUM_SHA512] = {"sha512", MBEDTLS_MD_SHA512, 128},
};

const char *checksum_algo_to_string(enum checksum_algo a)
{
	return a >= 0 && a < _CHECKSUM_ALGO_MAX ? algos[a].name : NULL;
}

int checksum_algo_from_string(const char *s, enum checksum_algo *ret)
{
	for (int i = 0; i < _CHECKSUM_ALGO_MAX; i++)
		if (s && strcmp(s, algos[i].name) == 0) {
			if (!mbedtls_md_info_from_type(algos[i].md))
				return -EOPNOTSUPP; /* compiled out of this mbedTLS */
			*ret = (enum checksum_algo)i;
			return 0;
		}
	return -EOPNOTSUPP;
}

int checksum_algo_from_length(size_t len, bool md5_enabled, enum checksum_algo *ret,
			      const char **ret_why)
{
	const char *why;

	switch (len) {
	case 128:
		*ret = CHECKSUM_SHA512;
		return 0;
	case 64:
		*ret = CHECKSUM_SHA256;
		return 0;
	case 32:
		if (md5_enabled) {
			*ret = CHECKSUM_MD5;
			return 0;
		}
		why = "MD5 support is disabled, and support will be removed in a 2024 version of "
		      "Ironic.";
		break;
	default:
		why = "Unable to identify checksum algorithm used, and a value is not specified in "
		      "the os_hash_algo setting.";
	}
	if (ret_why)
		*ret_why = why;
	return -EINVAL;
}

bool checksum_is_url(const char *s)
{
	return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0);
}

void checksum_spec_done(struct checksum_spec *s)
{
	if (!s)
		return;
	free(s->algo_given);
	free(s->value);
	*s = (struct checksum_spec){.algo = CHECKSUM_ALGO_BY_LENGTH};
}

/* image_info[key] when it is a string; Python's truth test decides "set" (non-empty). */
static const char *info_string(struct json_object *info, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(info, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool info_present(struct json_object *info, const char *key, bool *is_string, bool *truthy)
{
	struct json_object *v;

	if (!json_object_object_get_ex(info, key, &v) || !v) /* absent or null: None */
		return false;
	*is_string = json_object_is_type(v, json_type_string);
	*truthy = *is_string ? json_object_get_string_len(v) > 0 : json_object_get_boolean(v);
	return true;
}

int checksum_validate_image_info(struct json_object *image_info, bool md5_enabled,
				 struct image_error *err)
{
	bool avail = false, is_str, truthy, algo_set = false, value_set = false, s2, t2;
	const char *checksum;

	if (info_present(image_info, "checksum", &is_str, &truthy)) {
		if (!is_str || !truthy)
			return image_error_set(err, "InvalidCommandParamsError",
					       "Image 'checksum' must be a non-empty string."),
			       -EINVAL;
		checksum = info_string(image_info, "checksum");
		avail = checksum_is_url(checksum) || strlen(checksum) > 32 || md5_enabled;
	}
	algo_set = info_present(image_info, "os_hash_algo", &is_str, &truthy) && truthy;
	value_set = info_present(image_info, "os_hash_value", &s2, &t2) && t2;
	if (algo_set || value_set) {
		if (!info_string(image_info, "os_hash_algo") ||
		    !*info_string(image_info, "os_hash_algo"))
			return image_error_set(err, "InvalidCommandParamsError",
					       "Image 'os_hash_algo' must be a non-empty string."),
			       -EINVAL;
		if (!info_string(image_info, "os_hash_value") ||
		    !*info_string(image_info, "os_hash_value"))
			return image_error_set(err, "InvalidCommandParamsError",
					       "Image 'os_hash_value' must be a non-empty string."),
			       -EINVAL;
		avail = true;
	}
	if (!avail)
		return image_error_set(
			   err, "InvalidCommandParamsError",
			   "Image checksum is not available, either the 'checksum' field "
			   "or the 'os_hash_algo' and 'os_hash_value' fields pair must be "
			   "set for image verification."),
		       -EINVAL;
	return 0;
}

int checksum_spec_from_image_info(struct json_object *image_info, bool md5_enabled,
				  struct checksum_spec *ret, struct image_error *err)
{
	const char *algo = info_string(image_info, "os_hash_algo");
	const char *checksum = info_string(image_info, "checksum");
	const char *id = info_string(image_info, "id"), *value, *why;
	struct checksum_spec s = {.algo = CHECKSUM_ALGO_BY_LENGTH};
	enum checksum_algo a;

	if (algo && !*algo)
		algo = NULL;
	if (checksum && !*checksum)
		checksum = NULL;
	if (algo && checksum_algo_from_string(algo, &a) >= 0) {
		value = info_string(image_info, "os_hash_value");
		s.algo = a;
	} else if (checksum && checksum_is_url(checksum)) {
		/* The algorithm comes from the fetched value's length. An os_hash_algo this agent
		 * lacks leaves IPA without any hash object (it fails later with an AttributeError);
		 * the length decides here too. */
		value = checksum;
	} else if (checksum) {
		if (checksum_algo_from_length(strlen(checksum), md5_enabled, &s.algo, &why) < 0)
			return image_error_set(
				   err, "RESTError",
				   "Unable to proceed with image %s as the checksum "
				   "indicator has been used but the algorithm could not "
				   "be identified. Error: %s",
				   id ? id : "None", why),
			       -EINVAL;
		value = checksum;
	} else
		return image_error_set(
			   err, "RESTError",
			   "Unable to verify image %s with available checksums. Please "
			   "make sure the specified 'os_hash_algo' (currently %s) is "
			   "supported by this ramdisk, or provide a md5 checksum via the "
			   "'checksum' field",
			   id ? id : "None", algo ? algo : "None"),
		       -EINVAL;

	if (!value || !*value || strlen(value) >= CHECKSUM_VALUE_MAX)
		return image_error_set(err, "InvalidCommandParamsError",
				       "Image 'os_hash_value' must be a non-empty string."),
		       -EINVAL;
	s.value = strdup(value);
	s.algo_given = algo ? strdup(algo) : NULL;
	if (!s.value || (algo && !s.algo_given)) {
		checksum_spec_done(&s);
		return -ENOMEM;
	}
	s.value_is_url = checksum_is_url(value);
	*ret = s;
	return 0;
}

int checksum_spec_resolve(struct checksum_spec *s, const char *value, bool md5_enabled,
			  struct image_error *err)
{
	const char *why;
	char *v;

	if (s->algo == CHECKSUM_ALGO_BY_LENGTH &&
	    checksum_algo_from_length(strlen(value), md5_enabled, &s->algo, &why) < 0)
		return image_error_set(err, "CommandExecutionError", "%s", why), -EINVAL;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(s->value);
	s->value = v;
	s->value_is_url = false;
	return 0;
}

/* The basename of the path of a URL, as os.path.basename(urlparse(url).path). */
static int url_basename(const char *url, char **ret)
{
	const char *p = strstr(url, "://"), *end, *base, *semi;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#"); /* past the netloc */
	end = p + strcspn(p, "?#");
	base = p;
	for (const char *q = p; q < end; q++)
		if (*q == '/')
			base = q + 1;
	semi = memchr(base, ';', end - base); /* urlparse splits ;params off the last segment */
	if (semi)
		end = semi;
	*ret = strndup(base, end - base);
	return *ret ? 0 : -ENOMEM;
}

static size_t hex_run(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] && isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

/* IPA's matchers: ^([hex]{n})\s and \s([hex]{n})$ for n = 32, 64, 128, in that order. */
static bool line_find_hash(const char *line, size_t len, const char **ret, size_t *ret_len)
{
	static const size_t lens[] = {32, 64, 128};

	for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
		size_t n = lens[i];

		if (len > n && hex_run(line, n + 1) == n && isspace((unsigned char)line[n])) {
			*ret = line;
			*ret_len = n;
			return true;
		}
		if (len > n && isspace((unsigned char)line[len - n - 1]) &&
		    hex_run(line + len - n, n) == n) {
			*ret = line + len - n;
			*ret_len = n;
			return true;
		}
	}
	return false;
}

/* IPA's file name matchers: \s[*]?NAME$ and \s\(NAME\)\s. */
static bool line_names_file(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (len > n && memcmp(line + len - n, name, n) == 0) {
		size_t i = len - n;

		if (line[i - 1] == '*' && i >= 2 && isspace((unsigned char)line[i - 2]))
			return true;
		if (isspace((unsigned char)line[i - 1]))
			return true;
	}
	for (p = line; (p = memchr(p, '(', len - (p - line))); p++)
		if (p > line && isspace((unsigned char)p[-1]) &&
		    (size_t)(len - (p - line)) >= n + 3 && memcmp(p + 1, name, n) == 0 &&
		    p[n + 1] == ')' && isspace((unsigned char)p[n + 2]))
			return true;
	return false;
}

/* Appends Python's repr() of a str to f: '...', or "..." when only ' occurs inside. */
static void py_repr(FILE *f, const char *s, size_t len)
{
	char q = memchr(s, '\'', len) && !memchr(s, '"', len) ? '"' : '\'';

	fputc(q, f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == q || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc(q, f);
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

int checksum_file_find(const char *text, size_t len, const char *image_url,
		       const char *checksum_url, char **ret, struct image_error *err)
{
	_cleanup_free_ char *fname = NULL;
	const char *subject = checksum_url, *p, *end = text + len, *hash;
	size_t n_lines = 0, hash_len;
	int r;

	if (len > CHECKSUM_FILE_MAX)
		return image_error_set(err, "ImageDownloadError",
				       "Download of image %s failed: Checksum file larger than %d "
				       "bytes",
				       checksum_url, CHECKSUM_FILE_MAX),
		       -EFBIG;

	/* lines = [line.strip() for line in text.split('\n') if line.strip()] */
	for (int pass = 0; pass < 2; pass++)
		for (p = text; p < end;) {
			const char *nl = memchr(p, '\n', end - p), *e = nl ? nl : end, *b = p;

			p = nl ? nl + 1 : end;
			while (b < e && isspace((unsigned char)*b))
				b++;
			while (e > b && isspace((unsigned char)e[-1]))
				e--;
			if (b == e || is_blank(b, e - b))
				continue;
			if (pass == 0) {
				n_lines++;
				continue;
			}
			if (n_lines == 1 && !memchr(b, ' ', e - b)) {
				/* a file that is only the checksum itself */
				size_t l = e - b;

				if ((l == 32 || l == 64 || l == 128) && hex_run(b, l) == l) {
					*ret = strndup(b, l);
					return *ret ? 0 : -ENOMEM;
				}
				_cleanup_free_ char *buf = NULL;
				size_t sz = 0;
				FILE *f = open_memstream(&buf, &sz);

				if (!f)
					return -ENOMEM;
				fputc('[', f);
				py_repr(f, b, l);
				fputc(']', f);
				fclose(f);
				return image_error_set(
					   err, "ImageDownloadError",
					   "Download of image [] failed: Invalid checksum "
					   "file (No valid checksum found) %s",
					   buf),
				       -EINVAL;
			}
			if (!fname) {
				r = url_basename(image_url, &fname);
				if (r < 0)
					return r;
			}
			if (*b == '#' || !line_names_file(b, e - b, fname))
				continue;
			if (line_find_hash(b, e - b, &hash, &hash_len)) {
				*ret = strndup(hash, hash_len);
				return *ret ? 0 : -ENOMEM;
			}
			subject = "[]"; /* IPA's `checksum` now holds re.findall()'s empty list */
		}

	if (n_lines == 0)
		return image_error_set(err, "ImageDownloadError",
				       "Download of image %s failed: Empty checksum file",
				       checksum_url),
		       -EINVAL;
	if (!fname && url_basename(image_url, &fname) < 0)
		return -ENOMEM;
	return image_error_set(
		   err, "ImageDownloadError",
		   "Download of image %s failed: Checksum file does not contain name %s", subject,
		   fname),
	       -ENOENT;
}

struct digest {
	mbedtls_md_context_t ctx;
	enum checksum_algo algo;
	bool finished;
};

int digest_new(enum checksum_algo algo, struct digest **ret)
{
	const mbedtls_md_info_t *info;
	struct digest *d;

	if (algo < 0 || algo >= _CHECKSUM_ALGO_MAX)
		return -EINVAL;
	info = mbedtls_md_info_from_type(algos[algo].md);
	if (!info)
		return -EOPNOTSUPP;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	mbedtls_md_init(&d->ctx);
	d->algo = algo;
	if (mbedtls_md_setup(&d->ctx, info, 0) != 0 || mbedtls_md_starts(&d->ctx) != 0) {
		digest_free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

int digest_update(struct digest *d, const void *buf, size_t len)
{
	if (d->finished)
		return -ESTALE;
	return mbedtls_md_update(&d->ctx, buf, len) == 0 ? 0 : -EIO;
}

int digest_finish_hex(struct digest *d, char hex[static CHECKSUM_HEX_MAX])
{
	unsigned char out[64]; /* MBEDTLS_MD_MAX_SIZE */
	size_t n = algos[d->algo].hex_len / 2;

	if (d->finished)
		return -ESTALE;
	if (mbedtls_md_finish(&d->ctx, out) != 0)
		return -EIO;
	d->finished = true;
	hex_encode(out, n, hex);
	return 0;
}

struct digest *digest_free(struct digest *d)
{
	if (d) {
		mbedtls_md_free(&d->ctx);
		free(d);
	}
	return NULL;
}

void digest_freep(struct digest **d)
{
	*d = digest_free(*d);
}

int checksum_buffer_hex(enum checksum_algo algo, const void *buf, size_t len,
			char hex[static CHECKSUM_HEX_MAX])
{
	_cleanup_(digest_freep) struct digest *d = NULL;
	int r;

	r = digest_new(algo, &d);
	if (r < 0)
		return r;
	r = digest_update(d, buf, len);
	if (r < 0)
		return r;
	return digest_finish_hex(d, hex);
}

int checksum_verify(const char *hex, const char *expected, const char *image_id,
		    const char *location, struct image_error *err)
{
	if (expected && strcmp(hex, expected) == 0)
		return 0;
	image_error_set(err, "ImageChecksumError",
			"Image failed to verify against checksum. location: %s; image ID: %s; "
			"image checksum: %s; verification checksum: %s",
			image_id, location, expected ? expected : "None", hex);
	return -EBADMSG;
}
