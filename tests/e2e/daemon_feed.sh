#!/usr/bin/env bash
# daemon_feed.sh - the real dosed on a free loopback port, with a temporary
# config and database (SPEC 4): options, the same 404 for every dead end,
# 405, HEAD, the feed at the URL dosectl prints, 304 on revalidation, gzip,
# changes within a second, SIGHUP (a bad config keeps serving, a new port
# moves), no wake-ups while idle, and a clean exit on SIGTERM.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# These daemons see no session bus (lib-daemon.sh): no reminder reaches the
# desktop of whoever runs the tests (daemon_reminders.sh tests reminders on
# a private one).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

# One clock for dosed and dosectl (SPEC 3): the first day of SPEC 2's
# worked example.
export DOSED_NOW=2026-11-23T10:00:00Z

# ---- options --------------------------------------------------------

write_daemon_config 8645
out=$("$DOSED" --version)
[ "$out" != "${out#dosed }" ]
verdict $? "--version prints the version"

out=$("$DOSED" -c "$conf" --check-config 2>&1)
[ $? -eq 0 ] && [ "$out" = "dosed: configuration OK: $conf" ]
verdict $? "--check-config accepts a good config"

cp "$conf" "$E2E_TMP/bad.conf"
printf '[feed]\nlisten = nowhere\n' >>"$E2E_TMP/bad.conf"
out=$("$DOSED" -c "$E2E_TMP/bad.conf" --check-config 2>&1)
[ $? -eq 1 ] && [[ $out == "dosed: $E2E_TMP/bad.conf:9: [feed] listen"* ]]
verdict $? "--check-config refuses a bad value, naming file, line and key"

"$DOSED" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ]
verdict $? "an unknown option is a usage error (2)"

# ---- start on a free port ------------------------------------------

start_on_free_port write_daemon_config || dosed_failed "dosed starts on a free port"
# Ready when the port answers (the log line comes just before).
for i in $(seq 1 100); do
	[ "$(fetch "$base/")" = 404 ] && break
	sleep 0.05
done
[ "$(fetch "$base/")" = 404 ]
verdict $? "dosed answers on a free port"

# ---- dead ends -------------------------------------------------------

token=0123456789abcdef0123456789abcdef
same_404() { # PATH
	[ "$(fetch "$base$1")" = 404 ] && [ "$(cat "$E2E_TMP/body" 2>/dev/null)" = "Not Found" ]
}
same_404 "/feeds/$token.ics"
verdict $? "an unknown token gets 404"
same_404 "/clinic/$token.ics"
verdict $? "an unknown clinic token gets the same 404"
same_404 "/feeds/../clinic/$token.ics"
verdict $? "traversal gets the same 404"
same_404 "/feeds%2F$token.ics"
verdict $? "an encoded slash gets the same 404"
same_404 "/feeds/${token^^}.ics"
verdict $? "upper-case hex gets the same 404"
same_404 "/feeds/${token%?}.ics"
verdict $? "31 digits get the same 404"
same_404 "/feeds/${token}0.ics"
verdict $? "33 digits get the same 404"
same_404 "//feeds/$token.ics"
verdict $? "a double slash gets the same 404"
same_404 "/feeds/$token.ics/x"
verdict $? "trailing junk gets the same 404"

# (curl -I reads no body; the unit tests check that none is sent.)
code=$(fetch "$base/feeds/$token.ics" -I)
[ "$code" = 404 ] && [ "$(header Content-Length)" = 10 ]
verdict $? "HEAD of an unknown feed gets the same 404's headers"
code=$(fetch "$base/feeds/$token.ics" -X POST -d x=1)
[ "$code" = 405 ] && [ "$(header Allow)" = "GET, HEAD" ]
verdict $? "POST gets 405 with Allow: GET, HEAD"
code=$(fetch "$base/feeds/$token.ics" -X DELETE)
[ "$code" = 405 ]
verdict $? "DELETE gets 405"

# ---- feeds at the URL dosectl prints ---------------------------------

