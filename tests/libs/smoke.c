/*
 * libs-smoke: proves the agent's static library stack end to end, on loopback only.
 *
 * mbedTLS makes an ECDSA P-256 key and a self-signed certificate for IP:127.0.0.1; civetweb
 * serves one JSON route over HTTPS with them on an ephemeral port; libcurl fetches it and
 * verifies the server against that certificate as its only CA, so the iPAddress SAN is what
 * matches (bookworm's mbedTLS 2.28 cannot do that, hence 3.6), and refuses a wrong name and a
 * wrong CA; json-c parses the answer; libblkid's low-level probe finds the swap signature laid
 * into a 1 MiB image file. One "ok - " or "not ok - " line per check; exit 0 when all pass.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <blkid/blkid.h>
#include <civetweb.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#define ROUTE		"/v1/smoke"
#define PEM_MAX		4096
#define BODY_MAX	4096
#define IMAGE_SIZE	(1024 * 1024)
#define SWAP_PAGE	4096
#define SWAP_LABEL	"ingot-smoke"
#define SWAP_UUID	"12345678-9abc-4def-8123-456789abcdef"
#define WRONG_NAME	"smoke.invalid"
#define PROBE_VALUE_MAX 64
#define DIR_MAX		1024
#define FILE_PATH_MAX	(DIR_MAX + 64)
#define DAY		(24 * 60 * 60)

struct results {
	int failed;
};

/* A private key and its self-signed certificate, both PEM. */
struct tls_id {
	char key[PEM_MAX];
	char crt[PEM_MAX];
};

struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/* What one HTTPS GET brought back. */
struct reply {
	CURL *easy;
	long status;
	char type[64];
	char tls[32];
	char body[BODY_MAX];
	size_t len;
};

static void check(struct results *res, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		res->failed++;
}

static int rng_init(struct rng *rng)
{
	static const unsigned char pers[] = "ingot-libs-smoke";

	mbedtls_entropy_init(&rng->entropy);
	mbedtls_ctr_drbg_init(&rng->drbg);
	if (mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy, pers,
				  sizeof(pers) - 1) != 0)
		return -EIO;
	return 0;
}

static void rng_done(struct rng *rng)
{
	mbedtls_ctr_drbg_free(&rng->drbg);
	mbedtls_entropy_free(&rng->entropy);
}

/* X.509 time, UTC: YYYYMMDDhhmmss. */
static int x509_time_format(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y%m%d%H%M%S", &tm) == 0)
		return -EINVAL;
	return 0;
}

/* A fresh ECDSA P-256 key and a self-signed CA certificate whose only SAN is the IPv4 address
 * ip, valid from a day ago to a day ahead. */
static int tls_id_make(struct rng *rng, const char *subject, const unsigned char ip[4],
		       struct tls_id *ret)
{
	mbedtls_x509_san_list san = {
	    .node.type = MBEDTLS_X509_SAN_IP_ADDRESS,
	    .node.san.unstructured_name = {.p = (unsigned char *)ip, .len = 4},
	};
	mbedtls_x509write_cert crt;
	mbedtls_pk_context key;
	unsigned char serial[16];
	char not_before[16], not_after[16];
	struct tls_id id;
	time_t now = time(NULL);
	int r = -EIO;

	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);

	if (x509_time_format(now - DAY, not_before, sizeof(not_before)) < 0 ||
	    x509_time_format(now + DAY, not_after, sizeof(not_after)) < 0) {
		r = -EINVAL;
		goto out;
	}
	if (mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
				mbedtls_ctr_drbg_random, &rng->drbg) != 0)
		goto out;
	/* A positive serial without a leading zero byte. */
	if (mbedtls_ctr_drbg_random(&rng->drbg, serial, sizeof(serial)) != 0)
		goto out;
	serial[0] = (serial[0] & 0x3f) | 0x40;

	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	if (mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof(serial)) != 0 ||
	    mbedtls_x509write_crt_set_subject_name(&crt, subject) != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&crt, subject) != 0 ||
	    mbedtls_x509write_crt_set_validity(&crt, not_before, not_after) != 0 ||
	    mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0) != 0 ||
	    mbedtls_x509write_crt_set_subject_alternative_name(&crt, &san) != 0)
		goto out;
	if (mbedtls_x509write_crt_pem(&crt, (unsigned char *)id.crt, sizeof(id.crt),
				      mbedtls_ctr_drbg_random, &rng->drbg) != 0 ||
	    mbedtls_pk_write_key_pem(&key, (unsigned char *)id.key, sizeof(id.key)) != 0)
		goto out;

	*ret = id;
	r = 0;
