#!/bin/sh
# apt-fetch.sh: download one Debian binary package into the download cache,
# as an ordinary user, through apt with a private state directory.
#
#   apt-fetch.sh DL_DIR SUITE ARCH PACKAGE
#
# apt verifies the archive's InRelease signature against the host's
# debian-archive-keyring and the .deb against the signed Packages index, so
# what lands in DL_DIR/PACKAGE/ is what Debian published.  The result is
# recorded in DL_DIR/PACKAGE/PACKAGE.SUITE.info (version, file, sha256, suite)
# and reused without any network access on later runs.  Concurrent runs (make
# -j, two builds sharing dl/) take turns on the shared apt state.
set -eu

die() {
	echo "ingot: error: $*" >&2
	exit 1
}

[ $# -eq 4 ] || die "usage: apt-fetch.sh DL_DIR SUITE ARCH PACKAGE"
dl=$1 suite=$2 arch=$3 pkg=$4
info=$dl/$pkg/$pkg.$suite.info

if [ -f "$info" ]; then
	. "$info"
	[ "$SUITE" = "$suite" ] && [ -f "$dl/$pkg/$FILE" ] && exit 0
fi

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "'$keyring' is missing; run ./install-deps.sh"
mirror=$(dirname "$0")/apt-mirror.sh
mirror=$("$mirror") || exit 1

state=$dl/.apt/$suite
mkdir -p "$state"
exec 9>"$state/lock"
flock 9 || die "cannot lock '$state/lock'"
# Another run may have fetched it while this one waited.
if [ -f "$info" ]; then
	. "$info"
	[ -f "$dl/$pkg/$FILE" ] && exit 0
fi
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc/preferences.d" \
	"$state/etc/apt.conf.d" "$dl/$pkg"
echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >"$state/etc/sources.list.new"
if ! cmp -s "$state/etc/sources.list.new" "$state/etc/sources.list"; then
	mv "$state/etc/sources.list.new" "$state/etc/sources.list"
	rm -f "$state/updated"
else
	rm -f "$state/etc/sources.list.new"
fi

apt() {
	"$@" -o Dir::State="$state" -o Dir::State::status=/dev/null -o Dir::Cache="$state" \
		-o Dir::Etc::sourcelist="$state/etc/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::Etc::preferencesparts="$state/etc/preferences.d" \
		-o Dir::Etc::parts="$state/etc/apt.conf.d" -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un 2>/dev/null || echo root)" \
		-o Acquire::Languages=none -o Acquire::Retries=2 -o Acquire::http::Timeout=20 \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch"
}

update() {
	log=$state/update.log
	# apt-get update exits 0 when an index cannot be fetched: its "W: Failed to
	# fetch" says so.  (An "Err:" alone may be a compressed variant apt fell back from.)
	if ! apt apt-get -q update >"$log" 2>&1 || grep -q '^\(E:\|W: Failed to fetch\)' "$log"; then
		why=$(grep -m1 '^\(E:\|W: Failed to fetch\)' "$log" | cut -c1-200)
		die "cannot fetch the '$suite' index from the Debian mirror '$mirror' (${why:-see $log}); check the network, or set INGOT_DEBIAN_MIRROR (make menuconfig)"
	fi
	touch "$state/updated"
}

[ -f "$state/updated" ] || update
ver=$(apt apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^  Candidate: //p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	update
	ver=$(apt apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^  Candidate: //p')
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "package '$pkg' is not in Debian '$suite' ($mirror); check the package name in make menuconfig"

tmp=$dl/$pkg/.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
(cd "$tmp" && apt apt-get -q download "$pkg=$ver" >"$state/download.log" 2>&1) || {
	update
	ver=$(apt apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^  Candidate: //p')
	(cd "$tmp" && apt apt-get -q download "$pkg=$ver" >"$state/download.log" 2>&1) ||
		die "download of '$pkg' $ver from '$mirror' failed: $(grep -m1 '^E:' "$state/download.log" | cut -c1-200)"
}
file=$(cd "$tmp" && ls ./*.deb | head -n 1)
file=${file#./}
sha=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
mv "$tmp/$file" "$dl/$pkg/$file"
rm -rf "$tmp"
{
	echo "NAME='$pkg'"
	echo "VERSION='$ver'"
	echo "SUITE='$suite'"
	echo "FILE='$file'"
	echo "SHA256='$sha'"
} >"$info.new"
mv "$info.new" "$info"
echo "ingot: fetched $pkg $ver ($suite)"
