# config.mk - what a packager may change.  `make PREFIX=/usr` and friends.

VERSION    = 0.1.0

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/dosed
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=
# Where `make install` puts the systemd units, the sysusers.d and tmpfiles.d
# files and the bash completion (systemd and bash-completion look under
# /usr/local too).
UNITDIR     ?= $(PREFIX)/lib/systemd/system
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL     ?= install
# Builds the man pages from man/*.scd (Debian package scdoc).
SCDOC       ?= scdoc

PKG_CONFIG ?= pkg-config
# The core's libraries (libdosed.a), and each program's and the tests' own.
# gio-2.0: core/config_url.c reads addresses with GInetAddress.
PKGS       = glib-2.0 gio-2.0 sqlite3 inih libical
CLI_PKGS   = json-glib-1.0
DAEMON_PKGS = gio-2.0 libmicrohttpd libnotify libsystemd
TEST_PKGS  = cmocka

CC        ?= cc
WARNINGS   = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter
CFLAGS    ?= -O2 -g
# The preprocessor's flags, on every compile line before CFLAGS
# (dpkg-buildflags gives -D_FORTIFY_SOURCE=2 here).
CPPFLAGS  ?=
# CI passes WERROR=1.
ifeq ($(WERROR),1)
WARNINGS  += -Werror
endif
STD_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARNINGS) \
             -DDOSED_VERSION=\"$(VERSION)\" \
             -DDOSED_DATADIR=\"$(DATADIR)\" \
             -DDOSED_SYSCONFDIR=\"$(SYSCONFDIR)\" \
             $(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBS       = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
# libcsv (dosectl import) ships no pkg-config file in Debian: its header is
# in the default include path, and it links with -lcsv.
CSV_LIBS  ?= -lcsv
CLI_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CLI_PKGS))
CLI_LIBS   = $(shell $(PKG_CONFIG) --libs $(CLI_PKGS)) $(CSV_LIBS)
DAEMON_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(DAEMON_PKGS))
DAEMON_LIBS   = $(shell $(PKG_CONFIG) --libs $(DAEMON_PKGS))
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))
