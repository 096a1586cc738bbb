# tests: `make check` is the whole suite, the one CI runs.

CHECK_ENV := TOPDIR=$(TOPDIR) DL_DIR=$(DL_DIR)

.PHONY: check check-unit check-style check-build check-boot run
check:
	$(Q)$(CHECK_ENV) $(TOPDIR)/tests/check.sh all

check-unit:
	$(Q)$(TOPDIR)/tests/unit/run.sh

check-style:
	$(Q)$(CHECK_ENV) $(TOPDIR)/tests/check.sh style

check-build:
	$(Q)$(CHECK_ENV) $(TOPDIR)/tests/check.sh build

check-boot: all
	$(Q)$(CHECK_ENV) IMAGES=$(IMAGES) $(TOPDIR)/tests/check.sh boot

RUN_MODE ?= kernel
RUN_MEM ?= 256
run: all
	$(Q)$(TOPDIR)/support/scripts/run-qemu.sh --mode $(RUN_MODE) --mem $(RUN_MEM) --images $(IMAGES)
