#!/usr/bin/env python3
"""report.py: puts docs/benchmarks.md together from the sections bench/run.sh collected.

The machine (CPU model, cores, RAM, accelerator, QEMU), the date, the commit
(`git describe --always --dirty`), the images measured, then each section in order, then
how long each measurement took. Written to a temporary file and renamed.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

# (section file, title when missing, the step that writes it, a heading to put before it)
SECTIONS = [
    ("1-size.md", "## Size", "size", None),
    ("2-boot.md", "## Boot timeline", "boot-timeline", None),
    ("3-floor.md", "### Boot to first heartbeat", "ram-floor-heartbeat",
     "## RAM floor\n"),
    ("4-deploy-floor.md", "### A deploy of a raw image", "ram-floor-deploy", None),
    ("5-throughput.md", "## Write throughput", "throughput", None),
    ("6-build.md", "## Build", "build", None),
]


def run(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
                    return "%.1f GiB (%d KiB)" % (kib / 1048576, kib)
    except OSError:
        pass
    return "unknown"


def components(images):
    """Where the images' third-party parts came from, from their manifest.tsv: a local source
    tree (INGOT_OVERRIDE_SRCDIR_*) is named, since it is not Debian's."""
    try:
        with open(os.path.join(images, "manifest.tsv")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
    except OSError:
        return "not known: no manifest.tsv"
    debian = ["%s %s (%s)" % (r[0], r[1], r[2]) for r in rows
              if len(r) > 2 and not r[1].startswith("override:")]
    local = ["%s from %s" % (r[0], r[1][len("override:"):]) for r in rows
             if len(r) > 2 and r[1].startswith("override:")]
    text = ", ".join(debian)
    if local:
        text += "; **not from Debian** (local source trees, INGOT_OVERRIDE_SRCDIR_*): " + \
            ", ".join(local)
    return text


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--out", "--sections", "--steps", "--mode", "--images", "--started",
                "--load-start", "--topdir"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--image-mb", type=int, required=True)
    ap.add_argument("--mem", type=int, required=True)
    a = ap.parse_args()

    steps = {}
    with open(a.steps) as f:
        for line in f:
            name, rc, secs = line.rstrip("\n").split("\t")
            steps[name] = (int(rc), float(secs))
    kvm = "not probed"
    try:
        with open(os.path.join(a.out, "bench", "boot.json")) as f:
            kvm = json.load(f).get("kvm", kvm)
    except (OSError, ValueError):
        pass
    accel = "KVM and TCG (%s)" % kvm if kvm.startswith("a KVM guest printed") else \
        "TCG only (KVM: %s)" % kvm
    commit = run(["git", "-c", "safe.directory=*", "-C", a.topdir, "describe", "--always",
                  "--dirty"]) or "not in git"
    sums = []
    for name in ("bzImage", "rootfs.cpio.xz", "rootfs.iso9660"):
        path = os.path.join(a.images, name)
        if os.path.exists(path):
            h = run(["sha256sum", path])
            sums.append("%s `%s`" % (name, h.split()[0][:16] if h else "?"))
    finished = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    with open("/proc/loadavg") as f:
        load_end = " ".join(f.read().split()[:3])
    qemu = run(["qemu-system-x86_64", "--version"])

    md = ["# Benchmarks\n"]
    if a.mode == "smoke":
        md.append("**A `--smoke` run**: one run of each measurement on tiny inputs, to check "
                  "the bench scripts; not figures to quote.\n")
    md.append("Written by `make bench` (bench/run.sh); do not edit by hand: run it again. "
              "Every figure below was measured in this run, on this machine, as each section "
              "says; what could not be measured here says `not measured` and why. Nothing is "
              "estimated.\n")
    md.append("## Machine and run\n")
    md.append(B.md_table(["what", "this run"], [
        ["date", "%s to %s" % (a.started, finished)],
        ["commit", "`%s`" % commit],
        ["images", "%s: %s" % (a.images, ", ".join(sums))],
        ["components", components(a.images)],
        ["CPU", "%s, %d cores online (`nproc`: %s)" % (cpu_model(), os.cpu_count() or 0,
                                                       run(["nproc"]) or "?")],
        ["RAM", mem_total()],
        ["accelerator", accel],
        ["QEMU", (qemu or "not found").splitlines()[0]],
        ["host kernel", platform.release()],
        ["load average (1, 5, 15 min)", "%s at the start, %s at the end (a shared machine: "
         "other work ran beside the bench)" % (a.load_start, load_end)],
        ["settings", "%d run%s; raw image %d MiB; timeline and throughput guests -m %d"
         % (a.runs, "" if a.runs == 1 else "s", a.image_mb, a.mem)],
    ]))
    for fname, title, step, before in SECTIONS:
        if before:
            md.append(before)
        path = os.path.join(a.sections, fname)
        if os.path.exists(path):
            with open(path) as f:
                md.append(f.read())
        else:
            rc = steps.get(step, (None, 0))[0]
            md.append("%s\n\nnot measured: the bench step `%s` %s.\n" % (
                title, step, "broke (exit %d; its messages went to the bench's output)" % rc
                if rc is not None else "did not run"))
    md.append("## The bench itself\n")
    rows = [[name, "ok" if rc == 0 else "failed (exit %d)" % rc, "%.1f" % secs]
            for name, (rc, secs) in steps.items()]
    rows.append(["total", "", "%.1f" % sum(s for _, s in steps.values())])
    md.append(B.md_table(["step", "status", "seconds"], rows))
    md.append("Raw figures: `bench/*.json` beside this file. To run again: `make bench` "
              "(`BENCH_RUNS=N`, `BENCH_IMAGE_MB=N`, `BENCH_COLD=1`), or `bench/run.sh "
              "--images DIR --runs %d --image-mb %d`.\n" % (a.runs, a.image_mb))
    text = "\n".join(x.strip("\n") + "\n" for x in md)
    dest = os.path.join(a.out, "benchmarks.md")
    with open(dest + ".tmp", "w") as f:
        f.write(text)
    os.rename(dest + ".tmp", dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
