# zlib: deflate for libcurl's Content-Encoding and the agent's gzip.  Its own
# (hand-written, not autoconf) configure script; only the static library.

ZLIB_LICENSE := Zlib

ZLIB_CONFIGURE_CMDS = CC="$(TARGET_CC)" CFLAGS="$(TARGET_LIBS_CFLAGS)" \
	./configure --static --prefix=$(STAGING) --libdir=$(STAGING)/lib
ZLIB_BUILD_CMDS = $(MAKE) -j$(JLEVEL) libz.a
ZLIB_INSTALL_CMDS = $(MAKE) install

$(eval $(call source-package,zlib))
