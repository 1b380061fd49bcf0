# shellcheck shell=bash
# tests/system/container.sh - a Debian root booted by a real systemd, for
# tests/system/run (sourced).  TESTING-NOTES has the facts behind each step.
#
#   container_make_root ROOT PACKAGES...  mmdebstrap a minbase root of this
#                                         machine's release, from apt's own
#                                         mirrors; ROOTFS_CACHE=DIR keeps it
#   container_boot                        boot $CT_ROOT; 0 once systemd says
#                                         the boot is done ($CT_PID1 is set)
#   ct [SYSTEMD-RUN OPTION...] -- SCRIPT [ARG...]
#                                         SCRIPT run by bash inside, as a
#                                         transient unit; its output and status
#   container_reboot, container_poweroff  and wait for systemd-nspawn to end
#   container_cleanup                     whatever is left, from the EXIT trap
#
# The caller sets CT_WORK (a folder of its own), CT_ROOT and CT_MACHINE.

CT_PID1=
CT_NSPAWN=
CT_STEP=0
# How long one command inside may take (each takes a second or two): a
# unit that never sends READY=1 holds `systemctl start` for its 90 s start
# timeout.
CT_TIMEOUT=${CT_TIMEOUT:-30}

# The mirror lines apt uses here for SUITE and its -updates and -security,
# one "deb URI SUITE COMPONENTS" a line: the root comes from where this
# machine's own packages come from.
container_mirrors() {
	local suite=$1
	# shellcheck disable=SC2016 # apt's fields, not the shell's
	apt-get indextargets --no-release-info \
		--format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
		awk -v suite="$suite" '$1 == "deb" && ($3 == suite || index($3, suite "-") == 1) {
			key = $2 " " $3
			if (!(key in comps)) { order[++n] = key; comps[key] = $4 }
			else if (index(" " comps[key] " ", " " $4 " ") == 0) comps[key] = comps[key] " " $4
		} END { for (i = 1; i <= n; i++) print "deb " order[i] " " comps[order[i]] }'
}

