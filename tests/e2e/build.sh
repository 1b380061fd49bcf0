#!/usr/bin/env bash
# build.sh - the build tracks its flags (issue 13, git's TRACK_CFLAGS):
# CPPFLAGS reaches every compile line, and is read (dpkg-buildflags'
# -D_FORTIFY_SOURCE=2 turns memory calls into their checked forms); a
# change of CFLAGS, WERROR or CPPFLAGS rebuilds, and so does a change of
# the Makefile or config.mk; an unchanged second make rebuilds nothing;
# a build folder of any name keeps git out of itself.
#
# It builds in a build folder of its own, as install.sh does.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A sub-make of its own, not a job of the make that runs the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS CPPFLAGS LDFLAGS WERROR
BUILD=$E2E_TMP/build
LOG=$E2E_TMP/make.log
OBJ=$BUILD/core/token.o

# make ARGS...: in the source tree, into $LOG.
run_make() {
  make -C "$DOSED_TOP" -j"$(nproc 2>/dev/null || echo 2)" BUILDDIR="$BUILD" "$@" >"$LOG" 2>&1
}
make_ok() {
  run_make "$@" && return 0
  DIAG="make $* failed:
$(tail -n 25 "$LOG")"
  return 1
}
# The compile line of core/token.c in the last make's output, if any.
token_line() { grep -E -- " -c core/token\\.c( |$)" "$LOG"; }
# rebuilt_with TEXT ARGS...: make ARGS recompiles token.o, with TEXT on
# its compile line.
rebuilt_with() {
  local text=$1
  shift
  make_ok "$@" "$OBJ" || return 1
  token_line | grep -qF -- "$text" && return 0
  DIAG="make $* did not compile core/token.c with $text:
$(tail -n 5 "$LOG")"
  return 1
}
# The checked calls token.o makes (__explicit_bzero_chk and the like).
checked_calls() { nm -u "$OBJ" | grep -c '_chk$'; }

# ---- an unchanged make rebuilds nothing --------------------------------

check "make builds dosectl in a build folder of its own" make_ok CFLAGS=-O0 "$BUILD/dosectl"
touch "$E2E_TMP/mark"
nothing_rebuilt() {
  make_ok CFLAGS=-O0 "$BUILD/dosectl" || return 1
  local written
  written=$(find "$BUILD" -newer "$E2E_TMP/mark" -type f)
  [ -z "$written" ] && ! grep -qE -- ' -o | rcs ' "$LOG" && return 0
  DIAG="written: $written
$(cat "$LOG")"
  return 1
}
check "an unchanged second make compiles, links and writes nothing" nothing_rebuilt

# ---- a change of the flags rebuilds -------------------------------------

check "make WERROR=1 after it rebuilds, with -Werror" rebuilt_with -Werror CFLAGS=-O0 WERROR=1
check "make CFLAGS=-O1 after that rebuilds, with -O1" rebuilt_with -O1 CFLAGS=-O1
check "make CPPFLAGS=-D_FORTIFY_SOURCE=2 rebuilds, with it on the compile line" \
  rebuilt_with -D_FORTIFY_SOURCE=2 CFLAGS=-O2 CPPFLAGS=-D_FORTIFY_SOURCE=2
fortified=$(checked_calls)
check "... and the preprocessor read it: token.o calls the checked functions ($fortified)" \
  test "$fortified" -gt 0
check "without CPPFLAGS again it rebuilds" rebuilt_with -O2 CFLAGS=-O2
plain=$(checked_calls)
check "... and token.o calls no checked function ($plain)" test "$plain" -eq 0

# Objects depend on the Makefile and config.mk.  On a copy of the tree
# whose files all have times set: everything three hours old, token.o two,
# then the one file edited an hour ago.
SRC=$E2E_TMP/src
mkdir -p "$SRC"
cp -R "$DOSED_TOP/core" "$DOSED_TOP/cli" "$DOSED_TOP/daemon" "$DOSED_TOP/Makefile" \
  "$DOSED_TOP/config.mk" "$SRC/"
copy_make() { make -C "$SRC" BUILDDIR="$SRC/build" CFLAGS=-O0 "$SRC/build/core/token.o" >"$LOG" 2>&1; }
edited() { # FILE: prints the compile line of token.c a make then ran, if any
  find "$SRC" -exec touch -d '3 hours ago' {} +
  touch -d '2 hours ago' "$SRC/build/core/token.o"
  [ -z "$1" ] || touch -d '1 hour ago' "$SRC/$1"
  copy_make && token_line
}
copy_make
check "on a copy of the tree whose files are older than token.o, make rebuilds nothing" \
  test -z "$(edited '')"
check "an edited Makefile rebuilds the objects" test -n "$(edited Makefile)"
check "an edited config.mk rebuilds the objects" test -n "$(edited config.mk)"

# ---- CPPFLAGS on every compile line -------------------------------------

# Every command that compiles a C file, of everything make check and make
# bench build (make -n -B: printed, not run) and of the fuzzers.
every_compile_has() { # TEXT MAKE ARGS...
  local text=$1 lines missing
  shift
  "$@" >"$LOG" 2>&1 || {
    DIAG="$* failed: $(tail -n 5 "$LOG")"
    return 1
  }
  # (A command continued with a backslash is one line.)
  lines=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$LOG" | grep -E -- '[^ ]+\.c( |$)' |
    grep -v '^make')
  missing=$(grep -vF -- "$text" <<<"$lines")
  [ -n "$lines" ] && [ -z "$missing" ] && return 0
  DIAG="without $text:
${missing:-no compile line at all}"
  return 1
}
check "CPPFLAGS is on every compile line of the programs, the tests and their tools" \
  every_compile_has -DDOSED_E2E_PROBE=1 make -C "$DOSED_TOP" -n -B BUILDDIR="$E2E_TMP/dry" \
  CPPFLAGS=-DDOSED_E2E_PROBE=1 all tests "$E2E_TMP/dry/bench-render"
check "... and of the fuzzers" \
  every_compile_has -DDOSED_E2E_PROBE=1 make -C "$DOSED_TOP" -n -B -f tests/fuzz/fuzz.mk \
  FUZZ_BUILDDIR="$E2E_TMP/dry-fuzz" CPPFLAGS=-DDOSED_E2E_PROBE=1

# ---- git ----------------------------------------------------------------

# A build folder of a name no .gitignore lists, made inside a repository:
# git sees nothing in it.
ignored_by_git() {
  local repo=$E2E_TMP/repo status
  git init -q "$repo" || return 1
  make -C "$DOSED_TOP" BUILDDIR="$repo/any-name" "$repo/any-name/build-flags" >"$LOG" 2>&1 ||
    return 1
  status=$(git -C "$repo" status --porcelain --untracked-files=all)
  [ -f "$repo/any-name/build-flags" ] && [ -z "$status" ] && return 0
  DIAG="git status: $status"
  return 1
}
if command -v git >/dev/null; then
  check "a build folder of any name keeps git out of itself" ignored_by_git
else
  ok "a build folder of any name keeps git out of itself # SKIP git is not installed"
fi
