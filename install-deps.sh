#!/bin/sh
# install-deps.sh: install the Debian host packages ingot needs to build its
# images and run its tests.  The only step of ingot that needs root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list=${INGOT_HOST_DEPS:-$here/support/host-deps}

usage() {
	cat <<USAGE
usage: ./install-deps.sh [--check] [--help]

Installs the Debian packages listed in support/host-deps (building and testing).
Safe to run again: packages already there are left alone.

  --check   list what is missing, without root; exit 1 if anything is
  --help    this text
USAGE
}

missing() {
	grep -v '^#' "$list" | while read -r pkg _ file; do
		[ -n "$pkg" ] || continue
		[ -e "$file" ] || echo "$pkg"
	done
}

case "${1:-}" in
--help | -h)
	usage
	exit 0
	;;
--check)
	m=$(missing)
	if [ -n "$m" ]; then
		echo "missing host packages:" $m
		echo "run: sudo ./install-deps.sh"
		exit 1
	fi
	echo "all host packages are installed"
	exit 0
	;;
"") ;;
*)
	echo "install-deps.sh: error: unknown option '$1' (try --help)" >&2
	exit 2
	;;
esac

m=$(missing)
if [ -z "$m" ]; then
	echo "all host packages are installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: error: installing packages needs root; run: sudo ./install-deps.sh" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing:" $m
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $m
m=$(missing)
if [ -n "$m" ]; then
	echo "install-deps.sh: error: still missing after apt-get install:" $m >&2
	exit 1
fi
echo "all host packages are installed"
