# tests: `make check` is the whole suite, the one CI runs.

CHECK_ENV := TOPDIR=$(TOPDIR) DL_DIR=$(DL_DIR)

.PHONY: check check-unit check-style check-build check-boot check-fuzz check-valgrind fuzz run
check:
	$(Q)$(CHECK_ENV) $(TOPDIR)/tests/check.sh all

check-unit:
	$(Q)$(TOPDIR)/tests/unit/run.sh

# libFuzzer targets of the agent's parsers (tests/fuzz/run.sh): `make fuzz` runs each for
# FUZZ_SECONDS; `make check` runs each for 10 s.
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)O=$(O) $(TOPDIR)/tests/fuzz/run.sh $(FUZZ_SECONDS)

check-fuzz:
	$(Q)O=$(O) $(TOPDIR)/tests/fuzz/run.sh 10

# The agent built for the host and run under valgrind through API sessions (tests/valgrind/run.sh;
# skips without civetweb's source: an override, $(O)/build/civetweb/src or dl/civetweb/).
check-valgrind:
	$(Q)O=$(O) DL_DIR=$(DL_DIR) $(TOPDIR)/tests/valgrind/run.sh

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
