# package: the C agent's third-party libraries, static against musl, from
# Debian source packages, into $(STAGING).  On only with INGOT_AGENT_LIBS
# (selected by INGOT_AGENT_INGOT): otherwise none of this is a component, and
# the manifest of the default image is unchanged.  None of it needs the
# kernel: `make libs` builds only these.

.PHONY: libs check-libs
ifeq ($(INGOT_AGENT_LIBS),y)
AGENT_LIBS := zlib mbedtls curl civetweb json-c libblkid
AGENT_LIBS_STAMPS := $(foreach p,$(AGENT_LIBS),$(BUILD)/$(p)/.stamp_installed)

# How every library is compiled.  musl-gcc sees only musl's headers; the
# kernel UAPI ones (linux/, asm/, ...) come from a directory of symlinks to the
# host's, searched after musl's (-idirafter), never all of /usr/include.
MUSL_UAPI := $(BUILD)/musl-uapi
TARGET_LIBS_CFLAGS := -Os -ffunction-sections -fdata-sections -ffile-prefix-map=$(BUILD)/= \
	-idirafter $(MUSL_UAPI)
HOST_MULTIARCH := $(shell $(HOSTCC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
MUSL_UAPI_DIRS := linux asm-generic mtd /usr/include/$(HOST_MULTIARCH)/asm

# cmake for the target: musl-gcc, static, -Os, installed into $(STAGING), and
# dependencies found in $(STAGING) only, never on the host.
TARGET_CMAKE = cmake -G Ninja -DCMAKE_C_COMPILER=$(TARGET_CC) -DCMAKE_BUILD_TYPE=MinSizeRel \
	-DCMAKE_C_FLAGS="$(TARGET_LIBS_CFLAGS)" -DCMAKE_INSTALL_PREFIX=$(STAGING) \
	-DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON \
	-DCMAKE_FIND_ROOT_PATH=$(STAGING) -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
	-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY \
	-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER

# How the agent (and tests/libs) compile and link against them; the order
# matters for static archives.
AGENT_LIBS_CPPFLAGS := -isystem $(STAGING)/include -idirafter $(MUSL_UAPI)
AGENT_LIBS_LDLIBS := -L$(STAGING)/lib -lcivetweb -lcurl -lmbedtls -lmbedx509 -lmbedcrypto \
	-ljson-c -lblkid -lz -lpthread

$(MUSL_UAPI)/.stamp:
	$(Q)rm -rf $(@D) && mkdir -p $(@D)
	$(Q)for d in $(MUSL_UAPI_DIRS); do case $$d in /*) ;; *) d=/usr/include/$$d;; esac; \
		test -d $$d || $(call die,kernel headers '$$d' not found; run: sudo ./install-deps.sh); \
		ln -s $$d $(@D)/$${d##*/}; done
	$(Q)touch $@

include $(foreach p,$(AGENT_LIBS),$(TOPDIR)/package/$(p)/$(p).mk)
include $(TOPDIR)/tests/libs/libs.mk

libs: $(AGENT_LIBS_STAMPS)
	@echo "ingot: agent libraries in $(STAGING)"
else
AGENT_LIBS :=
libs check-libs:
	$(Q)$(call die,the agent libraries are off (INGOT_AGENT_LIBS in $(CONFIG)); choose the ingot agent or turn them on in make menuconfig)
endif
