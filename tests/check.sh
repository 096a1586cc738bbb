#!/bin/bash
# check.sh [all|style|build|boot]: ingot's test suite, run by `make check`.
#
# build: copies the tree to a scratch directory, builds it as an unprivileged
#   user into two output directories from one dl/, and checks that the images
#   are bit-identical, that a rerun changes nothing, and that bad input stops
#   the build with one clear line.
# all also runs the unit tests and each libFuzzer target for 10 s.
# boot: boots the images of the first build (or IMAGES=) in QEMU, BIOS and
#   UEFI, CD and disk, and waits for the init's "network up" marker; with an
#   agent in the images (INGOT_AGENT_INGOT), drives a deploy and cleaning
#   through it and checks its inventory of the QEMU node.
#
# Ends with the line "N passed, N failed, N skipped"; exits 1 on any failure.
set -uo pipefail

TOPDIR=${TOPDIR:-$(cd "$(dirname "$0")/.." && pwd)}
DL_DIR=${DL_DIR:-$TOPDIR/dl}
what=${1:-all}
passed=0 failed=0 skipped=0
failures=()

log() { printf '%s\n' "check: $*"; }

# t NAME COMMAND...: run one test case; exit 77 means skipped.
t() {
	local name=$1 rc start
	shift
	start=$(date +%s.%N)
	log "--- $name"
	"$@"
	rc=$?
	local took
	took=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
	case $rc in
	0)
		passed=$((passed + 1))
		log "PASS $name (${took} s)"
		;;
	77)
		skipped=$((skipped + 1))
		log "SKIP $name"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$name")
		log "FAIL $name (${took} s)"
		;;
	esac
}

