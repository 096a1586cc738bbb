#!/usr/bin/env python3
"""agent-deploy.py IMAGES [tls|http|https-ironic]: the agent of an ingot image, in QEMU, driven
as Ironic drives it.

Boots IMAGES/bzImage + rootfs.cpio.xz (built with INGOT_AGENT_INGOT) with a 5 GiB virtio disk
and user networking, against tests/unit/data/ironic-stub.py on loopback (a stand-in for
Ironic's lookup and heartbeat endpoints; the end-to-end tests run the real Ironic) and an
HTTP server for the image.

Mode tls (the default): the stub answers API version 1.82, so the agent serves automatic TLS.
The heartbeat the stub recorded must carry an https callback URL and, as agent_verify_ca, a
self-signed certificate whose one extension is a critical subjectAltName with the guest's
address 10.0.2.15; everything below then talks HTTPS, trusting only that certificate (the
forwarded address is 127.0.0.1, so the host name is not checked: the SAN is checked apart).
Mode http: the stub answers 1.46 (before agent_verify_ca): plain HTTP, no agent_verify_ca.
Mode https-ironic: as tls, with the stub serving HTTPS (ipa-api-url=https://10.0.2.2:PORT)
with a certificate of a test CA made now (tests/unit/data/make-test-ca.sh, SAN IP:10.0.2.2);
the CA reaches the agent as a second initrd (a gzip'd cpio putting etc/ingot/ca/operator.pem,
appended to rootfs.cpio.xz: the kernel unpacks both), and the agent's log must show the bundle
made from it. Then two short boots: with another CA in that initrd the agent must refuse the
API (its log says why) and no heartbeat may arrive; with ipa-insecure=1 and the same wrong CA
the heartbeat goes through and the log warns about it.

Then, through the agent's port (forwarded to loopback):
  - bad input: no token, a wrong token, malformed JSON, an unknown command, a 20 MB body;
  - deploy.get_deploy_steps, then write_image of a GPT image with a config drive, polled with
    GET /v1/commands/ as the conductor polls; get_partition_uuids; a wrong checksum;
  - standby.power_off: QEMU must exit.
Afterwards the disk file holds the image (but for the partition table, which the config drive
partition rewrites) and the config drive ISO in its third partition.

AGENT_DEPLOY_MEM sets the guest RAM in MB (default 256).
Exit 0 on success, 1 on a failure, 77 (with the reason) when it cannot run here.
"""
import base64
import gzip
import hashlib
import http.client
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import ssl
import urllib.error
import urllib.request

from agentlib import (GUEST_IP, STUB, UNIT_DATA, call, check, failures, free_port, heartbeats,
                      images_skip_reason, poll_last, stub, tls, wait_for)


def der_read(buf, i):
    """One DER element at buf[i]: (tag, content start, content end)."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, i, i + n


def der_children(buf, start, end):
    out = []
    while start < end:
        tag, s, e = der_read(buf, start)
        out.append((tag, s, e))
        start = e
    return out


def cert_extensions(der):
    """[(oid bytes, critical, value bytes)] of an X.509 certificate."""
    _, s, e = der_read(der, 0)
    _, s, e = der_children(der, s, e)[0]  # tbsCertificate
    exts = []
    for tag, cs, ce in der_children(der, s, e):
        if tag != 0xA3:  # [3] extensions
            continue
        _, ss, se = der_read(der, cs)
        for _, xs, xe in der_children(der, ss, se):
            parts = der_children(der, xs, xe)
            oid = der[parts[0][1]:parts[0][2]]
            critical = len(parts) == 3 and der[parts[1][1]:parts[1][2]] == b"\xff"
            exts.append((oid, critical, der[parts[-1][1]:parts[-1][2]]))
    return exts


def check_certificate(pem, d):
    """The automatic TLS certificate, as IPA's generate_tls_certificate makes it."""
    der = ssl.PEM_cert_to_DER_cert(pem)
    san = b"\x30\x06\x87\x04" + socket.inet_aton(GUEST_IP)
    exts = cert_extensions(der)
    check(exts == [(b"\x55\x1d\x11", True, san)],
          "certificate: one extension, subjectAltName IP:%s, critical" % GUEST_IP)
    path = os.path.join(d, "agent-ca.pem")
    with open(path, "w") as f:
        f.write(pem)
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", path],
                          capture_output=True, text=True).stdout
    check("NIST CURVE: P-384" in text and "Signature Algorithm: ecdsa-with-SHA512" in text,
          "certificate: ECDSA P-384, signed with SHA-512")
    fields = subprocess.run(["openssl", "x509", "-noout", "-subject", "-issuer", "-startdate",
                             "-enddate", "-serial", "-in", path],
                            capture_output=True, text=True).stdout.split("\n")
    print("   " + "; ".join(f for f in fields if f))
    info = ssl._ssl._test_decode_cert(path)
    start = ssl.cert_time_to_seconds(info["notBefore"])
    end = ssl.cert_time_to_seconds(info["notAfter"])
    check(abs(end - start - (30 * 86400 + 3600)) < 5 and start < time.time() - 3000,
          "certificate: valid from 1 h before its making for 30 days")
    subject = [f for f in fields if f.startswith("subject=")]
    issuer = [f for f in fields if f.startswith("issuer=")]
    check(subject and issuer and subject[0][8:] == issuer[0][7:]
          and subject[0][8:].strip().startswith("CN"), "certificate: subject = issuer = CN=...")
    return path, der


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


