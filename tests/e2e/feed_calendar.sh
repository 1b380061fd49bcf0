#!/usr/bin/env bash
# feed_calendar.sh - the feeds dosed serves, read by calendar parsers that
# are not ours (issue 3, SPEC 4): python-icalendar, vobject, khal and
# ical.js, plus a byte-level check of the framing and libical's restriction
# check (tests/tools/check-ics*).  Through HTTP, at the URLs dosectl feed
# prints: the parsers accept every feed and list the same events, whose
# dates are the schedule engine's; a name and a note full of characters
# that need escaping come back exactly; a logged dose keeps its UID; ETag
# and Last-Modified revalidation; an unchanged feed is byte-identical;
# --rotate kills the old URL at once; the time from dosectl log to the
# changed feed, measured; an overdue dose's alarm, as Evolution's libecal
# rings it.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# The worked example's event list and the log-to-feed times are printed as
# TAP comments ("# event: ...", "# log-to-feed ms: ...").
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

tools=$DOSED_TOP/tests/tools
# The checkers in C, built with the programs under test (make tests).
built_tools=$(dirname "$DOSECTL")/tests/tools

# The path of the first feed URL in dosectl feed's output, when that URL
# is on the running dosed ($base); nothing otherwise.
feed_path() {
	local url
	url=$(grep -o 'https\?://[^ ]*\.ics' | head -n 1)
	[[ $url == "$base/"* ]] && echo "${url#"$base"}"
}

# ---- the parsers -----------------------------------------------------

# ical.js comes from npm at test time, never for good (check-ics.js); CI
# may not reach the registry, which is a skip, never a failure.
icaljs=
icaljs_why=
if ! command -v node >/dev/null 2>&1; then
	icaljs_why="node is not installed"
elif ! command -v npm >/dev/null 2>&1; then
	icaljs_why="npm is not installed"
else
	# Bounded: a registry that does not answer must not stall the test.
	timeout 20 npm install --prefix "$E2E_TMP/npm" --no-audit --no-fund --no-progress \
		ical.js@2.2.1 >"$E2E_TMP/npm.log" 2>&1
	case $? in
	0) icaljs=$E2E_TMP/npm/node_modules ;;
	124) icaljs_why="npm install ical.js@2.2.1 took more than 20 s" ;;
	*) icaljs_why="npm install ical.js@2.2.1 failed: $(grep -m 1 -i 'error' "$E2E_TMP/npm.log" |
		tr -s ' ')" ;;
	esac
fi
if [ -z "$icaljs" ]; then
	ok "ical.js reads the feeds # SKIP ical.js unavailable: $icaljs_why"
fi

# Runs a parser tool on FILE; its event list goes to OUT.  77 from a tool
# means its parser is missing: khal, python3-icalendar and python3-vobject
# are in scripts/debian-packages, so that is a failure here.
parse() { # TOOL OUT FILE [--name]
	local tool=$1 out=$2 file=$3 status
	shift 3
	case $tool in
	py) /usr/bin/python3 "$tools/check-ics.py" "$@" "$file" >"$out" 2>"$out.err" ;;
	vobject) /usr/bin/python3 "$tools/check-ics-vobject.py" "$@" "$file" >"$out" 2>"$out.err" ;;
	khal) sh "$tools/check-ics-khal.sh" "$file" >"$out" 2>"$out.err" ;;
	js) NODE_PATH=$icaljs node "$tools/check-ics.js" "$@" "$file" >"$out" 2>"$out.err" ;;
	esac
	status=$?
	if [ $status -ne 0 ]; then
		diag_if_failed "status $status" "$(head -c 2000 "$out.err")" "$(head -c 300 "$out")"
	fi
	return $status
}

