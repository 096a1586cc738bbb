#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ (checked in; rerun after changing this).

Seeds come from the project's recorded Ironic traffic (IRONIC_SAMPLES, default
../shared/docs/ironic-samples/ beside the checkout: the seeds are the copies kept in the tree),
from disk headers built here byte by byte (GPT with CRCs, MBR with an EBR chain, 4 KiB
sectors), from mkfs.vfat and xorriso when the host has them (a "config-2" FAT partition, an
isohybrid ISO's system area, a config drive ISO), and from hand-written texts. Every seed is
below 64 KiB and the whole corpus below 1 MiB (checked at the end).

Usage: [IRONIC_SAMPLES=DIR] tests/fuzz/make-corpus.py
"""

import base64
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SAMPLES = os.environ.get("IRONIC_SAMPLES") or os.path.join(HERE, "..", "..", "..", "shared", "docs",
                                                           "ironic-samples")
TOKEN = "fuzz-token-0123456789abcdefghijkl"  # fuzz-api.c's TOKEN
SEED_MAX = 64 * 1024
CORPUS_MAX = 1024 * 1024
os.environ["SOURCE_DATE_EPOCH"] = "1795550383"


def sample(name):
    with open(os.path.join(SAMPLES, name)) as f:
        return json.load(f)


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < SEED_MAX, f"{target}/{name}: {len(data)} bytes"
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tool(*argv, **kw):
    if not shutil.which(argv[0]):
        print(f"note: {argv[0]} not found, its seeds are left out", file=sys.stderr)
        return False
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return True


def dumps(o):
    return json.dumps(o, separators=(", ", ": "))


# --- fuzz-api: "METHOD [HOST [tls]]\nPATH[?QUERY]\nBODY", requests separated by "\n----\n"


def request(method, path, query=None, body=b"", host="127.0.0.1:9999", tls=False):
    line = method + (" " + host if host else "") + (" tls" if tls else "")
    target = path + ("?" + query if query is not None else "")
    if not isinstance(body, bytes):
        body = body.encode()
    return (line + "\n" + target + "\n").encode() + body


def api_seeds():
    reqs = {}
    for name in sorted(os.listdir(SAMPLES)):
        if not name.startswith("conductor-to-agent_"):
            continue
        s = sample(name)
        q = s.get("query") or {}
        query = "&".join(f"{k}={TOKEN if v == '<TOKEN>' else v}" for k, v in q.items())
        body = dumps(s["body"]) if s.get("body") is not None else ""
        short = name[len("conductor-to-agent_"):-len(".json")].lower()
        reqs[short] = request(s["method"], s["path"], query or None, body,
                              s["headers"].get("Host", ""))
        put("fuzz-api", short, reqs[short])
    sep = b"\n----\n"
    # A session: the versions, an async command, the history, one id, a GET with a token.
    put("fuzz-api", "session", sep.join([
        request("GET", "/"),
        request("GET", "/v1/", tls=True),
        request("GET", "/v1/status"),
        request("POST", "/v1/commands/", f"wait=true&agent_token={TOKEN}",
                '{"name": "standby.power_off", "params": {}}'),
        request("GET", "/v1/commands"),
        request("GET", "/v1/commands/0ca7a92a-d95e-41ee-9c92-881ce6fd3b4a", "wait=true"),
        request("GET", "/commands/", f"agent_token={TOKEN}"),
        request("GET", "/v1/commands/"),
    ]))
    put("fuzz-api", "errors", sep.join([
        request("POST", "/v1/commands", f"agent_token={TOKEN}", '{"name": "nodot", "params": {}}'),
        request("POST", "/v1/commands", f"agent_token={TOKEN}", '{"name": "x.y", "params": {}}'),
        request("POST", "/v1/commands", f"agent_token={TOKEN}",
                '{"name": "deploy.execute_deploy_step", "params": {"step": {}}}'),
        request("POST", "/v1/commands", f"agent_token={TOKEN}&wait=TRUE",
                '{"name": "image.install_bootloader", "params": {"why": "no ESP"}}  \r\n'),
        request("POST", "/v1/commands", "agent_token=wrong", '{"name": "standby.sync"}'),
        request("POST", "/v1/commands", "agent_token=%zz", "{"),
        request("PUT", "/v1/commands"),
        request("DELETE", "/nowhere", "a&b=c+d%41", "", None),
    ]))


# --- fuzz-json-params: one JSON document (or any bytes) per seed


def json_params_seeds():
    for name in ("agent-to-ironic_GET_lookup_200.json", "agent-to-ironic_GET_lookup_404.json",
                 "agent-to-ironic_GET_root_200.json", "agent-to-ironic_POST_heartbeat_400.json"):
        resp = sample(name)["resp"]
        if "config" in resp and resp["config"].get("agent_token") == "<TOKEN>":
            resp["config"]["agent_token"] = TOKEN
        put("fuzz-json-params", name[len("agent-to-ironic_"):-len(".json")].lower(), dumps(resp))
    put("fuzz-json-params", "lookup_old", dumps(
        {"node": {"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc"}, "heartbeat_timeout": 30}))
    put("fuzz-json-params", "lookup_masked", dumps(
        {"node": {"uuid": "ef9bfa3d"}, "config": {"agent_token": "******"}}))

    deploy = sample("conductor-to-agent_POST_deploy_execute_deploy_step_200.json")["body"]
    args = deploy["params"]["step"]["args"]
    image_info = args.get("image_info")
    if image_info:
        put("fuzz-json-params", "image_info", dumps(image_info))
    node = deploy["params"].get("node")
    if node:
        node = {k: node[k] for k in ("uuid", "properties", "instance_info") if k in node}
        put("fuzz-json-params", "node", dumps(node))
    base = {"id": "wholedisk.raw", "urls": ["http://127.0.0.1:8088/wholedisk.raw"]}
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    variants = {
        "checksum_sha256": {"checksum": sha256},
        "checksum_md5": {"checksum": "0ca7a92ad95e61ee5c92881ce6fd3b4a"},
        "os_hash": {"os_hash_algo": "sha512", "os_hash_value": "ab" * 64, "checksum": "x"},
        "os_hash_unknown": {"os_hash_algo": "sha3_256", "os_hash_value": "ab" * 32,
                            "checksum": sha256},
        "checksum_url": {"checksum": "http://127.0.0.1:8088/SHA256SUMS"},
        "os_hash_url": {"os_hash_algo": "sha256",
                        "os_hash_value": "https://127.0.0.1:8088/wholedisk.raw.sha256"},
        "checksum_bad": {"checksum": 42, "os_hash_value": ""},
    }
    for name, v in variants.items():
        put("fuzz-json-params", "image_info_" + name, dumps({"image_info": dict(base, **v)}))

    hints = {
        "hints_size": {"size": ">= 10"},
        "hints_size_int": {"size": 20},
        "hints_name": {"name": "/dev/sda"},
        "hints_or": {"serial": "<or> QM00001 <or> deadbeef", "rotational": "yes"},
        "hints_in": {"model": "<in> QEMU", "vendor": "s!= ata"},
        "hints_wwn": {"wwn": "0x5000c500a1b2c3d4", "wwn_with_extension": "0x5000C500A1B2C3D4",
                      "wwn_vendor_extension": "none", "hctl": "0:0:0:0"},
        "hints_by_path": {"by_path": "/dev/disk/by-path/pci-0000:00:05.0-nvme-1",
                          "tran": "nvme", "rotational": False},
        "hints_range": {"size": "<range-in> [10 20]"},
        "hints_bad": {"size": "abc", "colour": "blue"},
        "hints_float": {"size": "< 50.5"},
    }
    for name, h in hints.items():
        put("fuzz-json-params", name, dumps({"root_device": h}))
    put("fuzz-json-params", "node_hints", dumps({
        "instance_info": {"root_device": {"size": "> 10"}},
        "properties": {"root_device": {"name": "/dev/vda"},
                       "skip_block_devices": [{"name": "/dev/sda"}, {"volume_name": "r0"}]}}))
    put("fuzz-json-params", "null", "null")

    # Checksum files, as _fetch_checksum reads them.
    put("fuzz-json-params", "sums_gnu",
        f"{sha256}  wholedisk.raw\n{'0' * 64} *other.img\n# comment\n")
    put("fuzz-json-params", "sums_bsd", f"SHA256 (wholedisk.raw) = {sha256}\n")
    put("fuzz-json-params", "sums_reversed", f"wholedisk.raw {sha256}\n\n")
    put("fuzz-json-params", "sums_bare", sha256 + "\n")


# --- fuzz-cmdline: kernel command lines, KEY=VALUE files, argv lines


def cmdline_seeds():
    put("fuzz-cmdline", "cmdline_ipa",
        "BOOT_IMAGE=/boot/bzImage initrd=/boot/rootfs.cpio.xz console=ttyS0,115200 "
        "ipa-api-url=http://10.0.2.2:6385 ipa-insecure=1 ipa-debug=1 "
        "BOOTIF=01-52-54-00-12-34-56 ipa-global-request-id=req-fuzz "
        "ipa-agent-token=" + TOKEN + " ipa-listen-port=9999 ipa-advertise-protocol=https\n")
    put("fuzz-cmdline", "cmdline_quotes",
        'a="b c" "d=e f" ipa-api-url="http://[fd00::1]:6385, https://h:6385,, mdns" '
        "ipa-lldp-timeout=1.5 ipa-lookup-timeout=1_000 ipa-tls-min-version=1.3 "
        "ipa-ironic-api-version=1.68 ipa-inspection-collectors=default,logs,pci-devices "
        'ipa-enable-vlan-interfaces=eth0.100,eth1 boot_method=vmedia =x "" bare "unterminated')
    put("fuzz-cmdline", "cmdline_invalid",
        "ipa-listen-port=abc ipa-insecure=maybe ipa-lookup-timeout=-1 ipa-debug=perhaps "
        "BOOTIF=garbage ipa-network-interface=0123456789abcdefg ipa-inject-files-priority=100")
    put("fuzz-cmdline", "conf_file",
        "# /etc/ingot/agent.conf\n"
        "api_url=http://10.0.2.2:6385\n"
        "ipa_insecure = true  # for the lab\n"
        'global_request_id="req \\"quoted\\" \\$x"\n'
        "listen_host='::'\n"
        "\n"
        "lookup_timeout=300\n"
        "unknown_key=1\n")
    put("fuzz-cmdline", "conf_bad", "KEY='unterminated\n1BAD=x\nnoequals\n")
    put("fuzz-cmdline", "argv",
        "--api-url\nhttp://10.0.2.2:6385\n--debug\n--noinsecure\n--listen_port=9999\n-d\n--\n")
    put("fuzz-cmdline", "init_conf",
        "INGOT_CONSOLE=ttyS0\nINGOT_NET=dhcp\nINGOT_MODULES=\"virtio_net virtio_blk\"\n")


# --- fuzz-hints: a node's properties.root_device, as JSON


def hints_seeds():
    hints = {
        "size": {"size": ">= 10"},
        "size_int": {"size": 20},
        "size_float": {"size": "< 50.5"},
        "size_bad": {"size": "abc"},
        "size_zero": {"size": "<or> 10 <or> 0"},
        "name": {"name": "/dev/sda"},
        "name_bare": {"name": "sda"},
        "or": {"serial": "<or> QM00001 <or> deadbeef", "rotational": "yes"},
        "in": {"model": "<in> QEMU", "vendor": "s!= ata"},
        "wwn": {"wwn": "0x5000c500a1b2c3d4", "wwn_with_extension": "0x5000C500A1B2C3D4",
                "wwn_vendor_extension": "none", "hctl": "0:0:0:0"},
        "by_path": {"by_path": "/dev/disk/by-path/pci-0000:00:05.0-nvme-1", "tran": "nvme",
                    "rotational": False},
        "range": {"size": "<range-in> [10 20]"},
        "all_in": {"model": "<all-in> qemu harddisk"},
        "numeric_on_string": {"serial": "> 5"},
        "string_on_size": {"size": "s>= 10"},
        "unknown": {"colour": "blue"},
        "not_string": {"model": 5},
        "rotational": {"rotational": "Off"},
        "quoted": {"serial": "scsi serial", "vendor": " QEMU "},
    }
    for name, h in hints.items():
        put("fuzz-hints", name, dumps(h))
    for name, text in (("empty", "{}"), ("null", "null"), ("false", "false"), ("list", "[1]"),
                       ("string", '"sda"'), ("int", "0")):
        put("fuzz-hints", name, text)
    # Spliced into the lookup answer: the rest of a node after properties.root_device.
    put("fuzz-hints", "splice_instance_info",
        '{"size": 50}}, "instance_info": {"root_device": {"vendor": "QEMU"}}, "x": {"y": 1')
    put("fuzz-hints", "splice_skip",
        '{}, "skip_block_devices": [{"name": "/dev/nvme0n1"}, {"volume_name": "r0"}]}, '
        '"x": {"y": 1')


# --- disks ---------------------------------------------------------------------------------

ESP_TYPE = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
LINUX_TYPE = uuid.UUID("0fc63daf-8483-4772-8e79-3d69c8477de4")
BIOS_BOOT_TYPE = uuid.UUID("21686148-6449-6e6f-744e-656564454649")


def guid(n):
    return uuid.UUID(int=0x1234_5678_9abc_4def_8123_456789ab0000 + n)


def mbr_entry(boot, ptype, first, count):
    chs = b"\xfe\xff\xff"
    return struct.pack("<B3sB3sII", boot, chs, ptype, chs, first, count)


def mbr(entries, signature=0xDEADBEEF):
    b = bytearray(512)
    struct.pack_into("<I", b, 440, signature)
    for i, e in enumerate(entries):
        b[446 + 16 * i:462 + 16 * i] = mbr_entry(*e)
    b[510:512] = b"\x55\xaa"
    return b


def gpt_disk(n_sectors, parts, ss=512, n_entries=128, entry_size=128, corrupt_primary=False,
             hybrid=None, data=()):
    """A disk with a protective MBR, primary and backup GPT; parts: (first, last, type, name)."""
    disk = bytearray(n_sectors * ss)
    array_sectors = (n_entries * entry_size + ss - 1) // ss
    first_usable = 2 + array_sectors
    last_usable = n_sectors - 2 - array_sectors
    entries = bytearray(n_entries * entry_size)
    for i, (first, last, ptype, name) in enumerate(parts):
        e = ptype.bytes_le + guid(i + 1).bytes_le + struct.pack("<QQQ", first, last, 0)
        e += name.encode("utf-16-le").ljust(72, b"\0")
        entries[i * entry_size:i * entry_size + 128] = e
    crc_entries = zlib.crc32(entries)

    def header(my, alt, entries_lba):
        h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, my,
                                  alt, first_usable, last_usable, guid(0).bytes_le,
                                  entries_lba, n_entries, entry_size, crc_entries))
        struct.pack_into("<I", h, 16, zlib.crc32(h))
        return h

    mbr_entries = hybrid or [(0, 0xEE, 1, min(n_sectors - 1, 0xFFFFFFFF))]
    disk[0:512] = mbr(mbr_entries, 0x12345678)
    primary = header(1, n_sectors - 1, 2)
    if corrupt_primary:
        primary[40] ^= 0xFF  # first usable LBA, without fixing the CRC
    disk[ss:ss + 92] = primary
    disk[2 * ss:2 * ss + len(entries)] = entries
    backup_entries = last_usable + 1
    disk[backup_entries * ss:backup_entries * ss + len(entries)] = entries
    disk[(n_sectors - 1) * ss:(n_sectors - 1) * ss + 92] = header(n_sectors - 1, 1,
                                                                  backup_entries)
    for lba, blob in data:
        disk[lba * ss:lba * ss + len(blob)] = blob
    return bytes(disk)


def mbr_extended_disk():
    """Two primaries and an extended partition holding two logical ones (an EBR chain)."""
    n = 120
    disk = bytearray(n * 512)
    disk[0:512] = mbr([(0x80, 0x83, 2, 20), (0, 0x0C, 22, 20), (0, 0x05, 50, 60)], 0x0BADCAFE)
    # EBR 1 at 50: logical 1 at 50+2, next EBR at 50+30 (relative to the extended start).
    disk[50 * 512:51 * 512] = mbr([(0, 0x83, 2, 10), (0, 0x05, 30, 20)], 0)
    disk[80 * 512:81 * 512] = mbr([(0, 0x82, 2, 10)], 0)
    return bytes(disk)


def vfat_config2():
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "v.img")
        if not tool("mkfs.vfat", "-C", "-n", "config-2", "-i", "c0f16200", "--invariant",
                    img, "64"):
            return None
        with open(img, "rb") as f:
            return f.read()


def stamp(top):
    """Gives every file and directory under top the time SOURCE_DATE_EPOCH (xorriso keeps
    mtimes)."""
    t = int(os.environ["SOURCE_DATE_EPOCH"])
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            os.utime(os.path.join(root, n), (t, t))
    os.utime(top, (t, t))


def xorriso_images():
    """A config drive ISO, and the first sectors of hybrid ISOs by name; or (None, None)."""
    if not shutil.which("xorriso"):
        print("note: xorriso not found, its seeds are left out", file=sys.stderr)
        return None, None
    with tempfile.TemporaryDirectory() as d:
        tree = os.path.join(d, "cd", "openstack", "latest")
        os.makedirs(tree)
        with open(os.path.join(tree, "meta_data.json"), "w") as f:
            json.dump({"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc", "hostname": "node-0",
                       "public_keys": {"k": "ssh-ed25519 AAAAC3 fuzz"}}, f)
        with open(os.path.join(tree, "user_data"), "w") as f:
            f.write("#cloud-config\n")
        stamp(os.path.join(d, "cd"))
        iso = os.path.join(d, "cd.iso")
        tool("xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-V", "config-2", "-J", "-r",
             os.path.join(d, "cd"))
        with open(iso, "rb") as f:
            config_iso = f.read()

        # The system area of hybrid ISOs as mkiso.sh makes them: isohdpfx.bin's MBR, and a
        # GPT for an appended ESP.
        efi = vfat_config2()
        hybrid = {}
        isohdpfx = os.path.join(os.environ.get("ISOLINUX_DIR", "/usr/lib/ISOLINUX"),
                                "isohdpfx.bin")
        if efi:
            boot = os.path.join(d, "cd", "efiboot.img")
            with open(boot, "wb") as f:
                f.write(efi)
            stamp(os.path.join(d, "cd"))
            variants = {"iso_appended_gpt": ["-append_partition", "2", "0xef", boot,
                                             "-appended_part_as_gpt"]}
            if os.path.exists(isohdpfx):
                variants["isohybrid_mbr"] = ["-e", "efiboot.img", "-no-emul-boot",
                                             "-isohybrid-gpt-basdat", "-isohybrid-mbr",
                                             isohdpfx]
            for name, opts in variants.items():
                out = os.path.join(d, name + ".iso")
                tool("xorriso", "-as", "mkisofs", "-quiet", "-o", out, "-V", "INGOT", "-J",
                     "-r", *opts, os.path.join(d, "cd"))
                with open(out, "rb") as f:
                    hybrid[name] = f.read(SEED_MAX - 4096)
        return config_iso, hybrid


def efi_load_option(description, loader, part_number=1, start=2048, size=204800,
                    optional=b""):
    desc = (description + "\0").encode("utf-16-le")
    hd = struct.pack("<BBHIQQ16sBB", 4, 1, 42, part_number, start, size, guid(1).bytes_le,
                     2, 2)
    path = (loader.replace("/", "\\") + "\0").encode("utf-16-le")
    file_node = struct.pack("<BBH", 4, 4, 4 + len(path)) + path
    end = struct.pack("<BBH", 0x7F, 0xFF, 4)
    dp = hd + file_node + end
    return struct.pack("<IH", 1, len(dp)) + desc + dp + optional


def ptable_seeds(config_iso, hybrid_iso, vfat):
    put("fuzz-ptable", "gpt", gpt_disk(112, [(34, 49, ESP_TYPE, "EFI System"),
                                            (50, 78, LINUX_TYPE, "root")]))
    put("fuzz-ptable", "gpt_small_array", gpt_disk(48, [(4, 20, BIOS_BOOT_TYPE, "bios"),
                                                        (21, 40, LINUX_TYPE, "root")],
                                                   n_entries=4))
    put("fuzz-ptable", "gpt_backup_only", gpt_disk(112, [(34, 70, LINUX_TYPE, "root")],
                                                   corrupt_primary=True))
    put("fuzz-ptable", "gpt_hybrid", gpt_disk(112, [(34, 60, LINUX_TYPE, "root")],
                                              hybrid=[(0, 0xEE, 1, 33), (0x80, 0x83, 34, 27)]))
    put("fuzz-ptable", "gpt_4k", gpt_disk(12, [(3, 9, LINUX_TYPE, "root")], ss=4096,
                                          n_entries=4))
    if vfat:
        put("fuzz-ptable", "gpt_config2",
            gpt_disk(100, [(4, 30, LINUX_TYPE, "root"), (31, 94, LINUX_TYPE, "config-2")],
                     n_entries=8, data=[(31, vfat[:16384])]))
        put("fuzz-ptable", "mbr_config2",
            bytes(mbr([(0x80, 0x83, 2, 20), (0, 0x0C, 22, 128)])) + bytes(21 * 512) +
            vfat[:16384])
    put("fuzz-ptable", "mbr", bytes(mbr([(0x80, 0x83, 2048, 204800), (0, 0x82, 206848, 4096)])))
    put("fuzz-ptable", "mbr_full", bytes(mbr([(0x80, 0x83, 1, 10), (0, 0x83, 11, 10),
                                              (0, 0x83, 21, 10), (0, 0x83, 31, 10)])))
    put("fuzz-ptable", "mbr_extended", mbr_extended_disk())
    for name, head in (hybrid_iso or {}).items():
        put("fuzz-ptable", name, head)

    put("fuzz-ptable", "loadopt", efi_load_option("ingot", "/EFI/BOOT/BOOTX64.EFI"))
    put("fuzz-ptable", "loadopt_ubuntu",
        efi_load_option("ubuntu", "\\EFI\\ubuntu\\shimx64.efi", 2, optional=b"\x01\x02"))
    put("fuzz-ptable", "csv_bom",
        b"\xff\xfe" + "shimx64.efi,ubuntu,,This is the boot entry for Ubuntu\r\n".encode(
            "utf-16-le"))
    put("fuzz-ptable", "csv_be",
        b"\xfe\xff" + "grubx64.efi,debian\n".encode("utf-16-be"))


def configdrive_seeds(config_iso):
    meta = dumps({"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc", "hostname": "node-0"}).encode()
    gz = gzip.compress(meta, mtime=0)
    put("fuzz-configdrive", "gzip_small", gz)
    put("fuzz-configdrive", "base64_small", base64.b64encode(gz))
    put("fuzz-configdrive", "base64_wrapped",
        b"\n".join(base64.encodebytes(gz + gzip.compress(b"second member", mtime=0) +
                                      bytes(16)).split(b"\n")) + b"!!")
    put("fuzz-configdrive", "gzip_members", gz + gzip.compress(b"\0" * 5000, mtime=0) + bytes(7))
    put("fuzz-configdrive", "raw", b"\x01raw config drive bytes, not base64: \xff\xfe")
    put("fuzz-configdrive", "disk_nvme", b"/dev/nvme0n1\n\x05")
    put("fuzz-configdrive", "disk_iscsi", b"/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-iqn.x\n")
    if config_iso:
        gz_iso = gzip.compress(config_iso, 9, mtime=0)
        put("fuzz-configdrive", "iso_gzip", gz_iso)
        put("fuzz-configdrive", "iso_base64", base64.b64encode(gz_iso))


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    config_iso, hybrid_iso = xorriso_images()
    api_seeds()
    json_params_seeds()
    cmdline_seeds()
    hints_seeds()
    ptable_seeds(config_iso, hybrid_iso, vfat_config2())
    configdrive_seeds(config_iso)
    total = 0
    for root, _, files in os.walk(CORPUS):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    assert total < CORPUS_MAX, f"corpus of {total} bytes"
    print(f"corpus: {total} bytes")


if __name__ == "__main__":
    main()
