"""Shared pieces of the bench scripts: QEMU guests with a timestamped serial console, the
Ironic stand-in, an HTTP server for images, raw test images, statistics and Markdown.

Python 3 standard library only. Every time is measured on the host's monotonic clock from the
moment QEMU is started (subprocess.Popen), unless a table says otherwise.
"""
import hashlib
import importlib.util
import json
import os
import shutil
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOPDIR = os.path.dirname(HERE)
STUB = os.path.join(TOPDIR, "tests", "unit", "data", "ironic-stub.py")
AGENT_DEPLOY = os.path.join(TOPDIR, "tests", "boot", "agent-deploy.py")
AGENT_PATH = "usr/bin/ingot-agent"
GUEST_DISK_MIN = 5 << 30  # the stand-in's root device hint asks for >= 4 GiB

# What the kernel and the node print when they cannot go on: a probe stops at once.
FATAL = re.compile(r"Kernel panic|Out of memory|invoked oom-killer|oom-kill:")


class BenchError(Exception):
    """A measurement cannot go on; the message says why (lowercase, no period)."""


def load_agent_deploy():
    """tests/boot/agent-deploy.py as a module: its helpers are reused, never copied."""
    boot = os.path.dirname(AGENT_DEPLOY)
    if boot not in sys.path:
        sys.path.insert(0, boot)  # its own helpers (agentlib) sit beside it
    spec = importlib.util.spec_from_file_location("agent_deploy", AGENT_DEPLOY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- statistics and text ----------------------------------------------------------------------
def median(xs):
    return statistics.median(xs) if xs else None


def spread(xs):
    """'median (min-max)' text of a list of seconds, or None when empty."""
    if not xs:
        return None
    if len(xs) == 1:
        return "%.2f" % xs[0]
    return "%.2f (%.2f–%.2f)" % (median(xs), min(xs), max(xs))


def human(n):
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.2f %s" % (n / size, unit)
    return "%d B" % n


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out) + "\n"


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def write_md(path, md):
    """A section's Markdown: its parts, each ending in one newline."""
    with open(path, "w") as f:
        f.write("\n".join(x.strip("\n") + "\n" for x in md))


def finish_section(a, md, result, rc):
    """Writes a measurement's figures (a.json) and section (a.md); returns rc."""
    write_json(a.json, result)
    write_md(a.md, md)
    return rc


def bisect(lo, hi, step, ok):
    """Narrows lo (fails) and hi (passes) to at most step apart: (lo, hi), hi the floor."""
    while hi - lo > step:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return lo, hi


def log(prog, text):
    print("%s: %s" % (prog, text), file=sys.stderr, flush=True)


# --- the real Ironic ---------------------------------------------------------------------------
def ironic_found():
    """Where an ironic-api is installed or running here: a list of texts (empty: none)."""
    found = []
    for tool in ("ironic-api", "ironic-conductor"):
        path = shutil.which(tool)
        if path:
            found.append("`%s` installed at %s" % (tool, path))
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(os.path.basename(x) in (b"ironic-api", b"ironic") for x in argv[:2]):
            found.append("an `ironic-api` running as pid %s" % pid)
    return found


def ironic_note():
    found = ironic_found()
    if found:
        return ("Measured against the real Ironic: not measured: this machine has %s, but the "
                "bench is not wired to a real Ironic yet; every lookup and heartbeat figure "
                "here is the stand-in's." % ", ".join(found))
    return ("Measured against the real Ironic (its own timestamps of the lookup and the "
            "heartbeat it accepts): not measured: no `ironic-api` is installed or running on "
            "this machine.")


# --- the initramfs ----------------------------------------------------------------------------
def cpio_entries(path):
    """[(name, mode, size, data or None)] of a newc cpio compressed with xz (or not).

    Data is kept for regular files (their contents) and symlinks (their targets). The kernel
    accepts concatenated archives; so does this.
    """
    import lzma
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] == b"\xfd7zXZ\x00":
        raw = lzma.decompress(raw)
    out, i = [], 0
    while i + 110 <= len(raw):
        if raw[i:i + 6] not in (b"070701", b"070702"):
            # padding between concatenated archives
            if raw[i] == 0:
                i += 1
                continue
            raise BenchError("'%s': not a newc cpio at offset %d" % (path, i))
        field = [int(raw[i + 6 + 8 * k:i + 14 + 8 * k], 16) for k in range(13)]
        mode, filesize, namesize = field[1], field[6], field[11]
        name = raw[i + 110:i + 110 + namesize - 1].decode("utf-8", "replace")
        i = (i + 110 + namesize + 3) & ~3
        data = raw[i:i + filesize]
        i = (i + filesize + 3) & ~3
        if name == "TRAILER!!!":
            continue
        kind = mode & 0o170000
        out.append((name.lstrip("./") or ".", mode, filesize,
                    data if kind in (0o100000, 0o120000) else None))
    return out


