#!/usr/bin/env bash
# docs/screenshots.sh - the README's two pictures, made from the real program.
#
#   DOSED=build/dosed DOSECTL=build/dosectl docs/screenshots.sh [REPO_ROOT]
#
# Writes REPO_ROOT/docs/notification.png: a real dosed reminder as dunst
# draws it, and REPO_ROOT/docs/calendar.png: the worked example's feed
# (SPEC 2: b12-standard from Mon 2026-11-23, Europe/London), fetched from the
# running dosed and shown by khal in an xterm.  Everything runs on a private
# X server (Xvfb), a private D-Bus session bus and a private HOME, as in
# tests/e2e/daemon_reminders.sh; nothing of the caller's desktop is used or
# changed.  The clock is pinned (DOSED_NOW for dosed and dosectl, faketime
# for khal) so the pictures come out the same on every run.  Not a test:
# CI does not run it.  SCREENSHOTS_DEBUG=1 traces it and keeps its temporary
# folder.
#
# Debian packages: xvfb dbus dunst xterm khal faketime imagemagick optipng
# adwaita-icon-theme fonts-dejavu-core x11-xserver-utils curl.
set -euo pipefail
[ -n "${SCREENSHOTS_DEBUG:-}" ] && set -x

top=$(cd "${1:-$(dirname "$0")/..}" && pwd)
DOSED=${DOSED:-$top/build/dosed}
DOSECTL=${DOSECTL:-$top/build/dosectl}
out=$top/docs

die() { echo "screenshots.sh: $*" >&2; exit 1; }

missing=
for tool in Xvfb dbus-daemon dunst dunstctl gdbus xterm khal faketime import \
	optipng xsetroot curl; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -z "$missing" ] || die "missing:$missing (apt-get install xvfb dbus dunst xterm khal" \
	"faketime imagemagick optipng x11-xserver-utils curl)"
{ [ -x "$DOSED" ] && [ -x "$DOSECTL" ]; } ||
	die "no dosed or dosectl at $DOSED, $DOSECTL: run make first"
# ImageMagick's own convert, beside its import: an earlier `convert` on
# PATH may be something else.
convert=$(dirname "$(command -v import)")/convert
[ -x "$convert" ] || die "ImageMagick's convert is missing (apt-get install imagemagick)"
icons=/usr/share/icons/Adwaita/48x48/legacy
[ -f "$icons/appointment-soon.png" ] || die "no $icons/appointment-soon.png (apt-get install adwaita-icon-theme)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dosed-screenshots.XXXXXX")
mkdir -p "$tmp/home" "$tmp/run" "$tmp/db"
chmod 700 "$tmp/run"
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_DATA_HOME=$tmp/home/.local/share
export XDG_RUNTIME_DIR=$tmp/run TZ=UTC LC_ALL=C.UTF-8
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
# The moment of both pictures: Monday 23 Nov 2026, just after the 09:00
# reminder of the worked example's first dose (London is on UTC in November).
export DOSED_NOW=2026-11-23T09:00:30Z
FAKETIME_AT='2026-11-23 09:00:30'

