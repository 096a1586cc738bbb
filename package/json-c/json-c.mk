# json-c: the agent's JSON parser and writer.  cmake, static only.

JSON_C_LICENSE := MIT

JSON_C_CONFIGURE_CMDS = $(TARGET_CMAKE) -S . -B $(JSON_C_BUILDDIR) \
	-DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF -DDISABLE_WERROR=ON
JSON_C_BUILD_CMDS = cmake --build $(JSON_C_BUILDDIR) -j $(JLEVEL)
JSON_C_INSTALL_CMDS = cmake --install $(JSON_C_BUILDDIR)

$(eval $(call source-package,json-c))
