#!/usr/bin/env python3
"""agent-deploy.py IMAGES: the agent of an ingot image, in QEMU, driven as Ironic drives it.

Boots IMAGES/bzImage + rootfs.cpio.xz (built with INGOT_AGENT_INGOT) with a 5 GiB virtio disk
and user networking, against tests/unit/data/ironic-stub.py on loopback (a stand-in for
Ironic's lookup and heartbeat endpoints; the end-to-end tests run the real Ironic) and an
HTTP server for the image. Then, through the agent's port (forwarded to loopback):
  - bad input: no token, a wrong token, malformed JSON, an unknown command, a 20 MB body;
  - deploy.get_deploy_steps, then write_image of a GPT image with a config drive, polled with
    GET /v1/commands/ as the conductor polls; get_partition_uuids; a wrong checksum;
  - standby.power_off: QEMU must exit.
Afterwards the disk file holds the image (but for the partition table, which the config drive
partition rewrites) and the config drive ISO in its third partition.

Exit 0 on success, 1 on a failure, 77 (with the reason) when it cannot run here.
"""
import base64
import gzip
import hashlib
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = os.path.join(HERE, "..", "unit", "data", "ironic-stub.py")
TOKEN = "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU"
failures = []


def check(ok, what):
    print("%s - %s" % ("ok" if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, token=TOKEN, raw=None, timeout=120):
    url = "http://127.0.0.1:%d%s" % (port, path)
    if token is not None:
        url += ("&" if "?" in path else "?") + "agent_token=" + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def make_image(d):
    """A 32 MiB GPT image (ESP 8 MiB, Linux 16 MiB) with random bytes in the second partition."""
    img = os.path.join(d, "www", "disk.raw")
    defs = os.path.join(d, "defs")
    os.makedirs(defs)
    os.makedirs(os.path.dirname(img))
    with open(os.path.join(defs, "1.conf"), "w") as f:
        f.write("[Partition]\nType=esp\nSizeMinBytes=8M\nSizeMaxBytes=8M\n")
    with open(os.path.join(defs, "2.conf"), "w") as f:
        f.write("[Partition]\nType=linux-generic\nSizeMinBytes=16M\nSizeMaxBytes=16M\n")
    subprocess.run(["systemd-repart", "--empty=create", "--size=32M", "--dry-run=no",
                    "--definitions=" + defs, img], check=True, capture_output=True)
    with open(img, "r+b") as f:
        f.seek(10 << 20)
        f.write(os.urandom(8 << 20))
    with open(img, "rb") as f:
        return img, hashlib.sha256(f.read()).hexdigest()


def make_configdrive(d):
    src = os.path.join(d, "cd", "openstack", "latest")
    os.makedirs(src)
    with open(os.path.join(src, "meta_data.json"), "w") as f:
        f.write('{"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc"}\n')
    iso = os.path.join(d, "configdrive.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", "config-2", "-J", "-R",
                    "-o", iso, os.path.join(d, "cd")], check=True, capture_output=True)
    with open(iso, "rb") as f:
        data = f.read()
    return data, base64.b64encode(gzip.compress(data)).decode()


def deploy_step(image_port, sha, configdrive):
    info = {"id": "disk.raw", "urls": ["http://10.0.2.2:%d/disk.raw" % image_port],
            "disk_format": "raw", "container_format": "bare", "stream_raw_images": True,
            "os_hash_algo": "sha256", "os_hash_value": sha,
            "node_uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc"}
    step = {"interface": "deploy", "step": "write_image", "priority": 80,
            "args": {"image_info": info, "configdrive": configdrive}}
    return {"name": "deploy.execute_deploy_step",
            "params": {"step": step, "node": {"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc",
                                              "properties": {}, "instance_info": {}},
                       "ports": [], "deploy_version": {"generic_hardware_manager": "1.1"}}}


def wait_for(log, pattern, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(log, errors="replace") as f:
                if pattern in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.5)
    return False


