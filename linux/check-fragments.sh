#!/bin/sh
# check-fragments.sh CONFIG FRAGMENT...: fail when a value a fragment asked for
# did not survive the kernel's Kconfig (usually a missing dependency).
set -eu
config=$1
shift
errs=$(for frag in "$@"; do
	grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$frag" | while IFS= read -r want; do
		sym=${want#"# "}
		sym=${sym%%[= ]*}
		case $want in
		"# "*) grep -q "^$sym=[ym]" "$config" || continue ;;
		*) grep -qxF "$want" "$config" && continue ;;
		esac
		got=$(grep -E "^$sym=|^# $sym is not set" "$config" || echo "absent")
		echo "ingot: error: kernel option '$want' from $(basename "$frag") did not survive (now: $got); add what it depends on to the fragment"
	done
done)
[ -z "$errs" ] || {
	printf '%s\n' "$errs" >&2
	exit 1
}
