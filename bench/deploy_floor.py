#!/usr/bin/env python3
"""deploy_floor.py --images DIR --image-mb N --lo L --hi H --step S ...: the RAM floor of a deploy.

Bisection on the guest's RAM for the smallest -m with which one deploy goes through: boot,
lookup and heartbeat against tests/unit/data/ironic-stub.py, write_image of a generated raw
image of N MiB through the agent's API (tests/boot/agentlib.py, as the conductor calls it),
standby.power_off, the disk checked against the image. Each probe runs in a child process
(`deploy_floor.py probe`), killed with its QEMU and servers when it overruns.
Exit 0 when the section is written, 1 on a broken measurement.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

PROG = "bench-deploy-floor"
LO_HB = "the largest -m that failed to boot to the first heartbeat"


def probe_main(images, image, sha, limit, mem):
    """In the child: one deploy with -m mem, as the conductor drives it. Exit 0 when the
    image is on the disk and the node powered off."""
    import re
    import ssl

    sys.path.insert(0, os.path.dirname(B.AGENT_DEPLOY))
    import agentlib as L  # noqa: E402 (tests/boot: the API as the conductor calls it)

    work = os.environ["TMPDIR"]
    www = tempfile.mkdtemp(prefix="www.", dir=work)
    os.link(image, os.path.join(www, "disk.raw"))  # same file system: the work directory
    size = os.path.getsize(image)
    procs, g = [], None
    try:
        server = B.FileServer(www)
        procs.append(server)
        stub = B.Stub()  # API 1.82: the agent serves automatic TLS, as for a current Ironic
        procs.append(stub)
        api_port = B.free_port()
        disk = B.make_disk(os.path.join(work, "disk-%d.raw" % mem), size + (1 << 30))
        g = B.Guest(images, mem, "ipa-api-url=http://10.0.2.2:%d" % stub.port, disk=disk,
                    api_port=api_port, log_path=os.path.join(work, "serial-%d.log" % mem))
        g.start()
        if not g.wait_for(re.compile("heartbeat sent"), 300, fatal=B.FATAL):
            last = [t for _, t in g.lines if t and t.strip()][-1:] or ["(nothing)"]
            print("FAIL - no heartbeat within 300 s (%s; the console's last line: %s)"
                  % (g.exit_text(), last[0].strip()[:120]))
            return 1
        L.tls["context"] = ssl._create_unverified_context()  # the agent's own certificate
        info = {"id": "disk.raw", "urls": ["http://10.0.2.2:%d/disk.raw" % server.port],
                "disk_format": "raw", "container_format": "bare", "stream_raw_images": True,
                "os_hash_algo": "sha256", "os_hash_value": sha}
        step = {"interface": "deploy", "step": "write_image", "priority": 80,
                "args": {"image_info": info, "configdrive": None}}
        status, _ = L.call(api_port, "POST", "/v1/commands/",
                           body={"name": "deploy.execute_deploy_step",
                                 "params": {"step": step, "node": {"properties": {}},
                                            "ports": [],
                                            "deploy_version": {
                                                "generic_hardware_manager": "1.1"}}})
        last = L.poll_last(api_port, limit) if status == 200 else None
        if not last or last["command_status"] != "SUCCEEDED":
            print("FAIL - write_image: %s" % ((last or {}).get("command_error") or status))
            return 1
        L.call(api_port, "POST", "/v1/commands/", body={"name": "standby.power_off",
                                                        "params": {}})
        if g.wait_for(re.compile("reboot: Power down"), 120) is None:
            print("FAIL - standby.power_off: the node did not power off")
            return 1
        # byte for byte, but for the GPT, whose backup write_image moves to the disk's end
        if B.sha256_range(disk, 34 * 512, size - 67 * 512) != \
                B.sha256_range(image, 34 * 512, size - 67 * 512):
            print("FAIL - the disk does not hold the image")
            return 1
        return 0
    finally:
        if g:
            g.stop()
        for p in procs:
            p.stop()


def run_probe(a, work, image, sha, mem, timeout):
    """One deploy probe with -m mem, in a child process: (ok, seconds, why)."""
    env = dict(os.environ, TMPDIR=work)
    out = os.path.join(work, "probe-%d.log" % mem)
    t0 = time.monotonic()
    with open(out, "w") as f:
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "probe", a.images,
                              image, sha, str(int(timeout)), str(mem)], stdout=f,
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the probe, its QEMU and its servers
            p.wait()
            rc = None
    secs = time.monotonic() - t0
    with open(out, errors="replace") as f:
        text = f.read()
    for d in os.listdir(work):  # what the probe left behind, the image but
        if d != os.path.basename(image):
            path = os.path.join(work, d)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)
    if rc == 0:
        return True, secs, None
    fails = [line[7:].strip() for line in text.splitlines() if line.startswith("FAIL - ")]
    if rc is None:
        why = "no end within %d s" % timeout
    else:
        why = "probe exit %d" % rc
    if fails:
        why += "; first failed check: %s" % fails[0][:140]
    return False, secs, why


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        return probe_main(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                          int(sys.argv[6]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--image-mb", type=int, default=2048)
    ap.add_argument("--lo", type=int, default=None,
                    help="a -m known to fail (default: from --hb-json, else 24)")
    ap.add_argument("--hb-json", help="the heartbeat floor's figures (boot.py floor --json)")
    ap.add_argument("--hi", type=int, default=256, help="first probe; doubled while it fails")
    ap.add_argument("--hi-max", type=int, default=1024)
    ap.add_argument("--step", type=int, default=8)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--work")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()

    md = ["### A deploy of a %d MiB raw image\n" % a.image_mb]
    result = {"image_mb": a.image_mb, "floor": None, "probes": []}
    if not B.image_has_agent(a.images):
        result["not_measured"] = "the image has no /%s" % B.AGENT_PATH
        md.append("not measured: %s.\n" % result["not_measured"])
        return B.finish_section(a, md, result, 0)
    lo, lo_why, hb_floor = a.lo, "given", None
    if lo is None and a.hb_json and os.path.exists(a.hb_json):
        with open(a.hb_json) as f:
            hb = json.load(f)
        if hb.get("target") == "heartbeat" and hb.get("largest_failing"):
            lo, lo_why = hb["largest_failing"], LO_HB
            hb_floor = hb.get("floor")
    if lo is None:
        lo, lo_why = 24, "default"
    lo0, lo_why0 = lo, lo_why
    work = tempfile.mkdtemp(prefix="bench-deploy-floor.", dir=a.work)
    probes = result["probes"]
    try:
        image = os.path.join(work, "image.raw")
        B.log(PROG, "generating a %d MiB raw image" % a.image_mb)
        sha = B.make_raw_image(image, a.image_mb)
        timeout = 300 + 2 * a.image_mb  # the first probe; later ones from its duration

        def probe(mem):
            nonlocal timeout
            B.log(PROG, "probing -m %d (a deploy of the %d MiB image)" % (mem, a.image_mb))
            ok, secs, why = run_probe(a, work, image, sha, mem, timeout)
            probes.append({"mem": mem, "ok": ok, "seconds": secs, "error": why})
            B.log(PROG, "-m %d: %s after %.1f s" % (mem, "passed" if ok else why, secs))
            if ok and len(probes) == 1:
                timeout = 2 * secs + 60
            return ok

        hi = a.hi
        ok = probe(hi)
        while not ok and hi * 2 <= a.hi_max:
            lo, lo_why, hi = hi, "failed above", hi * 2
            ok = probe(hi)
        if not ok:
            verdict = "not reached even with -m %d" % hi
        else:
            # A deploy needs the boot: the boot's floor first, where it often passes already.
            if lo_why == LO_HB and hb_floor and lo < hb_floor < hi:
                if probe(hb_floor):
                    hi = hb_floor
                else:
                    lo, lo_why = hb_floor, "probed"
            lo, hi = B.bisect(lo, hi, a.step, probe)
            result["floor"] = hi
            if any(p["mem"] == lo for p in probes):
                verdict = "%d MiB (passes with -m %d, fails with -m %d)" % (hi, hi, lo)
            elif lo_why == LO_HB:
                verdict = ("%d MiB (passes with -m %d; with -m %d the boot already fails "
                           "before the first heartbeat)" % (hi, hi, lo))
            else:
                verdict = ("at most %d MiB (passes with -m %d; -m %d, the lower end of the "
                           "search, not probed)" % (hi, hi, lo))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    md.append("How: bisection on the guest's RAM between %d MiB (%s) and %d MiB (doubled up "
              "to %d MiB while it fails), to a resolution of %d MiB; %s. Each probe is one "
              "deploy as the conductor drives it: a boot under TCG (`-kernel`/`-initrd`, a "
              "virtio disk 1 GiB larger than the image), lookup and heartbeat against the "
              "Ironic **stand-in** (API 1.82, so the agent serves automatic TLS), "
              "`write_image` of a generated %d MiB GPT image streamed from an HTTP server on "
              "the host (sha256 checked by the agent), `standby.power_off`; it passes when "
              "the node powered off and the disk holds the image byte for byte (but for the "
              "GPT, whose backup the agent moves to the end of the disk). No config drive. "
              "Reaching Ironic's `active` state needs the real Ironic: not measured here "
              "(%s).\n"
              % (lo0, lo_why0, a.hi, a.hi_max, a.step,
                 "the boot's own floor (%d MiB) is probed first after the upper end"
                 % hb_floor if hb_floor else "no boot floor to start from",
                 a.image_mb, "; ".join(B.ironic_found()) or "no `ironic-api` here"))
    md.append("Result: **%s**.\n" % verdict)
    md.append(B.md_table(["-m MiB", "result", "seconds"],
                         [[p["mem"], "passed" if p["ok"] else "failed: %s" % p["error"],
                           "%.1f" % p["seconds"]] for p in probes]))
    return B.finish_section(a, md, result, 0 if result["floor"] or not a.strict else 1)


if __name__ == "__main__":
    sys.exit(main())
