#pragma once

/*
 * TLS for the agent's API: automatic, or the operator's files (tls_identity_load()).
 *
 * Automatic TLS, as IPA's tls_utils.generate_tls_certificate() (master):
 * a fresh EC key on every boot (ipa-tls-certificate-curve, P-384 by default) and a self-signed
 * X.509 v3 certificate for it: subject = issuer = CN=<host name>, a random 159-bit serial
 * (cryptography's random_serial_number), valid from now - 3600 s (auto_tls_allowed_clock_skew)
 * to now + 30 days, one extension only, subjectAltName = IPAddress:<advertised address>, marked
 * critical, signed ECDSA with SHA-512. The certificate goes to Ironic as agent_verify_ca in
 * every heartbeat; Ironic uses it as the trust anchor and checks the IP in the callback URL
 * against the SAN.
 *
 * IPA writes the key PKCS#8; mbedTLS writes SEC1 ("EC PRIVATE KEY"), which only civetweb reads.
 * Needs mbedTLS 3.6 (the image's); the host's unit tests leave this file out.
 */

#include "agent/conf.h"

/* Where the files go, under the agent's root directory (mode 0700, files 0600): the
 * certificate alone, and the key then the certificate (civetweb's ssl_certificate). */
#define TLS_DIR		"run/ingot"
#define TLS_CERT_FILE	"agent.crt"
#define TLS_SERVER_FILE "agent.pem"

/* IPA's defaults. */
#define TLS_CLOCK_SKEW_S 3600
#define TLS_VALID_DAYS	 30

struct tls_identity {
	char *cert_pem; /* the certificate (then its chain), PEM: agent_verify_ca when automatic */
	char *key_pem;	/* the private key, PEM; wiped by tls_identity_done() */
};

/* Once, before any key is made or TLS connection accepted: psa_crypto_init() (mbedTLS 3). */
int tls_global_init(void);

/* The curve's name for the log: "P-384". */
const char *tls_curve_name(enum agent_tls_curve curve);

/*
 * A key on curve and a self-signed certificate for the IPv4 or IPv6 address ip (text), with
 * common_name as subject and issuer (the host name; "localhost" when empty). -EINVAL when ip
 * is not an IP address. On failure *error (malloc'ed) says why.
 */
int tls_identity_generate(enum agent_tls_curve curve, const char *ip, const char *common_name,
			  struct tls_identity *ret, char **error);

/* At most this many bytes in each of the operator's files. */
#define TLS_FILE_MAX (256 * 1024)

/*
 * The operator's certificate and key, as IPA's listen_tls with tls_cert_file and tls_key_file
 * (Python's SSLContext.load_cert_chain()): cert_file holds the certificate, then any
 * intermediate ones, key_file the unencrypted private key (RSA or EC; IPA takes no password),
 * PEM or DER; one file may hold both. Paths as given (not under the agent's root). Returns 0
 * with ret's cert_pem the certificates re-encoded as PEM, in the file's order, and key_pem the
 * key as PEM; or, with *error (malloc'ed) naming the file and the reason: a negative errno
 * from reading a file (-ENOENT, -EACCES, -EFBIG over TLS_FILE_MAX), -EINVAL when there is no
 * certificate or key in it, a certificate cannot be parsed, the key is encrypted or is not the
 * certificate's, -EIO, or -ENOMEM. tls_global_init() called before.
 */
int tls_identity_load(const char *cert_file, const char *key_file, struct tls_identity *ret,
		      char **error);

/* Writes TLS_DIR/TLS_CERT_FILE and TLS_DIR/TLS_SERVER_FILE under root_fd, 0600. */
int tls_identity_write(const struct tls_identity *id, int root_fd, char **error);

void tls_identity_done(struct tls_identity *id);
