#!/bin/sh
# run-qemu.sh: boot ingot's images in QEMU, interactively, with the serial
# console on this terminal (Ctrl-A X quits).
set -eu

usage() {
	cat <<USAGE
usage: run-qemu.sh [--mode MODE] [--mem MB] [--images DIR] [--append ARGS] [-- QEMU-ARGS...]

  --mode    kernel (default: -kernel/-initrd), cd-bios, disk-bios, cd-uefi, disk-uefi
  --mem     guest RAM in MB (default 256)
  --images  directory with bzImage, rootfs.cpio.xz, rootfs.iso9660 (default output/images)
  --append  kernel command line for --mode kernel (default: console=ttyS0,115200n8)

The guest gets user networking (10.0.2.15, the host is 10.0.2.2) and the agent
port 9999 forwarded to localhost:9999.  Arguments after -- go to QEMU.
USAGE
}

mode=kernel mem=256 images=output/images append="console=ttyS0,115200n8"
while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--images) images=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--help | -h) usage; exit 0 ;;
	--) shift; break ;;
	*) echo "run-qemu: error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

accel=tcg
[ -w /dev/kvm ] && accel=kvm:tcg
set -- -accel "$accel" -m "$mem" -nographic -no-reboot \
	-nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:9999-:9999 "$@"
ovmf=/usr/share/ovmf/OVMF.fd
case $mode in
kernel) exec qemu-system-x86_64 -kernel "$images/bzImage" -initrd "$images/rootfs.cpio.xz" -append "$append" "$@" ;;
cd-bios) exec qemu-system-x86_64 -cdrom "$images/rootfs.iso9660" "$@" ;;
disk-bios) exec qemu-system-x86_64 -drive file="$images/rootfs.iso9660",format=raw,snapshot=on "$@" ;;
cd-uefi) exec qemu-system-x86_64 -bios "$ovmf" -cdrom "$images/rootfs.iso9660" "$@" ;;
disk-uefi) exec qemu-system-x86_64 -bios "$ovmf" -drive file="$images/rootfs.iso9660",format=raw,snapshot=on "$@" ;;
*) echo "run-qemu: error: unknown mode '$mode' (try --help)" >&2; exit 2 ;;
esac
