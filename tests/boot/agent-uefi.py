#!/usr/bin/env python3
"""agent-uefi.py IMAGES: a UEFI whole-disk deploy through an ingot image's agent, then the
node booted from its disk by the boot entry the agent wrote (issue 3, acceptance 2).

The node runs OVMF with a persistent variable store (OVMF_CODE.fd + a copy of OVMF_VARS.fd).
The image, handed over as qcow2 (qemu-img convert -c, as an Ironic without force_raw_images
sends it): a GPT disk whose EFI system partition holds a loader only a boot entry leads to,
\\EFI\\ingot-test\\bootx64.efi (a GRUB built here with grub-mkimage, whose embedded config
prints a marker on the serial console and powers off), nothing at the removable-media path
\\EFI\\BOOT\\. Through the agent (against tests/unit/data/ironic-stub.py, a stand-in for
Ironic's lookup and heartbeat), as the conductor does for a UEFI whole-disk deploy:
write_image, image.install_bootloader (target_boot_mode uefi), standby.power_off, which first
sets the clock from an SNTP server the script runs on the host's port 123 (ipa-ntp-server) and
writes it to the RTC, as IPA's _sync_clock() (skipped, saying why, without the port). Then QEMU
starts again with the same variable store and the disk alone, no kernel, no boot order from
QEMU: the firmware must boot the loader through the agent's entry and the marker appear.
Exit 0 on success, 1 on a failure, 77 (with the reason) when it cannot run here.
"""
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

from agentlib import (call, check, finish, free_port, images_skip_reason, poll_last,
                      sntp_server, start_stub, wait_for)

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd"
MARKER = "INGOT-TEST-LOADER: booted through the boot entry the agent wrote"
NODE_UUID = "ef9bfa3d-084b-4ed6-9c94-56d383f704dc"
MIB = 1 << 20


def make_loader(d):
    """A GRUB EFI application whose embedded config prints MARKER and powers off."""
    cfg = os.path.join(d, "loader.cfg")
    with open(cfg, "w") as f:
        f.write("serial --unit=0 --speed=115200\nterminal_output serial\n"
                "echo '%s'\nhalt\n" % MARKER)
    out = os.path.join(d, "bootx64.efi")
    subprocess.run(["grub-mkimage", "-O", "x86_64-efi", "-o", out, "-p", "/EFI/ingot-test",
                    "-c", cfg, "serial", "terminal", "echo", "halt"],
                   check=True, capture_output=True)
    return out