# Every check of one fetched feed: framing, the three parsers, their
# agreement and the number of events.  The parsers' lists are left in
# FILE.py, FILE.khal and FILE.js.
check_feed() { # LABEL FILE
	local label=$1 file=$2 tool status events
	/usr/bin/python3 "$tools/check-ics-framing.py" "$file" >/dev/null 2>"$E2E_DIAG"
	verdict $? "$label: framing (CRLF, lines of at most 75 octets, no split UTF-8, BEGIN/END balanced)"
	"$built_tools/check-ics-libical" "$file" >/dev/null 2>"$E2E_DIAG"
	verdict $? "$label: libical reads it and its icalrestriction_check passes"
	parse py "$file.py" "$file"
	verdict $? "$label: python-icalendar reads it; every VEVENT has UID, DTSTAMP, DTSTART"
	parse vobject "$file.vobject" "$file"
	verdict $? "$label: vobject reads it"
	parse khal "$file.khal" "$file"
	verdict $? "$label: khal reads it without a warning"
	if [ -n "$icaljs" ]; then
		parse js "$file.js" "$file"
		verdict $? "$label: ical.js reads it"
	fi
	status=0
	for tool in vobject khal js; do
		[ -f "$file.$tool" ] || continue
		if ! cmp -s "$file.py" "$file.$tool"; then
			status=1
			diag_if_failed "python-icalendar (<) and $tool (>) differ:"
			diff "$file.py" "$file.$tool" >>"$E2E_DIAG"
		fi
	done
	# Parsers that silently drop what they cannot read would agree on
	# less: every VEVENT of the raw text is listed.
	events=$(grep -c $'^BEGIN:VEVENT\r$' "$file")
	if [ "$(wc -l <"$file.py")" -ne "$events" ]; then
		status=1
		diag_if_failed "$events VEVENTs in the text, $(wc -l <"$file.py") listed"
	fi
	[ "$events" -gt 0 ] || status=1
	verdict $status "$label: the parsers list the same $events events (UID|DTSTART|SUMMARY)"
}

# The dates of the projected (all-day) events of a parsed feed, in order.
projected_dates() { # LIST
	cut -d '|' -f 2 "$1" | grep -E '^[0-9]{8}$'
}
# The schedule engine's next N due dates as YYYYMMDD.
schedule_dates() { # PATIENT N
	ctl --json schedule "$1" --count "$2" | jq -r '.[].due | gsub("-"; "")'
}
# The projected events are the schedule engine's next doses, one for one,
# and the dose after the last one is beyond the horizon.
check_projected() { # LABEL LIST PATIENT HORIZON_END(YYYYMMDD)
	local label=$1 list=$2 patient=$3 horizon_end=$4 n after
	projected_dates "$list" >"$E2E_TMP/feed-dates"
	n=$(wc -l <"$E2E_TMP/feed-dates")
	schedule_dates "$patient" $((n + 1)) >"$E2E_TMP/schedule-dates"
	after=$(tail -n 1 "$E2E_TMP/schedule-dates")
	head -n "$n" "$E2E_TMP/schedule-dates" | cmp -s - "$E2E_TMP/feed-dates" &&
		[ "$n" -gt 0 ] && [ "$after" \> "$horizon_end" ]
	local status=$?
	if [ $status -ne 0 ]; then
		diag_if_failed "feed (<) and dosectl schedule (>), the last one the first beyond $horizon_end:"
		diff "$E2E_TMP/feed-dates" "$E2E_TMP/schedule-dates" >>"$E2E_DIAG"
	fi
	verdict $status "$label: the $n projected dates are dosectl schedule's, up to the horizon"
}

# python-icalendar's reading of one property of a VEVENT (or of the
# calendar, when UID is empty); in PYEXPECT mode compares it with bytes
# given in the environment instead.
cat >"$E2E_TMP/prop.py" <<'EOF'
import os, sys, icalendar
# prop.py FILE UID NAME: the value of NAME in the VEVENT with UID ("" for
# the VCALENDAR), written as UTF-8 with no newline added.  With $EXPECT
# (and $HOW: "equal", "contains" or "endswith"), exit 0 only when the value
# relates so to $EXPECT's bytes.
path, uid, name = sys.argv[1:4]
with open(path, "rb") as f:
    calendar = icalendar.Calendar.from_ical(f.read())
