# libblkid from util-linux: probing and wiping of partition tables and
# filesystem signatures (what wipefs does).  util-linux's meson build (2.39
# and later ship it; no autogen.sh, so no libtool or autopoint), every feature
# off but libblkid (--auto-features=disabled), and only its static library
# built and installed.  libsmartcols is enabled too, though never built:
# 2.41's meson.build refers to its man pages whenever libblkid is on.

LIBBLKID_SOURCE := util-linux
LIBBLKID_LICENSE := LGPL-2.1-or-later

LIBBLKID_CONF_OPTS := --prefix=$(STAGING) --libdir=lib --buildtype=minsize \
	--default-library=static --auto-features=disabled --wrap-mode=nofallback \
	-Dbuild-libblkid=enabled -Dbuild-libsmartcols=enabled -Dprogram-tests=false \
	-Dbuild-python=disabled -Dnls=disabled

LIBBLKID_CONFIGURE_CMDS = CC="$(TARGET_CC)" CFLAGS="$(TARGET_LIBS_CFLAGS)" \
	meson setup $(LIBBLKID_BUILDDIR) . $(LIBBLKID_CONF_OPTS)
LIBBLKID_BUILD_CMDS = ninja -C $(LIBBLKID_BUILDDIR) -j $(JLEVEL) libblkid/libblkid.a
LIBBLKID_INSTALL_CMDS = mkdir -p $(STAGING)/include/blkid && \
	install -m 0644 $(LIBBLKID_BUILDDIR)/libblkid/blkid.h $(STAGING)/include/blkid/ && \
	install -m 0644 $(LIBBLKID_BUILDDIR)/libblkid/libblkid.a $(STAGING)/lib/ && \
	sed -e 's|^prefix=.*|prefix=$(STAGING)|' -e 's|^libdir=.*|libdir=$${prefix}/lib|' \
		-e 's|^includedir=.*|includedir=$${prefix}/include|' \
		$(LIBBLKID_BUILDDIR)/meson-private/blkid.pc >$(STAGING)/lib/pkgconfig/blkid.pc

$(eval $(call source-package,libblkid))
