#pragma once

/*
 * The CA bundle the agent trusts as a TLS client (IPA's `cafile`, utils.get_ssl_client_options):
 * every CA_DIR/\*.pem of the root filesystem, in name order, concatenated into CA_BUNDLE. The
 * image brings CA_DIR/build.pem (INGOT_CA_BUNDLE at build time); operators add theirs with a
 * second initrd that unpacks more files into CA_DIR (docs/agent.md, "CA certificates").
 *
 * Each file must hold PEM certificates only: one or more BEGIN/END CERTIFICATE blocks whose
 * base64 decodes to a DER X.509 certificate (SEQUENCE of tbsCertificate, signatureAlgorithm,
 * signatureValue), text outside the blocks being allowed (openssl writes subject lines there).
 * A file that is not, is too large, is not a regular file or cannot be read is skipped, and the
 * log says why.
 */

#include <stddef.h>

#define CA_DIR	  "etc/ingot/ca"	    /* under the root */
#define CA_BUNDLE "run/ingot/ca-bundle.pem" /* under the root */

#define CA_FILE_MAX   (1024 * 1024)	/* bytes of one file */
#define CA_BUNDLE_MAX (4 * 1024 * 1024) /* bytes of the bundle; later files are left out */
#define CA_FILES_MAX  256		/* files read; later ones are left out */

/*
 * Counts the certificates in text (PEM blocks that decode to a DER certificate). Returns the
 * count (> 0), or -EBADMSG with *why set (static text) when there is none or a block is bad.
 */
int ca_pem_count(const char *text, size_t len, const char **why);

/*
 * Builds CA_BUNDLE under root_fd from the files of CA_DIR, logging each file used or skipped.
 * Returns the number of certificates written; 0 when there is none (no bundle is left behind),
 * or a negative errno when the bundle cannot be written.
 */
int ca_bundle_build(int root_fd);
