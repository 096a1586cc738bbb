#!/bin/bash
# bench/run.sh: `make bench`: size, boot timeline, RAM floor, write throughput and build time
# of ingot's images, measured side by side, written to docs/benchmarks.md with SVG charts and
# raw figures under docs/bench/.  See --help.
#
# Each measurement is a script of its own (bench/*.py) that writes a Markdown section; this
# runs them in order, one QEMU at a time, and bench/report.py puts the document together.
# --smoke: one run of each on tiny inputs into a scratch directory (not docs/), so that
# `make check` notices a broken script; it exits 77 only when the images are missing.
set -uo pipefail

prog=bench
here=$(cd "$(dirname "$0")" && pwd)
TOPDIR=$(cd "$here/.." && pwd)

usage() {
	cat <<'EOF_USAGE'
Usage: bench/run.sh [--smoke] [--images DIR] [--runs N] [--image-mb N] [--build-o DIR]
                    [--dl-dir DIR] [--cold] [--mem MB] [--out DIR]

  --images DIR     bzImage, rootfs.cpio.xz, rootfs.iso9660 to measure
                   (default: $IMAGES, else $O/images, else output/images)
  --runs N         boots of the timeline, rounds of the throughput, no-op rebuilds (default 3)
  --image-mb N     size of the raw image written by the throughput and the deploy RAM floor
                   (default 2048)
  --build-o DIR    output directory whose no-op rebuild is timed (`make bench` passes $(O));
                   without it the build figures say "not measured"
  --dl-dir DIR     download cache for those builds (default dl/)
  --cold           also time a cold build of --build-o's configuration (BENCH_COLD=1)
  --mem MB         guest RAM of the timeline and the throughput VM (default 256)
  --out DIR        where benchmarks.md and bench/ go (default docs/; --smoke: a scratch
                   directory, removed when everything passed)
  --smoke          one run of each measurement on tiny inputs; strict: a milestone or a
                   result that does not come is a failure
  -h, --help       this text

Exit status: 0 every measurement ran, 1 one of them broke (the document still says which),
2 usage error, 77 the images are missing.
EOF_USAGE
}

die() {
	echo "$prog: error: $*" >&2
	exit 2
}
log() { echo "$prog: $*" >&2; }

smoke=0 images='' runs=${BENCH_RUNS:-3} image_mb=${BENCH_IMAGE_MB:-2048} build_o='' cold=0
dl_dir=$TOPDIR/dl mem=256 out=''
[[ ${BENCH_COLD:-0} != 1 ]] || cold=1
need_arg() { [[ $# -ge 2 ]] || die "option '$1' needs an argument"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--smoke) smoke=1; shift ;;
	--images) need_arg "$@"; images=$2; shift 2 ;;
	--runs) need_arg "$@"; runs=$2; shift 2 ;;
	--image-mb) need_arg "$@"; image_mb=$2; shift 2 ;;
	--build-o) need_arg "$@"; build_o=$2; shift 2 ;;
	--dl-dir) need_arg "$@"; dl_dir=$2; shift 2 ;;
	--cold) cold=1; shift ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--out) need_arg "$@"; out=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "invalid --runs '$runs' (1 to 99)"
if ! [[ $image_mb =~ ^[1-9][0-9]*$ ]] || ((image_mb < 16)); then
	die "invalid --image-mb '$image_mb' (16 at least)"
fi
[[ $mem =~ ^[1-9][0-9]*$ ]] || die "invalid --mem '$mem'"
images=${images:-${IMAGES:-${O:-$TOPDIR/output}/images}}

for f in bzImage rootfs.cpio.xz; do
	if [[ ! -s $images/$f ]]; then
		echo "$prog: skip: no $f in '$images' (build the images with make, or pass --images)"
		exit 77
	fi
done
images=$(cd "$images" && pwd)
command -v python3 >/dev/null 2>&1 || die "python3 not found"

if ((smoke)); then
	# Tiny inputs: one run each; bisections of one to three probes.
	runs=1 image_mb=16
	hb_floor=(--lo 32 --hi 192 --step 100 --timeout 90)
	deploy_floor=(--lo 192 --hi 256 --hi-max 256 --step 64)
	kvm=(--kvm "not probed in --smoke")
	strict=(--strict)
	[[ -n $out ]] || out=$(mktemp -d "${TMPDIR:-/tmp}/ingot-bench-smoke.XXXXXX")
