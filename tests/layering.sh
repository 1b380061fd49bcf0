#!/usr/bin/env bash
# tests/layering.sh [TOP] - the #include lines of core/, cli/ and daemon/
# keep the layering of STYLE.md, printed as TAP lines:
#   - core/ includes only core/ headers: it knows nothing of its edges;
#   - cli/ and daemon/ include their own headers and core/'s, never each
#     other's;
#   - the modules' include graph has no cycle (systemd's CODING_STYLE): a
#     module is a .c and its .h (store.c, store.h); the files a module is
#     split into (store_load.c) and its private header (store_private.h)
#     belong to it.
# tests/run runs it once; it reads only the sources.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2

edges=$(mktemp "${TMPDIR:-/tmp}/dosed-layering.XXXXXX")
trap 'rm -f "$edges" "$edges.modules"' EXIT

# The module a file belongs to: dir/name for dir/name.c and dir/name.h;
# dir/name for dir/name_private.h; and for dir/name_part.c without a
# header of its own, the module of the longest dir/name... that has one.
module_of() {
	local dir=${1%/*} base=${1##*/}
	local name=${base%.*}
	name=${name%_private}
	local try=$name
	while [ ! -e "$dir/$try.h" ] && [[ $try == *_* ]]; do
		try=${try%_*}
	done
	[ -e "$dir/$try.h" ] && name=$try
	echo "$dir/$name"
}

# FILE INCLUDED -> the file "INCLUDED" names: beside FILE, else in core/
# (-Icore); else the folder that has it, to name a wrong include.
resolve() {
	local dir=${1%/*} other
	for other in "$dir" core cli daemon; do
		[ -e "$other/$2" ] && { echo "$other/$2"; return; }
	done
	echo "?/$2"
}

# One line per quoted include: FILE RESOLVED
for file in core/*.[ch] cli/*.[ch] daemon/*.[ch]; do
	[ -e "$file" ] || continue
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" |
	while read -r included; do
		echo "$file $(resolve "$file" "$included")"
	done
done >"$edges"

n=0 failed=0
check() { # DESCRIPTION PROBLEMS...: ok when there are none
	local description=$1
	shift
	n=$((n + 1))
	if [ $# -eq 0 ]; then
		echo "ok $n - $description"
	else
		failed=$((failed + 1))
		echo "not ok $n - $description"
		printf '#   %s\n' "$@"
	fi
}

problems() { # AWK-CONDITION: the include lines ($1 file, $2 included) it matches
	awk "$1 { print \$1 \" includes \" \$2 }" "$edges"
}
mapfile -t bad < <(problems '$1 ~ /^core\// && $2 !~ /^core\//')
check "core/ includes only core/ headers" "${bad[@]}"
mapfile -t bad < <(problems '$1 ~ /^cli\// && $2 !~ /^(cli|core)\//')
check "cli/ includes only its own and core/ headers" "${bad[@]}"
mapfile -t bad < <(problems '$1 ~ /^daemon\// && $2 !~ /^(daemon|core)\//')
check "daemon/ includes only its own and core/ headers" "${bad[@]}"

# The module graph, and a depth-first search for a cycle in it.
declare -A module
while read -r file included; do
	for f in "$file" "$included"; do
		[ -n "${module[$f]:-}" ] || module[$f]=$(module_of "$f")
	done
	echo "${module[$file]} ${module[$included]}"
done <"$edges" | awk '$1 != $2' | sort -u >"$edges.modules"
mapfile -t bad < <(awk '
	{ out[$1] = out[$1] " " $2; node[$1]; node[$2] }
	function visit(m,    next_list, count, i) {
		if (state[m] == 2) return 0
		if (state[m] == 1) {
			# m is on the path: the cycle is the path from m.
			cycle = m
			for (i = depth; i >= 1 && path[i] != m; i--) cycle = path[i] " -> " cycle
			cycle = m " -> " cycle
			return 1
		}
		state[m] = 1
		path[++depth] = m
		count = split(out[m], next_list, " ")
		for (i = 1; i <= count; i++)
			if (visit(next_list[i])) return 1
		depth--
		state[m] = 2
		return 0
	}
	END {
		for (m in node)
			if (visit(m)) { print "cycle: " cycle; exit }
	}' "$edges.modules")
rm -f "$edges.modules"
check "the modules include each other one way (no cycle)" "${bad[@]}"

echo "1..$n"
[ "$failed" -eq 0 ]
