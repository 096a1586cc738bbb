# ingot: the one entry point.  `make help` lists every target.
#
# Buildroot's conventions: the configuration lives in $(O)/.config (Kconfig,
# through Debian's kconfig-frontends), downloads in dl/, everything else that
# is built under $(O) (default output/), every step leaves a stamp.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

TOPDIR := $(CURDIR)
O ?= output
DL_DIR ?= $(TOPDIR)/dl
# make splits words at spaces: a path with one cannot be handled safely.
ifneq ($(words $(TOPDIR)),1)
$(error the ingot tree's path '$(TOPDIR)' has a space; move it to a path without)
endif
ifneq ($(words $(O)),1)
$(error O='$(O)' has a space; choose an output directory without)
endif
ifneq ($(words $(DL_DIR)),1)
$(error DL_DIR='$(DL_DIR)' has a space; choose a download directory without)
endif
override O := $(abspath $(O))
override DL_DIR := $(abspath $(DL_DIR))
CONFIG := $(O)/.config
# Values of the configuration that steps depend on, one file each (config-file).
CONFIG_DIR := $(O)/.ingot
BUILD := $(O)/build
IMAGES := $(O)/images
TARGET := $(O)/target
HOST := $(O)/host

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Reproducible output: every timestamp that ends up in an image comes from
# here.  Default: the time of the last commit, so two builds of one checkout
# agree; 0 outside git.
# (safe.directory: root building a checkout owned by someone else gets the same
# answer as its owner.)
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git -c safe.directory='*' -C $(TOPDIR) log -1 --format=%ct 2>/dev/null)
SOURCE_DATE_EPOCH := $(or $(SOURCE_DATE_EPOCH),0)
endif
export SOURCE_DATE_EPOCH
export LC_ALL := C
export TZ := UTC

