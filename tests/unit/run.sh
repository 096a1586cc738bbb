#!/bin/sh
# Builds and runs every tests/unit/test-*.c with the host gcc under ASan and UBSan.
#
# Each test links against the objects of src/basic, src/init and src/agent except their main.c
# (through an archive, so only what it uses), or against exactly the sources named in the comment
# that opens it, `/* sources: src/basic/a.c src/init/b.c */`, which may go on over more lines.
# A test exits 0 when all its checks pass, 1 on a failure and 77 when it cannot run here (it
# prints why). The last line counts test binaries: `N passed, N failed` (`, N skipped` when
# any); the exit status is non-zero on any failure, including a build failure.
#
# Usage: tests/unit/run.sh [test-name ...]     (O= sets the output directory, default ./output)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${O:-$top/output}/unit
CC=${CC:-gcc}
CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -I$top/src"
# The agent's libraries, from the host's -dev packages (support/host-deps) for these tests;
# the image links its own static builds of them.
LIBS="-ljson-c -lcurl -lmbedcrypto -lblkid -lz -lpthread"

mkdir -p "$out/obj" || exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

passed=0
failed=0
skipped=0

# One object per library source, rebuilt when the source or any header is newer.
objs=
build_failed=0
for src in "$top"/src/basic/*.c "$top"/src/init/*.c "$top"/src/agent/*.c; do
	[ -e "$src" ] || continue
	rel=${src#"$top"/}
	case $rel in */main.c) continue ;; esac
	# A source whose first line is `/* needs: <header.h> */` is left out where the host lacks
	# that library (civetweb is built by its recipe for the image only).
	need=$(sed -n '1s|^/\* needs: <\(.*\)> \*/$|\1|p' "$src")
	if [ -n "$need" ] && ! echo "#include <$need>" | $CC -E -x c - >/dev/null 2>&1; then
		echo "note: $rel left out: <$need> not on this host"
		continue
	fi
	obj=$out/obj/$(echo "$rel" | tr / _).o
	if [ ! -e "$obj" ] || [ -n "$(find "$src" -newer "$obj")" ] ||
		[ -n "$(find "$top/src" -name '*.h' -newer "$obj" | head -n 1)" ]; then
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS -c "$src" -o "$obj"; then
			echo "FAIL build $rel"
			rm -f "$obj"
			build_failed=1
			continue
		fi
	fi
	objs="$objs $obj"
done
# A source that does not compile fails every test that links it: all those that link the
# archive, and those whose sources line names it.
rm -f "$out/libingot.a"
# shellcheck disable=SC2086
[ "$build_failed" = 1 ] || ar rcs "$out/libingot.a" $objs || exit 1

if [ $# -gt 0 ]; then
	tests=
	for t in "$@"; do tests="$tests $top/tests/unit/${t%.c}.c"; done
else
	tests=$(ls "$top"/tests/unit/test-*.c 2>/dev/null)
fi

for t in $tests; do
	name=$(basename "$t" .c)
	bin=$out/$name
	link=$out/libingot.a
	# The sources comment may go on over more lines (clang-format wraps it at 100 columns).
	first=$(sed -n '1,/\*\//p' "$t" | tr '\n' ' ' | sed 's|\*/.*||')
	case $first in
	"/* sources:"*)
		link=
		for s in $(printf '%s\n' "$first" | sed 's|^/\* sources:||; s| \* | |g'); do
			link="$link $out/obj/$(echo "$s" | tr / _).o"
		done
		;;
	esac

	echo "== $name"
	missing=
	for o in $link; do [ -e "$o" ] || missing="$missing $o"; done
	if [ -n "$missing" ]; then
		echo "FAIL $name: not built:$missing"
		failed=$((failed + 1))
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS "$t" $link $LIBS -o "$bin"; then
		echo "FAIL $name: build"
		failed=$((failed + 1))
		continue
	fi
	(cd "$out" && "$bin")
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77)
		echo "SKIP $name"
		skipped=$((skipped + 1))
		;;
	*)
		echo "FAIL $name: exit status $rc"
		failed=$((failed + 1))
		;;
	esac
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