def ca_initrd(d, images, name, pem):
    """rootfs.cpio.xz followed by a gzip'd cpio that holds etc/ingot/ca/NAME: one -initrd."""
    tree = os.path.join(d, "ca-" + name)
    os.makedirs(os.path.join(tree, "etc", "ingot", "ca"))
    shutil.copy(pem, os.path.join(tree, "etc", "ingot", "ca", "operator.pem"))
    extra = os.path.join(d, name + ".cpio.gz")
    # The recipe of docs/agent.md.
    subprocess.run("cd %s && find etc | cpio -o -H newc -R 0:0 --quiet | gzip -9 > %s"
                   % (tree, extra), shell=True, check=True)
    combined = os.path.join(d, name + "-initrd")
    with open(combined, "wb") as out:
        for part in (os.path.join(images, "rootfs.cpio.xz"), extra):
            with open(part, "rb") as f:
                out.write(f.read())
    return combined


def qemu_cmd(images, initrd, serial, append, api_port, disk):
    return ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", os.environ.get("AGENT_DEPLOY_MEM", "256"),
            "-display", "none", "-monitor", "none", "-serial", "file:" + serial,
            "-kernel", os.path.join(images, "bzImage"), "-initrd", initrd,
            "-append", "console=ttyS0,115200n8 " + append,
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9999" % api_port,
            "-device", "virtio-net-pci,netdev=n0",
            "-drive", "file=%s,format=raw,if=virtio" % disk]


