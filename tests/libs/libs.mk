# tests/libs: the agent libraries' smoke test, tests/libs/smoke.c, linked
# statically against $(STAGING) the way the agent will be: HTTPS server and
# client on loopback, JSON, blkid.  `make check-libs` builds and runs it.

LIBS_SMOKE := $(BUILD)/tests/libs-smoke
LIBS_SMOKE_CFLAGS := -std=gnu11 -Os -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
	-ffile-prefix-map=$(TOPDIR)/= $(AGENT_LIBS_CPPFLAGS)
LIBS_SMOKE_LDFLAGS := -static -Wl,--gc-sections -s -Wl,-z,stack-size=1048576

$(LIBS_SMOKE): $(TOPDIR)/tests/libs/smoke.c $(AGENT_LIBS_STAMPS)
	$(call msg,building the agent libraries' smoke test)
	$(Q)mkdir -p $(@D) && $(TARGET_CC) $(LIBS_SMOKE_CFLAGS) $< $(LIBS_SMOKE_LDFLAGS) \
		$(AGENT_LIBS_LDLIBS) -o $@.tmp && mv $@.tmp $@

check-libs: $(LIBS_SMOKE)
	$(Q)$(LIBS_SMOKE)
