#!/usr/bin/env bash
# man.sh - the man pages (issue 5): each renders with no warning
# (`MANWIDTH=80 man --warnings -l`), and each still says what the programs
# do: every dosectl command and option, every dosed option, every dosed.conf
# key with its default, every built-in protocol's phases, and a protocol
# example that dosectl reads.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset MAKEFLAGS MFLAGS MAKELEVEL
BUILD=$E2E_TMP/build
LOG=$E2E_TMP/make.log
PAGES="dosectl.1 dosed.8 dosed.conf.5 dosed-protocols.5"
DOSED=${DOSED:-$(dirname "$DOSECTL")/dosed}
export MANPAGER=cat PAGER=cat

for tool in man scdoc; do
  if ! command -v "$tool" >/dev/null; then
    echo "not ok - $tool is installed (Debian packages man-db, scdoc)"
    exit 0
  fi
done
# Ubuntu's minimised images divert man to a script that only says so.
MAN='man'
[ -x /usr/bin/man.REAL ] && MAN=/usr/bin/man.REAL

# The pages as make install builds them, for PREFIX=/usr.
if ! make -C "$DOSED_TOP" BUILDDIR="$BUILD" PREFIX=/usr man >"$LOG" 2>&1; then
  echo "not ok - make man builds the pages"
  sed 's/^/  # /' "$LOG" | tail -n 20
  exit 0
fi
echo "ok - make man builds the pages"

# 1. Each page renders at 80 columns without a warning, and names itself.
renders_clean() { # PAGE
  local page=$BUILD/man/$1 name=${1%.*} out=$E2E_TMP/$1.txt err=$E2E_TMP/$1.err
  if [ ! -f "$page" ]; then
    DIAG="make man made no $page"
    return 1
  fi
  MANWIDTH=80 "$MAN" --warnings -l "$page" >"$out" 2>"$err"
  local status=$?
  if [ "$status" -ne 0 ] || [ -s "$err" ]; then
    DIAG="man exited $status; warnings:
$(head -n 10 "$err")"
    return 1
  fi
  if ! grep -qE "^ +$name - " "$out" || grep -qE '@[A-Z]+@' "$out"; then
    DIAG="no NAME line \"$name - ...\", or an @PLACEHOLDER@ left:
$(head -n 8 "$out")"
    return 1
  fi
}
for page in $PAGES; do
  check "$page renders with no warning at 80 columns" renders_clean "$page"
done

# The content checks read the pages unwrapped: one paragraph a line.
wide() { # PAGE
  MANWIDTH=2000 "$MAN" -l "$BUILD/man/$1" 2>/dev/null
}

# 2. dosectl(1) and dosectl --help agree, both ways (issue 12): the same
# commands, the same global options, and for each command the same options
# (its synopsis and option lines in --help; its heading and option entries in
# the page).  Options are words starting '-' or '--' at the start of a
# line or after a blank, '[', '|' or ','; "YYYY-MM-DD" is no option.

# The options among the lines on stdin, one a line, sorted.
options_in() {
  grep -oE -- '(^|[][ |,])--?[a-zA-Z][a-z-]*' | sed 's/^[][ |,]*//' | sort -u
}
# The section of the page (one paragraph a line) from heading $1 to the next.
page_section() { # TEXT HEADING
  printf '%s\n' "$1" | awk -v h="$2" '/^[A-Z]/ { on = ($0 == h); next } on'
}
# dosectl --help: the commands, and the global options.
help_commands() {
  "$DOSECTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands:/ { print $1 }' |
    sort -u
}
help_global_options() {
  "$DOSECTL" --help | sed -n '/^Options:/,/^$/p' | grep -E '^  -' |
    sed -E 's/^  ((-[a-zA-Z], )?--?[a-z-]+).*/\1/' | options_in
}
# dosectl COMMAND --help: its usage line and its option lines.
help_options() { # COMMAND
  "$DOSECTL" "$1" --help | grep -E '^(usage: |  -)' |
    sed -E 's/^  ((-[a-zA-Z], )?--?[a-z-]+).*/\1/' | options_in
}
# The page: command headings in COMMANDS are indented 7 columns, their
# option entries 11; the global options are OPTIONS' entries.
page_commands() { # TEXT
  page_section "$1" COMMANDS | grep -E '^ {7}[a-z]+( |$)' | awk '{ print $1 }' | sort -u
}
page_global_options() { # TEXT
  page_section "$1" OPTIONS | grep -E '^ {7}-' | options_in
}
page_options() { # TEXT COMMAND
  # (Debian's awk, mawk, knows no {7}: the blanks are written out.)
  page_section "$1" COMMANDS | awk -v c="$2" '
    /^       [^ ]/ { split($0, w, " "); on = (w[1] == c); if (on) print; next }
    on && /^           -/ { print }' | options_in
}
# "only in A: ...; only in B: ..." for two sorted lists, or nothing.
differ() { # NAME-A LIST-A NAME-B LIST-B
  local a b
  a=$(comm -23 <(sed '/^$/d' <<<"$2") <(sed '/^$/d' <<<"$4") | tr '\n' ' ')
  b=$(comm -13 <(sed '/^$/d' <<<"$2") <(sed '/^$/d' <<<"$4") | tr '\n' ' ')
  [ -z "$a$b" ] && return 0
  printf '%s' "${a:+only in $1: $a}${a:+${b:+; }}${b:+only in $3: $b}"
  return 1
}
dosectl_documented() {
  local text commands command found diff problems=
  text=$(wide dosectl.1)
  commands=$(help_commands)
  found=$(page_commands "$text")
  # Sanity: the parsing found the commands of SPEC 3 on both sides.
  for command in protocols enrol log due feed help; do
    grep -qx "$command" <<<"$commands" || problems="$problems
dosectl --help lists no '$command' (or the test reads it wrong)"
    grep -qx "$command" <<<"$found" || problems="$problems
dosectl(1) has no '$command' entry (or the test reads it wrong)"
  done
  diff=$(differ "dosectl --help" "$commands" "dosectl(1)" "$found") ||
    problems="$problems
commands: $diff"
  diff=$(differ "dosectl --help" "$(help_global_options)" "dosectl(1) OPTIONS" \
    "$(page_global_options "$text")") || problems="$problems
global options: $diff"
  for command in $(printf '%s\n%s\n' "$commands" "$found" | sort -u); do
    diff=$(differ "dosectl $command --help" "$(help_options "$command")" \
      "dosectl(1) $command" "$(page_options "$text" "$command")") ||
      problems="$problems
$command: $diff"
  done
  [ -z "$problems" ] && return 0
  DIAG="dosectl --help and dosectl(1) disagree:$problems"
  return 1
}
check "dosectl(1) and dosectl --help have the same commands and options, both ways" \
  dosectl_documented

