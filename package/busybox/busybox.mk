# busybox: Debian's statically linked busybox: the shell, udhcpc, ip, modprobe.

BUSYBOX_PKG := $(call qstrip,$(INGOT_BUSYBOX_PACKAGE))
BUSYBOX_DIR := $(BUILD)/busybox
BUSYBOX_BIN := $(BUSYBOX_DIR)/busybox.bin
$(BUSYBOX_PKG)_LICENSE := GPL-2.0-only
$(eval $(call deb-package,$(BUSYBOX_PKG)))

$(BUSYBOX_DIR)/.stamp_extracted: $(call dl-info,$(BUSYBOX_PKG))
	$(Q)$(call deb-verify,$(BUSYBOX_PKG))
	$(Q)rm -rf $(BUSYBOX_DIR) && mkdir -p $(BUSYBOX_DIR)
	$(Q). $(call dl-info,$(BUSYBOX_PKG)); dpkg-deb -x $(DL_DIR)/$(BUSYBOX_PKG)/$$FILE $(BUSYBOX_DIR)
	$(Q)for b in $(BUSYBOX_DIR)/usr/bin/busybox $(BUSYBOX_DIR)/bin/busybox; do \
		if [ -x $$b ]; then cp $$b $(BUSYBOX_BIN); break; fi; done
	$(Q)test -x $(BUSYBOX_BIN) || $(call die,$(BUSYBOX_PKG) has no busybox binary)
	$(Q)touch $@
