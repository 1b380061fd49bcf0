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

ALL_CFLAGS = $(STD_CFLAGS) -Icore $(CPPFLAGS) $(CFLAGS)

.PHONY: all check check-quick clean tests deps run fuzz bench FORCE
all: $(O)/dosectl $(if $(DAEMON_SRC),$(O)/dosed)

# $(call write-if-changed,TEXT): the target holds the line TEXT, rewritten
# only when TEXT changed (git's GIT-CFLAGS way), so that what depends on it
# is rebuilt then and only then.
write-if-changed = @mkdir -p $(@D); printf '%s\n' '$(1)' | cmp -s - $@ || \
	printf '%s\n' '$(1)' >$@
FORCE:

# The flags of every compile and link in this build folder (git's
# TRACK_CFLAGS): every object depends on them, and on the Makefile and
# config.mk, so that `make WERROR=1`, `make CFLAGS=-O0` or new CPPFLAGS
# after a plain `make` rebuild everything, and an unchanged `make` nothing.
BUILD_FLAGS = $(CC) $(ALL_CFLAGS) | cli: $(CLI_CFLAGS) | daemon: $(DAEMON_CFLAGS) \
	| tests: $(TEST_CFLAGS) | link: $(LDFLAGS) $(LIBS) $(CLI_LIBS) $(DAEMON_LIBS) $(TEST_LIBS)
BUILD_DEPS = $(O)/build-flags Makefile config.mk
$(O)/build-flags: FORCE | $(O)/.gitignore
	$(call write-if-changed,$(BUILD_FLAGS))

# A build folder, whatever BUILDDIR names, keeps git out of itself.
$(O)/.gitignore:
	@mkdir -p $(@D)
	@printf '%s\n' '# Written by make: nothing in this build folder is tracked.' '*' >$@

$(O)/%.o: %.c $(BUILD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(O)/cli/%.o: cli/%.c $(BUILD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(O)/daemon/%.o: daemon/%.c $(BUILD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DAEMON_CFLAGS) -MMD -MP -c $< -o $@

$(O)/libdosed.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

$(O)/dosectl: $(CLI_OBJ) $(O)/libdosed.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS) $(LIBS)

# The daemon's objects but main.o, so unit tests can link them (dunst's way).
$(O)/libdosed-daemon.a: $(filter-out $(O)/daemon/main.o,$(DAEMON_OBJ))
	$(AR) rcs $@ $^

$(O)/dosed: $(O)/daemon/main.o $(O)/libdosed-daemon.a $(O)/libdosed.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS)

$(O)/tests/%.o: tests/unit/%.c $(BUILD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DAEMON_CFLAGS) -Idaemon $(TEST_CFLAGS) -MMD -MP -c $< -o $@

# Every unit test links tests/unit/helpers.c too (dunst's test/helpers.c),
# whose object make keeps between builds.
TEST_HELPERS = $(O)/tests/helpers.o
.SECONDARY: $(TEST_HELPERS)
TEST_LINK = $(TEST_HELPERS) $(if $(DAEMON_SRC),$(O)/libdosed-daemon.a) $(O)/libdosed.a
$(O)/tests/%: $(O)/tests/%.o $(TEST_LINK)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS) $(TEST_LIBS)

# Calendar checkers in C that the end-to-end tests run from
# $(O)/tests/tools/ (tests/tools/*.c), each linked with its own packages.
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(O)/tests/tools/%)
TOOL_PKGS_check-ics-libical = glib-2.0 libical
TOOL_PKGS_check-ics-evolution = libecal-2.0
$(O)/tests/tools/%: tests/tools/%.c $(BUILD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(STD_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TOOL_PKGS_$*)) $(CPPFLAGS) $(CFLAGS) -MMD -MP \
	  $(LDFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs $(TOOL_PKGS_$*))

tests: $(UNIT_BIN) $(TOOL_BIN)

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

# The units under a real systemd (issue 19), apart from check: as root, a
# fresh Debian root with scripts/debian-runtime-packages, dosed installed
# into it, booted with systemd-nspawn, the README followed there.  Its last
# line is "N passed, N failed" too.  ROOTFS_CACHE=DIR keeps that root.
.PHONY: check-system
check-system: deps
	tests/system/run

# The plain build's tests alone, for a quick edit-test loop.
check-quick: all tests
	tests/run $(BUILDDIR)

