#!/bin/sh
# The agent under valgrind through one API session (issue 6): built for the host with gcc -g -O1,
# run against a throwaway root tree (tests/data/inventory/build-machine) and the stand-in Ironic
# (tests/unit/data/ironic-stub.py), driven by tests/valgrind/session.py, stopped with SIGTERM.
# Any valgrind error, or a definite or indirect leak, fails it.
#
# Sessions, each a separate agent:
#   http      plain HTTP (an Ironic before 1.68): GET /, GET /v1/commands, synchronous
#             clean.get_clean_steps and poll.get_hardware_info, a wrong token (401), malformed
#             JSON (400), GET /v1/commands again; the lookup and a heartbeat before them;
#   operator  the operator's certificate (listen_tls, tls_cert_file, tls_key_file) with an
#             Ironic at 1.82: the API serves that certificate and its chain over TLS, the
#             heartbeat says https and carries no agent_verify_ca; a wrong token (401).
# Then, without valgrind, the start-up errors of the operator's TLS: listen_tls without a key,
# a missing certificate, a key that is not the certificate's (exit status 1, a clear line).
#
# The host has no civetweb, and its mbedTLS may be older than the 3.x tls.c needs: both are
# compiled from source, cached under $O/valgrind/. civetweb's source:
# INGOT_OVERRIDE_SRCDIR_CIVETWEB, else $O/build/civetweb/src (extracted by the image build), else
# the Debian source package in $DL_DIR/civetweb/ (extracted here); the same for mbedTLS
# (INGOT_OVERRIDE_SRCDIR_MBEDTLS) unless the host has mbedTLS 3. Without them, or without
# valgrind, gcc, python3 or openssl, it skips (exit status 77, "skipped: <why>"); an override
# that holds no source fails.
#
# Usage: tests/valgrind/run.sh   (O= the output directory, default ./output; DL_DIR= the
#        download cache, default ./dl; CC= the compiler, default gcc)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/output}
DL_DIR=${DL_DIR:-$top/dl}
out=$O/valgrind
CC=${CC:-gcc}
jobs=2

skip() {
	echo "skipped: $*"
	exit 77
}

# On stderr: source_dir's stdout is its answer.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

for tool in valgrind "$CC" python3 openssl ar; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done
mkdir -p "$out" || exit 1

# source NAME PROBE: the directory of NAME's source (holding PROBE) on stdout, or nothing.
# An override that does not hold PROBE is an error, not a skip.
source_dir() {
	name=$1
	probe=$2
	var=INGOT_OVERRIDE_SRCDIR_$(echo "$name" | tr a-z- A-Z_)
	eval "dir=\${$var:-}"
	if [ -n "$dir" ]; then
		[ -f "$dir/$probe" ] || fail "$var=$dir holds no $probe"
		echo "$dir"
		return
	fi
	if [ -f "$O/build/$name/src/$probe" ]; then
		echo "$O/build/$name/src"
		return
	fi
	info=$(find "$DL_DIR/$name" -maxdepth 1 -name "$name.*.info" 2>/dev/null | head -n 1)
	[ -n "$info" ] && command -v dpkg-source >/dev/null 2>&1 || return 0
	# shellcheck source=/dev/null
	dsc=$(. "$info" && echo "${FILE:-}")
	dest=$out/src/$name
	if [ ! -f "$dest/$probe" ] || [ "$(cat "$dest.from" 2>/dev/null)" != "$dsc" ]; then
		rm -rf "$dest" "$dest.from" && mkdir -p "$out/src" || exit 1
		dpkg-source -q --no-check -x "$DL_DIR/$name/$dsc" "$dest" >/dev/null 2>&1 ||
			fail "cannot extract $DL_DIR/$name/$dsc"
		echo "$dsc" >"$dest.from"
	fi
	[ -f "$dest/$probe" ] && echo "$dest"
}

civetweb=$(source_dir civetweb src/civetweb.c) || exit 1
[ -n "$civetweb" ] || skip "no civetweb source (INGOT_OVERRIDE_SRCDIR_CIVETWEB," \
	"$O/build/civetweb/src or $DL_DIR/civetweb/); the host has no civetweb"
[ -f "$civetweb/include/civetweb.h" ] || fail "$civetweb has no include/civetweb.h"

# newer_than FILE PATH...: whether anything under the paths is newer than FILE (or FILE is absent).
newer_than() {
	f=$1
	shift
	[ ! -e "$f" ] || [ -n "$(find "$@" -newer "$f" 2>/dev/null | head -n 1)" ]
}

