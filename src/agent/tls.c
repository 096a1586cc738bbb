/* needs: <mbedtls/build_info.h> */
#define _GNU_SOURCE 1 /* asprintf() */

#include "agent/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/macro.h"

#define PEM_MAX	    8192
#define KEY_PEM_MAX 16384 /* an operator's key: RSA up to 8192 bits and more */

int tls_global_init(void)
{
	return psa_crypto_init() == PSA_SUCCESS ? 0 : -EIO;
}

const char *tls_curve_name(enum agent_tls_curve curve)
{
	switch (curve) {
	case AGENT_TLS_CURVE_P256:
		return "P-256";
	case AGENT_TLS_CURVE_P521:
		return "P-521";
	case AGENT_TLS_CURVE_P384:
	default:
		return "P-384";
	}
}

static mbedtls_ecp_group_id curve_group(enum agent_tls_curve curve)
{
	switch (curve) {
	case AGENT_TLS_CURVE_P256:
		return MBEDTLS_ECP_DP_SECP256R1;
	case AGENT_TLS_CURVE_P521:
		return MBEDTLS_ECP_DP_SECP521R1;
	case AGENT_TLS_CURVE_P384:
	default:
		return MBEDTLS_ECP_DP_SECP384R1;
	}
}

/* "YYYYMMDDhhmmss" in UTC, as mbedtls_x509write_crt_set_validity() wants it. */
static void x509_time(time_t t, char buf[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 16, "%Y%m%d%H%M%S", &tm);
}

/* "CN=<name>" with the characters RFC 4514 escapes escaped; "localhost" when name is empty. */
static char *subject_name(const char *name)
{
	size_t n = strlen(name);
	char *s = malloc(3 + 2 * (n ? n : 9) + 1), *p;

	if (!s)
		return NULL;
	p = stpcpy(s, "CN=");
	if (!n)
		name = "localhost";
	for (const char *c = name; *c; c++) {
		if (strchr(",=+<>#;\\\"", *c))
			*p++ = '\\';
		*p++ = *c;
	}
	*p = '\0';
	return s;
}

/* SubjectAltName ::= GeneralNames, one iPAddress [7] IMPLICIT OCTET STRING (RFC 5280). */
static int san_ip(const char *ip, unsigned char *buf, size_t *len)
{
	unsigned char addr[16];
	size_t n;

	if (inet_pton(AF_INET, ip, addr) == 1)
		n = 4;
	else if (inet_pton(AF_INET6, ip, addr) == 1)
		n = 16;
	else
		return -EINVAL;
	buf[0] = 0x30; /* SEQUENCE */
	buf[1] = (unsigned char)(n + 2);
	buf[2] = 0x87; /* [7], context-specific, primitive */
	buf[3] = (unsigned char)n;
	memcpy(buf + 4, addr, n);
	*len = n + 4;
	return 0;
}

