# src: ingot's own C programs, static against musl.

TARGET_CFLAGS := -std=gnu11 -Os -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
	-ffile-prefix-map=$(TOPDIR)/= -I$(TOPDIR)/src
TARGET_LDFLAGS := -static -Wl,--gc-sections -s

BASIC_SRCS := $(sort $(wildcard $(TOPDIR)/src/basic/*.c))
BASIC_HDRS := $(wildcard $(TOPDIR)/src/basic/*.h)
INIT_SRCS := $(sort $(wildcard $(TOPDIR)/src/init/*.c))
INIT_HDRS := $(wildcard $(TOPDIR)/src/init/*.h)

$(BUILD)/init/init: $(BASIC_SRCS) $(BASIC_HDRS) $(INIT_SRCS) $(INIT_HDRS)
	$(call msg,building init)
	$(Q)mkdir -p $(@D) && $(TARGET_CC) $(TARGET_CFLAGS) $(BASIC_SRCS) $(INIT_SRCS) \
		$(TARGET_LDFLAGS) -o $@.tmp && mv $@.tmp $@

# The C agent, with INGOT_AGENT_INGOT: static against the libraries in
# $(STAGING) (package/package.mk).  musl gives a new thread 128 KiB of stack;
# civetweb's worker threads want more, so the default is 1 MiB (-z stack-size).
ifeq ($(INGOT_AGENT_INGOT),y)
AGENT_SRCS := $(sort $(wildcard $(TOPDIR)/src/agent/*.c))
AGENT_HDRS := $(wildcard $(TOPDIR)/src/agent/*.h)
AGENT_BIN := $(BUILD)/agent/ingot-agent
AGENT_LDFLAGS := $(TARGET_LDFLAGS) -Wl,-z,stack-size=1048576
AGENT_CFLAGS := $(TARGET_CFLAGS)

# The version the agent reports: INGOT_VERSION from the command line or the
# environment, else git describe of the tree, else "dev".
ifeq ($(origin INGOT_VERSION),undefined)
INGOT_VERSION := $(shell git -c safe.directory='*' -C $(TOPDIR) describe --tags --always --dirty 2>/dev/null)
INGOT_VERSION := $(or $(INGOT_VERSION),dev)
endif
$(eval $(call config-file,$(CONFIG_DIR)/agent-version,INGOT_VERSION))

$(AGENT_BIN): $(BASIC_SRCS) $(BASIC_HDRS) $(AGENT_SRCS) $(AGENT_HDRS) $(AGENT_LIBS_STAMPS) \
		$(CONFIG_DIR)/agent-version $(TOPDIR)/src/src.mk
	$(call msg,building ingot-agent $(INGOT_VERSION))
	$(Q)mkdir -p $(@D) && $(TARGET_CC) $(AGENT_CFLAGS) $(AGENT_LIBS_CPPFLAGS) \
		-DINGOT_VERSION='"$(INGOT_VERSION)"' $(BASIC_SRCS) $(AGENT_SRCS) \
		$(AGENT_LDFLAGS) $(AGENT_LIBS_LDLIBS) -o $@.tmp && mv $@.tmp $@

.PHONY: agent
agent: $(AGENT_BIN)
else
.PHONY: agent
agent:
	$(Q)$(call die,the C agent is not configured (INGOT_AGENT_INGOT in $(CONFIG)); choose it in make menuconfig)
endif