out:
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	mbedtls_platform_zeroize(&id, sizeof(id));
	return r;
}

static int file_write(const char *path, const void *data, size_t len, off_t size)
{
	const char *p = data;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (size > 0 && ftruncate(fd, size) < 0)
		r = -errno;
out:
	close(fd);
	return r;
}

static int route_smoke(struct mg_connection *conn, void *cbdata)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	char body[256];
	int n;

	(void)cbdata;
	n = snprintf(body, sizeof(body), "{\"agent\":\"ingot\",\"https\":%s,\"path\":\"%s\"}",
		     ri->is_ssl ? "true" : "false", ROUTE);
	if (n < 0 || (size_t)n >= sizeof(body)) {
		mg_send_http_error(conn, 500, "%s", "reply too long");
		return 500;
	}
	mg_send_http_ok(conn, "application/json", n);
	mg_write(conn, body, (size_t)n);
	return 200;
}

static int server_log(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	fprintf(stderr, "libs-smoke: civetweb: %s\n", message);
	return 1;
}

/* civetweb on 127.0.0.1, a port the kernel picks, HTTPS with the PEM file (key and
 * certificate), serving ROUTE. */
static int server_start(const char *pem_path, struct mg_context **ret, int *ret_port)
{
	const char *options[] = {
	    "listening_ports",
	    "127.0.0.1:0s",
	    "ssl_certificate",
	    pem_path,
	    "num_threads",
	    "4",
	    "request_timeout_ms",
	    "10000",
	    NULL,
	};
	struct mg_callbacks callbacks = {.log_message = server_log};
	struct mg_server_port port;
	struct mg_context *ctx;

	ctx = mg_start(&callbacks, NULL, options);
	if (!ctx)
		return -EIO;
	if (mg_get_server_ports(ctx, 1, &port) != 1 || port.port <= 0 || !port.is_ssl) {
		mg_stop(ctx);
		return -EADDRNOTAVAIL;
	}
	mg_set_request_handler(ctx, ROUTE, route_smoke, NULL);
	*ret = ctx;
	*ret_port = port.port;
	return 0;
}