dosed_documented() {
  local text options option missing=
  text=$(wide dosed.8)
  options=$("$DOSED" --help | grep -oE -- '--[a-z-]+' | sort -u)
  for option in $options; do
    grep -qE -- "^       (-[a-z], )?$option( |$)" <<<"$text" || missing="$missing $option"
  done
  [ -n "$options" ] && [ -z "$missing" ] && return 0
  DIAG="dosed(8) lacks the options:${missing:- (none found in dosed --help)}"
  return 1
}
check "dosed(8) has every option of dosed --help" dosed_documented

# 3. dosed.conf(5): every key conf/dosed.conf shows, under its section,
# with the default shown there (the two defaults that are paths aside).
conf_documented() {
  local text section='' line key value body missing=''
  text=$(wide dosed.conf.5)
  while IFS= read -r line; do
    if [[ $line =~ ^\[([a-z]+)\] ]]; then
      section=${BASH_REMATCH[1]}
      grep -qx "\[$section\]" <<<"$text" || missing="$missing
section [$section]"
      continue
    fi
    [[ $line =~ ^\;\ ([a-z_]+)\ =\ (.*)$ ]] || continue
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    # The key's entry: its heading, then its paragraph on the next line.
    body=$(printf '%s\n' "$text" | sed -n "/^\[$section\]\$/,/^\[/p" |
      grep -A1 -E "^       $key = ")
    if [ -z "$body" ]; then
      missing="$missing
[$section] $key"
    elif [ "$section/$key" != store/path ] && [ "$section/$key" != protocols/paths ] &&
      ! grep -qF "Default: $value." <<<"$body"; then
      missing="$missing
[$section] $key: default $value"
    fi
  done <"$DOSED_TOP/conf/dosed.conf"
  [ -z "$missing" ] && return 0
  DIAG="dosed.conf(5) lacks:$missing"
  return 1
}
check "dosed.conf(5) has every key of conf/dosed.conf, with its default" conf_documented

# 4. dosed-protocols(5): every built-in protocol, with its phases exactly as
# conf/protocols.ini has them.
builtins_documented() {
  local text line missing=
  text=$(wide dosed-protocols.5 | sed 's/^ *//')
  while IFS= read -r line; do
    case $line in
    \[*\])
      line=${line#[}
      grep -q "^${line%]}: " <<<"$text" || missing="$missing
protocol ${line%]}"
      ;;
    phase*)
      grep -qxF -- "$line" <<<"$text" || missing="$missing
$line"
      ;;
    esac
  done <"$DOSED_TOP/conf/protocols.ini"
  [ -z "$missing" ] && return 0
  DIAG="dosed-protocols(5) lacks:$missing"
  return 1
}
check "dosed-protocols(5) shows every built-in protocol and its phases" builtins_documented

# Its example is a protocol dosectl reads as the page says.
example_reads() {
  local example=$E2E_TMP/example.ini conf=$E2E_TMP/example.conf
  wide dosed-protocols.5 | sed 's/^ *//' | sed -n '/^\[b12-twice-weekly\]$/,/^$/p' >"$example"
  printf '[protocols]\npaths = %s\n' "$example" >"$conf"
  run_dosectl_bare --config "$conf" protocols b12-twice-weekly
  [ "$STATUS" = 0 ] && grep -qF '2 per week (Tue, Fri) for 8 doses' "$E2E_OUT" &&
    grep -qF 'every 2-4 weeks for life' "$E2E_OUT" && return 0
  DIAG="dosectl protocols b12-twice-weekly exited $STATUS: $(cat "$E2E_ERR" "$E2E_OUT")
the example read from the page:
$(cat "$example")"
  return 1
}
check "the protocol example of dosed-protocols(5) reads as two phases" example_reads
