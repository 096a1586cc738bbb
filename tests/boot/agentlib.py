"""What the QEMU tests of the agent share: the checks, the agent's API as the conductor calls it,
the Ironic stand-in, and waiting on the serial console."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT_DATA = os.path.join(HERE, "..", "unit", "data")
STUB = os.path.join(UNIT_DATA, "ironic-stub.py")
# The token the stand-in hands out at lookup.
TOKEN = "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU"
GUEST_IP = "10.0.2.15"  # QEMU user networking
failures = []
# Set once the agent's certificate is known: every call goes over HTTPS with it.
tls = {"context": None}
# Whether the Ironic stand-in serves HTTPS.
stub = {"https": False}


def check(ok, what):
    print("%s - %s" % ("ok" if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, token=TOKEN, raw=None, timeout=120):
    url = "%s://127.0.0.1:%d%s" % ("https" if tls["context"] else "http", port, path)
    if token is not None:
        url += ("&" if "?" in path else "?") + "agent_token=" + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=tls["context"]) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def heartbeats(stub_port):
    scheme = "https" if stub["https"] else "http"
    ctx = ssl._create_unverified_context() if stub["https"] else None
    with urllib.request.urlopen("%s://127.0.0.1:%d/_requests" % (scheme, stub_port),
                                context=ctx) as r:
        seen = json.loads(r.read())
    return [x["body"] for x in seen if x["path"].startswith("/v1/heartbeat/")]


def start_stub(procs, *args):
    """ironic-stub.py with args, stopped with procs; returns its port."""
    p = subprocess.Popen([sys.executable, STUB] + list(args), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    procs.append(p)
    return int(p.stdout.readline())


def sntp_server(stop, ahead):
    """An SNTP server on the host's UDP port 123, which QEMU's user networking reaches as
    10.0.2.2:123, whose clock is `ahead` seconds ahead. None (and why) when the port cannot be
    had (not root, or an NTP server runs)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 123))
    except OSError as e:
        s.close()
        return None, str(e)
    s.settimeout(0.5)

    def serve():
        while not stop.is_set():
            try:
                req, peer = s.recvfrom(512)
            except socket.timeout:
                continue
            if len(req) < 48:
                continue
            t = time.time() + ahead + 2208988800
            stamp = int(t).to_bytes(4, "big") + int((t % 1) * 2**32).to_bytes(4, "big")
            # leap 0, version 4, server; stratum 2; the client's transmit as originate
            s.sendto(bytes([0x24, 2, 6, 0xec]) + bytes(20) + req[40:48] + stamp + stamp, peer)
        s.close()

    threading.Thread(target=serve, daemon=True).start()
    return s, None


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


def images_skip_reason(images, tools):
    """Why the test cannot run with these images and host tools, or None."""
    for tool in tools:
        if not shutil.which(tool):
            return "%s not found" % tool
    if not os.path.exists(os.path.join(images, "rootfs.cpio.xz")):
        return "no images in %s" % images
    listing = subprocess.run("xz -dc %s/rootfs.cpio.xz | cpio -t 2>/dev/null" % images,
                             shell=True, capture_output=True, text=True).stdout
    if "usr/bin/ingot-agent" not in listing.split():
        return "the images carry no agent (build them with INGOT_AGENT_INGOT=y)"
    return None


def finish():
    if failures:
        print("%d checks failed: %s" % (len(failures), "; ".join(failures)))
        return 1
    return 0
