#!/bin/sh
# Builds and runs the libFuzzer targets tests/fuzz/fuzz-*.c with clang under ASan and UBSan.
#
# Each target links exactly the sources named in the comment that opens it, `/* sources: src/a/b.c
# ... */` (the first line, or more when it wraps).
# A run first replays every input under tests/fuzz/regressions/<target>/ (one at a time, so a
# failure names its file), then fuzzes for the given seconds from a scratch corpus under the
# output directory: the checked-in seeds (tests/fuzz/corpus/<target>/) are copied into it and
# what the fuzzer finds grows the scratch copy only, which later runs start from. A dictionary
# tests/fuzz/<target>.dict is used when there is one. A finding (a crash, a sanitizer report, a
# leak, a timeout of 10 s per input, an RSS above 1 GiB) fails the target and its input is
# saved under $O/fuzz/crashes/<target>/; the path is printed. To keep it as a regression,
# copy it to tests/fuzz/regressions/<target>/crash-<short-name>.
#
# One line per target, then `N passed, N failed`; the exit status is non-zero on any failure
# (a build failure included), and 77 when clang or libFuzzer is missing here (it says which).
#
# Usage: tests/fuzz/run.sh [seconds-per-target] [target ...]   (default 10 s, every target;
#        a target is named fuzz-api, api or fuzz-api.c; O= sets the output directory,
#        default ./output; CC= the compiler, default clang)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${O:-$top/output}/fuzz
CC=${CC:-$(command -v clang || command -v clang-14 || echo clang)}
CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I$top/src -I$top/tests/fuzz"
LIBS="-ljson-c -lblkid -lz -lcurl -lmbedcrypto -lpthread"

secs=10
case ${1:-} in
'' | *[!0-9]*) ;;
*)
	secs=$1
	shift
	;;
esac

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "skip: $CC not found (the fuzz targets need clang with libFuzzer)"
	exit 77
fi
mkdir -p "$out" || exit 1
probe=$out/.probe
if ! printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' |
	$CC -fsanitize=fuzzer,address,undefined -x c - -o "$probe" >/dev/null 2>&1; then
	echo "skip: $CC cannot link -fsanitize=fuzzer,address,undefined (libFuzzer missing?" \
		"on Debian: libclang-rt-dev)"
	rm -f "$probe"
	exit 77
fi
rm -f "$probe"

# Crashes are reported through libFuzzer; a leak in an input is a finding too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

if [ $# -gt 0 ]; then
	targets=
	for t in "$@"; do
		t=${t%.c}
		t=fuzz-${t#fuzz-}
		targets="$targets $top/tests/fuzz/$t.c"
	done
else
	targets=$(ls "$top"/tests/fuzz/fuzz-*.c 2>/dev/null)
fi

passed=0
failed=0
# The lines of a finding worth showing; the whole report is in the log.
summary='^(==[0-9]+==ERROR|SUMMARY|invariant broken|.*runtime error)'

# final_stat NAME LOG: a number from libFuzzer's -print_final_stats lines.
final_stat() {
	sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1
}

for t in $targets; do
	name=$(basename "$t" .c)
	bin=$out/$name
	log=$out/$name.log
	if [ ! -e "$t" ]; then
		echo "FAIL $name: no such target $t"
		failed=$((failed + 1))
		continue
	fi

	# The sources comment may go on over more lines (clang-format wraps it at 100 columns).
	srcs=
	first=$(sed -n '1,/\*\//p' "$t" | tr '\n' ' ' | sed 's|\*/.*||')
	case $first in
	"/* sources:"*)
		for s in $(printf '%s\n' "$first" | sed 's|^/\* sources:||; s| \* | |g'); do
			srcs="$srcs $top/$s"
		done
		;;
	esac

	# Rebuilt when the target, one of its sources or any header is newer than the binary.
	stale=0
	if [ ! -e "$bin" ]; then
		stale=1
	else
		# shellcheck disable=SC2086
		[ -n "$(find "$t" $srcs -newer "$bin")" ] && stale=1
		[ -n "$(find "$top/src" "$top/tests/fuzz" -name '*.h' -newer "$bin" | head -n 1)" ] &&
			stale=1
	fi
	if [ "$stale" = 1 ]; then
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS "$t" $srcs $LIBS -o "$bin.tmp" >"$out/$name.build.log" 2>&1; then
			head -n 20 "$out/$name.build.log"
			echo "FAIL $name: build"
			rm -f "$bin.tmp"
			failed=$((failed + 1))
			continue
		fi
		mv "$bin.tmp" "$bin"
	fi

	# Inputs that once failed: each must pass now.
	bad=
	: >"$out/$name.replay.log"
	if [ -d "$top/tests/fuzz/regressions/$name" ]; then
		for r in "$top/tests/fuzz/regressions/$name"/*; do
			[ -f "$r" ] || continue
			if ! "$bin" -timeout=10 -rss_limit_mb=1024 "$r" >"$out/$name.one.log" 2>&1; then
				grep -E "$summary" "$out/$name.one.log" | head -n 5
				bad="$bad ${r#"$top"/}"
			fi
			cat "$out/$name.one.log" >>"$out/$name.replay.log"
		done
		rm -f "$out/$name.one.log"
	fi
	if [ -n "$bad" ]; then
		echo "FAIL $name: regression input fails:$bad (log $out/$name.replay.log)"
		failed=$((failed + 1))
		continue
	fi

	corpus=$out/corpus/$name
	crashes=$out/crashes/$name
	mkdir -p "$corpus" "$crashes" || exit 1
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -R "$top/tests/fuzz/corpus/$name/." "$corpus/" || exit 1
		chmod -R u+w "$corpus"
	fi
	dict=
	[ -f "$top/tests/fuzz/$name.dict" ] && dict=-dict=$top/tests/fuzz/$name.dict

	# The fuzzer's own time limit ends the run; the outer one only catches a hung process.
	# shellcheck disable=SC2086
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$crashes/" $dict \
		"$corpus" >"$log" 2>&1
	rc=$?
	runs=$(final_stat number_of_executed_units "$log")
	speed=$(final_stat average_exec_per_sec "$log")
	size=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name: ${secs} s, ${runs:-?} runs, ${speed:-?} exec/s, corpus $size"
		passed=$((passed + 1))
	else
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		grep -E "$summary" "$log" | head -n 5
		echo "FAIL $name: exit status $rc, input ${crash:-(none saved)}, log $log"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
