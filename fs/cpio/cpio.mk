# cpio: the root filesystem tree and the initramfs made from it, without root.
#
# $(TARGET) is assembled afresh whenever one of its inputs changes; owners,
# modes and device nodes come from fs/cpio/device_table, timestamps from
# SOURCE_DATE_EPOCH, entries are sorted: two builds give the same bytes.

AGENT_COMMAND := $(if $(INGOT_AGENT_CUSTOM),$(call qstrip,$(INGOT_AGENT_COMMAND)))
AGENT_COMMAND := $(if $(INGOT_AGENT_INGOT),/usr/bin/ingot-agent,$(AGENT_COMMAND))
ROOTFS_OVERLAYS := $(call qstrip,$(INGOT_ROOTFS_OVERLAY))
ROOTFS_SKELETON := $(shell find $(TOPDIR)/fs/rootfs $(ROOTFS_OVERLAYS) 2>/dev/null)
# The build's CA bundle (INGOT_CA_BUNDLE), relative paths from the ingot tree.
CA_BUNDLE_SRC := $(call qstrip,$(INGOT_CA_BUNDLE))
CA_BUNDLE_SRC := $(if $(CA_BUNDLE_SRC),$(if $(filter /%,$(CA_BUNDLE_SRC)),,$(TOPDIR)/)$(CA_BUNDLE_SRC))
# Changing the option (to another file, or to none) reassembles the tree.
CA_BUNDLE_CONF := INGOT_CA_BUNDLE=$(CA_BUNDLE_SRC)
$(eval $(call config-file,$(CONFIG_DIR)/ca-bundle.path,CA_BUNDLE_CONF))

# The init's build-time defaults; the kernel command line overrides them.
define INIT_CONF
# written by the ingot build from its configuration
AGENT="$(AGENT_COMMAND)"
DHCP_TIMEOUT=$(INGOT_DHCP_TIMEOUT)
endef
$(eval $(call config-file,$(CONFIG_DIR)/init.conf,INIT_CONF))

$(TARGET)/.stamp: $(BUSYBOX_DIR)/.stamp_extracted $(BUILD)/init/init $(CONFIG_DIR)/init.conf \
		$(CONFIG_DIR)/ca-bundle.path \
		$(LINUX_DIR)/.stamp_built $(ROOTFS_SKELETON) $(TOPDIR)/fs/cpio/cpio.mk $(AGENT_BIN) \
		$(wildcard $(CA_BUNDLE_SRC))
	$(call msg,assembling the root filesystem)
	$(Q)rm -rf $(TARGET) && mkdir -p $(TARGET)/bin $(TARGET)/sbin $(TARGET)/usr/bin \
		$(TARGET)/usr/sbin $(TARGET)/etc/ingot
	$(Q)cp -R $(TOPDIR)/fs/rootfs/. $(TARGET)/
	$(Q)cp $(BUSYBOX_BIN) $(TARGET)/bin/busybox
	$(Q)$(BUSYBOX_BIN) --list-full | while read -r a; do \
		[ -e $(TARGET)/$$a ] || [ -L $(TARGET)/$$a ] || ln -s /bin/busybox $(TARGET)/$$a; done
	$(Q)cp $(BUILD)/init/init $(TARGET)/init
	$(Q)cp $(CONFIG_DIR)/init.conf $(TARGET)/etc/ingot/init.conf
	$(if $(AGENT_BIN),$(Q)cp $(AGENT_BIN) $(TARGET)/usr/bin/ingot-agent)
	$(Q)if [ -d $(BUILD)/linux-modules/lib/modules ]; then \
		mkdir -p $(TARGET)/lib && cp -R $(BUILD)/linux-modules/lib/modules $(TARGET)/lib/ && \
		rm -f $(TARGET)/lib/modules/*/build $(TARGET)/lib/modules/*/source; fi
	$(if $(CA_BUNDLE_SRC),$(Q)f='$(CA_BUNDLE_SRC)'; \
		test -f "$$f" && test -r "$$f" || \
		$(call die,INGOT_CA_BUNDLE: '$$f' is not a readable file; set it to a PEM file of CA certificates or empty it in menuconfig); \
		b=$$(grep -c -e '^-----BEGIN CERTIFICATE-----' "$$f" || :); \
		e=$$(grep -c -e '^-----END CERTIFICATE-----' "$$f" || :); \
		o=$$(grep -e '^-----BEGIN ' "$$f" | grep -cv -e '^-----BEGIN CERTIFICATE-----' || :); \
		test "$$b" -gt 0 && test "$$b" = "$$e" && test "$$o" = 0 || \
		$(call die,INGOT_CA_BUNDLE: '$$f' is not PEM certificates (BEGIN/END CERTIFICATE blocks only; convert DER with: openssl x509 -inform der -in FILE -out FILE.pem)); \
		mkdir -p $(TARGET)/etc/ingot/ca && cp "$$f" $(TARGET)/etc/ingot/ca/build.pem && \
		chmod 0644 $(TARGET)/etc/ingot/ca/build.pem)
	$(Q)for d in $(ROOTFS_OVERLAYS); do test -d $$d || \
		$(call die,rootfs overlay '$$d' is not a directory; check INGOT_ROOTFS_OVERLAY); \
		cp -R $$d/. $(TARGET)/; done
	$(Q)touch $@

$(IMAGES)/rootfs.cpio.xz: $(TARGET)/.stamp $(HOST)/bin/gen_init_cpio $(TOPDIR)/fs/cpio/device_table \
		$(CONFIG_DIR)/source-date-epoch \
		$(TOPDIR)/fs/cpio/mklist.sh
	$(call msg,writing the initramfs)
	$(Q)mkdir -p $(@D) $(BUILD)/cpio
	$(Q)$(TOPDIR)/fs/cpio/mklist.sh $(TARGET) $(TOPDIR)/fs/cpio/device_table >$(BUILD)/cpio/rootfs.list
	$(Q)$(HOST)/bin/gen_init_cpio -t $(SOURCE_DATE_EPOCH) $(BUILD)/cpio/rootfs.list >$(BUILD)/cpio/rootfs.cpio
	$(Q)xz -T1 --check=crc32 --lzma2=dict=1MiB -c $(BUILD)/cpio/rootfs.cpio >$@.tmp && mv $@.tmp $@

.PHONY: rootfs
rootfs: $(IMAGES)/rootfs.cpio.xz
