#!/usr/bin/env python3
"""build.py --build-o DIR ...: the no-op rebuild time, and with --cold the cold build time.

No-op: `make -C TOPDIR O=DIR DL_DIR=...` run --runs times on an output directory that is
already built, each timed on the host's monotonic clock; the modification times and sizes of
every file under DIR are compared before and after, so a "no-op" that rebuilt something says
so. Cold (--cold, `make bench BENCH_COLD=1`): DIR/.config copied into an empty output
directory and `make` run there once, timed, its images compared with DIR's; deleted after.
The measured make runs without the calling make's MAKEFLAGS, as a user's `make` would.
Exit 0 when the section is written, 1 on a broken measurement.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

PROG = "bench-build"


def snapshot(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[p] = (st.st_mtime_ns, st.st_size)
    return out


def make_env():
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR"):
        env.pop(k, None)
    return env


def timed_make(o, dl, log):
    t0 = time.monotonic()
    with open(log, "w") as f:
        rc = subprocess.run(["make", "-C", B.TOPDIR, "O=" + o, "DL_DIR=" + dl], stdout=f,
                            stderr=subprocess.STDOUT, env=make_env()).returncode
    return rc, time.monotonic() - t0


def tail(path, n=5):
    with open(path, errors="replace") as f:
        return " / ".join(line.strip() for line in f.read().splitlines()[-n:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-o")
    ap.add_argument("--dl-dir", default=os.path.join(B.TOPDIR, "dl"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--work")
    ap.add_argument("--images", help="the images measured in this run, for the record")
    a = ap.parse_args()

    md = ["## Build\n"]
    result = {"build_o": a.build_o, "noop": [], "cold": None}
    overrides = sorted(k for k in os.environ if k.startswith("INGOT_OVERRIDE_SRCDIR_"))
    rc = 0
    if not a.build_o:
        why = "no output directory given (`make bench` passes O; bench/run.sh --build-o DIR)"
        md.append("No-op rebuild: not measured: %s.\n\nCold build: not measured: %s.\n"
                  % (why, why))
        return B.finish_section(a, md, result, 0)
    o = os.path.abspath(a.build_o)
    if not os.path.isfile(os.path.join(o, ".config")):
        why = "%s has no .config (not an ingot output directory)" % o
        md.append("No-op rebuild: not measured: %s.\n\nCold build: not measured: %s.\n"
                  % (why, why))
        return B.finish_section(a, md, result, 0)
    work = tempfile.mkdtemp(prefix="bench-build.", dir=a.work)
    try:
        rows = []
        for i in range(a.runs):
            B.log(PROG, "no-op rebuild %d of %d in %s" % (i + 1, a.runs, o))
            before = snapshot(o)
            status, secs = timed_make(o, a.dl_dir, os.path.join(work, "noop.log"))
            after = snapshot(o)
            changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
            result["noop"].append({"seconds": secs, "status": status, "changed": len(changed)})
            if status != 0:
                rows.append([i + 1, "failed: make exit %d: %s"
                             % (status, tail(os.path.join(work, "noop.log"))), ""])
                rc = 1
                break
            rows.append([i + 1, "%.2f" % secs,
                         "none" if not changed else "%d (e.g. %s): not a no-op"
                         % (len(changed), os.path.relpath(changed[0], o))])
        clean = [r["seconds"] for r in result["noop"] if r["status"] == 0 and not r["changed"]]
        md.append("How: `make -C %s O=%s DL_DIR=%s` (without the calling make's MAKEFLAGS) "
                  "on the already built output directory, "
                  "%d time%s, each timed from start to exit; every file's mtime and size under "
                  "O= compared before and after each run.%s\n"
                  % (B.TOPDIR, o, a.dl_dir,
                     a.runs, "" if a.runs == 1 else "s",
                     " Environment: %s set (library sources from local trees)."
                     % ", ".join(overrides) if overrides else ""))
        if os.path.realpath(os.path.join(o, "images")) != os.path.realpath(a.images or ""):
            md.append("Note: O=%s is not the output directory of the images measured above "
                      "(%s); these build figures are that directory's.\n" % (o, a.images))
        md.append("No-op rebuild: **%s s** (median and spread of the runs that changed nothing)"
                  ".\n" % (B.spread(clean) if clean else "not measured: no run was a no-op"))
        md.append(B.md_table(["run", "seconds", "files changed under O="], rows))
        if a.cold:
            cold = os.path.join(work, "cold")
            os.makedirs(cold)
            shutil.copy(os.path.join(o, ".config"), os.path.join(cold, ".config"))
            B.log(PROG, "cold build in %s" % cold)
            status, secs = timed_make(cold, a.dl_dir, os.path.join(work, "cold.log"))
            same = None
            if status == 0:
                try:
                    with open(os.path.join(o, "images", "sha256sums")) as f1, \
                            open(os.path.join(cold, "images", "sha256sums")) as f2:
                        same = f1.read() == f2.read()
                except OSError:
                    same = None
            result["cold"] = {"seconds": secs, "status": status, "identical": same}
            if status != 0:
                md.append("Cold build: failed: make exit %d after %.0f s: %s.\n"
                          % (status, secs, tail(os.path.join(work, "cold.log"))))
                rc = 1
            else:
                md.append("Cold build (`BENCH_COLD=1`): **%.0f s** (%.1f min): O=%s's .config "
                          "copied into an empty output directory, `make` there with the same "
                          "DL_DIR (downloads cached), timed once; images %s.\n"
                          % (secs, secs / 60, o, {True: "bit-identical to O='s",
                                                  False: "differ from O='s",
                                                  None: "not compared"}[same]))
        else:
            md.append("Cold build: not measured: asked for with `make bench BENCH_COLD=1` "
                      "(bench/run.sh --cold).\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return B.finish_section(a, md, result, rc)


if __name__ == "__main__":
    sys.exit(main())
