#!/bin/bash
# qemu-boot.sh: boot ingot in QEMU (direct kernel, or the hybrid ISO as CD or raw disk under
# SeaBIOS or OVMF) and wait for a line on the serial console.  See --help.
#
# The serial port is a pair of FIFOs (-chardev pipe): QEMU writes <dir>/serial.out, which a
# cat copies into the log, and reads <dir>/serial.in, which this script holds open read-write
# (so opening it never blocks) to type --send.  QEMU runs in its own process group (under
# timeout(1)), killed as a whole at the end.
set -euo pipefail

prog='qemu-boot'
export LC_ALL=C

usage() {
	cat <<'EOF'
Usage: qemu-boot.sh --mode MODE [--kernel FILE --initrd FILE | --iso FILE] --expect REGEX
                    [--mem MB] [--timeout S] [--append STR] [--log FILE] [--nic MODEL|none]
                    [--send STR --send-after REGEX] [--expect-exit]
                    [--ovmf FILE] [--disk-if ide|virtio] [--accel tcg|kvm|auto] [--qemu-arg ARG]...

Boot QEMU and wait until the serial console matches --expect (grep -E, matched against the
whole log with carriage returns removed), then stop QEMU and print the matching line.

  --mode MODE         kernel     -kernel/-initrd/-append under SeaBIOS
                      cd-bios    --iso as CD-ROM under SeaBIOS
                      disk-bios  --iso as raw disk (snapshot=on: the file is never written)
                      cd-uefi    --iso as CD-ROM under OVMF
                      disk-uefi  --iso as raw disk under OVMF
  --kernel, --initrd  for --mode kernel
  --iso FILE          for the cd-* and disk-* modes
  --append STR        kernel command line, --mode kernel only
                      (default: "console=ttyS0,115200 panic=-1")
  --mem MB            guest RAM (default 256)
  --timeout S         seconds from QEMU start until giving up (default 60; decimals allowed)
  --expect REGEX      extended regex to wait for (required)
  --log FILE          write the serial log here (default: a temporary file, kept and
                      printed on failure, removed on success)
  --nic MODEL         user-mode NIC model (default virtio-net-pci), or "none"
  --send STR          type STR and a newline into the serial console ...
  --send-after REGEX  ... once the log matches REGEX (both or neither)
  --expect-exit       after the match (and the send), require QEMU to exit on its own
                      (guest power-off) before the timeout
  --ovmf FILE         UEFI firmware for -bios (default /usr/share/ovmf/OVMF.fd)
  --disk-if IF        disk controller for disk-* modes: ide (default) or virtio
  --accel A           tcg (default), kvm, or auto (kvm if /dev/kvm is usable, else tcg)
  --qemu-arg ARG      pass ARG to QEMU as is (repeatable)
  -h, --help          show this help

Environment: QEMU (default qemu-system-x86_64), TMPDIR.

Output: "qemu-boot: matched after 2.31 s: <line>" (seconds since QEMU start) on stdout.
Exit status: 0 matched, 1 timeout or failure (the last 30 serial lines go to stderr),
2 usage error, 77 skipped (QEMU or OVMF missing).
EOF
}

die() {
	echo "$prog: error: $*" >&2
	exit 2
}
skip() {
	echo "$prog: skip: $*" >&2
	exit 77
}

mode='' kernel='' initrd='' iso='' mem=256 timeout=60 expect='' append='' have_append=0
log='' nic=virtio-net-pci send='' send_after='' have_send=0 expect_exit=0
ovmf=/usr/share/ovmf/OVMF.fd disk_if=ide accel=tcg
extra=()
need_arg() { [[ $# -ge 2 ]] || die "option '$1' needs an argument"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--mode) need_arg "$@"; mode=$2; shift 2 ;;
	--kernel) need_arg "$@"; kernel=$2; shift 2 ;;
	--initrd) need_arg "$@"; initrd=$2; shift 2 ;;
	--iso) need_arg "$@"; iso=$2; shift 2 ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--timeout) need_arg "$@"; timeout=$2; shift 2 ;;
	--expect) need_arg "$@"; expect=$2; shift 2 ;;
	--append) need_arg "$@"; append=$2; have_append=1; shift 2 ;;
	--log) need_arg "$@"; log=$2; shift 2 ;;
	--nic) need_arg "$@"; nic=$2; shift 2 ;;
	--send) need_arg "$@"; send=$2; have_send=1; shift 2 ;;
	--send-after) need_arg "$@"; send_after=$2; shift 2 ;;
	--expect-exit) expect_exit=1; shift ;;
	--ovmf) need_arg "$@"; ovmf=$2; shift 2 ;;
	--disk-if) need_arg "$@"; disk_if=$2; shift 2 ;;
	--accel) need_arg "$@"; accel=$2; shift 2 ;;
	--qemu-arg) need_arg "$@"; extra+=("$2"); shift 2 ;;
	--*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

