# tests/fuzz/fuzz.mk - the libFuzzer targets (issue 6), built with clang:
#   make -f tests/fuzz/fuzz.mk            (from the top of the tree)
# The core (and daemon/route.c for the router) is compiled with
# -fsanitize=fuzzer-no-link,address,undefined, each target with
# -fsanitize=fuzzer,address,undefined, all into $(FUZZ_BUILDDIR).
# tests/fuzz/run.sh SECONDS builds them and runs each one.
include config.mk

FUZZ_BUILDDIR ?= build-fuzz
F = $(FUZZ_BUILDDIR)

# libFuzzer is clang's (Debian: clang and libclang-rt-14-dev).
FUZZ_CC ?= clang
# UBSan findings abort like ASan's, so that libFuzzer keeps the input.
FUZZ_SAN = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
FUZZ_CFLAGS = $(STD_CFLAGS) -Icore -Idaemon -Itests/fuzz $(CPPFLAGS) $(FUZZ_SAN)

FUZZ_TARGETS = protocol config timeutil route feed
FUZZ_LIB_SRC = $(wildcard core/*.c) daemon/route.c
FUZZ_LIB_OBJ = $(FUZZ_LIB_SRC:%.c=$(F)/%.o)
FUZZ_BIN     = $(FUZZ_TARGETS:%=$(F)/fuzz_%)

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_BIN)

# Keep the targets' objects: make would delete them as intermediates.
.SECONDARY: $(FUZZ_TARGETS:%=$(F)/tests/fuzz/fuzz_%.o)

$(F)/%.o: %.c | $(F)/.gitignore
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# The build folder keeps git out of itself (as the Makefile's do).
$(F)/.gitignore:
	@mkdir -p $(@D)
	@printf '%s\n' '# Written by make: nothing in this build folder is tracked.' '*' >$@

$(F)/libdosed-fuzz.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

$(F)/fuzz_%: $(F)/tests/fuzz/fuzz_%.o $(F)/libdosed-fuzz.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_TARGETS:%=$(F)/tests/fuzz/fuzz_%.d)