def short_boot(d, images, pki, name, pem, insecure):
    """A boot with pem as the only CA, against a fresh HTTPS stub; returns (serial text,
    heartbeats seen)."""
    initrd = ca_initrd(d, images, name, pem)
    st = subprocess.Popen([sys.executable, STUB, "normal", "--tls",
                           os.path.join(pki, "server.pem"), os.path.join(pki, "server.key")],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(st.stdout.readline())
    serial = os.path.join(d, name + "-serial.log")
    disk = os.path.join(d, name + "-disk.raw")
    with open(disk, "wb") as f:
        f.truncate(1 << 30)
    append = "ipa-api-url=https://10.0.2.2:%d%s" % (port, " ipa-insecure=1" if insecure else "")
    qemu = subprocess.Popen(qemu_cmd(images, initrd, serial, append, free_port(), disk))
    try:
        if insecure:
            wait_for(serial, "heartbeat sent", 120)
        else:
            # Discovery and a lookup refused at least, then some more time.
            wait_for(serial, "lookup failed:", 120)
            time.sleep(10)
        hb = heartbeats(port)
    finally:
        qemu.kill()
        qemu.wait()
        st.kill()
        st.wait()
    with open(serial, errors="replace") as f:
        return f.read(), hb


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in (
            "tls", "http", "https-ironic")):
        print("usage: agent-deploy.py IMAGES [tls|http|https-ironic]", file=sys.stderr)
        return 2
    images = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) == 3 else "tls"
    tools = ("qemu-system-x86_64", "systemd-repart", "xorriso")
    if mode == "https-ironic":
        tools += ("openssl", "cpio", "gzip")
    why = images_skip_reason(images, tools)
    if why:
        print("skip: " + why)
        return 77

    d = tempfile.mkdtemp(prefix="ingot-agent-deploy.")
    procs = []
    try:
        img, sha = make_image(d)
        iso, cd64 = make_configdrive(d)
        disk = os.path.join(d, "disk.raw")
        with open(disk, "wb") as f:
            f.truncate(5 << 30)

        initrd = os.path.join(images, "rootfs.cpio.xz")
        stub_args = [sys.executable, STUB, "old" if mode == "http" else "normal"]
        scheme = "http"
        if mode == "https-ironic":
            pki = os.path.join(d, "pki")
            subprocess.run(["sh", os.path.join(UNIT_DATA, "make-test-ca.sh"), pki,
                            "IP:10.0.2.2"], check=True)
            initrd = ca_initrd(d, images, "right", os.path.join(pki, "ca.pem"))
            stub_args += ["--tls", os.path.join(pki, "server.pem"),
                          os.path.join(pki, "server.key")]
            stub["https"] = True
            scheme = "https"
        stub_proc = subprocess.Popen(stub_args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        procs.append(stub_proc)
        ironic_port = int(stub_proc.stdout.readline())
        image_port = free_port()
        www = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                "--directory", os.path.dirname(img), str(image_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(www)
        api_port = free_port()
        serial = os.path.join(d, "serial.log")
        start = time.time()
        qemu = subprocess.Popen(qemu_cmd(
            images, initrd, serial, "ipa-api-url=%s://10.0.2.2:%d" % (scheme, ironic_port),
            api_port, disk))
        procs.append(qemu)

        check(wait_for(serial, "heartbeat sent", 120),
              "first heartbeat %.1f s after QEMU started (lookup through a 409 and a 404)"
              % (time.time() - start))
        if mode == "https-ironic":
            with open(serial, errors="replace") as f:
                text = f.read()
            check("CA certificates: /etc/ingot/ca/operator.pem: 1 certificate" in text
                  and "CA bundle /run/ingot/ca-bundle.pem: 1 certificate" in text,
                  "the kernel unpacked the second initrd: the agent's CA bundle holds its CA")
            check("heartbeat sent to Ironic" in text and "lookup failed" not in text,
                  "lookup and heartbeat over HTTPS, verified against the test CA")

        hb = heartbeats(ironic_port)
        body = hb[0] if hb else {}
        if mode in ("tls", "https-ironic"):
            check(body.get("callback_url") == "https://%s:9999" % GUEST_IP,
                  "heartbeat: callback_url %s" % body.get("callback_url"))
            pem = body.get("agent_verify_ca") or ""
            check(pem.startswith("-----BEGIN CERTIFICATE-----"),
                  "heartbeat: agent_verify_ca is a PEM certificate")
            ca, der = check_certificate(pem, d) if pem else (None, None)
            ctx = ssl.create_default_context(cafile=ca) if ca else None
            if ctx:
                ctx.check_hostname = False  # 127.0.0.1 forwarded; the SAN is checked above
                tls["context"] = ctx
                with socket.create_connection(("127.0.0.1", api_port), timeout=30) as raw:
                    with ctx.wrap_socket(raw) as conn:
                        check(conn.getpeercert(binary_form=True) == der,
                              "the API serves that certificate (%s)" % conn.version())
            status, _ = call(api_port, "GET", "/v1/status", token=None)
            check(status == 200, "GET /v1/status over HTTPS, verified against it")
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/v1/status" % api_port, timeout=10)
                check(False, "plain HTTP refused")
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                check(True, "plain HTTP refused")
        else:
            check(body.get("callback_url") == "http://%s:9999" % GUEST_IP
                  and "agent_verify_ca" not in body,
                  "heartbeat (API 1.46): callback_url %s, no agent_verify_ca"
                  % body.get("callback_url"))

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
        hb = heartbeats(ironic_port)
        if mode in ("tls", "https-ironic"):
            check(len(hb) > 1 and all(b.get("agent_verify_ca") == pem
                                      and b.get("callback_url", "").startswith("https://")
                                      for b in hb),
                  "all %d heartbeats carried the same agent_verify_ca" % len(hb))

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

        if mode == "https-ironic":
            text, hb = short_boot(d, images, pki, "wrong", os.path.join(pki, "wrong-ca.pem"),
                                  False)
            refused = [line.strip() for line in text.splitlines()
                       if "lookup failed:" in line and "certificate" in line]
            print("   " + (refused[-1] if refused else "(no refusal logged)"))
            check(refused and not hb and "heartbeat sent" not in text,
                  "another CA: the agent refuses the API and says why; no heartbeat")
            text, hb = short_boot(d, images, pki, "insecure",
                                  os.path.join(pki, "wrong-ca.pem"), True)
            check(hb and "heartbeat sent" in text
                  and "ipa-insecure: the TLS certificate of https://10.0.2.2:" in text,
                  "another CA with ipa-insecure=1: heartbeats (%d), with the warning"
                  % len(hb))
            print("   %d insecure-warnings in the log" % text.count(
                "ipa-insecure: the TLS certificate of"))
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