if uid == "":
    found = [calendar]
else:
    found = [e for e in calendar.walk("VEVENT") if str(e.get("UID")) == uid]
if len(found) != 1:
    sys.exit("%d VEVENTs with UID %r" % (len(found), uid))
value = found[0].get(name)
if value is None:
    sys.exit("no %s" % name)
got = str(value).encode("utf-8")
expect = os.environb.get(b"EXPECT")
if expect is None:
    sys.stdout.buffer.write(got)
    sys.exit(0)
how = os.environ.get("HOW", "equal")
good = {"equal": got == expect, "contains": expect in got,
        "endswith": got.endswith(expect)}[how]
if not good:
    sys.exit("%s %s\n  read:     %r\n  expected: %s %r" % (name, how, got, how, expect))
EOF
prop() { /usr/bin/python3 "$E2E_TMP/prop.py" "$@"; }

# ---- the patients ----------------------------------------------------

# SPEC 2's worked example, on its first day (SPEC 3: DOSED_NOW).
export DOSED_NOW=2026-11-23T10:00:00Z
start_on_free_port write_daemon_config || dosed_failed "dosed starts on a free port"
ok "dosed serves on a free port"

name=$'O\'Brien, Jo; "Jr" \\ Ünal'
# A newline, non-ASCII text and every character iCalendar escapes.
note=$'first line\nsecond: Ünal\'s arm, "left"; 1\\2 — ✓'

ctl enrol P1 --name "Jo Patient" --protocol b12-standard --start 2026-11-23 \
	--tz Europe/London >/dev/null &&
	ctl enrol P2 --name "$name" --protocol b12-standard --start 2026-11-23 \
		--tz Europe/London >/dev/null &&
	ctl log P2 --site "left deltoid" --note "$note" >/dev/null &&
	[ "$(ctl --json show P2 | jq -j '.patient.name, "|", .doses[0].note')" = "$name|$note" ]
verdict $? "dosectl enrols the worked example and $name, and logs a dose with a note"

