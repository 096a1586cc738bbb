#!/bin/sh
# apt-mirror.sh: print the URI of the Debian archive this machine's apt uses.
#
# The mirror is never written into the repository: it is read from the host's
# apt sources (one-line and deb822 formats), taking the first entry whose suite
# is a plain Debian release name (not -security, -updates or -backports) and
# whose URI path ends in /debian.  Override with INGOT_DEBIAN_MIRROR.
set -eu

if [ -n "${INGOT_DEBIAN_MIRROR:-}" ]; then
	printf '%s\n' "${INGOT_DEBIAN_MIRROR%/}"
	exit 0
fi

etc=$(apt-config shell D Dir::Etc/d 2>/dev/null | sed -n "s/^D='\(.*\)'$/\1/p")
: "${etc:=/etc/apt/}"
files=$(ls "$etc"sources.list "$etc"sources.list.d/*.list "$etc"sources.list.d/*.sources 2>/dev/null || true)

# shellcheck disable=SC2086
uri=$(awk '
	function debian(u) { sub(/\/+$/, "", u); return u ~ /\/debian$/ }
	FILENAME != last { flush(); last = FILENAME }
	FILENAME ~ /\.sources$/ {
		if ($0 ~ /^[ \t]*$/) { flush(); next }
		if ($1 == "URIs:") { for (i = 2; i <= NF; i++) uris[++nu] = $i }
		if ($1 == "Suites:") { for (i = 2; i <= NF; i++) if ($i !~ /-/) plain = 1 }
		if ($1 == "Types:") { for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1 }
		next
	}
	/^[ \t]*deb[ \t]/ {
		n = 2; if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
		if ($(n + 1) !~ /-/ && debian($n)) { u = $n; sub(/\/+$/, "", u); print u; exit }
	}
	function flush(   i) {
		if (isdeb && plain) for (i = 1; i <= nu; i++) if (debian(uris[i])) {
			u = uris[i]; sub(/\/+$/, "", u); print u; exit
		}
		nu = 0; plain = 0; isdeb = 0
	}
	END { flush() }
' $files 2>/dev/null | head -n 1)

if [ -z "$uri" ]; then
	echo "ingot: error: no Debian mirror found in the host's apt sources; set INGOT_DEBIAN_MIRROR (make menuconfig)" >&2
	exit 1
fi
printf '%s\n' "$uri"