# Each change is awaited in the log (the daemon reads the tokens again),
# so that the lines after the first fetch are the fetch's own.
mark=$(log_mark)
ctl enrol P1 --name "Jo Patient" --protocol b12-standard --start 2026-11-23 \
	--tz Europe/London >/dev/null
wait_for_log "reading the feed tokens again" "$mark"
mark=$(log_mark)
url=$(ctl feed P1 | grep -o 'https\?://[^ ]*\.ics' | head -n 1)
[[ $url == "$base/feeds/"*.ics ]]
verdict $? "dosectl feed prints a feed URL on this port"
wait_for_log "reading the feed tokens again" "$mark"

mark=$(log_mark)
code=$(fetch "$url")
[ "$code" = 200 ] && [ "$(header Content-Type)" = "text/calendar; charset=utf-8" ] &&
	grep -q '^BEGIN:VCALENDAR' "$E2E_TMP/body" && grep -q 'Jo Patient' "$E2E_TMP/body"
verdict $? "the patient's feed is served as text/calendar"
# The render saved its events' states.  The daemon sees its own write
# (at the latest at the next write to the files: here an empty one) and
# takes it for no change: a change drops every cached feed and plans
# every reminder again, seconds of work at clinic scale.
: >>"$DB-wal"
wait_for_log "with no change to show" "$mark" &&
	! log_has "reading the feed tokens again" "$mark"
verdict $? "the feed's own bookkeeping is not taken for a change"
etag=$(header ETag)
[[ $etag == '"'*'"' ]] && [ -n "$(header Last-Modified)" ] &&
	[ "$(header Cache-Control)" = "private, no-cache" ] &&
	[ "$(header Vary)" = Accept-Encoding ]
verdict $? "with a quoted ETag, Last-Modified, Cache-Control: private, no-cache and Vary"
code=$(fetch "$url" -H "If-None-Match: $etag")
[ "$code" = 304 ] && [ ! -s "$E2E_TMP/body" ] && [ "$(header ETag)" = "$etag" ] &&
	! grep -qi '^content-length:' "$E2E_TMP/headers" &&
	! grep -qi '^transfer-encoding:' "$E2E_TMP/headers"
verdict $? "revalidation with the ETag gets 304, with no Content-Length (RFC 9110 8.6)"
code=$(fetch "$url" -I)
[ "$code" = 200 ] && [ "$(header ETag)" = "$etag" ]
verdict $? "HEAD gets the same headers"

# gzip, as calendar apps ask for it (issue 12): the same calendar, smaller,
# under an ETag of its own that revalidates to 304 too.
plain_size=$(fetch "$url" >/dev/null; wc -c <"$E2E_TMP/body")
cp "$E2E_TMP/body" "$E2E_TMP/plain.ics"
code=$(fetch "$url" -H "Accept-Encoding: gzip")
gzip_etag=$(header ETag)
[ "$code" = 200 ] && [ "$(header Content-Encoding)" = gzip ] &&
	[ "$(header Vary)" = Accept-Encoding ] && [ -n "$gzip_etag" ] &&
	[ "$gzip_etag" != "$etag" ] && gzip -dc "$E2E_TMP/body" | cmp -s - "$E2E_TMP/plain.ics"
verdict $? "Accept-Encoding: gzip gets the same calendar gzipped, with its own ETag"
echo "# the feed: $plain_size bytes, $(wc -c <"$E2E_TMP/body") gzipped"
code=$(fetch "$url" -H "Accept-Encoding: gzip" -H "If-None-Match: $gzip_etag")
[ "$code" = 304 ] && [ ! -s "$E2E_TMP/body" ] && [ "$(header ETag)" = "$gzip_etag" ] &&
	! grep -qi '^content-length:' "$E2E_TMP/headers"
verdict $? "... which revalidates to 304 with no Content-Length"
code=$(fetch "$url" -H "Accept-Encoding: gzip;q=0, identity")
[ "$code" = 200 ] && [ -z "$(header Content-Encoding)" ] && cmp -s "$E2E_TMP/body" "$E2E_TMP/plain.ics"
verdict $? "Accept-Encoding: gzip;q=0 gets the text as it is"

