#!/bin/sh
# capture.sh [--serial] OUT: copies what the inventory reads (src/agent/inventory.h, disk.c) from
# this machine into the directory OUT, as plain files and the relative symlinks of sysfs, for
# the unit tests. Run as root on the machine to capture (a QEMU node booted from ingot, the
# build machine). Symlinks are reproduced with their relative targets, and what they point at is
# copied too, so the tree is self-contained; absolute links are left out.
#
# POSIX sh plus `local`: it runs under bash, dash and the busybox ash of the ingot image, which
# has no realpath -m. --serial then also writes OUT.tgz and prints it in base64 between the
# lines "--- capture begin ---" and "--- capture end ---", and its sha256sum after them, to take
# the tree off a serial console (tests/data/inventory/README says how, and how the QEMU node was
# booted).
# shellcheck disable=SC3043 # local: in dash and busybox ash, which is what matters
set -u
serial=0
if [ "${1:-}" = --serial ]; then
	serial=1
	shift
fi
out=${1:?usage: capture.sh [--serial] OUT}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)

# normpath PATH: PATH (absolute) with "." and ".." resolved by name, as realpath -s -m does.
normpath() {
	local rest="${1#/}" comp res=""
	while [ -n "$rest" ]; do
		comp=${rest%%/*}
		if [ "$comp" = "$rest" ]; then rest=""; else rest=${rest#*/}; fi
		case $comp in
		"" | .) ;;
		..) res=${res%/*} ;;
		*) res="$res/$comp" ;;
		esac
	done
	echo "${res:-/}"
}

# grab PATH: copies PATH (file or directory entry) and every symlink on the way to it.
grab() {
	local rest="${1#/}" cur="" comp target n=0
	while [ -n "$rest" ]; do
		n=$((n + 1))
		[ $n -lt 64 ] || return 0
		comp=${rest%%/*}
		if [ "$comp" = "$rest" ]; then rest=""; else rest=${rest#*/}; fi
		cur="$cur/$comp"
		if [ -L "$cur" ]; then
			target=$(readlink "$cur")
			case $target in /*) return 0 ;; esac
			mkdir -p "$out$(dirname "$cur")"
			[ -L "$out$cur" ] || ln -s "$target" "$out$cur"
			rest=$(normpath "$(dirname "$cur")/$target")${rest:+/$rest}
			rest=${rest#/}
			cur=""
		elif [ ! -e "$cur" ]; then
			return 0
		fi
	done
	if [ -d "$cur" ]; then
		mkdir -p "$out$cur"
	elif [ -f "$cur" ] && [ -r "$cur" ]; then
		mkdir -p "$out$(dirname "$cur")"
		cat "$cur" >"$out$cur" 2>/dev/null || rm -f "$out$cur"
	fi
}

grab /proc/cpuinfo
grab /proc/meminfo
grab /proc/sys/kernel/arch
grab /sys/devices/system/cpu/present
for c in /sys/devices/system/cpu/cpu[0-9]*; do
	grab "$c/cpufreq/cpuinfo_max_freq"
	grab "$c/topology/thread_siblings"
	grab "$c/topology/core_siblings"
done
grab /sys/devices/system/memory/block_size_bytes
for m in /sys/devices/system/memory/memory[0-9]*; do grab "$m/online"; done
for f in /sys/class/dmi/id/*; do [ -f "$f" ] && grab "$f"; done
grab /sys/firmware/dmi/tables/DMI
grab /sys/firmware/dmi/tables/smbios_entry_point
[ -d /sys/firmware/efi ] && grab /sys/firmware/efi/fw_platform_size
for n in /sys/class/net/*; do
	for a in address carrier speed type device/vendor device/device device/driver bonding; do
		grab "$n/$a"
	done
done
for b in /sys/block/*; do
	name=${b##*/}
	for a in size ro removable queue/rotational queue/logical_block_size \
		queue/physical_block_size serial wwid nsid dm loop device/vendor device/model \
		device/serial device/wwid device/type device/vpd_pg80 device/vpd_pg83 \
		device/vpd_pg89 device/scsi_device slaves dev; do
		grab "$b/$a"
	done
	# the H:C:T:L entry (uevent only keeps the directory: git stores no empty ones)
	for s in "$b"/device/scsi_device/*; do grab "$s/uevent"; done
	grab "/sys/class/block/$name"
done
# path_id's number of an ATA port (the by-path name of a SATA disk without udev)
for p in /sys/class/ata_port/*; do grab "$p/port_no"; done
for l in /dev/disk/by-path/*; do
	[ -L "$l" ] || continue
	mkdir -p "$out/dev/disk/by-path"
	ln -sf "$(readlink "$l")" "$out$l"
done
hostname >"$out/hostname"
uname -m >"$out/architecture"

if [ $serial = 1 ]; then
	tar -C "$out" -czf "$out.tgz" . || exit 1
	echo "--- capture begin ---"
	base64 "$out.tgz"
	echo "--- capture end ---"
	sha256sum "$out.tgz"
fi
