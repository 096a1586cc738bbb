#!/usr/bin/env python3
"""boot.py timeline|floor --images DIR ...: boot milestones and the RAM floor to heartbeat.

timeline: boots IMAGES/bzImage + rootfs.cpio.xz RUNS times in QEMU (q35, -m MEM, TCG unless
  --accel kvm), with a 5 GiB sparse virtio disk, virtio-net on QEMU user networking and
  ipa-api-url pointing at tests/unit/data/ironic-stub.py on the host (10.0.2.2), a fresh
  stand-in per run. Each serial-console line is timestamped when it reaches the host, in
  seconds since QEMU was started; the stand-in's own request log gives the times at which
  Ironic's side saw the lookup and the heartbeat.
floor: bisection on -m between --lo and --hi for the smallest memory with which the image
  reaches its first heartbeat (network up when it has no agent) within --timeout, with no
  kernel panic and no OOM kill on the way.

Writes the Markdown section (--md), raw figures (--json) and, for timeline, a chart (--svg).
Exit 0 when the section is written; 1 on a broken measurement (with --strict also when a
milestone the image should reach is not reached).
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import svg  # noqa: E402

PROG = "bench-boot"
AGENT_LOG = r"ingot-agent: \w+: "
# (key, label, short label for the chart, regex, needs the agent): serial-console milestones,
# in boot order.
MILESTONES = [
    ("kernel", "kernel: first line on the serial console", "kernel: first line",
     r"Linux version|^\[\s*\d+\.\d+\] ", False),
    ("init", "init started (`ingot-init: started`)", "init started", r"ingot-init: started",
     False),
    ("network", "network up (`ingot-init: network up:`)", "network up",
     r"ingot-init: network up:", False),
    ("agent_start", "agent started by the init", "agent started",
     r"ingot-init: agent started:", True),
    ("listening", "agent listening (`API listening on port`)", "agent listening",
     AGENT_LOG + r"API listening on port", True),
    ("lookup_first", "first lookup answered (the stand-in's scripted 409)",
     "first lookup answered", AGENT_LOG + r"lookup: (HTTP \d+|node )", True),
    ("lookup_ok", "lookup succeeded: agent token received", "lookup succeeded",
     AGENT_LOG + r"lookup: node \S+, (agent token received|using the agent token)", True),
    ("heartbeat", "first heartbeat sent (202 from the stand-in)", "first heartbeat",
     AGENT_LOG + r"heartbeat sent to Ironic", True),
]
# The same milestones as the stand-in saw them (its request log, host clock).
STUB_MILESTONES = [
    ("stub_lookup_first", "stand-in: first lookup request received"),
    ("stub_lookup_ok", "stand-in: lookup answered 200 with the token"),
    ("stub_heartbeat", "stand-in: first heartbeat received"),
]
STUB_NOTE = ("The stand-in (tests/unit/data/ironic-stub.py, not Ironic) answers the first "
             "lookup with 409 (node locked) and the second with 404, as "
             "tests/boot/agent-deploy.py expects: the agent's conflict pause and retry "
             "backoff after those scripted answers are part of the lookup and heartbeat "
             "figures; a real Ironic that knows the node answers the first lookup with 200.")


def boot_once(images, mem, accel, timeout, work, agent, tag, target=None):
    """One boot against a fresh stand-in. Returns (times {key: s}, stub times, error)."""
    stub = B.Stub()
    disk = B.make_disk(os.path.join(work, "disk-%s.raw" % tag), 0)
    g = B.Guest(images, mem, "ipa-api-url=http://10.0.2.2:%d" % stub.port, accel=accel,
                disk=disk, log_path=os.path.join(work, "serial-%s.log" % tag))
    want = [m for m in MILESTONES if agent or not m[4]]
    if target:
        want = want[:[m[0] for m in want].index(target) + 1]
    times, stub_times, error = {}, {}, None
    try:
        g.start()
        since = 0
        for key, _, _, rx, _ in want:
            hit = g.wait_for(re.compile(rx), max(1.0, timeout - g.now()), B.FATAL, since)
            if not hit:
                state = g.exit_text()
                error = ("%s at %.1f s, before the milestone '%s'" % (state, g.now(), key)
                         if state.startswith("QEMU exited") else
                         "'%s' not reached within %g s" % (key, timeout))
                break
            times[key] = hit[0]
        # Milestones logged in the same burst may come in any order: find each from the start.
        for key, _, _, rx, _ in want:
            hit = g.first(re.compile(rx))
            if hit:
                times[key] = hit[0]
    except B.BenchError as e:
        error = str(e)
    finally:
        g.stop()
        try:
            reqs = stub.requests() if agent else []
        except OSError:
            reqs = []
        stub.stop()
        os.unlink(disk)
    lookups = [r for r in reqs if r["path"].startswith("/v1/lookup")]
    beats = [r for r in reqs if r["path"].startswith("/v1/heartbeat/")]
    if lookups:
        stub_times["stub_lookup_first"] = lookups[0]["t"] - g.t0_wall
    if len(lookups) >= 3:  # the stand-in answers 409, 404, then 200
        stub_times["stub_lookup_ok"] = lookups[2]["t"] - g.t0_wall
    if beats:
        stub_times["stub_heartbeat"] = beats[0]["t"] - g.t0_wall
    return times, stub_times, error


def timeline(a, agent, work):
    runs, errors = [], []
    for i in range(a.runs):
        B.log(PROG, "timeline run %d of %d (%s, -m %d)" % (i + 1, a.runs, a.accel, a.mem))
        t, st, err = boot_once(a.images, a.mem, a.accel, a.timeout, work, agent, "t%d" % i)
        runs.append({"serial": t, "stand_in": st, "error": err})
        if err:
            errors.append("run %d: %s" % (i + 1, err))
            B.log(PROG, "run %d: %s" % (i + 1, err))
    return runs, errors


def timeline_rows(runs, agent):
    rows, chart = [], []
    if not agent:
        rows.append(["agent started, listening, lookup, heartbeat (serial console and the "
                     "stand-in's log)", "not measured: the image has no /%s" % B.AGENT_PATH,
                     "", "", ""])
    for key, label, short, rx, needs_agent in MILESTONES:
        vals = [r["serial"][key] for r in runs if key in r["serial"]]
        how = "serial line matching `%s`" % rx
        if needs_agent and not agent:
            continue
        rows.append([label, "%.2f" % B.median(vals) if vals else "not reached",
                     "%.2f–%.2f" % (min(vals), max(vals)) if vals else "",
                     "%d of %d" % (len(vals), len(runs)), how])
        chart.append((short, B.median(vals), min(vals) if vals else None,
                      max(vals) if vals else None))
    for key, label in STUB_MILESTONES:
        vals = [r["stand_in"][key] for r in runs if key in r["stand_in"]]
        how = "the stand-in's request log (its clock: host time of receipt)"
        if not agent:
            continue
        rows.append([label, "%.2f" % B.median(vals) if vals else "not reached",
                     "%.2f–%.2f" % (min(vals), max(vals)) if vals else "",
                     "%d of %d" % (len(vals), len(runs)), how])
    found = B.ironic_found()
    rows.append(["first heartbeat accepted by the real Ironic",
                 "not measured: %s" % ("the bench is not wired to the Ironic found here (%s)"
                                       % ", ".join(found) if found else
                                       "no `ironic-api` installed or running here"),
                 "", "", "Ironic's own timestamps"])
    return rows, chart


def cmd_timeline(a):
    agent = B.image_has_agent(a.images)
    work = tempfile.mkdtemp(prefix="bench-boot.", dir=a.work)
    result = {"mem": a.mem, "runs": a.runs, "agent": agent}
    errors = []
    try:
        accels = [("tcg", "TCG")]
        if a.kvm == "probe":
            ok, why = B.kvm_usable(a.images)
            result["kvm"] = why
            B.log(PROG, "KVM: %s" % why)
            if ok:
                accels.append(("kvm", "KVM"))
        else:
            result["kvm"] = a.kvm
        md = ["## Boot timeline\n",
              "How: %d boot%s of bzImage + rootfs.cpio.xz with `qemu-system-x86_64 -machine "
              "q35 -m %d` (SeaBIOS, `-kernel`/`-initrd`, `console=ttyS0,115200n8`), a 5 GiB "
              "sparse virtio disk, virtio-net on QEMU user networking and "
              "`ipa-api-url=http://10.0.2.2:PORT` pointing at the Ironic **stand-in** "
              "tests/unit/data/ironic-stub.py on the host (a fresh one per boot). Every "
              "serial-console line is timestamped by the host when it arrives, in seconds "
              "since QEMU was started (Python `subprocess.Popen`); the kernel's first line "
              "appears when its serial console registers and prints the buffered log. "
              "Median and spread (min–max) over the runs.\n"
              % (a.runs, "" if a.runs == 1 else "s", a.mem)]
        if agent:
            md.append("**Lookup and heartbeat are measured against the stand-in, not the real "
                      "Ironic.** " + STUB_NOTE + "\n")
            md.append(B.ironic_note() + "\n")
        for accel, name in accels:
            old = a.accel
            a.accel = accel
            runs, errs = timeline(a, agent, work)
            a.accel = old
            errors += ["%s %s" % (name, e) for e in errs]
            result[accel] = runs
            rows, chart = timeline_rows(runs, agent)
            md.append("### %s\n" % ("Under TCG (software emulation)" if accel == "tcg"
                                     else "Under KVM"))
            md.append(B.md_table(["milestone", "median s", "min–max s", "reached", "how"],
                                 rows))
            if accel == "tcg":
                with open(a.svg, "w") as f:
                    f.write(svg.timeline(
                        "ingot boot milestones under TCG, -m %d (median, min-max, %d run%s)"
                        % (a.mem, a.runs, "" if a.runs == 1 else "s"), chart,
                        "lookup and heartbeat: against the Ironic stand-in, not Ironic"
                        if agent else "the image has no agent: milestones up to network up"))
                md.append("![boot timeline](%s)\n" % (a.svg_ref or os.path.basename(a.svg)))
        if len(accels) == 1:
            md.append("### Under KVM\n\nnot measured: %s.\n" % result["kvm"])
        if errors:
            md.append("Runs that fell short: " + "; ".join(errors) + ".\n")
        result["errors"] = errors
        B.write_json(a.json, result)
        B.write_md(a.md, md)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if errors and a.strict:
        B.log(PROG, "milestones not reached: %s" % "; ".join(errors))
        return 1
    return 0


def cmd_floor(a):
    agent = B.image_has_agent(a.images)
    target = "heartbeat" if agent else "network"
    work = tempfile.mkdtemp(prefix="bench-floor.", dir=a.work)
    probes = []

    def probe(mem):
        B.log(PROG, "RAM floor: probing -m %d (until %s)" % (mem, target))
        t, _, err = boot_once(a.images, mem, "tcg", a.timeout, work, agent, "m%d" % mem,
                              target)
        ok = err is None and target in t
        probes.append({"mem": mem, "ok": ok, "seconds": t.get(target), "error": err})
        B.log(PROG, "-m %d: %s" % (mem, "reached %s after %.2f s" % (target, t[target])
                                   if ok else err))
        return ok

    try:
        lo, hi = a.lo, a.hi
        floor = None
        if not probe(hi):
            verdict = "not reached even with -m %d" % hi
        elif probe(lo):
            floor = lo
            verdict = "reached with -m %d, the lower end of the search" % lo
        else:
            lo, hi = B.bisect(lo, hi, a.step, probe)
            floor = hi
            verdict = "%d MiB (works with -m %d, fails with -m %d)" % (hi, hi, lo)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed_below = max([p["mem"] for p in probes if not p["ok"] and p["mem"] < (floor or 0)],
                       default=None)
    result = {"target": target, "agent": agent, "floor": floor, "largest_failing": failed_below,
              "lo": a.lo, "hi": a.hi, "step": a.step, "timeout": a.timeout, "probes": probes}
    B.write_json(a.json, result)
    what = ("first heartbeat (against the stand-in)" if agent else
            "network up (the image has no agent, so no heartbeat)")
    md = ["### Boot to %s\n" % what,
          "How: bisection on `-m` between %d and %d MiB, to a resolution of %d MiB, each probe a "
          "boot as in the timeline (TCG) that must log `%s` within %d s with no kernel panic "
          "and no OOM kill; it assumes that what works with less memory works with more.%s\n"
          % (a.lo, a.hi, a.step, "heartbeat sent to Ironic" if agent else
             "ingot-init: network up:", a.timeout,
             " **Against the Ironic stand-in, not the real Ironic.**" if agent else ""),
          "Result: **%s**.\n" % verdict]
    if not agent:
        md.append("To first heartbeat: not measured: the image has no /%s.\n" % B.AGENT_PATH)
    md.append(B.md_table(["-m MiB", "result", "time to %s s" % target],
                         [[p["mem"], "ok" if p["ok"] else "failed: %s" % p["error"],
                           "%.2f" % p["seconds"] if p["seconds"] is not None else ""]
                          for p in probes]))
    B.write_md(a.md, md)
    if floor is None and a.strict:
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("timeline", "floor"))
    ap.add_argument("--images", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg")
    ap.add_argument("--svg-ref")
    ap.add_argument("--work", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--kvm", default="probe",
                    help="'probe', or the reason KVM is not tried")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--lo", type=int, default=24)
    ap.add_argument("--hi", type=int, default=512)
    ap.add_argument("--step", type=int, default=4)
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    if not shutil.which("qemu-system-x86_64"):
        B.log(PROG, "qemu-system-x86_64 not found")
        return 1
    if a.what == "timeline":
        if not a.svg:
            ap.error("timeline needs --svg")
        return cmd_timeline(a)
    return cmd_floor(a)


if __name__ == "__main__":
    sys.exit(main())