# Fuzz every parser that reads outside input, FUZZ_SECONDS each, then run
# every kept crash input once (tests/fuzz/README.md): clang and libFuzzer,
# built into build-fuzz/.
FUZZ_SECONDS ?= 30
fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# The benchmark of issue 7 (not part of check): 100,000 patients, one table
# of figures against references (sqlite3's .import, nginx) with targets;
# see bench/run.sh.  Installs wrk and nginx first when missing.
$(O)/bench-render: bench/render.c $(O)/libdosed.a $(BUILD_DEPS)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) $(LIBS)

bench:
	@bench/deps.sh
	$(MAKE) all $(O)/bench-render
	bench/run.sh $(O)

# Install the missing Debian packages (sudo when not root), saying which:
# what building and running need, and what the tests need
# (scripts/debian-packages holds both sets).
deps:
	@scripts/install-deps build test

# Build, then run dosed from this tree in the foreground, with a
# configuration that reads the catalogue from conf/ and keeps its database
# in the build directory: $(O)/dosed-dev.conf, written once and kept
# (dosectl --config it works beside).  PORT=N serves on 127.0.0.1:N
# instead of 8645, and is kept too; see scripts/dev-run.
PORT ?=
run:
	@scripts/install-deps build
	$(MAKE) all
	@scripts/dev-run $(O) $(PORT)

clean:
	rm -rf $(BUILDDIR) $(BUILDDIR)-asan build-fuzz

# ---- install ------------------------------------------------------------
#
# make install [PREFIX=/usr] [DESTDIR=DIR]: the programs, the man pages, the
# protocol catalogue, the configuration, the systemd units, the sysusers.d
# and tmpfiles.d files and the bash completion, where config.mk says.  The
# configuration in $(SYSCONFDIR)/dosed is the admin's: installed only where
# there is none, and kept by make uninstall.
.PHONY: install uninstall install-programs install-man install-data \
        install-systemd install-completion man units

# DATADIR and SYSCONFDIR (and VERSION) are compiled into the programs
# (config.mk's -D flags), so a build made for one PREFIX must not be
# installed for another.
# These stamps hold the paths; they are rewritten only when the paths change
# (git's GIT-CFLAGS way), and what uses the paths depends on them: `make
# install PREFIX=/usr` after a plain `make` rebuilds for /usr.
COMPILED_PATHS  = VERSION=$(VERSION) DATADIR=$(DATADIR) SYSCONFDIR=$(SYSCONFDIR)
INSTALLED_PATHS = $(COMPILED_PATHS) BINDIR=$(BINDIR) SBINDIR=$(SBINDIR)

$(O)/compiled-paths: FORCE | $(O)/.gitignore
	$(call write-if-changed,$(COMPILED_PATHS))
$(O)/installed-paths: FORCE | $(O)/.gitignore
	$(call write-if-changed,$(INSTALLED_PATHS))

$(CORE_OBJ) $(CLI_OBJ) $(DAEMON_OBJ) $(UNIT_BIN:=.o): $(O)/compiled-paths

# The units and man pages name the installed paths: *.in and *.scd hold
# @SBINDIR@ and friends.  The shipped dosed.conf names the defaults of a
# /usr/local build in its comments; its copies are made to say this build's.
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
            -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
            -e 's|@VERSION@|$(VERSION)|g'
SUBST_CONF = sed -e 's|/usr/local/share/dosed|$(DATADIR)|g' \
                 -e 's|/etc/dosed|$(SYSCONFDIR)/dosed|g'

