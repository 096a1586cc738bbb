#!/usr/bin/env python3
"""agent-clean.py IMAGES: the cleaning steps of an ingot image's agent, in QEMU, on real
virtual disks, driven through the agent's API as the conductor drives cleaning.

The node boots from the image's ISO attached as a virtio disk (virtual media seen as a disk;
the ISO is remastered only to carry ipa-api-url on its kernel command line) against
tests/unit/data/ironic-stub.py (a stand-in for Ironic's lookup and heartbeat; the end-to-end
tests run the real Ironic). Its data disks, 64 MiB each, hold a GPT and an ext4 filesystem with
a 40 MiB file of a recognisable pattern: a virtio disk, an NVMe namespace, a SATA disk on the
q35 AHCI controller (QEMU gives it no ATA security feature set), and a virtio disk whose writes
fail with EIO in the middle of its data area (QEMU's blkdebug), a disk that breaks under
erasure.

Then, through the agent's port:
  1. clean.get_clean_steps: erase_devices_metadata 99, erase_devices 10, as IPA;
  2. erase_devices_metadata (manual cleaning): no signature left on any data disk (blkid and
     wipefs on the disk files), the pattern in the data area intact;
  3. erase_devices with the failing disk: FAILED, the error names that disk and the I/O error;
  4. erase_devices with the failing disk in skip_block_devices: SUCCEEDED; the NVMe disk went
     through the NVMe format command (the log says so), the virtio and SATA disks through the
     overwrite fallback (one random pass and a zero pass), and no byte of any pattern is left:
     each disk is zero;
  5. the boot ISO disk is, bit for bit, what it was before boot.
Exit 0 on success, 1 on a failure, 77 (with the reason) when it cannot run here.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from agentlib import (call, check, finish, free_port, images_skip_reason, poll_last,
                      start_stub, wait_for)

MIB = 1 << 20
DISK_SIZE = 64 * MIB
PATTERN_SIZE = 40 * MIB  # a file of the pattern in each disk's ext4
# The failing disk's writes fail between these offsets: in the data area, away from the first
# and last MiB of the disk and of its partition, which erase_devices_metadata zeroes.
BAD_FROM, BAD_TO = 8 * MIB, 48 * MIB
NODE = {"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc", "properties": {},
        "instance_info": {},
        "driver_internal_info": {"agent_erase_devices_iterations": 1,
                                 "agent_erase_devices_zeroize": True}}
DISKS = ("vd", "nvme", "sata", "bad")


def pattern(name):
    return ("INGOT-CLEAN-PATTERN-%s-" % name).encode()


def make_disk(d, name):
    """A disk file: a GPT with one Linux partition holding ext4 with a file of the pattern."""
    path = os.path.join(d, name + ".raw")
    unit = pattern(name)
    with open(path, "wb") as f:
        f.truncate(DISK_SIZE)
    tree = os.path.join(d, "tree-" + name)
    os.makedirs(tree)
    with open(os.path.join(tree, "pattern"), "wb") as f:
        f.write((unit * (PATTERN_SIZE // len(unit) + 1))[:PATTERN_SIZE])
    defs = os.path.join(d, "defs-" + name)
    os.makedirs(defs)
    with open(os.path.join(defs, "1.conf"), "w") as f:
        f.write("[Partition]\nType=linux-generic\n")
    subprocess.run(["systemd-repart", "--empty=force", "--dry-run=no", "--definitions=" + defs,
                    path], check=True, capture_output=True)
    with open(path, "rb") as f:
        f.seek(2 * 512)  # the first partition entry of the primary GPT
        entry = f.read(128)
    first, last = struct.unpack_from("<QQ", entry, 32)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", tree, "-E", "offset=%d" % (first * 512), path,
                    str((last - first + 1) * 512 // 1024)], check=True, capture_output=True)
    return path, first * 512


def signatures(path, part_offset):
    """What wipefs finds on a disk file (offsets and types) and what blkid finds where the
    partition starts (the filesystem)."""
    w = subprocess.run(["wipefs", "--no-act", "--json", path], capture_output=True, text=True)
    found = json.loads(w.stdout)["signatures"] if w.stdout.strip() else []
    b = subprocess.run(["blkid", "-p", "-O", str(part_offset), "-o", "value", "-s", "TYPE",
                        path], capture_output=True, text=True)
    return [(s["offset"], s["type"]) for s in found] + ([b.stdout.strip()] if b.stdout.strip()
                                                        else [])


def pattern_count(path, name):
    with open(path, "rb") as f:
        return f.read().count(pattern(name))


def is_zero(path):
    with open(path, "rb") as f:
        while True:
            block = f.read(4 * MIB)
            if not block:
                return True
            if block.count(0) != len(block):
                return False


def remaster(d, iso, append):
    """The ISO with append on its BIOS (ISOLINUX) kernel command line, boot records kept."""
    cfg = os.path.join(d, "isolinux.cfg")
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract",
                    "/isolinux/isolinux.cfg", cfg], check=True, capture_output=True)
    with open(cfg) as f:
        text = f.read()
    os.chmod(cfg, 0o644)
    with open(cfg, "w") as f:
        f.write(text.replace("console=ttyS0,115200n8", "console=ttyS0,115200n8 " + append))
    out = os.path.join(d, "boot.iso")
    subprocess.run(["xorriso", "-indev", iso, "-outdev", out, "-boot_image", "any", "replay",
                    "-update", cfg, "/isolinux/isolinux.cfg"], check=True, capture_output=True)
    return out


def qemu_cmd(serial, api_port, boot, disks):
    blkdebug = {"driver": "raw", "node-name": "bad",
                "file": {"driver": "blkdebug", "inject-error": [
                    {"event": "pwritev", "errno": 5, "sector": s}
                    for s in range(BAD_FROM // 512, BAD_TO // 512, 2048)],
                    "image": {"driver": "file", "filename": disks["bad"],
                              "cache": {"direct": False}}}}
    drive = "file=%s,format=raw,if=none,id=%s,cache=writethrough"
    return ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
            "-display", "none", "-monitor", "none", "-serial", "file:" + serial,
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9999" % api_port,
            "-device", "virtio-net-pci,netdev=n0",
            "-drive", drive % (boot, "boot"),
            "-device", "virtio-blk-pci,drive=boot,bootindex=0,serial=ingot-boot",
            "-drive", drive % (disks["vd"], "vd"),
            "-device", "virtio-blk-pci,drive=vd,serial=ingot-vd",
            "-drive", drive % (disks["nvme"], "nvme"),
            "-device", "nvme,drive=nvme,serial=ingot-nvme",
            "-drive", drive % (disks["sata"], "sata"),
            "-device", "ide-hd,drive=sata,bus=ide.1,serial=ingot-sata",
            "-blockdev", json.dumps(blkdebug),
            "-device", "virtio-blk-pci,drive=bad,serial=ingot-bad,werror=report,rerror=report"]


def clean_step(step, priority, node):
    return {"name": "clean.execute_clean_step",
            "params": {"step": {"interface": "deploy", "step": step, "priority": priority,
                                "args": {}, "reboot_requested": False, "abortable": True},
                       "node": node, "ports": [],
                       "clean_version": {"generic_hardware_manager": "1.1"}}}


def run_step(api_port, step, priority, node, timeout):
    status, body = call(api_port, "POST", "/v1/commands/", body=clean_step(step, priority, node))
    if status != 200:
        return status, body
    return status, poll_last(api_port, timeout)


def main():
    if len(sys.argv) != 2:
        print("usage: agent-clean.py IMAGES", file=sys.stderr)
        return 2
    images = sys.argv[1]
    why = images_skip_reason(images, ("qemu-system-x86_64", "systemd-repart", "xorriso",
                                      "mkfs.ext4", "wipefs", "blkid"))
    if not why and not os.path.exists(os.path.join(images, "rootfs.iso9660")):
        why = "no rootfs.iso9660 in %s" % images
    if why:
        print("skip: " + why)
        return 77

    d = tempfile.mkdtemp(prefix="ingot-agent-clean.")
    procs = []
    try:
        made = {name: make_disk(d, name) for name in DISKS}
        disks = {name: path for name, (path, _) in made.items()}
        for name, (path, part) in made.items():
            sigs = signatures(path, part)
            check({"gpt", "PMBR", "ext4"} <= {s if isinstance(s, str) else s[1] for s in sigs}
                  and
                  pattern_count(path, name) > PATTERN_SIZE // len(pattern(name)) // 2,
                  "%s before: GPT, ext4 and the pattern (%s)" % (name, sigs))
        ironic_port = start_stub(procs, "old")
        boot = remaster(d, os.path.join(images, "rootfs.iso9660"),
                        # no disk of 4 GiB: do not wait for one (IPA's 27 s)
                        "ipa-api-url=http://10.0.2.2:%d ipa-disk-wait-attempts=1"
                        % ironic_port)
        with open(boot, "rb") as f:
            boot_sha = hashlib.sha256(f.read()).hexdigest()
        api_port = free_port()
        serial = os.path.join(d, "serial.log")
        start = time.time()
        qemu = subprocess.Popen(qemu_cmd(serial, api_port, boot, disks))
        procs.append(qemu)
        check(wait_for(serial, "heartbeat sent", 240),
              "booted from the ISO as a disk: first heartbeat %.1f s after QEMU started"
              % (time.time() - start))

        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body={"name": "poll.get_hardware_info", "params": {}})
        inv = body.get("command_result") or {} if status == 200 else {}
        dev = {x.get("serial"): x["name"] for x in inv.get("disks", [])}
        check(all(dev.get("ingot-" + n) for n in DISKS + ("boot",)),
              "the inventory names every disk by its serial: %s" % dev)
        bad_dev = dev.get("ingot-bad", "/dev/none")

        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body={"name": "clean.get_clean_steps",
                                  "params": {"node": NODE, "ports": []}})
        steps = {}
        if status == 200 and body.get("command_status") == "SUCCEEDED":
            for s in body["command_result"]["clean_steps"]["GenericHardwareManager"]:
                steps[s["step"]] = s["priority"]
        check(steps.get("erase_devices_metadata") == 99 and steps.get("erase_devices") == 10,
              "clean steps: erase_devices_metadata 99, erase_devices 10 (%s)" % steps)

        status, last = run_step(api_port, "erase_devices_metadata", 99, NODE, 300)
        check(status == 200 and last and last["command_status"] == "SUCCEEDED",
              "erase_devices_metadata: SUCCEEDED (%s)" % (last or {}).get("command_error"))
        for name, (path, part) in made.items():
            sigs = signatures(path, part)
            check(not sigs,
                  "%s after erase_devices_metadata: no signature (%s)" % (name, sigs))
            check(pattern_count(path, name) > PATTERN_SIZE // len(pattern(name)) // 2,
                  "%s after erase_devices_metadata: the data area's pattern intact" % name)

        t0 = time.time()
        status, last = run_step(api_port, "erase_devices", 10, NODE, 900)
        err = json.dumps((last or {}).get("command_error"))
        check(status == 200 and last and last["command_status"] == "FAILED"
              and bad_dev in err and "I/O error" in err,
              "erase_devices with a failing disk: FAILED naming %s and the I/O error (%s)"
              % (bad_dev, err[:300]))

        skip = dict(NODE, properties={"skip_block_devices": [{"name": bad_dev}]})
        t0 = time.time()
        status, last = run_step(api_port, "erase_devices", 10, skip, 900)
        took = time.time() - t0
        check(status == 200 and last and last["command_status"] == "SUCCEEDED",
              "erase_devices, the failing disk skipped: SUCCEEDED in %.0f s (%s)"
              % (took, (last or {}).get("command_error")))
        with open(serial, errors="replace") as f:
            console = f.read()
        nvme_dev = dev.get("ingot-nvme", "/dev/none")
        check(any(nvme_dev in line and "format" in line.lower()
                  for line in console.splitlines()),
              "the NVMe disk was erased with the format command (the log says so)")
        for name in ("vd", "nvme", "sata"):
            check(pattern_count(disks[name], name) == 0 and is_zero(disks[name]),
                  "%s after erase_devices: no byte of the pattern, all zero" % name)
        check(pattern_count(disks["bad"], "bad") > 0,
              "the skipped disk was left alone after the failed run")

        with open(boot, "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() == boot_sha,
                  "the boot ISO disk is unchanged")
        for line in console.splitlines():
            if "erase" in line.lower() or "Skipping" in line:
                print("# " + line.strip()[:160])
    finally:
        for p in reversed(procs):
            p.kill()
            p.wait()
        if not os.environ.get("KEEP_TEST_DIR"):
            shutil.rmtree(d, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
