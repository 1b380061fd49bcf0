#!/usr/bin/env bash
# trust_files.sh - files and permissions (issue 6, point 6; SPEC 5).
#
#  - personal mode: the database, its folder, -wal and -shm are the
#    patient's alone (0600, folder 0700), whatever the umask;
#  - system mode (as root, in a private mount namespace whose /etc and
#    /var/lib are overlays, so the machine is not touched): 0660 and group
#    dosed; staff in group dosed create it, dosed running as user dosed
#    serves it, and both share its -wal and -shm;
#  - a config or protocol file anyone may write, or a folder anyone may
#    write holding one, is refused, naming the file and the fix;
#  - the database is never created or opened through a symbolic link it
#    did not expect: at its path (dangling or not), or at -wal or -shm.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# shellcheck disable=SC2016 # single-quoted $ for the inner shells
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

at_time 2026-11-23T10:00:00Z
PROTOCOLS=$DOSED_TOP/conf/protocols.ini

mode_of() { stat -c %a "$1" 2>/dev/null; }
group_of() { stat -c %G "$1" 2>/dev/null; }

# ---- personal mode ----------------------------------------------------

# No [store] path: the default, $XDG_DATA_HOME/dosed/dosed.db (SPEC 6).
conf=$E2E_TMP/personal.conf
write_personal() { # PORT
	DB='' write_daemon_config "$1" "[reminders]" "enabled = false"
}
write_personal "$(random_port)"
pdb=$XDG_DATA_HOME/dosed/dosed.db
out=$( (umask 000 && "$DOSECTL" --config "$conf" enrol P1 --name "Pat One" \
	--protocol b12-standard --start 2026-11-23) 2>&1)
[ -f "$pdb" ] && [ "$(mode_of "$pdb")" = 600 ] &&
	[ "$(mode_of "$XDG_DATA_HOME/dosed")" = 700 ]
verdict $? "personal mode under umask 000: the database is 0600 and its folder 0700" \
	"$out" "database $(mode_of "$pdb"), folder $(mode_of "$XDG_DATA_HOME/dosed")"

# The daemon holds the database open, so -wal and -shm stay while
# dosectl writes beside it: both must be as private as the database.
# dosed as lib-daemon.sh starts it, under umask 000 (exec: the same process).
printf '#!/bin/sh\numask 000\nexec "%s" "$@"\n' "$DOSED" >"$E2E_TMP/dosed-umask-000"
chmod +x "$E2E_TMP/dosed-umask-000"
if DOSED=$E2E_TMP/dosed-umask-000 start_on_free_port write_personal; then
	out=$( (umask 000 && "$DOSECTL" --config "$conf" log P1) 2>&1)
	logged=$?
	[ $logged -eq 0 ] && [ "$(mode_of "$pdb-wal")" = 600 ] &&
		[ "$(mode_of "$pdb-shm")" = 600 ]
	verdict $? "personal mode: with dosed running, -wal and -shm are 0600 too" \
		"log: $logged $out" "-wal $(mode_of "$pdb-wal"), -shm $(mode_of "$pdb-shm")"
	stop_dosed
	verdict $? "personal mode: dosed stops cleanly"
else
	verdict 1 "personal mode: dosed starts on a free port" "$(tail -n 40 "$log")"
fi

# ---- system mode -------------------------------------------------------

# config.c decides system mode from the config's path: the file named
# SYSCONFDIR/dosed/dosed.conf (compiled in), given with --config or found
# there.  A private mount namespace with overlays on SYSCONFDIR and
# /var/lib gives a whole clinic machine (group, users, /etc/dosed,
# /var/lib/dosed) that vanishes with the namespace: nothing on the
# machine changes and no option exists only for tests.
sysconfdir=/etc
paths_file=$(dirname "$DOSECTL")/compiled-paths
if [ -f "$paths_file" ] && [[ $(cat "$paths_file") =~ SYSCONFDIR=([^ ]*) ]]; then
	sysconfdir=${BASH_REMATCH[1]}
fi
system_skip=
if [ "$(id -u)" != 0 ]; then
	system_skip="not root: groupadd, useradd and mount namespaces need root"
