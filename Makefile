# dosed - injection schedules and reminders.  See README.md.
include config.mk

# The sanitizer build of `make check` lives in $(BUILDDIR)-asan.
BUILDDIR ?= build
O         = $(BUILDDIR)

CORE_SRC  = $(wildcard core/*.c)
CLI_SRC   = $(wildcard cli/*.c)
DAEMON_SRC = $(wildcard daemon/*.c)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)

CORE_OBJ  = $(CORE_SRC:%.c=$(O)/%.o)
CLI_OBJ   = $(CLI_SRC:%.c=$(O)/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(O)/%.o)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

ALL_CFLAGS = $(STD_CFLAGS) -Icore $(CFLAGS)

.PHONY: all check check-quick clean tests deps run
all: $(O)/dosectl $(if $(DAEMON_SRC),$(O)/dosed)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(O)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DAEMON_CFLAGS) -MMD -MP -c $< -o $@

$(O)/libdosed.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

$(O)/dosectl: $(CLI_OBJ) $(O)/libdosed.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# The daemon's objects but main.o, so unit tests can link them (dunst's way).
$(O)/libdosed-daemon.a: $(filter-out $(O)/daemon/main.o,$(DAEMON_OBJ))
	$(AR) rcs $@ $^

$(O)/dosed: $(O)/daemon/main.o $(O)/libdosed-daemon.a $(O)/libdosed.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS)

$(O)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DAEMON_CFLAGS) -Idaemon $(TEST_CFLAGS) -MMD -MP -c $< -o $@

TEST_LINK = $(if $(DAEMON_SRC),$(O)/libdosed-daemon.a) $(O)/libdosed.a
$(O)/tests/%: $(O)/tests/%.o $(TEST_LINK)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS) $(TEST_LIBS)

tests: $(UNIT_BIN)

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all

# Every test, the cmocka unit tests and the end-to-end shell tests, on the
# plain build and again on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer; tests/run ends with "N passed, N failed".
check: deps
	$(MAKE) all tests
	$(MAKE) BUILDDIR=$(BUILDDIR)-asan CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" all tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  tests/run $(BUILDDIR) $(BUILDDIR)-asan

# The plain build's tests alone, for a quick edit-test loop.
check-quick: all tests
	tests/run $(BUILDDIR)

# Install the missing Debian packages (sudo when not root), saying which.
deps:
	@scripts/install-deps

# Build, then run dosed from this tree in the foreground, with a
# configuration that reads the catalogue from conf/ and keeps its database
# in the build directory.  dosectl --config $(DEV_CONF) works beside it.
DEV_CONF = $(O)/dosed-dev.conf
run: deps
	$(MAKE) all
	printf '[store]\npath = %s\n[protocols]\npaths = %s\n' \
	  "$(abspath $(O))/dosed.db" "$(CURDIR)/conf/protocols.ini" >$(DEV_CONF)
	@echo "dosed is starting; in another terminal: $(O)/dosectl --config $(DEV_CONF) --help"
	$(O)/dosed --config $(DEV_CONF)

clean:
	rm -rf $(BUILDDIR) $(BUILDDIR)-asan

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(UNIT_BIN:=.d)
