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
