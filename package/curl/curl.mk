# libcurl 8: the agent's HTTP client, on mbedTLS, http and https only, with
# proxies, redirects, gzip/deflate and the threaded resolver.  curl's CMake
# build (no autoreconf, so no libtool); only the static library, no curl
# program, no docs.

CURL_LICENSE := curl
CURL_DEPENDENCIES := zlib mbedtls

CURL_CONF_OPTS := -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_CURL_EXE=OFF \
	-DBUILD_TESTING=OFF -DBUILD_EXAMPLES=OFF -DBUILD_LIBCURL_DOCS=OFF -DBUILD_MISC_DOCS=OFF \
	-DENABLE_CURL_MANUAL=OFF -DCURL_USE_PKGCONFIG=OFF \
	-DHTTP_ONLY=ON -DCURL_DISABLE_PROXY=OFF -DENABLE_IPV6=ON \
	-DENABLE_THREADED_RESOLVER=ON -DENABLE_ARES=OFF \
	-DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON -DCURL_DISABLE_DOH=ON \
	-DCURL_DISABLE_WEBSOCKETS=ON -DCURL_DISABLE_MIME=ON -DCURL_DISABLE_FORM_API=ON \
	-DCURL_DISABLE_NTLM=ON -DCURL_DISABLE_SRP=ON -DCURL_DISABLE_KERBEROS_AUTH=ON \
	-DCURL_DISABLE_NEGOTIATE_AUTH=ON -DCURL_DISABLE_AWS=ON -DCURL_DISABLE_NETRC=ON \
	-DCURL_DISABLE_LIBCURL_OPTION=ON -DENABLE_UNIX_SOCKETS=OFF \
	-DCURL_ENABLE_SSL=ON -DCURL_USE_MBEDTLS=ON -DCURL_USE_OPENSSL=OFF \
	-DMBEDTLS_INCLUDE_DIR=$(STAGING)/include -DMBEDTLS_LIBRARY=$(STAGING)/lib/libmbedtls.a \
	-DMBEDX509_LIBRARY=$(STAGING)/lib/libmbedx509.a \
	-DMBEDCRYPTO_LIBRARY=$(STAGING)/lib/libmbedcrypto.a \
	-DCURL_ZLIB=ON -DZLIB_INCLUDE_DIR=$(STAGING)/include -DZLIB_LIBRARY=$(STAGING)/lib/libz.a \
	-DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_NGTCP2=OFF -DUSE_QUICHE=OFF \
	-DUSE_MSH3=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF \
	-DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DCURL_USE_GSASL=OFF -DUSE_LIBRTMP=OFF \
	-DCURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt -DCURL_CA_PATH=none \
	-DCURL_CA_FALLBACK=OFF

# Debian's series for older suites ends with the patches that rename the
# library for its GnuTLS/NSS flavours (bookworm: 90_gnutls, 99_nss);
# debian/rules reverses them for the OpenSSL build, and so do we.  Trixie has
# neither; its series' ZZZgnutls-build.patch changes only autotools files,
# which the CMake build does not read, and 11_omit-directories-from-config
# only the curl-config script, which nothing here runs.  A tree from
# INGOT_OVERRIDE_SRCDIR_CURL has no debian/.
curl-unpatch = { ! grep -qsx $(1) debian/patches/series || patch -R -p1 -s -i debian/patches/$(1); }
CURL_POST_EXTRACT_CMDS = $(call curl-unpatch,99_nss.patch) && $(call curl-unpatch,90_gnutls.patch)

CURL_CONFIGURE_CMDS = $(TARGET_CMAKE) -S . -B $(CURL_BUILDDIR) $(CURL_CONF_OPTS)
CURL_BUILD_CMDS = cmake --build $(CURL_BUILDDIR) -j $(JLEVEL)
CURL_INSTALL_CMDS = cmake --install $(CURL_BUILDDIR)

$(eval $(call source-package,curl))
