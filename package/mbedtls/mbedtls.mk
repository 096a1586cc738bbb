# mbedTLS 3.6: the one TLS stack, shared by libcurl (client) and civetweb
# (server).  3.6 because it verifies iPAddress SANs (https://10.x.y.z:6385) and
# speaks TLS 1.3; bookworm's 2.28 does neither.  cmake, static only, with the
# generated sources the release ships (GEN_FILES=OFF).  A git checkout given
# as INGOT_OVERRIDE_SRCDIR_MBEDTLS needs its framework/ submodule in place.
#
# The 3.6.4 release tarball, which Debian takes unchanged as its orig, is
# reported to lack two of those sources (Mbed-TLS/mbedtls#10332): when any of
# library/Makefile's GENERATED_FILES is missing they are made first with
# upstream's own generators, which need python3's jinja2 and jsonschema.

MBEDTLS_LICENSE := Apache-2.0 OR GPL-2.0-or-later

# Threading on: civetweb handshakes in several threads at once while libcurl
# runs in another, and they share the DRBG and PSA's key store, which 3.6 locks
# only with MBEDTLS_THREADING_C (programs link -lpthread; in musl's libc).
MBEDTLS_GENERATED := error.c version_features.c ssl_debug_helpers_generated.c \
	psa_crypto_driver_wrappers.h psa_crypto_driver_wrappers_no_static.c
MBEDTLS_CONFIGURE_CMDS = \
	{ (cd library && ls $(MBEDTLS_GENERATED) >/dev/null 2>&1) || \
	  { { python3 -c 'import jinja2, jsonschema' 2>/dev/null || \
	      { echo 'error: the mbedtls source lacks generated files; making them needs' \
		'python3-jinja2 and python3-jsonschema: install them' >&2; false; }; } && \
	    $(MAKE) -C library generated_files; }; } && \
	python3 scripts/config.py set MBEDTLS_THREADING_C && \
	python3 scripts/config.py set MBEDTLS_THREADING_PTHREAD && \
	$(TARGET_CMAKE) -S . -B $(MBEDTLS_BUILDDIR) \
	-DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF \
	-DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON \
	-DMBEDTLS_FATAL_WARNINGS=OFF -DGEN_FILES=OFF
MBEDTLS_BUILD_CMDS = cmake --build $(MBEDTLS_BUILDDIR) -j $(JLEVEL)
MBEDTLS_INSTALL_CMDS = cmake --install $(MBEDTLS_BUILDDIR)

$(eval $(call source-package,mbedtls))