def image_has_agent(images):
    try:
        return any(n == AGENT_PATH for n, _, _, _ in
                   cpio_entries(os.path.join(images, "rootfs.cpio.xz")))
    except (OSError, BenchError):
        return False


def busybox_applets(images):
    """The commands of the image that are links to its busybox (empty: no busybox)."""
    entries = cpio_entries(os.path.join(images, "rootfs.cpio.xz"))
    if not any(os.path.basename(n) == "busybox" and data is not None
               and (mode & 0o170000) == 0o100000 for n, mode, _, data in entries):
        return set()
    return {os.path.basename(n) for n, mode, _, data in entries
            if (mode & 0o170000) == 0o120000 and data is not None
            and os.path.basename(data.rstrip(b"\0").decode("utf-8", "replace")) == "busybox"}


# --- raw test images --------------------------------------------------------------------------
def make_raw_image(path, size_mib, prog="bench"):
    """A GPT disk image of SIZE_MIB: an ESP of 4 MiB, then a Linux partition filling the rest,
    its contents pseudo-random (no run of zeros a writer could skip). Returns its sha256.

    The layout is the one tests/boot/agent-deploy.py deploys (its config drive becomes the
    third partition), so the same image serves it and the throughput run."""
    if size_mib < 16:
        raise BenchError("an image of %d MiB is too small (16 MiB at least)" % size_mib)
    defs = path + ".defs"
    os.makedirs(defs, exist_ok=True)
    with open(os.path.join(defs, "1.conf"), "w") as f:
        f.write("[Partition]\nType=esp\nSizeMinBytes=4M\nSizeMaxBytes=4M\n")
    with open(os.path.join(defs, "2.conf"), "w") as f:
        f.write("[Partition]\nType=linux-generic\n")
    if os.path.exists(path):
        os.unlink(path)
    r = subprocess.run(["systemd-repart", "--empty=create", "--size=%dM" % size_mib,
                        "--dry-run=no", "--definitions=" + defs, path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError("systemd-repart failed: %s" % r.stderr.strip()[-300:])
    # Random bytes from 6 MiB to 1 MiB before the end (the backup GPT stays intact):
    # SHAKE-128 of a counter, faster than os.urandom and the same in every run.
    h = hashlib.sha256()
    chunk = 4 << 20
    start, end = 6 << 20, (size_mib - 1) << 20
    with open(path, "r+b") as f:
        f.seek(start)
        pos, n = start, 0
        while pos < end:
            k = min(chunk, end - pos)
            f.write(hashlib.shake_128(b"ingot-bench-%d" % n).digest(k))
            pos += k
            n += 1
    with open(path, "rb") as f:
        while True:
            b = f.read(8 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def sha256_range(path, start, end):
    """sha256 of the bytes [start, end) of a file, read 4 MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            block = f.read(min(left, 4 << 20))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h.hexdigest()


def make_disk(path, size):
    with open(path, "wb") as f:
        f.truncate(max(size, GUEST_DISK_MIN))
    return path


# --- servers on loopback ----------------------------------------------------------------------
class Stub:
    """tests/unit/data/ironic-stub.py: a stand-in for Ironic's lookup and heartbeat, not Ironic."""

    def __init__(self, mode="normal"):
        self.proc = subprocess.Popen([sys.executable, STUB, mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise BenchError("the Ironic stand-in did not start")
        self.port = int(line)

    def requests(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/_requests" % self.port,
                                    timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class FileServer:
    """python3 -m http.server on 127.0.0.1 for DIRECTORY (10.0.2.2 from the guest)."""

    def __init__(self, directory):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                      "--directory", directory, str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise BenchError("the image server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# --- QEMU -------------------------------------------------------------------------------------
def kvm_usable(images, seconds=20):
    """(True, text) when a KVM guest of these images prints on its serial console in time."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm is missing or not usable by this user"
    g = Guest(images, 128, "", accel="kvm")
    try:
        g.start()
        hit = g.wait_for(re.compile(r"."), seconds)
        state = g.exit_text()
    finally:
        g.stop()
    if hit:
        return True, "a KVM guest printed its first line after %.2f s" % hit[0]
    said = g.stderr.decode("utf-8", "replace").strip().splitlines()
    return False, ("/dev/kvm is present but a KVM guest printed nothing on its serial console "
                   "in %d s (%s%s)" % (seconds, "QEMU kept running" if state.startswith(
                       "QEMU still") else state, "; QEMU said: " + said[0] if said else ""))


class Guest:
    """One QEMU (q35, -kernel/-initrd, virtio-net on user networking, optionally a virtio disk
    and the agent's port forwarded), its serial console on a pipe, each line timestamped on
    arrival in seconds since QEMU was started."""

    def __init__(self, images, mem, append, accel="tcg", disk=None, api_port=None,
                 log_path=None, initrd=None):
        self.cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", accel, "-m", str(mem),
                    "-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
                    "-chardev", "stdio,id=s0,signal=off", "-serial", "chardev:s0",
                    "-kernel", os.path.join(images, "bzImage"),
                    "-initrd", initrd or os.path.join(images, "rootfs.cpio.xz"),
                    "-append", ("console=ttyS0,115200n8 panic=-1 " + append).strip()]
        fwd = ",hostfwd=tcp:127.0.0.1:%d-:9999" % api_port if api_port else ""
        self.cmd += ["-netdev", "user,id=n0" + fwd, "-device", "virtio-net-pci,netdev=n0"]
        if disk:
            self.cmd += ["-drive", "file=%s,format=raw,if=virtio" % disk.replace(",", ",,")]
        self.lines = []  # (seconds, text)
        self.cond = threading.Condition()
        self.log_path = log_path
        self.proc = None
        self.t0 = self.t0_wall = None
        self.stderr = b""

    def start(self):
        logf = open(self.log_path, "wb") if self.log_path else None
        self.t0_wall = time.time()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        threading.Thread(target=self._read, args=(logf,), daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self, logf):
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            now = time.monotonic() - self.t0
            if not b:
                break
            if logf:
                logf.write(b)
                logf.flush()
            buf += b
            *done, buf = buf.split(b"\n")
            if done:
                with self.cond:
                    for line in done:
                        self.lines.append((now, line.decode("utf-8", "replace").rstrip("\r")))
                    self.cond.notify_all()
        with self.cond:
            if buf:
                self.lines.append((time.monotonic() - self.t0,
                                   buf.decode("utf-8", "replace").rstrip("\r")))
            self.lines.append((None, None))  # end of the console: QEMU exited
            self.cond.notify_all()
        if logf:
            logf.close()

    def _read_err(self):
        self.stderr = self.proc.stderr.read()

    def exit_text(self):
        if self.proc is not None and self.lines and self.lines[-1][1] is None:
            try:  # the console ended: QEMU is exiting
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is None or self.proc.poll() is None:
            return "QEMU still running"
        err = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return "QEMU exited with status %d%s" % (self.proc.returncode,
                                                  (": " + err[-1]) if err else "")

    def first(self, regex, since=0):
        """(seconds, line) of the first line matching regex at index >= since, or None."""
        for t, line in self.lines[since:]:
            if line is not None and regex.search(line):
                return t, line
        return None

    def wait_for(self, regex, timeout, fatal=None, since=0):
        """Waits for a line matching regex. Returns (seconds, line); None on timeout or
        when QEMU exits; raises BenchError on a line matching fatal."""
        end = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.lines):
                    t, line = self.lines[i]
                    i += 1
                    if line is None:
                        return None
                    if regex.search(line):
                        return t, line
                    if fatal and fatal.search(line):
                        raise BenchError("the guest says: %s" % line.strip()[:160])
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 1.0))

    def mark(self):
        with self.cond:
            return len(self.lines)

    def send(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def now(self):
        return time.monotonic() - self.t0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait()
