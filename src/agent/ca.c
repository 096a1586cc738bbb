/* The CA bundle: CA_DIR/\*.pem checked and joined into CA_BUNDLE (see ca.h). */

#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/log.h"
#include "basic/dirent-util.h"
#include "basic/fileio.h"
#include "basic/macro.h"
#include "basic/strv.h"
#include "basic/hexdecoct.h"

#define PEM_BEGIN "-----BEGIN "
#define PEM_CERT  "-----BEGIN CERTIFICATE-----"
#define PEM_END	  "-----END CERTIFICATE-----"

/* Base64 with line breaks and padding; into out (at least len * 3 / 4 bytes). */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t *ret_len)
{
	uint32_t acc = 0;
	size_t n = 0, bits = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int v;

		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = base64_value(c);
		if (v < 0 || pad > 0)
			return -EBADMSG;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || n == 0)
		return -EBADMSG;
	*ret_len = n;
	return 0;
}

/* One DER element at d[*i]: its tag and content bounds; definite lengths only. */
static int der_next(const uint8_t *d, size_t end, size_t *i, uint8_t *tag, size_t *start,
		    size_t *stop)
{
	size_t p = *i, len;

	if (p + 2 > end)
		return -EBADMSG;
	*tag = d[p++];
	len = d[p++];
	if (len & 0x80) {
		size_t k = len & 0x7f;

		if (k == 0 || k > 4 || p + k > end)
			return -EBADMSG;
		len = 0;
		while (k--)
			len = len << 8 | d[p++];
	}
	if (len > end - p)
		return -EBADMSG;
	*start = p;
	*stop = p + len;
	*i = p + len;
	return 0;
}

/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE,
 * signatureValue BIT STRING }, the whole buffer; tbsCertificate starts with [0] or INTEGER. */
static bool der_is_certificate(const uint8_t *d, size_t n)
{
	size_t i = 0, s, e, j;
	uint8_t tag, t2;
	size_t s2, e2, k;

	if (der_next(d, n, &i, &tag, &s, &e) < 0 || tag != 0x30 || i != n)
		return false;
	j = s;
	if (der_next(d, e, &j, &tag, &s2, &e2) < 0 || tag != 0x30)
		return false;
	k = s2;
	if (der_next(d, e2, &k, &t2, &(size_t){0}, &(size_t){0}) < 0 || (t2 != 0xa0 && t2 != 0x02))
		return false;
	if (der_next(d, e, &j, &tag, &s2, &e2) < 0 || tag != 0x30)
		return false;
	if (der_next(d, e, &j, &tag, &s2, &e2) < 0 || tag != 0x03)
		return false;
	return j == e;
}

static const char *find(const char *s, const char *end, const char *what)
{
	size_t n = strlen(what);

	for (; s && s + n <= end; s++) {
		s = memchr(s, what[0], (size_t)(end - s));
		if (!s || s + n > end)
			return NULL;
		if (memcmp(s, what, n) == 0)
			return s;
	}
	return NULL;
}

/*
 * Walks the certificates of text; calls fn (if given) with each block, from its BEGIN line to
 * the end of its END line.
 */
static int pem_walk(const char *text, size_t len, const char **why,
		    int (*fn)(const char *block, size_t n, void *userdata), void *userdata)
{
	const char *p = text, *end = text + len;
	int count = 0;

	for (;;) {
		const char *b = find(p, end, PEM_BEGIN), *body, *e;
		_cleanup_free_ uint8_t *der = NULL;
		size_t der_len = 0;

		if (!b)
			break;
		if ((size_t)(end - b) < strlen(PEM_CERT) || memcmp(b, PEM_CERT, strlen(PEM_CERT))) {
			*why = "holds a PEM block that is not a certificate";
			return -EBADMSG;
		}
		body = b + strlen(PEM_CERT);
		e = find(body, end, PEM_END);
		if (!e) {
			*why = "has a certificate without its END line";
			return -EBADMSG;
		}
		der = malloc((size_t)(e - body) / 4 * 3 + 3);
		if (!der) {
			*why = "out of memory";
			return -ENOMEM;
		}
		if (b64_decode(body, (size_t)(e - body), der, &der_len) < 0 ||
		    !der_is_certificate(der, der_len)) {
			*why = "has a certificate that does not decode (base64 of DER X.509)";
			return -EBADMSG;
		}
		p = e + strlen(PEM_END);
		if (fn) {
			int r = fn(b, (size_t)(p - b), userdata);

			if (r < 0) {
				*why = "out of memory";
				return r;
			}
		}
		count++;
	}
	if (count == 0) {
		*why = "holds no PEM certificate";
		return -EBADMSG;
	}
	return count;
}