static int fail(int r, char **error, const char *what, int mbed)
{
	char text[128] = "";

	if (mbed)
		mbedtls_strerror(mbed, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", strerror(-r));
	if (asprintf(error, "%s: %s", what, text) < 0)
		*error = NULL;
	return r;
}

int tls_identity_generate(enum agent_tls_curve curve, const char *ip, const char *common_name,
			  struct tls_identity *ret, char **error)
{
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	unsigned char san[20], serial[20], *pem = NULL;
	size_t san_len, serial_len = sizeof(serial);
	char not_before[16], not_after[16];
	_cleanup_free_ char *subject = NULL;
	time_t now = time(NULL);
	int r = 0, m;

	memset(ret, 0, sizeof(*ret));
	*error = NULL;
	if (san_ip(ip, san, &san_len) < 0)
		return fail(-EINVAL, error, "the address to advertise is not an IP address", 0);
	subject = subject_name(common_name ? common_name : "");
	pem = calloc(1, PEM_MAX);
	if (!subject || !pem) {
		free(pem);
		return -ENOMEM;
	}

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);

	m = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
				  (const unsigned char *)"ingot-agent-tls", 15);
	if (m) {
		r = fail(-EIO, error, "cannot seed the random generator", m);
		goto out;
	}
	m = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!m)
		m = mbedtls_ecp_gen_key(curve_group(curve), mbedtls_pk_ec(key),
					mbedtls_ctr_drbg_random, &drbg);
	if (m) {
		r = fail(-EIO, error, "cannot generate the key", m);
		goto out;
	}

	/* cryptography's random_serial_number(): 160 random bits shifted right by one. */
	m = mbedtls_ctr_drbg_random(&drbg, serial, sizeof(serial));
	if (m) {
		r = fail(-EIO, error, "cannot draw the serial number", m);
		goto out;
	}
	serial[0] &= 0x7f;
	while (serial_len > 1 && serial[sizeof(serial) - serial_len] == 0)
		serial_len--; /* DER: no leading zero bytes (mbedTLS adds one before a high bit) */

	x509_time(now - TLS_CLOCK_SKEW_S, not_before);
	x509_time(now + (time_t)TLS_VALID_DAYS * 86400, not_after);
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA512);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	m = mbedtls_x509write_crt_set_serial_raw(&crt, serial + sizeof(serial) - serial_len,
						 serial_len);
	if (!m)
		m = mbedtls_x509write_crt_set_subject_name(&crt, subject);
	if (!m)
		m = mbedtls_x509write_crt_set_issuer_name(&crt, subject);
	if (!m)
		m = mbedtls_x509write_crt_set_validity(&crt, not_before, not_after);
	if (!m)
		m = mbedtls_x509write_crt_set_extension(
		    &crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
		    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 1, san, san_len);
	if (!m)
		m = mbedtls_x509write_crt_pem(&crt, pem, PEM_MAX, mbedtls_ctr_drbg_random, &drbg);
	if (m) {
		r = fail(-EIO, error, "cannot write the certificate", m);
		goto out;
	}
	ret->cert_pem = strdup((char *)pem);
	mbedtls_platform_zeroize(pem, PEM_MAX);
	m = mbedtls_pk_write_key_pem(&key, pem, PEM_MAX);
	if (m) {
		r = fail(-EIO, error, "cannot write the key", m);
		goto out;
	}
	ret->key_pem = strdup((char *)pem);
	if (!ret->cert_pem || !ret->key_pem)
		r = -ENOMEM;
out:
	mbedtls_platform_zeroize(pem, PEM_MAX);
	free(pem);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	if (r < 0)
		tls_identity_done(ret);
	return r;
}

/* Reads path whole, NUL-terminated; *ret_len counts the NUL when the text is PEM (mbedTLS's
 * convention: a PEM buffer ends with its NUL, a DER one does not). */
static int read_tls_file(const char *path, const char *what, char **ret, size_t *ret_len,
			 char **error)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = read_full_file_at(AT_FDCWD, path, TLS_FILE_MAX, &buf, &len);
	if (r == -EFBIG) {
		if (asprintf(error, "cannot use %s '%s': larger than %u bytes", what, path,
			     TLS_FILE_MAX) < 0)
			*error = NULL;
		return r;
	}
	if (r < 0) {
		if (asprintf(error, "cannot read %s '%s': %s", what, path, strerror(-r)) < 0)
			*error = NULL;
		return r;
	}
	*ret = buf;
	*ret_len = strstr(buf, "-----BEGIN ") ? len + 1 : len;
	return 0;
}

static int load_fail(int r, char **error, const char *what, const char *path, const char *why,
		     int mbed)
{
	char text[128] = "";

	if (mbed)
		mbedtls_strerror(mbed, text, sizeof(text));
	if (asprintf(error, "%s '%s' %s%s%s", what, path, why, mbed ? ": " : "", text) < 0)
		*error = NULL;
	return r;
}

/* The certificates of chain as PEM blocks, in order. */
static char *chain_pem(const mbedtls_x509_crt *chain)
{
	size_t size = 1, len = 0, n;
	char *pem;

	for (const mbedtls_x509_crt *c = chain; c && c->raw.len; c = c->next)
		size += c->raw.len * 4 / 3 + c->raw.len / 48 + 128;
	pem = malloc(size);
	if (!pem)
		return NULL;
	pem[0] = '\0';
	for (const mbedtls_x509_crt *c = chain; c && c->raw.len; c = c->next) {
		if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
					     "-----END CERTIFICATE-----\n", c->raw.p, c->raw.len,
					     (unsigned char *)pem + len, size - len, &n) != 0) {
			free(pem);
			return NULL;
		}
		len += n - 1; /* n counts the NUL */
	}
	return pem;
}