elif ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null ||
	! command -v groupadd >/dev/null || ! command -v useradd >/dev/null; then
	system_skip="unshare, setpriv, groupadd or useradd is missing"
elif [ ! -d "$sysconfdir" ]; then
	system_skip="$sysconfdir (SYSCONFDIR) does not exist to lay an overlay on"
elif ! unshare --mount --propagation private true 2>/dev/null; then
	system_skip="cannot make a mount namespace here"
fi

if [ -n "$system_skip" ]; then
	echo "ok - system mode: 0660 and group dosed # SKIP $system_skip"
else
	# What the other users run must be theirs to read: copies in a folder
	# open to all, reached through folders they may pass.
	pub=$E2E_TMP/pub
	mkdir -p "$pub"
	chmod 0711 "$E2E_TMP"
	chmod 0755 "$pub"
	cp "$DOSECTL" "$pub/dosectl"
	cp "$DOSED" "$pub/dosed"
	cp "$PROTOCOLS" "$pub/protocols.ini"
	chmod 0755 "$pub/dosectl" "$pub/dosed"
	chmod 0644 "$pub/protocols.ini"
	# Under the sanitizers, LeakSanitizer's suppressions too.
	lsan=${LSAN_OPTIONS-}
	if [[ $lsan =~ suppressions=([^:]*) ]] && [ -f "${BASH_REMATCH[1]}" ]; then
		cp "${BASH_REMATCH[1]}" "$pub/lsan.supp"
		chmod 0644 "$pub/lsan.supp"
		lsan=${lsan/"suppressions=${BASH_REMATCH[1]}"/suppressions=$pub/lsan.supp}
	fi
	cat >"$E2E_TMP/system.sh" <<'INNER'
# Runs as root inside `unshare --mount`: $1 scratch folder, $2 SYSCONFDIR,
# $3 the public folder with the binaries, $4 LSAN_OPTIONS, $5 a port.
# verdict and diag: lib.sh's, exported to this shell.
set -u
scratch=$1 sysconfdir=$2 pub=$3 lsan=$4 port=$5
overlay() { # FOLDER NAME
	mkdir -p "$scratch/$2-up" "$scratch/$2-work" &&
		mount -t overlay "dosed-test-$2" \
			-o "lowerdir=$1,upperdir=$scratch/$2-up,workdir=$scratch/$2-work" "$1"
}
if ! overlay "$sysconfdir" etc 2>/dev/null || ! overlay /var/lib var 2>/dev/null; then
	echo "ok - system mode: 0660 and group dosed # SKIP overlay mounts are not allowed here"
	exit 0
fi
# From here on every change lands in the overlays.
getent group dosed >/dev/null || groupadd --system dosed || exit 1
getent passwd dosed >/dev/null ||
	useradd --system --gid dosed --no-create-home --home-dir /var/lib/dosed \
		--shell /usr/sbin/nologin dosed || exit 1
staff=dosed-test-staff
useradd --no-create-home --home-dir /nonexistent --groups dosed --shell /bin/sh "$staff" ||
	exit 1