# container_make_root ROOT PACKAGES...: 0 when ROOT holds a minbase root of
# this machine's release with PACKAGES; the log is $CT_WORK/mmdebstrap.log.
container_make_root() {
	local root=$1 suite key cache='' status
	shift
	# shellcheck disable=SC1091
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	local -a mirrors
	mapfile -t mirrors < <(container_mirrors "$suite")
	if [ -z "$suite" ] || [ ${#mirrors[@]} -eq 0 ]; then
		echo "apt's sources name no mirror of this machine's release (${suite:-no VERSION_CODENAME in /etc/os-release})" \
			>"$CT_WORK/mmdebstrap.log"
		return 1
	fi
	if [ -n "${ROOTFS_CACHE:-}" ]; then
		# The same release, mirrors and packages: the same root.
		key=$(printf '%s\n' "$suite" "${mirrors[@]}" "$@" | sha256sum | cut -c1-16)
		cache=$ROOTFS_CACHE/dosed-system-$suite-$key.tar
		if [ -f "$cache" ]; then
			mkdir -p "$root"
			tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$cache" \
				>"$CT_WORK/mmdebstrap.log" 2>&1
			return
		fi
	fi
	mmdebstrap --variant=minbase --include="$(printf '%s\n' "$@" | paste -sd, -)" \
		"$suite" "$root" "${mirrors[@]}" >"$CT_WORK/mmdebstrap.log" 2>&1 &
	CT_MMDEBSTRAP=$!
	wait "$CT_MMDEBSTRAP"
	status=$?
	CT_MMDEBSTRAP=
	[ "$status" -eq 0 ] || return "$status"
	if [ -n "$cache" ]; then
		mkdir -p "$ROOTFS_CACHE" &&
			tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' \
				-cf "$cache.part" . && mv "$cache.part" "$cache"
	fi
}

# ct [SYSTEMD-RUN OPTION...] -- SCRIPT [ARG...]: run SCRIPT with bash in the
# container as a transient unit (a bare nsenter process would stay in the
# host's cgroup), its output piped back, its exit status returned.  SCRIPT
# goes through a file in the root, not the command line, where systemd
# would expand ${...} itself.
ct() {
	local -a options=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	local script=$1
	shift
	CT_STEP=$((CT_STEP + 1))
	printf '%s\n' "$script" >"$CT_ROOT/opt/dosed-tests/step-$CT_STEP.sh"
	# The unit's own time limit: its processes hold the output (--pipe),
	# so a timeout around nsenter or systemd-run would leave the output open
	# and the caller waiting, while the unit's end takes all of them.
	nsenter -t "$CT_PID1" -a systemd-run --quiet --wait --pipe --collect \
		-p RuntimeMaxSec="$CT_TIMEOUT" -p TimeoutStopSec=5 "${options[@]}" -- \
		/bin/bash "/opt/dosed-tests/step-$CT_STEP.sh" "$@" </dev/null
}

# container_boot: systemd-nspawn -b in the background; 0 once the
# container's systemd says the boot is done (running, or degraded).
container_boot() {
	local child state
	mkdir -p "$CT_ROOT/opt/dosed-tests"
	chmod 755 "$CT_ROOT/opt/dosed-tests"
	systemd-nspawn -b -D "$CT_ROOT" -M "$CT_MACHINE" --register=no --keep-unit \
		--private-network --console=read-only </dev/null >>"$CT_WORK/console.log" 2>&1 &
	CT_NSPAWN=$!
	CT_PID1=
	# PID 1 is the child of systemd-nspawn once it has become systemd:
	# nothing announces it, so look, for at most 30 s.
	for _ in $(seq 300); do
		kill -0 "$CT_NSPAWN" 2>/dev/null || return 1
		# shellcheck disable=SC2013 # the file is a list of words
		for child in $(cat /proc/"$CT_NSPAWN"/task/*/children 2>/dev/null); do
			[ "$(cat /proc/"$child"/comm 2>/dev/null)" = systemd ] && CT_PID1=$child
		done
		[ -n "$CT_PID1" ] && break
		sleep 0.1
	done
	[ -n "$CT_PID1" ] || return 1
	# Its manager takes a moment to listen: until then systemctl cannot
	# connect, and says so at once.
	for _ in $(seq 100); do
		state=$(nsenter -t "$CT_PID1" -a timeout 120 systemctl is-system-running --wait 2>/dev/null)
		case $state in
		running | degraded) return 0 ;;
		starting | initializing | "") sleep 0.1 ;;
		*) return 1 ;;
		esac
	done
	return 1
}

# container_wait_end SECONDS: wait for systemd-nspawn to end; its status
# (133 after a reboot, 0 after a poweroff), or 124 when it took too long.
container_wait_end() {
	local seconds=$1 status
	# bash reaps its children as they end, so tail sees this one go.
	timeout "$seconds" tail --pid="$CT_NSPAWN" -s 0.1 -f /dev/null
	if kill -0 "$CT_NSPAWN" 2>/dev/null; then
		# PID 1 first: its end takes every process of the container.
		[ -n "$CT_PID1" ] && kill -KILL "$CT_PID1" 2>/dev/null
		kill -KILL "$CT_NSPAWN" 2>/dev/null
		wait "$CT_NSPAWN" 2>/dev/null
		status=124
	else
		wait "$CT_NSPAWN"
		status=$?
	fi
	CT_NSPAWN='' CT_PID1=
	return "$status"
}

container_reboot() {
	nsenter -t "$CT_PID1" -a systemctl reboot >/dev/null 2>&1
	container_wait_end 60
	[ $? -eq 133 ] || return 1
	container_boot
}

container_poweroff() {
	nsenter -t "$CT_PID1" -a systemctl poweroff >/dev/null 2>&1
	container_wait_end 60
}

# From the EXIT trap, whatever happened: the container off (asked, then
# told), mmdebstrap stopped, whatever mmdebstrap left mounted in the root
# unmounted, systemd-nspawn's folder for the machine and $CT_WORK gone.
container_cleanup() {
	if [ -n "${CT_NSPAWN:-}" ] && kill -0 "$CT_NSPAWN" 2>/dev/null; then
		[ -n "$CT_PID1" ] && timeout 10 nsenter -t "$CT_PID1" -a systemctl poweroff \
			>/dev/null 2>&1
		# systemd-nspawn takes SIGTERM as "power off" too.
		kill -TERM "$CT_NSPAWN" 2>/dev/null
		container_wait_end 30
	fi
	if [ -n "${CT_MMDEBSTRAP:-}" ] && kill -0 "$CT_MMDEBSTRAP" 2>/dev/null; then
		kill -TERM "$CT_MMDEBSTRAP" 2>/dev/null
		wait "$CT_MMDEBSTRAP" 2>/dev/null
	fi
	if [ -n "${CT_WORK:-}" ] && [ -d "$CT_WORK" ]; then
		findmnt -rno TARGET | grep -F "$CT_WORK/" | sort -r | while read -r mount; do
			umount -l "$mount"
		done
		rm -rf --one-file-system "$CT_WORK"
	fi
	[ -n "${CT_MACHINE:-}" ] && rm -rf "/run/systemd/nspawn/propagate/$CT_MACHINE"
	return 0
}