int tls_identity_load(const char *cert_file, const char *key_file, struct tls_identity *ret,
		      char **error)
{
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	_cleanup_free_ char *cert_buf = NULL;
	char *key_buf = NULL;
	unsigned char *pem = NULL;
	size_t cert_len = 0, key_len = 0;
	int r, m;

	memset(ret, 0, sizeof(*ret));
	*error = NULL;
	r = read_tls_file(cert_file, "tls_cert_file", &cert_buf, &cert_len, error);
	if (r < 0)
		return r;
	r = read_tls_file(key_file, "tls_key_file", &key_buf, &key_len, error);
	if (r < 0)
		return r;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);

	m = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
				  (const unsigned char *)"ingot-agent-tls", 15);
	if (m) {
		r = fail(-EIO, error, "cannot seed the random generator", m);
		goto out;
	}
	/* A positive count: some PEM blocks were no certificate Python would load either. */
	m = mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_buf, cert_len);
	if (m != 0) {
		r = m > 0 ? load_fail(-EINVAL, error, "tls_cert_file", cert_file,
				      "holds a certificate that cannot be parsed", 0)
			  : load_fail(-EINVAL, error, "tls_cert_file", cert_file,
				      "holds no certificate", m);
		goto out;
	}
	m = mbedtls_pk_parse_key(&key, (const unsigned char *)key_buf, key_len, NULL, 0,
				 mbedtls_ctr_drbg_random, &drbg);
	if (m == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || m == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
		r = load_fail(-EINVAL, error, "tls_key_file", key_file,
			      "is encrypted (no password can be given)", 0);
		goto out;
	}
	if (m) {
		r = load_fail(-EINVAL, error, "tls_key_file", key_file, "holds no private key", m);
		goto out;
	}
	m = mbedtls_pk_check_pair(&crt.pk, &key, mbedtls_ctr_drbg_random, &drbg);
	if (m) {
		if (asprintf(error, "tls_key_file '%s' is not the key of tls_cert_file '%s'",
			     key_file, cert_file) < 0)
			*error = NULL;
		r = -EINVAL;
		goto out;
	}

	ret->cert_pem = chain_pem(&crt);
	pem = calloc(1, KEY_PEM_MAX);
	if (!ret->cert_pem || !pem) {
		r = -ENOMEM;
		goto out;
	}
	m = mbedtls_pk_write_key_pem(&key, pem, KEY_PEM_MAX);
	if (m) {
		r = fail(-EIO, error, "cannot write the key", m);
		goto out;
	}
	ret->key_pem = strdup((char *)pem);
	if (!ret->key_pem)
		r = -ENOMEM;
out:
	if (pem) {
		mbedtls_platform_zeroize(pem, KEY_PEM_MAX);
		free(pem);
	}
	mbedtls_platform_zeroize(key_buf, key_len);
	free(key_buf);
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	if (r < 0)
		tls_identity_done(ret);
	return r;
}

/* Writes name in dir_fd through a temporary file, mode 0600. */
static int write_private(int dir_fd, const char *name, const char *a, const char *b)
{
	char tmp[64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	(void)unlinkat(dir_fd, tmp, 0);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, a, strlen(a));
	if (r >= 0 && b)
		r = write_all(fd, b, strlen(b));
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	safe_close(fd);
	if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dir_fd, tmp, 0);
	return r;
}

int tls_identity_write(const struct tls_identity *id, int root_fd, char **error)
{
	_cleanup_close_ int dir_fd = -EBADF;
	int r;

	*error = NULL;
	if (mkdirat(root_fd, "run", 0755) < 0 && errno != EEXIST)
		return fail(-errno, error, "cannot create /run", 0);
	if (mkdirat(root_fd, TLS_DIR, 0700) < 0 && errno != EEXIST)
		return fail(-errno, error, "cannot create /" TLS_DIR, 0);
	dir_fd = openat(root_fd, TLS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir_fd < 0)
		return fail(-errno, error, "cannot open /" TLS_DIR, 0);
	(void)fchmod(dir_fd, 0700);
	r = write_private(dir_fd, TLS_CERT_FILE, id->cert_pem, NULL);
	if (r < 0)
		return fail(r, error, "cannot write /" TLS_DIR "/" TLS_CERT_FILE, 0);
	r = write_private(dir_fd, TLS_SERVER_FILE, id->key_pem, id->cert_pem);
	if (r < 0)
		return fail(r, error, "cannot write /" TLS_DIR "/" TLS_SERVER_FILE, 0);
	return 0;
}

void tls_identity_done(struct tls_identity *id)
{
	if (id->key_pem) {
		mbedtls_platform_zeroize(id->key_pem, strlen(id->key_pem));
		free(id->key_pem);
	}
	free(id->cert_pem);
	id->key_pem = NULL;
	id->cert_pem = NULL;
}