mkdir -p "$sysconfdir/dosed"
conf=$sysconfdir/dosed/dosed.conf
cat >"$conf" <<EOF
[feed]
listen = 127.0.0.1:$port
base_url = http://127.0.0.1:$port
[reminders]
enabled = false
[protocols]
paths = $pub/protocols.ini
EOF
chmod 0644 "$conf"
db=/var/lib/dosed/dosed.db
# as USER COMMAND...: as that user with their groups, in a clean env.
as_user() { # USER: the command prefix, in the array AS
	AS=(setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups
		env -i PATH=/usr/bin:/bin HOME=/nonexistent TZ=UTC LC_ALL=C.UTF-8
		DOSED_NOW="$DOSED_NOW" LSAN_OPTIONS="$lsan"
		ASAN_OPTIONS="${ASAN_OPTIONS-}" UBSAN_OPTIONS="${UBSAN_OPTIONS-}")
}
as() {
	as_user "$1"
	shift
	"${AS[@]}" "$@"
}
describe() { stat -c '%n %a %U:%G' "$@" 2>&1; }
dosed_pid=
start_dosed() { # USER: dosed -c the system file, as USER; 0 when serving
	: >"$scratch/dosed.log"
	# Not through a function: $! must be dosed itself (setpriv and env
	# exec it), so that stop_dosed signals dosed.
	as_user "$1"
	"${AS[@]}" "$pub/dosed" -c "$conf" -v 2>>"$scratch/dosed.log" &
	dosed_pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q "serving feeds on" "$scratch/dosed.log" && return 0
		kill -0 "$dosed_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
stop_dosed() {
	[ -n "$dosed_pid" ] || return 0
	kill -TERM "$dosed_pid" 2>/dev/null
	wait "$dosed_pid"
	dosed_pid=
}
trap stop_dosed EXIT

# 1. root, the first time, before any tmpfiles.d ran: no /var/lib/dosed.
out=$("$pub/dosectl" --config "$conf" enrol S1 --name "Sam One" --protocol b12-standard \
	--start 2026-11-23 2>&1)
[ $? -eq 0 ] && [ "$(stat -c %a "$db")" = 660 ] && [ "$(stat -c %G "$db")" = dosed ]
verdict $? "system mode, root, no /var/lib/dosed yet: the database is 0660 group dosed" \
	"$out" "$(describe "$db")"

if start_dosed root; then
	out=$("$pub/dosectl" --config "$conf" log S1 2>&1)
	[ $? -eq 0 ] &&
		[ "$(stat -c '%a %G' "$db-wal" "$db-shm" | sort -u)" = "660 dosed" ]
	verdict $? "system mode, root: -wal and -shm are 0660 group dosed too" \
		"$out" "$(describe "$db" "$db-wal" "$db-shm")"
else
	verdict 1 "system mode, root: dosed starts" "$(cat "$scratch/dosed.log")"
fi
stop_dosed

# 2. The clinic as issue 5 sets it up: /var/lib/dosed 2770 dosed:dosed
# (tmpfiles.d), a staff member enrols first, dosed runs as user dosed.
rm -rf /var/lib/dosed
install -d -m 2770 -o dosed -g dosed /var/lib/dosed
out=$(as "$staff" "$pub/dosectl" --config "$conf" enrol S2 --name "Sam Two" \
	--protocol b12-standard --start 2026-11-23 2>&1)
[ $? -eq 0 ] && [ "$(stat -c '%a %U:%G' "$db")" = "660 $staff:dosed" ]
verdict $? "system mode, staff in group dosed: creates the database 0660 group dosed" \
	"$out" "$(describe "$db")"
if start_dosed dosed; then
	out=$(as "$staff" "$pub/dosectl" --config "$conf" log S2 2>&1)
	status=$?
	[ $status -eq 0 ] &&
		[ "$(stat -c '%a %G' "$db-wal" "$db-shm" | sort -u)" = "660 dosed" ]
	verdict $? "system mode: dosed as user dosed and staff share -wal and -shm (0660 group dosed)" \
		"log: $status $out" "$(describe "$db" "$db-wal" "$db-shm")"
	url=$(as "$staff" "$pub/dosectl" --config "$conf" feed S2 2>&1 |
		grep -o 'http://[^ ]*\.ics' | head -n 1)
	code=$(curl -s -o "$scratch/feed" -w '%{http_code}' --max-time 10 "$url")
	[ "$code" = 200 ] && grep -q 'Sam Two' "$scratch/feed"
	verdict $? "system mode: dosed as user dosed serves the staff member's patient" \
		"url ${url:-none}: $code"
else
	verdict 1 "system mode: dosed starts as user dosed" "$(cat "$scratch/dosed.log")"
fi
stop_dosed
# Anyone outside the group gets nothing.
out=$(as nobody "$pub/dosectl" --config "$conf" patients 2>&1)
[ $? -ne 0 ]
verdict $? "system mode: a user outside group dosed cannot read the database" "$out"

# Someone outside the group cannot give a file to it: a clinic-mode
# database they make elsewhere keeps their own group rather than failing.
install -d -m 0700 -o nobody "$scratch/nobody"
out=$(as nobody "$pub/dosectl" --config "$conf" --db "$scratch/nobody/dosed.db" enrol N1 \
	--name "Nobody's" --protocol b12-standard --start 2026-11-23 2>&1)
[ $? -eq 0 ] &&
	[ "$(stat -c '%a %G' "$scratch/nobody/dosed.db")" = "660 $(id -gn nobody)" ]
verdict $? "system mode, a user outside group dosed: 0660 with their own group" \
	"$out" "$(describe "$scratch/nobody/dosed.db")"

# 3. A machine without the group: 0660 all the same, the group the
# creator's (nothing better exists to give it to).
rm -rf /var/lib/dosed
userdel "$staff"
userdel dosed
getent group dosed >/dev/null && groupdel dosed
if getent group dosed >/dev/null; then
	verdict 1 "system mode without a dosed group: set up" "groupdel dosed failed"
else
	out=$("$pub/dosectl" --config "$conf" enrol S3 --name "Sam Three" \
		--protocol b12-standard --start 2026-11-23 2>&1)
	[ $? -eq 0 ] && [ "$(stat -c '%a %G' "$db")" = "660 root" ]
	verdict $? "system mode without a dosed group: 0660, the creator's group" \
		"$out" "$(describe "$db")"
fi
INNER
	machine_state() {
		ls -la "$sysconfdir/dosed" /var/lib/dosed 2>&1
		getent group dosed
		getent passwd dosed dosed-test-staff
	}
	machine_state >"$E2E_TMP/machine-before"
	sys_port=$(random_port)
	export -f verdict diag
	export E2E_DIAG
	unshare --mount --propagation private \
		bash "$E2E_TMP/system.sh" "$E2E_TMP/system" "$sysconfdir" "$pub" "$lsan" \
		"$sys_port"
	verdict $? "system mode checks ran to the end"
	# The namespace is gone: none of it reached the machine.
	machine_state >"$E2E_TMP/machine-after"
	cmp -s "$E2E_TMP/machine-before" "$E2E_TMP/machine-after"
	verdict $? "system mode left the machine's users, $sysconfdir/dosed and /var/lib/dosed as they were" \
		"$(diff "$E2E_TMP/machine-before" "$E2E_TMP/machine-after")"
fi

# ---- config and protocol files anyone may write ------------------------

wconf=$E2E_TMP/ww/dosed.conf
mkdir -p "$E2E_TMP/ww"
cp "$E2E_CONF" "$wconf"
chmod 0644 "$wconf"
run_dosectl_bare --config "$wconf" --db "$DB" protocols
expect_status 0 "a config only its owner may write is read"

# refused_with NAME ERE ARGS...: dosectl ARGS exits 1 with one error line
# matching ERE (which names the file and the fix).
refused_with() {
	local name=$1 ere=$2
	shift 2
	run_dosectl_bare "$@"
	expect_status 1 "$name: exit status 1"
	expect_one_error_line "$name: one error line naming the file and the fix" "$ere"
}
chmod 0666 "$wconf"
refused_with "a world-writable config" "$wconf is writable by every user.*chmod o-w $wconf" \
	--config "$wconf" --db "$DB" protocols
! out=$("$DOSED" -c "$wconf" --check-config 2>&1) &&
	[[ $out == *"$wconf is writable by every user"*"chmod o-w"* ]]
verdict $? "dosed --check-config refuses a world-writable config too" "$out"
chmod 0644 "$wconf"

chmod 0777 "$E2E_TMP/ww"
refused_with "a config in a world-writable folder" \
	"folder $E2E_TMP/ww holding $wconf is writable by every user.*chmod o-w $E2E_TMP/ww" \
	--config "$wconf" --db "$DB" protocols
# The sticky bit (as on /tmp) stops others replacing the owner's file.
chmod 1777 "$E2E_TMP/ww"
run_dosectl_bare --config "$wconf" --db "$DB" protocols
expect_status 0 "a config of one's own in a sticky world-writable folder (like /tmp) is read"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$wconf"
	refused_with "another user's config in a sticky world-writable folder" \
		"$wconf is in the shared folder.*belongs to another user" \
		--config "$wconf" --db "$DB" protocols
	chown 0 "$wconf"
else
	echo "ok - another user's config in a sticky folder # SKIP needs root to give the file away"
fi
chmod 0700 "$E2E_TMP/ww"

# Protocol files: the built-in catalogue's copy, a protocols.d folder.
pdir=$E2E_TMP/proto
mkdir -p "$pdir/protocols.d"
cp "$PROTOCOLS" "$pdir/protocols.ini"
chmod 0644 "$pdir/protocols.ini"
cat >"$E2E_TMP/proto.conf" <<EOF
[protocols]
paths = $pdir/protocols.ini, $pdir/protocols.d
EOF
chmod 0600 "$E2E_TMP/proto.conf"
run_dosectl_bare --config "$E2E_TMP/proto.conf" --db "$DB" protocols
expect_status 0 "protocol files only their owner may write are read"
chmod 0666 "$pdir/protocols.ini"
refused_with "a world-writable protocols file" \
	"$pdir/protocols.ini is writable by every user.*chmod o-w" \
	--config "$E2E_TMP/proto.conf" --db "$DB" protocols
! out=$("$DOSED" -c "$E2E_TMP/proto.conf" --check-config 2>&1) &&
	[[ $out == *"$pdir/protocols.ini is writable by every user"* ]]
verdict $? "dosed --check-config refuses a world-writable protocols file too" "$out"
chmod 0644 "$pdir/protocols.ini"
# An empty protocols.d anyone may write to: anyone could add a protocol.
chmod 1777 "$pdir/protocols.d"
refused_with "a world-writable protocols.d folder, even empty and sticky" \
	"folder $pdir/protocols.d is writable by every user.*chmod o-w" \
	--config "$E2E_TMP/proto.conf" --db "$DB" protocols
chmod 0755 "$pdir/protocols.d"
printf '[clinic-monthly]\ndrug = hydroxocobalamin\ndose = 1 mg\nroute = IM\nsource = clinic\nphase = m: every 1 month for life\n' \
	>"$pdir/protocols.d/clinic.ini"
chmod 0644 "$pdir/protocols.d/clinic.ini"
run_dosectl_bare --config "$E2E_TMP/proto.conf" --db "$DB" protocols clinic-monthly
expect_status 0 "a clinic protocol in protocols.d is read"
chmod 0646 "$pdir/protocols.d/clinic.ini"
refused_with "a world-writable file in protocols.d" \
	"$pdir/protocols.d/clinic.ini is writable by every user" \
	--config "$E2E_TMP/proto.conf" --db "$DB" protocols
chmod 0644 "$pdir/protocols.d/clinic.ini"
chmod 0777 "$pdir"
refused_with "a protocols file in a world-writable folder" \
	"folder $pdir holding $pdir/protocols.ini is writable by every user" \
	--config "$E2E_TMP/proto.conf" --db "$DB" protocols
chmod 0755 "$pdir"

# ---- symbolic links at the database's paths ------------------------------

links=$E2E_TMP/links
mkdir -p "$links"
enrol_at() { # DB: enrol a patient in DB
	run_dosectl_bare --config "$E2E_CONF" --db "$1" enrol L1 --name "Lee" \
		--protocol b12-standard --start 2026-11-23
}

ln -s "$links/elsewhere.db" "$links/dangling.db"
enrol_at "$links/dangling.db"
expect_status 1 "a dangling link at the database path: refused"
expect_one_error_line "... saying it is a symbolic link dosed does not follow" \
	"dangling.db is a symbolic link.*does not follow"
[ ! -e "$links/elsewhere.db" ] && [ ! -e "$links/elsewhere.db-wal" ]
verdict $? "... and nothing is created where it points"

printf 'my notes\n' >"$links/notes.txt"
ln -s "$links/notes.txt" "$links/to-notes.db"
enrol_at "$links/to-notes.db"
expect_status 1 "a link to another file at the database path: refused"
[ "$(cat "$links/notes.txt")" = "my notes" ] && [ ! -e "$links/notes.txt-wal" ] &&
	[ ! -e "$links/to-notes.db-wal" ]
verdict $? "... and the file it points to is untouched"

: >"$links/empty.db"
ln -s "$links/empty.db" "$links/to-empty.db"
enrol_at "$links/to-empty.db"
expect_status 1 "a link to an empty file (which dosed would adopt): refused"
[ ! -s "$links/empty.db" ]
verdict $? "... and the empty file stays empty"

run_dosectl_bare --config "$E2E_CONF" --db "$links/real.db" enrol L1 --name "Lee" \
	--protocol b12-standard --start 2026-11-23
ln -s "$links/real.db" "$links/to-real.db"
db_dump "$links/real.db" "$E2E_TMP/real-before"
run_dosectl_bare --config "$E2E_CONF" --db "$links/to-real.db" log L1
expect_status 1 "a link to a dosed database: refused, not followed"
db_dump "$links/real.db" "$E2E_TMP/real-after"
cmp -s "$E2E_TMP/real-before" "$E2E_TMP/real-after"
verdict $? "... and that database is unchanged"

# -wal or -shm beside a database yet to be made belong to another one (or
# were planted): a new database is not started on top of them, and a link
# there must not take SQLite's writes.
ln -s "$links/wal-target" "$links/new.db-wal"
enrol_at "$links/new.db"
expect_status 1 "a link at DB-wal before the database exists: refused"
expect_one_error_line "... naming the file" "new.db-wal is there but the database"
[ ! -e "$links/wal-target" ] && [ ! -e "$links/new.db" ]
verdict $? "... and neither the database nor the link's target is created"
printf 'stale' >"$links/stale.db-wal"
enrol_at "$links/stale.db"
expect_status 1 "a leftover DB-wal of an older database: refused"
[ ! -e "$links/stale.db" ] && [ "$(cat "$links/stale.db-wal")" = stale ]
verdict $? "... and left as it was, no database created"

# A link at -shm (or -wal) beside an existing database, while nothing has
# it open: SQLite opens those with O_NOFOLLOW.
rm -f "$links/real.db-shm" "$links/real.db-wal"
ln -s "$links/shm-target" "$links/real.db-shm"
run_dosectl_bare --config "$E2E_CONF" --db "$links/real.db" log L1
expect_status 1 "a link at DB-shm beside an existing database: refused"
expect_one_error_line "... saying a symbolic link is in the way" "symbolic link"
[ ! -e "$links/shm-target" ]
verdict $? "... and nothing is created where it points"
rm -f "$links/real.db-shm" "$links/real.db-wal"
ln -s "$links/wal-target2" "$links/real.db-wal"
run_dosectl_bare --config "$E2E_CONF" --db "$links/real.db" log L1
expect_status 1 "a link at DB-wal beside an existing database: refused"
[ ! -e "$links/wal-target2" ]
verdict $? "... and nothing is created where it points"
rm -f "$links/real.db-wal"

# The daemon opens the store the same way.
conf=$E2E_TMP/link-dosed.conf DB=$links/dangling.db \
	write_daemon_config "$(random_port)" "[reminders]" "enabled = false"
out=$(timeout 20 "$DOSED" -c "$E2E_TMP/link-dosed.conf" 2>&1)
status=$?
[ $status -ne 0 ] && [ $status -ne 124 ] && [[ $out == *"symbolic link"* ]] &&
	[ ! -e "$links/elsewhere.db" ]
verdict $? "dosed refuses to start on a dangling link at the database path" \
	"status $status: $out"

# Links in the folders above are the user's own arrangement (a home
# folder moved to another disk): they are followed.
mkdir -p "$links/disk/data"
ln -s "$links/disk/data" "$links/data"
run_dosectl_bare --config "$E2E_CONF" --db "$links/data/dosed.db" enrol L2 --name "Lou" \
	--protocol b12-standard --start 2026-11-23
expect_status 0 "a database in a folder reached through a link is created"
[ -f "$links/disk/data/dosed.db" ] && [ "$(mode_of "$links/disk/data/dosed.db")" = 600 ]
verdict $? "... in the real folder, 0600"
