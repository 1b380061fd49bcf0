#!/usr/bin/env bash
# readme_nginx.sh - the README's nginx configuration, as written there,
# with a real nginx in front of a real dosed on loopback (issue 12, SPEC 4:
# tokens never appear in logs).  Through it: the feeds over https, the
# same bytes as from dosed; gzip, ETags and 304s passed through; http
# (what a calendar app makes of webcal://) redirected to https.  Then no
# log of nginx's holds a token, after feeds served and after feeds that
# failed (dosed stopped).  A control run with the README's old snippet (no
# access_log off, no error_log crit) finds the token in both logs: the
# check sees a token when one is there.
#
# The README's block is used as it is but for what a test must change:
# the ports (80 and 443 become free loopback ports, dosed's 8645 its own),
# the certificate (a self-signed one for dosed.example.org, made here) and
# the log folder (/var/log/nginx/ becomes a private one).  nginx runs in
# the foreground with its own pid file and error log, so that it writes
# nothing under /var/log and its pid is known, inside an http block that
# logs everything else: requests to an access log, errors from level info.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"
export DOSED_NOW=2026-11-23T10:00:00Z

nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx" ] || ! command -v openssl >/dev/null 2>&1; then
	# Both are in scripts/debian-packages: missing is a failure.
	not_ok "nginx and openssl are installed (Debian packages nginx, openssl)"
	exit 1
fi

# dosed behind the proxy: the URLs it issues are the proxy's.
DAEMON_BASE_URL=https://dosed.example.org

# fetch_site URL [CURL OPTIONS...]: fetch through nginx, on its ports, for
# dosed.example.org (the loopback address here).
nginx_pid=
fetch_site() {
	fetch "$@" -k --resolve "dosed.example.org:$http_port:127.0.0.1" \
		--resolve "dosed.example.org:$https_port:127.0.0.1"
}

# ---- dosed, its feeds, and the README's block --------------------------

start_on_free_port write_daemon_config || dosed_failed "dosed starts on a free port"
direct=$base
ctl enrol P1 --name "Jo Patient" --protocol b12-standard --start 2026-11-23 \
	--tz Europe/London >/dev/null
