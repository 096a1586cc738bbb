#!/bin/bash
# mkiso.sh: build ingot's hybrid (BIOS + UEFI, CD + raw disk) ISO 9660 image, rootless and
# reproducibly.  See --help.
#
# BIOS: ISOLINUX El Torito entry, plus isohdpfx.bin as MBR for the raw-disk form.
# UEFI: El Torito EFI entry for a FAT image (boot/efiboot.img) holding a grub-mkimage GRUB
#       (modules built in, small early config that finds the ISO by /boot/ingot.id), and
#       -isohybrid-gpt-basdat so firmware sees that FAT image as a partition on the disk form.
#
# Reproducibility: SOURCE_DATE_EPOCH (default: newest mtime of --kernel/--initrd) sets every
# staged mtime, xorriso's volume dates/UUID/GPT GUIDs and "now", and mtools' directory dates;
# mkfs.vfat runs with --invariant and a volume id derived from it; TZ=UTC because FAT stores
# local time.  grub-mkimage (unlike grub-mkstandalone's memdisk tar) embeds no time.
set -euo pipefail

prog=mkiso
export LC_ALL=C TZ=UTC


usage() {
	cat <<'EOF'
Usage: mkiso.sh --kernel FILE --initrd FILE --cmdline STRING --volid LABEL --work DIR --out FILE.iso

Build a hybrid ISO 9660 image that boots under BIOS (ISOLINUX) and UEFI (GRUB), both from CD
and written raw to a disk or USB stick.  Runs as an ordinary user.

  --kernel FILE     x86 bzImage, installed as /boot/bzImage
  --initrd FILE     initramfs, installed as /boot/rootfs.cpio.xz
  --cmdline STRING  kernel command line (may be empty; no quotes, backslashes or control
                    characters: ISOLINUX and GRUB must pass it on identically)
  --volid LABEL     ISO volume id, 1-32 characters of A-Z a-z 0-9 _ . -
  --work DIR        scratch directory (created; its stage/ and efi/ are replaced)
  --out FILE        output image; written to a temporary file beside it, then renamed
  -h, --help        show this help

Environment:
  SOURCE_DATE_EPOCH  timestamp for every date in the image (default: newest mtime of
                     --kernel and --initrd); same inputs + same value = identical image
  ISOLINUX_DIR       isolinux.bin and isohdpfx.bin   (default /usr/lib/ISOLINUX)
  SYSLINUX_BIOS_DIR  ldlinux.c32                     (default /usr/lib/syslinux/modules/bios)
  GRUB_EFI_DIR       GRUB x86_64-efi modules         (default /usr/lib/grub/x86_64-efi)

Exit status: 0 success, 1 build failure, 2 usage error.
EOF
}

die() { # usage/input error
	echo "$prog: error: $*" >&2
	exit 2
}
fail() { # environment or build failure
	echo "$prog: error: $*" >&2
	exit 1
}

kernel='' initrd='' cmdline='' volid='' work='' out=''
have_cmdline=0
need_arg() { [[ $# -ge 2 ]] || die "option '$1' needs an argument"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) need_arg "$@"; kernel=$2; shift 2 ;;
	--initrd) need_arg "$@"; initrd=$2; shift 2 ;;
	--cmdline) need_arg "$@"; cmdline=$2; have_cmdline=1; shift 2 ;;
	--volid) need_arg "$@"; volid=$2; shift 2 ;;
	--work) need_arg "$@"; work=$2; shift 2 ;;
	--out) need_arg "$@"; out=$2; shift 2 ;;
	--kernel=* | --initrd=* | --volid=* | --work=* | --out=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	--cmdline=*) set -- --cmdline "${1#*=}" "${@:2}" ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

[[ -n $kernel ]] || die "missing --kernel (see --help)"
[[ -n $initrd ]] || die "missing --initrd (see --help)"
[[ $have_cmdline == 1 ]] || die "missing --cmdline (see --help)"
[[ -n $volid ]] || die "missing --volid (see --help)"
[[ -n $work ]] || die "missing --work (see --help)"
[[ -n $out ]] || die "missing --out (see --help)"

for f in "$kernel" "$initrd"; do
	[[ -f $f && -r $f ]] || die "cannot read '$f'"
	[[ -s $f ]] || die "'$f' is empty"