# mbedTLS 3 (tls.c's <mbedtls/build_info.h>, civetweb's TLS): the host's, else built here into
# one archive with threading on, as package/mbedtls/mbedtls.mk configures it.
mbed_cflags=
mbed_libs="-lmbedtls -lmbedx509 -lmbedcrypto"
if ! echo '#include <mbedtls/build_info.h>' | $CC -E -x c - >/dev/null 2>&1; then
	mbedtls=$(source_dir mbedtls include/mbedtls/build_info.h) || exit 1
	[ -n "$mbedtls" ] || skip "the host's mbedTLS is older than 3 and there is no mbedTLS" \
		"source (INGOT_OVERRIDE_SRCDIR_MBEDTLS, $O/build/mbedtls/src or $DL_DIR/mbedtls/)"
	lib=$out/mbedtls/libmbed.a
	if [ "$(cat "$out/mbedtls/from" 2>/dev/null)" != "$mbedtls" ] ||
		[ ! -f "$out/mbedtls/config/ingot-user-config.h" ] ||
		newer_than "$lib" "$mbedtls/library" "$mbedtls/include" "$0"; then
		echo "building mbedTLS from $mbedtls"
		rm -rf "$out/mbedtls" && mkdir -p "$out/mbedtls/obj" "$out/mbedtls/config" || exit 1
		printf '%s\n' '#define MBEDTLS_THREADING_C' '#define MBEDTLS_THREADING_PTHREAD' \
			>"$out/mbedtls/config/ingot-user-config.h"
		# Two compilers at a time; a source that does not compile leaves no object.
		n=0
		for src in "$mbedtls"/library/*.c; do
			$CC -std=gnu11 -g -O1 -I"$mbedtls/include" -I"$mbedtls/library" \
				-I"$out/mbedtls/config" -DMBEDTLS_USER_CONFIG_FILE="<ingot-user-config.h>" -c "$src" \
				-o "$out/mbedtls/obj/$(basename "$src" .c).o" >>"$out/mbedtls/build.log" 2>&1 &
			n=$((n + 1))
			[ $((n % jobs)) -ne 0 ] || wait
		done
		wait
		for src in "$mbedtls"/library/*.c; do
			[ -f "$out/mbedtls/obj/$(basename "$src" .c).o" ] || {
				head -n 20 "$out/mbedtls/build.log"
				fail "cannot build mbedTLS: $src (log $out/mbedtls/build.log)"
			}
		done
		ar rcs "$lib" "$out"/mbedtls/obj/*.o || fail "cannot archive mbedTLS"
		echo "$mbedtls" >"$out/mbedtls/from"
	fi
	mbed_cflags="-isystem $mbedtls/include -I$out/mbedtls/config"
	mbed_cflags="$mbed_cflags -DMBEDTLS_USER_CONFIG_FILE=<ingot-user-config.h>"
	mbed_libs=$lib
fi

# civetweb as the image compiles it (package/civetweb/civetweb.mk), with debug information.
cw=$out/civetweb.o
if [ "$(cat "$out/civetweb.from" 2>/dev/null)" != "$civetweb" ] ||
	newer_than "$cw" "$civetweb/src" "$civetweb/include" ||
	{ [ -n "$mbed_cflags" ] && newer_than "$cw" "$out/mbedtls/libmbed.a"; }; then
	echo "building civetweb from $civetweb"
	# shellcheck disable=SC2086
	$CC -std=gnu11 -g -O1 $mbed_cflags -DUSE_MBEDTLS -DNO_CGI -DNO_FILES -DNO_CACHING \
		-DUSE_IPV6 -DNDEBUG -I"$civetweb/include" -c "$civetweb/src/civetweb.c" -o "$cw" \
		>"$out/civetweb.log" 2>&1 || {
		head -n 20 "$out/civetweb.log"
		fail "cannot build civetweb (log $out/civetweb.log)"
	}
	echo "$civetweb" >"$out/civetweb.from"
fi

# The agent: every source of src/basic and src/agent, main.c included.
bin=$out/ingot-agent
if newer_than "$bin" "$top/src/basic" "$top/src/agent" "$cw" "$0"; then
	echo "building ingot-agent for the host"
	# shellcheck disable=SC2086
	$CC -std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer -I"$top/src" \
		-isystem "$civetweb/include" $mbed_cflags -DINGOT_VERSION='"valgrind"' \
		"$top"/src/basic/*.c "$top"/src/agent/*.c "$cw" $mbed_libs \
		-ljson-c -lcurl -lblkid -lz -lpthread -o "$bin.tmp" >"$out/agent.log" 2>&1 || {
		head -n 30 "$out/agent.log"
		rm -f "$bin.tmp"
		fail "cannot build the agent (log $out/agent.log)"
	}
	mv "$bin.tmp" "$bin"
fi

# A throwaway root: the build machine's captured /proc and /sys, no kernel command line.
run=$out/run
rm -rf "$run" && mkdir -p "$run" || exit 1
cp -R "$top/tests/data/inventory/build-machine" "$run/root" || exit 1
mkdir -p "$run/root/proc" && : >"$run/root/proc/cmdline"
"$top/tests/unit/data/make-test-ca.sh" "$run/pki" IP:127.0.0.1 ||
	fail "cannot make the test certificates with openssl"

python3 "$top/tests/valgrind/session.py" --agent "$bin" --root "$run/root" --pki "$run/pki" \
	--out "$run" --stub "$top/tests/unit/data/ironic-stub.py"