def poll_last(port, timeout=300):
    """As the conductor: GET /v1/commands/ until the last command is no longer RUNNING."""
    end = time.time() + timeout
    while time.time() < end:
        status, body = call(port, "GET", "/v1/commands/")
        last = body["commands"][-1] if status == 200 and body["commands"] else None
        if last and last["command_status"] != "RUNNING":
            return last
        time.sleep(2)
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: agent-deploy.py IMAGES", file=sys.stderr)
        return 2
    images = sys.argv[1]
    for tool in ("qemu-system-x86_64", "systemd-repart", "xorriso"):
        if not shutil.which(tool):
            print("skip: %s not found" % tool)
            return 77
    if not os.path.exists(os.path.join(images, "rootfs.cpio.xz")):
        print("skip: no images in %s" % images)
        return 77
    listing = subprocess.run("xz -dc %s/rootfs.cpio.xz | cpio -t 2>/dev/null" % images,
                             shell=True, capture_output=True, text=True).stdout
    if "usr/bin/ingot-agent" not in listing.split():
        print("skip: the images carry no agent (build them with INGOT_AGENT_INGOT=y)")
        return 77

    d = tempfile.mkdtemp(prefix="ingot-agent-deploy.")
    procs = []
    try:
        img, sha = make_image(d)
        iso, cd64 = make_configdrive(d)
        disk = os.path.join(d, "disk.raw")
        with open(disk, "wb") as f:
            f.truncate(5 << 30)

        stub = subprocess.Popen([sys.executable, STUB, "normal"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        procs.append(stub)
        ironic_port = int(stub.stdout.readline())
        image_port = free_port()
        www = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                "--directory", os.path.dirname(img), str(image_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(www)
        api_port = free_port()
        serial = os.path.join(d, "serial.log")
        start = time.time()
        qemu = subprocess.Popen([
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
            "-display", "none", "-monitor", "none", "-serial", "file:" + serial,
            "-kernel", os.path.join(images, "bzImage"),
            "-initrd", os.path.join(images, "rootfs.cpio.xz"),
            "-append", "console=ttyS0,115200n8 ipa-api-url=http://10.0.2.2:%d" % ironic_port,
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9999" % api_port,
            "-device", "virtio-net-pci,netdev=n0",
            "-drive", "file=%s,format=raw,if=virtio" % disk])
        procs.append(qemu)

        check(wait_for(serial, "heartbeat sent", 120),
              "first heartbeat %.1f s after QEMU started (lookup through a 409 and a 404)"
              % (time.time() - start))

        status, body = call(api_port, "POST", "/v1/commands/?wait=true", token=None,
                            body={"name": "standby.sync", "params": {}})
        check(status == 401 and "faultstring" in body, "no token: 401")
        status, body = call(api_port, "POST", "/v1/commands/?wait=true", token="wrong",
                            body={"name": "standby.sync", "params": {}})
        check(status == 401, "wrong token: 401")
        status, body = call(api_port, "POST", "/v1/commands/?wait=true", raw=b"{not json")
        check(status == 400 and "faultstring" in body, "malformed JSON: 400")
        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body={"name": "nope.x", "params": {}})
        check(status == 404, "unknown extension: 404")
        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            raw=b'{"name": "standby.sync", "params": {"x": "'
                            + b"a" * (20 << 20) + b'"}}')
        check(status == 413 and "faultstring" in body, "20 MB body: 413")

        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body={"name": "deploy.get_deploy_steps",
                                  "params": {"node": {}, "ports": []}})
        check(status == 200 and body["command_status"] == "SUCCEEDED",
              "deploy.get_deploy_steps")
        t0 = time.time()
        status, body = call(api_port, "POST", "/v1/commands/?wait=false",
                            body=deploy_step(image_port, sha, cd64))
        check(status == 200 and body["command_status"] == "RUNNING", "write_image: RUNNING")
        status2, body2 = call(api_port, "POST", "/v1/commands/?wait=true",
                              body={"name": "standby.sync", "params": {}})
        check(status2 == 409 or (status2 == 200 and poll_last(api_port)),
              "a command while write_image runs: 409 (or it had already finished)")
        last = poll_last(api_port)
        check(last and last["command_name"] == "execute_deploy_step"
              and last["command_status"] == "SUCCEEDED",
              "write_image SUCCEEDED in %.1f s: %s" % (time.time() - t0, last and (
                  (last["command_result"] or {}).get("deploy_result")
                  or last["command_error"])))
        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body={"name": "standby.get_partition_uuids", "params": {}})
        check(status == 200 and body["command_result"].get("root uuid", "").startswith("0x"),
              "get_partition_uuids: %s" % body.get("command_result"))
        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body=deploy_step(image_port, "0" * 64, None))
        check(status == 200 and body["command_status"] == "FAILED"
              and body["command_error"]["type"] == "ImageChecksumError",
              "wrong checksum: FAILED, ImageChecksumError")
        status, body = call(api_port, "POST", "/v1/commands/?wait=true",
                            body=deploy_step(image_port, sha, cd64))
        check(status == 200 and body["command_status"] == "SUCCEEDED", "write_image again")
        status, body = call(api_port, "POST", "/v1/commands/?wait=false",
                            body={"name": "standby.power_off", "params": {}})
        check(status == 200 and body["command_status"] == "RUNNING", "power_off: RUNNING")
        try:
            qemu.wait(timeout=60)
            check(True, "QEMU exited: the node powered off")
        except subprocess.TimeoutExpired:
            check(False, "QEMU exited: the node powered off")

        with open(img, "rb") as f:
            image = f.read()
        with open(disk, "rb") as f:
            written = f.read(len(image))
            check(image[34 * 512:-33 * 512] == written[34 * 512:-33 * 512],
                  "the disk holds the image (but for the partition table)")
            blkid = subprocess.run(["blkid", "-p", "-o", "value", "-s", "PTTYPE", disk],
                                   capture_output=True, text=True).stdout.strip()
            check(blkid == "gpt", "the disk has a GPT")
            # The third GPT entry (LBA 2 on, 128 bytes each): the config drive partition.
            f.seek(2 * 512 + 2 * 128 + 32)
            first, last = struct.unpack("<QQ", f.read(16))
            f.seek(first * 512)
            check(first > 0 and last >= (5 << 30) // 512 - 4096 and f.read(len(iso)) == iso,
                  "the config drive ISO is in partition 3, at the end of the disk")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(d, ignore_errors=True)
    print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
