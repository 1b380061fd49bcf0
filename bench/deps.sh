#!/bin/sh
# Install what make bench needs (scripts/install-deps: wrk and nginx among
# the rest).  Installing Debian's nginx package starts nginx on port 80 where
# no policy-rc.d forbids it: when this run installed it, stop that service
# again (and keep it from starting at boot), since the benchmark runs its own
# nginx on a loopback port and a web server nobody asked for must not stay.
set -eu
had_nginx=$(dpkg-query -W -f='${db:Status-Status}' nginx 2>/dev/null || true)
"$(dirname "$0")/../scripts/install-deps"
[ "$had_nginx" = installed ] && exit 0
command -v systemctl >/dev/null 2>&1 || exit 0
if systemctl is-active --quiet nginx 2>/dev/null; then
	[ "$(id -u)" -eq 0 ] && sudo= || sudo=sudo
	echo "bench: the nginx package just installed started nginx on port 80; stopping it"
	$sudo systemctl stop nginx
	$sudo systemctl disable --quiet nginx || true
fi