p1=$(ctl feed P1 | feed_path)
p2=$(ctl feed P2 | feed_path)
clinic=$(ctl feed --clinic | feed_path)
[[ $p1 == /feeds/*.ics && $p2 == /feeds/*.ics && $clinic == /clinic/*.ics ]]
verdict $? "dosectl feed prints the URLs of both patients and of the clinic"

declare -A title=([p1]="the worked example's feed" [p2]="$name's feed"
	[clinic]="the clinic feed")
for feed in p1 p2 clinic; do
	code=$(fetch "$base${!feed}")
	[ "$code" = 200 ] && [ "$(header Content-Type)" = "text/calendar; charset=utf-8" ] &&
		cp "$E2E_TMP/body" "$E2E_TMP/$feed.ics" && cp "$E2E_TMP/headers" "$E2E_TMP/$feed.headers"
	verdict $? "${title[$feed]} is served as text/calendar ($code)"
	[ -f "$E2E_TMP/$feed.ics" ] || touch "$E2E_TMP/$feed.ics"
done

# ---- every feed through every parser ---------------------------------

for feed in p1 p2 clinic; do
	check_feed "${title[$feed]}" "$E2E_TMP/$feed.ics"
done

# The worked example as a calendar app lists it, for the closing note.
echo "# the worked example's feed as the parsers list it (UID|DTSTART|SUMMARY):"
sed 's/^/# event: /' "$E2E_TMP/p1.ics.py"

# SPEC 2: loading doses 23, 25, 27, 30 Nov, 2 and 4 Dec 2026; the first
# maintenance dose due from 2027-02-04.
[ "$(projected_dates "$E2E_TMP/p1.ics.py" | head -n 7 | paste -sd ' ')" = \
	"20261123 20261125 20261127 20261130 20261202 20261204 20270204" ]
verdict $? "the worked example's feed has SPEC 2's dates"
# horizon_months = 12 from 2026-11-23.
check_projected "the worked example's feed" "$E2E_TMP/p1.ics.py" P1 20271123
check_projected "$name's feed" "$E2E_TMP/p2.ics.py" P2 20271123

# Logged doses are timed, in UTC, when they were given.
given=$(ctl --json show P2 | jq -r '.doses[] | select(.void | not) | .given_at' |
	sed -E 's/[-:]//g; s/\+0000$/Z/')
[ -n "$given" ] && [ "$(cut -d '|' -f 2 "$E2E_TMP/p2.ics.py" | grep T)" = "$given" ]
verdict $? "$name's logged dose is an event at the time it was given ($given)"

# The clinic feed: each patient's next dose (both due within clinic_days).
ctl --json show P1 | jq -r '.next.due | gsub("-"; "")' >"$E2E_TMP/next"
ctl --json show P2 | jq -r '.next.due | gsub("-"; "")' >>"$E2E_TMP/next"
cut -d '|' -f 2 "$E2E_TMP/clinic.ics.py" | sort | cmp -s - <(sort "$E2E_TMP/next")
verdict $? "the clinic feed has each patient's next due date ($(paste -sd ' ' "$E2E_TMP/next"))"

# ---- the name and the note round-trip --------------------------------

# X-WR-CALNAME is TEXT (issue 12): with its comma and semicolon bare,
# vobject cut the name at the comma and ical.js kept the backslash doubled.
for tool in py vobject js; do
	[ $tool = js ] && [ -z "$icaljs" ] && continue
	parse $tool "$E2E_TMP/p2.name.$tool" "$E2E_TMP/p2.ics" --name &&
		[ "$(cat "$E2E_TMP/p2.name.$tool")" = "Injections: $name" ]
	status=$?
	[ $status -eq 0 ] || diag_if_failed "read: $(cat "$E2E_TMP/p2.name.$tool")"
	verdict $status "X-WR-CALNAME reads back in $tool as the patient's name, byte for byte"
done
logged_uid=$(grep 'T[0-9]*Z|' "$E2E_TMP/p2.ics.py" | cut -d '|' -f 1)
EXPECT=$note HOW=contains prop "$E2E_TMP/p2.ics" "$logged_uid" DESCRIPTION 2>"$E2E_DIAG"
verdict $? "the logged dose's DESCRIPTION holds the note, newline and all, byte for byte"
EXPECT="Patient: $name"$'\n' HOW=contains prop "$E2E_TMP/p2.ics" "$logged_uid" DESCRIPTION \
	2>"$E2E_DIAG"
verdict $? "... and the patient's name"
clinic_uid=$(grep -F "|${name//\\/\\\\}:" "$E2E_TMP/clinic.ics.py" | cut -d '|' -f 1)
[ -n "$clinic_uid" ] &&
	EXPECT=$name HOW=contains prop "$E2E_TMP/clinic.ics" "$clinic_uid" SUMMARY 2>"$E2E_DIAG"
verdict $? "the clinic feed's SUMMARY reads back with the name, byte for byte"

# ---- revalidation and identical bytes --------------------------------

# The ETag and Last-Modified of P1's first fetch.
etag=$(tr -d '\r' <"$E2E_TMP/p1.headers" | sed -n 's/^ETag: //Ip')
last_modified=$(tr -d '\r' <"$E2E_TMP/p1.headers" | sed -n 's/^Last-Modified: //Ip')
for feed in p1 p2 clinic; do
	fetch "$base${!feed}" >/dev/null
	cmp -s "$E2E_TMP/body" "$E2E_TMP/$feed.ics"
	verdict $? "${title[$feed]}, unchanged, is byte-identical on the next fetch"
done
[ "$(fetch "$base$p1" -H "If-None-Match: $etag")" = 304 ] && [ ! -s "$E2E_TMP/body" ]
verdict $? "If-None-Match with the ETag gets 304 with no body"
[ "$(fetch "$base$p1" -H "If-Modified-Since: $last_modified")" = 304 ] && [ ! -s "$E2E_TMP/body" ]
verdict $? "If-Modified-Since with Last-Modified ($last_modified) gets 304 with no body"

# Last-Modified has whole seconds and dosed's clock is pinned: a change
# must come at a later second to move it.  dosed restarted 30 s later...
stop_dosed
verdict $? "dosed stops with status 0 on SIGTERM"
export DOSED_NOW=2026-11-23T10:00:30Z
start_again write_daemon_config || dosed_failed "dosed starts again"
# ...serves the same bytes: DTSTAMP is from the change, not the request.
code=$(fetch "$base$p1")
[ "$code" = 200 ] && cmp -s "$E2E_TMP/body" "$E2E_TMP/p1.ics" && [ "$(header ETag)" = "$etag" ]
verdict $? "restarted 30 s later, dosed serves the same bytes with the same ETag"

# ---- a logged dose keeps its UID -------------------------------------

uid1=$(head -n 1 "$E2E_TMP/p1.ics.py" | cut -d '|' -f 1)
sequence0=$(prop "$E2E_TMP/p1.ics" "$uid1" SEQUENCE 2>>"$E2E_DIAG")
ctl log P1 --site "left deltoid" >/dev/null
verdict $? "dosectl log P1 logs dose #1"
changed=no
start=$(now_ms)
while (($(now_ms) - start < 2000)); do
	[ "$(fetch "$base$p1" -H "If-None-Match: $etag")" = 200 ] && { changed=yes; break; }
	sleep 0.01
done
[ $changed = yes ] && [ -s "$E2E_TMP/body" ] && [ -n "$(header ETag)" ] &&
	[ "$(header ETag)" != "$etag" ]
verdict $? "after the change If-None-Match with the old ETag gets 200 and a new ETag"
cp "$E2E_TMP/body" "$E2E_TMP/p1-logged.ics" 2>/dev/null || touch "$E2E_TMP/p1-logged.ics"
code=$(fetch "$base$p1" -H "If-Modified-Since: $last_modified")
[ "$code" = 200 ] && [ -s "$E2E_TMP/body" ] && [ "$(header ETag)" != "$etag" ] &&
	[ "$(header Last-Modified)" = "Mon, 23 Nov 2026 10:00:30 GMT" ]
verdict $? "... and If-Modified-Since the old Last-Modified gets 200, modified at 10:00:30"

check_feed "the worked example's feed with dose #1 logged" "$E2E_TMP/p1-logged.ics"
list=$E2E_TMP/p1-logged.ics.py
logged=$(grep 'T[0-9]*Z|' "$list")
[ "$(wc -l <<<"$logged")" = 1 ] && [ "${logged%%|*}" = "$uid1" ] &&
	[ "$(awk -F '|' -v uid="$uid1" '$1 == uid' "$list" | wc -l)" = 1 ] &&
	[[ $logged == "$uid1|20261123T100030Z|"* ]]
verdict $? "the logged dose #1 keeps the projected dose's UID ($uid1), once, now at 10:00:30Z"
sequence1=$(prop "$E2E_TMP/p1-logged.ics" "$uid1" SEQUENCE 2>>"$E2E_DIAG")
[ -n "$sequence0" ] && [ -n "$sequence1" ] && [ "$sequence1" -gt "$sequence0" ]
verdict $? "... and its SEQUENCE grew ($sequence0 -> $sequence1)"
check_projected "the worked example's feed with dose #1 logged" "$list" P1 20271123

# ---- log to feed, timed ----------------------------------------------

# A third patient whose doses are logged afterwards (--at), one after the
# other on the days they were due (b12-cyano-label: daily for 7 doses, then
# alternate days): each log adds an event to the feed.
ctl enrol P3 --name "Timing Patient" --protocol b12-cyano-label --start 2026-11-01 \
	--tz Europe/London >/dev/null
p3=$(ctl feed P3 | feed_path)
fetch "$base$p3" >/dev/null
etag=$(header ETag)
times=()
failures=0
for day in 01 02 03 04 05 06 07 09 11 13; do
	if ! ctl log P3 --at "2026-11-${day}T09:00:00Z" >/dev/null; then
		failures=$((failures + 1))
		continue
	fi
	start_ns=$(date +%s%N)
	seen=no
	while (($(date +%s%N) - start_ns < 3000000000)); do
		if [ "$(fetch "$base$p3" -H "If-None-Match: $etag")" = 200 ] &&
			grep -q $'^DTSTART:202611'"${day}T090000Z"$'\r$' "$E2E_TMP/body"; then
			seen=yes
			break
		fi
		sleep 0.01
	done
	end_ns=$(date +%s%N)
	etag=$(header ETag)
	if [ $seen = yes ]; then
		times+=($(((end_ns - start_ns) / 1000000)))
	else
		failures=$((failures + 1))
		times+=(">3000")
	fi
done
median=$(printf '%s\n' "${times[@]}" | grep -E '^[0-9]+$' | sort -n |
	awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "# log-to-feed ms: ${times[*]} (median ${median:-none})"
slow=0
for t in "${times[@]}"; do
	[[ $t =~ ^[0-9]+$ ]] && [ "$t" -lt 1000 ] || slow=$((slow + 1))
done
[ "$failures" -eq 0 ] && [ "${#times[@]}" -eq 10 ] && [ "$slow" -eq 0 ]
verdict $? "10 times, the logged dose is in the feed less than 1000 ms after dosectl log returns"

# ---- rotation --------------------------------------------------------

# Waits (bounded) for PATH to get the same 404 as any unknown token.
gone_within_a_second() { # PATH
	local start
	start=$(now_ms)
	while (($(now_ms) - start < 1000)); do
		[ "$(fetch "$base$1")" = 404 ] && [ "$(cat "$E2E_TMP/body" 2>/dev/null)" = "Not Found" ] &&
			return 0
		sleep 0.01
	done
	return 1
}
new_p1=$(ctl feed P1 --rotate | feed_path)
gone_within_a_second "$p1"
verdict $? "after dosectl feed P1 --rotate the old URL gets 404 within a second"
[[ $new_p1 == /feeds/*.ics ]] && [ "$new_p1" != "$p1" ] && [ "$(fetch "$base$new_p1")" = 200 ] &&
	grep -q $'^X-WR-CALNAME;VALUE=TEXT:Injections: Jo Patient\r$' "$E2E_TMP/body"
verdict $? "... and the new URL serves P1's feed"
new_clinic=$(ctl feed --clinic --rotate | feed_path)
gone_within_a_second "$clinic"
verdict $? "after dosectl feed --clinic --rotate the old clinic URL gets 404 within a second"
[[ $new_clinic == /clinic/*.ics ]] && [ "$new_clinic" != "$clinic" ] &&
	[ "$(fetch "$base$new_clinic")" = 200 ] && grep -q 'Jo Patient' "$E2E_TMP/body"
verdict $? "... and the new clinic URL serves the clinic feed"
[ "$(fetch "$base$p2")" = 200 ]
verdict $? "rotating P1's and the clinic's URLs leaves P2's working"

stop_dosed
status=$?
[ $status -eq 0 ] || sed 's/^/# /' "$log" | tail -n 40
verdict $status "dosed stops with status 0 on SIGTERM"

# ---- an overdue dose rings (issue 12) ----------------------------------

# Three days on, the dose due on Wednesday 25 Nov was missed: its event
# sits on today, 26 Nov, and carries an alarm, which a client that keeps
# alarms rings.  Evolution's libecal evaluates the VALARMs
# (tests/tools/check-ics-evolution.c), for a subscriber in London.
export DOSED_NOW=2026-11-26T08:00:00Z
start_again write_daemon_config || dosed_failed "dosed starts again on 26 Nov"
code=$(fetch "$base$p2")
[ "$code" = 200 ] && cp "$E2E_TMP/body" "$E2E_TMP/p2-overdue.ics"
verdict $? "$name's feed is served on 26 Nov ($code)"
[ -f "$E2E_TMP/p2-overdue.ics" ] || touch "$E2E_TMP/p2-overdue.ics"
check_feed "$name's feed with dose #2 overdue" "$E2E_TMP/p2-overdue.ics"
overdue_uid=$(grep -F '|20261126|' "$E2E_TMP/p2-overdue.ics.py" | grep -F 'OVERDUE' | cut -d '|' -f 1)
next_uid=$(grep -F '|20261127|' "$E2E_TMP/p2-overdue.ics.py" | cut -d '|' -f 1)
"$built_tools/check-ics-evolution" "$E2E_TMP/p2-overdue.ics" 2026-11-26T00:00:00Z \
	2026-11-27T00:00:00Z Europe/London >"$E2E_TMP/alarms" 2>"$E2E_DIAG"
status=$?
echo "# the alarms Evolution rings on 26 Nov (UID|WHEN|DESCRIPTION):"
sed 's/^/# alarm: /' "$E2E_TMP/alarms"
[ $status -eq 0 ] && [ -n "$overdue_uid" ] &&
	grep -qxF "$overdue_uid|20261126T090000Z|Hydroxocobalamin 1 mg OVERDUE (due since 25 Nov)" \
		"$E2E_TMP/alarms"
verdict $? "Evolution's libecal rings the overdue dose #2 at 09:00 on 26 Nov"
# The same reading finds the next dose's lead alarm: the check sees alarms.
[ -n "$next_uid" ] &&
	grep -qxF "$next_uid|20261126T090000Z|Hydroxocobalamin 1 mg due tomorrow" "$E2E_TMP/alarms"
verdict $? "... and the lead alarm of dose #3, due tomorrow, at the same hour"

# The clinic feed of the same day: its events have UIDs of their own, so a
# nurse subscribed to it and to a patient's feed sees both (issue 12), and
# every open dose is on today or later.
code=$(fetch "$base$new_clinic")
[ "$code" = 200 ] && cp "$E2E_TMP/body" "$E2E_TMP/clinic-overdue.ics"
verdict $? "the clinic feed is served on 26 Nov ($code)"
[ -f "$E2E_TMP/clinic-overdue.ics" ] || touch "$E2E_TMP/clinic-overdue.ics"
check_feed "the clinic feed on 26 Nov" "$E2E_TMP/clinic-overdue.ics"
cut -d '|' -f 1 "$E2E_TMP/clinic-overdue.ics.py" | sort >"$E2E_TMP/clinic-uids"
cut -d '|' -f 1 "$E2E_TMP/p2-overdue.ics.py" | sort >"$E2E_TMP/patient-uids"
fetch "$base$new_p1" >/dev/null && /usr/bin/python3 "$tools/check-ics.py" "$E2E_TMP/body" |
	cut -d '|' -f 1 | sort >>"$E2E_TMP/patient-uids"
shared=$(sort "$E2E_TMP/patient-uids" | comm -12 "$E2E_TMP/clinic-uids" -)
[ -s "$E2E_TMP/clinic-uids" ] && [ -z "$shared" ] && grep -q . "$E2E_TMP/patient-uids"
status=$?
[ $status -eq 0 ] || diag_if_failed "UIDs in both: $shared"
verdict $status "the clinic feed's UIDs are none of P1's and P2's feeds' UIDs"
early=$(cut -d '|' -f 2 "$E2E_TMP/clinic-overdue.ics.py" | awk '$1 < "20261126"')
[ -s "$E2E_TMP/clinic-uids" ] && [ -z "$early" ]
verdict $? "every event of the clinic feed is on 26 Nov or later"

stop_dosed
status=$?
[ $status -eq 0 ] || sed 's/^/# /' "$log" | tail -n 40
verdict $status "dosed stops with status 0 on SIGTERM"
