#!/usr/bin/env python3
"""deploy_floor.py --images DIR --image-mb N --lo L --hi H --step S ...: the RAM floor of a deploy.

Bisection on the guest's RAM for the smallest -m with which tests/boot/agent-deploy.py passes
as a whole (boot, lookup and heartbeat against tests/unit/data/ironic-stub.py, write_image of
the raw image with a config drive, checked on the disk afterwards, standby.power_off), its
AGENT_DEPLOY_MEM set per probe. agent-deploy.py is called, not copied: each probe runs it in a
child process (`deploy_floor.py probe`) that imports it and swaps its 32 MiB image for a
generated one of N MiB (same layout: ESP, Linux partition, the config drive becomes the
third), stretches the HTTP timeouts of its deploy steps to the image's size and stops it at
its first failed check.
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


def probe_main(images, image, sha, limit):
    """In the child: agent-deploy.py's main() with the bench's image."""
    ad = B.load_agent_deploy()

    def make_image(d):
        www = os.path.join(d, "www")
        os.makedirs(www)
        path = os.path.join(www, "disk.raw")
        os.link(image, path)  # same file system (TMPDIR is the bench's work directory)
        return path, sha

    call, poll_last, check = ad.call, ad.poll_last, ad.check

    def long_call(*args, **kw):
        # Only a deploy step moves the image: it alone gets the image's time.
        if (kw.get("body") or {}).get("name") == "deploy.execute_deploy_step":
            kw["timeout"] = max(kw.get("timeout", 120), limit)
        return call(*args, **kw)

    def check_or_stop(ok, what):
        check(ok, what)
        if not ok:
            raise FirstFailure(what)

    ad.make_image = make_image
    ad.call = long_call
    ad.poll_last = lambda port, timeout=300: poll_last(port, max(timeout, limit))
    ad.check = check_or_stop
    sys.argv = [B.AGENT_DEPLOY, images, "tls"]
    try:
        return ad.main()
    except FirstFailure:
        return 1  # its finally: blocks stopped QEMU and the servers


class FirstFailure(Exception):
    """A probe stops at agent-deploy.py's first failed check: later ones only wait."""


def run_probe(a, work, image, sha, mem, timeout):
    """One agent-deploy.py run with AGENT_DEPLOY_MEM=mem: (ok, seconds, why)."""
    env = dict(os.environ, AGENT_DEPLOY_MEM=str(mem), TMPDIR=work)
    out = os.path.join(work, "probe-%d.log" % mem)
    t0 = time.monotonic()
    with open(out, "w") as f:
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "probe", a.images,
                              image, sha, str(int(timeout))], stdout=f,
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
    for d in os.listdir(work):  # what a killed probe left behind
        if d.startswith("ingot-agent-deploy."):
            shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    if rc == 0:
        return True, secs, None
    fails = [line[7:].strip() for line in text.splitlines() if line.startswith("FAIL - ")]
    if rc is None:
        why = "no end within %d s" % timeout
    elif rc == 77:
        why = "agent-deploy.py skipped: %s" % text.strip().splitlines()[-1]
    else:
        why = "agent-deploy.py exit %d" % rc
    if fails:
        why += "; first failed check: %s" % fails[0][:140]
    return False, secs, why


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        return probe_main(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
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
            B.log(PROG, "probing -m %d (agent-deploy.py, %d MiB image)" % (mem, a.image_mb))
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
            result["floor"] = B.bisect(lo, hi, a.step, probe)
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
              "to %d MiB while it fails), to a resolution of %d MiB; %s. Each probe runs "
              "tests/boot/agent-deploy.py (mode tls) "
              "with `AGENT_DEPLOY_MEM` set to it: a boot under TCG, lookup and heartbeat "
              "against the Ironic **stand-in** (not the real Ironic), bad-input checks, "
              "`write_image` of a generated %d MiB GPT image (streamed, sha256 checked) with a "
              "config drive, a wrong checksum, the image written again, the disk checked "
              "byte for byte, then `standby.power_off`. A probe passes when agent-deploy.py "
              "exits 0. The bench imports agent-deploy.py and gives it its own image and "
              "longer HTTP timeouts for the deploy steps, and stops a probe at its first "
              "failed check; nothing else of it changes. Reaching Ironic's `active` "
              "state needs the real Ironic: not measured here (%s).\n"
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