# --- validate ------------------------------------------------------------------------------
[[ -n $mode ]] || die "missing --mode (see --help)"
case $mode in
kernel | cd-bios | disk-bios | cd-uefi | disk-uefi) ;;
*) die "invalid --mode '$mode' (kernel, cd-bios, disk-bios, cd-uefi or disk-uefi)" ;;
esac
readable() { [[ -f $2 && -r $2 ]] || die "cannot read $1 '$2'"; }
if [[ $mode == kernel ]]; then
	[[ -n $kernel ]] || die "--mode kernel needs --kernel"
	[[ -n $initrd ]] || die "--mode kernel needs --initrd"
	[[ -z $iso ]] || die "--iso does not apply to --mode kernel"
	readable --kernel "$kernel"
	readable --initrd "$initrd"
	[[ $have_append == 1 ]] || append="console=ttyS0,115200 panic=-1"
else
	[[ -n $iso ]] || die "--mode $mode needs --iso"
	[[ -z $kernel && -z $initrd ]] || die "--kernel/--initrd do not apply to --mode $mode"
	[[ $have_append == 0 ]] || die "--append applies to --mode kernel only (the ISO carries its command line)"
	readable --iso "$iso"
fi
if ! [[ $mem =~ ^[0-9]{1,7}$ ]] || ((10#$mem < 16)); then die "invalid --mem '$mem' (MB, at least 16)"; fi
mem=$((10#$mem))
[[ $timeout =~ ^([0-9]+)(\.([0-9]{1,6}))?$ ]] || die "invalid --timeout '$timeout' (seconds)"
frac=${BASH_REMATCH[3]}000000
timeout_us=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${frac:0:6}))
((timeout_us > 0)) || die "--timeout must be more than 0"
[[ -n $expect ]] || die "missing --expect (see --help)"
check_regex() {
	local rc=0
	grep -E -q -- "$2" </dev/null 2>/dev/null || rc=$?
	((rc < 2)) || die "invalid $1 regex '$2'"
}
check_regex --expect "$expect"
if [[ $have_send == 1 || -n $send_after ]]; then
	[[ $have_send == 1 && -n $send_after ]] || die "--send and --send-after go together"
	check_regex --send-after "$send_after"
	[[ $send != *$'\n'* ]] || die "--send must be one line"
fi
[[ $nic =~ ^[A-Za-z0-9_.-]+$ ]] || die "invalid --nic '$nic'"
case $disk_if in ide | virtio) ;; *) die "invalid --disk-if '$disk_if' (ide or virtio)" ;; esac
case $accel in tcg | kvm | auto) ;; *) die "invalid --accel '$accel' (tcg, kvm or auto)" ;; esac
if [[ -n $log ]]; then
	[[ ! -d $log ]] || die "--log '$log' is a directory"
	[[ -d $(dirname -- "$log") ]] || die "directory of --log '$log' does not exist"
fi

qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || skip "$qemu not found (install qemu-system-x86)"
if [[ $mode == *-uefi ]]; then
	[[ -f $ovmf && -r $ovmf ]] || skip "OVMF firmware '$ovmf' not found (install ovmf)"
fi

# --- QEMU command line ---------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qemu-boot.XXXXXX")
own_log=0
if [[ -z $log ]]; then
	log=$(mktemp "${TMPDIR:-/tmp}/qemu-boot.XXXXXX.log")
	own_log=1
fi
: >"$log" || die "cannot write --log '$log'"

args=(-name ingot-boot-test -m "$mem" -display none -monitor none -no-reboot
	-chardev "pipe,id=ser0,path=$tmp/serial" -serial chardev:ser0)
case $accel in
tcg) args+=(-accel tcg) ;;
kvm) args+=(-accel kvm) ;;
auto) if [[ -r /dev/kvm && -w /dev/kvm ]]; then args+=(-accel kvm -accel tcg); else args+=(-accel tcg); fi ;;
esac
if [[ $nic == none ]]; then args+=(-nic none); else args+=(-nic "user,model=$nic"); fi
[[ $mode != *-uefi ]] || args+=(-bios "$ovmf")
# QEMU splits -drive values on commas; double them in the file name.
iso_opt=${iso//,/,,}
# shellcheck disable=SC2054 # commas belong to QEMU option values
case $mode in
kernel)
	args+=(-kernel "$kernel" -initrd "$initrd" -append "$append") ;;
cd-*)
	args+=(-drive "file=$iso_opt,format=raw,if=none,id=boot0,media=cdrom,readonly=on"
		-device ide-cd,drive=boot0,bootindex=0) ;;