def make_image(d, loader):
    """A 64 MiB GPT image: an 8 MiB ESP (FAT) with only EFI/ingot-test/bootx64.efi, and a
    Linux partition with random bytes."""
    img = os.path.join(d, "www", "disk.raw")
    defs = os.path.join(d, "defs")
    os.makedirs(defs)
    os.makedirs(os.path.dirname(img))
    with open(os.path.join(defs, "1.conf"), "w") as f:
        f.write("[Partition]\nType=esp\nSizeMinBytes=8M\nSizeMaxBytes=8M\n")
    with open(os.path.join(defs, "2.conf"), "w") as f:
        f.write("[Partition]\nType=linux-generic\nSizeMinBytes=16M\nSizeMaxBytes=16M\n")
    subprocess.run(["systemd-repart", "--empty=create", "--size=64M", "--dry-run=no",
                    "--definitions=" + defs, img], check=True, capture_output=True)
    with open(img, "rb") as f:
        f.seek(2 * 512)
        esp = f.read(128)
        root = f.read(128)
    esp_first, esp_last = struct.unpack_from("<QQ", esp, 32)
    root_first = struct.unpack_from("<Q", root, 32)[0]
    subprocess.run(["mkfs.vfat", "-F", "16", "-s", "1", "--offset=%d" % esp_first, "-n", "ESP", img,
                    str((esp_last - esp_first + 1) // 2)], check=True, capture_output=True)
    target = "%s@@%d" % (img, esp_first * 512)
    for path in ("::/EFI", "::/EFI/ingot-test"):
        subprocess.run(["mmd", "-i", target, path], check=True, capture_output=True)
    subprocess.run(["mcopy", "-i", target, loader, "::/EFI/ingot-test/bootx64.efi"],
                   check=True, capture_output=True)
    with open(img, "r+b") as f:
        f.seek(root_first * 512)
        f.write(os.urandom(8 * MIB))
    with open(img, "rb") as f:
        return img, hashlib.sha256(f.read()).hexdigest()


def firmware(vars_file):
    return ["-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
            "-drive", "if=pflash,format=raw,file=" + vars_file]


def main():
    if len(sys.argv) != 2:
        print("usage: agent-uefi.py IMAGES", file=sys.stderr)
        return 2
    images = sys.argv[1]
    why = images_skip_reason(images, ("qemu-system-x86_64", "qemu-img", "systemd-repart",
                                      "grub-mkimage",
                                      "mkfs.vfat", "mcopy", "mmd"))
    for f in (OVMF_CODE, OVMF_VARS):
        if not why and not os.path.exists(f):
            why = "%s not found (install ovmf)" % f
    if why:
        print("skip: " + why)
        return 77

    d = tempfile.mkdtemp(prefix="ingot-agent-uefi.")
    procs = []
    stop = threading.Event()
    try:
        img, _ = make_image(d, make_loader(d))
        # handed over as qcow2, as an Ironic without force_raw_images does: compressed
        qcow2 = os.path.join(os.path.dirname(img), "disk.qcow2")
        subprocess.run(["qemu-img", "convert", "-c", "-O", "qcow2", img, qcow2], check=True,
                       capture_output=True)
        with open(qcow2, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        disk, vars_file = os.path.join(d, "disk.raw"), os.path.join(d, "vars.fd")
        with open(disk, "wb") as f:
            f.truncate(5 << 30)
        shutil.copy(OVMF_VARS, vars_file)
        ironic_port = start_stub(procs, "old")
        image_port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
             os.path.dirname(img), str(image_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        api_port = free_port()
        serial = os.path.join(d, "serial.log")
        append = "console=ttyS0,115200n8 ipa-api-url=http://10.0.2.2:%d" % ironic_port
        ntp, why_not = sntp_server(stop, 0)
        if ntp:
            append += " ipa-ntp-server=10.0.2.2"
        else:
            print("skip - ntp: no SNTP server on the host's port 123: %s" % why_not)
        start = time.time()
        qemu = subprocess.Popen(
            ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
             "-display", "none", "-monitor", "none", "-serial", "file:" + serial]
            + firmware(vars_file) +
            ["-kernel", os.path.join(images, "bzImage"),
             "-initrd", os.path.join(images, "rootfs.cpio.xz"),
             "-append", append,
             "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9999" % api_port,
             "-device", "virtio-net-pci,netdev=n0",
             "-drive", "file=%s,format=raw,if=none,id=vd" % disk,
             "-device", "virtio-blk-pci,drive=vd"])
        procs.append(qemu)
        check(wait_for(serial, "heartbeat sent", 300),
              "UEFI ramdisk: first heartbeat %.1f s after QEMU started" % (time.time() - start))

        info = {"id": "disk.qcow2", "urls": ["http://10.0.2.2:%d/disk.qcow2" % image_port],
                "disk_format": "qcow2", "container_format": "bare", "stream_raw_images": True,
                "os_hash_algo": "sha256", "os_hash_value": sha, "node_uuid": NODE_UUID}
        node = {"uuid": NODE_UUID, "properties": {}, "instance_info": {},
                "driver_internal_info": {}}
        step = {"interface": "deploy", "step": "write_image", "priority": 80,
                "args": {"image_info": info, "configdrive": None}}
        status, _ = call(api_port, "POST", "/v1/commands/",
                         body={"name": "deploy.execute_deploy_step",
                               "params": {"step": step, "node": node, "ports": [],
                                          "deploy_version": {
                                              "generic_hardware_manager": "1.1"}}})
        last = poll_last(api_port) if status == 200 else None
        check(last and last["command_status"] == "SUCCEEDED",
              "write_image of the qcow2 image: SUCCEEDED (%s)"
              % (last or {}).get("command_error"))

        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body={"name": "image.install_bootloader",
                                  "params": {"root_uuid": None, "efi_system_part_uuid": None,
                                             "prep_boot_part_uuid": None,
                                             "target_boot_mode": "uefi"}})
        check(status == 200 and body.get("command_status") == "SUCCEEDED",
              "image.install_bootloader (uefi): %s %s" % (status, body.get("command_error")))
        with open(serial, errors="replace") as f:
            for line in f:
                if "boot entry" in line.lower() or "Boot0" in line:
                    print("# " + line.strip()[:160])

        call(api_port, "POST", "/v1/commands/", body={"name": "standby.power_off",
                                                      "params": {}})
        try:
            qemu.wait(timeout=120)
            check(True, "standby.power_off: QEMU exited")
        except subprocess.TimeoutExpired:
            check(False, "standby.power_off: QEMU exited")
            qemu.kill()
        if ntp:
            check(wait_for(serial, "hardware clock set from the system clock", 1),
                  "standby.power_off: clock synced and written to the RTC first (ipa-ntp-server)")

        with open(img, "rb") as a, open(disk, "rb") as b:
            raw, written = a.read(), b.read(os.path.getsize(img))
        # but for the GPT, whose backup write_image moves to the end of the disk
        check(raw[34 * 512:-33 * 512] == written[34 * 512:-33 * 512],
              "the disk holds the raw image the qcow2 image converts to")
        serial2 = os.path.join(d, "serial-disk.log")
        start = time.time()
        again = subprocess.Popen(
            ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
             "-display", "none", "-monitor", "none", "-serial", "file:" + serial2,
             "-net", "none"] + firmware(vars_file) +
            ["-drive", "file=%s,format=raw,if=none,id=vd" % disk,
             "-device", "virtio-blk-pci,drive=vd"])
        procs.append(again)
        check(wait_for(serial2, MARKER, 240),
              "booted from the disk through the agent's boot entry: the loader's marker "
              "%.1f s after QEMU started" % (time.time() - start))
    finally:
        stop.set()
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
            p.wait()
        if not os.environ.get("KEEP_TEST_DIR"):
            shutil.rmtree(d, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