finish() {
	[ ${#failures[@]} -eq 0 ] || log "failed: ${failures[*]}"
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
}

# --- style ------------------------------------------------------------------
style_c() {
	local files
	mapfile -t files < <(cd "$TOPDIR" && find src tests -name '*.[ch]' | sort)
	[ ${#files[@]} -gt 0 ] || return 0
	(cd "$TOPDIR" && clang-format --dry-run -Werror "${files[@]}")
}

# --- scratch tree and unprivileged user -------------------------------------
SCRATCH=
cleanup() {
	[ -z "$SCRATCH" ] || [ -n "${KEEP_SCRATCH:-}" ] || rm -rf "$SCRATCH"
}
trap cleanup EXIT

# as_user COMMAND...: run as the unprivileged build user, in the scratch tree.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env HOME="$SCRATCH/home" PATH="$PATH" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" "$@"
	else
		env HOME="$SCRATCH/home" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" "$@"
	fi
}

setup_scratch() {
	[ -z "$SCRATCH" ] || return 0
	SCRATCH=$(mktemp -d /tmp/ingot-check.XXXXXX)
	chmod 0755 "$SCRATCH"
	mkdir -p "$SCRATCH/src" "$SCRATCH/dl" "$SCRATCH/home"
	# The tree as it is now, committed or not, without build output.
	if git -C "$TOPDIR" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$TOPDIR" && git ls-files -z -co --exclude-standard | xargs -0 tar -cf - --no-recursion) |
			tar -xf - -C "$SCRATCH/src"
	else
		tar -C "$TOPDIR" --exclude=./output --exclude=./dl --exclude=./.git -cf - . |
			tar -xf - -C "$SCRATCH/src"
	fi
	# Seed the download cache from the tree's, so a warm dl/ is not fetched again.
	if [ -d "$DL_DIR" ]; then
		find "$DL_DIR" -mindepth 1 -maxdepth 1 -type d -exec cp -R {} "$SCRATCH/dl/" \;
	fi
	[ "$(id -u)" -ne 0 ] || chown -R 65534:65534 "$SCRATCH"
	log "scratch tree $SCRATCH (build user uid $(as_user id -u))"
}

umake() {
	as_user make -C "$SCRATCH/src" DL_DIR="$SCRATCH/dl" "$@"
}

# archive_reachable: does the Debian mirror the build would use answer over
# HTTP?  A mirror that answers with an error counts as reachable: only a
# failure to resolve, connect or get any answer in time says "unreachable".
archive_reachable() {
	local mirror rc
	mirror=$("$TOPDIR/support/scripts/apt-mirror.sh") || return 0
	curl -sS -o /dev/null --connect-timeout 15 --max-time 30 "$mirror/dists/" 2>"$SCRATCH/probe.err"
	rc=$?
	case $rc in
	5 | 6 | 7 | 28)
		log "probe of $mirror: $(cat "$SCRATCH/probe.err") (curl exit $rc)"
		return 1
		;;
	esac
	return 0
}

# --- build tests ------------------------------------------------------------
build_a() {
	umake O="$SCRATCH/a" ingot_defconfig >/dev/null || return 1
	local start=$SECONDS
	umake O="$SCRATCH/a" >"$SCRATCH/a.log" 2>&1 || {
		tail -n 30 "$SCRATCH/a.log"
		# A machine that cannot reach the archive cannot run this test; the
		# builder's own error for it is checked by bad-input-mirror.
		if grep -q "^ingot: error: cannot fetch .* from the Debian mirror" "$SCRATCH/a.log" &&
			! archive_reachable; then
			log "cannot run here: the download cache lacks the sources and the Debian archive is unreachable"
			return 77
		fi
		return 1
	}
	log "cold build (uid $(as_user id -u)): $((SECONDS - start)) s"
	local f
	for f in bzImage rootfs.cpio.xz rootfs.iso9660 sha256sums manifest.tsv; do
		[ -s "$SCRATCH/a/images/$f" ] || {
			log "missing $SCRATCH/a/images/$f"
			return 1
		}
	done
	[ "$(stat -c %u "$SCRATCH/a/images/bzImage")" = "$(as_user id -u)" ] || return 1
	(cd "$SCRATCH/a/images" && ls -l bzImage rootfs.cpio.xz rootfs.iso9660 && cat manifest.tsv)
}

mtimes() {
	find "$1" -printf '%p %T@ %s\n' | sort
}

noop_rebuild() {
	[ -s "$SCRATCH/a/images/rootfs.iso9660" ] || return 77
	mtimes "$SCRATCH/a" >"$SCRATCH/before"
	local start
	start=$(date +%s.%N)
	umake O="$SCRATCH/a" >"$SCRATCH/noop.log" 2>&1 || {
		cat "$SCRATCH/noop.log"
		return 1
	}
	log "no-op rebuild: $(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)") s"
	mtimes "$SCRATCH/a" >"$SCRATCH/after"
	diff "$SCRATCH/before" "$SCRATCH/after"
}

reproducible() {
	[ -s "$SCRATCH/a/images/rootfs.iso9660" ] || return 77
	umake O="$SCRATCH/b" >"$SCRATCH/b.log" 2>&1 || {
		tail -n 30 "$SCRATCH/b.log"
		return 1
	}
	local f rc=0
	for f in bzImage rootfs.cpio.xz rootfs.iso9660; do
		if cmp "$SCRATCH/a/images/$f" "$SCRATCH/b/images/$f"; then
			log "identical: $f ($(stat -c %s "$SCRATCH/a/images/$f") bytes)"
		else
			rc=1
		fi
	done
	return $rc
}

# expect_one_error WANT COMMAND...: the command fails, and its stderr holds
# exactly one ingot error line (make's own "***" trailer aside) matching WANT.
expect_one_error() {
	local want=$1 err
	shift
	if err=$("$@" 2>&1 >/dev/null); then
		log "succeeded, expected an error matching '$want'"
		return 1
	fi
	err=$(printf '%s\n' "$err" | grep -v '^make\(\[[0-9]*\]\)\?: \*\*\* \[' | grep -v '^make: Leaving\|^make: Entering')
	printf '  stderr: %s\n' "$err"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s\n' "$err" | grep -qE "$want"
}

bad_defconfig() {
	expect_one_error "no defconfig 'nope_defconfig'.*list-defconfigs" \
		umake O="$SCRATCH/bad" nope_defconfig || return 1
	[ ! -e "$SCRATCH/bad/.config" ]
}

bad_host_package() {
	cp "$SCRATCH/src/support/host-deps" "$SCRATCH/host-deps"
	printf 'ingot-no-such-package\tbuild\t/usr/bin/ingot-no-such-tool\n' >>"$SCRATCH/host-deps"
	expect_one_error "missing host packages: ingot-no-such-package; run: sudo ./install-deps.sh" \
		as_user env INGOT_HOST_DEPS="$SCRATCH/host-deps" make -C "$SCRATCH/src" \
		DL_DIR="$SCRATCH/dl" O="$SCRATCH/bad"
}

# local_mirror DIR: serve a copy of the Debian archive on loopback from what the
# download cache already holds: the suite's InRelease as Debian signed it, its
# Packages index and busybox's .deb, so apt's checks run for real without
# the network.  Sets MIRROR_URL, and MIRROR_PID to the server's pid.
MIRROR_URL= MIRROR_PID=
local_mirror() {
	local dir=$1 lists=$SCRATCH/dl/.apt/trixie/lists deb path f
	local bin=$dir/debian/dists/trixie/main/binary-amd64
	mkdir -p "$bin"
	f=$(ls "$lists"/*_dists_trixie_InRelease 2>/dev/null | head -n 1)
	[ -n "$f" ] || return 1
	cp "$f" "$dir/debian/dists/trixie/InRelease"
	f=$(ls "$lists"/*_dists_trixie_main_binary-amd64_Packages* 2>/dev/null | head -n 1)
	case $f in
	*.lz4) lz4 -dc "$f" ;;
	*.gz) gzip -dc "$f" ;;
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -dc "$f" ;;
	?*) cat "$f" ;;
	*) return 1 ;;
	esac >"$bin/Packages" || return 1
	path=$(awk '/^Package: busybox-static$/ { p = 1 } p && /^Filename: / { print $2; exit }' "$bin/Packages")
	deb=$(ls "$SCRATCH"/dl/busybox-static/*.deb 2>/dev/null | head -n 1)
	[ -n "$path" ] && [ -n "$deb" ] || return 1
	mkdir -p "$dir/debian/$(dirname "$path")" && cp "$deb" "$dir/debian/$path"
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	python3 -m http.server --bind 127.0.0.1 --directory "$dir" "$port" >"$dir.log" 2>&1 &
	MIRROR_PID=$!
	python3 -c 'import sys, time, urllib.request
for _ in range(50):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1); sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)' "http://127.0.0.1:$port/debian/dists/trixie/InRelease" || return 1
	MIRROR_URL=http://127.0.0.1:$port/debian
}

bad_mirror() {
	# A download cache holding the kernel but not busybox, and a mirror where
	# nothing listens.
	mkdir -p "$SCRATCH/dl-bad"
	cp -R "$SCRATCH"/dl/linux-source-* "$SCRATCH/dl-bad/" || return 1
	[ "$(id -u)" -ne 0 ] || chown -R 65534:65534 "$SCRATCH/dl-bad"
	expect_one_error "cannot fetch .* from the Debian mirror 'http://127.0.0.1:9/debian'.*INGOT_DEBIAN_MIRROR" \
		umake O="$SCRATCH/bad" DL_DIR="$SCRATCH/dl-bad" INGOT_DEBIAN_MIRROR=http://127.0.0.1:9/debian \
		source || return 1
	# Nothing half-written: with a mirror that answers, the same directories work.
	local rc
	if ! local_mirror "$SCRATCH/mirror"; then
		log "no apt index in the download cache to serve a local mirror from"
		[ -z "$MIRROR_PID" ] || kill "$MIRROR_PID"
		return 77
	fi
	umake O="$SCRATCH/bad" DL_DIR="$SCRATCH/dl-bad" INGOT_DEBIAN_MIRROR="$MIRROR_URL" source >/dev/null
	rc=$?
	kill "$MIRROR_PID"
	[ $rc -eq 0 ] && [ -f "$SCRATCH/dl-bad/busybox-static/busybox-static.trixie.info" ]
}

# --- boot tests ---------------------------------------------------------------
boot() {
	local mode=$1 images=${IMAGES:-$SCRATCH/a/images} media
	[ -s "$images/rootfs.iso9660" ] || return 77
	if [ "$mode" = kernel ]; then
		media=(--kernel "$images/bzImage" --initrd "$images/rootfs.cpio.xz"
			--append "console=ttyS0,115200n8")
	else
		media=(--iso "$images/rootfs.iso9660")
	fi
	"$TOPDIR/tests/boot/qemu-boot.sh" --mode "$mode" --mem 256 --timeout 240 "${media[@]}" \
		--expect 'ingot-init: network up: eth0 10\.0\.2\.15/24 router 10\.0\.2\.2'
}

# The init restarts an agent that keeps failing, with a growing delay.
agent_respawn() {
	local images=${IMAGES:-$SCRATCH/a/images}
	[ -s "$images/bzImage" ] || return 77
	"$TOPDIR/tests/boot/qemu-boot.sh" --mode kernel --mem 256 --timeout 240 \
		--kernel "$images/bzImage" --initrd "$images/rootfs.cpio.xz" \
		--append "console=ttyS0,115200n8 ingot.agent=/bin/false" \
		--expect 'ingot-init: agent exited \(exit status 1\), restarting in 2 s'
}

rescue_shell_poweroff() {
	local images=${IMAGES:-$SCRATCH/a/images}
	[ -s "$images/bzImage" ] || return 77
	"$TOPDIR/tests/boot/qemu-boot.sh" --mode kernel --mem 256 --timeout 240 \
		--kernel "$images/bzImage" --initrd "$images/rootfs.cpio.xz" \
		--append "console=ttyS0,115200n8 ingot.shell=1" \
		--send-after 'ingot-init: rescue shell on /dev/ttyS0' --send 'poweroff' \
		--expect 'ingot-init: powering off' --expect-exit
}

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$TOPDIR" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

case $what in
all | style)
	t style-c style_c
	;;&
all)
	t unit "$TOPDIR/tests/unit/run.sh"
	t fuzz env O="${O:-$TOPDIR/output}" "$TOPDIR/tests/fuzz/run.sh" 10
	t valgrind-agent "$TOPDIR/tests/valgrind/run.sh"
	;;&
all | build)
	setup_scratch
	t build-unprivileged build_a
	t build-noop-rebuild noop_rebuild
	t build-reproducible reproducible
	t bad-input-defconfig bad_defconfig
	t bad-input-host-package bad_host_package
	t bad-input-mirror bad_mirror
	;;&
all | boot)
	for m in kernel cd-bios disk-bios cd-uefi disk-uefi; do
		t "boot-$m" boot "$m"
	done
	t boot-rescue-shell-poweroff rescue_shell_poweroff
	t boot-agent-respawn agent_respawn
	t boot-agent-deploy "$TOPDIR/tests/boot/agent-deploy.py" "${IMAGES:-$SCRATCH/a/images}" tls
	t boot-agent-deploy-http "$TOPDIR/tests/boot/agent-deploy.py" "${IMAGES:-$SCRATCH/a/images}" http
	t boot-agent-deploy-https-ironic "$TOPDIR/tests/boot/agent-deploy.py" \
		"${IMAGES:-$SCRATCH/a/images}" https-ironic
	t boot-agent-deploy-uefi "$TOPDIR/tests/boot/agent-uefi.py" "${IMAGES:-$SCRATCH/a/images}"
	t boot-agent-clean "$TOPDIR/tests/boot/agent-clean.py" "${IMAGES:-$SCRATCH/a/images}"
	for m in bios uefi; do
		t "boot-agent-inventory-$m" "$TOPDIR/tests/boot/agent-inventory.py" \
			"${IMAGES:-$SCRATCH/a/images}" "$m"
	done
	# bench/run.sh once on tiny inputs, so that `make bench` cannot rot
	t bench-smoke "$TOPDIR/bench/run.sh" --smoke --images "${IMAGES:-$SCRATCH/a/images}"
	;;
all | style | build) ;;
*)
	echo "usage: check.sh [all|style|build|boot]" >&2
	exit 2
	;;
esac
finish