static size_t reply_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct reply *r = userdata;
	struct curl_tlssessioninfo *tls = NULL;
	size_t len = size * nmemb;

	/* The TLS session is reachable only while the transfer runs. */
	if (!r->tls[0] && curl_easy_getinfo(r->easy, CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK &&
	    tls && tls->backend == CURLSSLBACKEND_MBEDTLS && tls->internals)
		snprintf(r->tls, sizeof(r->tls), "%s", mbedtls_ssl_get_version(tls->internals));
	if (len > sizeof(r->body) - 1 - r->len)
		return 0; /* too large: curl fails the transfer with CURLE_WRITE_ERROR */
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* One HTTPS GET that trusts only ca_pem; resolve, if set, is a CURLOPT_RESOLVE entry. */
static CURLcode client_get(const char *url, const char *ca_pem, const char *resolve,
			   struct reply *ret, char *err, size_t err_size)
{
	struct curl_blob ca = {
	    .data = (void *)ca_pem, .len = strlen(ca_pem), .flags = CURL_BLOB_COPY};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hosts = NULL;
	struct reply *r;
	char *type = NULL;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->easy = curl_easy_init();
	if (!r->easy)
		goto out;
	if (resolve) {
		hosts = curl_slist_append(NULL, resolve);
		if (!hosts)
			goto out;
	}

	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_CAINFO, NULL); /* no built-in bundle: only ca_pem */
	curl_easy_setopt(r->easy, CURLOPT_CAINFO_BLOB, &ca);
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(r->easy, CURLOPT_PROXY, ""); /* ignore *_proxy in the environment */
	curl_easy_setopt(r->easy, CURLOPT_RESOLVE, hosts);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);

	rc = curl_easy_perform(r->easy);
	if (rc != CURLE_OK) {
		snprintf(err, err_size, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		err[strcspn(err, "\n")] = '\0'; /* mbedTLS's messages end in a newline */
		goto out;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
		snprintf(r->type, sizeof(r->type), "%s", type);
	*ret = *r;
	ret->easy = NULL;
out:
	if (r)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(hosts);
	free(r);
	return rc;
}

/* The reply must be {"agent": "ingot", "https": true, ...}. */
static int reply_check(const struct reply *reply, char *err, size_t err_size)
{
	struct json_tokener *tok;
	struct json_object *root = NULL, *agent, *https;
	int r = -EBADMSG;

	tok = json_tokener_new_ex(8);
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, reply->body, (int)reply->len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(err, err_size, "cannot parse '%.200s': %s", reply->body,
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_object_get_ex(root, "agent", &agent) ||
	    !json_object_is_type(agent, json_type_string) ||
	    strcmp(json_object_get_string(agent), "ingot") != 0 ||
	    !json_object_object_get_ex(root, "https", &https) ||
	    !json_object_is_type(https, json_type_boolean) || !json_object_get_boolean(https)) {
		snprintf(err, err_size, "unexpected reply '%.200s'", reply->body);
		goto out;
	}
	r = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

/* A 1 MiB image whose first 4 KiB page is a Linux swap header (version 1, as mkswap writes it):
 * the header at 1024, the "SWAPSPACE2" magic in the last 10 bytes of the page. */
static int swap_image_make(const char *path)
{
	static const unsigned char uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
					       0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	uint32_t header[3] = {1, IMAGE_SIZE / SWAP_PAGE - 1, 0}; /* version, last page, bad */
	unsigned char page[SWAP_PAGE] = {0};

	memcpy(page + 1024, header, sizeof(header));
	memcpy(page + 1024 + sizeof(header), uuid, sizeof(uuid));
	memcpy(page + 1024 + sizeof(header) + sizeof(uuid), SWAP_LABEL, strlen(SWAP_LABEL));
	memcpy(page + SWAP_PAGE - 10, "SWAPSPACE2", 10);
	return file_write(path, page, sizeof(page), IMAGE_SIZE);
}

/* libblkid's low-level superblock probe: TYPE, LABEL and UUID of what is on path, each into a
 * buffer of PROBE_VALUE_MAX bytes. */
static int swap_probe(const char *path, char *type, char *label, char *uuid)
{
	const char *names[] = {"TYPE", "LABEL", "UUID"};
	char *out[] = {type, label, uuid};
	blkid_probe pr;
	int r = -ENOENT;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return errno > 0 ? -errno : -EIO;
	if (blkid_probe_enable_superblocks(pr, 1) < 0 ||
	    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
						      BLKID_SUBLKS_UUID) < 0 ||
	    blkid_do_safeprobe(pr) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = NULL;

		if (blkid_probe_lookup_value(pr, names[i], &v, NULL) < 0)
			goto out;
		snprintf(out[i], PROBE_VALUE_MAX, "%s", v);
	}
	r = 0;
out:
	blkid_free_probe(pr);
	return r;
}

static void tls_check(struct results *res, struct rng *rng, const char *dir)
{
	static const unsigned char loopback[4] = {127, 0, 0, 1};
	char pem_path[FILE_PATH_MAX] = "", url[128], resolve[128], err[CURL_ERROR_SIZE + 256] = "";
	struct tls_id *id = NULL, *other = NULL;
	struct mg_context *server = NULL;
	struct reply *reply = NULL;
	char pem[2 * PEM_MAX];
	CURLcode rc;
	int port = 0, r = -ENOMEM;

	id = calloc(1, sizeof(*id));
	other = calloc(1, sizeof(*other));
	reply = calloc(1, sizeof(*reply));
	if (!id || !other || !reply) {
		check(res, false, "allocating: %s", strerror(-r));
		goto out;
	}

	r = tls_id_make(rng, "CN=ingot libs-smoke,O=ingot", loopback, id);
	if (r == 0)
		r = tls_id_make(rng, "CN=ingot libs-smoke other CA,O=ingot", loopback, other);
	check(res, r == 0, "mbedTLS %s made ECDSA P-256 keys, self-signed for IP:127.0.0.1",
	      MBEDTLS_VERSION_STRING);
	if (r < 0)
		goto out;

	snprintf(pem_path, sizeof(pem_path), "%s/server.pem", dir);
	snprintf(pem, sizeof(pem), "%s%s", id->key, id->crt);
	r = file_write(pem_path, pem, strlen(pem), 0);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	if (r == 0)
		r = server_start(pem_path, &server, &port);
	check(res, r == 0, "civetweb %s serves HTTPS on 127.0.0.1:%d", mg_version(),
	      r == 0 ? port : 0);
	if (r < 0)
		goto out;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d" ROUTE, port);
	rc = client_get(url, id->crt, NULL, reply, err, sizeof(err));
	check(res, rc == CURLE_OK && reply->status == 200,
	      "libcurl %s GET %s verified the IP SAN against the certificate as CA (%s, HTTP "
	      "%ld%s%s)",
	      LIBCURL_VERSION, url, reply->tls[0] ? reply->tls : "TLS version unknown",
	      reply->status, err[0] ? ": " : "", err);
	if (rc != CURLE_OK)
		goto out;
	check(res, strncmp(reply->type, "application/json", 16) == 0,
	      "the reply is application/json ('%s')", reply->type);

	r = reply_check(reply, err, sizeof(err));
	check(res, r == 0, "json-c %s parsed the reply and found agent=ingot, https=true%s%s",
	      json_c_version(), r < 0 ? ": " : "", r < 0 ? err : "");

	/* The same server by a name the certificate does not carry: refused. */
	snprintf(url, sizeof(url), "https://" WRONG_NAME ":%d" ROUTE, port);
	snprintf(resolve, sizeof(resolve), WRONG_NAME ":%d:127.0.0.1", port);
	err[0] = '\0';
	rc = client_get(url, id->crt, resolve, reply, err, sizeof(err));
	check(res, rc == CURLE_PEER_FAILED_VERIFICATION,
	      "libcurl refuses the certificate for a name it does not carry (%s)",
	      rc == CURLE_OK ? "accepted" : err);

	/* The right address, but another CA: refused. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d" ROUTE, port);
	err[0] = '\0';
	rc = client_get(url, other->crt, NULL, reply, err, sizeof(err));
	check(res, rc == CURLE_PEER_FAILED_VERIFICATION,
	      "libcurl refuses a certificate signed by another CA (%s)",
	      rc == CURLE_OK ? "accepted" : err);
out:
	if (server)
		mg_stop(server);
	if (pem_path[0])
		unlink(pem_path);
	if (id)
		mbedtls_platform_zeroize(id, sizeof(*id));
	free(id);
	free(other);
	free(reply);
}

static void blkid_check(struct results *res, const char *dir)
{
	char path[FILE_PATH_MAX], type[PROBE_VALUE_MAX] = "", label[PROBE_VALUE_MAX] = "",
				  uuid[PROBE_VALUE_MAX] = "";
	int r;

	snprintf(path, sizeof(path), "%s/swap.img", dir);
	r = swap_image_make(path);
	if (r == 0)
		r = swap_probe(path, type, label, uuid);
	check(res,
	      r == 0 && strcmp(type, "swap") == 0 && strcmp(label, SWAP_LABEL) == 0 &&
		  strcmp(uuid, SWAP_UUID) == 0,
	      "libblkid %s probes the 1 MiB image: TYPE=%s LABEL=%s UUID=%s%s%s", BLKID_VERSION,
	      type, label, uuid, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
	unlink(path);
}

int main(void)
{
	struct results res = {0};
	struct rng rng;
	char dir[DIR_MAX];
	const char *tmp = getenv("TMPDIR");
	bool ready;
	int n;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	n = snprintf(dir, sizeof(dir), "%s/ingot-libs-smoke.XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		fprintf(stderr, "libs-smoke: TMPDIR '%s' is too long\n", tmp);
		return 1;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "libs-smoke: cannot create a directory in '%s': %s\n", tmp,
			strerror(errno));
		return 1;
	}

	/* TLS 1.3 in mbedTLS 3.6 runs on PSA crypto: it must be initialised before any
	 * handshake, by the program (neither civetweb nor libcurl promise to do it). */
	ready = psa_crypto_init() == PSA_SUCCESS;
	ready = rng_init(&rng) == 0 && ready; /* always, so that rng_done() below is right */
	ready = ready && mg_init_library(MG_FEATURES_TLS) != 0 &&
		curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	check(&res, ready, "PSA crypto, the random generator, civetweb and libcurl initialised");
	if (ready) {
		tls_check(&res, &rng, dir);
		curl_global_cleanup();
		mg_exit_library();
	}
	rng_done(&rng);

	blkid_check(&res, dir);

	rmdir(dir);
	printf("%s\n", res.failed ? "libs-smoke: FAILED" : "libs-smoke: all checks passed");
	return res.failed ? 1 : 0;
}