qstrip = $(strip $(subst ",,$(1)))
msg = @printf '>>> %s\n' "$(1)"
die = { echo "ingot: error: $(1)" >&2; exit 1; }

KCONFIG_ENV := CONFIG_= KCONFIG_CONFIG=$(CONFIG) \
	KCONFIG_AUTOCONFIG=$(BUILD)/kconfig/auto.conf \
	KCONFIG_AUTOHEADER=$(BUILD)/kconfig/autoconf.h \
	KCONFIG_TRISTATE=$(BUILD)/kconfig/tristate.conf
kconfig = mkdir -p $(BUILD)/kconfig && cd $(TOPDIR) && $(KCONFIG_ENV)
KCONFIG_FILES := $(TOPDIR)/Config.in

# Targets that work without a configuration.
NOCONFIG_TARGETS := help menuconfig nconfig savedefconfig olddefconfig list-defconfigs \
	clean distclean check check-build check-style check-unit %_defconfig
NEED_CONFIG := $(if $(filter-out $(NOCONFIG_TARGETS),$(or $(MAKECMDGOALS),all)),1)

# --- host check -------------------------------------------------------------
# Every build starts by checking the host packages (a few file tests), so a
# missing one stops it with one line instead of a failure deep in a recipe.
ifeq ($(NEED_CONFIG),1)
HOST_MISSING := $(shell $(TOPDIR)/install-deps.sh --check >/dev/null 2>&1 || \
	$(TOPDIR)/install-deps.sh --check 2>&1 | sed -n 's/^missing host packages: //p')
ifneq ($(HOST_MISSING),)
$(error missing host packages: $(HOST_MISSING); run: sudo ./install-deps.sh)
endif
endif

# The environment or the command line overrides the configured mirror.
INGOT_DEBIAN_MIRROR_ENV := $(INGOT_DEBIAN_MIRROR)

ifeq ($(NEED_CONFIG),1)
ifeq ($(wildcard $(CONFIG)),)
$(info ingot: no configuration in $(O); using configs/ingot_defconfig)
$(shell mkdir -p $(BUILD)/kconfig && cd $(TOPDIR) && $(KCONFIG_ENV) \
	kconfig-conf --defconfig=configs/ingot_defconfig Config.in >/dev/null)
endif
include $(CONFIG)
endif

JLEVEL := $(if $(filter-out 0,$(INGOT_JLEVEL)),$(INGOT_JLEVEL),$(shell nproc))
SUITE := $(call qstrip,$(INGOT_DEBIAN_SUITE))
ARCH_DEB := amd64
override export INGOT_DEBIAN_MIRROR := $(or $(INGOT_DEBIAN_MIRROR_ENV),$(call qstrip,$(INGOT_DEBIAN_MIRROR)))

# config-file FILE, VARIABLE: write VARIABLE's value to FILE, while make reads
# the makefiles, only when it differs from what FILE holds, so that what
# depends on a configuration value rebuilds only when that value changes (and
# a rerun with nothing changed touches nothing, not even a directory).
define config-file
ifneq ($$(file <$(1)),$$($(2)))
$$(shell mkdir -p $(dir $(1)))
$$(file >$(1),$$($(2)))
endif
endef

HOSTCC ?= gcc
TARGET_CC ?= musl-gcc

# apt-fetch PACKAGE[,source]: the rule body that puts a Debian binary package,
# or with "source" a source package, into dl/.
apt-fetch = $(TOPDIR)/support/scripts/apt-fetch.sh $(DL_DIR) $(SUITE) $(ARCH_DEB) $(1) $(2)
dl-info = $(DL_DIR)/$(1)/$(1).$(SUITE).info

# deb-package PACKAGE: declare a Debian binary package as a component: the
# rule that fetches it into dl/ and its place in the manifest.
define deb-package
COMPONENTS += $(1)
$(call dl-info,$(1)):
	$$(call msg,fetching $(1) from Debian $$(SUITE))
	$$(Q)$$(call apt-fetch,$(1))
endef

# deb-verify PACKAGE: check the cached .deb against the sha256 recorded when
# apt fetched it; a corrupt cache says so instead of building garbage.
define deb-verify
. $(call dl-info,$(1)); \
	echo "$$SHA256  $(DL_DIR)/$(1)/$$FILE" | sha256sum -c --quiet - || \
	$(call die,$(DL_DIR)/$(1)/$$FILE does not match its recorded sha256; delete $(DL_DIR)/$(1) and run make again)
endef

# deb-source-package PACKAGE: declare a Debian source package as a component:
# the rule that fetches it (.dsc, tarballs) into dl/ and its place in the manifest.
define deb-source-package
COMPONENTS += $(1)
$(call dl-info,$(1)):
	$$(call msg,fetching the source of $(1) from Debian $$(SUITE))
	$$(Q)$$(call apt-fetch,$(1),source)
endef

# src-verify PACKAGE: check every cached file of a source package against the
# sha256 recorded when apt fetched it (dl/PACKAGE/PACKAGE.SUITE.sha256).
define src-verify
(cd $(DL_DIR)/$(1) && sha256sum -c --quiet --strict $(1).$(SUITE).sha256 >/dev/null 2>&1) || \
	$(call die,$(DL_DIR)/$(1) does not match its recorded sha256; delete $(DL_DIR)/$(1) and run make again)
endef

# src-extract PACKAGE, DIR: unpack a source package into DIR (replaced) with
# Debian's patches applied.  --no-check skips dpkg-source's own check of the
# .dsc's maintainer signature (whose key no keyring here carries) and hashes:
# apt has already verified every file against the archive's signed Sources
# index, and src-verify has just re-verified our recorded sha256.
define src-extract
$(call src-verify,$(1)) && rm -rf $(2) && mkdir -p $(dir $(2)) && \
	. $(call dl-info,$(1)) && dpkg-source -q --no-check -x $(DL_DIR)/$(1)/$$FILE $(2) >/dev/null
endef

# src-copy DIR, DEST: a developer's own source tree instead of Debian's (see
# INGOT_OVERRIDE_SRCDIR_<NAME> below): copied, without its .git, never patched.
define src-copy
test -d $(1) || $(call die,override source directory '$(1)' is not a directory); \
	rm -rf $(2) && mkdir -p $(2) && \
	tar -C $(1) --exclude=./.git -cf - . | tar -xf - --no-same-owner -C $(2)
endef

# --- packages built from Debian sources -------------------------------------
# A recipe, package/<name>/<name>.mk, is declarative: it sets
#   <NAME>_SOURCE      the Debian source package (default: <name>)
#   <NAME>_LICENSE     SPDX licence of what is used, for the manifest
#   <NAME>_DEPENDENCIES  recipes whose staging install it needs
#   <NAME>_POST_EXTRACT_CMDS, <NAME>_CONFIGURE_CMDS, <NAME>_BUILD_CMDS,
#   <NAME>_INSTALL_CMDS  shell commands, each step one command line (join with
#                      &&), run in the source tree $(<NAME>_SRCDIR); an
#                      out-of-tree build goes to $(<NAME>_BUILDDIR), which
#                      every configure step starts afresh
# and ends with $(eval $(call source-package,<name>)).  <NAME> is the name in
# upper case, - as _.  The steps extract, configure, build and install (into
# $(STAGING)/{include,lib}) each leave a stamp in $(BUILD)/<name>/, with the
# output of each in $(BUILD)/<name>/<step>.log (on the terminal with V=1).
#
# INGOT_OVERRIDE_SRCDIR_<NAME>=DIR (command line or environment; Buildroot's
# <PKG>_OVERRIDE_SRCDIR; INGOT_OVERRIDE_SRCDIR_<name> works too) builds the
# library from the source tree DIR instead of Debian's: nothing is fetched, DIR
# is copied into the build directory as it is (no Debian patches), and the
# manifest says "override:DIR" in place of a version and hash, so such an image
# cannot pass for a release build.  `make <name>-rebuild` copies DIR again
# after it changed.
STAGING := $(O)/staging
uc = $(subst -,_,$(shell printf '%s' '$(1)' | tr a-z A-Z))

# Sub-makes, cmake and meson of third-party builds get none of our command
# line (O=, V=, ...) through MAKEFLAGS, and pkg-config sees only the staging area.
SRC_PKG_ENV := unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS; \
	export PKG_CONFIG_LIBDIR=$(STAGING)/lib/pkgconfig PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=;

# source-step NAME, VAR, STEP, step: one step's commands, logged to step.log.
define source-step
	$$(Q)cd $$($(2)_SRCDIR) && $$(SRC_PKG_ENV) \
	{ $$($(2)_$(3)_CMDS); } $$(if $$(Q),>$(BUILD)/$(1)/$(4).log 2>&1 || \
	{ tail -n 40 $(BUILD)/$(1)/$(4).log >&2; \
	$$(call die,$(1): $(4) failed; the whole log is $(BUILD)/$(1)/$(4).log); })
endef

define source-package-rules
$(2)_SOURCE ?= $(1)
$(2)_DIR := $(BUILD)/$(1)
$(2)_SRCDIR := $(BUILD)/$(1)/src
$(2)_BUILDDIR := $(BUILD)/$(1)/build
$(2)_RECIPE := $(TOPDIR)/package/$(1)/$(1).mk
$(2)_OVERRIDE := $$(strip $$(or $$(INGOT_OVERRIDE_SRCDIR_$(2)),$$(INGOT_OVERRIDE_SRCDIR_$(1))))
ifneq ($$(words $$($(2)_OVERRIDE)),$$(if $$($(2)_OVERRIDE),1,0))
$$(error INGOT_OVERRIDE_SRCDIR_$(2)='$$($(2)_OVERRIDE)' has a space; use a path without)
endif
$(2)_OVERRIDE := $$(if $$($(2)_OVERRIDE),$$(abspath $$($(2)_OVERRIDE)))
# Where the source comes from, as a file: switching rebuilds the library.
$(2)_ORIGIN := $$(if $$($(2)_OVERRIDE),override:$$($(2)_OVERRIDE),debian:$(SUITE))
$$(eval $$(call config-file,$(CONFIG_DIR)/origin-$(1),$(2)_ORIGIN))
$$($(2)_SOURCE)_LICENSE := $$($(2)_LICENSE)
$$($(2)_SOURCE)_OVERRIDE := $$($(2)_OVERRIDE)
$$(eval $$(call deb-source-package,$$($(2)_SOURCE)))

$(BUILD)/$(1)/.stamp_extracted: $(CONFIG_DIR)/origin-$(1) \
		$$(if $$($(2)_OVERRIDE),,$$(call dl-info,$$($(2)_SOURCE)))
ifeq ($$($(2)_OVERRIDE),)
	$$(call msg,extracting $(1) ($$($(2)_SOURCE) $$$$(. $$(call dl-info,$$($(2)_SOURCE)) && echo $$$$VERSION)))
	$$(Q)rm -rf $(BUILD)/$(1) && mkdir -p $(BUILD)/$(1)
	$$(Q)$$(call src-extract,$$($(2)_SOURCE),$$($(2)_SRCDIR))
else
	$$(call msg,copying $(1) from $$($(2)_OVERRIDE) (INGOT_OVERRIDE_SRCDIR_$(2)))
	$$(Q)rm -rf $(BUILD)/$(1) && mkdir -p $(BUILD)/$(1)
	$$(Q)$$(call src-copy,$$($(2)_OVERRIDE),$$($(2)_SRCDIR))
endif
$(if $($(2)_POST_EXTRACT_CMDS),$(call source-step,$(1),$(2),POST_EXTRACT,post-extract))
	$$(Q)touch $$@

$(BUILD)/$(1)/.stamp_configured: $(BUILD)/$(1)/.stamp_extracted $$($(2)_RECIPE) $(BUILD)/musl-uapi/.stamp \
		$$(foreach d,$$($(2)_DEPENDENCIES),$(BUILD)/$$(d)/.stamp_installed)
	$$(call msg,configuring $(1))
	$$(Q)rm -rf $$($(2)_BUILDDIR)
$(call source-step,$(1),$(2),CONFIGURE,configure)
	$$(Q)touch $$@

$(BUILD)/$(1)/.stamp_built: $(BUILD)/$(1)/.stamp_configured
	$$(call msg,building $(1))
$(call source-step,$(1),$(2),BUILD,build)
	$$(Q)touch $$@

$(BUILD)/$(1)/.stamp_installed: $(BUILD)/$(1)/.stamp_built
	$$(call msg,installing $(1) into $$(STAGING))
	$$(Q)mkdir -p $$(STAGING)/include $$(STAGING)/lib/pkgconfig
$(call source-step,$(1),$(2),INSTALL,install)
	$$(Q)touch $$@

.PHONY: $(1) $(1)-rebuild
$(1): $(BUILD)/$(1)/.stamp_installed

$(1)-rebuild:
	$$(Q)rm -f $(BUILD)/$(1)/.stamp_*
	$$(Q)$$(MAKE) --no-print-directory $(1)
endef
source-package = $(call source-package-rules,$(1),$(call uc,$(1)))

# manifest-line COMPONENT: its line in manifest.tsv, from what apt recorded,
# or "override:DIR" for a library built from a developer's own tree.
define manifest-line
$(if $($(1)_OVERRIDE),printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(1)" "override:$($(1)_OVERRIDE)" - - \
		"$($(1)_LICENSE)" "override:$($(1)_OVERRIDE)";,\
	. $(call dl-info,$(1)); printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$$NAME" "$$VERSION" "$$SUITE" \
		"$$SHA256" "$($(1)_LICENSE)" "$$FILE";)
endef
# What a component's manifest line and `make source` need.
component-info = $(if $($(1)_OVERRIDE),,$(call dl-info,$(1)))

COMPONENTS :=
ifeq ($(NEED_CONFIG),1)
# Every date in the images comes from here: a new commit rebuilds them.
$(eval $(call config-file,$(CONFIG_DIR)/source-date-epoch,SOURCE_DATE_EPOCH))
include $(TOPDIR)/linux/linux.mk
include $(TOPDIR)/package/busybox/busybox.mk
include $(TOPDIR)/package/package.mk
include $(TOPDIR)/src/src.mk
include $(TOPDIR)/fs/cpio/cpio.mk
include $(TOPDIR)/fs/iso/iso.mk
endif
include $(TOPDIR)/tests/tests.mk

# --- top-level targets ------------------------------------------------------
IMAGE_FILES := $(IMAGES)/bzImage $(IMAGES)/rootfs.cpio.xz $(if $(INGOT_ISO),$(IMAGES)/rootfs.iso9660)

.PHONY: all source
all: $(IMAGES)/sha256sums $(IMAGES)/manifest.tsv
	@echo "ingot: images in $(IMAGES)"

source: $(foreach p,$(COMPONENTS),$(call component-info,$(p)))

$(IMAGES)/sha256sums: $(IMAGE_FILES)
	$(Q)cd $(IMAGES) && sha256sum $(notdir $^) >$(@F).tmp && mv $(@F).tmp $(@F)

# The manifest: every third-party component in the images, as apt fetched it,
# and the C library our programs are statically linked with (the host's musl).
MUSL_LIBC := /usr/lib/x86_64-linux-musl/libc.a
$(IMAGES)/manifest.tsv: $(foreach p,$(COMPONENTS),$(call component-info,$(p))) $(CONFIG) \
		$(foreach p,$(AGENT_LIBS),$(CONFIG_DIR)/origin-$(p))
	$(Q)mkdir -p $(@D); { printf 'name\tversion\tsuite\tsha256\tlicense\tfile\n'; \
	$(foreach p,$(COMPONENTS),$(call manifest-line,$(p))) \
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' musl "$$(dpkg-query -W -f='$${Version}' musl-dev)" \
		"host (musl-dev)" "$$(sha256sum $(MUSL_LIBC) | cut -d' ' -f1)" MIT $(MUSL_LIBC); \
	} >$@.tmp && mv $@.tmp $@

# --- configuration ----------------------------------------------------------
.PHONY: menuconfig nconfig olddefconfig savedefconfig list-defconfigs
menuconfig nconfig: $(if $(wildcard $(CONFIG)),,$(O)/.config-default)
	$(Q)$(kconfig) kconfig-$(subst config,,$@)conf Config.in

$(O)/.config-default:
	$(Q)$(kconfig) kconfig-conf --defconfig=configs/ingot_defconfig Config.in >/dev/null

olddefconfig:
	$(Q)$(kconfig) kconfig-conf --olddefconfig Config.in

DEFCONFIG ?= $(TOPDIR)/configs/ingot_defconfig
savedefconfig:
	$(Q)test -f $(CONFIG) || $(call die,no configuration in $(O); run make <name>_defconfig first)
	$(Q)$(kconfig) kconfig-conf --savedefconfig=$(DEFCONFIG).tmp Config.in && mv $(DEFCONFIG).tmp $(DEFCONFIG)
	@echo "ingot: saved $(DEFCONFIG)"

# An unknown name stops make before anything is written.
$(foreach d,$(filter %_defconfig,$(MAKECMDGOALS)),$(if $(wildcard $(TOPDIR)/configs/$(d)),,\
	$(error no defconfig '$(d)' in configs/; see 'make list-defconfigs')))

%_defconfig:
	$(Q)$(kconfig) kconfig-conf --defconfig=configs/$@ Config.in >/dev/null
	@echo "ingot: configured $(O) from configs/$@"

list-defconfigs:
	@cd $(TOPDIR)/configs && ls *_defconfig

# --- cleaning ---------------------------------------------------------------
.PHONY: clean distclean
clean:
	rm -rf $(BUILD) $(TARGET) $(HOST) $(IMAGES) $(STAGING)

# Never delete the tree itself or a directory above it (O=. or O=..); the
# download cache only where it is the tree's own dl/.
distclean:
	$(Q)case $(TOPDIR)/ in $(O)/*) $(call die,refusing to delete O=$(O): it holds the ingot tree);; esac
	rm -rf $(O)
	$(if $(filter $(TOPDIR)/dl,$(DL_DIR)),rm -rf $(DL_DIR),@echo "ingot: kept DL_DIR=$(DL_DIR) (not the tree's own dl/)")

# --- bench ------------------------------------------------------------------
# Not part of `make check` (which runs bench/run.sh --smoke): size, boot, RAM floor,
# throughput and build figures of $(IMAGES) into docs/benchmarks.md.
BENCH_RUNS ?= 3
BENCH_IMAGE_MB ?= 2048
.PHONY: bench
bench: all
	$(Q)$(TOPDIR)/bench/run.sh --images $(IMAGES) --build-o $(O) --dl-dir $(DL_DIR) \
		--runs $(BENCH_RUNS) --image-mb $(BENCH_IMAGE_MB) $(if $(filter 1,$(BENCH_COLD)),--cold)

# --- help -------------------------------------------------------------------
.PHONY: help
help:
	@echo 'ingot: a tiny deploy ramdisk for OpenStack Ironic'
	@echo
	@echo 'Build:'
	@echo '  all (default)          kernel, initramfs, ISO, sha256sums and manifest in $$(O)/images'
	@echo '  source                 download every source into dl/ (then no network is needed)'
	@echo '  linux                  the kernel only (bzImage)'
	@echo '  linux-rebuild          rebuild the kernel after editing its tree'
	@echo '  rootfs                 the initramfs only (rootfs.cpio.xz)'
	@echo '  iso                    the hybrid BIOS/UEFI ISO only (rootfs.iso9660)'
	@echo '  agent                  the C agent only ($$(O)/build/agent/ingot-agent; INGOT_AGENT_INGOT)'
	@echo '  libs                   the agent'"'"'s static libraries only, into $$(O)/staging (INGOT_AGENT_LIBS)'
	@echo '  <library>              one of them: zlib mbedtls curl civetweb json-c libblkid'
	@echo '  <library>-rebuild      build it again from scratch (copies an override source tree again)'
	@echo
	@echo 'Configuration:'
	@echo '  menuconfig / nconfig   edit $$(O)/.config'
	@echo '  <name>_defconfig       start from configs/<name>_defconfig'
	@echo '  list-defconfigs        the defconfigs in configs/'
	@echo '  olddefconfig           update $$(O)/.config after Config.in changed'
	@echo '  savedefconfig          write the minimal config to DEFCONFIG (configs/ingot_defconfig)'
	@echo '  linux-menuconfig       edit the kernel config; changes are kept as a fragment'
	@echo '  linux-savedefconfig    write the kernel minimal config to $$(O)/linux-defconfig'
	@echo
	@echo 'Run and test:'
	@echo '  run                    boot the images in QEMU (RUN_MODE=kernel|cd-bios|disk-bios|cd-uefi|disk-uefi)'
	@echo '  bench                  size, boot, RAM floor, throughput, build times: docs/benchmarks.md (BENCH_RUNS, BENCH_IMAGE_MB, BENCH_COLD=1)'
	@echo '  check                  the whole test suite (what CI runs)'
	@echo '  check-unit             unit tests only (host compiler, ASan/UBSan)'
	@echo '  check-boot             QEMU boot tests of $$(O)'
	@echo '  check-build            rootless, reproducible, no-op and bad-input build tests'
	@echo '  check-style            clang-format on the C sources'
	@echo '  check-libs             build and run the agent libraries'"'"' smoke test (HTTPS, JSON, blkid)'
	@echo '  check-valgrind         the agent built for the host, under valgrind through API sessions'
	@echo
	@echo 'Cleaning:'
	@echo '  clean                  delete everything built in $$(O), keep the configuration and dl/'
	@echo '  distclean              delete $$(O) and dl/'
	@echo
	@echo 'Variables: O=dir (output directory, default output/), V=1 (verbose),'
	@echo '  DL_DIR=dir (download cache, default dl/), INGOT_DEBIAN_MIRROR=url (mirror override),'
	@echo '  INGOT_OVERRIDE_SRCDIR_<LIBRARY>=dir (build ZLIB, MBEDTLS, CURL, CIVETWEB, JSON_C or'
	@echo '  LIBBLKID from a local source tree instead of Debian'"'"'s; the manifest says override:dir),'
	@echo '  INGOT_VERSION=string (the agent'"'"'s version; default: git describe)'