# A feed reader's polls may share one connection (HTTP/1.1 keep-alive): a
# 200, a HEAD, a 404 and a 304 one after another on it, each one whole (a
# HEAD that sent a body, or a 304 that did, would garble the next answer).
# The 304 comes last: it closes the connection, the one way libmicrohttpd
# 0.9.75 sends it without a Content-Length (http.c), and the next request
# opens another.
size=$(fetch "$url" >/dev/null; wc -c <"$E2E_TMP/body")
each='%{http_code} %{num_connects} %{size_download}\n'
out=$(curl -s --max-time 10 -o /dev/null -w "$each" "$url" \
	--next -s --max-time 10 -o /dev/null -w "$each" -I "$url" \
	--next -s --max-time 10 -o "$E2E_TMP/body" -w "$each" "$base/feeds/$token.ics" \
	--next -s --max-time 10 -o /dev/null -w "$each" -H "If-None-Match: $etag" "$url" \
	--next -s --max-time 10 -o /dev/null -w "$each" "$url")
[ "$out" = "$(printf '200 1 %s\n200 0 0\n404 0 10\n304 0 0\n200 1 %s' "$size" "$size")" ] &&
	[ "$(cat "$E2E_TMP/body")" = "Not Found" ]
verdict $? "on one connection: 200, HEAD, 404, 304, each whole; then a new connection"
[ "$size" -gt 0 ] && [ "$(fetch "$url")" = 200 ] && [ "$(header Connection)" = "" ]
verdict $? "... and a feed's answer keeps the connection open (no Connection: close)"

# Kept-open connections must not lock out new subscribers (http.h): with
# more than half the connection limit open and idle after their answers, a
# connection answered now is closed after a short idle time (2 s), not
# the usual 30.  Without the crowd the same probe stays open; each side is
# an event awaited with a deadline, not a sleep.
keepalive_probe() { # CROWD: prints "crowd N open, probe closed after S s" or "... open"
	python3 - "$url" "$1" <<'PY'
import socket, sys, time, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1]); crowd = int(sys.argv[2])
request = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (u.path, u.netloc)).encode()
def answered(source):
    s = socket.create_connection((u.hostname, u.port), timeout=10,
                                 source_address=(source, 0))
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                  if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head[:40]
    return s
# At most 256 from one address (the per-address limit): the rest from .2.
held = [answered("127.0.0.1" if i < 200 else "127.0.0.2") for i in range(crowd)]
probe = answered("127.0.0.2")
start = time.monotonic()
probe.settimeout(8)
try:
    closed = probe.recv(1) == b""
except socket.timeout:
    closed = False
print("crowd %d open, probe %s" % (len(held),
      "closed after %.1f s" % (time.monotonic() - start) if closed else "open after 8 s"))
PY
}
out=$(keepalive_probe 300 2>&1)
echo "# busy: $out"
[[ $out == "crowd 300 open, probe closed after "[0-4].*" s" ]]
verdict $? "with 300 connections kept open, a new one is closed after a short idle time"
out=$(keepalive_probe 0 2>&1)
echo "# quiet: $out"
[ "$out" = "crowd 0 open, probe open after 8 s" ]
verdict $? "... and with few open, it stays open for the next poll"

# SPEC 4: a change made with dosectl is in the feed within a second.
ctl log P1 --site "left deltoid" >/dev/null
start=$(now_ms)
changed=no
while (($(now_ms) - start < 1000)); do
	[ "$(fetch "$url" -H "If-None-Match: $etag")" = 200 ] && { changed=yes; break; }
	sleep 0.02
done
echo "# the feed changed $(($(now_ms) - start)) ms after dosectl log returned"
[ $changed = yes ] && grep -q 'left deltoid' "$E2E_TMP/body"
verdict $? "after dosectl log the feed changes within one second"

new_url=$(ctl feed P1 --rotate | grep -o 'https\?://[^ ]*\.ics' | head -n 1)
start=$(now_ms)
gone=no
while (($(now_ms) - start < 1000)); do
	same_404 "${url#"$base"}" && { gone=yes; break; }
	sleep 0.02
