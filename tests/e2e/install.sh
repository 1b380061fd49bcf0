#!/usr/bin/env bash
# install.sh - make install and make uninstall (issue 5), dunst's
# test-install.sh way: install into a temporary DESTDIR with PREFIX=/usr and
# compare the files installed with tests/data/install-files.txt; a second
# install keeps an edited configuration; uninstall leaves only it.
#
# It builds in a build directory of its own: installing PREFIX=/usr from the
# build under test would rebuild that one for /usr (the paths are compiled
# in) in the middle of the run.  That build is first made for the default
# PREFIX, to show that installing for another one rebuilds rather than
# installing programs that look for /usr/local/share/dosed.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A sub-make of its own, not a job of the make that runs the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
BUILD=$E2E_TMP/build
ROOT=$E2E_TMP/root
LOG=$E2E_TMP/make.log
EXPECTED=$DOSED_TOP/tests/data/install-files.txt

# make ARGS...: in the source tree, into $LOG; unoptimised, to be quick
# (what is checked here is where the files go).
run_make() {
  make -C "$DOSED_TOP" -j"$(nproc 2>/dev/null || echo 2)" BUILDDIR="$BUILD" \
    CFLAGS=-O0 "$@" >"$LOG" 2>&1
}

make_ok() {
  run_make "$@" && return 0
  DIAG="make $* failed:
$(tail -n 25 "$LOG")"
  return 1
}

# The files and symbolic links under $ROOT, relative, sorted.
installed_files() {
  (cd "$ROOT" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort)
}

same_files() { # EXPECTED-LIST-FILE
  local got
  got=$(installed_files)
  [ "$got" = "$(cat "$1")" ] && return 0
  DIAG="installed files differ from $(basename "$1") (- expected, + installed):
$(diff <(cat "$1") <(printf '%s\n' "$got") | grep '^[<>]' | sed 's/^</-/; s/^>/+/')"
  return 1
}

# 1. A build for the default PREFIX (one object is enough to tell), then
# install for /usr.
check "a build for the default PREFIX compiles" make_ok "$BUILD/core/config.o"
check "make install PREFIX=/usr DESTDIR=... succeeds" \
  make_ok PREFIX=/usr DESTDIR="$ROOT" install
check "the installed files are those of tests/data/install-files.txt" same_files "$EXPECTED"

compiled_for_usr() {
  local bin
  for bin in "$ROOT/usr/bin/dosectl" "$ROOT/usr/bin/dosed"; do
    if ! grep -qaF /usr/share/dosed/protocols.ini "$bin" ||
      grep -qaF /usr/local/share/dosed "$bin"; then
      DIAG="$bin was not rebuilt for PREFIX=/usr: it does not look for /usr/share/dosed/protocols.ini"
      return 1
    fi
  done
}
check "installing for another PREFIX rebuilds: the programs look in /usr/share/dosed" \
  compiled_for_usr

modes_right() {
  local wrong
  wrong=$(cd "$ROOT" && find . -type f \( \
    \( -path './usr/bin/*' ! -perm 755 \) -o \( ! -path './usr/bin/*' ! -perm 644 \) \) )
  [ -z "$wrong" ] && return 0
  DIAG="wrong modes (programs 755, the rest 644): $wrong"
  return 1
}
check "programs are installed 0755 and every other file 0644" modes_right

no_placeholders() {
  local left
  left=$(grep -rlE '@[A-Z]+@' "$ROOT" --exclude=dosectl --exclude=dosed)
  [ -z "$left" ] && return 0
  DIAG="@PLACEHOLDERS@ left in: $left"
  return 1
}
check "no @PLACEHOLDER@ is left in the installed files" no_placeholders

units_name_paths() {
  local unit=$ROOT/usr/lib/systemd/system/dosed.service
  local user_unit=$ROOT/usr/lib/systemd/user/dosed.service
  grep -qx 'ExecStart=/usr/bin/dosed --config /etc/dosed/dosed.conf' "$unit" &&
    grep -qx 'ExecStart=/usr/bin/dosed' "$user_unit" && return 0
  DIAG="ExecStart lines: $(grep -h '^ExecStart=' "$unit" "$user_unit")"
  return 1
}
check "the units start the installed dosed, the system one with /etc/dosed/dosed.conf" \
  units_name_paths

conf_names_datadir() {
  local conf=$ROOT/etc/dosed/dosed.conf
  grep -qx '; paths = /usr/share/dosed/protocols.ini, protocols.d' "$conf" &&
    ! grep -q /usr/local "$conf" && cmp -s "$conf" "$ROOT/usr/share/dosed/dosed.conf" &&
    return 0
  DIAG="the installed dosed.conf does not name /usr/share/dosed as the catalogue:
$(grep -n 'share/dosed' "$conf")"
  return 1
}
check "the installed dosed.conf shows this build's catalogue path" conf_names_datadir

# 2. The configuration is the admin's: a second install keeps it.
printf '[reminders]\nat = 08:30\n' >>"$ROOT/etc/dosed/dosed.conf"
cp "$ROOT/etc/dosed/dosed.conf" "$E2E_TMP/edited.conf"
check "a second make install succeeds" make_ok PREFIX=/usr DESTDIR="$ROOT" install
conf_kept() {
  cmp -s "$E2E_TMP/edited.conf" "$ROOT/etc/dosed/dosed.conf" &&
    grep -q "keeping $ROOT/etc/dosed/dosed.conf" "$LOG" && return 0
  DIAG="the edited $ROOT/etc/dosed/dosed.conf was replaced, or make did not say it kept it"
  return 1
}
check "a second install keeps the edited dosed.conf and says so" conf_kept
check "the second install leaves the same files" same_files "$EXPECTED"

# 3. Uninstall: everything but the configuration goes.
check "make uninstall PREFIX=/usr DESTDIR=... succeeds" \
  make_ok PREFIX=/usr DESTDIR="$ROOT" uninstall
only_config_left() {
  local got
  got=$(installed_files)
  [ "$got" = etc/dosed/dosed.conf ] && cmp -s "$E2E_TMP/edited.conf" "$ROOT/$got" &&
    return 0
  DIAG="left after uninstall: $(tr '\n' ' ' <<<"$got")"
  return 1
}
check "make uninstall leaves only the (edited) configuration" only_config_left
datadir_removed() {
  [ ! -e "$ROOT/usr/share/dosed" ] && return 0
  DIAG="$ROOT/usr/share/dosed is still there"
  return 1
}
check "make uninstall removes the now empty data folder" datadir_removed