else
	hb_floor=(--lo 24 --hi 512 --step 4 --timeout 120)
	deploy_floor=(--hi 256 --step 16)
	kvm=(--kvm probe)
	strict=()
	[[ -n $out ]] || out=$TOPDIR/docs
fi
mkdir -p "$out/bench" || die "cannot create '$out/bench'"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ingot-bench.XXXXXX")
sec=$work/sections
mkdir -p "$sec"
# shellcheck disable=SC2317 # called by the trap
cleanup() { rm -rf -- "$work"; }
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$work/steps.tsv"
failed=()

# step NAME COMMAND...: one measurement; its time and status go to the report.
step() {
	local name=$1 t0 rc
	shift
	log "--- $name"
	t0=$EPOCHREALTIME
	"$@"
	rc=$?
	printf '%s\t%s\t%s\n' "$name" "$rc" "$(echo "$EPOCHREALTIME - $t0" | bc)" >>"$work/steps.tsv"
	if [[ $rc -ne 0 ]]; then
		failed+=("$name")
		log "$name: failed (exit $rc)"
	fi
}

# not_measured FILE TITLE REASON: a section for a measurement that cannot run here.
not_measured() {
	printf '%s\n\nnot measured: %s.\n' "$2" "$3" >"$1"
}

j=$out/bench # charts and raw figures
step size python3 "$here/size.py" --images "$images" --md "$sec/1-size.md" \
	--json "$j/size.json" --svg "$j/size.svg" --svg-ref bench/size.svg
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	step boot-timeline python3 "$here/boot.py" timeline --images "$images" --runs "$runs" \
		--mem "$mem" "${kvm[@]}" "${strict[@]}" --work "$work" --md "$sec/2-boot.md" \
		--json "$j/boot.json" --svg "$j/boot-timeline.svg" --svg-ref bench/boot-timeline.svg
	step ram-floor-heartbeat python3 "$here/boot.py" floor --images "$images" \
		"${hb_floor[@]}" "${strict[@]}" --work "$work" --md "$sec/3-floor.md" \
		--json "$j/ram-floor.json"
	if command -v systemd-repart >/dev/null 2>&1; then
		step ram-floor-deploy python3 "$here/deploy_floor.py" --images "$images" \
			--image-mb "$image_mb" "${deploy_floor[@]}" --hb-json "$j/ram-floor.json" \
			"${strict[@]}" --work "$work" --md "$sec/4-deploy-floor.md" \
			--json "$j/deploy-floor.json"
		step throughput python3 "$here/throughput.py" --images "$images" \
			--image-mb "$image_mb" --runs "$runs" --mem "$mem" "${strict[@]}" --work "$work" \
			--md "$sec/5-throughput.md" --json "$j/throughput.json" \
			--svg "$j/throughput.svg" --svg-ref bench/throughput.svg
	else
		not_measured "$sec/4-deploy-floor.md" "### A deploy of a raw image" \
			"systemd-repart (to make the raw image) not found"
		not_measured "$sec/5-throughput.md" "## Write throughput" \
			"systemd-repart (to make the raw image) not found"
	fi
else
	for s in 2-boot:"## Boot timeline" 3-floor:"### Boot to first heartbeat" \
		4-deploy-floor:"### A deploy of a raw image" 5-throughput:"## Write throughput"; do
		not_measured "$sec/${s%%:*}.md" "${s#*:}" "qemu-system-x86_64 not found"
	done
fi
build_args=(--runs "$runs" --dl-dir "$dl_dir" --images "$images")
[[ -z $build_o ]] || build_args+=(--build-o "$build_o")
((cold == 0)) || build_args+=(--cold)
step build python3 "$here/build.py" "${build_args[@]}" --work "$work" \
	--md "$sec/6-build.md" --json "$j/build.json"

mode=full
((smoke == 0)) || mode=smoke
python3 "$here/report.py" --out "$out" --sections "$sec" --steps "$work/steps.tsv" \
	--mode "$mode" --images "$images" --runs "$runs" --image-mb "$image_mb" --mem "$mem" \
	--started "$started" --load-start "$load_start" --topdir "$TOPDIR" ||
	failed+=(report)

if [[ ${#failed[@]} -gt 0 ]]; then
	log "failed: ${failed[*]}; the document: $out/benchmarks.md"
	exit 1
fi
if ((smoke)) && [[ -z ${KEEP_BENCH:-} ]]; then
	log "smoke passed (every measurement ran once); scratch output removed"
	rm -rf -- "$out"
else
	log "wrote $out/benchmarks.md"
fi
exit 0
