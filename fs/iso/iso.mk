# iso: the hybrid BIOS/UEFI image (isolinux for BIOS, GRUB for UEFI; CD or disk).

ISO_CMDLINE := $(call qstrip,$(INGOT_KERNEL_CMDLINE))
ISO_VOLID := $(call qstrip,$(INGOT_ISO_VOLID))

ISO_CONFIG := $(ISO_CMDLINE) $(ISO_VOLID)
$(eval $(call config-file,$(CONFIG_DIR)/iso.config,ISO_CONFIG))

$(IMAGES)/rootfs.iso9660: $(IMAGES)/bzImage $(IMAGES)/rootfs.cpio.xz $(CONFIG_DIR)/iso.config \
		$(CONFIG_DIR)/source-date-epoch \
		$(TOPDIR)/fs/iso/mkiso.sh
	$(call msg,writing the ISO)
	$(Q)$(TOPDIR)/fs/iso/mkiso.sh --kernel $(IMAGES)/bzImage --initrd $(IMAGES)/rootfs.cpio.xz \
		--cmdline '$(ISO_CMDLINE)' --volid '$(ISO_VOLID)' --work $(BUILD)/iso --out $@

.PHONY: iso
iso: $(IMAGES)/rootfs.iso9660
