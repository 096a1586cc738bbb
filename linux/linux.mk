# linux: Debian's kernel source (the linux-source-* binary package), configured
# from tinyconfig plus the single-topic fragments in linux/fragments/.

LINUX_PKG := $(call qstrip,$(INGOT_LINUX_PACKAGE))
LINUX_DIR := $(BUILD)/linux
$(LINUX_PKG)_LICENSE := GPL-2.0-only
$(eval $(call deb-package,$(LINUX_PKG)))

LINUX_FRAGMENTS := $(foreach f,$(call qstrip,$(INGOT_LINUX_FRAGMENTS)),$(TOPDIR)/linux/fragments/$(f).config) \
	$(foreach f,$(call qstrip,$(INGOT_LINUX_EXTRA_FRAGMENTS)),$(abspath $(if $(filter /%,$(f)),$(f),$(TOPDIR)/$(f)))) \
	$(wildcard $(O)/linux-local.config)
LINUX_MAKE := $(MAKE) -C $(LINUX_DIR) O=$(LINUX_DIR) ARCH=x86_64 KBUILD_BUILD_USER=ingot KBUILD_BUILD_HOST=ingot \
	KBUILD_BUILD_TIMESTAMP=@$(SOURCE_DATE_EPOCH) KBUILD_BUILD_VERSION=1 $(if $(filter 1,$(V)),V=1,-s)

$(LINUX_DIR)/.stamp_extracted: $(call dl-info,$(LINUX_PKG))
	$(call msg,extracting $(LINUX_PKG))
	$(Q)$(call deb-verify,$(LINUX_PKG))
	$(Q)rm -rf $(LINUX_DIR) && mkdir -p $(LINUX_DIR)
	$(Q). $(call dl-info,$(LINUX_PKG)); dpkg-deb --fsys-tarfile $(DL_DIR)/$(LINUX_PKG)/$$FILE | \
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' | \
		tar -xJ --strip-components=1 -C $(LINUX_DIR)
	$(Q)touch $@

# The fragment list is part of the configuration: a change rebuilds the kernel.
$(eval $(call config-file,$(CONFIG_DIR)/linux.fragments,LINUX_FRAGMENTS))

$(LINUX_DIR)/.stamp_configured: $(LINUX_DIR)/.stamp_extracted $(CONFIG_DIR)/linux.fragments $(LINUX_FRAGMENTS)
	$(call msg,configuring the kernel: tinyconfig + $(notdir $(LINUX_FRAGMENTS)))
	$(Q)for f in $(LINUX_FRAGMENTS); do test -f $$f || $(call die,kernel fragment '$$f' not found; check INGOT_LINUX_FRAGMENTS in make menuconfig); done
	+$(Q)$(LINUX_MAKE) tinyconfig >/dev/null
	$(Q)cd $(LINUX_DIR) && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config $(LINUX_FRAGMENTS) >/dev/null
	+$(Q)$(LINUX_MAKE) olddefconfig >/dev/null
	$(Q)$(TOPDIR)/linux/check-fragments.sh $(LINUX_DIR)/.config $(LINUX_FRAGMENTS)
	$(Q)touch $@

$(LINUX_DIR)/.stamp_built: $(LINUX_DIR)/.stamp_configured $(CONFIG_DIR)/source-date-epoch
	$(call msg,building the kernel (a few minutes))
	+$(Q)$(LINUX_MAKE) -j$(JLEVEL) bzImage
	+$(Q)if grep -q '^CONFIG_MODULES=y' $(LINUX_DIR)/.config; then \
		$(LINUX_MAKE) -j$(JLEVEL) modules && \
		rm -rf $(BUILD)/linux-modules && \
		$(LINUX_MAKE) INSTALL_MOD_PATH=$(BUILD)/linux-modules INSTALL_MOD_STRIP=1 modules_install; \
	fi
	$(Q)touch $@

$(IMAGES)/bzImage: $(LINUX_DIR)/.stamp_built
	$(Q)mkdir -p $(@D) && cp $(LINUX_DIR)/arch/x86/boot/bzImage $@.tmp && mv $@.tmp $@

# gen_init_cpio writes the initramfs from a list: owners, modes and device
# nodes come from the list, not from the host, so no root is needed.
$(HOST)/bin/gen_init_cpio: $(LINUX_DIR)/.stamp_extracted
	$(Q)mkdir -p $(@D) && $(HOSTCC) -O2 -o $@.tmp $(LINUX_DIR)/usr/gen_init_cpio.c && mv $@.tmp $@

.PHONY: linux linux-rebuild linux-menuconfig linux-savedefconfig
linux: $(IMAGES)/bzImage

linux-rebuild:
	$(Q)rm -f $(LINUX_DIR)/.stamp_built
	$(Q)$(MAKE) --no-print-directory $(IMAGES)/bzImage

# Kernel menuconfig on the configured tree; what changed is kept as the
# fragment $(O)/linux-local.config, applied after all others.
linux-menuconfig: $(LINUX_DIR)/.stamp_configured
	$(Q)cp $(LINUX_DIR)/.config $(BUILD)/linux.config.before
	+$(Q)$(LINUX_MAKE) menuconfig
	$(Q)cd $(LINUX_DIR) && scripts/diffconfig -m $(BUILD)/linux.config.before .config >$(BUILD)/linux.config.diff
	$(Q)if [ ! -s $(BUILD)/linux.config.diff ]; then echo "ingot: no kernel config changes"; exit 0; fi; \
	cat $(wildcard $(O)/linux-local.config) $(BUILD)/linux.config.diff | \
		awk '{ k = ($$1 == "#") ? $$2 : $$1; sub(/=.*/, "", k); v[k] = $$0; \
		if (!(k in seen)) { seen[k] = 1; o[++n] = k } } END { for (i = 1; i <= n; i++) print v[o[i]] }' \
		>$(O)/linux-local.config.tmp && mv $(O)/linux-local.config.tmp $(O)/linux-local.config && \
	echo "ingot: kernel changes kept in $(O)/linux-local.config; copy it to linux/fragments/ to keep it for good"

linux-savedefconfig: $(LINUX_DIR)/.stamp_configured
	+$(Q)$(LINUX_MAKE) savedefconfig && cp $(LINUX_DIR)/defconfig $(O)/linux-defconfig.tmp && \
		mv $(O)/linux-defconfig.tmp $(O)/linux-defconfig
	@echo "ingot: kernel minimal config in $(O)/linux-defconfig"
