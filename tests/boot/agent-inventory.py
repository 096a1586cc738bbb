#!/usr/bin/env python3
"""agent-inventory.py IMAGES [bios|uefi]: the inventory an ingot image's agent reports on a QEMU
node, checked against what QEMU was given.

The node: q35, 2 vCPUs, 256 MiB, SMBIOS system strings, QEMU's simulated BMC on a KCS
interface (ipmi-bmc-sim: it has no LAN channel), a virtio NIC on user networking (to
tests/unit/data/ironic-stub.py, a stand-in for Ironic's lookup and heartbeat) and an e1000 NIC
on a UDP socket through which this script plays a switch sending LLDP frames, a 2 GiB virtio
disk and a 1 GiB SATA disk with serials. The kernel command line asks for LLDP
(ipa-collect-lldp=1, ipa-lldp-timeout=5), a short wait for a root disk (none is 4 GiB), and
the time from an SNTP server the script runs on the host's port 123, a day ahead
(ipa-ntp-server; skipped, saying why, when the port cannot be had).
BIOS (SeaBIOS) or UEFI (OVMF) boot.

poll.get_hardware_info must then report every one of those values: CPU count and architecture,
physical memory, both MACs with carrier, the switch's TLVs on the e1000 NIC and none on the
other, both disks with sizes and serials, the SMBIOS strings, the boot mode, the host name
QEMU's DHCP server gave, and the BMC
present but without an address ("0.0.0.0", as IPA reads a BMC without LAN configuration).
Then the e1000 NIC's link is cut (QEMU's set_link): has_carrier false, no TLVs, no error.
Exit 0 on success, 1 on a failure, 77 (with the reason) when it cannot run here.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from agentlib import (call, check, finish, free_port, images_skip_reason, sntp_server, start_stub,
                      wait_for)

OVMF = "/usr/share/ovmf/OVMF.fd"
MAC0, MAC1 = "52:54:00:12:34:56", "52:54:00:12:34:57"
MEM_MB = 256
VD_SIZE, SATA_SIZE = 2 << 30, 1 << 30
NTP_AHEAD = 86400  # the SNTP server's clock, ahead of the host's by a day
HOSTNAME = "ingot-node0"  # what QEMU's DHCP server names the node
SMBIOS = {"manufacturer": "ingot-test", "product_name": "qemu-node", "serial_number": "QN-0001"}

# What the "switch" sends: Chassis ID (MAC 02:00:00:00:00:01), Port ID "swp7", TTL 120,
# System name "ingot-switch", End.
LLDP_TLVS = [(1, "04020000000001"), (2, "0573777037"), (3, "0078"),
             (5, "696e676f742d737769746368"), (0, "")]


def lldp_frame():
    body = b""
    for t, hexval in LLDP_TLVS:
        v = bytes.fromhex(hexval)
        body += ((t << 9) | len(v)).to_bytes(2, "big") + v
    return bytes.fromhex("0180c200000e020000000001") + b"\x88\xcc" + body


def switch(port, stop):
    """Sends the LLDP frame every 0.5 s to QEMU's socket netdev, which takes each UDP datagram
    as an Ethernet frame."""
    frame = lldp_frame()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while not stop.is_set():
            s.sendto(frame, ("127.0.0.1", port))
            stop.wait(0.5)


def monitor(path, command):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.settimeout(5)
        s.recv(4096)
        s.sendall(command.encode() + b"\n")
        time.sleep(0.5)


def hardware_info(api_port):
    status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                        body={"name": "poll.get_hardware_info", "params": {}})
    ok = status == 200 and body.get("command_status") == "SUCCEEDED"
    check(ok, "poll.get_hardware_info: %s %s" % (status, "" if ok else body))
    return body.get("command_result") or {} if ok else {}


def by(items, key):
    return {x.get(key): x for x in items or []}


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in ("bios",
                                                                                 "uefi")):
        print("usage: agent-inventory.py IMAGES [bios|uefi]", file=sys.stderr)
        return 2
    images = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) == 3 else "bios"
    why = images_skip_reason(images, ("qemu-system-x86_64",))
    if not why and mode == "uefi" and not os.path.exists(OVMF):
        why = "%s not found (install ovmf)" % OVMF
    if why:
        print("skip: " + why)
        return 77

    d = tempfile.mkdtemp(prefix="ingot-agent-inventory.")
    procs = []
    stop = threading.Event()
    try:
        vd, sata = os.path.join(d, "vd.raw"), os.path.join(d, "sata.raw")
        for path, size in ((vd, VD_SIZE), (sata, SATA_SIZE)):
            with open(path, "wb") as f:
                f.truncate(size)
        ironic_port = start_stub(procs, "old")
        api_port, lldp_port, qemu_port = free_port(), free_port(), free_port()
        serial, mon = os.path.join(d, "serial.log"), os.path.join(d, "monitor.sock")
        append = ("console=ttyS0,115200n8 ipa-api-url=http://10.0.2.2:%d ipa-collect-lldp=1 "
                  "ipa-lldp-timeout=5 ipa-disk-wait-attempts=3 ipa-disk-wait-delay=1"
                  % ironic_port)
        ntp, why_not = sntp_server(stop, NTP_AHEAD)
        if ntp:
            append += " ipa-ntp-server=10.0.2.2"
        else:
            print("skip - ntp: no SNTP server on the host's port 123: %s" % why_not)
        cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-smp", "2",
               "-m", str(MEM_MB), "-display", "none", "-serial", "file:" + serial,
               "-monitor", "unix:%s,server=on,wait=off" % mon,
               "-kernel", os.path.join(images, "bzImage"),
               "-initrd", os.path.join(images, "rootfs.cpio.xz"), "-append", append,
               "-smbios", "type=1,manufacturer=%s,product=%s,serial=%s" % (
                   SMBIOS["manufacturer"], SMBIOS["product_name"], SMBIOS["serial_number"]),
               "-device", "ipmi-bmc-sim,id=bmc0", "-device", "isa-ipmi-kcs,bmc=bmc0",
               "-netdev", "user,id=n0,hostname=%s,hostfwd=tcp:127.0.0.1:%d-:9999" % (
                   HOSTNAME, api_port),
               "-device", "virtio-net-pci,netdev=n0,mac=" + MAC0,
               "-netdev", "socket,id=n1,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (
                   qemu_port, lldp_port),
               "-device", "e1000,netdev=n1,mac=" + MAC1,
               "-drive", "file=%s,format=raw,if=none,id=vd" % vd,
               "-device", "virtio-blk-pci,drive=vd,serial=ingot-vd0",
               "-drive", "file=%s,format=raw,if=none,id=sata" % sata,
               "-device", "ide-hd,drive=sata,bus=ide.1,serial=ingot-sata1"]
        if mode == "uefi":
            cmd += ["-bios", OVMF]
        start = time.time()
        procs.append(subprocess.Popen(cmd))
        threading.Thread(target=switch, args=(lldp_port, stop), daemon=True).start()
        check(wait_for(serial, "heartbeat sent", 300),
              "%s boot: first heartbeat %.1f s after QEMU started" % (mode, time.time() - start))

        if ntp:
            # the guest's RTC starts from the host's, to the second: a few seconds apart
            with open(serial, errors="replace") as f:
                step = re.search(r"ntp: clock stepped by ([-+][0-9.]+) s", f.read())
            check(step and abs(float(step.group(1)) - NTP_AHEAD) < 10,
                  "ipa-ntp-server: the clock stepped to the server's, %d s ahead (%s)"
                  % (NTP_AHEAD, step.group(1) if step else "no step logged"))
        # no disk of 4 GiB or more: the agent waited for one, as IPA, and went on
        check(wait_for(serial, "The root device was not detected in 2 seconds", 1),
              "no root device candidate: waited 3 attempts, 1 s apart, then went on")
        inv = hardware_info(api_port)
        cpu, mem = inv.get("cpu") or {}, inv.get("memory") or {}
        check(cpu.get("count") == 2 and cpu.get("architecture") == "x86_64",
              "cpu: count %s, architecture %s" % (cpu.get("count"), cpu.get("architecture")))
        check(mem.get("physical_mb") == MEM_MB and
              MEM_MB // 2 << 20 < (mem.get("total") or 0) <= MEM_MB << 20,
              "memory: physical_mb %s (DMI), total %s" % (mem.get("physical_mb"),
                                                          mem.get("total")))
        nics = by(inv.get("interfaces"), "mac_address")
        check(set(nics) == {MAC0, MAC1}, "interfaces: both MACs (%s)" % sorted(nics))
        n0, n1 = nics.get(MAC0, {}), nics.get(MAC1, {})
        check(n0.get("has_carrier") is True and n1.get("has_carrier") is True,
              "interfaces: carrier on both")
        check(n0.get("ipv4_address") == "10.0.2.15", "interfaces: the DHCP address on the "
              "virtio NIC (%s)" % n0.get("ipv4_address"))
        # The e1000 pads the frame to Ethernet's 60 bytes; IPA parses the padding as End TLVs.
        tlvs = [tuple(x) for x in n1.get("lldp") or []]
        check(tlvs[:len(LLDP_TLVS)] == LLDP_TLVS and
              all(x == (0, "") for x in tlvs[len(LLDP_TLVS):]) and
              len(tlvs) == len(LLDP_TLVS) + (60 - len(lldp_frame())) // 2,
              "lldp: the switch's TLVs on the e1000 NIC, then the padding as IPA reads it (%s)"
              % n1.get("lldp"))
        check(n0.get("lldp") == [], "lldp: [] on the NIC without a switch (%s)" % n0.get("lldp"))
        disks = by(inv.get("disks"), "serial")
        check(disks.get("ingot-vd0", {}).get("size") == VD_SIZE and
              disks.get("ingot-sata1", {}).get("size") == SATA_SIZE,
              "disks: both, with serials and sizes (%s)" % {
                  k: v.get("size") for k, v in disks.items()})
        check(disks.get("ingot-sata1", {}).get("rotational") is True and
              disks.get("ingot-vd0", {}).get("rotational") is True,
              "disks: rotational as QEMU reports them")
        vendor = inv.get("system_vendor") or {}
        check(all(vendor.get(k) == v for k, v in SMBIOS.items()),
              "system_vendor: the SMBIOS strings (%s)" % {k: vendor.get(k) for k in SMBIOS})
        boot = inv.get("boot") or {}
        check(boot.get("current_boot_mode") == mode,
              "boot: current_boot_mode %s" % boot.get("current_boot_mode"))
        check(inv.get("bmc_address") == "0.0.0.0" and inv.get("bmc_v6address") == "::/0",
              "bmc: present without LAN configuration: %s, %s" % (
                  inv.get("bmc_address"), inv.get("bmc_v6address")))
        check(inv.get("hostname") == HOSTNAME,
              "hostname: the name the DHCP server gave (%s)" % inv.get("hostname"))

        stop.set()
        monitor(mon, "set_link n1 off")
        time.sleep(2)
        inv = hardware_info(api_port)
        n1 = by(inv.get("interfaces"), "mac_address").get(MAC1, {})
        check(n1.get("has_carrier") is False and n1.get("lldp") == [],
              "link cut: has_carrier false, lldp [] (%s, %s)" % (n1.get("has_carrier"),
                                                                 n1.get("lldp")))
    finally:
        stop.set()
        for p in reversed(procs):
            p.kill()
            p.wait()
        if not os.environ.get("KEEP_TEST_DIR"):
            shutil.rmtree(d, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
