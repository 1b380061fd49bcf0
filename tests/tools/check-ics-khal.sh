#!/bin/sh
# check-ics-khal.sh FILE.ics - read a calendar with khal (Debian package
# khal), a third parser beside python-icalendar and ical.js.
#
# khal runs with a configuration of its own in a temporary folder (its
# calendar, its cache database and $HOME are there), so the machine's khal
# settings neither matter nor change.  The file is imported into that
# calendar (khal import --batch) and printed back (khal printics).  khal
# only warns about much it then repairs (it invents a UID for an event that
# has none: TESTING-NOTES), so any output of the import, any message on
# stderr and any non-zero status fail the check.  khal does not look at
# DTSTAMP, so a plain reading of the unfolded lines checks that every VEVENT
# has UID, DTSTAMP and DTSTART.
#
# Prints one line per VEVENT, in file order, "UID|DTSTART|SUMMARY", written
# as check-ics.py writes it: khal shows times in UTC here, YYYYMMDD for a
# date, YYYYMMDDTHHMMSSZ for a date-time; a backslash is doubled, a line
# feed written as backslash-n and a carriage return as backslash-r.
# Exit status: 0 ok, 1 failed, 2 usage, 77 khal is not installed (SKIP).
set -u

if [ $# -ne 1 ]; then
	echo "usage: check-ics-khal.sh FILE.ics" >&2
	exit 2
fi
file=$1
if ! command -v khal >/dev/null 2>&1; then
	echo "SKIP: khal is not installed (Debian package khal)"
	exit 77
fi
if [ ! -r "$file" ]; then
	echo "check-ics-khal: $file: cannot be read" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/check-ics-khal.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/calendar" "$dir/home"

fail() {
	echo "check-ics-khal: $file: $*" >&2
	exit 1
}

# Every VEVENT (not its VALARMs) has UID, DTSTAMP and DTSTART.
LC_ALL=C awk '
	{ sub(/\r$/, "") }
	/^[ \t]/ { next }                       # a continuation: the name was on the line before
	{ name = toupper($0); sub(/[;:].*/, "", name) }
	name == "BEGIN" && toupper($0) == "BEGIN:VEVENT" { n++; depth = 1; uid = stamp = start = 0; next }
	depth >= 1 && name == "BEGIN" { depth++; next }
	depth > 1 && name == "END" { depth--; next }
	depth == 1 && name == "END" {
		if (!uid || !stamp || !start)
			printf "VEVENT %d lacks%s%s%s\n", n, uid ? "" : " UID", \
			       stamp ? "" : " DTSTAMP", start ? "" : " DTSTART"
		depth = 0; next
	}
	depth == 1 && name == "UID" { uid = 1 }
	depth == 1 && name == "DTSTAMP" { stamp = 1 }
	depth == 1 && name == "DTSTART" { start = 1 }
' "$file" >"$dir/missing"
[ -s "$dir/missing" ] && fail "$(paste -sd ';' "$dir/missing")"

cat >"$dir/config" <<EOF
[calendars]
[[check]]
path = $dir/calendar
type = calendar
[sqlite]
path = $dir/khal.db
[locale]
local_timezone = UTC
default_timezone = UTC
timeformat = %H%M%S
dateformat = %Y%m%d
longdateformat = %Y%m%d
datetimeformat = %Y%m%dT%H%M%SZ
longdatetimeformat = %Y%m%dT%H%M%SZ
[default]
default_calendar = check
EOF

khal_run() {
	HOME="$dir/home" XDG_CONFIG_HOME="$dir/home" XDG_DATA_HOME="$dir/home" \
		khal -c "$dir/config" "$@"
}

khal_run import --batch -a check "$file" >"$dir/import" 2>&1
status=$?
# khal's last line says what went wrong (the one before a traceback's).
[ "$status" -eq 0 ] || fail "khal import failed ($status): $(tail -n 1 "$dir/import")"
[ -s "$dir/import" ] && fail "khal import said: $(tr '\n' ' ' <"$dir/import")"

# Each event ends with an ASCII record separator, so that a newline inside
# a SUMMARY can be told from the end of an event.
khal_run printics -f "{uid}|{start}|{title}$(printf '\036')" "$file" \
	>"$dir/events" 2>"$dir/stderr"
status=$?
[ "$status" -eq 0 ] || fail "khal printics failed ($status): $(tail -n 1 "$dir/stderr")"
[ -s "$dir/stderr" ] && fail "khal printics said: $(tr '\n' ' ' <"$dir/stderr")"

# The first line is khal's "N events found in FILE".
/usr/bin/python3 - "$dir/events" <<'EOF' || exit 1
import sys
with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
header, _, body = text.partition("\n")
if " events found in " not in header and " event found in " not in header:
    sys.exit("check-ics-khal: unexpected first line from khal printics: " + header)
for record in body.split("\x1e\n"):
    if record == "":
        continue
    print(record.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n"))
EOF