UNITS     = $(O)/systemd/dosed.service $(O)/systemd/dosed.user.service
MAN_PAGES = $(patsubst man/%.scd,$(O)/man/%,$(wildcard man/*.scd))

units: $(UNITS)
man: $(MAN_PAGES)

$(O)/systemd/%: systemd/%.in $(O)/installed-paths
	@mkdir -p $(@D)
	$(SUBST) $< >$@.tmp && mv $@.tmp $@

$(O)/man/%: man/%.scd $(O)/installed-paths
	@mkdir -p $(@D)
	@command -v $(SCDOC) >/dev/null || { echo "$(SCDOC) makes the man pages:" \
	  "install the Debian package scdoc (make deps does)" >&2; exit 1; }
	$(SUBST) $< | $(SCDOC) >$@.tmp && mv $@.tmp $@

$(O)/conf/dosed.conf: conf/dosed.conf $(O)/installed-paths
	@mkdir -p $(@D)
	$(SUBST_CONF) $< >$@.tmp && mv $@.tmp $@

install: install-programs install-man install-data install-systemd install-completion
	$(if $(DESTDIR),,@echo "Installed.  A clinic server: systemd-sysusers &&" \
	  "systemd-tmpfiles --create dosed.conf && systemctl daemon-reload &&" \
	  "systemctl enable --now dosed.  A desktop: systemctl --user daemon-reload &&" \
	  "systemctl --user enable --now dosed.  See dosed(8).")

install-programs: all
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(SBINDIR)"
	$(INSTALL) -m 755 $(O)/dosectl "$(DESTDIR)$(BINDIR)/dosectl"
	$(INSTALL) -m 755 $(O)/dosed "$(DESTDIR)$(SBINDIR)/dosed"

install-man: man
	for page in $(MAN_PAGES); do \
	  dir="$(DESTDIR)$(MANDIR)/man$${page##*.}"; \
	  $(INSTALL) -d "$$dir" && $(INSTALL) -m 644 "$$page" "$$dir/" || exit 1; \
	done

# The catalogue, and a pristine dosed.conf beside it to compare the
# installed one with (install never replaces that one).
install-data: $(O)/conf/dosed.conf
	$(INSTALL) -d "$(DESTDIR)$(DATADIR)" "$(DESTDIR)$(SYSCONFDIR)/dosed"
	$(INSTALL) -m 644 conf/protocols.ini "$(DESTDIR)$(DATADIR)/protocols.ini"
	$(INSTALL) -m 644 $(O)/conf/dosed.conf "$(DESTDIR)$(DATADIR)/dosed.conf"
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/dosed/dosed.conf" ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/dosed/dosed.conf" \
	    "(this version's is $(DESTDIR)$(DATADIR)/dosed.conf)"; \
	else \
	  echo "$(INSTALL) -m 644 $(O)/conf/dosed.conf $(DESTDIR)$(SYSCONFDIR)/dosed/dosed.conf"; \
	  $(INSTALL) -m 644 $(O)/conf/dosed.conf "$(DESTDIR)$(SYSCONFDIR)/dosed/dosed.conf"; \
	fi

install-systemd: units
	$(INSTALL) -d "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(USERUNITDIR)" \
	  "$(DESTDIR)$(SYSUSERSDIR)" "$(DESTDIR)$(TMPFILESDIR)"
	$(INSTALL) -m 644 $(O)/systemd/dosed.service "$(DESTDIR)$(UNITDIR)/dosed.service"
	$(INSTALL) -m 644 $(O)/systemd/dosed.user.service "$(DESTDIR)$(USERUNITDIR)/dosed.service"
	$(INSTALL) -m 644 systemd/dosed.sysusers "$(DESTDIR)$(SYSUSERSDIR)/dosed.conf"
	$(INSTALL) -m 644 systemd/dosed.tmpfiles "$(DESTDIR)$(TMPFILESDIR)/dosed.conf"

install-completion:
	$(INSTALL) -d "$(DESTDIR)$(BASHCOMPDIR)"
	$(INSTALL) -m 644 completion/dosectl "$(DESTDIR)$(BASHCOMPDIR)/dosectl"

# Everything install put in place but the configuration in $(SYSCONFDIR).
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/dosectl" "$(DESTDIR)$(SBINDIR)/dosed"
	for page in $(notdir $(MAN_PAGES)); do \
	  rm -f "$(DESTDIR)$(MANDIR)/man$${page##*.}/$$page"; \
	done
	rm -f "$(DESTDIR)$(DATADIR)/protocols.ini" "$(DESTDIR)$(DATADIR)/dosed.conf"
	rmdir "$(DESTDIR)$(DATADIR)" 2>/dev/null || true
	rm -f "$(DESTDIR)$(UNITDIR)/dosed.service" "$(DESTDIR)$(USERUNITDIR)/dosed.service" \
	  "$(DESTDIR)$(SYSUSERSDIR)/dosed.conf" "$(DESTDIR)$(TMPFILESDIR)/dosed.conf"
	rm -f "$(DESTDIR)$(BASHCOMPDIR)/dosectl"
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/dosed/dosed.conf" ]; then \
	  echo "kept $(DESTDIR)$(SYSCONFDIR)/dosed/dosed.conf; remove it yourself if you wish"; \
	fi

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(UNIT_BIN:=.d) $(TEST_HELPERS:.o=.d) $(TOOL_BIN:=.d)