feed=$(ctl feed P1 | grep -o 'https://[^ ]*\.ics' | head -n 1)
clinic=$(ctl feed --clinic | grep -o 'https://[^ ]*\.ics' | head -n 1)
feed_path=${feed#https://dosed.example.org}
clinic_path=${clinic#https://dosed.example.org}
patient_token=$(basename "$feed_path" .ics)
clinic_token=$(basename "$clinic_path" .ics)
[[ $feed_path == /feeds/*.ics && $clinic_path == /clinic/*.ics ]] &&
	[ ${#patient_token} = 32 ] && [ ${#clinic_token} = 32 ]
verdict $? "dosectl feed prints the https URLs of a patient's feed and of the clinic's"
# The change reaches dosed within a second (SPEC 4): wait for the feed.
for _ in $(seq 1 100); do
	[ "$(curl -s -o "$E2E_TMP/direct.ics" -w '%{http_code}' "$direct$feed_path")" = 200 ] && break
	sleep 0.02
done
curl -s -D "$E2E_TMP/direct-gzip.headers" -o "$E2E_TMP/direct.gz" -H 'Accept-Encoding: gzip' \
	"$direct$feed_path" >/dev/null
direct_gzip_etag=$(tr -d '\r' <"$E2E_TMP/direct-gzip.headers" | sed -n 's/^ETag: //Ip')

# The first ```nginx block of the README, under "Behind a TLS reverse proxy".
awk '/^\*\*Behind a TLS reverse proxy/ { section = 1 }
     section && /^```nginx$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$DOSED_TOP/README.md" >"$E2E_TMP/readme.conf"
grep -q 'proxy_pass' "$E2E_TMP/readme.conf"
verdict $? "the README has an nginx block for the reverse proxy"

mkdir -p "$E2E_TMP/nginx/logs" "$E2E_TMP/nginx/temp"
# nginx's workers may run as nobody: they must reach its temporary files.
chmod 755 "$E2E_TMP" "$E2E_TMP/nginx"
chmod 1777 "$E2E_TMP/nginx/temp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=dosed.example.org -keyout "$E2E_TMP/nginx/key.pem" -out "$E2E_TMP/nginx/cert.pem" \
	>"$E2E_TMP/openssl.log" 2>&1
verdict $? "a self-signed certificate for dosed.example.org"

# The README's block for this machine: each change is checked to apply,
# so that an edit of the README cannot quietly leave this test behind.
adapt() { # IN OUT HTTP_PORT HTTPS_PORT
	sed -e "s|^\\( *\\)listen 80;|\\1listen 127.0.0.1:$3;|" \
	    -e "s|^\\( *\\)listen 443 ssl;|\\1listen 127.0.0.1:$4 ssl;|" \
	    -e "s|/etc/letsencrypt/live/dosed.example.org/fullchain.pem|$E2E_TMP/nginx/cert.pem|" \
	    -e "s|/etc/letsencrypt/live/dosed.example.org/privkey.pem|$E2E_TMP/nginx/key.pem|" \
	    -e "s|/var/log/nginx/|$E2E_TMP/nginx/logs/|g" \
	    -e "s|127.0.0.1:8645|127.0.0.1:$port|g" "$1" >"$2"
	! grep -Eq 'listen (80|443)|letsencrypt|/var/log|:8645' "$2" &&
		grep -q "listen 127.0.0.1:$3;" "$2" && grep -q "listen 127.0.0.1:$4 ssl;" "$2"
}

# nginx in the foreground, with everything else logged: the access log in
# nginx's default format, and errors from level info.
start_nginx() { # SNIPPET
	local try
	nginx_pid=
	for _ in $(seq 1 20); do
		http_port=$(random_port)
		https_port=$(random_port)
		[ "$http_port" != "$https_port" ] && [ "$http_port" != "$port" ] &&
			[ "$https_port" != "$port" ] || continue
		adapt "$1" "$E2E_TMP/nginx/site.conf" "$http_port" "$https_port" || return 1
		cat >"$E2E_TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $E2E_TMP/nginx/nginx.pid;
error_log $E2E_TMP/nginx/logs/error.log info;
events { worker_connections 64; }
http {
	access_log $E2E_TMP/nginx/logs/access.log combined;
	client_body_temp_path $E2E_TMP/nginx/temp/client_body;
	proxy_temp_path $E2E_TMP/nginx/temp/proxy;
	fastcgi_temp_path $E2E_TMP/nginx/temp/fastcgi;
	uwsgi_temp_path $E2E_TMP/nginx/temp/uwsgi;
	scgi_temp_path $E2E_TMP/nginx/temp/scgi;
	include $E2E_TMP/nginx/site.conf;
}
EOF
		"$nginx" -e "$E2E_TMP/nginx/logs/stderr.log" -p "$E2E_TMP/nginx" -c "$E2E_TMP/nginx/nginx.conf" \
			2>>"$E2E_TMP/nginx/logs/stderr.log" &
		nginx_pid=$!
		E2E_PIDS+=("$nginx_pid")
		for try in $(seq 1 200); do
			[ "$(fetch_site "https://dosed.example.org:$https_port/")" = 404 ] && return 0
			kill -0 "$nginx_pid" 2>/dev/null || break
			sleep 0.05
		done
		e2e_stop "$nginx_pid"
		nginx_pid=
	done
	return 1
}
stop_nginx() {
	e2e_stop "$nginx_pid"
	nginx_pid=
}

# Every token this test used, in every file nginx wrote: none.
tokens_in_logs() { # prints the lines that hold one
	grep -rhE "$patient_token|$clinic_token" "$E2E_TMP/nginx/logs"
}

# ---- through nginx -----------------------------------------------------

if ! start_nginx "$E2E_TMP/readme.conf"; then
	not_ok "nginx starts with the README's block"
	sed 's/^/# /' "$E2E_TMP/nginx/site.conf" "$E2E_TMP/nginx/logs/stderr.log" 2>/dev/null | tail -n 30
	exit 1
fi
ok "nginx starts with the README's block"
site=https://dosed.example.org:$https_port

code=$(fetch_site "$site$feed_path")
[ "$code" = 200 ] && cmp -s "$E2E_TMP/body" "$E2E_TMP/direct.ics" &&
	[ "$(header Content-Type)" = "text/calendar; charset=utf-8" ]
verdict $? "the patient's feed over https, the same bytes as from dosed ($code)"
etag=$(header ETag)
code=$(fetch_site "$site$feed_path" -H "If-None-Match: $etag")
[ "$code" = 304 ] && [ ! -s "$E2E_TMP/body" ]
verdict $? "... revalidated with its ETag: 304"
code=$(fetch_site "$site$feed_path" -H 'Accept-Encoding: gzip')
[ "$code" = 200 ] && [ "$(header Content-Encoding)" = gzip ] &&
	[ "$(header ETag)" = "$direct_gzip_etag" ] && [ "$(header Vary)" = Accept-Encoding ] &&
	gzip -dc "$E2E_TMP/body" | cmp -s - "$E2E_TMP/direct.ics"
verdict $? "... gzipped by dosed, with dosed's ETag for it and Vary, passed through"
code=$(fetch_site "$site$feed_path" -H 'Accept-Encoding: gzip' -H "If-None-Match: $direct_gzip_etag")
[ "$code" = 304 ] && [ ! -s "$E2E_TMP/body" ]
verdict $? "... and the gzip's ETag revalidates: 304"
code=$(fetch_site "$site$clinic_path")
[ "$code" = 200 ] && grep -q 'Jo Patient' "$E2E_TMP/body"
verdict $? "the clinic feed over https ($code)"

# webcal://dosed.example.org/feeds/... is fetched as http://.
code=$(fetch_site "http://dosed.example.org:$http_port$feed_path")
[ "$code" = 301 ] && [ "$(header Location)" = "https://dosed.example.org$feed_path" ]
verdict $? "http (webcal://) is redirected to the same path over https ($code)"
code=$(fetch_site "https://dosed.example.org:$https_port/feeds/0123456789abcdef0123456789abcdef.ics")
[ "$code" = 404 ]
verdict $? "an unknown token gets dosed's 404 through nginx"
# A path that is no feed is logged: the access log is on.
fetch_site "$site/robots.txt" >/dev/null

# dosed stopped: nginx cannot reach it, which its error log would quote.
stop_dosed
verdict $? "dosed stops with status 0"
code=$(fetch_site "$site$feed_path")
[ "$code" = 502 ]
verdict $? "with dosed stopped, the feed gets 502 from nginx"
fetch_site "$site$clinic_path" >/dev/null
fetch_site "http://dosed.example.org:$http_port$clinic_path" >/dev/null
stop_nginx

leaked=$(tokens_in_logs)
grep -q '/robots.txt' "$E2E_TMP/nginx/logs/access.log" && [ -z "$leaked" ]
status=$?
[ $status -eq 0 ] || diag_if_failed "$leaked" "$(cat "$E2E_TMP/nginx/logs/access.log")"
verdict $status "no token in nginx's logs (its access log is on for other paths)"

# ---- the control: the README's old block -------------------------------

# The same checks with the block as the README had it before: a plain
# proxy_pass for each location.  The token must show, or the check above
# could not fail.
cat >"$E2E_TMP/old.conf" <<'EOF'
server {
    listen 443 ssl;
    server_name dosed.example.org;
    ssl_certificate     /etc/letsencrypt/live/dosed.example.org/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/dosed.example.org/privkey.pem;
    location /feeds/  { proxy_pass http://127.0.0.1:8645; }
    location /clinic/ { proxy_pass http://127.0.0.1:8645; }
}
server {
    listen 80;
    return 404;
}
EOF
rm -f "$E2E_TMP/nginx/logs/"*.log
if start_nginx "$E2E_TMP/old.conf"; then
	fetch_site "https://dosed.example.org:$https_port$feed_path" >/dev/null
	stop_nginx
	grep -q "$patient_token" "$E2E_TMP/nginx/logs/access.log" &&
		grep -q "$patient_token" "$E2E_TMP/nginx/logs/error.log"
	verdict $? "control: with the old block the token is in nginx's access and error logs"
else
	not_ok "control: nginx starts with the old block"
fi
