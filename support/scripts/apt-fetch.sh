#!/bin/sh
# apt-fetch.sh: download one Debian package, binary or source, into the
# download cache, as an ordinary user, through apt with a private state
# directory.
#
#   apt-fetch.sh DL_DIR SUITE ARCH PACKAGE           a binary package (.deb)
#   apt-fetch.sh DL_DIR SUITE ARCH PACKAGE source    a source package (.dsc + tarballs)
#
# apt verifies the archive's InRelease signature against the host's
# debian-archive-keyring and each file against the signed Packages or Sources
# index, so what lands in DL_DIR/PACKAGE/ is what Debian published.  The result
# is recorded in DL_DIR/PACKAGE/PACKAGE.SUITE.info (name, version, suite, file,
# sha256; for a source package FILE is the .dsc and FILES lists every file,
# whose sha256 are in DL_DIR/PACKAGE/PACKAGE.SUITE.sha256) and reused without
# any network access on later runs.  Concurrent runs (make -j, two builds
# sharing dl/) take turns on the shared apt state.  Source packages have an
# apt state of their own (DL_DIR/.apt/SUITE-source, deb-src only), so the
# binary one and its index are the same as without them.
set -eu

die() {
	echo "ingot: error: $*" >&2
	exit 1
}

[ $# -eq 4 ] || { [ $# -eq 5 ] && [ "$5" = source ]; } ||
	die "usage: apt-fetch.sh DL_DIR SUITE ARCH PACKAGE [source]"
dl=$1 suite=$2 arch=$3 pkg=$4 kind=${5:-binary}
info=$dl/$pkg/$pkg.$suite.info

# cached: is what $info records all there?
cached() {
	[ -f "$info" ] || return 1
	FILES=
	. "$info"
	[ "$SUITE" = "$suite" ] && [ -f "$dl/$pkg/$FILE" ] || return 1
	for f in $FILES; do
		[ -f "$dl/$pkg/$f" ] || return 1
	done
	[ "$kind" = binary ] || [ -f "$dl/$pkg/$pkg.$suite.sha256" ]
}
cached && exit 0

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "'$keyring' is missing; run ./install-deps.sh"
mirror=$(dirname "$0")/apt-mirror.sh
mirror=$("$mirror") || exit 1

if [ "$kind" = source ]; then
	state=$dl/.apt/$suite-source
else
	state=$dl/.apt/$suite
fi
mkdir -p "$state"
exec 9>"$state/lock"
flock 9 || die "cannot lock '$state/lock'"
# Another run may have fetched it while this one waited.
cached && exit 0
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc/preferences.d" \
	"$state/etc/apt.conf.d" "$dl/$pkg"
if [ "$kind" = source ]; then
	echo "deb-src [signed-by=$keyring] $mirror $suite main"
else
	echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main"
fi >"$state/etc/sources.list.new"
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

# candidate: the version apt would fetch, empty or "(none)" if the suite has none.
candidate() {
	if [ "$kind" = source ]; then
		# The newest of the suite's Sources stanzas for exactly this source
		# package (showsrc also lists those that build a binary of that name).
		apt apt-cache showsrc "$pkg" 2>/dev/null |
			awk -v p="$pkg" '/^Package: / { n = $2 } /^Version: / && n == p { print $2 }' |
			{
				best=
				while read -r v; do
					if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
						best=$v
					fi
				done
				echo "$best"
			}
	else
		apt apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^  Candidate: //p'
	fi
}

what=package
get="apt-get -q download"
if [ "$kind" = source ]; then
	what="source package"
	get="apt-get -q source --download-only --only-source"
fi

[ -f "$state/updated" ] || update
ver=$(candidate)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	update
	ver=$(candidate)
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "$what '$pkg' is not in Debian '$suite' ($mirror); check the package name in make menuconfig"

tmp=$dl/$pkg/.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
# shellcheck disable=SC2086 # $get is a command and its options
(cd "$tmp" && apt $get "$pkg=$ver" >"$state/download.log" 2>&1) || {
	update
	ver=$(candidate)
	rm -rf "$tmp" && mkdir -p "$tmp"
	# shellcheck disable=SC2086
	(cd "$tmp" && apt $get "$pkg=$ver" >"$state/download.log" 2>&1) ||
		die "download of $what '$pkg' $ver from '$mirror' failed: $(grep -m1 '^E:' "$state/download.log" | cut -c1-200)"
}
files=
if [ "$kind" = source ]; then
	file=$(cd "$tmp" && ls ./*.dsc 2>/dev/null | head -n 1)
	[ -n "$file" ] || die "download of $what '$pkg' $ver from '$mirror' left no .dsc file"
	files=$(cd "$tmp" && find . -maxdepth 1 -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ')
	files=${files% }
	# shellcheck disable=SC2086
	(cd "$tmp" && sha256sum $files) >"$tmp/.sha256"
else
	file=$(cd "$tmp" && ls ./*.deb | head -n 1)
fi
file=${file#./}
sha=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
# The files move in first, the record of them last: an interrupted run leaves
# no .info that points at a missing file.
for f in ${files:-$file}; do
	mv "$tmp/$f" "$dl/$pkg/$f"
done
[ "$kind" = binary ] || mv "$tmp/.sha256" "$dl/$pkg/$pkg.$suite.sha256"
rm -rf "$tmp"
{
	echo "NAME='$pkg'"
	echo "VERSION='$ver'"
	echo "SUITE='$suite'"
	echo "FILE='$file'"
	echo "SHA256='$sha'"
	[ "$kind" = binary ] || echo "FILES='$files'"
} >"$info.new"
mv "$info.new" "$info"
echo "ingot: fetched $what $pkg $ver ($suite)"