disk-*)
	args+=(-drive "file=$iso_opt,format=raw,if=none,id=boot0,snapshot=on")
	if [[ $disk_if == ide ]]; then
		args+=(-device ide-hd,drive=boot0,bootindex=0)
	else
		args+=(-device virtio-blk-pci,drive=boot0,bootindex=0)
	fi ;;
esac
args+=(${extra[@]+"${extra[@]}"})

# --- run -----------------------------------------------------------------------------------
qpid='' catpid='' ok=0
cleanup() {
	local i
	if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM -- "-$qpid" 2>/dev/null || true
		for ((i = 0; i < 30; i++)); do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	if [[ -n $catpid ]]; then
		kill "$catpid" 2>/dev/null || true
		wait "$catpid" 2>/dev/null || true
	fi
	exec 3>&- || true
	rm -rf -- "$tmp"
	if [[ $own_log == 1 && $ok == 1 ]]; then rm -f -- "$log"; fi
}
interrupted() {
	echo "$prog: interrupted; serial log: $log" >&2
	exit "$1"
}
trap cleanup EXIT
trap 'interrupted 130' INT
trap 'interrupted 143' TERM

mkfifo "$tmp/serial.in" "$tmp/serial.out"
exec 3<>"$tmp/serial.in"
cat "$tmp/serial.out" >"$log" &
catpid=$!

now_us() { local t=$EPOCHREALTIME; echo $((10#${t%.*} * 1000000 + 10#${t#*.})); }
secs() { printf '%d.%02d' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }
# timeout(1) puts itself and QEMU in a new process group (killed as one at the end), and is a
# backstop: QEMU dies on its own 30 s after --timeout even if this script is SIGKILLed.
hard_limit=$((timeout_us / 1000000 + 31))
t0=$(now_us)
timeout --kill-after=5 "$hard_limit" "$qemu" "${args[@]}" </dev/null >"$tmp/qemu.out" 2>&1 &
qpid=$!

# First line of the CR-stripped log matching $1, status 1 if none.  (Not a pipe: grep -m1
# may quit early, and tr's SIGPIPE would turn a match into a failure under pipefail.)
find_line() { grep -E -m1 -- "$1" < <(tr -d '\r' <"$log"); }

sent=0 matched=0 match_line='' match_us=0 exited=0 qstatus=''
evaluate() {
	if [[ $have_send == 1 && $sent == 0 ]] && find_line "$send_after" >/dev/null; then
		printf '%s\n' "$send" >&3
		sent=1
		echo "$prog: sent '$send' after $(secs $(($(now_us) - t0))) s" >&2
	fi
	if [[ $matched == 0 ]] && match_line=$(find_line "$expect"); then
		matched=1
		match_us=$(($(now_us) - t0))
	fi
}
satisfied() { [[ $matched == 1 && ($have_send == 0 || $sent == 1) ]]; }

while :; do
	evaluate
	if ! kill -0 "$qpid" 2>/dev/null; then
		qstatus=0
		wait "$qpid" || qstatus=$?
		exited=1
		exit_us=$(($(now_us) - t0))
		qpid=''
		# Let cat copy what QEMU wrote last, then look once more.
		for ((i = 0; i < 20; i++)); do
			kill -0 "$catpid" 2>/dev/null || break
			sleep 0.05
		done
		evaluate
		break
	fi
	if satisfied && [[ $expect_exit == 0 ]]; then break; fi
	(($(now_us) - t0 < timeout_us)) || break
	sleep 0.05
done

fail_report() {
	echo "$prog: $1" >&2
	echo "$prog: last 30 serial lines:" >&2
	tail -n 30 "$log" | tr -d '\r' | sed 's/^/  | /' >&2
	if [[ -s $tmp/qemu.out ]]; then
		echo "$prog: qemu said:" >&2
		sed 's/^/  | /' "$tmp/qemu.out" >&2
	fi
	echo "$prog: serial log: $log" >&2
	exit 1
}

what="/$expect/"
[[ $have_send == 0 ]] || what="$what (send '$send' after /$send_after/)"
if ! satisfied; then
	if [[ $have_send == 1 && $sent == 0 ]]; then
		what="/$send_after/ to send '$send'"
	fi
	if [[ $exited == 1 ]]; then
		fail_report "qemu exited (status $qstatus) after $(secs "$exit_us") s before matching $what (mode $mode)"
	fi
	fail_report "timeout: no match for $what within $timeout s (mode $mode)"
fi
echo "$prog: matched after $(secs "$match_us") s: $match_line"
if [[ $expect_exit == 1 ]]; then
	[[ $exited == 1 ]] ||
		fail_report "matched, but qemu did not exit on its own within $timeout s (mode $mode)"
	[[ $qstatus == 0 ]] ||
		fail_report "matched, but qemu exited with status $qstatus (mode $mode)"
	echo "$prog: qemu exited on its own (status $qstatus) after $(secs "$exit_us") s"
fi
ok=1
