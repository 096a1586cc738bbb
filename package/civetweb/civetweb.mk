# civetweb 1.16: the agent's HTTPS server, on the same mbedTLS as libcurl.
# One C file, compiled directly (its cmake has no mbedTLS switch):
#   USE_MBEDTLS  TLS through mbedTLS 3.6
#   NO_CGI, NO_FILES, NO_CACHING  an API server: no CGI, no mapping of URLs to
#                files, no If-Modified-Since caching of them
#   USE_IPV6     listen on IPv6 too
# Programs using it call psa_crypto_init() before mg_start() (TLS 1.3 in
# mbedTLS 3.6 runs on PSA crypto) and give ssl_certificate a PEM file that
# holds both the private key and the certificate.

CIVETWEB_LICENSE := MIT
CIVETWEB_DEPENDENCIES := mbedtls
CIVETWEB_DEFINES := -DUSE_MBEDTLS -DNO_CGI -DNO_FILES -DNO_CACHING -DUSE_IPV6 -DNDEBUG

CIVETWEB_CONFIGURE_CMDS = true
CIVETWEB_BUILD_CMDS = $(TARGET_CC) $(TARGET_LIBS_CFLAGS) $(CIVETWEB_DEFINES) \
	-isystem $(STAGING)/include -Iinclude -c src/civetweb.c -o $(CIVETWEB_DIR)/civetweb.o && \
	rm -f $(CIVETWEB_DIR)/libcivetweb.a && ar rcsD $(CIVETWEB_DIR)/libcivetweb.a $(CIVETWEB_DIR)/civetweb.o
CIVETWEB_INSTALL_CMDS = install -m 0644 include/civetweb.h $(STAGING)/include/ && \
	install -m 0644 $(CIVETWEB_DIR)/libcivetweb.a $(STAGING)/lib/ && \
	v=$$(sed -n 's/^\#define CIVETWEB_VERSION "\(.*\)"/\1/p' include/civetweb.h) && printf '%s\n' 'prefix=$(STAGING)' 'libdir=$${prefix}/lib' \
	'includedir=$${prefix}/include' '' 'Name: civetweb' \
	'Description: embedded HTTP(S) server, on mbedTLS' "Version: $$v" \
	'Requires.private: mbedtls mbedx509 mbedcrypto' 'Libs: -L$${libdir} -lcivetweb' \
	'Libs.private: -lpthread' 'Cflags: -I$${includedir}' >$(STAGING)/lib/pkgconfig/civetweb.pc

$(eval $(call source-package,civetweb))