done
# The x86 boot protocol header: "HdrS" at offset 0x202.
[[ $(od -An -c -j 514 -N 4 "$kernel" | tr -d ' ') == HdrS ]] ||
	die "'$kernel' is not an x86 bzImage (no HdrS boot header)"
[[ $volid =~ ^[A-Za-z0-9_.-]{1,32}$ ]] ||
	die "invalid --volid '$volid' (1-32 characters of A-Z a-z 0-9 _ . -)"
[[ $cmdline != *[[:cntrl:]]* ]] || die "--cmdline contains a control character"
[[ $cmdline != *[\"\'\\]* ]] ||
	die "--cmdline contains a quote or backslash (ISOLINUX and GRUB would pass it on differently)"
# Leave room for "initrd=/boot/rootfs.cpio.xz " within the kernel's 2048-byte limit.
((${#cmdline} <= 2000)) || die "--cmdline is longer than 2000 characters"
out_dir=$(dirname -- "$out")
out_base=$(basename -- "$out")
[[ -d $out_dir ]] || die "directory of --out '$out_dir' does not exist"
[[ ! -d $out ]] || die "--out '$out' is a directory"
[[ -w $out_dir && -x $out_dir ]] || die "cannot write to the directory of --out '$out_dir'"
if [[ -e $work && ! -d $work ]]; then die "--work '$work' is not a directory"; fi

if [[ -z ${SOURCE_DATE_EPOCH+x} ]]; then
	SOURCE_DATE_EPOCH=$(stat -c %Y -- "$kernel" "$initrd" | sort -n | tail -n 1)
fi
if ! [[ $SOURCE_DATE_EPOCH =~ ^[0-9]{1,10}$ ]] || ((10#$SOURCE_DATE_EPOCH >= 4294967296)); then
	die "SOURCE_DATE_EPOCH '$SOURCE_DATE_EPOCH' is not a number of seconds before 2106"
fi
SOURCE_DATE_EPOCH=$((10#$SOURCE_DATE_EPOCH))
export SOURCE_DATE_EPOCH
sde=$SOURCE_DATE_EPOCH

isolinux_dir=${ISOLINUX_DIR:-/usr/lib/ISOLINUX}
syslinux_bios_dir=${SYSLINUX_BIOS_DIR:-/usr/lib/syslinux/modules/bios}
grub_dir=${GRUB_EFI_DIR:-/usr/lib/grub/x86_64-efi}
mkfs_vfat=
for c in mkfs.vfat mkfs.fat /usr/sbin/mkfs.vfat /sbin/mkfs.vfat /usr/sbin/mkfs.fat /sbin/mkfs.fat; do
	if command -v "$c" >/dev/null 2>&1; then mkfs_vfat=$(command -v "$c"); break; fi
done
[[ -n $mkfs_vfat ]] || fail "mkfs.vfat not found (install dosfstools)"
for c in xorriso:xorriso grub-mkimage:grub-common mmd:mtools mcopy:mtools; do
	command -v "${c%%:*}" >/dev/null 2>&1 || fail "${c%%:*} not found (install ${c#*:})"
done
for f in "$isolinux_dir/isolinux.bin:isolinux" "$isolinux_dir/isohdpfx.bin:isolinux" \
	"$syslinux_bios_dir/ldlinux.c32:syslinux-common" "$grub_dir/linux.mod:grub-efi-amd64-bin"; do
	[[ -f ${f%:*} ]] || fail "${f%:*} not found (install ${f##*:})"
done

# Helper: run a command quietly, show its output only if it fails.
run() {
	local log=$work/last-command.log
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		fail "'$1' failed"
	fi
}

mkdir -p -- "$work" || fail "cannot create --work '$work'"
stage=$work/stage
efi=$work/efi
rm -rf -- "$stage" "$efi"
mkdir -p "$stage/boot/grub" "$stage/isolinux" "$stage/EFI/BOOT" "$efi"

tmp_out=
cleanup() { if [[ -n $tmp_out ]]; then rm -f -- "$tmp_out"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- payload -------------------------------------------------------------------------------
cp -- "$kernel" "$stage/boot/bzImage"
cp -- "$initrd" "$stage/boot/rootfs.cpio.xz"
printf 'ingot %s\n' "$volid" >"$stage/boot/ingot.id"

# --- BIOS: ISOLINUX ------------------------------------------------------------------------
cp -- "$isolinux_dir/isolinux.bin" "$stage/isolinux/isolinux.bin"
cp -- "$syslinux_bios_dir/ldlinux.c32" "$stage/isolinux/ldlinux.c32"
cat >"$stage/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT ingot
PROMPT 0
TIMEOUT 0
LABEL ingot
  KERNEL /boot/bzImage
  APPEND initrd=/boot/rootfs.cpio.xz${cmdline:+ $cmdline}
EOF

# --- UEFI: GRUB ----------------------------------------------------------------------------
# GRUB's parser expands $, splits on ; | & etc.: single-quote each word that is not plain.
grub_args=
read -r -a words <<<"$cmdline"
for w in ${words[@]+"${words[@]}"}; do
	if [[ $w =~ ^[A-Za-z0-9_.,:/=+@%-]+$ ]]; then grub_args+=" $w"; else grub_args+=" '$w'"; fi
done
# No "timeout_style=hidden" (nor countdown): with timeout 0 those cost GRUB 2.06 about 2.5 s
# under OVMF/TCG, while the default menu style boots at once without drawing the menu.
cat >"$stage/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry "ingot" {
  linux /boot/bzImage$grub_args
  initrd /boot/rootfs.cpio.xz
}
EOF
# The embedded config runs in GRUB's rescue parser (normal mode is not up yet): one simple
# command per line, no if/then.  A failed search prints "error: no such device".
cat >"$efi/early.cfg" <<'EOF'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
search --no-floppy --file --set=root /boot/ingot.id
set prefix=($root)/boot/grub
echo "ingot: grub config $prefix/grub.cfg"
configfile $prefix/grub.cfg
EOF
grub_modules=(normal configfile echo test ls cat halt reboot
	linux boot gzio
	search search_fs_file part_gpt part_msdos iso9660 fat
	serial terminal efi_gop efi_uga all_video)
run grub-mkimage -O x86_64-efi -d "$grub_dir" -p /boot/grub -c "$efi/early.cfg" \
	-o "$efi/BOOTX64.EFI" "${grub_modules[@]}"
cp -- "$efi/BOOTX64.EFI" "$stage/EFI/BOOT/BOOTX64.EFI"

# --- UEFI: FAT image for the El Torito EFI entry / GPT ESP ----------------------------------
# FAT12 with 512 root entries and 2 KiB clusters: ~20 KiB overhead + 2 dir clusters; give
# 1/16 + 64 KiB slack and round up to 64 KiB.
efi_kb=$((($(stat -c %s "$efi/BOOTX64.EFI") + 1023) / 1024))
img_kb=$(((efi_kb + efi_kb / 16 + 64 + 63) / 64 * 64))
img=$stage/boot/efiboot.img
touch -d "@$sde" "$efi/BOOTX64.EFI"
run "$mkfs_vfat" -C --invariant -i "$(printf '%08X' "$sde")" -n EFIBOOT "$img" "$img_kb"
export MTOOLS_SKIP_CHECK=1
run mmd -i "$img" ::/EFI ::/EFI/BOOT # dates from SOURCE_DATE_EPOCH (mtools >= 4.0.28)
run mcopy -m -i "$img" "$efi/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

# --- ISO -----------------------------------------------------------------------------------
find "$stage" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
find "$stage" -exec touch -h -d "@$sde" {} +

tmp_out=$out_dir/.$out_base.tmp.$$
rm -f -- "$tmp_out"
# -no_rc: ignore xorriso startup files; explicit -A/-publisher/-p/-sysid/-volset override any
# .mkisofsrc (read from the cwd and $HOME).  SOURCE_DATE_EPOCH fixes the volume dates and
# UUID, GPT GUIDs and file dates (set_to_mtime).
unset MKISOFSRC
run xorriso -no_rc -as mkisofs \
	-o "$tmp_out" \
	-V "$volid" -volset "" -A "" -publisher "" -p "" -sysid "" \
	-r -J \
	-isohybrid-mbr "$isolinux_dir/isohdpfx.bin" \
	-c isolinux/boot.cat \
	-b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
	-eltorito-alt-boot \
	-e boot/efiboot.img -no-emul-boot -isohybrid-gpt-basdat \
	"$stage"
mv -f -- "$tmp_out" "$out"
tmp_out=
echo "$prog: wrote $out ($(stat -c %s -- "$out") bytes; BOOTX64.EFI $(stat -c %s "$efi/BOOTX64.EFI") bytes; efiboot.img ${img_kb} KiB; SOURCE_DATE_EPOCH=$sde)"