# Every process started here, stopped by its id.
dosed='' xvfb='' bus='' dunst='' xterm=''
cleanup() {
	local pid
	for pid in $xterm $dosed $dunst $bus $xvfb; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${SCREENSHOTS_DEBUG:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Wait up to 10 s for a command to succeed.
await() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ---- the desktop: Xvfb, a private session bus, dunst ------------------

mkfifo "$tmp/display.fifo" "$tmp/bus.fifo"
Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$tmp/display.fifo" \
	>"$tmp/xvfb.log" 2>&1 &
xvfb=$!
read -r -t 10 display <"$tmp/display.fifo" || die "Xvfb did not start: $(cat "$tmp/xvfb.log")"
export DISPLAY=:$display
# A plain desktop colour: the notification is cut out of it by -trim.
desktop='#d8dee9'
xsetroot -solid "$desktop"

# No service directories: D-Bus activation would start another dunst with
# the machine's own dunstrc (TESTING-NOTES).
cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --nofork --config-file="$tmp/bus.conf" --print-address=3 \
	3>"$tmp/bus.fifo" >"$tmp/bus.log" 2>&1 &
bus=$!
read -r -t 10 address <"$tmp/bus.fifo" || die "dbus-daemon did not start: $(cat "$tmp/bus.log")"
export DBUS_SESSION_BUS_ADDRESS=$address

# A readable dunst: a larger font, room around the text, a frame, the
# reminder's icon, and the "(A)" indicator dunst puts before the summary of
# a notification with actions.  No timeout: it stays until captured.
cat >"$tmp/dunstrc" <<EOF
[global]
    font = DejaVu Sans 12
    width = 500
    height = 300
    origin = top-left
    offset = 24x24
    padding = 14
    horizontal_padding = 16
    text_icon_padding = 16
    frame_width = 2
    line_height = 2
    markup = full
    format = "<b>%s</b>\n%b"
    alignment = left
    vertical_alignment = center
    show_indicators = yes
    icon_position = left
    min_icon_size = 48
    max_icon_size = 48
    enable_recursive_icon_lookup = false
    icon_path = $icons
[urgency_low]
    background = "#ffffff"
    foreground = "#2e3440"
    frame_color = "#5e81ac"
    timeout = 0
[urgency_normal]
    background = "#ffffff"
    foreground = "#2e3440"
    frame_color = "#5e81ac"
    timeout = 0
[urgency_critical]
    background = "#fff4f4"
    foreground = "#2e3440"
    frame_color = "#bf616a"
    timeout = 0
EOF
dunst -config "$tmp/dunstrc" ${SCREENSHOTS_DEBUG:+-verbosity debug} >"$tmp/dunst.log" 2>&1 &
dunst=$!
timeout 10 gdbus wait --session --timeout 10 org.freedesktop.Notifications ||
	die "dunst did not start: $(cat "$tmp/dunst.log")"

# ---- dosed, with the worked example's patient ---------------------------

write_config() { # PORT
	cat >"$tmp/dosed.conf" <<EOF
[store]
path = $tmp/db/dosed.db
[feed]
listen = 127.0.0.1:$1
base_url = http://127.0.0.1:$1
[reminders]
at = 09:00
before = 1 day
[rotation]
sites = left deltoid, right deltoid, left thigh, right thigh
[protocols]
paths = $top/conf/protocols.ini
EOF
}
ctl() { "$DOSECTL" --config "$tmp/dosed.conf" "$@"; }

# A free port, found by trying: dosed exits when its port is taken.
started=
for _ in $(seq 1 20); do
	port=$((20000 + RANDOM % 40000))
	write_config "$port"
	: >"$tmp/dosed.log"
	"$DOSED" -c "$tmp/dosed.conf" 2>>"$tmp/dosed.log" &
	dosed=$!
	if await grep -q "serving feeds on" "$tmp/dosed.log"; then
		started=1
		break
	fi
	kill -TERM "$dosed" 2>/dev/null || true
	wait "$dosed" 2>/dev/null || true
	dosed=
done
[ -n "$started" ] || die "dosed did not start: $(cat "$tmp/dosed.log")"

# The patient is enrolled while dosed runs: it sees the change and shows
# the reminder owed at 09:00 on the first dose's day, "due today" (SPEC 4).
ctl enrol JO --name "Jo O'Brien" --protocol b12-standard --start 2026-11-23 \
	--tz Europe/London >/dev/null
url=$(ctl feed JO | grep -o 'http://[^ ]*\.ics' | head -n 1)
[ -n "$url" ] || die "dosectl feed printed no URL"

# ---- notification.png ----------------------------------------------------

displayed() { [ "$(dunstctl count displayed)" = 1 ]; }
await displayed || die "no notification was shown: $(cat "$tmp/dosed.log")"
sleep 1 # dunst draws after it answers
import -window root "$tmp/root.png"
# The notification alone (trimmed from the desktop colour), with a margin
# of desktop around it.
"$convert" "$tmp/root.png" -trim +repage -bordercolor "$desktop" -border 16 \
	"$tmp/notification.png"

# ---- calendar.png ------------------------------------------------------

# The feed as a subscribed calendar would fetch it, imported into khal.
curl -sf --max-time 10 -o "$tmp/feed.ics" "$url" || die "cannot fetch the feed from dosed"
mkdir -p "$XDG_CONFIG_HOME/khal" "$tmp/calendars/injections"
cat >"$XDG_CONFIG_HOME/khal/config" <<EOF
[calendars]
[[injections]]
path = $tmp/calendars/injections
type = calendar
color = dark green
[locale]
timeformat = %H:%M
dateformat = %a %d %b
longdateformat = %Y-%m-%d
datetimeformat = %d %b %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
firstweekday = 0
local_timezone = Europe/London
default_timezone = Europe/London
[default]
default_calendar = injections
highlight_event_days = True
[highlight_days]
method = bg
color = "#a5d6a7"
[sqlite]
path = $tmp/khal.db
EOF
# khal's calendar module cannot set LC_TIME to C.UTF-8: it runs in C.
khal_() { LC_ALL=C faketime "$FAKETIME_AT" khal "$@"; }
khal_ import --batch -a injections "$tmp/feed.ics" 2>"$tmp/khal.log"
# khal only warns about what it had to guess (TESTING-NOTES): none here.
[ ! -s "$tmp/khal.log" ] || die "khal import: $(cat "$tmp/khal.log")"

range='2026-11-23 2027-03-05'
cat >"$tmp/show.sh" <<EOF
#!/bin/sh
# No cursor, the command as typed, then what khal prints.
printf '\033[?25l\033[1m\$ khal calendar $range\033[0m\n'
LC_ALL=C faketime '$FAKETIME_AT' khal calendar -f '{calendar-color}{title}{reset}' $range \
	2>"$tmp/khal.log"
echo "\$WINDOWID" >"$tmp/windowid.tmp"
mv "$tmp/windowid.tmp" "$tmp/windowid"
exec sleep 600
EOF
chmod +x "$tmp/show.sh"
# The reminder is closed first: it would cover the xterm.
dunstctl close-all
xterm -u8 -fa 'DejaVu Sans Mono' -fs 12 -geometry 80x27+0+0 -b 14 -bg white -fg '#2e3440' \
	-xrm 'XTerm*color2: #1b5e20' -title khal -e "$tmp/show.sh" >"$tmp/xterm.log" 2>&1 &
xterm=$!
await test -s "$tmp/windowid" || die "xterm did not run khal: $(cat "$tmp/xterm.log")"
[ ! -s "$tmp/khal.log" ] || die "khal calendar: $(cat "$tmp/khal.log")"
sleep 1
import -window "$(cat "$tmp/windowid")" "$tmp/window.png"
# The text alone, with a margin of the terminal's white.
"$convert" "$tmp/window.png" -trim +repage -bordercolor white -border 14 "$tmp/calendar.png"

# ---- small files ---------------------------------------------------------

for picture in notification calendar; do
	optipng -quiet -o5 -strip all "$tmp/$picture.png"
	cp "$tmp/$picture.png" "$out/$picture.png"
	echo "$out/$picture.png: $(stat -c %s "$out/$picture.png") bytes"
done