int ca_pem_count(const char *text, size_t len, const char **why)
{
	return pem_walk(text, len, why, NULL, NULL);
}

struct bundle {
	char *buf;
	size_t len, allocated;
};

static int bundle_add(const char *block, size_t n, void *userdata)
{
	struct bundle *b = userdata;

	if (b->len + n + 2 > b->allocated) {
		size_t k = b->allocated * 2 > b->len + n + 2 ? b->allocated * 2 : b->len + n + 2;
		char *p = realloc(b->buf, k);

		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->allocated = k;
	}
	memcpy(b->buf + b->len, block, n);
	b->len += n;
	b->buf[b->len++] = '\n';
	return 0;
}

/* The *.pem names of CA_DIR, sorted; NULL (and 0) when there is no such directory. */
static int list_files(int root_fd, char ***ret)
{
	_cleanup_(strv_freep) char **all = NULL;
	char **names = NULL;
	int r;

	*ret = NULL;
	r = dir_names_at(root_fd, CA_DIR, SIZE_MAX, &all);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (char **n = all; *n; n++) {
		size_t k = strlen(*n);

		if ((*n)[0] == '.' || k < 5 || strcmp(*n + k - 4, ".pem") != 0)
			continue;
		if (strv_extend(&names, *n) < 0) {
			strv_free(names);
			return -ENOMEM;
		}
	}
	strv_sort_unique(names);
	*ret = names;
	return 0;
}

static int bundle_write(int root_fd, const struct bundle *b)
{
	_cleanup_close_ int fd = -1;
	const char *tmp = CA_BUNDLE ".tmp";
	int r;

	if (mkdirat(root_fd, "run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(root_fd, "run/ingot", 0700) < 0 && errno != EEXIST)
		return -errno;
	(void)unlinkat(root_fd, tmp, 0);
	fd = openat(root_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, b->buf, b->len);
	if (r == 0 && renameat(root_fd, tmp, root_fd, CA_BUNDLE) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(root_fd, tmp, 0);
	return r;
}

int ca_bundle_build(int root_fd)
{
	_cleanup_strv_free_ char **names = NULL;
	struct bundle b = {0};
	unsigned files = 0, i = 0;
	int certs = 0, r;

	(void)unlinkat(root_fd, CA_BUNDLE, 0); /* from an earlier start of the agent */
	r = list_files(root_fd, &names);
	if (r < 0) {
		log_warning("CA certificates: cannot read /%s: %s", CA_DIR, strerror(-r));
		return 0;
	}
	for (char **name = names; name && *name; name++, i++) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		const char *why = NULL;
		char buf[96];
		struct stat st;
		size_t len = 0, before = b.len;

		if (i >= CA_FILES_MAX) {
			log_warning("CA certificates: more than %d files in /%s: /%s/%s and later "
				    "ones left out",
				    CA_FILES_MAX, CA_DIR, CA_DIR, *name);
			break;
		}
		if (asprintf(&path, "%s/%s", CA_DIR, *name) < 0) {
			path = NULL;
			r = -ENOMEM;
			goto out;
		}
		if (fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		else if (st.st_size > CA_FILE_MAX ||
			 (r = read_full_file_at(root_fd, path, CA_FILE_MAX, &text, &len)) == -EFBIG)
			why =
			    (snprintf(buf, sizeof(buf), "larger than %d bytes", CA_FILE_MAX), buf);
		else if (r < 0)
			why = strerror(-r);
		else if (b.len + len + 2 > CA_BUNDLE_MAX)
			why = (snprintf(buf, sizeof(buf), "the bundle would exceed %d bytes",
					CA_BUNDLE_MAX),
			       buf);
		else if (memchr(text, '\0', len))
			why = "not text";
		else {
			r = pem_walk(text, len, &why, bundle_add, &b);
			if (r == -ENOMEM)
				goto out;
			if (r < 0)
				b.len = before; /* nothing of a bad file */
		}
		if (why) {
			log_warning("CA certificates: /%s skipped: %s", path, why);
			continue;
		}
		log_info("CA certificates: /%s: %d certificate%s", path, r, r == 1 ? "" : "s");
		certs += r;
		files++;
	}
	if (certs == 0) {
		r = 0;
		goto out;
	}
	r = bundle_write(root_fd, &b);
	if (r < 0) {
		log_error("CA certificates: cannot write /%s: %s", CA_BUNDLE, strerror(-r));
		goto out;
	}
	log_info("CA bundle /%s: %d certificate%s from %u file%s", CA_BUNDLE, certs,
		 certs == 1 ? "" : "s", files, files == 1 ? "" : "s");
	r = certs;
out:
	if (r == -ENOMEM)
		log_error("out of memory");
	free(b.buf);
	return r;
}