done
[ $gone = yes ]
verdict $? "after --rotate the old URL gets 404 within one second"
[ "$new_url" != "$url" ] && [ "$(fetch "$new_url")" = 200 ]
verdict $? "... and the new one is served"

clinic=$(ctl feed --clinic | grep -o 'https\?://[^ ]*\.ics' | head -n 1)
code=$(fetch "$clinic")
[ "$code" = 200 ] && grep -q 'Jo Patient' "$E2E_TMP/body"
verdict $? "the clinic feed is served"

# ---- slow and many clients -------------------------------------------

# Issue 3: slow or many clients must not starve a normal subscriber.  A
# client that sends one byte a second holds its connection open...
exec 3<>"/dev/tcp/127.0.0.1/$port"
# The pauses are reads that time out on a pipe that never has data, so
# that the slow client is one process, which ends when it is killed.
exec 4<> <(:)
(for c in G E T ' ' /; do printf %s "$c" >&3; read -r -t 1 -u 4 _; done) &
slow=$!
sleep 0.2
start=$(now_ms)
same_404 "/feeds/$token.ics"
status=$?
elapsed=$(($(now_ms) - start))
[ $status -eq 0 ] && [ $elapsed -lt 1000 ]
verdict $? "a client sending one byte a second does not hold up another (${elapsed} ms)"
# ...and 200 at once do not either.
many=()
for i in $(seq 1 200); do
	curl -s -o /dev/null --max-time 10 "$base/feeds/$token.ics" &
	many+=($!)
done
start=$(now_ms)
same_404 "/feeds/$token.ics"
status=$?
elapsed=$(($(now_ms) - start))
wait "${many[@]}"
[ $status -eq 0 ] && [ $elapsed -lt 2000 ]
verdict $? "200 clients at once do not hold up another (${elapsed} ms)"
kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
exec 3>&- 4>&-

# SPEC 4: tokens never appear in logs (the log is at debug level here).
! grep -Eq '[0-9a-fA-F]{16}|/(feeds|clinic)/[^<]' "$log"
verdict $? "no token and no request path in the log"

# ---- SIGHUP ----------------------------------------------------------

good=$(cat "$conf")
printf '[feed]\nno_such_key = 1\n' >>"$conf"
mark=$(log_mark)
kill -HUP "$dosed"
wait_for_log "reload failed" "$mark" &&
	log_has "keeping the running configuration: .*no_such_key" "$mark"
verdict $? "SIGHUP with a bad config logs why and keeps the running one"
same_404 "/feeds/$token.ics" && kill -0 "$dosed"
verdict $? "... and goes on serving"
echo "$good" >"$conf"

# A new listen address: the new server starts before the old one stops;
# a port found taken leaves the old one serving, and another is tried.
moved=
for _ in $(seq 1 20); do
	new_port=$(random_port)
	[ "$new_port" = "$port" ] && continue
	write_daemon_config "$new_port"
	mark=$(log_mark)
	kill -HUP "$dosed"
	wait_for_log "configuration reloaded" "$mark" || break
	if log_has "serving feeds on 127.0.0.1:$new_port" "$mark"; then
		moved=$new_port
		break
	fi
done
[ -n "$moved" ] && [ "$(fetch "http://127.0.0.1:$moved/")" = 404 ]
verdict $? "SIGHUP with a new listen address serves there"
[ "$(fetch "$base/")" = 000 ]
verdict $? "... and no longer on the old one"

# ---- idle ------------------------------------------------------------

# SPEC 4: no polling.  The context switches of every thread, over 5 s.
before=$(context_switches "$dosed")
sleep 5
after=$(context_switches "$dosed")
[ -n "$before" ] && [ "$before" = "$after" ]
verdict $? "an idle daemon does not wake up (context switches over 5 s: $before -> $after)"

# ---- SIGTERM ---------------------------------------------------------

stop_dosed
verdict $? "SIGTERM stops dosed with status 0"
tail -n 1 "$log" | grep -qx 'dosed: stopped'
verdict $? "... and it says so last"
